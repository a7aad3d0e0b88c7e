//! The public page customers read (SPEC M3, M4, L1, L2): which outputs exist
//! (the HTML pages, the Atom and RSS feeds, Statuspage's JSON at
//! `/api/v2/*.json`), the page assembled from the store, and every output
//! rendered from that one read. Generic over the store traits; the time and
//! the page's address come in as parameters. Keeping the outputs in KV and
//! serving them is the runtime's (`runtime/public_page_cache.rs`).

use crate::error::ApiError;
use crate::public_page_feed;
use crate::public_page_html::{
    render_history, render_incident, render_status, render_unavailable, PageView,
};
use crate::stores::{RecordedStatus, Setting, SettingsStore, StatusPageStore, StoreError};
use beacon_shared::service_level::{
    DowntimeWeights, Slo, SloPolicy, StatusChange, StatusHistory, BAR_DAYS, MILLIS_PER_DAY,
};
use beacon_shared::status_page::{ComponentId, IncidentId, PageId, PageInfo, StatusPage};
use beacon_shared::statuspage_wire;
use beacon_shared::triage::{LinkUrl, Name};
use beacon_shared::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[cfg(test)]
mod tests;

pub const HTML: &str = "text/html; charset=utf-8";
pub const ATOM: &str = "application/atom+xml; charset=utf-8";
pub const RSS: &str = "application/rss+xml; charset=utf-8";
pub const JSON: &str = "application/json; charset=utf-8";

/// The outputs rendered together from one read of the page.
pub const OUTPUTS: &[(&str, &str)] = &[
    ("/status", HTML),
    ("/status/history", HTML),
    ("/history.atom", ATOM),
    ("/history.rss", RSS),
    ("/api/v2/summary.json", JSON),
    ("/api/v2/status.json", JSON),
    ("/api/v2/components.json", JSON),
    ("/api/v2/incidents.json", JSON),
    ("/api/v2/incidents/unresolved.json", JSON),
    ("/api/v2/scheduled-maintenances.json", JSON),
    ("/api/v2/scheduled-maintenances/upcoming.json", JSON),
    ("/api/v2/scheduled-maintenances/active.json", JSON),
];

/// The path of one public incident's or maintenance's own page, before its id.
pub const INCIDENT_PAGE: &str = "/status/incidents/";

/// Whether `path` is one of the public outputs.
pub fn is_public_path(path: &str) -> bool {
    OUTPUTS.iter().any(|(p, _)| *p == path)
        || path
            .strip_prefix(INCIDENT_PAGE)
            .is_some_and(|id| IncidentId::parse(id).is_ok())
}

/// The own pages of the public incidents and maintenances with these ids.
pub fn incident_pages(ids: &[&str]) -> Vec<String> {
    ids.iter()
        .map(|id| format!("{INCIDENT_PAGE}{id}"))
        .collect()
}

/// One rendered output, as the cache keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RenderedOutput {
    pub rendered_at: i64,
    pub content_type: String,
    pub body: String,
}

impl RenderedOutput {
    /// Whether it was rendered less than `max_age_millis` before `now`.
    pub fn is_fresh(&self, now: Timestamp, max_age_millis: i64) -> bool {
        now.unix_millis() - self.rendered_at < max_age_millis
    }

    /// The HTML page that says the status page is unavailable (no copy at all).
    pub fn unavailable() -> Self {
        RenderedOutput {
            rendered_at: 0,
            content_type: HTML.into(),
            body: render_unavailable(),
        }
    }

    pub fn is_html(&self) -> bool {
        self.content_type == HTML
    }
}

/// The page's own facts: Beacon's public address (`base_url`) and UTC.
fn page_info(base_url: &str) -> Result<PageInfo, StoreError> {
    Ok(PageInfo {
        id: PageId::parse("beacon").map_err(StoreError::corrupt)?,
        name: Name::parse("Beacon").map_err(StoreError::corrupt)?,
        url: LinkUrl::parse(&format!("{base_url}/status")).map_err(StoreError::corrupt)?,
        time_zone: "Etc/UTC".into(),
        updated_at: Timestamp::from_unix_millis(0),
    })
}

