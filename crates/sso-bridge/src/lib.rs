//! # sso-bridge
//!
//! The Okta side of StackFlow's Okta integration: the validated [`OktaDomain`] every Okta call is
//! built from and the [`okta::OktaClient`] that checks the management API token and reads the OIDC
//! discovery document and JWKS (the "Save & Test" checks); [`oidc`] the OIDC login, [`verify`]
//! ID-token verification, [`tokens`] Cognito token issuance (`admin_password`, and [`custom_auth`]
//! for production pools); [`cognito`] mirrors StackFlow users into a Cognito user pool.
//! It talks HTTP/AWS and never touches the database.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod cognito;
pub mod custom_auth;
pub mod oidc;
pub mod okta;
pub mod tokens;
pub mod verify;

use std::fmt;
use std::str::FromStr;

/// Errors of the bridge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A Cognito call failed. `retryable` is set for throttling, 5xx and connection failures.
    #[error("Cognito {operation} failed ({code}): {message}")]
    Cognito {
        /// The API operation, e.g. `AdminCreateUser`.
        operation: &'static str,
        /// The AWS error code or the client-side failure kind.
        code: String,
        /// The service's or client's message.
        message: String,
        /// Whether trying again later may succeed.
        retryable: bool,
    },
    /// The `[cognito]` configuration is unusable.
    #[error("cognito configuration: {0}")]
    InvalidCognitoConfig(String),
    /// The Okta domain is not a host name such as `your-org.okta.com`.
    #[error("invalid Okta domain '{input}': {reason}; type the host only, e.g. your-org.okta.com")]
    InvalidDomain {
        /// What was typed.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The Okta org could not be reached: DNS, TCP connect or TLS failed.
    #[error("{url} is unreachable: {reason}")]
    Unreachable {
        /// The URL called.
        url: String,
        /// What failed (never a credential).
        reason: String,
    },
    /// Okta did not answer within the timeout.
    #[error("{url} did not answer within {millis} ms")]
    Timeout {
        /// The URL called.
        url: String,
        /// The timeout, in milliseconds.
        millis: u128,
    },
    /// Okta refused the API token (401): it is invalid, expired or revoked.
    #[error("{url} refused the API token (401)")]
    Unauthorized {
        /// The URL called.
        url: String,
    },
    /// Okta answered with an unexpected status.
    #[error("{url} answered HTTP {status}")]
    Status {
        /// The URL called.
        url: String,
        /// The HTTP status.
        status: u16,
    },
    /// Okta's answer is not the document expected.
    #[error("{url} answered with an unreadable document: {reason}")]
    Malformed {
        /// The URL called.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The client could not be built or the base URL is unusable.
    #[error("Okta client: {0}")]
    Client(String),
    /// The token endpoint refused the request (RFC 6749 §5.2 `error`, e.g. `invalid_grant`).
    #[error("{url} refused the code exchange: {error}")]
    TokenEndpoint {
        /// The token endpoint.
        url: String,
        /// The OAuth error code.
        error: String,
    },
    /// An ID token was refused (the token itself is never part of the error).
    #[error("ID token refused: {0}")]
    IdTokenRejected(verify::Rejection),
    /// The `custom_auth` signing key is unusable (its content is never part of the error).
    #[error("assertion key: {0}")]
    AssertionKey(String),
    /// A `custom_auth` assertion was refused (the assertion itself is never part of the error).
    #[error("assertion refused: {0}")]
    AssertionRejected(custom_auth::Rejection),
}

/// `pub type Result<T>` of this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// An Okta org's host name (`your-org.okta.com`, `your-org.oktapreview.com` or a custom domain such as
/// `login.example.com`), lower-cased. A pasted URL (`https://your-org.okta.com/`) is normalised to
/// its host; a path, query, user info or port other than 443 is refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OktaDomain(String);

impl OktaDomain {
    /// Parses and normalises what an administrator typed.
    pub fn parse(input: &str) -> Result<OktaDomain> {
        let err = |reason| Error::InvalidDomain { input: input.to_owned(), reason };
        let trimmed = input.trim();
        let rest = trimmed.strip_prefix("https://").or_else(|| trimmed.strip_prefix("HTTPS://")).unwrap_or(trimmed);
        if rest.contains("://") {
            return Err(err("only https is allowed"));
        }
        let host = rest.strip_suffix('/').unwrap_or(rest);
        if host.contains('/') || host.contains('?') || host.contains('#') {
            return Err(err("it contains a path"));
        }
        if host.contains('@') {
            return Err(err("it contains user information"));
        }
        let host = host.strip_suffix(":443").unwrap_or(host);
        if host.contains(':') {
            return Err(err("it contains a port"));
        }
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if host.is_empty() {
            return Err(err("it is empty"));
        }
        if host.len() > 253 || !host.contains('.') {
            return Err(err("it is not a fully qualified host name"));
        }
        for label in host.split('.') {
            let valid = !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            if !valid {
                return Err(err("it has an invalid host-name label"));
            }
        }
        Ok(OktaDomain(host))
    }

    /// The host name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `https://<domain>`: the issuer of the org authorization server and the base of the API.
    pub fn base_url(&self) -> String {
        format!("https://{}", self.0)
    }
}

impl FromStr for OktaDomain {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        OktaDomain::parse(s)
    }
}

impl fmt::Display for OktaDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: std::result::Result<&str, &str>) {
        match (OktaDomain::parse(input), expected) {
            (Ok(d), Ok(host)) => assert_eq!(d.as_str(), host, "{input}"),
            (Err(e), Err(reason)) => assert!(e.to_string().contains(reason), "{input}: {e}"),
            (got, want) => panic!("{input}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn domains() {
        check("your-org.okta.com", Ok("your-org.okta.com"));
        check("  Your-Org.Okta.com ", Ok("your-org.okta.com"));
        check("https://your-org.okta.com/", Ok("your-org.okta.com"));
        check("your-org.oktapreview.com:443", Ok("your-org.oktapreview.com"));
        check("login.example.com", Ok("login.example.com"));
        check("", Err("it is empty"));
        check("http://your-org.okta.com", Err("only https"));
        check("https://your-org.okta.com/oauth2/default", Err("path"));
        check("your-org.okta.com:8443", Err("port"));
        check("admin@your-org.okta.com", Err("user information"));
        check("localhost", Err("fully qualified"));
        check("your_org.okta.com", Err("label"));
        check("-org.okta.com", Err("label"));
    }

    #[test]
    fn base_url() {
        assert_eq!(OktaDomain::parse("a.okta.com").unwrap().base_url(), "https://a.okta.com");
    }
}
