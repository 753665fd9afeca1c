//! The Integration Hub's Okta page for administrators (Admin → Integration Hub → Okta), served as
//! server-rendered HTML: `/admin/login`, `/admin/logout`, `/admin/integrations/okta` (and the forms
//! it posts to), `/admin/static/*`.
//!
//! Sign-in is with the bootstrap admin token (the admin API's check, [`crate::admin_token`]), or
//! with Okta through the sign-in bridge for an enabled `super_admin` ([`OKTA_SIGN_IN`], ended by
//! `okta_signed_in`; each sign-in audited as `admin.signed_in`); the session is an
//! `HttpOnly; SameSite=Strict` cookie (`Secure` when `server.public_base_url` is https) holding a
//! random id kept in memory ([`session`]). Every form carries the session's CSRF token, compared
//! in constant time. Forms POST and redirect (Post/Redirect/Get); what a POST
//! produced (Save & Test results, a mapping preview, a new SCIM token) is shown once by the page it
//! redirects to. Every response carries a strict Content-Security-Policy, `nosniff`,
//! `no-referrer` and `no-store`. Handlers extract, check the CSRF token, call one provider method
//! and redirect.

pub mod session;
pub mod views;

use crate::error::{AdminError, PageError};
use crate::AppState;
use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{middleware, web, FromRequest, HttpRequest, HttpResponse};
use provider::integration::OktaSettingsUpdate;
use provider::verify::{evaluate, evaluate_sequence, Facts, Step, StepResult, StepStatus, Subject};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use session::{Flash, MappingDraft, Sessions, SettingsDraft};
use std::future::{ready, Ready};
use store::audit::AuditEvent;

/// The actor recorded in the audit log for changes made on the page.
const ACTOR: &str = "admin-web";

/// The page's path.
pub const OKTA_PAGE: &str = "/admin/integrations/okta";

/// The `return_to` that marks a sign-in through the bridge as a sign-in to this page: the bridge's
/// callback then opens a page session for a super_admin instead of issuing Cognito tokens.
pub const OKTA_RETURN: &str = "/admin/sso";

/// The "Sign in with Okta" link.
pub const OKTA_SIGN_IN: &str = "/auth/okta/login?return_to=/admin/sso";

/// Shown on the sign-in page when the Okta user may not use the page.
pub const NOT_SUPER_ADMIN: &str = "Your Okta account is not a StackFlow super_admin.";

/// Shown for the bootstrap token's sessions in place of a userName.
const BOOTSTRAP_WHO: &str = "bootstrap admin token";

/// Audit events per page of activity.
const ACTIVITY_PAGE: u64 = 20;

/// The Content-Security-Policy of every response: nothing but this origin's styles, scripts and
/// form targets; no framing, no `<base>`.
pub const CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; form-action 'self'; \
                       frame-ancestors 'none'; base-uri 'none'";

const HUB_CSS: &str = include_str!("static/hub.css");
const HUB_JS: &str = include_str!("static/hub.js");

/// State of the Integration Hub page, shared by the workers.
pub struct HubState {
    /// The sign-in sessions.
    pub sessions: Sessions,
    /// Whether the session cookie is `Secure` (`server.public_base_url` is https).
    pub secure_cookie: bool,
}

impl HubState {
    /// The page's state for a server whose public URL is `public_base_url`.
    pub fn new(public_base_url: &str) -> Self {
        HubState { sessions: Sessions::default(), secure_cookie: public_base_url.starts_with("https://") }
    }
}

fn security_headers() -> middleware::DefaultHeaders {
    middleware::DefaultHeaders::new()
        .add((header::CONTENT_SECURITY_POLICY, CSP))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::CACHE_CONTROL, "no-store"))
}

/// Registers the page's routes (absolute paths, next to the `/admin/api` scope).
pub fn configure(cfg: &mut web::ServiceConfig) {
    let resource = |path: &str| web::resource(path.to_owned()).wrap(security_headers());
    cfg.service(resource("/admin/login").route(web::get().to(login_page)).route(web::post().to(login)))
        .service(resource("/admin/logout").route(web::post().to(logout)))
        .service(resource(OKTA_PAGE).route(web::get().to(okta_page)))
        .service(resource("/admin/integrations/okta/settings").route(web::post().to(save_settings)))
        .service(resource("/admin/integrations/okta/scim-token").route(web::post().to(generate_token)))
        .service(resource("/admin/integrations/okta/mappings").route(web::post().to(set_mapping)))
        .service(resource("/admin/integrations/okta/mappings/remove").route(web::post().to(remove_mapping)))
        .service(resource("/admin/integrations/okta/verify").route(web::post().to(start_verification)))
        .service(resource("/admin/static/{file}").route(web::get().to(static_file)));
}

