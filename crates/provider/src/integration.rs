//! The Okta integration as the Integration Hub shows it: the settings with their secrets (write-only,
//! read back as set / not set), Save & Test (each check ok / warning / failed with a one-line fix:
//! the Okta API, the OIDC app, SCIM, the Cognito user pool, the seed groups), and the doctor, which diagnoses the Okta guide's troubleshooting table from stored facts.

use crate::settings::IntegrationSettings;
use crate::{Error, Provider, Result};
use chrono::{DateTime, Utc};
use rolemap::GroupMatcher;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use sso_bridge::okta::OktaClient;
use sso_bridge::OktaDomain;
use store::secrets::{SecretName, SecretStore};

/// How long Save & Test waits for the Cognito user pool to answer.
const COGNITO_PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Save & Test's and the doctor's word when `[cognito]` is not configured.
const COGNITO_OFF: &str = "Cognito mirror off: [cognito] is not configured — provisioned users do not reach Cognito \
                           and Okta sign-in cannot issue tokens";
/// How to turn the mirror on.
const COGNITO_OFF_FIX: &str = "configure [cognito] user_pool_id and region (or STACKFLOW__COGNITO__USER_POOL_ID and \
                               STACKFLOW__COGNITO__REGION), restart, then run stackflow-admin cognito sync";

/// How long after the last rejected SCIM request the doctor still reports it.
const REJECTION_WINDOW: chrono::Duration = chrono::Duration::hours(24);

/// A change to the Okta settings; `None` keeps the stored value. Secrets are write-only.
#[derive(Debug, Default)]
pub struct OktaSettingsUpdate {
    /// Okta Domain, e.g. `your-org.okta.com` (a pasted `https://…/` URL is normalised).
    pub okta_domain: Option<String>,
    /// API Token (SSWS).
    pub api_token: Option<SecretString>,
    /// OIDC Client ID (SSO only); empty clears it.
    pub oidc_client_id: Option<String>,
    /// OIDC Client Secret (SSO only).
    pub oidc_client_secret: Option<SecretString>,
    /// SCIM Enabled.
    pub scim_enabled: Option<bool>,
    /// Group Sync.
    pub group_sync: Option<bool>,
    /// Deactivate on Offboard.
    pub deactivate_on_offboard: Option<bool>,
}

/// Whether a secret is stored; serialises as `"set"` / `"not set"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SecretState {
    /// A value is stored.
    #[serde(rename = "set")]
    Set,
    /// No value is stored.
    #[serde(rename = "not set")]
    NotSet,
    /// The secret store could not be read (the error is logged; Save & Test reports it).
    #[serde(rename = "unknown (secret store unreachable)")]
    Unknown,
}

/// The Okta settings as shown to an administrator: secrets only as set / not set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OktaSettingsView {
    /// Okta Domain.
    pub okta_domain: Option<String>,
    /// API Token.
    pub api_token: SecretState,
    /// OIDC Client ID.
    pub oidc_client_id: Option<String>,
    /// OIDC Client Secret.
    pub oidc_client_secret: SecretState,
    /// SCIM Enabled.
    pub scim_enabled: bool,
    /// Group Sync as it applies.
    pub group_sync: bool,
    /// Whether Group Sync follows the default (on exactly when SCIM is enabled).
    pub group_sync_default: bool,
    /// Deactivate on Offboard.
    pub deactivate_on_offboard: bool,
    /// Where the secrets are kept.
    pub secret_store: String,
}

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    /// Works.
    Ok,
    /// Works, but something is missing or worth knowing.
    Warning,
    /// Does not work.
    Failed,
}

/// One Save & Test check or doctor finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was checked, e.g. `okta_api`, `oidc`, `scim`, `group:StackFlow-Admins`.
    pub name: String,
    /// Its outcome.
    pub status: CheckStatus,
    /// One line: what was found.
    pub message: String,
    /// One line: how to fix it (absent when ok).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    fn new(name: impl Into<String>, status: CheckStatus, message: impl Into<String>, fix: Option<&str>) -> Check {
        Check { name: name.into(), status, message: message.into(), fix: fix.map(str::to_owned) }
    }
}

