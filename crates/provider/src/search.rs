//! `POST /.search` at the service root (RFC 7644 §3.4.3): one SearchRequest over every resource type,
//! Users first, then Groups, paged as one list.

use crate::{Provider, Result};
use scim_core::schema::{GROUP_RESOURCE, USER_RESOURCE};
use scim_core::ListQuery;
use serde_json::Value;

impl Provider {
    /// Runs a root-level SearchRequest. A filter that names attributes only one type has (say
    /// `userName`) simply matches nothing of the other type.
    pub async fn search_all(&self, body: &Value) -> Result<Value> {
        let limits = self.options.limits;
        let user_q = ListQuery::from_search_body(body, &USER_RESOURCE, limits);
        let group_q = ListQuery::from_search_body(body, &GROUP_RESOURCE, limits);
        // Refuse only a request that fits neither type (a syntax error, or unknown attributes).
        let (user_q, group_q) = match (user_q, group_q) {
            (Err(e), Err(_)) => return Err(e.into()),
            (u, g) => (u.ok(), g.ok()),
        };
        let Some(q) = user_q.as_ref().or(group_q.as_ref()).cloned() else {
            return Ok(scim_core::list_response(0, 1, Vec::new()));
        };
        let (start, count) = (q.start_index, q.count);
        let mut resources = Vec::new();
        let mut total = 0;
        if let Some(uq) = user_q {
            let page = self.list_users(&uq).await?;
            total += take_page(page, &mut resources);
        }
        if let Some(mut gq) = group_q {
            // Groups continue where users left off: the (start - users)th group comes next.
            gq.start_index = start.saturating_sub(total).max(1);
            gq.count = count.saturating_sub(resources.len() as u64);
            let page = self.list_groups(&gq).await?;
            total += take_page(page, &mut resources);
        }
        Ok(scim_core::list_response(total, start, resources))
    }
}

/// Moves a ListResponse's resources into `out` and returns its totalResults.
fn take_page(mut page: Value, out: &mut Vec<Value>) -> u64 {
    if let Some(Value::Array(items)) = page.get_mut("Resources") {
        out.append(items);
    }
    page["totalResults"].as_u64().unwrap_or(0)
}
