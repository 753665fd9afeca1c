//! A small client for the Okta calls StackFlow makes to check an integration: the management API
//! (`GET /api/v1/users/me` with `Authorization: SSWS <token>`), the org's OIDC discovery document
//! and its JWKS. Every call has a timeout, so an unreachable or slow org fails in bounded time.

use crate::{Error, OktaDomain, Result};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::time::Duration;

/// The default timeout of one Okta call.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The subset of the OIDC discovery document StackFlow reads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Discovery {
    /// The issuer, e.g. `https://your-org.okta.com`.
    pub issuer: String,
    /// Where the signing keys are published.
    pub jwks_uri: String,
}

/// Calls one Okta org.
#[derive(Debug, Clone)]
pub struct OktaClient {
    http: reqwest::Client,
    base_url: String,
    timeout: Duration,
}

impl OktaClient {
    /// A client for `domain` (`https://<domain>`), or for `base_url_override` when given — for tests
    /// and emulators only (e.g. `http://127.0.0.1:9999`). Each call times out after `timeout`.
    pub fn new(domain: &OktaDomain, base_url_override: Option<&str>, timeout: Duration) -> Result<OktaClient> {
        let base_url = match base_url_override {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => domain.base_url(),
        };
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("StackFlow/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Client(e.to_string()))?;
        Ok(OktaClient { http, base_url, timeout })
    }

    /// The base URL calls go to.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    fn classify(&self, url: &str, err: &reqwest::Error) -> Error {
        if err.is_timeout() {
            return Error::Timeout { url: url.to_owned(), millis: self.timeout.as_millis() };
        }
        // Walk to the innermost cause (DNS, connection refused, TLS), which says what to fix.
        let mut reason = err.to_string();
        let mut source = std::error::Error::source(err);
        while let Some(s) = source {
            reason = s.to_string();
            source = s.source();
        }
        Error::Unreachable { url: url.to_owned(), reason }
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str, auth: Option<&SecretString>) -> Result<T> {
        let mut req = self.http.get(url).header(reqwest::header::ACCEPT, "application/json");
        if let Some(token) = auth {
            req = req.header(reqwest::header::AUTHORIZATION, format!("SSWS {}", token.expose_secret()));
        }
        let res = req.send().await.map_err(|e| self.classify(url, &e))?;
        let status = res.status().as_u16();
        if status == 401 || status == 403 {
            return Err(Error::Unauthorized { url: url.to_owned() });
        }
        if !res.status().is_success() {
            return Err(Error::Status { url: url.to_owned(), status });
        }
        let body = res.bytes().await.map_err(|e| self.classify(url, &e))?;
        serde_json::from_slice(&body).map_err(|e| Error::Malformed { url: url.to_owned(), reason: e.to_string() })
    }

    /// Checks the API token: `GET /api/v1/users/me`. Returns the login of the token's owner.
    pub async fn check_api_token(&self, token: &SecretString) -> Result<String> {
        #[derive(Deserialize)]
        struct Profile {
            login: Option<String>,
        }
        #[derive(Deserialize)]
        struct Me {
            profile: Option<Profile>,
        }
        let url = format!("{}/api/v1/users/me", self.base_url);
        let me: Me = self.get_json(&url, Some(token)).await?;
        Ok(me.profile.and_then(|p| p.login).unwrap_or_default())
    }

    /// Reads the org's OIDC discovery document (`/.well-known/openid-configuration`).
    pub async fn discovery(&self) -> Result<Discovery> {
        let url = format!("{}/.well-known/openid-configuration", self.base_url);
        self.get_json(&url, None).await
    }

    /// Reads the JWKS at `jwks_uri` and returns how many keys it holds (at least one).
    pub async fn jwks_key_count(&self, jwks_uri: &str) -> Result<usize> {
        #[derive(Deserialize)]
        struct Jwks {
            keys: Vec<serde_json::Value>,
        }
        let jwks: Jwks = self.get_json(jwks_uri, None).await?;
        if jwks.keys.is_empty() {
            return Err(Error::Malformed { url: jwks_uri.to_owned(), reason: "it holds no keys".to_owned() });
        }
        Ok(jwks.keys.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(domain: &str, override_url: Option<&str>, expected: &str) {
        let domain = OktaDomain::parse(domain).unwrap();
        let client = OktaClient::new(&domain, override_url, DEFAULT_TIMEOUT).unwrap();
        assert_eq!(client.base_url(), expected);
    }

    #[test]
    fn base_urls() {
        check("your-org.okta.com", None, "https://your-org.okta.com");
        check("your-org.okta.com", Some("http://127.0.0.1:9999/"), "http://127.0.0.1:9999");
    }

    #[tokio::test]
    async fn an_unreachable_org_is_reported_as_such() {
        let domain = OktaDomain::parse("org.invalid").unwrap();
        // Port 1 on loopback: nothing listens, the connection is refused at once.
        let client = OktaClient::new(&domain, Some("http://127.0.0.1:1"), DEFAULT_TIMEOUT).unwrap();
        let err = client.discovery().await.unwrap_err();
        assert!(matches!(err, Error::Unreachable { .. }), "{err}");
    }
}
