//! `outbox` and `cognito` commands: the Cognito mirror's delivery queue (what is pending, what
//! failed and why, retrying dead records) and the reconciliation of the user pool with StackFlow.

use anyhow::Context;
use clap::Subcommand;
use provider::Provider;
use stackflow_server::config::Config;
use std::process::ExitCode;

/// `stackflow-admin outbox …`
#[derive(Subcommand)]
pub enum OutboxCommand {
    /// Pending and dead counts, and the age of the oldest pending record.
    Status,
    /// Put dead records back in the queue (all, or the one with --id).
    Retry {
        /// Only this record.
        #[arg(long)]
        id: Option<i64>,
    },
    /// List pending records, or with --failed the failed ones with their error.
    List {
        /// Failed records only (dead, or pending after a failed attempt).
        #[arg(long)]
        failed: bool,
        /// At most this many, newest first.
        #[arg(long, default_value_t = 50)]
        limit: u64,
    },
}

/// `stackflow-admin cognito …`
#[derive(Subcommand)]
pub enum CognitoCommand {
    /// Reconcile every user (or one) with the Cognito user pool: create, update, disable, group.
    Sync {
        /// Only the user with this userName.
        #[arg(long)]
        user: Option<String>,
        /// Print what would change without changing the pool.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Runs an `outbox` command.
pub async fn outbox(
    provider: &Provider,
    config: &Config,
    command: OutboxCommand,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let conn = provider.store().conn();
    match command {
        OutboxCommand::Status => {
            let status = store::outbox::status(conn).await?;
            let age = status.oldest_pending_at.map(|t| (store::time::now() - t).num_seconds().max(0));
            let mirror = if config.cognito.is_some() { "on" } else { "off" };
            if json {
                let mut body = serde_json::to_value(&status)?;
                body["mirror"] = serde_json::json!(mirror);
                body["oldest_pending_age_seconds"] = serde_json::json!(age);
                println!("{body}");
            } else {
                println!("Cognito mirror: {mirror}");
                println!("pending:        {} ({} after a failed attempt)", status.pending, status.retrying);
                println!("dead:           {}", status.dead);
                println!("delivered:      {}", status.done);
                match age {
                    Some(age) => println!("oldest pending: {age} s old"),
                    None => println!("oldest pending: -"),
                }
                if status.dead > 0 {
                    println!("see `stackflow-admin outbox list --failed`, then `stackflow-admin outbox retry`");
                }
            }
            if status.dead > 0 {
                return Ok(ExitCode::FAILURE);
            }
        }
        OutboxCommand::Retry { id } => {
            let txn = provider.store().write().await?;
            let n = store::outbox::retry(&*txn, id, store::time::now()).await?;
            txn.commit().await?;
            if json {
                println!("{}", serde_json::json!({ "requeued": n }));
            } else {
                println!("{n} dead record(s) put back in the queue");
            }
        }
        OutboxCommand::List { failed, limit } => {
            let records = store::outbox::list(conn, failed, limit).await?;
            if json {
                println!("{}", serde_json::to_value(&records)?);
            } else if records.is_empty() {
                println!("{}", if failed { "no failed records" } else { "no pending records" });
            } else {
                for r in &records {
                    println!(
                        "#{} {} user {} state {} attempts {} created {}{}",
                        r.id,
                        r.kind,
                        r.user_id,
                        r.state,
                        r.attempts,
                        r.created_at.to_rfc3339(),
                        r.last_error.as_deref().map(|e| format!("\n    error: {e}")).unwrap_or_default()
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs a `cognito` command.
pub async fn cognito(
    provider: &Provider,
    config: &Config,
    command: CognitoCommand,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let CognitoCommand::Sync { user, dry_run } = command;
    let mirror = stackflow_server::mirror_from_config(config, provider)
        .await?
        .context("the Cognito mirror is off: configure [cognito] user_pool_id and region first")?;
    let bar = if json || user.is_some() {
        indicatif::ProgressBar::hidden()
    } else {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} users ({eta} left)")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    };
    let report = mirror
        .sync(user.as_deref(), dry_run, |done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        })
        .await?;
    bar.finish_and_clear();
    if json {
        println!("{}", serde_json::to_value(&report)?);
    } else {
        for u in &report.details {
            match &u.error {
                Some(e) => println!("{} ({}): FAILED: {e}", u.user_name, u.id),
                None => println!("{} ({}): {}", u.user_name, u.id, u.changes.join("; ")),
            }
        }
        let verb = if dry_run { "would change" } else { "changed" };
        println!("{} user(s) checked, {} {verb}, {} failed", report.users, report.changed, report.failed);
    }
    Ok(if report.failed > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
