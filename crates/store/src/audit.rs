//! The audit log: every provisioning change, who made it and why, appended in the same transaction as
//! the change itself, and kept after the resource is deleted.

use crate::entity::audit_events;
use crate::time::{from_micros, to_micros};
use crate::Result;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;

/// One audit event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEvent {
    /// Sequence number (0 before insertion).
    pub id: i64,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who: `scim` (the provisioning client), `admin`, `system`, ...
    pub actor: String,
    /// What: `user.created`, `group.members_changed`, `scim_token.generated`, ...
    pub action: String,
    /// `User`, `Group`, `ScimToken`, `Settings`.
    pub resource_type: String,
    /// The resource's id, when there is one.
    pub resource_id: Option<String>,
    /// Structured detail (never secrets).
    pub detail: serde_json::Value,
}

impl AuditEvent {
    /// A new event at `at`.
    pub fn new(
        at: DateTime<Utc>,
        actor: &str,
        action: &str,
        resource_type: &str,
        resource_id: Option<&str>,
        detail: serde_json::Value,
    ) -> Self {
        AuditEvent {
            id: 0,
            at,
            actor: actor.to_owned(),
            action: action.to_owned(),
            resource_type: resource_type.to_owned(),
            resource_id: resource_id.map(str::to_owned),
            detail,
        }
    }
}

/// Appends `event`.
pub async fn append<C: ConnectionTrait>(c: &C, event: &AuditEvent) -> Result<()> {
    audit_events::Entity::insert(audit_events::ActiveModel {
        id: NotSet,
        at: Set(to_micros(event.at)),
        actor: Set(event.actor.clone()),
        action: Set(event.action.clone()),
        resource_type: Set(event.resource_type.clone()),
        resource_id: Set(event.resource_id.clone()),
        detail: Set(event.detail.to_string()),
    })
    .exec_without_returning(c)
    .await?;
    Ok(())
}

/// Appends `events` in order, a few statements for many events (e.g. one role change per user of a
/// group change).
pub async fn append_many<C: ConnectionTrait>(c: &C, events: &[AuditEvent]) -> Result<()> {
    // 7 parameters per row: 1,000 rows stay well below SQLite's (32,766) and PostgreSQL's (65,535)
    // bound-parameter limits, and a mapping change's 100,000 role changes take 100 statements.
    for chunk in events.chunks(1_000) {
        let rows = chunk.iter().map(|event| audit_events::ActiveModel {
            id: NotSet,
            at: Set(to_micros(event.at)),
            actor: Set(event.actor.clone()),
            action: Set(event.action.clone()),
            resource_type: Set(event.resource_type.clone()),
            resource_id: Set(event.resource_id.clone()),
            detail: Set(event.detail.to_string()),
        });
        audit_events::Entity::insert_many(rows).exec_without_returning(c).await?;
    }
    Ok(())
}

/// The newest events first, at most `limit`, optionally only those about `resource_id` or older than
/// event `before`.
pub async fn recent<C: ConnectionTrait>(
    c: &C,
    limit: u64,
    resource_id: Option<&str>,
    before: Option<i64>,
) -> Result<Vec<AuditEvent>> {
    let mut q = audit_events::Entity::find().order_by_desc(audit_events::Column::Id).limit(limit);
    if let Some(id) = resource_id {
        q = q.filter(audit_events::Column::ResourceId.eq(id));
    }
    if let Some(before) = before {
        q = q.filter(audit_events::Column::Id.lt(before));
    }
    Ok(q.all(c).await?.into_iter().map(from_row).collect())
}

/// The events after event `after` (exclusive), oldest first, at most `limit`: a cursor for following
/// the log as it grows (`stackflow-admin verify`).
pub async fn after<C: ConnectionTrait>(c: &C, after: i64, limit: u64) -> Result<Vec<AuditEvent>> {
    let rows = audit_events::Entity::find()
        .filter(audit_events::Column::Id.gt(after))
        .order_by_asc(audit_events::Column::Id)
        .limit(limit)
        .all(c)
        .await?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// The id of the newest event (0 when the log is empty).
pub async fn latest_id<C: ConnectionTrait>(c: &C) -> Result<i64> {
    Ok(recent(c, 1, None, None).await?.first().map_or(0, |e| e.id))
}

fn from_row(row: audit_events::Model) -> AuditEvent {
    AuditEvent {
        id: row.id,
        at: from_micros(row.at),
        actor: row.actor,
        action: row.action,
        resource_type: row.resource_type,
        resource_id: row.resource_id,
        detail: serde_json::from_str(&row.detail).unwrap_or(serde_json::Value::String(row.detail)),
    }
}
