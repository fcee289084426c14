//! The trackio reader against trackio's own storage API: every run of the fixture trackio
//! directory (written by the real `trackio` package) must match what
//! `examples/make_trackio_fixtures.py` read back with `trackio.sqlite_storage.SQLiteStorage`
//! (`expected.json`). The fixture Python (`RUNLENS_FIXTURE_PYTHON`, else `.venv-fixtures/`)
//! also writes fresh projects, checked the same way. Read-only access, a single `.db`, and
//! damaged input start from the committed real files.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use runlens_core::{Archive, ArtifactKind, ParamValue, Run, RunStatus};
use runlens_ingest::{ReadOptions, read_sources};
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/trackio")
}

fn read(paths: &[PathBuf]) -> Archive {
    read_sources(paths, &ReadOptions::default())
        .expect("the sources exist")
        .archive
}

/// Nested config objects as dotted keys, the way the reader names params.
fn flatten(prefix: &str, value: &Value, into: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                let key = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&key, value, into);
            }
        }
        Value::Null => {}
        other => into.push((prefix.to_string(), other.clone())),
    }
}

/// Every difference between the runs read from `sources` and `expected`.
fn differences(sources: &[PathBuf], expected: &Value) -> Vec<String> {
    let archive = read(sources);
    let mut problems: Vec<String> = archive
        .warnings
        .iter()
        .map(|w| format!("unexpected warning: {w}"))
        .collect();
    let mut want = Vec::new();
    for (project, runs) in expected["projects"].as_object().expect("projects") {
        for (id, run) in runs.as_object().expect("runs") {
            want.push((project.as_str(), id.as_str(), run));
        }
    }
    let got: Vec<(&str, &str)> = archive
        .runs
        .iter()
        .map(|r| (r.experiment.as_deref().unwrap_or(""), r.id.as_str()))
        .collect();
    let want_ids: Vec<(&str, &str)> = want.iter().map(|(p, id, _)| (*p, *id)).collect();
    if got != want_ids {
        problems.push(format!("runs {got:?}, trackio has {want_ids:?}"));
    }
    for (project, id, want) in want {
        let found = archive
            .runs
            .iter()
            .find(|r| r.id == id && r.experiment.as_deref() == Some(project));
        if let Some(run) = found {
            run_differences(run, want, &mut problems);
        }
    }
    problems
}

fn run_differences(run: &Run, want: &Value, problems: &mut Vec<String>) {
    let id = &run.id;
    if run.source != "trackio" {
        problems.push(format!("{id}: source {}", run.source));
    }
    if Some(run.name.as_str()) != want["name"].as_str() {
        problems.push(format!("{id}: name {}, trackio {}", run.name, want["name"]));
    }
    if run.group.as_deref() != want["group"].as_str() {
        problems.push(format!(
            "{id}: group {:?}, trackio {}",
            run.group, want["group"]
        ));
    }
    let status = match want["status"].as_str() {
        Some("failed") => RunStatus::Failed,
        _ => RunStatus::Unknown,
    };
    if run.status != status {
        problems.push(format!("{id}: status {}, trackio {status}", run.status));
    }
    if run.start_time.is_none() {
        problems.push(format!("{id}: no start time"));
    }
    let alerts = want["alerts"].as_u64().expect("alerts") as usize;
    let listed = run
        .notes
        .as_deref()
        .map_or(0, |n| n.lines().filter(|l| l.starts_with("- **")).count());
    if listed != alerts {
        problems.push(format!(
            "{id}: {listed} alerts in the notes, trackio {alerts}"
        ));
    }
    let media = run
        .artifacts
        .iter()
        .filter(|a| a.path.starts_with("media/"))
        .count();
    if media as u64 != want["media"].as_u64().expect("media") {
        problems.push(format!("{id}: {media} media, trackio {}", want["media"]));
    }
    let mut params = Vec::new();
    flatten("", &want["params"], &mut params);
    common::param_differences(id, run, &params, "trackio", problems);
    let metrics = want["metrics"].as_object().expect("metrics");
    common::metric_differences(id, run, metrics, "trackio", problems);
}

