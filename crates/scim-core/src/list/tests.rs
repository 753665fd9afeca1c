//! List and search request parsing (the query strings Okta and Entra send), projection, the
//! ListResponse envelope, `needs_attribute` and sort order.

use super::*;
use crate::error::ScimType;
use crate::schema::{ENTERPRISE_USER_SCHEMA, GROUP_RESOURCE, GROUP_SCHEMA, USER_RESOURCE, USER_SCHEMA};
use serde_json::json;

const LIMITS: ListLimits = ListLimits { default_count: 100, max_results: 200 };
const ENT: &str = ENTERPRISE_USER_SCHEMA;

fn path(s: &str) -> AttrPath {
    s.parse().unwrap()
}

fn paths(list: &[&str]) -> Vec<AttrPath> {
    list.iter().map(|s| path(s)).collect()
}

fn query() -> ListQuery {
    ListQuery {
        filter: None,
        start_index: 1,
        count: 100,
        sort_by: None,
        sort_order: SortOrder::Ascending,
        attributes: vec![],
        excluded_attributes: vec![],
    }
}

type Expected = std::result::Result<ListQuery, (ScimType, &'static str)>;

/// A request as query pairs or as a search body.
enum Request {
    Query(Vec<(&'static str, &'static str)>),
    Search(Value),
}

/// Parses `request` for users and checks the query, or the error's `scimType` and detail.
fn check(request: Request, expected: Expected) {
    let (got, shown) = match &request {
        Request::Query(pairs) => {
            (ListQuery::from_query(pairs.iter().copied(), &USER_RESOURCE, LIMITS), format!("{pairs:?}"))
        }
        Request::Search(body) => (ListQuery::from_search_body(body, &USER_RESOURCE, LIMITS), body.to_string()),
    };
    match (got, expected) {
        (Ok(got), Ok(expected)) => assert_eq!(got, expected, "{shown}"),
        (Err(e), Err((scim_type, detail))) => {
            assert_eq!((e.status, e.scim_type, e.detail.as_str()), (400, Some(scim_type), detail), "{shown}")
        }
        (got, expected) => panic!("{shown}: got {got:?}, expected {expected:?}"),
    }
}

#[test]
fn list_requests() {
    use Request::{Query, Search};
    use ScimType::{InvalidFilter, InvalidSyntax, InvalidValue};
    let user_name_eq = |v: &str| Some(format!("userName eq \"{v}\"").parse::<Filter>().unwrap());
    let rows: Vec<(Request, Expected)> = vec![
        (Query(vec![]), Ok(query())),
        // Okta's existence check, verbatim.
        (
            Query(vec![("filter", "userName eq \"test.user@okta.local\""), ("startIndex", "1"), ("count", "100")]),
            Ok(ListQuery { filter: user_name_eq("test.user@okta.local"), ..query() }),
        ),
        // Entra's, verbatim.
        (
            Query(vec![("filter", "externalId eq \"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef\"")]),
            Ok(ListQuery {
                filter: Some("externalId eq \"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef\"".parse().unwrap()),
                ..query()
            }),
        ),
        // Parameter names are case-insensitive; later duplicates win.
        (
            Query(vec![("FILTER", "userName eq \"x\""), ("StartIndex", "3"), ("COUNT", "2"), ("count", "7")]),
            Ok(ListQuery { filter: user_name_eq("x"), start_index: 3, count: 7, ..query() }),
        ),
        // Clamping (RFC 7644 §3.4.2.4).
        (Query(vec![("startIndex", "0")]), Ok(ListQuery { start_index: 1, ..query() })),
        (Query(vec![("startIndex", "-5")]), Ok(ListQuery { start_index: 1, ..query() })),
        (Query(vec![("count", "-1")]), Ok(ListQuery { count: 0, ..query() })),
        (Query(vec![("count", "0")]), Ok(ListQuery { count: 0, ..query() })),
        (Query(vec![("count", "5000")]), Ok(ListQuery { count: 200, ..query() })),
        (Query(vec![("count", "99999999999999999999999")]), Ok(ListQuery { count: 200, ..query() })),
        (Query(vec![("startIndex", " +7 ")]), Ok(ListQuery { start_index: 7, ..query() })),
        (Query(vec![("filter", "  ")]), Ok(query())),
        (
            Query(vec![("sortBy", "name.familyName"), ("sortOrder", "DESCENDING")]),
            Ok(ListQuery { sort_by: Some(path("name.familyName")), sort_order: SortOrder::Descending, ..query() }),
        ),
        (
            Query(vec![(
                "attributes",
                "userName, name.givenName,,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            )]),
            Ok(ListQuery {
                attributes: paths(&[
                    "userName",
                    "name.givenName",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                ]),
                ..query()
            }),
        ),
        (
            Query(vec![("excludedAttributes", "emails,groups"), ("unknownParam", "x")]),
            Ok(ListQuery { excluded_attributes: paths(&["emails", "groups"]), ..query() }),
        ),
        // Errors name the parameter.
        (Query(vec![("count", "abc")]), Err((InvalidValue, "count must be an integer, not 'abc'"))),
        (Query(vec![("startIndex", "1.5")]), Err((InvalidValue, "startIndex must be an integer, not '1.5'"))),
        (Query(vec![("startIndex", "")]), Err((InvalidValue, "startIndex must be an integer, not ''"))),
        (
            Query(vec![("sortOrder", "sideways")]),
            Err((InvalidValue, "sortOrder must be 'ascending' or 'descending', not 'sideways'")),
        ),
        (Query(vec![("sortBy", "nosuch")]), Err((InvalidValue, "sortBy: unknown attribute 'nosuch'"))),
        (
            Query(vec![("filter", "nosuch eq \"x\"")]),
            Err((InvalidFilter, "unknown attribute 'nosuch' in filter: User resources have no such attribute")),
        ),
        // Search bodies: the same names, attributes as arrays, numbers as JSON numbers.
        (
            Search(json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                "attributes": ["displayName", "userName"], "excludedAttributes": [],
                "filter": "userName eq \"x\"", "startIndex": 2, "count": 10, "sortBy": "userName", "sortOrder": "descending"
            })),
            Ok(ListQuery {
                filter: user_name_eq("x"),
                start_index: 2,
                count: 10,
                sort_by: Some(path("userName")),
                sort_order: SortOrder::Descending,
                attributes: paths(&["displayName", "userName"]),
                ..query()
            }),
        ),
        (
            Search(json!({"Count": "5", "startIndex": -3, "attributes": "userName,emails"})),
            Ok(ListQuery { count: 5, start_index: 1, attributes: paths(&["userName", "emails"]), ..query() }),
        ),
        (Search(json!({"count": 1e20})), Ok(ListQuery { count: 200, ..query() })),
        (Search(json!({"count": 3.0})), Ok(ListQuery { count: 3, ..query() })),
        (Search(json!({"filter": null, "sortBy": null})), Ok(query())),
        (Search(json!({})), Ok(query())),
        (Search(json!([])), Err((InvalidSyntax, "a search request must be a JSON object"))),
        (
            Search(json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]})),
            Err((InvalidSyntax, "schemas must include 'urn:ietf:params:scim:api:messages:2.0:SearchRequest'")),
        ),
        (Search(json!({"count": 1.5})), Err((InvalidValue, "count must be an integer, not '1.5'"))),
        (Search(json!({"count": true})), Err((InvalidValue, "count must be an integer, not 'true'"))),
        (Search(json!({"filter": 3})), Err((InvalidValue, "filter must be a string"))),
        (Search(json!({"attributes": [1]})), Err((InvalidValue, "attributes must be an array of strings"))),
        (
            Search(json!({"excludedAttributes": {}})),
            Err((InvalidValue, "excludedAttributes must be an array of strings")),
        ),
    ];
    for (request, expected) in rows {
        check(request, expected);
    }
    // Filter errors keep the filter parser's detail, which names the position.
    let err = ListQuery::from_query([("filter", "userName eq")], &USER_RESOURCE, LIMITS).unwrap_err();
    assert_eq!(err.scim_type, Some(ScimType::InvalidFilter));
    // A default count above maxResults is clamped too.
    let q = ListQuery::from_query([], &GROUP_RESOURCE, ListLimits { default_count: 500, max_results: 50 }).unwrap();
    assert_eq!(q.count, 50);
}

