//! The normalized run model every reader produces and every consumer reads:
//! an [`Archive`] of [`Run`]s with typed params, tags and metric series.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::details::{Artifact, Dataset, Histogram, RegisteredModel};

/// Everything read from a set of sources: the runs and what could not be read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Archive {
    /// Runs in a deterministic order (see [`Archive::finish`]).
    pub runs: Vec<Run>,
    /// Inputs that were skipped or only partly read.
    pub warnings: Vec<Warning>,
    /// Model registry entries, sorted by (source, name).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub models: Vec<RegisteredModel>,
}

impl Archive {
    /// Puts the archive in its canonical form: runs sorted by (source, experiment, id),
    /// every metric series sorted by step (ties keep their logged order), empty series dropped.
    pub fn finish(&mut self) {
        for run in &mut self.runs {
            // A key with no point carries nothing to show or summarize.
            run.metrics.retain(|_, series| !series.is_empty());
            for series in run.metrics.values_mut() {
                series.sort_by_step();
            }
            run.artifacts.sort_by(|a, b| a.path.cmp(&b.path));
            run.artifacts.dedup_by(|a, b| a.path == b.path);
            run.datasets.sort();
            run.datasets.dedup();
            for steps in run.histograms.values_mut() {
                steps.sort_by_key(|h| h.step);
                *steps = Histogram::thin(std::mem::take(steps));
            }
            run.histograms.retain(|_, steps| !steps.is_empty());
        }
        self.runs.sort_by(|a, b| {
            (&a.source, &a.experiment, &a.id).cmp(&(&b.source, &b.experiment, &b.id))
        });
        self.warnings.sort();
        self.warnings.dedup();
        self.models
            .sort_by(|a, b| (&a.source, &a.name).cmp(&(&b.source, &b.name)));
    }

    /// The sorted, de-duplicated metric keys over all runs.
    pub fn metric_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .runs
            .iter()
            .flat_map(|r| r.metrics.keys().cloned())
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }

    /// Total number of metric points over all runs and keys.
    pub fn point_count(&self) -> u64 {
        self.runs
            .iter()
            .flat_map(|r| r.metrics.values())
            .map(|s| s.len() as u64)
            .sum()
    }
}

/// Something in the input that was skipped or only partly read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Warning {
    /// The file (or directory) concerned, as given on the command line or found by the walk.
    pub path: String,
    /// The 1-based line or record number, where the problem has one.
    pub line: Option<u64>,
    /// What went wrong and what was done about it.
    pub message: String,
}

impl Warning {
    /// A warning about a whole file.
    pub fn file(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            line: None,
            message: message.into(),
        }
    }

    /// A warning about one line (or record) of a file.
    pub fn line(path: impl Into<String>, line: u64, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            line: Some(line),
            message: message.into(),
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.path, line, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

/// One training run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// Identifier, unique within its source and experiment.
    pub id: String,
    /// Human-readable name (falls back to the id).
    pub name: String,
    /// The reader that produced the run, e.g. `jsonl`, `csv`, `mlflow`.
    pub source: String,
    /// Experiment or project the run belongs to.
    pub experiment: Option<String>,
    /// The group the tracker put the run in (W&B group, sweep, ...).
    pub group: Option<String>,
    /// Lifecycle status.
    pub status: RunStatus,
    /// Start time, seconds since the Unix epoch.
    pub start_time: Option<f64>,
    /// End time, seconds since the Unix epoch.
    pub end_time: Option<f64>,
    /// Hyper-parameters, typed.
    pub params: BTreeMap<String, ParamValue>,
    /// Free-form string tags.
    pub tags: BTreeMap<String, String>,
    /// Metric curves by key.
    pub metrics: BTreeMap<String, MetricSeries>,
    /// The original text of params whose typed value prints differently (`1e-3` typed as
    /// the float `0.001`, `01` as the integer `1`), so the page can show what was logged.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub param_text: BTreeMap<String, String>,
    /// The id of the run this one is nested under (same source and experiment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    /// What the user wrote about the run, markdown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Datasets the run used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub datasets: Vec<Dataset>,
    /// Files the run saved, sorted by path.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub artifacts: Vec<Artifact>,
    /// Logged distributions by tag, in step order (at most [`Histogram::MAX_STEPS`] each).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub histograms: BTreeMap<String, Vec<Histogram>>,
}

