//! The two summary files of a Live folder: `params.yaml` (nested params flattened with
//! dots) and `metrics.json` (the latest value of every metric nested by `/`, the last
//! `step`, and whatever the script put in `live.summary`, such as a `status`).

use std::collections::BTreeMap;

use runlens_core::{ParamValue, RunStatus};
use serde_json::Value as Json;
use serde_norway::Value as Yaml;

use crate::jsonl::lenient::{metric_value, rewrite_non_finite};

/// A problem with a whole file, and the 1-based line it was found at when the parser says.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Line of the file, where known.
    pub line: Option<u64>,
    /// What is wrong and what was done.
    pub message: String,
}

/// The params in a `params.yaml`: nested maps flattened with dots, booleans and numbers
/// typed (YAML's `.nan`, `.inf` included), strings as text, lists as their JSON text, a
/// null as `null`.
pub fn params(bytes: &[u8]) -> Result<BTreeMap<String, ParamValue>, Problem> {
    let value: Yaml = serde_norway::from_slice(bytes).map_err(|e| Problem {
        line: e.location().map(|l| l.line() as u64),
        message: format!("not valid YAML ({e}); the params in it are not read"),
    })?;
    let mut out = BTreeMap::new();
    match value {
        Yaml::Mapping(_) => flatten("", &value, &mut out),
        // An empty file: no params.
        Yaml::Null => {}
        other => {
            return Err(Problem {
                line: None,
                message: format!(
                    "not a map of params but {}; the params in it are not read",
                    yaml_kind(&other)
                ),
            });
        }
    }
    Ok(out)
}

fn yaml_kind(value: &Yaml) -> &'static str {
    match value {
        Yaml::Null => "null",
        Yaml::Bool(_) => "a boolean",
        Yaml::Number(_) => "a number",
        Yaml::String(_) => "a string",
        Yaml::Sequence(_) => "a list",
        Yaml::Mapping(_) => "a map",
        Yaml::Tagged(_) => "a tagged value",
    }
}

/// A map key as text (YAML allows numbers and booleans as keys).
fn key_text(key: &Yaml) -> String {
    match key {
        Yaml::String(s) => s.clone(),
        Yaml::Number(n) => n.to_string(),
        Yaml::Bool(b) => b.to_string(),
        Yaml::Null => "null".to_string(),
        other => json_text(other),
    }
}

fn flatten(prefix: &str, value: &Yaml, out: &mut BTreeMap<String, ParamValue>) {
    let value = match value {
        Yaml::Tagged(tagged) => &tagged.value,
        other => other,
    };
    match value {
        Yaml::Mapping(map) if !map.is_empty() => {
            for (key, inner) in map {
                let key = key_text(key);
                let name = if prefix.is_empty() {
                    key
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&name, inner, out);
            }
        }
        Yaml::Bool(b) => {
            out.insert(prefix.to_string(), ParamValue::Bool(*b));
        }
        Yaml::Number(n) => {
            let param = match n.as_i64() {
                Some(i) => ParamValue::Int(i),
                None => ParamValue::Float(n.as_f64().unwrap_or(f64::NAN)),
            };
            out.insert(prefix.to_string(), param);
        }
        Yaml::String(s) => {
            out.insert(prefix.to_string(), ParamValue::Text(s.clone()));
        }
        other => {
            out.insert(prefix.to_string(), ParamValue::Text(json_text(other)));
        }
    }
}

/// A YAML value (a list, an empty map, null) as compact JSON text.
fn json_text(value: &Yaml) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "?".to_string())
}

/// What a `metrics.json` holds.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Summary {
    /// Every numeric value by its `/`-joined key (`train/loss`), in key order.
    pub values: BTreeMap<String, f64>,
    /// The top-level `step`: the last step logged.
    pub step: Option<i64>,
    /// The top-level `status` text, when the script wrote one.
    pub status: Option<String>,
}

impl Summary {
    /// The run status the `status` text names: `None` without one, `Err` with the text
    /// when it is not a status runlens knows.
    pub fn run_status(&self) -> Result<Option<RunStatus>, String> {
        match &self.status {
            None => Ok(None),
            Some(text) => RunStatus::parse_lenient(text)
                .map(Some)
                .ok_or_else(|| text.clone()),
        }
    }
}

