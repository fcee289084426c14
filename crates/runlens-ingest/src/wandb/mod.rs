//! Weights & Biases run files (`run-<id>.wandb`, offline or synced): a `wandb/` folder of
//! `offline-run-*` / `run-*` folders, one run folder, or one file. See the W&B section of
//! `docs/input-formats.md`.

mod fast;
mod files;
mod framing;
mod proto;
mod run;
#[cfg(test)]
mod tests;
mod values;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use crate::error::ReadError;
use crate::reader::{Entry, EntryKind, ReadOutput, Reader};

use run::RunBuilder;
pub use run::TAG_PREFIX;

/// The folder W&B keeps pointing at the newest run.
const LATEST_RUN: &str = "latest-run";

/// Reads W&B `.wandb` run files.
#[derive(Debug, Clone, Copy, Default)]
pub struct WandbReader;

impl Reader for WandbReader {
    fn name(&self) -> &'static str {
        "wandb"
    }

    /// A `*.wandb` file; a run folder (one that directly holds a `run-*.wandb` file); and a
    /// `wandb/` folder: one holding run folders and nothing else but W&B's own `latest-run`
    /// link and `debug*.log` files. A folder that also holds anything else is left to the
    /// walk, which then claims its run folders one by one, so other formats beside them are
    /// still read.
    fn claims(&self, entry: &Entry<'_>) -> bool {
        match entry.kind() {
            EntryKind::File => entry.extension() == "wandb",
            EntryKind::Dir => !run_files(entry.path()).is_empty() || is_wandb_folder(entry.path()),
            EntryKind::Url => false,
        }
    }

    /// A file: the one run in it. A run folder: its run file(s). A `wandb/` folder: every
    /// run folder in it, in name order, each once (`latest-run` points at one of them).
    fn read(&self, path: &Path, out: &mut ReadOutput) -> Result<(), ReadError> {
        let meta = fs::metadata(path).map_err(|e| ReadError::io(path, e))?;
        if meta.is_file() {
            return read_file(path, out);
        }
        let files = run_files(path);
        if !files.is_empty() {
            read_files(&files, out);
            return Ok(());
        }
        let mut seen = BTreeSet::new();
        for folder in child_dirs(path) {
            let canonical = fs::canonicalize(&folder).unwrap_or_else(|_| folder.clone());
            if !seen.insert(canonical) {
                continue;
            }
            read_files(&run_files(&folder), out);
        }
        Ok(())
    }
}

/// Reads the run files of one folder; a file that cannot be read is a warning.
fn read_files(files: &[PathBuf], out: &mut ReadOutput) {
    for file in files {
        if let Err(error) = read_file(file, out) {
            out.warn_in(error.path(), error.reason());
        }
    }
}

/// Reads one `.wandb` file into one run.
fn read_file(path: &Path, out: &mut ReadOutput) -> Result<(), ReadError> {
    let file = fs::File::open(path).map_err(|e| ReadError::io(path, e))?;
    read_from(file, path, out)
}

/// Reads the content of the `.wandb` file at `path` from `input` into one run.
pub(crate) fn read_from(
    input: impl std::io::Read,
    path: &Path,
    out: &mut ReadOutput,
) -> Result<(), ReadError> {
    let mut builder = RunBuilder::new(fallback_id(path));
    let result = builder.read_from(input, path, out);
    if !builder.is_empty() {
        let run = builder.finish(path, out);
        out.add_run(run);
    }
    result
}

/// The run id in a file name `run-<id>.wandb` (the file stem for another name), used when
/// the file has no run record.
fn fallback_id(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    match stem.strip_prefix("run-") {
        Some(id) if !id.is_empty() => id.to_string(),
        _ => stem,
    }
}

/// Whether a file name is a run file's: `run-<id>.wandb`.
fn is_run_file_name(name: &str) -> bool {
    name.starts_with("run-") && name.ends_with(".wandb")
}

/// The `run-*.wandb` entries directly in `dir`, in name order (empty when `dir` is not a
/// run folder or cannot be listed). Whatever has a run file's name is listed, so that a
/// directory or a broken link in a run file's place is reported when it is read.
fn run_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| is_run_file_name(&e.file_name().to_string_lossy()))
        .map(|e| e.path())
        .collect();
    files.sort();
    files
}

/// The directories directly in `dir` (links to directories included), in name order.
fn child_dirs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// Whether `dir` is a `wandb/` folder: at least one run folder, and besides run folders
/// only `latest-run`, `debug*.log` files and hidden entries.
fn is_wandb_folder(dir: &Path) -> bool {
    let Ok(entries) = fs::read_dir(dir) else {
        return false;
    };
    let mut runs = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name == LATEST_RUN {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            if run_files(&path).is_empty() {
                return false;
            }
            runs += 1;
        } else if !(name.starts_with("debug") && name.ends_with(".log")) {
            return false;
        }
    }
    runs > 0
}
