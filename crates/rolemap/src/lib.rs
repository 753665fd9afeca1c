//! Okta group → StackFlow role engine.
//!
//! Okta pushes groups to StackFlow over SCIM. This crate decides, from the
//! groups a user is a member of, which StackFlow [`Role`] they get:
//!
//! - [`MappingRule`]s map a group — found by SCIM id, `externalId` or
//!   (case-insensitive) display name, see [`GroupMatcher`] — to a role;
//! - a [`RoleMap`] validates the rules and holds an optional default role;
//! - [`RoleMap::resolve`] picks the highest role among the user's mapped
//!   groups (`super_admin > itsm_manager > itsm_agent > viewer`) and explains
//!   why ([`Resolution::explanation`]);
//! - display-name rules can be *bound* to the group id they were first seen
//!   with ([`RoleMap::bindings_to_record`]), so renaming the group in Okta keeps
//!   the mapping and a new group taking the old name gets nothing;
//! - [`RoleMap::broken_rules`] reports rules that match nothing, and [`diff`]
//!   previews whose role a rule change would alter.
//!
//! What it is **not**: it performs no I/O, has no async code and knows no
//! database, HTTP or Okta client. Callers load rules and group memberships,
//! call these pure functions, and persist bindings and roles themselves. All
//! public result types implement serde so an admin API can return them as JSON.
//!
//! ```
//! use rolemap::{GroupRef, Role, RoleMap};
//!
//! let map = RoleMap::new(RoleMap::seed_defaults(), Some(Role::Viewer))?;
//! let groups = [
//!     GroupRef::new("00g1", "StackFlow-Viewers"),
//!     GroupRef::new("00g2", "stackflow-admins"),
//! ];
//! let resolution = map.resolve(&groups);
//! assert_eq!(resolution.role, Some(Role::SuperAdmin));
//! assert_eq!(
//!     resolution.explanation(),
//!     "member of stackflow-admins (super_admin), which outranks StackFlow-Viewers (viewer)"
//! );
//!
//! // Follow these groups by id from now on, so an Okta rename keeps the mapping.
//! let map = map.with_bindings(&map.bindings_to_record(&groups))?;
//! let renamed = [GroupRef::new("00g2", "Admins-Old")];
//! assert_eq!(map.resolve(&renamed).role, Some(Role::SuperAdmin));
//! # Ok::<(), rolemap::Error>(())
//! ```

mod broken;
mod diff;
mod error;
mod map;
mod resolve;
mod role;
mod rule;

pub use broken::{BrokenKind, BrokenRule};
pub use diff::{diff, RoleChange, UserKey};
pub use error::{Error, Result};
pub use map::RoleMap;
pub use resolve::{Considered, Resolution, RoleSource};
pub use role::Role;
pub use rule::{GroupMatcher, GroupRef, MappingRule};
