//! The group repository: SCIM Groups as rows of `groups`, members as one `group_members` row each,
//! so membership changes cost what they change, not the size of the group.

use crate::entity::{group_members, groups};
use crate::query::{self, Target};
use crate::time::{from_micros, to_micros};
use crate::{Error, Page, Result};
use chrono::{DateTime, Utc};
use scim_core::{Group, ListQuery, Member, Meta};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

/// A group as stored (members are read separately, only when needed).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredGroup {
    /// The SCIM id (a UUID).
    pub id: String,
    /// The validated document, without members.
    pub group: Group,
    /// created / lastModified / version.
    pub meta: Meta,
}

impl StoredGroup {
    fn from_row(row: groups::Model) -> Result<StoredGroup> {
        let corrupt = |reason: String| Error::Corrupt { kind: "group", id: row.id.clone(), reason };
        let body: serde_json::Value = serde_json::from_str(&row.body).map_err(|e| corrupt(e.to_string()))?;
        let (group, _) = Group::from_json(&body).map_err(|e| corrupt(e.detail))?;
        let meta = Meta {
            created: from_micros(row.created_at),
            last_modified: from_micros(row.updated_at),
            version: u64::try_from(row.version).unwrap_or_default(),
        };
        Ok(StoredGroup { id: row.id, group, meta })
    }
}

fn active_model(
    id: &str,
    group: &Group,
    version: i64,
    created: DateTime<Utc>,
    now: DateTime<Utc>,
) -> groups::ActiveModel {
    groups::ActiveModel {
        id: Set(id.to_owned()),
        display_name: Set(group.display_name.clone()),
        display_name_folded: Set(group.display_name.to_lowercase()),
        external_id: Set(group.external_id.clone()),
        body: Set(serde_json::Value::Object(group.attributes.clone()).to_string()),
        version: Set(version),
        created_at: Set(to_micros(created)),
        updated_at: Set(to_micros(now)),
    }
}

/// Inserts a new group (without members; see [`add_members`]).
pub async fn insert<C: ConnectionTrait>(c: &C, id: &str, group: &Group, now: DateTime<Utc>) -> Result<StoredGroup> {
    groups::Entity::insert(active_model(id, group, 1, now, now)).exec_without_returning(c).await?;
    Ok(StoredGroup {
        id: id.to_owned(),
        group: group.clone(),
        meta: Meta { created: now, last_modified: now, version: 1 },
    })
}

/// The group with id `id`, if any.
pub async fn get<C: ConnectionTrait>(c: &C, id: &str) -> Result<Option<StoredGroup>> {
    groups::Entity::find_by_id(id.to_owned()).one(c).await?.map(StoredGroup::from_row).transpose()
}

/// Replaces the group's document and bumps its version (membership changes bump it too). Fails with
/// [`Error::VersionMismatch`] when the row changed since `current` was read.
pub async fn update<C: ConnectionTrait>(
    c: &C,
    current: &StoredGroup,
    group: &Group,
    now: DateTime<Utc>,
) -> Result<StoredGroup> {
    let old_version = i64::try_from(current.meta.version).unwrap_or(i64::MAX);
    let mut model = active_model(&current.id, group, old_version.saturating_add(1), current.meta.created, now);
    // Never write the primary key, even unchanged: SQLite treats any write to a parent key as a
    // change and checks every referencing row (all members of a group), which made a membership
    // PATCH cost the size of the group.
    model.id = sea_orm::ActiveValue::NotSet;
    let result = groups::Entity::update_many()
        .set(model)
        .filter(groups::Column::Id.eq(current.id.as_str()))
        .filter(groups::Column::Version.eq(old_version))
        .exec(c)
        .await?;
    if result.rows_affected == 0 {
        return Err(Error::VersionMismatch(format!("Group {}", current.id)));
    }
    Ok(StoredGroup {
        id: current.id.clone(),
        group: group.clone(),
        meta: Meta { created: current.meta.created, last_modified: now, version: current.meta.version + 1 },
    })
}

