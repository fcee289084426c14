//! The DVCLive reader on folders written here: what it claims, how runs are named, and
//! summary values. The real files written by `dvclive` are tested in `tests/dvclive.rs`.

use std::fs;
use std::path::Path;

use runlens_core::RunStatus;

use super::{DvcliveReader, identity};
use crate::reader::{Entry, EntryKind, ReadOutput, Reader};

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(path, text).expect("write");
}

/// A Live folder at `dir` with a short history and a summary.
fn live(dir: &Path) {
    write(&dir.join("params.yaml"), "lr: 0.1\n");
    write(
        &dir.join("metrics.json"),
        "{\"loss\": 0.5, \"step\": 1, \"best\": {\"loss\": 0.4}, \"status\": \"Success\"}",
    );
    write(
        &dir.join("plots/metrics/loss.tsv"),
        "step\tloss\n0\t1.0\n1\t0.5\n",
    );
}

#[test]
fn claims_live_folders_and_dvc_yaml_only() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = dir.path().join("runs/a");
    live(&run);
    let folder = |p: &Path| DvcliveReader.claims(&Entry::new(p, EntryKind::Dir));
    let file = |p: &Path| DvcliveReader.claims(&Entry::new(p, EntryKind::File));
    assert!(folder(&run));
    assert!(!folder(&dir.path().join("runs")));
    assert!(!folder(&run.join("plots")));
    // plots/metrics alone, or the summary files alone, are not enough.
    let bare = dir.path().join("bare");
    write(&bare.join("plots/metrics/loss.tsv"), "step\tloss\n");
    assert!(!folder(&bare));
    write(&bare.join("params.yaml"), "lr: 1\n");
    assert!(folder(&bare), "params.yaml next to plots/metrics");
    let summaries = dir.path().join("summaries");
    write(&summaries.join("params.yaml"), "lr: 1\n");
    write(&summaries.join("metrics.json"), "{}");
    assert!(!folder(&summaries));
    write(&dir.path().join("dvc.yaml"), "stages: {}\n");
    assert!(file(&dir.path().join("dvc.yaml")));
    assert!(!file(&run.join("metrics.json")));
    assert!(!file(&run.join("plots/metrics/loss.tsv")));
}

#[test]
fn runs_are_named_within_their_project() {
    let dir = tempfile::tempdir().expect("temp dir");
    let project = dir.path().join("proj");
    live(&project.join("runs/a"));
    live(&project.join("dvclive"));
    write(
        &project.join("dvc.yaml"),
        "metrics:\n- runs/a/metrics.json\n",
    );
    let a = identity(&project.join("runs/a"));
    assert_eq!(
        (a.id.as_str(), a.experiment.as_deref()),
        ("runs/a", Some("proj"))
    );
    let default = identity(&project.join("dvclive"));
    assert_eq!(default.id, "dvclive");
    assert_eq!(default.name, "dvclive");
    // Without a dvc.yaml: the folder above names the experiment.
    let loose = dir.path().join("sweep/b");
    live(&loose);
    let b = identity(&loose);
    assert_eq!(
        (b.id.as_str(), b.experiment.as_deref()),
        ("b", Some("sweep"))
    );
    // The top of a git work tree ends the search for a dvc.yaml.
    let repo = dir.path().join("proj/repo");
    fs::create_dir_all(repo.join(".git")).expect("mkdir");
    live(&repo.join("live"));
    let c = identity(&repo.join("live"));
    assert_eq!(
        (c.id.as_str(), c.experiment.as_deref()),
        ("live", Some("repo"))
    );
}

#[test]
fn summary_values_without_history_are_points_at_the_last_step() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = dir.path().join("proj/dvclive");
    live(&run);
    let mut out = ReadOutput::new(&run, 20);
    DvcliveReader.read(&run, &mut out).expect("read");
    let (runs, warnings) = out.into_parts();
    assert!(warnings.is_empty(), "{warnings:?}");
    let [run] = runs.as_slice() else {
        panic!("one run, got {runs:?}")
    };
    assert_eq!(run.status, RunStatus::Finished);
    assert_eq!(run.metrics["loss"].values, [1.0, 0.5]);
    assert_eq!(run.metrics["best/loss"].steps, [1]);
    assert_eq!(run.metrics["best/loss"].values, [0.4]);
    assert!(run.start_time.is_none() && run.end_time.is_none());
}

#[test]
fn an_unknown_status_is_a_warning_naming_metrics_json() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = dir.path().join("dvclive");
    live(&run);
    write(&run.join("metrics.json"), "{\"status\": \"exploded\"}");
    let mut out = ReadOutput::new(&run, 20);
    DvcliveReader.read(&run, &mut out).expect("read");
    let (runs, warnings) = out.into_parts();
    assert_eq!(runs[0].status, RunStatus::Unknown);
    assert_eq!(warnings.len(), 1);
    assert_eq!(
        warnings[0].path,
        run.join("metrics.json").display().to_string()
    );
    assert!(warnings[0].message.starts_with("status \"exploded\""));
}

#[test]
fn a_dvc_yaml_outside_git_reads_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let yaml = dir.path().join("dvc.yaml");
    write(&yaml, "metrics:\n- dvclive/metrics.json\n");
    let mut out = ReadOutput::new(&yaml, 20);
    DvcliveReader.read(&yaml, &mut out).expect("read");
    let (runs, warnings) = out.into_parts();
    assert!(runs.is_empty() && warnings.is_empty());
}
