//! Work done on a few threads and taken back in the order it was handed out: the walk's
//! reads (`sources`). Items are pushed in order, each either already settled or a job for
//! the threads; [`Lane::ready`] and [`Lane::wait`] give them back in that same order, a
//! job with its result. At most `window` jobs are out (handed out, not yet taken back),
//! so finished results waiting for a slow one ahead of them stay few. Jobs go to the
//! threads, and come back, in batches of `batch`: a thread wakes, and wakes the taking
//! thread, once per batch rather than once per job (a tenth of the CPU time of reading
//! many short TensorBoard runs went to waking and switching threads).
//!
//! The taking thread is one of the lane's `threads`: it starts one thread fewer, and while
//! it waits for a result it does the batches still queued itself. A walk thread beside a
//! reading thread per core had three threads share two cores, each sleeping and waking
//! the others; now as many threads as cores read, the walk being one of them between its
//! reads.

use std::collections::{HashMap, VecDeque};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, Scope};

/// What is pushed: a settled item, or a job for the threads.
pub(crate) enum Step<T, J> {
    /// Nothing to do: given back as it is, in its turn.
    Settled(T),
    /// Work for a thread.
    Job(J),
}

/// What is given back, in the order of the pushes.
pub(crate) enum Taken<T, J, R> {
    /// A settled item.
    Settled(T),
    /// A job and what its work gave.
    Done(J, R),
}

/// A job's result as a thread sends it: its number, the job, and the work's outcome (a
/// panic is carried over, to be resumed on the taking thread).
type Sent<J, R> = (u64, J, thread::Result<R>);

/// Jobs handed out together, each with its number.
type Batch<J> = Vec<(u64, J)>;

/// The batches handed out and not yet begun, shared by the threads and the taking thread.
struct Queue<J> {
    batches: Mutex<(VecDeque<Batch<J>>, bool)>,
    /// Told when a batch is queued or the lane is closed.
    ready: Condvar,
}

impl<J> Queue<J> {
    fn lock(&self) -> MutexGuard<'_, (VecDeque<Batch<J>>, bool)> {
        self.batches.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next batch, waiting for one; `None` once the lane is closed and none is left.
    fn next(&self) -> Option<Batch<J>> {
        let mut queue = self.lock();
        loop {
            if let Some(batch) = queue.0.pop_front() {
                return Some(batch);
            }
            if queue.1 {
                return None;
            }
            queue = self.ready.wait(queue).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn push(&self, batch: Batch<J>) {
        self.lock().0.push_back(batch);
        self.ready.notify_one();
    }

    fn close(&self) {
        self.lock().1 = true;
        self.ready.notify_all();
    }
}

/// Does `batch` with `work`, each job's panic caught.
fn run<J, R>(batch: Batch<J>, work: &(dyn Fn(&mut J) -> R + Sync)) -> Vec<Sent<J, R>> {
    let _mark = crate::cores::reading();
    batch
        .into_iter()
        .map(|(number, mut job)| {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&mut job)));
            (number, job, result)
        })
        .collect()
}

/// Jobs done by `threads` threads (the taking thread one of them) of a [`thread::scope`],
/// taken back in order.
pub(crate) struct Lane<'env, T, J, R> {
    queue: Arc<Queue<J>>,
    work: &'env (dyn Fn(&mut J) -> R + Sync),
    results: Receiver<Vec<Sent<J, R>>>,
    /// Jobs pushed and not yet handed out: a batch being filled.
    filling: Batch<J>,
    batch: usize,
    /// Pushed and not yet taken, in order: a settled item, or the number of a job.
    order: VecDeque<Result<T, u64>>,
    /// Results come before their turn.
    arrived: HashMap<u64, (J, thread::Result<R>)>,
    next: u64,
    out: usize,
    window: usize,
}

