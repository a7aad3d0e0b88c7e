//! [`ReviewStore`] on D1: `review_snapshots` (migration 0016, whose triggers
//! refuse any UPDATE or DELETE) and the incident reports by status (index
//! `incident_reports_status`).

use super::{first_returned, num, text, D1Store, IdRow};
use crate::stores::{
    parse_stored, NewSnapshotRecord, ReportRecord, ReviewStore, SealedContent, SnapshotRecord,
    StoreError,
};
use beacon_shared::incident_report::{IncidentReport, ReportStatus};
use beacon_shared::report::PeriodKind;
use beacon_shared::service_level::Period;
use beacon_shared::Timestamp;
use serde::Deserialize;
use wasm_bindgen::JsValue;

#[derive(Deserialize)]
struct ReportRow {
    id: f64,
    problem_id: f64,
    revision: f64,
    body: String,
}

#[derive(Deserialize)]
struct SnapshotRow {
    id: f64,
    kind: String,
    period_from: f64,
    period_to: f64,
    saved_by: String,
    saved_at: f64,
    full_content: String,
    full_sha256: String,
    restricted_content: String,
    restricted_sha256: String,
}

const SNAPSHOT_COLUMNS: &str = "id, kind, period_from, period_to, saved_by, saved_at, \
     full_content, full_sha256, restricted_content, restricted_sha256";

impl TryFrom<SnapshotRow> for SnapshotRecord {
    type Error = StoreError;

    fn try_from(row: SnapshotRow) -> Result<Self, StoreError> {
        let kind = PeriodKind::parse(&row.kind).ok_or_else(|| {
            StoreError::corrupt(format!("snapshot {}: kind {}", row.id, row.kind))
        })?;
        let period = Period::new(
            Timestamp::from_unix_millis(row.period_from as i64),
            Timestamp::from_unix_millis(row.period_to as i64),
        )
        .map_err(StoreError::corrupt)?;
        Ok(SnapshotRecord {
            id: row.id as i64,
            kind,
            period,
            saved_by: row.saved_by,
            saved_at: Timestamp::from_unix_millis(row.saved_at as i64),
            full: SealedContent {
                text: row.full_content,
                sha256: row.full_sha256,
            },
            restricted: SealedContent {
                text: row.restricted_content,
                sha256: row.restricted_sha256,
            },
        })
    }
}

impl ReviewStore for D1Store {
    async fn reports_in_status(
        &self,
        statuses: &[ReportStatus],
    ) -> Result<Vec<ReportRecord>, StoreError> {
        if statuses.is_empty() {
            return Ok(Vec::new());
        }
        let args: Vec<JsValue> = statuses.iter().map(|s| text(s.as_str())).collect();
        let placeholders: Vec<String> = (1..=args.len()).map(|i| format!("?{i}")).collect();
        self.all::<ReportRow>(
            &format!(
                "SELECT id, problem_id, revision, body FROM incident_reports \
                 WHERE status IN ({}) ORDER BY id",
                placeholders.join(", ")
            ),
            &args,
        )
        .await?
        .into_iter()
        .map(|row| {
            let mut report: IncidentReport = parse_stored(&row.body)?;
            report.id = row.id as i64;
            report.problem = row.problem_id as i64;
            Ok(ReportRecord {
                report,
                revision: row.revision as i64,
            })
        })
        .collect()
    }

    async fn insert_snapshot(&self, snapshot: &NewSnapshotRecord) -> Result<i64, StoreError> {
        let statements = vec![
            self.statement(
                "INSERT INTO review_snapshots (kind, period_from, period_to, saved_by, saved_at, \
                 full_content, full_sha256, restricted_content, restricted_sha256) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id",
                &[
                    text(snapshot.kind.as_str()),
                    num(snapshot.period.from().unix_millis()),
                    num(snapshot.period.to().unix_millis()),
                    text(&snapshot.actor.name),
                    num(snapshot.saved_at.unix_millis()),
                    text(&snapshot.full.text),
                    text(&snapshot.full.sha256),
                    text(&snapshot.restricted.text),
                    text(&snapshot.restricted.sha256),
                ],
            )?,
            self.audit_record_statement(snapshot.saved_at, &snapshot.actor, &snapshot.audit)?,
        ];
        let results = self.batch(statements).await?;
        first_returned::<IdRow>(&results, 0)?
            .map(|row| row.id as i64)
            .ok_or_else(|| StoreError::Unavailable("insert returned no id".into()))
    }

    async fn snapshots(&self) -> Result<Vec<SnapshotRecord>, StoreError> {
        self.all::<SnapshotRow>(
            &format!("SELECT {SNAPSHOT_COLUMNS} FROM review_snapshots ORDER BY id DESC"),
            &[],
        )
        .await?
        .into_iter()
        .map(SnapshotRecord::try_from)
        .collect()
    }

    async fn snapshot(&self, id: i64) -> Result<Option<SnapshotRecord>, StoreError> {
        self.first::<SnapshotRow>(
            &format!("SELECT {SNAPSHOT_COLUMNS} FROM review_snapshots WHERE id = ?1"),
            &[num(id)],
        )
        .await?
        .map(SnapshotRecord::try_from)
        .transpose()
    }
}
