//! One Live folder made into a [`Run`], whether its files are on disk or in a commit of a
//! DVC experiment ([`Files`]): `params.yaml` gives params, every `plots/metrics/**.tsv` a
//! metric series, `metrics.json` the status and single points for values without a TSV,
//! and every other file (images, sklearn plots, reports) is an artifact.

use std::fs;
use std::path::{Path, PathBuf};

use runlens_core::{Artifact, ArtifactContent, ArtifactKind, MetricSeries, Run};
use walkdir::WalkDir;

use super::{tsv, values};
use crate::mlflow::artifacts::MAX_LISTED;
use crate::reader::ReadOutput;

/// The file DVCLive writes `log_param(s)` to.
pub const PARAMS: &str = "params.yaml";
/// The file DVCLive writes the latest metric values and the summary to.
pub const METRICS: &str = "metrics.json";
/// The folder of metric histories.
pub const PLOTS_METRICS: &str = "plots/metrics";

/// One file of a Live folder.
#[derive(Debug, Clone)]
pub struct LiveFile {
    /// The path relative to the Live folder, `/`-separated.
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// What the [`Files`] it came from needs to find it again.
    pub handle: usize,
}

/// Where the files of a Live folder are.
pub trait Files {
    /// Every file under the folder, sorted by path (at most [`MAX_LISTED`] + 1).
    fn list(&mut self, out: &mut ReadOutput) -> Vec<LiveFile>;
    /// The content of a listed file; the error says why it cannot be read.
    fn read(&self, file: &LiveFile) -> Result<Vec<u8>, String>;
    /// The path warnings name for a file of the folder (`rel` as in [`LiveFile::path`]).
    fn shown(&self, rel: &str) -> PathBuf;
}

/// A Live folder on disk.
pub struct DiskFiles {
    dir: PathBuf,
}

impl DiskFiles {
    /// The folder at `dir` (as given or walked, so warnings name it that way).
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
        }
    }
}

impl Files for DiskFiles {
    fn list(&mut self, out: &mut ReadOutput) -> Vec<LiveFile> {
        let mut files = Vec::new();
        let walk = WalkDir::new(&self.dir)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
        for entry in walk {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    if e.loop_ancestor().is_none() {
                        let path = e.path().unwrap_or(&self.dir).to_path_buf();
                        out.warn_at(&path, None, format!("cannot be read: {e}; skipped"));
                    }
                    continue;
                }
            };
            if !entry.file_type().is_file() {
                continue;
            }
            let Ok(rel) = entry.path().strip_prefix(&self.dir) else {
                continue;
            };
            let path: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            let size = entry.metadata().map_or(0, |m| m.len());
            files.push(LiveFile {
                path: path.join("/"),
                size,
                handle: 0,
            });
            if files.len() > MAX_LISTED {
                break;
            }
        }
        files
    }

    fn read(&self, file: &LiveFile) -> Result<Vec<u8>, String> {
        fs::read(self.dir.join(&file.path)).map_err(|e| e.to_string())
    }

    fn shown(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }
}

