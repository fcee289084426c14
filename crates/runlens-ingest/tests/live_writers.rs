//! Live writers: a real tracker appends to its logs (`live_writer.py` beside this file, run
//! with the fixture Python) while runlens reads them again and again, as a report rebuilt
//! during training does. Every read must be a consistent prefix of the final one (each
//! series a prefix of its final series, no changed, reordered or repeated point, params and
//! tags never contradicting the final ones), must not fail, and may warn only about the
//! tail of a file being written (`docs/hardening.md`, "Live writers"). The read after the
//! writer exits must hold every point the writer says it logged.
//!
//! Needs `RUNLENS_FIXTURE_PYTHON` (a Python with the trackers; CI sets it): without it each
//! test prints `SKIPPED` and passes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use runlens_core::{Archive, Warning};
use runlens_ingest::{ReadOptions, read_sources};

/// A run as far as this test compares it: params and tags as displayed, each metric as
/// (step, value bits).
#[derive(Debug, Clone, PartialEq)]
struct RunView {
    name: String,
    params: BTreeMap<String, String>,
    tags: BTreeMap<String, String>,
    metrics: BTreeMap<String, Vec<(i64, u64)>>,
}

/// Source, experiment and id: what identifies a run across reads.
type RunKey = (String, Option<String>, String);

/// One read of the logs.
struct Snapshot {
    runs: BTreeMap<RunKey, RunView>,
    warnings: Vec<Warning>,
}

fn snapshot(archive: Archive) -> Snapshot {
    let runs = archive
        .runs
        .into_iter()
        .map(|run| {
            let key = (run.source.clone(), run.experiment.clone(), run.id.clone());
            let params = run
                .params
                .keys()
                .chain(run.param_text.keys())
                .filter_map(|k| Some((k.clone(), run.param_display(k)?)))
                .collect();
            let metrics = run
                .metrics
                .iter()
                .map(|(key, series)| {
                    let points = series
                        .steps
                        .iter()
                        .zip(&series.values)
                        .map(|(&step, value)| (step, value.to_bits()))
                        .collect();
                    (key.clone(), points)
                })
                .collect();
            let view = RunView {
                name: run.name,
                params,
                tags: run.tags,
                metrics,
            };
            (key, view)
        })
        .collect();
    Snapshot {
        runs,
        warnings: archive.warnings,
    }
}

/// Whether a warning read while the writer is at work is allowed: only one about the end of
/// a file that is still being written (a record whose bytes are not all there yet, a file
/// created but not yet written).
fn about_the_tail(warning: &Warning) -> bool {
    let message = &warning.message;
    message.contains("the file ends inside a record")
        || message.starts_with("empty event file")
        || message.starts_with("empty .wandb file")
}

/// The Python with the trackers, or `None` (the test is skipped) when it is not set.
fn fixture_python(test: &str) -> Option<PathBuf> {
    match std::env::var_os("RUNLENS_FIXTURE_PYTHON").filter(|p| !p.is_empty()) {
        Some(python) => Some(PathBuf::from(python)),
        None => {
            eprintln!(
                "SKIPPED {test}: RUNLENS_FIXTURE_PYTHON is not set (a Python with \
                 examples/requirements.txt installed; CI sets it)"
            );
            None
        }
    }
}

