//! MLflow's file store (`mlruns/`): one folder per experiment with a `meta.yaml`, one per
//! run inside it with `meta.yaml`, `params/`, `tags/`, `metrics/` and `inputs/`; deleted
//! experiments live in `.trash/`.

use std::fs;
use std::path::{Path, PathBuf};

use runlens_core::{Run, RunStatus};
use serde_norway::Value;

use super::convert::{self, DatasetInput, Point};
use super::{artifacts, registry};
use crate::error::ReadError;
use crate::reader::ReadOutput;

/// Folders of an experiment that are not runs.
const NOT_RUNS: [&str; 5] = ["tags", "datasets", "models", "traces", "artifacts"];

/// Whether `dir` is a file store: it holds an experiment folder (`<digits>/meta.yaml`).
pub fn is_file_store(dir: &Path) -> bool {
    let Ok(entries) = fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|entry| {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_digit())
            && entry.path().join("meta.yaml").is_file()
    })
}

/// Sorted subdirectories of `dir` (unreadable ones are warnings).
fn subdirs(dir: &Path, out: &mut ReadOutput) -> Vec<PathBuf> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            out.warn_at(dir, None, format!("cannot be read: {e}; skipped"));
            return Vec::new();
        }
    };
    let mut dirs: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Reads the file store rooted at `root` into `out`.
pub fn read(root: &Path, out: &mut ReadOutput) -> Result<(), ReadError> {
    fs::read_dir(root).map_err(|e| ReadError::io(root, e))?;
    let mut experiments: Vec<(PathBuf, bool)> = Vec::new();
    for dir in subdirs(root, out) {
        let name = file_name(&dir);
        if name == ".trash" {
            experiments.extend(subdirs(&dir, out).into_iter().map(|d| (d, true)));
        } else if !name.starts_with('.') {
            experiments.push((dir, false));
        }
    }
    let mut locator = artifacts::Locator::new(root.parent().unwrap_or(root));
    for (dir, trashed) in experiments {
        read_experiment(&dir, trashed, &mut locator, out);
    }
    locator.report(out);
    for model in registry::from_file_store(root, out) {
        out.add_model(model);
    }
    Ok(())
}

/// A parsed `meta.yaml`, or a warning naming it.
fn load_meta(path: &Path, out: &mut ReadOutput) -> Option<Value> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            out.warn_at(path, None, format!("cannot be read: {e}"));
            return None;
        }
    };
    match serde_norway::from_str::<Value>(&text) {
        Ok(value @ Value::Mapping(_)) => Some(value),
        Ok(_) => {
            out.warn_at(path, None, "not a YAML mapping");
            None
        }
        Err(e) => {
            out.warn_at(path, None, format!("not valid YAML: {e}"));
            None
        }
    }
}

fn str_field<'a>(meta: &'a Value, key: &str) -> Option<&'a str> {
    meta.get(key).and_then(Value::as_str)
}

fn int_field(meta: &Value, key: &str) -> Option<i64> {
    let value = meta.get(key)?;
    value
        .as_i64()
        .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
}

fn read_experiment(
    dir: &Path,
    trashed: bool,
    locator: &mut artifacts::Locator,
    out: &mut ReadOutput,
) {
    let meta_path = dir.join("meta.yaml");
    let meta = if meta_path.is_file() {
        load_meta(&meta_path, out)
    } else {
        // Not an experiment folder (a stray directory) unless it looks like one.
        if !file_name(dir).bytes().all(|b| b.is_ascii_digit()) {
            return;
        }
        out.warn_at(
            &meta_path,
            None,
            "missing: the experiment's name is unknown; its runs are read under its id",
        );
        None
    };
    let id = file_name(dir);
    let name = meta
        .as_ref()
        .and_then(|m| str_field(m, "name"))
        .map_or(id, str::to_string);
    let deleted =
        trashed || meta.as_ref().and_then(|m| str_field(m, "lifecycle_stage")) == Some("deleted");
    let options = out.options().clone();
    if (deleted && !options.include_deleted) || !options.wants_experiment(Some(&name)) {
        return;
    }
    for run_dir in subdirs(dir, out) {
        if NOT_RUNS.contains(&file_name(&run_dir).as_str()) {
            continue;
        }
        read_run(&run_dir, &name, dir, locator, out);
    }
}

