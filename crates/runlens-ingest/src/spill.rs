//! The series spill of streamed builds: the metric points of runs already read are moved
//! out of memory into an unnamed temporary file (deleted by the system when it is closed),
//! and only where each piece lies is kept. A run's series is read back, one at a time, when
//! the bundle encoder asks for it ([`SpilledSeries`] is a [`SeriesSource`]), so memory holds
//! the runs' other fields, the bundle being written and one chunk's series — not every
//! point of the input.
//!
//! A series read in several parts (a run split over files) keeps one segment per part, in
//! the order they were read, and is put back together with the rule of
//! [`crate::reader::merge_run`]; the bytes are raw (steps, value and time bits), so NaN
//! payloads and infinities come back as they went in.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Mutex;

use runlens_core::bundle::SeriesSource;
use runlens_core::{Archive, MetricSeries};

use crate::reader::merge_series;

/// Bytes gathered before they are written to the file.
const WRITE_BUFFER: usize = 4 << 20;

/// One part of a series in the spill file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Segment {
    offset: u64,
    points: u64,
    times: bool,
    /// The points continue the previous segment's within one part of a run (a reader
    /// spilled while still reading it), rather than start a new part.
    continues: bool,
}

/// The spill file: written while the sources are read, read back while the bundle is encoded.
pub(crate) struct Spill {
    file: Mutex<File>,
    /// Bytes written to the file (the buffer's bytes follow them).
    written: u64,
    buffer: Vec<u8>,
    /// Why writing to the file failed, if it did: the buffer then keeps what it holds
    /// (nothing is lost) and no more is spilled.
    failure: Option<io::Error>,
}

impl fmt::Debug for Spill {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Spill")
            .field("bytes", &(self.written + self.buffer.len() as u64))
            .finish()
    }
}

impl Spill {
    /// An empty spill in an unnamed temporary file in `dir`.
    pub(crate) fn create_in(dir: &Path) -> io::Result<Spill> {
        Ok(Spill {
            file: Mutex::new(tempfile::tempfile_in(dir)?),
            written: 0,
            buffer: Vec::new(),
            failure: None,
        })
    }

    /// Whether more may be spilled (writing has not failed).
    pub(crate) fn is_writable(&self) -> bool {
        self.failure.is_none()
    }

    /// Why writing failed, if it did.
    pub(crate) fn failure(&self) -> Option<&io::Error> {
        self.failure.as_ref()
    }

    /// Appends the points of `series` (to the buffer, written out once it is large).
    pub(crate) fn write(&mut self, series: &MetricSeries) -> Segment {
        let segment = Segment {
            offset: self.written + self.buffer.len() as u64,
            points: series.len() as u64,
            times: series.times.is_some(),
            continues: false,
        };
        self.buffer.reserve(segment.byte_len() as usize);
        for step in &series.steps {
            self.buffer.extend_from_slice(&step.to_le_bytes());
        }
        for value in &series.values {
            self.buffer
                .extend_from_slice(&value.to_bits().to_le_bytes());
        }
        for time in series.times.iter().flatten() {
            self.buffer.extend_from_slice(&time.to_bits().to_le_bytes());
        }
        if self.buffer.len() >= WRITE_BUFFER {
            self.flush();
        }
        segment
    }

    /// Writes the buffered bytes to the file; on failure they stay in the buffer and
    /// [`Spill::is_writable`] turns false.
    pub(crate) fn flush(&mut self) {
        if self.buffer.is_empty() || self.failure.is_some() {
            return;
        }
        let file = self.file.get_mut().unwrap_or_else(|e| e.into_inner());
        let result = file
            .seek(SeekFrom::Start(self.written))
            .and_then(|_| file.write_all(&self.buffer));
        match result {
            Ok(()) => {
                self.written += self.buffer.len() as u64;
                self.buffer.clear();
            }
            Err(e) => self.failure = Some(e),
        }
    }

    /// The points of `segment`, from the file or the buffer.
    pub(crate) fn read(&self, segment: Segment) -> io::Result<MetricSeries> {
        let len = segment.byte_len() as usize;
        let bytes = if segment.offset >= self.written {
            let start = (segment.offset - self.written) as usize;
            Cow::Borrowed(&self.buffer[start..start + len])
        } else {
            let mut bytes = vec![0u8; len];
            let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
            file.seek(SeekFrom::Start(segment.offset))?;
            file.read_exact(&mut bytes)?;
            Cow::Owned(bytes)
        };
        let n = segment.points as usize;
        let words = |column: usize| {
            bytes[column * n * 8..(column + 1) * n * 8]
                .chunks_exact(8)
                .map(|w| u64::from_le_bytes(w.try_into().expect("8 bytes")))
        };
        Ok(MetricSeries {
            steps: words(0).map(|w| w as i64).collect(),
            values: words(1).map(f64::from_bits).collect(),
            times: segment
                .times
                .then(|| words(2).map(f64::from_bits).collect()),
        })
    }

