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
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::group_members::Entity")]
    Memberships,
    /// The effective role (see `user_roles`).
    #[sea_orm(has_one = "super::user_roles::Entity")]
    Role,
}

impl Related<super::group_members::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Memberships.def()
    }
}

/// users → group_members → groups: a user with its groups in one query.
#[derive(Debug)]
pub struct UserToGroups;

impl Linked for UserToGroups {
    type FromEntity = Entity;
    type ToEntity = super::groups::Entity;

    fn link(&self) -> Vec<RelationDef> {
        vec![Relation::Memberships.def(), super::group_members::Relation::Group.def()]
    }
}

impl ActiveModelBehavior for ActiveModel {}
