//! The on-call SRE's alert queue (SPEC V2, V10, I2): alerts nobody has looked at
//! first, each with its three ways out: open its incident for triage, attach it
//! to an incident already open, or discard it as an event without impact.

use crate::api;
use crate::credentials::use_credentials;
use crate::navigation::use_address;
use beacon_shared::api::{AlertView, AttachAlert, DiscardAlert};
use beacon_shared::lifecycle::IncidentStatus;
use beacon_shared::{format_duration, DurationStyle, Timestamp};
use leptos::prelude::*;

/// An alert the SRE still has to decide about: its incident was not triaged yet.
pub fn awaits_triage(alert: &AlertView) -> bool {
    alert
        .incident_status
        .is_some_and(IncidentStatus::is_untriaged)
}

/// The number typed into "attach to incident", if it is one.
pub fn parse_incident_number(input: &str) -> Option<i64> {
    let trimmed = input.trim().trim_start_matches('#');
    trimmed.parse::<i64>().ok().filter(|id| *id > 0)
}

#[component]
pub fn AlertQueue() -> impl IntoView {
    let credentials = use_credentials();
    let reload = RwSignal::new(0u32);
    let message = RwSignal::new(None::<String>);
    let alerts = LocalResource::new(move || {
        let token = credentials.token.get();
        reload.track();
        async move {
            match token {
                Some(token) => api::alerts(&token).await.map(Some),
                None => Ok(None),
            }
        }
    });
    view! {
        <h1>"Alert queue"</h1>
        <p class="muted">"Alerts whose incident nobody has triaged come first. Open one to triage it, attach it to an incident already open, or discard it with the reason it has no impact."</p>
        <p id="alert-queue-result" role="status">{move || message.get()}</p>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || alerts.get().map(|result| match result {
                Ok(None) => view! { <p>"Sign in to see the alert queue."</p> }.into_any(),
                Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                Ok(Some(list)) if list.alerts.is_empty() => {
                    view! { <p id="alert-queue-empty" class="muted">"No alerts."</p> }.into_any()
                }
                Ok(Some(list)) => {
                    let now = Timestamp::from_unix_millis(js_sys::Date::now() as i64);
                    let more = list.more.then(|| view! {
                        <p id="alert-queue-more" class="muted">
                            {format!("More alerts match than the {} listed here: those nobody has looked at come first, then the newest. During a storm the rest are on the storm's incident.", list.limit)}
                        </p>
                    });
                    view! {
                        {more}
                        <table id="alert-queue" class="stacked">
                            <thead><tr>
                                <th>"Alert"</th><th>"Severity"</th><th>"From"</th><th>"Seen"</th>
                                <th>"State"</th><th>"Incident"</th><th>"Decide"</th>
                            </tr></thead>
                            <tbody>
                                {list.alerts.into_iter().map(|alert| view! {
                                    <AlertRow alert=alert now=now reload=reload message=message />
                                }).collect::<Vec<_>>()}
                            </tbody>
                        </table>
                    }.into_any()
                }
            })}
        </Suspense>
    }
}

