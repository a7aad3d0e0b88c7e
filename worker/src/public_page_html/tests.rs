//! Rendering tests for the public HTML pages, on a page built in memory.

use super::*;
use beacon_shared::category::Category;
use beacon_shared::service_level::{Slo, StatusChange};
use beacon_shared::status_page::{
    ComponentChange, IncidentUpdate, MaintenanceStatus, MaintenanceUpdate, MaintenanceWindow,
    PageId, PageInfo, PublicIncidentStatus, UpdateBody, UpdateId,
};
use beacon_shared::triage::{LinkUrl, Name, Title};

pub(crate) const DAY: i64 = 86_400_000;
/// 2026-11-24T12:00:00Z
pub(crate) const NOW: i64 = 1_795_521_600_000;

pub(crate) fn at(ms: i64) -> Timestamp {
    Timestamp::from_unix_millis(ms)
}

pub(crate) fn component(id: &str, name: &str, status: ComponentStatus) -> Component {
    Component {
        id: ComponentId::parse(id).unwrap(),
        name: Category::parse(name).unwrap(),
        description: None,
        status,
        position: 0,
        group_id: None,
        showcase: true,
        only_show_if_degraded: false,
        start_date: None,
        created_at: at(NOW - 200 * DAY),
        updated_at: at(NOW - DAY),
    }
}

pub(crate) fn incident(
    id: &str,
    name: &str,
    status: PublicIncidentStatus,
    body: &str,
) -> PublicIncident {
    PublicIncident::open(
        IncidentId::parse(id).unwrap(),
        Title::parse(name).unwrap(),
        Impact::Major,
        at(NOW - 3_600_000),
        IncidentUpdate {
            id: UpdateId::parse(&format!("{id}u1")).unwrap(),
            status,
            body: UpdateBody::parse(body).unwrap(),
            at: at(NOW - 3_600_000),
            affected: vec![ComponentChange {
                component: ComponentId::parse("payments").unwrap(),
                old_status: ComponentStatus::Operational,
                new_status: ComponentStatus::PartialOutage,
            }],
        },
    )
    .unwrap()
}

pub(crate) fn maintenance(id: &str, name: &str) -> ScheduledMaintenance {
    ScheduledMaintenance::announce(
        IncidentId::parse(id).unwrap(),
        Title::parse(name).unwrap(),
        MaintenanceWindow::new(at(NOW + DAY), at(NOW + DAY + 7_200_000)).unwrap(),
        MaintenanceUpdate {
            id: UpdateId::parse(&format!("{id}u1")).unwrap(),
            status: MaintenanceStatus::Scheduled,
            body: UpdateBody::parse("Database upgrade").unwrap(),
            at: at(NOW - DAY),
            affected: vec![],
        },
    )
    .unwrap()
}

pub(crate) fn page(
    components: Vec<Component>,
    incidents: Vec<PublicIncident>,
    maintenances: Vec<ScheduledMaintenance>,
) -> StatusPage {
    StatusPage::new(
        PageInfo {
            id: PageId::parse("beacon").unwrap(),
            name: Name::parse("Beacon").unwrap(),
            url: LinkUrl::parse("https://status.example.com/status").unwrap(),
            time_zone: "Etc/UTC".into(),
            updated_at: at(0),
        },
        vec![],
        components,
        incidents,
        maintenances,
    )
    .unwrap()
}

/// A page on which Payments is partly out because of incident `inc1`,
/// called `name`, whose first update says `body`.
pub(crate) fn payments_outage_page(
    name: &str,
    body: &str,
    maintenances: Vec<ScheduledMaintenance>,
) -> StatusPage {
    page(
        vec![component(
            "payments",
            "Payments",
            ComponentStatus::PartialOutage,
        )],
        vec![incident(
            "inc1",
            name,
            PublicIncidentStatus::Investigating,
            body,
        )],
        maintenances,
    )
}

