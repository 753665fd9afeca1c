//! Finding rules that no longer (or never did) match a pushed group.

use serde::{Deserialize, Serialize};

use crate::map::RoleMap;
use crate::rule::{names_equal, GroupMatcher, GroupRef, MappingRule};

/// Why a rule is reported by [`RoleMap::broken_rules`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BrokenKind {
    /// The rule is bound to a group id that is no longer pushed; it grants nothing.
    BoundGroupMissing,
    /// Informational: the rule still works, but its bound group now carries a
    /// different display name than the rule's (it was renamed in Okta).
    BoundGroupRenamed,
    /// No known group matches the rule's id, externalId or name.
    NoMatchingGroup,
    /// Some group matches the rule, but a more specific rule takes precedence
    /// for every such group, so this rule never applies.
    Shadowed,
}

impl BrokenKind {
    /// `true` for reports that do not mean the rule is ineffective
    /// (currently only [`BrokenKind::BoundGroupRenamed`]).
    pub fn is_informational(self) -> bool {
        matches!(self, BrokenKind::BoundGroupRenamed)
    }
}

/// A rule worth an administrator's attention, with a human reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokenRule {
    /// Index of the rule in [`RoleMap::rules`].
    pub rule_index: usize,
    /// The rule itself.
    pub rule: MappingRule,
    /// What is wrong.
    pub kind: BrokenKind,
    /// Human explanation, e.g. `no pushed group matches 'StackFlow-Viewers'`.
    pub reason: String,
}

impl RoleMap {
    /// Rules that do not (or no longer) match any of `known_groups` — every
    /// group currently pushed by Okta — plus bound rules whose group was
    /// renamed (informational, see [`BrokenKind::is_informational`]).
    /// Sorted by rule index; at most one report per rule.
    pub fn broken_rules(&self, known_groups: &[GroupRef]) -> Vec<BrokenRule> {
        self.rules()
            .iter()
            .enumerate()
            .filter_map(|(index, rule)| {
                let (kind, reason) = self.diagnose(index, rule, known_groups)?;
                Some(BrokenRule { rule_index: index, rule: rule.clone(), kind, reason })
            })
            .collect()
    }