#[component]
fn AlertRow(
    alert: AlertView,
    now: Timestamp,
    reload: RwSignal<u32>,
    message: RwSignal<Option<String>>,
) -> impl IntoView {
    let credentials = use_credentials();
    let address = use_address();
    let id = alert.id;
    let pending = awaits_triage(&alert);
    let reason = RwSignal::new(String::new());
    let target = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let run = move |label: &'static str,
                    call: std::pin::Pin<
        Box<
            dyn std::future::Future<
                Output = Result<beacon_shared::api::IncidentDetail, api::ApiFailure>,
            >,
        >,
    >,
                    then: Box<dyn Fn(i64)>| {
        busy.set(true);
        failure.set(None);
        leptos::task::spawn_local(async move {
            match call.await {
                Ok(detail) => {
                    message.set(Some(format!(
                        "Alert {id} {label}: incident {} is {}.",
                        detail.incident.id,
                        detail.incident.status.as_str()
                    )));
                    then(detail.incident.id);
                }
                Err(err) => failure.set(Some(err.to_string())),
            }
            busy.set(false);
        });
    };
    let token = move || credentials.token.get_untracked().unwrap_or_default();
    let refuse = move |why: &str| failure.set(Some(why.into()));
    let reload_queue = move |_: i64| reload.update(|n| *n += 1);
    let open = move |_| {
        let token = token();
        run(
            "opened",
            Box::pin(async move { api::open_alert(&token, id).await }),
            Box::new(move |incident| address.go(&format!("/incidents/{incident}"))),
        );
    };
    let discard = move |_| {
        let text = reason.get_untracked();
        if text.trim().is_empty() {
            return refuse("Say why this alert has no impact before discarding it.");
        }
        let token = token();
        run(
            "discarded",
            Box::pin(async move {
                api::discard_alert(&token, id, &DiscardAlert { reason: text }).await
            }),
            Box::new(reload_queue),
        );
    };
    let attach = move |_| {
        let Some(incident_id) = parse_incident_number(&target.get_untracked()) else {
            return refuse("Type the number of the incident to attach this alert to.");
        };
        let token = token();
        run(
            "attached",
            Box::pin(
                async move { api::attach_alert(&token, id, &AttachAlert { incident_id }).await },
            ),
            Box::new(reload_queue),
        );
    };
    let incident = alert.incident_id.map(|incident_id| {
        let status = alert
            .incident_status
            .map(|s| s.as_str().replace('_', " "))
            .unwrap_or_default();
        view! { <a href=format!("/incidents/{incident_id}")>{format!("#{incident_id}")}</a> " " <span class="muted">{status}</span> }
    });
    let severity = alert.severity.clone().unwrap_or_else(|| "-".into());
    view! {
        <tr data-alert-id=id data-awaits-triage=pending.to_string() class:new-alert=pending>
            <td>
                {pending.then(|| view! { <strong class="badge new">"new"</strong> " " })}
                {alert.summary.clone()}
                <div class="muted">{alert.dedup_key.clone()}</div>
            </td>
            <td data-label="Severity">{severity}</td>
            <td data-label="From">{alert.integration.clone()}</td>
            <td data-label="Seen">
                {format!("{} ago", format_duration(now.millis_since(alert.first_seen).max(0), DurationStyle::Short))}
                {(alert.deliveries > 1).then(|| view! { <div class="muted">{format!("{} deliveries", alert.deliveries)}</div> })}
            </td>
            <td data-label="State">{alert.status.clone()}</td>
            <td data-label="Incident">{incident}</td>
            <td class="alert-actions">
                {pending.then(|| view! {
                    <button id=format!("alert-open-{id}") on:click=open disabled=move || busy.get()>"Open incident"</button>
                    <label>"Reason"
                        <input id=format!("alert-discard-reason-{id}") type="text" placeholder="why there is no impact"
                            prop:value=move || reason.get() on:input=move |ev| reason.set(event_target_value(&ev)) />
                    </label>
                    <button id=format!("alert-discard-{id}") on:click=discard disabled=move || busy.get()>"Discard"</button>
                    <label>"Incident #"
                        <input id=format!("alert-attach-target-{id}") type="text" inputmode="numeric" size="6"
                            prop:value=move || target.get() on:input=move |ev| target.set(event_target_value(&ev)) />
                    </label>
                    <button id=format!("alert-attach-{id}") on:click=attach disabled=move || busy.get()>"Attach"</button>
                })}
                <p class="error" role="alert">{move || failure.get()}</p>
            </td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incident_numbers_may_have_a_hash() {
        assert_eq!(parse_incident_number(" #42 "), Some(42));
        assert_eq!(parse_incident_number("42"), Some(42));
        assert_eq!(parse_incident_number("0"), None);
        assert_eq!(parse_incident_number("forty"), None);
    }
}
