//! One `.wandb` file folded into a [`Run`]: the run record gives identity, group, tags and
//! start time; config records give params; history rows give metric series; summary deltas
//! are folded in order; the exit record gives the status. Damage in the file becomes
//! warnings naming the file and the byte offset.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::Path;

use prost::Message;
use runlens_core::{MetricSeries, Run, RunStatus};
use serde_json::Value;

use super::framing::{FILE_HEADER, Item as Framed, Records, has_file_header, read_up_to};
use super::proto::{ConfigRecord, HistoryRecord, Item, Record, RunRecord, SummaryRecord};
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
    series: HashMap<String, MetricSeries>,
    /// The folded summary: numeric values by key (`None` for any other value).
    summary: HashMap<String, Option<f64>>,
    exit: Option<(i32, i32)>,
    last_time: Option<f64>,
    records: u64,
}

/// The key of an item: `key` when set, else the `nested_key` parts joined with `/`.
fn item_key(item: &Item) -> String {
    if item.key.is_empty() {
        item.nested_key.join("/")
    } else {
        item.key.clone()
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
        loop {
            match records.next_item().map_err(|e| ReadError::io(path, e))? {
                Framed::Record { offset, data } => {
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
            self.history(history);
        }
        if let Some(summary) = &record.summary {
            self.summary(summary);
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
    fn history(&mut self, history: &HistoryRecord) {
        let mut step = history.step.map_or(0, |s| s.num);
        let mut time = None;
        for item in &history.item {
            match item_key_ref(item) {
                Some("_step") => {
                    if let Some(s) = values::step(&item.value_json) {
                        step = s;
                    }
                }
                Some("_timestamp") => time = values::number(&item.value_json),
                _ => {}
            }
        }
        if let Some(t) = time.filter(|t| t.is_finite()) {
            self.last_time = Some(self.last_time.map_or(t, |l| l.max(t)));
        }
        for item in &history.item {
            if item_key_ref(item).is_some_and(|k| k.starts_with('_')) {
                continue;
            }
            let Some(value) = values::number(&item.value_json) else {
                continue;
            };
            // Look up without allocating the key in the common case of a one-part key.
            if let Some(series) = item_key_ref(item).and_then(|k| self.series.get_mut(k)) {
                series.push(step, value, time);
                continue;
            }
            let key = item_key(item);
            if key.starts_with('_') {
                continue;
            }
            self.series.entry(key).or_default().push(step, value, time);
        }
    }

    /// A summary delta, folded in order.
    fn summary(&mut self, summary: &SummaryRecord) {
        for item in &summary.update {
            let value = values::number(&item.value_json);
            match item_key_ref(item).and_then(|k| self.summary.get_mut(k)) {
                Some(slot) => *slot = value,
                None => {
                    self.summary.insert(item_key(item), value);
                }
            }
        }
        for item in &summary.remove {
            self.summary.remove(&item_key(item));
        }
    }

    /// The finished run: config flattened into params (without W&B's own `_wandb`),
    /// summary values of keys that have no history as one point at step 0, the status
    /// from the exit record, and the end time.
    pub fn finish(mut self) -> Run {
        for (key, value) in &self.config {
            if key == "_wandb" || key.starts_with("_wandb/") {
                continue;
            }
            flatten_params(key, value, &mut self.run.params);
        }
        for (key, value) in self.summary {
            if let Some(value) = value
                && !key.starts_with('_')
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
fn item_key_ref(item: &Item) -> Option<&str> {
    if !item.key.is_empty() {
        return Some(&item.key);
    }
    match item.nested_key.as_slice() {
        [one] => Some(one),
        _ => None,
    }
}
