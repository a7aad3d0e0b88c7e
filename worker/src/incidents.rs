//! Incident API handlers, generic over the [`Store`]: the edge's authority over the SOP.
//!
//! Every handler recomputes what the rules say from the stored facts, checks
//! the request against `beacon_shared` (P6, K1-K3, V10, V11) and writes the
//! change, its timeline entry and its audit record as one unit.

use crate::auth::{require_role, require_writer, Actor};
use crate::error::ApiError;
use crate::problems::{apply_recurrence, find_recurrences, open_for_resolved_incident};
use crate::request_body::decode_json;
use crate::stores::{
    EscalationStore, IncidentChange, IncidentFilter, IncidentRecord, IncidentState, IncidentStore,
    NewAuditRecord, NewIncidentRecord, ProblemStore,
};
use beacon_shared::api::{
    CategoryChange, CategoryList, ImpactStartChange, IncidentDetail, IncidentList, IncidentView,
    NewIncident, NewTimelineEntry, OwnerChange, PriorityChange, TimelineEntryKind,
    TransitionRequest,
};
use beacon_shared::category::{check_category, Category, CategoryError, Label, Labels};
use beacon_shared::clearance::may_see_incident;
use beacon_shared::lifecycle::{
    allowed_transitions, apply_transition, check_closing, Closer, IncidentStatus, Transition,
};
use beacon_shared::priority_override::{check_priority_change, OverrideError, PriorityDecision};
use beacon_shared::report::{check_impact_start, TimelineFacts};
use beacon_shared::role::Role;
use beacon_shared::timeline::{
    CategoryChanged, Created, ImpactStart, Link, OwnerChanged, PriorityChangeKind, PriorityChanged,
    StatusChanged, TimelineEvent, WorkLog,
};
use beacon_shared::triage::{check_alert_time, Name};
use beacon_shared::{classify_priority, Priority, Timestamp};
use serde_json::json;

fn priority_error(err: OverrideError) -> ApiError {
    match err {
        OverrideError::ReadOnlyRole { .. } => ApiError::Forbidden(err.to_string()),
        OverrideError::LoweringNeedsReason { .. } => ApiError::invalid("reason", err.to_string()),
        OverrideError::LoweringNeedsManagement { .. } => {
            ApiError::invalid("priority", err.to_string())
        }
    }
}

fn category_error(err: CategoryError) -> ApiError {
    ApiError::invalid("category", err.to_string())
}

/// Security incidents need the security or management role (K3).
fn require_security_clearance(actor: &Actor, category: Option<&Category>) -> Result<(), ApiError> {
    if may_see_incident(actor.role, category) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "Security incidents are handled by the security team".into(),
        ))
    }
}

/// Loads an incident the actor may see; others' Security incidents are "not found" (K3).
pub(crate) async fn visible_incident<S: IncidentStore>(
    store: &S,
    actor: &Actor,
    id: i64,
) -> Result<IncidentRecord, ApiError> {
    let record = store.get_incident(id).await?.ok_or(ApiError::NOT_VISIBLE)?;
    if may_see_incident(actor.role, record.state.category.as_ref()) {
        Ok(record)
    } else {
        Err(ApiError::NOT_VISIBLE)
    }
}

/// The first steps of every change to an existing ticket: the actor may write,
/// may see the ticket (K3), and sent a body of type `T`.
async fn load_for_change<S: IncidentStore, T: serde::de::DeserializeOwned>(
    store: &S,
    actor: &Actor,
    id: i64,
    body: &[u8],
) -> Result<(IncidentRecord, T), ApiError> {
    require_writer(actor)?;
    let record = visible_incident(store, actor, id).await?;
    let request = decode_json(body)?;
    Ok((record, request))
}

/// What the rules say for `state`'s facts, and whether `actor` may set
/// `requested` with `reason` (P6) given `state`'s category (K1).
async fn decide_priority<S: IncidentStore>(
    store: &S,
    actor: &Actor,
    state: &IncidentState,
    requested: Priority,
    reason: Option<&str>,
) -> Result<(Priority, PriorityDecision), ApiError> {
    let rules = classify_priority(&state.facts).priority;
    let decision =
        check_priority_change(rules, requested, actor.role, reason).map_err(priority_error)?;
    check_category(
        requested,
        state.category.as_ref(),
        &store.known_categories().await?,
    )
    .map_err(category_error)?;
    Ok((rules, decision))
}

