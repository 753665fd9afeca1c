//! `GET /metrics`: after real SCIM, sign-in and outbox traffic, the Prometheus text exposition holds
//! the expected series with the right counts.

use crate::helpers::{send, spawn_app, TestApp};
use reqwest::Method;
use std::collections::BTreeMap;

/// The samples of a text exposition, keyed `name{label="value",…}` with the labels sorted by name.
fn samples(text: &str) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let (series, value) = line.rsplit_once(' ').expect("sample line without a value");
        let key = match series.split_once('{') {
            Some((name, labels)) => {
                let mut labels: Vec<&str> = labels.trim_end_matches('}').split(',').collect();
                labels.sort_unstable();
                format!("{name}{{{}}}", labels.join(","))
            }
            None => series.to_owned(),
        };
        out.insert(key, value.parse().expect("sample value is a number"));
    }
    out
}

async fn scrape(app: &TestApp) -> (BTreeMap<String, f64>, String) {
    let res = send(app.client.get(format!("{}/metrics", app.root))).await.expect(200);
    assert!(res.header("content-type").starts_with("text/plain; version=0.0.4"), "{:?}", res.headers);
    (samples(&res.text), res.text)
}

#[track_caller]
fn check(samples: &BTreeMap<String, f64>, text: &str, series: &str, want: f64) {
    assert_eq!(samples.get(series).copied(), Some(want), "{series} in:\n{text}");
}

#[tokio::test]
async fn scim_sso_and_outbox_series_count_what_happened() {
    let app = spawn_app().await;
    let (before, text) = scrape(&app).await;
    check(&before, &text, "stackflow_scim_rejected_tokens_total", 0.0);
    check(&before, &text, "stackflow_cognito_outbox_pending", 0.0);

    let id = app.create_user("ada@example.com").await["id"].as_str().unwrap().to_owned();
    app.get(&format!("/Users/{id}")).await.scim(200);
    app.get(&format!("/Users/{id}")).await.scim(200);
    app.get("/Users/no-such-id").await.expect(404);
    app.get("/Groups").await.scim(200);
    app.get("/ServiceProviderConfig").await.scim(200);
    send(app.request_with_token(Method::GET, "/Users", Some("sfscim_wrong"))).await.expect(401);

    // The sign-in bridge, unconfigured: a refused exchange and a sign-in that cannot start.
    let form = [("grant_type", "password")];
    send(app.client.post(format!("{}/auth/okta/token", app.root)).form(&form)).await.expect(400);
    send(app.client.get(format!("{}/auth/okta/login", app.root))).await.expect(503);

    // A Cognito record waiting for 90 seconds.
    let queued = store::time::from_micros(store::time::to_micros(store::time::now()) - 90_000_000);
    store::outbox::enqueue_sync(app.provider.store().conn(), &[id], queued).await.unwrap();

    let (after, text) = scrape(&app).await;
    let requests = |resource: &str, method: &str, status: u16| {
        format!(r#"stackflow_scim_requests_total{{method="{method}",resource="{resource}",status="{status}"}}"#)
    };
    check(&after, &text, &requests("Users", "POST", 201), 1.0);
    check(&after, &text, &requests("Users", "GET", 200), 2.0);
    check(&after, &text, &requests("Users", "GET", 404), 1.0);
    check(&after, &text, &requests("Users", "GET", 401), 1.0);
    check(&after, &text, &requests("Groups", "GET", 200), 1.0);
    check(&after, &text, &requests("other", "GET", 200), 1.0);
    check(&after, &text, r#"stackflow_scim_request_duration_seconds_count{method="GET",resource="Users"}"#, 4.0);
    check(
        &after,
        &text,
        r#"stackflow_scim_request_duration_seconds_bucket{le="+Inf",method="GET",resource="Users"}"#,
        4.0,
    );
    check(&after, &text, "stackflow_scim_rejected_tokens_total", 1.0);
    check(&after, &text, r#"stackflow_sso_requests_total{flow="token",outcome="unsupported_grant_type"}"#, 1.0);
    check(&after, &text, r#"stackflow_sso_requests_total{flow="login",outcome="temporarily_unavailable"}"#, 1.0);
    check(&after, &text, "stackflow_cognito_outbox_pending", 1.0);
    let age = after["stackflow_cognito_outbox_oldest_pending_age_seconds"];
    assert!((90.0..600.0).contains(&age), "oldest pending age {age}");
    assert!(!text.contains(&app.token) && !text.contains("sfscim_wrong"), "a token in the metrics:\n{text}");
}
