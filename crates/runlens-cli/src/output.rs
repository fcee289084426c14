//! Shared output helpers: terminal-safe text, human sizes and the `inspect --json` document.

use std::collections::BTreeMap;

use runlens_core::model::{Archive, MetricSummary, ParamValue, Run, Warning};
use serde::Serialize;
use serde_json::{Value, json};

/// Makes untrusted text (run names, paths from logs) safe to print on a terminal:
/// control characters, which could move the cursor or change colours, are escaped.
pub fn terminal_safe(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// `12.3 KB`-style size.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KB", "MB", "GB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// The summary of each metric of a run, by key (`None` for a key without points).
pub type MetricSummaries = BTreeMap<String, Option<MetricSummary>>;

/// The `inspect --json` document (schema: `docs/inspect-json.md`); `metrics[i]` summarizes
/// the series of run `i`.
pub fn inspect_json(archive: &Archive, metrics: &[MetricSummaries]) -> Value {
    json!({
        "runs": archive.runs.iter().zip(metrics).map(|(run, m)| run_json(run, m)).collect::<Vec<_>>(),
        "warnings": archive.warnings.iter().map(warning_json).collect::<Vec<_>>(),
    })
}

/// One run as `inspect --json` writes it (also a line of `export --table runs --format
/// jsonl`), with the summaries of its series.
pub fn run_json(run: &Run, metrics: &MetricSummaries) -> Value {
    json!({
        "id": run.id,
        "name": run.name,
        "source": run.source,
        "experiment": run.experiment,
        "group": run.group,
        "status": run.status.as_str(),
        "start_time": run.start_time.map(float_json),
        "end_time": run.end_time.map(float_json),
        "params": run.params.iter().map(|(k, v)| (k.clone(), param_json(v))).collect::<BTreeMap<_, _>>(),
        "tags": run.tags,
        "metrics": metrics.iter().map(|(k, s)| (k.clone(), metric_json(*s))).collect::<BTreeMap<_, _>>(),
    })
}

fn param_json(value: &ParamValue) -> Value {
    match value {
        ParamValue::Bool(b) => json!(b),
        ParamValue::Int(i) => json!(i),
        ParamValue::Float(f) => float_json(*f),
        ParamValue::Text(s) => json!(s),
    }
}

fn metric_json(summary: Option<MetricSummary>) -> Value {
    match summary {
        Some(s) => json!({
            "count": s.count,
            "first_step": s.first_step,
            "last_step": s.last_step,
            "last": float_json(s.last),
            "min": float_json(s.min),
            "max": float_json(s.max),
        }),
        None => json!({ "count": 0 }),
    }
}

fn warning_json(warning: &Warning) -> Value {
    #[derive(Serialize)]
    struct W<'a> {
        path: &'a str,
        line: Option<u64>,
        message: &'a str,
    }
    serde_json::to_value(W {
        path: &warning.path,
        line: warning.line,
        message: &warning.message,
    })
    .expect("plain struct serializes")
}

/// A float as JSON: a number when finite, else `"NaN"`, `"Infinity"` or `"-Infinity"`.
pub fn float_json(x: f64) -> Value {
    if x.is_finite() {
        json!(x)
    } else {
        json!(runlens_core::model::format_float(x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_safe_escapes_control_characters() {
        assert_eq!(terminal_safe("a\x1b[31mred\nb"), "a\\u{1b}[31mred\\nb");
        assert_eq!(terminal_safe("ünïcode ok"), "ünïcode ok");
    }

    #[test]
    fn human_bytes_uses_decimal_units() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1_500), "1.5 KB");
        assert_eq!(human_bytes(5_600_000), "5.6 MB");
    }

    #[test]
    fn non_finite_floats_become_strings() {
        assert_eq!(float_json(f64::NAN), json!("NaN"));
        assert_eq!(float_json(f64::NEG_INFINITY), json!("-Infinity"));
        assert_eq!(float_json(0.5), json!(0.5));
    }
}
