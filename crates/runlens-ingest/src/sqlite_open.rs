//! Opening SQLite databases (MLflow stores, trackio projects) read-only, safely beside a
//! training process that writes them: `immutable` when a WAL database is at rest (so that
//! reading creates no `-wal` or `-shm` file), checked after the read and done again through
//! the WAL protocol when a writer came meanwhile.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::ReadError;
use crate::mlflow::sqlite::SQLITE_MAGIC;
use crate::reader::ReadOutput;

/// How long to wait for a training job's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens `path` read-only: `immutable` (see [`at_rest`]) when nothing is pending in its
/// write-ahead log, else through the WAL protocol.
pub(crate) fn open(path: &Path) -> rusqlite::Result<Connection> {
    open_as(path, at_rest(path).is_some())
}

/// Opens `path` read-only. The URI form adds `mode=ro`; a training job may be writing the
/// database (WAL or rollback journal), so a busy timeout waits for its locks.
///
/// Any WAL connection, even a read-only one, creates the `-wal` and `-shm` files beside the
/// database, so a WAL database at rest is opened `immutable` (which touches no file); see
/// [`read_consistently`] for what makes that safe while a writer may start.
pub(crate) fn open_as(path: &Path, immutable: bool) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = match path.to_str() {
        Some(text) => {
            let immutable = if immutable { "&immutable=1" } else { "" };
            Connection::open_with_flags(
                format!("file:{}?mode=ro{immutable}", uri_escape(text)),
                flags,
            )?
        }
        // Not UTF-8: no URI, the read-only flag alone.
        None => Connection::open_with_flags(path, flags - OpenFlags::SQLITE_OPEN_URI)?,
    };
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(conn)
}

/// The size and modification time of a database file.
pub(crate) type Stamp = (u64, Option<std::time::SystemTime>);

/// The database's [`Stamp`] when it is a WAL database at rest: its header says WAL mode
/// and its `-wal` log is missing or empty, so nothing is pending and the file alone is its
/// whole state (a `-shm` index may be left by a process that exited without closing). `None`
/// otherwise.
pub(crate) fn at_rest(path: &Path) -> Option<Stamp> {
    use std::io::Read;
    let mut header = [0u8; 20];
    let meta = std::fs::metadata(path).ok()?;
    let wal_mode = std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut header))
        .is_ok_and(|()| header.starts_with(SQLITE_MAGIC) && header[18] == 2 && header[19] == 2);
    let mut log = path.as_os_str().to_owned();
    log.push("-wal");
    let log_empty = std::fs::metadata(log).map_or(true, |m| m.len() == 0);
    (wal_mode && log_empty).then(|| (meta.len(), meta.modified().ok()))
}

/// Runs `read` (given whether to open `path` `immutable`) so that a writer starting
/// meanwhile cannot give it a torn view. A WAL database at rest is read `immutable` into a
/// scratch output; if the
/// database is no longer the same file at rest afterwards (a writer came, and may have
/// checkpointed pages into the file while they were read: its size or modification time
/// changed, or its log is no longer empty), that result is dropped and the database is read
/// again through the WAL protocol, which is safe beside a writer.
pub(crate) fn read_consistently(
    path: &Path,
    out: &mut ReadOutput,
    read: impl Fn(bool, &mut ReadOutput) -> Result<(), ReadError>,
) -> Result<(), ReadError> {
    if let Some(stamp) = at_rest(path) {
        let mut scratch = out.scratch();
        let result = read(true, &mut scratch);
        if at_rest(path) == Some(stamp) {
            out.absorb(scratch);
            return result;
        }
    }
    read(false, out)
}

/// Escapes the characters that end or change the path part of a SQLite URI.
pub(crate) fn uri_escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            '%' => out.push_str("%25"),
            '?' => out.push_str("%3f"),
            '#' => out.push_str("%23"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    /// A WAL database with one row, closed (so at rest).
    fn wal_database(dir: &Path) -> std::path::PathBuf {
        let path = dir.join("live.db");
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "journal_mode", "wal").unwrap();
        conn.execute_batch("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);")
            .unwrap();
        drop(conn);
        path
    }

    fn count(path: &Path, immutable: bool) -> i64 {
        let conn = open_as(path, immutable).unwrap();
        conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn a_database_at_rest_is_read_once_immutable() {
        let dir = tempfile::tempdir().unwrap();
        let path = wal_database(dir.path());
        assert!(at_rest(&path).is_some());
        let mut out = ReadOutput::new(&path, 20);
        let modes = std::cell::RefCell::new(Vec::new());
        read_consistently(&path, &mut out, |immutable, out| {
            modes.borrow_mut().push(immutable);
            out.warn_file(format!("{} rows", count(&path, immutable)));
            Ok(())
        })
        .unwrap();
        assert_eq!(*modes.borrow(), [true]);
        let (_, warnings) = out.into_parts();
        assert_eq!(warnings.len(), 1);
        assert!(
            !dir.path().join("live.db-wal").exists(),
            "reading made a log"
        );
    }

    #[test]
    fn a_writer_during_an_immutable_read_makes_it_read_again_through_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = wal_database(dir.path());
        let mut out = ReadOutput::new(&path, 20);
        let attempts = Cell::new(0);
        read_consistently(&path, &mut out, |immutable, out| {
            attempts.set(attempts.get() + 1);
            let rows = count(&path, immutable);
            if immutable {
                // A training process writes and checkpoints while this read is under way.
                let writer = Connection::open(&path).unwrap();
                writer
                    .execute_batch("INSERT INTO t VALUES (2); PRAGMA wal_checkpoint(TRUNCATE);")
                    .unwrap();
                drop(writer);
            }
            out.warn_file(format!("{rows} rows, immutable: {immutable}"));
            Ok(())
        })
        .unwrap();
        assert_eq!(attempts.get(), 2);
        let (_, warnings) = out.into_parts();
        let text: Vec<String> = warnings.iter().map(|w| w.message.clone()).collect();
        // The first attempt's output is dropped, not merged.
        assert_eq!(text, ["2 rows, immutable: false"]);
    }
}
