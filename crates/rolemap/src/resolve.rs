//! Resolving a user's groups to one role, with an explanation.

use std::cmp::Reverse;

use serde::{Deserialize, Serialize};

use crate::map::RoleMap;
use crate::role::Role;
use crate::rule::{fold_name, GroupRef, MappingRule};

/// Where a [`Resolution`]'s role came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoleSource {
    /// At least one of the user's groups is mapped; the highest role wins.
    Mapping,
    /// No group is mapped; the map's default role applies.
    Default,
    /// No group is mapped and there is no default: the user gets no role.
    None,
}

/// One of the user's groups and what it contributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Considered {
    /// The group.
    pub group: GroupRef,
    /// The role its rule grants, or `None` if the group is unmapped.
    pub role: Option<Role>,
    /// The rule that applies to the group (see [`RoleMap::rule_for`]).
    pub rule: Option<MappingRule>,
}

/// The outcome of [`RoleMap::resolve`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    /// The effective role, or `None` for no access.
    pub role: Option<Role>,
    /// The group granting `role`, when it comes from a mapping (first of equals).
    pub winner: Option<Considered>,
    /// Every distinct group of the user, sorted by role (highest first, unmapped
    /// last), then by display name (case-insensitive), then by id.
    pub considered: Vec<Considered>,
    /// Where `role` came from.
    pub source: RoleSource,
}

impl RoleMap {
    /// The effective role of a user who is a member of `groups`.
    ///
    /// Each distinct group (by id; repeats are ignored) is looked up with
    /// [`RoleMap::rule_for`]; the highest mapped role wins. If no group is
    /// mapped, the default role applies (even when `groups` is empty); without
    /// a default the user gets no role. The result does not depend on the order
    /// of `groups`.
    pub fn resolve(&self, groups: &[GroupRef]) -> Resolution {
        let mut considered: Vec<Considered> = Vec::with_capacity(groups.len());
        for group in groups {
            if considered.iter().any(|c| c.group.id == group.id) {
                continue;
            }
            let rule = self.rule_for(group).cloned();
            considered.push(Considered { group: group.clone(), role: rule.as_ref().map(|r| r.role), rule });
        }
        considered.sort_by_cached_key(|c| {
            (Reverse(c.role), fold_name(&c.group.display_name), c.group.display_name.clone(), c.group.id.clone())
        });

        let winner = considered.first().filter(|c| c.role.is_some()).cloned();
        let (role, source) = match &winner {
            Some(w) => (w.role, RoleSource::Mapping),
            None => match self.default_role() {
                Some(default) => (Some(default), RoleSource::Default),
                None => (None, RoleSource::None),
            },
        };
        Resolution { role, winner, considered, source }
    }
}

impl Resolution {
    /// A one-line human explanation of the outcome, e.g.
    ///
    /// - `member of StackFlow-Admins (super_admin), which outranks StackFlow-Viewers (viewer)`
    /// - `member of StackFlow-Agents (itsm_agent); unmapped groups: Finance`
    /// - `member of no mapped group (groups: Foo, Bar); default role viewer applies`
    /// - `member of no group; no role (no access)`
    pub fn explanation(&self) -> String {
        let unmapped: Vec<&str> =
            self.considered.iter().filter(|c| c.role.is_none()).map(|c| c.group.label()).collect();

        let mut text = match (self.source, self.role) {
            (RoleSource::Mapping, Some(role)) => {
                let (top, lower): (Vec<&Considered>, Vec<&Considered>) =
                    self.considered.iter().filter(|c| c.role.is_some()).partition(|c| c.role == Some(role));
                let mut text = format!("member of {}", join_and(top.iter().map(|c| granting(c))));
                if !lower.is_empty() {
                    let verb = if top.len() == 1 { "outranks" } else { "outrank" };
                    text.push_str(&format!(", which {verb} {}", join_and(lower.iter().map(|c| granting(c)))));
                }
                if !unmapped.is_empty() {
                    text.push_str(&format!("; unmapped groups: {}", unmapped.join(", ")));
                }
                return text;
            }
            _ if self.considered.is_empty() => "member of no group".to_owned(),
            _ => format!("member of no mapped group (groups: {})", unmapped.join(", ")),
        };
        match (self.source, self.role) {
            (RoleSource::Default, Some(role)) => {
                text.push_str(&format!("; default role {role} applies"));
            }
            _ => text.push_str("; no role (no access)"),
        }
        text
    }
}

