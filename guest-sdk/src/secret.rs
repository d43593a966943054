//! [`SecretGrant`] and [`SecretUse`]: which of its datasource's secure settings a module wants,
//! and how, as [`Datasource::secure_settings`](crate::Datasource::secure_settings) declares them.

/// One secure setting (a key of the datasource's `secureJsonData`) a module declares, and how it
/// uses it.
///
/// Secrets a module does not declare never reach it, nor its HTTP requests. Prefer
/// [`bearer_token`](Self::bearer_token) and [`header`](Self::header): the host attaches the
/// credential to the module's HTTP requests to the datasource's allowed hosts, so the module never
/// holds the secret and cannot leak it anywhere else. Use [`read`](Self::read) only when the
/// module itself must compute with the value (to sign requests, say).
///
/// ```
/// use quarry_guest::{SecretGrant, SecretUse};
///
/// let grants = [
///     SecretGrant::bearer_token("apiKey"),
///     SecretGrant::header("tenantToken", "X-Tenant-Token"),
///     SecretGrant::read("signingKey"),
/// ];
/// assert_eq!(grants[0].key, "apiKey");
/// assert_eq!(grants[1].usage, SecretUse::Header("X-Tenant-Token".into()));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SecretGrant {
    /// The key in `secureJsonData`.
    pub key: String,
    /// How the module uses it (`use` in the contract).
    pub usage: SecretUse,
}

/// How a module uses one secure setting.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SecretUse {
    /// The module reads the value: it is in
    /// [`InstanceSettings::secure`](crate::InstanceSettings::secure).
    Read,
    /// The host sends `Authorization: Bearer <value>` on the module's HTTP requests to the
    /// datasource's allowed hosts. The module never sees the value.
    BearerToken,
    /// The host sends the value in this header on the module's HTTP requests to the datasource's
    /// allowed hosts. The module never sees the value.
    Header(String),
}

impl SecretGrant {
    /// The module reads secret `key` itself, from
    /// [`InstanceSettings::secure`](crate::InstanceSettings::secure).
    pub fn read(key: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            usage: SecretUse::Read,
        }
    }

    /// The host sends secret `key` as `Authorization: Bearer <value>` on the module's HTTP
    /// requests to the datasource's allowed hosts; the module never sees it.
    pub fn bearer_token(key: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            usage: SecretUse::BearerToken,
        }
    }

    /// The host sends secret `key` in header `header` on the module's HTTP requests to the
    /// datasource's allowed hosts; the module never sees it.
    pub fn header(key: impl Into<String>, header: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            usage: SecretUse::Header(header.into()),
        }
    }
}
