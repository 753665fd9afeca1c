//! The filter pushdown property: for a varied population, `users::list` / `groups::list` return
//! exactly what scim-core's reference evaluator ([`Filter::matches`] on the rendered resource) selects,
//! whether the filter translates to SQL exactly, as a superset, or not at all; the translation itself
//! is checked (exact ⇒ same rows, superset ⇒ no row missing); and paging with `count=7` walks the
//! full sorted result with no duplicate and no gap, sorted in SQL or in memory.

use crate::helpers::{at, group, members, new_id, parse_filter, query, test_store, text_order_is_bytewise, user, BASE};
use scim_core::schema::USER_RESOURCE;
use scim_core::{compare_for_sort, AttrPath, Filter, SortOrder};
use sea_orm::{EntityTrait, QueryFilter};
use serde_json::{json, Value};
use std::cmp::Ordering;
use std::collections::BTreeSet;
use store::entity::{groups as groups_table, users as users_table};
use store::query::{translate, Target};
use store::{groups, users, Store};

/// How a filter is expected to translate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tr {
    /// SQL alone decides it.
    Exact,
    /// SQL narrows to a superset; Rust decides.
    Superset,
    /// SQL cannot narrow it at all.
    Untranslated,
}

/// The seeded population.
struct Population {
    store: Store,
    /// User ids, by seed index.
    users: Vec<String>,
    /// Group ids, by seed index.
    groups: Vec<String>,
}

const USERS: usize = 60;

/// Special userNames: LIKE wildcards, the escape character, quotes and non-ASCII letters, each
/// next to a name an unescaped pattern would also match.
const SPECIAL_NAMES: &[&str] = &[
    "bjensen@example.com",
    "BJensen2@Example.COM",
    "percent%sign@example.com",
    "percentXsign@example.com",
    "under_score@example.com",
    "underXscore@example.com",
    r"back\slash@example.com",
    r"backXslash@example.com",
    "quote\"d@example.com",
    "o'brien@example.com",
    "ZOË@example.com",
    "émile@Example.com",
    "Ünïcode_%\\\"mix@example.org",
];

fn user_name(i: usize) -> String {
    match SPECIAL_NAMES.get(i) {
        Some(name) => (*name).to_owned(),
        None => match i % 3 {
            0 => format!("user{i}@example.com"),
            1 => format!("User{i}@EXAMPLE.com"),
            _ => format!("USER{i}@example.org"),
        },
    }
}

fn user_body(i: usize) -> Value {
    let mut body = json!({ "userName": user_name(i) });
    let obj = body.as_object_mut().unwrap();
    // `active` is absent from some documents (an active account that does not say so).
    if i % 7 != 3 {
        obj.insert("active".into(), json!(i % 3 != 0));
    }
    match i % 5 {
        0 => {}
        1 => {
            obj.insert("externalId".into(), json!(format!("ext-{i}")));
        }
        2 => {
            obj.insert("externalId".into(), json!(format!("EXT-{i}")));
        }
        3 => {
            obj.insert("externalId".into(), json!(format!("ext%{i}_x")));
        }
        _ => {
            let v = if i % 10 == 4 { String::new() } else { format!("Ext-{i}") };
            obj.insert("externalId".into(), json!(v));
        }
    }
    let display = match i % 6 {
        0 => None,
        1 => Some(String::new()),
        2 => Some("Barbara Jensen".to_owned()),
        3 => Some("BARBARA JENSEN".to_owned()),
        4 => Some(format!("50% off_{i}")),
        _ => Some(format!("Person {i}")),
    };
    if let Some(d) = display {
        obj.insert("displayName".into(), json!(d));
    }
    let types = ["work", "Home", "WORK", "home"];
    let mut emails = Vec::new();
    for k in 0..i % 4 {
        let value = match k {
            0 if i % 7 == 0 => "Shared@Example.com".to_owned(),
            0 => format!("u{i}.work@Example.COM"),
            1 => format!("U{i}@home.example.org"),
            _ if i % 5 == 0 => String::new(),
            _ => format!("third{i}@x%y_z.com"),
        };
        let mut email = json!({ "value": value, "type": types[(i + k) % 4] });
        if k == 0 && i % 2 == 0 {
            email["primary"] = json!(true);
        }
        emails.push(email);
    }
    if i == 13 || i == 16 {
        // An element without a value: present as an e-mail, absent from the e-mail index (user 16
        // has no other e-mail).
        emails.push(json!({ "type": "work", "display": "no address yet" }));
    }
    if i == 20 || i == 35 {
        // An empty value: indexed, yet not present (user 20 has no other e-mail).
        emails.push(json!({ "value": "", "type": "home" }));
    }
    if !emails.is_empty() {
        obj.insert("emails".into(), Value::Array(emails));
    }
    if i % 9 != 0 {
        let given = ["Barbara", "Alice", "bob"][i % 3];
        let family = ["Jensen", "jensen", "Smith", "O'Neil"][i % 4];
        obj.insert("name".into(), json!({ "givenName": given, "familyName": family }));
    }
    if i % 4 != 0 {
        obj.insert("title".into(), json!(format!("{} {}", ["Engineer", "engineer", "Manager"][i % 3], i % 5)));
    }
    if i % 3 != 2 {
        let department = ["Engineering", "engineering"][i % 2];
        obj.insert(
            scim_core::schema::ENTERPRISE_USER_SCHEMA.into(),
            json!({ "department": department, "employeeNumber": format!("{}", 1000 + i) }),
        );
    }
    body
}

