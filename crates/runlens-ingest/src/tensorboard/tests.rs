//! Tests of the TensorBoard reader on damaged copies of a real event file (written by
//! tensorboardX, see `examples/make_tensorboard_fixtures.py`) and of the directory walk.

use std::fs;
use std::path::{Path, PathBuf};

use runlens_core::Archive;

use super::record::{Item, Records, masked_crc};
use crate::reader::{Entry, EntryKind, Reader};
use crate::{ReadOptions, TensorBoardReader, read_sources};

/// The tensorboardX run of the fixtures: 300 steps of train/loss and train/acc.
fn basic_fixture() -> Vec<u8> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/tensorboard/logdir/tbx/basic");
    let file = fs::read_dir(&dir)
        .expect("fixture dir")
        .flatten()
        .find(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("events.out.tfevents.")
        })
        .expect("an event file");
    fs::read(file.path()).expect("fixture file")
}

/// Byte offsets of the records of `bytes`.
fn record_offsets(bytes: &[u8]) -> Vec<usize> {
    let mut records = Records::new(bytes, bytes.len() as u64);
    let mut offsets = Vec::new();
    while let Item::Record { offset, .. } = records.next_item().expect("in memory") {
        offsets.push(offset as usize);
    }
    offsets
}

/// Writes `bytes` as an event file of run `run` in a fresh logdir and reads the logdir.
fn read_damaged(bytes: &[u8]) -> (Archive, PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = dir.path().join("run");
    fs::create_dir(&run).expect("run dir");
    let file = run.join("events.out.tfevents.1700000000.test");
    fs::write(&file, bytes).expect("write");
    let archive = read_sources(&[dir.path().to_path_buf()], &ReadOptions::default())
        .expect("logdir exists")
        .archive;
    (archive, file, dir)
}

fn messages(archive: &Archive) -> Vec<String> {
    archive.warnings.iter().map(|w| w.message.clone()).collect()
}

#[test]
fn the_intact_fixture_reads_without_warnings() {
    let (archive, _, _dir) = read_damaged(&basic_fixture());
    assert_eq!(messages(&archive), Vec::<String>::new());
    let run = &archive.runs[0];
    assert_eq!((run.id.as_str(), run.group.as_deref()), ("run", None));
    assert_eq!(run.metrics["train/loss"].len(), 300);
}

#[test]
fn a_file_cut_inside_a_record_keeps_every_record_before_it() {
    let bytes = basic_fixture();
    let offsets = record_offsets(&bytes);
    let last = *offsets.last().expect("records");
    let (archive, file, _dir) = read_damaged(&bytes[..bytes.len() - 3]);
    assert_eq!(archive.warnings.len(), 1, "{:?}", messages(&archive));
    let warning = &archive.warnings[0];
    assert_eq!(warning.path, file.display().to_string());
    assert!(
        warning
            .message
            .starts_with(&format!("the file ends inside a record at byte {last} ")),
        "{}",
        warning.message
    );
    assert!(
        warning
            .message
            .contains(&format!("the {} records before it", offsets.len() - 1))
    );
    // The last record is the image at step 299; every scalar is still there.
    let run = &archive.runs[0];
    assert_eq!(run.metrics["train/loss"].len(), 300);
}

#[test]
fn a_flipped_data_byte_skips_that_record_only() {
    let mut bytes = basic_fixture();
    let offsets = record_offsets(&bytes);
    let victim = offsets[offsets.len() / 2];
    let next = offsets[offsets.len() / 2 + 1];
    bytes[victim + 14] ^= 0x01;
    let (archive, _, _dir) = read_damaged(&bytes);
    assert_eq!(
        messages(&archive),
        [format!(
            "damaged record at byte {victim}: the checksum of the record data does not match; bytes {victim}..{next} skipped, reading resumed at the next valid record"
        )]
    );
    let run = &archive.runs[0];
    let points: usize = run.metrics.values().map(|s| s.len()).sum();
    // One record holds one scalar (tensorboardX writes one event per add_scalar call).
    assert_eq!(points, 300 + 300 + 30 - 1);
    assert_eq!(run.metrics["train/loss"].steps.last(), Some(&299));
}

#[test]
fn an_absurd_length_never_allocates_and_later_records_are_read() {
    let bytes = basic_fixture();
    let offsets = record_offsets(&bytes);
    let victim = offsets[10];
    let huge = (1u64 << 60).to_le_bytes();
    // Once with the checksum left as it was, once with a checksum that verifies.
    for fix_crc in [false, true] {
        let mut damaged = bytes.clone();
        damaged[victim..victim + 8].copy_from_slice(&huge);
        if fix_crc {
            damaged[victim + 8..victim + 12].copy_from_slice(&masked_crc(&huge).to_le_bytes());
        }
        let (archive, _, _dir) = read_damaged(&damaged);
        let warnings = messages(&archive);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].starts_with(&format!("damaged record at byte {victim}: ")),
            "{warnings:?}"
        );
        let expected_reason = if fix_crc {
            "points past the end of the file"
        } else {
            "checksum of the record length"
        };
        assert!(warnings[0].contains(expected_reason), "{warnings:?}");
        let points: usize = archive.runs[0].metrics.values().map(|s| s.len()).sum();
        assert_eq!(points, 630 - 1);
    }
}

