//! Problem management handlers (SPEC R3, R4, R6, V7, V8, K3), generic over the
//! [`ProblemStore`]: problems opened by hand or by Beacon when a P0/P1 is
//! resolved, their RCA, remediation items and vendor RCAs, linked incidents,
//! and recurrence: a new incident that matches a problem's signatures is
//! linked to it, raised to its priority, and a verified fix that did not hold
//! reopens the problem and pages management.
//!
//! Every rule comes from `beacon_shared` (`problem`, `rca`, `remediation`,
//! `vendor_rca`, `recurrence`, `clearance`); each change is one
//! [`ProblemWrite`] with its audit record. A Security problem (its category,
//! or a linked Security incident) answers a reader without clearance as a
//! missing one (SPEC K3).

use crate::auth::{require_writer, Actor};
use crate::error::ApiError;
use crate::paging::{ChannelFormat, ChannelOwner};
use crate::request_body::decode_json;
use crate::stores::{
    lookup_keys, EscalationStore, IncidentChange, IncidentRecord, IncidentState, IncidentStore,
    NewAuditRecord, ProblemNotifications, ProblemRecord, ProblemRecords, ProblemStore,
    ProblemWrite, QueuedNotification, Setting, SettingChange, SettingsStore, StoreError,
};
use beacon_shared::api::post_incident::{
    LinkIncidentRequest, NewProblem, NewRemediationItem, NewVendorRca, ProblemDetail, ProblemList,
    ProblemOwnerChange, ProblemSummary, ProblemTransitionRequest, RecurrenceBanner,
    RemediationBoard, RemediationItemView, RemediationTransitionRequest, SignaturesUpdate,
};
use beacon_shared::category::Category;
use beacon_shared::clearance::{clearance, may_see_incident, Reader};
use beacon_shared::escalation::Recipient;
use beacon_shared::incident_report::ReportStatus;
use beacon_shared::lifecycle::IncidentStatus;
use beacon_shared::post_incident_deadlines::{
    evaluate_post_incident, DueAction as PostIncidentAction, DueActionKind, PostIncidentConfig,
    PostIncidentState,
};
use beacon_shared::problem::{
    problem_required, LinkReason, LinkedIncident, OpenProblem, Problem, ProblemOrigin,
};
use beacon_shared::rca::Rca;
use beacon_shared::recurrence::{
    check_signatures, match_recurrence, AlertIdentity, FixStatus, ProblemSignatures,
    RecurrenceFacts, RecurrenceMatch,
};
use beacon_shared::refusal::{Refusal, RefusalKind};
use beacon_shared::remediation::{sort_for_board, RemediationItem};
use beacon_shared::timeline::{
    PriorityChangeKind, PriorityChanged, ProblemLinkNote, TimelineEvent,
};
use beacon_shared::triage::{Name, Title};
use beacon_shared::{classify_priority, Priority, Timestamp};
use serde_json::json;

/// The actor of the changes Beacon makes by itself (auto-open, recurrence
/// from a webhook).
pub const PROBLEMS_ACTOR: &str = "beacon/problems";

pub fn system_actor() -> Actor {
    Actor {
        user_id: 0,
        name: PROBLEMS_ACTOR.into(),
        role: beacon_shared::role::Role::Viewer,
    }
}

/// The API error for a refusal of a post-incident rule: 403, 422 naming the
/// field, or 409.
pub(crate) fn refused(err: impl Refusal) -> ApiError {
    let message = err.to_string();
    match err.refusal_kind() {
        RefusalKind::Forbidden => ApiError::Forbidden(message),
        RefusalKind::Invalid { field } => ApiError::invalid(field, message),
        RefusalKind::Conflict => ApiError::Conflict {
            field: None,
            message,
        },
    }
}

fn changed_meanwhile() -> ApiError {
    ApiError::Conflict {
        field: None,
        message: "the problem changed while this request was made; reload and try again".into(),
    }
}

/// The category a problem is read under (SPEC K3): Security when it is a
/// Security problem or links a Security incident.
pub(crate) fn clearance_category(record: &ProblemRecord) -> Option<Category> {
    if record.linked_security || record.problem.is_security() {
        Some(Category::security())
    } else {
        record.problem.category.clone()
    }
}

fn may_see(actor: &Actor, record: &ProblemRecord) -> bool {
    may_see_incident(actor.role, clearance_category(record).as_ref())
}

/// A problem the actor may see; others' Security problems are "not found" (K3).
pub(crate) async fn visible_problem<S: ProblemStore>(
    store: &S,
    actor: &Actor,
    id: i64,
) -> Result<ProblemRecords, ApiError> {
    let records = store
        .get_problem(id)
        .await?
        .filter(|records| may_see(actor, &records.record))
        .ok_or(ApiError::NotFound { what: "problem" })?;
    Ok(records)
}

fn audit(action: &str, id: i64, before: Option<&Problem>, after: &Problem) -> NewAuditRecord {
    NewAuditRecord {
        action: action.into(),
        subject: format!("problem/{id}"),
        before: before.map(|p| json!(p)),
        after: Some(json!(after)),
    }
}

