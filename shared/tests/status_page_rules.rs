//! The status page's rules (SPEC M2-M5, K1): the page indicator, incident
//! and maintenance transitions, the priority-to-impact mapping and the CSUP
//! message templates.

use beacon_shared::status_page::{
    check_incident_transition, check_maintenance_transition, derive_page_status,
    impact_for_priority, maintenance_changes, Component, ComponentChange, ComponentId,
    ComponentStatus, IdError, Impact, IncidentId, IncidentUpdate, Indicator, MaintenanceStatus,
    MaintenanceWindow, MessageTemplate, PageDescription, PageError, PageId, PageInfo,
    PublicEntryError, PublicIncident, PublicIncidentStatus, PublicUpdate, ScheduledMaintenance,
    StatusPage, TransitionError, UpdateBody, UpdateId,
};
use beacon_shared::triage::{LinkUrl, Name, TextError, Title};
use beacon_shared::{Category, Priority, Timestamp};
use ComponentStatus::*;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

fn t(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

fn category(name: &str) -> Category {
    Category::parse(name).unwrap()
}

fn cid(id: &str) -> ComponentId {
    ComponentId::parse(id).unwrap()
}

fn update<S>(id: &str, status: S, at: &str, affected: Vec<ComponentChange>) -> PublicUpdate<S> {
    PublicUpdate {
        id: UpdateId::parse(id).unwrap(),
        status,
        body: UpdateBody::parse("Text of the update.").unwrap(),
        at: t(at),
        affected,
    }
}

fn change(id: &str, old: ComponentStatus, new: ComponentStatus) -> ComponentChange {
    ComponentChange {
        component: cid(id),
        old_status: old,
        new_status: new,
    }
}

fn incident(first: IncidentUpdate) -> PublicIncident {
    PublicIncident::open(
        IncidentId::parse("inc1").unwrap(),
        Title::parse("API errors").unwrap(),
        Impact::Major,
        t("2026-05-01T09:55:00Z"),
        first,
    )
    .unwrap()
}

fn window(start: &str, end: &str) -> MaintenanceWindow {
    MaintenanceWindow::new(t(start), t(end)).unwrap()
}

/// Derives the page status and compares it with the expected indicator and
/// description.
fn check(
    components: &[ComponentStatus],
    impacts: &[Impact],
    maintenance: bool,
    indicator: Indicator,
    description: &str,
) {
    let status = derive_page_status(components, impacts, maintenance);
    assert_eq!(
        (status.indicator, status.description.as_str()),
        (indicator, description),
        "components {components:?}, incidents {impacts:?}, maintenance {maintenance}"
    );
}

/// SPEC M3: the indicator is the worst of the components' statuses and the
/// unresolved incidents' impacts; maintenance shows only when nothing is
/// wrong.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[rustfmt::skip]
fn the_page_indicator_follows_components_and_incidents() {
    use Impact as I;
    use Indicator as X;
    check(&[], &[], false, X::None, "All Systems Operational");
    check(&[Operational, Operational], &[], false, X::None, "All Systems Operational");
    check(&[Operational, Operational], &[I::None], false, X::None, "All Systems Operational");
    check(&[Operational, DegradedPerformance], &[], false, X::Minor, "Partially Degraded Service");
    check(&[Operational, PartialOutage], &[], false, X::Minor, "Minor Service Outage");
    check(&[DegradedPerformance, PartialOutage], &[], false, X::Minor, "Minor Service Outage");
    check(&[Operational, MajorOutage], &[], false, X::Major, "Partial System Outage");
    check(&[PartialOutage, MajorOutage], &[], false, X::Major, "Partial System Outage");
    check(&[MajorOutage, MajorOutage], &[], false, X::Critical, "Major System Outage");
    check(&[MajorOutage], &[], false, X::Critical, "Major System Outage");
    check(&[Operational, UnderMaintenance], &[], false, X::Maintenance, "Service Under Maintenance");
    check(&[Operational], &[], true, X::Maintenance, "Service Under Maintenance");
    check(&[UnderMaintenance, DegradedPerformance], &[], true, X::Minor, "Partially Degraded Service");
    // Incidents raise the indicator to their impact.
    check(&[Operational], &[I::Minor], false, X::Minor, "Minor Service Outage");
    check(&[DegradedPerformance], &[I::Minor], false, X::Minor, "Minor Service Outage");
    check(&[Operational], &[I::Major, I::Minor], false, X::Major, "Partial System Outage");
    check(&[Operational], &[I::Critical], false, X::Critical, "Major System Outage");
    check(&[MajorOutage, Operational], &[I::Minor], false, X::Major, "Partial System Outage");
    check(&[UnderMaintenance], &[I::Minor], true, X::Minor, "Minor Service Outage");
}

/// SPEC M3: only unresolved incidents and active maintenance count for the
/// page's status.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn resolved_incidents_do_not_count_for_the_page_status() {
    let mut open = incident(update(
        "u1",
        PublicIncidentStatus::Investigating,
        "2026-05-01T10:00:00Z",
        vec![],
    ));
    let page = |incidents: Vec<PublicIncident>, maintenances| {
        StatusPage::new(
            page_info(),
            vec![],
            vec![component("api", Operational)],
            incidents,
            maintenances,
        )
        .unwrap()
    };
    assert_eq!(
        page(vec![open.clone()], vec![]).status().indicator,
        Indicator::Major
    );
    open.add_update(update(
        "u2",
        PublicIncidentStatus::Resolved,
        "2026-05-01T11:00:00Z",
        vec![],
    ))
    .unwrap();
    assert_eq!(
        page(vec![open], vec![]).status().description,
        PageDescription::AllSystemsOperational
    );

    let mut maintenance = maintenance_on("mnt1", &[]);
    assert_eq!(
        page(vec![], vec![maintenance.clone()]).status().indicator,
        Indicator::None
    );
    maintenance
        .add_update(update(
            "m2",
            MaintenanceStatus::InProgress,
            "2026-05-02T01:00:00Z",
            vec![],
        ))
        .unwrap();
    assert_eq!(
        page(vec![], vec![maintenance]).status().indicator,
        Indicator::Maintenance
    );
}

