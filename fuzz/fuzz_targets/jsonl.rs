//! A JSONL event stream of arbitrary bytes: line splitting, invalid UTF-8, the bare
//! NaN/Infinity rewriting, JSON parsing and the record checks.
#![no_main]

use libfuzzer_sys::fuzz_target;
use runlens_fuzz::check_read;
use runlens_ingest::in_memory::jsonl;

const NAME: &str = "fuzz.jsonl";

fuzz_target!(|data: &[u8]| {
    let (runs, warnings) = jsonl(NAME, data);
    let lines = data.split(|&b| b == b'\n').count() as u64;
    // 20 line warnings listed, then one summary.
    check_read(NAME, data.len(), Some(lines), 21, &runs, &warnings);
    for run in &runs {
        assert!(!run.id.is_empty(), "a run has an id");
    }
});
