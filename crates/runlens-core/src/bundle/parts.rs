//! Where the bytes of a file in the chunk layout go (chunks, levels and clock files share
//! it, `docs/bundle-format.md` §4.1): the stored size of each stream, for size studies.

use super::BundleError;
use super::chunk::BLOCKS;
use super::codec::{Reader, streams};
use super::container::{self, FileKind, MAX_PAYLOAD_BYTES};

/// Stored bytes of each part of a file in the chunk layout (§4.1), for size studies: the
/// series table, the exception streams, each block's planes, and the stream headers and
/// metric key around them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChunkParts {
    /// Series in the table.
    pub series: u64,
    /// The series table as stored, and its length before DEFLATE.
    pub table: u64,
    /// The series table's raw length.
    pub table_raw: u64,
    /// Exception positions and values as stored.
    pub exceptions: u64,
    /// Each block's planes as stored: steps; times decimal, f32, f64; values likewise.
    pub blocks: [u64; BLOCKS],
    /// Envelope, metric key and the streams' codec and length fields.
    pub framing: u64,
}

/// Where the bytes of a file in the chunk layout go (see [`ChunkParts`]); the planes are not
/// inflated, only the series table (for the block widths).
pub fn parts(kind: FileKind, bytes: &[u8]) -> Result<ChunkParts, BundleError> {
    let payload = container::open(kind, bytes)?;
    let mut reader = Reader::new(&payload, "chunk payload");
    let mut parts = ChunkParts::default();
    let key_len = reader.varint_at_most(payload.len() as u64, "metric key length")?;
    reader.bytes(key_len as usize)?;
    let stored = |reader: &mut Reader<'_>| -> Result<u64, BundleError> {
        let before = reader.remaining();
        let _ = streams::read(reader, MAX_PAYLOAD_BYTES)?;
        Ok((before - reader.remaining()) as u64)
    };
    let table = streams::read(&mut reader.clone(), MAX_PAYLOAD_BYTES)?;
    parts.table = stored(&mut reader)?;
    parts.table_raw = table.len() as u64;
    parts.exceptions = stored(&mut reader)? + stored(&mut reader)?;
    let mut table_reader = Reader::new(&table, "chunk series table");
    parts.series = table_reader.varint()?;
    for block in &mut parts.blocks {
        for _ in 0..table_reader.u8()? {
            *block += stored(&mut reader)?;
        }
    }
    reader.finish()?;
    let counted: u64 = parts.table + parts.exceptions + parts.blocks.iter().sum::<u64>();
    parts.framing = bytes.len() as u64 - counted;
    Ok(parts)
}
