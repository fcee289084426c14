//! The metric chart as data: which runs or groups are drawn, which chunks that needs, and
//! the plotly figure (a line per run, or a mean line with a ±std band per group).
//! Pure: the figure is handed to plotly.js elsewhere.

use std::collections::HashMap;

use plotly::common::{Anchor, DashType, Fill, Font, HoverInfo, Label, Line, Mode, Orientation};
use plotly::layout::{Axis, HoverMode, Legend, Margin};
use plotly::{Configuration, Layout, Plot, Scatter};
use runlens_core::bundle::RunTable;
use runlens_core::model::MetricSeries;

use crate::format;
use runlens_core::group::{self, Group};

/// Most runs drawn as individual lines.
pub const RUN_CAP: usize = 200;
/// Most groups drawn as bands.
pub const GROUP_CAP: usize = 20;
/// Most legend entries before the legend is hidden (hover still names each line), in a
/// wide and in a narrow window.
const LEGEND_CAP: (usize, usize) = (30, 8);
/// Points drawn over all traces, split evenly between them.
const POINT_BUDGET: usize = 200_000;
/// Bounds of the points drawn per trace.
const TRACE_POINTS: (usize, usize) = (400, 4000);
/// Longest legend name, in characters.
const NAME_CHARS: usize = 60;

/// Line colours (Tableau 10); a run keeps its colour (by table row) whatever is filtered.
pub const PALETTE: [(u8, u8, u8); 10] = [
    (0x4e, 0x79, 0xa7),
    (0xf2, 0x8e, 0x2b),
    (0xe1, 0x57, 0x59),
    (0x76, 0xb7, 0xb2),
    (0x59, 0xa1, 0x4f),
    (0xed, 0xc9, 0x48),
    (0xb0, 0x7a, 0xa1),
    (0xff, 0x9d, 0xa7),
    (0x9c, 0x75, 0x5f),
    (0xba, 0xb0, 0xac),
];

/// The CSS colour of palette slot `index` (wrapping), at `alpha` opacity.
pub fn colour(index: usize, alpha: f64) -> String {
    let (r, g, b) = PALETTE[index % PALETTE.len()];
    if alpha >= 1.0 {
        format!("#{r:02x}{g:02x}{b:02x}")
    } else {
        format!("rgba({r},{g},{b},{alpha})")
    }
}

/// The dash of run `row`'s line: solid for the first ten colours, then dashed, then
/// dotted, so that runs sharing a colour stay apart.
fn dash(row: usize) -> DashType {
    match (row / PALETTE.len()) % 3 {
        0 => DashType::Solid,
        1 => DashType::Dash,
        _ => DashType::Dot,
    }
}

/// What the chart shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// One line per run, in table order.
    Runs {
        /// Rows drawn (at most [`RUN_CAP`], only runs that have the metric).
        rows: Vec<usize>,
        /// Visible runs that have the metric.
        with_metric: usize,
        /// Visible runs.
        visible: usize,
        /// True when `rows` are the runs the reader ticked, not every visible run.
        ticked: bool,
    },
    /// A mean line and ±std band per group.
    Groups {
        /// Groups drawn (at most [`GROUP_CAP`]), rows restricted to runs with the metric.
        groups: Vec<Group>,
        /// Groups in total.
        total: usize,
    },
}

impl Plan {
    /// Plans the chart of metric `metric` for the visible runs in table order, or for
    /// `groups` when the table is grouped.
    pub fn new(
        table: &RunTable,
        metric: usize,
        sorted_rows: &[usize],
        groups: Option<&[Group]>,
    ) -> Plan {
        let column = &table.metrics[metric];
        let has = |row: &usize| column.count.get(*row).is_some_and(|&c| c > 0);
        match groups {
            None => {
                let with: Vec<usize> = sorted_rows.iter().copied().filter(has).collect();
                Plan::Runs {
                    with_metric: with.len(),
                    rows: with.into_iter().take(RUN_CAP).collect(),
                    visible: sorted_rows.len(),
                    ticked: false,
                }
            }
            Some(groups) => {
                let with: Vec<Group> = groups
                    .iter()
                    .map(|g| Group {
                        label: g.label.clone(),
                        rows: g.rows.iter().copied().filter(has).collect(),
                    })
                    .collect();
                Plan::Groups {
                    total: with.len(),
                    groups: with.into_iter().take(GROUP_CAP).collect(),
                }
            }
        }
    }

