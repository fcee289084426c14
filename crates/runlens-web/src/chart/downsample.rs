//! Min/max-aware downsampling: a long curve is reduced to a point budget without hiding a
//! spike; a zoomed chart first keeps only the points in its x range, so zooming in shows
//! full resolution. How many points a line gets follows the plot's width.

use std::borrow::Cow;

use runlens_core::bundle::level::{Extremes, bucket_extremes};

use super::{
    DEFAULT_PLOT_WIDTH, LINE_POINTS_MIN, LINE_POINTS_PER_PIXEL, PLOT_MARGIN, POINTS_PER_PIXEL,
};

/// Reduces a curve to about `budget` points keeping its shape: each of `budget / 2`
/// buckets contributes its smallest and largest value in order, so spikes survive.
/// Non-finite values (and points without an x) become gaps (`None`, which plotly draws as
/// a break), and a bucket that contains one keeps a gap.
pub fn downsample(xs: &[f64], values: &[f64], budget: usize) -> (Vec<f64>, Vec<Option<f64>>) {
    let n = xs.len().min(values.len());
    let finite = |i: usize| (values[i].is_finite() && xs[i].is_finite()).then_some(values[i]);
    if n <= budget.max(2) {
        return (xs[..n].to_vec(), (0..n).map(finite).collect());
    }
    let buckets = (budget / 2).max(1);
    let mut out_x = Vec::with_capacity(budget + buckets);
    let mut out_y = Vec::with_capacity(budget + buckets);
    for b in 0..buckets {
        let (start, end) = (b * n / buckets, (b + 1) * n / buckets);
        let Extremes { low, high, gap } = bucket_extremes(start..end, finite);
        // At most three picks, in order (no allocation per bucket).
        let mut picks = [
            low.map(|i| (i, true)),
            high.filter(|_| high != low).map(|i| (i, true)),
            gap.map(|i| (i, false)),
        ];
        picks.sort_unstable_by_key(|pick| pick.map_or(usize::MAX, |(i, _)| i));
        for (i, keep) in picks.into_iter().flatten() {
            out_x.push(xs[i]);
            out_y.push(if keep { Some(values[i]) } else { None });
        }
    }
    (out_x, out_y)
}

/// The points of a curve inside the x range `range` (inclusive), plus the point just
/// before it and just after it so the line reaches the edges (also when no point falls
/// inside: the segment crossing the range is kept); the whole curve (not copied) without
/// a range.
pub fn clip<'a>(
    xs: &'a [f64],
    values: &'a [f64],
    range: Option<(f64, f64)>,
) -> (Cow<'a, [f64]>, Cow<'a, [f64]>) {
    let n = xs.len().min(values.len());
    let Some((low, high)) = range else {
        return (Cow::Borrowed(&xs[..n]), Cow::Borrowed(&values[..n]));
    };
    let inside = |i: usize| xs[i] >= low && xs[i] <= high;
    let enters = |i: usize| i + 1 < n && xs[i] < low && xs[i + 1] >= low;
    let leaves = |i: usize| i > 0 && xs[i] > high && xs[i - 1] <= high;
    let keep: Vec<usize> = (0..n)
        .filter(|&i| inside(i) || enters(i) || leaves(i))
        .collect();
    (
        keep.iter().map(|&i| xs[i]).collect(),
        keep.iter().map(|&i| values[i]).collect(),
    )
}

/// Points each of `lines` lines may draw in a chart whose box is `width` CSS pixels wide
/// (when known): an even share of [`POINTS_PER_PIXEL`] per pixel of the plot, at least
/// [`LINE_POINTS_MIN`] and at most [`LINE_POINTS_PER_PIXEL`] per pixel. Downsampling
/// keeps each bucket's extremes, so a spike survives any budget.
pub fn points_per_line(lines: usize, width: Option<u32>) -> usize {
    let plot = width
        .map_or(DEFAULT_PLOT_WIDTH, |w| w.saturating_sub(PLOT_MARGIN))
        .max(100) as usize;
    let most = LINE_POINTS_PER_PIXEL * plot;
    (POINTS_PER_PIXEL * plot / lines.max(1)).clamp(LINE_POINTS_MIN.min(most), most)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downsampling_keeps_each_buckets_extremes_and_gaps() {
        let xs: Vec<f64> = (0..1000).map(f64::from).collect();
        let mut values = vec![0.0; 1000];
        values[500] = 100.0;
        values[700] = f64::NAN;
        let (x, y) = downsample(&xs, &values, 20);
        assert!(x.len() <= 30, "{}", x.len());
        assert!(y.contains(&Some(100.0)), "the spike survives");
        assert!(y.contains(&None), "the NaN stays a gap");
        assert!(x.windows(2).all(|w| w[0] <= w[1]), "in order");
        // Short curves are returned whole; a point without an x is a gap.
        let (x, y) = downsample(&[0.0, f64::NAN, 2.0], &[1.0, 2.0, 3.0], 20);
        assert_eq!(x.len(), 3);
        assert_eq!(y, [Some(1.0), None, Some(3.0)]);
    }

    #[test]
    fn clipping_keeps_the_range_and_one_point_beyond_each_edge() {
        let xs: Vec<f64> = (0..10).map(f64::from).collect();
        let values: Vec<f64> = xs.iter().map(|x| x * 10.0).collect();
        let (x, y) = clip(&xs, &values, Some((3.5, 6.0)));
        assert_eq!(x[..], [3.0, 4.0, 5.0, 6.0, 7.0]);
        assert_eq!(y[..], [30.0, 40.0, 50.0, 60.0, 70.0]);
        assert_eq!(clip(&xs, &values, None).0.len(), 10);
        assert!(clip(&xs, &values, Some((20.0, 30.0))).0.is_empty());
        // No point inside: the segment crossing the range is kept.
        assert_eq!(clip(&xs, &values, Some((3.2, 3.8))).0[..], [3.0, 4.0]);
    }
}
