//! Run details in the bundle: what the run page shows and the runs table does not. Notes,
//! datasets and artifact lists live in detail files (kind 3) loaded when a run is opened;
//! embedded artifact bytes are plain files of their own; the index holds the parent links,
//! the directories of both, and the model registry (small, shown with the runs).

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::BundleError;
use super::container::{self, FileKind};
use crate::details::{
    Artifact, ArtifactContent, ArtifactKind, Dataset, Histogram, ModelVersion, RegisteredModel,
};
use crate::model::Run;

/// A detail file is closed once its payload reaches this many bytes, so opening one run
/// never loads the details of thousands.
pub const DETAIL_FILE_BYTES: usize = 256 * 1024;

/// One entry of the detail-file directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetailRef {
    /// Position in the directory, also the file's name (`details/N.rlb`).
    pub id: u32,
    /// Rows whose details the file holds, ascending.
    pub runs: Vec<u32>,
    /// The file's size.
    pub bytes: u64,
}

/// One embedded artifact file (`files/N`), raw bytes with no envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRef {
    /// Position in the directory, also the file's name.
    pub id: u32,
    /// How the page shows it: [`ArtifactKind`] code 0 image, 1 text, 2 JSON, 3 HTML.
    pub kind: u8,
    /// MIME type of the bytes.
    pub media_type: String,
    /// Size in bytes.
    pub bytes: u64,
    /// CRC-32 (IEEE) of the bytes.
    pub crc32: u32,
}

/// The payload of a detail file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetailBody {
    /// One entry per run, ascending by row, the runs of the directory entry.
    pub runs: Vec<RunDetail>,
}

/// The details of one run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunDetail {
    /// Row in the run table.
    pub run: u32,
    /// Markdown notes.
    pub notes: Option<String>,
    /// Datasets used.
    pub datasets: Vec<DatasetEntry>,
    /// Artifacts saved, by path.
    pub artifacts: Vec<ArtifactEntry>,
    /// Logged distributions, by tag.
    pub histograms: Vec<HistogramEntry>,
}

/// The distributions of one tag, in step order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HistogramEntry {
    /// The tag.
    pub tag: String,
    /// One entry per kept step.
    pub steps: Vec<HistogramStep>,
}

/// One step's distribution: `edges.len() == counts.len() + 1`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HistogramStep {
    /// The step.
    pub step: i64,
    /// Bucket edges, ascending.
    pub edges: Vec<f64>,
    /// Values per bucket.
    pub counts: Vec<f64>,
}

/// A dataset as stored (every field explicit: the wire format has no field names).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetEntry {
    /// Name.
    pub name: String,
    /// Digest or version.
    pub digest: Option<String>,
    /// Source description.
    pub source: Option<String>,
    /// Use (`training`, `eval`, ...).
    pub context: Option<String>,
}

/// An artifact as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactEntry {
    /// Path relative to the run's artifact root.
    pub path: String,
    /// Size in bytes, when known.
    pub size: Option<u64>,
    /// The embedded file holding its bytes, when it was embedded.
    pub file: Option<u32>,
}

/// A registered model as stored in the index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelEntry {
    /// Reader that produced it.
    pub source: String,
    /// Registry name.
    pub name: String,
    /// Markdown description.
    pub description: Option<String>,
    /// Tags, sorted by key.
    pub tags: Vec<(String, String)>,
    /// Versions, oldest first.
    pub versions: Vec<VersionEntry>,
}

/// A model version as stored in the index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionEntry {
    /// Version as shown.
    pub version: String,
    /// Id of the producing run.
    pub run_id: Option<String>,
    /// Row of the producing run when it is in the report.
    pub run_row: Option<u32>,
    /// Legacy stage.
    pub stage: Option<String>,
    /// Aliases.
    pub aliases: Vec<String>,
    /// Markdown description.
    pub description: Option<String>,
    /// Registration status.
    pub status: Option<String>,
    /// Where the model files are.
    pub model_source: Option<String>,
    /// Creation time, epoch seconds; NaN when unknown.
    pub created: f64,
    /// Tags, sorted by key.
    pub tags: Vec<(String, String)>,
}

/// What [`encode`] adds to a bundle.
#[derive(Debug, Default)]
pub struct EncodedDetails {
    /// Parent row + 1 per run, 0 for none (see `RunTable::parents`).
    pub parents: Vec<u32>,
    /// Detail directory.
    pub detail_refs: Vec<DetailRef>,
    /// Detail files, by id.
    pub detail_files: Vec<Vec<u8>>,
    /// Embedded-file directory.
    pub file_refs: Vec<FileRef>,
    /// Embedded files, by id.
    pub files: Vec<Vec<u8>>,
    /// The model registry.
    pub models: Vec<ModelEntry>,
}

