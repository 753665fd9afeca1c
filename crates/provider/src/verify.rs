//! The Okta guide's four "Testing the Integration" checks (`stackflow-admin verify`), judged from
//! the audit log: a test user assigned in Okta is created by SCIM, a group change changes its role,
//! an Okta sign-in issues tokens claiming that role, and unassigning it deactivates the account.
//!
//! [`evaluate`] is pure: given the audit events since a step started and the current [`Facts`], it
//! says whether the step passed, failed, or is still waiting — and, while waiting, the most likely
//! cause and fix from the guide's troubleshooting table, derived from the facts (the doctor's
//! findings, the user's groups and mappings, the settings). The CLI polls it; tests feed it an audit
//! stream.

use crate::integration::Report;
use crate::settings::IntegrationSettings;
use crate::sso::SSO_LOGIN;
use crate::{Provider, Result, UserAccount, UserExplanation};
use serde::Serialize;
use serde_json::Value;
use store::audit::AuditEvent;

/// One of the guide's four checks, in the guide's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// 1. Assign a test user in Okta: SCIM creates it.
    AssignUser,
    /// 2. Change the user's group in Okta: the StackFlow role changes.
    ChangeGroup,
    /// 3. Log into StackFlow using Okta SSO: the role claims are right.
    SsoLogin,
    /// 4. Unassign the user in Okta: the StackFlow account is deactivated.
    UnassignUser,
}

impl Step {
    /// The four steps in order.
    pub const ALL: [Step; 4] = [Step::AssignUser, Step::ChangeGroup, Step::SsoLogin, Step::UnassignUser];

    /// 1 to 4.
    pub fn number(self) -> u8 {
        match self {
            Step::AssignUser => 1,
            Step::ChangeGroup => 2,
            Step::SsoLogin => 3,
            Step::UnassignUser => 4,
        }
    }

    /// The step numbered `n` (1 to 4).
    pub fn from_number(n: u8) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.number() == n)
    }

    /// The check as the guide words it.
    pub fn title(self) -> &'static str {
        match self {
            Step::AssignUser => "Assign a test user in Okta: the user is created in StackFlow via SCIM",
            Step::ChangeGroup => "Change the user's group in Okta: the StackFlow role changes",
            Step::SsoLogin => "Log into StackFlow using Okta SSO: the role claims are correct",
            Step::UnassignUser => "Unassign the user in Okta: the StackFlow account is deactivated",
        }
    }

    /// What to do in Okta (or the browser) for this step.
    pub fn instruction(self) -> &'static str {
        match self {
            Step::AssignUser => {
                "In Okta → Applications → StackFlow → Assignments, assign a test user (Assign → Assign to People)."
            }
            Step::ChangeGroup => {
                "In Okta → Directory → Groups, move the test user to a pushed group mapped to another role \
                 (e.g. from StackFlow-Agents to StackFlow-ITSM-Managers)."
            }
            Step::SsoLogin => {
                "Sign in to StackFlow as the test user with Okta (<public_base_url>/auth/okta/login), \
                 or exchange its Okta ID token at /auth/okta/token."
            }
            Step::UnassignUser => {
                "In Okta → Applications → StackFlow → Assignments, remove the test user's assignment (×)."
            }
        }
    }
}

/// The user a step is about: known by id, by userName, or both (matching either is enough, so a
/// rename in between does not lose it). Empty before step 1 when no `--user` was given: step 1 then
/// accepts any user SCIM creates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Subject {
    /// The SCIM id.
    pub id: Option<String>,
    /// The userName.
    pub user_name: Option<String>,
}

impl Subject {
    /// The user named `user_name`.
    pub fn named(user_name: &str) -> Subject {
        Subject { id: None, user_name: Some(user_name.to_owned()) }
    }

    fn is_empty(&self) -> bool {
        self.id.is_none() && self.user_name.is_none()
    }

    fn matches(&self, event: &AuditEvent) -> bool {
        let by_id = self.id.is_some() && self.id == event.resource_id;
        let by_name = match (&self.user_name, event_user_name(event)) {
            (Some(want), Some(got)) => want.eq_ignore_ascii_case(got),
            _ => false,
        };
        by_id || by_name
    }

    fn label(&self) -> &str {
        self.user_name.as_deref().or(self.id.as_deref()).unwrap_or("the test user")
    }
}

fn event_user_name(event: &AuditEvent) -> Option<&str> {
    event.detail.get("userName").and_then(Value::as_str)
}

