//! The resource model: validated [`User`] and [`Group`] documents parsed from POST/PUT bodies, and
//! their rendering as full SCIM resources ([`render_user`], [`render_group`]).
//!
//! Parsing is driven by the tables of [`schema`](mod@crate::schema): attribute names are matched
//! case-insensitively and stored with their canonical spelling, values are type-checked, read-only
//! and unknown attributes are dropped, and the quirks of real clients (Entra's booleans sent as
//! `"True"`, its manager sent as a bare id) are coerced rather than rejected. What is stored is the
//! *canonical body*; everything server-owned (`id`, `meta`, `groups`, `members`) is added back by rendering.

use crate::error::{Result, ScimError};
use crate::schema::{
    common_attribute, AttributeDef, AttributeType, Mutability, ResourceType, SchemaDef, GROUP_RESOURCE, USER_RESOURCE,
};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};
use std::fmt;
use std::str::FromStr;

/// The longest accepted `userName`, in characters.
pub const MAX_USER_NAME_LEN: usize = 256;

/// A user's sign-in name: trimmed, non-empty, at most [`MAX_USER_NAME_LEN`] characters, no control
/// characters. Uniqueness is case-insensitive (RFC 7643 `caseExact: false`), hence [`UserName::folded`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserName(String);

impl UserName {
    /// Parses a raw `userName`, trimming surrounding white space.
    pub fn parse(raw: &str) -> Result<UserName> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(ScimError::invalid_value("userName is required"));
        }
        if trimmed.chars().count() > MAX_USER_NAME_LEN {
            return Err(ScimError::invalid_value(format!("userName must be at most {MAX_USER_NAME_LEN} characters")));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(ScimError::invalid_value("userName must not contain control characters"));
        }
        Ok(UserName(trimmed.to_owned()))
    }

    /// The name as given (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The lower-cased name, the key of case-insensitive uniqueness.
    pub fn folded(&self) -> String {
        self.0.to_lowercase()
    }
}

impl TryFrom<String> for UserName {
    type Error = ScimError;
    fn try_from(raw: String) -> Result<UserName> {
        UserName::parse(&raw)
    }
}

impl FromStr for UserName {
    type Err = ScimError;
    fn from_str(raw: &str) -> Result<UserName> {
        UserName::parse(raw)
    }
}

impl fmt::Display for UserName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for UserName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A validated user document: what is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// The sign-in name.
    pub user_name: UserName,
    /// The provisioning client's identifier.
    pub external_id: Option<String>,
    /// Administrative status; `true` when the document has no `active` (which then stays absent).
    pub active: bool,
    /// The display name.
    pub display_name: Option<String>,
    /// The canonical body: every client-writable attribute with its canonical name (extension
    /// attributes nested under their schema URN), including `userName`, `externalId`, `active` and
    /// `displayName`; never `id`, `meta`, `groups`, `password` or `schemas`.
    pub attributes: Map<String, Value>,
}

impl User {
    /// Validates a POST/PUT body (see the module docs for the rules).
    pub fn from_json(body: &Value) -> Result<User> {
        let mut attributes = parse_body(&USER_RESOURCE, body, &[])?;
        let user_name = match attributes.get("userName") {
            Some(Value::String(raw)) => UserName::parse(raw)?,
            _ => return Err(ScimError::invalid_value("userName is required")),
        };
        attributes.insert("userName".to_owned(), Value::String(user_name.as_str().to_owned()));
        // An absent `active` means an active account, but it stays absent in the document: what the
        // client sent (or removed) is what it reads back.
        let active = attributes.get("active").and_then(Value::as_bool).unwrap_or(true);
        Ok(User {
            user_name,
            external_id: string_attribute(&attributes, "externalId"),
            active,
            display_name: string_attribute(&attributes, "displayName"),
            attributes,
        })
    }

