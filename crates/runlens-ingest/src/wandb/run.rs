//! One `.wandb` file folded into a [`Run`]: the run record gives identity, group, tags and
//! start time; config records give params; history rows give metric series; summary deltas
//! are folded in order; the exit record gives the status; media values and `files` records
//! name the files listed as artifacts. Damage in the file becomes warnings naming the file
//! and the byte offset.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::path::Path;

use prost::Message;
use runlens_core::{MetricSeries, Run, RunStatus};
use serde_json::Value;

use super::fast::{self, ItemRef, ItemView, Scanned};
use super::files::{MediaFile, RunFiles};
use super::framing::{FILE_HEADER, Item as Framed, Records, has_file_header, read_up_to};
use super::proto::{ConfigRecord, Record, RunRecord};
use super::values;
use crate::error::ReadError;
use crate::jsonl::lenient::flatten_params;
use crate::reader::{FileWarnings, ReadOutput};

/// Tag names the reader sets (besides `wandb.tags`, all from the run record).
pub const TAG_PREFIX: &str = "wandb.";

/// A run being read from its `.wandb` file.
#[derive(Debug, Default)]
pub struct RunBuilder {
    run: Run,
    /// Config items by key, in the order of their last update.
    config: BTreeMap<String, Value>,
    series: FastMap<MetricSeries>,
    /// The folded summary: numeric values by key (`None` for any other value).
    summary: FastMap<Option<f64>>,
    exit: Option<(i32, i32)>,
    last_time: Option<f64>,
    records: u64,
    /// Keys logged as W&B objects (`{"_type": ...}` sent as one item per field): their
    /// fields are not metrics.
    objects: HashSet<String>,
    /// Media files and saved files named by the records.
    files: RunFiles,
    /// A buffer for keys of several parts, joined for a lookup.
    scratch: String,
}

/// Maps by key with a fast seeded hash (every item of every row is looked up).
type FastMap<V> = HashMap<String, V, foldhash::fast::RandomState>;

/// The key of an item: `key` when set, else the `nested_key` parts joined with `/`.
fn item_key(item: &impl ItemView) -> String {
    if item.key().is_empty() {
        let parts: Vec<&str> = (0..item.parts()).map(|i| item.part(i)).collect();
        parts.join("/")
    } else {
        item.key().to_string()
    }
}

impl RunBuilder {
    /// A run whose id is `fallback_id` unless the file's run record names one.
    pub fn new(fallback_id: String) -> Self {
        Self {
            run: Run {
                id: fallback_id,
                ..Run::default()
            },
            ..Self::default()
        }
    }

    /// Whether any record was read.
    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// Reads every record of a `.wandb` file from `input`, positioned at its start; warnings
    /// name `path`. Damage is reported in `out`; an `Err` means the content is not a W&B
    /// file or cannot be read.
    pub fn read_from(
        &mut self,
        mut input: impl Read,
        path: &Path,
        out: &mut ReadOutput,
    ) -> Result<(), ReadError> {
        let mut head = [0u8; FILE_HEADER.len()];
        let got = read_up_to(&mut input, &mut head).map_err(|e| ReadError::io(path, e))?;
        if got == 0 {
            out.warn_in(
                path,
                "empty .wandb file (a run that has not logged yet): no records",
            );
            return Ok(());
        }
        if !has_file_header(&head[..got]) {
            return Err(ReadError::invalid(
                path,
                "not a W&B run file: it does not start with the 7-byte `:W&B` header (magic 0xBEE1, version 0); skipped",
            ));
        }
        // The framing counts blocks from the start of the file, header included.
        let mut records = Records::new((&head[..]).chain(input));
        let mut warnings = FileWarnings::new(path);
        let mut record = Record::default();
        // One allocation for the items of every scanned record.
        let mut spare: Vec<ItemRef<'static>> = Vec::new();
        loop {
            match records.next_item().map_err(|e| ReadError::io(path, e))? {
                Framed::Record { offset, data } => {
                    let mut items = recycle(std::mem::take(&mut spare));
                    let scanned = fast::scan(data, &mut items);
                    if let Some(kind) = scanned {
                        self.records += 1;
                        match kind {
                            Scanned::History(num) => self.history(num, &items),
                            Scanned::Summary => self.summary(&items),
                            Scanned::Other => {}
                        }
                    }
                    spare = recycle(items);
                    if scanned.is_some() {
                        continue;
                    }
                    record.clear();
                    if let Err(e) = record.merge(data) {
                        warnings.push(out, format!("record at byte {offset} passes its checksums but is not a W&B record ({e}); record skipped"));
                        continue;
                    }
                    self.records += 1;
                    self.record(&mut record, &mut warnings, out, offset);
                }
                Framed::Skipped {
                    offset,
                    damage,
                    resumed_at,
                } => {
                    let message = match resumed_at {
                        Some(next) => format!(
                            "damaged data at byte {offset}: {}; bytes {offset}..{next} skipped, reading resumed at byte {next}",
                            damage.describe()
                        ),
                        None => format!(
                            "damaged data at byte {offset}: {}; the rest of the file is skipped",
                            damage.describe()
                        ),
                    };
                    warnings.push(out, message);
                }
                Framed::Truncated { offset } => {
                    warnings.push(out, format!(
                        "the file ends inside a record at byte {offset}, probably because the run is still writing or crashed; the {} records before it were read",
                        self.records
                    ));
                    break;
                }
                Framed::End => break,
            }
        }
        warnings.finish(out);
        Ok(())
    }