    /// The series made of `parts` read back in order and put together as runs split over
    /// files are (see [`crate::reader::merge_run`]), a continuing segment as the points
    /// were pushed; not yet sorted by step.
    pub(crate) fn read_merged(&self, parts: &[Segment]) -> io::Result<MetricSeries> {
        let mut series = MetricSeries::default();
        for &part in parts {
            let points = self.read(part)?;
            if part.continues {
                continue_series(&mut series, points);
            } else {
                merge_series(&mut series, points);
            }
        }
        Ok(series)
    }

    /// Moves the non-empty series of `metrics` to the spill, their segments appended to
    /// `into` (a later segment of a key continues the earlier one); the keys stay, with
    /// empty series. Nothing moves once writing has failed.
    pub(crate) fn take_series(
        &mut self,
        metrics: &mut BTreeMap<String, MetricSeries>,
        into: &mut SpilledRun,
    ) {
        if !self.is_writable() {
            return;
        }
        for (key, series) in metrics.iter_mut() {
            if series.is_empty() {
                continue;
            }
            let mut segment = self.write(series);
            *series = MetricSeries::default();
            let segments = into.entry(key.clone()).or_default();
            segment.continues = !segments.is_empty();
            segments.push(segment);
        }
    }
}

/// Appends `part` to `target` as if its points had been pushed one by one after
/// `target`'s (times kept bit for bit, a missing one as NaN).
fn continue_series(target: &mut MetricSeries, part: MetricSeries) {
    if target.is_empty() {
        *target = part;
        return;
    }
    let times = part.times;
    for (i, (step, value)) in part.steps.into_iter().zip(part.values).enumerate() {
        target.push(step, value, times.as_ref().map(|t| t[i]));
    }
}

/// The spill of one build, shared by the session and the reads it makes.
pub(crate) type SharedSpill = std::sync::Arc<Mutex<Spill>>;

impl Segment {
    fn byte_len(self) -> u64 {
        self.points * 8 * if self.times { 3 } else { 2 }
    }
}

/// The spilled series of one run: its segments by metric key.
pub(crate) type SpilledRun = BTreeMap<String, Vec<Segment>>;

/// Where the series of a [`crate::ReadReport`]'s runs are: in the runs themselves, or for
/// runs read by a streamed build ([`crate::ReadOptions::spill_dir`]), in the spill file.
#[derive(Debug, Default)]
pub struct SpilledSeries {
    /// Per run row of the archive: the spilled segments, `None` when the run holds its series.
    pub(crate) rows: Vec<Option<SpilledRun>>,
    pub(crate) spill: Option<Spill>,
    /// Why spilling stopped part-way (the rest was kept in memory), if it did.
    pub(crate) note: Option<String>,
}

impl SpilledSeries {
    /// Number of points in the spill file.
    pub fn point_count(&self) -> u64 {
        self.rows
            .iter()
            .flatten()
            .flat_map(BTreeMap::values)
            .flatten()
            .map(|s| s.points)
            .sum()
    }

    /// Why the build stopped spilling part-way and kept the rest in memory, if it did.
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }
}

/// The series of an archive's runs, wherever they are: an [`Archive`] and its
/// [`SpilledSeries`] together, for the bundle encoder.
#[derive(Debug, Clone, Copy)]
pub struct ArchiveSeries<'a> {
    /// The runs (holding the series that were not spilled).
    pub archive: &'a Archive,
    /// The spilled series.
    pub spilled: &'a SpilledSeries,
}

impl<'a> ArchiveSeries<'a> {
    fn spilled_run(&self, row: usize) -> Option<&'a SpilledRun> {
        self.spilled.rows.get(row).and_then(Option::as_ref)
    }
}

/// A spilled series that could not be read back.
#[derive(Debug, thiserror::Error)]
#[error("could not read metric {key:?} back from the temporary spill file: {source}")]
pub struct SpillReadError {
    key: String,
    source: io::Error,
}

impl SeriesSource for ArchiveSeries<'_> {
    type Error = SpillReadError;

    fn metric_keys(&self, row: usize) -> Vec<&str> {
        let held = self.archive.runs[row].metrics.keys();
        let spilled = self.spilled_run(row).into_iter().flat_map(BTreeMap::keys);
        held.chain(spilled).map(String::as_str).collect()
    }

    fn series(
        &self,
        row: usize,
        key: &str,
    ) -> Result<Option<Cow<'_, MetricSeries>>, SpillReadError> {
        let (Some(parts), Some(spill)) = (
            self.spilled_run(row).and_then(|run| run.get(key)),
            self.spilled.spill.as_ref(),
        ) else {
            return Ok(self.archive.runs[row].metrics.get(key).map(Cow::Borrowed));
        };
        let mut series = spill.read_merged(parts).map_err(|source| SpillReadError {
            key: key.to_string(),
            source,
        })?;
        series.sort_by_step();
        Ok(Some(Cow::Owned(series)))
    }
}

