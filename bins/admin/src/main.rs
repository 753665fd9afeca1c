//! `stackflow-admin`: the operator CLI of StackFlow's Okta integration. It reads the same
//! configuration as the server (stackflow.toml, `STACKFLOW__*` variables), so both act on the same
//! instance, and performs the same operations as the admin API.

/// mimalloc, for Rust's and SQLite's allocations alike (see the workspace's Cargo.toml).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod mirror;
mod okta;
mod roles;
mod verify;

use anyhow::Context;
use clap::{Parser, Subcommand};
use okta::{OktaCommand, TokenCommand};
use provider::Provider;
use stackflow_server::config::Config;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "stackflow-admin", version, about = "Operate StackFlow's Okta integration")]
struct Cli {
    /// Configuration file (default: $STACKFLOW_CONFIG or ./stackflow.toml, if present).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Print machine-readable JSON.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The SCIM bearer token Okta uses (Admin → Integration Hub → Okta → SCIM Token).
    #[command(subcommand, name = "scim-token")]
    ScimToken(TokenCommand),
    /// The Okta integration settings.
    #[command(subcommand)]
    Okta(OktaCommand),
    /// Diagnose the Okta guide's troubleshooting cases from stored facts; exits 1 on a failure.
    Doctor,
    /// Okta group → StackFlow role mappings.
    #[command(subcommand)]
    Mappings(roles::MappingsCommand),
    /// StackFlow users.
    #[command(subcommand)]
    Users(roles::UsersCommand),
    /// Groups pushed by Okta.
    #[command(subcommand)]
    Groups(roles::GroupsCommand),
    /// The Cognito mirror's delivery queue.
    #[command(subcommand)]
    Outbox(mirror::OutboxCommand),
    /// The Cognito user pool mirror.
    #[command(subcommand)]
    Cognito(mirror::CognitoCommand),
    /// Walk the Okta guide's four "Testing the Integration" checks live; exits 1 if one fails.
    Verify(verify::VerifyArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = Config::load(cli.config.as_deref())?;
    let provider: Provider = stackflow_server::provider_from_config(&config).await.context("opening the database")?;
    match cli.command {
        Command::ScimToken(command) => okta::scim_token(&provider, command, cli.json).await,
        Command::Okta(command) => okta::okta(&provider, command, cli.json).await,
        Command::Doctor => okta::doctor(&provider, cli.json).await,
        Command::Mappings(command) => roles::mappings(&provider, command, cli.json).await,
        Command::Users(command) => roles::users(&provider, command, cli.json).await,
        Command::Groups(command) => roles::groups(&provider, command, cli.json).await,
        Command::Outbox(command) => mirror::outbox(&provider, &config, command, cli.json).await,
        Command::Cognito(command) => mirror::cognito(&provider, &config, command, cli.json).await,
        Command::Verify(args) => verify::verify(&provider, args, cli.json).await,
    }
}
