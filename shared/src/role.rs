//! The roles a person can hold in Beacon (SPEC I3) and what each may write.
//!
//! Which role may see what is decided next to the thing being protected:
//! security incidents in [`crate::category`], priority overrides in
//! [`crate::priority_override`].

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A person's role. Stored and sent as snake_case (`incident_commander`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Site reliability engineer on call: triages and runs incidents.
    Sre,
    /// Duty incident commander (SPEC E1, E3).
    IncidentCommander,
    /// Customer support (CSUP): status-page updates and customer messages.
    CustomerSupport,
    /// Member of an engineering team pulled into an incident (SPEC E5).
    Engineer,
    /// Approves incident reports, may lower a priority with a reason (SPEC P6, R5).
    Management,
    /// The security team; sees security incidents (SPEC K3).
    Security,
    /// Read-only access.
    Viewer,
    /// Administers users and tokens.
    Admin,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Sre,
        Role::IncidentCommander,
        Role::CustomerSupport,
        Role::Engineer,
        Role::Management,
        Role::Security,
        Role::Viewer,
        Role::Admin,
    ];

    /// The snake_case name used in the database, the API and tokens.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Sre => "sre",
            Role::IncidentCommander => "incident_commander",
            Role::CustomerSupport => "customer_support",
            Role::Engineer => "engineer",
            Role::Management => "management",
            Role::Security => "security",
            Role::Viewer => "viewer",
            Role::Admin => "admin",
        }
    }

    /// Whether this role may close a resolved incident on its own word, without
    /// the submitter's confirmation (SPEC E3): the incident commander, management, admin.
    pub fn may_close_without_confirmation(self) -> bool {
        matches!(
            self,
            Role::IncidentCommander | Role::Management | Role::Admin
        )
    }

    /// Whether this role may change incidents at all; only [`Role::Viewer`] may not.
    pub fn can_write(self) -> bool {
        self != Role::Viewer
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that names no role.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown role `{0}`; expected one of sre, incident_commander, customer_support, \
     engineer, management, security, viewer, admin"
)]
pub struct RoleParseError(pub String);

impl FromStr for Role {
    type Err = RoleParseError;

    /// Accepts the snake_case name, ignoring surrounding whitespace and case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == wanted)
            .ok_or_else(|| RoleParseError(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SPEC I3
    #[test]
    fn names_round_trip_through_str_and_serde() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
            let json = serde_json::to_string(&role).unwrap();
            assert_eq!(json, format!("\"{}\"", role.as_str()));
            assert_eq!(serde_json::from_str::<Role>(&json).unwrap(), role);
        }
        assert_eq!(
            " Incident_Commander ".parse::<Role>(),
            Ok(Role::IncidentCommander)
        );
    }

    /// SPEC I3
    #[test]
    fn unknown_roles_are_refused_with_the_choices() {
        let err = "root".parse::<Role>().unwrap_err();
        assert_eq!(err, RoleParseError("root".into()));
        assert!(err.to_string().contains("incident_commander"), "{err}");
        assert!(serde_json::from_str::<Role>("\"IncidentCommander\"").is_err());
    }

    /// SPEC I3
    #[test]
    fn only_viewers_cannot_write() {
        let read_only: Vec<Role> = Role::ALL.into_iter().filter(|r| !r.can_write()).collect();
        assert_eq!(read_only, [Role::Viewer]);
    }
}
