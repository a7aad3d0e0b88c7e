//! Who is on call (SPEC E1: the rota is published): for each role, the person
//! on call now and who takes over next, and when; and, for incident commanders,
//! management and admins, the rota editor.

use crate::api;
use crate::credentials::use_credentials;
use beacon_shared::api::{OnCallView, RotaRequest};
use beacon_shared::role::Role;
use beacon_shared::rota::{RotaRole, ShiftLength};
use beacon_shared::triage::Name;
use beacon_shared::{format_utc_minutes, Timestamp};
use leptos::prelude::*;

/// The rota form's fields as typed: names separated by commas or new lines,
/// hours per shift, and the first shift's start as `YYYY-MM-DDTHH:MM` in UTC
/// (what `<input type="datetime-local">` gives).
pub fn rota_request(
    people: &str,
    shift_hours: &str,
    starts_at: &str,
) -> Result<RotaRequest, String> {
    let people = people
        .split([',', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| Name::parse(p).map_err(|e| format!("{p:?}: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    if people.is_empty() {
        return Err("Name at least one person.".into());
    }
    let hours: u32 = shift_hours
        .trim()
        .parse()
        .map_err(|_| "Shift length must be a whole number of hours.".to_owned())?;
    let shift = ShiftLength::hours(hours).map_err(|e| e.to_string())?;
    let starts_at = Timestamp::parse(&format!("{}:00Z", starts_at.trim()))
        .map_err(|_| "Give the first shift's start as a date and time (UTC).".to_owned())?;
    Ok(RotaRequest {
        people,
        shift,
        starts_at,
        overrides: Vec::new(),
    })
}

/// "SRE", "Incident commander", ...: a rota role for people.
pub fn role_label(role: beacon_shared::rota::RotaRole) -> &'static str {
    use beacon_shared::rota::RotaRole::*;
    match role {
        Sre => "SRE",
        NetworkEngineer => "Network engineer",
        CustomerSupport => "Customer support",
        IncidentCommander => "Incident commander",
    }
}

#[component]
pub fn OnCall() -> impl IntoView {
    let credentials = use_credentials();
    let list = LocalResource::new(move || {
        let token = credentials.token.get();
        async move {
            match token {
                Some(token) => api::on_call(&token).await.map(Some),
                None => Ok(None),
            }
        }
    });
    let role = crate::credentials::use_reader_role();
    let may_edit = move || role.get().is_some_and(Role::may_manage_rotas);
    view! {
        <h1>"Who is on call"</h1>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || list.get().map(|result| match result {
                Ok(None) => view! { <p>"Sign in to see the rotas."</p> }.into_any(),
                Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                Ok(Some(list)) => view! {
                    <p class="muted">"As of "{format_utc_minutes(list.at)}"."</p>
                    <table id="on-call">
                        <thead><tr><th>"Role"</th><th>"On call now"</th><th>"Next"</th></tr></thead>
                        <tbody>{list.rotas.into_iter().map(on_call_row).collect::<Vec<_>>()}</tbody>
                    </table>
                }.into_any(),
            })}
        </Suspense>
        <Show when=may_edit>
            <RotaEditor on_saved=move || list.refetch() />
        </Show>
    }
}

#[component]
fn RotaEditor(on_saved: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let credentials = use_credentials();
    let role = RwSignal::new(RotaRole::IncidentCommander);
    let people = RwSignal::new(String::new());
    let shift = RwSignal::new("12".to_owned());
    let starts = RwSignal::new(String::new());
    let message = RwSignal::new(None::<String>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = match rota_request(
            &people.get_untracked(),
            &shift.get_untracked(),
            &starts.get_untracked(),
        ) {
            Ok(request) => request,
            Err(err) => return message.set(Some(err)),
        };
        let token = credentials.token.get_untracked().unwrap_or_default();
        let role = role.get_untracked();
        leptos::task::spawn_local(async move {
            match api::put_rota(&token, role, &request).await {
                Ok(_) => {
                    message.set(Some(format!("Saved the {} rota.", role_label(role))));
                    on_saved();
                }
                Err(err) => message.set(Some(err.to_string())),
            }
        });
    };
    view! {
        <form id="rota-editor" class="grid" on:submit=save aria-labelledby="rota-editor-heading">
            <h2 id="rota-editor-heading">"Change a rota"</h2>
            <label>"Role"
                <select id="rota-role" on:change=move |ev| {
                    if let Ok(r) = serde_json::from_value::<RotaRole>(serde_json::Value::String(event_target_value(&ev))) {
                        role.set(r);
                    }
                }>
                    {RotaRole::ALL.iter().map(|r| view! {
                        <option value=r.as_str() selected=*r == RotaRole::IncidentCommander>{role_label(*r)}</option>
                    }).collect::<Vec<_>>()}
                </select>
            </label>
            <label>"People, in turn order"
                <textarea id="rota-people" placeholder="alice, bob, carol" prop:value=move || people.get()
                    on:input=move |ev| people.set(event_target_value(&ev))></textarea>
            </label>
            <label>"Hours per shift"
                <input id="rota-shift" type="number" min="1" prop:value=move || shift.get()
                    on:input=move |ev| shift.set(event_target_value(&ev)) />
            </label>
            <label>"First shift starts (UTC)"
                <input id="rota-starts" type="datetime-local" prop:value=move || starts.get()
                    on:input=move |ev| starts.set(event_target_value(&ev)) />
            </label>
            <button id="rota-save" type="submit">"Save rota"</button>
            <p id="rota-result" role="status">{move || message.get()}</p>
        </form>
    }
}

fn on_call_row(view: OnCallView) -> impl IntoView {
    let role = view.role.as_str();
    let now = view.now.map(|n| n.to_string()).unwrap_or_else(|| {
        if view.rota.is_some() {
            "nobody (rota not started)"
        } else {
            "no rota"
        }
        .into()
    });
    let next = view.next.map(|handover| {
        format!(
            "{} from {}",
            handover
                .to
                .map(|n| n.to_string())
                .unwrap_or_else(|| "nobody".into()),
            format_utc_minutes(handover.at)
        )
    });
    view! {
        <tr data-role=role>
            <th scope="row">{role_label(view.role)}</th>
            <td id=format!("on-call-{role}-now")>{now}</td>
            <td id=format!("on-call-{role}-next")>{next.unwrap_or_else(|| "-".into())}</td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rota_form_becomes_a_request() {
        let request = rota_request("alice, bob\ncarol", "12", "2026-11-23T08:00").unwrap();
        assert_eq!(request.people.len(), 3);
        assert_eq!(request.shift.as_minutes(), 720);
        assert_eq!(
            request.starts_at,
            Timestamp::parse("2026-11-23T08:00:00Z").unwrap()
        );
        assert!(rota_request(" , ", "12", "2026-11-23T08:00").is_err());
        assert!(rota_request("alice", "0", "2026-11-23T08:00").is_err());
        assert!(rota_request("alice", "12", "tomorrow").is_err());
    }

    #[test]
    fn instants_are_shown_to_the_minute_in_utc() {
        let at = Timestamp::parse("2026-11-23T03:12:45Z").unwrap();
        assert_eq!(format_utc_minutes(at), "2026-11-23 03:12 UTC");
    }
}
