//! Okta's Push Groups traffic, replayed: create, rename, membership changes, lookups, delete; and the
//! all-or-nothing rule for unknown members.

use crate::helpers::{assert_scim_error, enc, patch, spawn_app, GROUP_SCHEMA};
use serde_json::{json, Value};

fn id_of(resource: &Value) -> String {
    resource["id"].as_str().expect("resource without an id").to_owned()
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

#[tokio::test]
async fn okta_push_groups_flow() {
    let app = spawn_app().await;
    let alice = app.create_user_from(&crate::helpers::okta_user("alice.kim@example.com", "Alice", "Kim")).await;
    let uid = id_of(&alice);
    let bob = id_of(&app.create_user("bob.lee@example.com").await);

    // Push: Okta creates the group empty.
    let body = json!({ "schemas": [GROUP_SCHEMA], "displayName": "StackFlow-Agents", "members": [] });
    let res = app.post("/Groups", &body).await.scim(201);
    let gid = id_of(&res.body);
    let location = res.body["meta"]["location"].as_str().expect("meta.location").to_owned();
    assert_eq!(location, format!("{}/Groups/{gid}", app.base));
    assert_eq!(res.header("location"), location);
    assert_eq!(res.header("etag"), res.body["meta"]["version"].as_str().expect("meta.version"));
    assert_eq!(res.body["displayName"], "StackFlow-Agents");
    assert_eq!(res.body["schemas"], json!([GROUP_SCHEMA]));
    assert_eq!(res.body["meta"]["resourceType"], "Group");
    assert!(res.body.get("members").is_none(), "{}", res.body);

    // Rename: a path-less replace repeating the group's own id.
    let rename = patch(json!([{ "op": "replace", "value": { "id": gid, "displayName": "StackFlow-Agents-Tier1" } }]));
    let res = app.patch(&format!("/Groups/{gid}"), &rename).await.scim(200);
    assert_eq!(res.body["displayName"], "StackFlow-Agents-Tier1");
    assert_eq!(res.body["id"], json!(gid));

    // Add a member.
    let add = patch(
        json!([{ "op": "add", "path": "members", "value": [{ "value": uid, "display": "alice.kim@example.com" }] }]),
    );
    app.patch(&format!("/Groups/{gid}"), &add).await.scim(200);
    let group = app.get(&format!("/Groups/{gid}")).await.scim(200).body;
    let members = group["members"].as_array().expect("members");
    assert_eq!(members.len(), 1, "{group}");
    assert_eq!(members[0]["value"], json!(uid));
    assert_eq!(members[0]["type"], "User");
    assert_eq!(members[0]["$ref"], json!(format!("{}/Users/{uid}", app.base)));
    assert_eq!(members[0]["display"], "alice.kim@example.com", "the display Okta sent");

    // The user shows the group.
    let user = app.get(&format!("/Users/{uid}")).await.scim(200).body;
    assert_eq!(user["groups"].as_array().map(Vec::len), Some(1), "{user}");
    assert_eq!(user["groups"][0]["value"], json!(gid));
    assert_eq!(user["groups"][0]["display"], "StackFlow-Agents-Tier1");
    assert_eq!(user["groups"][0]["$ref"], json!(format!("{}/Groups/{gid}", app.base)));
    // Lists show it too, and it can be filtered on.
    let by_group = app.find_users(&format!(r#"groups.value eq "{gid}""#)).await;
    assert_eq!(by_group["totalResults"], json!(1));
    assert_eq!(by_group["Resources"][0]["groups"][0]["value"], json!(gid));

    // Lookup by name, as Okta does before pushing.
    let path = format!("/Groups?filter={}&startIndex=1&count=100", enc(r#"displayName eq "StackFlow-Agents-Tier1""#));
    let found = app.get(&path).await.scim(200).body;
    assert_eq!(found["totalResults"], json!(1), "{found}");
    assert_eq!(found["Resources"][0]["id"], json!(gid));
    let path = format!("/Groups?filter={}", enc(r#"displayName eq "stackflow-agents""#));
    assert_eq!(app.get(&path).await.scim(200).body["totalResults"], json!(0), "the old name is gone");

    // Members can be left out of the answer.
    let res = app.get(&format!("/Groups/{gid}?excludedAttributes=members")).await.scim(200);
    assert!(res.body.get("members").is_none(), "{}", res.body);
    assert_eq!(res.body["displayName"], "StackFlow-Agents-Tier1");
    assert_eq!(res.body["id"], json!(gid));
    let res =
        app.get(&format!("/Groups?filter={}&excludedAttributes=members", enc(r#"displayName sw "StackFlow""#))).await;
    let res = res.scim(200);
    assert_eq!(res.body["totalResults"], json!(1));
    assert!(res.body["Resources"][0].get("members").is_none(), "{}", res.body);

    // Remove it with a value filter.
    let remove = patch(json!([{ "op": "remove", "path": format!("members[value eq \"{uid}\"]") }]));
    app.patch(&format!("/Groups/{gid}"), &remove).await.scim(200);
    assert!(app.member_ids(&gid).await.is_empty());
    assert!(app.get(&format!("/Users/{uid}")).await.scim(200).body.get("groups").is_none());

    // Replace the whole member list, then empty it.
    let replace = patch(json!([{ "op": "replace", "path": "members", "value": [{ "value": uid }, { "value": bob }] }]));
    app.patch(&format!("/Groups/{gid}"), &replace).await.scim(200);
    assert_eq!(app.member_ids(&gid).await, sorted(vec![uid.clone(), bob.clone()]));
    let replace = patch(json!([{ "op": "replace", "path": "members", "value": [{ "value": bob }] }]));
    app.patch(&format!("/Groups/{gid}"), &replace).await.scim(200);
    assert_eq!(app.member_ids(&gid).await, vec![bob.clone()]);
    let empty = patch(json!([{ "op": "replace", "path": "members", "value": [] }]));
    let res = app.patch(&format!("/Groups/{gid}"), &empty).await.scim(200);
    assert!(res.body.get("members").is_none(), "{}", res.body);
    assert!(app.member_ids(&gid).await.is_empty());

    // Delete it.
    app.patch(&format!("/Groups/{gid}"), &replace).await.scim(200);
    let res = app.delete(&format!("/Groups/{gid}")).await.expect(204);
    assert!(res.text.is_empty());
    let detail = assert_scim_error(&app.get(&format!("/Groups/{gid}")).await, 404, None);
    assert!(detail.contains(&gid), "{detail}");
    assert_scim_error(&app.patch(&format!("/Groups/{gid}"), &replace).await, 404, None);
    assert_scim_error(&app.delete(&format!("/Groups/{gid}")).await, 404, None);
    // Its members survive, without it.
    let bob_now = app.get(&format!("/Users/{bob}")).await.scim(200).body;
    assert!(bob_now.get("groups").is_none(), "{bob_now}");
}

#[tokio::test]
async fn unknown_members_are_refused_and_nothing_changes() {
    let app = spawn_app().await;
    let alice = id_of(&app.create_user("alice.moss@example.com").await);
    let bob = id_of(&app.create_user("bob.nash@example.com").await);
    let ghost = "7d0f6a52-0000-4000-8000-00000000dead";

    // POST with an unknown member: refused, and no group is left behind.
    let body = json!({ "schemas": [GROUP_SCHEMA], "displayName": "Ghosts", "members": [{ "value": alice }, { "value": ghost }] });
    let res = app.post("/Groups", &body).await;
    let detail = assert_scim_error(&res, 400, Some("invalidValue"));
    assert!(detail.contains(ghost), "{detail}");
    assert!(!detail.contains(&alice), "only unknown ids are named: {detail}");
    let path = format!("/Groups?filter={}", enc(r#"displayName eq "Ghosts""#));
    assert_eq!(app.get(&path).await.scim(200).body["totalResults"], json!(0));

    // PATCH mixing good changes with an unknown member: none of it applies.
    let group = app.create_group("Tier2").await;
    let gid = id_of(&group);
    app.patch(
        &format!("/Groups/{gid}"),
        &patch(json!([{ "op": "add", "path": "members", "value": [{ "value": alice }] }])),
    )
    .await
    .scim(200);
    let before = app.get(&format!("/Groups/{gid}")).await.scim(200).body;

    let mixed = patch(json!([
        { "op": "replace", "value": { "displayName": "Tier2-Renamed" } },
        { "op": "remove", "path": format!("members[value eq \"{alice}\"]") },
        { "op": "add", "path": "members", "value": [{ "value": bob }] },
        { "op": "add", "path": "members", "value": [{ "value": ghost }] }
    ]));
    let res = app.patch(&format!("/Groups/{gid}"), &mixed).await;
    let detail = assert_scim_error(&res, 400, Some("invalidValue"));
    assert!(detail.contains(ghost), "{detail}");
    let after = app.get(&format!("/Groups/{gid}")).await.scim(200).body;
    assert_eq!(after, before, "a refused PATCH must change nothing");
    assert_eq!(app.member_ids(&gid).await, vec![alice.clone()]);

    // A replace naming an unknown member keeps the old list too.
    let replace =
        patch(json!([{ "op": "replace", "path": "members", "value": [{ "value": bob }, { "value": ghost }] }]));
    assert_scim_error(&app.patch(&format!("/Groups/{gid}"), &replace).await, 400, Some("invalidValue"));
    assert_eq!(app.member_ids(&gid).await, vec![alice.clone()]);

    // So does a PUT.
    let put = json!({ "schemas": [GROUP_SCHEMA], "displayName": "Tier2", "members": [{ "value": ghost }] });
    assert_scim_error(&app.put(&format!("/Groups/{gid}"), &put).await, 400, Some("invalidValue"));
    assert_eq!(app.get(&format!("/Groups/{gid}")).await.scim(200).body, before);

    // A deleted user is unknown as well.
    app.delete(&format!("/Users/{bob}")).await.expect(204);
    let add = patch(json!([{ "op": "add", "path": "members", "value": [{ "value": bob }] }]));
    let detail = assert_scim_error(&app.patch(&format!("/Groups/{gid}"), &add).await, 400, Some("invalidValue"));
    assert!(detail.contains(&bob), "{detail}");
}

#[tokio::test]
async fn adding_the_same_member_twice_is_idempotent() {
    let app = spawn_app().await;
    let alice = id_of(&app.create_user("alice.owen@example.com").await);
    let gid = id_of(&app.create_group("Tier3").await);
    let add = patch(json!([{ "op": "add", "path": "members", "value": [{ "value": alice }] }]));
    app.patch(&format!("/Groups/{gid}"), &add).await.scim(200);
    app.patch(&format!("/Groups/{gid}"), &add).await.scim(200);
    assert_eq!(app.member_ids(&gid).await, vec![alice.clone()]);

    // Twice in one request, and in one operation.
    let twice = patch(json!([
        { "op": "add", "path": "members", "value": [{ "value": alice }, { "value": alice }] },
        { "op": "add", "path": "members", "value": [{ "value": alice }] }
    ]));
    app.patch(&format!("/Groups/{gid}"), &twice).await.scim(200);
    assert_eq!(app.member_ids(&gid).await, vec![alice.clone()]);

    // Removing a member that is not there is a no-op, too.
    let remove = patch(json!([{ "op": "remove", "path": "members[value eq \"not-a-member\"]" }]));
    app.patch(&format!("/Groups/{gid}"), &remove).await.scim(200);
    assert_eq!(app.member_ids(&gid).await, vec![alice]);
}

#[tokio::test]
async fn group_put_and_entra_member_removal() {
    let app = spawn_app().await;
    let alice = id_of(&app.create_user("alice.pike@example.com").await);
    let bob = id_of(&app.create_user("bob.quinn@example.com").await);
    let body = json!({ "schemas": [GROUP_SCHEMA], "displayName": "Tier4", "externalId": "okta-g-4", "members": [{ "value": alice }] });
    let created = app.post("/Groups", &body).await.scim(201).body;
    let gid = id_of(&created);
    assert_eq!(created["externalId"], "okta-g-4");
    assert_eq!(created["members"].as_array().map(Vec::len), Some(1));

    // PUT replaces the document and the member list.
    let put = json!({ "schemas": [GROUP_SCHEMA], "id": gid, "displayName": "Tier4-Put", "externalId": "okta-g-4", "members": [{ "value": bob }] });
    let res = app.put(&format!("/Groups/{gid}"), &put).await.scim(200);
    assert_eq!(res.body["displayName"], "Tier4-Put");
    assert_ne!(res.body["meta"]["version"], created["meta"]["version"]);
    assert_eq!(app.member_ids(&gid).await, vec![bob.clone()]);

    // Entra removes members with `path: "members"` and a value listing them.
    let add = patch(json!([{ "op": "Add", "path": "members", "value": [{ "value": alice }] }]));
    app.patch(&format!("/Groups/{gid}"), &add).await.scim(200);
    let remove = patch(json!([{ "op": "Remove", "path": "members", "value": [{ "value": bob }] }]));
    app.patch(&format!("/Groups/{gid}?excludedAttributes=members"), &remove).await.scim(200);
    assert_eq!(app.member_ids(&gid).await, vec![alice.clone()]);

    // The PATCH answer honours excludedAttributes.
    let res = app.patch(&format!("/Groups/{gid}?excludedAttributes=members"), &add).await.scim(200);
    assert!(res.body.get("members").is_none(), "{}", res.body);
    assert_eq!(res.body["displayName"], "Tier4-Put");

    // Removing every member with a bare path.
    let clear = patch(json!([{ "op": "remove", "path": "members" }]));
    app.patch(&format!("/Groups/{gid}"), &clear).await.scim(200);
    assert!(app.member_ids(&gid).await.is_empty());
}

/// A group PATCH answers 200 with the whole group by default; `without_members` leaves the member
/// list out unless `attributes=members` asks for it; `no_content` answers 204 with the new ETag.
/// The last two keep a membership change O(changes) on large groups.
#[tokio::test]
async fn group_patch_response_modes() {
    async fn setup(mode: provider::GroupPatchResponse) -> (crate::helpers::TestApp, String, Value) {
        let app = crate::helpers::spawn_app_with(|c| c.group_patch_response = mode).await;
        let uid = id_of(&app.create_user("carol@example.com").await);
        let gid = id_of(&app.create_group("StackFlow-Viewers").await);
        let add = patch(json!([{ "op": "add", "path": "members", "value": [{ "value": uid }] }]));
        (app, gid, add)
    }

    let (app, gid, add) = setup(provider::GroupPatchResponse::Full).await;
    let res = app.patch(&format!("/Groups/{gid}"), &add).await.scim(200);
    assert_eq!(res.body["members"].as_array().map(Vec::len), Some(1), "{}", res.body);

    let (app, gid, add) = setup(provider::GroupPatchResponse::WithoutMembers).await;
    let res = app.patch(&format!("/Groups/{gid}"), &add).await.scim(200);
    assert!(res.body.get("members").is_none(), "{}", res.body);
    assert_eq!(res.header("etag"), res.body["meta"]["version"].as_str().expect("meta.version"));
    assert_eq!(res.body["meta"]["version"], "W/\"2\"");
    let res = app.patch(&format!("/Groups/{gid}?attributes=members"), &add).await.scim(200);
    assert_eq!(res.body["members"].as_array().map(Vec::len), Some(1), "{}", res.body);

    let (app, gid, add) = setup(provider::GroupPatchResponse::NoContent).await;
    let res = app.patch(&format!("/Groups/{gid}"), &add).await.expect(204);
    assert_eq!(res.header("etag"), "W/\"2\"");
    assert_eq!(app.member_ids(&gid).await.len(), 1);
}
