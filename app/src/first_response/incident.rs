//! One ticket: its facts and priority with the reasons, its timeline, its
//! alerts, the escalation panel (SPEC E3, E4: the duty incident commander,
//! whether the current episode was acknowledged, a live countdown to the
//! next time limit, acknowledging, pulling in a team) and the actions its
//! state and the reader's role allow: lifecycle steps, priority and
//! category changes, the impact start, work logs and links, problems.

use super::{badge, dom, refusal, with_reader, Reader};
use crate::api::{self, ApiFailure};
use beacon_shared::api::glance::{AlertListGlance, IncidentDetailGlance, TimelineLine};
use beacon_shared::api::post_incident::NewProblem;
use beacon_shared::api::{
    CategoryChange, EscalationView, ImpactStartChange, NewTimelineEntry, PriorityChange,
    PullInTeam, TimelineEntryKind, TransitionRequest,
};
use beacon_shared::category::{Category, Label};
use beacon_shared::escalation::{Deadline, DeadlineKind};
use beacon_shared::lifecycle::{ClosingConfirmation, TransitionKind};
use beacon_shared::priority_override::check_priority_change;
use beacon_shared::problem::ProblemOrigin;
use beacon_shared::role::Role;
use beacon_shared::triage::{LinkUrl, Name, Title, WorkLogText};
use beacon_shared::{format_duration, DurationStyle, Priority, Timestamp};
use maud::{html, Markup};
use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use web_sys::Element;

/// "within 14 min 05 s", "overdue by 1 h 02 min": time left to a limit, or
/// past it, in words.
pub fn countdown_text(left: i64) -> String {
    let text = format_duration(left.saturating_abs(), DurationStyle::Countdown);
    if left >= 0 {
        format!("within {text}")
    } else {
        format!("overdue by {text}")
    }
}

/// What meeting the limit means, for the countdown's label.
pub fn deadline_label(kind: DeadlineKind) -> &'static str {
    match kind {
        DeadlineKind::Acknowledge => "Acknowledge",
        DeadlineKind::FirstUpdate => "First customer update",
        DeadlineKind::Update => "Next customer update",
        DeadlineKind::Resolve => "Resolve",
    }
}

/// The limit to show first: the earliest one.
pub fn next_deadline(view: &EscalationView) -> Option<Deadline> {
    view.deadlines.iter().min_by_key(|d| d.at).copied()
}

/// Whether the panel offers to acknowledge: nobody acknowledged the current
/// episode (an acknowledgement before an upgrade to P0 does not count) and a
/// limit is still running.
pub fn offers_acknowledgement(view: &EscalationView) -> bool {
    view.acknowledged_by.is_none() && !view.deadlines.is_empty()
}

/// `2026-11-23 14:05:09 UTC`: incident times are compared across time zones.
fn utc(at: Timestamp) -> String {
    let text = at.to_string();
    let text = text.trim_end_matches('Z');
    let text = text.split('.').next().unwrap_or(text);
    format!("{} UTC", text.replacen('T', " ", 1))
}

/// Everything the page shows, as last answered by the edge.
struct Ticket {
    id: i64,
    reader: Reader,
    detail: Option<IncidentDetailGlance>,
    categories: Option<Vec<String>>,
    escalation: Option<EscalationView>,
    /// A change is on its way.
    busy: bool,
}

type Shared = Rc<RefCell<Ticket>>;

