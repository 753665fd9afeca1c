//! # stackflow-server
//!
//! The HTTP service of StackFlow's Okta integration: the SCIM 2.0 provider Okta drives (`/scim/v2`)
//! and health endpoints. Thin: configuration, routing, authentication and error mapping; the work is
//! done by the `provider` crate.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod config;
pub mod error;
pub mod health;
pub mod scim;

use actix_web::dev::Server;
use actix_web::{middleware, web, App, HttpServer};
use anyhow::Context;
use provider::{Provider, ProviderOptions};
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
}

/// Connects to (and migrates) the configured database and builds the provider.
pub async fn provider_from_config(config: &Config) -> anyhow::Result<Provider> {
    let options = DbOptions { max_connections: config.max_connections, ..DbOptions::default() };
    let store = Store::connect(config.database_url.expose_secret(), &options).await?;
    let mut provider_options = ProviderOptions::new(config.scim_base_url());
    provider_options.max_payload_size = config.body_limit as u64;
    Ok(Provider::new(store, provider_options))
}

/// A built, bound server, ready to run.
pub struct Application {
    port: u16,
    server: Server,
    provider: Provider,
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
        let state = web::Data::new(AppState { provider: provider.clone(), body_limit: config.body_limit });
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .wrap(middleware::Logger::new("%a \"%r\" %s %b %Dms").log_target("stackflow::http"))
                .configure(health::configure)
                .service(web::scope("/scim/v2").configure(scim::configure))
        })
        .listen(listener)?;
        if let Some(workers) = config.workers {
            server = server.workers(workers);
        }
        Ok(Application { port: addr.port(), server: server.run(), provider })
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
        self.server.await
    }
}