    /// The `value` of every email, for indexing and look-up.
    pub fn email_values(&self) -> Vec<String> {
        match self.attributes.get("emails") {
            Some(Value::Array(emails)) => {
                emails.iter().filter_map(|e| e.get("value").and_then(Value::as_str)).map(str::to_owned).collect()
            }
            _ => Vec::new(),
        }
    }
}

/// Server-owned metadata of a stored resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// When the resource was created.
    pub created: DateTime<Utc>,
    /// When it last changed.
    pub last_modified: DateTime<Utc>,
    /// A counter bumped on every change; the weak ETag is derived from it.
    pub version: u64,
}

impl Meta {
    /// The weak entity tag `W/"<version>"`, used both in `meta.version` and the `ETag` header.
    pub fn etag(&self) -> String {
        format!("W/\"{}\"", self.version)
    }
}

/// A group a user belongs to, rendered in the user's read-only `groups` attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRef {
    /// The group's id.
    pub id: String,
    /// The group's display name.
    pub display: String,
}

/// A group member reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The member resource's id.
    pub value: String,
    /// Its display name, when the client sent one.
    pub display: Option<String>,
    /// `User` or `Group`; `None` means `User`.
    pub kind: Option<String>,
}

/// A validated group document, without its members (which are stored and patched apart, so that a
/// change to a huge group never loads the member list).
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The group's name.
    pub display_name: String,
    /// The provisioning client's identifier.
    pub external_id: Option<String>,
    /// The canonical body (`displayName`, `externalId`), without `members`.
    pub attributes: Map<String, Value>,
}

impl Group {
    /// Validates a POST/PUT body; returns the group and its (de-duplicated) members.
    pub fn from_json(body: &Value) -> Result<(Group, Vec<Member>)> {
        let attributes = parse_body(&GROUP_RESOURCE, body, &["members"])?;
        let group = Group::from_attributes(attributes)?;
        let members = match body.as_object().and_then(|o| get_ci(o, "members")) {
            Some(value) => parse_members(value, false)?,
            None => Vec::new(),
        };
        Ok((group, members))
    }

    /// Builds a group from an already-normalised canonical body, checking `displayName`.
    pub(crate) fn from_attributes(mut attributes: Map<String, Value>) -> Result<Group> {
        let display_name = match attributes.get("displayName") {
            Some(Value::String(name)) if !name.trim().is_empty() => name.clone(),
            _ => return Err(ScimError::invalid_value("displayName is required")),
        };
        attributes.remove("members");
        Ok(Group { display_name, external_id: string_attribute(&attributes, "externalId"), attributes })
    }
}

/// Parses a `members` value: an array of `{value, display, type, $ref}` objects (or, when
/// `lenient`, a single such object, as PATCH clients send). Duplicates by `value` are collapsed.
pub(crate) fn parse_members(value: &Value, lenient: bool) -> Result<Vec<Member>> {
    let items: &[Value] = match value {
        Value::Null => &[],
        Value::Array(items) => items,
        Value::Object(_) if lenient => std::slice::from_ref(value),
        _ => return Err(ScimError::invalid_value("attribute 'members' must be an array")),
    };
    let mut members: Vec<Member> = Vec::with_capacity(items.len());
    let mut seen = std::collections::HashSet::with_capacity(items.len());
    for item in items {
        let Value::Object(obj) = item else {
            if item.is_null() {
                continue;
            }
            return Err(ScimError::invalid_value("each member must be an object with a 'value'"));
        };
        let member_value = match get_ci(obj, "value") {
            Some(Value::String(v)) if !v.trim().is_empty() => v.trim().to_owned(),
            Some(Value::String(_)) | Some(Value::Null) | None => {
                return Err(ScimError::invalid_value("members[].value is required"))
            }
            Some(_) => return Err(ScimError::invalid_value("attribute 'members.value' must be a string")),
        };
        let display = optional_string(obj, "display", "members.display")?;
        let kind = match optional_string(obj, "type", "members.type")? {
            None => None,
            Some(t) if t.eq_ignore_ascii_case("user") => Some("User".to_owned()),
            Some(t) if t.eq_ignore_ascii_case("group") => Some("Group".to_owned()),
            Some(t) => {
                return Err(ScimError::invalid_value(format!("members[].type must be 'User' or 'Group', not '{t}'")))
            }
        };
        if seen.insert(member_value.clone()) {
            members.push(Member { value: member_value, display, kind });
        }
    }
    Ok(members)
}

