//! The report API (SPEC Q1-Q5, K3): `GET /api/reports/{table}` over the
//! `shared` report engine, as JSON or as CSV (RFC 4180).
//!
//! Charts: `GET /api/reports/charts/{name}.svg` with the same query and
//! the same clearance ([`charts`]).
//!
//! Tables: `summary`, `by-dimension`, `response-times`, `overdue`,
//! `repeats`, `trends` (the charts' figures per period), `availability`
//! (per component per month against its SLO).
//! Query: `period` (day, week, month, quarter; default month),
//! `from` and `to` (RFC 3339 or `YYYY-MM-DD`, UTC; default the last six
//! periods up to now), `priority`, `category`, `group`, `dimension` (for
//! `by-dimension`; default priority), `key` (for `repeats`: system_host or
//! signature), `measure` (for the response-times chart: detect, acknowledge,
//! mitigate, resolve or close; default acknowledge), `format` (json or csv;
//! `Accept: text/csv` also asks for CSV).
//! The JSON body is the engine's own output type for the table.

use crate::auth::{require_role, Actor};
use crate::error::ApiError;
use crate::problems::refused;
use crate::public_page;
use crate::request_body::decode_json;
use crate::stores::{
    parse_stored, RebuiltReportRow, ReportIncident, ReportStore, Setting, SettingChange,
    SettingsStore, StaleReportIncident, StatusPageStore, StoreError,
};
use beacon_shared::clearance::Reader;
use beacon_shared::report::Measure;
use beacon_shared::report::{
    monthly_availability_table, redact_for, CloseTargets, Dimension, PeriodKind, RepeatKey, Report,
    ReportFilter, ReportTicket,
};
use beacon_shared::role::Role;
use beacon_shared::service_level::{DowntimeWeights, Period};
use beacon_shared::{Priority, Timestamp};
use chrono::NaiveDate;

pub mod charts;

/// At most this many periods in one report.
pub const MAX_PERIODS: usize = 400;

/// A report table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportTable {
    Summary,
    ByDimension,
    ResponseTimes,
    Overdue,
    Repeats,
    Availability,
    /// The charts' figures per period (SPEC Q2).
    Trends,
}

impl ReportTable {
    pub const ALL: [ReportTable; 7] = [
        ReportTable::Summary,
        ReportTable::ByDimension,
        ReportTable::ResponseTimes,
        ReportTable::Overdue,
        ReportTable::Repeats,
        ReportTable::Availability,
        ReportTable::Trends,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportTable::Summary => "summary",
            ReportTable::ByDimension => "by-dimension",
            ReportTable::ResponseTimes => "response-times",
            ReportTable::Overdue => "overdue",
            ReportTable::Repeats => "repeats",
            ReportTable::Availability => "availability",
            ReportTable::Trends => "trends",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Json,
    Csv,
}

/// A report request, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportQuery {
    pub period: PeriodKind,
    pub range: Period,
    pub filter: ReportFilter,
    pub dimension: Dimension,
    pub key: RepeatKey,
    /// The measure the response-times chart draws.
    pub measure: Measure,
    pub format: Option<ReportFormat>,
}

