//! The public JSON API speaks Atlassian Statuspage's v2 format (SPEC M3,
//! M4): every object we send has exactly the keys of Statuspage's, and
//! every enum value we send is one Statuspage allows.

use beacon_shared::status_page::{
    Component, ComponentChange, ComponentGroup, ComponentId, ComponentStatus, Impact, IncidentId,
    MaintenanceStatus, MaintenanceWindow, PageId, PageInfo, PublicIncident, PublicIncidentStatus,
    PublicUpdate, ScheduledMaintenance, StatusPage, UpdateBody, UpdateId,
};
use beacon_shared::statuspage_wire::{
    active_maintenances, components, incident_json, incidents, scheduled_maintenances, status,
    summary, unresolved_incidents, upcoming_maintenances, IncidentStatusJson, SummaryResponse,
};
use beacon_shared::triage::{LinkUrl, Name, Title};
use beacon_shared::{Category, Timestamp};
use serde_json::Value;
use std::collections::BTreeSet;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// A `summary.json` written by hand from Statuspage's documented public v2
/// fields: a group with one member, a plain component, an unresolved
/// incident with two updates (one with affected components) and an
/// upcoming scheduled maintenance.
const STATUSPAGE_SUMMARY: &str = r#"{
  "page": {
    "id": "kctbh9vrtdwd",
    "name": "Example",
    "url": "https://status.example.com",
    "time_zone": "Etc/UTC",
    "updated_at": "2026-05-01T10:30:00.000Z"
  },
  "components": [
    {
      "id": "grp1",
      "name": "Core",
      "status": "partial_outage",
      "created_at": "2025-01-01T00:00:00.000Z",
      "updated_at": "2026-05-01T10:00:00.000Z",
      "position": 1,
      "description": null,
      "showcase": false,
      "start_date": null,
      "group_id": null,
      "page_id": "kctbh9vrtdwd",
      "group": true,
      "only_show_if_degraded": false,
      "components": ["cmp1"]
    },
    {
      "id": "cmp1",
      "name": "API",
      "status": "partial_outage",
      "created_at": "2025-01-01T00:00:00.000Z",
      "updated_at": "2026-05-01T10:00:00.000Z",
      "position": 1,
      "description": "Public REST API",
      "showcase": true,
      "start_date": "2025-01-01",
      "group_id": "grp1",
      "page_id": "kctbh9vrtdwd",
      "group": false,
      "only_show_if_degraded": false
    }
  ],
  "incidents": [
    {
      "id": "inc1",
      "name": "Elevated API error rates",
      "status": "identified",
      "created_at": "2026-05-01T10:00:00.000Z",
      "updated_at": "2026-05-01T10:30:00.000Z",
      "monitoring_at": null,
      "resolved_at": null,
      "impact": "major",
      "shortlink": "https://stspg.io/abc123",
      "started_at": "2026-05-01T09:55:00.000Z",
      "page_id": "kctbh9vrtdwd",
      "postmortem_body": null,
      "postmortem_body_last_updated_at": null,
      "postmortem_published_at": null,
      "incident_updates": [
        {
          "id": "upd2",
          "status": "identified",
          "body": "The issue has been identified and a fix is being implemented.",
          "incident_id": "inc1",
          "created_at": "2026-05-01T10:30:00.000Z",
          "updated_at": "2026-05-01T10:30:00.000Z",
          "display_at": "2026-05-01T10:30:00.000Z",
          "affected_components": null,
          "deliver_notifications": true,
          "custom_tweet": null,
          "tweet_id": null
        },
        {
          "id": "upd1",
          "status": "investigating",
          "body": "We are investigating elevated error rates.",
          "incident_id": "inc1",
          "created_at": "2026-05-01T10:00:00.000Z",
          "updated_at": "2026-05-01T10:00:00.000Z",
          "display_at": "2026-05-01T10:00:00.000Z",
          "affected_components": [
            {
              "code": "cmp1",
              "name": "API",
              "old_status": "operational",
              "new_status": "partial_outage"
            }
          ],
          "deliver_notifications": true,
          "custom_tweet": null,
          "tweet_id": null
        }
      ],
      "components": [
        {
          "id": "cmp1",
          "name": "API",
          "status": "partial_outage",
          "created_at": "2025-01-01T00:00:00.000Z",
          "updated_at": "2026-05-01T10:00:00.000Z",
          "position": 1,
          "description": "Public REST API",
          "showcase": true,
          "start_date": "2025-01-01",
          "group_id": "grp1",
          "page_id": "kctbh9vrtdwd",
          "group": false,
          "only_show_if_degraded": false
        }
      ]
    }
  ],
  "scheduled_maintenances": [
    {
      "id": "mnt1",
      "name": "Database upgrade",
      "status": "scheduled",
      "created_at": "2026-04-25T10:00:00.000Z",
      "updated_at": "2026-04-25T10:00:00.000Z",
      "monitoring_at": null,
      "resolved_at": null,
      "impact": "maintenance",
      "shortlink": "https://stspg.io/def456",
      "started_at": "2026-05-02T01:00:00.000Z",
      "page_id": "kctbh9vrtdwd",
      "incident_updates": [
        {
          "id": "upd3",
          "status": "scheduled",
          "body": "We will be upgrading the database.",
          "incident_id": "mnt1",
          "created_at": "2026-04-25T10:00:00.000Z",
          "updated_at": "2026-04-25T10:00:00.000Z",
          "display_at": "2026-04-25T10:00:00.000Z",
          "affected_components": [
            {
              "code": "cmp2",
              "name": "Database",
              "old_status": "operational",
              "new_status": "operational"
            }
          ],
          "deliver_notifications": true,
          "custom_tweet": null,
          "tweet_id": null
        }
      ],
      "components": [],
      "scheduled_for": "2026-05-02T01:00:00.000Z",
      "scheduled_until": "2026-05-02T03:00:00.000Z"
    }
  ],
  "status": {
    "indicator": "major",
    "description": "Partial System Outage"
  }
}"#;

