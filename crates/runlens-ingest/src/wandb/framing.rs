//! The `.wandb` file framing: a 7-byte W&B header (`:W&B`, u16 LE magic `0xBEE1`, version
//! 0), then the LevelDB log format in 32 KiB blocks counted from file offset 0. Each chunk is
//! `u32 LE crc | u16 LE length | u8 type | data`, the CRC being plain CRC-32 (IEEE, not
//! masked) over the type byte followed by the data; FULL chunks are whole records,
//! FIRST + MIDDLE* + LAST chunks are concatenated into one. Fewer than 7 bytes at the end of
//! a block are padding.
//!
//! Every chunk's checksum is verified. A damaged chunk drops the rest of its block (chunk
//! boundaries inside it can no longer be trusted) and reading resumes at the next block,
//! as LevelDB itself does. The file is streamed one block at a time; a record being
//! reassembled only grows by bytes actually read, so no length field can make the reader
//! allocate more than the file holds.

use std::io::{self, Read};

/// Size of a LevelDB log block.
pub const BLOCK: usize = 32 * 1024;
/// Bytes of a chunk header.
const CHUNK_HEADER: usize = 7;
/// The W&B file header: `:W&B`, magic `0xBEE1` little-endian, version 0.
pub const FILE_HEADER: [u8; 7] = *b":W&B\xE1\xBE\x00";

/// Chunk types of the LevelDB log format.
const FULL: u8 = 1;
const FIRST: u8 = 2;
const MIDDLE: u8 = 3;
const LAST: u8 = 4;

/// The checksum W&B writes for a chunk: `zlib.crc32(data, zlib.crc32(bytes([type])))`.
pub fn chunk_crc(kind: u8, data: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&[kind]);
    hasher.update(data);
    hasher.finalize()
}

/// Why a region of the file was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Damage {
    /// A chunk's checksum does not match its type and data.
    Checksum,
    /// A chunk's length runs past the end of its block.
    LengthPastBlock,
    /// A chunk type other than FULL, FIRST, MIDDLE, LAST.
    UnknownType(u8),
    /// A MIDDLE or LAST chunk with no FIRST before it.
    OrphanChunk,
    /// A FULL or FIRST chunk while a record was still being reassembled: the unfinished
    /// record is dropped.
    UnfinishedRecord,
}

impl Damage {
    /// What the damage is, for a warning.
    pub fn describe(self) -> String {
        match self {
            Damage::Checksum => "the chunk checksum does not match".to_string(),
            Damage::LengthPastBlock => {
                "the chunk length runs past the end of its 32 KiB block".to_string()
            }
            Damage::UnknownType(t) => format!("unknown chunk type {t}"),
            Damage::OrphanChunk => {
                "a continuation chunk without the start of its record".to_string()
            }
            Damage::UnfinishedRecord => {
                "a record started before this offset never ends; it is dropped".to_string()
            }
        }
    }
}

/// One step through a file.
#[derive(Debug, PartialEq, Eq)]
pub enum Item<'a> {
    /// A record whose every chunk verified.
    Record {
        /// Byte offset of the record's first chunk.
        offset: u64,
        /// The reassembled record.
        data: &'a [u8],
    },
    /// A damaged region that was skipped.
    Skipped {
        /// Byte offset of the damaged chunk.
        offset: u64,
        /// What was wrong there.
        damage: Damage,
        /// Where reading resumes (the next block), `None` at the end of the file.
        resumed_at: Option<u64>,
    },
    /// The file ends inside a chunk or a record (a run still writing, or a crash).
    Truncated {
        /// Byte offset of the incomplete record.
        offset: u64,
    },
    /// The end of the file after a complete record.
    End,
}

/// Whether `head` starts with the W&B file header.
pub fn has_file_header(head: &[u8]) -> bool {
    head.starts_with(&FILE_HEADER)
}

/// The records of one `.wandb` file, in order. Call [`Records::new`] after checking the
/// header with [`has_file_header`]; reading starts after it.
pub struct Records<R> {
    inner: R,
    block: Vec<u8>,
    /// Valid bytes in `block` (less than [`BLOCK`] only for the last block).
    block_len: usize,
    /// File offset of `block[0]`.
    block_offset: u64,
    /// Next unread byte in `block`.
    pos: usize,
    /// The record being reassembled from FIRST/MIDDLE chunks, and its offset.
    pending: Vec<u8>,
    pending_offset: Option<u64>,
    /// The record returned last when it was reassembled (kept to lend it out).
    assembled: Vec<u8>,
    /// After damage: continuation chunks are skipped without a new warning until a record
    /// starts.
    resyncing: bool,
    done: bool,
}

