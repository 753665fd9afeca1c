//! The SCIM 2.0 endpoints under `/scim/v2`: discovery, Users and Groups. Handlers extract, authorize,
//! call one provider method and map the result.

use crate::error::{ApiError, ApiResult, SCIM_JSON};
use crate::AppState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use provider::{Rendered, TokenCheck};
use scim_core::schema::{ResourceType, GROUP_RESOURCE, USER_RESOURCE};
use scim_core::{ListQuery, ScimError};
use secrecy::SecretString;
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;

/// Registers the SCIM routes (relative to the `/scim/v2` scope).
pub fn configure(cfg: &mut web::ServiceConfig) {
    // Known paths answer other methods with 405 and an `Allow` header (RFC 7644 §4, RFC 9110
    // §15.5.6), not 404.
    let resource = |path: &str, allow: &'static str| {
        web::resource(path).default_service(web::to(move |req: HttpRequest| method_not_allowed(req, allow)))
    };
    let read_only = |path: &str, get: actix_web::Route| resource(path, "GET").route(get);
    const COLLECTION: &str = "GET, POST";
    const ITEM: &str = "GET, PUT, PATCH, DELETE";
    cfg.service(read_only("/ServiceProviderConfig", web::get().to(service_provider_config)))
        .service(read_only("/ResourceTypes", web::get().to(resource_types)))
        .service(read_only("/ResourceTypes/{id}", web::get().to(resource_type)))
        .service(read_only("/Schemas", web::get().to(schemas)))
        .service(read_only("/Schemas/{id}", web::get().to(schema)))
        .service(resource("/.search", "POST").route(web::post().to(search_all)))
        .service(
            web::scope("/Users")
                .service(resource("", COLLECTION).route(web::get().to(list_users)).route(web::post().to(create_user)))
                .service(resource("/.search", "POST").route(web::post().to(search_users)))
                .service(
                    resource("/{id}", ITEM)
                        .route(web::get().to(get_user))
                        .route(web::put().to(replace_user))
                        .route(web::patch().to(patch_user))
                        .route(web::delete().to(delete_user)),
                )
                // A nested scope falls back to the App's default service (a bare 404), not ours.
                .default_service(web::to(no_endpoint)),
        )
        .service(
            web::scope("/Groups")
                .service(resource("", COLLECTION).route(web::get().to(list_groups)).route(web::post().to(create_group)))
                .service(resource("/.search", "POST").route(web::post().to(search_groups)))
                .service(
                    resource("/{id}", ITEM)
                        .route(web::get().to(get_group))
                        .route(web::put().to(replace_group))
                        .route(web::patch().to(patch_group))
                        .route(web::delete().to(delete_group)),
                )
                .default_service(web::to(no_endpoint)),
        )
        .default_service(web::to(no_endpoint));
}

async fn no_endpoint(req: HttpRequest) -> ApiResult<HttpResponse> {
    Err(ScimError::not_found(format!("no SCIM endpoint at {}", req.path())).into())
}

/// Proof that the request carried a valid SCIM bearer token and that SCIM provisioning is enabled.
pub struct ScimAuth;

fn bearer(req: &HttpRequest) -> Option<SecretString> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| SecretString::from(token.trim().to_owned()))
}

impl FromRequest for ScimAuth {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<ScimAuth, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| ScimError::internal("application state missing"))?;
            match state.provider.tokens().check(token.as_ref()).await? {
                TokenCheck::Valid => {}
                TokenCheck::Missing => {
                    return Err(ScimError::new(
                        401,
                        None,
                        "missing bearer token: send 'Authorization: Bearer <SCIM token>'",
                    )
                    .into())
                }
                TokenCheck::Invalid => {
                    tracing::warn!("SCIM request rejected: invalid bearer token");
                    return Err(ScimError::new(
                        401,
                        None,
                        "invalid SCIM bearer token: regenerate it in Admin → Integration Hub → Okta (stackflow-admin scim-token generate) and paste it into Okta",
                    )
                    .into());
                }
            }
            if !state.provider.settings().await?.scim_enabled {
                return Err(ScimError::new(
                    403,
                    None,
                    "SCIM provisioning is disabled for this StackFlow instance; enable it in Admin → Integration Hub → Okta (SCIM Enabled) or run: stackflow-admin okta configure --scim-enabled true",
                )
                .into());
            }
            Ok(ScimAuth)
        })
    }
}

