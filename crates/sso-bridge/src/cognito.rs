//! The Cognito side of the mirror: one Cognito user per StackFlow user, named by the StackFlow user
//! id (stable and immutable, unlike the e-mail), created without invitation, carrying `email`
//! (+ `email_verified`), `given_name`, `family_name`, `custom:stackflow_role` and `custom:okta_id`,
//! and a member of exactly one Cognito group: the one named after its StackFlow role.
//!
//! [`plan`] compares a [`DesiredUser`] with what the pool holds and lists the [`Change`]s (pure, so
//! a dry run prints exactly what [`CognitoClient::apply`] would do). Every operation converges: a
//! create that finds the user updates it instead, a delete of a missing user is done.

use crate::{Error, Result};
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::types::{AttributeType, MessageActionType};
use aws_sdk_cognitoidentityprovider::Client;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// The attributes the mirror owns; others in the pool (e.g. `sub`) are left alone.
pub const MANAGED_ATTRIBUTES: [&str; 6] =
    ["email", "email_verified", "given_name", "family_name", "custom:stackflow_role", "custom:okta_id"];

/// How long to wait for a TCP/TLS connection to the endpoint.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long one attempt of a call may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts per call; the outbox worker does its own backoff on top.
const MAX_ATTEMPTS: u32 = 2;

/// Where the user pool is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CognitoConfig {
    /// The user pool id, e.g. `eu-west-1_AbCdEf123`.
    pub user_pool_id: String,
    /// The AWS region of the pool.
    pub region: String,
    /// Another endpoint (VPC endpoint, local emulator); `None` = the region's public endpoint.
    pub endpoint_url: Option<String>,
}

/// The Cognito account a StackFlow user should have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredUser {
    /// The Cognito username: the StackFlow user id.
    pub username: String,
    /// Managed attributes with a value (absent ones are removed from the pool).
    pub attributes: BTreeMap<String, String>,
    /// The group of the effective role (`None`: no role, no group).
    pub group: Option<String>,
    /// Whether the account can be used.
    pub enabled: bool,
}

/// A Cognito user as the pool holds it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PoolUser {
    /// The managed attributes it has.
    pub attributes: BTreeMap<String, String>,
    /// Its groups.
    pub groups: BTreeSet<String>,
    /// Whether it is enabled.
    pub enabled: bool,
}

/// One step that brings the pool to the desired state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// AdminCreateUser (MessageAction SUPPRESS) with these attributes.
    Create(BTreeMap<String, String>),
    /// AdminUpdateUserAttributes with these values.
    UpdateAttributes(BTreeMap<String, String>),
    /// AdminDeleteUserAttributes of these names.
    DeleteAttributes(Vec<String>),
    /// AdminAddUserToGroup (the group is created when missing).
    AddToGroup(String),
    /// AdminRemoveUserFromGroup.
    RemoveFromGroup(String),
    /// AdminDisableUser and AdminUserGlobalSignOut.
    Disable,
    /// AdminEnableUser.
    Enable,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = |m: &BTreeMap<String, String>| m.keys().cloned().collect::<Vec<_>>().join(", ");
        match self {
            Change::Create(attrs) => write!(f, "create ({})", names(attrs)),
            Change::UpdateAttributes(attrs) => write!(f, "update {}", names(attrs)),
            Change::DeleteAttributes(list) => write!(f, "remove {}", list.join(", ")),
            Change::AddToGroup(g) => write!(f, "add to group {g}"),
            Change::RemoveFromGroup(g) => write!(f, "remove from group {g}"),
            Change::Disable => f.write_str("disable and sign out"),
            Change::Enable => f.write_str("enable"),
        }
    }
}

