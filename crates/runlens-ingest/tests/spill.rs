//! Streamed reads: with `ReadOptions::spill_dir` the metric points go to a temporary file
//! as each input is read, and the bundle encoded from it must be byte for byte the one
//! encoded from the same read held in memory — over every format's fixture, runs split
//! over two JSONL files, non-finite values, and a run whose long metric key is cut.

use std::fs;
use std::path::{Path, PathBuf};

use runlens_core::bundle;
use runlens_ingest::{ReadOptions, ReadReport, read_sources};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

/// Two JSONL files: run `split` is in both (points out of order, times in one file only,
/// NaN and infinities), `long` has a metric key over the name limit, `empty` a key with no
/// point.
fn write_jsonl(dir: &Path) {
    let first = [
        r#"{"type":"run","run":"split","name":"split run","status":"running"}"#,
        r#"{"type":"params","run":"split","params":{"lr":0.1}}"#,
        r#"{"type":"metrics","run":"split","step":5,"values":{"loss":0.5,"acc":NaN}}"#,
        r#"{"type":"metrics","run":"split","step":1,"values":{"loss":Infinity,"acc":0.25}}"#,
        r#"{"type":"metrics","run":"split","step":3,"values":{"loss":-Infinity}}"#,
        r#"{"type":"run","run":"empty","name":"no points"}"#,
        r#"{"type":"metrics","run":"empty","values":{}}"#,
    ];
    let long_key = "k".repeat(2000);
    let second = [
        r#"{"type":"run","run":"split","status":"finished"}"#.to_string(),
        r#"{"type":"metrics","run":"split","step":2,"time":1700000000.5,"values":{"loss":0.75,"acc":0.5}}"#.to_string(),
        r#"{"type":"metrics","run":"split","step":5,"time":1700000001.25,"values":{"loss":0.4}}"#.to_string(),
        format!(r#"{{"type":"metrics","run":"long","step":0,"values":{{"{long_key}a":1.0,"{long_key}b":2.0,"short":3.0}}}}"#),
        r#"{"type":"metrics","run":"long","step":1,"values":{"short":NaN}}"#.to_string(),
    ];
    fs::write(dir.join("a.jsonl"), first.join("\n") + "\n").unwrap();
    fs::write(dir.join("b.jsonl"), second.join("\n") + "\n").unwrap();
}

fn read(sources: &[PathBuf], spill: Option<&Path>) -> ReadReport {
    read_every(sources, spill, ReadOptions::default().spill_points)
}

/// A read whose readers spill every `spill_points` points they hold.
fn read_every(sources: &[PathBuf], spill: Option<&Path>, spill_points: usize) -> ReadReport {
    let mut options = ReadOptions::default();
    options.spill_dir = spill.map(Path::to_path_buf);
    options.spill_points = spill_points;
    read_sources(sources, &options).unwrap()
}

#[test]
fn a_streamed_read_encodes_the_same_bundle_as_one_held_in_memory() {
    // Spilled once per input, and many times within each JSONL file.
    for spill_points in [ReadOptions::default().spill_points, 2] {
        streamed_read_matches(spill_points);
    }
}

fn streamed_read_matches(spill_points: usize) {
    let logs = tempfile::tempdir().unwrap();
    write_jsonl(logs.path());
    let spill_dir = tempfile::tempdir().unwrap();
    let fixtures = fixtures();
    let sources = vec![
        logs.path().to_path_buf(),
        fixtures.join("mlflow"),
        fixtures.join("tensorboard/logdir"),
        fixtures.join("wandb"),
        fixtures.join("trackio"),
    ];
    let held = read(&sources, None);
    let streamed = read_every(&sources, Some(spill_dir.path()), spill_points);

    let points = held.archive.point_count();
    assert!(points > 1000, "the fixtures hold {points} points");
    assert_eq!(held.point_count(), points);
    assert_eq!(streamed.point_count(), points);
    // The points really left memory: only the run whose long key is cut holds its own.
    assert!(streamed.spilled.point_count() > points - 10);
    let held_by_runs: Vec<&str> = streamed
        .archive
        .runs
        .iter()
        .filter(|r| !r.metrics.is_empty())
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(held_by_runs, ["long"]);
    for source in ["jsonl", "mlflow", "tensorboard", "wandb", "trackio"] {
        assert!(
            held.archive.runs.iter().any(|r| r.source == source),
            "no {source} run read"
        );
    }

    for chunk_points in [bundle::DEFAULT_CHUNK_POINTS, 7] {
        let expected = bundle::encode(&held.archive, "t", chunk_points);
        let got =
            bundle::encode_with(&streamed.archive, &streamed.series(), "t", chunk_points).unwrap();
        assert_eq!(got, expected, "chunk size {chunk_points}");
        // And the in-memory report encodes the same through its own series.
        let again = bundle::encode_with(&held.archive, &held.series(), "t", chunk_points).unwrap();
        assert_eq!(again, expected);
    }

    // The split run came back merged, sorted by step, non-finite values and all.
    let decoded = bundle::decode(
        &bundle::encode_with(&streamed.archive, &streamed.series(), "t", 64).unwrap(),
    )
    .unwrap();
    let split = decoded.runs.iter().find(|r| r.id == "split").unwrap();
    let loss = &split.metrics["loss"];
    assert_eq!(loss.steps, [1, 2, 3, 5, 5]);
    assert_eq!(loss.values[0], f64::INFINITY);
    assert_eq!(loss.values[2], f64::NEG_INFINITY);
    assert_eq!(&loss.values[3..], [0.5, 0.4]);
    assert_eq!(split.status, runlens_core::RunStatus::Running);
    let long = decoded.runs.iter().find(|r| r.id == "long").unwrap();
    assert_eq!(long.metrics.len(), 3, "{:?}", long.metrics.keys());
}

#[test]
fn a_spill_directory_that_cannot_hold_the_file_keeps_the_points_in_memory() {
    let logs = tempfile::tempdir().unwrap();
    write_jsonl(logs.path());
    let sources = vec![logs.path().to_path_buf()];
    let missing = logs.path().join("no such directory");
    let streamed = read(&sources, Some(&missing));
    let note = streamed.spilled.note().expect("a note about the spill");
    assert!(note.contains("no such directory"), "{note}");
    assert_eq!(streamed.spilled.point_count(), 0);
    assert!(streamed.archive.point_count() > 10);
    let held = read(&sources, None);
    // (Archives with NaN points never compare equal; their bundles do.)
    assert_eq!(
        bundle::encode(&streamed.archive, "t", 64),
        bundle::encode(&held.archive, "t", 64)
    );
}
