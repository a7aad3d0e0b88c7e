//! Reports that managers read (SPEC Q1-Q5, L1, L2): one pure engine over
//! incidents, with the time of the report passed in.
//!
//! The engine reads [`ReportTicket`]s: an incident reduced to what reports
//! need, with its lifecycle times ([`LifecycleTimes`]) derived from its
//! timeline by [`TimelineFacts::read`]. Problems and remediation
//! items plug into the overdue table as [`FollowUpItem`]s.
//!
//! Definitions (all in UTC, periods half-open `[from, to)`):
//!
//! - A ticket belongs to the period in which it was created.
//! - *Counted* tickets exclude discarded events and duplicates, which are
//!   counted apart ([`TicketKind`]). A duplicate is a ticket whose alerts
//!   were moved to another incident before it was discarded (SPEC V10).
//! - Open/closed and age are read at the report's `now`. Age is the time
//!   open: `now − created` for open tickets, `closed − created` for closed
//!   ones. Buckets: under 1 day, 1 to 7 days, 7 to 30 days, 30 days or more
//!   (each lower bound included).
//! - Periods: UTC day, ISO week (Monday to Monday), calendar month and
//!   quarter; each table row carries the count of the period before.
//! - Response times, over the counted tickets that have both timestamps:
//!   - detect: from the impact start the incident commander recorded to the
//!     first alert or report (the alert time, T4, or the creation if
//!     earlier); for a ticket without a recorded impact start, from the
//!     alert time (T4) to the ticket's creation, as before impact starts
//!     were recorded;
//!   - acknowledge: the first page to the first acknowledgement;
//!   - mitigate: the alert time (T4, or creation without one) to the first
//!     change to *monitoring*;
//!   - resolve: creation (the declaration) to the last change to *resolved*;
//!   - close: creation to the last change to *closed*.
//!
//!   Each as the median (the mean of the two middle values for an even
//!   count), the 90th percentile (nearest rank: the `ceil(0.9 n)`-th
//!   smallest) and the mean, in whole milliseconds rounded down.
//! - Overdue (Q3): an open counted ticket older than its priority's close
//!   target ([`CloseTargets`]), strictly.
//! - Repeats (Q4): counted tickets grouped by system and host, or by
//!   recurrence signature; a key with two or more tickets is a repeat case,
//!   and the recurrence rate is the share of keyed tickets that repeat an
//!   earlier one (`Σ (n − 1)` over repeat cases ÷ keyed tickets).
//! - Trends (Q2, the charts): per period, tickets created per priority,
//!   tickets resolved (or closed without a resolution), the backlog open
//!   at the period's end by age bucket, and the response times
//!   of the tickets created in it ([`TrendPoint`]).
//! - K3: for a reader without clearance, Security tickets are only counted,
//!   as *restricted* ([`redact_for`]); they never appear in breakdowns,
//!   response times, overdue or repeat tables.

use crate::api::{IncidentView, TimelineEntryView};
use crate::clearance::{clearance, Reader};
use crate::lifecycle::IncidentStatus;
use crate::priority::Priority;
use crate::service_level::{
    error_budget, monthly_availability, DowntimeWeights, Period, SloPolicy, StatusHistory,
};
use crate::status_page::ComponentId;
use crate::timeline::TimelineEvent;
use crate::{Category, Timestamp};
use chrono::{Datelike, Duration, Month, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const HOUR_MILLIS: i64 = 3_600_000;
const DAY_MILLIS: i64 = 24 * HOUR_MILLIS;

/// The value restricted tickets show in every breakdown (SPEC K3).
pub const RESTRICTED: &str = "restricted";

// ---- Input ------------------------------------------------------------------

/// When the steps of a ticket's lifecycle happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LifecycleTimes {
    /// When the impact started, as the incident commander last set it.
    #[serde(default)]
    pub impact_started_at: Option<Timestamp>,
    pub created_at: Option<Timestamp>,
    /// T4: when the alert fired or the report came in.
    pub alerted_at: Option<Timestamp>,
    pub first_paged_at: Option<Timestamp>,
    pub first_acknowledged_at: Option<Timestamp>,
    /// The first change to *monitoring*.
    pub mitigated_at: Option<Timestamp>,
    /// The last change to *resolved*.
    pub resolved_at: Option<Timestamp>,
    /// The last change to *closed*.
    pub closed_at: Option<Timestamp>,
}

/// What a ticket's timeline tells the reports.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TimelineFacts {
    pub times: LifecycleTimes,
    /// Its alerts were moved to another incident: discarded, it is a duplicate.
    pub alerts_moved_away: bool,
    /// Who took the page last: the ticket's owner.
    pub owner: Option<String>,
}

