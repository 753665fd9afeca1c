//! Bearer-token authentication and the SCIM Enabled switch.

use crate::helpers::{assert_scim_error, send, spawn_app};
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn missing_token_is_401_with_a_bearer_challenge() {
    let app = spawn_app().await;
    for (method, path) in
        [(Method::GET, "/Users"), (Method::POST, "/Users"), (Method::GET, "/Groups/x"), (Method::DELETE, "/Users/x")]
    {
        let req = app.request_with_token(method.clone(), path, None);
        let req =
            if method == Method::POST { req.body(json!({ "userName": "x@example.com" }).to_string()) } else { req };
        let res = send(req).await;
        assert_scim_error(&res, 401, None);
        let challenge = res.header("www-authenticate");
        assert!(challenge.starts_with("Bearer"), "{method} {path}: {challenge}");
    }
    // Nothing was created by the refused POST.
    assert_eq!(app.find_users(r#"userName eq "x@example.com""#).await["totalResults"], json!(0));
}

#[tokio::test]
async fn wrong_tokens_are_401() {
    let app = spawn_app().await;
    let wrong = format!("{}0", app.token);
    for auth in [
        format!("Bearer {wrong}"),
        "Bearer ".to_owned(),
        "Bearer sfscim_nope".to_owned(),
        format!("Basic {}", app.token),
    ] {
        let req = app.request_with_token(Method::GET, "/Users", None).header("Authorization", &auth);
        let res = send(req).await;
        assert_scim_error(&res, 401, None);
        assert!(res.header("www-authenticate").starts_with("Bearer"), "{auth}");
    }
    // The scheme name is case-insensitive (RFC 7235).
    let req =
        app.request_with_token(Method::GET, "/Users", None).header("Authorization", format!("bearer {}", app.token));
    send(req).await.scim(200);
}

#[tokio::test]
async fn a_regenerated_token_replaces_the_old_one() {
    let app = spawn_app().await;
    let old = app.token.clone();
    send(app.request_with_token(Method::GET, "/Users", Some(&old))).await.scim(200);

    let new = app.rotate_token().await;
    assert_ne!(new, old);
    assert!(new.starts_with("sfscim_"), "tokens carry a recognisable prefix");
    let res = send(app.request_with_token(Method::GET, "/Users", Some(&old))).await;
    assert_scim_error(&res, 401, None);
    send(app.request_with_token(Method::GET, "/Users", Some(&new))).await.scim(200);

    // With a grace period the previous token keeps working alongside the new one.
    let newer = app.provider.tokens().generate("test", Some(Duration::from_secs(300))).await.expect("generate");
    let newer = secrecy::ExposeSecret::expose_secret(&newer).to_owned();
    send(app.request_with_token(Method::GET, "/Users", Some(&new))).await.scim(200);
    send(app.request_with_token(Method::GET, "/Users", Some(&newer))).await.scim(200);
    assert_scim_error(&send(app.request_with_token(Method::GET, "/Users", Some(&old))).await, 401, None);

    // Revoking stops them all.
    app.provider.tokens().revoke("test").await.expect("revoke");
    assert_scim_error(&send(app.request_with_token(Method::GET, "/Users", Some(&new))).await, 401, None);
    assert_scim_error(&send(app.request_with_token(Method::GET, "/Users", Some(&newer))).await, 401, None);
}

#[tokio::test]
async fn scim_disabled_is_403_with_the_way_to_enable_it() {
    let app = spawn_app().await;
    app.create_user("ada.byron@example.com").await;
    app.set_scim_enabled(false).await;

    let res = app.get("/Users").await;
    let detail = assert_scim_error(&res, 403, None);
    assert!(detail.contains("stackflow-admin okta configure --scim-enabled true"), "{detail}");
    let res = app.post("/Users", &crate::helpers::okta_user("new.user@example.com", "New", "User")).await;
    assert_scim_error(&res, 403, None);
    assert_scim_error(&app.get("/Groups").await, 403, None);

    // A bad token is still a 401, whatever the switch says.
    let res = send(app.request_with_token(Method::GET, "/Users", Some("sfscim_bad"))).await;
    assert_scim_error(&res, 401, None);

    app.set_scim_enabled(true).await;
    let list = app.get("/Users").await.scim(200).body;
    assert_eq!(list["totalResults"], json!(1), "nothing was created while disabled: {list}");
}
