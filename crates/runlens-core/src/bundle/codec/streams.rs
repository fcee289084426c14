//! Streams inside a chunk payload: a codec byte, the raw length, the stored length and the
//! stored bytes. Each stream is raw-DEFLATEd on its own (so each byte plane gets its own
//! Huffman tables) or stored when DEFLATE does not make it smaller.

use super::{Reader, put_varint};
use crate::bundle::BundleError;

/// Codec byte: the bytes are stored as they are.
pub(crate) const STORED: u8 = 0;
/// Codec byte: the bytes are raw DEFLATE (RFC 1951).
pub(crate) const DEFLATE: u8 = 1;

/// DEFLATE level used by the encoder (miniz_oxide's scale, 0–10).
const LEVEL: u8 = 9;

/// Appends `raw` as one stream.
pub(crate) fn put(out: &mut Vec<u8>, raw: &[u8]) {
    let deflated = if raw.is_empty() {
        None
    } else {
        Some(miniz_oxide::deflate::compress_to_vec(raw, LEVEL)).filter(|d| d.len() < raw.len())
    };
    let (codec, stored) = match &deflated {
        Some(d) => (DEFLATE, d.as_slice()),
        None => (STORED, raw),
    };
    out.push(codec);
    put_varint(out, raw.len() as u64);
    put_varint(out, stored.len() as u64);
    out.extend_from_slice(stored);
}

/// Reads one stream and returns its raw bytes, which may be at most `max_len` long.
pub(crate) fn read(reader: &mut Reader<'_>, max_len: u64) -> Result<Vec<u8>, BundleError> {
    let codec = reader.u8()?;
    let raw_len = reader.varint_at_most(max_len, "stream length")? as usize;
    let stored_len = reader.varint_at_most(max_len, "stored stream length")? as usize;
    let stored = reader.bytes(stored_len)?;
    let raw = match codec {
        STORED if stored_len == raw_len => stored.to_vec(),
        STORED => {
            return Err(BundleError::Corrupt(format!(
                "stored stream of {stored_len} bytes claims {raw_len}"
            )));
        }
        DEFLATE => miniz_oxide::inflate::decompress_to_vec_with_limit(stored, raw_len)
            .map_err(|e| BundleError::Corrupt(format!("deflate stream: {e:?}")))?,
        other => {
            return Err(BundleError::Corrupt(format!(
                "unknown stream codec {other}"
            )));
        }
    };
    if raw.len() != raw_len {
        return Err(BundleError::Corrupt(format!(
            "stream inflates to {} bytes, its header says {raw_len}",
            raw.len()
        )));
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_round_trip_stored_or_deflated() {
        let noise: Vec<u8> = (0u32..300)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for raw in [&[][..], &[0u8; 1000][..], &noise[..]] {
            let mut out = Vec::new();
            put(&mut out, raw);
            let mut reader = Reader::new(&out, "test");
            assert_eq!(read(&mut reader, 1 << 20).unwrap(), raw);
            assert!(reader.is_empty());
            assert!(
                read(&mut Reader::new(&out, "test"), raw.len() as u64 / 2).is_err()
                    || raw.is_empty()
            );
        }
    }
}
