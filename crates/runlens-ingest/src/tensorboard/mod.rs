//! TensorBoard event files (`events.out.tfevents.*`) as written by TensorFlow, Keras,
//! tensorboardX and PyTorch: each directory holding event files is a run. See the
//! TensorBoard section of `docs/input-formats.md`.

mod events;
mod fast;
mod proto;
mod record;
#[cfg(test)]
mod tests;
mod values;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs::{self, FileType};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use runlens_core::Run;

use crate::error::ReadError;
use crate::reader::{Entry, EntryKind, ReadOutput, Reader};
use crate::tree::{Listing, Tree};

use events::RunBuilder;
pub use events::{HPARAMS_METRIC_TAG_PREFIX, IMAGE_FOLDER};

/// The file name prefix of every event file.
const EVENT_FILE_PREFIX: &str = "events.out.tfevents.";

/// Reads TensorBoard logdirs and event files.
#[derive(Debug, Clone, Copy, Default)]
pub struct TensorBoardReader;

impl Reader for TensorBoardReader {
    fn name(&self) -> &'static str {
        "tensorboard"
    }

    /// A file named `events.out.tfevents.*`, and a directory that directly holds one (a
    /// run directory). A directory holding only other files is left to the walk, so other
    /// formats beside or above a logdir's runs are still read.
    fn claims(&self, entry: &Entry<'_>) -> bool {
        match entry.kind() {
            EntryKind::File => is_event_file(entry.path().file_name()),
            EntryKind::Dir => match entry.listing() {
                Some(listing) => listing.names().any(|name| is_event_file(Some(name))),
                None => holds_event_files(entry.path()),
            },
            EntryKind::Url => false,
        }
    }

    /// A directory: it and every directory below it holding event files become runs,
    /// named by their path relative to the directory argument ([`ReadOutput::root`]).
    /// A file: one run of that file alone.
    fn read(&self, path: &Path, out: &mut ReadOutput) -> Result<(), ReadError> {
        // A directory the walk listed is not looked at again.
        let listed = out.take_listing();
        let is_file = match &listed {
            Some((file_type, _)) => file_type.is_file(),
            None => fs::metadata(path)
                .map_err(|e| ReadError::io(path, e))?
                .is_file(),
        };
        if is_file {
            let mut builder = match out.root().map(Path::to_path_buf) {
                Some(root) => RunBuilder::new(run_identity(&root, path.parent().unwrap_or(path))),
                None => single_file_builder(path),
            };
            let result = builder.read_file(path, out);
            {
                let run = builder.finish(out);
                out.add_run(run);
            }
            return result;
        }
        let root = out
            .root()
            .map_or_else(|| path.to_path_buf(), Path::to_path_buf);
        let runs: Vec<(PathBuf, Vec<PathBuf>)> =
            run_directories(path, listed, out).into_iter().collect();
        for (builder, scratch) in read_runs(&root, &runs, out) {
            // The reads left the budget alone; `absorb` would set it back to its copy.
            let budget = *out.budget();
            out.absorb(scratch);
            *out.budget() = budget;
            let run = builder.finish(out);
            out.add_run(run);
        }
        Ok(())
    }
}

/// Reads each run directory's event files into a builder and an output of its own (for its
/// warnings), in the order of `runs`; the directories are spread over the cores a walk's
/// other threads leave (`cores::spare`), each read by one thread, so the result does not
/// depend on the number of threads.
fn read_runs(
    root: &Path,
    runs: &[(PathBuf, Vec<PathBuf>)],
    out: &ReadOutput,
) -> Vec<(RunBuilder, ReadOutput)> {
    let read_one = |(dir, files): &(PathBuf, Vec<PathBuf>)| {
        let mut scratch = out.scratch();
        let mut builder = RunBuilder::new(run_identity(root, dir));
        for file in files {
            if let Err(error) = builder.read_file(file, &mut scratch) {
                scratch.warn_in(
                    file,
                    format!("{}; the rest of the file is skipped", error.reason()),
                );
            }
        }
        (builder, scratch)
    };
    // One run directory (the walk hands each over by itself): no threads, no asking.
    let threads = if runs.len() <= 1 {
        1
    } else {
        crate::cores::spare().min(runs.len())
    };
    if threads <= 1 {
        return runs.iter().map(read_one).collect();
    }
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, (RunBuilder, ReadOutput))> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let at = next.fetch_add(1, Ordering::Relaxed);
                        let Some(run) = runs.get(at) else {
                            return mine;
                        };
                        mine.push((at, read_one(run)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| {
                worker
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e))
            })
            .collect()
    });
    done.sort_unstable_by_key(|(at, _)| *at);
    done.into_iter().map(|(_, read)| read).collect()
}

