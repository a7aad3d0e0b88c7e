//! The incident-report editor (SPEC V5, R1, R5) and the review-meeting form
//! (SPEC V6, R2): sections with their customer-visible toggles, a live
//! preview of what customers will read (computed in the browser by
//! `beacon_shared::incident_report`), the tone warnings acknowledged one by
//! one, management's checklist, approve and publish; an edit saved after
//! approval voids it, and customers keep reading the last published version.

use crate::api::{self, ApiFailure};
use crate::credentials::use_credentials;
use crate::problem_draft::{DraftError, RemediationDraft};
use crate::report_draft::{
    all_acknowledged, approve_request, ReportDraft, ReviewDraft, SectionDraft, VerdictDraft,
};
use beacon_shared::api::post_incident::{
    IncidentReportView, ReportContentRequest, ReportTransitionRequest,
};
use beacon_shared::incident_report::{
    CustomerReport, ReportAction, ReportContent, ReviewChecklist, SectionContent, WarningId,
};
use beacon_shared::rca::CauseId;
use beacon_shared::role::Role;
use leptos::prelude::*;
use std::future::Future;

#[derive(Clone, Copy)]
struct ReportState {
    /// The problem whose report this is: the edge's routes are the problem's.
    problem: i64,
    token: RwSignal<Option<String>>,
    view: RwSignal<Option<IncidentReportView>>,
    role: RwSignal<Option<Role>>,
    failure: RwSignal<Option<String>>,
    busy: RwSignal<bool>,
    /// Bumped when the edge answered with new content, to rebuild the editor.
    loaded: RwSignal<u32>,
}

impl ReportState {
    fn token(&self) -> String {
        self.token.get_untracked().unwrap_or_default()
    }

    fn may(&self, action: ReportAction) -> bool {
        let allowed = self.view.with(|v| {
            v.as_ref()
                .is_some_and(|v| v.allowed_actions.contains(&action))
        });
        allowed && self.role.get().is_some_and(|role| action.permitted(role))
    }

    fn refuse(&self, error: DraftError) {
        self.failure.set(Some(error.to_string()));
    }

    fn send<F>(self, request: F, reload_editor: bool)
    where
        F: Future<Output = Result<api::ReportPage, ApiFailure>> + 'static,
    {
        self.busy.set(true);
        leptos::task::spawn_local(async move {
            match request.await {
                Ok(page) => {
                    self.view.set(Some(page.report));
                    self.failure.set(None);
                    if reload_editor {
                        self.loaded.update(|n| *n += 1);
                    }
                }
                Err(err) => self.failure.set(Some(err.to_string())),
            }
            self.busy.set(false);
        });
    }
}

/// What customers read of `report`.
fn customer_report(report: &CustomerReport) -> impl IntoView {
    view! {
        <h3>{report.title.as_str().to_owned()}</h3>
        {report.sections.iter().map(|section| view! {
            <h4>{section.title.as_str().to_owned()}</h4>
            {match &section.content {
                SectionContent::Timeline { entries } => view! {
                    <ul>{entries.iter().map(|e| view! { <li>{e.at.to_string()}": "{e.text.as_str().to_owned()}</li> }).collect::<Vec<_>>()}</ul>
                }.into_any(),
                content => view! {
                    <p class="latest-update">{crate::report_draft::section_text(content).unwrap_or_default().to_owned()}</p>
                }.into_any(),
            }}
            {(!section.commitments.is_empty()).then(|| view! {
                <ul>{section.commitments.iter().map(|c| view! { <li>{c.text.as_str().to_owned()}</li> }).collect::<Vec<_>>()}</ul>
            })}
        }).collect::<Vec<_>>()}
    }
}

