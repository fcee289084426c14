//! The runs table: one row per run, with reserved attribute columns and `params.`,
//! `metrics.`, `tags.` prefixed columns; MLflow's `search_runs(...).to_csv()` is one.

use std::collections::HashMap;
use std::path::Path;

use runlens_core::model::parse_float;
use runlens_core::{ParamValue, Run, RunStatus};

use super::{Layout, Table, norm, short, sniff};
use crate::error::ReadError;
use crate::reader::{Entry, ReadOutput, Reader};
use crate::time::parse_time;

/// What a column prefix makes of the rest of the column name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Prefixed {
    Param,
    Metric,
    Tag,
}

/// Column prefixes (normalized) and what they introduce.
pub(super) const PREFIXES: [(&str, Prefixed); 6] = [
    ("params.", Prefixed::Param),
    ("param.", Prefixed::Param),
    ("metrics.", Prefixed::Metric),
    ("metric.", Prefixed::Metric),
    ("tags.", Prefixed::Tag),
    ("tag.", Prefixed::Tag),
];

/// Reads runs tables (`*.csv`, `*.tsv` whose header is not long-form metrics).
#[derive(Debug, Clone, Copy, Default)]
pub struct RunsCsvReader;

impl Reader for RunsCsvReader {
    fn name(&self) -> &'static str {
        "csv"
    }

    /// A `.csv`/`.tsv` file whose header has a `run_id`, `id`, `run` or `name` column or a
    /// prefixed column; any `.csv`/`.tsv` that is not long-form metrics when the user
    /// named it.
    fn claims(&self, entry: &Entry<'_>) -> bool {
        match sniff(entry) {
            Some(Layout::Runs) => true,
            Some(Layout::Other) => entry.is_explicit(),
            _ => false,
        }
    }

    fn read(&self, path: &Path, out: &mut ReadOutput) -> Result<(), ReadError> {
        let Some(table) = Table::load(path, out)? else {
            return Ok(());
        };
        let plan = Plan::new(&table, out);
        let mut ids: HashMap<String, u64> = HashMap::new();
        for row in 0..table.height() {
            if table.is_blank(row) {
                continue;
            }
            let run = plan.run(&table, row, &mut ids, out);
            out.add_run(run);
        }
        Ok(())
    }
}

/// The role of one column.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Role {
    Id,
    Name,
    Experiment,
    Group,
    Status,
    StartTime,
    EndTime,
    Param(String),
    Metric(String),
    Tag(String),
    Ignored,
}

/// The roles of a table's columns.
struct Plan {
    roles: Vec<Role>,
}

impl Plan {
    fn new(table: &Table, out: &mut ReadOutput) -> Plan {
        let first = table.first_of_each_name(out);
        // Of several columns that could give the id (or name, or experiment), the first in
        // this order does; the others are kept as tags.
        let id = table.find(&["run_id", "id", "run"]);
        let name = table.find(&["name", "run_name"]);
        let experiment = table.find(&["experiment", "experiment_name", "experiment_id"]);
        let roles = table
            .header
            .iter()
            .enumerate()
            .map(|(i, raw)| {
                let trimmed = raw.trim();
                let key = norm(raw);
                if !first[i] {
                    return Role::Ignored;
                }
                if key.is_empty() {
                    // pandas' `to_csv()` writes its row index as an unnamed first column.
                    if i > 0 {
                        out.warn_file(format!("column {} has no name; it is ignored", i + 1));
                    }
                    return Role::Ignored;
                }
                if Some(i) == id {
                    return Role::Id;
                }
                if Some(i) == name {
                    return Role::Name;
                }
                if Some(i) == experiment {
                    return Role::Experiment;
                }
                match key.as_str() {
                    "group" => return Role::Group,
                    "status" => return Role::Status,
                    "start_time" => return Role::StartTime,
                    "end_time" => return Role::EndTime,
                    "run_id" | "id" | "run" | "name" | "run_name" | "experiment"
                    | "experiment_name" | "experiment_id" | "artifact_uri" => {
                        return Role::Tag(trimmed.to_string());
                    }
                    _ => {}
                }
                for (prefix, kind) in PREFIXES {
                    if key.starts_with(prefix) {
                        let rest = trimmed[prefix.len()..].to_string();
                        if rest.is_empty() {
                            out.warn_file(format!(
                                "column {} `{trimmed}` names no {}; it is ignored",
                                i + 1,
                                prefix.trim_end_matches('.')
                            ));
                            return Role::Ignored;
                        }
                        return match kind {
                            Prefixed::Param => Role::Param(rest),
                            Prefixed::Metric => Role::Metric(rest),
                            Prefixed::Tag => Role::Tag(rest),
                        };
                    }
                }
                Role::Param(trimmed.to_string())
            })
            .collect();
        Plan { roles }
    }

    /// The run in `row`. `ids` maps each id used so far to its line.
    fn run(
        &self,
        table: &Table,
        row: usize,
        ids: &mut HashMap<String, u64>,
        out: &mut ReadOutput,
    ) -> Run {
        let line = table.lines[row];
        let mut run = Run::default();
        let (mut id, mut name) = (None, None);
        for (col, role) in self.roles.iter().enumerate() {
            let Some(cell) = table.cell(col, row) else {
                continue;
            };
            match role {
                Role::Id => id = Some(cell.to_string()),
                Role::Name => name = Some(cell.to_string()),
                Role::Experiment => run.experiment = Some(cell.to_string()),
                Role::Group => run.group = Some(cell.to_string()),
                Role::Status => match RunStatus::parse_lenient(cell) {
                    Some(status) => run.status = status,
                    None => out.warn_line(
                        line,
                        format!(
                            "status `{}` is not a known status (finished, failed, running, killed); left unknown",
                            short(cell)
                        ),
                    ),
                },
                Role::StartTime | Role::EndTime => {
                    let field = if *role == Role::StartTime {
                        "start_time"
                    } else {
                        "end_time"
                    };
                    match parse_time(cell) {
                        Ok(time) if *role == Role::StartTime => run.start_time = Some(time),
                        Ok(time) => run.end_time = Some(time),
                        Err(message) => {
                            out.warn_line(line, format!("`{field}`: {message}; left empty"));
                        }
                    }
                }
                Role::Param(key) => {
                    run.params.insert(key.clone(), ParamValue::infer(cell));
                }
                Role::Metric(key) => match parse_float(cell) {
                    Some(value) => run.metrics.entry(key.clone()).or_default().push(0, value, None),
                    None => out.warn_line(
                        line,
                        format!(
                            "metric `{}`: `{}` is not a number; cell skipped",
                            short(key),
                            short(cell)
                        ),
                    ),
                },
                Role::Tag(key) => {
                    run.tags.insert(key.clone(), cell.to_string());
                }
                Role::Ignored => {}
            }
        }
        let name = name.or_else(|| run.tags.get("mlflow.runName").cloned());
        run.id = match (id, &name) {
            (Some(id), _) => {
                if let Some(first) = ids.get(&id) {
                    out.warn_line(
                        line,
                        format!(
                            "run id `{}` was already used on line {first}; the rows are merged into one run",
                            short(&id)
                        ),
                    );
                }
                id
            }
            // A repeated name is two runs that happen to share it, not one.
            (None, Some(name)) if ids.contains_key(name) => format!("{name}:{line}"),
            (None, Some(name)) => name.clone(),
            (None, None) => format!("{}:{line}", out.path()),
        };
        ids.entry(run.id.clone()).or_insert(line);
        run.name = name.unwrap_or_else(|| run.id.clone());
        run
    }
}
