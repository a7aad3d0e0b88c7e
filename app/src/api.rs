//! The HTTP client for Beacon's JSON API, speaking `beacon_shared::api`.
//!
//! The browser sends the session cookie by itself (same origin); every call
//! takes the session's CSRF token as `token` and sends it in the CSRF header,
//! which the edge requires on writes. A 401 ends the session in the browser
//! (`browser_session::session_ended`), and the running bundle shows it.

use crate::http::Request;
use beacon_shared::api::glance::{
    AlertListGlance, IncidentDetailGlance, IncidentGlance, IncidentListGlance,
};
use beacon_shared::api::post_incident::{
    ApproveRequest, IncidentReportView, NewProblem, NewRemediationItem, NewReview, NewVendorRca,
    ProblemDetail, ProblemList, ProblemTransitionRequest, RemediationBoard, RemediationItemView,
    RemediationTransitionRequest, ReportContentRequest, ReportTransitionRequest, ReviewRecorded,
};
use beacon_shared::api::{
    AlertList, AttachAlert, CategoryChange, CategoryList, DiscardAlert, ErrorBody, EscalationView,
    ImpactStartChange, IncidentDetail, NewIncident, NewTimelineEntry, NewToken, NewUser,
    OnCallList, PeopleList, PriorityChange, PullInTeam, RotaRequest, TokenCreated,
    TransitionRequest, UserView,
};
use beacon_shared::rca::Rca;
use beacon_shared::review::{
    NewReviewSnapshot, ReviewPage, ReviewSnapshotSummary, ReviewSnapshotView,
};
use beacon_shared::session::{SessionStart, SessionView, CSRF_HEADER};
use beacon_shared::status_editing::{
    ComponentStatusChange, NewMaintenance, NewMaintenanceUpdate, NewPublicIncident,
    NewPublicUpdate, NewStatusComponent, PublishedIncident, PublishedMaintenance,
};
use beacon_shared::status_page::{Component, ComponentId, IncidentId, StatusPage};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Why an API call failed, ready to show to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiFailure {
    pub status: u16,
    pub message: String,
    pub field: Option<String>,
}

impl std::fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{field}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

fn network(err: crate::http::Error) -> ApiFailure {
    ApiFailure {
        status: 0,
        message: format!("network error: {err}"),
        field: None,
    }
}

/// Sends `request` and answers the body of a 2xx answer, else the refusal
/// with the field it names. Not generic, so that every call shares it and
/// only reading the body differs per answer type.
async fn exchange(request: Request, token: &str) -> Result<String, ApiFailure> {
    let response = authorized(request, token).send().await.map_err(network)?;
    let status = response.status();
    let text = response.text().await.map_err(network)?;
    if (200..300).contains(&status) {
        return Ok(text);
    }
    if status == 401 {
        crate::browser_session::session_ended();
    }
    Err(refusal(status, &text))
}

/// The refusal an answer's `{"error": {"message", "field"}}` body states.
fn refusal(status: u16, body: &str) -> ApiFailure {
    match serde_json::from_str::<ErrorBody>(body) {
        Ok(body) => ApiFailure {
            status,
            message: body.error.message,
            field: body.error.field,
        },
        Err(_) => ApiFailure {
            status,
            message: format!("request failed ({status})"),
            field: None,
        },
    }
}

/// The body of a request that carries nothing: `{}`.
#[derive(Serialize)]
struct Nothing {}

/// `POST`s `{}` to `path`; the answer's body is not read.
async fn post_nothing(token: &str, path: &str) -> Result<(), ApiFailure> {
    let request = Request::post(path).json(&Nothing {}).map_err(network)?;
    exchange(request, token).await.map(drop)
}

/// An answer's body read as `T`.
fn read<T: DeserializeOwned>(body: &str) -> Result<T, ApiFailure> {
    serde_json::from_str(body).map_err(|err| ApiFailure {
        status: 0,
        message: format!("unexpected answer: {err}"),
        field: None,
    })
}

/// `builder` with the session's CSRF token, when signed in.
fn authorized(builder: Request, token: &str) -> Request {
    if token.is_empty() {
        builder
    } else {
        builder.header(CSRF_HEADER, token)
    }
}

/// `POST /api/session`: exchanges an API token for a browser session (its
/// cookie set by the answer) and returns the session's CSRF token.
pub async fn start_session(api_token: &str) -> Result<SessionView, ApiFailure> {
    let request = SessionStart {
        token: api_token.to_owned(),
    };
    send(Request::post("/api/session"), "", &request).await
}

