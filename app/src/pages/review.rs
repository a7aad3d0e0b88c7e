//! The review meeting (SPEC Q5, Q4): `/review` shows the page of a period
//! from `GET /api/review` (open P0/P1, reports awaiting approval, overdue
//! remediation per owner, problems without a root cause, new recurrences,
//! changes and successes), opens a problem ticket from any row, saves the
//! page with the minutes and decisions as an immutable snapshot, lists the
//! saved snapshots and shows one. Printable: the controls are left out of print.

use crate::api;
use crate::credentials::use_credentials;
use beacon_shared::api::post_incident::NewProblem;
use beacon_shared::problem::ProblemOrigin;
use beacon_shared::report::PeriodKind;
use beacon_shared::review::{NewReviewSnapshot, ReviewPage, ReviewSnapshotView, Trend};
use beacon_shared::triage::{Name, Title};
use beacon_shared::{format_duration, format_utc_minutes, DurationStyle, Priority};
use leptos::prelude::*;

/// What a row opens a problem with.
#[derive(Debug, Clone)]
struct ProblemSeed {
    title: String,
    priority: Option<Priority>,
    origin: ProblemOrigin,
}

impl ProblemSeed {
    /// A problem from a row without incidents: its origin names the review
    /// and the row.
    fn from_row(period: &str, row: &str) -> Option<Self> {
        Some(Self {
            title: row.to_owned(),
            priority: Some(Priority::P3),
            origin: ProblemOrigin::ReportRow {
                report: Name::parse(&clip(&format!("review {period}"), Name::MAX_CHARS)).ok()?,
                row: Title::parse(&clip(row, Title::MAX_CHARS)).ok()?,
            },
        })
    }

    fn request(&self) -> Option<NewProblem> {
        Some(NewProblem {
            title: Title::parse(&clip(&self.title, Title::MAX_CHARS)).ok()?,
            priority: self.priority,
            category: None,
            origin: self.origin.clone(),
            owner: None,
        })
    }
}

