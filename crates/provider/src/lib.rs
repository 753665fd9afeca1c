//! # provider
//!
//! The embeddable SCIM 2.0 provider of StackFlow's Okta integration. It turns one SCIM request into
//! one transaction: validate with `scim-core`, write the `store`, audit the change — all or nothing —
//! and renders the answer. HTTP servers (ours is `stackflow-server`) only parse requests, call one
//! method here and map the [`Error`] to a response; other Rust services can embed it the same way.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod auth;
mod error;
mod groups;
pub mod integration;
pub mod mirror;
pub mod roles;
mod search;
pub mod settings;
pub mod sso;
mod users;
pub mod verify;

pub use auth::{TokenCheck, TokenGate, TokenStatus};
pub use error::{Error, Result};
pub use mirror::{Mirror, MirrorOptions, SyncReport};
pub use roles::{Cause, MappingChange, MappingsView, UnmappedGroup, UserAccount, UserExplanation, UserRoleChange};
pub use settings::IntegrationSettings;

use scim_core::{ListLimits, ProviderCapabilities};
use std::time::Duration;
use store::Store;

/// What an HTTP layer answers with: the rendered resource and its ETag.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// The SCIM JSON of the resource (projected as asked).
    pub json: serde_json::Value,
    /// `W/"<version>"`.
    pub etag: String,
}

/// Provider options (from the server's configuration).
#[derive(Debug, Clone)]
pub struct ProviderOptions {
    /// Absolute base URL of the SCIM endpoints, e.g. `https://sf.example.com/scim/v2`, used in
    /// `meta.location` and `$ref`.
    pub base_url: String,
    /// Paging limits.
    pub limits: ListLimits,
    /// Largest accepted request body, stated in ServiceProviderConfig.
    pub max_payload_size: u64,
    /// How long settings and token hashes are cached before re-reading the database, which bounds
    /// how fast another replica's change is seen.
    pub cache_ttl: Duration,
    /// Whether writes append Cognito outbox records (the mirror is configured). Off, nothing is
    /// queued: enabling the mirror later starts with `stackflow-admin cognito sync`.
    pub cognito_outbox: bool,
    /// What `PATCH /Groups/{id}` answers with.
    pub group_patch_response: GroupPatchResponse,
    /// Base URL of the Okta org used instead of `https://<okta_domain>` — for tests and emulators
    /// only.
    pub okta_base_url_override: Option<String>,
    /// Timeout of each outbound Okta call (Save & Test).
    pub okta_timeout: Duration,
}

/// The answer to a group PATCH. RFC 7644 §3.5.2 allows 200 with the resource (subject to the
/// `attributes` parameter) or 204. The default, 200 with the whole group, makes every membership
/// change cost the size of the group (a 100-member add to a 100,000-member group answers with
/// 100,000 members); deployments that push large groups should answer 204, which Okta and Entra
/// accept (see docs/benchmarks.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupPatchResponse {
    /// 200 with the whole group, members included.
    #[default]
    Full,
    /// 200 with the group (new `meta.version`), members only when asked for with `attributes`.
    WithoutMembers,
    /// 204 No Content (the ETag header carries the new version); O(changes) whatever the group size.
    NoContent,
}

impl ProviderOptions {
    /// Options for `base_url` with the defaults (100 per page, at most 1,000; 1 MiB; 2 s caches).
    pub fn new(base_url: impl Into<String>) -> Self {
        ProviderOptions {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            limits: ListLimits { default_count: 100, max_results: 1000 },
            max_payload_size: 1024 * 1024,
            cache_ttl: Duration::from_secs(2),
            cognito_outbox: false,
            group_patch_response: GroupPatchResponse::default(),
            okta_base_url_override: None,
            okta_timeout: sso_bridge::okta::DEFAULT_TIMEOUT,
        }
    }
}

/// The SCIM provider: one per process, cheap to clone.
#[derive(Clone)]
pub struct Provider {
    store: Store,
    options: std::sync::Arc<ProviderOptions>,
    settings: settings::SettingsCache,
    tokens: TokenGate,
    secrets: Option<std::sync::Arc<dyn store::secrets::SecretStore>>,
    cognito_probe: Option<sso_bridge::cognito::CognitoClient>,
}

impl Provider {
    /// A provider over a migrated store.
    pub fn new(store: Store, options: ProviderOptions) -> Self {
        let settings = settings::SettingsCache::new(store.clone(), options.cache_ttl);
        let tokens = TokenGate::new(store.clone(), options.cache_ttl);
        Provider { store, options: std::sync::Arc::new(options), settings, tokens, secrets: None, cognito_probe: None }
    }

    /// The provider with `secrets` as its secret store (the Okta API token, the OIDC client secret).
    /// Without one, the operations that need a secret fail saying so.
    pub fn with_secrets(mut self, secrets: std::sync::Arc<dyn store::secrets::SecretStore>) -> Self {
        self.secrets = Some(secrets);
        self
    }

    /// The provider with `client` as the Cognito user pool Save & Test checks ("Cognito user pool
    /// reachable", DescribeUserPool). Without one, that check warns: the mirror is off, or (with
    /// `cognito_outbox` on) the pool was not checked.
    pub fn with_cognito_probe(mut self, client: sso_bridge::cognito::CognitoClient) -> Self {
        self.cognito_probe = Some(client);
        self
    }

    /// The store underneath.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The options this provider runs with.
    pub fn options(&self) -> &ProviderOptions {
        &self.options
    }

    /// The SCIM bearer-token gate.
    pub fn tokens(&self) -> &TokenGate {
        &self.tokens
    }

    /// The integration settings (cached for `cache_ttl`).
    pub async fn settings(&self) -> Result<IntegrationSettings> {
        self.settings.get().await
    }

    /// Saves new integration settings (audited) and refreshes the cache.
    pub async fn save_settings(&self, new: &IntegrationSettings, actor: &str) -> Result<()> {
        settings::save(&self.store, new, self.options.cognito_outbox, actor).await?;
        self.settings.invalidate().await;
        Ok(())
    }

    /// `/ServiceProviderConfig`.
    pub fn service_provider_config(&self) -> serde_json::Value {
        scim_core::service_provider_config(
            &self.options.base_url,
            &ProviderCapabilities {
                max_results: self.options.limits.max_results,
                max_payload_size: self.options.max_payload_size,
                documentation_uri: None,
            },
        )
    }
}
