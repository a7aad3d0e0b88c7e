//! Monitoring webhooks and the alert queue on D1: integrations, raw deliveries,
//! deduplicated alerts and the incidents they open (SPEC I1, I2, V2, V3, T7).

use super::{
    batch_first_changed_one, fresh_token, json_ok, json_response, now, num, opt_text, parse_err,
    random_bytes, read_body, store_err, text, D1Store, IdRow,
};
use crate::auth::{bearer_token, hash_token, require_writer, Actor};
use crate::error::ApiError;
use crate::incidents;
use crate::ingest::{
    integration_user_name, last_signal_per_key, plan_signal, AlertOutcome, AlertPlan,
    DeliveryReceipt, IncidentTarget, Integration, KeyHistory, LinkedIncident, SHORT_LIVED_LABEL,
};
use crate::request_body::{decode_json, MAX_BODY_BYTES};
use crate::stores::StoreError;
use crate::webhook_signature::{SignatureError, SignedRequest, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use beacon_shared::alert::{AlertSignal, DedupKey, IngestFormat, Severity};
use beacon_shared::api::{
    AlertList, AlertView, AttachAlert, DiscardAlert, IncidentDetail, IntegrationCreated,
    NewIntegration, TransitionRequest,
};
use beacon_shared::category::Category;
use beacon_shared::clearance::may_see_incident;
use beacon_shared::lifecycle::IncidentStatus;
use beacon_shared::lifecycle::Transition;
use beacon_shared::role::Role;
use beacon_shared::triage::Name;
use beacon_shared::webhooks::{alertmanager, generic, pagerduty};
use beacon_shared::Timestamp;
use serde::Deserialize;
use serde_json::json;
use wasm_bindgen::JsValue;
use worker::{D1PreparedStatement, Request, Response};

/// How often a delivery that lost a race on the open-alert index is planned again.
const ATTEMPTS: usize = 4;

/// `POST /api/integrations` (admin): the secret is returned once and stored hashed.
pub(super) async fn create_integration(
    store: &D1Store,
    actor: &Actor,
    body: &[u8],
) -> Result<IntegrationCreated, ApiError> {
    if actor.role != Role::Admin {
        return Err(ApiError::Forbidden(
            "only an admin may add integrations".into(),
        ));
    }
    let request: NewIntegration = decode_json(body)?;
    let exists = store
        .db
        .prepare("SELECT id FROM integrations WHERE name = ?1")
        .bind(&[text(request.name.as_str())])
        .map_err(store_err)?
        .first::<IdRow>(None)
        .await
        .map_err(store_err)?;
    if exists.is_some() {
        return Err(ApiError::Conflict {
            field: Some("name".into()),
            message: "an integration with this name exists".into(),
        });
    }
    let secret = fresh_token()?.replacen("bkn_", "bki_", 1);
    let at = now();
    let mapping = request
        .mapping
        .as_ref()
        .map(|m| serde_json::to_string(m).map_err(parse_err))
        .transpose()?;
    let statements = vec![
        store
            .db
            .prepare(
                "INSERT INTO users (name, role, created_at, disabled_at) VALUES (?1, 'viewer', ?2, ?2)",
            )
            .bind(&[text(&integration_user_name(&request.name)), num(at.unix_millis())])
            .map_err(store_err)?,
        store
            .db
            .prepare(
                "INSERT INTO integrations (name, format, owner_group, secret_hash, mapping, user_id, created_at) \
                 SELECT ?1, ?2, ?3, ?4, ?5, max(id), ?6 FROM users RETURNING id",
            )
            .bind(&[
                text(request.name.as_str()),
                text(request.format.as_str()),
                opt_text(request.owner_group.as_ref().map(|g| g.as_str())),
                text(&hash_token(&secret)),
                opt_text(mapping.as_deref()),
                num(at.unix_millis()),
            ])
            .map_err(store_err)?,
        store.audit_statement(
            at,
            actor,
            "integration.create",
            &format!("integration/{}", request.name),
            None,
            Some(&json!({ "name": request.name, "format": request.format, "owner_group": request.owner_group })),
        )?,
    ];
    let results = store.db.batch(statements).await.map_err(store_err)?;
    let id = results
        .get(1)
        .map(|r| r.results::<IdRow>())
        .transpose()
        .map_err(store_err)?
        .and_then(|rows| rows.first().map(|r| r.id as i64))
        .ok_or_else(|| ApiError::StoreUnavailable("insert returned no id".into()))?;
    Ok(IntegrationCreated {
        id,
        name: request.name.to_string(),
        format: request.format,
        secret,
    })
}

#[derive(Deserialize)]
struct IntegrationRow {
    id: f64,
    name: String,
    format: String,
    owner_group: Option<String>,
    user_id: f64,
    mapping: Option<String>,
    secret_hash: String,
}

/// The integration in the row `column = value`, with its stored secret hash.
async fn integration_where(
    store: &D1Store,
    column: &str,
    value: &str,
) -> Result<Option<(Integration, String)>, StoreError> {
    let row = store
        .db
        .prepare(format!(
            "SELECT id, name, format, owner_group, user_id, mapping, secret_hash FROM integrations WHERE {column} = ?1"
        ))
        .bind(&[text(value)])
        .map_err(store_err)?
        .first::<IntegrationRow>(None)
        .await
        .map_err(store_err)?;
    row.map(|r| {
        let integration = Integration {
            id: r.id as i64,
            name: Name::parse(&r.name).map_err(parse_err)?,
            format: r.format.parse::<IngestFormat>().map_err(parse_err)?,
            owner_group: r
                .owner_group
                .as_deref()
                .map(Name::parse)
                .transpose()
                .map_err(parse_err)?,
            user_id: r.user_id as i64,
            mapping: match r.mapping {
                Some(m) => serde_json::from_str(&m).map_err(parse_err)?,
                None => Default::default(),
            },
        };
        Ok((integration, r.secret_hash))
    })
    .transpose()
}

async fn integration_for_secret(
    store: &D1Store,
    secret: &str,
) -> Result<Option<Integration>, StoreError> {
    Ok(integration_where(store, "secret_hash", &hash_token(secret))
        .await?
        .map(|(integration, _)| integration))
}

#[derive(Deserialize)]
struct KeyRow {
    id: f64,
    status: String,
    incident_id: Option<f64>,
    incident_status: Option<String>,
}

async fn key_history(
    store: &D1Store,
    integration: &Integration,
    key: &DedupKey,
) -> Result<KeyHistory, StoreError> {
    let row = store
        .db
        .prepare(
            "SELECT a.id, a.status, a.incident_id, i.status AS incident_status \
             FROM alerts a LEFT JOIN incidents i ON i.id = a.incident_id \
             WHERE a.integration_id = ?1 AND a.dedup_key = ?2 ORDER BY a.id DESC LIMIT 1",
        )
        .bind(&[num(integration.id), text(key.as_str())])
        .map_err(store_err)?
        .first::<KeyRow>(None)
        .await
        .map_err(store_err)?;
    let Some(row) = row else {
        return Ok(KeyHistory::default());
    };
    let incident = match (row.incident_id, row.incident_status) {
        (Some(id), Some(status)) => Some(LinkedIncident {
            id: id as i64,
            status: status.parse::<IncidentStatus>().map_err(parse_err)?,
        }),
        _ => None,
    };
    Ok(KeyHistory {
        open_alert: (row.status != "resolved").then_some((row.id as i64, incident)),
        latest_incident: incident,
    })
}

/// Plans and stores one delivery as one batch, planning again if a concurrent
/// delivery opened the same alert first (SPEC I2).
async fn ingest(
    store: &D1Store,
    integration: &Integration,
    delivery: Delivery<'_>,
    signals: Vec<AlertSignal>,
) -> Result<Vec<AlertPlan>, ApiError> {
    let signals = last_signal_per_key(signals);
    let mut last_error = None;
    for _ in 0..ATTEMPTS {
        let at = now();
        let mut plans = Vec::with_capacity(signals.len());
        for signal in &signals {
            let history = key_history(store, integration, &signal.dedup_key).await?;
            plans.push(plan_signal(integration, signal.clone(), &history, at));
        }
        match store_delivery(store, integration, delivery, &plans, at).await {
            Ok(()) => return Ok(plans),
            Err(StoreError::UniqueViolation(constraint))
                if constraint.contains("alert_events.signature") =>
            {
                return Err(ApiError::Conflict {
                    field: None,
                    message: "this signed delivery was already received; sign each delivery anew"
                        .into(),
                })
            }
            Err(err @ StoreError::UniqueViolation(_)) => last_error = Some(err),
            Err(err) => return Err(err.into()),
        }
    }
    Err(last_error
        .map(ApiError::from)
        .unwrap_or_else(|| ApiError::StoreUnavailable("delivery not stored".into())))
}

fn prepare(
    store: &D1Store,
    sql: &str,
    args: &[JsValue],
) -> Result<D1PreparedStatement, StoreError> {
    store.db.prepare(sql).bind(args).map_err(store_err)
}

/// A delivery as received: the raw body and, for signed formats, its signature.
#[derive(Clone, Copy)]
struct Delivery<'a> {
    raw: &'a [u8],
    signature: Option<&'a str>,
}

