//! The Okta sign-in bridge end to end with real components: an OIDC provider standing in for Okta
//! (`oidc-provider-mock`, PyPI) and Cognito (`moto_server`), both started on free loopback ports.
//! A user SCIM provisioned into StackFlow-Agents signs in and gets a Cognito ID token saying
//! itsm_agent; moved to StackFlow-ITSM-Managers, the next sign-in says itsm_manager; deactivated,
//! both the callback and the token exchange refuse. Also: state and code reuse, open redirects.
//!
//! Fails, never skips, when `python3 -m oidc_provider_mock` or `moto_server` is missing
//! (`pip install oidc-provider-mock 'moto[server]'`).

use crate::helpers::{okta_user, patch, spawn_app_with, TestApp};
use base64::Engine;
use provider::integration::OktaSettingsUpdate;
use secrecy::SecretString;
use serde_json::{json, Value};
use sso_bridge::cognito::{CognitoClient, CognitoConfig};
use stackflow_server::config::CognitoSettings;
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::time::{Duration, Instant};

const CLIENT_ID: &str = "stackflow-sso-test";
pub(crate) const OKTA_SUB: &str = "00u1adatest";

/// A child process on a loopback port; killed on drop.
struct Process {
    child: Child,
    port: u16,
}

impl Process {
    fn start(what: &str, program: &str, args: &[&str], port: u16) -> Process {
        let mut child = Command::new(program)
            .args(args)
            .env("MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY", "HASH")
            .env("PYTHONWARNINGS", "ignore")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what} ({e}); install it with pip"));
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("{what} exited before listening on port {port}: {status}; install it with pip");
            }
            assert!(Instant::now() < deadline, "{what} did not listen on port {port} within 60 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        Process { child, port }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A running server wired to the OIDC stand-in and the Cognito emulator (also used by e2e_checks).
pub(crate) struct Env {
    pub(crate) app: TestApp,
    okta: Process,
    _moto: Process,
    /// The emulated user pool the server mirrors to.
    pub(crate) pool: CognitoConfig,
}

pub(crate) async fn env() -> Env {
    static CREDENTIALS: Once = Once::new();
    CREDENTIALS.call_once(|| {
        std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
        std::env::set_var("AWS_SESSION_TOKEN", "testing");
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    });
    let port = free_port();
    let okta = Process::start(
        "oidc-provider-mock",
        "python3",
        &["-m", "oidc_provider_mock", "-H", "127.0.0.1", "-p", &port.to_string()],
        port,
    );
    let port = free_port();
    let moto = Process::start("moto_server", "moto_server", &["-H", "127.0.0.1", "-p", &port.to_string()], port);
    let bootstrap =
        CognitoConfig { user_pool_id: "bootstrap".into(), region: "eu-west-1".into(), endpoint_url: Some(moto.url()) };
    let client = CognitoClient::connect(&bootstrap).await.unwrap();
    let out = client.sdk().create_user_pool().pool_name("stackflow-sso").send().await.unwrap();
    let pool_id = out.user_pool().and_then(|p| p.id()).unwrap().to_owned();
    let app_client = client
        .sdk()
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name("stackflow")
        .explicit_auth_flows(aws_sdk_cognitoidentityprovider::types::ExplicitAuthFlowsType::AllowAdminUserPasswordAuth)
        .send()
        .await
        .unwrap();
    let app_client_id = app_client.user_pool_client().and_then(|c| c.client_id()).unwrap().to_owned();
    let pool = CognitoConfig { user_pool_id: pool_id, ..bootstrap };
    let cognito = CognitoSettings {
        pool: pool.clone(),
        rate_limit: 500.0,
        max_attempts: 1000,
        retry_max: Duration::from_secs(2),
        lease: Duration::from_secs(60),
    };
    let issuer = okta.url();
    let app = spawn_app_with(move |c| {
        c.cognito = Some(cognito);
        c.sso.issuer_url = Some(issuer);
        c.sso.cognito_app_client_id = Some(app_client_id);
    })
    .await;
    let update = OktaSettingsUpdate {
        okta_domain: Some("org.okta.example".into()),
        api_token: None,
        oidc_client_id: Some(CLIENT_ID.into()),
        oidc_client_secret: Some(SecretString::from("oidc-secret-for-tests")),
        scim_enabled: Some(true),
        group_sync: Some(true),
        deactivate_on_offboard: Some(true),
    };
    app.provider.configure_okta(update, "test").await.unwrap();
    Env { app, okta, _moto: moto, pool }
}

fn location(resp: &reqwest::Response) -> String {
    resp.headers().get("location").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| v.replace("%2B", "+").replace("%2F", "/").replace("%3D", "="))
    })
}