/// SPEC M3: incident updates move forward: the same status again or a later
/// one, never back, never earlier in time, nothing after `resolved`.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn incident_transitions_only_move_forward() {
    use PublicIncidentStatus::*;
    let at = t("2026-05-01T10:00:00Z");
    let later = t("2026-05-01T10:05:00Z");
    for &from in PublicIncidentStatus::ALL {
        for &to in PublicIncidentStatus::ALL {
            let result = check_incident_transition(from, at, to, later);
            if from == Resolved {
                assert_eq!(
                    result,
                    Err(TransitionError::Finished { status: "resolved" })
                );
            } else if to < from {
                assert_eq!(
                    result,
                    Err(TransitionError::Backwards {
                        from: from.as_str(),
                        to: to.as_str()
                    })
                );
            } else {
                assert_eq!(result, Ok(()), "{from} -> {to}");
                assert_eq!(check_incident_transition(from, at, to, at), Ok(()));
                assert_eq!(
                    check_incident_transition(from, later, to, at),
                    Err(TransitionError::BeforePrevious {
                        previous: later,
                        at
                    })
                );
            }
        }
    }
    let err = check_incident_transition(Monitoring, at, Investigating, later).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot go back from `monitoring` to `investigating`"
    );
}

/// SPEC M3: an incident records its updates in order and derives its
/// status, `monitoring_at`, `resolved_at` and affected components.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn an_incident_keeps_its_timeline() {
    let mut i = incident(update(
        "u1",
        PublicIncidentStatus::Investigating,
        "2026-05-01T10:00:00Z",
        vec![change("api", Operational, MajorOutage)],
    ));
    assert!(i.is_unresolved());
    assert_eq!(i.monitoring_at(), None);
    i.add_update(update(
        "u2",
        PublicIncidentStatus::Monitoring,
        "2026-05-01T10:30:00Z",
        vec![
            change("api", MajorOutage, DegradedPerformance),
            change("web", Operational, DegradedPerformance),
        ],
    ))
    .unwrap();
    // Going back is refused and changes nothing.
    assert_eq!(
        i.add_update(update(
            "u3",
            PublicIncidentStatus::Identified,
            "2026-05-01T10:40:00Z",
            vec![]
        )),
        Err(TransitionError::Backwards {
            from: "monitoring",
            to: "identified"
        })
    );
    assert_eq!(
        i.add_update(update(
            "u3",
            PublicIncidentStatus::Resolved,
            "2026-05-01T10:29:00Z",
            vec![]
        )),
        Err(TransitionError::BeforePrevious {
            previous: t("2026-05-01T10:30:00Z"),
            at: t("2026-05-01T10:29:00Z")
        })
    );
    assert_eq!(i.updates().len(), 2);
    i.add_update(update(
        "u3",
        PublicIncidentStatus::Resolved,
        "2026-05-01T11:00:00Z",
        vec![],
    ))
    .unwrap();
    assert!(!i.is_unresolved());
    assert_eq!(i.monitoring_at(), Some(t("2026-05-01T10:30:00Z")));
    assert_eq!(i.resolved_at(), Some(t("2026-05-01T11:00:00Z")));
    assert_eq!(i.created_at(), t("2026-05-01T10:00:00Z"));
    assert_eq!(i.updated_at(), t("2026-05-01T11:00:00Z"));
    assert_eq!(i.components(), [&cid("api"), &cid("web")]);
    assert!(matches!(
        i.add_update(update(
            "u4",
            PublicIncidentStatus::Resolved,
            "2026-05-01T12:00:00Z",
            vec![]
        )),
        Err(TransitionError::Finished { .. })
    ));

    // The first update cannot precede the start; stored timelines are re-checked.
    assert_eq!(
        PublicIncident::open(
            IncidentId::parse("inc2").unwrap(),
            Title::parse("Late").unwrap(),
            Impact::Minor,
            t("2026-05-01T10:00:00Z"),
            update(
                "u1",
                PublicIncidentStatus::Investigating,
                "2026-05-01T09:00:00Z",
                vec![]
            ),
        ),
        Err(PublicEntryError::UpdateBeforeStart {
            started_at: t("2026-05-01T10:00:00Z"),
            first_update: t("2026-05-01T09:00:00Z"),
        })
    );
    let json = serde_json::to_string(&i).unwrap();
    assert_eq!(serde_json::from_str::<PublicIncident>(&json).unwrap(), i);
    let tampered = json.replace("\"resolved\"", "\"investigating\"");
    assert!(serde_json::from_str::<PublicIncident>(&tampered).is_err());
}

