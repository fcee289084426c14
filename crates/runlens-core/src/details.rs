//! What a run holds beyond its table row: the datasets it read, the artifacts it wrote, and
//! the model registry entries made from it. The run page shows these; the runs table does
//! not, so the bundle keeps them apart from the index (see `docs/bundle-format.md`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A dataset a run used, as its tracker recorded it (MLflow dataset inputs, DVC deps, W&B
/// artifact inputs).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Dataset {
    /// The dataset's name.
    pub name: String,
    /// A content hash or version, as the tracker computed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Where the data came from (a URI, a path, or the tracker's JSON description of it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// What the run used it for: `training`, `eval`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
}

/// A distribution logged at one step (TensorBoard histograms): bucket edges and counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    /// The step.
    pub step: i64,
    /// Bucket `i` spans `edges[i]..edges[i + 1]`; `edges.len() == counts.len() + 1`.
    pub edges: Vec<f64>,
    /// Values per bucket (fractional counts are legal: TF2 interpolates).
    pub counts: Vec<f64>,
}

impl Histogram {
    /// The most steps kept per tag; more are thinned evenly, the last one always kept.
    pub const MAX_STEPS: usize = 50;

    /// Thins `steps` (in step order) to at most [`Histogram::MAX_STEPS`], keeping the first
    /// and the last.
    pub fn thin(steps: Vec<Histogram>) -> Vec<Histogram> {
        let n = steps.len();
        if n <= Self::MAX_STEPS {
            return steps;
        }
        let keep: std::collections::BTreeSet<usize> = (0..Self::MAX_STEPS)
            .map(|i| i * (n - 1) / (Self::MAX_STEPS - 1))
            .collect();
        steps
            .into_iter()
            .enumerate()
            .filter(|(i, _)| keep.contains(i))
            .map(|(_, h)| h)
            .collect()
    }
}

/// A file a run saved beside its metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artifact {
    /// Path relative to the run's artifact root, `/`-separated.
    pub path: String,
    /// Size in bytes, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// The file itself, when it is small enough and of a kind the page can show; readers
    /// embed content only within the artifact budget ([`ArtifactBudget`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<ArtifactContent>,
}

/// The bytes of an artifact embedded in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactContent {
    /// What the page does with it.
    pub kind: ArtifactKind,
    /// A MIME type for the bytes (`image/png`, `text/plain`, ...).
    pub media_type: String,
    /// The file's bytes, unchanged.
    #[serde(with = "bytes_as_len")]
    pub bytes: Vec<u8>,
}

/// How the page shows an embedded artifact.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum ArtifactKind {
    /// A PNG, JPEG, GIF or WebP image, shown as an image.
    Image,
    /// Plain text (logs, YAML, requirements), shown as text.
    #[default]
    Text,
    /// JSON, shown as text.
    Json,
    /// An HTML document, shown only in a sandboxed frame with scripts disabled.
    Html,
}

impl ArtifactKind {
    /// The kind and MIME type of a file the page can show, from its name (and, for images,
    /// its first bytes); `None` for anything else.
    pub fn sniff(path: &str, head: &[u8]) -> Option<(ArtifactKind, &'static str)> {
        let lower = path.to_ascii_lowercase();
        let ext = lower.rsplit_once('.').map_or("", |(_, ext)| ext);
        let image = if head.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some("image/png")
        } else if head.starts_with(b"\xFF\xD8\xFF") {
            Some("image/jpeg")
        } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
            Some("image/gif")
        } else if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
            Some("image/webp")
        } else {
            None
        };
        if let Some(media_type) = image {
            return Some((ArtifactKind::Image, media_type));
        }
        Some(match ext {
            "json" => (ArtifactKind::Json, "application/json"),
            "html" | "htm" => (ArtifactKind::Html, "text/html"),
            "txt" | "log" | "md" | "yaml" | "yml" | "toml" | "csv" | "tsv" | "py" | "cfg"
            | "ini" => (ArtifactKind::Text, "text/plain"),
            // MLflow writes these without an extension.
            _ if lower.ends_with("mlmodel") || lower.ends_with("requirements") => {
                (ArtifactKind::Text, "text/plain")
            }
            _ => return None,
        })
    }

    /// The lowercase name used in the bundle and `inspect --json`.
    pub fn as_str(self) -> &'static str {
        match self {
            ArtifactKind::Image => "image",
            ArtifactKind::Text => "text",
            ArtifactKind::Json => "json",
            ArtifactKind::Html => "html",
        }
    }
}

