//! The files a trackio run saved: media logged with `log()` (`<root>/media/<project>/...`,
//! named in the metric rows) and artifacts logged with `log_artifact()` (content-addressed
//! blobs under `<root>/artifacts/<project>/blobs/sha256/`, listed by the `artifact_versions`
//! manifests and linked to runs by `run_artifact_links`). Files the page can show are
//! embedded within the artifact budget.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use runlens_core::{Artifact, Dataset, Run};
use rusqlite::Connection;
use serde::Deserialize;

use crate::mlflow::artifacts::{embed, safe_relative};
use crate::reader::ReadOutput;

/// A media file named by a metric row.
#[derive(Debug, Clone)]
pub struct Media {
    /// Index of the run in the project's run list.
    pub run: usize,
    /// The metric key it was logged under.
    pub key: String,
    /// The step it was logged at.
    pub step: i64,
    /// Its path relative to `<root>/media/`.
    pub file: String,
}

/// One artifact version linked to a run.
#[derive(Debug, Clone)]
pub struct ArtifactLink {
    /// The run's id (`None` in rows written without one).
    pub run_id: Option<String>,
    /// The run's name.
    pub run_name: Option<String>,
    /// `output` (the run logged it) or `input` (the run used it).
    pub direction: String,
    /// The artifact's name.
    pub name: String,
    /// Its type (`model`, `dataset`, ...).
    pub kind: String,
    /// The version number (0, 1, ...).
    pub version: i64,
    /// The digest of the version's manifest.
    pub digest: String,
    /// The files of the version (`manifest`, JSON).
    pub manifest: String,
}

/// One file of an artifact version's manifest.
#[derive(Debug, Deserialize)]
struct ManifestEntry {
    path: String,
    digest: String,
    #[serde(default)]
    size: Option<u64>,
}

/// Whether the database has the tables artifact links need.
pub fn has_artifact_tables(tables: &HashSet<String>) -> bool {
    ["artifacts", "artifact_versions", "run_artifact_links"]
        .iter()
        .all(|t| tables.contains(*t))
}

/// Every link between a run and an artifact version, oldest first.
pub fn artifact_links(conn: &Connection) -> rusqlite::Result<Vec<ArtifactLink>> {
    let mut stmt = conn.prepare(
        "SELECT l.run_id, l.run_name, l.direction, a.name, a.type, v.version, \
         v.manifest_digest, v.manifest \
         FROM run_artifact_links l \
         JOIN artifact_versions v ON v.id = l.artifact_version_id \
         JOIN artifacts a ON a.id = v.artifact_id ORDER BY l.id",
    )?;
    let rows = stmt.query_map([], |row| {
        Ok(ArtifactLink {
            run_id: row.get(0)?,
            run_name: row.get(1)?,
            direction: row.get::<_, Option<String>>(2)?.unwrap_or_default(),
            name: row.get::<_, Option<String>>(3)?.unwrap_or_default(),
            kind: row.get::<_, Option<String>>(4)?.unwrap_or_default(),
            version: row.get::<_, Option<i64>>(5)?.unwrap_or_default(),
            digest: row.get::<_, Option<String>>(6)?.unwrap_or_default(),
            manifest: match row.get_ref(7)? {
                rusqlite::types::ValueRef::Text(b) | rusqlite::types::ValueRef::Blob(b) => {
                    String::from_utf8_lossy(b).into_owned()
                }
                _ => String::new(),
            },
        })
    })?;
    rows.collect()
}

/// Files that should be beside the database and are not, reported once per database.
#[derive(Default)]
pub struct Missing {
    count: usize,
    example: Option<PathBuf>,
}

impl Missing {
    fn add(&mut self, path: PathBuf) {
        self.count += 1;
        self.example.get_or_insert(path);
    }

    /// One warning naming the database, when files were missing.
    pub fn report(self, db: &Path, out: &mut ReadOutput) {
        if let Some(example) = self.example {
            out.warn_in(
                db,
                format!(
                    "{} media or artifact file(s) are not beside the database (e.g. {}); they are listed without content. Copy the media/ and artifacts/ folders with the .db file to include them",
                    self.count,
                    example.display()
                ),
            );
        }
    }
}

/// The artifact of a media file: `media/<key>/<step>/<file name>`, embedded when the page
/// can show it and the budget allows.
pub fn media_artifact(
    root: &Path,
    project: &str,
    media: &Media,
    missing: &mut Missing,
    out: &mut ReadOutput,
) -> Artifact {
    let file_name = media.file.rsplit('/').next().unwrap_or(&media.file);
    let path = format!("media/{}/{}/{}", media.key, media.step, file_name);
    let Some(relative) = safe_relative(&media.file) else {
        out.warn_file(format!(
            "media path {:?} of {project} leaves the media folder; listed without content",
            media.file
        ));
        return Artifact {
            path,
            ..Artifact::default()
        };
    };
    file_artifact(root.join("media").join(relative), path, missing, out)
}

fn file_artifact(
    file: PathBuf,
    path: String,
    missing: &mut Missing,
    out: &mut ReadOutput,
) -> Artifact {
    let size = match std::fs::metadata(&file) {
        Ok(meta) if meta.is_file() => meta.len(),
        _ => {
            missing.add(file);
            return Artifact {
                path,
                ..Artifact::default()
            };
        }
    };
    let content = embed(&file, &path, size, out);
    Artifact {
        path,
        size: Some(size),
        content,
    }
}

/// Adds an artifact link to `run`: an output's files as artifacts
/// (`artifacts/<name>/v<version>/<path>`), an input as a dataset (name `<name>:v<version>`,
/// the manifest digest, the artifact type as context).
pub fn add_link(
    run: &mut Run,
    root: &Path,
    project: &str,
    link: &ArtifactLink,
    missing: &mut Missing,
    out: &mut ReadOutput,
) {
    if link.direction == "input" {
        run.datasets.push(Dataset {
            name: format!("{}:v{}", link.name, link.version),
            digest: Some(link.digest.clone()).filter(|d| !d.is_empty()),
            source: None,
            context: Some(link.kind.clone()).filter(|k| !k.is_empty()),
        });
        return;
    }
    let entries: Vec<ManifestEntry> = match serde_json::from_str(&link.manifest) {
        Ok(entries) => entries,
        Err(e) => {
            out.warn_file(format!(
                "the manifest of artifact {}:v{} is not a list of files ({e}); its files are not listed",
                link.name, link.version
            ));
            return;
        }
    };
    let blobs = root
        .join("artifacts")
        .join(project)
        .join("blobs")
        .join("sha256");
    for entry in entries {
        let path = format!("artifacts/{}/v{}/{}", link.name, link.version, entry.path);
        let hex = entry.digest.len() == 64 && entry.digest.bytes().all(|b| b.is_ascii_hexdigit());
        if !hex {
            out.warn_file(format!(
                "artifact file {path} has no sha256 digest; listed without content"
            ));
            run.artifacts.push(Artifact {
                path,
                size: entry.size,
                content: None,
            });
            continue;
        }
        let blob = blobs.join(&entry.digest[..2]).join(&entry.digest);
        let mut artifact = file_artifact(blob, path, missing, out);
        artifact.size = artifact.size.or(entry.size);
        run.artifacts.push(artifact);
    }
}
