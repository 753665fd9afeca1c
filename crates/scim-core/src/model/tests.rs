//! POST/PUT body validation of users and groups (the Okta and Entra request shapes verbatim), the
//! `userName` newtype, and rendering.

use super::*;
use crate::error::ScimType;
use crate::schema::{ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA};
use chrono::TimeZone;
use serde_json::json;

/// What a body parses to: the canonical attributes (users) / attributes and members (groups), or
/// an error's `scimType` and exact detail.
enum Expect {
    User(Value),
    Group(Value, Vec<Member>),
    Err(ScimType, &'static str),
    GroupErr(ScimType, &'static str),
}

fn check(body: Value, expected: Expect) {
    match &expected {
        Expect::User(attributes) => {
            let attributes = attributes.clone();
            let user = User::from_json(&body).unwrap_or_else(|e| panic!("{body}: {e}"));
            assert_eq!(Value::Object(user.attributes.clone()), attributes, "{body}");
            // The typed fields agree with the body.
            assert_eq!(Some(user.user_name.as_str()), attributes["userName"].as_str(), "{body}");
            // An absent `active` stays absent and means active.
            assert_eq!(user.active, attributes.get("active").and_then(Value::as_bool).unwrap_or(true), "{body}");
            assert_eq!(user.external_id.as_deref(), attributes.get("externalId").and_then(Value::as_str));
            assert_eq!(user.display_name.as_deref(), attributes.get("displayName").and_then(Value::as_str));
            // Validation is idempotent: the canonical body is a valid body that parses to itself.
            assert_eq!(User::from_json(&attributes).unwrap(), user, "{body} re-parsed");
        }
        Expect::Group(attributes, members) => {
            let (attributes, members) = (attributes.clone(), members.clone());
            let (group, got) = Group::from_json(&body).unwrap_or_else(|e| panic!("{body}: {e}"));
            assert_eq!(Value::Object(group.attributes.clone()), attributes, "{body}");
            assert_eq!(Some(group.display_name.as_str()), attributes["displayName"].as_str());
            assert_eq!(group.external_id.as_deref(), attributes.get("externalId").and_then(Value::as_str));
            assert_eq!(got, members, "{body}");
        }
        Expect::Err(scim_type, detail) | Expect::GroupErr(scim_type, detail) => {
            let (scim_type, detail) = (*scim_type, *detail);
            let err = if matches!(expected, Expect::GroupErr(..)) {
                Group::from_json(&body).map(|_| ()).unwrap_err()
            } else {
                User::from_json(&body).map(|_| ()).unwrap_err()
            };
            assert_eq!((err.status, err.scim_type, err.detail.as_str()), (400, Some(scim_type), detail), "{body}");
        }
    }
}

fn member(value: &str, display: Option<&str>, kind: Option<&str>) -> Member {
    Member { value: value.to_owned(), display: display.map(str::to_owned), kind: kind.map(str::to_owned) }
}

#[test]
fn user_bodies() {
    use Expect::{Err, User};
    use ScimType::{InvalidSyntax, InvalidValue};
    let rows = vec![
        (json!({"userName": "bjensen"}), User(json!({"userName": "bjensen"}))),
        // Okta's create request, verbatim: `groups` is read-only, `password` never kept.
        (
            json!({
                "schemas": [USER_SCHEMA],
                "userName": "test.user@okta.local",
                "name": {"givenName": "Test", "familyName": "User"},
                "emails": [{"primary": true, "value": "test.user@okta.local", "type": "work"}],
                "displayName": "Test User",
                "locale": "en-US",
                "externalId": "00ujl29u0le5T6Aj10h7",
                "groups": [],
                "password": "1mz050nq",
                "active": true
            }),
            User(json!({
                "userName": "test.user@okta.local",
                "name": {"givenName": "Test", "familyName": "User"},
                "emails": [{"primary": true, "value": "test.user@okta.local", "type": "work"}],
                "displayName": "Test User",
                "locale": "en-US",
                "externalId": "00ujl29u0le5T6Aj10h7",
                "active": true
            })),
        ),
        // Entra's create request, verbatim: `meta` is read-only, an empty `roles` is unassigned.
        (
            json!({
                "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
                "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
                "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
                "active": true,
                "emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b@testuser.com"}],
                "meta": {"resourceType": "User"},
                "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
                "roles": [],
                ENTERPRISE_USER_SCHEMA: {"department": "Sales", "manager": "26118915-6090-4610-87e4-49d8ca9f808d"}
            }),
            User(json!({
                "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
                "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
                "active": true,
                "emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b@testuser.com"}],
                "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
                ENTERPRISE_USER_SCHEMA: {"department": "Sales", "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}}
            })),
        ),
        // Names are case-insensitive and stored canonically.
        (
            json!({"USERNAME": "x", "Name": {"GIVENNAME": "A"}, "Emails": [{"VALUE": "a@b.c", "Type": "work"}], "ACTIVE": false}),
            User(
                json!({"userName": "x", "name": {"givenName": "A"}, "emails": [{"value": "a@b.c", "type": "work"}], "active": false}),
            ),
        ),
        // Extension data keyed by its URN is kept even when `schemas` omits the URN; the read-only
        // `manager.displayName` is dropped.
        (
            json!({"schemas": [USER_SCHEMA], "userName": "x",
                   "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user": {"Department": "Eng", "manager": {"value": "m1", "displayName": "Boss"}}}),
            User(json!({"userName": "x", ENTERPRISE_USER_SCHEMA: {"department": "Eng", "manager": {"value": "m1"}}})),
        ),
        // A URN-qualified attribute at the top level.
        (
            json!({"userName": "x", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "42"}),
            User(json!({"userName": "x", ENTERPRISE_USER_SCHEMA: {"employeeNumber": "42"}})),
        ),
        (
            json!({"userName": "x", "urn:ietf:params:scim:schemas:core:2.0:User:displayName": "X"}),
            User(json!({"userName": "x", "displayName": "X"})),
        ),
        // Unknown attributes, sub-attributes and schemas are ignored; so are read-only ones.
        (
            json!({"userName": "x", "favoriteColor": "blue", "urn:okta:custom:1.0:User": {"a": 1},
                   "name": {"nickname": "y", "givenName": "G"}, "id": "abc", "meta": {"version": "W/\"3\""},
                   "groups": [{"value": "g1"}]}),
            User(json!({"userName": "x", "name": {"givenName": "G"}})),
        ),
        // Entra's booleans as strings.
        (json!({"userName": "x", "active": "False"}), User(json!({"userName": "x", "active": false}))),
        (json!({"userName": "x", "active": "TRUE"}), User(json!({"userName": "x", "active": true}))),
        (
            json!({"userName": "x", "emails": [{"value": "a@b.c", "primary": "true"}]}),
            User(json!({"userName": "x", "emails": [{"value": "a@b.c", "primary": true}]})),
        ),
        // Null means absent, and so do empty objects and arrays.
        (
            json!({"userName": "x", "displayName": null, "name": {"givenName": null}, "emails": [null], "active": null,
                   ENTERPRISE_USER_SCHEMA: {"department": null}}),
            User(json!({"userName": "x"})),
        ),
        (json!({"userName": "  bjensen  "}), User(json!({"userName": "bjensen"}))),
        (json!({"userName": "x", "password": 12}), User(json!({"userName": "x"}))),
        (json!({"schemas": null, "userName": "x"}), User(json!({"userName": "x"}))),
        // Errors.
        (json!([]), Err(InvalidSyntax, "a User must be a JSON object")),
        (json!("bjensen"), Err(InvalidSyntax, "a User must be a JSON object")),
        (json!({}), Err(InvalidValue, "userName is required")),
        (json!({"userName": null}), Err(InvalidValue, "userName is required")),
        (json!({"userName": "   "}), Err(InvalidValue, "userName is required")),
        (json!({"userName": 7}), Err(InvalidValue, "attribute 'userName' must be a string")),
        (json!({"userName": "a\u{7}b"}), Err(InvalidValue, "userName must not contain control characters")),
        (json!({"userName": "x".repeat(257)}), Err(InvalidValue, "userName must be at most 256 characters")),
        (json!({"userName": "x", "active": "yes"}), Err(InvalidValue, "attribute 'active' must be a boolean")),
        (json!({"userName": "x", "active": 1}), Err(InvalidValue, "attribute 'active' must be a boolean")),
        (json!({"userName": "x", "title": 5}), Err(InvalidValue, "attribute 'title' must be a string")),
        (json!({"userName": "x", "name": "Bob"}), Err(InvalidValue, "attribute 'name' must be a complex object")),
        (
            json!({"userName": "x", "name": {"givenName": true}}),
            Err(InvalidValue, "attribute 'name.givenName' must be a string"),
        ),
        (json!({"userName": "x", "emails": "a@b.c"}), Err(InvalidValue, "attribute 'emails' must be an array")),
        (
            json!({"userName": "x", "emails": {"value": "a@b.c"}}),
            Err(InvalidValue, "attribute 'emails' must be an array"),
        ),
        (
            json!({"userName": "x", "emails": ["a@b.c"]}),
            Err(InvalidValue, "attribute 'emails' must be a complex object"),
        ),
        (
            json!({"userName": "x", "emails": [{"value": "a", "primary": "maybe"}]}),
            Err(InvalidValue, "attribute 'emails.primary' must be a boolean"),
        ),
        (
            json!({"userName": "x", "emails": [{"value": "a", "primary": true}, {"value": "b", "primary": true}]}),
            Err(InvalidValue, "only one 'emails' value may be primary"),
        ),
        (
            json!({"userName": "x", ENTERPRISE_USER_SCHEMA: "Eng"}),
            Err(
                InvalidValue,
                "attribute 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User' must be an object",
            ),
        ),
        (
            json!({"schemas": [GROUP_SCHEMA], "userName": "x"}),
            Err(InvalidValue, "schemas must include 'urn:ietf:params:scim:schemas:core:2.0:User'"),
        ),
        (
            json!({"schemas": USER_SCHEMA, "userName": "x"}),
            Err(InvalidValue, "schemas must be an array of schema URNs"),
        ),
    ];
    for (body, expected) in rows {
        check(body, expected);
    }
}

