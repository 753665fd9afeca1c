//! The Cognito mirror end to end: SCIM writes through the running server, delivered by its outbox
//! worker to a real Cognito emulator (`moto_server` on a free loopback port, a pool created through
//! the SDK), and the fault case: the emulator down while users are provisioned and deactivated, then
//! back with a fresh state, repaired by `cognito sync` and the worker — nothing lost, nothing doubled.
//!
//! Fails, never skips, when `moto_server` is not on `PATH` (`pip install 'moto[server]'`).

use crate::helpers::{okta_user, patch, spawn_app_with, TestApp};
use sso_bridge::cognito::{CognitoClient, CognitoConfig, PoolUser};
use stackflow_server::config::CognitoSettings;
use std::collections::BTreeSet;
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::time::{Duration, Instant};

const REGION: &str = "eu-west-1";
const POOL_NAME: &str = "stackflow-test";
/// Every wait is bounded by this.
const WAIT: Duration = Duration::from_secs(60);

/// A `moto_server` child process on a loopback port; killed on drop (shared with `mirror_faults`).
pub(crate) struct Moto {
    child: Option<Child>,
    pub(crate) port: u16,
}

impl Moto {
    pub(crate) fn start() -> Moto {
        static CREDENTIALS: Once = Once::new();
        CREDENTIALS.call_once(|| {
            std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
            std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
            std::env::set_var("AWS_SESSION_TOKEN", "testing");
            std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
        });
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut moto = Moto { child: None, port };
        moto.restart();
        moto
    }

    /// Starts (again) on the same port, with a fresh, empty state.
    pub(crate) fn restart(&mut self) {
        self.stop();
        let port = self.port;
        let mut child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            // Pool ids derived from the pool's name: a restarted emulator gives the same id again.
            .env("MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY", "HASH")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start moto_server ({e}); install it with: pip install 'moto[server]'"));
        let deadline = Instant::now() + WAIT;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("moto_server exited before listening on port {port}: {status}");
            }
            assert!(Instant::now() < deadline, "moto_server did not listen on port {port} within 60 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        self.child = Some(child);
    }

    pub(crate) fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Creates the test pool and returns a client bound to it.
    pub(crate) async fn pool(&self) -> CognitoClient {
        let bootstrap =
            CognitoConfig { user_pool_id: "bootstrap".into(), region: REGION.into(), endpoint_url: Some(self.url()) };
        let client = CognitoClient::connect(&bootstrap).await.unwrap();
        let out = client.sdk().create_user_pool().pool_name(POOL_NAME).send().await.unwrap();
        let id = out.user_pool().and_then(|p| p.id()).unwrap().to_owned();
        CognitoClient::connect(&CognitoConfig { user_pool_id: id, ..bootstrap }).await.unwrap()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.stop();
    }
}

fn settings(pool: &CognitoClient) -> CognitoSettings {
    CognitoSettings {
        pool: pool.config().clone(),
        rate_limit: 500.0,
        max_attempts: 1000,
        retry_max: Duration::from_secs(2),
        lease: Duration::from_secs(60),
    }
}

async fn app_with_mirror(pool: &CognitoClient) -> TestApp {
    let cognito = settings(pool);
    spawn_app_with(move |c| c.cognito = Some(cognito)).await
}

/// Polls `probe` until it returns `Some`, for at most [`WAIT`].
async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out after 60 s waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until the pool's user `id` satisfies `ok`, and returns it.
async fn pool_user(pool: &CognitoClient, id: &str, ok: impl Fn(&PoolUser) -> bool) -> PoolUser {
    eventually(&format!("Cognito user {id}"), || async { pool.get(id).await.unwrap().filter(|u| ok(u)) }).await
}

/// What the pool should hold for one user.
fn check(user: &PoolUser, email: &str, role: &str, enabled: bool) {
    assert_eq!(user.attributes.get("email").map(String::as_str), Some(email));
    assert_eq!(user.attributes.get("email_verified").map(String::as_str), Some("true"));
    assert_eq!(user.attributes.get("custom:stackflow_role").map(String::as_str), Some(role));
    assert_eq!(user.groups, BTreeSet::from([role.to_owned()]), "exactly the group of the role");
    assert_eq!(user.enabled, enabled);
}

