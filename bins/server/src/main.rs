//! `stackflow-server`: runs the StackFlow Okta integration service.

/// mimalloc, for Rust's and SQLite's allocations alike (see the workspace's Cargo.toml).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::Context;
use secrecy::ExposeSecret;
use stackflow_server::config::{Config, LogFormat};
use stackflow_server::Application;

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&config.log_level));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match config.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::load(None)?;
    init_logging(&config);
    let app = Application::build(config.clone()).await.context("starting stackflow-server")?;
    let provider = app.provider();
    if !provider.tokens().exists().await? {
        // First start on an empty database: make the quick start a single command. The token goes
        // to stdout once, never to the log.
        let token = provider.tokens().generate("system", None).await?;
        println!(
            "SCIM bearer token (shown once; paste it into Okta → Provisioning → Integration): {}",
            token.expose_secret()
        );
    }
    if !provider.settings().await?.scim_enabled {
        println!("SCIM provisioning is disabled (the default). Enable it with: stackflow-admin okta configure --scim-enabled true");
    }
    println!("SCIM base URL: {}", config.scim_base_url());
    tracing::info!(bind = %config.bind, port = app.port(), "stackflow-server listening");
    app.run_until_stopped().await?;
    Ok(())
}
