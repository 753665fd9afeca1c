//! The role repository's storage of effective roles (`user_roles`): set, changed, cleared, gone
//! with the user; a group's members read with their roles and all of their groups; the members
//! with no role; and the
//! migration that moved roles out of `users`.

use crate::helpers::{at, group, members, new_id, test_database_url, test_store, user};
use migration::{Migrator, MigratorTrait};
use rolemap::{GroupRef, Role};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, EntityTrait, PaginatorTrait, Statement};
use serde_json::json;
use store::entity::user_roles;
use store::roles::{self, UserRoleState};
use store::{groups, users, Store};

/// Inserts users named `names` and returns their ids, in order.
async fn add_users(store: &Store, names: &[&str]) -> Vec<String> {
    let mut ids = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let id = new_id();
        users::insert(store.conn(), &id, &user(json!({ "userName": name })), at(i as i64)).await.unwrap();
        ids.push(id);
    }
    ids
}

async fn role_of(store: &Store, id: &str) -> Option<Role> {
    roles::role_states(store.conn(), &[id.to_owned()]).await.unwrap().remove(id).unwrap().role
}

#[tokio::test]
async fn roles_are_set_changed_cleared_and_go_with_their_user() {
    let store = test_store().await;
    let c = store.conn();
    let ids = add_users(&store, &["ada", "bob", "cy"]).await;
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    assert_eq!(role_of(&store, &ids[0]).await, None, "a new user has no role");

    roles::set_role(c, &refs, Some(Role::Viewer)).await.unwrap();
    roles::set_role(c, &refs[..1], Some(Role::SuperAdmin)).await.unwrap();
    assert_eq!(role_of(&store, &ids[0]).await, Some(Role::SuperAdmin), "an upsert changes the role");
    assert_eq!(role_of(&store, &ids[1]).await, Some(Role::Viewer));
    assert_eq!(user_roles::Entity::find().count(c).await.unwrap(), 3, "one row per user");

    roles::set_role(c, &refs[1..2], None).await.unwrap();
    assert_eq!(role_of(&store, &ids[1]).await, None, "no role is no row");
    assert_eq!(user_roles::Entity::find().count(c).await.unwrap(), 2);
    roles::set_role(c, &refs[1..2], None).await.unwrap();
    roles::set_role(c, &[], Some(Role::Viewer)).await.unwrap();

    // A SCIM update of the user leaves its role alone; deleting the user takes it.
    let stored = users::get(c, &ids[2]).await.unwrap().unwrap();
    users::update(c, &stored, &user(json!({ "userName": "cy", "active": false })), at(50)).await.unwrap();
    assert_eq!(role_of(&store, &ids[2]).await, Some(Role::Viewer));
    let state = roles::role_state_by_user_name(c, "CY").await.unwrap().unwrap();
    assert_eq!(
        state,
        UserRoleState { id: ids[2].clone(), user_name: "cy".into(), active: false, role: Some(Role::Viewer) }
    );
    users::delete(c, &ids[2]).await.unwrap();
    assert_eq!(user_roles::Entity::find().count(c).await.unwrap(), 1, "the role goes with its user");
}