/// The builder of the run made of one event file named on the command line.
pub(crate) fn single_file_builder(path: &Path) -> RunBuilder {
    RunBuilder::new(single_file_identity(path))
}

/// Whether a file name is an event file's.
fn is_event_file(name: Option<&OsStr>) -> bool {
    name.is_some_and(|n| n.to_string_lossy().starts_with(EVENT_FILE_PREFIX))
}

/// Whether `dir` directly holds an event file (or something named like one: a directory
/// or a broken link in its place is reported when the run is read).
fn holds_event_files(dir: &Path) -> bool {
    let Ok(entries) = fs::read_dir(dir) else {
        return false;
    };
    entries
        .flatten()
        .any(|entry| is_event_file(Some(&entry.file_name())))
}

/// The run directories at or below `dir` (hidden directories passed over), in path order,
/// each with its event files in writing order (see [`file_order`]); `listed`: the type and
/// entries of `dir` when the walk that found it listed them. What cannot be walked (an
/// unreadable directory, a link loop) and a directory named like an event file are
/// warnings in `out`.
fn run_directories(
    dir: &Path,
    listed: Option<(FileType, Listing)>,
    out: &mut ReadOutput,
) -> BTreeMap<PathBuf, Vec<PathBuf>> {
    let mut runs: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
    let walk = match listed {
        Some((file_type, listing)) => Tree::with_listing(dir, file_type, listing),
        None => Tree::new(dir),
    }
    .skipping(|name, _| name.to_string_lossy().starts_with('.'));
    for entry in walk {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                match crate::sources::describe_walk_error(dir, &error) {
                    Some((path, message)) => out.warn_in(&path, message),
                    // Not the walk's "gone meanwhile": a link, still there, leading nowhere.
                    None if is_event_file(error.path().and_then(Path::file_name))
                        && error.path().is_some_and(|p| {
                            fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink())
                        }) =>
                    {
                        let path = error.path().unwrap_or(dir);
                        out.warn_in(
                            path,
                            "a broken symbolic link in place of an event file; skipped",
                        );
                    }
                    None => {}
                }
                continue;
            }
        };
        if !is_event_file(Some(entry.file_name())) {
            continue;
        }
        if entry.file_type().is_file() {
            let parent = entry.path().parent().unwrap_or(dir).to_path_buf();
            runs.entry(parent).or_default().push(entry.into_path());
        } else if entry.file_type().is_dir() {
            out.warn_in(
                entry.path(),
                "a directory where an event file was expected (it has an event file's name); skipped",
            );
        }
    }
    for files in runs.values_mut() {
        files.sort_by_cached_key(|f| file_order(f));
    }
    runs
}

/// Sort key of an event file: the timestamp in its name
/// (`events.out.tfevents.<secs>.<host>...`), then the name.
fn file_order(file: &Path) -> (u64, String) {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let secs = name
        .strip_prefix(EVENT_FILE_PREFIX)
        .and_then(|rest| rest.split('.').next())
        .and_then(|digits| digits.parse().ok())
        .unwrap_or(u64::MAX);
    (secs, name)
}

/// Id, name, experiment and group of the run in directory `dir` under the directory
/// argument `root`: id and name are the relative path with `/` separators (the root itself
/// is `.`, named after the root's last component), the experiment is the root as given
/// (so runs of two logdirs never merge), and the group is the parent's relative path for
/// runs below the top level (a Keras `train/` and `validation/` pair share it).
fn run_identity(root: &Path, dir: &Path) -> Run {
    let relative: Vec<String> = dir
        .strip_prefix(root)
        .unwrap_or(dir)
        .components()
        .filter_map(|c| match c {
            Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    let id = if relative.is_empty() {
        ".".to_string()
    } else {
        relative.join("/")
    };
    let name = if relative.is_empty() {
        display_name(root)
    } else {
        id.clone()
    };
    let group = (relative.len() > 1).then(|| relative[..relative.len() - 1].join("/"));
    Run {
        id,
        name,
        experiment: Some(trimmed_display(root)),
        group,
        ..Run::default()
    }
}

/// Id and name of a run made of one event file named on the command line: the path as
/// given, and the file name.
fn single_file_identity(file: &Path) -> Run {
    Run {
        id: trimmed_display(file),
        name: display_name(file),
        ..Run::default()
    }
}

/// The last component of `path` (of its absolute form when it has none, e.g. `.`).
fn display_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .or_else(|| {
            fs::canonicalize(path)
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        })
        .unwrap_or_else(|| ".".to_string())
}

/// `path` as given, without a trailing separator.
fn trimmed_display(path: &Path) -> String {
    let text = path.display().to_string();
    let trimmed = text.trim_end_matches(['/', '\\']);
    if trimmed.is_empty() {
        text
    } else {
        trimmed.to_string()
    }
}