    /// The plan of the ticked runs `ticked_rows` (in table order) alone, without groups.
    pub fn ticked(table: &RunTable, metric: usize, ticked_rows: &[usize]) -> Plan {
        match Plan::new(table, metric, ticked_rows, None) {
            Plan::Runs {
                rows,
                with_metric,
                visible,
                ..
            } => Plan::Runs {
                rows,
                with_metric,
                visible,
                ticked: true,
            },
            groups => groups,
        }
    }

    /// Every run whose series the chart needs.
    pub fn rows(&self) -> Vec<usize> {
        match self {
            Plan::Runs { rows, .. } => rows.clone(),
            Plan::Groups { groups, .. } => groups.iter().flat_map(|g| g.rows.clone()).collect(),
        }
    }

    /// A sentence about what is not drawn, if anything (untrusted: names the metric).
    pub fn note(&self, metric_key: &str) -> Option<String> {
        let mut parts = Vec::new();
        match self {
            Plan::Runs {
                rows,
                with_metric,
                visible,
                ticked,
            } => {
                if *ticked {
                    parts.push(format!(
                        "only the {} ticked in the table {} drawn",
                        format::count_of(*visible, "run"),
                        if *visible == 1 { "is" } else { "are" }
                    ));
                }
                if with_metric < visible {
                    let whose = if *ticked { "ticked run" } else { "visible run" };
                    parts.push(format!(
                        "{} of {} have no {metric_key}",
                        format::count(visible - with_metric),
                        format::count_of(*visible, whose),
                    ));
                }
                if rows.len() < *with_metric {
                    parts.push(format!(
                        "the chart draws the first {} of {} in table order",
                        format::count(rows.len()),
                        format::count_of(*with_metric, "run"),
                    ));
                }
            }
            Plan::Groups { groups, total } => {
                parts.push("lines are group means, bands ±1 std".to_string());
                if groups.len() < *total {
                    parts.push(format!(
                        "the chart draws the first {} of {}",
                        format::count(groups.len()),
                        format::count_of(*total, "group"),
                    ));
                }
            }
        }
        (!parts.is_empty()).then(|| {
            let mut text = parts.join("; ");
            // Every note starts with an ASCII word.
            if let Some(first) = text.get_mut(..1) {
                first.make_ascii_uppercase();
            }
            text + "."
        })
    }
}

/// The chunks of metric `metric` that hold a series of one of `rows`.
pub fn needed_chunks(table: &RunTable, metric: usize, rows: &[usize]) -> Vec<u32> {
    let mut wanted = vec![false; table.len()];
    for &row in rows {
        if let Some(slot) = wanted.get_mut(row) {
            *slot = true;
        }
    }
    table.metrics[metric]
        .chunks
        .iter()
        .copied()
        .filter(|&id| {
            table.chunks.get(id as usize).is_some_and(|chunk| {
                chunk
                    .runs
                    .iter()
                    .any(|&r| wanted.get(r as usize).copied().unwrap_or(false))
            })
        })
        .collect()
}

/// Colours of the page around the chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    /// Dark background.
    pub dark: bool,
    /// A phone-sized window: the legend goes below the plot.
    pub narrow: bool,
}

/// Series looked up by run row.
pub type SeriesByRow<'a> = HashMap<usize, &'a MetricSeries>;

pub use runlens_core::view::SMOOTHING_CHOICES;

/// TensorBoard's smoothing: an exponential moving average with weight `weight` in `[0, 1)`,
/// debiased so the first points are not pulled towards zero. Non-finite values stay as
/// they are and do not enter the average. `weight` 0 (or out of range) returns the values.
pub fn smooth(values: &[f64], weight: f64) -> Vec<f64> {
    if !(weight > 0.0 && weight < 1.0) {
        return values.to_vec();
    }
    let mut last = 0.0;
    let mut count = 0i32;
    values
        .iter()
        .map(|&v| {
            if !v.is_finite() {
                return v;
            }
            last = last * weight + (1.0 - weight) * v;
            count += 1;
            last / (1.0 - weight.powi(count))
        })
        .collect()
}

