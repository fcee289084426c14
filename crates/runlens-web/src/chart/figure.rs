//! The plotly figure of a chart plan: a line per run (smoothed, the raw curve faint behind
//! it), or a mean line with a band per group (and, on request, its runs faintly); axes,
//! zoom and y range per the chart options.

use plotly::common::{Fill, HoverInfo, Line, Mode};
use plotly::layout::AxisType;
use plotly::{Configuration, Plot, Scatter};
use runlens_core::bundle::RunTable;
use runlens_core::group::{self, Group};
use runlens_core::model::MetricSeries;

use super::columns::{Columns, Figure, empty_scatter};
use super::downsample::{clip, downsample, points_per_line};
use super::merged::{Look, MergedLines};
use super::options::{BandKind, Centre, ChartOptions, XAxis};
use super::style::{axis_style, layout_for};
use super::{LEGEND_CAP, NAME_CHARS, Plan, RUN_CAP, SeriesByRow, Theme, colour, dash, dash_index};
use crate::format;

/// Height of a grid chart, in CSS pixels.
const COMPACT_HEIGHT: usize = 300;

/// Values sampled per trace for the outlier-proof y range.
const RANGE_SAMPLE: usize = 2000;

/// A time unit for the relative time axis: seconds, minutes or hours.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Unit {
    seconds: f64,
    name: &'static str,
}

/// The unit that keeps `max_seconds` readable.
fn unit_for(max_seconds: f64) -> Unit {
    if max_seconds > 2.0 * 3600.0 {
        Unit {
            seconds: 3600.0,
            name: "h",
        }
    } else if max_seconds > 120.0 {
        Unit {
            seconds: 60.0,
            name: "min",
        }
    } else {
        Unit {
            seconds: 1.0,
            name: "s",
        }
    }
}

/// The x values of a series on `axis`: steps; epoch milliseconds (a date axis); time
/// since `start` (the run's start, else its first timed point) in `unit`; or the value
/// the run's `x_series` logged at each step (NaN where it logged none). `None` when a time
/// axis is asked of a series without times, or a metric axis of a run without that metric.
fn x_values(
    series: &MetricSeries,
    axis: XAxis,
    start: f64,
    unit: Unit,
    x_series: Option<&MetricSeries>,
) -> Option<Vec<f64>> {
    match axis {
        XAxis::Metric(_) => {
            let x = x_series?;
            let sorted = x.steps.windows(2).all(|w| w[0] <= w[1]);
            Some(
                series
                    .steps
                    .iter()
                    .map(|step| {
                        let at = if sorted {
                            // The last point logged at the step.
                            x.steps.partition_point(|s| s <= step).checked_sub(1)
                        } else {
                            x.steps.iter().rposition(|s| s == step)
                        };
                        at.filter(|&i| x.steps[i] == *step)
                            .and_then(|i| x.values.get(i).copied())
                            .unwrap_or(f64::NAN)
                    })
                    .collect(),
            )
        }
        XAxis::Step => Some(series.steps.iter().map(|&s| s as f64).collect()),
        XAxis::WallTime => {
            let times = series.times.as_ref()?;
            times
                .iter()
                .any(|t| t.is_finite())
                .then(|| times.iter().map(|t| t * 1000.0).collect())
        }
        XAxis::Relative => {
            let times = series.times.as_ref()?;
            let first = times.iter().copied().find(|t| t.is_finite())?;
            let origin = if start.is_finite() && start <= first {
                start
            } else {
                first
            };
            Some(times.iter().map(|t| (t - origin) / unit.seconds).collect())
        }
    }
}

/// Seconds from the run's start (or its first timed point) to its last timed point.
fn relative_span(series: &MetricSeries, start: f64) -> f64 {
    let Some(times) = &series.times else {
        return 0.0;
    };
    let finite = times.iter().copied().filter(|t| t.is_finite());
    let (first, last) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), t| {
        (lo.min(t), hi.max(t))
    });
    let origin = if start.is_finite() {
        start.min(first)
    } else {
        first
    };
    if last.is_finite() { last - origin } else { 0.0 }
}

