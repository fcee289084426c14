//! Tests of grouping: keys, labels, group order, folding small groups.

use super::*;
use crate::model::Run;

/// Five runs: lr 0.1, 10, -, 2.0, 0.1; team nlp, -, cv, nlp, audio; and so on.
fn table() -> RunTable {
    let lrs: Vec<&str> = "0.1|10||2.0|0.1".split('|').collect();
    let teams: Vec<&str> = "nlp||cv|nlp|audio".split('|').collect();
    let statuses: Vec<&str> = "failed finished failed running finished"
        .split(' ')
        .collect();
    let runs: Vec<Run> = (0..5)
        .map(|i| {
            let mut run = Run {
                id: format!("r{i}"),
                source: if i < 2 { "csv" } else { "jsonl" }.into(),
                experiment: (i != 4).then(|| format!("exp{}", i % 2)),
                status: RunStatus::parse_lenient(statuses[i]).unwrap_or_default(),
                ..Run::default()
            };
            if !lrs[i].is_empty() {
                run.params.insert("lr".into(), ParamValue::infer(lrs[i]));
            }
            let opt = ParamValue::Text(["b", "a"][i % 2].into());
            run.params.insert("opt".into(), opt);
            if !teams[i].is_empty() {
                run.tags.insert("team".into(), teams[i].into());
            }
            run
        })
        .collect();
    RunTable::from_runs("t", &runs, &[])
}

fn labels(groups: &[Group]) -> Vec<&str> {
    groups.iter().map(|g| g.label.as_str()).collect()
}

fn none(rows: &[usize]) -> Group {
    Group {
        label: NONE_LABEL.into(),
        rows: rows.to_vec(),
    }
}

fn param(key: &str) -> GroupKey {
    GroupKey::Param(key.into())
}

fn tag(key: &str) -> GroupKey {
    GroupKey::Tag(key.into())
}

#[test]
fn each_row_knows_its_group() {
    let groups = vec![
        Group {
            label: "a".into(),
            rows: vec![3, 0],
        },
        Group {
            label: "b".into(),
            rows: vec![1, 9],
        },
    ];
    assert_eq!(
        group_of_rows(&groups, 5),
        [Some(0), Some(1), None, Some(0), None],
        "row 9 is beyond the table and ignored"
    );
    assert!(group_of_rows(&[], 2).iter().all(Option::is_none));
}

#[test]
fn several_keys_split_each_group_in_turn_and_small_groups_fold() {
    let t = table();
    let groups = group_rows_by(&t, &[0, 1, 2, 3, 4], &[param("opt"), GroupKey::Status]);
    assert_eq!(
        labels(&groups),
        ["a · finished", "a · running", "b · failed", "b · finished"]
    );
    assert_eq!(groups[2].rows, [0, 2]);
    let folded = fold_small_groups(groups.clone(), 2);
    assert_eq!(
        labels(&folded),
        ["a · finished", "b · failed", "others (2 groups)"]
    );
    assert_eq!(folded[2].rows, [3, 4]);
    // Nothing to fold: as they were.
    assert_eq!(fold_small_groups(groups.clone(), 3), groups);
    assert_eq!(labels(&group_rows_by(&t, &[1, 2], &[])), ["all runs"]);
}

#[test]
fn many_distinct_values_group_as_few_do() {
    // 30 distinct values over 90 runs, in a shuffled order: past the few keys compared
    // one by one, the hash map must give the same groups.
    let runs: Vec<Run> = (0..90)
        .map(|i| {
            let mut run = Run {
                id: format!("r{i}"),
                ..Run::default()
            };
            run.params
                .insert("seed".into(), ParamValue::Int((i * 7 % 30) as i64));
            run
        })
        .collect();
    let table = RunTable::from_runs("t", &runs, &[]);
    let rows: Vec<usize> = (0..90).collect();
    let groups = group_rows(&table, &rows, &param("seed"));
    assert_eq!(groups.len(), 30);
    for (value, group) in groups.iter().enumerate() {
        assert_eq!(group.label, value.to_string());
        let expected: Vec<usize> = rows
            .iter()
            .copied()
            .filter(|i| i * 7 % 30 == value)
            .collect();
        assert_eq!(group.rows, expected);
    }
}

#[test]
fn nested_runs_group_under_their_top_level_run() {
    let mut table = table();
    table.names = ["sweep", "a", "b", "sweep", "solo"]
        .map(String::from)
        .to_vec();
    // r1 and r2 are nested in r0; r4 is nested in r2 (two levels); r3 stands alone.
    table.parents = vec![0, 1, 1, 0, 3];
    let groups = group_rows(&table, &[0, 1, 2, 3, 4], &GroupKey::Parent);
    assert_eq!(labels(&groups), ["sweep (r0)", "sweep (r3)"]);
    assert_eq!(groups[0].rows, [0, 1, 2, 4]);
    assert_eq!(
        GroupKey::Parent.value(&table, 4).as_deref(),
        Some("sweep (r0)")
    );
    assert_eq!(GroupKey::parse("parent"), Some(GroupKey::Parent));
    // A cycle (damaged input) ends instead of looping.
    table.parents = vec![2, 1, 1, 0, 0];
    let groups = group_rows(&table, &[0, 1], &GroupKey::Parent);
    assert_eq!(groups.iter().map(|g| g.rows.len()).sum::<usize>(), 2);
}