/// "Linked to problem #N" on each incident, for a write of `problem` (the
/// store puts a new problem's id in).
fn link_notes(problem: i64, incidents: &[i64], reason: LinkReason) -> Vec<(i64, TimelineEvent)> {
    incidents
        .iter()
        .map(|&incident| {
            (
                incident,
                TimelineEvent::LinkedToProblem(ProblemLinkNote { problem, reason }),
            )
        })
        .collect()
}

fn detail(records: ProblemRecords, now: Timestamp) -> ProblemDetail {
    let (ours, mut theirs): (Vec<RemediationItem>, Vec<RemediationItem>) = records
        .items
        .into_iter()
        .partition(|item| item.vendor_rca.is_none());
    let vendor_rcas = records
        .vendor_rcas
        .into_iter()
        .map(|rca| {
            let (items, rest) = theirs
                .drain(..)
                .partition(|item| item.vendor_rca == Some(rca.id));
            theirs = rest;
            (rca, items)
        })
        .collect();
    ProblemDetail::of(records.record.problem, records.rca, ours, vendor_rcas, now)
}

/// Writes `write`; a lost guard is 409.
async fn write<S: ProblemStore>(store: &S, write: &ProblemWrite) -> Result<i64, ApiError> {
    store
        .write_problem(write)
        .await?
        .ok_or_else(changed_meanwhile)
}

async fn answer<S: ProblemStore>(
    store: &S,
    actor: &Actor,
    id: i64,
    now: Timestamp,
) -> Result<ProblemDetail, ApiError> {
    Ok(detail(visible_problem(store, actor, id).await?, now))
}

/// What recurrence knows of a stored incident: its facts, category, the
/// priority rules that fired and, if an alert opened it, the alert (from its
/// `created` timeline entry).
pub fn recurrence_facts(record: &IncidentRecord, alert: Option<AlertIdentity>) -> RecurrenceFacts {
    state_recurrence_facts(&record.state, alert)
}

/// What recurrence knows of an incident's state (see [`recurrence_facts`]).
pub fn state_recurrence_facts(
    state: &IncidentState,
    alert: Option<AlertIdentity>,
) -> RecurrenceFacts {
    RecurrenceFacts {
        priority: Some(state.priority),
        alert,
        system: state.facts.system.clone(),
        host: state.facts.hostname.clone(),
        category: state.category.clone(),
        rules: classify_priority(&state.facts)
            .matched
            .iter()
            .map(|m| m.rule)
            .collect(),
    }
}

/// The alert that opened incident `id`, from its `created` timeline entry.
async fn opening_alert<S: IncidentStore>(
    store: &S,
    id: i64,
) -> Result<Option<AlertIdentity>, StoreError> {
    let timeline = store.timeline(id).await?;
    Ok(timeline.iter().find_map(|entry| match &entry.event {
        TimelineEvent::Created(created) => created.from_alert.as_ref().and_then(|origin| {
            Some(AlertIdentity {
                integration: Name::parse(&origin.integration).ok()?,
                dedup_key: beacon_shared::alert::DedupKey::parse(&origin.dedup_key).ok()?,
                alertname: None,
                service: None,
            })
        }),
        _ => None,
    }))
}

/// Teaches `problem` the signatures of `incidents` it does not keep yet (SPEC R6).
async fn learn_signatures_of<S: IncidentStore>(
    store: &S,
    problem: &mut Problem,
    incidents: &[IncidentRecord],
) -> Result<(), StoreError> {
    for record in incidents {
        let alert = opening_alert(store, record.id).await?;
        problem.learn_signatures(&recurrence_facts(record, alert));
    }
    Ok(())
}

fn title_of(record: &IncidentRecord) -> Title {
    Title::parse(&record.state.title)
        .or_else(|_| Title::parse(&format!("Problem of incident #{}", record.id)))
        .expect("a short fixed title is valid")
}

/// `GET /api/problems`: the problems the reader may see (SPEC K3), newest first.
pub async fn list_problems<S: ProblemStore>(
    store: &S,
    actor: &Actor,
    now: Timestamp,
) -> Result<ProblemList, ApiError> {
    let problems = store.list_problems().await?;
    Ok(ProblemList {
        problems: problems
            .iter()
            .filter(|(record, _)| may_see(actor, record))
            .map(|(record, items)| {
                ProblemSummary::of(&record.problem, FixStatus::of(&record.problem, items, now))
            })
            .collect(),
    })
}

/// `GET /api/remediation`: every remediation item of the problems the reader
/// may see (SPEC K3), by owner with the overdue first (SPEC V8).
pub async fn remediation_board<S: ProblemStore>(
    store: &S,
    actor: &Actor,
    now: Timestamp,
) -> Result<RemediationBoard, ApiError> {
    let mut items: Vec<RemediationItem> = store
        .list_problems()
        .await?
        .into_iter()
        .filter(|(record, _)| may_see(actor, record))
        .flat_map(|(_, items)| items)
        .collect();
    sort_for_board(&mut items, now);
    Ok(RemediationBoard {
        items: items
            .into_iter()
            .map(|item| RemediationItemView::of(item, now))
            .collect(),
    })
}

