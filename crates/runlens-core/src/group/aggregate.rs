//! Aggregation across runs: summary [`Stats`] of values and per-step [`Band`]s
//! (mean, std, min, max) of metric curves.

use crate::model::MetricSeries;

/// Summary statistics of a set of values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    /// Number of values that are not NaN (infinities included).
    pub count: usize,
    /// Mean of the finite values (NaN when there is none).
    pub mean: f64,
    /// Sample standard deviation (n − 1) of the finite values: 0.0 for one value,
    /// NaN for none.
    pub std: f64,
    /// Smallest non-NaN value (NaN when there is none).
    pub min: f64,
    /// Largest non-NaN value (NaN when there is none).
    pub max: f64,
}

/// Summarizes `values`: NaN is ignored, infinities count in `min`/`max` only.
pub fn stats(values: impl IntoIterator<Item = f64>) -> Stats {
    let mut acc = Accumulator::default();
    for value in values {
        acc.add(value);
    }
    acc.finish()
}

/// Running [`Stats`]: Welford's mean and sum of squared deviations, stable in one pass.
#[derive(Debug, Clone, Copy, Default)]
struct Accumulator {
    count: usize,
    finite: usize,
    mean: f64,
    squares: f64,
    min: Option<f64>,
    max: Option<f64>,
}

impl Accumulator {
    fn add(&mut self, value: f64) {
        if value.is_nan() {
            return;
        }
        self.count += 1;
        self.min = Some(self.min.map_or(value, |m| m.min(value)));
        self.max = Some(self.max.map_or(value, |m| m.max(value)));
        if value.is_finite() {
            self.finite += 1;
            let delta = value - self.mean;
            self.mean += delta / self.finite as f64;
            self.squares += delta * (value - self.mean);
        }
    }

    fn finish(&self) -> Stats {
        Stats {
            count: self.count,
            mean: if self.finite == 0 {
                f64::NAN
            } else {
                self.mean
            },
            std: match self.finite {
                0 => f64::NAN,
                1 => 0.0,
                n => (self.squares / (n - 1) as f64).sqrt(),
            },
            min: self.min.unwrap_or(f64::NAN),
            max: self.max.unwrap_or(f64::NAN),
        }
    }
}

/// Per-step aggregate of several runs' curves of one metric.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// Every step any run logged, ascending.
    pub steps: Vec<i64>,
    /// Mean at each step.
    pub mean: Vec<f64>,
    /// Sample standard deviation at each step.
    pub std: Vec<f64>,
    /// Minimum at each step.
    pub min: Vec<f64>,
    /// Maximum at each step.
    pub max: Vec<f64>,
    /// Number of runs with a finite value at each step.
    pub count: Vec<u32>,
}

/// Aggregates `series` step by step. At each step of the union of their steps, every run
/// that logged the step contributes its last value there (no interpolation); the
/// statistics use finite values only, so a step where none is finite has NaN and count 0.
pub fn band(series: &[&MetricSeries]) -> Band {
    if let Some(steps) = shared_steps(series) {
        // A sweep's runs usually log the same steps: the band is then a fold of the
        // values column by column (the same sums, in the same order, as below).
        let mut accumulators = vec![Accumulator::default(); steps.len()];
        for s in series {
            for (acc, &value) in accumulators.iter_mut().zip(&s.values) {
                if value.is_finite() {
                    acc.add(value);
                }
            }
        }
        return band_of(steps.to_vec(), &accumulators);
    }
    // Series not yet sorted by step (see `Archive::finish`) are visited in step order.
    let orders: Vec<Option<Vec<usize>>> = series.iter().map(|s| step_order(s)).collect();
    let total = series.iter().map(|s| s.steps.len()).sum();
    let mut steps: Vec<i64> = Vec::with_capacity(total);
    // Runs of a sweep usually log the same steps: a sorted series whose steps equal the
    // last such series' adds nothing to the union, and skipping it keeps the sort small.
    let mut previous: Option<&[i64]> = None;
    for (s, order) in series.iter().zip(&orders) {
        if order.is_none() && s.steps.len() <= s.values.len() {
            if previous == Some(s.steps.as_slice()) {
                continue;
            }
            previous = Some(&s.steps);
        }
        for_each_point(s, order.as_deref(), |step, _| steps.push(step));
    }
    steps.sort_unstable();
    steps.dedup();
    let mut accumulators = vec![Accumulator::default(); steps.len()];
    for (s, order) in series.iter().zip(&orders) {
        // Both lists ascend: the next step is usually the next slot, else binary search.
        let mut at = 0;
        for_each_point(s, order.as_deref(), |step, value| {
            at = slot_of(&steps, at, step);
            if let Some(acc) = accumulators.get_mut(at)
                && value.is_finite()
            {
                acc.add(value);
            }
            at += 1;
        });
    }
    band_of(steps, &accumulators)
}

