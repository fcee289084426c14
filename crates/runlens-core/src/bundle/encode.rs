//! The bundle encoder: first each run's clock (the step → wall time pairs its series share),
//! then the run table and the metric chunks one metric at a time, taking each run's series
//! on demand from a [`SeriesSource`], so that a host which keeps the points out of memory
//! (runlens-ingest's spill) only ever holds one chunk's series (and the clocks); each clock,
//! chunk and overview level file goes to a [`ChunkSink`] as soon as it is made (a site
//! writer puts it on disk), so that the encoded bundle is not held either.

use std::borrow::Cow;
use std::convert::Infallible;

use super::clock::{self, Clock, ClockRef, RunClocks};
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

/// Where the encoder puts each clock, chunk and overview level file as soon as it is made,
/// in id order: every clock file first, then chunk `i` before chunk `i + 1`, each level
/// after its chunk.
pub trait ChunkSink {
    /// Why a file could not be taken.
    type Error;

    /// Takes clock file `id`.
    fn clock(&mut self, id: u32, bytes: Vec<u8>) -> Result<(), Self::Error>;

    /// Takes chunk file `id`.
    fn chunk(&mut self, id: u32, bytes: Vec<u8>) -> Result<(), Self::Error>;

    /// Takes overview level file `id`.
    fn level(&mut self, id: u32, bytes: Vec<u8>) -> Result<(), Self::Error>;
}

/// The files held in memory, as [`EncodedBundle::chunks`] and [`EncodedBundle::levels`].
#[derive(Debug, Default)]
pub struct HeldChunks {
    /// Chunk files by id.
    pub chunks: Vec<Vec<u8>>,
    /// Level files by id.
    pub levels: Vec<Vec<u8>>,
    /// Clock files by id.
    pub clocks: Vec<Vec<u8>>,
}

impl ChunkSink for HeldChunks {
    type Error = Infallible;

    fn clock(&mut self, _id: u32, bytes: Vec<u8>) -> Result<(), Infallible> {
        self.clocks.push(bytes);
        Ok(())
    }

    fn chunk(&mut self, _id: u32, bytes: Vec<u8>) -> Result<(), Infallible> {
        self.chunks.push(bytes);
        Ok(())
    }

    fn level(&mut self, _id: u32, bytes: Vec<u8>) -> Result<(), Infallible> {
        self.levels.push(bytes);
        Ok(())
    }
}

/// Why [`encode_into`] stopped.
#[derive(Debug)]
pub enum EncodeError<S, K> {
    /// A series could not be produced by the [`SeriesSource`].
    Series(S),
    /// A file could not be taken by the [`ChunkSink`].
    Sink(K),
}

impl<S: std::fmt::Display, K: std::fmt::Display> std::fmt::Display for EncodeError<S, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EncodeError::Series(e) => e.fmt(f),
            EncodeError::Sink(e) => e.fmt(f),
        }
    }
}

impl<S, K> std::error::Error for EncodeError<S, K>
where
    S: std::error::Error + 'static,
    K: std::error::Error + 'static,
{
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            EncodeError::Series(e) => Some(e),
            EncodeError::Sink(e) => Some(e),
        }
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
    let mut held = HeldChunks::default();
    match encode_into(archive, source, title, chunk_points, &mut held) {
        Ok(mut bundle) => {
            bundle.chunks = held.chunks;
            bundle.levels = held.levels;
            bundle.clocks = held.clocks;
            Ok(bundle)
        }
        Err(EncodeError::Series(e)) => Err(e),
        Err(EncodeError::Sink(never)) => match never {},
    }
}

