//! Unit tests of the runs-table and long-form metrics CSV readers.

use std::path::Path;

use runlens_core::{ParamValue, RunStatus};

use super::{MetricsCsvReader, RunsCsvReader};
use crate::reader::{Entry, EntryKind, Reader};
use crate::test_support::{claims, read_bytes, read_text};

#[test]
fn runs_table_with_prefixes_reserved_columns_and_quotes() {
    let text = "\u{feff}name,experiment,group,status,start_time,end_time,params.lr,param.optimizer,batch,metrics.val/acc,metric.loss,tags.note,tag.team\n\
                a,cifar,g1,finished,1700000000,2023-11-14T23:13:20Z,0.001,adam,64,0.91,0.3,\"hello, world\",vision\n\
                b,cifar,,FAILED,,,1e-2,sgd,,nan,-inf,,\n";
    let read = read_text(&RunsCsvReader, "runs.csv", text);
    assert_eq!(read.warnings, Vec::<String>::new());
    assert_eq!(read.ids(), ["a", "b"]);
    let a = read.run("a");
    assert_eq!(a.name, "a");
    assert_eq!(a.experiment.as_deref(), Some("cifar"));
    assert_eq!(a.group.as_deref(), Some("g1"));
    assert_eq!(a.status, RunStatus::Finished);
    assert_eq!(a.start_time, Some(1_700_000_000.0));
    assert_eq!(a.end_time, Some(1_700_003_600.0));
    assert_eq!(a.params["lr"], ParamValue::Float(0.001));
    assert_eq!(a.params["optimizer"], ParamValue::Text("adam".into()));
    assert_eq!(a.params["batch"], ParamValue::Int(64));
    assert_eq!(a.metrics["val/acc"].steps, [0]);
    assert_eq!(a.metrics["val/acc"].values, [0.91]);
    assert_eq!(a.tags["note"], "hello, world");
    assert_eq!(a.tags["team"], "vision");
    let b = read.run("b");
    assert_eq!(b.status, RunStatus::Failed);
    assert_eq!(b.group, None);
    assert_eq!(b.start_time, None);
    assert!(!b.params.contains_key("batch"), "an empty cell is absent");
    assert!(b.metrics["val/acc"].values[0].is_nan());
    assert_eq!(b.metrics["loss"].values, [f64::NEG_INFINITY]);
    assert!(b.tags.is_empty());
}

#[test]
fn mlflow_search_runs_export_is_a_runs_table() {
    // `mlflow.search_runs(...).to_csv("runs.csv")`: pandas writes its index first, unnamed.
    let text = ",run_id,experiment_id,status,artifact_uri,start_time,end_time,metrics.loss,params.lr,tags.mlflow.runName,tags.mlflow.source.type\n\
                0,3f2a,7,FINISHED,file:///m/7/3f2a/artifacts,2024-05-01 12:34:56.789000+00:00,2024-05-01 12:44:56.789000+00:00,0.25,0.01,calm-owl-12,LOCAL\n\
                1,9c1d,7,RUNNING,file:///m/7/9c1d/artifacts,2024-05-01 13:00:00+00:00,,,0.1,brave-fox-3,LOCAL\n";
    let read = read_text(&RunsCsvReader, "runs.csv", text);
    assert_eq!(read.warnings, Vec::<String>::new());
    assert_eq!(read.ids(), ["3f2a", "9c1d"]);
    let run = read.run("3f2a");
    assert_eq!(run.name, "calm-owl-12");
    assert_eq!(run.experiment.as_deref(), Some("7"));
    assert_eq!(run.status, RunStatus::Finished);
    assert_eq!(run.start_time, Some(1_714_566_896.789));
    assert_eq!(run.end_time, Some(1_714_567_496.789));
    assert_eq!(run.tags["artifact_uri"], "file:///m/7/3f2a/artifacts");
    assert_eq!(run.tags["mlflow.source.type"], "LOCAL");
    assert_eq!(
        run.params.keys().collect::<Vec<_>>(),
        ["lr"],
        "the index is not a param"
    );
    let running = read.run("9c1d");
    assert_eq!(running.status, RunStatus::Running);
    assert!(running.metrics.is_empty());
}