/// The band of `steps` from each step's accumulated values.
fn band_of(steps: Vec<i64>, accumulators: &[Accumulator]) -> Band {
    let stats: Vec<Stats> = accumulators.iter().map(Accumulator::finish).collect();
    let column = |f: fn(&Stats) -> f64| stats.iter().map(f).collect();
    Band {
        mean: column(|s| s.mean),
        std: column(|s| s.std),
        min: column(|s| s.min),
        max: column(|s| s.max),
        count: stats
            .iter()
            .map(|s| u32::try_from(s.count).unwrap_or(u32::MAX))
            .collect(),
        steps,
    }
}

/// The steps every one of `series` logged, when they all logged the same strictly
/// ascending steps, each with a value: point `i` of every series is then at step `i` of
/// the band.
fn shared_steps<'a>(series: &[&'a MetricSeries]) -> Option<&'a [i64]> {
    let first = series.first()?.steps.as_slice();
    let same = |s: &&MetricSeries| same_steps(&s.steps, first) && s.values.len() >= first.len();
    (first.windows(2).all(|w| w[0] < w[1]) && series.iter().all(same)).then_some(first)
}

/// `a == b`, a step at a time: comparing the slices calls `memcmp`, which the wasm
/// module has only byte by byte (4 ms of a band over 10,000 runs of 50 steps).
fn same_steps(a: &[i64], b: &[i64]) -> bool {
    a.len() == b.len()
        && (std::ptr::eq(a, b) || a.iter().zip(b).fold(0, |differ, (x, y)| differ | (x ^ y)) == 0)
}

/// The median at each of `steps` (a [`Band`]'s steps) of the finite values the runs logged
/// there, aligned as [`band`] aligns them (each run's last value at a step): the middle
/// value, or the mean of the two middle ones for an even count; NaN where no run has a
/// finite value. Steps no run logged are NaN too.
pub fn medians(series: &[&MetricSeries], steps: &[i64]) -> Vec<f64> {
    if shared_steps(series).is_some_and(|shared| same_steps(shared, steps)) {
        // Every run logged exactly these steps: a step's values are a column.
        let mut column = Vec::with_capacity(series.len());
        return (0..steps.len())
            .map(|slot| {
                column.clear();
                column.extend(
                    series
                        .iter()
                        .map(|s| s.values[slot])
                        .filter(|v| v.is_finite()),
                );
                median_of(&mut column)
            })
            .collect();
    }
    // (slot, value) of every finite point, then sorted: each slot's values are a run.
    let mut points: Vec<(usize, f64)> = Vec::new();
    for s in series {
        let order = step_order(s);
        let mut at = 0;
        for_each_point(s, order.as_deref(), |step, value| {
            at = slot_of(steps, at, step);
            if steps.get(at) == Some(&step) && value.is_finite() {
                points.push((at, value));
            }
            at += 1;
        });
    }
    // Each slot's values side by side (a counting sort by slot), then each slot's middle
    // found by selection, not by sorting: linear in the points.
    let mut starts = vec![0usize; steps.len() + 1];
    for &(slot, _) in &points {
        starts[slot + 1] += 1;
    }
    for slot in 0..steps.len() {
        starts[slot + 1] += starts[slot];
    }
    let mut values = vec![0.0; points.len()];
    let mut next = starts.clone();
    for (slot, value) in points {
        values[next[slot]] = value;
        next[slot] += 1;
    }
    (0..steps.len())
        .map(|slot| median_of(&mut values[starts[slot]..starts[slot + 1]]))
        .collect()
}

