//! The run table: one column per attribute, param, tag and metric summary, decoded at
//! page start-up. Columns are indexed by run position `0..run_count`.

use serde::{Deserialize, Serialize};

use super::BundleError;
use super::clock::ClockRef;
use super::details::{DetailRef, FileRef, ModelEntry};
use super::level::LevelRef;
use crate::model::{MetricSummary, ParamValue, Run, RunStatus, Warning};

/// A dictionary-encoded optional string column: `codes[i] == 0` means absent,
/// otherwise the value is `values[codes[i] - 1]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DictColumn {
    /// Distinct values, in first-seen order.
    pub values: Vec<String>,
    /// One code per run.
    pub codes: Vec<u32>,
}

impl DictColumn {
    /// Encodes one optional value per run.
    pub fn from_options<'a>(cells: impl IntoIterator<Item = Option<&'a str>>) -> Self {
        let mut column = DictColumn::default();
        let mut seen = std::collections::HashMap::<&str, u32>::new();
        for cell in cells {
            let code = match cell {
                None => 0,
                Some(text) => *seen.entry(text).or_insert_with(|| {
                    column.values.push(text.to_string());
                    column.values.len() as u32
                }),
            };
            column.codes.push(code);
        }
        column
    }

    /// The value of run `row`, if any.
    pub fn get(&self, row: usize) -> Option<&str> {
        let code = *self.codes.get(row)? as usize;
        code.checked_sub(1)
            .and_then(|i| self.values.get(i))
            .map(String::as_str)
    }

    fn validate(&self, name: &str, rows: usize) -> Result<(), BundleError> {
        check_len(name, self.codes.len(), rows)?;
        if let Some(bad) = self.codes.iter().find(|&&c| c as usize > self.values.len()) {
            return Err(BundleError::Corrupt(format!(
                "column {name}: code {bad} but only {} values",
                self.values.len()
            )));
        }
        Ok(())
    }
}

/// A param column: one optional typed value per run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamColumn {
    /// Param name.
    pub key: String,
    /// One cell per run.
    pub cells: Vec<Option<ParamCell>>,
    /// The logged text of the cells whose typed value prints differently (`1e-3`), as
    /// (row, text), ascending by row.
    pub texts: Vec<(u32, String)>,
}

/// A typed param cell as stored (mirrors [`ParamValue`] with an explicit tag).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ParamCell {
    /// Boolean.
    Bool(bool),
    /// Integer.
    Int(i64),
    /// Float, raw bits kept.
    Float(f64),
    /// Text.
    Text(String),
}

impl From<&ParamValue> for ParamCell {
    fn from(v: &ParamValue) -> Self {
        match v {
            ParamValue::Bool(b) => ParamCell::Bool(*b),
            ParamValue::Int(i) => ParamCell::Int(*i),
            ParamValue::Float(f) => ParamCell::Float(*f),
            ParamValue::Text(s) => ParamCell::Text(s.clone()),
        }
    }
}

impl From<&ParamCell> for ParamValue {
    fn from(v: &ParamCell) -> Self {
        match v {
            ParamCell::Bool(b) => ParamValue::Bool(*b),
            ParamCell::Int(i) => ParamValue::Int(*i),
            ParamCell::Float(f) => ParamValue::Float(*f),
            ParamCell::Text(s) => ParamValue::Text(s.clone()),
        }
    }
}

/// A tag column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TagColumn {
    /// Tag name.
    pub key: String,
    /// One optional value per run.
    pub values: DictColumn,
}

/// Summaries of one metric for every run; `count[i] == 0` means run `i` lacks the metric.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricColumn {
    /// Metric key.
    pub key: String,
    /// Points per run.
    pub count: Vec<u64>,
    /// First step per run.
    pub first_step: Vec<i64>,
    /// Last step per run.
    pub last_step: Vec<i64>,
    /// Last value per run.
    pub last: Vec<f64>,
    /// Minimum (NaN ignored) per run.
    pub min: Vec<f64>,
    /// Maximum (NaN ignored) per run.
    pub max: Vec<f64>,
    /// Mean of finite values per run.
    pub mean: Vec<f64>,
    /// Ids of the chunks holding this metric's series.
    pub chunks: Vec<u32>,
}