/// The delivery, every alert change, incident and timeline entry: all or nothing.
async fn store_delivery(
    store: &D1Store,
    integration: &Integration,
    delivery: Delivery<'_>,
    plans: &[AlertPlan],
    at: Timestamp,
) -> Result<(), StoreError> {
    let actor = Actor {
        user_id: integration.user_id,
        name: integration.actor_name(),
        role: Role::Viewer,
    };
    let at_ms = num(at.unix_millis());
    let outcome: Vec<_> = plans
        .iter()
        .map(|p| json!({ "dedup_key": p.signal().dedup_key, "outcome": p.outcome() }))
        .collect();
    let mut statements = vec![prepare(
        store,
        "INSERT INTO alert_events (integration_id, received_at, body, outcome, signature) VALUES (?1, ?2, ?3, ?4, ?5)",
        &[
            num(integration.id),
            at_ms.clone(),
            text(&String::from_utf8_lossy(delivery.raw)),
            text(&serde_json::Value::from(outcome).to_string()),
            opt_text(delivery.signature),
        ],
    )?];
    for plan in plans {
        let signal = plan.signal();
        let signal_json = text(&serde_json::to_string(signal).map_err(parse_err)?);
        let entry = plan.timeline_entry(integration);
        let timeline_on = |incident: &str| {
            format!(
                "INSERT INTO timeline_entries (incident_id, at, actor, kind, body) SELECT {incident}, ?1, ?2, ?3, ?4"
            )
        };
        let timeline_args = [
            at_ms.clone(),
            text(&actor.name),
            text(entry.kind()),
            text(&entry.body_json().to_string()),
        ];
        match plan {
            AlertPlan::Open { incident, .. } => {
                let incident_sql = match incident {
                    IncidentTarget::New(new) => {
                        let s = &new.state;
                        statements.push(prepare(
                            store,
                            "INSERT INTO incidents (title, priority, rules_priority, status, category, labels, owner_group, \
                             facts, created_by, created_at, updated_at) \
                             VALUES (?1, ?2, ?3, ?4, NULL, '[]', ?5, ?6, ?7, ?8, ?8)",
                            &[
                                text(&s.title),
                                text(s.priority.as_str()),
                                text(s.rules_priority.as_str()),
                                text(s.status.as_str()),
                                opt_text(s.owner_group.as_ref().map(|g| g.as_str())),
                                text(&serde_json::to_string(&s.facts).map_err(parse_err)?),
                                num(integration.user_id),
                                at_ms.clone(),
                            ],
                        )?);
                        statements.push(prepare(
                            store,
                            "INSERT INTO timeline_entries (incident_id, at, actor, kind, body) \
                             SELECT max(id), ?1, ?2, ?3, ?4 FROM incidents",
                            &[
                                at_ms.clone(),
                                text(&actor.name),
                                text(new.created.kind()),
                                text(&new.created.body_json().to_string()),
                            ],
                        )?);
                        statements.push(prepare(
                            store,
                            "INSERT INTO audit_log (at, actor_id, actor, action, subject, before, after) \
                             SELECT ?1, ?2, ?3, 'incident.create', 'incident/' || max(id), NULL, ?4 FROM incidents",
                            &[at_ms.clone(), num(actor.user_id), text(&actor.name), text(&serde_json::json!(s.snapshot()).to_string())],
                        )?);
                        "(SELECT max(id) FROM incidents)".to_owned()
                    }
                    IncidentTarget::Existing(id) => {
                        statements.push(prepare(
                            store,
                            "UPDATE incidents SET updated_at = max(updated_at, ?1) WHERE id = ?2",
                            &[at_ms.clone(), num(*id)],
                        )?);
                        id.to_string()
                    }
                };
                statements.push(prepare(
                    store,
                    &format!(
                        "INSERT INTO alerts (integration_id, dedup_key, status, summary, severity, signal, incident_id, \
                         first_seen, last_seen) VALUES (?1, ?2, 'triggered', ?3, ?4, ?5, {incident_sql}, ?6, ?6)"
                    ),
                    &[
                        num(integration.id),
                        text(signal.dedup_key.as_str()),
                        text(&signal.summary),
                        opt_text(signal.severity.map(Severity::as_str)),
                        signal_json,
                        at_ms.clone(),
                    ],
                )?);
                statements.push(prepare(store, &timeline_on(&incident_sql), &timeline_args)?);
            }
            AlertPlan::Repeat {
                alert_id,
                incident_id,
                ..
            }
            | AlertPlan::Acknowledge {
                alert_id,
                incident_id,
                ..
            }
            | AlertPlan::Resolve {
                alert_id,
                incident_id,
                ..
            } => {
                let set_status = match plan {
                    AlertPlan::Acknowledge { .. } => {
                        ", status = 'acknowledged', acknowledged_at = coalesce(acknowledged_at, ?1)"
                    }
                    AlertPlan::Resolve { .. } => ", status = 'resolved', resolved_at = ?1",
                    _ => "",
                };
                statements.push(prepare(
                    store,
                    &format!(
                        "UPDATE alerts SET deliveries = deliveries + 1, last_seen = ?1, signal = ?2{set_status} WHERE id = ?3"
                    ),
                    &[at_ms.clone(), signal_json, num(*alert_id)],
                )?);
                if let Some(id) = incident_id {
                    statements.push(prepare(
                        store,
                        &timeline_on(&id.to_string()),
                        &timeline_args,
                    )?);
                    statements.push(prepare(
                        store,
                        "UPDATE incidents SET updated_at = max(updated_at, ?1) WHERE id = ?2",
                        &[at_ms.clone(), num(*id)],
                    )?);
                    if let AlertPlan::Resolve {
                        short_lived: true, ..
                    } = plan
                    {
                        statements.push(prepare(
                            store,
                            "UPDATE incidents SET labels = json_insert(labels, '$[#]', ?1) \
                             WHERE id = ?2 AND status IN ('reported', 'triage') \
                             AND NOT EXISTS (SELECT 1 FROM json_each(incidents.labels) WHERE value = ?1)",
                            &[text(SHORT_LIVED_LABEL), num(*id)],
                        )?);
                        statements.push(store.audit_statement(
                            at,
                            &actor,
                            "incident.short_lived",
                            &format!("incident/{id}"),
                            None,
                            Some(&json!({ "label": SHORT_LIVED_LABEL, "dedup_key": signal.dedup_key })),
                        )?);
                    }
                }
            }
            AlertPlan::Dropped { .. } => {}
        }
    }
    store.db.batch(statements).await.map_err(store_err)?;
    Ok(())
}

