//! The demo team of `cargo xtask dev` (`POST /api/dev/seed`,
//! `BEACON_ENV=development` only): one person per role with a token, the
//! categories as status-page components, rotas for SRE, network, CSUP and
//! the incident commander, the time limits, notification channels that
//! deliver to the local inbox ([`crate::dev_inbox`]), about three months of
//! resolved incidents (some published, so the 90-day bars show them), one
//! live P1 awaiting the duty IC's page, and one scheduled maintenance.
//!
//! Everything is written through the same handlers the API uses, with the
//! history backdated by passing earlier times, so the demo obeys every rule
//! the real data does. Seeding only ever runs on an empty database.

use crate::auth::Actor;
use crate::error::ApiError;
use crate::escalation;
use crate::incidents;
use crate::status_editing;
use crate::stores::{
    EscalationStore, IncidentFilter, IncidentStore, ProblemStore, SettingsStore, StatusPageStore,
    UserStore,
};
use crate::users;
use beacon_shared::escalation::EscalationConfig;
use beacon_shared::role::Role;
use beacon_shared::rota::RotaRole;
use beacon_shared::Timestamp;
use serde::Serialize;
use serde_json::{json, Value};

#[cfg(test)]
mod tests;

const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 24 * 60 * MINUTE_MS;

/// Every demo name starts with this, so demo data is recognisable anywhere.
pub const DEMO_PREFIX: &str = "demo-";

/// The demo people, one per role (SPEC I3).
pub const DEMO_PEOPLE: [(&str, Role); 8] = [
    ("demo-ian-ic", Role::IncidentCommander),
    ("demo-sam-sre", Role::Sre),
    ("demo-cleo-csup", Role::CustomerSupport),
    ("demo-nina-network", Role::Engineer),
    ("demo-max-management", Role::Management),
    ("demo-sec-security", Role::Security),
    ("demo-vic-viewer", Role::Viewer),
    ("demo-ada-admin", Role::Admin),
];

/// The second incident commander on the rota: who the page escalates to
/// when the duty IC does not acknowledge. Not a user; reached through the inbox.
pub const SECOND_IC: &str = "demo-ida-ic";

/// The title of the live P1 that awaits the duty IC's page.
pub const LIVE_P1_TITLE: &str = "Card payments failing for some EU customers (demo)";

/// What seeding needs from the runtime.
pub struct SeedRun<'a> {
    pub now: Timestamp,
    /// Where people reach Beacon, without a trailing slash.
    pub base_url: &'a str,
    /// Where the demo channels deliver: the local inbox, without a trailing slash.
    pub inbox_url: &'a str,
}

/// A demo person and the token that signs them in (shown only now).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemoPerson {
    pub name: String,
    pub role: Role,
    pub token: String,
}

/// The answer to `POST /api/dev/seed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemoTeam {
    /// Always true: marks the data as demo data.
    pub demo: bool,
    pub people: Vec<DemoPerson>,
    /// The live P1 that awaits the duty IC's page.
    pub live_incident: i64,
    /// How many resolved incidents the history holds.
    pub history: usize,
}

/// One past incident of the demo history.
struct PastIncident {
    days_ago: i64,
    title: &'static str,
    priority: &'static str,
    /// How long it lasted, in minutes.
    minutes: i64,
    /// The component status it was published with, if it was published.
    public: Option<&'static str>,
}

const HISTORY: [PastIncident; 9] = [
    PastIncident {
        days_ago: 84,
        title: "Elevated error rate",
        priority: "P2",
        minutes: 95,
        public: Some("partial_outage"),
    },
    PastIncident {
        days_ago: 71,
        title: "Slow responses",
        priority: "P3",
        minutes: 240,
        public: None,
    },
    PastIncident {
        days_ago: 63,
        title: "Unavailable after a failed deploy",
        priority: "P1",
        minutes: 40,
        public: Some("major_outage"),
    },
    PastIncident {
        days_ago: 52,
        title: "Intermittent timeouts",
        priority: "P3",
        minutes: 180,
        public: None,
    },
    PastIncident {
        days_ago: 44,
        title: "Degraded performance",
        priority: "P2",
        minutes: 190,
        public: Some("degraded_performance"),
    },
    PastIncident {
        days_ago: 33,
        title: "Certificate about to expire",
        priority: "P3",
        minutes: 60,
        public: None,
    },
    PastIncident {
        days_ago: 21,
        title: "Errors for some customers",
        priority: "P2",
        minutes: 70,
        public: Some("partial_outage"),
    },
    PastIncident {
        days_ago: 12,
        title: "Queue backlog",
        priority: "P3",
        minutes: 120,
        public: None,
    },
    PastIncident {
        days_ago: 5,
        title: "Sign-in failures",
        priority: "P1",
        minutes: 30,
        public: Some("major_outage"),
    },
];