fn html(status: actix_web::http::StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body)
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
}

fn hub_state(req: &HttpRequest) -> Result<&web::Data<HubState>, PageError> {
    req.app_data::<web::Data<HubState>>().ok_or_else(|| PageError::new(500, "Integration Hub state missing"))
}

/// A signed-in administrator: the session id and its CSRF token. Without a live session the request
/// is answered 303 to `/admin/login`.
pub struct AdminSession {
    id: String,
    csrf: String,
}

fn signed_in(req: &HttpRequest) -> Result<AdminSession, PageError> {
    let hub = hub_state(req)?;
    let cookie = req.cookie(session::COOKIE).ok_or(PageError::SignIn)?;
    let id = cookie.value().to_owned();
    let csrf = hub.sessions.touch(&id).ok_or(PageError::SignIn)?;
    Ok(AdminSession { id, csrf })
}

impl FromRequest for AdminSession {
    type Error = PageError;
    type Future = Ready<Result<AdminSession, PageError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(signed_in(req))
    }
}

impl AdminSession {
    /// Refuses (403) a form whose CSRF token is not this session's.
    fn check_csrf(&self, hub: &HubState, presented: &str) -> Result<(), PageError> {
        if hub.sessions.csrf_matches(&self.id, presented) {
            Ok(())
        } else {
            Err(PageError::new(403, "the form's security token is missing or stale: reload the page and try again"))
        }
    }
}

fn session_cookie(hub: &HubState, value: String, max_age: time::Duration) -> Cookie<'static> {
    Cookie::build(session::COOKIE, value)
        .path("/admin")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(hub.secure_cookie)
        .max_age(max_age)
        .finish()
}

/// `GET /admin/login?refused=okta`: the bridge refused an Okta user (the message is fixed here,
/// never taken from the query).
#[derive(Deserialize)]
struct LoginQuery {
    refused: Option<String>,
}

async fn login_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    sso: web::Data<crate::sso::SsoState>,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, PageError> {
    if signed_in(&req).is_ok() {
        return Ok(see_other(OKTA_PAGE));
    }
    let configured = state.admin_token.is_some();
    let okta = sso.configured(&state).await;
    let refused = query.refused.as_deref() == Some("okta");
    let status = match (configured, refused) {
        (_, true) => actix_web::http::StatusCode::FORBIDDEN,
        (true, false) => actix_web::http::StatusCode::OK,
        (false, false) => actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
    };
    Ok(html(status, views::login(configured, okta, refused.then_some(NOT_SUPER_ADMIN))))
}

fn session_max_age() -> time::Duration {
    time::Duration::seconds(session::ABSOLUTE_TIMEOUT.as_secs().try_into().unwrap_or(i64::MAX))
}

/// The end of an Okta sign-in to this page, called by the bridge's callback once it has verified
/// the Okta user (state, PKCE, nonce, ID token): a new session for an enabled super_admin, else
/// back to the sign-in page with a refusal and no session.
///
/// The session cookie is `SameSite=Strict`, which browsers withhold on a redirect chain that began
/// at Okta; so the answer is a small page that moves on to the Hub page by a same-site navigation.
pub(crate) async fn okta_signed_in(
    req: &HttpRequest,
    state: &AppState,
    account: Option<provider::UserAccount>,
) -> Result<HttpResponse, crate::error::OAuthError> {
    let hub = req
        .app_data::<web::Data<HubState>>()
        .ok_or_else(|| crate::error::OAuthError::new(500, "server_error", "Integration Hub state missing"))?;
    let admin = account.filter(|a| a.enabled && a.role == Some(rolemap::Role::SuperAdmin));
    let Some(account) = admin else {
        tracing::warn!("Integration Hub sign-in refused: the Okta user is not an enabled super_admin");
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/admin/login?refused=okta"))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish());
    };
    state.provider.record_admin_sign_in(provider::sso::SSO_ACTOR, Some(&account), "okta").await?;
    tracing::info!(user = %account.id, "Integration Hub sign-in with Okta");
    let id = hub.sessions.create(&account.user_name);
    let mut res = HttpResponse::Ok();
    res.insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .cookie(session_cookie(hub, id, session_max_age()));
    Ok(res.content_type("text/html; charset=utf-8").body(views::continue_to(OKTA_PAGE)))
}