/// What is known about the instance besides the audit log, read when a step is judged.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The integration settings.
    pub settings: IntegrationSettings,
    /// The subject's account as it is now (`None`: unknown user, or no subject yet).
    pub account: Option<UserAccount>,
    /// Why the subject has its role (read only to explain a failure).
    pub explanation: Option<UserExplanation>,
    /// The doctor's findings (read only to explain a failure).
    pub doctor: Option<Report>,
}

/// The state of a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepStatus {
    /// The audit log shows the step happened as the guide expects.
    Passed,
    /// Not yet seen; `message` and `fix` say the most likely reason from the facts.
    Waiting,
    /// Seen, but wrong (e.g. deactivated in Okta yet still usable), or timed out.
    Failed,
    /// Not run because an earlier step failed.
    Skipped,
}

/// The outcome of one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepResult {
    /// 1 to 4.
    pub step: u8,
    /// The check as the guide words it.
    pub title: &'static str,
    /// Passed, waiting, failed or skipped.
    pub status: StepStatus,
    /// One line: what was seen (passed) or why not (waiting, failed).
    pub message: String,
    /// One line: how to fix it (absent when passed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// The user the step was about, when known.
    pub user: Subject,
    /// The audit event that proved the step (passed, or failed on what it saw).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<i64>,
}

impl StepResult {
    fn new(step: Step, status: StepStatus, message: String, fix: Option<String>, user: Subject) -> StepResult {
        StepResult { step: step.number(), title: step.title(), status, message, fix, user, event_id: None }
    }

    fn passed(step: Step, message: String, user: Subject, event: &AuditEvent) -> StepResult {
        StepResult { event_id: Some(event.id), ..StepResult::new(step, StepStatus::Passed, message, None, user) }
    }

    fn waiting(step: Step, (message, fix): (String, String), user: Subject) -> StepResult {
        StepResult::new(step, StepStatus::Waiting, message, Some(fix), user)
    }

    /// This (waiting) result as a failure after `seconds` without the expected event.
    pub fn timed_out(mut self, seconds: u64) -> StepResult {
        if self.status == StepStatus::Waiting {
            self.status = StepStatus::Failed;
            self.message = format!("not seen within {seconds} s: {}", self.message);
        }
        self
    }

    /// A step not run because `after` failed.
    pub fn skipped(step: Step, after: u8) -> StepResult {
        StepResult::new(step, StepStatus::Skipped, format!("not run: step {after} failed"), None, Subject::default())
    }
}

/// Judges `step` for `subject` from the audit `events` since the step started (oldest first) and the
/// current `facts`. Pure: no I/O.
pub fn evaluate(step: Step, subject: &Subject, events: &[AuditEvent], facts: &Facts) -> StepResult {
    match step {
        Step::AssignUser => assign_user(subject, events, facts),
        Step::ChangeGroup => change_group(subject, events, facts),
        Step::SsoLogin => sso_login(subject, events, facts),
        Step::UnassignUser => unassign_user(subject, events, facts),
    }
}

/// Judges the steps in order over one audit stream (oldest first): each step only considers the
/// events after the one that proved the previous step, and steps after step 1 are about the user
/// step 1 found. Stops at the first step that does not pass; the rest are reported skipped.
pub fn evaluate_sequence(steps: &[Step], subject: &Subject, events: &[AuditEvent], facts: &Facts) -> Vec<StepResult> {
    let mut subject = subject.clone();
    let mut from = 0;
    let mut results: Vec<StepResult> = Vec::new();
    for &step in steps {
        if let Some(failed) = results.iter().find(|r| r.status != StepStatus::Passed) {
            let after = failed.step;
            results.push(StepResult::skipped(step, after));
            continue;
        }
        let window = events.get(from..).unwrap_or_default();
        let result = evaluate(step, &subject, window, facts);
        if let Some(id) = result.event_id {
            from = events.iter().position(|e| e.id == id).map_or(from, |i| i + 1);
        }
        if result.status == StepStatus::Passed {
            subject = result.user.clone();
        }
        results.push(result);
    }
    results
}

fn role_name(value: &Value) -> &str {
    value.as_str().unwrap_or("no role")
}

