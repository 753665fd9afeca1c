//! Test harness: one running server per test (in-memory SQLite, or a fresh PostgreSQL database when
//! `STACKFLOW_TEST_DATABASE_URL` is set) and a client that speaks exactly as Okta does.

use provider::{IntegrationSettings, Provider};
use reqwest::header::{HeaderMap, ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use reqwest::{Method, RequestBuilder};
use sea_orm::ConnectionTrait;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use stackflow_server::{Application, Config};

/// The environment variable naming a PostgreSQL server to run the tests against.
pub const DATABASE_URL_VAR: &str = "STACKFLOW_TEST_DATABASE_URL";

/// The SCIM media type, as Okta sends it.
pub const SCIM_CONTENT_TYPE: &str = "application/scim+json; charset=utf-8";
/// Okta's provisioning client.
pub const OKTA_USER_AGENT: &str = "Okta SCIM Client 1.0.0";

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const SEARCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/// A running server and a client for it.
pub struct TestApp {
    /// `http://127.0.0.1:PORT` (health endpoints live here).
    pub root: String,
    /// `http://127.0.0.1:PORT/scim/v2`.
    pub base: String,
    /// The SCIM bearer token Okta was given.
    pub token: String,
    /// The HTTP client.
    pub client: reqwest::Client,
    /// The provider behind the server (to rotate tokens and change settings as an admin would).
    pub provider: Provider,
    /// The PostgreSQL server and the database created for this test, dropped with the app.
    postgres: Option<(String, String)>,
    /// Holds the local secret backend's key file of this test.
    _secrets_dir: tempfile::TempDir,
}

/// The admin API bootstrap token every test server is configured with.
pub const ADMIN_TOKEN: &str = "test-admin-bootstrap-token-0123456789";

impl TestApp {
    /// An admin API request (`/admin/api{path}`) with the bootstrap token and an optional JSON body.
    pub async fn admin(&self, method: Method, path: &str, body: Option<&Value>) -> Resp {
        self.admin_with_token(method, path, body, Some(ADMIN_TOKEN)).await
    }

    /// An admin API request with the given token (`None`: no `Authorization`).
    pub async fn admin_with_token(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        token: Option<&str>,
    ) -> Resp {
        let mut req = self.client.request(method, format!("{}/admin/api{path}", self.root));
        if let Some(token) = token {
            req = req.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        if let Some(body) = body {
            req = req.header(CONTENT_TYPE, "application/json").body(body.to_string());
        }
        send(req).await
    }
}

impl Drop for TestApp {
    /// Drops the test's PostgreSQL database (best effort; kept when the test failed, to inspect it).
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else { return };
        if std::thread::panicking() {
            eprintln!("test failed: its database {name} is kept");
            return;
        }
        drop_postgres_database(admin_url, name);
    }
}

/// Drops a test's PostgreSQL database, best effort, from a `Drop` impl (which cannot await: it runs
/// on a runtime of its own). FORCE ends the server's pooled connections to it (PostgreSQL 13+).
pub fn drop_postgres_database(admin_url: String, name: String) {
    let cleanup = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
        rt.block_on(async {
            let conn = sea_orm::Database::connect(admin_url.as_str()).await.ok()?;
            conn.execute_unprepared(&format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#)).await.ok()?;
            conn.close().await.ok()
        })
    });
    let _ = cleanup.join();
}

/// An answer, read in full.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    /// The raw body.
    pub text: String,
    /// The body as JSON (`Null` when empty or not JSON).
    pub body: Value,
}

impl Resp {
    /// A header's value as a string (panics when absent or not text).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header in {self:?}"))
            .to_str()
            .expect("header is not text")
    }

    /// Asserts the status, printing the body when it differs; returns `self` for chaining.
    #[track_caller]
    pub fn expect(self, status: u16) -> Resp {
        assert_eq!(self.status, status, "unexpected status; body: {}", self.text);
        self
    }

    /// Asserts a successful SCIM answer: `status` and `Content-Type: application/scim+json`.
    #[track_caller]
    pub fn scim(self, status: u16) -> Resp {
        let resp = self.expect(status);
        assert_scim_content_type(&resp);
        resp
    }
}

#[track_caller]
fn assert_scim_content_type(resp: &Resp) {
    let ct = resp.header("content-type");
    assert!(ct.starts_with("application/scim+json"), "Content-Type {ct:?}; body: {}", resp.text);
}

