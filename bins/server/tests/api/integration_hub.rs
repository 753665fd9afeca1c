//! The Integration Hub's Okta page through the admin API: settings (secrets write-only), Save & Test
//! against a local HTTP server that answers like Okta, the SCIM token's status counters, the doctor,
//! bootstrap-token authentication, the Cognito user pool check against a real `moto_server` (and the
//! mirror-off warning), and the AWS secret backend against a real `moto_server`.

use crate::helpers::{send, spawn_app, spawn_app_with, TestApp, ADMIN_TOKEN};
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use reqwest::Method;
use serde_json::{json, Value};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const OKTA_PATH: &str = "/integrations/okta";
const API_TOKEN: &str = "00aBcD-okta-api-token-that-must-never-be-echoed";
const OIDC_SECRET: &str = "oidc-client-secret-that-must-never-be-echoed";
const SEED_GROUPS: [&str; 4] = ["StackFlow-Admins", "StackFlow-ITSM-Managers", "StackFlow-Agents", "StackFlow-Viewers"];

/// A local HTTP server answering like an Okta org; `delay_ms` slows every answer.
struct FakeOkta {
    url: String,
    delay_ms: Arc<AtomicU64>,
}

async fn okta_answer(req: HttpRequest, delay: web::Data<Arc<AtomicU64>>) -> HttpResponse {
    let ms = delay.load(Ordering::Relaxed);
    if ms > 0 {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    let base = format!("http://{}", req.connection_info().host());
    match req.path() {
        "/api/v1/users/me" => {
            let auth = req.headers().get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
            if auth == format!("SSWS {API_TOKEN}") {
                HttpResponse::Ok().json(json!({ "id": "00u1", "profile": { "login": "okta.admin@example.com" } }))
            } else {
                HttpResponse::Unauthorized()
                    .json(json!({ "errorCode": "E0000011", "errorSummary": "Invalid token provided" }))
            }
        }
        "/.well-known/openid-configuration" => {
            HttpResponse::Ok().json(json!({ "issuer": base, "jwks_uri": format!("{base}/oauth2/v1/keys") }))
        }
        "/oauth2/v1/keys" => {
            HttpResponse::Ok().json(json!({ "keys": [{ "kty": "RSA", "kid": "k1", "e": "AQAB", "n": "xyz" }] }))
        }
        _ => HttpResponse::NotFound().finish(),
    }
}

impl FakeOkta {
    fn start() -> FakeOkta {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let delay_ms = Arc::new(AtomicU64::new(0));
        let data = web::Data::new(delay_ms.clone());
        let server = HttpServer::new(move || App::new().app_data(data.clone()).default_service(web::to(okta_answer)))
            .workers(1)
            .listen(listener)
            .unwrap()
            .run();
        tokio::spawn(server);
        FakeOkta { url, delay_ms }
    }
}

/// A server whose Okta calls go to `okta_url`, each timing out after `timeout`.
async fn app_for(okta_url: &str, timeout: Duration) -> TestApp {
    let url = okta_url.to_owned();
    spawn_app_with(move |c| {
        c.okta_base_url_override = Some(url);
        c.okta_timeout = timeout;
    })
    .await
}

fn full_settings(token: &str) -> Value {
    json!({
        "okta_domain": "https://Your-Org.okta.com/",
        "api_token": token,
        "oidc_client_id": "0oa1stackflow",
        "oidc_client_secret": OIDC_SECRET,
        "scim_enabled": true,
    })
}

async fn push_seed_groups(app: &TestApp) {
    for name in SEED_GROUPS {
        app.create_group(name).await;
    }
}

/// Save & Test's check named `name`: (status, message).
fn check_of(report: &Value, name: &str) -> (String, String) {
    let check = report["checks"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap_or_else(|| {
        panic!("no check {name} in {report}");
    });
    (check["status"].as_str().unwrap().to_owned(), check["message"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn settings_are_saved_validated_audited_and_secrets_never_echoed() {
    let app = spawn_app().await;
    let res = app.admin(Method::GET, OKTA_PATH, None).await.expect(200);
    assert_eq!(res.body["api_token"], "not set");
    assert_eq!(res.body["deactivate_on_offboard"], true);

    let res = app.admin(Method::PUT, OKTA_PATH, Some(&full_settings(API_TOKEN))).await.expect(200);
    for text in [&res.text, &app.admin(Method::GET, OKTA_PATH, None).await.expect(200).text] {
        assert!(!text.contains(API_TOKEN) && !text.contains(OIDC_SECRET), "secret echoed: {text}");
        let body: Value = serde_json::from_str(text).unwrap();
        assert_eq!(body["okta_domain"], "your-org.okta.com");
        assert_eq!(body["api_token"], "set");
        assert_eq!(body["oidc_client_secret"], "set");
        assert_eq!(body["oidc_client_id"], "0oa1stackflow");
        assert_eq!((body["scim_enabled"].clone(), body["group_sync"].clone()), (json!(true), json!(true)));
    }

    // Refusals name the field and what to type; nothing is changed.
    let table = [
        (json!({ "okta_domain": "your-org.okta.com/admin" }), 400, Some("okta_domain"), "your-org.okta.com"),
        (json!({ "okta_domain": "http://your-org.okta.com" }), 400, Some("okta_domain"), "only https"),
        (json!({ "api_token": "  " }), 400, Some("api_token"), "empty"),
        (json!({ "oidc_client_id": "0oa 1" }), 400, Some("oidc_client_id"), "spaces"),
        (json!({ "okta_domian": "x.okta.com" }), 400, None, "unknown field"),
    ];
    for (body, status, field, contains) in table {
        let res = app.admin(Method::PUT, OKTA_PATH, Some(&body)).await.expect(status);
        assert_eq!(res.body["field"].as_str(), field, "{body}: {}", res.text);
        assert!(res.body["error"].as_str().unwrap().contains(contains), "{body}: {}", res.text);
    }
    assert_eq!(app.admin(Method::GET, OKTA_PATH, None).await.body["okta_domain"], "your-org.okta.com");

    // Audited: who and which fields, never the values.
    let events = store::audit::recent(app.provider.store().conn(), 20, None, None).await.unwrap();
    let event = events.iter().find(|e| e.action == "settings.updated" && e.actor == "admin-api").unwrap();
    let changed = event.detail["changed"].to_string();
    for field in ["okta_domain", "api_token", "oidc_client_id", "oidc_client_secret"] {
        assert!(changed.contains(field), "{changed}");
    }
    let all = serde_json::to_string(&events).unwrap();
    assert!(!all.contains(API_TOKEN) && !all.contains(OIDC_SECRET), "secret in the audit log");
}

#[tokio::test]
async fn save_and_test_all_ok() {
    let okta = FakeOkta::start();
    let app = app_for(&okta.url, Duration::from_secs(5)).await;
    push_seed_groups(&app).await;
    app.admin(Method::PUT, OKTA_PATH, Some(&full_settings(API_TOKEN))).await.expect(200);
    let report = app.admin(Method::POST, "/integrations/okta/test", None).await.expect(200).body;
    assert_eq!(report["ok"], true, "{report}");
    for check in report["checks"].as_array().unwrap().iter().filter(|c| c["name"] != "cognito") {
        assert_eq!(check["status"], "ok", "{check}");
    }
    assert_eq!(report["checks"].as_array().unwrap().len(), 4 + SEED_GROUPS.len());
    // Without [cognito] the mirror is off: a warning that says what it costs and how to fix it.
    assert_eq!(check_of(&report, "cognito"), ("warning".into(), COGNITO_OFF.into()));
    assert!(fix_of(&report, "cognito").contains("configure [cognito] user_pool_id and region"), "{report}");
}

/// The Cognito check's (and the doctor's) words when `[cognito]` is not configured.
const COGNITO_OFF: &str = "Cognito mirror off: [cognito] is not configured — provisioned users do not reach Cognito \
                           and Okta sign-in cannot issue tokens";

/// Save & Test's check named `name`: its fix.
fn fix_of(report: &Value, name: &str) -> String {
    let check = report["checks"].as_array().unwrap().iter().find(|c| c["name"] == name);
    check.and_then(|c| c["fix"].as_str()).unwrap_or_else(|| panic!("no fix for {name} in {report}")).to_owned()
}

#[tokio::test]
async fn save_and_test_checks_the_cognito_user_pool() {
    use sso_bridge::cognito::CognitoConfig;
    use stackflow_server::config::CognitoSettings;
    let mut moto = crate::cognito::Moto::start();
    let pool = moto.pool().await;
    let settings = |user_pool_id: &str| CognitoSettings {
        pool: CognitoConfig { user_pool_id: user_pool_id.to_owned(), ..pool.config().clone() },
        rate_limit: 500.0,
        max_attempts: 10,
        retry_max: Duration::from_secs(2),
        lease: Duration::from_secs(60),
    };
    let pool_id = pool.config().user_pool_id.clone();
    let configured = settings(&pool_id);
    let app = spawn_app_with(move |c| c.cognito = Some(configured)).await;
    let report = app.admin(Method::POST, "/integrations/okta/test", None).await.expect(200).body;
    let (status, message) = check_of(&report, "cognito");
    assert_eq!(status, "ok", "{report}");
    assert_eq!(message, format!("Cognito user pool reachable: stackflow-test ({pool_id})"));
    // The mirror is on: the doctor does not call it off.
    let doctor = app.admin(Method::GET, "/integrations/okta/doctor", None).await.expect(200).body;
    assert!(!doctor.to_string().contains("cognito_mirror_off"), "{doctor}");

    // A pool id the region does not have.
    let wrong = settings("eu-west-1_NoSuchPool");
    let wrong_app = spawn_app_with(move |c| c.cognito = Some(wrong)).await;
    let report = wrong_app.admin(Method::POST, "/integrations/okta/test", None).await.expect(200).body;
    assert_eq!(report["ok"], false, "{report}");
    assert_eq!(
        check_of(&report, "cognito"),
        ("failed".into(), "user pool eu-west-1_NoSuchPool not found in eu-west-1".into())
    );
    assert!(fix_of(&report, "cognito").contains("cognito.user_pool_id"), "{report}");

    // The emulator down: failed at once (one attempt, bounded by the probe's timeout), with the fix.
    moto.stop();
    let started = Instant::now();
    let report = app.admin(Method::POST, "/integrations/okta/test", None).await.expect(200).body;
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(4), "took {elapsed:?}");
    let (status, message) = check_of(&report, "cognito");
    assert_eq!(status, "failed", "{report}");
    assert!(message.starts_with("Cognito endpoint unreachable (http://127.0.0.1:"), "{message}");
    assert!(fix_of(&report, "cognito").contains("cognito.endpoint_url"), "{report}");
}

#[tokio::test]
async fn save_and_test_reports_each_failure_with_a_fix() {
    let okta = FakeOkta::start();
    let app = app_for(&okta.url, Duration::from_secs(5)).await;
    // A revoked API token; groups not pushed; one pushed but unmapped.
    app.admin(Method::PUT, OKTA_PATH, Some(&full_settings("revoked-token"))).await.expect(200);
    app.provider.remove_mapping("StackFlow-Viewers", false, "test").await.unwrap();
    app.create_group("StackFlow-Viewers").await;
    let report = app.admin(Method::POST, "/integrations/okta/test", None).await.expect(200).body;
    assert_eq!(report["ok"], false);
    assert_eq!(check_of(&report, "okta_api"), ("failed".into(), "API token invalid or revoked".into()));
    assert_eq!(check_of(&report, "oidc").0, "ok");
    assert_eq!(check_of(&report, "group:StackFlow-Admins").0, "warning");
    let (status, message) = check_of(&report, "group:StackFlow-Viewers");
    assert_eq!(status, "failed", "{message}");
    assert!(report.to_string().contains("stackflow-admin mappings set StackFlow-Viewers viewer"), "{report}");

    // Nothing set at all.
    let fresh = spawn_app().await;
    let report = fresh.admin(Method::POST, "/integrations/okta/test", None).await.expect(200).body;
    assert_eq!(check_of(&report, "okta_api"), ("failed".into(), "Okta domain not set".into()));
}

#[tokio::test]
async fn save_and_test_unreachable_domain() {
    // Port 1 on loopback: nothing listens there.
    let app = app_for("http://127.0.0.1:1", Duration::from_secs(5)).await;
    app.admin(Method::PUT, OKTA_PATH, Some(&full_settings(API_TOKEN))).await.expect(200);
    let report = app.admin(Method::POST, "/integrations/okta/test", None).await.expect(200).body;
    let (status, message) = check_of(&report, "okta_api");
    assert_eq!(status, "failed");
    assert!(message.starts_with("domain unreachable"), "{message}");
    assert!(check_of(&report, "oidc").1.starts_with("domain unreachable"), "{report}");
}

#[tokio::test]
async fn save_and_test_times_out_on_a_slow_okta() {
    let okta = FakeOkta::start();
    okta.delay_ms.store(10_000, Ordering::Relaxed);
    let app = app_for(&okta.url, Duration::from_millis(500)).await;
    app.admin(Method::PUT, OKTA_PATH, Some(&full_settings(API_TOKEN))).await.expect(200);
    let started = Instant::now();
    let report = app.admin(Method::POST, "/integrations/okta/test", None).await.expect(200).body;
    let elapsed = started.elapsed();
    // The API and OIDC checks run concurrently: one timeout, not one per call.
    assert!(elapsed < Duration::from_secs(4), "took {elapsed:?}");
    let (status, message) = check_of(&report, "okta_api");
    assert_eq!(status, "failed");
    assert!(message.contains("did not answer within 500 ms"), "{message}");
}

#[tokio::test]
async fn scim_token_lifecycle_and_status_counters() {
    let app = spawn_app().await;
    let status = app.admin(Method::GET, "/integrations/okta/scim-token", None).await.expect(200).body;
    assert_eq!((status["set"].clone(), status["rejected_count"].clone()), (json!(true), json!(0)));
    assert!(status["last_used_at"].is_null());

    for _ in 0..3 {
        send(app.request_with_token(Method::GET, "/Users", Some("sfscim_wrong"))).await.expect(401);
    }
    app.get("/Users").await.scim(200);
    let status = app.admin(Method::GET, "/integrations/okta/scim-token", None).await.expect(200).body;
    assert_eq!(status["rejected_count"], 3, "{status}");
    assert!(status["last_used_at"].is_string() && status["rejected_since"].is_string(), "{status}");
    assert!(!status.to_string().contains("sfscim_"), "no token in the status: {status}");

    // Generate: shown once, the old one stops, the counters start again.
    let res = app.admin(Method::POST, "/integrations/okta/scim-token", None).await.expect(201);
    let new = res.body["token"].as_str().unwrap().to_owned();
    assert!(new.starts_with("sfscim_"));
    send(app.request_with_token(Method::GET, "/Users", Some(&app.token))).await.expect(401);
    send(app.request_with_token(Method::GET, "/Users", Some(&new))).await.scim(200);
    let status = app.admin(Method::GET, "/integrations/okta/scim-token", None).await.expect(200).body;
    assert_eq!(status["rejected_count"], 1, "{status}");

    // Rotate with a grace period: both work.
    let res = app
        .admin(Method::POST, "/integrations/okta/scim-token", Some(&json!({ "grace_seconds": 600 })))
        .await
        .expect(201);
    let newer = res.body["token"].as_str().unwrap().to_owned();
    send(app.request_with_token(Method::GET, "/Users", Some(&new))).await.scim(200);
    send(app.request_with_token(Method::GET, "/Users", Some(&newer))).await.scim(200);
    let status = app.admin(Method::GET, "/integrations/okta/scim-token", None).await.expect(200).body;
    assert_eq!(status["grace_until"].as_array().unwrap().len(), 1, "{status}");

    // Revoke: nothing works, status says not set.
    assert_eq!(app.admin(Method::DELETE, "/integrations/okta/scim-token", None).await.expect(200).body["revoked"], 2);
    send(app.request_with_token(Method::GET, "/Users", Some(&newer))).await.expect(401);
    let status = app.admin(Method::GET, "/integrations/okta/scim-token", None).await.expect(200).body;
    assert_eq!(status["set"], false);
}

#[tokio::test]
async fn doctor_diagnoses_the_troubleshooting_table() {
    let app = spawn_app().await;
    push_seed_groups(&app).await;
    let report = app.admin(Method::GET, "/integrations/okta/doctor", None).await.expect(200).body;
    // Only the mirror being off (a warning: the integration works, Cognito is not fed).
    let mirror_off = json!({
        "name": "cognito_mirror_off",
        "status": "warning",
        "message": COGNITO_OFF,
        "fix": "configure [cognito] user_pool_id and region (or STACKFLOW__COGNITO__USER_POOL_ID and \
                STACKFLOW__COGNITO__REGION), restart, then run stackflow-admin cognito sync",
    });
    assert_eq!(report, json!({ "ok": true, "checks": [mirror_off] }));

    // Role not assigned correctly — group mapping missing.
    let user = app.create_user("grace.hopper@example.com").await;
    let group = app.create_group("Finance-Leads").await;
    let add = crate::helpers::patch(json!([{ "op": "add", "path": "members", "value": [{ "value": user["id"] }] }]));
    app.patch(&format!("/Groups/{}", group["id"].as_str().unwrap()), &add).await;
    // SCIM user not created — SCIM token invalid: rejections after the last successful request.
    for _ in 0..2 {
        send(app.request_with_token(Method::GET, "/Users", Some("sfscim_old"))).await.expect(401);
    }

    let report = app.admin(Method::GET, "/integrations/okta/doctor", None).await.expect(200).body;
    assert_eq!(report["ok"], false);
    let text = report.to_string();
    assert!(text.contains("SCIM token invalid: regenerate it in Admin → Integration Hub → Okta and paste it into Okta (2 rejected since"), "{text}");
    assert!(
        text.contains("Group mapping missing: add the Okta group to Push Groups and map it (groups: Finance-Leads)"),
        "{text}"
    );
    assert!(text.contains("grace.hopper@example.com"), "{text}");
}

#[tokio::test]
async fn the_admin_api_requires_the_bootstrap_token() {
    let app = spawn_app().await;
    for token in [None, Some("wrong-token-wrong-token"), Some("")] {
        let res = app.admin_with_token(Method::GET, OKTA_PATH, None, token).await.expect(401);
        assert!(res.body["error"].as_str().unwrap().contains("admin token"), "{}", res.text);
        assert!(res.header("www-authenticate").starts_with("Bearer"));
    }
    app.admin_with_token(Method::GET, OKTA_PATH, None, Some(ADMIN_TOKEN)).await.expect(200);

    let unconfigured = spawn_app_with(|c| c.admin_bootstrap_token = None).await;
    let res = unconfigured.admin(Method::GET, OKTA_PATH, None).await.expect(503);
    assert!(res.body["error"].as_str().unwrap().contains("STACKFLOW__ADMIN__BOOTSTRAP_TOKEN"), "{}", res.text);
}

/// A `moto_server` child process on a free loopback port; killed on drop.
struct Moto {
    child: Child,
    url: String,
}

impl Moto {
    fn start() -> Moto {
        std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start moto_server ({e}); install it with: pip install 'moto[server]'"));
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("moto_server exited before listening on port {port}: {status}");
            }
            assert!(Instant::now() < deadline, "moto_server did not listen on port {port} within 60 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto { child, url: format!("http://127.0.0.1:{port}") }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn secrets_go_to_aws_secrets_manager_when_configured() {
    use secrecy::ExposeSecret;
    use store::secrets::{AwsSecretStore, SecretName, SecretStore, SecretsConfig};
    let moto = Moto::start();
    let okta = FakeOkta::start();
    let (moto_url, okta_url) = (moto.url.clone(), okta.url.clone());
    let app = spawn_app_with(move |c| {
        c.secrets = SecretsConfig::Aws {
            prefix: "stackflow/it/".into(),
            region: "eu-west-1".into(),
            endpoint_url: Some(moto_url),
        };
        c.okta_base_url_override = Some(okta_url);
    })
    .await;
    let view = app.admin(Method::GET, OKTA_PATH, None).await.expect(200).body;
    assert_eq!(view["api_token"], "not set");
    assert!(view["secret_store"].as_str().unwrap().contains("stackflow/it/"), "{view}");

    let res = app.admin(Method::PUT, OKTA_PATH, Some(&full_settings(API_TOKEN))).await.expect(200);
    assert_eq!(res.body["api_token"], "set");
    assert!(!res.text.contains(API_TOKEN));
    // Stored in Secrets Manager under the prefix, not in the database.
    let aws = AwsSecretStore::connect("stackflow/it/", "eu-west-1", Some(&moto.url)).await.unwrap();
    let stored = aws.get(&SecretName::OKTA_API_TOKEN).await.unwrap().unwrap();
    assert_eq!(stored.expose_secret(), API_TOKEN);
    // And read back from there by Save & Test.
    let report = app.admin(Method::POST, "/integrations/okta/test", None).await.expect(200).body;
    assert_eq!(check_of(&report, "okta_api").0, "ok", "{report}");
}

#[tokio::test]
async fn a_failed_secret_write_leaves_the_settings_unchanged() {
    use store::secrets::SecretsConfig;
    std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
    // Secrets Manager on a port where nothing listens: every secret call fails.
    let app = spawn_app_with(|c| {
        c.secrets = SecretsConfig::Aws {
            prefix: "stackflow/it/".into(),
            region: "eu-west-1".into(),
            endpoint_url: Some("http://127.0.0.1:1".into()),
        };
    })
    .await;
    app.admin(Method::PUT, OKTA_PATH, Some(&json!({ "okta_domain": "first.okta.com" }))).await.expect(200);
    let body = json!({ "okta_domain": "second.okta.com", "api_token": API_TOKEN });
    let res = app.admin(Method::PUT, OKTA_PATH, Some(&body)).await.expect(502);
    assert!(res.body["error"].as_str().unwrap().contains("stackflow/it/okta/api-token"), "{}", res.text);
    assert!(!res.text.contains(API_TOKEN));
    let stored = provider::settings::load(app.provider.store()).await.unwrap();
    assert_eq!(stored.okta_domain.as_deref(), Some("first.okta.com"));
}
