//! The PATCH engine (RFC 7644 §3.5.2): parsing a PatchOp request, applying it to a [`User`] all or
//! nothing, and compiling a Group PATCH into [`MemberOp`]s that a store can apply without ever
//! loading the member list.
//!
//! Besides the RFC, it accepts what Okta and Microsoft Entra actually send: capitalised op names
//! (`"Replace"`), booleans as strings (`"False"`), path-less values keyed by schema URNs or dotted
//! paths (`"name.givenName"`), a path-less `replace` repeating the resource's own `id`, the
//! enterprise `manager` as a bare id, and `emails[type eq "work"].value` on a user who has no work
//! email yet (the element is created).

use crate::error::{Result, ScimError};
use crate::filter::{AttrPath, CompareOp, Filter, Literal, PatchPath};
use crate::model::{
    check_schemas, get_ci, is_primary, key_ci, normalize_attribute, normalize_single, parse_members, Group, Member,
    User,
};
use crate::schema::{AttributeDef, Mutability, ResourceType, GROUP_RESOURCE, USER_RESOURCE};
use serde_json::{Map, Value};
use std::fmt;

/// URN of the PatchOp request message.
pub const PATCH_OP_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// The most operations one PATCH request may carry.
pub const MAX_PATCH_OPERATIONS: usize = 1000;

/// A PATCH operation's `op`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PatchOpKind {
    /// `add`.
    Add,
    /// `remove`.
    Remove,
    /// `replace`.
    Replace,
}

impl PatchOpKind {
    /// The canonical (lower-case) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PatchOpKind::Add => "add",
            PatchOpKind::Remove => "remove",
            PatchOpKind::Replace => "replace",
        }
    }
}

impl fmt::Display for PatchOpKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One operation of a PATCH request.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOp {
    /// What to do.
    pub op: PatchOpKind,
    /// Where; `None` means the resource itself (add/replace with an object value).
    pub path: Option<PatchPath>,
    /// The value; always present for add/replace (a JSON `null` is treated as absent).
    pub value: Option<Value>,
}

/// A parsed PATCH request: its operations, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchRequest {
    /// The operations, applied in order, all or none.
    pub operations: Vec<PatchOp>,
}

/// Prefixes an error's detail with the operation it came from.
fn at_operation(index: usize, err: ScimError) -> ScimError {
    ScimError { detail: format!("Operations[{index}]: {}", err.detail), ..err }
}

impl PatchRequest {
    /// Parses a PATCH body. `schemas` may be absent; when present it must name [`PATCH_OP_SCHEMA`].
    pub fn from_json(body: &Value) -> Result<PatchRequest> {
        let Value::Object(obj) = body else {
            return Err(ScimError::invalid_syntax("a PATCH request must be a JSON object"));
        };
        check_schemas(obj, PATCH_OP_SCHEMA, true)?;
        let ops = match get_ci(obj, "Operations") {
            Some(Value::Array(ops)) => ops,
            Some(_) => return Err(ScimError::invalid_syntax("'Operations' must be an array")),
            None => return Err(ScimError::invalid_syntax("a PATCH request needs an 'Operations' array")),
        };
        if ops.len() > MAX_PATCH_OPERATIONS {
            return Err(ScimError::too_many(format!(
                "a PATCH request may hold at most {MAX_PATCH_OPERATIONS} operations, this one has {}",
                ops.len()
            )));
        }
        let operations = ops
            .iter()
            .enumerate()
            .map(|(i, op)| parse_op(op).map_err(|e| at_operation(i, e)))
            .collect::<Result<_>>()?;
        Ok(PatchRequest { operations })
    }
}