/// The result of Save & Test or of the doctor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// No check failed.
    pub ok: bool,
    /// The checks (or findings), in order.
    pub checks: Vec<Check>,
}

impl Report {
    fn new(checks: Vec<Check>) -> Report {
        Report { ok: checks.iter().all(|c| c.status != CheckStatus::Failed), checks }
    }
}

fn nonempty_secret(field: &'static str, value: Option<SecretString>) -> Result<Option<SecretString>> {
    match value {
        Some(v) if v.expose_secret().trim().is_empty() => {
            Err(Error::Field { field, message: "it is empty; paste the value Okta shows".to_owned() })
        }
        Some(v) => Ok(Some(SecretString::from(v.expose_secret().trim().to_owned()))),
        None => Ok(None),
    }
}

/// Applies `update` to `current`, validating every field given.
fn merge(current: &IntegrationSettings, update: &OktaSettingsUpdate) -> Result<IntegrationSettings> {
    let mut next = current.clone();
    if let Some(domain) = &update.okta_domain {
        let parsed =
            OktaDomain::parse(domain).map_err(|e| Error::Field { field: "okta_domain", message: e.to_string() })?;
        next.okta_domain = Some(parsed.as_str().to_owned());
    }
    if let Some(id) = &update.oidc_client_id {
        let id = id.trim();
        if id.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::Field {
                field: "oidc_client_id",
                message: "it contains spaces; paste the Client ID from Okta → Applications → your OIDC app".to_owned(),
            });
        }
        next.oidc_client_id = (!id.is_empty()).then(|| id.to_owned());
    }
    if let Some(v) = update.scim_enabled {
        next.scim_enabled = v;
    }
    if let Some(v) = update.group_sync {
        next.group_sync = Some(v);
    }
    if let Some(v) = update.deactivate_on_offboard {
        next.deactivate_on_offboard = v;
    }
    Ok(next)
}

impl Provider {
    fn secret_store(&self) -> Result<&dyn SecretStore> {
        self.secrets.as_deref().ok_or_else(|| {
            Error::NotConfigured("no secret store is configured: configure [secrets] (backend local or aws)".to_owned())
        })
    }

