//! The HTML of the Integration Hub pages (maud: checked at compile time, every interpolation
//! escaped). Plain forms that POST and redirect, so the page works without JavaScript; the one
//! script only adds the copy button. Secrets are never rendered: only "set" / "not set".

use super::session::{Flash, MappingDraft, SettingsDraft};
use maud::{html, Markup, DOCTYPE};
use provider::integration::{format_time, Check, CheckStatus, OktaSettingsView, Report, SecretState};
use provider::verify::{Step, StepResult, StepStatus};
use provider::{MappingChange, MappingsView, TokenStatus};
use rolemap::{GroupMatcher, Role};
use secrecy::ExposeSecret;
use store::audit::AuditEvent;
use store::outbox::OutboxStatus;

/// Everything the Okta page shows.
pub struct OktaPage {
    /// The CSRF token every form carries.
    pub csrf: String,
    /// Who signed in (an Okta userName, or the bootstrap token).
    pub signed_in_as: String,
    /// The settings, secrets as set / not set.
    pub settings: OktaSettingsView,
    /// The SCIM connector base URL to paste into Okta.
    pub scim_base_url: String,
    /// The SCIM token's lifecycle.
    pub token: TokenStatus,
    /// The mapping rules and their problems.
    pub mappings: MappingsView,
    /// The doctor's findings.
    pub doctor: Report,
    /// A page of audit events, newest first.
    pub activity: Vec<AuditEvent>,
    /// The `before` of this page of activity (`None`: the newest).
    pub activity_before: Option<i64>,
    /// The `before` of the next (older) page, when there may be one.
    pub activity_next: Option<i64>,
    /// The Cognito mirror's outbox, when the mirror is configured.
    pub outbox: Option<OutboxStatus>,
    /// What the last POST left.
    pub flash: Flash,
    /// "Testing the integration", once started.
    pub verification: Option<Verification>,
}

/// The guide's four checks, judged from the audit events since "Start verification".
pub struct Verification {
    /// The test user's userName, when one was given.
    pub user: Option<String>,
    /// The four steps, in order.
    pub steps: Vec<StepResult>,
    /// The address that judges them again.
    pub refresh: String,
}

fn layout(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — StackFlow admin" }
                link rel="stylesheet" href="/admin/static/hub.css";
                script src="/admin/static/hub.js" defer {}
            }
            body { (body) }
        }
    }
}

/// The sign-in page. `configured`: whether a bootstrap token is set (otherwise the page explains how).
pub fn login(configured: bool, okta: bool, error: Option<&str>) -> String {
    layout(
        "Sign in",
        html! {
            main.narrow {
                h1 { "StackFlow admin sign-in" }
                @if let Some(error) = error {
                    p.alert.alert-failed role="alert" id="login-error" { (error) }
                }
                section aria-labelledby="okta-sign-in" {
                    h2 id="okta-sign-in" { "Okta" }
                    @if okta {
                        p { a.button href=(super::OKTA_SIGN_IN) { "Sign in with Okta" } }
                        p.hint { "For StackFlow users whose role is super_admin." }
                    } @else {
                        p.hint id="okta-not-configured" {
                            "Sign in with Okta is not available: Okta sign-in is not configured "
                            "(Okta domain, OIDC client ID and client secret)."
                        }
                    }
                }
                @if !configured {
                    div.alert.alert-failed role="alert" {
                        p { "The admin pages are disabled." }
                        p { (crate::admin_token::NOT_CONFIGURED) "." }
                    }
                } @else {
                    form method="post" action="/admin/login" {
                        fieldset {
                            legend { "Bootstrap admin token" }
                            label for="token" { "Admin token" }
                            input type="password" id="token" name="token" required autocomplete="current-password"
                                aria-describedby="token-hint" aria-invalid=[error.map(|_| "true")];
                            p.hint id="token-hint" {
                                "The token from admin.bootstrap_token_file or STACKFLOW__ADMIN__BOOTSTRAP_TOKEN."
                            }
                        }
                        button type="submit" { "Sign in" }
                    }
                }
            }
        },
    )
    .into_string()
}

