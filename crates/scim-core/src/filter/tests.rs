//! PATCH paths and bare attribute paths, `Display` of hand-built trees, and property tests: no input
//! panics a parser, and every generated tree round-trips through `Display`.

use super::*;
use crate::error::ScimType;
use crate::schema::{ENTERPRISE_USER_SCHEMA, USER_RESOURCE, USER_SCHEMA};
use proptest::prelude::*;

fn cmp(path: AttrPath, op: CompareOp, value: impl Into<Literal>) -> Filter {
    Filter::compare(path, op, value)
}

fn patch(attr: AttrPath, filter: Option<Filter>, sub: Option<&str>) -> PatchPath {
    PatchPath { attr, filter, sub: sub.map(str::to_owned) }
}

/// A parsed path and its canonical text, or a fragment of the `invalidPath` detail.
type Expected<'a> = std::result::Result<(PatchPath, &'a str), &'a str>;

/// Parses `input` as a PATCH path and checks the result (tree and canonical text, or an `invalidPath`
/// detail); a filter-less path must parse identically as a bare `AttrPath`.
fn check(input: &str, expected: Expected<'_>) {
    let got = input.parse::<PatchPath>();
    match expected {
        Ok((path, canonical)) => {
            let got = got.unwrap_or_else(|e| panic!("{input:?}: {}", e.detail));
            assert_eq!(got, path, "{input:?}");
            assert_eq!(got.to_string(), canonical, "{input:?}");
            assert_eq!(canonical.parse::<PatchPath>().unwrap(), got, "round trip of {input:?}");
            if path.filter.is_none() {
                assert_eq!(input.parse::<AttrPath>().unwrap(), path.attr, "{input:?} as an AttrPath");
                assert_eq!(path.attr.to_string(), canonical, "{input:?} as an AttrPath");
            }
        }
        Err(needle) => {
            let e = got.expect_err(input);
            assert_eq!((e.status, e.scim_type), (400, Some(ScimType::InvalidPath)), "{input:?}");
            assert!(e.detail.contains(needle), "{input:?}: {:?} lacks {needle:?}", e.detail);
            if !input.contains('[') {
                let e = input.parse::<AttrPath>().expect_err(input);
                assert_eq!(e.scim_type, Some(ScimType::InvalidPath), "{input:?} as an AttrPath");
            }
        }
    }
}