/// Whether a file of a Live folder is one of the run's logs rather than an artifact.
fn is_log(path: &str) -> bool {
    path == PARAMS
        || path == METRICS
        || path == "dvc.yaml"
        || path
            .strip_prefix(PLOTS_METRICS)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The metric key of a history file: its path under `plots/metrics/` without `.tsv`.
fn metric_key(path: &str) -> Option<&str> {
    path.strip_prefix(PLOTS_METRICS)?
        .strip_prefix('/')?
        .strip_suffix(".tsv")
        .filter(|k| !k.is_empty())
}

/// Reads the Live folder behind `files` into `run` (whose identity the caller set).
pub fn read(files: &mut dyn Files, mut run: Run, out: &mut ReadOutput) -> Run {
    let listed = files.list(out);
    if listed.len() > MAX_LISTED {
        out.warn_at(
            &files.shown(""),
            None,
            format!("more than {MAX_LISTED} files; only the first {MAX_LISTED} are read"),
        );
    }
    let listed = &listed[..listed.len().min(MAX_LISTED)];
    let mut summary = values::Summary::default();
    for file in listed {
        if file.path == PARAMS {
            match files.read(file).map(|bytes| values::params(&bytes)) {
                Ok(Ok(params)) => run.params.extend(params),
                Ok(Err(problem)) => {
                    out.warn_at(&files.shown(&file.path), problem.line, problem.message)
                }
                Err(e) => unreadable(files, file, &e, out),
            }
        } else if file.path == METRICS {
            match files.read(file).map(|bytes| values::summary(&bytes)) {
                Ok(Ok(read)) => summary = read,
                Ok(Err(problem)) => {
                    out.warn_at(&files.shown(&file.path), problem.line, problem.message)
                }
                Err(e) => unreadable(files, file, &e, out),
            }
        } else if let Some(key) = metric_key(&file.path) {
            let bytes = match files.read(file) {
                Ok(bytes) => bytes,
                Err(e) => {
                    unreadable(files, file, &e, out);
                    continue;
                }
            };
            let parsed = tsv::parse(&bytes);
            for problem in parsed.problems {
                out.warn_at(&files.shown(&file.path), problem.line, problem.message);
            }
            if !parsed.series.is_empty() {
                run.metrics.insert(key.to_string(), parsed.series);
            }
        } else if !is_log(&file.path) {
            let content = embed(files, file, out);
            run.artifacts.push(Artifact {
                path: file.path.clone(),
                size: Some(file.size),
                content,
            });
        }
    }
    finish(&mut run, summary, files, out);
    run
}

fn unreadable(files: &dyn Files, file: &LiveFile, error: &str, out: &mut ReadOutput) {
    out.warn_at(
        &files.shown(&file.path),
        None,
        format!("cannot be read: {error}; skipped"),
    );
}

/// Summary values without a history become one point at the last step; the status and
/// the times are set.
fn finish(run: &mut Run, summary: values::Summary, files: &dyn Files, out: &mut ReadOutput) {
    let last_step = summary.step.unwrap_or(0);
    for (key, value) in &summary.values {
        if !run.metrics.contains_key(key) {
            let mut series = MetricSeries::default();
            series.push(last_step, *value, None);
            run.metrics.insert(key.clone(), series);
        }
    }
    match summary.run_status() {
        Ok(Some(status)) => run.status = status,
        Ok(None) => {}
        Err(text) => out.warn_at(
            &files.shown(METRICS),
            None,
            format!("status {text:?} is not one runlens knows (finished, failed, running, killed); the run's status is left unknown"),
        ),
    }
    let times = run
        .metrics
        .values()
        .filter_map(|s| s.times.as_ref())
        .flatten()
        .copied()
        .filter(|t| t.is_finite());
    let (first, last) = times.fold((None, None), |(lo, hi): (Option<f64>, Option<f64>), t| {
        (
            Some(lo.map_or(t, |lo| lo.min(t))),
            Some(hi.map_or(t, |hi| hi.max(t))),
        )
    });
    if first.is_some() {
        run.start_time = first;
        run.end_time = last;
    }
}

/// Image extensions whose files are worth opening to check their magic bytes.
const IMAGE_EXTENSIONS: [&str; 5] = ["png", "jpg", "jpeg", "gif", "webp"];

/// The content of an artifact when the page can show it and the budget has room.
fn embed(files: &dyn Files, file: &LiveFile, out: &mut ReadOutput) -> Option<ArtifactContent> {
    let lower = file.path.to_ascii_lowercase();
    let image = IMAGE_EXTENSIONS
        .iter()
        .any(|ext| lower.rsplit_once('.').is_some_and(|(_, e)| e == *ext));
    if !image && ArtifactKind::sniff(&file.path, &[]).is_none() {
        return None;
    }
    if !out.budget().fits(file.size) {
        return None;
    }
    let bytes = match files.read(file) {
        Ok(bytes) => bytes,
        Err(e) => {
            out.warn_at(
                &files.shown(&file.path),
                None,
                format!("artifact cannot be read: {e}; listed without content"),
            );
            return None;
        }
    };
    let (kind, media_type) = ArtifactKind::sniff(&file.path, &bytes[..bytes.len().min(16)])?;
    // The file may have grown since it was listed: charge what was read.
    if !out.budget().take(bytes.len() as u64) {
        return None;
    }
    Some(ArtifactContent {
        kind,
        media_type: media_type.to_string(),
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_and_artifacts_are_told_apart() {
        assert!(is_log("params.yaml") && is_log("metrics.json") && is_log("dvc.yaml"));
        assert!(is_log("plots/metrics/train/loss.tsv"));
        assert!(!is_log("plots/metricsx/a.tsv"));
        assert!(!is_log("plots/images/a.png") && !is_log("report.html"));
        assert_eq!(
            metric_key("plots/metrics/train/loss.tsv"),
            Some("train/loss")
        );
        assert_eq!(metric_key("plots/metrics/acc.tsv"), Some("acc"));
        assert_eq!(metric_key("plots/metrics/notes.txt"), None);
        assert_eq!(metric_key("plots/sklearn/cm.json"), None);
    }
}
