//! Cognito tokens by the `custom_auth` strategy (for production pools): AdminInitiateAuth
//! `CUSTOM_AUTH`, then AdminRespondToAuthChallenge `CUSTOM_CHALLENGE` whose answer is an assertion
//! the bridge signs — a compact JWS (ES256 or RS256) saying "the bridge vouches for Cognito user
//! `sub` of pool `aud`", valid at most [`MAX_LIFETIME`], with a random `jti` and the `nonce` the
//! CreateAuthChallenge trigger put in the challenge's public parameters.
//!
//! The pool's VerifyAuthChallengeResponse trigger checks the answer with the same rules as
//! [`verify_assertion`] (docs/cognito-custom-auth.md has the three triggers). Single use comes from
//! the nonce: CreateAuthChallenge draws a fresh one per challenge and keeps it in the private
//! challenge parameters, which Cognito binds to that one session; the DefineAuthChallenge trigger
//! allows one answer per session. So an assertion is good for exactly one session, and a session
//! for exactly one answer — no replay store (e.g. DynamoDB keyed by `jti`) is needed.
//!
//! The private key, the assertions and the tokens are never logged, returned in errors, or shown
//! by `Debug`.

use crate::cognito::{sdk_error, CognitoClient};
use crate::tokens::{tokens_from, CognitoTokens};
use crate::{Error, Result};
use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, ChallengeNameType};
use base64::Engine;
use josekit::jwk::Jwk;
use josekit::jws::{JwsHeader, JwsSigner, JwsVerifier, ES256, RS256};
use josekit::jwt::JwtPayload;
use secrecy::{ExposeSecret, SecretSlice, SecretString};
use serde_json::{Map, Value};
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The longest an assertion may be valid: `exp - iat` is at most this.
pub const MAX_LIFETIME: Duration = Duration::from_secs(60);
/// How long the assertions the bridge signs are valid (the answer follows within milliseconds).
pub const LIFETIME: Duration = Duration::from_secs(30);
/// Clock skew tolerated between the bridge and the trigger on `exp` and `iat`.
pub const LEEWAY: Duration = Duration::from_secs(5);
/// Largest assertion accepted (bytes); anything larger is refused before it is parsed.
pub const MAX_ASSERTION_BYTES: usize = 4096;
/// The challenge parameter (public and private) that carries the nonce.
pub const NONCE_PARAMETER: &str = "nonce";

/// Why an assertion was refused. Neither the assertion nor its claims are part of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// Larger than [`MAX_ASSERTION_BYTES`].
    TooLarge,
    /// Not a compact JWS with a JSON header and payload.
    Malformed,
    /// The header's `alg` is not the one of the key (`none`, HS256, …).
    Algorithm(String),
    /// The key is not an EC P-256 or RSA public key.
    Key,
    /// The signature does not verify with the key.
    Signature,
    /// `iss` is not the bridge's issuer.
    Issuer,
    /// `aud` is not the user pool.
    Audience,
    /// `sub` is not the user signing in.
    Subject,
    /// `exp` is missing or in the past (beyond [`LEEWAY`]).
    Expired,
    /// `exp` is more than [`MAX_LIFETIME`] after `iat`, or not after it.
    Lifetime,
    /// `iat` is missing or in the future (beyond [`LEEWAY`]).
    IssuedAt,
    /// `jti` is missing or empty.
    TokenId,
    /// `nonce` is missing or not the challenge's.
    Nonce,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::TooLarge => write!(f, "the assertion is larger than {MAX_ASSERTION_BYTES} bytes"),
            Rejection::Malformed => f.write_str("the assertion is not a compact JWS"),
            Rejection::Algorithm(alg) => {
                let alg: String = alg.chars().take(16).collect();
                write!(f, "algorithm '{alg}' is not the key's")
            }
            Rejection::Key => f.write_str("the verification key is not an EC P-256 or RSA public key"),
            Rejection::Signature => f.write_str("the signature does not verify"),
            Rejection::Issuer => f.write_str("iss is not the bridge's issuer"),
            Rejection::Audience => f.write_str("aud is not the user pool"),
            Rejection::Subject => f.write_str("sub is not the user signing in"),
            Rejection::Expired => f.write_str("the assertion has expired"),
            Rejection::Lifetime => write!(f, "exp is not within {} s after iat", MAX_LIFETIME.as_secs()),
            Rejection::IssuedAt => f.write_str("iat is missing or in the future"),
            Rejection::TokenId => f.write_str("jti is missing"),
            Rejection::Nonce => f.write_str("the nonce is not the challenge's"),
        }
    }
}

