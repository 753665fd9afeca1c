//! Test harness: a migrated [`Store`] per test (in-memory SQLite, or a fresh PostgreSQL database when
//! `STACKFLOW_TEST_DATABASE_URL` is set), and small builders for users, groups, times and queries.

use chrono::{DateTime, Duration, Utc};
use scim_core::{AttrPath, Filter, Group, ListQuery, Member, SortOrder, User};
use sea_orm::ConnectionTrait;
use serde_json::Value;
use store::{Backend, DbOptions, Store};

/// The environment variable naming a PostgreSQL server to run the tests against.
pub const DATABASE_URL_VAR: &str = "STACKFLOW_TEST_DATABASE_URL";

/// The SCIM base URL resources are rendered with.
pub const BASE: &str = "https://stackflow.test/scim/v2";

/// A migrated store: in-memory SQLite, or, when [`DATABASE_URL_VAR`] is set, a fresh PostgreSQL
/// database created for this test alone. Panics (never skips) when that server cannot be used.
pub async fn test_store() -> Store {
    let url = test_database_url().await;
    Store::connect(&url, &DbOptions::default())
        .await
        .unwrap_or_else(|e| panic!("cannot open the test store at {url}: {e}"))
}

/// An empty database for one test: `sqlite::memory:`, or, when [`DATABASE_URL_VAR`] is set, a fresh
/// PostgreSQL database. Panics (never skips) when that server cannot be used.
pub async fn test_database_url() -> String {
    match std::env::var(DATABASE_URL_VAR) {
        Ok(url) if !url.trim().is_empty() => fresh_postgres_database(url.trim()).await,
        _ => "sqlite::memory:".to_owned(),
    }
}

/// Creates `sf_store_<uuid>` on the server `admin_url` points at and returns its URL.
async fn fresh_postgres_database(admin_url: &str) -> String {
    assert!(
        admin_url.starts_with("postgres://") || admin_url.starts_with("postgresql://"),
        "{DATABASE_URL_VAR} must be a postgres:// URL, got {admin_url:?}"
    );
    let name = format!("sf_store_{}", uuid::Uuid::new_v4().simple());
    let conn = sea_orm::Database::connect(admin_url)
        .await
        .unwrap_or_else(|e| panic!("{DATABASE_URL_VAR} is set but PostgreSQL at {admin_url} cannot be reached: {e}"));
    conn.execute_unprepared(&format!(r#"CREATE DATABASE "{name}""#))
        .await
        .unwrap_or_else(|e| panic!("cannot create test database {name} on {admin_url}: {e}"));
    let _ = conn.close().await;
    with_database(admin_url, &name)
}

/// `url` with its database (the path) replaced by `name`, keeping any query string.
fn with_database(url: &str, name: &str) -> String {
    let (main, query) = match url.split_once('?') {
        Some((main, query)) => (main, Some(query)),
        None => (url, None),
    };
    let authority_start = main.find("://").map_or(0, |i| i + 3);
    let server = match main[authority_start..].find('/') {
        Some(slash) => &main[..authority_start + slash],
        None => main,
    };
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

/// Whether the store orders text byte-wise (SQLite always; PostgreSQL under the C collation), so
/// SQL-sorted text can be compared with scim-core's (code point) order.
pub async fn text_order_is_bytewise(store: &Store) -> bool {
    match store.backend() {
        Backend::Sqlite => true,
        Backend::Postgres => {
            let row = store
                .conn()
                .query_one(sea_orm::Statement::from_string(
                    sea_orm::DatabaseBackend::Postgres,
                    "SELECT datcollate::text AS c FROM pg_database WHERE datname = current_database()",
                ))
                .await
                .unwrap()
                .unwrap();
            let collation: String = row.try_get("", "c").unwrap();
            matches!(collation.as_str(), "C" | "POSIX" | "C.UTF-8" | "C.utf8")
        }
    }
}

/// A validated user document.
#[track_caller]
pub fn user(body: Value) -> User {
    User::from_json(&body).unwrap_or_else(|e| panic!("invalid test user {body}: {e:?}"))
}

/// A validated group document (members are ignored: they are stored apart).
#[track_caller]
pub fn group(body: Value) -> Group {
    Group::from_json(&body).unwrap_or_else(|e| panic!("invalid test group {body}: {e:?}")).0
}

/// Member references to `ids`, without a `display` (as most clients send them).
pub fn members(ids: &[String]) -> Vec<Member> {
    ids.iter().map(|id| Member { value: id.clone(), display: None, kind: None }).collect()
}

/// A new resource id.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A fixed instant, `ms` milliseconds after 2024-03-01T12:00:00Z (millisecond precision, as
/// [`store::time::now`] gives).
pub fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_709_294_400, 0).unwrap() + Duration::milliseconds(ms)
}

/// A parsed filter, validated against the resource type like the HTTP layer does.
#[track_caller]
pub fn parse_filter(text: &str, rt: &scim_core::schema::ResourceType) -> Filter {
    let filter: Filter = text.parse().unwrap_or_else(|e| panic!("cannot parse filter {text}: {e:?}"));
    filter.validate(rt).unwrap_or_else(|e| panic!("invalid filter {text}: {e:?}"));
    filter
}

/// A list query.
pub fn query(filter: Option<Filter>, start_index: u64, count: u64, sort: Option<(&str, SortOrder)>) -> ListQuery {
    ListQuery {
        filter,
        start_index,
        count,
        sort_by: sort.map(|(path, _)| path.parse::<AttrPath>().unwrap()),
        sort_order: sort.map_or(SortOrder::Ascending, |(_, order)| order),
        attributes: Vec::new(),
        excluded_attributes: Vec::new(),
    }
}
