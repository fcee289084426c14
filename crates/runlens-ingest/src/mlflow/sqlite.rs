//! MLflow's SQLite tracking store (`mlflow.db`, the default since MLflow 3), opened
//! read-only: experiments, runs, params, tags, dataset inputs and the full metric history
//! (`sqlite_metrics`: handed over, and in a streamed build spilled, run by run).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use runlens_core::{Run, RunStatus};
use rusqlite::Connection;
use rusqlite::types::ValueRef;

use super::convert::{self, DatasetInput};
use super::{artifacts, registry, sqlite_metrics};
use crate::error::ReadError;
use crate::reader::ReadOutput;
use crate::spill::SpilledRun;
pub(crate) use crate::sqlite_open::open;
use crate::sqlite_open::{open_as, read_consistently};

/// The first 16 bytes of every SQLite 3 database.
pub const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";

/// Tables a database must have to be an MLflow tracking store.
const REQUIRED_TABLES: [&str; 5] = ["experiments", "runs", "params", "tags", "metrics"];

/// Alembic revisions of MLflow's schema up to MLflow 3.17.2 (head `dc11669786a5`), which
/// covers every 1.x, 2.x and 3.x release up to it. Another revision is a newer schema:
/// read what is recognizable, with a warning.
const KNOWN_REVISIONS: &[&str] = &[
    "0584bdc529eb",
    "0a8213491aaa",
    "0c779009ac13",
    "17e22815139b",
    "181f10493468",
    "1971f2d9a75b",
    "1a0cddfcaa16",
    "1b5f0d9ad7c1",
    "1bd49d398cd23",
    "27a6a02d2cf1",
    "2b4d017a5e9b",
    "2c33131f4dae",
    "2d6e25af4d3e",
    "3500859a5d39",
    "39d1c3be5f05",
    "3da73c924c2f",
    "400f98739977",
    "4465047574b1",
    "451aebb31d03",
    "534353b11cbc",
    "5b0e9adcef9c",
    "5d2d30f0abce",
    "6953534de441",
    "6f8d9c3b2a1e",
    "71994744cf8e",
    "728d730b5ebd",
    "75868b020152",
    "76601a5f987d",
    "770bee3ae1dd",
    "7ac759974ad8",
    "7d34483879f0",
    "7f2a7d5fae7d",
    "84291f40a231",
    "867495a8f9d4",
    "89d3d66ed43f",
    "89d4b8295536",
    "90e64c465722",
    "97727af70f4d",
    "a1b2c3d4e5f6",
    "a5b4c3d2e1f0",
    "a8b9c0d1e2f3",
    "a8c4a736bde6",
    "acf3f17fdcc7",
    "ae8bbe7743c9",
    "b7c8d9e0f1a2",
    "b7e2c1a4d9f3",
    "b7e4c1a90f23",
    "bd07f7e963c5",
    "bda7b8c39065",
    "bf29a5ff90ea",
    "c1d2e3f4a5b6",
    "c3d6457b6d8a",
    "c3d9e7f1a2b4",
    "c48cb773bb87",
    "c8d9e0f1a2b3",
    "c9d4e5f6a7b8",
    "cbc13b556ace",
    "cc1f77228345",
    "cfd24bdc0731",
    "d0e1f2a3b4c5",
    "d3e4f5a6b7c8",
    "da6fb0208061",
    "dc11669786a5",
    "de4033877273",
    "df50e92ffc5e",
    "e1f2a3b4c5d6",
    "f5a4f2784254",
];

/// What a quick look at a SQLite file says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// It has MLflow's tables.
    Mlflow,
    /// A healthy database of something else.
    Other,
    /// It could not be opened or queried (damaged, locked, unreadable).
    Broken,
}

/// Looks at the table names of the database at `path`.
pub fn probe(path: &Path) -> Probe {
    let Ok(conn) = open(path) else {
        return Probe::Broken;
    };
    match table_names(&conn) {
        Ok(tables) if REQUIRED_TABLES.iter().all(|t| tables.contains(*t)) => Probe::Mlflow,
        Ok(_) => Probe::Other,
        Err(_) => Probe::Broken,
    }
}