    async fn secret_state(&self, name: &SecretName) -> Result<SecretState> {
        Ok(match self.secret_store()?.get(name).await {
            Ok(Some(_)) => SecretState::Set,
            Ok(None) => SecretState::NotSet,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the secret store");
                SecretState::Unknown
            }
        })
    }

    /// The Okta settings, secrets as set / not set.
    pub async fn okta_settings(&self) -> Result<OktaSettingsView> {
        let s = crate::settings::load(&self.store).await?;
        Ok(OktaSettingsView {
            api_token: self.secret_state(&SecretName::OKTA_API_TOKEN).await?,
            oidc_client_secret: self.secret_state(&SecretName::OKTA_OIDC_CLIENT_SECRET).await?,
            secret_store: self.secret_store()?.describe(),
            group_sync: s.group_sync_effective(),
            group_sync_default: s.group_sync.is_none(),
            okta_domain: s.okta_domain,
            oidc_client_id: s.oidc_client_id,
            scim_enabled: s.scim_enabled,
            deactivate_on_offboard: s.deactivate_on_offboard,
        })
    }

    /// Saves an Okta settings change, audited (which fields, never secret values). Every field is
    /// validated first; then the secrets are written, then the settings in one transaction — so a
    /// failed secret write leaves the settings unchanged, and a failed settings write after the
    /// secrets is reported as such.
    pub async fn configure_okta(&self, update: OktaSettingsUpdate, actor: &str) -> Result<OktaSettingsView> {
        let current = crate::settings::load(&self.store).await?;
        let next = merge(&current, &update)?;
        let api_token = nonempty_secret("api_token", update.api_token)?;
        let oidc_secret = nonempty_secret("oidc_client_secret", update.oidc_client_secret)?;
        let mut written: Vec<&'static str> = Vec::new();
        if api_token.is_some() || oidc_secret.is_some() {
            let secrets = self.secret_store()?;
            // Not inside a write transaction: the local backend opens its own (SQLite writer lock).
            if let Some(token) = &api_token {
                secrets.put(&SecretName::OKTA_API_TOKEN, token).await?;
                written.push("api_token");
            }
            if let Some(secret) = &oidc_secret {
                secrets.put(&SecretName::OKTA_OIDC_CLIENT_SECRET, secret).await?;
                written.push("oidc_client_secret");
            }
        }
        if let Err(e) =
            crate::settings::save_with_secrets(&self.store, &next, &written, self.options.cognito_outbox, actor).await
        {
            if written.is_empty() {
                return Err(e);
            }
            tracing::error!(error = %e, secrets = ?written, "settings not saved after their secrets were");
            return Err(Error::PartialSave(format!(
                "the secrets ({}) were saved but the other settings were not ({e}); save again",
                written.join(", ")
            )));
        }
        self.settings.invalidate().await;
        self.okta_settings().await
    }

    /// Save & Test: checks the stored settings against Okta, StackFlow and the Cognito user pool (when
    /// a probe is set: [`Provider::with_cognito_probe`]), each check reported as
    /// ok / warning / failed with a one-line fix. Every outbound call has a timeout.
    pub async fn test_okta(&self) -> Result<Report> {
        let s = crate::settings::load(&self.store).await?;
        let secrets = self.secret_store()?;
        let api_token = secrets.get(&SecretName::OKTA_API_TOKEN).await?;
        let oidc_secret = secrets.get(&SecretName::OKTA_OIDC_CLIENT_SECRET).await?;
        let client = match s.okta_domain.as_deref().map(OktaDomain::parse) {
            Some(Ok(domain)) => Some(
                OktaClient::new(&domain, self.options.okta_base_url_override.as_deref(), self.options.okta_timeout)
                    .map_err(|e| Error::NotConfigured(e.to_string()))?,
            ),
            _ => None,
        };
        let (api, oidc, cognito) = tokio::join!(
            api_check(client.as_ref(), api_token.as_ref()),
            oidc_check(client.as_ref(), s.oidc_client_id.as_deref(), oidc_secret.is_some()),
            cognito_check(self.cognito_probe.as_ref(), self.options.cognito_outbox),
        );
        let mut checks = vec![api, oidc, self.scim_check(&s).await?, cognito];
        checks.extend(self.group_checks().await?);
        Ok(Report::new(checks))
    }

    async fn scim_check(&self, s: &IntegrationSettings) -> Result<Check> {
        let token = self.tokens.status().await?;
        Ok(match (s.scim_enabled, token.set) {
            (_, false) => Check::new(
                "scim",
                CheckStatus::Failed,
                "no SCIM token is set",
                Some("generate one (Admin → Integration Hub → Okta → SCIM Token, or stackflow-admin scim-token generate) and paste it into Okta"),
            ),
            (false, true) => Check::new(
                "scim",
                CheckStatus::Warning,
                "SCIM provisioning is disabled",
                Some("enable it: stackflow-admin okta configure --scim-enabled true"),
            ),
            (true, true) => Check::new("scim", CheckStatus::Ok, "SCIM provisioning enabled, token set", None),
        })
    }

    async fn group_checks(&self) -> Result<Vec<Check>> {
        let conn = self.store.conn();
        let map = crate::roles::load_map(conn).await?;
        let mut checks = Vec::new();
        for seed in rolemap::RoleMap::seed_defaults() {
            let GroupMatcher::DisplayName(name) = &seed.matcher else { continue };
            let pushed = store::roles::groups_named(conn, std::slice::from_ref(name)).await?;
            let check_name = format!("group:{name}");
            let check = match pushed.first() {
                None => Check::new(
                    check_name,
                    CheckStatus::Warning,
                    format!("{name} has not been pushed by Okta"),
                    Some(&format!("in Okta → StackFlow app → Push Groups, push {name}")),
                ),
                Some(group) => match map.rule_for(group) {
                    Some(rule) => Check::new(
                        check_name,
                        CheckStatus::Ok,
                        format!("{name} pushed and mapped to {}", rule.role),
                        None,
                    ),
                    None => Check::new(
                        check_name,
                        CheckStatus::Failed,
                        format!("{name} is pushed but maps to no role"),
                        Some(&format!("map it: stackflow-admin mappings set {name} {}", seed.role)),
                    ),
                },
            };
            checks.push(check);
        }
        Ok(checks)
    }

    /// The doctor: the Okta guide's troubleshooting table diagnosed from stored facts (rejected SCIM
    /// tokens, pushed groups without a mapping, users in groups without a role).
    pub async fn doctor(&self) -> Result<Report> {
        let mut findings = Vec::new();
        let s = crate::settings::load(&self.store).await?;
        let token = self.tokens.status().await?;
        let now = Utc::now();
        if !token.set {
            findings.push(Check::new(
                "scim_token_missing",
                CheckStatus::Failed,
                "SCIM user not created: no SCIM token is set, so Okta's requests are refused",
                Some("generate one in Admin → Integration Hub → Okta → SCIM Token and paste it into Okta"),
            ));
        }
        if let (Some(since), Some(last)) = (token.rejected_since, token.last_rejected_at) {
            let recent = now - last < REJECTION_WINDOW;
            let unresolved = token.last_used_at.is_none_or(|used| used < last);
            if token.rejected_count > 0 && recent && unresolved {
                findings.push(Check::new(
                    "scim_token_invalid",
                    CheckStatus::Failed,
                    format!(
                        "SCIM token invalid: regenerate it in Admin → Integration Hub → Okta and paste it into Okta ({} rejected since {})",
                        token.rejected_count,
                        since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                    ),
                    Some("stackflow-admin scim-token generate, then paste it into Okta → Provisioning → Integration"),
                ));
            }
        }
        if !s.scim_enabled {
            findings.push(Check::new(
                "scim_disabled",
                CheckStatus::Warning,
                "SCIM provisioning is disabled: Okta's requests are answered 403",
                Some("stackflow-admin okta configure --scim-enabled true"),
            ));
        }
        if !self.options.cognito_outbox {
            findings.push(Check::new("cognito_mirror_off", CheckStatus::Warning, COGNITO_OFF, Some(COGNITO_OFF_FIX)));
        }
        findings.extend(self.mapping_findings().await?);
        Ok(Report::new(findings))
    }

    /// Recent provisioning activity for the Integration Hub page: audit events, newest first, at most
    /// `limit`, only those older than event `before` when given (the next page).
    pub async fn recent_activity(&self, limit: u64, before: Option<i64>) -> Result<Vec<store::audit::AuditEvent>> {
        Ok(store::audit::recent(self.store.conn(), limit, None, before).await?)
    }

    async fn mapping_findings(&self) -> Result<Vec<Check>> {
        let conn = self.store.conn();
        let unmapped = self.unmapped_groups().await?;
        let roleless = store::roles::roleless_members(conn).await?;
        let mut findings = Vec::new();
        if !unmapped.is_empty() || !roleless.is_empty() {
            let names: Vec<&str> = unmapped.iter().map(|u| u.group.display_name.as_str()).collect();
            let mut message = format!(
                "Group mapping missing: add the Okta group to Push Groups and map it (groups: {})",
                if names.is_empty() { "none unmapped".to_owned() } else { names.join(", ") }
            );
            if !roleless.is_empty() {
                let shown: Vec<&str> = roleless.iter().take(10).map(String::as_str).collect();
                let more =
                    if roleless.len() > 10 { format!(" and {} more", roleless.len() - 10) } else { String::new() };
                message.push_str(&format!("; users in groups but with no role: {}{more}", shown.join(", ")));
            }
            findings.push(Check::new(
                "group_mapping_missing",
                CheckStatus::Failed,
                message,
                Some("stackflow-admin mappings set <group> <role> --dry-run, then without --dry-run"),
            ));
        }
        Ok(findings)
    }
}