/// The median of `values` (reordered): the middle value, or the mean of the two middle
/// ones for an even count, in `total_cmp` order; NaN for none.
fn median_of(values: &mut [f64]) -> f64 {
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    let (below, &mut upper, _) = values.select_nth_unstable_by(n / 2, f64::total_cmp);
    if n % 2 == 1 {
        return upper;
    }
    // Everything before the middle is not above it: the lower middle is their largest.
    let lower = below
        .iter()
        .copied()
        .max_by(f64::total_cmp)
        .unwrap_or(upper);
    (lower + upper) / 2.0
}

/// Where `step` goes among the ascending `steps`, searching from `at` (a run's steps ascend
/// too, so the next step is usually the next slot).
fn slot_of(steps: &[i64], at: usize, step: i64) -> usize {
    if steps.get(at) == Some(&step) {
        return at;
    }
    at + steps
        .get(at..)
        .map_or(0, |rest| rest.partition_point(|&s| s < step))
}

/// The point order by step (stable), or `None` when the series is already in step order.
fn step_order(series: &MetricSeries) -> Option<Vec<usize>> {
    let steps = &series.steps;
    if steps.windows(2).all(|w| w[0] <= w[1]) {
        return None;
    }
    let mut order: Vec<usize> = (0..steps.len()).collect();
    order.sort_by_key(|&i| steps[i]);
    Some(order)
}

