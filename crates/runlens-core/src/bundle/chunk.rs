//! Metric chunks (format v2; differences of order 3–7 since v4; run gaps and first
//! anchors predicted from the previous column since v5): the series of one metric for a
//! set of runs. Steps, wall times and values become integer residuals (`codec`)
//! gathered per chunk into seven blocks, each split into byte planes that are compressed as
//! separate streams; a series table says how each column is coded. Spec:
//! `docs/bundle-format.md` §4.

use super::BundleError;
use super::codec::floats::{self, Column, IntForm, MAX_EXPONENT};
use super::codec::ints::{self, Transform};
use super::codec::{Reader, put_varint, streams};
use super::container::{self, FileKind, MAX_PAYLOAD_BYTES};
use crate::model::MetricSeries;

/// Blocks of a chunk: steps, then the decimal, f32 and f64 blocks of the times, then those
/// of the values.
const BLOCKS: usize = 7;
const STEPS_BLOCK: usize = 0;
const TIMES_BLOCKS: usize = 1;
const VALUES_BLOCKS: usize = 4;

/// Column tag (low nibble): the series has no times.
const TAG_ABSENT: u8 = 0;
/// Column tag (low nibble): the column is the start of an earlier series' column.
const TAG_REF: u8 = 1;

/// Which of [`Parts::first_ints`] a float column's first integer is predicted from.
fn kind_of(first_block: usize) -> usize {
    usize::from(first_block == VALUES_BLOCKS)
}

/// What an encoded chunk is made of before it is framed.
#[derive(Default)]
struct Parts {
    table: Vec<u8>,
    blocks: [Vec<u64>; BLOCKS],
    exception_gaps: Vec<u8>,
    exception_bits: Vec<u8>,
    /// The first integer of the last times and values columns in integer form with a
    /// transform of order ≥ 1 (§4.3: the next such column's first anchor is its difference
    /// from it).
    first_ints: [i64; 2],
    /// The run of the last series written, if any.
    last_run: Option<u32>,
}

impl Parts {
    /// Anchors to the table, the other residuals to `block`.
    fn put_residuals(&mut self, block: usize, transform: Transform, residuals: &[u64]) {
        let anchors = transform.anchors(residuals.len());
        for &r in &residuals[..anchors] {
            put_varint(&mut self.table, r);
        }
        self.blocks[block].extend_from_slice(&residuals[anchors..]);
    }

    /// The run of the next series, as the gap from the previous series' run.
    fn put_run(&mut self, run: u32) {
        let gap = match self.last_run {
            None => run,
            Some(last) => run
                .checked_sub(last + 1)
                .expect("a chunk's series are strictly ascending by run"),
        };
        put_varint(&mut self.table, u64::from(gap));
        self.last_run = Some(run);
    }

    fn put_steps(&mut self, steps: &[i64]) {
        let (_, transform, residuals) = ints::cheapest(steps, 0);
        self.table.push(transform.code());
        self.put_residuals(STEPS_BLOCK, transform, &residuals);
    }

    fn put_floats(&mut self, first_block: usize, column: &Column) {
        let coded = match column {
            Column::Absent => {
                self.table.push(TAG_ABSENT);
                return;
            }
            Column::Ref(target) => {
                self.table.push(TAG_REF);
                put_varint(&mut self.table, *target as u64);
                return;
            }
            Column::Ints(coded) => coded,
        };
        self.table
            .push(coded.form.code() | coded.transform.code() << 4);
        if let IntForm::Decimal(e) = coded.form {
            self.table.push(e);
        }
        if coded.form != IntForm::F64 {
            put_varint(&mut self.table, coded.exceptions.len() as u64);
            for gap in floats::exception_gaps(&coded.exceptions) {
                put_varint(&mut self.exception_gaps, gap);
            }
            for &(_, bits) in &coded.exceptions {
                self.exception_bits.extend_from_slice(&bits.to_le_bytes());
            }
        }
        let mut residuals = std::borrow::Cow::Borrowed(&coded.residuals[..]);
        if coded.transform.code() >= 1
            && let Some(&anchor) = residuals.first()
        {
            // The first anchor is the column's first integer less the previous one's.
            let first = ints::unzigzag(anchor);
            let previous = &mut self.first_ints[kind_of(first_block)];
            residuals.to_mut()[0] = ints::zigzag(first.wrapping_sub(*previous));
            *previous = first;
        }
        self.put_residuals(first_block + coded.form.slot(), coded.transform, &residuals);
    }
}

