//! The CNCF "Wasm OCI artifact" layout: an image manifest whose config has media type
//! `application/vnd.wasm.config.v0+json` and whose one layer, `application/wasm`, is the
//! component. What a registry returns is checked here before anything is downloaded: one wasm
//! layer, a sha256 digest, a size within the limit. A manifest of another config type with a
//! single `application/wasm` layer (what `oras push file.wasm:application/wasm` makes) is read too.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::reference::check_digest;

pub const WASM_CONFIG_MEDIA_TYPE: &str = "application/vnd.wasm.config.v0+json";
pub const WASM_LAYER_MEDIA_TYPE: &str = "application/wasm";
pub(crate) const OCI_MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
pub(crate) const DOCKER_MANIFEST_MEDIA_TYPE: &str =
    "application/vnd.docker.distribution.manifest.v2+json";
pub(crate) const OCI_INDEX_MEDIA_TYPE: &str = "application/vnd.oci.image.index.v1+json";
pub(crate) const DOCKER_LIST_MEDIA_TYPE: &str =
    "application/vnd.docker.distribution.manifest.list.v2+json";
/// The annotation that names a layer's file (oras writes the layer to this name on pull).
pub(crate) const TITLE_ANNOTATION: &str = "org.opencontainers.image.title";

/// What a manifest request accepts: image manifests, and indexes only to refuse them clearly.
pub(crate) const MANIFEST_ACCEPT: &[&str] = &[
    OCI_MANIFEST_MEDIA_TYPE,
    DOCKER_MANIFEST_MEDIA_TYPE,
    OCI_INDEX_MEDIA_TYPE,
    DOCKER_LIST_MEDIA_TYPE,
];

/// The largest manifest read: the distribution spec asks registries to accept at least 4 MiB, so
/// no honest wasm manifest is bigger.
pub(crate) const MAX_MANIFEST_BYTES: u64 = 4 << 20;

/// A content descriptor in a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Descriptor {
    pub(crate) media_type: String,
    pub(crate) digest: String,
    pub(crate) size: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) annotations: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawManifest {
    schema_version: Option<i64>,
    media_type: Option<String>,
    config: Option<Descriptor>,
    layers: Option<Vec<Descriptor>>,
    manifests: Option<serde_json::Value>,
}

/// The one wasm layer of a manifest Quarry accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WasmLayer {
    pub(crate) digest: String,
    pub(crate) size: u64,
}

/// Checks a manifest's bytes and picks its wasm layer.
///
/// # Errors
/// A reason fit for [`super::OciError::BadArtifact`] or, for a layer over `max_module_bytes`,
/// [`LayoutError::TooLarge`].
pub(crate) fn wasm_layer(manifest: &[u8], max_module_bytes: u64) -> Result<WasmLayer, LayoutError> {
    let raw: RawManifest = serde_json::from_slice(manifest).map_err(|e| {
        LayoutError::Bad(format!(
            "the manifest cannot be read as an OCI manifest: {e}"
        ))
    })?;
    let media_type = raw.media_type.as_deref().unwrap_or(OCI_MANIFEST_MEDIA_TYPE);
    if raw.manifests.is_some()
        || media_type == OCI_INDEX_MEDIA_TYPE
        || media_type == DOCKER_LIST_MEDIA_TYPE
    {
        return Err(LayoutError::Bad(
            "it is an image index (several manifests, e.g. per platform); point the reference at a single Wasm manifest".into(),
        ));
    }
    if media_type != OCI_MANIFEST_MEDIA_TYPE && media_type != DOCKER_MANIFEST_MEDIA_TYPE {
        return Err(LayoutError::Bad(format!(
            "the manifest media type {media_type:?} is not an image manifest"
        )));
    }
    if raw.schema_version != Some(2) {
        return Err(LayoutError::Bad(format!(
            "the manifest schemaVersion is {:?}, not 2",
            raw.schema_version
        )));
    }
    if raw.config.is_none() {
        return Err(LayoutError::Bad("the manifest has no config".into()));
    }
    let layers = raw.layers.unwrap_or_default();
    let [layer] = layers.as_slice() else {
        let types: Vec<&str> = layers.iter().map(|l| l.media_type.as_str()).collect();
        return Err(LayoutError::Bad(format!(
            "it has {} layers ({}); a module artifact has exactly one, of type {WASM_LAYER_MEDIA_TYPE}",
            layers.len(),
            if types.is_empty() {
                "none".to_string()
            } else {
                types.join(", ")
            }
        )));
    };
    if layer.media_type != WASM_LAYER_MEDIA_TYPE {
        return Err(LayoutError::Bad(format!(
            "its layer has media type {:?}, which Quarry does not read: a module layer is {WASM_LAYER_MEDIA_TYPE}",
            layer.media_type
        )));
    }
    check_digest(&layer.digest)
        .map_err(|reason| LayoutError::Bad(format!("its wasm layer: {reason}")))?;
    let size = u64::try_from(layer.size)
        .map_err(|_| LayoutError::Bad(format!("its wasm layer has size {}", layer.size)))?;
    if size > max_module_bytes {
        return Err(LayoutError::TooLarge { size });
    }
    Ok(WasmLayer {
        digest: layer.digest.clone(),
        size,
    })
}