#[component]
pub fn IncidentReportPage(
    /// The problem's id from the address (`/problems/3/report`), if it is a
    /// number.
    id: Option<i64>,
) -> impl IntoView {
    let Some(problem) = id else {
        return view! { <p class="error">"No such incident report."</p> }.into_any();
    };
    let credentials = use_credentials();
    let state = ReportState {
        problem,
        token: credentials.token,
        view: RwSignal::new(None),
        role: RwSignal::new(None),
        failure: RwSignal::new(None),
        busy: RwSignal::new(false),
        loaded: RwSignal::new(0),
    };
    let load_error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let Some(token) = credentials.token.get() else {
            load_error.set(Some("Sign in to see this incident report.".into()));
            return;
        };
        leptos::task::spawn_local(async move {
            match api::report(&token, problem).await {
                Ok(page) => {
                    state.view.set(Some(page.report));
                    state.loaded.update(|n| *n += 1);
                }
                Err(err) => load_error.set(Some(err.to_string())),
            }
            if let Ok(me) = api::me(&token).await {
                state.role.set(Some(me.role));
            }
        });
    });
    view! {
        {move || load_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        {move || state.view.get().map(|v| view! {
            <h1>"Incident report #"{v.report.id}" "{v.report.content.title.as_str().to_owned()}</h1>
            <dl class="facts" id="report-summary" data-status=v.report.status.as_str() data-approved=v.approved.to_string() data-version=v.report.version>
                <dt>"Status"</dt><dd id="report-status">{v.report.status.as_str().replace('_', " ")}</dd>
                <dt>"Version"</dt><dd>{v.report.version}</dd>
                <dt>"Approval"</dt><dd>{if v.approved { "approved: this content may be published" } else { "not approved: saving an edit voids an approval" }}</dd>
                <dt>"Problem"</dt><dd><a href=format!("/problems/{}", v.report.problem)>"#"{v.report.problem}</a></dd>
            </dl>
        })}
        <p id="report-result" role="alert" class="error">{move || state.failure.get()}</p>
        <ReportTransitions state=state />
        {move || {
            state.loaded.get();
            state.view.get_untracked().map(|v| view! { <ReportEditor state=state content=v.report.content.clone() /> })
        }}
        <section aria-labelledby="published-heading">
            <h2 id="published-heading">"What customers read now"</h2>
            {move || state.view.get().map(|v| match v.published {
                Some(published) => view! { <div id="report-published" class="preview">{customer_report(&published)}</div> }.into_any(),
                None => view! { <p class="muted">"Nothing published yet."</p> }.into_any(),
            })}
        </section>
        <ReviewForm state=state />
    }
    .into_any()
}

#[component]
fn ReportTransitions(state: ReportState) -> impl IntoView {
    let actions = [
        ReportAction::SubmitForEngineeringReview,
        ReportAction::SubmitForManagementReview,
        ReportAction::ReturnToDraft,
    ];
    view! {
        <div class="actions">
            {actions.into_iter().map(|action| view! {
                <Show when=move || state.may(action)>
                    <button id=format!("report-{}", action.as_str()) disabled=move || state.busy.get()
                        on:click=move |_| {
                            let token = state.token();
                            let request = ReportTransitionRequest { action };
                            state.send(async move { api::transition_report(&token, state.problem, &request).await }, false);
                        }>
                        {action.as_str().replace('_', " ")}
                    </button>
                </Show>
            }).collect::<Vec<_>>()}
            <Show when=move || state.may(ReportAction::Publish)>
                <button id="report-publish" disabled=move || state.busy.get()
                    on:click=move |_| {
                        let token = state.token();
                        state.send(async move { api::publish_report(&token, state.problem).await }, false);
                    }>"Publish"</button>
            </Show>
        </div>
    }
}

#[derive(Clone, Copy)]
struct SectionRow {
    draft: StoredValue<SectionDraft>,
    title: RwSignal<String>,
    visible: RwSignal<bool>,
    text: RwSignal<String>,
}

impl SectionRow {
    fn of(draft: SectionDraft) -> Self {
        Self {
            title: RwSignal::new(draft.title.clone()),
            visible: RwSignal::new(draft.customer_visible),
            text: RwSignal::new(draft.text.clone()),
            draft: StoredValue::new(draft),
        }
    }

