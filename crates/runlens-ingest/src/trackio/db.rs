//! One trackio project database (`<project>.db`), opened read-only: runs from `configs`
//! and `metrics` (there is no runs table), metric rows, alerts, and the artifact links.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use runlens_core::{MetricSeries, Run, RunStatus};
use rusqlite::Connection;
use rusqlite::types::ValueRef;
use serde_json::{Map, Value};

use super::files::{self, ArtifactLink, Media};
use super::row::{self, Entries};
use super::values::{self, Alert};
use crate::error::ReadError;
use crate::mlflow::sqlite::{self as sql, columns, failed, table_names};
use crate::reader::ReadOutput;
use crate::sqlite_open;
use crate::time::parse_time;

/// How much of a database at rest is memory-mapped for reading (SQLite's `mmap_size`).
const MMAP_BYTES: u64 = 1 << 30;

/// What a quick look at a SQLite file says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// It has trackio's tables.
    Trackio,
    /// A healthy database of something else (an MLflow store, ...).
    Other,
    /// It could not be opened or queried (damaged, locked, unreadable).
    Broken,
}

/// Opens a trackio database read-only without creating or changing any file.
///
/// trackio keeps its databases in WAL mode. Any connection to a WAL database, even a
/// read-only one, creates the `-wal` and `-shm` files when they are missing and writes read
/// marks into `-shm`. A database at rest ([`sqlite_open::at_rest`]: nothing pending in its log) is
/// opened `immutable`, which touches no file. Otherwise (a training process
/// is writing, or one was stopped before its checkpoint) it is opened through the WAL
/// protocol, read-only with a busy timeout, so that committed rows in the log are read too;
/// only SQLite's shared-memory index (`-shm`) is then touched, never the database or its log.
pub fn open(path: &Path) -> rusqlite::Result<Connection> {
    open_as(path, sqlite_open::at_rest(path).is_some())
}

fn open_as(path: &Path, immutable: bool) -> rusqlite::Result<Connection> {
    let conn = sqlite_open::open_as(path, immutable)?;
    if immutable {
        // The rows are read once in storage order: mapping the file saves copying each
        // page through read() (a third of the time on a large project). Only here, where
        // no writer is at work: a live database is read through its WAL without it.
        let _mapped: i64 =
            conn.query_row(&format!("PRAGMA mmap_size = {MMAP_BYTES}"), [], |r| {
                r.get(0)
            })?;
    }
    Ok(conn)
}

/// Looks at the tables of the database at `path`: trackio's `configs` and a `metrics`
/// table with its JSON `metrics` column (MLflow's has `key` and `value` instead).
pub fn probe(path: &Path) -> Probe {
    let Ok(conn) = open(path) else {
        return Probe::Broken;
    };
    let Ok(tables) = table_names(&conn) else {
        return Probe::Broken;
    };
    if !tables.contains("configs") || !tables.contains("metrics") {
        return Probe::Other;
    }
    match columns(&conn, "metrics") {
        Ok(cols)
            if ["metrics", "step", "run_name"]
                .iter()
                .all(|c| cols.contains(*c)) =>
        {
            Probe::Trackio
        }
        Ok(_) => Probe::Other,
        Err(_) => Probe::Broken,
    }
}

/// The runs of one project, in the order they were first seen, and their index by id.
#[derive(Default)]
struct Runs {
    list: Vec<Run>,
    index: HashMap<String, usize>,
    /// Run name → id, to attach rows written without a run id (older trackio).
    by_name: HashMap<String, String>,
    alerts: Vec<Vec<Alert>>,
}

impl Runs {
    /// The run `id` (created, named `name`, when first seen).
    fn get(&mut self, id: &str, name: &str, project: &str) -> &mut Run {
        let i = match self.index.get(id) {
            Some(&i) => i,
            None => {
                let i = self.list.len();
                self.list.push(Run {
                    id: id.to_string(),
                    name: name.to_string(),
                    experiment: Some(project.to_string()),
                    ..Run::default()
                });
                self.alerts.push(Vec::new());
                self.index.insert(id.to_string(), i);
                self.by_name
                    .entry(name.to_string())
                    .or_insert_with(|| id.to_string());
                i
            }
        };
        &mut self.list[i]
    }

