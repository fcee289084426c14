//! Reading the sources the user named: files go to the reader that claims them, directories
//! are walked, and the runs of every file are merged into one [`Archive`].

mod read;
mod walk;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};

use runlens_core::{Archive, ArtifactBudget, RegisteredModel, Run, Warning};

use crate::cache::ReadCache;
use crate::error::IngestError;
use crate::limits::{self, TextLimits};
use crate::reader::{Entry, EntryKind, Reader, merge_run, merge_series};
use crate::spill::{ArchiveSeries, SharedSpill, Spill, SpilledRun, SpilledSeries};
use crate::tree::TreeError;

/// Settings for [`read_sources`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ReadOptions {
    /// At most this many line warnings per file are listed one by one; the rest are
    /// counted in one summary warning.
    pub max_line_warnings_per_file: usize,
    /// Also read runs and experiments the tracker marks as deleted (MLflow's
    /// `lifecycle_stage = 'deleted'`); they are left out by default.
    pub include_deleted: bool,
    /// When not empty, only runs of experiments with one of these names are kept (readers
    /// that can skip the others while reading do so).
    pub experiments: Vec<String>,
    /// Total bytes of artifacts (images, text, JSON, HTML) that may be copied into the
    /// report; artifacts beyond it are listed without content (and counted in a warning).
    pub max_artifact_bytes: u64,
    /// Longest text kept whole in each field; longer text is cut with a marker and a
    /// warning (see [`TextLimits`]).
    pub text_limits: TextLimits,
    /// When set, the metric points of each input are moved, once it is read, into an
    /// unnamed temporary file in this directory, and the report's runs are left without the
    /// series that went there: they are read back one at a time through
    /// [`ReadReport::series`] (what `runlens build` does, so that its memory does not grow
    /// with the points). Leave unset to have every series in the runs.
    pub spill_dir: Option<PathBuf>,
    /// With [`ReadOptions::spill_dir`]: how many points a reader that builds many runs at
    /// once (a JSONL file of many runs) holds before it moves them to the spill.
    pub spill_points: usize,
    /// How many threads read the entries of a directory walk at once (0: one per core).
    /// The result is the same whatever the number: runs, warnings and their order.
    pub threads: usize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            max_line_warnings_per_file: 20,
            include_deleted: false,
            experiments: Vec::new(),
            max_artifact_bytes: ArtifactBudget::DEFAULT_BYTES,
            text_limits: TextLimits::default(),
            spill_dir: None,
            spill_points: 1 << 20,
            threads: 0,
        }
    }
}

impl ReadOptions {
    /// Whether a run of the experiment named `name` is wanted under [`ReadOptions::experiments`].
    pub fn wants_experiment(&self, name: Option<&str>) -> bool {
        self.experiments.is_empty()
            || name.is_some_and(|name| self.experiments.iter().any(|e| e == name))
    }
}

