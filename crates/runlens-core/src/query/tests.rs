//! Parser tests: what parses, and where errors point. The shared fixture table lives here.

use std::collections::BTreeMap;

use super::{QueryError, parse};
use crate::bundle::RunTable;
use crate::model::{MetricSeries, ParamValue, Run, RunStatus};

fn series(points: &[f64]) -> MetricSeries {
    let mut s = MetricSeries::default();
    for (step, &value) in points.iter().enumerate() {
        s.push(step as i64 * 10, value, None);
    }
    s
}

fn run(name: &str, id: &str, source: &str, status: RunStatus) -> Run {
    Run {
        id: id.into(),
        name: name.into(),
        source: source.into(),
        status,
        ..Run::default()
    }
}

fn params(pairs: &[(&str, ParamValue)]) -> BTreeMap<String, ParamValue> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// Four runs covering every kind of field, with gaps, NaN and awkward keys.
pub(super) fn table() -> RunTable {
    let mut r0 = run("bert-base", "a1", "jsonl", RunStatus::Finished);
    r0.experiment = Some("exp1".into());
    r0.group = Some("sweep1".into());
    (r0.start_time, r0.end_time) = (Some(1000.0), Some(4600.0));
    r0.params = params(&[
        ("lr", ParamValue::Float(0.001)),
        ("optimizer", ParamValue::Text("adam".into())),
        ("epochs", ParamValue::Int(10)),
        ("use_amp", ParamValue::Bool(true)),
        ("status", ParamValue::Text("param-status".into())),
    ]);
    r0.tags = [("team", "nlp"), ("seed", "3")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    r0.metrics.insert("val/acc".into(), series(&[0.5, 0.8]));
    r0.metrics.insert("loss".into(), series(&[2.0, 1.0, 0.5]));
    r0.metrics.insert("eval.loss".into(), series(&[1.2, 1.0]));

    let mut r1 = run("gpt-small", "b2", "jsonl", RunStatus::Failed);
    r1.experiment = Some("exp1".into());
    (r1.start_time, r1.end_time) = (Some(2000.0), Some(2060.0));
    r1.params = params(&[
        ("lr", ParamValue::Float(0.01)),
        ("optimizer", ParamValue::Text("sgd".into())),
        ("epochs", ParamValue::Int(5)),
        ("use_amp", ParamValue::Bool(false)),
    ]);
    r1.tags.insert("team".into(), "vision".into());
    r1.metrics.insert("loss".into(), series(&[3.0, f64::NAN]));
    r1.metrics.insert("eval.loss".into(), series(&[1.5]));

    let mut r2 = run("ResNet", "c3", "mlflow", RunStatus::Running);
    r2.start_time = Some(3000.0);
    r2.params = params(&[
        ("lr", ParamValue::Float(f64::NAN)),
        ("optimizer", ParamValue::Text("Adam".into())),
    ]);
    r2.metrics.insert("a.b.min".into(), series(&[7.0]));
    r2.metrics.insert("a.b".into(), series(&[1.0, 9.0]));

    let mut r3 = run("weird", "d4", "mlflow", RunStatus::Killed);
    r3.params = params(&[
        ("my key", ParamValue::Text("x y".into())),
        ("lr", ParamValue::Int(1)),
    ]);
    r3.tags.insert("odd tag".into(), "v".into());
    r3.metrics
        .insert("weird metric".into(), series(&[4.0, 2.0]));

    RunTable::from_runs("test", &[r0, r1, r2, r3], &[])
}

/// Parses `text`, expecting an error; returns (message, position).
fn error(text: &str) -> (String, usize) {
    match parse(text) {
        Ok(query) => panic!("{text:?} parsed as {query:?}"),
        Err(e) => {
            assert_eq!(e.column, e.position + 1);
            (e.message, e.position)
        }
    }
}

fn assert_error(text: &str, message_part: &str, position: usize) {
    let (message, at) = error(text);
    assert!(
        message.contains(message_part),
        "{text:?}: message {message:?} lacks {message_part:?}"
    );
    assert_eq!(at, position, "{text:?}: {message}");
}

#[test]
fn empty_and_blank_queries_match_everything() {
    let t = table();
    for text in ["", "   ", "\t\n"] {
        let q = parse(text).unwrap();
        assert!(q.is_empty());
        assert_eq!(q.filter(&t), vec![0, 1, 2, 3]);
        assert!(q.matches(&t, 3));
        assert!(!q.matches(&t, 4));
        assert_eq!(q.check(&t), Ok(()));
    }
    assert!(!parse("lr").unwrap().is_empty());
}

#[test]
fn accepts_the_documented_forms() {
    for text in [
        "lr < 1e-3",
        "lr<=.5 && epochs>=-2",
        "lr = 0.1 || !use_amp",
        "status == failed",
        "optimizer in [adam, 'sgd', \"rms prop\",]",
        "optimizer not in []",
        "name contains bert",
        "name ~ \"^b\\d+\" and name !~ 'x' and name =~ y",
        "metrics.val/acc",
        "params.`my key` == 'x' and `weird key` and metrics.`a b`.max > 1",
        "duration > 1h30m or duration < -90s",
        "NOT (a Or b) AnD c",
        "x == true or y != FALSE",
        "id == 3f9a2c and name == 2024-01-01",
        "tag.team == nlp and param.lr > 1E+3",
    ] {
        if let Err(e) = parse(text) {
            panic!("{text:?}: {e}");
        }
    }
}

#[test]
fn missing_values_point_after_the_operator() {
    assert_error(
        "lr <",
        "expected a value after '<', found the end of the query",
        4,
    );
    assert_error("lr < and x", "expected a value after '<', found 'and'", 5);
    assert_error("name contains", "expected a value after 'contains'", 13);
    assert_error("name ~ )", "expected a value after '~', found ')'", 7);
    assert_error("a in [1, <]", "expected a value or ']' in the list", 9);
}

#[test]
fn unclosed_brackets_and_strings_are_reported() {
    assert_error("(lr < 1", "expected ')' to close the '(' at column 1", 7);
    assert_error("(a or (b)", "expected ')' to close the '(' at column 1", 9);
    assert_error(
        "a in [1, 2",
        "expected ',' or ']' in the list opened at column 6",
        10,
    );
    assert_error("a in [1 2]", "expected ',' or ']'", 8);
    assert_error("a in 1", "expected '[' after 'in', found '1'", 5);
    assert_error("name == \"abc", "unterminated string", 8);
    assert_error("name == 'abc\\'", "unterminated string", 8);
    assert_error("`weird key == 1", "unterminated back-quoted name", 0);
}

#[test]
fn stray_tokens_are_reported_where_they_are() {
    assert_error("lr @ 1", "unexpected character '@'", 3);
    assert_error("lr 0.1", "expected an operator after 'lr'", 3);
    assert_error("a b", "expected an operator after 'a'", 2);
    assert_error("a == 1 b", "unexpected 'b'; expected 'and', 'or'", 7);
    assert_error(
        "a and",
        "expected a condition after 'and', found the end",
        5,
    );
    assert_error(
        "a or or b",
        "expected a condition after 'or', found 'or'",
        5,
    );
    assert_error(")", "expected a condition, found ')'", 0);
    assert_error("a)", "unmatched ')'", 1);
    assert_error("()", "expected a condition after '(', found ')'", 1);
    assert_error("not", "expected a condition after 'not'", 3);
    assert_error("a not b", "expected 'in' after 'a not', found 'b'", 6);
    assert_error("a & b", "did you mean '&&'", 2);
    assert_error("a | b", "did you mean '||'", 2);
    assert_error("== 1", "expected a condition, found '=='", 0);
    assert_error("1 == lr", "expected a condition, found '1'", 0);
    assert_error("lr == `x`", "back-quotes name a field", 6);
}

#[test]
fn field_name_errors() {
    assert_error("params. == 1", "expected a key after 'params.'", 7);
    assert_error(
        "metrics.`a`.median > 1",
        "unknown metric summary '.median'",
        0,
    );
    assert_error("x`a` == 1", "malformed field name", 0);
    assert_error("tags.`a`.min > 1", "malformed field name", 0);
}

#[test]
fn invalid_regex_points_at_the_pattern() {
    assert_error("name ~ \"(\"", "invalid regular expression", 7);
    assert_error("name !~ 'a[' or x", "invalid regular expression", 8);
}

#[test]
fn positions_count_chars_not_bytes() {
    assert_error("név == \"x", "unterminated string", 7);
    assert_error("été <", "expected a value after '<'", 5);
}

#[test]
fn error_display_names_the_column() {
    let e = parse("lr <").unwrap_err();
    assert_eq!(
        e,
        QueryError {
            message: "expected a value after '<', found the end of the query".into(),
            position: 4,
            column: 5,
        }
    );
    assert_eq!(
        e.to_string(),
        "expected a value after '<', found the end of the query (at column 5)"
    );
}

#[test]
fn nesting_is_bounded() {
    let ok = format!("{}a{}", "(".repeat(60), ")".repeat(60));
    assert!(parse(&ok).is_ok());
    let deep = format!("{}a{}", "(".repeat(100_000), ")".repeat(100_000));
    assert!(error(&deep).0.contains("nests too deeply"));
    let nots = format!("{}a", "not ".repeat(1000));
    assert!(error(&nots).0.contains("nests too deeply"));
    let long_chain = vec!["a == 1"; 10_000].join(" or ");
    assert_eq!(
        parse(&long_chain).unwrap().filter(&table()),
        Vec::<usize>::new()
    );
}

mod never_panics {
    use proptest::prelude::*;

    use super::{parse, table};

    proptest! {
        #[test]
        fn on_arbitrary_text(text in "\\PC{0,40}") {
            if let Ok(q) = parse(&text) {
                let t = table();
                let rows = q.filter(&t);
                let _ = q.check(&t);
                for row in 0..5 {
                    prop_assert_eq!(q.matches(&t, row), rows.contains(&row));
                }
            }
        }

        #[test]
        fn on_query_like_text(
            parts in prop::collection::vec(
                prop::sample::select(vec![
                    "lr", "name", "metrics.loss.min", "`my key`", "(", ")", "[", "]", ",", "and",
                    "or", "not", "!", "in", "contains", "~", "!~", "==", "<", ">=", "!=", "1",
                    "-2.5", "1h", "'a'", "\"b\\\"", "true", "adam", "status", "failed", "3f",
                ]),
                0..12,
            )
        ) {
            let text = parts.join(" ");
            if let Ok(q) = parse(&text) {
                let t = table();
                let rows = q.filter(&t);
                for row in 0..4 {
                    prop_assert_eq!(q.matches(&t, row), rows.contains(&row));
                }
            }
        }
    }
}
