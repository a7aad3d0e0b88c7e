//! Escalation handlers (SPEC E1-E5, K3, M1), generic over the store traits:
//! the sweep that pages, reminds and escalates the due tickets and then puts
//! the due notifications on the delivery queue,
//! acknowledgement through the API and through a signed link, pulling a team
//! in, the time limits, rotas, who is on call, notification channels, an
//! incident's escalation view and the test clock.
//!
//! Time, fresh secrets and the sweep's id come in as parameters; the queue
//! comes in as a [`DeliveryQueue`] (its consumer is
//! [`crate::notification_delivery`]). Every notification is written
//! for its reader: a Security incident's title reaches only readers with
//! clearance ([`beacon_shared::clearance::clearance`]).

use crate::auth::{require_role, require_writer, Actor};
use crate::error::ApiError;
use crate::incidents;
use crate::notification_delivery::{queue_due, DeliveryQueue};
use crate::paging::{
    action_word, notification_body, recipient, team_page_body, ticket_history, AckLink,
    AckLinkError, ChannelFormat, ChannelOwner, NotifiedIncident, ACK_LINK_VALID_MS,
};
use crate::request_body::decode_json;
use crate::stores::{
    AcknowledgementRecord, ChannelDisabling, ChannelRecord, DueAction, EscalationStore,
    IncidentRecord, IncidentStore, NewAuditRecord, NewChannel, OpenTicket, QueuedNotification,
    Setting, SettingChange, SettingsStore, StoreError, SweptTicket, TeamPullIn, UserStore,
};
use beacon_shared::api::{EscalationView, IncidentDetail, OnCallList, OnCallView, RotaRequest};
use beacon_shared::clearance::{clearance, Reader, RestrictedIncident};
use beacon_shared::escalation::{
    episode_start, evaluate_escalation, ActionKind, EscalationConfig, Recipient, TicketHistory,
};
use beacon_shared::lifecycle::IncidentStatus;
use beacon_shared::role::Role;
use beacon_shared::rota::{Rota, RotaRole};
use beacon_shared::timeline::{
    AcknowledgedVia, Acknowledgement, EscalationNote, TeamPage, TimelineEvent,
};
use beacon_shared::triage::{LinkUrl, Name};
use beacon_shared::Timestamp;
use maud::{html, DOCTYPE};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;

#[cfg(test)]
mod tests;

/// One run of the sweep.
#[derive(Debug, Clone, Copy)]
pub struct SweepRun<'a> {
    /// The sweep's clock: the trigger's scheduled time (moved by the test clock).
    pub at: Timestamp,
    /// The wall clock: when entries are recorded and links start to run out.
    pub now: Timestamp,
    /// Names the sweep that claims each action.
    pub sweep_id: &'a str,
    /// Where people reach Beacon, without a trailing slash.
    pub base_url: &'a str,
    /// A fresh key, stored as the link-signing key if there is none yet.
    pub link_key_candidate: &'a str,
}

/// What one sweep did, for the log.
#[derive(Debug, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    /// The tickets that were due (the others were not read).
    pub incidents: usize,
    pub actions: usize,
    /// Notifications put on the delivery queue.
    pub queued: usize,
    /// Why the queue refused this sweep's notifications (the next sweep
    /// tries again).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue_error: Option<String>,
    /// Tickets left out because their stored row does not parse, with why.
    pub skipped: Vec<String>,
}

/// What `owner`'s channels may read (SPEC K3): a person as their role (no
/// clearance if they are not a user), a team's channel as a team, management
/// as management.
pub(crate) async fn reader_of<'o, S: UserStore>(
    store: &S,
    owner: &'o ChannelOwner,
) -> Result<Reader<'o>, StoreError> {
    reader_with(store, owner, &mut HashMap::new()).await
}

