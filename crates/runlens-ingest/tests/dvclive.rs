//! The DVCLive reader against what the real `dvclive` package was told to log: every run of
//! the fixture (Live folders side by side under one dvc.yaml, and a git + DVC repository
//! whose experiments are commits under `refs/exps/`) must match the `expected.json` that
//! `examples/make_dvclive_fixtures.py` wrote while logging. The fixture Python
//! (`RUNLENS_FIXTURE_PYTHON`, else `.venv-fixtures/`) also writes fresh fixtures, checked
//! the same way. Damaged-input and discovery tests start from the committed files.
//!
//! The committed repository keeps its git directory as `repo/dot-git` (git cannot store a
//! nested `.git`); [`copy_fixture`] copies the fixture and renames it back.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use runlens_core::{Archive, ArtifactKind, ParamValue, Run, RunStatus};
use runlens_ingest::{DVC_TAG_PREFIX, ReadOptions, read_sources};
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/dvclive")
}

fn read(paths: &[PathBuf]) -> Archive {
    read_sources(paths, &ReadOptions::default())
        .expect("the sources exist")
        .archive
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for entry in fs::read_dir(from).expect("read_dir").flatten() {
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            fs::copy(&path, &target).expect("copy");
        }
    }
}

/// The committed fixture in a temporary directory, with the repository's `.git` restored.
fn copy_fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&fixtures(), dir.path());
    let repo = dir.path().join("repo");
    fs::rename(repo.join("dot-git"), repo.join(".git")).expect("restore .git");
    dir
}

/// Nested params as dotted keys, the way the reader names them.
fn flatten(prefix: &str, value: &Value, into: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, value) in map {
                let key = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&key, value, into);
            }
        }
        other => into.push((prefix.to_string(), other.clone())),
    }
}

/// Every run `expected.json` describes: (experiment, id, description, is an experiment).
fn wanted(expected: &Value) -> Vec<(String, String, &Value, bool)> {
    let mut want = Vec::new();
    for part in ["project", "repo"] {
        let experiment = expected[part]["experiment"].as_str().expect("experiment");
        for (key, exp) in [("runs", false), ("experiments", true)] {
            if let Some(runs) = expected[part][key].as_object() {
                for (id, run) in runs {
                    want.push((experiment.to_string(), id.clone(), run, exp));
                }
            }
        }
    }
    want.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    want
}

/// Every difference between the runs read from `root` (a fixture folder) and `expected`.
fn differences(root: &Path, expected: &Value) -> Vec<String> {
    let archive = read(&[root.join("project"), root.join("repo")]);
    let mut problems: Vec<String> = archive
        .warnings
        .iter()
        .map(|w| format!("unexpected warning: {w}"))
        .collect();
    let want = wanted(expected);
    let got: Vec<(&str, &str)> = archive
        .runs
        .iter()
        .map(|r| (r.experiment.as_deref().unwrap_or(""), r.id.as_str()))
        .collect();
    let want_ids: Vec<(&str, &str)> = want.iter().map(|w| (w.0.as_str(), w.1.as_str())).collect();
    if got != want_ids {
        problems.push(format!("runs {got:?}, dvclive logged {want_ids:?}"));
    }
    for (experiment, id, want, is_exp) in &want {
        let found = archive
            .runs
            .iter()
            .find(|r| &r.id == id && r.experiment.as_deref() == Some(experiment));
        if let Some(run) = found {
            run_differences(run, want, *is_exp, &mut problems);
        }
    }
    problems
}