/// Reads a webhook body: JSON, at most 512 KiB.
async fn webhook_body(req: &mut Request) -> Result<Vec<u8>, ApiError> {
    let body = read_body(req).await?;
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        });
    }
    Ok(body)
}

/// `POST /api/webhooks/alertmanager` and `/api/webhooks/grafana`, authenticated by
/// the bearer token Alertmanager's `http_config.authorization` sends.
pub(super) async fn notification_webhook(
    req: &mut Request,
    store: &D1Store,
    format: IngestFormat,
) -> Result<Response, ApiError> {
    let header = req.headers().get("authorization").ok().flatten();
    let secret = bearer_token(header.as_deref())
        .ok_or(ApiError::Unauthorized)?
        .to_owned();
    let body = webhook_body(req).await?;
    let integration = integration_for_secret(store, &secret)
        .await?
        .filter(|i| i.format == format)
        .ok_or(ApiError::Unauthorized)?;
    let notification: alertmanager::Notification = decode_json(&body)?;
    let delivery = Delivery {
        raw: &body,
        signature: None,
    };
    let plans = ingest(store, &integration, delivery, notification.signals()).await?;
    json_ok(&receipt(&plans), 200)
}

fn receipt(plans: &[AlertPlan]) -> DeliveryReceipt {
    DeliveryReceipt {
        status: "ok".into(),
        alerts: plans
            .iter()
            .map(|p| AlertOutcome {
                dedup_key: p.signal().dedup_key.clone(),
                outcome: p.outcome().into(),
            })
            .collect(),
    }
}

