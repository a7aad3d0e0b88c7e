//! The reports page in a real browser (SPEC Q1, Q2, Q4): the edge's charts
//! load for seeded tickets, the tables hold their counts, a table's CSV
//! downloads, and a problem ticket is opened from a repeat case.

use crate::browser_flows::{click, save_screenshot, sign_in};
use crate::{check, get_json, post, Env, TestFn};
use beacon_e2e::browser::{wait_for, wait_until_source};
use beacon_e2e::BoxError;
use libtest_mimic::Failed;
use serde_json::json;
use std::time::{Duration, Instant};

pub const TESTS: &[(&str, TestFn)] = &[(
    "reports_browser::the_reports_page_charts_tables_csv_and_a_problem_from_a_row",
    the_reports_page_charts_tables_csv_and_a_problem_from_a_row,
)];

/// The charts the page shows, by file name.
const CHARTS: [&str; 5] = [
    "incidents",
    "created-resolved",
    "backlog",
    "response-times",
    "overdue",
];

/// Three tickets of this run's own owning group on one system and host (a
/// repeat case): two P2, one P3; the first P2 resolved. Returns the group,
/// the repeat key and the ids, oldest first.
fn seed(env: &Env) -> Result<(String, String, Vec<i64>), Failed> {
    let tag = std::process::id();
    let group = format!("reports-page-{tag}");
    let (system, host) = (format!("ledger-{tag}"), "ledger-db-1");
    let mut ids = Vec::new();
    for (title, priority) in [
        ("Ledger writes time out", "P2"),
        ("Ledger writes time out again", "P2"),
        ("Ledger replica lag", "P3"),
    ] {
        let (status, created) = post(
            env,
            "sre",
            "/api/incidents",
            &json!({"title": title, "owner_group": group,
                    "facts": {"system": system, "hostname": host}}),
        )?;
        check(status == 201, format!("create: {status} {created}"))?;
        let id = created["id"].as_i64().ok_or("id")?;
        let path = format!("/api/incidents/{id}/transitions");
        let (status, body) = post(
            env,
            "sre",
            &path,
            &json!({"action": "classify_as_problem", "priority": priority}),
        )?;
        check(status == 200, format!("classify: {status} {body}"))?;
        ids.push(id);
    }
    let path = format!("/api/incidents/{}/transitions", ids[0]);
    let (status, body) = post(env, "sre", &path, &json!({"action": "resolve"}))?;
    check(status == 200, format!("resolve: {status} {body}"))?;
    Ok((group, format!("{system}/{host}"), ids))
}

