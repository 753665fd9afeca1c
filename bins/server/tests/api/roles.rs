//! Okta group → StackFlow role: Okta's Push Groups traffic replayed, roles asserted through the
//! provider (what StackFlow itself reads), on SQLite and on PostgreSQL.

use crate::helpers::{patch, spawn_app, TestApp, GROUP_SCHEMA};
use provider::roles::KEPT_ACTIVE_FLAG;
use provider::{IntegrationSettings, UserAccount};
use rolemap::Role;
use serde_json::{json, Value};
use std::fmt::Debug;

#[track_caller]
fn check<T: PartialEq + Debug>(case: &str, got: T, want: T) {
    assert_eq!(got, want, "case: {case}");
}

async fn account(app: &TestApp, user_name: &str) -> UserAccount {
    app.provider.account(user_name).await.expect("reading the account failed").expect("no such user")
}

async fn role(app: &TestApp, user_name: &str) -> Option<Role> {
    account(app, user_name).await.role
}

async fn user_id(app: &TestApp, user_name: &str) -> String {
    app.create_user(user_name).await["id"].as_str().expect("user id").to_owned()
}

/// Pushes a group with these members, as Okta's Push Groups does, and returns its id.
async fn push_group(app: &TestApp, name: &str, members: &[&str]) -> String {
    let members: Vec<Value> = members.iter().map(|id| json!({ "value": id, "display": id })).collect();
    let body = json!({ "schemas": [GROUP_SCHEMA], "displayName": name, "members": members });
    app.post("/Groups", &body).await.scim(201).body["id"].as_str().expect("group id").to_owned()
}

async fn add_member(app: &TestApp, group: &str, user: &str) {
    let body = patch(json!([{ "op": "add", "path": "members", "value": [{ "value": user }] }]));
    app.patch(&format!("/Groups/{group}"), &body).await.scim(200);
}

async fn remove_member(app: &TestApp, group: &str, user: &str) {
    let body = patch(json!([{ "op": "remove", "path": format!("members[value eq \"{user}\"]") }]));
    app.patch(&format!("/Groups/{group}"), &body).await.scim(200);
}

async fn save(app: &TestApp, settings: IntegrationSettings) {
    app.provider.save_settings(&settings, "test").await.expect("saving the settings failed");
}

/// How many `user.role_changed` events the audit log holds about `user_id`.
async fn role_events(app: &TestApp, user_id: &str) -> usize {
    let events = store::audit::recent(app.provider.store().conn(), 1000, Some(user_id), None).await.expect("audit");
    events.iter().filter(|e| e.action == "user.role_changed").count()
}

#[tokio::test]
async fn push_groups_assign_roles_by_precedence() {
    let app = spawn_app().await;
    let ada = user_id(&app, "ada@example.com").await;
    check("new user, no default role", role(&app, "ada@example.com").await, None);

    let agents = push_group(&app, "StackFlow-Agents", &[&ada]).await;
    check("pushed with StackFlow-Agents", role(&app, "ada@example.com").await, Some(Role::ItsmAgent));

    let admins = push_group(&app, "StackFlow-Admins", &[]).await;
    add_member(&app, &admins, &ada).await;
    check("added to StackFlow-Admins", role(&app, "ada@example.com").await, Some(Role::SuperAdmin));

    remove_member(&app, &admins, &ada).await;
    check("removed from StackFlow-Admins", role(&app, "ada@example.com").await, Some(Role::ItsmAgent));

    // Okta renames the group: the rule followed it by id, so the role stays.
    let rename = patch(json!([{ "op": "replace", "value": { "id": agents, "displayName": "Agents (renamed)" } }]));
    app.patch(&format!("/Groups/{agents}"), &rename).await.scim(200);
    check("group renamed in Okta", role(&app, "ada@example.com").await, Some(Role::ItsmAgent));

    let explained = app.provider.explain_user("ADA@example.com").await.unwrap().unwrap();
    check("explanation", explained.explanation.as_str(), "member of Agents (renamed) (itsm_agent)");
    check("one audit event per change", role_events(&app, &ada).await, 3);

    app.delete(&format!("/Groups/{agents}")).await.expect(204);
    check("group deleted", role(&app, "ada@example.com").await, None);
}