pub fn show(page: &Element, reader: &Reader, id: Option<i64>) {
    let Some(id) = id else {
        return dom::write(page, html! { p.error { "No such incident." } });
    };
    let Some(token) = reader.csrf.clone() else {
        return dom::write(
            page,
            html! { p.error role="alert" { "Sign in to see this incident." } },
        );
    };
    let ticket = Rc::new(RefCell::new(Ticket {
        id,
        reader: reader.clone(),
        detail: None,
        categories: None,
        escalation: None,
        busy: false,
    }));
    dom::write(page, html! { p.muted id="incident-loading" { "Loading…" } });
    // The alerts are asked for at once; whichever answer comes second shows them.
    let alerts: Rc<RefCell<Option<AlertListGlance>>> = Rc::default();
    let alerts_token = token.clone();
    let arrived = alerts.clone();
    dom::spawn(async move {
        if let Ok(list) = api::incident_alerts(&alerts_token, id).await {
            if dom::by_id("incident-alerts-region").is_some() {
                dom::write_into("incident-alerts-region", alerts_list(list));
            } else {
                *arrived.borrow_mut() = Some(list);
            }
        }
    });
    let loaded = ticket.clone();
    let page_element = page.clone();
    dom::spawn(async move {
        match api::incident(&token, id).await {
            Ok(detail) => {
                loaded.borrow_mut().detail = Some(detail);
                dom::write(&page_element, skeleton());
                render(&loaded);
                load_escalation(&loaded);
                if let Some(list) = alerts.borrow_mut().take() {
                    dom::write_into("incident-alerts-region", alerts_list(list));
                }
            }
            Err(err) => dom::write(
                &page_element,
                html! { p.error role="alert" { (refusal(&err)) } },
            ),
        }
    });
    let known = ticket.clone();
    with_reader(move |reader| {
        known.borrow_mut().reader = reader.clone();
        if known.borrow().detail.is_some() {
            render(&known);
        }
        let token = reader.token();
        let categories = known.clone();
        dom::spawn(async move {
            if let Ok(list) = api::categories(&token).await {
                categories.borrow_mut().categories = Some(list.categories);
                if categories.borrow().detail.is_some() {
                    render(&categories);
                }
            }
        });
    });
    listen(page, &ticket);
    let ticking = ticket.clone();
    dom::every(1000, move || {
        let ticket = ticking.borrow();
        if let Some(deadline) = ticket.escalation.as_ref().and_then(next_deadline) {
            if let Some(countdown) = dom::document()
                .query_selector("#next-deadline .countdown")
                .ok()
                .flatten()
            {
                let text = countdown_text(deadline.at.millis_since(dom::now()));
                countdown.set_text_content(Some(&text));
            }
        }
    });
}

/// The page's regions, each written by [`render`] or as its answer comes.
fn skeleton() -> Markup {
    html! {
        div id="incident-head" {}
        div id="incident-problems" {}
        div.incident {
            section aria-labelledby="timeline-heading" {
                h2 id="timeline-heading" { "Timeline" }
                ol id="timeline" class="timeline" {}
                div id="entry-forms" {}
            }
            section.side aria-labelledby="actions-heading" {
                div id="incident-alerts-region" {}
                section id="escalation" aria-labelledby="escalation-heading" {
                    h2 id="escalation-heading" { "Escalation" }
                    div id="escalation-body" {}
                }
                h2 id="actions-heading" { "Actions" }
                p id="action-result" role="alert" class="error" {}
                div id="actions" {}
            }
        }
    }
}

/// Writes every region from the ticket as last answered, keeping what was
/// typed into the forms; while a change is on its way, its buttons stay
/// disabled.
fn render(ticket: &Shared) {
    let ticket = ticket.borrow();
    let Some(detail) = &ticket.detail else { return };
    let can_write = ticket.reader.can_write();
    dom::write_into("incident-head", head(detail));
    dom::write_into("incident-problems", problems(detail, can_write));
    dom::write_into(
        "timeline",
        html! { @for line in &detail.timeline { (timeline_line(line)) } },
    );
    dom::rewrite_keeping_typed(
        "entry-forms",
        if can_write {
            entry_forms()
        } else {
            html! {}
        },
    );
    dom::rewrite_keeping_typed("actions", actions(&ticket, detail));
    dom::rewrite_keeping_typed("escalation-body", escalation(&ticket));
    show_priority_check(&ticket);
    if ticket.busy {
        dom::set_buttons_disabled("page", true);
    }
}