#[test]
fn runs_table_problems_are_warned_per_row() {
    let text = "run_id,name,status,start_time,metrics.acc,lr,lr\n\
                r1,one,done,yesterday,0.5,1,2\n\
                r2,two,exploded,,high,3\n\
                \n\
                r1,again,finished,,0.7,4,5,6\n";
    let read = read_text(&RunsCsvReader, "bad.csv", text);
    assert_eq!(
        read.warnings,
        [
            "bad.csv: column 7 `lr` repeats an earlier column's name; it is ignored",
            "bad.csv:2: `start_time`: `yesterday` is neither epoch seconds nor an ISO 8601 date-time; left empty",
            "bad.csv:3: metric `acc`: `high` is not a number; cell skipped",
            "bad.csv:3: status `exploded` is not a known status (finished, failed, running, killed); left unknown",
            "bad.csv:3: the row has 6 field(s) but the header has 7; the missing cells are empty",
            "bad.csv:5: run id `r1` was already used on line 2; the rows are merged into one run",
            "bad.csv:5: the row has 8 field(s) but the header has 7; the extra cells are ignored",
        ]
    );
    // Both r1 rows come out (merged later by `read_sources`); r2 kept what was readable.
    assert_eq!(read.ids(), ["r1", "r1", "r2"]);
    let r2 = read.run("r2");
    assert_eq!(r2.params["lr"], ParamValue::Int(3));
    assert_eq!(r2.status, RunStatus::Unknown);
    assert!(r2.metrics.is_empty());
}

#[test]
fn ids_fall_back_to_names_then_to_the_row() {
    let read = read_text(
        &RunsCsvReader,
        "n.csv",
        "name,lr\nbase,1\nbase,2\nother,3\n",
    );
    assert_eq!(read.ids(), ["base", "base:3", "other"]);
    assert_eq!(read.run("base:3").name, "base");

    let read = read_text(&RunsCsvReader, "p.csv", "params.lr,metrics.acc\n0.1,0.5\n");
    assert_eq!(read.runs.len(), 1);
    assert!(read.runs[0].id.ends_with("p.csv:2"), "{}", read.runs[0].id);
}

#[test]
fn an_unterminated_quote_skips_only_the_rest_of_the_file() {
    let text = "name,note\na,\"fine, quoted\"\nb,\"never closed\nc,x\n";
    let read = read_text(&RunsCsvReader, "q.csv", text);
    assert_eq!(
        read.warnings,
        ["q.csv:3: a quoted field is never closed; this row and the rest of the file are skipped"]
    );
    assert_eq!(read.ids(), ["a"]);
    assert_eq!(
        read.run("a").params["note"],
        ParamValue::Text("fine, quoted".into())
    );
}

#[test]
fn empty_and_header_only_files() {
    let read = read_text(&RunsCsvReader, "e.csv", "");
    assert_eq!(
        read.warnings,
        ["e.csv: empty file, no header; nothing read"]
    );
    assert!(read.runs.is_empty() && read.error.is_none());
    let read = read_text(&RunsCsvReader, "h.csv", "name,lr\n");
    assert!(read.warnings.is_empty() && read.runs.is_empty());
    let read = read_text(&MetricsCsvReader, "h.csv", "run,step,key,value\r\n");
    assert!(read.warnings.is_empty() && read.runs.is_empty());
}

#[test]
fn invalid_utf8_is_read_lossily_with_a_warning() {
    let read = read_bytes(&RunsCsvReader, "u.csv", b"name,note\na,caf\xE9\n");
    assert_eq!(
        read.warnings,
        ["u.csv: not valid UTF-8; the invalid bytes are read as U+FFFD (\u{FFFD})"]
    );
    assert_eq!(
        read.run("a").params["note"],
        ParamValue::Text("caf\u{FFFD}".into())
    );
}

