//! Directory walks that list each directory once. A [`Tree`] walks as
//! `walkdir::WalkDir::new(root).follow_links(true).sort_by_file_name()` does (the same
//! entries, in the same order, with the same errors: a directory's entries sorted by name,
//! the ones that could not be listed first, symbolic links followed, a link back to a
//! directory the walk is inside reported as a loop and not followed), and in addition:
//!
//! - it shows the listing of the directory it has just yielded ([`Tree::listing`]), so a
//!   reader deciding whether the directory is its own looks at that listing rather than
//!   listing the directory again, and hands the listing over ([`Tree::take_listing`]), so
//!   the read of a claimed directory starts from it ([`Tree::with_listing`]);
//! - it passes over the entries a filter rejects before listing them ([`Tree::skipping`]);
//! - it tells each entry's canonical path ([`Tree::canonical`]): its directory's joined
//!   with its name, unless the entry is a symbolic link (then resolved), so a walk
//!   resolves one path per link followed rather than one per entry.
//!
//! The walk of 20,000 short TensorBoard runs spent a quarter of its CPU time listing each
//! run directory twice (the walk, then the reader's claim) and resolving its path.

use std::ffi::OsStr;
use std::fmt;
use std::fs::{self, FileType};
use std::io;
use std::path::{Path, PathBuf};

/// An error met while walking: what `walkdir::Error` tells.
#[derive(Debug)]
pub(crate) struct TreeError {
    depth: usize,
    path: Option<PathBuf>,
    /// The ancestor a symbolic link leads back to, for a loop.
    ancestor: Option<PathBuf>,
    io: Option<io::Error>,
}

impl TreeError {
    fn io(depth: usize, path: Option<PathBuf>, error: io::Error) -> Self {
        Self {
            depth,
            path,
            ancestor: None,
            io: Some(error),
        }
    }

    /// The path the error is about (the link, for a loop); `None` for an entry of a
    /// listing that could not be read.
    pub(crate) fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// How deep below the walk's root the entry is (0: the root).
    pub(crate) fn depth(&self) -> usize {
        self.depth
    }

    /// The directory a link loop leads back to.
    pub(crate) fn loop_ancestor(&self) -> Option<&Path> {
        self.ancestor.as_deref()
    }

    /// The I/O error, unless this is a loop.
    pub(crate) fn io_error(&self) -> Option<&io::Error> {
        self.io.as_ref()
    }
}

impl fmt::Display for TreeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.as_deref().unwrap_or(Path::new("")).display();
        match (&self.io, &self.ancestor) {
            (Some(error), _) => write!(f, "{path}: {error}"),
            (None, Some(ancestor)) => write!(
                f,
                "file system loop found: {path} points to an ancestor {}",
                ancestor.display()
            ),
            (None, None) => write!(f, "{path}"),
        }
    }
}

/// A directory entry as listed: its path and its own type (a link's, not its target's).
#[derive(Debug)]
pub(crate) struct Child {
    path: PathBuf,
    file_type: FileType,
}

/// One directory's entries in walk order: those that could not be listed first (in the
/// order met), then the others by name.
#[derive(Debug)]
pub(crate) struct Listing {
    items: Vec<Result<Child, TreeError>>,
    /// The depth of the directory listed, in the walk that listed it.
    depth: usize,
    /// Whether the directory could be read (`items` is otherwise that one error).
    readable: bool,
}

impl Listing {
    /// Lists `dir`, which is `depth` below the walk's root.
    fn read(dir: &Path, depth: usize) -> Self {
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(error) => {
                return Self {
                    items: vec![Err(TreeError::io(depth, Some(dir.to_path_buf()), error))],
                    depth,
                    readable: false,
                };
            }
        };
        let mut items: Vec<Result<Child, TreeError>> = entries
            .map(|entry| {
                let entry = entry.map_err(|e| TreeError::io(depth + 1, None, e))?;
                let path = entry.path();
                match entry.file_type() {
                    Ok(file_type) => Ok(Child { path, file_type }),
                    Err(e) => Err(TreeError::io(depth + 1, Some(path), e)),
                }
            })
            .collect();
        // A stable sort: errors first in the order met, then entries by name.
        items.sort_by(|a, b| match (a, b) {
            (Ok(a), Ok(b)) => a.path.file_name().cmp(&b.path.file_name()),
            (Err(_), Err(_)) => std::cmp::Ordering::Equal,
            (Ok(_), Err(_)) => std::cmp::Ordering::Greater,
            (Err(_), Ok(_)) => std::cmp::Ordering::Less,
        });
        Self {
            items,
            depth,
            readable: true,
        }
    }

    /// The names of the entries listed (those whose type could not be told too), as
    /// `fs::read_dir` gives them; none when the directory could not be read.
    pub(crate) fn names(&self) -> impl Iterator<Item = &OsStr> {
        self.items
            .iter()
            .filter(|_| self.readable)
            .filter_map(|item| match item {
                Ok(child) => child.path.file_name(),
                Err(error) => error.path().and_then(Path::file_name),
            })
    }
}

