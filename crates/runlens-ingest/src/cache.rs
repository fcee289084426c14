//! The read cache of incremental builds: what a reader produced from one file (or one
//! directory, for directory formats) is kept in a cache directory, keyed by the reader, the
//! path, and the size and modification time of the file (of every file and directory under
//! it, for a directory), together with runlens' version, the bundle format version and the
//! options that change what is read. A later build that finds the same key takes the runs,
//! warnings and registry entries from the cache instead of reading the file again.
//!
//! Only readers whose output depends on nothing but the file or directory given are cached
//! (JSONL, the CSV readers, TensorBoard); the others read files beside it and are read every
//! time. Safe by construction: an entry is a checksummed MessagePack document that repeats its
//! full key and context, so a damaged, foreign or stale entry is never trusted (a damaged one
//! is reported in [`ReadCache::notes`], never in the report). Reads that embed artifact
//! content or touch the artifact budget are not cached (the budget is shared across files,
//! and the serialized form of an artifact keeps only its size), nor are URLs. Entries not
//! used by a build are removed at its end.

use std::collections::HashSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use runlens_core::{RegisteredModel, Run, Warning};
use serde::{Deserialize, Serialize};
use walkdir::WalkDir;

use crate::sources::ReadOptions;

/// First bytes of every entry; bump the digit when the layout of [`Entry`] changes.
const MAGIC: &[u8; 8] = b"RLCACHE1";
/// Readers whose output depends only on the file, or the directory subtree, they are given.
/// The others also read what lies beside it (an MLflow store's artifact folder, a W&B run's
/// `files/`, trackio's media, git objects of DVC experiments) and are read every time.
const CACHED_READERS: [&str; 4] = ["jsonl", "csv", "metrics-csv", "tensorboard"];

/// Extension of entry files; nothing else in the directory is touched.
const EXTENSION: &str = "rlc";

/// What one read produced, as kept in the cache.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Entry {
    key: String,
    context: String,
    /// Runs as the reader produced them (before the session names their source).
    pub runs: Vec<Run>,
    /// Warnings, the read error's included.
    pub warnings: Vec<Warning>,
    /// Model registry entries.
    pub models: Vec<RegisteredModel>,
}

/// A cache directory opened for one build.
#[derive(Debug)]
pub struct ReadCache {
    dir: PathBuf,
    context: String,
    used: HashSet<PathBuf>,
    notes: Vec<String>,
    hits: usize,
    misses: usize,
    /// Inputs larger than this on disk are read every time, not cached.
    max_input_bytes: u64,
}

impl ReadCache {
    /// The cache in `dir` (created when first written) for reads with `options`.
    pub fn new(dir: &Path, options: &ReadOptions) -> Self {
        let context = format!(
            "runlens {} bundle {} deleted={} experiments={:?} line_warnings={}",
            env!("CARGO_PKG_VERSION"),
            runlens_core::bundle::FORMAT_VERSION,
            options.include_deleted,
            options.experiments,
            options.max_line_warnings_per_file,
        );
        Self {
            dir: dir.to_path_buf(),
            context,
            used: HashSet::new(),
            notes: Vec::new(),
            hits: 0,
            misses: 0,
            max_input_bytes: u64::MAX,
        }
    }

    /// Leaves inputs larger than `bytes` on disk (a file, or all files under a directory)
    /// out of the cache: a cached read is handed over whole, so a streamed build (one that
    /// spills the points, [`ReadOptions::spill_dir`]) would hold all of such an input in
    /// memory to cache it.
    pub fn with_max_input_bytes(mut self, bytes: u64) -> Self {
        self.max_input_bytes = bytes;
        self
    }

    /// Problems met with the cache itself (damaged entries, a directory that cannot be
    /// written), for the terminal.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Reads taken from the cache, and reads done.
    pub fn hits_and_misses(&self) -> (usize, usize) {
        (self.hits, self.misses)
    }

