//! The Okta sign-in bridge under `/auth/okta`: `GET /login` sends the browser to Okta (code flow,
//! PKCE S256, `state`, `nonce`), `GET /callback` turns Okta's answer into Cognito tokens in cookies,
//! `POST /token` exchanges an Okta ID token for Cognito tokens (RFC 8693), rate limited per client
//! address; `GET|POST /logout` signs the user out of Cognito (GlobalSignOut) and then of Okta (its
//! `end_session_endpoint`). A sign-in started with `return_to=/admin/sso` is one to the Integration
//! Hub page: its callback opens a page session for a super_admin instead of issuing Cognito tokens.
//!
//! Started sign-ins (`state` → nonce, PKCE verifier, `return_to`) are kept **in this process's
//! memory**, single use, for `sso.state_ttl_seconds`; so are the ID tokens already exchanged. That is
//! right for one replica; several replicas need sticky sessions on `/auth/okta` (or moving these two
//! maps to the database).

use crate::config::CognitoStrategy;
use crate::error::OAuthError;
use crate::AppState;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use provider::sso::{OktaIdentity, SsoFlow};
use provider::{Mirror, UserAccount};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use sso_bridge::custom_auth::CustomAuthIssuer;
use sso_bridge::oidc::{OidcClient, OidcSettings};
use sso_bridge::tokens::{CognitoIssuer, CognitoTokens, SignOut, TokenIssuer};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use utoipa::{IntoParams, ToSchema};

/// The RFC 8693 grant type.
pub const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// The subject token type accepted: an Okta ID token.
pub const ID_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:id_token";
/// The issued token type.
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
/// The callback path, registered in Okta as the OIDC app's redirect URI.
pub const CALLBACK_PATH: &str = "/auth/okta/callback";
/// How long a discovered OIDC client is reused before discovery (and the settings) are read again.
const CLIENT_TTL: Duration = Duration::from_secs(60);
/// At most this many sign-ins may be pending at once (bounds memory under a flood of /login).
const MAX_PENDING: usize = 10_000;
/// The cookie holding Cognito's access token (read back by `/logout`).
const ACCESS_COOKIE: &str = "sf_access_token";
/// The cookie holding Cognito's ID token.
const ID_COOKIE: &str = "sf_id_token";
/// The cookie holding Okta's ID token: the `id_token_hint` of Okta's end-session endpoint.
const OKTA_ID_COOKIE: &str = "sf_okta_id_token";
/// Rate-limit buckets kept before idle (full) ones are dropped.
const MAX_BUCKETS: usize = 10_000;

/// A token bucket per client address: `burst` tokens, refilled at `per_minute` a minute. Hand-written
/// (a dozen lines) rather than `governor`, which is not in the workspace and whose keyed limiter
/// would need its own pruning of idle keys all the same.
struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl RateLimiter {
    fn new(per_minute: u32, burst: u32) -> RateLimiter {
        RateLimiter {
            per_second: f64::from(per_minute.max(1)) / 60.0,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for `client`; `Err(seconds)` to wait when its bucket is empty.
    fn check(&self, client: IpAddr) -> Result<(), u64> {
        let now = Instant::now();
        let mut buckets = match self.buckets.lock() {
            Ok(b) => b,
            Err(poisoned) => poisoned.into_inner(),
        };
        if buckets.len() >= MAX_BUCKETS {
            let (rate, burst) = (self.per_second, self.burst);
            buckets.retain(|_, (tokens, at)| *tokens + at.elapsed().as_secs_f64() * rate < burst);
        }
        let (tokens, at) = buckets.entry(client).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.per_second).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / self.per_second).ceil().max(1.0) as u64)
        }
    }
}

struct Pending {
    nonce: SecretString,
    pkce_verifier: SecretString,
    return_to: String,
    /// A sign-in to the Integration Hub page (`return_to` was [`crate::webui::OKTA_RETURN`]).
    admin: bool,
    started: Instant,
}

