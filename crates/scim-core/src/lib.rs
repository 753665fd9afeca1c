//! # scim-core
//!
//! The pure SCIM 2.0 (RFC 7643 schema, RFC 7644 protocol) heart of StackFlow's Okta provisioning:
//! the resource model, the filter grammar and evaluator, the PATCH engine, list/paging/projection,
//! the Error type and the discovery documents.
//!
//! It is **not** a server: it does no I/O, knows no HTTP framework and no database. Storage layers
//! translate [`filter::Filter`] into their own queries; HTTP layers map [`ScimError`] to responses.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod discovery;
pub mod error;
pub mod filter;
pub mod list;
pub mod model;
pub mod patch;
pub mod schema;

pub use discovery::{resource_type, resource_types, schema, schemas, service_provider_config, ProviderCapabilities};
pub use error::{Result, ScimError, ScimType};
pub use filter::{AttrPath, CompareOp, Filter, Literal, PatchPath, MAX_FILTER_DEPTH, MAX_FILTER_LEN};
pub use list::{compare_for_sort, list_response, needs_attribute, project};
pub use list::{ListLimits, ListQuery, SortOrder};
pub use model::{render_group, render_user};
pub use model::{Group, GroupRef, Member, Meta, User, UserName};
pub use patch::{patch_group, patch_user};
pub use patch::{GroupPatch, MemberOp, PatchOp, PatchOpKind, PatchRequest, MAX_PATCH_OPERATIONS};
