//! Listing (RFC 7644 §3.4.2, §3.4.3): query parameters and `/.search` bodies parsed into a
//! [`ListQuery`], attribute projection (`attributes` / `excludedAttributes`), sorting, and the
//! ListResponse envelope.
//!
//! Paging is 1-based and clamped rather than rejected where the RFC says so: `startIndex < 1` is 1,
//! a negative `count` is 0, and `count` never exceeds the provider's `maxResults`.

use crate::error::{Result, ScimError};
use crate::filter::{AttrPath, Filter};
use crate::model::{check_schemas, get_ci, is_primary, key_ci};
use crate::schema::{AttributeDef, AttributeType, ResourceType, Returned, SchemaDef};
use chrono::DateTime;
use serde_json::{Map, Value};
use std::cmp::Ordering;

/// URN of the ListResponse message.
pub const LIST_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// URN of the SearchRequest message (`POST /.search`).
pub const SEARCH_REQUEST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/// `sortOrder`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    /// `ascending` (the default).
    #[default]
    Ascending,
    /// `descending`.
    Descending,
}

/// The provider's paging limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListLimits {
    /// The page size when the client sends no `count`.
    pub default_count: u64,
    /// The largest page size (advertised as `filter.maxResults`).
    pub max_results: u64,
}

/// A parsed, validated list or search request.
#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    /// The filter, validated against the resource type.
    pub filter: Option<Filter>,
    /// 1-based index of the first result.
    pub start_index: u64,
    /// The page size, `0..=max_results`.
    pub count: u64,
    /// The attribute to sort by (validated to exist).
    pub sort_by: Option<AttrPath>,
    /// The sort direction.
    pub sort_order: SortOrder,
    /// `attributes`: return only these (plus those always returned).
    pub attributes: Vec<AttrPath>,
    /// `excludedAttributes`: return all but these.
    pub excluded_attributes: Vec<AttrPath>,
}

/// One parameter value as given: a query string (or JSON string), or another JSON value of a search
/// body.
enum Param<'a> {
    Text(&'a str),
    Json(&'a Value),
}

impl<'a> Param<'a> {
    fn from_json(value: &'a Value) -> Self {
        match value {
            Value::String(s) => Param::Text(s),
            other => Param::Json(other),
        }
    }
}

struct Builder<'r> {
    rt: &'r ResourceType,
    limits: ListLimits,
    query: ListQuery,
}

impl<'r> Builder<'r> {
    fn new(rt: &'r ResourceType, limits: ListLimits) -> Self {
        let query = ListQuery {
            filter: None,
            start_index: 1,
            count: limits.default_count.min(limits.max_results),
            sort_by: None,
            sort_order: SortOrder::Ascending,
            attributes: Vec::new(),
            excluded_attributes: Vec::new(),
        };
        Builder { rt, limits, query }
    }

    /// Sets parameter `name` (case-insensitive); unknown parameters are ignored.
    fn set(&mut self, name: &str, value: Param<'_>) -> Result<()> {
        let name = name.trim();
        if name.eq_ignore_ascii_case("filter") {
            let text = text_param("filter", &value)?;
            self.query.filter = if text.trim().is_empty() {
                None
            } else {
                let filter = text.parse::<Filter>()?;
                filter.validate(self.rt)?;
                Some(filter)
            };
        } else if name.eq_ignore_ascii_case("startIndex") {
            // RFC 7644 §3.4.2.4: a value less than 1 is interpreted as 1.
            self.query.start_index = u64::try_from(int_param("startIndex", &value)?.max(1)).unwrap_or(1);
        } else if name.eq_ignore_ascii_case("count") {
            // A negative count is 0; more than maxResults is maxResults.
            let count = u64::try_from(int_param("count", &value)?.max(0)).unwrap_or(0);
            self.query.count = count.min(self.limits.max_results);
        } else if name.eq_ignore_ascii_case("sortBy") {
            let text = text_param("sortBy", &value)?;
            self.query.sort_by = if text.trim().is_empty() {
                None
            } else {
                let path = parse_path("sortBy", text)?;
                if self.rt.resolve(path.urn.as_deref(), &path.name, path.sub.as_deref()).is_none() {
                    return Err(ScimError::invalid_value(format!("sortBy: unknown attribute '{path}'")));
                }
                Some(path)
            };
        } else if name.eq_ignore_ascii_case("sortOrder") {
            let text = text_param("sortOrder", &value)?.trim();
            self.query.sort_order = if text.eq_ignore_ascii_case("ascending") || text.is_empty() {
                SortOrder::Ascending
            } else if text.eq_ignore_ascii_case("descending") {
                SortOrder::Descending
            } else {
                return Err(ScimError::invalid_value(format!(
                    "sortOrder must be 'ascending' or 'descending', not '{text}'"
                )));
            };
        } else if name.eq_ignore_ascii_case("attributes") {
            self.query.attributes = list_param("attributes", &value)?;
        } else if name.eq_ignore_ascii_case("excludedAttributes") {
            self.query.excluded_attributes = list_param("excludedAttributes", &value)?;
        }
        Ok(())
    }
}

