//! Schema-aware evaluation and validation of filters against rendered resource JSON, and attribute
//! path resolution.
//!
//! Semantics (the reference for storage-layer pushdown):
//! - attributes are found through the schema (`AttrPath::resolve`); extension attributes live under
//!   their URN key; JSON keys are matched case-insensitively;
//! - string comparisons ignore case unless the attribute is `caseExact`; `dateTime` attributes
//!   compare as instants when both sides parse; numbers compare numerically; booleans support only
//!   `eq`/`ne`; a type mismatch is simply "no match";
//! - a multi-valued attribute matches when any element does; a complex multi-valued attribute with no
//!   sub-attribute compares its elements' `value`;
//! - `ne` is exactly `not eq`, so an absent attribute is `ne` anything; `eq null` means "no non-null
//!   value"; other operators never match `null` or an absent attribute;
//! - an attribute unknown to the schema matches nothing (not even `ne`); `validate` rejects it.

use super::{AttrPath, CompareOp, Filter, Literal, PatchPath};
use crate::error::{Result, ScimError};
use crate::schema::{AttributeDef, AttributeType, Mutability, ResolvedAttribute, ResourceType, Returned, Uniqueness};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;
use std::cmp::Ordering;

/// `schemas` (RFC 7643 §3), which every resource carries but no schema lists; filtering on it is an
/// RFC 7644 example (`schemas eq "urn:...:enterprise:2.0:User"`).
pub static SCHEMAS_ATTRIBUTE: AttributeDef = AttributeDef {
    name: "schemas",
    ty: AttributeType::Reference,
    multi_valued: true,
    required: true,
    // URNs compare case-insensitively (RFC 8141 §3.1 for the `urn:` prefix; SCIM names are caseless).
    case_exact: false,
    mutability: Mutability::ReadOnly,
    returned: Returned::Always,
    uniqueness: Uniqueness::None,
    canonical_values: &[],
    reference_types: &["uri"],
    sub_attributes: &[],
    description: "The URIs of the schemas the resource conforms to.",
};

impl AttrPath {
    /// Resolves this path against a resource type's schemas (case-insensitively): which schema, which
    /// attribute and sub-attribute it names, with their types and `caseExact`. Besides what
    /// [`ResourceType::resolve`] knows, `schemas` resolves to [`SCHEMAS_ATTRIBUTE`] (with no schema).
    ///
    /// `None` when any part is unknown. Where the value lives in resource JSON: under the key
    /// `resolved.schema.id` when that schema is not `rt.schema` (an extension; for the built-in
    /// types this is `resolved.extension_urn()`), else at the top level; then under
    /// `resolved.attribute.name`, then (in each element, when multi-valued) `sub_attribute.name`.
    pub fn resolve(&self, rt: &ResourceType) -> Option<ResolvedAttribute> {
        rt.resolve(self.urn.as_deref(), &self.name, self.sub.as_deref()).or_else(|| {
            let core_or_none = self.urn.as_deref().is_none_or(|u| u.eq_ignore_ascii_case(rt.schema.id));
            (core_or_none && self.sub.is_none() && self.name.eq_ignore_ascii_case(SCHEMAS_ATTRIBUTE.name))
                .then_some(ResolvedAttribute { schema: None, attribute: &SCHEMAS_ATTRIBUTE, sub_attribute: None })
        })
    }

    /// The values this path selects in `resource`, as comparisons see them: multi-valued attributes
    /// flattened, complex elements replaced by their `value` when the path names no sub-attribute,
    /// `null`s dropped. Empty when the attribute is unknown or absent. Useful for sorting.
    pub fn values<'v>(&self, resource: &'v Value, rt: &ResourceType) -> Vec<&'v Value> {
        match locate(self, resource, Scope::Resource(rt)) {
            Some((leaf, nodes)) => comparable(leaf, nodes).1,
            None => Vec::new(),
        }
    }
}

impl PatchPath {
    /// Resolves the attribute this PATCH path finally targets (`attr` plus `attr.sub` or the
    /// sub-attribute after the value filter). `None` when any part is unknown.
    pub fn resolve(&self, rt: &ResourceType) -> Option<ResolvedAttribute> {
        let attr = AttrPath { sub: self.sub_attribute().map(str::to_owned), ..self.attr.clone() };
        attr.resolve(rt)
    }

