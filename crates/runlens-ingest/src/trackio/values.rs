//! The JSON trackio stores: a run's config (params, with the reserved `_Group`, `_Created`
//! and `_Username` keys), one `log()` call's metrics (numbers, with NaN and infinities as
//! the strings `"NaN"`, `"Infinity"`, `"-Infinity"`; media as `{"_type": ...}` objects),
//! and the alerts shown in a run's notes.

use runlens_core::{ParamValue, Run};
use serde_json::{Map, Value};

use crate::time::parse_time;

/// The tag that keeps the `_Username` a run was logged by.
pub const USER_TAG: &str = "trackio.username";

/// The config keys trackio reserves: the group, the creation time, the user.
const GROUP: &str = "_Group";
const CREATED: &str = "_Created";
const USERNAME: &str = "_Username";

/// Applies a config object to `run`: `_Group` becomes [`Run::group`], `_Created` the start
/// time, `_Username` a tag; other `_`-prefixed keys are trackio's own and left out. Every
/// other key is a param: nested objects flattened with dots, numbers typed from their JSON
/// text (kept in [`Run::param_text`] when it prints differently), strings verbatim, lists as
/// JSON text, `null` left out.
pub fn apply_config(run: &mut Run, config: Map<String, Value>) {
    for (key, value) in config {
        match key.as_str() {
            GROUP => run.group = value.as_str().map(str::to_string),
            CREATED => {
                if let Some(time) = value.as_str().and_then(|t| parse_time(t).ok()) {
                    run.start_time = Some(time);
                }
            }
            USERNAME => {
                if let Some(user) = value.as_str().filter(|u| !u.is_empty()) {
                    run.tags.insert(USER_TAG.to_string(), user.to_string());
                }
            }
            _ if key.starts_with('_') => {}
            _ => add_param(run, key, value),
        }
    }
}

fn add_param(run: &mut Run, key: String, value: Value) {
    match value {
        Value::Null => {}
        Value::Bool(b) => {
            run.params.insert(key, ParamValue::Bool(b));
        }
        Value::Number(n) => run.set_param_text(key, &n.to_string()),
        Value::String(s) => {
            run.param_text.remove(&key);
            run.params.insert(key, ParamValue::Text(s));
        }
        Value::Object(map) => {
            for (inner, value) in map {
                add_param(run, format!("{key}.{inner}"), value);
            }
        }
        list @ Value::Array(_) => {
            run.param_text.remove(&key);
            run.params.insert(key, ParamValue::Text(list.to_string()));
        }
    }
}

/// One metric of a `log()` row, read from a parsed JSON value: the reference the
/// streaming row decoder (`super::row`) is tested against.
#[cfg(test)]
#[derive(Debug, PartialEq)]
pub enum Logged<'a> {
    /// A scalar.
    Number(f64),
    /// A media file (`trackio.image`, `trackio.video`, `trackio.audio`, ...): its path
    /// relative to the `media/` folder.
    Media(&'a str),
    /// Anything else (a histogram, a table, text): not a curve.
    Other,
}

/// What one metric value of a row is.
#[cfg(test)]
pub fn logged(value: &Value) -> Logged<'_> {
    match value {
        Value::Number(n) => n.as_f64().map_or(Logged::Other, Logged::Number),
        Value::String(s) => match s.as_str() {
            "NaN" => Logged::Number(f64::NAN),
            "Infinity" => Logged::Number(f64::INFINITY),
            "-Infinity" => Logged::Number(f64::NEG_INFINITY),
            _ => Logged::Other,
        },
        Value::Object(map) => {
            let media = map
                .get("_type")
                .and_then(Value::as_str)
                .is_some_and(is_media_type);
            match map.get("file_path").and_then(Value::as_str) {
                Some(path) if media => Logged::Media(path),
                _ => Logged::Other,
            }
        }
        _ => Logged::Other,
    }
}

/// Whether an object's `_type` is a trackio media type (`trackio.image`, `trackio.video`,
/// `trackio.audio`, ...), whose `file_path` names a file; histograms and tables are not.
pub fn is_media_type(kind: &str) -> bool {
    kind.starts_with("trackio.") && !matches!(kind, "trackio.histogram" | "trackio.table")
}

/// One row of the `alerts` table.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// `info`, `warn` or `error` (as written).
    pub level: String,
    /// The alert's title.
    pub title: String,
    /// Its text, if any.
    pub text: Option<String>,
    /// The step it was raised at, if any.
    pub step: Option<i64>,
    /// When it was raised, as written (ISO 8601).
    pub timestamp: Option<String>,
}

impl Alert {
    /// Whether the alert is an error, which marks the run failed.
    pub fn is_error(&self) -> bool {
        self.level.trim().eq_ignore_ascii_case("error")
    }
}

/// The alerts of a run as a markdown section: one list item each, with level, title, text,
/// step and time.
pub fn alerts_markdown(alerts: &[Alert]) -> String {
    let mut text = String::from("**trackio alerts**\n\n");
    for alert in alerts {
        let level = alert.level.trim().to_ascii_uppercase();
        text.push_str(&format!("- **{}** {}", level, one_line(&alert.title)));
        if let Some(body) = alert.text.as_deref().filter(|t| !t.trim().is_empty()) {
            text.push_str(&format!(": {}", one_line(body)));
        }
        let mut when = Vec::new();
        if let Some(step) = alert.step {
            when.push(format!("step {step}"));
        }
        if let Some(time) = alert.timestamp.as_deref().filter(|t| !t.is_empty()) {
            when.push(time.to_string());
        }
        if !when.is_empty() {
            text.push_str(&format!(" ({})", when.join(", ")));
        }
        text.push('\n');
    }
    text
}

/// The text on one line, so that it stays inside its list item.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