/// `DELETE /api/session`: signs out.
pub async fn end_session(token: &str) -> Result<(), ApiFailure> {
    exchange(Request::delete("/api/session"), token)
        .await
        .map(drop)
}

async fn get<T: DeserializeOwned>(token: &str, path: &str) -> Result<T, ApiFailure> {
    read(&exchange(Request::get(path), token).await?)
}

async fn send<B: Serialize, T: DeserializeOwned>(
    builder: Request,
    token: &str,
    body: &B,
) -> Result<T, ApiFailure> {
    read(&exchange(builder.json(body).map_err(network)?, token).await?)
}

/// `GET /api/users` (admin): everyone with their tokens.
pub async fn people(token: &str) -> Result<PeopleList, ApiFailure> {
    get(token, "/api/users").await
}

/// `POST /api/users` (admin): adds a person.
pub async fn create_user(token: &str, user: &NewUser) -> Result<UserView, ApiFailure> {
    send(Request::post("/api/users"), token, user).await
}

/// `POST /api/users/{id}/tokens` (admin): a new token, shown only now.
pub async fn create_token(
    token: &str,
    user_id: i64,
    request: &NewToken,
) -> Result<TokenCreated, ApiFailure> {
    let path = format!("/api/users/{user_id}/tokens");
    send(Request::post(&path), token, request).await
}

/// `POST /api/tokens/{id}/revoke` (admin).
pub async fn revoke_token(token: &str, id: i64) -> Result<(), ApiFailure> {
    post_nothing(token, &format!("/api/tokens/{id}/revoke")).await
}

/// `POST /api/users/{id}/disable` (admin): every token of theirs stops.
pub async fn disable_user(token: &str, id: i64) -> Result<(), ApiFailure> {
    post_nothing(token, &format!("/api/users/{id}/disable")).await
}

/// `GET /api/me`: who is signed in, and their role.
pub async fn me(token: &str) -> Result<UserView, ApiFailure> {
    get(token, "/api/me").await
}

/// `GET /api/categories`
pub async fn categories(token: &str) -> Result<CategoryList, ApiFailure> {
    get(token, "/api/categories").await
}

/// `GET /api/incidents?{query}` with the queue's filters.
pub async fn list_incidents(token: &str, query: &str) -> Result<IncidentListGlance, ApiFailure> {
    let path = match query {
        "" => "/api/incidents".to_owned(),
        query => format!("/api/incidents?{query}"),
    };
    get(token, &path).await
}

/// `GET /api/incidents/{id}`
pub async fn incident(token: &str, id: i64) -> Result<IncidentDetailGlance, ApiFailure> {
    get(token, &format!("/api/incidents/{id}")).await
}

/// `POST /api/incidents`
pub async fn create_incident(
    token: &str,
    incident: &NewIncident,
) -> Result<IncidentGlance, ApiFailure> {
    send(Request::post("/api/incidents"), token, incident).await
}

/// `POST /api/incidents/{id}/transitions`
pub async fn transition(
    token: &str,
    id: i64,
    request: &TransitionRequest,
) -> Result<IncidentDetailGlance, ApiFailure> {
    let path = format!("/api/incidents/{id}/transitions");
    send(Request::post(&path), token, request).await
}

/// `PUT /api/incidents/{id}/priority`
pub async fn change_priority(
    token: &str,
    id: i64,
    change: &PriorityChange,
) -> Result<IncidentDetailGlance, ApiFailure> {
    let path = format!("/api/incidents/{id}/priority");
    send(Request::put(&path), token, change).await
}

/// `PUT /api/incidents/{id}/category`
pub async fn change_category(
    token: &str,
    id: i64,
    change: &CategoryChange,
) -> Result<IncidentDetailGlance, ApiFailure> {
    let path = format!("/api/incidents/{id}/category");
    send(Request::put(&path), token, change).await
}

/// `POST /api/incidents/{id}/timeline`
pub async fn add_timeline_entry(
    token: &str,
    id: i64,
    entry: &NewTimelineEntry,
) -> Result<IncidentDetailGlance, ApiFailure> {
    let path = format!("/api/incidents/{id}/timeline");
    send(Request::post(&path), token, entry).await
}

/// `GET /api/alerts`: the alert queue, untriaged first.
pub async fn alerts(token: &str) -> Result<AlertList, ApiFailure> {
    get(token, "/api/alerts").await
}

/// `GET /api/alerts?incident={id}`: the alerts of one incident (its notification group or storm).
pub async fn incident_alerts(token: &str, id: i64) -> Result<AlertListGlance, ApiFailure> {
    get(token, &format!("/api/alerts?incident={id}")).await
}

