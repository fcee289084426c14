//! Unit tests of the JSONL reader.

use runlens_core::{ParamValue, RunStatus};

use super::JsonlReader;
use crate::test_support::{claims, read_bytes, read_text};

#[test]
fn reads_every_record_type_in_any_order() {
    let text = r#"{"type":"metrics","run":"r1","step":0,"time":1700000000.5,"values":{"loss":1.0,"acc":0.1}}
{"type":"metrics","run":"r1","step":10,"time":"2023-11-14T22:13:30Z","values":{"loss":0.5}}
{"type":"run","run":"r1","name":"first","experiment":"cifar","group":"sweep-1","status":"COMPLETED","start_time":"2023-11-14T22:13:20Z","end_time":1700000100}
{"type":"params","run":"r1","params":{"lr":0.001,"optimizer":"adam","epochs":50,"augment":true,"layers":[256,128],"nested":{"a":1}}}
{"type":"tags","run":"r1","tags":{"team":"vision","priority":3}}
{"type":"metrics","run":"r2","values":{"loss":2.0}}
"#;
    let read = read_text(&JsonlReader, "log.jsonl", text);
    assert_eq!(read.warnings, Vec::<String>::new());
    assert_eq!(read.ids(), ["r1", "r2"]);
    let r1 = read.run("r1");
    assert_eq!(r1.name, "first");
    assert_eq!(r1.experiment.as_deref(), Some("cifar"));
    assert_eq!(r1.group.as_deref(), Some("sweep-1"));
    assert_eq!(r1.status, RunStatus::Finished);
    assert_eq!(r1.start_time, Some(1_700_000_000.0));
    assert_eq!(r1.end_time, Some(1_700_000_100.0));
    assert_eq!(r1.params["lr"], ParamValue::Float(0.001));
    assert_eq!(r1.params["optimizer"], ParamValue::Text("adam".into()));
    assert_eq!(r1.params["epochs"], ParamValue::Int(50));
    assert_eq!(r1.params["augment"], ParamValue::Bool(true));
    assert_eq!(r1.params["layers"], ParamValue::Text("[256,128]".into()));
    assert_eq!(r1.params["nested.a"], ParamValue::Int(1));
    assert_eq!(r1.tags["team"], "vision");
    assert_eq!(r1.tags["priority"], "3");
    let loss = &r1.metrics["loss"];
    assert_eq!(loss.steps, [0, 10]);
    assert_eq!(loss.values, [1.0, 0.5]);
    assert_eq!(loss.times, Some(vec![1_700_000_000.5, 1_700_000_010.0]));
    assert_eq!(r1.metrics["acc"].values, [0.1]);
    // A run seen only in metrics lines exists, named by its id.
    let r2 = read.run("r2");
    assert_eq!((r2.name.as_str(), r2.status), ("r2", RunStatus::Unknown));
    assert_eq!(r2.metrics["loss"].steps, [0]);
    assert_eq!(r2.metrics["loss"].times, None);
}

#[test]
fn missing_steps_continue_per_key() {
    let text = r#"{"type":"metrics","run":"r","values":{"a":1}}
{"type":"metrics","run":"r","values":{"a":2,"b":1}}
{"type":"metrics","run":"r","step":10,"values":{"b":2}}
{"type":"metrics","run":"r","values":{"a":3,"b":3}}
"#;
    let read = read_text(&JsonlReader, "s.jsonl", text);
    let run = read.run("r");
    assert_eq!(run.metrics["a"].steps, [0, 1, 2]);
    assert_eq!(run.metrics["b"].steps, [0, 10, 11]);
}

#[test]
fn non_finite_values_survive_as_tokens_and_strings() {
    let text = r#"{"type":"metrics","run":"r","step":0,"values":{"a":NaN,"b":Infinity,"c":-Infinity}}
{"type":"metrics","run":"r","step":1,"values":{"a":"nan","b":"inf","c":"-Infinity"}}
{"type":"params","run":"r","params":{"clip":Infinity,"text":"NaN"}}
"#;
    let read = read_text(&JsonlReader, "nf.jsonl", text);
    assert_eq!(read.warnings, Vec::<String>::new());
    let run = read.run("r");
    assert!(run.metrics["a"].values.iter().all(|v| v.is_nan()));
    assert_eq!(run.metrics["b"].values, [f64::INFINITY; 2]);
    assert_eq!(run.metrics["c"].values, [f64::NEG_INFINITY; 2]);
    assert_eq!(run.params["clip"], ParamValue::Float(f64::INFINITY));
    assert_eq!(run.params["text"], ParamValue::Text("NaN".into()));
}