/// A failure page with a way back.
pub fn error_page(status: u16, message: &str) -> String {
    layout(
        "Error",
        html! {
            main.narrow {
                h1 { "Request refused (" (status) ")" }
                p.alert.alert-failed role="alert" { (message) }
                p { a href="/admin/integrations/okta" { "Back to Admin → Integration Hub → Okta" } }
            }
        },
    )
    .into_string()
}

fn csrf_field(csrf: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(csrf); }
}

fn status_badge(status: CheckStatus) -> Markup {
    let (class, text) = match status {
        CheckStatus::Ok => ("badge badge-ok", "ok"),
        CheckStatus::Warning => ("badge badge-warning", "warning"),
        CheckStatus::Failed => ("badge badge-failed", "failed"),
    };
    html! { span class=(class) { (text) } }
}

fn checks(list_id: &str, checks: &[Check]) -> Markup {
    html! {
        ul.checks id=(list_id) {
            @for c in checks {
                li.check data-check=(c.name) data-status=(status_badge_text(c.status)) {
                    (status_badge(c.status)) " "
                    strong { (c.name) } ": " (c.message)
                    @if let Some(fix) = &c.fix { br; span.fix { "Fix: " (fix) } }
                }
            }
        }
    }
}

fn status_badge_text(status: CheckStatus) -> &'static str {
    match status {
        CheckStatus::Ok => "ok",
        CheckStatus::Warning => "warning",
        CheckStatus::Failed => "failed",
    }
}

fn secret_state(state: SecretState) -> &'static str {
    match state {
        SecretState::Set => "set",
        SecretState::NotSet => "not set",
        SecretState::Unknown => "unknown (secret store unreachable)",
    }
}

/// Messages for one page section (`section` is its element id), in a live region.
fn section_messages(flash: &Flash, section: &str) -> Markup {
    html! {
        div.messages role="status" aria-live="polite" id={ (section) "-messages" } {
            @if let Some((s, notice)) = &flash.notice { @if *s == section { p.alert.alert-ok { (notice) } } }
            @if let Some((s, error)) = &flash.error { @if *s == section { p.alert.alert-failed { (error) } } }
        }
    }
}

struct Field<'a> {
    id: &'a str,
    label: &'a str,
    hint: &'a str,
    error: Option<&'a str>,
}

impl Field<'_> {
    fn describedby(&self) -> String {
        match self.error {
            Some(_) => format!("{0}-hint {0}-error", self.id),
            None => format!("{}-hint", self.id),
        }
    }

    fn after(&self) -> Markup {
        html! {
            p.hint id={ (self.id) "-hint" } { (self.hint) }
            @if let Some(error) = self.error { p.field-error id={ (self.id) "-error" } { (error) } }
        }
    }

    fn text(&self, value: &str, required: bool) -> Markup {
        html! {
            div.field {
                label for=(self.id) { (self.label) @if required { " (required)" } }
                input type="text" id=(self.id) name=(self.id) value=(value) required[required] autocomplete="off"
                    spellcheck="false" aria-describedby=(self.describedby()) aria-invalid=[self.error.map(|_| "true")];
                (self.after())
            }
        }
    }

    /// A write-only secret: its state, and an empty input that replaces it when filled.
    fn secret(&self, state: SecretState) -> Markup {
        html! {
            div.field {
                label for=(self.id) { (self.label) " — " span.secret-state data-secret=(self.id) { (secret_state(state)) } }
                input type="password" id=(self.id) name=(self.id) value="" autocomplete="new-password"
                    placeholder=(if state == SecretState::Set { "replace: paste a new value" } else { "paste the value" })
                    aria-describedby=(self.describedby()) aria-invalid=[self.error.map(|_| "true")];
                (self.after())
            }
        }
    }

    fn checkbox(&self, checked: bool) -> Markup {
        html! {
            div.field.checkbox {
                input type="checkbox" id=(self.id) name=(self.id) value="on" checked[checked]
                    aria-describedby=(self.describedby());
                label for=(self.id) { (self.label) }
                (self.after())
            }
        }
    }
}

fn role_text(role: Option<Role>) -> &'static str {
    role.map_or("none (no access)", Role::as_str)
}