fn read_run(
    dir: &Path,
    experiment: &str,
    experiment_dir: &Path,
    locator: &mut artifacts::Locator,
    out: &mut ReadOutput,
) {
    let meta_path = dir.join("meta.yaml");
    if !meta_path.is_file() {
        out.warn_at(
            &meta_path,
            None,
            "missing: not an MLflow run folder; skipped",
        );
        return;
    }
    let Some(meta) = load_meta(&meta_path, out) else {
        out.warn_at(&meta_path, None, "the run in this folder is skipped");
        return;
    };
    if str_field(&meta, "lifecycle_stage") == Some("deleted") && !out.options().include_deleted {
        return;
    }
    let status = match int_field(&meta, "status") {
        Some(code) => convert::status_from_code(code).unwrap_or_else(|| {
            out.warn_at(
                &meta_path,
                None,
                format!("unknown run status {code}; shown as unknown"),
            );
            RunStatus::Unknown
        }),
        None => RunStatus::Unknown,
    };
    let mut run = Run {
        id: str_field(&meta, "run_id")
            .or_else(|| str_field(&meta, "run_uuid"))
            .map_or_else(|| file_name(dir), str::to_string),
        name: str_field(&meta, "run_name").unwrap_or_default().to_string(),
        experiment: Some(experiment.to_string()),
        status,
        start_time: int_field(&meta, "start_time").map(convert::ms_to_secs),
        end_time: int_field(&meta, "end_time").map(convert::ms_to_secs),
        ..Run::default()
    };
    for (key, path) in key_files(&dir.join("params"), out) {
        if let Some(value) = read_text(&path, out) {
            convert::add_param(&mut run, key, &value);
        }
    }
    for (key, path) in key_files(&dir.join("tags"), out) {
        if let Some(value) = read_text(&path, out) {
            run.tags.insert(key, value);
        }
    }
    for (key, path) in key_files(&dir.join("metrics"), out) {
        let points = read_metric_file(&path, out);
        if !points.is_empty() {
            run.metrics.insert(key, convert::series_from_points(points));
        }
    }
    read_inputs(dir, experiment_dir, &mut run, out);
    // The run's own artifacts/ folder is where the file store puts them; the meta's
    // artifact_uri (an absolute path of the machine that wrote it) is the fallback.
    let own = dir.join("artifacts");
    let own = own.to_string_lossy();
    let uri =
        str_field(&meta, "artifact_uri").filter(|u| !u.is_empty() && !Path::new(&*own).is_dir());
    run.artifacts = locator.run_artifacts(uri.unwrap_or(&own), out);
    convert::finish_run(&mut run);
    out.add_run(run);
}

/// The files under `dir`, recursively, keyed by their path relative to `dir` with `/`
/// (MLflow stores the key `train/loss` as `metrics/train/loss`). A missing `dir` is empty.
fn key_files(dir: &Path, out: &mut ReadOutput) -> Vec<(String, PathBuf)> {
    let mut files = Vec::new();
    if !dir.is_dir() {
        return files;
    }
    for entry in walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
    {
        match entry {
            Ok(entry) if entry.file_type().is_file() => {
                let Ok(rel) = entry.path().strip_prefix(dir) else {
                    continue;
                };
                let key: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                files.push((key.join("/"), entry.path().to_path_buf()));
            }
            Ok(_) => {}
            Err(e) => {
                let path = e.path().unwrap_or(dir).to_path_buf();
                out.warn_at(&path, None, format!("cannot be read: {e}; skipped"));
            }
        }
    }
    files
}

fn read_text(path: &Path, out: &mut ReadOutput) -> Option<String> {
    match fs::read(path) {
        Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
        Err(e) => {
            out.warn_at(path, None, format!("cannot be read: {e}; skipped"));
            None
        }
    }
}

