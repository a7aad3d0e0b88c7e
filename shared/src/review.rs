//! The review meeting (SPEC Q5): one page per period that the meeting goes
//! through, assembled by [`assemble_review`] from what the worker read, with
//! the time passed in; and the wording of its changes against the period
//! before ([`count_change`], [`duration_change`]).
//!
//! Sections, each with the visible rows and the number of rows a reader
//! without clearance may not see (SPEC K3: Security only as a count):
//!
//! - open P0/P1 incidents, most urgent and oldest first, whenever created;
//! - incident reports awaiting management's approval, longest waiting first;
//! - overdue remediation items per owner, most overdue first;
//! - open problems older than `root_cause_days` without a root cause;
//! - new recurrences: repeat cases (system and host, or recurrence
//!   signature) of the period whose key was no repeat case the period before;
//! - changes against the period before: tickets in total and per priority,
//!   and the median of each response time;
//! - successes: the changes for the better, and what went right (no P0, no
//!   overdue remediation item).

use crate::clearance::{clearance, Reader};
use crate::lifecycle::IncidentStatus;
use crate::priority::Priority;
use crate::report::{
    Measure, PeriodKind, RepeatKey, Report, ReportFilter, ReportTicket, TicketKind,
};
use crate::service_level::Period;
use crate::{Category, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const MINUTE_MILLIS: i64 = 60_000;
const HOUR_MILLIS: i64 = 60 * MINUTE_MILLIS;
const DAY_MILLIS: i64 = 24 * HOUR_MILLIS;

/// Open problems younger than this many days may still lack a root cause.
pub const DEFAULT_ROOT_CAUSE_DAYS: u32 = 14;

// ---- Input ------------------------------------------------------------------

/// A problem as the review reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewProblem {
    pub id: i64,
    pub title: String,
    pub priority: Priority,
    pub open: bool,
    pub opened_at: Timestamp,
    /// The RCA names a root cause, or the problem is past investigation.
    pub has_root_cause: bool,
    pub owner: Option<String>,
    /// What decides its clearance: Security when it or a linked incident is.
    pub category: Option<Category>,
}

/// An incident report waiting for management's approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewReport {
    pub problem: i64,
    pub title: String,
    /// Since when it waits (its last change).
    pub since: Timestamp,
    pub category: Option<Category>,
}

/// A remediation item as the review reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewRemediation {
    pub id: i64,
    pub problem: i64,
    pub title: String,
    pub owner: String,
    pub due_at: Timestamp,
    /// Open or in progress.
    pub pending: bool,
    /// Its problem's clearance category.
    pub category: Option<Category>,
}

/// Everything the review of one period reads.
#[derive(Debug, Clone)]
pub struct ReviewInput<'a> {
    pub kind: PeriodKind,
    /// The period under review.
    pub period: Period,
    pub now: Timestamp,
    /// The incidents created in the period or the one before, or still
    /// open, as the reader may see them (`report::redact_for`).
    pub tickets: &'a [ReportTicket],
    pub problems: &'a [ReviewProblem],
    pub reports: &'a [ReviewReport],
    pub remediation: &'a [ReviewRemediation],
    pub root_cause_days: u32,
}

// ---- Output -----------------------------------------------------------------

/// One section of the page: its visible rows and how many are restricted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section<T> {
    pub rows: Vec<T>,
    /// Rows a reader without clearance does not see (SPEC K3).
    pub restricted: u32,
}

