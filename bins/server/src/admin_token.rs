//! The bootstrap admin token check, shared by everything an administrator signs in to: SHA-256
//! digests compared in constant time (`subtle`), so neither the token's content nor its length leaks
//! through timing.

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// What to do when no bootstrap token is configured (the admin API answers 503 with the same advice).
pub const NOT_CONFIGURED: &str = "no bootstrap admin token is configured: set admin.bootstrap_token_file in \
     stackflow.toml or the STACKFLOW__ADMIN__BOOTSTRAP_TOKEN environment variable (at least 16 characters, e.g. \
     `openssl rand -hex 32`), then restart";

/// Whether `presented` is the configured bootstrap token.
pub fn matches(expected: &SecretString, presented: &str) -> bool {
    let a = Sha256::digest(presented.as_bytes());
    let b = Sha256::digest(expected.expose_secret().as_bytes());
    bool::from(a.ct_eq(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_token_matches() {
        let expected = SecretString::from("0123456789abcdef-admin");
        assert!(matches(&expected, "0123456789abcdef-admin"));
        for wrong in ["", "0123456789abcdef-admi", "0123456789abcdef-admin ", "0123456789ABCDEF-admin"] {
            assert!(!matches(&expected, wrong), "{wrong:?}");
        }
    }
}