/// [`reader_of`], with the roles of people read before kept in `roles`.
async fn reader_with<'o, S: UserStore>(
    store: &S,
    owner: &'o ChannelOwner,
    roles: &mut HashMap<String, Role>,
) -> Result<Reader<'o>, StoreError> {
    Ok(match owner {
        ChannelOwner::Person(name) => {
            let role = match roles.get(name) {
                Some(role) => *role,
                None => {
                    let role = person_role(store, name).await?;
                    roles.insert(name.clone(), role);
                    role
                }
            };
            Reader::Person(role)
        }
        ChannelOwner::Team(name) => Reader::Team(name),
        ChannelOwner::Management => Reader::Management,
    })
}

/// A person known only by name, as a reader: their role, or no clearance if
/// they are not a user.
async fn person_reader<S: UserStore>(store: &S, name: &str) -> Result<Reader<'static>, StoreError> {
    Ok(Reader::Person(person_role(store, name).await?))
}

/// A person's role, or no clearance (viewer) if they are not a user.
async fn person_role<S: UserStore>(store: &S, name: &str) -> Result<Role, StoreError> {
    Ok(store.role_of(name).await?.unwrap_or(Role::Viewer))
}

fn incident_url(base_url: &str, id: i64) -> String {
    format!("{base_url}/incidents/{id}")
}

fn notified_ticket(ticket: &OpenTicket, base_url: &str) -> NotifiedIncident {
    NotifiedIncident {
        id: ticket.id,
        title: ticket.title.clone(),
        category: ticket.category.clone(),
        priority: ticket.priority,
        status: ticket.status,
        url: incident_url(base_url, ticket.id),
    }
}

fn notified_record(record: &IncidentRecord, base_url: &str) -> NotifiedIncident {
    NotifiedIncident {
        id: record.id,
        title: record.state.title.clone(),
        category: record.state.category.clone(),
        priority: record.state.priority,
        status: record.state.status,
        url: incident_url(base_url, record.id),
    }
}

fn history_of(ticket: &OpenTicket) -> TicketHistory {
    ticket_history(
        ticket.id,
        ticket.created_at,
        ticket.priority,
        &ticket.timeline,
        ticket.sent.iter().cloned(),
    )
}

fn evaluation_of(
    ticket: &OpenTicket,
    config: &EscalationConfig,
    rotas: &beacon_shared::rota::Rotas,
    at: Timestamp,
) -> beacon_shared::escalation::Evaluation {
    evaluate_escalation(&history_of(ticket), config, rotas, at)
}

/// The team's time limits and policies (SPEC E4: configurable), or the defaults.
async fn load_config<S: SettingsStore>(store: &S) -> Result<EscalationConfig, StoreError> {
    match store.setting(Setting::EscalationConfig).await? {
        Some(value) => crate::stores::parse_stored(&value),
        None => Ok(EscalationConfig::default()),
    }
}

/// The cron sweep (SPEC E1, E4, M1): evaluates the tickets that are due at
/// `run.at` (read through the due index: a ticket with nothing due costs
/// nothing), claims each due action by its idempotency key, records it in the
/// timeline, queues one notification per channel of its recipient (written
/// for what that reader may see, SPEC K3), keeps each ticket's next due
/// instant, then puts the due notifications on the delivery queue. A ticket
/// whose stored row is corrupt is skipped (and reported); the others go on.
pub async fn sweep<S, Q>(
    store: &S,
    queue: &Q,
    run: &SweepRun<'_>,
) -> Result<SweepReport, StoreError>
where
    S: EscalationStore + SettingsStore + UserStore,
    Q: DeliveryQueue,
{
    let tickets = store.due_tickets(run.at).await?;
    let mut report = SweepReport {
        incidents: tickets.len(),
        ..SweepReport::default()
    };
    if !tickets.is_empty() {
        let swept = evaluate_due(store, tickets, run, &mut report).await?;
        report.actions = store.record_sweep(run.sweep_id, &swept).await?;
    }
    match queue_due(store, queue, run.at, run.now).await? {
        Ok(queued) => report.queued = queued,
        Err(error) => report.queue_error = Some(error),
    }
    Ok(report)
}

