//! MLflow stores that are in use or damaged: reading never changes a store's bytes (also
//! while a writer holds it in WAL mode), and a corrupt or foreign SQLite file, a missing
//! `meta.yaml` or a malformed metric line are warnings naming the path, the rest still read.

use std::fs;
use std::path::{Path, PathBuf};

use runlens_core::Archive;
use runlens_ingest::{ReadOptions, ReadReport, read_sources};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/mlflow")
}

fn read(sources: &[&Path]) -> ReadReport {
    let sources: Vec<PathBuf> = sources.iter().map(|p| p.to_path_buf()).collect();
    read_sources(&sources, &ReadOptions::default()).expect("sources exist")
}

/// The file's bytes, or `None` when it does not exist.
fn bytes(path: &Path) -> Option<Vec<u8>> {
    fs::read(path).ok()
}

fn sidecars(db: &Path) -> Vec<PathBuf> {
    ["-wal", "-shm", "-journal"]
        .iter()
        .map(|s| PathBuf::from(format!("{}{s}", db.display())))
        .collect()
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            fs::create_dir_all(&target).unwrap();
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn active_runs(store: &str) -> usize {
    let text = fs::read_to_string(fixtures().join("expected.json")).unwrap();
    let expected: serde_json::Value = serde_json::from_str(&text).unwrap();
    expected["stores"][store]["runs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["lifecycle_stage"] == "active" && r["experiment_lifecycle_stage"] == "active")
        .count()
}

fn messages(archive: &Archive) -> Vec<String> {
    archive.warnings.iter().map(ToString::to_string).collect()
}

#[test]
fn reading_leaves_the_sqlite_store_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("mlflow.db");
    fs::copy(fixtures().join("mlflow.db"), &db).unwrap();
    let before = bytes(&db);
    let report = read(&[&db]);
    assert_eq!(report.archive.runs.len(), active_runs("sqlite"));
    assert_eq!(bytes(&db), before);
    for sidecar in sidecars(&db) {
        assert!(!sidecar.exists(), "{} was created", sidecar.display());
    }
}

/// A store left in WAL mode by its last writer (MLflow servers and many users set it), with
/// no log pending: reading it must not create the `-wal` and `-shm` files a WAL connection
/// normally makes.
#[test]
fn a_store_in_wal_mode_at_rest_is_read_without_creating_files() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("mlflow.db");
    fs::copy(fixtures().join("mlflow.db"), &db).unwrap();
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }
    // The last connection closed: the log was checkpointed and removed.
    for sidecar in sidecars(&db) {
        assert!(!sidecar.exists(), "{} left by the setup", sidecar.display());
    }
    let before = bytes(&db);
    let report = read(&[&db]);
    assert_eq!(report.archive.runs.len(), active_runs("sqlite"));
    assert_eq!(messages(&report.archive), Vec::<String>::new());
    assert_eq!(bytes(&db), before);
    for sidecar in sidecars(&db) {
        assert!(
            !sidecar.exists(),
            "{} was created by the read",
            sidecar.display()
        );
    }
}

#[test]
fn a_store_in_wal_mode_being_written_is_read_without_changing_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("mlflow.db");
    fs::copy(fixtures().join("mlflow.db"), &db).unwrap();
    // A "training job": WAL mode, a committed point still in the WAL, connection kept open.
    let writer = rusqlite::Connection::open(&db).unwrap();
    let mode: String = writer
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    writer
        .execute_batch(
            "PRAGMA wal_autocheckpoint = 0;
             INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan)
             SELECT 'live/metric', 42.0, 1700000000000, run_uuid, 7, 0 FROM runs WHERE name = 'killed';",
        )
        .unwrap();
    let files: Vec<PathBuf> = [db.clone()].into_iter().chain(sidecars(&db)).collect();
    let before: Vec<Option<Vec<u8>>> = files.iter().map(|f| bytes(f)).collect();
    assert!(before[1].is_some(), "the WAL holds the new point");

    let report = read(&[&db]);
    assert_eq!(report.archive.warnings, []);
    let killed = report
        .archive
        .runs
        .iter()
        .find(|r| r.name == "killed")
        .unwrap();
    assert_eq!(
        killed.metrics["live/metric"].values,
        [42.0],
        "committed WAL rows are seen"
    );

    // The database, its WAL and journal are unchanged. The -shm is SQLite's shared-memory
    // index, which every reader (also a read-only one) updates: only its size is compared.
    for (i, file) in files.iter().enumerate() {
        let after = bytes(file);
        if file.to_string_lossy().ends_with("-shm") {
            assert_eq!(after.map(|b| b.len()), before[i].as_ref().map(Vec::len));
        } else {
            assert_eq!(after, before[i], "{} changed", file.display());
        }
    }
    drop(writer);
}