/// The request body as JSON, within the configured size limit.
pub struct JsonBody(pub Value);

impl FromRequest for JsonBody {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<JsonBody, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req.app_data::<web::Data<AppState>>().map(|s| s.body_limit).unwrap_or(1024 * 1024);
        let content_type =
            req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_ascii_lowercase);
        let mut payload = payload.take();
        Box::pin(async move {
            if let Some(ct) = content_type {
                let essence = ct.split(';').next().unwrap_or_default().trim().to_owned();
                if essence != "application/scim+json" && essence != "application/json" {
                    return Err(ScimError::new(
                        415,
                        None,
                        format!("unsupported Content-Type '{essence}': send application/scim+json or application/json"),
                    )
                    .into());
                }
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk =
                    chunk.map_err(|e| ScimError::invalid_syntax(format!("could not read the request body: {e}")))?;
                if body.len() + chunk.len() > limit {
                    return Err(
                        ScimError::new(413, None, format!("request body larger than the {limit}-byte limit")).into()
                    );
                }
                body.extend_from_slice(&chunk);
            }
            serde_json::from_slice(&body)
                .map(JsonBody)
                .map_err(|e| ScimError::invalid_syntax(format!("request body is not valid JSON: {e}")).into())
        })
    }
}

fn query_pairs(req: &HttpRequest) -> ApiResult<Vec<(String, String)>> {
    web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map_err(|e| ScimError::invalid_value(format!("malformed query string: {e}")).into())
}

fn list_query(req: &HttpRequest, state: &AppState, rt: &ResourceType) -> ApiResult<ListQuery> {
    let pairs = query_pairs(req)?;
    Ok(ListQuery::from_query(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), rt, state.provider.options().limits)?)
}