#[test]
fn committed_fixtures_match_trackio() {
    let dir = fixtures();
    let expected = common::load_expected(&dir);
    assert_eq!(
        expected["projects"]["demo"].as_object().map(|r| r.len()),
        Some(3)
    );
    let problems = differences(&[dir.join("trackio")], &expected);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn freshly_written_fixtures_match_trackio() {
    let out = tempfile::tempdir().expect("temp dir");
    common::run_fixture_script("make_trackio_fixtures.py", out.path());
    let expected = common::load_expected(out.path());
    assert_eq!(
        expected["projects"]["demo"].as_object().map(|r| r.len()),
        Some(3)
    );
    let problems = differences(&[out.path().join("trackio")], &expected);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn run<'a>(archive: &'a Archive, name: &str) -> &'a Run {
    archive
        .runs
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no run {name}"))
}

#[test]
fn one_database_named_alone_is_its_project_with_alerts_and_files() {
    let archive = read(&[fixtures().join("trackio/demo.db")]);
    assert!(archive.warnings.is_empty(), "{:?}", archive.warnings);
    assert_eq!(archive.runs.len(), 3);
    assert!(
        archive
            .runs
            .iter()
            .all(|r| r.experiment.as_deref() == Some("demo"))
    );
    let crashed = run(&archive, "crashed");
    assert_eq!(crashed.status, RunStatus::Failed);
    let notes = crashed.notes.as_deref().expect("alert notes");
    assert!(
        notes.contains("- **ERROR** diverged: loss exploded: 100 (step 2, "),
        "{notes}"
    );
    let first = run(&archive, "lr-0.01");
    assert!(
        first
            .notes
            .as_deref()
            .unwrap_or("")
            .contains("**WARN** loss is NaN")
    );
    let paths: Vec<&str> = first.artifacts.iter().map(|a| a.path.as_str()).collect();
    assert_eq!(paths.len(), 2, "{paths:?}");
    let image = first
        .artifacts
        .iter()
        .find(|a| a.path.starts_with("media/samples/11/"))
        .expect("the logged image");
    let content = image.content.as_ref().expect("embedded");
    assert_eq!(content.kind, ArtifactKind::Image);
    assert_eq!(content.media_type, "image/png");
    let notes_file = first
        .artifacts
        .iter()
        .find(|a| a.path == "artifacts/run-notes/v0/notes.txt")
        .expect("the logged artifact");
    let text = notes_file.content.as_ref().expect("embedded");
    assert_eq!(text.bytes, b"trained with lr 0.01\n");
    assert_eq!(first.params["lr"], ParamValue::Float(0.01));
    assert_eq!(
        first.params["model.activation"],
        ParamValue::Text("relu".into())
    );
    let loss = &first.metrics["train/loss"];
    assert!(loss.values[3].is_nan());
    assert!(first.metrics["train/grad_norm"].values[0].is_infinite());
}

/// Every file under `dir` (relative path) with its bytes.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    for entry in walk(dir) {
        let bytes = fs::read(&entry).expect("read");
        files.push((
            entry.strip_prefix(dir).expect("inside").to_path_buf(),
            bytes,
        ));
    }
    files.sort();
    files
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).expect("read_dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for path in walk(from) {
        let target = to.join(path.strip_prefix(from).expect("inside"));
        fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        fs::copy(&path, &target).expect("copy");
    }
}

/// Reading a finished project (no `-wal` file, or an empty one beside `-shm` as trackio
/// leaves them) creates no file and changes no byte.
#[test]
fn reading_writes_no_byte() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("trackio");
    copy_dir(&fixtures().join("trackio"), &root);
    let before = snapshot(&root);
    let archive = read(std::slice::from_ref(&root));
    assert_eq!(archive.runs.len(), 4);
    let after = snapshot(&root);
    let names = |s: &[(PathBuf, Vec<u8>)]| s.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
    assert_eq!(names(&after), names(&before), "files were added or removed");
    assert!(after == before, "a file changed");
    // As trackio leaves a project when it exits: an empty log and a shared-memory index.
    fs::write(root.join("demo.db-wal"), b"").expect("write");
    fs::write(root.join("demo.db-shm"), vec![7u8; 32_768]).expect("write");
    let before = snapshot(&root);
    assert_eq!(read(std::slice::from_ref(&root)).runs.len(), 4);
    assert!(snapshot(&root) == before, "a file changed");
}

