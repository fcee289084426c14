//! The JSON an MLflow tracking server answers with (REST API 2.0, as MLflow's
//! `message_to_json` writes it): only the fields runlens reads, each optional, so that an
//! older or newer server's extra or missing fields never fail a read. Integers may come as
//! JSON numbers (MLflow) or strings (protobuf's own JSON mapping of int64); floats as
//! numbers or the strings `NaN`, `Infinity` and `-Infinity`.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer};

/// `POST /api/2.0/mlflow/experiments/search`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ExperimentsPage {
    pub experiments: Vec<Experiment>,
    pub next_page_token: Option<String>,
}

/// One experiment.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Experiment {
    #[serde(deserialize_with = "lenient_text")]
    pub experiment_id: Option<String>,
    pub name: String,
    pub lifecycle_stage: Option<String>,
}

/// `POST /api/2.0/mlflow/runs/search`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RunsPage {
    pub runs: Vec<ApiRun>,
    pub next_page_token: Option<String>,
}

/// One run: its info, data (params, tags, latest metrics) and inputs.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ApiRun {
    pub info: RunInfo,
    pub data: RunData,
    pub inputs: RunInputs,
}

/// `Run.info`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RunInfo {
    pub run_id: Option<String>,
    /// The older name of `run_id`, still sent.
    pub run_uuid: Option<String>,
    pub run_name: Option<String>,
    #[serde(deserialize_with = "lenient_text")]
    pub experiment_id: Option<String>,
    pub status: Option<String>,
    #[serde(deserialize_with = "lenient_i64")]
    pub start_time: Option<i64>,
    #[serde(deserialize_with = "lenient_i64")]
    pub end_time: Option<i64>,
    pub lifecycle_stage: Option<String>,
}

/// `Run.data`: params and tags in full, metrics only as their latest value (the keys tell
/// which histories to fetch).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RunData {
    pub metrics: Vec<Metric>,
    pub params: Vec<KeyValue>,
    pub tags: Vec<KeyValue>,
}

/// A param or tag. MLflow always sends strings; a missing value is empty.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct KeyValue {
    pub key: String,
    #[serde(deserialize_with = "lenient_text")]
    pub value: Option<String>,
}

/// `Run.inputs`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RunInputs {
    pub dataset_inputs: Vec<DatasetInput>,
}

/// One dataset input: the dataset and the input's tags (`mlflow.data.context`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DatasetInput {
    pub tags: Vec<KeyValue>,
    pub dataset: Dataset,
}

/// A dataset as MLflow records it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Dataset {
    pub name: String,
    pub digest: String,
    pub source: String,
}

/// One metric point.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Metric {
    pub key: String,
    #[serde(deserialize_with = "lenient_f64")]
    pub value: Option<f64>,
    #[serde(deserialize_with = "lenient_i64")]
    pub timestamp: Option<i64>,
    #[serde(deserialize_with = "lenient_i64")]
    pub step: Option<i64>,
}

/// `GET /api/2.0/mlflow/metrics/get-history`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct HistoryPage {
    pub metrics: Vec<Metric>,
    pub next_page_token: Option<String>,
}

/// `GET /api/2.0/mlflow/artifacts/list`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ArtifactsPage {
    pub files: Vec<FileInfo>,
    pub next_page_token: Option<String>,
}

/// One entry of an artifact listing; `path` is relative to the run's artifact root.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FileInfo {
    pub path: String,
    pub is_dir: bool,
    #[serde(deserialize_with = "lenient_i64")]
    pub file_size: Option<i64>,
}

/// `GET /api/2.0/mlflow/registered-models/search`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RegisteredModelsPage {
    pub registered_models: Vec<RegisteredModel>,
    pub next_page_token: Option<String>,
}

/// A registered model; its versions come from `model-versions/search`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RegisteredModel {
    pub name: String,
    pub description: Option<String>,
    pub tags: Vec<KeyValue>,
    pub aliases: Vec<Alias>,
}

/// An alias of a registered model and the version it points at.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Alias {
    pub alias: String,
    #[serde(deserialize_with = "lenient_text")]
    pub version: Option<String>,
}

