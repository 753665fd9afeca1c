//! StackFlow roles from Okta groups: recomputing the effective role of the users a change touches,
//! in the caller's transaction; the account state Deactivate on Offboard implies; and the operator's
//! views and mapping changes (`stackflow-admin mappings …`, `users explain`, `groups unmapped`).
//!
//! The rules and decisions are the `rolemap` engine's; this module loads what it needs in batched
//! queries (never one per user, never a whole group unless the whole group changed), persists the
//! outcome and audits every role change.

use crate::{Error, Provider, Result};
use rolemap::{BrokenKind, BrokenRule, GroupMatcher, GroupRef, MappingRule, Resolution, Role, RoleMap};
use serde::Serialize;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use store::audit::{self, AuditEvent};
use store::roles::{self as repo, UserRoleState};
use store::ConnectionTrait;

/// Shown for a user Okta deprovisioned whose account stays usable because Deactivate on Offboard
/// is off.
pub const KEPT_ACTIVE_FLAG: &str = "deprovisioned in Okta, kept active by setting";

/// Who and what caused a recomputation, for the audit log.
#[derive(Debug, Clone, Copy)]
pub struct Cause<'a> {
    /// The audit actor: `scim`, `admin-cli`, ...
    pub actor: &'a str,
    /// What happened, e.g. `group.patched` or `role_mapping.created`.
    pub reason: &'a str,
}

/// The rules and default role as stored, validated by the engine.
pub async fn load_map<C: ConnectionTrait>(c: &C) -> Result<RoleMap> {
    let rules = repo::list_rules(c).await?;
    let default_role = repo::default_role(c).await?;
    Ok(RoleMap::new(rules, default_role)?)
}

/// Whether a rule applies to any of `groups` (as stored: rules follow their bound group by id).
/// A group no rule applies to takes no part in resolution — the winner is chosen among mapped
/// groups, and the default role goes to users in no mapped group either way — so its membership
/// changes cannot change anyone's role and need no recomputation.
pub async fn any_mapped<C: ConnectionTrait>(c: &C, groups: &[GroupRef]) -> Result<bool> {
    let map = load_map(c).await?;
    Ok(groups.iter().any(|g| map.rule_for(g).is_some()))
}

/// Binds every unbound display-name rule to the one pushed group carrying its name, and stores the
/// bindings, so the rule follows that group when Okta renames it. All groups with such a name are
/// read (one query), not only the affected users' groups: a name shared by two groups binds nothing.
async fn record_bindings<C: ConnectionTrait>(c: &C, map: RoleMap) -> Result<RoleMap> {
    let names: Vec<String> = map
        .rules()
        .iter()
        .filter(|r| r.bound_group_id.is_none())
        .filter_map(|r| match &r.matcher {
            GroupMatcher::DisplayName(name) => Some(name.clone()),
            _ => None,
        })
        .collect();
    if names.is_empty() {
        return Ok(map);
    }
    let named = repo::groups_named(c, &names).await?;
    let bindings = map.bindings_to_record(&named);
    if bindings.is_empty() {
        return Ok(map);
    }
    for (index, group_id) in &bindings {
        if let Some(rule_id) = map.rules().get(*index).and_then(|r| r.id.as_deref()) {
            repo::bind_rule(c, rule_id, group_id).await?;
        }
    }
    Ok(map.with_bindings(&bindings)?)
}

/// `ids` sorted, without repeats.
fn distinct_sorted(ids: &[String]) -> Vec<String> {
    ids.iter().cloned().collect::<BTreeSet<_>>().into_iter().collect()
}

/// Recomputes the effective role of `user_ids` (unknown ids are skipped) inside the caller's
/// transaction: loads the map and the users' groups in batched queries, records name → group-id
/// bindings, stores the roles that changed and appends one `user.role_changed` audit event per
/// changed user. Returns the changes, by user id.
pub async fn recompute<C: ConnectionTrait>(
    c: &C,
    user_ids: &[String],
    cause: Cause<'_>,
) -> Result<Vec<UserRoleChange>> {
    let map = record_bindings(c, load_map(c).await?).await?;
    let ids = distinct_sorted(user_ids);
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let users = states_with_groups(c, &ids).await?;
    apply(c, &map, users, cause).await
}

