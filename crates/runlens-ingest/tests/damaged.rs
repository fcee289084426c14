//! The damaged-input suite: real files — the committed TensorBoard event file of
//! `tbx/sweep` (tensorboardX: a file-version record, then 200 `val/loss` points at steps
//! 0..=199, one per record), the committed W&B baseline run (2 LevelDB blocks, 309 records,
//! 100 history rows of 3 metrics, and `best_acc` in the summary only: 301 points), and `examples/plain-sweep` (a 1046-line JSONL stream of
//! 12 runs and 1173 points, a long-form metrics CSV of 3 runs and 150 points, a runs CSV of
//! 10 runs) — damaged in each way a log meets: cut mid-record, a flipped byte, a wrong magic,
//! empty, zero-length records, an absurd length field, deep nesting, invalid UTF-8, a
//! directory where a file belongs, no permission, a symbolic link loop. Each case states
//! exactly which runs and how many points are still read and which warnings name the file
//! (with the byte offset or line the reader gives); nothing panics, hangs or is lost silently.
//! The table in `docs/hardening.md` lists the same cases.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use runlens_core::Archive;
use runlens_ingest::{ReadOptions, read_sources};
use tempfile::TempDir;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// What a read kept: each run's id and point count (in archive order), and every warning
/// as `path[:line]: message` with the temporary directory left out of the path.
#[derive(Debug, PartialEq)]
struct Outcome {
    runs: Vec<(String, u64)>,
    warnings: Vec<String>,
}

fn read(dir: &TempDir, sources: &[&str]) -> (Archive, Outcome) {
    let paths: Vec<PathBuf> = sources.iter().map(|s| dir.path().join(s)).collect();
    let archive = read_sources(&paths, &ReadOptions::default())
        .expect("the sources exist")
        .archive;
    let prefix = format!("{}/", dir.path().display());
    let outcome = Outcome {
        runs: archive
            .runs
            .iter()
            .map(|r| {
                let points = r.metrics.values().map(|s| s.len() as u64).sum();
                (r.id.clone(), points)
            })
            .collect(),
        warnings: archive
            .warnings
            .iter()
            .map(|w| w.to_string().replace(&prefix, ""))
            .collect(),
    };
    (archive, outcome)
}

fn runs(list: &[(&str, u64)]) -> Vec<(String, u64)> {
    list.iter().map(|&(id, n)| (id.to_string(), n)).collect()
}

fn write(dir: &TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    fs::write(&path, bytes).expect("write");
    path
}

/// Whether file permissions stop this process (they do not for root): a file made
/// unreadable is tried.
fn permissions_enforced() -> bool {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let probe = write(&dir, "probe", b"x");
    fs::set_permissions(&probe, fs::Permissions::from_mode(0o000)).expect("chmod");
    fs::File::open(&probe).is_err()
}

/// Whether the permission-denied case `test` (this test's own name) should run in this
/// process. Where permissions are enforced it should. As root they are not: the case is
/// then run again by this test binary as the unprivileged user `nobody` (through
/// `setpriv`), and its result is this test's; when that cannot start (no `setpriv`, or
/// `nobody` cannot reach the binary), the case is skipped and says so on standard error,
/// which the test harness does not capture.
fn permission_case_runs_here(test: &str) -> bool {
    if permissions_enforced() {
        return true;
    }
    assert!(
        std::env::var_os("RUNLENS_DAMAGED_AS_NOBODY").is_none(),
        "permissions are not enforced even as nobody"
    );
    let exe = std::env::current_exe().expect("the test binary");
    let child = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(&exe)
        .args(["--exact", test, "--test-threads=1"])
        .env("RUNLENS_DAMAGED_AS_NOBODY", "1")
        .output();
    let mut stderr = std::io::stderr();
    match child {
        Ok(out) if String::from_utf8_lossy(&out.stdout).contains("running 1 test") => {
            assert!(
                out.status.success(),
                "{test} failed when run as nobody:\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            let _ = writeln!(
                stderr,
                "{test}: permissions are not enforced for this user (root); the case ran as nobody through setpriv and passed"
            );
        }
        other => {
            let why = match other {
                Ok(out) => String::from_utf8_lossy(&out.stderr).trim().to_string(),
                Err(e) => e.to_string(),
            };
            let _ = writeln!(
                stderr,
                "SKIPPED {test}: permissions are not enforced for this user (root), and running the case as nobody failed to start: {why}"
            );
        }
    }
    false
}

fn make_unreadable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o000)).expect("chmod");
}

/// The peak virtual memory of this process (`VmPeak`), where `/proc` tells it.
fn vm_peak_bytes() -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmPeak:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

// --- TensorBoard ------------------------------------------------------------------------

const TB_NAME: &str = "events.out.tfevents.1700003000.runlens-fixtures";
const TB_FILE: &str = "logdir/sweep/events.out.tfevents.1700003000.runlens-fixtures";

fn tb_bytes() -> Vec<u8> {
    fs::read(
        repo()
            .join("tests/fixtures/tensorboard/logdir/tbx/sweep")
            .join(TB_NAME),
    )
    .expect("TensorBoard fixture")
}

