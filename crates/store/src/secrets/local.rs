//! The embedded secret backend: values encrypted at rest in StackFlow's own database (`secrets`
//! table) with XChaCha20-Poly1305.
//!
//! Each write draws a fresh random 24-byte nonce; the secret's name is the associated data, so a
//! ciphertext copied to another name fails authentication instead of decrypting. Each row records a
//! fingerprint of the key it was written with, so a read with another key says "wrong key" rather
//! than "modified". Decryption either authenticates or fails: never a garbage value.

use super::key::Key;
use super::{SecretName, SecretStore};
use crate::entity::secrets;
use crate::time::{now, to_micros};
use crate::{Error, Result, Store};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use rand::RngCore;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, EntityTrait};
use secrecy::zeroize::Zeroize;
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::path::Path;

/// Nonce length of XChaCha20-Poly1305, in bytes.
const NONCE_LEN: usize = 24;

/// Secrets encrypted at rest in the database of a [`Store`].
///
/// Writes run in their own write transaction: on SQLite, do not call [`SecretStore::put`] or
/// [`SecretStore::delete`] while holding a [`crate::WriteTxn`] of the same store.
pub struct LocalSecretStore {
    store: Store,
    cipher: XChaCha20Poly1305,
    key_id: String,
    key_source: String,
}

impl fmt::Debug for LocalSecretStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalSecretStore")
            .field("backend", &self.store.backend())
            .field("key", &self.key_source)
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl LocalSecretStore {
    /// Opens the backend over `store`, with the key from the variable `key_env` when given, else
    /// from `key_file` (created with mode 0600 on first use; refused if group or others can access it).
    pub fn open(store: Store, key_file: &Path, key_env: Option<&str>) -> Result<LocalSecretStore> {
        LocalSecretStore::with_key(store, Key::load(key_file, key_env)?)
    }

    pub(super) fn with_key(store: Store, key: Key) -> Result<LocalSecretStore> {
        let cipher = XChaCha20Poly1305::new_from_slice(key.bytes())
            .map_err(|_| Error::SecretConfig(format!("{} has the wrong length", key.source())))?;
        Ok(LocalSecretStore { store, cipher, key_id: key.id(), key_source: key.source().to_owned() })
    }

    fn encrypt(&self, name: &SecretName, value: &SecretString) -> Result<secrets::ActiveModel> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let payload = Payload { msg: value.expose_secret().as_bytes(), aad: name.as_str().as_bytes() };
        let ciphertext = self
            .cipher
            .encrypt(&XNonce::from(nonce), payload)
            .map_err(|_| Error::SecretConfig(format!("cannot encrypt secret {name}: the value is too long")))?;
        Ok(secrets::ActiveModel {
            name: Set(name.as_str().to_owned()),
            nonce: Set(BASE64.encode(nonce)),
            ciphertext: Set(BASE64.encode(ciphertext)),
            key_id: Set(self.key_id.clone()),
            updated_at: Set(to_micros(now())),
        })
    }

    fn decrypt(&self, name: &SecretName, row: &secrets::Model) -> Result<SecretString> {
        let unreadable = |reason: String| Error::SecretUnreadable { name: name.to_string(), reason };
        let nonce: [u8; NONCE_LEN] = BASE64
            .decode(&row.nonce)
            .ok()
            .and_then(|n| n.try_into().ok())
            .ok_or_else(|| unreadable("the stored nonce is malformed".to_owned()))?;
        let ciphertext =
            BASE64.decode(&row.ciphertext).map_err(|_| unreadable("the stored ciphertext is not base64".to_owned()))?;
        let payload = Payload { msg: &ciphertext, aad: name.as_str().as_bytes() };
        let plaintext = self.cipher.decrypt(&XNonce::from(nonce), payload).map_err(|_| {
            unreadable(if row.key_id != self.key_id {
                format!("{} is not the one it was written with", self.key_source)
            } else {
                "the stored ciphertext fails authentication: the row was modified or copied from another \
                 secret; put the secret again"
                    .to_owned()
            })
        })?;
        String::from_utf8(plaintext).map(SecretString::from).map_err(|e| {
            e.into_bytes().zeroize();
            unreadable("the decrypted value is not UTF-8".to_owned())
        })
    }
}