/// The kind code of an artifact kind.
pub fn kind_code(kind: ArtifactKind) -> u8 {
    match kind {
        ArtifactKind::Image => 0,
        ArtifactKind::Text => 1,
        ArtifactKind::Json => 2,
        ArtifactKind::Html => 3,
    }
}

/// Inverse of [`kind_code`].
pub fn kind_from_code(code: u8) -> Option<ArtifactKind> {
    Some(match code {
        0 => ArtifactKind::Image,
        1 => ArtifactKind::Text,
        2 => ArtifactKind::Json,
        3 => ArtifactKind::Html,
        _ => return None,
    })
}

/// Encodes the details of `runs` (in table order) and the registry.
pub fn encode(runs: &[Run], models: &[RegisteredModel]) -> EncodedDetails {
    let mut out = EncodedDetails::default();
    let rows: HashMap<(&str, Option<&str>, &str), u32> = runs
        .iter()
        .enumerate()
        .map(|(row, r)| {
            (
                (r.source.as_str(), r.experiment.as_deref(), r.id.as_str()),
                row as u32,
            )
        })
        .collect();
    out.parents = runs
        .iter()
        .map(|r| {
            r.parent_id
                .as_deref()
                .and_then(|p| rows.get(&(r.source.as_str(), r.experiment.as_deref(), p)))
                .map_or(0, |row| row + 1)
        })
        .collect();

    let mut pending: Vec<RunDetail> = Vec::new();
    let mut pending_bytes = 0usize;
    for (row, run) in runs.iter().enumerate() {
        if run.notes.is_none()
            && run.datasets.is_empty()
            && run.artifacts.is_empty()
            && run.histograms.is_empty()
        {
            continue;
        }
        let detail = RunDetail {
            run: row as u32,
            notes: run.notes.clone(),
            datasets: run.datasets.iter().map(dataset_entry).collect(),
            artifacts: run
                .artifacts
                .iter()
                .map(|a| artifact_entry(a, &mut out.file_refs, &mut out.files))
                .collect(),
            histograms: run
                .histograms
                .iter()
                .map(|(tag, steps)| HistogramEntry {
                    tag: tag.clone(),
                    steps: steps
                        .iter()
                        .map(|h| HistogramStep {
                            step: h.step,
                            edges: h.edges.clone(),
                            counts: h.counts.clone(),
                        })
                        .collect(),
                })
                .collect(),
        };
        pending_bytes += postcard::to_allocvec(&detail).map_or(0, |bytes| bytes.len());
        pending.push(detail);
        if pending_bytes >= DETAIL_FILE_BYTES {
            flush(&mut pending, &mut out);
            pending_bytes = 0;
        }
    }
    flush(&mut pending, &mut out);

    // Versions link to runs by id within the same source; ids of one source are unique in
    // practice (MLflow run ids are UUIDs).
    let by_id: HashMap<(&str, &str), u32> = runs
        .iter()
        .enumerate()
        .map(|(row, r)| ((r.source.as_str(), r.id.as_str()), row as u32))
        .collect();
    out.models = models
        .iter()
        .map(|m| model_entry(m, |id| by_id.get(&(m.source.as_str(), id)).copied()))
        .collect();
    out
}

fn flush(pending: &mut Vec<RunDetail>, out: &mut EncodedDetails) {
    if pending.is_empty() {
        return;
    }
    let body = DetailBody {
        runs: std::mem::take(pending),
    };
    let bytes = container::seal(
        FileKind::Detail,
        &postcard::to_allocvec(&body).expect("in-memory serialization cannot fail"),
    );
    out.detail_refs.push(DetailRef {
        id: out.detail_refs.len() as u32,
        runs: body.runs.iter().map(|d| d.run).collect(),
        bytes: bytes.len() as u64,
    });
    out.detail_files.push(bytes);
}

fn dataset_entry(d: &Dataset) -> DatasetEntry {
    DatasetEntry {
        name: d.name.clone(),
        digest: d.digest.clone(),
        source: d.source.clone(),
        context: d.context.clone(),
    }
}

fn artifact_entry(
    a: &Artifact,
    refs: &mut Vec<FileRef>,
    files: &mut Vec<Vec<u8>>,
) -> ArtifactEntry {
    let file = a.content.as_ref().map(|content| {
        let id = refs.len() as u32;
        refs.push(FileRef {
            id,
            kind: kind_code(content.kind),
            media_type: content.media_type.clone(),
            bytes: content.bytes.len() as u64,
            crc32: crc32fast::hash(&content.bytes),
        });
        files.push(content.bytes.clone());
        id
    });
    ArtifactEntry {
        path: a.path.clone(),
        size: a.size,
        file,
    }
}