/// "Cognito user pool reachable": DescribeUserPool on the configured pool, bounded by
/// [`COGNITO_PROBE_TIMEOUT`] (run concurrently with the Okta checks, so a slow Okta and a slow
/// Cognito cost one timeout, not two).
async fn cognito_check(probe: Option<&sso_bridge::cognito::CognitoClient>, mirror_on: bool) -> Check {
    const NAME: &str = "cognito";
    let Some(client) = probe else {
        return if mirror_on {
            Check::new(
                NAME,
                CheckStatus::Warning,
                "Cognito user pool not checked: the mirror is on but this provider was given no Cognito client",
                Some("build the provider with Provider::with_cognito_probe (stackflow-server does)"),
            )
        } else {
            Check::new(NAME, CheckStatus::Warning, COGNITO_OFF, Some(COGNITO_OFF_FIX))
        };
    };
    let config = client.config();
    let pool = &config.user_pool_id;
    match client.describe_pool(COGNITO_PROBE_TIMEOUT).await {
        Ok(name) if name.is_empty() => {
            Check::new(NAME, CheckStatus::Ok, format!("Cognito user pool {pool} reachable"), None)
        }
        Ok(name) => Check::new(NAME, CheckStatus::Ok, format!("Cognito user pool reachable: {name} ({pool})"), None),
        Err(e) => cognito_failure(NAME, config, &e),
    }
}

