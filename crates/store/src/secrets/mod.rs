//! Secret storage behind one trait ([`SecretStore`]) with two backends chosen by configuration
//! ([`SecretsConfig`]): the embedded default ([`LocalSecretStore`], values encrypted at rest in the
//! database) and AWS Secrets Manager ([`AwsSecretStore`]).
//!
//! Values are [`SecretString`]s end to end: they never appear in `Debug` output, logs or errors.

mod aws;
mod key;
mod local;

pub use aws::AwsSecretStore;
pub use local::LocalSecretStore;

use crate::{Error, Result, Store};
use secrecy::SecretString;
use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

/// Where StackFlow keeps secrets such as the Okta API token.
///
/// Every method is one round trip to the backend; callers that need a value on every request
/// should cache it.
#[async_trait::async_trait]
pub trait SecretStore: Send + Sync {
    /// Stores `value` under `name`, replacing any previous value.
    async fn put(&self, name: &SecretName, value: &SecretString) -> Result<()>;
    /// The value stored under `name`, or `None` when there is none.
    async fn get(&self, name: &SecretName) -> Result<Option<SecretString>>;
    /// Removes `name` for good (no recovery window). Removing a missing secret is not an error.
    async fn delete(&self, name: &SecretName) -> Result<()>;
    /// Checks the backend answers (for readiness probes and `stackflow-admin`).
    async fn health(&self) -> Result<()>;
    /// One line saying which backend this is and where it keeps secrets (never key material).
    fn describe(&self) -> String;
}

/// The logical name of a secret, e.g. `okta/api-token`: lowercase `[a-z0-9-]` segments separated by
/// single `/`, at most [`SecretName::MAX_LEN`] characters. The same name is used by every backend
/// (the AWS backend prefixes it with the instance's prefix).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SecretName(Cow<'static, str>);

impl SecretName {
    /// The Okta management API token (SSWS) used by the Okta API client.
    pub const OKTA_API_TOKEN: SecretName = SecretName(Cow::Borrowed("okta/api-token"));
    /// The client secret of StackFlow's Okta OIDC application.
    pub const OKTA_OIDC_CLIENT_SECRET: SecretName = SecretName(Cow::Borrowed("okta/oidc-client-secret"));
    /// The longest accepted name, in characters.
    pub const MAX_LEN: usize = 128;

