//! The Cognito mirror's delivery faults with real `stackflow-server` processes (the binary of this
//! package, configured by `STACKFLOW__*` variables) on one database — a SQLite file in a temporary
//! directory, or a fresh PostgreSQL database when `STACKFLOW_TEST_DATABASE_URL` is set — delivering
//! to `moto_server`:
//!
//! - a server SIGKILLed in the middle of delivery, restarted on the same database: the dead worker's
//!   claims expire (`cognito.lease_seconds`) and the pool converges, nothing lost or doubled;
//! - two servers sharing a PostgreSQL database, both delivering: every user created in Cognito exactly
//!   once. Each server reaches Cognito through its own counting TCP proxy, so the test counts the
//!   `AdminCreateUser` calls themselves (a second delivery would not fail: a create that finds the
//!   user updates it). Without PostgreSQL (SQLite has one writer per file; replicas are a PostgreSQL
//!   deployment) the same test runs with one server and says so in its output.

use crate::cognito::Moto;
use crate::helpers::{fresh_postgres_database, okta_user, patch, send, Resp, DATABASE_URL_VAR, SCIM_CONTENT_TYPE};
use provider::{IntegrationSettings, Provider};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use reqwest::Method;
use sea_orm::EntityTrait;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use sso_bridge::cognito::CognitoClient;
use std::collections::{BTreeMap, BTreeSet};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::entity::outbox;

/// Every wait is bounded by this.
const WAIT: Duration = Duration::from_secs(60);
const ADMIN_TOKEN: &str = "mirror-faults-admin-token-0123456789";
/// What Okta's groups map to by default.
const AGENTS_GROUP: &str = "StackFlow-Agents";
const AGENT_ROLE: &str = "itsm_agent";

/// One database shared by the server processes of a test, and a provider on it for the test's own
/// setup and inspection. A PostgreSQL database is dropped on drop (kept when the test failed).
struct Deployment {
    dir: tempfile::TempDir,
    database_url: String,
    provider: Provider,
    token: String,
    postgres: Option<(String, String)>,
}

impl Deployment {
    async fn new() -> Deployment {
        let dir = tempfile::tempdir().unwrap();
        let postgres = match std::env::var(DATABASE_URL_VAR) {
            Ok(admin) => {
                let (url, name) = fresh_postgres_database(admin.trim()).await;
                Some((admin.trim().to_owned(), name, url))
            }
            Err(_) => None,
        };
        let database_url = match &postgres {
            Some((_, _, url)) => url.clone(),
            None => format!("sqlite://{}?mode=rwc", dir.path().join("stackflow.db").display()),
        };
        let mut config = stackflow_server::Config::for_test();
        config.database_url = SecretString::from(database_url.clone());
        config.secrets =
            store::secrets::SecretsConfig::Local { key_file: dir.path().join("stackflow-secrets.key"), key_env: None };
        // Migrates the database; the servers find SCIM enabled and a token, as after an operator's setup.
        let provider = stackflow_server::provider_from_config(&config).await.unwrap();
        let token = provider.tokens().generate("test", None).await.unwrap().expose_secret().to_owned();
        provider
            .save_settings(&IntegrationSettings { scim_enabled: true, ..Default::default() }, "test")
            .await
            .unwrap();
        Deployment { dir, database_url, provider, token, postgres: postgres.map(|(admin, name, _)| (admin, name)) }
    }

    fn conn(&self) -> &store::DatabaseConnection {
        self.provider.store().conn()
    }

    async fn status(&self) -> store::outbox::OutboxStatus {
        store::outbox::status(self.conn()).await.unwrap()
    }

    async fn rows(&self) -> Vec<outbox::Model> {
        outbox::Entity::find().all(self.conn()).await.unwrap()
    }

