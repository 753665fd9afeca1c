//! PATCH parsing and application: every RFC 7644 §3.5.2 case, the requests Okta and Entra send
//! (verbatim), all-or-nothing failures, the group member compilation, and a property test that no
//! request panics.

use super::*;
use crate::error::ScimType;
use crate::schema::{ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA};
use proptest::prelude::*;
use serde_json::json;

const ENT: &str = ENTERPRISE_USER_SCHEMA;

/// A PatchOp body around `ops`.
fn body(ops: Value) -> Value {
    json!({"schemas": [PATCH_OP_SCHEMA], "Operations": ops})
}

fn user(body: Value) -> User {
    User::from_json(&body).unwrap()
}

/// The base user of most rows: a work email (primary), a home email, a name, the enterprise extension.
fn base_user() -> Value {
    json!({
        "userName": "bjensen",
        "externalId": "okta-1",
        "active": true,
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "emails": [
            {"value": "bjensen@work.example", "type": "work", "primary": true},
            {"value": "babs@home.example", "type": "home"}
        ],
        ENT: {"department": "Tour Operations"}
    })
}

/// Applies the PATCH `request` to user `before` (id `u1`) and checks the resulting canonical body, or
/// the error's `scimType` and detail.
fn check(before: Value, request: Value, expected: std::result::Result<Value, (ScimType, &str)>) {
    let current = user(before.clone());
    let got = PatchRequest::from_json(&request).and_then(|req| patch_user("u1", &current, &req));
    match (got, expected) {
        (Ok(user), Ok(attributes)) => {
            assert_eq!(Value::Object(user.attributes.clone()), attributes, "{request}");
            assert_eq!(User::from_json(&attributes).unwrap(), user, "{request}: the result is validated");
        }
        (Err(e), Err((scim_type, detail))) => {
            assert_eq!((e.status, e.scim_type, e.detail.as_str()), (400, Some(scim_type), detail), "{request}")
        }
        (got, expected) => panic!("{request}: got {got:?}, expected {expected:?}"),
    }
}

/// `base_user()` with the changes of `f`.
fn base_with(f: impl FnOnce(&mut Value)) -> Value {
    let mut v = base_user();
    v["active"] = json!(true);
    f(&mut v);
    v
}

#[test]
fn okta_requests() {
    let rows = vec![
        // Deactivation: a path-less replace.
        (body(json!([{"op": "replace", "value": {"active": false}}])), Ok(base_with(|v| v["active"] = json!(false)))),
        // Profile sync: path-less replace of several attributes, repeating the id.
        (
            body(json!([{"op": "replace", "value": {
                "id": "u1", "userName": "barbara", "name": {"givenName": "Babs"}, "password": "hunter2",
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]
            }}])),
            Ok(base_with(|v| {
                v["userName"] = json!("barbara");
                v["name"]["givenName"] = json!("Babs");
            })),
        ),
        // Password sync alone: accepted, never stored.
        (body(json!([{"op": "replace", "value": {"password": "t1meMa$heen"}}])), Ok(base_user())),
        (body(json!([{"op": "replace", "path": "password", "value": "x"}])), Ok(base_user())),
    ];
    for (request, expected) in rows {
        check(base_user(), request, expected);
    }
}

