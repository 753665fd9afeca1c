//! The user repository: SCIM Users as rows of `users` (+ `user_emails` for the e-mail index).

use crate::entity::{group_members, groups, user_emails, users};
use crate::query::{self, Target};
use crate::time::{from_micros, to_micros};
use crate::{conflict_on_unique, Error, Page, Result};
use chrono::{DateTime, Utc};
use scim_core::{GroupRef, ListQuery, Meta, User};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, JoinType, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait,
};
use std::collections::{HashMap, HashSet};

/// A user as stored: its id, validated document and metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredUser {
    /// The SCIM id (a UUID).
    pub id: String,
    /// The validated SCIM document.
    pub user: User,
    /// created / lastModified / version.
    pub meta: Meta,
}

impl StoredUser {
    fn from_row(row: users::Model) -> Result<StoredUser> {
        let corrupt = |reason: String| Error::Corrupt { kind: "user", id: row.id.clone(), reason };
        let body: serde_json::Value = serde_json::from_str(&row.body).map_err(|e| corrupt(e.to_string()))?;
        let user = User::from_json(&body).map_err(|e| corrupt(e.detail))?;
        let meta = Meta {
            created: from_micros(row.created_at),
            last_modified: from_micros(row.updated_at),
            version: u64::try_from(row.version).unwrap_or_default(),
        };
        Ok(StoredUser { id: row.id, user, meta })
    }
}

fn active_model(id: &str, user: &User, version: i64, created: DateTime<Utc>, now: DateTime<Utc>) -> users::ActiveModel {
    users::ActiveModel {
        id: Set(id.to_owned()),
        user_name: Set(user.user_name.as_str().to_owned()),
        user_name_folded: Set(user.user_name.folded()),
        external_id: Set(user.external_id.clone()),
        display_name: Set(user.display_name.clone()),
        display_name_folded: Set(user.display_name.as_deref().map(str::to_lowercase)),
        active: Set(user.attributes.get("active").and_then(serde_json::Value::as_bool)),
        body: Set(serde_json::Value::Object(user.attributes.clone()).to_string()),
        version: Set(version),
        created_at: Set(to_micros(created)),
        updated_at: Set(to_micros(now)),
    }
}

fn taken(user: &User) -> impl FnOnce() -> String + '_ {
    move || format!("userName '{}' is already taken (userName is unique, ignoring case)", user.user_name.as_str())
}

async fn write_emails<C: ConnectionTrait>(c: &C, id: &str, user: &User) -> Result<()> {
    let folded: HashSet<String> = user.email_values().iter().map(|e| e.to_lowercase()).collect();
    if folded.is_empty() {
        return Ok(());
    }
    let rows = folded
        .into_iter()
        .map(|value_folded| user_emails::ActiveModel { user_id: Set(id.to_owned()), value_folded: Set(value_folded) });
    user_emails::Entity::insert_many(rows).exec(c).await?;
    Ok(())
}

/// Inserts a new user with id `id` at time `now`. A taken userName (any letter case) is a
/// [`Error::Conflict`].
pub async fn insert<C: ConnectionTrait>(c: &C, id: &str, user: &User, now: DateTime<Utc>) -> Result<StoredUser> {
    users::Entity::insert(active_model(id, user, 1, now, now))
        .exec_without_returning(c)
        .await
        .map_err(|e| conflict_on_unique(e, taken(user)))?;
    write_emails(c, id, user).await?;
    Ok(StoredUser {
        id: id.to_owned(),
        user: user.clone(),
        meta: Meta { created: now, last_modified: now, version: 1 },
    })
}

/// The user with id `id`, if any.
pub async fn get<C: ConnectionTrait>(c: &C, id: &str) -> Result<Option<StoredUser>> {
    users::Entity::find_by_id(id.to_owned()).one(c).await?.map(StoredUser::from_row).transpose()
}

/// The user with id `id` and its groups (sorted by name), in one query.
pub async fn get_with_groups<C: ConnectionTrait>(c: &C, id: &str) -> Result<Option<(StoredUser, Vec<GroupRef>)>> {
    let rows = users::Entity::find_by_id(id.to_owned()).find_also_linked(users::UserToGroups).all(c).await?;
    let mut rows = rows.into_iter();
    let Some((row, first)) = rows.next() else {
        return Ok(None);
    };
    let mut groups: Vec<GroupRef> = first
        .into_iter()
        .chain(rows.filter_map(|(_, g)| g))
        .map(|g| GroupRef { id: g.id, display: g.display_name })
        .collect();
    groups.sort_by_cached_key(|g| (g.display.to_lowercase(), g.id.clone()));
    Ok(Some((StoredUser::from_row(row)?, groups)))
}

/// The user whose userName is `user_name` (any letter case), if any.
pub async fn find_by_user_name<C: ConnectionTrait>(c: &C, user_name: &str) -> Result<Option<StoredUser>> {
    users::Entity::find()
        .filter(users::Column::UserNameFolded.eq(user_name.to_lowercase()))
        .one(c)
        .await?
        .map(StoredUser::from_row)
        .transpose()
}

