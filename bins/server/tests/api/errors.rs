//! Refused requests: every one is a SCIM Error (`application/scim+json`, `schemas`, `status` as a
//! string, `detail`) with the right status and `scimType`, and changes nothing.

use crate::helpers::{assert_scim_error, enc, okta_user, patch, send, spawn_app, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

async fn raw(
    app: &TestApp,
    method: Method,
    path: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> crate::helpers::Resp {
    let req = app.request_without_content_type(method, path, Some(&app.token));
    send(req.header("Content-Type", content_type).body(body)).await
}

/// POSTs `body` to `/Users` with `Transfer-Encoding: chunked` over a plain socket (so no
/// `Content-Length` is sent) and returns the status and the raw response.
async fn chunked_post(app: &TestApp, body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let addr = app.root.trim_start_matches("http://").to_owned();
    let head = format!(
        "POST /scim/v2/Users HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nContent-Type: application/scim+json; charset=utf-8\r\nAccept: application/scim+json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        app.token
    );
    let body = body.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(&addr).expect("connect");
        stream.set_read_timeout(Some(std::time::Duration::from_secs(30))).expect("timeout");
        stream.write_all(head.as_bytes()).expect("write head");
        for chunk in body.as_bytes().chunks(64 * 1024) {
            // The server may answer and close before it has read everything: stop writing then.
            if stream.write_all(format!("{:x}\r\n", chunk.len()).as_bytes()).is_err()
                || stream.write_all(chunk).is_err()
                || stream.write_all(b"\r\n").is_err()
            {
                break;
            }
        }
        let _ = stream.write_all(b"0\r\n\r\n");
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response);
        let response = String::from_utf8_lossy(&response).into_owned();
        let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        (status, response)
    })
    .await
    .expect("chunked request task")
}

async fn some_user(app: &TestApp) -> (String, Value) {
    let user = app.create_user("err.user@example.com").await;
    (user["id"].as_str().expect("id").to_owned(), user)
}

