//! The trackio reader on databases made here with rusqlite: value conversion, config keys,
//! alerts, older schemas without run ids, and what it claims. The real files written by
//! `trackio` are tested in `tests/trackio.rs`.

use std::path::Path;

use runlens_core::{ParamValue, Run, RunStatus};
use serde_json::{Value, json};

use super::TrackioReader;
use super::values::{self, Alert, Logged};
use crate::reader::{Entry, EntryKind, ReadOutput, Reader};

#[test]
fn metric_values_numbers_non_finite_strings_and_media() {
    assert_eq!(values::logged(&json!(0.5)), Logged::Number(0.5));
    assert_eq!(values::logged(&json!(3)), Logged::Number(3.0));
    assert!(matches!(values::logged(&json!("NaN")), Logged::Number(v) if v.is_nan()));
    assert_eq!(
        values::logged(&json!("-Infinity")),
        Logged::Number(f64::NEG_INFINITY)
    );
    assert_eq!(values::logged(&json!("nan")), Logged::Other);
    assert_eq!(values::logged(&json!(true)), Logged::Other);
    let image = json!({"_type": "trackio.image", "file_path": "p/r/1/a.png", "caption": null});
    assert_eq!(values::logged(&image), Logged::Media("p/r/1/a.png"));
    let histogram = json!({"_type": "trackio.histogram", "bins": [0, 1], "values": [2]});
    assert_eq!(values::logged(&histogram), Logged::Other);
}

#[test]
fn config_reserved_keys_and_nested_params() {
    let mut run = Run::default();
    let Value::Object(config) = json!({
        "lr": 1e-5, "layers": [64, 32], "opt": {"name": "adam", "beta": 0.9},
        "amp": true, "seed": 7, "note": null, "label": "0.5",
        "_Group": "g", "_Created": "2023-11-14T22:13:20+00:00", "_Username": "ann",
        "_Internal": 1
    }) else {
        unreachable!()
    };
    values::apply_config(&mut run, config);
    assert_eq!(run.group.as_deref(), Some("g"));
    assert_eq!(run.start_time, Some(1_700_000_000.0));
    assert_eq!(run.tags[values::USER_TAG], "ann");
    let keys: Vec<&str> = run.params.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "amp", "label", "layers", "lr", "opt.beta", "opt.name", "seed"
        ]
    );
    assert_eq!(run.params["lr"], ParamValue::Float(1e-5));
    assert_eq!(run.params["layers"], ParamValue::Text("[64,32]".into()));
    assert_eq!(run.params["label"], ParamValue::Text("0.5".into()));
    assert_eq!(run.params["seed"], ParamValue::Int(7));
    assert_eq!(run.params["amp"], ParamValue::Bool(true));
}

#[test]
fn alerts_are_a_markdown_list_on_one_line_each() {
    let alerts = [
        Alert {
            level: "error".into(),
            title: "diverged".into(),
            text: Some("loss\nexploded".into()),
            step: Some(2),
            timestamp: None,
        },
        Alert {
            level: "info".into(),
            title: "note".into(),
            text: None,
            step: None,
            timestamp: Some("2023-11-14T22:13:20+00:00".into()),
        },
    ];
    assert!(alerts[0].is_error() && !alerts[1].is_error());
    assert_eq!(
        values::alerts_markdown(&alerts),
        "**trackio alerts**\n\n- **ERROR** diverged: loss exploded (step 2)\n- **INFO** note (2023-11-14T22:13:20+00:00)\n"
    );
}

/// A database of an older trackio: no run ids, runs keyed by name; configs as TEXT.
fn legacy_db(path: &Path) {
    let conn = rusqlite::Connection::open(path).expect("open");
    conn.execute_batch(
        "CREATE TABLE metrics (id INTEGER PRIMARY KEY, timestamp TEXT, run_name TEXT, step INTEGER, metrics TEXT);
         CREATE TABLE configs (id INTEGER PRIMARY KEY, run_name TEXT, config TEXT, created_at TEXT);
         CREATE TABLE alerts (id INTEGER PRIMARY KEY, timestamp TEXT, run_name TEXT, title TEXT, text TEXT, level TEXT, step INTEGER);
         INSERT INTO configs VALUES (1, 'a', '{\"lr\": 0.1, \"_Group\": \"g\"}', '2023-11-14T22:13:20+00:00');
         INSERT INTO metrics VALUES (1, '2023-11-14T22:13:21+00:00', 'a', 0, '{\"loss\": 1.0}');
         INSERT INTO metrics VALUES (2, '2023-11-14T22:13:22+00:00', 'a', 1, '{\"loss\": \"Infinity\"}');
         INSERT INTO metrics VALUES (3, '2023-11-14T22:13:22+00:00', 'b', 0, '[1, 2]');
         INSERT INTO metrics VALUES (4, '2023-11-14T22:13:22+00:00', 'b', NULL, '{\"loss\": 2}');
         INSERT INTO metrics VALUES (5, '2023-11-14T22:13:22+00:00', 'b', 2, '{\"loss\": 3}');
         INSERT INTO alerts VALUES (1, '2023-11-14T22:13:22+00:00', 'a', 'boom', NULL, 'ERROR', 1);",
    )
    .expect("schema");
}

