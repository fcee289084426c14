//! One run's event files read in order into a [`Run`]: scalars into metric series, the
//! last text of each text tag into the run's notes, the last image of each image tag into
//! an artifact, histograms into the run's distributions per step, `hparams` into params and status, wall times into start and end time;
//! damage in a file becomes warnings naming the file and the byte offset.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::Read;
use std::path::Path;

use prost::Message;
use runlens_core::{
    Artifact, ArtifactContent, ArtifactKind, Histogram, MetricSeries, Run, RunStatus,
};

use super::fast;
use super::proto::{Event, HParamsPluginData, SummaryValue};
use super::record::{Item, Records};
use super::values::{
    histogram_of_proto, histogram_of_tensor, param_value, tensor_scalar, tensor_text,
};
use crate::error::ReadError;
use crate::reader::{FileWarnings, ReadOutput};

/// Folder of the artifacts made from image summaries: `images/<tag>/<step>.<ext>`.
pub const IMAGE_FOLDER: &str = "images";

/// Tag prefix of the metrics an `hparams` experiment defines: the tag
/// `hparams.metric/<group>/<tag>` holds the metric's display name and description.
pub const HPARAMS_METRIC_TAG_PREFIX: &str = "hparams.metric/";

/// Series of at most this many points go back to [`SPARE_SERIES`] once copied out, at
/// most [`SPARE_COUNT`] of them (a thread keeps up to ~12 MiB).
const SPARE_POINTS: usize = 1 << 14;
/// Spare series a thread keeps, at most.
const SPARE_COUNT: usize = 32;

thread_local! {
    /// Emptied series this thread grew for earlier runs, for the tags of the next: a
    /// tag's points grow in one of them and are copied out at their final size when the
    /// run is finished. Growing each run's series by doubling (a `realloc` per doubling,
    /// and the page faults of the memory `free` gave back) took a fifth of the CPU time of
    /// a logdir of 20,000 short runs.
    static SPARE_SERIES: RefCell<Vec<MetricSeries>> = const { RefCell::new(Vec::new()) };
}

/// What a tag is, from the plugin named in the first metadata seen for it (writers may
/// send the metadata only with a tag's first value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TagKind {
    /// No plugin named (yet), or `scalars`: one-element numeric tensors are scalars.
    Scalar,
    /// Plugin `text`.
    Text,
    /// Plugin `hparams`.
    HParams,
    /// Plugin `images`.
    Image,
    /// Plugin `histograms`.
    Histogram,
    /// Any other plugin (histograms, images, audio, pr_curves, ...): not read yet.
    Other,
}

impl TagKind {
    fn of_plugin(name: &str) -> TagKind {
        match name {
            "" | "scalars" => TagKind::Scalar,
            "text" => TagKind::Text,
            "hparams" => TagKind::HParams,
            "images" => TagKind::Image,
            "histograms" => TagKind::Histogram,
            _ => TagKind::Other,
        }
    }
}

/// One tag's state.
#[derive(Debug)]
struct Tag {
    kind: TagKind,
    /// Whether the kind came from metadata (then it is final).
    kind_known: bool,
    /// Its points, in one of [`SPARE_SERIES`] when there was one.
    series: MetricSeries,
}

/// The tags of a run: in first-seen order, found by name through a map, or — for the next
/// value of an event file, which writers emit in the same tag order at every step — by
/// guessing the tag that followed the last one the previous time, without hashing.
#[derive(Debug, Default)]
struct Tags {
    names: Vec<String>,
    tags: Vec<Tag>,
    index: HashMap<String, usize>,
    /// For each tag, the tag seen after it last time (initially the next one created).
    follows: Vec<usize>,
    last: usize,
}

impl Tags {
    /// The tag named `name`, created as a scalar tag when new.
    fn get_or_insert(&mut self, name: &str) -> &mut Tag {
        let at = match self.index.get(name) {
            Some(&at) => at,
            None => self.insert(name),
        };
        self.seen(at);
        &mut self.tags[at]
    }

    /// The position of the tag whose name has these bytes, created when new; `None` when the
    /// bytes are not UTF-8 (prost rejects such an event).
    fn position(&mut self, name: &[u8]) -> Option<usize> {
        let guess = self.follows.get(self.last).copied().unwrap_or(0);
        let at = match self.names.get(guess) {
            Some(known) if known.as_bytes() == name => guess,
            _ => {
                let name = std::str::from_utf8(name).ok()?;
                match self.index.get(name) {
                    Some(&at) => at,
                    None => self.insert(name),
                }
            }
        };
        self.seen(at);
        Some(at)
    }

