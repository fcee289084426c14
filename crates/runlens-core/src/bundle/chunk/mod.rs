//! Metric chunks (format v2; differences of order 3–7 since v4; run gaps and first
//! anchors predicted from the previous column since v5; times in clock form since v6): the
//! series of one metric for a set of runs. Steps, wall times and values become integer
//! residuals (`codec`) gathered per chunk into seven blocks, each split into byte planes
//! that are compressed as separate streams; a series table says how each column is coded.
//! Overview levels and clock files (`clock`) share the layout. Spec:
//! `docs/bundle-format.md` §4.

use super::BundleError;
use super::clock::{self, Clock, RunClocks};
use super::codec::floats::{self, Column, IntForm, MAX_EXPONENT};
use super::codec::ints::{self, Transform};
use super::codec::{Reader, put_varint, streams};
use super::container::{self, FileKind, MAX_PAYLOAD_BYTES};
use crate::model::MetricSeries;

/// Blocks of a chunk: steps, then the decimal, f32 and f64 blocks of the times, then those
/// of the values.
pub(crate) const BLOCKS: usize = 7;
const STEPS_BLOCK: usize = 0;
const TIMES_BLOCKS: usize = 1;
const VALUES_BLOCKS: usize = 4;

/// Column tag (low nibble): the series has no times.
const TAG_ABSENT: u8 = 0;
/// Column tag (low nibble): the column is the start of an earlier series' column.
const TAG_REF: u8 = 1;
/// Column tag: the times are the run's clock's at the series' steps (chunks only, §4b).
const TAG_CLOCK: u8 = 5;

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

    /// The exception count to the table, positions and bits to their streams.
    fn put_exceptions(&mut self, exceptions: &[(u32, u64)]) {
        put_varint(&mut self.table, exceptions.len() as u64);
        for gap in floats::exception_gaps(exceptions) {
            put_varint(&mut self.exception_gaps, gap);
        }
        for &(_, bits) in exceptions {
            self.exception_bits.extend_from_slice(&bits.to_le_bytes());
        }
    }

    /// A times column in clock form with these exceptions.
    fn put_clocked(&mut self, exceptions: &[(u32, u64)]) {
        self.table.push(TAG_CLOCK);
        self.put_exceptions(exceptions);
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
            self.put_exceptions(&coded.exceptions);
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

/// One series of a file in the chunk layout, as the encoder takes it.
pub(crate) struct Input<'a> {
    /// The run's row.
    pub run: u32,
    /// Steps, ascending.
    pub steps: &'a [i64],
    /// Wall times, if any.
    pub times: Option<&'a [f64]>,
    /// Values; `None` in a clock file, which has no values columns.
    pub values: Option<&'a [f64]>,
    /// The exceptions when the times are written in clock form.
    pub clocked: Option<Vec<(u32, u64)>>,
}

/// Encodes the series of `metric` for the given runs (ascending) as a sealed chunk file,
/// writing a times column in clock form where that looks smaller (§4.7); also returns the
/// ids of the clock files those columns read, ascending.
pub fn encode(
    metric: &str,
    series: &[(u32, &MetricSeries)],
    clocks: &RunClocks,
) -> (Vec<u8>, Vec<u32>) {
    let mut files = Vec::new();
    let inputs: Vec<Input<'_>> = series
        .iter()
        .map(|&(run, s)| {
            let clocked =
                s.times
                    .as_deref()
                    .zip(clocks.get(run))
                    .and_then(|(times, (file, clock))| {
                        let exceptions = clocked_exceptions(clock, &s.steps, times)?;
                        files.push(file);
                        Some(exceptions)
                    });
            Input {
                run,
                steps: &s.steps,
                times: s.times.as_deref(),
                values: Some(&s.values),
                clocked,
            }
        })
        .collect();
    files.sort_unstable();
    files.dedup();
    (encode_inputs(FileKind::Chunk, metric, &inputs), files)
}

/// The exceptions of `times` in clock form when that form is estimated smaller than the
/// column coded alone; `None` otherwise.
fn clocked_exceptions(clock: &Clock, steps: &[i64], times: &[f64]) -> Option<Vec<(u32, u64)>> {
    let exceptions = clock::exceptions_against(clock, steps, times)?;
    if exceptions.is_empty() {
        return Some(exceptions);
    }
    let clocked = 1.0 + floats::exceptions_cost(times.len(), &exceptions);
    (clocked < floats::estimated_cost(times)).then_some(exceptions)
}

/// Encodes series as a sealed overview level file (no clock form: a level is read alone).
pub fn encode_level(metric: &str, series: &[(u32, &MetricSeries)]) -> Vec<u8> {
    let inputs: Vec<Input<'_>> = series
        .iter()
        .map(|&(run, s)| Input {
            run,
            steps: &s.steps,
            times: s.times.as_deref(),
            values: Some(&s.values),
            clocked: None,
        })
        .collect();
    encode_inputs(FileKind::Level, metric, &inputs)
}

