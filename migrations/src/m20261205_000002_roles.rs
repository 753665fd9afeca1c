//! Okta group → StackFlow role mapping: the `role_mappings` rules (seeded with the four default
//! StackFlow groups, so a fresh instance maps them) and each user's effective role in `users.role`.
//!
//! `users.role` is added with `ALTER TABLE … ADD COLUMN`, one column per statement, which both SQLite
//! and PostgreSQL accept. The instance-wide default role is not a column: it lives in `settings`
//! under `rolemap.default_role`.

use sea_orm_migration::prelude::*;
use std::time::{SystemTime, UNIX_EPOCH};

/// Creates `role_mappings`, seeds the default rules and adds `users.role`.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000002_roles"
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum RoleMappings {
    Table,
    Id,
    MatcherKind,
    MatcherValue,
    Role,
    BoundGroupId,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Role,
}

/// The seed's default rules: (storage id, display name, role). They are a frozen copy of
/// `rolemap::RoleMap::seed_defaults()` — a migration must do the same thing forever, even if the
/// engine's defaults change later — and a unit test in `store::roles` keeps the two in step today.
/// Fixed ids keep the seed identical on every instance.
pub const SEED_RULES: [(&str, &str, &str); 4] = [
    ("seed-stackflow-admins", "StackFlow-Admins", "super_admin"),
    ("seed-stackflow-itsm-managers", "StackFlow-ITSM-Managers", "itsm_manager"),
    ("seed-stackflow-agents", "StackFlow-Agents", "itsm_agent"),
    ("seed-stackflow-viewers", "StackFlow-Viewers", "viewer"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(RoleMappings::Table)
                .col(ColumnDef::new(RoleMappings::Id).string_len(36).not_null().primary_key())
                .col(ColumnDef::new(RoleMappings::MatcherKind).text().not_null())
                .col(ColumnDef::new(RoleMappings::MatcherValue).text().not_null())
                .col(ColumnDef::new(RoleMappings::Role).text().not_null())
                .col(ColumnDef::new(RoleMappings::BoundGroupId).text().null())
                .col(ColumnDef::new(RoleMappings::CreatedAt).big_integer().not_null())
                .to_owned(),
        )
        .await?;

        m.alter_table(
            Table::alter().table(Users::Table).add_column(ColumnDef::new(Users::Role).text().null()).to_owned(),
        )
        .await?;

        // Microseconds since the epoch, like every other timestamp; the seed rules are listed in
        // this order because rules are listed by creation time (then id).
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros()).unwrap_or_default();
        let now = <i64 as TryFrom<u128>>::try_from(now).unwrap_or(i64::MAX);
        let mut insert = Query::insert();
        insert.into_table(RoleMappings::Table).columns([
            RoleMappings::Id,
            RoleMappings::MatcherKind,
            RoleMappings::MatcherValue,
            RoleMappings::Role,
            RoleMappings::CreatedAt,
        ]);
        for (offset, (id, name, role)) in (0_i64..).zip(SEED_RULES) {
            insert
                .values([id.into(), "display_name".into(), name.into(), role.into(), (now + offset).into()])
                .map_err(|e| DbErr::Custom(e.to_string()))?;
        }
        m.exec_stmt(insert.to_owned()).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Users::Table).drop_column(Users::Role).to_owned()).await?;
        m.drop_table(Table::drop().table(RoleMappings::Table).to_owned()).await
    }
}
