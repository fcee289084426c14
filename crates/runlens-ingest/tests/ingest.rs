//! Integration tests of `read_sources`: the bundled examples, damaged input named by file
//! and line, and the directory walk (hidden entries, merging, directory readers, errors).

use std::fs;
use std::path::{Path, PathBuf};

use runlens_core::{Archive, ParamValue, Run, RunStatus};
use runlens_ingest::{
    Entry, EntryKind, IngestError, ReadError, ReadOptions, ReadOutput, ReadReport, Reader,
    read_sources, read_sources_with, readers,
};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn read(sources: &[&Path]) -> ReadReport {
    let sources: Vec<PathBuf> = sources.iter().map(|p| p.to_path_buf()).collect();
    read_sources(&sources, &ReadOptions::default()).expect("sources exist")
}

fn run<'a>(archive: &'a Archive, source: &str, id: &str) -> &'a Run {
    archive
        .runs
        .iter()
        .find(|r| r.source == source && r.id == id)
        .unwrap_or_else(|| panic!("no {source} run {id}"))
}

/// Warnings as `file:line: message` with the directory `dir` left out.
fn warnings(archive: &Archive, dir: &Path) -> Vec<String> {
    let prefix = format!("{}/", dir.display());
    archive
        .warnings
        .iter()
        .map(|w| w.to_string().replacen(&prefix, "", 1))
        .collect()
}

#[test]
fn the_plain_sweep_examples_are_read_completely() {
    let report = read(&[&examples()]);
    let archive = &report.archive;
    assert_eq!(archive.warnings, [], "the examples are clean");
    let count = |source: &str| archive.runs.iter().filter(|r| r.source == source).count();
    assert_eq!(
        (count("jsonl"), count("csv"), count("metrics-csv")),
        (12, 10, 3)
    );
    assert!(report.files_read >= 3);
    assert!(
        report
            .unrecognized
            .iter()
            .any(|p| p.ends_with("make_plain_sweep.py"))
    );

    let best = run(archive, "jsonl", "lr0.003-adam-s0");
    assert_eq!(best.experiment.as_deref(), Some("cifar10-resnet"));
    assert_eq!(best.group.as_deref(), Some("sweep-1"));
    assert_eq!(
        best.status,
        RunStatus::Finished,
        "the closing run record wins"
    );
    assert_eq!(
        best.start_time,
        Some(1_700_014_400.0),
        "2023-11-15T02:13:20Z"
    );
    assert!(best.end_time.unwrap() > best.start_time.unwrap());
    assert_eq!(best.params["lr"], ParamValue::Float(0.003));
    assert_eq!(best.params["optimizer"], ParamValue::Text("adam".into()));
    assert_eq!(best.params["seed"], ParamValue::Int(0));
    assert_eq!(best.params["augment"], ParamValue::Bool(true));
    assert_eq!(
        best.params["scheduler.name"],
        ParamValue::Text("cosine".into())
    );
    assert_eq!(best.params["scheduler.warmup_steps"], ParamValue::Int(5));
    assert_eq!(best.tags["git_commit"], "3e7a1c9");
    let loss = &best.metrics["train/loss"];
    assert_eq!(loss.len(), 76);
    assert_eq!((loss.steps[0], loss.steps[75]), (0, 150));
    assert!(loss.times.as_ref().unwrap().iter().all(|t| t.is_finite()));
    let acc = &best.metrics["val/acc"];
    assert_eq!(acc.len(), 16);
    assert!(acc.summary().unwrap().last > 0.9);

    let diverged = run(archive, "jsonl", "lr0.01-adam-s1");
    assert_eq!(diverged.status, RunStatus::Failed);
    let loss = &diverged.metrics["train/loss"];
    assert_eq!(loss.steps.last(), Some(&46));
    assert_eq!(loss.values[20], f64::INFINITY, "step 40");
    assert!(loss.values.last().unwrap().is_nan());
    assert!(diverged.metrics["val/loss"].values.last().unwrap().is_nan());

    let running = run(archive, "jsonl", "lr0.003-sgd-s1");
    assert_eq!(running.status, RunStatus::Running);
    assert_eq!(running.end_time, None);
    assert_eq!(running.metrics["train/loss"].steps.last(), Some(&80));

    let failed = run(archive, "csv", "v0-04");
    assert_eq!(failed.name, "adam-lr0.1-wd0.0005");
    assert_eq!(failed.experiment.as_deref(), Some("cifar10-resnet-v0"));
    assert_eq!(failed.status, RunStatus::Failed);
    assert_eq!(failed.params["batch_size"], ParamValue::Int(256));
    assert_eq!(failed.metrics["train/loss"].values, [f64::INFINITY]);
    assert!(failed.metrics["val/loss"].values[0].is_nan());
    assert!(
        !failed.metrics.contains_key("val/acc"),
        "an empty cell is no point"
    );
    assert_eq!(failed.tags["note"], "diverged at epoch 3");
    assert_eq!(
        run(archive, "csv", "v0-01").tags["note"],
        "baseline, no augmentation"
    );

    let tune = run(archive, "metrics-csv", "ft-vit-b16-lr2e-5");
    assert_eq!(tune.experiment.as_deref(), Some("vit-finetune"));
    assert_eq!(tune.metrics["train/loss"].len(), 41);
    assert_eq!(
        tune.metrics["eval/f1"].steps,
        [0, 25, 50, 75, 100, 125, 150, 175, 200]
    );
    assert!(tune.metrics["eval/f1"].times.is_some());
}

