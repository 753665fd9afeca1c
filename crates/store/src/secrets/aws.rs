//! The AWS Secrets Manager backend: one AWS secret per logical name, with id `prefix + name`.
//!
//! Credentials come from the SDK's default chain (environment, profile/SSO, web identity, ECS, IMDS).
//! HTTPS uses rustls with ring, the TLS stack the rest of the workspace already links. Timeouts and
//! retries are bounded so an unreachable endpoint fails within seconds, not minutes. Errors carry the
//! secret id and the AWS error code, never the value.

use super::{SecretName, SecretStore};
use crate::{Error, Result};
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_secretsmanager::Client;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::time::Duration;

/// How long to wait for a TCP/TLS connection to the endpoint.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long one attempt of a call may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a call may take in all, retries included.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(30);
/// Attempts per call (the first plus retries of transient failures, with the SDK's backoff).
const MAX_ATTEMPTS: u32 = 3;

/// Secrets in AWS Secrets Manager under a per-instance prefix.
pub struct AwsSecretStore {
    client: Client,
    prefix: String,
    region: String,
    endpoint_url: Option<String>,
}

impl fmt::Debug for AwsSecretStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsSecretStore")
            .field("prefix", &self.prefix)
            .field("region", &self.region)
            .field("endpoint_url", &self.endpoint_url)
            .finish_non_exhaustive()
    }
}

impl AwsSecretStore {
    /// Builds the client. No call is made: credentials are resolved, and the endpoint reached, on
    /// first use (see [`SecretStore::health`]).
    pub async fn connect(prefix: &str, region: &str, endpoint_url: Option<&str>) -> Result<AwsSecretStore> {
        if !prefix.chars().all(|c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c)) {
            return Err(Error::SecretConfig(format!(
                "AWS secret prefix '{prefix}' may contain only letters, digits and /_+=.@-"
            )));
        }
        if region.trim().is_empty() {
            return Err(Error::SecretConfig("the AWS region of the secret store is empty".to_owned()));
        }
        if let Some(url) = endpoint_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(Error::SecretConfig(format!(
                    "AWS endpoint URL '{url}' must start with http:// or https://"
                )));
            }
        }
        let https =
            aws_smithy_http_client::Builder::new().tls_provider(tls::Provider::Rustls(CryptoMode::Ring)).build_https();
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .operation_attempt_timeout(ATTEMPT_TIMEOUT)
            .operation_timeout(OPERATION_TIMEOUT)
            .build();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .http_client(https)
            .timeout_config(timeouts)
            .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS));
        if let Some(url) = endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let config = loader.load().await;
        Ok(AwsSecretStore {
            client: Client::new(&config),
            prefix: prefix.to_owned(),
            region: region.to_owned(),
            endpoint_url: endpoint_url.map(str::to_owned),
        })
    }

    /// The AWS secret id of a logical name: the prefix followed by the name.
    pub fn secret_id(&self, name: &SecretName) -> String {
        format!("{}{}", self.prefix, name)
    }

    /// An SDK failure as [`Error::SecretBackend`]: the AWS error code and message for a service
    /// error, the failure kind and its causes for a client-side one (unreachable, timed out…).
    fn error<E>(&self, operation: &'static str, secret_id: &str, err: SdkError<E>) -> Error
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let (code, message) = match &err {
            SdkError::ServiceError(service) => {
                let e = service.err();
                (e.code().unwrap_or("UnknownServiceError").to_owned(), e.message().unwrap_or("no message").to_owned())
            }
            SdkError::TimeoutError(_) => ("TimeoutError".to_owned(), format!("no answer from {}", self.endpoint())),
            SdkError::DispatchFailure(_) => {
                ("DispatchFailure".to_owned(), format!("cannot reach {}: {}", self.endpoint(), causes(&err)))
            }
            SdkError::ResponseError(_) => ("ResponseError".to_owned(), causes(&err)),
            _ => ("ClientError".to_owned(), causes(&err)),
        };
        Error::SecretBackend { operation, secret_id: secret_id.to_owned(), code, message }
    }

    fn endpoint(&self) -> String {
        match &self.endpoint_url {
            Some(url) => url.clone(),
            None => format!("AWS Secrets Manager in {}", self.region),
        }
    }
}

/// An error and its sources, joined with ": " (without the SDK's `Debug` dump of the raw response).
fn causes(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let next = cause.to_string();
        if !text.ends_with(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = cause.source();
    }
    text
}