/// The whole page from the store, checked by [`StatusPage::new`].
pub async fn load_page<S: StatusPageStore>(
    store: &S,
    base_url: &str,
) -> Result<StatusPage, ApiError> {
    let contents = store.page_contents().await?;
    Ok(StatusPage::new(
        page_info(base_url)?,
        contents.groups,
        contents.components,
        contents.incidents,
        contents.maintenances,
    )
    .map_err(StoreError::corrupt)?)
}

/// The SLO of components without their own: 99.9 %.
pub fn default_slo_policy() -> SloPolicy {
    SloPolicy::new(Slo::from_percent(99.9).expect("99.9 % is a valid SLO"))
}

/// `GET /api/status/slo`: the availability targets (SPEC L1), the default
/// until management sets them.
pub async fn slo_policy<S: SettingsStore>(store: &S) -> Result<SloPolicy, ApiError> {
    match store.setting(Setting::ServiceLevels).await? {
        Some(json) => Ok(crate::stores::parse_stored(&json)?),
        None => Ok(default_slo_policy()),
    }
}

/// The first instant the pages look at: the earlier of the first bar's day
/// and the start of the year.
pub fn history_start(now: Timestamp) -> Timestamp {
    let today = now.date();
    let bars_start =
        Timestamp::start_of_day(today).unix_millis() - (BAR_DAYS as i64 - 1) * MILLIS_PER_DAY;
    let year_start = chrono::NaiveDate::from_yo_opt(chrono::Datelike::year(&today), 1)
        .map(|d| Timestamp::start_of_day(d).unix_millis())
        .unwrap_or(bars_start);
    Timestamp::from_unix_millis(bars_start.min(year_start))
}

/// Each component's status history: the last status recorded before the
/// log's start (else its first recorded one, else its current one), then
/// every change after.
fn histories(
    page: &StatusPage,
    last_before: &[RecordedStatus],
    since: &[RecordedStatus],
) -> Result<BTreeMap<ComponentId, StatusHistory>, StoreError> {
    let mut histories = BTreeMap::new();
    for component in page.components() {
        let changes: Vec<StatusChange> = since
            .iter()
            .filter(|r| r.component == component.id)
            .map(|r| r.change)
            .collect();
        let initial = match last_before.iter().find(|r| r.component == component.id) {
            Some(recorded) => recorded.change.status,
            None => changes.first().map_or(component.status, |c| c.status),
        };
        let history = StatusHistory::new(initial, changes).map_err(StoreError::corrupt)?;
        histories.insert(component.id.clone(), history);
    }
    Ok(histories)
}

/// Each component's status history from `from` on, and the SLOs: what the
/// monthly availability report reads (SPEC L1, L2).
pub async fn component_histories<S: StatusPageStore + SettingsStore>(
    store: &S,
    from: Timestamp,
) -> Result<(Vec<(ComponentId, StatusHistory)>, SloPolicy), ApiError> {
    // Only the components are read, never the page's links: any base URL does.
    let page = load_page(store, "http://localhost").await?;
    let log = store.status_log(from).await?;
    let histories = histories(&page, &log.last_before, &log.since)?;
    Ok((histories.into_iter().collect(), slo_policy(store).await?))
}

/// What the public outputs are rendered from: one read of the store.
pub struct PageData {
    page: StatusPage,
    histories: BTreeMap<ComponentId, StatusHistory>,
    slo: SloPolicy,
    weights: DowntimeWeights,
    now: Timestamp,
}