/// `POST /api/webhooks/generic/{integration}`: Beacon's own format, signed with
/// HMAC-SHA256 (see [`crate::webhook_signature`]).
pub(super) async fn generic_webhook(
    req: &mut Request,
    store: &D1Store,
    integration_name: &str,
) -> Result<Response, ApiError> {
    let header = |name: &str| req.headers().get(name).ok().flatten();
    let signed = SignedRequest::from_headers(
        header(TIMESTAMP_HEADER).as_deref(),
        header(SIGNATURE_HEADER).as_deref(),
        now(),
    )
    .map_err(|e| ApiError::BadSignature(e.to_string()))?;
    let body = webhook_body(req).await?;
    // An unknown name and a wrong signature get the same answer.
    let mismatch = || ApiError::BadSignature(SignatureError::Mismatch.to_string());
    let (integration, key) = integration_where(store, "name", integration_name)
        .await?
        .filter(|(i, _)| i.format == IngestFormat::Generic)
        .ok_or_else(mismatch)?;
    signed.verify(&key, &body).map_err(|_| mismatch())?;
    let parsed: generic::Delivery = decode_json(&body)?;
    let fingerprint = signed.fingerprint();
    let delivery = Delivery {
        raw: &body,
        signature: Some(&fingerprint),
    };
    let plans = ingest(store, &integration, delivery, parsed.signals()).await?;
    json_ok(&receipt(&plans), 200)
}