/// Replaces the document of `current` with `user`, bumping the version. Fails with
/// [`Error::VersionMismatch`] when the row changed since `current` was read.
pub async fn update<C: ConnectionTrait>(
    c: &C,
    current: &StoredUser,
    user: &User,
    now: DateTime<Utc>,
) -> Result<StoredUser> {
    let old_version = i64::try_from(current.meta.version).unwrap_or(i64::MAX);
    let version = old_version.saturating_add(1);
    let mut model = active_model(&current.id, user, version, current.meta.created, now);
    // Never write the primary key, even unchanged: SQLite treats any write to a parent key as a
    // change and checks every referencing row (all members of a group), which made a membership
    // PATCH cost the size of the group.
    model.id = sea_orm::ActiveValue::NotSet;
    let result = users::Entity::update_many()
        .set(model)
        .filter(users::Column::Id.eq(current.id.as_str()))
        .filter(users::Column::Version.eq(old_version))
        .exec(c)
        .await
        .map_err(|e| conflict_on_unique(e, taken(user)))?;
    if result.rows_affected == 0 {
        return Err(Error::VersionMismatch(format!("User {}", current.id)));
    }
    if current.user.email_values() != user.email_values() {
        user_emails::Entity::delete_many().filter(user_emails::Column::UserId.eq(current.id.as_str())).exec(c).await?;
        write_emails(c, &current.id, user).await?;
    }
    Ok(StoredUser {
        id: current.id.clone(),
        user: user.clone(),
        meta: Meta { created: current.meta.created, last_modified: now, version: current.meta.version + 1 },
    })
}

/// Deletes the user (its e-mails and memberships go with it). Returns whether it existed.
pub async fn delete<C: ConnectionTrait>(c: &C, id: &str) -> Result<bool> {
    // Explicit deletes rather than relying on ON DELETE CASCADE, which SQLite honours only with
    // foreign keys switched on for the connection.
    user_emails::Entity::delete_many().filter(user_emails::Column::UserId.eq(id)).exec(c).await?;
    group_members::Entity::delete_many().filter(group_members::Column::UserId.eq(id)).exec(c).await?;
    Ok(users::Entity::delete_by_id(id.to_owned()).exec(c).await?.rows_affected > 0)
}

/// The groups each of `user_ids` belongs to.
pub async fn groups_of<C: ConnectionTrait>(c: &C, user_ids: &[&str]) -> Result<HashMap<String, Vec<GroupRef>>> {
    let mut out: HashMap<String, Vec<GroupRef>> = HashMap::new();
    if user_ids.is_empty() {
        return Ok(out);
    }
    let rows: Vec<(String, String, String)> = group_members::Entity::find()
        .select_only()
        .column(group_members::Column::UserId)
        .column(groups::Column::Id)
        .column(groups::Column::DisplayName)
        .join(JoinType::InnerJoin, group_members::Relation::Group.def())
        .filter(group_members::Column::UserId.is_in(user_ids.iter().copied()))
        .order_by_asc(groups::Column::DisplayNameFolded)
        .into_tuple()
        .all(c)
        .await?;
    for (user_id, id, display) in rows {
        out.entry(user_id).or_default().push(GroupRef { id, display });
    }
    Ok(out)
}

/// Which of `ids` are existing users.
pub async fn existing_ids<C: ConnectionTrait>(c: &C, ids: &[String]) -> Result<HashSet<String>> {
    let mut found = HashSet::with_capacity(ids.len());
    // Bounded IN lists: SQLite caps bound parameters per statement.
    for chunk in ids.chunks(500) {
        let rows: Vec<String> = users::Entity::find()
            .select_only()
            .column(users::Column::Id)
            .filter(users::Column::Id.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(c)
            .await?;
        found.extend(rows);
    }
    Ok(found)
}

/// Every user id, in id order (for a full reconciliation).
pub async fn all_ids<C: ConnectionTrait>(c: &C) -> Result<Vec<String>> {
    Ok(users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .order_by_asc(users::Column::Id)
        .into_tuple::<String>()
        .all(c)
        .await?)
}

/// The ids of the users Okta deprovisioned (`active` is false), in id order.
pub async fn deprovisioned_ids<C: ConnectionTrait>(c: &C) -> Result<Vec<String>> {
    Ok(users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .filter(users::Column::Active.eq(false))
        .order_by_asc(users::Column::Id)
        .into_tuple::<String>()
        .all(c)
        .await?)
}

/// How many users there are.
pub async fn count<C: ConnectionTrait>(c: &C) -> Result<u64> {
    Ok(users::Entity::find().count(c).await?)
}

/// Runs a SCIM list query: the filter is pushed down to SQL where it translates exactly; otherwise
/// the translatable part narrows the candidates, which are then paged through and evaluated in Rust
/// (never all loaded at once). `base_url` is used only to evaluate filters on `meta.location`.
pub async fn list<C: ConnectionTrait>(c: &C, q: &ListQuery, base_url: &str) -> Result<Page<StoredUser>> {
    query::run_list(c, Target::Users, q, base_url).await
}

/// Decodes rows of `users` (used by the query runner).
pub(crate) fn decode(rows: Vec<users::Model>) -> Result<Vec<StoredUser>> {
    rows.into_iter().map(StoredUser::from_row).collect()
}

/// The sub-select of user ids whose e-mail matches `cond` (used by the filter translation).
pub(crate) fn email_subquery(cond: sea_orm::sea_query::SimpleExpr) -> sea_orm::sea_query::SelectStatement {
    Query::select().column(user_emails::Column::UserId).from(user_emails::Entity).and_where(cond).to_owned()
}

/// `user_emails.value_folded` as an expression.
pub(crate) fn email_value_col() -> Expr {
    Expr::col((user_emails::Entity, user_emails::Column::ValueFolded))
}
