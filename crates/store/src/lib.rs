//! # store
//!
//! Persistence for StackFlow's Okta integration: sea-orm entities and repositories for SCIM users,
//! groups (one row per membership), audit events, settings and SCIM token hashes, on SQLite (the
//! embedded default, WAL mode) and PostgreSQL (production, shared by several replicas).
//!
//! Repositories are free functions over any [`sea_orm::ConnectionTrait`], so a caller composes several
//! of them inside one transaction ([`Store::write`]). The store translates scim-core's filter AST to SQL
//! ([`query`]) and knows nothing of HTTP serving.
//!
//! Secrets needed in clear (the Okta API token, the OIDC client secret) live behind
//! [`secrets::SecretStore`]: encrypted in this database by default, or in AWS Secrets Manager.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod audit;
mod db;
pub mod entity;
pub mod groups;
pub mod outbox;
pub mod query;
pub mod roles;
pub mod secrets;
pub mod settings;
pub mod time;
pub mod tokens;
pub mod users;

pub use db::{Backend, DbOptions, Store, WriteTxn};
pub use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr};

/// Errors of the persistence layer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A unique constraint refused the write (e.g. a userName already taken).
    #[error("{0}")]
    Conflict(String),
    /// The row changed since it was read (optimistic concurrency).
    #[error("{0} was modified concurrently")]
    VersionMismatch(String),
    /// A request named rows that do not exist (e.g. unknown member ids).
    #[error("{0}")]
    Invalid(String),
    /// A stored row could not be decoded: the database was edited by hand or is corrupt.
    #[error("stored {kind} {id} is unreadable: {reason}")]
    Corrupt {
        /// What kind of record.
        kind: &'static str,
        /// Its id.
        id: String,
        /// Why it could not be read.
        reason: String,
    },
    /// The database URL or options are unusable.
    #[error("database configuration: {0}")]
    Config(String),
    /// Any other database failure. Its text already carries the driver's chain of causes, so the
    /// `DbErr` is not also reported as this error's `source()` (a `{:#}` print would repeat each
    /// cause several times).
    #[error("database error: {0}")]
    Db(DbErr),
    /// A secret name outside the allowed shape (lowercase `[a-z0-9/-]` segments separated by `/`).
    #[error("invalid secret name '{name}': {reason}")]
    SecretName {
        /// The name as given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The secret store cannot start: its key is missing, malformed or unsafely stored, or its
    /// configuration is unusable. The message says what to fix; it never contains key material.
    #[error("secret store: {0}")]
    SecretConfig(String),
    /// A stored secret cannot be decrypted: wrong key, or the stored row was modified or copied from
    /// another name. Never a garbage value.
    #[error("cannot decrypt secret {name}: {reason}")]
    SecretUnreadable {
        /// The logical secret name.
        name: String,
        /// Why, and what to check.
        reason: String,
    },
    /// The remote secret backend (AWS Secrets Manager) refused or failed a call.
    #[error("AWS Secrets Manager {operation} on {secret_id} failed ({code}): {message}")]
    SecretBackend {
        /// The API operation, e.g. `GetSecretValue`.
        operation: &'static str,
        /// The full secret id (prefix + name).
        secret_id: String,
        /// The AWS error code (e.g. `AccessDeniedException`) or the client-side failure kind.
        code: String,
        /// The service's or client's message; never the secret value.
        message: String,
    },
}

impl From<DbErr> for Error {
    fn from(e: DbErr) -> Self {
        Error::Db(e)
    }
}

/// `pub type Result<T>` of this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// One page of a list query.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// How many resources match in all.
    pub total: u64,
    /// The resources of the requested window.
    pub items: Vec<T>,
}

/// Maps a unique-constraint violation to [`Error::Conflict`] with `message`, other errors unchanged.
pub(crate) fn conflict_on_unique(err: DbErr, message: impl FnOnce() -> String) -> Error {
    match err.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => Error::Conflict(message()),
        _ => Error::Db(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// anyhow's `{:#}` prints an error and each `source()`: a database error names its causes once.
    #[test]
    fn database_errors_name_their_causes_once() {
        let err = Error::from(DbErr::Custom("table user_roles already exists".into()));
        assert!(std::error::Error::source(&err).is_none());
        let text = err.to_string();
        assert_eq!(text.matches("table user_roles already exists").count(), 1, "{text}");
        assert!(text.starts_with("database error: "), "{text}");
    }
}