#[async_trait::async_trait]
impl SecretStore for AwsSecretStore {
    async fn put(&self, name: &SecretName, value: &SecretString) -> Result<()> {
        let id = self.secret_id(name);
        let put = || self.client.put_secret_value().secret_id(&id).secret_string(value.expose_secret()).send();
        let err = match put().await {
            Ok(_) => return Ok(()),
            Err(err) => err,
        };
        if !err.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()) {
            return Err(self.error("PutSecretValue", &id, err));
        }
        match self.client.create_secret().name(&id).secret_string(value.expose_secret()).send().await {
            Ok(_) => {
                tracing::info!(secret_id = %id, "created AWS secret");
                Ok(())
            }
            // Created concurrently by another replica: store ours as the current version.
            Err(e) if e.as_service_error().is_some_and(|e| e.is_resource_exists_exception()) => {
                put().await.map(|_| ()).map_err(|e| self.error("PutSecretValue", &id, e))
            }
            Err(e) => Err(self.error("CreateSecret", &id, e)),
        }
    }

    async fn get(&self, name: &SecretName) -> Result<Option<SecretString>> {
        let id = self.secret_id(name);
        match self.client.get_secret_value().secret_id(&id).send().await {
            Ok(output) => match output.secret_string {
                Some(value) => Ok(Some(SecretString::from(value))),
                None => Err(Error::SecretBackend {
                    operation: "GetSecretValue",
                    secret_id: id,
                    code: "NotAString".to_owned(),
                    message: "the secret holds binary data; StackFlow stores strings".to_owned(),
                }),
            },
            Err(e) if e.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()) => Ok(None),
            Err(e) => Err(self.error("GetSecretValue", &id, e)),
        }
    }

    async fn delete(&self, name: &SecretName) -> Result<()> {
        let id = self.secret_id(name);
        match self.client.delete_secret().secret_id(&id).force_delete_without_recovery(true).send().await {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()) => Ok(()),
            Err(e) => Err(self.error("DeleteSecret", &id, e)),
        }
    }

    async fn health(&self) -> Result<()> {
        match self.client.list_secrets().max_results(1).send().await {
            Ok(_) => Ok(()),
            Err(e) => Err(self.error("ListSecrets", &format!("{}*", self.prefix), e)),
        }
    }

    fn describe(&self) -> String {
        let endpoint = self.endpoint_url.as_deref().map(|u| format!(", endpoint {u}")).unwrap_or_default();
        format!("aws: Secrets Manager in {}, secret ids '{}<name>'{endpoint}", self.region, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn check(prefix: &str, region: &str, endpoint_url: Option<&str>, expected: std::result::Result<&str, &str>) {
        match (AwsSecretStore::connect(prefix, region, endpoint_url).await, expected) {
            (Ok(secrets), Ok(id)) => assert_eq!(secrets.secret_id(&SecretName::OKTA_API_TOKEN), id),
            (Err(err), Err(reason)) => assert!(err.to_string().contains(reason), "{err}"),
            (got, want) => panic!("{prefix:?} {region:?} {endpoint_url:?}: got {got:?}, want {want:?}"),
        }
    }

    #[tokio::test]
    async fn configuration_is_validated_before_any_call() {
        check("stackflow/prod/", "eu-west-1", None, Ok("stackflow/prod/okta/api-token")).await;
        check("", "us-east-1", Some("http://127.0.0.1:1"), Ok("okta/api-token")).await;
        check("sf_prod+1=a.b@c-", "eu-west-1", None, Ok("sf_prod+1=a.b@c-okta/api-token")).await;
        check("stack flow/", "eu-west-1", None, Err("may contain only")).await;
        check("stackflow/", " ", None, Err("region")).await;
        check("stackflow/", "eu-west-1", Some("127.0.0.1:4566"), Err("must start with http")).await;
    }

    #[tokio::test]
    async fn describe_and_debug_name_the_location() {
        let secrets =
            AwsSecretStore::connect("stackflow/prod/", "eu-west-1", Some("http://127.0.0.1:1")).await.unwrap();
        assert_eq!(
            secrets.describe(),
            "aws: Secrets Manager in eu-west-1, secret ids 'stackflow/prod/<name>', endpoint http://127.0.0.1:1"
        );
        assert!(format!("{secrets:?}").contains("stackflow/prod/"));
    }
}