/// Whether `actor` may file a `priority` ticket under `category` (K1, K3),
/// and the parsed labels (K2).
async fn decide_category<S: IncidentStore>(
    store: &S,
    actor: &Actor,
    priority: Priority,
    category: Option<&Category>,
    labels: &[Label],
) -> Result<Labels, ApiError> {
    check_category(priority, category, &store.known_categories().await?).map_err(category_error)?;
    require_security_clearance(actor, category)?;
    Labels::parse(labels.iter().map(|l| l.as_str()))
        .map_err(|e| ApiError::invalid("labels", e.to_string()))
}

/// `POST /api/incidents`: checks the alert time (T4), classifies with the
/// SOP's rules, checks P6 and K1, and stores the ticket in triage with its
/// first timeline entries. A ticket that recurs a problem is linked to it and
/// raised to its priority (SPEC R6, see [`crate::problems::apply_recurrence`]);
/// `base_url` starts the links in management's page when a verified fix did
/// not hold.
pub async fn create_incident<S: IncidentStore + ProblemStore + EscalationStore>(
    store: &S,
    actor: &Actor,
    body: &[u8],
    now: Timestamp,
    base_url: &str,
) -> Result<IncidentView, ApiError> {
    require_writer(actor)?;
    let request: NewIncident = decode_json(body)?;
    check_alert_time(request.facts.alerted_at, now)
        .map_err(|e| ApiError::invalid("facts.alerted_at", e.to_string()))?;
    let classification = classify_priority(&request.facts);
    let rules = classification.priority;
    let requested = request.priority.unwrap_or(rules);
    let decision = check_priority_change(
        rules,
        requested,
        actor.role,
        request.priority_reason.as_deref(),
    )
    .map_err(priority_error)?;
    let labels = decide_category(
        store,
        actor,
        requested,
        request.category.as_ref(),
        &request.labels,
    )
    .await?;
    let state = IncidentState {
        title: request.title.to_string(),
        priority: requested,
        rules_priority: rules,
        status: IncidentStatus::Triage,
        category: request.category,
        labels,
        owner_group: request.owner_group,
        facts: request.facts,
    };
    let mut timeline = vec![TimelineEvent::Created(Created {
        state: state.snapshot(),
        classification,
        from_alert: None,
        mapping_ignored: None,
    })];
    if let Some(entry) = priority_timeline(rules, &decision, None, requested) {
        timeline.push(entry);
    }
    let record = NewIncidentRecord {
        state,
        at: now,
        actor: actor.clone(),
        timeline,
    };
    let id = store.insert_incident(&record).await?;
    let stored = store.get_incident(id).await?.ok_or(ApiError::NOT_VISIBLE)?;
    let facts = crate::problems::recurrence_facts(&stored, None);
    if let Some(Some(found)) = find_recurrences(store, &[facts], now).await?.pop() {
        apply_recurrence(store, id, &found, actor, now, base_url).await?;
        let raised = store.get_incident(id).await?.ok_or(ApiError::NOT_VISIBLE)?;
        return Ok(raised.to_view());
    }
    Ok(stored.to_view())
}

/// The timeline line that records a priority decision (P6).
fn priority_timeline(
    rules: Priority,
    decision: &PriorityDecision,
    from: Option<Priority>,
    to: Priority,
) -> Option<TimelineEvent> {
    let (decision, reason) = match decision {
        PriorityDecision::AsClassified if from.is_none_or(|f| f == to) => return None,
        PriorityDecision::AsClassified => (PriorityChangeKind::AsClassified, None),
        PriorityDecision::Raised => (PriorityChangeKind::Raised, None),
        PriorityDecision::LoweredByManagement { reason } => (
            PriorityChangeKind::LoweredByManagement,
            Some(reason.clone()),
        ),
    };
    Some(TimelineEvent::PriorityChanged(PriorityChanged {
        from,
        to,
        rules_priority: rules,
        decision,
        reason,
    }))
}