fn text_param<'a>(name: &str, value: &Param<'a>) -> Result<&'a str> {
    match value {
        Param::Text(s) => Ok(s),
        Param::Json(Value::Null) => Ok(""),
        Param::Json(_) => Err(ScimError::invalid_value(format!("{name} must be a string"))),
    }
}

/// An integer parameter; out-of-range values saturate (they are clamped afterwards anyway).
fn int_param(name: &str, value: &Param<'_>) -> Result<i64> {
    let not_integer = |shown: &str| ScimError::invalid_value(format!("{name} must be an integer, not '{shown}'"));
    match value {
        Param::Text(s) => parse_int(s).ok_or_else(|| not_integer(s)),
        Param::Json(Value::Number(n)) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => Ok(i),
            (None, Some(_), _) => Ok(i64::MAX),
            // `3.0` is an integer; `as` saturates out-of-range values, which clamping absorbs.
            (None, None, Some(f)) if f.fract() == 0.0 && f.is_finite() => Ok(f as i64),
            _ => Err(not_integer(&n.to_string())),
        },
        Param::Json(other) => Err(not_integer(&other.to_string())),
    }
}

/// Parses `[+-]digits`, saturating on overflow.
fn parse_int(text: &str) -> Option<i64> {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let magnitude = digits.bytes().fold(0i64, |acc, b| acc.saturating_mul(10).saturating_add(i64::from(b - b'0')));
    Some(if negative { -magnitude } else { magnitude })
}

fn parse_path(name: &str, text: &str) -> Result<AttrPath> {
    text.trim().parse::<AttrPath>().map_err(|e| ScimError::invalid_value(format!("{name}: {}", e.detail)))
}

/// `attributes`/`excludedAttributes`: comma-separated in a query, an array (or a comma-separated
/// string) in a search body. Unknown attributes are kept and simply select nothing.
fn list_param(name: &str, value: &Param<'_>) -> Result<Vec<AttrPath>> {
    let items: Vec<&str> = match value {
        Param::Text(s) => s.split(',').collect(),
        Param::Json(Value::Null) => Vec::new(),
        Param::Json(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().ok_or_else(|| ScimError::invalid_value(format!("{name} must be an array of strings"))))
            .collect::<Result<_>>()?,
        Param::Json(_) => return Err(ScimError::invalid_value(format!("{name} must be an array of strings"))),
    };
    items.into_iter().filter(|s| !s.trim().is_empty()).map(|s| parse_path(name, s)).collect()
}

impl ListQuery {
    /// Parses URL query pairs (names case-insensitive; later duplicates win).
    pub fn from_query<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
        rt: &ResourceType,
        limits: ListLimits,
    ) -> Result<ListQuery> {
        let mut builder = Builder::new(rt, limits);
        for (name, value) in pairs {
            builder.set(name, Param::Text(value))?;
        }
        Ok(builder.query)
    }

    /// Parses a `POST /.search` body; `schemas`, when present, must name [`SEARCH_REQUEST_SCHEMA`].
    pub fn from_search_body(body: &Value, rt: &ResourceType, limits: ListLimits) -> Result<ListQuery> {
        let Value::Object(obj) = body else {
            return Err(ScimError::invalid_syntax("a search request must be a JSON object"));
        };
        check_schemas(obj, SEARCH_REQUEST_SCHEMA, true)?;
        let mut builder = Builder::new(rt, limits);
        for (name, value) in obj {
            if !name.eq_ignore_ascii_case("schemas") {
                builder.set(name, Param::from_json(value))?;
            }
        }
        Ok(builder.query)
    }
}

