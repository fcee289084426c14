//! Tests of the table view: columns, cells, sorting, grouping and layout.

use std::cmp::Ordering;

use super::sort::natural_cmp;
use super::*;
use runlens_core::model::{MetricSeries, ParamValue, Run, RunStatus};

pub(crate) fn run(name: &str, lr: f64, opt: &str, loss: &[f64]) -> Run {
    let mut run = Run {
        id: name.into(),
        name: name.into(),
        source: "jsonl".into(),
        status: RunStatus::Finished,
        ..Run::default()
    };
    run.params.insert("lr".into(), ParamValue::Float(lr));
    run.params
        .insert("opt".into(), ParamValue::Text(opt.into()));
    let mut series = MetricSeries::default();
    for (step, &v) in loss.iter().enumerate() {
        series.push(step as i64, v, None);
    }
    if !loss.is_empty() {
        run.metrics.insert("train/loss".into(), series.clone());
        run.metrics.insert("val_acc".into(), series);
    }
    run
}

fn table() -> RunTable {
    RunTable::from_runs(
        "t",
        &[
            run("run-10", 0.1, "adam", &[3.0, 1.0, 2.0]),
            run("run-2", 0.01, "sgd", &[5.0, f64::NAN]),
            run("Run-3", 0.1, "adam", &[]),
            run("run-1", 0.001, "sgd", &[4.0, 0.5]),
        ],
        &[],
    )
}

fn ids(columns: &[Column]) -> Vec<&str> {
    columns.iter().map(|c| c.id.as_str()).collect()
}

#[test]
fn columns_follow_params_and_metric_kinds() {
    let t = table();
    let cols = columns(&t);
    assert_eq!(
        ids(&cols),
        [
            "name",
            "status",
            "param:lr",
            "param:opt",
            "metric:train/loss:last",
            "metric:train/loss:min",
            "metric:val_acc:last",
            "metric:val_acc:max"
        ]
    );
    assert!(cols[2].numeric && !cols[3].numeric && cols[4].numeric);
}

#[test]
fn runs_from_several_readers_get_a_source_column_that_sorts_and_groups() {
    let mut runs = vec![
        run("tb-run", 0.1, "adam", &[1.0]),
        run("ml-run", 0.1, "adam", &[2.0]),
        run("wb-run", 0.1, "adam", &[3.0]),
    ];
    for (run, source) in runs.iter_mut().zip(["tensorboard", "mlflow", "wandb"]) {
        run.source = source.into();
    }
    let t = RunTable::from_runs("t", &runs, &[]);
    let cols = columns(&t);
    assert_eq!(ids(&cols)[..3], ["name", "status", "source"]);
    let source = find_column(&cols, "source").expect("source column");
    assert_eq!(cell_text((&t).into(), 0, source.kind), "tensorboard");
    let sort = Sort {
        column: "source".into(),
        descending: false,
    };
    assert_eq!(
        sorted((&t).into(), &[0, 1, 2], &cols, Some(&sort)),
        [1, 0, 2]
    );
    assert!(group_options(&t).contains(&GroupKey::Source));
    let groups = grouped((&t).into(), &[0, 1, 2], &[GroupKey::Source], &cols, None);
    let labels: Vec<&str> = groups.iter().map(|g| g.label.as_str()).collect();
    assert_eq!(labels.len(), 3);
    assert_eq!(group_cell_and_title((&t).into(), &[1], source).0, "mlflow");
    // One reader: no column.
    assert!(find_column(&columns(&table()), "source").is_none());
}

#[test]
fn cells_format_values_and_leave_missing_empty() {
    let t = table();
    let cols = columns(&t);
    let text = |row, id: &str| cell_text((&t).into(), row, find_column(&cols, id).unwrap().kind);
    assert_eq!(text(0, "metric:train/loss:last"), "2");
    assert_eq!(text(0, "metric:train/loss:min"), "1");
    assert_eq!(text(1, "metric:train/loss:last"), "NaN");
    assert_eq!(text(2, "metric:train/loss:last"), "");
    assert_eq!(text(3, "param:lr"), "0.001");
    assert_eq!(text(3, "status"), "finished");
}

