//! Listing: paging, sorting, filters (pushed down to SQL or evaluated in Rust), projection and
//! `/.search`, over a seeded directory of 30 users.

use crate::helpers::{enc, send, spawn_app, TestApp, LIST_SCHEMA, SEARCH_SCHEMA};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::time::Duration;

const USERS: usize = 30;
const FAMILIES: [&str; 3] = ["Nguyen", "Garcia", "Smith"];

/// The seeded directory, as data the expectations are computed from.
struct Seed {
    /// The created resources, in creation order (user `i` is at `i - 1`).
    users: Vec<Value>,
    /// `meta.created` of user 20; users 21.. were created strictly later.
    created_20: String,
}

fn user_body(i: usize) -> Value {
    let work = if i % 5 == 0 { format!("u{i}@corp.net") } else { format!("user{i:02}@example.com") };
    let mut emails = vec![json!({ "primary": true, "type": "work", "value": work })];
    if i % 4 == 0 {
        emails.push(json!({ "type": "home", "value": format!("user{i}@home.com") }));
    }
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": format!("user{i:02}@example.com"),
        "externalId": format!("00u{i:04}"),
        "name": { "givenName": format!("Given{i}"), "familyName": FAMILIES[i % 3] },
        "displayName": format!("User {i:02}"),
        "emails": emails,
        "active": i % 7 != 0
    })
}

async fn seed(app: &TestApp) -> Seed {
    let mut users = Vec::with_capacity(USERS);
    let mut created_20 = String::new();
    for i in 1..=USERS {
        let user = app.create_user_from(&user_body(i)).await;
        if i == 20 {
            created_20 = user["meta"]["created"].as_str().expect("meta.created").to_owned();
            // Timestamps have millisecond precision: make sure the next users are strictly later.
            tokio::time::sleep(Duration::from_millis(15)).await;
        }
        users.push(user);
    }
    Seed { users, created_20 }
}

fn ids(list: &Value) -> Vec<String> {
    list["Resources"].as_array().expect("Resources").iter().map(|r| r["id"].as_str().expect("id").to_owned()).collect()
}

fn user_names(list: &Value) -> Vec<String> {
    list["Resources"]
        .as_array()
        .expect("Resources")
        .iter()
        .map(|r| r["userName"].as_str().expect("userName").to_owned())
        .collect()
}

async fn list(app: &TestApp, query: &str) -> Value {
    let body = app.get(&format!("/Users?{query}")).await.scim(200).body;
    assert_eq!(body["schemas"], json!([LIST_SCHEMA]));
    assert_eq!(body["itemsPerPage"], json!(body["Resources"].as_array().map_or(0, Vec::len)), "{body}");
    body
}

async fn total(app: &TestApp, filter: &str) -> u64 {
    let body = list(app, &format!("filter={}&count=100", enc(filter))).await;
    let total = body["totalResults"].as_u64().expect("totalResults");
    assert_eq!(ids(&body).len() as u64, total, "{filter}: every match fits in one page");
    total
}

