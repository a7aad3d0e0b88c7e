//! Who is on call (SPEC E1: the rota is published): for each role, the person
//! on call now and who takes over next, and when.

use crate::api;
use crate::credentials::use_credentials;
use beacon_shared::api::OnCallView;
use beacon_shared::Timestamp;
use leptos::prelude::*;

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

/// `2026-11-23 03:12 UTC`: instants on this page are shown in UTC, like the SOP's.
pub fn utc_minutes(at: Timestamp) -> String {
    let text = at.to_string();
    match (text.get(..10), text.get(11..16)) {
        (Some(date), Some(time)) => format!("{date} {time} UTC"),
        _ => text,
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
    view! {
        <h1>"Who is on call"</h1>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || list.get().map(|result| match result {
                Ok(None) => view! { <p>"Sign in to see the rotas."</p> }.into_any(),
                Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                Ok(Some(list)) => view! {
                    <p class="muted">"As of "{utc_minutes(list.at)}"."</p>
                    <table id="on-call">
                        <thead><tr><th>"Role"</th><th>"On call now"</th><th>"Next"</th></tr></thead>
                        <tbody>{list.rotas.into_iter().map(on_call_row).collect::<Vec<_>>()}</tbody>
                    </table>
                }.into_any(),
            })}
        </Suspense>
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
            utc_minutes(handover.at)
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
    fn instants_are_shown_to_the_minute_in_utc() {
        let at = Timestamp::parse("2026-11-23T03:12:45Z").unwrap();
        assert_eq!(utc_minutes(at), "2026-11-23 03:12 UTC");
    }
}
