//! [`ReportStore`] on D1: incidents by creation time (index
//! `incidents_created`), open status (`incidents_status`) or a status
//! change in the period (`timeline_status_changes`), and their
//! report-relevant timeline entries (`timeline_by_incident`).

use super::incidents::{IncidentRow, INCIDENT_COLUMNS};
use super::{num, text, D1Store};
use crate::stores::{
    IncidentRecord, ReportIncident, ReportStore, StoreError, REPORT_TIMELINE_KINDS,
};
use beacon_shared::api::TimelineEntryView;
use beacon_shared::lifecycle::IncidentStatus;
use beacon_shared::service_level::Period;
use beacon_shared::timeline::TimelineEvent;
use beacon_shared::Timestamp;
use serde::Deserialize;
use std::collections::BTreeMap;
use wasm_bindgen::JsValue;

#[derive(Deserialize)]
struct ReportTimelineRow {
    incident_id: f64,
    id: f64,
    at: f64,
    actor: String,
    kind: String,
    body: String,
}

/// The ids of the incidents created in `?1..?2`, open, or whose status
/// changed in `?1..?2`, and the bound values.
fn selected_ids(period: Period) -> (String, Vec<JsValue>) {
    let mut args = vec![
        num(period.from().unix_millis()),
        num(period.to().unix_millis()),
    ];
    let open: Vec<String> = IncidentStatus::ALL
        .into_iter()
        .filter(|s| s.is_open())
        .map(|s| {
            args.push(text(s.as_str()));
            format!("?{}", args.len())
        })
        .collect();
    args.push(text("status_changed"));
    let changed = args.len();
    let sql = format!(
        "SELECT id FROM incidents WHERE created_at >= ?1 AND created_at < ?2 \
         UNION SELECT id FROM incidents WHERE status IN ({}) \
         UNION SELECT incident_id FROM timeline_entries \
         WHERE kind = ?{changed} AND at >= ?1 AND at < ?2",
        open.join(", ")
    );
    (sql, args)
}

impl ReportStore for D1Store {
    async fn report_incidents(&self, period: Period) -> Result<Vec<ReportIncident>, StoreError> {
        let (ids, mut args) = selected_ids(period);
        let incidents = self
            .all::<IncidentRow>(
                &format!(
                    "SELECT {INCIDENT_COLUMNS} FROM incidents i JOIN users u ON u.id = i.created_by \
                     WHERE i.id IN ({ids}) ORDER BY i.id"
                ),
                &args,
            )
            .await?;
        let kinds: Vec<String> = REPORT_TIMELINE_KINDS
            .iter()
            .map(|kind| {
                args.push(text(kind));
                format!("?{}", args.len())
            })
            .collect();
        let rows = self
            .all::<ReportTimelineRow>(
                &format!(
                    "SELECT incident_id, id, at, actor, kind, body FROM timeline_entries \
                     WHERE incident_id IN ({ids}) AND kind IN ({}) ORDER BY incident_id, at, id",
                    kinds.join(", ")
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
                Ok(ReportIncident { record, timeline })
            })
            .collect()
    }
}