impl TimelineFacts {
    /// Reads a ticket's timeline, oldest entry first, beside its alert time (T4).
    pub fn read<'a>(
        alerted_at: Option<Timestamp>,
        entries: impl IntoIterator<Item = (Timestamp, &'a TimelineEvent)>,
    ) -> Self {
        let mut facts = TimelineFacts::default();
        let times = &mut facts.times;
        times.alerted_at = alerted_at;
        for (at, event) in entries {
            match event {
                TimelineEvent::Created(_) => {
                    times.created_at.get_or_insert(at);
                }
                TimelineEvent::Paged(_) => {
                    times.first_paged_at.get_or_insert(at);
                }
                TimelineEvent::Acknowledged(ack) => {
                    times.first_acknowledged_at.get_or_insert(at);
                    facts.owner = Some(ack.by.clone());
                }
                TimelineEvent::AlertDetached(_) => facts.alerts_moved_away = true,
                TimelineEvent::ImpactStartSet(start) => {
                    times.impact_started_at = Some(start.impact_started_at)
                }
                TimelineEvent::StatusChanged(change) => match change.to {
                    IncidentStatus::Monitoring => {
                        times.mitigated_at.get_or_insert(at);
                    }
                    IncidentStatus::Resolved => times.resolved_at = Some(at),
                    IncidentStatus::Closed => times.closed_at = Some(at),
                    _ => {}
                },
                _ => {}
            }
        }
        facts
    }
}

/// An incident as the reports read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportTicket {
    pub id: i64,
    /// The incident's title; `None` when restricted (SPEC K3).
    #[serde(default)]
    pub title: Option<String>,
    pub priority: Priority,
    pub status: IncidentStatus,
    pub created_at: Timestamp,
    pub category: Option<String>,
    /// The priority rule that fired, or a label.
    pub subcategory: Option<String>,
    pub owner_group: Option<String>,
    /// The person who owns the ticket (who took the page).
    pub owner: Option<String>,
    /// The monitoring integration that opened it; `None` for a person's report.
    pub source_integration: Option<String>,
    pub system: Option<String>,
    pub hostname: Option<String>,
    /// Given when a problem record links recurrences (SPEC R6).
    pub recurrence_signature: Option<String>,
    /// Discarded because another incident took its alerts.
    pub duplicate: bool,
    /// A Security ticket the reader may not see (SPEC K3); see [`redact_for`].
    pub restricted: bool,
    pub times: LifecycleTimes,
}

impl ReportTicket {
    /// The last time it ended, resolved or closed (`None` while it never
    /// did): a ticket created before a span and ended in it, or after it,
    /// counts in that span's trends (resolved in it, or open at its end).
    pub fn ended_at(&self) -> Option<Timestamp> {
        self.times.resolved_at.max(self.times.closed_at)
    }

    /// An incident as the API shows it and its timeline (any kinds, oldest
    /// first), as the reports read it: the subcategory is the first priority
    /// rule that fired, or else the first label; the owner is who took the
    /// page last; the source is the integration that opened it.
    pub fn from_incident(incident: &IncidentView, timeline: &[TimelineEntryView]) -> Self {
        let facts = TimelineFacts::read(
            incident.facts.alerted_at,
            timeline.iter().map(|e| (e.at, &e.event)),
        );
        let source_integration = timeline.iter().find_map(|e| match &e.event {
            TimelineEvent::Created(created) => {
                created.from_alert.as_ref().map(|a| a.integration.clone())
            }
            _ => None,
        });
        let subcategory = incident
            .classification
            .matched
            .first()
            .and_then(|m| serde_json::to_string(&m.rule).ok())
            .map(|name| name.trim_matches('"').to_owned())
            .or_else(|| incident.labels.first().cloned());
        ReportTicket {
            id: incident.id,
            title: Some(incident.title.clone()),
            priority: incident.priority,
            status: incident.status,
            created_at: incident.created_at,
            category: incident.category.clone(),
            subcategory,
            owner_group: incident.owner_group.clone(),
            owner: facts.owner,
            source_integration,
            system: incident.facts.system.as_ref().map(|s| s.to_string()),
            hostname: incident.facts.hostname.as_ref().map(|h| h.to_string()),
            recurrence_signature: None,
            duplicate: facts.alerts_moved_away,
            restricted: false,
            times: facts.times,
        }
    }
}

/// How a ticket counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketKind {
    Counted,
    Discarded,
    Duplicate,
}

impl ReportTicket {
    pub fn kind(&self) -> TicketKind {
        match (self.status, self.duplicate) {
            (IncidentStatus::Discarded, true) => TicketKind::Duplicate,
            (IncidentStatus::Discarded, false) => TicketKind::Discarded,
            _ => TicketKind::Counted,
        }
    }

    fn is_security(&self) -> bool {
        self.category
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case(Category::SECURITY))
    }

    /// Time open: to `now` while open, to closing once closed.
    pub fn age_millis(&self, now: Timestamp) -> i64 {
        let end = match (self.status, self.times.closed_at) {
            (IncidentStatus::Closed, Some(closed)) => closed,
            _ => now,
        };
        end.millis_since(self.created_at).max(0)
    }
}