#[test]
fn a_database_open_in_a_writer_is_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("trackio");
    copy_dir(&fixtures().join("trackio"), &root);
    // A training process holds the database open in WAL mode with rows not yet checkpointed.
    let writer = rusqlite::Connection::open(root.join("demo.db")).expect("open");
    writer
        .pragma_update(None, "journal_mode", "wal")
        .expect("wal");
    writer
        .execute(
            "INSERT INTO metrics (run_id, timestamp, run_name, step, metrics) \
             SELECT run_id, created_at, run_name, 99, '{\"train/loss\": 0.5}' FROM configs WHERE run_name = 'crashed'",
            [],
        )
        .expect("insert");
    let files = ["demo.db", "demo.db-wal"].map(|f| root.join(f));
    let before = files.clone().map(|f| fs::read(f).expect("read"));
    assert!(
        !before[1].is_empty(),
        "the rows are in the log, not yet in the database"
    );
    let archive = read(&[root.join("demo.db")]);
    assert!(archive.warnings.is_empty(), "{:?}", archive.warnings);
    assert_eq!(run(&archive, "crashed").metrics["train/loss"].len(), 4);
    let after = files.map(|f| fs::read(f).expect("read"));
    assert!(after == before, "the database or its log changed");
    drop(writer);
}

#[test]
fn a_malformed_metric_row_is_a_warning_naming_file_and_row() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("trackio");
    copy_dir(&fixtures().join("trackio"), &root);
    let db = root.join("demo.db");
    {
        let conn = rusqlite::Connection::open(&db).expect("open");
        conn.execute(
            "UPDATE metrics SET metrics = '{\"train/loss\": 1' WHERE id = 2",
            [],
        )
        .expect("update");
    }
    let whole = read(&[fixtures().join("trackio/demo.db")]);
    let archive = read(std::slice::from_ref(&db));
    let warnings: Vec<String> = archive.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with(&format!(
            "{}:2: metrics row 2 (run lr-0.01, step 1)",
            db.display()
        )),
        "{warnings:?}"
    );
    let points = |a: &Archive| run(a, "lr-0.01").metrics["train/loss"].len();
    assert_eq!(points(&archive), points(&whole) - 1);
    assert_eq!(archive.point_count(), whole.point_count() - 2);
}

#[test]
fn damaged_and_foreign_databases_are_warnings_and_the_rest_is_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("trackio");
    copy_dir(&fixtures().join("trackio"), &root);
    // A damaged project: the header survives, the pages after it are garbage.
    let mut bytes = fs::read(root.join("other.db")).expect("read");
    for b in bytes.iter_mut().skip(100) {
        *b = 0x5a;
    }
    fs::write(root.join("other.db"), &bytes).expect("write");
    // A SQLite database of something else.
    {
        let conn = rusqlite::Connection::open(root.join("notes.db")).expect("open");
        conn.execute("CREATE TABLE notes (text TEXT)", [])
            .expect("create");
    }
    let archive = read(std::slice::from_ref(&root));
    let warnings: Vec<String> = archive.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings.iter().any(
        |w| w.starts_with(&root.join("notes.db").display().to_string())
            && w.contains("not a trackio project")
    ));
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with(&root.join("other.db").display().to_string()))
    );
    assert_eq!(archive.runs.len(), 3, "the demo project is read");
}

#[test]
fn mlflow_stores_stay_mlflow() {
    let mlflow =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/mlflow/mlflow.db");
    let archive = read(&[mlflow]);
    assert!(!archive.runs.is_empty());
    assert!(archive.runs.iter().all(|r| r.source == "mlflow"));
}