/// Encodes the series of `metric` for the given runs (ascending) as a sealed chunk file.
pub fn encode(metric: &str, series: &[(u32, &MetricSeries)]) -> Vec<u8> {
    encode_as(FileKind::Chunk, metric, series)
}

/// Encodes series in the chunk layout as a sealed file of `kind` (a chunk or a level).
pub fn encode_as(kind: FileKind, metric: &str, series: &[(u32, &MetricSeries)]) -> Vec<u8> {
    let mut parts = Parts::default();
    let times: Vec<Option<&[f64]>> = series.iter().map(|(_, s)| s.times.as_deref()).collect();
    let values: Vec<Option<&[f64]>> = series.iter().map(|(_, s)| Some(&s.values[..])).collect();
    let times = floats::encode_columns(&times);
    let values = floats::encode_columns(&values);
    for ((&(run, s), times), values) in series.iter().zip(&times).zip(&values) {
        parts.put_run(run);
        put_varint(&mut parts.table, s.len() as u64);
        parts.put_steps(&s.steps);
        parts.put_floats(TIMES_BLOCKS, times);
        parts.put_floats(VALUES_BLOCKS, values);
    }
    let widths: Vec<usize> = parts
        .blocks
        .iter()
        .map(|block| ints::byte_width(block.iter().fold(0, |acc, &r| acc | r)))
        .collect();
    let mut table = Vec::with_capacity(parts.table.len() + 16);
    put_varint(&mut table, series.len() as u64);
    table.extend(widths.iter().map(|&w| w as u8));
    table.extend_from_slice(&parts.table);

    let mut payload = Vec::new();
    put_varint(&mut payload, metric.len() as u64);
    payload.extend_from_slice(metric.as_bytes());
    streams::put(&mut payload, &table);
    streams::put(&mut payload, &parts.exception_gaps);
    streams::put(&mut payload, &parts.exception_bits);
    for (block, &width) in parts.blocks.iter().zip(&widths) {
        for plane in ints::split_planes(block, width) {
            streams::put(&mut payload, &plane);
        }
    }
    container::seal_stored(kind, &payload)
}

/// A block being read: its byte planes and how many residuals were taken.
struct Block {
    planes: Vec<Vec<u8>>,
    len: usize,
    taken: usize,
}

impl Block {
    /// Appends the next `count` residuals to `out` (zeros when the block has width 0),
    /// gathering them from the planes a series at a time while the bytes are in cache.
    fn take(&mut self, count: usize, out: &mut Vec<u64>) -> Result<(), BundleError> {
        let start = out.len();
        out.resize(start + count, 0);
        if self.planes.is_empty() {
            return Ok(());
        }
        let end = self.taken + count;
        if end > self.len {
            return Err(BundleError::Corrupt("a residual block ends early".into()));
        }
        for (b, plane) in self.planes.iter().enumerate() {
            for (r, &byte) in out[start..].iter_mut().zip(&plane[self.taken..end]) {
                *r |= u64::from(byte) << (8 * b);
            }
        }
        self.taken = end;
        Ok(())
    }
}

/// Everything a column decoder reads from.
struct Sources<'a> {
    table: Reader<'a>,
    gaps: Reader<'a>,
    bits: Reader<'a>,
    blocks: Vec<Block>,
    /// As [`Parts::first_ints`].
    first_ints: [i64; 2],
}