/// Statuspage's allowed values, per field.
const COMPONENT_STATUSES: &[&str] = &[
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
];
const INCIDENT_STATUSES: &[&str] = &[
    "investigating",
    "identified",
    "monitoring",
    "resolved",
    "postmortem",
];
const MAINTENANCE_STATUSES: &[&str] = &["scheduled", "in_progress", "verifying", "completed"];
const IMPACTS: &[&str] = &["none", "minor", "major", "critical", "maintenance"];
const INDICATORS: &[&str] = &["none", "minor", "major", "critical", "maintenance"];

fn t(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

fn cid(id: &str) -> ComponentId {
    ComponentId::parse(id).unwrap()
}

fn body(text: &str) -> UpdateBody {
    UpdateBody::parse(text).unwrap()
}

fn change(id: &str, old: ComponentStatus, new: ComponentStatus) -> ComponentChange {
    ComponentChange {
        component: cid(id),
        old_status: old,
        new_status: new,
    }
}

fn component(id: &str, name: &str, status: ComponentStatus, group: Option<&str>) -> Component {
    Component {
        id: cid(id),
        name: Category::parse(name).unwrap(),
        description: Some(format!("{name} service")),
        status,
        position: 1,
        group_id: group.map(cid),
        showcase: true,
        only_show_if_degraded: false,
        start_date: chrono::NaiveDate::from_ymd_opt(2025, 1, 1),
        created_at: t("2025-01-01T00:00:00Z"),
        updated_at: t("2026-05-01T10:00:00Z"),
    }
}

/// A page with every kind of object: a group with two members, a plain
/// component, a resolved and an unresolved incident, and an upcoming, an
/// active and a completed maintenance.
fn example_page() -> StatusPage {
    use ComponentStatus::*;
    let group = ComponentGroup {
        id: cid("core"),
        name: Category::parse("Core").unwrap(),
        description: None,
        position: 1,
        created_at: t("2025-01-01T00:00:00Z"),
        updated_at: t("2025-01-01T00:00:00Z"),
    };
    let mut web = component("web", "Web app", Operational, Some("core"));
    web.position = 2;
    let mut billing = component("billing", "Billing", UnderMaintenance, None);
    billing.position = 2;
    let components = vec![
        billing,
        web,
        component("api", "API", PartialOutage, Some("core")),
    ];

    let incident =
        |id: &str,
         name: &str,
         impact: Impact,
         created: &str,
         updates: Vec<(&str, PublicIncidentStatus, &str, &str, Vec<ComponentChange>)>| {
            let mut updates = updates
                .into_iter()
                .map(|(update_id, status, text, at, affected)| PublicUpdate {
                    id: UpdateId::parse(update_id).unwrap(),
                    status,
                    body: body(text),
                    at: t(at),
                    affected,
                });
            let mut incident = PublicIncident::open(
                IncidentId::parse(id).unwrap(),
                Title::parse(name).unwrap(),
                impact,
                t(created),
                updates.next().unwrap(),
            )
            .unwrap();
            for update in updates {
                incident.add_update(update).unwrap();
            }
            incident
        };
    let open = incident(
        "inc1",
        "Elevated API error rates",
        Impact::Major,
        "2026-05-01T09:55:00Z",
        vec![
            (
                "u1",
                PublicIncidentStatus::Investigating,
                "We are investigating elevated error rates.",
                "2026-05-01T10:00:00Z",
                vec![change("api", Operational, PartialOutage)],
            ),
            (
                "u2",
                PublicIncidentStatus::Identified,
                "The cause is known.",
                "2026-05-01T10:30:00Z",
                vec![],
            ),
        ],
    );
    let old = incident(
        "inc0",
        "Slow logins",
        Impact::Minor,
        "2026-04-01T08:00:00Z",
        vec![
            (
                "u0",
                PublicIncidentStatus::Monitoring,
                "A fix is out.",
                "2026-04-01T08:10:00Z",
                vec![change("web", DegradedPerformance, Operational)],
            ),
            (
                "u00",
                PublicIncidentStatus::Resolved,
                "Resolved.",
                "2026-04-01T09:00:00Z",
                vec![],
            ),
        ],
    );

    let maintenance = |id: &str, start: &str, end: &str, statuses: &[(MaintenanceStatus, &str)]| {
        let mut updates = statuses
            .iter()
            .enumerate()
            .map(|(n, &(status, at))| PublicUpdate {
                id: UpdateId::parse(&format!("{id}-{n}")).unwrap(),
                status,
                body: body("Maintenance update."),
                at: t(at),
                affected: if status == MaintenanceStatus::InProgress {
                    vec![change("billing", Operational, UnderMaintenance)]
                } else {
                    vec![]
                },
            });
        let mut m = ScheduledMaintenance::announce(
            IncidentId::parse(id).unwrap(),
            Title::parse("Database upgrade").unwrap(),
            MaintenanceWindow::new(t(start), t(end)).unwrap(),
            updates.next().unwrap(),
        )
        .unwrap();
        for update in updates {
            m.add_update(update).unwrap();
        }
        m
    };
    use MaintenanceStatus::*;
    let upcoming = maintenance(
        "mnt-next",
        "2026-05-09T01:00:00Z",
        "2026-05-09T03:00:00Z",
        &[(Scheduled, "2026-04-25T10:00:00Z")],
    );
    let active = maintenance(
        "mnt-now",
        "2026-05-01T09:00:00Z",
        "2026-05-01T12:00:00Z",
        &[
            (Scheduled, "2026-04-20T10:00:00Z"),
            (InProgress, "2026-05-01T09:00:00Z"),
        ],
    );
    let done = maintenance(
        "mnt-done",
        "2026-04-10T01:00:00Z",
        "2026-04-10T02:00:00Z",
        &[
            (Scheduled, "2026-04-01T10:00:00Z"),
            (InProgress, "2026-04-10T01:00:00Z"),
            (Verifying, "2026-04-10T01:40:00Z"),
            (Completed, "2026-04-10T01:50:00Z"),
        ],
    );

    StatusPage::new(
        PageInfo {
            id: PageId::parse("beacon").unwrap(),
            name: Name::parse("Beacon Status").unwrap(),
            url: LinkUrl::parse("https://status.example.com/").unwrap(),
            time_zone: "Etc/UTC".into(),
            updated_at: t("2026-01-01T00:00:00Z"),
        },
        vec![group],
        components,
        vec![old, open],
        vec![done, upcoming, active],
    )
    .unwrap()
}

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .cloned()
        .collect()
}

