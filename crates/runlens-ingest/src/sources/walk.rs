//! The walk of a directory named by the user: its entries in name order, each offered to
//! the readers, what one claims read (a run directory, a log file), the rest listed as
//! unrecognized. Each directory is listed once ([`Tree`]): the readers' claims look at
//! that listing, and a claimed directory's read starts from it. The claimed entries are
//! read on one thread per core ([`ReadOptions::threads`](super::ReadOptions::threads)),
//! the walking thread one of them while it waits for a read ([`Lane`]), and taken in in
//! walk order, so the runs, the warnings and their order, the cache and the progress
//! reports are those of reading them one by one. At most [`JOBS_PER_THREAD`] reads per thread are out at
//! once: a streamed build holds no more than these reads' results beyond what it held
//! (their runs' names and attributes: the points go to the spill as they are read), and
//! reads to be cached (which keep their points) of at most [`HELD_BYTES`] of input.

use std::cell::Cell;
use std::fs::FileType;
use std::path::{Path, PathBuf};
use std::thread;

use runlens_core::Warning;

use super::read::{Cached, Prepared, ReadDone, ReadJob, execute};
use super::{Session, describe_walk_error, skipped_name};
use crate::lane::{Lane, Step, Taken};
use crate::reader::{Entry, EntryKind, Reader};
use crate::tree::{Listing, Tree};

/// Reads handed out per thread and not yet taken in, at most: enough that a thread
/// finding a read done ahead of a slow one goes on, few enough to hold little.
const JOBS_PER_THREAD: usize = 8;

/// Reads handed to a thread at once (see [`Lane`]).
const BATCH: usize = 4;

/// Input bytes of the reads out that keep their runs whole (those to be cached, of inputs
/// up to the cache's size limit), at most, unless only one is out: their runs stay in
/// memory until taken in, so many of them at once would hold far more than a streamed
/// build does.
const HELD_BYTES: u64 = 128 << 20;

/// Something of the walk that needs no reading, taken in in its turn.
enum Found<'r> {
    /// An entry the cache held.
    Cached(Cached<'r>),
    /// A walk error.
    Warning(Warning),
}

/// What the walk hands on, in walk order.
type Walked<'r> = Step<Found<'r>, ReadJob<'r>>;

impl<'a> Session<'a> {
    /// Walks a directory named by the user.
    pub(super) fn walk(&mut self, root: &Path) {
        let threads = match self.options.threads {
            0 => crate::cores::available(),
            n => n,
        };
        if threads <= 1 {
            self.walk_with(root, &mut |session, step| match step {
                Step::Settled(found) => session.take(Taken::Settled(found)),
                Step::Job(job) => session.read_job(job),
            });
            return;
        }
        let options = self.options;
        let spill = self.spill.clone();
        let work = move |job: &mut ReadJob<'a>| execute(job, options, spill.as_ref());
        thread::scope(|scope| {
            let mut lane = Lane::start(scope, threads, threads * JOBS_PER_THREAD, BATCH, &work);
            // Input bytes of the reads out that hold their runs whole.
            let held = Cell::new(0u64);
            let take = |session: &mut Self, taken: Taken<_, ReadJob<'_>, _>| {
                if let Taken::Done(job, _) = &taken {
                    held.set(held.get() - job.held_bytes);
                }
                session.take(taken);
            };
            self.walk_with(root, &mut |session, step| {
                let adds = match &step {
                    Step::Job(job) => job.held_bytes,
                    Step::Settled(_) => 0,
                };
                while !lane.has_room()
                    || (adds > 0 && held.get() > 0 && held.get() + adds > HELD_BYTES)
                {
                    match lane.wait() {
                        Some(taken) => take(session, taken),
                        None => break,
                    }
                }
                held.set(held.get() + adds);
                lane.push(step);
                while let Some(taken) = lane.ready() {
                    take(session, taken);
                }
            });
            while let Some(taken) = lane.wait() {
                take(self, taken);
            }
        });
    }

    /// Takes in one thing of the walk, in walk order.
    fn take(&mut self, taken: Taken<Found<'_>, ReadJob<'_>, ReadDone>) {
        match taken {
            Taken::Settled(Found::Warning(warning)) => self.warnings.push(warning),
            Taken::Settled(Found::Cached(cached)) => self.commit_cached(cached),
            Taken::Done(job, done) => self.commit(job, done),
        }
    }

    /// Walks `root` in name order, skipping hidden entries and build or cache directories,
    /// and hands each claimed entry to `found`, as a read to do or one the cache held, with
    /// each walk error (dangling links go to the unrecognized list at once). Each directory
    /// is listed once: the readers' claims look at that listing, and the read of a claimed
    /// directory starts from it.
    fn walk_with(&mut self, root: &Path, found: &mut dyn FnMut(&mut Self, Walked<'a>)) {
        let mut walk = Tree::new(root)
            .skipping(skipped_name)
            .tracking_canonical_paths();
        while let Some(next) = walk.next() {
            let entry = match next {
                Ok(entry) => entry,
                Err(error) => {
                    match describe_walk_error(root, &error) {
                        Some((path, message)) => found(
                            self,
                            Step::Settled(Found::Warning(Warning::file(
                                path.display().to_string(),
                                message,
                            ))),
                        ),
                        None => self
                            .unrecognized
                            .push(error.path().unwrap_or(root).to_path_buf()),
                    }
                    continue;
                }
            };
            let path = entry.path();
            let canonical = walk.canonical().map(Path::to_path_buf);
            if entry.file_type().is_dir() {
                let dir = Entry::new(path, EntryKind::Dir)
                    .explicit(entry.depth() == 0)
                    .with_listing(walk.listing());
                if let Some(reader) = self.claimant(&dir) {
                    let listing = walk
                        .take_listing()
                        .map(|listing| (entry.file_type(), listing));
                    self.hand_on(reader, path, root, canonical, listing, found);
                }
            } else if entry.file_type().is_file() {
                match self.claimant(&Entry::new(path, EntryKind::File)) {
                    Some(reader) => self.hand_on(reader, path, root, canonical, None, found),
                    None => self.unrecognized.push(path.to_path_buf()),
                }
            } else {
                // A socket, FIFO or device: never a log, and reading it could block.
                self.unrecognized.push(path.to_path_buf());
            }
        }
    }

    /// Prepares the read of a claimed entry (`canonical`: its canonical path, when the walk
    /// knows it; `listing`: a directory's type and entries) and hands it to `found`.
    fn hand_on(
        &mut self,
        reader: &'a dyn Reader,
        path: &Path,
        root: &Path,
        canonical: Option<PathBuf>,
        listing: Option<(FileType, Listing)>,
        found: &mut dyn FnMut(&mut Self, Walked<'a>),
    ) {
        match self.prepare(reader, path, Some(root), canonical, listing) {
            Some(Prepared::Cached(cached)) => found(self, Step::Settled(Found::Cached(cached))),
            Some(Prepared::Read(job)) => found(self, Step::Job(job)),
            None => {}
        }
    }
}
