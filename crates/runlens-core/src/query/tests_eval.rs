//! Evaluation tests: which runs of the fixture table each query selects, and `check`.

use super::parse;
use super::tests::table;

/// Rows matched by `text`, checking that `filter` and `matches` agree.
fn rows(text: &str) -> Vec<usize> {
    let t = table();
    let query = parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
    let filtered = query.filter(&t);
    let one_by_one: Vec<usize> = (0..t.len()).filter(|&r| query.matches(&t, r)).collect();
    assert_eq!(
        filtered, one_by_one,
        "{text:?}: filter and matches disagree"
    );
    filtered
}

fn check(text: &str) -> Result<(), String> {
    parse(text)
        .unwrap()
        .check(&table())
        .map_err(|e| e.to_string())
}

#[test]
fn numeric_comparisons() {
    assert_eq!(rows("lr < 0.005"), [0]);
    assert_eq!(rows("lr <= 0.01"), [0, 1]);
    assert_eq!(rows("lr > 0.005"), [1, 3]);
    assert_eq!(rows("lr >= 1"), [3]);
    assert_eq!(rows("lr == 1e-3"), [0]);
    assert_eq!(rows("lr = 1"), [3]);
    assert_eq!(rows("epochs != 10"), [1]);
    assert_eq!(rows("epochs > -1"), [0, 1]);
}

#[test]
fn nan_compares_false_except_not_equal() {
    // Run 2 has lr = NaN.
    assert_eq!(rows("lr > -1000"), [0, 1, 3]);
    assert_eq!(rows("lr == 0.5"), Vec::<usize>::new());
    assert_eq!(rows("lr != 0.5"), [0, 1, 2, 3]);
    assert_eq!(rows("not lr > -1000"), [2]);
    assert_eq!(rows("lr not in [0.001]"), [1, 2, 3]);
    // Run 1's last loss is NaN.
    assert_eq!(rows("metrics.loss < 100"), [0]);
    assert_eq!(rows("metrics.loss != 0.5"), [1]);
    assert_eq!(rows("metrics.loss.max == 3"), [1]);
    // Against text, a number reads as its display form.
    assert_eq!(rows("metrics.loss == NaN"), [1]);
}

#[test]
fn missing_fields_never_match_a_comparison() {
    assert_eq!(rows("group == sweep1"), [0]);
    assert_eq!(rows("group != sweep1"), Vec::<usize>::new());
    assert_eq!(rows("not group == sweep1"), [1, 2, 3]);
    assert_eq!(rows("optimizer !~ 'zzz'"), [0, 1, 2]);
    assert_eq!(rows("team not in [nlp]"), [1]);
    assert_eq!(rows("end_time > 0"), [0, 1]);
    assert_eq!(rows("duration < 1000000"), [0, 1]);
}

#[test]
fn has_tests() {
    assert_eq!(rows("metrics.val/acc"), [0]);
    assert_eq!(rows("val/acc"), [0]);
    assert_eq!(rows("group"), [0]);
    assert_eq!(rows("experiment"), [0, 1]);
    assert_eq!(rows("name"), [0, 1, 2, 3]);
    assert_eq!(rows("start_time"), [0, 1, 2]);
    assert_eq!(rows("duration"), [0, 1]);
    assert_eq!(rows("use_amp"), [0, 1]);
    assert_eq!(rows("team and not tags.seed"), [1]);
    assert_eq!(rows("!eval.loss"), [2, 3]);
}

#[test]
fn unknown_fields_match_nothing_but_their_negation() {
    assert_eq!(rows("nosuch == 1"), Vec::<usize>::new());
    assert_eq!(rows("nosuch"), Vec::<usize>::new());
    assert_eq!(rows("not nosuch"), [0, 1, 2, 3]);
    assert_eq!(rows("nosuch or lr == 1"), [3]);
    assert_eq!(rows("params.team"), Vec::<usize>::new());
}

#[test]
fn text_comparisons() {
    assert_eq!(rows("optimizer == adam"), [0]);
    assert_eq!(rows("optimizer == 'Adam'"), [2]);
    assert_eq!(rows("optimizer != adam"), [1, 2]);
    // Ordering is by code point: "ResNet" sorts before "c".
    assert_eq!(rows("name < c"), [0, 2]);
    assert_eq!(rows("name >= \"gpt\""), [1, 3]);
    assert_eq!(rows("source == mlflow"), [2, 3]);
    assert_eq!(rows("experiment == exp1"), [0, 1]);
    assert_eq!(rows("id == b2 or id == 'd4'"), [1, 3]);
    assert_eq!(rows("name == bert-base"), [0]);
}