fn parse_instant(field: &str, value: &str) -> Result<Timestamp, ApiError> {
    if let Ok(at) = Timestamp::parse(value) {
        return Ok(at);
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map(Timestamp::start_of_day)
        .map_err(|_| {
            ApiError::invalid(
                field,
                "must be a date (2026-11-23) or an RFC 3339 date-time in UTC",
            )
        })
}

/// Parses the query; a bad or unknown parameter is 422 naming it.
pub fn parse_query(query: &str, now: Timestamp) -> Result<ReportQuery, ApiError> {
    let mut period = PeriodKind::Month;
    let (mut from, mut to) = (None, None);
    let mut filter = ReportFilter::default();
    let mut dimension = Dimension::Priority;
    let mut key = RepeatKey::SystemHost;
    let mut measure = Measure::Acknowledge;
    let mut format = None;
    for (name, value) in form_urlencoded::parse(query.trim_start_matches('?').as_bytes()) {
        let value = value.trim();
        let bad = |message: &str| ApiError::invalid(name.to_string(), message);
        match name.as_ref() {
            "period" => {
                period = PeriodKind::parse(value)
                    .ok_or_else(|| bad("must be day, week, month or quarter"))?
            }
            "from" => from = Some(parse_instant("from", value)?),
            "to" => to = Some(parse_instant("to", value)?),
            "priority" => {
                filter.priority = Some(value.parse::<Priority>().map_err(|e| bad(&e.to_string()))?)
            }
            "category" if !value.is_empty() => filter.category = Some(value.to_owned()),
            "group" if !value.is_empty() => filter.group = Some(value.to_owned()),
            "category" | "group" => return Err(bad("must not be empty")),
            "dimension" => {
                dimension = Dimension::parse(value).ok_or_else(|| {
                    bad("must be priority, category, subcategory, group, source, state or age")
                })?
            }
            "key" => {
                key = match value {
                    "system_host" => RepeatKey::SystemHost,
                    "signature" => RepeatKey::Signature,
                    _ => return Err(bad("must be system_host or signature")),
                }
            }
            "measure" => {
                measure = Measure::parse(value)
                    .ok_or_else(|| bad("must be detect, acknowledge, mitigate, resolve or close"))?
            }
            "format" => {
                format = Some(match value {
                    "json" => ReportFormat::Json,
                    "csv" => ReportFormat::Csv,
                    _ => return Err(bad("must be json or csv")),
                })
            }
            _ => {
                return Err(bad(
                    "unknown parameter; use period, from, to, priority, category, group, \
                     dimension, key, measure or format",
                ))
            }
        }
    }
    let to = to.unwrap_or(now);
    let from = match from {
        Some(from) => from,
        None => {
            let mut first = period.containing(to);
            for _ in 0..5 {
                first = period.previous(first);
            }
            first.from()
        }
    };
    let range = Period::new(from, to)
        .map_err(|_| ApiError::invalid("to", "must not come before `from`"))?;
    if period.covering(range).len() > MAX_PERIODS {
        return Err(ApiError::invalid(
            "from",
            format!("the range holds more than {MAX_PERIODS} periods; choose a longer period"),
        ));
    }
    Ok(ReportQuery {
        period,
        range,
        filter,
        dimension,
        key,
        measure,
        format,
    })
}

/// What the report engine reads of a stored incident and its timeline.
pub fn report_ticket(incident: &ReportIncident) -> ReportTicket {
    ReportTicket::from_incident(&incident.record.to_view(), &incident.timeline)
}

/// A report, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportAnswer {
    pub content_type: &'static str,
    /// For CSV: the download's file name.
    pub filename: Option<String>,
    pub body: String,
}

/// Whether an `Accept` header asks for CSV before JSON.
fn accepts_csv(accept: Option<&str>) -> bool {
    accept.is_some_and(|a| {
        a.split(',')
            .map(|part| part.split(';').next().unwrap_or("").trim())
            .find(|media| matches!(*media, "text/csv" | "application/json"))
            == Some("text/csv")
    })
}

/// A stale incident rebuilt as the reports read it.
fn rebuild(stale: &StaleReportIncident) -> RebuiltReportRow {
    let ticket = report_ticket(&stale.incident);
    RebuiltReportRow {
        open: ticket.status.is_open(),
        ticket,
        version: stale.version,
    }
}

/// Every incident created in `span` or still open, as the reports read it,
/// by id: the stored rows, and the stale incidents rebuilt from their
/// timelines and written back. A failed write-back is not the reader's
/// failure: the rows stay stale and the next read or the cron rebuilds them.
pub async fn load_report_tickets<S: ReportStore>(
    store: &S,
    span: Period,
) -> Result<Vec<ReportTicket>, ApiError> {
    let rows = store.report_rows(span).await?;
    let rebuilt: Vec<RebuiltReportRow> = rows.stale.iter().map(rebuild).collect();
    if !rebuilt.is_empty() {
        let _ = store.refresh_report_rows(&rebuilt).await;
    }
    let mut tickets = rows.fresh;
    tickets.extend(rebuilt.into_iter().map(|row| row.ticket));
    tickets.sort_by_key(|t| t.id);
    Ok(tickets)
}