#[test]
fn entra_requests() {
    let no_email = json!({"userName": "5b50642d", "active": true});
    let rows = vec![
        // Disable user, verbatim: capitalised op, boolean as a string.
        (
            base_user(),
            body(json!([{"op": "Replace", "path": "active", "value": "False"}])),
            Ok(base_with(|v| v["active"] = json!(false))),
        ),
        // Update single-valued properties, verbatim.
        (
            base_user(),
            body(
                json!([{"op": "Replace", "path": "userName", "value": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"}]),
            ),
            Ok(base_with(|v| v["userName"] = json!("5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"))),
        ),
        // A filtered path to an email that does not exist yet creates it.
        (
            no_email.clone(),
            body(json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "a@b.c"}])),
            Ok(json!({"userName": "5b50642d", "active": true, "emails": [{"type": "work", "value": "a@b.c"}]})),
        ),
        (
            no_email.clone(),
            body(json!([{"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 555"}])),
            Ok(
                json!({"userName": "5b50642d", "active": true, "phoneNumbers": [{"type": "mobile", "value": "+1 555"}]}),
            ),
        ),
        (
            no_email.clone(),
            body(json!([{"op": "Add", "path": "addresses[type eq \"work\"].streetAddress", "value": "1 Main St"}])),
            Ok(
                json!({"userName": "5b50642d", "active": true, "addresses": [{"type": "work", "streetAddress": "1 Main St"}]}),
            ),
        ),
        // ... and when it exists, updates it.
        (
            base_user(),
            body(json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "new@work.example"}])),
            Ok(base_with(|v| v["emails"][0]["value"] = json!("new@work.example"))),
        ),
        // A created element that is primary clears the old primary.
        (
            base_user(),
            body(json!([{"op": "Add", "path": "emails[type eq \"other\" and primary eq true].value", "value": "o@x"}])),
            Ok(base_with(|v| {
                v["emails"][0]["primary"] = json!(false);
                v["emails"] =
                    json!([v["emails"][0], v["emails"][1], {"type": "other", "primary": true, "value": "o@x"}]);
            })),
        ),
        // Path-less add with dotted and URN-qualified keys.
        (
            base_user(),
            body(json!([{"op": "Add", "value": {
                "name.givenName": "Babs",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "701984",
                "displayName": "Babs Jensen",
                "emails[type eq \"work\"].value": "bj@work.example"
            }}])),
            Ok(base_with(|v| {
                v["name"]["givenName"] = json!("Babs");
                v[ENT]["employeeNumber"] = json!("701984");
                v["displayName"] = json!("Babs Jensen");
                v["emails"][0]["value"] = json!("bj@work.example");
            })),
        ),
        // The manager as a bare id.
        (
            base_user(),
            body(
                json!([{"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "m-1"}]),
            ),
            Ok(base_with(|v| v[ENT]["manager"] = json!({"value": "m-1"}))),
        ),
        // Removing an extension attribute.
        (
            base_user(),
            body(
                json!([{"op": "Remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"}]),
            ),
            Ok(base_with(|v| {
                v.as_object_mut().unwrap().remove(ENT);
            })),
        ),
        // Several operations in one request, lower-case `operations` key, no `schemas`.
        (
            base_user(),
            json!({"operations": [
                {"op": "Replace", "path": "name.familyName", "value": "Jensen-Smith"},
                {"op": "Replace", "path": "title", "value": "Tour Guide"},
                {"op": "Remove", "path": "emails[type eq \"home\"]"}
            ]}),
            Ok(base_with(|v| {
                v["name"]["familyName"] = json!("Jensen-Smith");
                v["title"] = json!("Tour Guide");
                v["emails"] = json!([v["emails"][0]]);
            })),
        ),
    ];
    for (before, request, expected) in rows {
        check(before, request, expected);
    }
}

#[test]
fn rfc_operations() {
    let work = json!({"value": "bjensen@work.example", "type": "work", "primary": true});
    let home = json!({"value": "babs@home.example", "type": "home"});
    let rows = vec![
        // add: appends to a multi-valued attribute.
        (
            json!([{"op": "add", "path": "emails", "value": [{"value": "b@other.example", "type": "other"}]}]),
            Ok(base_with(|v| v["emails"] = json!([work, home, {"value": "b@other.example", "type": "other"}]))),
        ),
        // ... a single element is accepted for an array ...
        (
            json!([{"op": "add", "path": "emails", "value": {"value": "b@other.example"}}]),
            Ok(base_with(|v| v["emails"] = json!([work, home, {"value": "b@other.example"}]))),
        ),
        // ... an identical value is not duplicated (email values compare case-insensitively) ...
        (
            json!([{"op": "add", "path": "emails", "value": [{"value": "BABS@home.example", "type": "home"}]}]),
            Ok(base_user()),
        ),
        (json!([{"op": "add", "value": {"emails": [{"value": "babs@home.example"}]}}]), Ok(base_user())),
        // ... and a new primary clears the old one.
        (
            json!([{"op": "add", "path": "emails", "value": [{"value": "babs@home.example", "type": "home", "primary": true}]}]),
            Ok(base_with(|v| {
                v["emails"] = json!([
                    {"value": "bjensen@work.example", "type": "work", "primary": false},
                    {"value": "babs@home.example", "type": "home", "primary": true}
                ])
            })),
        ),
        (
            json!([{"op": "replace", "path": "emails[type eq \"home\"].primary", "value": "True"}]),
            Ok(base_with(|v| {
                v["emails"] = json!([
                    {"value": "bjensen@work.example", "type": "work", "primary": false},
                    {"value": "babs@home.example", "type": "home", "primary": true}
                ])
            })),
        ),
        // add: single-valued attributes are set, complex ones merged.
        (json!([{"op": "add", "path": "nickName", "value": "Babs"}]), Ok(base_with(|v| v["nickName"] = json!("Babs")))),
        (
            json!([{"op": "add", "path": "name", "value": {"middleName": "Jane"}}]),
            Ok(base_with(|v| v["name"]["middleName"] = json!("Jane"))),
        ),
        // replace: a multi-valued attribute without a filter is replaced whole; `[]` clears it.
        (
            json!([{"op": "replace", "path": "emails", "value": [{"value": "only@x"}]}]),
            Ok(base_with(|v| v["emails"] = json!([{"value": "only@x"}]))),
        ),
        (
            json!([{"op": "replace", "path": "emails", "value": []}]),
            Ok(base_with(|v| {
                v.as_object_mut().unwrap().remove("emails");
            })),
        ),
        // replace: a complex attribute keeps the sub-attributes not given (RFC 7644 §3.5.2.3).
        (
            json!([{"op": "replace", "path": "name", "value": {"givenName": "Babs"}}]),
            Ok(base_with(|v| v["name"]["givenName"] = json!("Babs"))),
        ),
        (
            json!([{"op": "replace", "path": "Name.GivenName", "value": "Babs"}]),
            Ok(base_with(|v| v["name"]["givenName"] = json!("Babs"))),
        ),
        // replace with a filter: the matching elements are replaced whole...
        (
            json!([{"op": "replace", "path": "emails[type eq \"home\"]", "value": {"value": "new@home", "type": "home"}}]),
            Ok(base_with(|v| v["emails"][1] = json!({"value": "new@home", "type": "home"}))),
        ),
        // ... or merged into by `add`.
        (
            json!([{"op": "add", "path": "emails[type eq \"home\"]", "value": {"display": "Home"}}]),
            Ok(base_with(|v| v["emails"][1]["display"] = json!("Home"))),
        ),
        (
            json!([{"op": "replace", "path": "EMAILS[TYPE eq \"WORK\"].VALUE", "value": "w@x"}]),
            Ok(base_with(|v| v["emails"][0]["value"] = json!("w@x"))),
        ),
        // `emails.value` without a filter sets every element.
        (
            json!([{"op": "replace", "path": "emails.display", "value": "E"}]),
            Ok(base_with(|v| {
                v["emails"][0]["display"] = json!("E");
                v["emails"][1]["display"] = json!("E");
            })),
        ),
        // remove: the whole attribute, a sub-attribute, filtered elements, listed elements.
        (
            json!([{"op": "remove", "path": "emails"}]),
            Ok(base_with(|v| {
                v.as_object_mut().unwrap().remove("emails");
            })),
        ),
        (
            json!([{"op": "remove", "path": "name.givenName"}]),
            Ok(base_with(|v| {
                v["name"].as_object_mut().unwrap().remove("givenName");
            })),
        ),
        (json!([{"op": "remove", "path": "emails[type eq \"work\"]"}]), Ok(base_with(|v| v["emails"] = json!([home])))),
        (
            json!([{"op": "remove", "path": "emails[type eq \"work\"].primary"}]),
            Ok(base_with(|v| v["emails"] = json!([{"value": "bjensen@work.example", "type": "work"}, home]))),
        ),
        (
            json!([{"op": "remove", "path": "emails", "value": [{"value": "babs@home.example"}]}]),
            Ok(base_with(|v| v["emails"] = json!([work]))),
        ),
        // Removing what is not there is a no-op (clients retry).
        (json!([{"op": "remove", "path": "emails[type eq \"other\"]"}]), Ok(base_user())),
        (json!([{"op": "remove", "path": "title"}]), Ok(base_user())),
        // A path naming the whole extension.
        (
            json!([{"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "value": {"costCenter": "4130"}}]),
            Ok(base_with(|v| v[ENT]["costCenter"] = json!("4130"))),
        ),
        (
            json!([{"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}]),
            Ok(base_with(|v| {
                v.as_object_mut().unwrap().remove(ENT);
            })),
        ),
        // A path-less value keyed by the extension URN; a null inside a path-less replace clears.
        (
            json!([{"op": "replace", "value": {ENT: {"Division": "Theme Park", "department": null}, "nickName": null}}]),
            Ok(base_with(|v| v[ENT] = json!({"division": "Theme Park"}))),
        ),
        // Unknown keys in a path-less value are ignored, as in a POST body.
        (json!([{"op": "add", "value": {"favoriteColor": "blue", "urn:okta:custom:1.0:User:x": 1}}]), Ok(base_user())),
        // Each operation sees the previous ones.
        (
            json!([
                {"op": "remove", "path": "emails"},
                {"op": "add", "path": "emails", "value": [{"value": "a@x", "primary": true}]},
                {"op": "add", "path": "emails", "value": [{"value": "b@x", "primary": true}]}
            ]),
            Ok(base_with(|v| {
                v["emails"] = json!([{"value": "a@x", "primary": false}, {"value": "b@x", "primary": true}])
            })),
        ),
        (json!([]), Ok(base_user())),
    ];
    for (ops, expected) in rows {
        check(base_user(), body(ops), expected);
    }
}

#[test]
fn rejected_requests() {
    use ScimType::{InvalidPath, InvalidSyntax, InvalidValue, Mutability, NoTarget, TooMany};
    let too_many: Vec<Value> =
        (0..=MAX_PATCH_OPERATIONS).map(|_| json!({"op": "add", "path": "title", "value": "x"})).collect();
    let rows: Vec<(Value, (ScimType, &str))> = vec![
        (json!([]), (InvalidSyntax, "a PATCH request must be a JSON object")),
        (json!({"schemas": [PATCH_OP_SCHEMA]}), (InvalidSyntax, "a PATCH request needs an 'Operations' array")),
        (json!({"Operations": {"op": "add"}}), (InvalidSyntax, "'Operations' must be an array")),
        (
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "Operations": []}),
            (InvalidSyntax, "schemas must include 'urn:ietf:params:scim:api:messages:2.0:PatchOp'"),
        ),
        (
            json!({"Operations": too_many}),
            (TooMany, "a PATCH request may hold at most 1000 operations, this one has 1001"),
        ),
        (body(json!(["add"])), (InvalidSyntax, "Operations[0]: an operation must be a JSON object")),
        (body(json!([{"path": "title", "value": "x"}])), (InvalidSyntax, "Operations[0]: an operation needs an 'op'")),
        (body(json!([{"op": 1}])), (InvalidSyntax, "Operations[0]: 'op' must be a string")),
        (
            body(json!([{"op": "replace", "path": "title", "value": "x"}, {"op": "move", "path": "title"}])),
            (InvalidSyntax, "Operations[1]: unknown op 'move' (expected 'add', 'remove' or 'replace')"),
        ),
        (body(json!([{"op": "add", "path": "title"}])), (InvalidValue, "Operations[0]: 'add' operation needs a 'value'")),
        (
            body(json!([{"op": "Replace", "path": "title", "value": null}])),
            (InvalidValue, "Operations[0]: 'replace' operation needs a 'value'"),
        ),
        (body(json!([{"op": "remove"}])), (NoTarget, "Operations[0]: 'remove' operation needs a 'path'")),
        (body(json!([{"op": "remove", "value": {"title": "x"}}])), (NoTarget, "Operations[0]: 'remove' operation needs a 'path'")),
        (body(json!([{"op": "add", "path": 3, "value": "x"}])), (InvalidPath, "Operations[0]: 'path' must be a string")),
        (body(json!([{"op": "add", "value": "x"}])), (InvalidValue, "Operations[0]: a path-less 'add' needs an object value")),
        (body(json!([{"op": "add", "path": "nosuch", "value": "x"}])), (InvalidPath, "Operations[0]: unknown attribute 'nosuch'")),
        (body(json!([{"op": "add", "path": "name.nosuch", "value": "x"}])), (InvalidPath, "Operations[0]: unknown attribute 'name.nosuch'")),
        (
            body(json!([{"op": "remove", "path": "emails[nosuch eq \"x\"]"}])),
            (InvalidPath, "Operations[0]: path 'emails[nosuch eq \"x\"]': unknown attribute 'nosuch' in the value filter of 'emails': it has no such sub-attribute"),
        ),
        (
            body(json!([{"op": "replace", "path": "name[givenName eq \"x\"]", "value": {}}])),
            (InvalidPath, "Operations[0]: path 'name[givenName eq \"x\"]' filters 'name', which is not a multi-valued complex attribute"),
        ),
        // A filter that matches nothing and names no `type` to create from.
        (
            body(json!([{"op": "replace", "path": "emails[value eq \"zz@x\"].display", "value": "Z"}])),
            (NoTarget, "Operations[0]: no value of 'emails' matches 'emails[value eq \"zz@x\"].display'"),
        ),
        (
            body(json!([{"op": "replace", "path": "emails[type co \"wo\"].value", "value": "x@y"}, {"op": "replace", "path": "emails[type eq \"x\" or type eq \"y\"].value", "value": "z"}])),
            (NoTarget, "Operations[1]: no value of 'emails' matches 'emails[type eq \"x\" or type eq \"y\"].value'"),
        ),
        // Read-only attributes.
        (body(json!([{"op": "replace", "path": "id", "value": "u2"}])), (Mutability, "Operations[0]: attribute 'id' is readOnly")),
        (body(json!([{"op": "replace", "value": {"id": "u2"}}])), (Mutability, "Operations[0]: attribute 'id' is readOnly")),
        (body(json!([{"op": "remove", "path": "id"}])), (Mutability, "Operations[0]: attribute 'id' is readOnly")),
        (body(json!([{"op": "replace", "path": "meta.created", "value": "2020-01-01T00:00:00Z"}])), (Mutability, "Operations[0]: attribute 'meta.created' is readOnly")),
        (body(json!([{"op": "add", "path": "groups", "value": [{"value": "g1"}]}])), (Mutability, "Operations[0]: attribute 'groups' is readOnly")),
        (body(json!([{"op": "add", "value": {"meta": {"version": "W/\"9\""}}}])), (Mutability, "Operations[0]: attribute 'meta' is readOnly")),
        (
            body(json!([{"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName", "value": "Boss"}])),
            (Mutability, "Operations[0]: attribute 'manager.displayName' is readOnly"),
        ),
        // Type errors name the attribute; a later failure undoes nothing because nothing was kept.
        (
            body(json!([{"op": "replace", "path": "title", "value": "CEO"}, {"op": "replace", "path": "active", "value": "maybe"}])),
            (InvalidValue, "Operations[1]: attribute 'active' must be a boolean"),
        ),
        (body(json!([{"op": "replace", "value": {"name": "Bob"}}])), (InvalidValue, "Operations[0]: attribute 'name' must be a complex object")),
        (body(json!([{"op": "add", "path": "emails", "value": ["a@b"]}])), (InvalidValue, "Operations[0]: attribute 'emails' must be a complex object")),
        // The result is validated as a whole.
        (body(json!([{"op": "remove", "path": "userName"}])), (InvalidValue, "userName is required")),
        (
            body(json!([{"op": "replace", "path": "emails", "value": [{"value": "a", "primary": true}, {"value": "b", "primary": true}]}])),
            (InvalidValue, "Operations[0]: only one 'emails' value may be primary"),
        ),
        (
            body(json!([{"op": "replace", "path": "emails.primary", "value": true}])),
            (InvalidValue, "only one 'emails' value may be primary"),
        ),
    ];
    for (request, expected) in rows {
        check(base_user(), request, Err(expected));
    }
}

#[test]
fn operations_parse_to_typed_ops() {
    let req = PatchRequest::from_json(&json!({"Operations": [
        {"op": "ADD", "path": " emails[type eq \"work\"].value ", "value": "a@b"},
        {"op": "remove", "path": ""  , "value": null, "ignored": 1},
    ]}));
    // An empty path is no path, so that remove fails.
    assert_eq!(req.unwrap_err().scim_type, Some(ScimType::NoTarget));
    let req =
        PatchRequest::from_json(&json!({"Operations": [{"Op": "Replace", "Path": "title", "Value": "x"}]})).unwrap();
    assert_eq!(
        req.operations,
        vec![PatchOp { op: PatchOpKind::Replace, path: Some("title".parse().unwrap()), value: Some(json!("x")) }]
    );
    assert_eq!(PatchOpKind::Remove.to_string(), "remove");
}

/// Group PATCH: attribute changes and member operations.
mod group {
    use super::*;

    pub(super) fn group(body: Value) -> Group {
        Group::from_json(&body).unwrap().0
    }

    fn members(ids: &[&str]) -> Vec<Member> {
        ids.iter().map(|id| Member { value: (*id).to_owned(), display: None, kind: None }).collect()
    }

    /// Applies `request` to group `g1` ("Eng", externalId "okta-g1") and checks the new attributes and
    /// member operations, or the error.
    fn check(request: Value, expected: std::result::Result<(Value, Vec<MemberOp>), (ScimType, &str)>) {
        let current = group(json!({"schemas": [GROUP_SCHEMA], "displayName": "Eng", "externalId": "okta-g1"}));
        let got = PatchRequest::from_json(&request).and_then(|req| patch_group("g1", &current, &req));
        match (got, expected) {
            (Ok(patch), Ok((attributes, ops))) => {
                assert_eq!(Value::Object(patch.group.attributes.clone()), attributes, "{request}");
                assert_eq!(patch.members, ops, "{request}");
            }
            (Err(e), Err((scim_type, detail))) => {
                assert_eq!((e.status, e.scim_type, e.detail.as_str()), (400, Some(scim_type), detail), "{request}")
            }
            (got, expected) => panic!("{request}: got {got:?}, expected {expected:?}"),
        }
    }

    #[test]
    fn group_patches() {
        use ScimType::{InvalidPath, InvalidValue, Mutability};
        let unchanged = json!({"displayName": "Eng", "externalId": "okta-g1"});
        let ann = Member { value: "u1".into(), display: Some("ann@example.com".into()), kind: None };
        let rows = vec![
            // Okta: add members, verbatim shape.
            (
                body(json!([{"op": "add", "path": "members", "value": [{"value": "u1", "display": "ann@example.com"}]}])),
                Ok((unchanged.clone(), vec![MemberOp::Add(vec![ann.clone()])])),
            ),
            // Okta: remove one member by filter.
            (
                body(json!([{"op": "remove", "path": "members[value eq \"u1\"]"}])),
                Ok((unchanged.clone(), vec![MemberOp::Remove(vec!["u1".into()])])),
            ),
            // Okta: rename, repeating the id in a path-less replace.
            (
                body(json!([{"op": "replace", "value": {"id": "g1", "displayName": "Engineering"}}])),
                Ok((json!({"displayName": "Engineering", "externalId": "okta-g1"}), vec![])),
            ),
            // Okta: replace all members (also with none).
            (
                body(json!([{"op": "replace", "path": "members", "value": [{"value": "u1"}, {"value": "u2"}, {"value": "u1"}]}])),
                Ok((unchanged.clone(), vec![MemberOp::Replace(members(&["u1", "u2"]))])),
            ),
            (
                body(json!([{"op": "replace", "path": "members", "value": []}])),
                Ok((unchanged.clone(), vec![MemberOp::Replace(vec![])])),
            ),
            // Entra: add and remove with a value list, verbatim; rename by path.
            (
                body(json!([
                    {"op": "Add", "path": "members", "value": [{"value": "u2"}]},
                    {"op": "Remove", "path": "members", "value": [{"value": "u3"}, {"value": "u4"}]},
                    {"op": "Replace", "path": "displayName", "value": "Eng2"}
                ])),
                Ok((
                    json!({"displayName": "Eng2", "externalId": "okta-g1"}),
                    vec![MemberOp::Add(members(&["u2"])), MemberOp::Remove(vec!["u3".into(), "u4".into()])],
                )),
            ),
            (
                body(json!([{"op": "remove", "path": "members"}])),
                Ok((unchanged.clone(), vec![MemberOp::RemoveAll])),
            ),
            (
                body(json!([{"op": "remove", "path": "members[value eq \"a\" or value eq \"b\" or VALUE eq \"a\"]"}])),
                Ok((unchanged.clone(), vec![MemberOp::Remove(vec!["a".into(), "b".into()])])),
            ),
            (
                body(json!([{"op": "remove", "path": "members[display sw \"x\"]"}])),
                Ok((
                    unchanged.clone(),
                    vec![MemberOp::RemoveMatching(Filter::compare(AttrPath::new("display"), CompareOp::Sw, "x"))],
                )),
            ),
            (
                body(json!([{"op": "remove", "path": "members[value eq \"a\" and type eq \"User\"]"}])),
                Ok((unchanged.clone(), vec![MemberOp::RemoveMatching("value eq \"a\" and type eq \"User\"".parse().unwrap())])),
            ),
            // Path-less values holding members; an empty add is no operation.
            (
                body(json!([
                    {"op": "add", "value": {"members": [{"value": "u1", "display": "ann@example.com"}]}},
                    {"op": "replace", "value": {"Members": [{"value": "u2"}], "displayName": "X", "externalId": "e2"}},
                    {"op": "add", "path": "members", "value": []}
                ])),
                Ok((
                    json!({"displayName": "X", "externalId": "e2"}),
                    vec![MemberOp::Add(vec![ann.clone()]), MemberOp::Replace(members(&["u2"]))],
                )),
            ),
            (
                body(json!([{"op": "add", "path": "members", "value": {"value": "u9"}}])),
                Ok((unchanged.clone(), vec![MemberOp::Add(members(&["u9"]))])),
            ),
            (
                body(json!([{"op": "remove", "path": "externalId"}])),
                Ok((json!({"displayName": "Eng"}), vec![])),
            ),
            // Errors.
            (body(json!([{"op": "replace", "value": {"id": "g2"}}])), Err((Mutability, "Operations[0]: attribute 'id' is readOnly"))),
            (
                body(json!([{"op": "add", "path": "members[value eq \"u1\"]", "value": {"value": "u2"}}])),
                Err((InvalidPath, "Operations[0]: 'members[value eq \"u1\"]': a filtered 'add' of members is not supported; add or remove members by value")),
            ),
            (
                body(json!([{"op": "replace", "path": "members[value eq \"u1\"].display", "value": "x"}])),
                Err((InvalidPath, "Operations[0]: 'members[value eq \"u1\"].display': members are added, replaced or removed whole, not by sub-attribute")),
            ),
            (
                body(json!([{"op": "remove", "path": "members[nosuch eq \"x\"]"}])),
                Err((InvalidPath, "Operations[0]: path 'members[nosuch eq \"x\"]': unknown attribute 'nosuch' in the value filter of 'members': it has no such sub-attribute")),
            ),
            (
                body(json!([{"op": "add", "path": "members", "value": [{"display": "x"}]}])),
                Err((InvalidValue, "Operations[0]: members[].value is required")),
            ),
            (body(json!([{"op": "remove", "path": "displayName"}])), Err((InvalidValue, "displayName is required"))),
            (body(json!([{"op": "add", "path": "userName", "value": "x"}])), Err((InvalidPath, "Operations[0]: unknown attribute 'userName'"))),
        ];
        for (request, expected) in rows {
            check(request, expected);
        }
    }
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        prop::sample::select(vec!["", "True", "false", "u1", "g1", "a@b.c", "work", "home", "User", "Group"])
            .prop_map(|s| Value::String(s.to_owned())),
        ".{0,12}".prop_map(Value::String),
    ];
    let keys = prop_oneof![
        prop::sample::select(vec![
            "userName",
            "active",
            "emails",
            "name",
            "name.givenName",
            "id",
            "meta",
            "groups",
            "password",
            "value",
            "type",
            "primary",
            "display",
            "members",
            "displayName",
            "externalId",
            "schemas",
            "manager",
            ENTERPRISE_USER_SCHEMA,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
            "emails[type eq \"work\"].value",
        ])
        .prop_map(str::to_owned),
        "[a-zA-Z.:\\[\\]\" ]{0,10}",
    ];
    leaf.prop_recursive(3, 32, 4, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((keys.clone(), inner), 0..4).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn arb_op() -> impl Strategy<Value = Value> {
    let op = prop_oneof![
        9 => prop::sample::select(vec!["add", "Add", "remove", "Remove", "replace", "REPLACE", "move"]).prop_map(|s| json!(s)),
        1 => arb_json(),
    ];
    let path = prop_oneof![
        2 => Just(Value::Null),
        6 =>
        prop::sample::select(vec![
            "emails", "emails[type eq \"work\"].value", "emails[type eq \"work\" and primary eq true]",
            "emails[value co \"@\"].primary", "name", "name.givenName", "active", "id", "meta.created", "members",
            "members[value eq \"u1\"]", "members[value eq \"a\" or value eq \"b\"]", "members[display pr]",
            "displayName", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "addresses[type eq \"x\"].country",
            "groups", "password", "userName", "phoneNumbers.value", "x509Certificates[value pr]",
        ])
        .prop_map(|s| json!(s)),
        1 => ".{0,24}".prop_map(Value::String),
    ];
    (op, path, arb_json()).prop_map(|(op, path, value)| json!({"op": op, "path": path, "value": value}))
}

proptest! {
    // 512 cases by default; `PROPTEST_CASES=N` runs more (see docs/testing.md).
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512),
        ..ProptestConfig::default()
    })]

    /// No request panics, and a user PATCH either fails or yields a user that validates again.
    #[test]
    fn patching_never_panics(ops in prop::collection::vec(arb_op(), 0..6), raw in arb_json()) {
        let current = user(base_user());
        let current_group = group::group(json!({"displayName": "Eng"}));
        let singles = ops.iter().map(|op| body(json!([op])));
        let requests = [body(Value::Array(ops.clone())), raw.clone(), json!({"Operations": raw})];
        for request in requests.into_iter().chain(singles) {
            if let Ok(req) = PatchRequest::from_json(&request) {
                if let Ok(patched) = patch_user("u1", &current, &req) {
                    prop_assert_eq!(User::from_json(&Value::Object(patched.attributes.clone())).ok(), Some(patched));
                }
                let _ = patch_group("g1", &current_group, &req);
            }
        }
    }
}
