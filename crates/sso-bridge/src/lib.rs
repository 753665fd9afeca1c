//! # sso-bridge
//!
//! The Okta side of StackFlow's Okta integration: today the validated [`OktaDomain`] every Okta call
//! is built from; the OIDC login, ID-token verification, Cognito token issuance and the Okta
//! management-API client grow here. It talks HTTP/AWS and never touches the database.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use std::fmt;
use std::str::FromStr;

/// Errors of the bridge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The Okta domain is not a host name such as `your-org.okta.com`.
    #[error("invalid Okta domain '{input}': {reason}; type the host only, e.g. your-org.okta.com")]
    InvalidDomain {
        /// What was typed.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
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
