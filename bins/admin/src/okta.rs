//! `okta`, `scim-token` and `doctor` commands: the Integration Hub's Okta page for a terminal —
//! settings (secrets read from a file or stdin, never argv), Save & Test, the SCIM token lifecycle
//! and the troubleshooting doctor. A failed check exits non-zero.

use anyhow::Context;
use clap::Subcommand;
use provider::integration::{format_time, CheckStatus, OktaSettingsUpdate, OktaSettingsView, Report};
use provider::{Provider, TokenStatus};
use secrecy::{ExposeSecret, SecretString};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// The actor recorded in the audit log for CLI changes.
const ACTOR: &str = "admin-cli";

/// `stackflow-admin scim-token …`
#[derive(Subcommand)]
pub enum TokenCommand {
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
    /// Whether a token is set, when it was generated and last used, rejected attempts.
    Status,
}

/// `stackflow-admin okta …`
#[derive(Subcommand)]
pub enum OktaCommand {
    /// Change the Okta settings (unnamed ones keep their value).
    Configure {
        /// Okta Domain, e.g. your-org.okta.com.
        #[arg(long)]
        domain: Option<String>,
        /// File holding the Okta API token (`-`: read it from stdin).
        #[arg(long)]
        api_token_file: Option<PathBuf>,
        /// OIDC Client ID (SSO only; empty clears it).
        #[arg(long)]
        oidc_client_id: Option<String>,
        /// File holding the OIDC client secret (`-`: read it from stdin).
        #[arg(long)]
        oidc_client_secret_file: Option<PathBuf>,
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
    /// Show the current settings (secrets only as set / not set).
    Show,
    /// Save & Test: check the settings against Okta and StackFlow; exits 1 when a check fails.
    Test,
}

fn read_secret(path: &Path) -> anyhow::Result<SecretString> {
    let mut text = String::new();
    if path == Path::new("-") {
        std::io::stdin().read_to_string(&mut text).context("reading the secret from stdin")?;
    } else {
        text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    }
    Ok(SecretString::from(text.trim().to_owned()))
}

fn print_view(v: &OktaSettingsView, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(v)?);
        return Ok(());
    }
    let state = |s| serde_json::to_value(s).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
    println!("Okta Domain:            {}", v.okta_domain.as_deref().unwrap_or("(not set)"));
    println!("API Token:              {}", state(v.api_token));
    println!("OIDC Client ID:         {}", v.oidc_client_id.as_deref().unwrap_or("(not set)"));
    println!("OIDC Client Secret:     {}", state(v.oidc_client_secret));
    println!("SCIM Enabled:           {}", v.scim_enabled);
    let default = if v.group_sync_default { " (default: follows SCIM Enabled)" } else { "" };
    println!("Group Sync:             {}{default}", v.group_sync);
    println!("Deactivate on Offboard: {}", v.deactivate_on_offboard);
    println!("Secret store:           {}", v.secret_store);
    Ok(())
}

/// Prints a Save & Test or doctor report; failure when a check failed.
fn print_report(report: &Report, json: bool, empty: &str) -> anyhow::Result<ExitCode> {
    if json {
        println!("{}", serde_json::to_string_pretty(report)?);
    } else {
        if report.checks.is_empty() {
            println!("{empty}");
        }
        for c in &report.checks {
            let mark = match c.status {
                CheckStatus::Ok => "ok     ",
                CheckStatus::Warning => "warning",
                CheckStatus::Failed => "FAILED ",
            };
            println!("{mark} {:<28} {}", c.name, c.message);
            if let Some(fix) = &c.fix {
                println!("        {:<28} fix: {fix}", "");
            }
        }
    }
    Ok(if report.ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Runs an `okta` command.
pub async fn okta(provider: &Provider, command: OktaCommand, json: bool) -> anyhow::Result<ExitCode> {
    match command {
        OktaCommand::Configure {
            domain,
            api_token_file,
            oidc_client_id,
            oidc_client_secret_file,
            scim_enabled,
            group_sync,
            deactivate_on_offboard,
        } => {
            let update = OktaSettingsUpdate {
                okta_domain: domain,
                api_token: api_token_file.as_deref().map(read_secret).transpose()?,
                oidc_client_id,
                oidc_client_secret: oidc_client_secret_file.as_deref().map(read_secret).transpose()?,
                scim_enabled,
                group_sync,
                deactivate_on_offboard,
            };
            print_view(&provider.configure_okta(update, ACTOR).await?, json)?;
        }
        OktaCommand::Show => print_view(&provider.okta_settings().await?, json)?,
        OktaCommand::Test => return print_report(&provider.test_okta().await?, json, "no checks"),
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `doctor`: exits 1 when a finding is a failure.
pub async fn doctor(provider: &Provider, json: bool) -> anyhow::Result<ExitCode> {
    print_report(&provider.doctor().await?, json, "no problems found")
}

fn print_status(s: &TokenStatus, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(s)?);
        return Ok(());
    }
    println!("SCIM token:     {}", if s.set { "set" } else { "not set (run: stackflow-admin scim-token generate)" });
    println!("generated:      {}", format_time(s.created_at));
    println!("last used:      {}", format_time(s.last_used_at));
    for until in &s.grace_until {
        println!("previous token: valid until {}", format_time(Some(*until)));
    }
    println!("rejected:       {} since {}", s.rejected_count, format_time(s.rejected_since));
    println!("last rejected:  {}", format_time(s.last_rejected_at));
    Ok(())
}

/// Runs a `scim-token` command.
pub async fn scim_token(provider: &Provider, command: TokenCommand, json: bool) -> anyhow::Result<ExitCode> {
    match command {
        TokenCommand::Generate => print_token(provider, None, json).await?,
        TokenCommand::Rotate { grace_seconds } => {
            print_token(provider, Some(Duration::from_secs(grace_seconds)), json).await?
        }
        TokenCommand::Revoke => {
            let n = provider.tokens().revoke(ACTOR).await?;
            if json {
                println!("{}", serde_json::json!({ "revoked": n }));
            } else {
                println!("revoked {n} token(s); SCIM requests are refused until `stackflow-admin scim-token generate`");
            }
        }
        TokenCommand::Status => {
            let status = provider.tokens().status().await?;
            print_status(&status, json)?;
            if !status.set {
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn print_token(provider: &Provider, grace: Option<Duration>, json: bool) -> anyhow::Result<()> {
    let grace = grace.filter(|g| !g.is_zero());
    let token = provider.tokens().generate(ACTOR, grace).await?;
    if json {
        println!("{}", serde_json::json!({ "token": token.expose_secret() }));
    } else {
        println!("{}", token.expose_secret());
        eprintln!("This SCIM token is shown once. Paste it into Okta (Provisioning → Integration → API Token).");
        match grace {
            Some(g) => eprintln!("The previous token keeps working for {} s.", g.as_secs()),
            None => eprintln!("The previous token no longer works."),
        }
    }
    Ok(())
}
