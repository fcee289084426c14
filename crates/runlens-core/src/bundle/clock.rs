//! Run clocks (format v6): each run's wall times stored once. A run logs its metrics at the
//! same steps and the same moments, so a chunk's times column would repeat the run's times
//! metric after metric; instead the (step, time) pairs that at least two of a run's series
//! share form the run's *clock*, the clocks of a range of runs are one clock file (kind 5,
//! in the chunk layout without values columns), and a chunk's times column may say "the
//! clock's times at my steps" (the clock form), with exceptions for the points that differ.
//! Spec: `docs/bundle-format.md` §4b.

use serde::{Deserialize, Serialize};

use super::BundleError;
use super::container::FileKind;
use crate::model::MetricSeries;

/// Clock entries after which the encoder closes a clock file: a quarter of a chunk, so a
/// chunk's runs need little more than their own clocks.
pub const CLOCK_FILE_POINTS: u64 = 1 << 18;

/// A times column takes the clock form only when its series has at least
/// `1 / CLOCK_MIN_SHARE` of its clock's entries: a sparse series (validation every tenth
/// step) would make a chart fetch a clock many times its own size.
const CLOCK_MIN_SHARE: usize = 4;

/// One run's clock: (step, wall time) pairs in step order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Clock {
    /// Steps, ascending (equal steps allowed).
    pub steps: Vec<i64>,
    /// Wall times (epoch seconds), one per step; every `f64` bit pattern is kept.
    pub times: Vec<f64>,
}

impl Clock {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// True when the clock has no entry.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

/// Where a range of runs' clocks live and how big the file is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockRef {
    /// Clock file id; the multi-file site stores it as `clocks/<id>.rlb`.
    pub id: u32,
    /// Rows whose clocks the file holds, ascending; disjoint from and above every earlier
    /// entry's rows.
    pub runs: Vec<u32>,
    /// Total clock entries in the file.
    pub points: u64,
    /// Size of the clock file in bytes.
    pub bytes: u64,
}

/// The time the clock gives each of `steps` (ascending): walking the clock once, point `i`
/// takes the first entry not taken yet whose step is `steps[i]`, skipping entries of
/// smaller steps; `None` where no such entry is left. Spec §4b.
pub(crate) fn walk(clock: &Clock, steps: &[i64], mut each: impl FnMut(usize, Option<f64>)) {
    let mut at = 0;
    for (i, &step) in steps.iter().enumerate() {
        while at < clock.steps.len() && clock.steps[at] < step {
            at += 1;
        }
        if at < clock.steps.len() && clock.steps[at] == step {
            each(i, Some(clock.times[at]));
            at += 1;
        } else {
            each(i, None);
        }
    }
}

/// The times of a column in clock form: the clock's time at each step, replaced at the
/// exceptions' positions (ascending) by their bits. Every point without a clock time must
/// be an exception.
pub(crate) fn times_at(
    clock: &Clock,
    steps: &[i64],
    exceptions: &[(usize, u64)],
) -> Result<Vec<f64>, BundleError> {
    let mut out = Vec::with_capacity(steps.len());
    let mut exceptions = exceptions.iter().peekable();
    let mut missing = None;
    walk(clock, steps, |i, time| {
        let time = match exceptions.next_if(|&&(at, _)| at == i) {
            Some(&(_, bits)) => f64::from_bits(bits),
            None => time.unwrap_or_else(|| {
                missing.get_or_insert(i);
                f64::NAN
            }),
        };
        out.push(time);
    });
    match missing {
        None => Ok(out),
        Some(i) => Err(BundleError::Corrupt(format!(
            "point {i} (step {}) of a times column in clock form has no time in the run's clock",
            steps[i]
        ))),
    }
}

/// The exceptions a times column would need in clock form (positions and bits of the points
/// whose time the clock does not give), or `None` when the series is too sparse for its
/// clock or more than half its points would be exceptions.
pub(crate) fn exceptions_against(
    clock: &Clock,
    steps: &[i64],
    times: &[f64],
) -> Option<Vec<(u32, u64)>> {
    if steps.len() * CLOCK_MIN_SHARE < clock.len() {
        return None;
    }
    let mut exceptions = Vec::new();
    walk(clock, steps, |i, time| {
        if time.map(f64::to_bits) != Some(times[i].to_bits()) {
            exceptions.push((i as u32, times[i].to_bits()));
        }
    });
    (exceptions.len() * 2 <= steps.len()).then_some(exceptions)
}

