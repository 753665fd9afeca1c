//! Layered configuration: built-in defaults → optional `stackflow.toml` (or the file named by
//! `STACKFLOW_CONFIG`) → `STACKFLOW__SECTION__KEY` environment variables. Unknown keys are refused.
//! The raw, file-shaped form is validated into the runtime [`Config`]. The admin CLI reads the same.

use anyhow::{bail, Context};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use store::secrets::{SecretsConfig, DEFAULT_KEY_FILE};

/// Default SQLite database: a file in the working directory, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://stackflow.db?mode=rwc";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    server: RawServer,
    database: RawDatabase,
    log: RawLog,
    #[serde(default)]
    cognito: Option<RawCognito>,
    #[serde(default)]
    secrets: RawSecrets,
    #[serde(default)]
    okta: RawOkta,
    #[serde(default)]
    admin: RawAdmin,
    #[serde(default)]
    sso: RawSso,
}

/// `[sso]`: the Okta sign-in bridge. The OIDC client ID and secret come from the Integration Hub.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSso {
    issuer_url: Option<String>,
    cognito_app_client_id: Option<String>,
    state_ttl_seconds: Option<u64>,
    cognito_strategy: Option<String>,
    assertion_key_file: Option<PathBuf>,
    token_rate_per_minute: Option<u32>,
    token_burst: Option<u32>,
    post_logout_redirect_uri: Option<String>,
}

/// How the bridge obtains a signed-in user's Cognito tokens (`sso.cognito_strategy`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum CognitoStrategy {
    /// `admin_password` (default): a fresh random password per sign-in, then
    /// `ADMIN_USER_PASSWORD_AUTH` — for emulators and pools without Lambda triggers.
    #[default]
    AdminPassword,
    /// `custom_auth` (production): `CUSTOM_AUTH` answered with an assertion signed by this key, read
    /// from `sso.assertion_key_file` (docs/cognito-custom-auth.md).
    CustomAuth(sso_bridge::custom_auth::AssertionKey),
}

/// The Okta sign-in bridge's configuration (`[sso]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoConfig {
    /// `sso.issuer_url`: the OIDC issuer instead of `https://<okta domain>` (a custom authorization
    /// server such as `https://org.okta.com/oauth2/default`, or an emulator in tests).
    pub issuer_url: Option<String>,
    /// `sso.cognito_app_client_id`: the Cognito app client tokens are issued through (no secret; it
    /// must allow `ALLOW_ADMIN_USER_PASSWORD_AUTH`, or `ALLOW_CUSTOM_AUTH` with `custom_auth`).
    /// `None`: sign-in answers 503.
    pub cognito_app_client_id: Option<String>,
    /// `sso.state_ttl_seconds`: how long a started sign-in may take (default 600 s).
    pub state_ttl: Duration,
    /// `sso.cognito_strategy` (and `sso.assertion_key_file`): how Cognito tokens are obtained.
    pub cognito_strategy: CognitoStrategy,
    /// `sso.token_rate_per_minute`: token exchanges (`POST /auth/okta/token`) allowed per client
    /// address and minute, refilled continuously (default 60).
    pub token_rate_per_minute: u32,
    /// `sso.token_burst`: how many exchanges a client may make at once before the rate applies
    /// (default 20).
    pub token_burst: u32,
    /// `sso.post_logout_redirect_uri`: where Okta sends the browser after `/auth/okta/logout`; it must
    /// be registered as a sign-out redirect URI of the Okta app. `None`: `<public_base_url>/`.
    pub post_logout_redirect_uri: Option<String>,
}

impl Default for SsoConfig {
    fn default() -> Self {
        SsoConfig {
            issuer_url: None,
            cognito_app_client_id: None,
            state_ttl: Duration::from_secs(600),
            cognito_strategy: CognitoStrategy::AdminPassword,
            token_rate_per_minute: 60,
            token_burst: 20,
            post_logout_redirect_uri: None,
        }
    }
}