    /// Parses a name, refusing anything outside the allowed shape.
    pub fn parse(name: &str) -> Result<SecretName> {
        let invalid = |reason| Err(Error::SecretName { name: name.to_owned(), reason });
        if name.is_empty() {
            return invalid("it is empty");
        }
        if name.len() > Self::MAX_LEN {
            return invalid("it is longer than 128 characters");
        }
        if name.contains("..") {
            return invalid("it must not contain '..'");
        }
        if !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'/') {
            return invalid("only lowercase letters, digits, '-' and '/' are allowed");
        }
        if name.starts_with('/') || name.ends_with('/') || name.contains("//") {
            return invalid("segments between '/' must not be empty");
        }
        Ok(SecretName(Cow::Owned(name.to_owned())))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SecretName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for SecretName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for SecretName {
    type Err = Error;
    fn from_str(s: &str) -> Result<SecretName> {
        SecretName::parse(s)
    }
}

impl TryFrom<String> for SecretName {
    type Error = Error;
    fn try_from(s: String) -> Result<SecretName> {
        SecretName::parse(&s)
    }
}

/// Which secret backend to use, as configured (`[secrets]` with `backend = "local"` or `"aws"`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(tag = "backend", rename_all = "lowercase", deny_unknown_fields)]
pub enum SecretsConfig {
    /// Encrypted at rest in StackFlow's own database (the embedded default).
    Local {
        /// File holding the 32-byte key (64 hex digits). Created with mode 0600 on first use; an
        /// existing file readable or writable by group or others is refused.
        key_file: PathBuf,
        /// Environment variable holding the key instead (64 hex digits or base64 of 32 bytes). When
        /// set, `key_file` is not used. Needed when several replicas share one database.
        #[serde(default)]
        key_env: Option<String>,
    },
    /// AWS Secrets Manager.
    Aws {
        /// Prepended to every logical name to form the secret id, e.g. `stackflow/prod/`.
        prefix: String,
        /// AWS region, e.g. `eu-west-1`.
        region: String,
        /// Endpoint override (a VPC endpoint, or a local emulator in tests).
        #[serde(default)]
        endpoint_url: Option<String>,
    },
}

/// Default key file of the local backend, next to the default SQLite database.
pub const DEFAULT_KEY_FILE: &str = "stackflow-secrets.key";

impl Default for SecretsConfig {
    fn default() -> Self {
        SecretsConfig::Local { key_file: PathBuf::from(DEFAULT_KEY_FILE), key_env: None }
    }
}

/// Opens the configured backend. The local backend keeps its ciphertexts in `store`; opening it
/// loads (or, on first use, creates) its key, so a missing or unsafe key fails here, at start-up.
pub async fn open(config: &SecretsConfig, store: &Store) -> Result<Arc<dyn SecretStore>> {
    let secrets: Arc<dyn SecretStore> = match config {
        SecretsConfig::Local { key_file, key_env } => {
            Arc::new(LocalSecretStore::open(store.clone(), key_file, key_env.as_deref())?)
        }
        SecretsConfig::Aws { prefix, region, endpoint_url } => {
            Arc::new(AwsSecretStore::connect(prefix, region, endpoint_url.as_deref()).await?)
        }
    };
    tracing::info!(backend = %secrets.describe(), "secret store ready");
    Ok(secrets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, expected: std::result::Result<(), &str>) {
        match (SecretName::parse(name), expected) {
            (Ok(parsed), Ok(())) => {
                assert_eq!(parsed.as_str(), name);
                assert_eq!(parsed.to_string(), name);
            }
            (Err(err), Err(reason)) => {
                let message = err.to_string();
                assert!(message.contains(reason) && message.contains(name), "{name:?}: {message}");
            }
            (got, want) => panic!("{name:?}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn secret_names_are_validated() {
        check("okta/api-token", Ok(()));
        check("okta/oidc-client-secret", Ok(()));
        check("a", Ok(()));
        check("a1/b-2/c3", Ok(()));
        check(&"a".repeat(128), Ok(()));
        check(&"a".repeat(129), Err("longer than 128"));
        check("", Err("empty"));
        check("okta/../db", Err("'..'"));
        check("..", Err("'..'"));
        check("Okta/api-token", Err("lowercase"));
        check("okta/api_token", Err("lowercase"));
        check("okta/api token", Err("lowercase"));
        check("okta.api", Err("lowercase"));
        check("okta/api-token\n", Err("lowercase"));
        check("okta/é", Err("lowercase"));
        check("/okta", Err("empty"));
        check("okta/", Err("empty"));
        check("okta//api", Err("empty"));
    }

    #[test]
    fn well_known_names_are_valid() {
        for name in [SecretName::OKTA_API_TOKEN, SecretName::OKTA_OIDC_CLIENT_SECRET] {
            assert_eq!(SecretName::parse(name.as_str()).unwrap(), name);
            assert_eq!(name.as_str().parse::<SecretName>().unwrap(), name);
        }
    }

    #[test]
    fn config_deserializes_with_backend_tag_and_refuses_unknown_keys() {
        let local: SecretsConfig =
            serde_json::from_str(r#"{"backend":"local","key_file":"/etc/stackflow/key"}"#).unwrap();
        assert_eq!(local, SecretsConfig::Local { key_file: "/etc/stackflow/key".into(), key_env: None });
        let aws: SecretsConfig = serde_json::from_str(
            r#"{"backend":"aws","prefix":"stackflow/prod/","region":"eu-west-1","endpoint_url":"http://127.0.0.1:5000"}"#,
        )
        .unwrap();
        assert_eq!(
            aws,
            SecretsConfig::Aws {
                prefix: "stackflow/prod/".into(),
                region: "eu-west-1".into(),
                endpoint_url: Some("http://127.0.0.1:5000".into())
            }
        );
        let unknown = serde_json::from_str::<SecretsConfig>(r#"{"backend":"local","key_file":"k","keyfile":"x"}"#);
        assert!(unknown.is_err());
        assert!(serde_json::from_str::<SecretsConfig>(r#"{"backend":"vault"}"#).is_err());
        assert_eq!(SecretsConfig::default(), SecretsConfig::Local { key_file: DEFAULT_KEY_FILE.into(), key_env: None });
    }
}
