//! Float columns (values, wall times) as integers: decimal (`x = d / 10^e`), f32 bits or
//! f64 bits, whichever is estimated smallest, with the points that do not fit kept verbatim
//! as exceptions; or a reference to an equal column earlier in the chunk. Every f64 bit
//! pattern survives: an exception carries the exact bits.

use std::collections::HashMap;

use super::ints::{self, PlaneStats, Transform};
use crate::bundle::BundleError;

/// `10^e` for the decimal exponents `e` in `0..=18`, each exactly representable.
pub(crate) const POW10: [f64; 19] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18,
];

/// Largest decimal exponent.
pub(crate) const MAX_EXPONENT: u8 = 18;

/// Points sampled before trying the decimal form on a whole column.
const DECIMAL_SAMPLE: usize = 64;

/// Columns of at most this many points count each exception at its eight bytes.
const SHORT_COLUMN: usize = 64;

/// Leading points two columns must share before one may reference the other.
const MIN_REF_POINTS: usize = 4;

/// Earlier columns scanned per reference look-up.
const MAX_REF_CANDIDATES: usize = 32;

/// The integer form of a float column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IntForm {
    /// `x = (d as f64) / 10^e`.
    Decimal(u8),
    /// `x = f32::from_bits(v) as f64`, `v < 2^32`.
    F32,
    /// `x = f64::from_bits(v as u64)`.
    F64,
}

impl IntForm {
    /// Wire code of the form (the low nibble of a column tag).
    pub(crate) fn code(self) -> u8 {
        match self {
            IntForm::Decimal(_) => 2,
            IntForm::F32 => 3,
            IntForm::F64 => 4,
        }
    }

    /// Offset of the form's block among a column's three blocks.
    pub(crate) fn slot(self) -> usize {
        usize::from(self.code() - 2)
    }

    /// The integer representing `x` exactly, if this form has one. NaN is never an f32
    /// (widening an f32 NaN need not keep its payload everywhere, wasm included).
    fn to_int(self, x: f64) -> Option<i64> {
        match self {
            IntForm::Decimal(e) => decimal(x, e),
            IntForm::F32 => {
                let narrow = x as f32;
                (!x.is_nan() && f64::from(narrow).to_bits() == x.to_bits())
                    .then_some(i64::from(narrow.to_bits()))
            }
            IntForm::F64 => Some(x.to_bits() as i64),
        }
    }

    /// The float an integer of this form stands for.
    fn to_float(self, v: i64) -> Result<f64, BundleError> {
        Ok(match self {
            IntForm::Decimal(e) => v as f64 / POW10[usize::from(e)],
            IntForm::F32 => f64::from(f32::from_bits(u32::try_from(v).map_err(|_| {
                BundleError::Corrupt(format!("f32 column holds {v}, not a 32-bit pattern"))
            })?)),
            IntForm::F64 => f64::from_bits(v as u64),
        })
    }
}

/// `d` with `(d as f64) / 10^e == x` bit for bit and `|d| <= 2^53`, if there is one.
fn decimal(x: f64, e: u8) -> Option<i64> {
    let pow = POW10[usize::from(e)];
    let scaled = (x * pow).round();
    // Also false for NaN (an infinite x gives NaN or infinity here).
    if scaled.is_nan() || scaled.abs() > 9_007_199_254_740_992.0 {
        return None;
    }
    let d = scaled as i64;
    ((d as f64 / pow).to_bits() == x.to_bits()).then_some(d)
}

/// The smallest exponent whose decimal form holds `x` exactly.
fn min_exponent(x: f64) -> Option<u8> {
    if !x.is_finite() {
        return None;
    }
    (0..=MAX_EXPONENT).find(|&e| decimal(x, e).is_some())
}

/// A float column in integer form, ready to be written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct IntColumn {
    /// The integer form.
    pub form: IntForm,
    /// The transform to residuals.
    pub transform: Transform,
    /// Points stored verbatim: (position, f64 bits), ascending by position.
    pub exceptions: Vec<(u32, u64)>,
    /// Every point's residual; the first `transform.anchors(n)` are anchors.
    pub residuals: Vec<u64>,
}

