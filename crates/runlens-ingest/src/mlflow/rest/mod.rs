//! A running MLflow tracking server, read over its REST API (`runlens build
//! http://127.0.0.1:5000`): experiments, then runs page by page, each run with the full
//! history of every metric key and its artifacts, then the model registry. Runs are mapped
//! by the same `convert` functions as the SQLite and file stores, so the three agree. See
//! `docs/input-formats.md` for the endpoints and what each error means.

mod api;
mod artifacts;
mod client;
mod registry;
#[cfg(test)]
mod tests;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use runlens_core::{Run, RunStatus};
use serde_json::json;

use super::convert::{self, DatasetInput, Point};
use crate::error::ReadError;
use crate::reader::{FileWarnings, ReadOutput};
use client::{Client, RestError};

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

/// How a server is read: timeouts and page sizes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Settings {
    /// Connect and read timeouts.
    pub timeouts: Timeouts,
    /// Page sizes.
    pub pages: PageSizes,
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

/// [`read`] with the given timeouts and page sizes.
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

/// The state of reading the runs of one server.
struct RunReader<'a> {
    client: &'a Client,
    settings: Settings,
    /// Experiment id → name.
    names: &'a HashMap<String, String>,
    /// Problems with one run (a metric history, its artifacts), capped.
    warnings: FileWarnings<'a>,
    unknown_status: BTreeSet<String>,
    /// Run ids read (a run that moves between pages while they are read comes once).
    seen: HashSet<String>,
}

impl RunReader<'_> {
    /// Reads every run of the experiments `ids`, page by page: each run is finished and
    /// added before the next page is asked for.
    fn search(
        &mut self,
        ids: &[String],
        include_deleted: bool,
        out: &mut ReadOutput,
    ) -> Result<(), RestError> {
        let view_type = if include_deleted {
            "ALL"
        } else {
            "ACTIVE_ONLY"
        };
        let mut token: Option<String> = None;
        loop {
            let mut body = json!({
                "experiment_ids": ids,
                "max_results": self.settings.pages.runs,
                "run_view_type": view_type,
            });
            if let Some(token) = &token {
                body["page_token"] = json!(token);
            }
            let page: api::RunsPage = self.client.post_json(endpoint::RUNS, &body)?;
            for api_run in page.runs {
                if let Some(run) = self.run(api_run, include_deleted, out)? {
                    out.add_run(run);
                }
            }
            if !next_page(
                self.client,
                endpoint::RUNS,
                &mut token,
                page.next_page_token,
            )? {
                return Ok(());
            }
        }
    }

    /// One run with its metric histories and artifacts; `None` for a run to leave out.
    fn run(
        &mut self,
        api_run: api::ApiRun,
        include_deleted: bool,
        out: &mut ReadOutput,
    ) -> Result<Option<Run>, RestError> {
        let Some(id) = api_run
            .info
            .run_id
            .clone()
            .or_else(|| api_run.info.run_uuid.clone())
        else {
            return Ok(None);
        };
        let deleted = api_run.info.lifecycle_stage.as_deref() == Some("deleted");
        if (deleted && !include_deleted) || !self.seen.insert(id.clone()) {
            return Ok(None);
        }
        let (mut run, keys) = convert_run(id, api_run, self.names, &mut self.unknown_status);
        for key in keys {
            match history(self.client, &run.id, &key, self.settings.pages.history) {
                Ok(points) if points.is_empty() => {}
                Ok(points) => {
                    run.metrics.insert(key, convert::series_from_points(points));
                }
                Err(e) if e.is_unreachable() => return Err(e),
                Err(e) => self.warnings.push(
                    out,
                    format!(
                        "run {} ({}): the history of metric {key:?} could not be read: {e}; metric left out",
                        run.name, run.id
                    ),
                ),
            }
        }
        match artifacts::read(self.client, &run.id, out) {
            Ok(listing) => {
                if listing.truncated {
                    self.warnings.push(
                        out,
                        format!(
                            "run {} ({}): more than {} artifact files; only the first are listed",
                            run.name,
                            run.id,
                            artifacts::MAX_FILES_PER_RUN
                        ),
                    );
                }
                for (path, e) in listing.failed {
                    self.warnings.push(
                        out,
                        format!(
                            "run {} ({}): artifact {path:?} listed without its content: {e}",
                            run.name, run.id
                        ),
                    );
                }
                run.artifacts = listing.artifacts;
            }
            Err(e) if e.is_unreachable() => return Err(e),
            Err(e) => self.warnings.push(
                out,
                format!(
                    "run {} ({}): its artifacts could not be listed: {e}",
                    run.name, run.id
                ),
            ),
        }
        Ok(Some(run))
    }
}

/// A run's fields from its search result, and the metric keys whose history is to be
/// fetched (sorted, each once).
fn convert_run(
    id: String,
    api_run: api::ApiRun,
    names: &HashMap<String, String>,
    unknown_status: &mut BTreeSet<String>,
) -> (Run, Vec<String>) {
    let info = api_run.info;
    let status = match info.status.as_deref().map(convert::status_from_text) {
        Some(Some(status)) => status,
        Some(None) => {
            unknown_status.extend(info.status.clone());
            RunStatus::Unknown
        }
        None => RunStatus::Unknown,
    };
    let experiment = info
        .experiment_id
        .map(|e| names.get(&e).cloned().unwrap_or(e));
    let mut run = Run {
        id,
        name: info.run_name.unwrap_or_default(),
        experiment,
        status,
        start_time: info.start_time.map(convert::ms_to_secs),
        end_time: info.end_time.map(convert::ms_to_secs),
        ..Run::default()
    };
    for param in api_run.data.params {
        convert::add_param(&mut run, param.key, param.value.as_deref().unwrap_or(""));
    }
    for tag in api_run.data.tags {
        run.tags.insert(tag.key, tag.value.unwrap_or_default());
    }
    for input in api_run.inputs.dataset_inputs {
        let context = input
            .tags
            .into_iter()
            .find(|t| t.key == "mlflow.data.context")
            .and_then(|t| t.value);
        DatasetInput {
            name: input.dataset.name,
            digest: input.dataset.digest,
            source: input.dataset.source,
            context,
        }
        .add_to(&mut run);
    }
    convert::finish_run(&mut run);
    let keys: BTreeSet<String> = api_run.data.metrics.into_iter().map(|m| m.key).collect();
    (run, keys.into_iter().collect())
}

/// Every point of one metric of one run, page by page.
fn history(
    client: &Client,
    run_id: &str,
    key: &str,
    page_size: u32,
) -> Result<Vec<Point>, RestError> {
    let page_size = page_size.to_string();
    let mut points = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut query = vec![
            ("run_id", run_id),
            ("metric_key", key),
            ("max_results", page_size.as_str()),
        ];
        if let Some(token) = &token {
            query.push(("page_token", token));
        }
        let page: api::HistoryPage = client.get_json(endpoint::HISTORY, &query)?;
        points.reserve(page.metrics.len());
        for m in page.metrics {
            // A point of another key (a server that ignores `metric_key`) is not this one's.
            if m.key != key && !m.key.is_empty() {
                continue;
            }
            points.push(Point {
                step: m.step.unwrap_or(0),
                timestamp_ms: m.timestamp,
                value: convert::metric_value(m.value.unwrap_or(f64::NAN), false),
            });
        }
        if !next_page(client, endpoint::HISTORY, &mut token, page.next_page_token)? {
            return Ok(points);
        }
    }
}