/// The doctor's finding that stops every SCIM request, if any: token missing or rejected, SCIM off.
fn scim_blocker(facts: &Facts) -> Option<(String, String)> {
    if let Some(report) = &facts.doctor {
        for name in ["scim_token_invalid", "scim_token_missing", "scim_disabled"] {
            if let Some(c) = report.checks.iter().find(|c| c.name == name) {
                return Some((c.message.clone(), c.fix.clone().unwrap_or_default()));
            }
        }
    } else if !facts.settings.scim_enabled {
        return Some((
            "SCIM provisioning is disabled: Okta's requests are answered 403".to_owned(),
            "stackflow-admin okta configure --scim-enabled true".to_owned(),
        ));
    }
    None
}

fn assign_user(subject: &Subject, events: &[AuditEvent], facts: &Facts) -> StepResult {
    let step = Step::AssignUser;
    let found = events.iter().find(|e| {
        let created = e.action == "user.created";
        let reactivated = matches!(e.action.as_str(), "user.patched" | "user.replaced")
            && e.detail.get("active") == Some(&Value::Bool(true));
        (created || reactivated) && (subject.is_empty() || subject.matches(e))
    });
    if let Some(e) = found {
        let name = event_user_name(e).unwrap_or("?").to_owned();
        let how = if e.action == "user.created" { "created" } else { "reactivated" };
        let user = Subject { id: e.resource_id.clone(), user_name: Some(name.clone()) };
        let id = e.resource_id.as_deref().unwrap_or("?");
        return StepResult::passed(step, format!("{name} {how} by SCIM (id {id})"), user, e);
    }
    let diagnosis = scim_blocker(facts).unwrap_or_else(|| match (&subject.user_name, &facts.account) {
        (Some(name), Some(_)) => (
            format!("{name} already existed in StackFlow before this step, so Okta updates it rather than creating it"),
            format!("continue with the other checks: stackflow-admin verify --steps 2,3,4 --user {name}"),
        ),
        _ => (
            format!("SCIM user not created: no SCIM request created {} since the step started", subject.label()),
            "in Okta → StackFlow → Provisioning → To App enable Create Users; check the SCIM connector base URL \
             (…/scim/v2) with Test Connector Configuration; then assign the user"
                .to_owned(),
        ),
    });
    StepResult::waiting(step, diagnosis, subject.clone())
}

fn change_group(subject: &Subject, events: &[AuditEvent], facts: &Facts) -> StepResult {
    let step = Step::ChangeGroup;
    // A role given at creation or reactivation is not the group change this step asks for; nor is a
    // role lost on the way (Okta may remove the old membership before adding the new one).
    let found = events.iter().find(|e| {
        let cause = e.detail.get("cause").and_then(Value::as_str).unwrap_or("");
        e.action == "user.role_changed"
            && subject.matches(e)
            && !matches!(cause, "user.created" | "user.reactivated")
            && !e.detail["new"].is_null()
    });
    if let Some(e) = found {
        let d = &e.detail;
        let explanation = d.get("explanation").and_then(Value::as_str).unwrap_or("");
        let message =
            format!("{}: {} → {} ({explanation})", subject.label(), role_name(&d["old"]), role_name(&d["new"]));
        return StepResult::passed(step, message, subject.clone(), e);
    }
    let user = subject.label();
    let diagnosis = if let Some(blocker) = scim_blocker(facts) {
        blocker
    } else if facts.account.is_none() {
        (format!("{user} is not in StackFlow"), "run step 1 first (assign the user in Okta)".to_owned())
    } else if !facts.settings.group_sync_effective() {
        (
            "Group Sync is off: pushed groups are stored but roles are left as they are".to_owned(),
            "stackflow-admin okta configure --group-sync true".to_owned(),
        )
    } else if let Some(explanation) = &facts.explanation {
        let considered = &explanation.resolution.considered;
        let unmapped: Vec<&str> =
            considered.iter().filter(|c| c.role.is_none()).map(|c| c.group.display_name.as_str()).collect();
        if considered.is_empty() {
            (
                format!("Group mapping missing: no pushed group has {user} as a member"),
                "add the Okta group to Push Groups (Okta → StackFlow → Push Groups) and map it: \
                 stackflow-admin mappings set <group> <role>"
                    .to_owned(),
            )
        } else if !unmapped.is_empty() && explanation.resolution.winner.is_none() {
            let first = unmapped.first().copied().unwrap_or("<group>");
            (
                format!("Group mapping missing: {user}'s groups ({}) map to no role", unmapped.join(", ")),
                format!("stackflow-admin mappings set {first} <role> --dry-run, then without --dry-run"),
            )
        } else {
            (
                format!("no role change for {user}: {}", explanation.explanation),
                "move the user to a pushed group mapped to a different role (stackflow-admin mappings list)".to_owned(),
            )
        }
    } else {
        (
            format!("no role change for {user} since the step started"),
            "add the Okta group to Push Groups and map it: stackflow-admin mappings set <group> <role>".to_owned(),
        )
    };
    StepResult::waiting(step, diagnosis, subject.clone())
}

