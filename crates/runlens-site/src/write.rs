//! Atomic output: a report is written next to its destination under a temporary name and
//! moved into place only when complete, so a failed or killed build leaves the previous
//! report intact. While it writes, a build holds an advisory lock on its destination
//! ([`OutputLock`]), so two builds to one output cannot interleave; the holder of the lock
//! also removes what a killed build of the same destination left behind.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::SiteError;
use crate::lock::{OutputLock, leftover_name};

/// Writes `bytes` to `path` atomically (temporary file in the same directory, then rename).
#[cfg(test)]
pub fn write_file_atomically(path: &Path, bytes: &[u8]) -> Result<(), SiteError> {
    let mut file = AtomicFile::new(path)?;
    file.write_all(bytes).map_err(|e| SiteError::io(path, e))?;
    file.commit()
}

/// A file written under a temporary name beside its destination and renamed into place by
/// [`AtomicFile::commit`]; dropped uncommitted, it disappears and the destination is
/// untouched. It gets the permissions a newly created file gets (the umask applies), not
/// the owner-only ones of a temporary file.
///
/// It holds the destination's [`OutputLock`] from [`AtomicFile::new`] until it is committed
/// or dropped: a second writer of the same path fails with [`SiteError::Busy`].
pub struct AtomicFile {
    temp: tempfile::NamedTempFile,
    destination: PathBuf,
    _lock: OutputLock,
}

impl AtomicFile {
    /// Starts writing `destination` (its directory is created if needed).
    pub fn new(destination: &Path) -> Result<AtomicFile, SiteError> {
        let dir = parent_dir(destination);
        fs::create_dir_all(&dir).map_err(|e| SiteError::io(&dir, e))?;
        let lock = OutputLock::acquire(destination)?;
        let temp = builder(&leftover_name(lock.tag(), Leftover::File), FILE_MODE)
            .suffix(".tmp")
            .tempfile_in(&dir)
            .map_err(|e| SiteError::io(&dir, e))?;
        Ok(AtomicFile {
            temp,
            destination: destination.to_path_buf(),
            _lock: lock,
        })
    }

    /// Flushes the file to disk and moves it into place.
    pub fn commit(self) -> Result<(), SiteError> {
        self.temp
            .as_file()
            .sync_all()
            .map_err(|e| SiteError::io(self.temp.path(), e))?;
        pause_at("before-commit");
        self.temp
            .persist(&self.destination)
            .map_err(|e| SiteError::io(&self.destination, e.error))?;
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.temp.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.temp.flush()
    }
}

/// Mode bits of new files and directories before the umask (as `File::create` and
/// `create_dir` use).
const FILE_MODE: u32 = 0o666;
const DIR_MODE: u32 = 0o777;

/// A temporary-file builder whose files and directories get ordinary permissions.
fn builder(prefix: &str, mode: u32) -> tempfile::Builder<'_, '_> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = mode;
    builder
}

/// Which kind of temporary entry a writer makes beside its destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leftover {
    /// `.runlens-TAG-XXXXXX.tmp`: a single file being written.
    File,
    /// `.runlens-staging-TAG-XXXXXX`: a site being assembled (or, after the swap, the
    /// previous site being removed).
    Staging,
    /// `.runlens-old-TAG-XXXXXX`: the previous site moved aside (where the swap is two
    /// renames).
    Old,
}

/// A directory being assembled next to its final place; it holds the destination's
/// [`OutputLock`] until it is committed or dropped.
pub struct StagedDir {
    staging: tempfile::TempDir,
    destination: PathBuf,
    lock: OutputLock,
}

impl StagedDir {
    /// Starts a staging directory beside `destination`.
    pub fn new(destination: &Path) -> Result<StagedDir, SiteError> {
        let parent = parent_dir(destination);
        fs::create_dir_all(&parent).map_err(|e| SiteError::io(&parent, e))?;
        if destination.exists() && !destination.is_dir() {
            return Err(SiteError::NotADirectory(destination.to_path_buf()));
        }
        let lock = OutputLock::acquire(destination)?;
        let staging = builder(&leftover_name(lock.tag(), Leftover::Staging), DIR_MODE)
            .tempdir_in(&parent)
            .map_err(|e| SiteError::io(&parent, e))?;
        Ok(StagedDir {
            staging,
            destination: destination.to_path_buf(),
            lock,
        })
    }

