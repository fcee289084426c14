//! MLflow's model registry: registered models and their versions (stage, aliases,
//! description, tags), each linked to the run that produced it. Read from the SQLite
//! store's `registered_models` / `model_versions` tables and the file store's `models/`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::path::Path;

use runlens_core::{ModelVersion, RegisteredModel};
use rusqlite::Connection;
use serde_norway::Value;

use super::convert;
use crate::reader::ReadOutput;

/// One model version's fields as both stores hold them.
#[derive(Debug, Default)]
pub struct VersionFields {
    /// The version number.
    pub version: i64,
    /// Producing run.
    pub run_id: Option<String>,
    /// `current_stage` (`None`, `Staging`, ...).
    pub stage: Option<String>,
    /// Description (markdown).
    pub description: Option<String>,
    /// `READY`, ...
    pub status: Option<String>,
    /// Where the model files are.
    pub source: Option<String>,
    /// Creation time, ms since the epoch.
    pub created_ms: Option<i64>,
}

impl VersionFields {
    /// The version in model form; empty texts count as absent.
    pub fn into_version(
        self,
        aliases: Vec<String>,
        tags: BTreeMap<String, String>,
    ) -> ModelVersion {
        let some = |t: Option<String>| t.filter(|t| !t.is_empty());
        ModelVersion {
            version: self.version.to_string(),
            run_id: some(self.run_id),
            stage: some(self.stage),
            aliases,
            description: some(self.description),
            status: some(self.status),
            model_source: some(self.source),
            created: self.created_ms.map(convert::ms_to_secs),
            tags,
        }
    }
}

/// The registry of a SQLite store; empty when the store has no registry tables (MLflow
/// before 1.2).
pub fn from_sqlite(
    conn: &Connection,
    tables: &HashSet<String>,
) -> rusqlite::Result<Vec<RegisteredModel>> {
    if !tables.contains("registered_models") || !tables.contains("model_versions") {
        return Ok(Vec::new());
    }
    let mut models: BTreeMap<String, RegisteredModel> = BTreeMap::new();
    let mut stmt = conn.prepare("SELECT name, description FROM registered_models ORDER BY name")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let name: String = row.get(0)?;
        let description: Option<String> = row.get(1)?;
        models.insert(
            name.clone(),
            RegisteredModel {
                name,
                description: description.filter(|d| !d.is_empty()),
                ..RegisteredModel::default()
            },
        );
    }
    if tables.contains("registered_model_tags") {
        let mut stmt = conn.prepare("SELECT name, key, value FROM registered_model_tags")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let name: String = row.get(0)?;
            if let Some(model) = models.get_mut(&name) {
                let value: Option<String> = row.get(2)?;
                model.tags.insert(row.get(1)?, value.unwrap_or_default());
            }
        }
    }
    let mut aliases: HashMap<(String, i64), Vec<String>> = HashMap::new();
    if tables.contains("registered_model_aliases") {
        let mut stmt = conn
            .prepare("SELECT name, version, alias FROM registered_model_aliases ORDER BY alias")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            aliases
                .entry((row.get(0)?, row.get(1)?))
                .or_default()
                .push(row.get(2)?);
        }
    }
    let mut version_tags: HashMap<(String, i64), BTreeMap<String, String>> = HashMap::new();
    if tables.contains("model_version_tags") {
        let mut stmt = conn.prepare("SELECT name, version, key, value FROM model_version_tags")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let value: Option<String> = row.get(3)?;
            version_tags
                .entry((row.get(0)?, row.get(1)?))
                .or_default()
                .insert(row.get(2)?, value.unwrap_or_default());
        }
    }
    let mut stmt = conn.prepare(
        "SELECT name, version, run_id, current_stage, description, status, source, creation_time \
         FROM model_versions ORDER BY name, version",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let name: String = row.get(0)?;
        let Some(model) = models.get_mut(&name) else {
            continue;
        };
        let fields = VersionFields {
            version: row.get(1)?,
            run_id: row.get(2)?,
            stage: row.get(3)?,
            description: row.get(4)?,
            status: row.get(5)?,
            source: row.get(6)?,
            created_ms: row.get(7)?,
        };
        let key = (name, fields.version);
        let version = fields.into_version(
            aliases.remove(&key).unwrap_or_default(),
            version_tags.remove(&key).unwrap_or_default(),
        );
        model.versions.push(version);
    }
    Ok(models.into_values().collect())
}

