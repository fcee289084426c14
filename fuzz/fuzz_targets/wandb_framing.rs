//! A `.wandb` file of arbitrary bytes: the header check and the LevelDB log framing
//! (blocks, chunk checksums, FIRST/MIDDLE/LAST reassembly, resynchronisation).
#![no_main]

use libfuzzer_sys::fuzz_target;
use runlens_fuzz::check_wandb_read;
use runlens_ingest::in_memory::wandb_run;

const NAME: &str = "run-fuzz.wandb";

fuzz_target!(|data: &[u8]| {
    let (runs, warnings) = wandb_run(NAME, data);
    assert!(runs.len() <= 1, "a run file is at most one run");
    check_wandb_read(NAME, data.len(), &runs, &warnings);
});
