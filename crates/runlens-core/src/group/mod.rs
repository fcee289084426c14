//! Grouping runs by a param, tag or attribute, and aggregating across runs: summary
//! [`Stats`] of values and per-step [`Band`]s (mean, std, min, max) of metric curves.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::hash::Hash;

use crate::bundle::{DictColumn, ParamCell, RunTable};
use crate::model::{ParamValue, RunStatus, parse_float};

/// The label of the group of runs that lack the grouping value.
pub const NONE_LABEL: &str = "(none)";

/// What runs are grouped by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupKey {
    /// A param, by key.
    Param(String),
    /// A tag, by key.
    Tag(String),
    /// The experiment.
    Experiment,
    /// The tracker's group.
    Group,
    /// The reader that produced the run.
    Source,
    /// The lifecycle status.
    Status,
    /// The top-level run a nested run descends from (a top-level run is its own root), so
    /// that nested runs are grouped with their parent.
    Parent,
}

impl GroupKey {
    /// Reads `param:lr`, `tag:team`, `experiment`, `group`, `source` or `status`
    /// (`params:` and `tags:` are accepted too); `None` for anything else.
    pub fn parse(spec: &str) -> Option<GroupKey> {
        let keyed = |prefixes: [&str; 2]| {
            prefixes
                .iter()
                .find_map(|p| spec.strip_prefix(p))
                .filter(|key| !key.is_empty())
                .map(str::to_string)
        };
        if let Some(key) = keyed(["param:", "params:"]) {
            return Some(GroupKey::Param(key));
        }
        if let Some(key) = keyed(["tag:", "tags:"]) {
            return Some(GroupKey::Tag(key));
        }
        match spec {
            "experiment" => Some(GroupKey::Experiment),
            "group" => Some(GroupKey::Group),
            "source" => Some(GroupKey::Source),
            "status" => Some(GroupKey::Status),
            "parent" => Some(GroupKey::Parent),
            _ => None,
        }
    }

    /// The spec [`GroupKey::parse`] reads back (for URLs and the CLI).
    pub fn spec(&self) -> String {
        match self {
            GroupKey::Param(key) => format!("param:{key}"),
            GroupKey::Tag(key) => format!("tag:{key}"),
            other => other.label(),
        }
    }

    /// A name for people: `lr`, `tag team`, `experiment`.
    pub fn label(&self) -> String {
        match self {
            GroupKey::Param(key) => key.clone(),
            GroupKey::Tag(key) => format!("tag {key}"),
            GroupKey::Experiment => "experiment".to_string(),
            GroupKey::Group => "group".to_string(),
            GroupKey::Source => "source".to_string(),
            GroupKey::Status => "status".to_string(),
            GroupKey::Parent => "parent".to_string(),
        }
    }

    /// The display text of run `row`'s value, `None` when the run lacks it.
    pub fn value(&self, table: &RunTable, row: usize) -> Option<String> {
        match self {
            GroupKey::Param(key) => {
                let column = table.params.get(table.param_index(key)?)?;
                column.cells.get(row)?.as_ref().map(param_text)
            }
            GroupKey::Status => table.statuses.get(row).map(|&c| status_name(c).to_string()),
            GroupKey::Parent => (row < table.len())
                .then(|| root_label(table, &name_counts(table), root_of(table, row))),
            _ => self.dict(table)?.get(row).map(str::to_string),
        }
    }

    /// The dictionary column behind tag and attribute keys.
    fn dict<'t>(&self, table: &'t RunTable) -> Option<&'t DictColumn> {
        match self {
            GroupKey::Tag(key) => Some(&table.tags.get(table.tag_index(key)?)?.values),
            GroupKey::Experiment => Some(&table.experiments),
            GroupKey::Group => Some(&table.groups),
            GroupKey::Source => Some(&table.sources),
            GroupKey::Param(_) | GroupKey::Status | GroupKey::Parent => None,
        }
    }
}

/// The top-level ancestor of `row` (itself when it has no parent); a parent cycle, which a
/// damaged store could hold, stops at the run where it closes.
fn root_of(table: &RunTable, row: usize) -> usize {
    let mut current = row;
    for _ in 0..table.len() {
        match table.parent(current) {
            Some(parent) if parent != row && parent < table.len() => current = parent,
            _ => break,
        }
    }
    current
}

/// How many runs bear each name.
fn name_counts(table: &RunTable) -> HashMap<&str, usize> {
    let mut counts = HashMap::new();
    for name in &table.names {
        *counts.entry(name.as_str()).or_insert(0) += 1;
    }
    counts
}