/// `attributes` / `excludedAttributes`.
mod projection {
    use super::*;

    fn rendered_user() -> Value {
        json!({
            "schemas": [USER_SCHEMA, ENT],
            "id": "u1",
            "externalId": "okta-1",
            "userName": "bjensen",
            "name": {"givenName": "Barbara", "familyName": "Jensen"},
            "emails": [{"value": "b@work", "type": "work", "primary": true}, {"value": "b@home", "type": "home"}],
            "active": true,
            "password": "leaked?",
            ENT: {"department": "Tour", "employeeNumber": "7"},
            "meta": {"resourceType": "User", "created": "2024-01-01T00:00:00Z", "lastModified": "2024-01-02T00:00:00Z",
                     "location": "https://h/Users/u1", "version": "W/\"1\""}
        })
    }

    /// Projects `resource` and checks the result.
    fn check(rt: &ResourceType, resource: Value, attributes: &[&str], excluded: &[&str], expected: Value) {
        let mut got = resource;
        project(&mut got, rt, &paths(attributes), &paths(excluded));
        assert_eq!(got, expected, "attributes={attributes:?} excluded={excluded:?}");
    }

    #[test]
    fn projection() {
        let full = || {
            let mut v = rendered_user();
            v.as_object_mut().unwrap().remove("password");
            v
        };
        let without = |keys: &[&str]| {
            let mut v = full();
            for k in keys {
                v.as_object_mut().unwrap().remove(*k);
            }
            v
        };
        let meta = rendered_user()["meta"].clone();
        let rows: Vec<(&[&str], &[&str], Value)> = vec![
            // Nothing asked: everything but never-returned attributes.
            (&[], &[], full()),
            // `attributes`: schemas and always-returned `id`, plus what was asked.
            (&["userName"], &[], json!({"schemas": [USER_SCHEMA, ENT], "id": "u1", "userName": "bjensen"})),
            (&["USERNAME", "password"], &[], json!({"schemas": [USER_SCHEMA, ENT], "id": "u1", "userName": "bjensen"})),
            (&["id"], &[], json!({"schemas": [USER_SCHEMA, ENT], "id": "u1"})),
            (
                &["name.givenName", "emails.value", "emails.type"],
                &[],
                json!({"schemas": [USER_SCHEMA, ENT], "id": "u1", "name": {"givenName": "Barbara"},
                       "emails": [{"value": "b@work", "type": "work"}, {"value": "b@home", "type": "home"}]}),
            ),
            (
                &["name", "name.givenName"],
                &[],
                json!({"schemas": [USER_SCHEMA, ENT], "id": "u1", "name": {"givenName": "Barbara", "familyName": "Jensen"}}),
            ),
            (
                &["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"],
                &[],
                json!({"schemas": [USER_SCHEMA, ENT], "id": "u1", ENT: {"department": "Tour"}}),
            ),
            (
                &["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                &[],
                json!({"schemas": [USER_SCHEMA, ENT], "id": "u1", ENT: {"department": "Tour", "employeeNumber": "7"}}),
            ),
            (
                &["meta.lastModified"],
                &[],
                json!({"schemas": [USER_SCHEMA, ENT], "id": "u1", "meta": {"lastModified": "2024-01-02T00:00:00Z"}}),
            ),
            (&["meta"], &[], json!({"schemas": [USER_SCHEMA, ENT], "id": "u1", "meta": meta})),
            (&["nosuch"], &[], json!({"schemas": [USER_SCHEMA, ENT], "id": "u1"})),
            // `attributes` wins over `excludedAttributes`.
            (&["userName"], &["userName"], json!({"schemas": [USER_SCHEMA, ENT], "id": "u1", "userName": "bjensen"})),
            // `excludedAttributes`: whole attributes, sub-attributes, extension attributes; never `id`.
            (&[], &["emails", "name", "meta"], without(&["emails", "name", "meta"])),
            (&[], &["id", "schemas", "nosuch"], full()),
            (&[], &["name.givenName", "emails.primary", "meta.version"], {
                let mut v = full();
                v["name"] = json!({"familyName": "Jensen"});
                v["emails"] = json!([{"value": "b@work", "type": "work"}, {"value": "b@home", "type": "home"}]);
                v["meta"].as_object_mut().unwrap().remove("version");
                v
            }),
            (&[], &["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"], {
                let mut v = full();
                v[ENT] = json!({"employeeNumber": "7"});
                v
            }),
            (
                &[],
                &[
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
                ],
                without(&[ENT]),
            ),
            (&[], &["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"], without(&[ENT])),
        ];
        for (attributes, excluded, expected) in rows {
            check(&USER_RESOURCE, rendered_user(), attributes, excluded, expected);
        }
        let group = json!({"schemas": [GROUP_SCHEMA], "id": "g1", "displayName": "Eng",
                           "members": [{"value": "u1", "display": "Ann", "type": "User", "$ref": "https://h/Users/u1"}]});
        check(
            &GROUP_RESOURCE,
            group.clone(),
            &["displayName"],
            &[],
            json!({"schemas": [GROUP_SCHEMA], "id": "g1", "displayName": "Eng"}),
        );
        check(
            &GROUP_RESOURCE,
            group.clone(),
            &[],
            &["members"],
            json!({"schemas": [GROUP_SCHEMA], "id": "g1", "displayName": "Eng"}),
        );
        check(
            &GROUP_RESOURCE,
            group,
            &["members.value"],
            &[],
            json!({"schemas": [GROUP_SCHEMA], "id": "g1", "members": [{"value": "u1"}]}),
        );
        check(&USER_RESOURCE, json!("not an object"), &["userName"], &[], json!("not an object"));
    }
}

#[test]
fn needed_attributes() {
    type Row<'a> = (&'a ResourceType, &'a [&'a str], &'a [&'a str], &'a str, bool);
    let rows: Vec<Row<'_>> = vec![
        (&GROUP_RESOURCE, &[], &[], "members", true),
        (&GROUP_RESOURCE, &[], &["members"], "members", false),
        (&GROUP_RESOURCE, &[], &["MEMBERS"], "members", false),
        (&GROUP_RESOURCE, &[], &["members.display"], "members", true),
        (&GROUP_RESOURCE, &["displayName"], &[], "members", false),
        (&GROUP_RESOURCE, &["members.value"], &[], "members", true),
        (&GROUP_RESOURCE, &["displayName"], &[], "id", true),
        (&USER_RESOURCE, &[], &[], "groups", true),
        (&USER_RESOURCE, &["userName"], &[], "groups", false),
        (&USER_RESOURCE, &[], &["groups"], "groups", false),
        (&USER_RESOURCE, &[], &[], "password", false),
        (
            &USER_RESOURCE,
            &[],
            &["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
            false,
        ),
        (
            &USER_RESOURCE,
            &["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            &[],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
            true,
        ),
        (&USER_RESOURCE, &["userName"], &[], "nosuch", true),
    ];
    for (rt, attributes, excluded, name, expected) in rows {
        assert_eq!(
            needs_attribute(rt, &paths(attributes), &paths(excluded), name),
            expected,
            "{name} with {attributes:?} / {excluded:?}"
        );
    }
}