/// What `reader` may see of `tickets` (SPEC K3): Security tickets the reader
/// is not cleared for keep only their number, priority, status and times,
/// and are marked restricted.
pub fn redact_for(reader: Reader<'_>, tickets: Vec<ReportTicket>) -> Vec<ReportTicket> {
    tickets
        .into_iter()
        .map(|ticket| {
            let category = ticket
                .category
                .as_deref()
                .and_then(|c| Category::parse(c).ok());
            let cleared = !ticket.is_security() || clearance(reader, category.as_ref()).is_full();
            if cleared {
                ticket
            } else {
                ReportTicket {
                    title: None,
                    category: None,
                    subcategory: None,
                    owner_group: None,
                    owner: None,
                    source_integration: None,
                    system: None,
                    hostname: None,
                    recurrence_signature: None,
                    restricted: true,
                    ..ticket
                }
            }
        })
        .collect()
}

/// Which tickets a report covers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportFilter {
    pub priority: Option<Priority>,
    /// Compared ignoring letter case.
    pub category: Option<String>,
    /// The owning group, compared ignoring letter case.
    pub group: Option<String>,
}

impl ReportFilter {
    /// Restricted tickets match only a filter on priority alone.
    pub fn matches(&self, ticket: &ReportTicket) -> bool {
        let same = |wanted: &Option<String>, value: &Option<String>| match wanted {
            None => true,
            Some(w) => value.as_deref().is_some_and(|v| v.eq_ignore_ascii_case(w)),
        };
        self.priority.is_none_or(|p| p == ticket.priority)
            && same(&self.category, &ticket.category)
            && same(&self.group, &ticket.owner_group)
    }
}

// ---- Periods -----------------------------------------------------------------

/// The length of a report's periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    Day,
    /// ISO 8601 week, Monday 00:00 UTC to the next Monday.
    Week,
    Month,
    Quarter,
}

impl PeriodKind {
    pub const ALL: [PeriodKind; 4] = [
        PeriodKind::Day,
        PeriodKind::Week,
        PeriodKind::Month,
        PeriodKind::Quarter,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PeriodKind::Day => "day",
            PeriodKind::Week => "week",
            PeriodKind::Month => "month",
            PeriodKind::Quarter => "quarter",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// The first day of the period holding `date`, and of the one after it.
    fn bounds(self, date: NaiveDate) -> (NaiveDate, NaiveDate) {
        let month_start = |year: i32, month0: u32| {
            let (year, month0) = (year + (month0 / 12) as i32, month0 % 12);
            NaiveDate::from_ymd_opt(year, month0 + 1, 1).unwrap_or(date)
        };
        match self {
            PeriodKind::Day => (date, date + Duration::days(1)),
            PeriodKind::Week => {
                let monday =
                    date - Duration::days(i64::from(date.weekday().num_days_from_monday()));
                (monday, monday + Duration::days(7))
            }
            PeriodKind::Month => (
                month_start(date.year(), date.month0()),
                month_start(date.year(), date.month0() + 1),
            ),
            PeriodKind::Quarter => {
                let first = date.month0() / 3 * 3;
                (
                    month_start(date.year(), first),
                    month_start(date.year(), first + 3),
                )
            }
        }
    }

    /// The period of this kind holding `at`.
    pub fn containing(self, at: Timestamp) -> Period {
        let (from, to) = self.bounds(at.date());
        Period::new(Timestamp::start_of_day(from), Timestamp::start_of_day(to))
            .expect("a period's first day comes before the next one's")
    }

    /// How a period of this kind is named on a chart's axis and in tables:
    /// `2026-01-05`, `2026-W02` (the ISO week's year and number), `2026-01`,
    /// `2026-Q1`; named by the period's first day.
    pub fn label(self, period: Period) -> String {
        let date = period.from().date();
        match self {
            PeriodKind::Day => format!("{}-{:02}-{:02}", date.year(), date.month(), date.day()),
            PeriodKind::Week => {
                let week = date.iso_week();
                format!("{}-W{:02}", week.year(), week.week())
            }
            PeriodKind::Month => format!("{}-{:02}", date.year(), date.month()),
            PeriodKind::Quarter => format!("{}-Q{}", date.year(), date.month0() / 3 + 1),
        }
    }

    /// The period of this kind just before `period`.
    pub fn previous(self, period: Period) -> Period {
        self.containing(Timestamp::from_unix_millis(period.from().unix_millis() - 1))
    }

    /// The periods of this kind that overlap `range`, oldest first.
    pub fn covering(self, range: Period) -> Vec<Period> {
        let mut periods = Vec::new();
        let mut at = range.from();
        while at < range.to() || periods.is_empty() {
            let period = self.containing(at);
            periods.push(period);
            at = period.to();
        }
        periods
    }
}

fn within(period: Period, at: Timestamp) -> bool {
    period.from() <= at && at < period.to()
}

// ---- Dimensions and counts --------------------------------------------------

/// What a count is broken down by (SPEC Q1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Priority,
    Category,
    Subcategory,
    Group,
    Source,
    /// Open or closed at the report's time.
    State,
    /// [`AgeBucket`] at the report's time.
    Age,
}