/// What the sweep decides for each due ticket: its due actions, with their
/// timeline entries and notifications, and its next due instant.
async fn evaluate_due<S>(
    store: &S,
    tickets: Vec<Result<OpenTicket, StoreError>>,
    run: &SweepRun<'_>,
    report: &mut SweepReport,
) -> Result<Vec<SweptTicket>, StoreError>
where
    S: EscalationStore + SettingsStore + UserStore,
{
    let rotas = store.rotas().await?;
    let config = load_config(store).await?;
    let channels = store.channels().await?;
    let key = store
        .setting_or_init(Setting::AckLinkKey, run.link_key_candidate)
        .await?;
    // Each person's role is read once per sweep, however many pages they get.
    let mut roles = HashMap::new();
    let mut swept = Vec::with_capacity(tickets.len());
    for ticket in tickets {
        let ticket = match ticket {
            Ok(ticket) => ticket,
            Err(error) => {
                report.skipped.push(error.to_string());
                continue;
            }
        };
        let evaluation = evaluation_of(&ticket, &config, &rotas, run.at);
        let episode = episode_start(&history_of(&ticket), &config, run.at);
        let incident = notified_ticket(&ticket, run.base_url);
        let mut actions = Vec::with_capacity(evaluation.actions.len());
        for action in &evaluation.actions {
            let to = recipient(action);
            let owner = ChannelOwner::for_recipient(to);
            let targets: Vec<&ChannelRecord> =
                channels.iter().filter(|c| c.owner == owner).collect();
            // Every notification can be acknowledged from where it is read.
            let ack_url = Name::parse(&owner.acknowledger()).ok().map(|by| {
                let link = AckLink {
                    incident: ticket.id,
                    by,
                    episode,
                    expires: Timestamp::from_unix_millis(run.now.unix_millis() + ACK_LINK_VALID_MS),
                };
                format!("{}/ack/{}?{}", run.base_url, ticket.id, link.query(&key))
            });
            let brief = incident.brief_for(reader_with(store, &owner, &mut roles).await?);
            let notifications = targets
                .iter()
                .map(|channel| QueuedNotification {
                    channel: channel.id,
                    body: notification_body(channel.format, action, &brief, ack_url.as_deref())
                        .to_string(),
                })
                .collect();
            let note = EscalationNote {
                action: action_word(action).into(),
                key: action.key.clone(),
                due_at: action.due_at,
                kind: (&action.kind).into(),
                channels: targets.len(),
                unstaffed: matches!(to, Recipient::Unstaffed { .. }),
            };
            let timeline = match action.kind {
                ActionKind::Page { .. } => TimelineEvent::Paged(note),
                ActionKind::Remind { .. } => TimelineEvent::Reminded(note),
                ActionKind::Escalate { .. } => TimelineEvent::Escalated(note),
            };
            actions.push(DueAction {
                incident: ticket.id,
                key: action.key.clone(),
                due_at: action.due_at,
                recorded_at: run.now,
                sweep: run.sweep_id.to_owned(),
                action: serde_json::to_value(action).map_err(StoreError::corrupt)?,
                timeline,
                notifications,
                deliver_from: run.at,
            });
        }
        swept.push(SweptTicket {
            incident: ticket.id,
            schedule: ticket.schedule,
            next_due: evaluation.next_due,
            actions,
        });
    }
    Ok(swept)
}