/// `GET /api/problems/{id}`: the problem with its incidents, RCA, remediation
/// items, vendor RCAs and signatures.
pub async fn get_problem<S: ProblemStore>(
    store: &S,
    actor: &Actor,
    id: i64,
    now: Timestamp,
) -> Result<ProblemDetail, ApiError> {
    answer(store, actor, id, now).await
}

/// `POST /api/problems`: a problem opened by hand from an incident, from
/// repeated incidents or from a report row (SPEC R3, Q4). The origin's
/// incidents are linked and give the problem their recurrence signatures.
pub async fn create_problem<S: ProblemStore + IncidentStore>(
    store: &S,
    actor: &Actor,
    body: &[u8],
    now: Timestamp,
) -> Result<ProblemDetail, ApiError> {
    require_writer(actor)?;
    let request: NewProblem = decode_json(body)?;
    if matches!(request.origin, ProblemOrigin::ResolvedHighPriority { .. }) {
        return Err(ApiError::invalid(
            "origin",
            "only Beacon opens a problem for a resolved P0/P1; use from_incident",
        ));
    }
    let mut incidents = Vec::new();
    for id in request.origin.incidents() {
        if !incidents.iter().any(|r: &IncidentRecord| r.id == id) {
            incidents.push(crate::incidents::visible_incident(store, actor, id).await?);
        }
    }
    let priorities = incidents.iter().map(|r| (r.id, r.state.priority)).collect();
    let mut problem =
        Problem::open(request.into_open(0, priorities), Some(actor.role), now).map_err(refused)?;
    learn_signatures_of(store, &mut problem, &incidents).await?;
    let audit = audit("problem.create", 0, None, &problem);
    let mut change = ProblemWrite::of(None, problem, audit, actor, now);
    let linked: Vec<i64> = incidents.iter().map(|r| r.id).collect();
    change.incident_timeline = link_notes(0, &linked, LinkReason::Origin);
    let id = write(store, &change).await?;
    answer(store, actor, id, now).await
}

/// Loads a visible problem for a change by a writer, with the body.
async fn load_for_change<S: ProblemStore, T: serde::de::DeserializeOwned>(
    store: &S,
    actor: &Actor,
    id: i64,
    body: &[u8],
) -> Result<(ProblemRecords, T), ApiError> {
    require_writer(actor)?;
    let records = visible_problem(store, actor, id).await?;
    Ok((records, decode_json(body)?))
}

/// `POST /api/problems/{id}/transitions` (SPEC R3).
pub async fn transition_problem<S: ProblemStore>(
    store: &S,
    actor: &Actor,
    id: i64,
    body: &[u8],
    now: Timestamp,
) -> Result<ProblemDetail, ApiError> {
    let (records, request) =
        load_for_change::<S, ProblemTransitionRequest>(store, actor, id, body).await?;
    let transition = request.into_transition().map_err(refused)?;
    let before = &records.record.problem;
    let at = now.max(before.last_change);
    let after = before
        .transition(&transition, actor.role, at)
        .map_err(refused)?;
    let audit = audit("problem.transition", id, Some(before), &after);
    let change = ProblemWrite::of(Some(records.record.version), after, audit, actor, at);
    write(store, &change).await?;
    answer(store, actor, id, now).await
}

/// `PUT /api/problems/{id}/rca`: the RCA (SPEC V7); 422 names the bad field.
pub async fn put_rca<S: ProblemStore>(
    store: &S,
    actor: &Actor,
    id: i64,
    body: &[u8],
    now: Timestamp,
) -> Result<Rca, ApiError> {
    let (records, rca) = load_for_change::<S, Rca>(store, actor, id, body).await?;
    rca.validate().map_err(refused)?;
    let problem = records.record.problem.clone();
    let mut change = ProblemWrite::of(
        Some(records.record.version),
        problem,
        NewAuditRecord {
            action: "problem.rca".into(),
            subject: format!("problem/{id}"),
            before: Some(json!(records.rca)),
            after: Some(json!(rca)),
        },
        actor,
        now,
    );
    change.rca = Some(rca.clone());
    write(store, &change).await?;
    Ok(rca)
}

/// `PUT /api/problems/{id}/signatures`: the recurrence signatures (SPEC R6).
pub async fn put_signatures<S: ProblemStore>(
    store: &S,
    actor: &Actor,
    id: i64,
    body: &[u8],
    now: Timestamp,
) -> Result<ProblemDetail, ApiError> {
    let (records, update) = load_for_change::<S, SignaturesUpdate>(store, actor, id, body).await?;
    check_signatures(&update.signatures).map_err(refused)?;
    let before = &records.record.problem;
    let mut after = before.clone();
    after.signatures = update.signatures;
    let audit = audit("problem.signatures", id, Some(before), &after);
    let change = ProblemWrite::of(Some(records.record.version), after, audit, actor, now);
    write(store, &change).await?;
    answer(store, actor, id, now).await
}

