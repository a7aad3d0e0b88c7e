//! The roles a person can hold in Beacon (SPEC I3) and every permission they carry.
//!
//! Each permission is one method on [`Role`]; the worker enforces it and the
//! app uses the same method to decide what to offer. What a reader may see of
//! a Security incident is decided by [`crate::clearance`] on top of
//! [`Role::may_see_security`]; priority overrides by [`crate::priority_override`].

use serde::{Deserialize, Serialize};
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

    /// Whether this role may publish on the public status page (SPEC M1-M5):
    /// customer support, management, admin.
    pub fn may_publish_status(self) -> bool {
        matches!(self, Role::CustomerSupport | Role::Management | Role::Admin)
    }

    /// Whether this role may set the service-level objectives (SPEC L1): management, admin.
    pub fn may_set_service_levels(self) -> bool {
        matches!(self, Role::Management | Role::Admin)
    }

    /// Whether this role may edit rotas, time limits and notification channels
    /// (SPEC E1, E2, E4): the incident commander, management, admin.
    pub fn may_manage_rotas(self) -> bool {
        matches!(
            self,
            Role::IncidentCommander | Role::Management | Role::Admin
        )
    }

    /// Whether this role may read the audit log: management, security, admin.
    pub fn may_read_audit(self) -> bool {
        matches!(self, Role::Management | Role::Security | Role::Admin)
    }

    /// Whether this role administers people, tokens and integrations: admin only.
    pub fn may_administer(self) -> bool {
        self == Role::Admin
    }

    /// Whether this role approves incident reports (SPEC R5): management.
    pub fn may_approve(self) -> bool {
        self == Role::Management
    }

    /// Whether this role may decline a remediation item as "won't do" (SPEC V8,
    /// R3): management, who answers for the risk that stays.
    pub fn may_decline_remediation(self) -> bool {
        self == Role::Management
    }

    /// Whether this role may read the reports and `/metrics` (SPEC Q1-Q5):
    /// management, the incident commander, the people who own tickets
    /// (SREs, engineers, the security team) and admins; not customer support
    /// or read-only viewers. What a report shows of Security tickets is
    /// still decided by [`crate::clearance`].
    pub fn may_read_reports(self) -> bool {
        matches!(
            self,
            Role::Management
                | Role::IncidentCommander
                | Role::Sre
                | Role::Engineer
                | Role::Security
                | Role::Admin
        )
    }

    /// Whether this role may record when an incident's impact started
    /// (SPEC Q1): the incident commander, management, admin.
    pub fn may_set_impact_start(self) -> bool {
        matches!(
            self,
            Role::IncidentCommander | Role::Management | Role::Admin
        )
    }

    /// Whether this role may set the per-priority close targets the overdue
    /// report measures against (SPEC Q3): management, admin.
    pub fn may_set_close_targets(self) -> bool {
        matches!(self, Role::Management | Role::Admin)
    }

    /// Whether this role may record a review meeting, its snapshot and
    /// minutes (SPEC Q5): management, the incident commander, admin.
    pub fn may_record_review(self) -> bool {
        matches!(
            self,
            Role::Management | Role::IncidentCommander | Role::Admin
        )
    }

    /// Whether this role may see the details of Security incidents (SPEC K3):
    /// the security team, management and administrators.
    pub fn may_see_security(self) -> bool {
        matches!(self, Role::Security | Role::Management | Role::Admin)
    }
}

display_as_str!(Role);

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

    fn holders(permission: fn(Role) -> bool) -> Vec<Role> {
        Role::ALL.into_iter().filter(|r| permission(*r)).collect()
    }

    /// SPEC I3, K3, M1, E1, V8
    #[test]
    fn each_permission_names_its_roles() {
        use Role::*;
        assert_eq!(
            holders(Role::may_publish_status),
            [CustomerSupport, Management, Admin]
        );
        assert_eq!(
            holders(Role::may_manage_rotas),
            [IncidentCommander, Management, Admin]
        );
        assert_eq!(
            holders(Role::may_close_without_confirmation),
            [IncidentCommander, Management, Admin]
        );
        assert_eq!(holders(Role::may_set_service_levels), [Management, Admin]);
        assert_eq!(holders(Role::may_read_audit), [Management, Security, Admin]);
        assert_eq!(
            holders(Role::may_see_security),
            [Management, Security, Admin]
        );
        assert_eq!(holders(Role::may_administer), [Admin]);
        assert_eq!(holders(Role::may_approve), [Management]);
        assert_eq!(holders(Role::may_decline_remediation), [Management]);
    }

    /// SPEC Q1, Q3: everyone who owns or manages tickets reads the reports.
    #[test]
    fn reports_are_read_by_owners_commanders_and_management() {
        use Role::*;
        assert_eq!(
            holders(Role::may_read_reports),
            [
                Sre,
                IncidentCommander,
                Engineer,
                Management,
                Security,
                Admin
            ]
        );
    }

    /// SPEC I3
    #[test]
    fn only_viewers_cannot_write() {
        let read_only: Vec<Role> = Role::ALL.into_iter().filter(|r| !r.can_write()).collect();
        assert_eq!(read_only, [Role::Viewer]);
    }
}