/// The bridge's state: configuration, the cached OIDC client, pending sign-ins, used ID tokens.
pub struct SsoState {
    issuer_url: Option<String>,
    public_base_url: String,
    post_logout_redirect_uri: String,
    rate: RateLimiter,
    state_ttl: Duration,
    timeout: Duration,
    mirror: Option<Mirror>,
    issuer: Option<CognitoIssuer>,
    client: tokio::sync::Mutex<Option<(Instant, Arc<OidcClient>)>>,
    pending: Mutex<HashMap<String, Pending>>,
    exchanged: Mutex<HashMap<String, u64>>,
}

impl SsoState {
    /// The bridge for `config`, issuing Cognito tokens through `mirror`'s pool (`None`: sign-in
    /// answers 503) by the configured `sso.cognito_strategy`.
    pub fn new(config: &crate::Config, mirror: Option<Mirror>) -> SsoState {
        let issuer = match (&mirror, &config.sso.cognito_app_client_id) {
            (Some(m), Some(app)) => Some(match &config.sso.cognito_strategy {
                CognitoStrategy::AdminPassword => {
                    CognitoIssuer::AdminPassword(TokenIssuer::new(m.client().clone(), app.clone()))
                }
                CognitoStrategy::CustomAuth(key) => {
                    // Public: the operator installs it in the VerifyAuthChallengeResponse trigger.
                    tracing::info!(
                        alg = key.algorithm(),
                        issuer = %config.public_base_url,
                        public_jwk = %key.public_jwk(),
                        "Cognito tokens by custom_auth: the pool's Verify trigger must trust this key and issuer"
                    );
                    let issuer = config.public_base_url.clone();
                    CognitoIssuer::CustomAuth(CustomAuthIssuer::new(
                        m.client().clone(),
                        app.clone(),
                        key.clone(),
                        issuer,
                    ))
                }
            }),
            _ => None,
        };
        SsoState {
            issuer_url: config.sso.issuer_url.clone(),
            public_base_url: config.public_base_url.clone(),
            post_logout_redirect_uri: config
                .sso
                .post_logout_redirect_uri
                .clone()
                .unwrap_or_else(|| format!("{}/", config.public_base_url)),
            rate: RateLimiter::new(config.sso.token_rate_per_minute, config.sso.token_burst),
            state_ttl: config.sso.state_ttl,
            timeout: config.okta_timeout,
            mirror,
            issuer,
            client: tokio::sync::Mutex::new(None),
            pending: Mutex::new(HashMap::new()),
            exchanged: Mutex::new(HashMap::new()),
        }
    }

    /// Whether Okta sign-in is configured (issuer or Okta domain, client ID and secret), without
    /// calling Okta.
    pub async fn configured(&self, app: &AppState) -> bool {
        let Ok(settings) = app.provider.settings().await else { return false };
        (self.issuer_url.is_some() || settings.okta_domain.is_some())
            && settings.oidc_client_id.is_some()
            && matches!(app.provider.oidc_client_secret().await, Ok(Some(_)))
    }

    async fn oidc(&self, app: &AppState) -> Result<Arc<OidcClient>, OAuthError> {
        let mut slot = self.client.lock().await;
        if let Some((at, client)) = slot.as_ref() {
            if at.elapsed() < CLIENT_TTL {
                return Ok(client.clone());
            }
        }
        let unconfigured = |what: &str| {
            OAuthError::new(
                503,
                "temporarily_unavailable",
                format!("Okta sign-in is not configured: {what} (Admin → Integration Hub → Okta)"),
            )
        };
        let settings = app.provider.settings().await?;
        let issuer_url = match (&self.issuer_url, &settings.okta_domain) {
            (Some(url), _) => url.clone(),
            (None, Some(domain)) => format!("https://{domain}"),
            (None, None) => return Err(unconfigured("set the Okta domain")),
        };
        let client_id = settings.oidc_client_id.clone().ok_or_else(|| unconfigured("set the OIDC client ID"))?;
        let client_secret =
            app.provider.oidc_client_secret().await?.ok_or_else(|| unconfigured("set the OIDC client secret"))?;
        let client = Arc::new(
            OidcClient::discover(&OidcSettings {
                issuer_url,
                client_id,
                client_secret,
                redirect_uri: format!("{}{CALLBACK_PATH}", self.public_base_url),
                timeout: self.timeout,
            })
            .await?,
        );
        *slot = Some((Instant::now(), client.clone()));
        Ok(client)
    }

