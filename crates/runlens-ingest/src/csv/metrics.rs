//! Long-form metrics: one row per point with `run`, `step`, `key` (or `metric`), `value`,
//! optionally `time` (or `timestamp`) and `experiment`; polars groups the rows into series.

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::{GroupsIndicator, IntoColumn};
use runlens_core::Run;
use runlens_core::model::parse_float;

use super::{Layout, Table, norm, short, sniff};
use crate::error::ReadError;
use crate::reader::{Entry, ReadOutput, Reader};
use crate::time::parse_time;

/// Reads long-form metrics CSV/TSV files.
#[derive(Debug, Clone, Copy, Default)]
pub struct MetricsCsvReader;

impl Reader for MetricsCsvReader {
    fn name(&self) -> &'static str {
        "metrics-csv"
    }

    /// A `.csv`/`.tsv` file whose header has a `step` column, or `key` (or `metric`) and
    /// `value` columns.
    fn claims(&self, entry: &Entry<'_>) -> bool {
        sniff(entry) == Some(Layout::Metrics)
    }

    fn read(&self, path: &Path, out: &mut ReadOutput) -> Result<(), ReadError> {
        let Some(table) = Table::load(path, out)? else {
            return Ok(());
        };
        let Some(columns) = Columns::find(&table, out) else {
            return Ok(());
        };
        let points = parse_rows(&table, &columns, out);

        // Group the rows by (experiment, run, key), groups in order of first appearance.
        let mut keys = Vec::new();
        if let Some(col) = columns.experiment {
            keys.push(table.columns[col].clone().into_column());
        }
        keys.push(table.columns[columns.run].clone().into_column());
        keys.push(table.columns[columns.key].clone().into_column());
        let grouped = table
            .frame
            .group_by_with_series(keys, true, true)
            .map_err(|source| ReadError::Csv {
                path: path.to_path_buf(),
                source,
            })?;
        let mut runs: BTreeMap<(Option<String>, String), Run> = BTreeMap::new();
        for group in grouped.get_groups().iter() {
            let rows: Vec<usize> = match group {
                GroupsIndicator::Idx((_, idx)) => idx.iter().map(|&i| i as usize).collect(),
                GroupsIndicator::Slice([first, len]) => {
                    (first as usize..(first + len) as usize).collect()
                }
            };
            let mut rows = rows;
            rows.sort_unstable();
            let Some(&first) = rows.first() else {
                continue;
            };
            let (Some(id), Some(key)) = (
                table.cell(columns.run, first),
                table.cell(columns.key, first),
            ) else {
                // Rows without a run or key were warned about by `parse_rows`.
                continue;
            };
            let experiment = columns
                .experiment
                .and_then(|col| table.cell(col, first))
                .map(str::to_string);
            let run = runs
                .entry((experiment.clone(), id.to_string()))
                .or_insert_with(|| Run {
                    id: id.to_string(),
                    name: id.to_string(),
                    experiment,
                    ..Run::default()
                });
            let series = run.metrics.entry(key.to_string()).or_default();
            for row in rows {
                if let Some(point) = points[row] {
                    series.push(point.step, point.value, point.time);
                }
            }
        }
        for run in runs.into_values() {
            out.add_run(run);
        }
        Ok(())
    }
}

/// The columns of a long-form file.
struct Columns {
    run: usize,
    step: usize,
    key: usize,
    value: usize,
    time: Option<usize>,
    experiment: Option<usize>,
}

impl Columns {
    /// Finds the columns; warns and returns `None` when a required one is missing, and
    /// warns about columns the layout has no place for.
    fn find(table: &Table, out: &mut ReadOutput) -> Option<Columns> {
        let first = table.first_of_each_name(out);
        let run = table.find(&["run", "run_id"]);
        let step = table.find(&["step"]);
        let key = table.find(&["key", "metric"]);
        let value = table.find(&["value"]);
        let missing: Vec<&str> = [
            (run, "`run`"),
            (step, "`step`"),
            (key, "`key` (or `metric`)"),
            (value, "`value`"),
        ]
        .iter()
        .filter(|(col, _)| col.is_none())
        .map(|(_, name)| *name)
        .collect();
        let (Some(run), Some(step), Some(key), Some(value)) = (run, step, key, value) else {
            out.warn_file(format!(
                "long-form metrics file without a {} column (it needs run, step, key, value); file skipped",
                missing.join(", ")
            ));
            return None;
        };
        let columns = Columns {
            run,
            step,
            key,
            value,
            time: table.find(&["time", "timestamp"]),
            experiment: table.find(&["experiment"]),
        };
        let used = [
            Some(run),
            Some(step),
            Some(key),
            Some(value),
            columns.time,
            columns.experiment,
        ];
        for (i, name) in table.header.iter().enumerate() {
            if first[i] && !used.contains(&Some(i)) && !norm(name).is_empty() {
                out.warn_file(format!(
                    "column `{}` is not part of the long-form layout (run, step, key, value, time, experiment); it is ignored",
                    short(name.trim())
                ));
            }
        }
        Some(columns)
    }
}

/// One parsed row.
#[derive(Debug, Clone, Copy)]
struct Point {
    step: i64,
    value: f64,
    time: Option<f64>,
}

/// Parses every row in file order, warning about those that cannot be used; `None` marks
/// a row that is skipped.
fn parse_rows(table: &Table, columns: &Columns, out: &mut ReadOutput) -> Vec<Option<Point>> {
    (0..table.height())
        .map(|row| {
            if table.is_blank(row) {
                return None;
            }
            let line = table.lines[row];
            match parse_row(table, columns, row) {
                Ok((point, time_problem)) => {
                    if let Some(problem) = time_problem {
                        out.warn_line(line, problem);
                    }
                    Some(point)
                }
                Err(problem) => {
                    out.warn_line(line, format!("{problem}; row skipped"));
                    None
                }
            }
        })
        .collect()
}

/// A row's point, and a warning about its time if that was unusable.
fn parse_row(
    table: &Table,
    columns: &Columns,
    row: usize,
) -> Result<(Point, Option<String>), String> {
    for (col, name) in [(columns.run, "run"), (columns.key, "key")] {
        if table.cell(col, row).is_none() {
            return Err(format!("the `{name}` cell is empty"));
        }
    }
    let step = match table.cell(columns.step, row) {
        None => return Err("the `step` cell is empty".to_string()),
        Some(cell) => parse_step(cell)
            .ok_or_else(|| format!("step `{}` is not a whole number", short(cell)))?,
    };
    let value = match table.cell(columns.value, row) {
        None => return Err("the `value` cell is empty".to_string()),
        Some(cell) => {
            parse_float(cell).ok_or_else(|| format!("value `{}` is not a number", short(cell)))?
        }
    };
    let (time, problem) = match columns.time.and_then(|col| table.cell(col, row)) {
        None => (None, None),
        Some(cell) => match parse_time(cell) {
            Ok(time) => (Some(time), None),
            Err(message) => (None, Some(format!("time {message}; the point has no time"))),
        },
    };
    Ok((Point { step, value, time }, problem))
}

/// A step cell: an integer, or a float with no fraction (`10.0`, as pandas writes them).
fn parse_step(cell: &str) -> Option<i64> {
    if let Ok(step) = cell.parse::<i64>() {
        return Some(step);
    }
    let x = parse_float(cell)?;
    (x.fract() == 0.0 && x.abs() < 9.0e18).then_some(x as i64)
}
