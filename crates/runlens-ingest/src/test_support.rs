//! Helpers for the unit tests: read a text as a file with one reader and look at the result.

use std::path::Path;

use runlens_core::{Run, Warning};

use crate::reader::{Entry, EntryKind, ReadOutput, Reader};

/// What one reader made of one file.
pub struct Read {
    /// The runs, sorted by (id, experiment).
    pub runs: Vec<Run>,
    /// The warnings as `file:line: message` text, with the temporary directory left out.
    pub warnings: Vec<String>,
    /// The `Err` the reader returned, as its reason.
    // Read only by the CSV readers' tests.
    #[cfg_attr(not(feature = "csv"), allow(dead_code))]
    pub error: Option<String>,
}

impl Read {
    /// The run with `id`; panics (failing the test) when there is none.
    pub fn run(&self, id: &str) -> &Run {
        self.runs
            .iter()
            .find(|r| r.id == id)
            .unwrap_or_else(|| panic!("no run {id:?} in {:?}", self.ids()))
    }

    /// The ids of the runs.
    pub fn ids(&self) -> Vec<&str> {
        self.runs.iter().map(|r| r.id.as_str()).collect()
    }
}

/// Writes `bytes` to `name` in a temporary directory and reads it with `reader`.
pub fn read_bytes(reader: &dyn Reader, name: &str, bytes: &[u8]) -> Read {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write fixture");
    let mut out = ReadOutput::new(&path, 20);
    let error = reader.read(&path, &mut out).err().map(|e| e.reason());
    let (mut runs, warnings) = out.into_parts();
    runs.sort_by(|a, b| (&a.id, &a.experiment).cmp(&(&b.id, &b.experiment)));
    let prefix = format!("{}/", dir.path().display());
    Read {
        runs,
        warnings: warnings.iter().map(|w| strip(w, &prefix)).collect(),
        error,
    }
}

/// [`read_bytes`] for text.
pub fn read_text(reader: &dyn Reader, name: &str, text: &str) -> Read {
    read_bytes(reader, name, text.as_bytes())
}

fn strip(warning: &Warning, prefix: &str) -> String {
    warning.to_string().replacen(prefix, "", 1)
}

/// Whether `reader` claims a file `name` holding `bytes` (found by a walk, not named).
pub fn claims(reader: &dyn Reader, name: &str, bytes: &[u8]) -> bool {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write fixture");
    reader.claims(&Entry::new(Path::new(&path), EntryKind::File))
}
