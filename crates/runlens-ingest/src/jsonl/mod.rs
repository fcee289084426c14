//! The JSONL event stream (`*.jsonl`, `*.ndjson`): one JSON object per line, each a `run`,
//! `params`, `tags` or `metrics` record of one run. See `docs/input-formats.md`.

pub(crate) mod lenient;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use runlens_core::{Run, RunStatus};
use serde_json::{Map, Value};

use crate::error::ReadError;
use crate::reader::{Entry, ReadOutput, Reader};
use crate::spill::SpilledRun;
use crate::time::parse_time;

use lenient::{
    flatten_params, json_text, kind_of, metric_value, rewrite_non_finite, tag_text, text_field,
};

/// The record types, the value of each line's `type` field.
const TYPES: [&str; 4] = ["run", "params", "tags", "metrics"];

/// Reads JSONL event streams.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonlReader;

impl Reader for JsonlReader {
    fn name(&self) -> &'static str {
        "jsonl"
    }

    /// `*.jsonl` and `*.ndjson` files, and files of any other extension but `.json`,
    /// `.csv` and `.tsv` whose first line is a JSON object with one of our `type`s.
    fn claims(&self, entry: &Entry<'_>) -> bool {
        if !entry.is_file() {
            return false;
        }
        match entry.extension().as_str() {
            "jsonl" | "ndjson" => true,
            "json" | "csv" | "tsv" => false,
            _ => entry.first_line().is_some_and(looks_like_ours),
        }
    }

    fn read(&self, path: &Path, out: &mut ReadOutput) -> Result<(), ReadError> {
        let file = File::open(path).map_err(|e| ReadError::io(path, e))?;
        read_lines(BufReader::new(file), path, out)
    }
}

/// Reads a JSONL stream from `lines` into `out`; an I/O error is reported for `path`.
pub(crate) fn read_lines(
    mut lines: impl BufRead,
    path: &Path,
    out: &mut ReadOutput,
) -> Result<(), ReadError> {
    let mut state = FileState::default();
    let mut buf = Vec::new();
    let mut number = 0u64;
    let mut records = 0u64;
    let result = loop {
        buf.clear();
        match lines.read_until(b'\n', &mut buf) {
            Ok(0) => break Ok(()),
            Ok(_) => {}
            Err(e) => break Err(ReadError::io(path, e)),
        }
        number += 1;
        let complete = buf.last() == Some(&b'\n');
        let Ok(text) = std::str::from_utf8(&buf) else {
            records += 1;
            out.warn_line(number, "not valid UTF-8; line skipped");
            continue;
        };
        let text = text.trim_start_matches('\u{feff}').trim();
        if text.is_empty() {
            continue;
        }
        records += 1;
        if let Err(message) = state.line(text, complete, number, out) {
            out.warn_line(number, format!("{message}; line skipped"));
        }
    };
    if records == 0 && result.is_ok() {
        out.warn_file("no records: the file is empty or holds only blank lines");
    }
    for run in state.runs.into_values() {
        out.add_run_spilled(run.run, run.spilled);
    }
    result
}

/// Whether a first line is a record of ours: a JSON object whose `type` is one of [`TYPES`].
fn looks_like_ours(line: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(line) else {
        return false;
    };
    parse_line(text.trim_start_matches('\u{feff}'))
        .ok()
        .and_then(|v| v.get("type").and_then(Value::as_str).map(str::to_owned))
        .is_some_and(|t| TYPES.contains(&t.as_str()))
}

/// Parses one line, accepting bare `NaN`/`Infinity` tokens. The error is serde's, for the
/// line as written.
fn parse_line(text: &str) -> Result<Value, serde_json::Error> {
    serde_json::from_str(text).or_else(|error| match rewrite_non_finite(text) {
        Some(rewritten) => serde_json::from_str(&rewritten).map_err(|_| error),
        None => Err(error),
    })
}

/// Describes a JSON syntax error for a warning, by column (the line is ours to number).
fn describe_json_error(error: &serde_json::Error, complete: bool) -> String {
    let text = error.to_string();
    let what = text.split(" at line ").next().unwrap_or(&text);
    if error.is_eof() && !complete {
        format!(
            "truncated record: the file ends before the JSON object is complete ({what} at column {})",
            error.column()
        )
    } else {
        format!("malformed JSON: {what} at column {}", error.column())
    }
}

