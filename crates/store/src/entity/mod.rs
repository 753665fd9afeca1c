//! sea-orm entities, one module per table created by the `migration` crate.

pub mod audit_events;
pub mod group_members;
pub mod groups;
pub mod outbox;
pub mod role_mappings;
pub mod scim_tokens;
pub mod secrets;
pub mod settings;
pub mod user_emails;
pub mod user_roles;
pub mod users;
