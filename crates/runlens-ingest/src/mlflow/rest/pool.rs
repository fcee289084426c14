//! A few requests in flight at once: the server's time per request (tens of milliseconds
//! for a short metric history, most of it in MLflow's Python) dominates a read, and a
//! tracking server answers several requests at a time (4 workers by default).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

/// Runs `job` on every item on up to `threads` threads and returns the results in item
/// order. Once a result satisfies `stop` (the server is unreachable), items not yet started
/// are skipped and their result is `None`; every skipped item comes after every item that
/// ran, since items are started in order.
pub fn run_all<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    job: impl Fn(&T) -> R + Sync,
    stop: impl Fn(&R) -> bool + Sync,
) -> Vec<Option<R>> {
    let threads = threads.clamp(1, items.len().max(1));
    if threads == 1 {
        let mut results = Vec::with_capacity(items.len());
        let mut stopped = false;
        for item in items {
            if stopped {
                results.push(None);
                continue;
            }
            let result = job(item);
            stopped = stop(&result);
            results.push(Some(result));
        }
        return results;
    }
    let next = AtomicUsize::new(0);
    let stopped = AtomicBool::new(false);
    let slots: Vec<Mutex<Option<R>>> = items.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                while !stopped.load(Ordering::Acquire) {
                    let i = next.fetch_add(1, Ordering::AcqRel);
                    let Some(item) = items.get(i) else { break };
                    let result = job(item);
                    if stop(&result) {
                        stopped.store(true, Ordering::Release);
                    }
                    *slots[i].lock().unwrap_or_else(PoisonError::into_inner) = Some(result);
                }
            });
        }
    });
    slots
        .into_iter()
        .map(|slot| slot.into_inner().unwrap_or_else(PoisonError::into_inner))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_item_order_and_stop_skips_the_rest() {
        let items: Vec<u32> = (0..50).collect();
        for threads in [1, 4] {
            let all = run_all(&items, threads, |i| i * 2, |_| false);
            let all: Vec<u32> = all.into_iter().map(Option::unwrap).collect();
            assert_eq!(all, items.iter().map(|i| i * 2).collect::<Vec<_>>());
            let stopped = run_all(&items, threads, |i| *i, |i| *i == 10);
            let first_none = stopped.iter().position(Option::is_none).unwrap();
            assert!(first_none > 10, "{first_none}");
            assert!(stopped[first_none..].iter().all(Option::is_none));
        }
        assert!(run_all(&[] as &[u32], 4, |i| *i, |_| false).is_empty());
    }
}
