//! The AWS Secrets Manager secret backend against a real local AWS emulator: `moto_server` (Python
//! package `moto[server]`), started per test on a free loopback port and killed when the test ends.
//! No mock of the SDK: every call goes through the SDK, HTTP and the emulator's Secrets Manager.
//!
//! The test fails, never skips, when `moto_server` is not on `PATH`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use secrecy::{ExposeSecret, SecretString};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::time::{Duration, Instant};
use store::secrets::{open, AwsSecretStore, SecretName, SecretStore, SecretsConfig};
use store::{DbOptions, Store};

const PREFIX: &str = "stackflow/test/";
const REGION: &str = "eu-west-1";
const API: SecretName = SecretName::OKTA_API_TOKEN;
const OIDC: SecretName = SecretName::OKTA_OIDC_CLIENT_SECRET;

/// A `moto_server` child process on a free loopback port; killed on drop.
struct Moto {
    child: Child,
    url: String,
}

impl Moto {
    fn start() -> Moto {
        // Credentials for the SDK's default chain; moto accepts any. Set once, before any client reads them.
        static CREDENTIALS: Once = Once::new();
        CREDENTIALS.call_once(|| {
            std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
            std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
            std::env::set_var("AWS_SESSION_TOKEN", "testing");
            std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
        });
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start moto_server ({e}); install it with: pip install 'moto[server]'"));
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("moto_server exited before listening on port {port}: {status}");
            }
            assert!(Instant::now() < deadline, "moto_server did not listen on port {port} within 60 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto { child, url: format!("http://127.0.0.1:{port}") }
    }

    async fn secrets(&self, prefix: &str) -> AwsSecretStore {
        AwsSecretStore::connect(prefix, REGION, Some(&self.url)).await.unwrap()
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.stop();
    }
}

fn secret(value: &str) -> SecretString {
    SecretString::from(value.to_owned())
}

/// What a scenario step does before reading the secret back.
enum Op<'a> {
    Get,
    Put(&'a str),
    Delete,
}

/// Runs `op` on `name`, then checks what reads back.
async fn check(secrets: &dyn SecretStore, name: &SecretName, op: Op<'_>, expect: Option<&str>) {
    match op {
        Op::Get => {}
        Op::Put(value) => secrets.put(name, &secret(value)).await.unwrap(),
        Op::Delete => secrets.delete(name).await.unwrap(),
    }
    let got = secrets.get(name).await.unwrap();
    assert_eq!(got.as_ref().map(|s| s.expose_secret()), expect, "{name}");
}

#[tokio::test]
async fn put_get_overwrite_delete_through_the_configured_backend() {
    let moto = Moto::start();
    let store = Store::connect("sqlite::memory:", &DbOptions::default()).await.unwrap();
    let config =
        SecretsConfig::Aws { prefix: PREFIX.into(), region: REGION.into(), endpoint_url: Some(moto.url.clone()) };
    let secrets = open(&config, &store).await.unwrap();
    secrets.health().await.unwrap();
    assert!(secrets.describe().contains(PREFIX) && secrets.describe().contains(&moto.url), "{}", secrets.describe());

    check(&*secrets, &API, Op::Get, None).await;
    check(&*secrets, &API, Op::Put("ssws-first"), Some("ssws-first")).await;
    check(&*secrets, &API, Op::Put("ssws-second"), Some("ssws-second")).await;
    check(&*secrets, &OIDC, Op::Put("oidc secret ✓ with spaces"), Some("oidc secret ✓ with spaces")).await;
    check(&*secrets, &API, Op::Get, Some("ssws-second")).await;
    check(&*secrets, &API, Op::Delete, None).await;
    check(&*secrets, &API, Op::Delete, None).await;
    // Deleted without a recovery window, so the name is free again at once.
    check(&*secrets, &API, Op::Put("ssws-third"), Some("ssws-third")).await;
    check(&*secrets, &OIDC, Op::Get, Some("oidc secret ✓ with spaces")).await;

    // The AWS secret id is the prefix followed by the logical name: read it back unprefixed.
    let raw = moto.secrets("").await;
    let id = SecretName::parse("stackflow/test/okta/api-token").unwrap();
    check(&raw, &id, Op::Get, Some("ssws-third")).await;
    // Another prefix (another instance) does not see these secrets.
    check(&moto.secrets("stackflow/other/").await, &API, Op::Get, None).await;
}

#[tokio::test]
async fn concurrent_first_puts_all_succeed() {
    let moto = Moto::start();
    let secrets = moto.secrets(PREFIX).await;
    let values = ["ssws-a", "ssws-b", "ssws-c", "ssws-d"];
    let puts = values.map(|v| {
        let (secrets, value) = (&secrets, secret(v));
        async move { secrets.put(&API, &value).await }
    });
    for result in futures_util::future::join_all(puts).await {
        result.unwrap();
    }
    let got = secrets.get(&API).await.unwrap().unwrap();
    assert!(values.contains(&got.expose_secret()), "{}", got.expose_secret());
}

#[tokio::test]
async fn a_stopped_emulator_is_a_quick_clear_error_without_the_value() {
    let mut moto = Moto::start();
    let secrets = moto.secrets(PREFIX).await;
    check(&secrets, &API, Op::Put("ssws-before-stop"), Some("ssws-before-stop")).await;
    moto.stop();

    let started = Instant::now();
    let message = secrets.get(&API).await.unwrap_err().to_string();
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    for expected in ["GetSecretValue", "stackflow/test/okta/api-token", "DispatchFailure", &moto.url] {
        assert!(message.contains(expected), "{expected:?} missing from: {message}");
    }

    let started = Instant::now();
    let err = secrets.put(&API, &secret("ssws-never-shown")).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    let printed = format!("{err} {err:?}");
    assert!(printed.contains("PutSecretValue") && !printed.contains("ssws-never-shown"), "{printed}");

    let message = secrets.health().await.unwrap_err().to_string();
    assert!(message.contains("ListSecrets") && message.contains("stackflow/test/"), "{message}");
}
