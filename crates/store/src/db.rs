//! Connecting, migrating and running write transactions on SQLite or PostgreSQL.

use crate::{Error, Result};
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, TransactionTrait};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMutexGuard};

/// Which database engine a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite (file or in-memory): the embedded default.
    Sqlite,
    /// PostgreSQL: production, several replicas on one database.
    Postgres,
}

/// Pool and locking options.
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// Largest pool size. `None`: 16 on PostgreSQL; 4 on SQLite, where every connection is a thread
    /// of its own with its own page cache, and more readers than cores only add context switches.
    pub max_connections: Option<u32>,
    /// How long SQLite waits on a lock held by another process before failing.
    pub busy_timeout: Duration,
    /// How long to wait for a pooled connection.
    pub acquire_timeout: Duration,
}

impl Default for DbOptions {
    fn default() -> Self {
        DbOptions {
            max_connections: None,
            busy_timeout: Duration::from_secs(5),
            acquire_timeout: Duration::from_secs(10),
        }
    }
}

/// A migrated database: the connection pool plus, on SQLite, the single-writer lock.
#[derive(Clone, Debug)]
pub struct Store {
    conn: DatabaseConnection,
    backend: Backend,
    /// SQLite allows one writer at a time; taking this lock before `BEGIN` turns would-be
    /// `SQLITE_BUSY` upgrade failures inside this process into an orderly queue.
    write_lock: Option<Arc<Mutex<()>>>,
    /// In-memory SQLite only: see [`MemoryAnchor`].
    _memory_anchor: Option<Arc<MemoryAnchor>>,
}

/// A connection to an in-memory SQLite database held open outside the pool. The database lives
/// only as long as some connection to it is open, and the pool closes (and later reopens) its
/// connection when a query is cancelled mid-way, e.g. by a client that hangs up: without this
/// anchor the reopened connection would find a new, empty database.
struct MemoryAnchor {
    _conn: std::sync::Mutex<sea_orm::sqlx::SqliteConnection>,
}

impl std::fmt::Debug for MemoryAnchor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MemoryAnchor")
    }
}

/// A write transaction; on SQLite it also holds the writer lock until commit or rollback.
pub struct WriteTxn {
    txn: DatabaseTransaction,
    _guard: Option<OwnedMutexGuard<()>>,
}

impl WriteTxn {
    /// Commits the transaction.
    pub async fn commit(self) -> Result<()> {
        Ok(self.txn.commit().await?)
    }
}

impl std::ops::Deref for WriteTxn {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

impl Store {
    /// Connects to `url` (`sqlite://path?mode=rwc`, `sqlite::memory:`, `postgres://…`) and runs the
    /// migrations.
    pub async fn connect(url: &str, options: &DbOptions) -> Result<Store> {
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(Error::Config(format!(
                "unsupported database URL scheme in '{}': use sqlite://FILE or postgres://…",
                redact_url(url)
            )));
        };
        let mut opts = ConnectOptions::new(url.to_owned());
        opts.sqlx_logging(false).acquire_timeout(options.acquire_timeout);
        match backend {
            Backend::Sqlite => {
                let in_memory = url.contains(":memory:") || url.contains("mode=memory");
                // Every connection to `sqlite::memory:` is a separate database: keep exactly one,
                // forever. A file database gets a reader pool.
                let max = if in_memory { 1 } else { options.max_connections.unwrap_or(4).max(2) };
                opts.max_connections(max).min_connections(if in_memory { 1 } else { 0 });
                if in_memory {
                    // Ten years: "never" without overflowing `Instant` arithmetic.
                    let forever = Duration::from_secs(10 * 365 * 24 * 3600);
                    opts.idle_timeout(forever).max_lifetime(forever);
                }
                let busy = options.busy_timeout;
                opts.map_sqlx_sqlite_opts(move |o| {
                    o.create_if_missing(true)
                        .journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Normal)
                        .busy_timeout(busy)
                        .foreign_keys(true)
                });
            }
            Backend::Postgres => {
                opts.max_connections(options.max_connections.unwrap_or(16)).min_connections(1);
            }
        }
        let conn = Database::connect(opts).await.map_err(|e| match backend {
            Backend::Sqlite => Error::Config(format!("cannot open SQLite database '{}': {e}", redact_url(url))),
            Backend::Postgres => Error::Config(format!("cannot connect to PostgreSQL at '{}': {e}", redact_url(url))),
        })?;
        let in_memory = backend == Backend::Sqlite && (url.contains(":memory:") || url.contains("mode=memory"));
        let memory_anchor = if in_memory {
            // The pool's options name the database (sqlx gives `sqlite::memory:` a shared-cache name).
            let pool_options = conn.get_sqlite_connection_pool().connect_options();
            let anchor = <sea_orm::sqlx::SqliteConnection as sea_orm::sqlx::Connection>::connect_with(&pool_options)
                .await
                .map_err(|e| Error::Config(format!("cannot open SQLite database '{}': {e}", redact_url(url))))?;
            Some(Arc::new(MemoryAnchor { _conn: std::sync::Mutex::new(anchor) }))
        } else {
            None
        };
        Migrator::up(&conn, None).await?;
        let write_lock = (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(())));
        Ok(Store { conn, backend, write_lock, _memory_anchor: memory_anchor })
    }

    /// The connection pool, for reads.
    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// The engine behind this store.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Begins a write transaction (queued behind other writers of this process on SQLite).
    pub async fn write(&self) -> Result<WriteTxn> {
        let guard = match &self.write_lock {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        let txn = self.conn.begin().await?;
        Ok(WriteTxn { txn, _guard: guard })
    }

    /// Checks the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<()> {
        Ok(self.conn.ping().await?)
    }
}

/// The URL without its password, for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!("{}{}:***{}", &url[..scheme_end + 3], &userinfo[..colon], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(url: &str, expected: &str) {
        assert_eq!(redact_url(url), expected);
    }

    #[test]
    fn redacts_passwords_in_urls() {
        check("postgres://u:secret@h:5432/db", "postgres://u:***@h:5432/db");
        check("postgres://u@h/db", "postgres://u@h/db");
        check("sqlite://stackflow.db?mode=rwc", "sqlite://stackflow.db?mode=rwc");
    }
}
