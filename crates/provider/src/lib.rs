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
pub mod roles;
mod search;
pub mod settings;
mod users;

pub use auth::{TokenCheck, TokenGate};
pub use error::{Error, Result};
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
}

impl ProviderOptions {
    /// Options for `base_url` with the defaults (100 per page, at most 1,000; 1 MiB; 2 s caches).
    pub fn new(base_url: impl Into<String>) -> Self {
        ProviderOptions {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            limits: ListLimits { default_count: 100, max_results: 1000 },
            max_payload_size: 1024 * 1024,
            cache_ttl: Duration::from_secs(2),
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
}

impl Provider {
    /// A provider over a migrated store.
    pub fn new(store: Store, options: ProviderOptions) -> Self {
        let settings = settings::SettingsCache::new(store.clone(), options.cache_ttl);
        let tokens = TokenGate::new(store.clone(), options.cache_ttl);
        Provider { store, options: std::sync::Arc::new(options), settings, tokens }
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
        settings::save(&self.store, new, actor).await?;
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
