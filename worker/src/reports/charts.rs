//! The report charts (SPEC Q2), drawn at the edge as SVG with `charts-rs`
//! from the `shared` engine's trends: `GET /api/reports/charts/{name}.svg`
//! with the tables' query and clearance (K3), so the app ships no chart code.
//!
//! Each chart has a title (also the SVG's accessible `<title>`), and is
//! readable without colour: stacked bars carry their series' name in every
//! segment's label, lines differ by dash and marker as well as by colour,
//! and every point is labelled with its value. The colours are the
//! Okabe-Ito palette, told apart with any colour vision. The app shows the
//! same figures as a data table beside each chart.

use super::{parse_query, report_tickets, ReportQuery};
use crate::auth::{require_role, Actor};
use crate::error::ApiError;
use crate::stores::ReportStore;
use beacon_shared::report::{AgeBucket, CloseTargets, Report, TrendPoint};
use beacon_shared::role::Role;
use beacon_shared::{Priority, Timestamp};
use charts_rs::{
    svg_with_accessibility, BarChart, Color, HorizontalBarChart, LineChart, Position, Series,
    Symbol, YAxisConfig,
};

/// A chart of the reports page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartName {
    /// Incidents created per period, stacked by priority.
    Incidents,
    /// The median and 90th percentile of a response time per period.
    ResponseTimes,
    /// Tickets open at each period's end, stacked by age.
    Backlog,
    /// Tickets created beside tickets resolved, per period.
    CreatedResolved,
    /// Overdue tickets per owner, now.
    Overdue,
}

