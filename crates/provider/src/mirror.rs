//! The Cognito mirror: every provisioned user and every role change reaches the Cognito user pool,
//! nothing lost.
//!
//! Writes append outbox records in their own transaction (`store::outbox`): "sync user X" for a
//! create, an attribute or `active` change and a role change, "delete user X" for a delete. The
//! [`Mirror`] worker claims them, reads the user's *current* desired state at delivery time
//! ([`desired_user`]) and converges the pool to it through `sso_bridge::cognito`, so a delivery is
//! idempotent, several queued syncs of a user collapse into one, and a retried record never
//! regresses the pool. [`Mirror::sync`] reconciles every user (or one) the same way, for enabling the
//! mirror on an existing instance or repairing drift.

use crate::{Provider, Result};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sso_bridge::cognito::{Change, CognitoClient, DesiredUser};
use std::collections::BTreeMap;
use std::time::Duration;
use store::outbox::{self, OutboxRecord};
use store::ConnectionTrait;

/// First retry delay; doubled per failed attempt, capped by `MirrorOptions::max_backoff`, with jitter.
const BASE_BACKOFF: Duration = Duration::from_secs(1);

/// Tuning of the mirror worker.
#[derive(Debug, Clone)]
pub struct MirrorOptions {
    /// This worker's name in claims (e.g. host and process id).
    pub worker_id: String,
    /// Attempts before a record is `dead`.
    pub max_attempts: u32,
    /// Records claimed per round.
    pub batch: u64,
    /// How long a claim holds before another worker may take the record.
    pub lease: Duration,
    /// How long to sleep when nothing is due.
    pub idle_poll: Duration,
    /// Longest delay between two attempts of a record.
    pub max_backoff: Duration,
}

impl MirrorOptions {
    /// Defaults: 10 attempts, 50 per round, 60 s lease, 500 ms idle poll, retries at most 5 min apart.
    pub fn new(worker_id: impl Into<String>) -> Self {
        MirrorOptions {
            worker_id: worker_id.into(),
            max_attempts: 10,
            batch: 50,
            lease: Duration::from_secs(60),
            idle_poll: Duration::from_millis(500),
            max_backoff: Duration::from_secs(300),
        }
    }
}

/// The e-mail Cognito gets: the primary e-mail, else the first, else a userName that looks like one.
fn email_of(user: &scim_core::User) -> Option<String> {
    let emails = match user.attributes.get("emails") {
        Some(Value::Array(list)) => list.as_slice(),
        _ => &[],
    };
    let value = |e: &Value| e.get("value").and_then(Value::as_str).map(str::to_owned);
    emails
        .iter()
        .find(|e| e.get("primary").and_then(Value::as_bool) == Some(true))
        .and_then(value)
        .or_else(|| emails.first().and_then(value))
        .or_else(|| user.user_name.as_str().contains('@').then(|| user.user_name.as_str().to_owned()))
}

/// The Cognito account `user_id` should have now, or `None` when the user no longer exists.
pub async fn desired_user<C: ConnectionTrait>(
    c: &C,
    user_id: &str,
    deactivate_on_offboard: bool,
) -> Result<Option<DesiredUser>> {
    let Some(stored) = store::users::get(c, user_id).await? else {
        return Ok(None);
    };
    let role = store::roles::role_states(c, &[user_id.to_owned()]).await?.remove(user_id).and_then(|s| s.role);
    let name = |key: &str| {
        stored.user.attributes.get("name").and_then(|n| n.get(key)).and_then(Value::as_str).map(str::to_owned)
    };
    let mut attributes = BTreeMap::new();
    if let Some(email) = email_of(&stored.user) {
        attributes.insert("email".to_owned(), email);
        // Okta verified the address; Cognito must not send its own verification.
        attributes.insert("email_verified".to_owned(), "true".to_owned());
    }
    for (cognito, scim) in [("given_name", "givenName"), ("family_name", "familyName")] {
        if let Some(v) = name(scim).filter(|v| !v.is_empty()) {
            attributes.insert(cognito.to_owned(), v);
        }
    }
    if let Some(role) = role {
        attributes.insert("custom:stackflow_role".to_owned(), role.to_string());
    }
    if let Some(okta_id) = stored.user.external_id.clone().filter(|v| !v.is_empty()) {
        attributes.insert("custom:okta_id".to_owned(), okta_id);
    }
    let (enabled, _) = crate::roles::account_state(stored.user.active, deactivate_on_offboard);
    Ok(Some(DesiredUser { username: stored.id.clone(), attributes, group: role.map(|r| r.to_string()), enabled }))
}

