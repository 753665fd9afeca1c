//! The one SCIM error type: an HTTP status, an optional `scimType` and a human `detail`,
//! serialised as the RFC 7644 §3.12 Error body.

use serde::Serialize;
use std::fmt;

/// `scimType` values of RFC 7644 §3.12, Table 9.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ScimType {
    /// The filter syntax is invalid or the filter is not supported.
    InvalidFilter,
    /// The request would return or process too many resources or operations.
    TooMany,
    /// One or more unique attribute values are already in use.
    Uniqueness,
    /// The attempted modification is not compatible with the attribute's mutability.
    Mutability,
    /// The request body is not parsable or violates the schema.
    InvalidSyntax,
    /// The `path` attribute is invalid or malformed.
    InvalidPath,
    /// The path matched no attribute or sub-attribute value.
    NoTarget,
    /// A required value was missing or a value is not compatible with the attribute's type.
    InvalidValue,
    /// The specified SCIM protocol version is not supported.
    InvalidVers,
    /// The request cannot be completed because of sensitive information in the URI.
    Sensitive,
}

impl ScimType {
    /// The wire spelling, e.g. `invalidFilter`.
    pub fn as_str(self) -> &'static str {
        match self {
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::TooMany => "tooMany",
            ScimType::Uniqueness => "uniqueness",
            ScimType::Mutability => "mutability",
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::InvalidPath => "invalidPath",
            ScimType::NoTarget => "noTarget",
            ScimType::InvalidValue => "invalidValue",
            ScimType::InvalidVers => "invalidVers",
            ScimType::Sensitive => "sensitive",
        }
    }
}

impl fmt::Display for ScimType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A SCIM protocol error. Every failure the provider reports to a SCIM client is one of these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status}{}: {detail}", scim_type.map(|t| format!(" {t}")).unwrap_or_default())]
pub struct ScimError {
    /// HTTP status code (400, 401, 403, 404, 409, 412, 413, 500, 501, ...).
    pub status: u16,
    /// The RFC's `scimType` detail code, when one applies.
    pub scim_type: Option<ScimType>,
    /// A human-readable message naming the problem.
    pub detail: String,
}

/// `pub type Result<T>` of this crate.
pub type Result<T> = std::result::Result<T, ScimError>;

/// URN of the SCIM Error message schema.
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// The RFC 7644 §3.12 wire shape of an error (`status` is a string, as the RFC's examples show).
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    /// Always `[ERROR_SCHEMA]`.
    pub schemas: [&'static str; 1],
    /// HTTP status as a string.
    pub status: String,
    /// The `scimType`, omitted when none applies.
    #[serde(rename = "scimType", skip_serializing_if = "Option::is_none")]
    pub scim_type: Option<ScimType>,
    /// The human-readable detail.
    pub detail: &'a str,
}

impl ScimError {
    /// An error with a status, a `scimType` and a detail.
    pub fn new(status: u16, scim_type: Option<ScimType>, detail: impl Into<String>) -> Self {
        ScimError { status, scim_type, detail: detail.into() }
    }

    /// 400 with the given `scimType`.
    pub fn bad_request(scim_type: ScimType, detail: impl Into<String>) -> Self {
        Self::new(400, Some(scim_type), detail)
    }

    /// 400 `invalidFilter`.
    pub fn invalid_filter(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::InvalidFilter, detail)
    }

    /// 400 `invalidPath`.
    pub fn invalid_path(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::InvalidPath, detail)
    }

    /// 400 `invalidValue`.
    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::InvalidValue, detail)
    }

    /// 400 `invalidSyntax`.
    pub fn invalid_syntax(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::InvalidSyntax, detail)
    }

    /// 400 `mutability`.
    pub fn mutability(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::Mutability, detail)
    }

    /// 400 `noTarget`.
    pub fn no_target(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::NoTarget, detail)
    }

    /// 400 `tooMany`.
    pub fn too_many(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::TooMany, detail)
    }

    /// 409 `uniqueness`.
    pub fn uniqueness(detail: impl Into<String>) -> Self {
        Self::new(409, Some(ScimType::Uniqueness), detail)
    }

    /// 404 with a detail naming what was not found.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(404, None, detail)
    }

    /// 412: the `If-Match` version does not match the resource's current version.
    pub fn precondition_failed(detail: impl Into<String>) -> Self {
        Self::new(412, None, detail)
    }

    /// 500: an internal failure; `detail` must not leak internals or secrets.
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(500, None, detail)
    }

    /// The wire body of this error.
    pub fn body(&self) -> ErrorBody<'_> {
        ErrorBody {
            schemas: [ERROR_SCHEMA],
            status: self.status.to_string(),
            scim_type: self.scim_type,
            detail: &self.detail,
        }
    }

    /// The wire body as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        // Serialising a struct of strings cannot fail; the default is unreachable.
        serde_json::to_value(self.body()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(err: ScimError, expected: serde_json::Value) {
        assert_eq!(serde_json::to_value(err.body()).unwrap(), expected);
        assert_eq!(err.to_json(), expected);
    }

    #[test]
    fn error_bodies_follow_rfc7644() {
        check(
            ScimError::invalid_filter("unexpected token"),
            json!({"schemas":[ERROR_SCHEMA],"status":"400","scimType":"invalidFilter","detail":"unexpected token"}),
        );
        check(
            ScimError::uniqueness("userName taken"),
            json!({"schemas":[ERROR_SCHEMA],"status":"409","scimType":"uniqueness","detail":"userName taken"}),
        );
        check(
            ScimError::not_found("User 42 not found"),
            json!({"schemas":[ERROR_SCHEMA],"status":"404","detail":"User 42 not found"}),
        );
    }

    #[test]
    fn display_names_status_type_and_detail() {
        assert_eq!(ScimError::mutability("id is readOnly").to_string(), "400 mutability: id is readOnly");
        assert_eq!(ScimError::not_found("gone").to_string(), "404: gone");
    }
}