/// The changes that turn `current` (`None`: no such user in the pool) into `desired`, in the order
/// they are applied.
pub fn plan(desired: &DesiredUser, current: Option<&PoolUser>) -> Vec<Change> {
    let empty = PoolUser { enabled: true, ..PoolUser::default() };
    let mut changes = Vec::new();
    let current = match current {
        Some(c) => c,
        None => {
            changes.push(Change::Create(desired.attributes.clone()));
            &PoolUser { attributes: desired.attributes.clone(), ..empty }
        }
    };
    let updates: BTreeMap<String, String> = desired
        .attributes
        .iter()
        .filter(|(k, v)| current.attributes.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !updates.is_empty() {
        changes.push(Change::UpdateAttributes(updates));
    }
    let removed: Vec<String> = current
        .attributes
        .keys()
        .filter(|k| MANAGED_ATTRIBUTES.contains(&k.as_str()) && !desired.attributes.contains_key(*k))
        .cloned()
        .collect();
    if !removed.is_empty() {
        changes.push(Change::DeleteAttributes(removed));
    }
    for group in &current.groups {
        if desired.group.as_ref() != Some(group) {
            changes.push(Change::RemoveFromGroup(group.clone()));
        }
    }
    if let Some(group) = &desired.group {
        if !current.groups.contains(group) {
            changes.push(Change::AddToGroup(group.clone()));
        }
    }
    match (current.enabled, desired.enabled) {
        (true, false) => changes.push(Change::Disable),
        (false, true) => changes.push(Change::Enable),
        _ => {}
    }
    changes
}

/// A token bucket: at most `rate` calls per second on average, bursts of up to `rate` (at least 1).
#[derive(Debug)]
pub struct RateLimiter {
    rate: f64,
    burst: f64,
    state: Mutex<(f64, Instant)>,
}

impl RateLimiter {
    /// A bucket refilled with `rate` tokens per second (a non-positive rate is treated as 1/s).
    pub fn new(rate: f64) -> RateLimiter {
        let rate = if rate.is_finite() && rate > 0.0 { rate } else { 1.0 };
        let burst = rate.max(1.0);
        RateLimiter { rate, burst, state: Mutex::new((burst, Instant::now())) }
    }

    /// Waits for a token.
    pub async fn acquire(&self) {
        loop {
            let wait = {
                let mut state = self.state.lock().await;
                let (tokens, at) = *state;
                let now = Instant::now();
                let tokens = (tokens + now.duration_since(at).as_secs_f64() * self.rate).min(self.burst);
                if tokens >= 1.0 {
                    *state = (tokens - 1.0, now);
                    return;
                }
                *state = (tokens, now);
                Duration::from_secs_f64((1.0 - tokens) / self.rate)
            };
            tokio::time::sleep(wait).await;
        }
    }
}

/// A Cognito Identity Provider client bound to one user pool, optionally rate-limited.
#[derive(Clone)]
pub struct CognitoClient {
    client: Client,
    config: CognitoConfig,
    limiter: Option<Arc<RateLimiter>>,
}

impl fmt::Debug for CognitoClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CognitoClient").field("config", &self.config).finish_non_exhaustive()
    }
}

fn attribute(name: &str, value: &str) -> Result<AttributeType> {
    AttributeType::builder().name(name).value(value).build().map_err(|e| Error::Cognito {
        operation: "build attribute",
        code: "BuildError".into(),
        message: e.to_string(),
        retryable: false,
    })
}

fn attributes(map: &BTreeMap<String, String>) -> Result<Vec<AttributeType>> {
    map.iter().map(|(k, v)| attribute(k, v)).collect()
}

fn causes(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// An SDK failure as [`Error::Cognito`], retryable for throttling, 5xx and connection failures.
pub(crate) fn sdk_error<E, R>(operation: &'static str, err: SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: fmt::Debug,
{
    let (code, message, retryable) = match &err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let code = e.code().unwrap_or("UnknownServiceError").to_owned();
            let throttled = matches!(
                code.as_str(),
                "TooManyRequestsException"
                    | "LimitExceededException"
                    | "ThrottlingException"
                    | "InternalErrorException"
            );
            (code, e.message().unwrap_or("no message").to_owned(), throttled)
        }
        SdkError::TimeoutError(_) => ("TimeoutError".to_owned(), "no answer in time".to_owned(), true),
        SdkError::DispatchFailure(_) => ("DispatchFailure".to_owned(), causes(&err), true),
        SdkError::ResponseError(_) => ("ResponseError".to_owned(), causes(&err), true),
        _ => ("ClientError".to_owned(), causes(&err), false),
    };
    Error::Cognito { operation, code, message, retryable }
}

