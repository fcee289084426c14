//! How the `metrics` table of an MLflow SQLite store is cut into reads of bounded size, so
//! that a streamed build hands each run over as soon as its points are read instead of
//! after the whole table.
//!
//! Each selected run's extent (its first and last rowid, found through the `run_uuid`
//! index) is known before any point is read. Runs written one after the other (one
//! training job at a time, or `log_batch` of whole runs) have disjoint or barely
//! overlapping extents: consecutive ones are grouped into batches of about
//! [`Limits::batch_rows`] rowids, each read by one plain scan in storage order (the
//! fastest way through SQLite). Runs written at the same time by parallel jobs interleave,
//! so a scan would have to hold all of them until the last one ends: a group of
//! overlapping runs spanning more than [`Limits::cluster_rows`] rowids, and a long run
//! that overlaps others, are set apart; once their points are counted (through the index,
//! without reading the rows), [`regroup`] reads them by a few scans of their rows, each
//! keeping a bounded group of runs, or one run at a time through the index.

/// Where a selected run's points lie in the table: rowids `first..=last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Extent {
    /// The run's position in the reader's run list.
    pub run: usize,
    /// Its smallest rowid in `metrics`.
    pub first: i64,
    /// Its largest rowid (at most the table's largest rowid when the read began).
    pub last: i64,
}

impl Extent {
    fn span(&self) -> i64 {
        self.last.saturating_sub(self.first).saturating_add(1)
    }
}

/// One read of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Item {
    /// A scan of the rowids `low..=high` in storage order, keeping the rows of `runs`
    /// (every row of these runs lies inside; rows of other runs are skipped).
    Scan {
        /// First rowid scanned.
        low: i64,
        /// Last rowid scanned.
        high: i64,
        /// The runs whose points the scan collects.
        runs: Vec<usize>,
    },
    /// One run read through the `run_uuid` index.
    Run(Extent),
}

/// The sizes that bound one read.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    /// A scan batch is closed once it spans this many rowids.
    pub batch_rows: i64,
    /// Overlapping runs spanning more rowids than this together are read one by one.
    pub cluster_rows: i64,
    /// At most this many points of interleaved runs are collected by one scan of their rows
    /// (see [`regroup`]).
    pub group_points: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            batch_rows: 1 << 16,
            cluster_rows: 1 << 20,
            group_points: 1 << 20,
        }
    }
}

/// The runs [`plan`] left to be read one by one, with their point counts, grouped again:
/// overlapping runs whose points fit in a few groups of [`Limits::group_points`] are read
/// by that many scans of their common rows, each keeping one group's runs (SQLite reads a
/// run through the index about three times slower than it scans the rows, so a scan that
/// skips at most half of what it reads is still faster); the others stay one read each.
pub(super) fn regroup(mut runs: Vec<(Extent, i64)>, limits: Limits) -> Vec<Item> {
    runs.sort_by_key(|(e, _)| (e.first, e.last, e.run));
    let mut items = Vec::new();
    let mut cluster: Vec<(Extent, i64)> = Vec::new();
    let mut high = i64::MIN;
    for (extent, points) in runs {
        if !cluster.is_empty() && extent.first > high {
            group(std::mem::take(&mut cluster), limits, &mut items);
        }
        high = if cluster.is_empty() {
            extent.last
        } else {
            high.max(extent.last)
        };
        cluster.push((extent, points));
    }
    if !cluster.is_empty() {
        group(cluster, limits, &mut items);
    }
    items
}

/// One cluster of [`regroup`]: scans of groups of runs, or a read per run.
fn group(cluster: Vec<(Extent, i64)>, limits: Limits, items: &mut Vec<Item>) {
    let low = cluster[0].0.first;
    let high = cluster.iter().map(|(e, _)| e.last).max().unwrap_or(low);
    let span = high.saturating_sub(low).saturating_add(1);
    let total: i64 = cluster.iter().map(|&(_, n)| n.max(1)).sum();
    let per_group = limits.group_points.max(1);
    let groups = (total / per_group + i64::from(total % per_group != 0)).max(1);
    if groups.saturating_mul(span) > total.saturating_mul(2) {
        items.extend(cluster.into_iter().map(|(e, _)| Item::Run(e)));
        return;
    }
    let mut runs = Vec::new();
    let mut points = 0;
    for (extent, n) in cluster {
        if !runs.is_empty() && points + n > limits.group_points {
            items.push(Item::Scan {
                low,
                high,
                runs: std::mem::take(&mut runs),
            });
            points = 0;
        }
        runs.push(extent.run);
        points += n;
    }
    items.push(Item::Scan { low, high, runs });
}