#[test]
fn sorting_is_natural_for_text_and_puts_missing_last() {
    let t = table();
    let cols = columns(&t);
    let by = |id: &str, descending| {
        sorted(
            (&t).into(),
            &[0, 1, 2, 3],
            &cols,
            Some(&Sort {
                column: id.into(),
                descending,
            }),
        )
    };
    assert_eq!(by("name", false), [3, 1, 2, 0]);
    assert_eq!(by("name", true), [0, 2, 1, 3]);
    // last: 2, NaN, missing, 0.5
    assert_eq!(by("metric:train/loss:last", false), [3, 0, 1, 2]);
    assert_eq!(by("metric:train/loss:last", true), [0, 3, 1, 2]);
    assert_eq!(
        by("param:lr", false),
        [3, 1, 0, 2],
        "stable among equal values"
    );
    assert_eq!(by("unknown", false), [0, 1, 2, 3]);
}

#[test]
fn natural_cmp_orders_numbers_by_value() {
    assert_eq!(natural_cmp("run-2", "run-10"), Ordering::Less);
    assert_eq!(natural_cmp("a", "B"), Ordering::Less);
    assert_eq!(
        natural_cmp("x007", "x7"),
        Ordering::Less,
        "tie broken by text"
    );
    assert_eq!(natural_cmp("", "a"), Ordering::Less);
}

#[test]
fn sort_toggles() {
    let first = Sort::toggled(None, "name");
    assert!(!first.descending);
    let second = Sort::toggled(Some(&first), "name");
    assert!(second.descending);
    assert!(!Sort::toggled(Some(&second), "status").descending);
}

#[test]
fn group_options_list_what_varies() {
    let t = table();
    let specs: Vec<String> = group_options(&t).iter().map(GroupKey::spec).collect();
    assert_eq!(specs, ["param:lr", "param:opt"]);
    assert_eq!(default_metric(&t), Some(0));
}

#[test]
fn grouped_layout_has_aggregates_and_respects_the_limit() {
    let t = table();
    let cols = columns(&t);
    let rows = [0, 1, 2, 3];
    let groups = grouped(
        (&t).into(),
        &rows,
        &[GroupKey::Param("opt".into())],
        &cols,
        None,
    );
    let view = layout((&t).into(), &rows, Some(&groups), &cols, 3);
    assert_eq!(view.shown_runs, 3);
    assert_eq!(view.total_runs, 4);
    let Item::Group {
        label,
        count,
        cells,
        ..
    } = &view.items[0]
    else {
        panic!("group row first")
    };
    assert_eq!((label.as_str(), *count), ("adam", 2));
    assert_eq!(cells[1], "2 runs");
    assert_eq!(cells[2], "0.1", "shared param value");
    assert_eq!(cells[3], "adam");
    assert_eq!(cells[4], "2", "one run has the metric");
    let Item::Group { cells, .. } = &view.items[3] else {
        panic!("second group row")
    };
    assert_eq!(cells[2], "0.0055 ± 0.006364");
    assert_eq!(cells[4], "0.5", "NaN ignored");
    assert_eq!(view.items.len(), 5, "group, 2 runs, group, 1 run");
    // Numeric cells carry the whole aggregate as a tooltip.
    let Item::Group { titles, .. } = &view.items[3] else {
        panic!("second group row")
    };
    assert_eq!(
        titles[2].as_deref(),
        Some("2 runs · mean 0.0055 · std 0.006364 · min 0.001 · max 0.01")
    );
    assert_eq!(titles[3], None, "text columns have none");
}

#[test]
fn grouping_by_two_keys_labels_each_pair() {
    let t = table();
    let cols = columns(&t);
    let keys = [GroupKey::Param("opt".into()), GroupKey::Param("lr".into())];
    let groups = grouped((&t).into(), &[0, 1, 2, 3], &keys, &cols, None);
    let labels: Vec<&str> = groups.iter().map(|g| g.label.as_str()).collect();
    assert_eq!(labels, ["adam · 0.1", "sgd · 0.001", "sgd · 0.01"]);
}

#[test]
fn fair_shares_split_the_budget() {
    assert_eq!(fair_shares(&[2000, 2000, 2000], 1000), [334, 333, 333]);
    assert_eq!(fair_shares(&[5, 2000, 3], 1000), [5, 992, 3]);
    assert_eq!(fair_shares(&[1; 5], 3), [1, 1, 1, 0, 0]);
    assert_eq!(fair_shares(&[10, 10], 1000), [10, 10]);
    assert_eq!(fair_shares(&[], 1000), Vec::<usize>::new());
}

