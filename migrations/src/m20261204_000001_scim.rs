//! The SCIM provisioning schema: users (+ indexed e-mails), groups, one row per membership (with the
//! member's `display` as sent),
//! audit events, settings and SCIM bearer-token hashes.
//!
//! Timestamps are stored as microseconds since the Unix epoch (`BIGINT`): they compare and index the
//! same way on both back ends, which the `meta.created` / `meta.lastModified` filters rely on.

use sea_orm_migration::prelude::*;

/// Creates the SCIM tables and their indexes.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261204_000001_scim"
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
    UserName,
    UserNameFolded,
    ExternalId,
    DisplayName,
    DisplayNameFolded,
    Active,
    Body,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum UserEmails {
    Table,
    UserId,
    ValueFolded,
}

#[derive(DeriveIden, Clone, Copy)]
enum Groups {
    Table,
    Id,
    DisplayName,
    DisplayNameFolded,
    ExternalId,
    Body,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum GroupMembers {
    Table,
    GroupId,
    UserId,
    Display,
}

#[derive(DeriveIden, Clone, Copy)]
enum AuditEvents {
    Table,
    Id,
    At,
    Actor,
    Action,
    ResourceType,
    ResourceId,
    Detail,
}

#[derive(DeriveIden, Clone, Copy)]
enum Settings {
    Table,
    Key,
    Value,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ScimTokens {
    Table,
    Id,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    LastUsedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(ColumnDef::new(Users::Id).string_len(36).not_null().primary_key())
                .col(ColumnDef::new(Users::UserName).text().not_null())
                .col(ColumnDef::new(Users::UserNameFolded).text().not_null())
                .col(ColumnDef::new(Users::ExternalId).text().null())
                .col(ColumnDef::new(Users::DisplayName).text().null())
                .col(ColumnDef::new(Users::DisplayNameFolded).text().null())
                .col(ColumnDef::new(Users::Active).boolean().null())
                .col(ColumnDef::new(Users::Body).text().not_null())
                .col(ColumnDef::new(Users::Version).big_integer().not_null())
                .col(ColumnDef::new(Users::CreatedAt).big_integer().not_null())
                .col(ColumnDef::new(Users::UpdatedAt).big_integer().not_null())
                .to_owned(),
        )
        .await?;
        index(m, "ux_users_user_name_folded", Users::Table, &[Users::UserNameFolded], true).await?;
        index(m, "ix_users_external_id", Users::Table, &[Users::ExternalId], false).await?;
        index(m, "ix_users_display_name_folded", Users::Table, &[Users::DisplayNameFolded], false).await?;
        index(m, "ix_users_created_at", Users::Table, &[Users::CreatedAt], false).await?;
        index(m, "ix_users_updated_at", Users::Table, &[Users::UpdatedAt], false).await?;