fn sso_config(raw: RawSso) -> anyhow::Result<SsoConfig> {
    if let Some(url) = &raw.issuer_url {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            bail!("sso.issuer_url '{url}' must start with http:// or https://");
        }
    }
    let state_ttl = match raw.state_ttl_seconds {
        Some(0) => bail!("sso.state_ttl_seconds must be at least 1"),
        Some(s) => Duration::from_secs(s),
        None => SsoConfig::default().state_ttl,
    };
    let cognito_strategy = match (raw.cognito_strategy.as_deref().unwrap_or("admin_password"), raw.assertion_key_file) {
        ("admin_password", None) => CognitoStrategy::AdminPassword,
        ("admin_password", Some(_)) => {
            bail!("sso.assertion_key_file applies to sso.cognito_strategy = \"custom_auth\" only")
        }
        ("custom_auth", None) => bail!(
            "sso.cognito_strategy = \"custom_auth\" needs sso.assertion_key_file: an EC P-256 or RSA private key \
             in PEM whose public key the pool's auth-challenge triggers verify with (docs/cognito-custom-auth.md)"
        ),
        ("custom_auth", Some(file)) => CognitoStrategy::CustomAuth(
            sso_bridge::custom_auth::AssertionKey::from_file(&file).context("sso.assertion_key_file")?,
        ),
        (other, _) => bail!("sso.cognito_strategy '{other}' must be 'admin_password' or 'custom_auth'"),
    };
    let defaults = SsoConfig::default();
    if raw.token_rate_per_minute == Some(0) || raw.token_burst == Some(0) {
        bail!("sso.token_rate_per_minute and sso.token_burst must be at least 1");
    }
    if let Some(url) = &raw.post_logout_redirect_uri {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            bail!("sso.post_logout_redirect_uri '{url}' must start with http:// or https://");
        }
    }
    Ok(SsoConfig {
        issuer_url: raw.issuer_url.map(|u| u.trim_end_matches('/').to_owned()),
        cognito_app_client_id: raw.cognito_app_client_id.filter(|c| !c.trim().is_empty()),
        state_ttl,
        cognito_strategy,
        token_rate_per_minute: raw.token_rate_per_minute.unwrap_or(defaults.token_rate_per_minute),
        token_burst: raw.token_burst.unwrap_or(defaults.token_burst),
        post_logout_redirect_uri: raw.post_logout_redirect_uri,
    })
}

