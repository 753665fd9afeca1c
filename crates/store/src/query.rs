//! SCIM filter pushdown: scim-core's filter AST translated to SQL conditions, and the list runner that
//! pages through results.
//!
//! A filter translates *exactly* when SQL alone decides it (then SQL counts and pages); otherwise the
//! translatable part yields a *superset* of the matches (an `and` keeps its translatable side, an `or`
//! needs both), and the candidates are paged through in bounded chunks and evaluated in Rust.
//! Attributes pushed down: `id`, `externalId`, `userName`, `displayName`, `active`, `emails.value`,
//! `meta.created`, `meta.lastModified`, `members.value`, `groups.value`.

use crate::entity::{group_members, groups, users};
use crate::{Error, Page, Result};
use scim_core::schema::{ResourceType, GROUP_RESOURCE, USER_RESOURCE};
use scim_core::{AttrPath, CompareOp, Filter, ListQuery, Literal, SortOrder};
use sea_orm::sea_query::{Expr, Func, LikeExpr, Query, SimpleExpr};
use sea_orm::{ConnectionTrait, EntityTrait, Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select};
use std::future::Future;

/// Which resource type a query runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `/Users`.
    Users,
    /// `/Groups`.
    Groups,
}

impl Target {
    /// The scim-core resource type of this target.
    pub fn resource_type(self) -> &'static ResourceType {
        match self {
            Target::Users => &USER_RESOURCE,
            Target::Groups => &GROUP_RESOURCE,
        }
    }
}

/// How many candidate rows are read per round trip when a filter is evaluated in Rust.
const CHUNK: u64 = 500;
/// Most matches sorted in memory when `sortBy` names an attribute that has no column.
pub const MAX_IN_MEMORY_SORT: usize = 20_000;

