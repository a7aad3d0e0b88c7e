//! One problem ticket (SPEC R3, V7, V8, R4, R6): its status with the
//! transitions its view allows, the linked incidents, the RCA editor, the
//! remediation items with their transitions, the vendor RCAs and the
//! recurrence signatures.

use crate::api::{self, ApiFailure};
use crate::components::priority_badge::PriorityBadge;
use crate::credentials::use_credentials;
use crate::problem_draft::{
    problem_request, remediation_request, CauseDraft, DraftError, RcaDraft, RemediationDraft,
    VendorRcaDraft,
};
use beacon_shared::api::post_incident::{ProblemDetail, RemediationItemView};
use beacon_shared::rca::{CauseClass, Rca};
use beacon_shared::recurrence::RecurrenceSignature;
use beacon_shared::remediation::{Evidence, RemediationKind};
use beacon_shared::role::Role;
use beacon_shared::vendor_rca::VendorDocument;
use leptos::prelude::*;
use std::future::Future;

/// `2026-11-23` of a timestamp.
fn day(at: beacon_shared::Timestamp) -> String {
    at.to_string().chars().take(10).collect()
}

/// The page's state: the loaded problem, the reader's role, the last failure.
#[derive(Clone, Copy)]
struct ProblemState {
    id: i64,
    token: RwSignal<Option<String>>,
    detail: RwSignal<Option<ProblemDetail>>,
    role: RwSignal<Option<Role>>,
    failure: RwSignal<Option<String>>,
    busy: RwSignal<bool>,
}

impl ProblemState {
    fn can_write(&self) -> bool {
        self.role.get().is_some_and(Role::can_write)
    }

    fn token(&self) -> String {
        self.token.get_untracked().unwrap_or_default()
    }

    fn refuse(&self, error: DraftError) {
        self.failure.set(Some(error.to_string()));
    }

    /// Sends one change, then shows the problem as the edge has it now.
    fn send<T, F>(self, request: F)
    where
        T: 'static,
        F: Future<Output = Result<T, ApiFailure>> + 'static,
    {
        self.busy.set(true);
        leptos::task::spawn_local(async move {
            let result = match request.await {
                Ok(_) => api::problem(&self.token(), self.id).await,
                Err(err) => Err(err),
            };
            match result {
                Ok(detail) => {
                    self.detail.set(Some(detail));
                    self.failure.set(None);
                }
                Err(err) => self.failure.set(Some(err.to_string())),
            }
            self.busy.set(false);
        });
    }
}

#[component]
pub fn ProblemPage(
    /// The problem's id from the address (`/problems/3`), if it is a number.
    id: Option<i64>,
) -> impl IntoView {
    let Some(id) = id else {
        return view! { <p class="error">"No such problem."</p> }.into_any();
    };
    let credentials = use_credentials();
    let state = ProblemState {
        id,
        token: credentials.token,
        detail: RwSignal::new(None),
        role: RwSignal::new(None),
        failure: RwSignal::new(None),
        busy: RwSignal::new(false),
    };
    let load_error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let Some(token) = credentials.token.get() else {
            load_error.set(Some("Sign in to see this problem.".into()));
            return;
        };
        leptos::task::spawn_local(async move {
            match api::problem(&token, id).await {
                Ok(detail) => state.detail.set(Some(detail)),
                Err(err) => load_error.set(Some(err.to_string())),
            }
            if let Ok(me) = api::me(&token).await {
                state.role.set(Some(me.role));
            }
        });
    });
    // The page's parts are built once the problem is there, so that a change
    // keeps what is typed elsewhere; the RCA editor again when the RCA changed.
    let loaded = Memo::new(move |_| state.detail.with(Option::is_some));
    // Outside the editor, which is rebuilt from the RCA the edge saved.
    let rca_saved = RwSignal::new(false);
    let rca_loaded = Memo::new(move |_| state.detail.with(|d| d.as_ref().map(|d| d.rca.clone())));
    view! {
        {move || load_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        <ProblemHeader state=state />
        <p id="problem-result" role="alert" class="error">{move || state.failure.get()}</p>
        {move || loaded.get().then(|| view! {
            <div class="problem">
                <section aria-labelledby="problem-status-heading">
                    <h2 id="problem-status-heading">"Status"</h2>
                    <Show when=move || state.can_write()
                        fallback=|| view! { <p class="muted">"Your role can read this problem but not change it."</p> }>
                        <ProblemActions state=state />
                    </Show>
                    <IncidentReportLink state=state />
                    <h2>"Incidents"</h2>
                    <LinkedIncidents state=state />
                    <h2>"Recurrence signatures"</h2>
                    <Signatures state=state />
                </section>
                <section aria-labelledby="rca-heading">
                    <h2 id="rca-heading">"Root-cause analysis"</h2>
                    {move || rca_loaded.get().map(|rca| view! { <RcaEditor state=state rca=rca saved=rca_saved /> })}
                </section>
                <section aria-labelledby="remediation-heading">
                    <h2 id="remediation-heading">"Remediation"</h2>
                    <RemediationList state=state />
                    <Show when=move || state.can_write()>
                        <RemediationForm state=state />
                    </Show>
                    <h2>"Vendor RCAs"</h2>
                    <VendorRcas state=state />
                    <Show when=move || state.can_write()>
                        <VendorRcaForm state=state />
                    </Show>
                </section>
            </div>
        })}
    }
    .into_any()
}

