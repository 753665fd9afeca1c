//! The OIDC relying party of the Okta login: discovery at the configured issuer, the authorization
//! request (authorization code, PKCE S256, `state`, `nonce`, scopes `openid email profile groups`)
//! and the code exchange, through the `oauth2` crate; the ID token it returns is checked by
//! [`crate::verify`].

use crate::verify::{IdTokenClaims, IdTokenVerifier, JwksCache, DEFAULT_MIN_REFETCH};
use crate::{Error, Result};
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse, BasicTokenType,
};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    ExtraTokenFields, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, StandardRevocableToken,
    StandardTokenResponse, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The scopes asked for.
pub const SCOPES: [&str; 4] = ["openid", "email", "profile", "groups"];

/// The subset of the discovery document the login uses.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ProviderMetadata {
    /// The issuer; ID tokens must carry exactly this `iss`.
    pub issuer: String,
    /// Where the browser is sent to sign in.
    pub authorization_endpoint: String,
    /// Where the code is exchanged.
    pub token_endpoint: String,
    /// The signing keys.
    pub jwks_uri: String,
    /// How the client authenticates at the token endpoint (absent: `client_secret_basic`).
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Vec<String>,
    /// Where the browser is sent to end the IdP session (OIDC RP-Initiated Logout); absent when the
    /// issuer offers none.
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
}

/// What the OIDC app in Okta is.
#[derive(Clone)]
pub struct OidcSettings {
    /// The issuer URL (e.g. `https://your-org.okta.com`); discovery is read below it.
    pub issuer_url: String,
    /// The client ID of the OIDC app.
    pub client_id: String,
    /// Its client secret.
    pub client_secret: SecretString,
    /// Our callback URL, registered as the app's redirect URI.
    pub redirect_uri: String,
    /// Timeout of each call to the issuer.
    pub timeout: Duration,
}

impl std::fmt::Debug for OidcSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcSettings")
            .field("issuer_url", &self.issuer_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .field("redirect_uri", &self.redirect_uri)
            .finish()
    }
}

/// The `id_token` field of the token response.
#[derive(Clone, Serialize, Deserialize)]
pub struct IdTokenField {
    /// The ID token (absent when the issuer did not send one; refused then).
    #[serde(default)]
    pub id_token: Option<String>,
}

impl ExtraTokenFields for IdTokenField {}

type TokenResponse = StandardTokenResponse<IdTokenField, BasicTokenType>;
type OAuthClient = oauth2::Client<
    BasicErrorResponse,
    TokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// A started login: send the browser to `url`, keep the rest server-side until the callback.
pub struct AuthRequest {
    /// The authorization URL.
    pub url: String,
    /// The `state` sent (the key of the pending login).
    pub state: String,
    /// The `nonce` sent; the ID token must carry it.
    pub nonce: SecretString,
    /// The PKCE verifier.
    pub pkce_verifier: SecretString,
}

impl std::fmt::Debug for AuthRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthRequest").field("url", &self.url).finish_non_exhaustive()
    }
}

/// The relying party for one OIDC app.
#[derive(Debug)]
pub struct OidcClient {
    metadata: ProviderMetadata,
    oauth: OAuthClient,
    http: reqwest::Client,
    verifier: IdTokenVerifier,
}

impl std::fmt::Debug for IdTokenField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdTokenField(***)")
    }
}

fn http_client(timeout: Duration) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        // Never follow redirects from the token endpoint (SSRF, and oauth2's own advice).
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("StackFlow/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::Client(e.to_string()))
}

/// How to authenticate at the token endpoint: `client_secret_basic` (also the default when discovery
/// lists nothing, per OIDC Discovery), `client_secret_post` only when basic is not offered.
fn auth_type(methods: &[String]) -> AuthType {
    if methods.is_empty() || methods.iter().any(|m| m == "client_secret_basic") {
        AuthType::BasicAuth
    } else {
        AuthType::RequestBody
    }
}

