//! The column codecs of chunk format v2: integer residuals split into byte planes
//! (`ints`), float columns as decimal, f32 or f64 integers with exceptions (`floats`) and
//! the compressed stream framing (`streams`). Spec: `docs/bundle-format.md` §4.

pub(crate) mod floats;
pub(crate) mod ints;
pub(crate) mod streams;

use super::BundleError;

/// Appends `value` as an unsigned LEB128 varint.
pub(crate) fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Bytes the varint of `value` takes.
pub(crate) fn varint_len(value: u64) -> usize {
    (64 - (value | 1).leading_zeros() as usize).div_ceil(7)
}

/// A cursor over a byte slice whose reads fail with [`BundleError::Corrupt`] at the end.
#[derive(Clone)]
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// Reads `bytes`; `what` names them in errors.
    pub(crate) fn new(bytes: &'a [u8], what: &'static str) -> Self {
        Reader {
            bytes,
            pos: 0,
            what,
        }
    }

    fn short(&self) -> BundleError {
        BundleError::Corrupt(format!("{} ends early", self.what))
    }

    /// One byte.
    pub(crate) fn u8(&mut self) -> Result<u8, BundleError> {
        let byte = *self.bytes.get(self.pos).ok_or_else(|| self.short())?;
        self.pos += 1;
        Ok(byte)
    }

    /// An unsigned LEB128 varint of at most 10 bytes that fits in 64 bits.
    pub(crate) fn varint(&mut self) -> Result<u64, BundleError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.u8()?;
            let bits = u64::from(byte & 0x7f);
            if shift == 63 && bits > 1 {
                break;
            }
            value |= bits << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(BundleError::Corrupt(format!(
            "{}: varint overflows 64 bits",
            self.what
        )))
    }

    /// A varint that must be at most `max`.
    pub(crate) fn varint_at_most(&mut self, max: u64, field: &str) -> Result<u64, BundleError> {
        let value = self.varint()?;
        if value > max {
            return Err(BundleError::Corrupt(format!(
                "{}: {field} {value} exceeds {max}",
                self.what
            )));
        }
        Ok(value)
    }

    /// The next `len` bytes.
    pub(crate) fn bytes(&mut self, len: usize) -> Result<&'a [u8], BundleError> {
        let end = self
            .pos
            .checked_add(len)
            .filter(|&end| end <= self.bytes.len())
            .ok_or_else(|| self.short())?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    /// Bytes not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// True when every byte was read.
    pub(crate) fn is_empty(&self) -> bool {
        self.pos == self.bytes.len()
    }

    /// Fails unless every byte was read.
    pub(crate) fn finish(&self) -> Result<(), BundleError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(BundleError::Corrupt(format!(
                "{}: {} bytes left over",
                self.what,
                self.bytes.len() - self.pos
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_and_reject_overflow() {
        for value in [
            0,
            1,
            127,
            128,
            300,
            u64::from(u32::MAX),
            u64::MAX - 1,
            u64::MAX,
        ] {
            let mut out = Vec::new();
            put_varint(&mut out, value);
            assert_eq!(out.len(), varint_len(value));
            let mut reader = Reader::new(&out, "test");
            assert_eq!(reader.varint().unwrap(), value);
            assert!(reader.is_empty());
        }
        let too_big = [0xff; 9].iter().copied().chain([0x02]).collect::<Vec<_>>();
        assert!(Reader::new(&too_big, "test").varint().is_err());
        assert!(Reader::new(&[0x80], "test").varint().is_err());
    }
}
