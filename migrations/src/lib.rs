//! StackFlow's database migrations: one ordered set, written once with sea-query, that runs on
//! SQLite (the embedded default) and PostgreSQL (production). One file per migration.

pub use sea_orm_migration::prelude::*;

mod m20261204_000001_scim;
mod m20261205_000002_roles;
mod m20261205_000003_secrets;
mod m20261205_000004_outbox;
mod m20261205_000005_user_roles;

pub use m20261205_000002_roles::SEED_RULES;

/// The migrator the server and the admin CLI run at start-up.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261204_000001_scim::Migration),
            Box::new(m20261205_000002_roles::Migration),
            Box::new(m20261205_000003_secrets::Migration),
            Box::new(m20261205_000004_outbox::Migration),
            Box::new(m20261205_000005_user_roles::Migration),
        ]
    }
}