fn parse_op(op: &Value) -> Result<PatchOp> {
    let Value::Object(obj) = op else {
        return Err(ScimError::invalid_syntax("an operation must be a JSON object"));
    };
    let kind = match get_ci(obj, "op") {
        // Entra capitalises op names ("Replace").
        Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "add" => PatchOpKind::Add,
            "remove" => PatchOpKind::Remove,
            "replace" => PatchOpKind::Replace,
            _ => {
                return Err(ScimError::invalid_syntax(format!(
                    "unknown op '{s}' (expected 'add', 'remove' or 'replace')"
                )))
            }
        },
        Some(_) => return Err(ScimError::invalid_syntax("'op' must be a string")),
        None => return Err(ScimError::invalid_syntax("an operation needs an 'op'")),
    };
    let path = match get_ci(obj, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(s.trim().parse::<PatchPath>()?),
        Some(_) => return Err(ScimError::invalid_path("'path' must be a string")),
    };
    let value = get_ci(obj, "value").filter(|v| !v.is_null()).cloned();
    match (kind, &path, &value) {
        (PatchOpKind::Add | PatchOpKind::Replace, _, None) => {
            Err(ScimError::invalid_value(format!("'{kind}' operation needs a 'value'")))
        }
        (PatchOpKind::Remove, None, _) => Err(ScimError::no_target("'remove' operation needs a 'path'")),
        _ => Ok(PatchOp { op: kind, path, value }),
    }
}

/// Applies `req` to `current` (whose id is `id`) and returns the new, validated user; `current` is
/// untouched, so a failing operation leaves nothing half-applied.
pub fn patch_user(id: &str, current: &User, req: &PatchRequest) -> Result<User> {
    let engine = Engine { rt: &USER_RESOURCE, id };
    let mut doc = current.attributes.clone();
    for (i, op) in req.operations.iter().enumerate() {
        engine.apply(&mut doc, op).map_err(|e| at_operation(i, e))?;
    }
    User::from_json(&Value::Object(doc))
}

/// A change to a group's member list, to be applied by the store in order.
#[derive(Debug, Clone, PartialEq)]
pub enum MemberOp {
    /// Add these members (already present ones stay as they are).
    Add(Vec<Member>),
    /// Remove the members with these ids (absent ones are ignored).
    Remove(Vec<String>),
    /// Remove every member.
    RemoveAll,
    /// Make these exactly the members.
    Replace(Vec<Member>),
    /// Remove the members matching this filter (the inside of `members[display sw "x"]`), whose
    /// paths are relative to a member: test each member as `{"value", "display", "type"}` with
    /// [`Filter::matches_element`] against the Group schema's `members` attribute.
    RemoveMatching(Filter),
}

/// The outcome of a group PATCH: the new group attributes and the member changes, in request order.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupPatch {
    /// The group with its non-member changes applied, validated.
    pub group: Group,
    /// The member operations, in request order.
    pub members: Vec<MemberOp>,
}

/// Compiles `req` against `current`: attribute changes are applied to a copy of the group, member
/// changes are returned as [`MemberOp`]s so that the member list itself is never needed.
pub fn patch_group(id: &str, current: &Group, req: &PatchRequest) -> Result<GroupPatch> {
    let engine = Engine { rt: &GROUP_RESOURCE, id };
    let mut doc = current.attributes.clone();
    // The typed fields are authoritative, as in rendering.
    doc.insert("displayName".to_owned(), Value::String(current.display_name.clone()));
    match &current.external_id {
        Some(e) => doc.insert("externalId".to_owned(), Value::String(e.clone())),
        None => doc.remove("externalId"),
    };
    let mut members = Vec::new();
    for (i, op) in req.operations.iter().enumerate() {
        engine.apply_group_op(&mut doc, op, &mut members).map_err(|e| at_operation(i, e))?;
    }
    let (group, _) = Group::from_json(&Value::Object(doc))?;
    Ok(GroupPatch { group, members })
}

/// Where a path points, resolved against the schema.
struct Target<'p> {
    /// The extension URN whose object holds the attribute, or `None` for the top level.
    ext: Option<&'static str>,
    /// The attribute.
    attr: &'static AttributeDef,
    /// The sub-attribute, from `name.sub` or `attr[filter].sub`.
    sub: Option<&'static AttributeDef>,
    /// The value filter selecting elements of a multi-valued attribute.
    filter: Option<&'p Filter>,
    /// The path as written, for messages.
    path: &'p PatchPath,
}

impl Target<'_> {
    fn label(&self) -> String {
        match self.sub {
            Some(sub) => format!("{}.{}", self.attr.name, sub.name),
            None => self.attr.name.to_owned(),
        }
    }
}

struct Engine<'a> {
    rt: &'static ResourceType,
    /// The resource's id: a `replace` repeating it is tolerated (Okta).
    id: &'a str,
}