#[test]
fn patch_paths() {
    let value_eq = |v: &str| cmp(AttrPath::new("value"), CompareOp::Eq, v);
    let type_eq = |v: &str| cmp(AttrPath::new("type"), CompareOp::Eq, v);
    let too_long = format!("{}a", " ".repeat(MAX_FILTER_LEN));
    let rows: Vec<(&str, Expected<'_>)> = vec![
        (
            r#"members[value eq "2819c223"]"#,
            Ok((patch(AttrPath::new("members"), Some(value_eq("2819c223")), None), r#"members[value eq "2819c223"]"#)),
        ),
        (
            r#"emails[type eq "work"].value"#,
            Ok((
                patch(AttrPath::new("emails"), Some(type_eq("work")), Some("value")),
                r#"emails[type eq "work"].value"#,
            )),
        ),
        (
            r#"addresses[type eq "work"].streetAddress"#,
            Ok((
                patch(AttrPath::new("addresses"), Some(type_eq("work")), Some("streetAddress")),
                r#"addresses[type eq "work"].streetAddress"#,
            )),
        ),
        ("name.familyName", Ok((patch(AttrPath::new("name").with_sub("familyName"), None, None), "name.familyName"))),
        ("userName", Ok((patch(AttrPath::new("userName"), None, None), "userName"))),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
            Ok((
                patch(AttrPath::new("manager").with_sub("value").with_urn(ENTERPRISE_USER_SCHEMA), None, None),
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
            )),
        ),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            Ok((
                patch(AttrPath::new("department").with_urn(ENTERPRISE_USER_SCHEMA), None, None),
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            )),
        ),
        (
            r#"urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"].value"#,
            Ok((
                patch(AttrPath::new("emails").with_urn(USER_SCHEMA), Some(type_eq("work")), Some("value")),
                r#"urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"].value"#,
            )),
        ),
        (
            r#"members[value eq "a" OR value eq "b"]"#,
            Ok((
                patch(AttrPath::new("members"), Some(Filter::or(value_eq("a"), value_eq("b"))), None),
                r#"members[value eq "a" or value eq "b"]"#,
            )),
        ),
        (
            r#"emails[type eq "work" and primary eq true].display"#,
            Ok((
                patch(
                    AttrPath::new("emails"),
                    Some(Filter::and(type_eq("work"), cmp(AttrPath::new("primary"), CompareOp::Eq, true))),
                    Some("display"),
                ),
                r#"emails[type eq "work" and primary eq true].display"#,
            )),
        ),
        (
            r#"members[value eq "x"].$ref"#,
            Ok((patch(AttrPath::new("members"), Some(value_eq("x")), Some("$ref")), r#"members[value eq "x"].$ref"#)),
        ),
        (
            r#"  emails[ Type EQ "work" ].value "#,
            Ok((
                patch(AttrPath::new("emails"), Some(cmp(AttrPath::new("Type"), CompareOp::Eq, "work")), Some("value")),
                r#"emails[Type eq "work"].value"#,
            )),
        ),
        (" name.familyName ", Ok((patch(AttrPath::new("name").with_sub("familyName"), None, None), "name.familyName"))),
        ("", Err("empty path")),
        ("   ", Err("empty path")),
        (&too_long, Err("maximum filter length of 4096 bytes")),
        (r#"emails[type eq "work""#, Err("missing ']' to close the '[' at position 6")),
        (r#"emails[type eq "work"]."#, Err("expected a sub-attribute name right after ']' and '.' at position 22")),
        (
            r#"emails[type eq "work"] .value"#,
            Err("expected a sub-attribute name right after ']' and '.' at position 23"),
        ),
        (
            r#"emails[type eq "work"]. value"#,
            Err("expected a sub-attribute name right after ']' and '.' at position 22"),
        ),
        (r#"emails[type eq "work"].value.display"#, Err("invalid attribute name 'value.display'")),
        (r#"emails[type eq "work"].urn:x:y"#, Err("invalid attribute name 'urn:x:y'")),
        (r#"emails[type eq "work"][value pr]"#, Err("unexpected '[' at position 22 after the value filter")),
        (r#"emails[type eq "work"]value"#, Err("unexpected 'value' at position 22 after the value filter")),
        (r#"emails[type[value pr]]"#, Err("value filters cannot be nested")),
        (r#"emails.value[type eq "work"]"#, Err("must follow an attribute, not the sub-attribute 'emails.value'")),
        (r#"emails[]"#, Err("expected a filter at position 7, found ']'")),
        (r#"emails[type eq "\q"]"#, Err(r"invalid escape sequence '\q'")),
        (
            r#"emails[type eq]"#,
            Err("expected a value (a string, number, true, false or null) after 'eq' at position 14, found ']'"),
        ),
        ("name familyName", Err("unexpected 'familyName' at position 5 after the attribute path")),
        (r#"userName eq "x""#, Err("unexpected 'eq' at position 9 after the attribute path")),
        (r#""emails""#, Err("expected an attribute path at position 0, found '\"emails\"'")),
        ("name.familyName.x", Err("more than one sub-attribute")),
        ("1abc", Err("invalid number '1abc' at position 0")),
        ("urn::x", Err("invalid schema URN")),
        ("名前.値", Err("unexpected character '名' at position 0")),
        ("emails[value eq \"日本\"].ñ", Err("unexpected character 'ñ' at position 26")),
    ];
    for (input, expected) in rows {
        check(input, expected);
    }
}

#[test]
fn display_of_hand_built_trees_adds_only_needed_parentheses() {
    let p = |n: &str| Filter::Present(AttrPath::new(n));
    let (a, b, c) = (p("a"), p("b"), p("c"));
    let rows = [
        (Filter::or(a.clone(), Filter::or(b.clone(), c.clone())), "a pr or (b pr or c pr)"),
        (Filter::or(Filter::or(a.clone(), b.clone()), c.clone()), "a pr or b pr or c pr"),
        (Filter::and(a.clone(), Filter::and(b.clone(), c.clone())), "a pr and (b pr and c pr)"),
        (Filter::and(Filter::or(a.clone(), b.clone()), c.clone()), "(a pr or b pr) and c pr"),
        (Filter::and(a.clone(), Filter::or(b.clone(), c.clone())), "a pr and (b pr or c pr)"),
        (Filter::or(Filter::and(a.clone(), b.clone()), c.clone()), "a pr and b pr or c pr"),
        (Filter::negate(Filter::and(a.clone(), b.clone())), "not (a pr and b pr)"),
        (
            Filter::ValuePath { path: AttrPath::new("emails"), filter: Box::new(Filter::or(a.clone(), b.clone())) },
            "emails[a pr or b pr]",
        ),
        (
            cmp(AttrPath::new("displayName"), CompareOp::Eq, "q\" b\\ c\u{1} \u{7f} é/\n"),
            "displayName eq \"q\\\" b\\\\ c\\u0001 \u{7f} é/\\n\"",
        ),
        (
            cmp(AttrPath::new("n"), CompareOp::Le, Literal::Number(serde_json::Number::from_f64(0.1).unwrap())),
            "n le 0.1",
        ),
        (cmp(AttrPath::new("n"), CompareOp::Ge, Literal::Null), "n ge null"),
    ];
    for (tree, text) in rows {
        assert_eq!(tree.to_string(), text);
        assert_eq!(text.parse::<Filter>().unwrap(), tree, "{text}");
    }
    assert_eq!(Filter::or(a.clone(), Filter::and(b.clone(), Filter::negate(c.clone()))).depth(), 4);
    assert_eq!(a.depth(), 1);
    let chain: Filter = vec!["a pr"; 300].join(" and ").parse().unwrap();
    assert_eq!(chain.depth(), 300);
}

/// Attribute names the parser accepts (not `and`/`or`/`not`, which are keywords where a name goes).
fn attr_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec!["userName", "emails", "value", "$ref", "x-y_z", "pr", "eq", "true", "null", "A1"])
            .prop_map(str::to_owned),
        "[a-zA-Z$][a-zA-Z0-9_-]{0,8}",
    ]
    .prop_filter("keywords are not attribute names", |n| {
        !["and", "or", "not"].iter().any(|k| k.eq_ignore_ascii_case(n))
    })
}

fn urn() -> impl Strategy<Value = Option<String>> {
    prop::option::of(
        prop::sample::select(vec![USER_SCHEMA, ENTERPRISE_USER_SCHEMA, "urn:example:custom-1.0:Thing"])
            .prop_map(str::to_owned),
    )
}

fn attr_path() -> impl Strategy<Value = AttrPath> {
    (urn(), attr_name(), prop::option::of(attr_name())).prop_map(|(urn, name, sub)| AttrPath { urn, name, sub })
}

fn literal() -> impl Strategy<Value = Literal> {
    prop_oneof![
        any::<String>().prop_map(Literal::String),
        any::<i64>().prop_map(Literal::from),
        any::<u64>().prop_map(|n| Literal::Number(n.into())),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f).map(Literal::Number)),
        any::<bool>().prop_map(Literal::Bool),
        Just(Literal::Null),
    ]
}

fn op() -> impl Strategy<Value = CompareOp> {
    prop::sample::select(CompareOp::ALL.to_vec())
}

fn logic(leaf: impl Strategy<Value = Filter> + 'static, depth: u32) -> impl Strategy<Value = Filter> {
    leaf.prop_recursive(depth, 24, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(l, r)| Filter::and(l, r)),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| Filter::or(l, r)),
            inner.prop_map(Filter::negate),
        ]
    })
}

/// Filters valid inside `attr[...]`: bare names, no value paths.
fn element_filter() -> impl Strategy<Value = Filter> {
    let leaf = prop_oneof![
        (attr_name(), op(), literal()).prop_map(|(name, op, value)| Filter::Compare {
            path: AttrPath::new(name),
            op,
            value
        }),
        attr_name().prop_map(|name| Filter::Present(AttrPath::new(name))),
    ];
    logic(leaf, 3)
}

fn value_path_attr() -> impl Strategy<Value = AttrPath> {
    (urn(), attr_name()).prop_map(|(urn, name)| AttrPath { urn, name, sub: None })
}

fn filter() -> impl Strategy<Value = Filter> {
    let leaf = prop_oneof![
        3 => (attr_path(), op(), literal()).prop_map(|(path, op, value)| Filter::Compare { path, op, value }),
        1 => attr_path().prop_map(Filter::Present),
        1 => (value_path_attr(), element_filter())
            .prop_map(|(path, filter)| Filter::ValuePath { path, filter: Box::new(filter) }),
    ];
    logic(leaf, 4)
}

fn patch_path() -> impl Strategy<Value = PatchPath> {
    prop_oneof![
        attr_path().prop_map(|attr| PatchPath { attr, filter: None, sub: None }),
        (value_path_attr(), element_filter(), prop::option::of(attr_name()))
            .prop_map(|(attr, filter, sub)| PatchPath { attr, filter: Some(filter), sub }),
    ]
}

/// Token soup: grammar fragments in random order, to reach deep parser states random text rarely does.
fn token_soup() -> impl Strategy<Value = String> {
    let tokens = vec![
        "userName",
        "eq",
        "EQ",
        "\"x\"",
        "\"",
        "\\",
        "(",
        ")",
        "[",
        "]",
        "and",
        "or",
        "not",
        "pr",
        "emails",
        "type",
        "12",
        "-3.5e2",
        "1e999",
        "true",
        "null",
        ".",
        ".value",
        "name.familyName",
        "sw",
        "urn:ietf:params:scim:schemas:core:2.0:User:userName",
        "\"\\u00e9\"",
        "\"\\ud83d\"",
        "é",
        "日本",
        " ",
    ];
    (prop::collection::vec(prop::sample::select(tokens), 0..24), any::<bool>())
        .prop_map(|(parts, spaced)| parts.join(if spaced { " " } else { "" }))
}

/// Whatever `input` is: no parser panics, errors carry the right `scimType`, and anything accepted
/// round-trips through `Display` and can be evaluated and validated.
fn never_panics(input: &str) -> std::result::Result<(), TestCaseError> {
    match input.parse::<Filter>() {
        Ok(f) => {
            let again: Filter = f.to_string().parse().map_err(|e: ScimError| TestCaseError::fail(e.detail))?;
            prop_assert_eq!(&again, &f);
            let _ = f.matches(&serde_json::json!({"userName": "x", "emails": [{"value": "é"}]}), &USER_RESOURCE);
            let _ = f.validate(&USER_RESOURCE);
        }
        Err(e) => {
            prop_assert!(e.scim_type == Some(ScimType::InvalidFilter) && !e.detail.is_empty())
        }
    }
    match input.parse::<PatchPath>() {
        Ok(p) => prop_assert_eq!(p.to_string().parse::<PatchPath>().ok(), Some(p)),
        Err(e) => prop_assert!(e.scim_type == Some(ScimType::InvalidPath) && !e.detail.is_empty()),
    }
    if let Ok(a) = input.parse::<AttrPath>() {
        prop_assert_eq!(a.to_string().parse::<AttrPath>().ok(), Some(a));
    }
    Ok(())
}

proptest! {
    #[test]
    fn arbitrary_strings_never_panic(input in any::<String>()) {
        never_panics(&input)?;
    }

    #[test]
    fn grammar_like_strings_never_panic(input in "[a-zA-Z0-9()\\[\\]\" .:$\\\\/+eE_-]{0,64}") {
        never_panics(&input)?;
    }

    #[test]
    fn token_soup_never_panics(input in token_soup()) {
        never_panics(&input)?;
    }

    #[test]
    fn generated_filters_round_trip(f in filter()) {
        let text = f.to_string();
        prop_assume!(text.len() <= MAX_FILTER_LEN);
        let parsed: Filter = text.parse().map_err(|e: ScimError| TestCaseError::fail(format!("{text}: {}", e.detail)))?;
        prop_assert_eq!(parsed, f, "{}", text);
    }

    #[test]
    fn generated_patch_paths_round_trip(p in patch_path()) {
        let text = p.to_string();
        prop_assume!(text.len() <= MAX_FILTER_LEN);
        let parsed: PatchPath = text.parse().map_err(|e: ScimError| TestCaseError::fail(format!("{text}: {}", e.detail)))?;
        prop_assert_eq!(parsed, p, "{}", text);
    }
}