/// The figure for `plan` of metric `metric`, drawn per `options`.
pub fn figure(
    table: &RunTable,
    metric: usize,
    plan: &Plan,
    series: &SeriesByRow<'_>,
    x_series: &SeriesByRow<'_>,
    theme: Theme,
    options: &ChartOptions,
) -> Figure {
    let mut out = Figure {
        plot: Plot::new(),
        columns: Vec::new(),
        notes: Vec::new(),
    };
    let mut drawn_values: Vec<f64> = Vec::new();
    let smoothed = options.smoothing.is_on();
    // Bands line up runs by step; a time axis applies to lines of runs only.
    let axis = match plan {
        Plan::Groups { .. } if options.x != XAxis::Step => {
            out.notes.push(format!(
                "Group bands are drawn over steps, not {}.",
                options.x.label(table)
            ));
            XAxis::Step
        }
        _ => options.x,
    };
    // Only the relative time axis needs the unit (and scanning every run's times for it).
    let longest = if axis == XAxis::Relative {
        plan.rows()
            .iter()
            .filter_map(|row| {
                series
                    .get(row)
                    .map(|s| relative_span(s, table.start_times[*row]))
            })
            .fold(0.0, f64::max)
    } else {
        0.0
    };
    let unit = unit_for(longest);
    let legend = match plan {
        Plan::Runs { rows, .. } => {
            // A faint raw curve (smoothing on) gets half the points of its line.
            let lines = if smoothed {
                rows.len() * 3 / 2
            } else {
                rows.len()
            };
            let budget = points_per_line(lines, options.width);
            let mut untimed = 0;
            // Faint raw curves (smoothing on) have neither legend nor hover: those of one
            // colour always share a trace. With too many runs for a legend, the lines that
            // look alike share one too; else each run is its own trace (its legend entry).
            let merge_lines = rows.len() > LEGEND_CAP.0;
            let mut merged = MergedLines::default();
            let mut lines = Vec::with_capacity(if merge_lines { 0 } else { rows.len() });
            for &row in rows {
                let Some(s) = series.get(&row) else { continue };
                let x_series = x_series.get(&row).copied();
                let Some(xs) = x_values(s, axis, table.start_times[row], unit, x_series) else {
                    untimed += 1;
                    continue;
                };
                let name = format::plotly_text(&format::truncate(&table.names[row], NAME_CHARS));
                let line = RunLine {
                    xs: &xs,
                    values: &s.values,
                    colour: colour(row, 1.0),
                    name,
                    width: 1.5,
                };
                let (faint, (x, y)) = run_line_points(&line, options, budget, &mut drawn_values);
                if let Some((x, y)) = faint {
                    let look = Look::new(colour(row, 0.25), 0, 1.0, false);
                    merged.add(look, &line.name, x, y);
                }
                if merge_lines {
                    let look = Look::new(line.colour.clone(), dash_index(row), line.width, true);
                    merged.add(look, &line.name, x, y);
                } else {
                    let (trace, columns) = run_trace(&line, x, y);
                    lines.push((
                        trace
                            .line(
                                Line::new()
                                    .color(line.colour.clone())
                                    .width(line.width)
                                    .dash(dash(row)),
                            )
                            .legend_group(run_legend_group(row)),
                        columns,
                    ));
                }
            }
            // The faint raw curves first (they come first among the merged traces), so the
            // lines are drawn over them.
            for (trace, columns) in merged.into_traces().into_iter().chain(lines) {
                out.add(trace, columns);
            }
            if untimed > 0 {
                let lacking = match axis {
                    XAxis::Metric(_) => format!("no {}", options.x.label(table)),
                    _ => "no times".to_string(),
                };
                out.notes.push(format!(
                    "{} logged {lacking} and {} not drawn on this x axis.",
                    format::count_of(untimed, "run"),
                    if untimed == 1 { "is" } else { "are" }
                ));
            }
            rows.len()
                <= if theme.narrow {
                    LEGEND_CAP.1
                } else {
                    LEGEND_CAP.0
                }
        }
        Plan::Groups { groups, .. } => {
            let members_total: usize = groups.iter().map(|g| g.rows.len()).sum();
            // Behind the bands, at most about RUN_CAP runs in all, shared out by group size:
            // ten thousand faint lines are one blot and cost the browser seconds.
            let runs_shown = |len: usize| {
                if members_total <= RUN_CAP {
                    len
                } else {
                    (len * RUN_CAP).div_ceil(members_total).clamp(1, len)
                }
            };
            let shown_total: usize = groups.iter().map(|g| runs_shown(g.rows.len())).sum();
            // Points are shared out per line (a group's runs share one trace).
            let lines = groups.len() * 3 + if options.show_runs { shown_total } else { 0 };
            let budget = points_per_line(lines, options.width);
            let run_budget = points_per_line(shown_total, options.width);
            let (mut runs_drawn, mut runs_with_series) = (0, 0);
            for (index, group) in groups.iter().enumerate() {
                let members: Vec<(usize, &MetricSeries)> = group
                    .rows
                    .iter()
                    .filter_map(|r| series.get(r).map(|s| (*r, *s)))
                    .collect();
                if members.is_empty() {
                    continue;
                }
                if options.show_runs {
                    // The group's runs look alike: one trace for all of them.
                    let mut runs = MergedLines::default();
                    let shown = &members[..runs_shown(group.rows.len()).min(members.len())];
                    runs_drawn += shown.len();
                    runs_with_series += members.len();
                    for &(row, s) in shown {
                        let xs: Vec<f64> = s.steps.iter().map(|&v| v as f64).collect();
                        let values = options.smoothing.apply(&s.values);
                        let (xs, values) = clip(&xs, &values, options.x_range);
                        let (x, y) = downsample(&xs, &values, run_budget);
                        let name =
                            format::plotly_text(&format::truncate(&table.names[row], NAME_CHARS));
                        runs.add(Look::new(colour(index, 0.3), 0, 1.0, true), &name, x, y);
                    }
                    for (trace, columns) in runs.into_traces() {
                        out.add(trace.legend_group(group_legend_group(group)), columns);
                    }
                }
                let series: Vec<&MetricSeries> = members.iter().map(|(_, s)| *s).collect();
                add_band(
                    &mut out,
                    index,
                    group,
                    &series,
                    budget,
                    options,
                    &mut drawn_values,
                );
            }
            out.notes.push(format!(
                "Lines are group {}s; bands: {}.",
                options.centre.name(),
                options.band.label()
            ));
            if runs_drawn < runs_with_series {
                out.notes.push(format!(
                    "Behind the bands, the first {} of {} are drawn (each group's first in table order).",
                    format::count(runs_drawn),
                    format::count_of(runs_with_series, "run")
                ));
            }
            true
        }
    };
    let x_title = match axis {
        XAxis::Step => "step".to_string(),
        XAxis::WallTime => "wall time (UTC)".to_string(),
        XAxis::Relative => format!("time since start ({})", unit.name),
        XAxis::Metric(_) => format::plotly_text(&format::truncate(&axis.label(table), 80)),
    };
    let mut layout = layout_for(
        &table.metrics[metric].key,
        &x_title,
        legend && !options.compact,
        theme,
    );
    if options.compact {
        layout = layout.height(COMPACT_HEIGHT);
    }
    let mut x_axis = axis_style(x_title, theme);
    if axis == XAxis::WallTime {
        x_axis = x_axis.type_(AxisType::Date);
    } else if options.log_x {
        x_axis = x_axis.type_(AxisType::Log);
    }
    if let Some((low, high)) = options.x_range {
        x_axis = if options.log_x && axis != XAxis::WallTime {
            x_axis.range(vec![low.log10(), high.log10()])
        } else {
            x_axis.range(vec![low, high])
        };
    }
    layout = layout.x_axis(x_axis);
    let mut y_axis = axis_style(
        format::plotly_text(&format::truncate(&table.metrics[metric].key, 80)),
        theme,
    );
    if options.log_y {
        y_axis = y_axis.type_(AxisType::Log);
    }
    if options.ignore_outliers
        && let Some((low, high)) = robust_range(&mut drawn_values, options.log_y)
    {
        y_axis = y_axis.range(vec![low, high]);
    }
    layout = layout.y_axis(y_axis);
    out.plot.set_layout(layout);
    out.plot.set_configuration(
        Configuration::new()
            .responsive(true)
            .display_logo(false)
            .typeset_math(false),
    );
    out
}