/// The points of one metric file: lines of `timestamp value [step [dataset_name
/// dataset_digest]]`. A bad line is a warning; the others are kept.
fn read_metric_file(path: &Path, out: &mut ReadOutput) -> Vec<Point> {
    let Some(text) = read_text(path, out) else {
        return Vec::new();
    };
    let mut points = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        match parse_metric_line(line) {
            Ok(point) => points.push(point),
            Err(why) => out.warn_at(path, Some(line_no), format!("{why}; line skipped")),
        }
    }
    points
}

/// Parses one metric line.
pub fn parse_metric_line(line: &str) -> Result<Point, String> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    if !matches!(fields.len(), 2 | 3 | 5) {
        return Err(format!(
            "expected 2, 3 or 5 fields (timestamp value [step [dataset digest]]), found {}",
            fields.len()
        ));
    }
    let timestamp_ms = fields[0].parse::<i64>().map_err(|_| {
        format!(
            "timestamp {:?} is not a whole number of milliseconds",
            fields[0]
        )
    })?;
    let value = runlens_core::model::parse_float(fields[1])
        .ok_or_else(|| format!("value {:?} is not a number", fields[1]))?;
    let step = match fields.get(2) {
        Some(text) => text
            .parse::<i64>()
            .map_err(|_| format!("step {text:?} is not a whole number"))?,
        None => 0,
    };
    Ok(Point {
        step,
        timestamp_ms: Some(timestamp_ms),
        value,
    })
}

/// Dataset inputs: `inputs/<id>/meta.yaml` names a dataset of the experiment
/// (`<experiment>/datasets/<source_id>/meta.yaml`). Its `destination_id` is not used: MLflow
/// 3.17.2 writes the dataset id there; the run is the folder the input is in.
fn read_inputs(run_dir: &Path, experiment_dir: &Path, run: &mut Run, out: &mut ReadOutput) {
    let inputs = run_dir.join("inputs");
    if !inputs.is_dir() {
        return;
    }
    for input_dir in subdirs(&inputs, out) {
        let Some(meta) = load_meta(&input_dir.join("meta.yaml"), out) else {
            continue;
        };
        if str_field(&meta, "source_type").is_some_and(|t| t != "DATASET") {
            continue;
        }
        let Some(source_id) = str_field(&meta, "source_id") else {
            out.warn_at(
                &input_dir.join("meta.yaml"),
                None,
                "no source_id; input skipped",
            );
            continue;
        };
        let dataset_path = experiment_dir
            .join("datasets")
            .join(source_id)
            .join("meta.yaml");
        let Some(dataset) = load_meta(&dataset_path, out) else {
            continue;
        };
        let context = meta
            .get("tags")
            .and_then(|t| t.get("mlflow.data.context"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let input = DatasetInput {
            name: str_field(&dataset, "name").unwrap_or(source_id).to_string(),
            digest: str_field(&dataset, "digest")
                .unwrap_or_default()
                .to_string(),
            source: str_field(&dataset, "source")
                .unwrap_or_default()
                .to_string(),
            context,
        };
        input.add_to(run);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_lines_have_two_three_or_five_fields() {
        let p = parse_metric_line("1700000000000 0.5").unwrap();
        assert_eq!((p.step, p.value), (0, 0.5));
        let p = parse_metric_line("1700000000000 inf 7").unwrap();
        assert_eq!((p.step, p.value), (7, f64::INFINITY));
        let p = parse_metric_line("1 -inf 2 train-v1 b064d295").unwrap();
        assert_eq!(p.value, f64::NEG_INFINITY);
        assert!(parse_metric_line("1 nan 3").unwrap().value.is_nan());
        assert!(parse_metric_line("1 0.5 3 4").is_err());
        assert!(parse_metric_line("x 0.5").is_err());
        assert!(parse_metric_line("1 abc").is_err());
        assert!(parse_metric_line("1 0.5 1.5").is_err());
    }
}
