//! `/healthz` (the process answers) and `/readyz` (the database answers too; it also says whether the
//! Cognito mirror is on and, if so, how much its outbox holds).

use crate::AppState;
use actix_web::{web, HttpResponse};
use serde_json::json;

/// Registers the health routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz)).route("/readyz", web::get().to(readyz));
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match state.provider.store().ping().await {
        Ok(()) => {
            let mut body = json!({ "status": "ready", "database": "ok", "cognito": "off" });
            if state.cognito {
                // The mirror never blocks readiness: SCIM writes succeed while Cognito is down.
                body["cognito"] = json!("on");
                if let Ok(outbox) = store::outbox::status(state.provider.store().conn()).await {
                    body["outbox"] = json!({ "pending": outbox.pending, "dead": outbox.dead });
                }
            }
            HttpResponse::Ok().json(body)
        }
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable().json(json!({ "status": "not ready", "database": "unreachable" }))
        }
    }
}
