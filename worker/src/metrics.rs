//! `GET /metrics`: Beacon in Prometheus' text exposition format (version
//! 0.0.4), for the Grafana teams already have (SPEC Q2).
//!
//! Behind a bearer token of a role that may read reports. Series:
//! - `beacon_open_incidents{priority, category}`: open incidents, Security
//!   ones under category `restricted` unless the reader is cleared (K3);
//! - `beacon_response_time_seconds{measure, quantile}`: the median (0.5) and
//!   90th percentile (0.9) of each response time over incidents created in
//!   the last 30 days, with `beacon_response_time_mean_seconds{measure}` and
//!   `beacon_response_time_samples{measure}` beside them.

use crate::auth::{require_role, Actor};
use crate::error::ApiError;
use crate::reports::load_report_tickets;
use crate::stores::ReportStore;
use beacon_shared::clearance::Reader;
use beacon_shared::report::{
    redact_for, Measure, Report, ReportFilter, ReportTicket, TicketKind, RESTRICTED,
};
use beacon_shared::role::Role;
use beacon_shared::service_level::Period;
use beacon_shared::Timestamp;
use std::collections::BTreeMap;
use std::fmt::Write;

/// How far back response times reach.
pub const RESPONSE_WINDOW_DAYS: i64 = 30;

/// The exposition format's content type.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A label value as the exposition format writes it: `\`, `"` and line
/// feeds escaped.
pub fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

fn seconds(millis: i64) -> String {
    format!("{}", millis as f64 / 1000.0)
}

/// The metrics text for tickets already redacted for the reader.
pub fn render(tickets: &[ReportTicket], now: Timestamp) -> String {
    let mut open: BTreeMap<(String, String), u32> = BTreeMap::new();
    for ticket in tickets {
        if ticket.kind() == TicketKind::Counted && ticket.status.is_open() {
            let category = if ticket.restricted {
                RESTRICTED.to_owned()
            } else {
                ticket.category.clone().unwrap_or_else(|| "none".to_owned())
            };
            *open
                .entry((ticket.priority.as_str().to_owned(), category))
                .or_default() += 1;
        }
    }
    let mut text = String::new();
    let _ = writeln!(
        text,
        "# HELP beacon_open_incidents Open incidents (not closed or discarded)."
    );
    let _ = writeln!(text, "# TYPE beacon_open_incidents gauge");
    for ((priority, category), count) in &open {
        let _ = writeln!(
            text,
            "beacon_open_incidents{{priority=\"{}\",category=\"{}\"}} {count}",
            escape_label(priority),
            escape_label(category)
        );
    }
    let window = Period::new(
        Timestamp::from_unix_millis(now.unix_millis() - RESPONSE_WINDOW_DAYS * 86_400_000),
        now,
    );
    let times = window
        .ok()
        .map(|w| Report::new(tickets, &ReportFilter::default(), now).response_times(w));
    let _ = writeln!(text, "# HELP beacon_response_time_seconds Response time quantiles over incidents created in the last {RESPONSE_WINDOW_DAYS} days.");
    let _ = writeln!(text, "# TYPE beacon_response_time_seconds gauge");
    let stats: Vec<(Measure, beacon_shared::report::Stats)> = Measure::ALL
        .into_iter()
        .filter_map(|m| times.as_ref().and_then(|t| t.stats(m)).map(|s| (m, s)))
        .collect();
    for (measure, s) in &stats {
        for (quantile, millis) in [("0.5", s.median_millis), ("0.9", s.p90_millis)] {
            let _ = writeln!(
                text,
                "beacon_response_time_seconds{{measure=\"{}\",quantile=\"{quantile}\"}} {}",
                measure.as_str(),
                seconds(millis)
            );
        }
    }
    let _ = writeln!(
        text,
        "# HELP beacon_response_time_mean_seconds Mean response time over the same incidents."
    );
    let _ = writeln!(text, "# TYPE beacon_response_time_mean_seconds gauge");
    for (measure, s) in &stats {
        let _ = writeln!(
            text,
            "beacon_response_time_mean_seconds{{measure=\"{}\"}} {}",
            measure.as_str(),
            seconds(s.mean_millis)
        );
    }
    let _ = writeln!(
        text,
        "# HELP beacon_response_time_samples Incidents with both timestamps of a response time."
    );
    let _ = writeln!(text, "# TYPE beacon_response_time_samples gauge");
    for (measure, s) in &stats {
        let _ = writeln!(
            text,
            "beacon_response_time_samples{{measure=\"{}\"}} {}",
            measure.as_str(),
            s.samples
        );
    }
    text
}

/// `GET /metrics` for `actor`.
pub async fn metrics<S: ReportStore>(
    store: &S,
    actor: &Actor,
    now: Timestamp,
) -> Result<String, ApiError> {
    require_role(actor, Role::may_read_reports, "read metrics")?;
    let window = Period::new(
        Timestamp::from_unix_millis(now.unix_millis() - RESPONSE_WINDOW_DAYS * 86_400_000),
        now,
    )
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    let tickets = redact_for(
        Reader::Person(actor.role),
        load_report_tickets(store, window).await?,
    );
    Ok(render(&tickets, now))
}

#[cfg(test)]
mod tests;
