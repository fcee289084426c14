//! The [`Reader`] interface every input format implements, the [`Entry`] a reader sniffs,
//! and the [`ReadOutput`] it fills with runs and warnings.

use std::cell::OnceCell;
use std::collections::BinaryHeap;
use std::fs::{File, FileType};
use std::io::Read;
use std::path::Path;

use runlens_core::{ArtifactBudget, MetricSeries, RegisteredModel, Run, Warning};

use crate::budget::ReadBudget;
use crate::error::ReadError;
use crate::sources::ReadOptions;
use crate::spill::{SharedSpill, SpilledRun};
use crate::tree::Listing;

/// How many bytes of a file [`Entry::head`] holds for sniffing.
pub const HEAD_BYTES: usize = 64 * 1024;

/// One input format. Readers are listed, in detection order, by [`crate::readers`].
pub trait Reader: Send + Sync {
    /// Short lowercase name of the format (`jsonl`, `csv`, `metrics-csv`, ...); it is also
    /// the [`Run::source`] of every run the reader produces.
    fn name(&self) -> &'static str;

    /// Whether this reader understands `entry`. Must be cheap: look at the name, the
    /// extension or [`Entry::head`]; never read a whole file. Readers of directory layouts
    /// (an MLflow `mlruns/`, a TensorBoard logdir) claim directories, and then the whole
    /// subtree is theirs.
    fn claims(&self, entry: &Entry<'_>) -> bool;

    /// Reads `path` into `out`. Problems with a part of the input (a line, a row, a field)
    /// are warnings in `out`; an `Err` means the rest of the file could not be read and
    /// becomes a warning naming the file (what was already in `out` is kept).
    fn read(&self, path: &Path, out: &mut ReadOutput) -> Result<(), ReadError>;
}

/// Whether an [`Entry`] is a file or a directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file (or a link to one).
    File,
    /// A directory (or a link to one).
    Dir,
    /// A URL named on the command line (`sqlite:///mlflow.db`); its path is the URL text.
    Url,
}

/// A file or directory offered to [`Reader::claims`], with its first bytes read lazily and
/// shared by every reader that looks.
#[derive(Debug)]
pub struct Entry<'a> {
    path: &'a Path,
    kind: EntryKind,
    explicit: bool,
    head: OnceCell<Vec<u8>>,
    /// A directory's entries, when the walk listed them already.
    listing: Option<&'a Listing>,
}

impl<'a> Entry<'a> {
    /// An entry for `path`.
    pub fn new(path: &'a Path, kind: EntryKind) -> Self {
        Self {
            path,
            kind,
            explicit: false,
            head: OnceCell::new(),
            listing: None,
        }
    }

    /// Gives a directory entry the listing the walk made of it.
    pub(crate) fn with_listing(mut self, listing: Option<&'a Listing>) -> Self {
        self.listing = listing;
        self
    }

    /// A directory's entries, when the walk listed them already: a reader looks at them
    /// rather than listing the directory again.
    pub(crate) fn listing(&self) -> Option<&'a Listing> {
        self.listing
    }

    /// Marks the entry as named by the user (not found by walking a directory); readers
    /// may then accept a file they would pass over in a walk.
    pub fn explicit(mut self, explicit: bool) -> Self {
        self.explicit = explicit;
        self
    }

    /// Whether the user named this entry.
    pub fn is_explicit(&self) -> bool {
        self.explicit
    }

    /// The path, as given or walked.
    pub fn path(&self) -> &'a Path {
        self.path
    }

    /// File or directory.
    pub fn kind(&self) -> EntryKind {
        self.kind
    }

    /// True for a file.
    pub fn is_file(&self) -> bool {
        self.kind == EntryKind::File
    }

    /// The file's extension in lowercase (`""` when it has none).
    pub fn extension(&self) -> String {
        self.path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default()
    }

    /// Up to [`HEAD_BYTES`] from the start of the file; empty for a directory or when the
    /// file cannot be read (the reader that claims it reports that).
    pub fn head(&self) -> &[u8] {
        self.head.get_or_init(|| {
            if self.kind != EntryKind::File {
                return Vec::new();
            }
            let mut head = Vec::new();
            if let Ok(file) = File::open(self.path) {
                // An error part-way leaves what was read, which is enough to sniff.
                let _ = file.take(HEAD_BYTES as u64).read_to_end(&mut head);
            }
            head
        })
    }

    /// The first line of [`Entry::head`] without a UTF-8 byte-order mark or line ending;
    /// `None` when the head holds no complete line and is not the whole file.
    pub fn first_line(&self) -> Option<&[u8]> {
        let raw = self.head();
        let whole_file = raw.len() < HEAD_BYTES;
        let head = raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw);
        let line = match head.iter().position(|&b| b == b'\n') {
            Some(end) => &head[..end],
            None if whole_file => head,
            None => return None,
        };
        Some(line.strip_suffix(b"\r").unwrap_or(line))
    }
}