fn head(detail: &IncidentDetailGlance) -> Markup {
    let incident = &detail.incident;
    let since = dom::now().millis_since(incident.created_at).max(0);
    html! {
        h1 { (badge(incident.priority, false)) " #" (incident.id) " " (incident.title) }
        dl.facts id="incident-summary" data-status=(incident.status.as_str())
            data-priority=(incident.priority.as_str()) {
            dt { "Status" } dd id="incident-status" { (incident.status.as_str().replace('_', " ")) }
            dt { "Priority" }
            dd id="incident-priority" {
                (incident.priority.as_str())
                @if incident.rules_priority != incident.priority {
                    " (rules say " (incident.rules_priority.as_str()) ")"
                }
            }
            dt { "Category" } dd { (incident.category.as_deref().unwrap_or("none")) }
            dt { "Labels" }
            dd { @if incident.labels.is_empty() { "none" } @else { (incident.labels.join(", ")) } }
            dt { "Owning group" } dd { (incident.owner_group.as_deref().unwrap_or("unassigned")) }
            dt { "Impact started" }
            dd id="impact-start" {
                (detail.impact_started_at.map(utc).unwrap_or_else(|| "not recorded".into()))
            }
            dt { "Opened" }
            dd {
                (utc(incident.created_at)) " (" (format_duration(since, DurationStyle::Short))
                " ago) by " (incident.created_by)
            }
        }
        details open[incident.priority.is_high()] {
            summary { "Why " (incident.rules_priority.as_str()) " by the SOP" }
            ul.reasons {
                @if incident.classification.matched.is_empty() {
                    li.muted { "No rule matched: P3 is the default." }
                }
                @for m in &incident.classification.matched {
                    li { strong { (m.priority.as_str()) } " " (m.reason) }
                }
            }
        }
    }
}

/// The recurrence banner (SPEC R6), the problems the ticket is linked to, and
/// "open a problem" by hand when it is linked to none (SPEC R3).
fn problems(detail: &IncidentDetailGlance, can_write: bool) -> Markup {
    let banner = detail.recurrence.as_ref();
    let linked: Vec<i64> = detail
        .linked_problems
        .iter()
        .copied()
        .filter(|problem| Some(*problem) != banner.map(|b| b.problem))
        .collect();
    html! {
        @if let Some(banner) = banner {
            p id="recurrence-banner" class="banner" role="status" data-fix=(banner.fix.as_str()) {
                a href={ "/problems/" (banner.problem) } { (banner.text) }
                @if banner.fix_ineffective { ": the verified fix did not hold, management was paged" }
            }
        }
        @for problem in &linked {
            p.problem-link { a href={ "/problems/" (problem) } { "Linked to problem #" (problem) } }
        }
        @if linked.is_empty() && banner.is_none() && can_write {
            button id="open-problem" class="secondary" { "Open a problem" }
        }
    }
}

fn timeline_line(line: &TimelineLine) -> Markup {
    html! {
        li data-kind=(line.kind) {
            time datetime=(line.at.to_string()) { (utc(line.at)) }
            span.actor { (line.actor) }
            span.what { (line.text.summary) }
            // Checked again here: only an http(s) address becomes a link.
            @if let Some((link, url)) = line.text.link.as_ref()
                .and_then(|link| Some((link, LinkUrl::parse(&link.url).ok()?))) {
                " " a href=(url.as_str()) rel="noopener noreferrer" target="_blank" { (link.title) }
            }
        }
    }
}

/// A work log line or a link to an attachment, screenshot or chat log (T7).
fn entry_forms() -> Markup {
    html! {
        form.editor id="worklog-form" {
            h3 { "Work log" }
            label.sr-only for="worklog-text" { "Work log entry" }
            textarea id="worklog-text" rows="3" {}
            button id="add-worklog" type="submit" { "Add to timeline" }
        }
        form.editor id="link-form" {
            h3 { "Attach a link" }
            label { "Title " input id="link-title" type="text"; }
            label { "Address (http or https) " input id="link-url" type="text"; }
            button id="add-link" type="submit" { "Attach" }
        }
        p.field-error id="entry-error" {}
    }
}

/// The monitoring alerts on this incident (SPEC I2): a notification group's
/// or a storm's, each with its state; nothing when people opened it by hand.
fn alerts_list(list: AlertListGlance) -> Markup {
    let count = list.alerts.len();
    let open = list
        .alerts
        .iter()
        .filter(|a| a.status != "resolved")
        .count();
    html! {
        @if count > 0 {
            details id="incident-alerts" class="incident-alerts" open[count <= 10] {
                summary {
                    h2 {
                        @if list.more {
                            "Alerts: the newest " (count) " of more (" (open) " of them open)"
                        } @else {
                            "Alerts: " (count) " (" (open) " open)"
                        }
                    }
                }
                ul {
                    @for alert in &list.alerts {
                        li data-status=(alert.status) {
                            (alert.summary) " · " (alert.status)
                            @if let Some(severity) = &alert.severity { " · " (severity) }
                        }
                    }
                }
            }
        }
    }
}

