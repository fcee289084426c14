//! The runs table as data: which columns exist, what each cell says, how rows sort and how
//! groups and their aggregates are laid out. No DOM here, so it is tested natively.

use runlens_core::bundle::{ParamCell, RunTable};

use crate::format;
use runlens_core::group::{self, Group, GroupKey};

mod best;
mod sort;

pub use best::{best_rows, mark_directions};

use sort::{SortKey, compare_keys, sort_rows};

/// Most table rows (runs) rendered at once.
pub const ROW_LIMIT: usize = 1000;

/// Which summary of a metric a column shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stat {
    /// The last value in step order.
    Last,
    /// The smallest value.
    Min,
    /// The largest value.
    Max,
}

impl Stat {
    fn name(self) -> &'static str {
        match self {
            Stat::Last => "last",
            Stat::Min => "min",
            Stat::Max => "max",
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
    /// The reader that produced the run (`mlflow`, `tensorboard`, `wandb`, ...).
    Source,
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
    /// Second, smaller header text (`last`, `min`, `max`), if any.
    pub detail: Option<&'static str>,
    /// What the column shows.
    pub kind: ColumnKind,
    /// Right-aligned monospace numbers.
    pub numeric: bool,
}

/// The current sort: a column id and a direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sort {
    /// [`Column::id`].
    pub column: String,
    /// Largest first.
    pub descending: bool,
}

impl Sort {
    /// The sort after a click on the header of `column`: a new column sorts ascending,
    /// the current one flips.
    pub fn toggled(current: Option<&Sort>, column: &str) -> Sort {
        match current {
            Some(sort) if sort.column == column => Sort {
                column: column.to_string(),
                descending: !sort.descending,
            },
            _ => Sort {
                column: column.to_string(),
                descending: false,
            },
        }
    }
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
            out.push(Column {
                id: format!("metric:{}:{}", metric.key, stat.name()),
                label: metric.key.clone(),
                detail: Some(stat.name()),
                kind: ColumnKind::Metric { index, stat },
                numeric: true,
            });
        }
    }
    out
}

/// True when a dictionary column holds more than one distinct code (absent counts as one).
fn varies<T: PartialEq>(values: &[T]) -> bool {
    values
        .first()
        .is_some_and(|first| values.iter().any(|v| v != first))
}

/// The grouping choices worth offering: every param, tag, experiment, group, source and
/// status that takes more than one value over the runs, and the parent run when some runs
/// are nested.
pub fn group_options(table: &RunTable) -> Vec<GroupKey> {
    let mut out = Vec::new();
    for param in &table.params {
        if varies(&param.cells) {
            out.push(GroupKey::Param(param.key.clone()));
        }
    }
    for tag in &table.tags {
        if varies(&tag.values.codes) {
            out.push(GroupKey::Tag(tag.key.clone()));
        }
    }
    if varies(&table.experiments.codes) {
        out.push(GroupKey::Experiment);
    }
    if varies(&table.groups.codes) {
        out.push(GroupKey::Group);
    }
    if varies(&table.sources.codes) {
        out.push(GroupKey::Source);
    }
    if varies(&table.statuses) {
        out.push(GroupKey::Status);
    }
    if table.parents.iter().any(|&p| p != 0) {
        out.push(GroupKey::Parent);
    }
    out
}

/// The metric charted first: the first key containing `loss`, else the first key.
pub fn default_metric(table: &RunTable) -> Option<usize> {
    if table.metrics.is_empty() {
        return None;
    }
    Some(
        table
            .metrics
            .iter()
            .position(|m| m.key.to_lowercase().contains("loss"))
            .unwrap_or(0),
    )
}

/// A cell's value as a number, where the column is numeric for that run.
pub fn numeric_value(table: &RunTable, row: usize, kind: ColumnKind) -> Option<f64> {
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
            })
        }
        ColumnKind::Name | ColumnKind::Status | ColumnKind::Experiment | ColumnKind::Source => None,
    }
}