    fn diagnose(&self, index: usize, rule: &MappingRule, known: &[GroupRef]) -> Option<(BrokenKind, String)> {
        if let Some(bound) = &rule.bound_group_id {
            let Some(group) = known.iter().find(|g| g.id == *bound) else {
                return Some((
                    BrokenKind::BoundGroupMissing,
                    format!("rule {rule} is bound to group {bound}, which no longer exists"),
                ));
            };
            return match &rule.matcher {
                GroupMatcher::DisplayName(name) if !names_equal(name, &group.display_name) => Some((
                    BrokenKind::BoundGroupRenamed,
                    format!("rule {rule} is bound to group {bound}, which is now named '{}'", group.display_name),
                )),
                _ => None,
            };
        }

        let mut matching = known.iter().filter(|g| rule.matcher.matches(g)).peekable();
        let Some(&first) = matching.peek() else {
            let reason = match &rule.matcher {
                GroupMatcher::DisplayName(name) => format!("no pushed group matches '{name}'"),
                GroupMatcher::ExternalId(ext) => format!("no pushed group has externalId '{ext}'"),
                GroupMatcher::Id(id) => format!("no pushed group has id '{id}'"),
            };
            return Some((BrokenKind::NoMatchingGroup, reason));
        };
        if matching.any(|g| self.rule_index_for(g) == Some(index)) {
            return None;
        }
        let winner = self.rule_for(first).map_or_else(|| "another rule".to_owned(), |w| format!("rule {w}"));
        Some((
            BrokenKind::Shadowed,
            format!("rule {rule} matches group '{}' ({}), but {winner} takes precedence", first.label(), first.id),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::role::Role;
    use std::fmt::Debug;

    fn check<T: PartialEq + Debug>(case: &str, got: T, want: T) {
        assert_eq!(got, want, "case: {case}");
    }

    #[test]
    fn reports() {
        let rules = vec![
            MappingRule::display_name("StackFlow-Admins", Role::SuperAdmin).bound_to("g-adm"), // 0 renamed
            MappingRule::display_name("StackFlow-ITSM-Managers", Role::ItsmManager).bound_to("g-gone"), // 1 missing
            MappingRule::display_name("StackFlow-Agents", Role::ItsmAgent).bound_to("g-agt"),  // 2 fine (case differs)
            MappingRule::display_name("StackFlow-Viewers", Role::Viewer),                      // 3 no match
            MappingRule::new(GroupMatcher::Id("g-none".into()), Role::Viewer),                 // 4 no match
            MappingRule::new(GroupMatcher::ExternalId("ext-none".into()), Role::Viewer),       // 5 no match
            MappingRule::new(GroupMatcher::ExternalId("ext-ops".into()), Role::ItsmAgent),     // 6 fine
            MappingRule::display_name("Ops", Role::Viewer),                                    // 7 shadowed by 6
            MappingRule::display_name("Finance", Role::Viewer),                                // 8 fine
            MappingRule::new(GroupMatcher::Id("g-hr".into()), Role::Viewer),                   // 9 fine
        ];
        let map = RoleMap::new(rules, None).expect("valid rules");
        let known = [
            GroupRef::new("g-adm", "Admins-Old"),
            GroupRef::new("g-agt", "stackflow-agents"),
            GroupRef::new("g-ops", "Ops").with_external_id("ext-ops"),
            GroupRef::new("g-fin", "Finance"),
            GroupRef::new("g-hr", "HR"),
        ];
        let want = vec![
            (0, BrokenKind::BoundGroupRenamed, "rule StackFlow-Admins → super_admin is bound to group g-adm, which is now named 'Admins-Old'"),
            (1, BrokenKind::BoundGroupMissing, "rule StackFlow-ITSM-Managers → itsm_manager is bound to group g-gone, which no longer exists"),
            (3, BrokenKind::NoMatchingGroup, "no pushed group matches 'StackFlow-Viewers'"),
            (4, BrokenKind::NoMatchingGroup, "no pushed group has id 'g-none'"),
            (5, BrokenKind::NoMatchingGroup, "no pushed group has externalId 'ext-none'"),
            (7, BrokenKind::Shadowed, "rule Ops → viewer matches group 'Ops' (g-ops), but rule externalId 'ext-ops' → itsm_agent takes precedence"),
        ];
        let got: Vec<(usize, BrokenKind, String)> =
            map.broken_rules(&known).into_iter().map(|b| (b.rule_index, b.kind, b.reason)).collect();
        let want: Vec<(usize, BrokenKind, String)> =
            want.into_iter().map(|(index, kind, reason)| (index, kind, reason.to_owned())).collect();
        check("reports", got, want);
    }

    #[test]
    fn edge_cases() {
        /// (case, rules, known groups, expected report kinds)
        type Case = (&'static str, Vec<MappingRule>, Vec<GroupRef>, Vec<BrokenKind>);
        let table: Vec<Case> = vec![
            ("no rules", vec![], vec![GroupRef::new("g", "A")], vec![]),
            ("seed rules, no groups pushed", RoleMap::seed_defaults(), vec![], vec![BrokenKind::NoMatchingGroup; 4]),
            (
                "seed rules all matched",
                RoleMap::seed_defaults(),
                vec![
                    GroupRef::new("1", "StackFlow-Admins"),
                    GroupRef::new("2", "StackFlow-ITSM-Managers"),
                    GroupRef::new("3", "StackFlow-Agents"),
                    GroupRef::new("4", "StackFlow-Viewers"),
                ],
                vec![],
            ),
            (
                "name rule still applies to one of two groups with its name",
                vec![
                    MappingRule::display_name("Ops", Role::Viewer),
                    MappingRule::new(GroupMatcher::Id("g1".into()), Role::ItsmAgent),
                ],
                vec![GroupRef::new("g1", "Ops"), GroupRef::new("g2", "Ops")],
                vec![],
            ),
        ];
        for (case, rules, known, want) in table {
            let map = RoleMap::new(rules, None).expect("valid rules");
            let got: Vec<BrokenKind> = map.broken_rules(&known).into_iter().map(|b| b.kind).collect();
            check(case, got, want);
        }
        check("informational", BrokenKind::BoundGroupRenamed.is_informational(), true);
        check("not informational", BrokenKind::Shadowed.is_informational(), false);
    }
}