fn escalation(ticket: &Ticket) -> Markup {
    let Some(view) = &ticket.escalation else {
        return html! {};
    };
    let can_write = ticket.reader.can_write();
    html! {
        dl.facts {
            dt { "Duty IC" }
            dd id="duty-commander" {
                @match &view.commander { Some(name) => (name.as_str()), None => "nobody on the rota" }
            }
            dt { "Acknowledged" }
            dd id="acknowledged-by" {
                @match &view.acknowledged_by {
                    Some(by) => { "by " (by) }
                    None => { "not yet (" (view.pages_sent) " pages sent)" }
                }
            }
        }
        @match next_deadline(view) {
            Some(deadline) => {
                p id="next-deadline" data-kind=(deadline.kind.as_str()) data-at=(deadline.at.to_string())
                    aria-live="off" {
                    strong { (deadline_label(deadline.kind)) } " "
                    span.countdown { (countdown_text(deadline.at.millis_since(dom::now()))) }
                }
            }
            None => { p id="next-deadline" class="muted" { "No time limit is running." } }
        }
        @if can_write && offers_acknowledgement(view) {
            button id="acknowledge" { "Acknowledge" }
        }
        @if can_write {
            form id="pull-in-team" aria-label="Pull in a team" {
                label { "Team" input id="team-name" type="text" placeholder="dba"; }
                label { "Needed for" input id="team-reason" type="text"; }
                button type="submit" { "Pull in team" }
            }
        }
    }
}

fn priority_options(selected: Priority) -> Markup {
    html! {
        @for p in Priority::ALL {
            option value=(p.as_str()) selected[p == selected] { (p.as_str()) }
        }
    }
}

/// One control per allowed transition (V10, E3), then the editors, or a
/// notice for readers who may not change the ticket.
fn actions(ticket: &Ticket, detail: &IncidentDetailGlance) -> Markup {
    let role = ticket.reader.role();
    if !ticket.reader.can_write() {
        return html! { p.muted { "Your role can read this ticket but not change it." } };
    }
    let incident = &detail.incident;
    let submitter = ticket.reader.person.as_ref().map(|p| p.name.as_str())
        == Some(incident.created_by.as_str());
    let commander = role.is_some_and(Role::may_close_without_confirmation);
    let category = incident.category.as_deref().unwrap_or("");
    html! {
        @for kind in &detail.allowed_transitions {
            div.action {
                @match kind {
                    TransitionKind::Discard => {
                        label { "Reason (no impact found)" input id="discard-reason" type="text"; }
                        button id="action-discard" class="secondary" { "Discard as event without impact" }
                    }
                    TransitionKind::ClassifyAsProblem => {
                        label { "Priority"
                            select id="classify-priority" { (priority_options(incident.priority)) }
                        }
                        button id="action-classify_as_problem" { "Classify as problem" }
                    }
                    TransitionKind::Close => {
                        @if submitter {
                            button id="action-close" { "Close: I submitted this and confirm it is resolved" }
                        }
                        @if commander {
                            label { "Or close without confirmation, because"
                                input id="close-reason" type="text";
                            }
                            button id="action-close-override" class="secondary" { "Close as incident commander" }
                        }
                    }
                    other => {
                        button id={ "action-" (other.as_str()) } { (capitalised(other.label())) }
                    }
                }
            }
        }
        form.editor id="priority-editor" {
            h3 { "Priority" }
            label { "New priority" select id="priority-select" { (priority_options(incident.priority)) } }
            label { "Reason (needed to go below the rules' result)" input id="priority-reason" type="text"; }
            p id="priority-check" class="field-error" role="status" {}
            button id="change-priority" type="submit" { "Change priority" }
        }
        @if role.is_some_and(Role::may_set_impact_start) {
            form.impact-start id="impact-start-form" {
                label { "Impact started (UTC) " input id="impact-start-input" type="datetime-local"; }
                button id="impact-start-set" type="button" class="secondary" { "Set impact start" }
            }
        }
        @if let Some(categories) = &ticket.categories {
            form.editor id="category-editor" {
                h3 { "Category" }
                label { "Status-page category"
                    select id="category-select" {
                        option value="" selected[category.is_empty()] { "none (P2/P3 only)" }
                        @for name in categories {
                            option value=(name) selected[name == category] { (name) }
                        }
                        option value=(Category::SECURITY) selected[category == Category::SECURITY] {
                            "Security (restricted)"
                        }
                    }
                }
                label { "Labels, comma separated"
                    input id="labels" type="text" value=(incident.labels.join(", "));
                }
                p.field-error id="category-error" {}
                button id="change-category" type="submit" { "Change category" }
            }
        }
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => std::iter::once(first.to_ascii_uppercase())
            .chain(chars)
            .collect(),
        None => String::new(),
    }
}