    /// The section as typed; tracked, so the preview follows every keystroke.
    fn draft(&self) -> SectionDraft {
        SectionDraft {
            title: self.title.get(),
            customer_visible: self.visible.get(),
            text: self.text.get(),
            ..self.draft.get_value()
        }
    }
}

#[component]
fn ReportEditor(state: ReportState, content: ReportContent) -> impl IntoView {
    let draft = ReportDraft::of(&content);
    let title = RwSignal::new(draft.title);
    let rows = RwSignal::new(
        draft
            .sections
            .into_iter()
            .map(SectionRow::of)
            .collect::<Vec<_>>(),
    );
    let typed = Memo::new(move |_| {
        ReportDraft {
            title: title.get(),
            sections: rows.get().iter().map(SectionRow::draft).collect(),
        }
        .to_content()
    });
    let acknowledged = RwSignal::new(Vec::<WarningId>::new());
    let checklist = RwSignal::new(ReviewChecklist::default());
    let saved = move || {
        state
            .view
            .with(|v| v.as_ref().map(|v| v.report.content.clone()))
    };
    let unsaved = move || typed.with(|t| t.as_ref().ok().cloned()) != saved();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match typed.get_untracked() {
            Ok(content) => {
                let token = state.token();
                let request = ReportContentRequest { content };
                state.send(
                    async move { api::edit_report(&token, state.problem, &request).await },
                    false,
                );
            }
            Err(error) => state.refuse(error),
        }
    };
    let warnings = move || {
        typed.with(|t| {
            t.as_ref()
                .map(ReportContent::tone_warnings)
                .unwrap_or_default()
        })
    };
    let approve = move |_| {
        let Some(version) = state
            .view
            .with_untracked(|v| v.as_ref().map(|v| v.report.version))
        else {
            return;
        };
        let request = approve_request(
            version,
            checklist.get_untracked(),
            &warnings(),
            &acknowledged.get_untracked(),
        );
        let token = state.token();
        state.send(
            async move { api::approve_report(&token, state.problem, &request).await },
            false,
        );
    };
    let check = move |id: &'static str,
                      label: &'static str,
                      set: fn(&mut ReviewChecklist, bool)| {
        view! {
            <label class="check"><input type="checkbox" id=id on:change=move |ev| checklist.update(|c| set(c, event_target_checked(&ev))) />" "{label}</label>
        }
    };
    view! {
        <div class="problem">
            <form class="editor" id="report-editor" on:submit=save>
                <label for="report-title">"Title"</label>
                <input id="report-title" prop:value=move || title.get() on:input=move |ev| title.set(event_target_value(&ev)) />
                {move || rows.get().into_iter().enumerate().map(|(index, row)| {
                    let section = row.draft.get_value().section;
                    view! {
                        <fieldset class="section" data-kind=section.content.kind()>
                            <legend>{section.content.kind().replace('_', " ")}</legend>
                            <input id=format!("section-{index}-title") aria-label="Section title"
                                prop:value=move || row.title.get() on:input=move |ev| row.title.set(event_target_value(&ev)) />
                            <label class="check">
                                <input type="checkbox" id=format!("section-{index}-visible") prop:checked=move || row.visible.get()
                                    on:change=move |ev| row.visible.set(event_target_checked(&ev)) />
                                " customers read this section"
                            </label>
                            {match &section.content {
                                SectionContent::Timeline { entries } => view! {
                                    <ul>{entries.iter().map(|e| view! { <li>{e.at.to_string()}": "{e.text.as_str().to_owned()}</li> }).collect::<Vec<_>>()}</ul>
                                }.into_any(),
                                _ => view! {
                                    <textarea id=format!("section-{index}-text") aria-label="Section text"
                                        prop:value=move || row.text.get() on:input=move |ev| row.text.set(event_target_value(&ev))></textarea>
                                }.into_any(),
                            }}
                            {(!section.commitments.is_empty()).then(|| view! {
                                <ul class="commitments">{section.commitments.iter().map(|c| view! {
                                    <li>{c.text.as_str().to_owned()}{c.remediation_item.map(|item| format!(" (item {item})"))}</li>
                                }).collect::<Vec<_>>()}</ul>
                            })}
                        </fieldset>
                    }
                }).collect::<Vec<_>>()}
                <button type="button" class="secondary" id="report-add-section"
                    on:click=move |_| {
                        let mut draft = ReportDraft { title: String::new(), sections: rows.get_untracked().iter().map(|r| r.draft.get_value()).collect() };
                        draft.add_section("Notes");
                        if let Some(new) = draft.sections.pop() {
                            rows.update(|rows| rows.push(SectionRow::of(new)));
                        }
                    }>"Add a section"</button>
                <button id="report-save" disabled=move || state.busy.get()>"Save (voids an approval)"</button>
                <p class="muted">{move || unsaved().then_some("Unsaved changes: approving needs the saved version.")}</p>
            </form>
            <section aria-labelledby="preview-heading">
                <h2 id="preview-heading">"What customers will read"</h2>
                <div id="report-preview" class="preview">
                    {move || match typed.get() {
                        Ok(content) => customer_report(&content.customer_view()).into_any(),
                        Err(error) => view! { <p class="error">{error.to_string()}</p> }.into_any(),
                    }}
                </div>
                <h2>"Tone"</h2>
                <ul id="tone-warnings">
                    {move || warnings().into_iter().map(|warning| {
                        let id = warning.id.clone();
                        view! {
                            <li data-warning=warning.id.0.clone()>
                                <strong>"\u{201c}"{warning.wording.clone()}"\u{201d}"</strong>": "{warning.advice.clone()}
                                <q>{warning.excerpt.clone()}</q>
                                <label class="check">
                                    <input type="checkbox" id=format!("ack-{}", warning.id.0)
                                        prop:checked={let id = id.clone(); move || acknowledged.with(|a| a.contains(&id))}
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            let id = id.clone();
                                            acknowledged.update(|a| { a.retain(|w| *w != id); if on { a.push(id) } });
                                        } />
                                    " acknowledged"
                                </label>
                            </li>
                        }
                    }).collect::<Vec<_>>()}
                </ul>
                <Show when=move || state.may(ReportAction::Approve)>
                    <h2>"Management review"</h2>
                    {check("checklist-content", "What happened, the fix and the prevention are right and complete", |c, on| c.content = on)}
                    {check("checklist-commitments", "Every promise is one we keep, with an owner and a due date", |c, on| c.commitments = on)}
                    {check("checklist-tone", "Professional, blameless tone", |c, on| c.tone = on)}
                    <button id="report-approve"
                        disabled=move || state.busy.get() || unsaved() || !all_acknowledged(&warnings(), &acknowledged.get())
                        on:click=approve>"Approve"</button>
                </Show>
            </section>
        </div>
    }
}

