//! One ticket: its facts and priority with the reasons, its timeline, and the
//! actions its state and the reader's role allow.

use crate::api;
use crate::components::escalation_panel::EscalationPanel;
use crate::components::incident_actions::{
    CategoryEditor, PriorityEditor, TimelineEntryForm, TransitionActions,
};
use crate::components::priority_badge::PriorityBadge;
use crate::credentials::use_credentials;
use crate::incident_state::{linked_problems, IncidentState};
use crate::navigation::use_address;
use crate::timeline_text::describe;
use beacon_shared::api::post_incident::NewProblem;
use beacon_shared::api::{AlertList, ImpactStartChange, TimelineEntryView};
use beacon_shared::problem::ProblemOrigin;
use beacon_shared::report::TimelineFacts;
use beacon_shared::role::Role;
use beacon_shared::triage::Title;
use beacon_shared::{format_duration, DurationStyle, Timestamp};
use leptos::prelude::*;

fn now() -> Timestamp {
    Timestamp::from_unix_millis(js_sys::Date::now() as i64)
}

/// `2026-11-23 14:05:09 UTC`: incident times are compared across time zones.
fn utc(at: Timestamp) -> String {
    let text = at.to_string();
    let text = text.trim_end_matches('Z');
    let text = text.split('.').next().unwrap_or(text);
    format!("{} UTC", text.replacen('T', " ", 1))
}

