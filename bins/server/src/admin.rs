//! The admin API under `/admin/api`: the Integration Hub's Okta page (settings, Save & Test, SCIM
//! token, doctor) and the Okta group → StackFlow role mappings (rules, dry runs, explanations,
//! unmapped groups), and the Cognito mirror's outbox (status, failed records, retry). Authenticated by the bootstrap admin token from configuration; errors are JSON
//! `{"error": "...", "field": "..."}`. Handlers extract, authorize, call one provider method, map.

use crate::error::{AdminError, AdminResult};
use crate::AppState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use provider::integration::OktaSettingsUpdate;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::future::{ready, Ready};
use std::time::Duration;
use utoipa::{IntoParams, ToSchema};

/// The actor recorded in the audit log for admin API changes.
const ACTOR: &str = "admin-api";

/// Registers the admin routes (relative to the `/admin/api` scope).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/integrations/okta").route(web::get().to(get_okta)).route(web::put().to(put_okta)))
        .service(web::resource("/integrations/okta/test").route(web::post().to(test_okta)))
        .service(
            web::resource("/integrations/okta/scim-token")
                .route(web::get().to(token_status))
                .route(web::post().to(generate_token))
                .route(web::delete().to(revoke_token)),
        )
        .service(web::resource("/integrations/okta/doctor").route(web::get().to(doctor)))
        .service(web::resource("/mappings").route(web::get().to(list_mappings)))
        .service(
            web::resource("/mappings/{group}")
                .route(web::put().to(set_mapping))
                .route(web::delete().to(remove_mapping)),
        )
        .service(web::resource("/users/{user_name}/explain").route(web::get().to(explain_user)))
        .service(web::resource("/groups/unmapped").route(web::get().to(unmapped_groups)))
        .service(web::resource("/outbox").route(web::get().to(outbox_status)))
        .service(web::resource("/outbox/records").route(web::get().to(outbox_records)))
        .service(web::resource("/outbox/retry").route(web::post().to(outbox_retry)))
        .default_service(web::to(|req: HttpRequest| async move {
            Err::<HttpResponse, _>(AdminError::new(404, format!("no admin endpoint {} {}", req.method(), req.path())))
        }));
}

/// Proof that the request carried the bootstrap admin token.
pub struct AdminAuth;

fn authorize(req: &HttpRequest) -> AdminResult<AdminAuth> {
    let state =
        req.app_data::<web::Data<AppState>>().ok_or_else(|| AdminError::new(500, "application state missing"))?;
    let Some(expected) = &state.admin_token else {
        return Err(AdminError::new(503, format!("the admin API is disabled: {}", crate::admin_token::NOT_CONFIGURED)));
    };
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    let Some(presented) = presented else {
        return Err(AdminError::new(401, "missing admin token: send Authorization: Bearer <bootstrap token>"));
    };
    if crate::admin_token::matches(expected, presented) {
        Ok(AdminAuth)
    } else {
        Err(AdminError::new(401, "wrong admin token: use the configured bootstrap token"))
    }
}

impl FromRequest for AdminAuth {
    type Error = AdminError;
    type Future = Ready<Result<AdminAuth, AdminError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authorize(req))
    }
}

/// `PUT /integrations/okta`: every field optional (absent keeps the stored value); secrets
/// write-only.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct OktaSettingsBody {
    okta_domain: Option<String>,
    #[schema(value_type = Option<String>, write_only)]
    api_token: Option<SecretString>,
    oidc_client_id: Option<String>,
    #[schema(value_type = Option<String>, write_only)]
    oidc_client_secret: Option<SecretString>,
    scim_enabled: Option<bool>,
    group_sync: Option<bool>,
    deactivate_on_offboard: Option<bool>,
}

/// Parses a JSON body, answering 400 with serde's message (which never echoes a value it read).
fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> AdminResult<T> {
    serde_json::from_slice(body).map_err(|e| AdminError::new(400, format!("invalid JSON body: {e}")))
}

