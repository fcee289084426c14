//! Overview levels: a min/max-downsampled copy of a chunk's long series, so that the first
//! chart of many runs decodes a few thousand points per run instead of every point, and no
//! spike is hidden. A level keeps, per bucket of consecutive points, the bucket's first and
//! last point, its smallest and largest finite value and its first non-finite value (a gap
//! or an overflow in a chart): a subset of the series' own points, in their order, coded
//! like a chunk (`docs/bundle-format.md` §4a).

use serde::{Deserialize, Serialize};

use crate::model::MetricSeries;

/// Buckets of a level: a chart of a few hundred pixels gets about two extremes per pixel.
pub const LEVEL_BUCKETS: usize = 512;

/// A series gets a level only when it has more points than this (a level keeps at most
/// five points per bucket, usually four, so this makes it at most about half as long).
pub const LEVEL_MIN_POINTS: usize = 8 * LEVEL_BUCKETS;

/// Where a chunk's overview level lives and how big it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelRef {
    /// Level id; the multi-file site stores it as `levels/<id>.rlb`.
    pub id: u32,
    /// The chunk it is the overview of; its runs are the chunk's runs.
    pub chunk: u32,
    /// Buckets per long series.
    pub buckets: u32,
    /// Total points in the level.
    pub points: u64,
    /// Size of the level file in bytes.
    pub bytes: u64,
}

/// The positions a level of `values` keeps with `buckets` buckets, ascending: bucket `b`
/// spans positions `b·n/buckets .. (b+1)·n/buckets` (integer division) and keeps its first
/// and last position, the first position of its smallest and of its largest finite value,
/// and its first non-finite position. Every position when `n <= buckets`.
pub fn level_positions(values: &[f64], buckets: usize) -> Vec<usize> {
    let n = values.len();
    if n <= buckets.max(1) {
        return (0..n).collect();
    }
    let mut out = Vec::with_capacity(buckets * 4);
    let mut picks = [0usize; 5];
    for b in 0..buckets {
        let (start, end) = (b * n / buckets, (b + 1) * n / buckets);
        let Extremes { low, high, gap } =
            bucket_extremes(start..end, |i| Some(values[i]).filter(|v| v.is_finite()));
        let mut len = 0;
        for i in [Some(start), low, high, gap, Some(end - 1)]
            .into_iter()
            .flatten()
        {
            picks[len] = i;
            len += 1;
        }
        let picked = &mut picks[..len];
        picked.sort_unstable();
        let mut last = None;
        for &i in picked.iter() {
            if last != Some(i) {
                out.push(i);
                last = Some(i);
            }
        }
    }
    out
}

/// Where a bucket's extremes are: the first position of its smallest and of its largest
/// value, and its first position without one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extremes {
    /// First position of the smallest value.
    pub low: Option<usize>,
    /// First position of the largest value.
    pub high: Option<usize>,
    /// First position whose `value` is `None` (a gap: a non-finite value).
    pub gap: Option<usize>,
}

/// The [`Extremes`] of the positions `bucket`, whose values `value` gives (`None` for a
/// point that counts as a gap). Shared by overview levels and the page's min/max
/// downsampling, so both keep the same spikes.
pub fn bucket_extremes(
    bucket: std::ops::Range<usize>,
    value: impl Fn(usize) -> Option<f64>,
) -> Extremes {
    let mut extremes = Extremes {
        low: None,
        high: None,
        gap: None,
    };
    let mut low_value = f64::NAN;
    let mut high_value = f64::NAN;
    for i in bucket {
        let Some(v) = value(i) else {
            extremes.gap.get_or_insert(i);
            continue;
        };
        if extremes.low.is_none() || v < low_value {
            extremes.low = Some(i);
            low_value = v;
        }
        if extremes.high.is_none() || v > high_value {
            extremes.high = Some(i);
            high_value = v;
        }
    }
    extremes
}

/// The level of `series` (its points at [`level_positions`] of its values, times kept),
/// or `None` when it has at most `8 × buckets` points ([`LEVEL_MIN_POINTS`] for
/// [`LEVEL_BUCKETS`]).
pub fn level_of(series: &MetricSeries, buckets: usize) -> Option<MetricSeries> {
    (series.len() > 8 * buckets).then(|| subset(series, &level_positions(&series.values, buckets)))
}

/// The points of `series` at `positions` (ascending, in range).
fn subset(series: &MetricSeries, positions: &[usize]) -> MetricSeries {
    MetricSeries {
        steps: positions.iter().map(|&i| series.steps[i]).collect(),
        values: positions.iter().map(|&i| series.values[i]).collect(),
        times: series
            .times
            .as_ref()
            .map(|times| positions.iter().map(|&i| times[i]).collect()),
    }
}