/// PagerDuty's error shape: `{"status", "message", "errors": [...]}`.
fn pagerduty_error(status: u16, message: &str, errors: Vec<String>) -> Result<Response, ApiError> {
    json_response(
        &json!({ "status": "invalid event", "message": message, "errors": errors }),
        status,
    )
    .map_err(|e| ApiError::StoreUnavailable(e.to_string()))
}

/// `POST /v2/enqueue`: PagerDuty Events API v2, with its responses.
pub(super) async fn pagerduty_enqueue(
    req: &mut Request,
    store: &D1Store,
) -> Result<Response, ApiError> {
    let body = match webhook_body(req).await {
        Ok(body) => body,
        Err(ApiError::PayloadTooLarge { limit }) => {
            return pagerduty_error(
                413,
                "Request too large",
                vec![format!("the body exceeds {limit} bytes")],
            )
        }
        Err(ApiError::UnsupportedMediaType) => {
            return pagerduty_error(
                400,
                "Event object is invalid",
                vec!["Content-Type must be application/json".into()],
            )
        }
        Err(err) => return Err(err),
    };
    let value: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(err) => {
            return pagerduty_error(
                400,
                "Event object is invalid",
                vec![format!("Invalid JSON: {err}")],
            )
        }
    };
    let event = match pagerduty::parse_event(&value) {
        Ok(event) => event,
        Err(errors) => return pagerduty_error(400, "Event object is invalid", errors),
    };
    let Some(integration) = integration_for_secret(store, &event.routing_key)
        .await?
        .filter(|i| i.format == IngestFormat::Pagerduty)
    else {
        return pagerduty_error(
            400,
            "Event object is invalid",
            vec!["Invalid routing key".into()],
        );
    };
    let generated = DedupKey::parse(&hex::encode(random_bytes::<16>()?))
        .map_err(|e| ApiError::StoreUnavailable(e.to_string()))?;
    let signal = event.signal(generated);
    let dedup_key = signal.dedup_key.clone();
    let delivery = Delivery {
        raw: &body,
        signature: None,
    };
    ingest(store, &integration, delivery, vec![signal]).await?;
    json_response(
        &json!({ "status": "success", "message": "Event processed", "dedup_key": dedup_key }),
        202,
    )
    .map_err(|e| ApiError::StoreUnavailable(e.to_string()))
}

