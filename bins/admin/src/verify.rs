//! `verify` command: walks the Okta guide's four "Testing the Integration" checks live. Each step
//! says what to do in Okta, then follows the audit log (with a spinner) until the step is seen or
//! its timeout passes; a timeout reports the likely cause and fix from `provider::verify`.

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use provider::verify::{evaluate, Step, StepResult, StepStatus, Subject};
use provider::Provider;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// How often the audit log is read while waiting.
const POLL: Duration = Duration::from_secs(1);

/// Audit events read per poll (more are read on the next poll).
const PAGE: u64 = 1000;

/// `stackflow-admin verify …`
#[derive(Args)]
pub struct VerifyArgs {
    /// The userName of the test user (default: the first user SCIM creates during step 1; required
    /// when step 1 is not run).
    #[arg(long)]
    user: Option<String>,
    /// Seconds each step waits for Okta before it fails.
    #[arg(long, default_value_t = 300)]
    timeout: u64,
    /// The steps to run, e.g. `1,2` (default: all four).
    #[arg(long, value_delimiter = ',', default_values_t = [1u8, 2, 3, 4],
          value_parser = clap::value_parser!(u8).range(1..=4))]
    steps: Vec<u8>,
}

fn spinner(step: Step, json: bool) -> ProgressBar {
    let bar = if json { ProgressBar::hidden() } else { ProgressBar::new_spinner() };
    if let Ok(style) = ProgressStyle::with_template("  {spinner} {msg} ({elapsed})") {
        bar.set_style(style);
    }
    bar.set_message(format!("waiting for step {}", step.number()));
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// Waits for one step: reads the audit events after event `start` until `evaluate` says passed or
/// failed, or the timeout passes (then judged once more with the doctor's findings).
async fn wait_for(
    provider: &Provider,
    step: Step,
    subject: &Subject,
    start: i64,
    timeout: u64,
    json: bool,
) -> anyhow::Result<StepResult> {
    let mut cursor = start;
    let deadline = Instant::now() + Duration::from_secs(timeout);
    let bar = spinner(step, json);
    let mut events = Vec::new();
    let result = loop {
        let page = provider.audit_after(cursor, PAGE).await?;
        cursor = page.last().map_or(cursor, |e| e.id);
        events.extend(page);
        let user_name = subject.user_name.as_deref();
        let facts = provider.verify_facts(user_name, false).await?;
        let result = evaluate(step, subject, &events, &facts);
        if result.status != StepStatus::Waiting {
            break result;
        }
        if Instant::now() >= deadline {
            let facts = provider.verify_facts(user_name, true).await?;
            break evaluate(step, subject, &events, &facts).timed_out(timeout);
        }
        bar.set_message(format!("waiting for step {}: {}", step.number(), result.message));
        tokio::time::sleep(POLL).await;
    };
    bar.finish_and_clear();
    Ok(result)
}

fn print_step(result: &StepResult) {
    let mark = match result.status {
        StepStatus::Passed => "✓",
        StepStatus::Skipped => "-",
        StepStatus::Waiting | StepStatus::Failed => "✗",
    };
    println!("  {mark} {}", result.message);
    if let Some(fix) = &result.fix {
        println!("    fix: {fix}");
    }
}

/// Runs `verify`; exits 1 unless every step passed.
pub async fn verify(provider: &Provider, args: VerifyArgs, json: bool) -> anyhow::Result<ExitCode> {
    let mut steps: Vec<Step> = args.steps.iter().filter_map(|n| Step::from_number(*n)).collect();
    steps.sort_by_key(|s| s.number());
    steps.dedup();
    if !steps.contains(&Step::AssignUser) && args.user.is_none() {
        anyhow::bail!("--user <userName> is required when step 1 is not run");
    }
    let mut subject = match &args.user {
        Some(name) => {
            let id = provider.account(name).await?.map(|a| a.id);
            Subject { id, user_name: Some(name.clone()) }
        }
        None => Subject::default(),
    };
    // Step 1 waits for what happens from now on; each later step starts right after the event that
    // proved the previous one, so a change Okta sends at once (e.g. the group push that follows the
    // assignment) is not missed while the previous step is printed.
    let mut start = provider.audit_cursor().await?;
    let mut results: Vec<StepResult> = Vec::new();
    for step in steps {
        if let Some(failed) = results.iter().find(|r| r.status != StepStatus::Passed) {
            results.push(StepResult::skipped(step, failed.step));
            continue;
        }
        // The instructions go to stderr with --json, so stdout stays one JSON document.
        let intro = format!("Step {}: {}\n  {}", step.number(), step.title(), step.instruction());
        if json {
            eprintln!("{intro}");
        } else {
            println!("{intro}");
        }
        let result = wait_for(provider, step, &subject, start, args.timeout, json).await?;
        if result.status == StepStatus::Passed {
            subject = result.user.clone();
            start = result.event_id.unwrap_or(start);
        }
        if !json {
            print_step(&result);
        }
        results.push(result);
    }
    let ok = results.iter().all(|r| r.status == StepStatus::Passed);
    if json {
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "ok": ok, "steps": results }))?);
    } else if ok {
        println!("All checks passed.");
    }
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