/// Whether a source is a URL (`scheme://...`, e.g. `sqlite:///mlflow.db`) rather than a path.
fn is_url(source: &Path) -> bool {
    let text = source.to_string_lossy();
    text.split_once("://").is_some_and(|(scheme, _)| {
        scheme.len() > 1
            && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

/// The result of [`read_sources`].
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct ReadReport {
    /// Every run read (merged across files, finished) and every warning. With
    /// [`ReadOptions::spill_dir`], runs whose series were spilled hold none: see
    /// [`ReadReport::series`].
    pub archive: Archive,
    /// The series moved out of the runs (none unless [`ReadOptions::spill_dir`] is set).
    pub spilled: SpilledSeries,
    /// Files found in directories that no reader claimed, in walk order (for `--verbose`).
    pub unrecognized: Vec<PathBuf>,
    /// Number of files (and directories, for directory formats) handed to a reader.
    pub files_read: usize,
}

impl ReadReport {
    /// Every run's series, held or spilled, for [`runlens_core::bundle::encode_with`].
    pub fn series(&self) -> ArchiveSeries<'_> {
        ArchiveSeries {
            archive: &self.archive,
            spilled: &self.spilled,
        }
    }

    /// Total number of metric points, held or spilled.
    pub fn point_count(&self) -> u64 {
        self.archive.point_count() + self.spilled.point_count()
    }
}

/// Reads `sources` with the built-in [`crate::readers`]. See [`read_sources_with`].
pub fn read_sources(sources: &[PathBuf], options: &ReadOptions) -> Result<ReadReport, IngestError> {
    read_sources_with(sources, options, &crate::readers())
}

/// Reads `sources` (files, directories or URLs) with `readers`, tried in order.
///
/// A file is read by the first reader that claims it; a named file that no reader claims
/// is a warning. A directory is offered to the readers first (directory formats), then
/// walked in name order, skipping hidden entries and `target`, `node_modules` and
/// `__pycache__` directories; files no reader claims go to [`ReadReport::unrecognized`].
/// The entries a walk claims are read on [`ReadOptions::threads`] threads and taken in in
/// walk order: the result does not depend on the number of threads.
/// A URL (`sqlite:///mlflow.db`, `http://127.0.0.1:5000`) goes to the reader that claims it as an
/// [`EntryKind::Url`]. Runs with the same source, experiment and id are merged, so a run
/// may be split over files; runs outside [`ReadOptions::experiments`] are dropped. Problems in the input are warnings; the only error is a source that does not
/// exist.
pub fn read_sources_with(
    sources: &[PathBuf],
    options: &ReadOptions,
    readers: &[Box<dyn Reader>],
) -> Result<ReadReport, IngestError> {
    read_sources_with_progress(sources, options, readers, &mut |_| {})
}

/// [`read_sources_with`], calling `on_read` with each file (or directory, for directory
/// formats, or URL) once a reader has read it — for progress displays.
pub fn read_sources_with_progress(
    sources: &[PathBuf],
    options: &ReadOptions,
    readers: &[Box<dyn Reader>],
    on_read: &mut dyn FnMut(&Path),
) -> Result<ReadReport, IngestError> {
    read_sources_cached(sources, options, readers, on_read, None)
}

/// [`read_sources_with_progress`] through a [`ReadCache`]: a file (or directory) unchanged
/// since the build that filled the cache is taken from it instead of being read; the result
/// is the same as without the cache.
pub fn read_sources_cached(
    sources: &[PathBuf],
    options: &ReadOptions,
    readers: &[Box<dyn Reader>],
    on_read: &mut dyn FnMut(&Path),
    cache: Option<&mut ReadCache>,
) -> Result<ReadReport, IngestError> {
    let mut kinds = Vec::with_capacity(sources.len());
    for source in sources {
        if is_url(source) {
            kinds.push(None);
            continue;
        }
        let meta = fs::metadata(source).map_err(|e| IngestError::Source {
            path: source.clone(),
            source: e,
        })?;
        kinds.push(Some(meta));
    }
    let mut session = Session {
        readers,
        options,
        runs: BTreeMap::new(),
        warnings: Vec::new(),
        unrecognized: Vec::new(),
        files_read: 0,
        seen: HashSet::new(),
        on_read,
        experiments_kept: HashSet::new(),
        models: Vec::new(),
        budget: options.max_artifact_bytes,
        left_out: (0, 0),
        cache,
        spill: None,
        spilled: HashMap::new(),
        spill_note: None,
    };
    if let Some(dir) = &options.spill_dir {
        match Spill::create_in(dir) {
            Ok(spill) => session.spill = Some(SharedSpill::new(spill.into())),
            Err(e) => session.spill_note = Some(spill_note(dir, &e)),
        }
    }
    for (source, meta) in sources.iter().zip(kinds) {
        let Some(meta) = meta else {
            let entry = Entry::new(source, EntryKind::Url).explicit(true);
            match session.claimant(&entry) {
                Some(reader) => session.read_now(reader, source, None),
                None => session.warnings.push(Warning::file(
                    source.display().to_string(),
                    "a URL no reader understands (supported: sqlite:///PATH of an MLflow store, http:// or https:// of an MLflow tracking server); skipped",
                )),
            }
            continue;
        };
        if meta.is_dir() {
            session.walk(source);
        } else if meta.is_file() {
            let entry = Entry::new(source, EntryKind::File).explicit(true);
            match session.claimant(&entry) {
                Some(reader) => session.read_now(reader, source, None),
                None => session.warnings.push(Warning::file(
                    source.display().to_string(),
                    "not a run log runlens recognizes (see docs/input-formats.md); file skipped",
                )),
            }
        } else {
            session.warnings.push(Warning::file(
                source.display().to_string(),
                "neither a regular file nor a directory; skipped",
            ));
        }
    }
    for name in &options.experiments {
        if !session.experiments_kept.contains(name) {
            session.warnings.push(Warning::file(
                "--experiment",
                format!("no run of an experiment named {name:?} was found in the sources; check the spelling (names are case-sensitive)"),
            ));
        }
    }
    if let Some(cache) = session.cache.take() {
        cache.finish();
    }
    let (left_out, left_out_bytes) = session.left_out;
    if left_out > 0 {
        session.warnings.push(Warning::file(
            "--max-artifact-bytes",
            format!(
                "{left_out} artifact file(s) ({left_out_bytes} bytes) are listed without their content: the report embeds at most {} bytes of artifacts in all; raise --max-artifact-bytes (max_artifact_bytes in runlens.toml) to include them",
                options.max_artifact_bytes
            ),
        ));
    }
    // Every read's output is gone, so the session holds the only handle.
    let mut spill: Option<Spill> = session.spill.take().map(|shared| {
        std::sync::Arc::into_inner(shared)
            .expect("no read outlives the session")
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
    });
    if let Some(spill) = &mut spill {
        spill.flush();
        if let Some(e) = spill.failure() {
            let dir = options.spill_dir.clone().unwrap_or_default();
            session.spill_note = Some(spill_note(&dir, e));
        }
    }
    let mut runs = Vec::with_capacity(session.runs.len());
    let mut rows = Vec::with_capacity(session.runs.len());
    for (key, mut run) in std::mem::take(&mut session.runs) {
        let mut spilled = session.spilled.remove(&key);
        if let Some(parts) =
            spilled.take_if(|parts| must_unspill(&run, parts, options.text_limits.name_bytes))
        {
            let spill = spill.as_ref().expect("segments imply a spill");
            for (metric, segments) in parts {
                let held = run.metrics.remove(&metric).unwrap_or_default();
                let mut series = spill
                    .read_merged(&segments)
                    .map_err(|e| IngestError::Spill {
                        dir: options.spill_dir.clone().unwrap_or_default(),
                        source: e,
                    })?;
                merge_series(&mut series, held);
                run.metrics.insert(metric, series);
            }
        }
        runs.push(run);
        rows.push(spilled);
    }
    let mut archive = Archive {
        runs,
        warnings: session.warnings,
        models: session.models,
    };
    limits::apply(&mut archive, options.text_limits);
    let rows = sort_runs_with(&mut archive, rows);
    archive.finish();
    let spilled = SpilledSeries {
        spill: spill.filter(|_| rows.iter().any(Option::is_some)),
        rows,
        note: session.spill_note,
    };
    Ok(ReadReport {
        archive,
        spilled,
        unrecognized: session.unrecognized,
        files_read: session.files_read,
    })
}

/// Puts the runs of `archive` in the order [`Archive::finish`] gives them (a stable sort by
/// source, experiment and id), and `rows` (one per run) with them; `finish` then finds them
/// in order.
fn sort_runs_with(
    archive: &mut Archive,
    mut rows: Vec<Option<SpilledRun>>,
) -> Vec<Option<SpilledRun>> {
    let mut order: Vec<usize> = (0..archive.runs.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&archive.runs[a], &archive.runs[b]);
        (&a.source, &a.experiment, &a.id).cmp(&(&b.source, &b.experiment, &b.id))
    });
    let mut runs: Vec<Option<Run>> = std::mem::take(&mut archive.runs)
        .into_iter()
        .map(Some)
        .collect();
    archive.runs = order
        .iter()
        .map(|&i| runs[i].take().expect("order is a permutation"))
        .collect();
    order.iter().map(|&i| rows[i].take()).collect()
}