    /// `return_to` as an absolute URL on our own origin; anything else is refused (no open redirect).
    fn return_to(&self, requested: Option<&str>) -> Result<String, OAuthError> {
        let refused =
            || OAuthError::new(400, "invalid_request", "return_to must be a path or a URL of this StackFlow instance");
        let Some(target) = requested.filter(|t| !t.is_empty()) else {
            return Ok(format!("{}/", self.public_base_url));
        };
        if target.chars().any(|c| c.is_control() || c == '\\') {
            return Err(refused());
        }
        if target.starts_with('/') && !target.starts_with("//") {
            return Ok(format!("{}{target}", self.public_base_url));
        }
        // An absolute URL must be on exactly our origin: the base followed by the end, '/', '?' or '#'.
        let base = &self.public_base_url;
        match target.strip_prefix(base.as_str()) {
            Some(rest) if rest.is_empty() || rest.starts_with(['/', '?', '#']) => Ok(target.to_owned()),
            _ => Err(refused()),
        }
    }

    fn take_pending(&self, state: &str) -> Option<Pending> {
        let mut pending = match self.pending.lock() {
            Ok(p) => p,
            Err(poisoned) => poisoned.into_inner(),
        };
        let ttl = self.state_ttl;
        pending.retain(|_, p| p.started.elapsed() < ttl);
        pending.remove(state)
    }

    fn put_pending(&self, state: String, p: Pending) -> Result<(), OAuthError> {
        let mut pending = match self.pending.lock() {
            Ok(p) => p,
            Err(poisoned) => poisoned.into_inner(),
        };
        let ttl = self.state_ttl;
        pending.retain(|_, p| p.started.elapsed() < ttl);
        if pending.len() >= MAX_PENDING {
            return Err(OAuthError::new(503, "temporarily_unavailable", "too many sign-ins in progress; try again"));
        }
        pending.insert(state, p);
        Ok(())
    }

    /// Remembers `token` as exchanged until `expires_at`; false when it already was.
    fn first_exchange(&self, key: String, expires_at: u64) -> bool {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let mut used = match self.exchanged.lock() {
            Ok(u) => u,
            Err(poisoned) => poisoned.into_inner(),
        };
        // Kept past `exp` by the verifier's leeway, during which the token still verifies.
        let leeway = sso_bridge::verify::LEEWAY.as_secs();
        used.retain(|_, exp| exp.saturating_add(leeway) >= now);
        used.insert(key, expires_at).is_none()
    }

    /// The account of a verified identity, refused unless provisioned and enabled.
    async fn account(&self, app: &AppState, identity: &OktaIdentity) -> Result<UserAccount, OAuthError> {
        let account = app.provider.sso_account(identity).await?.ok_or_else(|| {
            OAuthError::new(
                403,
                "access_denied",
                "your Okta account is not assigned to StackFlow — ask your administrator",
            )
        })?;
        if !account.enabled {
            return Err(OAuthError::new(
                403,
                "access_denied",
                "your StackFlow account is deactivated — ask your administrator",
            ));
        }
        Ok(account)
    }

