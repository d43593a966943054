//! Compiles `proto/` with protox (pure Rust), so building needs no `protoc` on the machine, and
//! lists the `quarry new` templates (`src/cli/templates/<lang>/…`) so a new language's template
//! is added by dropping its files in.

use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    templates()?;
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
        out.push_str(&format!("    ({name:?}, &[\n"));
        for file in files {
            let rel = file
                .strip_prefix(&lang)?
                .to_string_lossy()
                .replace('\\', "/");
            out.push_str(&format!(
                "        ({rel:?}, include_str!({:?})),\n",
                file.display().to_string()
            ));
        }
        out.push_str("    ]),\n");
    }
    out.push(']');
    let dest = PathBuf::from(std::env::var("OUT_DIR")?).join("templates.rs");
    std::fs::write(dest, out)?;
    Ok(())
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}