#[cfg(test)]
mod tests {
    use runlens_core::Run;

    use super::*;
    use crate::reader::merge_run;

    /// A NaN whose payload is not the canonical one.
    const ODD_NAN: u64 = 0x7ff8_0000_dead_beef;

    fn bits(values: &[f64]) -> Vec<u64> {
        values.iter().map(|v| v.to_bits()).collect()
    }

    fn same(a: &MetricSeries, b: &MetricSeries) -> bool {
        a.steps == b.steps
            && bits(&a.values) == bits(&b.values)
            && a.times.as_deref().map(bits) == b.times.as_deref().map(bits)
    }

    fn series(steps: &[i64], values: &[f64], times: Option<&[f64]>) -> MetricSeries {
        MetricSeries {
            steps: steps.to_vec(),
            values: values.to_vec(),
            times: times.map(<[f64]>::to_vec),
        }
    }

    #[test]
    fn series_come_back_bit_for_bit_from_the_buffer_and_from_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut spill = Spill::create_in(dir.path()).unwrap();
        let odd = f64::from_bits(ODD_NAN);
        let a = series(
            &[i64::MIN, -1, 0, i64::MAX],
            &[odd, f64::INFINITY, f64::NEG_INFINITY, -0.0],
            Some(&[odd, 1.5, f64::NAN, f64::MAX]),
        );
        let b = series(&[3, 1], &[f64::MIN_POSITIVE, 2.0], None);
        let empty = MetricSeries::default();
        let (sa, sb, se) = (spill.write(&a), spill.write(&b), spill.write(&empty));
        // Still in the buffer.
        assert!(same(&spill.read(sa).unwrap(), &a));
        assert!(same(&spill.read(sb).unwrap(), &b));
        spill.flush();
        assert!(spill.is_writable());
        let c = series(&[7], &[odd], Some(&[0.25]));
        let sc = spill.write(&c);
        // a and b from the file, c from the buffer after them.
        assert!(same(&spill.read(sa).unwrap(), &a));
        assert!(same(&spill.read(sb).unwrap(), &b));
        assert!(same(&spill.read(sc).unwrap(), &c));
        assert!(spill.read(se).unwrap().is_empty());
    }

    #[test]
    fn segments_merge_as_runs_split_over_files_do() {
        let dir = tempfile::tempdir().unwrap();
        let mut spill = Spill::create_in(dir.path()).unwrap();
        let odd = f64::from_bits(ODD_NAN);
        let parts = [
            series(&[5, 1], &[0.5, odd], None),
            series(&[2, 9], &[f64::INFINITY, 2.0], Some(&[10.0, odd])),
            series(&[0], &[-1.0], None),
        ];
        let mut expected = Run::default();
        let mut segments = Vec::new();
        for part in &parts {
            let mut run = Run::default();
            run.metrics.insert("m".into(), part.clone());
            merge_run(&mut expected, run);
            segments.push(spill.write(part));
        }
        spill.flush();
        let got = spill.read_merged(&segments).unwrap();
        assert!(same(&got, &expected.metrics["m"]), "{got:?}");
        assert_eq!(got.steps, [5, 1, 2, 9, 0]);
        // The merge rule reads a NaN time as none: the odd payload is not kept there.
        assert!(got.times.as_ref().unwrap()[3].is_nan());
    }

    #[test]
    fn series_spilled_while_read_continue_as_the_points_were_pushed() {
        let dir = tempfile::tempdir().unwrap();
        let mut spill = Spill::create_in(dir.path()).unwrap();
        let odd = f64::from_bits(ODD_NAN);
        let points: [(i64, f64, Option<f64>); 5] = [
            (3, 1.0, None),
            (1, odd, Some(odd)),
            (2, 2.0, None),
            (0, f64::NEG_INFINITY, Some(5.0)),
            (9, 3.0, Some(odd)),
        ];
        let mut pushed = MetricSeries::default();
        let mut metrics = BTreeMap::new();
        let mut parts = SpilledRun::new();
        for (i, &(step, value, time)) in points.iter().enumerate() {
            pushed.push(step, value, time);
            let held: &mut MetricSeries = metrics.entry("m".to_string()).or_default();
            held.push(step, value, time);
            if i % 2 == 0 {
                spill.take_series(&mut metrics, &mut parts);
                assert!(metrics["m"].is_empty());
            }
        }
        assert_eq!(parts["m"].len(), 3);
        assert!(!parts["m"][0].continues && parts["m"][1].continues);
        let got = spill.read_merged(&parts["m"]).unwrap();
        assert!(same(&got, &pushed), "{got:?} != {pushed:?}");
        assert_eq!(got.times.as_ref().unwrap()[4].to_bits(), ODD_NAN);
    }
}