impl Dimension {
    pub const ALL: [Dimension; 7] = [
        Dimension::Priority,
        Dimension::Category,
        Dimension::Subcategory,
        Dimension::Group,
        Dimension::Source,
        Dimension::State,
        Dimension::Age,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Priority => "priority",
            Dimension::Category => "category",
            Dimension::Subcategory => "subcategory",
            Dimension::Group => "group",
            Dimension::Source => "source",
            Dimension::State => "state",
            Dimension::Age => "age",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == text)
    }

    /// The ticket's value in this dimension; [`RESTRICTED`] for a restricted one.
    pub fn value(self, ticket: &ReportTicket, now: Timestamp) -> String {
        if ticket.restricted {
            return RESTRICTED.to_owned();
        }
        let or_none = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".to_owned());
        match self {
            Dimension::Priority => ticket.priority.as_str().to_owned(),
            Dimension::Category => or_none(&ticket.category),
            Dimension::Subcategory => or_none(&ticket.subcategory),
            Dimension::Group => or_none(&ticket.owner_group),
            Dimension::Source => ticket
                .source_integration
                .clone()
                .unwrap_or_else(|| "person".to_owned()),
            Dimension::State => if ticket.status.is_open() {
                "open"
            } else {
                "closed"
            }
            .to_owned(),
            Dimension::Age => AgeBucket::of(ticket.age_millis(now)).as_str().to_owned(),
        }
    }
}

/// How long a ticket has been open (SPEC Q1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgeBucket {
    UnderOneDay,
    OneToSevenDays,
    SevenToThirtyDays,
    OverThirtyDays,
}

impl AgeBucket {
    pub const ALL: [AgeBucket; 4] = [
        AgeBucket::UnderOneDay,
        AgeBucket::OneToSevenDays,
        AgeBucket::SevenToThirtyDays,
        AgeBucket::OverThirtyDays,
    ];

    pub fn of(age_millis: i64) -> Self {
        match age_millis {
            a if a < DAY_MILLIS => AgeBucket::UnderOneDay,
            a if a < 7 * DAY_MILLIS => AgeBucket::OneToSevenDays,
            a if a < 30 * DAY_MILLIS => AgeBucket::SevenToThirtyDays,
            _ => AgeBucket::OverThirtyDays,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AgeBucket::UnderOneDay => "under_1_day",
            AgeBucket::OneToSevenDays => "1_to_7_days",
            AgeBucket::SevenToThirtyDays => "7_to_30_days",
            AgeBucket::OverThirtyDays => "over_30_days",
        }
    }

    /// How the bucket is named for people.
    pub fn label(self) -> &'static str {
        match self {
            AgeBucket::UnderOneDay => "under 1 day",
            AgeBucket::OneToSevenDays => "1 to 7 days",
            AgeBucket::SevenToThirtyDays => "7 to 30 days",
            AgeBucket::OverThirtyDays => "30 days or more",
        }
    }
}

/// The tickets of one period, by how they count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Counted tickets, restricted ones included.
    pub counted: u32,
    pub open: u32,
    pub closed: u32,
    /// Of `counted`: Security tickets the reader may not see.
    pub restricted: u32,
    pub discarded: u32,
    pub duplicates: u32,
}

fn totals<'a>(tickets: impl Iterator<Item = &'a ReportTicket>) -> Totals {
    let mut totals = Totals::default();
    for ticket in tickets {
        match ticket.kind() {
            TicketKind::Discarded => totals.discarded += 1,
            TicketKind::Duplicate => totals.duplicates += 1,
            TicketKind::Counted => {
                totals.counted += 1;
                if ticket.status.is_open() {
                    totals.open += 1;
                } else {
                    totals.closed += 1;
                }
                if ticket.restricted {
                    totals.restricted += 1;
                }
            }
        }
    }
    totals
}

/// One period's totals beside the period before's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryRow {
    pub period: Period,
    pub totals: Totals,
    pub previous: Totals,
}

/// The report's tickets: already redacted for the reader and filtered.
#[derive(Debug, Clone)]
pub struct Report<'a> {
    tickets: Vec<&'a ReportTicket>,
    now: Timestamp,
}

impl<'a> Report<'a> {
    pub fn new(tickets: &'a [ReportTicket], filter: &ReportFilter, now: Timestamp) -> Self {
        Self {
            tickets: tickets.iter().filter(|t| filter.matches(t)).collect(),
            now,
        }
    }

    fn created_in(&self, period: Period) -> impl Iterator<Item = &'a ReportTicket> + '_ {
        self.tickets
            .iter()
            .copied()
            .filter(move |t| within(period, t.created_at))
    }

    /// Totals per period of `kind` over `range`, each beside the period before.
    pub fn summary(&self, kind: PeriodKind, range: Period) -> Vec<SummaryRow> {
        kind.covering(range)
            .into_iter()
            .map(|period| SummaryRow {
                period,
                totals: totals(self.created_in(period)),
                previous: totals(self.created_in(kind.previous(period))),
            })
            .collect()
    }