/// The later version some users are updated to (new title, and for some new e-mails).
fn updated_body(i: usize) -> Value {
    let mut body = user_body(i);
    body["title"] = json!(format!("Updated {i}"));
    if i % 8 == 1 {
        body["emails"] = json!([{ "value": format!("Changed{i}@Example.net"), "type": "home" }]);
    }
    body
}

/// A seeded group: whether its id is upper-case, its document, and which seeded users are members.
type GroupSpec = (bool, Value, fn(usize) -> bool);

async fn seed() -> Population {
    let store = test_store().await;
    let txn = store.write().await.unwrap();
    let mut user_ids = Vec::new();
    for i in 0..USERS {
        let id = new_id();
        // Creation times are distinct and not in insertion (nor id) order.
        let created = at(((i * 37) % USERS) as i64 * 61_007);
        let stored = users::insert(&*txn, &id, &user(user_body(i)), created).await.unwrap();
        if i % 4 == 1 {
            users::update(&*txn, &stored, &user(updated_body(i)), at(10_000_000 + i as i64 * 1_013)).await.unwrap();
        }
        user_ids.push(id);
    }
    let specs: [GroupSpec; 5] = [
        (false, json!({ "displayName": "Engineering", "externalId": "eng" }), |i| i % 2 == 0),
        (false, json!({ "displayName": "engineering-Leads", "externalId": "ENG" }), |i| i % 10 == 0),
        (false, json!({ "displayName": "50% Club_" }), |_| false),
        // An upper-case id: ids are opaque, case-exact strings.
        (true, json!({ "displayName": "Okta Admins", "externalId": "okta\\admins" }), |i| [1, 3, 5, 13].contains(&i)),
        (false, json!({ "displayName": "empty", "externalId": "" }), |_| false),
    ];
    let mut group_ids = Vec::new();
    for (k, (upper, body, member)) in specs.iter().enumerate() {
        let id = if *upper { new_id().to_uppercase() } else { new_id() };
        groups::insert(&*txn, &id, &group(body.clone()), at(5_000_000 - k as i64 * 97_001)).await.unwrap();
        // Some members come with the `display` the client sent, most without.
        let list: Vec<scim_core::Member> = (0..USERS)
            .filter(|i| member(*i))
            .map(|i| scim_core::Member {
                value: user_ids[i].clone(),
                display: (i % 3 == 0).then(|| user_name(i)),
                kind: None,
            })
            .collect();
        groups::add_members(&*txn, &id, &list).await.unwrap();
        group_ids.push(id);
    }
    txn.commit().await.unwrap();
    Population { store, users: user_ids, groups: group_ids }
}

/// Every user rendered as the HTTP layer would, with its groups.
async fn rendered_users(p: &Population) -> Vec<(String, Value)> {
    let c = p.store.conn();
    let ids: Vec<&str> = p.users.iter().map(String::as_str).collect();
    let groups = users::groups_of(c, &ids).await.unwrap();
    let mut out = Vec::new();
    for id in &p.users {
        let u = users::get(c, id).await.unwrap().unwrap();
        let g = groups.get(id).map(Vec::as_slice).unwrap_or_default();
        out.push((id.clone(), scim_core::render_user(BASE, &u.id, &u.user, &u.meta, g)));
    }
    out
}

/// Every group rendered with its members.
async fn rendered_groups(p: &Population) -> Vec<(String, Value)> {
    let c = p.store.conn();
    let mut out = Vec::new();
    for id in &p.groups {
        let g = groups::get(c, id).await.unwrap().unwrap();
        let m = groups::members(c, id).await.unwrap();
        out.push((id.clone(), scim_core::render_group(BASE, &g.id, &g.group, &g.meta, Some(&m))));
    }
    out
}