/// What a reader produced from one file: runs and warnings. Line-level warnings are capped
/// (the first few by line, then one summary with the count) so a file with thousands of bad
/// lines stays readable.
#[derive(Debug)]
pub struct ReadOutput {
    path: String,
    root: Option<std::path::PathBuf>,
    runs: Vec<Run>,
    file_warnings: Vec<Warning>,
    /// The `limit` line warnings with the smallest lines (a max-heap, so the largest is
    /// dropped first).
    line_warnings: BinaryHeap<Warning>,
    limit: usize,
    line_warning_count: u64,
    options: ReadOptions,
    models: Vec<RegisteredModel>,
    budget: ReadBudget,
    /// Where the series of added runs go, in a streamed build whose read is not cached.
    spill: Option<SharedSpill>,
    /// Per added run, the segments its series went to (aligned with `runs`).
    spilled: Vec<Option<SpilledRun>>,
    /// The directory's type and entries, as the walk that found it listed them.
    listing: Option<(FileType, Listing)>,
}

impl ReadOutput {
    /// An empty output for the file at `path`, keeping at most `limit` line warnings.
    pub fn new(path: &Path, limit: usize) -> Self {
        Self {
            path: path.display().to_string(),
            root: None,
            runs: Vec::new(),
            file_warnings: Vec::new(),
            line_warnings: BinaryHeap::new(),
            limit,
            line_warning_count: 0,
            options: ReadOptions::default(),
            models: Vec::new(),
            budget: ReadBudget::new(ArtifactBudget::default()),
            spill: None,
            spilled: Vec::new(),
            listing: None,
        }
    }

    /// Sends the series of the runs added from now on to `spill`.
    pub(crate) fn with_spill(mut self, spill: SharedSpill) -> Self {
        self.spill = Some(spill);
        self
    }

    /// Whether the series of added runs leave memory (and [`ReadOutput::spill_series`]
    /// moves any).
    pub(crate) fn spills(&self) -> bool {
        self.spill.is_some()
    }

    /// Moves the points of `metrics` (of a run still being read) out of memory, when this
    /// read spills; their segments are appended to `into`, to be handed over with the run
    /// by [`ReadOutput::add_run_spilled`].
    pub(crate) fn spill_series(
        &mut self,
        metrics: &mut std::collections::BTreeMap<String, MetricSeries>,
        into: &mut SpilledRun,
    ) {
        if let Some(spill) = &self.spill {
            spill
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take_series(metrics, into);
        }
    }

    /// Sets the options the reader may honour while reading (deleted runs, experiments).
    pub fn with_options(mut self, options: ReadOptions) -> Self {
        self.budget = ReadBudget::new(ArtifactBudget::new(options.max_artifact_bytes));
        self.options = options;
        self
    }

    /// Sets what is left of the artifact budget of the whole build.
    pub fn with_budget(mut self, budget: ArtifactBudget) -> Self {
        self.budget = ReadBudget::new(budget);
        self
    }