/// Byte offset of each record of a TFRecord file (read from the length fields alone).
fn record_offsets(bytes: &[u8]) -> Vec<usize> {
    let mut offsets = Vec::new();
    let mut at = 0;
    while at + 12 <= bytes.len() {
        offsets.push(at);
        let length = u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
        at += 16 + length as usize;
    }
    offsets
}

fn masked_crc(bytes: &[u8]) -> u32 {
    crc32c::crc32c(bytes)
        .rotate_right(15)
        .wrapping_add(0xA282_EAD8)
}

/// `data` framed as one TFRecord with valid checksums.
fn tfrecord(data: &[u8]) -> Vec<u8> {
    let length = (data.len() as u64).to_le_bytes();
    let mut out = length.to_vec();
    out.extend_from_slice(&masked_crc(&length).to_le_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(&masked_crc(data).to_le_bytes());
    out
}

/// A record header announcing `length` bytes, with a valid length checksum.
fn tfrecord_header(length: u64) -> Vec<u8> {
    let length = length.to_le_bytes();
    let mut out = length.to_vec();
    out.extend_from_slice(&masked_crc(&length).to_le_bytes());
    out
}

/// Writes the event file as `bytes` into a fresh logdir and reads the logdir.
fn read_tb(bytes: &[u8]) -> (Archive, Outcome) {
    let dir = tempfile::tempdir().expect("temp dir");
    write(&dir, TB_FILE, bytes);
    read(&dir, &["logdir"])
}

fn tb_warning(message: &str) -> Vec<String> {
    vec![format!("{TB_FILE}: {message}")]
}

fn val_loss_steps(archive: &Archive) -> Vec<i64> {
    archive.runs[0].metrics["val/loss"].steps.clone()
}

#[test]
fn tensorboard_undamaged_file_is_the_baseline() {
    let bytes = tb_bytes();
    assert_eq!(
        record_offsets(&bytes).len(),
        201,
        "file version + 200 points"
    );
    let (archive, got) = read_tb(&bytes);
    assert_eq!(got.runs, runs(&[("sweep", 200)]));
    assert_eq!(got.warnings, Vec::<String>::new());
    assert_eq!(val_loss_steps(&archive), (0..200).collect::<Vec<_>>());
}

#[test]
fn tensorboard_cut_mid_record_keeps_every_record_before_the_cut() {
    let bytes = tb_bytes();
    let at = record_offsets(&bytes)[101]; // the record of step 100
    let (archive, got) = read_tb(&bytes[..at + 20]);
    assert_eq!(got.runs, runs(&[("sweep", 100)]));
    assert_eq!(val_loss_steps(&archive), (0..100).collect::<Vec<_>>());
    assert_eq!(
        got.warnings,
        tb_warning(&format!(
            "the file ends inside a record at byte {at} (20 bytes of it present), probably because it is still being written; the 101 records before it were read"
        ))
    );
}

#[test]
fn tensorboard_flipped_byte_loses_that_record_only() {
    let mut bytes = tb_bytes();
    let offsets = record_offsets(&bytes);
    let (at, next) = (offsets[51], offsets[52]); // the record of step 50
    bytes[at + 12 + 3] ^= 0x40;
    let (archive, got) = read_tb(&bytes);
    assert_eq!(got.runs, runs(&[("sweep", 199)]));
    assert!(!val_loss_steps(&archive).contains(&50));
    assert_eq!(
        got.warnings,
        tb_warning(&format!(
            "damaged record at byte {at}: the checksum of the record data does not match; bytes {at}..{next} skipped, reading resumed at the next valid record"
        ))
    );
}

#[test]
fn tensorboard_wrong_magic_skips_to_the_first_valid_record() {
    // A TFRecord file has no magic: its first bytes are the first record's length. Garbage
    // there loses the file-version record only.
    let mut bytes = tb_bytes();
    let second = record_offsets(&bytes)[1];
    bytes[..8].copy_from_slice(b"GARBAGE!");
    let (_, got) = read_tb(&bytes);
    assert_eq!(got.runs, runs(&[("sweep", 200)]));
    assert_eq!(
        got.warnings,
        tb_warning(&format!(
            "damaged record at byte 0: the checksum of the record length does not match; bytes 0..{second} skipped, reading resumed at the next valid record"
        ))
    );
    // Not an event file at all (JSON under an event file's name): the run is empty.
    let text = b"{\"type\":\"metrics\",\"run\":\"r\",\"values\":{\"loss\":1}}\n";
    let (_, got) = read_tb(text);
    assert_eq!(got.runs, runs(&[("sweep", 0)]));
    assert_eq!(
        got.warnings,
        tb_warning(&format!(
            "damaged record at byte 0: the checksum of the record length does not match; no valid record follows, the rest of the file ({} bytes) is skipped",
            text.len()
        ))
    );
}

#[test]
fn tensorboard_empty_file_is_an_empty_run_and_a_warning() {
    let (_, got) = read_tb(b"");
    assert_eq!(got.runs, runs(&[("sweep", 0)]));
    assert_eq!(got.warnings, tb_warning("empty event file: no records"));
}

#[test]
fn tensorboard_zero_length_records_are_empty_events() {
    let bytes = tb_bytes();
    let at = record_offsets(&bytes)[11];
    let mut damaged = bytes[..at].to_vec();
    for _ in 0..3 {
        damaged.extend(tfrecord(b""));
    }
    damaged.extend_from_slice(&bytes[at..]);
    let (_, got) = read_tb(&damaged);
    assert_eq!(got.runs, runs(&[("sweep", 200)]));
    assert_eq!(got.warnings, Vec::<String>::new());
}

#[test]
fn tensorboard_absurd_length_is_skipped_without_allocating_it() {
    let bytes = tb_bytes();
    let at = record_offsets(&bytes)[101];
    // A verified 2^60-byte length in the middle: skipped, the next record resumes.
    let mut damaged = bytes[..at].to_vec();
    damaged.extend(tfrecord_header(1 << 60));
    damaged.extend_from_slice(&bytes[at..]);
    let (_, got) = read_tb(&damaged);
    assert_eq!(got.runs, runs(&[("sweep", 200)]));
    assert_eq!(
        got.warnings,
        tb_warning(&format!(
            "damaged record at byte {at}: the record length points past the end of the file; bytes {at}..{} skipped, reading resumed at the next valid record",
            at + 12
        ))
    );
    // At the end, it is a record still being written.
    let mut damaged = bytes.clone();
    damaged.extend(tfrecord_header(1 << 60));
    damaged.extend_from_slice(&[0; 100]);
    let (_, got) = read_tb(&damaged);
    assert_eq!(got.runs, runs(&[("sweep", 200)]));
    assert_eq!(
        got.warnings,
        tb_warning(&format!(
            "the file ends inside a record at byte {} (112 bytes of it present), probably because it is still being written; the 201 records before it were read",
            bytes.len()
        ))
    );
}

#[test]
fn binary_length_fields_never_drive_an_allocation_beyond_the_file() {
    // 8 GiB would be granted lazily by the allocator (so no crash would reveal it) but
    // shows in the peak virtual memory; 2^60 would abort the process.
    let Some(before) = vm_peak_bytes() else {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED allocation bound check: /proc/self/status has no VmPeak here"
        );
        return;
    };
    for length in [1u64 << 33, 1 << 60] {
        let mut bytes = tb_bytes();
        bytes.extend(tfrecord_header(length));
        bytes.extend_from_slice(&[0; 64]);
        let (_, got) = read_tb(&bytes);
        assert_eq!(got.runs, runs(&[("sweep", 200)]));
        // W&B chunk lengths are 16-bit: the largest runs past its 32 KiB block.
        let (_, got) = read_wandb(|bytes| {
            let at = WANDB_EXIT;
            bytes[at + 4..at + 6].copy_from_slice(&u16::MAX.to_le_bytes());
        });
        assert_eq!(got.runs, runs(&[("base0001", 301)]));
    }
    let after = vm_peak_bytes().expect("VmPeak");
    assert!(
        after - before < 4 << 30,
        "peak virtual memory grew by {} MiB",
        (after - before) >> 20
    );
}

