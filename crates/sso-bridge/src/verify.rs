//! ID-token verification: the JWS signature against the issuer's JWKS (RS256 or ES256 only), then
//! `iss`, `aud`/`azp`, `exp`/`iat`/`nbf` (60 s leeway) and `nonce`.
//!
//! [`verify_with_keys`] is the pure check over a key set and a clock; [`IdTokenVerifier`] wraps it
//! with a [`JwksCache`] that honours the JWKS response's `Cache-Control: max-age` and re-fetches the
//! key set on an unknown `kid` at most once per [`JwksCache::min_refetch`], so a key rotation is
//! picked up at once while a flood of forged `kid`s cannot turn into a flood of JWKS requests.

use crate::{Error, Result};
use base64::Engine;
use josekit::jwk::{Jwk, JwkSet};
use josekit::jws::{JwsVerifier, ES256, RS256};
use serde_json::{Map, Value};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::Mutex;

/// Largest ID token accepted (bytes); anything larger is refused before it is parsed.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// Clock skew tolerated on `exp`, `iat` and `nbf`.
pub const LEEWAY: Duration = Duration::from_secs(60);
/// How long a JWKS is kept when its response carries no usable `max-age`.
pub const DEFAULT_JWKS_MAX_AGE: Duration = Duration::from_secs(300);
/// The longest a JWKS is kept, whatever `max-age` says.
pub const MAX_JWKS_MAX_AGE: Duration = Duration::from_secs(24 * 3600);
/// The default least interval between two re-fetches caused by unknown `kid`s.
pub const DEFAULT_MIN_REFETCH: Duration = Duration::from_secs(60);

/// Why an ID token was refused. The token itself is never part of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// Larger than [`MAX_TOKEN_BYTES`].
    TooLarge,
    /// Not a compact JWS (three base64url parts, JSON header and payload).
    Malformed(String),
    /// An algorithm other than RS256/ES256 (`none`, HS256, …).
    Algorithm(String),
    /// No key of the JWKS has the token's `kid` (even after a re-fetch).
    UnknownKid(String),
    /// The token has no `kid` and the JWKS holds more than one key.
    AmbiguousKey,
    /// The signature does not verify with the key.
    Signature,
    /// `iss` is not the expected issuer.
    Issuer(String),
    /// `aud` does not contain our client ID, or `azp` is not our client ID.
    Audience,
    /// `exp` is in the past (beyond the leeway) or missing.
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    NotYetValid,
    /// `iat` is missing or in the future (beyond the leeway).
    IssuedAt,
    /// `nonce` is missing or not the expected one.
    Nonce,
    /// `sub` is missing or empty.
    Subject,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::TooLarge => write!(f, "the token is larger than {MAX_TOKEN_BYTES} bytes"),
            Rejection::Malformed(why) => write!(f, "the token is malformed: {why}"),
            Rejection::Algorithm(alg) => write!(f, "algorithm '{alg}' is not accepted (RS256 or ES256 only)"),
            Rejection::UnknownKid(kid) => write!(f, "no key with kid '{kid}' in the issuer's JWKS"),
            Rejection::AmbiguousKey => f.write_str("the token has no kid and the issuer's JWKS holds several keys"),
            Rejection::Signature => f.write_str("the signature does not verify"),
            Rejection::Issuer(iss) => write!(f, "issuer '{iss}' is not the configured one"),
            Rejection::Audience => f.write_str("the token is not for this client (aud/azp)"),
            Rejection::Expired => f.write_str("the token has expired"),
            Rejection::NotYetValid => f.write_str("the token is not valid yet (nbf)"),
            Rejection::IssuedAt => f.write_str("the token's iat is missing or in the future"),
            Rejection::Nonce => f.write_str("the nonce does not match"),
            Rejection::Subject => f.write_str("the token has no subject"),
        }
    }
}

impl From<Rejection> for Error {
    fn from(r: Rejection) -> Self {
        Error::IdTokenRejected(r)
    }
}

/// What a token must satisfy besides its signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectations {
    /// The issuer from the discovery document.
    pub issuer: String,
    /// Our OIDC client ID.
    pub client_id: String,
    /// The nonce sent with the authorization request (`None`: not checked, e.g. token exchange).
    pub nonce: Option<String>,
    /// Clock skew tolerated.
    pub leeway: Duration,
}

