//! A running MLflow tracking server, read over its REST API (`runlens build
//! http://127.0.0.1:5000`): experiments, then runs page by page, each run with the full
//! history of every metric key and its artifacts, then the model registry. Runs are mapped
//! by the same `convert` functions as the SQLite and file stores, so the three agree. See
//! `docs/input-formats.md` for the endpoints and what each error means.

mod api;
mod artifacts;
mod client;
mod pool;
mod registry;
mod runs;
#[cfg(test)]
mod tests;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use serde_json::json;

use crate::error::ReadError;
use crate::reader::{FileWarnings, ReadOutput};
use client::{Client, RestError};
use runs::RunReader;

pub use client::Timeouts;

/// The endpoints read, below the server's base URL.
mod endpoint {
    pub const EXPERIMENTS: &str = "/api/2.0/mlflow/experiments/search";
    pub const RUNS: &str = "/api/2.0/mlflow/runs/search";
    pub const HISTORY: &str = "/api/2.0/mlflow/metrics/get-history";
    pub const ARTIFACTS: &str = "/api/2.0/mlflow/artifacts/list";
    pub const ARTIFACT: &str = "/get-artifact";
    pub const MODELS: &str = "/api/2.0/mlflow/registered-models/search";
    pub const VERSIONS: &str = "/api/2.0/mlflow/model-versions/search";
}

/// Page sizes asked for: the largest each endpoint of MLflow 3 accepts (fewer requests), or
/// smaller ones in tests.
#[derive(Debug, Clone, Copy)]
pub struct PageSizes {
    /// `experiments/search` (MLflow's limit: 50,000).
    pub experiments: u32,
    /// `runs/search` (limit 50,000; each run carries all its params and tags).
    pub runs: u32,
    /// `metrics/get-history` (limit 25,000).
    pub history: u32,
    /// `registered-models/search` (limit 1,000).
    pub models: u32,
    /// `model-versions/search` (limit 200,000).
    pub versions: u32,
}

impl Default for PageSizes {
    fn default() -> Self {
        Self {
            experiments: 1_000,
            runs: 1_000,
            history: 25_000,
            models: 1_000,
            versions: 10_000,
        }
    }
}

/// How many requests are in flight at once (histories and artifact listings of a page of
/// runs): MLflow's server runs 4 workers by default.
pub const PARALLEL_REQUESTS: usize = 4;

/// How a server is read: timeouts, page sizes and requests at once.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Connect and read timeouts.
    pub timeouts: Timeouts,
    /// Page sizes.
    pub pages: PageSizes,
    /// Requests in flight at once (1: one after the other).
    pub parallel: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            timeouts: Timeouts::default(),
            pages: PageSizes::default(),
            parallel: PARALLEL_REQUESTS,
        }
    }
}

/// At most this many experiment ids per `runs/search` request.
const EXPERIMENTS_PER_SEARCH: usize = 100;

/// Whether `text` is the URL of a tracking server (`http://` or `https://`).
pub fn is_server_url(text: &str) -> bool {
    let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// Reads the tracking server at `url` into `out`.
pub fn read(url: &str, out: &mut ReadOutput) -> Result<(), ReadError> {
    read_with(url, out, Settings::default())
}

/// [`read`] with the given timeouts, page sizes and parallelism.
pub fn read_with(url: &str, out: &mut ReadOutput, settings: Settings) -> Result<(), ReadError> {
    let source = Path::new(url);
    let fail = |e: RestError| ReadError::invalid(source, e.to_string());
    let client = Client::new(url, settings.timeouts);
    let include_deleted = out.options().include_deleted;
    let experiments =
        experiments(&client, include_deleted, settings.pages.experiments).map_err(fail)?;
    let ids: Vec<String> = experiments
        .iter()
        .filter(|(_, name)| out.options().wants_experiment(Some(name)))
        .map(|(id, _)| id.clone())
        .collect();
    let names: HashMap<String, String> = experiments.iter().cloned().collect();
    let mut reader = RunReader {
        client: &client,
        settings,
        names: &names,
        warnings: FileWarnings::new(source),
        unknown_status: BTreeSet::new(),
        seen: HashSet::new(),
    };
    let result = ids
        .chunks(EXPERIMENTS_PER_SEARCH)
        .try_for_each(|chunk| reader.search(chunk, include_deleted, out));
    let unknown = std::mem::take(&mut reader.unknown_status);
    for status in unknown {
        out.warn_file(format!("unknown run status {status:?}; shown as unknown"));
    }
    let RunReader { warnings, .. } = reader;
    warnings.finish(out);
    result.map_err(fail)?;
    registry::read(&client, settings.pages, out).map_err(fail)
}

/// Every experiment (id, name), deleted ones too when `include_deleted`.
fn experiments(
    client: &Client,
    include_deleted: bool,
    page_size: u32,
) -> Result<Vec<(String, String)>, RestError> {
    let view_type = if include_deleted {
        "ALL"
    } else {
        "ACTIVE_ONLY"
    };
    let mut list = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut body = json!({"max_results": page_size, "view_type": view_type});
        if let Some(token) = &token {
            body["page_token"] = json!(token);
        }
        let page: api::ExperimentsPage = client.post_json(endpoint::EXPERIMENTS, &body)?;
        for e in page.experiments {
            let deleted = e.lifecycle_stage.as_deref() == Some("deleted");
            if let Some(id) = e.experiment_id
                && (include_deleted || !deleted)
            {
                list.push((id, e.name));
            }
        }
        if !next_page(
            client,
            endpoint::EXPERIMENTS,
            &mut token,
            page.next_page_token,
        )? {
            return Ok(list);
        }
    }
}

/// Moves `token` on to `next`; false when there is no next page. A server that hands out
/// the same token again would be paged forever: that is an error.
fn next_page(
    client: &Client,
    endpoint: &str,
    token: &mut Option<String>,
    next: Option<String>,
) -> Result<bool, RestError> {
    let Some(next) = next.filter(|t| !t.is_empty()) else {
        return Ok(false);
    };
    if token.as_deref() == Some(next.as_str()) {
        return Err(RestError::Json {
            url: client.url(endpoint),
            reason: format!("the same next_page_token {next:?} came twice; paging stopped"),
        });
    }
    *token = Some(next);
    Ok(true)
}
