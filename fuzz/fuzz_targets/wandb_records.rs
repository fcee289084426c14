//! W&B records behind a valid header and valid chunk checksums: the input's chunks are
//! repaired, so the mutations reach the record decoding (run, config, history, summary and
//! exit records, JSON values).
#![no_main]

use libfuzzer_sys::fuzz_target;
use runlens_fuzz::{check_wandb_read, repair_wandb};
use runlens_ingest::in_memory::wandb_run;

const NAME: &str = "run-fuzz.wandb";

fuzz_target!(|data: &[u8]| {
    let bytes = repair_wandb(data);
    let (runs, warnings) = wandb_run(NAME, &bytes);
    assert!(runs.len() <= 1, "a run file is at most one run");
    check_wandb_read(NAME, bytes.len(), &runs, &warnings);
});
