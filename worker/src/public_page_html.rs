//! The public status page as HTML (SPEC M3-M5, L1, L2): `/status`,
//! `/status/history` and `/status/incidents/{id}`, server-rendered with inline
//! CSS and no JavaScript, readable on a phone, in dark mode and by a screen
//! reader.
//!
//! Rendered with `maud`, which escapes every interpolated string, so nothing
//! user-supplied reaches the HTML unescaped. Everything shown comes from
//! [`PageView`]: the page assembled by `shared::status_page` and each
//! component's status history; availability is `shared::service_level`'s.

use beacon_shared::service_level::{
    availability, error_budget, ninety_day_bars, DayBar, DowntimeWeights, Period, SloPolicy,
    StatusHistory,
};
use beacon_shared::status_page::{
    Component, ComponentId, ComponentStatus, Impact, IncidentId, Postmortem, PublicIncident,
    PublicUpdate, ScheduledMaintenance, StatusPage,
};
use beacon_shared::triage::Title;
use beacon_shared::{format_duration, format_utc_minutes, DurationStyle, Timestamp};
use chrono::{Datelike, Month, NaiveDate};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use std::collections::BTreeMap;

/// Everything the public pages show, read at one instant.
pub struct PageView<'a> {
    pub page: &'a StatusPage,
    /// Each component's status history (see [`StatusHistory`]); a component
    /// without one counts as always in its current status.
    pub histories: &'a BTreeMap<ComponentId, StatusHistory>,
    pub slo: &'a SloPolicy,
    pub weights: &'a DowntimeWeights,
    pub now: Timestamp,
}

const STYLE: &str = r#"
:root{color-scheme:light dark;--bg:#f7f8fa;--fg:#16181d;--muted:#5b6270;--card:#fff;--line:#e3e6eb;
--ok:#1f883d;--degraded:#9a6700;--partial:#d1602b;--major:#cf222e;--maint:#0969da;--nodata:#c9ced6}
@media (prefers-color-scheme:dark){:root{--bg:#0f1115;--fg:#e8eaef;--muted:#9aa3b2;--card:#171a21;--line:#2a2f3a;
--ok:#3fb950;--degraded:#d29922;--partial:#f0883e;--major:#f85149;--maint:#58a6ff;--nodata:#3a404c}}
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:var(--bg);color:var(--fg)}
main{max-width:56rem;margin:0 auto;padding:1.5rem 1rem 3rem}a{color:inherit}
h1{font-size:1.5rem;margin:0 0 1rem}h2{font-size:1.15rem;margin:2rem 0 .75rem}h3{font-size:1.05rem;margin:0 0 .25rem;overflow-wrap:anywhere}
.banner{padding:1rem 1.25rem;border-radius:.5rem;color:#fff;font-weight:600;background:var(--ok)}
.banner.minor{background:var(--degraded)}.banner.major{background:var(--partial)}.banner.critical{background:var(--major)}.banner.maintenance{background:var(--maint)}
ol,ul{list-style:none;padding:0;margin:0}
.card{background:var(--card);border:1px solid var(--line);border-radius:.5rem;padding:1rem 1.25rem;margin:0 0 .75rem}
.meta{color:var(--muted);font-size:.9rem}
.update{margin:.75rem 0 0;padding-left:.75rem;border-left:3px solid var(--line)}.update p{margin:.15rem 0;white-space:pre-wrap;overflow-wrap:anywhere}
.label{display:inline-block;font-size:.8rem;font-weight:600;padding:.05rem .5rem;border-radius:1rem;color:#fff;background:var(--muted);margin-right:.5rem}
.impact-critical{background:var(--major)}.impact-major{background:var(--partial)}.impact-minor{background:var(--degraded)}
.component{display:flex;flex-wrap:wrap;justify-content:space-between;gap:.25rem 1rem;padding:.75rem 0;border-top:1px solid var(--line)}
.component:first-child{border-top:0}.component .name{font-weight:600}
.st-operational{color:var(--ok)}.st-degraded_performance{color:var(--degraded)}.st-partial_outage{color:var(--partial)}.st-major_outage{color:var(--major)}.st-under_maintenance{color:var(--maint)}
.bars{display:flex;gap:1px;width:100%;height:2rem;margin:.25rem 0 0}.bars li{flex:1;border-radius:1px;background:var(--ok)}
.bars .d-degraded_performance{background:var(--degraded)}.bars .d-partial_outage{background:var(--partial)}.bars .d-major_outage{background:var(--major)}
.bars .d-under_maintenance{background:var(--maint)}.bars .d-none{background:var(--nodata)}
.range{display:flex;justify-content:space-between;width:100%;color:var(--muted);font-size:.8rem}
table{width:100%;border-collapse:collapse;font-size:.95rem}th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid var(--line)}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}.over{color:var(--major);font-weight:600}
.table{max-width:100%;overflow-x:auto}nav.links{margin-top:2rem;display:flex;flex-wrap:wrap;gap:.5rem 1.25rem}
footer{margin-top:1rem;color:var(--muted);font-size:.85rem}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (max-width:40rem){main{padding:1rem .75rem 2rem}a{display:inline-flex;align-items:center;min-height:2.75rem}
.card{padding:.75rem}
.availability thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
.availability table,.availability tbody{display:block}
.availability tr{display:grid;grid-template-columns:1fr 1fr;gap:.35rem 1rem;padding:.6rem 0;border-bottom:1px solid var(--line)}
.availability th,.availability td{border:0;padding:0;text-align:left}.availability th{grid-column:1/-1}
.availability td::before{content:attr(data-label);display:block;color:var(--muted);font-size:.8rem;font-weight:400}}
"#;

fn time_tag(at: Timestamp) -> Markup {
    html! { time datetime=(at.to_string()) { (format_utc_minutes(at)) } }
}

/// `99.95 %`, never rounded up to 100 unless it is 100.
fn percent(value: f64) -> String {
    let floored = (value * 100.0).floor() / 100.0;
    format!("{floored:.2} %")
}

/// An HTML page: the head every page has, with `head_meta` before the title
/// and `head_links` after it, then `main`.
fn document(title: &str, head_meta: Markup, head_links: Markup, main: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                (head_meta)
                title { (title) }
                (head_links)
                style { (PreEscaped(STYLE)) }
            }
            body { main { (main) } }
        }
    }
    .into_string()
}

