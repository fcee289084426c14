//! The `metrics` table of an MLflow SQLite store: every point of the selected runs, handed
//! over one run at a time as soon as its points are read, so that a streamed build spills
//! them and memory holds a bounded batch of runs, not the table.
//!
//! The reads are plain scans in storage order (no `ORDER BY`: on a 250k-point store
//! SQLite's index walk and sort took 7x the scan), cut into batches of runs by
//! [`super::sqlite_plan`] from each run's first and last rowid, which the `run_uuid` index
//! MLflow creates gives in two lookups; runs that interleave with others over many rows are
//! read one by one through that index. The batches are read on a few threads, each with its
//! own read-only connection. Every read ends at the largest rowid seen when the read began,
//! so points a training job appends meanwhile are not half-read. A store without such an
//! index (not MLflow's own schema) is read whole, as one or a few scans.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;

use runlens_core::MetricSeries;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, Row};

use super::convert::{self, Point};
use super::sqlite::{columns, integer, open, text};
use super::sqlite_plan::{self, Extent, Item, Limits};

/// Below this many rowids one scan is as fast as starting threads.
const PARALLEL_MIN_ROWS: i64 = 200_000;

/// At most this many reads at once.
const MAX_THREADS: usize = 8;

/// Points of one run, by metric key, in the order read.
type RunPoints = HashMap<String, Vec<Point>>;

/// The series of one run, by metric key.
pub type RunSeries = BTreeMap<String, MetricSeries>;

/// How a read is cut up and spread over threads.
#[derive(Debug, Clone, Copy)]
struct Settings {
    threads: usize,
    parallel_min_rows: i64,
    limits: Limits,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            threads: crate::cores::spare().min(MAX_THREADS),
            parallel_min_rows: PARALLEL_MIN_ROWS,
            limits: Limits::default(),
        }
    }
}

/// Reads every point of the runs in `index` (run id → position in the reader's list) and
/// gives each run's series to `take` (position, series by key; runs without points are not
/// given), in no particular order. Each series is sorted as
/// [`convert::series_from_points`] sorts it.
pub fn read(
    conn: &Connection,
    path: &Path,
    index: &HashMap<&str, usize>,
    take: impl FnMut(usize, RunSeries),
) -> rusqlite::Result<()> {
    read_with(conn, path, index, Settings::default(), take)
}

/// The columns of the one `SELECT` every read shares (schemas before `step` and `is_nan`
/// existed read them as 0).
fn select(conn: &Connection) -> rusqlite::Result<String> {
    let cols = columns(conn, "metrics")?;
    let step = if cols.contains("step") { "step" } else { "0" };
    let is_nan = if cols.contains("is_nan") {
        "is_nan"
    } else {
        "0"
    };
    Ok(format!(
        "SELECT run_uuid, key, {step}, timestamp, value, {is_nan} FROM metrics"
    ))
}

fn read_with(
    conn: &Connection,
    path: &Path,
    index: &HashMap<&str, usize>,
    settings: Settings,
    mut take: impl FnMut(usize, RunSeries),
) -> rusqlite::Result<()> {
    let select = select(conn)?;
    let bounds = conn.query_row("SELECT min(rowid), max(rowid) FROM metrics", [], |row| {
        Ok((row.get::<_, Option<i64>>(0)?, row.get::<_, Option<i64>>(1)?))
    });
    let (low, high) = match bounds {
        Ok((Some(low), Some(high))) => (low, high),
        Ok(_) => return Ok(()),
        // A table without rowids (not MLflow's own schema): one plain scan.
        Err(_) => {
            let all = index.values().copied().collect();
            let series = scan(conn, &select, None, index, all)?;
            series
                .into_iter()
                .for_each(|(run, points)| take(run, to_series(points)));
            return Ok(());
        }
    };
    if !has_run_index(conn)? {
        let all = whole_table(conn, path, &select, (low, high), index, settings)?;
        all.into_iter()
            .for_each(|(run, points)| take(run, to_series(points)));
        return Ok(());
    }
    let mut items = sqlite_plan::plan(extents(conn, index, high)?, settings.limits);
    let alone = counted(conn, index, &mut items)?;
    items.extend(sqlite_plan::regroup(alone, settings.limits));
    let threads = if high.saturating_sub(low) < settings.parallel_min_rows {
        1
    } else {
        settings.threads.min(items.len()).max(1)
    };
    let mut ids = vec![""; index.values().max().map_or(0, |&m| m + 1)];
    for (&id, &run) in index {
        ids[run] = id;
    }
    let reads = Reads {
        select: &select,
        index,
        ids: &ids,
        items: &items,
    };
    if threads < 2 {
        for item in &items {
            for (run, series) in reads.item(conn, item)? {
                take(run, series);
            }
        }
        return Ok(());
    }
    reads.parallel(path, threads, take)
}