fn at(now: Timestamp, minutes_ago: i64) -> Timestamp {
    Timestamp::from_unix_millis(now.unix_millis() - minutes_ago * MINUTE_MS)
}

fn bytes(value: &Value) -> Vec<u8> {
    value.to_string().into_bytes()
}

fn next_fresh(fresh: &mut impl Iterator<Item = String>) -> Result<String, ApiError> {
    fresh
        .next()
        .ok_or_else(|| ApiError::Internal("no fresh randomness for the demo".into()))
}

/// The demo people as actors, by role.
struct Team {
    actors: Vec<Actor>,
}

impl Team {
    fn by_role(&self, role: Role) -> &Actor {
        self.actors
            .iter()
            .find(|a| a.role == role)
            .expect("every role has a demo person")
    }
}

/// `POST /api/dev/seed` (admin): writes the demo team into an empty
/// database. `fresh` gives 256-bit random strings (tokens and channel
/// secrets), `ids` the status page's public ids. 409 and nothing written
/// when the database already holds incidents, rotas or channels.
pub async fn seed_demo<S>(
    store: &S,
    admin: &Actor,
    run: &SeedRun<'_>,
    fresh: &mut impl Iterator<Item = String>,
    ids: &mut impl Iterator<Item = String>,
) -> Result<DemoTeam, ApiError>
where
    S: UserStore + IncidentStore + EscalationStore + StatusPageStore + SettingsStore + ProblemStore,
{
    if !admin.role.may_administer() {
        return Err(ApiError::Forbidden(
            "only an admin may seed the demo team".into(),
        ));
    }
    let has_incidents = !store
        .list_incidents(&IncidentFilter::default())
        .await?
        .is_empty();
    if has_incidents
        || !store.channels().await?.is_empty()
        || !store.rotas().await?.all().is_empty()
    {
        return Err(ApiError::Conflict {
            field: None,
            message: "the database is not empty; the demo team is seeded only into an empty one"
                .into(),
        });
    }
    let now = run.now;
    let start = at(now, 95 * 24 * 60);

    let mut people = Vec::new();
    let mut actors = Vec::new();
    for (name, role) in DEMO_PEOPLE {
        let user = users::create_user(
            store,
            admin,
            &bytes(&json!({"name": name, "role": role})),
            start,
        )
        .await?;
        let token = users::create_token(
            store,
            admin,
            user.id,
            // Issued with the backdated history, so given the longest lifetime.
            &bytes(&json!({"label": "demo (cargo xtask dev)", "expires_in_days": 365})),
            start,
            format!("bkn_{}", next_fresh(fresh)?),
        )
        .await?
        .token;
        people.push(DemoPerson {
            name: name.to_owned(),
            role,
            token,
        });
        actors.push(Actor::from(user));
    }
    let team = Team { actors };
    let ic = team.by_role(Role::IncidentCommander);

    setup_escalation(store, ic, run, fresh).await?;
    let components = setup_components(store, admin, start, ids).await?;
    let history = write_history(store, &team, &components, run, ids).await?;
    let live_incident = live_p1(store, &team, &components, run, ids).await?;
    schedule_maintenance(store, &team, &components, run, ids).await?;

    Ok(DemoTeam {
        demo: true,
        people,
        live_incident,
        history,
    })
}

