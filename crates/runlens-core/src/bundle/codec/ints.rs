//! Integer columns: a transform (plain, delta, delta of delta) turns a column into small
//! residuals, whose first ones ("anchors") go to the series table and the rest to a block
//! that is split into byte planes, plane `b` holding byte `b` of every residual.

/// How a column of integers becomes residuals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Transform {
    /// `r[i] = v[i]` as a two's-complement `u64`.
    Plain = 0,
    /// `r[0] = zz(v[0])`, `r[i] = zz(v[i] - v[i-1])`.
    Delta = 1,
    /// `r[0] = zz(v[0])`, `r[1] = zz(v[1] - v[0])`,
    /// `r[i] = zz((v[i] - v[i-1]) - (v[i-1] - v[i-2]))`.
    DeltaOfDelta = 2,
}

impl Transform {
    /// Every transform, in code order.
    pub(crate) const ALL: [Transform; 3] =
        [Transform::Plain, Transform::Delta, Transform::DeltaOfDelta];

    /// The transform with wire code `code`.
    pub(crate) fn from_code(code: u8) -> Option<Self> {
        Self::ALL.get(usize::from(code)).copied()
    }

    /// How many leading residuals of an `n`-point column are anchors (kept in the series
    /// table as varints rather than in the block): `min(code, n)`.
    pub(crate) fn anchors(self, n: usize) -> usize {
        (self as usize).min(n)
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
    match transform {
        Transform::Plain => out.extend(values.iter().map(|&v| v as u64)),
        Transform::Delta => {
            let mut previous = 0i64;
            out.extend(values.iter().map(|&v| {
                let r = zigzag(v.wrapping_sub(previous));
                previous = v;
                r
            }));
        }
        Transform::DeltaOfDelta => {
            let (mut previous, mut previous_delta) = (0i64, 0i64);
            out.extend(values.iter().enumerate().map(|(i, &v)| {
                let delta = v.wrapping_sub(previous);
                let r = if i < 2 {
                    zigzag(delta)
                } else {
                    zigzag(delta.wrapping_sub(previous_delta))
                };
                previous = v;
                previous_delta = delta;
                r
            }));
        }
    }
}

/// Appends the integers whose residuals under `transform` are `residuals` to `out`.
pub(crate) fn restore(residuals: &[u64], transform: Transform, out: &mut Vec<i64>) {
    out.reserve(residuals.len());
    match transform {
        Transform::Plain => out.extend(residuals.iter().map(|&r| r as i64)),
        Transform::Delta => {
            let mut value = 0i64;
            out.extend(residuals.iter().map(|&r| {
                value = value.wrapping_add(unzigzag(r));
                value
            }));
        }
        Transform::DeltaOfDelta => {
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
            for transform in Transform::ALL {
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
    fn constant_strides_leave_zero_residuals() {
        let steps: Vec<i64> = (0..100).map(|i| 1_000 + 5 * i).collect();
        let mut r = Vec::new();
        residuals(&steps, Transform::DeltaOfDelta, &mut r);
        assert!(r[2..].iter().all(|&x| x == 0));
        assert_eq!(estimated_bytes(&r[2..]), 0.0);
    }
}
