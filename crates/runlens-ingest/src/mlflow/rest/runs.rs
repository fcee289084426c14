//! The runs of a tracking server: `runs/search` page by page; for each page, every run's
//! metric histories (`metrics/get-history`, paged) and artifact listing are fetched a few
//! at a time, then each run is finished in order (artifact content within the budget) and
//! added before the next page is asked for.

use std::collections::{BTreeSet, HashMap, HashSet};

use runlens_core::{Run, RunStatus};
use serde_json::json;

use super::artifacts::{self, Listing};
use super::client::{Client, RestError};
use super::{Settings, api, endpoint, next_page, pool};
use crate::mlflow::convert::{self, DatasetInput, Point};
use crate::reader::{FileWarnings, ReadOutput};

/// The state of reading the runs of one server.
pub struct RunReader<'a> {
    /// The server.
    pub client: &'a Client,
    /// Page sizes and how many requests at once.
    pub settings: Settings,
    /// Experiment id → name.
    pub names: &'a HashMap<String, String>,
    /// Problems with one run (a metric history, its artifacts), capped.
    pub warnings: FileWarnings<'a>,
    /// Statuses no store knows, each warned about once at the end.
    pub unknown_status: BTreeSet<String>,
    /// Run ids read (a run that moves between pages while they are read comes once).
    pub seen: HashSet<String>,
}

/// A request about one run of a page (by its index in the page).
enum Task {
    /// The history of one metric key.
    History(usize, String),
    /// The artifact listing.
    Artifacts(usize),
}

/// What a [`Task`] fetched.
enum Fetched {
    History(Result<Vec<Point>, RestError>),
    Artifacts(Result<Listing, RestError>),
}

impl Fetched {
    fn is_unreachable(&self) -> bool {
        match self {
            Fetched::History(Err(e)) | Fetched::Artifacts(Err(e)) => e.is_unreachable(),
            _ => false,
        }
    }
}

impl RunReader<'_> {
    /// Reads every run of the experiments `ids`, page by page.
    pub fn search(
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
            let runs: Vec<(Run, Vec<String>)> = page
                .runs
                .into_iter()
                .filter_map(|api_run| self.convert(api_run, include_deleted))
                .collect();
            self.finish_page(runs, out)?;
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

    /// A run of a search result and the metric keys to fetch; `None` for a run to leave
    /// out (deleted, already read, or without an id).
    fn convert(
        &mut self,
        api_run: api::ApiRun,
        include_deleted: bool,
    ) -> Option<(Run, Vec<String>)> {
        let id = api_run
            .info
            .run_id
            .clone()
            .or_else(|| api_run.info.run_uuid.clone())?;
        let deleted = api_run.info.lifecycle_stage.as_deref() == Some("deleted");
        if (deleted && !include_deleted) || !self.seen.insert(id.clone()) {
            return None;
        }
        Some(convert_run(
            id,
            api_run,
            self.names,
            &mut self.unknown_status,
        ))
    }

    /// Fetches the histories and artifact listings of a page's runs, then finishes and
    /// adds the runs in order. An unreachable server ends the page after the runs before
    /// the failed request.
    fn finish_page(
        &mut self,
        mut runs: Vec<(Run, Vec<String>)>,
        out: &mut ReadOutput,
    ) -> Result<(), RestError> {
        let mut tasks = Vec::new();
        for (i, (_, keys)) in runs.iter_mut().enumerate() {
            tasks.extend(
                std::mem::take(keys)
                    .into_iter()
                    .map(|k| Task::History(i, k)),
            );
            tasks.push(Task::Artifacts(i));
        }
        let ids: Vec<String> = runs.iter().map(|(run, _)| run.id.clone()).collect();
        let history_page = self.settings.pages.history;
        let client = self.client;
        let results = pool::run_all(
            &tasks,
            self.settings.parallel,
            |task| match task {
                Task::History(i, key) => {
                    Fetched::History(history(client, &ids[*i], key, history_page))
                }
                Task::Artifacts(i) => Fetched::Artifacts(artifacts::list(client, &ids[*i])),
            },
            Fetched::is_unreachable,
        );
        let mut runs = runs.into_iter().map(|(run, _)| run);
        let mut current = runs.next();
        for (task, result) in tasks.into_iter().zip(results) {
            let Some(run) = current.as_mut() else { break };
            // Skipped after an unreachable error, which comes first in task order.
            let Some(result) = result else { break };
            match (task, result) {
                (Task::History(_, key), Fetched::History(result)) => {
                    self.add_history(run, key, result, out)?;
                }
                (Task::Artifacts(_), Fetched::Artifacts(result)) => {
                    // The last task of its run: the run is complete.
                    self.add_artifacts(run, result, out)?;
                    if let Some(run) = current.take() {
                        out.add_run(run);
                    }
                    current = runs.next();
                }
                _ => unreachable!("each task has the result of its kind"),
            }
        }
        Ok(())
    }

    fn add_history(
        &mut self,
        run: &mut Run,
        key: String,
        result: Result<Vec<Point>, RestError>,
        out: &mut ReadOutput,
    ) -> Result<(), RestError> {
        match result {
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
        Ok(())
    }

    fn add_artifacts(
        &mut self,
        run: &mut Run,
        result: Result<Listing, RestError>,
        out: &mut ReadOutput,
    ) -> Result<(), RestError> {
        let mut listing = match result {
            Ok(listing) => listing,
            Err(e) if e.is_unreachable() => return Err(e),
            Err(e) => {
                self.warnings.push(
                    out,
                    format!(
                        "run {} ({}): its artifacts could not be listed: {e}",
                        run.name, run.id
                    ),
                );
                return Ok(());
            }
        };
        artifacts::embed(self.client, &run.id, &mut listing, out)?;
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
        Ok(())
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
    // In the SQLite store's order (by name; the server lists them as logged).
    run.datasets.sort_by(|a, b| a.name.cmp(&b.name));
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