/// `POST /api/alerts/{id}/open`: takes the alert's incident into triage.
pub async fn open_alert(token: &str, id: i64) -> Result<IncidentDetail, ApiFailure> {
    let path = format!("/api/alerts/{id}/open");
    send(Request::post(&path), token, &Nothing {}).await
}

/// `POST /api/alerts/{id}/discard`: an event without impact (V10).
pub async fn discard_alert(
    token: &str,
    id: i64,
    request: &DiscardAlert,
) -> Result<IncidentDetail, ApiFailure> {
    let path = format!("/api/alerts/{id}/discard");
    send(Request::post(&path), token, request).await
}

/// `POST /api/alerts/{id}/attach`: the alert belongs to an open incident.
pub async fn attach_alert(
    token: &str,
    id: i64,
    request: &AttachAlert,
) -> Result<IncidentDetail, ApiFailure> {
    let path = format!("/api/alerts/{id}/attach");
    send(Request::post(&path), token, request).await
}

/// `GET /api/on-call`: who is on call now and next, per role.
pub async fn on_call(token: &str) -> Result<OnCallList, ApiFailure> {
    get(token, "/api/on-call").await
}

/// `GET /api/incidents/{id}/escalation`
pub async fn escalation(token: &str, id: i64) -> Result<EscalationView, ApiFailure> {
    get(token, &format!("/api/incidents/{id}/escalation")).await
}

/// `POST /api/incidents/{id}/acknowledge`: the signed-in person takes the page.
pub async fn acknowledge(token: &str, id: i64) -> Result<IncidentDetailGlance, ApiFailure> {
    let path = format!("/api/incidents/{id}/acknowledge");
    send(Request::post(&path), token, &Nothing {}).await
}

/// `PUT /api/rotas/{role}` (incident commander, management, admin).
pub async fn put_rota(
    token: &str,
    role: beacon_shared::rota::RotaRole,
    rota: &RotaRequest,
) -> Result<OnCallList, ApiFailure> {
    let path = format!("/api/rotas/{}", role.as_str());
    send(Request::put(&path), token, rota).await
}

/// `POST /api/incidents/{id}/teams`: pull an engineering team in (E5).
pub async fn pull_in_team(
    token: &str,
    id: i64,
    request: &PullInTeam,
) -> Result<IncidentDetailGlance, ApiFailure> {
    let path = format!("/api/incidents/{id}/teams");
    send(Request::post(&path), token, request).await
}

/// `GET /api/escalation/config`: the time limits and policies in force.
pub async fn escalation_config(
    token: &str,
) -> Result<beacon_shared::escalation::EscalationConfig, ApiFailure> {
    get(token, "/api/escalation/config").await
}

/// `PUT /api/escalation/config` (incident commander, management, admin).
pub async fn put_escalation_config(
    token: &str,
    config: &beacon_shared::escalation::EscalationConfig,
) -> Result<beacon_shared::escalation::EscalationConfig, ApiFailure> {
    send(Request::put("/api/escalation/config"), token, config).await
}

/// `GET /api/status/page`: the whole status page as customer support edits it.
pub async fn status_page(token: &str) -> Result<StatusPage, ApiFailure> {
    get(token, "/api/status/page").await
}

/// `POST /api/status/components`: a K1 category becomes a component (M1).
pub async fn add_status_component(
    token: &str,
    component: &NewStatusComponent,
) -> Result<Component, ApiFailure> {
    send(Request::post("/api/status/components"), token, component).await
}

/// `PUT /api/status/components/{id}/status`
pub async fn set_component_status(
    token: &str,
    id: &ComponentId,
    change: &ComponentStatusChange,
) -> Result<Component, ApiFailure> {
    let path = format!("/api/status/components/{id}/status");
    send(Request::put(&path), token, change).await
}

/// `POST /api/status/incidents`: publishes (or with `preview` only shows) a
/// public incident (M2).
pub async fn publish_incident(
    token: &str,
    incident: &NewPublicIncident,
) -> Result<PublishedIncident, ApiFailure> {
    send(Request::post("/api/status/incidents"), token, incident).await
}

/// `POST /api/status/incidents/{id}/updates`: the next public update (M3).
pub async fn post_public_update(
    token: &str,
    id: &IncidentId,
    update: &NewPublicUpdate,
) -> Result<PublishedIncident, ApiFailure> {
    let path = format!("/api/status/incidents/{id}/updates");
    send(Request::post(&path), token, update).await
}

/// `POST /api/status/maintenances`: announces planned work (M5).
pub async fn schedule_maintenance(
    token: &str,
    maintenance: &NewMaintenance,
) -> Result<PublishedMaintenance, ApiFailure> {
    send(
        Request::post("/api/status/maintenances"),
        token,
        maintenance,
    )
    .await
}