fn object<'a>(value: &'a Value, key: &str) -> &'a Value {
    value
        .get(key)
        .unwrap_or_else(|| panic!("no `{key}` in {value}"))
}

fn array<'a>(value: &'a Value, key: &str) -> &'a Vec<Value> {
    object(value, key)
        .as_array()
        .unwrap_or_else(|| panic!("`{key}` is not an array"))
}

fn is_group(component: &Value) -> bool {
    component.get("group") == Some(&Value::Bool(true))
}

/// Every object kind in a summary, each with one representative.
fn object_kinds(summary: &Value) -> Vec<(&'static str, Value)> {
    let components = array(summary, "components");
    let incident = &array(summary, "incidents")[0];
    let maintenance = &array(summary, "scheduled_maintenances")[0];
    let update_with_changes = array(incident, "incident_updates")
        .iter()
        .chain(array(maintenance, "incident_updates"))
        .find(|u| u["affected_components"].is_array())
        .expect("an update with affected components");
    vec![
        ("summary", summary.clone()),
        ("page", object(summary, "page").clone()),
        ("status", object(summary, "status").clone()),
        (
            "group",
            components.iter().find(|c| is_group(c)).unwrap().clone(),
        ),
        (
            "component",
            components.iter().find(|c| !is_group(c)).unwrap().clone(),
        ),
        ("incident", incident.clone()),
        (
            "incident component",
            array(incident, "components")[0].clone(),
        ),
        (
            "incident update",
            array(incident, "incident_updates")[0].clone(),
        ),
        (
            "affected component",
            array(update_with_changes, "affected_components")[0].clone(),
        ),
        ("scheduled maintenance", maintenance.clone()),
        (
            "maintenance update",
            array(maintenance, "incident_updates")[0].clone(),
        ),
    ]
}