    /// Checks that the path names known attributes of `rt`, that a value filter is applied to a
    /// complex multi-valued attribute, and that the filter names its sub-attributes. Errors are
    /// `invalidPath` naming the attribute.
    pub fn validate(&self, rt: &ResourceType) -> Result<()> {
        let Some(resolved) = self.resolve(rt) else {
            return Err(ScimError::invalid_path(format!(
                "path '{self}' names an attribute that {} resources do not have",
                rt.name
            )));
        };
        if let Some(filter) = &self.filter {
            if !(resolved.attribute.ty == AttributeType::Complex && resolved.attribute.multi_valued) {
                return Err(ScimError::invalid_path(format!(
                    "path '{self}' filters '{}', which is not a multi-valued complex attribute",
                    resolved.attribute.name
                )));
            }
            validate_in(filter, Scope::Element(resolved.attribute))
                .map_err(|e| ScimError::invalid_path(format!("path '{self}': {}", e.detail)))?;
        }
        Ok(())
    }
}

impl Filter {
    /// Whether `resource` (a fully rendered resource of type `rt`) matches this filter.
    pub fn matches(&self, resource: &Value, rt: &ResourceType) -> bool {
        eval(self, resource, Scope::Resource(rt))
    }

    /// Whether one element of a multi-valued complex attribute matches this filter, whose paths are
    /// relative to the element — the inner filter of a value path such as `members[value eq "x"]` or
    /// of a [`PatchPath`]. `attribute` is the multi-valued attribute's definition
    /// (`ResolvedAttribute::attribute`), used for sub-attribute types and `caseExact`.
    pub fn matches_element(&self, element: &Value, attribute: &AttributeDef) -> bool {
        eval(self, element, Scope::Element(attribute))
    }

    /// Checks that every attribute the filter names exists in `rt` (so `nosuch eq "x"` is a clear
    /// 400 `invalidFilter` naming it), that value filters apply to complex attributes, that complex
    /// attributes are not compared without a sub-attribute unless they have a `value`, and that no
    /// never-returned attribute (`password`) is filtered on.
    pub fn validate(&self, rt: &ResourceType) -> Result<()> {
        validate_in(self, Scope::Resource(rt))
    }

    /// [`Filter::validate`] for the inner filter of a value path on `attribute`.
    pub fn validate_element(&self, attribute: &AttributeDef) -> Result<()> {
        validate_in(self, Scope::Element(attribute))
    }
}

/// What relative paths are resolved against.
#[derive(Clone, Copy)]
enum Scope<'a> {
    /// A whole resource.
    Resource(&'a ResourceType),
    /// One element of this multi-valued complex attribute (inside `attr[...]`).
    Element(&'a AttributeDef),
}

/// A JSON object's member `key`, matched exactly first and then ASCII-case-insensitively.
fn get_ci<'v>(node: &'v Value, key: &str) -> Option<&'v Value> {
    let obj = node.as_object()?;
    obj.get(key).or_else(|| obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v))
}

/// Resolves `path` in `scope` and returns its most specific definition and the raw JSON nodes found
/// (one per element for `multi.sub`). `None` when the path is unknown.
fn locate<'v>(path: &AttrPath, node: &'v Value, scope: Scope<'_>) -> Option<(&'static AttributeDef, Vec<&'v Value>)> {
    match scope {
        Scope::Resource(rt) => {
            let resolved = path.resolve(rt)?;
            // Attributes of any schema but the type's core one live under that schema's URN key.
            let container = match resolved.schema {
                Some(schema) if schema.id != rt.schema.id => get_ci(node, schema.id),
                _ => Some(node),
            };
            let raw = container.and_then(|c| get_ci(c, resolved.attribute.name));
            let nodes = match (raw, resolved.sub_attribute) {
                (None, _) => Vec::new(),
                (Some(v), None) => vec![v],
                (Some(Value::Array(elements)), Some(sub)) => {
                    elements.iter().filter_map(|e| get_ci(e, sub.name)).collect()
                }
                (Some(v), Some(sub)) => get_ci(v, sub.name).into_iter().collect(),
            };
            Some((resolved.leaf(), nodes))
        }
        Scope::Element(parent) => {
            if path.urn.is_some() || path.sub.is_some() {
                return None;
            }
            let leaf = parent.sub_attribute(&path.name)?;
            Some((leaf, get_ci(node, leaf.name).into_iter().collect()))
        }
    }
}

