//! Incident API handlers: create and list, generic over the [`Store`].

use crate::auth::{require_writer, Actor};
use crate::error::ApiError;
use crate::request_body::decode_json;
use crate::store::{NewIncidentRecord, Store};
use beacon_shared::api::{IncidentList, IncidentView, NewIncident};
use beacon_shared::{classify_priority, Timestamp};

/// `POST /api/incidents`: the edge recomputes the priority from the facts;
/// nothing is stored unless the whole request is valid.
pub async fn create_incident<S: Store>(
    store: &S,
    actor: &Actor,
    body: &[u8],
    now: Timestamp,
) -> Result<IncidentView, ApiError> {
    require_writer(actor)?;
    let request: NewIncident = decode_json(body)?;
    let classification = classify_priority(&request.facts);
    let record = NewIncidentRecord {
        title: request.title.to_string(),
        priority: classification.priority,
        rules_priority: classification.priority,
        status: "triage".to_owned(),
        facts: request.facts,
        created_at: now,
        created_by: actor.clone(),
    };
    let id = store.insert_incident(&record).await?;
    Ok(IncidentView {
        id,
        title: record.title,
        priority: record.priority,
        status: record.status,
        classification,
        created_at: now,
        created_by: actor.name.clone(),
    })
}

/// `GET /api/incidents`: most urgent first, then oldest first.
pub async fn list_incidents<S: Store>(store: &S, _actor: &Actor) -> Result<IncidentList, ApiError> {
    let incidents = store.list_incidents().await?;
    Ok(IncidentList {
        incidents: incidents.iter().map(|i| i.to_view()).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::authenticate;
    use crate::memory_store::MemoryStore;
    use beacon_shared::role::Role;
    use beacon_shared::Priority;
    use pollster::block_on;

    const NOW: Timestamp = Timestamp::from_unix_millis(1_795_403_520_000);

    fn actor(store: &MemoryStore, role: Role) -> Actor {
        let token = store.add_user("sam", role);
        block_on(authenticate(store, Some(&format!("Bearer {token}")))).unwrap()
    }

    /// SPEC P0, P5: the edge computes the priority from the facts.
    #[test]
    fn create_classifies_and_stores() {
        let store = MemoryStore::default();
        let sre = actor(&store, Role::Sre);
        let body = br#"{"title":"EU checkout down","facts":{"measurements":{"availability_by_region":[{"region":"eu-west","percent":97.5}]}}}"#;
        let view = block_on(create_incident(&store, &sre, body, NOW)).unwrap();
        assert_eq!(view.priority, Priority::P0);
        assert!(view.classification.matched[0].input.contains("eu-west"));
        let list = block_on(list_incidents(&store, &sre)).unwrap();
        assert_eq!(list.incidents.len(), 1);
        assert_eq!(list.incidents[0].title, "EU checkout down");
        assert_eq!(store.audit.borrow().len(), 1);
    }

    /// SPEC I3, I4: refusals store nothing.
    #[test]
    fn refusals_store_nothing() {
        let store = MemoryStore::default();
        let viewer = actor(&store, Role::Viewer);
        let sre = actor(&store, Role::Sre);
        let ok = br#"{"title":"x"}"#;
        assert!(matches!(
            block_on(create_incident(&store, &viewer, ok, NOW)),
            Err(ApiError::Forbidden(_))
        ));
        let bad = br#"{"title":"x","facts":{"scope":{"users":-1}}}"#;
        let err = block_on(create_incident(&store, &sre, bad, NOW)).unwrap_err();
        assert_eq!(err.status(), 422);
        assert_eq!(err.body().error.field.as_deref(), Some("facts.scope.users"));
        let unknown = br#"{"title":"x","severity":"high"}"#;
        assert_eq!(
            block_on(create_incident(&store, &sre, unknown, NOW))
                .unwrap_err()
                .status(),
            422
        );
        assert_eq!(store.incident_count(), 0);
        assert!(store.audit.borrow().is_empty());
    }

    /// SPEC I3: no token, wrong token -> 401.
    #[test]
    fn unknown_tokens_are_unauthorized() {
        let store = MemoryStore::default();
        store.add_user("sam", Role::Sre);
        assert_eq!(
            block_on(authenticate(&store, None)),
            Err(ApiError::Unauthorized)
        );
        assert_eq!(
            block_on(authenticate(&store, Some("Bearer nope"))),
            Err(ApiError::Unauthorized)
        );
    }

    #[test]
    fn store_outage_is_503() {
        let store = MemoryStore::default();
        let sre = actor(&store, Role::Sre);
        store.failing.set(true);
        let err = block_on(create_incident(&store, &sre, br#"{"title":"x"}"#, NOW)).unwrap_err();
        assert_eq!(err.status(), 503);
    }
}