impl From<Rejection> for Error {
    fn from(r: Rejection) -> Self {
        Error::AssertionRejected(r)
    }
}

/// The JWS algorithm of a key: ES256 for EC P-256, RS256 for RSA; `None` for anything else.
fn algorithm_of(jwk: &Jwk) -> Option<&'static str> {
    match (jwk.key_type(), jwk.curve(), jwk.algorithm()) {
        ("EC", Some("P-256"), None | Some("ES256")) => Some("ES256"),
        ("RSA", _, None | Some("RS256")) => Some("RS256"),
        _ => None,
    }
}

fn header_alg(jws: &str) -> std::result::Result<String, Rejection> {
    let mut parts = jws.split('.');
    let (Some(header), Some(_), Some(_), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(Rejection::Malformed);
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header).map_err(|_| Rejection::Malformed)?;
    let header: Map<String, Value> = serde_json::from_slice(&bytes).map_err(|_| Rejection::Malformed)?;
    Ok(header.get("alg").and_then(Value::as_str).unwrap_or("").to_owned())
}

fn seconds(claims: &Map<String, Value>, name: &str) -> Option<u64> {
    claims.get(name).and_then(Value::as_u64)
}

/// Verifies an assertion as the VerifyAuthChallengeResponse trigger must (pure: no AWS, no clock of
/// its own): the algorithm is the key's (ES256 for EC P-256, RS256 for RSA — never `none` or HMAC),
/// the signature, `iss` = `issuer`, `aud` = `pool_id`, `sub` = `expected_username`, `iat` not in the
/// future and `exp` not past (both with [`LEEWAY`]), `exp - iat` ≤ [`MAX_LIFETIME`], a `jti`, and,
/// when the challenge carried one, `nonce`.
pub fn verify_assertion(
    jws: &str,
    expected_username: &str,
    pool_id: &str,
    issuer: &str,
    public_jwk: &Jwk,
    now: SystemTime,
    nonce: Option<&str>,
) -> std::result::Result<(), Rejection> {
    if jws.len() > MAX_ASSERTION_BYTES {
        return Err(Rejection::TooLarge);
    }
    let alg = header_alg(jws)?;
    let key_alg = algorithm_of(public_jwk).ok_or(Rejection::Key)?;
    if alg != key_alg {
        return Err(Rejection::Algorithm(alg));
    }
    let verifier: Box<dyn JwsVerifier> = match key_alg {
        "ES256" => {
            let mut v = ES256.verifier_from_jwk(public_jwk).map_err(|_| Rejection::Key)?;
            v.remove_key_id();
            Box::new(v)
        }
        _ => {
            let mut v = RS256.verifier_from_jwk(public_jwk).map_err(|_| Rejection::Key)?;
            v.remove_key_id();
            Box::new(v)
        }
    };
    let (payload, _) = josekit::jwt::decode_with_verifier(jws, &*verifier).map_err(|_| Rejection::Signature)?;
    let claims = payload.claims_set();
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    if text("iss") != Some(issuer) {
        return Err(Rejection::Issuer);
    }
    let audience_ok = match claims.get("aud") {
        Some(Value::String(aud)) => aud == pool_id,
        Some(Value::Array(list)) => list.len() == 1 && list[0].as_str() == Some(pool_id),
        _ => false,
    };
    if !audience_ok {
        return Err(Rejection::Audience);
    }
    if expected_username.is_empty() || text("sub") != Some(expected_username) {
        return Err(Rejection::Subject);
    }
    let now = now.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let leeway = LEEWAY.as_secs();
    let iat = seconds(claims, "iat").ok_or(Rejection::IssuedAt)?;
    if iat > now.saturating_add(leeway) {
        return Err(Rejection::IssuedAt);
    }
    let exp = seconds(claims, "exp").ok_or(Rejection::Expired)?;
    if exp <= iat || exp - iat > MAX_LIFETIME.as_secs() {
        return Err(Rejection::Lifetime);
    }
    if exp.saturating_add(leeway) <= now {
        return Err(Rejection::Expired);
    }
    if text("jti").is_none_or(str::is_empty) {
        return Err(Rejection::TokenId);
    }
    if let Some(expected) = nonce {
        let got = text("nonce").unwrap_or("");
        let same: bool = subtle::ConstantTimeEq::ct_eq(got.as_bytes(), expected.as_bytes()).into();
        if got.is_empty() || !same {
            return Err(Rejection::Nonce);
        }
    }
    Ok(())
}

