//! Hyperparameter views as data: which columns can be plotted against each other (numeric
//! params, metric summaries, duration), the points of a scatter, each group's mean and
//! spread for a bar chart, and the correlation of every numeric param with a chosen column
//! (Pearson's r on the values, Spearman's ρ on their ranks). No DOM here.

use super::at_step::Cells;
use runlens_core::group::{self, Group};

use super::{Column, ColumnKind, numeric_value};

/// The columns worth plotting: params whose every value is a number, the metric summary
/// columns, and duration.
pub fn numeric_columns(all: &[Column]) -> Vec<Column> {
    all.iter()
        .filter(|c| match c.kind {
            ColumnKind::Param(_) => c.numeric,
            ColumnKind::Metric { .. } | ColumnKind::Duration => true,
            _ => false,
        })
        .cloned()
        .collect()
}

/// Run `row`'s value in a column of `kind` when it is a finite number.
fn finite_value(table: Cells<'_>, row: usize, kind: ColumnKind) -> Option<f64> {
    numeric_value(table, row, kind).filter(|v| v.is_finite())
}

/// The runs of `rows` with a finite value in both columns: `(row, x, y)`.
pub fn pairs(
    table: Cells<'_>,
    rows: &[usize],
    x: ColumnKind,
    y: ColumnKind,
) -> Vec<(usize, f64, f64)> {
    rows.iter()
        .filter_map(|&row| {
            let a = finite_value(table, row, x)?;
            let b = finite_value(table, row, y)?;
            Some((row, a, b))
        })
        .collect()
}

/// One group's bar: mean, sample standard deviation and count of its finite values.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// Group label (untrusted).
    pub label: String,
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (NaN below two values).
    pub std: f64,
    /// Runs with a finite value.
    pub count: usize,
}

/// A bar per group with at least one finite value in column `y`.
pub fn bars(table: Cells<'_>, groups: &[Group], y: ColumnKind) -> Vec<Bar> {
    groups
        .iter()
        .filter_map(|g| {
            let values = g.rows.iter().filter_map(|&row| finite_value(table, row, y));
            let stats = group::stats(values);
            (stats.count > 0).then(|| Bar {
                label: g.label.clone(),
                mean: stats.mean,
                std: stats.std,
                count: stats.count,
            })
        })
        .collect()
}

/// How one column goes with the target column over the runs that have both.
#[derive(Debug, Clone, PartialEq)]
pub struct Correlation {
    /// The column (a numeric param).
    pub column: Column,
    /// Runs with a finite value in both.
    pub count: usize,
    /// Pearson's r.
    pub pearson: f64,
    /// Spearman's ρ (Pearson's r of the ranks, ties sharing their mean rank).
    pub spearman: f64,
}

/// The correlation of every numeric param of `columns` with `target` over `rows`, strongest
/// Spearman first; params with fewer than three runs or no spread are left out.
pub fn correlations(
    table: Cells<'_>,
    columns: &[Column],
    rows: &[usize],
    target: ColumnKind,
) -> Vec<Correlation> {
    // The target's value on each of `rows`, looked up once for every param.
    let target_values: Vec<Option<f64>> = rows
        .iter()
        .map(|&row| finite_value(table, row, target))
        .collect();
    // The target's ranks over the last set of runs (positions in `rows`): params most runs
    // share give the same set, and the ranks are then computed once.
    let mut target_ranks: Option<(Vec<usize>, Vec<f64>)> = None;
    let (mut kept, mut xs, mut ys) = (vec![], vec![], vec![]);
    let mut out: Vec<Correlation> = columns
        .iter()
        .filter(|c| matches!(c.kind, ColumnKind::Param(_)) && c.kind != target)
        .filter_map(|column| {
            kept.clear();
            xs.clear();
            ys.clear();
            for (position, (&row, y)) in rows.iter().zip(&target_values).enumerate() {
                let Some(y) = *y else { continue };
                let Some(x) = finite_value(table, row, column.kind) else {
                    continue;
                };
                kept.push(position);
                xs.push(x);
                ys.push(y);
            }
            if kept.len() < 3 {
                return None;
            }
            let pearson = pearson(&xs, &ys)?;
            if target_ranks.as_ref().is_none_or(|(seen, _)| *seen != kept) {
                target_ranks = Some((kept.clone(), ranks(&ys)));
            }
            let y_ranks = &target_ranks.as_ref()?.1;
            let spearman = self::pearson(&ranks(&xs), y_ranks)?;
            Some(Correlation {
                column: column.clone(),
                count: kept.len(),
                pearson,
                spearman,
            })
        })
        .collect();
    out.sort_by(|a, b| b.spearman.abs().total_cmp(&a.spearman.abs()));
    out
}

