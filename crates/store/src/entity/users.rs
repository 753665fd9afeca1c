//! `users`: one row per SCIM User; the canonical SCIM body as JSON text, the filterable fields as
//! indexed columns.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_name: String,
    pub user_name_folded: String,
    pub external_id: Option<String>,
    pub display_name: Option<String>,
    pub display_name_folded: Option<String>,
    pub active: Option<bool>,
    pub body: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// The effective StackFlow role (`rolemap::Role` name); `None` = no role (or not computed yet).
    pub role: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