/// How many artifact bytes a read may still embed. Readers ask it before copying a file
/// into the report; what does not fit is listed without content, and counted
/// ([`ArtifactBudget::left_out`]) so the report can say so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArtifactBudget {
    remaining: u64,
    left_out: u64,
    left_out_bytes: u64,
}

impl ArtifactBudget {
    /// The default total: enough for a sweep's plots, small enough to email.
    pub const DEFAULT_BYTES: u64 = 4 * 1024 * 1024;

    /// A budget of `bytes` in all.
    pub fn new(bytes: u64) -> Self {
        Self {
            remaining: bytes,
            left_out: 0,
            left_out_bytes: 0,
        }
    }

    /// Bytes left.
    pub fn remaining(&self) -> u64 {
        self.remaining
    }

    /// Takes `size` bytes from the budget if they fit; false (nothing taken, the file
    /// counted as left out) otherwise.
    pub fn take(&mut self, size: u64) -> bool {
        if self.fits(size) {
            self.remaining -= size;
            true
        } else {
            false
        }
    }

    /// Whether `size` bytes fit, without taking them; a file that does not fit is counted
    /// as left out.
    pub fn fits(&mut self, size: u64) -> bool {
        let fits = size <= self.remaining;
        if !fits {
            self.left_out += 1;
            self.left_out_bytes = self.left_out_bytes.saturating_add(size);
        }
        fits
    }

    /// Gives back `size` bytes taken for a file that was not embedded after all.
    pub fn give_back(&mut self, size: u64) {
        self.remaining = self.remaining.saturating_add(size);
    }

    /// How many files, of how many bytes in all, did not fit.
    pub fn left_out(&self) -> (u64, u64) {
        (self.left_out, self.left_out_bytes)
    }
}

impl Default for ArtifactBudget {
    fn default() -> Self {
        Self::new(Self::DEFAULT_BYTES)
    }
}

/// A model in a tracker's model registry (MLflow registered models).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RegisteredModel {
    /// The reader that produced it (`mlflow`), as [`crate::Run::source`].
    pub source: String,
    /// The model's registry name.
    pub name: String,
    /// Its description, markdown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Registry tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// Versions, oldest first.
    pub versions: Vec<ModelVersion>,
}

/// One version of a [`RegisteredModel`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelVersion {
    /// The version number as the registry shows it (`1`, `2`, ...).
    pub version: String,
    /// The id of the run that produced it, where known (a run of the same source).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// Legacy stage: `None`, `Staging`, `Production`, `Archived`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// Aliases pointing at this version (`champion`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// The version's description, markdown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Registration status (`READY`, `PENDING_REGISTRATION`, `FAILED_REGISTRATION`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Where the model's files are (`models:/...`, `runs:/...`, a path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_source: Option<String>,
    /// Creation time, seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<f64>,
    /// Version tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// `inspect --json` shows an embedded artifact's size, not its bytes; deserializing gives
/// an empty body (the bundle, not JSON, carries content).
mod bytes_as_len {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(bytes.len() as u64)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        u64::deserialize(deserializer).map(|_| Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniff_trusts_image_magic_over_the_name() {
        let png = b"\x89PNG\r\n\x1a\n....";
        assert_eq!(
            ArtifactKind::sniff("plot.txt", png),
            Some((ArtifactKind::Image, "image/png"))
        );
        assert_eq!(ArtifactKind::sniff("plot.png", b"not a png"), None);
        assert_eq!(
            ArtifactKind::sniff("model/MLmodel", b"flavors:"),
            Some((ArtifactKind::Text, "text/plain"))
        );
        assert_eq!(
            ArtifactKind::sniff("report.HTML", b"<html>"),
            Some((ArtifactKind::Html, "text/html"))
        );
        assert_eq!(ArtifactKind::sniff("weights.pt", b"PK"), None);
    }

    #[test]
    fn thinning_keeps_first_and_last_and_the_cap() {
        let steps: Vec<Histogram> = (0..500)
            .map(|step| Histogram {
                step,
                ..Histogram::default()
            })
            .collect();
        let kept = Histogram::thin(steps);
        assert_eq!(kept.len(), Histogram::MAX_STEPS);
        assert_eq!((kept[0].step, kept[kept.len() - 1].step), (0, 499));
    }

    #[test]
    fn budget_takes_only_what_fits() {
        let mut budget = ArtifactBudget::new(10);
        assert!(budget.take(6));
        assert!(!budget.take(5));
        assert!(budget.take(4));
        assert_eq!(budget.remaining(), 0);
    }
}
