//! SCIM Users: create, read, replace, patch, delete and list, each one transaction with its audit.

use crate::mirror;
use crate::roles::Cause;
use crate::{Error, Provider, Rendered, Result};
use scim_core::schema::USER_RESOURCE;
use scim_core::{AttrPath, ListQuery, PatchRequest, ScimError, User};
use serde_json::{json, Value};
use store::audit::{self, AuditEvent};
use store::users::{self, StoredUser};

/// How often a write is retried after losing an optimistic-concurrency race (no `If-Match` given).
const RETRIES: usize = 3;

/// The actor recorded for changes made through SCIM.
pub(crate) const SCIM_ACTOR: &str = "scim";

/// Checks an `If-Match` header against the current version.
pub(crate) fn check_if_match(if_match: Option<&str>, etag: &str, what: &str) -> Result<()> {
    match if_match.map(str::trim) {
        None | Some("*") => Ok(()),
        Some(given)
            if given
                .split(',')
                .any(|t| t.trim() == etag || t.trim().trim_start_matches("W/") == etag.trim_start_matches("W/")) =>
        {
            Ok(())
        }
        Some(given) => Err(ScimError::precondition_failed(format!("{what} is at version {etag}, not {given}")).into()),
    }
}

/// Top-level attribute names whose values differ between two documents (for the audit log).
pub(crate) fn changed_attributes(
    old: &serde_json::Map<String, Value>,
    new: &serde_json::Map<String, Value>,
) -> Vec<String> {
    let mut keys: Vec<String> = old
        .iter()
        .filter(|(k, v)| new.get(*k) != Some(v))
        .map(|(k, _)| k.clone())
        .chain(new.keys().filter(|k| !old.contains_key(*k)).cloned())
        .collect();
    keys.sort();
    keys
}

fn not_found(id: &str) -> Error {
    ScimError::not_found(format!("User {id} not found")).into()
}

/// Retries `attempt` when it lost a concurrency race and the client did not pin a version.
pub(crate) async fn retrying<T, F, Fut>(if_match: Option<&str>, mut attempt: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let mut tries = 0;
    loop {
        match attempt().await {
            Err(Error::Store(store::Error::VersionMismatch(_))) if if_match.is_none() && tries < RETRIES => tries += 1,
            other => return other,
        }
    }
}

impl Provider {
    fn render_user(
        &self,
        u: &StoredUser,
        groups: &[scim_core::GroupRef],
        attrs: &[AttrPath],
        excluded: &[AttrPath],
    ) -> Rendered {
        let mut json = scim_core::render_user(&self.options.base_url, &u.id, &u.user, &u.meta, groups);
        scim_core::project(&mut json, &USER_RESOURCE, attrs, excluded);
        Rendered { json, etag: u.meta.etag() }
    }

    /// `POST /Users`.
    pub async fn create_user(&self, body: &Value) -> Result<Rendered> {
        let user = User::from_json(body)?;
        let id = uuid::Uuid::new_v4().to_string();
        let sync = self.settings().await?.group_sync_effective();
        let now = store::time::now();
        let txn = self.store.write().await?;
        let stored = users::insert(&*txn, &id, &user, now).await?;
        let detail =
            json!({ "userName": user.user_name.as_str(), "externalId": user.external_id, "active": user.active });
        audit::append(&*txn, &AuditEvent::new(now, SCIM_ACTOR, "user.created", "User", Some(&id), detail)).await?;
        if sync {
            let cause = Cause { actor: SCIM_ACTOR, reason: "user.created" };
            crate::roles::assign_default_role(&*txn, &id, user.user_name.as_str(), cause).await?;
        }
        mirror::enqueue_sync(&*txn, self.options.cognito_outbox, std::slice::from_ref(&id)).await?;
        txn.commit().await?;
        Ok(self.render_user(&stored, &[], &[], &[]))
    }

    /// `GET /Users/{id}` with `attributes` / `excludedAttributes`.
    pub async fn get_user(&self, id: &str, attrs: &[AttrPath], excluded: &[AttrPath]) -> Result<Rendered> {
        let conn = self.store.conn();
        let (user, groups) = if scim_core::needs_attribute(&USER_RESOURCE, attrs, excluded, "groups") {
            users::get_with_groups(conn, id).await?
        } else {
            users::get(conn, id).await?.map(|u| (u, Vec::new()))
        }
        .ok_or_else(|| not_found(id))?;
        Ok(self.render_user(&user, &groups, attrs, excluded))
    }