/// The claims of a verified ID token StackFlow uses.
#[derive(Debug, Clone, PartialEq)]
pub struct IdTokenClaims {
    /// `sub`: the Okta user id.
    pub subject: String,
    /// `email`, when present.
    pub email: Option<String>,
    /// `preferred_username`, when present (Okta: the login).
    pub preferred_username: Option<String>,
    /// `exp`, seconds since the epoch.
    pub expires_at: u64,
    /// `jti`, when present.
    pub jti: Option<String>,
    /// Every claim, as sent.
    pub claims: Map<String, Value>,
}

/// The header fields read before choosing a key.
struct Header {
    alg: String,
    kid: Option<String>,
}

fn b64(part: &str) -> std::result::Result<Vec<u8>, Rejection> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|_| Rejection::Malformed("invalid base64url".into()))
}

fn header_of(token: &str) -> std::result::Result<Header, Rejection> {
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(Rejection::Malformed("not three dot-separated parts".into()));
    }
    let header: Map<String, Value> = serde_json::from_slice(&b64(parts[0])?)
        .map_err(|_| Rejection::Malformed("the header is not a JSON object".into()))?;
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("").to_owned();
    let kid = header.get("kid").and_then(Value::as_str).map(str::to_owned);
    Ok(Header { alg, kid })
}

fn verifier_for(alg: &str, jwk: &Jwk) -> std::result::Result<Box<dyn JwsVerifier>, Rejection> {
    // The algorithm must also suit the key: an RSA key never verifies an ES256 token and vice versa.
    // The key is already chosen (by kid, or as the only one), so the verifier does not re-check kid.
    match (alg, jwk.key_type()) {
        ("RS256", "RSA") => {
            let mut v = RS256.verifier_from_jwk(jwk).map_err(|_| Rejection::Signature)?;
            v.remove_key_id();
            Ok(Box::new(v))
        }
        ("ES256", "EC") => {
            let mut v = ES256.verifier_from_jwk(jwk).map_err(|_| Rejection::Signature)?;
            v.remove_key_id();
            Ok(Box::new(v))
        }
        _ => Err(Rejection::Signature),
    }
}

fn seconds(claims: &Map<String, Value>, name: &str) -> Option<u64> {
    claims.get(name).and_then(|v| v.as_u64().or_else(|| v.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)))
}

fn check_claims(
    claims: &Map<String, Value>,
    expect: &Expectations,
    now: SystemTime,
) -> std::result::Result<(), Rejection> {
    let iss = claims.get("iss").and_then(Value::as_str).unwrap_or("");
    if iss != expect.issuer {
        return Err(Rejection::Issuer(iss.to_owned()));
    }
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(a)) => vec![a.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !audiences.contains(&expect.client_id.as_str()) {
        return Err(Rejection::Audience);
    }
    let azp = claims.get("azp").and_then(Value::as_str);
    if (audiences.len() > 1 || azp.is_some()) && azp.is_some_and(|a| a != expect.client_id) {
        return Err(Rejection::Audience);
    }
    if audiences.len() > 1 && azp.is_none() {
        return Err(Rejection::Audience);
    }
    let now = now.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let leeway = expect.leeway.as_secs();
    match seconds(claims, "exp") {
        Some(exp) if exp.saturating_add(leeway) > now => {}
        _ => return Err(Rejection::Expired),
    }
    if let Some(nbf) = seconds(claims, "nbf") {
        if nbf > now.saturating_add(leeway) {
            return Err(Rejection::NotYetValid);
        }
    }
    match seconds(claims, "iat") {
        Some(iat) if iat <= now.saturating_add(leeway) => {}
        _ => return Err(Rejection::IssuedAt),
    }
    if let Some(expected) = &expect.nonce {
        let nonce = claims.get("nonce").and_then(Value::as_str).unwrap_or("");
        let same: bool = subtle::ConstantTimeEq::ct_eq(nonce.as_bytes(), expected.as_bytes()).into();
        if nonce.is_empty() || !same {
            return Err(Rejection::Nonce);
        }
    }
    if claims.get("sub").and_then(Value::as_str).is_none_or(str::is_empty) {
        return Err(Rejection::Subject);
    }
    Ok(())
}