/// Appends "sync user" records for `user_ids` in the caller's transaction (mirror on only).
pub(crate) async fn enqueue_sync<C: ConnectionTrait>(c: &C, on: bool, user_ids: &[String]) -> Result<()> {
    if on && !user_ids.is_empty() {
        outbox::enqueue_sync(c, user_ids, store::time::now()).await?;
    }
    Ok(())
}

/// Appends a "delete user" record in the caller's transaction (mirror on only).
pub(crate) async fn enqueue_delete<C: ConnectionTrait>(c: &C, on: bool, user_id: &str, user_name: &str) -> Result<()> {
    if on {
        let payload = serde_json::json!({ "username": user_id, "userName": user_name });
        outbox::enqueue_delete(c, user_id, &payload, store::time::now()).await?;
    }
    Ok(())
}

impl Provider {
    /// `roles::recompute` plus a "sync user" record for every user whose role changed.
    pub(crate) async fn recompute<C: ConnectionTrait>(
        &self,
        c: &C,
        user_ids: &[String],
        cause: crate::roles::Cause<'_>,
    ) -> Result<Vec<crate::UserRoleChange>> {
        let changes = crate::roles::recompute(c, user_ids, cause).await?;
        self.mirror_role_changes(c, &changes).await?;
        Ok(changes)
    }

    /// `roles::recompute_group` plus a "sync user" record for every user whose role changed.
    pub(crate) async fn recompute_group<C: ConnectionTrait>(
        &self,
        c: &C,
        group_id: &str,
        others: &[String],
        cause: crate::roles::Cause<'_>,
    ) -> Result<Vec<crate::UserRoleChange>> {
        let changes = crate::roles::recompute_group(c, group_id, others, cause).await?;
        self.mirror_role_changes(c, &changes).await?;
        Ok(changes)
    }

    /// A "sync user" record for every user whose role changed (mirror on only).
    pub(crate) async fn mirror_role_changes<C: ConnectionTrait>(
        &self,
        c: &C,
        changes: &[crate::UserRoleChange],
    ) -> Result<()> {
        let changed: Vec<String> = changes.iter().map(|ch| ch.user_id.clone()).collect();
        enqueue_sync(c, self.options.cognito_outbox, &changed).await
    }
}

/// The mirror's on/off state as the admin API reports it: `"on"` or `"off"`.
fn mirror_state(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}

/// What the admin API says instead of outbox facts while `[cognito]` is not configured.
pub const MIRROR_OFF: &str =
    "the Cognito mirror is off: configure [cognito] user_pool_id and region (nothing is queued)";

/// The outbox's counts as `stackflow-admin outbox status` shows them (`mirror` `"off"`: no counts).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxOverview {
    /// `"on"` or `"off"`.
    pub mirror: &'static str,
    /// With the mirror off, what to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<&'static str>,
    /// The counts (mirror on only).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub status: Option<outbox::OutboxStatus>,
    /// Seconds since the oldest pending record committed (mirror on, something pending).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oldest_pending_age_seconds: Option<i64>,
}

/// Outbox records for the admin API (`mirror` `"off"`: none).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxRecords {
    /// `"on"` or `"off"`.
    pub mirror: &'static str,
    /// With the mirror off, what to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<&'static str>,
    /// The records, newest first, each with the error of its last failed attempt.
    pub records: Vec<OutboxRecord>,
}

/// The answer to a retry of dead records.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxRetry {
    /// `"on"` or `"off"`.
    pub mirror: &'static str,
    /// With the mirror off, what to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<&'static str>,
    /// Dead records put back in the queue.
    pub requeued: u64,
}

impl Provider {
    fn mirror_message(&self) -> Option<&'static str> {
        (!self.options.cognito_outbox).then_some(MIRROR_OFF)
    }

    /// The outbox's counts and the age of the oldest pending record (mirror off: says so).
    pub async fn outbox_status(&self) -> Result<OutboxOverview> {
        let on = self.options.cognito_outbox;
        let mut overview = OutboxOverview {
            mirror: mirror_state(on),
            message: self.mirror_message(),
            status: None,
            oldest_pending_age_seconds: None,
        };
        if on {
            let status = outbox::status(self.store.conn()).await?;
            overview.oldest_pending_age_seconds =
                status.oldest_pending_at.map(|t| (store::time::now() - t).num_seconds().max(0));
            overview.status = Some(status);
        }
        Ok(overview)
    }

    /// Outbox records, newest first, at most `limit`: the failed ones (dead, or pending after a failed
    /// attempt) with their error when `failed`, else the pending ones (mirror off: none).
    pub async fn outbox_records(&self, failed: bool, limit: u64) -> Result<OutboxRecords> {
        let on = self.options.cognito_outbox;
        let records = if on { outbox::list(self.store.conn(), failed, limit).await? } else { Vec::new() };
        Ok(OutboxRecords { mirror: mirror_state(on), message: self.mirror_message(), records })
    }

    /// Puts dead records (all, or the one with `id`) back in the queue, due now, audited; returns how
    /// many (mirror off: none — no worker would deliver them).
    pub async fn outbox_retry(&self, id: Option<i64>, actor: &str) -> Result<OutboxRetry> {
        let on = self.options.cognito_outbox;
        let mut answer = OutboxRetry { mirror: mirror_state(on), message: self.mirror_message(), requeued: 0 };
        if on {
            let now = store::time::now();
            let txn = self.store.write().await?;
            answer.requeued = outbox::retry(&*txn, id, now).await?;
            if answer.requeued > 0 {
                let detail = serde_json::json!({ "id": id, "requeued": answer.requeued });
                let event = store::audit::AuditEvent::new(now, actor, "outbox.retried", "Outbox", None, detail);
                store::audit::append(&*txn, &event).await?;
            }
            txn.commit().await?;
        }
        Ok(answer)
    }
}