/// The stored state and all groups of each of `ids` that exists, in the order of `ids` (batched
/// IN lists: for a known, modest set of users).
async fn states_with_groups<C: ConnectionTrait>(c: &C, ids: &[String]) -> Result<Vec<(UserRoleState, Vec<GroupRef>)>> {
    let mut states = repo::role_states(c, ids).await?;
    let mut groups = repo::groups_of(c, ids).await?;
    Ok(ids.iter().filter_map(|id| Some((states.remove(id)?, groups.remove(id).unwrap_or_default()))).collect())
}

/// Recomputes every member of `group_id` and the users `others` (e.g. members a request just
/// removed), as [`recompute`] does: for a change that affects a whole group, such as a rename. The
/// members are read with `store::roles::members_with_groups`, not sent to the database as a list of
/// (possibly 100,000) ids.
pub async fn recompute_group<C: ConnectionTrait>(
    c: &C,
    group_id: &str,
    others: &[String],
    cause: Cause<'_>,
) -> Result<Vec<UserRoleChange>> {
    let map = record_bindings(c, load_map(c).await?).await?;
    let members = repo::members_with_groups(c, &[group_id.to_owned()]).await?;
    let rest: Vec<String> = {
        let seen: HashSet<&str> = members.iter().map(|(state, _)| state.id.as_str()).collect();
        distinct_sorted(others).into_iter().filter(|id| !seen.contains(id.as_str())).collect()
    };
    let rest = states_with_groups(c, &rest).await?;
    apply(c, &map, members.into_iter().chain(rest), cause).await
}

/// Resolves `users` (each with its stored state and all of its groups) with `map`, stores the roles
/// that changed and audits each change, in the caller's transaction. Returns the changes, in the
/// order of `users`.
pub async fn apply<C: ConnectionTrait>(
    c: &C,
    map: &RoleMap,
    users: impl IntoIterator<Item = (UserRoleState, Vec<GroupRef>)>,
    cause: Cause<'_>,
) -> Result<Vec<UserRoleChange>> {
    let changes: Vec<UserRoleChange> = users
        .into_iter()
        .filter_map(|(state, groups)| {
            let resolution = map.resolve(&groups);
            (resolution.role != state.role).then(|| UserRoleChange {
                user_id: state.id,
                user_name: state.user_name,
                old: state.role,
                new: resolution.role,
                explanation: resolution.explanation(),
            })
        })
        .collect();
    persist(c, &changes, cause).await?;
    Ok(changes)
}

/// A user just created is in no group: its role is the instance's default role, if one is set.
/// One query instead of a full recomputation (this is on the path of every Okta create).
pub async fn assign_default_role<C: ConnectionTrait>(
    c: &C,
    user_id: &str,
    user_name: &str,
    cause: Cause<'_>,
) -> Result<Option<UserRoleChange>> {
    let Some(role) = repo::default_role(c).await? else {
        return Ok(None);
    };
    let explanation = RoleMap::new(Vec::new(), Some(role))?.resolve(&[]).explanation();
    let change = UserRoleChange {
        user_id: user_id.to_owned(),
        user_name: user_name.to_owned(),
        old: None,
        new: Some(role),
        explanation,
    };
    persist(c, std::slice::from_ref(&change), cause).await?;
    Ok(Some(change))
}

/// Stores role changes (one statement per distinct new role and 5,000 users, never one per user)
/// and appends one `user.role_changed` audit event per change.
async fn persist<C: ConnectionTrait>(c: &C, changes: &[UserRoleChange], cause: Cause<'_>) -> Result<()> {
    let mut by_role: BTreeMap<Option<Role>, Vec<&str>> = BTreeMap::new();
    for change in changes {
        by_role.entry(change.new).or_default().push(&change.user_id);
    }
    for (role, users) in &by_role {
        repo::set_role(c, users, *role).await?;
    }
    let now = store::time::now();
    let events: Vec<AuditEvent> = changes
        .iter()
        .map(|change| {
            let detail = json!({
                "userName": change.user_name,
                "old": change.old,
                "new": change.new,
                "cause": cause.reason,
                "explanation": change.explanation,
            });
            AuditEvent::new(now, cause.actor, "user.role_changed", "User", Some(&change.user_id), detail)
        })
        .collect();
    audit::append_many(c, &events).await?;
    Ok(())
}