    /// Shared body of PUT and PATCH: read, compute the new document, write, audit — one transaction.
    async fn modify_user<F>(&self, id: &str, if_match: Option<&str>, action: &str, compute: F) -> Result<Rendered>
    where
        F: Fn(&StoredUser) -> Result<User>,
    {
        let sync = self.settings().await?.group_sync_effective();
        let stored = retrying(if_match, || async {
            let now = store::time::now();
            let txn = self.store.write().await?;
            let current = users::get(&*txn, id).await?.ok_or_else(|| not_found(id))?;
            check_if_match(if_match, &current.meta.etag(), &format!("User {id}"))?;
            let new = compute(&current)?;
            let changed = changed_attributes(&current.user.attributes, &new.attributes);
            let stored = users::update(&*txn, &current, &new, now).await?;
            let mut detail = json!({ "userName": new.user_name.as_str(), "changed": changed });
            if current.user.active != new.active {
                detail["active"] = json!(new.active);
            }
            audit::append(&*txn, &AuditEvent::new(now, SCIM_ACTOR, action, "User", Some(id), detail)).await?;
            if sync && !current.user.active && new.active {
                // Reactivation: the rules may have changed while the user was deactivated.
                let cause = Cause { actor: SCIM_ACTOR, reason: "user.reactivated" };
                self.recompute(&*txn, &[id.to_owned()], cause).await?;
            }
            mirror::enqueue_sync(&*txn, self.options.cognito_outbox, &[id.to_owned()]).await?;
            txn.commit().await?;
            Ok(stored)
        })
        .await?;
        let groups = users::groups_of(self.store.conn(), &[id]).await?.remove(id).unwrap_or_default();
        Ok(self.render_user(&stored, &groups, &[], &[]))
    }

    /// `PUT /Users/{id}`: replaces the whole document.
    pub async fn replace_user(&self, id: &str, body: &Value, if_match: Option<&str>) -> Result<Rendered> {
        let user = User::from_json(body)?;
        self.modify_user(id, if_match, "user.replaced", |_| Ok(user.clone())).await
    }

    /// `PATCH /Users/{id}`: applies every operation or none.
    pub async fn patch_user(&self, id: &str, body: &Value, if_match: Option<&str>) -> Result<Rendered> {
        let request = PatchRequest::from_json(body)?;
        self.modify_user(id, if_match, "user.patched", |current| {
            Ok(scim_core::patch_user(id, &current.user, &request)?)
        })
        .await
    }

    /// `DELETE /Users/{id}`: the row goes, the audit trail stays.
    pub async fn delete_user(&self, id: &str) -> Result<()> {
        let now = store::time::now();
        let txn = self.store.write().await?;
        let current = users::get(&*txn, id).await?.ok_or_else(|| not_found(id))?;
        users::delete(&*txn, id).await?;
        let detail = json!({ "userName": current.user.user_name.as_str() });
        audit::append(&*txn, &AuditEvent::new(now, SCIM_ACTOR, "user.deleted", "User", Some(id), detail)).await?;
        mirror::enqueue_delete(&*txn, self.options.cognito_outbox, id, current.user.user_name.as_str()).await?;
        txn.commit().await?;
        Ok(())
    }

    /// `GET /Users` and `POST /Users/.search`: a ListResponse.
    pub async fn list_users(&self, q: &ListQuery) -> Result<Value> {
        let conn = self.store.conn();
        let page = users::list(conn, q, &self.options.base_url).await?;
        let groups = if scim_core::needs_attribute(&USER_RESOURCE, &q.attributes, &q.excluded_attributes, "groups") {
            let ids: Vec<&str> = page.items.iter().map(|u| u.id.as_str()).collect();
            users::groups_of(conn, &ids).await?
        } else {
            Default::default()
        };
        let resources = page
            .items
            .iter()
            .map(|u| {
                let g = groups.get(&u.id).map(Vec::as_slice).unwrap_or_default();
                self.render_user(u, g, &q.attributes, &q.excluded_attributes).json
            })
            .collect();
        Ok(scim_core::list_response(page.total, q.start_index, resources))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(if_match: Option<&str>, etag: &str, ok: bool) {
        assert_eq!(check_if_match(if_match, etag, "User 1").is_ok(), ok, "{if_match:?} vs {etag}");
    }

    #[test]
    fn if_match_semantics() {
        check(None, "W/\"1\"", true);
        check(Some("*"), "W/\"1\"", true);
        check(Some("W/\"1\""), "W/\"1\"", true);
        check(Some("\"1\""), "W/\"1\"", true);
        check(Some("W/\"2\", W/\"1\""), "W/\"1\"", true);
        check(Some("W/\"2\""), "W/\"1\"", false);
    }
}