    /// The id of a row: its `run_id`, or the id of the run named `name` (the name itself when
    /// no run has it).
    fn id_of(&self, id: Option<&str>, name: &str) -> String {
        match id.filter(|id| !id.is_empty()) {
            Some(id) => id.to_string(),
            None => self
                .by_name
                .get(name)
                .cloned()
                .unwrap_or_else(|| name.to_string()),
        }
    }
}

/// Text of a TEXT or BLOB column (trackio writes its JSON columns as BLOBs).
fn text(value: ValueRef<'_>) -> Option<&str> {
    match value {
        ValueRef::Text(bytes) | ValueRef::Blob(bytes) => std::str::from_utf8(bytes).ok(),
        _ => None,
    }
}

/// Reads the trackio project database at `path` into `out`.
pub fn read(path: &Path, out: &mut ReadOutput) -> Result<(), ReadError> {
    let project = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !out.options().wants_experiment(Some(&project)) {
        return Ok(());
    }
    sqlite_open::read_consistently(path, out, |immutable, out| {
        let conn = open_as(path, immutable).map_err(|e| failed(path, "the database header", &e))?;
        read_project(&conn, path, &project, out)
    })
}

/// Reads the project `project` from `conn` (the database at `path`) into `out`.
fn read_project(
    conn: &Connection,
    path: &Path,
    project: &str,
    out: &mut ReadOutput,
) -> Result<(), ReadError> {
    let tables = table_names(conn).map_err(|e| failed(path, "the table list", &e))?;
    if !tables.contains("configs") || !tables.contains("metrics") {
        return Err(ReadError::invalid(
            path,
            "a SQLite database but not a trackio project (no configs and metrics tables)",
        ));
    }
    let root = path.parent().unwrap_or(Path::new("."));
    let mut runs = Runs::default();
    let mut media = Vec::new();
    let result = read_tables(conn, &tables, path, project, &mut runs, &mut media, out);
    let mut links = Vec::new();
    if result.is_ok() && files::has_artifact_tables(&tables) {
        match files::artifact_links(conn) {
            Ok(found) => links = found,
            Err(e) => out.warn_file(format!(
                "the artifact tables cannot be read ({e}); runs are reported without their artifacts"
            )),
        }
    }
    let mut missing = files::Missing::default();
    for (i, (mut run, alerts)) in runs.list.into_iter().zip(runs.alerts).enumerate() {
        if !alerts.is_empty() {
            if alerts.iter().any(Alert::is_error) {
                run.status = RunStatus::Failed;
            }
            run.notes = Some(values::alerts_markdown(&alerts));
        }
        for item in media.iter().filter(|m: &&Media| m.run == i) {
            run.artifacts.push(files::media_artifact(
                root,
                project,
                item,
                &mut missing,
                out,
            ));
        }
        let mine: Vec<&ArtifactLink> = links
            .iter()
            .filter(|l| {
                l.run_id.as_deref() == Some(run.id.as_str())
                    || (l.run_id.is_none() && l.run_name.as_deref() == Some(run.name.as_str()))
            })
            .collect();
        for link in mine {
            files::add_link(&mut run, root, project, link, &mut missing, out);
        }
        out.add_run(run);
    }
    missing.report(path, out);
    result
}

/// Configs, metric rows and alerts, in that order.
fn read_tables(
    conn: &Connection,
    tables: &HashSet<String>,
    path: &Path,
    project: &str,
    runs: &mut Runs,
    media: &mut Vec<Media>,
    out: &mut ReadOutput,
) -> Result<(), ReadError> {
    read_configs(conn, path, project, runs, out).map_err(|e| failed(path, "configs", &e))?;
    read_metrics(conn, path, project, runs, media, out).map_err(|e| failed(path, "metrics", &e))?;
    if tables.contains("alerts") {
        read_alerts(conn, project, runs).map_err(|e| failed(path, "alerts", &e))?;
    }
    Ok(())
}

/// `run_id` where the table has it (trackio ≥ 0.3x), else NULL (runs keyed by name).
fn id_column(conn: &Connection, table: &str) -> rusqlite::Result<&'static str> {
    Ok(if columns(conn, table)?.contains("run_id") {
        "run_id"
    } else {
        "NULL"
    })
}