/// `GET /api/categories`: the categories a ticket may carry (K1).
pub async fn categories<S: IncidentStore>(store: &S) -> Result<CategoryList, ApiError> {
    Ok(CategoryList {
        categories: store
            .known_categories()
            .await?
            .iter()
            .map(|c| c.to_string())
            .collect(),
    })
}

/// Parses `priority=P0&status=triage&category=API&owner_group=dba&open=true`.
pub fn parse_filter(query: &str) -> Result<IncidentFilter, ApiError> {
    let mut filter = IncidentFilter::default();
    for (key, value) in form_urlencoded::parse(query.trim_start_matches('?').as_bytes()) {
        let bad = |e: &dyn std::fmt::Display| ApiError::invalid(key.to_string(), e.to_string());
        match key.as_ref() {
            "priority" => filter.priority = Some(value.parse::<Priority>().map_err(|e| bad(&e))?),
            "status" => filter.status = Some(value.parse::<IncidentStatus>().map_err(|e| bad(&e))?),
            "category" => filter.category = Some(Category::parse(&value).map_err(|e| bad(&e))?),
            "owner_group" => filter.owner_group = Some(Name::parse(&value).map_err(|e| bad(&e))?),
            "open" => {
                filter.open = Some(match value.as_ref() {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    _ => return Err(ApiError::invalid("open", "must be true or false")),
                })
            }
            _ => {
                return Err(ApiError::invalid(
                    key.to_string(),
                    "unknown filter; use priority, status, category, owner_group or open",
                ))
            }
        }
    }
    Ok(filter)
}

/// `GET /api/incidents`: filtered, most urgent first, then oldest; Security
/// incidents only for those cleared to see them (K3).
pub async fn list_incidents<S: IncidentStore>(
    store: &S,
    actor: &Actor,
    query: &str,
) -> Result<IncidentList, ApiError> {
    let filter = parse_filter(query)?;
    let incidents = store.list_incidents(&filter).await?;
    Ok(IncidentList {
        incidents: incidents
            .iter()
            .filter(|i| may_see_incident(actor.role, i.state.category.as_ref()))
            .map(IncidentRecord::to_view)
            .collect(),
    })
}

/// `GET /api/incidents/{id}`
pub async fn get_incident<S: IncidentStore>(
    store: &S,
    actor: &Actor,
    id: i64,
) -> Result<IncidentDetail, ApiError> {
    let record = visible_incident(store, actor, id).await?;
    let timeline = store.timeline(id).await?;
    Ok(IncidentDetail::new(
        record.to_view(),
        timeline,
        allowed_transitions(record.state.status).to_vec(),
    ))
}

/// Writes `state` as the incident's new state, or 409 if it changed meanwhile.
async fn commit<S: IncidentStore>(
    store: &S,
    actor: &Actor,
    record: &IncidentRecord,
    state: IncidentState,
    now: Timestamp,
    action: &str,
    timeline: TimelineEvent,
) -> Result<IncidentDetail, ApiError> {
    // Timestamps never go backwards (V11), even if the edge's clock does.
    let at = now.max(record.updated_at);
    let change = IncidentChange {
        id: record.id,
        expected_updated_at: record.updated_at,
        audit: NewAuditRecord {
            action: action.to_owned(),
            subject: format!("incident/{}", record.id),
            before: Some(json!(record.state.snapshot())),
            after: Some(json!(state.snapshot())),
        },
        state,
        at,
        actor: actor.clone(),
        timeline,
    };
    if !store.apply_change(&change).await? {
        return Err(ApiError::Conflict {
            field: None,
            message: "the incident changed while this request was made; reload and try again"
                .into(),
        });
    }
    get_incident(store, actor, record.id).await
}

