//! Layered configuration: built-in defaults → optional `stackflow.toml` (or the file named by
//! `STACKFLOW_CONFIG`) → `STACKFLOW__SECTION__KEY` environment variables. Unknown keys are refused.
//! The raw, file-shaped form is validated into the runtime [`Config`]. The admin CLI reads the same.

use anyhow::{bail, Context};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Default SQLite database: a file in the working directory, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://stackflow.db?mode=rwc";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    server: RawServer,
    database: RawDatabase,
    log: RawLog,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    bind: String,
    public_base_url: Option<String>,
    body_limit: u64,
    workers: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDatabase {
    url: SecretString,
    max_connections: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLog {
    level: String,
    format: String,
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
    /// Public base URL of the service (no trailing slash), e.g. `https://sf.example.com`.
    pub public_base_url: String,
    /// Largest accepted request body in bytes.
    pub body_limit: usize,
    /// HTTP worker threads (default: one per core).
    pub workers: Option<usize>,
    /// Database URL (may contain a password: redacted in Debug).
    pub database_url: SecretString,
    /// Database pool size.
    pub max_connections: u32,
    /// Log filter (`RUST_LOG` syntax), e.g. `info`.
    pub log_level: String,
    /// Log format.
    pub log_format: LogFormat,
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
            .set_default("database.max_connections", 16)?
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
        Ok(Config {
            bind,
            public_base_url,
            body_limit: usize::try_from(raw.server.body_limit).unwrap_or(usize::MAX),
            workers: raw.server.workers,
            database_url: raw.database.url,
            max_connections: raw.database.max_connections.max(1),
            log_level: raw.log.level,
            log_format,
        })
    }

    /// A configuration for tests: port 0 on loopback, an in-memory SQLite database.
    pub fn for_test() -> Config {
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_base_url: "http://127.0.0.1".into(),
            body_limit: 1024 * 1024,
            workers: Some(1),
            database_url: SecretString::from("sqlite::memory:"),
            max_connections: 4,
            log_level: "warn".into(),
            log_format: LogFormat::Text,
        }
    }

    /// The SCIM base URL: `<public_base_url>/scim/v2`.
    pub fn scim_base_url(&self) -> String {
        format!("{}/scim/v2", self.public_base_url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(bind: &str, base: Option<&str>, format: &str, url: &str) -> RawConfig {
        RawConfig {
            server: RawServer {
                bind: bind.into(),
                public_base_url: base.map(Into::into),
                body_limit: 1 << 20,
                workers: None,
            },
            database: RawDatabase { url: SecretString::from(url.to_owned()), max_connections: 4 },
            log: RawLog { level: "info".into(), format: format.into() },
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
    fn debug_redacts_the_database_password() {
        let c = Config::validate(raw("127.0.0.1:1", None, "text", "postgres://u:hunter2@h/db")).unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