impl MetricColumn {
    /// The summary of run `row`, `None` when the run lacks this metric.
    pub fn summary(&self, row: usize) -> Option<MetricSummary> {
        let count = *self.count.get(row)?;
        (count > 0).then(|| MetricSummary {
            count,
            first_step: self.first_step[row],
            last_step: self.last_step[row],
            last: self.last[row],
            min: self.min[row],
            max: self.max[row],
            mean: self.mean[row],
        })
    }

    /// An empty column for `key`.
    pub(crate) fn new(key: &str) -> Self {
        MetricColumn {
            key: key.to_string(),
            ..MetricColumn::default()
        }
    }

    pub(crate) fn push(&mut self, summary: Option<MetricSummary>) {
        let s = summary.unwrap_or(MetricSummary {
            count: 0,
            first_step: 0,
            last_step: 0,
            last: f64::NAN,
            min: f64::NAN,
            max: f64::NAN,
            mean: f64::NAN,
        });
        self.count.push(s.count);
        self.first_step.push(s.first_step);
        self.last_step.push(s.last_step);
        self.last.push(s.last);
        self.min.push(s.min);
        self.max.push(s.max);
        self.mean.push(s.mean);
    }
}

/// Where a chunk's series live and how big it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkRef {
    /// Chunk id; the multi-file site stores it as `chunks/<id>.rlb`.
    pub id: u32,
    /// Index into [`RunTable::metrics`].
    pub metric: u32,
    /// Runs (row indices) whose series the chunk holds, ascending.
    pub runs: Vec<u32>,
    /// Total points in the chunk.
    pub points: u64,
    /// Size of the chunk file in bytes.
    pub bytes: u64,
    /// The clock files (ids, ascending) holding the clocks its times in clock form read;
    /// empty when no times column of the chunk is in clock form.
    pub clocks: Vec<u32>,
}

/// The columnar run table plus everything the page needs at start-up.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunTable {
    /// Report title.
    pub title: String,
    /// Run ids.
    pub ids: Vec<String>,
    /// Run names.
    pub names: Vec<String>,
    /// Reader names.
    pub sources: DictColumn,
    /// Experiments.
    pub experiments: DictColumn,
    /// Groups.
    pub groups: DictColumn,
    /// [`RunStatus::code`] per run.
    pub statuses: Vec<u8>,
    /// Start time (epoch seconds), NaN when unknown.
    pub start_times: Vec<f64>,
    /// End time (epoch seconds), NaN when unknown.
    pub end_times: Vec<f64>,
    /// Params, sorted by key.
    pub params: Vec<ParamColumn>,
    /// Tags, sorted by key.
    pub tags: Vec<TagColumn>,
    /// Metric summaries, sorted by key.
    pub metrics: Vec<MetricColumn>,
    /// Chunk directory.
    pub chunks: Vec<ChunkRef>,
    /// What was skipped while reading the sources.
    pub warnings: Vec<Warning>,
    /// Parent run per run: 0 for none, else the parent's row + 1.
    pub parents: Vec<u32>,
    /// Detail-file directory (notes, datasets, artifact lists), ascending by run.
    pub details: Vec<DetailRef>,
    /// Embedded artifact files.
    pub files: Vec<FileRef>,
    /// The model registry.
    pub models: Vec<ModelEntry>,
    /// Overview-level directory, ascending by chunk, at most one per chunk.
    pub levels: Vec<LevelRef>,
    /// Clock-file directory (each run's step → wall time pairs), ascending by run.
    pub clocks: Vec<ClockRef>,
}

