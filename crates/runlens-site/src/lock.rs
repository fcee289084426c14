//! One writer per output: an advisory lock on a file beside the destination
//! (`.runlens-lock-TAG`, where TAG is a short hash of the destination's name) is held for
//! as long as a report is being written there. A second build to the same destination
//! fails at once with [`SiteError::Busy`] instead of interleaving with the first. Holding
//! the lock, a writer also removes the temporary entries a killed build of the same
//! destination left behind (no live writer can own them).
//!
//! The lock is the standard library's `File::try_lock` (`flock` on Unix, `LockFileEx` on
//! Windows): the kernel releases it when its holder exits, even by `SIGKILL`, so a crashed
//! build never leaves the output locked. The lock file itself stays (removing it would let
//! a waiting and a new writer lock two different files).

use std::fs::{self, File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::SiteError;
use crate::write::{Leftover, parent_dir};

/// Length of the random part tempfile gives a name (its default).
const RANDOM_CHARS: usize = 6;

/// The lock of one destination; released when dropped.
#[derive(Debug)]
pub struct OutputLock {
    _file: File,
    tag: String,
}

impl OutputLock {
    /// Takes the lock of `destination` (a file or directory that may not exist yet), or
    /// fails with [`SiteError::Busy`] when another writer holds it; then removes what
    /// killed writers of `destination` left behind.
    pub fn acquire(destination: &Path) -> Result<OutputLock, SiteError> {
        let parent = parent_dir(destination);
        let tag = tag(destination);
        let path = parent.join(format!(".runlens-lock-{tag}"));
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| SiteError::io(&path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(SiteError::Busy {
                    destination: destination.to_path_buf(),
                    lock: path,
                });
            }
            // A file system without locks (some network mounts): write unlocked, as
            // before there was a lock.
            Err(TryLockError::Error(e)) if e.kind() == std::io::ErrorKind::Unsupported => {}
            Err(TryLockError::Error(e)) => return Err(SiteError::io(&path, e)),
        }
        remove_leftovers(&parent, &tag);
        Ok(OutputLock { _file: file, tag })
    }

    /// The destination's tag, which the names of its temporary entries carry.
    pub fn tag(&self) -> &str {
        &self.tag
    }
}

/// 12 hex digits of the SHA-256 of the destination's file name (the whole path when it has
/// none, like `.`): short enough for any name limit, the same in every build.
fn tag(destination: &Path) -> String {
    let name = destination
        .file_name()
        .unwrap_or(destination.as_os_str())
        .as_encoded_bytes();
    Sha256::digest(name)[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The name prefix of a temporary entry of the destination tagged `tag` (the random part
/// and, for a file, `.tmp` follow).
pub(crate) fn leftover_name(tag: &str, kind: Leftover) -> String {
    match kind {
        Leftover::File => format!(".runlens-{tag}-"),
        Leftover::Staging => format!(".runlens-staging-{tag}-"),
        Leftover::Old => format!(".runlens-old-{tag}-"),
    }
}

/// Whether `name` is a temporary entry of the destination tagged `tag`.
fn is_leftover(name: &str, tag: &str) -> bool {
    let random =
        |rest: &str| rest.len() == RANDOM_CHARS && rest.bytes().all(|b| b.is_ascii_alphanumeric());
    [Leftover::File, Leftover::Staging, Leftover::Old]
        .into_iter()
        .any(|kind| {
            let Some(rest) = name.strip_prefix(&leftover_name(tag, kind)) else {
                return false;
            };
            match kind {
                Leftover::File => rest.strip_suffix(".tmp").is_some_and(random),
                Leftover::Staging | Leftover::Old => random(rest),
            }
        })
}

/// Removes the temporary entries of a killed writer of the destination tagged `tag`.
/// Failures are ignored: such an entry is in nobody's way (every writer picks a fresh
/// random name) and the next writer tries again.
fn remove_leftovers(parent: &Path, tag: &str) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_str().is_some_and(|n| is_leftover(n, tag)) {
            continue;
        }
        let path: PathBuf = entry.path();
        let _ = match entry.file_type() {
            Ok(kind) if kind.is_dir() => fs::remove_dir_all(&path),
            _ => fs::remove_file(&path),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leftovers_are_recognized_by_tag_kind_and_random_part() {
        let tag = tag(Path::new("/x/site"));
        assert_eq!(tag.len(), 12);
        assert_eq!(tag, super::tag(Path::new("other/site")), "the name decides");
        assert_ne!(tag, super::tag(Path::new("/x/site2")));
        for name in [
            format!(".runlens-{tag}-a1B2c3.tmp"),
            format!(".runlens-staging-{tag}-Zz9yY8"),
            format!(".runlens-old-{tag}-000000"),
        ] {
            assert!(is_leftover(&name, &tag), "{name}");
        }
        for name in [
            format!(".runlens-{tag}-a1B2c3"),
            format!(".runlens-staging-{tag}-a1B2c3.tmp"),
            format!(".runlens-staging-{tag}-a1B2c"),
            format!(".runlens-staging-{tag}-a1B2c3d"),
            format!(".runlens-lock-{tag}"),
            ".runlens-staging-000000000000-a1B2c3".to_string(),
            "site".to_string(),
        ] {
            assert!(!is_leftover(&name, &tag), "{name}");
        }
    }

    #[test]
    fn a_second_writer_is_refused_until_the_first_is_done() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("site");
        let first = OutputLock::acquire(&site).unwrap();
        let error = OutputLock::acquire(&site).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("another runlens build is writing"),
            "{error}"
        );
        let other = OutputLock::acquire(&dir.path().join("report.html"));
        assert!(other.is_ok(), "another destination is not locked");
        drop(first);
        OutputLock::acquire(&site).unwrap();
    }

    #[test]
    fn the_lock_holder_removes_what_a_killed_writer_left() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("site");
        let tag = tag(&site);
        let stale_dir = dir.path().join(format!(".runlens-staging-{tag}-abcdef"));
        fs::create_dir_all(stale_dir.join("data")).unwrap();
        fs::write(stale_dir.join("data/index.rlb"), "x").unwrap();
        let stale_file = dir.path().join(format!(".runlens-{tag}-abcdef.tmp"));
        fs::write(&stale_file, "x").unwrap();
        let foreign = dir.path().join(".runlens-staging-000000000000-abcdef");
        fs::create_dir(&foreign).unwrap();
        let _lock = OutputLock::acquire(&site).unwrap();
        assert!(!stale_dir.exists() && !stale_file.exists());
        assert!(foreign.exists(), "another destination's entries stay");
    }
}
