//! StackFlow roles and their precedence.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A StackFlow role that Okta group membership can grant.
///
/// Roles are ordered by precedence: `SuperAdmin > ItsmManager > ItsmAgent > Viewer`.
/// `Ord` follows that precedence (a *higher* role compares *greater*), so the
/// effective role of a user in several mapped groups is simply the `max`.
///
/// Serialized (serde) as its snake_case name, see [`Role::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Full administrative access (`super_admin`).
    SuperAdmin,
    /// Manages ITSM queues, workflows and agents (`itsm_manager`).
    ItsmManager,
    /// Works ITSM tickets (`itsm_agent`).
    ItsmAgent,
    /// Read-only access (`viewer`).
    Viewer,
}

impl Role {
    /// All roles, highest precedence first.
    pub const ALL: [Role; 4] = [Role::SuperAdmin, Role::ItsmManager, Role::ItsmAgent, Role::Viewer];

    /// The stable snake_case name used in storage, APIs and messages.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::SuperAdmin => "super_admin",
            Role::ItsmManager => "itsm_manager",
            Role::ItsmAgent => "itsm_agent",
            Role::Viewer => "viewer",
        }
    }

    /// Numeric precedence: higher outranks lower (`Viewer` = 0 … `SuperAdmin` = 3).
    pub const fn rank(self) -> u8 {
        match self {
            Role::SuperAdmin => 3,
            Role::ItsmManager => 2,
            Role::ItsmAgent => 1,
            Role::Viewer => 0,
        }
    }

    /// Comma-separated list of all valid role names, highest first.
    pub fn valid_names() -> String {
        Role::ALL.map(Role::as_str).join(", ")
    }
}

impl Ord for Role {
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank().cmp(&other.rank())
    }
}

impl PartialOrd for Role {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = Error;

    /// Parses a role name such as `itsm_agent`. Surrounding whitespace and
    /// ASCII case are ignored; anything else yields [`Error::UnknownRole`].
    fn from_str(s: &str) -> Result<Self> {
        let wanted = s.trim();
        Role::ALL
            .into_iter()
            .find(|role| role.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| Error::UnknownRole(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Debug;

    fn check<T: PartialEq + Debug>(case: &str, got: T, want: T) {
        assert_eq!(got, want, "case: {case}");
    }

    #[test]
    fn precedence_all_pairs() {
        // (higher, lower) for every distinct pair.
        let pairs = [
            (Role::SuperAdmin, Role::ItsmManager),
            (Role::SuperAdmin, Role::ItsmAgent),
            (Role::SuperAdmin, Role::Viewer),
            (Role::ItsmManager, Role::ItsmAgent),
            (Role::ItsmManager, Role::Viewer),
            (Role::ItsmAgent, Role::Viewer),
        ];
        for (high, low) in pairs {
            let case = format!("{high} vs {low}");
            check(&case, high > low, true);
            check(&case, low < high, true);
            check(&case, high.max(low), high);
            check(&case, low.max(high), high);
            check(&case, high.rank() > low.rank(), true);
        }
        for role in Role::ALL {
            check(role.as_str(), role.cmp(&role), Ordering::Equal);
        }
    }

    #[test]
    fn all_is_highest_first() {
        let mut sorted = Role::ALL.to_vec();
        sorted.sort_by(|a, b| b.cmp(a));
        check("ALL order", sorted, Role::ALL.to_vec());
    }

    #[test]
    fn names_round_trip() {
        let table = [
            (Role::SuperAdmin, "super_admin"),
            (Role::ItsmManager, "itsm_manager"),
            (Role::ItsmAgent, "itsm_agent"),
            (Role::Viewer, "viewer"),
        ];
        for (role, name) in table {
            check(name, role.as_str(), name);
            check(name, role.to_string(), name.to_owned());
            check(name, name.parse::<Role>(), Ok(role));
            check(name, serde_json::to_string(&role).ok(), Some(format!("\"{name}\"")));
            check(name, serde_json::from_str::<Role>(&format!("\"{name}\"")).ok(), Some(role));
        }
    }

    #[test]
    fn parse_variants() {
        let table: [(&str, Result<Role>); 6] = [
            ("SUPER_ADMIN", Ok(Role::SuperAdmin)),
            ("  viewer\n", Ok(Role::Viewer)),
            ("Itsm_Agent", Ok(Role::ItsmAgent)),
            ("admin", Err(Error::UnknownRole("admin".into()))),
            ("super-admin", Err(Error::UnknownRole("super-admin".into()))),
            ("", Err(Error::UnknownRole(String::new()))),
        ];
        for (input, want) in table {
            check(input, input.parse::<Role>(), want);
        }
    }

    #[test]
    fn unknown_role_message() {
        let table = [
            ("admin", "unknown role 'admin'; valid roles are: super_admin, itsm_manager, itsm_agent, viewer"),
            ("root", "unknown role 'root'; valid roles are: super_admin, itsm_manager, itsm_agent, viewer"),
        ];
        for (input, want) in table {
            let got = input.parse::<Role>().err().map(|e| e.to_string());
            check(input, got, Some(want.to_owned()));
        }
    }

    #[test]
    fn serde_rejects_unknown() {
        for input in ["\"admin\"", "\"SuperAdmin\"", "3"] {
            check(input, serde_json::from_str::<Role>(input).is_err(), true);
        }
    }
}
