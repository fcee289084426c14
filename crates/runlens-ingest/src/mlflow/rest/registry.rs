//! The model registry over the REST API: `registered-models/search` (with each model's
//! aliases) and `model-versions/search`, both paged, mapped by the local stores' own
//! [`VersionFields`] so that the three agree: models by name, versions by number, aliases
//! sorted, empty texts absent.

use std::collections::{BTreeMap, HashMap};

use runlens_core::{ModelVersion, RegisteredModel};

use super::client::{Client, RestError};
use super::{PageSizes, api, endpoint, next_page};
use crate::mlflow::registry::VersionFields;
use crate::reader::ReadOutput;

/// Reads every registered model and version into `out`. A server without a registry
/// (an error status on the first request) is a warning, not an error.
pub fn read(client: &Client, pages: PageSizes, out: &mut ReadOutput) -> Result<(), RestError> {
    let models = match models(client, pages.models) {
        Ok(models) => models,
        Err(e) if e.is_unreachable() => return Err(e),
        Err(e) => {
            out.warn_file(format!("the model registry could not be read: {e}"));
            return Ok(());
        }
    };
    if models.is_empty() {
        return Ok(());
    }
    let mut versions = match versions(client, pages.versions) {
        Ok(versions) => versions,
        Err(e) if e.is_unreachable() => return Err(e),
        Err(e) => {
            out.warn_file(format!(
                "the model registry's versions could not be read: {e}; models listed without them"
            ));
            HashMap::new()
        }
    };
    let mut models = models;
    models.sort_by(|a, b| a.name.cmp(&b.name));
    for model in models {
        let mut aliases: HashMap<i64, Vec<String>> = HashMap::new();
        for alias in model.aliases {
            if let Some(version) = alias.version.and_then(|v| v.trim().parse().ok()) {
                aliases.entry(version).or_default().push(alias.alias);
            }
        }
        let mut fields = versions.remove(&model.name).unwrap_or_default();
        fields.sort_by_key(|(fields, _)| fields.version);
        let versions: Vec<ModelVersion> = fields
            .into_iter()
            .map(|(fields, tags)| {
                let mut aliases = aliases.remove(&fields.version).unwrap_or_default();
                aliases.sort();
                fields.into_version(aliases, tags)
            })
            .collect();
        out.add_model(RegisteredModel {
            name: model.name,
            description: model.description.filter(|d| !d.is_empty()),
            tags: tags(model.tags),
            versions,
            ..RegisteredModel::default()
        });
    }
    Ok(())
}

fn tags(list: Vec<api::KeyValue>) -> BTreeMap<String, String> {
    list.into_iter()
        .map(|t| (t.key, t.value.unwrap_or_default()))
        .collect()
}

fn models(client: &Client, page_size: u32) -> Result<Vec<api::RegisteredModel>, RestError> {
    let page_size = page_size.to_string();
    let mut list = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut query = vec![("max_results", page_size.as_str())];
        if let Some(token) = &token {
            query.push(("page_token", token));
        }
        let page: api::RegisteredModelsPage = client.get_json(endpoint::MODELS, &query)?;
        list.extend(page.registered_models);
        if !next_page(client, endpoint::MODELS, &mut token, page.next_page_token)? {
            return Ok(list);
        }
    }
}

/// A version's fields and tags.
type Version = (VersionFields, BTreeMap<String, String>);

/// Every version of every model, by model name (a version whose number is not a whole
/// number is left out: no store has one).
fn versions(client: &Client, page_size: u32) -> Result<HashMap<String, Vec<Version>>, RestError> {
    let page_size = page_size.to_string();
    let mut by_model: HashMap<String, Vec<Version>> = HashMap::new();
    let mut token: Option<String> = None;
    loop {
        let mut query = vec![("max_results", page_size.as_str())];
        if let Some(token) = &token {
            query.push(("page_token", token));
        }
        let page: api::ModelVersionsPage = client.get_json(endpoint::VERSIONS, &query)?;
        for v in page.model_versions {
            let Some(version) = v.version.and_then(|n| n.trim().parse().ok()) else {
                continue;
            };
            let fields = VersionFields {
                version,
                run_id: v.run_id,
                stage: v.current_stage,
                description: v.description,
                status: v.status,
                source: v.source,
                created_ms: v.creation_timestamp,
            };
            by_model
                .entry(v.name)
                .or_default()
                .push((fields, tags(v.tags)));
        }
        if !next_page(client, endpoint::VERSIONS, &mut token, page.next_page_token)? {
            return Ok(by_model);
        }
    }
}
