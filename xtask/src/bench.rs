//! `cargo xtask bench`: criterion benchmarks of Quarry against the Go reference plugin.

use crate::dist::dist;
use crate::test::reference_plugin;
use crate::util::{cargo, go_available, run};

pub(crate) fn bench() -> anyhow::Result<()> {
    let quarry = dist(true)?;
    let mut cmd = cargo();
    cmd.args(["bench", "-p", "quarry-host", "--bench", "plugin"])
        .env("QUARRY_PLUGIN_EXE", &quarry);
    if go_available() {
        cmd.env("QUARRY_REFERENCE_EXE", reference_plugin()?);
    } else {
        eprintln!(
            "xtask: `go` is not on PATH: benchmarking Quarry without the Go reference plugin"
        );
    }
    run(cmd)
}