#[component]
pub fn IncidentPage(
    /// The incident's id from the address (`/incidents/7`), if it is a number.
    id: Option<i64>,
) -> impl IntoView {
    let Some(id) = id else {
        return view! { <p class="error">"No such incident."</p> }.into_any();
    };
    let credentials = use_credentials();
    let state = IncidentState::new(id, credentials);
    let load_error = RwSignal::new(None::<String>);
    let categories = RwSignal::new(None::<Vec<String>>);
    Effect::new(move |_| {
        let Some(token) = credentials.token.get() else {
            load_error.set(Some("Sign in to see this incident.".into()));
            return;
        };
        leptos::task::spawn_local(async move {
            match api::incident(&token, id).await {
                Ok(detail) => state.detail.set(Some(detail)),
                Err(err) => load_error.set(Some(err.to_string())),
            }
            if let Ok(me) = api::me(&token).await {
                state.role.set(Some(me.role));
                state.reader.set(Some(me.name));
            }
            if let Ok(list) = api::categories(&token).await {
                categories.set(Some(list.categories));
            }
        });
    });
    view! {
        {move || load_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        {move || state.detail.with(Option::is_some).then(|| view! {
            <IncidentHeader state=state />
            <ProblemLinks state=state />
            <div class="incident">
                <section aria-labelledby="timeline-heading">
                    <h2 id="timeline-heading">"Timeline"</h2>
                    <Timeline state=state />
                    <Show when=move || state.can_write()>
                        <TimelineEntryForm state=state />
                    </Show>
                </section>
                <section aria-labelledby="actions-heading" class="side">
                    <IncidentAlerts id=id />
                    <EscalationPanel state=state />
                    <h2 id="actions-heading">"Actions"</h2>
                    <p id="action-result" role="alert" class="error">{move || state.failure.get()}</p>
                    <Show
                        when=move || state.can_write()
                        fallback=|| view! { <p class="muted">"Your role can read this ticket but not change it."</p> }
                    >
                        <TransitionActions state=state />
                        <PriorityEditor state=state />
                        <Show when=move || state.role.get().is_some_and(Role::may_set_impact_start)>
                            <ImpactStartEditor state=state />
                        </Show>
                        {move || categories.get().map(|list| view! { <CategoryEditor state=state categories=list /> })}
                    </Show>
                </section>
            </div>
        })}
    }
    .into_any()
}

/// When the impact started, as last recorded in the timeline.
fn impact_start(
    timeline: &[TimelineEntryView],
    alerted_at: Option<Timestamp>,
) -> Option<Timestamp> {
    TimelineFacts::read(alerted_at, timeline.iter().map(|e| (e.at, &e.event)))
        .times
        .impact_started_at
}

/// The incident commander records when the impact started (SPEC Q1), in UTC.
#[component]
fn ImpactStartEditor(state: IncidentState) -> impl IntoView {
    let value = RwSignal::new(String::new());
    let set = move |_| {
        let text = value.get_untracked();
        let Ok(at) = Timestamp::parse(&format!("{}:00Z", text.trim())) else {
            state.failure.set(Some(
                "impact_started_at: choose a date and time (UTC)".into(),
            ));
            return;
        };
        let token = state.token();
        let id = state.id;
        state.send(async move {
            api::set_impact_start(
                &token,
                id,
                &ImpactStartChange {
                    impact_started_at: at,
                },
            )
            .await
        });
    };
    view! {
        <form class="impact-start" on:submit=|ev| ev.prevent_default()>
            <label>"Impact started (UTC) "
                <input id="impact-start-input" type="datetime-local"
                    on:input=move |ev| value.set(event_target_value(&ev)) />
            </label>
            <button id="impact-start-set" type="button" class="secondary"
                disabled=move || state.busy.get() on:click=set>"Set impact start"</button>
        </form>
    }
}

#[component]
fn IncidentHeader(state: IncidentState) -> impl IntoView {
    move || {
        state.detail.get().map(|detail| {
            let incident = detail.incident;
            let rules_differ = incident.rules_priority != incident.priority;
            view! {
                <h1>
                    <PriorityBadge priority=incident.priority />
                    " #"{incident.id}" "{incident.title.clone()}
                </h1>
                <dl class="facts" id="incident-summary" data-status=incident.status.as_str() data-priority=incident.priority.as_str()>
                    <dt>"Status"</dt><dd id="incident-status">{incident.status.as_str().replace('_', " ")}</dd>
                    <dt>"Priority"</dt>
                    <dd id="incident-priority">
                        {incident.priority.as_str()}
                        {rules_differ.then(|| format!(" (rules say {})", incident.rules_priority))}
                    </dd>
                    <dt>"Category"</dt><dd>{incident.category.clone().unwrap_or_else(|| "none".into())}</dd>
                    <dt>"Labels"</dt><dd>{if incident.labels.is_empty() { "none".to_owned() } else { incident.labels.join(", ") }}</dd>
                    <dt>"Owning group"</dt><dd>{incident.owner_group.clone().unwrap_or_else(|| "unassigned".into())}</dd>
                    <dt>"Impact started"</dt><dd id="impact-start">{impact_start(&detail.timeline, incident.facts.alerted_at).map(utc).unwrap_or_else(|| "not recorded".into())}</dd>
                    <dt>"Opened"</dt><dd>{utc(incident.created_at)}" ("{format_duration(now().millis_since(incident.created_at).max(0), DurationStyle::Short)}" ago) by "{incident.created_by.clone()}</dd>
                </dl>
                <details open=incident.priority.is_high()>
                    <summary>"Why "{incident.rules_priority.as_str()}" by the SOP"</summary>
                    <ul class="reasons">
                        {if incident.classification.matched.is_empty() {
                            vec![view! { <li class="muted">"No rule matched: P3 is the default."</li> }.into_any()]
                        } else {
                            incident.classification.matched.iter().map(|m| view! {
                                <li><strong>{m.priority.as_str()}</strong>" "{m.reason.clone()}</li>
                            }.into_any()).collect::<Vec<_>>()
                        }}
                    </ul>
                </details>
            }
        })
    }
}

#[component]
fn Timeline(state: IncidentState) -> impl IntoView {
    view! {
        <ol id="timeline" class="timeline">
            {move || state.detail.get().map(|d| d.timeline.iter().map(timeline_entry).collect::<Vec<_>>())}
        </ol>
    }
}

fn timeline_entry(entry: &TimelineEntryView) -> impl IntoView {
    let text = describe(entry);
    view! {
        <li data-kind=entry.event.kind()>
            <time datetime=entry.at.to_string()>{utc(entry.at)}</time>
            <span class="actor">{entry.actor.clone()}</span>
            <span class="what">{text.summary}</span>
            {text.link.map(|(title, url)| view! {
                " "<a href=url rel="noopener noreferrer" target="_blank">{title}</a>
            })}
        </li>
    }
}

/// The monitoring alerts on this incident (SPEC I2): a notification group's
/// or a storm's, each with its state; nothing when people opened it by hand.
#[component]
fn IncidentAlerts(id: i64) -> impl IntoView {
    let credentials = use_credentials();
    let alerts = RwSignal::new(None::<AlertList>);
    Effect::new(move |_| {
        let Some(token) = credentials.token.get() else {
            return;
        };
        leptos::task::spawn_local(async move {
            if let Ok(list) = api::incident_alerts(&token, id).await {
                alerts.set(Some(list));
            }
        });
    });
    move || {
        let AlertList {
            alerts: list, more, ..
        } = alerts.get()?;
        let open = list.iter().filter(|a| a.status != "resolved").count();
        let count = list.len();
        (count > 0).then(|| {
            view! {
                <details id="incident-alerts" class="incident-alerts" open=count <= 10>
                    <summary>
                        <h2>{if more {
                            format!("Alerts: the newest {count} of more ({open} of them open)")
                        } else {
                            format!("Alerts: {count} ({open} open)")
                        }}</h2>
                    </summary>
                    <ul>
                        {list.into_iter().map(|alert| {
                            let line = format!("{} · {}", alert.summary, alert.status);
                            let severity = alert.severity.map(|s| format!(" · {s}"));
                            view! { <li data-status=alert.status>{line}{severity}</li> }
                        }).collect::<Vec<_>>()}
                    </ul>
                </details>
            }
        })
    }
}

/// The recurrence banner (SPEC R6), the problems the ticket is linked to, and
/// "open a problem" by hand when it is linked to none (SPEC R3).
#[component]
fn ProblemLinks(state: IncidentState) -> impl IntoView {
    let address = use_address();
    let open_problem = move |_| {
        let Some(detail) = state.detail.get_untracked() else {
            return;
        };
        let title = Title::parse(&detail.incident.title)
            .or_else(|_| Title::parse(&format!("Problem of incident #{}", state.id)));
        let Ok(title) = title else { return };
        let request = NewProblem {
            title,
            priority: None,
            category: None,
            origin: ProblemOrigin::FromIncident { incident: state.id },
            owner: None,
        };
        let token = state.token();
        state.busy.set(true);
        leptos::task::spawn_local(async move {
            match crate::api::create_problem(&token, &request).await {
                Ok(id) => address.go(&format!("/problems/{id}")),
                Err(err) => state.failure.set(Some(err.to_string())),
            }
            state.busy.set(false);
        });
    };
    move || {
        state.detail.get().map(|detail| {
            let banner = detail.recurrence.clone();
            let banner_problem = banner.as_ref().map(|b| b.problem);
            let linked: Vec<i64> = linked_problems(&detail.timeline)
                .into_iter()
                .filter(|problem| Some(*problem) != banner_problem)
                .collect();
            let unlinked = linked.is_empty() && banner.is_none();
            view! {
                {banner.map(|banner| view! {
                    <p id="recurrence-banner" class="banner" role="status" data-fix=banner.fix.as_str()>
                        <a href=format!("/problems/{}", banner.problem)>{banner.text.clone()}</a>
                        {banner.fix_ineffective.then_some(": the verified fix did not hold, management was paged")}
                    </p>
                })}
                {linked.into_iter().map(|problem| view! {
                    <p class="problem-link"><a href=format!("/problems/{problem}")>"Linked to problem #"{problem}</a></p>
                }).collect::<Vec<_>>()}
                {(unlinked && state.can_write()).then(|| view! {
                    <button id="open-problem" class="secondary" disabled=move || state.busy.get()
                        on:click=open_problem>"Open a problem"</button>
                })}
            }
        })
    }
}