fn run_differences(run: &Run, want: &Value, is_exp: bool, problems: &mut Vec<String>) {
    let id = &run.id;
    if run.source != "dvclive" || run.name != run.id {
        problems.push(format!("{id}: source {}, name {}", run.source, run.name));
    }
    let status = match want["status"].as_str() {
        Some("failed") => RunStatus::Failed,
        _ => RunStatus::Unknown,
    };
    if run.status != status {
        problems.push(format!("{id}: status {}, logged {status}", run.status));
    }
    let paths: Vec<&str> = run.artifacts.iter().map(|a| a.path.as_str()).collect();
    let want_paths: Vec<&str> = want["artifacts"]
        .as_array()
        .expect("artifacts")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    if paths != want_paths {
        problems.push(format!("{id}: artifacts {paths:?}, logged {want_paths:?}"));
    }
    let mut params = Vec::new();
    flatten("", &want["params"], &mut params);
    common::param_differences(id, run, &params, "logged", problems);
    let metrics = want["metrics"].as_object().expect("metrics");
    common::metric_differences(id, run, metrics, "dvclive", problems);
    if is_exp {
        let tag = |name: &str| run.tags.get(&format!("{DVC_TAG_PREFIX}{name}")).cloned();
        for (name, field) in [
            ("commit", "commit"),
            ("baseline", "baseline"),
            ("ref", "ref"),
        ] {
            if tag(name).as_deref() != want[field].as_str() {
                problems.push(format!(
                    "{id}: tag {name} {:?}, git {}",
                    tag(name),
                    want[field]
                ));
            }
        }
        let time = want["time"].as_f64().expect("time");
        if run.start_time != Some(time) {
            problems.push(format!(
                "{id}: start {:?}, commit time {time}",
                run.start_time
            ));
        }
        let message = want["message"].as_str().expect("message");
        let notes = (!message.starts_with("dvc: commit experiment ")).then_some(message);
        if run.notes.as_deref() != notes {
            problems.push(format!(
                "{id}: notes {:?}, commit message {message:?}",
                run.notes
            ));
        }
    }
}

#[test]
fn committed_fixtures_match_dvclive() {
    let dir = copy_fixture();
    let expected = common::load_expected(dir.path());
    assert_eq!(wanted(&expected).len(), 7);
    let problems = differences(dir.path(), &expected);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn freshly_written_fixtures_match_dvclive() {
    let out = tempfile::tempdir().expect("temp dir");
    common::run_fixture_script("make_dvclive_fixtures.py", out.path());
    let expected = common::load_expected(out.path());
    assert_eq!(wanted(&expected).len(), 7);
    // The first experiments are in a pack and packed-refs, the last is loose.
    let storage = &expected["repo"]["storage"];
    assert_eq!(storage["packed"].as_array().map(Vec::len), Some(2));
    assert_eq!(storage["loose"].as_array().map(Vec::len), Some(1));
    let problems = differences(out.path(), &expected);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn run<'a>(archive: &'a Archive, id: &str) -> &'a Run {
    archive
        .runs
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("no run {id}"))
}

#[test]
fn experiments_are_found_through_refs_exps_with_their_names() {
    let dir = copy_fixture();
    let expected = common::load_expected(dir.path());
    let archive = read(&[dir.path().join("repo")]);
    assert!(archive.warnings.is_empty(), "{:?}", archive.warnings);
    let ids: Vec<&str> = archive.runs.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["dvclive", "exp-adam", "exp-diverged", "exp-sgd"]);
    assert!(
        archive
            .runs
            .iter()
            .all(|r| r.experiment.as_deref() == Some("repo"))
    );
    let sgd = run(&archive, "exp-sgd");
    assert_eq!(sgd.notes.as_deref(), Some("sgd with momentum"));
    assert_eq!(sgd.params["optimizer.momentum"], ParamValue::Float(0.9));
    let baseline = expected["repo"]["experiments"]["exp-sgd"]["baseline"]
        .as_str()
        .unwrap();
    let tag = format!("{DVC_TAG_PREFIX}ref");
    assert_eq!(
        sgd.tags[&tag],
        format!("refs/exps/{}/{}/exp-sgd", &baseline[..2], &baseline[2..])
    );
    let diverged = run(&archive, "exp-diverged");
    assert_eq!(diverged.status, RunStatus::Failed);
    assert_eq!(diverged.notes.as_deref(), Some("lr far too high"));
    assert!(diverged.metrics["loss"].values[2].is_nan());
    // DVC's own message when none was given is not a note.
    assert_eq!(run(&archive, "exp-adam").notes, None);
    // The work tree keeps the last trial, read as the run in dvclive/.
    let workspace = run(&archive, "dvclive");
    assert_eq!(workspace.status, RunStatus::Failed);
    assert_eq!(workspace.params, diverged.params);
    assert!(workspace.tags.is_empty());
}