/// A root run's group label: its name, with its id when another run has the same name
/// (`counts` from [`name_counts`]).
fn root_label(table: &RunTable, counts: &HashMap<&str, usize>, root: usize) -> String {
    let name = &table.names[root];
    let shared = counts.get(name.as_str()).is_some_and(|&n| n > 1);
    if shared {
        format!("{name} ({})", table.ids[root])
    } else {
        name.clone()
    }
}

fn param_text(cell: &ParamCell) -> String {
    match cell {
        ParamCell::Text(text) => text.clone(),
        other => ParamValue::from(other).to_string(),
    }
}

fn status_name(code: u8) -> &'static str {
    RunStatus::from_code(code).unwrap_or_default().as_str()
}

/// Runs sharing one value of a [`GroupKey`].
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The value's display text, or [`NONE_LABEL`].
    pub label: String,
    /// Row indices, in the order they were given.
    pub rows: Vec<usize>,
}

/// Collects groups by label while rows stream in.
#[derive(Default)]
struct Grouper {
    groups: Vec<Group>,
    by_label: HashMap<String, usize>,
    missing: Vec<usize>,
}

impl Grouper {
    /// Adds `row` to the group of its value. `key` identifies the value cheaply (a code,
    /// the bits of a number); `label` formats it, once per distinct key.
    fn add<K: Hash + Eq>(
        &mut self,
        cache: &mut KeyCache<K>,
        row: usize,
        key: Option<K>,
        label: impl FnOnce() -> Option<String>,
    ) {
        let Some(key) = key else {
            return self.missing.push(row);
        };
        let index = match cache.get(&key) {
            Some(&index) => index,
            None => {
                let Some(label) = label() else {
                    return self.missing.push(row);
                };
                let next = self.groups.len();
                let index = *self.by_label.entry(label.clone()).or_insert(next);
                if index == next {
                    self.groups.push(Group {
                        label,
                        rows: Vec::new(),
                    });
                }
                cache.insert(key, index);
                index
            }
        };
        if let Some(group) = self.groups.get_mut(index) {
            group.rows.push(row);
        }
    }
}

/// Distinct grouping keys seen so far and their group. Few keys (the usual optimizer,
/// seed or status) are found by comparing with each, which costs less than hashing every
/// row's key; past [`KeyCache::FEW`] keys a hash map takes over.
struct KeyCache<K> {
    few: Vec<(K, usize)>,
    many: HashMap<K, usize>,
}

impl<K> Default for KeyCache<K> {
    fn default() -> Self {
        KeyCache {
            few: Vec::new(),
            many: HashMap::new(),
        }
    }
}

impl<K: Hash + Eq> KeyCache<K> {
    const FEW: usize = 8;

    fn get(&self, key: &K) -> Option<&usize> {
        if self.many.is_empty() {
            self.few.iter().find(|(k, _)| k == key).map(|(_, i)| i)
        } else {
            self.many.get(key)
        }
    }

    fn insert(&mut self, key: K, index: usize) {
        if self.many.is_empty() && self.few.len() < Self::FEW {
            self.few.push((key, index));
            return;
        }
        self.many.extend(self.few.drain(..));
        self.many.insert(key, index);
    }
}

/// A param value as a hashable key.
#[derive(PartialEq, Eq, Hash)]
enum CellKey<'t> {
    Text(&'t str),
    Number(u8, u64),
}

fn cell_key(cell: &ParamCell) -> CellKey<'_> {
    match cell {
        ParamCell::Text(text) => CellKey::Text(text),
        ParamCell::Bool(b) => CellKey::Number(0, u64::from(*b)),
        ParamCell::Int(i) => CellKey::Number(1, i.cast_unsigned()),
        ParamCell::Float(x) => CellKey::Number(2, x.to_bits()),
    }
}