#[utoipa::path(
    get,
    path = "/admin/api/integrations/okta",
    tag = "integration hub",
    summary = "The Integration Hub's Okta settings (secrets only as set / not set)",
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "The settings", body = serde_json::Value),
        (status = 401, description = "Missing or wrong bootstrap token", body = crate::openapi::AdminErrorBody),
        (status = 503, description = "No bootstrap token configured", body = crate::openapi::AdminErrorBody),
    )
)]
async fn get_okta(_: AdminAuth, state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(state.provider.okta_settings().await?))
}

#[utoipa::path(
    put,
    path = "/admin/api/integrations/okta",
    tag = "integration hub",
    summary = "Save Okta settings (absent fields keep their value; secrets write-only)",
    security(("admin_token" = [])),
    request_body = OktaSettingsBody,
    responses(
        (status = 200, description = "The saved settings", body = serde_json::Value),
        (status = 400, description = "Invalid body or field", body = crate::openapi::AdminErrorBody),
        (status = 502, description = "The secret backend failed", body = crate::openapi::AdminErrorBody),
        (status = 401, description = "Missing or wrong bootstrap token", body = crate::openapi::AdminErrorBody),
        (status = 503, description = "No bootstrap token configured", body = crate::openapi::AdminErrorBody),
    )
)]
async fn put_okta(_: AdminAuth, state: web::Data<AppState>, body: web::Bytes) -> AdminResult<HttpResponse> {
    let b: OktaSettingsBody = parse_json(&body)?;
    let update = OktaSettingsUpdate {
        okta_domain: b.okta_domain,
        api_token: b.api_token,
        oidc_client_id: b.oidc_client_id,
        oidc_client_secret: b.oidc_client_secret,
        scim_enabled: b.scim_enabled,
        group_sync: b.group_sync,
        deactivate_on_offboard: b.deactivate_on_offboard,
    };
    Ok(HttpResponse::Ok().json(state.provider.configure_okta(update, ACTOR).await?))
}

#[utoipa::path(
    post,
    path = "/admin/api/integrations/okta/test",
    tag = "integration hub",
    summary = "Save & Test: check the domain, API token, OIDC app and SCIM token",
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "One check per line, each with a fix when it failed", body = serde_json::Value),
        (status = 401, description = "Missing or wrong bootstrap token", body = crate::openapi::AdminErrorBody),
        (status = 503, description = "No bootstrap token configured", body = crate::openapi::AdminErrorBody),
    )
)]
async fn test_okta(_: AdminAuth, state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(state.provider.test_okta().await?))
}

#[utoipa::path(
    get,
    path = "/admin/api/integrations/okta/doctor",
    tag = "integration hub",
    summary = "The Okta guide's troubleshooting table, diagnosed",
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "Findings with fixes", body = serde_json::Value),
        (status = 401, description = "Missing or wrong bootstrap token", body = crate::openapi::AdminErrorBody),
        (status = 503, description = "No bootstrap token configured", body = crate::openapi::AdminErrorBody),
    )
)]
async fn doctor(_: AdminAuth, state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(state.provider.doctor().await?))
}

#[utoipa::path(
    get,
    path = "/admin/api/integrations/okta/scim-token",
    tag = "integration hub",
    summary = "The SCIM token: generated, last used, rejections",
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "The token's status (never the token)", body = serde_json::Value),
        (status = 401, description = "Missing or wrong bootstrap token", body = crate::openapi::AdminErrorBody),
        (status = 503, description = "No bootstrap token configured", body = crate::openapi::AdminErrorBody),
    )
)]
async fn token_status(_: AdminAuth, state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(state.provider.tokens().status().await?))
}

/// `POST /integrations/okta/scim-token`, optionally `{"grace_seconds": N}` to rotate.
#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
struct GenerateBody {
    grace_seconds: Option<u64>,
}