fn payload(jwt: &str) -> Value {
    let part = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

impl Env {
    /// `/login` → the mock's authorize endpoint (signing in as `sub`) → our callback URL.
    async fn authorize(&self, sub: &str, return_to: &str) -> String {
        let c = &self.app.client;
        let res = c
            .get(format!("{}/auth/okta/login", self.app.root))
            .query(&[("return_to", return_to)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 302, "{:?}", res.text().await);
        let authorize = location(&res);
        assert!(authorize.starts_with(&self.okta.url()), "{authorize}");
        for (name, want) in [("code_challenge_method", Some("S256")), ("response_type", Some("code"))] {
            assert_eq!(query_param(&authorize, name).as_deref(), want, "{authorize}");
        }
        assert!(query_param(&authorize, "nonce").is_some() && query_param(&authorize, "state").is_some());
        let res = c.post(&authorize).form(&[("sub", sub)]).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 302, "{:?}", res.text().await);
        let callback = location(&res);
        assert!(callback.starts_with(&format!("{}/auth/okta/callback?", self.app.root)), "{callback}");
        callback
    }

    async fn callback(&self, url: &str) -> (u16, Value, Vec<String>) {
        let res = self.app.client.get(url).header("accept", "application/json").send().await.unwrap();
        let status = res.status().as_u16();
        let cookies = res.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
        (status, res.json().await.unwrap_or(Value::Null), cookies)
    }

    /// Signs in as `sub` and returns the callback's status and body.
    pub(crate) async fn sign_in(&self, sub: &str) -> (u16, Value) {
        let url = self.authorize(sub, "/tickets").await;
        let (status, body, cookies) = self.callback(&url).await;
        if status == 200 {
            assert!(cookies.iter().any(|c| c.starts_with("sf_id_token=")
                && c.contains("Secure")
                && c.contains("HttpOnly")
                && c.contains("SameSite=Lax")));
        }
        (status, body)
    }

    /// An ID token from the mock (through a code exchange at its token endpoint).
    async fn okta_id_token(&self, sub: &str) -> String {
        let redirect = format!("{}/cb", self.app.root);
        let authorize = format!(
            "{}/oauth2/authorize?response_type=code&client_id={CLIENT_ID}&redirect_uri={redirect}&scope=openid&state=s&nonce=n",
            self.okta.url()
        );
        let c = &self.app.client;
        let res = c.post(&authorize).form(&[("sub", sub)]).send().await.unwrap();
        let code = query_param(&location(&res), "code").unwrap();
        let res = c
            .post(format!("{}/oauth2/token", self.okta.url()))
            .basic_auth(CLIENT_ID, Some("oidc-secret-for-tests"))
            .form(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", &redirect)])
            .send()
            .await
            .unwrap();
        let body: Value = res.json().await.unwrap();
        body["id_token"].as_str().unwrap().to_owned()
    }

    async fn exchange(&self, token: &str) -> (u16, Value) {
        let res = self
            .app
            .client
            .post(format!("{}/auth/okta/token", self.app.root))
            .form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"),
                ("subject_token", token),
                ("subject_token_type", "urn:ietf:params:oauth:token-type:id_token"),
            ])
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
    }
}

pub(crate) fn check_role(body: &Value, role: &str) {
    let claims = payload(body["id_token"].as_str().unwrap_or_else(|| panic!("no id_token in {body}")));
    assert_eq!(claims["custom:stackflow_role"], role, "{claims}");
    assert_eq!(claims["cognito:groups"], json!([role]), "{claims}");
}

