//! The `custom_auth` strategy against a stand-in for Cognito's AdminInitiateAuth and
//! AdminRespondToAuthChallenge (moto does not implement CUSTOM_AUTH): a loopback HTTP server that
//! speaks the AWS JSON 1.1 protocol and behaves as a pool with the triggers of
//! docs/cognito-custom-auth.md — a fresh nonce per challenge, one answer per session, and the answer
//! checked with `verify_assertion`. So these tests prove that what the bridge signs verifies, and
//! that a replayed session or answer is refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use josekit::jwk::Jwk;
use josekit::jws::ES256;
use rand::Rng;
use serde_json::{json, Value};
use sso_bridge::cognito::{CognitoClient, CognitoConfig};
use sso_bridge::custom_auth::{verify_assertion, AssertionKey, CustomAuthIssuer};
use sso_bridge::Error;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, Once};
use std::time::SystemTime;

const POOL: &str = "eu-west-1_StandIn1";
const CLIENT: &str = "bridge-app-client";
const ISS: &str = "https://sf.example.com";

/// What the stand-in pool is configured with, and what it saw.
struct Pool {
    jwk: Jwk,
    /// Answer AdminInitiateAuth with tokens at once (a DefineAuthChallenge that skips the challenge).
    skip_challenge: bool,
    /// Open sessions: session → (username, nonce).
    sessions: Mutex<HashMap<String, (String, String)>>,
    /// Every ANSWER received, with its session.
    answers: Mutex<Vec<(String, String)>>,
}

type Reply = (u16, Value);

fn fault(code: &str, message: &str) -> Reply {
    (400, json!({ "__type": code, "message": message }))
}

fn random() -> String {
    let mut rng = rand::rng();
    (0..32).map(|_| rng.sample(rand::distr::Alphanumeric) as char).collect()
}

impl Pool {
    fn handle(&self, target: &str, body: &Value) -> Reply {
        if body["UserPoolId"] != POOL || body["ClientId"] != CLIENT {
            return fault("ResourceNotFoundException", "unknown pool or client");
        }
        match target {
            "AWSCognitoIdentityProviderService.AdminInitiateAuth" => self.initiate(body),
            "AWSCognitoIdentityProviderService.AdminRespondToAuthChallenge" => self.respond(body),
            _ => fault("UnknownOperationException", target),
        }
    }

    fn initiate(&self, body: &Value) -> Reply {
        if body["AuthFlow"] != "CUSTOM_AUTH" {
            return fault("InvalidParameterException", "this pool allows CUSTOM_AUTH only");
        }
        let Some(user) = body["AuthParameters"]["USERNAME"].as_str() else {
            return fault("InvalidParameterException", "USERNAME is required");
        };
        if self.skip_challenge {
            return (200, tokens(user));
        }
        let (session, nonce) = (random(), random());
        self.sessions.lock().unwrap().insert(session.clone(), (user.to_owned(), nonce.clone()));
        (
            200,
            json!({
                "ChallengeName": "CUSTOM_CHALLENGE",
                "Session": session,
                "ChallengeParameters": { "USERNAME": user, "nonce": nonce },
            }),
        )
    }

    fn respond(&self, body: &Value) -> Reply {
        if body["ChallengeName"] != "CUSTOM_CHALLENGE" {
            return fault("InvalidParameterException", "CUSTOM_CHALLENGE expected");
        }
        let session = body["Session"].as_str().unwrap_or("");
        let answer = body["ChallengeResponses"]["ANSWER"].as_str().unwrap_or("").to_owned();
        self.answers.lock().unwrap().push((session.to_owned(), answer.clone()));
        // One answer per session: DefineAuthChallenge fails the session on a wrong answer, and a
        // session that issued tokens is over.
        let Some((user, nonce)) = self.sessions.lock().unwrap().remove(session) else {
            return fault("NotAuthorizedException", "Invalid session for the user.");
        };
        if body["ChallengeResponses"]["USERNAME"] != user.as_str() {
            return fault("NotAuthorizedException", "Incorrect username or password.");
        }
        match verify_assertion(&answer, &user, POOL, ISS, &self.jwk, SystemTime::now(), Some(&nonce)) {
            Ok(()) => (200, tokens(&user)),
            Err(_) => fault("NotAuthorizedException", "Incorrect username or password."),
        }
    }
}

fn tokens(user: &str) -> Value {
    json!({
        "ChallengeParameters": {},
        "AuthenticationResult": {
            "AccessToken": format!("access:{user}"),
            "IdToken": format!("id:{user}"),
            "RefreshToken": "refresh",
            "ExpiresIn": 3600,
            "TokenType": "Bearer",
        },
    })
}

/// Serves one connection (keep-alive) until the client closes it.
fn serve(pool: &Pool, stream: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let (mut length, mut target) = (0usize, String::new());
        loop {
            let mut header = String::new();
            reader.read_line(&mut header)?;
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                match name.trim().to_ascii_lowercase().as_str() {
                    "content-length" => length = value.trim().parse().unwrap_or(0),
                    "x-amz-target" => target = value.trim().to_owned(),
                    _ => {}
                }
            }
        }
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body)?;
        let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let (status, reply) = pool.handle(&target, &body);
        let text = reply.to_string();
        let error_type = reply["__type"].as_str().map(|t| format!("x-amzn-ErrorType: {t}\r\n")).unwrap_or_default();
        write!(
            out,
            "HTTP/1.1 {status} {}\r\nContent-Type: application/x-amz-json-1.1\r\n{error_type}Content-Length: {}\r\n\r\n{text}",
            if status == 200 { "OK" } else { "Bad Request" },
            text.len()
        )?;
        out.flush()?;
    }
}