impl Run {
    /// Sets a param from the text a tracker logged: typed with [`ParamValue::infer`], the
    /// text kept in [`Run::param_text`] when the typed value prints differently.
    pub fn set_param_text(&mut self, key: impl Into<String>, text: &str) {
        let key = key.into();
        let value = ParamValue::infer(text);
        if value.to_string() == text {
            self.param_text.remove(&key);
        } else {
            self.param_text.insert(key.clone(), text.to_string());
        }
        self.params.insert(key, value);
    }

    /// The param as the tracker logged it: the original text where it was kept, else the
    /// typed value printed.
    pub fn param_display(&self, key: &str) -> Option<String> {
        if let Some(text) = self.param_text.get(key) {
            return Some(text.clone());
        }
        self.params.get(key).map(ToString::to_string)
    }
}

/// Lifecycle status of a run.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Completed normally.
    Finished,
    /// Ended with an error.
    Failed,
    /// Still running (or crashed without recording an end).
    Running,
    /// Stopped by the user or the scheduler.
    Killed,
    /// The source does not say.
    #[default]
    Unknown,
}

impl RunStatus {
    /// All statuses, in code order.
    pub const ALL: [RunStatus; 5] = [
        RunStatus::Finished,
        RunStatus::Failed,
        RunStatus::Running,
        RunStatus::Killed,
        RunStatus::Unknown,
    ];

    /// The lowercase name used in the bundle, `inspect --json` and queries.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Finished => "finished",
            RunStatus::Failed => "failed",
            RunStatus::Running => "running",
            RunStatus::Killed => "killed",
            RunStatus::Unknown => "unknown",
        }
    }

    /// Parses a status name as trackers write it (case-insensitive, common synonyms).
    pub fn parse_lenient(text: &str) -> Option<RunStatus> {
        let lower = text.trim().to_ascii_lowercase();
        Some(match lower.as_str() {
            "finished" | "completed" | "complete" | "success" | "succeeded" | "done" | "ok" => {
                RunStatus::Finished
            }
            "failed" | "failure" | "error" | "crashed" => RunStatus::Failed,
            "running" | "scheduled" | "started" | "in_progress" => RunStatus::Running,
            "killed" | "cancelled" | "canceled" | "aborted" | "stopped" => RunStatus::Killed,
            "unknown" | "" => RunStatus::Unknown,
            _ => return None,
        })
    }

    /// The code stored in the bundle.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// Inverse of [`RunStatus::code`].
    pub fn from_code(code: u8) -> Option<RunStatus> {
        RunStatus::ALL.get(usize::from(code)).copied()
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A typed hyper-parameter value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// `true` / `false`.
    Bool(bool),
    /// A whole number that fits in 64 bits.
    Int(i64),
    /// Any other number (may be NaN or infinite).
    Float(f64),
    /// Anything else, verbatim.
    Text(String),
}

impl ParamValue {
    /// Types a textual value the way a user would read it: `true`/`false` (any case) are
    /// booleans, integers and floats (including `inf`, `nan`) are numbers, the rest is text.
    pub fn infer(text: &str) -> ParamValue {
        let trimmed = text.trim();
        if trimmed.eq_ignore_ascii_case("true") {
            return ParamValue::Bool(true);
        }
        if trimmed.eq_ignore_ascii_case("false") {
            return ParamValue::Bool(false);
        }
        if let Ok(int) = trimmed.parse::<i64>() {
            return ParamValue::Int(int);
        }
        if let Some(float) = parse_float(trimmed) {
            return ParamValue::Float(float);
        }
        ParamValue::Text(text.to_string())
    }