    /// The artifact budget left: a reader takes from it before embedding a file.
    pub fn budget(&mut self) -> &mut ReadBudget {
        &mut self.budget
    }

    /// Adds a model registry entry.
    pub fn add_model(&mut self, model: RegisteredModel) {
        self.models.push(model);
    }

    /// Takes the registry entries added so far, and what is left of the artifact budget.
    pub fn take_models_and_budget(&mut self) -> (Vec<RegisteredModel>, ReadBudget) {
        (std::mem::take(&mut self.models), self.budget)
    }

    /// The options of this read.
    pub fn options(&self) -> &ReadOptions {
        &self.options
    }

    /// The path warnings name, as given or walked.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Records the directory named on the command line under which the walk found the
    /// path (see [`ReadOutput::root`]).
    pub fn with_root(mut self, root: &Path) -> Self {
        self.root = Some(root.to_path_buf());
        self
    }

    /// Hands over the type (a link's target's) and entries of the directory read, as the
    /// walk listed them, so the reader does not list it again.
    pub(crate) fn with_listing(mut self, file_type: FileType, listing: Listing) -> Self {
        self.listing = Some((file_type, listing));
        self
    }

    /// Takes the listing of the directory read, when the walk handed it over (see
    /// [`crate::tree::Tree::with_listing`]).
    pub(crate) fn take_listing(&mut self) -> Option<(FileType, Listing)> {
        self.listing.take()
    }

    /// The directory named on the command line under which the walk found the path (the
    /// path itself when the user named that directory); `None` for a file named directly.
    /// Directory readers name runs relative to it.
    pub fn root(&self) -> Option<&Path> {
        self.root.as_deref()
    }

    /// Adds a run. The same run (same source, experiment and id) may be added more than
    /// once, from one file or several: params and tags are united, metric points appended,
    /// and missing attributes filled in from the later part.
    pub fn add_run(&mut self, run: Run) {
        self.add_run_spilled(run, SpilledRun::new());
    }

    /// [`ReadOutput::add_run`] for a run whose earlier points went to the spill as `parts`
    /// (by [`ReadOutput::spill_series`]); the rest follow them there when this read spills.
    pub(crate) fn add_run_spilled(&mut self, mut run: Run, mut parts: SpilledRun) {
        self.spill_series(&mut run.metrics, &mut parts);
        self.runs.push(run);
        self.spilled.push((!parts.is_empty()).then_some(parts));
    }

    /// The runs added so far.
    pub fn runs(&self) -> &[Run] {
        &self.runs
    }

    /// A warning about the whole file.
    pub fn warn_file(&mut self, message: impl Into<String>) {
        self.file_warnings
            .push(Warning::file(self.path.clone(), message));
    }

    /// A warning about a file inside the directory being read (a directory reader's
    /// warnings name the file concerned, not the directory).
    pub fn warn_in(&mut self, path: &Path, message: impl Into<String>) {
        self.file_warnings
            .push(Warning::file(path.display().to_string(), message));
    }

    /// A warning about the 1-based `line` (JSONL line, CSV row's first line).
    pub fn warn_line(&mut self, line: u64, message: impl Into<String>) {
        self.line_warning_count += 1;
        self.line_warnings
            .push(Warning::line(self.path.clone(), line, message));
        if self.line_warnings.len() > self.limit {
            self.line_warnings.pop();
        }
    }

    /// A warning about another file than the one read, for directory readers: about a whole
    /// file when `line` is `None`, else about one line of it (counted under the line cap).
    pub fn warn_at(&mut self, path: &Path, line: Option<u64>, message: impl Into<String>) {
        let path = path.display().to_string();
        match line {
            None => self.file_warnings.push(Warning::file(path, message)),
            Some(line) => {
                self.line_warning_count += 1;
                self.line_warnings.push(Warning::line(path, line, message));
                if self.line_warnings.len() > self.limit {
                    self.line_warnings.pop();
                }
            }
        }
    }