/// Starts a stand-in pool verifying with `jwk`; returns it and its endpoint URL.
fn stand_in(jwk: &Jwk, skip_challenge: bool) -> (Arc<Pool>, String) {
    let pool = Arc::new(Pool {
        jwk: jwk.clone(),
        skip_challenge,
        sessions: Mutex::new(HashMap::new()),
        answers: Mutex::new(Vec::new()),
    });
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let shared = pool.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let pool = shared.clone();
            std::thread::spawn(move || serve(&pool, stream));
        }
    });
    (pool, url)
}

async fn client(url: &str) -> CognitoClient {
    static CREDENTIALS: Once = Once::new();
    CREDENTIALS.call_once(|| {
        std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
        std::env::set_var("AWS_SESSION_TOKEN", "testing");
    });
    let config =
        CognitoConfig { user_pool_id: POOL.into(), region: "eu-west-1".into(), endpoint_url: Some(url.to_owned()) };
    CognitoClient::connect(&config).await.unwrap()
}

fn key() -> AssertionKey {
    AssertionKey::from_pem(&ES256.generate_key_pair().unwrap().to_pem_private_key()).unwrap()
}

fn code(err: &Error) -> (&'static str, &str) {
    match err {
        Error::Cognito { operation, code, .. } => (operation, code.as_str()),
        other => panic!("not a Cognito error: {other:?}"),
    }
}

#[tokio::test]
async fn the_bridge_signs_an_answer_the_trigger_accepts_once() {
    use secrecy::ExposeSecret;
    let key = key();
    let (pool, url) = stand_in(key.public_jwk(), false);
    let cognito = client(&url).await;
    let issuer = CustomAuthIssuer::new(cognito.clone(), CLIENT, key, ISS);

    let tokens = issuer.issue("user-1").await.unwrap();
    assert_eq!(tokens.access_token.expose_secret(), "access:user-1");
    assert_eq!(tokens.id_token.expose_secret(), "id:user-1");
    assert_eq!(tokens.expires_in, 3600);
    assert!(!format!("{tokens:?}").contains("access:user-1"));
    // A second sign-in gets a new challenge (and nonce), and works too.
    issuer.issue("user-1").await.unwrap();
    let (session, answer) = pool.answers.lock().unwrap()[0].clone();
    assert!(!format!("{issuer:?}").contains(&answer));

    // Replaying the session with its answer: the session is spent.
    let sdk = cognito.sdk();
    let replay = |session: String, answer: String| {
        sdk.admin_respond_to_auth_challenge()
            .user_pool_id(POOL)
            .client_id(CLIENT)
            .challenge_name(aws_sdk_cognitoidentityprovider::types::ChallengeNameType::CustomChallenge)
            .session(session)
            .challenge_responses("USERNAME", "user-1")
            .challenge_responses("ANSWER", answer)
            .send()
    };
    let err = replay(session, answer.clone()).await.unwrap_err();
    assert_eq!(
        aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata::code(&err),
        Some("NotAuthorizedException")
    );
    // Replaying the answer in a new session: its nonce is the old challenge's.
    let started = sdk
        .admin_initiate_auth()
        .user_pool_id(POOL)
        .client_id(CLIENT)
        .auth_flow(aws_sdk_cognitoidentityprovider::types::AuthFlowType::CustomAuth)
        .auth_parameters("USERNAME", "user-1")
        .send()
        .await
        .unwrap();
    let fresh = started.session().unwrap().to_owned();
    let err = replay(fresh, answer).await.unwrap_err();
    assert_eq!(
        aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata::code(&err),
        Some("NotAuthorizedException")
    );
}

#[tokio::test]
async fn answers_signed_with_another_key_or_issuer_are_refused() {
    let trusted = key();
    let (pool, url) = stand_in(trusted.public_jwk(), false);
    let cognito = client(&url).await;
    let bridges = [
        CustomAuthIssuer::new(cognito.clone(), CLIENT, key(), ISS),
        CustomAuthIssuer::new(cognito.clone(), CLIENT, trusted.clone(), "https://evil.example"),
    ];
    for bridge in bridges {
        let err = bridge.issue("user-1").await.unwrap_err();
        assert_eq!(code(&err), ("AdminRespondToAuthChallenge", "NotAuthorizedException"), "{err}");
        let (_, answer) = pool.answers.lock().unwrap().last().unwrap().clone();
        assert!(!err.to_string().contains(&answer) && !format!("{err:?}").contains(&answer));
    }
}

#[tokio::test]
async fn a_pool_that_issues_tokens_without_a_challenge_is_refused() {
    let key = key();
    let (_pool, url) = stand_in(key.public_jwk(), true);
    let err = CustomAuthIssuer::new(client(&url).await, CLIENT, key, ISS).issue("user-1").await.unwrap_err();
    assert_eq!(code(&err), ("AdminInitiateAuth", "NoChallenge"));
}
