//! MLflow stores written by the real `mlflow` package (`tests/fixtures/mlflow/`, made by
//! `examples/make_mlflow_fixtures.py`): parity with what MLflow's own Python API returns
//! (`expected.json`), the store left byte-for-byte unchanged, filters, and damaged input.
//! The fixture Python (`RUNLENS_FIXTURE_PYTHON`, else `.venv-fixtures/`) also runs the script
//! afresh, and its output is checked the same way.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use runlens_core::{Archive, ParamValue, Run, RunStatus};
use runlens_ingest::{MLFLOW_DATASET_TAG_PREFIX, ReadOptions, read_sources};
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/mlflow")
}

fn options(include_deleted: bool, experiments: &[&str]) -> ReadOptions {
    let mut options = ReadOptions::default();
    options.include_deleted = include_deleted;
    options.experiments = experiments.iter().map(|e| e.to_string()).collect();
    options
}

fn read_with(source: &Path, options: &ReadOptions) -> Archive {
    read_sources(&[source.to_path_buf()], options)
        .expect("source exists")
        .archive
}

/// An expected float: a JSON number or "inf"/"-inf"/"nan". MLflow's SQLite store returns
/// ±inf as its ±f64::MAX sentinel, which runlens shows as ±inf: map it the same way.
fn expected_float(value: &Value) -> f64 {
    let x = match value {
        Value::Number(n) => n.as_f64().expect("a float"),
        Value::String(s) => runlens_core::model::parse_float(s).expect("inf/-inf/nan"),
        other => panic!("not a float: {other}"),
    };
    if x >= f64::MAX {
        f64::INFINITY
    } else if x <= -f64::MAX {
        f64::NEG_INFINITY
    } else {
        x
    }
}

fn same_float(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b
}

fn expected_status(text: &str) -> RunStatus {
    match text {
        "FINISHED" => RunStatus::Finished,
        "FAILED" => RunStatus::Failed,
        "KILLED" => RunStatus::Killed,
        "RUNNING" | "SCHEDULED" => RunStatus::Running,
        other => panic!("unexpected status {other}"),
    }
}

fn is_deleted(expected: &Value) -> bool {
    expected["lifecycle_stage"] == "deleted" || expected["experiment_lifecycle_stage"] == "deleted"
}

/// Checks one run against what MLflow's API returned for it.
fn check_run(run: &Run, want: &Value) {
    let ctx = format!("run {} ({})", run.name, run.id);
    assert_eq!(run.source, "mlflow", "{ctx}");
    assert_eq!(run.name, want["name"].as_str().unwrap(), "{ctx}");
    assert_eq!(
        run.experiment.as_deref(),
        want["experiment"].as_str(),
        "{ctx}"
    );
    assert_eq!(
        run.status,
        expected_status(want["status"].as_str().unwrap()),
        "{ctx}"
    );
    let ms = |v: &Value| v.as_i64().map(|ms| ms as f64 / 1000.0);
    assert_eq!(run.start_time, ms(&want["start_time"]), "{ctx}");
    assert_eq!(run.end_time, ms(&want["end_time"]), "{ctx}");

    let params = want["params"].as_object().unwrap();
    assert_eq!(
        run.params.len(),
        params.len(),
        "{ctx}: params {:?}",
        run.params
    );
    for (key, text) in params {
        let expected = ParamValue::infer(text.as_str().unwrap());
        assert_eq!(run.params.get(key), Some(&expected), "{ctx}: param {key}");
    }

    let tags = want["tags"].as_object().unwrap();
    let own: Vec<(&String, &String)> = run
        .tags
        .iter()
        .filter(|(k, _)| !k.starts_with(MLFLOW_DATASET_TAG_PREFIX))
        .collect();
    assert_eq!(own.len(), tags.len(), "{ctx}: tags {:?}", run.tags);
    for (key, value) in tags {
        assert_eq!(
            run.tags.get(key).map(String::as_str),
            value.as_str(),
            "{ctx}: tag {key}"
        );
    }

    let datasets = want["datasets"].as_array().unwrap();
    assert_eq!(
        run.tags.len() - own.len(),
        datasets.len(),
        "{ctx}: datasets"
    );
    for d in datasets {
        let tag = format!("{MLFLOW_DATASET_TAG_PREFIX}{}", d["name"].as_str().unwrap());
        let text = run
            .tags
            .get(&tag)
            .unwrap_or_else(|| panic!("{ctx}: no tag {tag}"));
        let mut expected = format!(
            "digest {}; source {}",
            d["digest"].as_str().unwrap(),
            d["source"].as_str().unwrap()
        );
        if let Some(context) = d["context"].as_str() {
            expected.push_str(&format!("; context {context}"));
        }
        assert_eq!(text, &expected, "{ctx}: {tag}");
    }

    let metrics = want["metrics"].as_object().unwrap();
    let keys: Vec<&String> = run.metrics.keys().collect();
    let want_keys: Vec<&String> = metrics.keys().collect();
    assert_eq!(keys, want_keys, "{ctx}: metric keys");
    for (key, stats) in metrics {
        let summary = run.metrics[key].summary().expect("non-empty");
        let mctx = format!("{ctx}: metric {key}");
        assert_eq!(summary.count, stats["count"].as_u64().unwrap(), "{mctx}");
        for (name, got) in [
            ("last", summary.last),
            ("min", summary.min),
            ("max", summary.max),
        ] {
            let want = expected_float(&stats[name]);
            assert!(
                same_float(got, want),
                "{mctx}: {name} is {got}, MLflow says {want}"
            );
        }
    }
}