impl PageData {
    /// Reads the page, its components' histories and the SLOs.
    pub async fn load<S: StatusPageStore + SettingsStore>(
        store: &S,
        base_url: &str,
        now: Timestamp,
    ) -> Result<PageData, ApiError> {
        let page = load_page(store, base_url).await?;
        let log = store.status_log(history_start(now)).await?;
        let histories = histories(&page, &log.last_before, &log.since)?;
        let slo = slo_policy(store).await?;
        Ok(PageData {
            page,
            histories,
            slo,
            weights: DowntimeWeights::default(),
            now,
        })
    }

    fn view(&self) -> PageView<'_> {
        PageView {
            page: &self.page,
            histories: &self.histories,
            slo: &self.slo,
            weights: &self.weights,
            now: self.now,
        }
    }

    /// Renders one output; `None` for an incident page of an unknown id.
    fn render(&self, path: &str, base_url: &str) -> Option<(&'static str, String)> {
        fn to_json<T: Serialize>(value: &T) -> Option<String> {
            serde_json::to_string(value).ok()
        }
        let page = &self.page;
        let view = self.view();
        let body = match path {
            "/status" => (HTML, render_status(&view)),
            "/status/history" => (HTML, render_history(&view)),
            "/history.atom" => (ATOM, public_page_feed::atom(page, base_url, self.now)),
            "/history.rss" => (RSS, public_page_feed::rss(page, base_url, self.now)),
            "/api/v2/summary.json" => (JSON, to_json(&statuspage_wire::summary(page))?),
            "/api/v2/status.json" => (JSON, to_json(&statuspage_wire::status(page))?),
            "/api/v2/components.json" => (JSON, to_json(&statuspage_wire::components(page))?),
            "/api/v2/incidents.json" => (JSON, to_json(&statuspage_wire::incidents(page))?),
            "/api/v2/incidents/unresolved.json" => {
                (JSON, to_json(&statuspage_wire::unresolved_incidents(page))?)
            }
            "/api/v2/scheduled-maintenances.json" => (
                JSON,
                to_json(&statuspage_wire::scheduled_maintenances(page))?,
            ),
            "/api/v2/scheduled-maintenances/upcoming.json" => (
                JSON,
                to_json(&statuspage_wire::upcoming_maintenances(page))?,
            ),
            "/api/v2/scheduled-maintenances/active.json" => {
                (JSON, to_json(&statuspage_wire::active_maintenances(page))?)
            }
            other => {
                let id = IncidentId::parse(other.strip_prefix(INCIDENT_PAGE)?).ok()?;
                (HTML, render_incident(&view, &id)?)
            }
        };
        Some(body)
    }

    /// Every output of [`OUTPUTS`] and the `extra` incident pages, by path;
    /// an incident page of an unknown id is left out.
    pub fn render_all(&self, base_url: &str, extra: &[String]) -> Vec<(String, RenderedOutput)> {
        OUTPUTS
            .iter()
            .map(|(path, _)| (*path).to_owned())
            .chain(extra.iter().cloned())
            .filter_map(|path| {
                let (content_type, body) = self.render(&path, base_url)?;
                Some((
                    path,
                    RenderedOutput {
                        rendered_at: self.now.unix_millis(),
                        content_type: content_type.to_owned(),
                        body,
                    },
                ))
            })
            .collect()
    }

    /// The output a request for `path` gets and every output to keep with it
    /// (all of [`OUTPUTS`], and `path`'s own page); 404 for an incident page
    /// of an unknown id, which keeps nothing.
    pub fn render_for_request(
        &self,
        base_url: &str,
        path: &str,
    ) -> Result<(RenderedOutput, Vec<(String, RenderedOutput)>), ApiError> {
        let extra = if path.starts_with(INCIDENT_PAGE) {
            vec![path.to_owned()]
        } else {
            Vec::new()
        };
        let outputs = self.render_all(base_url, &extra);
        let requested = outputs
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, output)| output.clone())
            .ok_or(ApiError::NotFound { what: "incident" })?;
        Ok((requested, outputs))
    }
}