fn read_configs(
    conn: &Connection,
    path: &Path,
    project: &str,
    runs: &mut Runs,
    out: &mut ReadOutput,
) -> rusqlite::Result<()> {
    let id_col = id_column(conn, "configs")?;
    let created_col = if columns(conn, "configs")?.contains("created_at") {
        "created_at"
    } else {
        "NULL"
    };
    let sql =
        format!("SELECT id, {id_col}, run_name, config, {created_col} FROM configs ORDER BY id");
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let row_id: i64 = row.get(0)?;
        let name = text(row.get_ref(2)?).unwrap_or_default().to_string();
        let id = runs.id_of(text(row.get_ref(1)?), &name);
        let created = text(row.get_ref(4)?).and_then(|t| parse_time(t).ok());
        let config = text(row.get_ref(3)?).map(serde_json::from_str::<Map<String, Value>>);
        let run = runs.get(&id, &name, project);
        run.start_time = run.start_time.or(created);
        match config {
            Some(Ok(config)) => values::apply_config(run, config),
            Some(Err(e)) => out.warn_at(
                path,
                Some(row_id as u64),
                format!("configs row {row_id} (run {name}): the config is not a JSON object ({e}); the run is read without params"),
            ),
            None => out.warn_at(
                path,
                Some(row_id as u64),
                format!("configs row {row_id} (run {name}): the config is not UTF-8 text; the run is read without params"),
            ),
        }
    }
    Ok(())
}

fn read_metrics(
    conn: &Connection,
    path: &Path,
    project: &str,
    runs: &mut Runs,
    media: &mut Vec<Media>,
    out: &mut ReadOutput,
) -> rusqlite::Result<()> {
    let id_col = id_column(conn, "metrics")?;
    let sql =
        format!("SELECT id, {id_col}, run_name, step, timestamp, metrics FROM metrics ORDER BY id");
    // Series per run index, filled here and moved into the runs at the end, also when a
    // damaged page ends the read part-way (the points before it are kept).
    let mut series: Vec<RunSeries> = Vec::new();
    let result = metric_rows(conn, &sql, path, project, runs, media, &mut series, out);
    for (run, keys) in runs.list.iter_mut().zip(series) {
        run.metrics.extend(keys.finish());
    }
    result
}

/// The keys and series of one run while its rows stream in. Rows of a run mostly log the
/// same keys in the same order, so the key of a row's `i`-th entry is looked for first
/// where the previous row's `i`-th entry was (one string comparison), then by hash; no
/// key is copied once it is known.
#[derive(Default)]
struct RunSeries {
    names: Vec<String>,
    /// The series of each key (empty for keys that never had a number).
    series: Vec<MetricSeries>,
    /// The last row (by [`RunSeries::start_row`]) that had each key: a key seen twice in
    /// one row is a repeated key.
    seen_in: Vec<u64>,
    index: HashMap<String, usize>,
    /// The keys of the previous row's entries, by position.
    order: Vec<usize>,
    row: u64,
}

impl RunSeries {
    /// Starts the next row.
    fn start_row(&mut self) {
        self.row += 1;
    }

    /// The index of `key`, the row's `position`-th entry (a new key is added), and
    /// whether this is the key's first time in the row.
    fn key(&mut self, position: usize, key: &str) -> (usize, bool) {
        let guess = self
            .order
            .get(position)
            .copied()
            .filter(|&i| self.names[i] == key);
        let i = match guess.or_else(|| self.index.get(key).copied()) {
            Some(i) => i,
            None => {
                let i = self.names.len();
                self.names.push(key.to_string());
                self.series.push(MetricSeries::default());
                self.seen_in.push(0);
                self.index.insert(key.to_string(), i);
                i
            }
        };
        if position < self.order.len() {
            self.order[position] = i;
        } else {
            self.order.push(i);
        }
        let first = self.seen_in[i] != self.row;
        self.seen_in[i] = self.row;
        (i, first)
    }

    /// The series by key (keys without numbers left out).
    fn finish(self) -> BTreeMap<String, MetricSeries> {
        self.names
            .into_iter()
            .zip(self.series)
            .filter(|(_, series)| !series.is_empty())
            .collect()
    }
}