/// Verifies `token` against `keys` and `expect` at time `now`: size, algorithm, key, signature, then
/// the claims.
pub fn verify_with_keys(
    token: &str,
    keys: &JwkSet,
    expect: &Expectations,
    now: SystemTime,
) -> std::result::Result<IdTokenClaims, Rejection> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Rejection::TooLarge);
    }
    let header = header_of(token)?;
    if header.alg != "RS256" && header.alg != "ES256" {
        return Err(Rejection::Algorithm(header.alg));
    }
    let jwk = match &header.kid {
        Some(kid) => keys.get(kid).into_iter().next().ok_or_else(|| Rejection::UnknownKid(kid.clone()))?,
        None => match keys.keys().as_slice() {
            [only] => *only,
            [] => return Err(Rejection::UnknownKid(String::new())),
            _ => return Err(Rejection::AmbiguousKey),
        },
    };
    let verifier = verifier_for(&header.alg, jwk)?;
    let (payload, _) = josekit::jwt::decode_with_verifier(token, &*verifier).map_err(|_| Rejection::Signature)?;
    let claims = payload.claims_set().clone();
    check_claims(&claims, expect, now)?;
    let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
    Ok(IdTokenClaims {
        subject: text("sub").unwrap_or_default(),
        email: text("email"),
        preferred_username: text("preferred_username"),
        expires_at: seconds(&claims, "exp").unwrap_or(0),
        jti: text("jti"),
        claims,
    })
}

/// `max-age` of a `Cache-Control` header value (`no-store`/`no-cache` = 0), capped at
/// [`MAX_JWKS_MAX_AGE`]; `None` when it says nothing usable.
pub fn cache_max_age(cache_control: &str) -> Option<Duration> {
    let mut age = None;
    for directive in cache_control.split(',').map(str::trim) {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-store" || lower == "no-cache" {
            return Some(Duration::ZERO);
        }
        if let Some(v) = lower.strip_prefix("max-age=") {
            age = v.trim_matches('"').parse::<u64>().ok().map(Duration::from_secs);
        }
    }
    age.map(|a| a.min(MAX_JWKS_MAX_AGE))
}

struct CachedKeys {
    keys: Arc<JwkSet>,
    fetched: Instant,
    max_age: Duration,
}

/// The issuer's key set, fetched on first use and kept as long as its `Cache-Control` allows.
pub struct JwksCache {
    http: reqwest::Client,
    uri: String,
    min_refetch: Duration,
    state: Mutex<Option<CachedKeys>>,
}

impl fmt::Debug for JwksCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwksCache").field("uri", &self.uri).finish_non_exhaustive()
    }
}

impl JwksCache {
    /// A cache of the JWKS at `uri`, fetched with `http`; unknown `kid`s re-fetch it at most once per
    /// `min_refetch`.
    pub fn new(http: reqwest::Client, uri: impl Into<String>, min_refetch: Duration) -> JwksCache {
        JwksCache { http, uri: uri.into(), min_refetch, state: Mutex::new(None) }
    }

    /// The least interval between two re-fetches caused by unknown `kid`s.
    pub fn min_refetch(&self) -> Duration {
        self.min_refetch
    }

    async fn fetch(&self) -> Result<CachedKeys> {
        let url = &self.uri;
        let malformed = |reason: String| Error::Malformed { url: url.clone(), reason };
        let res = self
            .http
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| Error::Unreachable { url: url.clone(), reason: e.to_string() })?;
        if !res.status().is_success() {
            return Err(Error::Status { url: url.clone(), status: res.status().as_u16() });
        }
        let max_age = res
            .headers()
            .get(reqwest::header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .and_then(cache_max_age)
            .unwrap_or(DEFAULT_JWKS_MAX_AGE);
        let body = res.bytes().await.map_err(|e| malformed(e.to_string()))?;
        let keys = JwkSet::from_bytes(&body).map_err(|e| malformed(e.to_string()))?;
        Ok(CachedKeys { keys: Arc::new(keys), fetched: Instant::now(), max_age })
    }

    /// The current key set: cached while fresh, fetched otherwise. With `unknown_kid`, the set is
    /// re-fetched even when fresh unless it was fetched less than `min_refetch` ago.
    pub async fn keys(&self, unknown_kid: bool) -> Result<Arc<JwkSet>> {
        let mut state = self.state.lock().await;
        let stale = match state.as_ref() {
            None => true,
            Some(c) => {
                let age = c.fetched.elapsed();
                age >= c.max_age || (unknown_kid && age >= self.min_refetch)
            }
        };
        if stale {
            *state = Some(self.fetch().await?);
        }
        match state.as_ref() {
            Some(c) => Ok(c.keys.clone()),
            None => Err(Error::Malformed { url: self.uri.clone(), reason: "no key set".into() }),
        }
    }
}

