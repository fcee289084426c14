//! The best run of each metric summary column whose metric has a direction (lower or
//! higher is better), among the runs the filter keeps.

use std::collections::HashMap;

use runlens_core::bundle::RunTable;
use runlens_core::view::{Direction, Directions};

use super::at_step::Cells;
use super::{Column, ColumnKind, Stat, numeric_value};

/// Marks the summary columns of metrics with a direction (`last ↓`: lower is better) and
/// adds the summary the direction calls for (min when lower is better, max when higher)
/// right after the metric's other columns when it is not there yet.
pub fn mark_directions(columns: &mut Vec<Column>, table: &RunTable, directions: &Directions) {
    for (key, &direction) in directions {
        let Some(index) = table.metric_index(key) else {
            continue;
        };
        let wanted = match direction {
            Direction::Lower => Stat::Min,
            Direction::Higher => Stat::Max,
        };
        let of_metric =
            |c: &Column| matches!(c.kind, ColumnKind::Metric { index: i, .. } if i == index);
        let has_wanted = columns.iter().any(|c| {
            matches!(c.kind, ColumnKind::Metric { index: i, stat } if i == index && stat == wanted)
        });
        if !has_wanted && let Some(last) = columns.iter().rposition(of_metric) {
            let mut column = columns[last].clone();
            column.kind = ColumnKind::Metric {
                index,
                stat: wanted,
            };
            column.id = format!("metric:{key}:{}", wanted.id_part());
            columns.insert(last + 1, column);
        }
    }
    label_directions(columns, table, directions);
}

/// Marks the summary columns of metrics with a direction (`last ↓`: lower is better).
pub fn label_directions(columns: &mut [Column], table: &RunTable, directions: &Directions) {
    for (key, &direction) in directions {
        let Some(index) = table.metric_index(key) else {
            continue;
        };
        for column in columns.iter_mut() {
            if let ColumnKind::Metric { index: i, stat } = column.kind
                && i == index
            {
                column.detail = Some(directed_label(stat, direction));
            }
        }
    }
}

fn directed_label(stat: Stat, direction: Direction) -> String {
    let arrow = match direction {
        Direction::Lower => "↓",
        Direction::Higher => "↑",
    };
    format!("{} {arrow}", stat.detail())
}

/// Column position → (best row, direction). Ties go to the first row in `rows`; NaN never
/// wins; a column where no run has a value has no best.
pub fn best_rows(
    table: Cells<'_>,
    columns: &[Column],
    rows: &[usize],
    directions: &Directions,
) -> HashMap<usize, (usize, Direction)> {
    let mut best = HashMap::new();
    for (position, column) in columns.iter().enumerate() {
        let ColumnKind::Metric { index, .. } = column.kind else {
            continue;
        };
        let Some(&direction) = directions.get(&table.metrics[index].key) else {
            continue;
        };
        let mut winner: Option<(usize, f64)> = None;
        for &row in rows {
            let Some(value) = numeric_value(table, row, column.kind).filter(|v| !v.is_nan()) else {
                continue;
            };
            if winner.is_none_or(|(_, w)| direction.better(value, w)) {
                winner = Some((row, value));
            }
        }
        if let Some((row, _)) = winner {
            best.insert(position, (row, direction));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::columns;
    use runlens_core::{MetricSeries, Run};

    #[test]
    fn the_best_run_follows_the_direction_and_skips_nan() {
        let runs: Vec<Run> = [[0.5, 0.2], [f64::NAN, 0.1], [0.3, f64::NAN]]
            .iter()
            .enumerate()
            .map(|(i, [loss, acc])| {
                let mut run = Run {
                    id: format!("r{i}"),
                    ..Run::default()
                };
                for (key, value) in [("loss", loss), ("acc", acc)] {
                    let mut series = MetricSeries::default();
                    series.push(0, *value, None);
                    run.metrics.insert(key.into(), series);
                }
                run
            })
            .collect();
        let table = RunTable::from_runs("t", &runs, &[]);
        let columns = columns(&table);
        let directions: Directions = [
            ("loss".to_string(), Direction::Lower),
            ("acc".to_string(), Direction::Higher),
        ]
        .into();
        let best = best_rows((&table).into(), &columns, &[0, 1, 2], &directions);
        let of = |id: &str| {
            let position = columns.iter().position(|c| c.id == id).unwrap();
            best.get(&position).map(|(row, _)| *row)
        };
        assert_eq!(of("metric:loss:last"), Some(2));
        assert_eq!(of("metric:acc:last"), Some(0), "NaN never wins");
        // Only the runs the filter keeps compete.
        let kept = best_rows((&table).into(), &columns, &[1], &directions);
        let loss = columns
            .iter()
            .position(|c| c.id == "metric:loss:last")
            .unwrap();
        assert_eq!(kept.get(&loss), None, "a NaN-only column has no best");
        assert!(best_rows((&table).into(), &columns, &[0, 1, 2], &Directions::new()).is_empty());

        let mut marked = columns.clone();
        mark_directions(&mut marked, &table, &directions);
        let ids: Vec<&str> = marked.iter().map(|c| c.id.as_str()).collect();
        assert!(
            ids.contains(&"metric:acc:max") && ids.contains(&"metric:loss:min"),
            "{ids:?}"
        );
        let loss_min = marked.iter().find(|c| c.id == "metric:loss:min").unwrap();
        assert_eq!(loss_min.detail.as_deref(), Some("min ↓"));
        assert_eq!(
            marked.len(),
            columns.len(),
            "loss:min and acc:max were already there"
        );
    }
}