fn load_escalation(ticket: &Shared) {
    let (token, id) = {
        let ticket = ticket.borrow();
        (ticket.reader.token(), ticket.id)
    };
    let loaded = ticket.clone();
    dom::spawn(async move {
        if let Ok(view) = api::escalation(&token, id).await {
            loaded.borrow_mut().escalation = Some(view);
            let ticket = loaded.borrow();
            dom::rewrite_keeping_typed("escalation-body", escalation(&ticket));
            if ticket.busy {
                dom::set_buttons_disabled("escalation-body", true);
            }
        }
    });
}

/// Sends one change; on success the page shows the ticket the edge
/// returned, else the refusal with the field it names.
fn send(ticket: &Shared, request: impl Future<Output = Answer> + 'static) {
    answer_with(ticket, Box::pin(request));
}

type Answer = Result<IncidentDetailGlance, ApiFailure>;

/// [`send`]'s one copy for every kind of change.
fn answer_with(ticket: &Shared, request: std::pin::Pin<Box<dyn Future<Output = Answer>>>) {
    set_busy(ticket, true);
    let answered = ticket.clone();
    dom::spawn(async move {
        let answer = request.await;
        set_busy(&answered, false);
        match answer {
            Ok(detail) => {
                answered.borrow_mut().detail = Some(detail);
                dom::write_into("action-result", html! {});
                render(&answered);
                load_escalation(&answered);
            }
            Err(err) => dom::write_into("action-result", refusal(&err)),
        }
    });
}

/// Disables the page's buttons while a change is on its way (so it is not
/// sent twice), and enables them again, the priority check included.
fn set_busy(ticket: &Shared, busy: bool) {
    ticket.borrow_mut().busy = busy;
    dom::set_buttons_disabled("page", busy);
    if !busy {
        show_priority_check(&ticket.borrow());
    }
}

fn refuse(region: &str, message: String) {
    dom::write_into(region, html! { (message) });
}

fn bare(action: TransitionKind) -> TransitionRequest {
    TransitionRequest {
        action,
        reason: None,
        priority: None,
        confirmation: None,
    }
}

/// The priority change the editor holds, checked with the same rule the
/// edge applies (raise freely; lower below the rules only as management
/// with a reason, P6); shown under the editor.
fn check_priority(ticket: &Ticket) -> Option<Result<PriorityChange, String>> {
    let detail = ticket.detail.as_ref()?;
    let role = ticket.reader.role()?;
    let requested = dom::value_of("priority-select")
        .parse()
        .unwrap_or(detail.incident.priority);
    let reason = dom::value_of("priority-reason");
    let reason = (!reason.trim().is_empty()).then_some(reason);
    Some(
        check_priority_change(
            detail.incident.rules_priority,
            requested,
            role,
            reason.as_deref(),
        )
        .map(|_| PriorityChange {
            priority: requested,
            reason,
        })
        .map_err(|e| e.to_string()),
    )
}

fn show_priority_check(ticket: &Ticket) {
    let verdict = check_priority(ticket);
    let refusal = match &verdict {
        Some(Err(message)) => message.clone(),
        _ => String::new(),
    };
    refuse("priority-check", refusal);
    if let Some(button) = dom::by_id("change-priority") {
        let allowed = matches!(verdict, Some(Ok(_)));
        let _ = js_sys::Reflect::set(&button, &"disabled".into(), &(!allowed).into());
    }
}

