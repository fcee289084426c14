//! The metric chart as data: which runs or groups are drawn, which chunks that needs, and
//! the plotly figure (a line per run, or a mean line with a ±std band per group).
//! Pure: the figure is handed to plotly.js elsewhere.

use std::collections::HashMap;

use plotly::common::DashType;
use runlens_core::bundle::RunTable;
use runlens_core::model::MetricSeries;

use crate::format;
use runlens_core::group::Group;

/// Most runs drawn as individual lines.
pub const RUN_CAP: usize = 200;
/// Most groups drawn as bands.
pub const GROUP_CAP: usize = 20;
/// Most legend entries before the legend is hidden (hover still names each line), in a
/// wide and in a narrow window.
const LEGEND_CAP: (usize, usize) = (30, 8);
/// Points drawn over all the lines of a chart, per CSS pixel of its plot's width, split
/// evenly between the lines. plotly.js spends about 1.3 µs per point making a line's SVG
/// path, then the browser paints it: 200,000 points took 0.3 s (docs/benchmarks.md).
const POINTS_PER_PIXEL: usize = 40;
/// The most points a line is drawn with, per CSS pixel of the plot's width: a smallest
/// and a largest value per pixel column, so more would not change the picture.
const LINE_POINTS_PER_PIXEL: usize = 2;
/// The fewest points a line is drawn with (fewer when the plot is narrower).
const LINE_POINTS_MIN: usize = 200;
/// Width of the plot assumed before the chart's box was measured, in CSS pixels.
const DEFAULT_PLOT_WIDTH: u32 = 1000;
/// CSS pixels of a chart's box beside its plot (axis labels and margins).
const PLOT_MARGIN: u32 = 80;
/// Longest legend name, in characters.
const NAME_CHARS: usize = 60;

/// Line colours (Tableau 10, its blue lightened from `#4e79a7`: that had a contrast of
/// 3.6:1 on the dark theme's background, now 4.9:1, and 3.4:1 on white, like the red and
/// purple); a run keeps its colour (by table row) whatever is filtered.
pub const PALETTE: [(u8, u8, u8); 10] = [
    (0x5a, 0x8f, 0xc8),
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
    match dash_index(row) {
        0 => DashType::Solid,
        1 => DashType::Dash,
        _ => DashType::Dot,
    }
}

/// [`dash`] as a number: 0 solid, 1 dashed, 2 dotted.
fn dash_index(row: usize) -> u8 {
    ((row / PALETTE.len()) % 3) as u8
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

/// Whether a chart drawn per `plan` and `options` may use the chunks' overview levels
/// instead of full resolution: lines per run (bands average runs step by step), over steps
/// or time (a metric axis pairs points by step), not zoomed (a zoom asks for detail) and
/// not smoothed (smoothing runs over every point).
pub fn overview_suffices(plan: &Plan, options: &ChartOptions) -> bool {
    matches!(plan, Plan::Runs { .. })
        && matches!(options.x, XAxis::Step | XAxis::WallTime | XAxis::Relative)
        && options.x_range.is_none()
        && !options.smoothing.is_on()
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

mod columns;
mod downsample;
mod figure;
mod merged;
pub mod options;
mod smooth;
mod style;

pub use columns::{Columns, Figure, empty_scatter};
pub use figure::figure;
pub use options::{BandKind, Centre, ChartOptions, XAxis};
pub use smooth::Smoothing;
pub(crate) use style::{axis_style, colours, layout, mode_bar, theme_relayout};

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_points;