impl Engine<'_> {
    fn apply(&self, doc: &mut Map<String, Value>, op: &PatchOp) -> Result<()> {
        match (&op.path, &op.value) {
            (Some(path), value) => self.apply_path(doc, op.op, path, value.as_ref()),
            (None, Some(value)) if op.op != PatchOpKind::Remove => self.apply_pathless(doc, op.op, value),
            (None, _) => Err(ScimError::no_target(format!("'{}' operation needs a 'path'", op.op))),
        }
    }

    fn apply_group_op(&self, doc: &mut Map<String, Value>, op: &PatchOp, members: &mut Vec<MemberOp>) -> Result<()> {
        match (&op.path, &op.value) {
            (Some(path), value) if self.is_members(&path.attr) => {
                members.extend(member_op(op.op, path, value.as_ref())?);
                Ok(())
            }
            (None, Some(Value::Object(obj))) if op.op != PatchOpKind::Remove => {
                let mut rest = obj.clone();
                let member_keys: Vec<String> =
                    obj.keys().filter(|k| k.parse::<AttrPath>().is_ok_and(|p| self.is_members(&p))).cloned().collect();
                for key in member_keys {
                    if let Some(value) = rest.remove(&key) {
                        members.extend(member_value_op(op.op, &value)?);
                    }
                }
                self.apply_pathless(doc, op.op, &Value::Object(rest))
            }
            _ => self.apply(doc, op),
        }
    }

    fn is_members(&self, path: &AttrPath) -> bool {
        self.rt.id == GROUP_RESOURCE.id
            && self
                .rt
                .resolve(path.urn.as_deref(), &path.name, None)
                .is_some_and(|r| r.attribute.name == "members" && r.schema.is_some())
    }

    /// A path-less add/replace: the value is an object of attributes (or of schema URNs holding
    /// objects of attributes, or of dotted/URN-qualified paths, as Entra sends).
    fn apply_pathless(&self, doc: &mut Map<String, Value>, kind: PatchOpKind, value: &Value) -> Result<()> {
        let Value::Object(obj) = value else {
            return Err(ScimError::invalid_value(format!("a path-less '{kind}' needs an object value")));
        };
        for (key, v) in obj {
            if key.eq_ignore_ascii_case("schemas") {
                continue;
            }
            if let Some(schema) = self.rt.schema_by_urn(key) {
                match v {
                    Value::Object(inner) => {
                        for (name, v) in inner {
                            self.apply_pathless_key(doc, kind, &format!("{}:{name}", schema.id), v)?;
                        }
                    }
                    Value::Null if kind == PatchOpKind::Replace => {
                        doc.remove(schema.id);
                    }
                    Value::Null => {}
                    _ => return Err(ScimError::invalid_value(format!("attribute '{}' must be an object", schema.id))),
                }
                continue;
            }
            self.apply_pathless_key(doc, kind, key, v)?;
        }
        Ok(())
    }

    fn apply_pathless_key(&self, doc: &mut Map<String, Value>, kind: PatchOpKind, key: &str, v: &Value) -> Result<()> {
        // Unknown keys are ignored, as they are in a POST body; a client's custom attributes must not
        // fail the whole request.
        let Ok(path) = key.parse::<PatchPath>() else {
            return Ok(());
        };
        if self.resolve(&path).is_err() {
            return Ok(());
        }
        self.apply_path(doc, kind, &path, Some(v))
    }

    fn resolve<'p>(&self, path: &'p PatchPath) -> Result<Target<'p>> {
        let unknown = || ScimError::invalid_path(format!("unknown attribute '{path}'"));
        let resolved = self.rt.resolve(path.attr.urn.as_deref(), &path.attr.name, None).ok_or_else(unknown)?;
        let attr = resolved.attribute;
        let sub = match path.sub_attribute() {
            Some(name) => Some(attr.sub_attribute(name).ok_or_else(unknown)?),
            None => None,
        };
        // Checks the value filter: on a multi-valued complex attribute, naming its sub-attributes.
        path.validate(self.rt)?;
        Ok(Target { ext: resolved.extension_urn(), attr, sub, filter: path.filter.as_ref(), path })
    }

    fn apply_path(
        &self,
        doc: &mut Map<String, Value>,
        kind: PatchOpKind,
        path: &PatchPath,
        value: Option<&Value>,
    ) -> Result<()> {
        // `path: "urn:...:enterprise:2.0:User"` targets the whole extension object.
        if path.filter.is_none() && path.sub.is_none() {
            if let Some(schema) =
                self.rt.extensions.iter().map(|e| e.schema).find(|s| s.id.eq_ignore_ascii_case(&path.attr.to_string()))
            {
                return match (kind, value) {
                    (PatchOpKind::Remove, _) => {
                        doc.remove(schema.id);
                        Ok(())
                    }
                    (_, Some(v)) => {
                        let mut wrapper = Map::new();
                        wrapper.insert(schema.id.to_owned(), v.clone());
                        self.apply_pathless(doc, kind, &Value::Object(wrapper))
                    }
                    (_, None) => Err(ScimError::invalid_value(format!("'{kind}' operation needs a 'value'"))),
                };
            }
        }
        let target = self.resolve(path)?;
        match target.attr.mutability {
            Mutability::ReadOnly => {
                // Okta repeats the resource's own id in a path-less replace; that changes nothing.
                let same_id = target.attr.name == "id"
                    && target.sub.is_none()
                    && kind != PatchOpKind::Remove
                    && value.and_then(Value::as_str) == Some(self.id);
                if same_id {
                    return Ok(());
                }
                return Err(ScimError::mutability(format!("attribute '{}' is readOnly", target.label())));
            }
            // Accepted and never kept (Okta's password sync).
            Mutability::WriteOnly => return Ok(()),
            Mutability::ReadWrite | Mutability::Immutable => {}
        }
        if let Some(sub) = target.sub.filter(|s| s.mutability == Mutability::ReadOnly) {
            return Err(ScimError::mutability(format!("attribute '{}.{}' is readOnly", target.attr.name, sub.name)));
        }
        let mut extension = Map::new();
        let container = match target.ext {
            Some(ext) => {
                extension = take_object(doc, ext);
                &mut extension
            }
            None => &mut *doc,
        };
        canonicalize_key(container, target.attr.name);
        let result = match (kind, value) {
            (PatchOpKind::Remove, value) => remove(container, &target, value),
            // A null inside a path-less value means "unassigned".
            (PatchOpKind::Replace, Some(Value::Null)) => remove(container, &target, None),
            (PatchOpKind::Add, Some(Value::Null)) => Ok(()),
            (_, Some(value)) => set(container, &target, kind, value),
            (_, None) => Err(ScimError::invalid_value(format!("'{kind}' operation needs a 'value'"))),
        };
        if let Some(ext) = target.ext {
            put_object(doc, ext, extension);
        }
        result
    }
}