#[tokio::test]
async fn paging_covers_every_user_exactly_once() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let all: HashSet<String> = seed.users.iter().map(|u| u["id"].as_str().expect("id").to_owned()).collect();

    let mut seen = Vec::new();
    for start in (1..=USERS).step_by(7) {
        let page = list(&app, &format!("startIndex={start}&count=7")).await;
        assert_eq!(page["totalResults"], json!(USERS));
        assert_eq!(page["startIndex"], json!(start));
        let page_ids = ids(&page);
        assert_eq!(page_ids.len(), 7.min(USERS + 1 - start));
        // Stable: the same page again is the same.
        assert_eq!(ids(&list(&app, &format!("startIndex={start}&count=7")).await), page_ids);
        seen.extend(page_ids);
    }
    assert_eq!(seen.len(), USERS);
    assert_eq!(seen.iter().cloned().collect::<HashSet<_>>(), all, "every user exactly once");

    // Paging a filtered, sorted list.
    let mut sorted_pages = Vec::new();
    for start in [1, 5, 9] {
        let page =
            list(&app, &format!("filter={}&sortBy=userName&startIndex={start}&count=4", enc(r#"active eq true"#)))
                .await;
        assert_eq!(page["totalResults"], json!(26));
        sorted_pages.extend(user_names(&page));
    }
    let expected: Vec<String> =
        (1..=USERS).filter(|i| i % 7 != 0).take(12).map(|i| format!("user{i:02}@example.com")).collect();
    assert_eq!(sorted_pages, expected);

    // Past the end: totals, no resources. Out-of-range values are clamped, not refused.
    let past = list(&app, "startIndex=31&count=10").await;
    assert_eq!(past["totalResults"], json!(USERS));
    assert!(ids(&past).is_empty());
    let clamped = list(&app, "startIndex=0&count=2").await;
    assert_eq!(clamped["startIndex"], json!(1));
    assert_eq!(ids(&clamped).len(), 2);
    let default = list(&app, "").await;
    assert_eq!(ids(&default).len(), USERS, "the default page holds 100");
}

#[tokio::test]
async fn count_zero_returns_totals_only() {
    let app = spawn_app().await;
    seed(&app).await;
    let body = list(&app, "count=0").await;
    assert_eq!(body["totalResults"], json!(USERS));
    assert_eq!(body["itemsPerPage"], json!(0));
    assert!(body.get("Resources").is_none_or(|r| r.as_array().is_some_and(Vec::is_empty)), "{body}");
    let body = list(&app, &format!("count=0&filter={}", enc(r#"name.familyName eq "Smith""#))).await;
    assert_eq!(body["totalResults"], json!(10));
    assert_eq!(body["itemsPerPage"], json!(0));
}

#[tokio::test]
async fn sort_by_user_name_both_ways() {
    let app = spawn_app().await;
    seed(&app).await;
    let ascending: Vec<String> = (1..=USERS).map(|i| format!("user{i:02}@example.com")).collect();
    let descending: Vec<String> = ascending.iter().rev().cloned().collect();
    assert_eq!(user_names(&list(&app, "sortBy=userName").await), ascending);
    assert_eq!(user_names(&list(&app, "sortBy=userName&sortOrder=ascending").await), ascending);
    assert_eq!(user_names(&list(&app, "sortBy=userName&sortOrder=descending").await), descending);
    assert_eq!(
        user_names(&list(&app, "sortBy=userName&sortOrder=descending&startIndex=3&count=2").await),
        descending[2..4]
    );

    // An attribute without a column is sorted in memory: familyName, then (stable) by id.
    let by_family = list(&app, "sortBy=name.familyName&sortOrder=descending").await;
    let families: Vec<&str> = by_family["Resources"]
        .as_array()
        .expect("Resources")
        .iter()
        .filter_map(|r| r["name"]["familyName"].as_str())
        .collect();
    let mut expected = families.clone();
    expected.sort_by(|a, b| b.cmp(a));
    assert_eq!(families.len(), USERS);
    assert_eq!(families, expected);

    // The same with a filter SQL decides on its own, and paged.
    let q = format!("filter={}&sortBy=name.familyName&startIndex=2&count=3", enc(r#"userName sw "user1""#));
    let page = list(&app, &q).await;
    assert_eq!(page["totalResults"], json!(10));
    // user10..user19 by family name: Garcia (10, 13, 16, 19), Nguyen (12, 15, 18), Smith (11, 14, 17).
    let families: Vec<&str> = page["Resources"]
        .as_array()
        .expect("Resources")
        .iter()
        .filter_map(|r| r["name"]["familyName"].as_str())
        .collect();
    assert_eq!(families, ["Garcia", "Garcia", "Garcia"]);
    let q = format!("filter={}&sortBy=name.familyName&startIndex=5&count=3", enc(r#"userName sw "user1""#));
    let families: Vec<String> = list(&app, &q).await["Resources"]
        .as_array()
        .expect("Resources")
        .iter()
        .filter_map(|r| r["name"]["familyName"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(families, ["Nguyen", "Nguyen", "Nguyen"]);
}

#[tokio::test]
async fn filters_give_the_right_totals() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let count = |pred: &dyn Fn(usize) -> bool| (1..=USERS).filter(|&i| pred(i)).count() as u64;

    assert_eq!(total(&app, r#"userName sw "user1""#).await, 10);
    assert_eq!(total(&app, r#"userName sw "USER1""#).await, 10, "userName is not case-exact");
    assert_eq!(total(&app, r#"userName eq "user07@example.com""#).await, 1);
    assert_eq!(total(&app, r#"emails.value co "example""#).await, count(&|i| i % 5 != 0));
    assert_eq!(total(&app, r#"emails co "corp.net""#).await, count(&|i| i % 5 == 0));
    // Both conditions must hold on the same e-mail: user 20 has a .com home address and a .net work
    // address, and must not match.
    assert_eq!(total(&app, r#"emails[type eq "work" and value ew ".com"]"#).await, count(&|i| i % 5 != 0));
    assert_eq!(total(&app, r#"emails[type eq "home" and value ew ".com"]"#).await, count(&|i| i % 4 == 0));
    assert_eq!(total(&app, r#"active eq false"#).await, 4);
    assert_eq!(total(&app, r#"not (active eq true)"#).await, 4);
    assert_eq!(total(&app, &format!(r#"meta.created gt "{}""#, seed.created_20)).await, 10);
    assert_eq!(total(&app, &format!(r#"meta.created le "{}""#, seed.created_20)).await, 20);
    assert_eq!(total(&app, r#"externalId eq "00u0007""#).await, 1);
    assert_eq!(total(&app, r#"externalId eq "00U0007""#).await, 0, "externalId is case-exact");
    // Not pushed down: evaluated in Rust.
    assert_eq!(total(&app, r#"name.familyName eq "Smith""#).await, count(&|i| i % 3 == 2));
    assert_eq!(
        total(&app, r#"name.familyName eq "smith""#).await,
        count(&|i| i % 3 == 2),
        "familyName is not case-exact"
    );
    assert_eq!(
        total(&app, r#"name.familyName eq "Smith" and active eq false"#).await,
        count(&|i| i % 3 == 2 && i % 7 == 0)
    );
    assert_eq!(
        total(&app, r#"name.familyName eq "Nguyen" or userName sw "user2""#).await,
        count(&|i| i % 3 == 0 || (20..=29).contains(&i))
    );
    assert_eq!(total(&app, r#"not (name.familyName eq "Garcia")"#).await, count(&|i| i % 3 != 1));
    assert_eq!(total(&app, r#"displayName pr and title pr"#).await, 0);
    assert_eq!(total(&app, r#"userName pr"#).await, USERS as u64);

    // Each result really matches.
    let body = list(&app, &format!("filter={}", enc(r#"name.familyName eq "Garcia" and userName sw "user1""#))).await;
    let names = user_names(&body);
    assert!(!names.is_empty());
    for r in body["Resources"].as_array().expect("Resources") {
        assert_eq!(r["name"]["familyName"], "Garcia");
        assert!(r["userName"].as_str().is_some_and(|n| n.starts_with("user1")), "{r}");
    }
    assert_eq!(names.len() as u64, count(&|i| i % 3 == 1 && (10..=19).contains(&i)));
}

#[tokio::test]
async fn attributes_and_excluded_attributes_project_the_answer() {
    let app = spawn_app().await;
    let seed = seed(&app).await;

    let body = list(&app, "attributes=userName&count=5").await;
    for r in body["Resources"].as_array().expect("Resources") {
        let mut keys: Vec<&str> = r.as_object().expect("object").keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["id", "schemas", "userName"], "{r}");
    }
    let body = list(&app, "attributes=name.familyName,emails.value&count=1").await;
    let r = &body["Resources"][0];
    assert!(r["name"].get("givenName").is_none() && r["name"]["familyName"].is_string(), "{r}");
    assert!(
        r["emails"].as_array().expect("emails").iter().all(|e| e.get("type").is_none() && e["value"].is_string()),
        "{r}"
    );
    assert!(r.get("userName").is_none() && r.get("meta").is_none(), "{r}");

    let body = list(&app, "excludedAttributes=emails").await;
    for r in body["Resources"].as_array().expect("Resources") {
        assert!(r.get("emails").is_none(), "{r}");
        assert!(r["userName"].is_string() && r["meta"].is_object() && r["name"].is_object(), "{r}");
    }

    // The same on a single resource.
    let id = seed.users[0]["id"].as_str().expect("id");
    let one = app.get(&format!("/Users/{id}?attributes=userName")).await.scim(200).body;
    let mut keys: Vec<&str> = one.as_object().expect("object").keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["id", "schemas", "userName"]);
    let one = app.get(&format!("/Users/{id}?excludedAttributes=emails,meta")).await.scim(200).body;
    assert!(one.get("emails").is_none() && one.get("meta").is_none(), "{one}");
    assert_eq!(one["id"], json!(id), "id is always returned");
}

#[tokio::test]
async fn search_endpoint_takes_a_search_request() {
    let app = spawn_app().await;
    seed(&app).await;
    let body = json!({
        "schemas": [SEARCH_SCHEMA],
        "filter": "userName sw \"user1\"",
        "startIndex": 1,
        "count": 5,
        "sortBy": "userName",
        "sortOrder": "descending",
        "attributes": ["userName", "active"]
    });
    let res = app.post("/Users/.search", &body).await.scim(200);
    assert_eq!(res.body["schemas"], json!([LIST_SCHEMA]));
    assert_eq!(res.body["totalResults"], json!(10));
    assert_eq!(res.body["itemsPerPage"], json!(5));
    let names = user_names(&res.body);
    assert_eq!(names, (15..=19).rev().map(|i| format!("user{i:02}@example.com")).collect::<Vec<_>>());
    for r in res.body["Resources"].as_array().expect("Resources") {
        assert!(r.get("emails").is_none() && r["active"].is_boolean(), "{r}");
    }

    // The same search over the query string agrees.
    let q = format!(
        "filter={}&count=5&sortBy=userName&sortOrder=descending&attributes=userName,active",
        enc(r#"userName sw "user1""#)
    );
    assert_eq!(list(&app, &q).await["Resources"], res.body["Resources"]);

    // A search body naming another message schema is refused.
    let wrong = json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "filter": "userName pr" });
    crate::helpers::assert_scim_error(&app.post("/Users/.search", &wrong).await, 400, Some("invalidSyntax"));
    // Groups can be searched too.
    app.create_group("Searchable").await;
    let res = send(
        app.request(reqwest::Method::POST, "/Groups/.search")
            .body(json!({ "filter": "displayName eq \"searchable\"" }).to_string()),
    )
    .await;
    assert_eq!(res.scim(200).body["totalResults"], json!(1));
}