    /// Waits until the outbox has nothing pending; returns how long that took.
    async fn drained(&self) -> Duration {
        let started = Instant::now();
        loop {
            let status = self.status().await;
            if status.pending == 0 {
                return started.elapsed();
            }
            assert!(started.elapsed() < WAIT, "the outbox did not drain within 60 s: {status:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Drop for Deployment {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else { return };
        if std::thread::panicking() {
            eprintln!("test failed: its database {name} is kept");
            return;
        }
        crate::helpers::drop_postgres_database(admin_url, name);
    }
}

/// How a server process reaches Cognito and paces its deliveries.
struct Mirror<'a> {
    pool: &'a CognitoClient,
    /// Overrides the pool's endpoint (a counting proxy).
    endpoint: Option<String>,
    rate_limit: u32,
    lease_seconds: u64,
}

/// A `stackflow-server` child process; SIGKILLed on drop.
struct Server {
    child: Child,
    root: String,
    name: String,
}

impl Server {
    fn start(deployment: &Deployment, name: &str, mirror: &Mirror<'_>) -> Server {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let pool = mirror.pool.config();
        let endpoint = mirror.endpoint.clone().or_else(|| pool.endpoint_url.clone()).unwrap();
        let log = |suffix: &str| std::fs::File::create(deployment.dir.path().join(format!("{name}.{suffix}"))).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_stackflow-server"));
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("STACKFLOW") || key == "RUST_LOG" {
                command.env_remove(key);
            }
        }
        command
            .current_dir(deployment.dir.path())
            .env("HOSTNAME", name)
            .env("STACKFLOW__SERVER__BIND", format!("127.0.0.1:{port}"))
            .env("STACKFLOW__SERVER__WORKERS", "2")
            .env("STACKFLOW__DATABASE__URL", &deployment.database_url)
            .env("STACKFLOW__LOG__LEVEL", "warn")
            .env("STACKFLOW__ADMIN__BOOTSTRAP_TOKEN", ADMIN_TOKEN)
            .env("STACKFLOW__SECRETS__KEY_FILE", deployment.dir.path().join("stackflow-secrets.key"))
            .env("STACKFLOW__COGNITO__USER_POOL_ID", &pool.user_pool_id)
            .env("STACKFLOW__COGNITO__REGION", &pool.region)
            .env("STACKFLOW__COGNITO__ENDPOINT_URL", endpoint)
            .env("STACKFLOW__COGNITO__RATE_LIMIT", mirror.rate_limit.to_string())
            .env("STACKFLOW__COGNITO__LEASE_SECONDS", mirror.lease_seconds.to_string())
            .env("STACKFLOW__COGNITO__MAX_ATTEMPTS", "1000")
            .env("STACKFLOW__COGNITO__RETRY_MAX_SECONDS", "2")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_SESSION_TOKEN", "testing")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdin(Stdio::null())
            .stdout(log("out"))
            .stderr(log("err"));
        let child = command.spawn().unwrap();
        let mut server = Server { child, root: format!("http://127.0.0.1:{port}"), name: name.to_owned() };
        let deadline = Instant::now() + WAIT;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = server.child.try_wait().unwrap() {
                let err =
                    std::fs::read_to_string(deployment.dir.path().join(format!("{name}.err"))).unwrap_or_default();
                panic!("{name} exited before listening: {status}\n{err}");
            }
            assert!(Instant::now() < deadline, "{name} did not listen on port {port} within 60 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// SIGKILL: no graceful shutdown, claims left as they are.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn logs(&self, deployment: &Deployment) -> String {
        std::fs::read_to_string(deployment.dir.path().join(format!("{}.err", self.name))).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Okta's SCIM requests to one server.
struct Scim {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Scim {
    fn new(server: &Server, deployment: &Deployment) -> Scim {
        Scim { http: reqwest::Client::new(), base: format!("{}/scim/v2", server.root), token: deployment.token.clone() }
    }

    async fn send(&self, method: Method, path: &str, body: &Value) -> Resp {
        let req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header(AUTHORIZATION, format!("Bearer {}", self.token))
            .header(CONTENT_TYPE, SCIM_CONTENT_TYPE)
            .body(body.to_string());
        send(req).await
    }

    async fn create_user(&self, i: usize) -> String {
        let body = okta_user(&format!("user{i:03}@example.com"), "User", &format!("N{i}"));
        let resp = self.send(Method::POST, "/Users", &body).await.expect(201);
        resp.body["id"].as_str().unwrap().to_owned()
    }

    async fn create_group(&self, name: &str) -> String {
        let body = json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name });
        self.send(Method::POST, "/Groups", &body).await.expect(201).body["id"].as_str().unwrap().to_owned()
    }

    async fn add_members(&self, group: &str, ids: &[String]) {
        let members: Vec<Value> = ids.iter().map(|id| json!({ "value": id })).collect();
        let body = patch(json!([{ "op": "add", "path": "members", "value": members }]));
        self.send(Method::PATCH, &format!("/Groups/{group}"), &body).await.expect(200);
    }

    async fn deactivate(&self, id: &str) {
        let body = patch(json!([{ "op": "replace", "value": { "active": false } }]));
        self.send(Method::PATCH, &format!("/Users/{id}"), &body).await.expect(200);
    }
}

/// Creates users `range` through `scims` in turn, 10 at a time; returns their ids in order.
async fn create_users(scims: &[&Scim], range: std::ops::Range<usize>) -> Vec<String> {
    let mut ids = Vec::new();
    for chunk in range.collect::<Vec<_>>().chunks(10) {
        let created =
            futures_util::future::join_all(chunk.iter().map(|&i| scims[i % scims.len()].create_user(i))).await;
        ids.extend(created);
    }
    ids
}

/// Asserts the pool holds exactly `ids`, each with its e-mail, the enabled flag `enabled(i)` and
/// exactly the group of its stored role, and the outbox is drained with nothing dead or retried.
async fn assert_converged(
    deployment: &Deployment,
    pool: &CognitoClient,
    ids: &[String],
    enabled: impl Fn(usize) -> bool,
    agents: usize,
) {
    let status = deployment.status().await;
    let failed = store::outbox::list(deployment.conn(), true, 5).await.unwrap();
    assert_eq!((status.pending, status.dead), (0, 0), "{status:?} {failed:?}");
    let usernames = pool.list_usernames().await.unwrap();
    assert_eq!(usernames.len(), ids.len(), "no duplicates, none missing");
    let names: BTreeSet<String> = usernames.into_iter().collect();
    assert_eq!(names, ids.iter().cloned().collect::<BTreeSet<_>>(), "exactly the provisioned users");
    let roles = store::roles::role_states(deployment.conn(), ids).await.unwrap();
    for (i, id) in ids.iter().enumerate() {
        let user = pool.get(id).await.unwrap().unwrap();
        let role = roles.get(id).and_then(|s| s.role).map(|r| r.to_string());
        assert_eq!(role.is_some(), i < agents, "user {i}: {role:?}");
        if i < agents {
            assert_eq!(role.as_deref(), Some(AGENT_ROLE), "user {i}");
        }
        assert_eq!(user.groups, role.iter().cloned().collect::<BTreeSet<_>>(), "user {i}");
        assert_eq!(user.attributes.get("custom:stackflow_role"), role.as_ref(), "user {i}");
        assert_eq!(user.enabled, enabled(i), "user {i}");
        assert_eq!(user.attributes.get("email").cloned(), Some(format!("user{i:03}@example.com")), "user {i}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_while_delivering_loses_nothing() {
    const USERS: usize = 100;
    const AGENTS: usize = 30;
    const DEACTIVATED: std::ops::Range<usize> = 80..100;
    let moto = Moto::start();
    let pool = moto.pool().await;
    let deployment = Deployment::new().await;
    // Slow delivery (20 Cognito calls/s, 2–6 per user), so the kill lands in the middle of it; a short
    // lease, so the dead worker's claims come back within the test.
    let slow = Mirror { pool: &pool, endpoint: None, rate_limit: 20, lease_seconds: 4 };
    let mut first = Server::start(&deployment, "first", &slow);
    let scim = Scim::new(&first, &deployment);
    let ids = create_users(&[&scim], 0..USERS).await;
    let agents = scim.create_group(AGENTS_GROUP).await;
    scim.add_members(&agents, &ids[..AGENTS]).await;
    for id in &ids[DEACTIVATED] {
        scim.deactivate(id).await;
    }

    // Kill it once some records are delivered and some are not.
    let deadline = Instant::now() + WAIT;
    loop {
        let status = deployment.status().await;
        if status.done >= 20 && status.pending > 0 {
            break;
        }
        assert!(status.pending > 0, "delivered everything before the kill; slow it down: {status:?}");
        assert!(Instant::now() < deadline, "nothing delivered within 60 s: {status:?}\n{}", first.logs(&deployment));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    first.kill();
    let killed_at = store::time::to_micros(store::time::now());
    let status = deployment.status().await;
    let rows = deployment.rows().await;
    let held: Vec<i64> = rows
        .iter()
        .filter(|r| r.state == store::outbox::PENDING && r.claimed_until.is_some_and(|until| until > killed_at))
        .map(|r| r.id)
        .collect();
    eprintln!("killed with {status:?}; {} pending records still claimed by the dead worker", held.len());
    assert!(status.done > 0 && status.pending > 0 && status.dead == 0, "{status:?}");
    assert!(!held.is_empty(), "the kill should leave records claimed by the dead worker: {status:?}");

    // Restarted on the same database, at full speed: the claims expire and everything is delivered.
    let fast = Mirror { pool: &pool, endpoint: None, rate_limit: 500, lease_seconds: 4 };
    let second = Server::start(&deployment, "second", &fast);
    let took = deployment.drained().await;
    eprintln!("drained {took:?} after the restart");
    let rows: BTreeMap<i64, outbox::Model> = deployment.rows().await.into_iter().map(|r| (r.id, r)).collect();
    for id in &held {
        assert_eq!(rows[id].state, store::outbox::DONE, "record {id} the dead worker held: {:?}", rows[id]);
    }
    assert_converged(&deployment, &pool, &ids, |i| !DEACTIVATED.contains(&i), AGENTS).await;
    assert!(second.logs(&deployment).lines().all(|l| !l.contains("ERROR")), "{}", second.logs(&deployment));
}

/// A TCP proxy to Cognito that counts the `AdminCreateUser` requests passing through it.
struct CountingProxy {
    port: u16,
    creates: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl CountingProxy {
    async fn start(upstream: u16) -> CountingProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let creates = Arc::new(AtomicUsize::new(0));
        let counter = creates.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let counter = counter.clone();
                tokio::spawn(async move {
                    let Ok(server) = tokio::net::TcpStream::connect(("127.0.0.1", upstream)).await else { return };
                    let (mut client_read, mut client_write) = client.into_split();
                    let (mut server_read, mut server_write) = server.into_split();
                    let requests = async move {
                        use tokio::io::{AsyncReadExt, AsyncWriteExt};
                        const NEEDLE: &[u8] = b"IdentityProviderService.AdminCreateUser";
                        // The tail of the previous read, so a header split across reads still counts.
                        let mut window: Vec<u8> = Vec::new();
                        let mut buf = vec![0u8; 16 * 1024];
                        loop {
                            let n = match client_read.read(&mut buf).await {
                                Ok(0) | Err(_) => break,
                                Ok(n) => n,
                            };
                            window.extend_from_slice(&buf[..n]);
                            let found = window.windows(NEEDLE.len()).filter(|w| *w == NEEDLE).count();
                            counter.fetch_add(found, Ordering::SeqCst);
                            // Shorter than the needle: never counted twice.
                            let cut = window.len().saturating_sub(NEEDLE.len() - 1);
                            window.drain(..cut);
                            if server_write.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                        let _ = server_write.shutdown().await;
                    };
                    let answers = async move {
                        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
                    };
                    tokio::join!(requests, answers);
                });
            }
        });
        CountingProxy { port, creates, task }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn creates(&self) -> usize {
        self.creates.load(Ordering::SeqCst)
    }
}

impl Drop for CountingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_sharing_a_database_deliver_each_user_once() {
    const USERS: usize = 150;
    const AGENTS: usize = 40;
    const DEACTIVATED: std::ops::Range<usize> = 120..140;
    let replicas = if std::env::var_os(DATABASE_URL_VAR).is_some() { 2 } else { 1 };
    let moto = Moto::start();
    let pool = moto.pool().await;
    let deployment = Deployment::new().await;
    let mut proxies = Vec::new();
    let mut servers = Vec::new();
    for name in ["replica-a", "replica-b"].into_iter().take(replicas) {
        let proxy = CountingProxy::start(moto.port).await;
        // 20 calls/s and a 4 s lease: a claimed batch of 50 users takes longer than its lease, so a
        // worker that kept delivering past its claim would have its records taken by the other.
        let mirror = Mirror { pool: &pool, endpoint: Some(proxy.url()), rate_limit: 20, lease_seconds: 4 };
        servers.push(Server::start(&deployment, name, &mirror));
        proxies.push(proxy);
    }
    let scims: Vec<Scim> = servers.iter().map(|s| Scim::new(s, &deployment)).collect();
    let scim_refs: Vec<&Scim> = scims.iter().collect();
    let ids = create_users(&scim_refs, 0..USERS).await;
    let agents = scims[0].create_group(AGENTS_GROUP).await;
    scims[replicas - 1].add_members(&agents, &ids[..AGENTS]).await;
    for (n, id) in ids[DEACTIVATED].iter().enumerate() {
        scims[n % replicas].deactivate(id).await;
    }

    let took = deployment.drained().await;
    let creates: Vec<usize> = proxies.iter().map(CountingProxy::creates).collect();
    eprintln!(
        "{replicas} server(s) on {}: drained {took:?} after the last write; AdminCreateUser calls per server: {creates:?}",
        if replicas == 2 { "PostgreSQL" } else { "SQLite (STACKFLOW_TEST_DATABASE_URL unset: one server)" }
    );
    assert_eq!(creates.iter().sum::<usize>(), USERS, "each user created in Cognito exactly once: {creates:?}");
    assert!(creates.iter().all(|&n| n > 0), "every server delivered: {creates:?}");
    let rows = deployment.rows().await;
    assert!(rows.len() >= USERS + AGENTS + DEACTIVATED.len(), "{} records", rows.len());
    for row in &rows {
        assert_eq!((row.state.as_str(), row.attempts), (store::outbox::DONE, 0), "delivered at the first try: {row:?}");
    }
    assert_converged(&deployment, &pool, &ids, |i| !DEACTIVATED.contains(&i), AGENTS).await;
    for server in &servers {
        assert!(server.logs(&deployment).lines().all(|l| !l.contains("ERROR")), "{}", server.logs(&deployment));
    }
}