fn layout(view: &PageView, title: &str, content: Markup) -> String {
    let page = view.page;
    document(
        title,
        html! { meta name="color-scheme" content="light dark"; },
        html! {
            link rel="alternate" type="application/atom+xml" title="Incident history (Atom)" href="/history.atom";
            link rel="alternate" type="application/rss+xml" title="Incident history (RSS)" href="/history.rss";
        },
        html! {
            (content)
            nav.links aria-label="More" {
                a href="/status" { "Current status" }
                a href="/status/history" { "Incident history" }
                a href="/history.atom" { "Atom feed" }
                a href="/history.rss" { "RSS feed" }
                a href="/api/v2/summary.json" { "JSON API" }
            }
            footer {
                (page.info().name.as_str()) " status · updated " (time_tag(view.now))
            }
        },
    )
}

fn component_names(page: &StatusPage, ids: &[&ComponentId]) -> String {
    page.components_of(ids.iter().copied())
        .into_iter()
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn updates_list<S: Copy>(
    updates: &[PublicUpdate<S>],
    status_name: impl Fn(S) -> &'static str,
) -> Markup {
    html! {
        ol {
            @for update in updates.iter().rev() {
                li.update {
                    p { strong { (status_name(update.status)) } " · " span.meta { (time_tag(update.at)) } }
                    p { (update.body.as_str()) }
                }
            }
        }
    }
}

/// An incident's or maintenance's name, linking to its own page on lists.
fn entry_heading(id: &IncidentId, name: &Title, link: bool) -> Markup {
    html! {
        h3 {
            @if link {
                a href={ "/status/incidents/" (id.as_str()) } { (name.as_str()) }
            } @else {
                (name.as_str())
            }
        }
    }
}

fn incident_card(page: &StatusPage, incident: &PublicIncident, heading_link: bool) -> Markup {
    let impact = incident.impact();
    let affected = component_names(page, &incident.components());
    html! {
        article.card id={ "incident-" (incident.id().as_str()) } {
            (entry_heading(incident.id(), incident.name(), heading_link))
            p.meta {
                @if impact != Impact::None {
                    span class={ "label impact-" (impact.as_str()) } { (impact.label()) " impact" }
                }
                span.label { (incident.status().label()) }
                "Started " (time_tag(incident.started_at()))
                @if !affected.is_empty() { " · Affects " (affected) }
            }
            @if !heading_link {
                @if let Some(postmortem) = incident.postmortem() {
                    (postmortem_section(postmortem))
                }
            }
            (updates_list(incident.updates(), |s| s.label()))
        }
    }
}

/// The published incident report (SPEC R5), its plain text in paragraphs.
pub(crate) fn postmortem_section(postmortem: &Postmortem) -> Markup {
    html! {
        section.postmortem {
            h4 { "Postmortem" }
            p.meta {
                "Published " (time_tag(postmortem.published_at))
                @if postmortem.body_updated_at != postmortem.published_at {
                    " · updated " (time_tag(postmortem.body_updated_at))
                }
            }
            @for paragraph in postmortem.body.split("\n\n") {
                p {
                    @for (i, line) in paragraph.lines().enumerate() {
                        @if i > 0 { br; }
                        (line)
                    }
                }
            }
        }
    }
}

fn maintenance_card(
    page: &StatusPage,
    maintenance: &ScheduledMaintenance,
    heading_link: bool,
) -> Markup {
    let window = maintenance.window();
    let affected = component_names(page, &maintenance.components());
    html! {
        article.card id={ "maintenance-" (maintenance.id().as_str()) } {
            (entry_heading(maintenance.id(), maintenance.name(), heading_link))
            p.meta {
                span.label.st-under_maintenance { "Maintenance · " (maintenance.status().label()) }
                (time_tag(window.start())) " – " (time_tag(window.end()))
                @if !affected.is_empty() { " · Affects " (affected) }
            }
            (updates_list(maintenance.updates(), |s| s.label()))
        }
    }
}

/// The days before a component was created have no data.
fn created_date(component: &Component) -> NaiveDate {
    component
        .start_date
        .unwrap_or_else(|| component.created_at.date())
}

fn history_of<'a>(
    view: &'a PageView,
    component: &Component,
) -> std::borrow::Cow<'a, StatusHistory> {
    match view.histories.get(&component.id) {
        Some(history) => std::borrow::Cow::Borrowed(history),
        None => std::borrow::Cow::Owned(StatusHistory::constant(component.status)),
    }
}