impl<R: Read> Records<R> {
    /// Reads from `inner`, positioned at the start of the file.
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            block: vec![0; BLOCK],
            block_len: 0,
            block_offset: 0,
            pos: 0,
            pending: Vec::new(),
            pending_offset: None,
            assembled: Vec::new(),
            resyncing: false,
            done: false,
        }
    }

    /// Reads the next block; false at the end of the file.
    fn next_block(&mut self) -> io::Result<bool> {
        self.block_offset += self.block_len as u64;
        let len = read_up_to(&mut self.inner, &mut self.block)?;
        self.block_len = len;
        self.pos = 0;
        if self.block_offset == 0 && len >= FILE_HEADER.len() {
            // The file header sits inside block 0.
            self.pos = FILE_HEADER.len();
        }
        Ok(len > 0)
    }

    /// Drops the rest of the current block after damage at `offset`.
    fn skip_block(&mut self, offset: u64, damage: Damage) -> Item<'static> {
        self.pos = self.block_len;
        self.pending.clear();
        self.pending_offset = None;
        self.resyncing = true;
        let end = self.block_offset + self.block_len as u64;
        let resumed_at = (self.block_len == BLOCK).then_some(end);
        Item::Skipped {
            offset,
            damage,
            resumed_at,
        }
    }

    /// The next record, skipped region, truncation or end.
    pub fn next_item(&mut self) -> io::Result<Item<'_>> {
        loop {
            if self.done {
                return Ok(Item::End);
            }
            let left = self.block_len - self.pos;
            if left < CHUNK_HEADER {
                let complete_block = self.block_len == BLOCK;
                if !complete_block && (left > 0 || self.pending_offset.is_some()) {
                    // The last block ends inside a chunk header or a record.
                    self.done = true;
                    let offset = self
                        .pending_offset
                        .unwrap_or(self.block_offset + self.pos as u64);
                    return Ok(Item::Truncated { offset });
                }
                if !self.next_block()? {
                    self.done = true;
                    return Ok(match self.pending_offset {
                        Some(offset) => Item::Truncated { offset },
                        None => Item::End,
                    });
                }
                continue;
            }
            let offset = self.block_offset + self.pos as u64;
            let header = &self.block[self.pos..self.pos + CHUNK_HEADER];
            let crc = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
            let length = usize::from(u16::from_le_bytes([header[4], header[5]]));
            let kind = header[6];
            let data_start = self.pos + CHUNK_HEADER;
            if data_start + length > self.block_len {
                if self.block_len < BLOCK {
                    // The file ends inside this chunk.
                    self.done = true;
                    let offset = self.pending_offset.unwrap_or(offset);
                    return Ok(Item::Truncated { offset });
                }
                return Ok(self.skip_block(offset, Damage::LengthPastBlock));
            }
            let data_end = data_start + length;
            if chunk_crc(kind, &self.block[data_start..data_end]) != crc {
                return Ok(self.skip_block(offset, Damage::Checksum));
            }
            self.pos = data_end;
            match kind {
                FULL | FIRST => {
                    self.resyncing = false;
                    let unfinished = self.pending_offset.take();
                    self.pending.clear();
                    if kind == FIRST {
                        self.pending
                            .extend_from_slice(&self.block[data_start..data_end]);
                        self.pending_offset = Some(offset);
                    }
                    if let Some(start) = unfinished {
                        if kind == FULL {
                            // Report the lost record now; this one is returned next.
                            self.pos = offset as usize - self.block_offset as usize;
                        }
                        return Ok(Item::Skipped {
                            offset: start,
                            damage: Damage::UnfinishedRecord,
                            resumed_at: Some(offset),
                        });
                    }
                    if kind == FULL {
                        return Ok(Item::Record {
                            offset,
                            data: &self.block[data_start..data_end],
                        });
                    }
                }
                MIDDLE | LAST => {
                    let Some(start) = self.pending_offset else {
                        if self.resyncing {
                            continue;
                        }
                        self.resyncing = true;
                        return Ok(Item::Skipped {
                            offset,
                            damage: Damage::OrphanChunk,
                            resumed_at: Some(self.block_offset + self.pos as u64),
                        });
                    };
                    self.pending
                        .extend_from_slice(&self.block[data_start..data_end]);
                    if kind == LAST {
                        self.pending_offset = None;
                        std::mem::swap(&mut self.assembled, &mut self.pending);
                        self.pending.clear();
                        return Ok(Item::Record {
                            offset: start,
                            data: &self.assembled,
                        });
                    }
                }
                other => return Ok(self.skip_block(offset, Damage::UnknownType(other))),
            }
        }
    }
}