/// The figure for `plan`: a line per run or a band per group, y axis named after the metric;
/// with `smoothing` > 0 each run's line is smoothed and its raw curve drawn faint behind it,
/// and group bands are smoothed.
pub fn figure(
    table: &RunTable,
    metric: usize,
    plan: &Plan,
    series: &SeriesByRow<'_>,
    theme: Theme,
    smoothing: f64,
) -> Plot {
    let mut plot = Plot::new();
    let smoothed = smoothing > 0.0 && smoothing < 1.0;
    let legend = match plan {
        Plan::Runs { rows, .. } => {
            let budget = points_per_trace(rows.len() * if smoothed { 2 } else { 1 });
            for &row in rows {
                let Some(s) = series.get(&row) else { continue };
                if smoothed {
                    let (x, y) = downsample(&s.steps, &s.values, budget);
                    plot.add_trace(
                        Scatter::new(x, y)
                            .mode(Mode::Lines)
                            .line(Line::new().color(colour(row, 0.25)).width(1.0))
                            .show_legend(false)
                            .hover_info(HoverInfo::Skip),
                    );
                }
                let values = smooth(&s.values, smoothing);
                let (x, y) = downsample(&s.steps, &values, budget);
                let mode = if x.len() <= 1 {
                    Mode::LinesMarkers
                } else {
                    Mode::Lines
                };
                let name = format::plotly_text(&format::truncate(&table.names[row], NAME_CHARS));
                plot.add_trace(
                    Scatter::new(x, y).name(name).mode(mode).line(
                        Line::new()
                            .color(colour(row, 1.0))
                            .width(1.5)
                            .dash(dash(row)),
                    ),
                );
            }
            rows.len()
                <= if theme.narrow {
                    LEGEND_CAP.1
                } else {
                    LEGEND_CAP.0
                }
        }
        Plan::Groups { groups, .. } => {
            let budget = points_per_trace(groups.len() * 3);
            for (index, group) in groups.iter().enumerate() {
                let members: Vec<&MetricSeries> = group
                    .rows
                    .iter()
                    .filter_map(|r| series.get(r).copied())
                    .collect();
                if members.is_empty() {
                    continue;
                }
                add_band(&mut plot, index, group, &members, budget, smoothing);
            }
            true
        }
    };
    plot.set_layout(layout(&table.metrics[metric].key, legend, theme));
    plot.set_configuration(
        Configuration::new()
            .responsive(true)
            .display_logo(false)
            .typeset_math(false),
    );
    plot
}

/// Adds the three traces of a group: upper edge, lower edge filled up to it, mean line.
fn add_band(
    plot: &mut Plot,
    index: usize,
    group: &Group,
    members: &[&MetricSeries],
    budget: usize,
    smoothing: f64,
) {
    let mut band = group::band(members);
    band.mean = smooth(&band.mean, smoothing);
    band.std = smooth(&band.std, smoothing);
    let edge = |sign: f64| -> Vec<f64> {
        band.mean
            .iter()
            .zip(&band.std)
            .map(|(&m, &s)| m + sign * if s.is_finite() { s } else { 0.0 })
            .collect()
    };
    let legend_group = format!("g{index}");
    let name = format::plotly_text(&format!(
        "{} ({})",
        format::truncate(&group.label, NAME_CHARS),
        format::count_of(members.len(), "run")
    ));
    for (values, fill) in [(edge(1.0), Fill::None), (edge(-1.0), Fill::ToNextY)] {
        let (x, y) = downsample(&band.steps, &values, budget);
        plot.add_trace(
            Scatter::new(x, y)
                .mode(Mode::Lines)
                .line(Line::new().width(0.0).color(colour(index, 0.0)))
                .fill(fill)
                .fill_color(colour(index, 0.2))
                .show_legend(false)
                .legend_group(legend_group.clone())
                .hover_info(HoverInfo::Skip),
        );
    }
    let (x, y) = downsample(&band.steps, &band.mean, budget);
    let mode = if x.len() <= 1 {
        Mode::LinesMarkers
    } else {
        Mode::Lines
    };
    plot.add_trace(
        Scatter::new(x, y)
            .name(name)
            .mode(mode)
            .legend_group(legend_group)
            .line(Line::new().color(colour(index, 1.0)).width(2.0)),
    );
}