/// The rows of the `metrics` table into `series`, by run index.
#[allow(clippy::too_many_arguments)]
fn metric_rows(
    conn: &Connection,
    sql: &str,
    path: &Path,
    project: &str,
    runs: &mut Runs,
    media: &mut Vec<Media>,
    series: &mut Vec<RunSeries>,
    out: &mut ReadOutput,
) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare(sql)?;
    let mut rows = stmt.query([])?;
    let mut last_id = String::new();
    let mut last_index = 0;
    // The previous row's timestamp text and its parse: rows flushed together share one.
    let mut last_stamp: Vec<u8> = Vec::new();
    let mut last_time = None;
    // One allocation for the entries (and their keys' indices) of every row.
    let mut spare: Entries<'static> = Vec::new();
    let mut keys: Vec<usize> = Vec::new();
    while let Some(row) = rows.next()? {
        let row_id: i64 = row.get(0)?;
        let name = text(row.get_ref(2)?).unwrap_or_default();
        let id = text(row.get_ref(1)?).filter(|id| !id.is_empty());
        // Consecutive rows mostly belong to one run: skip the lookups then.
        let index = if id.is_some_and(|id| id == last_id) {
            last_index
        } else {
            let key = runs.id_of(id, name);
            let name = name.to_string();
            runs.get(&key, &name, project);
            let index = runs.index[&key];
            last_id = key;
            last_index = index;
            index
        };
        let step = match row.get_ref(3)? {
            ValueRef::Integer(step) => step,
            ValueRef::Real(f) if f.fract() == 0.0 && f.abs() < 9.0e18 => f as i64,
            _ => {
                out.warn_at(
                    path,
                    Some(row_id as u64),
                    format!("metrics row {row_id} (run {name}): no whole step; row skipped"),
                );
                continue;
            }
        };
        let stamp = text(row.get_ref(4)?);
        let time = match stamp {
            Some(t) if t.as_bytes() == last_stamp.as_slice() => last_time,
            Some(t) => {
                last_stamp.clear();
                last_stamp.extend_from_slice(t.as_bytes());
                last_time = parse_time(t).ok();
                last_time
            }
            None => None,
        };
        let mut entries = row::recycle(std::mem::take(&mut spare));
        let parsed = match text(row.get_ref(5)?) {
            Some(json) => row::decode(json, &mut entries).map_err(|e| e.to_string()),
            None => Err("not UTF-8 text".to_string()),
        };
        match parsed {
            Ok(()) => {}
            Err(e) => {
                spare = row::recycle(entries);
                out.warn_at(
                    path,
                    Some(row_id as u64),
                    format!("metrics row {row_id} (run {name}, step {step}): the metrics are not a JSON object ({e}); row skipped"),
                );
                continue;
            }
        };
        if series.len() <= index {
            series.resize_with(index + 1, RunSeries::default);
        }
        let target = &mut series[index];
        keys.clear();
        target.start_row();
        let mut repeated = false;
        for (position, (key, _)) in entries.iter().enumerate() {
            let (i, first) = target.key(position, key);
            repeated |= !first;
            keys.push(i);
        }
        if repeated {
            // A key written twice keeps its last value, as a JSON map would.
            row::keep_last(&mut entries);
            keys.clear();
            target.start_row();
            for (position, (key, _)) in entries.iter().enumerate() {
                keys.push(target.key(position, key).0);
            }
        }
        for ((key, value), &i) in entries.drain(..).zip(&keys) {
            match value {
                row::Value::Number(v) => target.series[i].push(step, v, time),
                row::Value::Media(file) => media.push(Media {
                    run: index,
                    key: key.into_owned(),
                    step,
                    file: file.into_owned(),
                }),
                row::Value::Other => {}
            }
        }
        spare = row::recycle(entries);
    }
    Ok(())
}

fn read_alerts(conn: &Connection, project: &str, runs: &mut Runs) -> rusqlite::Result<()> {
    let id_col = id_column(conn, "alerts")?;
    let sql = format!(
        "SELECT {id_col}, run_name, title, text, level, step, timestamp FROM alerts ORDER BY id"
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let name = text(row.get_ref(1)?).unwrap_or_default().to_string();
        let id = runs.id_of(text(row.get_ref(0)?), &name);
        let alert = Alert {
            title: text(row.get_ref(2)?).unwrap_or_default().to_string(),
            text: text(row.get_ref(3)?).map(str::to_string),
            level: text(row.get_ref(4)?).unwrap_or("warn").to_string(),
            step: sql::integer(row.get_ref(5)?),
            timestamp: text(row.get_ref(6)?).map(str::to_string),
        };
        runs.get(&id, &name, project);
        let i = runs.index[&id];
        runs.alerts[i].push(alert);
    }
    Ok(())
}
