//! One read of a file, directory or URL, in three parts so a walk can do the middle one on
//! other threads: [`Session::prepare`] (in walk order: skip what was read already, count
//! it, look it up in the cache), [`execute`] (the reader's work, on any thread) and
//! [`Session::commit`] (in walk order again: progress, the artifact budget, the cache,
//! warnings, runs). Read one after another, the three give what one read always gave; read
//! ahead on other threads, the same (see [`Session::commit`] for the budget).

use std::fs::{self, FileType};
use std::path::{Path, PathBuf};

use runlens_core::{ArtifactBudget, RegisteredModel, Run, Warning};

use super::{ReadOptions, Session, is_url};
use crate::budget::ReadBudget;
use crate::cache;
use crate::reader::{ReadOutput, Reader};
use crate::spill::{SharedSpill, SpilledRun};
use crate::tree::Listing;

/// A read to do, as [`Session::prepare`] hands it out.
pub(super) struct ReadJob<'r> {
    pub reader: &'r dyn Reader,
    pub path: PathBuf,
    /// The directory argument the walk found it under.
    pub root: Option<PathBuf>,
    /// Its cache key, when the read is to be cached (it then keeps its runs whole).
    pub key: Option<String>,
    /// The input's bytes when the read is to be cached (0 otherwise): what bounds the
    /// runs it holds whole until it is taken in.
    pub held_bytes: u64,
    /// The artifact bytes left when it was handed out.
    pub budget: u64,
    /// A directory's type and entries as the walk listed them, for the first read of it
    /// (a read done again lists it anew).
    pub listing: Option<(FileType, Listing)>,
}

/// What a read produced.
pub(super) struct ReadDone {
    runs: Vec<Run>,
    spilled: Vec<Option<SpilledRun>>,
    /// Its warnings, the read error's last.
    warnings: Vec<Warning>,
    models: Vec<RegisteredModel>,
    budget: ReadBudget,
}

/// An entry read from the cache, handed over in its turn.
pub(super) struct Cached<'r> {
    pub reader: &'r dyn Reader,
    pub path: PathBuf,
    pub entry: cache::Entry,
}

