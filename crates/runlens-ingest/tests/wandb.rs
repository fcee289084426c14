//! The W&B reader against W&B's own record decoding: every run of the fixture `wandb/`
//! folder (written by the real `wandb` package, offline) must match what
//! `examples/make_wandb_fixtures.py` decoded from the same files with
//! `wandb.proto.wandb_internal_pb2.Record` (`expected.json`). The fixture Python
//! (`RUNLENS_FIXTURE_PYTHON`, else `.venv-fixtures/`) also writes fresh runs, checked the
//! same way, including the files each run saved (`files/`: the last image of each key,
//! the console log, a saved file) as artifacts with W&B's sizes and hashes. Damaged-input,
//! missing-file and discovery tests start from the committed real files.

mod common;

use common::{number, same};

use std::fs;
use std::path::{Path, PathBuf};

use runlens_core::{Archive, ArtifactKind, ParamValue, Run, RunStatus};
use runlens_ingest::{ReadOptions, read_sources};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/wandb")
}

fn read(paths: &[PathBuf]) -> Archive {
    read_sources(paths, &ReadOptions::default())
        .expect("the sources exist")
        .archive
}

/// Every difference between the runs read from `sources` and `expected`.
fn differences(sources: &[PathBuf], expected: &Value) -> Vec<String> {
    let archive = read(sources);
    let mut problems: Vec<String> = archive
        .warnings
        .iter()
        .map(|w| format!("unexpected warning: {w}"))
        .collect();
    let runs = expected["runs"].as_object().expect("runs");
    let ids: Vec<&str> = archive.runs.iter().map(|r| r.id.as_str()).collect();
    let want: Vec<&str> = runs.keys().map(String::as_str).collect();
    if ids != want {
        problems.push(format!("runs {ids:?}, W&B has {want:?}"));
    }
    for (id, want) in runs {
        if let Some(run) = archive.runs.iter().find(|r| &r.id == id) {
            run_differences(run, want, &mut problems);
        }
    }
    problems
}

fn tag<'a>(run: &'a Run, name: &str) -> Option<&'a str> {
    run.tags.get(&format!("wandb.{name}")).map(String::as_str)
}