/// SPEC M5: maintenance moves scheduled → in_progress → verifying →
/// completed, forward only, and has a window that ends after it starts.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn maintenance_transitions_only_move_forward() {
    use MaintenanceStatus::*;
    let at = t("2026-05-02T01:00:00Z");
    let later = t("2026-05-02T02:00:00Z");
    let cases = [
        (Scheduled, at, InProgress, later, Ok(())),
        (InProgress, at, Verifying, later, Ok(())),
        (Verifying, at, Completed, later, Ok(())),
        (Scheduled, at, Completed, later, Ok(())),
        (
            Verifying,
            at,
            InProgress,
            later,
            Err(TransitionError::Backwards {
                from: "verifying",
                to: "in_progress",
            }),
        ),
        (
            InProgress,
            later,
            Verifying,
            at,
            Err(TransitionError::BeforePrevious {
                previous: later,
                at,
            }),
        ),
        (
            Completed,
            at,
            Completed,
            later,
            Err(TransitionError::Finished {
                status: "completed",
            }),
        ),
    ];
    for (from, previous, to, when, expected) in cases {
        assert_eq!(
            check_maintenance_transition(from, previous, to, when),
            expected,
            "{from:?} at {previous} to {to:?} at {when}"
        );
    }

    let start = t("2026-05-02T01:00:00Z");
    assert_eq!(
        MaintenanceWindow::new(start, start),
        Err(PublicEntryError::EmptyWindow { start, end: start })
    );

    let mut m = maintenance_on("mnt1", &[]);
    assert!(m.is_upcoming());
    m.add_update(update("m2", InProgress, "2026-05-02T01:00:00Z", vec![]))
        .unwrap();
    assert!(m.is_active());
    assert!(m
        .add_update(update("m3", Scheduled, "2026-05-02T01:30:00Z", vec![]))
        .is_err());
    m.add_update(update("m3", Verifying, "2026-05-02T02:30:00Z", vec![]))
        .unwrap();
    m.add_update(update("m4", Completed, "2026-05-02T02:45:00Z", vec![]))
        .unwrap();
    assert!(!m.is_active() && !m.is_upcoming());
    assert_eq!(m.completed_at(), Some(t("2026-05-02T02:45:00Z")));
    let json = serde_json::to_string(&m).unwrap();
    assert_eq!(
        serde_json::from_str::<ScheduledMaintenance>(&json).unwrap(),
        m
    );
}

