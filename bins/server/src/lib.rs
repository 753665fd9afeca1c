//! # stackflow-server
//!
//! The HTTP service of StackFlow's Okta integration: the SCIM 2.0 provider Okta drives (`/scim/v2`),
//! the Okta sign-in bridge (`/auth/okta`) and health endpoints. Thin: configuration, routing,
//! authentication and error mapping; the work is done by the `provider` and `sso-bridge` crates.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod admin;
pub mod admin_token;
pub mod config;
pub mod error;
pub mod health;
pub mod metrics;
pub mod openapi;
pub mod request_id;
pub mod scim;
pub mod sso;
pub mod webui;

use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};
use anyhow::Context;
use provider::{Mirror, MirrorOptions, Provider, ProviderOptions};
use secrecy::ExposeSecret;
use std::net::TcpListener;
use store::{DbOptions, Store};

pub use config::Config;

/// Shared state of the handlers.
pub struct AppState {
    /// The SCIM provider.
    pub provider: Provider,
    /// Largest accepted request body.
    pub body_limit: usize,
    /// Whether the Cognito mirror is configured (reported by `/readyz`).
    pub cognito: bool,
    /// The admin API's bootstrap token (`None`: the admin API answers 503 saying how to set it).
    pub admin_token: Option<secrecy::SecretString>,
}

/// Connects to (and migrates) the configured database and builds the provider (with the Cognito
/// pool as its Save & Test probe when `[cognito]` is configured).
pub async fn provider_from_config(config: &Config) -> anyhow::Result<Provider> {
    let options = DbOptions { max_connections: config.max_connections, ..DbOptions::default() };
    let store = Store::connect(config.database_url.expose_secret(), &options).await?;
    let mut provider_options = ProviderOptions::new(config.scim_base_url());
    provider_options.max_payload_size = config.body_limit as u64;
    provider_options.group_patch_response = config.group_patch_response;
    provider_options.cognito_outbox = config.cognito.is_some();
    provider_options.okta_base_url_override = config.okta_base_url_override.clone();
    provider_options.okta_timeout = config.okta_timeout;
    let secrets = store::secrets::open(&config.secrets, &store).await.context("opening the secret store")?;
    let provider = Provider::new(store, provider_options).with_secrets(secrets);
    Ok(match &config.cognito {
        // Save & Test's "Cognito user pool reachable" check reads the pool the mirror writes.
        Some(cognito) => provider.with_cognito_probe(cognito_client(cognito).await?),
        None => provider,
    })
}

/// The Cognito client of `[cognito]`, rate-limited as configured.
async fn cognito_client(cognito: &config::CognitoSettings) -> anyhow::Result<sso_bridge::cognito::CognitoClient> {
    Ok(sso_bridge::cognito::CognitoClient::connect(&cognito.pool).await?.with_rate_limit(cognito.rate_limit))
}

/// The Cognito mirror over `provider` when `[cognito]` is configured (`None`: mirror off). The admin
/// CLI uses it for `cognito sync`; the server runs its worker.
pub async fn mirror_from_config(config: &Config, provider: &Provider) -> anyhow::Result<Option<Mirror>> {
    let Some(cognito) = &config.cognito else { return Ok(None) };
    let client = cognito_client(cognito).await?;
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "stackflow".to_owned());
    let mut options = MirrorOptions::new(format!("{host}:{}", std::process::id()));
    options.max_attempts = cognito.max_attempts;
    options.max_backoff = cognito.retry_max;
    options.lease = cognito.lease;
    Ok(Some(Mirror::new(provider.clone(), client, options)))
}

/// A built, bound server, ready to run.
pub struct Application {
    port: u16,
    server: Server,
    provider: Provider,
    /// Stops the Cognito mirror worker (when one runs).
    mirror_stop: Option<tokio::sync::watch::Sender<bool>>,
}

impl Application {
    /// Binds the listener and builds the server (migrating the database first).
    pub async fn build(mut config: Config) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(config.bind).with_context(|| format!("cannot listen on {}", config.bind))?;
        let addr = listener.local_addr()?;
        // With port 0 (tests) the public URL must name the port actually bound.
        if config.bind.port() == 0 && config.public_base_url == "http://127.0.0.1" {
            config.public_base_url = format!("http://{addr}");
        }
        let provider = provider_from_config(&config).await?;
        let mirror = mirror_from_config(&config, &provider).await?;
        // The sign-in bridge syncs a user's Cognito account on demand through the same mirror.
        let sso_state = web::Data::new(sso::SsoState::new(&config, mirror.clone()));
        // Admin sessions of the Integration Hub page, shared by every worker.
        let hub_state = web::Data::new(webui::HubState::new(&config.public_base_url));
        let mirror_stop = match mirror {
            Some(mirror) => {
                let (stop, stopped) = tokio::sync::watch::channel(false);
                tokio::spawn(mirror.run(stopped));
                Some(stop)
            }
            None => {
                tracing::info!("Cognito mirror off ([cognito] not configured)");
                None
            }
        };
        let state = web::Data::new(AppState {
            provider: provider.clone(),
            body_limit: config.body_limit,
            cognito: config.cognito.is_some(),
            admin_token: config.admin_bootstrap_token.clone(),
        });
        let metrics = web::Data::new(metrics::Metrics::new().context("registering the Prometheus metrics")?);
        let request_ids = std::sync::Arc::new(request_id::RequestIds::new());
        let mut server = HttpServer::new(move || {
            let (scim_metrics, sso_metrics) = (metrics.clone().into_inner(), metrics.clone().into_inner());
            let ids = request_ids.clone();
            App::new()
                .app_data(state.clone())
                .app_data(metrics.clone())
                .app_data(sso_state.clone())
                .app_data(hub_state.clone())
                .wrap_fn(move |req, srv| request_id::track(&ids, req, srv))
                .configure(health::configure)
                .configure(metrics::configure)
                .configure(openapi::configure)
                .service(
                    web::scope("/scim/v2")
                        .configure(scim::configure)
                        .wrap_fn(move |req, srv| metrics::scim(&scim_metrics, req, srv)),
                )
                .service(web::scope("/admin/api").configure(admin::configure))
                .configure(webui::configure)
                .service(
                    web::scope("/auth/okta")
                        .configure(sso::configure)
                        .wrap_fn(move |req, srv| metrics::sso(&sso_metrics, req, srv)),
                )
        })
        .listen(listener)?;
        if let Some(workers) = config.workers {
            server = server.workers(workers);
        }
        Ok(Application { port: addr.port(), server: server.run(), provider, mirror_stop })
    }

    /// The port bound (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The provider behind the server (tests use it to seed tokens and settings).
    pub fn provider(&self) -> &Provider {
        &self.provider
    }

    /// Runs until the server is stopped (SIGINT/SIGTERM stop it gracefully).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        if let Some(stop) = self.mirror_stop {
            let _ = stop.send(true);
        }
        result
    }
}
