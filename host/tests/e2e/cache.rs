//! The compiled-module cache, through the real executable: a restart with a warm cache compiles
//! nothing; a corrupt entry is rebuilt; an entry made by another engine configuration is never
//! used; a cache directory that cannot be written leaves the plugin working, with one warning.
//! Asserted on CollectMetrics counters, never on time.

use serde_json::json;

use super::harness::*;

async fn answer(p: &Plugin) {
    p.sibling_query("cached").await;
}

async fn counters(p: &Plugin) -> (f64, f64, f64) {
    let text = p.metrics().await;
    (
        module_metric(&text, "quarry_module_compiles_total", "synthetic"),
        module_metric(&text, "quarry_module_cache_hits_total", "synthetic"),
        module_metric(&text, "quarry_module_cache_rejects_total", "synthetic"),
    )
}

fn entries(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "cwasm"))
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn a_warm_restart_compiles_nothing_and_a_corrupt_entry_is_rebuilt() {
    let cache = tempfile::tempdir().unwrap();
    let dir = cache.path().display().to_string();
    let env = [("GF_PLUGIN_CACHE_DIR", dir.as_str())];

    let cold = Plugin::start_with_env(&env).await;
    answer(&cold).await;
    let (compiles, hits, _) = counters(&cold).await;
    assert_eq!((compiles, hits), (1.0, 0.0), "the first start compiles");
    drop(cold);
    assert!(
        !entries(cache.path()).is_empty(),
        "compiled modules were written"
    );

    let warm = Plugin::start_with_env(&env).await;
    answer(&warm).await;
    let (compiles, hits, rejects) = counters(&warm).await;
    assert_eq!(
        (compiles, hits, rejects),
        (0.0, 1.0, 0.0),
        "a warm restart compiles nothing"
    );
    drop(warm);

    // Truncate every entry: each is refused, rebuilt, and the query still succeeds.
    for e in entries(cache.path()) {
        let bytes = std::fs::read(&e).unwrap();
        std::fs::write(&e, &bytes[..bytes.len() / 2]).unwrap();
    }
    let repaired = Plugin::start_with_env(&env).await;
    answer(&repaired).await;
    let (compiles, hits, rejects) = counters(&repaired).await;
    assert_eq!(
        (compiles, hits, rejects),
        (1.0, 0.0, 1.0),
        "a corrupt entry is rebuilt"
    );
    assert!(repaired.logs().iter().any(|l| {
        l["@message"]
            .as_str()
            .is_some_and(|m| m.contains("cache entry refused"))
    }));
    drop(repaired);

    let again = Plugin::start_with_env(&env).await;
    answer(&again).await;
    assert_eq!(
        counters(&again).await,
        (0.0, 1.0, 0.0),
        "the rebuilt entry is good"
    );
}

#[tokio::test]
async fn entries_of_another_engine_configuration_are_never_used() {
    let cache = tempfile::tempdir().unwrap();
    let dir = cache.path().display().to_string();
    // Another Cranelift configuration: its entries have another engine key.
    let other = Plugin::start_with_env(&[
        ("GF_PLUGIN_CACHE_DIR", dir.as_str()),
        ("GF_PLUGIN_OPT_LEVEL", "none"),
    ])
    .await;
    answer(&other).await;
    drop(other);
    let foreign = entries(cache.path());

    let p = Plugin::start_with_env(&[("GF_PLUGIN_CACHE_DIR", dir.as_str())]).await;
    answer(&p).await;
    assert_eq!(
        counters(&p).await,
        (1.0, 0.0, 0.0),
        "another engine's entries are not looked at"
    );
    drop(p);

    // An entry written by another wasmtime release, under this engine's name and with a
    // matching digest, is still refused by wasmtime and rebuilt.
    for mine in entries(cache.path())
        .into_iter()
        .filter(|e| !foreign.contains(e))
    {
        let mut bytes = std::fs::read(&mine).unwrap();
        let (start, len) = elf_section(&bytes, ".wasmtime.engine").expect("an engine section");
        let version_len = usize::from(bytes[start + 1]);
        assert!(len > 2 + version_len);
        // The version string follows a format byte and its length: make it another release's.
        let first = &mut bytes[start + 2];
        *first = if *first == b'9' { b'1' } else { *first + 1 };
        std::fs::write(&mine, &bytes).unwrap();
        std::fs::write(
            mine.with_extension("cwasm.sha256"),
            quarry_host::runtime::sha256_hex(&bytes),
        )
        .unwrap();
    }
    let p = Plugin::start_with_env(&[("GF_PLUGIN_CACHE_DIR", dir.as_str())]).await;
    answer(&p).await;
    assert_eq!(
        counters(&p).await,
        (1.0, 0.0, 1.0),
        "a foreign entry is refused and rebuilt"
    );
    assert!(p.logs().iter().any(|l| {
        l["reason"]
            .as_str()
            .is_some_and(|m| m.contains("incompatible version"))
    }));
}

/// Offset and size of the named section of a 64-bit little-endian ELF file.
fn elf_section(elf: &[u8], name: &str) -> Option<(usize, usize)> {
    let u16_at = |o: usize| u16::from_le_bytes(elf[o..o + 2].try_into().unwrap()) as usize;
    let u32_at = |o: usize| u32::from_le_bytes(elf[o..o + 4].try_into().unwrap()) as usize;
    let u64_at = |o: usize| u64::from_le_bytes(elf[o..o + 8].try_into().unwrap()) as usize;
    let (shoff, size, count, names) = (u64_at(0x28), u16_at(0x3A), u16_at(0x3C), u16_at(0x3E));
    let header = |i: usize| shoff + i * size;
    let strtab = u64_at(header(names) + 0x18);
    (0..count).find_map(|i| {
        let h = header(i);
        let at = strtab + u32_at(h);
        let end = at + elf[at..].iter().position(|&b| b == 0)?;
        (&elf[at..end] == name.as_bytes()).then(|| (u64_at(h + 0x18), u64_at(h + 0x20)))
    })
}

#[tokio::test]
async fn an_unwritable_cache_directory_leaves_the_plugin_working() {
    let base = tempfile::tempdir().unwrap();
    // A directory under a regular file can never be created, whoever runs the test.
    let file = base.path().join("not-a-dir");
    std::fs::write(&file, b"").unwrap();
    let dir = file.join("cache").display().to_string();
    let p = Plugin::start_with_env(&[("GF_PLUGIN_CACHE_DIR", dir.as_str())]).await;
    answer(&p).await;
    let (compiles, _, _) = counters(&p).await;
    assert_eq!(compiles, 1.0);
    let warnings: Vec<_> = p
        .logs()
        .into_iter()
        .filter(|l| {
            l["@level"] == "warn"
                && l["@message"]
                    .as_str()
                    .is_some_and(|m| m.contains("cache directory is not writable"))
        })
        .collect();
    assert_eq!(warnings.len(), 1, "one warning: {warnings:?}");
    let h = p.health(synthetic_ctx("h")).await;
    assert_eq!(h.status, pb::check_health_response::HealthStatus::Ok as i32);
    let _ = json!({});
}