#[utoipa::path(
    post,
    path = "/admin/api/integrations/okta/scim-token",
    tag = "integration hub",
    summary = "Generate (or rotate with a grace period) the SCIM bearer token, shown once",
    security(("admin_token" = [])),
    request_body(content = Option<GenerateBody>, description = "Optional: `grace_seconds` keeps the old token working that long"),
    responses(
        (status = 201, description = "The new token, shown once", body = crate::openapi::GeneratedToken),
        (status = 400, description = "Invalid body or field", body = crate::openapi::AdminErrorBody),
        (status = 401, description = "Missing or wrong bootstrap token", body = crate::openapi::AdminErrorBody),
        (status = 503, description = "No bootstrap token configured", body = crate::openapi::AdminErrorBody),
    )
)]
async fn generate_token(_: AdminAuth, state: web::Data<AppState>, body: web::Bytes) -> AdminResult<HttpResponse> {
    let b: GenerateBody = if body.is_empty() { GenerateBody::default() } else { parse_json(&body)? };
    let grace = b.grace_seconds.filter(|s| *s > 0).map(Duration::from_secs);
    let token = state.provider.tokens().generate(ACTOR, grace).await?;
    Ok(HttpResponse::Created().insert_header((header::CACHE_CONTROL, "no-store")).json(serde_json::json!({
        "token": token.expose_secret(),
        "shown_once": true,
        "grace_seconds": grace.map(|g| g.as_secs()),
    })))
}

#[utoipa::path(
    delete,
    path = "/admin/api/integrations/okta/scim-token",
    tag = "integration hub",
    summary = "Revoke the SCIM token",
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "Whether a token was revoked", body = crate::openapi::Revoked),
        (status = 401, description = "Missing or wrong bootstrap token", body = crate::openapi::AdminErrorBody),
        (status = 503, description = "No bootstrap token configured", body = crate::openapi::AdminErrorBody),
    )
)]
async fn revoke_token(_: AdminAuth, state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    let revoked = state.provider.tokens().revoke(ACTOR).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "revoked": revoked })))
}

#[utoipa::path(
    get,
    path = "/admin/api/mappings",
    tag = "role mappings",
    summary = "The mapping rules, the default role and the rules that match nothing",
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "`rules`, `default_role`, `problems`", body = serde_json::Value),
        (status = 401, description = "Missing or wrong bootstrap token", body = crate::openapi::AdminErrorBody),
        (status = 503, description = "No bootstrap token configured", body = crate::openapi::AdminErrorBody),
    )
)]
async fn list_mappings(_: AdminAuth, state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(state.provider.mappings().await?))
}

/// `PUT /mappings/{group}`: map the group with this display name to `role`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SetMappingBody {
    /// super_admin, itsm_manager, itsm_agent or viewer.
    #[schema(example = "itsm_manager")]
    role: String,
    /// Change the role of an existing mapping for this group.
    #[serde(default)]
    replace: bool,
    /// Preview which users would change role, without writing anything.
    #[serde(default)]
    dry_run: bool,
}

#[utoipa::path(
    put,
    path = "/admin/api/mappings/{group}",
    tag = "role mappings",
    summary = "Map the Okta group with this display name to a role (dry run: preview only)",
    security(("admin_token" = [])),
    params(("group" = String, Path, description = "The group's display name as pushed by Okta (case-insensitive)")),
    request_body = SetMappingBody,
    responses(
        (status = 200, description = "The change: `action`, `rule`, `previous_role`, `dry_run`, `roles_recomputed`, `changes` (user, old and new role, why), `warnings`", body = serde_json::Value),
        (status = 400, description = "Unknown role (the message names the valid ones; `field` = `role`) or invalid body", body = crate::openapi::AdminErrorBody),
        (status = 409, description = "Duplicate rule, or the group is mapped to another role and `replace` is false", body = crate::openapi::AdminErrorBody),
        (status = 401, description = "Missing or wrong bootstrap token", body = crate::openapi::AdminErrorBody),
        (status = 503, description = "No bootstrap token configured", body = crate::openapi::AdminErrorBody),
    )
)]
async fn set_mapping(
    _: AdminAuth,
    state: web::Data<AppState>,
    group: web::Path<String>,
    body: web::Bytes,
) -> AdminResult<HttpResponse> {
    let b: SetMappingBody = parse_json(&body)?;
    Ok(HttpResponse::Ok().json(state.provider.set_mapping(&group, &b.role, b.replace, b.dry_run, ACTOR).await?))
}

