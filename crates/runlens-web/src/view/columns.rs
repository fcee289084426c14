//! The table's columns: what each can show (attributes, params, tags, metric summaries),
//! the default set, and each cell's text, number and whether it varies over runs.

use runlens_core::bundle::{ParamCell, RunTable};

use super::at_step::Cells;
use crate::format;

/// Which summary of a metric a column shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stat {
    /// The last value in step order.
    Last,
    /// The smallest value.
    Min,
    /// The largest value.
    Max,
    /// The mean of the finite values.
    Mean,
    /// The value at the last logged step at or before this one (loaded from the metric's
    /// chunks, see [`super::at_step`]).
    AtStep(i64),
}

impl Stat {
    /// Every summary, in the order menus list them.
    pub const ALL: [Stat; 4] = [Stat::Last, Stat::Min, Stat::Max, Stat::Mean];

    /// The summary's name: `last`, `min`, `max`, `mean`, or `at step`.
    pub fn name(self) -> &'static str {
        match self {
            Stat::Last => "last",
            Stat::Min => "min",
            Stat::Max => "max",
            Stat::Mean => "mean",
            Stat::AtStep(_) => "at step",
        }
    }

    /// The summary's part of a column id: its name, or `at:<step>`.
    pub fn id_part(self) -> String {
        match self {
            Stat::AtStep(step) => format!("at:{step}"),
            other => other.name().to_string(),
        }
    }

    /// The header's second line: its name, or `@ <step>`.
    pub fn detail(self) -> String {
        match self {
            Stat::AtStep(step) => match usize::try_from(step) {
                Ok(step) => format!("@ step {}", format::count(step)),
                Err(_) => format!("@ step {step}"),
            },
            other => other.name().to_string(),
        }
    }
}

/// What a column shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Run name.
    Name,
    /// Run status.
    Status,
    /// Experiment.
    Experiment,
    /// The tracker (or input format) the run was read from.
    Source,
    /// The run's group (W&B group, trackio `_Group`, ...).
    Group,
    /// Start time.
    Started,
    /// End time minus start time.
    Duration,
    /// Tag column `index` of the table.
    Tag(usize),
    /// Param column `index` of the table.
    Param(usize),
    /// A summary of metric column `index`.
    Metric {
        /// Index into [`RunTable::metrics`].
        index: usize,
        /// Which summary.
        stat: Stat,
    },
}

/// One table column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Stable id, the `data-sort` attribute: `name`, `param:lr`, `metric:loss:min`, ...
    pub id: String,
    /// Header text (untrusted: param and metric keys come from logs).
    pub label: String,
    /// Second, smaller header text (`last`, `min`, `max`, `@ step 1,000`), if any.
    pub detail: Option<String>,
    /// What the column shows.
    pub kind: ColumnKind,
    /// Right-aligned monospace numbers.
    pub numeric: bool,
}

/// The columns of `table`: name, status, experiment and source (each when it varies), one
/// per param, then for each metric its last value, plus the min of `loss` keys and the max
/// of `acc` keys.
pub fn columns(table: &RunTable) -> Vec<Column> {
    let mut out = vec![
        Column {
            id: "name".into(),
            label: "name".into(),
            detail: None,
            kind: ColumnKind::Name,
            numeric: false,
        },
        Column {
            id: "status".into(),
            label: "status".into(),
            detail: None,
            kind: ColumnKind::Status,
            numeric: false,
        },
    ];
    if varies(&table.experiments.codes) {
        out.push(Column {
            id: "experiment".into(),
            label: "experiment".into(),
            detail: None,
            kind: ColumnKind::Experiment,
            numeric: false,
        });
    }
    if varies(&table.sources.codes) {
        out.push(Column {
            id: "source".into(),
            label: "source".into(),
            detail: None,
            kind: ColumnKind::Source,
            numeric: false,
        });
    }
    for (index, param) in table.params.iter().enumerate() {
        let numeric = param
            .cells
            .iter()
            .flatten()
            .all(|c| matches!(c, ParamCell::Int(_) | ParamCell::Float(_)));
        out.push(Column {
            id: format!("param:{}", param.key),
            label: param.key.clone(),
            detail: None,
            kind: ColumnKind::Param(index),
            numeric,
        });
    }
    for (index, metric) in table.metrics.iter().enumerate() {
        let lower = metric.key.to_lowercase();
        let mut stats = vec![Stat::Last];
        if lower.contains("loss") {
            stats.push(Stat::Min);
        }
        if lower.contains("acc") {
            stats.push(Stat::Max);
        }
        for stat in stats {
            out.push(metric_column(&metric.key, index, stat));
        }
    }
    out
}

