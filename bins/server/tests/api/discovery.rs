//! Discovery endpoints (`/ServiceProviderConfig`, `/ResourceTypes`, `/Schemas`) and health checks.

use crate::helpers::{assert_scim_error, send, spawn_app, ENTERPRISE_SCHEMA, GROUP_SCHEMA, LIST_SCHEMA, USER_SCHEMA};
use serde_json::{json, Value};

#[tokio::test]
async fn service_provider_config_states_what_is_supported() {
    let app = spawn_app().await;
    let res = app.get("/ServiceProviderConfig").await.scim(200);
    let spc = &res.body;
    assert_eq!(spc["schemas"], json!(["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]));
    assert_eq!(spc["patch"]["supported"], json!(true));
    assert_eq!(spc["filter"]["supported"], json!(true));
    assert_eq!(spc["filter"]["maxResults"], json!(1000));
    assert_eq!(spc["bulk"]["supported"], json!(false));
    assert_eq!(spc["sort"]["supported"], json!(true));
    assert_eq!(spc["etag"]["supported"], json!(true));
    assert_eq!(spc["changePassword"]["supported"], json!(false));
    assert_eq!(spc["authenticationSchemes"][0]["type"], "oauthbearertoken");
    assert_eq!(spc["meta"]["location"], json!(format!("{}/ServiceProviderConfig", app.base)));
}

#[tokio::test]
async fn resource_types_list_users_and_groups() {
    let app = spawn_app().await;
    let list = app.get("/ResourceTypes").await.scim(200).body;
    assert_eq!(list["schemas"], json!([LIST_SCHEMA]));
    assert_eq!(list["totalResults"], json!(2));
    let resources = list["Resources"].as_array().expect("Resources");
    let by_id = |id: &str| resources.iter().find(|r| r["id"] == id).cloned().unwrap_or(Value::Null);
    let user = by_id("User");
    assert_eq!(user["endpoint"], "/Users");
    assert_eq!(user["schema"], USER_SCHEMA);
    assert_eq!(user["schemaExtensions"][0]["schema"], ENTERPRISE_SCHEMA);
    assert_eq!(user["meta"]["location"], json!(format!("{}/ResourceTypes/User", app.base)));
    let group = by_id("Group");
    assert_eq!(group["endpoint"], "/Groups");
    assert_eq!(group["schema"], GROUP_SCHEMA);

    let one = app.get("/ResourceTypes/Group").await.scim(200).body;
    assert_eq!(one, group);
    assert_scim_error(&app.get("/ResourceTypes/Device").await, 404, None);
}

#[tokio::test]
async fn schemas_describe_the_attributes() {
    let app = spawn_app().await;
    let list = app.get("/Schemas").await.scim(200).body;
    assert_eq!(list["schemas"], json!([LIST_SCHEMA]));
    let ids: Vec<&str> =
        list["Resources"].as_array().expect("Resources").iter().filter_map(|s| s["id"].as_str()).collect();
    for urn in [USER_SCHEMA, ENTERPRISE_SCHEMA, GROUP_SCHEMA] {
        assert!(ids.contains(&urn), "{urn} missing from {ids:?}");
    }
    assert_eq!(list["totalResults"], json!(ids.len()));

    let user = app.get(&format!("/Schemas/{USER_SCHEMA}")).await.scim(200).body;
    assert_eq!(user["id"], USER_SCHEMA);
    let attrs = user["attributes"].as_array().expect("attributes");
    let attr = |name: &str| attrs.iter().find(|a| a["name"] == name).cloned().unwrap_or(Value::Null);
    assert_eq!(attr("userName")["uniqueness"], "server");
    assert_eq!(attr("userName")["caseExact"], json!(false));
    assert_eq!(attr("password")["returned"], "never");
    assert_eq!(attr("password")["mutability"], "writeOnly");
    assert_eq!(attr("groups")["mutability"], "readOnly");
    assert_eq!(attr("emails")["multiValued"], json!(true));

    assert_scim_error(&app.get("/Schemas/urn:example:nope").await, 404, None);
}

#[tokio::test]
async fn unknown_scim_endpoints_are_scim_404s() {
    let app = spawn_app().await;
    let detail = assert_scim_error(&app.get("/Devices").await, 404, None);
    assert!(detail.contains("/scim/v2/Devices"), "{detail}");
}

#[tokio::test]
async fn health_endpoints_answer() {
    let app = spawn_app().await;
    let res = send(app.client.get(format!("{}/healthz", app.root))).await.expect(200);
    assert_eq!(res.body["status"], "ok");
    let res = send(app.client.get(format!("{}/readyz", app.root))).await.expect(200);
    assert_eq!(res.body["status"], "ready");
    assert_eq!(res.body["database"], "ok");
}