    /// Takes in one decoded record (its parts are moved out).
    fn record(
        &mut self,
        record: &mut Record,
        warnings: &mut FileWarnings<'_>,
        out: &mut ReadOutput,
        offset: u64,
    ) {
        if let Some(run) = record.run.take() {
            self.run_record(run, warnings, out, offset);
        }
        if let Some(config) = record.config.take() {
            self.config(&config, warnings, out, offset);
        }
        if let Some(history) = &record.history {
            self.history(history.step.map(|s| s.num), &history.item);
        }
        if let Some(files) = record.files.take() {
            self.files
                .saved
                .extend(files.files.into_iter().map(|f| f.path));
        }
        if let Some(summary) = &record.summary {
            self.summary(&summary.update);
            for item in &summary.remove {
                self.summary.remove(&item_key(item));
            }
        }
        if let Some(exit) = record.exit {
            self.exit = Some((exit.exit_code, exit.runtime));
        }
    }

    /// The run record: identity, group, tags, start time and the initial config. A later
    /// run record (a resumed run) overrides the fields it sets.
    fn run_record(
        &mut self,
        run: RunRecord,
        warnings: &mut FileWarnings<'_>,
        out: &mut ReadOutput,
        offset: u64,
    ) {
        let set = |value: String| (!value.is_empty()).then_some(value);
        if let Some(id) = set(run.run_id) {
            self.run.id = id;
        }
        if let Some(name) = set(run.display_name) {
            self.run.name = name;
        }
        if let Some(project) = set(run.project) {
            self.run.experiment = Some(project);
        }
        if let Some(group) = set(run.run_group) {
            self.run.group = Some(group);
        }
        if let Some(notes) = set(run.notes) {
            self.run.notes = Some(notes);
        }
        let git = run.git.unwrap_or_default();
        let tags = [
            ("job_type", run.job_type),
            ("tags", run.tags.join(", ")),
            ("entity", run.entity),
            ("sweep_id", run.sweep_id),
            ("host", run.host),
            ("git.remote_url", git.remote_url),
            ("git.commit", git.commit),
        ];
        for (name, value) in tags {
            if !value.is_empty() {
                self.run.tags.insert(format!("{TAG_PREFIX}{name}"), value);
            }
        }
        if let Some(start) = run.start_time
            && start.seconds > 0
        {
            self.run.start_time = Some(start.seconds as f64 + f64::from(start.nanos) / 1e9);
        }
        if let Some(config) = run.config {
            self.config(&config, warnings, out, offset);
        }
    }

    /// A config update: values parsed as JSON; removals applied.
    fn config(
        &mut self,
        config: &ConfigRecord,
        warnings: &mut FileWarnings<'_>,
        out: &mut ReadOutput,
        offset: u64,
    ) {
        for item in &config.update {
            let key = item_key(item);
            match values::json(&item.value_json) {
                Ok(value) => {
                    self.config.insert(key, value);
                }
                Err(e) => warnings.push(
                    out,
                    format!(
                        "record at byte {offset}: config value {key:?} is not JSON ({e}); skipped"
                    ),
                ),
            }
        }
        for item in &config.remove {
            self.config.remove(&item_key(item));
        }
    }