#[test]
fn text_that_reads_as_a_number_compares_as_one() {
    // Tag seed is the text "3": numerically 3 < 10, whereas "3" > "10" as text.
    assert_eq!(rows("tags.seed < 10"), [0]);
    assert_eq!(rows("tags.seed == 3.0"), [0]);
    assert_eq!(rows("tags.seed == '3.0'"), Vec::<usize>::new());
    // A quoted number is text: compared with the param's display form.
    assert_eq!(rows("epochs == \"10\""), [0]);
    assert_eq!(rows("team == 3"), Vec::<usize>::new());
    assert_eq!(rows("team != 3"), [0, 1]);
}

#[test]
fn booleans_are_zero_and_one() {
    assert_eq!(rows("use_amp == true"), [0]);
    assert_eq!(rows("use_amp == FALSE"), [1]);
    assert_eq!(rows("use_amp == 1"), [0]);
    assert_eq!(rows("use_amp < 1"), [1]);
    assert_eq!(rows("use_amp == 'true'"), [0]);
}

#[test]
fn status_accepts_bare_words_in_any_case_and_synonyms() {
    assert_eq!(rows("status == failed"), [1]);
    assert_eq!(rows("status == FAILED"), [1]);
    assert_eq!(rows("status = completed"), [0]);
    assert_eq!(rows("status != running"), [0, 1, 3]);
    assert_eq!(rows("status in [running, Killed]"), [2, 3]);
    assert_eq!(rows("status not in [finished]"), [1, 2, 3]);
    assert_eq!(rows("status contains 'ILL'"), [3]);
    // An attribute wins over a param of the same name.
    assert_eq!(rows("params.status == param-status"), [0]);
}

#[test]
fn contains_is_a_case_insensitive_substring() {
    assert_eq!(rows("optimizer contains \"AD\""), [0, 2]);
    assert_eq!(rows("name contains net"), [2]);
    assert_eq!(rows("name contains ''"), [0, 1, 2, 3]);
    assert_eq!(rows("lr contains '0.0'"), [0, 1]);
    assert_eq!(rows("`my key` contains 'X Y'"), [3]);
    assert_eq!(rows("name contains 'É'"), Vec::<usize>::new());
}

#[test]
fn regex_matches() {
    assert_eq!(rows("name ~ '^[a-z]+-'"), [0, 1]);
    assert_eq!(rows("name !~ '^[a-z]+-'"), [2, 3]);
    assert_eq!(rows("name ~ \"(?i)^resnet$\""), [2]);
    assert_eq!(rows("id ~ \"\\d\""), [0, 1, 2, 3]);
    assert_eq!(rows("team =~ 'on$'"), [1]);
}

#[test]
fn in_lists() {
    assert_eq!(rows("optimizer in [adam, sgd]"), [0, 1]);
    assert_eq!(rows("optimizer not in [adam]"), [1, 2]);
    assert_eq!(rows("optimizer in []"), Vec::<usize>::new());
    assert_eq!(rows("optimizer not in []"), [0, 1, 2]);
    assert_eq!(rows("epochs in [5, 7]"), [1]);
    assert_eq!(rows("team in ['nlp', vision]"), [0, 1]);
}

#[test]
fn durations_are_seconds() {
    assert_eq!(rows("duration > 30m"), [0]);
    assert_eq!(rows("duration == 1h"), [0]);
    assert_eq!(rows("duration <= 90s"), [1]);
    assert_eq!(rows("duration in [60, 1d]"), [1]);
    assert_eq!(rows("duration < 0.5h1m"), [1]);
    assert_eq!(rows("start_time >= 2000"), [1, 2]);
}

#[test]
fn metric_keys_with_dots_and_slashes() {
    assert_eq!(rows("metrics.val/acc > 0.7"), [0]);
    assert_eq!(rows("val/acc.min == 0.5"), [0]);
    // `a.b.min` exists as its own key, so it wins over `a.b`'s minimum.
    assert_eq!(rows("metrics.a.b.min == 7"), [2]);
    assert_eq!(rows("metrics.a.b.max == 9"), [2]);
    assert_eq!(rows("metrics.a.b == 9"), [2]);
    assert_eq!(rows("metrics.eval.loss.min < 1.1"), [0]);
    assert_eq!(rows("eval.loss.count == 1"), [1]);
    assert_eq!(rows("metrics.loss.count == 3"), [0]);
    assert_eq!(
        rows("metrics.loss.first_step == 0 and metrics.loss.last_step == 20"),
        [0]
    );
    assert_eq!(rows("metrics.loss.mean == 3"), [1]);
    assert_eq!(rows("metrics.loss.last == 0.5"), [0]);
    assert_eq!(rows("metrics.`weird metric`.max == 4"), [3]);
    assert_eq!(rows("`weird metric`.min == 2"), [3]);
    assert_eq!(rows("`weird metric` == 2"), [3]);
}