fn bar_label(bar: &DayBar, created: NaiveDate) -> (String, String) {
    let date = beacon_shared::status_page::format_date(bar.date);
    if bar.date < created {
        return ("d-none".into(), format!("{date}: no data"));
    }
    let down: Vec<String> = [
        ComponentStatus::MajorOutage,
        ComponentStatus::PartialOutage,
        ComponentStatus::DegradedPerformance,
        ComponentStatus::UnderMaintenance,
    ]
    .iter()
    .filter(|s| bar.time_in_status.millis(**s) > 0)
    .map(|s| {
        format!(
            "{} {}",
            s.label().to_lowercase(),
            format_duration(bar.time_in_status.millis(*s), DurationStyle::Short)
        )
    })
    .collect();
    let detail = if down.is_empty() {
        String::new()
    } else {
        format!(" ({})", down.join(", "))
    };
    (
        format!("d-{}", bar.worst_status.as_str()),
        format!("{date}: {}{detail}", percent(bar.percent())),
    )
}

/// Availability over the bars' days since the component was created.
fn ninety_day_percent(bars: &[DayBar], created: NaiveDate) -> f64 {
    let (measured, down) =
        bars.iter()
            .filter(|b| b.date >= created)
            .fold((0i64, 0i64), |(m, d), b| {
                (
                    m + b.availability.measured_millis(),
                    d + b.availability.downtime_millis(),
                )
            });
    if measured <= 0 {
        100.0
    } else {
        100.0 * (measured - down.min(measured)) as f64 / measured as f64
    }
}