    /// One history row: `_step` is the step (else the record's step number), `_timestamp`
    /// the time; numeric items become points, other values (text, media, histograms) are
    /// passed over.
    fn history<I: ItemView>(&mut self, num: Option<i64>, items: &[I]) {
        let mut step = num.unwrap_or(0);
        let mut time = None;
        let mut typed = false;
        for item in items {
            match item_key_ref(item) {
                Some("_step") => {
                    if let Some(s) = values::step(item.value_json()) {
                        step = s;
                    }
                }
                Some("_timestamp") => time = values::number(item.value_json()),
                Some(_) => {}
                None => typed |= is_type_field(item),
            }
        }
        if let Some(t) = time.filter(|t| t.is_finite()) {
            self.last_time = Some(self.last_time.map_or(t, |l| l.max(t)));
        }
        if typed {
            self.objects_of(items, Some(step));
        }
        for item in items {
            if item_key_ref(item).is_some_and(|k| k.starts_with('_')) {
                continue;
            }
            if typed && self.is_object_field(item) {
                continue;
            }
            let Some(value) = values::number(item.value_json()) else {
                self.whole_object(item, Some(step));
                continue;
            };
            // Look up without allocating: a key is copied only the first time.
            let key = joined_key(item, &mut self.scratch);
            if let Some(series) = self.series.get_mut(key) {
                series.push(step, value, time);
                continue;
            }
            if key.starts_with('_') {
                continue;
            }
            let mut series = MetricSeries::default();
            series.push(step, value, time);
            self.series.insert(key.to_string(), series);
        }
    }

    /// The W&B objects among `items` (sent as one item per field, `[key, field]`): their
    /// keys are remembered so that their fields are not read as metrics, and media files
    /// (`_type` ending in `-file`, with a `path`) are kept as the key's last media.
    fn objects_of<I: ItemView>(&mut self, items: &[I], step: Option<i64>) {
        let mut fields: BTreeMap<&str, [Option<&str>; 3]> = BTreeMap::new();
        for item in items.iter().filter(|i| is_type_field(*i)) {
            fields.insert(item.part(0), [Some(item.value_json()), None, None]);
        }
        for item in items.iter().filter(|i| i.parts() == 2) {
            if let Some(slots) = fields.get_mut(item.part(0)) {
                match item.part(1) {
                    "path" => slots[1] = Some(item.value_json()),
                    "size" => slots[2] = Some(item.value_json()),
                    _ => {}
                }
            }
        }
        for (key, [kind, path, size]) in fields {
            if !self.objects.contains(key) {
                self.objects.insert(key.to_string());
            }
            let text = |json: Option<&str>| match json.map(values::json) {
                Some(Ok(Value::String(s))) => Some(s),
                _ => None,
            };
            if !text(kind).is_some_and(|k| k.ends_with("-file")) {
                continue;
            }
            if let Some(path) = text(path) {
                let size = size
                    .and_then(values::step)
                    .and_then(|s| u64::try_from(s).ok());
                self.files.add_media(key, MediaFile { step, path, size });
            }
        }
    }

    /// Whether `item` is a field of a W&B object of its row (`[key, field]` with `key`
    /// seen with a `_type`).
    fn is_object_field(&self, item: &impl ItemView) -> bool {
        item.parts() >= 2 && self.objects.contains(item.part(0))
    }

    /// A non-numeric item holding a whole W&B object as JSON (`{"_type": "image-file",
    /// "path": ...}`): a media file is kept as the key's last media.
    fn whole_object(&mut self, item: &impl ItemView, step: Option<i64>) {
        let json = item.value_json().trim_start();
        if !json.starts_with('{') || !json.contains("\"_type\"") {
            return;
        }
        let Ok(Value::Object(object)) = values::json(json) else {
            return;
        };
        let kind = object.get("_type").and_then(Value::as_str);
        let path = object.get("path").and_then(Value::as_str);
        if let (Some(kind), Some(path)) = (kind, path)
            && kind.ends_with("-file")
        {
            let size = object.get("size").and_then(Value::as_u64);
            let file = MediaFile {
                step,
                path: path.to_string(),
                size,
            };
            self.files.add_media(&item_key(item), file);
        }
    }