#[test]
fn group_bodies() {
    use Expect::{Group, GroupErr as Err};
    use ScimType::{InvalidSyntax, InvalidValue};
    let rows = vec![
        // Okta's create request, verbatim.
        (
            json!({"schemas": [GROUP_SCHEMA], "displayName": "Test SCIMv2", "members": []}),
            Group(json!({"displayName": "Test SCIMv2"}), vec![]),
        ),
        // Entra's create request, verbatim.
        (
            json!({"externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159", "displayName": "Group1",
                   "meta": {"resourceType": "Group"}, "schemas": [GROUP_SCHEMA]}),
            Group(json!({"externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159", "displayName": "Group1"}), vec![]),
        ),
        // Members are returned apart, duplicates collapsed, `type` canonical, `$ref` derived not kept.
        (
            json!({"DisplayName": "Eng", "id": "g9", "Members": [
                {"value": "u1", "display": "Ann"}, {"value": "u1"}, {"VALUE": "g2", "type": "group"},
                {"value": "u3", "$ref": "https://elsewhere/Users/u3", "type": "User"}, null
            ]}),
            Group(
                json!({"displayName": "Eng"}),
                vec![
                    member("u1", Some("Ann"), None),
                    member("g2", None, Some("Group")),
                    member("u3", None, Some("User")),
                ],
            ),
        ),
        (json!({"displayName": "Eng", "members": null}), Group(json!({"displayName": "Eng"}), vec![])),
        (json!({"displayName": ""}), Err(InvalidValue, "displayName is required")),
        (json!({"displayName": null, "members": []}), Err(InvalidValue, "displayName is required")),
        (json!({"displayName": 3}), Err(InvalidValue, "attribute 'displayName' must be a string")),
        (
            json!({"displayName": "Eng", "members": [{"display": "Ann"}]}),
            Err(InvalidValue, "members[].value is required"),
        ),
        (json!({"displayName": "Eng", "members": [{"value": " "}]}), Err(InvalidValue, "members[].value is required")),
        (
            json!({"displayName": "Eng", "members": [{"value": 5}]}),
            Err(InvalidValue, "attribute 'members.value' must be a string"),
        ),
        (
            json!({"displayName": "Eng", "members": ["u1"]}),
            Err(InvalidValue, "each member must be an object with a 'value'"),
        ),
        (
            json!({"displayName": "Eng", "members": {"value": "u1"}}),
            Err(InvalidValue, "attribute 'members' must be an array"),
        ),
        (
            json!({"displayName": "Eng", "members": [{"value": "u1", "type": "Robot"}]}),
            Err(InvalidValue, "members[].type must be 'User' or 'Group', not 'Robot'"),
        ),
        (
            json!({"schemas": [USER_SCHEMA], "displayName": "Eng"}),
            Err(InvalidValue, "schemas must include 'urn:ietf:params:scim:schemas:core:2.0:Group'"),
        ),
        (json!({"members": []}), Err(InvalidValue, "displayName is required")),
    ];
    for (body, expected) in rows {
        check(body, expected);
    }
    let err = super::Group::from_json(&json!(null)).unwrap_err();
    assert_eq!((err.scim_type, err.detail.as_str()), (Some(InvalidSyntax), "a Group must be a JSON object"));
}

