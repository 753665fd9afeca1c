//! What the SSO bridge asks of StackFlow's data: which provisioned account an Okta sign-in belongs
//! to, and the OIDC client secret kept in the secret store.

use crate::{Provider, Result, UserAccount};
use scim_core::{Filter, ListQuery, SortOrder};
use secrecy::SecretString;
use store::secrets::SecretName;

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

    /// The OIDC client secret saved in the Integration Hub (`None`: not set).
    pub async fn oidc_client_secret(&self) -> Result<Option<SecretString>> {
        let Some(secrets) = self.secrets.as_deref() else { return Ok(None) };
        Ok(secrets.get(&SecretName::OKTA_OIDC_CLIENT_SECRET).await?)
    }
}