/// SPEC M3, P0-P3: the default public impact follows the priority.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn priority_maps_to_public_impact() {
    let mapped: Vec<(Priority, Impact)> = Priority::ALL
        .into_iter()
        .map(|p| (p, impact_for_priority(p)))
        .collect();
    assert_eq!(
        mapped,
        [
            (Priority::P0, Impact::Critical),
            (Priority::P1, Impact::Major),
            (Priority::P2, Impact::Minor),
            (Priority::P3, Impact::None),
        ]
    );
    // More urgent never means less impact.
    assert!(mapped.windows(2).all(|pair| pair[0].1 >= pair[1].1));
}

/// SPEC M2: each CSUP template names the affected components and its
/// instants (UTC) and returns plain text.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn message_templates_fill_in_components_and_times() {
    let api = category("API");
    let web = category("Web app");
    let pay = category("Payments <EU>");
    let since = t("2026-11-23T03:12:00Z");

    let text = MessageTemplate::Investigating { since }.render(std::slice::from_ref(&api));
    assert!(
        text.contains("problems with API since 2026-11-23 03:12 UTC"),
        "{text}"
    );

    let text = MessageTemplate::Identified.render(&[api.clone(), web.clone()]);
    assert!(text.contains("problems with API and Web app"), "{text}");

    let text = MessageTemplate::Monitoring {
        fixed_at: t("2026-11-23T04:05:59Z"),
    }
    .render(&[api.clone(), web.clone(), pay.clone()]);
    assert!(
        text.contains("API, Web app and Payments <EU>") && text.contains("04:05 UTC"),
        "{text}"
    );

    let text = MessageTemplate::Resolved {
        resolved_at: t("2026-11-23T05:00:00Z"),
    }
    .render(&[]);
    assert!(text.contains("some of our services"), "{text}");
    assert!(text.contains("2026-11-23 05:00 UTC"), "{text}");

    let template = MessageTemplate::Maintenance {
        window: window("2026-12-01T01:00:00Z", "2026-12-01T03:30:00Z"),
    };
    let text = template.render(&[web]);
    assert!(
        text.contains("Web app from 2026-12-01 01:00 UTC to 2026-12-01 03:30 UTC"),
        "{text}"
    );
    assert_eq!(template.name(), "maintenance");
    assert_eq!(
        template
            .render_body(std::slice::from_ref(&api))
            .unwrap()
            .as_str(),
        template.render(&[api])
    );

    let names: Vec<&str> = [
        MessageTemplate::Investigating { since },
        MessageTemplate::Identified,
        MessageTemplate::Monitoring { fixed_at: since },
        MessageTemplate::Resolved { resolved_at: since },
        template,
    ]
    .iter()
    .map(|t| t.name())
    .collect();
    assert_eq!(
        names,
        [
            "investigating",
            "identified",
            "monitoring",
            "resolved",
            "maintenance"
        ]
    );
}

/// SPEC M3: status values are Statuspage's, parsed and printed alike.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn closed_sets_use_statuspage_values() {
    let values: Vec<&str> = ComponentStatus::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(
        values,
        [
            "operational",
            "under_maintenance",
            "degraded_performance",
            "partial_outage",
            "major_outage"
        ]
    );
    for &status in ComponentStatus::ALL {
        assert_eq!(status.as_str().parse::<ComponentStatus>(), Ok(status));
        assert_eq!(
            serde_json::to_string(&status).unwrap(),
            format!("\"{status}\"")
        );
    }
    let err = "down".parse::<ComponentStatus>().unwrap_err();
    assert!(err.to_string().contains("major_outage"), "{err}");
    assert_eq!(
        "in_progress".parse::<MaintenanceStatus>(),
        Ok(MaintenanceStatus::InProgress)
    );
    assert!(MajorOutage > PartialOutage && PartialOutage > DegradedPerformance);
    assert!(DegradedPerformance > UnderMaintenance && UnderMaintenance > Operational);
}