#[test]
fn tensorboard_deep_nesting_is_refused_by_the_decoder() {
    // 100 000 nested protobuf groups (field 15): prost stops at its recursion limit.
    let bytes = tb_bytes();
    let at = record_offsets(&bytes)[101];
    let mut nested = vec![0x7B; 100_000];
    nested.extend(std::iter::repeat_n(0x7C, 100_000));
    let mut damaged = bytes[..at].to_vec();
    damaged.extend(tfrecord(&nested));
    damaged.extend_from_slice(&bytes[at..]);
    let (_, got) = read_tb(&damaged);
    assert_eq!(got.runs, runs(&[("sweep", 200)]));
    assert_eq!(
        got.warnings,
        tb_warning(&format!(
            "record at byte {at} passes its checksums but is not a TensorBoard event (failed to decode Protobuf message: recursion limit reached); record skipped"
        ))
    );
}

#[test]
fn tensorboard_invalid_utf8_tag_loses_that_record_only() {
    let bytes = tb_bytes();
    let offsets = record_offsets(&bytes);
    let (at, next) = (offsets[51], offsets[52]);
    let mut data = bytes[at + 12..next - 4].to_vec();
    let tag = data
        .windows(8)
        .position(|w| w == b"val/loss")
        .expect("the tag");
    data[tag + 4] = 0xFF;
    let mut damaged = bytes[..at].to_vec();
    damaged.extend(tfrecord(&data));
    damaged.extend_from_slice(&bytes[next..]);
    let (archive, got) = read_tb(&damaged);
    assert_eq!(got.runs, runs(&[("sweep", 199)]));
    assert!(!val_loss_steps(&archive).contains(&50));
    assert_eq!(
        got.warnings,
        tb_warning(&format!(
            "record at byte {at} passes its checksums but is not a TensorBoard event (failed to decode Protobuf message: SummaryValue.tag: Summary.value: Event.summary: invalid string value: data is not UTF-8 encoded); record skipped"
        ))
    );
}

