//! The Okta integration settings the provider obeys (the seed's Field Reference toggles), stored in
//! the `settings` table and cached for a few seconds.

use crate::Result;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::Store;
use tokio::sync::RwLock;

/// The provisioning toggles of the Okta integration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IntegrationSettings {
    /// Enable SCIM 2.0 provisioning (seed default: false). While off, SCIM endpoints answer 403.
    pub scim_enabled: bool,
    /// Sync Okta groups to StackFlow roles; `None` follows the seed default (true when SCIM is on).
    pub group_sync: Option<bool>,
    /// Deactivate the StackFlow user when Okta deprovisions it (seed default: true).
    pub deactivate_on_offboard: bool,
    /// The Okta org's host name, normalised by `sso_bridge::OktaDomain` (required for Save & Test).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub okta_domain: Option<String>,
    /// The client ID of StackFlow's Okta OIDC app (SSO only). Its secret lives in the secret store.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oidc_client_id: Option<String>,
}

impl Default for IntegrationSettings {
    fn default() -> Self {
        IntegrationSettings {
            scim_enabled: false,
            group_sync: None,
            deactivate_on_offboard: true,
            okta_domain: None,
            oidc_client_id: None,
        }
    }
}

impl IntegrationSettings {
    /// Group Sync as it applies: the explicit setting, else on exactly when SCIM is enabled.
    pub fn group_sync_effective(&self) -> bool {
        self.group_sync.unwrap_or(self.scim_enabled)
    }
}

/// Reads the stored settings (defaults when none were saved).
pub async fn load(store: &Store) -> Result<IntegrationSettings> {
    match store::settings::get(store.conn(), store::settings::OKTA_INTEGRATION).await? {
        None => Ok(IntegrationSettings::default()),
        Some(value) => serde_json::from_value(value).map_err(|e| {
            store::Error::Corrupt {
                kind: "setting",
                id: store::settings::OKTA_INTEGRATION.into(),
                reason: e.to_string(),
            }
            .into()
        }),
    }
}

/// Saves `new` and audits which fields changed, in one transaction. With the Cognito mirror on
/// (`mirror_on`), a change of Deactivate on Offboard also queues a sync of every user Okta
/// deprovisioned, in the same transaction: their Cognito accounts are enabled or disabled to match.
pub async fn save(store: &Store, new: &IntegrationSettings, mirror_on: bool, actor: &str) -> Result<()> {
    save_with_secrets(store, new, &[], mirror_on, actor).await
}

/// Saves `new` and audits which fields changed — including the names (never the values) of the
/// secrets written just before — in one transaction.
pub(crate) async fn save_with_secrets(
    store: &Store,
    new: &IntegrationSettings,
    secrets_written: &[&'static str],
    mirror_on: bool,
    actor: &str,
) -> Result<()> {
    let now = store::time::now();
    let txn = store.write().await?;
    let old = match store::settings::get(&*txn, store::settings::OKTA_INTEGRATION).await? {
        Some(v) => serde_json::from_value::<IntegrationSettings>(v).unwrap_or_default(),
        None => IntegrationSettings::default(),
    };
    let value = serde_json::to_value(new).unwrap_or_default();
    store::settings::put(&*txn, store::settings::OKTA_INTEGRATION, &value, now).await?;
    let mut changed = Vec::new();
    if old.scim_enabled != new.scim_enabled {
        changed.push("scim_enabled");
    }
    if old.group_sync != new.group_sync {
        changed.push("group_sync");
    }
    if old.deactivate_on_offboard != new.deactivate_on_offboard {
        changed.push("deactivate_on_offboard");
    }
    if old.okta_domain != new.okta_domain {
        changed.push("okta_domain");
    }
    if old.oidc_client_id != new.oidc_client_id {
        changed.push("oidc_client_id");
    }
    changed.extend_from_slice(secrets_written);
    let mut detail = serde_json::json!({ "changed": changed, "new": value });
    if old.deactivate_on_offboard != new.deactivate_on_offboard {
        // Whether a deprovisioned account is usable just changed: the Cognito pool must follow.
        let deprovisioned = store::users::deprovisioned_ids(&*txn).await?;
        crate::mirror::enqueue_sync(&*txn, mirror_on, &deprovisioned).await?;
        detail["deprovisionedUsers"] = serde_json::json!(deprovisioned.len());
    }
    store::audit::append(
        &*txn,
        &store::audit::AuditEvent::new(
            now,
            actor,
            "settings.updated",
            "Settings",
            Some(store::settings::OKTA_INTEGRATION),
            detail,
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A TTL cache of the settings, shared by clones.
#[derive(Clone)]
pub(crate) struct SettingsCache {
    store: Store,
    ttl: Duration,
    slot: Arc<RwLock<Option<(Instant, IntegrationSettings)>>>,
}

impl SettingsCache {
    pub(crate) fn new(store: Store, ttl: Duration) -> Self {
        SettingsCache { store, ttl, slot: Arc::new(RwLock::new(None)) }
    }

    pub(crate) async fn get(&self) -> Result<IntegrationSettings> {
        if let Some((at, s)) = self.slot.read().await.as_ref() {
            if at.elapsed() < self.ttl {
                return Ok(s.clone());
            }
        }
        let fresh = load(&self.store).await?;
        *self.slot.write().await = Some((Instant::now(), fresh.clone()));
        Ok(fresh)
    }

    pub(crate) async fn invalidate(&self) {
        *self.slot.write().await = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(json: serde_json::Value, scim: bool, group_sync: bool, deactivate: bool) {
        let s: IntegrationSettings = serde_json::from_value(json).unwrap();
        assert_eq!(
            (s.scim_enabled, s.group_sync_effective(), s.deactivate_on_offboard),
            (scim, group_sync, deactivate)
        );
    }

    #[test]
    fn seed_defaults() {
        check(serde_json::json!({}), false, false, true);
        check(serde_json::json!({"scim_enabled": true}), true, true, true);
        check(serde_json::json!({"scim_enabled": true, "group_sync": false}), true, false, true);
        check(serde_json::json!({"deactivate_on_offboard": false}), false, false, false);
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(serde_json::from_value::<IntegrationSettings>(serde_json::json!({"scim_enable": true})).is_err());
    }
}