#[derive(Deserialize)]
struct AlertRow {
    id: f64,
    integration: String,
    dedup_key: String,
    status: String,
    summary: String,
    severity: Option<String>,
    incident_id: Option<f64>,
    incident_status: Option<String>,
    incident_category: Option<String>,
    deliveries: f64,
    first_seen: f64,
    last_seen: f64,
}

#[derive(Deserialize)]
struct QueuedAlertRow {
    id: f64,
    dedup_key: String,
    summary: String,
    integration: String,
    incident_id: Option<f64>,
}

async fn queued_alert(store: &D1Store, id: i64) -> Result<QueuedAlertRow, ApiError> {
    store
        .db
        .prepare(
            "SELECT a.id, a.dedup_key, a.summary, g.name AS integration, a.incident_id \
             FROM alerts a JOIN integrations g ON g.id = a.integration_id WHERE a.id = ?1",
        )
        .bind(&[num(id)])
        .map_err(store_err)?
        .first::<QueuedAlertRow>(None)
        .await
        .map_err(store_err)?
        .ok_or(ApiError::NotFound { what: "alert" })
}

/// Applies `transition` to incident `id` through the same handler as the API.
async fn apply(
    store: &D1Store,
    actor: &Actor,
    id: i64,
    transition: &Transition,
) -> Result<IncidentDetail, ApiError> {
    let body = serde_json::to_vec(&TransitionRequest::from_transition(transition))
        .map_err(|e| ApiError::StoreUnavailable(e.to_string()))?;
    incidents::transition(store, actor, id, &body, now()).await
}

/// Takes an untriaged incident into triage; one already past `reported` is left as it is.
async fn start_triage(store: &D1Store, actor: &Actor, id: i64) -> Result<IncidentDetail, ApiError> {
    require_writer(actor)?;
    let detail = incidents::get_incident(store, actor, id).await?;
    if detail.incident.status == IncidentStatus::Reported {
        apply(store, actor, id, &Transition::StartTriage).await
    } else {
        Ok(detail)
    }
}