#[test]
fn groups_sort_by_their_mean() {
    let t = table();
    let cols = columns(&t);
    let sort = Sort {
        column: "param:lr".into(),
        descending: true,
    };
    let groups = grouped(
        (&t).into(),
        &[0, 1, 2, 3],
        &[GroupKey::Param("opt".into())],
        &cols,
        Some(&sort),
    );
    let labels: Vec<&str> = groups.iter().map(|g| g.label.as_str()).collect();
    assert_eq!(labels, ["adam", "sgd"]);
    let sort = Sort {
        column: "param:lr".into(),
        descending: false,
    };
    let groups = grouped(
        (&t).into(),
        &[3, 1, 0, 2],
        &[GroupKey::Param("opt".into())],
        &cols,
        Some(&sort),
    );
    assert_eq!(groups[0].label, "sgd");
    assert_eq!(groups[0].rows, [3, 1], "rows keep the sorted order");
}

#[test]
fn varies_over_tells_columns_that_differ_among_the_given_runs() {
    let t = table();
    let cols = columns(&t);
    let kind = |id: &str| find_column(&cols, id).unwrap().kind;
    // run-10 and Run-3 share lr 0.1 and opt adam.
    assert!(!varies_over((&t).into(), &[0, 2], kind("param:lr")));
    assert!(!varies_over((&t).into(), &[0, 2], kind("param:opt")));
    assert!(varies_over((&t).into(), &[0, 1], kind("param:lr")));
    assert!(!varies_over((&t).into(), &[0, 2], kind("status")));
    // Run-3 has no loss: missing differs from a value.
    assert!(varies_over(
        (&t).into(),
        &[0, 2],
        kind("metric:train/loss:last")
    ));
    assert!(varies_over((&t).into(), &[0, 2], kind("name")));
    // One run or none: nothing varies but the name.
    assert!(!varies_over((&t).into(), &[1], kind("param:lr")));
    assert!(!varies_over((&t).into(), &[], kind("name")));
}

#[test]
fn a_value_at_step_column_is_named_by_its_id_sorts_marks_the_best_and_exports() {
    let t = table();
    let column = step_column(&t, "metric:train/loss:at:1").expect("a known metric");
    assert_eq!(column.label, "train/loss");
    assert_eq!(column.detail.as_deref(), Some("@ step 1"));
    assert_eq!(column.id, "metric:train/loss:at:1");
    assert!(column.numeric);
    assert_eq!(step_column(&t, "metric:nope:at:1"), None);
    assert_eq!(step_column(&t, "metric:train/loss:at:x"), None);
    assert_eq!(step_column(&t, "metric:train/loss:last"), None);

    // Loss series: run-10 [3, 1, 2], run-2 [5, NaN], Run-3 none, run-1 [4, 0.5].
    let ColumnKind::Metric { index, .. } = column.kind else {
        panic!("a metric column")
    };
    let mut steps = StepValues::new();
    steps.request(index, 1);
    let pending = Cells::new(&t, &steps);
    assert_eq!(
        cell_text(pending, 0, column.kind),
        "",
        "nothing before it loads"
    );
    let series: Vec<(u32, MetricSeries)> = (0..t.len())
        .filter_map(|row| {
            let run = [&[3.0, 1.0, 2.0][..], &[5.0, f64::NAN], &[], &[4.0, 0.5]][row];
            (!run.is_empty()).then(|| {
                let mut s = MetricSeries::default();
                for (step, &v) in run.iter().enumerate() {
                    s.push(step as i64, v, None);
                }
                (row as u32, s)
            })
        })
        .collect();
    steps.fill(index, 1, at_step::values_at_step(t.len(), &series, 1));
    let cells = Cells::new(&t, &steps);
    let texts: Vec<String> = (0..4).map(|r| cell_text(cells, r, column.kind)).collect();
    assert_eq!(
        texts,
        ["1", "", "", "0.5"],
        "NaN at step 1 and no series: empty"
    );
    let cols = vec![all_columns(&t)[0].clone(), column.clone()];
    let sort = Sort {
        column: column.id.clone(),
        descending: false,
    };
    // Missing values last.
    assert_eq!(
        sorted(cells, &[0, 1, 2, 3], &cols, Some(&sort)),
        [3, 0, 1, 2]
    );
    let directions = runlens_core::view::Directions::from([(
        "train/loss".to_string(),
        runlens_core::view::Direction::Lower,
    )]);
    let best = best_rows(cells, &cols, &[0, 1, 2, 3], &directions);
    assert_eq!(best.get(&1).map(|b| b.0), Some(3));
    let mut labelled = cols.clone();
    label_directions(&mut labelled, &t, &directions);
    assert_eq!(labelled[1].detail.as_deref(), Some("@ step 1 ↓"));
    let text = csv::table_csv(cells, &cols, &[3, 0]);
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        [
            "id,name,train/loss (@ step 1)",
            "run-1,run-1,0.5",
            "run-10,run-10,1"
        ]
    );
}

