//! A logged distribution (TensorBoard histogram) as a plotly figure: a step outline filled
//! down to zero over the bucket edges, the x axis named after the tag.

use plotly::common::{Fill, Line, LineShape, Mode};
use plotly::{Configuration, Plot, Scatter};
use runlens_core::bundle::details::HistogramStep;

use crate::chart::{self, Theme};
use crate::format;

/// The figure of one step's distribution of `tag`, logged by run `row` (drawn in the run's
/// colour, as every chart draws it).
pub fn figure(tag: &str, step: &HistogramStep, row: usize, theme: Theme) -> Plot {
    let mut plot = Plot::new();
    // One point per edge; each count holds until the next edge, the last repeated so the
    // final bucket has its width.
    let x = step.edges.clone();
    let mut y = step.counts.clone();
    if let Some(&last) = step.counts.last() {
        y.push(last);
    }
    plot.add_trace(
        Scatter::new(x, y)
            .mode(Mode::Lines)
            .line(
                Line::new()
                    .shape(LineShape::Hv)
                    .color(chart::colour(row, 1.0))
                    .width(1.5),
            )
            .fill(Fill::ToZeroY)
            .fill_color(chart::colour(row, 0.25))
            .name(format::plotly_text(&format!("step {}", step.step))),
    );
    let mut layout = chart::layout(tag, false, theme);
    layout = layout.height(260);
    plot.set_layout(layout);
    plot.set_configuration(
        Configuration::new()
            .responsive(true)
            .display_logo(false)
            .typeset_math(false),
    );
    plot
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outline_has_one_point_per_edge() {
        let step = HistogramStep {
            step: 7,
            edges: vec![0.0, 1.0, 2.5],
            counts: vec![3.0, 1.0],
        };
        let json = figure(
            "weights <b>",
            &step,
            3,
            Theme {
                dark: false,
                narrow: false,
            },
        )
        .to_json();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["data"][0]["x"], serde_json::json!([0.0, 1.0, 2.5]));
        assert_eq!(value["data"][0]["y"], serde_json::json!([3.0, 1.0, 1.0]));
        assert!(!json.contains("<b>"), "plotly reads names as HTML: {json}");
        // In run 3's colour, as its lines in the charts.
        assert_eq!(value["data"][0]["line"]["color"], chart::colour(3, 1.0));
    }
}
