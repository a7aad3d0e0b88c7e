//! The problems the reader may see (SPEC R3, K3), newest first, with their
//! status and where their fix stands (SPEC R6).

use crate::api;
use crate::components::priority_badge::PriorityBadge;
use crate::credentials::use_credentials;
use leptos::prelude::*;

#[component]
pub fn ProblemList() -> impl IntoView {
    let credentials = use_credentials();
    let problems = LocalResource::new(move || {
        let token = credentials.token.get();
        async move {
            match token {
                Some(token) => api::problems(&token).await.map(Some),
                None => Ok(None),
            }
        }
    });
    view! {
        <h1>"Problems"</h1>
        <p class="muted">"Every P0/P1 opens a problem when it is resolved; open one by hand from any incident. A problem stays until its fix is verified."</p>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || problems.get().map(|result| match result {
                Ok(None) => view! { <p>"Sign in to see the problems."</p> }.into_any(),
                Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                Ok(Some(list)) if list.problems.is_empty() => {
                    view! { <p id="problems-empty" class="muted">"No problems."</p> }.into_any()
                }
                Ok(Some(list)) => view! {
                    <table id="problems">
                        <thead><tr><th>"Problem"</th><th>"Priority"</th><th>"Status"</th><th>"Fix"</th><th>"Incidents"</th><th>"Opened"</th></tr></thead>
                        <tbody>
                            {list.problems.into_iter().map(|p| view! {
                                <tr data-status=p.status.as_str() data-fix=p.fix.as_str()>
                                    <td><a href=format!("/problems/{}", p.id)>"#"{p.id}" "{p.title.as_str().to_owned()}</a></td>
                                    <td><PriorityBadge priority=p.priority /></td>
                                    <td>{p.status.as_str().replace('_', " ")}</td>
                                    <td>{p.fix.label()}</td>
                                    <td>{p.incidents}</td>
                                    <td>{p.opened_at.to_string().chars().take(10).collect::<String>()}</td>
                                </tr>
                            }).collect::<Vec<_>>()}
                        </tbody>
                    </table>
                }.into_any(),
            })}
        </Suspense>
    }
}