/// SPEC M3: ids and texts that cannot be shown are refused.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn ids_and_texts_are_checked() {
    assert_eq!(ComponentId::parse(""), Err(IdError::Empty));
    assert_eq!(
        ComponentId::parse("a b"),
        Err(IdError::InvalidCharacter { found: ' ' })
    );
    assert!(matches!(
        ComponentId::parse(&"x".repeat(65)),
        Err(IdError::TooLong { max: 64, got: 65 })
    ));
    assert!(ComponentId::parse("api_v2-eu").is_ok());
    assert_eq!(UpdateBody::parse("   "), Err(TextError::Empty));
    assert!(UpdateBody::parse(&"x".repeat(10_001)).is_err());
    assert_eq!(UpdateBody::parse(" fixed ").unwrap().as_str(), "fixed");
}

fn page_info() -> PageInfo {
    PageInfo {
        id: PageId::parse("beacon").unwrap(),
        name: Name::parse("Beacon Status").unwrap(),
        url: LinkUrl::parse("https://status.example.com").unwrap(),
        time_zone: "Etc/UTC".into(),
        updated_at: t("2026-01-01T00:00:00Z"),
    }
}

fn component(id: &str, status: ComponentStatus) -> Component {
    Component {
        id: cid(id),
        name: category(id),
        description: None,
        status,
        position: 1,
        group_id: None,
        showcase: true,
        only_show_if_degraded: false,
        start_date: None,
        created_at: t("2026-01-01T00:00:00Z"),
        updated_at: t("2026-01-01T00:00:00Z"),
    }
}

/// A page of `components` only: no groups, incidents or maintenance.
fn page_with(components: Vec<Component>) -> Result<StatusPage, PageError> {
    StatusPage::new(page_info(), vec![], components, vec![], vec![])
}

/// SPEC K1, M3: the page's parts must refer to each other: unique ids,
/// existing groups, existing components in updates.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_page_refuses_dangling_references() {
    let dup = page_with(vec![
        component("api", Operational),
        component("api", Operational),
    ]);
    assert_eq!(dup, Err(PageError::DuplicateId { id: "api".into() }));

    let mut orphan = component("api", Operational);
    orphan.group_id = Some(cid("core"));
    assert_eq!(
        page_with(vec![orphan]),
        Err(PageError::UnknownGroup {
            component: cid("api"),
            group: cid("core")
        })
    );

    let unknown = incident(update(
        "u1",
        PublicIncidentStatus::Investigating,
        "2026-05-01T10:00:00Z",
        vec![change("mainframe", Operational, MajorOutage)],
    ));
    assert_eq!(
        StatusPage::new(
            page_info(),
            vec![],
            vec![component("api", Operational)],
            vec![unknown],
            vec![]
        ),
        Err(PageError::UnknownComponent {
            entry: IncidentId::parse("inc1").unwrap(),
            component: cid("mainframe")
        })
    );
}

/// SPEC M5: a maintenance moves its components: `in_progress` puts them
/// under maintenance, `completed` gives back only those still under
/// maintenance; the other statuses name them without a change.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[rustfmt::skip]
fn maintenance_moves_its_components() {
    use MaintenanceStatus::*;
    let cases = [
        (Scheduled, Operational, Operational),
        (Scheduled, PartialOutage, PartialOutage),
        (InProgress, Operational, UnderMaintenance),
        (InProgress, MajorOutage, UnderMaintenance),
        (Verifying, UnderMaintenance, UnderMaintenance),
        (Completed, UnderMaintenance, Operational),
        (Completed, MajorOutage, MajorOutage),
    ];
    for (status, before, after) in cases {
        assert_eq!(status.component_status_after(before), after, "{status:?} on {before:?}");
        let c = component("api", before);
        assert_eq!(maintenance_changes(status, &[&c]), vec![change("api", before, after)]);
    }
}

