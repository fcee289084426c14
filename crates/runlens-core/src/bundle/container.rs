//! The byte envelope shared by every bundle file: magic, version, kind, a checksum
//! and a (usually deflated) postcard payload. Spec: `docs/bundle-format.md`.

use super::BundleError;

/// First eight bytes of every bundle file.
pub const MAGIC: [u8; 8] = *b"RUNLENS\0";
/// Version of the bundle format this crate writes and reads.
pub const FORMAT_VERSION: u16 = 6;
/// Size of the fixed header in bytes.
pub const HEADER_LEN: usize = 28;
/// Largest payload a decoder inflates (guards against decompression bombs).
pub const MAX_PAYLOAD_BYTES: u64 = 2 << 30;

const FLAG_DEFLATE: u8 = 1;

/// What a bundle file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum FileKind {
    /// The run table, metric directory and warnings (`index.rlb`).
    Index = 1,
    /// Metric series of one metric for a range of runs (`chunk-N.rlb`).
    Chunk = 2,
    /// Notes, datasets and artifact lists of a set of runs (`details/N.rlb`).
    Detail = 3,
    /// The overview level of a chunk, in the chunk layout (`levels/N.rlb`).
    Level = 4,
    /// The clocks (step, wall time) of a range of runs, in the chunk layout without values
    /// (`clocks/N.rlb`).
    Clock = 5,
}

/// Wraps `payload` in the envelope, deflating it.
pub fn seal(kind: FileKind, payload: &[u8]) -> Vec<u8> {
    let compressed = miniz_oxide::deflate::compress_to_vec(payload, 6);
    frame(kind, FLAG_DEFLATE, payload.len(), &compressed)
}

/// Wraps `payload` in the envelope as it is (for payloads that compress their own parts,
/// such as chunks).
pub fn seal_stored(kind: FileKind, payload: &[u8]) -> Vec<u8> {
    frame(kind, 0, payload.len(), payload)
}

fn frame(kind: FileKind, flags: u8, payload_len: usize, compressed: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + compressed.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.push(kind as u8);
    out.push(flags);
    out.extend_from_slice(&(payload_len as u64).to_le_bytes());
    out.extend_from_slice(&(compressed.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(compressed).to_le_bytes());
    out.extend_from_slice(compressed);
    out
}

/// Checks the envelope of `bytes` and returns its inflated payload.
pub fn open(kind: FileKind, bytes: &[u8]) -> Result<Vec<u8>, BundleError> {
    if bytes.len() < HEADER_LEN {
        return Err(BundleError::Truncated {
            needed: HEADER_LEN as u64,
            got: bytes.len() as u64,
        });
    }
    if bytes[..8] != MAGIC {
        return Err(BundleError::NotABundle);
    }
    let version = u16::from_le_bytes([bytes[8], bytes[9]]);
    if version != FORMAT_VERSION {
        return Err(BundleError::UnsupportedVersion(version));
    }
    if bytes[10] != kind as u8 {
        return Err(BundleError::WrongKind {
            expected: kind as u8,
            found: bytes[10],
        });
    }
    let flags = bytes[11];
    let raw_len = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes"));
    let stored_len = u32::from_le_bytes(bytes[20..24].try_into().expect("4 bytes")) as usize;
    let crc = u32::from_le_bytes(bytes[24..28].try_into().expect("4 bytes"));
    let stored = &bytes[HEADER_LEN..];
    if stored.len() != stored_len {
        return Err(BundleError::Truncated {
            needed: (HEADER_LEN + stored_len) as u64,
            got: bytes.len() as u64,
        });
    }
    if crc32fast::hash(stored) != crc {
        return Err(BundleError::Checksum);
    }
    if raw_len > MAX_PAYLOAD_BYTES {
        return Err(BundleError::Corrupt(format!(
            "declared payload of {raw_len} bytes exceeds the {MAX_PAYLOAD_BYTES}-byte limit"
        )));
    }
    let payload = if flags & FLAG_DEFLATE != 0 {
        miniz_oxide::inflate::decompress_to_vec_with_limit(stored, raw_len as usize)
            .map_err(|e| BundleError::Corrupt(format!("deflate stream: {e:?}")))?
    } else {
        stored.to_vec()
    };
    if payload.len() as u64 != raw_len {
        return Err(BundleError::Corrupt(format!(
            "payload is {} bytes, header says {raw_len}",
            payload.len()
        )));
    }
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_round_trips_and_rejects_damage() {
        let sealed = seal(FileKind::Chunk, b"hello hello hello");
        assert_eq!(
            open(FileKind::Chunk, &sealed).unwrap(),
            b"hello hello hello"
        );
        assert!(matches!(
            open(FileKind::Index, &sealed),
            Err(BundleError::WrongKind { .. })
        ));
        let mut flipped = sealed.clone();
        *flipped.last_mut().unwrap() ^= 0x40;
        assert!(matches!(
            open(FileKind::Chunk, &flipped),
            Err(BundleError::Checksum)
        ));
        assert!(matches!(
            open(FileKind::Chunk, &sealed[..sealed.len() - 1]),
            Err(BundleError::Truncated { .. })
        ));
        let mut older = sealed.clone();
        older[8] = 5;
        let error = open(FileKind::Chunk, &older).unwrap_err();
        assert!(matches!(error, BundleError::UnsupportedVersion(5)));
        assert!(error.to_string().contains("rebuild the report"), "{error}");
        let mut future = sealed;
        future[8] = 9;
        assert!(matches!(
            open(FileKind::Chunk, &future),
            Err(BundleError::UnsupportedVersion(9))
        ));
        assert!(matches!(
            open(FileKind::Chunk, b"not a bundle at all, no no no"),
            Err(BundleError::NotABundle)
        ));
    }
}