fn optional_string(obj: &Map<String, Value>, key: &str, label: &str) -> Result<Option<String>> {
    match get_ci(obj, key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(type_error(label, "a string")),
    }
}

fn string_attribute(attributes: &Map<String, Value>, key: &str) -> Option<String> {
    attributes.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// The value under `key`, matched case-insensitively (RFC 7643 §2.1); an exact match wins.
pub(crate) fn get_ci<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).or_else(|| obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v))
}

/// The actual spelling of `key` in `obj`, matched case-insensitively.
pub(crate) fn key_ci(obj: &Map<String, Value>, key: &str) -> Option<String> {
    if obj.contains_key(key) {
        return Some(key.to_owned());
    }
    obj.keys().find(|k| k.eq_ignore_ascii_case(key)).cloned()
}

fn type_error(label: &str, expected: &str) -> ScimError {
    ScimError::invalid_value(format!("attribute '{label}' must be {expected}"))
}

/// Checks the `schemas` member of a request body: absent is fine, otherwise it must be an array of
/// strings that includes `required`.
pub(crate) fn check_schemas(obj: &Map<String, Value>, required: &str, syntax_error: bool) -> Result<()> {
    let fail = |detail: String| {
        if syntax_error {
            ScimError::invalid_syntax(detail)
        } else {
            ScimError::invalid_value(detail)
        }
    };
    match get_ci(obj, "schemas") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Array(items)) => {
            if items.iter().any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(required))) {
                Ok(())
            } else {
                Err(fail(format!("schemas must include '{required}'")))
            }
        }
        Some(_) => Err(fail("schemas must be an array of schema URNs".to_owned())),
    }
}