    /// Writes one file at `relative` inside the staged directory.
    pub fn write(&self, relative: &str, bytes: &[u8]) -> Result<(), SiteError> {
        let path = self.staging.path().join(relative);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| SiteError::io(dir, e))?;
        }
        fs::write(&path, bytes).map_err(|e| SiteError::io(&path, e))
    }

    /// Moves the staged directory into place, replacing a previous report. Where the
    /// system can (Linux: `renameat2` with `RENAME_EXCHANGE`) the two directories trade
    /// places in one atomic step, so the destination always holds a whole report;
    /// elsewhere the previous report is first moved aside.
    pub fn commit(self) -> Result<(), SiteError> {
        let staged = self.staging.keep();
        let destination = self.destination;
        pause_at("before-commit");
        if destination.exists() {
            if exchange(&staged, &destination) {
                pause_at("after-swap");
                // `staged` now holds the previous report.
                return fs::remove_dir_all(&staged).map_err(|e| SiteError::io(&staged, e));
            }
            // Move the old report aside first; put it back if the swap fails.
            let parent = parent_dir(&destination);
            let old = builder(&leftover_name(self.lock.tag(), Leftover::Old), DIR_MODE)
                .tempdir_in(&parent)
                .map_err(|e| SiteError::io(&parent, e))?
                .keep();
            fs::remove_dir(&old).map_err(|e| SiteError::io(&old, e))?;
            fs::rename(&destination, &old).map_err(|e| SiteError::io(&destination, e))?;
            if let Err(e) = fs::rename(&staged, &destination) {
                let _ = fs::rename(&old, &destination);
                let _ = fs::remove_dir_all(&staged);
                return Err(SiteError::io(&destination, e));
            }
            fs::remove_dir_all(&old).map_err(|e| SiteError::io(&old, e))?;
        } else if let Err(e) = fs::rename(&staged, &destination) {
            let _ = fs::remove_dir_all(&staged);
            return Err(SiteError::io(&destination, e));
        }
        Ok(())
    }
}

/// A test hook, compiled into debug builds only (release builds have none): when the
/// variable `RUNLENS_TEST_PAUSE` is `STAGE:PATH`, a writer reaching `STAGE` creates the file
/// `PATH` and sleeps for good, so that a test can kill it exactly there. The stages are
/// `before-commit` (everything written under temporary names, nothing renamed yet) and
/// `after-swap` (the new site in place, the previous one not yet removed).
#[cfg(debug_assertions)]
fn pause_at(stage: &str) {
    let Some(value) = std::env::var_os("RUNLENS_TEST_PAUSE") else {
        return;
    };
    let value = value.to_string_lossy();
    if let Some((at, path)) = value.split_once(':')
        && at == stage
    {
        let _ = fs::write(path, stage);
        loop {
            std::thread::sleep(std::time::Duration::from_secs(60));
        }
    }
}

#[cfg(not(debug_assertions))]
fn pause_at(_: &str) {}

/// Swaps two directories atomically; false where the system or file system cannot (the
/// caller then falls back to two renames).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn exchange(a: &Path, b: &Path) -> bool {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).is_ok()
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn exchange(_: &Path, _: &Path) -> bool {
    false
}

pub(crate) fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_uncommitted_file_leaves_the_destination_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.html");
        fs::write(&path, "old").unwrap();
        let mut file = AtomicFile::new(&path).unwrap();
        file.write_all(b"new, but the build failed").unwrap();
        drop(file);
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
        let left: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| !name.starts_with(".runlens-lock-"))
            .collect();
        assert_eq!(left, ["report.html"], "no temporary file is left");
    }

    #[cfg(unix)]
    #[test]
    fn outputs_get_the_permissions_of_ordinary_new_files() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let dir = tempfile::tempdir().unwrap();
        let plain_file = dir.path().join("plain");
        fs::write(&plain_file, "x").unwrap();
        let plain_dir = dir.path().join("plain-dir");
        fs::create_dir(&plain_dir).unwrap();

        let report = dir.path().join("report.html");
        write_file_atomically(&report, b"x").unwrap();
        assert_eq!(
            mode(&report),
            mode(&plain_file),
            "a web server can read the report"
        );

        let site = dir.path().join("site");
        let staged = StagedDir::new(&site).unwrap();
        staged.write("index.html", b"x").unwrap();
        staged.commit().unwrap();
        assert_eq!(
            mode(&site),
            mode(&plain_dir),
            "a web server can enter the site"
        );
        assert_eq!(mode(&site.join("index.html")), mode(&plain_file));
    }

    #[test]
    fn a_site_replaces_the_previous_one_whole() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("site");
        for (round, files) in [["a", "b"], ["c", "d"]].iter().enumerate() {
            let staged = StagedDir::new(&site).unwrap();
            for name in files {
                staged
                    .write(&format!("data/{name}"), name.as_bytes())
                    .unwrap();
            }
            staged.commit().unwrap();
            let mut names: Vec<_> = fs::read_dir(site.join("data"))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            assert_eq!(names, files, "round {round}: only this build's files");
        }
        let beside: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| !name.starts_with(".runlens-lock-"))
            .collect();
        assert_eq!(beside, ["site"], "nothing is left beside the site");
    }
}