#[component]
fn ProblemHeader(state: ProblemState) -> impl IntoView {
    move || {
        state.detail.get().map(|detail| {
            let problem = detail.problem;
            view! {
                <h1><PriorityBadge priority=problem.priority />" Problem #"{problem.id}" "{problem.title.as_str().to_owned()}</h1>
                <dl class="facts" id="problem-summary" data-status=problem.status.as_str() data-fix=detail.fix.as_str()>
                    <dt>"Status"</dt><dd id="problem-status">{problem.status.as_str().replace('_', " ")}</dd>
                    <dt>"Fix"</dt><dd id="problem-fix">{detail.fix.label()}</dd>
                    <dt>"Owner"</dt><dd>{problem.owner.as_ref().map_or("nobody yet".to_owned(), |o| o.as_str().to_owned())}</dd>
                    <dt>"Category"</dt><dd>{problem.category.as_ref().map_or("none".to_owned(), |c| c.to_string())}</dd>
                    <dt>"Opened"</dt><dd>{day(problem.opened_at)}</dd>
                    <dt>"Workaround"</dt><dd>{problem.workaround.as_ref().map_or("none".to_owned(), |w| w.as_str().to_owned())}</dd>
                    {(!problem.ineffective_fixes.is_empty()).then(|| view! {
                        <dt>"Fix did not hold"</dt><dd class="error">{problem.ineffective_fixes.len()}" time(s)"</dd>
                    })}
                </dl>
            }
        })
    }
}

#[component]
fn ProblemActions(state: ProblemState) -> impl IntoView {
    let note = RwSignal::new(String::new());
    view! {
        <label for="problem-note">"Workaround, verification or reason (when the action needs one)"</label>
        <input id="problem-note" prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev)) />
        <div class="actions">
            {move || state.detail.get().map(|d| d.allowed_actions.into_iter().map(|action| view! {
                <button id=format!("problem-{}", action.as_str()) disabled=move || state.busy.get()
                    on:click=move |_| match problem_request(action, &note.get_untracked()) {
                        Ok(request) => {
                            let token = state.token();
                            note.set(String::new());
                            state.send(async move { api::transition_problem(&token, state.id, &request).await });
                        }
                        Err(error) => state.refuse(error),
                    }>
                    {action.as_str().replace('_', " ")}
                </button>
            }).collect::<Vec<_>>())}
        </div>
    }
}

#[component]
fn LinkedIncidents(state: ProblemState) -> impl IntoView {
    view! {
        <ul id="problem-incidents">
            {move || state.detail.get().map(|d| d.problem.incidents.into_iter().map(|link| view! {
                <li data-reason=format!("{:?}", link.reason).to_lowercase()>
                    <a href=format!("/incidents/{}", link.incident)>"#"{link.incident}</a>
                    " "{link.priority.as_str()}" linked "{day(link.linked_at)}
                    {format!(" ({:?})", link.reason).to_lowercase()}
                </li>
            }).collect::<Vec<_>>())}
        </ul>
    }
}