/// `PUT /api/problems/{id}/owner`: who answers for the problem (SPEC R3).
pub async fn assign_owner<S: ProblemStore>(
    store: &S,
    actor: &Actor,
    id: i64,
    body: &[u8],
    now: Timestamp,
) -> Result<ProblemDetail, ApiError> {
    let (records, change) =
        load_for_change::<S, ProblemOwnerChange>(store, actor, id, body).await?;
    let before = &records.record.problem;
    let after = before
        .assign(change.owner, actor.role, now.max(before.last_change))
        .map_err(refused)?;
    let audit = audit("problem.owner", id, Some(before), &after);
    let write_change = ProblemWrite::of(Some(records.record.version), after, audit, actor, now);
    write(store, &write_change).await?;
    answer(store, actor, id, now).await
}

/// `POST /api/problems/{id}/incidents`: links an incident by hand (SPEC R3).
pub async fn link_incident<S: ProblemStore + IncidentStore>(
    store: &S,
    actor: &Actor,
    id: i64,
    body: &[u8],
    now: Timestamp,
) -> Result<ProblemDetail, ApiError> {
    let (records, request) =
        load_for_change::<S, LinkIncidentRequest>(store, actor, id, body).await?;
    let incident = crate::incidents::visible_incident(store, actor, request.incident).await?;
    let before = &records.record.problem;
    let mut after = before.clone();
    after
        .link_incident(LinkedIncident {
            incident: incident.id,
            priority: incident.state.priority,
            linked_at: now,
            reason: LinkReason::Manual,
        })
        .map_err(refused)?;
    learn_signatures_of(store, &mut after, std::slice::from_ref(&incident)).await?;
    after.last_change = now.max(before.last_change);
    let audit = audit("problem.link_incident", id, Some(before), &after);
    let mut change = ProblemWrite::of(Some(records.record.version), after, audit, actor, now);
    change.incident_timeline = link_notes(id, &[incident.id], LinkReason::Manual);
    write(store, &change).await?;
    answer(store, actor, id, now).await
}

/// `POST /api/problems/{id}/remediation`: a remediation item (SPEC V8, R3).
pub async fn add_remediation_item<S: ProblemStore>(
    store: &S,
    actor: &Actor,
    id: i64,
    body: &[u8],
    now: Timestamp,
) -> Result<ProblemDetail, ApiError> {
    let (records, new) = load_for_change::<S, NewRemediationItem>(store, actor, id, body).await?;
    let item = RemediationItem::new(0, id, new, None, now).map_err(refused)?;
    let mut change = ProblemWrite::of(
        Some(records.record.version),
        records.record.problem.clone(),
        NewAuditRecord {
            action: "remediation.create".into(),
            subject: format!("problem/{id}"),
            before: None,
            after: Some(json!(item)),
        },
        actor,
        now,
    );
    change.new_items.push(item);
    write(store, &change).await?;
    answer(store, actor, id, now).await
}

/// `POST /api/remediation/{id}/transitions`: start, complete, verify with
/// evidence, decline (`wont_do`, management only, with a reason) or reopen
/// an item (SPEC V8).
pub async fn transition_remediation<S: ProblemStore>(
    store: &S,
    actor: &Actor,
    item_id: i64,
    body: &[u8],
    now: Timestamp,
) -> Result<RemediationItemView, ApiError> {
    require_writer(actor)?;
    let item = store
        .remediation_item(item_id)
        .await?
        .ok_or(ApiError::NotFound {
            what: "remediation item",
        })?;
    let records = visible_problem(store, actor, item.problem)
        .await
        .map_err(|_| ApiError::NotFound {
            what: "remediation item",
        })?;
    let request: RemediationTransitionRequest = decode_json(body)?;
    let transition = request.into_transition().map_err(refused)?;
    let at = now.max(item.last_change);
    let after = item
        .transition(&transition, actor.role, at)
        .map_err(refused)?;
    let mut change = ProblemWrite::of(
        Some(records.record.version),
        records.record.problem.clone(),
        NewAuditRecord {
            action: "remediation.transition".into(),
            subject: format!("remediation/{item_id}"),
            before: Some(json!(item)),
            after: Some(json!(after)),
        },
        actor,
        at,
    );
    change.changed_items.push(after.clone());
    write(store, &change).await?;
    Ok(RemediationItemView::of(after, now))
}

