//! `stackflow-admin verify` as an operator runs it: the binary follows the audit log of a SQLite
//! database while this test plays Okta through the provider on the same database. All steps pass
//! (exit 0, JSON report); with nothing happening step 1 fails naming the missing SCIM token (exit 1).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use provider::{IntegrationSettings, Provider};
use serde_json::{json, Value};
use stackflow_server::config::Config;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A temporary instance: its configuration file and a provider over its database.
async fn instance(dir: &Path) -> (PathBuf, Provider) {
    let config = dir.join("stackflow.toml");
    let db = dir.join("stackflow.db");
    std::fs::write(&config, format!("[database]\nurl = \"sqlite://{}?mode=rwc\"\n", db.display())).unwrap();
    let provider = stackflow_server::provider_from_config(&Config::load(Some(&config)).unwrap()).await.unwrap();
    (config, provider)
}

/// Runs `stackflow-admin --config <config> --json verify <args>` in the background.
fn spawn_verify(config: &Path, args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_stackflow-admin"))
        .arg("--config")
        .arg(config)
        .args(["--json", "verify"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits (bounded: 60 s) for the child to exit, killing it on timeout.
fn finish(mut child: std::process::Child) -> Output {
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("stackflow-admin verify did not exit within 60 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.wait_with_output().unwrap()
}

fn report(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: stdout {:?} stderr {:?}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[tokio::test]
async fn verify_follows_okta_through_the_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    let (config, provider) = instance(dir.path()).await;
    provider.tokens().generate("test", None).await.unwrap();
    provider.save_settings(&IntegrationSettings { scim_enabled: true, ..Default::default() }, "test").await.unwrap();
    let child = spawn_verify(&config, &["--steps", "1,2,4", "--timeout", "30"]);
    // Give the CLI time to take its cursor: only what happens after it counts.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let user = provider
        .create_user(&json!({ "userName": "ada@example.com", "name": { "givenName": "Ada" }, "active": true }))
        .await
        .unwrap();
    let id = user.json["id"].as_str().unwrap().to_owned();
    provider.create_group(&json!({ "displayName": "StackFlow-Agents", "members": [{ "value": id }] })).await.unwrap();
    let deactivate = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{ "op": "replace", "value": { "active": false } }]
    });
    provider.patch_user(&id, &deactivate, None).await.unwrap();

    let out = finish(child);
    let report = report(&out);
    assert!(out.status.success(), "{report:#}");
    assert_eq!(report["ok"], true);
    let steps = report["steps"].as_array().unwrap();
    assert_eq!(steps.iter().map(|s| s["step"].as_u64().unwrap()).collect::<Vec<_>>(), [1, 2, 4]);
    assert!(steps.iter().all(|s| s["status"] == "passed"), "{report:#}");
    assert_eq!(steps[0]["user"]["id"], id.as_str());
    assert!(steps[1]["message"].as_str().unwrap().contains("no role → itsm_agent"), "{report:#}");
    // The instructions went to stderr, so stdout is one JSON document.
    assert!(String::from_utf8_lossy(&out.stderr).contains("Step 1: Assign a test user in Okta"));
}

#[tokio::test]
async fn verify_times_out_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let (config, _provider) = instance(dir.path()).await;
    // A fresh instance: no SCIM token yet, SCIM disabled; nothing will happen.
    let out = finish(spawn_verify(&config, &["--steps", "1,3", "--timeout", "1"]));
    let report = report(&out);
    assert_eq!(out.status.code(), Some(1), "{report:#}");
    let step1 = &report["steps"][0];
    assert_eq!(step1["status"], "failed");
    assert!(step1["message"].as_str().unwrap().contains("no SCIM token is set"), "{report:#}");
    assert!(step1["fix"].as_str().unwrap().contains("SCIM Token"), "{report:#}");
    assert_eq!(report["steps"][1]["status"], "skipped");

    // Steps after 1 need to know the user.
    let out = finish(spawn_verify(&config, &["--steps", "2"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--user <userName> is required"));
}
