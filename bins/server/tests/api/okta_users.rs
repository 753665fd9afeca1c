//! Okta's user provisioning traffic, replayed: create, update, deactivate/reactivate, delete.

use crate::helpers::{assert_scim_error, okta_user, patch, spawn_app, LIST_SCHEMA, USER_SCHEMA};
use serde_json::{json, Value};

fn id_of(resource: &Value) -> String {
    resource["id"].as_str().expect("resource without an id").to_owned()
}

fn version_of(resource: &Value) -> String {
    resource["meta"]["version"].as_str().expect("resource without meta.version").to_owned()
}

#[tokio::test]
async fn okta_create_user_flow() {
    let app = spawn_app().await;

    // 1. Okta first asks whether the user exists.
    let list = app.find_users(r#"userName eq "isabella.chen@example.com""#).await;
    assert_eq!(list["schemas"], json!([LIST_SCHEMA]));
    assert_eq!(list["totalResults"], json!(0));
    assert!(list["totalResults"].is_u64(), "totalResults must be an integer: {list}");
    assert!(list["startIndex"].is_u64() && list["itemsPerPage"].is_u64(), "paging fields must be integers: {list}");
    assert_eq!(list["itemsPerPage"], json!(0));
    assert!(list.get("Resources").is_none_or(|r| r.as_array().is_some_and(Vec::is_empty)), "{list}");

    // 2. It creates it.
    let body = okta_user("isabella.chen@example.com", "Isabella", "Chen");
    let res = app.post("/Users", &body).await.scim(201);
    let user = &res.body;
    let id = id_of(user);
    assert!(!id.is_empty());
    let location = user["meta"]["location"].as_str().expect("meta.location");
    assert_eq!(location, format!("{}/Users/{id}", app.base), "meta.location must be absolute");
    assert!(location.starts_with("http://127.0.0.1:"), "{location}");
    assert_eq!(res.header("location"), location);
    assert_eq!(res.header("etag"), version_of(user));
    assert_eq!(user["meta"]["resourceType"], "User");
    assert!(user["schemas"].as_array().expect("schemas").contains(&json!(USER_SCHEMA)));
    assert_eq!(user["userName"], "isabella.chen@example.com");
    assert_eq!(user["name"], json!({ "givenName": "Isabella", "familyName": "Chen" }));
    assert_eq!(user["emails"], json!([{ "primary": true, "value": "isabella.chen@example.com", "type": "work" }]));
    assert_eq!(user["displayName"], "Isabella Chen");
    assert_eq!(user["locale"], "en-US");
    assert_eq!(user["externalId"], "okta-isabella.chen@example.com");
    assert_eq!(user["active"], json!(true));
    // The password is accepted and never stored nor returned; `groups: []` is read-only and unassigned.
    assert!(!res.text.to_lowercase().contains("password"), "{}", res.text);
    assert!(!res.text.contains("S3cret"), "{}", res.text);
    assert!(user.get("groups").is_none(), "{user}");

    // 3. The same userName in another letter case is taken.
    let dup = app.post("/Users", &okta_user("Isabella.Chen@Example.COM", "Other", "Person")).await;
    let detail = assert_scim_error(&dup, 409, Some("uniqueness"));
    assert!(detail.contains("userName"), "{detail}");

    // 4. Lookups ignore the letter case of userName.
    let list = app.find_users(r#"userName eq "ISABELLA.CHEN@EXAMPLE.COM""#).await;
    assert_eq!(list["totalResults"], json!(1), "{list}");
    assert_eq!(list["Resources"][0]["id"], json!(id));
    assert!(!list.to_string().to_lowercase().contains("password"));

    // 5. The resource reads back as created.
    let got = app.get(&format!("/Users/{id}")).await.scim(200);
    assert_eq!(got.body, *user);
    assert_eq!(got.header("etag"), version_of(user));
}

#[tokio::test]
async fn okta_update_user_with_put_and_if_match() {
    let app = spawn_app().await;
    let created = app.create_user_from(&okta_user("bob.marsh@example.com", "Bob", "Marsh")).await;
    let id = id_of(&created);

    // Okta reads the user, changes its profile and PUTs the whole object back (id, meta included).
    let mut current = app.get(&format!("/Users/{id}")).await.scim(200).body;
    let stale_etag = version_of(&current);
    current["name"] = json!({ "givenName": "Robert", "familyName": "Marsh-Lee" });
    current["displayName"] = json!("Robert Marsh-Lee");
    current["password"] = json!("N3w-Okta-S3cret!");
    let res = app.put(&format!("/Users/{id}"), &current).await.scim(200);
    let updated = &res.body;
    assert_eq!(updated["id"], json!(id));
    assert_eq!(updated["name"], json!({ "givenName": "Robert", "familyName": "Marsh-Lee" }));
    assert_eq!(updated["displayName"], "Robert Marsh-Lee");
    assert_eq!(updated["userName"], "bob.marsh@example.com");
    assert_eq!(updated["emails"], created["emails"]);
    assert_ne!(version_of(updated), stale_etag, "meta.version must change");
    assert_eq!(res.header("etag"), version_of(updated));
    assert_eq!(updated["meta"]["created"], created["meta"]["created"]);
    assert!(!res.text.contains("S3cret"));

    // A PUT pinned to the old version is refused and changes nothing.
    let mut stale = updated.clone();
    stale["displayName"] = json!("Lost Update");
    let refused = app.request(reqwest::Method::PUT, &format!("/Users/{id}")).header("If-Match", &stale_etag);
    let refused = crate::helpers::send(refused.body(stale.to_string())).await;
    assert_scim_error(&refused, 412, None);
    let after = app.get(&format!("/Users/{id}")).await.scim(200).body;
    assert_eq!(after, *updated);

    // With the current ETag it goes through.
    let current_etag = version_of(&after);
    let ok = app.request(reqwest::Method::PUT, &format!("/Users/{id}")).header("If-Match", &current_etag);
    let ok = crate::helpers::send(ok.body(stale.to_string())).await.scim(200);
    assert_eq!(ok.body["displayName"], "Lost Update");
    assert_ne!(version_of(&ok.body), current_etag);

    // PATCH honours If-Match too.
    let stale_patch = app.request(reqwest::Method::PATCH, &format!("/Users/{id}")).header("If-Match", &current_etag);
    let body = patch(json!([{ "op": "replace", "value": { "active": false } }]));
    let refused = crate::helpers::send(stale_patch.body(body.to_string())).await;
    assert_scim_error(&refused, 412, None);
    assert_eq!(app.get(&format!("/Users/{id}")).await.scim(200).body["active"], json!(true));
}

#[tokio::test]
async fn okta_deactivates_and_reactivates_with_patch() {
    let app = spawn_app().await;
    let created = app.create_user_from(&okta_user("carol.diaz@example.com", "Carol", "Diaz")).await;
    let id = id_of(&created);

    let off = patch(json!([{ "op": "replace", "value": { "active": false } }]));
    let res = app.patch(&format!("/Users/{id}"), &off).await.scim(200);
    // Okta expects the full resource back.
    assert_eq!(res.body["active"], json!(false));
    assert_eq!(res.body["userName"], "carol.diaz@example.com");
    assert_eq!(res.body["name"], created["name"]);
    assert_eq!(res.body["emails"], created["emails"]);
    assert_eq!(res.body["id"], json!(id));
    assert_eq!(res.header("etag"), version_of(&res.body));
    assert_ne!(version_of(&res.body), version_of(&created));
    assert_eq!(app.get(&format!("/Users/{id}")).await.scim(200).body["active"], json!(false));
    let inactive = app.find_users(r#"userName eq "carol.diaz@example.com""#).await;
    assert_eq!(inactive["Resources"][0]["active"], json!(false));

    let on = patch(json!([{ "op": "replace", "value": { "active": true } }]));
    let res = app.patch(&format!("/Users/{id}"), &on).await.scim(200);
    assert_eq!(res.body["active"], json!(true));
    assert_eq!(app.get(&format!("/Users/{id}")).await.scim(200).body["active"], json!(true));
}

#[tokio::test]
async fn entra_patch_shapes_are_understood() {
    let app = spawn_app().await;
    let created = app.create_user_from(&okta_user("dan.evans@example.com", "Dan", "Evans")).await;
    let id = id_of(&created);

    // Entra capitalises op names and sends booleans as strings.
    let off = patch(json!([{ "op": "Replace", "path": "active", "value": "False" }]));
    let res = app.patch(&format!("/Users/{id}"), &off).await.scim(200);
    assert_eq!(res.body["active"], json!(false), "active must be a JSON boolean");
    let on = patch(json!([{ "op": "Replace", "path": "active", "value": "True" }]));
    let res = app.patch(&format!("/Users/{id}"), &on).await.scim(200);
    assert_eq!(res.body["active"], json!(true));

    // Entra's filtered paths, dotted path-less keys and the enterprise manager as a bare id.
    let ops = patch(json!([
        { "op": "Replace", "path": "emails[type eq \"work\"].value", "value": "dan.evans@corp.example.com" },
        { "op": "Add", "path": "name.givenName", "value": "Daniel" },
        { "op": "Replace", "value": { "displayName": "Daniel Evans", "name.familyName": "Evans-Smith" } },
        { "op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "mgr-1" },
        { "op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Support" }
    ]));
    let res = app.patch(&format!("/Users/{id}"), &ops).await.scim(200);
    let user = res.body;
    assert_eq!(user["emails"], json!([{ "primary": true, "value": "dan.evans@corp.example.com", "type": "work" }]));
    assert_eq!(user["name"], json!({ "givenName": "Daniel", "familyName": "Evans-Smith" }));
    assert_eq!(user["displayName"], "Daniel Evans");
    let ent = &user["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"];
    assert_eq!(ent["manager"]["value"], "mgr-1");
    assert_eq!(ent["department"], "Support");
    assert!(user["schemas"].as_array().expect("schemas").contains(&json!(crate::helpers::ENTERPRISE_SCHEMA)));

    // The new e-mail is what filters see.
    let found = app.find_users(r#"emails.value eq "DAN.EVANS@corp.example.com""#).await;
    assert_eq!(found["totalResults"], json!(1));
    let old = app.find_users(r#"emails.value eq "dan.evans@example.com""#).await;
    assert_eq!(old["totalResults"], json!(0));
}

#[tokio::test]
async fn okta_password_sync_is_accepted_but_never_kept() {
    let app = spawn_app().await;
    let created = app.create_user("erin.fox@example.com").await;
    let id = id_of(&created);
    let ops = patch(json!([{ "op": "replace", "value": { "password": "Sync3d-Pa55word!" } }]));
    let res = app.patch(&format!("/Users/{id}"), &ops).await.scim(200);
    assert!(!res.text.to_lowercase().contains("password") && !res.text.contains("Pa55word"), "{}", res.text);
    let got = app.get(&format!("/Users/{id}?attributes=password,userName")).await.scim(200);
    assert!(!got.text.to_lowercase().contains("password"), "{}", got.text);
    assert_eq!(got.body["userName"], "erin.fox@example.com");
}

#[tokio::test]
async fn delete_user_then_get_is_404() {
    let app = spawn_app().await;
    let created = app.create_user("frank.gale@example.com").await;
    let id = id_of(&created);

    let res = app.delete(&format!("/Users/{id}")).await.expect(204);
    assert!(res.text.is_empty(), "204 must have no body: {}", res.text);

    let gone = app.get(&format!("/Users/{id}")).await;
    let detail = assert_scim_error(&gone, 404, None);
    assert!(detail.contains(&id), "{detail}");
    assert_scim_error(&app.delete(&format!("/Users/{id}")).await, 404, None);
    let list = app.find_users(r#"userName eq "frank.gale@example.com""#).await;
    assert_eq!(list["totalResults"], json!(0));

    // The userName is free again.
    app.create_user("frank.gale@example.com").await;
}

#[tokio::test]
async fn deleting_a_user_removes_its_memberships() {
    let app = spawn_app().await;
    let leaving = id_of(&app.create_user("gina.hart@example.com").await);
    let staying = id_of(&app.create_user("hank.ives@example.com").await);
    let group = app.create_group("StackFlow-Admins").await;
    let gid = id_of(&group);
    let add = patch(json!([{ "op": "add", "path": "members", "value": [{ "value": leaving }, { "value": staying }] }]));
    app.patch(&format!("/Groups/{gid}"), &add).await.scim(200);
    let mut both = vec![leaving.clone(), staying.clone()];
    both.sort();
    assert_eq!(app.member_ids(&gid).await, both);

    app.delete(&format!("/Users/{leaving}")).await.expect(204);
    assert_eq!(app.member_ids(&gid).await, vec![staying.clone()]);
    let path = format!("/Groups?filter={}", crate::helpers::enc(&format!(r#"members.value eq "{leaving}""#)));
    assert_eq!(app.get(&path).await.scim(200).body["totalResults"], json!(0));
    let path = format!("/Groups?filter={}", crate::helpers::enc(&format!(r#"members.value eq "{staying}""#)));
    assert_eq!(app.get(&path).await.scim(200).body["totalResults"], json!(1));
}