#[test]
fn damaged_files_are_named_by_line_and_everything_else_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(
        d.join("damaged.jsonl"),
        concat!(
            "{\"type\":\"run\",\"run\":\"half\",\"status\":\"running\"}\n",
            "{\"type\":\"metrics\",\"run\":\"half\",\"step\":0,\"values\":{\"loss\":2.0}}\n",
            "{\"type\":\"metrics\",\"run\":\"half\",\"step\":1,\"values\":{\"loss\":1.5}\n",
            "this is not json\n",
            "{\"type\":\"metrics\",\"run\":\"half\",\"step\":3,\"values\":{\"loss\":1.0}}\n",
            "{\"type\":\"metrics\",\"run\":\"half\",\"st",
        ),
    )
    .unwrap();
    fs::write(d.join("no-value.csv"), "run,step,key\nr1,0,loss\n").unwrap();
    fs::write(
        d.join("bad-number.csv"),
        "run_id,params.lr,metrics.acc\na,0.1,0.9\nb,0.2,ninety\nc,0.3,0.7\n",
    )
    .unwrap();
    fs::write(
        d.join("points.csv"),
        "run,step,key,value\np,0,loss,1.0\np,1,loss,one\np,2,loss,0.5\n",
    )
    .unwrap();
    let report = read(&[d]);
    let archive = &report.archive;
    assert_eq!(
        warnings(archive, d),
        [
            "bad-number.csv:3: metric `acc`: `ninety` is not a number; cell skipped",
            "damaged.jsonl:3: malformed JSON: EOF while parsing an object at column 61; line skipped",
            "damaged.jsonl:4: not a JSON object (the line does not start with `{`); line skipped",
            "damaged.jsonl:6: truncated record: the file ends before the JSON object is complete (EOF while parsing a string at column 34); line skipped",
            "no-value.csv: long-form metrics file without a `value` column (it needs run, step, key, value); file skipped",
            "points.csv:3: value `one` is not a number; row skipped",
        ]
    );
    assert_eq!(report.files_read, 4);
    let half = run(archive, "jsonl", "half");
    assert_eq!(half.status, RunStatus::Running);
    assert_eq!(half.metrics["loss"].steps, [0, 3]);
    assert_eq!(half.metrics["loss"].values, [2.0, 1.0]);
    let ids: Vec<&str> = archive.runs.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        ["a", "b", "c", "half", "p"],
        "sorted by source, experiment, id"
    );
    let b = run(archive, "csv", "b");
    assert_eq!(b.params["lr"], ParamValue::Float(0.2));
    assert!(b.metrics.is_empty());
    assert_eq!(run(archive, "csv", "c").metrics["acc"].values, [0.7]);
    assert_eq!(
        run(archive, "metrics-csv", "p").metrics["loss"].steps,
        [0, 2]
    );
}

#[test]
fn a_missing_source_is_an_error_naming_it() {
    let missing = PathBuf::from("/definitely/not/here");
    let error = read_sources(&[examples(), missing.clone()], &ReadOptions::default())
        .expect_err("missing source");
    let IngestError::Source { path, .. } = &error else {
        panic!("not a source error: {error}");
    };
    assert_eq!(path, &missing);
    assert_eq!(error.to_string(), "cannot open source /definitely/not/here");
}

#[test]
fn the_walk_skips_hidden_and_build_folders_and_lists_the_unrecognized() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let line = "{\"type\":\"metrics\",\"run\":\"r\",\"step\":0,\"values\":{\"x\":1}}\n";
    for sub in [".git", "target", "node_modules", "runs/a"] {
        fs::create_dir_all(d.join(sub)).unwrap();
        fs::write(d.join(sub).join("log.jsonl"), line).unwrap();
    }
    fs::write(d.join(".hidden.jsonl"), line).unwrap();
    fs::write(d.join("notes.txt"), "hello").unwrap();
    fs::write(d.join("iris.csv"), "sepal,species\n1,a\n").unwrap();
    let report = read(&[d]);
    assert_eq!(report.files_read, 1);
    assert_eq!(report.archive.runs.len(), 1);
    let unrecognized: Vec<&Path> = report
        .unrecognized
        .iter()
        .map(|p| p.strip_prefix(d).unwrap())
        .collect();
    assert_eq!(
        unrecognized,
        [Path::new("iris.csv"), Path::new("notes.txt")]
    );
    assert_eq!(report.archive.warnings, []);

    // Named explicitly, a data-set CSV is read as a runs table and an unknown file is a warning.
    let report = read(&[&d.join("iris.csv"), &d.join("notes.txt")]);
    assert_eq!(report.archive.runs.len(), 1);
    assert_eq!(
        warnings(&report.archive, d),
        ["notes.txt: not a run log runlens recognizes (see docs/input-formats.md); file skipped"]
    );
}

