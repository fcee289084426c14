//! Row order: sort keys per column kind (missing values last in either direction) and the
//! natural order of text (`run-2` before `run-10`).

use std::cmp::Ordering;

use runlens_core::bundle::ParamCell;

use super::at_step::Cells;

use super::columns::dict_text;
use super::{Column, ColumnKind, numeric_value};

/// What a cell sorts by. Missing values (and NaN) sort last in both directions; numbers
/// come before text.
#[derive(Debug, Clone, Copy)]
pub(super) enum SortKey<'a> {
    Number(f64),
    Text(&'a str),
    Missing,
}

fn sort_key(cells: Cells<'_>, row: usize, kind: ColumnKind) -> SortKey<'_> {
    let table = cells.table;
    let number = |x: f64| {
        if x.is_nan() {
            SortKey::Missing
        } else {
            SortKey::Number(x)
        }
    };
    match kind {
        ColumnKind::Name => SortKey::Text(&table.names[row]),
        ColumnKind::Status => SortKey::Text(table.status(row).as_str()),
        ColumnKind::Experiment | ColumnKind::Source | ColumnKind::Group | ColumnKind::Tag(_) => {
            dict_text(table, row, kind).map_or(SortKey::Missing, SortKey::Text)
        }
        ColumnKind::Param(index) => match &table.params[index].cells[row] {
            Some(ParamCell::Text(text)) => SortKey::Text(text),
            Some(_) => numeric_value(cells, row, kind).map_or(SortKey::Missing, number),
            None => SortKey::Missing,
        },
        ColumnKind::Metric { .. } | ColumnKind::Started | ColumnKind::Duration => {
            numeric_value(cells, row, kind).map_or(SortKey::Missing, number)
        }
    }
}

/// Compares two present keys (numbers before text).
fn compare_present(a: SortKey<'_>, b: SortKey<'_>) -> Ordering {
    match (a, b) {
        (SortKey::Number(x), SortKey::Number(y)) => x.total_cmp(&y),
        (SortKey::Text(x), SortKey::Text(y)) => natural_cmp(x, y),
        (SortKey::Number(_), _) => Ordering::Less,
        (_, SortKey::Number(_)) => Ordering::Greater,
        _ => Ordering::Equal,
    }
}

/// Orders keys with missing ones last whatever the direction.
pub(super) fn compare_keys(a: SortKey<'_>, b: SortKey<'_>, descending: bool) -> Ordering {
    match (a, b) {
        (SortKey::Missing, SortKey::Missing) => Ordering::Equal,
        (SortKey::Missing, _) => Ordering::Greater,
        (_, SortKey::Missing) => Ordering::Less,
        _ if descending => compare_present(b, a),
        _ => compare_present(a, b),
    }
}

/// Compares text the way people expect run names to sort: case-insensitively, with runs of
/// digits compared as numbers (`run-2` before `run-10`); ties fall back to plain order.
pub(super) fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.chars().peekable(), b.chars().peekable());
    loop {
        match (x.peek().copied(), y.peek().copied()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let take_digits = |it: &mut std::iter::Peekable<std::str::Chars<'_>>| {
                    let mut digits = String::new();
                    while let Some(c) = it.next_if(char::is_ascii_digit) {
                        digits.push(c);
                    }
                    digits
                };
                let (m, n) = (take_digits(&mut x), take_digits(&mut y));
                let (m, n) = (m.trim_start_matches('0'), n.trim_start_matches('0'));
                let order = m.len().cmp(&n.len()).then_with(|| m.cmp(n));
                if order != Ordering::Equal {
                    return order;
                }
            }
            (Some(c), Some(d)) => {
                let order = c.to_lowercase().cmp(d.to_lowercase());
                if order != Ordering::Equal {
                    return order;
                }
                x.next();
                y.next();
            }
        }
    }
}

/// Sorts `rows` by `column` (stable: equal keys keep their order).
pub(super) fn sort_rows(table: Cells<'_>, rows: &mut [usize], column: &Column, descending: bool) {
    let mut keyed: Vec<(SortKey<'_>, usize)> = rows
        .iter()
        .map(|&row| (sort_key(table, row, column.kind), row))
        .collect();
    keyed.sort_by(|(a, _), (b, _)| compare_keys(*a, *b, descending));
    for (slot, (_, row)) in rows.iter_mut().zip(keyed) {
        *slot = row;
    }
}
