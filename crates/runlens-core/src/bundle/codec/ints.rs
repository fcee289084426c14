//! Integer columns: a transform (plain, or differences of order 1 to [`MAX_ORDER`]: delta,
//! delta of delta, ...) turns a column into small residuals, whose first ones ("anchors") go
//! to the series table and the rest to a block that is split into byte planes, plane `b`
//! holding byte `b` of every residual.

use super::varint_len;

/// The highest order of differences a transform takes (its wire code fits a nibble).
pub(crate) const MAX_ORDER: u8 = 7;

/// How a column of integers becomes residuals: its wire code `t` is the order of the
/// differences. `t` = 0: `r[i] = v[i]` as a two's-complement `u64`. `t` ≥ 1: `r[i] =
/// zz(d_min(i, t)[i])`, where `d_0 = v` and `d_j[i] = d_(j-1)[i] - d_(j-1)[i-1]`; so `t` = 1
/// is delta (`r[0] = zz(v[0])`, `r[i] = zz(v[i] - v[i-1])`) and `t` = 2 delta of delta.
/// Smooth series (a learning-rate schedule) leave small high-order differences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Transform(u8);

impl Transform {
    /// `r[i] = v[i]`.
    #[cfg(test)]
    pub(crate) const PLAIN: Transform = Transform(0);
    /// Second differences.
    #[cfg(test)]
    pub(crate) const DELTA_OF_DELTA: Transform = Transform(2);

    /// The transform with wire code `code`.
    pub(crate) fn from_code(code: u8) -> Option<Self> {
        (code <= MAX_ORDER).then_some(Transform(code))
    }

    /// The wire code: the order of the differences.
    pub(crate) fn code(self) -> u8 {
        self.0
    }

    /// How many leading residuals of an `n`-point column are anchors (kept in the series
    /// table as varints rather than in the block): `min(code, n)`.
    pub(crate) fn anchors(self, n: usize) -> usize {
        usize::from(self.0).min(n)
    }
}

/// Zig-zag: small magnitudes of either sign become small unsigned numbers.
pub(crate) fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

/// The inverse of [`zigzag`].
pub(crate) fn unzigzag(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}

/// Appends the residuals of `values` under `transform` to `out` (wrapping arithmetic).
pub(crate) fn residuals(values: &[i64], transform: Transform, out: &mut Vec<u64>) {
    out.reserve(values.len());
    let order = usize::from(transform.0);
    if order == 0 {
        out.extend(values.iter().map(|&v| v as u64));
        return;
    }
    // `last[j]` is `d_j` at the previous position.
    let mut last = [0i64; MAX_ORDER as usize + 1];
    for (i, &v) in values.iter().enumerate() {
        let top = i.min(order);
        let mut d = v;
        for slot in &mut last[..top] {
            let next = d.wrapping_sub(*slot);
            *slot = d;
            d = next;
        }
        last[top] = d;
        out.push(zigzag(d));
    }
}

/// Appends the integers whose residuals under `transform` are `residuals` to `out`.
pub(crate) fn restore(residuals: &[u64], transform: Transform, out: &mut Vec<i64>) {
    out.reserve(residuals.len());
    match transform.0 {
        0 => out.extend(residuals.iter().map(|&r| r as i64)),
        1 => {
            let mut value = 0i64;
            out.extend(residuals.iter().map(|&r| {
                value = value.wrapping_add(unzigzag(r));
                value
            }));
        }
        2 => {
            let (mut value, mut delta) = (0i64, 0i64);
            out.extend(residuals.iter().enumerate().map(|(i, &r)| {
                delta = if i < 2 {
                    unzigzag(r)
                } else {
                    delta.wrapping_add(unzigzag(r))
                };
                value = value.wrapping_add(delta);
                value
            }));
        }
        order => {
            let order = usize::from(order);
            // `last[j]` is `d_j` at the previous position.
            let mut last = [0i64; MAX_ORDER as usize + 1];
            for (i, &r) in residuals.iter().enumerate() {
                let top = i.min(order);
                let mut d = unzigzag(r);
                last[top] = d;
                for slot in last[..top].iter_mut().rev() {
                    d = slot.wrapping_add(d);
                    *slot = d;
                }
                out.push(d);
            }
        }
    }
}