impl RunTable {
    /// Number of runs.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when there is no run.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Status of run `row`.
    pub fn status(&self, row: usize) -> RunStatus {
        self.statuses
            .get(row)
            .and_then(|&c| RunStatus::from_code(c))
            .unwrap_or_default()
    }

    /// Index of the param column named `key`.
    pub fn param_index(&self, key: &str) -> Option<usize> {
        self.params
            .binary_search_by(|c| c.key.as_str().cmp(key))
            .ok()
    }

    /// Index of the tag column named `key`.
    pub fn tag_index(&self, key: &str) -> Option<usize> {
        self.tags.binary_search_by(|c| c.key.as_str().cmp(key)).ok()
    }

    /// Index of the metric column named `key`.
    pub fn metric_index(&self, key: &str) -> Option<usize> {
        self.metrics
            .binary_search_by(|c| c.key.as_str().cmp(key))
            .ok()
    }

    /// Builds the table of `runs` (metric chunks are added by the encoder).
    pub fn from_runs(title: &str, runs: &[Run], warnings: &[Warning]) -> RunTable {
        let mut metric_keys: Vec<&String> = runs.iter().flat_map(|r| r.metrics.keys()).collect();
        metric_keys.sort();
        metric_keys.dedup();
        let mut table = RunTable::without_metrics(title, runs, warnings);
        table.metrics = metric_keys
            .into_iter()
            .map(|key| {
                let mut column = MetricColumn::new(key);
                for run in runs {
                    column.push(run.metrics.get(key).and_then(|s| s.summary()));
                }
                column
            })
            .collect();
        table
    }

    /// The table of `runs` without metric columns (the streaming encoder adds them, one
    /// metric at a time, from series it takes on demand).
    pub(crate) fn without_metrics(title: &str, runs: &[Run], warnings: &[Warning]) -> RunTable {
        let mut param_keys: Vec<&String> = runs.iter().flat_map(|r| r.params.keys()).collect();
        param_keys.sort();
        param_keys.dedup();
        let mut tag_keys: Vec<&String> = runs.iter().flat_map(|r| r.tags.keys()).collect();
        tag_keys.sort();
        tag_keys.dedup();
        RunTable {
            title: title.to_string(),
            ids: runs.iter().map(|r| r.id.clone()).collect(),
            names: runs.iter().map(|r| r.name.clone()).collect(),
            sources: DictColumn::from_options(runs.iter().map(|r| Some(r.source.as_str()))),
            experiments: DictColumn::from_options(runs.iter().map(|r| r.experiment.as_deref())),
            groups: DictColumn::from_options(runs.iter().map(|r| r.group.as_deref())),
            statuses: runs.iter().map(|r| r.status.code()).collect(),
            start_times: runs
                .iter()
                .map(|r| r.start_time.unwrap_or(f64::NAN))
                .collect(),
            end_times: runs
                .iter()
                .map(|r| r.end_time.unwrap_or(f64::NAN))
                .collect(),
            params: param_keys
                .into_iter()
                .map(|key| ParamColumn {
                    key: key.clone(),
                    cells: runs
                        .iter()
                        .map(|r| r.params.get(key).map(ParamCell::from))
                        .collect(),
                    texts: runs
                        .iter()
                        .enumerate()
                        .filter_map(|(row, r)| Some((row as u32, r.param_text.get(key)?.clone())))
                        .collect(),
                })
                .collect(),
            tags: tag_keys
                .into_iter()
                .map(|key| TagColumn {
                    key: key.clone(),
                    values: DictColumn::from_options(
                        runs.iter().map(|r| r.tags.get(key).map(String::as_str)),
                    ),
                })
                .collect(),
            metrics: Vec::new(),
            chunks: Vec::new(),
            warnings: warnings.to_vec(),
            parents: vec![0; runs.len()],
            details: Vec::new(),
            files: Vec::new(),
            models: Vec::new(),
            levels: Vec::new(),
            clocks: Vec::new(),
        }
    }

