//! Metric values at a chosen step ("loss at step 1000"): unlike the other summaries they
//! are not in the run index, so the page loads the metric's chunks on demand and keeps the
//! values here; [`Cells`] hands the view the run table together with them.
//!
//! A run's value at step `s` is the value at its last logged step ≤ `s` (the value the run
//! had reached by then); a run that logged nothing at or before `s` has none.

use std::ops::Deref;

use runlens_core::bundle::{ParamCell, RunTable};
use runlens_core::model::MetricSeries;

use super::ColumnKind;

/// The values of every chosen (metric, step) pair, per run row: `None` while the metric's
/// chunks load, then one value per row (NaN where the run has none).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepValues {
    columns: Vec<StepColumn>,
}

#[derive(Debug, Clone, PartialEq)]
struct StepColumn {
    metric: usize,
    step: i64,
    values: Option<Vec<f64>>,
}

/// No value at any step: what the view sees before anything is asked.
static NONE: StepValues = StepValues::new();

impl StepValues {
    /// Nothing requested.
    pub const fn new() -> StepValues {
        StepValues {
            columns: Vec::new(),
        }
    }

    fn find(&self, metric: usize, step: i64) -> Option<&StepColumn> {
        self.columns
            .iter()
            .find(|c| c.metric == metric && c.step == step)
    }

    /// Asks for the values of `metric` at `step`; true when they were not asked for before
    /// (the caller then loads them and hands them to [`StepValues::fill`]).
    pub fn request(&mut self, metric: usize, step: i64) -> bool {
        if self.find(metric, step).is_some() {
            return false;
        }
        self.columns.push(StepColumn {
            metric,
            step,
            values: None,
        });
        true
    }

    /// Stores the loaded values (one per run row) of `metric` at `step`.
    pub fn fill(&mut self, metric: usize, step: i64, values: Vec<f64>) {
        match self
            .columns
            .iter_mut()
            .find(|c| c.metric == metric && c.step == step)
        {
            Some(column) => column.values = Some(values),
            None => self.columns.push(StepColumn {
                metric,
                step,
                values: Some(values),
            }),
        }
    }

    /// Forgets a request whose loading failed, so a later one tries again.
    pub fn forget(&mut self, metric: usize, step: i64) {
        self.columns
            .retain(|c| !(c.metric == metric && c.step == step && c.values.is_none()));
    }

    /// True while the values of `metric` at `step` are asked for and not loaded yet.
    pub fn is_pending(&self, metric: usize, step: i64) -> bool {
        self.find(metric, step).is_some_and(|c| c.values.is_none())
    }

    /// Run `row`'s value of `metric` at `step`: `None` when the run has none or it is not
    /// loaded (yet).
    pub fn value(&self, metric: usize, step: i64, row: usize) -> Option<f64> {
        let values = self.find(metric, step)?.values.as_ref()?;
        values.get(row).copied().filter(|v| !v.is_nan())
    }
}

/// The value of `series` at its last step ≤ `step` (the later point when a step is logged
/// twice); `None` when every point comes after `step`. The series need not be sorted.
pub fn value_at_step(series: &MetricSeries, step: i64) -> Option<f64> {
    let mut best: Option<(i64, f64)> = None;
    for (&s, &v) in series.steps.iter().zip(&series.values) {
        if s <= step && best.is_none_or(|(b, _)| s >= b) {
            best = Some((s, v));
        }
    }
    best.map(|(_, v)| v)
}

/// Every run's value at `step` from a metric's series keyed by run row: one value per row
/// of a table of `rows` runs, NaN for runs without a point at or before `step`.
pub fn values_at_step<'a>(
    rows: usize,
    series: impl IntoIterator<Item = &'a (u32, MetricSeries)>,
    step: i64,
) -> Vec<f64> {
    let mut values = vec![f64::NAN; rows];
    for (row, series) in series {
        if let Some(slot) = values.get_mut(*row as usize) {
            *slot = value_at_step(series, step).unwrap_or(f64::NAN);
        }
    }
    values
}