/// `[secrets]`: flat, so one key can be set from the environment alone
/// (`STACKFLOW__SECRETS__BACKEND=aws`); validated into a [`SecretsConfig`].
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSecrets {
    backend: Option<String>,
    key_file: Option<PathBuf>,
    key_env: Option<String>,
    prefix: Option<String>,
    region: Option<String>,
    endpoint_url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOkta {
    base_url_override: Option<String>,
    timeout_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAdmin {
    bootstrap_token: Option<SecretString>,
    bootstrap_token_file: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    bind: String,
    public_base_url: Option<String>,
    #[serde(default)]
    group_patch_response: provider::GroupPatchResponse,
    body_limit: u64,
    workers: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDatabase {
    url: SecretString,
    max_connections: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLog {
    level: String,
    format: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCognito {
    user_pool_id: String,
    region: String,
    endpoint_url: Option<String>,
    rate_limit: Option<f64>,
    max_attempts: Option<u32>,
    retry_max_seconds: Option<u64>,
    lease_seconds: Option<u64>,
}

/// The Cognito mirror's configuration (`[cognito]`; absent = mirror off).
#[derive(Debug, Clone, PartialEq)]
pub struct CognitoSettings {
    /// The user pool, its region and endpoint.
    pub pool: sso_bridge::cognito::CognitoConfig,
    /// Cognito calls per second, at most (default 10).
    pub rate_limit: f64,
    /// Delivery attempts before an outbox record is dead (default 10).
    pub max_attempts: u32,
    /// Longest delay between two delivery attempts (default 300 s).
    pub retry_max: std::time::Duration,
    /// How long a worker's claim on outbox records holds (default 60 s): after it, a crashed
    /// worker's records are claimable again, and a live worker stops delivering a batch whose claim
    /// is half gone.
    pub lease: std::time::Duration,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The validated runtime configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on.
    pub bind: SocketAddr,
    /// What `PATCH /Groups/{id}` answers with (`full`, `without_members`, `no_content`).
    pub group_patch_response: provider::GroupPatchResponse,
    /// Public base URL of the service (no trailing slash), e.g. `https://sf.example.com`.
    pub public_base_url: String,
    /// Largest accepted request body in bytes.
    pub body_limit: usize,
    /// HTTP worker threads (default: one per core).
    pub workers: Option<usize>,
    /// Database URL (may contain a password: redacted in Debug).
    pub database_url: SecretString,
    /// Database pool size (default: 4 on SQLite, 16 on PostgreSQL).
    pub max_connections: Option<u32>,
    /// Log filter (`RUST_LOG` syntax), e.g. `info`.
    pub log_level: String,
    /// Log format.
    pub log_format: LogFormat,
    /// The Cognito mirror (`None`: off).
    pub cognito: Option<CognitoSettings>,
    /// Where secrets (the Okta API token, the OIDC client secret) are kept (`[secrets]`).
    pub secrets: SecretsConfig,
    /// `okta.base_url_override`: calls Okta here instead of `https://<domain>` (tests, emulators).
    pub okta_base_url_override: Option<String>,
    /// `okta.timeout_ms`: timeout of each outbound Okta call (default 5 s).
    pub okta_timeout: Duration,
    /// The admin API's bootstrap token (`admin.bootstrap_token_file` or
    /// `STACKFLOW__ADMIN__BOOTSTRAP_TOKEN`); `None`: the admin API is disabled.
    pub admin_bootstrap_token: Option<SecretString>,
    /// The Okta sign-in bridge (`[sso]`).
    pub sso: SsoConfig,
}

impl Config {
    /// Loads the layered configuration; `file` overrides the default file location.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        let path: PathBuf = match file {
            Some(p) => p.to_owned(),
            None => std::env::var_os("STACKFLOW_CONFIG").map(PathBuf::from).unwrap_or_else(|| "stackflow.toml".into()),
        };
        let explicit = file.is_some() || std::env::var_os("STACKFLOW_CONFIG").is_some();
        if explicit && !path.exists() {
            bail!("configuration file {} does not exist", path.display());
        }
        let raw: RawConfig = config::Config::builder()
            .set_default("server.bind", "127.0.0.1:8080")?
            .set_default("server.body_limit", 1024 * 1024)?
            .set_default("database.url", DEFAULT_DATABASE_URL)?
            .set_default("log.level", "info")?
            .set_default("log.format", "text")?
            .add_source(config::File::from(path.as_path()).format(config::FileFormat::Toml).required(false))
            .add_source(
                config::Environment::with_prefix("STACKFLOW").prefix_separator("__").separator("__").try_parsing(true),
            )
            .build()
            .with_context(|| format!("reading configuration ({} and STACKFLOW__* variables)", path.display()))?
            .try_deserialize()
            .with_context(|| format!("invalid configuration ({} and STACKFLOW__* variables)", path.display()))?;
        Config::validate(raw)
    }

    fn validate(raw: RawConfig) -> anyhow::Result<Config> {
        let bind: SocketAddr =
            raw.server.bind.parse().with_context(|| {
                format!("server.bind '{}' is not an address such as 127.0.0.1:8080", raw.server.bind)
            })?;
        let public_base_url = match raw.server.public_base_url {
            Some(url) => {
                let url = url.trim_end_matches('/').to_owned();
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    bail!("server.public_base_url '{url}' must start with http:// or https://");
                }
                url
            }
            None => format!("http://{bind}"),
        };
        if raw.server.body_limit < 1024 {
            bail!("server.body_limit {} is too small (at least 1024 bytes)", raw.server.body_limit);
        }
        let log_format = match raw.log.format.as_str() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => bail!("log.format '{other}' must be 'text' or 'json'"),
        };
        let url = raw.database.url.expose_secret();
        if !(url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            bail!("database.url must start with sqlite: or postgres://");
        }
        let cognito = match raw.cognito {
            None => None,
            Some(c) => {
                if c.user_pool_id.trim().is_empty() || c.region.trim().is_empty() {
                    bail!("cognito.user_pool_id and cognito.region are required when [cognito] is present");
                }
                let rate_limit = c.rate_limit.unwrap_or(10.0);
                if !(rate_limit.is_finite() && rate_limit > 0.0) {
                    bail!("cognito.rate_limit {rate_limit} must be a positive number of requests per second");
                }
                let max_attempts = c.max_attempts.unwrap_or(10);
                if max_attempts == 0 {
                    bail!("cognito.max_attempts must be at least 1");
                }
                let lease = match c.lease_seconds {
                    Some(0) => bail!("cognito.lease_seconds must be at least 1"),
                    Some(s) => std::time::Duration::from_secs(s),
                    None => std::time::Duration::from_secs(60),
                };
                if let Some(url) = &c.endpoint_url {
                    if !(url.starts_with("http://") || url.starts_with("https://")) {
                        bail!("cognito.endpoint_url '{url}' must start with http:// or https://");
                    }
                }
                Some(CognitoSettings {
                    pool: sso_bridge::cognito::CognitoConfig {
                        user_pool_id: c.user_pool_id,
                        region: c.region,
                        endpoint_url: c.endpoint_url,
                    },
                    rate_limit,
                    max_attempts,
                    retry_max: std::time::Duration::from_secs(c.retry_max_seconds.unwrap_or(300).max(1)),
                    lease,
                })
            }
        };
        let secrets = secrets_config(raw.secrets, raw.database.url.expose_secret())?;
        let (okta_base_url_override, okta_timeout) = okta_options(raw.okta)?;
        let admin_bootstrap_token = bootstrap_token(raw.admin)?;
        let sso = sso_config(raw.sso)?;
        Ok(Config {
            bind,
            group_patch_response: raw.server.group_patch_response,
            public_base_url,
            body_limit: usize::try_from(raw.server.body_limit).unwrap_or(usize::MAX),
            workers: raw.server.workers,
            database_url: raw.database.url,
            max_connections: raw.database.max_connections.map(|n| n.max(1)),
            log_level: raw.log.level,
            log_format,
            cognito,
            secrets,
            okta_base_url_override,
            okta_timeout,
            admin_bootstrap_token,
            sso,
        })
    }

    /// A configuration for tests: port 0 on loopback, an in-memory SQLite database.
    pub fn for_test() -> Config {
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            group_patch_response: provider::GroupPatchResponse::default(),
            public_base_url: "http://127.0.0.1".into(),
            body_limit: 1024 * 1024,
            workers: Some(1),
            database_url: SecretString::from("sqlite::memory:"),
            max_connections: Some(4),
            log_level: "warn".into(),
            log_format: LogFormat::Text,
            cognito: None,
            secrets: SecretsConfig::default(),
            okta_base_url_override: None,
            okta_timeout: sso_bridge::okta::DEFAULT_TIMEOUT,
            admin_bootstrap_token: None,
            sso: SsoConfig::default(),
        }
    }

    /// The SCIM base URL: `<public_base_url>/scim/v2`.
    pub fn scim_base_url(&self) -> String {
        format!("{}/scim/v2", self.public_base_url)
    }
}