/// The overview of a chunk's series: each long series by its level, each short one whole;
/// `None` when no series is long or the overview would not be at most half the points.
pub fn chunk_level(
    series: &[(u32, &MetricSeries)],
    buckets: usize,
) -> Option<Vec<(u32, MetricSeries)>> {
    if !series.iter().any(|(_, s)| s.len() > 8 * buckets) {
        return None;
    }
    let level: Vec<(u32, MetricSeries)> = series
        .iter()
        .map(|&(run, s)| (run, level_of(s, buckets).unwrap_or_else(|| s.clone())))
        .collect();
    let full: usize = series.iter().map(|(_, s)| s.len()).sum();
    let kept: usize = level.iter().map(|(_, s)| s.len()).sum();
    (kept * 2 <= full).then_some(level)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_bucket_keeps_first_last_extremes_and_first_gap() {
        // 12 values in 3 buckets of 4: [0..4), [4..8), [8..12).
        let nan = f64::NAN;
        let values = [
            5.0,
            1.0,
            9.0,
            5.0, // first 0, min 1, max 2, last 3
            2.0,
            2.0,
            nan,
            2.0, // flat: first 4 is min and max; NaN at 6; last 7
            f64::INFINITY,
            7.0,
            3.0,
            4.0, // inf at 8 is the gap and the first; min 10, max 9
        ];
        assert_eq!(
            level_positions(&values, 3),
            [0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11]
        );
        // Uneven buckets: 10 points in 4 buckets span 0..2, 2..5, 5..7, 7..10.
        let values = [0.0, 1.0, 3.0, -1.0, 2.0, 8.0, 8.0, 1.0, 1.0, 1.0];
        assert_eq!(level_positions(&values, 4), [0, 1, 2, 3, 4, 5, 6, 7, 9]);
        // Short input is kept whole.
        assert_eq!(level_positions(&[3.0, 1.0], 4), [0, 1]);
        assert!(level_positions(&[], 4).is_empty());
    }

    #[test]
    fn a_lone_spike_survives_and_the_level_is_short() {
        let mut series = MetricSeries::default();
        for step in 0..100_000i64 {
            series.push(step, (step as f64 * 0.01).sin(), Some(1e9 + step as f64));
        }
        series.values[61_234] = 1e6;
        series.values[70_000] = f64::NAN;
        let level = level_of(&series, LEVEL_BUCKETS).unwrap();
        assert!(level.len() <= 5 * LEVEL_BUCKETS, "{}", level.len());
        let at = level.steps.iter().position(|&s| s == 61_234).unwrap();
        assert_eq!(level.values[at], 1e6);
        assert_eq!(level.times.as_ref().unwrap()[at], 1e9 + 61_234.0);
        assert!(level.values.iter().any(|v| v.is_nan()), "the gap is kept");
        assert!(level.steps.windows(2).all(|w| w[0] < w[1]));
        assert_eq!((level.steps[0], *level.steps.last().unwrap()), (0, 99_999));
        // A short series has no level of its own.
        let short = MetricSeries {
            steps: vec![1, 2],
            values: vec![1.0, 2.0],
            times: None,
        };
        assert!(level_of(&short, LEVEL_BUCKETS).is_none());
    }

    #[test]
    fn a_chunk_level_copies_short_series_and_is_skipped_when_not_worth_it() {
        let long = MetricSeries {
            steps: (0..20_000).collect(),
            values: (0..20_000).map(f64::from).collect(),
            times: None,
        };
        let short = MetricSeries {
            steps: vec![0, 1, 2],
            values: vec![1.0, 2.0, 3.0],
            times: None,
        };
        let level = chunk_level(&[(0, &long), (3, &short)], LEVEL_BUCKETS).unwrap();
        assert_eq!(level[1], (3, short.clone()));
        // A rising line: each bucket keeps its first and last point.
        assert_eq!(level[0].1.len(), 2 * LEVEL_BUCKETS);
        assert!(chunk_level(&[(3, &short)], LEVEL_BUCKETS).is_none());
        let shorts: Vec<MetricSeries> = vec![long.clone(); 1]
            .into_iter()
            .chain(std::iter::repeat_n(
                MetricSeries {
                    steps: (0..4000).collect(),
                    values: vec![0.0; 4000],
                    times: None,
                },
                20,
            ))
            .collect();
        let refs: Vec<(u32, &MetricSeries)> = shorts
            .iter()
            .enumerate()
            .map(|(i, s)| (i as u32, s))
            .collect();
        assert!(
            chunk_level(&refs, LEVEL_BUCKETS).is_none(),
            "not half the points"
        );
    }
}
