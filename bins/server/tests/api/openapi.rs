//! `GET /openapi.json`: an OpenAPI 3 document listing every admin API and sign-in bridge operation,
//! with the bootstrap-token bearer scheme on the admin ones — checked against the running server
//! (each documented admin operation answers 401 without the token, so it exists and is guarded).

use crate::helpers::{send, spawn_app};
use reqwest::Method;
use serde_json::Value;

/// Every operation the document must list.
const OPERATIONS: [(&str, &str); 20] = [
    ("get", "/admin/api/integrations/okta"),
    ("put", "/admin/api/integrations/okta"),
    ("post", "/admin/api/integrations/okta/test"),
    ("get", "/admin/api/integrations/okta/scim-token"),
    ("post", "/admin/api/integrations/okta/scim-token"),
    ("delete", "/admin/api/integrations/okta/scim-token"),
    ("get", "/admin/api/integrations/okta/doctor"),
    ("get", "/admin/api/mappings"),
    ("put", "/admin/api/mappings/{group}"),
    ("delete", "/admin/api/mappings/{group}"),
    ("get", "/admin/api/users/{user_name}/explain"),
    ("get", "/admin/api/groups/unmapped"),
    ("get", "/admin/api/outbox"),
    ("get", "/admin/api/outbox/records"),
    ("post", "/admin/api/outbox/retry"),
    ("get", "/auth/okta/login"),
    ("get", "/auth/okta/callback"),
    ("post", "/auth/okta/token"),
    ("get", "/auth/okta/logout"),
    ("post", "/auth/okta/logout"),
];

/// Every `$ref` in `value`.
fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_document_lists_every_admin_and_bridge_operation() {
    let app = spawn_app().await;
    let res = send(app.client.get(format!("{}/openapi.json", app.root))).await.expect(200);
    assert!(res.header("content-type").starts_with("application/json"));
    let doc = res.body;
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")), "openapi: {}", doc["openapi"]);
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    let scheme = &doc["components"]["securitySchemes"]["admin_token"];
    assert_eq!((scheme["type"].as_str(), scheme["scheme"].as_str()), (Some("http"), Some("bearer")), "{scheme}");

    let paths = doc["paths"].as_object().expect("paths");
    let mut listed = 0;
    for (path, item) in paths {
        for method in ["get", "put", "post", "delete", "patch"] {
            if item.get(method).is_some() {
                listed += 1;
                assert!(OPERATIONS.contains(&(method, path.as_str())), "unexpected {method} {path}");
            }
        }
    }
    assert_eq!(listed, OPERATIONS.len());
    for (method, path) in OPERATIONS {
        let op = &paths.get(path).unwrap_or_else(|| panic!("{path} missing"))[method];
        assert!(op.is_object(), "{method} {path} missing");
        assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()), "{method} {path}: no responses");
        let secured = op["security"].as_array().is_some_and(|s| s.iter().any(|s| s.get("admin_token").is_some()));
        assert_eq!(secured, path.starts_with("/admin/api"), "{method} {path}: security {}", op["security"]);
        // Path parameters are declared.
        for param in ["group", "user_name"].iter().filter(|p| path.contains(&format!("{{{p}}}"))) {
            let declared = op["parameters"].as_array().is_some_and(|ps| ps.iter().any(|p| p["name"] == *param));
            assert!(declared, "{method} {path}: parameter {param} not declared");
        }
        // The server has the operation: the admin ones refuse a request without the token.
        if path.starts_with("/admin/api") {
            let concrete = path.replace("{group}", "Finance").replace("{user_name}", "ada@example.com");
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let res = app.admin_with_token(method.clone(), concrete.trim_start_matches("/admin/api"), None, None).await;
            assert_eq!(res.status, 401, "{method} {concrete}: {}", res.text);
        }
    }
    let bodies = &paths["/admin/api/mappings/{group}"]["put"]["requestBody"]["content"]["application/json"];
    assert!(bodies["schema"].is_object(), "PUT /mappings/{{group}} has no JSON body schema");

    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("unexpected $ref {r}"));
        assert!(doc["components"]["schemas"][name].is_object(), "dangling $ref {r}");
    }
}