/// Pearson's r; `None` when either side has no spread.
pub fn pearson(xs: &[f64], ys: &[f64]) -> Option<f64> {
    let n = xs.len().min(ys.len());
    if n < 2 {
        return None;
    }
    let mean = |v: &[f64]| v[..n].iter().sum::<f64>() / n as f64;
    let (mx, my) = (mean(xs), mean(ys));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let (dx, dy) = (xs[i] - mx, ys[i] - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    (sxx > 0.0 && syy > 0.0).then(|| (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0))
}

/// Ranks from 1, ties sharing the mean of their ranks (values equal by `==`).
pub fn ranks(values: &[f64]) -> Vec<f64> {
    ranks_of_few(values).unwrap_or_else(|| ranks_by_sorting(values))
}

/// Above this many distinct values [`ranks`] sorts.
const FEW_DISTINCT: usize = 32;

/// [`ranks`] of values taking at most [`FEW_DISTINCT`] distinct values (a swept param: a
/// handful of learning rates or seeds over thousands of runs), by counting each value
/// instead of sorting them all; `None` for more distinct values, or a NaN.
fn ranks_of_few(values: &[f64]) -> Option<Vec<f64>> {
    // Each distinct value with its count, in order of first appearance, and each value's
    // index among them.
    let mut distinct: Vec<(f64, usize)> = Vec::new();
    let mut which: Vec<u8> = Vec::with_capacity(values.len());
    let mut last = 0;
    for &value in values {
        if value.is_nan() {
            return None;
        }
        let index = if distinct.get(last).is_some_and(|d| d.0 == value) {
            last
        } else if let Some(found) = distinct.iter().position(|d| d.0 == value) {
            found
        } else {
            if distinct.len() == FEW_DISTINCT {
                return None;
            }
            distinct.push((value, 0));
            distinct.len() - 1
        };
        distinct[index].1 += 1;
        which.push(index as u8);
        last = index;
    }
    let mut order: Vec<usize> = (0..distinct.len()).collect();
    order.sort_unstable_by(|&a, &b| distinct[a].0.total_cmp(&distinct[b].0));
    let mut rank_of = vec![0.0; distinct.len()];
    let mut below = 0;
    for index in order {
        let count = distinct[index].1;
        // Positions below+1 ..= below+count; their mean:
        rank_of[index] = below as f64 + (count + 1) as f64 / 2.0;
        below += count;
    }
    Some(
        which
            .iter()
            .map(|&index| rank_of[usize::from(index)])
            .collect(),
    )
}

/// [`ranks`] by sorting the values with their positions.
fn ranks_by_sorting(values: &[f64]) -> Vec<f64> {
    // Values sorted with their positions (ties in any order: they share a rank).
    let mut order: Vec<(f64, usize)> = values.iter().copied().zip(0..).collect();
    order.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let mut out = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && order[end].0 == order[start].0 {
            end += 1;
        }
        // Positions start..end hold ranks start+1 ..= end; their mean:
        let rank = (start + 1 + end) as f64 / 2.0;
        for &(_, i) in &order[start..end] {
            out[i] = rank;
        }
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::{all_columns, find_column};
    use runlens_core::bundle::RunTable;
    use runlens_core::model::{MetricSeries, ParamValue, Run};

    fn table() -> RunTable {
        // lr grows, loss falls monotonically but not linearly; seed is noise.
        let runs: Vec<Run> = [
            (0.001, 0.9, 3),
            (0.01, 0.5, 1),
            (0.1, 0.45, 2),
            (1.0, 0.1, 1),
        ]
        .into_iter()
        .enumerate()
        .map(|(i, (lr, loss, seed))| {
            let mut run = Run {
                id: format!("r{i}"),
                name: format!("r{i}"),
                ..Run::default()
            };
            run.params.insert("lr".into(), ParamValue::Float(lr));
            run.params.insert("seed".into(), ParamValue::Int(seed));
            run.params
                .insert("opt".into(), ParamValue::Text("adam".into()));
            let mut series = MetricSeries::default();
            series.push(0, loss, None);
            run.metrics.insert("loss".into(), series);
            run
        })
        .collect();
        RunTable::from_runs("t", &runs, &[])
    }

    #[test]
    fn numeric_columns_are_numeric_params_summaries_and_duration() {
        let t = table();
        let ids: Vec<String> = numeric_columns(&all_columns(&t))
            .into_iter()
            .map(|c| c.id)
            .collect();
        assert!(ids.contains(&"param:lr".to_string()));
        assert!(
            !ids.contains(&"param:opt".to_string()),
            "text params are out"
        );
        assert!(ids.contains(&"metric:loss:min".to_string()));
        assert!(ids.contains(&"duration".to_string()));
    }

    #[test]
    fn pearson_and_spearman_against_hand_computed_values() {
        assert_eq!(pearson(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0]), Some(1.0));
        assert_eq!(pearson(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]), Some(-1.0));
        assert_eq!(
            pearson(&[1.0, 1.0, 1.0], &[3.0, 2.0, 1.0]),
            None,
            "no spread"
        );
        // x = 1,2,3,4 and y = 1,3,2,4: r = 0.8 (sxy 4, sxx 5, syy 5).
        let r = pearson(&[1.0, 2.0, 3.0, 4.0], &[1.0, 3.0, 2.0, 4.0]).unwrap();
        assert!((r - 0.8).abs() < 1e-12);
        assert_eq!(ranks(&[10.0, 30.0, 20.0, 20.0]), [1.0, 4.0, 2.5, 2.5]);

        let t = table();
        let all = all_columns(&t);
        let loss = find_column(&all, "metric:loss:last").unwrap().kind;
        let found = correlations((&t).into(), &all, &[0, 1, 2, 3], loss);
        assert_eq!(found[0].column.id, "param:lr");
        assert_eq!(found[0].count, 4);
        // Monotone but not linear: ρ is exactly -1, r is weaker.
        assert!((found[0].spearman + 1.0).abs() < 1e-12);
        assert!(found[0].pearson > -1.0 && found[0].pearson < -0.5);
        // seed 3,1,2,1 has ranks 4, 1.5, 3, 1.5 against loss ranks 4, 3, 2, 1.
        let seed = found.iter().find(|c| c.column.id == "param:seed").unwrap();
        assert!(seed.spearman.abs() < 0.8);
    }

    #[test]
    fn counted_ranks_are_the_sorted_ones() {
        // -0.0 == 0.0: one tie, whichever way the sort puts them.
        let few = [0.3, -1.0, 0.3, 0.0, -0.0, 2.5, 0.3, -1.0, 7.0];
        assert_eq!(ranks_of_few(&few), Some(ranks_by_sorting(&few)));
        assert_eq!(
            ranks(&few),
            [6.0, 1.5, 6.0, 3.5, 3.5, 8.0, 6.0, 1.5, 9.0],
            "by hand: -1 -1 | 0 -0 | 0.3 x3 | 2.5 | 7"
        );
        // A few values over many runs, as a swept param: the counting path, same ranks.
        let swept: Vec<f64> = (0..5000u64)
            .map(|i| [1e-4, 3e-4, 1e-3, 3e-3, 1e-2][(i * 7919 % 5) as usize])
            .collect();
        let counted = ranks_of_few(&swept).expect("five distinct values are few");
        assert_eq!(counted, ranks_by_sorting(&swept));
        // Too many distinct values, or a NaN: sorted instead.
        let many: Vec<f64> = (0..(FEW_DISTINCT as u64 + 1)).map(|i| i as f64).collect();
        assert_eq!(ranks_of_few(&many), None);
        assert_eq!(ranks(&many), ranks_by_sorting(&many));
        assert_eq!(ranks_of_few(&[1.0, f64::NAN]), None);
        let exactly: Vec<f64> = (0..FEW_DISTINCT as u64).rev().map(|i| i as f64).collect();
        assert_eq!(ranks_of_few(&exactly), Some(ranks_by_sorting(&exactly)));
    }

    #[test]
    fn each_param_ranks_the_target_over_its_own_runs() {
        // `a` on every run, `b` on the last four only: the target's ranks reused for `a`
        // must not leak into `b`.
        let rows: [(f64, Option<f64>, f64); 5] = [
            (1.0, None, 5.0),
            (2.0, Some(1.0), 1.0),
            (3.0, Some(2.0), 4.0),
            (4.0, Some(3.0), 2.0),
            (5.0, Some(4.0), 3.0),
        ];
        let runs: Vec<Run> = rows
            .iter()
            .enumerate()
            .map(|(i, &(a, b, y))| {
                let mut run = Run {
                    id: format!("r{i}"),
                    name: format!("r{i}"),
                    ..Run::default()
                };
                run.params.insert("a".into(), ParamValue::Float(a));
                if let Some(b) = b {
                    run.params.insert("b".into(), ParamValue::Float(b));
                }
                let mut series = MetricSeries::default();
                series.push(0, y, None);
                run.metrics.insert("y".into(), series);
                run
            })
            .collect();
        let t = RunTable::from_runs("t", &runs, &[]);
        let all = all_columns(&t);
        let y = find_column(&all, "metric:y:last").unwrap().kind;
        let found = correlations((&t).into(), &all, &[0, 1, 2, 3, 4], y);
        let rho = |id: &str| found.iter().find(|c| c.column.id == id).unwrap().spearman;
        let expect = |xs: &[f64], ys: &[f64]| pearson(&ranks(xs), &ranks(ys)).unwrap();
        assert!(
            (rho("param:a") - expect(&[1.0, 2.0, 3.0, 4.0, 5.0], &[5.0, 1.0, 4.0, 2.0, 3.0])).abs()
                < 1e-12
        );
        assert!(
            (rho("param:b") - expect(&[1.0, 2.0, 3.0, 4.0], &[1.0, 4.0, 2.0, 3.0])).abs() < 1e-12
        );
    }

    #[test]
    fn bars_have_a_mean_and_spread_per_group() {
        let t = table();
        let all = all_columns(&t);
        let loss = find_column(&all, "metric:loss:last").unwrap().kind;
        let groups = vec![
            Group {
                label: "low".into(),
                rows: vec![0, 1],
            },
            Group {
                label: "none".into(),
                rows: vec![],
            },
        ];
        let bars = bars((&t).into(), &groups, loss);
        assert_eq!(bars.len(), 1);
        assert!((bars[0].mean - 0.7).abs() < 1e-12);
        assert!((bars[0].std - 0.08f64.sqrt()).abs() < 1e-12);
        assert_eq!(bars[0].count, 2);
        let pairs = pairs(
            (&t).into(),
            &[0, 1],
            find_column(&all, "param:lr").unwrap().kind,
            loss,
        );
        assert_eq!(pairs, [(0, 0.001, 0.9), (1, 0.01, 0.5)]);
    }
}