/// The database path of a `sqlite:///PATH` URL (SQLAlchemy's form: `sqlite:///mlflow.db`
/// is relative, `sqlite:////abs/mlflow.db` absolute), or `None` for another text.
pub fn url_path(url: &str) -> Option<&str> {
    url.strip_prefix("sqlite:///").filter(|p| !p.is_empty())
}

pub(crate) fn table_names(conn: &Connection) -> rusqlite::Result<HashSet<String>> {
    let mut stmt = conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table'")?;
    let names = stmt.query_map([], |row| row.get::<_, String>(0))?;
    names.collect()
}

pub(crate) fn columns(conn: &Connection, table: &str) -> rusqlite::Result<HashSet<String>> {
    let mut stmt = conn.prepare(&format!("PRAGMA table_info({table})"))?;
    let names = stmt.query_map([], |row| row.get::<_, String>(1))?;
    names.collect()
}

/// Turns a SQLite error into a [`ReadError`] that says what was being read.
pub(crate) fn failed(path: &Path, what: &str, error: &rusqlite::Error) -> ReadError {
    let damaged = matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
    );
    let hint = if damaged {
        " (the file is damaged: read a good copy, or salvage it with sqlite3's .recover)"
    } else {
        ""
    };
    ReadError::invalid(
        path,
        format!("SQLite error while reading {what}: {error}{hint}"),
    )
}

/// The run table columns that differ between schema versions.
struct RunColumns {
    name: bool,
    lifecycle: bool,
    artifact_uri: bool,
}

/// Reads the MLflow SQLite store at `path` into `out`.
pub fn read(path: &Path, out: &mut ReadOutput) -> Result<(), ReadError> {
    read_consistently(path, out, |immutable, out| {
        let conn = open_as(path, immutable).map_err(|e| failed(path, "the database header", &e))?;
        read_store(&conn, path, out)
    })
}

fn read_store(conn: &Connection, path: &Path, out: &mut ReadOutput) -> Result<(), ReadError> {
    let tables = table_names(conn).map_err(|e| failed(path, "the table list", &e))?;
    let missing: Vec<&str> = REQUIRED_TABLES
        .iter()
        .copied()
        .filter(|t| !tables.contains(*t))
        .collect();
    if !missing.is_empty() {
        return Err(ReadError::invalid(
            path,
            format!(
                "a SQLite database but not an MLflow tracking store (no table {}); skipped",
                missing.join(", ")
            ),
        ));
    }
    check_revision(conn, &tables, out);
    let run_cols = columns(conn, "runs").map_err(|e| failed(path, "the runs table", &e))?;
    let run_columns = RunColumns {
        name: run_cols.contains("name"),
        lifecycle: run_cols.contains("lifecycle_stage"),
        artifact_uri: run_cols.contains("artifact_uri"),
    };
    let experiments = read_experiments(conn).map_err(|e| failed(path, "experiments", &e))?;
    let mut runs = Runs::default();
    read_runs(conn, &experiments, &run_columns, out, &mut runs)
        .map_err(|e| failed(path, "runs", &e))?;
    let mut spilled = vec![SpilledRun::new(); runs.list.len()];
    let result = read_details(conn, &tables, &mut runs, path)
        .and_then(|()| read_metrics(conn, &mut runs, path, out, &mut spilled));
    let mut locator = artifacts::Locator::new(path.parent().unwrap_or(Path::new(".")));
    let runs_and_parts = runs.list.into_iter().zip(spilled);
    for ((mut run, parts), uri) in runs_and_parts.zip(runs.artifact_uris) {
        convert::finish_run(&mut run);
        if let Some(uri) = uri.filter(|u| !u.is_empty()) {
            run.artifacts = locator.run_artifacts(&uri, out);
        }
        out.add_run_spilled(run, parts);
    }
    locator.report(out);
    match registry::from_sqlite(conn, &tables) {
        Ok(models) => models.into_iter().for_each(|m| out.add_model(m)),
        Err(e) => out.warn_file(format!(
            "the model registry cannot be read ({e}); runs are reported without it"
        )),
    }
    result
}

