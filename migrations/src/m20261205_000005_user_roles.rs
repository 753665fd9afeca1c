//! Each user's effective role moves from `users.role` to its own narrow table, `user_roles` (one row
//! per user who has a role; no row = no role).
//!
//! Why: a mapping change can rewrite the role of 100,000 users in one transaction. In `users` each
//! role sits in a wide row next to the SCIM document, so every such write dirtied one of ~9,000
//! pages of 4 KiB (37 MB written to the WAL); in `user_roles` the same 100,000 roles fill ~1,200
//! pages. On SQLite the table is `WITHOUT ROWID` (one B-tree keyed by the user id instead of a table
//! plus an index). The role goes when its user goes (`ON DELETE CASCADE`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

/// Creates `user_roles`, copies the roles over and drops `users.role`.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000005_user_roles"
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Role,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let without_rowid = match m.get_database_backend() {
            DatabaseBackend::Sqlite => " WITHOUT ROWID",
            _ => "",
        };
        let db = m.get_connection();
        db.execute_unprepared(&format!(
            "CREATE TABLE user_roles (\
               user_id varchar(36) NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE, \
               role text NOT NULL\
             ){without_rowid}"
        ))
        .await?;
        db.execute_unprepared(
            "INSERT INTO user_roles (user_id, role) SELECT id, role FROM users WHERE role IS NOT NULL",
        )
        .await?;
        m.alter_table(Table::alter().table(Users::Table).drop_column(Users::Role).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter().table(Users::Table).add_column(ColumnDef::new(Users::Role).text().null()).to_owned(),
        )
        .await?;
        let db = m.get_connection();
        db.execute_unprepared("UPDATE users SET role = (SELECT r.role FROM user_roles r WHERE r.user_id = users.id)")
            .await?;
        db.execute_unprepared("DROP TABLE user_roles").await?;
        Ok(())
    }
}