    /// The parent row of run `row`, if it has a parent in the report.
    pub fn parent(&self, row: usize) -> Option<usize> {
        let code = *self.parents.get(row)? as usize;
        code.checked_sub(1)
    }

    /// Param `column`'s cell of run `row` as logged: the kept text, else the value printed.
    pub fn param_text(&self, column: usize, row: usize) -> Option<String> {
        let column = self.params.get(column)?;
        if let Ok(at) = column
            .texts
            .binary_search_by_key(&(row as u32), |(r, _)| *r)
        {
            return Some(column.texts[at].1.clone());
        }
        column
            .cells
            .get(row)?
            .as_ref()
            .map(|cell| ParamValue::from(cell).to_string())
    }

    /// Rebuilds run `row` without its metric series (which live in chunks).
    pub fn run_without_series(&self, row: usize) -> Run {
        let optional_time = |t: f64| (!t.is_nan()).then_some(t);
        Run {
            id: self.ids[row].clone(),
            name: self.names[row].clone(),
            source: self.sources.get(row).unwrap_or_default().to_string(),
            experiment: self.experiments.get(row).map(str::to_string),
            group: self.groups.get(row).map(str::to_string),
            status: self.status(row),
            start_time: optional_time(self.start_times[row]),
            end_time: optional_time(self.end_times[row]),
            params: self
                .params
                .iter()
                .filter_map(|c| Some((c.key.clone(), ParamValue::from(c.cells[row].as_ref()?))))
                .collect(),
            tags: self
                .tags
                .iter()
                .filter_map(|c| Some((c.key.clone(), c.values.get(row)?.to_string())))
                .collect(),
            param_text: self
                .params
                .iter()
                .filter_map(|c| {
                    let at = c
                        .texts
                        .binary_search_by_key(&(row as u32), |(r, _)| *r)
                        .ok()?;
                    Some((c.key.clone(), c.texts[at].1.clone()))
                })
                .collect(),
            parent_id: self.parent(row).map(|p| self.ids[p].clone()),
            ..Run::default()
        }
    }

    /// Checks that every column has one entry per run and every reference is in range,
    /// so that consumers can index without further checks.
    pub fn validate(&self) -> Result<(), BundleError> {
        let rows = self.ids.len();
        check_len("names", self.names.len(), rows)?;
        self.sources.validate("sources", rows)?;
        self.experiments.validate("experiments", rows)?;
        self.groups.validate("groups", rows)?;
        check_len("statuses", self.statuses.len(), rows)?;
        check_len("start_times", self.start_times.len(), rows)?;
        check_len("end_times", self.end_times.len(), rows)?;
        check_sorted("params", self.params.iter().map(|c| &c.key))?;
        check_sorted("tags", self.tags.iter().map(|c| &c.key))?;
        check_sorted("metrics", self.metrics.iter().map(|c| &c.key))?;
        for c in &self.params {
            check_len(&format!("param {}", c.key), c.cells.len(), rows)?;
            if !c.texts.windows(2).all(|w| w[0].0 < w[1].0)
                || c.texts.last().is_some_and(|(r, _)| *r as usize >= rows)
            {
                return Err(BundleError::Corrupt(format!(
                    "param {}: logged texts out of order or beyond the table",
                    c.key
                )));
            }
        }
        check_len("parents", self.parents.len(), rows)?;
        if self.parents.iter().any(|&p| p as usize > rows) {
            return Err(BundleError::Corrupt("a parent beyond the table".into()));
        }
        self.validate_details(rows)?;
        for c in &self.tags {
            c.values.validate(&format!("tag {}", c.key), rows)?;
        }
        for c in &self.metrics {
            let name = format!("metric {}", c.key);
            for len in [
                c.count.len(),
                c.first_step.len(),
                c.last_step.len(),
                c.last.len(),
                c.min.len(),
                c.max.len(),
                c.mean.len(),
            ] {
                check_len(&name, len, rows)?;
            }
            if let Some(&bad) = c
                .chunks
                .iter()
                .find(|&&id| id as usize >= self.chunks.len())
            {
                return Err(BundleError::Corrupt(format!("{name}: unknown chunk {bad}")));
            }
        }
        for (position, level) in self.levels.iter().enumerate() {
            let after_previous = position == 0 || self.levels[position - 1].chunk < level.chunk;
            if level.id as usize != position
                || level.chunk as usize >= self.chunks.len()
                || !after_previous
            {
                return Err(BundleError::Corrupt(format!(
                    "level directory entry {position} is inconsistent"
                )));
            }
        }
        for (position, chunk) in self.chunks.iter().enumerate() {
            if chunk.id as usize != position || chunk.metric as usize >= self.metrics.len() {
                return Err(BundleError::Corrupt(format!(
                    "chunk directory entry {position} is inconsistent"
                )));
            }
            if chunk.runs.iter().any(|&r| r as usize >= rows) {
                return Err(BundleError::Corrupt(format!(
                    "chunk {position} names a run beyond the table"
                )));
            }
            let ascending = chunk.clocks.windows(2).all(|w| w[0] < w[1]);
            if !ascending
                || chunk
                    .clocks
                    .last()
                    .is_some_and(|&c| c as usize >= self.clocks.len())
            {
                return Err(BundleError::Corrupt(format!(
                    "chunk {position} names clock files out of order or not in the directory"
                )));
            }
        }
        let entries = self.clocks.iter().map(|c| (c.id, &c.runs[..]));
        check_row_directory("clock", entries, rows)
    }
}