    /// The value as a number, where it is one (booleans count as 0 and 1).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            ParamValue::Bool(b) => Some(f64::from(u8::from(*b))),
            ParamValue::Int(i) => Some(*i as f64),
            ParamValue::Float(f) => Some(*f),
            ParamValue::Text(_) => None,
        }
    }
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamValue::Bool(b) => write!(f, "{b}"),
            ParamValue::Int(i) => write!(f, "{i}"),
            ParamValue::Float(x) => f.write_str(&format_float(*x)),
            ParamValue::Text(s) => f.write_str(s),
        }
    }
}

/// Parses a float the way trackers write them: Rust/Python syntax plus `inf`, `Infinity`,
/// `nan`, `NaN` in any case, with an optional sign. Returns `None` for anything else.
pub fn parse_float(text: &str) -> Option<f64> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    let (negative, body) = match t.as_bytes()[0] {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let special = if body.eq_ignore_ascii_case("inf") || body.eq_ignore_ascii_case("infinity") {
        Some(f64::INFINITY)
    } else if body.eq_ignore_ascii_case("nan") {
        Some(f64::NAN)
    } else {
        None
    };
    if let Some(value) = special {
        return Some(if negative { -value } else { value });
    }
    // Rust's parser accepts "inf"/"nan" spellings handled above and rejects e.g. "1e", "0x1".
    if !body.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return None;
    }
    t.parse::<f64>().ok()
}

/// Formats a float for people and for JSON-as-text: the shortest round-trip form, with
/// `NaN`, `Infinity` and `-Infinity` for the non-finite values.
pub fn format_float(x: f64) -> String {
    if x.is_nan() {
        "NaN".to_string()
    } else if x == f64::INFINITY {
        "Infinity".to_string()
    } else if x == f64::NEG_INFINITY {
        "-Infinity".to_string()
    } else {
        format!("{x}")
    }
}

/// One metric curve: points (step, value, optional wall time) in step order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricSeries {
    /// Step of each point.
    pub steps: Vec<i64>,
    /// Value of each point; NaN and infinities are legal.
    pub values: Vec<f64>,
    /// Wall time of each point in seconds since the Unix epoch, NaN where a point has none;
    /// `None` when no point has one.
    pub times: Option<Vec<f64>>,
}

impl MetricSeries {
    /// Number of points.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// True when the series has no point.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Appends a point; `time` is seconds since the epoch.
    pub fn push(&mut self, step: i64, value: f64, time: Option<f64>) {
        match (&mut self.times, time) {
            (Some(times), t) => times.push(t.unwrap_or(f64::NAN)),
            (None, Some(t)) => {
                let mut times = vec![f64::NAN; self.steps.len()];
                times.push(t);
                self.times = Some(times);
            }
            (None, None) => {}
        }
        self.steps.push(step);
        self.values.push(value);
    }

    /// Sorts points by step; points with equal steps keep their logged order.
    pub fn sort_by_step(&mut self) {
        if self.steps.windows(2).all(|w| w[0] <= w[1]) {
            return;
        }
        let mut order: Vec<usize> = (0..self.steps.len()).collect();
        order.sort_by_key(|&i| self.steps[i]);
        self.steps = order.iter().map(|&i| self.steps[i]).collect();
        self.values = order.iter().map(|&i| self.values[i]).collect();
        if let Some(times) = &self.times {
            self.times = Some(order.iter().map(|&i| times[i]).collect());
        }
    }

    /// The summary of the series (see [`MetricSummary`]), `None` when it is empty.
    pub fn summary(&self) -> Option<MetricSummary> {
        MetricSummary::of(&self.steps, &self.values)
    }
}

/// Per-metric summary of one run, as shown in the runs table and `inspect`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MetricSummary {
    /// Number of points (NaN included).
    pub count: u64,
    /// Smallest step.
    pub first_step: i64,
    /// Largest step.
    pub last_step: i64,
    /// Value of the last point in step order (may be NaN).
    pub last: f64,
    /// Smallest non-NaN value (NaN when every value is NaN).
    pub min: f64,
    /// Largest non-NaN value (NaN when every value is NaN).
    pub max: f64,
    /// Mean of the finite values (NaN when there is none).
    pub mean: f64,
}