/// The sweep's clock for a trigger scheduled at `scheduled_at`: moved by the
/// test clock's offset in test mode only.
pub async fn sweep_clock<S: SettingsStore>(
    store: &S,
    scheduled_at: Timestamp,
    test_mode: bool,
) -> Timestamp {
    let offset = if test_mode {
        match store.setting(Setting::TestClockOffset).await {
            Ok(value) => value.and_then(|v| v.parse::<i64>().ok()).unwrap_or(0),
            Err(_) => 0,
        }
    } else {
        0
    };
    Timestamp::from_unix_millis(scheduled_at.unix_millis() + offset)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestClock {
    offset_ms: i64,
}

/// `PUT /api/test/clock` (admin, test mode only): how far the sweep's clock runs ahead.
pub async fn set_test_clock<S: SettingsStore>(
    store: &S,
    actor: &Actor,
    body: &[u8],
    now: Timestamp,
) -> Result<(), ApiError> {
    if !actor.role.may_administer() {
        return Err(ApiError::Forbidden(
            "only an admin may move the test clock".into(),
        ));
    }
    let clock: TestClock = decode_json(body)?;
    store
        .put_setting(&SettingChange {
            setting: Setting::TestClockOffset,
            value: clock.offset_ms.to_string(),
            at: now,
            actor,
            action: "test.clock",
            before: None,
            after: Some(json!(clock.offset_ms)),
        })
        .await?;
    Ok(())
}

fn may_manage_rotas(actor: &Actor) -> Result<(), ApiError> {
    require_role(
        actor,
        Role::may_manage_rotas,
        "change rotas or notification channels",
    )
}

/// `GET /api/escalation/config`: the limits and policies in force.
pub async fn get_config<S: SettingsStore>(store: &S) -> Result<EscalationConfig, ApiError> {
    Ok(load_config(store).await?)
}

/// `PUT /api/escalation/config` (IC, management, admin): replaces the limits and
/// policies for every priority; refused whole if any limit or step is invalid.
pub async fn put_config<S: SettingsStore + EscalationStore>(
    store: &S,
    actor: &Actor,
    body: &[u8],
    now: Timestamp,
) -> Result<EscalationConfig, ApiError> {
    may_manage_rotas(actor)?;
    let config: EscalationConfig = decode_json(body)?;
    let before = load_config(store).await?;
    let value = serde_json::to_value(&config).map_err(StoreError::corrupt)?;
    store
        .put_setting(&SettingChange {
            setting: Setting::EscalationConfig,
            value: value.to_string(),
            at: now,
            actor,
            action: "escalation.config",
            before: Some(serde_json::to_value(&before).map_err(StoreError::corrupt)?),
            after: Some(value),
        })
        .await?;
    // New limits move what falls due: every open ticket is evaluated again.
    store.reschedule_open_tickets().await?;
    Ok(config)
}

/// 409: the incident does not await a response, so there is nothing to acknowledge.
fn nothing_to_acknowledge(id: i64, status: IncidentStatus) -> ApiError {
    ApiError::Conflict {
        field: None,
        message: format!("incident {id} is {status}; there is nothing to acknowledge"),
    }
}

/// Records `acknowledgement` of incident `id` (last seen with status
/// `seen`); when the store refuses it because the incident stopped awaiting
/// a response meanwhile, `Err` with the status it has now.
async fn record_acknowledgement<S: IncidentStore + EscalationStore>(
    store: &S,
    record: AcknowledgementRecord<'_>,
    seen: IncidentStatus,
) -> Result<Result<(), IncidentStatus>, StoreError> {
    let id = record.incident;
    if store.record_acknowledgement(&record).await? {
        return Ok(Ok(()));
    }
    let status = store
        .get_incident(id)
        .await?
        .map_or(seen, |r| r.state.status);
    Ok(Err(status))
}

/// `POST /api/incidents/{id}/acknowledge`: the signed-in person takes the
/// page. Only while the incident awaits a response; otherwise 409 and
/// nothing is written.
pub async fn acknowledge<S: IncidentStore + EscalationStore>(
    store: &S,
    actor: &Actor,
    id: i64,
    now: Timestamp,
) -> Result<IncidentDetail, ApiError> {
    require_writer(actor)?;
    let detail = incidents::get_incident(store, actor, id).await?;
    let status = detail.incident.status;
    if !status.awaits_response() {
        return Err(nothing_to_acknowledge(id, status));
    }
    Name::parse(&actor.name).map_err(|e| ApiError::invalid("name", e.to_string()))?;
    let acknowledgement = Acknowledgement {
        by: actor.name.clone(),
        via: AcknowledgedVia::Api,
    };
    let record = AcknowledgementRecord {
        incident: id,
        at: now,
        actor,
        acknowledgement,
        link_key: None,
    };
    record_acknowledgement(store, record, status)
        .await?
        .map_err(|status| nothing_to_acknowledge(id, status))?;
    incidents::get_incident(store, actor, id).await
}

/// What an acknowledgement link asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckLinkRequest {
    /// `GET`: show what the link acknowledges, with a button; changes nothing.
    Show,
    /// `POST` (the button): record the acknowledgement.
    Confirm,
}