/// The text of a run's cell.
pub fn cell_text(table: &RunTable, row: usize, kind: ColumnKind) -> String {
    match kind {
        ColumnKind::Name => table.names[row].clone(),
        ColumnKind::Status => table.status(row).as_str().to_string(),
        ColumnKind::Experiment => table.experiments.get(row).unwrap_or_default().to_string(),
        ColumnKind::Source => table.sources.get(row).unwrap_or_default().to_string(),
        ColumnKind::Param(index) => table.params[index].cells[row]
            .as_ref()
            .map(|c| format::param(&c.into()))
            .unwrap_or_default(),
        ColumnKind::Metric { .. } => numeric_value(table, row, kind)
            .map(format::number)
            .unwrap_or_default(),
    }
}

/// Looks up a column by id.
pub fn find_column<'a>(columns: &'a [Column], id: &str) -> Option<&'a Column> {
    columns.iter().find(|c| c.id == id)
}

/// `rows` sorted by `sort` (or in table order without a sort or with an unknown column).
pub fn sorted(
    table: &RunTable,
    rows: &[usize],
    columns: &[Column],
    sort: Option<&Sort>,
) -> Vec<usize> {
    let mut out = rows.to_vec();
    if let Some(sort) = sort
        && let Some(column) = find_column(columns, &sort.column)
    {
        sort_rows(table, &mut out, column, sort.descending);
    }
    out
}

/// Groups `sorted_rows` by `key`: each group keeps the rows in the given order; groups are
/// ordered by their mean in the sort column when it is numeric, by label when sorting by
/// name, else as grouping returns them.
pub fn grouped(
    table: &RunTable,
    sorted_rows: &[usize],
    key: &GroupKey,
    columns: &[Column],
    sort: Option<&Sort>,
) -> Vec<Group> {
    // Grouping keeps the order of the rows it is given.
    let mut groups = group::group_rows(table, sorted_rows, key);
    let Some((sort, column)) = sort.and_then(|s| find_column(columns, &s.column).map(|c| (s, c)))
    else {
        return groups;
    };
    match column.kind {
        ColumnKind::Name => {
            groups.sort_by(|a, b| {
                compare_keys(
                    SortKey::Text(&a.label),
                    SortKey::Text(&b.label),
                    sort.descending,
                )
            });
        }
        ColumnKind::Param(_) | ColumnKind::Metric { .. } => {
            let means: Vec<f64> = groups
                .iter()
                .map(|g| finite_stats(table, &g.rows, column.kind).1)
                .collect();
            let mut order: Vec<usize> = (0..groups.len()).collect();
            order.sort_by(|&a, &b| {
                let key = |m: f64| {
                    if m.is_nan() {
                        SortKey::Missing
                    } else {
                        SortKey::Number(m)
                    }
                };
                compare_keys(key(means[a]), key(means[b]), sort.descending)
            });
            let mut slots: Vec<Option<Group>> = groups.into_iter().map(Some).collect();
            groups = order.into_iter().filter_map(|i| slots[i].take()).collect();
        }
        ColumnKind::Status | ColumnKind::Experiment | ColumnKind::Source => {}
    }
    groups
}

/// Count and mean of the finite numeric values of a column over `rows`, and the stats.
fn finite_stats(table: &RunTable, rows: &[usize], kind: ColumnKind) -> (usize, f64, f64) {
    let values = rows
        .iter()
        .filter_map(|&row| numeric_value(table, row, kind))
        .filter(|x| x.is_finite());
    let stats = group::stats(values);
    (stats.count, stats.mean, stats.std)
}