#[tokio::test]
async fn scim_provisioned_users_sign_in_with_their_current_role() {
    let env = env().await;
    let app = &env.app;
    let mut body = okta_user("ada@example.com", "Ada", "Lovelace");
    body["externalId"] = json!(OKTA_SUB);
    let user = app.create_user_from(&body).await;
    let id = user["id"].as_str().unwrap().to_owned();
    let agents = app.create_group("StackFlow-Agents").await;
    let managers = app.create_group("StackFlow-ITSM-Managers").await;
    let add = patch(json!([{ "op": "add", "path": "members", "value": [{ "value": id }] }]));
    app.patch(&format!("/Groups/{}", agents["id"].as_str().unwrap()), &add).await.expect(200);

    let (status, body) = env.sign_in(OKTA_SUB).await;
    assert_eq!(status, 200, "{body}");
    check_role(&body, "itsm_agent");
    assert!(body["return_to"].as_str().unwrap().ends_with("/tickets"));

    // Moved to the managers: the next sign-in says so.
    let remove = patch(json!([{ "op": "remove", "path": format!("members[value eq \"{id}\"]") }]));
    app.patch(&format!("/Groups/{}", agents["id"].as_str().unwrap()), &remove).await.expect(200);
    app.patch(&format!("/Groups/{}", managers["id"].as_str().unwrap()), &add).await.expect(200);
    let (status, body) = env.sign_in(OKTA_SUB).await;
    assert_eq!(status, 200, "{body}");
    check_role(&body, "itsm_manager");
    let session = body["access_token"].as_str().unwrap().to_owned();
    let cognito = CognitoClient::connect(&env.pool).await.unwrap();
    cognito.sdk().get_user().access_token(&session).send().await.expect("the session works while active");

    // The OBO bridge: an Okta ID token for Cognito tokens, once.
    let okta_token = env.okta_id_token(OKTA_SUB).await;
    let (status, body) = env.exchange(&okta_token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["issued_token_type"], "urn:ietf:params:oauth:token-type:access_token");
    assert_eq!(body["token_type"], "Bearer");
    check_role(&body, "itsm_manager");
    let (status, body) = env.exchange(&okta_token).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
    let (status, body) = env.exchange("not.a.token").await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");

    // Deactivated in Okta: refused by the callback and the exchange.
    let fresh_token = env.okta_id_token(OKTA_SUB).await;
    let deactivate = patch(json!([{ "op": "replace", "value": { "active": false } }]));
    app.patch(&format!("/Users/{id}"), &deactivate).await.expect(200);
    let (status, body) = env.sign_in(OKTA_SUB).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("access_denied")), "{body}");
    assert!(body["error_description"].as_str().unwrap().contains("deactivated"), "{body}");
    let (status, body) = env.exchange(&fresh_token).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
    // The session issued before is ended too: the mirror disables the Cognito user and signs it out
    // everywhere, which revokes its tokens.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while cognito.sdk().get_user().access_token(&session).send().await.is_ok() {
        assert!(
            std::time::Instant::now() < deadline,
            "the earlier Cognito session still works 30 s after deactivation"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let pool_user = cognito.get(&id).await.unwrap().expect("the Cognito user is kept");
    assert!(!pool_user.enabled, "the Cognito user is disabled");

    // Never provisioned.
    let (status, body) = env.sign_in("00u1stranger").await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error_description"].as_str().unwrap().contains("not assigned to StackFlow"), "{body}");
}