/// `POST /api/incidents/{id}/transitions` with a `shared::lifecycle::Transition`.
/// Resolving a P0/P1 that no open problem links opens its problem (SPEC R3);
/// if that write fails, the sweep opens it ([`crate::problems::open_missing_problems`]).
pub async fn transition<S: IncidentStore + ProblemStore>(
    store: &S,
    actor: &Actor,
    id: i64,
    body: &[u8],
    now: Timestamp,
) -> Result<IncidentDetail, ApiError> {
    let (record, request) = load_for_change::<S, TransitionRequest>(store, actor, id, body).await?;
    let request = request
        .into_transition()
        .map_err(|e| ApiError::invalid(e.field, e.message))?;
    let at = now.max(record.updated_at);
    let status =
        apply_transition(record.state.status, record.updated_at, &request, at).map_err(|e| {
            ApiError::Conflict {
                field: Some("action".into()),
                message: e.to_string(),
            }
        })?;
    if let Transition::Close { confirmation } = &request {
        // User names are unique, so the submitter's name identifies them (E3).
        let closer = Closer {
            role: actor.role,
            is_submitter: record.created_by == actor.name,
        };
        check_closing(confirmation, closer).map_err(|e| ApiError::Forbidden(e.to_string()))?;
    }
    let mut state = record.state.clone();
    state.status = status;
    let mut decision = None;
    if let Transition::ClassifyAsProblem { priority } = &request {
        // Triage's outcome: the priority must respect the rules (P6), P0/P1 need a category (K1).
        let (rules, decided) = decide_priority(store, actor, &state, *priority, None).await?;
        decision = Some(decided);
        state.priority = *priority;
        state.rules_priority = rules;
    }
    let event = TimelineEvent::StatusChanged(StatusChanged {
        from: record.state.status,
        to: status,
        transition: request,
        priority_decision: decision,
    });
    let resolved = status == IncidentStatus::Resolved;
    let detail = commit(
        store,
        actor,
        &record,
        state,
        now,
        "incident.transition",
        event,
    )
    .await?;
    if resolved {
        // The resolution is stored; a failure here is caught by the sweep.
        let _ = open_for_resolved_incident(store, id, now).await;
    }
    Ok(detail)
}

/// `GET /api/incidents/{id}` with the recurrence banner (SPEC R6).
pub async fn get_incident_with_recurrence<S: IncidentStore + ProblemStore>(
    store: &S,
    actor: &Actor,
    id: i64,
    now: Timestamp,
) -> Result<IncidentDetail, ApiError> {
    let mut detail = get_incident(store, actor, id).await?;
    let record = visible_incident(store, actor, id).await?;
    detail.recurrence = crate::problems::recurrence_banner(store, actor, &record, now).await?;
    Ok(detail)
}

/// `PUT /api/incidents/{id}/priority`: raise freely; lower below the rules only as management with a reason (P6).
pub async fn change_priority<S: IncidentStore>(
    store: &S,
    actor: &Actor,
    id: i64,
    body: &[u8],
    now: Timestamp,
) -> Result<IncidentDetail, ApiError> {
    let (record, request) = load_for_change::<S, PriorityChange>(store, actor, id, body).await?;
    let (rules, decision) = decide_priority(
        store,
        actor,
        &record.state,
        request.priority,
        request.reason.as_deref(),
    )
    .await?;
    let mut state = record.state.clone();
    state.priority = request.priority;
    state.rules_priority = rules;
    let entry = priority_timeline(
        rules,
        &decision,
        Some(record.state.priority),
        request.priority,
    )
    .unwrap_or(TimelineEvent::PriorityChanged(PriorityChanged {
        from: Some(record.state.priority),
        to: request.priority,
        rules_priority: rules,
        decision: PriorityChangeKind::Unchanged,
        reason: None,
    }));
    commit(
        store,
        actor,
        &record,
        state,
        now,
        "incident.priority",
        entry,
    )
    .await
}

/// `PUT /api/incidents/{id}/category`: K1 for P0/P1, labels for all (K2), Security restricted (K3).
pub async fn change_category<S: IncidentStore>(
    store: &S,
    actor: &Actor,
    id: i64,
    body: &[u8],
    now: Timestamp,
) -> Result<IncidentDetail, ApiError> {
    let (record, request) = load_for_change::<S, CategoryChange>(store, actor, id, body).await?;
    let labels = decide_category(
        store,
        actor,
        record.state.priority,
        request.category.as_ref(),
        &request.labels,
    )
    .await?;
    let mut state = record.state.clone();
    state.category = request.category;
    state.labels = labels;
    let snapshot = state.snapshot();
    let event = TimelineEvent::CategoryChanged(CategoryChanged {
        from: record.state.snapshot().category,
        to: snapshot.category,
        labels: snapshot.labels,
    });
    commit(
        store,
        actor,
        &record,
        state,
        now,
        "incident.category",
        event,
    )
    .await
}