    /// Brings the user's Cognito account up to date (role attribute, group), then issues tokens.
    async fn cognito_tokens(&self, account: &UserAccount) -> Result<CognitoTokens, OAuthError> {
        let (Some(mirror), Some(issuer)) = (&self.mirror, &self.issuer) else {
            return Err(OAuthError::new(
                503,
                "temporarily_unavailable",
                "Cognito token issuance is not configured ([cognito] and sso.cognito_app_client_id)",
            ));
        };
        let report = mirror.sync(Some(&account.user_name), false, |_, _| {}).await?;
        if report.failed > 0 {
            let why = report.details.iter().find_map(|d| d.error.clone()).unwrap_or_default();
            tracing::error!(user = %account.id, error = %why, "Cognito sync before sign-in failed");
            return Err(OAuthError::new(502, "temporarily_unavailable", "Cognito could not be updated; try again"));
        }
        Ok(issuer.issue(&account.id).await?)
    }

    /// Cognito global sign-out of the access token's user. `None`: Cognito is not configured.
    async fn sign_out(&self, access_token: &SecretString) -> Result<Option<SignOut>, OAuthError> {
        let Some(mirror) = &self.mirror else { return Ok(None) };
        Ok(Some(sso_bridge::tokens::global_sign_out(mirror.client(), access_token).await?))
    }
}

fn identity(claims: &sso_bridge::verify::IdTokenClaims) -> OktaIdentity {
    OktaIdentity {
        subject: claims.subject.clone(),
        preferred_username: claims.preferred_username.clone(),
        email: claims.email.clone(),
    }
}

/// Registers the routes (under `/auth/okta`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::get().to(login))
        .route("/callback", web::get().to(callback))
        .route("/token", web::post().to(token_exchange))
        .route("/logout", web::get().to(logout))
        .route("/logout", web::post().to(logout));
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct LoginQuery {
    /// Where to go after signing in: a path, or a URL of this StackFlow instance.
    return_to: Option<String>,
}

#[utoipa::path(
    get,
    path = "/auth/okta/login",
    tag = "sign-in bridge",
    summary = "Start an Okta sign-in: redirect to Okta's authorize endpoint (code flow, PKCE, state, nonce)",
    params(LoginQuery),
    responses(
        (status = 302, description = "Redirect to Okta (`Location`)"),
        (status = 400, description = "`return_to` is not on this instance", body = crate::openapi::OAuthErrorBody),
        (status = 503, description = "Okta sign-in is not configured", body = crate::openapi::OAuthErrorBody),
    )
)]
async fn login(
    app: web::Data<AppState>,
    sso: web::Data<SsoState>,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, OAuthError> {
    let return_to = sso.return_to(query.return_to.as_deref())?;
    // Decided here and kept server-side with the state: the callback's query cannot choose it.
    let admin = return_to == format!("{}{}", sso.public_base_url, crate::webui::OKTA_RETURN);
    let request = sso.oidc(&app).await?.authorize();
    let pending = Pending {
        nonce: request.nonce,
        pkce_verifier: request.pkce_verifier,
        return_to,
        admin,
        started: Instant::now(),
    };
    sso.put_pending(request.state, pending)?;
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, request.url))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct CallbackQuery {
    /// The `state` sent to Okta by `/login` (single use).
    state: Option<String>,
    /// The authorization code.
    code: Option<String>,
    /// Okta's error code, when it refused the sign-in.
    error: Option<String>,
    /// Okta's error text.
    error_description: Option<String>,
}

fn wants_json(req: &HttpRequest) -> bool {
    req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("application/json"))
}

fn cookie(name: &str, value: &str, max_age: i64) -> String {
    format!("{name}={value}; Path=/; Max-Age={max_age}; Secure; HttpOnly; SameSite=Lax")
}

