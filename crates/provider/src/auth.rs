//! The SCIM bearer-token gate: verifies presented tokens against the stored hashes, which it caches
//! for a few seconds so that a request costs a hash and a constant-time compare, not a query — and a
//! token generated or revoked on any replica takes effect everywhere within that time.
//!
//! Uses and rejections are counted in memory and flushed to the database by a background task at
//! most every [`FLUSH_INTERVAL`], so a request does not cost a write. Presented tokens are never
//! stored.

use crate::Result;
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};
use store::tokens::{self, ActiveToken, Rejections};
use store::Store;
use tokio::sync::RwLock;

/// How often recorded token uses and rejections are written to the database.
pub const FLUSH_INTERVAL: Duration = Duration::from_secs(2);

/// Uses and rejections not yet written to the database.
#[derive(Default)]
struct Pending {
    used: HashMap<String, DateTime<Utc>>,
    rejected: Rejections,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.used.is_empty() && self.rejected.count == 0
    }
}

/// The SCIM token's lifecycle as an administrator sees it (never the token or its hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenStatus {
    /// Whether a token verifies now.
    pub set: bool,
    /// When the current token was generated.
    pub created_at: Option<DateTime<Utc>>,
    /// The last request the current token authenticated.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Previous tokens still valid in their grace period: until when.
    pub grace_until: Vec<DateTime<Utc>>,
    /// Requests refused for a wrong token since the current token was generated.
    pub rejected_count: u64,
    /// The first of them.
    pub rejected_since: Option<DateTime<Utc>>,
    /// The latest of them.
    pub last_rejected_at: Option<DateTime<Utc>>,
}

/// The outcome of checking a request's token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenCheck {
    /// A stored token matched.
    Valid,
    /// No `Authorization: Bearer` credential was presented.
    Missing,
    /// A credential was presented and matched no stored token.
    Invalid,
}

struct Cached {
    at: Instant,
    tokens: Arc<Vec<ActiveToken>>,
}

/// Verifies SCIM bearer tokens (cheap to clone; shares its cache).
#[derive(Clone)]
pub struct TokenGate {
    store: Store,
    ttl: Duration,
    cache: Arc<RwLock<Option<Cached>>>,
    pending: Arc<Mutex<Pending>>,
    flusher_started: Arc<AtomicBool>,
}

/// Writes `pending` to the database (one short transaction) and empties it.
async fn flush(store: &Store, pending: &Mutex<Pending>) -> Result<()> {
    let taken = match pending.lock() {
        Ok(mut p) if !p.is_empty() => std::mem::take(&mut *p),
        _ => return Ok(()),
    };
    let now = store::time::now();
    let txn = store.write().await?;
    for (id, at) in &taken.used {
        tokens::record_use(&*txn, id, *at).await?;
    }
    if taken.rejected.count > 0 {
        tokens::add_rejections(&*txn, &taken.rejected, now).await?;
    }
    txn.commit().await?;
    Ok(())
}

