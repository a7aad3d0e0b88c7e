//! Changing a priority by hand (SPEC P6): raising is anyone's call, lowering
//! below the rules' result is management's, with a reason for the timeline.

use crate::priority::Priority;
use crate::role::Role;
use serde::{Deserialize, Serialize};

/// What a permitted priority change amounts to; the caller records it in the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PriorityDecision {
    /// More urgent than the rules' result, at the person's discretion.
    Raised,
    /// Exactly the rules' result.
    AsClassified,
    /// Less urgent than the rules' result; management's reason, trimmed.
    LoweredByManagement { reason: String },
}

/// Why a priority change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OverrideError {
    #[error("the {role} role is read-only and cannot change a priority")]
    ReadOnlyRole { role: Role },
    #[error(
        "only management may lower the priority below the rules' result: \
         {role} asked for {requested}, the rules say {rules_result}"
    )]
    LoweringNeedsManagement {
        rules_result: Priority,
        requested: Priority,
        role: Role,
    },
    #[error(
        "lowering the priority below the rules' result ({rules_result} to {requested}) \
         needs a reason for the timeline"
    )]
    LoweringNeedsReason {
        rules_result: Priority,
        requested: Priority,
    },
}

/// Decides whether `role` may set the priority to `requested` when the
/// classifier said `rules_result` (SPEC P6).
///
/// - Raising it or keeping it: any role that can write (not [`Role::Viewer`]).
/// - Lowering it below `rules_result`: only [`Role::Management`], and only with
///   a non-blank `reason`. Admins are not management and may not lower it.
///
/// Compare against the rules' result, not the current priority: lowering a
/// hand-raised P0 back to the rules' P2 is [`PriorityDecision::AsClassified`].
pub fn check_priority_change(
    rules_result: Priority,
    requested: Priority,
    role: Role,
    reason: Option<&str>,
) -> Result<PriorityDecision, OverrideError> {
    if !role.can_write() {
        return Err(OverrideError::ReadOnlyRole { role });
    }
    if requested < rules_result {
        return Ok(PriorityDecision::Raised);
    }
    if requested == rules_result {
        return Ok(PriorityDecision::AsClassified);
    }
    if role != Role::Management {
        return Err(OverrideError::LoweringNeedsManagement {
            rules_result,
            requested,
            role,
        });
    }
    match reason.map(str::trim).filter(|reason| !reason.is_empty()) {
        Some(reason) => Ok(PriorityDecision::LoweredByManagement {
            reason: reason.to_owned(),
        }),
        None => Err(OverrideError::LoweringNeedsReason {
            rules_result,
            requested,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Priority::*;

    /// SPEC P6
    #[test]
    fn any_writing_role_may_raise_or_keep_the_priority() {
        for role in Role::ALL.into_iter().filter(|r| r.can_write()) {
            assert_eq!(
                check_priority_change(P2, P0, role, None),
                Ok(PriorityDecision::Raised)
            );
            assert_eq!(
                check_priority_change(P3, P2, role, None),
                Ok(PriorityDecision::Raised)
            );
            assert_eq!(
                check_priority_change(P1, P1, role, None),
                Ok(PriorityDecision::AsClassified)
            );
        }
    }

    /// SPEC P6, I3
    #[test]
    fn viewers_may_change_nothing() {
        for requested in Priority::ALL {
            assert_eq!(
                check_priority_change(P2, requested, Role::Viewer, Some("because")),
                Err(OverrideError::ReadOnlyRole { role: Role::Viewer })
            );
        }
    }

    /// SPEC P6
    #[test]
    fn only_management_may_lower_below_the_rules() {
        for role in Role::ALL
            .into_iter()
            .filter(|&r| r.can_write() && r != Role::Management)
        {
            let err = check_priority_change(P0, P2, role, Some("false alarm")).unwrap_err();
            assert_eq!(
                err,
                OverrideError::LoweringNeedsManagement {
                    rules_result: P0,
                    requested: P2,
                    role
                }
            );
            assert!(err.to_string().contains("only management"), "{err}");
        }
        assert_eq!(
            check_priority_change(
                P0,
                P2,
                Role::Management,
                Some("  monitoring false positive ")
            ),
            Ok(PriorityDecision::LoweredByManagement {
                reason: "monitoring false positive".into()
            })
        );
    }

    /// SPEC P6
    #[test]
    fn management_must_give_a_reason_to_lower() {
        for reason in [None, Some(""), Some("   ")] {
            assert_eq!(
                check_priority_change(P1, P3, Role::Management, reason),
                Err(OverrideError::LoweringNeedsReason {
                    rules_result: P1,
                    requested: P3
                })
            );
        }
    }

    /// SPEC P6
    #[test]
    fn returning_to_the_rules_result_is_as_classified() {
        assert_eq!(
            check_priority_change(P2, P2, Role::Sre, None),
            Ok(PriorityDecision::AsClassified)
        );
        assert_eq!(
            serde_json::to_string(&PriorityDecision::LoweredByManagement { reason: "r".into() })
                .unwrap(),
            r#"{"kind":"lowered_by_management","reason":"r"}"#
        );
    }
}