    /// Records that tag `at` came after the last one.
    fn seen(&mut self, at: usize) {
        if let Some(next) = self.follows.get_mut(self.last) {
            *next = at;
        }
        self.last = at;
    }

    fn insert(&mut self, name: &str) -> usize {
        self.names.push(name.to_string());
        self.tags.push(Tag {
            kind: TagKind::Scalar,
            kind_known: false,
            series: SPARE_SERIES.with_borrow_mut(Vec::pop).unwrap_or_default(),
        });
        self.follows.push(self.names.len());
        self.index.insert(name.to_string(), self.names.len() - 1);
        self.names.len() - 1
    }
}

/// A run being read, file after file.
#[derive(Debug, Default)]
pub struct RunBuilder {
    run: Run,
    tags: Tags,
    /// The last text of each text tag: step and text.
    texts: BTreeMap<String, (i64, String)>,
    /// The last image of each image tag: step and encoded bytes.
    images: BTreeMap<String, (i64, Vec<u8>)>,
    /// Reused buffer for decoding events.
    event: Event,
}

/// A copy of `series` at its size (`None` when it is empty); `series`, emptied, goes to
/// [`SPARE_SERIES`] for a tag of the next run.
fn give_back(mut series: MetricSeries) -> Option<MetricSeries> {
    let copy = (!series.is_empty()).then(|| series.clone());
    if series.steps.capacity() <= SPARE_POINTS {
        series.steps.clear();
        series.values.clear();
        // A spare series holds times: every point a tag's series gets has one.
        series.times.get_or_insert_with(Vec::new).clear();
        SPARE_SERIES.with_borrow_mut(|spare| {
            if spare.len() < SPARE_COUNT {
                spare.push(series);
            }
        });
    }
    copy
}

impl RunBuilder {
    /// A run with these identifying fields (metrics, params and times still to come).
    pub fn new(run: Run) -> Self {
        Self {
            run,
            ..Self::default()
        }
    }

    /// The finished run; images are embedded while `out`'s artifact budget allows.
    pub fn finish(mut self, out: &mut ReadOutput) -> Run {
        for (name, tag) in self.tags.names.into_iter().zip(self.tags.tags) {
            if let Some(series) = give_back(tag.series) {
                self.run.metrics.insert(name, series);
            }
        }
        if !self.texts.is_empty() {
            self.run.notes = Some(notes_of(&self.texts));
        }
        for (tag, (step, bytes)) in self.images {
            let Some((kind, media_type)) = ArtifactKind::sniff("", &bytes) else {
                continue;
            };
            let ext = media_type.trim_start_matches("image/");
            let size = bytes.len() as u64;
            let content = out.budget().take(size).then(|| ArtifactContent {
                kind,
                media_type: media_type.to_string(),
                bytes,
            });
            self.run.artifacts.push(Artifact {
                path: format!("{IMAGE_FOLDER}/{tag}/{step}.{ext}"),
                size: Some(size),
                content,
            });
        }
        self.run
    }

    /// Reads every record of the event file at `path`. Damage is reported in `out`; an
    /// `Err` is an I/O failure (what was read before it is kept).
    pub fn read_file(&mut self, path: &Path, out: &mut ReadOutput) -> Result<(), ReadError> {
        let file = File::open(path).map_err(|e| ReadError::io(path, e))?;
        let size = file.metadata().map_err(|e| ReadError::io(path, e))?.len();
        self.read_from(file, size, path, out)
    }

