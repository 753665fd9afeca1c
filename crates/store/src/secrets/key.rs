//! The local secret backend's 32-byte key: loaded from an environment variable, or from a key file
//! that is created (mode 0600) on first use and refused when group or others can access it.
//!
//! Key material only lives in zeroizing buffers and is never formatted into a message.

use crate::{Error, Result};
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use rand::RngCore;
use secrecy::zeroize::{Zeroize, Zeroizing};
use sha2::{Digest, Sha256};
use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// Key length in bytes (XChaCha20-Poly1305).
pub(crate) const KEY_LEN: usize = 32;

/// A loaded key and where it came from.
pub(crate) struct Key {
    bytes: Zeroizing<[u8; KEY_LEN]>,
    /// "the key in /etc/stackflow/secrets.key" or "the key in $STACKFLOW_SECRETS_KEY", for messages.
    source: String,
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key").field("source", &self.source).field("bytes", &"***").finish()
    }
}

impl Key {
    /// Loads the key from the variable `env` when configured, else from `file` (creating it).
    pub(crate) fn load(file: &Path, env: Option<&str>) -> Result<Key> {
        match env {
            Some(var) => Self::from_env(var),
            None => Self::from_file(file),
        }
    }

    /// The raw key bytes.
    pub(crate) fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.bytes
    }

    /// Where the key came from, as a noun phrase for messages ("the key in …").
    pub(crate) fn source(&self) -> &str {
        &self.source
    }

    /// A short public fingerprint of the key (16 hex digits of a domain-separated SHA-256), stored
    /// next to each ciphertext so a wrong key is told apart from a modified row.
    pub(crate) fn id(&self) -> String {
        let digest =
            Sha256::new().chain_update(b"stackflow secrets key id v1\0").chain_update(&self.bytes[..]).finalize();
        hex::encode(&digest[..8])
    }

    fn from_env(var: &str) -> Result<Key> {
        let value = Zeroizing::new(std::env::var(var).map_err(|e| match e {
            std::env::VarError::NotPresent => {
                Error::SecretConfig(format!("the key variable {var} (secrets.key_env) is not set"))
            }
            std::env::VarError::NotUnicode(_) => Error::SecretConfig(format!("the key variable {var} is not UTF-8")),
        })?);
        let bytes = parse(&value)
            .map_err(|reason| Error::SecretConfig(format!("the key variable {var} does not hold a key: {reason}")))?;
        Ok(Key { bytes, source: format!("the key in environment variable {var}") })
    }

    fn from_file(path: &Path) -> Result<Key> {
        let shown = path.display();
        let text = match fs::metadata(path) {
            Ok(meta) => {
                check_permissions(path, &meta)?;
                read(path)?
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => create(path)?,
            Err(e) => return Err(Error::SecretConfig(format!("cannot read key file {shown}: {e}"))),
        };
        let bytes = parse(&text)
            .map_err(|reason| Error::SecretConfig(format!("key file {shown} does not hold a key: {reason}")))?;
        Ok(Key { bytes, source: format!("the key in {shown}") })
    }

    /// A key from raw bytes (tests).
    #[cfg(test)]
    pub(crate) fn from_bytes(bytes: [u8; KEY_LEN], source: &str) -> Key {
        Key { bytes: Zeroizing::new(bytes), source: source.to_owned() }
    }
}

/// Parses a key written as 64 hex digits or as base64 (standard or URL-safe, padded or not) of
/// exactly 32 bytes. The error says what is wrong without echoing the input.
pub(crate) fn parse(text: &str) -> std::result::Result<Zeroizing<[u8; KEY_LEN]>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("it is empty".to_owned());
    }
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    if text.len() == 2 * KEY_LEN && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex::decode_to_slice(text, &mut key[..]).map_err(|_| "it is not valid hex".to_owned())?;
        return Ok(key);
    }
    let decoded = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD].iter().find_map(|e| e.decode(text).ok());
    let Some(mut decoded) = decoded else {
        return Err(format!("expected {KEY_LEN} bytes as 64 hex digits or base64"));
    };
    let len = decoded.len();
    if len == KEY_LEN {
        key.copy_from_slice(&decoded);
    }
    decoded.zeroize();
    if len != KEY_LEN {
        return Err(format!("expected {KEY_LEN} bytes, got {len}"));
    }
    Ok(key)
}

/// Generates a new key into `path` with mode 0600, atomically: the key is written to a private
/// temporary file which is then hard-linked to `path`, so a concurrent reader sees either no file or
/// the complete key, and an existing key is never overwritten.
fn create(path: &Path) -> Result<Zeroizing<String>> {
    let shown = path.display();
    let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
    rand::rng().fill_bytes(&mut bytes[..]);
    let text = Zeroizing::new(format!("{}\n", hex::encode(&bytes[..])));
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{file_name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let written = write_private(&tmp, text.as_bytes()).and_then(|()| fs::hard_link(&tmp, path));
    // The temporary name is only a staging step; a failure to remove it is harmless.
    let _ = fs::remove_file(&tmp);
    match written {
        Ok(()) => {
            tracing::info!(key_file = %shown, "created a new secrets key file (mode 0600); back it up");
            Ok(text)
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let meta =
                fs::metadata(path).map_err(|e| Error::SecretConfig(format!("cannot read key file {shown}: {e}")))?;
            check_permissions(path, &meta)?;
            read(path)
        }
        Err(e) => Err(Error::SecretConfig(format!("cannot create key file {shown}: {e}"))),
    }
}

fn write_private(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

fn read(path: &Path) -> Result<Zeroizing<String>> {
    fs::read_to_string(path)
        .map(Zeroizing::new)
        .map_err(|e| Error::SecretConfig(format!("cannot read key file {}: {e}", path.display())))
}

/// Refuses a key file that group or others may read or write.
#[cfg(unix)]
fn check_permissions(path: &Path, meta: &fs::Metadata) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        let shown = path.display();
        return Err(Error::SecretConfig(format!(
            "key file {shown} is accessible by group or others (mode {mode:04o}); refusing to use it. \
             Restrict it with `chmod 600 {shown}` (and consider whether the key leaked)"
        )));
    }
    Ok(())
}

