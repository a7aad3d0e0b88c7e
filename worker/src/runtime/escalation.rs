//! Escalation on D1 (SPEC E1-E4, M1): the every-minute sweep, the outbox of
//! signed webhook notifications with retries, acknowledgement through the API
//! and through a signed link, rotas, notification channels and who is on call.

use super::{
    html_response, incident_id, now, num, parse_err, public_url, store_err, text, D1Store, IdRow,
};
use crate::auth::{require_writer, Actor};
use crate::error::ApiError;
use crate::incidents;
use crate::paging::{
    action_word, notification_body, recipient, retry_after_ms, team_page_body, ticket_history,
    AckLink, ChannelFormat, ChannelOwner, IncidentBrief, TimelineFact, ACKNOWLEDGED,
    ACK_LINK_VALID_MS,
};
use crate::request_body::decode_json;
use crate::stores::StoreError;
use crate::webhook_signature::{sign, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use beacon_shared::api::{EscalationView, IncidentDetail, OnCallList, OnCallView, RotaRequest};
use beacon_shared::escalation::{evaluate_escalation, EscalationConfig, Recipient};
use beacon_shared::lifecycle::IncidentStatus;
use beacon_shared::role::Role;
use beacon_shared::rota::{Rota, RotaRole, Rotas};
use beacon_shared::timeline::TimelineEvent;
use beacon_shared::triage::{LinkUrl, Name};
use beacon_shared::{Priority, Timestamp};
use maud::{html, DOCTYPE};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;
use wasm_bindgen::JsValue;
use worker::{
    console_error, console_log, D1PreparedStatement, Env, Fetch, Headers, Method, Request,
    RequestInit, Response,
};

const OPEN_STATUSES: &str = "status NOT IN ('resolved', 'closed', 'discarded')";
/// The actor name of the sweep's timeline entries.
const SWEEP_ACTOR: &str = "beacon/escalation";

fn random_hex() -> Result<String, StoreError> {
    Ok(hex::encode(super::random_bytes::<32>()?))
}

#[derive(Deserialize)]
struct ValueRow {
    value: String,
}

/// The value of setting `name`, if set.
pub(super) async fn setting(store: &D1Store, name: &str) -> Result<Option<String>, StoreError> {
    Ok(store
        .db
        .prepare("SELECT value FROM settings WHERE name = ?1")
        .bind(&[text(name)])
        .map_err(store_err)?
        .first::<ValueRow>(None)
        .await
        .map_err(store_err)?
        .map(|r| r.value))
}

/// Sets `name` to `value`, replacing what was there.
pub(super) fn put_setting(
    store: &D1Store,
    name: &str,
    value: &str,
) -> Result<D1PreparedStatement, StoreError> {
    store
        .db
        .prepare(
            "INSERT INTO settings (name, value) VALUES (?1, ?2) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(&[text(name), text(value)])
        .map_err(store_err)
}

/// The key that signs acknowledgement links, made on first use and kept in D1.
async fn link_key(store: &D1Store) -> Result<String, StoreError> {
    store
        .db
        .prepare("INSERT OR IGNORE INTO settings (name, value) VALUES ('ack_link_key', ?1)")
        .bind(&[text(&random_hex()?)])
        .map_err(store_err)?
        .run()
        .await
        .map_err(store_err)?;
    setting(store, "ack_link_key")
        .await?
        .ok_or_else(|| StoreError::Unavailable("no link key".into()))
}

/// The team's time limits and policies (SPEC E4: configurable), or the defaults.
async fn load_config(store: &D1Store) -> Result<EscalationConfig, StoreError> {
    match setting(store, "escalation_config").await? {
        Some(value) => serde_json::from_str(&value).map_err(parse_err),
        None => Ok(EscalationConfig::default()),
    }
}

/// `GET /api/escalation/config`: the limits and policies in force.
pub(super) async fn get_config(store: &D1Store) -> Result<EscalationConfig, ApiError> {
    Ok(load_config(store).await?)
}

/// `PUT /api/escalation/config` (IC, management, admin): replaces the limits and
/// policies for every priority; refused whole if any limit or step is invalid.
pub(super) async fn put_config(
    store: &D1Store,
    actor: &Actor,
    body: &[u8],
) -> Result<EscalationConfig, ApiError> {
    may_manage_rotas(actor)?;
    let config: EscalationConfig = decode_json(body)?;
    let before = load_config(store).await?;
    let at = now();
    let value = serde_json::to_value(&config).map_err(parse_err)?;
    store
        .db
        .batch(vec![
            put_setting(store, "escalation_config", &value.to_string())?,
            store.audit_statement(
                at,
                actor,
                "escalation.config",
                "settings/escalation_config",
                Some(&serde_json::to_value(&before).map_err(parse_err)?),
                Some(&value),
            )?,
        ])
        .await
        .map_err(store_err)?;
    Ok(config)
}

#[derive(Deserialize)]
struct RotaRow {
    rota: String,
}

async fn load_rotas(store: &D1Store) -> Result<Rotas, StoreError> {
    let rows = store
        .db
        .prepare("SELECT rota FROM rotas ORDER BY role")
        .all()
        .await
        .map_err(store_err)?
        .results::<RotaRow>()
        .map_err(store_err)?;
    let rotas = rows
        .iter()
        .map(|r| serde_json::from_str::<Rota>(&r.rota).map_err(parse_err))
        .collect::<Result<Vec<_>, _>>()?;
    Rotas::new(rotas).map_err(parse_err)
}

#[derive(Deserialize)]
struct OpenIncidentRow {
    id: f64,
    title: String,
    priority: String,
    status: String,
    created_at: f64,
}

#[derive(Deserialize)]
struct FactRow {
    incident_id: f64,
    at: f64,
    kind: String,
    body: String,
}

#[derive(Deserialize)]
struct SentRow {
    incident_id: f64,
    key: String,
}

#[derive(Deserialize)]
struct ChannelRow {
    id: f64,
    owner_kind: String,
    owner: String,
    format: String,
}

/// What one sweep did, for the log.
#[derive(Debug, Default, Serialize)]
pub(super) struct SweepReport {
    pub incidents: usize,
    pub actions: usize,
    pub delivered: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// The escalation state of open incidents, read in four queries.
struct OpenTickets {
    incidents: Vec<OpenIncidentRow>,
    facts: BTreeMap<i64, Vec<TimelineFact>>,
    sent: BTreeMap<i64, Vec<String>>,
}

async fn open_tickets(store: &D1Store, only: Option<i64>) -> Result<OpenTickets, StoreError> {
    let filter = only.map_or(String::new(), |id| format!(" AND id = {id}"));
    let incidents = store
        .db
        .prepare(format!(
            "SELECT id, title, priority, status, created_at FROM incidents WHERE {OPEN_STATUSES}{filter} ORDER BY id"
        ))
        .all()
        .await
        .map_err(store_err)?
        .results::<OpenIncidentRow>()
        .map_err(store_err)?;
    let scope = format!("SELECT id FROM incidents WHERE {OPEN_STATUSES}{filter}");
    let fact_rows = store
        .db
        .prepare(format!(
            "SELECT incident_id, at, kind, body FROM timeline_entries WHERE incident_id IN ({scope}) \
             AND kind IN ('created', 'priority_changed', 'status_changed', 'acknowledged', 'customer_update') \
             ORDER BY incident_id, at, id"
        ))
        .all()
        .await
        .map_err(store_err)?
        .results::<FactRow>()
        .map_err(store_err)?;
    let mut facts: BTreeMap<i64, Vec<TimelineFact>> = BTreeMap::new();
    for row in fact_rows {
        facts
            .entry(row.incident_id as i64)
            .or_default()
            .push(TimelineFact {
                at: Timestamp::from_unix_millis(row.at as i64),
                kind: row.kind,
                body: serde_json::from_str(&row.body).unwrap_or_default(),
            });
    }
    let sent_rows = store
        .db
        .prepare(format!(
            "SELECT incident_id, key FROM escalation_actions WHERE incident_id IN ({scope})"
        ))
        .all()
        .await
        .map_err(store_err)?
        .results::<SentRow>()
        .map_err(store_err)?;
    let mut sent: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for row in sent_rows {
        sent.entry(row.incident_id as i64)
            .or_default()
            .push(row.key);
    }
    Ok(OpenTickets {
        incidents,
        facts,
        sent,
    })
}

impl OpenTickets {
    fn history(&self, row: &OpenIncidentRow) -> beacon_shared::escalation::TicketHistory {
        let id = row.id as i64;
        ticket_history(
            id,
            Timestamp::from_unix_millis(row.created_at as i64),
            row.priority.parse().unwrap_or(Priority::P3),
            self.facts.get(&id).map(Vec::as_slice).unwrap_or_default(),
            self.sent.get(&id).cloned().unwrap_or_default(),
        )
    }
}

/// The cron sweep (SPEC E4): evaluates every open incident at `at` (the
/// trigger's scheduled time), claims each due action by its idempotency key,
/// records it in the timeline, queues one notification per channel of its
/// recipient, then delivers what is due in the outbox.
pub(super) async fn sweep(
    env: &Env,
    store: &D1Store,
    at: Timestamp,
) -> Result<SweepReport, StoreError> {
    let tickets = open_tickets(store, None).await?;
    let rotas = load_rotas(store).await?;
    let config = load_config(store).await?;
    let channels = store
        .db
        .prepare("SELECT id, owner_kind, owner, format FROM notification_channels ORDER BY id")
        .all()
        .await
        .map_err(store_err)?
        .results::<ChannelRow>()
        .map_err(store_err)?;
    let base = public_url(env);
    let key = link_key(store).await?;
    let sweep_id = random_hex()?;
    let mut report = SweepReport {
        incidents: tickets.incidents.len(),
        ..SweepReport::default()
    };
    for row in &tickets.incidents {
        let evaluation = evaluate_escalation(&tickets.history(row), &config, &rotas, at);
        if evaluation.actions.is_empty() {
            continue;
        }
        let id = row.id as i64;
        let brief = IncidentBrief {
            id,
            title: row.title.clone(),
            priority: row.priority.parse().unwrap_or(Priority::P3),
            status: row.status.parse().unwrap_or(IncidentStatus::Reported),
            url: format!("{base}/incidents/{id}"),
        };
        let recorded_at = num(now().unix_millis());
        let mut statements = Vec::new();
        for action in &evaluation.actions {
            let to = recipient(action);
            let owner = ChannelOwner::for_recipient(to);
            let (owner_kind, owner_name) = owner.as_row();
            let targets: Vec<&ChannelRow> = channels
                .iter()
                .filter(|c| c.owner_kind == owner_kind && c.owner == owner_name)
                .collect();
            // Every notification can be acknowledged from where it is read.
            let ack_url = Name::parse(&owner.acknowledger()).ok().map(|by| {
                let link = AckLink {
                    incident: id,
                    by,
                    expires: Timestamp::from_unix_millis(now().unix_millis() + ACK_LINK_VALID_MS),
                };
                format!("{base}/ack/{id}?{}", link.query(&key))
            });
            let claimed = "EXISTS (SELECT 1 FROM escalation_actions WHERE key = ?1 AND sweep = ?2)";
            let action_json = serde_json::to_string(action).map_err(parse_err)?;
            statements.push(
                store
                    .db
                    .prepare(
                        "INSERT OR IGNORE INTO escalation_actions (key, incident_id, due_at, sent_at, sweep, action) \
                         VALUES (?1, ?3, ?4, ?5, ?2, ?6)",
                    )
                    .bind(&[
                        text(action.key.as_str()),
                        text(&sweep_id),
                        num(id),
                        num(action.due_at.unix_millis()),
                        recorded_at.clone(),
                        text(&action_json),
                    ])
                    .map_err(store_err)?,
            );
            let entry = json!({
                "action": action_word(action),
                "key": action.key,
                "due_at": action.due_at,
                "kind": action.kind,
                "channels": targets.len(),
                "unstaffed": matches!(to, Recipient::Unstaffed { .. }),
            });
            statements.push(
                store
                    .db
                    .prepare(format!(
                        "INSERT INTO timeline_entries (incident_id, at, actor, kind, body) \
                         SELECT ?3, ?4, ?5, ?6, ?7 WHERE {claimed}"
                    ))
                    .bind(&[
                        text(action.key.as_str()),
                        text(&sweep_id),
                        num(id),
                        recorded_at.clone(),
                        text(SWEEP_ACTOR),
                        text(match action_word(action) {
                            "page" => "paged",
                            "remind" => "reminded",
                            _ => "escalated",
                        }),
                        text(&entry.to_string()),
                    ])
                    .map_err(store_err)?,
            );
            for channel in targets {
                let format = channel
                    .format
                    .parse::<ChannelFormat>()
                    .unwrap_or(ChannelFormat::Generic);
                let body = notification_body(format, action, &brief, ack_url.as_deref());
                statements.push(
                    store
                        .db
                        .prepare(format!(
                            "INSERT INTO outbound_notifications (action_key, incident_id, channel_id, body, next_attempt_at) \
                             SELECT ?1, ?3, ?4, ?5, ?6 WHERE {claimed}"
                        ))
                        .bind(&[
                            text(action.key.as_str()),
                            text(&sweep_id),
                            num(id),
                            num(channel.id as i64),
                            text(&body.to_string()),
                            num(at.unix_millis()),
                        ])
                        .map_err(store_err)?,
                );
            }
            report.actions += 1;
        }
        store.db.batch(statements).await.map_err(store_err)?;
    }
    deliver_outbox(store, at, &mut report).await?;
    Ok(report)
}

#[derive(Deserialize)]
struct OutboxRow {
    id: f64,
    incident_id: f64,
    action_key: String,
    body: String,
    attempts: f64,
    url: String,
    secret: String,
}

/// POSTs one signed body; `Err` says why it did not arrive.
async fn post_signed(url: &str, secret: &str, body: &str) -> Result<(), String> {
    let timestamp = (now().unix_millis() / 1000).to_string();
    let headers = Headers::new();
    let set = |name: &str, value: &str| headers.set(name, value).map_err(|e| e.to_string());
    set("content-type", "application/json")?;
    set("user-agent", "Beacon-Escalation/1")?;
    set(TIMESTAMP_HEADER, &timestamp)?;
    set(SIGNATURE_HEADER, &sign(secret, &timestamp, body.as_bytes()))?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(JsValue::from_str(body)));
    let request = Request::new_with_init(url, &init).map_err(|e| e.to_string())?;
    let response = Fetch::Request(request)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    match response.status_code() {
        200..=299 => Ok(()),
        status => Err(format!("the receiver answered {status}")),
    }
}

/// Delivers the due notifications; a failed one is retried with back-off and,
/// after the last attempt, marked failed in the incident's timeline.
async fn deliver_outbox(
    store: &D1Store,
    at: Timestamp,
    report: &mut SweepReport,
) -> Result<(), StoreError> {
    let due = store
        .db
        .prepare(
            "SELECT n.id, n.incident_id, n.action_key, n.body, n.attempts, c.url, c.secret \
             FROM outbound_notifications n JOIN notification_channels c ON c.id = n.channel_id \
             WHERE n.status = 'pending' AND n.next_attempt_at <= ?1 ORDER BY n.id LIMIT 200",
        )
        .bind(&[num(at.unix_millis())])
        .map_err(store_err)?
        .all()
        .await
        .map_err(store_err)?
        .results::<OutboxRow>()
        .map_err(store_err)?;
    for row in due {
        let attempts = row.attempts as u32 + 1;
        let result = post_signed(&row.url, &row.secret, &row.body).await;
        let statements = match result {
            Ok(()) => {
                report.delivered += 1;
                vec![store
                    .db
                    .prepare(
                        "UPDATE outbound_notifications SET status = 'delivered', attempts = ?1, delivered_at = ?2 WHERE id = ?3",
                    )
                    .bind(&[num(attempts as i64), num(now().unix_millis()), num(row.id as i64)])
                    .map_err(store_err)?]
            }
            Err(error) => match retry_after_ms(attempts) {
                Some(delay) => {
                    report.retrying += 1;
                    vec![store
                        .db
                        .prepare(
                            "UPDATE outbound_notifications SET attempts = ?1, next_attempt_at = ?2, last_error = ?3 WHERE id = ?4",
                        )
                        .bind(&[
                            num(attempts as i64),
                            num(at.unix_millis() + delay),
                            text(&error),
                            num(row.id as i64),
                        ])
                        .map_err(store_err)?]
                }
                None => {
                    report.failed += 1;
                    vec![
                        store
                            .db
                            .prepare(
                                "UPDATE outbound_notifications SET status = 'failed', attempts = ?1, last_error = ?2 WHERE id = ?3",
                            )
                            .bind(&[num(attempts as i64), text(&error), num(row.id as i64)])
                            .map_err(store_err)?,
                        store
                            .db
                            .prepare(
                                "INSERT INTO timeline_entries (incident_id, at, actor, kind, body) VALUES (?1, ?2, ?3, 'notification_failed', ?4)",
                            )
                            .bind(&[
                                num(row.incident_id as i64),
                                num(now().unix_millis()),
                                text(SWEEP_ACTOR),
                                text(&json!({ "key": row.action_key, "attempts": attempts, "error": error }).to_string()),
                            ])
                            .map_err(store_err)?,
                    ]
                }
            },
        };
        store.db.batch(statements).await.map_err(store_err)?;
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestClock {
    offset_ms: i64,
}

/// `PUT /api/test/clock` (admin, test mode only): how far the sweep's clock runs ahead.
pub(super) async fn set_test_clock(
    store: &D1Store,
    actor: &Actor,
    body: &[u8],
) -> Result<(), ApiError> {
    if actor.role != Role::Admin {
        return Err(ApiError::Forbidden(
            "only an admin may move the test clock".into(),
        ));
    }
    let clock: TestClock = decode_json(body)?;
    put_setting(store, "test_clock_offset_ms", &clock.offset_ms.to_string())?
        .run()
        .await
        .map_err(store_err)?;
    Ok(())
}

async fn test_clock_offset(store: &D1Store) -> Result<i64, StoreError> {
    Ok(setting(store, "test_clock_offset_ms")
        .await?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

/// Runs the sweep for the cron trigger and logs what it did.
pub(super) async fn scheduled(env: &Env, scheduled_at: Timestamp) {
    let store = match D1Store::from_env(env) {
        Ok(store) => store,
        Err(e) => return console_error!("escalation sweep: no database: {e}"),
    };
    let offset = if super::test_mode(env) {
        test_clock_offset(&store).await.unwrap_or(0)
    } else {
        0
    };
    let at = Timestamp::from_unix_millis(scheduled_at.unix_millis() + offset);
    match sweep(env, &store, at).await {
        Ok(report) => console_log!(
            "escalation sweep at {at}: {}",
            serde_json::to_string(&report).unwrap_or_default()
        ),
        Err(error) => console_error!("escalation sweep at {at} failed: {}", error),
    }
}

/// Records an acknowledgement by `by` on an open incident (E3: action and time).
async fn record_acknowledgement(
    store: &D1Store,
    id: i64,
    by: &str,
    actor: &Actor,
    via: &str,
) -> Result<(), ApiError> {
    let at = now();
    let statements = vec![
        store
            .db
            .prepare(format!(
                "INSERT INTO timeline_entries (incident_id, at, actor, kind, body) \
                 SELECT ?1, max(?2, updated_at), ?3, '{ACKNOWLEDGED}', ?4 FROM incidents WHERE id = ?1 AND {OPEN_STATUSES}"
            ))
            .bind(&[
                num(id),
                num(at.unix_millis()),
                text(&actor.name),
                text(&json!({ "by": by, "via": via }).to_string()),
            ])
            .map_err(store_err)?,
        store.audit_statement(
            at,
            actor,
            "incident.acknowledge",
            &format!("incident/{id}"),
            None,
            Some(&json!({ "by": by, "via": via })),
        )?,
    ];
    store.db.batch(statements).await.map_err(store_err)?;
    Ok(())
}

/// `POST /api/incidents/{id}/acknowledge`: the signed-in person takes the page.
pub(super) async fn acknowledge(
    store: &D1Store,
    actor: &Actor,
    id: i64,
) -> Result<IncidentDetail, ApiError> {
    require_writer(actor)?;
    let detail = incidents::get_incident(store, actor, id).await?;
    if !detail.incident.status.is_open() {
        return Err(ApiError::Conflict {
            field: None,
            message: format!(
                "incident {id} is {}; there is nothing to acknowledge",
                detail.incident.status
            ),
        });
    }
    Name::parse(&actor.name).map_err(|e| ApiError::invalid("name", e.to_string()))?;
    record_acknowledgement(store, id, &actor.name, actor, "api").await?;
    incidents::get_incident(store, actor, id).await
}

/// The body of `POST /api/incidents/{id}/teams`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PullInTeam {
    team: Name,
    reason: String,
}

#[derive(Deserialize)]
struct TeamChannelRow {
    id: f64,
    format: String,
}

/// `POST /api/incidents/{id}/teams` (SPEC E5): the IC pulls an engineering team
/// (DBA, network, web server, security, ...) into an open incident. The team's
/// channels are notified at the next sweep, with the outbox's retries.
pub(super) async fn pull_in_team(
    env: &Env,
    store: &D1Store,
    actor: &Actor,
    id: i64,
    body: &[u8],
) -> Result<IncidentDetail, ApiError> {
    require_writer(actor)?;
    let request: PullInTeam = decode_json(body)?;
    if request.reason.trim().is_empty() {
        return Err(ApiError::invalid(
            "reason",
            "say what the team is needed for",
        ));
    }
    let detail = incidents::get_incident(store, actor, id).await?;
    if !detail.incident.status.is_open() {
        return Err(ApiError::Conflict {
            field: None,
            message: format!("incident {id} is {}", detail.incident.status),
        });
    }
    let team = request.team.to_string();
    let channels = store
        .db
        .prepare(
            "SELECT id, format FROM notification_channels WHERE owner_kind = 'team' AND owner = ?1",
        )
        .bind(&[text(&team)])
        .map_err(store_err)?
        .all()
        .await
        .map_err(store_err)?
        .results::<TeamChannelRow>()
        .map_err(store_err)?;
    if channels.is_empty() {
        return Err(ApiError::invalid(
            "team",
            format!("the {team} team has no notification channel; add one first"),
        ));
    }
    let at = now();
    let brief = IncidentBrief {
        id,
        title: detail.incident.title.clone(),
        priority: detail.incident.priority,
        status: detail.incident.status,
        url: format!("{}/incidents/{id}", public_url(env)),
    };
    let key = format!("incident/{id}/team/{team}/{}", at.unix_millis());
    let entry = json!({ "team": team, "reason": request.reason, "channels": channels.len() });
    let mut statements = vec![
        store
            .db
            .prepare(
                "INSERT INTO escalation_actions (key, incident_id, due_at, sent_at, sweep, action) \
                 VALUES (?1, ?2, ?3, ?3, 'manual', ?4)",
            )
            .bind(&[text(&key), num(id), num(at.unix_millis()), text(&entry.to_string())])
            .map_err(store_err)?,
        store
            .db
            .prepare(
                "INSERT INTO timeline_entries (incident_id, at, actor, kind, body) \
                 SELECT ?1, max(?2, updated_at), ?3, 'team_paged', ?4 FROM incidents WHERE id = ?1",
            )
            .bind(&[num(id), num(at.unix_millis()), text(&actor.name), text(&entry.to_string())])
            .map_err(store_err)?,
        store.audit_statement(at, actor, "incident.pull_in_team", &format!("incident/{id}"), None, Some(&entry))?,
    ];
    for channel in &channels {
        let format = channel.format.parse().unwrap_or(ChannelFormat::Generic);
        let body = team_page_body(format, &team, &request.reason, &actor.name, &brief);
        statements.push(
            store
                .db
                .prepare(
                    "INSERT INTO outbound_notifications (action_key, incident_id, channel_id, body, next_attempt_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .bind(&[
                    text(&key),
                    num(id),
                    num(channel.id as i64),
                    text(&body.to_string()),
                    num(at.unix_millis()),
                ])
                .map_err(store_err)?,
        );
    }
    store.db.batch(statements).await.map_err(store_err)?;
    incidents::get_incident(store, actor, id).await
}

#[derive(Deserialize)]
struct TitleRow {
    title: String,
    status: String,
}

fn ack_page(heading: &str, message: &str, form: Option<&str>) -> Result<Response, ApiError> {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (heading) " · Beacon" }
                style { "body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}button{font-size:1.1rem;padding:.6rem 1.2rem}@media(prefers-color-scheme:dark){body{background:#111;color:#eee}}" }
            }
            body {
                main {
                    h1 { (heading) }
                    p { (message) }
                    @if let Some(action) = form {
                        form method="post" action=(action) {
                            button type="submit" id="acknowledge" { "Acknowledge" }
                        }
                    }
                }
            }
        }
    };
    html_response(markup.into_string())
}

