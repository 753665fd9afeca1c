//! The one place errors become HTTP responses: every SCIM failure is a SCIM Error JSON body with
//! `Content-Type: application/scim+json`; a 401 also carries `WWW-Authenticate: Bearer`. Admin API
//! failures are JSON `{"error": "...", "field": "..."}` ([`AdminError`]).

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use scim_core::ScimError;

/// The SCIM media type.
pub const SCIM_JSON: &str = "application/scim+json";

/// A SCIM error on its way to the client.
#[derive(Debug)]
pub struct ApiError(pub ScimError);

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl From<ScimError> for ApiError {
    fn from(e: ScimError) -> Self {
        ApiError(e)
    }
}

impl From<provider::Error> for ApiError {
    fn from(e: provider::Error) -> Self {
        if e.is_internal() {
            tracing::error!(error = %e, "request failed");
        }
        ApiError(e.to_scim())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CONTENT_TYPE, SCIM_JSON));
        if self.0.status == 401 {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"StackFlow SCIM\""));
        }
        res.body(self.0.to_json().to_string())
    }
}

/// `Result` of handlers.
pub type ApiResult<T> = Result<T, ApiError>;

/// An admin API failure: `{"error": "...", "field": "..."}` (`field` only when one field is at fault).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminError {
    /// The HTTP status.
    pub status: u16,
    /// One line: what is wrong and what to do.
    pub error: String,
    /// The request field at fault, if any.
    pub field: Option<String>,
}

impl AdminError {
    /// An error with this status and message.
    pub fn new(status: u16, error: impl Into<String>) -> Self {
        AdminError { status, error: error.into(), field: None }
    }
}

impl std::fmt::Display for AdminError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.error)
    }
}

impl From<provider::Error> for AdminError {
    fn from(e: provider::Error) -> Self {
        use provider::Error as P;
        if e.is_internal() {
            tracing::error!(error = %e, "admin request failed");
        }
        match &e {
            P::Field { field, .. } => {
                AdminError { status: 400, error: e.to_string(), field: Some((*field).to_owned()) }
            }
            P::NotConfigured(msg) => AdminError::new(503, msg.clone()),
            P::PartialSave(msg) => AdminError::new(500, msg.clone()),
            P::Mapping(msg) => AdminError::new(400, msg.clone()),
            P::MappingConflict(msg) => AdminError::new(409, msg.clone()),
            P::NoSuchMapping(msg) => AdminError::new(404, msg.clone()),
            P::Role(r @ rolemap::Error::UnknownRole(_)) => {
                AdminError { status: 400, error: r.to_string(), field: Some("role".to_owned()) }
            }
            P::Role(r) => AdminError::new(400, r.to_string()),
            // Secret-store failures name the secret and the backend's error code, never a value:
            // the administrator needs them to fix the backend.
            P::Store(store::Error::SecretBackend { .. }) => AdminError::new(502, e.to_string()),
            P::Store(store::Error::SecretConfig(_) | store::Error::SecretUnreadable { .. }) => {
                AdminError::new(500, e.to_string())
            }
            _ => {
                let scim = e.to_scim();
                AdminError::new(scim.status, scim.detail)
            }
        }
    }
}

impl ResponseError for AdminError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        if self.status == 401 {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"StackFlow admin\""));
        }
        let mut body = serde_json::json!({ "error": self.error });
        if let Some(field) = &self.field {
            body["field"] = serde_json::Value::String(field.clone());
        }
        res.json(body)
    }
}

/// `Result` of admin handlers.
pub type AdminResult<T> = Result<T, AdminError>;

/// A sign-in or token-exchange failure: RFC 6749 §5.2 JSON `{"error": "...", "error_description":
/// "..."}`, never with a token or secret in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    /// The HTTP status.
    pub status: u16,
    /// The RFC 6749 / RFC 8693 error code (`invalid_request`, `invalid_grant`, …).
    pub error: &'static str,
    /// One line for a human: what is wrong and what to do.
    pub description: String,
    /// Seconds to wait before trying again (`Retry-After`), for rate-limit refusals.
    pub retry_after: Option<u64>,
}

impl OAuthError {
    /// An error with this status, code and description.
    pub fn new(status: u16, error: &'static str, description: impl Into<String>) -> Self {
        OAuthError { status, error, description: description.into(), retry_after: None }
    }
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error, self.description)
    }
}

impl From<provider::Error> for OAuthError {
    fn from(e: provider::Error) -> Self {
        tracing::error!(error = %e, "sign-in failed");
        OAuthError::new(500, "server_error", "internal error")
    }
}

impl From<sso_bridge::Error> for OAuthError {
    fn from(e: sso_bridge::Error) -> Self {
        use sso_bridge::Error as B;
        match &e {
            B::IdTokenRejected(r) => OAuthError::new(400, "invalid_grant", format!("ID token refused: {r}")),
            B::TokenEndpoint { error, .. } => {
                OAuthError::new(400, "invalid_grant", format!("Okta refused the authorization code ({error})"))
            }
            _ => {
                tracing::error!(error = %e, "sign-in failed upstream");
                OAuthError::new(502, "temporarily_unavailable", e.to_string())
            }
        }
    }
}

impl ResponseError for OAuthError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CACHE_CONTROL, "no-store"));
        if let Some(seconds) = self.retry_after {
            res.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        res.json(serde_json::json!({ "error": self.error, "error_description": self.description }))
    }
}

/// An Integration Hub page failure: an HTML page saying what is wrong, or — without a signed-in
/// administrator — 303 to `/admin/login`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageError {
    /// No live admin session: sign in first.
    SignIn,
    /// Refused or failed, with this status and a one-line message.
    Status {
        /// The HTTP status.
        status: u16,
        /// What is wrong and what to do (never a secret).
        message: String,
    },
}