/// Chooses the form and transform of `column` with the smallest estimated size.
pub(crate) fn encode(column: &[f64]) -> IntColumn {
    cheapest(column).1
}

/// The estimated bytes of `column` coded alone in its cheapest integer form.
pub(crate) fn estimated_cost(column: &[f64]) -> f64 {
    cheapest(column).0
}

/// The cheapest integer form of `column` and its estimated bytes.
fn cheapest(column: &[f64]) -> (f64, IntColumn) {
    let mut forms = vec![IntForm::F64];
    if column.iter().any(|&x| IntForm::F32.to_int(x).is_some()) {
        forms.push(IntForm::F32);
    }
    forms.extend(decimal_exponents(column).into_iter().map(IntForm::Decimal));
    let mut best: Option<(f64, IntColumn)> = None;
    for form in forms {
        let (ints, exceptions) = to_ints(column, form);
        let exception_cost = exceptions_cost(column.len(), &exceptions);
        let (cost, transform, residuals) = ints::cheapest(&ints, 0);
        let cost = cost + exception_cost;
        if best.as_ref().is_none_or(|(c, _)| cost < *c) {
            let candidate = IntColumn {
                form,
                transform,
                exceptions,
                residuals,
            };
            best = Some((cost, candidate));
        }
    }
    best.expect("F64 is always a candidate")
}

/// A float column of a chunk as it is written.
pub(crate) enum Column {
    /// No column (a series without wall times).
    Absent,
    /// The start of the same column of an earlier series of the chunk.
    Ref(usize),
    /// Integer form.
    Ints(IntColumn),
}

/// Codes the float columns of one kind (times or values) of a chunk's series, in order:
/// each as a reference to an equal earlier column, or in integer form. Each column's form and
/// transform are first chosen alone ([`encode`]); then the chunk takes either those or, for
/// every column chosen below delta of delta, the same form with differences of order 2 or
/// more, whichever gives the smaller estimate of the blocks over the whole chunk. The planes
/// are shared by all columns: residuals centred on zero pool into one narrow distribution
/// there, where the deltas of wall times, say, each sit around their own series' stride.
pub(crate) fn encode_columns(columns: &[Option<&[f64]>]) -> Vec<Column> {
    let mut earlier = EarlierColumns::default();
    let mut alone = Vec::with_capacity(columns.len());
    for (index, column) in columns.iter().enumerate() {
        alone.push(match column {
            None => Column::Absent,
            Some(column) => match earlier.find(column) {
                Some(target) => Column::Ref(target),
                None => {
                    earlier.add(index, column);
                    Column::Ints(encode(column))
                }
            },
        });
    }
    let centred: Vec<Option<IntColumn>> = alone
        .iter()
        .zip(columns)
        .map(|(coded, column)| match (coded, column) {
            (Column::Ints(coded), Some(column)) if coded.transform.code() < 2 => {
                let (ints, _) = to_ints(column, coded.form);
                let (_, transform, residuals) = ints::cheapest(&ints, 2);
                Some(IntColumn {
                    transform,
                    residuals,
                    ..coded.clone()
                })
            }
            _ => None,
        })
        .collect();
    if centred.iter().all(Option::is_none) {
        return alone;
    }
    let estimate = |with_centred: bool| {
        let mut blocks: [PlaneStats; 3] = Default::default();
        let mut anchors = 0.0;
        for (coded, centred) in alone.iter().zip(&centred) {
            let coded = match (coded, centred) {
                (_, Some(centred)) if with_centred => centred,
                (Column::Ints(coded), _) => coded,
                _ => continue,
            };
            let split = coded.transform.anchors(coded.residuals.len());
            blocks[coded.form.slot()].add(&coded.residuals[split..]);
            anchors += ints::varints_len(&coded.residuals[..split]);
        }
        anchors + blocks.iter().map(PlaneStats::estimated_bytes).sum::<f64>()
    };
    if estimate(true) >= estimate(false) {
        return alone;
    }
    alone
        .into_iter()
        .zip(centred)
        .map(|(coded, centred)| centred.map_or(coded, Column::Ints))
        .collect()
}