/// The values comparisons see (see [`AttrPath::values`]) and the definition they are compared under.
fn comparable<'v>(
    leaf: &'static AttributeDef,
    nodes: Vec<&'v Value>,
) -> (Option<&'static AttributeDef>, Vec<&'v Value>) {
    let flat = nodes.into_iter().flat_map(|n| match n {
        Value::Array(elements) => elements.iter().collect::<Vec<_>>(),
        other => vec![other],
    });
    if leaf.ty == AttributeType::Complex {
        // RFC 7644 §3.4.2.2: `emails co "x"` compares each element's `value`.
        let Some(value_def) = leaf.sub_attribute("value") else {
            return (None, Vec::new());
        };
        let values = flat.filter_map(|e| get_ci(e, value_def.name)).filter(|v| !v.is_null()).collect();
        (Some(value_def), values)
    } else {
        (Some(leaf), flat.filter(|v| !v.is_null()).collect())
    }
}

/// `pr`: not null, not an empty string, array (or array of only empty values) or object.
fn is_present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => a.iter().any(is_present),
        Value::Object(o) => !o.is_empty(),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

fn eval(filter: &Filter, node: &Value, scope: Scope<'_>) -> bool {
    match filter {
        Filter::And(..) => filter.chain(false).into_iter().all(|f| eval(f, node, scope)),
        Filter::Or(..) => filter.chain(true).into_iter().any(|f| eval(f, node, scope)),
        Filter::Not(inner) => !eval(inner, node, scope),
        Filter::Present(path) => locate(path, node, scope).is_some_and(|(_, nodes)| nodes.into_iter().any(is_present)),
        Filter::Compare { path, op, value } => {
            let Some((leaf, nodes)) = locate(path, node, scope) else {
                return false; // unknown attribute: matches nothing, `ne` included
            };
            let (def, values) = comparable(leaf, nodes);
            let eq = |values: &[&Value]| match value {
                Literal::Null => values.is_empty(),
                lit => values.iter().any(|v| compare_one(CompareOp::Eq, def, v, lit)),
            };
            match (op, value) {
                (CompareOp::Eq, _) => eq(&values),
                (CompareOp::Ne, _) => !eq(&values),
                (_, Literal::Null) => false,
                (op, lit) => values.iter().any(|v| compare_one(*op, def, v, lit)),
            }
        }
        Filter::ValuePath { path, filter: inner } => {
            let Scope::Resource(rt) = scope else {
                return false; // value paths do not nest
            };
            let Some(resolved) = path.resolve(rt).filter(|r| r.sub_attribute.is_none()) else {
                return false;
            };
            let Some((_, nodes)) = locate(path, node, scope) else {
                return false;
            };
            let element_scope = Scope::Element(resolved.attribute);
            nodes
                .into_iter()
                .flat_map(|n| match n {
                    Value::Array(elements) => elements.iter().collect::<Vec<_>>(),
                    other => vec![other],
                })
                .filter(|e| e.is_object())
                .any(|e| eval(inner, e, element_scope))
        }
    }
}

/// Compares one JSON value with a literal (not `Null`) under `op` (not `Ne`).
fn compare_one(op: CompareOp, def: Option<&AttributeDef>, v: &Value, lit: &Literal) -> bool {
    match (v, lit) {
        (Value::String(a), Literal::String(b)) => {
            let is_instant_op = !matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew);
            if is_instant_op && def.is_some_and(|d| d.ty == AttributeType::DateTime) {
                if let (Some(a), Some(b)) = (parse_instant(a), parse_instant(b)) {
                    return ordering_matches(op, a.cmp(&b));
                }
            }
            if def.is_some_and(|d| d.case_exact) {
                compare_strings(op, a, b)
            } else {
                compare_strings(op, &a.to_lowercase(), &b.to_lowercase())
            }
        }
        (Value::Number(a), Literal::Number(b)) => match op {
            CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
            _ => compare_numbers(a, b).is_some_and(|ord| ordering_matches(op, ord)),
        },
        // Booleans have no order (RFC 7644 §3.4.2.2): only `eq` (and so `ne`) apply.
        (Value::Bool(a), Literal::Bool(b)) => op == CompareOp::Eq && a == b,
        _ => false,
    }
}