/// An HTML page answering an acknowledgement link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckPage {
    pub status: u16,
    pub html: String,
}

impl AckPage {
    fn new(status: u16, heading: &str, message: &str, form: Option<&str>) -> Self {
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
        Self {
            status,
            html: markup.into_string(),
        }
    }
}

/// `GET /ack/{id}?by&ep&exp&sig` shows what the link acknowledges, with a
/// button; `POST` (the button) records it, only while the incident awaits a
/// response (SPEC E1, E3). A link works once, until it expires, and only for
/// the escalation episode whose page carried it: a P1's link cannot silence
/// the pages of a later P0 episode. Nothing is written before the signature is
/// valid (a missing link key is not created here). A GET never changes
/// anything, so chat link previews cannot acknowledge a page by themselves.
/// The page shows a Security incident's title only if the linked person has
/// clearance (SPEC K3).
pub async fn ack_link<S>(
    store: &S,
    request: AckLinkRequest,
    id: i64,
    query: &str,
    now: Timestamp,
) -> Result<AckPage, ApiError>
where
    S: IncidentStore + EscalationStore + SettingsStore + UserStore,
{
    let refused =
        |error: AckLinkError| AckPage::new(403, "Link not accepted", &error.to_string(), None);
    // Without a key no link was ever signed; reading it writes nothing.
    let Some(key) = store.setting(Setting::AckLinkKey).await? else {
        return Ok(refused(AckLinkError::BadSignature));
    };
    let link = match AckLink::verify(id, query, &key, now) {
        Ok(link) => link,
        Err(error) => return Ok(refused(error)),
    };
    let record = store.get_incident(id).await?.ok_or(ApiError::NOT_VISIBLE)?;
    let reader = person_reader(store, link.by.as_str()).await?;
    let state = &record.state;
    let what = if clearance(reader, state.category.as_ref()).is_full() {
        format!("incident #{id}: {}", state.title)
    } else {
        RestrictedIncident {
            id,
            priority: state.priority,
            status: state.status,
        }
        .headline()
    };
    let refusal_code = match request {
        AckLinkRequest::Show => 200,
        AckLinkRequest::Confirm => 409,
    };
    let nothing_done = |status: IncidentStatus| {
        AckPage::new(
            refusal_code,
            "Nothing to acknowledge",
            &format!("Incident #{id} is {status} already; nothing was done."),
            None,
        )
    };
    if !state.status.awaits_response() {
        return Ok(nothing_done(state.status));
    }
    let ticket = store.open_tickets(Some(id)).await?.into_iter().next();
    let current_episode = match ticket {
        Some(ticket) => {
            let config = load_config(store).await?;
            Some(episode_start(&history_of(&ticket?), &config, now))
        }
        None => None,
    };
    if current_episode != Some(link.episode) {
        return Ok(AckPage::new(
            refusal_code,
            "This link belongs to an earlier page",
            &format!(
                "{what} was upgraded or reopened since this link was sent, and paged again; \
                 acknowledge from the newest page or in Beacon. Nothing was done."
            ),
            None,
        ));
    }
    match request {
        AckLinkRequest::Show => Ok(AckPage::new(
            200,
            &format!("Acknowledge incident #{id}?"),
            &format!(
                "{what}: acknowledge as {}. This stops the escalation to the next person.",
                link.by
            ),
            Some(&format!("/ack/{id}?{query}")),
        )),
        AckLinkRequest::Confirm => {
            let actor = Actor {
                user_id: 0,
                name: format!("{} (signed link)", link.by),
                role: Role::Viewer,
            };
            let record = AcknowledgementRecord {
                incident: id,
                at: now,
                actor: &actor,
                acknowledgement: Acknowledgement {
                    by: link.by.to_string(),
                    via: AcknowledgedVia::SignedLink,
                },
                link_key: Some(link.one_time_key()),
            };
            let recorded = match record_acknowledgement(store, record, state.status).await {
                Err(StoreError::UniqueViolation(_)) => {
                    return Ok(AckPage::new(
                        409,
                        "Link already used",
                        "This acknowledgement link was used already; each link works once. Nothing was done.",
                        None,
                    ))
                }
                other => other?,
            };
            if let Err(status) = recorded {
                return Ok(nothing_done(status));
            }
            Ok(AckPage::new(
                200,
                "Acknowledged",
                &format!("{} acknowledged {what}. Escalation stops.", link.by),
                None,
            ))
        }
    }
}

