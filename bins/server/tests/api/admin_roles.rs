//! The role-mapping admin API (`/admin/api/mappings`, `/users/{userName}/explain`,
//! `/groups/unmapped`): dry runs write nothing, applied changes recompute roles (read back through
//! the explain endpoint), refusals are JSON with the right status, and every route needs the token.

use crate::helpers::{spawn_app, TestApp, GROUP_SCHEMA};
use reqwest::Method;
use serde_json::{json, Value};

/// A group name with a space, so the path segment must be percent-decoded.
const GROUP: &str = "Finance Leads";
const GROUP_PATH: &str = "/mappings/Finance%20Leads";

/// Creates `user_name` and pushes `GROUP` with it as the only member; returns the user id.
async fn user_in_group(app: &TestApp, user_name: &str) -> String {
    let id = app.create_user(user_name).await["id"].as_str().expect("user id").to_owned();
    let body = json!({ "schemas": [GROUP_SCHEMA], "displayName": GROUP, "members": [{ "value": id }] });
    app.post("/Groups", &body).await.scim(201);
    id
}

/// The stored role of `user_name`, read through `GET /users/{userName}/explain`.
async fn stored_role(app: &TestApp, user_name: &str) -> Value {
    app.admin(Method::GET, &format!("/users/{user_name}/explain"), None).await.expect(200).body["account"]["role"]
        .clone()
}