/// `POST /api/status/maintenances/{id}/updates`: the maintenance moves forward.
pub async fn post_maintenance_update(
    token: &str,
    id: &IncidentId,
    update: &NewMaintenanceUpdate,
) -> Result<PublishedMaintenance, ApiFailure> {
    let path = format!("/api/status/maintenances/{id}/updates");
    send(Request::post(&path), token, update).await
}

/// `GET /api/problems`: the problems the reader may see (SPEC R3, K3).
pub async fn problems(token: &str) -> Result<ProblemList, ApiFailure> {
    get(token, "/api/problems").await
}

/// `PUT /api/incidents/{id}/impact-start`: when the impact started (SPEC Q1).
pub async fn set_impact_start(
    token: &str,
    id: i64,
    change: &ImpactStartChange,
) -> Result<IncidentDetailGlance, ApiFailure> {
    send(
        Request::put(&format!("/api/incidents/{id}/impact-start")),
        token,
        change,
    )
    .await
}

/// `GET /api/review?{query}`: the review meeting's page of a period (SPEC Q5).
pub async fn review(token: &str, query: &str) -> Result<ReviewPage, ApiFailure> {
    get(token, &format!("/api/review?{query}")).await
}

/// `POST /api/review/snapshots`: saves the review with its minutes (SPEC Q5).
pub async fn save_review_snapshot(
    token: &str,
    request: &NewReviewSnapshot,
) -> Result<ReviewSnapshotView, ApiFailure> {
    send(Request::post("/api/review/snapshots"), token, request).await
}

/// `GET /api/review/snapshots`: the saved snapshots, newest first.
pub async fn review_snapshots(token: &str) -> Result<Vec<ReviewSnapshotSummary>, ApiFailure> {
    get(token, "/api/review/snapshots").await
}

/// `GET /api/review/snapshots/{id}`.
pub async fn review_snapshot(token: &str, id: i64) -> Result<ReviewSnapshotView, ApiFailure> {
    get(token, &format!("/api/review/snapshots/{id}")).await
}

/// `GET /api/problems/{id}`: the problem page (SPEC R3, V7, V8, R4, R6).
pub async fn problem(token: &str, id: i64) -> Result<ProblemDetail, ApiFailure> {
    get(token, &format!("/api/problems/{id}")).await
}

/// `POST /api/problems`: opens a problem by hand, e.g. from an incident
/// (SPEC R3), and answers its id. Every caller goes on to the problem's own
/// page, so only the id is read from the answer: the SRE's bundle, which
/// opens problems from the incident page, carries none of the problem's
/// types.
pub async fn create_problem(token: &str, problem: &NewProblem) -> Result<i64, ApiFailure> {
    #[derive(serde::Deserialize)]
    struct Opened {
        problem: OpenedProblem,
    }
    #[derive(serde::Deserialize)]
    struct OpenedProblem {
        id: i64,
    }
    let opened: Opened = send(Request::post("/api/problems"), token, problem).await?;
    Ok(opened.problem.id)
}

/// `POST /api/problems/{id}/transitions` (SPEC R3).
pub async fn transition_problem(
    token: &str,
    id: i64,
    request: &ProblemTransitionRequest,
) -> Result<ProblemDetail, ApiFailure> {
    let path = format!("/api/problems/{id}/transitions");
    send(Request::post(&path), token, request).await
}

/// `PUT /api/problems/{id}/rca`: the whole RCA (SPEC V7); answers with it.
pub async fn put_rca(token: &str, id: i64, rca: &Rca) -> Result<Rca, ApiFailure> {
    let path = format!("/api/problems/{id}/rca");
    send(Request::put(&path), token, rca).await
}

/// `POST /api/problems/{id}/remediation`: a new item (SPEC V8).
pub async fn add_remediation_item(
    token: &str,
    id: i64,
    item: &NewRemediationItem,
) -> Result<ProblemDetail, ApiFailure> {
    let path = format!("/api/problems/{id}/remediation");
    send(Request::post(&path), token, item).await
}

/// `POST /api/remediation/{id}/transitions`: start, complete, verify with
/// evidence, decline with a reason (management), reopen (SPEC V8).
pub async fn transition_remediation(
    token: &str,
    id: i64,
    request: &RemediationTransitionRequest,
) -> Result<RemediationItemView, ApiFailure> {
    let path = format!("/api/remediation/{id}/transitions");
    send(Request::post(&path), token, request).await
}