#[test]
fn an_empty_event_file_is_a_run_without_points_and_a_warning() {
    let (archive, _, _dir) = read_damaged(b"");
    assert_eq!(messages(&archive), ["empty event file: no records"]);
    assert_eq!(archive.runs.len(), 1);
    assert!(archive.runs[0].metrics.is_empty());
}

#[test]
fn a_file_that_is_not_tfrecord_gives_one_warning_and_no_values() {
    let text = b"this is not a TFRecord file, only text named like an event file\n".repeat(20);
    let (archive, _, _dir) = read_damaged(&text);
    assert_eq!(
        messages(&archive),
        [format!(
            "damaged record at byte 0: the checksum of the record length does not match; no valid record follows, the rest of the file ({} bytes) is skipped",
            text.len()
        )]
    );
    assert!(archive.runs[0].metrics.is_empty());
}

#[test]
fn directories_without_event_files_are_left_to_other_readers() {
    let dir = tempfile::tempdir().expect("temp dir");
    let logs = dir.path().join("logs");
    let keras = logs.join("fit");
    fs::create_dir_all(keras.join("train")).expect("dirs");
    fs::create_dir_all(keras.join("validation")).expect("dirs");
    let bytes = basic_fixture();
    fs::write(keras.join("train/events.out.tfevents.1.a"), &bytes).expect("write");
    fs::write(keras.join("validation/events.out.tfevents.1.a"), &bytes).expect("write");
    fs::write(
        logs.join("other.jsonl"),
        "{\"type\":\"metrics\",\"run\":\"j\",\"step\":0,\"values\":{\"x\":1}}\n",
    )
    .expect("write");
    assert!(!TensorBoardReader.claims(&Entry::new(&logs, EntryKind::Dir)));
    assert!(!TensorBoardReader.claims(&Entry::new(&keras, EntryKind::Dir)));
    assert!(TensorBoardReader.claims(&Entry::new(&keras.join("train"), EntryKind::Dir)));
    let archive = read_sources(std::slice::from_ref(&logs), &ReadOptions::default())
        .expect("exists")
        .archive;
    let runs: Vec<_> = archive
        .runs
        .iter()
        .map(|r| (r.source.as_str(), r.id.as_str(), r.group.as_deref()))
        .collect();
    assert_eq!(
        runs,
        [
            ("jsonl", "j", None),
            ("tensorboard", "fit/train", Some("fit")),
            ("tensorboard", "fit/validation", Some("fit")),
        ]
    );
    let experiment = logs.display().to_string();
    assert_eq!(
        archive.runs[1].experiment.as_deref(),
        Some(experiment.as_str())
    );
}

#[test]
fn files_of_a_run_are_read_in_timestamp_order_and_a_named_file_is_a_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bytes = basic_fixture();
    // Name order would put "9" after "10"; the timestamps put 9 first.
    fs::write(dir.path().join("events.out.tfevents.10.b"), &bytes).expect("write");
    fs::write(dir.path().join("events.out.tfevents.9.a"), b"").expect("write");
    let mut out = crate::reader::ReadOutput::new(dir.path(), 20);
    let files = super::run_directories(dir.path(), None, &mut out);
    assert!(out.into_parts().1.is_empty());
    let names: Vec<_> = files[dir.path()]
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        ["events.out.tfevents.9.a", "events.out.tfevents.10.b"]
    );
    // The directory itself is the run `.`.
    let archive = read_sources(&[dir.path().to_path_buf()], &ReadOptions::default())
        .expect("exists")
        .archive;
    assert_eq!(archive.runs[0].id, ".");
    // One file named on the command line.
    let file = dir.path().join("events.out.tfevents.10.b");
    let archive = read_sources(std::slice::from_ref(&file), &ReadOptions::default())
        .expect("exists")
        .archive;
    assert_eq!(archive.runs.len(), 1);
    assert_eq!(archive.runs[0].id, file.display().to_string());
    assert_eq!(archive.runs[0].metrics["train/loss"].len(), 300);
}

