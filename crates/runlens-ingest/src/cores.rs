//! How many threads a reader may use: the cores this process may run on, asked once.
//! `std::thread::available_parallelism` reads the cgroup files under `/proc` on every call
//! (a tenth of the CPU time of a TensorBoard logdir of 20,000 short runs, whose run
//! directories are each read by a call of their own).
//!
//! A walk reads its entries on one thread per core (`sources`); a reader that spreads one
//! entry over threads of its own (a TensorBoard directory of several runs, the MLflow
//! store's scan) asks [`spare`], which leaves out the walk's other threads busy reading at
//! that moment, so the two levels together do not ask for many more threads than cores.

use std::cell::Cell;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The cores this process may run on (at least 1), asked of the system once.
pub(crate) fn available() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// Walk threads reading an entry right now, in the whole process.
static READING: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Whether this thread is a walk thread reading an entry.
    static THIS_READING: Cell<bool> = const { Cell::new(false) };
}

/// Marks the calling thread as a walk thread reading an entry until dropped.
pub(crate) struct Reading(());

/// Counts the calling thread among the walk threads reading an entry (see [`spare`]).
pub(crate) fn reading() -> Reading {
    READING.fetch_add(1, Ordering::Relaxed);
    THIS_READING.with(|this| this.set(true));
    Reading(())
}

impl Drop for Reading {
    fn drop(&mut self) {
        THIS_READING.with(|this| this.set(false));
        READING.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The threads a reader may spread one read over: the cores, less the other walk threads
/// reading an entry at this moment (at least 1). Outside a parallel walk, every core.
pub(crate) fn spare() -> usize {
    let mine = THIS_READING.with(Cell::get);
    spare_of(available(), READING.load(Ordering::Relaxed), mine)
}

/// [`spare`] of `cores`, with `reading` walk threads reading, the caller among them when
/// `mine`.
fn spare_of(cores: usize, reading: usize, mine: bool) -> usize {
    let others = reading.saturating_sub(usize::from(mine));
    cores.saturating_sub(others).max(1)
}

#[cfg(test)]
mod tests {
    #[test]
    fn at_least_one_core_and_the_same_answer_each_time() {
        let first = super::available();
        assert!(first >= 1);
        assert_eq!(super::available(), first);
    }

    #[test]
    fn a_read_gets_the_cores_the_other_walk_threads_leave() {
        use super::spare_of;
        assert_eq!(spare_of(4, 0, false), 4, "no walk: every core");
        assert_eq!(spare_of(4, 1, true), 4, "the only walk thread reading");
        assert_eq!(spare_of(4, 3, true), 2);
        assert_eq!(spare_of(2, 2, true), 1);
        assert_eq!(spare_of(2, 8, true), 1, "never none");
        assert_eq!(spare_of(2, 1, false), 1, "a read beside one walk thread");
    }

    #[test]
    fn a_thread_counts_as_reading_while_it_holds_the_mark() {
        assert!(!super::THIS_READING.with(std::cell::Cell::get));
        let mark = super::reading();
        assert!(super::THIS_READING.with(std::cell::Cell::get));
        drop(mark);
        assert!(!super::THIS_READING.with(std::cell::Cell::get));
    }
}