#[test]
fn an_older_schema_keys_runs_by_name_and_bad_rows_are_warnings() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("proj.db");
    legacy_db(&path);
    let mut out = ReadOutput::new(&path, 20);
    TrackioReader.read(&path, &mut out).expect("read");
    let (runs, warnings) = out.into_parts();
    let ids: Vec<&str> = runs.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["a", "b"]);
    let a = &runs[0];
    assert_eq!(a.experiment.as_deref(), Some("proj"));
    assert_eq!(a.group.as_deref(), Some("g"));
    assert_eq!(a.status, RunStatus::Failed);
    assert_eq!(a.metrics["loss"].values, [1.0, f64::INFINITY]);
    assert_eq!(a.metrics["loss"].times.as_ref().map(Vec::len), Some(2));
    assert_eq!(runs[1].metrics["loss"].values, [3.0]);
    let text: Vec<String> = warnings
        .iter()
        .map(|w| {
            w.to_string()
                .replacen(&format!("{}/", dir.path().display()), "", 1)
        })
        .collect();
    assert_eq!(text.len(), 2, "{text:?}");
    assert!(text[0].starts_with(
        "proj.db:3: metrics row 3 (run b, step 0): the metrics are not a JSON object"
    ));
    assert_eq!(
        text[1],
        "proj.db:4: metrics row 4 (run b): no whole step; row skipped"
    );
}

#[test]
fn claims_trackio_databases_and_pure_trackio_folders_only() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("trackio");
    std::fs::create_dir_all(root.join("media")).expect("mkdir");
    let db = root.join("proj.db");
    legacy_db(&db);
    std::fs::write(root.join("proj.lock"), b"").expect("lock");
    let file = |p: &Path| TrackioReader.claims(&Entry::new(p, EntryKind::File));
    let folder = |p: &Path| TrackioReader.claims(&Entry::new(p, EntryKind::Dir));
    assert!(file(&db));
    assert!(folder(&root));
    // Another SQLite database is not trackio's, nor is a text file.
    let other = dir.path().join("other.db");
    rusqlite::Connection::open(&other)
        .and_then(|c| {
            c.execute_batch(
                "CREATE TABLE metrics (key TEXT, value REAL); CREATE TABLE configs (x);",
            )
        })
        .expect("other db");
    assert!(!file(&other));
    std::fs::write(dir.path().join("notes.db"), b"not sqlite").expect("write");
    assert!(!file(&dir.path().join("notes.db")));
    // A folder with something else in it is left to the walk.
    std::fs::write(root.join("train.jsonl"), b"{}\n").expect("write");
    assert!(!folder(&root));
    assert!(!folder(dir.path()));
}

#[test]
fn rows_with_other_key_orders_repeated_keys_and_text_values_read_like_json_maps() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("proj.db");
    let conn = rusqlite::Connection::open(&path).expect("open");
    conn.execute_batch(
        "CREATE TABLE metrics (id INTEGER PRIMARY KEY, timestamp TEXT, run_name TEXT, step INTEGER, metrics TEXT);
         CREATE TABLE configs (id INTEGER PRIMARY KEY, run_name TEXT, config TEXT, created_at TEXT);
         INSERT INTO metrics VALUES (1, '2023-11-14T22:13:21+00:00', 'a', 0, '{\"loss\":1.0,\"acc\":0.5}');
         INSERT INTO metrics VALUES (2, '2023-11-14T22:13:21+00:00', 'a', 1, '{\"acc\":0.6,\"loss\":0.9}');
         INSERT INTO metrics VALUES (3, '2023-11-14T22:13:22+00:00', 'a', 2, '{\"loss\":0.8,\"loss\":0.7,\"note\":\"x\"}');
         INSERT INTO metrics VALUES (4, '2023-11-14T22:13:23+00:00', 'a', 3, '{\"note\":1,\"note\":\"text\"}');
         INSERT INTO metrics VALUES (5, '2023-11-14T22:13:24+00:00', 'a', 4, '{ \"loss\" : 0.5 , \"acc\":\"NaN\"}');",
    )
    .expect("schema");
    drop(conn);
    let mut out = ReadOutput::new(&path, 20);
    TrackioReader.read(&path, &mut out).expect("read");
    let (runs, warnings) = out.into_parts();
    assert!(warnings.is_empty(), "{warnings:?}");
    let a = &runs[0];
    let keys: Vec<&String> = a.metrics.keys().collect();
    assert_eq!(keys, ["acc", "loss"], "a key with only text is no metric");
    assert_eq!(a.metrics["loss"].steps, [0, 1, 2, 4]);
    assert_eq!(
        a.metrics["loss"].values,
        [1.0, 0.9, 0.7, 0.5],
        "the last of a repeated key"
    );
    assert_eq!(a.metrics["acc"].steps, [0, 1, 4]);
    assert!(a.metrics["acc"].values[2].is_nan());
    let times = a.metrics["loss"].times.as_ref().expect("times");
    assert_eq!(times[0], times[1], "rows flushed together share their time");
    assert!(times[2] > times[1]);
}
