//! The hyperparameter panel (`details#rl-hparams`): a scatter of any two numeric columns
//! over the visible runs (params, metric summaries, duration; optional log axes), a bar of
//! the y column per group when the table is grouped, and how each numeric param correlates
//! with the y column. Figures are pure (tested natively); the panel draws only while open.

use plotly::common::{ErrorData, ErrorType, HoverInfo, Marker, Mode};
use plotly::layout::{Axis, AxisType, HoverMode, Margin};
use plotly::{Bar, Configuration, Layout, Plot};
use runlens_core::group::{self, Group};
use web_sys::{Document, Element};

use crate::chart::{PALETTE, Theme, colour};
use crate::view::hparams::{self, Correlation};
use crate::view::{Cells, Column, ColumnKind};
use crate::{Error, dom, format};

/// Longest axis title, in characters.
const TITLE_CHARS: usize = 60;
/// Above this many markers the scatter's markers are painted on a canvas (see
/// `plot_canvas`): as SVG each marker is a styled DOM node, half a second of drawing at
/// 10,000 runs.
pub const CANVAS_ABOVE: usize = 1000;
/// Opacity of a scatter marker.
const MARKER_ALPHA: f64 = 0.85;
/// Padding around the markers' extent when the axes' ranges are set (canvas markers), as
/// a share of the extent.
const RANGE_PADDING: f64 = 0.05;

/// The scatter: plotly's figure (its points beside it, see `chart::Columns`), and the
/// markers to paint on a canvas when there are too many for SVG (then the figure's trace
/// carries the points for hover only).
pub struct ScatterFigure {
    /// The figure for plotly.
    pub figure: crate::chart::Figure,
    /// Markers for the canvas (`plot_canvas`), above [`CANVAS_ABOVE`] of them.
    pub markers: Option<crate::plot_canvas::Markers>,
}

/// The range (in plotly's units: log10 on a log axis) showing every value with some
/// padding; `None` when no value can be shown.
fn padded_range(values: impl Iterator<Item = f64>, log: bool) -> Option<(f64, f64)> {
    let (low, high) = values
        .filter(|v| v.is_finite() && (!log || *v > 0.0))
        .map(|v| if log { v.log10() } else { v })
        .fold(None, |range: Option<(f64, f64)>, v| {
            Some(range.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))))
        })?;
    let pad = if high > low {
        (high - low) * RANGE_PADDING
    } else if log {
        0.5
    } else {
        low.abs().max(1.0) * RANGE_PADDING
    };
    Some((low - pad, high + pad))
}

/// A column's name as axis title: `label (detail)`, made safe for plotly.
fn title(column: &Column) -> String {
    let text = match &column.detail {
        Some(detail) => format!("{} ({detail})", format::isolate(&column.label)),
        None => column.label.clone(),
    };
    format::plotly_text(&format::truncate(&text, TITLE_CHARS))
}

fn axis(column: &Column, log: bool, theme: Theme) -> Axis {
    let axis = crate::chart::axis_style(title(column), theme);
    if log { axis.type_(AxisType::Log) } else { axis }
}

fn base_layout(theme: Theme) -> Layout {
    let text = crate::chart::colours(theme).text;
    Layout::new()
        .show_legend(false)
        .hover_mode(HoverMode::Closest)
        .margin(Margin::new().left(60).right(20).top(20).bottom(50))
        .paper_background_color("rgba(0,0,0,0)")
        .plot_background_color("rgba(0,0,0,0)")
        .font(plotly::common::Font::new().color(text).size(12))
        .mode_bar(crate::chart::mode_bar(theme))
        .height(360)
}