/// Rotas (on call now), the default time limits written out, and one
/// inbox channel per rota person, for management and the network team.
async fn setup_escalation<S: EscalationStore + SettingsStore>(
    store: &S,
    ic: &Actor,
    run: &SeedRun<'_>,
    fresh: &mut impl Iterator<Item = String>,
) -> Result<(), ApiError> {
    let since = at(run.now, 60);
    let rotas = [
        (RotaRole::Sre, vec!["demo-sam-sre"]),
        (RotaRole::NetworkEngineer, vec!["demo-nina-network"]),
        (RotaRole::CustomerSupport, vec!["demo-cleo-csup"]),
        (RotaRole::IncidentCommander, vec!["demo-ian-ic", SECOND_IC]),
    ];
    for (role, names) in rotas {
        let body = json!({"people": names, "shift": 12 * 60, "starts_at": since});
        escalation::put_rota(store, ic, role.as_str(), &bytes(&body), since).await?;
    }
    let limits = serde_json::to_value(EscalationConfig::default())
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    escalation::put_config(store, ic, &bytes(&limits), since).await?;
    let people = [
        "demo-ian-ic",
        SECOND_IC,
        "demo-sam-sre",
        "demo-cleo-csup",
        "demo-nina-network",
    ];
    let mut channels: Vec<(Value, String, &str)> = people
        .iter()
        .map(|name| {
            (
                json!({"owner_kind": "person", "owner": name}),
                (*name).to_owned(),
                "generic",
            )
        })
        .collect();
    channels.push((
        json!({"owner_kind": "management"}),
        "management".into(),
        "generic",
    ));
    channels.push((
        json!({"owner_kind": "team", "owner": "network"}),
        "team-network".into(),
        "slack",
    ));
    for (mut body, path, format) in channels {
        body["format"] = json!(format);
        body["url"] = json!(format!("{}/{path}", run.inbox_url));
        escalation::create_channel(store, ic, &bytes(&body), since, next_fresh(fresh)?).await?;
    }
    Ok(())
}

/// The categories (all but Security, which never appears publicly, SPEC K3)
/// as components, created at `start`; their ids in category order.
async fn setup_components<S: StatusPageStore + IncidentStore>(
    store: &S,
    admin: &Actor,
    start: Timestamp,
    ids: &mut impl Iterator<Item = String>,
) -> Result<Vec<(String, String)>, ApiError> {
    let mut components = Vec::new();
    for category in store.known_categories().await? {
        if category.is_security() {
            continue;
        }
        let body = json!({"name": category.to_string()});
        let component =
            status_editing::create_component(store, admin, &bytes(&body), start, ids).await?;
        components.push((category.to_string(), component.id.to_string()));
    }
    if components.is_empty() {
        return Err(ApiError::Internal("there are no categories to show".into()));
    }
    Ok(components)
}

/// The category and component of the `n`-th demo incident.
fn component_for(components: &[(String, String)], n: usize) -> &(String, String) {
    &components[n % components.len()]
}

/// The resolved and closed incidents of the last three months; the
/// published ones change their component for as long as they lasted.
async fn write_history<S: IncidentStore + EscalationStore + StatusPageStore + ProblemStore>(
    store: &S,
    team: &Team,
    components: &[(String, String)],
    run: &SeedRun<'_>,
    ids: &mut impl Iterator<Item = String>,
) -> Result<usize, ApiError> {
    let sre = team.by_role(Role::Sre);
    let ic = team.by_role(Role::IncidentCommander);
    let csup = team.by_role(Role::CustomerSupport);
    for (n, past) in HISTORY.iter().enumerate() {
        let (category, component) = component_for(components, n);
        let began = at(run.now, past.days_ago * 24 * 60 + 13 * 60);
        let later =
            |minutes: i64| Timestamp::from_unix_millis(began.unix_millis() + minutes * MINUTE_MS);
        let title = format!("{category}: {} (demo)", past.title);
        let created = incidents::create_incident(
            store,
            sre,
            &bytes(&json!({"title": title, "category": category, "priority": past.priority})),
            began,
            run.base_url,
        )
        .await?;
        let id = created.id;
        escalation::acknowledge(store, ic, id, later(3)).await?;
        let classify = json!({"action": "classify_as_problem", "priority": past.priority});
        incidents::transition(store, sre, id, &bytes(&classify), later(5)).await?;
        let note =
            json!({"kind": "work_log", "text": "Found the cause; rolling back the last change."});
        incidents::add_timeline_entry(store, sre, id, &bytes(&note), later(past.minutes / 2))
            .await?;
        let public_id = match past.public {
            Some(status) => {
                let body = json!({
                    "from_incident": id,
                    "name": format!("{category}: {}", past.title),
                    "body": format!("We are investigating problems with {category}."),
                    "components": [{"id": component, "status": status}],
                });
                let published = status_editing::create_public_incident(
                    store,
                    csup,
                    &bytes(&body),
                    later(8),
                    ids,
                    run.base_url,
                )
                .await?;
                Some(published.incident.id)
            }
            None => None,
        };
        let resolve = json!({"action": "resolve"});
        incidents::transition(store, ic, id, &bytes(&resolve), later(past.minutes)).await?;
        if let Some(public_id) = public_id {
            let body = json!({
                "status": "resolved",
                "body": format!("{category} works normally again."),
                "components": [{"id": component, "status": "operational"}],
            });
            status_editing::add_public_update(
                store,
                csup,
                &public_id,
                &bytes(&body),
                later(past.minutes),
                ids,
                run.base_url,
            )
            .await?;
        }
        let close = json!({"action": "close", "confirmation": {"kind": "submitter_confirmed"}});
        incidents::transition(store, sre, id, &bytes(&close), later(past.minutes + 30)).await?;
    }
    Ok(HISTORY.len())
}

