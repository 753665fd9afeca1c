//! The Cognito outbox through the admin API: with the emulator down, a provisioned user's record
//! fails into a dead letter that `GET /outbox/records?failed=true` lists with its error;
//! `POST /outbox/retry` re-queues it and, with the emulator back, the worker delivers it. Also: the
//! bootstrap token is required, and with the mirror off every endpoint says so.

use crate::cognito::Moto;
use crate::helpers::{spawn_app, spawn_app_with, TestApp};
use reqwest::Method;
use serde_json::{json, Value};
use stackflow_server::config::CognitoSettings;
use std::time::{Duration, Instant};

/// Every wait is bounded by this.
const WAIT: Duration = Duration::from_secs(60);

/// Polls `GET /admin/api{path}` until `ok` holds, for at most [`WAIT`]; returns the body.
async fn admin_until(app: &TestApp, path: &str, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        let body = app.admin(Method::GET, path, None).await.expect(200).body;
        if ok(&body) {
            return body;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}: {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn dead_records_are_listed_with_their_error_retried_and_delivered() {
    let mut moto = Moto::start();
    let pool = moto.pool().await;
    // Two attempts, retried fast: a record is dead within seconds while the emulator is down.
    let settings = CognitoSettings {
        pool: pool.config().clone(),
        rate_limit: 500.0,
        max_attempts: 2,
        retry_max: Duration::from_millis(200),
        lease: Duration::from_secs(60),
    };
    let app = spawn_app_with(move |c| c.cognito = Some(settings)).await;
    let empty = app.admin(Method::GET, "/outbox", None).await.expect(200).body;
    assert_eq!(
        (empty["mirror"].clone(), empty["pending"].clone(), empty["dead"].clone()),
        (json!("on"), json!(0), json!(0))
    );
    moto.stop();

    let user = app.create_user("ada@example.com").await;
    let id = user["id"].as_str().unwrap().to_owned();
    // (The counts are separate queries: a snapshot taken mid-attempt may count the record twice.)
    let status = admin_until(&app, "/outbox", "the record to be dead", |b| b["dead"] == 1 && b["pending"] == 0).await;
    assert_eq!((status["done"].clone(), status["retrying"].clone()), (json!(0), json!(0)), "{status}");

    let failed = app.admin(Method::GET, "/outbox/records?failed=true&limit=50", None).await.expect(200).body;
    assert_eq!(failed["mirror"], "on", "{failed}");
    let records = failed["records"].as_array().unwrap();
    assert_eq!(records.len(), 1, "{failed}");
    let record = &records[0];
    assert_eq!((record["user_id"].as_str(), record["state"].as_str()), (Some(id.as_str()), Some("dead")), "{record}");
    assert_eq!(record["attempts"], 2, "{record}");
    let error = record["last_error"].as_str().unwrap();
    assert!(error.contains("DispatchFailure"), "the error says Cognito was unreachable: {error}");
    // Nothing pending: the plain listing is empty.
    let pending = app.admin(Method::GET, "/outbox/records", None).await.expect(200).body;
    assert_eq!(pending["records"], json!([]), "{pending}");

    // Back (a fresh emulator, the same pool id); retrying the record delivers it.
    moto.restart();
    let fresh = moto.pool().await;
    assert_eq!(fresh.config().user_pool_id, pool.config().user_pool_id);
    let record_id = record["id"].as_i64().unwrap();
    let retried = app.admin(Method::POST, "/outbox/retry", Some(&json!({ "id": record_id + 1000 }))).await.expect(200);
    assert_eq!(retried.body["requeued"], 0, "no such dead record: {}", retried.text);
    let retried = app.admin(Method::POST, "/outbox/retry", Some(&json!({ "id": record_id }))).await.expect(200);
    assert_eq!((retried.body["mirror"].clone(), retried.body["requeued"].clone()), (json!("on"), json!(1)));
    admin_until(&app, "/outbox", "the record to be delivered", |b| {
        (b["done"].clone(), b["pending"].clone(), b["dead"].clone()) == (json!(1), json!(0), json!(0))
    })
    .await;
    let delivered = fresh.get(&id).await.unwrap().expect("the user reached the pool");
    assert_eq!(delivered.attributes.get("email").map(String::as_str), Some("ada@example.com"));
    // Nothing dead is left: a retry of all re-queues nothing; the retry was audited.
    let again = app.admin(Method::POST, "/outbox/retry", None).await.expect(200);
    assert_eq!(again.body["requeued"], 0, "{}", again.text);
    let events = store::audit::recent(app.provider.store().conn(), 50, None, None).await.unwrap();
    assert!(events.iter().any(|e| e.action == "outbox.retried" && e.actor == "admin-api"), "{events:?}");
}

#[tokio::test]
async fn the_outbox_endpoints_require_the_bootstrap_token_and_check_their_input() {
    let app = spawn_app().await;
    for (method, path) in [(Method::GET, "/outbox"), (Method::GET, "/outbox/records"), (Method::POST, "/outbox/retry")]
    {
        let res = app.admin_with_token(method.clone(), path, None, None).await.expect(401);
        assert!(res.body["error"].as_str().unwrap().contains("admin token"), "{method} {path}: {}", res.text);
        app.admin_with_token(method, path, None, Some("wrong-token-wrong-token")).await.expect(401);
    }
    let res = app.admin(Method::GET, "/outbox/records?limit=0", None).await.expect(400);
    assert_eq!(res.body["field"], "limit", "{}", res.text);
    app.admin(Method::GET, "/outbox/records?failed=maybe", None).await.expect(400);
    let res = app.admin(Method::POST, "/outbox/retry", Some(&json!({ "id": "all" }))).await.expect(400);
    assert!(res.body["error"].as_str().unwrap().contains("invalid JSON body"), "{}", res.text);
}

#[tokio::test]
async fn with_the_mirror_off_the_outbox_endpoints_say_so() {
    let app = spawn_app().await;
    app.create_user("grace@example.com").await;
    let status = app.admin(Method::GET, "/outbox", None).await.expect(200).body;
    assert_eq!(status["mirror"], "off", "{status}");
    assert!(status["message"].as_str().unwrap().contains("[cognito]"), "{status}");
    assert!(status.get("pending").is_none(), "no counts while off: {status}");
    let records = app.admin(Method::GET, "/outbox/records?failed=true", None).await.expect(200).body;
    assert_eq!((records["mirror"].clone(), records["records"].clone()), (json!("off"), json!([])), "{records}");
    let retried = app.admin(Method::POST, "/outbox/retry", None).await.expect(200).body;
    assert_eq!((retried["mirror"].clone(), retried["requeued"].clone()), (json!("off"), json!(0)), "{retried}");
}