impl<T> Default for Section<T> {
    fn default() -> Self {
        Self {
            rows: Vec::new(),
            restricted: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UrgentIncident {
    pub id: i64,
    pub title: String,
    pub priority: Priority,
    pub status: IncidentStatus,
    pub created_at: Timestamp,
    pub age_millis: i64,
    pub owner: Option<String>,
    pub group: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwaitingApproval {
    pub problem: i64,
    pub title: String,
    pub waiting_millis: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverdueRemediation {
    pub id: i64,
    pub problem: i64,
    pub title: String,
    pub due_at: Timestamp,
    pub overdue_millis: i64,
}

/// One owner's overdue remediation items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerOverdue {
    pub owner: String,
    pub items: Vec<OverdueRemediation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemWithoutCause {
    pub id: i64,
    pub title: String,
    pub priority: Priority,
    pub owner: Option<String>,
    pub opened_at: Timestamp,
    pub age_days: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recurrence {
    pub key: RepeatKey,
    /// `system/host` or the signature.
    pub value: String,
    /// Oldest first.
    pub incidents: Vec<i64>,
}

/// Which way a change went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    Better,
    Worse,
    Same,
}

/// A figure of the period beside the period before's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// "P1", "tickets", "median time to acknowledge".
    pub subject: String,
    pub previous: i64,
    pub current: i64,
    /// Fewer tickets and shorter times are better.
    pub trend: Trend,
    /// "P1 +40 % (5 -> 7)", "median time to acknowledge 6 -> 3 min".
    pub wording: String,
}

/// The review page of one period (SPEC Q5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewPage {
    pub kind: PeriodKind,
    pub period: Period,
    pub previous: Period,
    pub generated_at: Timestamp,
    pub root_cause_days: u32,
    pub open_urgent: Section<UrgentIncident>,
    pub awaiting_approval: Section<AwaitingApproval>,
    pub overdue_remediation: Section<OwnerOverdue>,
    pub problems_without_root_cause: Section<ProblemWithoutCause>,
    pub new_recurrences: Vec<Recurrence>,
    pub changes: Vec<Change>,
    pub successes: Vec<String>,
    /// Security tickets of the period counted without details (SPEC K3).
    pub restricted_tickets: u32,
}

// ---- Wording ------------------------------------------------------------------

fn trend(previous: i64, current: i64) -> Trend {
    match current.cmp(&previous) {
        std::cmp::Ordering::Less => Trend::Better,
        std::cmp::Ordering::Greater => Trend::Worse,
        std::cmp::Ordering::Equal => Trend::Same,
    }
}

/// A count beside the period before: "P1 +40 % (5 -> 7)", "P1 -50 % (4 ->
/// 2)", "P1 0 -> 3" (no percentage from nothing), "P1 unchanged (5)". The
/// percentage is rounded to the nearest whole, halves away from zero.
pub fn count_change(subject: &str, previous: u32, current: u32) -> Change {
    let (p, c) = (i64::from(previous), i64::from(current));
    let wording = if p == c {
        format!("{subject} unchanged ({c})")
    } else if p == 0 {
        format!("{subject} 0 -> {c}")
    } else {
        let diff = (c - p) * 100;
        let rounded = (diff.abs() * 2 + p) / (2 * p);
        let sign = if diff > 0 { "+" } else { "-" };
        format!("{subject} {sign}{rounded} % ({p} -> {c})")
    };
    Change {
        subject: subject.to_owned(),
        previous: p,
        current: c,
        trend: trend(p, c),
        wording,
    }
}

/// Both durations in one unit, chosen by the longer: minutes under two
/// hours, hours under three days, days beyond; rounded to the nearest.
fn in_one_unit(a: i64, b: i64) -> (i64, i64, &'static str) {
    let longer = a.max(b);
    let unit = if longer < 2 * HOUR_MILLIS {
        (MINUTE_MILLIS, "min")
    } else if longer < 3 * DAY_MILLIS {
        (HOUR_MILLIS, "h")
    } else {
        (DAY_MILLIS, "d")
    };
    let round = |v: i64| (v + unit.0 / 2).div_euclid(unit.0);
    (round(a), round(b), unit.1)
}

/// A duration beside the period before: "median time to acknowledge 6 -> 3
/// min"; "... unchanged (6 min)" when equal in the shown unit.
pub fn duration_change(subject: &str, previous_millis: i64, current_millis: i64) -> Change {
    let (p, c, unit) = in_one_unit(previous_millis, current_millis);
    let wording = if p == c {
        format!("{subject} unchanged ({c} {unit})")
    } else {
        format!("{subject} {p} -> {c} {unit}")
    };
    Change {
        subject: subject.to_owned(),
        previous: previous_millis,
        current: current_millis,
        trend: trend(p, c),
        wording,
    }
}

/// How a measure is named in the review.
pub fn measure_name(measure: Measure) -> &'static str {
    match measure {
        Measure::Detect => "time to detect",
        Measure::Acknowledge => "time to acknowledge",
        Measure::Mitigate => "time to mitigate",
        Measure::Resolve => "time to resolve",
        Measure::Close => "time to close",
    }
}

// ---- Assembly -------------------------------------------------------------------

fn cleared(reader: Reader<'_>, category: Option<&Category>) -> bool {
    clearance(reader, category).is_full()
}

/// The review page of `input.period` for `reader` (SPEC Q5, K3).
pub fn assemble_review(reader: Reader<'_>, input: &ReviewInput<'_>) -> ReviewPage {
    let now = input.now;
    let period = input.period;
    let previous = input.kind.previous(period);
    let report = Report::new(input.tickets, &ReportFilter::default(), now);

    let mut open_urgent = Section::default();
    for ticket in input.tickets {
        let urgent = matches!(ticket.priority, Priority::P0 | Priority::P1);
        if !urgent || ticket.kind() != TicketKind::Counted || !ticket.status.is_open() {
            continue;
        }
        if ticket.restricted {
            open_urgent.restricted += 1;
            continue;
        }
        open_urgent.rows.push(UrgentIncident {
            id: ticket.id,
            title: ticket.title.clone().unwrap_or_default(),
            priority: ticket.priority,
            status: ticket.status,
            created_at: ticket.created_at,
            age_millis: ticket.age_millis(now),
            owner: ticket.owner.clone(),
            group: ticket.owner_group.clone(),
        });
    }
    open_urgent
        .rows
        .sort_by_key(|i| (i.priority, i.created_at, i.id));

    let mut awaiting_approval = Section::default();
    for r in input.reports {
        if cleared(reader, r.category.as_ref()) {
            awaiting_approval.rows.push(AwaitingApproval {
                problem: r.problem,
                title: r.title.clone(),
                waiting_millis: now.millis_since(r.since).max(0),
            });
        } else {
            awaiting_approval.restricted += 1;
        }
    }
    awaiting_approval
        .rows
        .sort_by_key(|r| (std::cmp::Reverse(r.waiting_millis), r.problem));

    let mut by_owner: BTreeMap<String, Vec<OverdueRemediation>> = BTreeMap::new();
    let mut overdue_restricted = 0;
    for item in input.remediation {
        if !item.pending || now < item.due_at {
            continue;
        }
        if !cleared(reader, item.category.as_ref()) {
            overdue_restricted += 1;
            continue;
        }
        by_owner
            .entry(item.owner.clone())
            .or_default()
            .push(OverdueRemediation {
                id: item.id,
                problem: item.problem,
                title: item.title.clone(),
                due_at: item.due_at,
                overdue_millis: now.millis_since(item.due_at),
            });
    }
    let overdue_remediation = Section {
        rows: by_owner
            .into_iter()
            .map(|(owner, mut items)| {
                items.sort_by_key(|i| (std::cmp::Reverse(i.overdue_millis), i.id));
                OwnerOverdue { owner, items }
            })
            .collect(),
        restricted: overdue_restricted,
    };

    let mut without_cause = Section::default();
    let limit = i64::from(input.root_cause_days) * DAY_MILLIS;
    for problem in input.problems {
        let age = now.millis_since(problem.opened_at);
        if !problem.open || problem.has_root_cause || age <= limit {
            continue;
        }
        if !cleared(reader, problem.category.as_ref()) {
            without_cause.restricted += 1;
            continue;
        }
        without_cause.rows.push(ProblemWithoutCause {
            id: problem.id,
            title: problem.title.clone(),
            priority: problem.priority,
            owner: problem.owner.clone(),
            opened_at: problem.opened_at,
            age_days: age / DAY_MILLIS,
        });
    }
    without_cause.rows.sort_by_key(|p| (p.opened_at, p.id));

    let mut new_recurrences = Vec::new();
    for key in [RepeatKey::SystemHost, RepeatKey::Signature] {
        let before: Vec<String> = report
            .repeats(previous, key)
            .cases
            .into_iter()
            .map(|c| c.key)
            .collect();
        for case in report.repeats(period, key).cases {
            if !before.contains(&case.key) {
                new_recurrences.push(Recurrence {
                    key,
                    value: case.key,
                    incidents: case.incidents,
                });
            }
        }
    }

    let summary = report.summary(input.kind, period);
    let (totals, previous_totals) = summary
        .first()
        .map(|row| (row.totals, row.previous))
        .unwrap_or_default();
    let mut changes = vec![count_change(
        "tickets",
        previous_totals.counted,
        totals.counted,
    )];
    let per_priority = |p: Period| {
        let mut counts = [0u32; 4];
        for t in input.tickets {
            let created = p.from() <= t.created_at && t.created_at < p.to();
            if created && t.kind() == TicketKind::Counted {
                counts[Priority::ALL
                    .iter()
                    .position(|x| *x == t.priority)
                    .unwrap_or(0)] += 1;
            }
        }
        counts
    };
    let (now_counts, before_counts) = (per_priority(period), per_priority(previous));
    for (i, priority) in Priority::ALL.iter().enumerate() {
        if now_counts[i] > 0 || before_counts[i] > 0 {
            changes.push(count_change(
                priority.as_str(),
                before_counts[i],
                now_counts[i],
            ));
        }
    }
    let (times, times_before) = (
        report.response_times(period),
        report.response_times(previous),
    );
    for measure in Measure::ALL {
        if let (Some(before), Some(current)) = (times_before.stats(measure), times.stats(measure)) {
            changes.push(duration_change(
                &format!("median {}", measure_name(measure)),
                before.median_millis,
                current.median_millis,
            ));
        }
    }

    let mut successes: Vec<String> = changes
        .iter()
        .filter(|c| c.trend == Trend::Better)
        .map(|c| c.wording.clone())
        .collect();
    if now_counts[0] == 0 {
        successes.push("no P0 incident in the period".to_owned());
    }
    if overdue_remediation.rows.is_empty() && overdue_remediation.restricted == 0 {
        successes.push("no remediation item overdue".to_owned());
    }

    ReviewPage {
        kind: input.kind,
        period,
        previous,
        generated_at: now,
        root_cause_days: input.root_cause_days,
        open_urgent,
        awaiting_approval,
        overdue_remediation,
        problems_without_root_cause: without_cause,
        new_recurrences,
        changes,
        successes,
        restricted_tickets: totals.restricted,
    }
}

// ---- Snapshots ----------------------------------------------------------------

/// At most this many characters of minutes.
pub const MAX_MINUTES_CHARS: usize = 20_000;
/// At most this many decisions, each at most [`MAX_DECISION_CHARS`].
pub const MAX_DECISIONS: usize = 100;
pub const MAX_DECISION_CHARS: usize = 1_000;

/// `POST /api/review/snapshots`: save the review of a period with the
/// meeting's minutes and decisions. The page itself is assembled by the
/// server at saving time, never taken from the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewReviewSnapshot {
    pub period: PeriodKind,
    /// A day in the period under review (UTC, `YYYY-MM-DD`); by default
    /// the period before the current one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_cause_days: Option<u32>,
    #[serde(default)]
    pub minutes: String,
    #[serde(default)]
    pub decisions: Vec<String>,
}

/// A snapshot request the meeting may not save, naming its field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotError {
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for SnapshotError {}

impl crate::refusal::Refusal for SnapshotError {
    fn refusal_kind(&self) -> crate::refusal::RefusalKind {
        crate::refusal::invalid(self.field.clone())
    }
}

/// The longest a review may wait for a root cause: a year.
pub const MAX_ROOT_CAUSE_DAYS: u32 = 365;

impl NewReviewSnapshot {
    /// Minutes up to [`MAX_MINUTES_CHARS`], decisions non-empty and up to
    /// [`MAX_DECISION_CHARS`] each, at most [`MAX_DECISIONS`]; the minutes
    /// and decisions trimmed; the root-cause limit 1 to 365 days.
    pub fn validate(mut self) -> Result<Self, SnapshotError> {
        let error = |field: String, message: String| SnapshotError { field, message };
        self.minutes = self.minutes.trim().to_owned();
        if self.minutes.chars().count() > MAX_MINUTES_CHARS {
            return Err(error(
                "minutes".into(),
                format!("must be at most {MAX_MINUTES_CHARS} characters"),
            ));
        }
        if self.decisions.len() > MAX_DECISIONS {
            return Err(error(
                "decisions".into(),
                format!("must hold at most {MAX_DECISIONS} decisions"),
            ));
        }
        for (i, decision) in self.decisions.iter_mut().enumerate() {
            *decision = decision.trim().to_owned();
            let field = format!("decisions[{i}]");
            if decision.is_empty() {
                return Err(error(field, "must not be empty".into()));
            }
            if decision.chars().count() > MAX_DECISION_CHARS {
                return Err(error(
                    field,
                    format!("must be at most {MAX_DECISION_CHARS} characters"),
                ));
            }
        }
        if let Some(date) = &self.date {
            parse_review_date(date)?;
        }
        if let Some(days) = self.root_cause_days {
            if days == 0 || days > MAX_ROOT_CAUSE_DAYS {
                return Err(error(
                    "root_cause_days".into(),
                    format!("must be 1 to {MAX_ROOT_CAUSE_DAYS} days"),
                ));
            }
        }
        Ok(self)
    }
}

/// A day of the period under review, `YYYY-MM-DD`.
pub fn parse_review_date(text: &str) -> Result<chrono::NaiveDate, SnapshotError> {
    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| SnapshotError {
        field: "date".to_owned(),
        message: "must be a date like 2026-11-01".to_owned(),
    })
}