    /// Reads the records of an event file of `size` bytes from `input`; warnings name
    /// `path`. See [`RunBuilder::read_file`].
    pub fn read_from(
        &mut self,
        input: impl Read,
        size: u64,
        path: &Path,
        out: &mut ReadOutput,
    ) -> Result<(), ReadError> {
        let mut records = Records::new(input, size);
        let mut warnings = FileWarnings::new(path);
        let mut count = 0u64;
        let mut scanned = fast::ScalarEvent::default();
        loop {
            let item = records.next_item().map_err(|e| ReadError::io(path, e))?;
            match item {
                Item::Record { offset, data } => {
                    count += 1;
                    if fast::scan_into(data, &mut scanned) && self.scalar_event(data, &scanned) {
                        #[cfg(fuzzing)]
                        fast::assert_agrees_with_prost(data, &scanned);
                        continue;
                    }
                    self.event.clear();
                    if let Err(e) = self.event.merge(data) {
                        warnings.push(out, format!("record at byte {offset} passes its checksums but is not a TensorBoard event ({e}); record skipped"));
                        continue;
                    }
                    let event = std::mem::take(&mut self.event);
                    self.event(&event, out, &mut warnings, offset);
                    self.event = event;
                }
                Item::Skipped {
                    offset,
                    damage,
                    resumed_at,
                } => {
                    let message = match resumed_at {
                        Some(next) => format!(
                            "damaged record at byte {offset}: {}; bytes {offset}..{next} skipped, reading resumed at the next valid record",
                            damage.describe()
                        ),
                        None => format!(
                            "damaged record at byte {offset}: {}; no valid record follows, the rest of the file ({} bytes) is skipped",
                            damage.describe(),
                            size.saturating_sub(offset)
                        ),
                    };
                    warnings.push(out, message);
                }
                Item::Truncated { offset, present } => {
                    warnings.push(out, format!(
                        "the file ends inside a record at byte {offset} ({present} bytes of it present), probably because it is still being written; the {count} records before it were read"
                    ));
                    break;
                }
                Item::End => break,
            }
        }
        if count == 0 && size == 0 {
            warnings.push(out, "empty event file: no records".to_string());
        }
        warnings.finish(out);
        Ok(())
    }

    /// Takes in a scalars-only event scanned by [`fast::scan`], as [`Self::event`] does
    /// with its decoded form. False (and nothing taken) when a new tag is not UTF-8: the
    /// full decoding then reports the record.
    fn scalar_event(&mut self, data: &[u8], event: &fast::ScalarEvent) -> bool {
        let mut positions = [0usize; fast::MAX_VALUES];
        for (slot, (name, _)) in positions.iter_mut().zip(event.values(data)) {
            match self.tags.position(name) {
                Some(at) => *slot = at,
                None => return false,
            }
        }
        let time = event.wall_time;
        if time.is_finite() && time > 0.0 {
            self.run.start_time = Some(self.run.start_time.map_or(time, |t| t.min(time)));
            self.run.end_time = Some(self.run.end_time.map_or(time, |t| t.max(time)));
        }
        for (&at, (_, value)) in positions.iter().zip(event.values(data)) {
            let tag = &mut self.tags.tags[at];
            // As in `value`: an hparams tag takes no points.
            if tag.kind != TagKind::HParams {
                tag.series.push(event.step, f64::from(value), Some(time));
            }
        }
        true
    }

    /// Takes in one decoded event.
    fn event(
        &mut self,
        event: &Event,
        out: &mut ReadOutput,
        warnings: &mut FileWarnings<'_>,
        offset: u64,
    ) {
        let time = event.wall_time;
        if time.is_finite() && time > 0.0 {
            self.run.start_time = Some(self.run.start_time.map_or(time, |t| t.min(time)));
            self.run.end_time = Some(self.run.end_time.map_or(time, |t| t.max(time)));
        }
        let Some(summary) = &event.summary else {
            return;
        };
        for value in &summary.value {
            self.value(value, event.step, time, out, warnings, offset);
        }
    }