fn component_row(view: &PageView, component: &Component) -> Markup {
    let created = created_date(component);
    let history = history_of(view, component);
    let bars = component
        .showcase
        .then(|| ninety_day_bars(&history, view.now, view.weights));
    html! {
        li.component id={ "component-" (component.id.as_str()) } {
            span.name { (component.name.as_str()) }
            span class={ "st-" (component.status.as_str()) } { (component.status.label()) }
            @if let Some(bars) = bars {
                @let uptime = ninety_day_percent(&bars, created);
                ol.bars role="img" aria-label={ (component.name.as_str()) ": " (percent(uptime)) " uptime over the last 90 days" } {
                    @for bar in &bars {
                        @let (class, label) = bar_label(bar, created);
                        li class=(class) title=(label) {}
                    }
                }
                div.range aria-hidden="true" {
                    span { "90 days ago" } span { (percent(uptime)) " uptime" } span { "Today" }
                }
            }
        }
    }
}

fn shown(component: &Component) -> bool {
    !(component.only_show_if_degraded && component.status == ComponentStatus::Operational)
}

fn components_section(view: &PageView) -> Markup {
    let page = view.page;
    let ungrouped: Vec<&Component> = page
        .components()
        .iter()
        .filter(|c| c.group_id.is_none() && shown(c))
        .collect();
    html! {
        section aria-labelledby="components-heading" {
            h2 #components-heading { "Components" }
            @if page.components().is_empty() {
                p.meta { "No components are listed yet." }
            }
            @for group in page.groups() {
                @let members: Vec<&Component> = page.members(&group.id).into_iter().filter(|c| shown(c)).collect();
                @if !members.is_empty() {
                    div.card {
                        h3 { (group.name.as_str()) " "
                            span class={ "st-" (page.group_status(&group.id).as_str()) } { "· " (page.group_status(&group.id).label()) } }
                        ul { @for component in members { (component_row(view, component)) } }
                    }
                }
            }
            @if !ungrouped.is_empty() {
                ul.card { @for component in ungrouped { (component_row(view, component)) } }
            }
        }
    }
}

/// The UTC month `at` falls in, and its year: (`November`, 2026).
fn month_of(at: Timestamp) -> (Month, i32) {
    let day = at.date();
    let month = Month::try_from(day.month() as u8).unwrap_or(Month::January);
    (month, day.year())
}

fn availability_section(view: &PageView) -> Markup {
    let (month, year) = month_of(view.now);
    let month_label = format!("{} {year}", month.name());
    let rows: Vec<Markup> = view
        .page
        .components()
        .iter()
        .filter_map(|component| {
            let history = history_of(view, component);
            let from = component.created_at;
            let clip = |period: Period| {
                Period::new(period.from().max(from).min(period.to()), period.to()).unwrap_or(period)
            };
            let month_report = availability(&history, clip(Period::month(year, month).ok()?), view.now, view.weights);
            let year_report = availability(&history, clip(Period::year(year).ok()?), view.now, view.weights);
            let slo = view.slo.slo_for(&component.id);
            let budget = error_budget(&month_report, slo);
            // `data-label` names each cell where phones show the rows stacked.
            Some(html! {
                tr {
                    th scope="row" { (component.name.as_str()) }
                    td.num data-label=(month_label) { (percent(month_report.percent())) }
                    td.num data-label=(year) { (percent(year_report.percent())) }
                    td.num data-label="Target" { (slo.to_string()) }
                    td.num class=[budget.is_exceeded().then_some("over")] data-label="Error budget this month" {
                        @if budget.is_exceeded() { "exceeded by " (format_duration(-budget.remaining_millis, DurationStyle::Short)) }
                        @else { (format_duration(budget.remaining_millis, DurationStyle::Short)) " left" }
                    }
                }
            })
        })
        .collect();
    html! {
        section aria-labelledby="availability-heading" {
            h2 #availability-heading { "Availability" }
            @if rows.is_empty() {
                p.meta { "No components are listed yet." }
            } @else {
                div.table.availability {
                    table {
                        caption.sr { "Availability per component for " (month.name()) " " (year) " and the year " (year) }
                        thead { tr {
                            th scope="col" { "Component" }
                            th.num scope="col" { (month_label) }
                            th.num scope="col" { (year) }
                            th.num scope="col" { "Target" }
                            th.num scope="col" { "Error budget this month" }
                        } }
                        tbody { @for row in rows { (row) } }
                    }
                }
                p.meta { "Measured in UTC up to now. Major outage counts as down, partial outage as 30 % down, degraded performance as up; maintenance is not counted." }
            }
        }
    }
}