/// Params, tags and datasets of the selected runs.
fn read_details(
    conn: &Connection,
    tables: &HashSet<String>,
    runs: &mut Runs,
    path: &Path,
) -> Result<(), ReadError> {
    read_key_values(conn, "params", runs, |run, key, value| {
        convert::add_param(run, key, value);
    })
    .map_err(|e| failed(path, "params", &e))?;
    read_key_values(conn, "tags", runs, |run, key, value| {
        run.tags.insert(key, value.to_string());
    })
    .map_err(|e| failed(path, "tags", &e))?;
    if ["inputs", "datasets"].iter().all(|t| tables.contains(*t)) {
        read_datasets(conn, tables.contains("input_tags"), runs)
            .map_err(|e| failed(path, "dataset inputs", &e))?;
    }
    Ok(())
}

/// The metric series of the selected runs, each run's moved to the spill (its segments in
/// `spilled`) as soon as they are read when this read spills.
fn read_metrics(
    conn: &Connection,
    runs: &mut Runs,
    path: &Path,
    out: &mut ReadOutput,
    spilled: &mut [SpilledRun],
) -> Result<(), ReadError> {
    let index: HashMap<&str, usize> = runs.index.iter().map(|(id, &i)| (id.as_str(), i)).collect();
    let list = &mut runs.list;
    sqlite_metrics::read(conn, path, &index, |i, series| {
        let run = &mut list[i];
        run.metrics = series;
        out.spill_series(&mut run.metrics, &mut spilled[i]);
    })
    .map_err(|e| failed(path, "metrics", &e))
}

fn check_revision(conn: &Connection, tables: &HashSet<String>, out: &mut ReadOutput) {
    // MLflow creates a store's tables first and records the schema revision after its
    // migrations: a store read in between (no `alembic_version`, or an empty one) has no
    // run yet, and so nothing to misread.
    let has_runs = conn
        .query_row("SELECT EXISTS (SELECT 1 FROM runs)", [], |row| row.get(0))
        .unwrap_or(true);
    if !has_runs {
        return;
    }
    if !tables.contains("alembic_version") {
        out.warn_file("no alembic_version table (an MLflow store older than 1.x?); reading the tables that are there");
        return;
    }
    let version: rusqlite::Result<String> =
        conn.query_row("SELECT version_num FROM alembic_version", [], |row| {
            row.get(0)
        });
    match version {
        Ok(v) if KNOWN_REVISIONS.contains(&v.as_str()) => {}
        Ok(v) => out.warn_file(format!(
            "schema revision {v} is newer than the MLflow versions runlens knows (up to 3.17.2, revision dc11669786a5); reading the tables and columns it recognizes"
        )),
        Err(e) => out.warn_file(format!(
            "cannot read the schema revision ({e}); reading the tables that are there"
        )),
    }
}

/// Experiment id → (name, deleted).
fn read_experiments(conn: &Connection) -> rusqlite::Result<HashMap<i64, (String, bool)>> {
    let mut stmt = conn.prepare("SELECT experiment_id, name, lifecycle_stage FROM experiments")?;
    let rows = stmt.query_map([], |row| {
        let id: i64 = row.get(0)?;
        let name: String = row.get(1)?;
        let stage: Option<String> = row.get(2)?;
        Ok((id, (name, stage.as_deref() == Some("deleted"))))
    })?;
    rows.collect()
}

/// The selected runs and their index by run id.
#[derive(Default)]
struct Runs {
    list: Vec<Run>,
    index: HashMap<String, usize>,
    /// `artifact_uri` of each run in `list`.
    artifact_uris: Vec<Option<String>>,
}

impl Runs {
    fn get_mut(&mut self, id: &str) -> Option<&mut Run> {
        let i = *self.index.get(id)?;
        self.list.get_mut(i)
    }
}

