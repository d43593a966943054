//! Packaging dist/ and the demo.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context as _;

use crate::build::{SHIPPED_MODULES, build_modules, go_platform, host_binary};
use crate::util::{copy, project_root, run};

/// Grafana looks for `<executable>_<os>_<arch>`; this is the `executable` of plugin.json.
pub(crate) const EXECUTABLE: &str = "gpx_quarry";

/// Packages dist/: plugin.json, the executable under Grafana's name, the frontend stub, the
/// logo and the shipped modules. Returns the path of the packaged executable.
pub(crate) fn dist(release: bool) -> anyhow::Result<PathBuf> {
    let modules = build_modules()?;
    let host = host_binary(release)?;
    package(&host, &modules, release)
}

/// Packages dist/ from a host binary already built and the built modules. The size limit holds
/// for release builds, the ones shipped; a debug build (the test run packages the binary it
/// tested) is several times larger by nature.
pub(crate) fn package(host: &Path, modules: &Path, release: bool) -> anyhow::Result<PathBuf> {
    let root = project_root();
    let dist = root.join("dist");
    if dist.exists() {
        std::fs::remove_dir_all(&dist).context("clearing dist/")?;
    }
    std::fs::create_dir_all(dist.join("modules"))?;
    std::fs::create_dir_all(dist.join("img"))?;
    copy(&root.join("plugin.json"), &dist.join("plugin.json"))?;
    let frontend = crate::frontend::build()?;
    for file in ["module.js", "module.js.map", "img/logo.svg"] {
        copy(&frontend.join(file), &dist.join(file))?;
    }
    let exe = dist.join(format!("{EXECUTABLE}_{}", go_platform()));
    copy(host, &exe)?;
    strip_debug_info(&exe)?;
    if release {
        check_executable_size(&exe)?;
    }
    let shipped: Vec<PathBuf> = SHIPPED_MODULES
        .iter()
        .map(|m| dist.join("modules").join(format!("{m}.wasm")))
        .collect();
    for (m, to) in SHIPPED_MODULES.iter().zip(&shipped) {
        copy(&modules.join(format!("{m}.wasm")), to)?;
    }
    // Compiled with this very executable's engine settings, so the first query after Grafana
    // starts the plugin compiles nothing.
    let mut precompile = Command::new(&exe);
    precompile
        .arg("precompile")
        .arg("--out")
        .arg(dist.join("precompiled"))
        .args(&shipped);
    run(precompile).context("precompiling the shipped modules")?;
    eprintln!("xtask: packaged {}", dist.display());
    Ok(exe)
}

/// Debug information and the symbol table stay out of dist/: Grafana operators download, scan
/// and sign that file, and the symbol table alone is about 10 MB. (The unstripped binary stays in
/// target/ for symbolizing crash reports.)
pub(crate) fn strip_debug_info(exe: &Path) -> anyhow::Result<()> {
    if !cfg!(target_os = "linux") {
        return Ok(());
    }
    let mut cmd = Command::new("strip");
    // `.debug_gdb_scripts` (rustc's pointer to its gdb pretty-printers) is not debug information
    // to strip, so strip keeps it; it is useless in a shipped plugin.
    cmd.args(["--strip-all", "--remove-section=.debug_gdb_scripts"])
        .arg(exe);
    run(cmd).context("stripping debug information (binutils' strip is needed)")?;
    let sections = elf_section_names(&std::fs::read(exe)?)?;
    if let Some(debug) = sections.iter().find(|s| s.starts_with(".debug")) {
        anyhow::bail!(
            "{} still has a {debug} section after stripping",
            exe.display()
        );
    }
    Ok(())
}

/// The largest executable dist/ may ship. Operators download, scan and sign it; the stripped
/// host is about 30 MB, so crossing this means a dependency or debug info crept back in.
pub(crate) const MAX_EXECUTABLE_BYTES: u64 = 40 * 1000 * 1000;

