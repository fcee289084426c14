//! trackio (Hugging Face) projects: a trackio directory (`$TRACKIO_DIR`, by default
//! `~/.cache/huggingface/trackio`) holding one `<project>.db` SQLite file per project beside
//! `media/` and `artifacts/` folders, or one `<project>.db` named on the command line. The
//! databases are opened read-only (they may be in WAL mode and open in a training process).
//! See the trackio section of `docs/input-formats.md`.

mod db;
mod files;
mod row;
#[cfg(test)]
mod tests;
mod values;

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::ReadError;
use crate::mlflow::sqlite::SQLITE_MAGIC;
use crate::reader::{Entry, EntryKind, ReadOutput, Reader};

pub use db::{Probe, probe};

/// Reads trackio project databases and trackio directories.
#[derive(Debug, Clone, Copy, Default)]
pub struct TrackioReader;

impl Reader for TrackioReader {
    fn name(&self) -> &'static str {
        "trackio"
    }

    /// A SQLite file with trackio's tables (`configs`, and `metrics` with a JSON `metrics`
    /// column; never MLflow's `metrics(key, value)`), and a trackio directory: one that holds
    /// such a file and nothing but trackio's own entries (`*.db` with their `-wal`/`-shm`
    /// companions, `*.lock`, `media/`, `artifacts/`). A folder that also holds other things
    /// is left to the walk, which then claims its databases one by one.
    fn claims(&self, entry: &Entry<'_>) -> bool {
        match entry.kind() {
            EntryKind::File => {
                entry.head().starts_with(SQLITE_MAGIC) && probe(entry.path()) == Probe::Trackio
            }
            EntryKind::Dir => is_trackio_dir(entry.path()),
            EntryKind::Url => false,
        }
    }

    /// A file: the project in it. A directory: every `*.db` in it, in name order; one that
    /// is not a trackio database is a warning naming it.
    fn read(&self, path: &Path, out: &mut ReadOutput) -> Result<(), ReadError> {
        let meta = fs::metadata(path).map_err(|e| ReadError::io(path, e))?;
        if meta.is_file() {
            return db::read(path, out);
        }
        for file in databases(path).map_err(|e| ReadError::io(path, e))? {
            let result = match probe(&file) {
                Probe::Trackio => db::read(&file, out),
                Probe::Other => Err(ReadError::invalid(
                    &file,
                    "a SQLite database but not a trackio project (no configs and metrics tables of trackio's shape)",
                )),
                Probe::Broken => Err(ReadError::invalid(
                    &file,
                    "not a readable SQLite database (damaged, locked or not SQLite)",
                )),
            };
            if let Err(error) = result {
                out.warn_in(error.path(), format!("{}; skipped", error.reason()));
            }
        }
        Ok(())
    }
}

/// The `*.db` files directly in `dir`, in name order.
fn databases(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "db") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Whether `name` (an entry of a trackio directory) is one trackio writes there.
fn is_trackio_entry(name: &str, is_dir: bool) -> bool {
    if name.starts_with('.') {
        return true;
    }
    if is_dir {
        return matches!(name, "media" | "artifacts");
    }
    [".db", ".db-wal", ".db-shm", ".db-journal", ".lock"]
        .iter()
        .any(|suffix| name.ends_with(suffix))
}

/// A directory holding at least one trackio database and nothing trackio does not write.
fn is_trackio_dir(dir: &Path) -> bool {
    let Ok(entries) = fs::read_dir(dir) else {
        return false;
    };
    let mut candidates = Vec::new();
    for entry in entries {
        let Ok(entry) = entry else {
            return false;
        };
        let path = entry.path();
        let is_dir = path.is_dir();
        let name = entry.file_name().to_string_lossy().into_owned();
        if !is_trackio_entry(&name, is_dir) {
            return false;
        }
        if !is_dir && name.ends_with(".db") {
            candidates.push(path);
        }
    }
    candidates.iter().any(|db| probe(db) == Probe::Trackio)
}