fn compare_strings(op: CompareOp, a: &str, b: &str) -> bool {
    match op {
        CompareOp::Co => a.contains(b),
        CompareOp::Sw => a.starts_with(b),
        CompareOp::Ew => a.ends_with(b),
        _ => ordering_matches(op, a.cmp(b)),
    }
}

fn ordering_matches(op: CompareOp, ord: Ordering) -> bool {
    match op {
        CompareOp::Eq => ord == Ordering::Equal,
        CompareOp::Ne => ord != Ordering::Equal,
        CompareOp::Gt => ord == Ordering::Greater,
        CompareOp::Ge => ord != Ordering::Less,
        CompareOp::Lt => ord == Ordering::Less,
        CompareOp::Le => ord != Ordering::Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

/// Numeric order, exact for integers (an `f64` cannot tell large `i64`s apart).
fn compare_numbers(a: &serde_json::Number, b: &serde_json::Number) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return Some(x.cmp(&y));
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return Some(x.cmp(&y));
    }
    a.as_f64()?.partial_cmp(&b.as_f64()?)
}

/// An xsd:dateTime as an instant: RFC 3339 with an offset, or without one taken as UTC.
fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok().map(|t| t.and_utc())
}

/// The name to show for `path` in an error: as the client wrote it.
fn unknown_attribute(path: &AttrPath, scope: Scope<'_>) -> ScimError {
    match scope {
        Scope::Resource(rt) => {
            // Extension attributes must be qualified; say so when that is the mistake.
            let hint = if path.urn.is_none() {
                rt.extensions
                    .iter()
                    .find(|e| e.schema.attribute(&path.name).is_some())
                    .map(|e| format!("; extension attributes need their schema URN, e.g. '{}:{path}'", e.schema.id))
                    .unwrap_or_default()
            } else {
                String::new()
            };
            ScimError::invalid_filter(format!(
                "unknown attribute '{path}' in filter: {} resources have no such attribute{hint}",
                rt.name
            ))
        }
        Scope::Element(parent) => ScimError::invalid_filter(format!(
            "unknown attribute '{path}' in the value filter of '{}': it has no such sub-attribute",
            parent.name
        )),
    }
}