fn cognito_failure(name: &str, config: &sso_bridge::cognito::CognitoConfig, err: &sso_bridge::Error) -> Check {
    let pool = &config.user_pool_id;
    let endpoint = config.endpoint_url.clone().unwrap_or_else(|| format!("the public endpoint of {}", config.region));
    let code = match err {
        sso_bridge::Error::Cognito { code, .. } => code.as_str(),
        _ => "",
    };
    match code {
        "TimeoutError" => Check::new(
            name,
            CheckStatus::Failed,
            format!("Cognito ({endpoint}) did not answer within {} ms", COGNITO_PROBE_TIMEOUT.as_millis()),
            Some("check that this host reaches the Cognito endpoint over HTTPS (DNS, proxy, firewall, VPC endpoint) and cognito.endpoint_url"),
        ),
        "DispatchFailure" | "ResponseError" => Check::new(
            name,
            CheckStatus::Failed,
            format!("Cognito endpoint unreachable ({endpoint})"),
            Some("check cognito.region and cognito.endpoint_url, and that this host reaches the Cognito endpoint over HTTPS (DNS, proxy, firewall, VPC endpoint)"),
        ),
        "AccessDeniedException" | "NotAuthorizedException" | "UnrecognizedClientException"
        | "InvalidSignatureException" | "ExpiredTokenException" => Check::new(
            name,
            CheckStatus::Failed,
            format!("AWS refused to describe user pool {pool} ({code})"),
            Some("give the server's AWS credentials (IAM role) cognito-idp:DescribeUserPool and the mirror's cognito-idp:Admin* actions on this pool, and check the credentials are current"),
        ),
        "ResourceNotFoundException" => Check::new(
            name,
            CheckStatus::Failed,
            format!("user pool {pool} not found in {}", config.region),
            Some("set cognito.user_pool_id to the pool's id (Cognito console → User pools, e.g. eu-west-1_AbCdEf123) and cognito.region to the pool's region"),
        ),
        _ => Check::new(
            name,
            CheckStatus::Failed,
            err.to_string(),
            Some("check the [cognito] section (user_pool_id, region, endpoint_url) and the server's AWS credentials"),
        ),
    }
}

fn unreachable_fix() -> Option<&'static str> {
    Some("check the Okta domain (e.g. your-org.okta.com) and that this host reaches it over HTTPS (DNS, proxy, firewall)")
}

fn okta_failure(name: &str, err: &sso_bridge::Error) -> Check {
    use sso_bridge::Error as E;
    match err {
        E::Unauthorized { .. } => Check::new(
            name,
            CheckStatus::Failed,
            "API token invalid or revoked",
            Some("create a token in Okta → Security → API → Tokens and save it as the API Token"),
        ),
        E::Unreachable { reason, .. } => {
            Check::new(name, CheckStatus::Failed, format!("domain unreachable: {reason}"), unreachable_fix())
        }
        E::Timeout { millis, .. } => Check::new(
            name,
            CheckStatus::Failed,
            format!("Okta did not answer within {millis} ms"),
            Some("retry; if it persists check the network path (proxy, firewall) to the Okta domain"),
        ),
        other => Check::new(
            name,
            CheckStatus::Failed,
            other.to_string(),
            Some("check the Okta domain: it must be your org's host, e.g. your-org.okta.com"),
        ),
    }
}