fn matcher_text(matcher: &GroupMatcher) -> String {
    match matcher {
        GroupMatcher::DisplayName(name) => name.clone(),
        other => other.to_string(),
    }
}

/// The hand-off after an Okta sign-in: moves on to `to` (a path of this page) by a same-site
/// navigation, so that the new `SameSite=Strict` session cookie is sent.
pub fn continue_to(to: &str) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="refresh" content=(format!("0;url={to}"));
                title { "Signed in — StackFlow" }
            }
            body { p { "Signed in. " a href=(to) { "Continue to the Integration Hub" } } }
        }
    }
    .into_string()
}

/// The Okta page.
pub fn okta_page(p: &OktaPage) -> String {
    layout(
        "Okta — Integration Hub",
        html! {
            header.top {
                nav aria-label="Breadcrumb" { "Admin → Integration Hub → " strong { "Okta" } }
                p.signed-in { "Signed in as " strong id="signed-in-as" { (p.signed_in_as) } }
                form method="post" action="/admin/logout" { (csrf_field(&p.csrf)) button.link type="submit" { "Sign out" } }
            }
            main {
                h1 { "Okta integration" }
                (settings_section(p))
                (results_section(p))
                (token_section(p))
                (mappings_section(p))
                (doctor_section(p))
                (verify_section(p))
                (activity_section(p))
                @if let Some(outbox) = &p.outbox { (outbox_section(outbox)) }
            }
        },
    )
    .into_string()
}

fn settings_section(p: &OktaPage) -> Markup {
    let s = &p.settings;
    let draft = p.flash.settings.clone().unwrap_or_else(|| SettingsDraft {
        okta_domain: s.okta_domain.clone().unwrap_or_default(),
        oidc_client_id: s.oidc_client_id.clone().unwrap_or_default(),
        scim_enabled: s.scim_enabled,
        group_sync: s.group_sync,
        deactivate_on_offboard: s.deactivate_on_offboard,
    });
    let error_for =
        |field: &str| p.flash.field_error.as_ref().filter(|(f, _)| f == field).map(|(_, message)| message.as_str());
    let field = |id, label, hint| Field { id, label, hint, error: error_for(id) };
    html! {
        section id="settings" aria-labelledby="settings-title" {
            h2 id="settings-title" { "Connection settings" }
            (section_messages(&p.flash, "settings"))
            form method="post" action="/admin/integrations/okta/settings" novalidate {
                (csrf_field(&p.csrf))
                fieldset {
                    legend { "Okta org" }
                    (field("okta_domain", "Okta Domain", "e.g. your-org.okta.com (a pasted https://…/ URL is normalised).").text(&draft.okta_domain, true))
                    (field("api_token", "API Token", "Okta → Security → API → Tokens. Write-only: leave empty to keep the stored token.").secret(s.api_token))
                }
                fieldset {
                    legend { "SSO bridge (OIDC app, SSO only)" }
                    (field("oidc_client_id", "OIDC Client ID", "The OIDC app's Client ID; empty clears it.").text(&draft.oidc_client_id, false))
                    (field("oidc_client_secret", "OIDC Client Secret", "Write-only: leave empty to keep the stored secret.").secret(s.oidc_client_secret))
                }
                fieldset {
                    legend { "Provisioning" }
                    (field("scim_enabled", "SCIM Enabled", "Enable SCIM 2.0 provisioning (default: off). While off, Okta's SCIM requests are answered 403.").checkbox(draft.scim_enabled))
                    (field("group_sync", "Group Sync", if s.group_sync_default { "Sync Okta groups to StackFlow roles (default: on when SCIM is enabled; currently following the default)." } else { "Sync Okta groups to StackFlow roles (default: on when SCIM is enabled)." }).checkbox(draft.group_sync))
                    // The stored (effective) value: an unchanged box keeps following the default.
                    input type="hidden" name="group_sync_shown" value=(if s.group_sync { "on" } else { "off" });
                    (field("deactivate_on_offboard", "Deactivate on Offboard", "Deactivate the StackFlow user when Okta deprovisions it (default: on).").checkbox(draft.deactivate_on_offboard))
                }
                p.hint { "Secrets are write-only and never shown again. They are kept in: " (s.secret_store) "." }
                div.buttons {
                    button type="submit" name="action" value="save" { "Save" }
                    button.primary type="submit" name="action" value="save_test" { "Save & Test" }
                }
            }
        }
    }
}