    /// The key of reading `path` (a file or directory) with `reader` under `root`, and the
    /// input's bytes (all its files'); `None` (read, not cached) for a reader outside
    /// [`CACHED_READERS`], when its metadata cannot be read, or for an input over the
    /// size limit.
    pub(crate) fn key(
        &self,
        reader: &str,
        path: &Path,
        root: Option<&Path>,
    ) -> Option<(String, u64)> {
        if !CACHED_READERS.contains(&reader) {
            return None;
        }
        let mut key = format!(
            "{reader}\n{}\n{}\n",
            path.display(),
            root.map(|r| r.display().to_string()).unwrap_or_default()
        );
        let meta = fs::metadata(path).ok()?;
        let mut bytes = 0u64;
        if meta.is_dir() {
            for entry in WalkDir::new(path).follow_links(true).sort_by_file_name() {
                let entry = entry.ok()?;
                let meta = entry.metadata().ok()?;
                stamp(&mut key, entry.path(), &meta)?;
                bytes = bytes.saturating_add(if meta.is_file() { meta.len() } else { 0 });
            }
        } else {
            stamp(&mut key, path, &meta)?;
            bytes = meta.len();
        }
        (bytes <= self.max_input_bytes).then_some((key, bytes))
    }

    fn file(&self, key: &str) -> PathBuf {
        // FNV-1a: stable across runs and platforms; the entry repeats its key, so a
        // collision is a miss, never a wrong hit.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in key.bytes().chain(self.context.bytes()) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        self.dir.join(format!("{hash:016x}.{EXTENSION}"))
    }

    /// The entry for `key`, when the cache holds a sound one.
    pub(crate) fn load(&mut self, key: &str) -> Option<Entry> {
        let file = self.file(key);
        self.used.insert(file.clone());
        let bytes = match fs::read(&file) {
            Ok(bytes) => bytes,
            Err(_) => {
                self.misses += 1;
                return None;
            }
        };
        match decode(&bytes) {
            Ok(entry) if entry.key == key && entry.context == self.context => {
                self.hits += 1;
                Some(entry)
            }
            Ok(_) => {
                self.misses += 1;
                None
            }
            Err(problem) => {
                self.misses += 1;
                self.notes.push(format!(
                    "cache entry {} is damaged ({problem}); ignored, the input is read again",
                    file.display()
                ));
                None
            }
        }
    }

    /// Keeps what a read of `key` produced.
    pub(crate) fn store(
        &mut self,
        key: String,
        runs: &[Run],
        warnings: &[Warning],
        models: &[RegisteredModel],
    ) {
        let entry = Entry {
            key,
            context: self.context.clone(),
            runs: runs.to_vec(),
            warnings: warnings.to_vec(),
            models: models.to_vec(),
        };
        let file = self.file(&entry.key);
        self.used.insert(file.clone());
        let first_failure = self
            .notes
            .iter()
            .all(|n| !n.starts_with("cannot write the cache"));
        if let Err(e) = write(&self.dir, &file, &entry)
            && first_failure
        {
            self.notes.push(format!(
                "cannot write the cache in {}: {e}; the next build reads everything again",
                self.dir.display()
            ));
        }
    }

    /// Removes the entries this build did not use.
    pub(crate) fn finish(&mut self) {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == EXTENSION) && !self.used.contains(&path) {
                let _ = fs::remove_file(path);
            }
        }
    }
}

/// Appends the path, size and modification time (nanoseconds) of one file or directory,
/// and on Unix its status change time (which also moves when its permissions change).
fn stamp(key: &mut String, path: &Path, meta: &fs::Metadata) -> Option<()> {
    let modified = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
    #[cfg(unix)]
    let changed = {
        use std::os::unix::fs::MetadataExt;
        (meta.ctime(), meta.ctime_nsec())
    };
    #[cfg(not(unix))]
    let changed = (0, 0);
    key.push_str(&format!(
        "{}\t{}\t{}\t{}.{}\n",
        path.display(),
        if meta.is_dir() { 0 } else { meta.len() },
        modified.as_nanos(),
        changed.0,
        changed.1
    ));
    Some(())
}

