//! Chart smoothing: TensorBoard's debiased exponential moving average and a centred moving
//! average. Non-finite values stay where they are and never enter an average.

use runlens_core::view::{AVERAGE_CHOICES, SMOOTHING_CHOICES};

/// How lines are smoothed.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub enum Smoothing {
    /// Raw values.
    #[default]
    Off,
    /// TensorBoard's exponential moving average with this weight in `(0, 1)`.
    Ema(f64),
    /// The mean of a centred window of this many points.
    Average(u32),
}

impl Smoothing {
    /// The smoothing from the view's weight and window (a window wins; out-of-range
    /// values mean off).
    pub fn from_view(weight: Option<f64>, window: Option<u32>) -> Smoothing {
        match (window, weight) {
            (Some(n), _) if n >= 2 => Smoothing::Average(n),
            (_, Some(w)) if w > 0.0 && w < 1.0 => Smoothing::Ema(w),
            _ => Smoothing::Off,
        }
    }

    /// The value of the smoothing select: `0`, the EMA weight (`0.9`), or `ma:<n>`.
    pub fn value(self) -> String {
        match self {
            Smoothing::Off => "0".to_string(),
            Smoothing::Ema(w) => w.to_string(),
            Smoothing::Average(n) => format!("ma:{n}"),
        }
    }

    /// Reads a select value (see [`Smoothing::value`]); anything else is off.
    pub fn parse(value: &str) -> Smoothing {
        if let Some(n) = value.strip_prefix("ma:") {
            return Smoothing::from_view(None, n.parse().ok());
        }
        Smoothing::from_view(value.parse().ok(), None)
    }

    /// Every choice of the select: `(value, label)`.
    pub fn choices() -> Vec<(String, String)> {
        let mut out = vec![(Smoothing::Off.value(), "off".to_string())];
        for w in SMOOTHING_CHOICES.into_iter().filter(|&w| w > 0.0) {
            out.push((Smoothing::Ema(w).value(), format!("EMA {w}")));
        }
        for n in AVERAGE_CHOICES {
            out.push((
                Smoothing::Average(n).value(),
                format!("moving average, {n} points"),
            ));
        }
        out
    }

    /// True unless off.
    pub fn is_on(self) -> bool {
        self != Smoothing::Off
    }

    /// Smooths `values`.
    pub fn apply(self, values: &[f64]) -> Vec<f64> {
        match self {
            Smoothing::Off => values.to_vec(),
            Smoothing::Ema(weight) => smooth(values, weight),
            Smoothing::Average(window) => moving_average(values, window as usize),
        }
    }
}

/// TensorBoard's smoothing: an exponential moving average with weight `weight` in `[0, 1)`,
/// debiased so the first points are not pulled towards zero. Non-finite values stay as
/// they are and do not enter the average. `weight` 0 (or out of range) returns the values.
pub fn smooth(values: &[f64], weight: f64) -> Vec<f64> {
    if !(weight > 0.0 && weight < 1.0) {
        return values.to_vec();
    }
    let mut last = 0.0;
    // weight^count, kept as a running product (a `powi` per point was a third of the time).
    let mut decay = 1.0;
    // Once 1 - decay rounds to 1, debiasing divides by 1: the division is skipped then.
    let mut debiasing = true;
    values
        .iter()
        .map(|&v| {
            if !v.is_finite() {
                return v;
            }
            last = last * weight + (1.0 - weight) * v;
            if !debiasing {
                return last;
            }
            decay *= weight;
            let unbias = 1.0 - decay;
            debiasing = unbias != 1.0;
            last / unbias
        })
        .collect()
}

/// The centred moving average over `window` points (`window / 2` on each side, fewer at
/// the ends): each finite value becomes the mean of the finite values in its window;
/// non-finite values stay as they are. Linear time, from running sums.
pub fn moving_average(values: &[f64], window: usize) -> Vec<f64> {
    if window < 2 {
        return values.to_vec();
    }
    let half = window / 2;
    let mut sums = Vec::with_capacity(values.len() + 1);
    let mut counts = Vec::with_capacity(values.len() + 1);
    let (mut sum, mut count) = (0.0, 0usize);
    sums.push(sum);
    counts.push(count);
    for &v in values {
        if v.is_finite() {
            sum += v;
            count += 1;
        }
        sums.push(sum);
        counts.push(count);
    }
    values
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            if !v.is_finite() {
                return v;
            }
            let (start, end) = (i.saturating_sub(half), (i + half + 1).min(values.len()));
            (sums[end] - sums[start]) / (counts[end] - counts[start]) as f64
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smoothing_is_a_debiased_ema_that_skips_non_finite_values() {
        assert_eq!(smooth(&[1.0, 2.0], 0.0), [1.0, 2.0]);
        let s = smooth(&[1.0, f64::NAN, 3.0], 0.5);
        assert_eq!(s[0], 1.0, "debiased: the first point is itself");
        assert!(s[1].is_nan());
        // last = 0.5*0.5 + 0.5*3 = 1.75, debias 1 - 0.25 = 0.75.
        assert!((s[2] - 1.75 / 0.75).abs() < 1e-12);
        // Past debiasing (weight^count rounds away), the plain average; the same values
        // as dividing by 1 - weight^count all along.
        let long: Vec<f64> = (0..200).map(|i| f64::from(i % 7)).collect();
        let (mut plain, mut decay) = (0.0, 1.0);
        for (i, &v) in long.iter().enumerate() {
            plain = plain * 0.6 + 0.4 * v;
            decay *= 0.6;
            assert_eq!(smooth(&long, 0.6)[i], plain / (1.0 - decay), "at {i}");
        }
        let flat = smooth(&[2.0; 50], 0.99);
        assert!(
            flat.iter().all(|v| (v - 2.0).abs() < 1e-9),
            "a constant stays constant"
        );
    }

    #[test]
    fn the_moving_average_is_centred_and_shrinks_at_the_ends() {
        // Window 3: one point each side.
        let m = moving_average(&[1.0, 2.0, 6.0, 4.0], 3);
        assert_eq!(m, [1.5, 3.0, 4.0, 5.0]);
        // Window 5 over a NaN: the NaN stays, and its neighbours average without it.
        let m = moving_average(&[0.0, 10.0, f64::NAN, 20.0, 30.0], 5);
        assert_eq!(m[0], 5.0); // 0, 10 (NaN skipped)
        assert_eq!(m[1], 10.0); // 0, 10, 20 (NaN skipped)
        assert!(m[2].is_nan());
        assert_eq!(m[4], 25.0); // 20, 30 (NaN skipped)
        assert_eq!(moving_average(&[1.0, 2.0], 1), [1.0, 2.0]);
    }

    #[test]
    fn select_values_round_trip() {
        for (value, _) in Smoothing::choices() {
            assert_eq!(Smoothing::parse(&value).value(), value);
        }
        assert_eq!(Smoothing::parse("0.9"), Smoothing::Ema(0.9));
        assert_eq!(Smoothing::parse("ma:25"), Smoothing::Average(25));
        assert_eq!(Smoothing::parse("1.5"), Smoothing::Off);
        assert_eq!(Smoothing::parse("ma:x"), Smoothing::Off);
        assert_eq!(
            Smoothing::from_view(Some(0.6), Some(5)),
            Smoothing::Average(5)
        );
    }
}