fn run_differences(run: &Run, want: &Value, problems: &mut Vec<String>) {
    let id = &run.id;
    let text = |field: &str| want[field].as_str().filter(|s| !s.is_empty());
    let checks = [
        ("source", Some(run.source.as_str()), Some("wandb")),
        ("name", Some(run.name.as_str()), text("name")),
        ("experiment", run.experiment.as_deref(), text("project")),
        ("group", run.group.as_deref(), text("group")),
        ("job_type", tag(run, "job_type"), text("job_type")),
        ("notes", run.notes.as_deref(), text("notes")),
        (
            "git.remote_url",
            tag(run, "git.remote_url"),
            want["git"]["remote_url"].as_str().filter(|s| !s.is_empty()),
        ),
        (
            "git.commit",
            tag(run, "git.commit"),
            want["git"]["commit"].as_str().filter(|s| !s.is_empty()),
        ),
    ];
    for (field, got, want) in checks {
        if got != want {
            problems.push(format!("{id}: {field} {got:?}, W&B {want:?}"));
        }
    }
    let tags: Vec<&str> = want["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let want_tags = (!tags.is_empty()).then(|| tags.join(", "));
    if tag(run, "tags") != want_tags.as_deref() {
        problems.push(format!(
            "{id}: tags {:?}, W&B {want_tags:?}",
            tag(run, "tags")
        ));
    }
    let start = number(&want["start_time"]);
    if !run.start_time.is_some_and(|s| (s - start).abs() < 1e-6) {
        problems.push(format!(
            "{id}: start_time {:?}, W&B {start}",
            run.start_time
        ));
    }
    if !run.end_time.is_some_and(|end| end >= start) {
        problems.push(format!(
            "{id}: end_time {:?} before the start",
            run.end_time
        ));
    }
    let status = match want["status"].as_str() {
        Some("finished") => RunStatus::Finished,
        Some("failed") => RunStatus::Failed,
        _ => RunStatus::Running,
    };
    if run.status != status {
        problems.push(format!("{id}: status {}, W&B {status}", run.status));
    }
    let params = want["params"].as_object().expect("params");
    let names: Vec<&String> = run.params.keys().collect();
    let want_names: Vec<&String> = params.keys().collect();
    if names != want_names {
        problems.push(format!("{id}: params {names:?}, W&B {want_names:?}"));
    }
    for (name, want) in params {
        let got = run.params.get(name);
        let ok = match (got, want) {
            (Some(ParamValue::Bool(b)), Value::Bool(w)) => b == w,
            (Some(ParamValue::Int(i)), Value::Number(w)) => w.as_i64() == Some(*i),
            (Some(ParamValue::Float(x)), Value::Number(w)) => {
                w.as_i64().is_none() && same(*x, number(want))
            }
            (Some(ParamValue::Text(s)), Value::String(w)) => s == w,
            (Some(ParamValue::Text(s)), Value::Array(_)) => s.as_str() == want.to_string().as_str(),
            _ => false,
        };
        if !ok {
            problems.push(format!("{id}: param {name} {got:?}, W&B {want}"));
        }
    }
    let metrics = want["metrics"].as_object().expect("metrics");
    common::metric_differences(id, run, metrics, "W&B", problems);
    artifact_differences(
        run,
        want["artifacts"].as_object().expect("artifacts"),
        problems,
    );
}

/// The run's artifacts against W&B's: the same paths (the last media file of each key and
/// every other file in `files/`), the same sizes, and every one embedded (the fixtures are
/// far below the default budget) with bytes whose sha256 is the one W&B recorded.
fn artifact_differences(
    run: &Run,
    want: &serde_json::Map<String, Value>,
    problems: &mut Vec<String>,
) {
    let id = &run.id;
    let paths: Vec<&str> = run.artifacts.iter().map(|a| a.path.as_str()).collect();
    let want_paths: Vec<&str> = want.keys().map(String::as_str).collect();
    if paths != want_paths {
        problems.push(format!("{id}: artifacts {paths:?}, W&B {want_paths:?}"));
    }
    for artifact in &run.artifacts {
        let Some(want) = want.get(&artifact.path) else {
            continue;
        };
        let path = &artifact.path;
        if artifact.size != want["size"].as_u64() {
            problems.push(format!(
                "{id} {path}: size {:?}, W&B {}",
                artifact.size, want["size"]
            ));
        }
        let Some(content) = &artifact.content else {
            problems.push(format!("{id} {path}: not embedded"));
            continue;
        };
        let digest = format!("{:x}", Sha256::digest(&content.bytes));
        if Some(digest.as_str()) != want["sha256"].as_str() {
            problems.push(format!(
                "{id} {path}: embedded sha256 {digest}, W&B {}",
                want["sha256"]
            ));
        }
        let image = path.starts_with("media/images/");
        if image != (content.kind == ArtifactKind::Image) {
            problems.push(format!("{id} {path}: embedded as {:?}", content.kind));
        }
    }
}

#[test]
fn committed_fixtures_match_wandb() {
    let dir = fixtures();
    let expected = common::load_expected(&dir);
    assert_eq!(expected["runs"].as_object().map(|r| r.len()), Some(5));
    let problems = differences(&[dir.join("wandb")], &expected);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn freshly_written_fixtures_match_wandb() {
    let out = tempfile::tempdir().expect("temp dir");
    common::run_fixture_script("make_wandb_fixtures.py", out.path());
    let expected = common::load_expected(out.path());
    assert_eq!(expected["runs"].as_object().map(|r| r.len()), Some(5));
    let problems = differences(&[out.path().join("wandb")], &expected);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The run folders of the committed fixtures, by run id.
fn run_folder(id: &str) -> PathBuf {
    fs::read_dir(fixtures().join("wandb"))
        .expect("fixture folder")
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().ends_with(id))
                && !p.is_symlink()
        })
        .expect("run folder")
}

fn baseline_file() -> PathBuf {
    run_folder("base0001").join("run-base0001.wandb")
}

#[test]
fn a_run_folder_a_run_file_and_latest_run_are_each_one_run() {
    let folder = run_folder("base0001");
    for source in [folder.clone(), baseline_file()] {
        let archive = read(std::slice::from_ref(&source));
        assert!(archive.warnings.is_empty(), "{:?}", archive.warnings);
        let ids: Vec<&str> = archive.runs.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["base0001"], "{}", source.display());
        assert_eq!(archive.runs[0].metrics["train/loss"].len(), 100);
    }
    // latest-run alone is the newest run's folder.
    let wandb = fixtures().join("wandb");
    let archive = read(&[wandb.join("latest-run")]);
    let ids: Vec<&str> = archive.runs.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["step0004"]);
}