/// Whether the account is usable, and the flag to show, given SCIM `active` and Deactivate on
/// Offboard: `enabled = active || !deactivate_on_offboard`.
pub fn account_state(active: bool, deactivate_on_offboard: bool) -> (bool, Option<&'static str>) {
    let enabled = active || !deactivate_on_offboard;
    let flag = (!active && enabled).then_some(KEPT_ACTIVE_FLAG);
    (enabled, flag)
}

/// A StackFlow account as the integration leaves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserAccount {
    /// The SCIM id.
    pub id: String,
    /// The userName.
    pub user_name: String,
    /// The effective StackFlow role (`None`: no access).
    pub role: Option<Role>,
    /// SCIM `active`: whether Okta has the user assigned.
    pub active_in_okta: bool,
    /// Whether the account can be used: `active_in_okta || !deactivate_on_offboard`.
    pub enabled: bool,
    /// Set when Okta deprovisioned the user but the setting keeps the account usable.
    pub flag: Option<&'static str>,
}

impl UserAccount {
    fn from_state(state: UserRoleState, deactivate_on_offboard: bool) -> Self {
        let (enabled, flag) = account_state(state.active, deactivate_on_offboard);
        UserAccount {
            id: state.id,
            user_name: state.user_name,
            role: state.role,
            active_in_okta: state.active,
            enabled,
            flag,
        }
    }
}

/// Why a user has the role they have (`stackflow-admin users explain`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserExplanation {
    /// The account as stored.
    pub account: UserAccount,
    /// How the current rules resolve the user's groups (every group, its rule and role, the winner).
    pub resolution: Resolution,
    /// One line: why the resolved role.
    pub explanation: String,
    /// Whether Group Sync is effectively on. While off, `account.role` is not kept up to date and
    /// may differ from `resolution.role`.
    pub group_sync: bool,
}

/// The mapping rules and what is wrong with them (`stackflow-admin mappings list`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MappingsView {
    /// The rules, oldest first.
    pub rules: Vec<MappingRule>,
    /// The role of users in no mapped group (`None`: no access).
    pub default_role: Option<Role>,
    /// Rules that match no pushed group, are shadowed, or follow a renamed group.
    pub problems: Vec<BrokenRule>,
}

/// A pushed group no rule maps, with its member count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnmappedGroup {
    /// The group.
    pub group: GroupRef,
    /// How many members it has.
    pub members: u64,
}

/// One user whose role a mapping change alters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserRoleChange {
    /// The SCIM id.
    pub user_id: String,
    /// The userName.
    pub user_name: String,
    /// The role before.
    pub old: Option<Role>,
    /// The role after.
    pub new: Option<Role>,
    /// Why the new role.
    pub explanation: String,
}

/// What a mapping change did (or, on a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MappingChange {
    /// `created`, `replaced` or `removed`.
    pub action: &'static str,
    /// The rule created, changed or removed (as it is after the change; as it was for `removed`).
    pub rule: MappingRule,
    /// The role the rule granted before a `replaced`.
    pub previous_role: Option<Role>,
    /// Nothing was written.
    pub dry_run: bool,
    /// Whether stored roles were recomputed (false on a dry run, and while Group Sync is off).
    pub roles_recomputed: bool,
    /// The users whose role changes. On a dry run: the preview from `rolemap::diff`, comparing the
    /// roles the old and new rules give (which equal the stored roles while Group Sync is on).
    pub changes: Vec<UserRoleChange>,
    /// Things the operator should know, e.g. that no pushed group has the name yet.
    pub warnings: Vec<String>,
}

