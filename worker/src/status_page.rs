//! The public status page (`/status`): server-rendered HTML, inline CSS, no JavaScript.
//!
//! Rendered with `maud`, which escapes every interpolated string, so nothing
//! user-supplied reaches the HTML unescaped.

use crate::store::IncidentRecord;
use beacon_shared::lifecycle::IncidentStatus;
use beacon_shared::{Priority, Timestamp};
use maud::{html, Markup, PreEscaped, DOCTYPE};

const STYLE: &str = r#"
:root{color-scheme:light dark;--bg:#f7f8fa;--fg:#16181d;--muted:#5b6270;--card:#fff;--line:#e3e6eb;
--ok:#1f883d;--minor:#bf8700;--major:#d1602b;--critical:#cf222e}
@media (prefers-color-scheme:dark){:root{--bg:#0f1115;--fg:#e8eaef;--muted:#9aa3b2;--card:#171a21;--line:#2a2f3a}}
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:var(--bg);color:var(--fg)}
main{max-width:52rem;margin:0 auto;padding:1.5rem 1rem 3rem}
h1{font-size:1.5rem;margin:0 0 1rem}h2{font-size:1.15rem;margin:2rem 0 .75rem}
.banner{padding:1rem 1.25rem;border-radius:.5rem;color:#fff;font-weight:600}
.banner.none{background:var(--ok)}.banner.minor{background:var(--minor)}.banner.major{background:var(--major)}.banner.critical{background:var(--critical)}
ol.incidents{list-style:none;padding:0;margin:0}
.incident{background:var(--card);border:1px solid var(--line);border-radius:.5rem;padding:1rem 1.25rem;margin:0 0 .75rem}
.incident h3{margin:0 0 .25rem;font-size:1.05rem;overflow-wrap:anywhere}
.meta{color:var(--muted);font-size:.9rem}
.impact{display:inline-block;font-size:.8rem;font-weight:600;padding:.05rem .5rem;border-radius:1rem;color:#fff;margin-right:.5rem}
.impact.critical{background:var(--critical)}.impact.major{background:var(--major)}.impact.minor{background:var(--minor)}.impact.none{background:var(--muted)}
footer{margin-top:2rem;color:var(--muted);font-size:.85rem}
"#;

/// Public impact of an incident, Statuspage's vocabulary (P0 critical .. P3 none).
fn impact(priority: Priority) -> &'static str {
    match priority {
        Priority::P0 => "critical",
        Priority::P1 => "major",
        Priority::P2 => "minor",
        Priority::P3 => "none",
    }
}

/// Shown publicly: not yet resolved, and never a Security incident (K3).
fn is_public_and_open(incident: &IncidentRecord) -> bool {
    let state = &incident.state;
    !matches!(
        state.status,
        IncidentStatus::Resolved | IncidentStatus::Closed | IncidentStatus::Discarded
    ) && !state.category.as_ref().is_some_and(|c| c.is_security())
}

/// Renders the page for the incidents that are open now.
pub fn render_status_page(incidents: &[IncidentRecord], rendered_at: Timestamp) -> String {
    let open: Vec<&IncidentRecord> = incidents.iter().filter(|i| is_public_and_open(i)).collect();
    let worst = open.iter().map(|i| i.state.priority).min();
    let (banner_class, banner_text) = match worst {
        None => ("none", "All systems operational"),
        Some(Priority::P0) => ("critical", "Major service outage"),
        Some(Priority::P1) => ("major", "Partial service outage"),
        Some(_) => ("minor", "Some systems are experiencing issues"),
    };
    let page: Markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Beacon status" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                main {
                    h1 { "Service status" }
                    div class={ "banner " (banner_class) } role="status" { (banner_text) }
                    h2 { "Active incidents" }
                    @if open.is_empty() {
                        p class="meta" { "No incidents reported." }
                    } @else {
                        ol class="incidents" {
                            @for incident in &open {
                                li class="incident" id={ "incident-" (incident.id) } {
                                    h3 { (incident.state.title) }
                                    p class="meta" {
                                        span class={ "impact " (impact(incident.state.priority)) } { (impact(incident.state.priority)) }
                                        "Reported "
                                        time datetime=(incident.created_at.to_string()) { (incident.created_at.to_string()) }
                                    }
                                }
                            }
                        }
                    }
                    footer {
                        "Updated "
                        time datetime=(rendered_at.to_string()) { (rendered_at.to_string()) }
                    }
                }
            }
        }
    };
    page.into_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incident(
        title: &str,
        priority: Priority,
        status: IncidentStatus,
        category: Option<&str>,
    ) -> IncidentRecord {
        IncidentRecord {
            id: 7,
            state: crate::store::IncidentState {
                title: title.into(),
                priority,
                rules_priority: priority,
                status,
                category: category.map(|c| beacon_shared::category::Category::parse(c).unwrap()),
                labels: Default::default(),
                owner_group: None,
                facts: Default::default(),
            },
            created_at: Timestamp::from_unix_millis(0),
            updated_at: Timestamp::from_unix_millis(0),
            created_by: "sam".into(),
        }
    }

    #[test]
    fn escapes_titles() {
        let html = render_status_page(
            &[incident(
                "<script>alert(1)</script>",
                Priority::P1,
                IncidentStatus::Triage,
                None,
            )],
            Timestamp::from_unix_millis(0),
        );
        assert!(!html.contains("<script>alert(1)"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("Partial service outage"));
    }

    /// SPEC K3: a Security incident never reaches the public page.
    #[test]
    fn security_incidents_are_not_public() {
        let html = render_status_page(
            &[incident(
                "credential stuffing on login",
                Priority::P0,
                IncidentStatus::Investigating,
                Some("Security"),
            )],
            Timestamp::from_unix_millis(0),
        );
        assert!(!html.contains("credential stuffing"));
        assert!(html.contains("All systems operational"));
    }

    #[test]
    fn closed_incidents_are_not_active() {
        let html = render_status_page(
            &[incident("old", Priority::P0, IncidentStatus::Closed, None)],
            Timestamp::from_unix_millis(0),
        );
        assert!(html.contains("All systems operational"));
        assert!(!html.contains(">old<"));
    }
}
