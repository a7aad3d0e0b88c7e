//! The team's time limits per priority (SPEC E4: the system enforces them, the
//! team sets them): acknowledge, first customer update, update cadence,
//! resolution and the reminder ahead of each update. The paging steps are
//! shown; they are changed through `PUT /api/escalation/config`.

use crate::api;
use crate::credentials::use_credentials;
use beacon_shared::escalation::{EscalationConfig, Minutes, PriorityRules, TimeLimits};
use beacon_shared::Priority;
use leptos::prelude::*;

/// The five limits of one priority, in minutes, as the form holds them.
pub const LIMIT_FIELDS: [(&str, &str); 5] = [
    ("acknowledge", "Acknowledge"),
    ("first_update", "First customer update"),
    ("update_every", "Update every"),
    ("resolve", "Resolve"),
    ("remind_before", "Remind before"),
];

/// The limits of `rules` in [`LIMIT_FIELDS`] order.
pub fn limit_values(rules: &PriorityRules) -> [u32; 5] {
    let l = &rules.limits;
    [
        l.acknowledge(),
        l.first_update(),
        l.update_every(),
        l.resolve(),
        l.remind_before(),
    ]
    .map(Minutes::as_minutes)
}

/// `config` with the limits typed into the form, or why they cannot be used.
pub fn with_limits(
    config: &EscalationConfig,
    typed: &[(Priority, [String; 5])],
) -> Result<EscalationConfig, String> {
    let mut next = config.clone();
    for (priority, fields) in typed {
        let mut minutes = [Minutes::new(0); 5];
        for (slot, (text, (_, label))) in minutes.iter_mut().zip(fields.iter().zip(LIMIT_FIELDS)) {
            *slot = text
                .trim()
                .parse::<u32>()
                .map(Minutes::new)
                .map_err(|_| format!("{priority} {label}: a whole number of minutes"))?;
        }
        let limits = TimeLimits::new(minutes[0], minutes[1], minutes[2], minutes[3], minutes[4])
            .map_err(|e| format!("{priority}: {e}"))?;
        let policy = config.for_priority(*priority).policy.clone();
        next = next.with(*priority, PriorityRules { limits, policy });
    }
    Ok(next)
}

#[component]
pub fn EscalationSettings() -> impl IntoView {
    let credentials = use_credentials();
    let config = RwSignal::new(None::<EscalationConfig>);
    let message = RwSignal::new(None::<String>);
    let fields: Vec<(Priority, [RwSignal<String>; 5])> = Priority::ALL
        .iter()
        .map(|p| (*p, std::array::from_fn(|_| RwSignal::new(String::new()))))
        .collect();
    let fields = StoredValue::new(fields);
    Effect::new(move |_| {
        let Some(token) = credentials.token.get() else {
            return message.set(Some("Sign in to see the settings.".into()));
        };
        leptos::task::spawn_local(async move {
            match api::escalation_config(&token).await {
                Ok(loaded) => {
                    fields.with_value(|fields| {
                        for (priority, inputs) in fields {
                            let values = limit_values(loaded.for_priority(*priority));
                            for (input, value) in inputs.iter().zip(values) {
                                input.set(value.to_string());
                            }
                        }
                    });
                    config.set(Some(loaded));
                }
                Err(err) => message.set(Some(err.to_string())),
            }
        });
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(current) = config.get_untracked() else {
            return;
        };
        let typed: Vec<(Priority, [String; 5])> = fields.with_value(|fields| {
            fields
                .iter()
                .map(|(p, inputs)| (*p, inputs.map(|i| i.get_untracked())))
                .collect()
        });
        let next = match with_limits(&current, &typed) {
            Ok(next) => next,
            Err(err) => return message.set(Some(err)),
        };
        let token = credentials.token.get_untracked().unwrap_or_default();
        leptos::task::spawn_local(async move {
            match api::put_escalation_config(&token, &next).await {
                Ok(saved) => {
                    config.set(Some(saved));
                    message.set(Some("Saved. The next sweep uses these limits.".into()));
                }
                Err(err) => message.set(Some(err.to_string())),
            }
        });
    };
    view! {
        <h1>"Time limits"</h1>
        <p class="muted">"Minutes, per priority. Limits run from the incident's start (or its upgrade); updates from the latest customer update."</p>
        <form id="escalation-settings" on:submit=save>
            <table>
                <thead><tr><th>"Priority"</th>
                    {LIMIT_FIELDS.iter().map(|(_, label)| view! { <th>{*label}</th> }).collect::<Vec<_>>()}
                    <th>"Pages"</th></tr></thead>
                <tbody>
                    {fields.with_value(|fields| fields.iter().map(|(priority, inputs)| {
                        let priority = *priority;
                        view! {
                            <tr>
                                <th scope="row">{priority.as_str()}</th>
                                {inputs.iter().zip(LIMIT_FIELDS).map(|(input, (key, label))| {
                                    let input = *input;
                                    view! {
                                        <td><input id=format!("limit-{}-{key}", priority.as_str()) type="number" min="0" size="6"
                                            aria-label=format!("{priority} {label}")
                                            prop:value=move || input.get() on:input=move |ev| input.set(event_target_value(&ev)) /></td>
                                    }
                                }).collect::<Vec<_>>()}
                                <td class="muted">{move || config.with(|c| c.as_ref().map(|c| {
                                    let policy = &c.for_priority(priority).policy;
                                    if policy.steps().is_empty() {
                                        "none".to_owned()
                                    } else {
                                        format!("{} steps, repeated {}×", policy.steps().len(), policy.repeat())
                                    }
                                }))}</td>
                            </tr>
                        }
                    }).collect::<Vec<_>>())}
                </tbody>
            </table>
            <button id="save-limits" type="submit">"Save time limits"</button>
        </form>
        <p id="settings-result" role="status">{move || message.get()}</p>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SPEC E4: the form changes only the limits, and refuses what the SOP cannot enforce.
    #[test]
    fn typed_limits_replace_the_defaults() {
        let defaults = EscalationConfig::default();
        let typed = [(
            Priority::P1,
            ["10", "20", "45", "480", "5"].map(String::from),
        )];
        let next = with_limits(&defaults, &typed).unwrap();
        assert_eq!(
            limit_values(next.for_priority(Priority::P1)),
            [10, 20, 45, 480, 5]
        );
        assert_eq!(next.p1.policy, defaults.p1.policy);
        assert_eq!(next.p0, defaults.p0);
        let zero = [(
            Priority::P1,
            ["0", "20", "45", "480", "5"].map(String::from),
        )];
        assert!(with_limits(&defaults, &zero).is_err());
        let late_reminder = [(
            Priority::P1,
            ["10", "20", "45", "480", "30"].map(String::from),
        )];
        assert!(with_limits(&defaults, &late_reminder).is_err());
        let words = [(
            Priority::P1,
            ["ten", "20", "45", "480", "5"].map(String::from),
        )];
        assert!(with_limits(&defaults, &words)
            .unwrap_err()
            .contains("Acknowledge"));
    }
}