fn clip(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

fn duration(millis: i64) -> String {
    format_duration(millis, DurationStyle::Short)
}

/// A button that opens a problem from `seed`, then links to it.
#[component]
fn OpenProblem(seed: Option<ProblemSeed>) -> impl IntoView {
    let credentials = use_credentials();
    let opened = RwSignal::new(None::<i64>);
    let failure = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let Some(request) = seed.and_then(|s| s.request()) else {
        return ().into_any();
    };
    let open = move |_| {
        let Some(token) = credentials.token.get_untracked() else {
            return;
        };
        let request = request.clone();
        busy.set(true);
        leptos::task::spawn_local(async move {
            match api::create_problem(&token, &request).await {
                Ok(id) => opened.set(Some(id)),
                Err(err) => failure.set(Some(err.to_string())),
            }
            busy.set(false);
        });
    };
    view! {
        <span class="no-print">
            {move || match opened.get() {
                Some(id) => view! {
                    <a href=format!("/problems/{id}") class="review-problem-link">"Problem #"{id}" opened"</a>
                }.into_any(),
                None => view! {
                    <button class="secondary open-review-problem" disabled=move || busy.get()
                        on:click=open.clone()>"Open a problem"</button>
                }.into_any(),
            }}
            {move || failure.get().map(|f| view! { <span class="error" role="alert">" "{f}</span> })}
        </span>
    }
    .into_any()
}

fn restricted_note(count: u32) -> impl IntoView {
    (count > 0).then(|| {
        view! {
            <p class="muted restricted-count">{count}" restricted (Security) not shown"</p>
        }
    })
}

/// The sections of a review page; `actions` adds the "open a problem" buttons.
fn sections(page: ReviewPage, actions: bool) -> impl IntoView {
    let label = format!("{} {}", page.kind.as_str(), page.period.from().date());
    let seed = move |row: &str| {
        actions
            .then(|| ProblemSeed::from_row(&label, row))
            .flatten()
    };
    let action =
        move |seed: Option<ProblemSeed>| actions.then(|| view! { <OpenProblem seed=seed /> });
    let urgent = page.open_urgent;
    let waiting = page.awaiting_approval;
    let overdue = page.overdue_remediation;
    let causeless = page.problems_without_root_cause;
    view! {
        <section class="review-section" id="review-urgent">
            <h2>"Open P0/P1"</h2>
            {urgent.rows.is_empty().then(|| view! { <p class="muted">"None."</p> })}
            <table class="review">
                <caption class="sr-only">"Open P0 and P1 incidents"</caption>
                <thead><tr><th>"Incident"</th><th>"Priority"</th><th>"Status"</th><th>"Open for"</th><th>"Owner"</th><th></th></tr></thead>
                <tbody>
                {urgent.rows.into_iter().map(|i| {
                    let seed = actions.then(|| ProblemSeed {
                        title: format!("Follow-up of incident #{}: {}", i.id, i.title),
                        priority: Some(i.priority),
                        origin: ProblemOrigin::FromIncident { incident: i.id },
                    });
                    view! {
                        <tr data-incident=i.id>
                            <td><a href=format!("/incidents/{}", i.id)>"#"{i.id}" "{i.title.clone()}</a></td>
                            <td>{i.priority.as_str()}</td>
                            <td>{i.status.as_str().replace('_', " ")}</td>
                            <td>{duration(i.age_millis)}</td>
                            <td>{i.owner.clone().or(i.group.clone()).unwrap_or_default()}</td>
                            <td>{action(seed)}</td>
                        </tr>
                    }
                }).collect::<Vec<_>>()}
                </tbody>
            </table>
            {restricted_note(urgent.restricted)}
        </section>
        <section class="review-section" id="review-approval">
            <h2>"Incident reports awaiting approval"</h2>
            {waiting.rows.is_empty().then(|| view! { <p class="muted">"None."</p> })}
            <ul>
            {waiting.rows.into_iter().map(|r| view! {
                <li><a href=format!("/problems/{}/report", r.problem)>{r.title.clone()}</a>
                    " waiting "{duration(r.waiting_millis)}</li>
            }).collect::<Vec<_>>()}
            </ul>
            {restricted_note(waiting.restricted)}
        </section>
        <section class="review-section" id="review-overdue">
            <h2>"Overdue remediation by owner"</h2>
            {overdue.rows.is_empty().then(|| view! { <p class="muted">"None."</p> })}
            {overdue.rows.into_iter().map(|owner| view! {
                <h3>{owner.owner.clone()}</h3>
                <ul>
                {owner.items.into_iter().map(|item| {
                    let row = format!("{} (remediation {}) overdue {}", item.title, item.id, duration(item.overdue_millis));
                    view! {
                        <li><a href=format!("/problems/{}", item.problem)>{item.title.clone()}</a>
                            " due "{format_utc_minutes(item.due_at)}", overdue "{duration(item.overdue_millis)}" "
                            {action(seed(&row))}</li>
                    }
                }).collect::<Vec<_>>()}
                </ul>
            }).collect::<Vec<_>>()}
            {restricted_note(overdue.restricted)}
        </section>
        <section class="review-section" id="review-root-cause">
            <h2>"Problems without a root cause after "{page.root_cause_days}" days"</h2>
            {causeless.rows.is_empty().then(|| view! { <p class="muted">"None."</p> })}
            <ul>
            {causeless.rows.into_iter().map(|p| view! {
                <li><a href=format!("/problems/{}", p.id)>"#"{p.id}" "{p.title.clone()}</a>
                    " ("{p.priority.as_str()}", "{p.age_days}" days"
                    {p.owner.clone().map(|o| format!(", {o}"))}")"</li>
            }).collect::<Vec<_>>()}
            </ul>
            {restricted_note(causeless.restricted)}
        </section>
        <section class="review-section" id="review-recurrences">
            <h2>"New recurrences"</h2>
            {page.new_recurrences.is_empty().then(|| view! { <p class="muted">"None."</p> })}
            <ul>
            {page.new_recurrences.into_iter().map(|r| {
                let ids: Vec<String> = r.incidents.iter().map(|i| format!("#{i}")).collect();
                let problem = actions.then(|| ProblemSeed {
                    title: format!("Recurring on {}", r.value),
                    priority: None,
                    origin: ProblemOrigin::RepeatedIncidents { incidents: r.incidents.clone() },
                });
                view! { <li>{r.value.clone()}": "{ids.join(", ")}" "{action(problem)}</li> }
            }).collect::<Vec<_>>()}
            </ul>
        </section>
        <section class="review-section" id="review-changes">
            <h2>"Changes against the period before"</h2>
            <table class="review">
                <caption class="sr-only">"Changes against the period before"</caption>
                <thead><tr><th>"Change"</th><th>"Trend"</th><th></th></tr></thead>
                <tbody>
                {page.changes.into_iter().map(|c| {
                    let trend = match c.trend {
                        Trend::Better => "better",
                        Trend::Worse => "worse",
                        Trend::Same => "same",
                    };
                    view! {
                        <tr class="review-change" data-trend=trend>
                            <td>{c.wording.clone()}</td><td>{trend}</td><td>{action(seed(&c.wording))}</td>
                        </tr>
                    }
                }).collect::<Vec<_>>()}
                </tbody>
            </table>
            {(page.restricted_tickets > 0).then(|| view! {
                <p class="muted">{page.restricted_tickets}" restricted (Security) tickets counted"</p>
            })}
        </section>
        <section class="review-section" id="review-successes">
            <h2>"Successes"</h2>
            {page.successes.is_empty().then(|| view! { <p class="muted">"None this time."</p> })}
            <ul>{page.successes.into_iter().map(|s| view! { <li>{s}</li> }).collect::<Vec<_>>()}</ul>
        </section>
    }
}

#[component]
pub fn Review() -> impl IntoView {
    let credentials = use_credentials();
    let kind = RwSignal::new(PeriodKind::Month);
    let date = RwSignal::new(String::new());
    let minutes = RwSignal::new(String::new());
    let decisions = RwSignal::new(String::new());
    let saved = RwSignal::new(None::<ReviewSnapshotView>);
    let shown = RwSignal::new(None::<ReviewSnapshotView>);
    let failure = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let snapshots_version = RwSignal::new(0u32);

    let page = LocalResource::new(move || {
        let token = credentials.token.get();
        let mut query = format!("period={}", kind.get().as_str());
        let day = date.get();
        if !day.is_empty() {
            query.push_str(&format!("&date={day}"));
        }
        async move {
            match token {
                Some(token) => api::review(&token, &query).await.map(Some),
                None => Ok(None),
            }
        }
    });
    let snapshots = LocalResource::new(move || {
        let token = credentials.token.get();
        snapshots_version.track();
        async move {
            match token {
                Some(token) => api::review_snapshots(&token).await.map(Some),
                None => Ok(None),
            }
        }
    });

    let save = move |_| {
        let Some(token) = credentials.token.get_untracked() else {
            return;
        };
        let day = date.get_untracked();
        let request = NewReviewSnapshot {
            period: kind.get_untracked(),
            date: (!day.is_empty()).then_some(day),
            root_cause_days: None,
            minutes: minutes.get_untracked(),
            decisions: decisions
                .get_untracked()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
        };
        busy.set(true);
        failure.set(None);
        leptos::task::spawn_local(async move {
            match api::save_review_snapshot(&token, &request).await {
                Ok(view) => {
                    saved.set(Some(view));
                    snapshots_version.update(|v| *v += 1);
                }
                Err(err) => failure.set(Some(err.to_string())),
            }
            busy.set(false);
        });
    };
    let show = move |id: i64| {
        let Some(token) = credentials.token.get_untracked() else {
            return;
        };
        leptos::task::spawn_local(async move {
            match api::review_snapshot(&token, id).await {
                Ok(view) => shown.set(Some(view)),
                Err(err) => failure.set(Some(err.to_string())),
            }
        });
    };

    view! {
        <h1>"Review meeting"</h1>
        <form class="review-controls no-print" on:submit=|ev| ev.prevent_default()>
            <label>"Period "
                <select id="review-period" on:change=move |ev| {
                    if let Some(k) = PeriodKind::parse(&event_target_value(&ev)) { kind.set(k) }
                }>
                    {PeriodKind::ALL.into_iter().map(|k| view! {
                        <option value=k.as_str() selected=move || kind.get() == k>{k.as_str()}</option>
                    }).collect::<Vec<_>>()}
                </select>
            </label>
            <label>" holding "
                <input id="review-date" type="date" prop:value=move || date.get()
                    on:input=move |ev| date.set(event_target_value(&ev)) />
            </label>
            <span class="muted">" (empty: the last complete period) "</span>
            <button type="button" class="secondary" on:click=|_| {
                if let Some(window) = web_sys::window() { let _ = window.print(); }
            }>"Print"</button>
        </form>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || page.get().map(|result| match result {
                Ok(None) => view! { <p>"Sign in to see the review."</p> }.into_any(),
                Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                Ok(Some(page)) => view! {
                    <p id="review-heading" class="muted">
                        {format!("{} from {} to {}, beside {} to {}",
                            page.kind.as_str(),
                            format_utc_minutes(page.period.from()),
                            format_utc_minutes(page.period.to()),
                            format_utc_minutes(page.previous.from()),
                            format_utc_minutes(page.previous.to()))}
                    </p>
                    <div id="review-page">{sections(page, true)}</div>
                }.into_any(),
            })}
        </Suspense>
        <section class="review-minutes">
            <h2>"Minutes and decisions"</h2>
            <label class="no-print">"Minutes"
                <textarea id="review-minutes" rows="6" prop:value=move || minutes.get()
                    on:input=move |ev| minutes.set(event_target_value(&ev))></textarea>
            </label>
            <label class="no-print">"Decisions, one per line"
                <textarea id="review-decisions" rows="4" prop:value=move || decisions.get()
                    on:input=move |ev| decisions.set(event_target_value(&ev))></textarea>
            </label>
            <button id="save-review-snapshot" class="no-print" disabled=move || busy.get() on:click=save>
                "Save snapshot"
            </button>
            {move || failure.get().map(|f| view! { <p class="error" role="alert">{f}</p> })}
            {move || saved.get().map(|s| view! {
                <p id="review-saved" role="status">"Snapshot #"{s.id}" saved, SHA-256 "<code>{s.sha256.clone()}</code></p>
            })}
        </section>
        <section class="review-snapshots">
            <h2>"Saved snapshots"</h2>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || snapshots.get().map(|result| match result {
                    Ok(Some(list)) if !list.is_empty() => view! {
                        <ul id="review-snapshot-list">
                        {list.into_iter().map(|s| {
                            let id = s.id;
                            view! {
                                <li data-snapshot=id>
                                    <button class="link" on:click=move |_| show(id)>
                                        "#"{id}" "{s.kind.as_str()}" from "{s.period.from().date().to_string()}
                                    </button>
                                    " saved by "{s.saved_by.clone()}" at "{format_utc_minutes(s.saved_at)}
                                    " · SHA-256 "<code>{s.sha256.chars().take(12).collect::<String>()}"…"</code>
                                </li>
                            }
                        }).collect::<Vec<_>>()}
                        </ul>
                    }.into_any(),
                    Ok(_) => view! { <p class="muted">"No snapshot saved yet."</p> }.into_any(),
                    Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                })}
            </Suspense>
            {move || shown.get().map(|s| view! {
                <article id="review-snapshot" class="review-snapshot">
                    <h2>"Snapshot #"{s.id}</h2>
                    <p class="muted">"Saved by "{s.content.saved_by.clone()}" at "{format_utc_minutes(s.content.saved_at)}
                        ", SHA-256 "<code>{s.sha256.clone()}</code></p>
                    <h3>"Minutes"</h3>
                    <p class="minutes">{s.content.minutes.clone()}</p>
                    <h3>"Decisions"</h3>
                    <ul>{s.content.decisions.iter().map(|d| view! { <li>{d.clone()}</li> }).collect::<Vec<_>>()}</ul>
                    {sections(s.content.page.clone(), false)}
                </article>
            })}
        </section>
    }
}