#[tokio::test]
async fn a_groups_members_are_read_with_their_roles_and_all_their_groups() {
    let store = test_store().await;
    let c = store.conn();
    // ada: Agents + Admins; bob: Agents; cy: Admins only; dee: no group.
    let ids = add_users(&store, &["ada", "bob", "cy", "dee"]).await;
    let (agents, admins, empty) = (new_id(), new_id(), new_id());
    groups::insert(c, &agents, &group(json!({ "displayName": "StackFlow-Agents" })), at(10)).await.unwrap();
    groups::insert(c, &admins, &group(json!({ "displayName": "StackFlow-Admins", "externalId": "00gA" })), at(11))
        .await
        .unwrap();
    groups::insert(c, &empty, &group(json!({ "displayName": "Nobody" })), at(12)).await.unwrap();
    groups::add_members(c, &agents, &members(&ids[..2])).await.unwrap();
    groups::add_members(c, &admins, &members(&[ids[0].clone(), ids[2].clone()])).await.unwrap();
    roles::set_role(c, &[ids[0].as_str()], Some(Role::SuperAdmin)).await.unwrap();

    let agents_ref = GroupRef::new(agents.clone(), "StackFlow-Agents");
    let admins_ref = GroupRef { external_id: Some("00gA".into()), ..GroupRef::new(admins.clone(), "StackFlow-Admins") };
    let state =
        |i: usize, name: &str, role| UserRoleState { id: ids[i].clone(), user_name: name.into(), active: true, role };
    let sorted = |mut groups: Vec<GroupRef>| {
        groups.sort_by(|a, b| a.id.cmp(&b.id));
        groups
    };
    let read = |group_ids: Vec<String>| {
        let store = &store;
        async move {
            roles::members_with_groups(store.conn(), &group_ids)
                .await
                .unwrap()
                .into_iter()
                .map(|(state, groups)| (state, sorted(groups)))
                .collect::<Vec<_>>()
        }
    };
    let mut want = vec![
        (state(0, "ada", Some(Role::SuperAdmin)), sorted(vec![agents_ref.clone(), admins_ref.clone()])),
        (state(1, "bob", None), vec![agents_ref.clone()]),
    ];
    want.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    assert_eq!(read(vec![agents.clone()]).await, want, "every member once, by id, with all of its groups");

    want.push((state(2, "cy", None), vec![admins_ref.clone()]));
    want.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    assert_eq!(read(vec![agents.clone(), admins.clone()]).await, want, "a member of both groups appears once");

    assert_eq!(
        roles::roleless_members(c).await.unwrap(),
        ["bob", "cy"],
        "in a group without a role (ada has one, dee is in no group)"
    );

    assert!(read(vec![empty]).await.is_empty(), "an empty group has no members");
    assert!(read(vec![new_id()]).await.is_empty(), "an unknown group has no members");
    assert!(read(Vec::new()).await.is_empty());
}

/// A database at the schema before `m20261205_000005_user_roles`, a user with a role in
/// `users.role`; migrating up moves the role to `user_roles`, and down moves it back.
#[tokio::test]
async fn the_migration_moves_roles_out_of_users_and_back() {
    let url = test_database_url().await;
    // One connection: each connection to `sqlite::memory:` is a database of its own.
    let mut options = ConnectOptions::new(url.clone());
    options.max_connections(1).min_connections(1).sqlx_logging(false);
    let db = Database::connect(options).await.unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
    Migrator::up(&db, Some(4)).await.unwrap();
    let backend = db.get_database_backend();
    let exec = |sql: &str| db.execute(Statement::from_string(backend, sql.to_owned()));

    let (ada, bob) = (new_id(), new_id());
    users::insert(&db, &ada, &user(json!({ "userName": "ada" })), at(0)).await.unwrap();
    users::insert(&db, &bob, &user(json!({ "userName": "bob" })), at(1)).await.unwrap();
    exec(&format!("UPDATE users SET role = 'itsm_manager' WHERE id = '{ada}'")).await.unwrap();

    Migrator::up(&db, None).await.unwrap();
    assert_eq!(
        roles::role_states(&db, &[ada.clone(), bob.clone()])
            .await
            .unwrap()
            .into_values()
            .map(|s| (s.user_name, s.role))
            .collect::<std::collections::BTreeMap<_, _>>(),
        [("ada".to_owned(), Some(Role::ItsmManager)), ("bob".to_owned(), None)].into(),
    );
    assert!(exec("SELECT role FROM users").await.is_err(), "users.role is gone");

    Migrator::down(&db, Some(1)).await.unwrap();
    let row = db
        .query_one(Statement::from_string(backend, format!("SELECT role FROM users WHERE id = '{ada}'")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<Option<String>>("", "role").unwrap().as_deref(), Some("itsm_manager"));
    assert!(exec("SELECT user_id FROM user_roles").await.is_err(), "user_roles is gone");
}