fn sorted_tags(tags: &BTreeMap<String, String>) -> Vec<(String, String)> {
    tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn model_entry(m: &RegisteredModel, row_of: impl Fn(&str) -> Option<u32>) -> ModelEntry {
    ModelEntry {
        source: m.source.clone(),
        name: m.name.clone(),
        description: m.description.clone(),
        tags: sorted_tags(&m.tags),
        versions: m
            .versions
            .iter()
            .map(|v| VersionEntry {
                version: v.version.clone(),
                run_id: v.run_id.clone(),
                run_row: v.run_id.as_deref().and_then(&row_of),
                stage: v.stage.clone(),
                aliases: v.aliases.clone(),
                description: v.description.clone(),
                status: v.status.clone(),
                model_source: v.model_source.clone(),
                created: v.created.unwrap_or(f64::NAN),
                tags: sorted_tags(&v.tags),
            })
            .collect(),
    }
}

/// The registry back in model form.
pub fn models_of(entries: &[ModelEntry]) -> Vec<RegisteredModel> {
    entries
        .iter()
        .map(|m| RegisteredModel {
            source: m.source.clone(),
            name: m.name.clone(),
            description: m.description.clone(),
            tags: m.tags.iter().cloned().collect(),
            versions: m
                .versions
                .iter()
                .map(|v| ModelVersion {
                    version: v.version.clone(),
                    run_id: v.run_id.clone(),
                    stage: v.stage.clone(),
                    aliases: v.aliases.clone(),
                    description: v.description.clone(),
                    status: v.status.clone(),
                    model_source: v.model_source.clone(),
                    created: (!v.created.is_nan()).then_some(v.created),
                    tags: v.tags.iter().cloned().collect(),
                })
                .collect(),
        })
        .collect()
}

/// Decodes detail file `detail` of a table whose directory lists it, checking that it holds
/// the runs the directory says.
pub fn decode_detail(detail: &DetailRef, bytes: &[u8]) -> Result<Vec<RunDetail>, BundleError> {
    let payload = container::open(FileKind::Detail, bytes)?;
    let body: DetailBody = postcard::from_bytes(&payload)?;
    if !body
        .runs
        .iter()
        .map(|d| d.run)
        .eq(detail.runs.iter().copied())
    {
        return Err(BundleError::Corrupt(format!(
            "detail file {} holds other runs than the directory says",
            detail.id
        )));
    }
    Ok(body.runs)
}

/// Checks an embedded file against its directory entry.
pub fn check_file(file: &FileRef, bytes: &[u8]) -> Result<(), BundleError> {
    if bytes.len() as u64 != file.bytes {
        return Err(BundleError::Truncated {
            needed: file.bytes,
            got: bytes.len() as u64,
        });
    }
    if crc32fast::hash(bytes) != file.crc32 {
        return Err(BundleError::Checksum);
    }
    Ok(())
}

/// Puts a decoded detail back on its run, taking embedded bytes from `file_bytes`.
pub fn apply_detail(
    run: &mut Run,
    detail: RunDetail,
    file_refs: &[FileRef],
    file_bytes: &dyn Fn(u32) -> Option<Vec<u8>>,
) -> Result<(), BundleError> {
    run.notes = detail.notes;
    run.datasets = detail
        .datasets
        .into_iter()
        .map(|d| Dataset {
            name: d.name,
            digest: d.digest,
            source: d.source,
            context: d.context,
        })
        .collect();
    run.histograms = detail
        .histograms
        .into_iter()
        .map(|entry| {
            let steps = entry
                .steps
                .into_iter()
                .map(|h| Histogram {
                    step: h.step,
                    edges: h.edges,
                    counts: h.counts,
                })
                .collect();
            (entry.tag, steps)
        })
        .collect();
    run.artifacts = Vec::with_capacity(detail.artifacts.len());
    for a in detail.artifacts {
        let content = match a.file {
            None => None,
            Some(id) => {
                let file = file_refs.get(id as usize).ok_or_else(|| {
                    BundleError::Corrupt(format!("artifact {} names unknown file {id}", a.path))
                })?;
                let bytes = file_bytes(id).ok_or_else(|| {
                    BundleError::Corrupt(format!("embedded file {id} is missing"))
                })?;
                check_file(file, &bytes)?;
                Some(ArtifactContent {
                    kind: kind_from_code(file.kind).ok_or_else(|| {
                        BundleError::Corrupt(format!("file {id} has unknown kind {}", file.kind))
                    })?,
                    media_type: file.media_type.clone(),
                    bytes,
                })
            }
        };
        run.artifacts.push(Artifact {
            path: a.path,
            size: a.size,
            content,
        });
    }
    Ok(())
}

/// The detail-file id holding row `row`'s details, if it has any.
pub fn detail_of(refs: &[DetailRef], row: u32) -> Option<u32> {
    // Refs cover ascending, disjoint row sets in order.
    let at = refs.partition_point(|r| r.runs.last().is_some_and(|&last| last < row));
    let detail = refs.get(at)?;
    detail.runs.binary_search(&row).ok().map(|_| detail.id)
}