fn sso_login(subject: &Subject, events: &[AuditEvent], facts: &Facts) -> StepResult {
    let step = Step::SsoLogin;
    let user = subject.label();
    if let Some(e) = events.iter().find(|e| e.action == SSO_LOGIN && subject.matches(e)) {
        let claims = e.detail.get("claims").cloned().unwrap_or(Value::Null);
        let flow = e.detail.get("flow").and_then(Value::as_str).unwrap_or("?");
        let role = &e.detail["role"];
        let message = format!(
            "{user} signed in ({flow}); role claims: custom:stackflow_role = {}, cognito:groups = {}",
            role_name(role),
            claims.get("cognito:groups").cloned().unwrap_or(Value::Array(Vec::new()))
        );
        if role.is_null() {
            let result = StepResult::new(
                step,
                StepStatus::Failed,
                format!("Role not assigned correctly: {message}"),
                Some("Group mapping missing: add the Okta group to Push Groups and map it (stackflow-admin users explain)".to_owned()),
                subject.clone(),
            );
            return StepResult { event_id: Some(e.id), ..result };
        }
        return StepResult::passed(step, message, subject.clone(), e);
    }
    let s = &facts.settings;
    let diagnosis = match &facts.account {
        None => (
            format!("{user} is not provisioned: sign-in answers \"not assigned to StackFlow\""),
            "run step 1 first (assign the user in Okta)".to_owned(),
        ),
        Some(a) if !a.enabled => (
            format!("{user}'s account is deactivated: sign-in is refused"),
            "reassign the user in Okta (SCIM reactivates it)".to_owned(),
        ),
        Some(a) if a.role.is_none() => (
            format!("Role not assigned correctly: {user} has no role, so the tokens would claim none"),
            "Group mapping missing: add the Okta group to Push Groups and map it (stackflow-admin users explain)"
                .to_owned(),
        ),
        Some(_) if s.okta_domain.is_none() || s.oidc_client_id.is_none() => (
            "Okta SSO is not configured: the Okta domain or OIDC client ID is not set".to_owned(),
            "stackflow-admin okta configure --domain your-org.okta.com --oidc-client-id ID --oidc-client-secret-file FILE"
                .to_owned(),
        ),
        Some(_) => (
            format!("no successful Okta sign-in for {user} since the step started"),
            "the sign-in page's error says why; register <public_base_url>/auth/okta/callback as the OIDC app's \
             redirect URI, set [cognito] and sso.cognito_app_client_id, and see stackflow_sso_requests_total in \
             /metrics and the server log"
                .to_owned(),
        ),
    };
    StepResult::waiting(step, diagnosis, subject.clone())
}

fn unassign_user(subject: &Subject, events: &[AuditEvent], facts: &Facts) -> StepResult {
    let step = Step::UnassignUser;
    let user = subject.label();
    let found = events.iter().find(|e| {
        subject.matches(e)
            && (e.action == "user.deleted"
                || (matches!(e.action.as_str(), "user.patched" | "user.replaced")
                    && e.detail.get("active") == Some(&Value::Bool(false))))
    });
    if let Some(e) = found {
        if e.action == "user.deleted" {
            return StepResult::passed(step, format!("{user} deleted by SCIM"), subject.clone(), e);
        }
        return match &facts.account {
            Some(a) if !a.active_in_okta && a.enabled => StepResult {
                event_id: Some(e.id),
                ..StepResult::new(
                    step,
                    StepStatus::Failed,
                    format!("{user} deprovisioned by Okta (active=false) but the account stays usable: Deactivate on Offboard is off"),
                    Some("stackflow-admin okta configure --deactivate-on-offboard true".to_owned()),
                    subject.clone(),
                )
            },
            _ => StepResult::passed(step, format!("{user} deactivated (active=false, account disabled)"), subject.clone(), e),
        };
    }
    let diagnosis = scim_blocker(facts).unwrap_or_else(|| match &facts.account {
        None => (format!("{user} is not in StackFlow"), "run step 1 first (assign the user in Okta)".to_owned()),
        Some(_) => (
            format!("Okta has not sent active=false for {user} since the step started"),
            "in Okta → StackFlow → Provisioning → To App enable Deactivate Users, then remove the assignment"
                .to_owned(),
        ),
    });
    StepResult::waiting(step, diagnosis, subject.clone())
}