impl RunTable {
    fn validate_details(&self, rows: usize) -> Result<(), BundleError> {
        let entries = self.details.iter().map(|d| (d.id, &d.runs[..]));
        check_row_directory("detail", entries, rows)?;
        if let Some(bad) = self
            .files
            .iter()
            .enumerate()
            .find(|(i, f)| f.id as usize != *i)
        {
            return Err(BundleError::Corrupt(format!(
                "file directory entry {} is inconsistent",
                bad.0
            )));
        }
        let bad_version = self
            .models
            .iter()
            .flat_map(|m| &m.versions)
            .any(|v| v.run_row.is_some_and(|r| r as usize >= rows));
        if bad_version {
            return Err(BundleError::Corrupt(
                "a model version names a run beyond the table".into(),
            ));
        }
        Ok(())
    }
}

/// Checks a directory of files that each hold some runs (details, clocks): entry `i` has id
/// `i`, and the rows are ascending over the whole directory (so a row's file is found by
/// binary search) and within the table.
fn check_row_directory<'a>(
    name: &str,
    entries: impl Iterator<Item = (u32, &'a [u32])>,
    rows: usize,
) -> Result<(), BundleError> {
    let mut previous: Option<u32> = None;
    for (position, (id, runs)) in entries.enumerate() {
        let ascending = runs.iter().all(|&r| {
            let ok = previous.is_none_or(|p| r > p) && (r as usize) < rows;
            previous = Some(r);
            ok
        });
        if id as usize != position || !ascending {
            return Err(BundleError::Corrupt(format!(
                "{name} directory entry {position} is inconsistent"
            )));
        }
    }
    Ok(())
}

fn check_len(name: &str, len: usize, rows: usize) -> Result<(), BundleError> {
    if len == rows {
        Ok(())
    } else {
        Err(BundleError::Corrupt(format!(
            "column {name} has {len} entries for {rows} runs"
        )))
    }
}

fn check_sorted<'a>(name: &str, keys: impl Iterator<Item = &'a String>) -> Result<(), BundleError> {
    let keys: Vec<&String> = keys.collect();
    if keys.windows(2).all(|w| w[0] < w[1]) {
        Ok(())
    } else {
        Err(BundleError::Corrupt(format!(
            "{name} columns are not sorted by key"
        )))
    }
}
