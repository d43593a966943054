//! Compiles `proto/` with protox (pure Rust), so building needs no `protoc` on the machine, and
//! lists the `quarry new` templates (`src/cli/templates/<lang>/…`) so a new language's template
//! is added by dropping its files in. Python and JavaScript projects also get the guest SDK and
//! the contract (`wit/`) this binary is built with, embedded here: those SDKs are on neither PyPI
//! nor npm, and componentize-js reads the SDK only from inside the project.

use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    templates()?;
    sdk_files()?;
    let files = ["backend.proto", "go_plugin.proto"];
    for f in files {
        println!("cargo:rerun-if-changed=../proto/{f}");
    }
    let fds = protox::compile(files, ["../proto"])?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_fds(fds)?;
    Ok(())
}

/// Writes `$OUT_DIR/templates.rs`: `&[(lang, &[(relative path, contents)])]`, every file of each
/// `src/cli/templates/<lang>/` directory embedded with `include_str!`.
fn templates() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/cli/templates");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut langs: Vec<PathBuf> = std::fs::read_dir(&root)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    langs.retain(|p| p.is_dir());
    langs.sort();
    let mut out = String::from("&[\n");
    for lang in langs {
        let mut files = Vec::new();
        collect(&lang, &mut files)?;
        files.sort();
        let name = lang.file_name().unwrap().to_string_lossy().into_owned();
        embed_group(&mut out, &name, &lang, &files)?;
    }
    out.push(']');
    let dest = PathBuf::from(std::env::var("OUT_DIR")?).join("templates.rs");
    std::fs::write(dest, out)?;
    Ok(())
}

/// Writes `$OUT_DIR/sdk_files.rs`: `&[(part, &[(relative path, contents)])]` for the parts
/// `quarry new` copies into Python and JS projects: `python` (the `quarry_guest` package and its
/// export shim), `js` (`build.mjs` and `src/`) and `wit` (the contract). Tests, READMEs, caches
/// and installed packages stay out.
fn sdk_files() -> Result<(), Box<dyn std::error::Error>> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let parts: [(&str, PathBuf, &[&str]); 3] = [
        (
            "python",
            repo.join("guest-sdk/python"),
            &["quarry_guest", "quarry_guest_exports.py"],
        ),
        ("js", repo.join("guest-sdk/js"), &["build.mjs", "src"]),
        ("wit", repo.join("wit"), &[""]),
    ];
    let mut out = String::from("&[\n");
    for (part, base, roots) in parts {
        let mut files = Vec::new();
        for root in roots {
            let path = base.join(root);
            if path.is_dir() {
                collect(&path, &mut files)?;
            } else {
                files.push(path);
            }
        }
        files.retain(|f| {
            let name = f.file_name().unwrap_or_default().to_string_lossy();
            !name.ends_with(".pyc") && !name.starts_with('.')
        });
        files.sort();
        // File by file, not the directories: Python writes __pycache__ beside the SDK's sources
        // (its unit tests, componentize-py), which must not rebuild the host. A new SDK file is
        // picked up with the next change to an existing one (its importer, say).
        for file in &files {
            println!("cargo:rerun-if-changed={}", file.display());
        }
        embed_group(&mut out, part, &base, &files)?;
    }
    out.push(']');
    let dest = PathBuf::from(std::env::var("OUT_DIR")?).join("sdk_files.rs");
    std::fs::write(dest, out)?;
    Ok(())
}

/// Appends `(name, &[(path relative to base, include_str!(file)), …]),` to the generated list.
fn embed_group(
    out: &mut String,
    name: &str,
    base: &Path,
    files: &[PathBuf],
) -> Result<(), Box<dyn std::error::Error>> {
    out.push_str(&format!("    ({name:?}, &[\n"));
    for file in files {
        let rel = file
            .strip_prefix(base)?
            .to_string_lossy()
            .replace('\\', "/");
        out.push_str(&format!(
            "        ({rel:?}, include_str!({:?})),\n",
            file.display().to_string()
        ));
    }
    out.push_str("    ]),\n");
    Ok(())
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if name == "__pycache__" || name == "node_modules" {
            continue;
        }
        if path.is_dir() {
            collect(&path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}