/// An entry a [`Tree`] yields: its path, its type (a link's target's) and its depth.
#[derive(Debug)]
pub(crate) struct TreeEntry {
    path: PathBuf,
    file_type: FileType,
    depth: usize,
    /// Whether the path is a symbolic link (followed).
    link: bool,
}

impl TreeEntry {
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn into_path(self) -> PathBuf {
        self.path
    }

    /// The entry's type, its target's for a link.
    pub(crate) fn file_type(&self) -> FileType {
        self.file_type
    }

    /// The last component of the path (the whole path when it has none).
    pub(crate) fn file_name(&self) -> &OsStr {
        self.path
            .file_name()
            .unwrap_or_else(|| self.path.as_os_str())
    }

    pub(crate) fn depth(&self) -> usize {
        self.depth
    }
}

/// A directory being walked.
#[derive(Debug)]
struct Frame {
    listing: Listing,
    /// The next item of the listing to yield.
    next: usize,
    /// The directory's path, for the loop check.
    dir: PathBuf,
    /// Its canonical path, when known.
    canonical: Option<PathBuf>,
}

/// What a walk starts from.
#[derive(Debug)]
enum Start {
    Path(PathBuf),
    Listed(PathBuf, FileType, Listing),
}

/// A walk of a directory tree: see the module's documentation.
pub(crate) struct Tree {
    start: Option<Start>,
    stack: Vec<Frame>,
    /// Passes over an entry below the root (by name and whether it is a directory).
    skip: fn(&OsStr, bool) -> bool,
    /// Whether canonical paths are tracked.
    canonical: bool,
    /// The canonical path of the entry yielded last, when tracked.
    last_canonical: Option<PathBuf>,
    /// Whether the entry yielded last was a directory now on the stack.
    last_pushed: bool,
}

impl Tree {
    /// A walk of `root`.
    pub(crate) fn new(root: &Path) -> Self {
        Self::starting(Start::Path(root.to_path_buf()))
    }

    /// A walk of the directory `root` (of `file_type`, a link's target's) whose entries are
    /// `listing`, as [`Tree::take_listing`] gave it: `root` is not listed again.
    pub(crate) fn with_listing(root: &Path, file_type: FileType, listing: Listing) -> Self {
        Self::starting(Start::Listed(root.to_path_buf(), file_type, listing))
    }

    fn starting(start: Start) -> Self {
        Self {
            start: Some(start),
            stack: Vec::new(),
            skip: |_, _| false,
            canonical: false,
            last_canonical: None,
            last_pushed: false,
        }
    }

    /// Passes over the entries below the root for which `skip(name, is_dir)` holds:
    /// neither yielded nor, for a directory, listed (errors met on the way to them, such
    /// as a link leading nowhere, are still yielded).
    pub(crate) fn skipping(mut self, skip: fn(&OsStr, bool) -> bool) -> Self {
        self.skip = skip;
        self
    }

    /// Tracks canonical paths (see [`Tree::canonical`]).
    pub(crate) fn tracking_canonical_paths(mut self) -> Self {
        self.canonical = true;
        self
    }

    /// The canonical path of the entry yielded last (what `fs::canonicalize` gives), when
    /// tracked and resolvable.
    pub(crate) fn canonical(&self) -> Option<&Path> {
        self.last_canonical.as_deref()
    }

    /// The listing of the directory yielded last, not yet walked; `None` after any other
    /// entry.
    pub(crate) fn listing(&self) -> Option<&Listing> {
        self.stack
            .last()
            .filter(|_| self.last_pushed)
            .map(|frame| &frame.listing)
    }

    /// Leaves the directory yielded last without walking it, handing its listing over;
    /// `None` after any other entry.
    pub(crate) fn take_listing(&mut self) -> Option<Listing> {
        if !self.last_pushed {
            return None;
        }
        self.last_pushed = false;
        let mut frame = self.stack.pop()?;
        frame.listing.items.drain(..frame.next);
        Some(frame.listing)
    }

