//! How many threads a reader may use: the cores this process may run on, asked once.
//! `std::thread::available_parallelism` reads the cgroup files under `/proc` on every call
//! (a tenth of the CPU time of a TensorBoard logdir of 20,000 short runs, whose run
//! directories are each read by a call of their own).

use std::sync::OnceLock;

/// The cores this process may run on (at least 1), asked of the system once.
pub(crate) fn available() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from))
}

#[cfg(test)]
mod tests {
    #[test]
    fn at_least_one_core_and_the_same_answer_each_time() {
        let first = super::available();
        assert!(first >= 1);
        assert_eq!(super::available(), first);
    }
}
