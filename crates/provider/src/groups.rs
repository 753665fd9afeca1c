//! SCIM Groups: create, read, replace, patch, delete and list. Membership changes touch only the
//! members they name; unknown member ids refuse the whole request (no dangling memberships).

use crate::roles::Cause;
use crate::users::{changed_attributes, check_if_match, retrying, SCIM_ACTOR};
use crate::{Error, GroupPatchResponse, Provider, Rendered, Result};
use scim_core::schema::GROUP_RESOURCE;
use scim_core::{AttrPath, Filter, Group, ListQuery, Member, MemberOp, PatchRequest, ScimError};
use serde_json::{json, Value};
use std::collections::HashSet;
use store::audit::{self, AuditEvent};
use store::groups::{self, StoredGroup};
use store::{users, ConnectionTrait};

fn not_found(id: &str) -> Error {
    ScimError::not_found(format!("Group {id} not found")).into()
}

/// Refuses member ids that are not existing users, naming them.
async fn require_users<C: ConnectionTrait>(c: &C, ids: &[String]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let found = users::existing_ids(c, ids).await?;
    let mut unknown: Vec<&str> = ids.iter().filter(|id| !found.contains(*id)).map(String::as_str).collect();
    if unknown.is_empty() {
        return Ok(());
    }
    unknown.sort_unstable();
    unknown.dedup();
    let shown = unknown.iter().take(20).copied().collect::<Vec<_>>().join(", ");
    let more = if unknown.len() > 20 { format!(" and {} more", unknown.len() - 20) } else { String::new() };
    Err(ScimError::invalid_value(format!("members must be existing Users; unknown member ids: {shown}{more}")).into())
}

fn member_ids(members: &[Member]) -> Vec<String> {
    let mut seen = HashSet::new();
    members.iter().filter(|m| seen.insert(m.value.as_str())).map(|m| m.value.clone()).collect()
}

/// `members` without repeated ids (the first occurrence wins).
fn distinct(members: &[Member]) -> Vec<Member> {
    let mut seen = HashSet::new();
    members.iter().filter(|m| seen.insert(m.value.as_str())).cloned().collect()
}

/// Counts of a membership change, for the audit log, and (when tracked) the users it touched.
#[derive(Default)]
struct MemberDelta {
    added: usize,
    removed: usize,
    cleared: bool,
    /// Users added or removed, for role recomputation: filled only when `track` is on, because
    /// clearing a group then costs a read of its previous members.
    touched: Vec<String>,
}

/// Applies member operations in request order.
async fn apply_member_ops<C: ConnectionTrait>(
    c: &C,
    group_id: &str,
    ops: &[MemberOp],
    track: bool,
) -> Result<MemberDelta> {
    let mut delta = MemberDelta::default();
    for op in ops {
        if track && matches!(op, MemberOp::RemoveAll | MemberOp::Replace(_)) {
            delta.touched.extend(groups::member_ids(c, group_id).await?);
        }
        match op {
            MemberOp::Add(members) => {
                let members = distinct(members);
                groups::add_members(c, group_id, &members).await?;
                delta.added += members.len();
                if track {
                    delta.touched.extend(member_ids(&members));
                }
            }
            MemberOp::Remove(ids) => {
                groups::remove_members(c, group_id, ids).await?;
                delta.removed += ids.len();
                if track {
                    delta.touched.extend(ids.iter().cloned());
                }
            }
            MemberOp::RemoveAll => {
                groups::remove_all_members(c, group_id).await?;
                delta.cleared = true;
            }
            MemberOp::Replace(members) => {
                let members = distinct(members);
                groups::remove_all_members(c, group_id).await?;
                groups::add_members(c, group_id, &members).await?;
                delta.cleared = true;
                delta.added += members.len();
                if track {
                    delta.touched.extend(member_ids(&members));
                }
            }
            MemberOp::RemoveMatching(filter) => {
                let ids = matching_members(c, group_id, filter).await?;
                groups::remove_members(c, group_id, &ids).await?;
                delta.removed += ids.len();
                if track {
                    delta.touched.extend(ids);
                }
            }
        }
    }
    Ok(delta)
}