#[tokio::test]
async fn deprovisioning_and_deactivate_on_offboard() {
    let app = spawn_app().await;
    let grace = user_id(&app, "grace@example.com").await;
    push_group(&app, "StackFlow-Viewers", &[&grace]).await;
    let deactivate = patch(json!([{ "op": "replace", "value": { "active": false } }]));
    app.patch(&format!("/Users/{grace}"), &deactivate).await.expect(200);

    let a = account(&app, "grace@example.com").await;
    check(
        "deactivated: disabled",
        (a.active_in_okta, a.enabled, a.flag, a.role),
        (false, false, None, Some(Role::Viewer)),
    );

    save(&app, IntegrationSettings { scim_enabled: true, deactivate_on_offboard: false, ..Default::default() }).await;
    let a = account(&app, "grace@example.com").await;
    check("kept active by setting", (a.active_in_okta, a.enabled, a.flag), (false, true, Some(KEPT_ACTIVE_FLAG)));

    let reactivate = patch(json!([{ "op": "replace", "value": { "active": true } }]));
    app.patch(&format!("/Users/{grace}"), &reactivate).await.expect(200);
    let a = account(&app, "grace@example.com").await;
    check("reactivated", (a.active_in_okta, a.enabled, a.flag, a.role), (true, true, None, Some(Role::Viewer)));
}

#[tokio::test]
async fn group_sync_off_leaves_roles_alone() {
    let app = spawn_app().await;
    save(&app, IntegrationSettings { scim_enabled: true, group_sync: Some(false), ..Default::default() }).await;
    let bob = user_id(&app, "bob@example.com").await;
    let admins = push_group(&app, "StackFlow-Admins", &[&bob]).await;
    check("group stored", app.member_ids(&admins).await, vec![bob.clone()]);
    check("role untouched", role(&app, "bob@example.com").await, None);
    check("no audit event", role_events(&app, &bob).await, 0);

    let explained = app.provider.explain_user("bob@example.com").await.unwrap().unwrap();
    check("rules would give", (explained.resolution.role, explained.group_sync), (Some(Role::SuperAdmin), false));

    // Group Sync back on: the next change to the group recomputes its members.
    save(&app, IntegrationSettings { scim_enabled: true, group_sync: Some(true), ..Default::default() }).await;
    let carol = user_id(&app, "carol@example.com").await;
    add_member(&app, &admins, &carol).await;
    check("touched member", role(&app, "carol@example.com").await, Some(Role::SuperAdmin));
    check("untouched member", role(&app, "bob@example.com").await, None);
}

#[tokio::test]
async fn membership_changes_recompute_only_the_users_they_touch() {
    let app = spawn_app().await;
    let mut first = Vec::new();
    for n in 0..5 {
        first.push(user_id(&app, &format!("first{n}@example.com")).await);
    }
    let refs: Vec<&str> = first.iter().map(String::as_str).collect();
    let viewers = push_group(&app, "StackFlow-Viewers", &refs).await;
    let mut second = Vec::new();
    for n in 0..3 {
        second.push(user_id(&app, &format!("second{n}@example.com")).await);
    }
    let add: Vec<Value> = second.iter().map(|id| json!({ "value": id })).collect();
    app.patch(&format!("/Groups/{viewers}"), &patch(json!([{ "op": "add", "path": "members", "value": add }])))
        .await
        .scim(200);
    for id in first.iter().chain(&second) {
        check("one role change each", role_events(&app, id).await, 1);
    }

    // PUT replaces the member list: the previous members lose the role, the new ones keep it.
    let body = json!({
        "schemas": [GROUP_SCHEMA],
        "displayName": "StackFlow-Viewers",
        "members": second.iter().map(|id| json!({ "value": id })).collect::<Vec<_>>(),
    });
    app.put(&format!("/Groups/{viewers}"), &body).await.expect(200);
    check("replaced out", role(&app, "first0@example.com").await, None);
    check("kept", role(&app, "second0@example.com").await, Some(Role::Viewer));
    check("kept members not re-audited", role_events(&app, &second[0]).await, 1);
}

