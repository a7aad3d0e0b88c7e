//! The reports page (SPEC Q1-Q4): filters in the address, the charts the
//! edge draws as SVG (shown through `blob:` URLs, never inserted as markup),
//! the figures behind them as a table, the report tables with a CSV download
//! each, and from a repeat case or an overdue incident, a new problem ticket.

use crate::api;
use crate::credentials::use_credentials;
use crate::navigation::{use_address, AddressFilters};
use beacon_shared::api::post_incident::NewProblem;
use beacon_shared::problem::ProblemOrigin;
use beacon_shared::report::{
    AgeBucket, AvailabilityRow, Measure, Overdue, Repeats, ResponseTimes, SummaryRow, TrendPoint,
};
use beacon_shared::triage::Title;
use beacon_shared::{format_duration, DurationStyle, Priority};
use leptos::prelude::*;

/// The report filters kept in the address, in this order.
pub const REPORT_KEYS: [&str; 6] = ["period", "from", "to", "priority", "category", "group"];

/// `period=week&priority=P1` from the non-empty filters, in a fixed order.
pub fn report_query(filters: &[(&'static str, String)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for key in REPORT_KEYS {
        if let Some((_, value)) = filters.iter().find(|(k, v)| *k == key && !v.is_empty()) {
            query.append_pair(key, value.trim());
        }
    }
    query.finish()
}

/// The charts: file name, and the words that say what each one shows.
const CHARTS: [(&str, &str); 5] = [
    ("incidents", "Incidents per period, stacked by priority"),
    (
        "created-resolved",
        "Tickets created and resolved per period",
    ),
    ("backlog", "Tickets open at the end of each period, by age"),
    (
        "response-times",
        "Time to acknowledge per period: median and 90th percentile",
    ),
    ("overdue", "Overdue tickets per owner, now"),
];

fn duration(millis: i64) -> String {
    format_duration(millis, DurationStyle::Short)
}

#[component]
pub fn Reports() -> impl IntoView {
    let credentials = use_credentials();
    let filters = AddressFilters::new("/reports", &REPORT_KEYS, report_query);
    let query = Memo::new(move |_| filters.query());
    let set_filter = move |key: &'static str, value: String| filters.set(key, value);
    let current = move |key: &str| filters.value(key);
    let field = move |key: &'static str, label: &'static str, kind: &'static str| {
        view! {
            <label>{label}
                <input id=format!("report-{key}") type=kind prop:value=move || current(key)
                    on:change=move |ev| set_filter(key, event_target_value(&ev)) />
            </label>
        }
    };
    let choice = move |key: &'static str,
                       label: &'static str,
                       options: Vec<(&'static str, &'static str)>| {
        view! {
            <label>{label}
                <select id=format!("report-{key}") on:change=move |ev| set_filter(key, event_target_value(&ev))>
                    {options.into_iter().map(|(value, text)| {
                        let selected = move || current(key) == value;
                        view! { <option value=value selected=selected>{text}</option> }
                    }).collect::<Vec<_>>()}
                </select>
            </label>
        }
    };
    let mut priorities = vec![("", "any")];
    priorities.extend(Priority::ALL.iter().map(|p| (p.as_str(), p.as_str())));
    let role = crate::credentials::use_reader_role();
    let can_write = Signal::derive(move || role.get().is_some_and(|r| r.can_write()));
    view! {
        <div class="reports">
        <h1>"Reports"</h1>
        <form class="filters grid no-print" aria-label="Report filters" on:submit=|ev| ev.prevent_default()>
            {choice("period", "Period", vec![("", "month"), ("day", "day"), ("week", "week"), ("quarter", "quarter")])}
            {field("from", "From (UTC)", "date")}
            {field("to", "To (UTC)", "date")}
            {choice("priority", "Priority", priorities)}
            {field("category", "Category", "text")}
            {field("group", "Owning group", "text")}
        </form>
        <p class="print-only">{move || format!("Filters: {}", query.get())}</p>
        {move || match credentials.token.get() {
            None => view! { <p>"Sign in to read the reports."</p> }.into_any(),
            Some(token) => {
                let query = query.get();
                view! {
                    <section class="charts" aria-label="Charts">
                        {CHARTS.iter().map(|&(name, about)| {
                            view! { <Chart token=token.clone() query=query.clone() name=name about=about /> }
                        }).collect::<Vec<_>>()}
                    </section>
                    <Trends token=token.clone() query=query.clone() />
                    <Summary token=token.clone() query=query.clone() />
                    <ByPriority token=token.clone() query=query.clone() />
                    <Times token=token.clone() query=query.clone() />
                    <OverdueTable token=token.clone() query=query.clone() can_write=can_write />
                    <RepeatsTable token=token.clone() query=query.clone() can_write=can_write />
                    <Availability token=token.clone() query=query.clone() />
                }.into_any()
            }
        }}
        </div>
    }
}