async fn api_check(client: Option<&OktaClient>, token: Option<&SecretString>) -> Check {
    const NAME: &str = "okta_api";
    let Some(client) = client else {
        return Check::new(
            NAME,
            CheckStatus::Failed,
            "Okta domain not set",
            Some("set it: stackflow-admin okta configure --domain your-org.okta.com"),
        );
    };
    let Some(token) = token else {
        return Check::new(
            NAME,
            CheckStatus::Failed,
            "API token not set",
            Some("create one in Okta → Security → API → Tokens; save it with --api-token-file"),
        );
    };
    match client.check_api_token(token).await {
        Ok(login) => Check::new(NAME, CheckStatus::Ok, format!("Okta API reachable, token accepted ({login})"), None),
        Err(e) => okta_failure(NAME, &e),
    }
}

async fn oidc_check(client: Option<&OktaClient>, client_id: Option<&str>, secret_set: bool) -> Check {
    const NAME: &str = "oidc";
    let Some(client) = client else {
        return Check::new(NAME, CheckStatus::Failed, "Okta domain not set", Some("set the Okta domain first"));
    };
    let discovery = match client.discovery().await {
        Ok(d) => d,
        Err(e) => return okta_failure(NAME, &e),
    };
    let keys = match client.jwks_key_count(&discovery.jwks_uri).await {
        Ok(n) => n,
        Err(e) => return okta_failure(NAME, &e),
    };
    match (client_id, secret_set) {
        (None, _) => Check::new(
            NAME,
            CheckStatus::Warning,
            format!(
                "discovery and JWKS readable ({keys} keys), but the OIDC client ID is not set (needed for SSO only)"
            ),
            Some("create an OIDC app (authorization_code) in Okta; save its Client ID and Client Secret"),
        ),
        (Some(_), false) => Check::new(
            NAME,
            CheckStatus::Warning,
            "discovery and JWKS readable, client ID set, but the OIDC client secret is not set",
            Some("save the OIDC app's Client Secret with --oidc-client-secret-file"),
        ),
        (Some(id), true) => Check::new(
            NAME,
            CheckStatus::Ok,
            format!("discovery and JWKS readable ({keys} keys), client ID {id} and secret set"),
            None,
        ),
    }
}

/// When a token was generated, for messages.
pub fn format_time(at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(|| "never".to_owned(), |t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(update: OktaSettingsUpdate, expected: std::result::Result<(Option<&str>, Option<&str>), &str>) {
        match (merge(&IntegrationSettings::default(), &update), expected) {
            (Ok(s), Ok((domain, id))) => {
                assert_eq!((s.okta_domain.as_deref(), s.oidc_client_id.as_deref()), (domain, id))
            }
            (Err(e), Err(field)) => assert!(e.to_string().starts_with(field), "{e}"),
            (got, want) => panic!("got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn updates_are_validated() {
        let domain = |d: &str| OktaSettingsUpdate { okta_domain: Some(d.into()), ..Default::default() };
        let id = |i: &str| OktaSettingsUpdate { oidc_client_id: Some(i.into()), ..Default::default() };
        check(domain("https://Your-Org.okta.com/"), Ok((Some("your-org.okta.com"), None)));
        check(domain("your-org.okta.com/oauth2"), Err("okta_domain"));
        check(domain(""), Err("okta_domain"));
        check(id(" 0oa1abc "), Ok((None, Some("0oa1abc"))));
        check(id(""), Ok((None, None)));
        check(id("0oa 1"), Err("oidc_client_id"));
        check(OktaSettingsUpdate::default(), Ok((None, None)));
    }

    #[test]
    fn secret_state_serialises_as_set_or_not_set() {
        assert_eq!(serde_json::to_value(SecretState::Set).unwrap(), "set");
        assert_eq!(serde_json::to_value(SecretState::NotSet).unwrap(), "not set");
    }
}
