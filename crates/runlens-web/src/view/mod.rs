//! The runs table as data: which columns exist, what each cell says, how rows sort and how
//! groups and their aggregates are laid out. No DOM here, so it is tested natively.

use runlens_core::bundle::RunTable;

use crate::format;
use runlens_core::group::{self, Group, GroupKey};

pub mod at_step;
mod best;
pub mod choice;
pub mod column_window;
mod columns;
pub mod compare;
pub mod csv;
pub mod hparams;
pub mod parcoords;
pub mod search;
pub mod selection;
mod sort;
pub mod window;

pub use at_step::{Cells, StepValues};
pub use best::{best_rows, label_directions, mark_directions};
use columns::varies;
pub use columns::{
    Column, ColumnKind, Stat, all_columns, cell_text, columns, find_column, numeric_value,
    step_column, varies_over,
};

use sort::{SortKey, compare_keys, sort_rows};

/// Most run rows a `runlens` table block of a narrative page shows (the runs table itself
/// lays out every row and renders only those in view).
pub const ROW_LIMIT: usize = 1000;

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

/// `rows` sorted by `sort` (or in table order without a sort or with an unknown column).
pub fn sorted(
    table: Cells<'_>,
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

/// Groups `sorted_rows` by `keys` in turn: each group keeps the rows in the given order;
/// groups are ordered by their mean in the sort column when it is numeric, by label when
/// sorting by name, else as grouping returns them.
pub fn grouped(
    table: Cells<'_>,
    sorted_rows: &[usize],
    keys: &[GroupKey],
    columns: &[Column],
    sort: Option<&Sort>,
) -> Vec<Group> {
    // Grouping keeps the order of the rows it is given.
    let mut groups = group::group_rows_by(table.table, sorted_rows, keys);
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
        ColumnKind::Param(_)
        | ColumnKind::Metric { .. }
        | ColumnKind::Started
        | ColumnKind::Duration => {
            let means: Vec<f64> = groups
                .iter()
                .map(|g| column_stats(table, &g.rows, column.kind).mean)
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
        ColumnKind::Status
        | ColumnKind::Experiment
        | ColumnKind::Source
        | ColumnKind::Group
        | ColumnKind::Tag(_) => {}
    }
    groups
}

/// Count, mean, std, min and max of the finite numeric values of a column over `rows`.
fn column_stats(table: Cells<'_>, rows: &[usize], kind: ColumnKind) -> group::Stats {
    group::stats(
        rows.iter()
            .filter_map(|&row| numeric_value(table, row, kind))
            .filter(|x| x.is_finite()),
    )
}

/// The tooltip of a numeric column's group cell, from the column's statistics over the
/// group's runs: `4 runs · mean 0.52 · std 0.1 · min 0.4 · max 0.61`; `None` without
/// values.
fn title_of(stats: &group::Stats) -> Option<String> {
    (stats.count > 0).then(|| {
        format!(
            "{} · mean {} · std {} · min {} · max {}",
            format::count_of(stats.count, "run"),
            format::number(stats.mean),
            if stats.count > 1 {
                format::number(stats.std)
            } else {
                "-".to_string()
            },
            format::number(stats.min),
            format::number(stats.max)
        )
    })
}

/// The aggregate cell of a group row for `column` (see [`group_cell`]) and its tooltip
/// (numeric columns: count, mean, std, min and max; `None` for text columns or without
/// values), a numeric column's statistics computed once for both.
pub fn group_cell_and_title(
    table: Cells<'_>,
    rows: &[usize],
    column: &Column,
) -> (String, Option<String>) {
    let stats = column
        .numeric
        .then(|| column_stats(table, rows, column.kind));
    (
        group_cell(table, rows, column, stats.as_ref()),
        stats.as_ref().and_then(title_of),
    )
}

/// The aggregate cell of a group row for `column`: the shared value when every run agrees,
/// `mean ± std` of numbers, the number of distinct texts otherwise; `known`: the column's
/// statistics over `rows` when already computed.
fn group_cell(
    table: Cells<'_>,
    rows: &[usize],
    column: &Column,
    known: Option<&group::Stats>,
) -> String {
    let finite_stats = |table: Cells<'_>, rows: &[usize], kind: ColumnKind| {
        let stats = known
            .copied()
            .unwrap_or_else(|| column_stats(table, rows, kind));
        (stats.count, stats.mean, stats.std)
    };
    match column.kind {
        ColumnKind::Name => String::new(),
        ColumnKind::Status => format::count_of(rows.len(), "run"),
        ColumnKind::Experiment | ColumnKind::Source | ColumnKind::Group | ColumnKind::Tag(_) => {
            shared_text(table, rows, column.kind)
        }
        ColumnKind::Started => {
            // The group's first start.
            let first = rows
                .iter()
                .filter_map(|&row| numeric_value(table, row, column.kind))
                .min_by(f64::total_cmp);
            first.map(format::utc_time).unwrap_or_default()
        }
        ColumnKind::Duration => {
            let (count, mean, _) = finite_stats(table, rows, column.kind);
            if count == 0 {
                String::new()
            } else {
                format!("mean {}", format::duration(mean))
            }
        }
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
fn shared_text(table: Cells<'_>, rows: &[usize], kind: ColumnKind) -> String {
    use std::borrow::Cow;
    let texts: std::collections::HashSet<Cow<'_, str>> =
        match columns::distinct_dict_texts(table.table, rows, kind) {
            Some(texts) => texts.into_iter().map(Cow::Borrowed).collect(),
            None => {
                // Grown as values come (a column has few): collecting would reserve room for
                // every row, a large table allocated and rehashed per group and column. A
                // text like the one before (runs in order often share it) is not hashed.
                let mut texts = std::collections::HashSet::new();
                let mut last: Option<Cow<'_, str>> = None;
                for &row in rows {
                    let text = match (kind, table.text_cell(row, kind)) {
                        // A text param is its own cell text: hashed where it is, not copied.
                        (ColumnKind::Param(_), Some(text)) => Cow::Borrowed(text),
                        _ => Cow::Owned(cell_text(table, row, kind)),
                    };
                    if last.as_ref() != Some(&text) {
                        texts.insert(text.clone());
                        last = Some(text);
                    }
                }
                texts
            }
        };
    match texts.len() {
        1 => texts
            .into_iter()
            .next()
            .map(Cow::into_owned)
            .unwrap_or_default(),
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
        /// One tooltip per column: count, mean, std, min and max of numeric columns.
        titles: Vec<Option<String>>,
    },
    /// A run row.
    Run(usize),
}

/// Every row of the table in display order (the page renders only the window in view,
/// see [`window`]).
#[derive(Debug, Clone, Default, PartialEq)]
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
    table: Cells<'_>,
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
                let (cells, titles) = columns
                    .iter()
                    .map(|c| group_cell_and_title(table, &group.rows, c))
                    .unzip();
                items.push(Item::Group {
                    index,
                    label: group.label.clone(),
                    count: group.rows.len(),
                    cells,
                    titles,
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