/// The ListResponse envelope; `itemsPerPage` is the number of resources given.
pub fn list_response(total_results: u64, start_index: u64, resources: Vec<Value>) -> Value {
    let mut out = Map::new();
    out.insert("schemas".to_owned(), Value::Array(vec![Value::String(LIST_RESPONSE_SCHEMA.to_owned())]));
    out.insert("totalResults".to_owned(), Value::from(total_results));
    out.insert("startIndex".to_owned(), Value::from(start_index));
    out.insert("itemsPerPage".to_owned(), Value::from(resources.len()));
    out.insert("Resources".to_owned(), Value::Array(resources));
    Value::Object(out)
}

/// What an `attributes`/`excludedAttributes` entry selects.
#[derive(Clone, Copy)]
enum Selection {
    /// A whole schema's attributes (`urn:...:enterprise:2.0:User`).
    Schema(&'static SchemaDef),
    /// One attribute, or one sub-attribute of it.
    Attribute {
        /// Extension URN holding it, `None` for the top level.
        ext: Option<&'static str>,
        attr: &'static AttributeDef,
        sub: Option<&'static AttributeDef>,
    },
}

fn select(rt: &ResourceType, path: &AttrPath) -> Option<Selection> {
    if path.sub.is_none() {
        if let Some(schema) = rt.schema_by_urn(&path.to_string()) {
            return Some(Selection::Schema(schema));
        }
    }
    let resolved = rt.resolve(path.urn.as_deref(), &path.name, path.sub.as_deref())?;
    Some(Selection::Attribute { ext: resolved.extension_urn(), attr: resolved.attribute, sub: resolved.sub_attribute })
}

/// How `selections` select attribute `attr` (in `ext`): not at all, whole, or these sub-attributes.
enum Selected {
    No,
    Whole,
    Subs(Vec<&'static str>),
}

fn selected(rt: &ResourceType, selections: &[Selection], ext: Option<&'static str>, attr: &AttributeDef) -> Selected {
    let mut subs = Vec::new();
    for selection in selections {
        match *selection {
            Selection::Schema(schema) if Some(schema.id) == ext || (ext.is_none() && schema.id == rt.schema.id) => {
                return Selected::Whole;
            }
            Selection::Attribute { ext: e, attr: a, sub } if e == ext && a.name == attr.name => match sub {
                None => return Selected::Whole,
                Some(sub) => subs.push(sub.name),
            },
            _ => {}
        }
    }
    if subs.is_empty() {
        Selected::No
    } else {
        Selected::Subs(subs)
    }
}

/// Keeps only sub-attributes `subs` of a complex (possibly multi-valued) value; `None` when nothing
/// is left.
fn keep_subs(value: Value, subs: &[&str]) -> Option<Value> {
    let keep = |obj: Map<String, Value>| -> Option<Value> {
        let kept: Map<String, Value> =
            obj.into_iter().filter(|(k, _)| subs.iter().any(|s| s.eq_ignore_ascii_case(k))).collect();
        (!kept.is_empty()).then_some(Value::Object(kept))
    };
    match value {
        Value::Object(obj) => keep(obj),
        Value::Array(items) => {
            let kept: Vec<Value> =
                items.into_iter().filter_map(|v| if let Value::Object(o) = v { keep(o) } else { None }).collect();
            (!kept.is_empty()).then_some(Value::Array(kept))
        }
        _ => None,
    }
}

/// Drops sub-attribute `sub` from a complex (possibly multi-valued) value; `None` when nothing is left.
fn drop_sub(value: Value, sub: &str) -> Option<Value> {
    let drop = |mut obj: Map<String, Value>| -> Option<Value> {
        obj.retain(|k, _| !k.eq_ignore_ascii_case(sub));
        (!obj.is_empty()).then_some(Value::Object(obj))
    };
    match value {
        Value::Object(obj) => drop(obj),
        Value::Array(items) => {
            let kept: Vec<Value> =
                items.into_iter().filter_map(|v| if let Value::Object(o) = v { drop(o) } else { Some(v) }).collect();
            (!kept.is_empty()).then_some(Value::Array(kept))
        }
        other => Some(other),
    }
}

/// The definition of top-level key `key` of a rendered resource (core schema or common attribute).
fn top_level_def(rt: &ResourceType, key: &str) -> Option<&'static AttributeDef> {
    rt.resolve(None, key, None).map(|r| r.attribute)
}

/// Applies `attributes`/`excludedAttributes` to a rendered resource (RFC 7644 §3.9): `schemas` and
/// attributes returned `always` (`id`) are always kept, `never` ones (`password`) never; sub-attribute
/// (`name.givenName`, `emails.value`), extension (`urn:...:User:department`, or the whole extension
/// by its URN) and `meta` sub-attribute granularity. `attributes` wins when both are given.
pub fn project(resource: &mut Value, rt: &ResourceType, attributes: &[AttrPath], excluded: &[AttrPath]) {
    let Value::Object(obj) = resource else { return };
    let requested: Vec<Selection> = attributes.iter().filter_map(|p| select(rt, p)).collect();
    let original = std::mem::take(obj);
    for (key, value) in original {
        if key.eq_ignore_ascii_case("schemas") {
            obj.insert(key, value);
            continue;
        }
        if let Some(ext) = rt.extensions.iter().map(|e| e.schema).find(|s| s.id.eq_ignore_ascii_case(&key)) {
            let Value::Object(inner) = value else {
                continue;
            };
            let kept: Map<String, Value> = inner
                .into_iter()
                .filter_map(|(k, v)| {
                    let def = ext.attribute(&k)?;
                    let v = project_value(rt, &requested, attributes.is_empty(), Some(ext.id), def, v)?;
                    Some((k, v))
                })
                .collect();
            if !kept.is_empty() {
                obj.insert(key, Value::Object(kept));
            }
            continue;
        }
        // Unknown keys survive only a projection that did not ask for specific attributes.
        let Some(def) = top_level_def(rt, &key) else {
            if attributes.is_empty() {
                obj.insert(key, value);
            }
            continue;
        };
        if let Some(v) = project_value(rt, &requested, attributes.is_empty(), None, def, value) {
            obj.insert(key, v);
        }
    }
    if attributes.is_empty() {
        for path in excluded {
            if let Some(selection) = select(rt, path) {
                exclude(obj, rt, selection);
            }
        }
    }
}

/// The part of one attribute's value that `attributes` keeps (all of it when none were given, bar
/// `returned: request` ones).
fn project_value(
    rt: &ResourceType,
    requested: &[Selection],
    default_set: bool,
    ext: Option<&'static str>,
    def: &AttributeDef,
    value: Value,
) -> Option<Value> {
    match def.returned {
        Returned::Never => return None,
        Returned::Always => return Some(value),
        Returned::Default | Returned::Request => {}
    }
    if default_set {
        return (def.returned == Returned::Default).then_some(value);
    }
    match selected(rt, requested, ext, def) {
        Selected::No => None,
        Selected::Whole => Some(value),
        Selected::Subs(subs) => keep_subs(value, &subs),
    }
}

/// Removes what one `excludedAttributes` entry names, unless it is returned `always`.
fn exclude(obj: &mut Map<String, Value>, rt: &ResourceType, selection: Selection) {
    match selection {
        Selection::Schema(schema) if schema.id != rt.schema.id => {
            if let Some(key) = key_ci(obj, schema.id) {
                obj.remove(&key);
            }
        }
        // Excluding the core schema would exclude nearly everything; it is not a sensible request.
        Selection::Schema(_) => {}
        Selection::Attribute { attr, .. } if attr.returned == Returned::Always => {}
        Selection::Attribute { ext, attr, sub } => {
            let container = match ext {
                None => Some(&mut *obj),
                Some(ext) => key_ci(obj, ext).and_then(|k| obj.get_mut(&k)).and_then(Value::as_object_mut),
            };
            if let Some(container) = container {
                if let Some(key) = key_ci(container, attr.name) {
                    let value = container.remove(&key);
                    if let (Some(value), Some(sub)) = (value, sub) {
                        if let Some(kept) = drop_sub(value, sub.name) {
                            container.insert(key, kept);
                        }
                    }
                }
            }
            if let Some(ext) = ext {
                if let Some(key) = key_ci(obj, ext) {
                    if obj.get(&key).and_then(Value::as_object).is_some_and(Map::is_empty) {
                        obj.remove(&key);
                    }
                }
            }
        }
    }
}

/// Whether a response projected with `attributes`/`excluded` contains (part of) attribute `name`,
/// so the server can skip loading it (e.g. group `members` for `excludedAttributes=members` or
/// `attributes=displayName`). Unknown names are assumed needed.
pub fn needs_attribute(rt: &ResourceType, attributes: &[AttrPath], excluded: &[AttrPath], name: &str) -> bool {
    let Some(Selection::Attribute { ext, attr, sub: None }) =
        name.parse::<AttrPath>().ok().and_then(|p| select(rt, &p))
    else {
        return true;
    };
    match attr.returned {
        Returned::Never => return false,
        Returned::Always => return true,
        Returned::Default | Returned::Request => {}
    }
    if !attributes.is_empty() {
        let requested: Vec<Selection> = attributes.iter().filter_map(|p| select(rt, p)).collect();
        return !matches!(selected(rt, &requested, ext, attr), Selected::No);
    }
    if attr.returned == Returned::Request {
        return false;
    }
    let excluded: Vec<Selection> = excluded.iter().filter_map(|p| select(rt, p)).collect();
    let whole_excluded = excluded.iter().any(|s| match *s {
        Selection::Schema(schema) => ext == Some(schema.id),
        Selection::Attribute { ext: e, attr: a, sub } => e == ext && a.name == attr.name && sub.is_none(),
    });
    !whole_excluded
}

/// The value a resource sorts by: the attribute (or sub-attribute); for a multi-valued attribute,
/// its primary element, else its first (RFC 7644 §3.4.2.3); a complex value sorts by its `value`.
fn sort_key<'v>(resource: &'v Value, path: &AttrPath, rt: &ResourceType) -> Option<&'v Value> {
    let obj = resource.as_object()?;
    let ext = rt.resolve(path.urn.as_deref(), &path.name, None).and_then(|r| r.extension_urn());
    let container = match ext {
        Some(ext) => get_ci(obj, ext)?.as_object()?,
        None => obj,
    };
    let mut value = get_ci(container, &path.name)?;
    if let Value::Array(items) = value {
        value = items.iter().find(|v| is_primary(v)).or_else(|| items.first())?;
    }
    if let Some(sub) = &path.sub {
        value = get_ci(value.as_object()?, sub)?;
    } else if let Value::Object(complex) = value {
        value = get_ci(complex, "value")?;
    }
    (!value.is_null()).then_some(value)
}

