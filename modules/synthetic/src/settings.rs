//! The module's `jsonData` settings.

use serde::Deserialize;

/// The keys of `jsonData` this module reads (`module` is the host's; unknown keys are ignored).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Settings {
    /// Frame names are `<series_prefix>-<i>`.
    pub(crate) series_prefix: String,
    /// Health checks answer ERROR.
    pub(crate) health_fail: bool,
    /// Instance creation fails.
    pub(crate) fail_create: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            series_prefix: "series".into(),
            health_fail: false,
            fail_create: false,
        }
    }
}
