//! The W&B reader on records made here with prost: row order, summary folding, key
//! joining, config flattening, exit status, and which folders it claims. The real files
//! written by `wandb` are tested in `tests/wandb.rs`.

use std::path::Path;

use prost::Message;
use runlens_core::{ParamValue, Run, RunStatus};

use super::WandbReader;
use super::framing::frame;
use super::proto::{
    ConfigRecord, HistoryRecord, HistoryStep, Item, Record, RunExitRecord, RunRecord,
    SummaryRecord, Timestamp,
};
use crate::reader::{Entry, EntryKind, ReadOutput, Reader};

fn item(key: &str, value_json: &str) -> Item {
    Item {
        key: String::new(),
        nested_key: key.split('|').map(str::to_string).collect(),
        value_json: value_json.to_string(),
    }
}

fn row(step: i64, time: f64, values: &[(&str, &str)]) -> Record {
    let mut items: Vec<Item> = values.iter().map(|(k, v)| item(k, v)).collect();
    items.push(item("_step", &step.to_string()));
    items.push(item("_timestamp", &time.to_string()));
    Record {
        history: Some(HistoryRecord {
            item: items,
            step: Some(HistoryStep { num: step }),
        }),
        ..Record::default()
    }
}

fn summary(values: &[(&str, &str)], remove: &[&str]) -> Record {
    Record {
        summary: Some(SummaryRecord {
            update: values.iter().map(|(k, v)| item(k, v)).collect(),
            remove: remove.iter().map(|k| item(k, "")).collect(),
        }),
        ..Record::default()
    }
}

fn run_record() -> Record {
    Record {
        run: Some(RunRecord {
            run_id: "abc123".into(),
            project: "proj".into(),
            display_name: "nice-run".into(),
            run_group: "g".into(),
            job_type: "train".into(),
            tags: vec!["a".into(), "b".into()],
            start_time: Some(Timestamp {
                seconds: 1_000,
                nanos: 500_000_000,
            }),
            config: Some(ConfigRecord {
                update: vec![
                    Item {
                        key: "_wandb".into(),
                        nested_key: vec![],
                        value_json: "{}".into(),
                    },
                    item("lr", "0.1"),
                    item("opt", "{\"name\": \"sgd\", \"wd\": NaN}"),
                ],
                remove: vec![],
            }),
            ..RunRecord::default()
        }),
        ..Record::default()
    }
}

fn read(records: &[Record]) -> (Vec<Run>, Vec<String>) {
    let encoded: Vec<Vec<u8>> = records.iter().map(Message::encode_to_vec).collect();
    let refs: Vec<&[u8]> = encoded.iter().map(Vec::as_slice).collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run-abc123.wandb");
    std::fs::write(&path, frame(&refs)).unwrap();
    let mut out = ReadOutput::new(&path, 20);
    WandbReader.read(&path, &mut out).unwrap();
    let (runs, warnings) = out.into_parts();
    (runs, warnings.iter().map(|w| w.message.clone()).collect())
}

#[test]
fn rows_out_of_order_are_sorted_and_non_numbers_skipped() {
    let (runs, warnings) = read(&[
        run_record(),
        row(2, 1003.0, &[("loss", "0.5"), ("val|acc", "NaN")]),
        row(
            0,
            1001.0,
            &[
                ("loss", "1"),
                ("text", "\"hi\""),
                ("img|_type", "\"image-file\""),
            ],
        ),
        row(1, 1002.0, &[("loss", "Infinity"), ("flag", "true")]),
    ]);
    assert!(warnings.is_empty(), "{warnings:?}");
    let run = &runs[0];
    assert_eq!(run.metrics.keys().collect::<Vec<_>>(), ["loss", "val/acc"]);
    let loss = &run.metrics["loss"];
    assert_eq!(loss.steps, [0, 1, 2]);
    assert_eq!(loss.values[..2], [1.0, f64::INFINITY]);
    assert_eq!(loss.times.as_deref(), Some(&[1001.0, 1002.0, 1003.0][..]));
    assert!(run.metrics["val/acc"].values[0].is_nan());
    assert_eq!(run.end_time, Some(1003.0));
    assert_eq!(run.status, RunStatus::Running, "no exit record");
}

#[test]
fn summary_deltas_fold_in_order_and_only_fill_metrics_without_history() {
    let (runs, _) = read(&[
        row(0, 1001.0, &[("loss", "1")]),
        summary(&[("loss", "99"), ("best", "0.1"), ("gone", "3")], &[]),
        summary(
            &[("best", "0.7"), ("name", "\"x\""), ("_runtime", "5")],
            &["gone"],
        ),
    ]);
    let run = &runs[0];
    assert_eq!(
        run.id, "abc123",
        "id from the file name without a run record"
    );
    assert_eq!(run.metrics.keys().collect::<Vec<_>>(), ["best", "loss"]);
    assert_eq!(run.metrics["loss"].values, [1.0]);
    assert_eq!(run.metrics["best"].values, [0.7]);
    assert_eq!(run.metrics["best"].steps, [0]);
}