/// The `[secrets]` section as a [`SecretsConfig`]. The local backend's key file defaults to
/// `stackflow-secrets.key` next to the SQLite database (in the working directory otherwise).
fn secrets_config(raw: RawSecrets, database_url: &str) -> anyhow::Result<SecretsConfig> {
    match raw.backend.as_deref().unwrap_or("local") {
        "local" => {
            if raw.prefix.is_some() || raw.region.is_some() || raw.endpoint_url.is_some() {
                bail!("secrets.prefix, secrets.region and secrets.endpoint_url apply to backend = \"aws\" only");
            }
            let key_file = raw.key_file.unwrap_or_else(|| default_key_file(database_url));
            Ok(SecretsConfig::Local { key_file, key_env: raw.key_env })
        }
        "aws" => {
            if raw.key_file.is_some() || raw.key_env.is_some() {
                bail!("secrets.key_file and secrets.key_env apply to backend = \"local\" only");
            }
            let (Some(prefix), Some(region)) = (raw.prefix, raw.region) else {
                bail!(
                    "secrets.prefix (e.g. \"stackflow/prod/\") and secrets.region are required with backend = \"aws\""
                );
            };
            Ok(SecretsConfig::Aws { prefix, region, endpoint_url: raw.endpoint_url })
        }
        other => bail!("secrets.backend '{other}' must be 'local' or 'aws'"),
    }
}