/// Deletes the group and its memberships. Returns whether it existed.
pub async fn delete<C: ConnectionTrait>(c: &C, id: &str) -> Result<bool> {
    group_members::Entity::delete_many().filter(group_members::Column::GroupId.eq(id)).exec(c).await?;
    Ok(groups::Entity::delete_by_id(id.to_owned()).exec(c).await?.rows_affected > 0)
}

/// The members of `group_id`, ordered by id, with the `display` the client sent.
pub async fn members<C: ConnectionTrait>(c: &C, group_id: &str) -> Result<Vec<Member>> {
    let rows: Vec<(String, Option<String>)> = group_members::Entity::find()
        .select_only()
        .column(group_members::Column::UserId)
        .column(group_members::Column::Display)
        .filter(group_members::Column::GroupId.eq(group_id))
        .order_by_asc(group_members::Column::UserId)
        .into_tuple()
        .all(c)
        .await?;
    Ok(rows.into_iter().map(|(value, display)| Member { value, display, kind: Some("User".to_owned()) }).collect())
}

/// The ids of the members of `group_id`.
pub async fn member_ids<C: ConnectionTrait>(c: &C, group_id: &str) -> Result<Vec<String>> {
    Ok(group_members::Entity::find()
        .select_only()
        .column(group_members::Column::UserId)
        .filter(group_members::Column::GroupId.eq(group_id))
        .into_tuple()
        .all(c)
        .await?)
}

/// Adds `members` to the group; those already members are left as they are. The caller checks the
/// ids exist ([`crate::users::existing_ids`]).
pub async fn add_members<C: ConnectionTrait>(c: &C, group_id: &str, members: &[Member]) -> Result<()> {
    for chunk in members.chunks(300) {
        let rows = chunk.iter().map(|m| group_members::ActiveModel {
            group_id: Set(group_id.to_owned()),
            user_id: Set(m.value.clone()),
            display: Set(m.display.clone()),
        });
        let insert = group_members::Entity::insert_many(rows).on_conflict(
            OnConflict::columns([group_members::Column::GroupId, group_members::Column::UserId])
                .do_nothing()
                .to_owned(),
        );
        match insert.exec_without_returning(c).await {
            Ok(_) | Err(DbErr::RecordNotInserted) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Removes `user_ids` from the group (ids that are not members are ignored).
pub async fn remove_members<C: ConnectionTrait>(c: &C, group_id: &str, user_ids: &[String]) -> Result<()> {
    for chunk in user_ids.chunks(400) {
        group_members::Entity::delete_many()
            .filter(group_members::Column::GroupId.eq(group_id))
            .filter(group_members::Column::UserId.is_in(chunk.iter().cloned()))
            .exec(c)
            .await?;
    }
    Ok(())
}

/// Removes every member of the group.
pub async fn remove_all_members<C: ConnectionTrait>(c: &C, group_id: &str) -> Result<()> {
    group_members::Entity::delete_many().filter(group_members::Column::GroupId.eq(group_id)).exec(c).await?;
    Ok(())
}

/// Runs a SCIM list query on groups. Members are loaded only when `with_members` (and then per
/// group of the page), so `excludedAttributes=members` never reads memberships.
pub async fn list<C: ConnectionTrait>(c: &C, q: &ListQuery, base_url: &str) -> Result<Page<StoredGroup>> {
    let mentions_members = q.filter.as_ref().is_some_and(|f| f.to_string().to_lowercase().contains("members"))
        || q.sort_by.as_ref().is_some_and(|p| p.name.eq_ignore_ascii_case("members"));
    query::run(c, Target::Groups, groups::Entity::find(), groups::Column::Id, q, |rows, render| async move {
        let groups = rows.into_iter().map(StoredGroup::from_row).collect::<Result<Vec<_>>>()?;
        let mut out = Vec::with_capacity(groups.len());
        for g in groups {
            let json = if !render {
                serde_json::Value::Null
            } else if mentions_members {
                let members = members(c, &g.id).await?;
                scim_core::render_group(base_url, &g.id, &g.group, &g.meta, Some(&members))
            } else {
                scim_core::render_group(base_url, &g.id, &g.group, &g.meta, None)
            };
            out.push((g, json));
        }
        Ok(out)
    })
    .await
}