/// The period a review covers: the one of `kind` holding `date`, or by
/// default the last complete one before `now`.
pub fn review_period(kind: PeriodKind, date: Option<chrono::NaiveDate>, now: Timestamp) -> Period {
    match date {
        Some(date) => kind.containing(Timestamp::start_of_day(date)),
        None => kind.previous(kind.containing(now)),
    }
}

/// What a snapshot holds, hashed as its stored JSON text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewSnapshotContent {
    pub page: ReviewPage,
    pub minutes: String,
    pub decisions: Vec<String>,
    pub saved_by: String,
    pub saved_at: Timestamp,
}

impl ReviewSnapshotContent {
    /// The stored text and its SHA-256 (hex).
    pub fn sealed(&self) -> Result<(String, String), serde_json::Error> {
        let text = serde_json::to_string(self)?;
        let digest = sha256_hex(&text);
        Ok((text, digest))
    }
}

/// The lower-case hex SHA-256 of `text`.
pub fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A saved snapshot in the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewSnapshotSummary {
    pub id: i64,
    pub kind: PeriodKind,
    pub period: Period,
    pub saved_by: String,
    pub saved_at: Timestamp,
    /// The SHA-256 of the version this reader gets.
    pub sha256: String,
}

/// `GET /api/review/snapshots/{id}`: the version of the snapshot the
/// reader's clearance allows (SPEC K3), with its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewSnapshotView {
    pub id: i64,
    pub kind: PeriodKind,
    pub sha256: String,
    pub content: ReviewSnapshotContent,
}

#[cfg(test)]
mod tests;