/// [`encode_with`] giving every clock, chunk and level file to `sink` as soon as it is made:
/// the bundle returned has the index, details and files, and no clock, chunk or level file.
pub fn encode_into<S: SeriesSource + ?Sized, K: ChunkSink>(
    archive: &Archive,
    source: &S,
    title: &str,
    chunk_points: u64,
    sink: &mut K,
) -> Result<EncodedBundle, EncodeError<S::Error, K::Error>> {
    let mut table = RunTable::without_metrics(title, &archive.runs, &archive.warnings);
    let details = details::encode(&archive.runs, &archive.models);
    table.parents = details.parents;
    table.details = details.detail_refs;
    table.files = details.file_refs;
    table.models = details.models;
    let (clocks, clock_refs) = write_clocks(archive.runs.len(), source, sink)?;
    let mut keys: Vec<&str> = (0..archive.runs.len())
        .flat_map(|row| source.metric_keys(row))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let mut out = Chunks {
        sink,
        clocks: &clocks,
        chunks: Vec::new(),
        levels: Vec::new(),
    };
    for (metric_index, key) in keys.into_iter().enumerate() {
        let mut column = MetricColumn::new(key);
        let mut pending: Vec<(u32, Cow<'_, MetricSeries>)> = Vec::new();
        let mut pending_points = 0u64;
        for row in 0..archive.runs.len() {
            let series = source.series(row, key).map_err(EncodeError::Series)?;
            column.push(series.as_ref().and_then(|s| s.summary()));
            if let Some(series) = series.filter(|s| !s.is_empty()) {
                pending_points += series.len() as u64;
                pending.push((row as u32, series));
                if pending_points >= chunk_points {
                    out.flush(metric_index, &mut column, &mut pending, &mut pending_points)
                        .map_err(EncodeError::Sink)?;
                }
            }
        }
        out.flush(metric_index, &mut column, &mut pending, &mut pending_points)
            .map_err(EncodeError::Sink)?;
        table.metrics.push(column);
    }
    table.chunks = out.chunks;
    table.levels = out.levels;
    table.clocks = clock_refs;
    let index = container::seal(
        FileKind::Index,
        &postcard::to_allocvec(&table).expect("in-memory serialization cannot fail"),
    );
    Ok(EncodedBundle {
        index,
        chunks: Vec::new(),
        levels: Vec::new(),
        clocks: Vec::new(),
        details: details.detail_files,
        files: details.files,
    })
}

/// Every run's clock with its file's id, and the clock directory.
type WrittenClocks = (RunClocks, Vec<ClockRef>);

/// Makes every run's clock ([`clock::clock_of`] of its series), gives the clock files to
/// `sink` (runs in row order, a file closed at [`clock::CLOCK_FILE_POINTS`] entries) and
/// returns the clocks with their files' ids, and the clock directory.
fn write_clocks<S: SeriesSource + ?Sized, K: ChunkSink>(
    rows: usize,
    source: &S,
    sink: &mut K,
) -> Result<WrittenClocks, EncodeError<S::Error, K::Error>> {
    let mut clocks = RunClocks::new(rows);
    let mut refs = Vec::new();
    let mut pending: Vec<(u32, Clock)> = Vec::new();
    let mut pending_points = 0u64;
    let mut flush = |pending: &mut Vec<(u32, Clock)>,
                     clocks: &mut RunClocks|
     -> Result<(), EncodeError<S::Error, K::Error>> {
        if pending.is_empty() {
            return Ok(());
        }
        let held: Vec<(u32, &Clock)> = pending.iter().map(|(run, c)| (*run, c)).collect();
        let bytes = clock::encode(&held);
        let id = refs.len() as u32;
        refs.push(ClockRef {
            id,
            runs: pending.iter().map(|(run, _)| *run).collect(),
            points: pending.iter().map(|(_, c)| c.len() as u64).sum(),
            bytes: bytes.len() as u64,
        });
        sink.clock(id, bytes).map_err(EncodeError::Sink)?;
        for (run, clock) in pending.drain(..) {
            clocks.set(run, id, clock);
        }
        Ok(())
    };
    for row in 0..rows {
        let mut keys = source.metric_keys(row);
        keys.sort_unstable();
        keys.dedup();
        let mut series = Vec::with_capacity(keys.len());
        for key in keys {
            if let Some(s) = source.series(row, key).map_err(EncodeError::Series)? {
                series.push(s);
            }
        }
        if let Some(clock) = clock::clock_of(series.iter().map(|s| s.as_ref())) {
            pending_points += clock.len() as u64;
            pending.push((row as u32, clock));
            if pending_points >= clock::CLOCK_FILE_POINTS {
                flush(&mut pending, &mut clocks)?;
                pending_points = 0;
            }
        }
    }
    flush(&mut pending, &mut clocks)?;
    Ok((clocks, refs))
}

/// [`encode_with`] over the series the runs hold.
pub(super) fn encode_in_memory(archive: &Archive, title: &str, chunk_points: u64) -> EncodedBundle {
    match encode_with(archive, archive.runs.as_slice(), title, chunk_points) {
        Ok(bundle) => bundle,
        Err(never) => match never {},
    }
}

/// The chunk and level files made so far: their references, the files gone to the sink.
struct Chunks<'k, K> {
    sink: &'k mut K,
    /// Every run's clock, which a chunk's times may read.
    clocks: &'k RunClocks,
    chunks: Vec<ChunkRef>,
    levels: Vec<LevelRef>,
}

impl<K: ChunkSink> Chunks<'_, K> {
    /// Closes the pending series of metric `metric_index` as one chunk (and its overview
    /// level, when its series are long enough to have one).
    fn flush(
        &mut self,
        metric_index: usize,
        column: &mut MetricColumn,
        pending: &mut Vec<(u32, Cow<'_, MetricSeries>)>,
        pending_points: &mut u64,
    ) -> Result<(), K::Error> {
        if pending.is_empty() {
            return Ok(());
        }
        let series: Vec<(u32, &MetricSeries)> =
            pending.iter().map(|(run, s)| (*run, s.as_ref())).collect();
        let (bytes, clocks) = chunk::encode(&column.key, &series, self.clocks);
        let id = self.chunks.len() as u32;
        let mut level = None;
        if let Some(overview) = level::chunk_level(&series, level::LEVEL_BUCKETS) {
            let refs: Vec<(u32, &MetricSeries)> =
                overview.iter().map(|(run, s)| (*run, s)).collect();
            let level_bytes = chunk::encode_level(&column.key, &refs);
            level = Some((
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
        self.chunks.push(ChunkRef {
            id,
            metric: metric_index as u32,
            runs: series.iter().map(|&(run, _)| run).collect(),
            points: *pending_points,
            bytes: bytes.len() as u64,
            clocks,
        });
        pending.clear();
        *pending_points = 0;
        self.sink.chunk(id, bytes)?;
        if let Some((level_ref, level_bytes)) = level {
            self.sink.level(level_ref.id, level_bytes)?;
            self.levels.push(level_ref);
        }
        Ok(())
    }
}