/// `stackflow-secrets.key` in the directory of a SQLite database file.
fn default_key_file(database_url: &str) -> PathBuf {
    let path = database_url.strip_prefix("sqlite://").or_else(|| database_url.strip_prefix("sqlite:"));
    match path.map(|p| p.split('?').next().unwrap_or(p)) {
        Some(p) if !p.is_empty() && !p.contains(":memory:") => {
            Path::new(p).parent().unwrap_or(Path::new("")).join(DEFAULT_KEY_FILE)
        }
        _ => PathBuf::from(DEFAULT_KEY_FILE),
    }
}

fn okta_options(raw: RawOkta) -> anyhow::Result<(Option<String>, Duration)> {
    if let Some(url) = &raw.base_url_override {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            bail!("okta.base_url_override '{url}' must start with http:// or https://");
        }
    }
    let timeout = match raw.timeout_ms {
        Some(0) => bail!("okta.timeout_ms must be at least 1"),
        Some(ms) => Duration::from_millis(ms),
        None => sso_bridge::okta::DEFAULT_TIMEOUT,
    };
    Ok((raw.base_url_override.map(|u| u.trim_end_matches('/').to_owned()), timeout))
}

/// The shortest accepted bootstrap token.
const MIN_BOOTSTRAP_TOKEN_LEN: usize = 16;