/// Reads `source` with and without deleted runs and checks every run of `expected`.
fn check_store(source: &Path, expected: &Value) {
    let runs = expected.as_array().unwrap();
    assert!(runs.len() >= 6, "the fixture has its runs");
    let all = read_with(source, &options(true, &[]));
    assert_eq!(all.warnings, [], "a clean store reads without warnings");
    assert_eq!(all.runs.len(), runs.len());
    let active = read_with(source, &ReadOptions::default());
    assert_eq!(active.warnings, []);
    for want in runs {
        let id = want["run_id"].as_str().unwrap();
        let run = all
            .runs
            .iter()
            .find(|r| r.id == id)
            .expect("every run is read");
        check_run(run, want);
        let present = active.runs.iter().any(|r| r.id == id);
        assert_eq!(
            present,
            !is_deleted(want),
            "run {id}: deleted runs are left out by default"
        );
    }
    assert!(runs.iter().any(is_deleted), "the fixture has deleted runs");
}

fn expected() -> Value {
    let text = fs::read_to_string(fixtures().join("expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn sqlite_store_matches_mlflows_own_api() {
    check_store(
        &fixtures().join("mlflow.db"),
        &expected()["stores"]["sqlite"],
    );
}

#[test]
fn file_store_matches_mlflows_own_api() {
    check_store(&fixtures().join("mlruns"), &expected()["stores"]["file"]);
}

#[test]
fn a_directory_holding_both_stores_is_walked_into_both() {
    let archive = read_with(&fixtures(), &ReadOptions::default());
    assert_eq!(archive.warnings, []);
    let active = |store: &str| {
        expected()["stores"][store]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| !is_deleted(r))
            .count()
    };
    assert_eq!(archive.runs.len(), active("sqlite") + active("file"));
}

#[test]
fn fresh_fixtures_from_the_real_mlflow_match_too() {
    let python = common::fixture_python();
    let dir = tempfile::tempdir().unwrap();
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/make_mlflow_fixtures.py");
    let status = std::process::Command::new(python)
        .arg(script)
        .arg("--out")
        .arg(dir.path())
        .status()
        .expect("the fixture python runs");
    assert!(status.success(), "make_mlflow_fixtures.py failed");
    let text = fs::read_to_string(dir.path().join("expected.json")).unwrap();
    let expected: Value = serde_json::from_str(&text).unwrap();
    check_store(&dir.path().join("mlflow.db"), &expected["stores"]["sqlite"]);
    check_store(&dir.path().join("mlruns"), &expected["stores"]["file"]);
}

#[test]
fn sqlite_url_and_experiment_filter() {
    let db = fixtures().join("mlflow.db");
    let url = PathBuf::from(format!(
        "sqlite:///{}",
        db.canonicalize().unwrap().display()
    ));
    let archive = read_with(&url, &options(false, &["ablation"]));
    assert_eq!(archive.warnings, []);
    let names: Vec<&str> = archive.runs.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names.len(), 1, "{names:?}");
    assert_eq!(names, ["ablation-long"]);
    let with_deleted = read_with(&url, &options(true, &["ablation", "scratch"]));
    let mut names: Vec<&str> = with_deleted.runs.iter().map(|r| r.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["ablation-long", "deleted-run", "scratch-run"]);
    let typo = read_with(&url, &options(false, &["ablaton"]));
    assert_eq!(typo.runs.len(), 0);
    assert_eq!(typo.warnings.len(), 1, "{:?}", typo.warnings);
    assert_eq!(typo.warnings[0].path, "--experiment");
    assert!(
        typo.warnings[0].message.contains("\"ablaton\""),
        "{:?}",
        typo.warnings
    );
    let missing = read_with(
        Path::new("sqlite:///no/such/mlflow.db"),
        &ReadOptions::default(),
    );
    assert_eq!(missing.runs.len(), 0);
    assert!(
        missing.warnings[0].message.contains("no database file"),
        "{:?}",
        missing.warnings
    );
}

#[test]
fn file_store_experiment_filter() {
    let archive = read_with(&fixtures().join("mlruns"), &options(false, &["sweep"]));
    let mut names: Vec<&str> = archive.runs.iter().map(|r| r.name.as_str()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "baseline", "child-a", "child-b", "diverged", "killed", "parent"
        ]
    );
}

#[test]
fn nested_runs_keep_their_parent_link_and_notes() {
    let archive = read_with(&fixtures().join("mlflow.db"), &ReadOptions::default());
    let by_name = |name: &str| archive.runs.iter().find(|r| r.name == name).unwrap();
    let parent = by_name("parent");
    for child in ["child-a", "child-b"] {
        assert_eq!(
            by_name(child).tags.get("mlflow.parentRunId"),
            Some(&parent.id)
        );
    }
    assert!(parent.tags["mlflow.note.content"].starts_with("# Grid search"));
    let loss = &by_name("diverged").metrics["train/loss"];
    assert_eq!(
        loss.values[3],
        f64::INFINITY,
        "the DBL_MAX sentinel reads as +inf"
    );
    assert!(loss.values[4].is_nan(), "is_nan reads as NaN");
    assert_eq!(by_name("child-a").metrics["train/loss"].len(), 50);
}
