//! TFRecord framing: `u64 length | u32 masked CRC32C of the 8 length bytes | data |
//! u32 masked CRC32C of the data`, little-endian. Both checksums are verified; a damaged
//! region is skipped by scanning for the next offset where a whole record verifies.
//!
//! Files are streamed through one reusable buffer (bounded memory, no copy per record),
//! kept by the thread for its next file: a logdir of 20,000 short runs spent a twentieth of
//! its CPU time in the page faults of a fresh buffer per file.
//! Memory-mapping was ruled out: it needs `unsafe` (forbidden in this workspace) and a file
//! truncated by its writer while mapped kills the process with SIGBUS.

use std::cell::Cell;
use std::io::{self, Read};

/// Bytes before a record's data: the length and its checksum.
const HEADER: usize = 12;
/// Bytes after a record's data: its checksum.
const FOOTER: usize = 4;
/// Initial size of the read buffer; it grows only for a record larger than this.
const BUFFER: usize = 256 * 1024;

/// The masked CRC32C TFRecord uses (`tensorflow/core/lib/hash/crc32c.h`).
pub fn masked_crc(bytes: &[u8]) -> u32 {
    let crc = crc32c::crc32c(bytes);
    crc.rotate_right(15).wrapping_add(0xA282_EAD8)
}

/// Why a region of a file was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Damage {
    /// The checksum of a record's length field does not match.
    LengthChecksum,
    /// The length field verifies but the record would end past the end of the file.
    LengthPastEnd,
    /// The checksum of a record's data does not match.
    DataChecksum,
}

impl Damage {
    /// What the damage is, for a warning.
    pub fn describe(self) -> &'static str {
        match self {
            Damage::LengthChecksum => "the checksum of the record length does not match",
            Damage::LengthPastEnd => "the record length points past the end of the file",
            Damage::DataChecksum => "the checksum of the record data does not match",
        }
    }
}

/// One step through a file.
#[derive(Debug, PartialEq, Eq)]
pub enum Item<'a> {
    /// A record whose two checksums verify.
    Record {
        /// Byte offset of the record (its length field) in the file.
        offset: u64,
        /// The record's data.
        data: &'a [u8],
    },
    /// A damaged region that was skipped.
    Skipped {
        /// Byte offset where the damage was found.
        offset: u64,
        /// What was wrong there.
        damage: Damage,
        /// Where reading resumed (a verified record), or `None` when nothing after the
        /// damage verifies and the rest of the file is skipped.
        resumed_at: Option<u64>,
    },
    /// The file ends inside a record (a file still being written): nothing follows.
    Truncated {
        /// Byte offset of the incomplete record.
        offset: u64,
        /// How many bytes of it are present.
        present: u64,
    },
    /// The end of the file, after a complete record.
    End,
}

thread_local! {
    /// The read buffer of this thread's last file (of at most [`BUFFER`] bytes), for its
    /// next one.
    static SPARE: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// Reads the records of one file, in order.
pub struct Records<R> {
    inner: R,
    buf: Vec<u8>,
    /// First unconsumed byte in `buf`.
    start: usize,
    /// End of the bytes read into `buf`.
    end: usize,
    /// File offset of `buf[start]`.
    offset: u64,
    /// File size when reading began: no length field may make us read or allocate past it.
    size: u64,
    /// The last header (length and its checksum) whose checksum verified: an equal header
    /// (the usual case: an event file's records have a few lengths) verifies without
    /// computing the checksum again.
    verified_header: Option<[u8; HEADER]>,
}

impl<R: Read> Records<R> {
    /// Reads from `inner`, a file of `size` bytes.
    pub fn new(inner: R, size: u64) -> Self {
        let capacity = usize::try_from(size).map_or(BUFFER, |s| s.clamp(HEADER, BUFFER));
        let mut buf = SPARE.with(Cell::take);
        buf.clear();
        buf.resize(capacity, 0);
        Self {
            inner,
            buf,
            start: 0,
            end: 0,
            offset: 0,
            size,
            verified_header: None,
        }
    }

    /// Bytes of the file not yet consumed.
    fn remaining(&self) -> u64 {
        self.size.saturating_sub(self.offset)
    }

    /// Makes at least `n` bytes available from `start`; false when the input ends first.
    /// Callers keep `n` within [`Records::remaining`], which bounds the buffer's growth.
    fn fill(&mut self, n: usize) -> io::Result<bool> {
        if self.end - self.start >= n {
            return Ok(true);
        }
        if self.buf.len() - self.start < n {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            if self.buf.len() < n {
                self.buf.resize(n, 0);
            }
        }
        while self.end - self.start < n {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => return Ok(false),
                Ok(read) => self.end += read,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
        self.offset += n as u64;
    }

    /// The length of the record at `start` if its header verifies and it fits in the
    /// file, else why not. Needs [`HEADER`] bytes available.
    fn check_header(&mut self) -> Result<usize, Damage> {
        let header: [u8; HEADER] = self.buf[self.start..self.start + HEADER]
            .try_into()
            .expect("HEADER bytes");
        let (length_bytes, crc_bytes) = header.split_at(8);
        if self.verified_header != Some(header) {
            let crc = u32::from_le_bytes([crc_bytes[0], crc_bytes[1], crc_bytes[2], crc_bytes[3]]);
            if masked_crc(length_bytes) != crc {
                return Err(Damage::LengthChecksum);
            }
            self.verified_header = Some(header);
        }
        let mut length = [0u8; 8];
        length.copy_from_slice(length_bytes);
        let length = u64::from_le_bytes(length);
        let room = self.remaining() - (HEADER + FOOTER) as u64;
        if length > room {
            return Err(Damage::LengthPastEnd);
        }
        usize::try_from(length).map_err(|_| Damage::LengthPastEnd)
    }

    /// Whether the data checksum of the record at `start`, of `length` bytes, verifies.
    /// Needs the whole record available.
    fn data_verifies(&self, length: usize) -> bool {
        let data_start = self.start + HEADER;
        let data = &self.buf[data_start..data_start + length];
        let footer = &self.buf[data_start + length..data_start + length + FOOTER];
        let crc = u32::from_le_bytes([footer[0], footer[1], footer[2], footer[3]]);
        masked_crc(data) == crc
    }

    /// The next record, skipped region, truncation or end.
    pub fn next_item(&mut self) -> io::Result<Item<'_>> {
        let offset = self.offset;
        let remaining = self.remaining();
        if remaining == 0 {
            return Ok(Item::End);
        }
        if remaining < (HEADER + FOOTER) as u64 || !self.fill(HEADER)? {
            return Ok(self.truncated_here());
        }
        let damage = match self.check_header() {
            Ok(length) => {
                if !self.fill(HEADER + length + FOOTER)? {
                    // The file shrank while being read.
                    return Ok(self.truncated_here());
                }
                if self.data_verifies(length) {
                    let data_start = self.start + HEADER;
                    self.consume(HEADER + length + FOOTER);
                    return Ok(Item::Record {
                        offset,
                        data: &self.buf[data_start..data_start + length],
                    });
                }
                Damage::DataChecksum
            }
            Err(damage) => damage,
        };
        let resumed_at = self.resync()?;
        if damage == Damage::LengthPastEnd && resumed_at.is_none() {
            // Nothing valid follows: the usual end of a file still being written.
            return Ok(Item::Truncated {
                offset,
                present: remaining,
            });
        }
        Ok(Item::Skipped {
            offset,
            damage,
            resumed_at,
        })
    }

    /// Consumes the rest of the file and reports it as an incomplete record.
    fn truncated_here(&mut self) -> Item<'static> {
        let offset = self.offset;
        let present = self.remaining();
        self.offset = self.size;
        self.start = self.end;
        Item::Truncated { offset, present }
    }

    /// Moves past the damaged record at the current offset to the next offset where a
    /// whole record verifies; `None` (and the rest of the file consumed) when there is none.
    fn resync(&mut self) -> io::Result<Option<u64>> {
        loop {
            self.consume(1);
            if self.remaining() < (HEADER + FOOTER) as u64 || !self.fill(HEADER)? {
                self.offset = self.size;
                self.start = self.end;
                return Ok(None);
            }
            if let Ok(length) = self.check_header()
                && self.fill(HEADER + length + FOOTER)?
                && self.data_verifies(length)
            {
                return Ok(Some(self.offset));
            }
        }
    }
}