/// `DELETE /mappings/{group}?dry_run=true|false`.
#[derive(Deserialize, Default, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct DryRunQuery {
    /// Preview which users would change role, without writing anything.
    #[serde(default)]
    dry_run: bool,
}

#[utoipa::path(
    delete,
    path = "/admin/api/mappings/{group}",
    tag = "role mappings",
    summary = "Remove the mapping of the group with this display name (dry run: preview only)",
    security(("admin_token" = [])),
    params(("group" = String, Path, description = "The group's display name (case-insensitive)"), DryRunQuery),
    responses(
        (status = 200, description = "The change, as for PUT", body = serde_json::Value),
        (status = 400, description = "Invalid query string", body = crate::openapi::AdminErrorBody),
        (status = 404, description = "No rule maps this group", body = crate::openapi::AdminErrorBody),
        (status = 401, description = "Missing or wrong bootstrap token", body = crate::openapi::AdminErrorBody),
        (status = 503, description = "No bootstrap token configured", body = crate::openapi::AdminErrorBody),
    )
)]
async fn remove_mapping(
    _: AdminAuth,
    req: HttpRequest,
    state: web::Data<AppState>,
    group: web::Path<String>,
) -> AdminResult<HttpResponse> {
    let query = web::Query::<DryRunQuery>::from_query(req.query_string())
        .map_err(|e| AdminError::new(400, format!("invalid query string (dry_run=true|false): {e}")))?;
    Ok(HttpResponse::Ok().json(state.provider.remove_mapping(&group, query.dry_run, ACTOR).await?))
}

#[utoipa::path(
    get,
    path = "/admin/api/users/{user_name}/explain",
    tag = "role mappings",
    summary = "Why a user has their role: groups, mapped roles, the winner, the account state",
    security(("admin_token" = [])),
    params(("user_name" = String, Path, description = "The userName (case-insensitive)")),
    responses(
        (status = 200, description = "`account`, `resolution`, `explanation`, `group_sync`", body = serde_json::Value),
        (status = 404, description = "No user with this userName", body = crate::openapi::AdminErrorBody),
        (status = 401, description = "Missing or wrong bootstrap token", body = crate::openapi::AdminErrorBody),
        (status = 503, description = "No bootstrap token configured", body = crate::openapi::AdminErrorBody),
    )
)]
async fn explain_user(
    _: AdminAuth,
    state: web::Data<AppState>,
    user_name: web::Path<String>,
) -> AdminResult<HttpResponse> {
    match state.provider.explain_user(&user_name).await? {
        Some(explained) => Ok(HttpResponse::Ok().json(explained)),
        None => Err(AdminError::new(404, format!("no user named '{user_name}'"))),
    }
}

#[utoipa::path(
    get,
    path = "/admin/api/groups/unmapped",
    tag = "role mappings",
    summary = "Pushed groups no rule maps, with member counts",
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "`[{group, members}]`", body = serde_json::Value),
        (status = 401, description = "Missing or wrong bootstrap token", body = crate::openapi::AdminErrorBody),
        (status = 503, description = "No bootstrap token configured", body = crate::openapi::AdminErrorBody),
    )
)]
async fn unmapped_groups(_: AdminAuth, state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(state.provider.unmapped_groups().await?))
}

