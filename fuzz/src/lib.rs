//! What the fuzz targets share: repairing the checksums of a mutated input so the fuzzer
//! reaches the decoders behind them, sealing a bundle payload, a small archive made from
//! fuzzer bytes, and the checks every reader's output must pass.

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use runlens_core::bundle::{FORMAT_VERSION, FileKind, MAGIC};
use runlens_core::{Archive, MetricSeries, ParamValue, Run, RunStatus, Warning};

/// The TFRecord masked CRC32C.
fn masked_crc(bytes: &[u8]) -> u32 {
    crc32c::crc32c(bytes)
        .rotate_right(15)
        .wrapping_add(0xA282_EAD8)
}

/// `bytes` read as TFRecord framing with every length and checksum made valid: each length
/// is cut to what is left, and both checksums are rewritten. A tail too short for a record
/// is kept as it is (a truncated file).
pub fn repair_tfrecord(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let mut at = 0;
    while out.len() - at >= 16 {
        let room = (out.len() - at - 16) as u64;
        let declared = u64::from_le_bytes(out[at..at + 8].try_into().expect("8 bytes"));
        let length = declared.min(room);
        out[at..at + 8].copy_from_slice(&length.to_le_bytes());
        let crc = masked_crc(&out[at..at + 8]);
        out[at + 8..at + 12].copy_from_slice(&crc.to_le_bytes());
        let data = at + 12..at + 12 + length as usize;
        let crc = masked_crc(&out[data.clone()]);
        out[data.end..data.end + 4].copy_from_slice(&crc.to_le_bytes());
        at = data.end + 4;
    }
    out
}

/// The `.wandb` file header.
const WANDB_HEADER: &[u8; 7] = b":W&B\xE1\xBE\x00";
/// The LevelDB log block size.
const WANDB_BLOCK: usize = 32 * 1024;

/// `bytes` read as a `.wandb` file with the header and every chunk checksum made valid:
/// each chunk length is cut to what is left of its block and of the input. Chunk types are
/// left as they are.
pub fn repair_wandb(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let header = WANDB_HEADER.len().min(out.len());
    out[..header].copy_from_slice(&WANDB_HEADER[..header]);
    let mut at = WANDB_HEADER.len();
    while at + 7 <= out.len() {
        let block_left = WANDB_BLOCK - at % WANDB_BLOCK;
        if block_left < 7 {
            at += block_left;
            continue;
        }
        let room = (block_left - 7).min(out.len() - at - 7);
        let declared = usize::from(u16::from_le_bytes([out[at + 4], out[at + 5]]));
        let length = declared.min(room);
        out[at + 4..at + 6].copy_from_slice(&(length as u16).to_le_bytes());
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&out[at + 6..at + 7 + length]);
        out[at..at + 4].copy_from_slice(&hasher.finalize().to_le_bytes());
        at += 7 + length;
    }
    out
}