    /// Counted tickets per value of `dimension`, per period of `kind` over
    /// `range`, each beside the period before. Values with no ticket in
    /// either period are left out.
    pub fn by_dimension(
        &self,
        dimension: Dimension,
        kind: PeriodKind,
        range: Period,
    ) -> Vec<DimensionRow> {
        let counts = |period: Period| {
            let mut counts: BTreeMap<String, u32> = BTreeMap::new();
            for ticket in self.created_in(period) {
                if ticket.kind() == TicketKind::Counted {
                    *counts.entry(dimension.value(ticket, self.now)).or_default() += 1;
                }
            }
            counts
        };
        let mut rows = Vec::new();
        for period in kind.covering(range) {
            let current = counts(period);
            let previous = counts(kind.previous(period));
            let mut values: Vec<&String> = current.keys().chain(previous.keys()).collect();
            values.sort();
            values.dedup();
            for value in values {
                rows.push(DimensionRow {
                    period,
                    value: value.clone(),
                    count: current.get(value).copied().unwrap_or(0),
                    previous: previous.get(value).copied().unwrap_or(0),
                });
            }
        }
        rows
    }

    /// Response times of the counted, visible tickets created in `period`.
    pub fn response_times(&self, period: Period) -> ResponseTimes {
        let in_period: Vec<&ReportTicket> = self.created_in(period).collect();
        let all = totals(in_period.iter().copied());
        let measured: Vec<&ReportTicket> = in_period
            .into_iter()
            .filter(|t| t.kind() == TicketKind::Counted && !t.restricted)
            .collect();
        let measures = Measure::ALL
            .into_iter()
            .map(|measure| MeasureStats {
                measure,
                stats: Stats::of(measured.iter().filter_map(|t| measure.millis(t)).collect()),
            })
            .collect();
        ResponseTimes {
            period,
            measures,
            excluded_discarded: all.discarded,
            excluded_duplicates: all.duplicates,
            excluded_restricted: all.restricted,
        }
    }

    /// Open tickets past their close target, and follow-up items past their
    /// due date, per owner and per group (SPEC Q3), at the report's time.
    pub fn overdue(&self, targets: &CloseTargets, follow_ups: &[FollowUpItem]) -> Overdue {
        let mut items = Vec::new();
        for ticket in &self.tickets {
            if ticket.kind() != TicketKind::Counted || ticket.restricted || !ticket.status.is_open()
            {
                continue;
            }
            let target = targets.millis(ticket.priority);
            let age = ticket.age_millis(self.now);
            if age > target {
                items.push(OverdueItem {
                    item: format!("incident {}", ticket.id),
                    incident: Some(ticket.id),
                    priority: Some(ticket.priority),
                    owner: ticket.owner.clone(),
                    group: ticket.owner_group.clone(),
                    overdue_millis: age - target,
                });
            }
        }
        for follow_up in follow_ups.iter().filter(|f| !f.done) {
            let late = self.now.millis_since(follow_up.due_at);
            if late > 0 {
                items.push(OverdueItem {
                    item: follow_up.item.clone(),
                    incident: None,
                    priority: None,
                    owner: follow_up.owner.clone(),
                    group: follow_up.group.clone(),
                    overdue_millis: late,
                });
            }
        }
        items.sort_by_key(|item| std::cmp::Reverse(item.overdue_millis));
        let tally = |key: fn(&OverdueItem) -> &Option<String>| {
            let mut counts: BTreeMap<String, u32> = BTreeMap::new();
            for item in &items {
                let name = key(item).clone().unwrap_or_else(|| "unassigned".to_owned());
                *counts.entry(name).or_default() += 1;
            }
            counts
                .into_iter()
                .map(|(name, overdue)| OverdueCount { name, overdue })
                .collect()
        };
        Overdue {
            by_owner: tally(|i| &i.owner),
            by_group: tally(|i| &i.group),
            items,
        }
    }

    /// Repeat cases among the counted, visible tickets created in `period`
    /// (SPEC Q4), keyed by `key`.
    pub fn repeats(&self, period: Period, key: RepeatKey) -> Repeats {
        let mut groups: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        for ticket in self.created_in(period) {
            if ticket.kind() != TicketKind::Counted || ticket.restricted {
                continue;
            }
            if let Some(k) = key.of(ticket) {
                groups.entry(k).or_default().push(ticket.id);
            }
        }
        let keyed: u32 = groups.values().map(|ids| ids.len() as u32).sum();
        let cases: Vec<RepeatCase> = groups
            .into_iter()
            .filter(|(_, ids)| ids.len() >= 2)
            .map(|(key, incidents)| RepeatCase { key, incidents })
            .collect();
        let repeating: u32 = cases.iter().map(|c| c.incidents.len() as u32 - 1).sum();
        Repeats {
            period,
            key,
            keyed_tickets: keyed,
            repeating_tickets: repeating,
            cases,
        }
    }
}

