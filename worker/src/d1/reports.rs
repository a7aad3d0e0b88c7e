//! [`ReportStore`] on D1: the fresh `report_rows` of a span (index
//! `report_rows_created`, `report_rows_open` or `report_rows_ended`), and the incidents marked in
//! `report_stale` (migration 0015) with their report-relevant timeline entries
//! (`timeline_by_incident`).

use super::incidents::{IncidentRow, INCIDENT_COLUMNS};
use super::{num, text, D1Store};
use crate::stores::{
    parse_stored, IncidentRecord, RebuiltReportRow, ReportIncident, ReportRows, ReportStore,
    StaleReportIncident, StoreError, REPORT_TIMELINE_KINDS,
};
use beacon_shared::api::TimelineEntryView;
use beacon_shared::lifecycle::IncidentStatus;
use beacon_shared::report::ReportTicket;
use beacon_shared::service_level::Period;
use beacon_shared::timeline::TimelineEvent;
use beacon_shared::Timestamp;
use serde::Deserialize;
use std::collections::BTreeMap;
use wasm_bindgen::JsValue;

/// Rebuilt rows written per batch.
const REFRESH_BATCH: usize = 200;

#[derive(Deserialize)]
struct ReportTimelineRow {
    incident_id: f64,
    id: f64,
    at: f64,
    actor: String,
    kind: String,
    body: String,
}

#[derive(Deserialize)]
struct ReportRowBody {
    body: String,
}

#[derive(Deserialize)]
struct StaleRow {
    incident_id: f64,
    version: f64,
}