/// The run table and the values at steps loaded so far: what every cell of the view is
/// computed from. Dereferences to the table.
#[derive(Debug, Clone, Copy)]
pub struct Cells<'a> {
    /// The run table of the bundle.
    pub table: &'a RunTable,
    /// Values at chosen steps.
    pub steps: &'a StepValues,
}

impl<'a> Cells<'a> {
    /// The table with the values at steps.
    pub fn new(table: &'a RunTable, steps: &'a StepValues) -> Cells<'a> {
        Cells { table, steps }
    }

    /// The text of a text param's cell (what [`super::cell_text`] shows for it, borrowed);
    /// `None` for any other cell.
    pub fn text_cell(self, row: usize, kind: ColumnKind) -> Option<&'a str> {
        match kind {
            ColumnKind::Param(index) => match self.table.params.get(index)?.cells.get(row)? {
                Some(ParamCell::Text(text)) => Some(text),
                _ => None,
            },
            _ => None,
        }
    }
}

impl<'a> From<&'a RunTable> for Cells<'a> {
    /// The table alone: no value at any step.
    fn from(table: &'a RunTable) -> Cells<'a> {
        Cells {
            table,
            steps: &NONE,
        }
    }
}

impl Deref for Cells<'_> {
    type Target = RunTable;

    fn deref(&self) -> &RunTable {
        self.table
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(points: &[(i64, f64)]) -> MetricSeries {
        MetricSeries {
            steps: points.iter().map(|p| p.0).collect(),
            values: points.iter().map(|p| p.1).collect(),
            times: None,
        }
    }

    #[test]
    fn the_value_at_a_step_is_the_last_logged_at_or_before_it() {
        let s = series(&[(0, 5.0), (10, 4.0), (20, 3.0), (30, 2.5)]);
        assert_eq!(value_at_step(&s, 20), Some(3.0));
        assert_eq!(value_at_step(&s, 25), Some(3.0));
        assert_eq!(value_at_step(&s, 0), Some(5.0));
        assert_eq!(value_at_step(&s, 1_000), Some(2.5));
        assert_eq!(value_at_step(&s, -1), None);
        // Unsorted input and a step logged twice (the later point wins).
        let s = series(&[(20, 3.0), (0, 5.0), (10, 4.0), (10, 3.9)]);
        assert_eq!(value_at_step(&s, 15), Some(3.9));
        assert_eq!(value_at_step(&series(&[]), 5), None);
        // A NaN logged at the step is the value there.
        assert!(
            value_at_step(&series(&[(1, f64::NAN)]), 1)
                .unwrap()
                .is_nan()
        );
    }

    #[test]
    fn values_per_row_and_their_loading_state() {
        let chunk = vec![
            (0, series(&[(0, 1.0), (100, 0.5)])),
            (2, series(&[(50, 0.7), (150, 0.2)])),
            (3, series(&[(200, 0.1)])),
        ];
        let values = values_at_step(4, &chunk, 120);
        assert_eq!(values[0], 0.5);
        assert!(values[1].is_nan(), "run 1 has no series");
        assert_eq!(values[2], 0.7);
        assert!(values[3].is_nan(), "run 3 starts after step 120");

        let mut steps = StepValues::new();
        assert!(steps.request(0, 120));
        assert!(!steps.request(0, 120), "asked once");
        assert!(steps.is_pending(0, 120));
        assert_eq!(steps.value(0, 120, 0), None);
        steps.fill(0, 120, values);
        assert!(!steps.is_pending(0, 120));
        assert_eq!(steps.value(0, 120, 2), Some(0.7));
        assert_eq!(steps.value(0, 120, 1), None);
        assert_eq!(steps.value(0, 99, 0), None, "another step is not loaded");
        steps.request(1, 5);
        steps.forget(1, 5);
        assert!(!steps.is_pending(1, 5) && steps.request(1, 5));
    }
}