/// A chart from the edge, shown through a `blob:` URL, with its alt text and
/// caption; its figures are in the tables below.
#[component]
fn Chart(token: String, query: String, name: &'static str, about: &'static str) -> impl IntoView {
    let url = RwSignal::new(None::<Result<String, String>>);
    let path = format!("/api/reports/charts/{name}.svg?{query}");
    leptos::task::spawn_local(async move {
        let answer = api::file_url(&token, &path)
            .await
            .map_err(|e| e.to_string());
        url.set(Some(answer));
    });
    on_cleanup(move || {
        if let Some(Ok(url)) = url.get_untracked() {
            let _ = web_sys::Url::revoke_object_url(&url);
        }
    });
    view! {
        <figure class="chart" data-chart=name>
            {move || match url.get() {
                None => view! { <p class="muted">"Drawing…"</p> }.into_any(),
                Some(Err(err)) => view! { <p class="error" role="alert">{err}</p> }.into_any(),
                Some(Ok(src)) => view! {
                    <img id=format!("chart-{name}") src=src width="720" height="360"
                        alt=format!("{about}. The figures are in the tables below.") />
                }.into_any(),
            }}
            <figcaption>{about}</figcaption>
        </figure>
    }
}

/// A table's CSV, fetched with the token when asked for and saved through a
/// `blob:` link with a file name.
#[component]
fn CsvLink(token: String, query: String, table: &'static str) -> impl IntoView {
    let url = RwSignal::new(None::<String>);
    let failure = RwSignal::new(None::<String>);
    let anchor = NodeRef::<leptos::html::A>::new();
    let path = format!("/api/reports/{table}?{query}&format=csv");
    let fetch = move |ev: leptos::ev::MouseEvent| {
        if url.get_untracked().is_some() {
            return;
        }
        ev.prevent_default();
        let (token, path) = (token.clone(), path.clone());
        leptos::task::spawn_local(async move {
            match api::file_url(&token, &path).await {
                Ok(blob) => {
                    url.set(Some(blob.clone()));
                    // The link points at the file before it is followed.
                    if let Some(a) = anchor.get_untracked() {
                        a.set_href(&blob);
                        a.click();
                    }
                }
                Err(err) => failure.set(Some(err.to_string())),
            }
        });
    };
    on_cleanup(move || {
        if let Some(url) = url.get_untracked() {
            let _ = web_sys::Url::revoke_object_url(&url);
        }
    });
    view! {
        <a node_ref=anchor class="csv no-print" id=format!("csv-{table}") download=format!("beacon-{table}.csv")
            href=move || url.get().unwrap_or_else(|| "#".to_owned()) on:click=fetch>
            "Download CSV"
        </a>
        {move || failure.get().map(|f| view! { <span class="error" role="alert">" "{f}</span> })}
    }
}