#[test]
fn namespaced_and_quoted_fields() {
    assert_eq!(rows("params.`my key` == 'x y'"), [3]);
    assert_eq!(rows("param.lr == 1"), [3]);
    assert_eq!(rows("tags.`odd tag` == v"), [3]);
    assert_eq!(rows("tag.team == vision"), [1]);
    assert_eq!(rows("`name` == weird"), [3]);
    assert_eq!(rows("tags.lr"), Vec::<usize>::new());
}

#[test]
fn precedence_is_or_then_and_then_not() {
    // Read as `running or (finished and lr > 0.005)`.
    assert_eq!(
        rows("status == running or status == finished and lr > 0.005"),
        [2]
    );
    assert_eq!(
        rows("(status == running or status == finished) and lr > 0.005"),
        Vec::<usize>::new()
    );
    assert_eq!(rows("not status == failed and experiment"), [0]);
    assert_eq!(rows("not (status == failed or experiment)"), [2, 3]);
    assert_eq!(rows("!(lr > 0.005) && team || name == weird"), [0, 3]);
    assert_eq!(rows("status == failed AND lr > 0 OR name == weird"), [1, 3]);
    assert_eq!(rows("not not use_amp == true"), [0]);
}

#[test]
fn rows_beyond_the_table_never_match() {
    let t = table();
    let q = parse("not nosuch").unwrap();
    assert!(q.matches(&t, 3));
    assert!(!q.matches(&t, 4));
    assert!(!q.matches(&t, usize::MAX));
}

#[test]
fn check_accepts_known_fields() {
    for text in [
        "lr and name and status and duration",
        "metrics.a.b.max and metrics.a.b.min and val/acc.last",
        "params.`my key` and tags.`odd tag` and `weird metric`.count",
        "eval.loss.mean",
    ] {
        assert_eq!(check(text), Ok(()), "{text}");
    }
}

#[test]
fn check_suggests_close_names() {
    assert_eq!(
        check("lr < 1 and optimzer == adam"),
        Err("unknown field 'optimzer'; did you mean 'optimizer'? (at column 12)".into())
    );
    assert_eq!(
        check("params.lrr > 0"),
        Err("unknown field 'params.lrr'; did you mean 'params.lr'? (at column 1)".into())
    );
    assert_eq!(
        check("metrics.loss.median < 1"),
        Err(
            "unknown field 'metrics.loss.median'; did you mean 'metrics.loss.mean'? (at column 1)"
                .into()
        )
    );
    assert_eq!(
        check("`weird metrc`"),
        Err("unknown field '`weird metrc`'; did you mean '`weird metric`'? (at column 1)".into())
    );
    assert_eq!(
        check("STATUS == failed"),
        Err("unknown field 'STATUS'; did you mean 'status'? (at column 1)".into())
    );
    assert_eq!(
        check("tag.tea == x"),
        Err("unknown field 'tag.tea'; did you mean 'tag.team'? (at column 1)".into())
    );
    assert_eq!(
        check("(name) or opt"),
        Err("unknown field 'opt'; did you mean 'optimizer'? (at column 11)".into())
    );
    assert_eq!(
        check("zzzzzz"),
        Err("unknown field 'zzzzzz': no attribute, param, tag or metric has that name (at column 1)".into())
    );
}

#[test]
fn filter_scales_to_many_rows() {
    use crate::bundle::RunTable;
    use crate::model::{ParamValue, Run, RunStatus};
    let runs: Vec<Run> = (0..20_000)
        .map(|i| {
            let mut run = Run {
                id: format!("r{i}"),
                name: format!("run-{i}"),
                source: "jsonl".into(),
                status: if i % 7 == 0 {
                    RunStatus::Failed
                } else {
                    RunStatus::Finished
                },
                ..Run::default()
            };
            run.params
                .insert("lr".into(), ParamValue::Float(f64::from(i % 100) / 1000.0));
            run.tags.insert("team".into(), format!("t{}", i % 5));
            run
        })
        .collect();
    let t = RunTable::from_runs("big", &runs, &[]);
    let q =
        parse("status == failed and lr < 0.05 and team in [t1, t2] and name ~ '-[0-9]+$'").unwrap();
    let rows = q.filter(&t);
    let expected: Vec<usize> = (0..20_000)
        .filter(|i| i % 7 == 0 && i % 100 < 50 && matches!(i % 5, 1 | 2))
        .collect();
    assert_eq!(rows, expected);
}