/// Every column the table can show, in menu order: name, the attributes, params, tags,
/// and each metric's last, min, max and mean.
pub fn all_columns(table: &RunTable) -> Vec<Column> {
    let attribute = |id: &str, kind, numeric| Column {
        id: id.into(),
        label: id.into(),
        detail: None,
        kind,
        numeric,
    };
    let mut out = vec![
        attribute("name", ColumnKind::Name, false),
        attribute("status", ColumnKind::Status, false),
        attribute("experiment", ColumnKind::Experiment, false),
        attribute("source", ColumnKind::Source, false),
        attribute("group", ColumnKind::Group, false),
        attribute("started", ColumnKind::Started, false),
        attribute("duration", ColumnKind::Duration, true),
    ];
    out.extend(
        columns(table)
            .into_iter()
            .filter(|c| matches!(c.kind, ColumnKind::Param(_))),
    );
    for (index, tag) in table.tags.iter().enumerate() {
        out.push(Column {
            id: format!("tag:{}", tag.key),
            label: tag.key.clone(),
            detail: Some("tag".into()),
            kind: ColumnKind::Tag(index),
            numeric: false,
        });
    }
    for (index, metric) in table.metrics.iter().enumerate() {
        for stat in Stat::ALL {
            out.push(metric_column(&metric.key, index, stat));
        }
    }
    out
}

/// The column of metric `index` (key `key`) showing `stat`.
pub fn metric_column(key: &str, index: usize, stat: Stat) -> Column {
    Column {
        id: format!("metric:{key}:{}", stat.id_part()),
        label: key.to_string(),
        detail: Some(stat.detail()),
        kind: ColumnKind::Metric { index, stat },
        numeric: true,
    }
}

/// True when a dictionary column holds more than one distinct code (absent counts as one).
pub(super) fn varies<T: PartialEq>(values: &[T]) -> bool {
    values
        .first()
        .is_some_and(|first| values.iter().any(|v| v != first))
}

/// The column a value-at-step id names (`metric:<key>:at:<step>`), when the table has
/// that metric.
pub fn step_column(table: &RunTable, id: &str) -> Option<Column> {
    let rest = id.strip_prefix("metric:")?;
    let (rest, step) = rest.rsplit_once(':')?;
    let key = rest.strip_suffix(":at")?;
    let step: i64 = step.parse().ok()?;
    let index = table.metric_index(key)?;
    Some(metric_column(key, index, Stat::AtStep(step)))
}

/// A cell's value as a number, where the column is numeric for that run (a value at a
/// step only once loaded).
pub fn numeric_value(table: Cells<'_>, row: usize, kind: ColumnKind) -> Option<f64> {
    match kind {
        ColumnKind::Param(index) => match table.params[index].cells[row].as_ref()? {
            ParamCell::Int(i) => Some(*i as f64),
            ParamCell::Float(x) => Some(*x),
            ParamCell::Bool(b) => Some(f64::from(u8::from(*b))),
            ParamCell::Text(_) => None,
        },
        ColumnKind::Metric { index, stat } => {
            let summary = table.metrics[index].summary(row)?;
            Some(match stat {
                Stat::Last => summary.last,
                Stat::Min => summary.min,
                Stat::Max => summary.max,
                Stat::Mean => summary.mean,
                Stat::AtStep(step) => return table.steps.value(index, step, row),
            })
        }
        ColumnKind::Started => Some(table.start_times[row]).filter(|t| t.is_finite()),
        ColumnKind::Duration => {
            Some(table.end_times[row] - table.start_times[row]).filter(|d| d.is_finite())
        }
        ColumnKind::Name
        | ColumnKind::Status
        | ColumnKind::Experiment
        | ColumnKind::Source
        | ColumnKind::Group
        | ColumnKind::Tag(_) => None,
    }
}

