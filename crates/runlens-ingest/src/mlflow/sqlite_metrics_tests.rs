//! Tests of the batched metric reads: whatever the cut, the series are those of one scan
//! of the whole table.

use super::*;

/// A series as comparable bits: steps, value bits, time bits.
type SeriesBits = (Vec<i64>, Vec<u64>, Option<Vec<u64>>);

/// What each run got: its position and its series as bits, by key.
type Got = Vec<(usize, Vec<(String, SeriesBits)>)>;

fn bits(series: &MetricSeries) -> SeriesBits {
    let b = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    (
        series.steps.clone(),
        b(&series.values),
        series.times.as_deref().map(b),
    )
}

/// The fixture store copied, with extra runs written as parallel jobs (interleaved rows),
/// one after another (compact rows), points of one step logged twice, NaN and the ±inf
/// sentinels, and rows of a run that is not selected.
fn store(dir: &Path) -> std::path::PathBuf {
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/mlflow/mlflow.db");
    let path = dir.join("mlflow.db");
    std::fs::copy(fixture, &path).unwrap();
    let conn = Connection::open(&path).unwrap();
    // The made-up runs have no row in `runs`.
    conn.pragma_update(None, "foreign_keys", false).unwrap();
    conn.execute_batch("BEGIN").unwrap();
    let mut insert = conn
        .prepare(
            "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .unwrap();
    let mut row = |run: &str, key: &str, step: i64, ts: i64, value: f64, nan: bool| {
        insert
            .execute(rusqlite::params![key, value, ts, run, step, nan])
            .unwrap();
    };
    // Three jobs at once, one `log_batch` of two keys per step each.
    for step in 0..60 {
        for job in ["par-a", "par-b", "par-c"] {
            let v = step as f64 / (1.0 + job.len() as f64);
            row(job, "loss", step, 1_000 + step, v, step == 7);
            row(job, "acc", step, 1_000 + step, -v, false);
        }
    }
    // Runs written one after another, steps out of order, a step logged twice.
    for (i, job) in ["seq-a", "seq-b", "seq-c", "seq-d"].iter().enumerate() {
        for step in (0..40).rev() {
            let value = match step {
                3 => f64::MAX,
                4 => -f64::MAX,
                _ => step as f64 * 0.5 + i as f64,
            };
            row(job, "loss", step, 2_000 - step, value, false);
            row(job, "other", step, 2_000, 1.0, false);
            row("not-selected", "loss", step, i as i64, 1.0, false);
        }
        row(job, "loss", 5, 1_995, 0.25, false);
        row(job, "loss", 5, 1_990, 0.75, false);
    }
    // A long job that started first and logs now and then while the others run.
    row("par-a", "rare", 1_000, 9_999, 3.0, false);
    drop(insert);
    conn.execute_batch("COMMIT").unwrap();
    drop(conn);
    path
}

/// Every run of the store but `not-selected`, by position.
fn ids(conn: &Connection) -> Vec<String> {
    let mut stmt = conn
        .prepare("SELECT DISTINCT run_uuid FROM metrics WHERE run_uuid != 'not-selected' ORDER BY run_uuid")
        .unwrap();
    stmt.query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// What each run got, as bits, sorted; and how many times a run was handed over.
fn read_all(
    conn: &Connection,
    path: &Path,
    index: &HashMap<&str, usize>,
    settings: Settings,
) -> (Got, usize) {
    let mut got = Vec::new();
    read_with(conn, path, index, settings, |run, series| {
        got.push((
            run,
            series.iter().map(|(k, s)| (k.clone(), bits(s))).collect(),
        ));
    })
    .unwrap();
    let handed = got.len();
    got.sort();
    (got, handed)
}

#[test]
fn batched_reads_give_each_run_once_with_the_series_of_one_whole_scan() {
    let dir = tempfile::tempdir().unwrap();
    let path = store(dir.path());
    let conn = open(&path).unwrap();
    let ids = ids(&conn);
    let index: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    // The reference: one scan of every row, no plan.
    let all = scan(
        &conn,
        &select(&conn).unwrap(),
        None,
        &index,
        (0..ids.len()).collect(),
    )
    .unwrap();
    let mut expected: Got = all
        .into_iter()
        .map(|(run, points)| {
            let series = to_series(points);
            (
                run,
                series.iter().map(|(k, s)| (k.clone(), bits(s))).collect(),
            )
        })
        .collect();
    expected.sort();
    let points: usize = expected
        .iter()
        .flat_map(|(_, keys)| keys)
        .map(|(_, s)| s.0.len())
        .sum();
    assert!(points > 900, "{points} points");
    assert_eq!(expected.len(), ids.len(), "every selected run has points");
    let loss = &expected[index["seq-b"]].1[0];
    assert_eq!(loss.0, "loss");
    assert_eq!(loss.1.0.len(), 42);
    assert!(loss.1.1.contains(&f64::INFINITY.to_bits()));

    let small = |threads, batch_rows, cluster_rows| Settings {
        threads,
        parallel_min_rows: 1,
        limits: Limits {
            batch_rows,
            cluster_rows,
            group_points: 150,
        },
    };
    let grouped = |group_points| {
        let mut settings = small(2, 50, 100);
        settings.limits.group_points = group_points;
        settings
    };
    let cases = [
        ("default", Settings::default()),
        ("one thread, small batches", small(1, 50, 100)),
        ("three threads, small batches", small(3, 50, 100)),
        ("two threads, every run alone", small(2, 1, 0)),
        ("two threads, one batch", small(2, i64::MAX, i64::MAX)),
        ("interleaved runs in one group", grouped(i64::MAX)),
        ("interleaved runs one per group", grouped(1)),
    ];
    for (what, settings) in cases {
        let (got, handed) = read_all(&conn, &path, &index, settings);
        assert_eq!(handed, ids.len(), "{what}: a run handed over twice");
        assert!(got == expected, "{what}: series differ");
    }

    // The plan of the small batches really mixes scans and reads by run.
    let extents = extents(&conn, &index, i64::MAX).unwrap();
    let mut items = sqlite_plan::plan(extents, small(1, 50, 100).limits);
    assert!(items.iter().any(|i| matches!(i, Item::Run(_))), "{items:?}");
    assert!(
        items
            .iter()
            .filter(|i| matches!(i, Item::Scan { .. }))
            .count()
            > 2
    );
    // The interleaved jobs: counted, then scanned together.
    let alone = counted(&conn, &index, &mut items).unwrap();
    assert!(alone.len() >= 3, "{alone:?}");
    let par_a = alone.iter().find(|(e, _)| e.run == index["par-a"]).unwrap();
    assert_eq!(par_a.1, 121);
    let regrouped = sqlite_plan::regroup(alone, grouped(i64::MAX).limits);
    assert!(
        matches!(&regrouped[..], [Item::Scan { runs, .. }] if runs.len() >= 3),
        "{regrouped:?}"
    );

    // Without MLflow's run_uuid indexes: the whole table, the same series.
    drop(conn);
    let writer = Connection::open(&path).unwrap();
    writer
        .execute_batch(
            "DROP INDEX index_metrics_run_uuid; DROP INDEX index_metrics_run_uuid_key_step;",
        )
        .unwrap();
    drop(writer);
    let conn = open(&path).unwrap();
    assert!(!has_run_index(&conn).unwrap());
    for settings in [small(1, 50, 100), small(3, 50, 100)] {
        let (got, handed) = read_all(&conn, &path, &index, settings);
        assert_eq!(handed, ids.len());
        assert!(got == expected, "without the index: series differ");
    }
}