fn bootstrap_token(raw: RawAdmin) -> anyhow::Result<Option<SecretString>> {
    let token = match (raw.bootstrap_token, raw.bootstrap_token_file) {
        (Some(_), Some(_)) => bail!("set admin.bootstrap_token_file or STACKFLOW__ADMIN__BOOTSTRAP_TOKEN, not both"),
        (Some(token), None) => SecretString::from(token.expose_secret().trim().to_owned()),
        (None, Some(file)) => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read admin.bootstrap_token_file {}", file.display()))?;
            SecretString::from(text.trim().to_owned())
        }
        (None, None) => return Ok(None),
    };
    if token.expose_secret().len() < MIN_BOOTSTRAP_TOKEN_LEN {
        bail!("the admin bootstrap token is shorter than {MIN_BOOTSTRAP_TOKEN_LEN} characters; use e.g. `openssl rand -hex 32`");
    }
    Ok(Some(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(bind: &str, base: Option<&str>, format: &str, url: &str) -> RawConfig {
        RawConfig {
            server: RawServer {
                group_patch_response: Default::default(),
                bind: bind.into(),
                public_base_url: base.map(Into::into),
                body_limit: 1 << 20,
                workers: None,
            },
            database: RawDatabase { url: SecretString::from(url.to_owned()), max_connections: Some(4) },
            log: RawLog { level: "info".into(), format: format.into() },
            cognito: None,
            secrets: RawSecrets::default(),
            okta: RawOkta::default(),
            admin: RawAdmin::default(),
            sso: RawSso::default(),
        }
    }

    fn check(r: RawConfig, expected: Result<&str, &str>) {
        match (Config::validate(r), expected) {
            (Ok(c), Ok(base)) => assert_eq!(c.public_base_url, base),
            (Err(e), Err(msg)) => assert!(format!("{e:#}").contains(msg), "{e:#}"),
            (got, want) => panic!("got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn validation() {
        check(raw("127.0.0.1:8080", None, "text", DEFAULT_DATABASE_URL), Ok("http://127.0.0.1:8080"));
        check(
            raw("0.0.0.0:80", Some("https://sf.example.com/"), "json", "postgres://u:p@h/db"),
            Ok("https://sf.example.com"),
        );
        check(raw("localhost", None, "text", DEFAULT_DATABASE_URL), Err("server.bind"));
        check(raw("127.0.0.1:1", Some("sf.example.com"), "text", DEFAULT_DATABASE_URL), Err("public_base_url"));
        check(raw("127.0.0.1:1", None, "yaml", DEFAULT_DATABASE_URL), Err("log.format"));
        check(raw("127.0.0.1:1", None, "text", "mysql://x"), Err("database.url"));
    }

    #[test]
    fn cognito_section() {
        let pool = |id: &str, rate: Option<f64>, url: Option<&str>| RawCognito {
            user_pool_id: id.into(),
            region: "eu-west-1".into(),
            endpoint_url: url.map(Into::into),
            rate_limit: rate,
            max_attempts: None,
            retry_max_seconds: None,
            lease_seconds: None,
        };
        let with =
            |c: RawCognito| RawConfig { cognito: Some(c), ..raw("127.0.0.1:1", None, "text", DEFAULT_DATABASE_URL) };
        check(with(pool("eu-west-1_abc", None, Some("http://127.0.0.1:5000"))), Ok("http://127.0.0.1:1"));
        check(with(pool("", None, None)), Err("cognito.user_pool_id"));
        check(with(pool("eu-west-1_abc", Some(0.0), None)), Err("cognito.rate_limit"));
        check(with(pool("eu-west-1_abc", None, Some("localhost:5000"))), Err("cognito.endpoint_url"));
        let c = Config::validate(with(pool("eu-west-1_abc", None, None))).unwrap().cognito.unwrap();
        assert_eq!((c.rate_limit, c.max_attempts, c.retry_max.as_secs(), c.lease.as_secs()), (10.0, 10, 300, 60));
        let short = RawCognito { lease_seconds: Some(5), ..pool("eu-west-1_abc", None, None) };
        assert_eq!(Config::validate(with(short)).unwrap().cognito.unwrap().lease.as_secs(), 5);
        check(
            with(RawCognito { lease_seconds: Some(0), ..pool("eu-west-1_abc", None, None) }),
            Err("cognito.lease_seconds"),
        );
        assert!(Config::validate(raw("127.0.0.1:1", None, "text", DEFAULT_DATABASE_URL)).unwrap().cognito.is_none());
    }

    #[test]
    fn sso_rate_limit_and_logout_redirect() {
        let sso =
            |raw_sso: RawSso| RawConfig { sso: raw_sso, ..raw("127.0.0.1:1", None, "text", DEFAULT_DATABASE_URL) };
        let c = Config::validate(sso(RawSso::default())).unwrap().sso;
        assert_eq!((c.token_rate_per_minute, c.token_burst, c.post_logout_redirect_uri), (60, 20, None));
        let set = RawSso {
            token_rate_per_minute: Some(5),
            token_burst: Some(2),
            post_logout_redirect_uri: Some("https://sf.example.com/bye".into()),
            ..RawSso::default()
        };
        let c = Config::validate(sso(set)).unwrap().sso;
        assert_eq!((c.token_rate_per_minute, c.token_burst), (5, 2));
        assert_eq!(c.post_logout_redirect_uri.as_deref(), Some("https://sf.example.com/bye"));
        check(sso(RawSso { token_rate_per_minute: Some(0), ..RawSso::default() }), Err("sso.token_rate_per_minute"));
        check(sso(RawSso { token_burst: Some(0), ..RawSso::default() }), Err("sso.token_burst"));
        check(
            sso(RawSso { post_logout_redirect_uri: Some("sf.example.com".into()), ..RawSso::default() }),
            Err("sso.post_logout_redirect_uri"),
        );
    }

    #[test]
    fn sso_cognito_strategy() {
        let sso = |strategy: Option<&str>, key_file: Option<&Path>| RawConfig {
            sso: RawSso {
                cognito_strategy: strategy.map(Into::into),
                assertion_key_file: key_file.map(Into::into),
                ..RawSso::default()
            },
            ..raw("127.0.0.1:1", None, "text", DEFAULT_DATABASE_URL)
        };
        let dir = tempfile::tempdir().unwrap();
        let pem = josekit::jws::ES256.generate_key_pair().unwrap().to_pem_private_key();
        let key_file = dir.path().join("assertion.key");
        std::fs::write(&key_file, &pem).unwrap();
        let garbage = dir.path().join("garbage.key");
        std::fs::write(&garbage, b"-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n").unwrap();

        assert_eq!(Config::validate(sso(None, None)).unwrap().sso.cognito_strategy, CognitoStrategy::AdminPassword);
        check(sso(Some("admin_password"), None), Ok("http://127.0.0.1:1"));
        let c = Config::validate(sso(Some("custom_auth"), Some(&key_file))).unwrap();
        let CognitoStrategy::CustomAuth(key) = &c.sso.cognito_strategy else { panic!("{c:?}") };
        assert_eq!(key.algorithm(), "ES256");
        let shown = format!("{c:?}");
        assert!(!shown.contains("PRIVATE") && !shown.contains(&String::from_utf8_lossy(&pem)[28..60]), "{shown}");
        check(sso(Some("custom_auth"), None), Err("needs sso.assertion_key_file"));
        check(sso(None, Some(&key_file)), Err("applies to sso.cognito_strategy = \"custom_auth\" only"));
        check(sso(Some("custom_auth"), Some(&dir.path().join("missing.key"))), Err("cannot read"));
        check(sso(Some("custom_auth"), Some(&garbage)), Err("not an EC P-256 or RSA"));
        let e = Config::validate(sso(Some("custom_auth"), Some(&garbage))).unwrap_err();
        assert!(!format!("{e:#}").contains("c2VjcmV0"));
        check(sso(Some("password"), None), Err("sso.cognito_strategy 'password'"));
    }

    #[test]
    fn debug_redacts_the_database_password() {
        let c = Config::validate(raw("127.0.0.1:1", None, "text", "postgres://u:hunter2@h/db")).unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn secrets_okta_and_admin_sections() {
        let base = || raw("127.0.0.1:1", None, "text", "sqlite:///var/lib/stackflow/sf.db?mode=rwc");
        let secrets = |backend: Option<&str>, prefix: Option<&str>, region: Option<&str>| RawConfig {
            secrets: RawSecrets {
                backend: backend.map(Into::into),
                prefix: prefix.map(Into::into),
                region: region.map(Into::into),
                ..RawSecrets::default()
            },
            ..base()
        };
        let c = Config::validate(base()).unwrap();
        assert_eq!(
            c.secrets,
            SecretsConfig::Local { key_file: "/var/lib/stackflow/stackflow-secrets.key".into(), key_env: None }
        );
        assert_eq!(default_key_file("sqlite::memory:"), PathBuf::from(DEFAULT_KEY_FILE));
        assert_eq!(default_key_file(DEFAULT_DATABASE_URL), PathBuf::from(DEFAULT_KEY_FILE));
        let aws = Config::validate(secrets(Some("aws"), Some("sf/"), Some("eu-west-1"))).unwrap().secrets;
        assert_eq!(aws, SecretsConfig::Aws { prefix: "sf/".into(), region: "eu-west-1".into(), endpoint_url: None });
        check(secrets(Some("aws"), None, None), Err("secrets.prefix"));
        check(secrets(Some("local"), Some("sf/"), None), Err("backend = \"aws\" only"));
        check(secrets(Some("vault"), None, None), Err("secrets.backend 'vault'"));
        let okta = |url: &str, ms| RawConfig {
            okta: RawOkta { base_url_override: Some(url.into()), timeout_ms: Some(ms) },
            ..base()
        };
        let c = Config::validate(okta("http://127.0.0.1:9/", 250)).unwrap();
        assert_eq!(
            (c.okta_base_url_override.as_deref(), c.okta_timeout.as_millis()),
            (Some("http://127.0.0.1:9"), 250)
        );
        check(okta("127.0.0.1:9", 250), Err("okta.base_url_override"));
        check(okta("http://127.0.0.1:9", 0), Err("okta.timeout_ms"));
        let admin = |token: &str| RawConfig {
            admin: RawAdmin { bootstrap_token: Some(SecretString::from(token.to_owned())), bootstrap_token_file: None },
            ..base()
        };
        check(admin("short"), Err("shorter than 16"));
        let c = Config::validate(admin("0123456789abcdef0123")).unwrap();
        assert!(c.admin_bootstrap_token.is_some() && !format!("{c:?}").contains("0123456789abcdef"));
    }
}