/// The display names the rules of `GET /mappings` map.
async fn mapped_names(app: &TestApp) -> Vec<String> {
    let view = app.admin(Method::GET, "/mappings", None).await.expect(200).body;
    view["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter_map(|r| r["matcher"]["value"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn dry_runs_change_nothing_and_applied_changes_recompute_roles() {
    let app = spawn_app().await;
    let ada = user_in_group(&app, "ada@example.com").await;
    assert_eq!(stored_role(&app, "ada@example.com").await, Value::Null);
    let unmapped = app.admin(Method::GET, "/groups/unmapped", None).await.expect(200).body;
    assert_eq!(unmapped[0]["group"]["display_name"], GROUP, "{unmapped}");
    assert_eq!(unmapped[0]["members"], 1);

    // Dry run: the preview names Ada and her new role; nothing is written.
    let body = json!({ "role": "itsm_manager", "dry_run": true });
    let preview = app.admin(Method::PUT, GROUP_PATH, Some(&body)).await.expect(200).body;
    assert_eq!((preview["action"].as_str(), preview["dry_run"].as_bool()), (Some("created"), Some(true)));
    assert_eq!(preview["roles_recomputed"], false);
    assert_eq!(
        preview["changes"],
        json!([{ "user_id": ada, "user_name": "ada@example.com", "old": null, "new": "itsm_manager",
                 "explanation": preview["changes"][0]["explanation"] }])
    );
    assert_eq!(stored_role(&app, "ada@example.com").await, Value::Null, "a dry run wrote the role");
    assert!(!mapped_names(&app).await.contains(&GROUP.to_owned()), "a dry run wrote the rule");

    // Applied: the rule is stored and Ada's role recomputed in the same request.
    let applied = app.admin(Method::PUT, GROUP_PATH, Some(&json!({ "role": "itsm_manager" }))).await.expect(200).body;
    assert_eq!((applied["dry_run"].as_bool(), applied["roles_recomputed"].as_bool()), (Some(false), Some(true)));
    assert_eq!(applied["changes"][0]["new"], "itsm_manager");
    assert_eq!(stored_role(&app, "ada@example.com").await, "itsm_manager");
    assert!(mapped_names(&app).await.contains(&GROUP.to_owned()));
    let explained = app.admin(Method::GET, "/users/ADA@example.com/explain", None).await.expect(200).body;
    assert_eq!(explained["explanation"], "member of Finance Leads (itsm_manager)", "{explained}");
    let unmapped = app.admin(Method::GET, "/groups/unmapped", None).await.expect(200).body;
    assert_eq!(unmapped, json!([]));

    // Another role without `replace` conflicts; the same role is a duplicate. Both 409, nothing changes.
    let conflict = app.admin(Method::PUT, GROUP_PATH, Some(&json!({ "role": "viewer" }))).await.expect(409).body;
    assert!(conflict["error"].as_str().unwrap().starts_with("conflicting rule"), "{conflict}");
    let duplicate = app.admin(Method::PUT, GROUP_PATH, Some(&json!({ "role": "itsm_manager" }))).await.expect(409).body;
    assert!(duplicate["error"].as_str().unwrap().starts_with("duplicate rule"), "{duplicate}");
    assert_eq!(stored_role(&app, "ada@example.com").await, "itsm_manager");

    let replaced = json!({ "role": "viewer", "replace": true });
    let replaced = app.admin(Method::PUT, GROUP_PATH, Some(&replaced)).await.expect(200).body;
    assert_eq!(
        (replaced["action"].as_str(), replaced["previous_role"].as_str()),
        (Some("replaced"), Some("itsm_manager"))
    );
    assert_eq!(stored_role(&app, "ada@example.com").await, "viewer");

    // Removal: the dry run previews the loss of the role, the real one applies it.
    let preview = app.admin(Method::DELETE, &format!("{GROUP_PATH}?dry_run=true"), None).await.expect(200).body;
    assert_eq!((preview["action"].as_str(), preview["changes"][0]["new"].clone()), (Some("removed"), Value::Null));
    assert_eq!(stored_role(&app, "ada@example.com").await, "viewer");
    app.admin(Method::DELETE, &format!("{GROUP_PATH}?dry_run=false"), None).await.expect(200);
    assert_eq!(stored_role(&app, "ada@example.com").await, Value::Null);
    let gone = app.admin(Method::DELETE, GROUP_PATH, None).await.expect(404).body;
    assert!(gone["error"].as_str().unwrap().contains("no rule maps group 'Finance Leads'"), "{gone}");
}

#[tokio::test]
async fn refusals_are_json_with_the_right_status() {
    let app = spawn_app().await;
    user_in_group(&app, "ada@example.com").await;

    let bad = app.admin(Method::PUT, GROUP_PATH, Some(&json!({ "role": "boss" }))).await.expect(400).body;
    assert_eq!(bad["field"], "role", "{bad}");
    let message = bad["error"].as_str().unwrap();
    for role in ["super_admin", "itsm_manager", "itsm_agent", "viewer"] {
        assert!(message.contains(role), "the valid roles are not named: {message}");
    }
    let unknown_field = json!({ "role": "viewer", "dryrun": true });
    let unknown_field = app.admin(Method::PUT, GROUP_PATH, Some(&unknown_field)).await.expect(400).body;
    assert!(unknown_field["error"].as_str().unwrap().contains("dryrun"), "{unknown_field}");
    let bad_query = app.admin(Method::DELETE, &format!("{GROUP_PATH}?dry_run=maybe"), None).await.expect(400).body;
    assert!(bad_query["error"].as_str().unwrap().contains("dry_run"), "{bad_query}");
    assert!(!mapped_names(&app).await.contains(&GROUP.to_owned()), "a refused change wrote a rule");

    let missing = app.admin(Method::GET, "/users/nobody@example.com/explain", None).await.expect(404).body;
    assert_eq!(missing, json!({ "error": "no user named 'nobody@example.com'" }));
}

#[tokio::test]
async fn every_mapping_route_requires_the_bootstrap_token() {
    let app = spawn_app().await;
    let set = json!({ "role": "viewer" });
    let routes: [(Method, &str, Option<&Value>); 5] = [
        (Method::GET, "/mappings", None),
        (Method::PUT, GROUP_PATH, Some(&set)),
        (Method::DELETE, GROUP_PATH, None),
        (Method::GET, "/users/ada@example.com/explain", None),
        (Method::GET, "/groups/unmapped", None),
    ];
    for (method, path, body) in routes {
        for token in [None, Some("wrong-admin-token-0123456789")] {
            let res = app.admin_with_token(method.clone(), path, body, token).await;
            assert_eq!(res.status, 401, "{method} {path} with {token:?}: {}", res.text);
            assert!(res.body["error"].as_str().is_some_and(|e| e.contains("admin token")), "{}", res.text);
            assert!(res.header("www-authenticate").starts_with("Bearer"));
        }
    }
    assert!(!mapped_names(&app).await.contains(&"viewer".to_owned()));
    assert!(!mapped_names(&app).await.contains(&GROUP.to_owned()), "an unauthenticated PUT wrote a rule");
}