#[test]
fn tensorboard_directory_named_like_an_event_file_is_a_warning() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(&dir, TB_FILE, &tb_bytes());
    let odd = "logdir/sweep/events.out.tfevents.1700009999.runlens-fixtures";
    fs::create_dir_all(dir.path().join(odd)).expect("mkdir");
    let (_, got) = read(&dir, &["logdir"]);
    assert_eq!(got.runs, runs(&[("sweep", 200)]));
    assert_eq!(
        got.warnings,
        [format!(
            "{odd}: a directory where an event file was expected (it has an event file's name); skipped"
        )]
    );
    // Alone in its run directory, it is still reported.
    let dir = tempfile::tempdir().expect("temp dir");
    fs::create_dir_all(dir.path().join(odd)).expect("mkdir");
    let (_, got) = read(&dir, &["logdir"]);
    assert_eq!(got.runs, runs(&[]));
    assert_eq!(
        got.warnings,
        [format!(
            "{odd}: a directory where an event file was expected (it has an event file's name); skipped"
        )]
    );
}

#[test]
fn tensorboard_unreadable_file_and_directory_are_warnings() {
    if !permission_case_runs_here("tensorboard_unreadable_file_and_directory_are_warnings") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write(&dir, TB_FILE, &tb_bytes());
    let other = write(&dir, "logdir/other/events.out.tfevents.1.x", &tb_bytes());
    make_unreadable(&file);
    make_unreadable(other.parent().expect("run dir"));
    let (_, got) = read(&dir, &["logdir"]);
    assert_eq!(got.runs, runs(&[("sweep", 0)]));
    assert_eq!(
        got.warnings,
        [
            "logdir/other: cannot be read: Permission denied (os error 13); skipped".to_string(),
            format!(
                "{TB_FILE}: cannot be read: Permission denied (os error 13); the rest of the file is skipped"
            ),
        ]
    );
}

#[test]
fn tensorboard_symlink_loop_is_a_warning_and_the_run_is_read_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(&dir, TB_FILE, &tb_bytes());
    let run_dir = dir.path().join("logdir/sweep");
    std::os::unix::fs::symlink(&run_dir, run_dir.join("again")).expect("symlink");
    let (_, got) = read(&dir, &["logdir"]);
    assert_eq!(got.runs, runs(&[("sweep", 200)]));
    assert_eq!(
        got.warnings,
        [
            "logdir/sweep/again: a symbolic link loop: it leads back to logdir/sweep, which contains it; not followed"
        ]
    );
}

// --- W&B --------------------------------------------------------------------------------

const WANDB_FILE: &str = "run/run-base0001.wandb";
/// Offset of the exit record, the last record of the baseline file.
const WANDB_EXIT: usize = 39_605;
const BLOCK: usize = 32 * 1024;

/// A run file written by wandb 0.31 (`examples/make_wandb_fixtures.py`, run `base0001`),
/// kept apart from the W&B parity fixture so the offsets below stay true when that is
/// regenerated.
fn wandb_bytes() -> Vec<u8> {
    let path = repo().join("tests/fixtures/damaged/run-base0001.wandb");
    fs::read(path).expect("W&B fixture")
}

/// Reads the baseline run file, changed by `damage`, from its run folder.
fn read_wandb(damage: impl FnOnce(&mut Vec<u8>)) -> (Archive, Outcome) {
    let mut bytes = wandb_bytes();
    damage(&mut bytes);
    let dir = tempfile::tempdir().expect("temp dir");
    write(&dir, WANDB_FILE, &bytes);
    // The run saved requirements.txt into its files/ folder; a whole run folder has it.
    write(&dir, "run/files/requirements.txt", b"numpy\n");
    read(&dir, &["run"])
}

fn wandb_warning(message: &str) -> Vec<String> {
    vec![format!("{WANDB_FILE}: {message}")]
}

/// Appends `record` to a `.wandb` file as W&B's writer does: FULL, or FIRST, MIDDLE...,
/// LAST chunks that never cross a 32 KiB block; a block's last bytes are padding when
/// fewer than a chunk header. Returns the record's offset.
fn append_wandb_record(bytes: &mut Vec<u8>, record: &[u8]) -> usize {
    let mut offset = None;
    let mut rest = record;
    let mut first = true;
    loop {
        let left = BLOCK - bytes.len() % BLOCK;
        if left < 7 {
            bytes.extend(std::iter::repeat_n(0, left));
            continue;
        }
        offset.get_or_insert(bytes.len());
        let take = rest.len().min(left - 7);
        let last = take == rest.len();
        let kind: u8 = match (first, last) {
            (true, true) => 1,
            (true, false) => 2,
            (false, false) => 3,
            (false, true) => 4,
        };
        let mut crc = crc32fast::Hasher::new();
        crc.update(&[kind]);
        crc.update(&rest[..take]);
        bytes.extend_from_slice(&crc.finalize().to_le_bytes());
        bytes.extend_from_slice(&(take as u16).to_le_bytes());
        bytes.push(kind);
        bytes.extend_from_slice(&rest[..take]);
        rest = &rest[take..];
        first = false;
        if last {
            return offset.expect("set");
        }
    }
}

/// A protobuf field key.
fn key(field: u32, wire: u8) -> Vec<u8> {
    varint(u64::from(field << 3 | u32::from(wire)))
}

fn varint(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
    out
}

/// A length-delimited protobuf field.
fn field(number: u32, bytes: &[u8]) -> Vec<u8> {
    let mut out = key(number, 2);
    out.extend(varint(bytes.len() as u64));
    out.extend_from_slice(bytes);
    out
}

