//! One report from four trackers: an MLflow store, a TensorBoard logdir, a W&B offline
//! folder and a trackio directory, each freshly written by the real tracker through its
//! fixture script in `examples/` (with the fixture Python, as the parity tests do), named
//! together on one command line. Every run each tracker describes in its `expected.json`
//! must be in `runlens inspect --json` with its source, and the built report must hold
//! them in one run table whose grouping by `source` gives one group per tracker.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use runlens_core::bundle;
use runlens_core::group::{GroupKey, group_rows};
use serde_json::Value;
use support::runlens;

/// The fixtures, written once for every test of this file: the temporary directory (kept
/// alive for the whole test binary) and the four sources in it.
struct Fixtures {
    _dir: tempfile::TempDir,
    sources: Vec<PathBuf>,
    /// Every run each tracker describes: source name → run ids.
    expected: BTreeMap<&'static str, BTreeSet<String>>,
}

/// The four trackers' fixture scripts, run side by side (they are independent processes).
fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let trackers = ["mlflow", "tensorboard", "wandb", "trackio"];
        std::thread::scope(|scope| {
            for tracker in trackers {
                let out = dir.path().join(tracker);
                scope.spawn(move || {
                    support::run_fixture_script(&format!("make_{tracker}_fixtures.py"), &out)
                });
            }
        });
        let root = dir.path();
        let sources = vec![
            root.join("mlflow/mlflow.db"),
            root.join("tensorboard/logdir"),
            root.join("wandb/wandb"),
            root.join("trackio/trackio"),
        ];
        let expected = BTreeMap::from([
            ("mlflow", mlflow_runs(&root.join("mlflow"))),
            (
                "tensorboard",
                keys(&load(&root.join("tensorboard"))["runs"]),
            ),
            ("wandb", keys(&load(&root.join("wandb"))["runs"])),
            ("trackio", trackio_runs(&root.join("trackio"))),
        ]);
        Fixtures {
            _dir: dir,
            sources,
            expected,
        }
    })
}

fn load(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("expected.json is JSON")
}

fn keys(object: &Value) -> BTreeSet<String> {
    object
        .as_object()
        .expect("an object")
        .keys()
        .cloned()
        .collect()
}

/// The SQLite store's runs that a default read includes (deleted runs and runs of deleted
/// experiments are left out).
fn mlflow_runs(dir: &Path) -> BTreeSet<String> {
    load(dir)["stores"]["sqlite"]["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .filter(|r| {
            r["lifecycle_stage"] != "deleted" && r["experiment_lifecycle_stage"] != "deleted"
        })
        .map(|r| r["run_id"].as_str().expect("run_id").to_string())
        .collect()
}

/// The runs of every project of the trackio directory.
fn trackio_runs(dir: &Path) -> BTreeSet<String> {
    load(dir)["projects"]
        .as_object()
        .expect("projects")
        .values()
        .flat_map(keys)
        .collect()
}

fn paths(sources: &[PathBuf]) -> Vec<&str> {
    sources
        .iter()
        .map(|p| p.to_str().expect("a UTF-8 temp path"))
        .collect()
}

#[test]
fn inspect_lists_every_run_of_every_tracker_with_its_source() {
    let fixtures = fixtures();
    let mut args = vec!["inspect", "--json"];
    args.extend(paths(&fixtures.sources));
    let outcome = runlens(args);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let doc: Value = serde_json::from_str(&outcome.stdout).expect("valid JSON");
    let mut got: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for run in doc["runs"].as_array().expect("runs") {
        let source = run["source"].as_str().expect("source").to_string();
        let id = run["id"].as_str().expect("id").to_string();
        got.entry(source).or_default().insert(id);
    }
    let want: BTreeMap<String, BTreeSet<String>> = fixtures
        .expected
        .iter()
        .map(|(source, ids)| (source.to_string(), ids.clone()))
        .collect();
    assert_eq!(got, want);
    for (source, ids) in &want {
        assert!(!ids.is_empty(), "the {source} fixture has runs");
    }
}

#[test]
fn one_report_holds_every_tracker_and_groups_by_source() {
    let fixtures = fixtures();
    let dir = tempfile::tempdir().expect("temp dir");
    let site = dir.path().join("site");
    let config = dir.path().join("runlens.toml");
    std::fs::write(&config, "[view]\ngroup = \"source\"\n").expect("write config");
    let mut args = vec![
        "build",
        "--config",
        config.to_str().expect("UTF-8"),
        "--out",
        site.to_str().expect("UTF-8"),
    ];
    args.extend(paths(&fixtures.sources));
    let outcome = runlens(args);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);

    // The run table of the bundle the page loads: every run, with its source.
    let index = std::fs::read(site.join("data/index.rlb")).expect("index.rlb");
    let table = bundle::decode_index(&index).expect("the index decodes");
    let total: usize = fixtures.expected.values().map(BTreeSet::len).sum();
    assert_eq!(table.len(), total);
    let rows: Vec<usize> = (0..table.len()).collect();
    let groups = group_rows(&table, &rows, &GroupKey::Source);
    let got: BTreeMap<String, BTreeSet<String>> = groups
        .iter()
        .map(|g| {
            let ids = g.rows.iter().map(|&row| table.ids[row].clone()).collect();
            (g.label.clone(), ids)
        })
        .collect();
    let want: BTreeMap<String, BTreeSet<String>> = fixtures
        .expected
        .iter()
        .map(|(source, ids)| (source.to_string(), ids.clone()))
        .collect();
    assert_eq!(got, want, "one group per tracker, holding its runs");

    // The page opens grouped by source, and its pre-rendered table has the source column.
    let html = std::fs::read_to_string(site.join("index.html")).expect("index.html");
    assert!(
        html.contains("\"group\":\"source\""),
        "the initial view groups by source"
    );
    for source in fixtures.expected.keys() {
        assert!(
            html.contains(&format!("<td>{source}</td>")),
            "the no-JS table names {source}"
        );
    }
    assert!(html.contains("<th scope=\"col\">source</th>"));
}
