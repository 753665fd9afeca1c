//! The transactional outbox of the Cognito mirror: one row per change a SCIM write (or a role
//! recomputation) must deliver to the Cognito user pool, committed in the same transaction as the
//! write itself, then claimed, delivered and marked by the background worker.
//!
//! `state` is `pending` (to deliver), `done` or `dead` (gave up after too many attempts; an operator
//! can put it back with `stackflow-admin outbox retry`). A replica claims rows by setting
//! `claimed_by`/`claimed_until`; an expired claim is free again, so a crashed worker loses nothing.

use sea_orm_migration::prelude::*;

/// Creates `outbox`.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000004_outbox"
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Outbox {
    Table,
    Id,
    UserId,
    Kind,
    Payload,
    CreatedAt,
    Attempts,
    NextAttemptAt,
    ClaimedBy,
    ClaimedUntil,
    LastError,
    State,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Outbox::Table)
                .col(ColumnDef::new(Outbox::Id).big_integer().not_null().auto_increment().primary_key())
                .col(ColumnDef::new(Outbox::UserId).text().not_null())
                .col(ColumnDef::new(Outbox::Kind).text().not_null())
                .col(ColumnDef::new(Outbox::Payload).text().not_null())
                .col(ColumnDef::new(Outbox::CreatedAt).big_integer().not_null())
                .col(ColumnDef::new(Outbox::Attempts).integer().not_null().default(0))
                .col(ColumnDef::new(Outbox::NextAttemptAt).big_integer().not_null())
                .col(ColumnDef::new(Outbox::ClaimedBy).text().null())
                .col(ColumnDef::new(Outbox::ClaimedUntil).big_integer().null())
                .col(ColumnDef::new(Outbox::LastError).text().null())
                .col(ColumnDef::new(Outbox::State).text().not_null().default("pending"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_outbox_state_next")
                .table(Outbox::Table)
                .col(Outbox::State)
                .col(Outbox::NextAttemptAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("idx_outbox_user").table(Outbox::Table).col(Outbox::UserId).col(Outbox::Id).to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Outbox::Table).to_owned()).await
    }
}