fn type_rank(v: &Value) -> u8 {
    match v {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Number(_) => 2,
        Value::String(_) => 3,
        Value::Array(_) => 4,
        Value::Object(_) => 5,
    }
}

/// Orders two rendered resources by `path`, ascending: strings case-insensitively unless the
/// attribute is `caseExact`, date-times as instants, numbers numerically, `false` before `true`;
/// resources without a value sort last. Reverse it for `descending`.
pub fn compare_for_sort(a: &Value, b: &Value, path: &AttrPath, rt: &ResourceType) -> Ordering {
    let def = rt.resolve(path.urn.as_deref(), &path.name, path.sub.as_deref()).map(|r| r.leaf());
    let (x, y) = match (sort_key(a, path, rt), sort_key(b, path, rt)) {
        (None, None) => return Ordering::Equal,
        (None, Some(_)) => return Ordering::Greater,
        (Some(_), None) => return Ordering::Less,
        (Some(x), Some(y)) => (x, y),
    };
    match (x, y) {
        (Value::String(x), Value::String(y)) => {
            if def.is_some_and(|d| d.ty == AttributeType::DateTime) {
                if let (Ok(x), Ok(y)) = (DateTime::parse_from_rfc3339(x), DateTime::parse_from_rfc3339(y)) {
                    return x.cmp(&y);
                }
            }
            if def.is_some_and(|d| d.case_exact) {
                x.cmp(y)
            } else {
                x.to_lowercase().cmp(&y.to_lowercase())
            }
        }
        (Value::Number(x), Value::Number(y)) => x.as_f64().partial_cmp(&y.as_f64()).unwrap_or(Ordering::Equal),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (x, y) => type_rank(x).cmp(&type_rank(y)),
    }
}

#[cfg(test)]
mod tests;