/// Encodes `inputs` in the chunk layout as a sealed file of `kind`.
pub(crate) fn encode_inputs(kind: FileKind, metric: &str, inputs: &[Input<'_>]) -> Vec<u8> {
    let mut parts = Parts::default();
    let times: Vec<Option<&[f64]>> = inputs
        .iter()
        .map(|s| s.times.filter(|_| s.clocked.is_none()))
        .collect();
    let values: Vec<Option<&[f64]>> = inputs.iter().map(|s| s.values).collect();
    let times = floats::encode_columns(&times);
    let values = floats::encode_columns(&values);
    for ((s, times), values) in inputs.iter().zip(&times).zip(&values) {
        parts.put_run(s.run);
        put_varint(&mut parts.table, s.steps.len() as u64);
        parts.put_steps(s.steps);
        match &s.clocked {
            Some(exceptions) => parts.put_clocked(exceptions),
            None => parts.put_floats(TIMES_BLOCKS, times),
        }
        if s.values.is_some() {
            parts.put_floats(VALUES_BLOCKS, values);
        }
    }
    let widths: Vec<usize> = parts
        .blocks
        .iter()
        .map(|block| ints::byte_width(block.iter().fold(0, |acc, &r| acc | r)))
        .collect();
    let mut table = Vec::with_capacity(parts.table.len() + 16);
    put_varint(&mut table, inputs.len() as u64);
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

    /// The exceptions of an `n`-point column: the count from the table, positions and bits
    /// from their streams.
    fn exceptions(&mut self, n: usize) -> Result<Vec<(usize, u64)>, BundleError> {
        let count = self.table.varint_at_most(n as u64, "exception count")?;
        let mut exceptions = Vec::with_capacity(count as usize);
        let mut position = 0u64;
        for i in 0..count {
            let gap = self.gaps.varint()?;
            position = if i == 0 {
                Some(gap)
            } else {
                (position + 1).checked_add(gap)
            }
            .filter(|&p| p < n as u64)
            .ok_or_else(|| BundleError::Corrupt(format!("exception position past {n} points")))?;
            let bits = u64::from_le_bytes(self.bits.bytes(8)?.try_into().expect("8 bytes"));
            exceptions.push((position as usize, bits));
        }
        Ok(exceptions)
    }

    /// A float column; `None` for an absent one. `earlier(j)` is series `j`'s column;
    /// `clock` is `None` where the clock form may not be used (values, levels, clock
    /// files), else the series' steps and its run's clock, if the chunk has one for it.
    fn floats<'e>(
        &mut self,
        first_block: usize,
        n: usize,
        index: usize,
        earlier: impl Fn(usize) -> Option<&'e [f64]>,
        clock: Option<(&[i64], Option<&Clock>)>,
    ) -> Result<Option<Vec<f64>>, BundleError> {
        let tag = self.table.u8()?;
        let form = match tag & 0x0f {
            TAG_ABSENT if tag == TAG_ABSENT => return Ok(None),
            TAG_CLOCK if tag == TAG_CLOCK => {
                let (steps, clock) = clock.ok_or_else(|| {
                    BundleError::Corrupt(format!(
                        "series {index}: a column in clock form where none may be"
                    ))
                })?;
                let clock = clock.ok_or_else(|| {
                    BundleError::Corrupt(format!(
                        "series {index}: times in clock form, but the chunk's clock files \
                         hold no clock of its run"
                    ))
                })?;
                let exceptions = self.exceptions(n)?;
                return clock::times_at(clock, steps, &exceptions).map(Some);
            }
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
        let exceptions = if form == IntForm::F64 {
            Vec::new()
        } else {
            self.exceptions(n)?
        };
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

/// Decodes a chunk file that should hold `points` points of `metric`; its times columns in
/// clock form read the clocks of `clocks` (decoded clock files).
pub fn decode(
    bytes: &[u8],
    metric: &str,
    points: u64,
    clocks: &[&[(u32, Clock)]],
) -> Result<Vec<(u32, MetricSeries)>, BundleError> {
    decode_as(FileKind::Chunk, bytes, metric, points, clocks)
}

/// Decodes a file of `kind` in the chunk layout (a chunk, a level or a clock file, whose
/// series have no values: empty in the result); only a chunk's times may be in clock form,
/// read from `clocks`.
pub fn decode_as(
    kind: FileKind,
    bytes: &[u8],
    metric: &str,
    points: u64,
    clocks: &[&[(u32, Clock)]],
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
    // Every series takes at least four table bytes: a bound for the allocation.
    let mut out: Vec<(u32, MetricSeries)> =
        Vec::with_capacity((count as usize).min(table.len() / 4));
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
        let clock = (kind == FileKind::Chunk).then(|| (&steps[..], clock::find(clocks, run)));
        let times = sources.floats(TIMES_BLOCKS, n, index, |j| out[j].1.times.as_deref(), clock)?;
        let values = if kind == FileKind::Clock {
            if times.is_none() {
                return Err(BundleError::Corrupt(format!("clock {index} has no times")));
            }
            Vec::new()
        } else {
            sources
                .floats(VALUES_BLOCKS, n, index, |j| Some(&out[j].1.values), None)?
                .ok_or_else(|| BundleError::Corrupt(format!("series {index} has no values")))?
        };
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

#[cfg(test)]
mod tests;
