//! HTTP integration tests of `stackflow-server`: Okta's SCIM traffic replayed against a running server.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod admin_outbox;
mod admin_roles;
mod auth;
mod cognito;
mod discovery;
mod e2e_checks;
mod errors;
mod helpers;
mod integration_hub;
mod lists;
mod metrics;
mod mirror_faults;
mod okta_groups;
mod okta_users;
mod openapi;
mod request_ids;
mod roles;
mod sso;
mod web;