/// A column a SCIM attribute maps to.
#[derive(Debug, Clone, Copy)]
enum Col {
    /// A text column; `folded` columns hold lower-cased values (caseExact=false attributes).
    Text { col: (Tbl, &'static str), folded: bool, nullable: bool },
    /// A nullable boolean (NULL when the document has no value).
    Bool((Tbl, &'static str)),
    /// Microseconds since the epoch.
    Time((Tbl, &'static str)),
    /// `users.emails.value`, through `user_emails`.
    EmailValue,
    /// `groups.members.value`, through `group_members`.
    MemberValue,
    /// `users.groups.value`, through `group_members`.
    UserGroupValue,
}

#[derive(Debug, Clone, Copy)]
enum Tbl {
    Users,
    Groups,
}

fn col_ref((table, name): (Tbl, &'static str)) -> Expr {
    use sea_orm::sea_query::Alias;
    let table = match table {
        Tbl::Users => "users",
        Tbl::Groups => "groups",
    };
    Expr::col((Alias::new(table), Alias::new(name)))
}

fn column(target: Target, path: &AttrPath) -> Option<Col> {
    let resolved = path.resolve(target.resource_type())?;
    if resolved.extension_urn().is_some() {
        return None;
    }
    let name = resolved.attribute.name;
    let sub = resolved.sub_attribute.map(|s| s.name);
    let t = match target {
        Target::Users => Tbl::Users,
        Target::Groups => Tbl::Groups,
    };
    let text = |name, folded, nullable| Some(Col::Text { col: (t, name), folded, nullable });
    match (target, name, sub) {
        (_, "id", None) => text("id", false, false),
        (_, "externalId", None) => text("external_id", false, true),
        (Target::Users, "userName", None) => text("user_name_folded", true, false),
        (Target::Users, "displayName", None) => text("display_name_folded", true, true),
        (Target::Groups, "displayName", None) => text("display_name_folded", true, false),
        (Target::Users, "active", None) => Some(Col::Bool((t, "active"))),
        (_, "meta", Some("created")) => Some(Col::Time((t, "created_at"))),
        (_, "meta", Some("lastModified")) => Some(Col::Time((t, "updated_at"))),
        (Target::Users, "emails", None | Some("value")) => Some(Col::EmailValue),
        (Target::Groups, "members", None | Some("value")) => Some(Col::MemberValue),
        (Target::Users, "groups", None | Some("value")) => Some(Col::UserGroupValue),
        _ => None,
    }
}

/// A translated condition and whether it decides the filter exactly (else it is a superset).
#[derive(Debug, Clone)]
pub struct Translation {
    /// The SQL condition.
    pub expr: SimpleExpr,
    /// True when SQL alone decides the filter.
    pub exact: bool,
}

fn exact(expr: SimpleExpr) -> Option<Translation> {
    Some(Translation { expr, exact: true })
}

fn always() -> SimpleExpr {
    Expr::cust("1 = 1")
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

fn like_pattern(op: CompareOp, value: &str) -> Option<LikeExpr> {
    let v = like_escape(value);
    let pattern = match op {
        CompareOp::Co => format!("%{v}%"),
        CompareOp::Sw => format!("{v}%"),
        CompareOp::Ew => format!("%{v}"),
        _ => return None,
    };
    Some(LikeExpr::new(pattern).escape('\\'))
}

/// A text comparison on an already-folded value.
fn text_compare(e: Expr, op: CompareOp, v: String, nullable: bool) -> Option<SimpleExpr> {
    // `x IS NOT NULL AND …` keeps the result two-valued, so `not (…)` stays exact over NULLs.
    let guard = |cond: SimpleExpr| if nullable { e.clone().is_not_null().and(cond) } else { cond };
    match op {
        CompareOp::Eq => Some(guard(e.clone().eq(v))),
        CompareOp::Ne => Some(if nullable { e.clone().is_null().or(e.clone().ne(v)) } else { e.clone().ne(v) }),
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => Some(guard(e.clone().like(like_pattern(op, &v)?))),
        // String ordering differs between SQLite (binary) and PostgreSQL (collation): not pushed down.
        CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le => None,
    }
}

fn in_subquery(outer: Expr, select: sea_orm::sea_query::SelectStatement) -> SimpleExpr {
    outer.in_subquery(select)
}

fn compare(target: Target, path: &AttrPath, op: CompareOp, value: &Literal) -> Option<Translation> {
    let col = column(target, path)?;
    match (col, value) {
        (Col::Text { col, folded, nullable }, Literal::String(s)) => {
            let v = if folded { s.to_lowercase() } else { s.clone() };
            let expr = text_compare(col_ref(col), op, v, nullable)?;
            // LIKE is case-insensitive on SQLite: on a case-exact column it only narrows.
            let is_like = matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew);
            Some(Translation { expr, exact: folded || !is_like })
        }
        (Col::Bool(col), Literal::Bool(b)) => match op {
            CompareOp::Eq => exact(col_ref(col).is_not_null().and(col_ref(col).eq(*b))),
            CompareOp::Ne => exact(col_ref(col).is_null().or(col_ref(col).ne(*b))),
            _ => None,
        },
        (Col::Time(col), Literal::String(s)) => {
            let t = chrono::DateTime::parse_from_rfc3339(s).ok()?.with_timezone(&chrono::Utc);
            // Stored instants are whole microseconds: a finer literal would be truncated (and, say,
            // `ge` match the instant just before it). Such a literal is evaluated in Rust.
            if t.timestamp_subsec_nanos() % 1_000 != 0 {
                return None;
            }
            let micros = crate::time::to_micros(t);
            let e = col_ref(col);
            exact(match op {
                CompareOp::Eq => e.eq(micros),
                CompareOp::Ne => e.ne(micros),
                CompareOp::Gt => e.gt(micros),
                CompareOp::Ge => e.gte(micros),
                CompareOp::Lt => e.lt(micros),
                CompareOp::Le => e.lte(micros),
                _ => return None,
            })
        }
        (Col::EmailValue, Literal::String(s)) => {
            let cond = text_compare(crate::users::email_value_col(), op, s.to_lowercase(), false)?;
            if op == CompareOp::Ne {
                return None; // "some e-mail differs" is not "no e-mail equals": evaluate in Rust
            }
            exact(in_subquery(col_ref((Tbl::Users, "id")), crate::users::email_subquery(cond)))
        }
        (Col::MemberValue, Literal::String(s)) if op == CompareOp::Eq => exact(in_subquery(
            col_ref((Tbl::Groups, "id")),
            Query::select()
                .column(group_members::Column::GroupId)
                .from(group_members::Entity)
                .and_where(Expr::col(group_members::Column::UserId).eq(s.clone()))
                .to_owned(),
        )),
        // `groups.value` is not caseExact (RFC 7643 §8.7.1): compare folded group ids, found in the
        // (small) groups table so the membership index still serves the look-up. SQL's LOWER folds
        // ASCII only, which is exact for ASCII literals; others are evaluated in Rust.
        (Col::UserGroupValue, Literal::String(s)) if op == CompareOp::Eq && s.is_ascii() => exact(in_subquery(
            col_ref((Tbl::Users, "id")),
            Query::select()
                .column(group_members::Column::UserId)
                .from(group_members::Entity)
                .and_where(
                    Expr::col(group_members::Column::GroupId).in_subquery(
                        Query::select()
                            .column(groups::Column::Id)
                            .from(groups::Entity)
                            .and_where(Expr::expr(Func::lower(Expr::col(groups::Column::Id))).eq(s.to_lowercase()))
                            .to_owned(),
                    ),
                )
                .to_owned(),
        )),
        _ => None,
    }
}

fn present(target: Target, path: &AttrPath) -> Option<Translation> {
    let col = column(target, path)?;
    match col {
        Col::Text { col, nullable: true, .. } => exact(col_ref(col).is_not_null().and(col_ref(col).ne(""))),
        Col::Bool(col) => exact(col_ref(col).is_not_null()),
        Col::Text { nullable: false, .. } | Col::Time(_) => exact(always()),
        // `emails pr` also holds for an element without a value, which the index does not see.
        Col::EmailValue if path.sub.is_none() => None,
        // An empty value is indexed but not present.
        Col::EmailValue => exact(in_subquery(
            col_ref((Tbl::Users, "id")),
            crate::users::email_subquery(crate::users::email_value_col().ne("")),
        )),
        Col::MemberValue => exact(in_subquery(
            col_ref((Tbl::Groups, "id")),
            Query::select().column(group_members::Column::GroupId).from(group_members::Entity).to_owned(),
        )),
        Col::UserGroupValue => exact(in_subquery(
            col_ref((Tbl::Users, "id")),
            Query::select().column(group_members::Column::UserId).from(group_members::Entity).to_owned(),
        )),
    }
}

/// Rewrites the relative paths inside `attr[...]` as `attr.sub` paths.
fn rebase(outer: &AttrPath, inner: &Filter) -> Filter {
    let path = |p: &AttrPath| AttrPath { urn: outer.urn.clone(), name: outer.name.clone(), sub: Some(p.name.clone()) };
    match inner {
        Filter::Compare { path: p, op, value } => Filter::Compare { path: path(p), op: *op, value: value.clone() },
        Filter::Present(p) => Filter::Present(path(p)),
        Filter::And(a, b) => Filter::And(Box::new(rebase(outer, a)), Box::new(rebase(outer, b))),
        Filter::Or(a, b) => Filter::Or(Box::new(rebase(outer, a)), Box::new(rebase(outer, b))),
        Filter::Not(a) => Filter::Not(Box::new(rebase(outer, a))),
        Filter::ValuePath { .. } => inner.clone(),
    }
}

/// `filter` without its negated parts (`None` when nothing is left). Inside `attr[...]` each condition
/// becomes "some element matches", so a negated one would become "no element matches": stronger than
/// "the matching element does not", hence no longer a superset. Dropping it only widens.
fn drop_negations(filter: &Filter) -> Option<Filter> {
    match filter {
        Filter::Not(_) => None,
        Filter::And(a, b) => match (drop_negations(a), drop_negations(b)) {
            (Some(a), Some(b)) => Some(Filter::and(a, b)),
            (a, b) => a.or(b),
        },
        Filter::Or(a, b) => Some(Filter::or(drop_negations(a)?, drop_negations(b)?)),
        _ => Some(filter.clone()),
    }
}

/// Translates `filter` for `target`. `None` means SQL cannot narrow it at all.
pub fn translate(target: Target, filter: &Filter) -> Option<Translation> {
    match filter {
        Filter::Compare { path, op, value } => compare(target, path, *op, value),
        Filter::Present(path) => present(target, path),
        Filter::And(a, b) => match (translate(target, a), translate(target, b)) {
            (Some(x), Some(y)) => Some(Translation { expr: x.expr.and(y.expr), exact: x.exact && y.exact }),
            (Some(x), None) | (None, Some(x)) => Some(Translation { expr: x.expr, exact: false }),
            (None, None) => None,
        },
        Filter::Or(a, b) => {
            let (x, y) = (translate(target, a)?, translate(target, b)?);
            Some(Translation { expr: x.expr.or(y.expr), exact: x.exact && y.exact })
        }
        Filter::Not(a) => {
            let x = translate(target, a)?;
            x.exact.then(|| Translation { expr: x.expr.not(), exact: true })
        }
        Filter::ValuePath { path, filter: inner } => {
            let single = matches!(**inner, Filter::Compare { .. } | Filter::Present(_));
            let rebased = rebase(path, &drop_negations(inner)?);
            // Only one condition on one element decides exactly: two conditions may hold on different
            // elements, which the per-column sub-selects cannot tell apart.
            match translate(target, &rebased)? {
                t if single => Some(t),
                t => Some(Translation { expr: t.expr, exact: false }),
            }
        }
    }
}

/// The SQL sort column of `path`, if it has one.
fn sort_column(target: Target, path: &AttrPath) -> Option<Expr> {
    match column(target, path)? {
        Col::Text { col, .. } | Col::Bool(col) | Col::Time(col) => Some(col_ref(col)),
        _ => None,
    }
}

/// What a decoded chunk gives the runner: the item and its rendered JSON (for Rust-side evaluation).
pub(crate) type Rendered<T> = (T, serde_json::Value);

/// Runs `q` over `select` (of the target's entity): pushes down what it can, evaluates the rest.
/// `load` decodes a chunk of rows and renders each for evaluation.
pub(crate) async fn run<C, E, T, F, Fut>(
    c: &C,
    target: Target,
    select: Select<E>,
    id_col: E::Column,
    q: &ListQuery,
    mut load: F,
) -> Result<Page<T>>
where
    C: ConnectionTrait,
    E: EntityTrait,
    E::Model: Sync,
    F: FnMut(Vec<E::Model>, bool) -> Fut,
    Fut: Future<Output = Result<Vec<Rendered<T>>>>,
{
    let rt = target.resource_type();
    let translation = q.filter.as_ref().map(|f| translate(target, f));
    let (select, exact) = match translation {
        None => (select, true),
        Some(None) => (select, false),
        Some(Some(t)) => (select.filter(t.expr), t.exact),
    };
    let order = match q.sort_order {
        SortOrder::Ascending => Order::Asc,
        SortOrder::Descending => Order::Desc,
    };
    let sql_sort = q.sort_by.as_ref().map(|p| sort_column(target, p));
    let select = match &sql_sort {
        Some(Some(col)) => select
            .order_by(col.clone().is_null(), order.clone())
            .order_by(col.clone(), order.clone())
            .order_by(id_col, Order::Asc),
        _ => select.order_by(id_col, Order::Asc),
    };
    let offset = q.start_index.saturating_sub(1);
    let sorts_in_sql = !matches!(sql_sort, Some(None));

    if exact && sorts_in_sql {
        if q.count == 0 {
            return Ok(Page { total: select.count(c).await?, items: Vec::new() });
        }
        let rows = select.clone().offset(offset).limit(q.count).all(c).await?;
        let fetched = rows.len() as u64;
        // A short, non-empty page is the last one: its end is the total, and the COUNT query (half
        // the cost of Okta's `userName eq` look-up) is not needed.
        let total =
            if fetched < q.count && (fetched > 0 || offset == 0) { offset + fetched } else { select.count(c).await? };
        let items = load(rows, false).await?.into_iter().map(|(item, _)| item).collect();
        return Ok(Page { total, items });
    }

    // Evaluate in Rust over bounded chunks of candidates.
    let filter = q.filter.as_ref();
    let mut total = 0u64;
    let mut items = Vec::new();
    let mut to_sort: Vec<Rendered<T>> = Vec::new();
    let mut chunk_start = 0u64;
    loop {
        let rows = select.clone().offset(chunk_start).limit(CHUNK).all(c).await?;
        let n = rows.len() as u64;
        // Rendered whenever this loop runs: to evaluate an inexact filter, and to sort in memory.
        for (item, json) in load(rows, true).await? {
            if !filter.is_none_or(|f| f.matches(&json, rt)) {
                continue;
            }
            total += 1;
            if !sorts_in_sql {
                if to_sort.len() >= MAX_IN_MEMORY_SORT {
                    return Err(Error::Invalid(format!(
                        "sortBy on this attribute is limited to {MAX_IN_MEMORY_SORT} results; narrow the filter"
                    )));
                }
                to_sort.push((item, json));
            } else if total > offset && (items.len() as u64) < q.count {
                items.push(item);
            }
        }
        if n < CHUNK {
            break;
        }
        chunk_start += CHUNK;
    }
    if let (false, Some(path)) = (sorts_in_sql, q.sort_by.as_ref()) {
        to_sort.sort_by(|(_, a), (_, b)| {
            let ord = scim_core::compare_for_sort(a, b, path, rt);
            if q.sort_order == SortOrder::Descending {
                ord.reverse()
            } else {
                ord
            }
        });
        let skip = usize::try_from(offset).unwrap_or(usize::MAX);
        let take = usize::try_from(q.count).unwrap_or(usize::MAX);
        items = to_sort.into_iter().skip(skip).take(take).map(|(item, _)| item).collect();
    }
    Ok(Page { total, items })
}

/// Convenience: the list runner for users.
pub(crate) async fn run_list<C: ConnectionTrait>(
    c: &C,
    target: Target,
    q: &ListQuery,
    base_url: &str,
) -> Result<Page<crate::users::StoredUser>> {
    debug_assert_eq!(target, Target::Users);
    let mentions_groups = q.filter.as_ref().is_some_and(|f| f.to_string().to_lowercase().contains("groups"))
        || q.sort_by.as_ref().is_some_and(|p| p.name.eq_ignore_ascii_case("groups"));
    run(c, target, users::Entity::find(), users::Column::Id, q, |rows, render| async move {
        let users = crate::users::decode(rows)?;
        if !render {
            return Ok(users.into_iter().map(|u| (u, serde_json::Value::Null)).collect());
        }
        let groups = if mentions_groups {
            let ids: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
            crate::users::groups_of(c, &ids).await?
        } else {
            Default::default()
        };
        Ok(users
            .into_iter()
            .map(|u| {
                let g = groups.get(&u.id).map(Vec::as_slice).unwrap_or_default();
                let json = scim_core::render_user(base_url, &u.id, &u.user, &u.meta, g);
                (u, json)
            })
            .collect())
    })
    .await
}
