//! The alert queue and the integrations that feed it (SPEC V2, V10, I1, I2, K3):
//! handlers generic over the [`AlertStore`], with the time and fresh secrets
//! passed in. Ingesting deliveries lives in [`crate::ingest`].
//!
//! Every read of an alert goes through [`may_see_incident`] on the category of
//! the alert's incident: a reader without clearance for a Security incident
//! gets the same "alert not found" as for an alert that does not exist, before
//! anything is written.

use crate::auth::{require_writer, Actor};
use crate::error::ApiError;
use crate::incidents;
use crate::request_body::decode_json;
use crate::stores::{
    AlertAttachment, AlertFilter, AlertRecord, AlertStore, IncidentStore, IngestControlChange,
    Integration, IntegrationDisabling, IntegrationRotation, NewAuditRecord, NewIntegrationRecord,
    StoreError,
};
use crate::webhook_signature::stored_credentials;
use beacon_shared::alert_group::IngestControl;
use beacon_shared::api::{
    AlertList, AttachAlert, DiscardAlert, IncidentDetail, IntegrationCreated, IntegrationRotated,
    NewIntegration, TransitionRequest,
};
use beacon_shared::clearance::may_see_incident;
use beacon_shared::lifecycle::{IncidentStatus, Transition};
use beacon_shared::timeline::{AlertMove, TimelineEvent};
use beacon_shared::Timestamp;
use serde_json::json;

/// `POST /api/integrations` (admin): `fresh_secret` is 256 random bits made by
/// the caller; it is returned once and stored only as its hash.
pub async fn create_integration<S: AlertStore>(
    store: &S,
    actor: &Actor,
    body: &[u8],
    now: Timestamp,
    fresh_secret: String,
) -> Result<IntegrationCreated, ApiError> {
    if !actor.role.may_administer() {
        return Err(ApiError::Forbidden(
            "only an admin may add integrations".into(),
        ));
    }
    let request: NewIntegration = decode_json(body)?;
    let control = request.control.unwrap_or_default();
    checked_control(&control, "control.")?;
    let name_taken = || ApiError::Conflict {
        field: Some("name".into()),
        message: "an integration with this name exists".into(),
    };
    if store
        .integration_named(request.name.as_str())
        .await?
        .is_some()
    {
        return Err(name_taken());
    }
    let (secret_hash, signing_key) = stored_credentials(request.format, &fresh_secret);
    let record = NewIntegrationRecord {
        audit: NewAuditRecord {
            action: "integration.create".into(),
            subject: format!("integration/{}", request.name),
            before: None,
            after: Some(json!({
                "name": request.name,
                "format": request.format,
                "owner_group": request.owner_group,
                "control": control,
            })),
        },
        name: request.name,
        format: request.format,
        owner_group: request.owner_group,
        secret_hash,
        signing_key,
        mapping: request.mapping,
        control,
        at: now,
        actor: actor.clone(),
    };
    let id = store
        .create_integration(&record)
        .await
        .map_err(|err| match err {
            StoreError::UniqueViolation(_) => name_taken(),
            other => other.into(),
        })?;
    Ok(IntegrationCreated {
        id,
        name: record.name.to_string(),
        format: record.format,
        secret: fresh_secret,
    })
}

/// Refuses settings out of range, naming the field (under `prefix`).
fn checked_control(control: &IngestControl, prefix: &str) -> Result<(), ApiError> {
    control.validate().map_err(|refused| {
        ApiError::invalid(format!("{prefix}{}", refused.field), refused.to_string())
    })
}