/// The transform of order `min_order` or more (at most 2) of `values` with the smallest
/// estimated size: its estimate (block bytes as [`estimated_bytes`] plus anchor varints),
/// the transform and the residuals. Orders up to delta of delta are always tried; higher
/// orders only while each beats the one before (a smooth series), so noise costs three
/// tries.
pub(crate) fn cheapest(values: &[i64], min_order: u8) -> (f64, Transform, Vec<u64>) {
    let mut best: Option<(f64, Transform, Vec<u64>)> = None;
    let mut previous_cost = f64::INFINITY;
    for code in min_order.min(2)..=MAX_ORDER {
        let transform = Transform(code);
        let mut residuals = Vec::new();
        self::residuals(values, transform, &mut residuals);
        let anchors = transform.anchors(residuals.len());
        let cost = estimated_bytes(&residuals[anchors..]) + varints_len(&residuals[..anchors]);
        if best.as_ref().is_none_or(|(c, _, _)| cost < *c) {
            best = Some((cost, transform, residuals));
        }
        if code >= 2 && cost >= previous_cost {
            break;
        }
        previous_cost = cost;
    }
    best.expect("one transform is always tried")
}

/// Bytes of these numbers as varints.
pub(crate) fn varints_len(numbers: &[u64]) -> f64 {
    numbers.iter().map(|&r| varint_len(r) as f64).sum()
}

/// The byte-plane histograms of a whole block's residuals: a block's planes are compressed
/// as shared streams, so what a set of columns costs is the entropy of their residuals
/// pooled, not the sum of each column's own.
#[derive(Clone)]
pub(crate) struct PlaneStats {
    counts: [[u32; 256]; 8],
    len: u64,
}

impl Default for PlaneStats {
    fn default() -> Self {
        PlaneStats {
            counts: [[0; 256]; 8],
            len: 0,
        }
    }
}

impl PlaneStats {
    /// Takes `residuals` into the block.
    pub(crate) fn add(&mut self, residuals: &[u64]) {
        for (plane, counts) in self.counts.iter_mut().enumerate() {
            for &r in residuals {
                counts[usize::from((r >> (8 * plane)) as u8)] += 1;
            }
        }
        self.len += residuals.len() as u64;
    }

    /// The order-0 entropy of the block's planes, in bytes.
    pub(crate) fn estimated_bytes(&self) -> f64 {
        let f = |x: f64| if x > 0.0 { x * x.log2() } else { 0.0 };
        let total = f(self.len as f64);
        let bits: f64 = self
            .counts
            .iter()
            .map(|counts| total - counts.iter().map(|&c| f(f64::from(c))).sum::<f64>())
            .sum();
        bits / 8.0
    }
}

/// Bytes up to and including the highest non-zero byte of `value` (0 for 0).
pub(crate) fn byte_width(value: u64) -> usize {
    (64 - value.leading_zeros() as usize).div_ceil(8)
}

/// Splits `residuals` into `width` byte planes; plane `b` is byte `b` (least significant
/// first) of every residual.
pub(crate) fn split_planes(residuals: &[u64], width: usize) -> Vec<Vec<u8>> {
    (0..width)
        .map(|b| residuals.iter().map(|&r| (r >> (8 * b)) as u8).collect())
        .collect()
}