/// SPEC M3, M4: every object kind we send has exactly Statuspage's keys.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn summary_objects_have_statuspage_keys() {
    let ours = serde_json::to_value(summary(&example_page())).unwrap();
    let theirs: Value = serde_json::from_str(STATUSPAGE_SUMMARY).unwrap();
    let ours = object_kinds(&ours);
    let theirs = object_kinds(&theirs);
    for ((kind, our_object), (_, their_object)) in ours.iter().zip(&theirs) {
        assert_eq!(
            keys(our_object),
            keys(their_object),
            "keys of `{kind}` differ"
        );
    }
}

fn values_at<'a>(value: &'a Value, path: &[&str], out: &mut Vec<&'a Value>) {
    match (value, path) {
        (Value::Array(items), _) => items.iter().for_each(|item| values_at(item, path, out)),
        (_, []) => out.push(value),
        (Value::Object(map), [key, rest @ ..]) => {
            if let Some(inner) = map.get(*key) {
                values_at(inner, rest, out);
            }
        }
        _ => {}
    }
}

fn assert_allowed(json: &Value, path: &[&str], allowed: &[&str]) -> usize {
    let mut found = Vec::new();
    values_at(json, path, &mut found);
    for value in &found {
        let text = value
            .as_str()
            .unwrap_or_else(|| panic!("{path:?} is not a string: {value}"));
        assert!(
            allowed.contains(&text),
            "{path:?} = `{text}` is not one of {allowed:?}"
        );
    }
    found.len()
}

/// SPEC M3, M4: every enum value we send is one Statuspage allows.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn every_value_we_send_is_one_statuspage_allows() {
    let json = serde_json::to_value(summary(&example_page())).unwrap();
    let checks: &[(&[&str], &[&str])] = &[
        (&["components", "status"], COMPONENT_STATUSES),
        (&["incidents", "components", "status"], COMPONENT_STATUSES),
        (&["incidents", "status"], INCIDENT_STATUSES),
        (&["incidents", "impact"], IMPACTS),
        (
            &["incidents", "incident_updates", "status"],
            INCIDENT_STATUSES,
        ),
        (
            &[
                "incidents",
                "incident_updates",
                "affected_components",
                "old_status",
            ],
            COMPONENT_STATUSES,
        ),
        (
            &[
                "incidents",
                "incident_updates",
                "affected_components",
                "new_status",
            ],
            COMPONENT_STATUSES,
        ),
        (&["scheduled_maintenances", "status"], MAINTENANCE_STATUSES),
        (&["scheduled_maintenances", "impact"], IMPACTS),
        (
            &["scheduled_maintenances", "incident_updates", "status"],
            MAINTENANCE_STATUSES,
        ),
        (
            &[
                "scheduled_maintenances",
                "incident_updates",
                "affected_components",
                "new_status",
            ],
            COMPONENT_STATUSES,
        ),
        (&["status", "indicator"], INDICATORS),
    ];
    for (path, allowed) in checks {
        assert!(
            assert_allowed(&json, path, allowed) > 0,
            "nothing found at {path:?}"
        );
    }

    // Every value of each closed set, not just those in the example.
    for status in ComponentStatus::ALL {
        let text = serde_json::to_value(status).unwrap();
        assert!(COMPONENT_STATUSES.contains(&text.as_str().unwrap()));
    }
    for status in PublicIncidentStatus::ALL {
        let text = serde_json::to_value(status).unwrap();
        assert!(INCIDENT_STATUSES.contains(&text.as_str().unwrap()));
    }
    for status in MaintenanceStatus::ALL {
        let text = serde_json::to_value(status).unwrap();
        assert!(MAINTENANCE_STATUSES.contains(&text.as_str().unwrap()));
    }
    for impact in Impact::ALL {
        let text = serde_json::to_value(impact).unwrap();
        assert!(IMPACTS.contains(&text.as_str().unwrap()));
    }
    for indicator in beacon_shared::status_page::Indicator::ALL {
        let text = serde_json::to_value(indicator).unwrap();
        assert!(INDICATORS.contains(&text.as_str().unwrap()));
    }
}