#[test]
fn a_corrupt_sqlite_file_is_a_warning_and_other_sources_are_still_read() {
    let dir = tempfile::tempdir().unwrap();
    let original = fs::read(fixtures().join("mlflow.db")).unwrap();
    // Pages overwritten in the middle of the file.
    let flipped = dir.path().join("flipped.db");
    let mut damaged = original.clone();
    let middle = damaged.len() / 2;
    for b in &mut damaged[middle..middle + 64 * 1024] {
        *b = !*b;
    }
    fs::write(&flipped, &damaged).unwrap();
    // Cut in half.
    let truncated = dir.path().join("truncated.db");
    fs::write(&truncated, &original[..original.len() / 2]).unwrap();

    let mlruns = fixtures().join("mlruns");
    let report = read(&[&flipped, &truncated, &mlruns]);
    let warnings = messages(&report.archive);
    for path in [&flipped, &truncated] {
        let about: Vec<&String> = warnings
            .iter()
            .filter(|w| w.starts_with(&path.display().to_string()))
            .collect();
        assert!(
            !about.is_empty(),
            "no warning names {}: {warnings:?}",
            path.display()
        );
        assert!(about.iter().any(|w| w.contains("SQLite")), "{about:?}");
    }
    let from_file_store = report
        .archive
        .runs
        .iter()
        .filter(|r| r.experiment.is_some())
        .count();
    assert!(from_file_store >= active_runs("file"), "{warnings:?}");
}

#[test]
fn a_sqlite_file_of_something_else_is_named_when_given_and_ignored_in_a_walk() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("notes.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES ('hi');")
        .unwrap();
    drop(conn);
    let named = read(&[&db]);
    assert_eq!(named.archive.runs.len(), 0);
    let warnings = messages(&named.archive);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with(&db.display().to_string()),
        "{warnings:?}"
    );
    assert!(
        warnings[0].contains("not an MLflow tracking store"),
        "{warnings:?}"
    );

    let walked = read(&[dir.path()]);
    assert_eq!(walked.archive.warnings, []);
    assert_eq!(walked.unrecognized, [db]);
}

#[test]
fn a_missing_meta_yaml_and_a_bad_metric_line_cost_only_that_run_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let mlruns = dir.path().join("mlruns");
    copy_tree(&fixtures().join("mlruns"), &mlruns);
    let clean = read(&[&mlruns]).archive;
    let by_name =
        |archive: &Archive, name: &str| archive.runs.iter().find(|r| r.name == name).cloned();
    let killed = by_name(&clean, "killed").unwrap();
    let long = by_name(&clean, "ablation-long").unwrap();
    let find_run_dir = |id: &str| {
        walkdir::WalkDir::new(&mlruns)
            .into_iter()
            .flatten()
            .find(|e| e.file_name().to_string_lossy() == id)
            .unwrap()
            .into_path()
    };
    let killed_meta = find_run_dir(&killed.id).join("meta.yaml");
    fs::remove_file(&killed_meta).unwrap();
    let loss = find_run_dir(&long.id).join("metrics/train/loss");
    let mut text = fs::read_to_string(&loss).unwrap();
    let lines_before = text.lines().count() as u64;
    text.push_str("1700000000000 not-a-number 100\n1700000000000 0.5 101\n");
    fs::write(&loss, text).unwrap();

    let damaged = read(&[&mlruns]).archive;
    let warnings = messages(&damaged);
    assert_eq!(
        warnings,
        [
            format!(
                "{}:{}: value \"not-a-number\" is not a number; line skipped",
                loss.display(),
                lines_before + 1
            ),
            format!(
                "{}: missing: not an MLflow run folder; skipped",
                killed_meta.display()
            ),
        ]
        .into_iter()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>()
    );
    assert_eq!(damaged.runs.len(), clean.runs.len() - 1);
    assert!(by_name(&damaged, "killed").is_none());
    let series = &by_name(&damaged, "ablation-long").unwrap().metrics["train/loss"];
    assert_eq!(
        series.len(),
        long.metrics["train/loss"].len() + 1,
        "the good line after the bad one is kept"
    );
}

