//! The `metrics` table of an MLflow SQLite store: every point of the selected runs, read by
//! plain scans in storage order (no `ORDER BY`: on a 250k-point store SQLite's index walk
//! and sort took 7x the scan). A large table is split into rowid ranges scanned in
//! parallel, each on its own read-only connection; every range ends at the largest rowid
//! seen when the read began, so points a training job appends meanwhile are not half-read.

use std::collections::HashMap;
use std::path::Path;
use std::thread;

use rusqlite::Connection;
use rusqlite::types::ValueRef;

use super::convert::{self, Point};
use super::sqlite::{columns, integer, open, text};

/// Below this many rows one scan is as fast as starting threads.
const PARALLEL_MIN_ROWS: i64 = 200_000;

/// At most this many scans at once.
const MAX_THREADS: usize = 8;

/// Points of one run, by metric key, in storage order.
pub type RunPoints = HashMap<String, Vec<Point>>;

/// Every point of the runs in `index` (run id → position in the result).
pub fn read(
    conn: &Connection,
    path: &Path,
    index: &HashMap<&str, usize>,
    run_count: usize,
) -> rusqlite::Result<Vec<RunPoints>> {
    let threads = thread::available_parallelism()
        .map_or(1, usize::from)
        .min(MAX_THREADS);
    read_with(conn, path, index, run_count, threads, PARALLEL_MIN_ROWS)
}

/// [`read`] with `threads` scans once the table spans `parallel_min_rows` rowids.
fn read_with(
    conn: &Connection,
    path: &Path,
    index: &HashMap<&str, usize>,
    run_count: usize,
    threads: usize,
    parallel_min_rows: i64,
) -> rusqlite::Result<Vec<RunPoints>> {
    let cols = columns(conn, "metrics")?;
    let step = if cols.contains("step") { "step" } else { "0" };
    let is_nan = if cols.contains("is_nan") {
        "is_nan"
    } else {
        "0"
    };
    let select = format!("SELECT run_uuid, key, {step}, timestamp, value, {is_nan} FROM metrics");
    let bounds = conn.query_row("SELECT min(rowid), max(rowid) FROM metrics", [], |row| {
        Ok((row.get::<_, Option<i64>>(0)?, row.get::<_, Option<i64>>(1)?))
    });
    let (low, high) = match bounds {
        Ok((Some(low), Some(high))) => (low, high),
        Ok(_) => return Ok(vec![RunPoints::new(); run_count]),
        // A table without rowids (not MLflow's own schema): one plain scan.
        Err(_) => return scan(conn, &select, None, index, run_count),
    };
    let span = high - low + 1;
    let sql = format!("{select} WHERE rowid BETWEEN ?1 AND ?2");
    if threads < 2 || span < parallel_min_rows {
        return scan(conn, &sql, Some((low, high)), index, run_count);
    }
    let step_size = span / threads as i64 + 1;
    let ranges: Vec<(i64, i64)> = (0..threads as i64)
        .map(|i| {
            (
                low + i * step_size,
                (low + (i + 1) * step_size - 1).min(high),
            )
        })
        .filter(|(a, b)| a <= b)
        .collect();
    let parts: Vec<rusqlite::Result<Vec<RunPoints>>> = thread::scope(|scope| {
        let handles: Vec<_> = ranges
            .iter()
            .map(|&range| {
                let sql = &sql;
                scope.spawn(move || {
                    // Every scan has its own connection: one is never shared by threads.
                    let own = open(path)?;
                    scan(&own, sql, Some(range), index, run_count)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a metrics scan panicked"))
            .collect()
    });
    let mut merged = vec![RunPoints::new(); run_count];
    for part in parts {
        for (target, keys) in merged.iter_mut().zip(part?) {
            for (key, mut points) in keys {
                match target.get_mut(&key) {
                    Some(existing) => existing.append(&mut points),
                    None => {
                        target.insert(key, points);
                    }
                }
            }
        }
    }
    Ok(merged)
}

/// One scan of the rows with rowid in `range` (both ends included; `sql` then has the two
/// parameters), or of the whole table.
fn scan(
    conn: &Connection,
    sql: &str,
    range: Option<(i64, i64)>,
    index: &HashMap<&str, usize>,
    run_count: usize,
) -> rusqlite::Result<Vec<RunPoints>> {
    let mut stmt = conn.prepare(sql)?;
    let mut rows = match range {
        Some((low, high)) => stmt.query([low, high])?,
        None => stmt.query([])?,
    };
    let mut series: Vec<RunPoints> = vec![RunPoints::new(); run_count];
    // Rows of one run mostly come together, so the last run looked up is remembered.
    let mut last_run = String::new();
    let mut last_index: Option<usize> = None;
    while let Some(row) = rows.next()? {
        let run_id = text(row.get_ref(0)?).unwrap_or_default();
        if run_id != last_run {
            last_run.clear();
            last_run.push_str(run_id);
            last_index = index.get(run_id).copied();
        }
        let Some(keys) = last_index.and_then(|i| series.get_mut(i)) else {
            continue;
        };
        let key = text(row.get_ref(1)?).unwrap_or_default();
        let raw = match row.get_ref(4)? {
            ValueRef::Real(v) => v,
            ValueRef::Integer(i) => i as f64,
            _ => f64::NAN,
        };
        let nan = integer(row.get_ref(5)?).is_some_and(|n| n != 0);
        let point = Point {
            step: integer(row.get_ref(2)?).unwrap_or(0),
            timestamp_ms: integer(row.get_ref(3)?),
            value: convert::metric_value(raw, nan),
        };
        match keys.get_mut(key) {
            Some(points) => points.push(point),
            None => {
                keys.insert(key.to_string(), vec![point]);
            }
        }
    }
    Ok(series)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A point as comparable bits: step, timestamp, value bits.
    type PointBits = (i64, Option<i64>, u64);

    #[test]
    fn parallel_scans_read_exactly_what_one_scan_reads() {
        let db =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/mlflow/mlflow.db");
        let conn = open(&db).unwrap();
        let ids: Vec<String> = conn
            .prepare("SELECT run_uuid FROM runs ORDER BY run_uuid")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let index: HashMap<&str, usize> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.as_str(), i))
            .collect();
        let canonical = |parts: Vec<RunPoints>| {
            parts
                .into_iter()
                .map(|keys| {
                    let mut keys: Vec<(String, Vec<PointBits>)> = keys
                        .into_iter()
                        .map(|(k, points)| {
                            let mut p: Vec<_> = points
                                .iter()
                                .map(|p| (p.step, p.timestamp_ms, p.value.to_bits()))
                                .collect();
                            p.sort();
                            (k, p)
                        })
                        .collect();
                    keys.sort();
                    keys
                })
                .collect::<Vec<_>>()
        };
        let one = read_with(&conn, &db, &index, ids.len(), 1, i64::MAX).unwrap();
        let points: usize = one.iter().flat_map(|k| k.values()).map(Vec::len).sum();
        assert!(points > 300, "the fixture has points to split: {points}");
        for threads in [2, 3, 7] {
            let split = read_with(&conn, &db, &index, ids.len(), threads, 1).unwrap();
            assert_eq!(canonical(split), canonical(one.clone()), "{threads} scans");
        }
    }
}
