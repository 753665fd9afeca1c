//! `stackflow-admin`: the operator CLI of StackFlow's Okta integration. It reads the same
//! configuration as the server (stackflow.toml, `STACKFLOW__*` variables), so both act on the same
//! instance, and performs the same operations as the admin API.

mod roles;

use anyhow::Context;
use clap::{Parser, Subcommand};
use provider::{IntegrationSettings, Provider};
use secrecy::ExposeSecret;
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
    /// Okta group → StackFlow role mappings.
    #[command(subcommand)]
    Mappings(roles::MappingsCommand),
    /// StackFlow users.
    #[command(subcommand)]
    Users(roles::UsersCommand),
    /// Groups pushed by Okta.
    #[command(subcommand)]
    Groups(roles::GroupsCommand),
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Generate a new token and print it once; the previous token stops working.
    Generate,
    /// Generate a new token; the previous one keeps working for --grace-seconds.
    Rotate {
        /// How long the previous token stays valid.
        #[arg(long, default_value_t = 0)]
        grace_seconds: u64,
    },
    /// Revoke every token: SCIM answers 401 until a new one is generated.
    Revoke,
    /// Whether a token is set.
    Status,
}

#[derive(Subcommand)]
enum OktaCommand {
    /// Change the provisioning toggles (unnamed ones keep their value).
    Configure {
        /// Enable SCIM 2.0 provisioning (seed default: false).
        #[arg(long)]
        scim_enabled: Option<bool>,
        /// Sync Okta groups to StackFlow roles (default: true when SCIM is enabled).
        #[arg(long)]
        group_sync: Option<bool>,
        /// Deactivate the StackFlow user when Okta deprovisions it (default: true).
        #[arg(long)]
        deactivate_on_offboard: Option<bool>,
    },
    /// Show the current settings.
    Show,
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

fn print_settings(s: &IntegrationSettings, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::json!({
                "scim_enabled": s.scim_enabled,
                "group_sync": s.group_sync_effective(),
                "deactivate_on_offboard": s.deactivate_on_offboard,
            })
        );
    } else {
        println!("SCIM Enabled:           {}", s.scim_enabled);
        println!(
            "Group Sync:             {}{}",
            s.group_sync_effective(),
            if s.group_sync.is_none() { " (default: follows SCIM Enabled)" } else { "" }
        );
        println!("Deactivate on Offboard: {}", s.deactivate_on_offboard);
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = Config::load(cli.config.as_deref())?;
    let provider: Provider = stackflow_server::provider_from_config(&config).await.context("opening the database")?;
    match cli.command {
        Command::ScimToken(TokenCommand::Generate) => print_token(&provider, None, cli.json).await?,
        Command::ScimToken(TokenCommand::Rotate { grace_seconds }) => {
            print_token(&provider, Some(std::time::Duration::from_secs(grace_seconds)), cli.json).await?
        }
        Command::ScimToken(TokenCommand::Revoke) => {
            let n = provider.tokens().revoke("admin-cli").await?;
            if cli.json {
                println!("{}", serde_json::json!({ "revoked": n }));
            } else {
                println!("revoked {n} token(s); SCIM requests are refused until `stackflow-admin scim-token generate`");
            }
        }
        Command::ScimToken(TokenCommand::Status) => {
            let set = provider.tokens().exists().await?;
            if cli.json {
                println!("{}", serde_json::json!({ "token_set": set }));
            } else {
                println!(
                    "SCIM token: {}",
                    if set { "set" } else { "not set (run: stackflow-admin scim-token generate)" }
                );
            }
            if !set {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Okta(OktaCommand::Configure { scim_enabled, group_sync, deactivate_on_offboard }) => {
            let mut s = provider.settings().await?;
            if let Some(v) = scim_enabled {
                s.scim_enabled = v;
            }
            if let Some(v) = group_sync {
                s.group_sync = Some(v);
            }
            if let Some(v) = deactivate_on_offboard {
                s.deactivate_on_offboard = v;
            }
            provider.save_settings(&s, "admin-cli").await?;
            print_settings(&s, cli.json);
        }
        Command::Okta(OktaCommand::Show) => print_settings(&provider.settings().await?, cli.json),
        Command::Mappings(command) => return roles::mappings(&provider, command, cli.json).await,
        Command::Users(command) => return roles::users(&provider, command, cli.json).await,
        Command::Groups(command) => return roles::groups(&provider, command, cli.json).await,
    }
    Ok(ExitCode::SUCCESS)
}

async fn print_token(provider: &Provider, grace: Option<std::time::Duration>, json: bool) -> anyhow::Result<()> {
    let token = provider.tokens().generate("admin-cli", grace).await?;
    if json {
        println!("{}", serde_json::json!({ "token": token.expose_secret() }));
    } else {
        println!("{}", token.expose_secret());
        eprintln!("This SCIM token is shown once. Paste it into Okta (Provisioning → Integration → API Token).");
        match grace {
            Some(g) if !g.is_zero() => eprintln!("The previous token keeps working for {} s.", g.as_secs()),
            _ => eprintln!("The previous token no longer works."),
        }
    }
    Ok(())
}