/// Whether the spilled series of `run` must come back into memory before the text limits
/// are applied: when it also holds points (spilling stopped part-way), or when a metric key
/// is over the limit (cutting keys looks at all of a run's keys at once).
fn must_unspill(run: &Run, parts: &SpilledRun, name_bytes: usize) -> bool {
    run.metrics.values().any(|s| !s.is_empty())
        || run
            .metrics
            .keys()
            .chain(parts.keys())
            .any(|k| k.len() > name_bytes)
}

/// Merge key of a run.
type RunKey = (String, Option<String>, String);

/// State of one [`read_sources_with`] call.
struct Session<'a> {
    readers: &'a [Box<dyn Reader>],
    options: &'a ReadOptions,
    runs: BTreeMap<RunKey, Run>,
    warnings: Vec<Warning>,
    unrecognized: Vec<PathBuf>,
    files_read: usize,
    /// Canonical paths already read, so a file named twice is read once.
    seen: HashSet<PathBuf>,
    /// Told of every path once it has been read.
    on_read: &'a mut dyn FnMut(&Path),
    /// Experiments with at least one run kept (to tell when `--experiment` matched none).
    experiments_kept: HashSet<String>,
    /// Model registry entries read so far.
    models: Vec<RegisteredModel>,
    /// Artifact bytes that may still be embedded.
    budget: u64,
    /// Artifact files, and their bytes, left out for want of room.
    left_out: (u64, u64),
    /// Where reads are kept for the next build, when caching.
    cache: Option<&'a mut ReadCache>,
    /// Where the series of the runs read go, when spilling.
    spill: Option<SharedSpill>,
    /// The segments of the spilled series, by run.
    spilled: HashMap<RunKey, SpilledRun>,
    /// Why spilling stopped, if it did.
    spill_note: Option<String>,
}

