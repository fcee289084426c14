//! Atomic output: a report is written next to its destination under a temporary name and
//! moved into place only when complete, so a failed build leaves the previous report intact.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::SiteError;

/// Writes `bytes` to `path` atomically (temporary file in the same directory, then rename).
pub fn write_file_atomically(path: &Path, bytes: &[u8]) -> Result<(), SiteError> {
    let dir = parent_dir(path);
    fs::create_dir_all(&dir).map_err(|e| SiteError::io(&dir, e))?;
    let mut temp = tempfile::Builder::new()
        .prefix(".runlens-")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(|e| SiteError::io(&dir, e))?;
    temp.write_all(bytes)
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|e| SiteError::io(temp.path(), e))?;
    temp.persist(path)
        .map_err(|e| SiteError::io(path, e.error))?;
    Ok(())
}

/// A directory being assembled next to its final place.
pub struct StagedDir {
    staging: tempfile::TempDir,
    destination: PathBuf,
}

impl StagedDir {
    /// Starts a staging directory beside `destination`.
    pub fn new(destination: &Path) -> Result<StagedDir, SiteError> {
        let parent = parent_dir(destination);
        fs::create_dir_all(&parent).map_err(|e| SiteError::io(&parent, e))?;
        if destination.exists() && !destination.is_dir() {
            return Err(SiteError::NotADirectory(destination.to_path_buf()));
        }
        let staging = tempfile::Builder::new()
            .prefix(".runlens-staging-")
            .tempdir_in(&parent)
            .map_err(|e| SiteError::io(&parent, e))?;
        Ok(StagedDir {
            staging,
            destination: destination.to_path_buf(),
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

    /// Moves the staged directory into place, replacing a previous report.
    pub fn commit(self) -> Result<(), SiteError> {
        let staged = self.staging.keep();
        let destination = self.destination;
        if destination.exists() {
            // Move the old report aside first; put it back if the swap fails.
            let parent = parent_dir(&destination);
            let old = tempfile::Builder::new()
                .prefix(".runlens-old-")
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

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}