/// Discards an untriaged incident as an event without impact (V10), through triage.
async fn discard(
    store: &D1Store,
    actor: &Actor,
    id: i64,
    reason: &str,
) -> Result<IncidentDetail, ApiError> {
    let detail = start_triage(store, actor, id).await?;
    if detail.incident.status != IncidentStatus::Triage {
        return Err(ApiError::Conflict {
            field: None,
            message: format!(
                "incident {id} is {} already; only an incident in triage can be discarded",
                detail.incident.status
            ),
        });
    }
    apply(
        store,
        actor,
        id,
        &Transition::Discard {
            reason: reason.to_owned(),
        },
    )
    .await
}

/// `POST /api/alerts/{id}/{open|discard|attach}`: the alert queue's actions on
/// the alert's incident (SPEC V10, I2). Each answers with the incident it leaves
/// the alert on.
pub(super) async fn alert_action(
    store: &D1Store,
    actor: &Actor,
    alert_id: i64,
    action: &str,
    body: &[u8],
) -> Result<IncidentDetail, ApiError> {
    require_writer(actor)?;
    let alert = queued_alert(store, alert_id).await?;
    let incident_id = alert
        .incident_id
        .map(|id| id as i64)
        .ok_or_else(|| ApiError::Conflict {
            field: None,
            message: "this alert has no incident".into(),
        })?;
    match action {
        "open" => start_triage(store, actor, incident_id).await,
        "discard" => {
            let request: DiscardAlert = decode_json(body)?;
            if request.reason.trim().is_empty() {
                return Err(ApiError::invalid(
                    "reason",
                    "discarding needs a reason: why has this alert no impact?",
                ));
            }
            discard(store, actor, incident_id, &request.reason).await
        }
        "attach" => attach(store, actor, &alert, incident_id, body).await,
        _ => Err(ApiError::NotFound { what: "route" }),
    }
}

/// Moves the alert to an open incident; its own incident, if nobody triaged it
/// and no other alert points at it, is discarded as a duplicate.
async fn attach(
    store: &D1Store,
    actor: &Actor,
    alert: &QueuedAlertRow,
    current: i64,
    body: &[u8],
) -> Result<IncidentDetail, ApiError> {
    let request: AttachAlert = decode_json(body)?;
    let target_id = request.incident_id;
    if target_id == current {
        return Err(ApiError::invalid(
            "incident_id",
            format!("the alert is on incident {current} already"),
        ));
    }
    let target = match incidents::get_incident(store, actor, target_id).await {
        Err(ApiError::NotFound { .. }) => {
            return Err(ApiError::invalid(
                "incident_id",
                format!("there is no incident {target_id}"),
            ))
        }
        other => other?,
    };
    if !target.incident.status.is_open() {
        return Err(ApiError::invalid(
            "incident_id",
            format!(
                "incident {target_id} is {}; attach to an open incident",
                target.incident.status
            ),
        ));
    }
    let at = now();
    let at_ms = num(at.unix_millis());
    let moved = "EXISTS (SELECT 1 FROM alerts WHERE id = ?5 AND incident_id = ?6)";
    let entry = |incident: i64, kind: &str, body: serde_json::Value| {
        prepare(
            store,
            &format!(
                "INSERT INTO timeline_entries (incident_id, at, actor, kind, body) \
                 SELECT ?1, ?2, ?3, ?4, ?7 WHERE {moved}"
            ),
            &[
                num(incident),
                at_ms.clone(),
                text(&actor.name),
                text(kind),
                num(alert.id as i64),
                num(target_id),
                text(&body.to_string()),
            ],
        )
    };
    let about = json!({
        "alert_id": alert.id as i64,
        "integration": alert.integration,
        "dedup_key": alert.dedup_key,
        "summary": alert.summary,
    });
    let mut to_target = about.clone();
    to_target["from_incident"] = json!(current);
    let mut from_current = about;
    from_current["to_incident"] = json!(target_id);
    let statements = vec![
        prepare(
            store,
            "UPDATE alerts SET incident_id = ?1 WHERE id = ?2 AND incident_id = ?3",
            &[num(target_id), num(alert.id as i64), num(current)],
        )?,
        entry(target_id, "alert_attached", to_target)?,
        entry(current, "alert_detached", from_current)?,
        prepare(
            store,
            "UPDATE incidents SET updated_at = max(updated_at, ?1) WHERE id IN (?2, ?3) \
             AND EXISTS (SELECT 1 FROM alerts WHERE id = ?4 AND incident_id = ?2)",
            &[
                at_ms.clone(),
                num(target_id),
                num(current),
                num(alert.id as i64),
            ],
        )?,
        store.audit_statement(
            at,
            actor,
            "alert.attach",
            &format!("alert/{}", alert.id as i64),
            Some(&json!({ "incident_id": current })),
            Some(&json!({ "incident_id": target_id })),
        )?,
    ];
    if !batch_first_changed_one(&store.db, statements).await? {
        return Err(ApiError::Conflict {
            field: None,
            message: "the alert moved while this request was made; reload and try again".into(),
        });
    }
    let others = store
        .db
        .prepare("SELECT count(*) AS n FROM alerts WHERE incident_id = ?1")
        .bind(&[num(current)])
        .map_err(store_err)?
        .first::<CountRow>(None)
        .await
        .map_err(store_err)?
        .map_or(0.0, |r| r.n);
    let left = incidents::get_incident(store, actor, current).await?;
    if others == 0.0
        && matches!(
            left.incident.status,
            IncidentStatus::Reported | IncidentStatus::Triage
        )
    {
        discard(
            store,
            actor,
            current,
            &format!("duplicate: its alert was attached to incident {target_id}"),
        )
        .await?;
    }
    incidents::get_incident(store, actor, target_id).await
}