/// One run's line as drawn.
struct RunLine<'a> {
    xs: &'a [f64],
    values: &'a [f64],
    colour: String,
    name: String,
    width: f64,
}

/// The trace of a run's line of points `x`, `y` (already clipped and downsampled), named
/// for its legend entry and hover; the caller sets its line (colour, width, dash). A line
/// of one point is drawn as a marker.
/// The legend group of run `row`'s line: a click on its legend entry hides what the run
/// drew, and the name plotly keeps a hidden entry under from one drawing to the next
/// (`state::draw` makes trace ids of it).
fn run_legend_group(row: usize) -> String {
    format!("run-{row}")
}

/// The legend group of a group's traces (band, centre line, its runs), by a digest of the
/// group's label (64-bit FNV-1a): the same group stays hidden when a filter changes the
/// groups' order. Letters and digits only: plotly.js makes class names of trace ids.
fn group_legend_group(group: &Group) -> String {
    let digest = group
        .label
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
    format!("group-{digest:016x}")
}

fn run_trace(
    line: &RunLine<'_>,
    x: Vec<f64>,
    y: Vec<Option<f64>>,
) -> (Box<Scatter<f64, f64>>, Columns) {
    let mode = if x.len() <= 1 {
        Mode::LinesMarkers
    } else {
        Mode::Lines
    };
    (
        empty_scatter().name(line.name.clone()).mode(mode),
        Columns::new(x, y),
    )
}

