//! HTTP integration tests of `stackflow-server`: Okta's SCIM traffic replayed against a running server.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod auth;
mod cognito;
mod discovery;
mod errors;
mod helpers;
mod integration_hub;
mod lists;
mod okta_groups;
mod okta_users;
mod roles;
mod sso;