#[test]
fn a_folder_with_other_formats_is_not_taken_over() {
    let dir = tempfile::tempdir().expect("temp dir");
    let project = dir.path().join("project");
    copy_dir(&fixtures().join("wandb"), &project);
    fs::write(
        project.join("extra.jsonl"),
        "{\"type\":\"metrics\",\"run\":\"j1\",\"step\":0,\"values\":{\"loss\":1}}\n",
    )
    .expect("write jsonl");
    let archive = read(&[project]);
    let mut sources: Vec<(&str, &str)> = archive
        .runs
        .iter()
        .map(|r| (r.source.as_str(), r.id.as_str()))
        .collect();
    sources.sort_unstable();
    assert_eq!(
        sources,
        [
            ("jsonl", "j1"),
            ("wandb", "base0001"),
            ("wandb", "crsh0003"),
            ("wandb", "dive0002"),
            ("wandb", "imgs0005"),
            ("wandb", "step0004")
        ]
    );
    // The walk reaches step0004 both directly and through latest-run: read once.
    let wandb_points = read(&[fixtures().join("wandb")]).point_count();
    assert_eq!(archive.point_count(), wandb_points + 1);
}

/// Copies a directory tree, links as links.
fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for entry in fs::read_dir(from).expect("read_dir").flatten() {
        let target = to.join(entry.file_name());
        let kind = entry.file_type().expect("file type");
        if kind.is_symlink() {
            let link = fs::read_link(entry.path()).expect("read_link");
            std::os::unix::fs::symlink(link, &target).expect("symlink");
        } else if kind.is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Reads `bytes` written as `run-base0001.wandb` in a fresh folder.
fn read_bytes(bytes: &[u8]) -> (Archive, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("run-base0001.wandb");
    fs::write(&file, bytes).expect("write");
    let archive = read(&[file]);
    let warnings = archive
        .warnings
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    (archive, warnings)
}

#[test]
fn a_truncated_file_keeps_every_record_before_the_cut() {
    let bytes = fs::read(baseline_file()).expect("fixture");
    let whole = read(&[baseline_file()]);
    let full = &whole.runs[0];
    assert_eq!(full.status, RunStatus::Finished);
    // Cut in the middle of the second block: the exit record and the last rows are lost.
    let cut = 32_768 + 3_000;
    let (archive, warnings) = read_bytes(&bytes[..cut]);
    assert_eq!(archive.warnings.len(), 1, "{warnings}");
    assert!(
        warnings.contains("the file ends inside a record at byte"),
        "{warnings}"
    );
    let run = &archive.runs[0];
    assert_eq!(
        run.status,
        RunStatus::Running,
        "no exit record: still running"
    );
    let points = run.metrics["train/loss"].len();
    assert!(points > 70 && points < 100, "{points} points kept");
    assert_eq!(run.params, full.params);
    assert_eq!(run.name, "baseline");
}

#[test]
fn a_flipped_byte_skips_to_the_next_block_and_later_records_are_read() {
    let mut bytes = fs::read(baseline_file()).expect("fixture");
    assert!(bytes.len() > 32_768, "the fixture spans two blocks");
    let at = 20_000;
    bytes[at] ^= 0x55;
    let (archive, warnings) = read_bytes(&bytes);
    assert_eq!(archive.warnings.len(), 1, "{warnings}");
    assert!(
        warnings.contains("damaged data at byte") && warnings.contains("..32768 skipped"),
        "{warnings}"
    );
    let run = &archive.runs[0];
    // The run record (block 0, before the damage) and the exit record (block 1) survive.
    assert_eq!(run.name, "baseline");
    assert_eq!(run.status, RunStatus::Finished);
    let steps = &run.metrics["train/loss"].steps;
    assert!(
        steps.len() < 100 && steps.contains(&0) && steps.contains(&99),
        "{steps:?}"
    );
}

#[test]
fn an_empty_file_and_a_foreign_file_are_warnings() {
    let (archive, warnings) = read_bytes(b"");
    assert!(archive.runs.is_empty());
    assert!(warnings.contains("empty .wandb file"), "{warnings}");
    let (archive, warnings) = read_bytes(b"{\"this is\": \"not a W&B file\"}\n");
    assert!(archive.runs.is_empty());
    assert!(warnings.contains("not a W&B run file"), "{warnings}");
}

#[test]
fn images_and_saved_files_become_artifacts_and_missing_ones_are_warnings() {
    let archive = read(&[run_folder("imgs0005")]);
    assert!(archive.warnings.is_empty(), "{:?}", archive.warnings);
    let run = &archive.runs[0];
    let images: Vec<&str> = run
        .artifacts
        .iter()
        .filter(|a| {
            a.content
                .as_ref()
                .is_some_and(|c| c.media_type == "image/png")
        })
        .map(|a| a.path.as_str())
        .collect();
    assert_eq!(
        images.len(),
        2,
        "the last image of samples and pred/mask: {images:?}"
    );
    assert!(
        images.iter().all(|p| p.contains("_2_")),
        "step 2 is the last: {images:?}"
    );
    // An image's size and width are fields of the image, not metrics.
    let keys: Vec<&String> = run.metrics.keys().collect();
    assert_eq!(keys, ["loss"]);

    // The same run with its last `samples` image and its saved file deleted, and a
    // `wandb.save` link to a file that is not there: listed, a warning naming each.
    let dir = tempfile::tempdir().expect("temp dir");
    let copy = dir.path().join("offline-run-imgs0005");
    copy_dir(&run_folder("imgs0005"), &copy);
    let samples = run
        .artifacts
        .iter()
        .find(|a| a.path.starts_with("media/images/samples_"))
        .expect("samples image");
    fs::remove_file(copy.join("files").join(&samples.path)).expect("remove image");
    fs::remove_file(copy.join("files/model-summary.txt")).expect("remove saved file");
    std::os::unix::fs::symlink("/nonexistent/eval.json", copy.join("files/eval.json"))
        .expect("symlink");
    let archive = read(std::slice::from_ref(&copy));
    let mut warnings: Vec<String> = archive.warnings.iter().map(ToString::to_string).collect();
    warnings.sort();
    let files = copy.join("files");
    assert_eq!(
        warnings,
        [
            format!(
                "{}: a file the run saved (a link to a file that is not there) is not there; listed without content",
                files.join("eval.json").display()
            ),
            format!(
                "{}: the file of \"samples\" is not there; listed without content",
                files.join(&samples.path).display()
            ),
            format!(
                "{}: a file the run saved is not there; listed without content",
                files.join("model-summary.txt").display()
            ),
        ]
    );
    let run = &archive.runs[0];
    let listed: Vec<(&str, Option<u64>, bool)> = run
        .artifacts
        .iter()
        .map(|a| (a.path.as_str(), a.size, a.content.is_some()))
        .collect();
    assert!(
        listed.contains(&(samples.path.as_str(), samples.size, false)),
        "{listed:?}"
    );
    assert!(
        listed.contains(&("model-summary.txt", None, false)),
        "{listed:?}"
    );
    assert!(listed.contains(&("eval.json", None, false)), "{listed:?}");
    assert_eq!(run.metrics["loss"].len(), 3, "the metrics are still read");

    // Only the .wandb file: one warning for the missing files/ folder.
    fs::remove_dir_all(copy.join("files")).expect("remove files/");
    let archive = read(std::slice::from_ref(&copy));
    assert_eq!(archive.warnings.len(), 1, "{:?}", archive.warnings);
    assert!(
        archive.warnings[0]
            .to_string()
            .contains("not there, but the run saved 3 file(s)"),
        "{}",
        archive.warnings[0]
    );
    assert_eq!(archive.runs[0].artifacts.len(), 3);
}

#[test]
fn a_small_budget_embeds_the_images_first() {
    let mut options = ReadOptions::default();
    // Room for both images (82 + 76 bytes here) and nothing else.
    options.max_artifact_bytes = 170;
    let archive = read_sources(&[run_folder("imgs0005")], &options)
        .expect("the sources exist")
        .archive;
    let embedded: Vec<&str> = archive.runs[0]
        .artifacts
        .iter()
        .filter(|a| a.content.is_some())
        .map(|a| a.path.as_str())
        .collect();
    assert_eq!(embedded.len(), 2, "{embedded:?}");
    assert!(
        embedded.iter().all(|p| p.starts_with("media/images/")),
        "{embedded:?}"
    );
}
