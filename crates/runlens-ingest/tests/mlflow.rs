//! MLflow stores written by the real `mlflow` package (`tests/fixtures/mlflow/`, made by
//! `examples/make_mlflow_fixtures.py`): parity with what MLflow's own Python API returns
//! (`expected.json`), the store left byte-for-byte unchanged, filters, and damaged input.
//! The fixture Python (`RUNLENS_FIXTURE_PYTHON`, else `.venv-fixtures/`) also runs the script
//! afresh, and its output is checked the same way.

mod common;

use std::path::{Path, PathBuf};

use runlens_core::{Archive, Dataset, ParamValue, RegisteredModel, Run, RunStatus};
use runlens_ingest::{ReadOptions, read_sources};
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
    assert_eq!(run.tags.len(), tags.len(), "{ctx}: tags {:?}", run.tags);
    for (key, value) in tags {
        assert_eq!(
            run.tags.get(key).map(String::as_str),
            value.as_str(),
            "{ctx}: tag {key}"
        );
    }
    assert_eq!(
        run.notes.as_deref(),
        want["tags"]["mlflow.note.content"].as_str(),
        "{ctx}: notes"
    );
    assert_eq!(
        run.parent_id.as_deref(),
        want["tags"]["mlflow.parentRunId"].as_str(),
        "{ctx}: parent"
    );

    let datasets = want["datasets"].as_array().unwrap();
    let expected_datasets: Vec<Dataset> = datasets
        .iter()
        .map(|d| Dataset {
            name: d["name"].as_str().unwrap().to_string(),
            digest: d["digest"].as_str().map(str::to_string),
            source: d["source"].as_str().map(str::to_string),
            context: d["context"].as_str().map(str::to_string),
        })
        .collect();
    assert_eq!(run.datasets, expected_datasets, "{ctx}: datasets");

    let artifacts: Vec<(String, Option<u64>)> = want["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["path"].as_str().unwrap().to_string(), a["size"].as_u64()))
        .collect();
    let got: Vec<(String, Option<u64>)> = run
        .artifacts
        .iter()
        .map(|a| (a.path.clone(), a.size))
        .collect();
    assert_eq!(got, artifacts, "{ctx}: artifacts");
    for artifact in &run.artifacts {
        let shown = ["png", "html", "json", "yaml"]
            .iter()
            .any(|ext| artifact.path.ends_with(ext));
        assert_eq!(
            artifact.content.is_some(),
            shown,
            "{ctx}: {} embedded only when the page can show it",
            artifact.path
        );
        if let Some(content) = &artifact.content {
            assert_eq!(Some(content.bytes.len() as u64), artifact.size);
        }
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
    let runs = expected["runs"].as_array().unwrap();
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
    check_models(&all.models, &expected["models"]);
}

/// The registry against what MLflow's API returned.
fn check_models(models: &[RegisteredModel], expected: &Value) {
    let expected = expected.as_array().unwrap();
    assert!(!expected.is_empty(), "the fixture has a registered model");
    assert_eq!(models.len(), expected.len(), "registered models");
    for (model, want) in models.iter().zip(expected) {
        let ctx = format!("model {}", model.name);
        assert_eq!(model.source, "mlflow");
        assert_eq!(model.name, want["name"].as_str().unwrap());
        assert_eq!(
            model.description.as_deref(),
            want["description"].as_str(),
            "{ctx}"
        );
        let tags: Vec<(&str, &str)> = model
            .tags
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let want_tags: Vec<(&str, &str)> = want["tags"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str().unwrap()))
            .collect();
        assert_eq!(tags, want_tags, "{ctx}: tags");
        let versions = want["versions"].as_array().unwrap();
        assert_eq!(model.versions.len(), versions.len(), "{ctx}: versions");
        for (v, w) in model.versions.iter().zip(versions) {
            let vctx = format!("{ctx} version {}", v.version);
            assert_eq!(v.version, w["version"].as_str().unwrap(), "{vctx}");
            assert_eq!(v.run_id.as_deref(), w["run_id"].as_str(), "{vctx}");
            assert_eq!(v.stage.as_deref(), w["stage"].as_str(), "{vctx}");
            assert_eq!(v.status.as_deref(), w["status"].as_str(), "{vctx}");
            assert_eq!(v.model_source.as_deref(), w["source"].as_str(), "{vctx}");
            assert_eq!(
                v.description.as_deref(),
                w["description"].as_str(),
                "{vctx}"
            );
            let aliases: Vec<&str> = w["aliases"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap())
                .collect();
            assert_eq!(v.aliases, aliases, "{vctx}: aliases");
            assert_eq!(
                v.created,
                w["created_ms"].as_i64().map(|ms| ms as f64 / 1000.0),
                "{vctx}: created"
            );
            assert_eq!(
                v.tags.len(),
                w["tags"].as_object().unwrap().len(),
                "{vctx}: tags"
            );
        }
    }
}

fn expected() -> Value {
    common::load_expected(&fixtures())
}

#[test]
fn sqlite_store_matches_mlflows_own_api() {
    check_store(
        &fixtures().join("mlflow.db"),
        &expected()["stores"]["sqlite"],
    );
}

/// The same content written by MLflow 2.22 (alembic revision `0584bdc529eb`), committed with
/// the script that made it (see examples/requirements-mlflow2.txt).
#[test]
fn mlflow_2_stores_match_mlflows_own_api() {
    let dir = fixtures().join("../mlflow-2");
    let expected = common::load_expected(&dir);
    assert!(
        expected["mlflow_version"]
            .as_str()
            .unwrap()
            .starts_with("2."),
        "the fixture was written by MLflow 2.x"
    );
    check_store(&dir.join("mlflow.db"), &expected["stores"]["sqlite"]);
    check_store(&dir.join("mlruns"), &expected["stores"]["file"]);
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
        expected()["stores"][store]["runs"]
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
    let dir = tempfile::tempdir().unwrap();
    common::run_fixture_script("make_mlflow_fixtures.py", dir.path());
    let expected = common::load_expected(dir.path());
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