fn signature_text(signature: &RecurrenceSignature) -> String {
    match signature {
        RecurrenceSignature::AlertKey {
            integration,
            dedup_key,
        } => format!("alert {dedup_key} from {integration}"),
        RecurrenceSignature::AlertRule {
            integration,
            alertname,
            service,
        } => format!(
            "rule {alertname} from {integration}{}",
            service
                .as_ref()
                .map_or(String::new(), |s| format!(" on {s}"))
        ),
        RecurrenceSignature::SystemHost { system, host } => format!("system {system} on {host}"),
        RecurrenceSignature::CategoryRules { category, rules } => {
            format!("category {category} with {} priority rule(s)", rules.len())
        }
    }
}

#[component]
fn Signatures(state: ProblemState) -> impl IntoView {
    view! {
        <ul id="problem-signatures">
            {move || state.detail.get().map(|d| {
                if d.problem.signatures.is_empty() {
                    vec![view! { <li class="muted">"None: a new incident cannot be matched yet."</li> }.into_any()]
                } else {
                    d.problem.signatures.iter().map(|s| view! { <li>{signature_text(s)}</li> }.into_any()).collect()
                }
            })}
        </ul>
    }
}

/// One cause row of the RCA editor, a signal per field so typing keeps focus.
#[derive(Clone, Copy)]
struct CauseRow {
    id: Option<u32>,
    class: RwSignal<CauseClass>,
    summary: RwSignal<String>,
    evidence: RwSignal<String>,
}

impl CauseRow {
    fn of(draft: CauseDraft) -> Self {
        Self {
            id: draft.id,
            class: RwSignal::new(draft.class),
            summary: RwSignal::new(draft.summary),
            evidence: RwSignal::new(draft.evidence),
        }
    }

    fn draft(&self) -> CauseDraft {
        CauseDraft {
            id: self.id,
            class: self.class.get_untracked(),
            summary: self.summary.get_untracked(),
            evidence: self.evidence.get_untracked(),
        }
    }
}

#[component]
fn CauseRows(
    name: &'static str,
    label: &'static str,
    rows: RwSignal<Vec<CauseRow>>,
) -> impl IntoView {
    view! {
        <fieldset id=format!("rca-{name}")>
            <legend>{label}</legend>
            {move || rows.get().into_iter().enumerate().map(|(index, row)| view! {
                <div class="cause">
                    <select id=format!("rca-{name}-class-{index}") aria-label="Cause class"
                        on:change=move |ev| if let Some(class) = CauseClass::ALL.into_iter().find(|c| c.as_str() == event_target_value(&ev)) { row.class.set(class) }>
                        {CauseClass::ALL.into_iter().map(|class| view! {
                            <option value=class.as_str() selected=move || row.class.get() == class>{class.label()}</option>
                        }).collect::<Vec<_>>()}
                    </select>
                    <input id=format!("rca-{name}-summary-{index}") aria-label="Summary" placeholder="What it was"
                        prop:value=move || row.summary.get() on:input=move |ev| row.summary.set(event_target_value(&ev)) />
                    <input id=format!("rca-{name}-evidence-{index}") aria-label="Evidence links" placeholder="Evidence links, separated by spaces"
                        prop:value=move || row.evidence.get() on:input=move |ev| row.evidence.set(event_target_value(&ev)) />
                </div>
            }).collect::<Vec<_>>()}
            <button type="button" class="secondary" id=format!("rca-add-{name}")
                on:click=move |_| rows.update(|r| r.push(CauseRow::of(CauseDraft::default())))>
                "Add"
            </button>
        </fieldset>
    }
}

#[component]
fn TextField(id: &'static str, label: &'static str, value: RwSignal<String>) -> impl IntoView {
    view! {
        <label for=id>{label}</label>
        <textarea id=id prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))></textarea>
    }
}