#[test]
fn malformed_lines_are_named_and_the_rest_is_read() {
    let text = concat!(
        "{\"type\":\"metrics\",\"run\":\"r\",\"step\":0,\"values\":{\"loss\":2.0}}\n",
        "{\"type\":\"metrics\",\"run\":\"r\",\"step\":1,\"values\":{\"loss\":1.5}\n",
        "this is not json\n",
        "\n",
        "[1, 2]\n",
        "{\"type\":\"metric\",\"run\":\"r\"}\n",
        "{\"type\":\"params\",\"params\":{\"lr\":1}}\n",
        "{\"type\":\"params\",\"run\":\"r\",\"params\":[1]}\n",
        "{\"type\":\"metrics\",\"run\":\"r\",\"step\":1.5,\"values\":{\"loss\":9}}\n",
        "{\"type\":\"metrics\",\"run\":\"r\",\"step\":3,\"values\":{\"loss\":1.0,\"acc\":\"high\",\"f1\":null},\"epoch\":1}\n",
        "{\"type\":\"run\",\"run\":\"r\",\"status\":\"exploded\",\"start_time\":\"yesterday\",\"name\":\"ok\"}\n",
        "{\"type\":\"metrics\",\"run\":\"ghost\",\"step\":\"x\",\"values\":{}}\n",
        "{\"type\":\"metrics\",\"run\":\"r\",\"st",
    );
    let read = read_text(&JsonlReader, "bad.jsonl", text);
    assert_eq!(
        read.warnings,
        [
            "bad.jsonl:2: malformed JSON: EOF while parsing an object at column 58; line skipped",
            "bad.jsonl:3: not a JSON object (the line does not start with `{`); line skipped",
            "bad.jsonl:5: expected a JSON object, found an array; line skipped",
            "bad.jsonl:6: unknown record type `metric` (expected run, params, tags or metrics); line skipped",
            "bad.jsonl:7: no `run` field; line skipped",
            "bad.jsonl:8: `params` is an array, not an object; line skipped",
            "bad.jsonl:9: `step` is 1.5, not a whole number; line skipped",
            "bad.jsonl:10: metric `acc`: \"high\" is not a number; value skipped",
            "bad.jsonl:10: metric `f1`: null is not a number; value skipped",
            "bad.jsonl:10: unknown field `epoch` in a metrics record ignored",
            "bad.jsonl:11: `start_time` `yesterday` is neither epoch seconds nor an ISO 8601 date-time; field ignored",
            "bad.jsonl:11: `status` \"exploded\" is not a known status (finished, failed, running, killed); field ignored",
            "bad.jsonl:12: `step` is \"x\", not a whole number; line skipped",
            "bad.jsonl:13: truncated record: the file ends before the JSON object is complete (EOF while parsing a string at column 31); line skipped",
        ]
    );
    // The skipped lines changed nothing: no run `ghost`, no point at step 1 or 1.5.
    assert_eq!(read.ids(), ["r"]);
    let run = read.run("r");
    assert_eq!(run.name, "ok");
    assert_eq!(run.status, RunStatus::Unknown);
    assert_eq!(run.metrics["loss"].steps, [0, 3]);
    assert_eq!(run.metrics["loss"].values, [2.0, 1.0]);
    assert!(!run.metrics.contains_key("acc"));
    assert!(run.params.is_empty());
}

#[test]
fn bom_crlf_and_invalid_utf8_are_handled_per_line() {
    let mut bytes =
        b"\xEF\xBB\xBF{\"type\":\"metrics\",\"run\":\"r\",\"step\":0,\"values\":{\"x\":1}}\r\n"
            .to_vec();
    bytes.extend_from_slice(b"{\"type\":\"tags\",\"run\":\"r\",\"tags\":{\"k\":\"\xFF\"}}\r\n");
    bytes.extend_from_slice(
        b"{\"type\":\"metrics\",\"run\":\"r\",\"step\":1,\"values\":{\"x\":2}}\r\n",
    );
    let read = read_bytes(&JsonlReader, "w.jsonl", &bytes);
    assert_eq!(read.warnings, ["w.jsonl:2: not valid UTF-8; line skipped"]);
    assert_eq!(read.run("r").metrics["x"].values, [1.0, 2.0]);
}

#[test]
fn thousands_of_bad_lines_give_twenty_warnings_and_a_count() {
    let mut text = String::from("{\"type\":\"metrics\",\"run\":\"r\",\"values\":{\"x\":1}}\n");
    for _ in 0..1000 {
        text.push_str("garbage\n");
    }
    let read = read_text(&JsonlReader, "many.jsonl", &text);
    assert_eq!(read.warnings.len(), 21);
    assert!(read.warnings[0].starts_with("many.jsonl:2: not a JSON object"));
    assert!(read.warnings[19].starts_with("many.jsonl:21: not a JSON object"));
    assert_eq!(
        read.warnings[20],
        "many.jsonl: 1000 problems in all; only the first 20 (by line) are listed, 980 more are not"
    );
    assert_eq!(read.run("r").metrics["x"].len(), 1);
}

#[test]
fn claims_by_extension_or_by_a_first_line_of_ours() {
    let ours = br#"{"type":"run","run":"a"}"#;
    assert!(claims(&JsonlReader, "x.jsonl", b"anything"));
    assert!(claims(&JsonlReader, "x.NDJSON", b""));
    assert!(claims(&JsonlReader, "events.log", ours));
    assert!(claims(
        &JsonlReader,
        "events",
        br#"{"type":"metrics","run":"a","values":{"x":NaN}}"#
    ));
    assert!(!claims(&JsonlReader, "x.json", ours));
    assert!(!claims(&JsonlReader, "x.csv", ours));
    assert!(!claims(&JsonlReader, "notes.txt", br#"{"type":"note"}"#));
    assert!(!claims(&JsonlReader, "model.bin", b"\x00\x01\x02"));
}

/// Random JSON-ish lines (fixed seed): no input panics.
#[test]
fn random_input_never_panics() {
    let pieces = [
        "{",
        "}",
        "[",
        "]",
        ":",
        ",",
        "\"",
        "\\",
        "\"type\"",
        "\"run\"",
        "\"metrics\"",
        "\"values\"",
        "\"step\"",
        "NaN",
        "-Infinity",
        "1e400",
        "-0",
        "é",
        "\n",
        "null",
        "{\"a\":",
    ];
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..400 {
        let mut text = String::from(
            "{\"type\":\"metrics\",\"run\":\"r\",\"values\":{\"x\":1}}\n{\"type\":\"metrics\",",
        );
        for _ in 0..(next() % 30) {
            text.push_str(pieces[(next() % pieces.len() as u64) as usize]);
        }
        let read = read_text(&JsonlReader, "f.jsonl", &text);
        assert_eq!(read.run("r").metrics["x"].values[0], 1.0);
    }
}