/// Removes and returns the array under `key` (empty when absent or not an array); put it back with
/// [`put_array`]. Taking values out keeps the borrow checker simple and makes "empty means
/// unassigned" (RFC 7643 §2.5) fall out of putting back.
fn take_array(container: &mut Map<String, Value>, key: &str) -> Vec<Value> {
    match container.remove(key) {
        Some(Value::Array(items)) => items,
        _ => Vec::new(),
    }
}

fn put_array(container: &mut Map<String, Value>, key: &str, items: Vec<Value>) {
    if !items.is_empty() {
        container.insert(key.to_owned(), Value::Array(items));
    }
}

/// Removes and returns the object under `key` (empty when absent or not an object).
fn take_object(container: &mut Map<String, Value>, key: &str) -> Map<String, Value> {
    match container.remove(key) {
        Some(Value::Object(obj)) => obj,
        _ => Map::new(),
    }
}

fn put_object(container: &mut Map<String, Value>, key: &str, obj: Map<String, Value>) {
    if !obj.is_empty() {
        container.insert(key.to_owned(), Value::Object(obj));
    }
}

/// Renames a differently-spelt key to the canonical `name`, so there is one key per attribute.
fn canonicalize_key(container: &mut Map<String, Value>, name: &str) {
    if let Some(key) = key_ci(container, name).filter(|k| k != name) {
        if let Some(v) = container.remove(&key) {
            container.insert(name.to_owned(), v);
        }
    }
}

