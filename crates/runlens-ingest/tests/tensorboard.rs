//! The TensorBoard reader against TensorBoard itself: every run and tag of the fixture logdir
//! (written by the real tensorboardX and tensorboard packages) must match what TensorBoard's
//! EventMultiplexer read from it (`expected.json`, made by the same script). The fixture
//! Python (`RUNLENS_FIXTURE_PYTHON`, else `.venv-fixtures/`) also writes a fresh logdir, and
//! the same checks run on it.

mod common;

use common::{number, same};

use std::path::{Path, PathBuf};

use runlens_core::{Archive, ParamValue, Run, RunStatus};
use runlens_ingest::{ReadOptions, read_sources};
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/tensorboard")
}

fn read(path: &Path) -> Archive {
    read_sources(&[path.to_path_buf()], &ReadOptions::default())
        .expect("the source exists")
        .archive
}

/// Every difference between the runs read from `logdir` and `expected`.
fn differences(logdir: &Path, expected: &Value) -> Vec<String> {
    let archive = read(logdir);
    let mut problems: Vec<String> = archive
        .warnings
        .iter()
        .map(|w| format!("unexpected warning: {w}"))
        .collect();
    let runs = expected["runs"].as_object().expect("runs");
    let mut ids: Vec<&str> = archive.runs.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    let mut want: Vec<&str> = runs.keys().map(String::as_str).collect();
    want.sort_unstable();
    if ids != want {
        problems.push(format!("runs {ids:?}, TensorBoard has {want:?}"));
    }
    for (name, want) in runs {
        let Some(run) = archive.runs.iter().find(|r| &r.id == name) else {
            continue;
        };
        run_differences(run, want, &mut problems);
    }
    problems
}