/// The review meeting's form (SPEC V6, R2): the root causes come from the
/// problem's RCA; accepted actions become remediation items.
#[component]
fn ReviewForm(state: ReportState) -> impl IntoView {
    let causes = RwSignal::new(Vec::<(CauseId, String)>::new());
    Effect::new(move |_| {
        let Some(problem) = state.view.with(|v| v.as_ref().map(|v| v.report.problem)) else {
            return;
        };
        let token = state.token();
        leptos::task::spawn_local(async move {
            if let Ok(detail) = api::problem(&token, problem).await {
                causes.set(
                    detail
                        .rca
                        .root_causes
                        .iter()
                        .map(|c| (c.id, c.summary.as_str().to_owned()))
                        .collect(),
                );
            }
        });
    });
    let held_on = RwSignal::new(String::new());
    let attendees = RwSignal::new(String::new());
    let decisions = RwSignal::new(String::new());
    let dissent_by = RwSignal::new(std::collections::BTreeMap::<u32, (String, String)>::new());
    let action = RwSignal::new(RemediationDraft::default());
    let accepted = RwSignal::new(true);
    let recorded = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let dissents = dissent_by.get_untracked();
        let draft = ReviewDraft {
            held_on: held_on.get_untracked(),
            attendees: attendees.get_untracked(),
            verdicts: causes
                .get_untracked()
                .iter()
                .map(|(cause, _)| {
                    let (by, reason) = dissents.get(&cause.0).cloned().unwrap_or_default();
                    VerdictDraft {
                        cause: *cause,
                        agreed: by.trim().is_empty() && reason.trim().is_empty(),
                        by,
                        reason,
                    }
                })
                .collect(),
            decisions: decisions.get_untracked(),
            actions: {
                let action = action.get_untracked();
                if action.title.trim().is_empty() {
                    Vec::new()
                } else {
                    vec![(action, accepted.get_untracked())]
                }
            },
        };
        match draft.to_request() {
            Ok(review) => {
                let token = state.token();
                state.busy.set(true);
                leptos::task::spawn_local(async move {
                    match api::record_review(&token, state.problem, &review).await {
                        Ok(done) => {
                            recorded.set(Some(format!(
                                "Review recorded; {} remediation item(s) added.",
                                done.items.len()
                            )));
                            state.failure.set(None);
                        }
                        Err(err) => state.failure.set(Some(err.to_string())),
                    }
                    state.busy.set(false);
                });
            }
            Err(error) => state.refuse(error),
        }
    };
    let text = |id: &'static str, label: &'static str, value: RwSignal<String>| {
        view! {
            <label for=id>{label}</label>
            <textarea id=id prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))></textarea>
        }
    };
    let action_field = move |id: &'static str,
                             label: &'static str,
                             kind: &'static str,
                             set: fn(&mut RemediationDraft, String)| {
        view! {
            <label for=id>{label}</label>
            <input id=id type=kind on:input=move |ev| action.update(|a| set(a, event_target_value(&ev))) />
        }
    };
    view! {
        <section aria-labelledby="review-heading">
            <h2 id="review-heading">"Review meeting"</h2>
            <form class="editor" id="review-form" on:submit=submit>
                <label for="review-date">"Held on"</label>
                <input id="review-date" type="date" on:input=move |ev| held_on.set(event_target_value(&ev)) />
                {text("review-attendees", "Attendees, one per line: name, engineering or management", attendees)}
                <fieldset>
                    <legend>"Root causes: agreed unless someone dissents"</legend>
                    {move || causes.get().into_iter().map(|(cause, summary)| {
                        let set = move |by: Option<String>, reason: Option<String>| dissent_by.update(|d| {
                            let entry = d.entry(cause.0).or_default();
                            if let Some(by) = by { entry.0 = by }
                            if let Some(reason) = reason { entry.1 = reason }
                        });
                        view! {
                            <div class="cause">
                                <span>{summary}</span>
                                <input id=format!("review-dissent-by-{}", cause.0) placeholder="Dissent by"
                                    on:input=move |ev| set(Some(event_target_value(&ev)), None) />
                                <input id=format!("review-dissent-reason-{}", cause.0) placeholder="Why"
                                    on:input=move |ev| set(None, Some(event_target_value(&ev))) />
                            </div>
                        }
                    }).collect::<Vec<_>>()}
                </fieldset>
                {text("review-decisions", "Decisions, one per line", decisions)}
                <fieldset>
                    <legend>"An action discussed"</legend>
                    {action_field("review-action-title", "What", "text", |a, v| a.title = v)}
                    {action_field("review-action-owner", "Owner", "text", |a, v| a.owner = v)}
                    {action_field("review-action-due", "Due", "date", |a, v| a.due = v)}
                    <label class="check"><input type="checkbox" id="review-action-accepted" prop:checked=move || accepted.get()
                        on:change=move |ev| accepted.set(event_target_checked(&ev)) />" accepted: becomes a remediation item"</label>
                </fieldset>
                <button id="review-record" disabled=move || state.busy.get()>"Record the review"</button>
                <p id="review-result" role="status">{move || recorded.get()}</p>
            </form>
        </section>
    }
}