#[test]
fn distinct_dict_texts_are_the_distinct_cell_texts() {
    let runs: Vec<Run> = [
        ("a", Some("x")),
        ("a", Some("")),
        ("b", None),
        ("a", Some("x")),
        ("b", Some("y")),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, (experiment, tag))| {
        let mut run = run(&format!("r{i}"), 0.1, "adam", &[1.0]);
        run.experiment = Some(experiment.into());
        if let Some(tag) = tag {
            run.tags.insert("phase".into(), tag.into());
        }
        run
    })
    .collect();
    let t = RunTable::from_runs("t", &runs, &[]);
    let dict_columns: Vec<Column> = all_columns(&t)
        .into_iter()
        .filter(|c| matches!(c.kind, ColumnKind::Experiment | ColumnKind::Tag(_)))
        .collect();
    assert_eq!(dict_columns.len(), 2, "experiment and the tag");
    for rows in [vec![0, 1, 2, 3, 4], vec![0, 3], vec![1, 2], vec![2], vec![]] {
        for column in &dict_columns {
            let by_code =
                columns::distinct_dict_texts(&t, &rows, column.kind).expect("dictionary-coded");
            let by_text: std::collections::HashSet<String> = rows
                .iter()
                .map(|&r| cell_text((&t).into(), r, column.kind))
                .collect();
            let mut by_code: Vec<String> = by_code.into_iter().map(String::from).collect();
            let mut by_text: Vec<String> = by_text.into_iter().collect();
            by_code.sort();
            by_text.sort();
            assert_eq!(by_code, by_text, "{} over {rows:?}", column.id);
        }
    }
    // An empty tag and a missing one both show "": one text.
    let tag = dict_columns
        .iter()
        .find(|c| matches!(c.kind, ColumnKind::Tag(_)));
    let texts = columns::distinct_dict_texts(&t, &[1, 2], tag.unwrap().kind).unwrap();
    assert_eq!(texts.into_iter().collect::<Vec<_>>(), [""]);
    assert_eq!(
        columns::distinct_dict_texts(&t, &[0], ColumnKind::Name),
        None
    );
}

#[test]
fn a_text_param_group_cell_counts_the_texts_the_runs_show() {
    // "true" as text and as a bool show the same; a missing param shows "" as "" does.
    let values = [
        Some(ParamValue::Text("x".into())),
        Some(ParamValue::Text("true".into())),
        Some(ParamValue::Bool(true)),
        None,
        Some(ParamValue::Text(String::new())),
        Some(ParamValue::Text("x".into())),
    ];
    let runs: Vec<Run> = values
        .iter()
        .enumerate()
        .map(|(i, value)| {
            let mut run = run(&format!("r{i}"), 0.1, "adam", &[1.0]);
            if let Some(value) = value {
                run.params.insert("mode".into(), value.clone());
            }
            run
        })
        .collect();
    let t = RunTable::from_runs("t", &runs, &[]);
    let cells: Cells<'_> = (&t).into();
    let mode = all_columns(&t)
        .into_iter()
        .find(|c| c.id == "param:mode")
        .expect("the param's column");
    assert!(!mode.numeric);
    for (row, value) in values.iter().enumerate() {
        let shown = cell_text(cells, row, mode.kind);
        match cells.text_cell(row, mode.kind) {
            Some(text) => assert_eq!(text, shown, "row {row}"),
            None => assert!(matches!(value, None | Some(ParamValue::Bool(_)))),
        }
    }
    let cell = |rows: &[usize]| group_cell_and_title(cells, rows, &mode).0;
    assert_eq!(
        cell(&[0, 1, 2, 3, 4, 5]),
        "3 values",
        "x, true and the empty text"
    );
    assert_eq!(cell(&[1, 2]), "true");
    assert_eq!(cell(&[3, 4]), "");
    assert_eq!(cell(&[0, 5]), "x");
}