/// `POST /admin/login`.
#[derive(Deserialize)]
struct LoginForm {
    token: Option<SecretString>,
}

async fn login(
    state: web::Data<AppState>,
    hub: web::Data<HubState>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, PageError> {
    let Some(expected) = &state.admin_token else {
        return Ok(html(actix_web::http::StatusCode::SERVICE_UNAVAILABLE, views::login(false, false, None)));
    };
    let presented = form.token.as_ref().map(|t| t.expose_secret().trim()).unwrap_or("");
    if !crate::admin_token::matches(expected, presented) {
        // Slows guessing down a little; the token has at least 16 characters anyway.
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        tracing::warn!("Integration Hub sign-in refused: wrong admin token");
        let page = views::login(true, false, Some("Wrong admin token: use the configured bootstrap token."));
        return Ok(html(actix_web::http::StatusCode::UNAUTHORIZED, page));
    }
    state.provider.record_admin_sign_in(ACTOR, None, "bootstrap_token").await?;
    let id = hub.sessions.create(BOOTSTRAP_WHO);
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, OKTA_PAGE))
        .cookie(session_cookie(&hub, id, session_max_age()))
        .finish())
}

/// A form that carries only the CSRF token.
#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    session: AdminSession,
    hub: web::Data<HubState>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    session.check_csrf(&hub, &form.csrf)?;
    hub.sessions.remove(&session.id);
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin/login"))
        .cookie(session_cookie(&hub, String::new(), time::Duration::ZERO))
        .finish())
}

/// `GET /admin/integrations/okta?before=N` (N: the activity page); `verify_from` and `verify_user`:
/// the starting point of "Testing the integration" (see [`start_verification`]).
#[derive(Deserialize)]
struct PageQuery {
    before: Option<i64>,
    verify_from: Option<i64>,
    verify_user: Option<String>,
}

async fn okta_page(
    session: AdminSession,
    state: web::Data<AppState>,
    hub: web::Data<HubState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, PageError> {
    let flash = hub.sessions.take_flash(&session.id).unwrap_or_default();
    let mut page = load_page(&state, session.csrf, query.before, flash).await?;
    page.signed_in_as = hub.sessions.who(&session.id).unwrap_or_default();
    if let Some(from) = query.verify_from {
        page.verification = Some(verification(&state, from, query.verify_user.clone()).await?);
    }
    Ok(html(actix_web::http::StatusCode::OK, views::okta_page(&page)))
}

/// Reads everything the page shows (database reads only: Save & Test's calls to Okta run on POST).
async fn load_page(
    state: &AppState,
    csrf: String,
    before: Option<i64>,
    flash: Flash,
) -> Result<views::OktaPage, PageError> {
    let p = &state.provider;
    let activity = p.recent_activity(ACTIVITY_PAGE, before).await?;
    let activity_next = if activity.len() as u64 == ACTIVITY_PAGE { activity.last().map(|e| e.id) } else { None };
    let outbox = match state.cognito {
        true => Some(store::outbox::status(p.store().conn()).await.map_err(provider::Error::from)?),
        false => None,
    };
    Ok(views::OktaPage {
        csrf,
        signed_in_as: String::new(),
        settings: p.okta_settings().await?,
        scim_base_url: p.options().base_url.clone(),
        token: p.tokens().status().await?,
        mappings: p.mappings().await?,
        doctor: p.doctor().await?,
        activity,
        activity_before: before,
        activity_next,
        outbox,
        flash,
        verification: None,
    })
}

/// The message of a refused change, as the admin API words it (never a secret, never internals).
fn refusal(e: provider::Error) -> String {
    AdminError::from(e).error
}

/// `POST /admin/integrations/okta/settings`. Unchecked checkboxes are absent.
#[derive(Deserialize)]
struct SettingsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    okta_domain: String,
    api_token: Option<SecretString>,
    #[serde(default)]
    oidc_client_id: String,
    oidc_client_secret: Option<SecretString>,
    scim_enabled: Option<String>,
    group_sync: Option<String>,
    /// The stored Group Sync value the box was rendered from: a box left at it keeps the stored
    /// setting (which may be "follow the default").
    group_sync_shown: Option<String>,
    deactivate_on_offboard: Option<String>,
    /// `save` or `save_test`.
    action: Option<String>,
}