/// The scatter of `y` against `x` over `rows`: one marker per run with both values, in the
/// run's chart colour, or its group's when `groups` are given; hover names the run. Drawn
/// on a canvas above [`CANVAS_ABOVE`] markers.
pub fn scatter(
    table: Cells<'_>,
    rows: &[usize],
    groups: Option<&[Group]>,
    (x, y): (&Column, &Column),
    (log_x, log_y): (bool, bool),
    theme: Theme,
) -> ScatterFigure {
    let points = hparams::pairs(table, rows, x.kind, y.kind);
    // Each row's group, looked up once (searching the groups per point was quadratic).
    let group_of = groups.map_or_else(Vec::new, |g| group::group_of_rows(g, table.len()));
    // A marker's palette slot: its group's, else its run's (`colour` wraps).
    let slots: Vec<usize> = points
        .iter()
        .map(|&(row, _, _)| group_of.get(row).copied().flatten().unwrap_or(row) % PALETTE.len())
        .collect();
    let names: Vec<(String, usize)> = points
        .iter()
        .map(|&(row, _, _)| {
            let name = format::plotly_text(&format::truncate(&table.names[row], 60));
            (name, 1)
        })
        .collect();
    let on_canvas = points.len() > CANVAS_ABOVE;
    let xs: Vec<f64> = points.iter().map(|p| p.1).collect();
    let ys: Vec<f64> = points.iter().map(|p| p.2).collect();
    let trace =
        crate::chart::empty_scatter().hover_template("%{text}<br>%{x}, %{y}<extra></extra>");
    let (trace, markers, ranges) = if on_canvas {
        let markers = crate::plot_canvas::Markers::new(
            xs.iter()
                .zip(&ys)
                .zip(&slots)
                .map(|((&x, &y), &slot)| (x, y, slot)),
            |slot| crate::plot_canvas::raster::Rgba {
                rgb: PALETTE[slot % PALETTE.len()],
                alpha: MARKER_ALPHA,
            },
        );
        let ranges = (
            padded_range(xs.iter().copied(), log_x),
            padded_range(ys.iter().copied(), log_y),
        );
        (trace.mode(Mode::None), Some(markers), ranges)
    } else {
        let trace = trace.mode(Mode::Markers).marker(
            Marker::new().size(8).color_array(
                slots
                    .iter()
                    .map(|&slot| colour(slot, MARKER_ALPHA))
                    .collect(),
            ),
        );
        (trace, None, (None, None))
    };
    let with_range = |axis: Axis, range: Option<(f64, f64)>| match range {
        Some((low, high)) => axis.range(vec![low, high]),
        None => axis,
    };
    let mut figure = crate::chart::Figure {
        plot: Plot::new(),
        columns: Vec::new(),
        notes: Vec::new(),
    };
    let columns = crate::chart::Columns {
        x: xs,
        y: ys,
        text: names,
    };
    figure.add(trace, columns);
    figure.plot.set_layout(
        base_layout(theme)
            .x_axis(with_range(axis(x, log_x, theme), ranges.0))
            .y_axis(with_range(axis(y, log_y, theme), ranges.1)),
    );
    figure
        .plot
        .set_configuration(Configuration::new().responsive(true).display_logo(false));
    ScatterFigure { figure, markers }
}

/// The mean of `y` per group as bars, with ±1 std error bars, in the groups' colours.
pub fn group_bars(table: Cells<'_>, groups: &[Group], y: &Column, theme: Theme) -> Plot {
    let bars = hparams::bars(table, groups, y.kind);
    let labels: Vec<String> = bars
        .iter()
        .map(|b| format::plotly_text(&format::truncate(&b.label, 40)))
        .collect();
    let colours: Vec<String> = groups
        .iter()
        .enumerate()
        .filter(|(_, g)| bars.iter().any(|b| b.label == g.label))
        .map(|(i, _)| colour(i, 0.85))
        .collect();
    let mut plot = Plot::new();
    plot.add_trace(
        Bar::new(labels, bars.iter().map(|b| b.mean).collect())
            .error_y(
                ErrorData::new(ErrorType::Data)
                    // Plotly's default (dark grey) is lost on the dark theme.
                    .color(if theme.dark { "#d4d4d8" } else { "#3f3f46" })
                    .array(
                        bars.iter()
                            .map(|b| if b.std.is_finite() { b.std } else { 0.0 })
                            .collect(),
                    ),
            )
            .marker(Marker::new().color_array(colours))
            .hover_info(HoverInfo::All),
    );
    plot.set_layout(
        base_layout(theme)
            .y_axis(axis(y, false, theme))
            .x_axis(Axis::new().auto_margin(true)),
    );
    plot.set_configuration(Configuration::new().responsive(true).display_logo(false));
    plot
}