fn listen(page: &Element, ticket: &Shared) {
    let clicked = ticket.clone();
    dom::listen(page, "click", move |event| {
        on_click(&clicked, &dom::target_id(&event))
    });
    let submitted = ticket.clone();
    dom::listen(page, "submit", move |event| {
        event.prevent_default();
        let form = dom::target(&event).map(|f| f.id()).unwrap_or_default();
        on_submit(&submitted, &form);
    });
    let edited = ticket.clone();
    let on_edit = move |event: web_sys::Event| {
        if matches!(
            dom::target_id(&event).as_str(),
            "priority-select" | "priority-reason"
        ) {
            show_priority_check(&edited.borrow());
        }
    };
    dom::listen(page, "input", on_edit.clone());
    dom::listen(page, "change", on_edit);
}

fn on_click(ticket: &Shared, id: &str) {
    let (token, incident, current, allowed) = {
        let t = ticket.borrow();
        let Some(detail) = &t.detail else { return };
        (
            t.reader.token(),
            t.id,
            detail.incident.priority,
            detail.allowed_transitions.clone(),
        )
    };
    let transition = |request: TransitionRequest| {
        let token = token.clone();
        send(ticket, async move {
            api::transition(&token, incident, &request).await
        });
    };
    match id {
        "action-discard" => transition(TransitionRequest {
            reason: Some(dom::value_of("discard-reason")),
            ..bare(TransitionKind::Discard)
        }),
        "action-classify_as_problem" => transition(TransitionRequest {
            priority: Some(
                dom::value_of("classify-priority")
                    .parse()
                    .unwrap_or(current),
            ),
            ..bare(TransitionKind::ClassifyAsProblem)
        }),
        "action-close" => transition(TransitionRequest {
            confirmation: Some(ClosingConfirmation::SubmitterConfirmed),
            ..bare(TransitionKind::Close)
        }),
        "action-close-override" => transition(TransitionRequest {
            confirmation: Some(ClosingConfirmation::CommanderOverride {
                reason: dom::value_of("close-reason"),
            }),
            ..bare(TransitionKind::Close)
        }),
        "acknowledge" => send(
            ticket,
            async move { api::acknowledge(&token, incident).await },
        ),
        "open-problem" => open_problem(ticket, token),
        "impact-start-set" => {
            let text = dom::value_of("impact-start-input");
            let Ok(at) = Timestamp::parse(&format!("{}:00Z", text.trim())) else {
                return refuse(
                    "action-result",
                    "impact_started_at: choose a date and time (UTC)".into(),
                );
            };
            let change = ImpactStartChange {
                impact_started_at: at,
            };
            send(ticket, async move {
                api::set_impact_start(&token, incident, &change).await
            });
        }
        other => {
            let Some(kind) = other
                .strip_prefix("action-")
                .and_then(|name| allowed.into_iter().find(|k| k.as_str() == name))
            else {
                return;
            };
            transition(bare(kind));
        }
    }
}

/// Opens a problem from this ticket (SPEC R3) and goes to it.
fn open_problem(ticket: &Shared, token: String) {
    let (incident, title) = {
        let t = ticket.borrow();
        let Some(detail) = &t.detail else { return };
        (t.id, detail.incident.title.clone())
    };
    let title =
        Title::parse(&title).or_else(|_| Title::parse(&format!("Problem of incident #{incident}")));
    let Ok(title) = title else { return };
    let request = NewProblem {
        title,
        priority: None,
        category: None,
        origin: ProblemOrigin::FromIncident { incident },
        owner: None,
    };
    set_busy(ticket, true);
    let opened = ticket.clone();
    dom::spawn(async move {
        match api::create_problem(&token, &request).await {
            Ok(problem) => dom::go(&format!("/problems/{problem}")),
            Err(err) => {
                set_busy(&opened, false);
                dom::write_into("action-result", refusal(&err));
            }
        }
    });
}