fn read_runs(
    conn: &Connection,
    experiments: &HashMap<i64, (String, bool)>,
    cols: &RunColumns,
    out: &mut ReadOutput,
    runs: &mut Runs,
) -> rusqlite::Result<()> {
    let sql = format!(
        "SELECT run_uuid, {}, status, start_time, end_time, {}, experiment_id, {} FROM runs ORDER BY run_uuid",
        if cols.name { "name" } else { "NULL" },
        if cols.lifecycle {
            "lifecycle_stage"
        } else {
            "NULL"
        },
        if cols.artifact_uri {
            "artifact_uri"
        } else {
            "NULL"
        },
    );
    let options = out.options().clone();
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query([])?;
    let mut unknown_status = HashSet::new();
    while let Some(row) = rows.next()? {
        let id: String = row.get(0)?;
        let stage: Option<String> = row.get(5)?;
        let experiment_id: Option<i64> = row.get(6)?;
        let (experiment, experiment_deleted) = match experiment_id.and_then(|e| experiments.get(&e))
        {
            Some((name, deleted)) => (Some(name.clone()), *deleted),
            None => (experiment_id.map(|e| e.to_string()), false),
        };
        let deleted = experiment_deleted || stage.as_deref() == Some("deleted");
        if (deleted && !options.include_deleted) || !options.wants_experiment(experiment.as_deref())
        {
            continue;
        }
        let status_text: Option<String> = row.get(2)?;
        let status = match status_text.as_deref().map(convert::status_from_text) {
            Some(Some(status)) => status,
            Some(None) => {
                unknown_status.extend(status_text);
                RunStatus::Unknown
            }
            None => RunStatus::Unknown,
        };
        let start: Option<i64> = row.get(3)?;
        let end: Option<i64> = row.get(4)?;
        let run = Run {
            name: row.get::<_, Option<String>>(1)?.unwrap_or_default(),
            experiment,
            status,
            start_time: start.map(convert::ms_to_secs),
            end_time: end.map(convert::ms_to_secs),
            id: id.clone(),
            ..Run::default()
        };
        runs.index.insert(id, runs.list.len());
        runs.list.push(run);
        runs.artifact_uris.push(row.get(7)?);
    }
    let mut unknown: Vec<String> = unknown_status.into_iter().collect();
    unknown.sort();
    for status in unknown {
        out.warn_file(format!("unknown run status {status:?}; shown as unknown"));
    }
    Ok(())
}

/// Reads `params` or `tags` (`key, value, run_uuid`) of the selected runs.
fn read_key_values(
    conn: &Connection,
    table: &str,
    runs: &mut Runs,
    mut add: impl FnMut(&mut Run, String, &str),
) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare(&format!("SELECT run_uuid, key, value FROM {table}"))?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let Some(run) = text(row.get_ref(0)?).and_then(|id| runs.get_mut(id)) else {
            continue;
        };
        let key: String = row.get(1)?;
        let value = text(row.get_ref(2)?).unwrap_or_default();
        add(run, key, value);
    }
    Ok(())
}

fn read_datasets(conn: &Connection, with_tags: bool, runs: &mut Runs) -> rusqlite::Result<()> {
    let context = if with_tags {
        "(SELECT t.value FROM input_tags t WHERE t.input_uuid = i.input_uuid AND t.name = 'mlflow.data.context')"
    } else {
        "NULL"
    };
    let sql = format!(
        "SELECT i.destination_id, d.name, d.digest, d.dataset_source, {context} \
         FROM inputs i JOIN datasets d ON d.dataset_uuid = i.source_id \
         WHERE i.source_type = 'DATASET' AND i.destination_type = 'RUN' \
         ORDER BY i.destination_id, d.name"
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let Some(run) = text(row.get_ref(0)?).and_then(|id| runs.get_mut(id)) else {
            continue;
        };
        let input = DatasetInput {
            name: row.get::<_, Option<String>>(1)?.unwrap_or_default(),
            digest: row.get::<_, Option<String>>(2)?.unwrap_or_default(),
            source: row.get::<_, Option<String>>(3)?.unwrap_or_default(),
            context: row.get(4)?,
        };
        input.add_to(run);
    }
    Ok(())
}

pub(crate) fn text(value: ValueRef<'_>) -> Option<&str> {
    match value {
        ValueRef::Text(bytes) => std::str::from_utf8(bytes).ok(),
        _ => None,
    }
}

pub(crate) fn integer(value: ValueRef<'_>) -> Option<i64> {
    match value {
        ValueRef::Integer(i) => Some(i),
        ValueRef::Real(f) if f.fract() == 0.0 && f.abs() < 9.0e18 => Some(f as i64),
        _ => None,
    }
}
