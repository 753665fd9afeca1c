//! The repositories: users (CRUD, case-insensitive unique userName, optimistic versions, the e-mail
//! index), groups (membership rows, idempotent adds, removals, member display names, large groups),
//! the audit log, settings, and the atomicity of write transactions.

use crate::helpers::{at, group, members, new_id, parse_filter, query, test_store, user, BASE};
use scim_core::schema::{GROUP_RESOURCE, USER_RESOURCE};
use scim_core::Member;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use std::collections::BTreeSet;
use std::time::Duration;
use store::audit::{self, AuditEvent};
use store::entity::{group_members, user_emails};
use store::{groups, settings, users, Error, Store};

async fn email_index(store: &Store, user_id: &str) -> BTreeSet<String> {
    user_emails::Entity::find()
        .filter(user_emails::Column::UserId.eq(user_id))
        .all(store.conn())
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.value_folded)
        .collect()
}

async fn membership_rows(store: &Store) -> u64 {
    group_members::Entity::find().count(store.conn()).await.unwrap()
}

/// The ids of the users an `emails.value eq` filter finds.
async fn find_by_email(store: &Store, email: &str) -> Vec<String> {
    let f = parse_filter(&format!(r#"emails.value eq "{email}""#), &USER_RESOURCE);
    let page = users::list(store.conn(), &query(Some(f), 1, 100, None), BASE).await.unwrap();
    page.items.into_iter().map(|u| u.id).collect()
}

#[tokio::test]
async fn users_are_inserted_read_updated_and_deleted() {
    let store = test_store().await;
    let c = store.conn();
    let id = new_id();
    let doc = user(json!({
        "userName": "BJensen@Example.com",
        "externalId": "okta-1",
        "displayName": "Babs Jensen",
        "emails": [{ "value": "BJensen@Example.com", "type": "work", "primary": true }],
        "name": { "givenName": "Barbara", "familyName": "Jensen" },
    }));
    let created = users::insert(c, &id, &doc, at(0)).await.unwrap();
    assert_eq!(created.id, id);
    assert_eq!((created.meta.created, created.meta.last_modified, created.meta.version), (at(0), at(0), 1));

    let read = users::get(c, &id).await.unwrap().unwrap();
    assert_eq!(read, created);
    assert_eq!(read.user.user_name.as_str(), "BJensen@Example.com", "the spelling given is kept");
    assert_eq!(users::find_by_user_name(c, "bjensen@EXAMPLE.COM").await.unwrap().unwrap().id, id);
    assert!(users::find_by_user_name(c, "nobody").await.unwrap().is_none());
    assert!(users::get(c, &new_id()).await.unwrap().is_none());
    assert_eq!(users::count(c).await.unwrap(), 1);

    let mut changed = read.user.clone();
    changed.attributes.insert("title".into(), json!("Tour Guide"));
    changed.display_name = Some("Barbara J.".into());
    changed.attributes.insert("displayName".into(), json!("Barbara J."));
    let updated = users::update(c, &read, &changed, at(5_000)).await.unwrap();
    assert_eq!((updated.meta.created, updated.meta.last_modified, updated.meta.version), (at(0), at(5_000), 2));
    let reread = users::get(c, &id).await.unwrap().unwrap();
    assert_eq!(reread, updated);
    assert_eq!(reread.user.attributes["title"], json!("Tour Guide"));
    assert_eq!(reread.user.display_name.as_deref(), Some("Barbara J."));

    let ids = vec![id.clone(), new_id()];
    assert_eq!(users::existing_ids(c, &ids).await.unwrap(), std::collections::HashSet::from([id.clone()]));

    assert!(users::delete(c, &id).await.unwrap());
    assert!(users::get(c, &id).await.unwrap().is_none());
    assert!(!users::delete(c, &id).await.unwrap(), "a second delete finds nothing");
    assert_eq!(users::count(c).await.unwrap(), 0);
    assert!(email_index(&store, &id).await.is_empty());
}

#[tokio::test]
async fn user_names_are_unique_ignoring_case() {
    let store = test_store().await;
    let c = store.conn();
    users::insert(c, &new_id(), &user(json!({ "userName": "bjensen@example.com" })), at(0)).await.unwrap();

    let err =
        users::insert(c, &new_id(), &user(json!({ "userName": "BJensen@Example.COM" })), at(1)).await.unwrap_err();
    match err {
        Error::Conflict(message) => assert!(message.contains("BJensen@Example.COM"), "{message}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(users::count(c).await.unwrap(), 1);

    // Renaming another user onto the taken name conflicts too; renaming to one's own name in
    // another case does not.
    let other = users::insert(c, &new_id(), &user(json!({ "userName": "other" })), at(2)).await.unwrap();
    let err = users::update(c, &other, &user(json!({ "userName": "BJENSEN@example.com" })), at(3)).await.unwrap_err();
    match err {
        Error::Conflict(message) => assert!(message.contains("BJENSEN@example.com"), "{message}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    let renamed = users::update(c, &other, &user(json!({ "userName": "OTHER" })), at(4)).await.unwrap();
    assert_eq!(users::get(c, &other.id).await.unwrap().unwrap().user.user_name.as_str(), "OTHER");
    assert_eq!(renamed.meta.version, 2);
}

#[tokio::test]
async fn stale_updates_fail_with_a_version_mismatch() {
    let store = test_store().await;
    let c = store.conn();
    let id = new_id();
    let v1 = users::insert(c, &id, &user(json!({ "userName": "racer" })), at(0)).await.unwrap();
    let v2 = users::update(c, &v1, &user(json!({ "userName": "racer", "title": "first" })), at(1)).await.unwrap();
    assert_eq!(v2.meta.version, 2);

    let err = users::update(c, &v1, &user(json!({ "userName": "racer", "title": "second" })), at(2)).await.unwrap_err();
    match err {
        Error::VersionMismatch(what) => assert!(what.contains(&id), "{what}"),
        other => panic!("expected a version mismatch, got {other:?}"),
    }
    let current = users::get(c, &id).await.unwrap().unwrap();
    assert_eq!(current.meta.version, 2);
    assert_eq!(current.user.attributes["title"], json!("first"), "the stale write changed nothing");

    // Groups are versioned the same way.
    let gid = new_id();
    let g1 = groups::insert(c, &gid, &group(json!({ "displayName": "g" })), at(0)).await.unwrap();
    let g2 = groups::update(c, &g1, &group(json!({ "displayName": "g2" })), at(1)).await.unwrap();
    assert_eq!(g2.meta.version, 2);
    match groups::update(c, &g1, &group(json!({ "displayName": "g3" })), at(2)).await.unwrap_err() {
        Error::VersionMismatch(what) => assert!(what.contains(&gid), "{what}"),
        other => panic!("expected a version mismatch, got {other:?}"),
    }
    assert_eq!(groups::get(c, &gid).await.unwrap().unwrap().group.display_name, "g2");
}

#[tokio::test]
async fn the_email_index_follows_updates() {
    let store = test_store().await;
    let c = store.conn();
    let id = new_id();
    let v1 = users::insert(
        c,
        &id,
        &user(json!({ "userName": "mailer", "emails": [
            { "value": "Old@Example.com", "type": "work" },
            { "value": "old@example.COM", "type": "home" },
            { "value": "Keep@Example.com", "type": "other" },
        ] })),
        at(0),
    )
    .await
    .unwrap();
    assert_eq!(
        email_index(&store, &id).await,
        BTreeSet::from(["old@example.com".to_owned(), "keep@example.com".to_owned()])
    );
    assert_eq!(find_by_email(&store, "OLD@example.com").await, vec![id.clone()]);

    let v2 = users::update(
        c,
        &v1,
        &user(json!({ "userName": "mailer", "emails": [
            { "value": "New@Example.com", "type": "work" },
            { "value": "keep@example.com", "type": "other" },
        ] })),
        at(1),
    )
    .await
    .unwrap();
    assert_eq!(
        email_index(&store, &id).await,
        BTreeSet::from(["new@example.com".to_owned(), "keep@example.com".to_owned()])
    );
    assert!(find_by_email(&store, "old@example.com").await.is_empty());
    assert_eq!(find_by_email(&store, "new@EXAMPLE.com").await, vec![id.clone()]);

    // Removing every e-mail empties the index.
    users::update(c, &v2, &user(json!({ "userName": "mailer" })), at(2)).await.unwrap();
    assert!(email_index(&store, &id).await.is_empty());
    assert!(find_by_email(&store, "keep@example.com").await.is_empty());
}

#[tokio::test]
async fn deleting_a_user_removes_its_memberships_and_emails() {
    let store = test_store().await;
    let c = store.conn();
    let (a, b) = (new_id(), new_id());
    users::insert(c, &a, &user(json!({ "userName": "a", "emails": [{ "value": "a@x.com" }] })), at(0)).await.unwrap();
    users::insert(c, &b, &user(json!({ "userName": "b" })), at(1)).await.unwrap();
    let (g1, g2) = (new_id(), new_id());
    groups::insert(c, &g1, &group(json!({ "displayName": "one" })), at(2)).await.unwrap();
    groups::insert(c, &g2, &group(json!({ "displayName": "two" })), at(3)).await.unwrap();
    groups::add_members(c, &g1, &members(&[a.clone(), b.clone()])).await.unwrap();
    groups::add_members(c, &g2, &members(std::slice::from_ref(&a))).await.unwrap();
    assert_eq!(membership_rows(&store).await, 3);

    assert!(users::delete(c, &a).await.unwrap());
    assert_eq!(membership_rows(&store).await, 1);
    assert_eq!(groups::member_ids(c, &g1).await.unwrap(), vec![b.clone()]);
    assert!(groups::member_ids(c, &g2).await.unwrap().is_empty());
    assert!(email_index(&store, &a).await.is_empty());
    assert!(users::groups_of(c, &[a.as_str()]).await.unwrap().is_empty());

    // Deleting a group removes its memberships, not its members.
    assert!(groups::delete(c, &g1).await.unwrap());
    assert!(!groups::delete(c, &g1).await.unwrap());
    assert_eq!(membership_rows(&store).await, 0);
    assert!(users::get(c, &b).await.unwrap().is_some());
}

#[tokio::test]
async fn memberships_are_added_idempotently_and_removed() {
    let store = test_store().await;
    let c = store.conn();
    let ids: Vec<String> = (0..6).map(|_| new_id()).collect();
    for (i, id) in ids.iter().enumerate() {
        users::insert(c, id, &user(json!({ "userName": format!("m{i}") })), at(i as i64)).await.unwrap();
    }
    let (gid, other) = (new_id(), new_id());
    let g = groups::insert(c, &gid, &group(json!({ "displayName": "Members" })), at(10)).await.unwrap();
    groups::insert(c, &other, &group(json!({ "displayName": "Other" })), at(11)).await.unwrap();
    groups::add_members(c, &other, &members(&ids[..2])).await.unwrap();

    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    groups::add_members(c, &gid, &members(&ids[..3])).await.unwrap();
    // Again, overlapping, and with a duplicate in the same call.
    let again = members(&[ids[1].clone(), ids[3].clone(), ids[3].clone(), ids[0].clone()]);
    groups::add_members(c, &gid, &again).await.unwrap();
    groups::add_members(c, &gid, &[]).await.unwrap();
    assert_eq!(sorted(groups::member_ids(c, &gid).await.unwrap()), sorted(ids[..4].to_vec()));
    assert_eq!(membership_rows(&store).await, 6);

    // Removing members that are not members is ignored.
    groups::remove_members(c, &gid, &[ids[0].clone(), ids[5].clone(), new_id()]).await.unwrap();
    assert_eq!(sorted(groups::member_ids(c, &gid).await.unwrap()), sorted(ids[1..4].to_vec()));
    groups::remove_members(c, &gid, &[]).await.unwrap();
    assert_eq!(groups::member_ids(c, &gid).await.unwrap().len(), 3);

    groups::remove_all_members(c, &gid).await.unwrap();
    assert!(groups::member_ids(c, &gid).await.unwrap().is_empty());
    assert_eq!(
        sorted(groups::member_ids(c, &other).await.unwrap()),
        sorted(ids[..2].to_vec()),
        "other groups are untouched"
    );
    groups::remove_all_members(c, &gid).await.unwrap();

    // Membership changes leave the group's row (and version) alone: the caller bumps it.
    assert_eq!(groups::get(c, &gid).await.unwrap().unwrap(), g);
}

#[tokio::test]
async fn member_display_is_returned_as_sent() {
    let store = test_store().await;
    let c = store.conn();
    let (named, bare, empty) = (new_id(), new_id(), new_id());
    users::insert(c, &named, &user(json!({ "userName": "bjensen", "displayName": "Babs Jensen" })), at(0))
        .await
        .unwrap();
    users::insert(c, &bare, &user(json!({ "userName": "JSmith" })), at(1)).await.unwrap();
    users::insert(c, &empty, &user(json!({ "userName": "nodisplay", "displayName": "" })), at(2)).await.unwrap();
    let gid = new_id();
    groups::insert(c, &gid, &group(json!({ "displayName": "Readers" })), at(3)).await.unwrap();
    let sent = vec![
        Member { value: named.clone(), display: Some("Barbara (as Okta calls her)".into()), kind: None },
        Member { value: bare.clone(), display: None, kind: Some("User".into()) },
        Member { value: empty.clone(), display: Some(String::new()), kind: None },
    ];
    groups::add_members(c, &gid, &sent).await.unwrap();

    // The display the client sent, never one derived from the user (the user's own displayName or
    // userName); ordered by member id.
    let mut expected: Vec<Member> = sent.into_iter().map(|m| Member { kind: Some("User".into()), ..m }).collect();
    expected.sort_by(|a, b| a.value.cmp(&b.value));
    assert_eq!(groups::members(c, &gid).await.unwrap(), expected);

    // Adding an existing member again leaves its row as it is, display included.
    let resent = [Member { value: named.clone(), display: Some("Someone else".into()), kind: None }];
    groups::add_members(c, &gid, &resent).await.unwrap();
    assert_eq!(groups::members(c, &gid).await.unwrap(), expected);

    // And the user's side: its groups, with their display names.
    let of = users::groups_of(c, &[bare.as_str()]).await.unwrap();
    assert_eq!(
        of[&bare].iter().map(|g| (g.id.as_str(), g.display.as_str())).collect::<Vec<_>>(),
        [(gid.as_str(), "Readers")]
    );
}

#[tokio::test]
async fn adding_members_to_a_large_group_writes_only_the_new_rows() {
    let store = test_store().await;
    let ids: Vec<String> = (0..5_100).map(|_| new_id()).collect();
    let (gid, small) = (new_id(), new_id());
    let txn = store.write().await.unwrap();
    for (i, id) in ids.iter().enumerate() {
        users::insert(&*txn, id, &user(json!({ "userName": format!("big{i}") })), at(i as i64)).await.unwrap();
    }
    groups::insert(&*txn, &gid, &group(json!({ "displayName": "Everyone" })), at(0)).await.unwrap();
    groups::insert(&*txn, &small, &group(json!({ "displayName": "Small" })), at(0)).await.unwrap();
    groups::add_members(&*txn, &gid, &members(&ids[..5_000])).await.unwrap();
    groups::add_members(&*txn, &small, &members(&ids[..3])).await.unwrap();
    txn.commit().await.unwrap();
    let c = store.conn();
    let st = &store;
    let count = |group: String| async move {
        group_members::Entity::find().filter(group_members::Column::GroupId.eq(group)).count(st.conn()).await.unwrap()
    };
    assert_eq!(count(gid.clone()).await, 5_000);
    let before = groups::get(c, &gid).await.unwrap().unwrap();

    // 100 new members plus 20 that already are.
    let mut batch: Vec<String> = ids[5_000..].to_vec();
    batch.extend_from_slice(&ids[100..120]);
    let txn = store.write().await.unwrap();
    groups::add_members(&*txn, &gid, &members(&batch)).await.unwrap();
    txn.commit().await.unwrap();
    assert_eq!(count(gid.clone()).await, 5_100);
    assert_eq!(count(small.clone()).await, 3);
    assert_eq!(membership_rows(&store).await, 5_103);
    assert_eq!(groups::get(c, &gid).await.unwrap().unwrap(), before, "the group row is not rewritten");

    let txn = store.write().await.unwrap();
    groups::remove_members(&*txn, &gid, &ids[..1_000]).await.unwrap();
    txn.commit().await.unwrap();
    assert_eq!(count(gid.clone()).await, 4_100);
    let f = parse_filter(&format!(r#"members[value eq "{}"]"#, ids[5_050]), &GROUP_RESOURCE);
    let page = groups::list(c, &query(Some(f), 1, 10, None), BASE).await.unwrap();
    assert_eq!(page.items.iter().map(|g| g.id.as_str()).collect::<Vec<_>>(), [gid.as_str()]);
    // Removed from the big group, still in the small one.
    let f = parse_filter(&format!(r#"members[value eq "{}"]"#, ids[1]), &GROUP_RESOURCE);
    let page = groups::list(c, &query(Some(f), 1, 10, None), BASE).await.unwrap();
    assert_eq!(page.items.iter().map(|g| g.id.as_str()).collect::<Vec<_>>(), [small.as_str()]);
}

#[tokio::test]
async fn audit_events_are_listed_newest_first_with_filters() {
    let store = test_store().await;
    let c = store.conn();
    assert!(audit::recent(c, 10, None, None).await.unwrap().is_empty());
    let (u, g) = (new_id(), new_id());
    let events = [
        AuditEvent::new(at(0), "scim", "user.created", "User", Some(&u), json!({ "userName": "a" })),
        AuditEvent::new(at(1), "scim", "group.created", "Group", Some(&g), json!({})),
        AuditEvent::new(at(2), "admin", "scim_token.generated", "ScimToken", None, json!({ "note": "rotated" })),
        // Out of time order on purpose: the log is ordered by sequence, not by `at`.
        AuditEvent::new(at(-5), "scim", "user.updated", "User", Some(&u), json!({ "fields": ["title"] })),
        AuditEvent::new(at(4), "system", "user.deleted", "User", Some(&u), json!(null)),
    ];
    for e in &events {
        audit::append(c, e).await.unwrap();
    }
    let all = audit::recent(c, 100, None, None).await.unwrap();
    assert_eq!(all.len(), 5);
    let actions: Vec<&str> = all.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["user.deleted", "user.updated", "scim_token.generated", "group.created", "user.created"]);
    assert!(all.windows(2).all(|w| w[0].id > w[1].id), "ids descend");
    for (got, sent) in all.iter().rev().zip(&events) {
        assert_eq!(AuditEvent { id: 0, ..got.clone() }, *sent, "events read back as written");
    }

    let limited = audit::recent(c, 2, None, None).await.unwrap();
    assert_eq!(limited, all[..2].to_vec());
    let about_u = audit::recent(c, 100, Some(&u), None).await.unwrap();
    assert_eq!(
        about_u.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["user.deleted", "user.updated", "user.created"]
    );
    let older = audit::recent(c, 100, None, Some(all[1].id)).await.unwrap();
    assert_eq!(older, all[2..].to_vec());
    let older_about_u = audit::recent(c, 1, Some(&u), Some(all[1].id)).await.unwrap();
    assert_eq!(older_about_u.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["user.created"]);
    assert!(audit::recent(c, 100, Some(&new_id()), None).await.unwrap().is_empty());
    assert!(audit::recent(c, 0, None, None).await.unwrap().is_empty());
}

#[tokio::test]
async fn audit_events_are_followed_by_cursor() {
    let store = test_store().await;
    let c = store.conn();
    assert_eq!(audit::latest_id(c).await.unwrap(), 0);
    assert!(audit::after(c, 0, 10).await.unwrap().is_empty());
    for n in 0..5 {
        audit::append(c, &AuditEvent::new(at(n), "scim", &format!("e{n}"), "User", None, json!({}))).await.unwrap();
    }
    let latest = audit::latest_id(c).await.unwrap();
    let all = audit::after(c, 0, 100).await.unwrap();
    let actions: Vec<&str> = all.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["e0", "e1", "e2", "e3", "e4"], "oldest first");
    assert_eq!(all.last().unwrap().id, latest);
    // Paging: at most `limit` after the cursor, then on from the last one read.
    let page = audit::after(c, all[0].id, 2).await.unwrap();
    assert_eq!(page, all[1..3].to_vec());
    assert_eq!(audit::after(c, page[1].id, 100).await.unwrap(), all[3..].to_vec());
    assert!(audit::after(c, latest, 100).await.unwrap().is_empty());
}

#[tokio::test]
async fn settings_are_upserted() {
    let store = test_store().await;
    let c = store.conn();
    assert_eq!(settings::get(c, settings::OKTA_INTEGRATION).await.unwrap(), None);
    let first = json!({ "scim_enabled": true, "base_url": "https://x.test/scim/v2", "nested": { "a": [1, 2] } });
    settings::put(c, settings::OKTA_INTEGRATION, &first, at(0)).await.unwrap();
    assert_eq!(settings::get(c, settings::OKTA_INTEGRATION).await.unwrap(), Some(first));
    let second = json!({ "scim_enabled": false });
    settings::put(c, settings::OKTA_INTEGRATION, &second, at(1)).await.unwrap();
    assert_eq!(settings::get(c, settings::OKTA_INTEGRATION).await.unwrap(), Some(second.clone()));
    settings::put(c, "other.key", &json!("text"), at(2)).await.unwrap();
    assert_eq!(settings::get(c, "other.key").await.unwrap(), Some(json!("text")));
    assert_eq!(settings::get(c, settings::OKTA_INTEGRATION).await.unwrap(), Some(second));
}

#[tokio::test]
async fn a_write_transaction_dropped_without_commit_leaves_nothing_behind() {
    let store = test_store().await;
    let kept = new_id();
    users::insert(
        store.conn(),
        &kept,
        &user(json!({ "userName": "kept", "emails": [{ "value": "kept@x.com" }] })),
        at(0),
    )
    .await
    .unwrap();
    let (uid, gid) = (new_id(), new_id());
    {
        let txn = store.write().await.unwrap();
        users::insert(
            &*txn,
            &uid,
            &user(json!({ "userName": "ghost", "emails": [{ "value": "ghost@x.com" }] })),
            at(1),
        )
        .await
        .unwrap();
        groups::insert(&*txn, &gid, &group(json!({ "displayName": "Ghosts" })), at(1)).await.unwrap();
        groups::add_members(&*txn, &gid, &members(&[uid.clone(), kept.clone()])).await.unwrap();
        audit::append(&*txn, &AuditEvent::new(at(1), "scim", "user.created", "User", Some(&uid), json!({})))
            .await
            .unwrap();
        settings::put(&*txn, "ghost.setting", &json!(true), at(1)).await.unwrap();
        let kept_v1 = users::get(&*txn, &kept).await.unwrap().unwrap();
        users::update(&*txn, &kept_v1, &user(json!({ "userName": "kept-renamed" })), at(2)).await.unwrap();
        // Visible inside the transaction...
        assert!(users::get(&*txn, &uid).await.unwrap().is_some());
        // ...and dropped here without a commit.
    }
    // The writer lock is released (this would wait forever otherwise), and nothing was kept.
    let txn = tokio::time::timeout(Duration::from_secs(10), store.write())
        .await
        .expect("the writer lock was not released")
        .unwrap();
    drop(txn);
    let c = store.conn();
    assert!(users::get(c, &uid).await.unwrap().is_none());
    assert!(groups::get(c, &gid).await.unwrap().is_none());
    assert_eq!(membership_rows(&store).await, 0);
    assert!(email_index(&store, &uid).await.is_empty());
    assert!(audit::recent(c, 10, None, None).await.unwrap().is_empty());
    assert_eq!(settings::get(c, "ghost.setting").await.unwrap(), None);
    let kept_now = users::get(c, &kept).await.unwrap().unwrap();
    assert_eq!((kept_now.user.user_name.as_str(), kept_now.meta.version), ("kept", 1));
    assert_eq!(email_index(&store, &kept).await, BTreeSet::from(["kept@x.com".to_owned()]));
    assert_eq!(users::count(c).await.unwrap(), 1);

    // A unit of work that fails half-way is dropped: what it wrote before the failure goes too.
    {
        let txn = store.write().await.unwrap();
        users::insert(&*txn, &new_id(), &user(json!({ "userName": "partial" })), at(3)).await.unwrap();
        let err = users::insert(&*txn, &new_id(), &user(json!({ "userName": "KEPT" })), at(3)).await.unwrap_err();
        assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    }
    assert!(users::find_by_user_name(c, "partial").await.unwrap().is_none());

    // A committed transaction keeps everything.
    let txn = store.write().await.unwrap();
    users::insert(&*txn, &uid, &user(json!({ "userName": "ghost" })), at(4)).await.unwrap();
    groups::insert(&*txn, &gid, &group(json!({ "displayName": "Ghosts" })), at(4)).await.unwrap();
    groups::add_members(&*txn, &gid, &members(std::slice::from_ref(&uid))).await.unwrap();
    txn.commit().await.unwrap();
    assert!(users::get(c, &uid).await.unwrap().is_some());
    assert_eq!(groups::member_ids(c, &gid).await.unwrap(), vec![uid]);
}
