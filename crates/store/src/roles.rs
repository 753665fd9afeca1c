//! The role repository: mapping rules (`role_mappings`), each user's effective role (`user_roles`),
//! the instance-wide default role (a setting) and the group memberships the `rolemap` engine needs,
//! read in batches (IN lists of at most [`CHUNK`] ids), never one query per user — or, for every
//! member of a group ([`members_with_groups`]), selected by the database without an id list.

use crate::entity::{group_members, groups, role_mappings, user_roles, users};
use crate::time::to_micros;
use crate::{Error, Result};
use chrono::{DateTime, Utc};
use rolemap::{GroupMatcher, GroupRef, MappingRule, Role};
use sea_orm::sea_query::{Expr, OnConflict, Query, SelectStatement};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect,
    RelationTrait,
};
use std::collections::{BTreeSet, HashMap};

/// Settings key of the instance-wide default role (a JSON string such as `"viewer"`, or absent).
pub const DEFAULT_ROLE_KEY: &str = "rolemap.default_role";

/// Largest IN list per read: SQLite caps bound parameters per statement.
const CHUNK: usize = 500;

/// Users per role write (an upsert binds two parameters per user): a mapping change may rewrite
/// 100,000 roles, and each statement has a fixed cost. SQLite (3.32+) accepts 32,766 parameters per
/// statement, PostgreSQL 65,535.
const WRITE_CHUNK: usize = 5_000;

/// The stored form of a matcher: (`matcher_kind`, `matcher_value`).
pub fn matcher_to_row(matcher: &GroupMatcher) -> (&'static str, &str) {
    match matcher {
        GroupMatcher::Id(v) => ("id", v),
        GroupMatcher::ExternalId(v) => ("external_id", v),
        GroupMatcher::DisplayName(v) => ("display_name", v),
    }
}

/// The matcher stored as (`kind`, `value`), or `None` for an unknown kind.
pub fn matcher_from_row(kind: &str, value: &str) -> Option<GroupMatcher> {
    let value = value.to_owned();
    match kind {
        "id" => Some(GroupMatcher::Id(value)),
        "external_id" => Some(GroupMatcher::ExternalId(value)),
        "display_name" => Some(GroupMatcher::DisplayName(value)),
        _ => None,
    }
}

fn rule_from_row(row: role_mappings::Model) -> Result<MappingRule> {
    let corrupt = |reason: String| Error::Corrupt { kind: "role mapping", id: row.id.clone(), reason };
    let matcher = matcher_from_row(&row.matcher_kind, &row.matcher_value)
        .ok_or_else(|| corrupt(format!("unknown matcher kind '{}'", row.matcher_kind)))?;
    let role: Role = row.role.parse().map_err(|e: rolemap::Error| corrupt(e.to_string()))?;
    Ok(MappingRule { id: Some(row.id), matcher, role, bound_group_id: row.bound_group_id })
}

fn parse_role(user_id: &str, role: Option<String>) -> Result<Option<Role>> {
    role.map(|r| r.parse()).transpose().map_err(|e: rolemap::Error| Error::Corrupt {
        kind: "user role",
        id: user_id.to_owned(),
        reason: e.to_string(),
    })
}

/// Every mapping rule, oldest first (the seed rules come first).
pub async fn list_rules<C: ConnectionTrait>(c: &C) -> Result<Vec<MappingRule>> {
    role_mappings::Entity::find()
        .order_by_asc(role_mappings::Column::CreatedAt)
        .order_by_asc(role_mappings::Column::Id)
        .all(c)
        .await?
        .into_iter()
        .map(rule_from_row)
        .collect()
}