impl<'a> Session<'a> {
    fn claimant(&self, entry: &Entry<'_>) -> Option<&'a dyn Reader> {
        self.readers
            .iter()
            .find(|reader| reader.claims(entry))
            .map(|reader| &**reader)
    }

    /// Merges the runs one read produced.
    fn add_runs(&mut self, reader: &dyn Reader, runs: Vec<Run>, spilled: Vec<Option<SpilledRun>>) {
        for (mut run, spilled) in runs.into_iter().zip(spilled) {
            if !self.options.wants_experiment(run.experiment.as_deref()) {
                continue;
            }
            if let Some(experiment) = &run.experiment {
                self.experiments_kept.insert(experiment.clone());
            }
            run.source = reader.name().to_string();
            if run.name.is_empty() {
                run.name = run.id.clone();
            }
            let key = (run.source.clone(), run.experiment.clone(), run.id.clone());
            self.spill_series(&key, &mut run, spilled);
            match self.runs.get_mut(&key) {
                Some(existing) => merge_run(existing, run),
                None => {
                    self.runs.insert(key, run);
                }
            }
        }
    }
}

impl Session<'_> {
    /// Moves the points of `run` (a part of the run `key`) to the spill, when spilling,
    /// after `parts`, where the read already put its earlier points. Empty series stay
    /// (they carry their key, which the text limits look at).
    fn spill_series(&mut self, key: &RunKey, run: &mut Run, parts: Option<SpilledRun>) {
        let mut parts = parts.unwrap_or_default();
        if let Some(spill) = &self.spill {
            spill
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take_series(&mut run.metrics, &mut parts);
        }
        if parts.is_empty() {
            return;
        }
        let spilled = self.spilled.entry(key.clone()).or_default();
        for (metric, segments) in parts {
            spilled.entry(metric).or_default().extend(segments);
        }
    }
}

/// What a build is told when the spill file could not be made or written: the points are
/// then kept in memory, so the report is the same, only the memory use grows.
fn spill_note(dir: &Path, error: &std::io::Error) -> String {
    format!(
        "could not write the temporary spill file in {}: {error}; the metric points are kept in memory instead",
        dir.display()
    )
}

/// The path and warning of an error met while walking under `root`; `None` for a dangling
/// symbolic link or an entry gone meanwhile, which are no damage. A symbolic link loop is named as one: the walk does
/// not follow it, so what it would lead to is read once, through the real directory.
pub(crate) fn describe_walk_error(root: &Path, error: &TreeError) -> Option<(PathBuf, String)> {
    let path = error.path().unwrap_or(root).to_path_buf();
    if let Some(ancestor) = error.loop_ancestor() {
        let message = format!(
            "a symbolic link loop: it leads back to {}, which contains it; not followed",
            ancestor.display()
        );
        return Some((path, message));
    }
    // Not found below the root: a dangling link, or an entry gone between the listing of
    // its directory and its reading (a file a live writer removed or replaced, such as the
    // `debug.log` link W&B points at each new run). Nothing is there to read, whatever the
    // entry is by now.
    if error.depth() > 0
        && error
            .io_error()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::NotFound)
    {
        return None;
    }
    let is_link = fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
    if is_link && fs::metadata(&path).is_err() {
        if is_link_cycle(&path) {
            let message = "a symbolic link loop: its chain of links never reaches a file or directory; skipped";
            return Some((path, message.to_string()));
        }
        return None;
    }
    let reason = error
        .io_error()
        .map_or_else(|| error.to_string(), ToString::to_string);
    Some((path, format!("cannot be read: {reason}; skipped")))
}

/// Whether following the symbolic link at `path` never ends: its chain of targets comes
/// back to a link already followed (or is longer than the 40 links Linux follows).
fn is_link_cycle(path: &Path) -> bool {
    let mut seen = HashSet::new();
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        let Ok(target) = fs::read_link(&current) else {
            return false;
        };
        if !seen.insert(current.clone()) {
            return true;
        }
        current = match current.parent() {
            Some(parent) => parent.join(target),
            None => target,
        };
    }
    true
}

/// Entries a walk passes over: hidden ones (`.git`, `.venv`, `.DS_Store`), build or cache
/// directories that never hold run logs, and MLflow's artifact store (`mlartifacts/`, read
/// through the tracking store that points into it; its files are the runs' outputs, not logs).
fn skipped_name(name: &OsStr, is_dir: bool) -> bool {
    let name = name.to_string_lossy();
    name.starts_with('.')
        || (is_dir
            && matches!(
                name.as_ref(),
                "target" | "node_modules" | "__pycache__" | "mlartifacts"
            ))
}