/// The reads that take every point of `extents`: each run in exactly one item.
pub(super) fn plan(mut extents: Vec<Extent>, limits: Limits) -> Vec<Item> {
    extents.sort_by_key(|e| (e.first, e.last, e.run));
    let mut items = Vec::new();
    // A run wider than a cluster may be is scanned only when no other run overlaps it.
    let mut scanned = Vec::with_capacity(extents.len());
    let mut reach = i64::MIN;
    for (i, extent) in extents.iter().enumerate() {
        let overlaps_earlier = reach >= extent.first;
        let overlaps_later = extents.get(i + 1).is_some_and(|n| n.first <= extent.last);
        reach = reach.max(extent.last);
        if extent.span() > limits.cluster_rows && (overlaps_earlier || overlaps_later) {
            items.push(Item::Run(*extent));
        } else {
            scanned.push(*extent);
        }
    }
    let mut batch = Batch::default();
    let mut cluster: Vec<Extent> = Vec::new();
    let mut cluster_high = i64::MIN;
    for extent in scanned {
        if !cluster.is_empty() && extent.first > cluster_high {
            batch.add(std::mem::take(&mut cluster), limits, &mut items);
        }
        cluster_high = if cluster.is_empty() {
            extent.last
        } else {
            cluster_high.max(extent.last)
        };
        cluster.push(extent);
    }
    if !cluster.is_empty() {
        batch.add(cluster, limits, &mut items);
    }
    batch.close(&mut items);
    items
}

/// The scan batch being filled.
#[derive(Default)]
struct Batch {
    low: i64,
    high: i64,
    runs: Vec<usize>,
}

impl Batch {
    /// Adds a cluster of overlapping runs (in rowid order): to this batch, or, when they
    /// interleave over too many rows, as one read per run.
    fn add(&mut self, cluster: Vec<Extent>, limits: Limits, items: &mut Vec<Item>) {
        let low = cluster[0].first;
        let high = cluster.iter().map(|e| e.last).max().unwrap_or(low);
        if cluster.len() > 1 && high.saturating_sub(low) >= limits.cluster_rows {
            items.extend(cluster.into_iter().map(Item::Run));
            return;
        }
        if self.runs.is_empty() {
            self.low = low;
        }
        self.high = high;
        self.runs.extend(cluster.iter().map(|e| e.run));
        if self.high.saturating_sub(self.low) >= limits.batch_rows - 1 {
            self.close(items);
        }
    }