/// Without a `run_uuid` index: every point of the selected runs, the table cut into
/// `threads` rowid ranges scanned at once (each on its own connection) and put together.
fn whole_table(
    conn: &Connection,
    path: &Path,
    select: &str,
    (low, high): (i64, i64),
    index: &HashMap<&str, usize>,
    settings: Settings,
) -> rusqlite::Result<HashMap<usize, RunPoints>> {
    let all: Vec<usize> = index.values().copied().collect();
    let sql = format!("{select} WHERE rowid BETWEEN ?1 AND ?2");
    let span = high.saturating_sub(low);
    if settings.threads < 2 || span < settings.parallel_min_rows {
        return scan(conn, &sql, Some(&[&low, &high]), index, all);
    }
    let step = span / settings.threads as i64 + 1;
    let start = |i: i64| low.saturating_add(i.saturating_mul(step));
    let last = settings.threads as i64 - 1;
    let ranges: Vec<(i64, i64)> = (0..=last)
        .map(|i| {
            let end = if i == last { high } else { start(i + 1) - 1 };
            (start(i), end.min(high))
        })
        .filter(|(a, b)| a <= b)
        .collect();
    let parts: Vec<rusqlite::Result<HashMap<usize, RunPoints>>> = thread::scope(|scope| {
        let handles: Vec<_> = ranges
            .iter()
            .map(|(low, high)| {
                let (sql, all) = (&sql, all.clone());
                scope.spawn(move || {
                    // Every scan has its own connection: one is never shared by threads.
                    let own = open(path)?;
                    scan(&own, sql, Some(&[low, high]), index, all)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a metrics scan panicked"))
            .collect()
    });
    let mut merged: HashMap<usize, RunPoints> = HashMap::new();
    for part in parts {
        for (run, keys) in part? {
            let target = merged.entry(run).or_default();
            for (key, mut points) in keys {
                target.entry(key).or_default().append(&mut points);
            }
        }
    }
    Ok(merged)
}

/// Whether an index of `metrics` starts with `run_uuid` (MLflow's `index_metrics_run_uuid`
/// and `index_metrics_run_uuid_key_step`).
fn has_run_index(conn: &Connection) -> rusqlite::Result<bool> {
    let mut list = conn.prepare("SELECT name FROM pragma_index_list('metrics')")?;
    let names: Vec<String> = list
        .query_map([], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut first = conn.prepare("SELECT name FROM pragma_index_info(?1) WHERE seqno = 0")?;
    for name in names {
        let column: Option<String> =
            first
                .query_row([&name], |row| row.get(0))
                .or_else(|e| match e {
                    rusqlite::Error::QueryReturnedNoRows => Ok(None),
                    e => Err(e),
                })?;
        if column.as_deref() == Some("run_uuid") {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Each selected run's first and last rowid up to `high` (runs without points left out).
fn extents(
    conn: &Connection,
    index: &HashMap<&str, usize>,
    high: i64,
) -> rusqlite::Result<Vec<Extent>> {
    let query = |order: &str| {
        conn.prepare(&format!(
            "SELECT rowid FROM metrics WHERE run_uuid = ?1 AND rowid <= ?2 ORDER BY rowid {order} LIMIT 1"
        ))
    };
    let (mut first, mut last) = (query("ASC")?, query("DESC")?);
    let mut out = Vec::with_capacity(index.len());
    for (&id, &run) in index {
        let row = |stmt: &mut rusqlite::Statement<'_>| {
            stmt.query_row(rusqlite::params![id, high], |row| row.get::<_, i64>(0))
        };
        match (row(&mut first), row(&mut last)) {
            (Ok(first), Ok(last)) => out.push(Extent { run, first, last }),
            (Err(rusqlite::Error::QueryReturnedNoRows), _)
            | (_, Err(rusqlite::Error::QueryReturnedNoRows)) => {}
            (Err(e), _) | (_, Err(e)) => return Err(e),
        }
    }
    Ok(out)
}

/// Takes the runs `items` would read one by one out of it, with their point counts (from
/// the `run_uuid` index alone).
fn counted(
    conn: &Connection,
    index: &HashMap<&str, usize>,
    items: &mut Vec<Item>,
) -> rusqlite::Result<Vec<(Extent, i64)>> {
    let alone: Vec<Extent> = items
        .iter()
        .filter_map(|item| match item {
            Item::Run(extent) => Some(*extent),
            Item::Scan { .. } => None,
        })
        .collect();
    if alone.is_empty() {
        return Ok(Vec::new());
    }
    items.retain(|item| matches!(item, Item::Scan { .. }));
    let mut ids = vec![""; index.values().max().map_or(0, |&m| m + 1)];
    for (&id, &run) in index {
        ids[run] = id;
    }
    let mut count = conn
        .prepare("SELECT count(*) FROM metrics WHERE run_uuid = ?1 AND rowid BETWEEN ?2 AND ?3")?;
    alone
        .into_iter()
        .map(|e| {
            let n = count.query_row(rusqlite::params![ids[e.run], e.first, e.last], |row| {
                row.get::<_, i64>(0)
            })?;
            Ok((e, n))
        })
        .collect()
}

/// The reads of one plan.
#[derive(Clone, Copy)]
struct Reads<'a> {
    select: &'a str,
    index: &'a HashMap<&'a str, usize>,
    /// Run id by position.
    ids: &'a [&'a str],
    items: &'a [Item],
}

impl Reads<'_> {
    /// The series of the runs `item` reads.
    fn item(&self, conn: &Connection, item: &Item) -> rusqlite::Result<Vec<(usize, RunSeries)>> {
        let points = match item {
            Item::Scan { low, high, runs } => {
                let sql = format!("{} WHERE rowid BETWEEN ?1 AND ?2", self.select);
                scan(conn, &sql, Some(&[low, high]), self.index, runs.clone())?
            }
            Item::Run(extent) => {
                let sql = format!(
                    "{} WHERE run_uuid = ?1 AND rowid BETWEEN ?2 AND ?3",
                    self.select
                );
                let id = self.ids[extent.run];
                let params: [&dyn rusqlite::ToSql; 3] = [&id, &extent.first, &extent.last];
                scan(conn, &sql, Some(&params), self.index, vec![extent.run])?
            }
        };
        Ok(points
            .into_iter()
            .map(|(run, points)| (run, to_series(points)))
            .collect())
    }

    /// Reads the items on `threads` threads, each with its own connection, and gives the
    /// runs to `take` on this thread as they come: at most a few items' runs wait at once.
    fn parallel(
        &self,
        path: &Path,
        threads: usize,
        mut take: impl FnMut(usize, RunSeries),
    ) -> rusqlite::Result<()> {
        let next = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        let (send, receive) = mpsc::sync_channel::<rusqlite::Result<Vec<(usize, RunSeries)>>>(1);
        thread::scope(|scope| {
            for _ in 0..threads {
                let send = send.clone();
                let (next, stop) = (&next, &stop);
                scope.spawn(move || {
                    // Every thread has its own connection: one is never shared by threads.
                    let conn = match open(path) {
                        Ok(conn) => conn,
                        Err(e) => {
                            let _ = send.send(Err(e));
                            return;
                        }
                    };
                    while !stop.load(Ordering::Relaxed) {
                        let Some(item) = self.items.get(next.fetch_add(1, Ordering::Relaxed))
                        else {
                            break;
                        };
                        let result = self.item(&conn, item);
                        let failed = result.is_err();
                        if send.send(result).is_err() || failed {
                            break;
                        }
                    }
                });
            }
            drop(send);
            let mut outcome = Ok(());
            for result in receive {
                match result {
                    Ok(runs) if outcome.is_ok() => {
                        runs.into_iter().for_each(|(run, series)| take(run, series));
                    }
                    Ok(_) => {}
                    Err(e) => {
                        stop.store(true, Ordering::Relaxed);
                        if outcome.is_ok() {
                            outcome = Err(e);
                        }
                    }
                }
            }
            outcome
        })
    }
}

/// The series of one run's points, sorted as [`convert::series_from_points`] sorts them.
fn to_series(points: RunPoints) -> RunSeries {
    points
        .into_iter()
        .map(|(key, points)| (key, convert::series_from_points(points)))
        .collect()
}

/// One scan (`sql` with `params`, or without any), keeping the points of the runs in
/// `runs` (positions in the reader's list); by run, the runs without points left out.
fn scan(
    conn: &Connection,
    sql: &str,
    params: Option<&[&dyn rusqlite::ToSql]>,
    index: &HashMap<&str, usize>,
    runs: Vec<usize>,
) -> rusqlite::Result<HashMap<usize, RunPoints>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = match params {
        Some(params) => stmt.query(params)?,
        None => stmt.query([])?,
    };
    let slot_of: HashMap<usize, usize> = runs.iter().enumerate().map(|(s, &r)| (r, s)).collect();
    let mut slots: Vec<RunPoints> = vec![RunPoints::new(); runs.len()];
    // Rows of one run mostly come together, so the last run looked up is remembered.
    let mut last_run = String::new();
    let mut last_slot: Option<usize> = None;
    while let Some(row) = rows.next()? {
        let run_id = text(row.get_ref(0)?).unwrap_or_default();
        if run_id != last_run {
            last_run.clear();
            last_run.push_str(run_id);
            last_slot = index.get(run_id).and_then(|run| slot_of.get(run)).copied();
        }
        let Some(keys) = last_slot.map(|s| &mut slots[s]) else {
            continue;
        };
        let (key, point) = point(row)?;
        match keys.get_mut(key) {
            Some(points) => points.push(point),
            None => {
                keys.insert(key.to_string(), vec![point]);
            }
        }
    }
    Ok(runs
        .into_iter()
        .zip(slots)
        .filter(|(_, points)| !points.is_empty())
        .collect())
}

/// The key and point of a row of the shared `SELECT`.
fn point<'r>(row: &'r Row<'_>) -> rusqlite::Result<(&'r str, Point)> {
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
    Ok((key, point))
}

#[cfg(test)]
#[path = "sqlite_metrics_tests.rs"]
mod tests;
