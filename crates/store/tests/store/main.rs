//! Integration tests of the `store` crate, on in-memory SQLite by default and on PostgreSQL when
//! `STACKFLOW_TEST_DATABASE_URL` is set (each test then gets a fresh database).
//!
//! - `outbox`: the Cognito outbox: per-user order, claim leases, failures, dead records, retries.
//! - `pushdown`: SCIM filters pushed down to SQL agree with scim-core's evaluator, and paging walks
//!   every result once.
//! - `repos`: the user, group, audit and settings repositories, and write-transaction atomicity.
//! - `roles`: effective roles (`user_roles`), a group's members with their roles and groups, and the
//!   migration that moved roles out of `users`.
//! - `tokens`: SCIM bearer tokens: rotation, grace periods, revocation, hashes only at rest.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;
mod outbox;
mod pushdown;
mod repos;
mod roles;
mod tokens;