/// The decimal exponents worth trying on `column`: every smallest exact exponent of its
/// points, when a sample of the points has any.
fn decimal_exponents(column: &[f64]) -> Vec<u8> {
    let step = column.len().div_ceil(DECIMAL_SAMPLE).max(1);
    if !column
        .iter()
        .step_by(step)
        .any(|&x| min_exponent(x).is_some())
    {
        return Vec::new();
    }
    let mut seen = [false; MAX_EXPONENT as usize + 1];
    for e in column.iter().filter_map(|&x| min_exponent(x)) {
        seen[usize::from(e)] = true;
    }
    (0..=MAX_EXPONENT)
        .filter(|&e| seen[usize::from(e)])
        .collect()
}

/// The integers of `column` in `form`; a point with none is an exception and repeats the
/// previous integer (0 at the start) so that the residuals stay small.
fn to_ints(column: &[f64], form: IntForm) -> (Vec<i64>, Vec<(u32, u64)>) {
    let mut exceptions = Vec::new();
    let mut previous = 0i64;
    let ints = column
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            match form.to_int(x) {
                Some(v) => previous = v,
                None => exceptions.push((i as u32, x.to_bits())),
            }
            previous
        })
        .collect();
    (ints, exceptions)
}

/// Estimated bytes of the exceptions of an `n`-point column: positions and bits. The bits
/// go to one stream shared by the whole chunk, where a float that does not fit the form
/// (mantissa noise) keeps its eight bytes; in a column of at most [`SHORT_COLUMN`] points
/// an estimate from the column's own histograms would find them cheap, so there each counts
/// eight bytes, and a repeat of the previous exception's bits (a run of NaN or inf) a
/// quarter.
pub(crate) fn exceptions_cost(n: usize, exceptions: &[(u32, u64)]) -> f64 {
    if exceptions.is_empty() {
        return 0.0;
    }
    let gaps: Vec<u64> = exception_gaps(exceptions).collect();
    if n > SHORT_COLUMN {
        let bits: Vec<u64> = exceptions.iter().map(|&(_, b)| b).collect();
        return 1.0 + ints::estimated_bytes(&gaps) + ints::estimated_bytes(&bits);
    }
    let bits: f64 = exceptions
        .iter()
        .enumerate()
        .map(|(i, &(_, b))| {
            if i > 0 && exceptions[i - 1].1 == b {
                0.25
            } else {
                8.0
            }
        })
        .sum();
    1.0 + ints::estimated_bytes(&gaps) + bits
}

/// The position varints of `exceptions`: the first position, then each gap minus one.
pub(crate) fn exception_gaps(exceptions: &[(u32, u64)]) -> impl Iterator<Item = u64> + '_ {
    exceptions
        .iter()
        .scan(None, |previous: &mut Option<u32>, &(pos, _)| {
            let gap = match *previous {
                None => u64::from(pos),
                Some(p) => u64::from(pos - p - 1),
            };
            *previous = Some(pos);
            Some(gap)
        })
}

/// Rebuilds a float column from its residuals (anchors included) and exceptions.
pub(crate) fn decode(
    form: IntForm,
    transform: Transform,
    residuals: &[u64],
    exceptions: &[(usize, u64)],
) -> Result<Vec<f64>, BundleError> {
    let mut ints = Vec::new();
    ints::restore(residuals, transform, &mut ints);
    let mut column = match form {
        IntForm::Decimal(e) => {
            let pow = POW10[usize::from(e)];
            ints.iter().map(|&d| d as f64 / pow).collect()
        }
        IntForm::F64 => ints.iter().map(|&v| f64::from_bits(v as u64)).collect(),
        IntForm::F32 => ints
            .iter()
            .map(|&v| form.to_float(v))
            .collect::<Result<Vec<f64>, _>>()?,
    };
    for &(pos, bits) in exceptions {
        column[pos] = f64::from_bits(bits);
    }
    Ok(column)
}

