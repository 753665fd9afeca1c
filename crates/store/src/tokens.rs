//! SCIM bearer tokens: generation, hashing, constant-time verification and their stored hashes.
//!
//! A token is 256 random bits, shown to the administrator once. Only its SHA-256 is stored, so a
//! database dump reveals no usable token; verification hashes the presented token and compares the
//! digests in constant time (`subtle`).

use crate::entity::scim_tokens;
use crate::time::to_micros;
use crate::Result;
use chrono::{DateTime, Utc};
use rand::RngCore;
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Prefix of every SCIM token, so secret scanners and people can recognise one.
pub const TOKEN_PREFIX: &str = "sfscim_";

/// The SHA-256 of a token.
pub type TokenHash = [u8; 32];

/// Hashes a presented or generated token.
pub fn hash(token: &str) -> TokenHash {
    Sha256::digest(token.as_bytes()).into()
}

/// A new random token (256 bits, hex) and its hash.
pub fn generate() -> (SecretString, TokenHash) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = format!("{TOKEN_PREFIX}{}", hex::encode(bytes));
    let digest = hash(&token);
    (SecretString::from(token), digest)
}

/// A stored token hash that currently verifies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveToken {
    /// Row id.
    pub id: String,
    /// SHA-256 of the token.
    pub hash: TokenHash,
    /// Until when it verifies (`None`: until replaced or revoked).
    pub expires_at: Option<DateTime<Utc>>,
}

/// The id of the active token that `presented` matches, comparing every digest in constant time.
pub fn verify<'a>(presented: &SecretString, active: &'a [ActiveToken]) -> Option<&'a ActiveToken> {
    let digest = hash(presented.expose_secret());
    // Compare against all of them, so timing does not tell which one (or whether any) matched.
    let mut found = None;
    for token in active {
        if bool::from(token.hash.ct_eq(&digest)) {
            found = Some(token);
        }
    }
    found
}

/// The tokens that verify at `now`.
pub async fn active<C: ConnectionTrait>(c: &C, now: DateTime<Utc>) -> Result<Vec<ActiveToken>> {
    let rows = scim_tokens::Entity::find()
        .filter(
            Condition::any()
                .add(scim_tokens::Column::ExpiresAt.is_null())
                .add(scim_tokens::Column::ExpiresAt.gt(to_micros(now))),
        )
        .all(c)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let mut hash = [0u8; 32];
            hex::decode_to_slice(&row.token_hash, &mut hash).ok()?;
            Some(ActiveToken { id: row.id, hash, expires_at: row.expires_at.map(crate::time::from_micros) })
        })
        .collect())
}

/// Stores `hash` as the token, and lets the previous ones verify until `old_valid_until` (`None`:
/// they stop at once).
pub async fn replace<C: ConnectionTrait>(
    c: &C,
    hash: &TokenHash,
    now: DateTime<Utc>,
    old_valid_until: Option<DateTime<Utc>>,
) -> Result<()> {
    match old_valid_until {
        Some(until) => {
            scim_tokens::Entity::update_many()
                .col_expr(scim_tokens::Column::ExpiresAt, sea_orm::sea_query::Expr::value(to_micros(until)))
                .filter(scim_tokens::Column::ExpiresAt.is_null())
                .exec(c)
                .await?;
        }
        None => {
            scim_tokens::Entity::delete_many().exec(c).await?;
        }
    }
    scim_tokens::Entity::insert(scim_tokens::ActiveModel {
        id: Set(uuid::Uuid::new_v4().to_string()),
        token_hash: Set(hex::encode(hash)),
        created_at: Set(to_micros(now)),
        expires_at: Set(None),
        last_used_at: Set(None),
    })
    .exec_without_returning(c)
    .await?;
    Ok(())
}

/// Revokes every token: SCIM answers 401 until a new one is generated.
pub async fn revoke_all<C: ConnectionTrait>(c: &C) -> Result<u64> {
    Ok(scim_tokens::Entity::delete_many().exec(c).await?.rows_affected)
}

/// Whether any token is stored at all (active or in its grace period).
pub async fn any<C: ConnectionTrait>(c: &C, now: DateTime<Utc>) -> Result<bool> {
    Ok(!active(c, now).await?.is_empty())
}