/// One run as the file describes it so far.
#[derive(Debug, Default)]
struct RunState {
    run: Run,
    /// The step of the latest point of each key, for metrics lines without a step.
    last_step: HashMap<String, i64>,
    /// Where its earlier points went, in a streamed build.
    spilled: SpilledRun,
}

/// Everything read from the file so far, runs by id.
#[derive(Debug, Default)]
struct FileState {
    runs: BTreeMap<String, RunState>,
    /// Points read since the runs' series were last spilled.
    held_points: usize,
}

impl FileState {
    /// Handles one non-blank line. Problems with a part of the record are warned about
    /// here; an `Err` says why the whole line is skipped.
    fn line(
        &mut self,
        text: &str,
        complete: bool,
        number: u64,
        out: &mut ReadOutput,
    ) -> Result<(), String> {
        let value = parse_line(text).map_err(|e| {
            if text.starts_with('{') {
                describe_json_error(&e, complete)
            } else {
                "not a JSON object (the line does not start with `{`)".to_string()
            }
        })?;
        let Value::Object(record) = value else {
            return Err(format!("expected a JSON object, found {}", kind_of(&value)));
        };
        let kind = match record.get("type") {
            Some(Value::String(kind)) => kind.as_str(),
            Some(other) => return Err(format!("`type` is {}, not a string", kind_of(other))),
            None => return Err("no `type` field".to_string()),
        };
        let known: &[&str] = match kind {
            "run" => &[
                "name",
                "experiment",
                "group",
                "status",
                "start_time",
                "end_time",
            ],
            "params" => &["params"],
            "tags" => &["tags"],
            "metrics" => &["step", "time", "values"],
            other => {
                return Err(format!(
                    "unknown record type `{}` (expected run, params, tags or metrics)",
                    truncate(other)
                ));
            }
        };
        let id = match record.get("run") {
            Some(value) => match text_field(value) {
                Some(id) if !id.is_empty() => id,
                Some(_) => return Err("`run` is empty".to_string()),
                None => return Err(format!("`run` is {}, not a string", kind_of(value))),
            },
            None => return Err("no `run` field".to_string()),
        };
        // Check the record before touching the run: a skipped line must change nothing.
        let payload = match kind {
            "params" | "tags" => Payload::Map(object_field(&record, kind)?),
            "metrics" => Payload::Points {
                values: object_field(&record, "values")?,
                step: match record.get("step") {
                    None | Some(Value::Null) => None,
                    Some(value) => Some(step_value(value)?),
                },
            },
            _ => Payload::Run,
        };
        for field in record.keys() {
            if field != "type" && field != "run" && !known.contains(&field.as_str()) {
                out.warn_line(
                    number,
                    format!(
                        "unknown field `{}` in a {kind} record ignored",
                        truncate(field)
                    ),
                );
            }
        }
        let state = self.runs.entry(id.clone()).or_insert_with(|| RunState {
            run: Run {
                name: id.clone(),
                id,
                ..Run::default()
            },
            last_step: HashMap::new(),
            spilled: SpilledRun::new(),
        });
        match payload {
            Payload::Map(params) if kind == "params" => {
                for (key, value) in params {
                    flatten_params(key, value, &mut state.run.params);
                }
            }
            Payload::Map(tags) => {
                for (key, value) in tags {
                    state.run.tags.insert(key.clone(), tag_text(value));
                }
            }
            Payload::Points { values, step } => {
                let time = metrics_time(&record, number, out);
                self.held_points += points(values, step, time, state, number, out);
                // A file may hold many runs: in a streamed build their points leave memory
                // every `spill_points`.
                if self.held_points >= out.options().spill_points && out.spills() {
                    for state in self.runs.values_mut() {
                        out.spill_series(&mut state.run.metrics, &mut state.spilled);
                    }
                    self.held_points = 0;
                }
            }
            Payload::Run => run_fields(&record, &mut state.run, number, out),
        }
        Ok(())
    }
}

/// The object in `record[field]`, or why the line cannot be used.
fn object_field<'a>(
    record: &'a Map<String, Value>,
    field: &str,
) -> Result<&'a Map<String, Value>, String> {
    match record.get(field) {
        Some(Value::Object(map)) => Ok(map),
        Some(other) => Err(format!("`{field}` is {}, not an object", kind_of(other))),
        None => Err(format!("no `{field}` field")),
    }
}