    /// An empty output for the same path, root, options and artifact budget: a reader
    /// that may have to drop an attempt reads into it, then [`ReadOutput::absorb`]s it.
    pub(crate) fn scratch(&self) -> ReadOutput {
        ReadOutput {
            path: self.path.clone(),
            root: self.root.clone(),
            runs: Vec::new(),
            file_warnings: Vec::new(),
            line_warnings: BinaryHeap::new(),
            limit: self.limit,
            line_warning_count: 0,
            options: self.options.clone(),
            models: Vec::new(),
            budget: self.budget,
            spill: self.spill.clone(),
            spilled: Vec::new(),
            listing: None,
        }
    }

    /// Takes everything `scratch` (made by [`ReadOutput::scratch`]) holds, and its budget.
    pub(crate) fn absorb(&mut self, scratch: ReadOutput) {
        self.runs.extend(scratch.runs);
        self.spilled.extend(scratch.spilled);
        self.file_warnings.extend(scratch.file_warnings);
        self.models.extend(scratch.models);
        self.budget = scratch.budget;
        self.line_warning_count += scratch.line_warning_count;
        for warning in scratch.line_warnings {
            self.line_warnings.push(warning);
            if self.line_warnings.len() > self.limit {
                self.line_warnings.pop();
            }
        }
    }

    /// Number of line warnings so far, including those beyond the cap.
    pub fn line_warning_count(&self) -> u64 {
        self.line_warning_count
    }

    /// The runs and warnings, the line warnings sorted by line and followed, when some were
    /// left out, by one warning saying how many.
    pub fn into_parts(self) -> (Vec<Run>, Vec<Warning>) {
        let (runs, _, warnings) = self.into_spilled_parts();
        (runs, warnings)
    }

    /// [`ReadOutput::into_parts`] with, per run, the segments its series went to when
    /// this read spilled.
    pub(crate) fn into_spilled_parts(self) -> (Vec<Run>, Vec<Option<SpilledRun>>, Vec<Warning>) {
        let mut warnings = self.file_warnings;
        let shown = self.line_warnings.into_sorted_vec();
        let listed = shown.len();
        let hidden = self.line_warning_count - listed as u64;
        warnings.extend(shown);
        if hidden > 0 {
            warnings.push(Warning::file(
                self.path,
                format!(
                    "{} problems in all; only the first {} (by line) are listed, {hidden} more are not",
                    self.line_warning_count, listed
                ),
            ));
        }
        (self.runs, self.spilled, warnings)
    }
}

/// Merges `part` into `run` (the same source, experiment and id): params and tags are
/// united (`part` wins on a clash), metric points are appended, and each other field is
/// taken from `part` when `run` lacks it.
pub(crate) fn merge_run(run: &mut Run, part: Run) {
    if run.name == run.id && part.name != part.id {
        run.name = part.name;
    }
    if run.group.is_none() {
        run.group = part.group;
    }
    if run.status == runlens_core::RunStatus::Unknown {
        run.status = part.status;
    }
    run.start_time = run.start_time.or(part.start_time);
    run.end_time = run.end_time.or(part.end_time);
    for key in part.params.keys() {
        run.param_text.remove(key);
    }
    run.params.extend(part.params);
    run.param_text.extend(part.param_text);
    run.tags.extend(part.tags);
    run.parent_id = run.parent_id.take().or(part.parent_id);
    run.notes = run.notes.take().or(part.notes);
    run.datasets.extend(part.datasets);
    run.artifacts.extend(part.artifacts);
    for (tag, steps) in part.histograms {
        run.histograms.entry(tag).or_default().extend(steps);
    }
    for (key, series) in part.metrics {
        merge_series(run.metrics.entry(key).or_default(), series);
    }
}