#[test]
fn user_names() {
    type Row = (&'static str, std::result::Result<(&'static str, &'static str), &'static str>);
    let rows: Vec<Row> = vec![
        ("bjensen", Ok(("bjensen", "bjensen"))),
        ("  BJensen@Example.com ", Ok(("BJensen@Example.com", "bjensen@example.com"))),
        ("Ünïcode", Ok(("Ünïcode", "ünïcode"))),
        ("", Err("userName is required")),
        ("\t\n", Err("userName is required")),
        ("a\u{0}b", Err("userName must not contain control characters")),
    ];
    for (raw, expected) in rows {
        match expected {
            Ok((name, folded)) => {
                let parsed: UserName = raw.parse().unwrap();
                assert_eq!((parsed.as_str(), parsed.folded().as_str()), (name, folded));
                assert_eq!(UserName::try_from(raw.to_owned()).unwrap(), parsed);
                assert_eq!(parsed.to_string(), name);
            }
            Err(detail) => assert_eq!(UserName::parse(raw).unwrap_err().detail, detail, "{raw:?}"),
        }
    }
    assert!(UserName::parse(&"é".repeat(256)).is_ok(), "the limit counts characters, not bytes");
}

#[test]
fn email_values_list_every_email() {
    let user =
        User::from_json(&json!({"userName": "x", "emails": [{"value": "a@x"}, {"type": "home"}, {"value": "b@x"}]}));
    assert_eq!(user.unwrap().email_values(), vec!["a@x", "b@x"]);
    assert!(User::from_json(&json!({"userName": "x"})).unwrap().email_values().is_empty());
}