/// A report table loaded as JSON, shown by `show` once it arrives.
fn load<T, V>(
    token: String,
    table: &'static str,
    query: String,
    show: impl Fn(T) -> V + Send + Sync + 'static,
) -> impl IntoView
where
    T: serde::de::DeserializeOwned + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let data = LocalResource::new(move || {
        let (token, query) = (token.clone(), query.clone());
        async move { api::report_table::<T>(&token, table, &query).await }
    });
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || data.get().map(|answer| match answer {
                Ok(rows) => show(rows).into_any(),
                Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}

/// The figures behind the period charts: also their text for screen readers.
#[component]
fn Trends(token: String, query: String) -> impl IntoView {
    view! {
        <section id="report-trends">
            <h2>"Per period (the charts' figures)"</h2>
            <CsvLink token=token.clone() query=query.clone() table="trends" />
            {load(token, "trends", query, |points: Vec<TrendPoint>| view! {
                <table class="stacked">
                    <thead><tr>
                        <th>"Period"</th>
                        {Priority::ALL.iter().map(|p| view! { <th>{p.as_str()}</th> }).collect::<Vec<_>>()}
                        <th>"Created"</th><th>"Resolved"</th>
                        {AgeBucket::ALL.iter().map(|b| view! { <th>"Open, "{b.label()}</th> }).collect::<Vec<_>>()}
                        <th>"Acknowledge median"</th><th>"Acknowledge p90"</th>
                    </tr></thead>
                    <tbody>
                        {points.into_iter().map(|p| {
                            let stats = p.stats(Measure::Acknowledge);
                            view! {
                                <tr data-created=p.created() data-resolved=p.resolved>
                                    <td data-label="Period">{p.period.from().date().to_string()}</td>
                                    {Priority::ALL.iter().zip(p.created_by_priority).map(|(pr, n)| view! { <td data-label=pr.as_str()>{n}</td> }).collect::<Vec<_>>()}
                                    <td data-label="Created">{p.created()}</td>
                                    <td data-label="Resolved">{p.resolved}</td>
                                    {AgeBucket::ALL.iter().zip(p.backlog).map(|(b, n)| view! { <td data-label=b.label()>{n}</td> }).collect::<Vec<_>>()}
                                    <td data-label="Acknowledge median">{stats.map(|s| duration(s.median_millis)).unwrap_or_default()}</td>
                                    <td data-label="Acknowledge p90">{stats.map(|s| duration(s.p90_millis)).unwrap_or_default()}</td>
                                </tr>
                            }
                        }).collect::<Vec<_>>()}
                    </tbody>
                </table>
            })}
        </section>
    }
}

#[component]
fn Summary(token: String, query: String) -> impl IntoView {
    view! {
        <section id="report-summary">
            <h2>"Totals"</h2>
            <CsvLink token=token.clone() query=query.clone() table="summary" />
            {load(token, "summary", query, |rows: Vec<SummaryRow>| view! {
                <table class="stacked">
                    <thead><tr><th>"Period from"</th><th>"Counted"</th><th>"Before"</th><th>"Open"</th><th>"Closed"</th><th>"Restricted"</th><th>"Discarded"</th><th>"Duplicates"</th></tr></thead>
                    <tbody>
                        {rows.into_iter().map(|r| view! {
                            <tr data-counted=r.totals.counted>
                                <td data-label="Period from">{r.period.from().date().to_string()}</td>
                                <td data-label="Counted">{r.totals.counted}</td>
                                <td data-label="Before">{r.previous.counted}</td>
                                <td data-label="Open">{r.totals.open}</td>
                                <td data-label="Closed">{r.totals.closed}</td>
                                <td data-label="Restricted">{r.totals.restricted}</td>
                                <td data-label="Discarded">{r.totals.discarded}</td>
                                <td data-label="Duplicates">{r.totals.duplicates}</td>
                            </tr>
                        }).collect::<Vec<_>>()}
                    </tbody>
                </table>
            })}
        </section>
    }
}

#[component]
fn ByPriority(token: String, query: String) -> impl IntoView {
    let dimension = RwSignal::new("priority".to_owned());
    let choices = [
        "priority",
        "category",
        "subcategory",
        "group",
        "source",
        "state",
        "age",
    ];
    view! {
        <section id="report-by-dimension">
            <h2>"By dimension"</h2>
            <label class="no-print">"Dimension"
                <select id="report-dimension" on:change=move |ev| dimension.set(event_target_value(&ev))>
                    {choices.into_iter().map(|c| view! { <option value=c>{c}</option> }).collect::<Vec<_>>()}
                </select>
            </label>
            {move || {
                let query = format!("{query}&dimension={}", dimension.get());
                view! {
                    <CsvLink token=token.clone() query=query.clone() table="by-dimension" />
                    {load(token.clone(), "by-dimension", query, |rows: Vec<beacon_shared::report::DimensionRow>| view! {
                        <table class="stacked">
                            <thead><tr><th>"Period from"</th><th>"Value"</th><th>"Count"</th><th>"Before"</th></tr></thead>
                            <tbody>
                                {rows.into_iter().map(|r| view! {
                                    <tr>
                                        <td data-label="Period from">{r.period.from().date().to_string()}</td>
                                        <td data-label="Value">{r.value}</td>
                                        <td data-label="Count">{r.count}</td>
                                        <td data-label="Before">{r.previous}</td>
                                    </tr>
                                }).collect::<Vec<_>>()}
                            </tbody>
                        </table>
                    })}
                }
            }}
        </section>
    }
}

#[component]
fn Times(token: String, query: String) -> impl IntoView {
    view! {
        <section id="report-response-times">
            <h2>"Response times"</h2>
            <CsvLink token=token.clone() query=query.clone() table="response-times" />
            {load(token, "response-times", query, |times: ResponseTimes| view! {
                <table class="stacked">
                    <thead><tr><th>"Measure"</th><th>"Tickets"</th><th>"Median"</th><th>"90th percentile"</th><th>"Mean"</th></tr></thead>
                    <tbody>
                        {times.measures.iter().map(|m| {
                            let s = m.stats;
                            view! {
                                <tr data-measure=m.measure.as_str()>
                                    <td data-label="Measure">{m.measure.label()}</td>
                                    <td data-label="Tickets">{s.map_or(0, |s| s.samples)}</td>
                                    <td data-label="Median">{s.map(|s| duration(s.median_millis)).unwrap_or_default()}</td>
                                    <td data-label="90th percentile">{s.map(|s| duration(s.p90_millis)).unwrap_or_default()}</td>
                                    <td data-label="Mean">{s.map(|s| duration(s.mean_millis)).unwrap_or_default()}</td>
                                </tr>
                            }
                        }).collect::<Vec<_>>()}
                    </tbody>
                </table>
                <p class="muted">{format!(
                    "Left out: {} discarded, {} duplicates, {} restricted.",
                    times.excluded_discarded, times.excluded_duplicates, times.excluded_restricted
                )}</p>
            })}
        </section>
    }
}

/// Opens a problem for `origin` titled `title`, then shows it.
fn open_problem(
    token: String,
    title: String,
    origin: ProblemOrigin,
    failure: RwSignal<Option<String>>,
) {
    let address = use_address();
    leptos::task::spawn_local(async move {
        let problem = match Title::parse(&title) {
            Ok(title) => NewProblem {
                title,
                priority: None,
                category: None,
                origin,
                owner: None,
            },
            Err(err) => return failure.set(Some(format!("title: {err}"))),
        };
        match api::create_problem(&token, &problem).await {
            Ok(id) => address.go(&format!("/problems/{id}")),
            Err(err) => failure.set(Some(err.to_string())),
        }
    });
}

#[component]
fn OverdueTable(token: String, query: String, can_write: Signal<bool>) -> impl IntoView {
    let failure = RwSignal::new(None::<String>);
    let opener = token.clone();
    view! {
        <section id="report-overdue">
            <h2>"Overdue"</h2>
            <CsvLink token=token.clone() query=query.clone() table="overdue" />
            {move || failure.get().map(|f| view! { <p class="error" role="alert">{f}</p> })}
            {load(token, "overdue", query, move |overdue: Overdue| {
                let opener = opener.clone();
                view! {
                    <table id="overdue-by-owner" class="stacked">
                        <thead><tr><th>"Owner"</th><th>"Overdue"</th></tr></thead>
                        <tbody>
                            {overdue.by_owner.into_iter().map(|o| view! {
                                <tr><td data-label="Owner">{o.name}</td><td data-label="Overdue">{o.overdue}</td></tr>
                            }).collect::<Vec<_>>()}
                        </tbody>
                    </table>
                    <table id="overdue-items" class="stacked">
                        <thead><tr><th>"Item"</th><th>"Priority"</th><th>"Owner"</th><th>"Group"</th><th>"Overdue by"</th><th></th></tr></thead>
                        <tbody>
                            {overdue.items.into_iter().map(|item| {
                                let opener = opener.clone();
                                let action = item.incident.map(|incident| {
                                    let title = format!("Overdue incident {incident}: find why it stays open");
                                    move || {
                                        let (opener, title) = (opener.clone(), title.clone());
                                        let open = move |_| open_problem(opener.clone(), title.clone(), ProblemOrigin::FromIncident { incident }, failure);
                                        view! { <button class="secondary" on:click=open>"Open a problem"</button> }
                                    }
                                });
                                view! {
                                    <tr>
                                        <td data-label="Item">{match item.incident {
                                            Some(id) => view! { <a href=format!("/incidents/{id}")>{item.item.clone()}</a> }.into_any(),
                                            None => item.item.clone().into_any(),
                                        }}</td>
                                        <td data-label="Priority">{item.priority.map(|p| p.as_str()).unwrap_or("")}</td>
                                        <td data-label="Owner">{item.owner.unwrap_or_else(|| "unassigned".to_owned())}</td>
                                        <td data-label="Group">{item.group.unwrap_or_default()}</td>
                                        <td data-label="Overdue by">{duration(item.overdue_millis)}</td>
                                        <td class="no-print">{move || can_write.get().then(|| action.as_ref().map(|button| button()))}</td>
                                    </tr>
                                }
                            }).collect::<Vec<_>>()}
                        </tbody>
                    </table>
                }
            })}
        </section>
    }
}

#[component]
fn RepeatsTable(token: String, query: String, can_write: Signal<bool>) -> impl IntoView {
    let failure = RwSignal::new(None::<String>);
    let opener = token.clone();
    view! {
        <section id="report-repeats">
            <h2>"Repeat cases"</h2>
            <CsvLink token=token.clone() query=query.clone() table="repeats" />
            {move || failure.get().map(|f| view! { <p class="error" role="alert">{f}</p> })}
            {load(token, "repeats", query, move |repeats: Repeats| {
                let opener = opener.clone();
                let rate = format!(
                    "Recurrence rate {:.1} % ({} of {} tickets with a system or host repeat an earlier one).",
                    repeats.recurrence_percent(), repeats.repeating_tickets, repeats.keyed_tickets
                );
                view! {
                    <p>{rate}</p>
                    <table id="repeat-cases" class="stacked">
                        <thead><tr><th>"System / host"</th><th>"Incidents"</th><th></th></tr></thead>
                        <tbody>
                            {repeats.cases.into_iter().map(|case| {
                                let opener = opener.clone();
                                let title = format!("Repeat case {}: {} incidents", case.key, case.incidents.len());
                                let incidents = case.incidents.clone();
                                let open = move |_| open_problem(
                                    opener.clone(), title.clone(),
                                    ProblemOrigin::RepeatedIncidents { incidents: incidents.clone() }, failure,
                                );
                                view! {
                                    <tr data-key=case.key.clone()>
                                        <td data-label="System / host">{case.key.clone()}</td>
                                        <td data-label="Incidents">{case.incidents.clone().into_iter().map(|id| view! {
                                            <a href=format!("/incidents/{id}")>"#"{id}</a>" "
                                        }).collect::<Vec<_>>()}</td>
                                        <td class="no-print">{move || can_write.get().then(|| view! {
                                            <button class="secondary open-problem" on:click=open.clone()>"Open a problem"</button>
                                        })}</td>
                                    </tr>
                                }
                            }).collect::<Vec<_>>()}
                        </tbody>
                    </table>
                }
            })}
        </section>
    }
}

#[component]
fn Availability(token: String, query: String) -> impl IntoView {
    view! {
        <section id="report-availability">
            <h2>"Availability"</h2>
            <CsvLink token=token.clone() query=query.clone() table="availability" />
            {load(token, "availability", query, |rows: Vec<AvailabilityRow>| view! {
                <table class="stacked">
                    <thead><tr><th>"Component"</th><th>"Month"</th><th>"Availability"</th><th>"SLO"</th><th>"Budget left"</th></tr></thead>
                    <tbody>
                        {rows.into_iter().map(|r| view! {
                            <tr data-meets=r.meets_slo.to_string()>
                                <td data-label="Component">{r.component.as_str().to_owned()}</td>
                                <td data-label="Month">{r.month.from().date().to_string()}</td>
                                <td data-label="Availability">{format!("{:.3} %", r.percent)}</td>
                                <td data-label="SLO">{format!("{} %", r.slo_percent)}{(!r.meets_slo).then_some(" missed")}</td>
                                <td data-label="Budget left">{duration(r.budget_remaining_millis)}</td>
                            </tr>
                        }).collect::<Vec<_>>()}
                    </tbody>
                </table>
            })}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_query_keeps_the_filters_in_order_and_encodes() {
        let query = report_query(&[
            ("group", "web ops".into()),
            ("period", "week".into()),
            ("priority", String::new()),
            ("from", "2026-01-05".into()),
        ]);
        assert_eq!(query, "period=week&from=2026-01-05&group=web+ops");
    }
}