#[tokio::test]
async fn invalid_filters_are_400_invalid_filter() {
    let app = spawn_app().await;
    for filter in [r#"userName eq"#, r#"userName xx "a""#, r#"(userName eq "a""#, r#"userName eq "unterminated"#, "and"]
    {
        let res = app.get(&format!("/Users?filter={}", enc(filter))).await;
        assert_scim_error(&res, 400, Some("invalidFilter"));
    }
    let res = app.get(&format!("/Groups?filter={}", enc("displayName eq"))).await;
    assert_scim_error(&res, 400, Some("invalidFilter"));
    // The search endpoint validates the same way.
    let res = app.post("/Users/.search", &json!({ "filter": "userName eq" })).await;
    assert_scim_error(&res, 400, Some("invalidFilter"));
}

#[tokio::test]
async fn bad_paging_parameters_are_400() {
    let app = spawn_app().await;
    assert_scim_error(&app.get("/Users?count=ten").await, 400, Some("invalidValue"));
    assert_scim_error(&app.get("/Users?startIndex=1.5").await, 400, Some("invalidValue"));
    assert_scim_error(&app.get("/Users?sortOrder=sideways").await, 400, Some("invalidValue"));
    assert_scim_error(&app.get("/Users?sortBy=favoriteColor").await, 400, Some("invalidValue"));
}

#[tokio::test]
async fn malformed_json_is_400_invalid_syntax() {
    let app = spawn_app().await;
    let (id, before) = some_user(&app).await;
    for body in [r#"{"userName": "#, "not json", "", r#"{"userName": "a@b.c"} trailing"#] {
        let res = raw(&app, Method::POST, "/Users", "application/scim+json; charset=utf-8", body).await;
        assert_scim_error(&res, 400, Some("invalidSyntax"));
    }
    let res =
        raw(&app, Method::PATCH, &format!("/Users/{id}"), "application/scim+json", r#"{"Operations": [{"op": "#).await;
    assert_scim_error(&res, 400, Some("invalidSyntax"));
    // A PATCH without Operations, or with a non-object body.
    assert_scim_error(
        &app.patch(&format!("/Users/{id}"), &json!({ "schemas": [crate::helpers::PATCH_SCHEMA] })).await,
        400,
        Some("invalidSyntax"),
    );
    assert_scim_error(&app.patch(&format!("/Users/{id}"), &json!([1, 2])).await, 400, Some("invalidSyntax"));
    assert_scim_error(&app.put(&format!("/Users/{id}"), &json!("just a string")).await, 400, Some("invalidSyntax"));
    assert_eq!(app.get(&format!("/Users/{id}")).await.scim(200).body, before);
}

#[tokio::test]
async fn invalid_values_are_400_invalid_value() {
    let app = spawn_app().await;
    let mut no_name = okta_user("x@example.com", "X", "Y");
    no_name.as_object_mut().expect("object").remove("userName");
    assert_scim_error(&app.post("/Users", &no_name).await, 400, Some("invalidValue"));
    let mut bad_active = okta_user("x@example.com", "X", "Y");
    bad_active["active"] = json!("maybe");
    let detail = assert_scim_error(&app.post("/Users", &bad_active).await, 400, Some("invalidValue"));
    assert!(detail.contains("active"), "{detail}");
    assert_scim_error(&app.post("/Groups", &json!({ "members": [] })).await, 400, Some("invalidValue"));
    assert_eq!(app.get("/Users").await.scim(200).body["totalResults"], json!(0));
}

#[tokio::test]
async fn a_request_refused_during_authentication_loses_nothing() {
    // A 415 ends the request while the token check may still be reading the database (cold cache):
    // the cancelled query must not cost the data (regression: the in-memory SQLite database was
    // replaced by an empty one, and the next request failed with 500 "no such table").
    let app = spawn_app().await;
    let (id, _) = some_user(&app).await;
    for _ in 0..50 {
        app.provider.tokens().invalidate().await;
        assert_scim_error(&raw(&app, Method::POST, "/Users", "text/plain", "{}").await, 415, None);
        app.get(&format!("/Users/{id}")).await.scim(200);
    }
}

#[tokio::test]
async fn wrong_content_type_is_415() {
    let app = spawn_app().await;
    let body = okta_user("text.plain@example.com", "Text", "Plain").to_string();
    let res = raw(&app, Method::POST, "/Users", "text/plain", body.clone()).await;
    let detail = assert_scim_error(&res, 415, None);
    assert!(detail.contains("text/plain"), "{detail}");
    let res = raw(&app, Method::POST, "/Users", "application/x-www-form-urlencoded", body.clone()).await;
    assert_scim_error(&res, 415, None);
    // Plain JSON is fine, too.
    raw(&app, Method::POST, "/Users", "application/json", body).await.scim(201);
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let app = spawn_app().await;
    // A valid JSON document just over 1 MiB.
    let padding = "x".repeat(1024 * 1024);
    let mut big = okta_user("big.body@example.com", "Big", "Body");
    big["title"] = json!(padding);
    let res = raw(&app, Method::POST, "/Users", "application/scim+json", big.to_string()).await;
    let detail = assert_scim_error(&res, 413, None);
    assert!(detail.contains("1048576"), "{detail}");
    assert_eq!(app.find_users(r#"userName eq "big.body@example.com""#).await["totalResults"], json!(0));

    // The same size sent chunked (no Content-Length) is refused the same way.
    let (status, response) = chunked_post(&app, &big.to_string()).await;
    assert_eq!(status, 413, "{response}");
    assert!(response.to_ascii_lowercase().contains("content-type: application/scim+json"), "{response}");
    assert!(response.contains(r#""status":"413""#), "{response}");

    // Just under the limit is accepted.
    big["title"] = json!("x".repeat(1000 * 1024));
    raw(&app, Method::POST, "/Users", "application/scim+json", big.to_string()).await.scim(201);
}

#[tokio::test]
async fn patch_errors_name_the_problem_and_change_nothing() {
    let app = spawn_app().await;
    let (id, _) = some_user(&app).await;
    let url = format!("/Users/{id}");

    // Unknown attribute in a path.
    let res = app.patch(&url, &patch(json!([{ "op": "replace", "path": "favoriteColor", "value": "teal" }]))).await;
    let detail = assert_scim_error(&res, 400, Some("invalidPath"));
    assert!(detail.contains("favoriteColor"), "{detail}");
    let res = app.patch(&url, &patch(json!([{ "op": "replace", "path": "name.middleInitial", "value": "Q" }]))).await;
    assert_scim_error(&res, 400, Some("invalidPath"));
    let res = app.patch(&url, &patch(json!([{ "op": "replace", "path": "emails[type eq", "value": "x" }]))).await;
    assert_eq!(res.status, 400, "{}", res.text);

    // Read-only attributes.
    let res = app.patch(&url, &patch(json!([{ "op": "replace", "path": "id", "value": "another-id" }]))).await;
    let detail = assert_scim_error(&res, 400, Some("mutability"));
    assert!(detail.contains("id"), "{detail}");
    let res = app
        .patch(&url, &patch(json!([{ "op": "replace", "path": "meta.created", "value": "2020-01-01T00:00:00Z" }])))
        .await;
    assert_scim_error(&res, 400, Some("mutability"));
    let res = app.patch(&url, &patch(json!([{ "op": "add", "path": "groups", "value": [{ "value": "g" }] }]))).await;
    assert_scim_error(&res, 400, Some("mutability"));

    // Too many operations.
    let ops: Vec<Value> =
        (0..1001).map(|i| json!({ "op": "replace", "path": "title", "value": format!("t{i}") })).collect();
    let detail = assert_scim_error(&app.patch(&url, &patch(Value::Array(ops))).await, 400, Some("tooMany"));
    assert!(detail.contains("1000"), "{detail}");
    // Exactly 1000 is fine.
    let ops: Vec<Value> =
        (0..1000).map(|i| json!({ "op": "replace", "path": "title", "value": format!("t{i}") })).collect();
    let ok = app.patch(&url, &patch(Value::Array(ops))).await.scim(200).body;
    assert_eq!(ok["title"], "t999");
    let before = app.get(&url).await.scim(200).body;

    // Unknown op, missing value, remove without a path, a value of the wrong type.
    assert_scim_error(
        &app.patch(&url, &patch(json!([{ "op": "merge", "path": "title", "value": "x" }]))).await,
        400,
        Some("invalidSyntax"),
    );
    assert_scim_error(
        &app.patch(&url, &patch(json!([{ "op": "replace", "path": "title" }]))).await,
        400,
        Some("invalidValue"),
    );
    assert_scim_error(&app.patch(&url, &patch(json!([{ "op": "remove" }]))).await, 400, Some("noTarget"));
    assert_scim_error(
        &app.patch(&url, &patch(json!([{ "op": "replace", "path": "active", "value": 3 }]))).await,
        400,
        Some("invalidValue"),
    );

    // A failing operation undoes the ones before it: nothing is applied.
    let mixed = patch(json!([
        { "op": "replace", "path": "displayName", "value": "Half Done" },
        { "op": "replace", "value": { "active": false } },
        { "op": "replace", "path": "id", "value": "nope" }
    ]));
    let detail = assert_scim_error(&app.patch(&url, &mixed).await, 400, Some("mutability"));
    assert!(detail.contains("Operations[2]"), "the failing operation is named: {detail}");
    assert_eq!(app.get(&url).await.scim(200).body, before);

    // Groups: members by sub-attribute is refused.
    let gid = app.create_group("Errs").await["id"].as_str().expect("id").to_owned();
    let res = app
        .patch(&format!("/Groups/{gid}"), &patch(json!([{ "op": "replace", "path": "members.display", "value": "x" }])))
        .await;
    assert_scim_error(&res, 400, Some("invalidPath"));
    let res =
        app.patch(&format!("/Groups/{gid}"), &patch(json!([{ "op": "replace", "path": "id", "value": "x" }]))).await;
    assert_scim_error(&res, 400, Some("mutability"));
}

#[tokio::test]
async fn unknown_ids_are_404() {
    let app = spawn_app().await;
    let ghost = "00000000-0000-4000-8000-000000000000";
    let user = okta_user("ghost@example.com", "Ghost", "User");
    let ops = patch(json!([{ "op": "replace", "value": { "active": false } }]));
    for res in [
        app.get(&format!("/Users/{ghost}")).await,
        app.put(&format!("/Users/{ghost}"), &user).await,
        app.patch(&format!("/Users/{ghost}"), &ops).await,
        app.delete(&format!("/Users/{ghost}")).await,
        app.get(&format!("/Groups/{ghost}")).await,
        app.put(&format!("/Groups/{ghost}"), &json!({ "displayName": "G" })).await,
        app.patch(&format!("/Groups/{ghost}"), &patch(json!([{ "op": "replace", "value": { "displayName": "G" } }])))
            .await,
        app.delete(&format!("/Groups/{ghost}")).await,
    ] {
        let detail = assert_scim_error(&res, 404, None);
        assert!(detail.contains(ghost), "{detail}");
    }
    // Nothing was created by the PUTs.
    assert_eq!(app.get("/Users").await.scim(200).body["totalResults"], json!(0));
    assert_eq!(app.get("/Groups").await.scim(200).body["totalResults"], json!(0));
}

#[tokio::test]
async fn unsupported_methods_and_paths_are_scim_errors() {
    let app = spawn_app().await;
    let id = app.create_user("method.user@example.com").await["id"].as_str().expect("id").to_owned();
    let cases = [
        (Method::DELETE, "/Users".to_owned(), 405, Some("GET, POST")),
        (Method::PUT, "/Groups".to_owned(), 405, Some("GET, POST")),
        (Method::POST, format!("/Users/{id}"), 405, Some("GET, PUT, PATCH, DELETE")),
        (Method::GET, "/Users/.search".to_owned(), 405, Some("POST")),
        (Method::GET, "/.search".to_owned(), 405, Some("POST")),
        (Method::POST, "/ServiceProviderConfig".to_owned(), 405, Some("GET")),
        (Method::DELETE, "/Schemas".to_owned(), 405, Some("GET")),
        (Method::GET, format!("/Users/{id}/emails"), 404, None),
        (Method::GET, "/Groups/a/b".to_owned(), 404, None),
        (Method::GET, "/Devices".to_owned(), 404, None),
    ];
    for (method, path, status, allow) in cases {
        let res = send(app.request(method.clone(), &path).body("{}")).await;
        assert_eq!(res.status, status, "{method} {path}: {res:?}");
        assert_eq!(res.headers.get("allow").and_then(|v| v.to_str().ok()), allow, "{method} {path}: {res:?}");
        assert!(res.headers.contains_key("content-type"), "{method} {path}: {res:?}");
        let detail = assert_scim_error(&res, status, None);
        assert!(detail.contains(&format!("/scim/v2{path}")), "{method} {path}: {detail}");
    }
    // The user is still there.
    app.get(&format!("/Users/{id}")).await.scim(200);
}

#[tokio::test]
async fn user_name_conflicts_on_update_are_409() {
    let app = spawn_app().await;
    app.create_user("taken@example.com").await;
    let (id, before) = some_user(&app).await;
    let mut body = before.clone();
    body["userName"] = json!("TAKEN@example.com");
    assert_scim_error(&app.put(&format!("/Users/{id}"), &body).await, 409, Some("uniqueness"));
    let ops = patch(json!([{ "op": "replace", "path": "userName", "value": "Taken@Example.com" }]));
    assert_scim_error(&app.patch(&format!("/Users/{id}"), &ops).await, 409, Some("uniqueness"));
    assert_eq!(app.get(&format!("/Users/{id}")).await.scim(200).body, before);
    // Changing only the letter case of one's own userName is allowed.
    let ops = patch(json!([{ "op": "replace", "path": "userName", "value": "Err.User@example.com" }]));
    assert_eq!(app.patch(&format!("/Users/{id}"), &ops).await.scim(200).body["userName"], "Err.User@example.com");
}