#[derive(Deserialize)]
struct CountRow {
    n: f64,
}

/// `GET /api/alerts[?status=open]`: the on-call SRE's queue: alerts whose
/// incident nobody has looked at first, then newest first. Alerts on Security
/// incidents are left out for readers without clearance (K3).
pub(super) async fn list_alerts(
    store: &D1Store,
    actor: &Actor,
    query: &str,
) -> Result<AlertList, ApiError> {
    let open_only =
        form_urlencoded::parse(query.as_bytes()).any(|(k, v)| k == "status" && v == "open");
    let sql = format!(
        "SELECT a.id, g.name AS integration, a.dedup_key, a.status, a.summary, a.severity, a.incident_id, \
         i.status AS incident_status, i.category AS incident_category, a.deliveries, a.first_seen, a.last_seen \
         FROM alerts a JOIN integrations g ON g.id = a.integration_id \
         LEFT JOIN incidents i ON i.id = a.incident_id {} \
         ORDER BY coalesce(i.status = 'reported', 0) DESC, a.first_seen DESC, a.id DESC LIMIT 500",
        if open_only { "WHERE a.status != 'resolved'" } else { "" }
    );
    let rows = store
        .db
        .prepare(&sql)
        .all()
        .await
        .map_err(store_err)?
        .results::<AlertRow>()
        .map_err(store_err)?;
    let alerts = rows
        .into_iter()
        .filter(|r| {
            let category = r
                .incident_category
                .as_deref()
                .and_then(|c| Category::parse(c).ok());
            may_see_incident(actor.role, category.as_ref())
        })
        .map(|r| {
            Ok(AlertView {
                id: r.id as i64,
                integration: r.integration,
                dedup_key: r.dedup_key,
                status: r.status,
                summary: r.summary,
                severity: r.severity,
                incident_id: r.incident_id.map(|i| i as i64),
                incident_status: r
                    .incident_status
                    .as_deref()
                    .map(str::parse::<IncidentStatus>)
                    .transpose()
                    .map_err(parse_err)?,
                deliveries: r.deliveries as i64,
                first_seen: Timestamp::from_unix_millis(r.first_seen as i64),
                last_seen: Timestamp::from_unix_millis(r.last_seen as i64),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(AlertList { alerts })
}