/// A stored token as the status report shows it (never its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// Row id.
    pub id: String,
    /// When it was generated.
    pub created_at: DateTime<Utc>,
    /// Until when it verifies (`None`: until replaced or revoked).
    pub expires_at: Option<DateTime<Utc>>,
    /// The last request it authenticated (flushed from memory every few seconds).
    pub last_used_at: Option<DateTime<Utc>>,
}

/// Every stored token, newest first.
pub async fn list<C: ConnectionTrait>(c: &C) -> Result<Vec<TokenRecord>> {
    use sea_orm::QueryOrder;
    let rows = scim_tokens::Entity::find().order_by_desc(scim_tokens::Column::CreatedAt).all(c).await?;
    Ok(rows
        .into_iter()
        .map(|row| TokenRecord {
            id: row.id,
            created_at: crate::time::from_micros(row.created_at),
            expires_at: row.expires_at.map(crate::time::from_micros),
            last_used_at: row.last_used_at.map(crate::time::from_micros),
        })
        .collect())
}

/// Records that token `id` authenticated a request at `at` (kept only if later than what is stored).
pub async fn record_use<C: ConnectionTrait>(c: &C, id: &str, at: DateTime<Utc>) -> Result<()> {
    let at = to_micros(at);
    scim_tokens::Entity::update_many()
        .col_expr(scim_tokens::Column::LastUsedAt, sea_orm::sea_query::Expr::value(at))
        .filter(scim_tokens::Column::Id.eq(id))
        .filter(
            Condition::any().add(scim_tokens::Column::LastUsedAt.is_null()).add(scim_tokens::Column::LastUsedAt.lt(at)),
        )
        .exec(c)
        .await?;
    Ok(())
}

/// Settings key of the rejected-token counter.
pub const REJECTIONS_KEY: &str = "scim_token.rejections";

/// SCIM requests refused for a wrong token since the current token was generated. The presented
/// tokens themselves are never stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rejections {
    /// How many.
    pub count: u64,
    /// The first one.
    pub since: Option<DateTime<Utc>>,
    /// The latest one.
    pub last: Option<DateTime<Utc>>,
}

/// The rejected-token counter.
pub async fn rejections<C: ConnectionTrait>(c: &C) -> Result<Rejections> {
    Ok(crate::settings::get(c, REJECTIONS_KEY).await?.and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default())
}

/// Adds `delta` to the rejected-token counter (one small row, read and written in the caller's
/// transaction).
pub async fn add_rejections<C: ConnectionTrait>(c: &C, delta: &Rejections, now: DateTime<Utc>) -> Result<()> {
    let mut r = rejections(c).await?;
    r.count += delta.count;
    r.since = match (r.since, delta.since) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    r.last = r.last.max(delta.last);
    let value = serde_json::to_value(&r).unwrap_or_default();
    crate::settings::put(c, REJECTIONS_KEY, &value, now).await
}

/// Resets the rejected-token counter (a new token was generated, or all were revoked).
pub async fn reset_rejections<C: ConnectionTrait>(c: &C, now: DateTime<Utc>) -> Result<()> {
    let value = serde_json::to_value(Rejections::default()).unwrap_or_default();
    crate::settings::put(c, REJECTIONS_KEY, &value, now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(presented: &str, stored: &[&str], expected: Option<usize>) {
        let active: Vec<ActiveToken> = stored
            .iter()
            .enumerate()
            .map(|(i, t)| ActiveToken { id: i.to_string(), hash: hash(t), expires_at: None })
            .collect();
        let got = verify(&SecretString::from(presented.to_owned()), &active).map(|t| t.id.parse::<usize>().unwrap());
        assert_eq!(got, expected, "{presented}");
    }

    #[test]
    fn verifies_only_stored_tokens() {
        check("a", &["a"], Some(0));
        check("b", &["a", "b"], Some(1));
        check("c", &["a", "b"], None);
        check("", &[], None);
        check("A", &["a"], None);
    }

    #[test]
    fn generated_tokens_are_prefixed_256_bit_hex_and_hash_to_their_digest() {
        let (token, digest) = generate();
        let t = token.expose_secret();
        assert!(t.starts_with(TOKEN_PREFIX));
        assert_eq!(t.len(), TOKEN_PREFIX.len() + 64);
        assert_eq!(hash(t), digest);
        assert_ne!(generate().1, digest);
        assert!(!format!("{token:?}").contains(t), "Debug must not print the token");
    }
}
