//! The admin API under `/admin/api`: the Integration Hub's Okta page (settings, Save & Test, SCIM
//! token, doctor). Authenticated by the bootstrap admin token from configuration; errors are JSON
//! `{"error": "...", "field": "..."}`. Handlers extract, authorize, call one provider method, map.

use crate::error::{AdminError, AdminResult};
use crate::AppState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use provider::integration::OktaSettingsUpdate;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::future::{ready, Ready};
use std::time::Duration;
use subtle::ConstantTimeEq;

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
        return Err(AdminError::new(
            503,
            "the admin API is disabled: set admin.bootstrap_token_file in stackflow.toml or the \
             STACKFLOW__ADMIN__BOOTSTRAP_TOKEN environment variable, then restart",
        ));
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
    // Compare digests so that neither content nor length leaks through timing.
    let a = Sha256::digest(presented.as_bytes());
    let b = Sha256::digest(expected.expose_secret().as_bytes());
    if bool::from(a.ct_eq(&b)) {
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
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OktaSettingsBody {
    okta_domain: Option<String>,
    api_token: Option<SecretString>,
    oidc_client_id: Option<String>,
    oidc_client_secret: Option<SecretString>,
    scim_enabled: Option<bool>,
    group_sync: Option<bool>,
    deactivate_on_offboard: Option<bool>,
}

/// Parses a JSON body, answering 400 with serde's message (which never echoes a value it read).
fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> AdminResult<T> {
    serde_json::from_slice(body).map_err(|e| AdminError::new(400, format!("invalid JSON body: {e}")))
}

async fn get_okta(_: AdminAuth, state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(state.provider.okta_settings().await?))
}

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

async fn test_okta(_: AdminAuth, state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(state.provider.test_okta().await?))
}

async fn doctor(_: AdminAuth, state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(state.provider.doctor().await?))
}

async fn token_status(_: AdminAuth, state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(state.provider.tokens().status().await?))
}

/// `POST /integrations/okta/scim-token`, optionally `{"grace_seconds": N}` to rotate.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct GenerateBody {
    grace_seconds: Option<u64>,
}

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

async fn revoke_token(_: AdminAuth, state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    let revoked = state.provider.tokens().revoke(ACTOR).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "revoked": revoked })))
}