#[test]
fn keys_parse_and_print_back() {
    use GroupKey::{Experiment, Group, Source, Status};
    for key in [
        param("lr"),
        tag("team"),
        param("a:b c"),
        Experiment,
        Group,
        Source,
        Status,
    ] {
        assert_eq!(GroupKey::parse(&key.spec()), Some(key.clone()), "{key:?}");
    }
    assert_eq!(GroupKey::parse("params:lr"), Some(param("lr")));
    assert_eq!(GroupKey::parse("tags:team"), Some(tag("team")));
    for bad in "|param:|tag:|lr|Status|metric:loss| status".split('|') {
        assert_eq!(GroupKey::parse(bad), None, "{bad:?}");
    }
    assert_eq!(param("lr").label(), "lr");
    assert_eq!(tag("team").label(), "tag team");
    assert_eq!(Experiment.label(), "experiment");
    assert_eq!(Status.spec(), "status");
}

#[test]
fn value_is_the_display_text() {
    let t = table();
    let value = |key: GroupKey, row| key.value(&t, row);
    assert_eq!(value(param("lr"), 0).as_deref(), Some("0.1"));
    assert_eq!(value(param("lr"), 1).as_deref(), Some("10"));
    assert_eq!(value(param("lr"), 2), None);
    assert_eq!(value(param("lr"), 99), None);
    assert_eq!(value(param("nope"), 0), None);
    assert_eq!(value(tag("team"), 2).as_deref(), Some("cv"));
    assert_eq!(value(tag("team"), 1), None);
    assert_eq!(value(GroupKey::Status, 3).as_deref(), Some("running"));
    assert_eq!(value(GroupKey::Source, 0).as_deref(), Some("csv"));
    assert_eq!(value(GroupKey::Experiment, 4), None);
    assert_eq!(value(GroupKey::Group, 0), None);
}

#[test]
fn numeric_labels_sort_as_numbers_and_none_comes_last() {
    let t = table();
    let groups = group_rows(&t, &[0, 1, 2, 3, 4], &param("lr"));
    assert_eq!(labels(&groups), ["0.1", "2", "10", NONE_LABEL]);
    assert_eq!(groups[0].rows, [0, 4]);
    assert_eq!(groups[3].rows, [2]);
    // Values that display alike share a group: Int(1) and Float(1.0) both show as "1".
    let mut runs = vec![Run::default(), Run::default()];
    runs[0].params.insert("x".into(), ParamValue::Int(1));
    runs[1].params.insert("x".into(), ParamValue::Float(1.0));
    let alike = RunTable::from_runs("t", &runs, &[]);
    let groups = group_rows(&alike, &[1, 0], &param("x"));
    assert_eq!(
        groups,
        [Group {
            label: "1".into(),
            rows: vec![1, 0]
        }]
    );
}

#[test]
fn sort_handles_nan_and_mixed_labels() {
    let sorted = |names: &str| {
        let mut groups: Vec<Group> = names
            .split(' ')
            .map(|n| Group {
                label: n.into(),
                rows: vec![],
            })
            .collect();
        sort_groups(&mut groups);
        groups
            .into_iter()
            .map(|g| g.label)
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(sorted("NaN 10 -inf 1e-3 2"), "-inf 1e-3 2 10 NaN");
    assert_eq!(sorted("10 9 adam B"), "10 9 B adam");
}

#[test]
fn groups_by_tag_status_and_attributes() {
    let t = table();
    let all = [0, 1, 2, 3, 4];
    let by_team = group_rows(&t, &all, &tag("team"));
    assert_eq!(labels(&by_team), ["audio", "cv", "nlp", NONE_LABEL]);
    assert_eq!(by_team[2].rows, [0, 3]);
    let by_status = group_rows(&t, &all, &GroupKey::Status);
    assert_eq!(labels(&by_status), ["failed", "finished", "running"]);
    assert_eq!(by_status[0].rows, [0, 2]);
    let by_experiment = group_rows(&t, &all, &GroupKey::Experiment);
    assert_eq!(labels(&by_experiment), ["exp0", "exp1", NONE_LABEL]);
    assert_eq!(by_experiment[2].rows, [4]);
    let by_group = group_rows(&t, &all, &GroupKey::Group);
    assert_eq!(by_group, [none(&all)]);
    let by_text = group_rows(&t, &all, &param("opt"));
    assert_eq!(labels(&by_text), ["a", "b"]);
}

#[test]
fn grouping_keeps_the_given_rows_and_their_order() {
    let t = table();
    let groups = group_rows(&t, &[4, 3, 0, 17], &GroupKey::Source);
    assert_eq!(labels(&groups), ["csv", "jsonl", NONE_LABEL]);
    assert_eq!(groups[1].rows, [4, 3]);
    assert_eq!(groups[2].rows, [17]);
    assert!(group_rows(&t, &[], &GroupKey::Status).is_empty());
    let unknown = group_rows(&t, &[1, 0], &tag("nope"));
    assert_eq!(unknown, [none(&[1, 0])]);
}