/// Inserts `rule` under `id` and returns it with its id set.
pub async fn insert_rule<C: ConnectionTrait>(
    c: &C,
    id: &str,
    rule: &MappingRule,
    now: DateTime<Utc>,
) -> Result<MappingRule> {
    let (kind, value) = matcher_to_row(&rule.matcher);
    role_mappings::Entity::insert(role_mappings::ActiveModel {
        id: Set(id.to_owned()),
        matcher_kind: Set(kind.to_owned()),
        matcher_value: Set(value.to_owned()),
        role: Set(rule.role.as_str().to_owned()),
        bound_group_id: Set(rule.bound_group_id.clone()),
        created_at: Set(to_micros(now)),
    })
    .exec_without_returning(c)
    .await?;
    Ok(MappingRule { id: Some(id.to_owned()), ..rule.clone() })
}

/// Changes the role a rule grants. Returns whether the rule exists.
pub async fn update_rule_role<C: ConnectionTrait>(c: &C, id: &str, role: Role) -> Result<bool> {
    let result = role_mappings::Entity::update_many()
        .col_expr(role_mappings::Column::Role, Expr::value(role.as_str()))
        .filter(role_mappings::Column::Id.eq(id))
        .exec(c)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Deletes a rule. Returns whether it existed.
pub async fn delete_rule<C: ConnectionTrait>(c: &C, id: &str) -> Result<bool> {
    Ok(role_mappings::Entity::delete_by_id(id.to_owned()).exec(c).await?.rows_affected > 0)
}

/// Binds a rule to a group id, so it follows that group across renames (see
/// `rolemap::RoleMap::bindings_to_record`).
pub async fn bind_rule<C: ConnectionTrait>(c: &C, id: &str, group_id: &str) -> Result<()> {
    role_mappings::Entity::update_many()
        .col_expr(role_mappings::Column::BoundGroupId, Expr::value(group_id))
        .filter(role_mappings::Column::Id.eq(id))
        .exec(c)
        .await?;
    Ok(())
}

/// Unbinds every rule bound to `group_id` (the group is being deleted): a display-name rule then
/// matches by name again, so a group Okta re-pushes under that name is mapped.
pub async fn unbind_group<C: ConnectionTrait>(c: &C, group_id: &str) -> Result<()> {
    role_mappings::Entity::update_many()
        .col_expr(role_mappings::Column::BoundGroupId, Expr::value(Option::<String>::None))
        .filter(role_mappings::Column::BoundGroupId.eq(group_id))
        .filter(role_mappings::Column::MatcherKind.eq("display_name"))
        .exec(c)
        .await?;
    Ok(())
}

/// The instance-wide default role for users in no mapped group (`None`: no access).
pub async fn default_role<C: ConnectionTrait>(c: &C) -> Result<Option<Role>> {
    let corrupt = |reason: String| Error::Corrupt { kind: "setting", id: DEFAULT_ROLE_KEY.to_owned(), reason };
    match crate::settings::get(c, DEFAULT_ROLE_KEY).await? {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(name)) => {
            name.parse().map(Some).map_err(|e: rolemap::Error| corrupt(e.to_string()))
        }
        Some(other) => Err(corrupt(format!("expected a role name, found {other}"))),
    }
}

/// Sets (or, with `None`, clears) the instance-wide default role.
pub async fn set_default_role<C: ConnectionTrait>(c: &C, role: Option<Role>, now: DateTime<Utc>) -> Result<()> {
    let value = role.map_or(serde_json::Value::Null, |r| serde_json::Value::String(r.as_str().to_owned()));
    crate::settings::put(c, DEFAULT_ROLE_KEY, &value, now).await
}

/// What the role engine needs to know of a user besides its groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRoleState {
    /// The SCIM id.
    pub id: String,
    /// The userName.
    pub user_name: String,
    /// SCIM `active` (what Okta says).
    pub active: bool,
    /// The stored effective role.
    pub role: Option<Role>,
}

/// `active` is NULL when the SCIM document has none, which means active.
type StateRow = (String, String, Option<bool>, Option<String>);