/// Verifies ID tokens of one issuer for one client.
#[derive(Debug)]
pub struct IdTokenVerifier {
    issuer: String,
    client_id: String,
    jwks: JwksCache,
    leeway: Duration,
}

impl IdTokenVerifier {
    /// A verifier for tokens of `issuer` meant for `client_id`, with keys from `jwks`.
    pub fn new(issuer: impl Into<String>, client_id: impl Into<String>, jwks: JwksCache) -> IdTokenVerifier {
        IdTokenVerifier { issuer: issuer.into(), client_id: client_id.into(), jwks, leeway: LEEWAY }
    }

    /// The issuer whose tokens are accepted.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Verifies `token`; `nonce` is the one sent with the authorization request (`None`: not checked).
    pub async fn verify(&self, token: &str, nonce: Option<&str>) -> Result<IdTokenClaims> {
        let expect = Expectations {
            issuer: self.issuer.clone(),
            client_id: self.client_id.clone(),
            nonce: nonce.map(str::to_owned),
            leeway: self.leeway,
        };
        if token.len() > MAX_TOKEN_BYTES {
            return Err(Rejection::TooLarge.into());
        }
        let keys = self.jwks.keys(false).await?;
        match verify_with_keys(token, &keys, &expect, SystemTime::now()) {
            Err(Rejection::UnknownKid(_)) => {
                // The issuer may have rotated its keys: look again (rate-limited by the cache).
                let keys = self.jwks.keys(true).await?;
                Ok(verify_with_keys(token, &keys, &expect, SystemTime::now())?)
            }
            other => Ok(other?),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use josekit::jws::{JwsHeader, HS256};
    use josekit::jwt::JwtPayload;
    use serde_json::json;

    const ISS: &str = "https://org.okta.example";
    const CLIENT: &str = "client-1";

    struct Org {
        rsa_private: Jwk,
        keys: JwkSet,
        rsa_public_pem: Vec<u8>,
    }

    fn org(kid: &str) -> Org {
        let rsa = RS256.generate_key_pair(2048).unwrap();
        let mut public = rsa.to_jwk_public_key();
        public.set_key_id(kid);
        // No kid on the signing key: josekit would copy it into every header.
        let private = rsa.to_jwk_private_key();
        let ec = ES256.generate_key_pair().unwrap();
        let mut ec_public = ec.to_jwk_public_key();
        ec_public.set_key_id("ec-1");
        let mut keys = JwkSet::new();
        keys.push_key(public);
        keys.push_key(ec_public);
        Org { rsa_private: private, keys, rsa_public_pem: rsa.to_pem_public_key() }
    }

    fn now() -> u64 {
        SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
    }

    fn claims(extra: Value) -> Value {
        let mut base = json!({
            "iss": ISS, "aud": CLIENT, "sub": "00u1", "iat": now(), "exp": now() + 300,
            "nonce": "n-1", "email": "ada@example.com", "jti": "j-1"
        });
        if let (Some(b), Value::Object(e)) = (base.as_object_mut(), extra) {
            for (k, v) in e {
                if v.is_null() {
                    b.remove(&k);
                } else {
                    b.insert(k, v);
                }
            }
        }
        base
    }

    fn payload(v: Value) -> JwtPayload {
        JwtPayload::from_map(v.as_object().unwrap().clone()).unwrap()
    }

    fn sign_rs(org: &Org, kid: Option<&str>, v: Value) -> String {
        let mut header = JwsHeader::new();
        header.set_token_type("JWT");
        if let Some(kid) = kid {
            header.set_key_id(kid);
        }
        let signer = RS256.signer_from_jwk(&org.rsa_private).unwrap();
        josekit::jwt::encode_with_signer(&payload(v), &header, &signer).unwrap()
    }

    fn expect() -> Expectations {
        Expectations { issuer: ISS.into(), client_id: CLIENT.into(), nonce: Some("n-1".into()), leeway: LEEWAY }
    }

    #[track_caller]
    fn check(token: &str, keys: &JwkSet, expected: std::result::Result<&str, Rejection>) {
        match (verify_with_keys(token, keys, &expect(), SystemTime::now()), expected) {
            (Ok(c), Ok(sub)) => assert_eq!(c.subject, sub),
            (Err(got), Err(want)) => assert_eq!(got, want),
            (got, want) => panic!("got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn verification_table() {
        let us = org("k1");
        let other = org("k1");
        let keys = &us.keys;
        let mut single = JwkSet::new();
        single.push_key(us.keys.get("k1")[0].clone());

        // Accepted: RS256 with a kid; no kid with a single-key JWKS; aud as an array with azp.
        check(&sign_rs(&us, Some("k1"), claims(json!({}))), keys, Ok("00u1"));
        check(&sign_rs(&us, None, claims(json!({}))), &single, Ok("00u1"));
        check(&sign_rs(&us, Some("k1"), claims(json!({"aud": [CLIENT, "api"], "azp": CLIENT}))), keys, Ok("00u1"));
        check(&sign_rs(&us, Some("k1"), claims(json!({"aud": [CLIENT]}))), keys, Ok("00u1"));
        // Within the leeway.
        check(&sign_rs(&us, Some("k1"), claims(json!({"exp": now() - 30}))), keys, Ok("00u1"));
        // ES256.
        let ec = ES256.generate_key_pair().unwrap();
        let ec_private = ec.to_jwk_private_key();
        let mut ec_public = ec.to_jwk_public_key();
        ec_public.set_key_id("e");
        let mut ec_keys = JwkSet::new();
        ec_keys.push_key(ec_public);
        let mut header = JwsHeader::new();
        header.set_key_id("e");
        let es = josekit::jwt::encode_with_signer(
            &payload(claims(json!({}))),
            &header,
            &ES256.signer_from_jwk(&ec_private).unwrap(),
        )
        .unwrap();
        check(&es, &ec_keys, Ok("00u1"));

        // alg none.
        let mut header = JwsHeader::new();
        header.set_key_id("k1");
        let none = josekit::jwt::encode_unsecured(&payload(claims(json!({}))), &header).unwrap();
        check(&none, keys, Err(Rejection::Algorithm("none".into())));
        // HS256 "signed" with the RSA public key.
        let mut header = JwsHeader::new();
        header.set_key_id("k1");
        let hs = josekit::jwt::encode_with_signer(
            &payload(claims(json!({}))),
            &header,
            &HS256.signer_from_bytes(&us.rsa_public_pem).unwrap(),
        )
        .unwrap();
        check(&hs, keys, Err(Rejection::Algorithm("HS256".into())));
        // RS256 header on an ES key's kid.
        check(&sign_rs(&us, Some("ec-1"), claims(json!({}))), keys, Err(Rejection::Signature));
        // Bad signature: payload swapped after signing.
        let good = sign_rs(&us, Some("k1"), claims(json!({})));
        let forged = sign_rs(&us, Some("k1"), claims(json!({"sub": "00uADMIN"})));
        let parts: Vec<&str> = good.split('.').collect();
        let forged_parts: Vec<&str> = forged.split('.').collect();
        check(&format!("{}.{}.{}", parts[0], forged_parts[1], parts[2]), keys, Err(Rejection::Signature));
        // Claims.
        check(
            &sign_rs(&us, Some("k1"), claims(json!({"iss": "https://evil.example"}))),
            keys,
            Err(Rejection::Issuer("https://evil.example".into())),
        );
        check(&sign_rs(&us, Some("k1"), claims(json!({"aud": "someone-else"}))), keys, Err(Rejection::Audience));
        check(&sign_rs(&us, Some("k1"), claims(json!({"aud": [CLIENT, "api"]}))), keys, Err(Rejection::Audience));
        check(
            &sign_rs(&us, Some("k1"), claims(json!({"aud": [CLIENT, "api"], "azp": "api"}))),
            keys,
            Err(Rejection::Audience),
        );
        check(&sign_rs(&us, Some("k1"), claims(json!({"exp": now() - 120}))), keys, Err(Rejection::Expired));
        check(&sign_rs(&us, Some("k1"), claims(json!({"exp": null}))), keys, Err(Rejection::Expired));
        check(&sign_rs(&us, Some("k1"), claims(json!({"nbf": now() + 600}))), keys, Err(Rejection::NotYetValid));
        check(&sign_rs(&us, Some("k1"), claims(json!({"iat": now() + 600}))), keys, Err(Rejection::IssuedAt));
        check(&sign_rs(&us, Some("k1"), claims(json!({"nonce": "n-2"}))), keys, Err(Rejection::Nonce));
        check(&sign_rs(&us, Some("k1"), claims(json!({"nonce": null}))), keys, Err(Rejection::Nonce));
        check(&sign_rs(&us, Some("k1"), claims(json!({"sub": ""}))), keys, Err(Rejection::Subject));
        // Keys.
        check(&sign_rs(&us, Some("k9"), claims(json!({}))), keys, Err(Rejection::UnknownKid("k9".into())));
        check(&sign_rs(&us, None, claims(json!({}))), keys, Err(Rejection::AmbiguousKey));
        // Another org: its own keys (same kid) and issuer.
        check(
            &sign_rs(&other, Some("k1"), claims(json!({"iss": "https://other.okta.example"}))),
            keys,
            Err(Rejection::Signature),
        );
        // Oversized.
        let big = sign_rs(&us, Some("k1"), claims(json!({"pad": "x".repeat(MAX_TOKEN_BYTES)})));
        check(&big, keys, Err(Rejection::TooLarge));
        // Garbage.
        check("a.b", keys, Err(Rejection::Malformed("not three dot-separated parts".into())));
    }

    /// Serves `jwks` (with `cache_control`) over HTTP on a loopback port from a thread, counting requests.
    fn serve_jwks(jwks: String, cache_control: &'static str) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/jwks", listener.local_addr().unwrap());
        let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = hits.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCache-Control: {cache_control}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{jwks}",
                    jwks.len()
                );
                let _ = stream.write_all(response.as_bytes());
            }
        });
        (url, hits)
    }