/// Where a top-level body key belongs.
enum BodyKey {
    /// The object of a schema (`"urn:...:enterprise:2.0:User": {...}` or the core URN).
    Schema(&'static SchemaDef),
    /// One attribute of a schema or a common attribute (`None`), possibly URN-qualified.
    Attribute(Option<&'static SchemaDef>, &'static AttributeDef),
    /// Anything else: ignored, like every unknown attribute.
    Unknown,
}

fn classify_key(rt: &ResourceType, key: &str) -> BodyKey {
    if let Some(schema) = rt.schema_by_urn(key) {
        return BodyKey::Schema(schema);
    }
    // `urn:...:enterprise:2.0:User:department`: the URN is everything before the last colon.
    if let Some((urn, name)) = key.rsplit_once(':') {
        return match rt.resolve(Some(urn), name, None) {
            Some(r) => BodyKey::Attribute(r.schema, r.attribute),
            None => BodyKey::Unknown,
        };
    }
    match rt.schema.attribute(key) {
        Some(attr) => BodyKey::Attribute(Some(rt.schema), attr),
        None => common_attribute(key).map_or(BodyKey::Unknown, |attr| BodyKey::Attribute(None, attr)),
    }
}

/// Validates a resource body against `rt` and returns its canonical form (no `schemas`, no
/// read-only or write-only attributes, extension attributes under their URN). Keys in `skip` (canonical
/// names) are left to the caller.
pub(crate) fn parse_body(rt: &ResourceType, body: &Value, skip: &[&str]) -> Result<Map<String, Value>> {
    let Value::Object(obj) = body else {
        return Err(ScimError::invalid_syntax(format!("a {} must be a JSON object", rt.name)));
    };
    check_schemas(obj, rt.schema.id, false)?;
    let mut out = Map::new();
    for (key, value) in obj {
        if key.eq_ignore_ascii_case("schemas") {
            continue;
        }
        match classify_key(rt, key) {
            BodyKey::Schema(schema) => match value {
                Value::Null => {}
                Value::Object(inner) => {
                    for (name, v) in inner {
                        if let Some(attr) = schema.attribute(name) {
                            insert_attribute(rt, &mut out, Some(schema), attr, v, skip)?;
                        }
                    }
                }
                _ => return Err(type_error(schema.id, "an object")),
            },
            BodyKey::Attribute(schema, attr) => insert_attribute(rt, &mut out, schema, attr, value, skip)?,
            BodyKey::Unknown => {}
        }
    }
    Ok(out)
}

fn insert_attribute(
    rt: &ResourceType,
    out: &mut Map<String, Value>,
    schema: Option<&'static SchemaDef>,
    attr: &'static AttributeDef,
    value: &Value,
    skip: &[&str],
) -> Result<()> {
    // Read-only attributes (id, meta, groups) are the server's; write-only ones (password) are
    // accepted and never kept.
    if matches!(attr.mutability, Mutability::ReadOnly | Mutability::WriteOnly) || skip.contains(&attr.name) {
        return Ok(());
    }
    let normalized = normalize_attribute(attr, attr.name, value)?;
    let ext = schema.filter(|s| s.id != rt.schema.id).map(|s| s.id);
    let mut extension = match ext {
        Some(ext) => match out.remove(ext) {
            Some(Value::Object(map)) => map,
            _ => Map::new(),
        },
        None => Map::new(),
    };
    let container = if ext.is_some() { &mut extension } else { &mut *out };
    match normalized {
        Some(v) => container.insert(attr.name.to_owned(), v),
        None => container.remove(attr.name),
    };
    if let Some(ext) = ext.filter(|_| !extension.is_empty()) {
        out.insert(ext.to_owned(), Value::Object(extension));
    }
    Ok(())
}

/// Type-checks and canonicalises one attribute value (a whole multi-valued array when the attribute
/// is multi-valued). `Ok(None)` means "unassigned": null, an empty array or an empty object
/// (RFC 7643 §2.5). `label` names the attribute in errors.
pub(crate) fn normalize_attribute(def: &'static AttributeDef, label: &str, value: &Value) -> Result<Option<Value>> {
    if !def.multi_valued {
        return normalize_single(def, label, value);
    }
    let items = match value {
        Value::Null => return Ok(None),
        Value::Array(items) => items,
        _ => return Err(type_error(label, "an array")),
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        if let Some(v) = normalize_single(def, label, item)? {
            out.push(v);
        }
    }
    check_single_primary(label, &out)?;
    Ok((!out.is_empty()).then_some(Value::Array(out)))
}

/// Fails when more than one element of a multi-valued attribute is `primary: true` (RFC 7643 §2.4).
pub(crate) fn check_single_primary(label: &str, items: &[Value]) -> Result<()> {
    if items.iter().filter(|item| is_primary(item)).count() > 1 {
        return Err(ScimError::invalid_value(format!("only one '{label}' value may be primary")));
    }
    Ok(())
}

/// Whether an element of a multi-valued attribute is marked `primary: true`.
pub(crate) fn is_primary(item: &Value) -> bool {
    item.get("primary").and_then(Value::as_bool) == Some(true)
}

/// Type-checks and canonicalises one value (one element of a multi-valued attribute).
pub(crate) fn normalize_single(def: &'static AttributeDef, label: &str, value: &Value) -> Result<Option<Value>> {
    if value.is_null() {
        return Ok(None);
    }
    match def.ty {
        AttributeType::Complex => normalize_complex(def, label, value),
        AttributeType::String | AttributeType::Reference | AttributeType::Binary => match value {
            Value::String(_) => Ok(Some(value.clone())),
            _ => Err(type_error(label, "a string")),
        },
        AttributeType::Boolean => match value {
            Value::Bool(_) => Ok(Some(value.clone())),
            // Entra sends booleans as "True"/"False".
            Value::String(s) if s.trim().eq_ignore_ascii_case("true") => Ok(Some(Value::Bool(true))),
            Value::String(s) if s.trim().eq_ignore_ascii_case("false") => Ok(Some(Value::Bool(false))),
            _ => Err(type_error(label, "a boolean")),
        },
        AttributeType::Integer => match value {
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(Some(value.clone())),
            _ => Err(type_error(label, "an integer")),
        },
        AttributeType::Decimal => match value {
            Value::Number(_) => Ok(Some(value.clone())),
            _ => Err(type_error(label, "a number")),
        },
        AttributeType::DateTime => match value {
            Value::String(s) if DateTime::parse_from_rfc3339(s).is_ok() => Ok(Some(value.clone())),
            _ => Err(type_error(label, "an RFC 3339 date-time string")),
        },
    }
}

fn normalize_complex(def: &'static AttributeDef, label: &str, value: &Value) -> Result<Option<Value>> {
    let obj = match value {
        Value::Object(obj) => obj,
        // Entra sends the enterprise `manager` as the bare manager id; an empty one clears it.
        Value::String(s) if !def.multi_valued && def.sub_attribute("value").is_some() => {
            if s.is_empty() {
                return Ok(None);
            }
            let mut obj = Map::new();
            obj.insert("value".to_owned(), value.clone());
            return Ok(Some(Value::Object(obj)));
        }
        // A one-element array for a single-valued complex attribute is what the client meant.
        // (One level only: the recursion cannot go deeper than that.)
        Value::Array(items) if !def.multi_valued && items.len() == 1 && !items[0].is_array() => {
            return normalize_complex(def, label, &items[0]);
        }
        _ => return Err(type_error(label, "a complex object")),
    };
    let mut out = Map::new();
    for (key, v) in obj {
        // Unknown sub-attributes are ignored, like unknown attributes; read-only ones are the server's.
        let Some(sub) = def.sub_attribute(key) else {
            continue;
        };
        if matches!(sub.mutability, Mutability::ReadOnly | Mutability::WriteOnly) {
            continue;
        }
        let sub_label = format!("{label}.{}", sub.name);
        if let Some(v) = normalize_single(sub, &sub_label, v)? {
            out.insert(sub.name.to_owned(), v);
        }
    }
    Ok((!out.is_empty()).then_some(Value::Object(out)))
}

/// RFC 3339 in UTC with a `Z`, millisecond precision.
pub(crate) fn format_time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn render_meta(resource_type: &str, location: String, meta: &Meta) -> Value {
    let mut out = Map::new();
    out.insert("resourceType".to_owned(), Value::String(resource_type.to_owned()));
    out.insert("created".to_owned(), Value::String(format_time(&meta.created)));
    out.insert("lastModified".to_owned(), Value::String(format_time(&meta.last_modified)));
    out.insert("location".to_owned(), Value::String(location));
    out.insert("version".to_owned(), Value::String(meta.etag()));
    Value::Object(out)
}

fn set_or_remove(out: &mut Map<String, Value>, key: &str, value: Option<&str>) {
    match value {
        Some(v) => {
            out.insert(key.to_owned(), Value::String(v.to_owned()));
        }
        None => {
            out.remove(key);
        }
    }
}

/// Server-owned keys a canonical body must never carry into a rendering.
const SERVER_OWNED: &[&str] = &["schemas", "id", "meta", "groups", "members", "password"];

fn copy_body(out: &mut Map<String, Value>, attributes: &Map<String, Value>) {
    for (k, v) in attributes {
        if !SERVER_OWNED.iter().any(|s| s.eq_ignore_ascii_case(k)) {
            out.insert(k.clone(), v.clone());
        }
    }
}

/// Renders a stored user as the full SCIM resource. `base_url` is like `https://h/scim/v2`.
pub fn render_user(base_url: &str, id: &str, user: &User, meta: &Meta, groups: &[GroupRef]) -> Value {
    let base = base_url.trim_end_matches('/');
    let mut out = Map::new();
    copy_body(&mut out, &user.attributes);
    // The typed fields are authoritative should a caller have changed one without the body.
    out.insert("userName".to_owned(), Value::String(user.user_name.as_str().to_owned()));
    if out.contains_key("active") {
        out.insert("active".to_owned(), Value::Bool(user.active));
    }
    set_or_remove(&mut out, "externalId", user.external_id.as_deref());
    set_or_remove(&mut out, "displayName", user.display_name.as_deref());
    let mut schemas = vec![Value::String(USER_RESOURCE.schema.id.to_owned())];
    for ext in USER_RESOURCE.extensions {
        match out.get(ext.schema.id) {
            Some(Value::Object(data)) if !data.is_empty() => schemas.push(Value::String(ext.schema.id.to_owned())),
            Some(_) => {
                out.remove(ext.schema.id);
            }
            None => {}
        }
    }
    out.insert("schemas".to_owned(), Value::Array(schemas));
    out.insert("id".to_owned(), Value::String(id.to_owned()));
    // Unassigned multi-valued attributes are omitted (RFC 7643 §2.5).
    if !groups.is_empty() {
        let groups = groups
            .iter()
            .map(|g| {
                let mut obj = Map::new();
                obj.insert("value".to_owned(), Value::String(g.id.clone()));
                obj.insert("display".to_owned(), Value::String(g.display.clone()));
                obj.insert("$ref".to_owned(), Value::String(format!("{base}/Groups/{}", g.id)));
                obj.insert("type".to_owned(), Value::String("direct".to_owned()));
                Value::Object(obj)
            })
            .collect();
        out.insert("groups".to_owned(), Value::Array(groups));
    }
    out.insert("meta".to_owned(), render_meta("User", format!("{base}/Users/{id}"), meta));
    Value::Object(out)
}

/// Renders a stored group as the full SCIM resource; `members: None` means "not loaded" and omits
/// the attribute (used when the client excluded it).
pub fn render_group(base_url: &str, id: &str, group: &Group, meta: &Meta, members: Option<&[Member]>) -> Value {
    let base = base_url.trim_end_matches('/');
    let mut out = Map::new();
    copy_body(&mut out, &group.attributes);
    out.insert("displayName".to_owned(), Value::String(group.display_name.clone()));
    set_or_remove(&mut out, "externalId", group.external_id.as_deref());
    out.insert("schemas".to_owned(), Value::Array(vec![Value::String(GROUP_RESOURCE.schema.id.to_owned())]));
    out.insert("id".to_owned(), Value::String(id.to_owned()));
    if let Some(members) = members.filter(|m| !m.is_empty()) {
        let members = members
            .iter()
            .map(|m| {
                let kind = m.kind.as_deref().unwrap_or("User");
                let endpoint = if kind == "Group" { "Groups" } else { "Users" };
                let mut obj = Map::new();
                obj.insert("value".to_owned(), Value::String(m.value.clone()));
                obj.insert("$ref".to_owned(), Value::String(format!("{base}/{endpoint}/{}", m.value)));
                obj.insert("type".to_owned(), Value::String(kind.to_owned()));
                if let Some(display) = &m.display {
                    obj.insert("display".to_owned(), Value::String(display.clone()));
                }
                Value::Object(obj)
            })
            .collect();
        out.insert("members".to_owned(), Value::Array(members));
    }
    out.insert("meta".to_owned(), render_meta("Group", format!("{base}/Groups/{id}"), meta));
    Value::Object(out)
}

#[cfg(test)]
mod tests;
