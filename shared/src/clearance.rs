//! What a reader may see of an incident (SPEC K3): the one clearance decision
//! that every output of Beacon goes through.
//!
//! A reader without clearance for a Security incident learns only that a
//! restricted incident exists: its number, priority and status, never its
//! title, summary, facts or timeline. API lists and reads, timelines, alerts,
//! the audit log, notifications and signed links all ask [`clearance`].

use crate::category::Category;
use crate::lifecycle::IncidentStatus;
use crate::priority::Priority;
use crate::role::Role;
use serde::{Deserialize, Serialize};

/// Who is about to read something about an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader<'a> {
    /// A signed-in person, or the person a notification channel belongs to.
    Person(Role),
    /// An engineering team's shared channel: read by everyone in it, so never cleared.
    Team(&'a str),
    /// Management's channel: read by management only.
    Management,
    /// Anyone at all: the public status page and its feeds.
    Public,
}

/// How much of an incident a reader may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clearance {
    /// Everything.
    Full,
    /// Only that a restricted incident exists ([`RestrictedIncident`]).
    ExistenceOnly,
}

impl Clearance {
    pub fn is_full(self) -> bool {
        self == Clearance::Full
    }
}

/// What `reader` may see of an incident filed under `category` (SPEC K3):
/// Security incidents in full only to the security team, management and
/// admins; every other incident in full to every signed-in reader and channel.
pub fn clearance(reader: Reader<'_>, category: Option<&Category>) -> Clearance {
    let restricted = category.is_some_and(Category::is_security);
    let cleared = match reader {
        _ if !restricted => !matches!(reader, Reader::Public),
        Reader::Person(role) => role.may_see_security(),
        Reader::Management => true,
        Reader::Team(_) | Reader::Public => false,
    };
    if cleared {
        Clearance::Full
    } else {
        Clearance::ExistenceOnly
    }
}

/// Whether a signed-in person with `role` may see the details of an incident
/// filed under `category`: [`clearance`] for [`Reader::Person`].
pub fn may_see_incident(role: Role, category: Option<&Category>) -> bool {
    clearance(Reader::Person(role), category).is_full()
}

/// The redacted view of an incident for a reader without clearance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestrictedIncident {
    pub id: i64,
    pub priority: Priority,
    pub status: IncidentStatus,
}

impl RestrictedIncident {
    /// "Security incident #42, P1, details restricted".
    pub fn headline(&self) -> String {
        format!(
            "Security incident #{}, {}, details restricted",
            self.id, self.priority
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn category(name: &str) -> Category {
        Category::parse(name).unwrap()
    }

    /// SPEC K3
    #[test]
    fn only_security_management_and_admin_see_security_incidents() {
        let security = Category::security();
        let cleared: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|&r| may_see_incident(r, Some(&security)))
            .collect();
        assert_eq!(cleared, [Role::Management, Role::Security, Role::Admin]);
        for role in Role::ALL {
            assert!(may_see_incident(role, Some(&category("API"))));
            assert!(may_see_incident(role, None));
        }
    }

    /// SPEC K3
    #[test]
    fn channels_are_cleared_by_who_reads_them() {
        let security = Category::security();
        let api = category("API");
        assert_eq!(
            clearance(Reader::Team("dba"), Some(&security)),
            Clearance::ExistenceOnly
        );
        assert_eq!(clearance(Reader::Team("dba"), Some(&api)), Clearance::Full);
        assert_eq!(
            clearance(Reader::Management, Some(&security)),
            Clearance::Full
        );
        assert_eq!(
            clearance(Reader::Person(Role::IncidentCommander), Some(&security)),
            Clearance::ExistenceOnly
        );
        assert_eq!(
            clearance(Reader::Public, Some(&api)),
            Clearance::ExistenceOnly
        );
    }

    /// SPEC K3
    #[test]
    fn the_restricted_headline_names_only_number_and_priority() {
        let restricted = RestrictedIncident {
            id: 42,
            priority: Priority::P1,
            status: IncidentStatus::Investigating,
        };
        assert_eq!(
            restricted.headline(),
            "Security incident #42, P1, details restricted"
        );
    }
}