/// `POST /api/problems/{id}/vendor-rcas`: a vendor's RCA with its pending
/// remediations (SPEC R4).
pub async fn add_vendor_rca(
    token: &str,
    id: i64,
    rca: &NewVendorRca,
) -> Result<ProblemDetail, ApiFailure> {
    let path = format!("/api/problems/{id}/vendor-rcas");
    send(Request::post(&path), token, rca).await
}

/// The editor's answer from `/api/problems/{id}/report`: the report with its
/// tone warnings, approval state, customer preview and published version.
/// (The answer's `reviews` are not read here.)
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct ReportPage {
    pub report: IncidentReportView,
}

/// `POST` without a body.
async fn post_empty<T: DeserializeOwned>(token: &str, path: &str) -> Result<T, ApiFailure> {
    read(&exchange(Request::post(path), token).await?)
}

fn report_path(problem: i64) -> String {
    format!("/api/problems/{problem}/report")
}

/// `POST /api/problems/{id}/report` without a body: the edge composes the
/// first draft from the problem, its incident's timeline, the RCA and the
/// remediation plan (SPEC V5, R1).
pub async fn draft_report(token: &str, problem: i64) -> Result<ReportPage, ApiFailure> {
    post_empty(token, &report_path(problem)).await
}

/// `GET /api/problems/{id}/report`: the editor's view (SPEC V5, R5); 404
/// when the problem has no report yet.
pub async fn report(token: &str, problem: i64) -> Result<ReportPage, ApiFailure> {
    get(token, &report_path(problem)).await
}

/// `PUT /api/problems/{id}/report`: an edit, which voids an approval (SPEC R5).
pub async fn edit_report(
    token: &str,
    problem: i64,
    content: &ReportContentRequest,
) -> Result<ReportPage, ApiFailure> {
    send(Request::put(&report_path(problem)), token, content).await
}

/// `POST /api/problems/{id}/report/transitions`: submit for review, return
/// to draft.
pub async fn transition_report(
    token: &str,
    problem: i64,
    request: &ReportTransitionRequest,
) -> Result<ReportPage, ApiFailure> {
    let path = format!("{}/transitions", report_path(problem));
    send(Request::post(&path), token, request).await
}

/// `POST /api/problems/{id}/report/approve` (management, SPEC R5).
pub async fn approve_report(
    token: &str,
    problem: i64,
    request: &ApproveRequest,
) -> Result<ReportPage, ApiFailure> {
    let path = format!("{}/approve", report_path(problem));
    send(Request::post(&path), token, request).await
}

/// `POST /api/problems/{id}/report/publish`: the approved version becomes
/// the public incident's postmortem (SPEC R5).
pub async fn publish_report(token: &str, problem: i64) -> Result<ReportPage, ApiFailure> {
    post_empty(token, &format!("{}/publish", report_path(problem))).await
}

/// `POST /api/problems/{id}/reviews`: the review meeting's record (SPEC V6,
/// R2).
pub async fn record_review(
    token: &str,
    problem: i64,
    review: &NewReview,
) -> Result<ReviewRecorded, ApiFailure> {
    let path = format!("/api/problems/{problem}/reviews");
    send(Request::post(&path), token, review).await
}

/// `GET /api/remediation`: every item the reader may see, in board order
/// (SPEC V8, K3).
pub async fn remediation_board(token: &str) -> Result<RemediationBoard, ApiFailure> {
    get(token, "/api/remediation").await
}

/// `GET /api/reports/{table}?{query}`: a report table as JSON (SPEC Q1-Q4).
pub async fn report_table<T: DeserializeOwned>(
    token: &str,
    table: &str,
    query: &str,
) -> Result<T, ApiFailure> {
    get(token, &format!("/api/reports/{table}?{query}")).await
}

/// A file of the API (a report chart's SVG, a table's CSV), fetched with the
/// token, as a `blob:` URL for an `<img>` or a download link. The caller
/// revokes it with `web_sys::Url::revoke_object_url` when done.
pub async fn file_url(token: &str, path: &str) -> Result<String, ApiFailure> {
    let response = authorized(Request::get(path), token)
        .send()
        .await
        .map_err(network)?;
    let status = response.status();
    if !(200..300).contains(&status) {
        if status == 401 {
            crate::browser_session::session_ended();
        }
        return Err(refusal(status, &response.text().await.map_err(network)?));
    }
    let blob = response.blob().await.map_err(network)?;
    let failed = |_| ApiFailure {
        status: 0,
        message: "the browser could not keep the file".to_owned(),
        field: None,
    };
    web_sys::Url::create_object_url_with_blob(&blob).map_err(failed)
}
