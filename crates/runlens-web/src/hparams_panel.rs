//! The hyperparameter panel (`details#rl-hparams`): a scatter of any two numeric columns
//! over the visible runs (params, metric summaries, duration; optional log axes), a bar of
//! the y column per group when the table is grouped, and how each numeric param correlates
//! with the y column. Figures are pure (tested natively); the panel draws only while open.

use plotly::common::{ErrorData, ErrorType, HoverInfo, Marker, Mode};
use plotly::layout::{Axis, AxisType, HoverMode, Margin};
use plotly::{Bar, Configuration, Layout, Plot, Scatter};
use runlens_core::group::{self, Group};
use web_sys::{Document, Element};

use crate::chart::{Theme, colour};
use crate::view::hparams::{self, Correlation};
use crate::view::{Cells, Column, ColumnKind};
use crate::{Error, dom, format};

/// Longest axis title, in characters.
const TITLE_CHARS: usize = 60;

/// A column's name as axis title: `label (detail)`, made safe for plotly.
fn title(column: &Column) -> String {
    let text = match &column.detail {
        Some(detail) => format!("{} ({detail})", format::isolate(&column.label)),
        None => column.label.clone(),
    };
    format::plotly_text(&format::truncate(&text, TITLE_CHARS))
}

fn axis(column: &Column, log: bool, theme: Theme) -> Axis {
    let grid = if theme.dark { "#3f3f46" } else { "#e4e4e7" };
    let axis = Axis::new()
        .title(title(column))
        .grid_color(grid)
        .zero_line_color(grid)
        .line_color(grid)
        .auto_margin(true);
    if log { axis.type_(AxisType::Log) } else { axis }
}

fn base_layout(theme: Theme) -> Layout {
    let text = if theme.dark { "#d4d4d8" } else { "#27272a" };
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
/// run's chart colour, or its group's when `groups` are given; hover names the run.
pub fn scatter(
    table: Cells<'_>,
    rows: &[usize],
    groups: Option<&[Group]>,
    (x, y): (&Column, &Column),
    (log_x, log_y): (bool, bool),
    theme: Theme,
) -> Plot {
    let points = hparams::pairs(table, rows, x.kind, y.kind);
    // Each row's group, looked up once (searching the groups per point was quadratic).
    let group_of = groups.map_or_else(Vec::new, |g| group::group_of_rows(g, table.len()));
    let colours: Vec<String> = points
        .iter()
        .map(|&(row, _, _)| colour(group_of.get(row).copied().flatten().unwrap_or(row), 0.85))
        .collect();
    let names: Vec<String> = points
        .iter()
        .map(|&(row, _, _)| format::plotly_text(&format::truncate(&table.names[row], 60)))
        .collect();
    let mut plot = Plot::new();
    plot.add_trace(
        Scatter::new(
            points.iter().map(|p| p.1).collect(),
            points.iter().map(|p| p.2).collect::<Vec<f64>>(),
        )
        .mode(Mode::Markers)
        .text_array(names)
        .hover_template("%{text}<br>%{x}, %{y}<extra></extra>")
        .marker(Marker::new().size(8).color_array(colours)),
    );
    plot.set_layout(
        base_layout(theme)
            .x_axis(axis(x, log_x, theme))
            .y_axis(axis(y, log_y, theme)),
    );
    plot.set_configuration(Configuration::new().responsive(true).display_logo(false));
    plot
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
        let value: serde_json::Value = serde_json::from_str(&plot.to_json()).unwrap();
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
        let value: serde_json::Value = serde_json::from_str(&plot.to_json()).unwrap();
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
}