#[test]
fn long_form_metrics_are_grouped_by_run_and_key() {
    let text = "experiment,run,step,metric,value,timestamp\n\
                ft,b,0,loss,2.0,1700000000\n\
                ft,a,0,loss,1.0,2023-11-14T22:13:21Z\n\
                ft,a,1,loss,NaN,\n\
                ft,a,0,acc,0.5,\n\
                ft,b,1.0,loss,inf,1700000002\n\
                other,a,5,loss,0.1,\n";
    let read = read_text(&MetricsCsvReader, "m.csv", text);
    assert_eq!(read.warnings, Vec::<String>::new());
    assert_eq!(read.ids(), ["a", "a", "b"]);
    let a = read
        .runs
        .iter()
        .find(|r| r.id == "a" && r.experiment.as_deref() == Some("ft"))
        .unwrap();
    assert_eq!(a.name, "a");
    let loss = &a.metrics["loss"];
    assert_eq!(loss.steps, [0, 1]);
    assert_eq!(loss.values[0], 1.0);
    assert!(loss.values[1].is_nan());
    let times = loss.times.as_ref().unwrap();
    assert_eq!(times[0], 1_700_000_001.0);
    assert!(times[1].is_nan());
    assert_eq!(a.metrics["acc"].values, [0.5]);
    let b = read.run("b");
    assert_eq!(b.metrics["loss"].steps, [0, 1]);
    assert_eq!(b.metrics["loss"].values, [2.0, f64::INFINITY]);
    let other = read
        .runs
        .iter()
        .find(|r| r.experiment.as_deref() == Some("other"))
        .unwrap();
    assert_eq!(other.metrics["loss"].steps, [5]);
}

#[test]
fn long_form_bad_rows_are_named_and_skipped() {
    let text = "run,step,key,value,time,note\n\
                r,0,loss,1.0,,x\n\
                ,1,loss,0.9,,\n\
                r,two,loss,0.8,,\n\
                r,3,loss,abc,,\n\
                r,4,loss,,,\n\
                r,5,,0.5,,\n\
                r,6,loss,0.4,soon,\n\
                r,7,loss,0.3\n";
    let read = read_text(&MetricsCsvReader, "m.csv", text);
    assert_eq!(
        read.warnings,
        [
            "m.csv: column `note` is not part of the long-form layout (run, step, key, value, time, experiment); it is ignored",
            "m.csv:3: the `run` cell is empty; row skipped",
            "m.csv:4: step `two` is not a whole number; row skipped",
            "m.csv:5: value `abc` is not a number; row skipped",
            "m.csv:6: the `value` cell is empty; row skipped",
            "m.csv:7: the `key` cell is empty; row skipped",
            "m.csv:8: time `soon` is neither epoch seconds nor an ISO 8601 date-time; the point has no time",
            "m.csv:9: the row has 4 field(s) but the header has 6; the missing cells are empty",
        ]
    );
    let run = read.run("r");
    assert_eq!(run.metrics["loss"].steps, [0, 6, 7]);
    assert_eq!(run.metrics["loss"].values, [1.0, 0.4, 0.3]);
}

#[test]
fn long_form_without_a_required_column_is_skipped_with_its_name() {
    let read = read_text(
        &MetricsCsvReader,
        "no-value.csv",
        "run,step,key\nr1,0,loss\n",
    );
    assert_eq!(
        read.warnings,
        [
            "no-value.csv: long-form metrics file without a `value` column (it needs run, step, key, value); file skipped"
        ]
    );
    assert!(read.runs.is_empty());
}

#[test]
fn tsv_and_blank_lines_keep_row_numbers() {
    let text = "run\tstep\tkey\tvalue\nr\t0\tx\t1\n\n\nr\tone\tx\t2\nr\t2\tx\t3\n\n";
    let read = read_text(&MetricsCsvReader, "m.tsv", text);
    assert_eq!(
        read.warnings,
        ["m.tsv:5: step `one` is not a whole number; row skipped"]
    );
    assert_eq!(read.run("r").metrics["x"].steps, [0, 2]);
}