/// `GET /api/2.0/mlflow/model-versions/search`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ModelVersionsPage {
    pub model_versions: Vec<ModelVersion>,
    pub next_page_token: Option<String>,
}

/// One version of a registered model.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ModelVersion {
    pub name: String,
    #[serde(deserialize_with = "lenient_text")]
    pub version: Option<String>,
    #[serde(deserialize_with = "lenient_i64")]
    pub creation_timestamp: Option<i64>,
    pub current_stage: Option<String>,
    pub description: Option<String>,
    pub source: Option<String>,
    pub run_id: Option<String>,
    pub status: Option<String>,
    pub tags: Vec<KeyValue>,
}

/// The body of an MLflow error answer (`{"error_code": ..., "message": ...}`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ErrorBody {
    pub error_code: Option<String>,
    pub message: Option<String>,
}

/// A JSON scalar, whatever the field's declared type (read without buffering: history
/// pages hold tens of thousands of points).
enum Scalar {
    Int(i64),
    Float(f64),
    Text(String),
    /// `null`, a boolean, or anything else a number field should not hold.
    Other,
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number, a string or null")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(i64::try_from(v).map_or(Scalar::Float(v as f64), Scalar::Int))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Text(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar::Text(v))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Scalar, E> {
        Ok(Scalar::Other)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Other)
    }

    fn visit_none<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Other)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Scalar, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
        while seq.next_element::<de::IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
        while map
            .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
            .is_some()
        {}
        Ok(Scalar::Other)
    }
}

/// An integer sent as a number or as a decimal string; anything else is `None`.
fn lenient_i64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    Ok(match Scalar::deserialize(deserializer)? {
        Scalar::Int(i) => Some(i),
        Scalar::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e18 => Some(f as i64),
        Scalar::Text(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// A float sent as a number or as text (`NaN`, `Infinity`, `-Infinity`, or a decimal).
fn lenient_f64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    Ok(match Scalar::deserialize(deserializer)? {
        Scalar::Int(i) => Some(i as f64),
        Scalar::Float(f) => Some(f),
        Scalar::Text(s) => runlens_core::model::parse_float(&s),
        Scalar::Other => None,
    })
}

/// Text, also when a server sends it as a number (an id, a model version).
fn lenient_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(match Scalar::deserialize(deserializer)? {
        Scalar::Int(i) => Some(i.to_string()),
        Scalar::Float(f) => Some(f.to_string()),
        Scalar::Text(s) => Some(s),
        Scalar::Other => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_come_as_numbers_or_strings() {
        let page: HistoryPage = serde_json::from_str(
            r#"{"metrics": [
                {"key": "a", "value": "NaN", "timestamp": 5, "step": 1},
                {"key": "a", "value": "Infinity", "timestamp": "6", "step": "2"},
                {"key": "a", "value": "-Infinity"},
                {"key": "a", "value": 1.7976931348623157e+308, "step": null},
                {"key": "a", "value": 3, "unknown": [1, {"x": 2}]}
            ], "next_page_token": "t"}"#,
        )
        .unwrap();
        let values: Vec<Option<f64>> = page.metrics.iter().map(|m| m.value).collect();
        assert!(values[0].unwrap().is_nan());
        assert_eq!(values[1], Some(f64::INFINITY));
        assert_eq!(values[2], Some(f64::NEG_INFINITY));
        assert_eq!(values[3], Some(f64::MAX));
        assert_eq!(values[4], Some(3.0));
        assert_eq!(page.metrics[1].timestamp, Some(6));
        assert_eq!(page.metrics[1].step, Some(2));
        assert_eq!(page.metrics[3].step, None);
        assert_eq!(page.next_page_token.as_deref(), Some("t"));
    }

    #[test]
    fn missing_fields_default_and_wrong_types_fail_cleanly() {
        let page: RunsPage = serde_json::from_str(r#"{"runs": [{"info": {}}]}"#).unwrap();
        assert_eq!(page.runs.len(), 1);
        assert!(page.runs[0].data.params.is_empty());
        let empty: RunsPage = serde_json::from_str("{}").unwrap();
        assert!(empty.runs.is_empty() && empty.next_page_token.is_none());
        assert!(serde_json::from_str::<RunsPage>(r#"{"runs": 5}"#).is_err());
    }
}
