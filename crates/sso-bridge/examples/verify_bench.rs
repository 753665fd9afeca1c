//! The sign-in bridge's own share of a token exchange: ID-token verification under concurrent load,
//! with the issuer on loopback. Signs `N` distinct RS256 ID tokens (2048-bit key, as Okta's), serves
//! discovery and the JWKS from a loopback HTTP server that counts JWKS fetches, discovers it with
//! [`OidcClient::discover`] and verifies every token through [`OidcClient::verify`] — the call
//! `POST /auth/okta/token` makes — from `TASKS` concurrent tasks, starting with a cold cache.
//!
//! Run: `cargo run --release -p sso-bridge --example verify_bench [N] [TASKS]` (defaults 20000 64).

use josekit::jws::{JwsHeader, RS256};
use josekit::jwt::JwtPayload;
use secrecy::SecretString;
use sso_bridge::oidc::{OidcClient, OidcSettings};
use std::error::Error;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

type AnyResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

const CLIENT_ID: &str = "bench-client";

/// Answers one request: discovery, the JWKS (counted), or 404. `Connection: close` each time.
fn serve(mut stream: TcpStream, issuer: &str, jwks: &str, fetches: &AtomicUsize) -> std::io::Result<()> {
    let mut request = Vec::new();
    let mut buf = [0u8; 2048];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        request.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&request);
    let path = head.split_whitespace().nth(1).unwrap_or("");
    let (status, body) = match path {
        "/.well-known/openid-configuration" => (
            "200 OK",
            serde_json::json!({
                "issuer": issuer,
                "authorization_endpoint": format!("{issuer}/authorize"),
                "token_endpoint": format!("{issuer}/token"),
                "jwks_uri": format!("{issuer}/keys"),
            })
            .to_string(),
        ),
        "/keys" => {
            fetches.fetch_add(1, Ordering::SeqCst);
            ("200 OK", jwks.to_owned())
        }
        _ => ("404 Not Found", String::new()),
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nCache-Control: max-age=3600\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(rank).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn main() -> AnyResult<()> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(20_000);
    let tasks: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(64).max(1);

    let listener = TcpListener::bind("127.0.0.1:0")?;
    let issuer = format!("http://{}", listener.local_addr()?);
    let key = RS256.generate_key_pair(2048)?;
    let mut public = key.to_jwk_public_key();
    public.set_key_id("bench-1");
    let private = key.to_jwk_private_key();
    let jwks = serde_json::json!({ "keys": [public] }).to_string();
    let fetches = Arc::new(AtomicUsize::new(0));
    {
        let (issuer, fetches) = (issuer.clone(), fetches.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                // A failed answer shows up as a verification error in the results.
                let _ = serve(stream, &issuer, &jwks, &fetches);
            }
        });
    }

    // Distinct tokens (own jti and sub), signed on every core.
    let started = Instant::now();
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let threads = std::thread::available_parallelism().map_or(2, |p| p.get());
    let tokens: Vec<String> = std::thread::scope(|s| -> AnyResult<Vec<String>> {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (private, issuer) = (&private, &issuer);
                s.spawn(move || -> AnyResult<Vec<String>> {
                    let signer = RS256.signer_from_jwk(private)?;
                    let mut header = JwsHeader::new();
                    header.set_token_type("JWT");
                    header.set_key_id("bench-1");
                    (0..n)
                        .filter(|i| i % threads == t)
                        .map(|i| {
                            let mut payload = JwtPayload::new();
                            payload.set_issuer(issuer);
                            payload.set_audience(vec![CLIENT_ID]);
                            payload.set_subject(format!("00u{i:08}"));
                            payload.set_jwt_id(format!("jti-{i}"));
                            payload.set_issued_at(&(UNIX_EPOCH + Duration::from_secs(now)));
                            payload.set_expires_at(&(UNIX_EPOCH + Duration::from_secs(now + 3600)));
                            payload.set_claim("email", Some(format!("user{i}@example.com").into()))?;
                            Ok(josekit::jwt::encode_with_signer(&payload, &header, &signer)?)
                        })
                        .collect()
                })
            })
            .collect();
        let mut all = Vec::with_capacity(n);
        for h in handles {
            all.extend(h.join().map_err(|_| "a signing thread failed")??);
        }
        Ok(all)
    })?;
    println!("signed {} RS256 ID tokens in {:.1} s", tokens.len(), started.elapsed().as_secs_f64());

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let client = Arc::new(
            OidcClient::discover(&OidcSettings {
                issuer_url: issuer,
                client_id: CLIENT_ID.into(),
                client_secret: SecretString::from("unused"),
                redirect_uri: "http://127.0.0.1/auth/okta/callback".into(),
                timeout: Duration::from_secs(5),
            })
            .await?,
        );
        let tokens = Arc::new(tokens);
        let started = Instant::now();
        // Cold cache: all tasks start at once, so the first verifications race for the JWKS.
        let handles: Vec<_> = (0..tasks)
            .map(|t| {
                let (client, tokens) = (client.clone(), tokens.clone());
                tokio::spawn(async move {
                    let mut times = Vec::new();
                    let mut failures = 0usize;
                    for token in tokens.iter().skip(t).step_by(tasks) {
                        let begin = Instant::now();
                        match client.verify(token).await {
                            Ok(_) => times.push(begin.elapsed()),
                            Err(_) => failures += 1,
                        }
                    }
                    (times, failures)
                })
            })
            .collect();
        let mut times = Vec::with_capacity(tokens.len());
        let mut failures = 0;
        for h in handles {
            let (t, f) = h.await?;
            times.extend(t);
            failures += f;
        }
        let wall = started.elapsed();
        times.sort();
        println!(
            "verified {} tokens ({failures} failed) with {tasks} concurrent tasks on {threads} cores in {:.2} s \
             ({:.0}/s)",
            times.len(),
            wall.as_secs_f64(),
            times.len() as f64 / wall.as_secs_f64()
        );
        println!(
            "per verification (queueing included): p50 {}  p99 {}  max {}",
            ms(percentile(&times, 0.50)),
            ms(percentile(&times, 0.99)),
            ms(times.last().copied().unwrap_or_default())
        );
        println!("JWKS fetches: {}", fetches.load(Ordering::SeqCst));
        AnyResult::Ok(())
    })
}