/// Appends the points of `part` to `target` (the same metric of a run split over files):
/// an empty `target` becomes `part`; otherwise each point is pushed, a NaN time as none.
pub(crate) fn merge_series(target: &mut MetricSeries, part: MetricSeries) {
    if target.is_empty() {
        *target = part;
        return;
    }
    let times = part.times;
    for (i, (step, value)) in part.steps.into_iter().zip(part.values).enumerate() {
        let time = times
            .as_ref()
            .and_then(|t| t.get(i).copied())
            .filter(|t| !t.is_nan());
        target.push(step, value, time);
    }
}

/// At most this many damage warnings per binary file; then one saying how many there were.
pub const MAX_FILE_WARNINGS: usize = 20;

/// The damage warnings of one file inside a directory being read (a binary log with many
/// bad records), capped at [`MAX_FILE_WARNINGS`] so one wrecked file cannot bury the rest.
pub struct FileWarnings<'a> {
    path: &'a Path,
    count: usize,
}

impl<'a> FileWarnings<'a> {
    /// No warnings yet about `path`.
    pub fn new(path: &'a Path) -> Self {
        Self { path, count: 0 }
    }

    /// Records one problem (listed while under the cap).
    pub fn push(&mut self, out: &mut ReadOutput, message: String) {
        self.count += 1;
        if self.count <= MAX_FILE_WARNINGS {
            out.warn_in(self.path, message);
        }
    }

    /// Adds the summary when problems were left out.
    pub fn finish(self, out: &mut ReadOutput) {
        if self.count > MAX_FILE_WARNINGS {
            out.warn_in(
                self.path,
                format!(
                    "{} problems in all; only the first {MAX_FILE_WARNINGS} are listed",
                    self.count
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use runlens_core::{MetricSeries, RunStatus};

    #[test]
    fn line_warnings_keep_the_first_by_line_and_count_the_rest() {
        let mut out = ReadOutput::new(Path::new("x.jsonl"), 2);
        for line in [9, 3, 7, 1] {
            out.warn_line(line, format!("bad {line}"));
        }
        out.warn_file("whole file");
        let (_, warnings) = out.into_parts();
        let text: Vec<String> = warnings.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "x.jsonl: whole file",
                "x.jsonl:1: bad 1",
                "x.jsonl:3: bad 3",
                "x.jsonl: 4 problems in all; only the first 2 (by line) are listed, 2 more are not",
            ]
        );
    }

    #[test]
    fn merge_unites_params_and_appends_points_with_their_times() {
        let mut a = Run {
            id: "r".into(),
            name: "r".into(),
            ..Run::default()
        };
        let mut s = MetricSeries::default();
        s.push(0, 1.0, None);
        a.metrics.insert("loss".into(), s);
        a.params
            .insert("lr".into(), runlens_core::ParamValue::Int(1));
        let mut b = Run {
            id: "r".into(),
            name: "nice".into(),
            status: RunStatus::Failed,
            ..Run::default()
        };
        let mut s = MetricSeries::default();
        s.push(1, 0.5, Some(10.0));
        b.metrics.insert("loss".into(), s);
        b.params
            .insert("opt".into(), runlens_core::ParamValue::Text("sgd".into()));
        merge_run(&mut a, b);
        assert_eq!(a.name, "nice");
        assert_eq!(a.status, RunStatus::Failed);
        assert_eq!(a.params.len(), 2);
        let loss = &a.metrics["loss"];
        assert_eq!(loss.steps, [0, 1]);
        let times = loss.times.as_ref().unwrap();
        assert!(times[0].is_nan());
        assert_eq!(times[1], 10.0);
    }

    #[test]
    fn first_line_strips_bom_and_crlf_and_refuses_a_cut_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        std::fs::write(&path, b"\xEF\xBB\xBFrun,step\r\n1,2\r\n").unwrap();
        let entry = Entry::new(&path, EntryKind::File);
        assert_eq!(entry.first_line(), Some(&b"run,step"[..]));
        let long = dir.path().join("long");
        std::fs::write(&long, vec![b'x'; HEAD_BYTES + 10]).unwrap();
        assert_eq!(Entry::new(&long, EntryKind::File).first_line(), None);
    }
}