/// Reads until `buf` is full or the input ends; the number of bytes read.
pub(super) fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match reader.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

#[cfg(test)]
/// Frames records as W&B's writer does (header, blocks, chunk splitting).
pub fn frame(records: &[&[u8]]) -> Vec<u8> {
    let mut out = FILE_HEADER.to_vec();
    for record in records {
        let mut rest: &[u8] = record;
        let mut first = true;
        loop {
            let left = BLOCK - out.len() % BLOCK;
            if left < CHUNK_HEADER {
                out.extend(std::iter::repeat_n(0, left));
                continue;
            }
            let take = rest.len().min(left - CHUNK_HEADER);
            let last = take == rest.len();
            let kind = match (first, last) {
                (true, true) => FULL,
                (true, false) => FIRST,
                (false, false) => MIDDLE,
                (false, true) => LAST,
            };
            let data = &rest[..take];
            out.extend_from_slice(&chunk_crc(kind, data).to_le_bytes());
            out.extend_from_slice(&(take as u16).to_le_bytes());
            out.push(kind);
            out.extend_from_slice(data);
            rest = &rest[take..];
            first = false;
            if last {
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(bytes: &[u8]) -> Vec<String> {
        let mut records = Records::new(bytes);
        let mut out = Vec::new();
        loop {
            match records.next_item().unwrap() {
                Item::Record { offset, data } => out.push(format!("{offset}:{}", data.len())),
                Item::End => return out,
                other => out.push(format!("{other:?}")),
            }
        }
    }

    #[test]
    fn crc_is_zlib_crc32_of_type_then_data() {
        // zlib.crc32(b"\x01abc") == 0x539D20A9 (python3 -c "import zlib;print(hex(zlib.crc32(b'\x01abc')))").
        assert_eq!(chunk_crc(1, b"abc"), 0x539D_20A9);
    }

    #[test]
    fn records_spanning_blocks_are_reassembled() {
        let big = vec![7u8; 80_000];
        let small = vec![1u8; 10];
        let bytes = frame(&[&small, &big, &small]);
        let got = items(&bytes);
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[0], "7:10");
        assert_eq!(got[1], "24:80000");
    }

    #[test]
    fn a_bad_checksum_skips_to_the_next_block() {
        let records: Vec<Vec<u8>> = (0..200).map(|i| vec![i as u8; 400]).collect();
        let refs: Vec<&[u8]> = records.iter().map(Vec::as_slice).collect();
        let mut bytes = frame(&refs);
        bytes[7 + 7 + 3] ^= 0xFF;
        let got = items(&bytes);
        assert!(
            got[0].starts_with("Skipped { offset: 7, damage: Checksum, resumed_at: Some(32768)"),
            "{got:?}"
        );
        // Block 0 holds 80 whole records (407 bytes each); the one that straddles the
        // boundary loses its start; every record after it is read.
        let read = got.iter().filter(|g| !g.starts_with("Skipped")).count();
        assert_eq!(read, 200 - 81, "{got:?}");
    }

    #[test]
    fn a_cut_file_is_a_truncation_after_the_complete_records() {
        let bytes = frame(&[b"one", b"twotwo"]);
        let cut = &bytes[..bytes.len() - 2];
        assert_eq!(
            items(cut),
            ["7:3".to_string(), "Truncated { offset: 17 }".to_string()]
        );
        // A length field far past the data never allocates: it is a truncation.
        let mut bytes = FILE_HEADER.to_vec();
        bytes.extend_from_slice(&[0, 0, 0, 0, 0xFF, 0xFF, FULL, 1, 2]);
        assert_eq!(items(&bytes), ["Truncated { offset: 7 }"]);
    }
}
