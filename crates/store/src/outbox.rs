//! The transactional outbox of the Cognito mirror. A provisioning write appends its record here in
//! its own transaction, so the change and the promise to deliver it commit together; the worker
//! claims records, delivers them and marks them `done` (or, after too many attempts, `dead`).
//!
//! Claiming is one `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)` on both engines (SQLite
//! has no row locks, and sea-query leaves the clause out there; its single writer serialises the
//! claims instead). Only the oldest pending record of a user can be claimed, so a user's changes are
//! delivered in order even with several replicas, and a claim expires, so a crashed worker's records
//! come back.

use crate::entity::outbox;
use crate::time::{from_micros, to_micros};
use crate::{Result, Store};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, LockBehavior, LockType, Query};
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::Serialize;

/// Record kind: bring the user's Cognito account to the user's current state (read at delivery).
pub const KIND_SYNC: &str = "user.sync";
/// Record kind: delete the user's Cognito account (the row is gone by delivery time).
pub const KIND_DELETE: &str = "user.delete";

/// State of a record still to deliver.
pub const PENDING: &str = "pending";
/// State of a delivered record.
pub const DONE: &str = "done";
/// State of a record given up on after too many attempts.
pub const DEAD: &str = "dead";

/// One outbox record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxRecord {
    /// Sequence number: the delivery order of a user's records.
    pub id: i64,
    /// The StackFlow user id the record is about.
    pub user_id: String,
    /// [`KIND_SYNC`] or [`KIND_DELETE`].
    pub kind: String,
    /// What the delivery needs beyond the current state (e.g. the userName of a deleted user).
    pub payload: serde_json::Value,
    /// When the change committed.
    pub created_at: DateTime<Utc>,
    /// Failed deliveries so far.
    pub attempts: u32,
    /// Not before this time.
    pub next_attempt_at: DateTime<Utc>,
    /// `pending`, `done` or `dead`.
    pub state: String,
    /// The error of the last failed attempt (never a secret).
    pub last_error: Option<String>,
}

impl From<outbox::Model> for OutboxRecord {
    fn from(row: outbox::Model) -> Self {
        OutboxRecord {
            id: row.id,
            user_id: row.user_id,
            kind: row.kind,
            payload: serde_json::from_str(&row.payload).unwrap_or(serde_json::Value::Null),
            created_at: from_micros(row.created_at),
            attempts: u32::try_from(row.attempts).unwrap_or_default(),
            next_attempt_at: from_micros(row.next_attempt_at),
            state: row.state,
            last_error: row.last_error,
        }
    }
}

fn new_row(user_id: &str, kind: &str, payload: &serde_json::Value, now: DateTime<Utc>) -> outbox::ActiveModel {
    outbox::ActiveModel {
        id: NotSet,
        user_id: Set(user_id.to_owned()),
        kind: Set(kind.to_owned()),
        payload: Set(payload.to_string()),
        created_at: Set(to_micros(now)),
        attempts: Set(0),
        next_attempt_at: Set(to_micros(now)),
        claimed_by: Set(None),
        claimed_until: Set(None),
        last_error: Set(None),
        state: Set(PENDING.to_owned()),
    }
}

/// Appends one "sync user" record per id (in the caller's transaction).
pub async fn enqueue_sync<C: ConnectionTrait>(c: &C, user_ids: &[String], now: DateTime<Utc>) -> Result<()> {
    for chunk in user_ids.chunks(200) {
        let rows = chunk.iter().map(|id| new_row(id, KIND_SYNC, &serde_json::Value::Null, now));
        outbox::Entity::insert_many(rows).exec_without_returning(c).await?;
    }
    Ok(())
}