fn on_submit(ticket: &Shared, form: &str) {
    let (token, incident) = {
        let t = ticket.borrow();
        (t.reader.token(), t.id)
    };
    match form {
        "priority-editor" => {
            let Some(Ok(change)) = check_priority(&ticket.borrow()) else {
                return show_priority_check(&ticket.borrow());
            };
            send(ticket, async move {
                api::change_priority(&token, incident, &change).await
            });
        }
        "category-editor" => match category_change() {
            Ok(change) => {
                refuse("category-error", String::new());
                send(ticket, async move {
                    api::change_category(&token, incident, &change).await
                });
            }
            Err(message) => refuse("category-error", message),
        },
        "worklog-form" => match WorkLogText::parse(&dom::value_of("worklog-text")) {
            Ok(text) => {
                dom::set_value("worklog-text", "");
                refuse("entry-error", String::new());
                let entry = NewTimelineEntry {
                    kind: TimelineEntryKind::WorkLog,
                    text: Some(text),
                    title: None,
                    url: None,
                };
                send(ticket, async move {
                    api::add_timeline_entry(&token, incident, &entry).await
                });
            }
            Err(e) => refuse("entry-error", format!("work log: {e}")),
        },
        "link-form" => {
            let parsed = Name::parse(&dom::value_of("link-title"))
                .map_err(|e| format!("title: {e}"))
                .and_then(|title| {
                    LinkUrl::parse(&dom::value_of("link-url"))
                        .map(|url| (title, url))
                        .map_err(|e| format!("url: {e}"))
                });
            match parsed {
                Ok((title, url)) => {
                    dom::set_value("link-title", "");
                    dom::set_value("link-url", "");
                    refuse("entry-error", String::new());
                    let entry = NewTimelineEntry {
                        kind: TimelineEntryKind::Link,
                        text: None,
                        title: Some(title),
                        url: Some(url),
                    };
                    send(ticket, async move {
                        api::add_timeline_entry(&token, incident, &entry).await
                    });
                }
                Err(message) => refuse("entry-error", message),
            }
        }
        "pull-in-team" => match Name::parse(dom::value_of("team-name").trim()) {
            Ok(team) => {
                let request = PullInTeam {
                    team,
                    reason: dom::value_of("team-reason"),
                };
                send(ticket, async move {
                    api::pull_in_team(&token, incident, &request).await
                });
            }
            Err(e) => refuse("action-result", format!("team: {e}")),
        },
        _ => {}
    }
}

/// The category editor's change (K1, K2), or the first field that does not parse.
fn category_change() -> Result<CategoryChange, String> {
    let category = match dom::value_of("category-select").trim() {
        "" => None,
        text => Some(Category::parse(text).map_err(|e| format!("category: {e}"))?),
    };
    let mut labels = Vec::new();
    for text in dom::value_of("labels")
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        labels.push(Label::parse(text).map_err(|e| format!("labels: {text}: {e}"))?);
    }
    Ok(CategoryChange { category, labels })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countdowns_read_naturally() {
        assert_eq!(countdown_text(14 * 60_000 + 5_000), "within 14 min 05 s");
        assert_eq!(countdown_text(-(61 * 60_000)), "overdue by 1 h 01 min");
        assert_eq!(
            countdown_text(3 * 86_400_000 + 4 * 3_600_000),
            "within 3 d 4 h"
        );
        assert_eq!(countdown_text(999), "within 0 min 00 s");
    }

    /// SPEC E4: the button follows the current episode's acknowledgement, as
    /// the worker's view reports it after an upgrade to P0.
    #[test]
    fn acknowledge_is_offered_until_the_current_episode_is_acknowledged() {
        let at = Timestamp::from_unix_millis(1_795_403_520_000);
        let running = Deadline {
            kind: DeadlineKind::Acknowledge,
            at,
            overdue: false,
        };
        let view = |acknowledged_by: Option<&str>, deadlines: Vec<Deadline>| EscalationView {
            at,
            acknowledged_by: acknowledged_by.map(str::to_owned),
            commander: None,
            deadlines,
            next_due: None,
            pages_sent: 2,
        };
        assert!(offers_acknowledgement(&view(None, vec![running])));
        assert!(!offers_acknowledgement(&view(Some("sam"), vec![running])));
        assert!(!offers_acknowledgement(&view(None, Vec::new())));
    }
}