impl OidcClient {
    /// Reads the discovery document at `settings.issuer_url` and builds the client. The document's
    /// `issuer` must equal the configured URL (trailing slash aside).
    pub async fn discover(settings: &OidcSettings) -> Result<OidcClient> {
        let http = http_client(settings.timeout)?;
        let base = settings.issuer_url.trim_end_matches('/');
        let url = format!("{base}/.well-known/openid-configuration");
        let res =
            http.get(&url).send().await.map_err(|e| Error::Unreachable { url: url.clone(), reason: e.to_string() })?;
        if !res.status().is_success() {
            return Err(Error::Status { url, status: res.status().as_u16() });
        }
        let metadata: ProviderMetadata =
            res.json().await.map_err(|e| Error::Malformed { url: url.clone(), reason: e.to_string() })?;
        if metadata.issuer.trim_end_matches('/') != base {
            return Err(Error::Malformed {
                url,
                reason: format!("its issuer '{}' is not the configured '{base}'", metadata.issuer),
            });
        }
        let invalid = |what: &str, e: String| Error::Client(format!("{what}: {e}"));
        let auth_type = auth_type(&metadata.token_endpoint_auth_methods_supported);
        let oauth = oauth2::Client::new(ClientId::new(settings.client_id.clone()))
            .set_client_secret(ClientSecret::new(settings.client_secret.expose_secret().to_owned()))
            .set_auth_uri(
                AuthUrl::new(metadata.authorization_endpoint.clone())
                    .map_err(|e| invalid("authorization_endpoint", e.to_string()))?,
            )
            .set_token_uri(
                TokenUrl::new(metadata.token_endpoint.clone()).map_err(|e| invalid("token_endpoint", e.to_string()))?,
            )
            .set_redirect_uri(
                RedirectUrl::new(settings.redirect_uri.clone()).map_err(|e| invalid("redirect_uri", e.to_string()))?,
            )
            .set_auth_type(auth_type);
        let jwks = JwksCache::new(http.clone(), metadata.jwks_uri.clone(), DEFAULT_MIN_REFETCH);
        let verifier = IdTokenVerifier::new(metadata.issuer.clone(), settings.client_id.clone(), jwks);
        Ok(OidcClient { metadata, oauth, http, verifier })
    }

    /// The discovery document read.
    pub fn metadata(&self) -> &ProviderMetadata {
        &self.metadata
    }

    /// A new authorization request with fresh `state`, `nonce` and PKCE verifier.
    pub fn authorize(&self) -> AuthRequest {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let nonce = CsrfToken::new_random();
        let mut request = self.oauth.authorize_url(CsrfToken::new_random);
        for scope in SCOPES {
            request = request.add_scope(Scope::new(scope.to_owned()));
        }
        let (url, state) = request.add_extra_param("nonce", nonce.secret().clone()).set_pkce_challenge(challenge).url();
        AuthRequest {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: SecretString::from(nonce.secret().clone()),
            pkce_verifier: SecretString::from(verifier.secret().clone()),
        }
    }

    /// Exchanges `code` (with the PKCE verifier) and verifies the ID token against `nonce`.
    pub async fn exchange(
        &self,
        code: &str,
        pkce_verifier: &SecretString,
        nonce: &SecretString,
    ) -> Result<(SecretString, IdTokenClaims)> {
        let url = self.metadata.token_endpoint.clone();
        let response = self
            .oauth
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.expose_secret().to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                oauth2::RequestTokenError::ServerResponse(r) => {
                    Error::TokenEndpoint { url: url.clone(), error: r.error().to_string() }
                }
                other => Error::Unreachable { url: url.clone(), reason: other.to_string() },
            })?;
        let token = response.extra_fields().id_token.clone().ok_or_else(|| Error::Malformed {
            url: url.clone(),
            reason: "the token response has no id_token".into(),
        })?;
        let claims = self.verifier.verify(&token, Some(nonce.expose_secret())).await?;
        Ok((SecretString::from(token), claims))
    }

    /// The issuer's end-session URL (OIDC RP-Initiated Logout 1.0) that signs the browser out and
    /// comes back to `post_logout_redirect_uri`: with `id_token_hint` when the ID token is at hand,
    /// else with our `client_id`. `None` when discovery lists no `end_session_endpoint`.
    pub fn end_session_url(&self, id_token_hint: Option<&str>, post_logout_redirect_uri: &str) -> Option<String> {
        let endpoint = self.metadata.end_session_endpoint.as_deref()?;
        let mut url = reqwest::Url::parse(endpoint).ok()?;
        {
            let mut query = url.query_pairs_mut();
            match id_token_hint {
                Some(hint) => query.append_pair("id_token_hint", hint),
                None => query.append_pair("client_id", self.oauth.client_id().as_str()),
            };
            query.append_pair("post_logout_redirect_uri", post_logout_redirect_uri);
        }
        Some(url.to_string())
    }

    /// Verifies an ID token presented to the token-exchange endpoint (no nonce to compare).
    pub async fn verify(&self, id_token: &str) -> Result<IdTokenClaims> {
        self.verifier.verify(id_token, None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(methods: &[&str], basic: bool) {
        let methods: Vec<String> = methods.iter().map(|m| (*m).to_owned()).collect();
        assert_eq!(matches!(auth_type(&methods), AuthType::BasicAuth), basic, "{methods:?}");
    }

    #[test]
    fn token_endpoint_auth_method_follows_discovery() {
        check(&[], true);
        check(&["client_secret_basic"], true);
        check(&["client_secret_post", "client_secret_basic"], true);
        check(&["client_secret_post"], false);
        check(&["client_secret_post", "private_key_jwt"], false);
    }
}