fn state_from_row((id, user_name, active, role): StateRow) -> Result<UserRoleState> {
    let role = parse_role(&id, role)?;
    Ok(UserRoleState { id, user_name, active: active.unwrap_or(true), role })
}

fn state_query() -> sea_orm::Select<users::Entity> {
    users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .column(users::Column::UserName)
        .column(users::Column::Active)
        .column(user_roles::Column::Role)
        .join(JoinType::LeftJoin, users::Relation::Role.def())
}

/// The role state of each of `user_ids` that exists, by id.
pub async fn role_states<C: ConnectionTrait>(c: &C, user_ids: &[String]) -> Result<HashMap<String, UserRoleState>> {
    let mut out = HashMap::with_capacity(user_ids.len());
    for chunk in user_ids.chunks(CHUNK) {
        let rows: Vec<StateRow> =
            state_query().filter(users::Column::Id.is_in(chunk.iter().cloned())).into_tuple().all(c).await?;
        for row in rows {
            let state = state_from_row(row)?;
            out.insert(state.id.clone(), state);
        }
    }
    Ok(out)
}

/// The role state of the user whose userName is `user_name` (any letter case), if any.
pub async fn role_state_by_user_name<C: ConnectionTrait>(c: &C, user_name: &str) -> Result<Option<UserRoleState>> {
    let row: Option<StateRow> =
        state_query().filter(users::Column::UserNameFolded.eq(user_name.to_lowercase())).into_tuple().one(c).await?;
    row.map(state_from_row).transpose()
}

/// Stores `role` as the effective role of every one of `user_ids` (one statement per
/// [`WRITE_CHUNK`] users): an upsert into `user_roles`, or for `None` (no role) a delete.
pub async fn set_role<C: ConnectionTrait>(c: &C, user_ids: &[&str], role: Option<Role>) -> Result<()> {
    for chunk in user_ids.chunks(WRITE_CHUNK) {
        match role {
            Some(role) => {
                let rows = chunk.iter().map(|id| user_roles::ActiveModel {
                    user_id: Set((*id).to_owned()),
                    role: Set(role.as_str().to_owned()),
                });
                user_roles::Entity::insert_many(rows)
                    .on_conflict(
                        OnConflict::column(user_roles::Column::UserId)
                            .update_column(user_roles::Column::Role)
                            .to_owned(),
                    )
                    .exec_without_returning(c)
                    .await?;
            }
            None => {
                user_roles::Entity::delete_many()
                    .filter(user_roles::Column::UserId.is_in(chunk.iter().copied()))
                    .exec(c)
                    .await?;
            }
        }
    }
    Ok(())
}

type GroupRow = (String, Option<String>, String);

fn group_ref((id, external_id, display_name): GroupRow) -> GroupRef {
    GroupRef { id, external_id, display_name }
}

/// The groups (with `externalId`) each of `user_ids` is a member of; users in no group are absent.
pub async fn groups_of<C: ConnectionTrait>(c: &C, user_ids: &[String]) -> Result<HashMap<String, Vec<GroupRef>>> {
    let mut out: HashMap<String, Vec<GroupRef>> = HashMap::new();
    for chunk in user_ids.chunks(CHUNK) {
        let rows: Vec<(String, String, Option<String>, String)> = group_members::Entity::find()
            .select_only()
            .column(group_members::Column::UserId)
            .column(groups::Column::Id)
            .column(groups::Column::ExternalId)
            .column(groups::Column::DisplayName)
            .join(JoinType::InnerJoin, group_members::Relation::Group.def())
            .filter(group_members::Column::UserId.is_in(chunk.iter().cloned()))
            .order_by_asc(groups::Column::DisplayNameFolded)
            .order_by_asc(groups::Column::Id)
            .into_tuple()
            .all(c)
            .await?;
        for (user_id, id, external_id, display_name) in rows {
            out.entry(user_id).or_default().push(group_ref((id, external_id, display_name)));
        }
    }
    Ok(out)
}