/// SPEC M3: Statuspage's own payload reads into our types, so both sides
/// agree on names and types, not just on keys.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_statuspage_payload_reads_into_our_types() {
    let parsed: SummaryResponse = serde_json::from_str(STATUSPAGE_SUMMARY).unwrap();
    assert_eq!(parsed.components.len(), 2);
    assert_eq!(parsed.components[0].components, Some(vec!["cmp1".into()]));
    assert_eq!(parsed.components[1].components, None);
    assert_eq!(
        parsed.incidents[0].incident_updates[1]
            .affected_components
            .as_ref()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(parsed.status.description, "Partial System Outage");
    let again = serde_json::to_value(&parsed).unwrap();
    let original: Value = serde_json::from_str(STATUSPAGE_SUMMARY).unwrap();
    for ((kind, a), (_, b)) in object_kinds(&again).iter().zip(&object_kinds(&original)) {
        assert_eq!(
            keys(a),
            keys(b),
            "keys of `{kind}` differ after a round trip"
        );
    }
}

/// SPEC M3: the summary holds the page status, every component (groups
/// followed by their members), the unresolved incidents with updates newest
/// first, and the upcoming and active maintenance.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn summary_content_follows_the_page() {
    let page = example_page();
    let s = summary(&page);
    let ids: Vec<&str> = s.components.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["core", "api", "web", "billing"]);
    assert!(s.components[0].group);
    assert_eq!(
        s.components[0].components,
        Some(vec!["api".into(), "web".into()])
    );
    assert_eq!(s.components[0].status, ComponentStatus::PartialOutage);
    assert_eq!(s.components[1].group_id.as_deref(), Some("core"));
    assert_eq!(s.components[1].start_date.as_deref(), Some("2025-01-01"));

    assert_eq!(
        s.status.indicator,
        beacon_shared::status_page::Indicator::Major
    );
    assert_eq!(s.status.description, "Partial System Outage");

    assert_eq!(s.incidents.len(), 1);
    let incident = &s.incidents[0];
    assert_eq!(incident.id, "inc1");
    assert_eq!(
        incident.shortlink,
        "https://status.example.com/incidents/inc1"
    );
    assert_eq!(incident.started_at, t("2026-05-01T09:55:00Z"));
    assert_eq!(incident.updated_at, t("2026-05-01T10:30:00Z"));
    let update_ids: Vec<&str> = incident
        .incident_updates
        .iter()
        .map(|u| u.id.as_str())
        .collect();
    assert_eq!(update_ids, ["u2", "u1"]);
    assert_eq!(incident.incident_updates[0].affected_components, None);
    let affected = incident.incident_updates[1]
        .affected_components
        .as_ref()
        .unwrap();
    assert_eq!(
        (affected[0].code.as_str(), affected[0].name.as_str()),
        ("api", "API")
    );
    assert_eq!(incident.components.len(), 1);

    let maintenance_ids: Vec<&str> = s
        .scheduled_maintenances
        .iter()
        .map(|m| m.id.as_str())
        .collect();
    assert_eq!(maintenance_ids, ["mnt-now", "mnt-next"]);
    assert_eq!(
        s.scheduled_maintenances[1].scheduled_for,
        t("2026-05-09T01:00:00Z")
    );
    assert_eq!(
        s.scheduled_maintenances[1].scheduled_until,
        t("2026-05-09T03:00:00Z")
    );
    assert_eq!(s.page.updated_at, t("2026-05-01T10:30:00Z"));
}