impl<R> Drop for Records<R> {
    fn drop(&mut self) {
        let buf = std::mem::take(&mut self.buf);
        // A buffer grown for a large record is let go.
        if buf.capacity() <= BUFFER {
            SPARE.with(|spare| spare.set(buf));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Frames `data` as one TFRecord.
    fn frame(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let length = (data.len() as u64).to_le_bytes();
        out.extend_from_slice(&length);
        out.extend_from_slice(&masked_crc(&length).to_le_bytes());
        out.extend_from_slice(data);
        out.extend_from_slice(&masked_crc(data).to_le_bytes());
        out
    }

    /// Every item of `bytes`, records as their data.
    fn items(bytes: &[u8]) -> Vec<String> {
        let mut records = Records::new(bytes, bytes.len() as u64);
        let mut out = Vec::new();
        loop {
            match records.next_item().unwrap() {
                Item::Record { offset, data } => {
                    out.push(format!("{offset}:{}", String::from_utf8_lossy(data)))
                }
                Item::End => return out,
                other => out.push(format!("{other:?}")),
            }
        }
    }

    #[test]
    fn masked_crc_matches_tensorflow() {
        // crc32c("") = 0 masks to the constant; crc32c("123456789") = 0xE3069283.
        assert_eq!(masked_crc(b""), 0xA282_EAD8);
        assert_eq!(
            masked_crc(b"123456789"),
            0xE306_9283u32.rotate_right(15).wrapping_add(0xA282_EAD8)
        );
    }

    #[test]
    fn reads_records_and_resumes_after_damage() {
        let mut bytes = frame(b"one");
        let second = bytes.len();
        bytes.extend(frame(b"two"));
        let third = bytes.len();
        bytes.extend(frame(b"three"));
        bytes[second + HEADER] ^= 0x20;
        let got = items(&bytes);
        assert_eq!(
            got,
            [
                "0:one".to_string(),
                format!(
                    "Skipped {{ offset: {second}, damage: DataChecksum, resumed_at: Some({third}) }}"
                ),
                format!("{third}:three"),
            ]
        );
    }

    #[test]
    fn a_cut_record_is_a_truncation_and_a_huge_length_never_allocates() {
        let mut bytes = frame(b"one");
        let cut = bytes.len();
        bytes.extend(&frame(b"two")[..9]);
        assert_eq!(
            items(&bytes),
            [
                "0:one".to_string(),
                format!("Truncated {{ offset: {cut}, present: 9 }}")
            ]
        );
        // A verified length of 2^60: past the end, nothing after it.
        let length = (1u64 << 60).to_le_bytes();
        let mut bytes = length.to_vec();
        bytes.extend_from_slice(&masked_crc(&length).to_le_bytes());
        bytes.extend_from_slice(&[0; 64]);
        assert_eq!(items(&bytes), ["Truncated { offset: 0, present: 76 }"]);
    }
}
