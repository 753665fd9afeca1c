//! Dry-run previews: whose role changes when the rules change.

use serde::{Deserialize, Serialize};

use crate::map::RoleMap;
use crate::role::Role;
use crate::rule::GroupRef;

/// Identifies a user in a [`diff`]: the StackFlow (or SCIM) user id, as a plain string.
pub type UserKey = String;

/// One user whose effective role differs between two maps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleChange {
    /// The user.
    pub user: UserKey,
    /// Role under the old map (`None` = no access).
    pub old: Option<Role>,
    /// Role under the new map (`None` = no access).
    pub new: Option<Role>,
    /// Why the user gets `new`: the new map's [`Resolution::explanation`](crate::Resolution::explanation).
    pub explanation: String,
}

/// Resolves every user under both `old` and `new` and returns only the users
/// whose role changes, in input order.
pub fn diff<G: AsRef<[GroupRef]>>(
    old: &RoleMap,
    new: &RoleMap,
    users: impl IntoIterator<Item = (UserKey, G)>,
) -> Vec<RoleChange> {
    users
        .into_iter()
        .filter_map(|(user, groups)| {
            let before = old.resolve(groups.as_ref()).role;
            let after = new.resolve(groups.as_ref());
            (before != after.role).then(|| RoleChange {
                user,
                old: before,
                new: after.role,
                explanation: after.explanation(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::MappingRule;
    use std::fmt::Debug;

    fn check<T: PartialEq + Debug>(case: &str, got: T, want: T) {
        assert_eq!(got, want, "case: {case}");
    }

    fn users() -> Vec<(UserKey, Vec<GroupRef>)> {
        vec![
            ("alice".into(), vec![GroupRef::new("g-adm", "StackFlow-Admins")]),
            ("bob".into(), vec![GroupRef::new("g-agt", "StackFlow-Agents")]),
            ("carol".into(), vec![GroupRef::new("g-fin", "Finance")]),
            ("dave".into(), vec![]),
            (
                "erin".into(),
                vec![GroupRef::new("g-vwr", "StackFlow-Viewers"), GroupRef::new("g-agt", "StackFlow-Agents")],
            ),
        ]
    }

    #[test]
    fn only_changed_users() {
        let seed = RoleMap::seed_defaults();
        let old = RoleMap::new(seed.clone(), None).expect("valid rules");
        let mut agents_demoted = seed.clone();
        agents_demoted[2].role = Role::Viewer;
        let mut finance_added = seed.clone();
        finance_added.push(MappingRule::display_name("finance", Role::ItsmAgent));

        /// (user, old role, new role, explanation)
        type Change = (&'static str, Option<Role>, Option<Role>, &'static str);
        /// (case, new rules, new default role, expected changes)
        type Case = (&'static str, Vec<MappingRule>, Option<Role>, Vec<Change>);
        let table: Vec<Case> = vec![
            ("identical maps", seed.clone(), None, vec![]),
            (
                "default role added",
                seed.clone(),
                Some(Role::Viewer),
                vec![
                    (
                        "carol",
                        None,
                        Some(Role::Viewer),
                        "member of no mapped group (groups: Finance); default role viewer applies",
                    ),
                    ("dave", None, Some(Role::Viewer), "member of no group; default role viewer applies"),
                ],
            ),
            (
                "agents demoted",
                agents_demoted,
                None,
                vec![
                    ("bob", Some(Role::ItsmAgent), Some(Role::Viewer), "member of StackFlow-Agents (viewer)"),
                    (
                        "erin",
                        Some(Role::ItsmAgent),
                        Some(Role::Viewer),
                        "member of StackFlow-Agents (viewer) and StackFlow-Viewers (viewer)",
                    ),
                ],
            ),
            (
                "finance mapped",
                finance_added,
                None,
                vec![("carol", None, Some(Role::ItsmAgent), "member of Finance (itsm_agent)")],
            ),
            (
                "all rules removed",
                vec![],
                None,
                vec![
                    (
                        "alice",
                        Some(Role::SuperAdmin),
                        None,
                        "member of no mapped group (groups: StackFlow-Admins); no role (no access)",
                    ),
                    (
                        "bob",
                        Some(Role::ItsmAgent),
                        None,
                        "member of no mapped group (groups: StackFlow-Agents); no role (no access)",
                    ),
                    (
                        "erin",
                        Some(Role::ItsmAgent),
                        None,
                        "member of no mapped group (groups: StackFlow-Agents, StackFlow-Viewers); no role (no access)",
                    ),
                ],
            ),
        ];
        for (case, rules, default, want) in table {
            let new = RoleMap::new(rules, default).expect("valid rules");
            let want: Vec<RoleChange> = want
                .into_iter()
                .map(|(user, old, new, explanation)| RoleChange {
                    user: user.into(),
                    old,
                    new,
                    explanation: explanation.into(),
                })
                .collect();
            check(case, diff(&old, &new, users()), want);
        }
    }
}