/// Appends a "delete user" record carrying `payload` (in the caller's transaction).
pub async fn enqueue_delete<C: ConnectionTrait>(
    c: &C,
    user_id: &str,
    payload: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<()> {
    outbox::Entity::insert(new_row(user_id, KIND_DELETE, payload, now)).exec_without_returning(c).await?;
    Ok(())
}

/// Claims up to `limit` deliverable records for `worker` until `now + lease`: pending, due, not
/// claimed by anyone (or the claim expired), and the oldest pending record of their user. Returns
/// them oldest first.
pub async fn claim(
    store: &Store,
    worker: &str,
    limit: u64,
    now: DateTime<Utc>,
    lease: std::time::Duration,
) -> Result<Vec<OutboxRecord>> {
    let now_us = to_micros(now);
    let until = now_us.saturating_add(i64::try_from(lease.as_micros()).unwrap_or(i64::MAX));
    let token = format!("{worker}:{}", uuid::Uuid::new_v4());
    let older = Alias::new("older");
    let older_pending = Query::select()
        .expr(Expr::val(1))
        .from_as(outbox::Entity, older.clone())
        .and_where(Expr::col((older.clone(), outbox::Column::UserId)).equals((outbox::Entity, outbox::Column::UserId)))
        .and_where(Expr::col((older.clone(), outbox::Column::State)).eq(PENDING))
        .and_where(Expr::col((older.clone(), outbox::Column::Id)).lt(Expr::col((outbox::Entity, outbox::Column::Id))))
        .to_owned();
    let candidates = Query::select()
        .column((outbox::Entity, outbox::Column::Id))
        .from(outbox::Entity)
        .and_where(Expr::col((outbox::Entity, outbox::Column::State)).eq(PENDING))
        .and_where(Expr::col((outbox::Entity, outbox::Column::NextAttemptAt)).lte(now_us))
        .and_where(
            Expr::col((outbox::Entity, outbox::Column::ClaimedUntil)).is_null().or(Expr::col((
                outbox::Entity,
                outbox::Column::ClaimedUntil,
            ))
            .lt(now_us)),
        )
        .and_where(Expr::exists(older_pending).not())
        .order_by((outbox::Entity, outbox::Column::Id), sea_orm::Order::Asc)
        .limit(limit)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .to_owned();
    let txn = store.write().await?;
    outbox::Entity::update_many()
        .col_expr(outbox::Column::ClaimedBy, Expr::value(token.clone()))
        .col_expr(outbox::Column::ClaimedUntil, Expr::value(until))
        .filter(outbox::Column::Id.in_subquery(candidates))
        .exec(&*txn)
        .await?;
    let rows = outbox::Entity::find()
        .filter(outbox::Column::ClaimedBy.eq(token))
        .order_by_asc(outbox::Column::Id)
        .all(&*txn)
        .await?;
    txn.commit().await?;
    Ok(rows.into_iter().map(OutboxRecord::from).collect())
}

/// Ids of `user_id`'s pending "sync" records visible now: a delivery that reads the user's state
/// after this call covers all of them.
pub async fn pending_sync_ids<C: ConnectionTrait>(c: &C, user_id: &str) -> Result<Vec<i64>> {
    Ok(outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Id)
        .filter(outbox::Column::UserId.eq(user_id))
        .filter(outbox::Column::Kind.eq(KIND_SYNC))
        .filter(outbox::Column::State.eq(PENDING))
        .into_tuple::<i64>()
        .all(c)
        .await?)
}

/// Marks `ids` delivered.
pub async fn complete<C: ConnectionTrait>(c: &C, ids: &[i64]) -> Result<()> {
    for chunk in ids.chunks(500) {
        outbox::Entity::update_many()
            .col_expr(outbox::Column::State, Expr::value(DONE))
            .col_expr(outbox::Column::ClaimedBy, Expr::value(Option::<String>::None))
            .col_expr(outbox::Column::ClaimedUntil, Expr::value(Option::<i64>::None))
            .filter(outbox::Column::Id.is_in(chunk.iter().copied()))
            .filter(outbox::Column::State.eq(PENDING))
            .exec(c)
            .await?;
    }
    Ok(())
}