#[async_trait::async_trait]
impl SecretStore for LocalSecretStore {
    async fn put(&self, name: &SecretName, value: &SecretString) -> Result<()> {
        let row = self.encrypt(name, value)?;
        let txn = self.store.write().await?;
        secrets::Entity::insert(row)
            .on_conflict(
                OnConflict::column(secrets::Column::Name)
                    .update_columns([
                        secrets::Column::Nonce,
                        secrets::Column::Ciphertext,
                        secrets::Column::KeyId,
                        secrets::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&*txn)
            .await?;
        txn.commit().await?;
        tracing::debug!(secret = %name, "secret stored");
        Ok(())
    }

    async fn get(&self, name: &SecretName) -> Result<Option<SecretString>> {
        let row = secrets::Entity::find_by_id(name.as_str().to_owned()).one(self.store.conn()).await?;
        row.map(|row| self.decrypt(name, &row)).transpose()
    }

    async fn delete(&self, name: &SecretName) -> Result<()> {
        let txn = self.store.write().await?;
        secrets::Entity::delete_by_id(name.as_str().to_owned()).exec(&*txn).await?;
        txn.commit().await?;
        tracing::debug!(secret = %name, "secret deleted");
        Ok(())
    }

    async fn health(&self) -> Result<()> {
        self.store.ping().await
    }

    fn describe(&self) -> String {
        format!("local: XChaCha20-Poly1305 in the database, with {}", self.key_source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::{open, SecretsConfig};
    use crate::DbOptions;
    use sea_orm::{ActiveModelTrait, IntoActiveModel};

    const API: SecretName = SecretName::OKTA_API_TOKEN;
    const OIDC: SecretName = SecretName::OKTA_OIDC_CLIENT_SECRET;

    async fn memory_store() -> Store {
        Store::connect("sqlite::memory:", &DbOptions::default()).await.unwrap()
    }

    fn secrets_with(store: &Store, key_byte: u8, source: &str) -> LocalSecretStore {
        LocalSecretStore::with_key(store.clone(), Key::from_bytes([key_byte; 32], source)).unwrap()
    }

    fn secret(value: &str) -> SecretString {
        SecretString::from(value.to_owned())
    }

    /// What a scenario step does before reading the secret back.
    enum Op<'a> {
        Get,
        Put(&'a str),
        Delete,
    }

    /// Runs `op` on `name`, then checks what reads back.
    async fn check(secrets: &dyn SecretStore, name: &SecretName, op: Op<'_>, expect: Option<&str>) {
        match op {
            Op::Get => {}
            Op::Put(value) => secrets.put(name, &secret(value)).await.unwrap(),
            Op::Delete => secrets.delete(name).await.unwrap(),
        }
        let got = secrets.get(name).await.unwrap();
        assert_eq!(got.as_ref().map(|s| s.expose_secret()), expect, "{name}");
    }

    async fn row(store: &Store, name: &SecretName) -> secrets::Model {
        secrets::Entity::find_by_id(name.as_str().to_owned()).one(store.conn()).await.unwrap().unwrap()
    }

    #[tokio::test]
    async fn round_trips_overwrites_and_deletes() {
        let store = memory_store().await;
        let secrets = secrets_with(&store, 7, "the key in test");
        check(&secrets, &API, Op::Get, None).await;
        check(&secrets, &API, Op::Put("ssws-00a"), Some("ssws-00a")).await;
        check(&secrets, &OIDC, Op::Put("oidc secret ✓"), Some("oidc secret ✓")).await;
        check(&secrets, &API, Op::Put("ssws-00b"), Some("ssws-00b")).await;
        check(&secrets, &OIDC, Op::Get, Some("oidc secret ✓")).await;
        check(&secrets, &API, Op::Put(""), Some("")).await;
        check(&secrets, &API, Op::Delete, None).await;
        check(&secrets, &API, Op::Delete, None).await;
        check(&secrets, &OIDC, Op::Get, Some("oidc secret ✓")).await;
        secrets.health().await.unwrap();
        assert!(secrets.describe().contains("the key in test"));
    }

    #[tokio::test]
    async fn stores_only_ciphertext_with_a_fresh_nonce_per_write() {
        let store = memory_store().await;
        let secrets = secrets_with(&store, 7, "the key in test");
        secrets.put(&API, &secret("ssws-plaintext-value")).await.unwrap();
        let first = row(&store, &API).await;
        secrets.put(&API, &secret("ssws-plaintext-value")).await.unwrap();
        let second = row(&store, &API).await;
        assert_ne!(first.nonce, second.nonce);
        assert_ne!(first.ciphertext, second.ciphertext);
        let stored = format!("{second:?}");
        assert!(!stored.contains("ssws-plaintext-value") && !stored.contains(&BASE64.encode("ssws-plaintext-value")));
    }

    #[tokio::test]
    async fn wrong_key_is_a_clear_error_naming_the_key_source() {
        let store = memory_store().await;
        secrets_with(&store, 1, "the key in /etc/a.key").put(&API, &secret("ssws-right")).await.unwrap();
        let message = secrets_with(&store, 2, "the key in /etc/b.key").get(&API).await.unwrap_err().to_string();
        assert_eq!(
            message,
            "cannot decrypt secret okta/api-token: the key in /etc/b.key is not the one it was written with"
        );
        // The right key still reads it.
        check(&secrets_with(&store, 1, "the key in /etc/a.key"), &API, Op::Get, Some("ssws-right")).await;
    }

    #[tokio::test]
    async fn tampered_rows_are_errors_never_garbage() {
        let store = memory_store().await;
        let secrets = secrets_with(&store, 3, "the key in test");
        secrets.put(&API, &secret("ssws-original")).await.unwrap();
        let original = row(&store, &API).await;
        let mut flipped = BASE64.decode(&original.ciphertext).unwrap();
        flipped[0] ^= 1;
        let mut truncated = BASE64.decode(&original.ciphertext).unwrap();
        truncated.pop();
        let cases = [
            (BASE64.encode(&flipped), original.nonce.clone(), "fails authentication"),
            (BASE64.encode(&truncated), original.nonce.clone(), "fails authentication"),
            (original.ciphertext.clone(), BASE64.encode([0u8; NONCE_LEN]), "fails authentication"),
            (original.ciphertext.clone(), BASE64.encode([0u8; 12]), "nonce is malformed"),
            ("%%%".to_owned(), original.nonce.clone(), "not base64"),
        ];
        for (ciphertext, nonce, expected) in cases {
            let mut edit = original.clone().into_active_model();
            edit.ciphertext = Set(ciphertext);
            edit.nonce = Set(nonce);
            edit.update(store.conn()).await.unwrap();
            let message = secrets.get(&API).await.unwrap_err().to_string();
            assert!(message.contains("okta/api-token") && message.contains(expected), "{message}");
            assert!(!message.contains("ssws-original"), "{message}");
        }
    }

    #[tokio::test]
    async fn ciphertext_copied_to_another_name_fails_authentication() {
        let store = memory_store().await;
        let secrets = secrets_with(&store, 4, "the key in test");
        secrets.put(&API, &secret("ssws-api")).await.unwrap();
        secrets.put(&OIDC, &secret("oidc-secret")).await.unwrap();
        let api = row(&store, &API).await;
        let mut swapped = row(&store, &OIDC).await.into_active_model();
        swapped.nonce = Set(api.nonce);
        swapped.ciphertext = Set(api.ciphertext);
        swapped.update(store.conn()).await.unwrap();
        let message = secrets.get(&OIDC).await.unwrap_err().to_string();
        assert!(message.contains("okta/oidc-client-secret") && message.contains("copied from another"), "{message}");
        check(&secrets, &API, Op::Get, Some("ssws-api")).await;
    }

    #[tokio::test]
    async fn open_uses_the_configured_key_file_and_nothing_prints_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let key_file = dir.path().join("secrets.key");
        let store = memory_store().await;
        let config = SecretsConfig::Local { key_file: key_file.clone(), key_env: None };
        let secrets = open(&config, &store).await.unwrap();
        secrets.put(&API, &secret("ssws-do-not-print")).await.unwrap();
        let value = secrets.get(&API).await.unwrap();
        // A second open reads the same key file, so it reads what the first one wrote.
        let reopened = open(&config, &store).await.unwrap();
        check(&*reopened, &API, Op::Get, Some("ssws-do-not-print")).await;

        let key_text = std::fs::read_to_string(&key_file).unwrap();
        let local = LocalSecretStore::open(store.clone(), &key_file, None).unwrap();
        let wrong = secrets_with(&store, 9, "the key in test").get(&API).await.unwrap_err();
        let printed = [
            format!("{value:?}"),
            format!("{local:?}"),
            format!("{config:?}"),
            format!("{wrong:?} {wrong}"),
            secrets.describe(),
            format!("{:?}", row(&store, &API).await),
        ];
        for text in printed {
            assert!(!text.contains("ssws-do-not-print"), "{text}");
            assert!(!text.contains(key_text.trim()), "{text}");
        }
    }
}