    fn verifier(url: &str, min_refetch: Duration) -> IdTokenVerifier {
        IdTokenVerifier::new(ISS, CLIENT, JwksCache::new(reqwest::Client::new(), url, min_refetch))
    }

    #[tokio::test]
    async fn jwks_is_cached_and_refetched_at_most_once_per_interval_on_unknown_kid() {
        use std::sync::atomic::Ordering::SeqCst;
        let us = org("k1");
        let jwks = serde_json::to_string(&json!({ "keys": us.keys.keys() })).unwrap();
        let (url, hits) = serve_jwks(jwks.clone(), "public, max-age=3600");
        let v = verifier(&url, Duration::from_secs(3600));
        let good = sign_rs(&us, Some("k1"), claims(json!({})));
        v.verify(&good, Some("n-1")).await.unwrap();
        v.verify(&good, Some("n-1")).await.unwrap();
        assert_eq!(hits.load(SeqCst), 1, "max-age honoured: fetched once");
        // Unknown kid: the JWKS was fetched less than min_refetch ago, so it is not fetched again.
        let unknown = sign_rs(&us, Some("k9"), claims(json!({})));
        let err = v.verify(&unknown, Some("n-1")).await.unwrap_err();
        assert_eq!(err, Error::IdTokenRejected(Rejection::UnknownKid("k9".into())));
        assert_eq!(hits.load(SeqCst), 1);
        // With a zero interval, an unknown kid re-fetches once per verification (not in a loop).
        let v = verifier(&url, Duration::ZERO);
        v.verify(&good, Some("n-1")).await.unwrap();
        let before = hits.load(SeqCst);
        assert!(v.verify(&unknown, Some("n-1")).await.is_err());
        assert_eq!(hits.load(SeqCst), before + 1);
        // no-store: fetched for every verification.
        let (url, hits) = serve_jwks(jwks, "no-store");
        let v = verifier(&url, Duration::from_secs(3600));
        v.verify(&good, Some("n-1")).await.unwrap();
        v.verify(&good, Some("n-1")).await.unwrap();
        assert_eq!(hits.load(SeqCst), 2);
    }

    #[test]
    fn cache_control() {
        let cases: [(&str, Option<u64>); 6] = [
            ("max-age=600", Some(600)),
            ("public, max-age=3600, must-revalidate", Some(3600)),
            ("no-store", Some(0)),
            ("max-age=999999999", Some(24 * 3600)),
            ("public", None),
            ("max-age=abc", None),
        ];
        for (header, want) in cases {
            assert_eq!(cache_max_age(header), want.map(Duration::from_secs), "{header}");
        }
    }
}