/// Waits up to 20 s for `name` to appear whole in `folder`.
fn downloaded(folder: &std::path::Path, name: &str) -> Result<String, BoxError> {
    let deadline = Instant::now() + Duration::from_secs(20);
    let path = folder.join(name);
    loop {
        if let Ok(text) = std::fs::read_to_string(&path) {
            if text.ends_with('\n') {
                return Ok(text);
            }
        }
        if Instant::now() > deadline {
            let seen: Vec<_> = std::fs::read_dir(folder)?
                .filter_map(|e| e.ok().map(|e| e.file_name()))
                .collect();
            return Err(format!("{name} was not downloaded; the folder holds {seen:?}").into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// SPEC Q1, Q2, Q4 (issue 14, done-when 4): as the SRE, `/reports` filtered
/// to this run's group per day shows the five charts drawn by the edge (each
/// image loaded, with a non-zero natural size and alt text), the figures
/// behind them (today: 3 created, 1 resolved, P2 2, P3 1), the totals (3
/// counted) and the repeat case of the three tickets; the Reports entry is
/// in the navigation; the totals' CSV downloads and reads back (with a CSV
/// parser) to the same count; "Open a problem" on the repeat case opens a
/// problem linking its three incidents and shows it. The page is the
/// README's `docs/screenshots/reports.png`.
fn the_reports_page_charts_tables_csv_and_a_problem_from_a_row(env: &Env) -> Result<(), Failed> {
    let (group, key, ids) = seed(env)?;
    let downloads = std::env::temp_dir().join(format!("beacon-reports-{}", std::process::id()));
    std::fs::create_dir_all(&downloads)?;
    let page = format!("/reports?period=day&group={group}");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let problem = runtime.block_on(async {
        let client = env
            .driver
            .download_session(&downloads)
            .await
            .map_err(|e| e.to_string())?;
        let result = async {
            sign_in(&client, env, "sre").await?;
            wait_for(&client, "header.top a[href='/reports']").await?;
            client.goto(&env.worker.url(&page)).await?;
            for chart in CHARTS {
                wait_for(&client, &format!("img#chart-{chart}")).await?;
            }
            // Every chart's image has loaded: a decoded SVG with a size.
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                let sizes = client
                    .execute(
                        "return [...document.querySelectorAll('figure.chart img')].map(i =>
                            [i.id, i.complete, i.naturalWidth, i.naturalHeight, i.alt,
                             i.src.startsWith('blob:')]);",
                        vec![],
                    )
                    .await?;
                let images = sizes.as_array().ok_or("images")?;
                let loaded = images.len() == CHARTS.len()
                    && images.iter().all(|i| {
                        i[1] == true
                            && i[2].as_u64().unwrap_or(0) > 0
                            && i[3].as_u64().unwrap_or(0) > 0
                            && i[4].as_str().is_some_and(|alt| alt.len() > 20)
                            && i[5] == true
                    });
                if loaded {
                    break;
                }
                if Instant::now() > deadline {
                    return Err(format!("charts not loaded: {sizes}").into());
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            // The figures behind the charts: today's row, the last.
            let today = wait_for(&client, "#report-trends tbody tr:last-child").await?;
            let (created, resolved) = (
                today.attr("data-created").await?,
                today.attr("data-resolved").await?,
            );
            if (created.as_deref(), resolved.as_deref()) != (Some("3"), Some("1")) {
                return Err(
                    format!("today's trend: {created:?} created, {resolved:?} resolved").into(),
                );
            }
            let cells: Vec<String> = {
                let mut texts = Vec::new();
                for cell in today.find_all(fantoccini::Locator::Css("td")).await? {
                    texts.push(cell.text().await?);
                }
                texts
            };
            // Period, P0, P1, P2, P3, ...
            if cells.get(1..5) != Some(&["0".into(), "0".into(), "2".into(), "1".into()][..]) {
                return Err(format!("today's priorities: {cells:?}").into());
            }
            wait_for(
                &client,
                "#report-summary tbody tr:last-child[data-counted='3']",
            )
            .await?;
            wait_for(&client, &format!("#repeat-cases tr[data-key='{key}']")).await?;
            save_screenshot(&client, "reports.png").await?;

            click(&client, "#csv-summary").await?;
            let csv = downloaded(&downloads, "beacon-summary.csv")?;
            let mut reader = csv::Reader::from_reader(csv.as_bytes());
            let headers = reader.headers()?.clone();
            let counted = headers
                .iter()
                .position(|h| h == "counted")
                .ok_or("counted")?;
            let last = reader.records().last().ok_or("no CSV rows")??;
            if last.get(counted) != Some("3") {
                return Err(format!("CSV today: {last:?}").into());
            }

            click(
                &client,
                &format!("#repeat-cases tr[data-key='{key}'] button.open-problem"),
            )
            .await?;
            wait_until_source(&client, "the new problem's page", |s| {
                s.contains("Repeat case ") && s.contains(&key)
            })
            .await?;
            let url = client.current_url().await?;
            let id: i64 = url
                .path()
                .strip_prefix("/problems/")
                .ok_or_else(|| format!("not a problem page: {url}"))?
                .parse()?;
            Ok::<i64, BoxError>(id)
        }
        .await;
        let _ = client.close().await;
        result.map_err(|e| e.to_string())
    })?;
    let _ = std::fs::remove_dir_all(&downloads);

    let detail = get_json(env, "sre", &format!("/api/problems/{problem}"))?;
    let title = detail["problem"]["title"].as_str().unwrap_or_default();
    check(
        title == format!("Repeat case {key}: 3 incidents"),
        format!("problem title: {detail}"),
    )?;
    let linked: Vec<i64> = detail["problem"]["incidents"]
        .as_array()
        .ok_or("incidents")?
        .iter()
        .filter_map(|l| l["incident"].as_i64())
        .collect();
    check(
        linked == ids,
        format!("linked incidents: {linked:?}, not {ids:?}"),
    )?;
    check(
        detail["problem"]["origin"]["repeated_incidents"]["incidents"] == json!(ids),
        format!("origin: {detail}"),
    )?;
    Ok(())
}