    fn close(&mut self, items: &mut Vec<Item>) {
        if !self.runs.is_empty() {
            items.push(Item::Scan {
                low: self.low,
                high: self.high,
                runs: std::mem::take(&mut self.runs),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extent(run: usize, first: i64, last: i64) -> Extent {
        Extent { run, first, last }
    }

    const SMALL: Limits = Limits {
        batch_rows: 100,
        cluster_rows: 50,
        group_points: 40,
    };

    /// Each run in exactly one item, every scan covering its runs' extents.
    fn check_cover(extents: &[Extent], items: &[Item]) {
        let mut seen: Vec<usize> = Vec::new();
        for item in items {
            match item {
                Item::Scan { low, high, runs } => {
                    for run in runs {
                        let e = extents.iter().find(|e| e.run == *run).unwrap();
                        assert!(*low <= e.first && e.last <= *high, "{e:?} outside {item:?}");
                        seen.push(*run);
                    }
                }
                Item::Run(e) => seen.push(e.run),
            }
        }
        seen.sort_unstable();
        let mut all: Vec<usize> = extents.iter().map(|e| e.run).collect();
        all.sort_unstable();
        assert_eq!(seen, all);
    }

    #[test]
    fn runs_written_one_after_another_are_scanned_in_batches() {
        let extents: Vec<Extent> = (0..10)
            .map(|i| extent(9 - i, i as i64 * 30 + 1, i as i64 * 30 + 30))
            .collect();
        let items = plan(extents.clone(), SMALL);
        check_cover(&extents, &items);
        assert_eq!(
            items,
            [
                Item::Scan {
                    low: 1,
                    high: 120,
                    runs: vec![9, 8, 7, 6]
                },
                Item::Scan {
                    low: 121,
                    high: 240,
                    runs: vec![5, 4, 3, 2]
                },
                Item::Scan {
                    low: 241,
                    high: 300,
                    runs: vec![1, 0]
                },
            ]
        );
    }

    #[test]
    fn interleaved_runs_are_read_one_by_one_once_they_span_too_much() {
        // Three jobs writing at once over 90 rows: too wide a cluster for these limits.
        let wide: Vec<Extent> = (0..3)
            .map(|i| extent(i, i as i64 + 1, i as i64 + 88))
            .collect();
        let items = plan(wide.clone(), SMALL);
        check_cover(&wide, &items);
        assert!(items.iter().all(|i| matches!(i, Item::Run(_))), "{items:?}");
        // The same three over 30 rows are scanned together.
        let narrow: Vec<Extent> = (0..3)
            .map(|i| extent(i, i as i64 + 1, i as i64 + 28))
            .collect();
        let items = plan(narrow.clone(), SMALL);
        check_cover(&narrow, &items);
        assert_eq!(
            items,
            [Item::Scan {
                low: 1,
                high: 30,
                runs: vec![0, 1, 2]
            }]
        );
    }

    #[test]
    fn a_long_run_overlapping_short_ones_is_read_alone_and_they_are_scanned() {
        let extents = vec![
            extent(0, 1, 1000),
            extent(1, 10, 20),
            extent(2, 21, 30),
            extent(3, 500, 510),
        ];
        let items = plan(extents.clone(), SMALL);
        check_cover(&extents, &items);
        assert_eq!(items[0], Item::Run(extent(0, 1, 1000)));
        assert_eq!(
            &items[1..],
            [Item::Scan {
                low: 10,
                high: 510,
                runs: vec![1, 2, 3]
            }]
        );
    }

    #[test]
    fn a_long_run_alone_in_its_rows_is_scanned() {
        let extents = vec![extent(0, 1, 10), extent(1, 11, 5000), extent(2, 5001, 5002)];
        let items = plan(extents.clone(), SMALL);
        check_cover(&extents, &items);
        assert_eq!(
            items,
            [
                Item::Scan {
                    low: 1,
                    high: 5000,
                    runs: vec![0, 1]
                },
                Item::Scan {
                    low: 5001,
                    high: 5002,
                    runs: vec![2]
                },
            ]
        );
    }

    #[test]
    fn extreme_rowids_do_not_overflow() {
        let extents = vec![extent(0, i64::MIN, i64::MAX), extent(1, 0, 0)];
        let items = plan(extents.clone(), Limits::default());
        check_cover(&extents, &items);
        assert!(plan(Vec::new(), SMALL).is_empty());
    }

    #[test]
    fn interleaved_runs_are_scanned_in_groups_unless_they_are_sparse() {
        // Three jobs interleaved over 90 rows, 30 points each: two scans of the 90 rows
        // with groups of 60 points; three would read too much, so the index it is.
        let dense: Vec<(Extent, i64)> = (0..3)
            .map(|i| (extent(i, i as i64 + 1, i as i64 + 88), 30))
            .collect();
        let sixty = Limits {
            group_points: 60,
            ..SMALL
        };
        assert_eq!(
            regroup(dense.clone(), sixty),
            [
                Item::Scan {
                    low: 1,
                    high: 90,
                    runs: vec![0, 1]
                },
                Item::Scan {
                    low: 1,
                    high: 90,
                    runs: vec![2]
                },
            ]
        );
        assert!(
            regroup(dense, SMALL)
                .iter()
                .all(|i| matches!(i, Item::Run(_)))
        );
        // A long run with 5 points over 1,000 rows: read through the index.
        let sparse = vec![(extent(7, 1, 1000), 5)];
        assert_eq!(regroup(sparse, SMALL), [Item::Run(extent(7, 1, 1000))]);
        // Separate clusters are grouped apart.
        let apart = vec![(extent(1, 1, 10), 10), (extent(2, 500, 509), 10)];
        let items = regroup(apart, SMALL);
        assert_eq!(items.len(), 2, "{items:?}");
    }
}