    /// Yields `entry` (its canonical path `canonical`), first following it when it is a
    /// link, and listing it when it is a directory; `None` when it is skipped.
    fn handle(
        &mut self,
        mut entry: TreeEntry,
        canonical: Option<PathBuf>,
    ) -> Option<Result<TreeEntry, TreeError>> {
        if entry.file_type.is_symlink() {
            entry = match self.follow(entry) {
                Ok(entry) => entry,
                Err(error) => return Some(Err(error)),
            };
        }
        if entry.depth > 0 && (self.skip)(entry.file_name(), entry.file_type.is_dir()) {
            return None;
        }
        let canonical = match (self.canonical, entry.link) {
            (false, _) => None,
            (true, false) => canonical,
            (true, true) => fs::canonicalize(&entry.path).ok(),
        };
        let is_dir = !entry.file_type.is_symlink() && entry.file_type.is_dir();
        if is_dir {
            self.stack.push(Frame {
                listing: Listing::read(&entry.path, entry.depth),
                next: 0,
                dir: entry.path.clone(),
                canonical: canonical.clone(),
            });
        }
        self.last_pushed = is_dir;
        self.last_canonical = canonical;
        Some(Ok(entry))
    }

    /// The target of the link `entry`, unless it is a directory the walk is inside.
    fn follow(&self, entry: TreeEntry) -> Result<TreeEntry, TreeError> {
        let depth = entry.depth;
        let meta = fs::metadata(&entry.path)
            .map_err(|e| TreeError::io(depth, Some(entry.path.clone()), e))?;
        if meta.is_dir() {
            let child = same_file::Handle::from_path(&entry.path)
                .map_err(|e| TreeError::io(depth, None, e))?;
            for frame in self.stack.iter().rev() {
                let ancestor = same_file::Handle::from_path(&frame.dir)
                    .map_err(|e| TreeError::io(depth, None, e))?;
                if ancestor == child {
                    return Err(TreeError {
                        depth,
                        path: Some(entry.path),
                        ancestor: Some(frame.dir.clone()),
                        io: None,
                    });
                }
            }
        }
        Ok(TreeEntry {
            file_type: meta.file_type(),
            link: true,
            ..entry
        })
    }
}

impl Iterator for Tree {
    type Item = Result<TreeEntry, TreeError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.last_pushed = false;
        self.last_canonical = None;
        match self.start.take() {
            Some(Start::Path(root)) => {
                let meta = match fs::symlink_metadata(&root) {
                    Ok(meta) => meta,
                    Err(e) => return Some(Err(TreeError::io(0, Some(root), e))),
                };
                let canonical = if self.canonical {
                    fs::canonicalize(&root).ok()
                } else {
                    None
                };
                let entry = TreeEntry {
                    path: root,
                    file_type: meta.file_type(),
                    depth: 0,
                    link: false,
                };
                if let Some(result) = self.handle(entry, canonical) {
                    return Some(result);
                }
            }
            Some(Start::Listed(root, file_type, mut listing)) => {
                // Depths of its errors as in a walk of this directory.
                let base = listing.depth;
                for error in listing
                    .items
                    .iter_mut()
                    .filter_map(|item| item.as_mut().err())
                {
                    error.depth -= base;
                }
                listing.depth = 0;
                self.stack.push(Frame {
                    listing,
                    next: 0,
                    dir: root.clone(),
                    canonical: None,
                });
                self.last_pushed = true;
                return Some(Ok(TreeEntry {
                    path: root,
                    file_type,
                    depth: 0,
                    link: false,
                }));
            }
            None => {}
        }
        loop {
            let depth = self.stack.len();
            let frame = self.stack.last_mut()?;
            let Some(item) = frame.listing.items.get_mut(frame.next) else {
                self.stack.pop();
                continue;
            };
            frame.next += 1;
            // Taken out of the listing: what is left of it is never looked at again.
            let placeholder = Err(TreeError {
                depth,
                path: None,
                ancestor: None,
                io: None,
            });
            let child = match std::mem::replace(item, placeholder) {
                Ok(child) => child,
                Err(error) => return Some(Err(error)),
            };
            let canonical = frame
                .canonical
                .as_ref()
                .and_then(|dir| child.path.file_name().map(|name| dir.join(name)));
            let entry = TreeEntry {
                path: child.path,
                file_type: child.file_type,
                depth,
                link: false,
            };
            if let Some(result) = self.handle(entry, canonical) {
                return Some(result);
            }
        }
    }
}

#[cfg(test)]
mod tests;