/// `POST /api/problems/{id}/vendor-rcas`: a vendor's RCA with its pending
/// remediations as vendor-owned items (SPEC R4).
pub async fn add_vendor_rca<S: ProblemStore>(
    store: &S,
    actor: &Actor,
    id: i64,
    body: &[u8],
    now: Timestamp,
) -> Result<ProblemDetail, ApiError> {
    let (records, new) = load_for_change::<S, NewVendorRca>(store, actor, id, body).await?;
    let (rca, pending) = new.record(0, id, actor.role, now).map_err(refused)?;
    let mut items = Vec::with_capacity(pending.len());
    for (i, new_item) in pending.into_iter().enumerate() {
        let item = RemediationItem::new(0, id, new_item, Some(0), now).map_err(|e| {
            ApiError::invalid(format!("pending_remediations[{i}].due_at"), e.to_string())
        })?;
        items.push(item);
    }
    let mut change = ProblemWrite::of(
        Some(records.record.version),
        records.record.problem.clone(),
        NewAuditRecord {
            action: "problem.vendor_rca".into(),
            subject: format!("problem/{id}"),
            before: None,
            after: Some(json!({ "rca": rca, "items": items })),
        },
        actor,
        now,
    );
    change.vendor_rca = Some(rca);
    change.new_items = items;
    write(store, &change).await?;
    answer(store, actor, id, now).await
}

/// The statuses after which a P0/P1 needs its problem (SPEC R3).
const RESOLVED: [IncidentStatus; 2] = [IncidentStatus::Resolved, IncidentStatus::Closed];

/// Opens the problem a resolved P0/P1 incident needs (SPEC R3), unless it is
/// linked to an open problem ([`problem_required`]) or Beacon opened one for
/// it before (the store's unique auto origin). The problem's id, if opened.
pub async fn open_for_resolved_incident<S: ProblemStore + IncidentStore>(
    store: &S,
    incident: i64,
    now: Timestamp,
) -> Result<Option<i64>, StoreError> {
    let Some(record) = store.get_incident(incident).await? else {
        return Ok(None);
    };
    if !RESOLVED.contains(&record.state.status) {
        return Ok(None);
    }
    let linked: Vec<_> = store
        .problems_of_incident(incident)
        .await?
        .iter()
        .map(|r| r.problem.status)
        .collect();
    if !problem_required(record.state.priority, &linked) {
        return Ok(None);
    }
    let open = OpenProblem {
        id: 0,
        title: title_of(&record),
        priority: record.state.priority,
        category: record.state.category.clone(),
        origin: ProblemOrigin::ResolvedHighPriority { incident },
        incidents: vec![(incident, record.state.priority)],
        owner: None,
    };
    let mut problem = Problem::open(open, None, now).map_err(StoreError::corrupt)?;
    learn_signatures_of(store, &mut problem, std::slice::from_ref(&record)).await?;
    let mut change = ProblemWrite::of(
        None,
        problem.clone(),
        audit("problem.open_automatically", 0, None, &problem),
        &system_actor(),
        now,
    );
    change.auto_origin = Some(incident);
    change.incident_timeline = link_notes(0, &[incident], LinkReason::Origin);
    match store.write_problem(&change).await {
        Ok(id) => Ok(id),
        Err(StoreError::UniqueViolation(_)) => Ok(None),
        Err(err) => Err(err),
    }
}

/// The sweep's safety net (SPEC R3): opens the problems of resolved P0/P1
/// incidents that no problem links, e.g. when the worker stopped between the
/// resolution and the problem's write. How many it opened.
pub async fn open_missing_problems<S: ProblemStore + IncidentStore>(
    store: &S,
    now: Timestamp,
) -> Result<usize, StoreError> {
    let high: Vec<Priority> = Priority::ALL.into_iter().filter(|p| p.is_high()).collect();
    let missing = store
        .incidents_without_problem(&high, &RESOLVED, 25)
        .await?;
    let mut opened = 0;
    for incident in missing {
        if open_for_resolved_incident(store, incident, now)
            .await?
            .is_some()
        {
            opened += 1;
        }
    }
    Ok(opened)
}