/// Earlier columns of a chunk, found by their first points, for references.
#[derive(Default)]
pub(crate) struct EarlierColumns<'a> {
    by_head: HashMap<[u64; MIN_REF_POINTS], Vec<(usize, &'a [f64])>>,
}

impl<'a> EarlierColumns<'a> {
    fn head(column: &[f64]) -> Option<[u64; MIN_REF_POINTS]> {
        let head = column.get(..MIN_REF_POINTS)?;
        Some(std::array::from_fn(|i| head[i].to_bits()))
    }

    /// The first earlier column (by series index) that starts with all of `column`.
    pub(crate) fn find(&self, column: &[f64]) -> Option<usize> {
        let candidates = self.by_head.get(&Self::head(column)?)?;
        candidates
            .iter()
            .take(MAX_REF_CANDIDATES)
            .find(|(_, earlier)| {
                earlier.len() >= column.len()
                    && earlier
                        .iter()
                        .zip(column)
                        .all(|(a, b)| a.to_bits() == b.to_bits())
            })
            .map(|&(index, _)| index)
    }

    /// Remembers the column of series `index`.
    pub(crate) fn add(&mut self, index: usize, column: &'a [f64]) {
        if let Some(head) = Self::head(column) {
            self.by_head.entry(head).or_default().push((index, column));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(column: &[f64]) -> IntColumn {
        let encoded = encode(column);
        let exceptions: Vec<(usize, u64)> = encoded
            .exceptions
            .iter()
            .map(|&(p, b)| (p as usize, b))
            .collect();
        let decoded = decode(
            encoded.form,
            encoded.transform,
            &encoded.residuals,
            &exceptions,
        )
        .unwrap();
        let bits = |c: &[f64]| c.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&decoded), bits(column));
        encoded
    }

