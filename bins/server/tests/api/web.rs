//! The Integration Hub's Okta web page (`/admin/integrations/okta`) as a browser without JavaScript
//! drives it: sign-in with the bootstrap token, the session cookie, CSRF tokens, Post/Redirect/Get,
//! write-only secrets, the SCIM token shown once, the mapping preview, Save & Test, and the security
//! headers.

use crate::helpers::{okta_user, patch, send, spawn_app, spawn_app_with, Resp, TestApp, ADMIN_TOKEN};
use provider::integration::SecretState;
use reqwest::header::{COOKIE, SET_COOKIE};
use serde_json::json;

const PAGE: &str = "/admin/integrations/okta";
const API_TOKEN: &str = "00aBcD-web-api-token-that-must-never-be-rendered";
const OIDC_SECRET: &str = "web-oidc-client-secret-that-must-never-be-rendered";
const CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";

/// A signed-in administrator's browser: the session cookie and the page's CSRF token. Every HTML
/// answer it receives is kept, to check that no secret ever appears in one.
struct Admin<'a> {
    app: &'a TestApp,
    cookie: String,
    csrf: String,
    seen: std::sync::Mutex<Vec<String>>,
}

/// The value of `name="csrf"` in a page.
fn csrf_of(html: &str) -> String {
    let start =
        html.find(r#"name="csrf" value=""#).expect("no CSRF field in the page") + r#"name="csrf" value=""#.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// The session cookie (`name=value`) a response sets, if any.
fn session_cookie(resp: &Resp) -> Option<String> {
    resp.headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("sf_admin_session="))
        .map(|v| v.split(';').next().unwrap().to_owned())
}

async fn get(app: &TestApp, path: &str, cookie: Option<&str>) -> Resp {
    let mut req = app.client.get(format!("{}{path}", app.root));
    if let Some(cookie) = cookie {
        req = req.header(COOKIE, cookie);
    }
    send(req).await
}

async fn post(app: &TestApp, path: &str, cookie: Option<&str>, form: &[(&str, &str)]) -> Resp {
    let mut req = app.client.post(format!("{}{path}", app.root)).form(form);
    if let Some(cookie) = cookie {
        req = req.header(COOKIE, cookie);
    }
    send(req).await
}

#[track_caller]
fn assert_security_headers(resp: &Resp) {
    assert_eq!(resp.header("content-security-policy"), CSP);
    assert_eq!(resp.header("x-content-type-options"), "nosniff");
    assert_eq!(resp.header("referrer-policy"), "no-referrer");
    assert_eq!(resp.header("cache-control"), "no-store");
}

#[track_caller]
fn assert_redirect(resp: &Resp, location: &str) {
    assert_eq!(resp.status, 303, "body: {}", resp.text);
    assert_eq!(resp.header("location"), location);
}

impl<'a> Admin<'a> {
    async fn sign_in(app: &'a TestApp) -> Admin<'a> {
        let resp = post(app, "/admin/login", None, &[("token", ADMIN_TOKEN)]).await;
        assert_redirect(&resp, PAGE);
        let set_cookie = resp.header("set-cookie").to_owned();
        for attribute in ["HttpOnly", "SameSite=Strict", "Path=/admin"] {
            assert!(set_cookie.contains(attribute), "{set_cookie}");
        }
        assert!(!set_cookie.contains("Secure"), "plain http test server: {set_cookie}");
        let cookie = session_cookie(&resp).expect("no session cookie");
        let page = get(app, PAGE, Some(&cookie)).await.expect(200);
        let admin = Admin { app, csrf: csrf_of(&page.text), cookie, seen: Default::default() };
        admin.seen.lock().unwrap().push(page.text);
        admin
    }

    async fn page(&self) -> Resp {
        let resp = get(self.app, PAGE, Some(&self.cookie)).await;
        self.seen.lock().unwrap().push(resp.text.clone());
        resp
    }

    /// Posts a form with the session's CSRF token.
    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Resp {
        let mut fields = vec![("csrf", self.csrf.as_str())];
        fields.extend_from_slice(form);
        let resp = post(self.app, path, Some(&self.cookie), &fields).await;
        self.seen.lock().unwrap().push(resp.text.clone());
        resp
    }

    fn assert_no_secret_seen(&self) {
        for html in self.seen.lock().unwrap().iter() {
            assert!(!html.contains(API_TOKEN) && !html.contains(OIDC_SECRET), "a secret was rendered:\n{html}");
        }
    }
}

#[tokio::test]
async fn the_page_requires_sign_in() {
    let app = spawn_app().await;
    let resp = get(&app, PAGE, None).await;
    assert_redirect(&resp, "/admin/login");
    assert_security_headers(&resp);
    // A made-up session id is no session.
    assert_redirect(&get(&app, PAGE, Some(&format!("sf_admin_session={}", "ab".repeat(32)))).await, "/admin/login");
    // Nor can a form be posted without one.
    let resp = post(&app, &format!("{PAGE}/scim-token"), None, &[("csrf", "x")]).await;
    assert_redirect(&resp, "/admin/login");

    let login = get(&app, "/admin/login", None).await.expect(200);
    assert_security_headers(&login);
    assert!(login.header("content-type").starts_with("text/html"));
    assert!(login.text.contains(r#"<form method="post" action="/admin/login">"#), "{}", login.text);
    assert!(login.text.contains(r#"<label for="token">"#));
}

#[tokio::test]
async fn a_wrong_admin_token_is_refused() {
    let app = spawn_app().await;
    for token in ["wrong-token-0123456789abcdef", ""] {
        let resp = post(&app, "/admin/login", None, &[("token", token)]).await.expect(401);
        assert!(session_cookie(&resp).is_none());
        assert!(resp.text.contains("Wrong admin token"), "{}", resp.text);
        assert_security_headers(&resp);
    }
    assert_redirect(&get(&app, PAGE, None).await, "/admin/login");
}

#[tokio::test]
async fn without_a_bootstrap_token_the_login_page_says_how_to_set_one() {
    let app = spawn_app_with(|c| c.admin_bootstrap_token = None).await;
    let resp = get(&app, "/admin/login", None).await.expect(503);
    assert!(resp.text.contains("STACKFLOW__ADMIN__BOOTSTRAP_TOKEN"), "{}", resp.text);
    assert!(!resp.text.contains("<form"));
    post(&app, "/admin/login", None, &[("token", ADMIN_TOKEN)]).await.expect(503);
}

#[tokio::test]
async fn forms_without_the_right_csrf_token_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let admin = Admin::sign_in(&app).await;
    let settings = [("okta_domain", "csrf-test.okta.com"), ("scim_enabled", "on"), ("api_token", API_TOKEN)];
    let before = app.provider.tokens().status().await.unwrap();
    for csrf in [None, Some("0".repeat(64)), Some(admin.csrf[..63].to_owned())] {
        let mut form: Vec<(&str, &str)> = settings.to_vec();
        if let Some(csrf) = &csrf {
            form.push(("csrf", csrf));
        }
        let resp = post(&app, &format!("{PAGE}/settings"), Some(&admin.cookie), &form).await.expect(403);
        assert_security_headers(&resp);
        assert!(resp.text.contains("security token"), "{}", resp.text);
        let mut form = vec![("group", "Finance-Leads"), ("role", "itsm_manager"), ("action", "apply")];
        if let Some(csrf) = &csrf {
            form.push(("csrf", csrf));
        }
        post(&app, &format!("{PAGE}/mappings"), Some(&admin.cookie), &form).await.expect(403);
        let form: Vec<(&str, &str)> = csrf.iter().map(|c| ("csrf", c.as_str())).collect();
        post(&app, &format!("{PAGE}/scim-token"), Some(&admin.cookie), &form).await.expect(403);
        post(&app, "/admin/logout", Some(&admin.cookie), &form).await.expect(403);
    }
    // Another session's token is not this session's.
    let other = Admin::sign_in(&app).await;
    assert_ne!(other.csrf, admin.csrf);
    let mut form: Vec<(&str, &str)> = settings.to_vec();
    form.push(("csrf", &other.csrf));
    post(&app, &format!("{PAGE}/settings"), Some(&admin.cookie), &form).await.expect(403);

    let view = app.provider.okta_settings().await.unwrap();
    assert_eq!((view.okta_domain, view.api_token), (None, SecretState::NotSet));
    assert!(app.provider.mappings().await.unwrap().rules.iter().all(|r| r.matcher.value() != "Finance-Leads"));
    assert_eq!(app.provider.tokens().status().await.unwrap().created_at, before.created_at);
    app.get("/Users").await.scim(200); // the SCIM token still works
    admin.page().await.expect(200); // and the session is still signed in
}

#[tokio::test]
async fn saving_settings_persists_them_and_never_renders_a_secret() {
    let app = spawn_app().await;
    let admin = Admin::sign_in(&app).await;
    let page = admin.page().await.expect(200);
    // The seed's defaults: SCIM off (the test server turned it on), Deactivate on Offboard on.
    assert!(
        page.text.contains(
            r#"<input type="checkbox" id="deactivate_on_offboard" name="deactivate_on_offboard" value="on" checked"#
        ),
        "{}",
        page.text
    );
    assert!(page.text.contains(r#"data-secret="api_token">not set<"#), "{}", page.text);

    let resp = admin
        .post(
            &format!("{PAGE}/settings"),
            &[
                ("okta_domain", "https://Acme.okta.com/"),
                ("api_token", API_TOKEN),
                ("oidc_client_id", "0oa1webclient"),
                ("oidc_client_secret", OIDC_SECRET),
                ("scim_enabled", "on"),
                ("group_sync", "on"),
                ("group_sync_shown", "on"),
                ("action", "save"),
            ],
        )
        .await;
    assert_redirect(&resp, &format!("{PAGE}#settings"));
    let view = app.provider.okta_settings().await.unwrap();
    assert_eq!(view.okta_domain.as_deref(), Some("acme.okta.com"));
    assert_eq!(view.oidc_client_id.as_deref(), Some("0oa1webclient"));
    assert_eq!((view.api_token, view.oidc_client_secret), (SecretState::Set, SecretState::Set));
    assert!(view.scim_enabled && view.group_sync && !view.deactivate_on_offboard, "{view:?}");
    assert!(view.group_sync_default, "an unchanged Group Sync box keeps following the default");

    let page = admin.page().await.expect(200);
    assert!(page.text.contains("Settings saved."), "{}", page.text);
    assert!(page.text.contains(r#"value="acme.okta.com""#));
    assert!(page.text.contains(r#"data-secret="api_token">set<"#));
    assert!(page.text.contains(r#"data-secret="oidc_client_secret">set<"#));
    assert!(!admin.page().await.text.contains("Settings saved."), "a notice is shown once");

    // Empty secret fields keep the stored secrets.
    admin
        .post(
            &format!("{PAGE}/settings"),
            &[("okta_domain", "acme.okta.com"), ("api_token", ""), ("scim_enabled", "on")],
        )
        .await
        .expect(303);
    assert_eq!(app.provider.okta_settings().await.unwrap().api_token, SecretState::Set);

    // A malformed field is refused with the provider's message next to it; nothing is saved.
    admin
        .post(&format!("{PAGE}/settings"), &[("okta_domain", "acme.okta.com/oauth2"), ("api_token", API_TOKEN)])
        .await
        .expect(303);
    let page = admin.page().await.expect(200);
    assert!(page.text.contains(r#"id="okta_domain-error""#), "{}", page.text);
    assert!(page.text.contains(r#"aria-invalid="true""#));
    assert!(page.text.contains(r#"value="acme.okta.com/oauth2""#), "the typed value is kept");
    assert_eq!(app.provider.okta_settings().await.unwrap().okta_domain.as_deref(), Some("acme.okta.com"));

    // The audit trail shows on the page, newest first, without the secrets.
    assert!(page.text.contains("settings.updated") && page.text.contains("admin-web"), "{}", page.text);
    admin.assert_no_secret_seen();
}

#[tokio::test]
async fn a_generated_scim_token_is_shown_once() {
    let app = spawn_app().await;
    let admin = Admin::sign_in(&app).await;
    let page = admin.page().await.expect(200);
    assert!(page.text.contains("stop working at once"), "the page warns before generating");

    let resp = admin.post(&format!("{PAGE}/scim-token"), &[]).await;
    assert_redirect(&resp, &format!("{PAGE}#scim-token"));
    let page = admin.page().await.expect(200);
    let start = page.text.find("sfscim_").expect("the new token is shown");
    let token: String = page.text[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    assert!(page.text.contains("shown once"));
    assert!(page.text.contains(r#"data-copy="new-token""#), "a copy button");

    // The old token stopped working; the new one works.
    app.get("/Users").await.expect(401);
    send(app.request_with_token(reqwest::Method::GET, "/Users", Some(&token))).await.scim(200);

    let again = admin.page().await.expect(200);
    assert!(!again.text.contains(&token) && !again.text.contains("sfscim_"), "shown once only");
}

#[tokio::test]
async fn mappings_are_previewed_then_added_and_removed() {
    let app = spawn_app().await;
    let admin = Admin::sign_in(&app).await;
    let has_rule =
        || async { app.provider.mappings().await.unwrap().rules.iter().any(|r| r.matcher.value() == "Finance-Leads") };
    let form = [("group", "Finance-Leads"), ("role", "itsm_manager")];
    let mut preview = form.to_vec();
    preview.push(("action", "preview"));
    assert_redirect(&admin.post(&format!("{PAGE}/mappings"), &preview).await, &format!("{PAGE}#mappings"));
    let page = admin.page().await.expect(200);
    assert!(page.text.contains("Preview"), "{}", page.text);
    assert!(page.text.contains("Finance-Leads → itsm_manager would be created"), "{}", page.text);
    assert!(page.text.contains("No user would change role"));
    assert!(page.text.contains(r#"value="Finance-Leads""#), "the form stays filled");
    assert!(!has_rule().await, "a preview writes nothing");

    let mut apply = form.to_vec();
    apply.push(("action", "apply"));
    admin.post(&format!("{PAGE}/mappings"), &apply).await.expect(303);
    assert!(has_rule().await);
    let page = admin.page().await.expect(200);
    assert!(page.text.contains("Finance-Leads → itsm_manager created"), "{}", page.text);

    // A duplicate is refused with the provider's reason.
    admin.post(&format!("{PAGE}/mappings"), &apply).await.expect(303);
    assert!(admin.page().await.text.contains("duplicate rule"));

    admin
        .post(&format!("{PAGE}/mappings/remove"), &[("group", "Finance-Leads"), ("action", "apply")])
        .await
        .expect(303);
    assert!(!has_rule().await);
}

#[tokio::test]
async fn save_and_test_shows_each_check_with_its_fix() {
    // Nothing listens on port 1: the Okta org is unreachable.
    let app = spawn_app_with(|c| c.okta_base_url_override = Some("http://127.0.0.1:1".into())).await;
    let admin = Admin::sign_in(&app).await;
    let resp = admin
        .post(
            &format!("{PAGE}/settings"),
            &[
                ("okta_domain", "unreachable.okta.com"),
                ("api_token", API_TOKEN),
                ("scim_enabled", "on"),
                ("action", "save_test"),
            ],
        )
        .await;
    assert_redirect(&resp, &format!("{PAGE}#results"));
    let page = admin.page().await.expect(200);
    assert!(page.text.contains(r#"data-check="okta_api" data-status="failed""#), "{}", page.text);
    assert!(page.text.contains("domain unreachable"));
    assert!(page.text.contains("Fix: check the Okta domain"));
    assert!(page.text.contains(r#"data-check="scim" data-status="ok""#));
    admin.assert_no_secret_seen();
}

#[tokio::test]
async fn security_headers_are_on_every_page_and_sign_out_ends_the_session() {
    let app = spawn_app().await;
    let admin = Admin::sign_in(&app).await;
    let page = admin.page().await.expect(200);
    assert_security_headers(&page);
    assert!(page.header("content-type").starts_with("text/html"));
    assert!(!page.text.contains("<script>") && !page.text.contains("style="), "no inline script or style");
    let css = get(&app, "/admin/static/hub.css", None).await.expect(200);
    assert!(css.header("content-type").starts_with("text/css"));
    assert_eq!(css.header("x-content-type-options"), "nosniff");
    let js = get(&app, "/admin/static/hub.js", None).await.expect(200);
    assert!(js.header("content-type").starts_with("text/javascript"));
    get(&app, "/admin/static/nope.js", None).await.expect(404);

    let resp = admin.post("/admin/logout", &[]).await;
    assert_redirect(&resp, "/admin/login");
    assert!(resp.header("set-cookie").contains("Max-Age=0"));
    assert_redirect(&admin.page().await, "/admin/login");
}

/// The `<li>` of step `n` in the "Testing the integration" panel.
fn verify_step(html: &str, n: u8) -> &str {
    let start = html.find(&format!(r#"id="verify-step-{n}""#)).unwrap_or_else(|| panic!("no step {n}:\n{html}"));
    let end = html[start..].find("</li>").unwrap() + start;
    &html[start..end]
}

#[tokio::test]
async fn the_testing_panel_judges_the_guides_checks_from_okta_traffic() {
    let app = spawn_app().await;
    let admin = Admin::sign_in(&app).await;
    let page = admin.page().await.expect(200);
    assert!(page.text.contains(r#"<h2 id="verify-title">Testing the integration</h2>"#), "{}", page.text);
    assert!(!page.text.contains("verify-steps"), "not started yet");

    // Without the session's CSRF token the start form is refused.
    for form in [vec![("user", "ada.web@example.com")], vec![("user", "x"), ("csrf", "0")]] {
        post(&app, &format!("{PAGE}/verify"), Some(&admin.cookie), &form).await.expect(403);
    }
    let before = app.provider.audit_cursor().await.unwrap();
    let resp = admin.post(&format!("{PAGE}/verify"), &[("user", "")]).await;
    let location = format!("{PAGE}?verify_from={before}#verify");
    assert_redirect(&resp, &location);
    let started = get(&app, &location, Some(&admin.cookie)).await.expect(200);
    assert_security_headers(&started);
    for n in 1..=4 {
        assert!(verify_step(&started.text, n).contains(r#"data-status="#), "{}", started.text);
    }
    let step1 = verify_step(&started.text, 1);
    assert!(step1.contains("waiting") && step1.contains("Assign to People"), "{step1}");
    assert!(verify_step(&started.text, 4).contains("skipped"), "{}", started.text);
    assert!(started.text.contains(&format!(r#"href="{}""#, location.replace('&', "&amp;"))), "{}", started.text);

    // Okta: assign the user, push it in StackFlow-Agents, move it to ITSM-Managers, unassign it.
    let user = "ada.web@example.com";
    let id = app.create_user_from(&okta_user(user, "Ada", "Web")).await["id"].as_str().unwrap().to_owned();
    let agents = app.create_group("StackFlow-Agents").await["id"].as_str().unwrap().to_owned();
    let managers = app.create_group("StackFlow-ITSM-Managers").await["id"].as_str().unwrap().to_owned();
    let add = patch(json!([{ "op": "add", "path": "members", "value": [{ "value": id }] }]));
    app.patch(&format!("/Groups/{agents}"), &add).await.expect(200);
    app.patch(&format!("/Groups/{managers}"), &add).await.expect(200);
    let remove = patch(json!([{ "op": "remove", "path": format!("members[value eq \"{id}\"]") }]));
    app.patch(&format!("/Groups/{agents}"), &remove).await.expect(200);
    let deactivate = patch(json!([{ "op": "replace", "value": { "active": false } }]));
    app.patch(&format!("/Users/{id}"), &deactivate).await.expect(200);

    // "Refresh" judges again: steps 1, 2 and 4 passed, the sign-in (step 3) still waits.
    let page = get(&app, &location, Some(&admin.cookie)).await.expect(200);
    let html = &page.text;
    let step1 = verify_step(html, 1);
    assert!(step1.contains(r#"data-status="passed""#) && step1.contains(&format!("{user} created by SCIM")), "{step1}");
    // As for `stackflow-admin verify`, the first role change after the creation is the group change.
    let step2 = verify_step(html, 2);
    assert!(step2.contains(r#"data-status="passed""#) && step2.contains("no role → itsm_agent"), "{step2}");
    let step3 = verify_step(html, 3);
    assert!(step3.contains(r#"data-status="waiting""#), "{step3}");
    assert!(step3.contains("waiting") && step3.contains("/auth/okta/login"), "the instruction: {step3}");
    assert!(step3.contains("Fix: "), "{step3}");
    let step4 = verify_step(html, 4);
    assert!(step4.contains(r#"data-status="passed""#) && step4.contains("deactivated"), "{step4}");

    // A userName given at the start is kept in the address (encoded) and judged for that user only.
    let resp = admin.post(&format!("{PAGE}/verify"), &[("user", " grace+web@example.com ")]).await;
    let from = app.provider.audit_cursor().await.unwrap();
    assert_redirect(&resp, &format!("{PAGE}?verify_from={from}&verify_user=grace%2Bweb%40example.com#verify"));
    let page = get(&app, resp.header("location"), Some(&admin.cookie)).await.expect(200);
    assert!(page.text.contains(r#"value="grace+web@example.com""#), "{}", page.text);
    assert!(verify_step(&page.text, 1).contains(r#"data-status="waiting""#), "{}", page.text);
    admin.assert_no_secret_seen();
}
