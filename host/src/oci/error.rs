//! Why a module could not be had from a registry. Every variant names the reference, so a health
//! message or a CLI error says which module and what to fix; it is `Clone` because one failed pull
//! is reported to every datasource waiting on it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// An OCI pull, push or resolve failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum OciError {
    /// The reference is not `oci://<registry>/<repository>[:<tag>][@sha256:<hex>]`.
    #[error("{reference:?} is not a valid OCI reference: {reason}")]
    InvalidReference { reference: String, reason: String },
    /// The operator has not allowed this registry; nothing was sent to it.
    #[error(
        "{reference}: registry {registry} is not allowed: the plugin setting oci_allowed_registries (GF_PLUGIN_OCI_ALLOWED_REGISTRIES) {allowed}"
    )]
    NotAllowed {
        reference: String,
        registry: String,
        /// What the setting holds now, phrased for the message.
        allowed: String,
    },
    /// The registry refused the credentials (or their absence).
    #[error("{reference}: the registry refused access ({detail}): {hint}")]
    Unauthorized {
        reference: String,
        detail: String,
        hint: String,
    },
    /// The repository, tag or manifest does not exist.
    #[error("{reference}: not found in the registry: {what}")]
    NotFound { reference: String, what: String },
    /// Content did not hash to the digest that names it.
    #[error("{reference}: digest mismatch for {what}: expected {expected}, got {actual}")]
    DigestMismatch {
        reference: String,
        what: String,
        expected: String,
        actual: String,
    },
    /// The registry could not be reached (connection refused, DNS, TLS, reset).
    #[error("{reference}: registry {registry} is unreachable: {cause}")]
    Unreachable {
        reference: String,
        registry: String,
        cause: String,
    },
    /// The registry did not answer in time.
    #[error("{reference}: registry {registry} did not answer within {after:?} ({during})")]
    Timeout {
        reference: String,
        registry: String,
        during: String,
        after: Duration,
    },
    /// A manifest or module is larger than the host accepts.
    #[error("{reference}: the {what} is larger than {limit} bytes{hint}")]
    TooLarge {
        reference: String,
        what: String,
        limit: u64,
        /// How to raise the limit, when the operator can.
        hint: String,
    },
    /// The artifact is not a Wasm module in a layout Quarry reads.
    #[error("{reference}: not a Wasm module artifact: {reason}")]
    BadArtifact { reference: String, reason: String },
    /// The registry answered something the protocol does not allow here.
    #[error("{reference}: registry error: {detail}")]
    Registry { reference: String, detail: String },
    /// The local store could not be read or written.
    #[error("{reference}: the OCI store at {} failed: {source}", path.display())]
    Store {
        reference: String,
        path: PathBuf,
        #[source]
        source: Arc<std::io::Error>,
    },
    /// The module file to push could not be read or is not Wasm.
    #[error("{}: {reason}", path.display())]
    File { path: PathBuf, reason: String },
}

impl OciError {
    pub(crate) fn store(
        reference: impl ToString,
        path: &std::path::Path,
        e: std::io::Error,
    ) -> Self {
        OciError::Store {
            reference: reference.to_string(),
            path: path.to_path_buf(),
            source: Arc::new(e),
        }
    }
}