#[tokio::test]
async fn state_code_and_return_to_are_checked() {
    let env = env().await;
    let app = &env.app;
    let mut body = okta_user("bob@example.com", "Bob", "Builder");
    body["externalId"] = json!("00u1bob");
    app.create_user_from(&body).await;

    // State: single use (the second callback with the same state and code is refused).
    let url = env.authorize("00u1bob", "/").await;
    let (status, body, _) = env.callback(&url).await;
    assert_eq!(status, 200, "{body}");
    let (status, body, _) = env.callback(&url).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")), "{body}");

    // A state we never issued.
    let forged = url.replace("state=", "state=x");
    let (status, _, _) = env.callback(&forged).await;
    assert_eq!(status, 400);

    // Code reuse under a fresh state: Okta refuses the code, so do we.
    let code = query_param(&url, "code").unwrap();
    let fresh = env.authorize("00u1bob", "/").await;
    let state = query_param(&fresh, "state").unwrap();
    let reused = format!("{}/auth/okta/callback?code={code}&state={state}", app.root);
    let (status, body, _) = env.callback(&reused).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");

    // No externalId match: found by the e-mail claim = userName (claims set in the Okta stand-in).
    app.create_user_from(&okta_user("carol@example.com", "Carol", "Shaw")).await;
    let res = app
        .client
        .put(format!("{}/users/00u1carol", env.okta.url()))
        .json(&json!({ "email": "carol@example.com" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 204);
    let (status, body) = env.sign_in("00u1carol").await;
    assert_eq!(status, 200, "{body}");

    // Open redirects.
    for target in ["https://evil.example/", "//evil.example/x", &format!("{}.evil.example/", app.root)] {
        let res = app
            .client
            .get(format!("{}/auth/okta/login", app.root))
            .query(&[("return_to", target)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 400, "{target}");
    }
    // Without Accept: application/json the callback redirects to return_to.
    let url = env.authorize("00u1bob", "/tickets/42").await;
    let res = app.client.get(&url).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 302);
    assert_eq!(location(&res), format!("{}/tickets/42", app.root));
}

fn set_cookies(res: &reqwest::Response) -> Vec<String> {
    res.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect()
}

fn query_of(url: &str) -> std::collections::HashMap<String, String> {
    reqwest::Url::parse(url).unwrap().query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

#[tokio::test]
async fn logout_signs_out_of_cognito_clears_cookies_and_ends_the_okta_session() {
    let env = env().await;
    let app = &env.app;
    let mut body = okta_user("dora@example.com", "Dora", "Explorer");
    body["externalId"] = json!("00u1dora");
    app.create_user_from(&body).await;
    let url = env.authorize("00u1dora", "/").await;
    let (status, body, cookies) = env.callback(&url).await;
    assert_eq!(status, 200, "{body}");
    let okta_cookie = cookies.iter().find(|c| c.starts_with("sf_okta_id_token=")).expect("Okta ID token cookie");
    for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(okta_cookie.contains(attribute), "{attribute}");
    }
    let okta_id_token = okta_cookie.split(';').next().unwrap().trim_start_matches("sf_okta_id_token=").to_owned();
    let access = body["access_token"].as_str().unwrap().to_owned();
    let cognito = CognitoClient::connect(&env.pool).await.unwrap();
    cognito.sdk().get_user().access_token(&access).send().await.expect("the access token works before logout");

    // The browser: its cookies identify the user; Cognito signs it out; Okta's end-session URL next.
    let cookie_header = cookies.iter().map(|c| c.split(';').next().unwrap()).collect::<Vec<_>>().join("; ");
    let res =
        app.client.get(format!("{}/auth/okta/logout", app.root)).header("cookie", &cookie_header).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 302);
    let target = location(&res);
    assert!(target.starts_with(&format!("{}/oauth2/end_session?", env.okta.url())), "{target}");
    let query = query_of(&target);
    assert_eq!(query.get("id_token_hint"), Some(&okta_id_token));
    assert_eq!(query.get("post_logout_redirect_uri"), Some(&format!("{}/", app.root)));
    let cleared = set_cookies(&res);
    for name in ["sf_access_token", "sf_id_token", "sf_okta_id_token"] {
        let c = cleared.iter().find(|c| c.starts_with(&format!("{name}=;"))).unwrap_or_else(|| panic!("{name}"));
        for attribute in ["Max-Age=0", "HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
            assert!(c.contains(attribute), "{c}: {attribute}");
        }
    }
    let err = cognito.sdk().get_user().access_token(&access).send().await.expect_err("revoked by the sign-out");
    assert!(err.as_service_error().is_some_and(|e| e.is_not_authorized_exception()), "{err:?}");

    // An API client with the (now invalid) token as a bearer: no error, and Okta's URL in JSON, by
    // client_id since it holds no Okta ID token.
    let res = app
        .client
        .post(format!("{}/auth/okta/logout", app.root))
        .bearer_auth(&access)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!((body["signed_out"].as_bool(), body["cognito"].as_str()), (Some(true), Some("token_invalid")), "{body}");
    let okta_url = body["okta_logout_url"].as_str().unwrap();
    assert_eq!(query_of(okta_url).get("client_id").map(String::as_str), Some(CLIENT_ID), "{okta_url}");

    // No open redirect through return_to.
    let res = app
        .client
        .get(format!("{}/auth/okta/logout", app.root))
        .query(&[("return_to", "https://evil.example/")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
}

#[tokio::test]
async fn token_exchange_is_rate_limited_per_client_address() {
    let app = spawn_app_with(|c| {
        c.sso.token_rate_per_minute = 1;
        c.sso.token_burst = 3;
    })
    .await;
    let exchange = |client: &reqwest::Client| {
        client.post(format!("{}/auth/okta/token", app.root)).form(&[("grant_type", "password")]).send()
    };
    for _ in 0..3 {
        assert_eq!(exchange(&app.client).await.unwrap().status().as_u16(), 400);
    }
    let res = exchange(&app.client).await.unwrap();
    assert_eq!(res.status().as_u16(), 429);
    let retry_after: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "slow_down", "{body}");

    // Another client address is unaffected.
    let other = reqwest::Client::builder().local_address(std::net::IpAddr::from([127, 0, 0, 2])).build().unwrap();
    assert_eq!(exchange(&other).await.unwrap().status().as_u16(), 400);
}

/// Provisions `user_name` (Okta subject `sub`) into the group `group_id`.
async fn provision(app: &TestApp, user_name: &str, sub: &str, group_id: &str) -> String {
    let mut body = okta_user(user_name, "Test", "User");
    body["externalId"] = json!(sub);
    let id = app.create_user_from(&body).await["id"].as_str().unwrap().to_owned();
    let add = patch(json!([{ "op": "add", "path": "members", "value": [{ "value": id }] }]));
    app.patch(&format!("/Groups/{group_id}"), &add).await.expect(200);
    id
}

/// `/admin/login`'s "Sign in with Okta" as `sub`, up to the bridge's callback answer.
async fn hub_sign_in(env: &Env, sub: &str) -> reqwest::Response {
    let url = env.authorize(sub, "/admin/sso").await;
    env.app.client.get(url).send().await.unwrap()
}

fn admin_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("sf_admin_session="))
}

