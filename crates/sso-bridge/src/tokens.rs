//! Cognito tokens for a user Okta signed in, by the `admin_password` strategy: a fresh random
//! password per sign-in (AdminSetUserPassword, permanent), used at once with AdminInitiateAuth
//! `ADMIN_USER_PASSWORD_AUTH`. It works on emulators and on pools without Lambda triggers; the app
//! client must allow `ALLOW_ADMIN_USER_PASSWORD_AUTH` and have no client secret. The password is
//! never stored, logged or returned, and sign-ins of one user are serialized so that one sign-in's
//! password is not replaced by another's between the two calls. [`CognitoIssuer`] is the configured
//! choice between it and [`crate::custom_auth`], the strategy for production pools.

use crate::cognito::CognitoClient;
use crate::custom_auth::CustomAuthIssuer;
use crate::{Error, Result};
use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata;
use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, AuthenticationResultType, ChallengeNameType};
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

/// Tokens Cognito issued.
pub struct CognitoTokens {
    /// The access token.
    pub access_token: SecretString,
    /// The ID token (carries `custom:stackflow_role` and `cognito:groups`).
    pub id_token: SecretString,
    /// The refresh token, when Cognito sent one.
    pub refresh_token: Option<SecretString>,
    /// Lifetime of the access token, in seconds.
    pub expires_in: i64,
}

impl std::fmt::Debug for CognitoTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CognitoTokens").field("expires_in", &self.expires_in).finish_non_exhaustive()
    }
}

/// A password Cognito's default policy accepts: upper, lower, digit and symbol, 44 characters.
fn fresh_password() -> SecretString {
    let mut rng = rand::rng();
    let body: String = (0..40).map(|_| rng.sample(rand::distr::Alphanumeric) as char).collect();
    SecretString::from(format!("Aa1!{body}"))
}

fn failed<E: ProvideErrorMetadata>(operation: &'static str, e: &E) -> Error {
    Error::Cognito {
        operation,
        code: e.code().unwrap_or("Unknown").to_owned(),
        message: e.message().unwrap_or("no message").to_owned(),
        retryable: false,
    }
}

/// Issues Cognito tokens through one app client of the mirror's pool.
pub struct TokenIssuer {
    client: CognitoClient,
    app_client_id: String,
    locks: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
}

impl std::fmt::Debug for TokenIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenIssuer").field("app_client_id", &self.app_client_id).finish_non_exhaustive()
    }
}

impl TokenIssuer {
    /// An issuer over `client`'s pool through the app client `app_client_id`.
    pub fn new(client: CognitoClient, app_client_id: impl Into<String>) -> TokenIssuer {
        TokenIssuer { client, app_client_id: app_client_id.into(), locks: Mutex::new(HashMap::new()) }
    }

    fn lock_of(&self, username: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = match self.locks.lock() {
            Ok(l) => l,
            Err(poisoned) => poisoned.into_inner(),
        };
        locks.retain(|_, w| w.strong_count() > 0);
        if let Some(lock) = locks.get(username).and_then(Weak::upgrade) {
            return lock;
        }
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        locks.insert(username.to_owned(), Arc::downgrade(&lock));
        lock
    }

    /// Tokens for the Cognito user `username` (the StackFlow user id).
    pub async fn issue(&self, username: &str) -> Result<CognitoTokens> {
        let lock = self.lock_of(username);
        let _serialized = lock.lock().await;
        let sdk = self.client.sdk();
        let pool = &self.client.config().user_pool_id;
        let password = fresh_password();
        sdk.admin_set_user_password()
            .user_pool_id(pool)
            .username(username)
            .password(password.expose_secret())
            .permanent(true)
            .send()
            .await
            .map_err(|e| failed("AdminSetUserPassword", &e))?;
        let out = sdk
            .admin_initiate_auth()
            .user_pool_id(pool)
            .client_id(&self.app_client_id)
            .auth_flow(AuthFlowType::AdminUserPasswordAuth)
            .auth_parameters("USERNAME", username)
            .auth_parameters("PASSWORD", password.expose_secret())
            .send()
            .await
            .map_err(|e| failed("AdminInitiateAuth", &e))?;
        drop(password);
        tokens_from("AdminInitiateAuth", out.authentication_result(), out.challenge_name())
    }
}