/// `add`/`replace` of `value` at `target`.
fn set(container: &mut Map<String, Value>, target: &Target<'_>, kind: PatchOpKind, value: &Value) -> Result<()> {
    let attr = target.attr;
    if let Some(filter) = target.filter {
        let mut elements = take_array(container, attr.name);
        let result = set_filtered(&mut elements, target, filter, kind, value);
        put_array(container, attr.name, elements);
        return result;
    }
    match (attr.multi_valued, target.sub) {
        (false, None) => {
            let normalized = normalize_attribute(attr, attr.name, value)?;
            match (normalized, container.get_mut(attr.name)) {
                // Complex values merge: sub-attributes not given are left unchanged (RFC 7644 §3.5.2.1/3).
                (Some(Value::Object(new)), Some(Value::Object(existing))) => existing.extend(new),
                (Some(v), _) => {
                    container.insert(attr.name.to_owned(), v);
                }
                (None, _) if kind == PatchOpKind::Replace => {
                    container.remove(attr.name);
                }
                (None, _) => {}
            }
        }
        (false, Some(sub)) => {
            let normalized = normalize_single(sub, &target.label(), value)?;
            let mut obj = take_object(container, attr.name);
            match normalized {
                Some(v) => obj.insert(sub.name.to_owned(), v),
                None => obj.remove(sub.name),
            };
            put_object(container, attr.name, obj);
        }
        (true, None) => {
            // Clients send a single element where the RFC wants an array.
            let items = match value {
                Value::Array(_) => value.clone(),
                other => Value::Array(vec![other.clone()]),
            };
            let new_items = match normalize_attribute(attr, attr.name, &items)? {
                Some(Value::Array(items)) => items,
                _ => Vec::new(),
            };
            let mut elements = take_array(container, attr.name);
            if kind == PatchOpKind::Replace {
                elements = new_items;
            } else {
                add_elements(attr, &mut elements, new_items);
            }
            put_array(container, attr.name, elements);
        }
        (true, Some(sub)) => {
            // `emails.value` without a filter: every element, or a new one when there are none.
            let normalized = normalize_single(sub, &target.label(), value)?;
            let mut elements = take_array(container, attr.name);
            match normalized {
                Some(v) if elements.is_empty() => {
                    elements.push(Value::Object(Map::from_iter([(sub.name.to_owned(), v)])))
                }
                Some(v) => elements.iter_mut().filter_map(Value::as_object_mut).for_each(|obj| {
                    obj.insert(sub.name.to_owned(), v.clone());
                }),
                None => remove_sub(&mut elements, sub.name, |_| true),
            }
            put_array(container, attr.name, elements);
        }
    }
    Ok(())
}

/// A multi-valued `add`: appends, except that a value already present is updated in place rather
/// than duplicated; a new primary clears the others.
fn add_elements(attr: &AttributeDef, elements: &mut Vec<Value>, new_items: Vec<Value>) {
    let mut touched = Vec::with_capacity(new_items.len());
    for item in new_items {
        match elements.iter().position(|e| same_element(attr, e, &item)) {
            Some(i) => {
                if let (Some(Value::Object(existing)), Value::Object(new)) = (elements.get_mut(i), item) {
                    // The stored spelling of the value stays (emails compare case-insensitively).
                    existing.extend(new.into_iter().filter(|(k, _)| k != "value"));
                }
                touched.push(i);
            }
            None => {
                elements.push(item);
                touched.push(elements.len() - 1);
            }
        }
    }
    clear_other_primaries(elements, &touched);
}

