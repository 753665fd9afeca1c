//! The provider's error: a SCIM error to report, or a failure of the store underneath.

use scim_core::ScimError;

/// Errors of the provider.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is refused for a reason SCIM can express (bad input, not found, conflict, ...).
    #[error(transparent)]
    Scim(#[from] ScimError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] store::Error),
    /// The role engine refused a role name or a set of mapping rules.
    #[error(transparent)]
    Role(#[from] rolemap::Error),
    /// An operator's mapping change is refused as malformed (e.g. an empty group name).
    #[error("{0}")]
    Mapping(String),
    /// An operator's mapping change conflicts with an existing rule (duplicate, or another role
    /// without `replace`).
    #[error("{0}")]
    MappingConflict(String),
    /// An operator's mapping removal names a group no rule maps.
    #[error("{0}")]
    NoSuchMapping(String),
    /// A settings field is invalid; the message says what to type.
    #[error("{field}: {message}")]
    Field {
        /// The field, as named in the admin API (`okta_domain`, `api_token`, ...).
        field: &'static str,
        /// What is wrong and what to type instead.
        message: String,
    },
    /// Something the operation needs is not configured (e.g. no secret store).
    #[error("{0}")]
    NotConfigured(String),
    /// A save wrote the secrets but could not write the settings; the message says which and what to do.
    #[error("{0}")]
    PartialSave(String),
}

/// `pub type Result<T>` of this crate.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// The SCIM error to answer with. Store failures that are the client's doing keep their message;
    /// internal ones are logged by the caller and answered with a generic 500.
    pub fn to_scim(&self) -> ScimError {
        match self {
            Error::Scim(e) => e.clone(),
            Error::Store(store::Error::Conflict(msg)) => ScimError::uniqueness(msg.clone()),
            Error::Store(store::Error::VersionMismatch(what)) => {
                ScimError::new(409, None, format!("{what} was modified by another request; retry"))
            }
            Error::Store(store::Error::Invalid(msg)) => ScimError::invalid_value(msg.clone()),
            Error::Store(_) => ScimError::internal("internal error; see the server log"),
            Error::Role(e) => ScimError::invalid_value(e.to_string()),
            Error::Mapping(msg) => ScimError::invalid_value(msg.clone()),
            Error::MappingConflict(msg) => ScimError::new(409, None, msg.clone()),
            Error::NoSuchMapping(msg) => ScimError::not_found(msg.clone()),
            Error::Field { .. } => ScimError::invalid_value(self.to_string()),
            Error::NotConfigured(msg) => ScimError::new(503, None, msg.clone()),
            Error::PartialSave(msg) => ScimError::internal(msg.clone()),
        }
    }

    /// Whether this is a server-side failure worth logging at error level.
    pub fn is_internal(&self) -> bool {
        matches!(
            self,
            Error::Store(
                store::Error::Db(_)
                    | store::Error::Corrupt { .. }
                    | store::Error::Config(_)
                    | store::Error::SecretConfig(_)
                    | store::Error::SecretUnreadable { .. }
                    | store::Error::SecretBackend { .. }
            ) | Error::PartialSave(_)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(err: Error, status: u16, detail_contains: &str) {
        let scim = err.to_scim();
        assert_eq!(scim.status, status);
        assert!(scim.detail.contains(detail_contains), "{}", scim.detail);
    }

    #[test]
    fn maps_store_errors_to_scim() {
        check(Error::Store(store::Error::Conflict("userName 'a' is already taken".into())), 409, "already taken");
        check(Error::Store(store::Error::Invalid("unknown members: x".into())), 400, "unknown members");
        check(Error::Store(store::Error::VersionMismatch("User 1".into())), 409, "retry");
        check(Error::Store(store::Error::Config("secret host".into())), 500, "internal error");
        check(Error::Scim(ScimError::not_found("User 1 not found")), 404, "User 1");
        check(Error::MappingConflict("conflicting rule: x".into()), 409, "conflicting rule");
        check(Error::NoSuchMapping("no rule maps group 'x'".into()), 404, "no rule maps");
    }
}