/// Estimated compressed size in bytes of `residuals` inside a block: the order-0 entropy of
/// each byte plane plus the Miller–Madow small-sample correction. Used only to choose
/// between encodings; the decoder never sees it.
pub(crate) fn estimated_bytes(residuals: &[u64]) -> f64 {
    let n = residuals.len();
    if n == 0 {
        return 0.0;
    }
    let width = byte_width(residuals.iter().fold(0, |acc, &r| acc | r));
    let mut counts = [0u32; 256];
    let mut bits = 0.0;
    let log_n = (n as f64).log2();
    for b in 0..width {
        counts.fill(0);
        for &r in residuals {
            counts[usize::from((r >> (8 * b)) as u8)] += 1;
        }
        let mut distinct = 0u32;
        for &count in counts.iter().filter(|&&c| c > 0) {
            distinct += 1;
            let count = f64::from(count);
            bits += count * (log_n - count.log2());
        }
        bits += 0.72 * f64::from(distinct - 1);
    }
    bits / 8.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn join_planes(planes: &[Vec<u8>], len: usize) -> Vec<u64> {
        let mut out = vec![0u64; len];
        for (b, plane) in planes.iter().enumerate() {
            for (r, &byte) in out.iter_mut().zip(plane) {
                *r |= u64::from(byte) << (8 * b);
            }
        }
        out
    }

    #[test]
    fn transforms_round_trip_with_wrapping() {
        let columns: [&[i64]; 4] = [
            &[],
            &[7],
            &[0, 2, 4, 6, 9, 9, -3],
            &[i64::MIN, i64::MAX, 0, i64::MIN, -1, i64::MAX],
        ];
        for column in columns {
            for transform in (0..=MAX_ORDER).map(|t| Transform::from_code(t).unwrap()) {
                let mut r = Vec::new();
                residuals(column, transform, &mut r);
                let mut back = Vec::new();
                restore(&r, transform, &mut back);
                assert_eq!(back, column, "{transform:?}");
                let width = byte_width(r.iter().fold(0, |a, &x| a | x));
                assert_eq!(join_planes(&split_planes(&r, width), r.len()), r);
            }
        }
    }

    #[test]
    fn residuals_are_the_differences_of_the_spec() {
        let column: Vec<i64> = (0..40i64)
            .map(|i| i * i * i - 7 * i * i + (i % 5) * 1_000 - 3)
            .chain([i64::MAX, i64::MIN, 5])
            .collect();
        for order in 0..=MAX_ORDER {
            // d[j] = the j-th differences, computed by repeated differencing.
            let mut d = vec![column.clone()];
            for j in 1..=usize::from(order) {
                let previous = &d[j - 1];
                let next = (0..previous.len())
                    .map(|i| {
                        if i < j {
                            0
                        } else {
                            previous[i].wrapping_sub(previous[i - 1])
                        }
                    })
                    .collect();
                d.push(next);
            }
            let expected: Vec<u64> = (0..column.len())
                .map(|i| match order {
                    0 => column[i] as u64,
                    _ => zigzag(d[i.min(usize::from(order))][i]),
                })
                .collect();
            let transform = Transform::from_code(order).unwrap();
            let mut r = Vec::new();
            residuals(&column, transform, &mut r);
            assert_eq!(r, expected, "order {order}");
            let mut back = Vec::new();
            restore(&r, transform, &mut back);
            assert_eq!(back, column, "order {order}");
        }
        assert_eq!(Transform::from_code(MAX_ORDER + 1), None);
    }

    #[test]
    fn cheapest_climbs_the_orders_of_a_polynomial() {
        // A cubic: its third differences are constant, so the fourth are zero.
        let cubic: Vec<i64> = (0..500i64).map(|i| i * i * i + 11 * i).collect();
        let (_, transform, residuals) = cheapest(&cubic, 0);
        assert_eq!(
            transform.code(),
            3,
            "constant third differences, fewest anchors"
        );
        assert!(residuals[3..].iter().all(|&r| r == zigzag(6)));
    }

    #[test]
    fn constant_strides_leave_zero_residuals() {
        let steps: Vec<i64> = (0..100).map(|i| 1_000 + 5 * i).collect();
        let mut r = Vec::new();
        residuals(&steps, Transform::DELTA_OF_DELTA, &mut r);
        assert!(r[2..].iter().all(|&x| x == 0));
        assert_eq!(estimated_bytes(&r[2..]), 0.0);
    }
}