/// The RCA editor (SPEC V7): the whole RCA is sent with `PUT .../rca`.
#[component]
fn RcaEditor(state: ProblemState, rca: Rca, saved: RwSignal<bool>) -> impl IntoView {
    let draft = RcaDraft::of(&rca);
    let rows = |causes: Vec<CauseDraft>| {
        RwSignal::new(causes.into_iter().map(CauseRow::of).collect::<Vec<_>>())
    };
    let root_causes = rows(draft.root_causes);
    let contributing = rows(draft.contributing_factors);
    let trigger = RwSignal::new(draft.trigger);
    let detection = RwSignal::new(draft.detection);
    let resolution = RwSignal::new(draft.resolution);
    let went_well = RwSignal::new(draft.went_well);
    let went_wrong = RwSignal::new(draft.went_wrong);
    let lucky = RwSignal::new(draft.lucky);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let causes = |rows: RwSignal<Vec<CauseRow>>| {
            rows.get_untracked().iter().map(CauseRow::draft).collect()
        };
        let draft = RcaDraft {
            root_causes: causes(root_causes),
            contributing_factors: causes(contributing),
            trigger: trigger.get_untracked(),
            detection: detection.get_untracked(),
            resolution: resolution.get_untracked(),
            went_well: went_well.get_untracked(),
            went_wrong: went_wrong.get_untracked(),
            lucky: lucky.get_untracked(),
        };
        match draft.to_rca() {
            Ok(rca) => {
                let token = state.token();
                saved.set(true);
                state.send(async move { api::put_rca(&token, state.id, &rca).await });
            }
            Err(error) => state.refuse(error),
        }
    };
    view! {
        <form class="editor rca" on:submit=save>
            <CauseRows name="root_causes" label="Root causes" rows=root_causes />
            <CauseRows name="contributing_factors" label="Contributing factors" rows=contributing />
            <TextField id="rca-trigger" label="Trigger" value=trigger />
            <TextField id="rca-detection" label="How it was detected" value=detection />
            <TextField id="rca-resolution" label="Resolution" value=resolution />
            <TextField id="rca-went-well" label="What went well (one per line)" value=went_well />
            <TextField id="rca-went-wrong" label="What went wrong (one per line)" value=went_wrong />
            <TextField id="rca-lucky" label="Where we were lucky (one per line)" value=lucky />
            <Show when=move || state.can_write()>
                <button id="rca-save" disabled=move || state.busy.get()>"Save the RCA"</button>
            </Show>
            <p id="rca-saved" role="status">
                {move || (saved.get() && !state.busy.get() && state.failure.get().is_none()).then_some("Saved.")}
            </p>
        </form>
    }
}

fn evidence_text(evidence: &Evidence) -> String {
    match evidence {
        Evidence::Link(link) => link.as_str().to_owned(),
        Evidence::Text(text) => text.as_str().to_owned(),
    }
}

#[component]
fn RemediationRow(state: ProblemState, view_: RemediationItemView) -> impl IntoView {
    let item = view_.item;
    let note = RwSignal::new(String::new());
    let item_id = item.id;
    let owner = match &item.owner {
        beacon_shared::remediation::RemediationOwner::Person { name } => name.as_str().to_owned(),
        beacon_shared::remediation::RemediationOwner::Vendor { vendor, contact } => {
            format!("{contact} ({vendor})")
        }
    };
    let actions = view_.allowed_actions;
    view! {
        <tr id=format!("remediation-{item_id}") data-status=item.status.as_str()
            data-overdue=view_.overdue.to_string() data-vendor=item.owner.is_vendor().to_string()>
            <td>{item.title.as_str().to_owned()}</td>
            <td>{item.kind.as_str()}</td>
            <td>{owner}</td>
            <td>{day(item.due_at)}{view_.overdue.then(|| view! { " " <strong class="error">"overdue"</strong> })}</td>
            <td class="status">
                {item.status.as_str().replace('_', " ")}
                {item.evidence.as_ref().map(|e| format!(": {}", evidence_text(e)))}
                {item.declined_reason.as_ref().map(|r| format!(": {}", r.as_str()))}
            </td>
            <td>
                <Show when=move || state.can_write()>
                    <input id=format!("remediation-{item_id}-note") aria-label="Evidence or reason"
                        placeholder="Evidence to verify, reason to decline"
                        prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev)) />
                    {actions.iter().copied().map(|action| {
                        let permitted = move || state.role.get().is_some_and(|role| action.permitted(role));
                        view! {
                            <Show when=permitted>
                                <button class="secondary" id=format!("remediation-{item_id}-{}", action.as_str())
                                    disabled=move || state.busy.get()
                                    on:click=move |_| match remediation_request(action, &note.get_untracked()) {
                                        Ok(request) => {
                                            let token = state.token();
                                            state.send(async move { api::transition_remediation(&token, item_id, &request).await });
                                        }
                                        Err(error) => state.refuse(error),
                                    }>
                                    {if action == beacon_shared::remediation::RemediationAction::Decline { "won't do".to_owned() } else { action.as_str().to_owned() }}
                                </button>
                            </Show>
                        }
                    }).collect::<Vec<_>>()}
                </Show>
            </td>
        </tr>
    }
}

