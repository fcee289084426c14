//! TensorBoard events behind valid TFRecord checksums: the input is framed as records whose
//! lengths and checksums are repaired, so the mutations reach the event decoding (the fast
//! scalar scan, checked against prost under `cfg(fuzzing)`, and the full decoding).
#![no_main]

use libfuzzer_sys::fuzz_target;
use runlens_fuzz::{check_read, repair_tfrecord};
use runlens_ingest::in_memory::tensorboard_events;

const NAME: &str = "events.out.tfevents.fuzz";

fuzz_target!(|data: &[u8]| {
    let bytes = repair_tfrecord(data);
    let (runs, warnings) = tensorboard_events(NAME, &bytes);
    assert_eq!(runs.len(), 1, "an event file is one run");
    check_read(NAME, bytes.len(), None, 21, &runs, &warnings);
});