#[tokio::test]
async fn mapping_changes_recompute_roles() {
    let app = spawn_app().await;
    let dan = user_id(&app, "dan@example.com").await;
    let finance = push_group(&app, "Finance", &[&dan]).await;
    let unmapped = app.provider.unmapped_groups().await.unwrap();
    check("unmapped", unmapped.iter().map(|u| (u.group.id.clone(), u.members)).collect(), vec![(finance.clone(), 1)]);

    let preview = app.provider.set_mapping("finance", "itsm_manager", false, true, "test").await.unwrap();
    let previewed: Vec<_> = preview.changes.iter().map(|c| (c.user_name.as_str(), c.old, c.new)).collect();
    check("dry run preview", previewed, vec![("dan@example.com", None, Some(Role::ItsmManager))]);
    check("dry run writes nothing", role(&app, "dan@example.com").await, None);

    let applied = app.provider.set_mapping("finance", "itsm_manager", false, false, "test").await.unwrap();
    check("applied", (applied.roles_recomputed, applied.changes.len()), (true, 1));
    check("recomputed", role(&app, "dan@example.com").await, Some(Role::ItsmManager));
    check("now mapped", app.provider.unmapped_groups().await.unwrap().len(), 0);

    let refused = [
        ("duplicate", app.provider.set_mapping("FINANCE", "itsm_manager", false, false, "test").await),
        ("conflict", app.provider.set_mapping("Finance", "viewer", false, false, "test").await),
        ("unknown role", app.provider.set_mapping("Finance", "admin", true, false, "test").await),
    ];
    for (case, result) in refused {
        check(case, result.is_err(), true);
    }

    let replaced = app.provider.set_mapping("Finance", "viewer", true, false, "test").await.unwrap();
    check("replaced", (replaced.action, replaced.previous_role), ("replaced", Some(Role::ItsmManager)));
    check("replaced role", role(&app, "dan@example.com").await, Some(Role::Viewer));

    let later = app.provider.set_mapping("Not-Pushed-Yet", "viewer", false, false, "test").await.unwrap();
    check("warned", later.warnings.iter().any(|w| w.contains("no pushed group is named")), true);

    app.provider.remove_mapping("finance", false, "test").await.unwrap();
    check("mapping removed", role(&app, "dan@example.com").await, None);
    check("remove unknown", app.provider.remove_mapping("finance", false, "test").await.is_err(), true);
}

#[tokio::test]
async fn new_users_get_the_default_role() {
    let app = spawn_app().await;
    let conn = app.provider.store().conn();
    store::roles::set_default_role(conn, Some(Role::Viewer), store::time::now()).await.unwrap();
    user_id(&app, "erin@example.com").await;
    check("default role", role(&app, "erin@example.com").await, Some(Role::Viewer));
}

/// With an instance-wide default role, a user Okta creates (in no group yet) gets it at once, and a
/// mapped group still outranks it.
#[tokio::test]
async fn a_new_user_gets_the_default_role() {
    let app = spawn_app().await;
    let conn = app.provider.store().conn();
    store::roles::set_default_role(conn, Some(Role::Viewer), store::time::now()).await.expect("default role");
    let ada = user_id(&app, "ada@example.com").await;
    check("default role on create", role(&app, "ada@example.com").await, Some(Role::Viewer));
    check("audited", role_events(&app, &ada).await, 1);
    push_group(&app, "StackFlow-Agents", &[&ada]).await;
    check("mapped group wins", role(&app, "ada@example.com").await, Some(Role::ItsmAgent));
}