/// The bridge's assertion signing key: an EC P-256 or RSA (≥ 2048 bits) private key. `Debug` shows
/// the algorithm only; the public half ([`AssertionKey::public_jwk`]) is what the trigger verifies with.
#[derive(Clone)]
pub struct AssertionKey {
    alg: &'static str,
    signer: Arc<dyn JwsSigner>,
    public: Jwk,
}

impl fmt::Debug for AssertionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssertionKey").field("alg", &self.alg).field("private_key", &"***").finish()
    }
}

/// Two keys are the same when their public halves are.
impl PartialEq for AssertionKey {
    fn eq(&self, other: &Self) -> bool {
        self.public == other.public
    }
}

impl Eq for AssertionKey {}

impl AssertionKey {
    /// Parses a PEM private key: EC P-256 (PKCS#8 `PRIVATE KEY` or SEC1 `EC PRIVATE KEY`) → ES256,
    /// RSA of at least 2048 bits (PKCS#8 or PKCS#1 `RSA PRIVATE KEY`) → RS256.
    pub fn from_pem(pem: &[u8]) -> Result<AssertionKey> {
        if let Ok(pair) = ES256.key_pair_from_pem(pem) {
            let signer = ES256.signer_from_pem(pem).map_err(|_| Error::AssertionKey(UNUSABLE.into()))?;
            return Ok(AssertionKey { alg: "ES256", signer: Arc::new(signer), public: pair.to_jwk_public_key() });
        }
        if let Ok(pair) = RS256.key_pair_from_pem(pem) {
            let signer = RS256.signer_from_pem(pem).map_err(|_| Error::AssertionKey(UNUSABLE.into()))?;
            return Ok(AssertionKey { alg: "RS256", signer: Arc::new(signer), public: pair.to_jwk_public_key() });
        }
        Err(Error::AssertionKey(UNUSABLE.into()))
    }

    /// Reads and parses the PEM file `path` (its content is never part of an error).
    pub fn from_file(path: &Path) -> Result<AssertionKey> {
        let pem = SecretSlice::from(
            std::fs::read(path).map_err(|e| Error::AssertionKey(format!("cannot read {}: {e}", path.display())))?,
        );
        AssertionKey::from_pem(pem.expose_secret())
            .map_err(|e| Error::AssertionKey(format!("{}: {}", path.display(), key_reason(&e))))
    }

    /// `ES256` or `RS256`.
    pub fn algorithm(&self) -> &'static str {
        self.alg
    }

    /// The public key as a JWK (with `alg`): the trigger's verification key.
    pub fn public_jwk(&self) -> &Jwk {
        &self.public
    }

    /// Signs an assertion for Cognito user `username` of pool `pool_id`, issued by `issuer` at `now`,
    /// valid for [`LIFETIME`], with a fresh random `jti` and the challenge's `nonce` when it has one.
    pub fn sign(
        &self,
        issuer: &str,
        pool_id: &str,
        username: &str,
        nonce: Option<&str>,
        now: SystemTime,
    ) -> Result<SecretString> {
        let iat = now.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let jti = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>());
        let mut claims = Map::new();
        claims.insert("iss".into(), issuer.into());
        claims.insert("aud".into(), pool_id.into());
        claims.insert("sub".into(), username.into());
        claims.insert("iat".into(), iat.into());
        claims.insert("exp".into(), (iat + LIFETIME.as_secs()).into());
        claims.insert("jti".into(), jti.into());
        if let Some(nonce) = nonce {
            claims.insert("nonce".into(), nonce.into());
        }
        let signing_failed = || Error::AssertionKey("signing the assertion failed".into());
        let payload = JwtPayload::from_map(claims).map_err(|_| signing_failed())?;
        let mut header = JwsHeader::new();
        header.set_token_type("JWT");
        let jws = josekit::jwt::encode_with_signer(&payload, &header, &*self.signer).map_err(|_| signing_failed())?;
        Ok(SecretString::from(jws))
    }
}