/// What a global sign-out found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignOut {
    /// Cognito revoked every token of the access token's user.
    Done,
    /// Cognito refused the access token (expired, revoked, or not from this pool): nothing to revoke
    /// with it.
    TokenInvalid,
}

/// Global sign-out of the user whose Cognito access token this is: `GetUser` with the token (Cognito
/// checks it and names its user, so nobody can sign out someone else), then
/// `AdminUserGlobalSignOut`, which revokes every refresh token of that user (and, on pools with
/// token revocation, the access and ID tokens issued with them). Not the token-only `GlobalSignOut`:
/// that call is unsigned, and the emulator (moto) then looks the token up in the wrong region.
pub async fn global_sign_out(client: &CognitoClient, access_token: &SecretString) -> Result<SignOut> {
    let user = match client.sdk().get_user().access_token(access_token.expose_secret()).send().await {
        Ok(user) => user,
        Err(e) if e.as_service_error().is_some_and(|s| s.is_not_authorized_exception()) => {
            return Ok(SignOut::TokenInvalid)
        }
        Err(e) => return Err(crate::cognito::sdk_error("GetUser", e)),
    };
    client
        .sdk()
        .admin_user_global_sign_out()
        .user_pool_id(&client.config().user_pool_id)
        .username(user.username())
        .send()
        .await
        .map_err(|e| crate::cognito::sdk_error("AdminUserGlobalSignOut", e))?;
    Ok(SignOut::Done)
}

/// The tokens of an `AuthenticationResult`; an error when Cognito answered with a challenge instead.
pub(crate) fn tokens_from(
    operation: &'static str,
    result: Option<&AuthenticationResultType>,
    challenge: Option<&ChallengeNameType>,
) -> Result<CognitoTokens> {
    let result = result.ok_or_else(|| Error::Cognito {
        operation,
        code: "ChallengeRequired".into(),
        message: format!("Cognito answered with a challenge ({challenge:?}) instead of tokens"),
        retryable: false,
    })?;
    let missing = |what: &str| Error::Cognito {
        operation,
        code: "IncompleteResult".into(),
        message: format!("no {what} in the result"),
        retryable: false,
    };
    Ok(CognitoTokens {
        access_token: SecretString::from(result.access_token().ok_or_else(|| missing("access token"))?.to_owned()),
        id_token: SecretString::from(result.id_token().ok_or_else(|| missing("ID token"))?.to_owned()),
        refresh_token: result.refresh_token().map(|t| SecretString::from(t.to_owned())),
        expires_in: i64::from(result.expires_in()),
    })
}

/// The strategy configured to obtain Cognito tokens (`sso.cognito_strategy`).
#[derive(Debug)]
pub enum CognitoIssuer {
    /// `admin_password`: [`TokenIssuer`] (emulators, pools without Lambda triggers).
    AdminPassword(TokenIssuer),
    /// `custom_auth`: [`CustomAuthIssuer`] (production pools with the auth-challenge triggers).
    CustomAuth(CustomAuthIssuer),
}

impl CognitoIssuer {
    /// Tokens for the Cognito user `username` (the StackFlow user id).
    pub async fn issue(&self, username: &str) -> Result<CognitoTokens> {
        match self {
            CognitoIssuer::AdminPassword(issuer) => issuer.issue(username).await,
            CognitoIssuer::CustomAuth(issuer) => issuer.issue(username).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(password: &str) {
        assert_eq!(password.len(), 44);
        for class in
            [char::is_ascii_uppercase, char::is_ascii_lowercase, char::is_ascii_digit, char::is_ascii_punctuation]
        {
            assert!(password.chars().any(|c| class(&c)), "{class:?}");
        }
    }

    #[test]
    fn passwords_meet_the_default_policy_and_differ() {
        let a = fresh_password();
        let b = fresh_password();
        check(a.expose_secret());
        check(b.expose_secret());
        assert_ne!(a.expose_secret(), b.expose_secret());
    }
}