/// The delay before attempt `attempts + 1`: exponential with jitter in [50 %, 100 %].
fn backoff(attempts: u32, jitter: f64, max: Duration) -> Duration {
    let exp = BASE_BACKOFF.saturating_mul(2u32.saturating_pow(attempts.min(20)));
    exp.min(max).mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
}

/// One user's outcome in a reconciliation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncedUser {
    /// The StackFlow user id (the Cognito username).
    pub id: String,
    /// The userName.
    pub user_name: String,
    /// The changes made (or, on a dry run, that would be made); empty when in sync.
    pub changes: Vec<String>,
    /// Why the user could not be reconciled.
    pub error: Option<String>,
}

/// What `cognito sync` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// Users looked at.
    pub users: usize,
    /// Users that needed a change.
    pub changed: usize,
    /// Users that failed.
    pub failed: usize,
    /// Nothing was written.
    pub dry_run: bool,
    /// The users that needed a change or failed.
    pub details: Vec<SyncedUser>,
}

/// The outbox worker and reconciler over one provider and one user pool.
#[derive(Clone)]
pub struct Mirror {
    provider: Provider,
    client: CognitoClient,
    options: MirrorOptions,
}

impl std::fmt::Debug for Mirror {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mirror").field("client", &self.client).field("options", &self.options).finish_non_exhaustive()
    }
}

impl Mirror {
    /// A mirror delivering `provider`'s outbox to `client`'s pool.
    pub fn new(provider: Provider, client: CognitoClient, options: MirrorOptions) -> Self {
        Mirror { provider, client, options }
    }

    /// The Cognito client.
    pub fn client(&self) -> &CognitoClient {
        &self.client
    }