fn remediation_table(
    state: ProblemState,
    id: String,
    items: Vec<RemediationItemView>,
) -> impl IntoView {
    view! {
        <table id=id class="remediation">
            <thead><tr><th>"Item"</th><th>"Kind"</th><th>"Owner"</th><th>"Due"</th><th>"Status"</th><th></th></tr></thead>
            <tbody>
                {items.into_iter().map(|item| view! { <RemediationRow state=state view_=item /> }).collect::<Vec<_>>()}
            </tbody>
        </table>
    }
}

#[component]
fn RemediationList(state: ProblemState) -> impl IntoView {
    move || {
        state
            .detail
            .get()
            .map(|d| remediation_table(state, "remediation-items".into(), d.remediation))
    }
}

#[component]
fn RemediationForm(state: ProblemState) -> impl IntoView {
    let title = RwSignal::new(String::new());
    let kind = RwSignal::new(RemediationKind::Prevent);
    let owner = RwSignal::new(String::new());
    let vendor = RwSignal::new(String::new());
    let group = RwSignal::new(String::new());
    let due = RwSignal::new(String::new());
    let input = |id: &'static str,
                 label: &'static str,
                 kind: &'static str,
                 value: RwSignal<String>| {
        view! {
            <label for=id>{label}</label>
            <input id=id type=kind prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev)) />
        }
    };
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let draft = RemediationDraft {
            title: title.get_untracked(),
            kind: kind.get_untracked(),
            owner: owner.get_untracked(),
            vendor: vendor.get_untracked(),
            owning_group: group.get_untracked(),
            due: due.get_untracked(),
        };
        match draft.to_request() {
            Ok(request) => {
                let token = state.token();
                for field in [title, owner, vendor, group, due] {
                    field.set(String::new());
                }
                state.send(
                    async move { api::add_remediation_item(&token, state.id, &request).await },
                );
            }
            Err(error) => state.refuse(error),
        }
    };
    view! {
        <form class="editor" id="remediation-form" on:submit=add>
            <h3>"Add a remediation item"</h3>
            {input("remediation-title", "What", "text", title)}
            <label for="remediation-kind">"Kind"</label>
            <select id="remediation-kind" on:change=move |ev| if let Some(k) = RemediationKind::ALL.into_iter().find(|k| k.as_str() == event_target_value(&ev)) { kind.set(k) }>
                {RemediationKind::ALL.into_iter().map(|k| view! { <option value=k.as_str()>{k.as_str()}</option> }).collect::<Vec<_>>()}
            </select>
            {input("remediation-owner", "Owner (the vendor's contact for a vendor's item)", "text", owner)}
            {input("remediation-vendor", "Vendor (empty when the owner is one of us)", "text", vendor)}
            {input("remediation-group", "Owning group", "text", group)}
            {input("remediation-due", "Due", "date", due)}
            <button id="remediation-add" disabled=move || state.busy.get()>"Add the item"</button>
        </form>
    }
}