#[test]
fn a_run_split_over_files_is_merged_and_a_file_named_twice_is_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(
        d.join("part1.jsonl"),
        "{\"type\":\"run\",\"run\":\"r\",\"name\":\"nice\"}\n{\"type\":\"params\",\"run\":\"r\",\"params\":{\"lr\":0.1}}\n{\"type\":\"metrics\",\"run\":\"r\",\"step\":0,\"values\":{\"loss\":1}}\n",
    )
    .unwrap();
    fs::write(
        d.join("part2.jsonl"),
        "{\"type\":\"run\",\"run\":\"r\",\"status\":\"finished\"}\n{\"type\":\"params\",\"run\":\"r\",\"params\":{\"seed\":3}}\n{\"type\":\"metrics\",\"run\":\"r\",\"step\":1,\"values\":{\"loss\":0.5}}\n",
    )
    .unwrap();
    let report = read(&[d, &d.join("part1.jsonl")]);
    assert_eq!(report.files_read, 2);
    let archive = &report.archive;
    assert_eq!(archive.runs.len(), 1);
    let r = &archive.runs[0];
    assert_eq!((r.name.as_str(), r.status), ("nice", RunStatus::Finished));
    assert_eq!(r.params.len(), 2);
    assert_eq!(r.metrics["loss"].steps, [0, 1]);
}

/// A stand-in for a directory format (like an MLflow `mlruns/`): claims folders holding a
/// `meta.txt`, makes one run per folder, and fails on a folder whose meta is `broken`.
struct FolderReader;

impl Reader for FolderReader {
    fn name(&self) -> &'static str {
        "folder"
    }

    fn claims(&self, entry: &Entry<'_>) -> bool {
        entry.kind() == EntryKind::Dir && entry.path().join("meta.txt").is_file()
    }

    fn read(&self, path: &Path, out: &mut ReadOutput) -> Result<(), ReadError> {
        let meta = path.join("meta.txt");
        let text = fs::read_to_string(&meta).map_err(|e| ReadError::io(&meta, e))?;
        if text.trim() == "broken" {
            return Err(ReadError::invalid(&meta, "meta says broken"));
        }
        let id = path.file_name().unwrap().to_string_lossy().into_owned();
        out.add_run(Run {
            name: id.clone(),
            id,
            ..Run::default()
        });
        Ok(())
    }
}

#[test]
fn directory_readers_own_their_subtree_and_their_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (name, meta) in [("good", "ok"), ("bad", "broken")] {
        fs::create_dir_all(d.join(name).join("inner")).unwrap();
        fs::write(d.join(name).join("meta.txt"), meta).unwrap();
        // Inside a claimed folder, even a JSONL file is the folder reader's business.
        fs::write(d.join(name).join("inner/x.jsonl"), "garbage\n").unwrap();
    }
    let mut all = vec![Box::new(FolderReader) as Box<dyn Reader>];
    all.extend(readers());
    let report = read_sources_with(&[d.to_path_buf()], &ReadOptions::default(), &all).unwrap();
    assert_eq!(report.files_read, 2);
    let ids: Vec<(&str, &str)> = report
        .archive
        .runs
        .iter()
        .map(|r| (r.source.as_str(), r.id.as_str()))
        .collect();
    assert_eq!(ids, [("folder", "good")]);
    assert_eq!(
        warnings(&report.archive, d),
        ["bad/meta.txt: meta says broken; file skipped"]
    );
    assert!(report.unrecognized.is_empty(), "{:?}", report.unrecognized);
}

#[cfg(unix)]
#[test]
fn symlinks_are_followed_and_a_loop_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::create_dir(d.join("runs")).unwrap();
    fs::write(
        d.join("runs/log.jsonl"),
        "{\"type\":\"metrics\",\"run\":\"r\",\"values\":{\"x\":1}}\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(d, d.join("runs/loop")).unwrap();
    std::os::unix::fs::symlink(d.join("nowhere"), d.join("dangling.jsonl")).unwrap();
    let report = read(&[d]);
    assert_eq!(report.archive.runs.len(), 1);
    assert_eq!(report.archive.runs[0].metrics["x"].len(), 1, "read once");
    let loop_warning = format!(
        "{}: a symbolic link loop: it leads back to {}, which contains it; not followed",
        d.join("runs/loop").display(),
        d.display()
    );
    let warnings: Vec<String> = report
        .archive
        .warnings
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(warnings, [loop_warning]);
    assert!(
        report
            .unrecognized
            .iter()
            .any(|p| p.ends_with("dangling.jsonl"))
    );
}