fn run_differences(run: &Run, want: &Value, problems: &mut Vec<String>) {
    let id = &run.id;
    if run.source != "tensorboard" {
        problems.push(format!("{id}: source {}", run.source));
    }
    let group = id.rsplit_once('/').map(|(parent, _)| parent.to_string());
    if run.group != group {
        problems.push(format!("{id}: group {:?}, want {group:?}", run.group));
    }
    for (field, got) in [("start_time", run.start_time), ("end_time", run.end_time)] {
        let want = number(&want[field]);
        if got != Some(want) {
            problems.push(format!("{id}: {field} {got:?}, TensorBoard {want}"));
        }
    }
    let status = match want["status"].as_str() {
        Some("STATUS_SUCCESS") => RunStatus::Finished,
        Some("STATUS_FAILURE") => RunStatus::Failed,
        Some("STATUS_RUNNING") => RunStatus::Running,
        _ => RunStatus::Unknown,
    };
    if run.status != status {
        problems.push(format!("{id}: status {}, want {status}", run.status));
    }
    let metrics = want["metrics"].as_object().expect("metrics");
    common::metric_differences(id, run, metrics, "TensorBoard", problems);
    // The last text of each text tag is in the notes, under a heading naming the tag.
    let texts = want["texts"].as_object().expect("texts");
    let notes = run.notes.as_deref().unwrap_or_default();
    if texts.is_empty() != run.notes.is_none() {
        problems.push(format!("{id}: notes {:?}, texts {texts:?}", run.notes));
    }
    for (tag, text) in texts {
        let text = text.as_str().expect("text");
        if !notes.contains(&format!("#### {tag} (step ")) || !notes.contains(text) {
            problems.push(format!(
                "{id}: text {tag} {text:?} not in the notes {notes:?}"
            ));
        }
    }
    // The last image of each image tag is an embedded artifact.
    let images = want["images"].as_object().expect("images");
    if run.artifacts.len() != images.len() {
        problems.push(format!(
            "{id}: artifacts {:?}, images {images:?}",
            run.artifacts
        ));
    }
    for (tag, image) in images {
        let path = format!(
            "{}/{tag}/{}.png",
            runlens_ingest::TENSORBOARD_IMAGE_FOLDER,
            image["step"]
        );
        let found = run.artifacts.iter().find(|a| a.path == path);
        let size = image["size"].as_u64();
        let ok = found.is_some_and(|a| {
            a.size == size && a.content.as_ref().map(|c| c.bytes.len() as u64) == size
        });
        if !ok {
            problems.push(format!(
                "{id}: image {tag} {found:?}, want {path} of {size:?} bytes"
            ));
        }
    }
    // Every step's distribution is kept (up to the cap), the last one whole.
    let histograms = want["histograms"].as_object().expect("histograms");
    if run.histograms.len() != histograms.len() {
        problems.push(format!(
            "{id}: histogram tags {:?}, want {histograms:?}",
            run.histograms.keys()
        ));
    }
    for (tag, want) in histograms {
        let Some(steps) = run.histograms.get(tag) else {
            problems.push(format!("{id}: no histogram {tag}"));
            continue;
        };
        let count = want["count"].as_u64().expect("count") as usize;
        let last = steps.last().expect("a kept step");
        let total: f64 = last.counts.iter().sum();
        let ok = steps.len() == count.min(runlens_core::Histogram::MAX_STEPS)
            && Some(last.step) == want["last_step"].as_i64()
            && (total - want["last_total"].as_f64().expect("total")).abs() < 1e-6
            && last.edges.len() == last.counts.len() + 1
            && last.edges.windows(2).all(|w| w[0] <= w[1]);
        if !ok {
            problems.push(format!(
                "{id}: histogram {tag}: {} steps, last {last:?}, want {want}",
                steps.len()
            ));
        }
    }
    // The metrics an hparams experiment defines are tags naming them.
    for (key, text) in want["metric_definitions"]
        .as_object()
        .expect("metric_definitions")
    {
        let tag = format!("{}{key}", runlens_ingest::HPARAMS_METRIC_TAG_PREFIX);
        if run.tags.get(&tag).map(String::as_str) != text.as_str() {
            problems.push(format!("{id}: {tag} {:?}, want {text}", run.tags.get(&tag)));
        }
    }
    let params = want["params"].as_object().expect("params");
    if run.params.len() != params.len() {
        problems.push(format!("{id}: params {:?}, want {params:?}", run.params));
    }
    for (name, want) in params {
        let got = run.params.get(name);
        let ok = match (got, want) {
            (Some(ParamValue::Bool(b)), Value::Bool(w)) => b == w,
            (Some(ParamValue::Text(s)), Value::String(w)) => s == w,
            (Some(p @ (ParamValue::Int(_) | ParamValue::Float(_))), w) => {
                p.as_f64().is_some_and(|x| same(x, number(w)))
            }
            _ => false,
        };
        if !ok {
            problems.push(format!("{id}: param {name} {got:?}, want {want}"));
        }
    }
}

/// Event files written by TensorFlow 2.21 itself (`tf.summary` scalars of float32, float64
/// and int64, text, an image, histograms, hparams; a Keras fit with the TensorBoard
/// callback), committed with examples/make_tf2_fixture.py since TensorFlow is too heavy for CI.
#[test]
fn tensorflow_2_files_match_tensorboard() {
    let dir = fixtures().join("../tensorboard-tf2");
    let expected = common::load_expected(&dir);
    assert!(expected["tensorflow"].as_str().unwrap().starts_with("2."));
    assert_eq!(expected["runs"].as_object().map(|r| r.len()), Some(3));
    let problems = differences(&dir.join("logdir"), &expected);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn committed_fixtures_match_tensorboard() {
    let dir = fixtures();
    let expected = common::load_expected(&dir);
    assert_eq!(expected["runs"].as_object().map(|r| r.len()), Some(7));
    let problems = differences(&dir.join("logdir"), &expected);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn freshly_written_fixtures_match_tensorboard() {
    let out = tempfile::tempdir().expect("temp dir");
    common::run_fixture_script("make_tensorboard_fixtures.py", out.path());
    let expected = common::load_expected(out.path());
    let problems = differences(&out.path().join("logdir"), &expected);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