impl MetricSummary {
    /// Summarizes parallel step/value columns already sorted by step.
    pub fn of(steps: &[i64], values: &[f64]) -> Option<MetricSummary> {
        let (&first_step, &last_step) = (steps.first()?, steps.last()?);
        let mut min = f64::NAN;
        let mut max = f64::NAN;
        let mut sum = 0.0;
        let mut finite = 0u64;
        for &v in values {
            if v.is_nan() {
                continue;
            }
            // f64::min/max ignore NaN operands, so the first real value replaces the NaN seed.
            min = min.min(v);
            max = max.max(v);
            if v.is_finite() {
                sum += v;
                finite += 1;
            }
        }
        Some(MetricSummary {
            count: steps.len() as u64,
            first_step,
            last_step,
            last: *values.last()?,
            min,
            max,
            mean: if finite == 0 {
                f64::NAN
            } else {
                sum / finite as f64
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infer_types_params_like_a_reader_would() {
        assert_eq!(ParamValue::infer("TRUE"), ParamValue::Bool(true));
        assert_eq!(ParamValue::infer("42"), ParamValue::Int(42));
        assert_eq!(ParamValue::infer("1e-3"), ParamValue::Float(1e-3));
        assert_eq!(
            ParamValue::infer("-inf"),
            ParamValue::Float(f64::NEG_INFINITY)
        );
        assert!(matches!(ParamValue::infer("NaN"), ParamValue::Float(x) if x.is_nan()));
        assert_eq!(ParamValue::infer("adam"), ParamValue::Text("adam".into()));
        assert_eq!(
            ParamValue::infer("[256, 128]"),
            ParamValue::Text("[256, 128]".into())
        );
        assert_eq!(
            ParamValue::infer("infinite"),
            ParamValue::Text("infinite".into())
        );
    }

    #[test]
    fn set_param_text_keeps_the_logged_text_only_when_it_differs() {
        let mut run = Run::default();
        run.set_param_text("lr", "1e-3");
        run.set_param_text("epochs", "10");
        run.set_param_text("flag", "True");
        assert_eq!(run.params["lr"], ParamValue::Float(1e-3));
        assert_eq!(run.param_display("lr").as_deref(), Some("1e-3"));
        assert_eq!(run.param_display("epochs").as_deref(), Some("10"));
        assert_eq!(run.param_display("flag").as_deref(), Some("True"));
        assert_eq!(run.param_text.len(), 2, "{:?}", run.param_text);
        run.set_param_text("lr", "0.5");
        assert!(!run.param_text.contains_key("lr"));
    }

    #[test]
    fn parse_float_rejects_what_is_not_a_number() {
        for bad in ["", "e5", "1e", "0x10", "one", "--1", "in f"] {
            assert_eq!(parse_float(bad), None, "{bad:?}");
        }
        assert_eq!(parse_float("+Infinity"), Some(f64::INFINITY));
        assert_eq!(parse_float(" .5 "), Some(0.5));
    }

    #[test]
    fn summary_ignores_nan_for_min_max_and_keeps_it_for_last() {
        let s =
            MetricSummary::of(&[0, 1, 2, 3], &[1.0, f64::NAN, f64::INFINITY, f64::NAN]).unwrap();
        assert_eq!(s.count, 4);
        assert_eq!((s.first_step, s.last_step), (0, 3));
        assert!(s.last.is_nan());
        assert_eq!(s.min, 1.0);
        assert_eq!(s.max, f64::INFINITY);
        assert_eq!(s.mean, 1.0);
    }

    #[test]
    fn sort_by_step_is_stable_and_moves_times_along() {
        let mut s = MetricSeries::default();
        s.push(2, 20.0, None);
        s.push(1, 10.0, Some(5.0));
        s.push(2, 21.0, None);
        s.sort_by_step();
        assert_eq!(s.steps, vec![1, 2, 2]);
        assert_eq!(s.values, vec![10.0, 20.0, 21.0]);
        let times = s.times.unwrap();
        assert_eq!(times[0], 5.0);
        assert!(times[1].is_nan() && times[2].is_nan());
    }
}