// ---- Trends (the charts' time series, SPEC Q2) ---------------------------------

/// One period of the trends the report's charts draw (SPEC Q2).
///
/// - `created_by_priority`: counted tickets created in the period, per
///   priority in [`Priority::ALL`] order (restricted ones included: their
///   priority is not secret);
/// - `resolved`: counted tickets resolved in the period: their last change
///   to *resolved* (or their closing without one) falls in it, whenever they
///   were created;
/// - `backlog`: counted tickets open (not closed, as [`IncidentStatus::is_open`])
///   at the period's end, or at `now` for the current period, per
///   [`AgeBucket`] in [`AgeBucket::ALL`] order by their age then. A ticket
///   open now counts as open since its creation; a closed one from its
///   creation to its closing;
/// - `response`: the response times of the counted, visible tickets created
///   in the period, as in [`Report::response_times`].
///
/// The figures cover the tickets the report is given: the caller passes the
/// tickets created in the range (and the period before it), those still
/// open, and those whose status changed in the range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrendPoint {
    pub period: Period,
    pub created_by_priority: [u32; 4],
    pub resolved: u32,
    pub backlog: [u32; 4],
    pub response: Vec<MeasureStats>,
}

impl TrendPoint {
    /// Counted tickets created in the period.
    pub fn created(&self) -> u32 {
        self.created_by_priority.iter().sum()
    }

    /// The statistics of one measure in the period, if it has samples.
    pub fn stats(&self, measure: Measure) -> Option<Stats> {
        self.response
            .iter()
            .find(|m| m.measure == measure)
            .and_then(|m| m.stats)
    }
}

impl ReportTicket {
    /// When the ticket was resolved: its last change to *resolved*, or its
    /// closing without one; `None` if neither happened.
    pub fn resolved_at(&self) -> Option<Timestamp> {
        self.times.resolved_at.or(self.times.closed_at)
    }

    /// Open at `at`: created before it and not closed by then. A ticket
    /// open now counts as open since its creation.
    fn open_at(&self, at: Timestamp) -> bool {
        if self.created_at >= at {
            return false;
        }
        if self.status.is_open() {
            return true;
        }
        self.times
            .closed_at
            .or(self.times.resolved_at)
            .is_some_and(|end| at < end)
    }
}

impl Report<'_> {
    /// The trends per period of `kind` over `range`, oldest first (SPEC Q2).
    pub fn trends(&self, kind: PeriodKind, range: Period) -> Vec<TrendPoint> {
        kind.covering(range)
            .into_iter()
            .map(|period| {
                let counted = || {
                    self.tickets
                        .iter()
                        .copied()
                        .filter(|t| t.kind() == TicketKind::Counted)
                };
                let mut created_by_priority = [0u32; 4];
                for ticket in counted().filter(|t| within(period, t.created_at)) {
                    created_by_priority[priority_index(ticket.priority)] += 1;
                }
                let resolved = counted()
                    .filter(|t| t.resolved_at().is_some_and(|end| within(period, end)))
                    .count() as u32;
                let end = period.to().min(self.now);
                let mut backlog = [0u32; 4];
                for ticket in counted().filter(|t| t.open_at(end)) {
                    let bucket = AgeBucket::of(end.millis_since(ticket.created_at));
                    backlog[bucket as usize] += 1;
                }
                TrendPoint {
                    period,
                    created_by_priority,
                    resolved,
                    backlog,
                    response: self.response_times(period).measures,
                }
            })
            .collect()
    }
}

fn priority_index(priority: Priority) -> usize {
    Priority::ALL
        .iter()
        .position(|p| *p == priority)
        .unwrap_or(0)
}

/// One value's count in one period, beside the period before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DimensionRow {
    pub period: Period,
    pub value: String,
    pub count: u32,
    pub previous: u32,
}

// ---- Response times ---------------------------------------------------------

/// A response time (see the module documentation for each definition).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    Detect,
    Acknowledge,
    Mitigate,
    Resolve,
    Close,
}

impl Measure {
    pub const ALL: [Measure; 5] = [
        Measure::Detect,
        Measure::Acknowledge,
        Measure::Mitigate,
        Measure::Resolve,
        Measure::Close,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Measure::Detect => "detect",
            Measure::Acknowledge => "acknowledge",
            Measure::Mitigate => "mitigate",
            Measure::Resolve => "resolve",
            Measure::Close => "close",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == text)
    }

    /// How the measure is named for people.
    pub fn label(self) -> &'static str {
        match self {
            Measure::Detect => "time to detect",
            Measure::Acknowledge => "time to acknowledge",
            Measure::Mitigate => "time to mitigate",
            Measure::Resolve => "time to resolve",
            Measure::Close => "time to close",
        }
    }

    /// The ticket's time for this measure, if it has both ends.
    pub fn millis(self, ticket: &ReportTicket) -> Option<i64> {
        let t = &ticket.times;
        let created = Some(ticket.created_at);
        let (start, end) = match self {
            Measure::Detect => match t.impact_started_at {
                Some(impact) => (Some(impact), Some(detected_at(ticket))),
                None => (t.alerted_at, created),
            },
            Measure::Acknowledge => (t.first_paged_at, t.first_acknowledged_at),
            Measure::Mitigate => (t.alerted_at.or(created), t.mitigated_at),
            Measure::Resolve => (created, t.resolved_at),
            Measure::Close => (created, t.closed_at),
        };
        let millis = end?.millis_since(start?);
        (millis >= 0).then_some(millis)
    }
}