impl Sources<'_> {
    /// The `n` residuals of a column: anchors from the table, the rest from `block`.
    fn residuals(
        &mut self,
        block: usize,
        transform: Transform,
        n: usize,
    ) -> Result<Vec<u64>, BundleError> {
        let anchors = transform.anchors(n);
        let mut out = Vec::with_capacity(n);
        for _ in 0..anchors {
            out.push(self.table.varint()?);
        }
        self.blocks[block].take(n - anchors, &mut out)?;
        Ok(out)
    }

    fn transform(code: u8) -> Result<Transform, BundleError> {
        Transform::from_code(code)
            .ok_or_else(|| BundleError::Corrupt(format!("unknown transform {code}")))
    }

    fn steps(&mut self, n: usize) -> Result<Vec<i64>, BundleError> {
        let transform = Self::transform(self.table.u8()?)?;
        let residuals = self.residuals(STEPS_BLOCK, transform, n)?;
        let mut steps = Vec::with_capacity(n);
        ints::restore(&residuals, transform, &mut steps);
        Ok(steps)
    }

    /// A float column; `None` for an absent one. `earlier(j)` is series `j`'s column.
    fn floats<'e>(
        &mut self,
        first_block: usize,
        n: usize,
        index: usize,
        earlier: impl Fn(usize) -> Option<&'e [f64]>,
    ) -> Result<Option<Vec<f64>>, BundleError> {
        let tag = self.table.u8()?;
        let form = match tag & 0x0f {
            TAG_ABSENT if tag == TAG_ABSENT => return Ok(None),
            TAG_REF if tag == TAG_REF => {
                let target = self.table.varint()?;
                let column = usize::try_from(target)
                    .ok()
                    .filter(|&j| j < index)
                    .and_then(earlier)
                    .filter(|c| c.len() >= n)
                    .ok_or_else(|| {
                        BundleError::Corrupt(format!(
                            "series {index} refers to series {target}, which has no such column"
                        ))
                    })?;
                return Ok(Some(column[..n].to_vec()));
            }
            2 => {
                let e = self.table.u8()?;
                if e > MAX_EXPONENT {
                    return Err(BundleError::Corrupt(format!("decimal exponent {e}")));
                }
                IntForm::Decimal(e)
            }
            3 => IntForm::F32,
            4 => IntForm::F64,
            _ => {
                return Err(BundleError::Corrupt(format!(
                    "unknown column tag {tag:#04x}"
                )));
            }
        };
        let transform = Self::transform(tag >> 4)?;
        let mut exceptions = Vec::new();
        if form != IntForm::F64 {
            let count = self.table.varint_at_most(n as u64, "exception count")?;
            let mut position = 0u64;
            for i in 0..count {
                let gap = self.gaps.varint()?;
                position = if i == 0 {
                    Some(gap)
                } else {
                    (position + 1).checked_add(gap)
                }
                .filter(|&p| p < n as u64)
                .ok_or_else(|| {
                    BundleError::Corrupt(format!("exception position past {n} points"))
                })?;
                let bits = u64::from_le_bytes(self.bits.bytes(8)?.try_into().expect("8 bytes"));
                exceptions.push((position as usize, bits));
            }
        }
        let mut residuals = self.residuals(first_block + form.slot(), transform, n)?;
        if transform.code() >= 1 {
            let previous = &mut self.first_ints[kind_of(first_block)];
            let first = ints::unzigzag(residuals[0]).wrapping_add(*previous);
            residuals[0] = ints::zigzag(first);
            *previous = first;
        }
        floats::decode(form, transform, &residuals, &exceptions).map(Some)
    }
}

/// Decodes a chunk file that should hold `points` points of `metric`.
pub fn decode(
    bytes: &[u8],
    metric: &str,
    points: u64,
) -> Result<Vec<(u32, MetricSeries)>, BundleError> {
    decode_as(FileKind::Chunk, bytes, metric, points)
}