#[utoipa::path(
    get,
    path = "/auth/okta/callback",
    tag = "sign-in bridge",
    summary = "Okta's redirect back: exchange the code, verify the ID token, issue Cognito tokens as cookies",
    params(CallbackQuery),
    responses(
        (status = 302, description = "Signed in: `sf_access_token` and `sf_id_token` cookies, redirect to `return_to`"),
        (status = 200, description = "Signed in (`Accept: application/json`): the tokens as JSON",
            body = crate::openapi::SignInTokens),
        (status = 400, description = "Unknown or used state, refused code or ID token", body = crate::openapi::OAuthErrorBody),
        (status = 403, description = "Not assigned to StackFlow, or deactivated", body = crate::openapi::OAuthErrorBody),
        (status = 502, description = "Okta or Cognito failed", body = crate::openapi::OAuthErrorBody),
        (status = 503, description = "Sign-in or Cognito issuance not configured", body = crate::openapi::OAuthErrorBody),
    )
)]
async fn callback(
    req: HttpRequest,
    app: web::Data<AppState>,
    sso: web::Data<SsoState>,
    query: web::Query<CallbackQuery>,
) -> Result<HttpResponse, OAuthError> {
    if let Some(error) = &query.error {
        let detail = query.error_description.as_deref().unwrap_or("");
        return Err(OAuthError::new(400, "access_denied", format!("Okta refused the sign-in: {error} {detail}")));
    }
    let (Some(state), Some(code)) = (&query.state, &query.code) else {
        return Err(OAuthError::new(400, "invalid_request", "state and code are required"));
    };
    let pending = sso.take_pending(state).ok_or_else(|| {
        OAuthError::new(400, "invalid_request", "unknown, expired or already used state; sign in again")
    })?;
    let client = sso.oidc(&app).await?;
    let (okta_id_token, claims) = client.exchange(code, &pending.pkce_verifier, &pending.nonce).await?;
    if pending.admin {
        // The Hub page needs no Cognito tokens: only its own session, for an enabled super_admin.
        let account = app.provider.sso_account(&identity(&claims)).await?;
        return crate::webui::okta_signed_in(&req, &app, account).await;
    }
    let account = sso.account(&app, &identity(&claims)).await?;
    let tokens = sso.cognito_tokens(&account).await?;
    app.provider.record_sso_login(&account, SsoFlow::Callback).await?;
    tracing::info!(user = %account.id, "Okta sign-in");
    let wants_json = wants_json(&req);
    let mut res = if wants_json { HttpResponse::Ok() } else { HttpResponse::Found() };
    res.insert_header((header::CACHE_CONTROL, "no-store"));
    res.append_header((
        header::SET_COOKIE,
        cookie(ACCESS_COOKIE, tokens.access_token.expose_secret(), tokens.expires_in),
    ));
    res.append_header((header::SET_COOKIE, cookie(ID_COOKIE, tokens.id_token.expose_secret(), tokens.expires_in)));
    // Kept for the `id_token_hint` of Okta's end-session endpoint at logout (`client_id` once it is gone).
    res.append_header((header::SET_COOKIE, cookie(OKTA_ID_COOKIE, okta_id_token.expose_secret(), tokens.expires_in)));
    if wants_json {
        Ok(res.json(serde_json::json!({
            "access_token": tokens.access_token.expose_secret(),
            "id_token": tokens.id_token.expose_secret(),
            "token_type": "Bearer",
            "expires_in": tokens.expires_in,
            "return_to": pending.return_to,
        })))
    } else {
        Ok(res.insert_header((header::LOCATION, pending.return_to)).finish())
    }
}

#[derive(Deserialize, ToSchema)]
struct ExchangeForm {
    /// `urn:ietf:params:oauth:grant-type:token-exchange`.
    grant_type: Option<String>,
    /// An Okta ID token (each one is accepted once).
    subject_token: Option<String>,
    /// `urn:ietf:params:oauth:token-type:id_token`.
    subject_token_type: Option<String>,
}