/// `/status`: the banner, what is going on now, the components with their
/// 90-day bars, and availability this month and year.
pub fn render_status(view: &PageView) -> String {
    let page = view.page;
    let status = page.status();
    let unresolved = page.unresolved_incidents();
    let maintenances: Vec<&ScheduledMaintenance> = page
        .maintenances()
        .iter()
        .filter(|m| m.is_active() || m.is_upcoming())
        .collect();
    let content = html! {
        h1 { (page.info().name.as_str()) " status" }
        div class={ "banner " (status.indicator.as_str()) } role="status" { (status.description.as_str()) }
        @if !unresolved.is_empty() {
            section aria-labelledby="incidents-heading" {
                h2 #incidents-heading { "Current incidents" }
                @for incident in &unresolved { (incident_card(page, incident, true)) }
            }
        }
        @if !maintenances.is_empty() {
            section aria-labelledby="maintenance-heading" {
                h2 #maintenance-heading { "Scheduled maintenance" }
                @for maintenance in &maintenances { (maintenance_card(page, maintenance, true)) }
            }
        }
        (components_section(view))
        (availability_section(view))
    };
    layout(
        view,
        &format!("{} status", page.info().name.as_str()),
        content,
    )
}

/// `/status/history`: every incident and maintenance, newest first, by month.
pub fn render_history(view: &PageView) -> String {
    let page = view.page;
    enum Entry<'a> {
        Incident(&'a PublicIncident),
        Maintenance(&'a ScheduledMaintenance),
    }
    let mut entries: Vec<(Timestamp, Entry)> = page
        .incidents()
        .iter()
        .map(|i| (i.started_at(), Entry::Incident(i)))
        .chain(
            page.maintenances()
                .iter()
                .map(|m| (m.window().start(), Entry::Maintenance(m))),
        )
        .collect();
    entries.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
    let mut months: Vec<(String, Vec<Entry>)> = Vec::new();
    for (at, entry) in entries {
        let (month, year) = month_of(at);
        let month = format!("{} {year}", month.name());
        match months.last_mut() {
            Some((last, list)) if *last == month => list.push(entry),
            _ => months.push((month, vec![entry])),
        }
    }
    let content = html! {
        h1 { "Incident history" }
        @if months.is_empty() {
            p.meta { "No incidents reported." }
        }
        @for (month, list) in &months {
            section {
                h2 { (month) }
                @for entry in list {
                    @match entry {
                        Entry::Incident(incident) => (incident_card(page, incident, true)),
                        Entry::Maintenance(maintenance) => (maintenance_card(page, maintenance, true)),
                    }
                }
            }
        }
    };
    layout(
        view,
        &format!("{} incident history", page.info().name.as_str()),
        content,
    )
}

/// `/status/incidents/{id}`: one incident or maintenance with all its
/// updates; `None` if the page has neither with that id.
pub fn render_incident(view: &PageView, id: &IncidentId) -> Option<String> {
    let page = view.page;
    let (title, card) = if let Some(incident) = page.incidents().iter().find(|i| i.id() == id) {
        (
            incident.name().as_str().to_owned(),
            incident_card(page, incident, false),
        )
    } else {
        let maintenance = page.maintenances().iter().find(|m| m.id() == id)?;
        (
            maintenance.name().as_str().to_owned(),
            maintenance_card(page, maintenance, false),
        )
    };
    let content = html! {
        p { a href="/status" { "← " (page.info().name.as_str()) " status" } }
        h1 { (title) }
        (card)
    };
    Some(layout(view, &title, content))
}

/// What `/status` says when neither D1 nor the cache can answer.
pub fn render_unavailable() -> String {
    document(
        "Status temporarily unavailable",
        html! {},
        html! {},
        html! {
            h1 { "Status temporarily unavailable" }
            p { "The status page cannot be read right now. Please try again in a minute." }
        },
    )
}

#[cfg(test)]
pub(crate) mod tests;