#[tokio::test]
async fn provisioning_reaches_the_pool() {
    let moto = Moto::start();
    let pool = moto.pool().await;
    let app = app_with_mirror(&pool).await;
    let ready = app.client.get(format!("{}/readyz", app.root)).send().await.unwrap();
    let ready: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(ready["cognito"], "on", "{ready}");

    let user = app.create_user_from(&okta_user("ada@example.com", "Ada", "Lovelace")).await;
    let id = user["id"].as_str().unwrap().to_owned();
    let agents = app.create_group("StackFlow-Agents").await;
    let agents_id = agents["id"].as_str().unwrap().to_owned();
    let add = patch(serde_json::json!([{ "op": "add", "path": "members", "value": [{ "value": id }] }]));
    app.patch(&format!("/Groups/{agents_id}"), &add).await.expect(200);

    let u = pool_user(&pool, &id, |u| u.groups.contains("itsm_agent")).await;
    check(&u, "ada@example.com", "itsm_agent", true);
    assert_eq!(u.attributes.get("given_name").map(String::as_str), Some("Ada"));
    assert_eq!(u.attributes.get("family_name").map(String::as_str), Some("Lovelace"));
    assert_eq!(u.attributes.get("custom:okta_id").map(String::as_str), Some("okta-ada@example.com"));

    // A role change moves the group.
    let admins = app.create_group("StackFlow-Admins").await;
    let admins_id = admins["id"].as_str().unwrap().to_owned();
    app.patch(&format!("/Groups/{admins_id}"), &add).await.expect(200);
    let u = pool_user(&pool, &id, |u| u.groups.contains("super_admin") && u.groups.len() == 1).await;
    check(&u, "ada@example.com", "super_admin", true);

    // An attribute change is an update.
    let rename = patch(serde_json::json!([{ "op": "replace", "path": "name.familyName", "value": "King" }]));
    app.patch(&format!("/Users/{id}"), &rename).await.expect(200);
    pool_user(&pool, &id, |u| u.attributes.get("family_name").map(String::as_str) == Some("King")).await;

    // Deactivation disables (Deactivate on Offboard is on by default); reactivation enables.
    let deactivate = patch(serde_json::json!([{ "op": "replace", "value": { "active": false } }]));
    app.patch(&format!("/Users/{id}"), &deactivate).await.expect(200);
    pool_user(&pool, &id, |u| !u.enabled).await;
    let reactivate = patch(serde_json::json!([{ "op": "replace", "value": { "active": true } }]));
    app.patch(&format!("/Users/{id}"), &reactivate).await.expect(200);
    pool_user(&pool, &id, |u| u.enabled).await;

    // Deactivate on Offboard decides whether a deprovisioned account is usable: turning it off
    // re-enables the Cognito user Okta deprovisioned, turning it on disables it again.
    app.patch(&format!("/Users/{id}"), &deactivate).await.expect(200);
    pool_user(&pool, &id, |u| !u.enabled).await;
    let offboard = |on: bool| serde_json::json!({ "deactivate_on_offboard": on });
    app.admin(reqwest::Method::PUT, "/integrations/okta", Some(&offboard(false))).await.expect(200);
    pool_user(&pool, &id, |u| u.enabled).await;
    app.admin(reqwest::Method::PUT, "/integrations/okta", Some(&offboard(true))).await.expect(200);
    pool_user(&pool, &id, |u| !u.enabled).await;

    // Delete removes the Cognito user.
    app.delete(&format!("/Users/{id}")).await.expect(204);
    eventually("the Cognito user to be deleted", || async { pool.get(&id).await.unwrap().is_none().then_some(()) })
        .await;
    let status = eventually("the outbox to drain", || async {
        let s = store::outbox::status(app.provider.store().conn()).await.unwrap();
        (s.pending == 0).then_some(s)
    })
    .await;
    assert_eq!(status.dead, 0, "{status:?}");
}

#[tokio::test]
async fn mirror_off_writes_nothing_and_says_so() {
    let app = spawn_app_with(|_| {}).await;
    let ready: serde_json::Value =
        app.client.get(format!("{}/readyz", app.root)).send().await.unwrap().json().await.unwrap();
    assert_eq!(ready["cognito"], "off", "{ready}");
    app.create_user("grace@example.com").await;
    let status = store::outbox::status(app.provider.store().conn()).await.unwrap();
    assert_eq!((status.pending, status.done, status.dead), (0, 0, 0), "no outbox rows while the mirror is off");
}