/// `POST /api/incidents/{id}/teams` (SPEC E5): the IC pulls an engineering team
/// (DBA, network, web server, security, ...) into an open incident. The team's
/// channels are notified at the next sweep, with the outbox's retries; a
/// team's channel never gets a Security incident's details (SPEC K3).
pub async fn pull_in_team<S: IncidentStore + EscalationStore>(
    store: &S,
    actor: &Actor,
    id: i64,
    body: &[u8],
    now: Timestamp,
    base_url: &str,
) -> Result<IncidentDetail, ApiError> {
    require_writer(actor)?;
    let request: beacon_shared::api::PullInTeam = decode_json(body)?;
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
    let record = store.get_incident(id).await?.ok_or(ApiError::NOT_VISIBLE)?;
    let team = request.team.to_string();
    let owner = ChannelOwner::Team(team.clone());
    let channels: Vec<ChannelRecord> = store
        .channels()
        .await?
        .into_iter()
        .filter(|c| c.owner == owner)
        .collect();
    if channels.is_empty() {
        return Err(ApiError::invalid(
            "team",
            format!("the {team} team has no notification channel; add one first"),
        ));
    }
    let brief = notified_record(&record, base_url).brief_for(Reader::Team(&team));
    let notifications = channels
        .iter()
        .map(|channel| QueuedNotification {
            channel: channel.id,
            body: team_page_body(channel.format, &team, &request.reason, &actor.name, &brief)
                .to_string(),
        })
        .collect();
    store
        .pull_in_team(&TeamPullIn {
            incident: id,
            key: format!("incident/{id}/team/{team}/{}", now.unix_millis()),
            at: now,
            actor,
            page: TeamPage {
                team: team.clone(),
                reason: request.reason,
                channels: channels.len(),
            },
            notifications,
        })
        .await?;
    incidents::get_incident(store, actor, id).await
}

/// `PUT /api/rotas/{role}` (IC, management, admin): replaces that role's rota.
pub async fn put_rota<S: EscalationStore>(
    store: &S,
    actor: &Actor,
    role: &str,
    body: &[u8],
    now: Timestamp,
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
    store.put_rota(&rota, now, actor).await?;
    on_call(store, now).await
}

/// `GET /api/on-call`: for every role, who is on call now and who takes over next.
pub async fn on_call<S: EscalationStore>(
    store: &S,
    now: Timestamp,
) -> Result<OnCallList, ApiError> {
    let rotas = store.rotas().await?;
    Ok(OnCallList {
        at: now,
        rotas: RotaRole::ALL
            .into_iter()
            .map(|role| {
                let rota = rotas.get(role);
                OnCallView {
                    role,
                    now: rota.and_then(|r| r.on_call_at(now)).cloned(),
                    next: rota.and_then(|r| r.next_handover(now)),
                    rota: rota.cloned(),
                }
            })
            .collect(),
    })
}

/// The body of `POST /api/notification-channels`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChannelRequest {
    /// `person`, `team` or `management`.
    owner_kind: String,
    #[serde(default)]
    owner: Option<Name>,
    format: ChannelFormat,
    url: LinkUrl,
}

/// The answer to `POST /api/notification-channels`.
#[derive(Debug, Serialize)]
pub struct ChannelCreated {
    pub id: i64,
    /// Signs every body sent to this channel; shown only now.
    pub secret: String,
}