/// SPEC M3: the other endpoints hold what their names say, under
/// Statuspage's top-level keys.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn the_other_endpoints_select_what_their_names_say() {
    let page = example_page();
    let top = |value: Value| -> BTreeSet<String> { keys(&value) };
    let set =
        |names: &[&str]| -> BTreeSet<String> { names.iter().map(|n| n.to_string()).collect() };

    assert_eq!(
        top(serde_json::to_value(status(&page)).unwrap()),
        set(&["page", "status"])
    );
    assert_eq!(
        top(serde_json::to_value(components(&page)).unwrap()),
        set(&["page", "components"])
    );
    assert_eq!(
        top(serde_json::to_value(incidents(&page)).unwrap()),
        set(&["page", "incidents"])
    );
    assert_eq!(
        top(serde_json::to_value(scheduled_maintenances(&page)).unwrap()),
        set(&["page", "scheduled_maintenances"])
    );

    let all: Vec<String> = incidents(&page)
        .incidents
        .into_iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(all, ["inc1", "inc0"]);
    let open: Vec<String> = unresolved_incidents(&page)
        .incidents
        .into_iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(open, ["inc1"]);
    let resolved = &incidents(&page).incidents[1];
    assert_eq!(resolved.resolved_at, Some(t("2026-04-01T09:00:00Z")));
    assert_eq!(resolved.monitoring_at, Some(t("2026-04-01T08:10:00Z")));

    let ids =
        |response: beacon_shared::statuspage_wire::ScheduledMaintenancesResponse| -> Vec<String> {
            response
                .scheduled_maintenances
                .into_iter()
                .map(|m| m.id)
                .collect()
        };
    assert_eq!(
        ids(scheduled_maintenances(&page)),
        ["mnt-next", "mnt-now", "mnt-done"]
    );
    assert_eq!(ids(upcoming_maintenances(&page)), ["mnt-next"]);
    assert_eq!(ids(active_maintenances(&page)), ["mnt-now"]);
    let done = scheduled_maintenances(&page)
        .scheduled_maintenances
        .remove(2);
    assert_eq!(done.resolved_at, Some(t("2026-04-10T01:50:00Z")));
    assert_eq!(done.status, MaintenanceStatus::Completed);
}

/// SPEC R5, M3: a published postmortem turns the incident's status into
/// Statuspage's `postmortem` and is its newest update, with the report's
/// text; before, the incident shows its own status and no postmortem update.
#[test]
fn a_published_postmortem_is_the_incidents_status_and_newest_update() {
    let page = example_page();
    let mut resolved = page
        .incidents()
        .iter()
        .find(|i| i.id().to_string() == "inc0")
        .unwrap()
        .clone();
    let before = incident_json(&page, &resolved);
    assert_eq!(before.status, IncidentStatusJson::Resolved);
    assert!(before
        .incident_updates
        .iter()
        .all(|u| u.status != IncidentStatusJson::Postmortem));
    resolved.publish_postmortem(
        "A login cache was undersized.".into(),
        t("2026-04-03T10:00:00Z"),
    );
    let after = incident_json(&page, &resolved);
    assert_eq!(after.status, IncidentStatusJson::Postmortem);
    let newest = &after.incident_updates[0];
    assert_eq!(newest.status, IncidentStatusJson::Postmortem);
    assert_eq!(newest.body, "A login cache was undersized.");
    assert_eq!(newest.display_at, t("2026-04-03T10:00:00Z"));
    assert_eq!(
        after.incident_updates.len(),
        before.incident_updates.len() + 1
    );
    let json = serde_json::to_value(&after).unwrap();
    assert_allowed(&json, &["status"], INCIDENT_STATUSES);
    assert_allowed(&json, &["incident_updates", "status"], INCIDENT_STATUSES);
    assert_eq!(
        keys(&json["incident_updates"][0]),
        keys(&json["incident_updates"][1])
    );
}