    /// Delivers records until `stop` turns true; store failures are logged and retried.
    pub async fn run(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        tracing::info!(pool = %self.client.config().user_pool_id, worker = %self.options.worker_id, "Cognito mirror started");
        loop {
            if *stop.borrow() {
                break;
            }
            let delivered = match self.run_once().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "Cognito mirror round failed; retrying");
                    0
                }
            };
            if delivered == 0 {
                tokio::select! {
                    _ = tokio::time::sleep(self.options.idle_poll) => {}
                    _ = stop.changed() => {}
                }
            }
        }
        tracing::info!("Cognito mirror stopped");
    }

    /// Claims one batch and delivers it; returns how many records were claimed.
    ///
    /// Records are only delivered while at least half of the claim's lease is left: a batch slowed
    /// down (rate limit, a slow Cognito) must not outlive its claim, or another worker would take the
    /// same records and deliver them a second time. The rest of the batch is left to expire and is
    /// claimed again (by whichever worker comes first).
    pub async fn run_once(&self) -> Result<usize> {
        let store = self.provider.store();
        let claimed_at = std::time::Instant::now();
        let records =
            outbox::claim(store, &self.options.worker_id, self.options.batch, store::time::now(), self.options.lease)
                .await?;
        if records.is_empty() {
            return Ok(0);
        }
        // Read, not cached: another replica may have just changed Deactivate on Offboard and queued
        // these very records for it.
        let deactivate = crate::settings::load(store).await?.deactivate_on_offboard;
        for (done, record) in records.iter().enumerate() {
            if claimed_at.elapsed() >= self.options.lease / 2 {
                tracing::debug!(
                    delivered = done,
                    left = records.len() - done,
                    "Cognito mirror batch outlived half its lease; leaving the rest to be claimed again"
                );
                break;
            }
            self.deliver(record, deactivate).await?;
        }
        Ok(records.len())
    }

    /// Delivers one claimed record and marks it (and the syncs it covers) done, or records the failure.
    async fn deliver(&self, record: &OutboxRecord, deactivate_on_offboard: bool) -> Result<()> {
        let store = self.provider.store();
        let outcome = if record.kind == outbox::KIND_DELETE {
            self.client.delete(&record.user_id).await.map(|_| vec![record.id])
        } else {
            // Every pending sync of the user visible now is covered by the state read after this.
            let mut ids = outbox::pending_sync_ids(store.conn(), &record.user_id).await?;
            if !ids.contains(&record.id) {
                ids.push(record.id);
            }
            match desired_user(store.conn(), &record.user_id, deactivate_on_offboard).await? {
                // Deleted since: its delete record follows.
                None => Ok(ids),
                Some(desired) => self.client.apply(&desired).await.map(|_| ids),
            }
        };
        match outcome {
            Ok(ids) => {
                let txn = store.write().await?;
                outbox::complete(&*txn, &ids).await?;
                txn.commit().await?;
            }
            Err(e) => {
                // Everything is retried until `max_attempts`, even what looks permanent: a pool that
                // does not exist (yet) or a missing permission is fixed by the operator, not by us.
                let transient = matches!(&e, sso_bridge::Error::Cognito { retryable: true, .. });
                let dead = record.attempts + 1 >= self.options.max_attempts;
                let next: DateTime<Utc> = store::time::now()
                    + chrono::Duration::from_std(backoff(
                        record.attempts,
                        rand::random::<f64>(),
                        self.options.max_backoff,
                    ))
                    .unwrap_or_default();
                let text = e.to_string();
                if dead {
                    tracing::error!(record = record.id, user = %record.user_id, error = %text, "Cognito delivery gave up");
                } else if transient {
                    tracing::warn!(record = record.id, user = %record.user_id, error = %text, "Cognito delivery failed; will retry");
                } else {
                    tracing::error!(record = record.id, user = %record.user_id, error = %text, "Cognito refused the delivery; check the [cognito] configuration; will retry");
                }
                let txn = store.write().await?;
                outbox::fail(&*txn, record.id, &text, next, dead).await?;
                txn.commit().await?;
            }
        }
        Ok(())
    }

    /// Reconciles every user (or the one named `user_name`) against the pool: create, update,
    /// disable/enable, group. `progress(done, total)` is called after each user.
    pub async fn sync(
        &self,
        user_name: Option<&str>,
        dry_run: bool,
        progress: impl Fn(usize, usize),
    ) -> Result<SyncReport> {
        let conn = self.provider.store().conn();
        let ids = match user_name {
            Some(name) => match store::users::find_by_user_name(conn, name).await? {
                Some(u) => vec![u.id],
                None => {
                    return Err(scim_core::ScimError::not_found(format!("no user named '{name}'")).into());
                }
            },
            None => store::users::all_ids(conn).await?,
        };
        let deactivate = self.provider.settings().await?.deactivate_on_offboard;
        let total = ids.len();
        let mut report = SyncReport { users: total, changed: 0, failed: 0, dry_run, details: Vec::new() };
        for (done, id) in ids.iter().enumerate() {
            let Some(desired) = desired_user(conn, id, deactivate).await? else {
                progress(done + 1, total);
                continue;
            };
            let user_name = store::users::get(conn, id).await?.map(|u| u.user.user_name.as_str().to_owned());
            let outcome: sso_bridge::Result<Vec<Change>> = if dry_run {
                match self.client.get(id).await {
                    Ok(current) => Ok(sso_bridge::cognito::plan(&desired, current.as_ref())),
                    Err(e) => Err(e),
                }
            } else {
                self.client.apply(&desired).await
            };
            let entry = |changes: Vec<String>, error: Option<String>| SyncedUser {
                id: id.clone(),
                user_name: user_name.clone().unwrap_or_default(),
                changes,
                error,
            };
            match outcome {
                Ok(changes) if changes.is_empty() => {}
                Ok(changes) => {
                    report.changed += 1;
                    report.details.push(entry(changes.iter().map(ToString::to_string).collect(), None));
                }
                Err(e) => {
                    report.failed += 1;
                    report.details.push(entry(Vec::new(), Some(e.to_string())));
                }
            }
            progress(done + 1, total);
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(attempts: u32, jitter: f64, expected_ms: u64) {
        assert_eq!(
            backoff(attempts, jitter, Duration::from_secs(300)).as_millis(),
            u128::from(expected_ms),
            "{attempts} {jitter}"
        );
    }

    #[test]
    fn backoff_doubles_with_jitter_and_a_cap() {
        check(0, 1.0, 1_000);
        check(0, 0.0, 500);
        check(3, 1.0, 8_000);
        check(30, 1.0, 300_000);
        check(30, 0.0, 150_000);
    }
}
