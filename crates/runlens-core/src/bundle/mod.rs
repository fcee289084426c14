//! Data bundle v6: the compact, versioned, columnar form of an [`Archive`] that the page
//! loads. An index file (run table + chunk directory) is decoded at start-up; metric series
//! live in chunk files decoded on demand, and long series also in overview levels
//! (`level`) that a zoomed-out chart decodes instead. Each run's wall times are stored once,
//! in a clock file (`clock`) that a chunk's times may read. Spec: `docs/bundle-format.md`.

mod chunk;
pub mod clock;
mod codec;
mod container;
pub mod details;
mod encode;
pub mod level;
mod parts;
mod table;

use std::collections::BTreeMap;

use thiserror::Error;

pub use clock::{Clock, ClockRef};
pub use container::{FORMAT_VERSION, FileKind, HEADER_LEN, MAGIC};
pub use encode::{ChunkSink, EncodeError, HeldChunks, SeriesSource, encode_into, encode_with};
pub use level::LevelRef;
pub use parts::{ChunkParts, parts as chunk_parts};
pub use table::{ChunkRef, DictColumn, MetricColumn, ParamCell, ParamColumn, RunTable, TagColumn};

use crate::model::{Archive, MetricSeries};

/// Target number of points per chunk: big enough to compress well, small enough that a
/// chart of a few runs does not load the whole archive.
pub const DEFAULT_CHUNK_POINTS: u64 = 1 << 20;

/// Why a bundle file could not be decoded.
#[derive(Debug, Error)]
pub enum BundleError {
    /// The bytes do not start with the bundle magic.
    #[error("not a runlens bundle (bad magic bytes)")]
    NotABundle,
    /// Written by a newer (or unknown) format version.
    #[error(
        "bundle format version {0} is not supported (this build reads version {FORMAT_VERSION}); rebuild the report with this runlens"
    )]
    UnsupportedVersion(u16),
    /// An index where a chunk was expected, or the reverse.
    #[error("bundle file kind {found} where kind {expected} was expected")]
    WrongKind {
        /// Kind asked for.
        expected: u8,
        /// Kind found.
        found: u8,
    },
    /// The file ends early.
    #[error("bundle file is truncated: {got} bytes, {needed} needed")]
    Truncated {
        /// Bytes the header announces.
        needed: u64,
        /// Bytes present.
        got: u64,
    },
    /// The checksum does not match the payload.
    #[error("bundle file checksum mismatch: the file is damaged")]
    Checksum,
    /// The payload is inconsistent.
    #[error("bundle file is corrupt: {0}")]
    Corrupt(String),
}

impl From<postcard::Error> for BundleError {
    fn from(e: postcard::Error) -> Self {
        BundleError::Corrupt(format!("payload does not decode: {e}"))
    }
}

/// An encoded bundle: the index file and the chunk files, in chunk-id order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedBundle {
    /// The `index.rlb` file.
    pub index: Vec<u8>,
    /// The chunk files; `chunks[i]` is chunk id `i`.
    pub chunks: Vec<Vec<u8>>,
    /// The overview-level files; `levels[i]` is level id `i`.
    pub levels: Vec<Vec<u8>>,
    /// The clock files; `clocks[i]` is clock id `i`.
    pub clocks: Vec<Vec<u8>>,
    /// The detail files; `details[i]` is detail id `i`.
    pub details: Vec<Vec<u8>>,
    /// The embedded artifact files; `files[i]` is file id `i`.
    pub files: Vec<Vec<u8>>,
}

impl EncodedBundle {
    /// Total size in bytes.
    pub fn byte_len(&self) -> u64 {
        let sum = |files: &[Vec<u8>]| files.iter().map(Vec::len).sum::<usize>();
        (self.index.len()
            + sum(&self.chunks)
            + sum(&self.levels)
            + sum(&self.clocks)
            + sum(&self.details)
            + sum(&self.files)) as u64
    }

    /// Bytes of the overview levels alone (included in [`EncodedBundle::byte_len`]).
    pub fn level_bytes(&self) -> u64 {
        self.levels.iter().map(|l| l.len() as u64).sum()
    }

    /// Bytes of the clock files alone (included in [`EncodedBundle::byte_len`]).
    pub fn clock_bytes(&self) -> u64 {
        self.clocks.iter().map(|c| c.len() as u64).sum()
    }
}

/// Encodes `archive` (which should have been [`Archive::finish`]ed for deterministic output).
pub fn encode(archive: &Archive, title: &str, chunk_points: u64) -> EncodedBundle {
    encode::encode_in_memory(archive, title, chunk_points)
}

/// Decodes and validates an index file.
pub fn decode_index(bytes: &[u8]) -> Result<RunTable, BundleError> {
    let payload = container::open(FileKind::Index, bytes)?;
    let table: RunTable = postcard::from_bytes(&payload)?;
    table.validate()?;
    Ok(table)
}