/// Windows and other non-Unix targets have no mode bits to check.
#[cfg(not(unix))]
fn check_permissions(_path: &Path, _meta: &fs::Metadata) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    fn check(text: &str, expected: std::result::Result<[u8; KEY_LEN], &str>) {
        match (parse(text), expected) {
            (Ok(key), Ok(want)) => assert_eq!(*key, want, "{text:?}"),
            (Err(reason), Err(want)) => {
                assert!(reason.contains(want), "{text:?}: {reason}");
                assert!(text.trim().is_empty() || !reason.contains(text.trim()), "error echoes the input: {reason}");
            }
            (got, want) => panic!("{text:?}: got {:?}, want {want:?}", got.map(|k| *k)),
        }
    }

    fn counting() -> [u8; KEY_LEN] {
        std::array::from_fn(|i| i as u8)
    }

    #[test]
    fn parses_hex_and_base64_keys_of_32_bytes() {
        let key = counting();
        check(HEX, Ok(key));
        check(&HEX.to_uppercase(), Ok(key));
        check(&format!("  {HEX}\n"), Ok(key));
        check(&STANDARD.encode(key), Ok(key));
        check(&STANDARD_NO_PAD.encode(key), Ok(key));
        check(&URL_SAFE.encode([0xfb; 32]), Ok([0xfb; 32]));
        check(&URL_SAFE_NO_PAD.encode([0xff; 32]), Ok([0xff; 32]));
        check(&STANDARD.encode([0xff; 32]), Ok([0xff; 32]));
        check("", Err("empty"));
        check(" \n", Err("empty"));
        check(&HEX[..62], Err("expected 32 bytes"));
        check(&STANDARD.encode([1u8; 16]), Err("got 16"));
        check(&STANDARD.encode([1u8; 33]), Err("got 33"));
        check("not a key at all!", Err("64 hex digits or base64"));
        check(&format!("{}zz", &HEX[..62]), Err("got 48"));
        check(&format!("{}!!", &HEX[..62]), Err("64 hex digits or base64"));
    }

    #[test]
    fn key_file_is_created_once_with_mode_0600_and_reused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.key");
        let first = Key::load(&path, None).unwrap();
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(fs::read_to_string(&path).unwrap().trim().len(), 64);
        let second = Key::load(&path, None).unwrap();
        assert_eq!(first.bytes(), second.bytes());
        assert_eq!(first.id(), second.id());
        assert!(first.source().contains(&path.display().to_string()));
        // Only the key file: no staging files left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn key_file_accessible_by_group_or_others_is_refused_with_the_fix() {
        use std::os::unix::fs::PermissionsExt;
        for mode in [0o644, 0o640, 0o604, 0o660, 0o602, 0o620] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("secrets.key");
            fs::write(&path, HEX).unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
            let message = Key::load(&path, None).unwrap_err().to_string();
            let shown = path.display().to_string();
            assert!(message.contains(&format!("chmod 600 {shown}")), "{mode:o}: {message}");
            assert!(!message.contains(HEX), "{message}");
            fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
            assert_eq!(Key::load(&path, None).unwrap().bytes(), &counting());
        }
    }

    #[test]
    fn malformed_or_unwritable_key_files_are_clear_errors() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("short.key");
        fs::write(&path, "abcd").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        let message = Key::load(&path, None).unwrap_err().to_string();
        assert!(message.contains("does not hold a key") && message.contains("short.key"), "{message}");
        assert!(!message.contains("abcd"), "{message}");
        let missing_dir = dir.path().join("no/such/dir/secrets.key");
        let message = Key::load(&missing_dir, None).unwrap_err().to_string();
        assert!(message.contains("cannot create key file") && message.contains("no/such/dir"), "{message}");
    }

    #[test]
    fn key_from_environment_variable_wins_over_the_file() {
        let var = "STACKFLOW_TEST_SECRETS_KEY_ENV_PARSING";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("unused.key");
        std::env::set_var(var, STANDARD.encode(counting()));
        let key = Key::load(&path, Some(var)).unwrap();
        assert_eq!(key.bytes(), &counting());
        assert!(key.source().contains(var));
        assert!(!path.exists(), "the key file must not be created when the variable is used");
        let debug = format!("{key:?}");
        assert!(!debug.contains(HEX) && !debug.contains(&STANDARD.encode(counting())) && !debug.contains("0, 1, 2"));
        std::env::set_var(var, "too short");
        let message = Key::load(&path, Some(var)).unwrap_err().to_string();
        assert!(message.contains(var) && !message.contains("too short"), "{message}");
        std::env::remove_var(var);
        let message = Key::load(&path, Some(var)).unwrap_err().to_string();
        assert!(message.contains("is not set"), "{message}");
    }
}