/// Applies a `run` record's fields; a bad field is warned about and ignored.
fn run_fields(record: &Map<String, Value>, run: &mut Run, number: u64, out: &mut ReadOutput) {
    for (field, value) in record {
        if value.is_null() {
            continue;
        }
        let problem = match field.as_str() {
            "name" | "experiment" | "group" => match text_field(value) {
                Some(text) => {
                    match field.as_str() {
                        "name" => run.name = text,
                        "experiment" => run.experiment = Some(text),
                        _ => run.group = Some(text),
                    }
                    None
                }
                None => Some(format!("is {}, not a string", kind_of(value))),
            },
            "status" => match value.as_str().map(RunStatus::parse_lenient) {
                Some(Some(status)) => {
                    run.status = status;
                    None
                }
                Some(None) => Some(format!(
                    "{} is not a known status (finished, failed, running, killed)",
                    json_text(value)
                )),
                None => Some(format!("is {}, not a string", kind_of(value))),
            },
            "start_time" | "end_time" => match time_value(value) {
                Ok(time) => {
                    if field == "start_time" {
                        run.start_time = Some(time);
                    } else {
                        run.end_time = Some(time);
                    }
                    None
                }
                Err(message) => Some(message),
            },
            _ => None,
        };
        if let Some(problem) = problem {
            out.warn_line(number, format!("`{field}` {problem}; field ignored"));
        }
    }
}

/// The part of a record that changes the run, checked before it is applied.
enum Payload<'a> {
    /// A `run` record: its fields are the record's own.
    Run,
    /// The `params` or `tags` object.
    Map(&'a Map<String, Value>),
    /// A `metrics` record's values and step.
    Points {
        values: &'a Map<String, Value>,
        step: Option<i64>,
    },
}

/// A `metrics` record's `time`; a bad one is warned about and the points have none.
fn metrics_time(record: &Map<String, Value>, number: u64, out: &mut ReadOutput) -> Option<f64> {
    match record.get("time") {
        None | Some(Value::Null) => None,
        Some(value) => match time_value(value) {
            Ok(time) => Some(time),
            Err(message) => {
                out.warn_line(number, format!("`time` {message}; the points have no time"));
                None
            }
        },
    }
}

/// Adds a `metrics` record's points; a value that is not a number is warned about and
/// skipped. Without a step, each key continues from its own latest step. Returns the
/// number of points added.
fn points(
    values: &Map<String, Value>,
    step: Option<i64>,
    time: Option<f64>,
    state: &mut RunState,
    number: u64,
    out: &mut ReadOutput,
) -> usize {
    let mut added = 0;
    for (key, value) in values {
        let value = match metric_value(value) {
            Ok(value) => value,
            Err(message) => {
                out.warn_line(
                    number,
                    format!("metric `{}`: {message}; value skipped", truncate(key)),
                );
                continue;
            }
        };
        let step = step.unwrap_or_else(|| {
            state
                .last_step
                .get(key)
                .map_or(0, |last| last.saturating_add(1))
        });
        state.last_step.insert(key.clone(), step);
        state
            .run
            .metrics
            .entry(key.clone())
            .or_default()
            .push(step, value, time);
        added += 1;
    }
    added
}

/// A step: an integer, a float with no fraction, or a string holding one.
fn step_value(value: &Value) -> Result<i64, String> {
    let as_float = match value {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                return Ok(i);
            }
            n.as_f64()
        }
        Value::String(s) => {
            if let Ok(i) = s.trim().parse::<i64>() {
                return Ok(i);
            }
            runlens_core::model::parse_float(s)
        }
        _ => None,
    };
    match as_float {
        // The range check keeps the cast exact.
        Some(x) if x.fract() == 0.0 && x.abs() < 9.0e18 => Ok(x as i64),
        _ => Err(format!("`step` is {}, not a whole number", describe(value))),
    }
}

/// A time field: epoch seconds (number or numeric string) or an ISO 8601 string.
fn time_value(value: &Value) -> Result<f64, String> {
    match value {
        Value::Number(n) => match n.as_f64() {
            Some(x) if x.is_finite() => Ok(x),
            _ => Err(format!("{n} is not a valid time")),
        },
        Value::String(s) => parse_time(s),
        other => Err(format!("is {}, not a time", kind_of(other))),
    }
}

/// A value for a warning: its JSON text when short, its type otherwise.
fn describe(value: &Value) -> String {
    let text = json_text(value);
    if text.len() <= 40 {
        text
    } else {
        kind_of(value).to_string()
    }
}

/// Cuts a name from the log to a length that keeps warnings readable.
fn truncate(text: &str) -> String {
    const MAX: usize = 60;
    match text.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}