/// Refused: no session, back to the sign-in page, which says why.
async fn check_refused(env: &Env, sub: &str) {
    let res = hub_sign_in(env, sub).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(admin_cookie(&res), None, "no session for a refused user");
    let to = location(&res);
    assert_eq!(to, "/admin/login?refused=okta");
    let res = env.app.client.get(format!("{}{to}", env.app.root)).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 403);
    let text = res.text().await.unwrap();
    assert!(text.contains("Your Okta account is not a StackFlow super_admin"), "{text}");
}

#[tokio::test]
async fn super_admins_sign_in_to_the_hub_page_with_okta() {
    let env = env().await;
    let app = &env.app;
    let page = app.client.get(format!("{}/admin/login", app.root)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("href=\"/auth/okta/login?return_to=/admin/sso\""), "{page}");
    let admins = app.create_group("StackFlow-Admins").await;
    let admins = admins["id"].as_str().unwrap();
    let agents = app.create_group("StackFlow-Agents").await;
    let grace = provision(app, "grace@example.com", "00u1grace", admins).await;
    provision(app, "alan@example.com", "00u1alan", agents["id"].as_str().unwrap()).await;

    // A super_admin: a new session, handed on to the Hub page by a same-site navigation.
    let res = hub_sign_in(&env, "00u1grace").await;
    assert_eq!(res.status().as_u16(), 200);
    let cookie = admin_cookie(&res).expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/admin"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(res.headers().get_all("set-cookie").iter().all(|c| !c.to_str().unwrap().starts_with("sf_access_token=")));
    let hand_off = res.text().await.unwrap();
    assert!(hand_off.contains("url=/admin/integrations/okta"), "{hand_off}");
    let session = cookie.split(';').next().unwrap().to_owned();
    let res = app.client.get(format!("{}/admin/integrations/okta", app.root)).header("cookie", &session).send().await;
    let res = res.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let page = res.text().await.unwrap();
    assert!(page.contains("grace@example.com"), "the page shows who signed in");
    let events = app.provider.recent_activity(50, None).await.unwrap();
    assert!(
        events.iter().any(|e| e.action == "admin.signed_in"
            && e.detail["method"] == "okta"
            && e.detail["userName"] == "grace@example.com"),
        "{events:?}"
    );

    // A forged callback opens nothing.
    let res = app.client.get(format!("{}/auth/okta/callback?state=forged&code=x", app.root)).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 400);
    assert_eq!(admin_cookie(&res), None);

    // An agent is refused; so is a super_admin deactivated in Okta.
    check_refused(&env, "00u1alan").await;
    let deactivate = patch(json!([{ "op": "replace", "value": { "active": false } }]));
    app.patch(&format!("/Users/{grace}"), &deactivate).await.expect(200);
    check_refused(&env, "00u1grace").await;
}