/// Reads a `metrics.json`. NaN and infinities may be the strings `"nan"`, `"inf"` (what
/// `log_metric` writes) or bare `NaN`/`Infinity` tokens (what `json.dump` writes for a
/// summary value). Values that are not numbers (text, booleans, lists) are passed over.
pub fn summary(bytes: &[u8]) -> Result<Summary, Problem> {
    let text = String::from_utf8_lossy(bytes);
    let value: Json = match serde_json::from_str(&text) {
        Ok(value) => value,
        Err(error) => rewrite_non_finite(&text)
            .and_then(|rewritten| serde_json::from_str(&rewritten).ok())
            .ok_or_else(|| Problem {
                line: Some(error.line() as u64).filter(|&l| l > 0),
                message: format!("not valid JSON ({error}); the values in it are not read"),
            })?,
    };
    let Json::Object(map) = value else {
        return Err(Problem {
            line: None,
            message: "not a JSON object; the values in it are not read".to_string(),
        });
    };
    let mut summary = Summary::default();
    for (key, value) in &map {
        match (key.as_str(), value) {
            ("step", Json::Number(n)) if n.as_i64().is_some() => summary.step = n.as_i64(),
            ("status", Json::String(s)) => summary.status = Some(s.clone()),
            _ => collect(key, value, &mut summary.values),
        }
    }
    Ok(summary)
}

fn collect(key: &str, value: &Json, out: &mut BTreeMap<String, f64>) {
    match value {
        Json::Object(map) => {
            for (inner, value) in map {
                collect(&format!("{key}/{inner}"), value, out);
            }
        }
        Json::Number(_) | Json::String(_) => {
            if let Ok(number) = metric_value(value) {
                out.insert(key.to_string(), number);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_are_flattened_and_typed() {
        let yaml = b"lr: 0.01\nbatch: 32\nopt:\n  name: adam\n  betas:\n  - 0.9\n  - 0.999\n  eps: 1e-08\namp: true\nnone:\nnan: .nan\nempty: {}\n1: one\n";
        let params = params(yaml).unwrap();
        assert_eq!(params["lr"], ParamValue::Float(0.01));
        assert_eq!(params["batch"], ParamValue::Int(32));
        assert_eq!(params["opt.name"], ParamValue::Text("adam".into()));
        assert_eq!(params["opt.betas"], ParamValue::Text("[0.9,0.999]".into()));
        assert_eq!(params["opt.eps"], ParamValue::Float(1e-8));
        assert_eq!(params["amp"], ParamValue::Bool(true));
        assert_eq!(params["none"], ParamValue::Text("null".into()));
        assert!(matches!(params["nan"], ParamValue::Float(x) if x.is_nan()));
        assert_eq!(params["empty"], ParamValue::Text("{}".into()));
        assert_eq!(params["1"], ParamValue::Text("one".into()));
        assert!(super::params(b"").unwrap().is_empty());
    }

    #[test]
    fn bad_params_name_the_line() {
        let problem = params(b"lr: 0.1\nopt: [adam\nbatch: 3\n").unwrap_err();
        assert!(problem.line.is_some(), "{problem:?}");
        assert!(problem.message.starts_with("not valid YAML"), "{problem:?}");
        let problem = params(b"- 1\n- 2\n").unwrap_err();
        assert_eq!(
            problem.message,
            "not a map of params but a list; the params in it are not read"
        );
    }

    #[test]
    fn summary_values_step_and_status() {
        let json = br#"{"train": {"loss": "nan", "acc": 0.5}, "step": 5, "status": "failed",
            "best/acc": Infinity, "up": "inf", "note": "text", "flag": true, "neg": -Infinity}"#;
        let summary = summary(json).unwrap();
        assert_eq!(summary.step, Some(5));
        assert_eq!(summary.status.as_deref(), Some("failed"));
        assert_eq!(summary.run_status(), Ok(Some(RunStatus::Failed)));
        let keys: Vec<&str> = summary.values.keys().map(String::as_str).collect();
        assert_eq!(keys, ["best/acc", "neg", "train/acc", "train/loss", "up"]);
        assert!(summary.values["train/loss"].is_nan());
        assert_eq!(summary.values["best/acc"], f64::INFINITY);
        assert_eq!(summary.values["neg"], f64::NEG_INFINITY);
    }

    #[test]
    fn a_broken_summary_names_the_line_and_an_odd_status_is_kept_as_text() {
        let problem = summary(b"{\n  \"loss\": 0.5,\n  \"acc\": \n").unwrap_err();
        assert_eq!(problem.line, Some(4));
        let odd = summary(br#"{"status": "exploded"}"#).unwrap();
        assert_eq!(odd.run_status(), Err("exploded".to_string()));
        assert!(summary(b"[1]").is_err());
    }
}