/// The text of a run's cell in a column of dictionary-coded text (experiment, source,
/// group, tag), `None` for other kinds.
pub fn dict_text(table: &RunTable, row: usize, kind: ColumnKind) -> Option<&str> {
    match kind {
        ColumnKind::Experiment => table.experiments.get(row),
        ColumnKind::Source => table.sources.get(row),
        ColumnKind::Group => table.groups.get(row),
        ColumnKind::Tag(index) => table.tags[index].values.get(row),
        _ => None,
    }
}

/// The codes of a dictionary-coded column (see [`dict_text`]).
fn dict_codes(table: &RunTable, kind: ColumnKind) -> Option<&[u32]> {
    match kind {
        ColumnKind::Experiment => Some(&table.experiments.codes),
        ColumnKind::Source => Some(&table.sources.codes),
        ColumnKind::Group => Some(&table.groups.codes),
        ColumnKind::Tag(index) => Some(&table.tags[index].values.codes),
        _ => None,
    }
}

/// The distinct texts the runs of `rows` show in a dictionary-coded column, each once;
/// `None` for a column of another kind. Looks at each run's code, not its text.
pub fn distinct_dict_texts<'t>(
    table: &'t RunTable,
    rows: &[usize],
    kind: ColumnKind,
) -> Option<std::collections::HashSet<&'t str>> {
    let codes = dict_codes(table, kind)?;
    // The first run with each code (a run past the codes has none).
    let mut first_with: std::collections::HashMap<Option<u32>, usize> = Default::default();
    for &row in rows {
        first_with.entry(codes.get(row).copied()).or_insert(row);
    }
    // Codes are distinct texts, but a run without one shows "" as an empty text does.
    Some(
        first_with
            .into_values()
            .map(|row| dict_text(table, row, kind).unwrap_or_default())
            .collect(),
    )
}

/// The text of a run's cell.
pub fn cell_text(table: Cells<'_>, row: usize, kind: ColumnKind) -> String {
    match kind {
        ColumnKind::Name => table.names[row].clone(),
        ColumnKind::Status => table.status(row).as_str().to_string(),
        ColumnKind::Experiment | ColumnKind::Source | ColumnKind::Group | ColumnKind::Tag(_) => {
            dict_text(table.table, row, kind)
                .unwrap_or_default()
                .to_string()
        }
        ColumnKind::Started => numeric_value(table, row, kind)
            .map(format::utc_time)
            .unwrap_or_default(),
        ColumnKind::Duration => numeric_value(table, row, kind)
            .map(format::duration)
            .unwrap_or_default(),
        ColumnKind::Param(index) => table.params[index].cells[row]
            .as_ref()
            .map(|c| format::param(&c.into()))
            .unwrap_or_default(),
        ColumnKind::Metric { .. } => numeric_value(table, row, kind)
            .map(format::number)
            .unwrap_or_default(),
    }
}

/// True when the runs of `rows` do not all show the same cell in a column of `kind` (the
/// name column always varies). Stops at the first difference.
pub fn varies_over(table: Cells<'_>, rows: &[usize], kind: ColumnKind) -> bool {
    let Some((&first, rest)) = rows.split_first() else {
        return false;
    };
    match kind {
        ColumnKind::Name => true,
        ColumnKind::Status => rest
            .iter()
            .any(|&r| table.statuses[r] != table.statuses[first]),
        ColumnKind::Experiment | ColumnKind::Source | ColumnKind::Group | ColumnKind::Tag(_) => {
            let codes = dict_codes(table.table, kind).unwrap_or_default();
            rest.iter().any(|&r| codes[r] != codes[first])
        }
        ColumnKind::Param(index) => {
            let cells = &table.params[index].cells;
            rest.iter().any(|&r| cells[r] != cells[first])
        }
        ColumnKind::Metric { .. } | ColumnKind::Started | ColumnKind::Duration => {
            // Bit patterns, so NaN equals NaN and 0.0 differs from -0.0 as its text does.
            let bits = |r: usize| {
                numeric_value(table, r, kind).map(|v| {
                    if v.is_nan() {
                        f64::NAN.to_bits()
                    } else {
                        v.to_bits()
                    }
                })
            };
            let expected = bits(first);
            rest.iter().any(|&r| bits(r) != expected)
        }
    }
}

/// Looks up a column by id.
pub fn find_column<'a>(columns: &'a [Column], id: &str) -> Option<&'a Column> {
    columns.iter().find(|c| c.id == id)
}
