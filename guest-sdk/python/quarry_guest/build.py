"""Builds a Python module into a Quarry ``.wasm`` component with componentize-py.

    python -m quarry_guest.build --module http_api --path modules/http-api-py -o http-api-py.wasm

``--module`` is the Python module that calls ``quarry_guest.export(...)``; ``--path`` the
directory holding it (repeatable, for its dependencies too); ``--wit`` the contract's WIT
directory (default: ``wit/`` of the Quarry checkout this SDK lives in); ``--world`` ``module-http``
(default: HTTP through the host) or ``module``. componentize-py must be installed
(``pip install componentize-py==0.25.1``). Runs at build time only, never inside a component.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

SDK_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_WIT = os.path.normpath(os.path.join(SDK_DIR, "..", "..", "wit"))
EXPORT_INTERFACE = "quarry:datasource/datasource@0.3.0=quarry_guest_exports"
# The same binding module names in both worlds (alone in world `module`, `types` would be `types`).
IMPORT_INTERFACES = ["quarry:datasource/types@0.3.0=quarry_datasource_types", "quarry:datasource/log@0.3.0=log"]
ENTRY = "quarry_guest_app"


def componentize_py():
    exe = shutil.which("componentize-py", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    if exe is None:
        sys.exit("componentize-py is not installed: pip install componentize-py==0.25.1")
    return exe


def build(module, paths, output, wit=DEFAULT_WIT, world="module-http", quiet=False):
    with tempfile.TemporaryDirectory(prefix="quarry-py-") as entry_dir:
        with open(os.path.join(entry_dir, ENTRY + ".py"), "w") as f:
            f.write("import %s  # noqa: F401 - registers the datasource\n" % module)
            f.write("from quarry_guest._component import QuarryGuestExports  # noqa: F401\n")
        cmd = [componentize_py(), "-d", wit, "-w", world, "--export-interface-name", EXPORT_INTERFACE]
        for name in IMPORT_INTERFACES:
            cmd += ["--import-interface-name", name]
        if quiet:
            cmd.append("-q")
        cmd += ["componentize", ENTRY, "-p", entry_dir, "-p", SDK_DIR]
        for p in paths:
            cmd += ["-p", p]
        cmd += ["-o", output]
        # A venv on the path would add its site-packages (componentize-py itself) to the component.
        env = dict(os.environ)
        env.pop("VIRTUAL_ENV", None)
        subprocess.run(cmd, check=True, cwd=entry_dir, env=env)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m quarry_guest.build", description=__doc__.split("\n\n")[0])
    parser.add_argument("--module", required=True)
    parser.add_argument("--path", action="append", default=[])
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--wit", default=DEFAULT_WIT)
    parser.add_argument("--world", default="module-http", choices=["module-http", "module"])
    parser.add_argument("-q", "--quiet", action="store_true")
    args = parser.parse_args(argv)
    build(args.module, [os.path.abspath(p) for p in args.path], os.path.abspath(args.output), os.path.abspath(args.wit),
          args.world, args.quiet)


if __name__ == "__main__":
    main()