/// `Name (role)` for a mapped group.
fn granting(c: &Considered) -> String {
    match c.role {
        Some(role) => format!("{} ({role})", c.group.label()),
        None => c.group.label().to_owned(),
    }
}

/// `A`, `A and B`, `A, B and C`.
fn join_and(items: impl IntoIterator<Item = String>) -> String {
    let mut items: Vec<String> = items.into_iter().collect();
    match items.pop() {
        None => String::new(),
        Some(last) if items.is_empty() => last,
        Some(last) => format!("{} and {last}", items.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::GroupMatcher;
    use std::fmt::Debug;

    fn check<T: PartialEq + Debug>(case: &str, got: T, want: T) {
        assert_eq!(got, want, "case: {case}");
    }

    fn seeded(default: Option<Role>) -> RoleMap {
        RoleMap::new(RoleMap::seed_defaults(), default).expect("valid rules")
    }

    fn g(id: &str, name: &str) -> GroupRef {
        GroupRef::new(id, name)
    }

    fn admins() -> GroupRef {
        g("g-adm", "StackFlow-Admins")
    }
    fn managers() -> GroupRef {
        g("g-mgr", "StackFlow-ITSM-Managers")
    }
    fn agents() -> GroupRef {
        g("g-agt", "StackFlow-Agents")
    }
    fn viewers() -> GroupRef {
        g("g-vwr", "StackFlow-Viewers")
    }

    #[test]
    fn precedence_all_pairs() {
        let map = seeded(None);
        let table = [
            (
                admins(),
                managers(),
                Role::SuperAdmin,
                "member of StackFlow-Admins (super_admin), which outranks StackFlow-ITSM-Managers (itsm_manager)",
            ),
            (
                admins(),
                agents(),
                Role::SuperAdmin,
                "member of StackFlow-Admins (super_admin), which outranks StackFlow-Agents (itsm_agent)",
            ),
            (
                admins(),
                viewers(),
                Role::SuperAdmin,
                "member of StackFlow-Admins (super_admin), which outranks StackFlow-Viewers (viewer)",
            ),
            (
                managers(),
                agents(),
                Role::ItsmManager,
                "member of StackFlow-ITSM-Managers (itsm_manager), which outranks StackFlow-Agents (itsm_agent)",
            ),
            (
                managers(),
                viewers(),
                Role::ItsmManager,
                "member of StackFlow-ITSM-Managers (itsm_manager), which outranks StackFlow-Viewers (viewer)",
            ),
            (
                agents(),
                viewers(),
                Role::ItsmAgent,
                "member of StackFlow-Agents (itsm_agent), which outranks StackFlow-Viewers (viewer)",
            ),
        ];
        for (high, low, want_role, want_text) in table {
            // Input order must not matter.
            for groups in [vec![high.clone(), low.clone()], vec![low.clone(), high.clone()]] {
                let case = format!("{} + {}", groups[0].display_name, groups[1].display_name);
                let res = map.resolve(&groups);
                check(&case, res.role, Some(want_role));
                check(&case, res.source, RoleSource::Mapping);
                check(&case, res.winner.as_ref().map(|w| &w.group), Some(&high));
                check(&case, res.explanation(), want_text.to_owned());
            }
        }
    }

    #[test]
    fn outcomes() {
        let seed = RoleMap::seed_defaults();
        let by_ids = vec![
            MappingRule::new(GroupMatcher::Id("g-ops".into()), Role::ItsmManager),
            MappingRule::new(GroupMatcher::ExternalId("ext-ops".into()), Role::SuperAdmin),
            MappingRule::display_name("Ops", Role::Viewer),
        ];
        struct Case {
            name: &'static str,
            rules: Vec<MappingRule>,
            default: Option<Role>,
            groups: Vec<GroupRef>,
            role: Option<Role>,
            source: RoleSource,
            text: &'static str,
        }
        let table = vec![
            Case {
                name: "single mapped group",
                rules: seed.clone(),
                default: None,
                groups: vec![agents()],
                role: Some(Role::ItsmAgent),
                source: RoleSource::Mapping,
                text: "member of StackFlow-Agents (itsm_agent)",
            },
            Case {
                name: "no mapping, no default",
                rules: seed.clone(),
                default: None,
                groups: vec![g("1", "Foo"), g("2", "Bar")],
                role: None,
                source: RoleSource::None,
                text: "member of no mapped group (groups: Bar, Foo); no role (no access)",
            },
            Case {
                name: "no mapping, default applies",
                rules: seed.clone(),
                default: Some(Role::Viewer),
                groups: vec![g("1", "Foo"), g("2", "Bar")],
                role: Some(Role::Viewer),
                source: RoleSource::Default,
                text: "member of no mapped group (groups: Bar, Foo); default role viewer applies",
            },
            Case {
                name: "no group, no default",
                rules: seed.clone(),
                default: None,
                groups: vec![],
                role: None,
                source: RoleSource::None,
                text: "member of no group; no role (no access)",
            },
            Case {
                name: "no group, default applies",
                rules: seed.clone(),
                default: Some(Role::ItsmAgent),
                groups: vec![],
                role: Some(Role::ItsmAgent),
                source: RoleSource::Default,
                text: "member of no group; default role itsm_agent applies",
            },
            Case {
                name: "mapping beats default even when lower",
                rules: seed.clone(),
                default: Some(Role::SuperAdmin),
                groups: vec![viewers()],
                role: Some(Role::Viewer),
                source: RoleSource::Mapping,
                text: "member of StackFlow-Viewers (viewer)",
            },
            Case {
                name: "display name matched case-insensitively",
                rules: seed.clone(),
                default: None,
                groups: vec![g("x", "STACKFLOW-itsm-managers")],
                role: Some(Role::ItsmManager),
                source: RoleSource::Mapping,
                text: "member of STACKFLOW-itsm-managers (itsm_manager)",
            },
            Case {
                name: "unmapped groups are mentioned",
                rules: seed.clone(),
                default: Some(Role::Viewer),
                groups: vec![g("z", "Zeta"), agents(), g("a", "alpha")],
                role: Some(Role::ItsmAgent),
                source: RoleSource::Mapping,
                text: "member of StackFlow-Agents (itsm_agent); unmapped groups: alpha, Zeta",
            },
            Case {
                name: "three mapped groups",
                rules: seed.clone(),
                default: None,
                groups: vec![viewers(), admins(), agents()],
                role: Some(Role::SuperAdmin),
                source: RoleSource::Mapping,
                text: "member of StackFlow-Admins (super_admin), which outranks StackFlow-Agents (itsm_agent) and StackFlow-Viewers (viewer)",
            },
            Case {
                name: "tied top groups",
                rules: vec![
                    MappingRule::display_name("Ops-Admins", Role::SuperAdmin),
                    MappingRule::display_name("StackFlow-Admins", Role::SuperAdmin),
                    MappingRule::display_name("StackFlow-Viewers", Role::Viewer),
                ],
                default: None,
                groups: vec![viewers(), admins(), g("o", "Ops-Admins"), g("f", "Finance")],
                role: Some(Role::SuperAdmin),
                source: RoleSource::Mapping,
                text: "member of Ops-Admins (super_admin) and StackFlow-Admins (super_admin), which outrank StackFlow-Viewers (viewer); unmapped groups: Finance",
            },
            Case {
                name: "duplicate group ignored",
                rules: seed.clone(),
                default: None,
                groups: vec![agents(), agents()],
                role: Some(Role::ItsmAgent),
                source: RoleSource::Mapping,
                text: "member of StackFlow-Agents (itsm_agent)",
            },
            Case {
                name: "id rule beats externalId rule on the same group",
                rules: by_ids.clone(),
                default: None,
                groups: vec![g("g-ops", "Ops").with_external_id("ext-ops")],
                role: Some(Role::ItsmManager),
                source: RoleSource::Mapping,
                text: "member of Ops (itsm_manager)",
            },
            Case {
                name: "externalId rule beats name rule on the same group",
                rules: by_ids.clone(),
                default: None,
                groups: vec![g("g-2", "Ops").with_external_id("ext-ops")],
                role: Some(Role::SuperAdmin),
                source: RoleSource::Mapping,
                text: "member of Ops (super_admin)",
            },
            Case {
                name: "name rule when nothing more specific matches",
                rules: by_ids.clone(),
                default: None,
                groups: vec![g("g-3", "ops")],
                role: Some(Role::Viewer),
                source: RoleSource::Mapping,
                text: "member of ops (viewer)",
            },
        ];
        for case in table {
            let res = RoleMap::new(case.rules, case.default).expect("valid rules").resolve(&case.groups);
            check(case.name, res.role, case.role);
            check(case.name, res.source, case.source);
            check(case.name, res.winner.is_some(), case.source == RoleSource::Mapping);
            check(case.name, res.explanation(), case.text.to_owned());
        }
    }

    #[test]
    fn considered_is_sorted_and_complete() {
        let map = seeded(None);
        let groups = [g("2", "b-unmapped"), viewers(), g("1", "A-unmapped"), admins(), g("0", "a-unmapped")];
        let res = map.resolve(&groups);
        let got: Vec<(&str, Option<Role>)> = res.considered.iter().map(|c| (c.group.id.as_str(), c.role)).collect();
        let want = vec![
            ("g-adm", Some(Role::SuperAdmin)),
            ("g-vwr", Some(Role::Viewer)),
            ("1", None),
            ("0", None),
            ("2", None),
        ];
        check("sorted", got, want);
    }

    #[test]
    fn rename_scenario() {
        // Day 1: the seeded rules see group g1 named StackFlow-Admins; the caller records the binding.
        let day1 = seeded(None);
        let original = g("g1", "StackFlow-Admins");
        let bindings = day1.bindings_to_record(std::slice::from_ref(&original));
        check("binding proposed", bindings.clone(), vec![(0, "g1".to_owned())]);
        let bound = day1.with_bindings(&bindings).expect("binding is valid");

        // Day 2: g1 is renamed in Okta; a new group g2 takes the old name.
        let renamed = g("g1", "Admins-Old");
        let usurper = g("g2", "StackFlow-Admins");
        let table = [
            (
                "renamed group keeps its role",
                vec![renamed.clone()],
                Some(Role::SuperAdmin),
                "member of Admins-Old (super_admin)",
            ),
            (
                "new group with old name gets nothing",
                vec![usurper.clone()],
                None,
                "member of no mapped group (groups: StackFlow-Admins); no role (no access)",
            ),
            (
                "both",
                vec![usurper.clone(), renamed.clone()],
                Some(Role::SuperAdmin),
                "member of Admins-Old (super_admin); unmapped groups: StackFlow-Admins",
            ),
        ];
        for (case, groups, role, text) in table {
            let res = bound.resolve(&groups);
            check(case, res.role, role);
            check(case, res.explanation(), text.to_owned());
        }
        // Without the binding the rename would have moved the role to the usurper.
        check(
            "unbound map follows the name",
            day1.resolve(std::slice::from_ref(&usurper)).role,
            Some(Role::SuperAdmin),
        );
        check("unbound map loses the renamed group", day1.resolve(&[renamed]).role, None);
        // The bound rule is not re-proposed for the usurper.
        check("no rebinding", bound.bindings_to_record(&[usurper]), vec![]);
    }

    #[test]
    fn json_shape() {
        let res = seeded(None).resolve(&[agents()]);
        let json = serde_json::to_value(&res).expect("serializable");
        check("role", json["role"].clone(), serde_json::json!("itsm_agent"));
        check("source", json["source"].clone(), serde_json::json!("mapping"));
        check(
            "matcher",
            json["winner"]["rule"]["matcher"].clone(),
            serde_json::json!({"kind": "display_name", "value": "StackFlow-Agents"}),
        );
        let back: Resolution = serde_json::from_value(json).expect("deserializable");
        check("round trip", back, res);
        check("none source", serde_json::to_string(&RoleSource::None).ok(), Some("\"none\"".to_owned()));
    }
}
