//! RCAs supplied by a third party or vendor (SPEC R4): filed in the problem
//! ticket with the vendor's document and stated root cause, and with their
//! pending remediations as vendor-owned [`RemediationItem`]s, chased like ours.

use crate::rca::{CauseClass, Narrative};
use crate::refusal::{invalid, Refusal, RefusalKind};
use crate::remediation::{NewRemediationItem, RemediationKind, RemediationOwner};
use crate::role::Role;
use crate::timestamp::Timestamp;
use crate::triage::{LinkUrl, Name, Title};
use serde::{Deserialize, Serialize};

/// The vendor's document: a link to it, or its text pasted in. Sent as
/// `{"link": "https://..."}` or `{"text": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum VendorDocument {
    Link(LinkUrl),
    Text(Narrative),
}

/// One remediation the vendor says is still pending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VendorRemediation {
    pub title: Title,
    pub kind: RemediationKind,
    /// The vendor's person who answers for it.
    pub contact: Name,
    pub due_at: Timestamp,
}

/// A vendor RCA as entered (`POST /api/problems/{id}/vendor-rcas`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewVendorRca {
    pub vendor: Name,
    pub received_at: Timestamp,
    pub document: VendorDocument,
    /// The root cause in the vendor's words.
    pub stated_root_cause: Narrative,
    /// How we class it; a vendor's cause is usually `dependency_or_vendor`.
    #[serde(default = "vendor_class")]
    pub class: CauseClass,
    /// Our team that owns chasing the vendor.
    #[serde(default)]
    pub owning_group: Option<Name>,
    #[serde(default)]
    pub pending_remediations: Vec<VendorRemediation>,
}

fn vendor_class() -> CauseClass {
    CauseClass::DependencyOrVendor
}

/// A vendor RCA as stored; its pending remediations are remediation items
/// with [`crate::remediation::RemediationItem::vendor_rca`] set to its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorRca {
    pub id: i64,
    pub problem: i64,
    pub vendor: Name,
    pub received_at: Timestamp,
    pub document: VendorDocument,
    pub stated_root_cause: Narrative,
    pub class: CauseClass,
    pub recorded_at: Timestamp,
}

/// At most this many pending remediations per vendor RCA.
pub const MAX_VENDOR_REMEDIATIONS: usize = 50;

/// Why a vendor RCA was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VendorRcaError {
    #[error("a {role} may not file vendor RCAs")]
    Forbidden { role: Role },
    #[error("received at {received_at}, which is after now ({now})")]
    ReceivedInTheFuture {
        received_at: Timestamp,
        now: Timestamp,
    },
    #[error(
        "a pending remediation is due at {due_at}, before the RCA was received ({received_at})"
    )]
    DueBeforeReceipt {
        field: String,
        due_at: Timestamp,
        received_at: Timestamp,
    },
    #[error("at most {max} pending remediations, got {got}")]
    TooMany { max: usize, got: usize },
}

impl Refusal for VendorRcaError {
    fn refusal_kind(&self) -> RefusalKind {
        match self {
            VendorRcaError::Forbidden { .. } => RefusalKind::Forbidden,
            VendorRcaError::ReceivedInTheFuture { .. } => invalid("received_at"),
            VendorRcaError::DueBeforeReceipt { field, .. } => invalid(field.clone()),
            VendorRcaError::TooMany { .. } => invalid("pending_remediations"),
        }
    }
}