/// A `Record` holding one `Item { key, value_json }` in a config (5) or history (2) record.
fn item_record(record_field: u32, key_bytes: &[u8], value_json: &str) -> Vec<u8> {
    let mut item = field(1, key_bytes);
    item.extend(field(16, value_json.as_bytes()));
    field(record_field, &field(1, &item))
}

#[test]
fn wandb_undamaged_file_is_the_baseline() {
    let (archive, got) = read_wandb(|_| {});
    assert_eq!(got.runs, runs(&[("base0001", 301)]));
    assert_eq!(got.warnings, Vec::<String>::new());
    assert_eq!(archive.runs[0].status, runlens_core::RunStatus::Finished);
}

#[test]
fn wandb_cut_mid_record_keeps_every_record_before_the_cut() {
    // Byte 20 000 is inside record 156 (a history row, bytes 19843..20011): records 0..=155
    // end before it, among them 50 history rows (steps 0..=49, every third record from 6).
    let (archive, got) = read_wandb(|bytes| bytes.truncate(20_000));
    assert_eq!(got.runs, runs(&[("base0001", 150)]));
    assert_eq!(archive.runs[0].status, runlens_core::RunStatus::Running);
    assert_eq!(
        got.warnings,
        wandb_warning(
            "the file ends inside a record at byte 19843, probably because the run is still writing or crashed; the 156 records before it were read"
        )
    );
}

#[test]
fn wandb_flipped_byte_drops_the_rest_of_its_block_only() {
    // The chunk at 19 843 (record 156) fails its checksum: block 0 is given up from there,
    // reading resumes at 32 768; record 252, which straddles the boundary, is lost too.
    let (archive, got) = read_wandb(|bytes| bytes[20_000] ^= 0x55);
    let steps = &archive.runs[0].metrics["train/loss"].steps;
    assert_eq!(steps.len(), 100 - 33, "rows 50..=82 are lost");
    assert!(steps.contains(&49) && !steps.contains(&50) && steps.contains(&83));
    assert_eq!(got.runs, runs(&[("base0001", 3 * 67 + 1)]));
    assert_eq!(archive.runs[0].status, runlens_core::RunStatus::Finished);
    assert_eq!(
        got.warnings,
        wandb_warning(
            "damaged data at byte 19843: the chunk checksum does not match; bytes 19843..32768 skipped, reading resumed at byte 32768"
        )
    );
}

#[test]
fn wandb_wrong_magic_skips_the_file() {
    let (_, got) = read_wandb(|bytes| bytes[1..4].copy_from_slice(b"XYZ"));
    assert_eq!(got.runs, runs(&[]));
    assert_eq!(
        got.warnings,
        wandb_warning(
            "not a W&B run file: it does not start with the 7-byte `:W&B` header (magic 0xBEE1, version 0); skipped"
        )
    );
}

#[test]
fn wandb_empty_file_is_a_warning() {
    let (_, got) = read_wandb(Vec::clear);
    assert_eq!(got.runs, runs(&[]));
    assert_eq!(
        got.warnings,
        wandb_warning("empty .wandb file (a run that has not logged yet): no records")
    );
}

#[test]
fn wandb_zero_length_records_are_empty_records() {
    let (_, got) = read_wandb(|bytes| {
        for _ in 0..3 {
            append_wandb_record(bytes, b"");
        }
    });
    assert_eq!(got.runs, runs(&[("base0001", 301)]));
    assert_eq!(got.warnings, Vec::<String>::new());
}

#[test]
fn wandb_absurd_chunk_length_is_a_truncation_or_skips_its_block() {
    // In the last block, a length past the end of the file: the run is still writing.
    let (archive, got) = read_wandb(|bytes| {
        bytes[WANDB_EXIT + 4..WANDB_EXIT + 6].copy_from_slice(&u16::MAX.to_le_bytes());
    });
    assert_eq!(got.runs, runs(&[("base0001", 301)]));
    assert_eq!(archive.runs[0].status, runlens_core::RunStatus::Running);
    assert_eq!(
        got.warnings,
        wandb_warning(&format!(
            "the file ends inside a record at byte {WANDB_EXIT}, probably because the run is still writing or crashed; the 308 records before it were read"
        ))
    );
    // In a whole block, a length past the block: the rest of the block is skipped (from
    // record 155, a summary, on: history rows 50..=82 again).
    let (_, got) = read_wandb(|bytes| {
        let at = 19_679;
        bytes[at + 4..at + 6].copy_from_slice(&u16::MAX.to_le_bytes());
    });
    assert_eq!(got.runs, runs(&[("base0001", 3 * 67 + 1)]));
    assert_eq!(
        got.warnings,
        wandb_warning(
            "damaged data at byte 19679: the chunk length runs past the end of its 32 KiB block; bytes 19679..32768 skipped, reading resumed at byte 32768"
        )
    );
}