pub(crate) fn layout(metric_key: &str, show_legend: bool, theme: Theme) -> Layout {
    let (text, grid) = if theme.dark {
        ("#d4d4d8", "#3f3f46")
    } else {
        ("#27272a", "#e4e4e7")
    };
    let legend = Legend::new().font(Font::new().size(11));
    let legend = if theme.narrow {
        legend
            .orientation(Orientation::Horizontal)
            .x(0.0)
            .y(-0.25)
            .y_anchor(Anchor::Top)
    } else {
        legend
    };
    let axis = |title: String| {
        Axis::new()
            .title(title)
            .grid_color(grid)
            .zero_line_color(grid)
            .line_color(grid)
            .auto_margin(true)
    };
    Layout::new()
        .x_axis(axis("step".to_string()))
        .y_axis(axis(format::plotly_text(&format::truncate(metric_key, 80))))
        .show_legend(show_legend)
        .legend(legend)
        .hover_mode(HoverMode::Closest)
        .hover_label(Label::new().name_length(-1))
        .margin(Margin::new().left(60).right(20).top(36).bottom(50))
        .paper_background_color("rgba(0,0,0,0)")
        .plot_background_color("rgba(0,0,0,0)")
        .font(Font::new().color(text).size(12))
        .height(420)
}

/// Points each of `traces` traces may draw.
fn points_per_trace(traces: usize) -> usize {
    (POINT_BUDGET / traces.max(1)).clamp(TRACE_POINTS.0, TRACE_POINTS.1)
}

/// Reduces a curve to about `budget` points keeping its shape: each of `budget / 2`
/// buckets contributes its smallest and largest value in step order, so spikes survive.
/// Non-finite values become gaps (`None`, which plotly draws as a break), and a bucket
/// that contains one keeps a gap.
pub fn downsample(steps: &[i64], values: &[f64], budget: usize) -> (Vec<i64>, Vec<Option<f64>>) {
    let n = steps.len().min(values.len());
    let finite = |v: f64| v.is_finite().then_some(v);
    if n <= budget.max(2) {
        return (
            steps[..n].to_vec(),
            values[..n].iter().map(|&v| finite(v)).collect(),
        );
    }
    let buckets = (budget / 2).max(1);
    let mut xs = Vec::with_capacity(budget + buckets);
    let mut ys = Vec::with_capacity(budget + buckets);
    for b in 0..buckets {
        let (start, end) = (b * n / buckets, (b + 1) * n / buckets);
        let mut low: Option<usize> = None;
        let mut high: Option<usize> = None;
        let mut gap: Option<usize> = None;
        for i in start..end {
            let v = values[i];
            if !v.is_finite() {
                gap.get_or_insert(i);
                continue;
            }
            if low.is_none_or(|j| v < values[j]) {
                low = Some(i);
            }
            if high.is_none_or(|j| v > values[j]) {
                high = Some(i);
            }
        }
        let mut picks: Vec<(usize, bool)> = Vec::with_capacity(3);
        picks.extend(low.map(|i| (i, true)));
        if high != low {
            picks.extend(high.map(|i| (i, true)));
        }
        picks.extend(gap.map(|i| (i, false)));
        picks.sort_unstable();
        for (i, keep) in picks {
            xs.push(steps[i]);
            ys.push(if keep { Some(values[i]) } else { None });
        }
    }
    (xs, ys)
}

#[cfg(test)]
mod smoothing_tests {
    use super::*;