#[utoipa::path(
    post,
    path = "/auth/okta/token",
    tag = "sign-in bridge",
    summary = "RFC 8693 token exchange: an Okta ID token for Cognito tokens",
    request_body(content = ExchangeForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Cognito tokens", body = crate::openapi::ExchangedTokens),
        (status = 400, description = "Wrong grant or token type, refused or reused ID token, user not assigned",
            body = crate::openapi::OAuthErrorBody),
        (status = 429, description = "Too many exchanges from this client address (`slow_down`, `Retry-After`)",
            body = crate::openapi::OAuthErrorBody),
        (status = 502, description = "Okta or Cognito failed", body = crate::openapi::OAuthErrorBody),
        (status = 503, description = "Sign-in or Cognito issuance not configured", body = crate::openapi::OAuthErrorBody),
    )
)]
async fn token_exchange(
    req: HttpRequest,
    app: web::Data<AppState>,
    sso: web::Data<SsoState>,
    form: web::Form<ExchangeForm>,
) -> Result<HttpResponse, OAuthError> {
    // Keyed by the peer address only: `client_id` is unauthenticated here, so keying on it would let
    // a caller dodge the limit by varying it, or exhaust another client's budget by naming it.
    if let Some(peer) = req.peer_addr() {
        sso.rate.check(peer.ip()).map_err(|wait| OAuthError {
            retry_after: Some(wait),
            ..OAuthError::new(429, "slow_down", format!("too many token exchanges; retry in {wait} s"))
        })?;
    }
    if form.grant_type.as_deref() != Some(TOKEN_EXCHANGE) {
        return Err(OAuthError::new(400, "unsupported_grant_type", format!("grant_type must be {TOKEN_EXCHANGE}")));
    }
    let Some(subject_token) = form.subject_token.as_deref().filter(|t| !t.is_empty()) else {
        return Err(OAuthError::new(400, "invalid_request", "subject_token is required"));
    };
    if form.subject_token_type.as_deref() != Some(ID_TOKEN_TYPE) {
        return Err(OAuthError::new(400, "invalid_request", format!("subject_token_type must be {ID_TOKEN_TYPE}")));
    }
    let claims = sso.oidc(&app).await?.verify(subject_token).await?;
    let key = match &claims.jti {
        Some(jti) => format!("jti:{jti}"),
        None => format!("sha256:{}", hex_digest(subject_token)),
    };
    if !sso.first_exchange(key, claims.expires_at) {
        return Err(OAuthError::new(400, "invalid_grant", "this ID token was already exchanged"));
    }
    // RFC 8693: a subject token whose user may not sign in is an invalid grant, not a 403.
    let account = sso.account(&app, &identity(&claims)).await.map_err(|e| match e.status {
        403 => OAuthError { status: 400, error: "invalid_grant", ..e },
        _ => e,
    })?;
    let tokens = sso.cognito_tokens(&account).await?;
    app.provider.record_sso_login(&account, SsoFlow::TokenExchange).await?;
    tracing::info!(user = %account.id, "Okta ID token exchanged");
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(serde_json::json!({
        "access_token": tokens.access_token.expose_secret(),
        "id_token": tokens.id_token.expose_secret(),
        "issued_token_type": ACCESS_TOKEN_TYPE,
        "token_type": "Bearer",
        "expires_in": tokens.expires_in,
    })))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct LogoutQuery {
    /// Where to go when Okta has no end-session endpoint: a path, or a URL of this StackFlow instance.
    return_to: Option<String>,
}

/// The Cognito access token of the request: `Authorization: Bearer`, else the callback's cookie.
fn access_token(req: &HttpRequest) -> Option<SecretString> {
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|t| t.trim().to_owned());
    bearer
        .or_else(|| req.cookie(ACCESS_COOKIE).map(|c| c.value().to_owned()))
        .filter(|t| !t.is_empty())
        .map(SecretString::from)
}