/// Decodes a file of `kind` in the chunk layout (a chunk or a level).
pub fn decode_as(
    kind: FileKind,
    bytes: &[u8],
    metric: &str,
    points: u64,
) -> Result<Vec<(u32, MetricSeries)>, BundleError> {
    if points > MAX_PAYLOAD_BYTES {
        return Err(BundleError::Corrupt(format!(
            "the directory gives a chunk {points} points, over the {MAX_PAYLOAD_BYTES}-point limit"
        )));
    }
    let payload = container::open(kind, bytes)?;
    let mut reader = Reader::new(&payload, "chunk payload");
    let key_len = reader.varint_at_most(payload.len() as u64, "metric key length")?;
    let key = reader.bytes(key_len as usize)?;
    if key != metric.as_bytes() {
        return Err(BundleError::Corrupt(format!(
            "chunk holds metric {:?}, the directory says {metric:?}",
            String::from_utf8_lossy(key)
        )));
    }
    let table = streams::read(&mut reader, MAX_PAYLOAD_BYTES)?;
    let gaps = streams::read(&mut reader, MAX_PAYLOAD_BYTES)?;
    let bits = streams::read(&mut reader, MAX_PAYLOAD_BYTES)?;
    let mut table_reader = Reader::new(&table, "chunk series table");
    let count = table_reader.varint_at_most(points, "series count")?;
    let mut blocks = Vec::with_capacity(BLOCKS);
    for _ in 0..BLOCKS {
        let width = usize::from(table_reader.u8()?);
        if width > 8 {
            return Err(BundleError::Corrupt(format!("block width {width}")));
        }
        let planes = (0..width)
            .map(|_| streams::read(&mut reader, points))
            .collect::<Result<Vec<_>, _>>()?;
        let len = planes.first().map_or(0, Vec::len);
        if planes.iter().any(|p| p.len() != len) {
            return Err(BundleError::Corrupt("byte planes of unequal length".into()));
        }
        blocks.push(Block {
            planes,
            len,
            taken: 0,
        });
    }
    reader.finish()?;
    let mut sources = Sources {
        table: table_reader,
        gaps: Reader::new(&gaps, "exception positions"),
        bits: Reader::new(&bits, "exception values"),
        blocks,
        first_ints: [0; 2],
    };
    let mut left = points;
    // Every series takes at least five table bytes: a bound for the allocation.
    let mut out: Vec<(u32, MetricSeries)> =
        Vec::with_capacity((count as usize).min(table.len() / 5));
    let mut next_run = 0u64;
    for index in 0..count as usize {
        let gap = sources
            .table
            .varint_at_most(u64::from(u32::MAX), "run gap")?;
        let run = next_run
            .checked_add(gap)
            .filter(|&run| run <= u64::from(u32::MAX))
            .ok_or_else(|| BundleError::Corrupt(format!("series {index}: run row past 2^32")))?;
        next_run = run + 1;
        let run = run as u32;
        let n = sources.table.varint_at_most(left, "series length")?;
        if n == 0 {
            return Err(BundleError::Corrupt(format!("series {index} is empty")));
        }
        left -= n;
        let n = n as usize;
        let steps = sources.steps(n)?;
        let times = sources.floats(TIMES_BLOCKS, n, index, |j| out[j].1.times.as_deref())?;
        let values = sources
            .floats(VALUES_BLOCKS, n, index, |j| Some(&out[j].1.values))?
            .ok_or_else(|| BundleError::Corrupt(format!("series {index} has no values")))?;
        out.push((
            run,
            MetricSeries {
                steps,
                values,
                times,
            },
        ));
    }
    if left != 0 {
        return Err(BundleError::Corrupt(format!(
            "chunk holds {} points, the directory says {points}",
            points - left
        )));
    }
    sources.table.finish()?;
    sources.gaps.finish()?;
    sources.bits.finish()?;
    if sources
        .blocks
        .iter()
        .any(|b| !b.planes.is_empty() && b.taken != b.len)
    {
        return Err(BundleError::Corrupt(
            "residual block has values left over".into(),
        ));
    }
    Ok(out)
}

/// Stored bytes of each part of a file in the chunk layout (§4.1), for size studies: the
/// series table, the exception streams, each block's planes, and the stream headers and
/// metric key around them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChunkParts {
    /// Series in the table.
    pub series: u64,
    /// The series table as stored, and its length before DEFLATE.
    pub table: u64,
    /// The series table's raw length.
    pub table_raw: u64,
    /// Exception positions and values as stored.
    pub exceptions: u64,
    /// Each block's planes as stored: steps; times decimal, f32, f64; values likewise.
    pub blocks: [u64; BLOCKS],
    /// Envelope, metric key and the streams' codec and length fields.
    pub framing: u64,
}