impl NewVendorRca {
    /// The vendor RCA with id `id` on `problem`, and its pending remediations
    /// as new vendor-owned items (SPEC R4), recorded by `actor` at `now`.
    /// The caller stores the items with `vendor_rca` set to `id`.
    pub fn record(
        self,
        id: i64,
        problem: i64,
        actor: Role,
        now: Timestamp,
    ) -> Result<(VendorRca, Vec<NewRemediationItem>), VendorRcaError> {
        if !actor.can_write() {
            return Err(VendorRcaError::Forbidden { role: actor });
        }
        if self.received_at > now {
            return Err(VendorRcaError::ReceivedInTheFuture {
                received_at: self.received_at,
                now,
            });
        }
        if self.pending_remediations.len() > MAX_VENDOR_REMEDIATIONS {
            return Err(VendorRcaError::TooMany {
                max: MAX_VENDOR_REMEDIATIONS,
                got: self.pending_remediations.len(),
            });
        }
        let mut items = Vec::with_capacity(self.pending_remediations.len());
        for (i, pending) in self.pending_remediations.into_iter().enumerate() {
            if pending.due_at < self.received_at {
                return Err(VendorRcaError::DueBeforeReceipt {
                    field: format!("pending_remediations[{i}].due_at"),
                    due_at: pending.due_at,
                    received_at: self.received_at,
                });
            }
            items.push(NewRemediationItem {
                title: pending.title,
                kind: pending.kind,
                owner: RemediationOwner::Vendor {
                    vendor: self.vendor.clone(),
                    contact: pending.contact,
                },
                owning_group: self.owning_group.clone(),
                due_at: pending.due_at,
            });
        }
        let rca = VendorRca {
            id,
            problem,
            vendor: self.vendor,
            received_at: self.received_at,
            document: self.document,
            stated_root_cause: self.stated_root_cause,
            class: self.class,
            recorded_at: now,
        };
        Ok((rca, items))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: Timestamp = Timestamp::from_unix_millis(1_700_000_000_000);

    fn new_rca(due: &str) -> NewVendorRca {
        serde_json::from_value(json!({
            "vendor": "Acme CDN",
            "received_at": "2023-11-14T12:00:00Z",
            "document": {"link": "https://status.acme.example/rca/77"},
            "stated_root_cause": "A BGP filter update withdrew our prefixes",
            "pending_remediations": [
                {"title": "Two-person review of filter changes", "kind": "process",
                 "contact": "noc@acme", "due_at": due}
            ]
        }))
        .unwrap()
    }

    /// SPEC R4: a vendor RCA files its pending remediations as vendor-owned items.
    #[test]
    fn pending_remediations_become_vendor_owned_items() {
        let (rca, items) = new_rca("2023-12-01T00:00:00Z")
            .record(4, 9, Role::Sre, NOW)
            .unwrap();
        assert_eq!(rca.class, CauseClass::DependencyOrVendor);
        assert_eq!(rca.problem, 9);
        assert_eq!(items.len(), 1);
        assert!(items[0].owner.is_vendor());
        assert_eq!(items[0].owner.name().as_str(), "noc@acme");
        assert_eq!(
            items[0].owner,
            RemediationOwner::Vendor {
                vendor: Name::parse("Acme CDN").unwrap(),
                contact: Name::parse("noc@acme").unwrap()
            }
        );
    }

    /// SPEC R4: refusals name the field and the class.
    #[test]
    fn refusals_name_the_field() {
        let err = new_rca("2023-11-01T00:00:00Z")
            .record(4, 9, Role::Sre, NOW)
            .unwrap_err();
        assert_eq!(
            err.refusal_kind(),
            RefusalKind::Invalid {
                field: "pending_remediations[0].due_at".into()
            }
        );
        let early = Timestamp::parse("2023-11-01T00:00:00Z").unwrap();
        let err = new_rca("2023-12-01T00:00:00Z")
            .record(4, 9, Role::Sre, early)
            .unwrap_err();
        assert_eq!(
            err.refusal_kind(),
            RefusalKind::Invalid {
                field: "received_at".into()
            }
        );
        let err = new_rca("2023-12-01T00:00:00Z")
            .record(4, 9, Role::Viewer, NOW)
            .unwrap_err();
        assert_eq!(err.refusal_kind(), RefusalKind::Forbidden);
        assert!(serde_json::from_value::<NewVendorRca>(json!({
            "vendor": "Acme", "received_at": "2023-11-14T12:00:00Z",
            "document": {"link": "not a link"}, "stated_root_cause": "x"
        }))
        .is_err());
    }
}