const UNUSABLE: &str = "not an EC P-256 or RSA (at least 2048 bits) private key in PEM \
                        (PKCS#8 PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY)";

fn key_reason(e: &Error) -> String {
    match e {
        Error::AssertionKey(why) => why.clone(),
        other => other.to_string(),
    }
}

/// Issues Cognito tokens through one app client (`ALLOW_CUSTOM_AUTH`, no client secret) of a pool
/// whose auth-challenge triggers are the documented ones.
pub struct CustomAuthIssuer {
    client: CognitoClient,
    app_client_id: String,
    key: AssertionKey,
    issuer: String,
}

impl fmt::Debug for CustomAuthIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CustomAuthIssuer")
            .field("app_client_id", &self.app_client_id)
            .field("issuer", &self.issuer)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl CustomAuthIssuer {
    /// An issuer over `client`'s pool through `app_client_id`, signing with `key` as `issuer` (the
    /// `iss` the Verify trigger expects, e.g. the public base URL).
    pub fn new(
        client: CognitoClient,
        app_client_id: impl Into<String>,
        key: AssertionKey,
        issuer: impl Into<String>,
    ) -> CustomAuthIssuer {
        CustomAuthIssuer { client, app_client_id: app_client_id.into(), key, issuer: issuer.into() }
    }

    /// The signing key.
    pub fn key(&self) -> &AssertionKey {
        &self.key
    }

    /// Tokens for the Cognito user `username` (the StackFlow user id).
    pub async fn issue(&self, username: &str) -> Result<CognitoTokens> {
        let sdk = self.client.sdk();
        let pool = &self.client.config().user_pool_id;
        let unexpected = |operation: &'static str, code: &str, message: String| Error::Cognito {
            operation,
            code: code.to_owned(),
            message,
            retryable: false,
        };
        let started = sdk
            .admin_initiate_auth()
            .user_pool_id(pool)
            .client_id(&self.app_client_id)
            .auth_flow(AuthFlowType::CustomAuth)
            .auth_parameters("USERNAME", username)
            .send()
            .await
            .map_err(|e| sdk_error("AdminInitiateAuth", e))?;
        if started.authentication_result().is_some() {
            return Err(unexpected(
                "AdminInitiateAuth",
                "NoChallenge",
                "the pool issued tokens without a challenge: its DefineAuthChallenge trigger lets anyone sign in; \
                 install the one in docs/cognito-custom-auth.md"
                    .into(),
            ));
        }
        if started.challenge_name() != Some(&ChallengeNameType::CustomChallenge) {
            return Err(unexpected(
                "AdminInitiateAuth",
                "UnexpectedChallenge",
                format!("expected CUSTOM_CHALLENGE, Cognito answered {:?}", started.challenge_name()),
            ));
        }
        let session = started
            .session()
            .ok_or_else(|| unexpected("AdminInitiateAuth", "IncompleteResult", "no session in the answer".into()))?;
        let nonce = started.challenge_parameters().and_then(|p| p.get(NONCE_PARAMETER)).map(String::as_str);
        let assertion = self.key.sign(&self.issuer, pool, username, nonce, SystemTime::now())?;
        let out = sdk
            .admin_respond_to_auth_challenge()
            .user_pool_id(pool)
            .client_id(&self.app_client_id)
            .challenge_name(ChallengeNameType::CustomChallenge)
            .session(session)
            .challenge_responses("USERNAME", username)
            .challenge_responses("ANSWER", assertion.expose_secret())
            .send()
            .await
            .map_err(|e| sdk_error("AdminRespondToAuthChallenge", e))?;
        drop(assertion);
        tokens_from("AdminRespondToAuthChallenge", out.authentication_result(), out.challenge_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use josekit::jws::HS256;
    use serde_json::json;

    const ISS: &str = "https://sf.example.com";
    const POOL: &str = "eu-west-1_Pool1";
    const USER: &str = "5f0c7a52-user";
    const NONCE: &str = "n0nce-from-create";

    fn now() -> u64 {
        SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
    }

    fn ec_key() -> AssertionKey {
        let pair = ES256.generate_key_pair().unwrap();
        AssertionKey::from_pem(&pair.to_pem_private_key()).unwrap()
    }

    /// Signs `claims` (the good ones changed by `extra`; null removes) with `key`'s signer.
    fn forge(key: &AssertionKey, extra: Value) -> String {
        let mut claims = json!({
            "iss": ISS, "aud": POOL, "sub": USER, "iat": now(), "exp": now() + 30, "jti": "j1", "nonce": NONCE
        });
        if let (Some(c), Value::Object(e)) = (claims.as_object_mut(), extra) {
            for (k, v) in e {
                if v.is_null() {
                    c.remove(&k);
                } else {
                    c.insert(k, v);
                }
            }
        }
        let payload = JwtPayload::from_map(claims.as_object().unwrap().clone()).unwrap();
        josekit::jwt::encode_with_signer(&payload, &JwsHeader::new(), &*key.signer).unwrap()
    }

    #[track_caller]
    fn check(jws: &str, jwk: &Jwk, nonce: Option<&str>, expected: std::result::Result<(), Rejection>) {
        assert_eq!(verify_assertion(jws, USER, POOL, ISS, jwk, SystemTime::now(), nonce), expected);
    }

    #[test]
    fn assertions_are_checked() {
        let key = ec_key();
        let jwk = key.public_jwk();
        // Accepted: what the bridge signs, with and without a nonce; an RSA key.
        let signed = key.sign(ISS, POOL, USER, Some(NONCE), SystemTime::now()).unwrap();
        check(signed.expose_secret(), jwk, Some(NONCE), Ok(()));
        let signed = key.sign(ISS, POOL, USER, None, SystemTime::now()).unwrap();
        check(signed.expose_secret(), jwk, None, Ok(()));
        let rsa = AssertionKey::from_pem(&RS256.generate_key_pair(2048).unwrap().to_pem_private_key()).unwrap();
        assert_eq!(rsa.algorithm(), "RS256");
        check(forge(&rsa, json!({})).as_str(), rsa.public_jwk(), Some(NONCE), Ok(()));
        // Exactly the longest lifetime, and within the leeway.
        check(&forge(&key, json!({"iat": now() - 10, "exp": now() + 50})), jwk, Some(NONCE), Ok(()));
        check(&forge(&key, json!({"iat": now() - 32, "exp": now() - 2})), jwk, Some(NONCE), Ok(()));

        // alg none.
        let payload = JwtPayload::from_map(
            json!({"iss": ISS, "aud": POOL, "sub": USER, "iat": now(), "exp": now() + 30, "jti": "j", "nonce": NONCE})
                .as_object()
                .unwrap()
                .clone(),
        )
        .unwrap();
        let none = josekit::jwt::encode_unsecured(&payload, &JwsHeader::new()).unwrap();
        check(&none, jwk, Some(NONCE), Err(Rejection::Algorithm("none".into())));
        // HS256 with the public key (its JWK, and its PEM) as the HMAC secret.
        let secret = serde_json::to_vec(jwk).unwrap();
        let hs =
            josekit::jwt::encode_with_signer(&payload, &JwsHeader::new(), &HS256.signer_from_bytes(&secret).unwrap())
                .unwrap();
        check(&hs, jwk, Some(NONCE), Err(Rejection::Algorithm("HS256".into())));
        // RS256 assertion against the EC key: the algorithm must be the key's.
        check(&forge(&rsa, json!({})), jwk, Some(NONCE), Err(Rejection::Algorithm("RS256".into())));
        // Another key of the same kind.
        check(&forge(&ec_key(), json!({})), jwk, Some(NONCE), Err(Rejection::Signature));
        // Tampered payload: another user's claims under the original signature.
        let good = forge(&key, json!({}));
        let other = forge(&key, json!({"sub": "admin-user"}));
        let (g, o): (Vec<&str>, Vec<&str>) = (good.split('.').collect(), other.split('.').collect());
        let tampered = format!("{}.{}.{}", g[0], o[1], g[2]);
        assert_eq!(
            verify_assertion(&tampered, "admin-user", POOL, ISS, jwk, SystemTime::now(), Some(NONCE)),
            Err(Rejection::Signature)
        );
        // Claims.
        check(&forge(&key, json!({"iss": "https://evil.example"})), jwk, Some(NONCE), Err(Rejection::Issuer));
        check(&forge(&key, json!({"iss": null})), jwk, Some(NONCE), Err(Rejection::Issuer));
        check(&forge(&key, json!({"aud": "eu-west-1_Other"})), jwk, Some(NONCE), Err(Rejection::Audience));
        check(&forge(&key, json!({"aud": [POOL, "eu-west-1_Other"]})), jwk, Some(NONCE), Err(Rejection::Audience));
        check(&forge(&key, json!({"sub": "someone-else"})), jwk, Some(NONCE), Err(Rejection::Subject));
        check(&forge(&key, json!({"iat": now() - 90, "exp": now() - 30})), jwk, Some(NONCE), Err(Rejection::Expired));
        check(&forge(&key, json!({"exp": null})), jwk, Some(NONCE), Err(Rejection::Expired));
        check(&forge(&key, json!({"exp": now() + 61})), jwk, Some(NONCE), Err(Rejection::Lifetime));
        check(&forge(&key, json!({"exp": now() + 3600})), jwk, Some(NONCE), Err(Rejection::Lifetime));
        check(&forge(&key, json!({"exp": now()})), jwk, Some(NONCE), Err(Rejection::Lifetime));
        check(&forge(&key, json!({"iat": now() + 30, "exp": now() + 60})), jwk, Some(NONCE), Err(Rejection::IssuedAt));
        check(&forge(&key, json!({"iat": null})), jwk, Some(NONCE), Err(Rejection::IssuedAt));
        check(&forge(&key, json!({"jti": null})), jwk, Some(NONCE), Err(Rejection::TokenId));
        check(&forge(&key, json!({"nonce": "another-challenge"})), jwk, Some(NONCE), Err(Rejection::Nonce));
        check(&forge(&key, json!({"nonce": null})), jwk, Some(NONCE), Err(Rejection::Nonce));
        // Shape.
        check(
            &forge(&key, json!({"pad": "x".repeat(MAX_ASSERTION_BYTES)})),
            jwk,
            Some(NONCE),
            Err(Rejection::TooLarge),
        );
        check("a.b", jwk, Some(NONCE), Err(Rejection::Malformed));
        check("", jwk, Some(NONCE), Err(Rejection::Malformed));
        // A key the trigger must never accept: a symmetric one.
        let mut oct = Jwk::new("oct");
        oct.set_key_value(b"0123456789abcdef0123456789abcdef");
        check(&good, &oct, Some(NONCE), Err(Rejection::Key));
    }

    #[test]
    fn keys_load_from_pem_and_never_show() {
        let pair = ES256.generate_key_pair().unwrap();
        let pem = pair.to_pem_private_key();
        let key = AssertionKey::from_pem(&pem).unwrap();
        assert_eq!(key.algorithm(), "ES256");
        assert_eq!(key.public_jwk().key_type(), "EC");
        assert!(key.public_jwk().parameter("d").is_none(), "the public JWK has no private part");
        let traditional = ES256.key_pair_from_pem(&pem).unwrap().to_traditional_pem_private_key();
        assert_eq!(AssertionKey::from_pem(&traditional).unwrap(), key);
        let shown = format!("{key:?}");
        assert!(shown.contains("***") && !shown.contains("PRIVATE"), "{shown}");
        let d = pair.to_jwk_private_key().parameter("d").and_then(Value::as_str).unwrap().to_owned();
        assert!(!shown.contains(&d));
        // Refused: garbage, a public key, P-384, a short RSA key; the error never echoes the file.
        let p384 = josekit::jws::ES384.generate_key_pair().unwrap().to_pem_private_key();
        for bad in [b"not a key".to_vec(), pair.to_pem_public_key(), p384] {
            let e = AssertionKey::from_pem(&bad).unwrap_err().to_string();
            assert!(e.contains("not an EC P-256 or RSA"), "{e}");
        }
        let dir = std::env::temp_dir().join(format!("sf-assertion-key-{}", std::process::id()));
        std::fs::write(&dir, &pem).unwrap();
        assert_eq!(AssertionKey::from_file(&dir).unwrap(), key);
        std::fs::write(&dir, b"-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n").unwrap();
        let e = AssertionKey::from_file(&dir).unwrap_err().to_string();
        assert!(!e.contains("c2VjcmV0") && e.contains("not an EC P-256"), "{e}");
        std::fs::remove_file(&dir).unwrap();
        assert!(AssertionKey::from_file(&dir).unwrap_err().to_string().contains("cannot read"));
    }
}