#[utoipa::path(
    method(get, post),
    path = "/auth/okta/logout",
    tag = "sign-in bridge",
    summary = "Sign out: Cognito global sign-out of the user, clear the cookies, then Okta's end-session URL",
    description = "The user is the one of the Cognito access token in `Authorization: Bearer` or the \
        `sf_access_token` cookie; a token Cognito already refuses is no error.",
    params(LogoutQuery),
    responses(
        (status = 302, description = "Cookies cleared; redirect to Okta's end-session endpoint (with `id_token_hint` \
            and `post_logout_redirect_uri`), or to `return_to` when Okta has none"),
        (status = 200, description = "Signed out (`Accept: application/json`)", body = crate::openapi::SignedOut),
        (status = 400, description = "`return_to` is not on this instance", body = crate::openapi::OAuthErrorBody),
        (status = 502, description = "Cognito failed", body = crate::openapi::OAuthErrorBody),
    )
)]
async fn logout(
    req: HttpRequest,
    app: web::Data<AppState>,
    sso: web::Data<SsoState>,
    query: web::Query<LogoutQuery>,
) -> Result<HttpResponse, OAuthError> {
    let return_to = sso.return_to(query.return_to.as_deref())?;
    let cognito = match access_token(&req) {
        Some(token) => match sso.sign_out(&token).await? {
            Some(SignOut::Done) => "signed_out",
            Some(SignOut::TokenInvalid) => "token_invalid",
            None => "not_configured",
        },
        None => "no_session",
    };
    tracing::info!(cognito, "Okta sign-out");
    // Okta's side is best effort: without a working Okta configuration the local sign-out stands.
    let okta_url = match sso.oidc(&app).await {
        Ok(client) => {
            let hint = req.cookie(OKTA_ID_COOKIE).map(|c| c.value().to_owned()).filter(|t| !t.is_empty());
            client.end_session_url(hint.as_deref(), &sso.post_logout_redirect_uri)
        }
        Err(e) => {
            tracing::warn!(error = %e.description, "no Okta end-session URL");
            None
        }
    };
    let mut res = if wants_json(&req) { HttpResponse::Ok() } else { HttpResponse::Found() };
    res.insert_header((header::CACHE_CONTROL, "no-store"));
    for name in [ACCESS_COOKIE, ID_COOKIE, OKTA_ID_COOKIE] {
        res.append_header((header::SET_COOKIE, cookie(name, "", 0)));
    }
    if wants_json(&req) {
        Ok(res.json(serde_json::json!({ "signed_out": true, "cognito": cognito, "okta_logout_url": okta_url })))
    } else {
        Ok(res.insert_header((header::LOCATION, okta_url.unwrap_or(return_to))).finish())
    }
}

fn hex_digest(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(requested: Option<&str>, expected: Option<&str>) {
        let mut config = crate::Config::for_test();
        config.public_base_url = "https://sf.example.com".into();
        let sso = SsoState::new(&config, None);
        assert_eq!(sso.return_to(requested).ok().as_deref(), expected, "{requested:?}");
    }

    #[test]
    fn return_to_stays_on_our_origin() {
        check(None, Some("https://sf.example.com/"));
        check(Some("/tickets?id=1"), Some("https://sf.example.com/tickets?id=1"));
        check(Some("https://sf.example.com/x"), Some("https://sf.example.com/x"));
        check(Some("https://sf.example.com"), Some("https://sf.example.com"));
        check(Some("//evil.example/x"), None);
        check(Some("/\\evil.example"), None);
        check(Some("https://sf.example.com.evil.example/"), None);
        check(Some("https://sf.example.com@evil.example/"), None);
        check(Some("https://evil.example/"), None);
        check(Some("javascript:alert(1)"), None);
        check(Some("/x\r\nSet-Cookie: a=b"), None);
    }

    #[test]
    fn rate_limiter_refuses_past_the_burst_per_client() {
        let limiter = RateLimiter::new(60, 3);
        let (a, b): (IpAddr, IpAddr) = ([127, 0, 0, 1].into(), [127, 0, 0, 2].into());
        for _ in 0..3 {
            assert_eq!(limiter.check(a), Ok(()));
        }
        assert_eq!(limiter.check(a), Err(1));
        assert_eq!(limiter.check(b), Ok(()));
    }
}
