//! The incident page's shared state: the loaded ticket, the reader's role, and
//! how a change is sent so that the page shows the edge's answer.

use crate::api::ApiFailure;
use crate::credentials::Credentials;
use beacon_shared::api::{IncidentDetail, TimelineEntryView};
use beacon_shared::role::Role;
use beacon_shared::timeline::TimelineEvent;
use leptos::prelude::*;
use std::future::Future;

/// Everything the incident page's parts read and write; `Copy`, so each part takes it by value.
#[derive(Clone, Copy)]
pub struct IncidentState {
    pub id: i64,
    credentials: Credentials,
    pub detail: RwSignal<Option<IncidentDetail>>,
    /// The signed-in user's role, once `/api/me` answered.
    pub role: RwSignal<Option<Role>>,
    /// The signed-in user's name, once `/api/me` answered (E3: only the submitter confirms).
    pub reader: RwSignal<Option<String>>,
    /// The last change's error, shown in one place with the field it names.
    pub failure: RwSignal<Option<String>>,
    pub busy: RwSignal<bool>,
}

impl IncidentState {
    pub fn new(id: i64, credentials: Credentials) -> Self {
        Self {
            id,
            credentials,
            detail: RwSignal::new(None),
            role: RwSignal::new(None),
            reader: RwSignal::new(None),
            failure: RwSignal::new(None),
            busy: RwSignal::new(false),
        }
    }

    /// Whether the reader may change the ticket at all.
    pub fn can_write(&self) -> bool {
        self.role.get().is_some_and(Role::can_write)
    }

    /// The signed-in token, or empty (the edge then answers 401).
    pub fn token(&self) -> String {
        self.credentials.token.get_untracked().unwrap_or_default()
    }

    /// Sends one change; on success the page shows the ticket the edge returned.
    pub fn send<F>(self, request: F)
    where
        F: Future<Output = Result<IncidentDetail, ApiFailure>> + 'static,
    {
        self.busy.set(true);
        leptos::task::spawn_local(async move {
            match request.await {
                Ok(detail) => {
                    self.detail.set(Some(detail));
                    self.failure.set(None);
                }
                Err(err) => self.failure.set(Some(err.to_string())),
            }
            self.busy.set(false);
        });
    }
}

/// The problems a ticket's timeline says it is linked to (by hand, at a
/// problem's opening, or as a recurrence), each once, in the order linked.
pub fn linked_problems(timeline: &[TimelineEntryView]) -> Vec<i64> {
    let mut problems = Vec::new();
    for entry in timeline {
        let problem = match &entry.event {
            TimelineEvent::LinkedToProblem(note) => note.problem,
            TimelineEvent::RecurrenceOfProblem(note) => note.problem,
            _ => continue,
        };
        if !problems.contains(&problem) {
            problems.push(problem);
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use beacon_shared::problem::LinkReason;
    use beacon_shared::recurrence::{FixStatus, MatchStrength};
    use beacon_shared::timeline::{ProblemLinkNote, RecurrenceNote, TimelineEvent};
    use beacon_shared::Timestamp;

    fn entry(event: TimelineEvent) -> TimelineEntryView {
        TimelineEntryView {
            id: 1,
            at: Timestamp::from_unix_millis(0),
            actor: "beacon".into(),
            event,
        }
    }

    /// SPEC R3, R6: the incident page links every problem the ticket is linked
    /// to, once, whether linked by hand or as a recurrence.
    #[test]
    fn linked_problems_come_from_the_timeline_once_each() {
        let timeline = vec![
            entry(TimelineEvent::RecurrenceOfProblem(RecurrenceNote {
                problem: 7,
                strength: MatchStrength::AlertKey,
                fix: FixStatus::Overdue,
                raised_from: None,
            })),
            entry(TimelineEvent::LinkedToProblem(ProblemLinkNote {
                problem: 7,
                reason: LinkReason::Recurrence,
            })),
            entry(TimelineEvent::LinkedToProblem(ProblemLinkNote {
                problem: 3,
                reason: LinkReason::Manual,
            })),
        ];
        assert_eq!(linked_problems(&timeline), vec![7, 3]);
        assert!(linked_problems(&timeline[..0]).is_empty());
    }
}
