//! What to do about the mistakes module authors make first: a `.wasm` that is not where they
//! look (a wrong `crate-type` builds none), a name Cargo wrote with underscores, a core module
//! instead of a component, a component that exports nothing, a frame the host refuses.

use std::path::{Path, PathBuf};

use quarry_host::runtime::{GuestError, ModuleError};

/// Checks that `module` is a file before anything loads it, and says what to do when it is not.
pub(crate) fn check_module_file(module: &Path) -> anyhow::Result<()> {
    if module.is_file() {
        return Ok(());
    }
    let mut message = format!("{} does not exist", module.display());
    if let Some(sibling) = swapped_separator(module) {
        message.push_str(&format!(
            ". {} does: Cargo writes the crate name with underscores; use that path, or copy it \
             under the module name datasources use (`quarry dev` installs <module.name>.wasm \
             from quarry.toml)",
            sibling.display()
        ));
    } else if let Some(rlib) = cargo_built_rlib(module) {
        message.push_str(&format!(
            ". Cargo built {} but no .wasm: a module's Cargo.toml needs\n\n    [lib]\n    \
             crate-type = [\"cdylib\"]\n\nand its code quarry_guest::export!(YourType); then \
             build again with --target wasm32-wasip2",
            rlib.display()
        ));
    } else if module.components().any(|c| c.as_os_str() == "target") {
        message.push_str(
            ". If `cargo build --target wasm32-wasip2` ran without errors and wrote no .wasm, the \
             crate is not a cdylib: add [lib] crate-type = [\"cdylib\"] to its Cargo.toml",
        );
    }
    anyhow::bail!(message)
}

/// `a_b.wasm` for `a-b.wasm` and the other way round, when only that one exists.
fn swapped_separator(module: &Path) -> Option<PathBuf> {
    let name = module.file_name()?.to_str()?;
    let swapped = if name.contains('-') {
        name.replace('-', "_")
    } else {
        name.replace('_', "-")
    };
    let sibling = module.with_file_name(swapped);
    (sibling != module && sibling.is_file()).then_some(sibling)
}

/// `lib<stem>.rlib` beside a missing `<stem>.wasm` in a Cargo target directory.
fn cargo_built_rlib(module: &Path) -> Option<PathBuf> {
    let stem = module.file_stem()?.to_str()?.replace('-', "_");
    let rlib = module.with_file_name(format!("lib{stem}.rlib"));
    rlib.is_file().then_some(rlib)
}

/// The error of loading a module, with what to do about it.
pub(crate) fn module_error(err: ModuleError) -> anyhow::Error {
    let hint = match &err {
        ModuleError::Compile { reason, .. } if reason.contains("core WebAssembly module") => Some(
            "a module is a component: build the crate (with crate-type = [\"cdylib\"] and \
             quarry_guest::export!(YourType)) with `cargo build --release --target wasm32-wasip2`",
        ),
        ModuleError::NoContract { exports, .. } if exports == "none" => Some(
            "the component exports nothing: call quarry_guest::export!(YourType) once in the \
             crate (and keep crate-type = [\"cdylib\"])",
        ),
        ModuleError::NoContract { exports, .. } if exports.contains("wasi:cli/run") => Some(
            "this is a program (a bin crate with main), not a module: make it a library with \
             [lib] crate-type = [\"cdylib\"] and quarry_guest::export!(YourType)",
        ),
        _ => None,
    };
    match hint {
        Some(hint) => anyhow::anyhow!("{err}\n\nhint: {hint}"),
        None => err.into(),
    }
}

/// The error of a module call, with what to do when it is the module's bug.
pub(crate) fn call_error(err: GuestError) -> anyhow::Error {
    match &err {
        GuestError::InvalidOutput { .. } => anyhow::anyhow!(
            "{err}\n\nhint: the host refuses what Grafana would; fix the module. In a native unit \
             test, frame.validate() (quarry-guest) reports this with the field to fix"
        ),
        _ => err.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_files_say_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let release = dir.path().join("target/wasm32-wasip2/release");
        std::fs::create_dir_all(&release).unwrap();

        std::fs::write(release.join("libcsv_http.rlib"), b"").unwrap();
        let err = check_module_file(&release.join("csv_http.wasm")).unwrap_err();
        assert!(err.to_string().contains("Cargo built"), "{err}");
        assert!(
            err.to_string().contains("crate-type = [\"cdylib\"]"),
            "{err}"
        );

        std::fs::write(release.join("my_mod.wasm"), b"").unwrap();
        let err = check_module_file(&release.join("my-mod.wasm")).unwrap_err();
        assert!(err.to_string().contains("my_mod.wasm does"), "{err}");
        assert!(err.to_string().contains("underscores"), "{err}");

        let err = check_module_file(&release.join("other.wasm")).unwrap_err();
        assert!(err.to_string().contains("not a cdylib"), "{err}");

        let err = check_module_file(&dir.path().join("x.wasm")).unwrap_err();
        assert!(err.to_string().ends_with("x.wasm does not exist"), "{err}");
        check_module_file(&release.join("my_mod.wasm")).unwrap();
    }
}