fn results_section(p: &OktaPage) -> Markup {
    html! {
        section id="results" aria-labelledby="results-title" {
            h2 id="results-title" { "Save & Test results" }
            div role="status" aria-live="polite" {
                @match &p.flash.report {
                    Some(report) => {
                        p class={ "alert " (if report.ok { "alert-ok" } else { "alert-failed" }) } {
                            @if report.ok { "Every check passed or warned." } @else { "Some checks failed: see the fixes below." }
                        }
                        (checks("test-results", &report.checks))
                    }
                    None => p.hint { "Save & Test checks the Okta API token, the OIDC app, the SCIM token and the default groups." }
                }
            }
        }
    }
}

fn token_section(p: &OktaPage) -> Markup {
    let t = &p.token;
    html! {
        section id="scim-token" aria-labelledby="scim-token-title" {
            h2 id="scim-token-title" { "SCIM token" }
            (section_messages(&p.flash, "scim-token"))
            p { "SCIM connector base URL for Okta → Provisioning → Integration: " code id="scim-base-url" { (p.scim_base_url) } }
            dl.status id="token-status" {
                dt { "Token" } dd { @if t.set { "set" } @else { "not set" } }
                dt { "Generated" } dd { (format_time(t.created_at)) }
                dt { "Last used" } dd { (format_time(t.last_used_at)) }
                dt { "Rejected requests" } dd {
                    (t.rejected_count)
                    @if let Some(since) = t.rejected_since { " since " (format_time(Some(since))) }
                }
            }
            @if let Some(token) = &p.flash.token {
                div.new-token role="alert" {
                    p { strong { "New SCIM token — shown once." } " Copy it now and paste it into Okta → Provisioning → Integration; it cannot be shown again." }
                    label for="new-token" { "New SCIM token" }
                    div.copy-row {
                        input type="text" id="new-token" readonly value=(token.expose_secret()) spellcheck="false" autocomplete="off";
                        button type="button" hidden data-copy="new-token" data-copy-status="copy-status" { "Copy" }
                    }
                    p id="copy-status" role="status" aria-live="polite" {}
                }
            }
            form method="post" action="/admin/integrations/okta/scim-token" {
                (csrf_field(&p.csrf))
                p.warning id="generate-warning" {
                    @if t.set { "Generating a new token makes the current token stop working at once: Okta's provisioning fails until you paste the new one." }
                    @else { "No SCIM token is set: Okta's provisioning requests are refused until you generate one." }
                }
                button type="submit" aria-describedby="generate-warning" { "Generate SCIM token" }
            }
        }
    }
}

fn role_select(id: &str, selected: &str) -> Markup {
    html! {
        select id=(id) name="role" required {
            @for role in Role::ALL {
                option value=(role.as_str()) selected[role.as_str() == selected] { (role.as_str()) }
            }
        }
    }
}

fn mapping_result(change: &MappingChange) -> Markup {
    let rule = format!("{} → {}", matcher_text(&change.rule.matcher), change.rule.role);
    html! {
        div.mapping-result id="mapping-preview" role="status" {
            @if change.dry_run {
                p { strong { "Preview" } " (nothing was written): mapping " (rule) " would be " (change.action) "." }
            } @else {
                p { "Mapping " (rule) " " (change.action) "." }
            }
            @for warning in &change.warnings { p.alert.alert-warning { (warning) } }
            @if change.changes.is_empty() {
                p id="mapping-changes-count" { "No user " @if change.dry_run { "would change" } @else { "changed" } " role." }
            } @else {
                p id="mapping-changes-count" { (change.changes.len()) " user(s) " @if change.dry_run { "would change" } @else { "changed" } " role:" }
                table {
                    caption.visually-hidden { "Users whose role changes" }
                    thead { tr { th scope="col" { "User" } th scope="col" { "Role now" } th scope="col" { "New role" } th scope="col" { "Why" } } }
                    tbody {
                        @for c in &change.changes {
                            tr { td { (c.user_name) } td { (role_text(c.old)) } td { (role_text(c.new)) } td { (c.explanation) } }
                        }
                    }
                }
            }
        }
    }
}

