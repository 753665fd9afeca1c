//! Request ids: honoured when sane, generated otherwise, echoed in `X-Request-Id`, and carried by
//! every log line of the request (JSON logs captured from the running server) — whose access log
//! line holds neither the bearer token nor the sign-in bridge's `code` and `state`.

use crate::helpers::{send, spawn_app};
use reqwest::Method;
use serde_json::Value;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

/// Everything the process logs, as JSON lines (a global subscriber, installed once).
fn captured() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
            .with_writer(move || Sink(sink.clone()))
            .json()
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("a global subscriber is already set");
        logs
    })
    .clone()
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The captured log lines as text.
fn log_text(logs: &Arc<Mutex<Vec<u8>>>) -> String {
    String::from_utf8_lossy(&logs.lock().unwrap()).into_owned()
}

/// The captured lines (parsed) whose span is the request with this id.
fn lines_of(logs: &Arc<Mutex<Vec<u8>>>, id: &str) -> Vec<Value> {
    log_text(logs)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["span"]["request_id"] == id)
        .collect()
}

fn unique(tag: &str) -> String {
    format!("{tag}-{}", uuid::Uuid::new_v4().simple())
}

#[tokio::test]
async fn ids_are_honoured_when_sane_and_generated_otherwise() {
    let app = spawn_app().await;
    let healthz = |id: Option<String>| {
        let mut req = app.client.get(format!("{}/healthz", app.root));
        if let Some(id) = id {
            req = req.header("x-request-id", id);
        }
        send(req)
    };
    let sane = "Okta.req-42_A";
    assert_eq!(healthz(Some(sane.into())).await.expect(200).header("x-request-id"), sane);
    let longest = "x".repeat(64);
    assert_eq!(healthz(Some(longest.clone())).await.expect(200).header("x-request-id"), longest);

    let a = healthz(None).await.expect(200).header("x-request-id").to_owned();
    let b = healthz(None).await.expect(200).header("x-request-id").to_owned();
    assert!(a != b && a.len() <= 64, "{a} {b}");
    for insane in ["x".repeat(65), "two words".into(), "<script>".into(), "a/b".into(), String::new()] {
        let got = healthz(Some(insane.clone())).await.expect(200).header("x-request-id").to_owned();
        assert!(got != insane && !got.is_empty(), "{insane:?} was echoed");
        assert!(got.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)), "{got}");
    }
    // Errors carry it too.
    let res = send(app.request_with_token(Method::GET, "/Users", Some("sfscim_wrong")).header("x-request-id", sane));
    assert_eq!(res.await.expect(401).header("x-request-id"), sane);
}

#[tokio::test]
async fn every_log_line_of_a_request_names_its_id_and_no_secret() {
    let logs = captured();
    let app = spawn_app().await;

    let scim_id = unique("scim");
    let id = scim_id.clone();
    let wrong = "sfscim_wrong_token_that_must_not_be_logged";
    send(app.request_with_token(Method::GET, "/Users?count=1", Some(wrong)).header("x-request-id", &id))
        .await
        .expect(401);
    let lines = lines_of(&logs, &id);
    let messages: Vec<&str> = lines.iter().filter_map(|l| l["fields"]["message"].as_str()).collect();
    assert!(messages.contains(&"SCIM request rejected: invalid bearer token"), "{lines:#?}");
    let access = lines.iter().find(|l| l["fields"]["message"] == "request").expect("no access log line");
    assert_eq!(access["target"], "stackflow::http");
    assert_eq!((access["fields"]["status"].as_u64(), access["fields"]["method"].as_str()), (Some(401), Some("GET")));
    assert_eq!(access["fields"]["path"], "/scim/v2/Users?count=1");

    // The sign-in bridge's callback: code and state stay out of the log.
    let id = unique("sso");
    let callback = format!("{}/auth/okta/callback?code=SECRETCODE123&state=SECRETSTATE456", app.root);
    send(app.client.get(callback).header("x-request-id", &id)).await.expect(400);
    let lines = lines_of(&logs, &id);
    let access = lines.iter().find(|l| l["fields"]["message"] == "request").expect("no access log line");
    assert_eq!(access["fields"]["path"], "/auth/okta/callback");

    let text = log_text(&logs);
    for secret in [wrong, &app.token, "SECRETCODE123", "SECRETSTATE456"] {
        assert!(!text.contains(secret), "{secret:?} was logged");
    }
    let ours = format!("{:?}{:?}", lines_of(&logs, &id), lines_of(&logs, &scim_id));
    assert!(!ours.contains("Bearer") && !ours.contains("authorization"), "{ours}");
}