impl CognitoClient {
    /// Builds the client; no call is made until first use.
    pub async fn connect(config: &CognitoConfig) -> Result<CognitoClient> {
        let invalid = |reason: String| Error::InvalidCognitoConfig(reason);
        if config.user_pool_id.trim().is_empty() {
            return Err(invalid("cognito.user_pool_id is empty".into()));
        }
        if config.region.trim().is_empty() {
            return Err(invalid("cognito.region is empty".into()));
        }
        if let Some(url) = &config.endpoint_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(invalid(format!("cognito.endpoint_url '{url}' must start with http:// or https://")));
            }
        }
        let https =
            aws_smithy_http_client::Builder::new().tls_provider(tls::Provider::Rustls(CryptoMode::Ring)).build_https();
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .operation_attempt_timeout(ATTEMPT_TIMEOUT)
            .build();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(config.region.clone()))
            .http_client(https)
            .timeout_config(timeouts)
            .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS));
        if let Some(url) = &config.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let sdk = loader.load().await;
        Ok(CognitoClient { client: Client::new(&sdk), config: config.clone(), limiter: None })
    }

    /// Limits this client (and its clones) to `requests_per_second` Cognito calls.
    pub fn with_rate_limit(mut self, requests_per_second: f64) -> CognitoClient {
        self.limiter = Some(Arc::new(RateLimiter::new(requests_per_second)));
        self
    }

    async fn throttle(&self) {
        if let Some(limiter) = &self.limiter {
            limiter.acquire().await;
        }
    }

    /// The SDK client (for tests and tools that create pools).
    pub fn sdk(&self) -> &Client {
        &self.client
    }

    /// The pool this client writes.
    pub fn config(&self) -> &CognitoConfig {
        &self.config
    }

    /// The pool's name, read with DescribeUserPool: a cheap call proving that the endpoint answers,
    /// that the credentials may read the pool and that it exists. One attempt (no retries), at most
    /// `timeout`; not rate-limited (an administrator's check, not mirror traffic).
    pub async fn describe_pool(&self, timeout: Duration) -> Result<String> {
        let overrides = aws_sdk_cognitoidentityprovider::config::Builder::default()
            .retry_config(RetryConfig::disabled())
            .timeout_config(TimeoutConfig::builder().connect_timeout(timeout).operation_timeout(timeout).build());
        let call = self
            .client
            .describe_user_pool()
            .user_pool_id(&self.config.user_pool_id)
            .customize()
            .config_override(overrides)
            .send();
        let out = match tokio::time::timeout(timeout, call).await {
            Ok(result) => result.map_err(|e| sdk_error("DescribeUserPool", e))?,
            Err(_) => {
                return Err(Error::Cognito {
                    operation: "DescribeUserPool",
                    code: "TimeoutError".into(),
                    message: format!("no answer within {} ms", timeout.as_millis()),
                    retryable: true,
                })
            }
        };
        Ok(out.user_pool().and_then(|p| p.name()).unwrap_or_default().to_owned())
    }

    /// The user `username` as the pool holds it, or `None`.
    pub async fn get(&self, username: &str) -> Result<Option<PoolUser>> {
        let pool = &self.config.user_pool_id;
        self.throttle().await;
        let out = match self.client.admin_get_user().user_pool_id(pool).username(username).send().await {
            Ok(out) => out,
            Err(e) if e.code() == Some("UserNotFoundException") => return Ok(None),
            Err(e) => return Err(sdk_error("AdminGetUser", e)),
        };
        let attributes = out
            .user_attributes()
            .iter()
            .filter(|a| MANAGED_ATTRIBUTES.contains(&a.name()))
            .filter_map(|a| a.value().map(|v| (a.name().to_owned(), v.to_owned())))
            .collect();
        let mut groups = BTreeSet::new();
        let mut next: Option<String> = None;
        loop {
            self.throttle().await;
            let out = self
                .client
                .admin_list_groups_for_user()
                .user_pool_id(pool)
                .username(username)
                .set_next_token(next.take())
                .send()
                .await
                .map_err(|e| sdk_error("AdminListGroupsForUser", e))?;
            groups.extend(out.groups().iter().filter_map(|g| g.group_name().map(str::to_owned)));
            match out.next_token() {
                Some(token) if !token.is_empty() => next = Some(token.to_owned()),
                _ => break,
            }
        }
        Ok(Some(PoolUser { attributes, groups, enabled: out.enabled() }))
    }

    /// Brings `desired.username` to `desired` and returns the changes made (none when in sync).
    pub async fn apply(&self, desired: &DesiredUser) -> Result<Vec<Change>> {
        let current = self.get(&desired.username).await?;
        let changes = plan(desired, current.as_ref());
        for change in &changes {
            self.execute(&desired.username, change).await?;
        }
        Ok(changes)
    }

    async fn execute(&self, username: &str, change: &Change) -> Result<()> {
        let pool = &self.config.user_pool_id;
        let c = &self.client;
        self.throttle().await;
        match change {
            Change::Create(attrs) => {
                let result = c
                    .admin_create_user()
                    .user_pool_id(pool)
                    .username(username)
                    .set_user_attributes(Some(attributes(attrs)?))
                    .message_action(MessageActionType::Suppress)
                    .send()
                    .await;
                match result {
                    Ok(_) => Ok(()),
                    // Created by an earlier attempt whose answer was lost: update instead.
                    Err(e) if e.code() == Some("UsernameExistsException") => {
                        self.throttle().await;
                        c.admin_update_user_attributes()
                            .user_pool_id(pool)
                            .username(username)
                            .set_user_attributes(Some(attributes(attrs)?))
                            .send()
                            .await
                            .map(drop)
                            .map_err(|e| sdk_error("AdminUpdateUserAttributes", e))
                    }
                    Err(e) => Err(sdk_error("AdminCreateUser", e)),
                }
            }
            Change::UpdateAttributes(attrs) => c
                .admin_update_user_attributes()
                .user_pool_id(pool)
                .username(username)
                .set_user_attributes(Some(attributes(attrs)?))
                .send()
                .await
                .map(drop)
                .map_err(|e| sdk_error("AdminUpdateUserAttributes", e)),
            Change::DeleteAttributes(names) => c
                .admin_delete_user_attributes()
                .user_pool_id(pool)
                .username(username)
                .set_user_attribute_names(Some(names.clone()))
                .send()
                .await
                .map(drop)
                .map_err(|e| sdk_error("AdminDeleteUserAttributes", e)),
            Change::AddToGroup(group) => {
                let add = || c.admin_add_user_to_group().user_pool_id(pool).username(username).group_name(group).send();
                match add().await {
                    Ok(_) => Ok(()),
                    Err(e) if e.code() == Some("ResourceNotFoundException") => {
                        self.ensure_group(group).await?;
                        self.throttle().await;
                        add().await.map(drop).map_err(|e| sdk_error("AdminAddUserToGroup", e))
                    }
                    Err(e) => Err(sdk_error("AdminAddUserToGroup", e)),
                }
            }
            Change::RemoveFromGroup(group) => c
                .admin_remove_user_from_group()
                .user_pool_id(pool)
                .username(username)
                .group_name(group)
                .send()
                .await
                .map(drop)
                .map_err(|e| sdk_error("AdminRemoveUserFromGroup", e)),
            Change::Disable => {
                c.admin_disable_user()
                    .user_pool_id(pool)
                    .username(username)
                    .send()
                    .await
                    .map_err(|e| sdk_error("AdminDisableUser", e))?;
                self.throttle().await;
                c.admin_user_global_sign_out()
                    .user_pool_id(pool)
                    .username(username)
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| sdk_error("AdminUserGlobalSignOut", e))
            }
            Change::Enable => c
                .admin_enable_user()
                .user_pool_id(pool)
                .username(username)
                .send()
                .await
                .map(drop)
                .map_err(|e| sdk_error("AdminEnableUser", e)),
        }
    }

    /// Creates the group `name` unless it exists.
    pub async fn ensure_group(&self, name: &str) -> Result<()> {
        let pool = &self.config.user_pool_id;
        self.throttle().await;
        match self.client.create_group().user_pool_id(pool).group_name(name).send().await {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("GroupExistsException") => Ok(()),
            Err(e) => Err(sdk_error("CreateGroup", e)),
        }
    }

    /// Deletes the user `username`; a user the pool does not have is already deleted. Returns
    /// whether a user was deleted.
    pub async fn delete(&self, username: &str) -> Result<bool> {
        let pool = &self.config.user_pool_id;
        self.throttle().await;
        match self.client.admin_delete_user().user_pool_id(pool).username(username).send().await {
            Ok(_) => Ok(true),
            Err(e) if e.code() == Some("UserNotFoundException") => Ok(false),
            Err(e) => Err(sdk_error("AdminDeleteUser", e)),
        }
    }

    /// Every username in the pool.
    pub async fn list_usernames(&self) -> Result<Vec<String>> {
        let mut names = Vec::new();
        let mut next: Option<String> = None;
        loop {
            self.throttle().await;
            let out = self
                .client
                .list_users()
                .user_pool_id(&self.config.user_pool_id)
                .set_pagination_token(next.take())
                .send()
                .await
                .map_err(|e| sdk_error("ListUsers", e))?;
            names.extend(out.users().iter().filter_map(|u| u.username().map(str::to_owned)));
            match out.pagination_token() {
                Some(token) if !token.is_empty() => next = Some(token.to_owned()),
                _ => break,
            }
        }
        Ok(names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn desired(attrs: &[(&str, &str)], group: Option<&str>, enabled: bool) -> DesiredUser {
        DesiredUser { username: "u1".into(), attributes: map(attrs), group: group.map(Into::into), enabled }
    }

    fn pool(attrs: &[(&str, &str)], groups: &[&str], enabled: bool) -> PoolUser {
        PoolUser { attributes: map(attrs), groups: groups.iter().map(|g| (*g).to_owned()).collect(), enabled }
    }

    fn check(desired: DesiredUser, current: Option<PoolUser>, expected: &[&str]) {
        let got: Vec<String> = plan(&desired, current.as_ref()).iter().map(ToString::to_string).collect();
        assert_eq!(got, expected, "{desired:?} vs {current:?}");
    }

    #[test]
    fn plans_the_changes() {
        let a = [("email", "a@x.com"), ("custom:stackflow_role", "viewer")];
        check(
            desired(&a, Some("viewer"), true),
            None,
            &["create (custom:stackflow_role, email)", "add to group viewer"],
        );
        check(desired(&a, None, false), None, &["create (custom:stackflow_role, email)", "disable and sign out"]);
        check(desired(&a, Some("viewer"), true), Some(pool(&a, &["viewer"], true)), &[]);
        check(
            desired(&[("email", "b@x.com")], Some("itsm_agent"), true),
            Some(pool(&a, &["viewer", "other"], true)),
            &[
                "update email",
                "remove custom:stackflow_role",
                "remove from group other",
                "remove from group viewer",
                "add to group itsm_agent",
            ],
        );
        check(desired(&a, Some("viewer"), false), Some(pool(&a, &["viewer"], true)), &["disable and sign out"]);
        check(desired(&a, Some("viewer"), true), Some(pool(&a, &["viewer"], false)), &["enable"]);
        // Attributes the mirror does not own (e.g. `sub`) are never removed.
        check(
            desired(&a, Some("viewer"), true),
            Some(pool(&[("sub", "s")], &["viewer"], true)),
            &["update custom:stackflow_role, email"],
        );
    }
}