/// Asserts `resp` is a SCIM Error (RFC 7644 §3.12) with this status and `scimType` (`None`: none
/// expected), and returns its `detail`.
#[track_caller]
pub fn assert_scim_error(resp: &Resp, status: u16, scim_type: Option<&str>) -> String {
    assert_eq!(resp.status, status, "unexpected status; body: {}", resp.text);
    assert_scim_content_type(resp);
    let body = &resp.body;
    assert_eq!(body["schemas"], json!([ERROR_SCHEMA]), "error body: {}", resp.text);
    assert_eq!(body["status"], json!(status.to_string()), "status must be a string: {}", resp.text);
    assert_eq!(body["scimType"].as_str(), scim_type, "error body: {}", resp.text);
    let detail = body["detail"].as_str().unwrap_or_else(|| panic!("error without a detail: {}", resp.text));
    assert!(!detail.trim().is_empty(), "empty detail: {}", resp.text);
    detail.to_owned()
}

/// Percent-encodes a query value the way Okta does (`%20` for spaces, `%22` for quotes, `%40` for `@`).
pub fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The body Okta POSTs to `/Users` when it provisions a user.
pub fn okta_user(user_name: &str, given: &str, family: &str) -> Value {
    json!({
        "schemas": [USER_SCHEMA],
        "userName": user_name,
        "name": { "givenName": given, "familyName": family },
        "emails": [{ "primary": true, "value": user_name, "type": "work" }],
        "displayName": format!("{given} {family}"),
        "locale": "en-US",
        "externalId": format!("okta-{}", user_name.to_lowercase()),
        "groups": [],
        "password": "1mz050nq-Okta-S3cret!",
        "active": true
    })
}

/// A PatchOp request with these operations.
pub fn patch(operations: Value) -> Value {
    json!({ "schemas": [PATCH_SCHEMA], "Operations": operations })
}