/// A user created without `active` (it stays absent and means active) is an ordinary member: the
/// role machinery reads the missing value as active.
#[tokio::test]
async fn a_user_without_active_can_be_grouped() {
    let app = spawn_app().await;
    let body = json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "noactive@example.com" });
    let created = app.post("/Users", &body).await.scim(201).body;
    assert!(created.get("active").is_none(), "{created}");
    let id = created["id"].as_str().expect("user id").to_owned();
    push_group(&app, "StackFlow-Agents", &[&id]).await;
    check("role", role(&app, "noactive@example.com").await, Some(Role::ItsmAgent));
    check("enabled", account(&app, "noactive@example.com").await.enabled, true);
}

#[tokio::test]
async fn a_rename_with_member_changes_recomputes_members_and_the_removed() {
    let app = spawn_app().await;
    let (ada, bob, cy) = (
        user_id(&app, "ada@example.com").await,
        user_id(&app, "bob@example.com").await,
        user_id(&app, "cy@example.com").await,
    );
    let finance = push_group(&app, "Finance", &[&ada, &bob]).await;
    check("unmapped", role(&app, "bob@example.com").await, None);

    // One PATCH: renamed into a mapping, ada removed, cy added.
    let body = patch(json!([
        { "op": "replace", "path": "displayName", "value": "StackFlow-Viewers" },
        { "op": "remove", "path": format!("members[value eq \"{ada}\"]") },
        { "op": "add", "path": "members", "value": [{ "value": cy }] },
    ]));
    app.patch(&format!("/Groups/{finance}"), &body).await.scim(200);
    check("kept member", role(&app, "bob@example.com").await, Some(Role::Viewer));
    check("added member", role(&app, "cy@example.com").await, Some(Role::Viewer));
    check("removed member", role(&app, "ada@example.com").await, None);

    // Renamed away (the rule follows the group by id) while bob leaves: bob loses the role, cy keeps it.
    let body = patch(json!([
        { "op": "replace", "path": "displayName", "value": "Finance" },
        { "op": "remove", "path": format!("members[value eq \"{bob}\"]") },
    ]));
    app.patch(&format!("/Groups/{finance}"), &body).await.scim(200);
    check("removed while renamed", role(&app, "bob@example.com").await, None);
    check("member after the rename", role(&app, "cy@example.com").await, Some(Role::Viewer));
    check("one change each", (role_events(&app, &bob).await, role_events(&app, &cy).await), (2, 1));
}

#[tokio::test]
async fn unmapped_groups_bear_on_roles_once_renamed_into_a_mapping() {
    let app = spawn_app().await;
    let ada = user_id(&app, "ada@example.com").await;
    let finance = push_group(&app, "Finance", &[]).await;
    add_member(&app, &finance, &ada).await;
    check("member of an unmapped group", role(&app, "ada@example.com").await, None);
    check("no role change recorded", role_events(&app, &ada).await, 0);

    // Okta renames it to a mapped name: every member is recomputed, and the rule binds to the group.
    let rename = |name: &str| patch(json!([{ "op": "replace", "value": { "id": finance, "displayName": name } }]));
    app.patch(&format!("/Groups/{finance}"), &rename("StackFlow-Viewers")).await.scim(200);
    check("renamed into a mapping", role(&app, "ada@example.com").await, Some(Role::Viewer));
    // Renamed away again, the bound rule follows the group by id.
    app.patch(&format!("/Groups/{finance}"), &rename("Finance")).await.scim(200);
    check("the rule follows the group", role(&app, "ada@example.com").await, Some(Role::Viewer));
    let bob = user_id(&app, "bob@example.com").await;
    add_member(&app, &finance, &bob).await;
    check("new members of the bound group", role(&app, "bob@example.com").await, Some(Role::Viewer));
    remove_member(&app, &finance, &ada).await;
    check("removed", role(&app, "ada@example.com").await, None);
}