/// `add`/`replace` at `attr[filter]` or `attr[filter].sub`.
fn set_filtered(
    elements: &mut Vec<Value>,
    target: &Target<'_>,
    filter: &Filter,
    kind: PatchOpKind,
    value: &Value,
) -> Result<()> {
    let attr = target.attr;
    let label = target.label();
    // What the matching elements become: a sub-attribute value, or a whole element.
    let new_part: Map<String, Value> = match target.sub {
        Some(sub) => match normalize_single(sub, &label, value)? {
            Some(v) => Map::from_iter([(sub.name.to_owned(), v)]),
            None => Map::new(),
        },
        None => {
            let element = match value {
                Value::Array(items) if items.len() == 1 => &items[0],
                other => other,
            };
            match normalize_single(attr, &label, element)? {
                Some(Value::Object(obj)) => obj,
                _ => Map::new(),
            }
        }
    };
    let matching: Vec<usize> =
        elements.iter().enumerate().filter(|(_, e)| filter.matches_element(e, attr)).map(|(i, _)| i).collect();
    if matching.is_empty() {
        // Entra sends `emails[type eq "work"].value` for a user with no work email: create it.
        let Some(mut element) = element_from_eq_filter(attr, filter)? else {
            return Err(ScimError::no_target(format!("no value of '{}' matches '{}'", attr.name, target.path)));
        };
        element.extend(new_part);
        elements.push(Value::Object(element));
        let last = elements.len() - 1;
        clear_other_primaries(elements, &[last]);
        return Ok(());
    }
    for &i in &matching {
        if let Some(Value::Object(existing)) = elements.get_mut(i) {
            match (target.sub, kind) {
                (Some(sub), _) if new_part.is_empty() => {
                    existing.remove(sub.name);
                }
                // `replace` swaps a whole element; `add` merges into it.
                (None, PatchOpKind::Replace) => *existing = new_part.clone(),
                _ => existing.extend(new_part.clone()),
            }
        }
    }
    elements.retain(|e| e.as_object().is_none_or(|o| !o.is_empty()));
    clear_other_primaries(elements, &matching);
    Ok(())
}

/// `remove` at `target`; with a value on a whole multi-valued attribute, removes just those values.
fn remove(container: &mut Map<String, Value>, target: &Target<'_>, value: Option<&Value>) -> Result<()> {
    let attr = target.attr;
    // Removing what is not there changes nothing: clients retry, so this must be idempotent.
    match (attr.multi_valued, target.sub) {
        (false, None) => {
            container.remove(attr.name);
        }
        (false, Some(sub)) => {
            let mut obj = take_object(container, attr.name);
            obj.remove(sub.name);
            put_object(container, attr.name, obj);
        }
        (true, sub) => {
            let listed = match (target.filter, sub, value) {
                (None, None, Some(value)) => Some(listed_values(attr, value)?),
                _ => None,
            };
            let selected = |e: &Value| {
                target.filter.is_none_or(|f| f.matches_element(e, attr))
                    && listed.as_ref().is_none_or(|l| l.iter().any(|v| same_element(attr, e, v)))
            };
            let mut elements = take_array(container, attr.name);
            match sub {
                None => elements.retain(|e| !selected(e)),
                Some(sub) => remove_sub(&mut elements, sub.name, selected),
            }
            put_array(container, attr.name, elements);
        }
    }
    Ok(())
}

/// Removes sub-attribute `sub` from the selected elements, dropping elements left empty.
fn remove_sub(elements: &mut Vec<Value>, sub: &str, selected: impl Fn(&Value) -> bool) {
    for e in elements.iter_mut() {
        if selected(e) {
            if let Value::Object(obj) = e {
                obj.remove(sub);
            }
        }
    }
    elements.retain(|e| e.as_object().is_none_or(|o| !o.is_empty()));
}

/// The elements named by a `remove`'s value (`[{"value": "x"}]`), normalised for comparison.
fn listed_values(attr: &'static AttributeDef, value: &Value) -> Result<Vec<Value>> {
    let items = match value {
        Value::Array(_) => value.clone(),
        other => Value::Array(vec![other.clone()]),
    };
    match normalize_attribute(attr, attr.name, &items)? {
        Some(Value::Array(items)) => Ok(items),
        _ => Ok(Vec::new()),
    }
}

/// Whether two elements of a multi-valued attribute are the same value: same `value` (compared as the
/// schema says) and, when the new one names a `type`, the same type; without a `value`
/// sub-attribute, equal as JSON.
fn same_element(attr: &AttributeDef, existing: &Value, new: &Value) -> bool {
    let value_def = attr.sub_attribute("value");
    let (Some(value_def), Some(a), Some(b)) =
        (value_def, existing.get("value").and_then(Value::as_str), new.get("value").and_then(Value::as_str))
    else {
        return existing == new;
    };
    let same_value = if value_def.case_exact { a == b } else { a.to_lowercase() == b.to_lowercase() };
    let same_type = match (existing.get("type").and_then(Value::as_str), new.get("type").and_then(Value::as_str)) {
        (_, None) => true,
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        (None, Some(_)) => false,
    };
    same_value && same_type
}