/// A scheduled maintenance `id` that names `components`.
fn maintenance_on(id: &str, components: &[&str]) -> ScheduledMaintenance {
    ScheduledMaintenance::announce(
        IncidentId::parse(id).unwrap(),
        Title::parse("Database upgrade").unwrap(),
        window("2026-05-02T01:00:00Z", "2026-05-02T03:00:00Z"),
        update(
            "m1",
            MaintenanceStatus::Scheduled,
            "2026-04-25T10:00:00Z",
            components
                .iter()
                .map(|&component| change(component, Operational, Operational))
                .collect(),
        ),
    )
    .unwrap()
}

/// SPEC M3, L2: publishing changes the components at the update's instant
/// (never before their last change), stores only real changes, and lists
/// the new or updated entry first.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_publication_gives_the_page_its_next_state() {
    let base = page_with(vec![
        component("api", Operational),
        component("web", Operational),
    ])
    .unwrap();
    let changes = vec![
        change("api", Operational, MajorOutage),
        change("web", Operational, Operational),
        change("gone", Operational, MajorOutage),
    ];
    let at = t("2026-05-01T10:00:00Z");
    let changed = base.components_changed(&changes, at);
    assert_eq!(changed.len(), 1, "only api really changes");
    assert_eq!(
        (changed[0].status, changed[0].updated_at),
        (MajorOutage, at)
    );
    let early = base.components_changed(&changes, t("2025-01-01T00:00:00Z"));
    assert_eq!(early[0].updated_at, t("2026-01-01T00:00:00Z"));

    let first = incident(update(
        "u1",
        PublicIncidentStatus::Investigating,
        "2026-05-01T10:00:00Z",
        vec![change("api", Operational, MajorOutage)],
    ));
    let page = base
        .with_incident(&first, &[change("api", Operational, MajorOutage)])
        .unwrap();
    assert_eq!(page.component(&cid("api")).unwrap().status, MajorOutage);
    assert_eq!(page.component(&cid("web")).unwrap().status, Operational);
    let mut next = first.clone();
    next.add_update(update(
        "u2",
        PublicIncidentStatus::Resolved,
        "2026-05-01T11:00:00Z",
        vec![change("api", MajorOutage, Operational)],
    ))
    .unwrap();
    let page = page
        .with_incident(&next, &[change("api", MajorOutage, Operational)])
        .unwrap();
    assert_eq!(page.incidents(), &[next]);
    assert_eq!(page.component(&cid("api")).unwrap().status, Operational);
    assert!(matches!(
        base.with_incident(&first, &[]),
        Ok(p) if p.component(&cid("api")).unwrap().status == Operational
    ));

    let maintenance = maintenance_on("mnt1", &["web"]);
    let page = base.with_maintenance(&maintenance, &[]).unwrap();
    assert_eq!(page.maintenances(), &[maintenance]);
    let stray = maintenance_on("mnt2", &["mainframe"]);
    assert!(matches!(
        base.with_maintenance(&stray, &[]),
        Err(PageError::UnknownComponent { .. })
    ));
}

/// SPEC R5: a postmortem keeps the instant it was first published; a new
/// body records when it replaced the old one, the same body changes nothing,
/// and the postmortem survives the stored form.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn a_postmortem_keeps_its_first_publication() {
    let mut i = incident(update(
        "u1",
        PublicIncidentStatus::Resolved,
        "2026-05-01T10:00:00Z",
        vec![],
    ));
    assert!(i.postmortem().is_none());
    i.publish_postmortem("First text".into(), t("2026-05-03T10:00:00Z"));
    i.publish_postmortem("First text".into(), t("2026-05-04T10:00:00Z"));
    let first = i.postmortem().unwrap().clone();
    assert_eq!(first.published_at, t("2026-05-03T10:00:00Z"));
    assert_eq!(first.body_updated_at, t("2026-05-03T10:00:00Z"));
    i.publish_postmortem("Second text".into(), t("2026-05-05T10:00:00Z"));
    let second = i.postmortem().unwrap();
    assert_eq!(second.body, "Second text");
    assert_eq!(second.published_at, t("2026-05-03T10:00:00Z"));
    assert_eq!(second.body_updated_at, t("2026-05-05T10:00:00Z"));
    let stored: PublicIncident = serde_json::from_str(&serde_json::to_string(&i).unwrap()).unwrap();
    assert_eq!(stored, i);
}