/// The clock of a run whose series are `series`: every (step, time) pair that at least two
/// of the series have, as the `k`-th point at that step of each (for equal steps, `k`
/// counts within a series); where the series disagree on a pair's time, the time most of
/// them have (the smallest bit pattern among equally common ones). `None` when no pair is
/// shared.
pub fn clock_of<'a>(series: impl IntoIterator<Item = &'a MetricSeries>) -> Option<Clock> {
    // (step, k, time bits) of every point with a time.
    let mut points: Vec<(i64, u32, u64)> = Vec::new();
    let mut with_times = 0;
    for s in series {
        let Some(times) = &s.times else { continue };
        with_times += 1;
        let mut k = 0;
        for (i, (&step, time)) in s.steps.iter().zip(times).enumerate() {
            k = if i > 0 && s.steps[i - 1] == step {
                k + 1
            } else {
                0
            };
            points.push((step, k, time.to_bits()));
        }
    }
    if with_times < 2 {
        return None;
    }
    points.sort_unstable();
    let mut clock = Clock::default();
    let mut group = 0;
    while group < points.len() {
        let (step, k, _) = points[group];
        let end = group + points[group..].partition_point(|p| (p.0, p.1) == (step, k));
        // Within the group the bits are sorted: the longest run of equal bits, first wins.
        let (mut best, mut best_count, mut at) = (0u64, 0usize, group);
        while at < end {
            let bits = points[at].2;
            let run = points[at..end].partition_point(|p| p.2 == bits);
            if run > best_count {
                (best, best_count) = (bits, run);
            }
            at += run;
        }
        if best_count >= 2 {
            clock.steps.push(step);
            clock.times.push(f64::from_bits(best));
        }
        group = end;
    }
    (!clock.is_empty()).then_some(clock)
}

/// Every run's clock while a bundle is encoded, with the id of the clock file holding it.
#[derive(Debug, Default)]
pub(crate) struct RunClocks {
    by_row: Vec<Option<(u32, Clock)>>,
}

impl RunClocks {
    /// Room for `rows` runs, none with a clock yet.
    pub(crate) fn new(rows: usize) -> Self {
        RunClocks {
            by_row: vec![None; rows],
        }
    }

    /// Sets the clock of run `row`, held in clock file `file`.
    pub(crate) fn set(&mut self, row: u32, file: u32, clock: Clock) {
        self.by_row[row as usize] = Some((file, clock));
    }

    /// The clock of run `row` and its file's id, if the run has one.
    pub(crate) fn get(&self, row: u32) -> Option<(u32, &Clock)> {
        self.by_row
            .get(row as usize)?
            .as_ref()
            .map(|(file, clock)| (*file, clock))
    }
}

/// The clock of `run` among decoded clock files (each ascending by run).
pub(crate) fn find<'c>(files: &[&'c [(u32, Clock)]], run: u32) -> Option<&'c Clock> {
    files.iter().find_map(|file| {
        file.binary_search_by_key(&run, |(r, _)| *r)
            .ok()
            .map(|at| &file[at].1)
    })
}

/// Encodes the clocks of some runs (ascending) as a sealed clock file.
pub(crate) fn encode(clocks: &[(u32, &Clock)]) -> Vec<u8> {
    let inputs: Vec<super::chunk::Input<'_>> = clocks
        .iter()
        .map(|&(run, clock)| super::chunk::Input {
            run,
            steps: &clock.steps,
            times: Some(&clock.times),
            values: None,
            clocked: None,
        })
        .collect();
    super::chunk::encode_inputs(FileKind::Clock, "", &inputs)
}

/// Decodes a clock file against its directory entry: the clocks of its runs, ascending.
pub fn decode(clock_ref: &ClockRef, bytes: &[u8]) -> Result<Vec<(u32, Clock)>, BundleError> {
    let series = super::chunk::decode_as(FileKind::Clock, bytes, "", clock_ref.points, &[])?;
    if !series.iter().map(|(run, _)| run).eq(&clock_ref.runs) {
        return Err(BundleError::Corrupt(format!(
            "clock file {} holds other runs than the directory says",
            clock_ref.id
        )));
    }
    series
        .into_iter()
        .map(|(run, s)| {
            let times = s.times.ok_or_else(|| {
                BundleError::Corrupt(format!(
                    "clock file {}: a clock without times",
                    clock_ref.id
                ))
            })?;
            Ok((
                run,
                Clock {
                    steps: s.steps,
                    times,
                },
            ))
        })
        .collect()
}