    /// A summary delta, folded in order. Fields of W&B objects (an image's `size`,
    /// `width`, ...) are not values; a media file there stands for its key when no history
    /// row names one.
    fn summary<I: ItemView>(&mut self, updates: &[I]) {
        let typed = updates.iter().any(is_type_field);
        if typed {
            self.objects_of(updates, None);
        }
        let mut scratch = std::mem::take(&mut self.scratch);
        for item in updates {
            if typed && self.is_object_field(item) {
                continue;
            }
            let key = joined_key(item, &mut scratch);
            if self.series.contains_key(key) {
                // A key with history never takes its value from the summary (see `finish`),
                // so the repeat of its last value is not parsed; a whole object there is
                // still looked at for media (a number never starts with `{`).
                self.whole_object(item, None);
                continue;
            }
            let value = values::number(item.value_json());
            if value.is_none() {
                self.whole_object(item, None);
            }
            match self.summary.get_mut(key) {
                Some(slot) => *slot = value,
                None => {
                    self.summary.insert(key.to_string(), value);
                }
            }
        }
        self.scratch = scratch;
    }

    /// The finished run: config flattened into params (without W&B's own `_wandb`),
    /// summary values of keys that have no history as one point at step 0, the status
    /// from the exit record, the end time, and the files the run saved beside `run_file`
    /// as artifacts (embedded within `out`'s budget).
    pub fn finish(mut self, run_file: &Path, out: &mut ReadOutput) -> Run {
        self.run.artifacts = std::mem::take(&mut self.files).artifacts(run_file, out);
        for (key, value) in &self.config {
            if key == "_wandb" || key.starts_with("_wandb/") {
                continue;
            }
            flatten_params(key, value, &mut self.run.params);
        }
        for (key, value) in self.summary {
            let object_field = key
                .split_once('/')
                .is_some_and(|(head, _)| self.objects.contains(head));
            if let Some(value) = value
                && !key.starts_with('_')
                && !object_field
                && !self.series.contains_key(&key)
            {
                let mut series = MetricSeries::default();
                series.push(0, value, None);
                self.series.insert(key, series);
            }
        }
        for (key, mut series) in self.series {
            series.sort_by_step();
            self.run.metrics.insert(key, series);
        }
        self.run.status = match self.exit {
            None => RunStatus::Running,
            Some((0, _)) => RunStatus::Finished,
            Some(_) => RunStatus::Failed,
        };
        let exit_time = match (self.exit, self.run.start_time) {
            (Some((_, runtime)), Some(start)) if runtime > 0 => Some(start + f64::from(runtime)),
            _ => None,
        };
        self.run.end_time = match (self.last_time, exit_time) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        if self.run.name.is_empty() {
            self.run.name = self.run.id.clone();
        }
        self.run
    }
}

/// The key of an item without allocating, when it is a single part.
fn item_key_ref(item: &impl ItemView) -> Option<&str> {
    if !item.key().is_empty() {
        return Some(item.key());
    }
    (item.parts() == 1).then(|| item.part(0))
}

/// The key of an item ([`item_key`]) without allocating: its single part, or its parts
/// joined in `scratch`.
fn joined_key<'a>(item: &'a impl ItemView, scratch: &'a mut String) -> &'a str {
    if let Some(key) = item_key_ref(item) {
        return key;
    }
    scratch.clear();
    for i in 0..item.parts() {
        if i > 0 {
            scratch.push('/');
        }
        scratch.push_str(item.part(i));
    }
    scratch
}

/// Whether `item` is the `_type` field of a W&B object sent one field per item
/// (`nested_key = [key, "_type"]`).
fn is_type_field(item: &impl ItemView) -> bool {
    item.parts() == 2 && item.part(1) == "_type"
}

/// An empty vector for items of another record, reusing `items`' allocation.
fn recycle<'b>(mut items: Vec<ItemRef<'_>>) -> Vec<ItemRef<'b>> {
    items.clear();
    // Collecting an empty iterator of a type of the same layout reuses the allocation.
    items.into_iter().map(|_| unreachable!()).collect()
}
