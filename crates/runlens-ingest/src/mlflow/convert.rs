//! What both MLflow stores share: status codes, the float sentinels, the order of points of
//! one step, dataset tags, and the finishing touches that turn a store's rows into a [`Run`].

use runlens_core::{Dataset, MetricSeries, Run, RunStatus};

/// The tag that names a run when the store has no name column (MLflow 1.x).
pub const RUN_NAME_TAG: &str = "mlflow.runName";

/// The tag holding a run's description (markdown), edited in MLflow's UI.
pub const NOTE_TAG: &str = "mlflow.note.content";

/// The tag of a nested run naming its parent: MLflow's only parent link.
pub const PARENT_TAG: &str = "mlflow.parentRunId";

/// A run's status as the SQLite store writes it (`FINISHED`, ...). `SCHEDULED` (queued, not
/// started) counts as running: it has not ended.
pub fn status_from_text(text: &str) -> Option<RunStatus> {
    Some(match text {
        "FINISHED" => RunStatus::Finished,
        "FAILED" => RunStatus::Failed,
        "RUNNING" | "SCHEDULED" => RunStatus::Running,
        "KILLED" => RunStatus::Killed,
        _ => return None,
    })
}

/// A run's status as the file store writes it (`RunStatus` protobuf numbers).
pub fn status_from_code(code: i64) -> Option<RunStatus> {
    Some(match code {
        1 | 2 => RunStatus::Running, // RUNNING, SCHEDULED
        3 => RunStatus::Finished,
        4 => RunStatus::Failed,
        5 => RunStatus::Killed,
        _ => return None,
    })
}

/// A metric value from the SQLite store: NaN when `is_nan`, and MLflow's ±`f64::MAX`
/// sentinel (what it stores for ±inf) as ±inf.
pub fn metric_value(value: f64, is_nan: bool) -> f64 {
    if is_nan {
        f64::NAN
    } else if value >= f64::MAX {
        f64::INFINITY
    } else if value <= -f64::MAX {
        f64::NEG_INFINITY
    } else {
        value
    }
}

/// Milliseconds since the epoch as seconds.
pub fn ms_to_secs(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

/// One metric point as read from a store, before it joins its series.
#[derive(Debug, Clone, Copy)]
pub struct Point {
    /// The step (0 when logged without one).
    pub step: i64,
    /// Milliseconds since the epoch.
    pub timestamp_ms: Option<i64>,
    /// The value, sentinels already mapped.
    pub value: f64,
}

/// Builds a series from points in any order: sorted by step, then timestamp, then value —
/// so that the last point of the last step is the value MLflow shows as the run's latest.
pub fn series_from_points(mut points: Vec<Point>) -> MetricSeries {
    let order = |a: &Point, b: &Point| {
        (a.step, a.timestamp_ms)
            .cmp(&(b.step, b.timestamp_ms))
            .then(a.value.total_cmp(&b.value))
    };
    if !points.is_sorted_by(|a, b| order(a, b).is_le()) {
        points.sort_by(order);
    }
    let mut series = MetricSeries::default();
    for p in points {
        series.push(p.step, p.value, p.timestamp_ms.map(ms_to_secs));
    }
    series
}

/// One dataset input of a run.
#[derive(Debug, Clone, Default)]
pub struct DatasetInput {
    /// The dataset's name.
    pub name: String,
    /// Its digest (a short hash MLflow computes).
    pub digest: String,
    /// Its source, as MLflow stores it (JSON text such as `{"uri": "data/train.csv"}`).
    pub source: String,
    /// The `mlflow.data.context` input tag (`training`, `eval`, ...), if any.
    pub context: Option<String>,
}

impl DatasetInput {
    /// Adds the input to the run's datasets.
    pub fn add_to(self, run: &mut Run) {
        let some = |text: String| (!text.is_empty()).then_some(text);
        run.datasets.push(Dataset {
            name: self.name,
            digest: some(self.digest),
            source: some(self.source),
            context: self.context,
        });
    }
}

/// Adds a param, typed with [`runlens_core::ParamValue::infer`], its text kept where the
/// typed value prints differently.
pub fn add_param(run: &mut Run, key: String, value: &str) {
    run.set_param_text(key, value);
}

/// Fills in what MLflow keeps in system tags: the name from `mlflow.runName` when the store
/// gave none, the notes from `mlflow.note.content`, the parent from `mlflow.parentRunId`.
/// The tags themselves stay, as MLflow's API returns them.
pub fn finish_run(run: &mut Run) {
    if run.name.is_empty()
        && let Some(name) = run.tags.get(RUN_NAME_TAG)
    {
        run.name = name.clone();
    }
    if let Some(note) = run.tags.get(NOTE_TAG).filter(|n| !n.trim().is_empty()) {
        run.notes = Some(note.clone());
    }
    if let Some(parent) = run.tags.get(PARENT_TAG).filter(|p| !p.is_empty()) {
        run.parent_id = Some(parent.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentinels_and_nan_flag_become_non_finite_values() {
        assert_eq!(metric_value(f64::MAX, false), f64::INFINITY);
        assert_eq!(metric_value(-f64::MAX, false), f64::NEG_INFINITY);
        assert!(metric_value(0.0, true).is_nan());
        assert_eq!(metric_value(1.5, false), 1.5);
    }

    #[test]
    fn statuses_map_from_text_and_codes() {
        assert_eq!(status_from_text("SCHEDULED"), Some(RunStatus::Running));
        assert_eq!(status_from_text("KILLED"), Some(RunStatus::Killed));
        assert_eq!(status_from_text("finished"), None);
        assert_eq!(status_from_code(3), Some(RunStatus::Finished));
        assert_eq!(status_from_code(4), Some(RunStatus::Failed));
        assert_eq!(status_from_code(9), None);
    }

    #[test]
    fn points_of_one_step_are_ordered_by_time_then_value() {
        let p = |step, ts, value| Point {
            step,
            timestamp_ms: Some(ts),
            value,
        };
        let series =
            series_from_points(vec![p(1, 5, 0.2), p(0, 9, 1.0), p(1, 5, 0.1), p(1, 3, 0.9)]);
        assert_eq!(series.steps, [0, 1, 1, 1]);
        assert_eq!(series.values, [1.0, 0.9, 0.1, 0.2]);
        assert_eq!(series.times.unwrap()[0], 0.009);
    }
}