fn group_query() -> sea_orm::Select<groups::Entity> {
    groups::Entity::find()
        .select_only()
        .column(groups::Column::Id)
        .column(groups::Column::ExternalId)
        .column(groups::Column::DisplayName)
        .order_by_asc(groups::Column::DisplayNameFolded)
        .order_by_asc(groups::Column::Id)
}

/// The groups whose display name is one of `names` (ignoring case).
pub async fn groups_named<C: ConnectionTrait>(c: &C, names: &[String]) -> Result<Vec<GroupRef>> {
    let folded: BTreeSet<String> = names.iter().map(|n| n.to_lowercase()).collect();
    let folded: Vec<String> = folded.into_iter().collect();
    let mut out = Vec::new();
    for chunk in folded.chunks(CHUNK) {
        let rows: Vec<GroupRow> = group_query()
            .filter(groups::Column::DisplayNameFolded.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(c)
            .await?;
        out.extend(rows.into_iter().map(group_ref));
    }
    Ok(out)
}

/// The groups with these ids (unknown ids are skipped).
pub async fn groups_by_id<C: ConnectionTrait>(c: &C, ids: &[String]) -> Result<Vec<GroupRef>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<GroupRow> =
            group_query().filter(groups::Column::Id.is_in(chunk.iter().cloned())).into_tuple().all(c).await?;
        out.extend(rows.into_iter().map(group_ref));
    }
    Ok(out)
}

/// The userNames, sorted (by code point), of the users who are members of some group yet have no role (the doctor's
/// "Role not assigned correctly" case): one query, whatever the number of users.
pub async fn roleless_members<C: ConnectionTrait>(c: &C) -> Result<Vec<String>> {
    let in_a_group = Query::select().column(group_members::Column::UserId).from(group_members::Entity).to_owned();
    let with_a_role = Query::select().column(user_roles::Column::UserId).from(user_roles::Entity).to_owned();
    let mut names: Vec<String> = users::Entity::find()
        .select_only()
        .column(users::Column::UserName)
        .filter(users::Column::Id.in_subquery(in_a_group))
        .filter(users::Column::Id.not_in_subquery(with_a_role))
        .into_tuple()
        .all(c)
        .await?;
    // Sorted here, not by the database: PostgreSQL's collation may order text differently.
    names.sort();
    Ok(names)
}

/// `SELECT user_id FROM group_members WHERE group_id IN (group_ids)`.
fn member_subquery(group_ids: &[String]) -> SelectStatement {
    Query::select()
        .column(group_members::Column::UserId)
        .from(group_members::Entity)
        .and_where(group_members::Column::GroupId.is_in(group_ids.iter().cloned()))
        .to_owned()
}

/// Every member of any of `group_ids` (each user once, by id) with its role state and all of its
/// groups: what recomputing a whole group's members needs (a mapping change, a rename), in three
/// queries whatever the group's size — the members are selected by the database, never sent back
/// to it as a list of ids. Meant for a handful of groups (SQLite caps bound parameters).
pub async fn members_with_groups<C: ConnectionTrait>(
    c: &C,
    group_ids: &[String],
) -> Result<Vec<(UserRoleState, Vec<GroupRef>)>> {
    if group_ids.is_empty() {
        return Ok(Vec::new());
    }
    let states: Vec<StateRow> = state_query()
        .filter(users::Column::Id.in_subquery(member_subquery(group_ids)))
        .order_by_asc(users::Column::Id)
        .into_tuple()
        .all(c)
        .await?;
    let memberships: Vec<(String, String)> = group_members::Entity::find()
        .select_only()
        .column(group_members::Column::UserId)
        .column(group_members::Column::GroupId)
        .filter(group_members::Column::UserId.in_subquery(member_subquery(group_ids)))
        .into_tuple()
        .all(c)
        .await?;
    // The members' groups are few (each member is in a handful): read each once, share it.
    let group_ids: BTreeSet<&str> = memberships.iter().map(|(_, g)| g.as_str()).collect();
    let group_ids: Vec<String> = group_ids.into_iter().map(str::to_owned).collect();
    let groups: HashMap<String, GroupRef> =
        groups_by_id(c, &group_ids).await?.into_iter().map(|g| (g.id.clone(), g)).collect();
    let mut by_user: HashMap<String, Vec<GroupRef>> = HashMap::with_capacity(states.len());
    for (user_id, group_id) in memberships {
        if let Some(group) = groups.get(&group_id) {
            by_user.entry(user_id).or_default().push(group.clone());
        }
    }
    states
        .into_iter()
        .map(|row| {
            let state = state_from_row(row)?;
            let groups = by_user.remove(&state.id).unwrap_or_default();
            Ok((state, groups))
        })
        .collect()
}