/// Decodes chunk `chunk` of `table`: the series it holds, keyed by run row. `clocks` are
/// the decoded clock files the chunk reads, those of [`ChunkRef::clocks`] in that order
/// ([`decode_clock`]).
pub fn decode_chunk(
    table: &RunTable,
    chunk: &ChunkRef,
    bytes: &[u8],
    clocks: &[&[(u32, Clock)]],
) -> Result<Vec<(u32, MetricSeries)>, BundleError> {
    if clocks.len() != chunk.clocks.len() {
        return Err(BundleError::Corrupt(format!(
            "chunk {} reads {} clock files, {} were given",
            chunk.id,
            chunk.clocks.len(),
            clocks.len()
        )));
    }
    let key = &table.metrics[chunk.metric as usize].key;
    let series = chunk::decode(bytes, key, chunk.points, clocks)?;
    if !series.iter().map(|(run, _)| run).eq(&chunk.runs) {
        return Err(BundleError::Corrupt(format!(
            "chunk {} holds other runs than the directory says",
            chunk.id
        )));
    }
    Ok(series)
}

/// Decodes level `level` of `table`: the overview series of its chunk's runs, keyed by run
/// row (the same runs as the chunk; each series a subset of that run's points).
pub fn decode_level(
    table: &RunTable,
    level: &LevelRef,
    bytes: &[u8],
) -> Result<Vec<(u32, MetricSeries)>, BundleError> {
    let chunk = &table.chunks[level.chunk as usize];
    let key = &table.metrics[chunk.metric as usize].key;
    let series = chunk::decode_as(FileKind::Level, bytes, key, level.points, &[])?;
    if !series.iter().map(|(run, _)| run).eq(&chunk.runs) {
        return Err(BundleError::Corrupt(format!(
            "level {} holds other runs than its chunk {}",
            level.id, chunk.id
        )));
    }
    Ok(series)
}

/// Decodes clock file `clock` (of the table's [`RunTable::clocks`]): the clocks of its
/// runs, ascending by run row.
pub fn decode_clock(clock: &ClockRef, bytes: &[u8]) -> Result<Vec<(u32, Clock)>, BundleError> {
    clock::decode(clock, bytes)
}

/// The overview level of chunk `chunk`, if it has one.
pub fn level_of_chunk(table: &RunTable, chunk: u32) -> Option<&LevelRef> {
    let at = table.levels.partition_point(|l| l.chunk < chunk);
    table.levels.get(at).filter(|l| l.chunk == chunk)
}

/// Decodes a whole bundle back into an archive (the inverse of [`encode`]).
pub fn decode(bundle: &EncodedBundle) -> Result<Archive, BundleError> {
    let table = decode_index(&bundle.index)?;
    if bundle.details.len() != table.details.len() || bundle.files.len() != table.files.len() {
        return Err(BundleError::Corrupt(format!(
            "{} detail and {} embedded files for {} and {} directory entries",
            bundle.details.len(),
            bundle.files.len(),
            table.details.len(),
            table.files.len()
        )));
    }
    if bundle.chunks.len() != table.chunks.len()
        || bundle.levels.len() != table.levels.len()
        || bundle.clocks.len() != table.clocks.len()
    {
        return Err(BundleError::Corrupt(format!(
            "{} chunk, {} level and {} clock files for {}, {} and {} directory entries",
            bundle.chunks.len(),
            bundle.levels.len(),
            bundle.clocks.len(),
            table.chunks.len(),
            table.levels.len(),
            table.clocks.len()
        )));
    }
    let clocks = table
        .clocks
        .iter()
        .zip(&bundle.clocks)
        .map(|(clock, bytes)| decode_clock(clock, bytes))
        .collect::<Result<Vec<_>, _>>()?;
    let mut runs: Vec<_> = (0..table.len())
        .map(|row| table.run_without_series(row))
        .collect();
    for chunk in &table.chunks {
        let key = &table.metrics[chunk.metric as usize].key;
        let files: Vec<&[(u32, Clock)]> = chunk
            .clocks
            .iter()
            .map(|&id| clocks[id as usize].as_slice())
            .collect();
        let bytes = &bundle.chunks[chunk.id as usize];
        for (row, series) in decode_chunk(&table, chunk, bytes, &files)? {
            runs[row as usize].metrics.insert(key.clone(), series);
        }
    }
    for level_ref in &table.levels {
        // Levels repeat points of the chunks: checked, not used.
        decode_level(&table, level_ref, &bundle.levels[level_ref.id as usize])?;
    }
    for (detail, bytes) in table.details.iter().zip(&bundle.details) {
        for run_detail in details::decode_detail(detail, bytes)? {
            let row = run_detail.run as usize;
            details::apply_detail(&mut runs[row], run_detail, &table.files, &|id| {
                bundle.files.get(id as usize).cloned()
            })?;
        }
    }
    Ok(Archive {
        runs,
        models: details::models_of(&table.models),
        warnings: table.warnings,
    })
}

/// Per-metric point counts of a table, for size reports.
pub fn points_per_metric(table: &RunTable) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for chunk in &table.chunks {
        *out.entry(table.metrics[chunk.metric as usize].key.clone())
            .or_insert(0) += chunk.points;
    }
    out
}
