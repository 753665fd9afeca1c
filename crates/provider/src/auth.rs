//! The SCIM bearer-token gate: verifies presented tokens against the stored hashes, which it caches
//! for a few seconds so that a request costs a hash and a constant-time compare, not a query — and a
//! token generated or revoked on any replica takes effect everywhere within that time.

use crate::Result;
use secrecy::SecretString;
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::tokens::{self, ActiveToken};
use store::Store;
use tokio::sync::RwLock;

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
}

impl TokenGate {
    pub(crate) fn new(store: Store, ttl: Duration) -> Self {
        TokenGate { store, ttl, cache: Arc::new(RwLock::new(None)) }
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
            Some(t) if t.expires_at.is_none_or(|exp| exp > now) => TokenCheck::Valid,
            _ => TokenCheck::Invalid,
        })
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
        let detail = serde_json::json!({ "grace_seconds": grace.map(|g| g.as_secs()) });
        store::audit::append(
            &*txn,
            &store::audit::AuditEvent::new(now, actor, "scim_token.generated", "ScimToken", None, detail),
        )
        .await?;
        txn.commit().await?;
        self.invalidate().await;
        Ok(token)
    }

    /// Revokes every token.
    pub async fn revoke(&self, actor: &str) -> Result<u64> {
        let now = store::time::now();
        let txn = self.store.write().await?;
        let n = tokens::revoke_all(&*txn).await?;
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
        self.invalidate().await;
        Ok(n)
    }

    /// Whether a token exists (so first start can generate one).
    pub async fn exists(&self) -> Result<bool> {
        Ok(!self.active().await?.is_empty())
    }
}