/// `PUT /api/integrations/{name}/control` (admin): an integration's grouping,
/// storm threshold and raw-delivery retention (SPEC I1, I2, E1), audited.
/// Answers with the settings now in force.
pub async fn set_ingest_control<S: AlertStore>(
    store: &S,
    actor: &Actor,
    name: &str,
    body: &[u8],
    now: Timestamp,
) -> Result<IngestControl, ApiError> {
    if !actor.role.may_administer() {
        return Err(ApiError::Forbidden(
            "only an admin may tune integrations".into(),
        ));
    }
    let (integration, _) = store
        .integration_named(name)
        .await?
        .ok_or(ApiError::NotFound {
            what: "integration",
        })?;
    let control: IngestControl = decode_json(body)?;
    checked_control(&control, "")?;
    let change = IngestControlChange {
        integration: integration.name.clone(),
        control,
        at: now,
        actor: actor.clone(),
        audit: NewAuditRecord {
            action: "integration.control".into(),
            subject: format!("integration/{}", integration.name),
            before: Some(json!(integration.control)),
            after: Some(json!(control)),
        },
    };
    if !store.set_ingest_control(&change).await? {
        return Err(ApiError::NotFound {
            what: "integration",
        });
    }
    Ok(control)
}

/// How long an integration's secret before a rotation keeps working, unless
/// the rotation says otherwise: a day to move the senders.
pub const DEFAULT_ROTATION_OVERLAP_MINUTES: u32 = 24 * 60;
/// The longest overlap a rotation may ask for: a week.
pub const MAX_ROTATION_OVERLAP_MINUTES: u32 = 7 * 24 * 60;

/// The body of `POST /api/integrations/{name}/rotate`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RotationRequest {
    /// Minutes the secret before keeps working; 0 stops it at once.
    overlap_minutes: Option<u32>,
}

fn integration_not_found() -> ApiError {
    ApiError::NotFound {
        what: "integration",
    }
}

/// The enabled integration called `name`, for an admin who may `doing`;
/// 403 for anyone else, 404 when there is none.
async fn enabled_integration<S: AlertStore>(
    store: &S,
    actor: &Actor,
    name: &str,
    doing: &str,
) -> Result<Integration, ApiError> {
    if !actor.role.may_administer() {
        return Err(ApiError::Forbidden(format!("only an admin may {doing}")));
    }
    store
        .integration_named(name)
        .await?
        .map(|(integration, _)| integration)
        .filter(|i| i.disabled_at.is_none())
        .ok_or_else(integration_not_found)
}

/// The audit record of `action` on `integration`, with what it set.
fn integration_audit(
    integration: &Integration,
    action: &str,
    after: serde_json::Value,
) -> NewAuditRecord {
    NewAuditRecord {
        action: action.into(),
        subject: format!("integration/{}", integration.name),
        before: None,
        after: Some(after),
    }
}

/// `POST /api/integrations/{name}/rotate` (admin): a new secret, shown once;
/// the one before it keeps working for the overlap (default a day, 0 for
/// none, at most a week) so the senders can be moved without losing alerts.
pub async fn rotate_integration_secret<S: AlertStore>(
    store: &S,
    actor: &Actor,
    name: &str,
    body: &[u8],
    now: Timestamp,
    fresh_secret: String,
) -> Result<IntegrationRotated, ApiError> {
    let integration = enabled_integration(store, actor, name, "rotate integration secrets").await?;
    let request: RotationRequest = if body.iter().all(u8::is_ascii_whitespace) {
        RotationRequest::default()
    } else {
        decode_json(body)?
    };
    let overlap = request
        .overlap_minutes
        .unwrap_or(DEFAULT_ROTATION_OVERLAP_MINUTES);
    if overlap > MAX_ROTATION_OVERLAP_MINUTES {
        return Err(ApiError::invalid(
            "overlap_minutes",
            format!("must be 0 to {MAX_ROTATION_OVERLAP_MINUTES} (a week)"),
        ));
    }
    let previous_valid_until = Timestamp::from_unix_millis(
        now.unix_millis()
            .saturating_add(i64::from(overlap) * 60_000),
    );
    let (secret_hash, signing_key) = stored_credentials(integration.format, &fresh_secret);
    let rotation = IntegrationRotation {
        name: integration.name.clone(),
        secret_hash,
        signing_key,
        previous_valid_until,
        at: now,
        actor: actor.clone(),
        audit: integration_audit(
            &integration,
            "integration.rotate",
            json!({ "previous_secret_valid_until": previous_valid_until }),
        ),
    };
    if !store.rotate_integration_secret(&rotation).await? {
        return Err(integration_not_found());
    }
    Ok(IntegrationRotated {
        name: integration.name.to_string(),
        format: integration.format,
        secret: fresh_secret,
        previous_secret_valid_until: previous_valid_until,
    })
}