/// `GET /ack/{id}?by&exp&sig` shows what the link acknowledges, with a button;
/// `POST` (the button) records it. A GET never changes anything, so chat link
/// previews cannot acknowledge a page by themselves.
pub(super) async fn ack_link(
    store: &D1Store,
    method: &Method,
    raw_id: &str,
    query: &str,
) -> Result<Response, ApiError> {
    let id = incident_id(raw_id)?;
    let key = link_key(store).await?;
    let link = match AckLink::verify(id, query, &key, now()) {
        Ok(link) => link,
        Err(error) => {
            let response = ack_page("Link not accepted", &error.to_string(), None)?;
            return Ok(response.with_status(403));
        }
    };
    let row = store
        .db
        .prepare("SELECT title, status FROM incidents WHERE id = ?1")
        .bind(&[num(id)])
        .map_err(store_err)?
        .first::<TitleRow>(None)
        .await
        .map_err(store_err)?
        .ok_or(ApiError::NotFound { what: "incident" })?;
    let open = row
        .status
        .parse::<IncidentStatus>()
        .map(IncidentStatus::is_open)
        .unwrap_or(false);
    match method {
        Method::Post if open => {
            let actor = Actor {
                user_id: 0,
                name: format!("{} (signed link)", link.by),
                role: Role::Viewer,
            };
            record_acknowledgement(store, id, link.by.as_str(), &actor, "signed_link").await?;
            ack_page(
                "Acknowledged",
                &format!(
                    "{} acknowledged incident #{id}: {}. Escalation stops.",
                    link.by, row.title
                ),
                None,
            )
        }
        _ if !open => ack_page(
            "Nothing to acknowledge",
            &format!("Incident #{id} is {} already.", row.status),
            None,
        ),
        _ => ack_page(
            &format!("Acknowledge incident #{id}?"),
            &format!(
                "{}: acknowledge as {}. This stops the escalation to the next person.",
                row.title, link.by
            ),
            Some(&format!("/ack/{id}?{query}")),
        ),
    }
}