/// `PUT /api/incidents/{id}/owner`: assign the owning engineering group (E5).
pub async fn assign_owner<S: IncidentStore>(
    store: &S,
    actor: &Actor,
    id: i64,
    body: &[u8],
    now: Timestamp,
) -> Result<IncidentDetail, ApiError> {
    let (record, request) = load_for_change::<S, OwnerChange>(store, actor, id, body).await?;
    let mut state = record.state.clone();
    state.owner_group = Some(request.owner_group);
    let event = TimelineEvent::OwnerChanged(OwnerChanged {
        from: record.state.snapshot().owner_group,
        to: state.snapshot().owner_group,
    });
    commit(store, actor, &record, state, now, "incident.owner", event).await
}

/// `PUT /api/incidents/{id}/impact-start` (incident commander, management,
/// admin): when the impact started, checked by
/// `shared::report::check_impact_start` and recorded in the timeline with
/// the value it replaces; time to detect runs from it (SPEC Q1).
pub async fn set_impact_start<S: IncidentStore>(
    store: &S,
    actor: &Actor,
    id: i64,
    body: &[u8],
    now: Timestamp,
) -> Result<IncidentDetail, ApiError> {
    let (record, request) = load_for_change::<S, ImpactStartChange>(store, actor, id, body).await?;
    require_role(actor, Role::may_set_impact_start, "set the impact start")?;
    check_impact_start(
        request.impact_started_at,
        record.created_at,
        record.state.facts.alerted_at,
        now,
    )
    .map_err(crate::problems::refused)?;
    let timeline = store.timeline(id).await?;
    let previous = TimelineFacts::read(
        record.state.facts.alerted_at,
        timeline.iter().map(|e| (e.at, &e.event)),
    )
    .times
    .impact_started_at;
    let event = TimelineEvent::ImpactStartSet(ImpactStart {
        impact_started_at: request.impact_started_at,
        previous,
    });
    let state = record.state.clone();
    commit(
        store,
        actor,
        &record,
        state,
        now,
        "incident.impact_start",
        event,
    )
    .await
}

/// `POST /api/incidents/{id}/timeline`: a work log or a link (T7).
pub async fn add_timeline_entry<S: IncidentStore>(
    store: &S,
    actor: &Actor,
    id: i64,
    body: &[u8],
    now: Timestamp,
) -> Result<IncidentDetail, ApiError> {
    let (record, request) = load_for_change::<S, NewTimelineEntry>(store, actor, id, body).await?;
    let event = match (&request.kind, &request.text, &request.title, &request.url) {
        (TimelineEntryKind::WorkLog, Some(text), None, None) => TimelineEvent::WorkLog(WorkLog {
            text: text.to_string(),
        }),
        (TimelineEntryKind::WorkLog, None, ..) => {
            return Err(ApiError::invalid("text", "a work log needs text"))
        }
        (TimelineEntryKind::Link, None, Some(title), Some(url)) => TimelineEvent::Link(Link {
            title: title.to_string(),
            url: url.as_str().to_owned(),
        }),
        (TimelineEntryKind::Link, _, None, _) => {
            return Err(ApiError::invalid("title", "a link needs a title"))
        }
        (TimelineEntryKind::Link, _, _, None) => {
            return Err(ApiError::invalid("url", "a link needs a url"))
        }
        (TimelineEntryKind::WorkLog, ..) => {
            return Err(ApiError::invalid("kind", "a work log has only text"))
        }
        (TimelineEntryKind::Link, Some(_), ..) => {
            return Err(ApiError::invalid(
                "text",
                "a link has a title and a url, not text",
            ))
        }
    };
    let state = record.state.clone();
    commit(
        store,
        actor,
        &record,
        state,
        now,
        "incident.timeline",
        event,
    )
    .await
}

#[cfg(test)]
mod tests;