    #[test]
    fn smoothing_is_a_debiased_ema_that_skips_non_finite_values() {
        assert_eq!(smooth(&[1.0, 2.0], 0.0), [1.0, 2.0]);
        let s = smooth(&[1.0, f64::NAN, 3.0], 0.5);
        assert_eq!(s[0], 1.0, "debiased: the first point is itself");
        assert!(s[1].is_nan());
        // last = 0.5*0.5 + 0.5*3 = 1.75, debias 1 - 0.25 = 0.75.
        assert!((s[2] - 1.75 / 0.75).abs() < 1e-12);
        let flat = smooth(&[2.0; 50], 0.99);
        assert!(
            flat.iter().all(|v| (v - 2.0).abs() < 1e-9),
            "a constant stays constant"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use runlens_core::group::GroupKey;
    use runlens_core::model::{Run, RunStatus};

    fn run(name: &str, group: &str, values: &[f64]) -> Run {
        let mut series = MetricSeries::default();
        for (step, &v) in values.iter().enumerate() {
            series.push(step as i64 * 10, v, None);
        }
        let mut run = Run {
            id: name.into(),
            name: name.into(),
            source: "jsonl".into(),
            group: Some(group.into()),
            status: RunStatus::Finished,
            ..Run::default()
        };
        if !values.is_empty() {
            run.metrics.insert("loss".into(), series);
        }
        run
    }

    fn archive() -> (RunTable, Vec<Run>) {
        let runs = vec![
            run("<img src=x onerror=alert(1)>", "a&b", &[1.0, f64::NAN, 0.5]),
            run("plain", "a&b", &[2.0, 1.0, f64::INFINITY]),
            run("empty", "c", &[]),
        ];
        (RunTable::from_runs("t", &runs, &[]), runs)
    }

    fn json(plot: &Plot) -> serde_json::Value {
        serde_json::from_str(&plot.to_json()).unwrap()
    }

    #[test]
    fn runs_plan_skips_runs_without_the_metric_and_says_so() {
        let (table, _) = archive();
        let plan = Plan::new(&table, 0, &[2, 1, 0], None);
        assert_eq!(plan.rows(), [1, 0]);
        assert_eq!(
            plan.note("loss").as_deref(),
            Some("1 of 3 visible runs have no loss.")
        );
    }

    #[test]
    fn a_plan_of_ticked_runs_says_only_those_are_drawn() {
        let (table, _) = archive();
        let plan = Plan::ticked(&table, 0, &[1]);
        assert_eq!(plan.rows(), [1]);
        assert_eq!(
            plan.note("loss").as_deref(),
            Some("Only the 1 run ticked in the table is drawn.")
        );
        let plan = Plan::ticked(&table, 0, &[0, 2]);
        assert_eq!(plan.rows(), [0]);
        assert_eq!(
            plan.note("loss").as_deref(),
            Some("Only the 2 runs ticked in the table are drawn; 1 of 2 ticked runs have no loss.")
        );
    }

    #[test]
    fn runs_plan_caps_lines() {
        let runs: Vec<Run> = (0..RUN_CAP + 5)
            .map(|i| run(&format!("r{i}"), "g", &[1.0]))
            .collect();
        let table = RunTable::from_runs("t", &runs, &[]);
        let rows: Vec<usize> = (0..runs.len()).rev().collect();
        let plan = Plan::new(&table, 0, &rows, None);
        assert_eq!(plan.rows().len(), RUN_CAP);
        assert_eq!(plan.rows()[0], RUN_CAP + 4, "table order");
        assert_eq!(
            plan.note("loss").as_deref(),
            Some("The chart draws the first 200 of 205 runs in table order.")
        );
    }

    #[test]
    fn run_figure_escapes_names_and_maps_non_finite_to_null() {
        let (table, runs) = archive();
        let plan = Plan::new(&table, 0, &[0, 1], None);
        let series: SeriesByRow<'_> =
            [(0, &runs[0].metrics["loss"]), (1, &runs[1].metrics["loss"])]
                .into_iter()
                .collect();
        let plot = figure(
            &table,
            0,
            &plan,
            &series,
            Theme {
                dark: false,
                narrow: false,
            },
            0.0,
        );
        let value = json(&plot);
        let data = value["data"].as_array().unwrap();
        assert_eq!(data.len(), 2);
        assert_eq!(data[0]["name"], "&lt;img src=x onerror=alert(1)&gt;");
        assert_eq!(data[0]["y"], serde_json::json!([1.0, null, 0.5]));
        assert_eq!(data[1]["y"], serde_json::json!([2.0, 1.0, null]));
        assert_eq!(data[0]["x"], serde_json::json!([0, 10, 20]));
        assert_eq!(data[0]["line"]["color"], colour(0, 1.0));
        assert!(!plot.to_json().contains("<img"));

        // Smoothed: a faint raw curve behind each smoothed line.
        let smoothed = figure(
            &table,
            0,
            &plan,
            &series,
            Theme {
                dark: false,
                narrow: false,
            },
            0.9,
        );
        let value = json(&smoothed);
        let data = value["data"].as_array().unwrap();
        assert_eq!(data.len(), 4);
        assert_eq!(
            data[0]["y"],
            serde_json::json!([1.0, null, 0.5]),
            "the raw curve"
        );
        assert_eq!(data[0]["line"]["color"], colour(0, 0.25));
        assert_eq!(data[1]["name"], "&lt;img src=x onerror=alert(1)&gt;");
    }

    #[test]
    fn group_figure_has_band_and_mean_per_group() {
        let (table, runs) = archive();
        let groups = group::group_rows(&table, &[0, 1, 2], &GroupKey::Group);
        let plan = Plan::new(&table, 0, &[0, 1, 2], Some(&groups));
        let series: SeriesByRow<'_> =
            [(0, &runs[0].metrics["loss"]), (1, &runs[1].metrics["loss"])]
                .into_iter()
                .collect();
        let plot = figure(
            &table,
            0,
            &plan,
            &series,
            Theme {
                dark: true,
                narrow: true,
            },
            0.0,
        );
        let value = json(&plot);
        let data = value["data"].as_array().unwrap();
        assert_eq!(data.len(), 3, "the group without series draws nothing");
        assert_eq!(data[1]["fill"], "tonexty");
        assert_eq!(data[2]["name"], "a&amp;b (2 runs)");
        assert_eq!(data[2]["y"][0], 1.5);
        let std = 0.5f64.sqrt(); // sample std of 1 and 2
        assert!(
            (data[0]["y"][0].as_f64().unwrap() - (1.5 + std)).abs() < 1e-12,
            "mean + std"
        );
        assert!(
            (data[1]["y"][0].as_f64().unwrap() - (1.5 - std)).abs() < 1e-12,
            "mean - std"
        );
        assert_eq!(data[2]["y"][2], 0.5, "the infinity is left out of the mean");
        assert_eq!(
            plan.note("loss").as_deref(),
            Some("Lines are group means, bands ±1 std.")
        );
    }

    #[test]
    fn needed_chunks_are_those_of_the_rows() {
        let runs: Vec<Run> = (0..6)
            .map(|i| run(&format!("r{i}"), "g", &[1.0, 2.0]))
            .collect();
        let archive = runlens_core::model::Archive {
            runs,
            ..Default::default()
        };
        let bundle = runlens_core::bundle::encode(&archive, "t", 4);
        let table = runlens_core::bundle::decode_index(&bundle.index).unwrap();
        assert_eq!(table.chunks.len(), 3);
        assert_eq!(needed_chunks(&table, 0, &[0, 5]), [0, 2]);
        assert_eq!(needed_chunks(&table, 0, &[]), Vec::<u32>::new());
    }

    #[test]
    fn downsampling_keeps_extremes_and_gaps() {
        let steps: Vec<i64> = (0..1000).collect();
        let mut values: Vec<f64> = (0..1000).map(|i| (i % 7) as f64).collect();
        values[500] = 1e6;
        values[700] = f64::NAN;
        let (x, y) = downsample(&steps, &values, 100);
        assert!(x.len() <= 150 && x.len() >= 100);
        assert!(x.windows(2).all(|w| w[0] < w[1]), "steps stay in order");
        assert!(y.contains(&Some(1e6)), "spike kept");
        let gap = x.iter().position(|&s| s == 700).unwrap();
        assert_eq!(y[gap], None, "gap kept");
        let (x, y) = downsample(&[1, 2], &[f64::NEG_INFINITY, 3.0], 100);
        assert_eq!((x, y), (vec![1, 2], vec![None, Some(3.0)]));
    }
}