/// `show` applied to `page` as seen at `NOW` with a 99.9 % target.
fn with_view<R>(
    page: &StatusPage,
    histories: &BTreeMap<ComponentId, StatusHistory>,
    show: impl FnOnce(&PageView) -> R,
) -> R {
    show(&PageView {
        page,
        histories,
        slo: &SloPolicy::new(Slo::from_percent(99.9).unwrap()),
        weights: &DowntimeWeights::default(),
        now: at(NOW),
    })
}

fn render(page: &StatusPage, histories: &BTreeMap<ComponentId, StatusHistory>) -> String {
    with_view(page, histories, render_status)
}

/// SPEC M3: a title with markup is shown as text on every public HTML page.
#[test]
fn markup_in_titles_and_updates_is_escaped() {
    let page = payments_outage_page(
        "<script>alert(1)</script> & <b>bold</b>",
        "<img src=x onerror=alert(2)>",
        vec![],
    );
    let id = IncidentId::parse("inc1").unwrap();
    let pages = with_view(&page, &BTreeMap::new(), |view| {
        [
            render_status(view),
            render_history(view),
            render_incident(view, &id).unwrap(),
        ]
    });
    for html in pages {
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(!html.contains("<img src=x"), "{html}");
        assert!(!html.contains("<b>bold"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;")
        );
        assert!(html.contains("&lt;img src=x onerror=alert(2)&gt;"));
    }
}

/// SPEC M3, M4: the banner says what the page status says; an unresolved
/// incident is listed with its update and the components it affects.
#[test]
fn the_page_shows_the_banner_incidents_and_components() {
    let page = page(
        vec![
            component("payments", "Payments", ComponentStatus::PartialOutage),
            component("login", "Login", ComponentStatus::Operational),
        ],
        vec![incident(
            "inc1",
            "Card payments fail",
            PublicIncidentStatus::Identified,
            "We found it.",
        )],
        vec![maintenance("mnt1", "Database upgrade window")],
    );
    let html = render(&page, &BTreeMap::new());
    assert!(html.contains("Partial System Outage"), "{html}");
    assert!(html.contains("class=\"banner major\""));
    assert!(html.contains("Card payments fail"));
    assert!(html.contains("We found it."));
    assert!(html.contains("Affects Payments"));
    assert!(html.contains("Database upgrade window"));
    assert!(html.contains("href=\"/status/incidents/inc1\""));
    assert!(!html.contains("<script"), "no JavaScript on the page");
}

/// SPEC L2: 90 bars per showcased component; a day with 43 min 12 s of major
/// outage is red and says so; days before the component existed have no data.
#[test]
fn ninety_day_bars_show_each_day() {
    let mut payments = component("payments", "Payments", ComponentStatus::Operational);
    payments.created_at = at(NOW - 10 * DAY);
    payments.start_date = Some(payments.created_at.date());
    let outage_start = NOW - 2 * DAY;
    let history = StatusHistory::new(
        ComponentStatus::Operational,
        vec![
            StatusChange {
                at: at(outage_start),
                status: ComponentStatus::MajorOutage,
            },
            StatusChange {
                at: at(outage_start + 2_592_000),
                status: ComponentStatus::Operational,
            },
        ],
    )
    .unwrap();
    let page = page(vec![payments], vec![], vec![]);
    let histories = BTreeMap::from([(ComponentId::parse("payments").unwrap(), history)]);
    let html = render(&page, &histories);
    let bars = html.matches("<li class=\"d-").count();
    assert_eq!(bars, 90, "{html}");
    assert_eq!(
        html.matches("class=\"d-none\"").count(),
        79,
        "the 79 days before it was created"
    );
    assert!(
        html.contains("2026-11-22: 97.00 % (major outage 43 min 12 s)"),
        "{html}"
    );
    assert_eq!(html.matches("class=\"d-major_outage\"").count(), 1);
}

/// SPEC L1, L2: this month's availability and the error budget against the SLO.
#[test]
fn availability_table_shows_month_year_and_budget() {
    let payments = component("payments", "Payments", ComponentStatus::Operational);
    let history = StatusHistory::new(
        ComponentStatus::Operational,
        vec![
            StatusChange {
                at: at(NOW - 2 * DAY),
                status: ComponentStatus::MajorOutage,
            },
            StatusChange {
                at: at(NOW - 2 * DAY + 3_600_000),
                status: ComponentStatus::Operational,
            },
        ],
    )
    .unwrap();
    let page = page(vec![payments], vec![], vec![]);
    let histories = BTreeMap::from([(ComponentId::parse("payments").unwrap(), history)]);
    let html = render(&page, &histories);
    assert!(html.contains("November 2026"), "{html}");
    assert!(html.contains("99.9 %"), "the target: {html}");
    // One hour down in November (30 days): the 43 min 12 s budget is exceeded.
    assert!(html.contains("exceeded by 16 min 48 s"), "{html}");
}

/// SPEC K3 is decided before rendering: the page shows only what it is given,
/// and a component that only shows when degraded is hidden while operational.
#[test]
fn components_shown_only_when_degraded_are_hidden_while_operational() {
    let mut quiet = component("batch", "Batch", ComponentStatus::Operational);
    quiet.only_show_if_degraded = true;
    let page = page(vec![quiet], vec![], vec![]);
    let html = render(&page, &BTreeMap::new());
    assert!(!html.contains("component-batch"));
    assert!(html.contains("All Systems Operational"));
}

#[test]
fn an_unknown_incident_has_no_page() {
    let page = page(vec![], vec![], vec![]);
    let unknown = IncidentId::parse("nope").unwrap();
    assert!(with_view(&page, &BTreeMap::new(), |view| render_incident(
        view, &unknown
    ))
    .is_none());
}

#[test]
fn durations_read_naturally() {
    assert_eq!(format_duration(0, DurationStyle::Short), "0 s");
    assert_eq!(
        format_duration(2_592_000, DurationStyle::Short),
        "43 min 12 s"
    );
    assert_eq!(
        format_duration(4_320_000, DurationStyle::Short),
        "1 h 12 min"
    );
    assert_eq!(
        format_duration(-1_008_000, DurationStyle::Short),
        "−16 min 48 s"
    );
    assert_eq!(
        format_duration(3 * DAY + 3_600_000, DurationStyle::Short),
        "3 d 1 h"
    );
}

#[test]
fn percentages_are_never_rounded_up_to_a_better_figure() {
    assert_eq!(percent(99.999), "99.99 %");
    assert_eq!(percent(100.0), "100.00 %");
}

/// SPEC R5, M3: a published postmortem is on the incident's own page,
/// escaped, paragraph by paragraph; the history list keeps to the updates.
#[test]
fn the_incident_page_shows_its_postmortem() {
    let mut incident = incident(
        "inc1",
        "Card payments fail",
        PublicIncidentStatus::Investigating,
        "Looking into it",
    );
    incident.publish_postmortem(
        "Root cause\n\nThe <b>pool</b> was too small.\n- Alert on saturation".into(),
        at(NOW),
    );
    let page = page(
        vec![component(
            "payments",
            "Payments",
            ComponentStatus::PartialOutage,
        )],
        vec![incident],
        vec![],
    );
    let id = IncidentId::parse("inc1").unwrap();
    let (own, history) = with_view(&page, &BTreeMap::new(), |view| {
        (render_incident(view, &id).unwrap(), render_history(view))
    });
    assert!(own.contains("<h4>Postmortem</h4>"), "{own}");
    assert!(own.contains("The &lt;b&gt;pool&lt;/b&gt; was too small.<br>- Alert on saturation"));
    assert!(!own.contains("<b>pool"));
    assert!(!history.contains("Postmortem"));
}
