//! The crate's single error type and its `Result` alias.

use crate::role::Role;

/// Everything that can go wrong while building or editing a [`RoleMap`](crate::RoleMap)
/// or parsing a [`Role`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A role string is not one of the known role names.
    #[error("unknown role '{0}'; valid roles are: {valid}", valid = Role::valid_names())]
    UnknownRole(String),

    /// Two rules match the same group(s) and grant the same role.
    #[error("duplicate rule: {matcher} is mapped to {role} more than once (rules {first} and {second})")]
    DuplicateRule {
        /// Human description of the shared matcher, e.g. `display name 'StackFlow-Admins'`.
        matcher: String,
        /// The role both rules grant.
        role: Role,
        /// Index of the first rule.
        first: usize,
        /// Index of the rule repeating it.
        second: usize,
    },

    /// Two rules match the same group(s) but grant different roles.
    #[error(
        "conflicting rules: {matcher} is mapped to both {first_role} (rule {first}) and {second_role} (rule {second})"
    )]
    ConflictingRule {
        /// Human description of the shared matcher, e.g. `display name 'StackFlow-Admins'`.
        matcher: String,
        /// Role granted by the first rule.
        first_role: Role,
        /// Role granted by the conflicting rule.
        second_role: Role,
        /// Index of the first rule.
        first: usize,
        /// Index of the conflicting rule.
        second: usize,
    },

    /// A rule's matcher value (or its bound group id) is empty or only whitespace.
    #[error("rule {index} has an empty {field}")]
    EmptyMatcher {
        /// Index of the offending rule.
        index: usize,
        /// Which value is empty, e.g. `display name` or `bound group id`.
        field: &'static str,
    },

    /// A rule matching by group id is bound to a *different* group id.
    #[error("rule {index} matches group id '{id}' but is bound to a different group id '{bound}'")]
    BindingMismatch {
        /// Index of the offending rule.
        index: usize,
        /// The group id the rule matches.
        id: String,
        /// The group id it is bound to.
        bound: String,
    },

    /// A binding refers to a rule index that does not exist.
    #[error("no rule at index {0}")]
    NoSuchRule(usize),
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