/// The clock file holding run `row`'s clock, if any (the directory's rows are disjoint and
/// ascending).
pub fn clock_file_of(refs: &[ClockRef], row: u32) -> Option<u32> {
    let at = refs.partition_point(|r| r.runs.last().is_some_and(|&last| last < row));
    let clock = refs.get(at)?;
    clock.runs.binary_search(&row).ok().map(|_| clock.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(points: &[(i64, f64)]) -> MetricSeries {
        let mut s = MetricSeries::default();
        for &(step, time) in points {
            s.push(step, 0.0, Some(time));
        }
        s
    }

    #[test]
    fn a_clock_keeps_the_pairs_two_series_share() {
        let a = series(&[(0, 10.0), (1, 11.0), (2, 12.0), (2, 12.5), (3, 13.0)]);
        let b = series(&[(1, 11.0), (2, 12.0), (2, 12.5), (3, 99.0), (4, 14.0)]);
        let c = series(&[(3, 99.0), (4, 14.5)]);
        let mut no_times = series(&[(0, 10.0)]);
        no_times.times = None;
        let clock = clock_of([&a, &b, &c, &no_times]).unwrap();
        // Step 0 and 4 are in one series each (4's two times differ); step 3: 99.0 twice.
        assert_eq!(clock.steps, [1, 2, 2, 3]);
        assert_eq!(clock.times, [11.0, 12.0, 12.5, 99.0]);
        assert_eq!(clock_of([&a]), None);
        assert_eq!(clock_of([&a, &no_times]), None);
        // Equally common times: the smaller bit pattern.
        let d = series(&[(7, 2.0)]);
        let e = series(&[(7, 1.0)]);
        let clock = clock_of([&d, &d, &e, &e]).unwrap();
        assert_eq!(clock.times, [1.0]);
    }

    #[test]
    fn the_walk_takes_each_entry_once_and_exceptions_fill_the_rest() {
        let clock = Clock {
            steps: vec![1, 2, 2, 5],
            times: vec![1.0, 2.0, 2.5, 5.0],
        };
        let steps = [0, 2, 2, 2, 5, 6];
        let mut got = Vec::new();
        walk(&clock, &steps, |i, t| got.push((i, t)));
        assert_eq!(
            got,
            [
                (0, None),
                (1, Some(2.0)),
                (2, Some(2.5)),
                (3, None),
                (4, Some(5.0)),
                (5, None)
            ]
        );
        let nan = 0x7ff8_0000_dead_beef_u64;
        let exceptions = [(0, (-0.0f64).to_bits()), (3, nan), (5, 9.0f64.to_bits())];
        let times = times_at(&clock, &steps, &exceptions).unwrap();
        assert_eq!(times[0].to_bits(), (-0.0f64).to_bits());
        assert_eq!(&times[1..3], [2.0, 2.5]);
        assert_eq!(times[3].to_bits(), nan);
        assert_eq!(&times[4..], [5.0, 9.0]);
        let error = times_at(&clock, &steps, &exceptions[..2]).unwrap_err();
        assert!(error.to_string().contains("point 5 (step 6)"), "{error}");
    }

    #[test]
    fn sparse_or_different_columns_do_not_take_the_clock_form() {
        let clock = Clock {
            steps: (0..40).collect(),
            times: (0..40).map(f64::from).collect(),
        };
        let steps: Vec<i64> = (0..40).step_by(4).collect();
        let times: Vec<f64> = steps.iter().map(|&s| s as f64).collect();
        assert_eq!(exceptions_against(&clock, &steps, &times), Some(vec![]));
        let sparse: Vec<i64> = (0..40).step_by(5).collect();
        let sparse_times: Vec<f64> = sparse.iter().map(|&s| s as f64).collect();
        assert_eq!(exceptions_against(&clock, &sparse, &sparse_times), None);
        let mut later = times.clone();
        later[3] += 0.5;
        assert_eq!(
            exceptions_against(&clock, &steps, &later),
            Some(vec![(3, later[3].to_bits())])
        );
        let shifted: Vec<f64> = times.iter().map(|t| t + 0.5).collect();
        assert_eq!(exceptions_against(&clock, &steps, &shifted), None);
    }

    #[test]
    fn clock_files_are_found_by_row() {
        let refs = [
            ClockRef {
                id: 0,
                runs: vec![0, 2],
                points: 4,
                bytes: 1,
            },
            ClockRef {
                id: 1,
                runs: vec![5],
                points: 2,
                bytes: 1,
            },
        ];
        assert_eq!(clock_file_of(&refs, 2), Some(0));
        assert_eq!(clock_file_of(&refs, 1), None);
        assert_eq!(clock_file_of(&refs, 5), Some(1));
        assert_eq!(clock_file_of(&refs, 6), None);
        assert_eq!(clock_file_of(&[], 0), None);
    }
}
