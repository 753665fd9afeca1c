//! What the SSO bridge asks of StackFlow's data: which provisioned account an Okta sign-in belongs
//! to, the OIDC client secret kept in the secret store, and the audit record of a sign-in.

use crate::{Provider, Result, UserAccount};
use scim_core::{Filter, ListQuery, SortOrder};
use secrecy::SecretString;
use serde_json::json;
use store::audit::{self, AuditEvent};
use store::secrets::SecretName;

/// The audit actor of sign-ins through the SSO bridge.
pub const SSO_ACTOR: &str = "okta-sso";

/// The audit action of a successful sign-in.
pub const SSO_LOGIN: &str = "sso.login";

/// The audit action of a sign-in to the Integration Hub page.
pub const ADMIN_SIGNED_IN: &str = "admin.signed_in";

/// How a sign-in reached the bridge, for the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SsoFlow {
    /// The browser's authorization-code flow (`/auth/okta/callback`).
    Callback,
    /// The RFC 8693 token exchange (`/auth/okta/token`).
    TokenExchange,
}

impl SsoFlow {
    fn as_str(self) -> &'static str {
        match self {
            SsoFlow::Callback => "callback",
            SsoFlow::TokenExchange => "token_exchange",
        }
    }
}

/// The identity claims of a verified Okta ID token used to find the StackFlow account.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OktaIdentity {
    /// `sub`: the Okta user id, which Okta's SCIM client sends as `externalId`.
    pub subject: String,
    /// `preferred_username` (the Okta login, usually the SCIM `userName`).
    pub preferred_username: Option<String>,
    /// `email`.
    pub email: Option<String>,
}

impl Provider {
    /// The account SCIM provisioned for `identity`: by `externalId` = `sub`, else by `userName` =
    /// `preferred_username`, else by `userName` = `email`. `None`: never provisioned.
    pub async fn sso_account(&self, identity: &OktaIdentity) -> Result<Option<UserAccount>> {
        let conn = self.store.conn();
        if !identity.subject.is_empty() {
            let quoted = serde_json::to_string(&identity.subject).unwrap_or_default();
            let filter: Filter = format!("externalId eq {quoted}").parse()?;
            let query = ListQuery {
                filter: Some(filter),
                start_index: 1,
                count: 2,
                sort_by: None,
                sort_order: SortOrder::default(),
                attributes: Vec::new(),
                excluded_attributes: Vec::new(),
            };
            let page = store::users::list(conn, &query, &self.options.base_url).await?;
            // Okta ids are unique per org; two accounts with one externalId are ambiguous: no match.
            if let [only] = page.items.as_slice() {
                return self.account(only.user.user_name.as_str()).await;
            }
        }
        for name in [&identity.preferred_username, &identity.email].into_iter().flatten() {
            if let Some(account) = self.account(name).await? {
                return Ok(Some(account));
            }
        }
        Ok(None)
    }

    /// Audits a successful sign-in of `account` (tokens issued): the role its tokens claim
    /// (`custom:stackflow_role` and `cognito:groups`), never the tokens themselves.
    pub async fn record_sso_login(&self, account: &UserAccount, flow: SsoFlow) -> Result<()> {
        let groups: Vec<String> = account.role.iter().map(|r| r.to_string()).collect();
        let detail = json!({
            "userName": account.user_name,
            "flow": flow.as_str(),
            "role": account.role,
            "claims": { "custom:stackflow_role": account.role, "cognito:groups": groups },
        });
        let event = AuditEvent::new(store::time::now(), SSO_ACTOR, SSO_LOGIN, "User", Some(&account.id), detail);
        audit::append(self.store.conn(), &event).await?;
        Ok(())
    }

    /// Audits a sign-in to the Integration Hub page by `method` (`okta`, `bootstrap_token`): who
    /// signed in (`account`, `None` for the bootstrap token), never a token.
    pub async fn record_admin_sign_in(&self, actor: &str, account: Option<&UserAccount>, method: &str) -> Result<()> {
        let detail = json!({
            "userName": account.map(|a| a.user_name.as_str()),
            "method": method,
            "role": account.and_then(|a| a.role),
        });
        let target = account.map(|a| a.id.as_str());
        let event = AuditEvent::new(store::time::now(), actor, ADMIN_SIGNED_IN, "User", target, detail);
        audit::append(self.store.conn(), &event).await?;
        Ok(())
    }

    /// The OIDC client secret saved in the Integration Hub (`None`: not set).
    pub async fn oidc_client_secret(&self) -> Result<Option<SecretString>> {
        let Some(secrets) = self.secrets.as_deref() else { return Ok(None) };
        Ok(secrets.get(&SecretName::OKTA_OIDC_CLIENT_SECRET).await?)
    }
}