fn encode(entry: &Entry) -> Vec<u8> {
    let body = rmp_serde::to_vec_named(entry).expect("an entry serializes");
    let mut out = Vec::with_capacity(body.len() + 12);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

fn decode(bytes: &[u8]) -> Result<Entry, String> {
    let rest = bytes
        .strip_prefix(MAGIC.as_slice())
        .ok_or("not a runlens cache entry of this version")?;
    if rest.len() < 4 {
        return Err("cut short".into());
    }
    let (sum, body) = rest.split_at(4);
    if crc32fast::hash(body).to_le_bytes() != sum {
        return Err("the checksum does not match".into());
    }
    rmp_serde::from_slice(body).map_err(|e| e.to_string())
}

/// Writes `entry` to `file` atomically (a temporary file renamed over it).
fn write(dir: &Path, file: &Path, entry: &Entry) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    let temp = file.with_extension(format!("tmp{}", std::process::id()));
    let result = fs::File::create(&temp)
        .and_then(|mut f| f.write_all(&encode(entry)))
        .and_then(|()| fs::rename(&temp, file));
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use runlens_core::{MetricSeries, ParamValue};

    fn entry() -> Entry {
        let mut run = Run {
            id: "r".into(),
            name: "n".into(),
            notes: Some("note".into()),
            ..Run::default()
        };
        run.params.insert("i".into(), ParamValue::Int(3));
        run.params.insert("f".into(), ParamValue::Float(3.0));
        run.params.insert("b".into(), ParamValue::Bool(true));
        run.params.insert("t".into(), ParamValue::Text("3".into()));
        let mut series = MetricSeries::default();
        series.push(0, f64::NAN, None);
        series.push(1, f64::NEG_INFINITY, Some(2.5));
        series.push(2, -0.0, None);
        run.metrics.insert("loss".into(), series);
        Entry {
            key: "k".into(),
            context: "c".into(),
            runs: vec![run],
            warnings: vec![Warning::line("f.jsonl", 3, "bad")],
            models: Vec::new(),
        }
    }

    #[test]
    fn an_entry_round_trips_bit_for_bit() {
        let entry = entry();
        let back = decode(&encode(&entry)).unwrap();
        assert_eq!(format!("{back:?}"), format!("{entry:?}"));
        let (a, b) = (
            &entry.runs[0].metrics["loss"],
            &back.runs[0].metrics["loss"],
        );
        let bits = |s: &MetricSeries| s.values.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(a), bits(b));
        assert_eq!(back.runs[0].params, entry.runs[0].params);
    }

    #[test]
    fn a_damaged_entry_is_refused() {
        let mut bytes = encode(&entry());
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert!(decode(&bytes).unwrap_err().contains("checksum"));
        assert!(decode(&bytes[..10]).is_err());
        assert!(decode(b"garbage").is_err());
    }

    #[test]
    fn inputs_above_the_size_limit_are_not_cached() {
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().join("logs");
        fs::create_dir(&logs).unwrap();
        fs::write(logs.join("a.jsonl"), [b'x'; 600]).unwrap();
        fs::write(logs.join("b.jsonl"), [b'x'; 500]).unwrap();
        let options = ReadOptions::default();
        let cache = ReadCache::new(&dir.path().join("cache"), &options);
        assert!(cache.key("jsonl", &logs.join("a.jsonl"), None).is_some());
        let cache = cache.with_max_input_bytes(1000);
        assert!(cache.key("jsonl", &logs.join("a.jsonl"), None).is_some());
        assert!(
            cache.key("tensorboard", &logs, None).is_none(),
            "1,100 bytes in all"
        );
        let cache = cache.with_max_input_bytes(1100);
        assert!(cache.key("tensorboard", &logs, None).is_some());
    }
}
