//! The files a W&B run saved beside its `.wandb` file, in the run folder's `files/`: the
//! last media file of each logged key (`wandb.Image` and other `*-file` values under
//! `files/media/`) and every other file there (`output.log`, `requirements.txt`,
//! `config.yaml`, files saved with `wandb.save`), listed with their sizes. Media are
//! embedded first, then small files the page can show, within the artifact budget.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use runlens_core::Artifact;

use crate::mlflow::artifacts::{MAX_LISTED, embed, safe_relative};
use crate::reader::{MAX_FILE_WARNINGS, ReadOutput};

/// The folder of a run folder that holds the files the run saved.
pub const FILES_DIR: &str = "files";

/// The folder under [`FILES_DIR`] where `wandb.log` writes media files, one per key and
/// step; only the last of each key is listed.
pub const MEDIA_DIR: &str = "media";

/// Files other than media are embedded only up to this size, so that one long
/// `output.log` does not take the budget the images of later runs need.
pub const MAX_EMBEDDED_FILE_BYTES: u64 = 256 * 1024;

/// A media file a history row (or the summary) names: `{"_type": "image-file", "path":
/// "media/images/<key>_<step>_<hash>.png", "size", "sha256", ...}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaFile {
    /// The step of the row that logged it (`None` when only the summary names it).
    pub step: Option<i64>,
    /// Its path relative to the run folder's `files/`, as W&B wrote it.
    pub path: String,
    /// The size W&B recorded, used when the file is not there.
    pub size: Option<u64>,
}

/// What a run folder's `files/` holds for one run.
#[derive(Debug, Default)]
pub struct RunFiles {
    /// The last media file of each key, by key.
    pub media: BTreeMap<String, MediaFile>,
    /// Paths named by the run's `files` records (relative to `files/`).
    pub saved: BTreeSet<String>,
}

impl RunFiles {
    /// Keeps `file` as the media of `key` unless a later step already is.
    pub fn add_media(&mut self, key: &str, file: MediaFile) {
        match self.media.get_mut(key) {
            Some(known) if known.step > file.step => {}
            Some(known) => *known = file,
            None => {
                self.media.insert(key.to_string(), file);
            }
        }
    }

    /// The artifacts of the run whose `.wandb` file is `run_file`: the media files named by
    /// its rows and the other files in `files/` (media first for the budget, then listed by
    /// path). Files named but not there are listed without content, with a warning each
    /// naming the missing path.
    pub fn artifacts(self, run_file: &Path, out: &mut ReadOutput) -> Vec<Artifact> {
        let folder = run_file.parent().unwrap_or(Path::new("."));
        let files_dir = folder.join(FILES_DIR);
        if !files_dir.is_dir() {
            return self.without_folder(&files_dir, out);
        }
        let mut artifacts = BTreeMap::new();
        let mut missing = Missing::default();
        for (key, media) in self.media {
            let Some(relative) = safe_relative(&media.path) else {
                out.warn_in(
                    run_file,
                    format!(
                        "media path {:?} of {key:?} leaves the run's files/ folder; not listed",
                        media.path
                    ),
                );
                continue;
            };
            let file = files_dir.join(relative);
            let artifact = match fs::metadata(&file) {
                Ok(meta) if meta.is_file() => Artifact {
                    content: embed(&file, &media.path, meta.len(), out),
                    path: media.path.clone(),
                    size: Some(meta.len()),
                },
                _ => {
                    missing.add(file, format!("the file of {key:?}"));
                    Artifact {
                        path: media.path.clone(),
                        size: media.size,
                        content: None,
                    }
                }
            };
            artifacts.insert(media.path, artifact);
        }
        list_files(&files_dir, &mut artifacts, &mut missing, out);
        for path in self.saved {
            if artifacts.contains_key(&path) || is_media(&path) {
                continue;
            }
            let Some(relative) = safe_relative(&path) else {
                continue;
            };
            missing.add(files_dir.join(relative), "a file the run saved".to_string());
            artifacts.insert(
                path.clone(),
                Artifact {
                    path,
                    ..Artifact::default()
                },
            );
        }
        missing.report(out);
        artifacts.into_values().collect()
    }