/// Records a failed attempt of record `id`: one more attempt, the error, released; `dead` gives up
/// on it, otherwise it is due again at `next_attempt_at`.
pub async fn fail<C: ConnectionTrait>(
    c: &C,
    id: i64,
    error: &str,
    next_attempt_at: DateTime<Utc>,
    dead: bool,
) -> Result<()> {
    outbox::Entity::update_many()
        .col_expr(outbox::Column::Attempts, Expr::col(outbox::Column::Attempts).add(1))
        .col_expr(outbox::Column::LastError, Expr::value(error.to_owned()))
        .col_expr(outbox::Column::NextAttemptAt, Expr::value(to_micros(next_attempt_at)))
        .col_expr(outbox::Column::ClaimedBy, Expr::value(Option::<String>::None))
        .col_expr(outbox::Column::ClaimedUntil, Expr::value(Option::<i64>::None))
        .col_expr(outbox::Column::State, Expr::value(if dead { DEAD } else { PENDING }))
        .filter(outbox::Column::Id.eq(id))
        .exec(c)
        .await?;
    Ok(())
}

/// Counts for `stackflow-admin outbox status` and `/readyz`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxStatus {
    /// Records still to deliver.
    pub pending: u64,
    /// Pending records that failed at least once.
    pub retrying: u64,
    /// Records given up on.
    pub dead: u64,
    /// Delivered records kept.
    pub done: u64,
    /// When the oldest pending record committed.
    pub oldest_pending_at: Option<DateTime<Utc>>,
}

/// The outbox's counts.
pub async fn status<C: ConnectionTrait>(c: &C) -> Result<OutboxStatus> {
    let count = |state: &'static str| outbox::Entity::find().filter(outbox::Column::State.eq(state)).count(c);
    let pending = count(PENDING).await?;
    let dead = count(DEAD).await?;
    let done = count(DONE).await?;
    let retrying = outbox::Entity::find()
        .filter(outbox::Column::State.eq(PENDING))
        .filter(outbox::Column::Attempts.gt(0))
        .count(c)
        .await?;
    let oldest = outbox::Entity::find()
        .filter(outbox::Column::State.eq(PENDING))
        .order_by_asc(outbox::Column::Id)
        .one(c)
        .await?;
    Ok(OutboxStatus { pending, retrying, dead, done, oldest_pending_at: oldest.map(|r| from_micros(r.created_at)) })
}

/// Records, newest first: the failed ones (dead, or pending with a failed attempt) when `failed`,
/// else the pending ones; at most `limit`.
pub async fn list<C: ConnectionTrait>(c: &C, failed: bool, limit: u64) -> Result<Vec<OutboxRecord>> {
    let query = outbox::Entity::find();
    let query = if failed {
        query.filter(
            outbox::Column::State.eq(DEAD).or(outbox::Column::State.eq(PENDING).and(outbox::Column::Attempts.gt(0))),
        )
    } else {
        query.filter(outbox::Column::State.eq(PENDING))
    };
    Ok(query.order_by_desc(outbox::Column::Id).limit(limit).all(c).await?.into_iter().map(Into::into).collect())
}

/// Puts dead records (all, or the one with `id`) back to pending, due now with no attempts; returns
/// how many.
pub async fn retry<C: ConnectionTrait>(c: &C, id: Option<i64>, now: DateTime<Utc>) -> Result<u64> {
    let mut update = outbox::Entity::update_many()
        .col_expr(outbox::Column::State, Expr::value(PENDING))
        .col_expr(outbox::Column::Attempts, Expr::value(0))
        .col_expr(outbox::Column::NextAttemptAt, Expr::value(to_micros(now)))
        .filter(outbox::Column::State.eq(DEAD));
    if let Some(id) = id {
        update = update.filter(outbox::Column::Id.eq(id));
    }
    Ok(update.exec(c).await?.rows_affected)
}
