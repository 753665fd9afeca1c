//! SCIM groups, group matchers and mapping rules.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::role::Role;

/// One SCIM group a user is a member of, as pushed by Okta.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GroupRef {
    /// The SCIM group id (stable across renames).
    pub id: String,
    /// The SCIM `externalId`, if Okta sent one.
    #[serde(default)]
    pub external_id: Option<String>,
    /// The group's current `displayName`.
    pub display_name: String,
}

impl GroupRef {
    /// A group without an `externalId`.
    pub fn new(id: impl Into<String>, display_name: impl Into<String>) -> Self {
        Self { id: id.into(), external_id: None, display_name: display_name.into() }
    }

    /// Sets the `externalId`.
    #[must_use]
    pub fn with_external_id(mut self, external_id: impl Into<String>) -> Self {
        self.external_id = Some(external_id.into());
        self
    }

    /// Name used in human text: the display name, or the id if the name is blank.
    pub fn label(&self) -> &str {
        if self.display_name.trim().is_empty() {
            &self.id
        } else {
            &self.display_name
        }
    }
}

/// How a [`MappingRule`] finds a SCIM group.
///
/// Serialized as `{"kind": "id" | "external_id" | "display_name", "value": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum GroupMatcher {
    /// The SCIM group id, compared exactly.
    Id(String),
    /// The SCIM `externalId`, compared exactly.
    ExternalId(String),
    /// The group's `displayName`, compared case-insensitively (Unicode lowercase).
    DisplayName(String),
}

impl GroupMatcher {
    /// The id, externalId or name this matcher looks for.
    pub fn value(&self) -> &str {
        match self {
            GroupMatcher::Id(v) | GroupMatcher::ExternalId(v) | GroupMatcher::DisplayName(v) => v,
        }
    }

    /// What kind of value this matcher compares, for messages: `group id`,
    /// `externalId` or `display name`.
    pub fn kind_label(&self) -> &'static str {
        match self {
            GroupMatcher::Id(_) => "group id",
            GroupMatcher::ExternalId(_) => "externalId",
            GroupMatcher::DisplayName(_) => "display name",
        }
    }

    /// Whether `group` matches this matcher on its own, ignoring any binding.
    pub fn matches(&self, group: &GroupRef) -> bool {
        match self {
            GroupMatcher::Id(id) => *id == group.id,
            GroupMatcher::ExternalId(ext) => group.external_id.as_deref() == Some(ext.as_str()),
            GroupMatcher::DisplayName(name) => names_equal(name, &group.display_name),
        }
    }
}

impl fmt::Display for GroupMatcher {
    /// E.g. `display name 'StackFlow-Admins'`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} '{}'", self.kind_label(), self.value())
    }
}

/// One mapping from a SCIM group to a StackFlow role.
///
/// `bound_group_id` makes a rule *follow a group by id*: once a
/// [`GroupMatcher::DisplayName`] rule has been seen matching a group, the
/// caller records that group's id here (see
/// [`RoleMap::bindings_to_record`](crate::RoleMap::bindings_to_record)).
/// From then on the rule matches **only** that group id, whatever its current
/// name: renaming the group in Okta keeps the mapping, and a different group
/// that later takes the old name does *not* inherit the role.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MappingRule {
    /// Storage id of the rule, if it has been persisted.
    #[serde(default)]
    pub id: Option<String>,
    /// How the rule finds its group.
    pub matcher: GroupMatcher,
    /// The role the group grants.
    pub role: Role,
    /// Group id this rule is bound to; when set, the rule matches only this id.
    #[serde(default)]
    pub bound_group_id: Option<String>,
}

impl MappingRule {
    /// An unbound, unsaved rule.
    pub fn new(matcher: GroupMatcher, role: Role) -> Self {
        Self { id: None, matcher, role, bound_group_id: None }
    }

    /// An unbound, unsaved rule matching a group by display name.
    pub fn display_name(name: impl Into<String>, role: Role) -> Self {
        Self::new(GroupMatcher::DisplayName(name.into()), role)
    }

    /// Sets the storage id.
    #[must_use]
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Binds the rule to a group id.
    #[must_use]
    pub fn bound_to(mut self, group_id: impl Into<String>) -> Self {
        self.bound_group_id = Some(group_id.into());
        self
    }

    /// How specifically this rule matches `group`, or `None` if it does not.
    ///
    /// A bound rule matches only its bound id.
    pub(crate) fn match_tier(&self, group: &GroupRef) -> Option<Tier> {
        if let Some(bound) = &self.bound_group_id {
            return (*bound == group.id).then_some(Tier::GroupId);
        }
        self.matcher.matches(group).then_some(match self.matcher {
            GroupMatcher::Id(_) => Tier::GroupId,
            GroupMatcher::ExternalId(_) => Tier::ExternalId,
            GroupMatcher::DisplayName(_) => Tier::DisplayName,
        })
    }
}