fn may_manage_rotas(actor: &Actor) -> Result<(), ApiError> {
    match actor.role {
        Role::Admin | Role::IncidentCommander | Role::Management => Ok(()),
        other => Err(ApiError::Forbidden(format!(
            "the {} role may not change rotas or notification channels",
            other.as_str()
        ))),
    }
}

/// `PUT /api/rotas/{role}` (IC, management, admin): replaces that role's rota.
pub(super) async fn put_rota(
    store: &D1Store,
    actor: &Actor,
    role: &str,
    body: &[u8],
) -> Result<OnCallList, ApiError> {
    may_manage_rotas(actor)?;
    let role: RotaRole = serde_json::from_value(json!(role))
        .map_err(|_| ApiError::NotFound { what: "rota role" })?;
    let request: RotaRequest = decode_json(body)?;
    let mut rota = Rota::new(role, request.people, request.shift, request.starts_at)
        .map_err(|e| ApiError::invalid("people", e.to_string()))?;
    for cover in request.overrides {
        rota.add_override(cover);
    }
    let at = now();
    let rota_json = serde_json::to_string(&rota).map_err(parse_err)?;
    let statements = vec![
        store
            .db
            .prepare(
                "INSERT INTO rotas (role, rota, updated_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (role) DO UPDATE SET rota = excluded.rota, updated_at = excluded.updated_at",
            )
            .bind(&[text(role.as_str()), text(&rota_json), num(at.unix_millis())])
            .map_err(store_err)?,
        store.audit_statement(
            at,
            actor,
            "rota.put",
            &format!("rota/{}", role.as_str()),
            None,
            Some(&serde_json::to_value(&rota).map_err(parse_err)?),
        )?,
    ];
    store.db.batch(statements).await.map_err(store_err)?;
    on_call(store).await
}

