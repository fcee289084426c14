//! Encode then decode: any archive drawn from the input comes back bit for bit (NaN
//! payloads, -0.0 and infinities included), encoding is deterministic, and a byte flipped
//! inside a chunk's payload (behind a valid checksum) is an error or a clean decode, never
//! a panic.
#![no_main]

use libfuzzer_sys::arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use runlens_core::bundle;
use runlens_fuzz::{arbitrary_archive, bits_view};

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(archive) = arbitrary_archive(&mut u) else {
        return;
    };
    // Mostly several points per chunk: one point per chunk is valid but makes every
    // series its own chunk of ~60 compressed streams, which slows the fuzzer tenfold.
    let chunk_points = *u.choose(&[16, 1 << 20, 64, 3, 1]).unwrap_or(&16);
    let encoded = bundle::encode(&archive, "fuzz", chunk_points);
    assert_eq!(encoded, bundle::encode(&archive, "fuzz", chunk_points));
    let decoded = bundle::decode(&encoded).expect("a fresh bundle decodes");
    assert_eq!(bits_view(&decoded), bits_view(&archive));

    // Damage one chunk's payload behind a valid checksum.
    if let (false, Ok(at), Ok(mask)) = (
        encoded.chunks.is_empty(),
        u.arbitrary::<usize>(),
        u.int_in_range(1u8..=255),
    ) {
        let mut damaged = encoded.clone();
        let chunk = &mut damaged.chunks[at % encoded.chunks.len()];
        let payload_len = chunk.len() - 28;
        let pos = 28 + at % payload_len.max(1);
        if pos < chunk.len() {
            chunk[pos] ^= mask;
            let crc = crc32fast::hash(&chunk[28..]);
            chunk[24..28].copy_from_slice(&crc.to_le_bytes());
            let _ = bundle::decode(&damaged);
        }
    }
});
