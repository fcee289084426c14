//! `runlens export`: the normalized archive as a table for pandas, polars, DuckDB or a
//! spreadsheet — either the run table (one row per run) or the long-form metric series
//! (one row per point) — in CSV or Parquet (written by polars) or JSON Lines.
//!
//! The metric points are spilled to a temporary file beside the output while the sources
//! are read, and written one run at a time from there, so memory is bounded by the largest
//! run, not by the archive. The output file is replaced atomically.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufWriter, Write};

use polars::prelude::*;
use runlens_core::model::{Archive, MetricSeries, ParamValue, Run};
use runlens_ingest::ReadReport;
use serde_json::json;

use crate::args::{ExportArgs, ExportFormat, ExportTable};
use crate::output::{MetricSummaries, float_json, run_json, terminal_safe};

pub fn run(
    args: &ExportArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> anyhow::Result<u8> {
    let config = super::config(&args.source)?;
    let spill_dir = super::build::spill_dir(Some(&args.output));
    let report = super::read(&args.source, &config, &spill_dir, stderr)?;
    super::check_strict(&args.source, &report)?;
    let archive = &report.archive;
    let mut file = runlens_site::AtomicFile::new(&args.output)?;
    let rows = {
        let mut writer = BufWriter::new(&mut file);
        let rows = match args.table {
            ExportTable::Runs => write_runs(
                archive,
                &super::summaries(&report)?,
                args.format,
                &mut writer,
            )?,
            ExportTable::Metrics => write_metrics(&report, args.format, &mut writer)?,
        };
        writer.flush()?;
        rows
    };
    file.commit()?;
    if args.source.quiet {
        return Ok(crate::EXIT_OK);
    }
    writeln!(
        stdout,
        "wrote {}: {rows} rows ({} of {} runs)",
        terminal_safe(&args.output.display().to_string()),
        match args.table {
            ExportTable::Runs => "the table",
            ExportTable::Metrics => "the metric points",
        },
        archive.runs.len()
    )?;
    Ok(crate::EXIT_OK)
}

/// Writes one row per run; returns the row count.
fn write_runs(
    archive: &Archive,
    summaries: &[MetricSummaries],
    format: ExportFormat,
    out: &mut dyn Write,
) -> anyhow::Result<u64> {
    if format == ExportFormat::Jsonl {
        for (run, metrics) in archive.runs.iter().zip(summaries) {
            // The same object as one run of `inspect --json` (docs/inspect-json.md).
            serde_json::to_writer(&mut *out, &run_json(run, metrics))?;
            out.write_all(b"\n")?;
        }
        return Ok(archive.runs.len() as u64);
    }
    let mut frame = runs_frame(&archive.runs, summaries)?;
    write_frame(&mut frame, format, out)?;
    Ok(archive.runs.len() as u64)
}

/// Writes one row per metric point, a run at a time; returns the row count.
fn write_metrics(
    report: &ReadReport,
    format: ExportFormat,
    out: &mut dyn Write,
) -> anyhow::Result<u64> {
    let runs = &report.archive.runs;
    let mut rows = 0;
    match format {
        ExportFormat::Jsonl => {
            for (row, run) in runs.iter().enumerate() {
                for (key, series) in &super::run_series(report, row)? {
                    for i in 0..series.len() {
                        let time = series.times.as_ref().map(|t| t[i]);
                        let line = json!({
                            "run": run.id,
                            "key": key,
                            "step": series.steps[i],
                            "time": time.map(float_json),
                            "value": float_json(series.values[i]),
                        });
                        serde_json::to_writer(&mut *out, &line)?;
                        out.write_all(b"\n")?;
                        rows += 1;
                    }
                }
            }
        }
        ExportFormat::Csv => {
            let mut writer = CsvWriter::new(out).batched(&metrics_schema())?;
            for (row, run) in runs.iter().enumerate() {
                let frame = metrics_frame(run, &super::run_series(report, row)?)?;
                rows += frame.height() as u64;
                writer.write_batch(&frame)?;
            }
            writer.finish()?;
        }
        ExportFormat::Parquet => {
            let mut writer = ParquetWriter::new(out)
                .with_compression(ParquetCompression::Zstd(None))
                .batched(&metrics_schema())?;
            for (row, run) in runs.iter().enumerate() {
                let frame = metrics_frame(run, &super::run_series(report, row)?)?;
                rows += frame.height() as u64;
                writer.write_batch(&frame)?;
            }
            writer.finish()?;
        }
    }
    Ok(rows)
}

fn write_frame(
    frame: &mut DataFrame,
    format: ExportFormat,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match format {
        ExportFormat::Csv => CsvWriter::new(out).finish(frame)?,
        ExportFormat::Parquet => {
            ParquetWriter::new(out)
                .with_compression(ParquetCompression::Zstd(None))
                .finish(frame)?;
        }
        ExportFormat::Jsonl => unreachable!("JSON Lines is written with serde_json"),
    }
    Ok(())
}

fn metrics_schema() -> Schema {
    Schema::from_iter([
        Field::new("run".into(), DataType::String),
        Field::new("key".into(), DataType::String),
        Field::new("step".into(), DataType::Int64),
        Field::new("time".into(), DataType::Float64),
        Field::new("value".into(), DataType::Float64),
    ])
}

/// The long-form points of one run, whose series are `metrics`.
fn metrics_frame(run: &Run, metrics: &BTreeMap<String, MetricSeries>) -> PolarsResult<DataFrame> {
    let points: usize = metrics.values().map(|s| s.len()).sum();
    let (mut keys, mut steps, mut times, mut values) = (
        Vec::with_capacity(points),
        Vec::with_capacity(points),
        Vec::with_capacity(points),
        Vec::with_capacity(points),
    );
    for (key, series) in metrics {
        keys.extend(std::iter::repeat_n(key.as_str(), series.len()));
        steps.extend_from_slice(&series.steps);
        values.extend_from_slice(&series.values);
        match &series.times {
            Some(t) => times.extend(t.iter().map(|&x| (!x.is_nan()).then_some(x))),
            None => times.extend(std::iter::repeat_n(None, series.len())),
        }
    }
    DataFrame::new_infer_height(vec![
        Column::new("run".into(), vec![run.id.as_str(); points]),
        Column::new("key".into(), keys),
        Column::new("step".into(), steps),
        Column::new("time".into(), times),
        Column::new("value".into(), values),
    ])
}

/// The run table: attributes, `params.*` (typed per column), `tags.*` and the last, min and
/// max of every metric.
fn runs_frame(runs: &[Run], summaries: &[MetricSummaries]) -> PolarsResult<DataFrame> {
    let text = |f: &dyn Fn(&Run) -> Option<String>| runs.iter().map(f).collect::<Vec<_>>();
    let mut columns = vec![
        Column::new("id".into(), text(&|r| Some(r.id.clone()))),
        Column::new("name".into(), text(&|r| Some(r.name.clone()))),
        Column::new("source".into(), text(&|r| Some(r.source.clone()))),
        Column::new("experiment".into(), text(&|r| r.experiment.clone())),
        Column::new("group".into(), text(&|r| r.group.clone())),
        Column::new(
            "status".into(),
            text(&|r| Some(r.status.as_str().to_string())),
        ),
        Column::new(
            "start_time".into(),
            runs.iter().map(|r| r.start_time).collect::<Vec<_>>(),
        ),
        Column::new(
            "end_time".into(),
            runs.iter().map(|r| r.end_time).collect::<Vec<_>>(),
        ),
    ];
    let keys = |f: &dyn Fn(&Run) -> Vec<String>| runs.iter().flat_map(f).collect::<BTreeSet<_>>();
    for key in keys(&|r| r.params.keys().cloned().collect()) {
        let cells: Vec<Option<&ParamValue>> = runs.iter().map(|r| r.params.get(&key)).collect();
        columns.push(param_column(&format!("params.{key}"), &cells));
    }
    for key in keys(&|r| r.tags.keys().cloned().collect()) {
        columns.push(Column::new(
            format!("tags.{key}").into(),
            text(&|r| r.tags.get(&key).cloned()),
        ));
    }
    let metric_keys: BTreeSet<&String> = summaries.iter().flat_map(BTreeMap::keys).collect();
    for key in metric_keys {
        let summaries: Vec<_> = summaries
            .iter()
            .map(|m| m.get(key).copied().flatten())
            .collect();
        for (stat, pick) in [
            (
                "last",
                (|s| s.last) as fn(&runlens_core::model::MetricSummary) -> f64,
            ),
            ("min", |s| s.min),
            ("max", |s| s.max),
        ] {
            let values: Vec<Option<f64>> = summaries.iter().map(|s| s.as_ref().map(pick)).collect();
            columns.push(Column::new(format!("metrics.{key}.{stat}").into(), values));
        }
    }
    DataFrame::new_infer_height(columns)
}

/// One typed column for a param: booleans, integers or floats when every present value is
/// of that kind (integers widen to floats), text otherwise.
fn param_column(name: &str, cells: &[Option<&ParamValue>]) -> Column {
    let present = || cells.iter().flatten();
    if present().all(|v| matches!(v, ParamValue::Bool(_))) {
        let values: Vec<Option<bool>> = cells
            .iter()
            .map(|v| match v {
                Some(ParamValue::Bool(b)) => Some(*b),
                _ => None,
            })
            .collect();
        return Column::new(name.into(), values);
    }
    if present().all(|v| matches!(v, ParamValue::Int(_))) {
        let values: Vec<Option<i64>> = cells
            .iter()
            .map(|v| match v {
                Some(ParamValue::Int(i)) => Some(*i),
                _ => None,
            })
            .collect();
        return Column::new(name.into(), values);
    }
    if present().all(|v| matches!(v, ParamValue::Int(_) | ParamValue::Float(_))) {
        let values: Vec<Option<f64>> = cells
            .iter()
            .map(|v| v.and_then(ParamValue::as_f64))
            .collect();
        return Column::new(name.into(), values);
    }
    let values: Vec<Option<String>> = cells.iter().map(|v| v.map(ToString::to_string)).collect();
    Column::new(name.into(), values)
}