/// `POST /api/notification-channels` (IC, management, admin): where a person's,
/// a team's or management's notifications go, signed with `secret`.
pub async fn create_channel<S: EscalationStore>(
    store: &S,
    actor: &Actor,
    body: &[u8],
    now: Timestamp,
    secret: String,
) -> Result<ChannelCreated, ApiError> {
    may_manage_rotas(actor)?;
    let request: ChannelRequest = decode_json(body)?;
    let owner = match (request.owner_kind.as_str(), &request.owner) {
        ("management", None) => ChannelOwner::Management,
        ("person", Some(name)) => ChannelOwner::Person(name.to_string()),
        ("team", Some(name)) => ChannelOwner::Team(name.to_string()),
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
    let id = store
        .create_channel(&NewChannel {
            owner,
            format: request.format,
            url: request.url.as_str().to_owned(),
            secret: secret.clone(),
            at: now,
            actor,
        })
        .await?;
    Ok(ChannelCreated { id, secret })
}

/// `GET /api/notification-channels` (IC, management, admin): every enabled
/// channel with its owner and format, never its URL or secret.
pub async fn list_channels<S: EscalationStore>(
    store: &S,
    actor: &Actor,
) -> Result<serde_json::Value, ApiError> {
    may_manage_rotas(actor)?;
    let channels: Vec<serde_json::Value> = store
        .channels()
        .await?
        .into_iter()
        .map(|channel| {
            let (owner_kind, owner) = channel.owner.as_row();
            json!({
                "id": channel.id,
                "owner_kind": owner_kind,
                "owner": owner,
                "format": channel.format,
            })
        })
        .collect();
    Ok(json!({ "channels": channels }))
}

/// `POST /api/notification-channels/{id}/disable` (IC, management, admin):
/// the channel is never sent to again, and its notifications still pending
/// fail; the escalation goes on through the other channels and levels.
pub async fn disable_channel<S: EscalationStore>(
    store: &S,
    actor: &Actor,
    id: &str,
    now: Timestamp,
) -> Result<serde_json::Value, ApiError> {
    may_manage_rotas(actor)?;
    let not_found = || ApiError::NotFound { what: "channel" };
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let disabling = ChannelDisabling {
        id,
        at: now,
        actor: actor.clone(),
        audit: NewAuditRecord {
            action: "notification_channel.disable".into(),
            subject: format!("channel/{id}"),
            before: None,
            after: Some(serde_json::json!({ "disabled_at": now })),
        },
    };
    if !store.disable_channel(&disabling).await? {
        return Err(not_found());
    }
    Ok(serde_json::json!({ "id": id, "disabled_at": now }))
}

/// `GET /api/incidents/{id}/escalation`: who acknowledged the current episode,
/// the limits still open and when the next one falls due (SPEC E4: visible
/// on the incident page).
pub async fn escalation_view<S: IncidentStore + EscalationStore + SettingsStore>(
    store: &S,
    actor: &Actor,
    id: i64,
    now: Timestamp,
) -> Result<EscalationView, ApiError> {
    let detail = incidents::get_incident(store, actor, id).await?;
    let rotas = store.rotas().await?;
    let commander = rotas
        .get(RotaRole::IncidentCommander)
        .and_then(|r| r.on_call_at(now))
        .cloned();
    let pages_sent = detail
        .timeline
        .iter()
        .filter(|e| matches!(e.event, TimelineEvent::Paged(_)))
        .count();
    let Some(ticket) = store.open_tickets(Some(id)).await?.into_iter().next() else {
        // Resolved, closed or discarded: nothing runs; the last acknowledgement.
        let acknowledged_by = detail.timeline.iter().rev().find_map(|e| match &e.event {
            TimelineEvent::Acknowledged(ack) => Some(ack.by.clone()),
            _ => None,
        });
        return Ok(EscalationView {
            at: now,
            acknowledged_by,
            commander,
            deadlines: Vec::new(),
            next_due: None,
            pages_sent,
        });
    };
    let config = load_config(store).await?;
    let evaluation = evaluation_of(&ticket?, &config, &rotas, now);
    Ok(EscalationView {
        at: now,
        acknowledged_by: evaluation.acknowledged_by.map(|by| by.to_string()),
        commander,
        deadlines: evaluation.deadlines,
        next_due: evaluation.next_due,
        pages_sent,
    })
}