/// Where the bytes of a file in the chunk layout go (see [`ChunkParts`]); the planes are not
/// inflated, only the series table (for the block widths).
pub fn parts(kind: FileKind, bytes: &[u8]) -> Result<ChunkParts, BundleError> {
    let payload = container::open(kind, bytes)?;
    let mut reader = Reader::new(&payload, "chunk payload");
    let mut parts = ChunkParts::default();
    let key_len = reader.varint_at_most(payload.len() as u64, "metric key length")?;
    reader.bytes(key_len as usize)?;
    let stored = |reader: &mut Reader<'_>| -> Result<u64, BundleError> {
        let before = reader.remaining();
        let _ = streams::read(reader, MAX_PAYLOAD_BYTES)?;
        Ok((before - reader.remaining()) as u64)
    };
    let table = streams::read(&mut reader.clone(), MAX_PAYLOAD_BYTES)?;
    parts.table = stored(&mut reader)?;
    parts.table_raw = table.len() as u64;
    parts.exceptions = stored(&mut reader)? + stored(&mut reader)?;
    let mut table_reader = Reader::new(&table, "chunk series table");
    parts.series = table_reader.varint()?;
    for block in &mut parts.blocks {
        for _ in 0..table_reader.u8()? {
            *block += stored(&mut reader)?;
        }
    }
    reader.finish()?;
    let counted: u64 = parts.table + parts.exceptions + parts.blocks.iter().sum::<u64>();
    parts.framing = bytes.len() as u64 - counted;
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn sample() -> Vec<(u32, MetricSeries)> {
        let mut out = Vec::new();
        for run in 0..4u32 {
            let mut series = MetricSeries::default();
            for step in 0..50i64 {
                let value = match run {
                    0 => f64::from(step as f32 * 0.25),
                    1 => (step as f64 * 0.37).sin(),
                    _ => f64::from(step as i32 * 7 % 13) / 100.0,
                };
                let time = (step != 20).then_some(1_700_000_000.0 + step as f64 * 0.5);
                series.push(step * 10, value, time);
            }
            series.values[30] = f64::NAN;
            out.push((run * 2, series));
        }
        out.push((9, out[2].1.clone()));
        out
    }

    #[test]
    fn chunks_round_trip_and_check_the_directory() {
        let series = sample();
        let refs: Vec<(u32, &MetricSeries)> = series.iter().map(|(r, s)| (*r, s)).collect();
        let bytes = encode("loss", &refs);
        let decoded = decode(&bytes, "loss", 250).unwrap();
        let bits = |s: &MetricSeries| {
            let times = s.times.iter().flatten().map(|t| t.to_bits());
            (
                s.steps.clone(),
                s.values
                    .iter()
                    .map(|v| v.to_bits())
                    .chain(times)
                    .collect::<Vec<_>>(),
            )
        };
        for ((run, a), (run_back, b)) in series.iter().zip(&decoded) {
            assert_eq!(run, run_back);
            assert_eq!(bits(a), bits(b));
        }
        assert!(decode(&bytes, "acc", 250).is_err());
        assert!(decode(&bytes, "loss", 249).is_err());
        assert!(decode(&bytes, "loss", 251).is_err());
    }

    /// A chunk written by hand from `docs/bundle-format.md` §4 (v5): runs as gaps, and the
    /// first anchor of each float column with a transform of order ≥ 1 as the difference
    /// from the previous such column's first integer of the same kind.
    #[test]
    fn a_chunk_built_from_the_spec_decodes() {
        let zz = ints::zigzag;
        let bits = |x: f64| x.to_bits() as i64;
        let mut table = Vec::new();
        put_varint(&mut table, 2); // S
        table.extend([0u8; 7]); // every block of width 0: no residual outside the table
        let t0 = 1_700_000_000_000i64;
        // (run gap, first time, the previous first time, values, the previous first value)
        for (gap, first_time, previous_time, values, previous_value) in [
            (3u64, t0, 0, [1.5, 1.25], 0),
            (3, t0 + 60_000, t0, [2.0, 1.0], bits(1.5)),
        ] {
            put_varint(&mut table, gap);
            put_varint(&mut table, 2); // n
            table.push(2); // steps: delta of delta, anchors 0 and 1
            put_varint(&mut table, zz(0));
            put_varint(&mut table, zz(1));
            table.extend([0x22, 3, 0]); // times: decimal, delta of delta, 10^-3, no exceptions
            put_varint(&mut table, zz(first_time - previous_time));
            put_varint(&mut table, zz(250));
            table.push(0x24); // values: f64 bits, delta of delta
            put_varint(&mut table, zz(bits(values[0]).wrapping_sub(previous_value)));
            put_varint(
                &mut table,
                zz(bits(values[1]).wrapping_sub(bits(values[0]))),
            );
        }
        let mut payload = vec![1, b'm'];
        streams::put(&mut payload, &table);
        streams::put(&mut payload, &[]);
        streams::put(&mut payload, &[]);
        let decoded = decode(&container::seal_stored(FileKind::Chunk, &payload), "m", 4).unwrap();
        let runs: Vec<u32> = decoded.iter().map(|(run, _)| *run).collect();
        assert_eq!(runs, [3, 7]);
        let (a, b) = (&decoded[0].1, &decoded[1].1);
        assert_eq!((&a.steps[..], &b.steps[..]), (&[0, 1][..], &[0, 1][..]));
        assert_eq!(a.values, [1.5, 1.25]);
        assert_eq!(b.values, [2.0, 1.0]);
        assert_eq!(
            a.times.as_deref(),
            Some(&[1_700_000_000.0, 1_700_000_000.25][..])
        );
        assert_eq!(
            b.times.as_deref(),
            Some(&[1_700_000_060.0, 1_700_000_060.25][..])
        );
    }

    #[test]
    fn start_times_cost_their_difference_from_the_previous_series() {
        // 200 runs started a minute apart: each times column's first anchor is ~60,000 ms
        // from the previous one (3 varint bytes), not a 41-bit epoch (6 bytes).
        let series: Vec<(u32, MetricSeries)> = (0..200u32)
            .map(|run| {
                let mut s = MetricSeries::default();
                let start = 1_700_000_000_000i64 + i64::from(run) * 60_000 + i64::from(run % 7);
                for step in 0..20i64 {
                    s.push(step, 0.5, Some((start + 250 * step) as f64 / 1e3));
                }
                (run, s)
            })
            .collect();
        let refs: Vec<(u32, &MetricSeries)> = series.iter().map(|(r, s)| (*r, s)).collect();
        let bytes = encode("m", &refs);
        let parts = parts(FileKind::Chunk, &bytes).unwrap();
        // Per series: run gap, n, steps (tag + anchor), times (tag, exponent, exception
        // count, two anchors of 3 + 2 bytes), values (a reference: tag + index ≤ 2 bytes).
        assert!(
            parts.table_raw <= 200 * 15,
            "{} table bytes",
            parts.table_raw
        );
        let decoded = decode(&bytes, "m", 4_000).unwrap();
        for ((run, a), (run_back, b)) in series.iter().zip(&decoded) {
            assert_eq!((run, &a.times), (run_back, &b.times));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        /// Damage behind a valid checksum (as if the writer were broken) is an error, never
        /// a panic or a runaway allocation.
        #[test]
        fn damaged_payloads_error_instead_of_panicking(
            at in any::<prop::sample::Index>(),
            mask in 1u8..=255,
            cut in any::<prop::sample::Index>(),
        ) {
            let series = sample();
            let refs: Vec<(u32, &MetricSeries)> = series.iter().map(|(r, s)| (*r, s)).collect();
            let sealed = encode("loss", &refs);
            let mut payload = container::open(FileKind::Chunk, &sealed).unwrap();
            let at = at.index(payload.len());
            payload[at] ^= mask;
            let _ = decode(&container::seal_stored(FileKind::Chunk, &payload), "loss", 250);
            payload[at] ^= mask;
            payload.truncate(cut.index(payload.len()));
            let truncated = container::seal_stored(FileKind::Chunk, &payload);
            prop_assert!(decode(&truncated, "loss", 250).is_err());
        }
    }
}