/// `payload` in a bundle envelope of `kind`, stored (not deflated), with a valid checksum.
pub fn seal_stored(kind: FileKind, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(28 + payload.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.push(kind as u8);
    out.push(0);
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// [`check_read`] of a W&B run file read as `name` (a bare file name): a warning may also
/// name the run's `files/` folder beside it, where the run said it saved files (the reader
/// lists them without content when the folder is missing, and says so).
pub fn check_wandb_read(name: &str, len: usize, runs: &[Run], warnings: &[Warning]) {
    let (beside, own): (Vec<Warning>, Vec<Warning>) = warnings
        .iter()
        .cloned()
        .partition(|w| w.path == "files" || w.path.starts_with("files/"));
    for warning in &beside {
        assert!(!warning.message.is_empty(), "{warning}");
    }
    check_read(name, len, None, 21, runs, &own);
}

/// Checks what a reader made of one file called `name` of `len` bytes: every warning names
/// that file, a line number is within the file's `lines`, at most `max_warnings` are listed,
/// and no run holds more points than the file has bytes (a length field never conjures data).
pub fn check_read(
    name: &str,
    len: usize,
    lines: Option<u64>,
    max_warnings: usize,
    runs: &[Run],
    warnings: &[Warning],
) {
    for warning in warnings {
        assert_eq!(warning.path, name, "{warning}");
        if let (Some(line), Some(lines)) = (warning.line, lines) {
            assert!(line >= 1 && line <= lines, "{warning} of {lines} lines");
        }
    }
    assert!(
        warnings.len() <= max_warnings,
        "{} warnings: {warnings:#?}",
        warnings.len()
    );
    let points: usize = runs
        .iter()
        .flat_map(|r| r.metrics.values())
        .map(MetricSeries::len)
        .sum();
    assert!(points <= len, "{points} points from {len} bytes");
    for run in runs {
        for series in run.metrics.values() {
            assert_eq!(series.steps.len(), series.values.len());
            if let Some(times) = &series.times {
                assert_eq!(times.len(), series.values.len());
            }
        }
    }
}

/// A small finished archive drawn from `u`: a few runs with params, tags, notes, parents and
/// metric series whose floats may be any bit pattern.
pub fn arbitrary_archive(u: &mut Unstructured<'_>) -> Result<Archive> {
    let sources = ["jsonl", "tensorboard", "wandb"];
    let count = u.int_in_range(0..=6)?;
    let mut runs = Vec::with_capacity(count);
    for i in 0..count {
        let mut run = Run {
            id: format!("r{i}{}", short(u)?),
            name: u.arbitrary()?,
            source: (*u.choose(&sources)?).to_string(),
            experiment: option(u, short)?,
            group: option(u, short)?,
            status: RunStatus::from_code(u.int_in_range(0..=4)?).unwrap_or_default(),
            start_time: option(u, |u| Ok(f64::from_bits(u.arbitrary()?)))?.filter(|t| !t.is_nan()),
            end_time: option(u, |u| Ok(f64::from_bits(u.arbitrary()?)))?.filter(|t| !t.is_nan()),
            notes: option(u, |u| u.arbitrary())?,
            ..Run::default()
        };
        for _ in 0..u.int_in_range(0..=3)? {
            let value = match u.int_in_range(0..=3)? {
                0 => ParamValue::Bool(u.arbitrary()?),
                1 => ParamValue::Int(u.arbitrary()?),
                2 => ParamValue::Float(f64::from_bits(u.arbitrary()?)),
                _ => ParamValue::Text(u.arbitrary()?),
            };
            run.params.insert(short(u)?, value);
        }
        for _ in 0..u.int_in_range(0..=2)? {
            run.tags.insert(short(u)?, u.arbitrary()?);
        }
        for _ in 0..u.int_in_range(0..=3)? {
            run.metrics.insert(short(u)?, series(u)?);
        }
        runs.push(run);
    }
    // A parent is kept only within the same source and experiment.
    for i in 0..runs.len() {
        if u.arbitrary()? {
            let j = u.choose_index(runs.len())?;
            if runs[j].source == runs[i].source && runs[j].experiment == runs[i].experiment {
                runs[i].parent_id = Some(runs[j].id.clone());
            }
        }
    }
    let mut archive = Archive {
        runs,
        ..Archive::default()
    };
    archive.finish();
    Ok(archive)
}

fn short(u: &mut Unstructured<'_>) -> Result<String> {
    let len = u.int_in_range(1..=6)?;
    (0..len)
        .map(|_| Ok(char::from(b'a' + u.int_in_range(0..=25)?)))
        .collect()
}

fn option<T>(
    u: &mut Unstructured<'_>,
    make: impl FnOnce(&mut Unstructured<'_>) -> Result<T>,
) -> Result<Option<T>> {
    Ok(if u.arbitrary()? { Some(make(u)?) } else { None })
}

fn series(u: &mut Unstructured<'_>) -> Result<MetricSeries> {
    let n = u.int_in_range(1..=64)?;
    let with_times: bool = u.arbitrary()?;
    let mut series = MetricSeries::default();
    let mut step: i64 = u.arbitrary()?;
    for _ in 0..n {
        // Mostly regular strides, which the encoder's fast paths look for.
        step = if u.ratio(1, 8)? {
            u.arbitrary()?
        } else {
            step.wrapping_add(u.int_in_range(0..=3)?)
        };
        let value = if u.ratio(1, 4)? {
            f64::from_bits(u.arbitrary()?)
        } else {
            f64::from(u.int_in_range(-1000i32..=1000)?) / 100.0
        };
        let time = if with_times {
            Some(f64::from_bits(u.arbitrary()?))
        } else {
            None
        };
        series.steps.push(step);
        series.values.push(value);
        if let Some(time) = time {
            series.times.get_or_insert_with(Vec::new).push(time);
        }
    }
    Ok(series)
}

/// The archive as text with every float written as its bits, so that two archives compare
/// equal exactly when they hold the same bits (NaN payloads and -0.0 included).
pub fn bits_view(archive: &Archive) -> String {
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    let mut out = String::new();
    for run in &archive.runs {
        let mut plain = run.clone();
        let params: Vec<String> = run
            .params
            .iter()
            .map(|(k, v)| match v {
                ParamValue::Float(f) => format!("{k}=f{:x}", f.to_bits()),
                other => format!("{k}={other:?}"),
            })
            .collect();
        let metrics: Vec<String> = run
            .metrics
            .iter()
            .map(|(k, s)| {
                format!(
                    "{k}:{:?}:{:?}:{:?}",
                    s.steps,
                    bits(&s.values),
                    s.times.as_deref().map(bits)
                )
            })
            .collect();
        let times = (
            run.start_time.map(f64::to_bits),
            run.end_time.map(f64::to_bits),
        );
        plain.params.clear();
        plain.metrics.clear();
        plain.start_time = None;
        plain.end_time = None;
        out.push_str(&format!("{plain:?} {params:?} {metrics:?} {times:?}\n"));
    }
    out.push_str(&format!("{:?}\n{:?}", archive.warnings, archive.models));
    out
}