#[test]
fn wandb_deep_nesting_is_refused_by_the_decoders() {
    // A config value nested 100 000 deep (serde_json's limit is 128), and a record of
    // 100 000 nested protobuf groups (prost's limit is 100); each spans several blocks.
    let mut at = (0, 0);
    let (archive, got) = read_wandb(|bytes| {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        at.0 = append_wandb_record(bytes, &item_record(5, b"deep", &deep));
        let mut groups = vec![0x7B; 100_000];
        groups.extend(std::iter::repeat_n(0x7C, 100_000));
        at.1 = append_wandb_record(bytes, &groups);
    });
    assert_eq!(got.runs, runs(&[("base0001", 301)]));
    assert!(!archive.runs[0].params.contains_key("deep"));
    assert_eq!(
        got.warnings,
        [
            format!(
                "{WANDB_FILE}: record at byte {} passes its checksums but is not a W&B record (failed to decode Protobuf message: recursion limit reached); record skipped",
                at.1
            ),
            format!(
                "{WANDB_FILE}: record at byte {}: config value \"deep\" is not JSON (recursion limit exceeded at line 1 column 128); skipped",
                at.0
            ),
        ]
    );
}

#[test]
fn wandb_invalid_utf8_loses_that_record_only() {
    let mut at = 0;
    let (_, got) = read_wandb(|bytes| {
        at = append_wandb_record(bytes, &item_record(2, b"bad\xFFkey", "1.0"));
    });
    assert_eq!(got.runs, runs(&[("base0001", 301)]));
    assert_eq!(
        got.warnings,
        wandb_warning(&format!(
            "record at byte {at} passes its checksums but is not a W&B record (failed to decode Protobuf message: Item.key: HistoryRecord.item: Record.history: invalid string value: data is not UTF-8 encoded); record skipped"
        ))
    );
}

#[test]
fn wandb_directory_in_place_of_the_run_file_is_a_warning() {
    let dir = tempfile::tempdir().expect("temp dir");
    fs::create_dir_all(dir.path().join(WANDB_FILE)).expect("mkdir");
    let (_, got) = read(&dir, &["run"]);
    assert_eq!(got.runs, runs(&[]));
    assert_eq!(
        got.warnings,
        wandb_warning("cannot be read: Is a directory (os error 21)")
    );
}

#[test]
fn wandb_unreadable_file_is_a_warning() {
    if !permission_case_runs_here("wandb_unreadable_file_is_a_warning") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write(&dir, WANDB_FILE, &wandb_bytes());
    make_unreadable(&file);
    let (_, got) = read(&dir, &["run"]);
    assert_eq!(got.runs, runs(&[]));
    assert_eq!(
        got.warnings,
        wandb_warning("cannot be read: Permission denied (os error 13)")
    );
}

#[test]
fn wandb_symlink_loop_is_a_warning_and_the_run_is_read_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        &dir,
        "wandb/offline-run-1-base0001/run-base0001.wandb",
        &wandb_bytes(),
    );
    write(
        &dir,
        "wandb/offline-run-1-base0001/files/requirements.txt",
        b"numpy\n",
    );
    let wandb = dir.path().join("wandb");
    std::os::unix::fs::symlink(&wandb, wandb.join("loop")).expect("symlink");
    let (_, got) = read(&dir, &["wandb"]);
    assert_eq!(got.runs, runs(&[("base0001", 301)]));
    assert_eq!(
        got.warnings,
        [
            "wandb/loop: a symbolic link loop: it leads back to wandb, which contains it; not followed"
        ]
    );
}

// --- JSONL ------------------------------------------------------------------------------

fn sweep_jsonl() -> Vec<u8> {
    fs::read(repo().join("examples/plain-sweep/sweep.jsonl")).expect("sweep.jsonl")
}

/// Offset of the start of 1-based `line`.
fn line_start(bytes: &[u8], line: usize) -> usize {
    if line == 1 {
        return 0;
    }
    bytes
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b == b'\n')
        .nth(line - 2)
        .map(|(i, _)| i + 1)
        .expect("the line exists")
}

fn read_jsonl(bytes: &[u8]) -> (Archive, Outcome) {
    let dir = tempfile::tempdir().expect("temp dir");
    write(&dir, "logs/sweep.jsonl", bytes);
    read(&dir, &["logs"])
}

/// Number of runs and of points (the undamaged sweep: 12 runs, 1173 points).
fn sweep_total(archive: &Archive) -> (usize, u64) {
    (archive.runs.len(), archive.point_count())
}

#[test]
fn jsonl_undamaged_file_is_the_baseline() {
    let (archive, got) = read_jsonl(&sweep_jsonl());
    assert_eq!(sweep_total(&archive), (12, 1173));
    assert_eq!(got.warnings, Vec::<String>::new());
}

#[test]
fn jsonl_cut_mid_record_keeps_every_line_before_the_cut() {
    let bytes = sweep_jsonl();
    let at = line_start(&bytes, 500) + 40;
    let (archive, got) = read_jsonl(&bytes[..at]);
    // Lines 1..=499 hold 6 runs and 559 points.
    assert_eq!(sweep_total(&archive), (6, 559));
    assert_eq!(
        got.warnings,
        [
            "logs/sweep.jsonl:500: truncated record: the file ends before the JSON object is complete (EOF while parsing a string at column 40); line skipped"
        ]
    );
}

#[test]
fn jsonl_flipped_byte_loses_that_line_only() {
    let mut bytes = sweep_jsonl();
    let at = line_start(&bytes, 300);
    bytes[at] ^= 0x01; // `{` becomes `z`
    let (archive, got) = read_jsonl(&bytes);
    assert_eq!(sweep_total(&archive), (12, 1172));
    assert_eq!(
        got.warnings,
        [
            "logs/sweep.jsonl:300: not a JSON object (the line does not start with `{`); line skipped"
        ]
    );
}