impl PageError {
    /// A failure with this status and message.
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        PageError::Status { status, message: message.into() }
    }
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PageError::SignIn => f.write_str("sign in first"),
            PageError::Status { message, .. } => f.write_str(message),
        }
    }
}

impl From<provider::Error> for PageError {
    fn from(e: provider::Error) -> Self {
        let admin = AdminError::from(e);
        PageError::new(admin.status, admin.error)
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::SignIn => StatusCode::SEE_OTHER,
            PageError::Status { status, .. } => {
                StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            PageError::SignIn => HttpResponse::SeeOther().insert_header((header::LOCATION, "/admin/login")).finish(),
            PageError::Status { status, message } => HttpResponse::build(self.status_code())
                .content_type("text/html; charset=utf-8")
                .body(crate::webui::views::error_page(*status, message)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    fn check(err: ApiError, status: u16, scim_type: Option<&str>, www_authenticate: bool) {
        let res = err.error_response();
        assert_eq!(res.status().as_u16(), status);
        assert_eq!(res.headers().get(header::CONTENT_TYPE).unwrap(), SCIM_JSON);
        assert_eq!(res.headers().contains_key(header::WWW_AUTHENTICATE), www_authenticate);
        let body = res.into_body().try_into_bytes().unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["status"], status.to_string());
        assert_eq!(json["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error");
        assert_eq!(json["scimType"].as_str(), scim_type);
    }

    #[test]
    fn one_mapping_per_status() {
        check(ScimError::invalid_filter("x").into(), 400, Some("invalidFilter"), false);
        check(ScimError::new(401, None, "no token").into(), 401, None, true);
        check(ScimError::new(403, None, "disabled").into(), 403, None, false);
        check(ScimError::not_found("nope").into(), 404, None, false);
        check(ScimError::uniqueness("taken").into(), 409, Some("uniqueness"), false);
        check(ScimError::precondition_failed("v").into(), 412, None, false);
        check(ScimError::new(413, None, "too big").into(), 413, None, false);
        check(provider::Error::Store(store::Error::Config("x".into())).into(), 500, None, false);
    }

    fn check_admin(err: AdminError, status: u16, field: Option<&str>, contains: &str) {
        let res = err.error_response();
        assert_eq!(res.status().as_u16(), status);
        assert_eq!(res.headers().contains_key(header::WWW_AUTHENTICATE), status == 401);
        let body = res.into_body().try_into_bytes().unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["field"].as_str(), field);
        assert!(json["error"].as_str().unwrap().contains(contains), "{json}");
    }

    #[test]
    fn admin_errors_are_json_with_the_field() {
        let field = provider::Error::Field { field: "okta_domain", message: "type your-org.okta.com".into() };
        check_admin(field.into(), 400, Some("okta_domain"), "your-org.okta.com");
        check_admin(AdminError::new(401, "bootstrap token missing"), 401, None, "bootstrap");
        check_admin(provider::Error::NotConfigured("no secret store".into()).into(), 503, None, "secret store");
        check_admin(provider::Error::PartialSave("secrets saved".into()).into(), 500, None, "secrets saved");
        let unknown_role = provider::Error::Role(rolemap::Error::UnknownRole("boss".into()));
        check_admin(unknown_role.into(), 400, Some("role"), "valid roles are: super_admin");
        check_admin(provider::Error::MappingConflict("conflicting rule".into()).into(), 409, None, "conflicting");
        check_admin(provider::Error::NoSuchMapping("no rule maps".into()).into(), 404, None, "no rule maps");
        check_admin(provider::Error::Store(store::Error::Db(sea_orm_err())).into(), 500, None, "internal error");
    }

    #[test]
    fn oauth_errors_are_rfc6749_json() {
        let check = |err: OAuthError, status: u16, code: &str| {
            let res = err.error_response();
            assert_eq!(res.status().as_u16(), status);
            let body = res.into_body().try_into_bytes().unwrap();
            let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(json["error"], code, "{json}");
        };
        let rejected = sso_bridge::Error::IdTokenRejected(sso_bridge::verify::Rejection::Expired);
        check(rejected.into(), 400, "invalid_grant");
        check(OAuthError::new(400, "invalid_request", "x"), 400, "invalid_request");
        check(provider::Error::Store(store::Error::Config("x".into())).into(), 500, "server_error");
        check(sso_bridge::Error::Client("x".into()).into(), 502, "temporarily_unavailable");
        let slow = OAuthError { retry_after: Some(7), ..OAuthError::new(429, "slow_down", "x") };
        assert_eq!(slow.error_response().headers().get(header::RETRY_AFTER).unwrap(), "7");
        check(slow, 429, "slow_down");
    }

    #[test]
    fn page_errors_are_html_or_a_sign_in_redirect() {
        let res = PageError::SignIn.error_response();
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(res.headers().get(header::LOCATION).unwrap(), "/admin/login");
        for (err, status) in [
            (PageError::new(403, "stale form"), 403),
            (provider::Error::Mapping("duplicate rule".into()).into(), 400),
            (provider::Error::Store(store::Error::Config("secret host".into())).into(), 500),
        ] {
            let res = err.error_response();
            assert_eq!(res.status().as_u16(), status);
            assert!(res.headers().get(header::CONTENT_TYPE).unwrap().to_str().unwrap().starts_with("text/html"));
            let body = String::from_utf8(res.into_body().try_into_bytes().unwrap().to_vec()).unwrap();
            assert!(!body.contains("secret host"), "{body}");
        }
    }

    fn sea_orm_err() -> store::DbErr {
        store::DbErr::Custom("boom".into())
    }
}