/// A run line's points as drawn: the raw curve (when smoothing is on, drawn faint, with
/// half the points) and the (smoothed) line, each clipped to the zoomed range and
/// downsampled to `budget` points;
/// the line's values are sampled into `drawn_values` for the y range.
#[allow(clippy::type_complexity, reason = "two (x, y) point lists")]
fn run_line_points(
    line: &RunLine<'_>,
    options: &ChartOptions,
    budget: usize,
    drawn_values: &mut Vec<f64>,
) -> (
    Option<(Vec<f64>, Vec<Option<f64>>)>,
    (Vec<f64>, Vec<Option<f64>>),
) {
    let faint = options.smoothing.is_on().then(|| {
        let (xs, raw) = clip(line.xs, line.values, options.x_range);
        downsample(&xs, &raw, budget / 2)
    });
    let values = options.smoothing.apply(line.values);
    let (xs, values) = clip(line.xs, &values, options.x_range);
    sample_into(drawn_values, &values);
    (faint, downsample(&xs, &values, budget))
}

/// Adds every `len / RANGE_SAMPLE`-th finite value of `values` to `out`.
fn sample_into(out: &mut Vec<f64>, values: &[f64]) {
    let stride = (values.len() / RANGE_SAMPLE).max(1);
    out.extend(
        values
            .iter()
            .step_by(stride)
            .copied()
            .filter(|v| v.is_finite()),
    );
}

/// The y range from the 1st to the 99th percentile of `values`, widened by 5% on each side
/// (in log10 units on a log axis, positive values only); `None` without values.
fn robust_range(values: &mut Vec<f64>, log: bool) -> Option<(f64, f64)> {
    if log {
        values.retain(|v| *v > 0.0);
        values.iter_mut().for_each(|v| *v = v.log10());
    }
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
    let (low, high) = (at(0.01), at(0.99));
    let pad = if high > low {
        (high - low) * 0.05
    } else {
        low.abs().max(1.0) * 0.05
    };
    Some((low - pad, high + pad))
}

