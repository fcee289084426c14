//! Run artifacts of a local MLflow store: where a run's `artifact_uri` points once the store
//! has been copied elsewhere, the list of files with their sizes, and the small files the
//! page can show (images, text, JSON, HTML) embedded within the artifact budget.

use std::fs::File;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use runlens_core::{Artifact, ArtifactContent, ArtifactKind};

use crate::reader::ReadOutput;

/// At most this many files are listed per run (a checkpoint folder can hold thousands).
pub const MAX_LISTED: usize = 10_000;

/// The folder names under which MLflow keeps artifacts by default: the file store's
/// `mlruns/` and the tracking server's `mlartifacts/`.
const ROOT_NAMES: [&str; 2] = ["mlruns", "mlartifacts"];

/// Resolves artifact URIs of one store: as written, else relocated beside the store.
#[derive(Debug, Clone)]
pub struct Locator {
    /// The directory the store lives in (the database's folder, or the `mlruns/` folder's
    /// parent), against which moved artifact folders are looked up.
    base: PathBuf,
    /// Runs whose artifact folder was found nowhere, for one summary warning.
    pub missing: Vec<String>,
}

impl Locator {
    /// A locator for a store whose files are in `base`.
    pub fn new(base: &Path) -> Self {
        Self {
            base: base.to_path_buf(),
            missing: Vec::new(),
        }
    }

    /// The local folder of `uri` (`file:///…`, an absolute or relative path, or the
    /// server's `mlflow-artifacts:/…`). A path that does not exist (the store was copied from
    /// another machine) is looked up by its part from `mlruns/` or `mlartifacts/` on, beside
    /// the store. `None` for remote stores (`s3://`, ...) and folders that exist nowhere.
    pub fn resolve(&self, uri: &str) -> Option<PathBuf> {
        let path = if let Some(rest) = uri.strip_prefix("file://") {
            // file:///abs/path (an empty host) or file://localhost/abs/path.
            let rest = rest.strip_prefix("localhost").unwrap_or(rest);
            PathBuf::from(percent_decode(rest))
        } else if let Some(rest) = uri.strip_prefix("mlflow-artifacts:") {
            let rest = rest.trim_start_matches('/');
            // mlflow-artifacts://host:port/path names a server; its path is what counts.
            let rest = if uri.starts_with("mlflow-artifacts://") {
                rest.split_once('/').map_or("", |(_, path)| path)
            } else {
                rest
            };
            self.base.join("mlartifacts").join(rest)
        } else if uri.contains("://") {
            return None;
        } else {
            let path = PathBuf::from(uri);
            if path.is_relative() {
                self.base.join(path)
            } else {
                path
            }
        };
        if path.is_dir() {
            return Some(path);
        }
        let parts: Vec<_> = path.components().collect();
        let at = parts
            .iter()
            .rposition(|c| ROOT_NAMES.iter().any(|n| c.as_os_str() == *n))?;
        let moved: PathBuf = std::iter::once(self.base.as_os_str())
            .chain(parts[at..].iter().map(|c| c.as_os_str()))
            .collect();
        moved.is_dir().then_some(moved)
    }

    /// Lists the artifacts of a run whose `artifact_uri` is `uri`, or notes it as missing.
    pub fn run_artifacts(&mut self, uri: &str, out: &mut ReadOutput) -> Vec<Artifact> {
        match self.resolve(uri) {
            Some(dir) => list(&dir, out),
            None => {
                // `<root>/<experiment>/<run>/artifacts`: with the root there, the run simply
                // logged nothing (MLflow creates a run's folder on its first artifact). The
                // root of a server's `mlflow-artifacts:/<experiment>/...` is its whole store.
                let root = match uri.trim_end_matches('/').rsplitn(4, '/').nth(3) {
                    Some(root) if root.starts_with("mlflow-artifacts:") => {
                        Some("mlflow-artifacts:/")
                    }
                    root => root.filter(|root| !root.is_empty() && !root.ends_with(':')),
                };
                if root.and_then(|root| self.resolve(root)).is_none() {
                    self.missing.push(uri.to_string());
                }
                Vec::new()
            }
        }
    }

    /// Warns once about the runs whose artifact store (the folder holding every run's
    /// artifact folder) is not there: it was likely left behind when the store was copied.
    pub fn report(self, out: &mut ReadOutput) {
        if self.missing.is_empty() {
            return;
        }
        let count = self.missing.len();
        let example = &self.missing[0];
        out.warn_file(format!(
            "the artifact store of {count} run(s) is not there (e.g. {example}); their artifacts are not listed. Copy the artifact folder (mlruns/ or mlartifacts/) beside the store to include them"
        ));
    }
}