fn if_match(req: &HttpRequest) -> Option<String> {
    req.headers().get(header::IF_MATCH).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

fn scim_json(status: actix_web::http::StatusCode, json: &Value) -> HttpResponse {
    HttpResponse::build(status).insert_header((header::CONTENT_TYPE, SCIM_JSON)).body(json.to_string())
}

fn resource(r: Rendered) -> HttpResponse {
    let mut res = scim_json(actix_web::http::StatusCode::OK, &r.json);
    if let Ok(v) = header::HeaderValue::from_str(&r.etag) {
        res.headers_mut().insert(header::ETAG, v);
    }
    res
}

fn created(r: Rendered) -> HttpResponse {
    let location = r.json["meta"]["location"].as_str().map(str::to_owned);
    let mut res = resource(r);
    *res.status_mut() = actix_web::http::StatusCode::CREATED;
    if let Some(v) = location.and_then(|l| header::HeaderValue::from_str(&l).ok()) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// 405 with a SCIM error body and the methods the path supports in `Allow`.
async fn method_not_allowed(req: HttpRequest, allow: &'static str) -> HttpResponse {
    let error =
        ApiError::from(ScimError::new(405, None, format!("{} is not supported on {}", req.method(), req.path())));
    let mut res = actix_web::ResponseError::error_response(&error);
    res.headers_mut().insert(header::ALLOW, header::HeaderValue::from_static(allow));
    res
}

async fn search_all(_: ScimAuth, state: web::Data<AppState>, body: JsonBody) -> ApiResult<HttpResponse> {
    Ok(scim_json(actix_web::http::StatusCode::OK, &state.provider.search_all(&body.0).await?))
}

async fn service_provider_config(state: web::Data<AppState>) -> HttpResponse {
    scim_json(actix_web::http::StatusCode::OK, &state.provider.service_provider_config())
}

async fn resource_types(state: web::Data<AppState>) -> HttpResponse {
    let all = scim_core::resource_types(&state.provider.options().base_url);
    let n = all.len() as u64;
    scim_json(actix_web::http::StatusCode::OK, &scim_core::list_response(n, 1, all))
}

async fn resource_type(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let rt = scim_core::resource_type(&state.provider.options().base_url, &id)
        .ok_or_else(|| ScimError::not_found(format!("ResourceType {id} not found")))?;
    Ok(scim_json(actix_web::http::StatusCode::OK, &rt))
}

async fn schemas(state: web::Data<AppState>) -> HttpResponse {
    let all = scim_core::schemas(&state.provider.options().base_url);
    let n = all.len() as u64;
    scim_json(actix_web::http::StatusCode::OK, &scim_core::list_response(n, 1, all))
}

async fn schema(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let s = scim_core::schema(&state.provider.options().base_url, &id)
        .ok_or_else(|| ScimError::not_found(format!("Schema {id} not found")))?;
    Ok(scim_json(actix_web::http::StatusCode::OK, &s))
}

async fn list_users(_: ScimAuth, req: HttpRequest, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let q = list_query(&req, &state, &USER_RESOURCE)?;
    Ok(scim_json(actix_web::http::StatusCode::OK, &state.provider.list_users(&q).await?))
}

async fn search_users(_: ScimAuth, state: web::Data<AppState>, body: JsonBody) -> ApiResult<HttpResponse> {
    let q = ListQuery::from_search_body(&body.0, &USER_RESOURCE, state.provider.options().limits)?;
    Ok(scim_json(actix_web::http::StatusCode::OK, &state.provider.list_users(&q).await?))
}

async fn create_user(_: ScimAuth, state: web::Data<AppState>, body: JsonBody) -> ApiResult<HttpResponse> {
    Ok(created(state.provider.create_user(&body.0).await?))
}

async fn get_user(
    _: ScimAuth,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let q = list_query(&req, &state, &USER_RESOURCE)?;
    Ok(resource(state.provider.get_user(&id, &q.attributes, &q.excluded_attributes).await?))
}

async fn replace_user(
    _: ScimAuth,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: JsonBody,
) -> ApiResult<HttpResponse> {
    Ok(resource(state.provider.replace_user(&id, &body.0, if_match(&req).as_deref()).await?))
}

async fn patch_user(
    _: ScimAuth,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: JsonBody,
) -> ApiResult<HttpResponse> {
    Ok(resource(state.provider.patch_user(&id, &body.0, if_match(&req).as_deref()).await?))
}

async fn delete_user(_: ScimAuth, state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    state.provider.delete_user(&id).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn list_groups(_: ScimAuth, req: HttpRequest, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let q = list_query(&req, &state, &GROUP_RESOURCE)?;
    Ok(scim_json(actix_web::http::StatusCode::OK, &state.provider.list_groups(&q).await?))
}

async fn search_groups(_: ScimAuth, state: web::Data<AppState>, body: JsonBody) -> ApiResult<HttpResponse> {
    let q = ListQuery::from_search_body(&body.0, &GROUP_RESOURCE, state.provider.options().limits)?;
    Ok(scim_json(actix_web::http::StatusCode::OK, &state.provider.list_groups(&q).await?))
}

async fn create_group(_: ScimAuth, state: web::Data<AppState>, body: JsonBody) -> ApiResult<HttpResponse> {
    Ok(created(state.provider.create_group(&body.0).await?))
}

async fn get_group(
    _: ScimAuth,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let q = list_query(&req, &state, &GROUP_RESOURCE)?;
    Ok(resource(state.provider.get_group(&id, &q.attributes, &q.excluded_attributes).await?))
}

async fn replace_group(
    _: ScimAuth,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: JsonBody,
) -> ApiResult<HttpResponse> {
    Ok(resource(state.provider.replace_group(&id, &body.0, if_match(&req).as_deref()).await?))
}

async fn patch_group(
    _: ScimAuth,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: JsonBody,
) -> ApiResult<HttpResponse> {
    let q = list_query(&req, &state, &GROUP_RESOURCE)?;
    let r = state
        .provider
        .patch_group(&id, &body.0, if_match(&req).as_deref(), &q.attributes, &q.excluded_attributes)
        .await?;
    if state.provider.options().group_patch_response == provider::GroupPatchResponse::NoContent {
        let mut res = HttpResponse::NoContent().finish();
        if let Ok(v) = header::HeaderValue::from_str(&r.etag) {
            res.headers_mut().insert(header::ETAG, v);
        }
        return Ok(res);
    }
    Ok(resource(r))
}

async fn delete_group(_: ScimAuth, state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    state.provider.delete_group(&id).await?;
    Ok(HttpResponse::NoContent().finish())
}
