//! Many run lines drawn as few plotly traces. plotly.js pays for every trace (its own SVG
//! group, styles, hover and legend bookkeeping): 200 run lines cost it about 0.75 ms each
//! in the browser bench, far more than their points. Lines that look alike (colour, dash,
//! width) are therefore joined into one trace, each line's points followed by a gap
//! (a point without a value, which plotly never bridges), and each point carries its run's
//! name as hover text. Only for charts without a legend: a legend needs a trace per run.

use std::collections::HashMap;

use plotly::Scatter;
use plotly::common::{DashType, HoverInfo, Line, Mode};

use super::columns::{Columns, empty_scatter};

/// How a line looks; lines that look alike share a trace.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Look {
    /// CSS colour.
    pub colour: String,
    /// Line dash: 0 solid, 1 dashed, 2 dotted.
    pub dash: u8,
    /// Line width in CSS pixels, in hundredths (an integer, to compare looks).
    pub width_centi: u32,
    /// Hover shows the run's name and the point; `false`: no hover (faint curves).
    pub hover: bool,
}

impl Look {
    /// A line of `colour`, `dash` and `width` px.
    pub fn new(colour: String, dash: u8, width: f64, hover: bool) -> Look {
        Look {
            colour,
            dash,
            width_centi: (width * 100.0).round() as u32,
            hover,
        }
    }

    fn dash_type(&self) -> DashType {
        match self.dash {
            0 => DashType::Solid,
            1 => DashType::Dash,
            _ => DashType::Dot,
        }
    }
}

/// Lines gathered by look, to be drawn as one trace per look.
#[derive(Debug, Default)]
pub struct MergedLines {
    /// Looks in the order their first line came.
    looks: Vec<(Look, Columns)>,
    index: HashMap<Look, usize>,
}

impl MergedLines {
    /// Adds the line of run `name` (already clipped and downsampled) in `look`.
    pub fn add(&mut self, look: Look, name: &str, x: Vec<f64>, y: Vec<Option<f64>>) {
        if x.is_empty() {
            return;
        }
        let hover = look.hover;
        let at = *self.index.entry(look.clone()).or_insert_with(|| {
            self.looks.push((look, Columns::default()));
            self.looks.len() - 1
        });
        let joined = &mut self.looks[at].1;
        if let Some(&last) = joined.x.last() {
            // The gap: a point without a value between two lines.
            joined.x.push(last);
            joined.y.push(f64::NAN);
            if hover {
                joined.text.push((String::new(), 1));
            }
        }
        if hover {
            joined.text.push((name.to_string(), x.len()));
        }
        joined.x.extend(x);
        joined
            .y
            .extend(y.into_iter().map(|v| v.unwrap_or(f64::NAN)));
    }

    /// One trace per look (and its points), in the order of their first lines; looks
    /// without hover (faint raw curves) first, so that they stay behind the lines one hovers.
    pub fn into_traces(self) -> Vec<(Box<Scatter<f64, f64>>, Columns)> {
        let (behind, front): (Vec<_>, Vec<_>) =
            self.looks.into_iter().partition(|(look, _)| !look.hover);
        behind
            .into_iter()
            .chain(front)
            .map(|(look, joined)| {
                let line = Line::new()
                    .color(look.colour.clone())
                    .width(f64::from(look.width_centi) / 100.0)
                    .dash(look.dash_type());
                let trace = empty_scatter()
                    .mode(Mode::Lines)
                    .line(line)
                    .show_legend(false)
                    .connect_gaps(false);
                let trace = if look.hover {
                    trace.hover_template("%{text}<br>(%{x}, %{y})<extra></extra>")
                } else {
                    trace.hover_info(HoverInfo::Skip)
                };
                (trace, joined)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_that_look_alike_share_a_trace_with_gaps_between_them() {
        let mut merged = MergedLines::default();
        let blue = || Look::new("#5a8fc8".into(), 0, 1.5, true);
        merged.add(blue(), "a", vec![0.0, 1.0], vec![Some(1.0), Some(2.0)]);
        merged.add(
            Look::new("rgba(90,143,200,0.25)".into(), 0, 1.0, false),
            "a",
            vec![0.0, 1.0],
            vec![Some(1.5), None],
        );
        merged.add(
            blue(),
            "b",
            vec![0.0, 1.0, 2.0],
            vec![Some(3.0), None, Some(4.0)],
        );
        merged.add(blue(), "empty", vec![], vec![]);
        let traces = merged.into_traces();
        assert_eq!(traces.len(), 2, "one trace per look");
        let json: Vec<serde_json::Value> = traces
            .iter()
            .map(|(t, columns)| {
                let mut json = serde_json::to_value(t).unwrap();
                columns.write_json(&mut json);
                json
            })
            .collect();
        // The faint look is drawn first (behind), without hover.
        assert_eq!(json[0]["hoverinfo"], "skip", "{}", json[0]);
        assert_eq!(json[0]["y"], serde_json::json!([1.5, null]));
        assert_eq!(
            json[1]["x"],
            serde_json::json!([0.0, 1.0, 1.0, 0.0, 1.0, 2.0])
        );
        assert_eq!(
            json[1]["y"],
            serde_json::json!([1.0, 2.0, null, 3.0, null, 4.0])
        );
        assert_eq!(
            json[1]["text"],
            serde_json::json!(["a", "a", "", "b", "b", "b"])
        );
        assert_eq!(json[1]["connectgaps"], false);
        assert_eq!(json[1]["showlegend"], false);
    }
}
