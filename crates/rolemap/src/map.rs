//! [`RoleMap`]: a validated set of mapping rules plus an optional default role.

use std::cmp::Reverse;
use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::role::Role;
use crate::rule::{fold_name, names_equal, GroupMatcher, GroupRef, MappingRule};

/// A validated set of [`MappingRule`]s and the role given to users in no mapped group.
///
/// # Which rule applies to a group
///
/// [`RoleMap::rule_for`] picks, among the rules matching a group, the most
/// specific one:
///
/// 1. a rule *bound* to the group's id (`bound_group_id == group.id`) or a
///    [`GroupMatcher::Id`] rule for that id;
/// 2. a [`GroupMatcher::ExternalId`] rule (exact match);
/// 3. a [`GroupMatcher::DisplayName`] rule (case-insensitive match).
///
/// A bound rule matches **only** its bound id, never by name or externalId.
/// Validation guarantees at most one rule per level can match a group, so the
/// choice is never ambiguous.
///
/// # Validation
///
/// Each rule has an *effective key*: its bound group id if bound, otherwise its
/// matcher (display names case-folded). Two rules with the same key are a
/// [`Error::DuplicateRule`] (same role) or [`Error::ConflictingRule`]
/// (different roles). Hence an unbound `StackFlow-Admins` rule may coexist
/// with a `StackFlow-Admins` rule bound to the group that used to carry that
/// name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleMap {
    rules: Vec<MappingRule>,
    default_role: Option<Role>,
}

/// Effective identity of a rule, used to detect duplicates and conflicts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum RuleKey {
    GroupId(String),
    ExternalId(String),
    Name(String),
}

impl RuleKey {
    fn of(rule: &MappingRule) -> (Self, String) {
        if let Some(bound) = &rule.bound_group_id {
            return (RuleKey::GroupId(bound.clone()), format!("group id '{bound}'"));
        }
        let key = match &rule.matcher {
            GroupMatcher::Id(id) => RuleKey::GroupId(id.clone()),
            GroupMatcher::ExternalId(ext) => RuleKey::ExternalId(ext.clone()),
            GroupMatcher::DisplayName(name) => RuleKey::Name(fold_name(name)),
        };
        (key, rule.matcher.to_string())
    }
}

impl RoleMap {
    /// Validates `rules` and builds a map.
    ///
    /// # Errors
    ///
    /// - [`Error::EmptyMatcher`] if a matcher value or a bound group id is blank;
    /// - [`Error::BindingMismatch`] if an [`GroupMatcher::Id`] rule is bound to another id;
    /// - [`Error::DuplicateRule`] / [`Error::ConflictingRule`] if two rules share
    ///   an effective key (see the type docs) with the same / different roles.
    pub fn new(rules: Vec<MappingRule>, default_role: Option<Role>) -> Result<RoleMap> {
        let mut seen: HashMap<RuleKey, (usize, Role)> = HashMap::new();
        for (index, rule) in rules.iter().enumerate() {
            if rule.matcher.value().trim().is_empty() {
                return Err(Error::EmptyMatcher { index, field: rule.matcher.kind_label() });
            }
            if let Some(bound) = &rule.bound_group_id {
                if bound.trim().is_empty() {
                    return Err(Error::EmptyMatcher { index, field: "bound group id" });
                }
                if let GroupMatcher::Id(id) = &rule.matcher {
                    if id != bound {
                        return Err(Error::BindingMismatch { index, id: id.clone(), bound: bound.clone() });
                    }
                }
            }
            let (key, matcher) = RuleKey::of(rule);
            if let Some(&(first, first_role)) = seen.get(&key) {
                return Err(if first_role == rule.role {
                    Error::DuplicateRule { matcher, role: rule.role, first, second: index }
                } else {
                    Error::ConflictingRule { matcher, first_role, second_role: rule.role, first, second: index }
                });
            }
            seen.insert(key, (index, rule.role));
        }
        Ok(RoleMap { rules, default_role })
    }

    /// The four default rules, matched by display name and unbound:
    /// `StackFlow-Admins` → super_admin, `StackFlow-ITSM-Managers` → itsm_manager,
    /// `StackFlow-Agents` → itsm_agent, `StackFlow-Viewers` → viewer.
    pub fn seed_defaults() -> Vec<MappingRule> {
        vec![
            MappingRule::display_name("StackFlow-Admins", Role::SuperAdmin),
            MappingRule::display_name("StackFlow-ITSM-Managers", Role::ItsmManager),
            MappingRule::display_name("StackFlow-Agents", Role::ItsmAgent),
            MappingRule::display_name("StackFlow-Viewers", Role::Viewer),
        ]
    }

