//! SCIM bearer tokens: generation, rotation with and without a grace period, verification,
//! revocation, and that only SHA-256 hashes of tokens reach the database.

use crate::helpers::{at, test_store};
use chrono::Duration;
use sea_orm::EntityTrait;
use secrecy::{ExposeSecret, SecretString};
use store::entity::scim_tokens;
use store::tokens::{self, TOKEN_PREFIX};
use store::Store;

/// The token's id among the tokens active at `now`, if it verifies.
async fn verifies(store: &Store, token: &SecretString, now: chrono::DateTime<chrono::Utc>) -> Option<String> {
    let active = tokens::active(store.conn(), now).await.unwrap();
    tokens::verify(token, &active).map(|t| t.id.clone())
}

/// Every stored row, every column, as text.
async fn stored_rows(store: &Store) -> Vec<String> {
    scim_tokens::Entity::find().all(store.conn()).await.unwrap().into_iter().map(|row| format!("{row:?}")).collect()
}

#[tokio::test]
async fn tokens_are_generated_rotated_verified_and_revoked() {
    let store = test_store().await;
    let c = store.conn();
    let now = at(0);
    assert!(!tokens::any(c, now).await.unwrap());
    assert!(verifies(&store, &SecretString::from("sfscim_nothing".to_owned()), now).await.is_none());

    let (first, first_hash) = tokens::generate();
    assert!(first.expose_secret().starts_with(TOKEN_PREFIX));
    tokens::replace(c, &first_hash, now, None).await.unwrap();
    assert!(tokens::any(c, now).await.unwrap());
    let active = tokens::active(c, now).await.unwrap();
    assert_eq!(active.len(), 1);
    assert_eq!((active[0].hash, active[0].expires_at), (first_hash, None));
    assert_eq!(verifies(&store, &first, now).await, Some(active[0].id.clone()));
    assert_eq!(
        verifies(&store, &first, now + Duration::days(3650)).await,
        Some(active[0].id.clone()),
        "no expiry by itself"
    );

    // Near misses do not verify.
    let token = first.expose_secret();
    for wrong in [
        token.to_uppercase(),
        token[..token.len() - 1].to_owned(),
        format!("{token} "),
        String::new(),
        hex::encode(first_hash),
    ] {
        assert!(verifies(&store, &SecretString::from(wrong.clone()), now).await.is_none(), "{wrong:?} verified");
    }

    // Rotation without a grace period: the old token stops at once.
    let (second, second_hash) = tokens::generate();
    tokens::replace(c, &second_hash, at(1_000), None).await.unwrap();
    assert!(verifies(&store, &first, at(1_000)).await.is_none());
    assert!(verifies(&store, &second, at(1_000)).await.is_some());
    assert_eq!(tokens::active(c, at(1_000)).await.unwrap().len(), 1);

    assert_eq!(tokens::revoke_all(c).await.unwrap(), 1);
    assert!(!tokens::any(c, at(2_000)).await.unwrap());
    assert!(verifies(&store, &second, at(2_000)).await.is_none());
    assert_eq!(tokens::revoke_all(c).await.unwrap(), 0);
}

#[tokio::test]
async fn a_replaced_token_verifies_until_its_grace_period_ends() {
    let store = test_store().await;
    let c = store.conn();
    let (old, old_hash) = tokens::generate();
    tokens::replace(c, &old_hash, at(0), None).await.unwrap();

    let rotated_at = at(60_000);
    let until = rotated_at + Duration::hours(1);
    let (new, new_hash) = tokens::generate();
    tokens::replace(c, &new_hash, rotated_at, Some(until)).await.unwrap();

    let during = rotated_at + Duration::minutes(59);
    let active = tokens::active(c, during).await.unwrap();
    assert_eq!(active.len(), 2);
    let old_row = active.iter().find(|t| t.hash == old_hash).unwrap();
    assert_eq!(old_row.expires_at, Some(until));
    assert_eq!(active.iter().find(|t| t.hash == new_hash).unwrap().expires_at, None);
    assert!(verifies(&store, &old, during).await.is_some());
    assert!(verifies(&store, &new, during).await.is_some());
    assert_ne!(verifies(&store, &old, during).await, verifies(&store, &new, during).await);

    // At the instant it expires, and after, the old token no longer verifies; the new one does.
    for when in [until, until + Duration::seconds(1), until + Duration::days(1)] {
        assert!(verifies(&store, &old, when).await.is_none(), "old token still verifies at {when}");
        assert!(verifies(&store, &new, when).await.is_some());
        assert_eq!(tokens::active(c, when).await.unwrap().len(), 1);
    }

    // A second rotation with grace does not extend the first one's: only tokens without an expiry
    // get one.
    let (third, third_hash) = tokens::generate();
    let later = until + Duration::days(1);
    tokens::replace(c, &third_hash, later, Some(later + Duration::hours(2))).await.unwrap();
    assert!(verifies(&store, &old, later).await.is_none());
    assert!(verifies(&store, &new, later + Duration::hours(1)).await.is_some());
    assert!(verifies(&store, &new, later + Duration::hours(2)).await.is_none());
    assert!(verifies(&store, &third, later + Duration::days(30)).await.is_some());

    // Revoking ends the grace period too.
    assert_eq!(tokens::revoke_all(c).await.unwrap(), 3);
    assert!(verifies(&store, &new, later).await.is_none());
    assert!(verifies(&store, &third, later).await.is_none());
}

#[tokio::test]
async fn only_token_hashes_are_stored() {
    let store = test_store().await;
    let c = store.conn();
    let mut issued = Vec::new();
    for k in 0..3 {
        let (token, hash) = tokens::generate();
        tokens::replace(c, &hash, at(k * 1_000), Some(at(k * 1_000 + 3_600_000))).await.unwrap();
        issued.push((token, hash));
    }
    let rows = scim_tokens::Entity::find().all(c).await.unwrap();
    assert_eq!(rows.len(), 3);
    let dump = stored_rows(&store).await.join("\n");
    for (token, hash) in &issued {
        let text = token.expose_secret();
        let random_part = &text[TOKEN_PREFIX.len()..];
        assert!(!dump.contains(text), "a token is stored in clear: {dump}");
        assert!(!dump.to_lowercase().contains(&random_part.to_lowercase()), "a token's random part is stored: {dump}");
        let hex_hash = hex::encode(hash);
        assert_eq!(hex_hash, hex::encode(<sha2::Sha256 as sha2::Digest>::digest(text.as_bytes())));
        assert_eq!(rows.iter().filter(|r| r.token_hash == hex_hash).count(), 1, "the SHA-256 is what is stored");
    }
    assert!(!dump.contains(TOKEN_PREFIX), "{dump}");
}