#[test]
fn run_record_and_config_give_identity_tags_and_params() {
    let later_config = Record {
        config: Some(ConfigRecord {
            update: vec![item("lr", "0.2"), item("epochs", "3")],
            remove: vec![item("opt", "")],
        }),
        ..Record::default()
    };
    let exit = Record {
        exit: Some(RunExitRecord {
            exit_code: 1,
            runtime: 60,
        }),
        ..Record::default()
    };
    let (runs, _) = read(&[
        run_record(),
        row(0, 1001.0, &[("x", "1")]),
        later_config,
        exit,
    ]);
    let run = &runs[0];
    assert_eq!((run.id.as_str(), run.name.as_str()), ("abc123", "nice-run"));
    assert_eq!(run.experiment.as_deref(), Some("proj"));
    assert_eq!(run.group.as_deref(), Some("g"));
    assert_eq!(run.tags["wandb.job_type"], "train");
    assert_eq!(run.tags["wandb.tags"], "a, b");
    assert_eq!(run.status, RunStatus::Failed);
    assert_eq!(run.start_time, Some(1000.5));
    assert_eq!(run.end_time, Some(1060.5), "start + exit runtime is later");
    assert_eq!(run.params.keys().collect::<Vec<_>>(), ["epochs", "lr"]);
    assert_eq!(run.params["lr"], ParamValue::Float(0.2));
    assert_eq!(run.params["epochs"], ParamValue::Int(3));
}

#[test]
fn nested_config_is_flattened_with_non_finite_values() {
    let (runs, _) = read(&[run_record()]);
    let params = &runs[0].params;
    assert_eq!(
        params.keys().collect::<Vec<_>>(),
        ["lr", "opt.name", "opt.wd"]
    );
    assert_eq!(params["opt.name"], ParamValue::Text("sgd".into()));
    assert!(matches!(params["opt.wd"], ParamValue::Float(x) if x.is_nan()));
}

#[test]
fn claims_wandb_folders_run_folders_and_files_but_not_mixed_folders() {
    let dir = tempfile::tempdir().unwrap();
    let wandb = dir.path().join("wandb");
    let run = wandb.join("offline-run-20260101_000000-abc");
    std::fs::create_dir_all(run.join("files")).unwrap();
    std::fs::write(run.join("run-abc.wandb"), b":W&B").unwrap();
    std::fs::write(wandb.join("debug.log"), b"").unwrap();
    std::os::unix::fs::symlink(&run, wandb.join("latest-run")).unwrap();
    let claims = |path: &Path, kind| WandbReader.claims(&Entry::new(path, kind));
    assert!(claims(&wandb, EntryKind::Dir));
    assert!(claims(&run, EntryKind::Dir));
    assert!(claims(&run.join("run-abc.wandb"), EntryKind::File));
    assert!(
        !claims(dir.path(), EntryKind::Dir),
        "the parent holds no run folder"
    );
    assert!(!claims(&run.join("files"), EntryKind::Dir));
    std::fs::write(wandb.join("results.csv"), b"run_id\n1\n").unwrap();
    assert!(
        !claims(&wandb, EntryKind::Dir),
        "a folder with other files is walked"
    );
}

#[test]
fn unknown_record_types_are_ignored_and_garbage_records_warned() {
    let known: Vec<Vec<u8>> = [run_record(), row(0, 1001.0, &[("loss", "1")])]
        .iter()
        .map(Message::encode_to_vec)
        .collect();
    // Field 111 (varint 1): a record type runlens does not know.
    let unknown = [0xF8u8, 0x06, 0x01];
    // A truncated length-delimited field: passes the CRC, is not protobuf.
    let garbage = [0x12u8, 0x7F, 0x01];
    let bytes = frame(&[&known[0], &unknown, &garbage, &known[1]]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run-abc123.wandb");
    std::fs::write(&path, bytes).unwrap();
    let mut out = ReadOutput::new(&path, 20);
    WandbReader.read(&path, &mut out).unwrap();
    let (runs, warnings) = out.into_parts();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].message.contains("is not a W&B record"),
        "{warnings:?}"
    );
    assert_eq!(runs[0].name, "nice-run");
    assert_eq!(runs[0].metrics["loss"].values, [1.0]);
}
