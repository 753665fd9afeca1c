//! The one place errors become HTTP responses: every SCIM failure is a SCIM Error JSON body with
//! `Content-Type: application/scim+json`; a 401 also carries `WWW-Authenticate: Bearer`.

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
}
