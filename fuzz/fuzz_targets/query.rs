//! The filter language: any text parses or fails with a position inside the text; a parsed
//! query is checked against and filters a small run table without panicking.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use runlens_core::bundle::RunTable;
use runlens_core::{MetricSeries, ParamValue, Run, RunStatus, query};

/// Runs with every kind of field a query can name.
fn table() -> &'static RunTable {
    static TABLE: OnceLock<RunTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let runs: Vec<Run> = (0..4)
            .map(|i| {
                let mut run = Run {
                    id: format!("r{i}"),
                    name: format!("lr{i}-adam"),
                    source: "jsonl".into(),
                    experiment: Some("cifar".into()),
                    group: (i % 2 == 0).then(|| "sweep".into()),
                    status: if i == 3 {
                        RunStatus::Failed
                    } else {
                        RunStatus::Finished
                    },
                    start_time: Some(1.7e9 + f64::from(i)),
                    ..Run::default()
                };
                run.params
                    .insert("lr".into(), ParamValue::Float(10f64.powi(-i)));
                run.params
                    .insert("opt".into(), ParamValue::Text("adam".into()));
                run.params
                    .insert("aug".into(), ParamValue::Bool(i % 2 == 1));
                run.params.insert("bs".into(), ParamValue::Int(32 << i));
                run.tags.insert("host".into(), format!("gpu-{i}"));
                let mut loss = MetricSeries::default();
                for step in 0..5 {
                    loss.push(step, 1.0 / f64::from(i + step as i32 + 1), None);
                }
                loss.push(5, f64::NAN, None);
                run.metrics.insert("train/loss".into(), loss);
                run
            })
            .collect();
        RunTable::from_runs("fuzz", &runs, &[])
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let chars = text.chars().count();
    match query::parse(text) {
        Err(e) => {
            assert!(e.position <= chars, "{e} in {chars} chars");
            assert_eq!(e.column, e.position + 1);
        }
        Ok(q) => {
            let table = table();
            if let Err(e) = q.check(table) {
                assert!(e.position <= chars, "{e} in {chars} chars");
            }
            let rows = q.filter(table);
            assert!(rows.windows(2).all(|w| w[0] < w[1]));
            assert!(rows.iter().all(|&r| r < table.len()));
            for row in 0..table.len() {
                assert_eq!(q.matches(table, row), rows.contains(&row), "row {row}");
            }
        }
    }
});