/// `?N` placeholders for `values`, appended to `args`.
fn placeholders(args: &mut Vec<JsValue>, values: impl IntoIterator<Item = JsValue>) -> String {
    values
        .into_iter()
        .map(|value| {
            args.push(value);
            format!("?{}", args.len())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl D1Store {
    /// The stale incidents `where_stale` selects (a condition on `s`, the
    /// marker, and `i`, the incident), with their report timelines.
    async fn stale_incidents(
        &self,
        where_stale: &str,
        mut args: Vec<JsValue>,
    ) -> Result<Vec<StaleReportIncident>, StoreError> {
        let stale = self
            .all::<StaleRow>(
                &format!(
                    "SELECT s.incident_id, s.version FROM report_stale s \
                     JOIN incidents i ON i.id = s.incident_id WHERE {where_stale} \
                     ORDER BY s.incident_id"
                ),
                &args,
            )
            .await?;
        if stale.is_empty() {
            return Ok(Vec::new());
        }
        let versions: BTreeMap<i64, i64> = stale
            .iter()
            .map(|s| (s.incident_id as i64, s.version as i64))
            .collect();
        let ids = format!(
            "SELECT s.incident_id FROM report_stale s JOIN incidents i ON i.id = s.incident_id \
             WHERE {where_stale}"
        );
        let incidents = self
            .all::<IncidentRow>(
                &format!(
                    "SELECT {INCIDENT_COLUMNS} FROM incidents i JOIN users u ON u.id = i.created_by \
                     WHERE i.id IN ({ids}) ORDER BY i.id"
                ),
                &args,
            )
            .await?;
        let kinds = placeholders(&mut args, REPORT_TIMELINE_KINDS.iter().map(|k| text(k)));
        let rows = self
            .all::<ReportTimelineRow>(
                &format!(
                    "SELECT incident_id, id, at, actor, kind, body FROM timeline_entries \
                     WHERE incident_id IN ({ids}) AND kind IN ({kinds}) \
                     ORDER BY incident_id, at, id"
                ),
                &args,
            )
            .await?;
        let mut timelines: BTreeMap<i64, Vec<TimelineEntryView>> = BTreeMap::new();
        for row in rows {
            let event = TimelineEvent::from_stored(&row.kind, &row.body)
                .map_err(|e| StoreError::corrupt(format!("timeline entry {}: {e}", row.id)))?;
            timelines
                .entry(row.incident_id as i64)
                .or_default()
                .push(TimelineEntryView {
                    id: row.id as i64,
                    at: Timestamp::from_unix_millis(row.at as i64),
                    actor: row.actor,
                    event,
                });
        }
        incidents
            .into_iter()
            .map(|row| {
                let record = IncidentRecord::try_from(row)?;
                let timeline = timelines.remove(&record.id).unwrap_or_default();
                let version = versions.get(&record.id).copied().unwrap_or(0);
                Ok(StaleReportIncident {
                    incident: ReportIncident { record, timeline },
                    version,
                })
            })
            .collect()
    }
}

impl ReportStore for D1Store {
    async fn report_rows(&self, period: Period) -> Result<ReportRows, StoreError> {
        let span = vec![
            num(period.from().unix_millis()),
            num(period.to().unix_millis()),
        ];
        // Three indexed reads joined by UNION, each excluding the others:
        // created in the span, open, or created before it and ended since its
        // start (the trends count it as resolved, or open at a period's end).
        let fresh = self
            .all::<ReportRowBody>(
                "SELECT body FROM report_rows WHERE created_at >= ?1 AND created_at < ?2 \
                   AND incident_id NOT IN (SELECT incident_id FROM report_stale) \
                 UNION ALL SELECT body FROM report_rows WHERE open = 1 \
                   AND (created_at < ?1 OR created_at >= ?2) \
                   AND incident_id NOT IN (SELECT incident_id FROM report_stale) \
                 UNION ALL SELECT body FROM report_rows WHERE ended_at >= ?1 \
                   AND open = 0 AND created_at < ?1 \
                   AND incident_id NOT IN (SELECT incident_id FROM report_stale)",
                &span,
            )
            .await?
            .iter()
            .map(|row| parse_stored::<ReportTicket>(&row.body))
            .collect::<Result<Vec<_>, _>>()?;
        let mut args = span;
        let open = placeholders(
            &mut args,
            IncidentStatus::ALL
                .into_iter()
                .filter(|s| s.is_open())
                .map(|s| text(s.as_str())),
        );
        let stale = self
            .stale_incidents(
                &format!(
                    "(i.created_at >= ?1 AND i.created_at < ?2) OR i.status IN ({open}) \
                     OR (i.created_at < ?1 AND i.updated_at >= ?1)"
                ),
                args,
            )
            .await?;
        Ok(ReportRows { fresh, stale })
    }

    async fn stale_report_incidents(
        &self,
        limit: usize,
    ) -> Result<Vec<StaleReportIncident>, StoreError> {
        self.stale_incidents(
            "s.incident_id IN (SELECT incident_id FROM report_stale ORDER BY incident_id LIMIT ?1)",
            vec![num(limit as i64)],
        )
        .await
    }

    async fn refresh_report_rows(&self, rows: &[RebuiltReportRow]) -> Result<(), StoreError> {
        for chunk in rows.chunks(REFRESH_BATCH) {
            let mut statements = Vec::with_capacity(chunk.len() * 2);
            for row in chunk {
                let body = serde_json::to_string(&row.ticket).map_err(StoreError::corrupt)?;
                statements.push(
                    self.statement(
                        "INSERT INTO report_rows (incident_id, created_at, open, ended_at, body) \
                     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (incident_id) DO UPDATE SET \
                     created_at = excluded.created_at, open = excluded.open, \
                     ended_at = excluded.ended_at, body = excluded.body",
                        &[
                            num(row.ticket.id),
                            num(row.ticket.created_at.unix_millis()),
                            num(i64::from(row.open)),
                            row.ticket
                                .ended_at()
                                .map_or(JsValue::NULL, |at| num(at.unix_millis())),
                            text(&body),
                        ],
                    )?,
                );
                statements.push(self.statement(
                    "DELETE FROM report_stale WHERE incident_id = ?1 AND version = ?2",
                    &[num(row.ticket.id), num(row.version)],
                )?);
            }
            self.write_batch(statements).await?;
        }
        Ok(())
    }
}