/// What [`Session::prepare`] found to do.
pub(super) enum Prepared<'r> {
    /// Taken from the cache: nothing to read.
    Cached(Cached<'r>),
    /// To be read.
    Read(ReadJob<'r>),
}

/// Reads `job` with the options of the build, its points going to `spill` unless the read
/// is cached. Runs on any thread.
pub(super) fn execute(
    job: &mut ReadJob<'_>,
    options: &ReadOptions,
    spill: Option<&SharedSpill>,
) -> ReadDone {
    let path = job.path.as_path();
    let mut out = ReadOutput::new(path, options.max_line_warnings_per_file)
        .with_options(options.clone())
        .with_budget(ArtifactBudget::new(job.budget));
    if let Some(root) = &job.root {
        out = out.with_root(root);
    }
    if let Some((file_type, listing)) = job.listing.take() {
        out = out.with_listing(file_type, listing);
    }
    // A read kept in the cache must hand over its whole runs; the others spill as they go.
    if let (None, Some(spill)) = (&job.key, spill) {
        out = out.with_spill(spill.clone());
    }
    let result = job.reader.read(path, &mut out);
    let mut error = None;
    if let Err(e) = result {
        let rest = match (is_url(path), out.runs().is_empty()) {
            (false, true) => "file skipped",
            (false, false) => "the rest of the file is skipped",
            (true, true) => "nothing read from it",
            (true, false) => "the runs read before are kept, the rest is skipped",
        };
        error = Some(Warning::file(
            e.path().display().to_string(),
            format!("{}; {rest}", e.reason()),
        ));
    }
    let (mut models, budget) = out.take_models_and_budget();
    for model in &mut models {
        model.source = job.reader.name().to_string();
    }
    let (runs, spilled, mut warnings) = out.into_spilled_parts();
    warnings.extend(error);
    ReadDone {
        runs,
        spilled,
        warnings,
        models,
        budget,
    }
}

impl<'a> Session<'a> {
    /// The first part of reading `path` with `reader` (`root`: the directory argument the
    /// walk found it under; `canonical`: its canonical path, when the walk knows it;
    /// `listing`: a directory's type and entries, when the walk listed it): `None` when it
    /// was read already (by another path to it).
    pub(super) fn prepare(
        &mut self,
        reader: &'a dyn Reader,
        path: &Path,
        root: Option<&Path>,
        canonical: Option<PathBuf>,
        listing: Option<(FileType, Listing)>,
    ) -> Option<Prepared<'a>> {
        let canonical = canonical
            .unwrap_or_else(|| fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()));
        if !self.seen.insert(canonical) {
            return None;
        }
        self.files_read += 1;
        let (key, held_bytes) = match (&self.cache, is_url(path)) {
            (Some(cache), false) => cache
                .key(reader.name(), path, root)
                .map_or((None, 0), |(key, bytes)| (Some(key), bytes)),
            _ => (None, 0),
        };
        if let Some(entry) = key
            .as_deref()
            .and_then(|key| self.cache.as_mut().and_then(|c| c.load(key)))
        {
            return Some(Prepared::Cached(Cached {
                reader,
                path: path.to_path_buf(),
                entry,
            }));
        }
        Some(Prepared::Read(ReadJob {
            reader,
            path: path.to_path_buf(),
            root: root.map(Path::to_path_buf),
            key,
            held_bytes,
            budget: self.budget,
            listing,
        }))
    }

    /// Reads `path` at once: [`Session::prepare`], [`execute`], [`Session::commit`].
    pub(super) fn read_now(&mut self, reader: &'a dyn Reader, path: &Path, root: Option<&Path>) {
        match self.prepare(reader, path, root, None, None) {
            Some(Prepared::Cached(cached)) => self.commit_cached(cached),
            Some(Prepared::Read(job)) => self.read_job(job),
            None => {}
        }
    }

    /// Does `job` on this thread and takes its result in.
    pub(super) fn read_job(&mut self, mut job: ReadJob<'a>) {
        let done = execute(&mut job, self.options, self.spill.as_ref());
        self.commit(job, done);
    }

    /// Takes an entry read from the cache in.
    pub(super) fn commit_cached(&mut self, cached: Cached<'_>) {
        (self.on_read)(&cached.path);
        let entry = cached.entry;
        self.models.extend(entry.models);
        self.warnings.extend(entry.warnings);
        let count = entry.runs.len();
        self.add_runs(cached.reader, entry.runs, vec![None; count]);
    }

    /// Takes what `job` produced in, in walk order. A read done ahead, before the reads
    /// handed out earlier had taken their artifact bytes, started with more bytes than
    /// were left: it is kept when every answer the budget gave it would have been the same
    /// with the bytes left now (its [`ReadBudget::slack`]), and read again otherwise, so
    /// the report never depends on the order the threads finished in.
    pub(super) fn commit(&mut self, job: ReadJob<'_>, done: ReadDone) {
        let now = self.budget;
        let (job, done) = if job.budget >= now && job.budget - now <= done.budget.slack() {
            (job, done)
        } else {
            let mut job = ReadJob { budget: now, ..job };
            let done = execute(&mut job, self.options, self.spill.as_ref());
            (job, done)
        };
        (self.on_read)(&job.path);
        let fewer = job.budget - now;
        let ReadDone {
            runs,
            spilled,
            warnings,
            models,
            budget,
        } = done;
        let (left_out, left_out_bytes) = budget.left_out();
        let budget_untouched = budget.remaining() == job.budget && left_out == 0;
        // At least `fewer` were left: every file that fit left that much room.
        self.budget = budget.remaining().saturating_sub(fewer);
        self.left_out.0 += left_out;
        self.left_out.1 = self.left_out.1.saturating_add(left_out_bytes);
        if let (Some(key), Some(cache)) = (job.key, self.cache.as_mut())
            && budget_untouched
        {
            cache.store(key, &runs, &warnings, &models);
        }
        self.models.extend(models);
        self.warnings.extend(warnings);
        self.add_runs(job.reader, runs, spilled);
    }
}