    /// Takes in one summary value.
    fn value(
        &mut self,
        value: &SummaryValue,
        step: i64,
        time: f64,
        out: &mut ReadOutput,
        warnings: &mut FileWarnings<'_>,
        offset: u64,
    ) {
        let plugin = value.metadata.as_ref().and_then(|m| m.plugin_data.as_ref());
        let tag = self.tags.get_or_insert(&value.tag);
        if let Some(plugin) = plugin
            && !tag.kind_known
        {
            tag.kind = TagKind::of_plugin(&plugin.plugin_name);
            tag.kind_known = true;
        }
        if tag.kind == TagKind::HParams {
            // tensorboardX sends hparams as metadata alone, TF2 with an empty tensor.
            if let Some(plugin) = plugin {
                self.hparams(&plugin.content, out, warnings, offset);
            }
            return;
        }
        let time = Some(time);
        if let Some(v) = value.simple_value {
            tag.series.push(step, f64::from(v), time);
            return;
        }
        if let Some(histo) = &value.histo {
            if let Some((edges, counts)) = histogram_of_proto(histo) {
                self.push_histogram(&value.tag, step, edges, counts);
            }
            return;
        }
        if let Some(image) = &value.image {
            keep_last(&mut self.images, &value.tag, step, || {
                image.encoded_image_string.clone()
            });
            return;
        }
        let Some(tensor) = &value.tensor else {
            // Histograms, audio: not modelled yet.
            return;
        };
        match tag.kind {
            TagKind::Scalar => {
                if let Some(v) = tensor_scalar(tensor) {
                    tag.series.push(step, v, time);
                }
            }
            TagKind::Text => {
                if let Some(text) = tensor_text(tensor) {
                    keep_last(&mut self.texts, &value.tag, step, || text);
                }
            }
            TagKind::Histogram => {
                if let Some((edges, counts)) = histogram_of_tensor(tensor) {
                    self.push_histogram(&value.tag, step, edges, counts);
                }
            }
            TagKind::Image => {
                // `tf.summary.image`: a string tensor [width, height, image, image, ...].
                if let Some(last) = tensor.string_val.get(2..).and_then(<[Vec<u8>]>::last) {
                    keep_last(&mut self.images, &value.tag, step, || last.clone());
                }
            }
            TagKind::HParams | TagKind::Other => {}
        }
    }

    /// Keeps one step's distribution of `tag`.
    fn push_histogram(&mut self, tag: &str, step: i64, edges: Vec<f64>, counts: Vec<f64>) {
        self.run
            .histograms
            .entry(tag.to_string())
            .or_default()
            .push(Histogram {
                step,
                edges,
                counts,
            });
    }

    /// Takes in the content of an `hparams` summary.
    fn hparams(
        &mut self,
        content: &[u8],
        out: &mut ReadOutput,
        warnings: &mut FileWarnings<'_>,
        offset: u64,
    ) {
        if content.is_empty() {
            return;
        }
        let data = match HParamsPluginData::decode(content) {
            Ok(data) => data,
            Err(e) => {
                warnings.push(out, format!("record at byte {offset}: the hparams plugin data cannot be decoded ({e}); hyper-parameters skipped"));
                return;
            }
        };
        if let Some(experiment) = data.experiment {
            for info in experiment.metric_infos {
                let Some(name) = info.name.filter(|n| !n.tag.is_empty()) else {
                    continue;
                };
                let key = if name.group.is_empty() || name.group == "." {
                    name.tag
                } else {
                    format!("{}/{}", name.group, name.tag)
                };
                let text = [info.display_name, info.description]
                    .into_iter()
                    .filter(|t| !t.is_empty())
                    .collect::<Vec<_>>()
                    .join(": ");
                self.run
                    .tags
                    .insert(format!("{HPARAMS_METRIC_TAG_PREFIX}{key}"), text);
            }
        }
        if let Some(start) = data.session_start_info {
            for (name, value) in &start.hparams {
                match param_value(value) {
                    Some(param) => {
                        self.run.params.insert(name.clone(), param);
                    }
                    None => warnings.push(
                        out,
                        format!("record at byte {offset}: hyper-parameter {name:?} is null, a list or a struct, which runlens does not read; skipped"),
                    ),
                }
            }
        }
        if let Some(end) = data.session_end_info {
            let status = match end.status {
                1 => RunStatus::Finished,
                2 => RunStatus::Failed,
                3 => RunStatus::Running,
                _ => RunStatus::Unknown,
            };
            if status != RunStatus::Unknown {
                self.run.status = status;
            }
        }
    }
}

/// Keeps `make()` for `tag` unless a later step is already kept (equal steps: the later
/// record wins, as TensorBoard shows it).
fn keep_last<T>(
    kept: &mut BTreeMap<String, (i64, T)>,
    tag: &str,
    step: i64,
    make: impl FnOnce() -> T,
) {
    match kept.get_mut(tag) {
        Some((kept_step, _)) if *kept_step > step => {}
        Some(entry) => *entry = (step, make()),
        None => {
            kept.insert(tag.to_string(), (step, make()));
        }
    }
}

/// The run's notes: the last text of each text tag, under a heading naming the tag and step
/// (TensorBoard renders text summaries as markdown too).
fn notes_of(texts: &BTreeMap<String, (i64, String)>) -> String {
    texts
        .iter()
        .map(|(tag, (step, text))| format!("#### {tag} (step {step})\n\n{text}"))
        .collect::<Vec<_>>()
        .join("\n\n")
}