/// `POST /api/integrations/{name}/disable` (admin): its senders are refused
/// from the next delivery on (401, as an unknown sender is); its alerts and
/// incidents stay.
pub async fn disable_integration<S: AlertStore>(
    store: &S,
    actor: &Actor,
    name: &str,
    now: Timestamp,
) -> Result<serde_json::Value, ApiError> {
    let integration = enabled_integration(store, actor, name, "disable integrations").await?;
    let disabling = IntegrationDisabling {
        name: integration.name.clone(),
        at: now,
        actor: actor.clone(),
        audit: integration_audit(
            &integration,
            "integration.disable",
            json!({ "disabled_at": now }),
        ),
    };
    if !store.disable_integration(&disabling).await? {
        return Err(integration_not_found());
    }
    Ok(json!({ "name": integration.name, "disabled_at": now }))
}

/// The cron's pruning of raw deliveries past their integration's retention
/// (SPEC I1); returns how many were deleted.
pub async fn prune_deliveries<S: AlertStore>(store: &S, now: Timestamp) -> Result<u64, ApiError> {
    Ok(store.prune_deliveries(now).await?)
}

/// `GET /api/alerts[?status=open]`: the on-call SRE's queue: alerts whose
/// incident nobody has looked at first, then newest first, at most
/// [`AlertFilter::LIMIT`], saying whether more match (an alert storm). Alerts on Security
/// incidents are left out for readers without clearance (K3).
pub async fn list_alerts<S: AlertStore>(
    store: &S,
    actor: &Actor,
    query: &str,
) -> Result<AlertList, ApiError> {
    let mut filter = AlertFilter::default();
    for (key, value) in form_urlencoded::parse(query.trim_start_matches('?').as_bytes()) {
        match &*key {
            "status" if value == "open" => filter.open_only = true,
            "incident" => {
                let id = value
                    .parse::<i64>()
                    .map_err(|_| ApiError::invalid("incident", "must be an incident number"))?;
                filter.incident = Some(id);
            }
            _ => {}
        }
    }
    let mut alerts = store.list_alerts(&filter).await?;
    // Counted before clearance: a reader without it may learn that more
    // alerts match, never what they are (K3).
    let more = alerts.len() > AlertFilter::LIMIT;
    alerts.truncate(AlertFilter::LIMIT);
    Ok(AlertList {
        alerts: alerts
            .iter()
            .filter(|a| may_see_incident(actor.role, a.category()))
            .map(AlertRecord::to_view)
            .collect(),
        limit: AlertFilter::LIMIT,
        more,
    })
}

/// Loads an alert the actor may see; an alert on someone else's Security
/// incident is "not found", exactly like a missing one (K3).
async fn visible_alert<S: AlertStore>(
    store: &S,
    actor: &Actor,
    id: i64,
) -> Result<AlertRecord, ApiError> {
    store
        .get_alert(id)
        .await?
        .filter(|alert| may_see_incident(actor.role, alert.category()))
        .ok_or(ApiError::NOT_VISIBLE)
}

/// `POST /api/alerts/{id}/{open|discard|attach}`: the alert queue's actions on
/// the alert's incident (SPEC V10, I2). Each answers with the incident it leaves
/// the alert on.
pub async fn alert_action<S: AlertStore + IncidentStore + crate::stores::ProblemStore>(
    store: &S,
    actor: &Actor,
    alert_id: i64,
    action: &str,
    body: &[u8],
    now: Timestamp,
) -> Result<IncidentDetail, ApiError> {
    require_writer(actor)?;
    let alert = visible_alert(store, actor, alert_id).await?;
    let incident_id = alert
        .incident
        .as_ref()
        .map(|i| i.id)
        .ok_or_else(|| ApiError::Conflict {
            field: None,
            message: "this alert has no incident".into(),
        })?;
    match action {
        "open" => start_triage(store, actor, incident_id, now).await,
        "discard" => {
            let request: DiscardAlert = decode_json(body)?;
            if request.reason.trim().is_empty() {
                return Err(ApiError::invalid(
                    "reason",
                    "discarding needs a reason: why has this alert no impact?",
                ));
            }
            discard(store, actor, incident_id, &request.reason, now).await
        }
        "attach" => attach(store, actor, &alert, incident_id, body, now).await,
        _ => Err(ApiError::NotFound { what: "route" }),
    }
}