/// Setting a new primary clears the others (RFC 7643 §2.4: at most one `primary: true`).
fn clear_other_primaries(elements: &mut [Value], touched: &[usize]) {
    if !touched.iter().any(|&i| elements.get(i).is_some_and(is_primary)) {
        return;
    }
    for (i, e) in elements.iter_mut().enumerate() {
        if !touched.contains(&i) && is_primary(e) {
            if let Value::Object(obj) = e {
                obj.insert("primary".to_owned(), Value::Bool(false));
            }
        }
    }
}

/// The element a filter of `eq` comparisons describes, when it names the element's `type`
/// (`type eq "work"`, `type eq "work" and primary eq true`); `None` for any other filter.
fn element_from_eq_filter(attr: &'static AttributeDef, filter: &Filter) -> Result<Option<Map<String, Value>>> {
    let mut element = Map::new();
    let mut stack = vec![filter];
    while let Some(node) = stack.pop() {
        match node {
            Filter::And(l, r) => {
                stack.push(r);
                stack.push(l);
            }
            Filter::Compare { path, op: CompareOp::Eq, value: value @ (Literal::String(_) | Literal::Bool(_)) }
                if path.urn.is_none() && path.sub.is_none() =>
            {
                let Some(sub) = attr.sub_attribute(&path.name) else {
                    return Ok(None);
                };
                if let Some(v) = normalize_single(sub, &format!("{}.{}", attr.name, sub.name), &value.to_json())? {
                    element.insert(sub.name.to_owned(), v);
                }
            }
            _ => return Ok(None),
        }
    }
    Ok(element.contains_key("type").then_some(element))
}

/// The member operation of a PATCH op whose path is `members[...]`.
fn member_op(kind: PatchOpKind, path: &PatchPath, value: Option<&Value>) -> Result<Option<MemberOp>> {
    if path.sub_attribute().is_some() {
        return Err(ScimError::invalid_path(format!(
            "'{path}': members are added, replaced or removed whole, not by sub-attribute"
        )));
    }
    match (&path.filter, kind) {
        (Some(filter), PatchOpKind::Remove) => {
            path.validate(&GROUP_RESOURCE)?;
            Ok(Some(match member_values_of(filter) {
                Some(values) => MemberOp::Remove(values),
                None => MemberOp::RemoveMatching(filter.clone()),
            }))
        }
        (Some(_), _) => Err(ScimError::invalid_path(format!(
            "'{path}': a filtered '{kind}' of members is not supported; add or remove members by value"
        ))),
        (None, PatchOpKind::Remove) => match value {
            // Entra removes members with `path: "members"` and a value listing them.
            Some(value) => {
                let values: Vec<String> = parse_members(value, true)?.into_iter().map(|m| m.value).collect();
                Ok((!values.is_empty()).then_some(MemberOp::Remove(values)))
            }
            None => Ok(Some(MemberOp::RemoveAll)),
        },
        (None, kind) => match value {
            Some(value) => member_value_op(kind, value),
            None => Err(ScimError::invalid_value(format!("'{kind}' operation needs a 'value'"))),
        },
    }
}

/// `add`/`replace` of a `members` value.
fn member_value_op(kind: PatchOpKind, value: &Value) -> Result<Option<MemberOp>> {
    let members = parse_members(value, true)?;
    Ok(match kind {
        PatchOpKind::Add if members.is_empty() => None,
        PatchOpKind::Add => Some(MemberOp::Add(members)),
        PatchOpKind::Replace => Some(MemberOp::Replace(members)),
        PatchOpKind::Remove => Some(MemberOp::Remove(members.into_iter().map(|m| m.value).collect())),
    })
}

/// The ids of `value eq "a" or value eq "b" ...`; `None` for any other filter.
fn member_values_of(filter: &Filter) -> Option<Vec<String>> {
    let mut values = Vec::new();
    let mut stack = vec![filter];
    while let Some(node) = stack.pop() {
        match node {
            Filter::Or(l, r) => {
                stack.push(r);
                stack.push(l);
            }
            Filter::Compare { path, op: CompareOp::Eq, value: Literal::String(v) }
                if path.urn.is_none() && path.sub.is_none() && path.name.eq_ignore_ascii_case("value") =>
            {
                if !values.contains(v) {
                    values.push(v.clone());
                }
            }
            _ => return None,
        }
    }
    Some(values)
}

#[cfg(test)]
mod tests;