fn mappings_section(p: &OktaPage) -> Markup {
    let draft = p
        .flash
        .mapping_draft
        .clone()
        .unwrap_or_else(|| MappingDraft { role: Role::Viewer.as_str().to_owned(), ..MappingDraft::default() });
    html! {
        section id="mappings" aria-labelledby="mappings-title" {
            h2 id="mappings-title" { "Group → role mapping" }
            (section_messages(&p.flash, "mappings"))
            @if let Some(change) = &p.flash.mapping { (mapping_result(change)) }
            table id="mapping-table" {
                caption.visually-hidden { "Okta group to StackFlow role rules" }
                thead { tr { th scope="col" { "Okta group" } th scope="col" { "StackFlow role" } th scope="col" { "Actions" } } }
                tbody {
                    @for rule in &p.mappings.rules {
                        tr {
                            td { (matcher_text(&rule.matcher)) }
                            td { (rule.role) }
                            td {
                                @if let GroupMatcher::DisplayName(name) = &rule.matcher {
                                    form.inline method="post" action="/admin/integrations/okta/mappings/remove" {
                                        (csrf_field(&p.csrf))
                                        input type="hidden" name="group" value=(name);
                                        button type="submit" name="action" value="preview" aria-label={ "Preview removing " (name) } { "Preview removal" }
                                        " "
                                        button type="submit" name="action" value="apply" aria-label={ "Remove " (name) } { "Remove" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            p { "Users in no mapped group get: " strong { (role_text(p.mappings.default_role)) } }
            @if !p.mappings.problems.is_empty() {
                ul.problems {
                    @for problem in &p.mappings.problems {
                        li { (if problem.kind.is_informational() { "Note: " } else { "Warning: " }) (problem.reason) }
                    }
                }
            }
            form method="post" action="/admin/integrations/okta/mappings" {
                (csrf_field(&p.csrf))
                fieldset {
                    legend { "Map an Okta group" }
                    div.field {
                        label for="map-group" { "Okta group (display name, as pushed)" }
                        input type="text" id="map-group" name="group" value=(draft.group) required autocomplete="off" spellcheck="false";
                    }
                    div.field {
                        label for="map-role" { "StackFlow role" }
                        (role_select("map-role", &draft.role))
                    }
                    div.field.checkbox {
                        input type="checkbox" id="map-replace" name="replace" value="on" checked[draft.replace];
                        label for="map-replace" { "Replace the group's existing mapping" }
                    }
                }
                div.buttons {
                    button type="submit" name="action" value="preview" { "Preview" }
                    button.primary type="submit" name="action" value="apply" { "Add mapping" }
                }
            }
        }
    }
}

fn doctor_section(p: &OktaPage) -> Markup {
    html! {
        section id="doctor" aria-labelledby="doctor-title" {
            h2 id="doctor-title" { "Doctor" }
            @if p.doctor.checks.is_empty() {
                p id="doctor-ok" { "No problem found." }
            } @else {
                (checks("doctor-findings", &p.doctor.checks))
            }
        }
    }
}

/// An audit event's detail on one line, cut to a readable length.
fn detail_text(detail: &serde_json::Value) -> String {
    const MAX: usize = 160;
    let text = match detail {
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    };
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

fn activity_section(p: &OktaPage) -> Markup {
    html! {
        section id="activity" aria-labelledby="activity-title" {
            h2 id="activity-title" { "Recent provisioning activity" }
            @if p.activity.is_empty() {
                p { "No activity recorded." }
            } @else {
                table id="activity-table" {
                    caption.visually-hidden { "Audit events, newest first" }
                    thead { tr { th scope="col" { "When (UTC)" } th scope="col" { "Who" } th scope="col" { "What" } th scope="col" { "Resource" } th scope="col" { "Detail" } } }
                    tbody {
                        @for e in &p.activity {
                            tr {
                                td { (format_time(Some(e.at))) }
                                td { (e.actor) }
                                td { (e.action) }
                                td { (e.resource_type) @if let Some(id) = &e.resource_id { " " code { (id) } } }
                                td.detail { (detail_text(&e.detail)) }
                            }
                        }
                    }
                }
            }
            nav.pager aria-label="Activity pages" {
                @if p.activity_before.is_some() { a href="/admin/integrations/okta#activity" { "Newest" } " " }
                @if let Some(next) = p.activity_next { a href={ "/admin/integrations/okta?before=" (next) "#activity" } { "Older" } }
            }
        }
    }
}

fn outbox_section(o: &OutboxStatus) -> Markup {
    html! {
        section id="outbox" aria-labelledby="outbox-title" {
            h2 id="outbox-title" { "Cognito mirror outbox" }
            dl.status {
                dt { "Pending" } dd { (o.pending) }
                dt { "Retrying" } dd { (o.retrying) }
                dt { "Dead" } dd { (o.dead) }
                dt { "Delivered" } dd { (o.done) }
                dt { "Oldest pending" } dd { (format_time(o.oldest_pending_at)) }
            }
            @if o.dead > 0 {
                p.alert.alert-failed { "Some changes were given up on: see stackflow-admin outbox list --failed, then stackflow-admin outbox retry." }
            }
        }
    }
}

/// A step's state as text (the mark is decoration: the word says it).
fn step_state(status: StepStatus) -> (&'static str, &'static str, &'static str) {
    match status {
        StepStatus::Passed => ("✓", "passed", "badge badge-ok"),
        StepStatus::Waiting => ("⏳", "waiting", "badge badge-warning"),
        StepStatus::Failed => ("✗", "failed", "badge badge-failed"),
        StepStatus::Skipped => ("–", "skipped", "badge badge-skipped"),
    }
}

fn verify_section(p: &OktaPage) -> Markup {
    html! {
        section id="verify" aria-labelledby="verify-title" {
            h2 id="verify-title" { "Testing the integration" }
            p {
                "The Okta guide's four checks, judged from the audit log (as " code { "stackflow-admin verify" }
                " does): start, do each step in Okta, then refresh."
            }
            form method="post" action="/admin/integrations/okta/verify" {
                (csrf_field(&p.csrf))
                label for="verify-user" { "Test user's userName (optional)" }
                input type="text" id="verify-user" name="user" autocomplete="off" aria-describedby="verify-user-hint"
                    value=[p.verification.as_ref().and_then(|v| v.user.as_deref())];
                p.hint id="verify-user-hint" { "Empty: the first user SCIM creates from now on." }
                button.primary type="submit" { "Start verification" }
            }
            @if let Some(v) = &p.verification {
                ol.checks id="verify-steps" {
                    @for r in &v.steps {
                        @let (mark, state, class) = step_state(r.status);
                        li.check id={ "verify-step-" (r.step) } data-step=(r.step) data-status=(state) {
                            span class=(class) { span aria-hidden="true" { (mark) } " " (state) } " "
                            strong { "Step " (r.step) ": " (r.title) } br;
                            (r.message)
                            @if r.status == StepStatus::Waiting {
                                @if let Some(step) = Step::from_number(r.step) {
                                    br; span.todo { "To do: " (step.instruction()) }
                                }
                            }
                            @if let Some(fix) = &r.fix { br; span.fix { "Fix: " (fix) } }
                        }
                    }
                }
                p { a id="verify-refresh" href=(v.refresh) { "Refresh" } " (judges the steps again)" }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_are_cut_on_a_character_boundary() {
        assert_eq!(detail_text(&serde_json::Value::Null), "");
        let long = serde_json::Value::String("é".repeat(300));
        let text = detail_text(&long);
        assert!(text.ends_with('…') && text.chars().count() == 161, "{text}");
    }

    #[test]
    fn the_login_page_explains_a_missing_token() {
        assert!(login(false, false, None).contains("STACKFLOW__ADMIN__BOOTSTRAP_TOKEN"));
        assert!(!login(false, false, None).contains("<form"));
        assert!(login(true, false, Some("wrong admin token")).contains("wrong admin token"));
        assert!(login(true, false, None).contains("Okta sign-in is not configured"));
        assert!(login(true, true, None).contains("/auth/okta/login?return_to=/admin/sso"));
    }
}
