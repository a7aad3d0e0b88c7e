//! People and access (SPEC I3), for admins: everyone with their role and
//! tokens (label, expiry, last use, status, never the token itself); add a
//! person, issue a token (shown once), revoke a token, disable a person
//! (all their tokens and sessions stop at once).

use crate::api;
use crate::credentials::use_credentials;
use beacon_shared::access::TokenStatus;
use beacon_shared::api::{NewToken, NewUser, PersonView, TokenView};
use beacon_shared::role::Role;
use beacon_shared::triage::Name;
use beacon_shared::{format_utc_minutes, Timestamp};
use leptos::prelude::*;

/// "active", "revoked", ...: a token's status as the table shows it.
fn status_label(status: TokenStatus) -> &'static str {
    match status {
        TokenStatus::Active => "active",
        TokenStatus::Revoked => "revoked",
        TokenStatus::Expired => "expired",
        TokenStatus::UserDisabled => "person disabled",
    }
}

fn when(at: Option<Timestamp>) -> String {
    at.map(format_utc_minutes).unwrap_or_else(|| "-".into())
}

/// The new token form as typed: an optional label and the days until it
/// expires (empty for the default of 90).
pub fn token_request(label: &str, days: &str) -> Result<NewToken, String> {
    let label = match label.trim() {
        "" => None,
        label => Some(Name::parse(label).map_err(|e| format!("Label: {e}"))?),
    };
    let expires_in_days = match days.trim() {
        "" => None,
        days => Some(
            days.parse::<u32>()
                .map_err(|_| "Days until it expires must be a whole number.".to_owned())?,
        ),
    };
    Ok(NewToken {
        label,
        expires_in_days,
    })
}

#[component]
pub fn People() -> impl IntoView {
    let credentials = use_credentials();
    let role = crate::credentials::use_reader_role();
    let people = LocalResource::new(move || {
        let token = credentials.token.get();
        async move {
            match token {
                Some(token) => api::people(&token).await.map(Some),
                None => Ok(None),
            }
        }
    });
    let message = RwSignal::new(None::<String>);
    // A token just issued: shown once, until the page is left.
    let issued = RwSignal::new(None::<(String, String)>);
    let refresh = move || people.refetch();
    let is_admin = move || role.get().is_some_and(Role::may_administer);
    view! {
        <h1>"People and access"</h1>
        <Show
            when=is_admin
            fallback=|| view! { <p id="people-refused">"Only an admin manages people and access."</p> }
        >
            <p id="people-result" role="status">{move || message.get()}</p>
            {move || issued.get().map(|(name, token)| view! {
                <div id="issued-token" class="notice" role="alert">
                    <p>"The token for "<strong>{name}</strong>
                        " (copy it now: it is not shown again):"</p>
                    <output id="issued-token-value"><code>{token}</code></output>
                </div>
            })}
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || people.get().map(|result| match result {
                    Ok(None) => view! { <p>"Sign in to manage people."</p> }.into_any(),
                    Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                    Ok(Some(list)) => view! {
                        <table id="people">
                            <thead><tr>
                                <th>"Person"</th><th>"Role"</th><th>"Tokens"</th><th>"Actions"</th>
                            </tr></thead>
                            <tbody>
                                {list.people.into_iter().map(|person| view! {
                                    <PersonRow person=person message=message issued=issued on_change=refresh />
                                }).collect::<Vec<_>>()}
                            </tbody>
                        </table>
                    }.into_any(),
                })}
            </Suspense>
            <AddPerson message=message on_added=refresh />
        </Show>
    }
}