/// A secret field: filled replaces the stored value, empty keeps it.
fn replacement(value: Option<SecretString>) -> Option<SecretString> {
    value.filter(|v| !v.expose_secret().trim().is_empty())
}

async fn save_settings(
    session: AdminSession,
    state: web::Data<AppState>,
    hub: web::Data<HubState>,
    form: web::Form<SettingsForm>,
) -> Result<HttpResponse, PageError> {
    session.check_csrf(&hub, &form.csrf)?;
    let form = form.into_inner();
    let draft = SettingsDraft {
        okta_domain: form.okta_domain.clone(),
        oidc_client_id: form.oidc_client_id.clone(),
        scim_enabled: form.scim_enabled.is_some(),
        group_sync: form.group_sync.is_some(),
        deactivate_on_offboard: form.deactivate_on_offboard.is_some(),
    };
    let group_sync_shown = form.group_sync_shown.as_deref() == Some("on");
    let update = OktaSettingsUpdate {
        okta_domain: Some(form.okta_domain),
        api_token: replacement(form.api_token),
        oidc_client_id: Some(form.oidc_client_id),
        oidc_client_secret: replacement(form.oidc_client_secret),
        scim_enabled: Some(draft.scim_enabled),
        group_sync: (draft.group_sync != group_sync_shown).then_some(draft.group_sync),
        deactivate_on_offboard: Some(draft.deactivate_on_offboard),
    };
    let mut flash = Flash::default();
    let mut anchor = "#settings";
    match state.provider.configure_okta(update, ACTOR).await {
        Err(provider::Error::Field { field, message }) => {
            flash.error =
                Some(("settings", "Not saved: correct the field marked below (and re-enter any secret).".into()));
            flash.field_error = Some((field.to_owned(), message));
            flash.settings = Some(draft);
        }
        Err(e) => {
            flash.error = Some(("settings", format!("Not saved: {}", refusal(e))));
            flash.settings = Some(draft);
        }
        Ok(_) if form.action.as_deref() == Some("save_test") => {
            flash.notice = Some(("settings", "Settings saved. Save & Test results are below.".into()));
            match state.provider.test_okta().await {
                Ok(report) => flash.report = Some(report),
                Err(e) => {
                    flash.error = Some(("settings", format!("Saved, but the test could not run: {}", refusal(e))))
                }
            }
            anchor = "#results";
        }
        Ok(_) => flash.notice = Some(("settings", "Settings saved.".into())),
    }
    hub.sessions.set_flash(&session.id, flash);
    Ok(see_other(&format!("{OKTA_PAGE}{anchor}")))
}

async fn generate_token(
    session: AdminSession,
    state: web::Data<AppState>,
    hub: web::Data<HubState>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    session.check_csrf(&hub, &form.csrf)?;
    let mut flash = Flash::default();
    match state.provider.tokens().generate(ACTOR, None).await {
        Ok(token) => flash.token = Some(token),
        Err(e) => flash.error = Some(("scim-token", format!("No token generated: {}", refusal(e)))),
    }
    hub.sessions.set_flash(&session.id, flash);
    Ok(see_other(&format!("{OKTA_PAGE}#scim-token")))
}

/// `POST /admin/integrations/okta/mappings` and `…/mappings/remove`.
#[derive(Deserialize)]
struct MappingForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    group: String,
    #[serde(default)]
    role: String,
    replace: Option<String>,
    /// `preview` (a dry run) or `apply`.
    action: Option<String>,
}

impl MappingForm {
    fn dry_run(&self) -> bool {
        self.action.as_deref() != Some("apply")
    }

    fn draft(&self) -> MappingDraft {
        MappingDraft { group: self.group.clone(), role: self.role.clone(), replace: self.replace.is_some() }
    }
}

fn mapping_flash(result: provider::Result<provider::MappingChange>, draft: MappingDraft) -> Flash {
    let mut flash = Flash::default();
    match result {
        Ok(change) => {
            // After a preview, the form stays filled so that one more click applies it.
            if change.dry_run {
                flash.mapping_draft = Some(draft);
            }
            flash.mapping = Some(change);
        }
        Err(e) => {
            flash.error = Some(("mappings", format!("Refused: {}", refusal(e))));
            flash.mapping_draft = Some(draft);
        }
    }
    flash
}