/// The registry of a file store (`<root>/models/<name>/meta.yaml`,
/// `version-<n>/meta.yaml`, `tags/`, `aliases`); damaged metas are warnings naming them.
pub fn from_file_store(root: &Path, out: &mut ReadOutput) -> Vec<RegisteredModel> {
    let models_dir = root.join("models");
    let Ok(entries) = fs::read_dir(&models_dir) else {
        return Vec::new();
    };
    let mut dirs: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let mut models = Vec::new();
    for dir in dirs {
        let meta_path = dir.join("meta.yaml");
        let Some(meta) = load_yaml(&meta_path, out) else {
            continue;
        };
        let Some(name) = meta.get("name").and_then(Value::as_str) else {
            out.warn_at(&meta_path, None, "no model name; skipped");
            continue;
        };
        let mut aliases: HashMap<i64, Vec<String>> = HashMap::new();
        if let Some(Value::Mapping(map)) = meta.get("aliases") {
            for (alias, version) in map {
                if let (Some(alias), Some(version)) = (alias.as_str(), yaml_int(version)) {
                    aliases.entry(version).or_default().push(alias.to_string());
                }
            }
        }
        let mut versions: Vec<(i64, ModelVersion)> = Vec::new();
        for version_dir in subdirs_named(&dir, "version-") {
            let path = version_dir.join("meta.yaml");
            let Some(v) = load_yaml(&path, out) else {
                continue;
            };
            let Some(number) = v.get("version").and_then(yaml_int) else {
                out.warn_at(&path, None, "no version number; skipped");
                continue;
            };
            let text = |key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
            let fields = VersionFields {
                version: number,
                run_id: text("run_id"),
                stage: text("current_stage"),
                description: text("description"),
                status: text("status"),
                source: text("source"),
                created_ms: v.get("creation_timestamp").and_then(yaml_int),
            };
            let mut version_aliases = aliases.remove(&number).unwrap_or_default();
            version_aliases.sort();
            let tags = tag_files(&version_dir.join("tags"), out);
            versions.push((number, fields.into_version(version_aliases, tags)));
        }
        versions.sort_by_key(|(n, _)| *n);
        models.push(RegisteredModel {
            name: name.to_string(),
            description: meta
                .get("description")
                .and_then(Value::as_str)
                .filter(|d| !d.is_empty())
                .map(str::to_string),
            tags: tag_files(&dir.join("tags"), out),
            versions: versions.into_iter().map(|(_, v)| v).collect(),
            ..RegisteredModel::default()
        });
    }
    models
}

fn subdirs_named(dir: &Path, prefix: &str) -> Vec<std::path::PathBuf> {
    let mut dirs: Vec<_> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn tag_files(dir: &Path, out: &mut ReadOutput) -> BTreeMap<String, String> {
    let mut tags = BTreeMap::new();
    for entry in fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
    {
        let path = entry.path();
        if !path.is_file() {
            continue;
        }
        match fs::read_to_string(&path) {
            Ok(value) => {
                tags.insert(entry.file_name().to_string_lossy().into_owned(), value);
            }
            Err(e) => out.warn_at(&path, None, format!("tag cannot be read: {e}; skipped")),
        }
    }
    tags
}

fn yaml_int(value: &Value) -> Option<i64> {
    value
        .as_i64()
        .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
}

fn load_yaml(path: &Path, out: &mut ReadOutput) -> Option<Value> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            out.warn_at(path, None, format!("cannot be read: {e}; model skipped"));
            return None;
        }
    };
    match serde_norway::from_str::<Value>(&text) {
        Ok(value @ Value::Mapping(_)) => Some(value),
        Ok(_) | Err(_) => {
            out.warn_at(path, None, "not a valid YAML mapping; skipped");
            None
        }
    }
}