/// The live P1: reported six minutes ago, classified and being worked by the
/// SRE, published on the status page, and not acknowledged: the next sweep
/// pages the duty IC.
async fn live_p1<S: IncidentStore + StatusPageStore + ProblemStore + EscalationStore>(
    store: &S,
    team: &Team,
    components: &[(String, String)],
    run: &SeedRun<'_>,
    ids: &mut impl Iterator<Item = String>,
) -> Result<i64, ApiError> {
    let sre = team.by_role(Role::Sre);
    let csup = team.by_role(Role::CustomerSupport);
    let (category, component) = components
        .iter()
        .find(|(name, _)| name == "Payments")
        .unwrap_or(&components[0]);
    let body = json!({"title": LIVE_P1_TITLE, "category": category, "priority": "P1"});
    let id = incidents::create_incident(store, sre, &bytes(&body), at(run.now, 6), run.base_url)
        .await?
        .id;
    let classify = json!({"action": "classify_as_problem", "priority": "P1"});
    incidents::transition(store, sre, id, &bytes(&classify), at(run.now, 5)).await?;
    let note = json!({"kind": "work_log", "text": "Card authorisations time out for about 20% of EU customers; looking at the payment gateway."});
    incidents::add_timeline_entry(store, sre, id, &bytes(&note), at(run.now, 4)).await?;
    let public = json!({
        "from_incident": id,
        "name": "Card payments failing for some customers",
        "body": "Some card payments fail. We are investigating.",
        "components": [{"id": component, "status": "partial_outage"}],
    });
    status_editing::create_public_incident(
        store,
        csup,
        &bytes(&public),
        at(run.now, 3),
        ids,
        run.base_url,
    )
    .await?;
    Ok(id)
}

/// Maintenance in three days, two hours long.
async fn schedule_maintenance<S: StatusPageStore>(
    store: &S,
    team: &Team,
    components: &[(String, String)],
    run: &SeedRun<'_>,
    ids: &mut impl Iterator<Item = String>,
) -> Result<(), ApiError> {
    let csup = team.by_role(Role::CustomerSupport);
    let (category, component) = components
        .iter()
        .find(|(name, _)| name == "Reporting")
        .unwrap_or(&components[components.len() - 1]);
    let from = Timestamp::from_unix_millis(run.now.unix_millis() + 3 * DAY_MS);
    let until = Timestamp::from_unix_millis(from.unix_millis() + 120 * MINUTE_MS);
    let body = json!({
        "name": format!("{category} database upgrade (demo)"),
        "scheduled_for": from,
        "scheduled_until": until,
        "components": [component],
        "body": format!("{category} may be slow or unavailable during the upgrade."),
    });
    status_editing::create_maintenance(store, csup, &bytes(&body), run.now, ids, run.base_url)
        .await?;
    Ok(())
}
