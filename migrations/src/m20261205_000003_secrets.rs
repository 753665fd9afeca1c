//! Secret storage for the embedded (`local`) secret backend: one row per logical secret name holding
//! its XChaCha20-Poly1305 ciphertext, never the value.
//!
//! `key_id` is a short fingerprint of the key a row was written with, so a read with another key is
//! reported as "wrong key" rather than as tampering, and rows still under an old key can be listed.

use sea_orm_migration::prelude::*;

/// Creates `secrets`.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000003_secrets"
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Secrets {
    Table,
    Name,
    Nonce,
    Ciphertext,
    KeyId,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Secrets::Table)
                .col(ColumnDef::new(Secrets::Name).text().not_null().primary_key())
                .col(ColumnDef::new(Secrets::Nonce).text().not_null())
                .col(ColumnDef::new(Secrets::Ciphertext).text().not_null())
                .col(ColumnDef::new(Secrets::KeyId).text().not_null())
                .col(ColumnDef::new(Secrets::UpdatedAt).big_integer().not_null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Secrets::Table).to_owned()).await
    }
}
