//! Parallel coordinates as data: one vertical axis per chosen numeric column (scaled from
//! its smallest to its largest value over the runs drawn), one line per run across them,
//! and brushes: a value range held on an axis that keeps only the runs inside it, in this
//! chart and, as a filter, everywhere else. No DOM here.

use super::at_step::Cells;

use super::{Column, numeric_value};

/// Most columns drawn as axes.
pub const MAX_AXES: usize = 10;

/// One axis: its column and the range of values it spans.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// The column.
    pub column: Column,
    /// Smallest finite value over the runs drawn.
    pub min: f64,
    /// Largest finite value over the runs drawn.
    pub max: f64,
}

impl Axis {
    /// `value`'s height on the axis, 0 (min) to 1 (max); a flat axis puts every value at ½.
    pub fn position(&self, value: f64) -> f64 {
        if self.max > self.min {
            (value - self.min) / (self.max - self.min)
        } else {
            0.5
        }
    }
}

/// A value range held on the axis of column `column`.
#[derive(Debug, Clone, PartialEq)]
pub struct Brush {
    /// Column id.
    pub column: String,
    /// Lowest value kept.
    pub low: f64,
    /// Highest value kept.
    pub high: f64,
}

impl Brush {
    /// The brush as the fragment writes it: `<column id>:<low>:<high>`.
    pub fn encode(&self) -> String {
        format!("{}:{}:{}", self.column, self.low, self.high)
    }

    /// Reads [`Brush::encode`]'s form (the id may itself hold colons).
    pub fn parse(text: &str) -> Option<Brush> {
        let mut parts = text.rsplitn(3, ':');
        let high: f64 = parts.next()?.parse().ok()?;
        let low: f64 = parts.next()?.parse().ok()?;
        let column = parts.next()?.to_string();
        (!column.is_empty() && low <= high).then_some(Brush { column, low, high })
    }
}

/// The axes for `columns` over `rows`: columns where no run has a value are left out.
pub fn axes(table: Cells<'_>, columns: &[Column], rows: &[usize]) -> Vec<Axis> {
    columns
        .iter()
        .take(MAX_AXES)
        .filter_map(|column| {
            let (min, max) = rows
                .iter()
                .filter_map(|&row| numeric_value(table, row, column.kind))
                .filter(|v| v.is_finite())
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                    (lo.min(v), hi.max(v))
                });
            (min <= max).then(|| Axis {
                column: column.clone(),
                min,
                max,
            })
        })
        .collect()
}

/// Whether `column`'s finite values over `rows` differ: an axis worth drawing. A column
/// whose runs all have one value, or none, does not span values, even when some runs
/// lack it (such an axis would be flat: every line at its middle).
pub fn spans_values(table: Cells<'_>, rows: &[usize], column: &Column) -> bool {
    let mut values = rows
        .iter()
        .filter_map(|&row| numeric_value(table, row, column.kind))
        .filter(|v| v.is_finite());
    let Some(first) = values.next() else {
        return false;
    };
    values.any(|v| v != first)
}

/// Run `row`'s height on each axis (`None` where it lacks a value).
pub fn line(table: Cells<'_>, axes: &[Axis], row: usize) -> Vec<Option<f64>> {
    axes.iter()
        .map(|axis| {
            numeric_value(table, row, axis.column.kind)
                .filter(|v| v.is_finite())
                .map(|v| axis.position(v))
        })
        .collect()
}