fn meta() -> Meta {
    Meta {
        created: Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap(),
        last_modified: Utc.with_ymd_and_hms(2024, 2, 3, 4, 5, 6).unwrap(),
        version: 7,
    }
}

#[test]
fn rendering() {
    let base = "https://h/scim/v2/";
    let plain = User::from_json(&json!({"userName": "bjensen", "password": "secret"})).unwrap();
    let extended = User::from_json(&json!({
        "userName": "ann", "externalId": "e1", "displayName": "Ann",
        ENTERPRISE_USER_SCHEMA: {"department": "Eng"}
    }))
    .unwrap();
    let group = super::Group::from_json(&json!({"displayName": "Eng", "externalId": "okta-1"})).unwrap().0;
    let groups = [GroupRef { id: "g1".into(), display: "Eng".into() }];
    let members = [member("u1", Some("Ann"), None), member("g2", None, Some("Group"))];
    let user_meta = |id: &str| {
        json!({"resourceType": "User", "created": "2024-01-02T03:04:05.000Z", "lastModified": "2024-02-03T04:05:06.000Z",
               "location": format!("https://h/scim/v2/Users/{id}"), "version": "W/\"7\""})
    };
    let group_meta = json!({"resourceType": "Group", "created": "2024-01-02T03:04:05.000Z",
        "lastModified": "2024-02-03T04:05:06.000Z", "location": "https://h/scim/v2/Groups/g1", "version": "W/\"7\""});
    let rows = vec![
        (
            render_user(base, "u1", &plain, &meta(), &[]),
            json!({"schemas": [USER_SCHEMA], "id": "u1", "userName": "bjensen", "meta": user_meta("u1")}),
        ),
        (
            render_user(base, "u2", &extended, &meta(), &groups),
            json!({
                "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA], "id": "u2", "userName": "ann", "externalId": "e1",
                "displayName": "Ann", ENTERPRISE_USER_SCHEMA: {"department": "Eng"},
                "groups": [{"value": "g1", "display": "Eng", "$ref": "https://h/scim/v2/Groups/g1", "type": "direct"}],
                "meta": user_meta("u2")
            }),
        ),
        (
            render_group(base, "g1", &group, &meta(), Some(&members)),
            json!({
                "schemas": [GROUP_SCHEMA], "id": "g1", "displayName": "Eng", "externalId": "okta-1",
                "members": [
                    {"value": "u1", "display": "Ann", "$ref": "https://h/scim/v2/Users/u1", "type": "User"},
                    {"value": "g2", "$ref": "https://h/scim/v2/Groups/g2", "type": "Group"}
                ],
                "meta": group_meta.clone()
            }),
        ),
        (
            render_group(base, "g1", &group, &meta(), None),
            json!({"schemas": [GROUP_SCHEMA], "id": "g1", "displayName": "Eng", "externalId": "okta-1", "meta": group_meta.clone()}),
        ),
        (
            render_group(base, "g1", &group, &meta(), Some(&[])),
            json!({"schemas": [GROUP_SCHEMA], "id": "g1", "displayName": "Eng", "externalId": "okta-1", "meta": group_meta}),
        ),
    ];
    for (got, expected) in rows {
        assert_eq!(got, expected);
    }
    assert_eq!(meta().etag(), "W/\"7\"");
}