#[test]
fn the_header_decides_the_reader() {
    let long = b"run,step,key,value\n";
    let runs = b"run_id,params.lr\n";
    let dataset = b"sepal_length,species\n";
    assert!(claims(&MetricsCsvReader, "a.csv", long));
    assert!(!claims(&RunsCsvReader, "a.csv", long));
    assert!(
        claims(&MetricsCsvReader, "a.csv", b"run,step,key\n"),
        "claimed, then warned about"
    );
    assert!(claims(&MetricsCsvReader, "a.TSV", b"metric\tvalue\n"));
    assert!(claims(&RunsCsvReader, "a.csv", runs));
    assert!(claims(&RunsCsvReader, "a.csv", b"Name,lr\n"));
    assert!(
        claims(&RunsCsvReader, "a.csv", b""),
        "empty: read, then warned about"
    );
    assert!(!claims(&MetricsCsvReader, "a.csv", runs));
    assert!(!claims(&RunsCsvReader, "a.txt", runs));
    // A data set found in a walk is left alone; named by the user it is read as a table.
    assert!(!claims(&RunsCsvReader, "iris.csv", dataset));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("results.csv");
    std::fs::write(&path, dataset).unwrap();
    let entry = Entry::new(Path::new(&path), EntryKind::File).explicit(true);
    assert!(RunsCsvReader.claims(&entry));
    assert!(!RunsCsvReader.claims(&Entry::new(dir.path(), EntryKind::Dir)));
}

/// Random CSV-ish bytes (a fixed-seed generator, so failures reproduce): no input panics,
/// no file is given up as a whole, and every row warning names a line inside the file.
#[test]
fn random_input_never_panics() {
    let alphabet: &[u8] = b",,,\"\"\n\n\r\t ab1.-e\xC3\xA9\xFF";
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let headers: [&[u8]; 3] = [
        b"run,step,key,value\n",
        b"name,params.lr,metrics.acc\n",
        b"",
    ];
    for case in 0..600 {
        let mut bytes = headers[case % 3].to_vec();
        let len = (next() % 80) as usize;
        bytes.extend((0..len).map(|_| alphabet[(next() % alphabet.len() as u64) as usize]));
        let lines = bytes.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        for reader in [&MetricsCsvReader as &dyn Reader, &RunsCsvReader] {
            let read = read_bytes(reader, "f.csv", &bytes);
            assert_eq!(read.error, None, "{bytes:?}");
            for warning in &read.warnings {
                if let Some(line) = warning
                    .strip_prefix("f.csv:")
                    .and_then(|rest| rest.split(':').next())
                    .and_then(|n| n.parse::<u64>().ok())
                {
                    assert!((1..=lines).contains(&line), "{warning} in {bytes:?}");
                }
            }
        }
    }
}
#[test]
fn stray_quotes_inside_fields_are_text_not_a_lost_file() {
    // Polars refuses these; the scan reads them the way Python's csv module does.
    let text = "name,note,metrics.acc\na,5\" screen,0.5\nb,\"q\"x,0.6,extra\n\nc,\"x, y\",nan\n";
    let read = read_text(&RunsCsvReader, "s.csv", text);
    assert_eq!(
        read.warnings,
        ["s.csv:3: the row has 4 field(s) but the header has 3; the extra cells are ignored"]
    );
    assert_eq!(read.ids(), ["a", "b", "c"]);
    assert_eq!(
        read.run("a").params["note"],
        ParamValue::Text("5\" screen".into())
    );
    assert_eq!(read.run("b").params["note"], ParamValue::Text("qx".into()));
    assert_eq!(read.run("b").metrics["acc"].values, [0.6]);
    assert_eq!(
        read.run("c").params["note"],
        ParamValue::Text("x, y".into())
    );
    let read = read_text(
        &MetricsCsvReader,
        "m.csv",
        "run,step,key,value\n7\" run,0,x,1\nr,zero,x,2\n",
    );
    assert_eq!(
        read.warnings,
        ["m.csv:3: step `zero` is not a whole number; row skipped"]
    );
    assert_eq!(read.run("7\" run").metrics["x"].values, [1.0]);
}