/// The aggregate cell of a group row for `column`: the shared value when every run agrees,
/// `mean ± std` of numbers, the number of distinct texts otherwise.
pub fn group_cell(table: &RunTable, rows: &[usize], column: &Column) -> String {
    match column.kind {
        ColumnKind::Name => String::new(),
        ColumnKind::Status => format::count_of(rows.len(), "run"),
        ColumnKind::Experiment | ColumnKind::Source => shared_text(table, rows, column.kind),
        ColumnKind::Param(index) => {
            let cells = &table.params[index].cells;
            let mut present = rows.iter().filter_map(|&row| cells[row].as_ref());
            let Some(first) = present.next() else {
                return String::new();
            };
            if present.all(|c| c == first) && rows.iter().all(|&row| cells[row].is_some()) {
                return format::param(&first.into());
            }
            if column.numeric {
                let (count, mean, std) = finite_stats(table, rows, column.kind);
                format::mean_std(count, mean, std)
            } else {
                shared_text(table, rows, column.kind)
            }
        }
        ColumnKind::Metric { .. } => {
            let (count, mean, std) = finite_stats(table, rows, column.kind);
            format::mean_std(count, mean, std)
        }
    }
}

/// The one text all `rows` share in a column, or `N values`.
fn shared_text(table: &RunTable, rows: &[usize], kind: ColumnKind) -> String {
    let mut texts: Vec<String> = rows.iter().map(|&r| cell_text(table, r, kind)).collect();
    texts.sort();
    texts.dedup();
    match texts.len() {
        1 => texts.pop().unwrap_or_default(),
        n => format!("{} values", format::count(n)),
    }
}

/// One rendered table row.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A group header row.
    Group {
        /// Position of the group (its colour).
        index: usize,
        /// Group label (untrusted).
        label: String,
        /// Runs in the group.
        count: usize,
        /// One aggregate text per column (the name column's is empty).
        cells: Vec<String>,
    },
    /// A run row.
    Run(usize),
}

/// The rows to render, at most [`ROW_LIMIT`] runs.
#[derive(Debug, Clone, PartialEq)]
pub struct TableView {
    /// Rows in display order.
    pub items: Vec<Item>,
    /// Runs among `items`.
    pub shown_runs: usize,
    /// Runs the filter matched.
    pub total_runs: usize,
}

/// Lays out the table: the sorted runs, or each group's row followed by its runs, with at
/// most `limit` run rows (and at most `limit` groups). The run budget is shared fairly
/// between groups, so each group shows its first runs rather than the first group all.
pub fn layout(
    table: &RunTable,
    sorted_rows: &[usize],
    groups: Option<&[Group]>,
    columns: &[Column],
    limit: usize,
) -> TableView {
    let mut items = Vec::new();
    let mut shown_runs = 0;
    match groups {
        None => {
            items.extend(sorted_rows.iter().take(limit).map(|&row| Item::Run(row)));
            shown_runs = items.len();
        }
        Some(groups) => {
            let groups = &groups[..groups.len().min(limit)];
            let sizes: Vec<usize> = groups.iter().map(|g| g.rows.len()).collect();
            let takes = fair_shares(&sizes, limit);
            for (index, (group, take)) in groups.iter().zip(takes).enumerate() {
                items.push(Item::Group {
                    index,
                    label: group.label.clone(),
                    count: group.rows.len(),
                    cells: columns
                        .iter()
                        .map(|c| group_cell(table, &group.rows, c))
                        .collect(),
                });
                items.extend(group.rows[..take].iter().map(|&row| Item::Run(row)));
                shown_runs += take;
            }
        }
    }
    TableView {
        items,
        shown_runs,
        total_runs: sorted_rows.len(),
    }
}

/// Splits `budget` between groups of the given sizes: every group gets up to an equal
/// share, and what small groups leave is handed out again, in order.
fn fair_shares(sizes: &[usize], budget: usize) -> Vec<usize> {
    let mut takes = vec![0; sizes.len()];
    let mut left = budget;
    loop {
        let open = sizes.iter().zip(&takes).filter(|(s, t)| t < s).count();
        if open == 0 || left == 0 {
            return takes;
        }
        let share = (left / open).max(1);
        for (take, &size) in takes.iter_mut().zip(sizes) {
            let more = (size - *take).min(share).min(left);
            *take += more;
            left -= more;
        }
    }
}

#[cfg(test)]
mod tests;