/// The recurrence each of `incidents` is, if any (SPEC R6): the candidate
/// problems of all of them are read with one query.
pub async fn find_recurrences<S: ProblemStore>(
    store: &S,
    incidents: &[RecurrenceFacts],
    now: Timestamp,
) -> Result<Vec<Option<RecurrenceMatch>>, StoreError> {
    let mut keys: Vec<String> = Vec::new();
    for facts in incidents {
        for key in lookup_keys(facts) {
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    if keys.is_empty() {
        return Ok(vec![None; incidents.len()]);
    }
    let candidates: Vec<ProblemSignatures> = store
        .problems_with_keys(&keys)
        .await?
        .iter()
        .map(|(record, items)| ProblemSignatures::of(&record.problem, items, now))
        .collect();
    Ok(incidents
        .iter()
        .map(|facts| match_recurrence(&candidates, facts))
        .collect())
}

/// What a management channel reads when a verified fix did not hold (SPEC
/// R6), written for its reader's clearance (SPEC K3).
fn recurrence_page_body(
    format: ChannelFormat,
    reader: Reader<'_>,
    problem: &ProblemRecord,
    incident: &IncidentRecord,
    base_url: &str,
) -> String {
    let cleared = clearance(reader, clearance_category(problem).as_ref()).is_full()
        && clearance(reader, incident.state.category.as_ref()).is_full();
    let id = problem.problem.id;
    let summary = if cleared {
        format!(
            "The verified fix of problem #{id} \"{}\" did not hold: {} incident #{} \"{}\" is a recurrence. The problem is reopened.",
            problem.problem.title, incident.state.priority, incident.id, incident.state.title
        )
    } else {
        format!(
            "The verified fix of Security problem #{id} did not hold: incident #{}, {}, details restricted.",
            incident.id, incident.state.priority
        )
    };
    let problem_url = format!("{base_url}/problems/{id}");
    let incident_url = format!("{base_url}/incidents/{}", incident.id);
    match format {
        ChannelFormat::Slack => {
            let text = format!(
                "{} <{problem_url}|Open problem #{id}> · <{incident_url}|Open incident #{}>",
                summary
                    .replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;"),
                incident.id
            );
            json!({
                "text": text,
                "blocks": [{ "type": "section", "text": { "type": "mrkdwn", "text": text } }],
            })
            .to_string()
        }
        ChannelFormat::Generic => json!({
            "event": "recurrence",
            "summary": summary,
            "problem": { "id": id, "url": problem_url },
            "incident": { "id": incident.id, "priority": incident.state.priority, "url": incident_url },
        })
        .to_string(),
    }
}

/// Carries out `found` for the new incident `incident` (SPEC R6): raises its
/// priority to the problem's with a timeline entry (P6 allows raising), links
/// it to the problem, and when the problem's fix was verified, reopens the
/// problem, keeps the fix as ineffective and queues a page to management's
/// channels for the next sweep, in the problem's write.
pub async fn apply_recurrence<S: ProblemStore + IncidentStore + EscalationStore>(
    store: &S,
    incident: i64,
    found: &RecurrenceMatch,
    actor: &Actor,
    now: Timestamp,
    base_url: &str,
) -> Result<(), ApiError> {
    let mut record = store
        .get_incident(incident)
        .await?
        .ok_or(ApiError::NotFound { what: "incident" })?;
    if found.priority.most_urgent(record.state.priority) != record.state.priority {
        let mut state = record.state.clone();
        state.priority = found.priority;
        let at = now.max(record.updated_at);
        let change = IncidentChange {
            id: incident,
            expected_updated_at: record.updated_at,
            audit: NewAuditRecord {
                action: "incident.priority".into(),
                subject: format!("incident/{incident}"),
                before: Some(json!(record.state.snapshot())),
                after: Some(json!(state.snapshot())),
            },
            timeline: TimelineEvent::PriorityChanged(PriorityChanged {
                from: Some(record.state.priority),
                to: found.priority,
                rules_priority: record.state.rules_priority,
                decision: PriorityChangeKind::Raised,
                reason: Some(found.banner()),
            }),
            state: state.clone(),
            at,
            actor: actor.clone(),
        };
        if !store.apply_change(&change).await? {
            return Err(ApiError::Conflict {
                field: None,
                message: "the incident changed while its recurrence was recorded".into(),
            });
        }
        record.state = state;
        record.updated_at = at;
    }
    // A problem write that loses a race is made again from the new state.
    for _ in 0..3 {
        let Some(records) = store.get_problem(found.problem).await? else {
            return Ok(());
        };
        let before = &records.record.problem;
        if before.links(incident) {
            return Ok(());
        }
        // Reopened only if the fix is still verified as this write reads it.
        let reopens = found.reopens_problem() && before.status.fix_verified();
        let mut after = before
            .record_recurrence(incident, found, now)
            .map_err(refused)?;
        let notes = found
            .timeline_events()
            .into_iter()
            .filter(|event| reopens || !matches!(event, TimelineEvent::ProblemReopened(_)))
            .map(|event| (incident, event))
            .collect();
        let mut notifications = None;
        if reopens {
            let reopened = ProblemRecord {
                problem: after.clone(),
                ..records.record.clone()
            };
            let channels = store.channels().await?;
            notifications = Some(ProblemNotifications {
                key: format!("recurrence:problem/{}:incident/{incident}", found.problem),
                incident,
                action: json!({ "recurrence": { "problem": found.problem, "incident": incident } }),
                notifications: channels
                    .iter()
                    .filter(|c| c.owner == ChannelOwner::Management)
                    .map(|channel| QueuedNotification {
                        channel: channel.id,
                        body: recurrence_page_body(
                            channel.format,
                            Reader::Management,
                            &reopened,
                            &record,
                            base_url,
                        ),
                    })
                    .collect(),
            });
        }
        after.last_change = after.last_change.max(now);
        let mut change = ProblemWrite::of(
            Some(records.record.version),
            after.clone(),
            audit("problem.recurrence", found.problem, Some(before), &after),
            actor,
            now,
        );
        change.notifications = notifications;
        change.incident_timeline = notes;
        if store.write_problem(&change).await?.is_some() {
            return Ok(());
        }
    }
    Err(changed_meanwhile())
}

/// The banner of incident `incident` if it was linked to a problem as a
/// recurrence (SPEC R6), for a reader who may see the problem (SPEC K3): the
/// problem's fix status now, and the signature the incident matches.
pub async fn recurrence_banner<S: ProblemStore + IncidentStore>(
    store: &S,
    actor: &Actor,
    incident: &IncidentRecord,
    now: Timestamp,
) -> Result<Option<RecurrenceBanner>, ApiError> {
    let problems = store.problems_of_incident(incident.id).await?;
    let Some(record) = problems.iter().rev().find(|record| {
        may_see(actor, record)
            && record
                .problem
                .incidents
                .iter()
                .any(|l| l.incident == incident.id && l.reason == LinkReason::Recurrence)
    }) else {
        return Ok(None);
    };
    let Some(records) = store.get_problem(record.problem.id).await? else {
        return Ok(None);
    };
    let problem = &records.record.problem;
    let facts = recurrence_facts(incident, opening_alert(store, incident.id).await?);
    let Some(signature) = problem
        .signatures
        .iter()
        .filter(|s| s.matches(&facts))
        .max_by_key(|s| s.strength())
        .or(problem.signatures.first())
    else {
        return Ok(None);
    };
    let fix = FixStatus::of(problem, &records.items, now);
    Ok(Some(RecurrenceBanner {
        problem: problem.id,
        fix,
        text: format!(
            "recurrence of problem #{}, fix: {}",
            problem.id,
            fix.label()
        ),
        signature: signature.clone(),
        fix_ineffective: problem
            .ineffective_fixes
            .iter()
            .any(|f| f.recurrence == Some(incident.id)),
    }))
}

/// The post-incident limits (SPEC R1, R2, V8): the team's, or the defaults.
async fn load_post_incident_config<S: SettingsStore>(
    store: &S,
) -> Result<PostIncidentConfig, StoreError> {
    match store.setting(Setting::PostIncidentConfig).await? {
        Some(value) => crate::stores::parse_stored(&value),
        None => Ok(PostIncidentConfig::default()),
    }
}

/// `GET /api/post-incident/config`: the post-incident limits per priority.
pub async fn get_post_incident_config<S: SettingsStore>(
    store: &S,
) -> Result<PostIncidentConfig, ApiError> {
    Ok(load_post_incident_config(store).await?)
}

/// `PUT /api/post-incident/config` (IC, management, admin): replaces the
/// limits of every priority; an invalid limit is refused naming its field.
pub async fn put_post_incident_config<S: SettingsStore>(
    store: &S,
    actor: &Actor,
    body: &[u8],
    now: Timestamp,
) -> Result<PostIncidentConfig, ApiError> {
    if !actor.role.may_manage_rotas() {
        return Err(ApiError::Forbidden(format!(
            "a {} may not change the post-incident limits",
            actor.role
        )));
    }
    let config: PostIncidentConfig = decode_json(body)?;
    let before = load_post_incident_config(store).await?;
    let value = serde_json::to_value(&config).map_err(StoreError::corrupt)?;
    store
        .put_setting(&SettingChange {
            setting: Setting::PostIncidentConfig,
            value: value.to_string(),
            at: now,
            actor,
            action: "post_incident.config",
            before: Some(serde_json::to_value(&before).map_err(StoreError::corrupt)?),
            after: Some(value),
        })
        .await?;
    Ok(config)
}

/// What a post-incident reminder or management notification says, for its
/// reader's clearance (SPEC K3).
fn deadline_body(
    format: ChannelFormat,
    reader: Reader<'_>,
    record: &ProblemRecord,
    action: &PostIncidentAction,
    item: Option<&RemediationItem>,
    base_url: &str,
) -> String {
    let cleared = clearance(reader, clearance_category(record).as_ref()).is_full();
    let id = record.problem.id;
    let subject = match (item, cleared) {
        (Some(item), true) => format!(
            "remediation item #{} \"{}\" of problem #{id} \"{}\"",
            item.id, item.title, record.problem.title
        ),
        (Some(item), false) => format!(
            "remediation item #{} of Security problem #{id}, details restricted",
            item.id
        ),
        (None, true) => format!("problem #{id} \"{}\"", record.problem.title),
        (None, false) => format!("Security problem #{id}, details restricted"),
    };
    let (event, summary) = match &action.kind {
        DueActionKind::Remind {
            deadline,
            deadline_at,
            ..
        } => (
            "post_incident_reminder",
            format!(
                "Reminder: the {} deadline of {subject} falls due at {deadline_at}.",
                deadline.as_str().replace('_', " ")
            ),
        ),
        DueActionKind::NotifyManagement {
            missed,
            deadline_at,
        } => (
            "post_incident_missed",
            format!(
                "Missed: the {} deadline of {subject} passed at {deadline_at}.",
                missed.as_str().replace('_', " ")
            ),
        ),
    };
    let url = format!("{base_url}/problems/{id}");
    match format {
        ChannelFormat::Slack => {
            let text = format!(
                "{} <{url}|Open problem #{id}>",
                summary
                    .replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;")
            );
            json!({
                "text": text,
                "blocks": [{ "type": "section", "text": { "type": "mrkdwn", "text": text } }],
            })
            .to_string()
        }
        ChannelFormat::Generic => json!({
            "event": event,
            "summary": summary,
            "problem": { "id": id, "url": url },
            "item": action.item,
            "action": action,
        })
        .to_string(),
    }
}

/// When the problem's report left its draft (submitted for review: the
/// draft deadline is met) and when its first review was recorded (SPEC R1, R2).
async fn report_progress<S: crate::stores::IncidentReportStore>(
    store: &S,
    problem: i64,
) -> Result<(Option<Timestamp>, Option<Timestamp>), StoreError> {
    let Some(record) = store.report_of_problem(problem).await? else {
        return Ok((None, None));
    };
    let report = &record.report;
    let submitted = (report.status != ReportStatus::Draft).then_some(report.last_change);
    let reviewed = store
        .reviews_of(report.id)
        .await?
        .iter()
        .map(|review| review.recorded_at)
        .min();
    Ok((submitted, reviewed))
}

/// The post-incident step of the cron sweep (SPEC R1, R2, V8): for every
/// open problem, the remediation deadlines due at `at`
/// ([`evaluate_post_incident`]) not sent before; each reminder goes to its
/// owner's channels, each missed deadline to management's, queued in the
/// escalation outbox under its idempotency key with the problem's audit
/// record, for the sweep's delivery. How many actions it queued.
///
/// The report and review deadlines need the stored report and review; until
/// those are stored, only remediation items are chased. A problem without a
/// linked incident has no outbox row to hang its notifications on and is
/// skipped.
pub async fn post_incident_sweep<S>(
    store: &S,
    at: Timestamp,
    base_url: &str,
) -> Result<usize, StoreError>
where
    S: ProblemStore
        + EscalationStore
        + SettingsStore
        + crate::stores::UserStore
        + crate::stores::IncidentReportStore,
{
    let config = load_post_incident_config(store).await?;
    let channels = store.channels().await?;
    let nobody = std::collections::BTreeSet::new();
    let mut queued = 0;
    for (record, items) in store.list_problems().await? {
        let problem = &record.problem;
        let Some(incident) = problem.incidents.first().map(|l| l.incident) else {
            continue;
        };
        if !problem.status.is_open() {
            continue;
        }
        // The report and review clocks run from the resolution that opened the problem.
        let resolved_at = match problem.origin {
            ProblemOrigin::ResolvedHighPriority { .. } => Some(problem.opened_at),
            _ => None,
        };
        let limits = config.for_priority(problem.priority);
        let report_chased =
            resolved_at.is_some() && (limits.report_draft().is_some() || limits.review().is_some());
        if !report_chased && !items.iter().any(|i| i.status.is_pending()) {
            continue;
        }
        let (report_submitted_at, reviewed_at) = if report_chased {
            report_progress(store, problem.id).await?
        } else {
            (None, None)
        };
        let state = PostIncidentState {
            problem: problem.id,
            priority: problem.priority,
            owner: match &problem.owner {
                Some(name) => Recipient::Person {
                    name: name.clone(),
                    on_call: None,
                },
                None => Recipient::Management,
            },
            resolved_at,
            report_submitted_at,
            reviewed_at,
            items: items.clone(),
        };
        let due = evaluate_post_incident(&state, &config, &nobody, at).actions;
        let keys: Vec<String> = due.iter().map(|a| a.key.as_str().to_owned()).collect();
        let claimed = store.claimed_keys(&keys).await?;
        let mut version = record.version;
        for action in due
            .iter()
            .filter(|a| !claimed.iter().any(|k| k == a.key.as_str()))
        {
            let owner = match &action.kind {
                DueActionKind::Remind { to, .. } => ChannelOwner::for_recipient(to),
                DueActionKind::NotifyManagement { .. } => ChannelOwner::Management,
            };
            let reader = crate::escalation::reader_of(store, &owner).await?;
            let item = action.item.and_then(|id| items.iter().find(|i| i.id == id));
            let notifications = channels
                .iter()
                .filter(|c| c.owner == owner)
                .map(|channel| QueuedNotification {
                    channel: channel.id,
                    body: deadline_body(channel.format, reader, &record, action, item, base_url),
                })
                .collect();
            let mut change = ProblemWrite::of(
                Some(version),
                problem.clone(),
                NewAuditRecord {
                    action: "problem.deadline".into(),
                    subject: format!("problem/{}", problem.id),
                    before: None,
                    after: Some(json!(action)),
                },
                &system_actor(),
                at,
            );
            change.notifications = Some(ProblemNotifications {
                key: action.key.as_str().to_owned(),
                incident,
                action: json!(action),
                notifications,
            });
            // A write that lost its guard or found its key claimed is left to the next sweep.
            match store.write_problem(&change).await {
                Ok(Some(_)) => {
                    queued += 1;
                    version += 1;
                }
                Ok(None) => break,
                Err(StoreError::UniqueViolation(_)) => {}
                Err(err) => return Err(err),
            }
        }
    }
    Ok(queued)
}

#[cfg(test)]
mod tests;