/// Fills `table_element` (`table#rl-hp-corr`) with the correlations, one row per param.
pub fn render_correlations(
    document: &Document,
    target: &Element,
    y: &Column,
    found: &[Correlation],
) -> Result<(), Error> {
    dom::clear(target);
    let caption = document.create_element("caption")?;
    caption.set_text_content(Some(&format!(
        "How each numeric param goes with {} over the visible runs (Spearman's ρ on ranks, Pearson's r on values). A correlation is not an effect: params varied together confound each other.",
        match &y.detail {
            Some(detail) => format!("{} ({detail})", y.label),
            None => y.label.clone(),
        }
    )));
    target.append_child(&caption)?;
    let head = document.create_element("thead")?;
    let tr = document.create_element("tr")?;
    for (text, class) in [
        ("param", ""),
        ("runs", "rl-num"),
        ("ρ", "rl-num"),
        ("r", "rl-num"),
    ] {
        let th = dom::text_element(document, "th", class, text)?;
        th.set_attribute("scope", "col")?;
        tr.append_child(&th)?;
    }
    head.append_child(&tr)?;
    target.append_child(&head)?;
    let body = document.create_element("tbody")?;
    if found.is_empty() {
        let tr = document.create_element("tr")?;
        let td = dom::text_element(
            document,
            "td",
            "rl-note",
            "No numeric param varies over three or more visible runs with this column.",
        )?;
        td.set_attribute("colspan", "4")?;
        tr.append_child(&td)?;
        body.append_child(&tr)?;
    }
    for c in found {
        let tr = document.create_element("tr")?;
        tr.set_attribute("data-column", &c.column.id)?;
        dom::append_text(document, &tr, "th", "", &c.column.label)?;
        dom::append_text(document, &tr, "td", "rl-num", &format::count(c.count))?;
        for value in [c.spearman, c.pearson] {
            let class = if value >= 0.0 {
                "rl-num rl-pos"
            } else {
                "rl-num rl-neg"
            };
            dom::append_text(document, &tr, "td", class, &format!("{value:+.2}"))?;
        }
        body.append_child(&tr)?;
    }
    target.append_child(&body)?;
    Ok(())
}

/// The column of `columns` with id `id`, else the first whose kind passes `fallback`.
pub fn pick<'a>(
    columns: &'a [Column],
    id: Option<&str>,
    fallback: impl Fn(&Column) -> bool,
) -> Option<&'a Column> {
    id.and_then(|id| columns.iter().find(|c| c.id == id))
        .or_else(|| columns.iter().find(|c| fallback(c)))
        .or_else(|| columns.first())
}