/// `GET /api/on-call`: for every role, who is on call now and who takes over next.
pub(super) async fn on_call(store: &D1Store) -> Result<OnCallList, ApiError> {
    let rotas = load_rotas(store).await?;
    let at = now();
    Ok(OnCallList {
        at,
        rotas: RotaRole::ALL
            .into_iter()
            .map(|role| {
                let rota = rotas.get(role);
                OnCallView {
                    role,
                    now: rota.and_then(|r| r.on_call_at(at)).cloned(),
                    next: rota.and_then(|r| r.next_handover(at)),
                    rota: rota.cloned(),
                }
            })
            .collect(),
    })
}

/// The body of `POST /api/notification-channels`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewChannel {
    /// `person`, `team` or `management`.
    owner_kind: String,
    #[serde(default)]
    owner: Option<Name>,
    format: ChannelFormat,
    url: LinkUrl,
}

#[derive(Serialize)]
pub(super) struct ChannelCreated {
    id: i64,
    /// Signs every body sent to this channel; shown again only to admins in D1.
    secret: String,
}

/// `POST /api/notification-channels` (IC, management, admin): where a person's,
/// a team's or management's notifications go.
pub(super) async fn create_channel(
    store: &D1Store,
    actor: &Actor,
    body: &[u8],
) -> Result<ChannelCreated, ApiError> {
    may_manage_rotas(actor)?;
    let request: NewChannel = decode_json(body)?;
    let owner = match (request.owner_kind.as_str(), &request.owner) {
        ("management", None) => String::new(),
        ("person" | "team", Some(name)) => name.to_string(),
        ("person" | "team", None) => {
            return Err(ApiError::invalid(
                "owner",
                "a person's or team's channel needs the owner's name",
            ))
        }
        ("management", Some(_)) => {
            return Err(ApiError::invalid(
                "owner",
                "management's channel has no owner name",
            ))
        }
        _ => {
            return Err(ApiError::invalid(
                "owner_kind",
                "must be person, team or management",
            ))
        }
    };
    let secret = format!("bks_{}", random_hex()?);
    let at = now();
    let results = store
        .db
        .batch(vec![
            store
                .db
                .prepare(
                    "INSERT INTO notification_channels (owner_kind, owner, format, url, secret, created_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
                )
                .bind(&[
                    text(&request.owner_kind),
                    text(&owner),
                    text(request.format.as_str()),
                    text(request.url.as_str()),
                    text(&secret),
                    num(at.unix_millis()),
                ])
                .map_err(store_err)?,
            store.audit_statement(
                at,
                actor,
                "notification_channel.create",
                &format!("channel/{}/{owner}", request.owner_kind),
                None,
                Some(&json!({ "format": request.format, "url": request.url.as_str() })),
            )?,
        ])
        .await
        .map_err(store_err)?;
    let id = results
        .first()
        .map(|r| r.results::<IdRow>())
        .transpose()
        .map_err(store_err)?
        .and_then(|rows| rows.first().map(|r| r.id as i64))
        .ok_or_else(|| ApiError::StoreUnavailable("insert returned no id".into()))?;
    Ok(ChannelCreated { id, secret })
}