/// A string value of a rendered resource, e.g. `meta.created`.
fn rendered<'a>(all: &'a [(String, Value)], id: &str, pointer: &str) -> &'a str {
    let (_, json) = all.iter().find(|(i, _)| i == id).unwrap();
    json.pointer(pointer).and_then(Value::as_str).unwrap()
}

/// Checks one filter on one target; returns a description of every disagreement.
async fn check_filter(p: &Population, target: Target, all: &[(String, Value)], text: &str, expect: Tr) -> Vec<String> {
    let rt = target.resource_type();
    let filter = parse_filter(text, rt);
    let expected: BTreeSet<String> =
        all.iter().filter(|(_, json)| filter.matches(json, rt)).map(|(id, _)| id.clone()).collect();
    let mut problems = Vec::new();

    // The translation: its kind, and its rows (exact: the same; superset: none missing).
    let translation = translate(target, &filter);
    let kind = match &translation {
        None => Tr::Untranslated,
        Some(t) if t.exact => Tr::Exact,
        Some(_) => Tr::Superset,
    };
    if kind != expect {
        problems.push(format!("{text}: translates as {kind:?}, expected {expect:?}"));
    }
    if let Some(t) = translation {
        let c = p.store.conn();
        let sql: BTreeSet<String> = match target {
            Target::Users => users_table::Entity::find()
                .filter(t.expr)
                .all(c)
                .await
                .map(|rows| rows.into_iter().map(|r| r.id).collect()),
            Target::Groups => groups_table::Entity::find()
                .filter(t.expr)
                .all(c)
                .await
                .map(|rows| rows.into_iter().map(|r| r.id).collect()),
        }
        .unwrap_or_else(|e| panic!("{text}: the translated SQL fails: {e}"));
        if t.exact && sql != expected {
            problems.push(format!(
                "{text}: exact SQL selects {} rows, the evaluator {}; SQL only: {:?}; evaluator only: {:?}",
                sql.len(),
                expected.len(),
                sql.difference(&expected).collect::<Vec<_>>(),
                expected.difference(&sql).collect::<Vec<_>>()
            ));
        }
        if !t.exact && !sql.is_superset(&expected) {
            problems.push(format!(
                "{text}: superset SQL misses matches {:?}",
                expected.difference(&sql).collect::<Vec<_>>()
            ));
        }
    }

    // The list runner.
    let q = query(Some(filter), 1, 1_000, None);
    let page = match target {
        Target::Users => {
            users::list(p.store.conn(), &q, BASE).await.map(|pg| (pg.total, ids(pg.items.iter().map(|u| &u.id))))
        }
        Target::Groups => {
            groups::list(p.store.conn(), &q, BASE).await.map(|pg| (pg.total, ids(pg.items.iter().map(|g| &g.id))))
        }
    };
    let (total, got) = page.unwrap_or_else(|e| panic!("{text}: list failed: {e}"));
    let got_set: BTreeSet<String> = got.iter().cloned().collect();
    if got_set.len() != got.len() {
        problems.push(format!("{text}: list returned duplicates"));
    }
    if got_set != expected || total != expected.len() as u64 {
        problems.push(format!(
            "{text}: list returned {} (total {total}), the evaluator {}; list only: {:?}; evaluator only: {:?}",
            got.len(),
            expected.len(),
            got_set.difference(&expected).collect::<Vec<_>>(),
            expected.difference(&got_set).collect::<Vec<_>>()
        ));
    }
    problems
}

fn ids<'a>(items: impl Iterator<Item = &'a String>) -> Vec<String> {
    items.cloned().collect()
}