/// The members selected by `members[<filter>]` when the filter is not a plain list of ids.
async fn matching_members<C: ConnectionTrait>(c: &C, group_id: &str, filter: &Filter) -> Result<Vec<String>> {
    let path = Filter::ValuePath {
        path: AttrPath { urn: None, name: "members".into(), sub: None },
        filter: Box::new(filter.clone()),
    };
    Ok(groups::members(c, group_id)
        .await?
        .into_iter()
        .filter(|m| {
            let one = json!({ "members": [{ "value": m.value, "display": m.display, "type": m.kind }] });
            path.matches(&one, &GROUP_RESOURCE)
        })
        .map(|m| m.value)
        .collect())
}

impl Provider {
    fn render_group(
        &self,
        g: &StoredGroup,
        members: Option<&[Member]>,
        attrs: &[AttrPath],
        excluded: &[AttrPath],
    ) -> Rendered {
        let mut json = scim_core::render_group(&self.options.base_url, &g.id, &g.group, &g.meta, members);
        scim_core::project(&mut json, &GROUP_RESOURCE, attrs, excluded);
        Rendered { json, etag: g.meta.etag() }
    }

    /// `POST /Groups`.
    pub async fn create_group(&self, body: &Value) -> Result<Rendered> {
        let (group, members) = Group::from_json(body)?;
        let id = uuid::Uuid::new_v4().to_string();
        let members = distinct(&members);
        let sync = self.settings().await?.group_sync_effective();
        let now = store::time::now();
        let txn = self.store.write().await?;
        require_users(&*txn, &member_ids(&members)).await?;
        let stored = groups::insert(&*txn, &id, &group, now).await?;
        groups::add_members(&*txn, &id, &members).await?;
        let detail = json!({ "displayName": group.display_name, "members": members.len() });
        audit::append(&*txn, &AuditEvent::new(now, SCIM_ACTOR, "group.created", "Group", Some(&id), detail)).await?;
        if sync {
            // Even without members: recomputing binds a name rule to the new group.
            self.recompute(&*txn, &member_ids(&members), Cause { actor: SCIM_ACTOR, reason: "group.created" }).await?;
        }
        let members = groups::members(&*txn, &id).await?;
        txn.commit().await?;
        Ok(self.render_group(&stored, Some(&members), &[], &[]))
    }

    /// `GET /Groups/{id}`; members are read only when the projection returns them.
    pub async fn get_group(&self, id: &str, attrs: &[AttrPath], excluded: &[AttrPath]) -> Result<Rendered> {
        let conn = self.store.conn();
        let group = groups::get(conn, id).await?.ok_or_else(|| not_found(id))?;
        let members = if scim_core::needs_attribute(&GROUP_RESOURCE, attrs, excluded, "members") {
            Some(groups::members(conn, id).await?)
        } else {
            None
        };
        Ok(self.render_group(&group, members.as_deref(), attrs, excluded))
    }

    /// Shared body of PUT and PATCH.
    async fn modify_group<F>(
        &self,
        id: &str,
        if_match: Option<&str>,
        action: &str,
        answer: (&[AttrPath], &[AttrPath]),
        compute: F,
    ) -> Result<Rendered>
    where
        F: Fn(&StoredGroup) -> Result<(Group, Vec<MemberOp>)>,
    {
        let (attrs, excluded) = answer;
        let with_members = scim_core::needs_attribute(&GROUP_RESOURCE, attrs, excluded, "members");
        let sync = self.settings().await?.group_sync_effective();
        let (stored, members) = retrying(if_match, || async {
            let now = store::time::now();
            let txn = self.store.write().await?;
            let current = groups::get(&*txn, id).await?.ok_or_else(|| not_found(id))?;
            check_if_match(if_match, &current.meta.etag(), &format!("Group {id}"))?;
            let (group, ops) = compute(&current)?;
            let mut to_check = Vec::new();
            for op in &ops {
                if let MemberOp::Add(m) | MemberOp::Replace(m) = op {
                    to_check.extend(member_ids(m));
                }
            }
            require_users(&*txn, &to_check).await?;
            let delta = apply_member_ops(&*txn, id, &ops, sync).await?;
            let changed = changed_attributes(&current.group.attributes, &group.attributes);
            let stored = groups::update(&*txn, &current, &group, now).await?;
            let detail = json!({
                "displayName": group.display_name,
                "changed": changed,
                "membersAdded": delta.added,
                "membersRemoved": delta.removed,
                "membersCleared": delta.cleared,
            });
            audit::append(&*txn, &AuditEvent::new(now, SCIM_ACTOR, action, "Group", Some(id), detail)).await?;
            // Only a group some rule applies to (before or after this change) bears on roles: the
            // members Okta adds to or removes from other groups keep their role, and skipping them
            // keeps a big unmapped group's PATCH at the cost of its membership rows.
            let refs = [group_ref(id, &current.group), group_ref(id, &group)];
            if sync && crate::roles::any_mapped(&*txn, &refs).await? {
                let cause = Cause { actor: SCIM_ACTOR, reason: action };
                // A new name or externalId can change which rule matches the group: every member
                // is affected, and so are the members this request removed.
                if current.group.display_name != group.display_name || current.group.external_id != group.external_id {
                    self.recompute_group(&*txn, id, &delta.touched, cause).await?;
                } else {
                    self.recompute(&*txn, &delta.touched, cause).await?;
                }
            }
            let members = if with_members { Some(groups::members(&*txn, id).await?) } else { None };
            txn.commit().await?;
            Ok((stored, members))
        })
        .await?;
        Ok(self.render_group(&stored, members.as_deref(), attrs, excluded))
    }