/// Why a manifest is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LayoutError {
    Bad(String),
    /// The wasm layer declares more bytes than the host accepts.
    TooLarge {
        size: u64,
    },
}

/// The config and manifest `quarry push` writes for a module: the CNCF layout, deterministic
/// (no timestamp), so pushing the same file twice gives the same digest.
pub(crate) struct PushArtifact {
    pub(crate) config: Vec<u8>,
    pub(crate) manifest: Vec<u8>,
}

/// Builds the config and manifest for `wasm` (already checked to be Wasm), named `title`.
pub(crate) fn push_artifact(wasm: &[u8], layer_digest: &str, title: &str) -> PushArtifact {
    // A component's version field is 0x0d; a core module's is 1 (WASI preview 1 at best).
    let os = if wasm.get(4..8) == Some(&[0x0d, 0x00, 0x01, 0x00]) {
        "wasip2"
    } else {
        "wasip1"
    };
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "wasm",
        "os": os,
        "layerDigests": [layer_digest],
    }))
    .expect("a JSON value serializes");
    let config_descriptor = Descriptor {
        media_type: WASM_CONFIG_MEDIA_TYPE.into(),
        digest: super::store::sha256_digest(&config),
        size: config.len() as i64,
        annotations: None,
    };
    let layer = Descriptor {
        media_type: WASM_LAYER_MEDIA_TYPE.into(),
        digest: layer_digest.into(),
        size: wasm.len() as i64,
        annotations: Some([(TITLE_ANNOTATION.to_string(), title.to_string())].into()),
    };
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST_MEDIA_TYPE,
        "config": config_descriptor,
        "layers": [layer],
    }))
    .expect("a JSON value serializes");
    PushArtifact { config, manifest }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(n: u8) -> String {
        format!("sha256:{}", format!("{n:02x}").repeat(32))
    }

    fn manifest(config_type: &str, layers: &[(&str, i64)]) -> Vec<u8> {
        let layers: Vec<_> = layers
            .iter()
            .map(|(t, size)| serde_json::json!({"mediaType": t, "digest": digest(2), "size": size}))
            .collect();
        serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST_MEDIA_TYPE,
            "config": {"mediaType": config_type, "digest": digest(1), "size": 2},
            "layers": layers,
        }))
        .unwrap()
    }

    #[test]
    fn the_wasm_layout_and_a_single_wasm_layer_are_read() {
        for config in [WASM_CONFIG_MEDIA_TYPE, "application/vnd.oci.empty.v1+json"] {
            let l = wasm_layer(&manifest(config, &[(WASM_LAYER_MEDIA_TYPE, 10)]), 100).unwrap();
            assert_eq!(l.digest, digest(2));
            assert_eq!(l.size, 10);
        }
    }

    #[test]
    fn other_shapes_are_refused_with_the_reason() {
        let bad = |m: &[u8], says: &str| match wasm_layer(m, 100) {
            Err(LayoutError::Bad(reason)) => assert!(reason.contains(says), "{reason}"),
            other => panic!("{other:?}"),
        };
        bad(
            &manifest(
                WASM_CONFIG_MEDIA_TYPE,
                &[("application/vnd.oci.image.layer.v1.tar+gzip", 10)],
            ),
            "tar+gzip",
        );
        bad(
            &manifest(
                WASM_CONFIG_MEDIA_TYPE,
                &[(WASM_LAYER_MEDIA_TYPE, 1), (WASM_LAYER_MEDIA_TYPE, 1)],
            ),
            "2 layers",
        );
        bad(&manifest(WASM_CONFIG_MEDIA_TYPE, &[]), "0 layers (none)");
        bad(br#"{"schemaVersion":2,"manifests":[]}"#, "image index");
        bad(b"not json", "cannot be read");
        bad(
            br#"{"schemaVersion":1,"config":{},"layers":[]}"#,
            "missing field",
        );
        bad(
            &manifest(WASM_CONFIG_MEDIA_TYPE, &[(WASM_LAYER_MEDIA_TYPE, -1)]),
            "size -1",
        );
        assert_eq!(
            wasm_layer(
                &manifest(WASM_CONFIG_MEDIA_TYPE, &[(WASM_LAYER_MEDIA_TYPE, 101)]),
                100
            ),
            Err(LayoutError::TooLarge { size: 101 })
        );
    }

    #[test]
    fn pushed_artifacts_follow_the_layout_and_read_back() {
        let wasm = b"\0asm\x0d\0\x01\0rest";
        let layer_digest = super::super::store::sha256_digest(wasm);
        let a = push_artifact(wasm, &layer_digest, "m.wasm");
        let l = wasm_layer(&a.manifest, 100).unwrap();
        assert_eq!(l.digest, layer_digest);
        let config: serde_json::Value = serde_json::from_slice(&a.config).unwrap();
        assert_eq!(config["os"], "wasip2");
        assert_eq!(config["layerDigests"][0], layer_digest.as_str());
        let m: serde_json::Value = serde_json::from_slice(&a.manifest).unwrap();
        assert_eq!(m["config"]["mediaType"], WASM_CONFIG_MEDIA_TYPE);
        assert_eq!(m["layers"][0]["annotations"][TITLE_ANNOTATION], "m.wasm");
        assert_eq!(
            push_artifact(wasm, &layer_digest, "m.wasm").manifest,
            a.manifest,
            "deterministic"
        );
    }
}
