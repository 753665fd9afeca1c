//! Request ids and the access log. Every request gets an id — the caller's `X-Request-Id` when it is
//! sane (1 to 64 characters of `[A-Za-z0-9._-]`), else a new one — echoed in the `X-Request-Id`
//! response header. The request runs inside a `request` tracing span carrying the id, so every log
//! line of the request (the access log line included) names it, in text and JSON logs alike.
//!
//! The access log line never holds a secret: no headers (so no `Authorization`), and a query string
//! only under `/scim/v2` (filters help to follow Okta's traffic); the sign-in bridge's `code` and
//! `state`, and anything else in other paths' queries, are left out.

use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;
use tracing::Instrument;

/// The request and response header carrying the id.
pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");
/// The longest id accepted from a caller.
pub const MAX_LEN: usize = 64;

/// Whether a caller's id may be used as is: 1 to [`MAX_LEN`] characters of `[A-Za-z0-9._-]` (safe
/// in a header, a log line and a JSON string, with nothing to escape).
pub fn is_sane(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_LEN && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// Makes new ids: a random per-process prefix and a counter (`3f9a1c2b7d4e-42`), unique across
/// replicas without a random draw per request.
pub struct RequestIds {
    prefix: String,
    next: AtomicU64,
}

impl RequestIds {
    /// A generator with a fresh random prefix.
    pub fn new() -> RequestIds {
        let random = uuid::Uuid::new_v4().simple().to_string();
        RequestIds { prefix: random.get(..12).unwrap_or(&random).to_owned(), next: AtomicU64::new(1) }
    }

    /// The next id.
    pub fn generate(&self) -> String {
        format!("{}-{}", self.prefix, self.next.fetch_add(1, Ordering::Relaxed))
    }
}

impl Default for RequestIds {
    fn default() -> Self {
        RequestIds::new()
    }
}

/// What the access log shows of the request target: the path, plus the query under `/scim/v2`.
fn loggable_target(req: &ServiceRequest) -> String {
    let (path, query) = (req.path(), req.query_string());
    if path.starts_with("/scim/v2") && !query.is_empty() {
        format!("{path}?{query}")
    } else {
        path.to_owned()
    }
}

/// App-level middleware body (`App::wrap_fn`): assigns the id, runs the request in a span carrying
/// it, writes the access log line and echoes the id in the response.
pub fn track<S, B>(
    ids: &Arc<RequestIds>,
    req: ServiceRequest,
    srv: &S,
) -> impl Future<Output = Result<ServiceResponse<B>, actix_web::Error>> + 'static
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    S::Future: 'static,
    B: MessageBody,
{
    let id = match req.headers().get(&HEADER).and_then(|v| v.to_str().ok()) {
        Some(id) if is_sane(id) => id.to_owned(),
        _ => ids.generate(),
    };
    let span = tracing::info_span!("request", request_id = %id);
    let method = req.method().clone();
    let target = loggable_target(&req);
    let peer = req.peer_addr();
    let started = Instant::now();
    let fut = {
        let _entered = span.enter();
        srv.call(req)
    };
    async move {
        let mut res = fut.await;
        let elapsed_ms = (started.elapsed().as_secs_f64() * 1e6).round() / 1e3;
        match &mut res {
            Ok(r) => {
                let bytes = match r.response().body().size() {
                    BodySize::Sized(n) => Some(n),
                    _ => None,
                };
                tracing::info!(
                    target: "stackflow::http",
                    peer = peer.map(|p| tracing::field::display(p.ip())),
                    %method,
                    path = %target,
                    status = r.status().as_u16(),
                    bytes,
                    elapsed_ms,
                    "request"
                );
                if let Ok(value) = HeaderValue::from_str(&id) {
                    r.headers_mut().insert(HEADER, value);
                }
            }
            Err(e) => tracing::warn!(
                target: "stackflow::http",
                peer = peer.map(|p| tracing::field::display(p.ip())),
                %method,
                path = %target,
                status = e.as_response_error().status_code().as_u16(),
                elapsed_ms,
                "request failed"
            ),
        }
        res
    }
    .instrument(span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sane_ids() {
        for ok in ["a", "abc-DEF_123.x", "0123456789012345678901234567890123456789012345678901234567890123"] {
            assert!(is_sane(ok), "{ok}");
        }
        let too_long = "x".repeat(MAX_LEN + 1);
        for bad in ["", too_long.as_str(), "a b", "a\nb", "<script>", "id\"x", "ünïcode", "a/b", "a=b"] {
            assert!(!is_sane(bad), "{bad:?}");
        }
        let ids = RequestIds::new();
        let (a, b) = (ids.generate(), ids.generate());
        assert!(is_sane(&a) && is_sane(&b) && a != b, "{a} {b}");
    }
}