    /// `PUT /Groups/{id}`: replaces the document and the member list.
    pub async fn replace_group(&self, id: &str, body: &Value, if_match: Option<&str>) -> Result<Rendered> {
        let (group, members) = Group::from_json(body)?;
        self.modify_group(id, if_match, "group.replaced", (&[], &[]), |_| {
            Ok((group.clone(), vec![MemberOp::Replace(members.clone())]))
        })
        .await
    }

    /// `PATCH /Groups/{id}`: all operations or none; the answer is projected by `attrs`/`excluded`
    /// (so a client may skip a large member list with `excludedAttributes=members`).
    pub async fn patch_group(
        &self,
        id: &str,
        body: &Value,
        if_match: Option<&str>,
        attrs: &[AttrPath],
        excluded: &[AttrPath],
    ) -> Result<Rendered> {
        let request = PatchRequest::from_json(body)?;
        let asked_for_members = attrs.iter().any(|a| a.name.eq_ignore_ascii_case("members"));
        let mut excluded = excluded.to_vec();
        if self.options.group_patch_response != GroupPatchResponse::Full && !asked_for_members {
            excluded.push(AttrPath { urn: None, name: "members".into(), sub: None });
        }
        self.modify_group(id, if_match, "group.patched", (attrs, &excluded), |current| {
            let patch = scim_core::patch_group(id, &current.group, &request)?;
            Ok((patch.group, patch.members))
        })
        .await
    }

    /// `DELETE /Groups/{id}`.
    pub async fn delete_group(&self, id: &str) -> Result<()> {
        let sync = self.settings().await?.group_sync_effective();
        let now = store::time::now();
        let txn = self.store.write().await?;
        let current = groups::get(&*txn, id).await?.ok_or_else(|| not_found(id))?;
        // Read before the memberships go.
        let former_members = if sync { groups::member_ids(&*txn, id).await? } else { Vec::new() };
        groups::delete(&*txn, id).await?;
        // A rule following this group by id would grant nothing from now on; matching by name again
        // lets a group Okta re-pushes under the same name inherit the mapping.
        store::roles::unbind_group(&*txn, id).await?;
        let detail = json!({ "displayName": current.group.display_name });
        audit::append(&*txn, &AuditEvent::new(now, SCIM_ACTOR, "group.deleted", "Group", Some(id), detail)).await?;
        if sync {
            self.recompute(&*txn, &former_members, Cause { actor: SCIM_ACTOR, reason: "group.deleted" }).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// `GET /Groups` and `POST /Groups/.search`.
    pub async fn list_groups(&self, q: &ListQuery) -> Result<Value> {
        let conn = self.store.conn();
        let page = groups::list(conn, q, &self.options.base_url).await?;
        let with_members =
            scim_core::needs_attribute(&GROUP_RESOURCE, &q.attributes, &q.excluded_attributes, "members");
        let mut resources = Vec::with_capacity(page.items.len());
        for g in &page.items {
            let members = if with_members { Some(groups::members(conn, &g.id).await?) } else { None };
            resources.push(self.render_group(g, members.as_deref(), &q.attributes, &q.excluded_attributes).json);
        }
        Ok(scim_core::list_response(page.total, q.start_index, resources))
    }
}

/// The role engine's view of a stored group.
fn group_ref(id: &str, group: &Group) -> rolemap::GroupRef {
    rolemap::GroupRef {
        id: id.to_owned(),
        external_id: group.external_id.clone(),
        display_name: group.display_name.clone(),
    }
}
