//! A chart's figure: the plotly figure, and each trace's points kept beside it instead of
//! inside it. Serializing some 100,000 numbers (and a run name per point) to JSON in the
//! module and parsing them again in the page took a quarter of a smoothing redraw
//! (docs/benchmarks.md). The figure's traces carry empty `x` and `y`; the page attaches
//! these points as `Float64Array`s, which plotly.js takes as they are, and the hover names
//! as one array filled run by run.

use plotly::{Plot, Scatter};

/// The points of one trace.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Columns {
    /// x values (NaN: a point without an x, drawn as a gap).
    pub x: Vec<f64>,
    /// y values (NaN: a gap; plotly never bridges one in a line).
    pub y: Vec<f64>,
    /// Hover text per point, run-length coded: `(text, points)`; empty for none.
    pub text: Vec<(String, usize)>,
}

impl Columns {
    /// The points `x`, `y` (`None`: a gap), without hover text.
    pub fn new(x: Vec<f64>, y: Vec<Option<f64>>) -> Columns {
        Columns {
            x,
            y: y.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect(),
            text: Vec::new(),
        }
    }

    /// Writes the points into `trace` (a trace of the figure's JSON) as plotly reads them:
    /// `x`, `y` (gaps as `null`) and `text` (one entry per point) when there is any. For
    /// tests: the page attaches typed arrays instead.
    #[cfg(test)]
    pub fn write_json(&self, trace: &mut serde_json::Value) {
        let numbers = |values: &[f64]| -> serde_json::Value {
            values
                .iter()
                .map(|v| {
                    serde_json::Number::from_f64(*v).map_or(serde_json::Value::Null, Into::into)
                })
                .collect()
        };
        trace["x"] = numbers(&self.x);
        trace["y"] = numbers(&self.y);
        if !self.text.is_empty() {
            trace["text"] = self
                .text
                .iter()
                .flat_map(|(text, n)| {
                    std::iter::repeat_n(serde_json::Value::from(text.as_str()), *n)
                })
                .collect();
        }
    }
}

/// A line trace without points (they travel in its [`Columns`]).
pub fn empty_scatter() -> Box<Scatter<f64, f64>> {
    Scatter::new(Vec::new(), Vec::new())
}

/// A figure and what it could not draw (sentences for the chart's note).
pub struct Figure {
    /// The plotly figure; its traces' points are in `columns`.
    pub plot: Plot,
    /// The points of each trace of `plot`, in its order.
    pub columns: Vec<Columns>,
    /// Sentences about the drawing (untrusted: may name the metric).
    pub notes: Vec<String>,
}

impl Figure {
    /// Adds `trace` (made by [`empty_scatter`]) with its points.
    pub(crate) fn add(&mut self, trace: Box<Scatter<f64, f64>>, columns: Columns) {
        self.plot.add_trace(trace);
        self.columns.push(columns);
    }

    /// The whole figure as plotly reads it, points included. For tests: the page attaches
    /// the points as typed arrays instead (see [`Columns`]).
    #[cfg(test)]
    pub fn json(&self) -> serde_json::Value {
        let mut json: serde_json::Value =
            serde_json::from_str(&self.plot.to_json()).unwrap_or_default();
        if let Some(traces) = json["data"].as_array_mut() {
            for (trace, columns) in traces.iter_mut().zip(&self.columns) {
                columns.write_json(trace);
            }
        }
        json
    }
}