/// When a ticket's impact was detected: the first alert or report (T4), or
/// its creation if earlier.
pub fn detected_at(ticket: &ReportTicket) -> Timestamp {
    match ticket.times.alerted_at {
        Some(alerted) if alerted < ticket.created_at => alerted,
        _ => ticket.created_at,
    }
}

/// Why an impact start cannot be recorded, naming the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImpactStartError {
    pub message: String,
}

impl std::fmt::Display for ImpactStartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "impact_started_at: {}", self.message)
    }
}

impl std::error::Error for ImpactStartError {}

impl crate::refusal::Refusal for ImpactStartError {
    fn refusal_kind(&self) -> crate::refusal::RefusalKind {
        crate::refusal::invalid("impact_started_at")
    }
}

/// The longest an impact may have gone unnoticed: a year.
pub const MAX_UNDETECTED_DAYS: i64 = 365;

/// An impact start is before (or at) the first alert or report and the
/// ticket's creation, not in the future, and at most a year earlier.
pub fn check_impact_start(
    impact: Timestamp,
    created_at: Timestamp,
    alerted_at: Option<Timestamp>,
    now: Timestamp,
) -> Result<(), ImpactStartError> {
    let detected = match alerted_at {
        Some(alerted) if alerted < created_at => alerted,
        _ => created_at,
    };
    let refuse = |message: String| Err(ImpactStartError { message });
    if impact > now {
        return refuse("must not be in the future".into());
    }
    if impact > detected {
        return refuse(format!(
            "must not be after the first alert or report ({detected}): the impact started before it was detected"
        ));
    }
    if detected.millis_since(impact) > MAX_UNDETECTED_DAYS * DAY_MILLIS {
        return refuse(format!(
            "must be within {MAX_UNDETECTED_DAYS} days before the first alert or report"
        ));
    }
    Ok(())
}

/// Median, 90th percentile and mean of some durations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub samples: u32,
    pub median_millis: i64,
    pub p90_millis: i64,
    pub mean_millis: i64,
}

impl Stats {
    /// `None` without samples.
    pub fn of(mut values: Vec<i64>) -> Option<Self> {
        if values.is_empty() {
            return None;
        }
        values.sort_unstable();
        let n = values.len();
        let median = if n % 2 == 1 {
            values[n / 2]
        } else {
            let (a, b) = (i128::from(values[n / 2 - 1]), i128::from(values[n / 2]));
            ((a + b).div_euclid(2)) as i64
        };
        let rank = (n * 9).div_ceil(10);
        let sum: i128 = values.iter().map(|&v| i128::from(v)).sum();
        Some(Self {
            samples: n as u32,
            median_millis: median,
            p90_millis: values[rank - 1],
            mean_millis: sum.div_euclid(n as i128) as i64,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeasureStats {
    pub measure: Measure,
    pub stats: Option<Stats>,
}

/// The response times of one period, and what was left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseTimes {
    pub period: Period,
    pub measures: Vec<MeasureStats>,
    pub excluded_discarded: u32,
    pub excluded_duplicates: u32,
    pub excluded_restricted: u32,
}

impl ResponseTimes {
    pub fn stats(&self, measure: Measure) -> Option<Stats> {
        self.measures
            .iter()
            .find(|m| m.measure == measure)
            .and_then(|m| m.stats)
    }
}

// ---- Overdue ------------------------------------------------------------------

/// How long a ticket of each priority may stay open (SPEC Q3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloseTargets {
    pub p0_hours: u32,
    pub p1_hours: u32,
    pub p2_hours: u32,
    pub p3_hours: u32,
}

impl Default for CloseTargets {
    /// P0 1 day, P1 3 days, P2 7 days, P3 30 days.
    fn default() -> Self {
        Self {
            p0_hours: 24,
            p1_hours: 72,
            p2_hours: 168,
            p3_hours: 720,
        }
    }
}

/// A close target the team may not set (SPEC Q3), naming its field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseTargetError {
    pub field: &'static str,
    pub message: String,
}

impl std::fmt::Display for CloseTargetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for CloseTargetError {}

impl crate::refusal::Refusal for CloseTargetError {
    fn refusal_kind(&self) -> crate::refusal::RefusalKind {
        crate::refusal::invalid(self.field)
    }
}

impl CloseTargets {
    /// The longest target: one year.
    pub const MAX_HOURS: u32 = 365 * 24;