impl Provider {
    /// The id of the newest audit event: a step waits for events after it.
    pub async fn audit_cursor(&self) -> Result<i64> {
        Ok(store::audit::latest_id(self.store.conn()).await?)
    }

    /// The audit events after `after`, oldest first, at most `limit`.
    pub async fn audit_after(&self, after: i64, limit: u64) -> Result<Vec<AuditEvent>> {
        Ok(store::audit::after(self.store.conn(), after, limit).await?)
    }

    /// The facts a step is judged on: settings and `user_name`'s account; with `diagnose`, also the
    /// doctor's findings and why the user has its role (to explain a failure).
    pub async fn verify_facts(&self, user_name: Option<&str>, diagnose: bool) -> Result<Facts> {
        let settings = crate::settings::load(&self.store).await?;
        let account = match user_name {
            Some(name) => self.account(name).await?,
            None => None,
        };
        let (explanation, doctor) = if diagnose {
            let explanation = match user_name {
                Some(name) => self.explain_user(name).await?,
                None => None,
            };
            (explanation, Some(self.doctor().await?))
        } else {
            (None, None)
        };
        Ok(Facts { settings, account, explanation, doctor })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integration::{Check, CheckStatus};
    use chrono::Utc;
    use rolemap::Role;
    use serde_json::json;

    fn event(id: i64, action: &str, user: &str, detail: Value) -> AuditEvent {
        let mut e = AuditEvent::new(Utc::now(), "scim", action, "User", Some(&format!("id-{user}")), detail);
        e.id = id;
        e.detail["userName"] = json!(user);
        e
    }

    fn account(user: &str, role: Option<Role>, active: bool, deactivate: bool) -> UserAccount {
        let (enabled, flag) = crate::roles::account_state(active, deactivate);
        UserAccount {
            id: format!("id-{user}"),
            user_name: user.to_owned(),
            role,
            active_in_okta: active,
            enabled,
            flag,
        }
    }

    fn facts() -> Facts {
        Facts {
            settings: IntegrationSettings { scim_enabled: true, deactivate_on_offboard: true, ..Default::default() },
            ..Default::default()
        }
    }

    /// The audit stream of the guide's four checks done right.
    fn happy_stream() -> Vec<AuditEvent> {
        vec![
            event(10, "user.created", "ada@example.com", json!({ "active": true })),
            event(
                11,
                "user.role_changed",
                "ada@example.com",
                json!({ "old": null, "new": "viewer", "cause": "user.created" }),
            ),
            event(12, "group.patched", "x", json!({})),
            event(
                13,
                "user.role_changed",
                "ada@example.com",
                json!({ "old": "itsm_agent", "new": "itsm_manager", "cause": "group.patched", "explanation": "StackFlow-ITSM-Managers maps to itsm_manager" }),
            ),
            event(
                14,
                "sso.login",
                "ada@example.com",
                json!({ "flow": "callback", "role": "itsm_manager", "claims": { "cognito:groups": ["itsm_manager"] } }),
            ),
            event(15, "user.patched", "ada@example.com", json!({ "active": false, "changed": ["active"] })),
        ]
    }

    fn check(
        name: &str,
        step: Step,
        subject: &Subject,
        events: &[AuditEvent],
        facts: &Facts,
        status: StepStatus,
        text: &str,
    ) {
        let r = evaluate(step, subject, events, facts);
        assert_eq!(r.status, status, "{name}: {r:?}");
        let all = format!("{} | {}", r.message, r.fix.as_deref().unwrap_or(""));
        assert!(all.contains(text), "{name}: {text:?} not in {all:?}");
    }

    #[test]
    fn the_four_checks_pass_on_the_happy_stream() {
        let mut f = facts();
        f.account = Some(account("ada@example.com", Some(Role::ItsmManager), false, true));
        let results = evaluate_sequence(&Step::ALL, &Subject::default(), &happy_stream(), &f);
        let statuses: Vec<StepStatus> = results.iter().map(|r| r.status).collect();
        assert_eq!(statuses, [StepStatus::Passed; 4], "{results:#?}");
        assert_eq!(results[0].user.id.as_deref(), Some("id-ada@example.com"));
        assert!(results[1].message.contains("itsm_agent → itsm_manager"), "{}", results[1].message);
        assert!(results[2].message.contains("custom:stackflow_role = itsm_manager"), "{}", results[2].message);
        assert_eq!(results.iter().map(|r| r.event_id).collect::<Vec<_>>(), [Some(10), Some(13), Some(14), Some(15)]);
    }

    #[test]
    fn each_step_explains_what_is_missing() {
        let ada = Subject::named("ada@example.com");
        let none: Vec<AuditEvent> = Vec::new();
        let stream = happy_stream();

        // Step 1: a rejected token (the doctor's finding) beats the generic advice.
        let mut f = facts();
        f.doctor = Some(Report {
            ok: false,
            checks: vec![Check {
                name: "scim_token_invalid".into(),
                status: CheckStatus::Failed,
                message: "SCIM token invalid: regenerate it".into(),
                fix: Some("stackflow-admin scim-token generate".into()),
            }],
        });
        check("bad token", Step::AssignUser, &ada, &none, &f, StepStatus::Waiting, "SCIM token invalid: regenerate");
        let mut f = facts();
        f.settings.scim_enabled = false;
        check("scim off", Step::AssignUser, &ada, &none, &f, StepStatus::Waiting, "--scim-enabled true");
        check("no request", Step::AssignUser, &ada, &none, &facts(), StepStatus::Waiting, "Create Users");
        check("other user", Step::AssignUser, &Subject::named("bob@x"), &stream, &facts(), StepStatus::Waiting, "");
        let mut f = facts();
        f.account = Some(account("ada@example.com", None, true, true));
        check("exists", Step::AssignUser, &ada, &none, &f, StepStatus::Waiting, "--steps 2,3,4 --user ada@example.com");

        // Step 2: the default role given at creation is not a group change.
        let mut f = facts();
        f.account = Some(account("ada@example.com", None, true, true));
        check("creation role", Step::ChangeGroup, &ada, &stream[..2], &f, StepStatus::Waiting, "");
        let lost = vec![event(
            1,
            "user.role_changed",
            "ada@example.com",
            json!({ "old": "viewer", "new": null, "cause": "group.patched" }),
        )];
        check("role lost", Step::ChangeGroup, &ada, &lost, &f, StepStatus::Waiting, "");
        f.settings.group_sync = Some(false);
        check("sync off", Step::ChangeGroup, &ada, &none, &f, StepStatus::Waiting, "--group-sync true");

        // Step 3: a sign-in without a role claim fails; no sign-in explains why.
        let roleless = vec![event(1, "sso.login", "ada@example.com", json!({ "flow": "callback", "role": null }))];
        check("no role", Step::SsoLogin, &ada, &roleless, &facts(), StepStatus::Failed, "Group mapping missing");
        let mut f = facts();
        f.account = Some(account("ada@example.com", Some(Role::Viewer), true, true));
        check("sso unset", Step::SsoLogin, &ada, &none, &f, StepStatus::Waiting, "--oidc-client-id");
        f.account = Some(account("ada@example.com", Some(Role::Viewer), false, true));
        check("deactivated", Step::SsoLogin, &ada, &none, &f, StepStatus::Waiting, "deactivated");

        // Step 4: active=false while Deactivate on Offboard is off leaves the account usable.
        let mut f = facts();
        f.account = Some(account("ada@example.com", Some(Role::Viewer), false, false));
        check("kept", Step::UnassignUser, &ada, &stream, &f, StepStatus::Failed, "--deactivate-on-offboard true");
        f.account = Some(account("ada@example.com", Some(Role::Viewer), true, true));
        check("not sent", Step::UnassignUser, &ada, &none, &f, StepStatus::Waiting, "Deactivate Users");
    }

    #[test]
    fn a_failed_step_skips_the_rest_and_times_out_as_failed() {
        let results = evaluate_sequence(&Step::ALL, &Subject::default(), &[], &facts());
        assert_eq!(results[0].status, StepStatus::Waiting);
        assert!(results[1..].iter().all(|r| r.status == StepStatus::Skipped && r.message.contains("step 1")));
        let failed = results[0].clone().timed_out(300);
        assert_eq!(failed.status, StepStatus::Failed);
        assert!(failed.message.starts_with("not seen within 300 s"), "{}", failed.message);
    }
}