#[test]
fn a_live_folder_named_alone_is_its_run_with_embedded_plots() {
    let dir = copy_fixture();
    let archive = read(&[dir.path().join("project/runs/lr-0.01")]);
    assert!(archive.warnings.is_empty(), "{:?}", archive.warnings);
    assert_eq!(archive.runs.len(), 1);
    let first = &archive.runs[0];
    assert_eq!(first.id, "runs/lr-0.01");
    assert_eq!(first.experiment.as_deref(), Some("project"));
    assert_eq!(
        first.params["optimizer.name"],
        ParamValue::Text("adam".into())
    );
    assert_eq!(first.params["optimizer.eps"], ParamValue::Float(1e-8));
    // logged with timestamp=True: first and last time are start and end
    let times = first.metrics["train/loss"].times.as_ref().expect("times");
    assert_eq!(first.start_time, times.first().copied());
    assert!(first.end_time >= times.last().copied());
    let image = &first.artifacts[0];
    assert_eq!(image.path, "plots/images/samples.png");
    let content = image.content.as_ref().expect("embedded");
    assert_eq!(content.kind, ArtifactKind::Image);
    assert_eq!(content.media_type, "image/png");
    let confusion = first.artifacts[1].content.as_ref().expect("embedded");
    assert_eq!(confusion.kind, ArtifactKind::Json);
    // The repository's Live folder alone: the work tree's run, not the experiments.
    let archive = read(&[dir.path().join("repo/dvclive")]);
    let ids: Vec<&str> = archive.runs.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["dvclive"]);

    let mut options = ReadOptions::default();
    options.max_artifact_bytes = 10;
    let tight = read_sources(&[dir.path().join("project")], &options)
        .expect("read")
        .archive;
    let first = run(&tight, "runs/lr-0.01");
    assert_eq!(first.artifacts.len(), 2);
    assert!(first.artifacts.iter().all(|a| a.content.is_none()));
}

/// The warnings as text, with the temporary directory left out.
fn warning_text(archive: &Archive, dir: &Path) -> Vec<String> {
    archive
        .warnings
        .iter()
        .map(|w| w.to_string().replace(&format!("{}/", dir.display()), ""))
        .collect()
}