impl ChartName {
    pub const ALL: [ChartName; 5] = [
        ChartName::Incidents,
        ChartName::ResponseTimes,
        ChartName::Backlog,
        ChartName::CreatedResolved,
        ChartName::Overdue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChartName::Incidents => "incidents",
            ChartName::ResponseTimes => "response-times",
            ChartName::Backlog => "backlog",
            ChartName::CreatedResolved => "created-resolved",
            ChartName::Overdue => "overdue",
        }
    }

    /// A chart's file name, `incidents.svg`; anything else is `None`.
    pub fn from_file(file: &str) -> Option<Self> {
        let name = file.strip_suffix(".svg")?;
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

/// The Okabe-Ito colours: blue, vermilion, bluish green, reddish purple,
/// orange, sky blue.
const PALETTE: [(u8, u8, u8); 6] = [
    (0, 114, 178),
    (213, 94, 0),
    (0, 158, 115),
    (204, 121, 167),
    (230, 159, 0),
    (86, 180, 233),
];

fn palette() -> Vec<Color> {
    PALETTE
        .iter()
        .map(|&(r, g, b)| Color { r, g, b, a: 255 })
        .collect()
}

const WIDTH: f32 = 720.0;
const HEIGHT: f32 = 360.0;

/// A series whose zero values are left out, so no empty segment is labelled.
fn counts(name: &str, values: impl Iterator<Item = u32>) -> Series {
    let data = values
        .map(|v| (v > 0).then_some(v as f32))
        .collect::<Vec<_>>();
    let mut series = Series::new_nullable(name.to_owned(), data);
    series.label_show = true;
    series
}

/// The unit a set of durations reads best in: minutes up to two hours,
/// hours up to two days, else days.
fn duration_unit(max_millis: i64) -> (&'static str, f64) {
    const MINUTE: f64 = 60_000.0;
    match max_millis {
        m if m <= 2 * 3_600_000 => ("minutes", MINUTE),
        m if m <= 48 * 3_600_000 => ("hours", 60.0 * MINUTE),
        _ => ("days", 24.0 * 60.0 * MINUTE),
    }
}

/// The chart's x axis: one name per period.
fn axis(query: &ReportQuery, points: &[TrendPoint]) -> Vec<String> {
    points
        .iter()
        .map(|p| query.period.label(p.period))
        .collect()
}

fn bar_chart(title: &str, series: Vec<Series>, x_axis: Vec<String>, stacked: bool) -> BarChart {
    let mut series = series;
    if stacked {
        for s in &mut series {
            s.stack = Some("total".to_owned());
        }
    }
    let mut chart = BarChart::new(series, x_axis);
    chart.width = WIDTH;
    chart.height = HEIGHT;
    chart.title.text = title.to_owned();
    chart.series.colors = palette();
    chart.series.label.formatter = "{a} {c}".to_owned();
    if stacked {
        chart.series_label_position = Some(Position::Inside);
    }
    chart.empty_text = Some("No tickets in this range".to_owned());
    let points = chart.x_axis.data.len();
    let top = (0..points)
        .map(|i| {
            let values = chart
                .series_list
                .iter()
                .filter_map(|s| s.data.get(i).copied().flatten());
            if stacked {
                values.sum()
            } else {
                values.fold(0.0, f32::max)
            }
        })
        .fold(0.0, f32::max);
    whole_steps(&mut chart.y_axis_configs, top);
    chart
}

/// A count axis from 0 in whole steps (at most 5) up to at least `top`.
fn whole_steps(axes: &mut [YAxisConfig], top: f32) {
    let top = top.ceil().max(1.0) as u32;
    let splits = top.min(5);
    let step = top.div_ceil(splits);
    if let Some(axis) = axes.first_mut() {
        axis.min = Some(0.0);
        axis.max = Some((step * splits) as f32);
        axis.split_number = splits as usize;
    }
}

/// The SVG of chart `name` for `query`, as `actor` may see it (K3), at `now`.
pub fn render(
    name: ChartName,
    query: &ReportQuery,
    report: &Report<'_>,
) -> Result<String, ApiError> {
    let failed = |e: charts_rs::Error| ApiError::Internal(format!("chart: {e}"));
    let (title, svg) = match name {
        ChartName::Incidents => {
            let points = report.trends(query.period, query.range);
            let series = Priority::ALL
                .iter()
                .enumerate()
                .map(|(i, p)| counts(p.as_str(), points.iter().map(|t| t.created_by_priority[i])))
                .collect();
            let title = format!("Incidents per {} by priority", query.period.as_str());
            let chart = bar_chart(&title, series, axis(query, &points), true);
            (title, chart.svg().map_err(failed)?)
        }
        ChartName::Backlog => {
            let points = report.trends(query.period, query.range);
            let series = AgeBucket::ALL
                .iter()
                .enumerate()
                .map(|(i, b)| counts(b.label(), points.iter().map(|t| t.backlog[i])))
                .collect();
            let title = format!("Open at the end of each {}, by age", query.period.as_str());
            let chart = bar_chart(&title, series, axis(query, &points), true);
            (title, chart.svg().map_err(failed)?)
        }
        ChartName::CreatedResolved => {
            let points = report.trends(query.period, query.range);
            let series = vec![
                counts("created", points.iter().map(TrendPoint::created)),
                counts("resolved", points.iter().map(|t| t.resolved)),
            ];
            let title = format!("Created and resolved per {}", query.period.as_str());
            let chart = bar_chart(&title, series, axis(query, &points), false);
            (title, chart.svg().map_err(failed)?)
        }
        ChartName::ResponseTimes => {
            let points = report.trends(query.period, query.range);
            let stats: Vec<_> = points.iter().map(|p| p.stats(query.measure)).collect();
            let max = stats.iter().flatten().map(|s| s.p90_millis).max();
            let (unit, per) = duration_unit(max.unwrap_or(0));
            let line = |name: &str, pick: fn(&beacon_shared::report::Stats) -> i64| {
                let data = stats
                    .iter()
                    .map(|s| s.map(|s| ((pick(&s) as f64 / per * 10.0).round() / 10.0) as f32))
                    .collect();
                let mut series = Series::new_nullable(name.to_owned(), data);
                series.label_show = true;
                series
            };
            let mut median = line("median", |s| s.median_millis);
            median.symbol = Some(Symbol::Circle(4.0, None));
            let mut p90 = line("90th percentile", |s| s.p90_millis);
            p90.symbol = Some(Symbol::Triangle(5.0, None));
            p90.stroke_dash_array = Some("8,4".to_owned());
            let title = format!(
                "{} per {}, median and 90th percentile ({unit})",
                capitalised(query.measure.label()),
                query.period.as_str()
            );
            let mut chart = LineChart::new(vec![median, p90], axis(query, &points));
            chart.width = WIDTH;
            chart.height = HEIGHT;
            chart.title.text = title.clone();
            chart.series.colors = palette();
            chart.empty_text = Some("No measured tickets in this range".to_owned());
            (title, chart.svg().map_err(failed)?)
        }
        ChartName::Overdue => {
            let overdue = report.overdue(&CloseTargets::default(), &[]);
            let owners: Vec<String> = overdue.by_owner.iter().map(|o| o.name.clone()).collect();
            let series = vec![counts(
                "overdue",
                overdue.by_owner.iter().map(|o| o.overdue),
            )];
            let title = "Overdue now, per owner".to_owned();
            let mut chart = HorizontalBarChart::new(series, owners);
            chart.width = WIDTH;
            chart.height = HEIGHT.max(120.0 + 36.0 * overdue.by_owner.len() as f32);
            chart.title.text = title.clone();
            chart.series.colors = palette();
            chart.series.label.formatter = "{a} {c}".to_owned();
            if overdue.by_owner.is_empty() {
                chart.sub_title.text = "Nothing is overdue".to_owned();
            }
            (title, chart.svg().map_err(failed)?)
        }
    };
    Ok(svg_with_accessibility(&svg, &title, ""))
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `GET /api/reports/charts/{file}`: the chart's SVG for a report reader;
/// an unknown chart is 404, a bad query 422 naming the field.
pub async fn chart<S: ReportStore>(
    store: &S,
    actor: &Actor,
    file: &str,
    query: &str,
    now: Timestamp,
) -> Result<String, ApiError> {
    let name = ChartName::from_file(file).ok_or(ApiError::NotFound { what: "chart" })?;
    require_role(actor, Role::may_read_reports, "read reports")?;
    let query = parse_query(query, now)?;
    let tickets = report_tickets(store, actor, &query).await?;
    let report = Report::new(&tickets, &query.filter, now);
    render(name, &query, &report)
}

#[cfg(test)]
mod tests;
