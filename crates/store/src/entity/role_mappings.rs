//! `role_mappings`: the Okta group → StackFlow role rules (see the `rolemap` crate), one row each.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "role_mappings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// `id`, `external_id` or `display_name`.
    pub matcher_kind: String,
    pub matcher_value: String,
    pub role: String,
    pub bound_group_id: Option<String>,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