impl TestApp {
    /// A request with Okta's headers and the current token.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.request_with_token(method, path, Some(&self.token))
    }

    /// A request with Okta's headers and the given bearer token (`None`: no `Authorization`).
    pub fn request_with_token(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        self.request_without_content_type(method, path, token).header(CONTENT_TYPE, SCIM_CONTENT_TYPE)
    }

    /// Okta's headers but `Content-Type`, for requests that send their own (reqwest appends
    /// headers, it does not replace them).
    pub fn request_without_content_type(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header(ACCEPT, "application/scim+json")
            .header(USER_AGENT, OKTA_USER_AGENT);
        if let Some(token) = token {
            req = req.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        req
    }

    pub async fn get(&self, path: &str) -> Resp {
        send(self.request(Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Resp {
        send(self.request(Method::POST, path).body(body.to_string())).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Resp {
        send(self.request(Method::PUT, path).body(body.to_string())).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Resp {
        send(self.request(Method::PATCH, path).body(body.to_string())).await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        send(self.request(Method::DELETE, path)).await
    }

    /// `GET /Users?filter=…&startIndex=1&count=100`, as Okta checks whether a user exists.
    pub async fn find_users(&self, filter: &str) -> Value {
        self.get(&format!("/Users?filter={}&startIndex=1&count=100", enc(filter))).await.scim(200).body
    }

    /// Creates a user from `body` and returns the created resource.
    pub async fn create_user_from(&self, body: &Value) -> Value {
        self.post("/Users", body).await.scim(201).body
    }

    /// Creates a user as Okta would and returns the created resource.
    pub async fn create_user(&self, user_name: &str) -> Value {
        self.create_user_from(&okta_user(user_name, "Test", "User")).await
    }

    /// Creates an (empty) group as Okta's Push Groups does and returns it.
    pub async fn create_group(&self, display_name: &str) -> Value {
        let body = json!({ "schemas": [GROUP_SCHEMA], "displayName": display_name, "members": [] });
        self.post("/Groups", &body).await.scim(201).body
    }

    /// The ids of a group's members, sorted.
    pub async fn member_ids(&self, group_id: &str) -> Vec<String> {
        let group = self.get(&format!("/Groups/{group_id}")).await.scim(200).body;
        let mut ids: Vec<String> = group["members"]
            .as_array()
            .map(|m| m.iter().map(|m| m["value"].as_str().expect("member value").to_owned()).collect())
            .unwrap_or_default();
        ids.sort();
        ids
    }

    /// Turns SCIM provisioning on or off, as an administrator would.
    pub async fn set_scim_enabled(&self, enabled: bool) {
        let settings = IntegrationSettings { scim_enabled: enabled, ..Default::default() };
        self.provider.save_settings(&settings, "test").await.expect("saving the settings failed");
    }

    /// Generates a new SCIM token (the old one stops working at once) and returns it.
    pub async fn rotate_token(&self) -> String {
        let token = self.provider.tokens().generate("test", None).await.expect("generating a token failed");
        token.expose_secret().to_owned()
    }
}

/// Sends a request and reads the whole answer.
pub async fn send(req: RequestBuilder) -> Resp {
    let res = req.send().await.expect("request failed");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let text = res.text().await.expect("reading the body failed");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Resp { status, headers, text, body }
}

/// Creates a fresh, empty PostgreSQL database on the server named by `admin_url` and returns its URL.
/// Panics (failing the test) when the server cannot be reached: with the variable set, the tests
/// must run against PostgreSQL, never silently skip it.
pub async fn fresh_postgres_database(admin_url: &str) -> (String, String) {
    let name = format!("sf_test_{}", uuid::Uuid::new_v4().simple());
    let conn = sea_orm::Database::connect(admin_url)
        .await
        .unwrap_or_else(|e| panic!("{DATABASE_URL_VAR} is set but PostgreSQL at {admin_url} cannot be reached: {e}"));
    conn.execute_unprepared(&format!(r#"CREATE DATABASE "{name}""#))
        .await
        .unwrap_or_else(|e| panic!("cannot create test database {name} on {admin_url}: {e}"));
    let _ = conn.close().await;
    (with_database(admin_url, &name), name)
}

/// `url` with its database (the path) replaced by `name`, keeping any query string.
fn with_database(url: &str, name: &str) -> String {
    let (main, query) = match url.split_once('?') {
        Some((main, query)) => (main, Some(query)),
        None => (url, None),
    };
    let authority_start = main.find("://").map(|i| i + 3).unwrap_or(0);
    let server = match main[authority_start..].find('/') {
        Some(slash) => &main[..authority_start + slash],
        None => main,
    };
    match query {
        Some(q) => format!("{server}/{name}?{q}"),
        None => format!("{server}/{name}"),
    }
}

/// Starts the server on a random port with SCIM enabled and a fresh token.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// [`spawn_app`] with `configure` applied to the test configuration first (e.g. `[cognito]`).
pub async fn spawn_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    let mut config = Config::for_test();
    let secrets_dir = tempfile::tempdir().expect("temporary directory");
    config.secrets = store::secrets::SecretsConfig::Local {
        key_file: secrets_dir.path().join("stackflow-secrets.key"),
        key_env: None,
    };
    config.admin_bootstrap_token = Some(SecretString::from(ADMIN_TOKEN));
    configure(&mut config);
    let mut postgres = None;
    if let Ok(url) = std::env::var(DATABASE_URL_VAR) {
        let url = url.trim();
        assert!(
            url.starts_with("postgres://") || url.starts_with("postgresql://"),
            "{DATABASE_URL_VAR} must be a postgres:// URL, got {url:?}"
        );
        let (database_url, name) = fresh_postgres_database(url).await;
        config.database_url = SecretString::from(database_url);
        postgres = Some((url.to_owned(), name));
    }
    let app = Application::build(config).await.expect("building the application failed");
    let port = app.port();
    let provider = app.provider().clone();
    let token = provider.tokens().generate("test", None).await.expect("generating a token failed");
    provider
        .save_settings(&IntegrationSettings { scim_enabled: true, ..Default::default() }, "test")
        .await
        .expect("enabling SCIM failed");
    tokio::spawn(app.run_until_stopped());
    let root = format!("http://127.0.0.1:{port}");
    TestApp {
        base: format!("{root}/scim/v2"),
        root,
        token: token.expose_secret().to_owned(),
        client: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client"),
        provider,
        postgres,
        _secrets_dir: secrets_dir,
    }
}

#[test]
fn database_url_rewriting() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(with_database("postgres://u:p@h/db?sslmode=disable", "x"), "postgres://u:p@h/x?sslmode=disable");
    assert_eq!(with_database("postgresql://h:5432", "x"), "postgresql://h:5432/x");
}