#[test]
fn list_responses() {
    let got = list_response(42, 11, vec![json!({"id": "a"}), json!({"id": "b"})]);
    assert_eq!(
        got,
        json!({"schemas": [LIST_RESPONSE_SCHEMA], "totalResults": 42, "startIndex": 11, "itemsPerPage": 2,
               "Resources": [{"id": "a"}, {"id": "b"}]})
    );
    assert_eq!(list_response(0, 1, vec![])["itemsPerPage"], json!(0));
}

#[test]
fn sort_order() {
    use Ordering::{Equal, Greater, Less};
    let u = |v: Value| v;
    let rows: Vec<(&str, Value, Value, Ordering)> = vec![
        ("userName", u(json!({"userName": "alice"})), u(json!({"userName": "Bob"})), Less),
        ("userName", u(json!({"userName": "ALICE"})), u(json!({"userName": "alice"})), Equal),
        // caseExact attributes compare exactly ('B' < 'a').
        ("externalId", u(json!({"externalId": "B"})), u(json!({"externalId": "a"})), Less),
        ("externalId", u(json!({"externalId": "b"})), u(json!({"externalId": "B"})), Greater),
        // Missing values sort last.
        ("displayName", u(json!({})), u(json!({"displayName": "x"})), Greater),
        ("displayName", u(json!({"displayName": "x"})), u(json!({"displayName": null})), Less),
        ("displayName", u(json!({})), u(json!({})), Equal),
        // Multi-valued: the primary element, else the first.
        (
            "emails",
            u(json!({"emails": [{"value": "z@x"}, {"value": "a@x", "primary": true}]})),
            u(json!({"emails": [{"value": "m@x"}]})),
            Less,
        ),
        ("emails.type", u(json!({"emails": [{"type": "work"}]})), u(json!({"emails": [{"type": "home"}]})), Greater),
        (
            "name.familyName",
            u(json!({"name": {"familyName": "jensen"}})),
            u(json!({"name": {"familyName": "Smith"}})),
            Less,
        ),
        // Date-times compare as instants, whatever their offset.
        (
            "meta.created",
            u(json!({"meta": {"created": "2024-01-01T10:00:00+02:00"}})),
            u(json!({"meta": {"created": "2024-01-01T09:00:00Z"}})),
            Less,
        ),
        ("active", u(json!({"active": false})), u(json!({"active": true})), Less),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            u(json!({ENT: {"department": "b"}})),
            u(json!({ENT: {"department": "A"}})),
            Greater,
        ),
        ("userName", u(json!({"userName": 5})), u(json!({"userName": "a"})), Less),
    ];
    for (by, a, b, expected) in rows {
        assert_eq!(compare_for_sort(&a, &b, &path(by), &USER_RESOURCE), expected, "{by}: {a} vs {b}");
        assert_eq!(compare_for_sort(&b, &a, &path(by), &USER_RESOURCE), expected.reverse(), "{by}: {b} vs {a}");
    }
    let mut groups = vec![json!({"displayName": "b"}), json!({}), json!({"displayName": "A"})];
    groups.sort_by(|a, b| compare_for_sort(a, b, &path("displayName"), &GROUP_RESOURCE));
    assert_eq!(groups, vec![json!({"displayName": "A"}), json!({"displayName": "b"}), json!({})]);
}
