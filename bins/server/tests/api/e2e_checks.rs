//! The Okta guide's four "Testing the Integration" checks with no human: a scripted Okta drives a
//! real server — SCIM requests as Okta's client sends them, sign-in through the OIDC stand-in
//! (`oidc-provider-mock`) and the Cognito emulator (`moto_server`), from `sso.rs`'s harness. Each
//! check is asserted through the admin API and the emulated user pool, and `provider::verify` (what
//! `stackflow-admin verify` runs) is asked to judge the resulting audit stream: all four pass. A
//! request with a wrong SCIM token makes step 1's failure name the token fix.

use crate::helpers::{okta_user, patch, spawn_app, TestApp};
use crate::sso::{check_role, env, OKTA_SUB};
use provider::verify::{evaluate, evaluate_sequence, Step, StepResult, StepStatus, Subject};
use reqwest::Method;
use serde_json::{json, Value};
use sso_bridge::cognito::{CognitoClient, PoolUser};
use std::time::{Duration, Instant};

const USER: &str = "ada.e2e@example.com";

/// Polls the emulated pool until the user satisfies `ok` (bounded: 60 s).
async fn pool_user(pool: &CognitoClient, id: &str, ok: impl Fn(&PoolUser) -> bool) -> PoolUser {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(user) = pool.get(id).await.unwrap().filter(|u| ok(u)) {
            return user;
        }
        assert!(Instant::now() < deadline, "Cognito user {id} not as expected within 60 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn explain(app: &TestApp, user_name: &str) -> Value {
    app.admin(Method::GET, &format!("/users/{user_name}/explain"), None).await.expect(200).body
}

/// Judges `step` as `stackflow-admin verify` does: on the events after `cursor`, with the facts
/// (doctor's findings included) read now.
async fn judge(app: &TestApp, step: Step, subject: &Subject, cursor: i64) -> StepResult {
    let events = app.provider.audit_after(cursor, 10_000).await.unwrap();
    let facts = app.provider.verify_facts(subject.user_name.as_deref(), true).await.unwrap();
    evaluate(step, subject, &events, &facts)
}

fn passed(result: &StepResult, text: &str) {
    assert_eq!(result.status, StepStatus::Passed, "{result:?}");
    assert!(result.message.contains(text), "{text:?} not in {:?}", result.message);
}

#[tokio::test]
async fn the_guides_four_checks_pass_with_a_scripted_okta() {
    let env = env().await;
    let app = &env.app;
    let pool = CognitoClient::connect(&env.pool).await.unwrap();
    let start = app.provider.audit_cursor().await.unwrap();

    // 1. Assign a test user in Okta: Okta looks the userName up, then creates the user.
    let mut cursor = start;
    let found = app.find_users(&format!("userName eq \"{USER}\"")).await;
    assert_eq!(found["totalResults"], 0, "{found}");
    let mut body = okta_user(USER, "Ada", "Lovelace");
    body["externalId"] = json!(OKTA_SUB);
    let id = app.create_user_from(&body).await["id"].as_str().unwrap().to_owned();
    // Push Groups: both groups exist in StackFlow; the user starts among the agents.
    let agents = app.create_group("StackFlow-Agents").await["id"].as_str().unwrap().to_owned();
    let managers = app.create_group("StackFlow-ITSM-Managers").await["id"].as_str().unwrap().to_owned();
    let add = patch(json!([{ "op": "add", "path": "members", "value": [{ "value": id }] }]));
    app.patch(&format!("/Groups/{agents}"), &add).await.expect(200);
    assert_eq!(explain(app, USER).await["account"]["role"], "itsm_agent");
    pool_user(&pool, &id, |u| u.groups.contains("itsm_agent")).await;
    let step1 = judge(app, Step::AssignUser, &Subject::default(), cursor).await;
    passed(&step1, &format!("{USER} created by SCIM"));
    let subject = step1.user.clone();
    assert_eq!(subject.id.as_deref(), Some(id.as_str()));

    // 2. Change the user's group in Okta: added to the managers, removed from the agents.
    cursor = app.provider.audit_cursor().await.unwrap();
    app.patch(&format!("/Groups/{managers}"), &add).await.expect(200);
    let remove = patch(json!([{ "op": "remove", "path": format!("members[value eq \"{id}\"]") }]));
    app.patch(&format!("/Groups/{agents}"), &remove).await.expect(200);
    let explained = explain(app, USER).await;
    assert_eq!(explained["account"]["role"], "itsm_manager", "{explained}");
    pool_user(&pool, &id, |u| u.groups.len() == 1 && u.groups.contains("itsm_manager")).await;
    let step2 = judge(app, Step::ChangeGroup, &subject, cursor).await;
    passed(&step2, "itsm_agent → itsm_manager");

    // 3. Log into StackFlow using Okta SSO: the Cognito tokens claim the new role.
    cursor = app.provider.audit_cursor().await.unwrap();
    let (status, tokens) = env.sign_in(OKTA_SUB).await;
    assert_eq!(status, 200, "{tokens}");
    check_role(&tokens, "itsm_manager");
    let step3 = judge(app, Step::SsoLogin, &subject, cursor).await;
    passed(&step3, "custom:stackflow_role = itsm_manager, cognito:groups = [\"itsm_manager\"]");
    // The audit event carries the role, never a token.
    let events = app.provider.audit_after(cursor, 100).await.unwrap();
    let login = events.iter().find(|e| e.action == "sso.login").unwrap();
    let detail = login.detail.to_string();
    for token in [&tokens["access_token"], &tokens["id_token"]] {
        assert!(!detail.contains(token.as_str().unwrap()), "{detail}");
    }

    // 4. Unassign the user in Okta: active=false, and the account is disabled here and in Cognito.
    cursor = app.provider.audit_cursor().await.unwrap();
    let deactivate = patch(json!([{ "op": "replace", "value": { "active": false } }]));
    app.patch(&format!("/Users/{id}"), &deactivate).await.expect(200);
    let explained = explain(app, USER).await;
    assert_eq!(
        (&explained["account"]["active_in_okta"], &explained["account"]["enabled"]),
        (&json!(false), &json!(false))
    );
    pool_user(&pool, &id, |u| !u.enabled).await;
    let step4 = judge(app, Step::UnassignUser, &subject, cursor).await;
    passed(&step4, "deactivated");

    // The whole stream judged in one go, as a report would be.
    let events = app.provider.audit_after(start, 10_000).await.unwrap();
    let facts = app.provider.verify_facts(Some(USER), true).await.unwrap();
    let all = evaluate_sequence(&Step::ALL, &Subject::default(), &events, &facts);
    assert!(all.iter().all(|r| r.status == StepStatus::Passed), "{all:#?}");
}

#[tokio::test]
async fn a_rejected_scim_token_is_step_ones_diagnosis() {
    let app = spawn_app().await;
    let cursor = app.provider.audit_cursor().await.unwrap();
    let subject = Subject::named(USER);
    // Okta still holds an old token: its create is refused.
    let res = app
        .request_with_token(Method::POST, "/Users", Some("sfscim_not-the-current-token"))
        .json(&okta_user(USER, "Ada", "Lovelace"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    let step1 = judge(&app, Step::AssignUser, &subject, cursor).await.timed_out(1);
    assert_eq!(step1.status, StepStatus::Failed, "{step1:?}");
    assert!(step1.message.contains("SCIM token invalid: regenerate"), "{step1:?}");
    assert!(step1.fix.as_deref().unwrap_or("").contains("stackflow-admin scim-token generate"), "{step1:?}");

    // With the right token the same step passes, and the diagnosis is gone.
    app.create_user_from(&okta_user(USER, "Ada", "Lovelace")).await;
    passed(&judge(&app, Step::AssignUser, &subject, cursor).await, "created by SCIM");
}