impl fmt::Display for MappingRule {
    /// E.g. `StackFlow-Admins → super_admin` or `externalId 'x' → viewer`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.matcher {
            GroupMatcher::DisplayName(name) => write!(f, "{name} → {}", self.role),
            other => write!(f, "{other} → {}", self.role),
        }
    }
}

/// Match specificity; a higher tier wins over a lower one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Tier {
    DisplayName,
    ExternalId,
    GroupId,
}

/// Case-insensitive (Unicode lowercase) name comparison, without allocating.
pub(crate) fn names_equal(a: &str, b: &str) -> bool {
    a.chars().flat_map(char::to_lowercase).eq(b.chars().flat_map(char::to_lowercase))
}

/// Case-folded form of a name, for use as a map key.
pub(crate) fn fold_name(name: &str) -> String {
    name.chars().flat_map(char::to_lowercase).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Debug;

    fn check<T: PartialEq + Debug>(case: &str, got: T, want: T) {
        assert_eq!(got, want, "case: {case}");
    }

    #[test]
    fn matcher_json_shape() {
        let table = [
            (GroupMatcher::Id("00g1".into()), r#"{"kind":"id","value":"00g1"}"#),
            (GroupMatcher::ExternalId("ext-1".into()), r#"{"kind":"external_id","value":"ext-1"}"#),
            (
                GroupMatcher::DisplayName("StackFlow-Admins".into()),
                r#"{"kind":"display_name","value":"StackFlow-Admins"}"#,
            ),
        ];
        for (matcher, json) in table {
            check(json, serde_json::to_string(&matcher).ok(), Some(json.into()));
            check(json, serde_json::from_str(json).ok(), Some(matcher));
        }
    }

    #[test]
    fn rule_json_defaults() {
        let table = [
            (
                r#"{"matcher":{"kind":"display_name","value":"X"},"role":"viewer"}"#,
                Some(MappingRule::display_name("X", Role::Viewer)),
            ),
            (
                r#"{"id":"r1","matcher":{"kind":"id","value":"g"},"role":"itsm_agent","bound_group_id":"g"}"#,
                Some(MappingRule::new(GroupMatcher::Id("g".into()), Role::ItsmAgent).with_id("r1").bound_to("g")),
            ),
            (r#"{"matcher":{"kind":"display_name","value":"X"},"role":"admin"}"#, None),
        ];
        for (json, want) in table {
            check(json, serde_json::from_str::<MappingRule>(json).ok(), want);
        }
    }

    #[test]
    fn match_tiers() {
        let group = GroupRef::new("00g1", "StackFlow-Admins").with_external_id("ext-1");
        let table = [
            ("id", MappingRule::new(GroupMatcher::Id("00g1".into()), Role::Viewer), Some(Tier::GroupId)),
            ("id other", MappingRule::new(GroupMatcher::Id("00g2".into()), Role::Viewer), None),
            ("ext", MappingRule::new(GroupMatcher::ExternalId("ext-1".into()), Role::Viewer), Some(Tier::ExternalId)),
            ("ext is case-sensitive", MappingRule::new(GroupMatcher::ExternalId("EXT-1".into()), Role::Viewer), None),
            ("name", MappingRule::display_name("StackFlow-Admins", Role::Viewer), Some(Tier::DisplayName)),
            ("name ignores case", MappingRule::display_name("stackflow-ADMINS", Role::Viewer), Some(Tier::DisplayName)),
            ("name other", MappingRule::display_name("StackFlow-Admin", Role::Viewer), None),
            (
                "bound to this id",
                MappingRule::display_name("Other", Role::Viewer).bound_to("00g1"),
                Some(Tier::GroupId),
            ),
            (
                "bound elsewhere, same name",
                MappingRule::display_name("StackFlow-Admins", Role::Viewer).bound_to("00g9"),
                None,
            ),
        ];
        for (case, rule, want) in table {
            check(case, rule.match_tier(&group), want);
        }
    }

    #[test]
    fn labels() {
        let table = [
            (
                MappingRule::display_name("StackFlow-Admins", Role::SuperAdmin).to_string(),
                "StackFlow-Admins → super_admin",
            ),
            (
                MappingRule::new(GroupMatcher::ExternalId("e".into()), Role::Viewer).to_string(),
                "externalId 'e' → viewer",
            ),
            (GroupMatcher::Id("g".into()).to_string(), "group id 'g'"),
            (GroupRef::new("00g1", " ").label().to_owned(), "00g1"),
            (GroupRef::new("00g1", "Ops").label().to_owned(), "Ops"),
        ];
        for (got, want) in table {
            check(want, got.as_str(), want);
        }
    }
}
