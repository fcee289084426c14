//! A TensorBoard event file of arbitrary bytes: the TFRecord framing (lengths, both
//! checksums, resynchronisation after damage) and whatever events it lets through.
#![no_main]

use libfuzzer_sys::fuzz_target;
use runlens_fuzz::check_read;
use runlens_ingest::in_memory::tensorboard_events;

const NAME: &str = "events.out.tfevents.fuzz";

fuzz_target!(|data: &[u8]| {
    let (runs, warnings) = tensorboard_events(NAME, data);
    assert_eq!(runs.len(), 1, "an event file is one run");
    // The damage warnings are capped (20 and a summary); an empty file has one.
    check_read(NAME, data.len(), None, 21, &runs, &warnings);
});