/// True for a param column.
pub fn is_param(column: &Column) -> bool {
    matches!(column.kind, ColumnKind::Param(_))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::{all_columns, find_column};
    use runlens_core::bundle::RunTable;
    use runlens_core::model::{MetricSeries, ParamValue, Run};

    #[test]
    fn the_scatter_has_a_marker_per_run_with_both_values_and_escaped_names() {
        let runs: Vec<Run> = [("<b>a</b>", Some(0.1)), ("b", Some(0.01)), ("c", None)]
            .into_iter()
            .map(|(name, lr)| {
                let mut run = Run {
                    id: name.into(),
                    name: name.into(),
                    ..Run::default()
                };
                if let Some(lr) = lr {
                    run.params.insert("lr".into(), ParamValue::Float(lr));
                }
                let mut s = MetricSeries::default();
                s.push(0, 1.0, None);
                run.metrics.insert("loss".into(), s);
                run
            })
            .collect();
        let table = RunTable::from_runs("t", &runs, &[]);
        let all = all_columns(&table);
        let x = find_column(&all, "param:lr").unwrap();
        let y = find_column(&all, "metric:loss:last").unwrap();
        let theme = Theme {
            dark: false,
            narrow: false,
        };
        let plot = scatter(
            (&table).into(),
            &[0, 1, 2],
            None,
            (x, y),
            (true, false),
            theme,
        );
        assert!(plot.markers.is_none(), "few markers stay SVG");
        let value = plot.figure.json();
        assert_eq!(value["data"][0]["mode"], "markers");
        assert_eq!(value["data"][0]["x"], serde_json::json!([0.1, 0.01]));
        assert_eq!(value["data"][0]["text"][0], "&lt;b&gt;a&lt;/b&gt;");
        assert_eq!(value["layout"]["xaxis"]["type"], "log");
        assert_eq!(value["data"][0]["marker"]["color"][1], colour(1, 0.85));
        // Grouped, a marker takes its group's colour.
        let split = vec![
            Group {
                label: "b".into(),
                rows: vec![1],
            },
            Group {
                label: "a, c".into(),
                rows: vec![0, 2],
            },
        ];
        let plot = scatter(
            (&table).into(),
            &[0, 1, 2],
            Some(&split),
            (x, y),
            (false, false),
            theme,
        );
        let value = plot.figure.json();
        assert_eq!(
            value["data"][0]["marker"]["color"],
            serde_json::json!([colour(1, 0.85), colour(0, 0.85)])
        );
        let groups = vec![Group {
            label: "all".into(),
            rows: vec![0, 1, 2],
        }];
        let bars = group_bars((&table).into(), &groups, y, theme);
        let value: serde_json::Value = serde_json::from_str(&bars.to_json()).unwrap();
        assert_eq!(value["data"][0]["type"], "bar");
        assert_eq!(value["data"][0]["y"], serde_json::json!([1.0]));
    }

    #[test]
    fn many_markers_are_painted_on_a_canvas_with_hover_kept_in_the_figure() {
        let runs: Vec<Run> = (0..=CANVAS_ABOVE)
            .map(|i| {
                let mut run = Run {
                    id: format!("r{i}"),
                    name: format!("r{i}"),
                    ..Run::default()
                };
                run.params
                    .insert("lr".into(), ParamValue::Float(10f64.powi(-(i as i32 % 4))));
                let mut s = MetricSeries::default();
                s.push(0, i as f64, None);
                run.metrics.insert("loss".into(), s);
                run
            })
            .collect();
        let table = RunTable::from_runs("t", &runs, &[]);
        let all = all_columns(&table);
        let (x, y) = (
            find_column(&all, "param:lr").unwrap(),
            find_column(&all, "metric:loss:last").unwrap(),
        );
        let rows: Vec<usize> = (0..runs.len()).collect();
        let theme = Theme {
            dark: true,
            narrow: false,
        };
        let figure = scatter((&table).into(), &rows, None, (x, y), (true, false), theme);
        let markers = figure.markers.expect("markers for the canvas");
        assert_eq!(markers.len(), CANVAS_ABOVE + 1);
        assert_eq!(markers.by_colour.len(), crate::chart::PALETTE.len());
        assert_eq!(
            markers.by_colour[1].0,
            crate::plot_canvas::raster::Rgba {
                rgb: crate::chart::PALETTE[1],
                alpha: 0.85
            }
        );
        assert_eq!(markers.by_colour[1].1[0], (0.1, 1.0));
        let value = figure.figure.json();
        // plotly draws no marker but keeps every point for hover.
        assert_eq!(value["data"][0]["mode"], "none");
        assert_eq!(
            value["data"][0]["x"].as_array().unwrap().len(),
            CANVAS_ABOVE + 1
        );
        assert_eq!(
            value["data"][0]["text"][CANVAS_ABOVE],
            format!("r{CANVAS_ABOVE}")
        );
        // The ranges are set, padded: log x from 10^-3 to 10^0, in log10 units.
        let x_range: Vec<f64> =
            serde_json::from_value(value["layout"]["xaxis"]["range"].clone()).unwrap();
        assert!(
            (x_range[0] - (-3.15)).abs() < 1e-9 && (x_range[1] - 0.15).abs() < 1e-9,
            "{x_range:?}"
        );
        let y_range: Vec<f64> =
            serde_json::from_value(value["layout"]["yaxis"]["range"].clone()).unwrap();
        assert!(
            (y_range[0] + 50.0).abs() < 1e-9 && (y_range[1] - 1050.0).abs() < 1e-9,
            "{y_range:?}"
        );
    }

    #[test]
    fn padded_ranges_cover_the_values_and_skip_what_a_log_axis_cannot_show() {
        assert_eq!(
            padded_range([0.0, 10.0].into_iter(), false),
            Some((-0.5, 10.5))
        );
        assert_eq!(
            padded_range([2.0, 2.0].into_iter(), false),
            Some((1.9, 2.1))
        );
        assert_eq!(
            padded_range([-1.0, 0.0, 100.0].into_iter(), true),
            Some((1.5, 2.5))
        );
        assert_eq!(padded_range([f64::NAN].into_iter(), false), None);
        assert_eq!(padded_range([0.0].into_iter(), true), None);
    }
}
