//! MLflow tracking stores: the SQLite store (`mlflow.db` or `sqlite:///PATH`), the file
//! store (`mlruns/`) and a running tracking server (`http://HOST:PORT`, over its REST API).
//! All are read without writing a byte; see `docs/input-formats.md`.

pub(crate) mod artifacts;
mod convert;
mod file_store;
pub(crate) use file_store::parse_metric_line;
mod registry;
mod rest;
pub(crate) mod sqlite;
mod sqlite_metrics;
mod sqlite_plan;

use std::path::Path;

use crate::error::ReadError;
use crate::reader::{Entry, EntryKind, ReadOutput, Reader};

/// Reads MLflow tracking stores. Claims a SQLite file with MLflow's tables (any SQLite file
/// named on the command line, so that a damaged or foreign one is reported), a
/// `sqlite:///PATH` URL, an `http://` or `https://` URL (a tracking server), and a
/// directory holding `<digits>/meta.yaml` experiment folders.
#[derive(Debug, Clone, Copy, Default)]
pub struct MlflowReader;

impl Reader for MlflowReader {
    fn name(&self) -> &'static str {
        "mlflow"
    }

    fn claims(&self, entry: &Entry<'_>) -> bool {
        match entry.kind() {
            EntryKind::File => {
                entry.head().starts_with(sqlite::SQLITE_MAGIC)
                    && (entry.is_explicit() || sqlite::probe(entry.path()) != sqlite::Probe::Other)
            }
            EntryKind::Dir => file_store::is_file_store(entry.path()),
            EntryKind::Url => entry
                .path()
                .to_str()
                .is_some_and(|url| sqlite::url_path(url).is_some() || rest::is_server_url(url)),
        }
    }

    fn read(&self, path: &Path, out: &mut ReadOutput) -> Result<(), ReadError> {
        if let Some(url) = path.to_str().filter(|url| rest::is_server_url(url)) {
            return rest::read(url, out);
        }
        if let Some(db) = path.to_str().and_then(sqlite::url_path) {
            let db = Path::new(db);
            if !db.is_file() {
                return Err(ReadError::invalid(
                    path,
                    format!("no database file at {}", db.display()),
                ));
            }
            return sqlite::read(db, out);
        }
        if path.is_dir() {
            file_store::read(path, out)
        } else {
            sqlite::read(path, out)
        }
    }
}