#[test]
fn a_database_moved_with_its_artifacts_finds_them_and_without_them_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("mlflow.db");
    fs::copy(fixtures().join("mlflow.db"), &db).unwrap();
    // As if written on another machine: the recorded paths exist nowhere here.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(
        "UPDATE runs SET artifact_uri = '/elsewhere/team' || \
         substr(artifact_uri, instr(artifact_uri, '/mlartifacts/'))",
    )
    .unwrap();
    drop(conn);

    copy_tree(
        &fixtures().join("mlartifacts"),
        &dir.path().join("mlartifacts"),
    );
    let moved = read(&[&db]).archive;
    assert_eq!(messages(&moved), Vec::<String>::new());
    let baseline = moved.runs.iter().find(|r| r.name == "baseline").unwrap();
    assert_eq!(baseline.artifacts.len(), 5, "found beside the database");

    fs::remove_dir_all(dir.path().join("mlartifacts")).unwrap();
    let report = read(&[&db]);
    let archive = &report.archive;
    assert_eq!(
        archive.runs.len(),
        active_runs("sqlite"),
        "every run is still read"
    );
    assert!(archive.runs.iter().all(|r| r.artifacts.is_empty()));
    let warnings = messages(archive);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("mlflow.db")
            && warnings[0].contains("mlartifacts/")
            && warnings[0].contains("artifact store"),
        "{warnings:?}"
    );
    // The registry does not depend on the artifacts.
    assert_eq!(archive.models.len(), 1);
}

#[test]
fn artifacts_beyond_the_budget_are_listed_without_content() {
    let mut options = ReadOptions::default();
    let read_with_budget = |options: &ReadOptions| {
        read_sources(&[fixtures().join("mlflow.db")], options)
            .unwrap()
            .archive
    };
    let full = read_with_budget(&options);
    let embedded: u64 = full
        .runs
        .iter()
        .flat_map(|r| &r.artifacts)
        .filter_map(|a| a.content.as_ref())
        .map(|c| c.bytes.len() as u64)
        .sum();
    assert!(embedded > 0, "the fixture has small artifacts to embed");
    // One byte short of all: the first files fit, the rest are listed only.
    options.max_artifact_bytes = embedded - 1;
    let tight = read_with_budget(&options);
    let listed = |a: &Archive| a.runs.iter().map(|r| r.artifacts.len()).sum::<usize>();
    assert_eq!(listed(&tight), listed(&full));
    let tight_embedded: u64 = tight
        .runs
        .iter()
        .flat_map(|r| &r.artifacts)
        .filter_map(|a| a.content.as_ref())
        .map(|c| c.bytes.len() as u64)
        .sum();
    assert!(tight_embedded < embedded && tight_embedded <= options.max_artifact_bytes);
    options.max_artifact_bytes = 0;
    let none = read_with_budget(&options);
    assert_eq!(listed(&none), listed(&full));
    assert!(
        none.runs
            .iter()
            .flat_map(|r| &r.artifacts)
            .all(|a| a.content.is_none())
    );
}