/// Adds the three traces of a group: upper edge, lower edge filled up to it, and the
/// centre line (mean or median). A ± band is drawn around the centre line.
fn add_band(
    out: &mut Figure,
    index: usize,
    group: &Group,
    members: &[&MetricSeries],
    budget: usize,
    options: &ChartOptions,
    drawn_values: &mut Vec<f64>,
) {
    let band = group::band(members);
    let smooth = |values: &[f64]| options.smoothing.apply(values);
    let centre = match options.centre {
        Centre::Mean => smooth(&band.mean),
        Centre::Median => smooth(&group::medians(members, &band.steps)),
    };
    let (lower, upper) = match options.band {
        BandKind::MinMax => (smooth(&band.min), smooth(&band.max)),
        BandKind::Std | BandKind::StdErr => {
            let spread: Vec<f64> = band
                .std
                .iter()
                .zip(&band.count)
                .map(|(&s, &n)| {
                    let s = if s.is_finite() { s } else { 0.0 };
                    if options.band == BandKind::StdErr && n > 0 {
                        s / f64::from(n).sqrt()
                    } else {
                        s
                    }
                })
                .collect();
            let spread = smooth(&spread);
            let edge = |sign: f64| -> Vec<f64> {
                centre
                    .iter()
                    .zip(&spread)
                    .map(|(&m, &s)| m + sign * s)
                    .collect()
            };
            (edge(-1.0), edge(1.0))
        }
    };
    let steps: Vec<f64> = band.steps.iter().map(|&s| s as f64).collect();
    let legend_group = group_legend_group(group);
    let name = format::plotly_text(&format!(
        "{} ({})",
        format::truncate(&group.label, NAME_CHARS),
        format::count_of(members.len(), "run")
    ));
    for (values, fill) in [(upper, Fill::None), (lower, Fill::ToNextY)] {
        let (xs, values) = clip(&steps, &values, options.x_range);
        let (x, y) = downsample(&xs, &values, budget);
        out.add(
            empty_scatter()
                .mode(Mode::Lines)
                .line(Line::new().width(0.0).color(colour(index, 0.0)))
                .fill(fill)
                .fill_color(colour(index, 0.2))
                .show_legend(false)
                .legend_group(legend_group.clone())
                .hover_info(HoverInfo::Skip),
            Columns::new(x, y),
        );
    }
    let (xs, centre) = clip(&steps, &centre, options.x_range);
    sample_into(drawn_values, &centre);
    let (x, y) = downsample(&xs, &centre, budget);
    let mode = if x.len() <= 1 {
        Mode::LinesMarkers
    } else {
        Mode::Lines
    };
    out.add(
        empty_scatter()
            .name(name)
            .mode(mode)
            .legend_group(legend_group)
            .line(Line::new().color(colour(index, 1.0)).width(2.0)),
        Columns::new(x, y),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outlier_proof_range_spans_the_middle_98_percent() {
        let mut values: Vec<f64> = (0..1000).map(f64::from).collect();
        values.push(1e9);
        let (low, high) = robust_range(&mut values, false).unwrap();
        assert!(high < 1100.0, "the outlier is outside: {high}");
        assert!(low < 10.0 && low > -100.0, "{low}");
        let mut logs = vec![0.0, -1.0, 1.0, 10.0, 100.0];
        let (low, high) = robust_range(&mut logs, true).unwrap();
        assert!(low < 0.0 && high > 2.0, "log10 units: {low} {high}");
        assert!(robust_range(&mut Vec::new(), false).is_none());
    }

    #[test]
    fn relative_time_picks_a_readable_unit() {
        assert_eq!(unit_for(30.0).name, "s");
        assert_eq!(unit_for(600.0).name, "min");
        assert_eq!(unit_for(86_400.0).name, "h");
    }
}