#[test]
fn damaged_files_are_warnings_naming_them_and_the_rest_is_read() {
    let dir = copy_fixture();
    let runs = dir.path().join("project/runs");
    // A history cut short in its last line, and a word where a number belongs.
    let loss = runs.join("lr-0.01/plots/metrics/train/loss.tsv");
    let text = fs::read_to_string(&loss).expect("read");
    fs::write(&loss, &text[..text.len() - 4]).expect("cut");
    let acc = runs.join("lr-0.1/plots/metrics/train/accuracy.tsv");
    let text = fs::read_to_string(&acc).expect("read");
    fs::write(&acc, text.replacen("\n2\t", "\n2\tabc\t", 1)).expect("write");
    let val = runs.join("lr-0.1/plots/metrics/val/loss.tsv");
    let text = fs::read_to_string(&val).expect("read");
    let mut lines: Vec<&str> = text.lines().collect();
    lines[2] = "3\tlots";
    fs::write(&val, lines.join("\n") + "\n").expect("write");
    // Broken YAML and JSON.
    fs::write(
        runs.join("lr-0.1/params.yaml"),
        "lr: 0.1\noptimizer: [adam\n",
    )
    .expect("write");
    fs::write(
        runs.join("diverged/metrics.json"),
        "{\"step\": 2,\n\"status\": ",
    )
    .expect("write");

    let archive = read(&[dir.path().join("project")]);
    let warnings = warning_text(&archive, dir.path());
    let prefix = |w: &&String, p: &str| w.starts_with(p);
    let expect = [
        "project/runs/diverged/metrics.json:2: not valid JSON",
        "project/runs/lr-0.01/plots/metrics/train/loss.tsv:7: the last line has no line end",
        "project/runs/lr-0.1/params.yaml:",
        "project/runs/lr-0.1/plots/metrics/train/accuracy.tsv:4: 3 field(s) where the header has 2; line skipped",
        "project/runs/lr-0.1/plots/metrics/val/loss.tsv:3: value `lots` is not a number; line skipped",
    ];
    assert_eq!(warnings.len(), expect.len(), "{warnings:#?}");
    for want in expect {
        assert!(
            warnings.iter().any(|w| prefix(&w, want)),
            "no warning {want:?} in {warnings:#?}"
        );
    }
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("project/runs/lr-0.1/params.yaml:")
                && w.contains(": not valid YAML")),
        "{warnings:#?}"
    );
    // Everything else is still read.
    assert_eq!(archive.runs.len(), 3);
    let first = run(&archive, "runs/lr-0.01");
    assert_eq!(first.metrics["train/loss"].len(), 5);
    assert_eq!(first.metrics["train/accuracy"].len(), 6);
    let second = run(&archive, "runs/lr-0.1");
    assert!(second.params.is_empty());
    assert_eq!(second.metrics["train/accuracy"].len(), 5);
    assert_eq!(second.metrics["val/loss"].len(), 2);
    let diverged = run(&archive, "runs/diverged");
    assert_eq!(diverged.status, RunStatus::Unknown);
    assert_eq!(diverged.metrics["train/loss"].len(), 3);
    assert_eq!(diverged.params["lr"], ParamValue::Float(1.0));
}

#[test]
fn a_broken_experiment_is_a_warning_and_the_others_are_read() {
    let dir = copy_fixture();
    let repo = dir.path().join("repo");
    let expected = common::load_expected(dir.path());
    let baseline = expected["repo"]["experiments"]["exp-sgd"]["baseline"]
        .as_str()
        .unwrap();
    let refs = repo.join(format!(
        ".git/refs/exps/{}/{}",
        &baseline[..2],
        &baseline[2..]
    ));
    fs::create_dir_all(&refs).expect("mkdir");
    // A ref to a commit that is not there.
    fs::write(refs.join("exp-ghost"), format!("{}\n", "ab".repeat(20))).expect("write");
    let archive = read(std::slice::from_ref(&repo));
    let warnings = warning_text(&archive, dir.path());
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(
        warnings[0].starts_with("repo/.git: experiment exp-ghost (refs/exps/"),
        "{warnings:#?}"
    );
    assert_eq!(archive.runs.len(), 4);
}

#[test]
fn live_folders_beside_other_formats_take_nothing_from_them() {
    let dir = copy_fixture();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/plain-sweep");
    copy_dir(&examples, &dir.path().join("plain-sweep"));
    let alone = read(&[dir.path().join("plain-sweep")]);
    let mixed = read(&[dir.path().to_path_buf()]);
    let others: Vec<&Run> = mixed
        .runs
        .iter()
        .filter(|r| r.source != "dvclive")
        .collect();
    // (Runs are not compared with `==`: NaN values never equal themselves.)
    let outline = |r: &Run| {
        let points: Vec<usize> = r.metrics.values().map(|s| s.len()).collect();
        (r.source.clone(), r.experiment.clone(), r.id.clone(), points)
    };
    let others: Vec<_> = others.into_iter().map(outline).collect();
    let outlines: Vec<_> = alone.runs.iter().map(outline).collect();
    assert_eq!(others, outlines);
    assert_eq!(mixed.runs.len() - outlines.len(), 7);
    assert_eq!(mixed.warnings, alone.warnings);
}