/// The cron's part: rebuilds up to `limit` stale report rows, whenever their
/// incidents were created, so that reports seldom find one. Returns how many.
pub async fn refresh_stale_rows<S: ReportStore>(
    store: &S,
    limit: usize,
) -> Result<usize, ApiError> {
    let stale = store.stale_report_incidents(limit).await?;
    let rebuilt: Vec<RebuiltReportRow> = stale.iter().map(rebuild).collect();
    store.refresh_report_rows(&rebuilt).await?;
    Ok(rebuilt.len())
}

/// The span a query reads: its periods and the one before the first.
pub fn query_span(query: &ReportQuery) -> Result<Period, ApiError> {
    let periods = query.period.covering(query.range);
    let first = periods.first().copied().unwrap_or(query.range);
    let last = periods.last().copied().unwrap_or(query.range);
    Period::new(query.period.previous(first).from(), last.to())
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// The tickets of a report, as `actor` may see them (K3).
pub async fn report_tickets<S: ReportStore>(
    store: &S,
    actor: &Actor,
    query: &ReportQuery,
) -> Result<Vec<ReportTicket>, ApiError> {
    require_role(actor, Role::may_read_reports, "read reports")?;
    let tickets = load_report_tickets(store, query_span(query)?).await?;
    Ok(redact_for(Reader::Person(actor.role), tickets))
}

/// `GET /api/reports/{table}`.
pub async fn report<S: ReportStore + StatusPageStore + SettingsStore>(
    store: &S,
    actor: &Actor,
    table: &str,
    query: &str,
    accept: Option<&str>,
    now: Timestamp,
) -> Result<ReportAnswer, ApiError> {
    let table = ReportTable::parse(table).ok_or(ApiError::NotFound { what: "report" })?;
    require_role(actor, Role::may_read_reports, "read reports")?;
    let query = parse_query(query, now)?;
    let csv = match query.format {
        Some(format) => format == ReportFormat::Csv,
        None => accepts_csv(accept),
    };
    let table_csv = |rows: Vec<Vec<String>>| -> Result<ReportAnswer, ApiError> {
        Ok(ReportAnswer {
            content_type: "text/csv; charset=utf-8",
            filename: Some(format!(
                "beacon-{}-{}-{}.csv",
                table.as_str(),
                query.range.from().date(),
                query.range.to().date()
            )),
            body: csv_text(rows)?,
        })
    };
    let json = |text: Result<String, serde_json::Error>| -> Result<ReportAnswer, ApiError> {
        Ok(ReportAnswer {
            content_type: "application/json",
            filename: None,
            body: text.map_err(|e| ApiError::Internal(e.to_string()))?,
        })
    };
    let range = query.range;
    if table == ReportTable::Availability {
        let months = PeriodKind::Month.covering(range);
        let first = months.first().map_or(range.from(), |m| m.from());
        let (components, policy) = public_page::component_histories(store, first).await?;
        let rows = monthly_availability_table(
            &components,
            &policy,
            &DowntimeWeights::default(),
            range,
            now,
        );
        return if csv {
            table_csv(csv_rows::availability(&rows))
        } else {
            json(serde_json::to_string(&rows))
        };
    }
    let tickets = report_tickets(store, actor, &query).await?;
    let report = Report::new(&tickets, &query.filter, now);
    match table {
        ReportTable::Summary => {
            let rows = report.summary(query.period, range);
            if csv {
                table_csv(csv_rows::summary(&rows))
            } else {
                json(serde_json::to_string(&rows))
            }
        }
        ReportTable::ByDimension => {
            let rows = report.by_dimension(query.dimension, query.period, range);
            if csv {
                table_csv(csv_rows::by_dimension(query.dimension, &rows))
            } else {
                json(serde_json::to_string(&rows))
            }
        }
        ReportTable::ResponseTimes => {
            let times = report.response_times(range);
            if csv {
                table_csv(csv_rows::response_times(&times))
            } else {
                json(serde_json::to_string(&times))
            }
        }
        ReportTable::Overdue => {
            let overdue = report.overdue(&load_close_targets(store).await?, &[]);
            if csv {
                table_csv(csv_rows::overdue(&overdue))
            } else {
                json(serde_json::to_string(&overdue))
            }
        }
        ReportTable::Repeats => {
            let repeats = report.repeats(range, query.key);
            if csv {
                table_csv(csv_rows::repeats(&repeats))
            } else {
                json(serde_json::to_string(&repeats))
            }
        }
        ReportTable::Trends => {
            let points = report.trends(query.period, range);
            if csv {
                table_csv(csv_rows::trends(query.period, &points))
            } else {
                json(serde_json::to_string(&points))
            }
        }
        ReportTable::Availability => Err(ApiError::Internal("answered above".into())),
    }
}

/// The close targets per priority (SPEC Q3): the team's, or the defaults.
pub async fn load_close_targets<S: SettingsStore>(store: &S) -> Result<CloseTargets, ApiError> {
    Ok(match store.setting(Setting::CloseTargets).await? {
        Some(value) => parse_stored(&value)?,
        None => CloseTargets::default(),
    })
}

/// `GET /api/reports/close-targets`: for every report reader.
pub async fn get_close_targets<S: SettingsStore>(
    store: &S,
    actor: &Actor,
) -> Result<CloseTargets, ApiError> {
    require_role(actor, Role::may_read_reports, "read reports")?;
    load_close_targets(store).await
}

/// `PUT /api/reports/close-targets` (management, admin): replaces the close
/// target of every priority; a bad one is refused naming its field, and the
/// change is audited with the targets before and after.
pub async fn put_close_targets<S: SettingsStore>(
    store: &S,
    actor: &Actor,
    body: &[u8],
    now: Timestamp,
) -> Result<CloseTargets, ApiError> {
    require_role(actor, Role::may_set_close_targets, "set close targets")?;
    let targets: CloseTargets = decode_json(body)?;
    targets.validate().map_err(refused)?;
    let before = load_close_targets(store).await?;
    let to_value = |t: &CloseTargets| serde_json::to_value(t).map_err(StoreError::corrupt);
    let value = to_value(&targets)?;
    store
        .put_setting(&SettingChange {
            setting: Setting::CloseTargets,
            value: value.to_string(),
            at: now,
            actor,
            action: "report.close_targets",
            before: Some(to_value(&before)?),
            after: Some(value),
        })
        .await?;
    Ok(targets)
}

/// A cell a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, or a
/// tab or carriage return first) gets a leading `'`, so it stays text.
pub fn spreadsheet_safe(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

/// RFC 4180 text of `rows` (the first is the header), every cell made
/// [`spreadsheet_safe`].
pub fn csv_text(rows: Vec<Vec<String>>) -> Result<String, ApiError> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for row in rows {
        writer
            .write_record(row.iter().map(|cell| spreadsheet_safe(cell)))
            .map_err(|e| ApiError::Internal(e.to_string()))?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| ApiError::Internal(e.to_string()))
}

/// Each table as CSV rows, header first.
pub mod csv_rows {
    use beacon_shared::report::{
        AgeBucket, AvailabilityRow, Dimension, DimensionRow, Measure, Overdue, PeriodKind, Repeats,
        ResponseTimes, SummaryRow, Totals, TrendPoint,
    };
    use beacon_shared::Priority;

    fn cells<const N: usize>(values: [&dyn ToString; N]) -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    fn header(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    fn totals(t: &Totals) -> [u32; 6] {
        [
            t.counted,
            t.open,
            t.closed,
            t.restricted,
            t.discarded,
            t.duplicates,
        ]
    }

    pub fn summary(rows: &[SummaryRow]) -> Vec<Vec<String>> {
        let mut out = vec![header(&[
            "period_from",
            "period_to",
            "counted",
            "open",
            "closed",
            "restricted",
            "discarded",
            "duplicates",
            "previous_counted",
            "previous_open",
            "previous_closed",
            "previous_restricted",
            "previous_discarded",
            "previous_duplicates",
        ])];
        for row in rows {
            let mut line = cells([&row.period.from(), &row.period.to()]);
            line.extend(totals(&row.totals).iter().map(u32::to_string));
            line.extend(totals(&row.previous).iter().map(u32::to_string));
            out.push(line);
        }
        out
    }

    pub fn by_dimension(dimension: Dimension, rows: &[DimensionRow]) -> Vec<Vec<String>> {
        let mut out = vec![header(&[
            "period_from",
            "period_to",
            dimension.as_str(),
            "count",
            "previous_count",
        ])];
        for row in rows {
            out.push(cells([
                &row.period.from(),
                &row.period.to(),
                &row.value,
                &row.count,
                &row.previous,
            ]));
        }
        out
    }

    pub fn response_times(times: &ResponseTimes) -> Vec<Vec<String>> {
        let mut out = vec![header(&[
            "measure",
            "samples",
            "median_ms",
            "p90_ms",
            "mean_ms",
            "excluded_discarded",
            "excluded_duplicates",
            "excluded_restricted",
        ])];
        for m in &times.measures {
            let (samples, median, p90, mean) = match m.stats {
                Some(s) => (
                    s.samples.to_string(),
                    s.median_millis.to_string(),
                    s.p90_millis.to_string(),
                    s.mean_millis.to_string(),
                ),
                None => ("0".to_owned(), String::new(), String::new(), String::new()),
            };
            out.push(cells([
                &m.measure.as_str(),
                &samples,
                &median,
                &p90,
                &mean,
                &times.excluded_discarded,
                &times.excluded_duplicates,
                &times.excluded_restricted,
            ]));
        }
        out
    }

    pub fn overdue(overdue: &Overdue) -> Vec<Vec<String>> {
        let mut out = vec![header(&[
            "item",
            "priority",
            "owner",
            "group",
            "overdue_ms",
        ])];
        for item in &overdue.items {
            out.push(cells([
                &item.item,
                &item.priority.map(|p| p.as_str()).unwrap_or(""),
                &item.owner.as_deref().unwrap_or(""),
                &item.group.as_deref().unwrap_or(""),
                &item.overdue_millis,
            ]));
        }
        out
    }

    pub fn availability(rows: &[AvailabilityRow]) -> Vec<Vec<String>> {
        let mut out = vec![header(&[
            "component",
            "month_from",
            "month_to",
            "availability_percent",
            "slo_percent",
            "meets_slo",
            "budget_remaining_ms",
        ])];
        for row in rows {
            out.push(cells([
                &row.component.as_str(),
                &row.month.from(),
                &row.month.to(),
                &row.percent,
                &row.slo_percent,
                &row.meets_slo,
                &row.budget_remaining_millis,
            ]));
        }
        out
    }

    /// One row per period: its name and bounds, created per priority,
    /// created, resolved, the backlog per age bucket, and the median and
    /// 90th percentile of each response time.
    pub fn trends(kind: PeriodKind, points: &[TrendPoint]) -> Vec<Vec<String>> {
        let mut head = header(&["period", "period_from", "period_to"]);
        head.extend(
            Priority::ALL
                .iter()
                .map(|p| format!("created_{}", p.as_str())),
        );
        head.extend(header(&["created", "resolved"]));
        head.extend(
            AgeBucket::ALL
                .iter()
                .map(|b| format!("open_{}", b.as_str())),
        );
        for m in Measure::ALL {
            head.push(format!("{}_median_ms", m.as_str()));
            head.push(format!("{}_p90_ms", m.as_str()));
        }
        let mut out = vec![head];
        for point in points {
            let mut line = vec![
                kind.label(point.period),
                point.period.from().to_string(),
                point.period.to().to_string(),
            ];
            line.extend(point.created_by_priority.iter().map(u32::to_string));
            line.push(point.created().to_string());
            line.push(point.resolved.to_string());
            line.extend(point.backlog.iter().map(u32::to_string));
            for m in Measure::ALL {
                let stats = point.stats(m);
                line.push(
                    stats
                        .map(|s| s.median_millis.to_string())
                        .unwrap_or_default(),
                );
                line.push(stats.map(|s| s.p90_millis.to_string()).unwrap_or_default());
            }
            out.push(line);
        }
        out
    }

    pub fn repeats(repeats: &Repeats) -> Vec<Vec<String>> {
        let mut out = vec![header(&[
            "key",
            "incidents",
            "incident_ids",
            "keyed_tickets",
            "repeating_tickets",
        ])];
        for case in &repeats.cases {
            let ids: Vec<String> = case.incidents.iter().map(i64::to_string).collect();
            out.push(cells([
                &case.key,
                &case.incidents.len(),
                &ids.join(" "),
                &repeats.keyed_tickets,
                &repeats.repeating_tickets,
            ]));
        }
        out
    }
}

#[cfg(test)]
mod tests;