#[component]
fn PersonRow(
    person: PersonView,
    message: RwSignal<Option<String>>,
    issued: RwSignal<Option<(String, String)>>,
    on_change: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let credentials = use_credentials();
    let id = person.id;
    let name = person.name.clone();
    let label = RwSignal::new(String::new());
    let days = RwSignal::new(String::new());
    let issue = {
        let name = name.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let request = match token_request(&label.get_untracked(), &days.get_untracked()) {
                Ok(request) => request,
                Err(err) => return message.set(Some(err)),
            };
            let token = credentials.token.get_untracked().unwrap_or_default();
            let name = name.clone();
            leptos::task::spawn_local(async move {
                match api::create_token(&token, id, &request).await {
                    Ok(created) => {
                        message.set(Some(format!(
                            "Issued a token for {name}, valid until {}.",
                            format_utc_minutes(created.expires_at)
                        )));
                        issued.set(Some((name, created.token)));
                        on_change();
                    }
                    Err(err) => message.set(Some(err.to_string())),
                }
            });
        }
    };
    let disable = {
        let name = name.clone();
        move |_| {
            let token = credentials.token.get_untracked().unwrap_or_default();
            let name = name.clone();
            leptos::task::spawn_local(async move {
                match api::disable_user(&token, id).await {
                    Ok(_) => {
                        message.set(Some(format!(
                            "Disabled {name}: every token of theirs has stopped."
                        )));
                        on_change();
                    }
                    Err(err) => message.set(Some(err.to_string())),
                }
            });
        }
    };
    let status = match person.disabled_at {
        Some(at) => format!("disabled {}", format_utc_minutes(at)),
        None => "active".into(),
    };
    let enabled = person.disabled_at.is_none();
    view! {
        <tr data-person=name.clone() id=format!("person-{id}")>
            <th scope="row">{name.clone()}<br /><span class="muted person-status">{status}</span></th>
            <td>{person.role.as_str().replace('_', " ")}</td>
            <td>
                <ul class="tokens">
                    {person.tokens.into_iter().map(|t| view! {
                        <TokenItem token=t message=message on_change=on_change />
                    }).collect::<Vec<_>>()}
                </ul>
            </td>
            <td>
                {enabled.then(|| view! {
                    <form class="issue-token" on:submit=issue.clone()
                        aria-label=format!("Issue a token for {name}")>
                        <input class="token-label" placeholder="label" prop:value=move || label.get()
                            on:input=move |ev| label.set(event_target_value(&ev)) />
                        <input class="token-days" type="number" min="1" max="365" placeholder="90 days"
                            prop:value=move || days.get()
                            on:input=move |ev| days.set(event_target_value(&ev)) />
                        <button type="submit" class="issue">"Issue token"</button>
                    </form>
                    <button type="button" class="disable danger" on:click=disable.clone()>
                        "Disable person"
                    </button>
                })}
            </td>
        </tr>
    }
}

#[component]
fn TokenItem(
    token: TokenView,
    message: RwSignal<Option<String>>,
    on_change: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let credentials = use_credentials();
    let id = token.id;
    let label = if token.label.is_empty() {
        format!("token {id}")
    } else {
        token.label.clone()
    };
    let revoke = {
        let label = label.clone();
        move |_| {
            let session = credentials.token.get_untracked().unwrap_or_default();
            let label = label.clone();
            leptos::task::spawn_local(async move {
                match api::revoke_token(&session, id).await {
                    Ok(_) => {
                        message.set(Some(format!("Revoked {label}.")));
                        on_change();
                    }
                    Err(err) => message.set(Some(err.to_string())),
                }
            });
        }
    };
    let active = token.status == TokenStatus::Active;
    view! {
        <li data-token=id.to_string() class=format!("token token-{}", status_label(token.status).replace(' ', "-"))>
            <strong>{label}</strong>" · "{status_label(token.status)}
            <span class="muted">
                " · expires "{when(token.expires_at)}" · last used "{when(token.last_used_at)}
            </span>
            {active.then(|| view! {
                " "<button type="button" class="revoke" on:click=revoke.clone()>"Revoke"</button>
            })}
        </li>
    }
}

#[component]
fn AddPerson(
    message: RwSignal<Option<String>>,
    on_added: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let credentials = use_credentials();
    let name = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Sre);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = match Name::parse(name.get_untracked().trim()) {
            Ok(name) => NewUser {
                name,
                role: role.get_untracked(),
            },
            Err(err) => return message.set(Some(format!("Name: {err}"))),
        };
        let token = credentials.token.get_untracked().unwrap_or_default();
        leptos::task::spawn_local(async move {
            match api::create_user(&token, &request).await {
                Ok(user) => {
                    message.set(Some(format!(
                        "Added {} as {}. Issue them a token next.",
                        user.name,
                        user.role.as_str().replace('_', " ")
                    )));
                    name.set(String::new());
                    on_added();
                }
                Err(err) => message.set(Some(err.to_string())),
            }
        });
    };
    view! {
        <form id="add-person" class="grid" on:submit=add aria-labelledby="add-person-heading">
            <h2 id="add-person-heading">"Add a person"</h2>
            <label>"Name"
                <input id="person-name" prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev)) />
            </label>
            <label>"Role"
                <select id="person-role" on:change=move |ev| {
                    if let Ok(r) = serde_json::from_value::<Role>(serde_json::Value::String(event_target_value(&ev))) {
                        role.set(r);
                    }
                }>
                    {Role::ALL.iter().map(|r| view! {
                        <option value=r.as_str() selected=*r == Role::Sre>{r.as_str().replace('_', " ")}</option>
                    }).collect::<Vec<_>>()}
                </select>
            </label>
            <button id="person-add" type="submit">"Add person"</button>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_form_becomes_a_request() {
        let request = token_request(" laptop ", "30").unwrap();
        assert_eq!(request.label.unwrap().as_str(), "laptop");
        assert_eq!(request.expires_in_days, Some(30));
        let default = token_request("", " ").unwrap();
        assert_eq!((default.label, default.expires_in_days), (None, None));
        assert!(token_request("", "ninety").is_err());
    }
}