#[tokio::test]
async fn an_outage_loses_nothing_and_duplicates_nothing() {
    let mut moto = Moto::start();
    let pool = moto.pool().await;
    let app = app_with_mirror(&pool).await;
    moto.stop();

    // 200 users created and 50 deactivated while Cognito is unreachable: SCIM does not wait for it.
    let mut ids = Vec::new();
    for chunk in (0..200).collect::<Vec<_>>().chunks(10) {
        let started = Instant::now();
        let created = futures_util::future::join_all(chunk.iter().map(|i| {
            let body = okta_user(&format!("user{i:03}@example.com"), "User", &format!("N{i}"));
            let app = &app;
            async move { app.create_user_from(&body).await }
        }))
        .await;
        assert!(started.elapsed() < Duration::from_secs(10), "SCIM waited for Cognito: {:?}", started.elapsed());
        ids.extend(created.iter().map(|u| u["id"].as_str().unwrap().to_owned()));
    }
    let deactivate = patch(serde_json::json!([{ "op": "replace", "value": { "active": false } }]));
    for id in &ids[..50] {
        app.patch(&format!("/Users/{id}"), &deactivate).await.expect(200);
    }
    let held = store::outbox::status(app.provider.store().conn()).await.unwrap();
    assert!(held.pending > 0 && held.dead == 0, "{held:?}");

    // Back, with a fresh state (the same pool id, an empty pool).
    moto.restart();
    let fresh = moto.pool().await;
    assert_eq!(fresh.config().user_pool_id, pool.config().user_pool_id);
    let mut config = stackflow_server::Config::for_test();
    config.cognito = Some(settings(&fresh));
    let mirror = stackflow_server::mirror_from_config(&config, &app.provider).await.unwrap().unwrap();
    // A dry run shows the diff and changes nothing. (The worker may already be delivering, so the
    // pool is only known to hold no more than the provisioned users.)
    let preview = mirror.sync(None, true, |_, _| {}).await.unwrap();
    assert!(preview.dry_run && preview.users == 200 && preview.failed == 0, "{preview:?}");
    assert!(preview.details.iter().all(|u| !u.changes.is_empty()), "{preview:?}");
    let progress = std::sync::atomic::AtomicUsize::new(0);
    let report = mirror
        .sync(None, false, |done, total| {
            assert_eq!(total, 200);
            progress.store(done, std::sync::atomic::Ordering::Relaxed);
        })
        .await
        .unwrap();
    assert_eq!(progress.into_inner(), 200);
    assert_eq!((report.users, report.failed), (200, 0), "{report:?}");

    // The worker drains what it held, idempotently.
    eventually("the outbox to drain", || async {
        let s = store::outbox::status(app.provider.store().conn()).await.unwrap();
        (s.pending == 0).then_some(())
    })
    .await;
    let status = store::outbox::status(app.provider.store().conn()).await.unwrap();
    let failed = store::outbox::list(app.provider.store().conn(), true, 10).await.unwrap();
    assert_eq!(status.dead, 0, "{status:?} {failed:?}");

    let names: BTreeSet<String> = fresh.list_usernames().await.unwrap().into_iter().collect();
    let expected: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(fresh.list_usernames().await.unwrap().len(), 200, "no duplicates");
    assert_eq!(names, expected, "exactly the provisioned users");
    for (i, id) in ids.iter().enumerate() {
        let u = fresh.get(id).await.unwrap().unwrap();
        let role = app.provider.store();
        let account = store::roles::role_states(role.conn(), std::slice::from_ref(id)).await.unwrap();
        let role = account.get(id).and_then(|s| s.role).map(|r| r.to_string());
        assert_eq!(u.enabled, i >= 50, "user {i}");
        assert_eq!(u.groups, role.iter().cloned().collect::<BTreeSet<_>>(), "user {i}");
        assert_eq!(u.attributes.get("email").cloned(), Some(format!("user{i:03}@example.com")));
    }
}