/// Every pushed group with its member count, by display name. Reads every group: for operator
/// reports, not for request paths.
pub async fn all_groups_with_counts<C: ConnectionTrait>(c: &C) -> Result<Vec<(GroupRef, u64)>> {
    let groups: Vec<GroupRow> = group_query().into_tuple().all(c).await?;
    let counts: Vec<(String, i64)> = group_members::Entity::find()
        .select_only()
        .column(group_members::Column::GroupId)
        .column_as(group_members::Column::UserId.count(), "members")
        .group_by(group_members::Column::GroupId)
        .into_tuple()
        .all(c)
        .await?;
    let counts: HashMap<String, i64> = counts.into_iter().collect();
    Ok(groups
        .into_iter()
        .map(|row| {
            let n = counts.get(&row.0).copied().unwrap_or_default();
            (group_ref(row), u64::try_from(n).unwrap_or_default())
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Debug;

    fn check<T: PartialEq + Debug>(case: &str, got: T, want: T) {
        assert_eq!(got, want, "case: {case}");
    }

    #[test]
    fn matcher_rows_round_trip() {
        let table = [
            (GroupMatcher::Id("00g1".into()), ("id", "00g1")),
            (GroupMatcher::ExternalId("ext".into()), ("external_id", "ext")),
            (GroupMatcher::DisplayName("StackFlow-Admins".into()), ("display_name", "StackFlow-Admins")),
        ];
        for (matcher, row) in table {
            check(row.0, matcher_to_row(&matcher), row);
            check(row.0, matcher_from_row(row.0, row.1), Some(matcher));
        }
        check("unknown kind", matcher_from_row("name", "x"), None);
    }

    #[test]
    fn rows_decode() {
        let row = |kind: &str, role: &str| role_mappings::Model {
            id: "r1".into(),
            matcher_kind: kind.into(),
            matcher_value: "Ops".into(),
            role: role.into(),
            bound_group_id: Some("g1".into()),
            created_at: 0,
        };
        let table = [
            (
                "valid",
                row("display_name", "viewer"),
                Ok(MappingRule::display_name("Ops", Role::Viewer).with_id("r1").bound_to("g1")),
            ),
            ("bad kind", row("name", "viewer"), Err("stored role mapping r1 is unreadable: unknown matcher kind 'name'")),
            ("bad role", row("id", "admin"), Err("stored role mapping r1 is unreadable: unknown role 'admin'; valid roles are: super_admin, itsm_manager, itsm_agent, viewer")),
        ];
        for (case, row, want) in table {
            check(case, rule_from_row(row).map_err(|e| e.to_string()), want.map_err(str::to_owned));
        }
    }

    /// The migration seeds a frozen copy of the engine's defaults; this keeps them in step.
    #[test]
    fn migration_seed_matches_engine_defaults() {
        let seeded: Vec<MappingRule> = migration::SEED_RULES
            .iter()
            .filter_map(|(_, name, role)| Some(MappingRule::display_name(*name, role.parse().ok()?)))
            .collect();
        check("seed", seeded, rolemap::RoleMap::seed_defaults());
    }
}