/// `GET /api/incidents/{id}/escalation`: who acknowledged, the limits still
/// open and when the next one falls due (SPEC E4: visible on the incident page).
pub(super) async fn escalation_view(
    store: &D1Store,
    actor: &Actor,
    id: i64,
) -> Result<EscalationView, ApiError> {
    let detail = incidents::get_incident(store, actor, id).await?;
    let rotas = load_rotas(store).await?;
    let at = now();
    let commander = rotas
        .get(RotaRole::IncidentCommander)
        .and_then(|r| r.on_call_at(at))
        .cloned();
    let acknowledged_by = detail.timeline.iter().find_map(|e| match &e.event {
        TimelineEvent::Acknowledged(ack) => Some(ack.by.clone()),
        _ => None,
    });
    let pages_sent = detail
        .timeline
        .iter()
        .filter(|e| matches!(e.event, TimelineEvent::Paged(_)))
        .count();
    let tickets = open_tickets(store, Some(id)).await?;
    let Some(row) = tickets.incidents.first() else {
        return Ok(EscalationView {
            at,
            acknowledged_by,
            commander,
            deadlines: Vec::new(),
            next_due: None,
            pages_sent,
        });
    };
    let config = load_config(store).await?;
    let evaluation = evaluate_escalation(&tickets.history(row), &config, &rotas, at);
    Ok(EscalationView {
        at,
        acknowledged_by,
        commander,
        deadlines: evaluation.deadlines,
        next_due: evaluation.next_due,
        pages_sent,
    })
}