#[test]
fn jsonl_wrong_format_lists_the_first_lines_and_counts_the_rest() {
    // A TensorBoard event file named .jsonl: every line is skipped, 20 listed by line.
    let bytes = tb_bytes();
    let lines = bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .count();
    let (archive, got) = read_jsonl(&bytes);
    assert_eq!(sweep_total(&archive), (0, 0));
    assert_eq!(got.warnings.len(), 21);
    // The summary is about the whole file, so it sorts before the lines.
    assert_eq!(
        got.warnings[0],
        format!(
            "logs/sweep.jsonl: {lines} problems in all; only the first 20 (by line) are listed, {} more are not",
            lines - 20
        )
    );
    assert!(
        got.warnings[1..]
            .iter()
            .all(|w| w.starts_with("logs/sweep.jsonl:"))
    );
}

#[test]
fn jsonl_empty_file_is_a_warning() {
    for bytes in [&b""[..], b"\n\n  \n"] {
        let (archive, got) = read_jsonl(bytes);
        assert_eq!(sweep_total(&archive), (0, 0));
        assert_eq!(
            got.warnings,
            ["logs/sweep.jsonl: no records: the file is empty or holds only blank lines"]
        );
    }
}

#[test]
fn jsonl_zero_length_records_are_blank_lines() {
    let mut bytes = sweep_jsonl();
    let at = line_start(&bytes, 300);
    bytes.splice(at..at, b"\n\n\r\n".iter().copied());
    let (archive, got) = read_jsonl(&bytes);
    assert_eq!(sweep_total(&archive), (12, 1173));
    assert_eq!(got.warnings, Vec::<String>::new());
}

#[test]
fn jsonl_deep_nesting_loses_that_line_only() {
    let mut bytes = sweep_jsonl();
    let deep = format!(
        "{{\"type\":\"params\",\"run\":\"lr0.001-adam-s0\",\"params\":{}1{}}}\n",
        "{\"a\":".repeat(100_000),
        "}".repeat(100_000)
    );
    let at = line_start(&bytes, 3);
    bytes.splice(at..at, deep.bytes());
    let (archive, got) = read_jsonl(&bytes);
    assert_eq!(sweep_total(&archive), (12, 1173));
    assert_eq!(
        got.warnings,
        [
            "logs/sweep.jsonl:3: malformed JSON: recursion limit exceeded at column 681; line skipped"
        ]
    );
}

#[test]
fn jsonl_invalid_utf8_loses_that_line_only() {
    let mut bytes = sweep_jsonl();
    let at = line_start(&bytes, 10) + 20;
    bytes[at] = 0xFF;
    let (archive, got) = read_jsonl(&bytes);
    assert_eq!(sweep_total(&archive), (12, 1172));
    assert_eq!(
        got.warnings,
        ["logs/sweep.jsonl:10: not valid UTF-8; line skipped"]
    );
}

#[test]
fn jsonl_directory_named_like_a_file_is_walked() {
    // A directory called sweep.jsonl is a directory: the file inside it is read.
    let dir = tempfile::tempdir().expect("temp dir");
    write(&dir, "logs/sweep.jsonl/inner.jsonl", &sweep_jsonl());
    let (archive, got) = read(&dir, &["logs/sweep.jsonl"]);
    assert_eq!(sweep_total(&archive), (12, 1173));
    assert_eq!(got.warnings, Vec::<String>::new());
}

#[test]
fn jsonl_and_csv_unreadable_files_are_warnings() {
    if !permission_case_runs_here("jsonl_and_csv_unreadable_files_are_warnings") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    make_unreadable(&write(&dir, "logs/sweep.jsonl", &sweep_jsonl()));
    make_unreadable(&write(&dir, "logs/metrics.csv", &metrics_csv()));
    let (_, got) = read(&dir, &["logs"]);
    assert_eq!(got.runs, runs(&[]));
    assert_eq!(
        got.warnings,
        [
            "logs/metrics.csv: cannot be read: Permission denied (os error 13); file skipped",
            "logs/sweep.jsonl: cannot be read: Permission denied (os error 13); file skipped",
        ]
    );
}

#[test]
fn walk_symlink_loops_are_warnings_and_files_are_read_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(&dir, "logs/sweep.jsonl", &sweep_jsonl());
    let logs = dir.path().join("logs");
    std::os::unix::fs::symlink(&logs, logs.join("loop")).expect("symlink");
    std::os::unix::fs::symlink("cycle.jsonl", logs.join("cycle.jsonl")).expect("symlink");
    let (archive, got) = read(&dir, &["logs"]);
    assert_eq!(sweep_total(&archive), (12, 1173));
    assert_eq!(
        got.warnings,
        [
            "logs/cycle.jsonl: a symbolic link loop: its chain of links never reaches a file or directory; skipped".to_string(),
            "logs/loop: a symbolic link loop: it leads back to logs, which contains it; not followed".to_string(),
        ]
    );
}

// --- CSV --------------------------------------------------------------------------------

fn metrics_csv() -> Vec<u8> {
    fs::read(repo().join("examples/plain-sweep/finetune-metrics.csv")).expect("metrics CSV")
}