    /// Each target is 1 hour to a year, and a more urgent priority never
    /// gets longer than a less urgent one (P0 ≤ P1 ≤ P2 ≤ P3).
    pub fn validate(&self) -> Result<(), CloseTargetError> {
        let fields = [
            ("p0_hours", self.p0_hours),
            ("p1_hours", self.p1_hours),
            ("p2_hours", self.p2_hours),
            ("p3_hours", self.p3_hours),
        ];
        for (field, hours) in fields {
            if hours == 0 || hours > Self::MAX_HOURS {
                return Err(CloseTargetError {
                    field,
                    message: format!("must be 1 to {} hours", Self::MAX_HOURS),
                });
            }
        }
        for pair in fields.windows(2) {
            let ((urgent, shorter), (field, hours)) = (pair[0], pair[1]);
            if hours < shorter {
                return Err(CloseTargetError {
                    field,
                    message: format!(
                        "must not be shorter than {urgent} ({shorter} h): a less urgent \
                         priority never has less time"
                    ),
                });
            }
        }
        Ok(())
    }

    pub fn millis(&self, priority: Priority) -> i64 {
        let hours = match priority {
            Priority::P0 => self.p0_hours,
            Priority::P1 => self.p1_hours,
            Priority::P2 => self.p2_hours,
            Priority::P3 => self.p3_hours,
        };
        i64::from(hours) * HOUR_MILLIS
    }
}

/// Something other than an incident that an owner must finish by a date:
/// a problem's root-cause analysis or a remediation item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpItem {
    /// How the item is named in the table, e.g. "remediation 12".
    pub item: String,
    pub owner: Option<String>,
    pub group: Option<String>,
    pub due_at: Timestamp,
    pub done: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverdueItem {
    pub item: String,
    /// The incident's number, for an overdue incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident: Option<i64>,
    pub priority: Option<Priority>,
    pub owner: Option<String>,
    pub group: Option<String>,
    pub overdue_millis: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverdueCount {
    /// The owner or group; "unassigned" for none.
    pub name: String,
    pub overdue: u32,
}

/// Overdue items, most overdue first, and their counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overdue {
    pub items: Vec<OverdueItem>,
    pub by_owner: Vec<OverdueCount>,
    pub by_group: Vec<OverdueCount>,
}

// ---- Repeats ------------------------------------------------------------------

/// What makes two tickets the same case (SPEC Q4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepeatKey {
    /// System and host (T3): `system/host`, or the system alone.
    SystemHost,
    /// The recurrence signature a problem record gives.
    Signature,
}

impl RepeatKey {
    fn of(self, ticket: &ReportTicket) -> Option<String> {
        match self {
            RepeatKey::SystemHost => match (&ticket.system, &ticket.hostname) {
                (Some(system), Some(host)) => Some(format!("{system}/{host}")),
                (Some(system), None) => Some(system.clone()),
                (None, Some(host)) => Some(host.clone()),
                (None, None) => None,
            },
            RepeatKey::Signature => ticket.recurrence_signature.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepeatCase {
    pub key: String,
    /// Oldest first.
    pub incidents: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repeats {
    pub period: Period,
    pub key: RepeatKey,
    pub keyed_tickets: u32,
    pub repeating_tickets: u32,
    pub cases: Vec<RepeatCase>,
}

impl Repeats {
    /// The recurrence rate in percent; 0 without keyed tickets.
    pub fn recurrence_percent(&self) -> f64 {
        if self.keyed_tickets == 0 {
            0.0
        } else {
            f64::from(self.repeating_tickets) * 100.0 / f64::from(self.keyed_tickets)
        }
    }
}

// ---- Availability ------------------------------------------------------------

/// One component's availability in one month against its SLO (SPEC L1, L2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AvailabilityRow {
    pub component: ComponentId,
    pub month: Period,
    pub percent: f64,
    pub slo_percent: f64,
    pub meets_slo: bool,
    pub budget_remaining_millis: i64,
}

/// Availability per component per month over the months that overlap
/// `range`, counted up to `now`, from [`crate::service_level`].
pub fn monthly_availability_table(
    components: &[(ComponentId, StatusHistory)],
    policy: &SloPolicy,
    weights: &DowntimeWeights,
    range: Period,
    now: Timestamp,
) -> Vec<AvailabilityRow> {
    let months = PeriodKind::Month.covering(range);
    let mut rows = Vec::new();
    for (component, history) in components {
        let slo = policy.slo_for(component);
        for month in &months {
            let date = month.from().date();
            let Some(name) = Month::try_from(date.month() as u8).ok() else {
                continue;
            };
            let Ok(report) = monthly_availability(history, date.year(), name, now, weights) else {
                continue;
            };
            let budget = error_budget(&report, slo);
            rows.push(AvailabilityRow {
                component: component.clone(),
                month: *month,
                percent: report.percent(),
                slo_percent: slo.percent(),
                meets_slo: report.availability.meets(slo),
                budget_remaining_millis: budget.remaining_millis,
            });
        }
    }
    rows
}

#[cfg(test)]
mod tests;