        m.create_table(
            Table::create()
                .table(UserEmails::Table)
                .col(ColumnDef::new(UserEmails::UserId).string_len(36).not_null())
                .col(ColumnDef::new(UserEmails::ValueFolded).text().not_null())
                .primary_key(Index::create().col(UserEmails::UserId).col(UserEmails::ValueFolded))
                .foreign_key(
                    ForeignKey::create()
                        .from(UserEmails::Table, UserEmails::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        index(m, "ix_user_emails_value_folded", UserEmails::Table, &[UserEmails::ValueFolded], false).await?;

        m.create_table(
            Table::create()
                .table(Groups::Table)
                .col(ColumnDef::new(Groups::Id).string_len(36).not_null().primary_key())
                .col(ColumnDef::new(Groups::DisplayName).text().not_null())
                .col(ColumnDef::new(Groups::DisplayNameFolded).text().not_null())
                .col(ColumnDef::new(Groups::ExternalId).text().null())
                .col(ColumnDef::new(Groups::Body).text().not_null())
                .col(ColumnDef::new(Groups::Version).big_integer().not_null())
                .col(ColumnDef::new(Groups::CreatedAt).big_integer().not_null())
                .col(ColumnDef::new(Groups::UpdatedAt).big_integer().not_null())
                .to_owned(),
        )
        .await?;
        index(m, "ix_groups_display_name_folded", Groups::Table, &[Groups::DisplayNameFolded], false).await?;
        index(m, "ix_groups_external_id", Groups::Table, &[Groups::ExternalId], false).await?;
        index(m, "ix_groups_created_at", Groups::Table, &[Groups::CreatedAt], false).await?;
        index(m, "ix_groups_updated_at", Groups::Table, &[Groups::UpdatedAt], false).await?;

        // One row per membership: adding 100 members to a 100,000-member group writes 100 rows.
        m.create_table(
            Table::create()
                .table(GroupMembers::Table)
                .col(ColumnDef::new(GroupMembers::GroupId).string_len(36).not_null())
                .col(ColumnDef::new(GroupMembers::UserId).string_len(36).not_null())
                // The member's `display` as the client sent it (returned as sent, never derived).
                .col(ColumnDef::new(GroupMembers::Display).text().null())
                .primary_key(Index::create().col(GroupMembers::GroupId).col(GroupMembers::UserId))
                .foreign_key(
                    ForeignKey::create()
                        .from(GroupMembers::Table, GroupMembers::GroupId)
                        .to(Groups::Table, Groups::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(GroupMembers::Table, GroupMembers::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        index(m, "ix_group_members_user", GroupMembers::Table, &[GroupMembers::UserId, GroupMembers::GroupId], false)
            .await?;

        m.create_table(
            Table::create()
                .table(AuditEvents::Table)
                .col(ColumnDef::new(AuditEvents::Id).big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new(AuditEvents::At).big_integer().not_null())
                .col(ColumnDef::new(AuditEvents::Actor).text().not_null())
                .col(ColumnDef::new(AuditEvents::Action).text().not_null())
                .col(ColumnDef::new(AuditEvents::ResourceType).text().not_null())
                .col(ColumnDef::new(AuditEvents::ResourceId).text().null())
                .col(ColumnDef::new(AuditEvents::Detail).text().not_null())
                .to_owned(),
        )
        .await?;
        index(m, "ix_audit_events_at", AuditEvents::Table, &[AuditEvents::At], false).await?;
        index(m, "ix_audit_events_resource", AuditEvents::Table, &[AuditEvents::ResourceId], false).await?;

        m.create_table(
            Table::create()
                .table(Settings::Table)
                .col(ColumnDef::new(Settings::Key).string_len(128).not_null().primary_key())
                .col(ColumnDef::new(Settings::Value).text().not_null())
                .col(ColumnDef::new(Settings::UpdatedAt).big_integer().not_null())
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ScimTokens::Table)
                .col(ColumnDef::new(ScimTokens::Id).string_len(36).not_null().primary_key())
                .col(ColumnDef::new(ScimTokens::TokenHash).string_len(64).not_null().unique_key())
                .col(ColumnDef::new(ScimTokens::CreatedAt).big_integer().not_null())
                .col(ColumnDef::new(ScimTokens::ExpiresAt).big_integer().null())
                .col(ColumnDef::new(ScimTokens::LastUsedAt).big_integer().null())
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ScimTokens::Table.into_iden(),
            Settings::Table.into_iden(),
            AuditEvents::Table.into_iden(),
            GroupMembers::Table.into_iden(),
            Groups::Table.into_iden(),
            UserEmails::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

async fn index<T: IntoIden + Copy + 'static, C: IntoIden + Copy + 'static>(
    m: &SchemaManager<'_>,
    name: &str,
    table: T,
    cols: &[C],
    unique: bool,
) -> Result<(), DbErr> {
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for col in cols {
        stmt.col(*col);
    }
    if unique {
        stmt.unique();
    }
    m.create_index(stmt.to_owned()).await
}