impl<'env, T, J: Send, R: Send> Lane<'env, T, J, R> {
    /// Starts `threads - 1` threads in `scope` doing `work` (the caller does the rest while
    /// it waits), with at most `window` jobs out, handed out `batch` at a time.
    pub(crate) fn start<'scope, W>(
        scope: &'scope Scope<'scope, 'env>,
        threads: usize,
        window: usize,
        batch: usize,
        work: &'env W,
    ) -> Self
    where
        W: Fn(&mut J) -> R + Sync,
        J: 'scope,
        R: 'scope,
    {
        let window = window.max(1);
        let batch = batch.clamp(1, window);
        let queue = Arc::new(Queue {
            batches: Mutex::new((VecDeque::new(), false)),
            ready: Condvar::new(),
        });
        let (done, results) = mpsc::channel::<Vec<Sent<J, R>>>();
        for _ in 1..threads.max(1) {
            let queue = queue.clone();
            let done: Sender<Vec<Sent<J, R>>> = done.clone();
            scope.spawn(move || {
                while let Some(batch) = queue.next() {
                    if done.send(run(batch, work)).is_err() {
                        return;
                    }
                }
            });
        }
        Self {
            queue,
            work,
            results,
            filling: Vec::with_capacity(batch),
            batch,
            order: VecDeque::new(),
            arrived: HashMap::new(),
            next: 0,
            out: 0,
            window,
        }
    }

    /// Whether another job may be pushed: fewer than `window` are out.
    pub(crate) fn has_room(&self) -> bool {
        self.out < self.window
    }

    /// Pushes the next item. A job is handed to the threads at once; push one only while
    /// [`Lane::has_room`].
    pub(crate) fn push(&mut self, step: Step<T, J>) {
        match step {
            Step::Settled(item) => self.order.push_back(Ok(item)),
            Step::Job(job) => {
                let number = self.next;
                self.next += 1;
                self.out += 1;
                self.order.push_back(Err(number));
                self.filling.push((number, job));
                if self.filling.len() >= self.batch {
                    self.hand_out();
                }
            }
        }
    }

    /// Hands the batch being filled to the threads.
    fn hand_out(&mut self) {
        if self.filling.is_empty() {
            return;
        }
        let batch = std::mem::replace(&mut self.filling, Vec::with_capacity(self.batch));
        self.queue.push(batch);
    }

    fn arrive(&mut self, results: Vec<Sent<J, R>>) {
        for (number, job, result) in results {
            self.arrived.insert(number, (job, result));
        }
    }

    /// The next item, when it is settled or its job is done; `None` otherwise (or when
    /// nothing is left).
    pub(crate) fn ready(&mut self) -> Option<Taken<T, J, R>> {
        while let Ok(results) = self.results.try_recv() {
            self.arrive(results);
        }
        self.take_front()
    }

    /// The next item, waiting for its job to be done (handing out the batch being
    /// filled, and doing the batches no thread has begun); `None` when nothing is left.
    pub(crate) fn wait(&mut self) -> Option<Taken<T, J, R>> {
        loop {
            if let Some(taken) = self.take_front() {
                return Some(taken);
            }
            if self.order.is_empty() {
                return None;
            }
            self.hand_out();
            let queued = self.queue.lock().0.pop_front();
            if let Some(batch) = queued {
                let results = run(batch, self.work);
                self.arrive(results);
                continue;
            }
            match self.results.recv() {
                Ok(results) => self.arrive(results),
                // Every thread is gone with the job ahead not done: never reached, as the
                // threads outlive the lane and the job ahead is with one of them.
                Err(_) => panic!("the lane's threads ended with jobs still out"),
            }
        }
    }

    fn take_front(&mut self) -> Option<Taken<T, J, R>> {
        match self.order.front()? {
            Ok(_) => match self.order.pop_front() {
                Some(Ok(item)) => Some(Taken::Settled(item)),
                _ => unreachable!("the front was a settled item"),
            },
            &Err(number) => {
                let (job, result) = self.arrived.remove(&number)?;
                self.order.pop_front();
                self.out -= 1;
                match result {
                    Ok(result) => Some(Taken::Done(job, result)),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
        }
    }
}

impl<T, J, R> Drop for Lane<'_, T, J, R> {
    fn drop(&mut self) {
        // The threads end once the batches queued are done, and the scope joins them.
        self.queue.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Pushes `0..n` (multiples of 5 settled, the rest jobs that sleep longer the smaller
    /// they are, so they end out of order) and takes everything back.
    fn run(threads: usize, window: usize, batch: usize, n: u64) -> Vec<String> {
        let work = |job: &mut u64| {
            thread::sleep(Duration::from_millis((20 - *job % 20) / 4));
            *job * 10
        };
        let mut taken = Vec::new();
        let mut most_out = 0;
        thread::scope(|scope| {
            let mut lane = Lane::start(scope, threads, window, batch, &work);
            let mut keep = |t: Taken<u64, u64, u64>| match t {
                Taken::Settled(item) => taken.push(format!("s{item}")),
                Taken::Done(job, result) => taken.push(format!("{job}={result}")),
            };
            for i in 0..n {
                while !lane.has_room() {
                    keep(lane.wait().expect("jobs are out"));
                }
                lane.push(if i % 5 == 0 {
                    Step::Settled(i)
                } else {
                    Step::Job(i)
                });
                most_out = most_out.max(lane.out);
                while let Some(t) = lane.ready() {
                    keep(t);
                }
            }
            while let Some(t) = lane.wait() {
                keep(t);
            }
        });
        assert!(
            most_out <= window,
            "{most_out} jobs out with a window of {window}"
        );
        taken
    }

    #[test]
    fn items_come_back_in_push_order_whatever_the_threads_and_window() {
        let expected: Vec<String> = (0..40)
            .map(|i| {
                if i % 5 == 0 {
                    format!("s{i}")
                } else {
                    format!("{i}={}", i * 10)
                }
            })
            .collect();
        for (threads, window, batch) in [(1, 1, 1), (2, 2, 1), (3, 8, 3), (4, 100, 7), (2, 4, 9)] {
            assert_eq!(
                run(threads, window, batch, 40),
                expected,
                "{threads} threads, window {window}, batch {batch}"
            );
        }
    }

    #[test]
    fn a_panicking_job_is_resumed_on_the_taking_thread_and_the_threads_end() {
        let work = |job: &mut u32| {
            assert!(*job != 3, "job 3 fails");
            *job
        };
        let outcome = std::panic::catch_unwind(|| {
            thread::scope(|scope| {
                let mut lane: Lane<(), u32, u32> = Lane::start(scope, 2, 4, 2, &work);
                let mut got = Vec::new();
                for job in 0..4 {
                    lane.push(Step::Job(job));
                }
                while let Some(Taken::Done(job, _)) = lane.wait() {
                    got.push(job);
                }
                got
            })
        });
        let panic = outcome.expect_err("the panic reaches the caller");
        let message = panic
            .downcast_ref::<&str>()
            .map(ToString::to_string)
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        assert!(message.contains("job 3 fails"), "{message}");
    }
}
