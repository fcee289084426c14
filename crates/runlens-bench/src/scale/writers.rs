//! The scale suite's archive writers, each fed the generated runs one at a time: runlens'
//! JSONL event stream (`docs/input-formats.md`), TensorBoard event files (TFRecord framing
//! with masked CRC-32C, `Event` protos encoded by hand, one scalar per event as PyTorch's
//! and tensorboardX's `add_scalar` write them) and rows of an MLflow SQLite store whose
//! schema the real `mlflow` created (values stored as MLflow stores them: NaN as 0 with
//! `is_nan`, ±inf as ±`f64::MAX`).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use runlens_core::ParamValue;

use super::generate::{GenRun, KEYS};

/// Runs per JSONL file.
const RUNS_PER_FILE: usize = 1_000;

/// Writes `part-NNNN.jsonl` files of [`RUNS_PER_FILE`] runs each: a `run` line, a `params`
/// line, a `tags` line, one `metrics` line per step, and a closing `run` line.
pub struct JsonlWriter {
    dir: PathBuf,
    file: Option<BufWriter<File>>,
    runs: usize,
    line: String,
}

impl JsonlWriter {
    /// Writes into `dir` (created).
    pub fn new(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)?;
        Ok(JsonlWriter {
            dir: dir.to_path_buf(),
            file: None,
            runs: 0,
            line: String::new(),
        })
    }

    /// Appends one run.
    pub fn write(&mut self, run: &GenRun) -> anyhow::Result<()> {
        use std::fmt::Write as _;
        if self.runs.is_multiple_of(RUNS_PER_FILE) {
            self.finish()?;
            let path = self
                .dir
                .join(format!("part-{:04}.jsonl", self.runs / RUNS_PER_FILE));
            self.file = Some(BufWriter::with_capacity(1 << 20, File::create(&path)?));
        }
        self.runs += 1;
        let out = self.file.as_mut().expect("opened above");
        let line = &mut self.line;
        line.clear();
        let _ = writeln!(
            line,
            r#"{{"type":"run","run":"{}","name":"{}","status":"running","start_time":{}}}"#,
            run.id,
            run.name,
            seconds(run.start_ms)
        );
        line.push_str(r#"{"type":"params","run":""#);
        line.push_str(&run.id);
        line.push_str(r#"","params":{"#);
        for (i, (key, value)) in run.params.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            let _ = match value {
                ParamValue::Float(v) => write!(line, r#"{sep}"{key}":{}"#, number(*v)),
                ParamValue::Int(v) => write!(line, r#"{sep}"{key}":{v}"#),
                ParamValue::Bool(v) => write!(line, r#"{sep}"{key}":{v}"#),
                ParamValue::Text(v) => write!(line, r#"{sep}"{key}":"{v}""#),
            };
        }
        line.push_str("}}\n");
        let _ = writeln!(
            line,
            r#"{{"type":"tags","run":"{}","tags":{{"host":"node-{}","git_commit":"{}"}}}}"#,
            run.id,
            run.start_ms % 16,
            &run.id[..7]
        );
        out.write_all(line.as_bytes())?;
        let mut points = run.points.iter().peekable();
        while let Some(first) = points.next() {
            line.clear();
            let _ = write!(
                line,
                r#"{{"type":"metrics","run":"{}","step":{},"time":{},"values":{{"{}":{}"#,
                run.id,
                first.step,
                seconds(first.time_ms),
                KEYS[first.key as usize],
                number(first.value)
            );
            while let Some(next) = points.next_if(|p| p.step == first.step) {
                let _ = write!(
                    line,
                    r#","{}":{}"#,
                    KEYS[next.key as usize],
                    number(next.value)
                );
            }
            line.push_str("}}\n");
            out.write_all(line.as_bytes())?;
        }
        writeln!(
            out,
            r#"{{"type":"run","run":"{}","status":"{}","end_time":{}}}"#,
            run.id,
            run.status.to_ascii_lowercase(),
            seconds(run.end_ms)
        )?;
        Ok(())
    }

    /// Flushes the open file.
    pub fn finish(&mut self) -> anyhow::Result<()> {
        if let Some(mut file) = self.file.take() {
            file.flush()?;
        }
        Ok(())
    }
}

/// Milliseconds as exact decimal seconds.
fn seconds(ms: i64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// A JSON number, or the bare `NaN`/`Infinity` tokens Python's `json.dumps` writes.
fn number(value: f64) -> String {
    if value.is_nan() {
        "NaN".into()
    } else if value == f64::INFINITY {
        "Infinity".into()
    } else if value == f64::NEG_INFINITY {
        "-Infinity".into()
    } else {
        // `{:?}` is the shortest text that reads back to the same bits.
        format!("{value:?}")
    }
}

/// Writes one directory per run (`run-NNNNNN/events.out.tfevents.T.scale`).
pub struct TensorboardWriter {
    dir: PathBuf,
    runs: usize,
    event: Vec<u8>,
    summary: Vec<u8>,
}

impl TensorboardWriter {
    /// Writes into `dir` (created).
    pub fn new(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)?;
        Ok(TensorboardWriter {
            dir: dir.to_path_buf(),
            runs: 0,
            event: Vec::new(),
            summary: Vec::new(),
        })
    }

    /// Writes one run's event file: the `file_version` event, then one event per point.
    pub fn write(&mut self, run: &GenRun) -> anyhow::Result<()> {
        let dir = self.dir.join(format!("run-{:06}", self.runs));
        self.runs += 1;
        std::fs::create_dir_all(&dir)?;
        let name = format!("events.out.tfevents.{}.scale", run.start_ms / 1000);
        let mut out = BufWriter::with_capacity(1 << 20, File::create(dir.join(name))?);
        self.event.clear();
        put_double(&mut self.event, 1, run.start_ms as f64 / 1000.0);
        put_bytes(&mut self.event, 3, b"brain.Event:2");
        frame(&mut out, &self.event)?;
        for point in &run.points {
            self.summary.clear();
            // Summary.Value { tag = 1, simple_value = 2 (float) }
            let tag = KEYS[point.key as usize].as_bytes();
            let value_len = 2 + tag.len() + 5;
            self.summary.push(0x0A);
            put_varint(&mut self.summary, value_len as u64);
            put_bytes(&mut self.summary, 1, tag);
            self.summary.push(0x15);
            self.summary
                .extend_from_slice(&(point.value as f32).to_le_bytes());
            self.event.clear();
            put_double(&mut self.event, 1, point.time_ms as f64 / 1000.0);
            self.event.push(0x10);
            put_varint(&mut self.event, point.step as u64);
            put_bytes(&mut self.event, 5, &self.summary);
            frame(&mut out, &self.event)?;
        }
        out.flush()?;
        Ok(())
    }
}

/// One TFRecord: length, its masked CRC-32C, the data, its masked CRC-32C.
fn frame(out: &mut impl Write, data: &[u8]) -> std::io::Result<()> {
    let length = (data.len() as u64).to_le_bytes();
    out.write_all(&length)?;
    out.write_all(&masked_crc(&length).to_le_bytes())?;
    out.write_all(data)?;
    out.write_all(&masked_crc(data).to_le_bytes())
}

/// TFRecord's masked CRC-32C.
pub fn masked_crc(bytes: &[u8]) -> u32 {
    crc32c::crc32c(bytes)
        .rotate_right(15)
        .wrapping_add(0xA282_EAD8)
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn put_double(out: &mut Vec<u8>, field: u8, value: f64) {
    out.push(field << 3 | 1);
    out.extend_from_slice(&value.to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, field: u8, bytes: &[u8]) {
    out.push(field << 3 | 2);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Inserts runs into an MLflow SQLite store (experiment 1, created by mlflow), in one
/// transaction, as MLflow's `log_batch` stores them: `runs`, `params` (as text), `tags`,
/// `metrics` and `latest_metrics`.
pub struct MlflowWriter {
    conn: rusqlite::Connection,
    artifact_root: String,
}

impl MlflowWriter {
    /// Opens `db` (a store the real mlflow created, with experiment 1) for bulk inserts.
    pub fn new(db: &Path) -> anyhow::Result<Self> {
        let conn = rusqlite::Connection::open(db)
            .with_context(|| format!("opening the MLflow store {}", db.display()))?;
        conn.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; BEGIN;")?;
        Ok(MlflowWriter {
            conn,
            artifact_root: db.with_file_name("artifacts").display().to_string(),
        })
    }

    /// Inserts one run.
    pub fn write(&mut self, run: &GenRun) -> anyhow::Result<()> {
        let conn = &self.conn;
        conn.prepare_cached(
            "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, \
             user_id, status, start_time, end_time, source_version, lifecycle_stage, \
             artifact_uri, experiment_id) \
             VALUES (?1, ?2, 'UNKNOWN', '', '', 'bench', ?3, ?4, ?5, '', 'active', ?6, 1)",
        )?
        .execute(rusqlite::params![
            run.id,
            run.name,
            run.status,
            run.start_ms,
            run.end_ms,
            format!("{}/{}/artifacts", self.artifact_root, run.id)
        ])?;
        let mut param =
            conn.prepare_cached("INSERT INTO params (key, value, run_uuid) VALUES (?1, ?2, ?3)")?;
        for (key, value) in &run.params {
            let text = match value {
                // Python's str() of what was logged, as mlflow.log_params stores it.
                ParamValue::Bool(true) => "True".to_string(),
                ParamValue::Bool(false) => "False".to_string(),
                ParamValue::Float(v) => format!("{v:?}"),
                other => other.to_string(),
            };
            param.execute(rusqlite::params![key, text, run.id])?;
        }
        let mut tag =
            conn.prepare_cached("INSERT INTO tags (key, value, run_uuid) VALUES (?1, ?2, ?3)")?;
        tag.execute(rusqlite::params!["mlflow.runName", run.name, run.id])?;
        tag.execute(rusqlite::params!["mlflow.user", "bench", run.id])?;
        let mut metric = conn.prepare_cached(
            "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        let mut latest: [Option<(f64, i64, i64, bool)>; KEYS.len()] = [None; KEYS.len()];
        for point in &run.points {
            let (value, is_nan) = stored(point.value);
            metric.execute(rusqlite::params![
                KEYS[point.key as usize],
                value,
                point.time_ms,
                run.id,
                point.step,
                is_nan
            ])?;
            latest[point.key as usize] = Some((value, point.time_ms, point.step, is_nan));
        }
        let mut last = conn.prepare_cached(
            "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for (key, entry) in KEYS.iter().zip(latest) {
            if let Some((value, time, step, is_nan)) = entry {
                last.execute(rusqlite::params![key, value, time, step, is_nan, run.id])?;
            }
        }
        Ok(())
    }

    /// Commits the transaction.
    pub fn finish(self) -> anyhow::Result<()> {
        self.conn
            .execute_batch("COMMIT; PRAGMA journal_mode = DELETE;")?;
        Ok(())
    }
}

/// How MLflow stores a metric value: NaN as 0 with `is_nan`, ±inf as ±`f64::MAX`.
fn stored(value: f64) -> (f64, bool) {
    if value.is_nan() {
        (0.0, true)
    } else if value.is_infinite() {
        (f64::MAX.copysign(value), false)
    } else {
        (value, false)
    }
}