/// Lists the files under `dir` (a run's artifact folder) with their sizes, embedding those
/// the page can show while the budget allows.
pub fn list(dir: &Path, out: &mut ReadOutput) -> Vec<Artifact> {
    let mut artifacts = Vec::new();
    let walk = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name();
    for entry in walk {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                let path = e.path().unwrap_or(dir).to_path_buf();
                out.warn_at(
                    &path,
                    None,
                    format!("artifact cannot be read: {e}; skipped"),
                );
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        if artifacts.len() == MAX_LISTED {
            out.warn_at(
                dir,
                None,
                format!("more than {MAX_LISTED} artifacts; only the first {MAX_LISTED} are listed"),
            );
            break;
        }
        let Ok(rel) = entry.path().strip_prefix(dir) else {
            continue;
        };
        let path: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let path = path.join("/");
        let size = entry.metadata().ok().map(|m| m.len());
        let content = size.and_then(|size| embed(entry.path(), &path, size, out));
        artifacts.push(Artifact {
            path,
            size,
            content,
        });
    }
    artifacts
}

/// The file's bytes when the page can show it and the budget has room.
pub(crate) fn embed(
    file: &Path,
    name: &str,
    size: u64,
    out: &mut ReadOutput,
) -> Option<ArtifactContent> {
    let mut head = [0u8; 16];
    let read = File::open(file).and_then(|mut f| f.read(&mut head)).ok()?;
    let (kind, media_type) = ArtifactKind::sniff(name, &head[..read])?;
    if !out.budget().fits(size) {
        return None;
    }
    let bytes = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(e) => {
            out.warn_at(
                file,
                None,
                format!("artifact cannot be read: {e}; listed without content"),
            );
            return None;
        }
    };
    // The file may have grown since it was listed: charge what was read.
    if !out.budget().take(bytes.len() as u64) {
        return None;
    }
    Some(ArtifactContent {
        kind,
        media_type: media_type.to_string(),
        bytes,
    })
}

/// A relative path without `..`, root or drive parts, so that it stays inside its folder
/// (paths named inside a tracker's files, which runlens joins to a folder it reads).
pub(crate) fn safe_relative(path: &str) -> Option<PathBuf> {
    let path = Path::new(path);
    let safe = path.components().all(|c| matches!(c, Component::Normal(_)));
    (safe && !path.as_os_str().is_empty()).then(|| path.to_path_buf())
}

/// Decodes `%XX` escapes of a `file://` URI path; malformed escapes stay as written.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moved_stores_find_their_artifacts_beside_them() {
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("mlartifacts/1/abc/artifacts");
        std::fs::create_dir_all(&run).unwrap();
        let locator = Locator::new(dir.path());
        assert_eq!(
            locator.resolve("/elsewhere/team/mlartifacts/1/abc/artifacts"),
            Some(run.clone())
        );
        assert_eq!(
            locator.resolve("file:///old%20home/mlartifacts/1/abc/artifacts"),
            Some(run.clone())
        );
        assert_eq!(
            locator.resolve("mlflow-artifacts:/1/abc/artifacts"),
            Some(run.clone())
        );
        assert_eq!(
            locator.resolve("mlflow-artifacts://server:5000/1/abc/artifacts"),
            Some(run)
        );
        assert_eq!(locator.resolve("s3://bucket/1/abc/artifacts"), None);
        assert_eq!(locator.resolve("/nowhere/at/all"), None);
    }

    #[test]
    fn a_server_run_without_artifacts_is_not_a_missing_store() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("mlartifacts/1/other/artifacts")).unwrap();
        let mut out = ReadOutput::new(dir.path(), 20);
        let mut locator = Locator::new(dir.path());
        for uri in [
            "mlflow-artifacts:/1/abc/artifacts",
            "mlflow-artifacts://server:5000/2/abc/artifacts",
        ] {
            assert_eq!(locator.run_artifacts(uri, &mut out), []);
        }
        assert_eq!(locator.missing, Vec::<String>::new());
        let mut elsewhere = Locator::new(&dir.path().join("elsewhere"));
        elsewhere.run_artifacts("mlflow-artifacts:/1/abc/artifacts", &mut out);
        assert_eq!(
            elsewhere.missing.len(),
            1,
            "no mlartifacts/ beside that store"
        );
    }

    #[test]
    fn percent_decoding_keeps_malformed_escapes() {
        assert_eq!(percent_decode("/a%20b/%zz/%4"), "/a b/%zz/%4");
    }
}