    /// Without a `files/` folder (only the `.wandb` file was copied): what the records
    /// name, listed without content, and one warning.
    fn without_folder(self, files_dir: &Path, out: &mut ReadOutput) -> Vec<Artifact> {
        let mut artifacts: BTreeMap<String, Artifact> = self
            .media
            .into_values()
            .map(|m| {
                let artifact = Artifact {
                    path: m.path.clone(),
                    size: m.size,
                    content: None,
                };
                (m.path, artifact)
            })
            .collect();
        for path in self.saved.into_iter().filter(|p| !is_media(p)) {
            artifacts.entry(path.clone()).or_insert(Artifact {
                path,
                ..Artifact::default()
            });
        }
        if let Some(example) = artifacts.keys().next() {
            out.warn_in(
                files_dir,
                format!(
                    "not there, but the run saved {} file(s) into it (e.g. {example}); they are listed without content. Copy the run folder's files/ with its .wandb file to include them",
                    artifacts.len()
                ),
            );
        }
        artifacts.into_values().collect()
    }
}

/// Whether a path relative to `files/` is inside the media folder.
fn is_media(path: &str) -> bool {
    path.strip_prefix(MEDIA_DIR)
        .is_some_and(|rest| rest.starts_with('/'))
}

/// Lists the files under `files_dir` except `media/` (links followed to files; a link
/// that leads nowhere is missing), embedding those the page can show up to
/// [`MAX_EMBEDDED_FILE_BYTES`] while the budget allows.
fn list_files(
    files_dir: &Path,
    artifacts: &mut BTreeMap<String, Artifact>,
    missing: &mut Missing,
    out: &mut ReadOutput,
) {
    let walk = walkdir::WalkDir::new(files_dir)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| !(e.depth() == 1 && e.file_name() == MEDIA_DIR && e.path().is_dir()));
    let mut listed = 0;
    for entry in walk {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                let path = e.path().unwrap_or(files_dir).to_path_buf();
                out.warn_in(&path, format!("cannot be read: {e}; skipped"));
                continue;
            }
        };
        if entry.file_type().is_dir() {
            continue;
        }
        let Ok(relative) = entry.path().strip_prefix(files_dir) else {
            continue;
        };
        let path: Vec<String> = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let path = path.join("/");
        if artifacts.contains_key(&path) {
            continue;
        }
        if listed == MAX_LISTED {
            out.warn_in(
                files_dir,
                format!("more than {MAX_LISTED} files; only the first {MAX_LISTED} are listed"),
            );
            break;
        }
        listed += 1;
        // `wandb.save` of a file outside the run folder leaves a link to its absolute path.
        let size = match fs::metadata(entry.path()) {
            Ok(meta) if meta.is_file() => meta.len(),
            Ok(_) => continue,
            Err(_) => {
                missing.add(
                    entry.path().to_path_buf(),
                    "a file the run saved (a link to a file that is not there)".to_string(),
                );
                artifacts.insert(
                    path.clone(),
                    Artifact {
                        path,
                        ..Artifact::default()
                    },
                );
                continue;
            }
        };
        let content = (size <= MAX_EMBEDDED_FILE_BYTES)
            .then(|| embed(entry.path(), &path, size, out))
            .flatten();
        artifacts.insert(
            path.clone(),
            Artifact {
                path,
                size: Some(size),
                content,
            },
        );
    }
}

/// Files a run's records name that are not on disk: one warning each, naming the path,
/// up to [`MAX_FILE_WARNINGS`], then one with the count.
#[derive(Default)]
struct Missing {
    files: Vec<(PathBuf, String)>,
}

impl Missing {
    fn add(&mut self, path: PathBuf, what: String) {
        self.files.push((path, what));
    }

    fn report(self, out: &mut ReadOutput) {
        let count = self.files.len();
        for (path, what) in self.files.iter().take(MAX_FILE_WARNINGS) {
            out.warn_in(path, format!("{what} is not there; listed without content"));
        }
        if count > MAX_FILE_WARNINGS
            && let Some((path, _)) = self.files.last()
        {
            out.warn_in(
                path.parent().unwrap_or(path),
                format!(
                    "{count} files the run saved are not there; only the first {MAX_FILE_WARNINGS} are listed as warnings"
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_step_of_a_key_wins_whatever_the_order() {
        let mut files = RunFiles::default();
        let at = |step: i64| MediaFile {
            step: Some(step),
            path: format!("media/images/a_{step}.png"),
            size: None,
        };
        files.add_media("a", at(2));
        files.add_media("a", at(1));
        assert_eq!(files.media["a"].step, Some(2));
        files.add_media("a", at(2));
        files.add_media("a", at(3));
        assert_eq!(files.media["a"].path, "media/images/a_3.png");
    }

    #[test]
    fn media_paths_are_those_under_media() {
        assert!(is_media("media/images/x.png"));
        assert!(!is_media("media.txt"));
        assert!(!is_media("output.log"));
    }
}