/// The users whose role changes from `old` to `new` (a dry run): `rolemap::diff` over `members`.
fn preview(old: &RoleMap, new: &RoleMap, members: &[(UserRoleState, Vec<GroupRef>)]) -> Vec<UserRoleChange> {
    let names: HashMap<&str, &str> = members.iter().map(|(s, _)| (s.id.as_str(), s.user_name.as_str())).collect();
    rolemap::diff(old, new, members.iter().map(|(state, groups)| (state.id.clone(), groups)))
        .into_iter()
        .map(|change| UserRoleChange {
            user_name: names.get(change.user.as_str()).map(|n| (*n).to_owned()).unwrap_or_default(),
            user_id: change.user,
            old: change.old,
            new: change.new,
            explanation: change.explanation,
        })
        .collect()
}

/// Case-insensitive display-name equality, as the engine compares names.
fn same_name(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

/// Index of the display-name rule for `name` (bound or not), if any.
fn name_rule_index(rules: &[MappingRule], name: &str) -> Option<usize> {
    rules.iter().position(|r| matches!(&r.matcher, GroupMatcher::DisplayName(n) if same_name(n, name)))
}

/// The pending rule edit of a mapping change.
enum Edit {
    Create(MappingRule),
    Replace { index: usize, previous: Role, role: Role },
    Remove(usize),
}

/// Decides what `mappings set <name> <role>` does to `rules`, or why it is refused.
fn plan_set(rules: &[MappingRule], name: &str, role: Role, replace: bool) -> Result<Edit> {
    let Some(index) = name_rule_index(rules, name) else {
        return Ok(Edit::Create(MappingRule::display_name(name, role)));
    };
    let existing = rules.get(index).map(|r| r.role).unwrap_or(role);
    if existing == role {
        return Err(Error::MappingConflict(format!("duplicate rule: group '{name}' is already mapped to {role}")));
    }
    if !replace {
        return Err(Error::MappingConflict(format!(
            "conflicting rule: group '{name}' is already mapped to {existing}; pass --replace to map it to {role} \
             instead, or remove the mapping first"
        )));
    }
    Ok(Edit::Replace { index, previous: existing, role })
}

impl Provider {
    /// The account of the user named `user_name` (any letter case), if any.
    pub async fn account(&self, user_name: &str) -> Result<Option<UserAccount>> {
        let settings = self.settings().await?;
        let state = repo::role_state_by_user_name(self.store.conn(), user_name).await?;
        Ok(state.map(|s| UserAccount::from_state(s, settings.deactivate_on_offboard)))
    }

    /// Why the user named `user_name` has the role they have, if the user exists.
    pub async fn explain_user(&self, user_name: &str) -> Result<Option<UserExplanation>> {
        let settings = self.settings().await?;
        let conn = self.store.conn();
        let Some(state) = repo::role_state_by_user_name(conn, user_name).await? else {
            return Ok(None);
        };
        let map = load_map(conn).await?;
        let groups = repo::groups_of(conn, std::slice::from_ref(&state.id)).await?.remove(&state.id);
        let resolution = map.resolve(&groups.unwrap_or_default());
        Ok(Some(UserExplanation {
            account: UserAccount::from_state(state, settings.deactivate_on_offboard),
            explanation: resolution.explanation(),
            resolution,
            group_sync: settings.group_sync_effective(),
        }))
    }

    /// The rules, the default role and the rules' problems.
    pub async fn mappings(&self) -> Result<MappingsView> {
        let conn = self.store.conn();
        let map = load_map(conn).await?;
        let known: Vec<GroupRef> = repo::all_groups_with_counts(conn).await?.into_iter().map(|(g, _)| g).collect();
        Ok(MappingsView {
            problems: map.broken_rules(&known),
            rules: map.rules().to_vec(),
            default_role: map.default_role(),
        })
    }

    /// Pushed groups that map to no role, with their member counts (the troubleshooting case "Role
    /// not assigned correctly — group mapping missing").
    pub async fn unmapped_groups(&self) -> Result<Vec<UnmappedGroup>> {
        let conn = self.store.conn();
        let map = load_map(conn).await?;
        Ok(repo::all_groups_with_counts(conn)
            .await?
            .into_iter()
            .filter(|(group, _)| map.rule_for(group).is_none())
            .map(|(group, members)| UnmappedGroup { group, members })
            .collect())
    }

    /// `mappings set`: maps the group named `name` to `role`. An existing rule for the name with the
    /// same role is a duplicate; with another role a conflict, unless `replace`. A name no pushed
    /// group carries is accepted with a warning, because Okta may push the group later.
    pub async fn set_mapping(
        &self,
        name: &str,
        role: &str,
        replace: bool,
        dry_run: bool,
        actor: &str,
    ) -> Result<MappingChange> {
        let role: Role = role.parse()?;
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::Mapping("the group display name is empty".into()));
        }
        self.change_mapping(name, dry_run, actor, |rules| plan_set(rules, name, role, replace)).await
    }

    /// `mappings remove`: removes the rule for the group named `name`.
    pub async fn remove_mapping(&self, name: &str, dry_run: bool, actor: &str) -> Result<MappingChange> {
        let name = name.trim();
        self.change_mapping(name, dry_run, actor, |rules| {
            name_rule_index(rules, name).map(Edit::Remove).ok_or_else(|| {
                Error::NoSuchMapping(format!(
                    "no rule maps group '{name}'; `stackflow-admin mappings list` shows the rules"
                ))
            })
        })
        .await
    }

    /// Shared body of mapping changes: plan, preview with `rolemap::diff`, then (unless a dry run)
    /// write the rule, recompute the affected users and audit — one transaction.
    async fn change_mapping<F>(&self, name: &str, dry_run: bool, actor: &str, plan: F) -> Result<MappingChange>
    where
        F: FnOnce(&[MappingRule]) -> Result<Edit>,
    {
        let sync = self.settings().await?.group_sync_effective();
        let now = store::time::now();
        let txn = self.store.write().await?;
        let old_map = load_map(&*txn).await?;
        let edit = plan(old_map.rules())?;
        let mut new_rules = old_map.rules().to_vec();
        let (action, rule, previous_role, new_index) = match &edit {
            Edit::Create(rule) => {
                new_rules.push(rule.clone());
                ("created", rule.clone(), None, Some(new_rules.len() - 1))
            }
            Edit::Replace { index, previous, role } => {
                let rule = new_rules.get_mut(*index).ok_or(rolemap::Error::NoSuchRule(*index))?;
                rule.role = *role;
                ("replaced", rule.clone(), Some(*previous), Some(*index))
            }
            Edit::Remove(index) => {
                let rule = new_rules.get(*index).cloned().ok_or(rolemap::Error::NoSuchRule(*index))?;
                new_rules.remove(*index);
                ("removed", rule, None, None)
            }
        };
        let new_map = RoleMap::new(new_rules, old_map.default_role())?;

        // The users the change can affect: members of the groups with this name, and of the group
        // the rule is bound to (it may have been renamed since).
        let mut groups = repo::groups_named(&*txn, &[name.to_owned()]).await?;
        if let Some(bound) = &rule.bound_group_id {
            if !groups.iter().any(|g| &g.id == bound) {
                groups.extend(repo::groups_by_id(&*txn, std::slice::from_ref(bound)).await?);
            }
        }
        let mut warnings = Vec::new();
        if groups.is_empty() && new_index.is_some() {
            warnings.push(format!(
                "no pushed group is named '{name}' yet: the rule is kept and applies once Okta pushes that group"
            ));
        }
        if let Some(index) = new_index {
            warnings.extend(
                new_map
                    .broken_rules(&groups)
                    .into_iter()
                    .filter(|b| b.rule_index == index && b.kind == BrokenKind::Shadowed)
                    .map(|b| b.reason),
            );
        }
        let group_ids: Vec<String> = groups.iter().map(|g| g.id.clone()).collect();
        let members = repo::members_with_groups(&*txn, &group_ids).await?;
        let affected = members.len();

        if !sync {
            warnings.push("Group Sync is off: stored roles are not recomputed".into());
        }
        let (rule, changes) = if dry_run {
            let changes = preview(&old_map, &new_map, &members);
            (rule, changes)
        } else {
            let id = rule.id.clone().unwrap_or_default();
            let rule = match &edit {
                Edit::Create(rule) => repo::insert_rule(&*txn, &uuid::Uuid::new_v4().to_string(), rule, now).await?,
                Edit::Replace { role, .. } => {
                    repo::update_rule_role(&*txn, &id, *role).await?;
                    rule.clone()
                }
                Edit::Remove(_) => {
                    repo::delete_rule(&*txn, &id).await?;
                    rule.clone()
                }
            };
            let reason = format!("role_mapping.{action}");
            let changes = if sync {
                // The stored rules now include the change (and the new rule's id).
                let map = record_bindings(&*txn, load_map(&*txn).await?).await?;
                let changes = apply(&*txn, &map, members, Cause { actor, reason: &reason }).await?;
                self.mirror_role_changes(&*txn, &changes).await?;
                changes
            } else {
                Vec::new()
            };
            let (kind, value) = repo::matcher_to_row(&rule.matcher);
            let detail = json!({
                "matcher": { "kind": kind, "value": value },
                "role": rule.role,
                "previousRole": previous_role,
                "affectedUsers": affected,
                "roleChanges": changes.len(),
            });
            let event = AuditEvent::new(now, actor, &reason, "RoleMapping", rule.id.as_deref(), detail);
            audit::append(&*txn, &event).await?;
            txn.commit().await?;
            (rule, changes)
        };
        Ok(MappingChange {
            action,
            rule,
            previous_role,
            dry_run,
            roles_recomputed: !dry_run && sync,
            changes,
            warnings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Debug;

    fn check<T: PartialEq + Debug>(case: &str, got: T, want: T) {
        assert_eq!(got, want, "case: {case}");
    }

    #[test]
    fn account_states() {
        // (active in Okta, deactivate on offboard, enabled, flag)
        let table = [
            (true, true, true, None),
            (true, false, true, None),
            (false, true, false, None),
            (false, false, true, Some(KEPT_ACTIVE_FLAG)),
        ];
        for (active, deactivate, enabled, flag) in table {
            check(
                &format!("active={active} deactivate={deactivate}"),
                account_state(active, deactivate),
                (enabled, flag),
            );
        }
    }

    #[test]
    fn set_plans() {
        let rules = RoleMap::seed_defaults();
        /// (case, name, role, replace, expected: Ok(action) or Err(message))
        type Case = (&'static str, &'static str, Role, bool, std::result::Result<&'static str, &'static str>);
        let table: [Case; 5] = [
            ("new name", "Finance", Role::Viewer, false, Ok("create")),
            ("same name, same role", "stackflow-agents", Role::ItsmAgent, false, Err("duplicate rule: group 'stackflow-agents' is already mapped to itsm_agent")),
            ("same role even with --replace", "StackFlow-Agents", Role::ItsmAgent, true, Err("duplicate rule: group 'StackFlow-Agents' is already mapped to itsm_agent")),
            ("other role", "StackFlow-Agents", Role::Viewer, false, Err("conflicting rule: group 'StackFlow-Agents' is already mapped to itsm_agent; pass --replace to map it to viewer instead, or remove the mapping first")),
            ("other role, --replace", "StackFlow-Agents", Role::Viewer, true, Ok("replace 2")),
        ];
        for (case, name, role, replace, want) in table {
            let got = match plan_set(&rules, name, role, replace) {
                Ok(Edit::Create(rule)) if rule == MappingRule::display_name(name, role) => Ok("create".to_owned()),
                Ok(Edit::Create(_)) => Ok("create (wrong rule)".to_owned()),
                Ok(Edit::Replace { index, previous: Role::ItsmAgent, role: r }) if r == role => {
                    Ok(format!("replace {index}"))
                }
                Ok(Edit::Replace { .. }) => Ok("replace (wrong previous role)".to_owned()),
                Ok(Edit::Remove(index)) => Ok(format!("remove {index}")),
                Err(e) => Err(e.to_string()),
            };
            check(case, got, want.map(str::to_owned).map_err(str::to_owned));
        }
    }
}