/// Applies `transition` to incident `id` through the same handler as the API.
async fn apply<S: IncidentStore + crate::stores::ProblemStore>(
    store: &S,
    actor: &Actor,
    id: i64,
    transition: &Transition,
    now: Timestamp,
) -> Result<IncidentDetail, ApiError> {
    let body = serde_json::to_vec(&TransitionRequest::from_transition(transition))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    incidents::transition(store, actor, id, &body, now).await
}

/// Takes an untriaged incident into triage; one already past `reported` is left as it is.
async fn start_triage<S: IncidentStore + crate::stores::ProblemStore>(
    store: &S,
    actor: &Actor,
    id: i64,
    now: Timestamp,
) -> Result<IncidentDetail, ApiError> {
    let detail = incidents::get_incident(store, actor, id).await?;
    if detail.incident.status == IncidentStatus::Reported {
        apply(store, actor, id, &Transition::StartTriage, now).await
    } else {
        Ok(detail)
    }
}

/// Discards an untriaged incident as an event without impact (V10), through triage.
async fn discard<S: IncidentStore + crate::stores::ProblemStore>(
    store: &S,
    actor: &Actor,
    id: i64,
    reason: &str,
    now: Timestamp,
) -> Result<IncidentDetail, ApiError> {
    let detail = start_triage(store, actor, id, now).await?;
    if detail.incident.status != IncidentStatus::Triage {
        return Err(ApiError::Conflict {
            field: None,
            message: format!(
                "incident {id} is {} already; only an incident in triage can be discarded",
                detail.incident.status
            ),
        });
    }
    let discard = Transition::Discard {
        reason: reason.to_owned(),
    };
    apply(store, actor, id, &discard, now).await
}

/// Moves the alert to an open incident; its own incident, if nobody triaged it
/// and no other alert points at it, is discarded as a duplicate.
async fn attach<S: AlertStore + IncidentStore + crate::stores::ProblemStore>(
    store: &S,
    actor: &Actor,
    alert: &AlertRecord,
    current: i64,
    body: &[u8],
    now: Timestamp,
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
    let moved = AlertMove {
        alert_id: alert.id,
        integration: alert.integration.clone(),
        dedup_key: alert.dedup_key.clone(),
        summary: alert.summary.clone(),
        from_incident: None,
        to_incident: None,
    };
    let attachment = AlertAttachment {
        alert_id: alert.id,
        from_incident: current,
        to_incident: target_id,
        at: now,
        actor: actor.clone(),
        attached: TimelineEvent::AlertAttached(AlertMove {
            from_incident: Some(current),
            ..moved.clone()
        }),
        detached: TimelineEvent::AlertDetached(AlertMove {
            to_incident: Some(target_id),
            ..moved
        }),
        audit: NewAuditRecord {
            action: "alert.attach".into(),
            subject: format!("alert/{}", alert.id),
            before: Some(json!({ "incident_id": current })),
            after: Some(json!({ "incident_id": target_id })),
        },
    };
    if !store.attach_alert(&attachment).await? {
        return Err(ApiError::Conflict {
            field: None,
            message: "the alert moved while this request was made; reload and try again".into(),
        });
    }
    let others = store.alerts_on_incident(current).await?;
    let left = incidents::get_incident(store, actor, current).await?;
    if others == 0 && left.incident.status.is_untriaged() {
        let reason = format!("duplicate: its alert was attached to incident {target_id}");
        discard(store, actor, current, &reason, now).await?;
    }
    incidents::get_incident(store, actor, target_id).await
}

#[cfg(test)]
mod tests;