fn runs_csv() -> Vec<u8> {
    fs::read(repo().join("examples/plain-sweep/leaderboard.csv")).expect("runs CSV")
}

fn read_csv(name: &str, bytes: &[u8]) -> (Archive, Outcome) {
    let dir = tempfile::tempdir().expect("temp dir");
    write(&dir, &format!("logs/{name}"), bytes);
    read(&dir, &["logs"])
}

#[test]
fn csv_undamaged_files_are_the_baseline() {
    let (archive, got) = read_csv("metrics.csv", &metrics_csv());
    assert_eq!(sweep_total(&archive), (3, 150));
    assert_eq!(got.warnings, Vec::<String>::new());
    let (archive, got) = read_csv("runs.csv", &runs_csv());
    assert_eq!(archive.runs.len(), 10);
    assert_eq!(got.warnings, Vec::<String>::new());
}

#[test]
fn csv_cut_mid_row_loses_that_row_only() {
    let bytes = metrics_csv();
    let last = line_start(&bytes, 151);
    let (archive, got) = read_csv("metrics.csv", &bytes[..last + 30]);
    assert_eq!(sweep_total(&archive), (3, 149));
    assert_eq!(
        got.warnings,
        [
            "logs/metrics.csv:151: the `key` cell is empty; row skipped",
            "logs/metrics.csv:151: the row has 2 field(s) but the header has 6; the missing cells are empty",
        ]
    );
}

#[test]
fn csv_flipped_byte_loses_that_value_only() {
    let mut bytes = metrics_csv();
    let at = line_start(&bytes, 20);
    let comma = bytes[at..]
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b == b',')
        .nth(3)
        .map(|(i, _)| at + i)
        .expect("the value cell");
    bytes[comma + 1] ^= 0x40;
    let end = comma
        + 1
        + bytes[comma + 1..]
            .iter()
            .position(|&b| b == b',')
            .expect("time");
    let cell = String::from_utf8_lossy(&bytes[comma + 1..end]).into_owned();
    let (archive, got) = read_csv("metrics.csv", &bytes);
    assert_eq!(sweep_total(&archive), (3, 149));
    assert_eq!(
        got.warnings,
        [format!(
            "logs/metrics.csv:20: value `{cell}` is not a number; row skipped"
        )]
    );
}

#[test]
fn csv_wrong_format_is_unrecognized_or_a_warning() {
    // A TensorBoard event file named .csv has no header a CSV reader knows: found by the
    // walk it is listed as unrecognized (`--verbose`), as any other CSV would be.
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write(&dir, "logs/metrics.csv", &tb_bytes());
    let report = read_sources(&[dir.path().join("logs")], &ReadOptions::default()).expect("exists");
    assert_eq!(report.archive.runs.len(), 0);
    assert_eq!(report.archive.warnings, []);
    assert_eq!(report.unrecognized, [file]);
    // Named on the command line, any CSV is taken as a runs table: with no id column, each
    // of the 408 rows after the header line is a run named by its line, with no points;
    // the warnings say the bytes are not text.
    let (_, got) = read(&dir, &["logs/metrics.csv"]);
    assert_eq!(got.runs.len(), 408);
    assert!(got.runs.iter().all(|(_, points)| *points == 0));
    assert_eq!(
        got.warnings[0],
        "logs/metrics.csv: not valid UTF-8; the invalid bytes are read as U+FFFD (�)"
    );
    assert!(
        got.warnings
            .iter()
            .all(|w| w.starts_with("logs/metrics.csv:"))
    );
}

#[test]
fn csv_empty_file_is_a_warning() {
    let (archive, got) = read_csv("metrics.csv", b"");
    assert_eq!(sweep_total(&archive), (0, 0));
    assert_eq!(
        got.warnings,
        ["logs/metrics.csv: empty file, no header; nothing read"]
    );
}

#[test]
fn csv_blank_rows_are_passed_over() {
    let mut bytes = metrics_csv();
    let at = line_start(&bytes, 50);
    bytes.splice(at..at, b"\n\n".iter().copied());
    let (archive, got) = read_csv("metrics.csv", &bytes);
    assert_eq!(sweep_total(&archive), (3, 150));
    assert_eq!(got.warnings, Vec::<String>::new());
}

#[test]
fn csv_unterminated_quote_cuts_the_file_at_its_row() {
    // CSV's nesting: a quoted cell that never closes swallows the rest of the file.
    let mut bytes = runs_csv();
    let at = line_start(&bytes, 8);
    bytes.insert(at, b'"');
    let (archive, got) = read_csv("runs.csv", &bytes);
    assert_eq!(archive.runs.len(), 6, "rows 2..=7");
    assert_eq!(
        got.warnings,
        [
            "logs/runs.csv:8: a quoted field is never closed; this row and the rest of the file are skipped"
        ]
    );
}

#[test]
fn csv_invalid_utf8_is_read_with_replacement_characters() {
    let mut bytes = metrics_csv();
    let at = line_start(&bytes, 2);
    bytes[at] = 0xFF; // in the experiment name
    let (archive, got) = read_csv("metrics.csv", &bytes);
    assert_eq!(archive.point_count(), 150);
    assert_eq!(
        got.warnings,
        ["logs/metrics.csv: not valid UTF-8; the invalid bytes are read as U+FFFD (�)"]
    );
}