/// Starts the writer of `kind`, reads its logs until it exits and once more after, and
/// checks every read against the last.
fn check_live(kind: &str, extra: &[&str]) {
    let Some(python) = fixture_python(kind) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/live_writer.py");
    let mut child = Command::new(&python)
        .arg(&script)
        .arg(kind)
        .arg(dir.path())
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", python.display()));
    let sources = [logs.clone()];
    let options = ReadOptions::default();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut reads = Vec::new();
    let status = loop {
        let exited = child.try_wait().unwrap();
        let report = read_sources(&sources, &options)
            .unwrap_or_else(|e| panic!("{kind}: a read while the writer works failed: {e}"));
        if let Some(status) = exited {
            break status;
        }
        reads.push(snapshot(report.archive));
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{kind}: the writer did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = child.wait_with_output().unwrap();
    assert!(
        status.success(),
        "{kind} writer failed: {status}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let last = snapshot(read_sources(&sources, &options).unwrap().archive);
    assert!(
        last.warnings.is_empty(),
        "{kind}: the read after the writer exited warns: {:#?}",
        last.warnings
    );

    // Every point the writer logged.
    let count: BTreeMap<String, BTreeMap<String, usize>> =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("count.json")).unwrap())
            .unwrap();
    assert_eq!(last.runs.len(), count.len(), "{kind}: runs read at the end");
    for (name, keys) in &count {
        let run = last
            .runs
            .values()
            .find(|run| &run.name == name)
            .unwrap_or_else(|| panic!("{kind}: run {name} is missing from the final read"));
        for (key, &n) in keys {
            let points = run.metrics.get(key).map_or(0, Vec::len);
            assert_eq!(
                points, n,
                "{kind}: points of {name}/{key} in the final read"
            );
        }
    }

    // Every read before it: a prefix, warning only about a file's tail.
    let mut partial_reads = 0;
    let mut tail_warnings = 0;
    for (i, read) in reads.iter().enumerate() {
        tail_warnings += read.warnings.len();
        let bad: Vec<_> = read
            .warnings
            .iter()
            .filter(|w| !about_the_tail(w))
            .collect();
        assert!(
            bad.is_empty(),
            "{kind}: read {i} of {} warns about more than a file's tail: {bad:#?}",
            reads.len()
        );
        let mut partial = false;
        for (key, run) in &read.runs {
            let Some(done) = last.runs.get(key) else {
                panic!("{kind}: read {i} has run {key:?}, which the final read lacks");
            };
            partial |= check_prefix(kind, i, run, done);
        }
        if partial || read.runs.len() < last.runs.len() {
            partial_reads += 1;
        }
    }
    // Without reads of a run in progress this test would prove nothing.
    assert!(
        partial_reads > 0,
        "{kind}: none of the {} reads saw a run in progress; the writer was too fast",
        reads.len()
    );
    eprintln!(
        "{kind}: {} reads while writing ({partial_reads} of a run in progress, \
         {tail_warnings} warnings about a file's tail), final read: {} runs",
        reads.len(),
        last.runs.len()
    );
}

/// Asserts that `run` (read number `i`) is a prefix of `done`, the final read of that run;
/// true when it is a strict prefix (some series shorter).
fn check_prefix(kind: &str, i: usize, run: &RunView, done: &RunView) -> bool {
    let at = format!("{kind}: read {i}, run {}", done.name);
    assert_eq!(run.name, done.name, "{at}: the run's name changed");
    for (key, value) in &run.params {
        assert_eq!(
            done.params.get(key),
            Some(value),
            "{at}: param {key} changed"
        );
    }
    for (key, value) in &run.tags {
        assert_eq!(done.tags.get(key), Some(value), "{at}: tag {key} changed");
    }
    let mut partial = run.metrics.len() < done.metrics.len();
    for (key, points) in &run.metrics {
        let full = done
            .metrics
            .get(key)
            .unwrap_or_else(|| panic!("{at}: metric {key} is not in the final read"));
        assert!(
            points.len() <= full.len() && points[..] == full[..points.len()],
            "{at}: metric {key} is not a prefix of the final series:\n  read:  {points:?}\n  final: {full:?}"
        );
        partial |= points.len() < full.len();
    }
    partial
}

#[test]
fn mlflow_sqlite_store_read_while_mlflow_logs() {
    // Each step is a transaction that waits for the disk, and the store's creation runs
    // MLflow's schema migrations: fewer steps keep the writer to a few seconds.
    check_live("mlflow", &["--steps", "40", "--seconds", "1"]);
}

#[test]
fn tensorboard_logdir_read_while_tensorboardx_writes() {
    check_live("tensorboard", &[]);
}

#[test]
fn trackio_project_read_while_trackio_logs() {
    check_live("trackio", &[]);
}

#[test]
fn wandb_offline_run_read_while_wandb_logs() {
    check_live("wandb", &[]);
}