    #[test]
    fn a_chunk_of_wall_times_takes_residuals_centred_on_zero() {
        // Millisecond wall times of 60 runs, each with a stride of its own (150-350 ms)
        // and jitter: alone, each column's deltas look cheapest; pooled in the chunk's
        // planes they spread over every stride, where deltas of deltas share one narrow
        // distribution.
        let columns: Vec<Vec<f64>> = (0..60u64)
            .map(|k| {
                let mut state = k.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
                let stride = 150 + (k as i64 * 37) % 200;
                let mut t = 1_700_000_000_000 + k as i64 * 60_000;
                (0..400)
                    .map(|_| {
                        for _ in 0..4 {
                            state ^= state << 13;
                            state ^= state >> 7;
                            state ^= state << 17;
                            t += (state % 13) as i64 - 6;
                        }
                        t += stride;
                        t as f64 / 1e3
                    })
                    .collect()
            })
            .collect();
        let refs: Vec<Option<&[f64]>> = columns.iter().map(|c| Some(&c[..])).collect();
        assert!(
            refs.iter().any(|c| encode(c.unwrap()).transform.code() < 2),
            "alone, some column takes plain deltas"
        );
        for (coded, column) in encode_columns(&refs).iter().zip(&columns) {
            let Column::Ints(coded) = coded else {
                panic!("no column here is a reference");
            };
            assert!(coded.transform.code() >= 2, "{:?}", coded.transform);
            let exceptions: Vec<(usize, u64)> = coded
                .exceptions
                .iter()
                .map(|&(p, b)| (p as usize, b))
                .collect();
            let decoded = decode(coded.form, coded.transform, &coded.residuals, &exceptions);
            let bits = |c: &[f64]| c.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&decoded.unwrap()), bits(column));
        }
    }

    #[test]
    fn smooth_columns_take_high_order_differences() {
        // A cosine learning-rate schedule: noise-free f64s whose bit patterns have small
        // high-order differences (apart from a jump where the exponent changes).
        let lr: Vec<f64> = (0..600)
            .map(|i| 3e-4 * 0.5 * (1.0 + (std::f64::consts::PI * f64::from(i) / 600.0).cos()))
            .collect();
        let encoded = round_trip(&lr);
        assert_eq!(encoded.form, IntForm::F64);
        assert!(encoded.transform.code() > 2, "{:?}", encoded.transform);
        // Noise gains nothing from them.
        let noise: Vec<f64> = (0..600u64)
            .map(|i| 1.0 + (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 20) as f64 * 1e-13)
            .collect();
        assert!(round_trip(&noise).transform.code() <= 2);
    }

    #[test]
    fn decimals_are_found_and_exceptions_keep_the_rest() {
        let times: Vec<f64> = (0..200)
            .map(|i| (1_700_000_000_000i64 + 250 * i + i % 7) as f64 / 1e3)
            .collect();
        let encoded = round_trip(&times);
        assert_eq!(encoded.form, IntForm::Decimal(3));
        assert_ne!(encoded.transform, Transform::PLAIN);
        assert!(encoded.exceptions.is_empty());

        let mut broken = times.clone();
        broken[77] = f64::NAN;
        broken[78] = f64::from_bits(broken[78].to_bits() + 1);
        broken[0] = -0.0;
        let encoded = round_trip(&broken);
        assert_eq!(encoded.form, IntForm::Decimal(3));
        assert_eq!(
            encoded.exceptions.iter().map(|e| e.0).collect::<Vec<_>>(),
            [0, 77, 78]
        );
    }

    #[test]
    fn short_columns_of_noise_are_not_mostly_exceptions() {
        // Fifteen validation values of float64 noise in [0.7, 1]: some print with 16
        // digits, so a decimal form exists, but the rest would be eight-byte exceptions;
        // the column's own 15-point histograms make those look cheap.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let column: Vec<f64> = (0..15)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                1.0 - (1.0 - (state >> 11) as f64 / (1u64 << 53) as f64) * 0.3
            })
            .collect();
        let encoded = round_trip(&column);
        assert!(
            encoded.exceptions.len() < 3,
            "{:?} with {} exceptions",
            encoded.form,
            encoded.exceptions.len()
        );
    }

    #[test]
    fn float32_values_use_four_bytes() {
        let values: Vec<f64> = (0..100)
            .map(|i| f64::from((i as f32 * 0.37).sin() * 0.123_457))
            .collect();
        let mut with_odd = values.clone();
        with_odd[50] = 0.1;
        with_odd[51] = f64::from_bits(0x7ff8_0000_0000_0001);
        assert_eq!(round_trip(&values).form, IntForm::F32);
        let encoded = round_trip(&with_odd);
        assert_eq!(encoded.form, IntForm::F32);
        assert_eq!(encoded.exceptions.len(), 2);
    }

    #[test]
    fn arbitrary_bits_round_trip_as_f64() {
        let values: Vec<f64> = (0..64u64)
            .map(|i| f64::from_bits(i.wrapping_mul(0x9e37_79b9_7f4a_7c15)))
            .chain([
                f64::INFINITY,
                f64::NEG_INFINITY,
                -0.0,
                f64::MIN_POSITIVE / 3.0,
            ])
            .collect();
        round_trip(&values);
    }

    #[test]
    fn references_need_an_equal_prefix() {
        let a = [1.0, 2.0, 3.0, 4.0, 5.0];
        let b = [1.0, 2.0, 3.0, 4.0];
        let c = [1.0, 2.0, 3.0, 4.0, 6.0];
        let mut earlier = EarlierColumns::default();
        earlier.add(0, &a);
        assert_eq!(earlier.find(&b), Some(0));
        assert_eq!(earlier.find(&c), None);
        assert_eq!(earlier.find(&a[..3]), None);
    }
}