#[component]
fn VendorRcas(state: ProblemState) -> impl IntoView {
    move || {
        state.detail.get().map(|d| view! {
        <ul id="vendor-rcas">
            {d.vendor_rcas.into_iter().map(|v| {
                let document = match &v.rca.document {
                    VendorDocument::Link(link) => view! { <a href=link.as_str().to_owned() rel="noopener noreferrer" target="_blank">"document"</a> }.into_any(),
                    VendorDocument::Text(text) => view! { <q>{text.as_str().to_owned()}</q> }.into_any(),
                };
                view! {
                    <li>
                        <strong>{v.rca.vendor.as_str().to_owned()}</strong>" (received "{day(v.rca.received_at)}"): "
                        {v.rca.stated_root_cause.as_str().to_owned()}" "{document}
                        {(!v.items.is_empty()).then(|| remediation_table(state, format!("vendor-rca-{}-items", v.rca.id), v.items))}
                    </li>
                }
            }).collect::<Vec<_>>()}
        </ul>
    })
    }
}

#[component]
fn VendorRcaForm(state: ProblemState) -> impl IntoView {
    let fields: [RwSignal<String>; 7] = std::array::from_fn(|_| RwSignal::new(String::new()));
    let [vendor, received, document, cause, item_title, item_contact, item_due] = fields;
    let input = |id: &'static str,
                 label: &'static str,
                 kind: &'static str,
                 value: RwSignal<String>| {
        view! {
            <label for=id>{label}</label>
            <input id=id type=kind prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev)) />
        }
    };
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let draft = VendorRcaDraft {
            vendor: vendor.get_untracked(),
            received: received.get_untracked(),
            document: document.get_untracked(),
            stated_root_cause: cause.get_untracked(),
            item_title: item_title.get_untracked(),
            item_contact: item_contact.get_untracked(),
            item_due: item_due.get_untracked(),
        };
        match draft.to_request() {
            Ok(request) => {
                let token = state.token();
                for field in fields {
                    field.set(String::new());
                }
                state.send(async move { api::add_vendor_rca(&token, state.id, &request).await });
            }
            Err(error) => state.refuse(error),
        }
    };
    view! {
        <form class="editor" id="vendor-rca-form" on:submit=add>
            <h3>"File a vendor RCA"</h3>
            {input("vendor-name", "Vendor", "text", vendor)}
            {input("vendor-received", "Received", "date", received)}
            {input("vendor-document", "Their document (link or text)", "text", document)}
            {input("vendor-cause", "Their stated root cause", "text", cause)}
            {input("vendor-item-title", "Their pending remediation (optional)", "text", item_title)}
            {input("vendor-item-contact", "Their contact for it", "text", item_contact)}
            {input("vendor-item-due", "Due", "date", item_due)}
            <button id="vendor-rca-add" disabled=move || state.busy.get()>"File it"</button>
        </form>
    }
}

/// The problem's incident report (SPEC V5, R1): a link to it when there is
/// one; otherwise, for a writer, "Draft the incident report", which has the
/// edge compose the first draft from the ticket and opens it in the editor.
#[component]
fn IncidentReportLink(state: ProblemState) -> impl IntoView {
    let address = crate::navigation::use_address();
    // `None` until the edge answered whether the problem has a report.
    let has_report = RwSignal::new(None::<bool>);
    Effect::new(move |_| {
        let Some(token) = state.token.get() else {
            return;
        };
        leptos::task::spawn_local(async move {
            match api::report(&token, state.id).await {
                Ok(_) => has_report.set(Some(true)),
                Err(err) if err.status == 404 => has_report.set(Some(false)),
                Err(err) => state.failure.set(Some(err.to_string())),
            }
        });
    });
    let draft = move |_| {
        let token = state.token();
        state.busy.set(true);
        leptos::task::spawn_local(async move {
            match api::draft_report(&token, state.id).await {
                Ok(_) => address.go(&format!("/problems/{}/report", state.id)),
                Err(err) => state.failure.set(Some(err.to_string())),
            }
            state.busy.set(false);
        });
    };
    move || {
        match has_report.get() {
        Some(true) => view! {
            <p id="report-link"><a href=format!("/problems/{}/report", state.id)>"The incident report"</a></p>
        }
        .into_any(),
        Some(false) if state.can_write() => view! {
            <button id="draft-report" class="secondary" disabled=move || state.busy.get() on:click=draft>
                "Draft the incident report"
            </button>
        }
        .into_any(),
        _ => ().into_any(),
    }
    }
}