fn validate_path(path: &AttrPath, scope: Scope<'_>) -> Result<&'static AttributeDef> {
    let (leaf, _) = locate(path, &Value::Null, scope).ok_or_else(|| unknown_attribute(path, scope))?;
    if leaf.returned == Returned::Never {
        return Err(ScimError::invalid_filter(format!("attribute '{path}' cannot be used in a filter")));
    }
    Ok(leaf)
}

fn validate_in(filter: &Filter, scope: Scope<'_>) -> Result<()> {
    match filter {
        Filter::And(..) => filter.chain(false).into_iter().try_for_each(|f| validate_in(f, scope)),
        Filter::Or(..) => filter.chain(true).into_iter().try_for_each(|f| validate_in(f, scope)),
        Filter::Not(inner) => validate_in(inner, scope),
        Filter::Present(path) => validate_path(path, scope).map(|_| ()),
        Filter::Compare { path, .. } => {
            let leaf = validate_path(path, scope)?;
            if leaf.ty == AttributeType::Complex && leaf.sub_attribute("value").is_none() {
                let example = leaf.sub_attributes.first().map(|s| s.name).unwrap_or("value");
                return Err(ScimError::invalid_filter(format!(
                    "attribute '{path}' is complex: compare one of its sub-attributes, e.g. '{path}.{example}'"
                )));
            }
            Ok(())
        }
        Filter::ValuePath { path, filter: inner } => {
            let Scope::Resource(rt) = scope else {
                return Err(ScimError::invalid_filter(format!("value filter on '{path}' cannot be nested in another")));
            };
            validate_path(path, scope)?;
            let resolved =
                path.resolve(rt).filter(|r| r.sub_attribute.is_none() && r.attribute.ty == AttributeType::Complex);
            let Some(resolved) = resolved else {
                return Err(ScimError::invalid_filter(format!(
                    "value filter '[..]' on '{path}', which is not a complex attribute"
                )));
            };
            validate_in(inner, Scope::Element(resolved.attribute))
        }
    }
}

#[cfg(test)]
mod tests {
    //! Evaluation against sample User and Group documents, and validation.

    use super::super::{Filter, PatchPath};
    use crate::error::ScimType;
    use crate::schema::{
        AttributeDef, AttributeType, Mutability, ResourceType, Returned, SchemaDef, Uniqueness, GROUP_RESOURCE,
        USER_RESOURCE,
    };
    use serde_json::{json, Value};

    fn user() -> Value {
        json!({
            "schemas": [
                "urn:ietf:params:scim:schemas:core:2.0:User",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
            ],
            "id": "2819c223-7f76-453a-919d-413861904646",
            "externalId": "00uAbC123",
            "userName": "Bjensen@Example.com",
            "name": {"formatted": "Ms. Barbara J Jensen, III", "familyName": "O'Malley", "givenName": "Barbara"},
            "displayName": "Babs Jensen",
            "nickName": "",
            "title": "Tour Guide",
            "userType": "Employee",
            "active": true,
            "emails": [
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@jensen.org", "type": "home"}
            ],
            "IMS": [{"value": "someaimhandle", "type": "aim"}],
            "phoneNumbers": [],
            "addresses": [{"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                "employeeNumber": "701984",
                "department": "Tour Operations",
                "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith"}
            },
            "meta": {
                "resourceType": "User",
                "created": "2010-01-23T04:56:22Z",
                "lastModified": "2011-05-13T04:42:34Z",
                "version": "W/\"3694e05e9dff591\"",
                "location": "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646"
            }
        })
    }

    fn group() -> Value {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "id": "e9e30dba-f08f-4109-8486-d5c6a331660a",
            "displayName": "StackFlow-Admins",
            "members": [
                {"value": "2819c223-7f76-453a-919d-413861904646", "display": "Babs Jensen", "type": "User"},
                {"value": "902c246b-6245-4190-8e05-00816be7344a", "display": "Mandy Pepperidge", "type": "User"}
            ],
            "meta": {"resourceType": "Group", "lastModified": "2024-02-29T23:59:59.5+01:00"}
        })
    }

    const fn attr(name: &'static str, ty: AttributeType, multi_valued: bool, case_exact: bool) -> AttributeDef {
        AttributeDef {
            name,
            ty,
            multi_valued,
            required: false,
            case_exact,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            canonical_values: &[],
            reference_types: &[],
            sub_attributes: &[],
            description: "test",
        }
    }

    /// A resource type with the numeric and multi-valued simple attributes the standard schemas lack.
    static THING_SCHEMA: SchemaDef = SchemaDef {
        id: "urn:example:Thing",
        name: "Thing",
        description: "test",
        attributes: &[
            attr("logins", AttributeType::Integer, false, false),
            attr("score", AttributeType::Decimal, false, false),
            attr("tags", AttributeType::String, true, false),
            attr("codes", AttributeType::String, true, true),
            attr("flag", AttributeType::Boolean, false, false),
            attr("seen", AttributeType::DateTime, true, false),
        ],
    };
    static THING: ResourceType = ResourceType {
        id: "Thing",
        name: "Thing",
        endpoint: "/Things",
        description: "test",
        schema: &THING_SCHEMA,
        extensions: &[],
    };

    fn thing() -> Value {
        json!({
            "logins": 42, "score": 2.5, "tags": ["Red", "green"], "codes": ["AbC"], "flag": false,
            "seen": ["2020-01-01T00:00:00Z", "2021-06-01T12:00:00+02:00"]
        })
    }

    /// Parses, validates and evaluates `filter`, and checks the canonical form evaluates the same.
    fn check(rt: &ResourceType, resource: &Value, filter: &str, expected: bool) {
        let f = filter.parse::<Filter>().unwrap_or_else(|e| panic!("{filter:?}: {}", e.detail));
        f.validate(rt).unwrap_or_else(|e| panic!("{filter:?} does not validate: {}", e.detail));
        assert_eq!(f.matches(resource, rt), expected, "{filter}");
        let again: Filter = f.to_string().parse().unwrap();
        assert_eq!(again.matches(resource, rt), expected, "{filter} (canonical form)");
    }

    #[test]
    fn user_filters() {
        let u = user();
        let rows = [
            // userName is case-insensitive (caseExact false); id and externalId are caseExact.
            (r#"userName eq "bjensen@example.com""#, true),
            (r#"USERNAME eq "BJENSEN@EXAMPLE.COM""#, true),
            (r#"userName eq "bjensen""#, false),
            (r#"userName sw "bj""#, true),
            (r#"userName ew "@EXAMPLE.com""#, true),
            (r#"userName co "sen@ex""#, true),
            (r#"userName ne "someone@else.com""#, true),
            (r#"userName ne "BJENSEN@example.com""#, false),
            (r#"userName gt "a""#, true),
            (r#"userName lt "a""#, false),
            (r#"id eq "2819c223-7f76-453a-919d-413861904646""#, true),
            (r#"id eq "2819C223-7F76-453A-919D-413861904646""#, false),
            (r#"externalId eq "00uAbC123""#, true),
            (r#"externalId eq "00uabc123""#, false),
            (r#"externalId co "AbC""#, true),
            (r#"externalId co "abc""#, false),
            (r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "B""#, true),
            (r#"urn:ietf:params:scim:schemas:core:2.0:User:id pr"#, true),
            (r#"name.familyName co "o'malley""#, true),
            (r#"name.givenName eq "Babs""#, false),
            // dateTime: compared as instants, whatever the offset or precision.
            (r#"meta.lastModified gt "2011-05-13T04:42:34Z""#, false),
            (r#"meta.lastModified ge "2011-05-13T04:42:34Z""#, true),
            (r#"meta.lastModified eq "2011-05-13T06:42:34+02:00""#, true),
            (r#"meta.lastModified gt "2011-05-13T04:42:33.999Z""#, true),
            (r#"meta.lastModified lt "2011-05-13T04:42:34.001Z""#, true),
            (r#"meta.lastModified le "2011-05-13T04:42:34""#, true),
            (r#"meta.created lt "2011-01-01T00:00:00Z""#, true),
            (r#"meta.created gt "2011-01-01T00:00:00Z""#, false),
            (r#"meta.lastModified sw "2011-05""#, true),
            (r#"meta.resourceType eq "User""#, true),
            (r#"meta.resourceType eq "user""#, false),
            // presence
            ("title pr", true),
            ("nickName pr", false),
            ("phoneNumbers pr", false),
            ("emails pr", true),
            ("x509Certificates pr", false),
            ("name pr", true),
            ("name.middleName pr", false),
            ("active pr", true),
            // booleans
            ("active eq true", true),
            ("active eq false", false),
            ("active ne false", true),
            ("active gt false", false),
            // null
            ("title eq null", false),
            ("nickName eq null", false),
            ("locale eq null", true),
            ("locale ne null", false),
            ("title ne null", true),
            // absent attribute: ne true, everything else false
            (r#"locale ne "en-US""#, true),
            (r#"locale eq "en-US""#, false),
            (r#"locale co "en""#, false),
            (r#"locale gt "a""#, false),
            // type mismatches match nothing
            ("userName eq 5", false),
            (r#"active eq "true""#, false),
            // multi-valued: any element; complex without sub-attribute compares `value`.
            (r#"emails co "example.com""#, true),
            (r#"emails co "example.org""#, false),
            (r#"emails.value co "JENSEN.ORG""#, true),
            (r#"emails.type eq "home""#, true),
            (r#"emails.type eq "other""#, false),
            (r#"emails eq "babs@jensen.org""#, true),
            (r#"emails.type ne "home""#, false),
            (r#"ims.value eq "someaimhandle""#, true),
            (r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#, true),
            (r#"schemas eq "URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER""#, true),
            (r#"schemas eq "urn:ietf:params:scim:schemas:core:2.0:Group""#, false),
            // value paths: inner paths relative to each element, all conditions on the same element.
            (r#"emails[type eq "work" and value co "@example.com"]"#, true),
            (r#"emails[type eq "home" and value co "@example.com"]"#, false),
            (r#"emails[type eq "WORK"]"#, true),
            (r#"emails[primary eq true]"#, true),
            (r#"emails[primary eq true and type eq "home"]"#, false),
            (r#"emails[not (primary eq true)]"#, true),
            (r#"emails[display pr]"#, false),
            (r#"phoneNumbers[type eq "work"]"#, false),
            (r#"addresses[type eq "work" and streetAddress sw "100"]"#, true),
            (
                r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
                true,
            ),
            (r#"ims[type eq "xmpp" and value co "@foo.com"]"#, false),
            // enterprise extension, under its URN key
            (r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "tour operations""#, true),
            (r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984""#, true),
            (r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value sw "26118915""#, true),
            (
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager eq "26118915-6090-4610-87e4-49d8ca9f808d""#,
                true,
            ),
            (r#"URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:DEPARTMENT pr"#, true),
            (r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter pr"#, false),
            // logic
            (r#"title pr and userType eq "Employee""#, true),
            (r#"title pr and userType eq "Intern""#, false),
            (r#"title pr or userType eq "Intern""#, true),
            (r#"locale pr or userType eq "Intern""#, false),
            (r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#, true),
            (r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#, false),
            (r#"userType eq "Employee" and not (emails co "example.org")"#, true),
            (r#"userType eq "Employee" and (emails.type eq "work")"#, true),
            (r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#, true),
            (r#"not (title pr)"#, false),
            (r#"locale pr or title pr and active eq false"#, false),
            (r#"title pr or locale pr and active eq false"#, true),
            (r#"(title pr or locale pr) and active eq false"#, false),
        ];
        for (filter, expected) in rows {
            check(&USER_RESOURCE, &u, filter, expected);
        }
    }

    #[test]
    fn group_and_custom_type_filters() {
        let g = group();
        let t = thing();
        let rows: Vec<(&ResourceType, &Value, &str, bool)> = vec![
            (&GROUP_RESOURCE, &g, r#"displayName eq "stackflow-admins""#, true),
            (&GROUP_RESOURCE, &g, r#"members[value eq "2819c223-7f76-453a-919d-413861904646"]"#, true),
            (&GROUP_RESOURCE, &g, r#"members[value eq "2819C223-7F76-453A-919D-413861904646"]"#, false),
            (&GROUP_RESOURCE, &g, r#"members eq "902c246b-6245-4190-8e05-00816be7344a""#, true),
            (&GROUP_RESOURCE, &g, r#"members.display co "pepper""#, true),
            (&GROUP_RESOURCE, &g, r#"members[type eq "user" and display sw "babs"]"#, true),
            (&GROUP_RESOURCE, &g, r#"meta.lastModified eq "2024-02-29T22:59:59.500Z""#, true),
            (&GROUP_RESOURCE, &g, r#"meta.lastModified gt "2024-02-29T22:59:59Z""#, true),
            (&GROUP_RESOURCE, &g, r#"members.$ref pr"#, false),
            // numbers compare numerically, integers and decimals alike
            (&THING, &t, "logins eq 42", true),
            (&THING, &t, "logins eq 42.0", true),
            (&THING, &t, "logins gt 9", true),
            (&THING, &t, "logins lt 100", true),
            (&THING, &t, "logins ge 42", true),
            (&THING, &t, "logins le 41.5", false),
            (&THING, &t, "score gt 2.25", true),
            (&THING, &t, "score le 2.5", true),
            (&THING, &t, "score lt 2.5e0", false),
            (&THING, &t, "logins co 4", false),
            (&THING, &t, r#"logins eq "42""#, false),
            // multi-valued simple attributes, case-insensitive unless caseExact
            (&THING, &t, r#"tags eq "red""#, true),
            (&THING, &t, r#"tags ne "red""#, false),
            (&THING, &t, r#"codes eq "AbC""#, true),
            (&THING, &t, r#"codes eq "abc""#, false),
            (&THING, &t, "flag eq false", true),
            (&THING, &t, "flag pr", true),
            (&THING, &t, r#"seen gt "2021-06-01T09:00:00Z""#, true),
            (&THING, &t, r#"seen eq "2021-06-01T10:00:00Z""#, true),
            (&THING, &t, r#"seen lt "2019-12-31T23:59:59Z""#, false),
        ];
        for (rt, resource, filter, expected) in rows {
            check(rt, resource, filter, expected);
        }
    }

    #[test]
    fn unknown_attributes_match_nothing_and_fail_validation() {
        let u = user();
        let rows = [
            (r#"nosuch eq "x""#, "unknown attribute 'nosuch' in filter: User resources have no such attribute"),
            (r#"nosuch ne "x""#, "unknown attribute 'nosuch'"),
            ("nosuch pr", "unknown attribute 'nosuch'"),
            (r#"name.nosuch eq "x""#, "unknown attribute 'name.nosuch'"),
            (r#"title pr and (emails[nosuch eq "x"])"#, "unknown attribute 'nosuch' in the value filter of 'emails'"),
            (
                r#"department eq "x""#,
                "need their schema URN, e.g. 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department'",
            ),
            (r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:userName eq "x""#, "unknown attribute"),
            (r#"urn:example:Other:userName eq "x""#, "unknown attribute"),
            (r#"userName[value eq "x"]"#, "not a complex attribute"),
            (r#"name eq "x""#, "attribute 'name' is complex: compare one of its sub-attributes, e.g. 'name.formatted'"),
            (r#"password eq "secret""#, "attribute 'password' cannot be used in a filter"),
            (r#"members[value eq "x"]"#, "unknown attribute 'members'"),
        ];
        for (filter, needle) in rows {
            let f: Filter = filter.parse().unwrap();
            assert!(!f.matches(&u, &USER_RESOURCE), "{filter} matched");
            let e = f.validate(&USER_RESOURCE).expect_err(filter);
            assert_eq!(e.scim_type, Some(ScimType::InvalidFilter), "{filter}");
            assert!(e.detail.contains(needle), "{filter}: {:?} lacks {needle:?}", e.detail);
        }
        // `not` of an unknown comparison is true: unknown attributes match nothing, negation flips it.
        let f: Filter = r#"not (nosuch eq "x")"#.parse().unwrap();
        assert!(f.matches(&u, &USER_RESOURCE));
    }

    #[test]
    fn member_elements_and_patch_paths() {
        let g = group();
        let members_def = GROUP_RESOURCE.resolve(None, "members", None).unwrap().attribute;
        let path: PatchPath = r#"members[value eq "2819c223-7f76-453a-919d-413861904646"]"#.parse().unwrap();
        path.validate(&GROUP_RESOURCE).unwrap();
        let filter = path.filter.as_ref().unwrap();
        let hits: Vec<bool> =
            g["members"].as_array().unwrap().iter().map(|m| filter.matches_element(m, members_def)).collect();
        assert_eq!(hits, [true, false]);

        let path: PatchPath = r#"emails[type eq "work"].value"#.parse().unwrap();
        path.validate(&USER_RESOURCE).unwrap();
        assert_eq!(path.resolve(&USER_RESOURCE).unwrap().leaf().name, "value");

        let bad = [
            (r#"emails[nosuch eq "x"]"#, "unknown attribute 'nosuch' in the value filter of 'emails'"),
            (r#"userName[value eq "x"]"#, "not a multi-valued complex attribute"),
            (r#"name[givenName eq "x"]"#, "not a multi-valued complex attribute"),
            (r#"emails[type eq "work"].nosuch"#, "names an attribute that User resources do not have"),
            ("nosuch", "names an attribute that User resources do not have"),
        ];
        for (input, needle) in bad {
            let path: PatchPath = input.parse().unwrap();
            let e = path.validate(&USER_RESOURCE).expect_err(input);
            assert_eq!(e.scim_type, Some(ScimType::InvalidPath), "{input}");
            assert!(e.detail.contains(needle), "{input}: {:?} lacks {needle:?}", e.detail);
        }
    }

    #[test]
    fn values_helper_flattens_for_sorting() {
        let u = user();
        let emails: super::AttrPath = "emails".parse().unwrap();
        assert_eq!(emails.values(&u, &USER_RESOURCE), [&json!("bjensen@example.com"), &json!("babs@jensen.org")]);
        let dept: super::AttrPath =
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department".parse().unwrap();
        assert_eq!(dept.values(&u, &USER_RESOURCE), [&json!("Tour Operations")]);
        let nosuch: super::AttrPath = "nosuch".parse().unwrap();
        assert!(nosuch.values(&u, &USER_RESOURCE).is_empty());
    }
}