async fn set_mapping(
    session: AdminSession,
    state: web::Data<AppState>,
    hub: web::Data<HubState>,
    form: web::Form<MappingForm>,
) -> Result<HttpResponse, PageError> {
    session.check_csrf(&hub, &form.csrf)?;
    let result =
        state.provider.set_mapping(&form.group, &form.role, form.replace.is_some(), form.dry_run(), ACTOR).await;
    hub.sessions.set_flash(&session.id, mapping_flash(result, form.draft()));
    Ok(see_other(&format!("{OKTA_PAGE}#mappings")))
}

async fn remove_mapping(
    session: AdminSession,
    state: web::Data<AppState>,
    hub: web::Data<HubState>,
    form: web::Form<MappingForm>,
) -> Result<HttpResponse, PageError> {
    session.check_csrf(&hub, &form.csrf)?;
    let result = state.provider.remove_mapping(&form.group, form.dry_run(), ACTOR).await;
    let mut flash = mapping_flash(result, MappingDraft::default());
    flash.mapping_draft = None;
    hub.sessions.set_flash(&session.id, flash);
    Ok(see_other(&format!("{OKTA_PAGE}#mappings")))
}

async fn static_file(file: web::Path<String>) -> HttpResponse {
    let (body, content_type) = match file.as_str() {
        "hub.css" => (HUB_CSS, "text/css; charset=utf-8"),
        "hub.js" => (HUB_JS, "text/javascript; charset=utf-8"),
        _ => return HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body("not found"),
    };
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(body)
}

/// Audit events read to judge "Testing the integration" (the steps happen within minutes).
const VERIFY_EVENTS: u64 = 5000;

/// `POST /admin/integrations/okta/verify`: "Start verification".
#[derive(Deserialize)]
struct VerifyForm {
    #[serde(default)]
    csrf: String,
    /// The test user's userName (empty: the first user SCIM creates).
    #[serde(default)]
    user: String,
}

/// `value` percent-encoded for a query string.
fn query_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The page judging the checks from audit event `from` on (also the panel's "Refresh" link).
fn verify_link(from: i64, user: Option<&str>) -> String {
    match user {
        Some(user) => format!("{OKTA_PAGE}?verify_from={from}&verify_user={}#verify", query_value(user)),
        None => format!("{OKTA_PAGE}?verify_from={from}#verify"),
    }
}

/// Records the starting point (the audit cursor) in the page's address, so that the checks are
/// judged on what happens from now on, on every load of that address.
async fn start_verification(
    session: AdminSession,
    state: web::Data<AppState>,
    hub: web::Data<HubState>,
    form: web::Form<VerifyForm>,
) -> Result<HttpResponse, PageError> {
    session.check_csrf(&hub, &form.csrf)?;
    let from = state.provider.audit_cursor().await?;
    let user = Some(form.user.trim()).filter(|u| !u.is_empty());
    Ok(see_other(&verify_link(from, user)))
}

/// The guide's four checks judged by `provider::verify` on the audit events after `from`.
async fn verification(state: &AppState, from: i64, user: Option<String>) -> Result<views::Verification, PageError> {
    let p = &state.provider;
    let user = user.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty());
    let events = p.audit_after(from, VERIFY_EVENTS).await?;
    let subject = user.as_deref().map(Subject::named).unwrap_or_default();
    let facts = p.verify_facts(user.as_deref(), true).await?;
    let mut steps = judge_steps(&subject, &events, &facts);
    // Once step 1 found the test user, the later steps are judged on its account.
    let found = steps.first().and_then(|r| r.user.user_name.clone());
    if found.is_some() && found != user {
        let facts = p.verify_facts(found.as_deref(), true).await?;
        steps = judge_steps(&subject, &events, &facts);
    }
    Ok(views::Verification { refresh: verify_link(from, user.as_deref()), user, steps })
}

/// [`evaluate_sequence`] over the four steps; as the sign-in (step 3) happens in a browser and may
/// come last or not at all, step 4 is also judged while step 3 waits (on the events after step 2).
fn judge_steps(subject: &Subject, events: &[AuditEvent], facts: &Facts) -> Vec<StepResult> {
    let mut steps = evaluate_sequence(&Step::ALL, subject, events, facts);
    if let [_, two, three, four] = steps.as_mut_slice() {
        if two.status == StepStatus::Passed && three.status == StepStatus::Waiting {
            let after = two.event_id.and_then(|id| events.iter().position(|e| e.id == id)).map_or(0, |i| i + 1);
            *four = evaluate(Step::UnassignUser, &two.user, events.get(after..).unwrap_or_default(), facts);
        }
    }
    steps
}
