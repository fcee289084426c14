//! The bundle encoder: builds the run table and the metric chunks one metric at a time,
//! taking each run's series on demand from a [`SeriesSource`], so that a host which keeps
//! the points out of memory (runlens-ingest's spill) only ever holds one chunk's series.

use std::borrow::Cow;
use std::convert::Infallible;

use super::container::{self, FileKind};
use super::level::{self, LevelRef};
use super::table::{ChunkRef, MetricColumn, RunTable};
use super::{EncodedBundle, chunk, details};
use crate::model::{Archive, MetricSeries, Run};

/// Where the encoder takes the metric series of the archive's runs from. Rows are
/// positions in [`Archive::runs`].
pub trait SeriesSource {
    /// Why a series could not be produced (for an in-memory source: never).
    type Error;

    /// The metric keys of run `row`, in any order (an empty series may be listed: it gets a
    /// column with no summary, as in [`RunTable::from_runs`]).
    fn metric_keys(&self, row: usize) -> Vec<&str>;

    /// The series of metric `key` of run `row`, sorted by step as [`Archive::finish`] leaves
    /// it; `None` when the run lacks the key.
    fn series(&self, row: usize, key: &str) -> Result<Option<Cow<'_, MetricSeries>>, Self::Error>;
}

/// The series held in the runs themselves.
impl SeriesSource for [Run] {
    type Error = Infallible;

    fn metric_keys(&self, row: usize) -> Vec<&str> {
        self[row].metrics.keys().map(String::as_str).collect()
    }

    fn series(&self, row: usize, key: &str) -> Result<Option<Cow<'_, MetricSeries>>, Infallible> {
        Ok(self[row].metrics.get(key).map(Cow::Borrowed))
    }
}

/// Encodes `archive` (which should have been [`Archive::finish`]ed for deterministic output)
/// with its metric series taken from `source` instead of from the runs; the bytes are those
/// [`super::encode`] writes for the archive whose runs hold those series.
pub fn encode_with<S: SeriesSource + ?Sized>(
    archive: &Archive,
    source: &S,
    title: &str,
    chunk_points: u64,
) -> Result<EncodedBundle, S::Error> {
    let mut table = RunTable::without_metrics(title, &archive.runs, &archive.warnings);
    let details = details::encode(&archive.runs, &archive.models);
    table.parents = details.parents;
    table.details = details.detail_refs;
    table.files = details.file_refs;
    table.models = details.models;
    let mut keys: Vec<&str> = (0..archive.runs.len())
        .flat_map(|row| source.metric_keys(row))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let mut out = Chunks::default();
    for (metric_index, key) in keys.into_iter().enumerate() {
        let mut column = MetricColumn::new(key);
        let mut pending: Vec<(u32, Cow<'_, MetricSeries>)> = Vec::new();
        let mut pending_points = 0u64;
        for row in 0..archive.runs.len() {
            let series = source.series(row, key)?;
            column.push(series.as_ref().and_then(|s| s.summary()));
            if let Some(series) = series.filter(|s| !s.is_empty()) {
                pending_points += series.len() as u64;
                pending.push((row as u32, series));
                if pending_points >= chunk_points {
                    out.flush(metric_index, &mut column, &mut pending, &mut pending_points);
                }
            }
        }
        out.flush(metric_index, &mut column, &mut pending, &mut pending_points);
        table.metrics.push(column);
    }
    let (refs, files): (Vec<ChunkRef>, Vec<Vec<u8>>) = out.chunks.into_iter().unzip();
    table.chunks = refs;
    let (level_refs, level_files): (Vec<LevelRef>, Vec<Vec<u8>>) = out.levels.into_iter().unzip();
    table.levels = level_refs;
    let index = container::seal(
        FileKind::Index,
        &postcard::to_allocvec(&table).expect("in-memory serialization cannot fail"),
    );
    Ok(EncodedBundle {
        index,
        chunks: files,
        levels: level_files,
        details: details.detail_files,
        files: details.files,
    })
}

/// [`encode_with`] over the series the runs hold.
pub(super) fn encode_in_memory(archive: &Archive, title: &str, chunk_points: u64) -> EncodedBundle {
    match encode_with(archive, archive.runs.as_slice(), title, chunk_points) {
        Ok(bundle) => bundle,
        Err(never) => match never {},
    }
}

/// The chunk and level files written so far, in id order.
#[derive(Default)]
struct Chunks {
    chunks: Vec<(ChunkRef, Vec<u8>)>,
    levels: Vec<(LevelRef, Vec<u8>)>,
}

impl Chunks {
    /// Closes the pending series of metric `metric_index` as one chunk (and its overview
    /// level, when its series are long enough to have one).
    fn flush(
        &mut self,
        metric_index: usize,
        column: &mut MetricColumn,
        pending: &mut Vec<(u32, Cow<'_, MetricSeries>)>,
        pending_points: &mut u64,
    ) {
        if pending.is_empty() {
            return;
        }
        let series: Vec<(u32, &MetricSeries)> =
            pending.iter().map(|(run, s)| (*run, s.as_ref())).collect();
        let bytes = chunk::encode(&column.key, &series);
        let id = self.chunks.len() as u32;
        if let Some(overview) = level::chunk_level(&series, level::LEVEL_BUCKETS) {
            let refs: Vec<(u32, &MetricSeries)> =
                overview.iter().map(|(run, s)| (*run, s)).collect();
            let level_bytes = chunk::encode_as(FileKind::Level, &column.key, &refs);
            self.levels.push((
                LevelRef {
                    id: self.levels.len() as u32,
                    chunk: id,
                    buckets: level::LEVEL_BUCKETS as u32,
                    points: overview.iter().map(|(_, s)| s.len() as u64).sum(),
                    bytes: level_bytes.len() as u64,
                },
                level_bytes,
            ));
        }
        column.chunks.push(id);
        self.chunks.push((
            ChunkRef {
                id,
                metric: metric_index as u32,
                runs: series.iter().map(|&(run, _)| run).collect(),
                points: *pending_points,
                bytes: bytes.len() as u64,
            },
            bytes,
        ));
        pending.clear();
        *pending_points = 0;
    }
}