#[tokio::test]
async fn user_filters_agree_with_the_reference_evaluator() {
    let p = seed().await;
    let all = rendered_users(&p).await;
    let (u3, u13) = (&p.users[3], &p.users[13]);
    let g_eng = &p.groups[0];
    let g_upper = &p.groups[3];
    // A creation time in the middle of the population, as the client was shown it.
    let t = rendered(&all, &p.users[20], "/meta/created").to_owned();
    let t_dt = chrono::DateTime::parse_from_rfc3339(&t).unwrap();
    let t_offset = t_dt.with_timezone(&chrono::FixedOffset::east_opt(2 * 3600).unwrap()).to_rfc3339();
    // The same instant plus 100 ns: between two stored microseconds.
    let t_nanos = (t_dt + chrono::Duration::nanoseconds(100)).to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
    let lm = rendered(&all, &p.users[21], "/meta/lastModified").to_owned();
    let dept = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department";
    use Tr::{Exact as E, Superset as S, Untranslated as N};

    let corpus: Vec<(String, Tr)> = vec![
        // id: case-exact
        (format!(r#"id eq "{u3}""#), E),
        (format!(r#"id ne "{u3}""#), E),
        (format!(r#"id eq "{}""#, u3.to_uppercase()), E),
        (format!(r#"id sw "{}""#, &u3[..8]), S),
        (format!(r#"id sw "{}""#, u3[..8].to_uppercase()), S),
        (format!(r#"urn:ietf:params:scim:schemas:core:2.0:User:id eq "{u13}""#), E),
        // externalId: case-exact, nullable, sometimes empty
        (r#"externalId eq "ext-1""#.into(), E),
        (r#"externalId eq "EXT-1""#.into(), E),
        (r#"externalId eq """#.into(), E),
        (r#"externalId ne "ext-11""#.into(), E),
        ("externalId pr".into(), E),
        ("not (externalId pr)".into(), E),
        (r#"externalId co "xt-1""#.into(), S),
        (r#"externalId sw "ext%""#.into(), S),
        (r#"externalId ew "_x""#.into(), S),
        (r#"not (externalId eq "ext-1")"#.into(), E),
        // userName: case-insensitive, LIKE wildcards and escapes taken literally
        (r#"userName eq "BJENSEN@EXAMPLE.COM""#.into(), E),
        (r#"USERNAME EQ "bjensen@example.com""#.into(), E),
        (r#"userName ne "bjensen@example.com""#.into(), E),
        (r#"userName sw "user1""#.into(), E),
        (r#"userName ew "@EXAMPLE.ORG""#.into(), E),
        (r#"userName co "t%s""#.into(), E),
        (r#"userName co "%""#.into(), E),
        (r#"userName co "r_s""#.into(), E),
        (r#"userName co "_""#.into(), E),
        (r#"userName co "k\\s""#.into(), E),
        (r#"userName co "\\""#.into(), E),
        (r#"userName co "\"""#.into(), E),
        (r#"userName co """#.into(), E),
        (r#"userName sw "o'b""#.into(), E),
        (r#"userName eq "zoë@example.com""#.into(), E),
        (r#"userName sw "Émile""#.into(), E),
        (r#"userName co "_%\\\"""#.into(), E),
        ("userName pr".into(), E),
        (r#"userName gt "user3""#.into(), N),
        (r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "USER""#.into(), E),
        // displayName: case-insensitive, nullable, sometimes empty
        (r#"displayName eq "barbara jensen""#.into(), E),
        (r#"displayName ne "Barbara Jensen""#.into(), E),
        (r#"displayName co "JEN""#.into(), E),
        (r#"displayName sw "50% off_1""#.into(), E),
        (r#"displayName eq """#.into(), E),
        (r#"displayName sw """#.into(), E),
        ("displayName pr".into(), E),
        ("not (displayName pr)".into(), E),
        (r#"not (displayName co "jensen")"#.into(), E),
        // emails: case-insensitive, multi-valued, through the e-mail index
        (r#"emails.value eq "SHARED@example.COM""#.into(), E),
        (r#"emails eq "shared@example.com""#.into(), E),
        (r#"emails co "@HOME.example""#.into(), E),
        (r#"emails.value sw "u1""#.into(), E),
        (r#"emails.value ew ".org""#.into(), E),
        (r#"emails.value co "%y_""#.into(), E),
        (r#"emails.value eq "changed9@example.NET""#.into(), E),
        (r#"emails.value eq "u9.work@example.com""#.into(), E),
        // `emails pr` also holds for an element with no value, which the index cannot see.
        ("emails pr".into(), N),
        ("emails.value pr".into(), E),
        ("not (emails pr)".into(), N),
        ("not (emails.value pr)".into(), E),
        (r#"emails.value eq """#.into(), E),
        (r#"emails co """#.into(), E),
        (r#"not (emails.value co "example")"#.into(), E),
        (r#"emails.value ne "shared@example.com""#.into(), N),
        (r#"emails[value eq "shared@example.com"]"#.into(), E),
        (r#"emails[value co "EXAMPLE"]"#.into(), E),
        ("emails[value pr]".into(), E),
        (r#"emails[value co "u1" and value co "home"]"#.into(), S),
        (r#"emails[value sw "u1" or value sw "u2"]"#.into(), S),
        // active
        ("active eq true".into(), E),
        ("active ne true".into(), E),
        ("active eq false".into(), E),
        ("active pr".into(), E),
        ("not (active pr)".into(), E),
        ("not (active eq false)".into(), E),
        (r#"active eq "true""#.into(), N),
        // meta.created / meta.lastModified: instants
        (format!(r#"meta.created eq "{t}""#), E),
        (format!(r#"meta.created ne "{t}""#), E),
        (format!(r#"meta.created gt "{t}""#), E),
        (format!(r#"meta.created ge "{t}""#), E),
        (format!(r#"meta.created lt "{t_offset}""#), E),
        (format!(r#"meta.created le "{t_offset}""#), E),
        (format!(r#"meta.lastModified gt "{lm}""#), E),
        (format!(r#"meta.lastModified le "{lm}""#), E),
        (format!(r#"meta.created gt "{t}" and meta.created lt "{lm}""#), E),
        (r#"meta.created sw "2024-03-01""#.into(), N),
        (r#"meta.created gt "2024-03-01T12:30:00""#.into(), N),
        ("meta.created pr".into(), E),
        // groups: the user's memberships
        (format!(r#"groups.value eq "{g_eng}""#), E),
        (format!(r#"groups eq "{g_upper}""#), E),
        ("groups pr".into(), E),
        ("not (groups pr)".into(), E),
        (format!(r#"groups.display eq "Engineering" and groups.value eq "{g_eng}""#), S),
        // logic over pushable terms
        (r#"userName sw "user" or displayName pr"#.into(), E),
        ("not (active eq true or externalId pr)".into(), E),
        (format!(r#"(userName co "1" or emails co "home") and not (id eq "{u3}")"#), E),
        (r#"active eq false and (emails.value pr or not (displayName co "barbara"))"#.into(), E),
        (r#"active eq false and (emails pr or not (displayName co "barbara"))"#.into(), S),
        // not pushable
        (r#"name.familyName eq "jensen""#.into(), N),
        ("title pr".into(), N),
        (format!(r#"{dept} eq "ENGINEERING""#), N),
        (r#"emails.type eq "work""#.into(), N),
        (r#"emails[type eq "work"]"#.into(), N),
        ("emails[primary eq true]".into(), N),
        (r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#.into(), N),
        (r#"meta.resourceType eq "User""#.into(), N),
        ("userName eq true".into(), N),
        ("externalId eq null".into(), N),
        // mixes of pushable and non-pushable terms
        (r#"emails[type eq "WORK" and value co "example.com"]"#.into(), S),
        (r#"userName sw "user" and title pr"#.into(), S),
        (r#"title pr and active eq false"#.into(), S),
        (r#"userName sw "user" or title pr"#.into(), N),
        (r#"not (userName sw "user" and title pr)"#.into(), N),
        (r#"active eq true and not (name.familyName eq "Jensen")"#.into(), S),
        (r#"(emails.type eq "home" or emails.value co "shared") and active eq false"#.into(), S),
        ("title pr or not (displayName pr)".into(), N),
        ("not (title pr) and externalId pr".into(), S),
        (format!(r#"{dept} pr and (displayName eq "barbara jensen" or emails co "%")"#), S),
        (r#"title co "engineer" and (userName co "_" or userName co "\\")"#.into(), S),
        // a value path whose element conditions may hold on different elements, or are negated
        (r#"emails[not (value eq "shared@example.com")]"#.into(), N),
        (r#"emails[value co "example" and not (value co "shared")]"#.into(), S),
        // case-insensitive group references (groups.value is not caseExact, RFC 7643 §8.7.1)
        (format!(r#"groups.value eq "{}""#, g_eng.to_uppercase()), E),
        (format!(r#"groups.value eq "{}""#, g_upper.to_lowercase()), E),
        // sub-microsecond literals: finer than what is stored, evaluated in Rust
        (format!(r#"meta.created eq "{t_nanos}""#), N),
        (format!(r#"meta.created ge "{t_nanos}""#), N),
        (format!(r#"meta.created lt "{t_nanos}""#), N),
    ];
    assert!(corpus.len() >= 40);
    let mut problems = Vec::new();
    for (text, expect) in &corpus {
        problems.extend(check_filter(&p, Target::Users, &all, text, *expect).await);
    }
    assert!(problems.is_empty(), "{} of {} filters disagree:\n{}", problems.len(), corpus.len(), problems.join("\n"));
}

#[tokio::test]
async fn group_filters_agree_with_the_reference_evaluator() {
    let p = seed().await;
    let all = rendered_groups(&p).await;
    let (g0, g3) = (&p.groups[0], &p.groups[3]);
    let (u1, u2, u4) = (&p.users[1], &p.users[2], &p.users[4]);
    let created = rendered(&all, &p.groups[2], "/meta/created").to_owned();
    use Tr::{Exact as E, Superset as S, Untranslated as N};
    let corpus: Vec<(String, Tr)> = vec![
        (r#"displayName eq "ENGINEERING""#.into(), E),
        (r#"displayName ne "engineering""#.into(), E),
        (r#"displayName sw "engineering""#.into(), E),
        (r#"displayName co "% c""#.into(), E),
        (r#"displayName ew "b_""#.into(), E),
        (r#"displayName co "_""#.into(), E),
        ("displayName pr".into(), E),
        (r#"externalId eq "eng""#.into(), E),
        (r#"externalId eq "ENG""#.into(), E),
        (r#"externalId ne "eng""#.into(), E),
        ("externalId pr".into(), E),
        ("not (externalId pr)".into(), E),
        (r#"externalId co "\\""#.into(), S),
        (r#"externalId sw "EN""#.into(), S),
        (format!(r#"id eq "{g3}""#), E),
        (format!(r#"id eq "{}""#, g3.to_lowercase()), E),
        (format!(r#"id ne "{g0}""#), E),
        (format!(r#"members.value eq "{u1}""#), E),
        (format!(r#"members eq "{u2}""#), E),
        (format!(r#"members.value eq "{}""#, u2.to_uppercase()), E),
        (format!(r#"members[value eq "{u4}"]"#), E),
        (format!(r#"members[value eq "{u1}"] and displayName sw "okta""#), E),
        (format!(r#"members[value eq "{u1}"] or members[value eq "{u4}"]"#), E),
        (format!(r#"not (members[value eq "{u4}"])"#), E),
        ("members pr".into(), E),
        ("not (members pr)".into(), E),
        (format!(r#"members[value eq "{u1}" or value eq "{u2}"]"#), S),
        (format!(r#"members[value eq "{u1}" and value eq "{u2}"]"#), S),
        (format!(r#"members[value eq "{u2}" and not (value eq "{u4}")]"#), S),
        (format!(r#"members[not (value eq "{u4}")]"#), N),
        (format!(r#"members.value ne "{u4}""#), N),
        (format!(r#"members.value sw "{}""#, &u4[..4]), N),
        (r#"members.display co "USER""#.into(), N),
        ("members.display pr".into(), N),
        (r#"members[type eq "User"]"#.into(), N),
        (r#"members.display co "user" and displayName co "eng""#.into(), S),
        (format!(r#"meta.created eq "{created}""#), E),
        (format!(r#"meta.created lt "{created}" or displayName eq "empty""#), E),
        (format!(r#"meta.lastModified ge "{created}""#), E),
    ];
    let mut problems = Vec::new();
    for (text, expect) in &corpus {
        problems.extend(check_filter(&p, Target::Groups, &all, text, *expect).await);
    }
    assert!(problems.is_empty(), "{} of {} filters disagree:\n{}", problems.len(), corpus.len(), problems.join("\n"));
}

/// The full expected order: scim-core's sort order (reversed for descending), ties by id.
fn expected_order(
    all: &[(String, Value)],
    matching: &BTreeSet<String>,
    sort: Option<(&str, SortOrder)>,
    rt: &scim_core::schema::ResourceType,
) -> Vec<String> {
    let mut rows: Vec<&(String, Value)> = all.iter().filter(|(id, _)| matching.contains(id)).collect();
    rows.sort_by(|(ia, a), (ib, b)| {
        let ord = match sort {
            None => Ordering::Equal,
            Some((path, order)) => {
                let path: AttrPath = path.parse().unwrap();
                let ord = compare_for_sort(a, b, &path, rt);
                if order == SortOrder::Descending {
                    ord.reverse()
                } else {
                    ord
                }
            }
        };
        ord.then_with(|| ia.cmp(ib))
    });
    rows.into_iter().map(|(id, _)| id.clone()).collect()
}

/// Walks every page of `count` 7 and checks it against one big page and the reference order.
async fn check_paging(
    p: &Population,
    target: Target,
    all: &[(String, Value)],
    filter: Option<&str>,
    sort: Option<(&str, SortOrder)>,
    bytewise: bool,
) -> Vec<String> {
    let rt = target.resource_type();
    let parsed: Option<Filter> = filter.map(|f| parse_filter(f, rt));
    let matching: BTreeSet<String> = all
        .iter()
        .filter(|(_, json)| parsed.as_ref().is_none_or(|f| f.matches(json, rt)))
        .map(|(id, _)| id.clone())
        .collect();
    let label = format!("filter {filter:?}, sort {sort:?}");
    let list = |q: scim_core::ListQuery| async move {
        match target {
            Target::Users => {
                users::list(p.store.conn(), &q, BASE).await.map(|pg| (pg.total, ids(pg.items.iter().map(|u| &u.id))))
            }
            Target::Groups => {
                groups::list(p.store.conn(), &q, BASE).await.map(|pg| (pg.total, ids(pg.items.iter().map(|g| &g.id))))
            }
        }
        .unwrap()
    };
    let mut problems = Vec::new();
    let (total, full) = list(query(parsed.clone(), 1, 1_000, sort)).await;
    if total != matching.len() as u64 || full.len() != matching.len() {
        problems.push(format!("{label}: total {total}, {} items, the evaluator {}", full.len(), matching.len()));
    }
    let mut walked = Vec::new();
    let mut start = 1;
    loop {
        let (page_total, items) = list(query(parsed.clone(), start, 7, sort)).await;
        if page_total != total {
            problems.push(format!("{label}: page at {start} says total {page_total}, not {total}"));
        }
        if items.len() > 7 {
            problems.push(format!("{label}: page at {start} has {} items", items.len()));
        }
        if items.is_empty() {
            break;
        }
        start += items.len() as u64;
        walked.extend(items);
        if walked.len() > 2 * all.len() {
            problems.push(format!("{label}: paging does not end"));
            break;
        }
    }
    if walked != full {
        problems.push(format!("{label}: the pages concatenated differ from the full result"));
    }
    if walked.iter().collect::<BTreeSet<_>>().len() != walked.len() {
        problems.push(format!("{label}: pages repeat items"));
    }
    if walked.iter().cloned().collect::<BTreeSet<_>>() != matching {
        problems.push(format!("{label}: pages do not cover exactly the matches"));
    }
    // Text sorted by SQL follows the database collation: compare with code point order only where
    // they agree (SQLite, PostgreSQL under the C collation).
    let text_in_sql = match sort {
        None => true, // by id
        Some((path, _)) => ["id", "externalId", "userName", "displayName"].contains(&path),
    };
    if bytewise || !text_in_sql {
        let expected = expected_order(all, &matching, sort, rt);
        if full != expected {
            let position = full.iter().zip(&expected).position(|(a, b)| a != b);
            problems.push(format!("{label}: order differs from scim-core's sort order from position {position:?}"));
        }
    }
    problems
}

#[tokio::test]
async fn user_pages_cover_the_sorted_result_without_duplicates_or_gaps() {
    let p = seed().await;
    let all = rendered_users(&p).await;
    let bytewise = text_order_is_bytewise(&p.store).await;
    let filters = [
        None,
        Some(r#"userName sw "user""#),
        Some("active eq true"),
        Some(r#"userName sw "user" and title pr"#),
        Some(r#"emails[type eq "work"] or title pr"#),
        Some(r#"not (title co "engineer")"#),
    ];
    let sorts = [
        None,
        Some(("userName", SortOrder::Ascending)),
        Some(("userName", SortOrder::Descending)),
        Some(("displayName", SortOrder::Ascending)),
        Some(("displayName", SortOrder::Descending)),
        Some(("meta.created", SortOrder::Ascending)),
        Some(("meta.created", SortOrder::Descending)),
        Some(("meta.lastModified", SortOrder::Descending)),
        Some(("active", SortOrder::Descending)),
        Some(("title", SortOrder::Ascending)),
        Some(("title", SortOrder::Descending)),
        Some(("emails", SortOrder::Ascending)),
        Some(("groups.display", SortOrder::Ascending)),
    ];
    let mut problems = Vec::new();
    for filter in filters {
        for sort in sorts {
            problems.extend(check_paging(&p, Target::Users, &all, filter, sort, bytewise).await);
        }
    }
    assert!(problems.is_empty(), "{} paging problems:\n{}", problems.len(), problems.join("\n"));
}

#[tokio::test]
async fn group_pages_cover_the_sorted_result_without_duplicates_or_gaps() {
    let mut p = seed().await;
    // More groups than a page or two.
    let txn = p.store.write().await.unwrap();
    for k in 0..17 {
        let id = new_id();
        let name = format!("{} team {k}", ["Alpha", "beta", "GAMMA"][k % 3]);
        groups::insert(
            &*txn,
            &id,
            &group(json!({ "displayName": name })),
            at(7_000_000 + ((k * 7) % 17) as i64 * 1_000),
        )
        .await
        .unwrap();
        groups::add_members(&*txn, &id, &members(&p.users[k..k + k % 4])).await.unwrap();
        p.groups.push(id);
    }
    txn.commit().await.unwrap();
    let all = rendered_groups(&p).await;
    let bytewise = text_order_is_bytewise(&p.store).await;
    let member = format!(r#"members[value eq "{}"]"#, p.users[2]);
    let filters = [
        None,
        Some(r#"displayName co "team""#),
        Some("members pr"),
        Some(member.as_str()),
        Some(r#"members.display co "user""#),
    ];
    let sorts = [
        None,
        Some(("displayName", SortOrder::Ascending)),
        Some(("displayName", SortOrder::Descending)),
        Some(("externalId", SortOrder::Ascending)),
        Some(("meta.created", SortOrder::Descending)),
        Some(("members.value", SortOrder::Ascending)),
    ];
    let mut problems = Vec::new();
    for filter in filters {
        for sort in sorts {
            problems.extend(check_paging(&p, Target::Groups, &all, filter, sort, bytewise).await);
        }
    }
    assert!(problems.is_empty(), "{} paging problems:\n{}", problems.len(), problems.join("\n"));
}

#[tokio::test]
async fn count_zero_and_start_index_past_the_end_give_the_total_only() {
    let p = seed().await;
    let all = rendered_users(&p).await;
    for (text, sort) in
        [(r#"userName sw "user""#, None), ("title pr", None), ("active eq true", Some(("title", SortOrder::Ascending)))]
    {
        let f = parse_filter(text, &USER_RESOURCE);
        let expected = all.iter().filter(|(_, json)| f.matches(json, &USER_RESOURCE)).count() as u64;
        for (start, count) in [(1, 0), (expected + 1, 7), (1_000, 1)] {
            let page = users::list(p.store.conn(), &query(Some(f.clone()), start, count, sort), BASE).await.unwrap();
            assert_eq!(page.total, expected, "{text} start {start} count {count}");
            assert!(page.items.is_empty(), "{text} start {start} count {count}");
        }
    }
    let page = groups::list(p.store.conn(), &query(None, 1, 0, None), BASE).await.unwrap();
    assert_eq!((page.total, page.items.len()), (p.groups.len() as u64, 0));
}

/// Chunked evaluation: more candidates than one chunk (500), with matches scattered through them.
#[tokio::test]
async fn superset_filters_page_through_candidates_in_chunks() {
    let store = test_store().await;
    let txn = store.write().await.unwrap();
    let mut expected = Vec::new();
    for i in 0..1_234 {
        let id = new_id();
        let mut body = json!({ "userName": format!("bulk{i:04}@example.com") });
        if i % 97 == 0 {
            body["title"] = json!("Needle");
        }
        users::insert(&*txn, &id, &user(body), at(i)).await.unwrap();
        if i % 97 == 0 {
            expected.push(id);
        }
    }
    txn.commit().await.unwrap();
    let newest_first: Vec<String> = expected.iter().rev().cloned().collect();
    expected.sort();
    let f = parse_filter(r#"userName sw "BULK" and title eq "needle""#, &USER_RESOURCE);
    assert!(!translate(Target::Users, &f).unwrap().exact);
    let page = users::list(store.conn(), &query(Some(f.clone()), 1, 1_000, None), BASE).await.unwrap();
    assert_eq!(page.total, expected.len() as u64);
    assert_eq!(page.items.iter().map(|u| u.id.clone()).collect::<Vec<_>>(), expected);
    // A window in the middle of the matches, sorted in SQL (newest first).
    let page =
        users::list(store.conn(), &query(Some(f.clone()), 3, 4, Some(("meta.created", SortOrder::Descending))), BASE)
            .await
            .unwrap();
    assert_eq!(page.total, expected.len() as u64);
    assert_eq!(page.items.iter().map(|u| u.id.clone()).collect::<Vec<_>>(), newest_first[2..6]);
    let f = parse_filter("title pr", &USER_RESOURCE);
    let page = users::list(store.conn(), &query(Some(f), 1, 1_000, Some(("title", SortOrder::Ascending))), BASE)
        .await
        .unwrap();
    assert_eq!(page.total, expected.len() as u64);
}