/// Calls `visit(step, value)` once per distinct step, ascending, with the last value
/// logged at that step; points lacking a value (ragged columns) are skipped.
fn for_each_point(series: &MetricSeries, order: Option<&[usize]>, mut visit: impl FnMut(i64, f64)) {
    let len = series.steps.len().min(series.values.len());
    let mut pending: Option<(i64, f64)> = None;
    for k in 0..series.steps.len() {
        let i = order.map_or(k, |o| o.get(k).copied().unwrap_or(usize::MAX));
        if i >= len {
            continue;
        }
        let point = (series.steps[i], series.values[i]);
        if let Some((step, value)) = pending
            && step != point.0
        {
            visit(step, value);
        }
        pending = Some(point);
    }
    if let Some((step, value)) = pending {
        visit(step, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_ignore_nan_and_keep_infinities_out_of_the_mean() {
        let plain = stats([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        assert_eq!(
            (plain.count, plain.mean, plain.min, plain.max),
            (8, 5.0, 2.0, 9.0)
        );
        assert!((plain.std - (32.0f64 / 7.0).sqrt()).abs() < 1e-12);
        let s = stats([f64::NAN, 1.0, f64::INFINITY, 3.0, f64::NEG_INFINITY]);
        assert_eq!(s.count, 4);
        assert_eq!(s.mean, 2.0);
        assert!((s.std - 2.0f64.sqrt()).abs() < 1e-12);
        assert_eq!((s.min, s.max), (f64::NEG_INFINITY, f64::INFINITY));
        let one = stats([f64::NAN, 3.5]);
        assert_eq!((one.count, one.mean, one.std), (1, 3.5, 0.0));
        assert_eq!((one.min, one.max), (3.5, 3.5));
        let only_inf = stats([f64::INFINITY]);
        assert_eq!((only_inf.count, only_inf.max), (1, f64::INFINITY));
        assert!(only_inf.mean.is_nan() && only_inf.std.is_nan());
        for empty in [stats([]), stats([f64::NAN, f64::NAN])] {
            assert_eq!(empty.count, 0);
            assert!(empty.mean.is_nan() && empty.std.is_nan());
            assert!(empty.min.is_nan() && empty.max.is_nan());
        }
    }

    fn series(points: &[(i64, f64)]) -> MetricSeries {
        MetricSeries {
            steps: points.iter().map(|p| p.0).collect(),
            values: points.iter().map(|p| p.1).collect(),
            times: None,
        }
    }

    #[test]
    fn band_uses_the_union_of_steps_without_interpolation() {
        let a = series(&[(0, 1.0), (10, 3.0), (20, 5.0)]);
        let b = series(&[(0, 3.0), (20, 7.0), (30, 1.0)]);
        let result = band(&[&a, &b]);
        assert_eq!(result.steps, [0, 10, 20, 30]);
        assert_eq!(result.mean, [2.0, 3.0, 6.0, 1.0]);
        assert_eq!(result.count, [2, 1, 2, 1]);
        assert_eq!(result.min, [1.0, 3.0, 5.0, 1.0]);
        assert_eq!(result.max, [3.0, 3.0, 7.0, 1.0]);
        assert!((result.std[0] - 2.0f64.sqrt()).abs() < 1e-12);
        assert_eq!(result.std[1], 0.0);
    }

    #[test]
    fn band_counts_runs_that_share_their_steps() {
        let a = series(&[(0, 1.0), (10, 2.0)]);
        let b = series(&[(5, 4.0), (10, 6.0)]);
        let c = series(&[(0, 3.0), (10, 4.0)]);
        let d = series(&[(0, 5.0), (10, 0.0)]);
        let result = band(&[&a, &c, &b, &d, &c]);
        assert_eq!(result.steps, [0, 5, 10]);
        assert_eq!(result.count, [4, 1, 5]);
        assert_eq!(result.mean, [3.0, 4.0, 3.2]);
        assert_eq!((result.min[2], result.max[2]), (0.0, 6.0));
    }

    #[test]
    fn band_takes_the_last_value_logged_at_a_step() {
        let a = series(&[(0, 1.0), (5, 2.0), (5, 4.0)]);
        // Not sorted: the last logged value at step 5 is still 8.
        let b = series(&[(5, 6.0), (0, 3.0), (5, 8.0)]);
        let result = band(&[&a, &b]);
        assert_eq!(result.steps, [0, 5]);
        assert_eq!(result.mean, [2.0, 6.0]);
        assert_eq!(result.count, [2, 2]);
    }

    #[test]
    fn band_skips_values_that_are_not_finite() {
        let a = series(&[(0, f64::NAN), (1, f64::INFINITY), (2, 2.0)]);
        let b = series(&[(0, f64::NAN), (1, 4.0), (2, 4.0)]);
        let result = band(&[&a, &b]);
        assert_eq!(result.steps, [0, 1, 2]);
        assert_eq!(result.count, [0, 1, 2]);
        assert!(result.mean[0].is_nan() && result.min[0].is_nan() && result.std[0].is_nan());
        assert_eq!((result.mean[1], result.max[1]), (4.0, 4.0));
        assert_eq!(result.mean[2], 3.0);
        let empty = series(&[]);
        for result in [band(&[]), band(&[&empty])] {
            assert!(result.steps.is_empty() && result.mean.is_empty() && result.count.is_empty());
        }
        // Mismatched columns use the points both have.
        let ragged = MetricSeries {
            steps: vec![0, 1, 2],
            values: vec![5.0],
            times: None,
        };
        assert_eq!(band(&[&ragged]).steps, [0]);
    }

    #[test]
    fn band_merges_many_runs() {
        let points = |r: i64| {
            (0..100)
                .map(|s| (s * (r % 3 + 1), r as f64))
                .collect::<Vec<_>>()
        };
        let runs: Vec<MetricSeries> = (0..50).map(|r| series(&points(r))).collect();
        let result = band(&runs.iter().collect::<Vec<_>>());
        assert!(result.steps.windows(2).all(|w| w[0] < w[1]));
        // Steps 0..99, then even steps to 198, then multiples of 3 to 297 not seen yet.
        assert_eq!(result.steps.len(), 100 + 50 + 49);
        assert_eq!((result.count[0], result.count.iter().sum()), (50, 50 * 100));
    }

    #[test]
    fn same_steps_is_slice_equality() {
        let steps: Vec<i64> = (0..50).map(|i| i * 10).collect();
        let mut other = steps.clone();
        assert!(same_steps(&steps, &other));
        assert!(same_steps(&steps, &steps));
        assert!(same_steps(&[], &[]));
        *other.last_mut().unwrap() += 1;
        assert!(!same_steps(&steps, &other));
        other[49] = steps[49];
        other[0] = i64::MIN;
        assert!(!same_steps(&steps, &other));
        assert!(!same_steps(&steps, &steps[..49]));
        assert!(!same_steps(&[0], &[]));
    }

    #[test]
    fn runs_that_log_the_same_steps_aggregate_as_any_runs_do() {
        // The same values, once with every run on the same steps (the column-wise path)
        // and once with one run given an extra step past the end (the general path):
        // the shared steps' statistics and medians agree bit for bit.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            match state % 11 {
                0 => f64::NAN,
                1 => f64::INFINITY,
                _ => (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5,
            }
        };
        let steps: Vec<i64> = (0..40).map(|i| i * 10).collect();
        let runs: Vec<MetricSeries> = (0..25)
            .map(|_| MetricSeries {
                steps: steps.clone(),
                values: steps.iter().map(|_| next()).collect(),
                times: None,
            })
            .collect();
        let shared: Vec<&MetricSeries> = runs.iter().collect();
        assert!(shared_steps(&shared).is_some());
        let mut longer = runs[3].clone();
        longer.steps.push(1000);
        longer.values.push(1.0);
        let mut general = shared.clone();
        general[3] = &longer;
        assert!(shared_steps(&general).is_none());
        let (fast, slow) = (band(&shared), band(&general));
        let n = steps.len();
        assert_eq!(fast.steps, steps);
        assert_eq!(&slow.steps[..n], &steps[..]);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        for (a, b) in [
            (&fast.mean, &slow.mean),
            (&fast.std, &slow.std),
            (&fast.min, &slow.min),
            (&fast.max, &slow.max),
        ] {
            assert_eq!(bits(a), bits(&b[..n]));
        }
        assert_eq!(fast.count, &slow.count[..n]);
        let (fast_medians, slow_medians) = (
            medians(&shared, &fast.steps),
            medians(&general, &slow.steps),
        );
        assert_eq!(bits(&fast_medians), bits(&slow_medians[..n]));
        // Not the same steps, or not strictly ascending, or a value short: the general path.
        let repeated = series(&[(0, 1.0), (0, 2.0)]);
        assert!(shared_steps(&[&repeated, &repeated]).is_none());
        let short = MetricSeries {
            steps: vec![0, 1],
            values: vec![1.0],
            times: None,
        };
        assert!(shared_steps(&[&short]).is_none());
        assert!(shared_steps(&[]).is_none());
    }

    #[test]
    fn medians_against_hand_computed_values() {
        // Step 0: 1, 2, 10 → 2. Step 1: 3, 5 (third run skips it) → 4. Step 2: 7 and a
        // NaN → 7 (NaN ignored). Step 3: only infinity → NaN. Step 4: 4, 1, 9, 2 → 3;
        // the second run logs step 4 twice and its last value (1) counts.
        let a = series(&[(0, 1.0), (1, 3.0), (2, 7.0), (4, 4.0)]);
        let b = series(&[(0, 2.0), (1, 5.0), (2, f64::NAN), (4, 8.0), (4, 1.0)]);
        let c = series(&[(4, 9.0), (0, 10.0), (3, f64::INFINITY)]);
        let d = series(&[(4, 2.0)]);
        let runs = [&a, &b, &c, &d];
        let band = band(&runs);
        assert_eq!(band.steps, [0, 1, 2, 3, 4]);
        let m = medians(&runs, &band.steps);
        assert_eq!(&m[..3], &[2.0, 4.0, 7.0]);
        assert!(m[3].is_nan());
        assert_eq!(m[4], 3.0);
        // Unlike the mean, one outlying run does not move it.
        let e = series(&[(0, 1000.0)]);
        let outlier = [&a, &b, &c, &d, &e];
        let with_outlier = medians(&outlier, &band.steps);
        assert_eq!(with_outlier[0], 6.0, "1, 2, 10, 1000 → (2 + 10) / 2");
        assert!(band.mean[0] < 5.0);
        assert!(medians(&[], &[]).is_empty());
        assert!(medians(&runs, &[7])[0].is_nan(), "a step no run logged");
    }

    #[test]
    fn the_median_by_selection_is_the_median_of_the_sorted_values() {
        // Lengths 1..60 of pseudo-random values with repeats, signed zeros and a wide
        // range, against the middle of the sorted list.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            state >> 33
        };
        for n in 1..60 {
            let values: Vec<f64> = (0..n)
                .map(|_| match next() % 5 {
                    0 => 0.0,
                    1 => -0.0,
                    2 => (next() % 7) as f64,
                    _ => (next() as f64 - 2e9) * 1e-3,
                })
                .collect();
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            let expected = if n % 2 == 1 {
                sorted[n / 2]
            } else {
                (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
            };
            let mut scratch = values.clone();
            assert_eq!(
                median_of(&mut scratch).to_bits(),
                expected.to_bits(),
                "{values:?}"
            );
        }
        assert!(median_of(&mut []).is_nan());
    }
}