/// The rows of `rows` inside every brush whose column is among `columns` (a run lacking a
/// brushed value is outside); brushes on columns this report lacks are ignored.
pub fn brushed(
    table: Cells<'_>,
    columns: &[Column],
    rows: &[usize],
    brushes: &[Brush],
) -> Vec<usize> {
    let active: Vec<(&Brush, &Column)> = brushes
        .iter()
        .filter_map(|b| columns.iter().find(|c| c.id == b.column).map(|c| (b, c)))
        .collect();
    if active.is_empty() {
        return rows.to_vec();
    }
    rows.iter()
        .copied()
        .filter(|&row| {
            active.iter().all(|(brush, column)| {
                numeric_value(table, row, column.kind)
                    .is_some_and(|v| v >= brush.low && v <= brush.high)
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::{all_columns, find_column};
    use runlens_core::bundle::RunTable;
    use runlens_core::model::{ParamValue, Run};

    fn table() -> RunTable {
        let runs: Vec<Run> = [(Some(0.1), 1), (Some(0.3), 2), (None, 3), (Some(0.2), 2)]
            .into_iter()
            .enumerate()
            .map(|(i, (lr, bs))| {
                let mut run = Run {
                    id: format!("r{i}"),
                    name: format!("r{i}"),
                    ..Run::default()
                };
                if let Some(lr) = lr {
                    run.params.insert("lr".into(), ParamValue::Float(lr));
                }
                run.params.insert("bs".into(), ParamValue::Int(bs));
                run
            })
            .collect();
        RunTable::from_runs("t", &runs, &[])
    }

    #[test]
    fn axes_span_the_values_and_lines_are_heights_on_them() {
        let t = table();
        let all = all_columns(&t);
        let columns = vec![
            find_column(&all, "param:lr").unwrap().clone(),
            find_column(&all, "param:bs").unwrap().clone(),
        ];
        let axes = axes((&t).into(), &columns, &[0, 1, 2, 3]);
        assert_eq!((axes[0].min, axes[0].max), (0.1, 0.3));
        assert_eq!((axes[1].min, axes[1].max), (1.0, 3.0));
        let l = line((&t).into(), &axes, 3);
        assert!((l[0].unwrap() - 0.5).abs() < 1e-12);
        assert_eq!(l[1], Some(0.5));
        assert_eq!(line((&t).into(), &axes, 2)[0], None, "no lr");
        // A flat axis puts everything in the middle.
        let flat = Axis {
            column: columns[0].clone(),
            min: 2.0,
            max: 2.0,
        };
        assert_eq!(flat.position(2.0), 0.5);
    }

    #[test]
    fn an_axis_spans_values_only_when_the_runs_values_differ() {
        let t = table();
        let all = all_columns(&t);
        let lr = find_column(&all, "param:lr").unwrap();
        let bs = find_column(&all, "param:bs").unwrap();
        assert!(spans_values((&t).into(), &[0, 1, 2, 3], lr));
        // Run 2 lacks lr and run 3 has 0.2: present or not, there is one value.
        assert!(!spans_values((&t).into(), &[2, 3], lr));
        assert!(!spans_values((&t).into(), &[2], lr));
        assert!(!spans_values((&t).into(), &[1, 3], bs), "both 2");
        assert!(spans_values((&t).into(), &[0, 3], bs));
    }

    #[test]
    fn brushes_keep_the_runs_inside_every_range() {
        let t = table();
        let all = all_columns(&t);
        let lr = Brush {
            column: "param:lr".into(),
            low: 0.15,
            high: 0.35,
        };
        assert_eq!(
            brushed((&t).into(), &all, &[0, 1, 2, 3], std::slice::from_ref(&lr)),
            [1, 3]
        );
        let bs = Brush {
            column: "param:bs".into(),
            low: 2.0,
            high: 2.0,
        };
        assert_eq!(
            brushed((&t).into(), &all, &[0, 1, 2, 3], &[lr.clone(), bs]),
            [1, 3]
        );
        let gone = Brush {
            column: "param:gone".into(),
            low: 0.0,
            high: 1.0,
        };
        assert_eq!(brushed((&t).into(), &all, &[0, 2], &[gone]), [0, 2]);
        // The fragment form, with a colon in the id.
        let metric = Brush {
            column: "metric:val/acc:max".into(),
            low: -1.5,
            high: 2.0,
        };
        assert_eq!(Brush::parse(&metric.encode()), Some(metric));
        assert_eq!(Brush::parse(&lr.encode()), Some(lr));
        assert_eq!(Brush::parse("x:2:1"), None, "low above high");
        assert_eq!(Brush::parse("1:2"), None);
    }
}