fn check_executable_size(exe: &Path) -> anyhow::Result<()> {
    let len = std::fs::metadata(exe)
        .with_context(|| format!("reading the size of {}", exe.display()))?
        .len();
    size_within_limit(len, MAX_EXECUTABLE_BYTES)
        .with_context(|| format!("{} is too large to ship", exe.display()))
}

/// Fails when `len` bytes exceed `limit`, naming both in MB.
fn size_within_limit(len: u64, limit: u64) -> anyhow::Result<()> {
    if len > limit {
        let mb = |b: u64| b as f64 / 1e6;
        anyhow::bail!(
            "the executable is {:.1} MB, over dist/'s limit of {:.0} MB",
            mb(len),
            mb(limit)
        );
    }
    Ok(())
}

/// The section names of a 64-bit little-endian ELF file.
pub(crate) fn elf_section_names(elf: &[u8]) -> anyhow::Result<Vec<String>> {
    let u16_at = |o: usize| elf.get(o..o + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let u32_at = |o: usize| {
        elf.get(o..o + 4)
            .map(|b| u32::from_le_bytes(b.try_into().unwrap()))
    };
    let u64_at = |o: usize| {
        elf.get(o..o + 8)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap()))
    };
    if elf.get(..5) != Some(b"\x7fELF\x02") {
        anyhow::bail!("not a 64-bit ELF file");
    }
    let bad = || anyhow::anyhow!("truncated ELF header");
    let shoff = u64_at(0x28).ok_or_else(bad)? as usize;
    let shentsize = u16_at(0x3A).ok_or_else(bad)? as usize;
    let shnum = u16_at(0x3C).ok_or_else(bad)? as usize;
    let shstrndx = u16_at(0x3E).ok_or_else(bad)? as usize;
    let section = |i: usize| shoff + i * shentsize;
    let strtab = u64_at(section(shstrndx) + 0x18).ok_or_else(bad)? as usize;
    let mut names = Vec::with_capacity(shnum);
    for i in 0..shnum {
        let name_off = u32_at(section(i)).ok_or_else(bad)? as usize;
        let start = strtab + name_off;
        let end = elf[start..]
            .iter()
            .position(|&b| b == 0)
            .map_or(elf.len(), |n| start + n);
        names.push(String::from_utf8_lossy(&elf[start..end]).into_owned());
    }
    Ok(names)
}

pub(crate) fn demo() -> anyhow::Result<()> {
    let exe = dist(true)?;
    let mut cmd = Command::new(&exe);
    cmd.args(["grafana", "--plugin"])
        .arg(&exe)
        .args([
            "--json-data",
            r#"{"module":"synthetic"}"#,
            "--uid",
            "demo",
            "--name",
            "Quarry demo",
        ])
        .args([
            "query",
            "--query",
            r#"{"scenario":"random_walk","seriesCount":2,"labels":{"env":"demo"}}"#,
        ])
        .args(["--from", "now-10m", "--to", "now", "--interval-ms", "60000"])
        .current_dir(project_root());
    run(cmd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_limit_admits_up_to_the_limit_and_refuses_beyond() {
        assert!(size_within_limit(0, MAX_EXECUTABLE_BYTES).is_ok());
        assert!(size_within_limit(MAX_EXECUTABLE_BYTES, MAX_EXECUTABLE_BYTES).is_ok());
        let err = size_within_limit(MAX_EXECUTABLE_BYTES + 1, MAX_EXECUTABLE_BYTES)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("40.0 MB, over dist/'s limit of 40 MB"),
            "{err}"
        );
        let err = size_within_limit(187_000_000, MAX_EXECUTABLE_BYTES)
            .unwrap_err()
            .to_string();
        assert!(err.contains("187.0 MB"), "{err}");
    }

    #[test]
    fn size_check_reads_the_file() {
        let dir = std::env::temp_dir().join(format!("xtask-size-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let small = dir.join("small");
        std::fs::write(&small, [0u8; 1024]).unwrap();
        assert!(check_executable_size(&small).is_ok());
        let missing = dir.join("missing");
        let err = format!("{:#}", check_executable_size(&missing).unwrap_err());
        assert!(err.contains("reading the size of"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