impl TokenGate {
    pub(crate) fn new(store: Store, ttl: Duration) -> Self {
        TokenGate {
            store,
            ttl,
            cache: Arc::new(RwLock::new(None)),
            pending: Arc::new(Mutex::new(Pending::default())),
            flusher_started: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Starts the background flush on first use; it ends when the last clone of the gate is dropped.
    fn ensure_flusher(&self) {
        if self.flusher_started.swap(true, Ordering::AcqRel) {
            return;
        }
        let store = self.store.clone();
        let weak: Weak<Mutex<Pending>> = Arc::downgrade(&self.pending);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(FLUSH_INTERVAL).await;
                let Some(pending) = weak.upgrade() else { break };
                if let Err(e) = flush(&store, &pending).await {
                    tracing::warn!(error = %e, "cannot record SCIM token use; will retry");
                }
            }
        });
    }

    fn record(&self, used: Option<&str>) {
        let now = chrono::Utc::now();
        if let Ok(mut p) = self.pending.lock() {
            match used {
                Some(id) => {
                    p.used.insert(id.to_owned(), now);
                }
                None => {
                    p.rejected.count += 1;
                    p.rejected.since.get_or_insert(now);
                    p.rejected.last = Some(now);
                }
            }
        }
        self.ensure_flusher();
    }

    /// Writes the uses and rejections recorded in memory now (the status report does this first).
    pub async fn flush(&self) -> Result<()> {
        flush(&self.store, &self.pending).await
    }

    /// The token's lifecycle: generated when, last used when, rejections since it was generated.
    pub async fn status(&self) -> Result<TokenStatus> {
        self.flush().await?;
        let now = chrono::Utc::now();
        let conn = self.store.conn();
        let records = tokens::list(conn).await?;
        let current = records.iter().find(|t| t.expires_at.is_none());
        let rejections = tokens::rejections(conn).await?;
        Ok(TokenStatus {
            set: records.iter().any(|t| t.expires_at.is_none_or(|e| e > now)),
            created_at: current.map(|t| t.created_at),
            last_used_at: current.and_then(|t| t.last_used_at),
            grace_until: records.iter().filter_map(|t| t.expires_at.filter(|e| *e > now)).collect(),
            rejected_count: rejections.count,
            rejected_since: rejections.since,
            last_rejected_at: rejections.last,
        })
    }

    async fn active(&self) -> Result<Arc<Vec<ActiveToken>>> {
        if let Some(c) = self.cache.read().await.as_ref() {
            if c.at.elapsed() < self.ttl {
                return Ok(c.tokens.clone());
            }
        }
        let mut slot = self.cache.write().await;
        if let Some(c) = slot.as_ref() {
            if c.at.elapsed() < self.ttl {
                return Ok(c.tokens.clone());
            }
        }
        let now = store::time::now();
        let tokens = Arc::new(tokens::active(self.store.conn(), now).await?);
        // Expired grace-period tokens drop out here even before the next refresh of the database.
        *slot = Some(Cached { at: Instant::now(), tokens: tokens.clone() });
        Ok(tokens)
    }

    /// Checks a presented credential (`None` when the request had none).
    pub async fn check(&self, presented: Option<&SecretString>) -> Result<TokenCheck> {
        let Some(presented) = presented else {
            return Ok(TokenCheck::Missing);
        };
        let active = self.active().await?;
        let now = chrono::Utc::now();
        Ok(match tokens::verify(presented, &active) {
            Some(t) if t.expires_at.is_none_or(|exp| exp > now) => {
                self.record(Some(&t.id));
                TokenCheck::Valid
            }
            _ => {
                self.record(None);
                TokenCheck::Invalid
            }
        })
    }

    fn forget_rejections(&self) {
        if let Ok(mut p) = self.pending.lock() {
            p.rejected = Rejections::default();
        }
    }

    /// Forgets the cache so this process sees a change at once.
    pub async fn invalidate(&self) {
        *self.cache.write().await = None;
    }

    /// Generates a new token, replacing the previous ones (which keep working for `grace`, if given).
    /// The token is returned once and stored only as a hash.
    pub async fn generate(&self, actor: &str, grace: Option<Duration>) -> Result<SecretString> {
        let (token, hash) = tokens::generate();
        let now = store::time::now();
        let until = grace.and_then(|g| chrono::Duration::from_std(g).ok()).map(|g| now + g);
        let txn = self.store.write().await?;
        tokens::replace(&*txn, &hash, now, until).await?;
        tokens::reset_rejections(&*txn, now).await?;
        let detail = serde_json::json!({ "grace_seconds": grace.map(|g| g.as_secs()) });
        store::audit::append(
            &*txn,
            &store::audit::AuditEvent::new(now, actor, "scim_token.generated", "ScimToken", None, detail),
        )
        .await?;
        txn.commit().await?;
        self.forget_rejections();
        self.invalidate().await;
        Ok(token)
    }

    /// Revokes every token.
    pub async fn revoke(&self, actor: &str) -> Result<u64> {
        let now = store::time::now();
        let txn = self.store.write().await?;
        let n = tokens::revoke_all(&*txn).await?;
        tokens::reset_rejections(&*txn, now).await?;
        store::audit::append(
            &*txn,
            &store::audit::AuditEvent::new(
                now,
                actor,
                "scim_token.revoked",
                "ScimToken",
                None,
                serde_json::json!({ "revoked": n }),
            ),
        )
        .await?;
        txn.commit().await?;
        self.forget_rejections();
        self.invalidate().await;
        Ok(n)
    }

    /// Whether a token exists (so first start can generate one).
    pub async fn exists(&self) -> Result<bool> {
        Ok(!self.active().await?.is_empty())
    }
}