/// Splits `rows` by the value of `key`. Groups come in numeric order of their labels when
/// every label is a number, else in lexicographic order; runs lacking the value form a
/// last group labelled [`NONE_LABEL`].
pub fn group_rows(table: &RunTable, rows: &[usize], key: &GroupKey) -> Vec<Group> {
    let mut grouper = Grouper::default();
    match key {
        GroupKey::Param(name) => {
            let column = table.param_index(name).and_then(|i| table.params.get(i));
            let mut cache = KeyCache::default();
            for &row in rows {
                let cell = column.and_then(|c| c.cells.get(row)?.as_ref());
                grouper.add(&mut cache, row, cell.map(cell_key), || cell.map(param_text));
            }
        }
        GroupKey::Status => {
            let mut cache = KeyCache::default();
            for &row in rows {
                let code = table.statuses.get(row).copied();
                grouper.add(&mut cache, row, code, || {
                    code.map(|c| status_name(c).to_string())
                });
            }
        }
        GroupKey::Parent => {
            // Counted once: labels ask whether a root's name is shared.
            let counts = name_counts(table);
            let mut cache = KeyCache::default();
            for &row in rows {
                let root = (row < table.len()).then(|| root_of(table, row));
                grouper.add(&mut cache, row, root, || {
                    root.map(|r| root_label(table, &counts, r))
                });
            }
        }
        _ => {
            let dict = key.dict(table);
            let mut cache = KeyCache::default();
            for &row in rows {
                let code = dict.and_then(|d| d.codes.get(row)).filter(|&&c| c > 0);
                grouper.add(&mut cache, row, code, || {
                    dict.and_then(|d| d.get(row)).map(str::to_string)
                });
            }
        }
    }
    let Grouper {
        mut groups,
        missing,
        ..
    } = grouper;
    sort_groups(&mut groups);
    if !missing.is_empty() {
        groups.push(Group {
            label: NONE_LABEL.to_string(),
            rows: missing,
        });
    }
    groups
}

/// Separates the values of several keys in a group's label.
pub const LABEL_SEPARATOR: &str = " · ";

/// Splits `rows` by several keys in turn: by the first, each of its groups by the second,
/// and so on; a label joins the values with [`LABEL_SEPARATOR`]. No key: one group of
/// every row, labelled `all runs`.
pub fn group_rows_by(table: &RunTable, rows: &[usize], keys: &[GroupKey]) -> Vec<Group> {
    let Some((first, rest)) = keys.split_first() else {
        return vec![Group {
            label: "all runs".to_string(),
            rows: rows.to_vec(),
        }];
    };
    let outer = group_rows(table, rows, first);
    if rest.is_empty() {
        return outer;
    }
    outer
        .into_iter()
        .flat_map(|group| {
            group_rows_by(table, &group.rows, rest)
                .into_iter()
                .map(move |inner| Group {
                    label: format!("{}{LABEL_SEPARATOR}{}", group.label, inner.label),
                    rows: inner.rows,
                })
        })
        .collect()
}

/// Each of `rows` rows' group: the position in `groups` of the first group holding it,
/// `None` for rows no group holds (and the rows' colours follow their group's).
pub fn group_of_rows(groups: &[Group], rows: usize) -> Vec<Option<usize>> {
    let mut group_of = vec![None; rows];
    for (index, group) in groups.iter().enumerate() {
        for &row in &group.rows {
            if let Some(slot) = group_of.get_mut(row) {
                slot.get_or_insert(index);
            }
        }
    }
    group_of
}

/// Keeps the `keep` largest groups (ties in their order) in their order and merges the
/// others into one last group `others (N groups)`, rows in the order they came; groups
/// are returned as they are when there are at most `keep + 1`.
pub fn fold_small_groups(groups: Vec<Group>, keep: usize) -> Vec<Group> {
    if groups.len() <= keep + 1 {
        return groups;
    }
    let mut by_size: Vec<usize> = (0..groups.len()).collect();
    by_size.sort_by(|&a, &b| {
        groups[b]
            .rows
            .len()
            .cmp(&groups[a].rows.len())
            .then(a.cmp(&b))
    });
    let mut kept = vec![false; groups.len()];
    for &i in &by_size[..keep] {
        kept[i] = true;
    }
    let folded = groups.len() - keep;
    let mut out = Vec::with_capacity(keep + 1);
    let mut others = Vec::new();
    for (group, kept) in groups.into_iter().zip(kept) {
        if kept {
            out.push(group);
        } else {
            others.extend(group.rows);
        }
    }
    out.push(Group {
        label: format!("others ({folded} groups)"),
        rows: others,
    });
    out
}

/// Numeric order when every label is a number (NaN last), lexicographic otherwise.
fn sort_groups(groups: &mut [Group]) {
    if groups.iter().all(|g| parse_float(&g.label).is_some()) {
        let number = |g: &Group| parse_float(&g.label).unwrap_or(f64::NAN);
        groups.sort_by(|a, b| {
            let (x, y) = (number(a), number(b));
            x.is_nan()
                .cmp(&y.is_nan())
                .then_with(|| x.partial_cmp(&y).unwrap_or(Ordering::Equal))
                .then_with(|| a.label.cmp(&b.label))
        });
    } else {
        groups.sort_by(|a, b| a.label.cmp(&b.label));
    }
}

mod aggregate;

pub use aggregate::{Band, Stats, band, medians, stats};

#[cfg(test)]
mod tests;