    /// The rules, in the order given to [`RoleMap::new`]; indices used by this
    /// crate (bindings, broken rules, errors) refer to this slice.
    pub fn rules(&self) -> &[MappingRule] {
        &self.rules
    }

    /// The role for users in no mapped group, if any.
    pub fn default_role(&self) -> Option<Role> {
        self.default_role
    }

    /// The rule that applies to `group`, following the precedence described on
    /// [`RoleMap`], or `None` if the group is unmapped.
    pub fn rule_for(&self, group: &GroupRef) -> Option<&MappingRule> {
        self.rule_index_for(group).and_then(|index| self.rules.get(index))
    }

    /// Index (into [`RoleMap::rules`]) of the rule that applies to `group`.
    pub(crate) fn rule_index_for(&self, group: &GroupRef) -> Option<usize> {
        self.rules
            .iter()
            .enumerate()
            .filter_map(|(index, rule)| rule.match_tier(group).map(|tier| (index, tier)))
            // Highest tier wins; the first rule wins a (validation-excluded) tie.
            .min_by_key(|&(index, tier)| (Reverse(tier), index))
            .map(|(index, _)| index)
    }

    /// The groups no rule applies to, in input order.
    pub fn unmapped_groups<'a>(&self, groups: &'a [GroupRef]) -> Vec<&'a GroupRef> {
        groups.iter().filter(|group| self.rule_index_for(group).is_none()).collect()
    }

    /// Which unbound [`GroupMatcher::DisplayName`] rules should now be bound,
    /// as `(rule index, group id)` pairs sorted by rule index.
    ///
    /// A rule is proposed for binding to a group when that group is the only
    /// one in `groups` carrying the rule's name (distinct ids sharing the name
    /// are ambiguous and skipped) **and** the rule is the one
    /// [`RoleMap::rule_for`] currently picks for that group. The latter means
    /// recording a binding never changes anyone's role today. Persist the
    /// pairs and rebuild with [`RoleMap::with_bindings`].
    pub fn bindings_to_record(&self, groups: &[GroupRef]) -> Vec<(usize, String)> {
        let mut bindings = Vec::new();
        for (index, rule) in self.rules.iter().enumerate() {
            let GroupMatcher::DisplayName(name) = &rule.matcher else {
                continue;
            };
            if rule.bound_group_id.is_some() {
                continue;
            }
            let mut named = groups.iter().filter(|g| names_equal(name, &g.display_name));
            let Some(group) = named.next() else {
                continue;
            };
            if named.any(|other| other.id != group.id) {
                continue;
            }
            if self.rule_index_for(group) == Some(index) {
                bindings.push((index, group.id.clone()));
            }
        }
        bindings
    }

    /// A copy of this map with the given `(rule index, group id)` bindings
    /// applied, re-validated.
    ///
    /// # Errors
    ///
    /// [`Error::NoSuchRule`] for an out-of-range index, or any error of
    /// [`RoleMap::new`] the new bindings cause.
    pub fn with_bindings(&self, bindings: &[(usize, String)]) -> Result<RoleMap> {
        let mut rules = self.rules.clone();
        for (index, group_id) in bindings {
            let rule = rules.get_mut(*index).ok_or(Error::NoSuchRule(*index))?;
            rule.bound_group_id = Some(group_id.clone());
        }
        RoleMap::new(rules, self.default_role)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Debug;

    fn check<T: PartialEq + Debug>(case: &str, got: T, want: T) {
        assert_eq!(got, want, "case: {case}");
    }

    fn name(n: &str, role: Role) -> MappingRule {
        MappingRule::display_name(n, role)
    }

    fn id(i: &str, role: Role) -> MappingRule {
        MappingRule::new(GroupMatcher::Id(i.into()), role)
    }

    fn ext(e: &str, role: Role) -> MappingRule {
        MappingRule::new(GroupMatcher::ExternalId(e.into()), role)
    }

    #[test]
    fn validation() {
        let table: Vec<(&str, Vec<MappingRule>, std::result::Result<(), &str>)> = vec![
            ("seed defaults", RoleMap::seed_defaults(), Ok(())),
            ("empty", vec![], Ok(())),
            (
                "duplicate name, case-insensitive",
                vec![name("StackFlow-Admins", Role::SuperAdmin), name("stackflow-admins", Role::SuperAdmin)],
                Err("duplicate rule: display name 'stackflow-admins' is mapped to super_admin more than once (rules 0 and 1)"),
            ),
            (
                "conflicting name",
                vec![name("StackFlow-Admins", Role::SuperAdmin), name("STACKFLOW-ADMINS", Role::Viewer)],
                Err("conflicting rules: display name 'STACKFLOW-ADMINS' is mapped to both super_admin (rule 0) and viewer (rule 1)"),
            ),
            (
                "conflicting id",
                vec![id("00g1", Role::ItsmAgent), id("00g1", Role::ItsmManager)],
                Err("conflicting rules: group id '00g1' is mapped to both itsm_agent (rule 0) and itsm_manager (rule 1)"),
            ),
            (
                "duplicate externalId",
                vec![ext("e1", Role::Viewer), name("x", Role::Viewer), ext("e1", Role::Viewer)],
                Err("duplicate rule: externalId 'e1' is mapped to viewer more than once (rules 0 and 2)"),
            ),
            (
                "externalId is case-sensitive",
                vec![ext("e1", Role::Viewer), ext("E1", Role::SuperAdmin)],
                Ok(()),
            ),
            (
                "bound name conflicts with id rule",
                vec![id("00g1", Role::Viewer), name("Ops", Role::SuperAdmin).bound_to("00g1")],
                Err("conflicting rules: group id '00g1' is mapped to both viewer (rule 0) and super_admin (rule 1)"),
            ),
            (
                "bound and unbound rule for the same name coexist",
                vec![name("Ops", Role::SuperAdmin).bound_to("00g1"), name("ops", Role::Viewer)],
                Ok(()),
            ),
            (
                "same id and name matchers are different keys",
                vec![id("Ops", Role::SuperAdmin), name("Ops", Role::Viewer)],
                Ok(()),
            ),
            ("empty name", vec![name("", Role::Viewer)], Err("rule 0 has an empty display name")),
            (
                "blank externalId",
                vec![name("a", Role::Viewer), ext("  ", Role::Viewer)],
                Err("rule 1 has an empty externalId"),
            ),
            ("empty id", vec![id("", Role::Viewer)], Err("rule 0 has an empty group id")),
            (
                "empty binding",
                vec![name("a", Role::Viewer).bound_to("")],
                Err("rule 0 has an empty bound group id"),
            ),
            (
                "id rule bound elsewhere",
                vec![id("00g1", Role::Viewer).bound_to("00g2")],
                Err("rule 0 matches group id '00g1' but is bound to a different group id '00g2'"),
            ),
            ("id rule bound to itself", vec![id("00g1", Role::Viewer).bound_to("00g1")], Ok(())),
        ];
        for (case, rules, want) in table {
            let got = RoleMap::new(rules, None).map(|_| ()).map_err(|e| e.to_string());
            check(case, got, want.map_err(str::to_owned));
        }
    }

    #[test]
    fn validation_error_variants() {
        let table = [
            (
                "duplicate",
                vec![name("A", Role::Viewer), name("a", Role::Viewer)],
                Error::DuplicateRule { matcher: "display name 'a'".into(), role: Role::Viewer, first: 0, second: 1 },
            ),
            (
                "conflict",
                vec![name("A", Role::Viewer), name("a", Role::ItsmAgent)],
                Error::ConflictingRule {
                    matcher: "display name 'a'".into(),
                    first_role: Role::Viewer,
                    second_role: Role::ItsmAgent,
                    first: 0,
                    second: 1,
                },
            ),
            ("empty", vec![name(" ", Role::Viewer)], Error::EmptyMatcher { index: 0, field: "display name" }),
        ];
        for (case, rules, want) in table {
            check(case, RoleMap::new(rules, None).err(), Some(want));
        }
    }

    #[test]
    fn rule_for_precedence() {
        let rules = vec![
            name("Ops", Role::Viewer),                           // 0
            ext("ext-ops", Role::ItsmAgent),                     // 1
            id("00g-ops", Role::ItsmManager),                    // 2
            name("Renamed", Role::SuperAdmin).bound_to("00g-b"), // 3
            name("Taken", Role::SuperAdmin).bound_to("00g-old"), // 4
            name("Staff", Role::Viewer),                         // 5
            ext("ext-staff", Role::ItsmAgent),                   // 6
        ];
        let map = RoleMap::new(rules, Some(Role::Viewer)).expect("valid rules");
        let table = [
            ("id beats externalId and name", GroupRef::new("00g-ops", "Ops").with_external_id("ext-ops"), Some(2)),
            ("externalId beats name", GroupRef::new("00g-x", "Ops").with_external_id("ext-ops"), Some(1)),
            ("name only", GroupRef::new("00g-y", "ops"), Some(0)),
            ("name case-insensitive", GroupRef::new("00g-y", "OPS"), Some(0)),
            ("externalId wrong case", GroupRef::new("00g-y", "Nope").with_external_id("EXT-OPS"), None),
            ("bound rule follows id under any name", GroupRef::new("00g-b", "Whatever"), Some(3)),
            ("bound rule does not match its name elsewhere", GroupRef::new("00g-new", "Taken"), None),
            ("bound id beats externalId", GroupRef::new("00g-b", "Staff").with_external_id("ext-staff"), Some(3)),
            (
                "externalId beats name, other rules",
                GroupRef::new("00g-s", "Staff").with_external_id("ext-staff"),
                Some(6),
            ),
            ("unmapped", GroupRef::new("00g-z", "Finance"), None),
        ];
        for (case, group, want) in table {
            let want = want.and_then(|i| map.rules().get(i));
            check(case, map.rule_for(&group), want);
        }
    }

    #[test]
    fn unmapped_groups_in_input_order() {
        let map = RoleMap::new(RoleMap::seed_defaults(), None).expect("valid rules");
        let groups = [GroupRef::new("1", "Zeta"), GroupRef::new("2", "stackflow-agents"), GroupRef::new("3", "Alpha")];
        let got: Vec<&str> = map.unmapped_groups(&groups).into_iter().map(|g| g.id.as_str()).collect();
        check("unmapped", got, vec!["1", "3"]);
    }

    #[test]
    fn bindings() {
        let seed = RoleMap::seed_defaults();
        /// (case, rules, groups seen, expected bindings)
        type Case = (&'static str, Vec<MappingRule>, Vec<GroupRef>, Vec<(usize, String)>);
        let table: Vec<Case> = vec![
            (
                "unbound name rules bind to the groups seen",
                seed.clone(),
                vec![
                    GroupRef::new("g-view", "StackFlow-Viewers"),
                    GroupRef::new("g-adm", "stackflow-admins"),
                    GroupRef::new("g-x", "Finance"),
                ],
                vec![(0, "g-adm".into()), (3, "g-view".into())],
            ),
            ("no groups, nothing to bind", seed.clone(), vec![], vec![]),
            (
                "same group listed twice is fine",
                seed.clone(),
                vec![GroupRef::new("g1", "StackFlow-Agents"), GroupRef::new("g1", "StackFlow-Agents")],
                vec![(2, "g1".into())],
            ),
            (
                "two groups sharing the name are ambiguous",
                seed.clone(),
                vec![GroupRef::new("g1", "StackFlow-Agents"), GroupRef::new("g2", "stackflow-agents")],
                vec![],
            ),
            (
                "already bound rules are skipped",
                vec![name("StackFlow-Admins", Role::SuperAdmin).bound_to("g-old")],
                vec![GroupRef::new("g-new", "StackFlow-Admins")],
                vec![],
            ),
            (
                "group claimed by an id rule is not bound",
                vec![name("Ops", Role::SuperAdmin), id("g1", Role::Viewer)],
                vec![GroupRef::new("g1", "Ops")],
                vec![],
            ),
            (
                "group claimed by an externalId rule is not bound",
                vec![name("Ops", Role::SuperAdmin), ext("e1", Role::Viewer)],
                vec![GroupRef::new("g1", "Ops").with_external_id("e1")],
                vec![],
            ),
            (
                "id and externalId rules are never proposed",
                vec![id("g1", Role::Viewer), ext("e2", Role::Viewer)],
                vec![GroupRef::new("g1", "A"), GroupRef::new("g2", "B").with_external_id("e2")],
                vec![],
            ),
        ];
        for (case, rules, groups, want) in table {
            let got = RoleMap::new(rules, None).map(|m| m.bindings_to_record(&groups));
            check(case, got, Ok(want));
        }
    }

    #[test]
    fn with_bindings_results() {
        let map = RoleMap::new(RoleMap::seed_defaults(), None);
        /// Bound group id of each rule after applying the bindings, or the error.
        type Bound = std::result::Result<Vec<Option<String>>, Error>;
        /// (case, bindings to apply, expected outcome)
        type Case = (&'static str, Vec<(usize, String)>, Bound);
        let table: Vec<Case> = vec![
            ("binds", vec![(1, "g-mgr".into())], Ok(vec![None, Some("g-mgr".into()), None, None])),
            ("out of range", vec![(4, "g".into())], Err(Error::NoSuchRule(4))),
            (
                "two rules on one group conflict",
                vec![(0, "g".into()), (3, "g".into())],
                Err(Error::ConflictingRule {
                    matcher: "group id 'g'".into(),
                    first_role: Role::SuperAdmin,
                    second_role: Role::Viewer,
                    first: 0,
                    second: 3,
                }),
            ),
        ];
        for (case, bindings, want) in table {
            let got = map
                .clone()
                .and_then(|m| m.with_bindings(&bindings))
                .map(|m| m.rules().iter().map(|r| r.bound_group_id.clone()).collect::<Vec<_>>());
            check(case, got, want);
        }
    }
}