/// One TFRecord framing `data` (length, masked CRCs).
fn record(data: &[u8]) -> Vec<u8> {
    let length = (data.len() as u64).to_le_bytes();
    let mut out = length.to_vec();
    out.extend_from_slice(&masked_crc(&length).to_le_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(&masked_crc(data).to_le_bytes());
    out
}

#[test]
fn the_fast_path_and_the_full_decoding_agree_even_on_a_tag_that_is_not_utf8() {
    use super::proto::{Event, Summary, SummaryValue};
    use prost::Message;
    let event = |step: i64, tag: &str, value: f32| {
        Event {
            wall_time: 1_700_000_000.0 + step as f64,
            step,
            summary: Some(Summary {
                value: vec![SummaryValue {
                    tag: tag.into(),
                    simple_value: Some(value),
                    ..SummaryValue::default()
                }],
            }),
        }
        .encode_to_vec()
    };
    let mut bytes = Vec::new();
    for step in 0..4 {
        bytes.extend(record(&event(step, "loss", step as f32)));
        bytes.extend(record(&event(step, "acc", 1.0)));
    }
    // A new tag whose bytes are not UTF-8: prost refuses the event, and so must the fast
    // path (a record skipped with a warning, nothing else lost).
    let mut bad = event(4, "zz", 9.0);
    let at = bad.windows(2).position(|w| w == b"zz").unwrap();
    bad[at] = 0xFF;
    bytes.extend(record(&bad));
    bytes.extend(record(&event(5, "loss", 5.0)));
    let (archive, _, _dir) = read_damaged(&bytes);
    let run = &archive.runs[0];
    assert_eq!(run.metrics["loss"].steps, [0, 1, 2, 3, 5]);
    assert_eq!(run.metrics["acc"].len(), 4);
    assert_eq!(run.metrics.len(), 2, "{:?}", run.metrics.keys());
    let warnings = messages(&archive);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("not a TensorBoard event"),
        "{warnings:?}"
    );
}

#[test]
fn hparams_warnings_count_against_the_per_file_cap() {
    // Regression (fuzz/regressions/tf_events/hparams-warnings-uncapped.tfevents): each
    // undecodable hparams summary was warned about past the cap of 20 per file.
    use super::proto::{Event, PluginData, Summary, SummaryMetadata, SummaryValue};
    use prost::Message;
    let event = Event {
        summary: Some(Summary {
            value: vec![SummaryValue {
                tag: "hp".into(),
                metadata: Some(SummaryMetadata {
                    plugin_data: Some(PluginData {
                        plugin_name: "hparams".into(),
                        // A varint cut short: not an HParamsPluginData.
                        content: vec![0x08],
                    }),
                }),
                ..SummaryValue::default()
            }],
        }),
        ..Event::default()
    }
    .encode_to_vec();
    let bytes: Vec<u8> = (0..25).flat_map(|_| record(&event)).collect();
    let (archive, _, _dir) = read_damaged(&bytes);
    let warnings = messages(&archive);
    assert_eq!(warnings.len(), 21, "{warnings:#?}");
    assert!(warnings.contains(&"25 problems in all; only the first 20 are listed".to_string()));
}

#[test]
fn runs_read_on_several_threads_come_out_in_directory_order_with_their_warnings() {
    let intact = basic_fixture();
    let offsets = record_offsets(&intact);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut damaged_at = Vec::new();
    for i in 0..7 {
        let mut bytes = intact.clone();
        // Run 2: a data byte flipped; run 5: a length byte flipped (its header no longer
        // equals the headers verified before it, so its checksum is computed and fails).
        let victim = offsets[offsets.len() / 2 + i];
        match i {
            2 => bytes[victim + 14] ^= 0x01,
            5 => bytes[victim] ^= 0x01,
            _ => {}
        }
        if matches!(i, 2 | 5) {
            damaged_at.push((i, victim));
        }
        let run = dir.path().join(format!("run-{i}"));
        fs::create_dir(&run).expect("run dir");
        fs::write(run.join("events.out.tfevents.1700000000.test"), &bytes).expect("write");
    }
    let archive = read_sources(&[dir.path().to_path_buf()], &ReadOptions::default())
        .expect("logdir exists")
        .archive;
    let names: Vec<&str> = archive.runs.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        (0..7).map(|i| format!("run-{i}")).collect::<Vec<_>>()
    );
    let warned: Vec<(String, String)> = archive
        .warnings
        .iter()
        .map(|w| (w.path.clone(), w.message.clone()))
        .collect();
    assert_eq!(warned.len(), 2, "{warned:?}");
    for ((path, message), (run, victim)) in warned.iter().zip(&damaged_at) {
        assert!(path.contains(&format!("run-{run}")), "{path}");
        let damage = if *run == 2 {
            "the checksum of the record data does not match"
        } else {
            "the checksum of the record length does not match"
        };
        assert!(
            message.starts_with(&format!("damaged record at byte {victim}: {damage}")),
            "{message}"
        );
    }
    for run in &archive.runs {
        let points: usize = run.metrics.values().map(|s| s.len()).sum();
        let expected = if matches!(run.name.as_str(), "run-2" | "run-5") {
            629
        } else {
            630
        };
        assert_eq!(points, expected, "{}", run.name);
    }
}
