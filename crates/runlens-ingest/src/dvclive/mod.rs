//! DVCLive (3.x) run folders: each `Live(dir=...)` folder (`params.yaml`, `metrics.json`,
//! `plots/metrics/**.tsv`, `plots/images`, `plots/sklearn`) is a run, and a `dvc.yaml` in a
//! git repository brings in the DVC experiments stored under `refs/exps/`. See the DVCLive
//! section of `docs/input-formats.md`.

mod exps;
mod live;
#[cfg(test)]
mod tests;
mod tsv;
mod values;

use std::fs;
use std::path::{Component, Path, PathBuf};

use runlens_core::Run;

use crate::error::ReadError;
use crate::reader::{Entry, EntryKind, ReadOutput, Reader};

pub use exps::TAG_PREFIX;
use live::{METRICS, PARAMS, PLOTS_METRICS};

/// The file DVC and DVCLive list metrics, params and plots in.
const DVC_YAML: &str = "dvc.yaml";

/// Reads DVCLive folders and the DVC experiments of a repository.
#[derive(Debug, Clone, Copy, Default)]
pub struct DvcliveReader;

impl Reader for DvcliveReader {
    fn name(&self) -> &'static str {
        "dvclive"
    }

    /// A Live folder: one holding `plots/metrics/` beside a `metrics.json` or a
    /// `params.yaml` (the folder is then the reader's entirely). A `dvc.yaml` file, for the
    /// DVC experiments of the git repository it is in; claiming the file rather than its
    /// folder leaves the rest of a project (other trackers' logs) to the walk.
    fn claims(&self, entry: &Entry<'_>) -> bool {
        match entry.kind() {
            EntryKind::File => entry.path().file_name().is_some_and(|n| n == DVC_YAML),
            EntryKind::Dir => is_live_dir(entry.path()),
            EntryKind::Url => false,
        }
    }

    /// A Live folder: one run. A `dvc.yaml`: a run per experiment and Live folder it lists.
    fn read(&self, path: &Path, out: &mut ReadOutput) -> Result<(), ReadError> {
        let meta = fs::metadata(path).map_err(|e| ReadError::io(path, e))?;
        if meta.is_file() {
            let dir = folder_of(path);
            let canonical = fs::canonicalize(&dir).map_err(|e| ReadError::io(&dir, e))?;
            return exps::read(path, &dir_name(&canonical), out);
        }
        let run = identity(path);
        let experiment = run.experiment.clone().unwrap_or_default();
        let run = live::read(&mut live::DiskFiles::new(path), run, out);
        out.add_run(run);
        // A Live folder that is its project (`Live(dir=".")`) keeps the dvc.yaml inside.
        let dvc_yaml = path.join(DVC_YAML);
        if dvc_yaml.is_file() {
            exps::read(&dvc_yaml, &experiment, out)?;
        }
        Ok(())
    }
}

/// Whether `dir` is a Live folder.
fn is_live_dir(dir: &Path) -> bool {
    dir.join(PLOTS_METRICS).is_dir() && (dir.join(METRICS).is_file() || dir.join(PARAMS).is_file())
}

/// The folder a file is in (`.` for a bare file name).
fn folder_of(file: &Path) -> PathBuf {
    match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The last component of a (canonical) path, or the whole path for a root.
fn dir_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// The project a Live folder belongs to: the nearest folder above it holding a `dvc.yaml`,
/// looking no further up than the top of a git work tree or DVC project.
fn project_dir(live: &Path) -> Option<&Path> {
    for dir in live.ancestors().skip(1) {
        if dir.join(DVC_YAML).is_file() {
            return Some(dir);
        }
        if dir.join(".git").exists() || dir.join(".dvc").is_dir() {
            return None;
        }
    }
    None
}

/// Id, name and experiment of the run in the Live folder `dir`: the experiment is the
/// name of its project folder (the `dvc.yaml`'s, else the folder above the Live folder),
/// the id and name its path relative to that folder (`runs/lr-0.1`, `dvclive`).
fn identity(dir: &Path) -> Run {
    let canonical = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let base = project_dir(&canonical).or_else(|| canonical.parent());
    let relative: Vec<String> = base
        .and_then(|base| canonical.strip_prefix(base).ok())
        .map(|rel| {
            rel.components()
                .filter_map(|c| match c {
                    Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let id = if relative.is_empty() {
        dir_name(&canonical)
    } else {
        relative.join("/")
    };
    Run {
        name: id.clone(),
        id,
        experiment: base.map(dir_name),
        ..Run::default()
    }
}