#[utoipa::path(
    get,
    path = "/admin/api/outbox",
    tag = "cognito mirror",
    summary = "The Cognito outbox: pending (and retrying), dead, delivered, age of the oldest pending record",
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "`mirror` (`on`/`off`), `pending`, `retrying`, `dead`, `done`, `oldest_pending_at`, `oldest_pending_age_seconds`; with the mirror off only `mirror` and `message`", body = serde_json::Value),
        (status = 401, description = "Missing or wrong bootstrap token", body = crate::openapi::AdminErrorBody),
        (status = 503, description = "No bootstrap token configured", body = crate::openapi::AdminErrorBody),
    )
)]
async fn outbox_status(_: AdminAuth, state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(state.provider.outbox_status().await?))
}

/// `GET /outbox/records?failed=true&limit=50`.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct OutboxRecordsQuery {
    /// Failed records only (dead, or pending after a failed attempt), each with its error; otherwise
    /// the pending ones.
    #[serde(default)]
    failed: bool,
    /// At most this many, newest first (1 to 1000; default 50).
    #[serde(default = "default_outbox_limit")]
    limit: u64,
}

fn default_outbox_limit() -> u64 {
    50
}

#[utoipa::path(
    get,
    path = "/admin/api/outbox/records",
    tag = "cognito mirror",
    summary = "Outbox records, newest first: pending, or with failed=true the failed ones with their error",
    security(("admin_token" = [])),
    params(OutboxRecordsQuery),
    responses(
        (status = 200, description = "`mirror` and `records` (`id`, `user_id`, `kind`, `state`, `attempts`, `created_at`, `next_attempt_at`, `last_error`)", body = serde_json::Value),
        (status = 400, description = "Invalid query string", body = crate::openapi::AdminErrorBody),
        (status = 401, description = "Missing or wrong bootstrap token", body = crate::openapi::AdminErrorBody),
        (status = 503, description = "No bootstrap token configured", body = crate::openapi::AdminErrorBody),
    )
)]
async fn outbox_records(_: AdminAuth, req: HttpRequest, state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    let query = web::Query::<OutboxRecordsQuery>::from_query(req.query_string())
        .map_err(|e| AdminError::new(400, format!("invalid query string (failed=true|false, limit=N): {e}")))?;
    if !(1..=1000).contains(&query.limit) {
        return Err(AdminError { status: 400, error: "limit must be 1 to 1000".into(), field: Some("limit".into()) });
    }
    Ok(HttpResponse::Ok().json(state.provider.outbox_records(query.failed, query.limit).await?))
}

/// `POST /outbox/retry`, optionally `{"id": N}` to re-queue only that record.
#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
struct OutboxRetryBody {
    /// Only this dead record (absent: every dead record).
    id: Option<i64>,
}

#[utoipa::path(
    post,
    path = "/admin/api/outbox/retry",
    tag = "cognito mirror",
    summary = "Put dead outbox records (all, or the one with `id`) back in the queue",
    security(("admin_token" = [])),
    request_body(content = Option<OutboxRetryBody>, description = "Optional: `id` re-queues only that record"),
    responses(
        (status = 200, description = "`mirror` and `requeued` (how many dead records are pending again)", body = serde_json::Value),
        (status = 400, description = "Invalid body", body = crate::openapi::AdminErrorBody),
        (status = 401, description = "Missing or wrong bootstrap token", body = crate::openapi::AdminErrorBody),
        (status = 503, description = "No bootstrap token configured", body = crate::openapi::AdminErrorBody),
    )
)]
async fn outbox_retry(_: AdminAuth, state: web::Data<AppState>, body: web::Bytes) -> AdminResult<HttpResponse> {
    let b: OutboxRetryBody = if body.is_empty() { OutboxRetryBody::default() } else { parse_json(&body)? };
    Ok(HttpResponse::Ok().json(state.provider.outbox_retry(b.id, ACTOR).await?))
}
