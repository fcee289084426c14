//! Tests of the REST reader against an in-process fake tracking server (`tiny_http`) that
//! answers like MLflow 3: paged searches with offset tokens, `NaN`/`Infinity` as strings,
//! MLflow's error JSON; and against addresses that refuse or never answer.

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use runlens_core::{ArtifactKind, ParamValue, RunStatus};
use serde_json::{Value, json};

use super::{PageSizes, Settings, Timeouts, read_with};
use crate::reader::ReadOutput;
use crate::sources::ReadOptions;

/// One request as the fake server saw it.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    query: HashMap<String, String>,
    body: Value,
}

type Handler = dyn Fn(&Seen) -> (u16, Vec<u8>) + Send + Sync;

/// A tiny HTTP server on a free port of 127.0.0.1, answering with `handler`; stopped on
/// drop.
struct Fake {
    url: String,
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Fake {
    fn start(handler: impl Fn(&Seen) -> (u16, Vec<u8>) + Send + Sync + 'static) -> Fake {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind"));
        let port = server.server_addr().to_ip().expect("an IP address").port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let handler: Box<Handler> = Box::new(handler);
        let thread = {
            let server = Arc::clone(&server);
            let seen = Arc::clone(&seen);
            std::thread::spawn(move || {
                for mut request in server.incoming_requests() {
                    let (path, query) = split_url(request.url());
                    let mut text = String::new();
                    let _ = std::io::Read::read_to_string(request.as_reader(), &mut text);
                    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
                    let req = Seen { path, query, body };
                    let (status, bytes) = handler(&req);
                    seen.lock().unwrap().push(req);
                    let _ = request
                        .respond(tiny_http::Response::from_data(bytes).with_status_code(status));
                }
            })
        };
        Fake {
            url: format!("http://127.0.0.1:{port}"),
            server,
            thread: Some(thread),
            seen,
        }
    }

    fn seen(&self, path: &str) -> Vec<Seen> {
        let seen = self.seen.lock().unwrap();
        seen.iter().filter(|s| s.path == path).cloned().collect()
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn split_url(url: &str) -> (String, HashMap<String, String>) {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let query = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect();
    (path.to_string(), query)
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

fn json_answer(value: Value) -> (u16, Vec<u8>) {
    (200, serde_json::to_vec_pretty(&value).unwrap())
}

/// A page of `items` as MLflow pages: `max_results` from the request, the offset in an
/// opaque token (here plain text).
fn page(items: &[Value], max_results: Option<u64>, token: Option<&str>, field: &str) -> Value {
    let start: usize = token.map_or(0, |t| t.trim_start_matches("offset-").parse().unwrap());
    let size = max_results.unwrap_or(1000) as usize;
    let end = (start + size).min(items.len());
    let mut answer = json!({ field: items[start..end] });
    if end < items.len() {
        answer["next_page_token"] = json!(format!("offset-{end}"));
    }
    answer
}

fn query_u64(seen: &Seen, key: &str) -> Option<u64> {
    seen.query.get(key).map(|v| v.parse().unwrap())
}

/// A PNG header is enough for the sniffer.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

/// The fake MLflow: experiments 1 "sweep", 2 "other" and 3 "gone" (deleted); runs r1 (sweep,
/// with everything), r2 (sweep, deleted), r3 (other); the model registry.
fn mlflow(seen: &Seen) -> (u16, Vec<u8>) {
    let experiments = [
        json!({"experiment_id": "1", "name": "sweep", "lifecycle_stage": "active"}),
        json!({"experiment_id": "2", "name": "other", "lifecycle_stage": "active"}),
        json!({"experiment_id": "3", "name": "gone", "lifecycle_stage": "deleted"}),
    ];
    let runs = [
        json!({
            "info": {"run_id": "r1", "run_uuid": "r1", "experiment_id": "1", "run_name": "",
                     "status": "FAILED", "start_time": 1_700_000_000_000_i64,
                     "end_time": "1700000001500", "lifecycle_stage": "active"},
            "data": {
                "params": [{"key": "lr", "value": "0.01"}, {"key": "opt", "value": "adam"},
                           {"key": "amp", "value": "True"}],
                "tags": [{"key": "mlflow.runName", "value": "first"},
                         {"key": "mlflow.parentRunId", "value": "r0"}],
                "metrics": [{"key": "train/loss", "value": "NaN", "timestamp": 5, "step": 4},
                            {"key": "acc", "value": 0.5, "timestamp": 5, "step": 0},
                            {"key": "broken", "value": 1, "timestamp": 5, "step": 0}]
            },
            "inputs": {"dataset_inputs": [{
                "tags": [{"key": "mlflow.data.context", "value": "training"}],
                "dataset": {"name": "train", "digest": "abc", "source_type": "local",
                            "source": "{\"uri\": \"data.csv\"}"}
            }, {"dataset": {"name": "eval", "digest": ""}}]},
            "outputs": {}
        }),
        json!({"info": {"run_id": "r2", "experiment_id": "1", "run_name": "deleted",
                        "status": "FINISHED", "lifecycle_stage": "deleted"}}),
        json!({"info": {"run_id": "r3", "experiment_id": "2", "run_name": "third",
                        "status": "SCHEDULED", "lifecycle_stage": "active"},
               "data": {"metrics": [{"key": "acc", "value": 0.1}]}}),
    ];
    let token = seen.query.get("page_token").map(String::as_str);
    match seen.path.as_str() {
        "/api/2.0/mlflow/experiments/search" => {
            let all = seen.body["view_type"] == "ALL";
            let list: Vec<Value> = experiments
                .into_iter()
                .filter(|e| all || e["lifecycle_stage"] == "active")
                .collect();
            let token = seen.body["page_token"].as_str();
            json_answer(page(
                &list,
                seen.body["max_results"].as_u64(),
                token,
                "experiments",
            ))
        }
        "/api/2.0/mlflow/runs/search" => {
            let ids: Vec<&str> = seen.body["experiment_ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            let all = seen.body["run_view_type"] == "ALL";
            let list: Vec<Value> = runs
                .into_iter()
                .filter(|r| ids.contains(&r["info"]["experiment_id"].as_str().unwrap()))
                .filter(|r| all || r["info"]["lifecycle_stage"] == "active")
                .collect();
            let token = seen.body["page_token"].as_str();
            json_answer(page(
                &list,
                seen.body["max_results"].as_u64(),
                token,
                "runs",
            ))
        }
        "/api/2.0/mlflow/metrics/get-history" => {
            let key = seen.query["metric_key"].as_str();
            let point = |value: Value, step: i64, ts: i64| json!({"key": key, "value": value, "timestamp": ts, "step": step});
            let points = match (seen.query["run_id"].as_str(), key) {
                ("r1", "train/loss") => vec![
                    point(json!(2.0), 0, 1),
                    point(json!("Infinity"), 2, 3),
                    point(json!(1.5), 1, 2),
                    point(json!(1.7976931348623157e308), 3, 4),
                    point(json!("-Infinity"), 3, 3),
                    point(json!("NaN"), 4, 5),
                ],
                ("r1", "acc") => vec![point(json!(0.5), 0, 5)],
                ("r1", "broken") => {
                    return (
                        500,
                        br#"{"error_code": "INTERNAL_ERROR", "message": "disk on fire"}"#.to_vec(),
                    );
                }
                ("r3", "acc") => vec![point(json!("0.1"), 0, 9)],
                other => return unexpected(&format!("history {other:?}")),
            };
            json_answer(page(
                &points,
                query_u64(seen, "max_results"),
                token,
                "metrics",
            ))
        }
        "/api/2.0/mlflow/artifacts/list" => {
            let files = match (seen.query["run_id"].as_str(), seen.query.get("path")) {
                ("r1", None) => vec![
                    json!({"path": "notes.txt", "is_dir": false, "file_size": 5}),
                    json!({"path": "plots", "is_dir": true}),
                    json!({"path": "model.bin", "is_dir": false, "file_size": 3}),
                    json!({"path": "plots.txt", "is_dir": false, "file_size": 2}),
                ],
                ("r1", Some(path)) if path == "plots" => vec![
                    json!({"path": "plots/curve.png", "is_dir": false, "file_size": PNG.len()}),
                    json!({"path": "plots/huge.png", "is_dir": false, "file_size": 1_000_000}),
                ],
                _ => vec![],
            };
            json_answer(page(&files, Some(2), token, "files"))
        }
        "/get-artifact" => match seen.query["path"].as_str() {
            "notes.txt" => (200, b"hello".to_vec()),
            "plots.txt" => (200, b"hi".to_vec()),
            "plots/curve.png" => (200, PNG.to_vec()),
            other => unexpected(&format!("download of {other}")),
        },
        "/api/2.0/mlflow/registered-models/search" => {
            let models = [json!({
                "name": "clf", "description": "A **model**.",
                "tags": [{"key": "task", "value": "vision"}],
                "aliases": [{"alias": "champion", "version": "2"}]
            })];
            json_answer(page(
                &models,
                query_u64(seen, "max_results"),
                token,
                "registered_models",
            ))
        }
        "/api/2.0/mlflow/model-versions/search" => {
            let versions = [
                json!({"name": "clf", "version": "2", "creation_timestamp": 2000,
                       "current_stage": "None", "description": "", "source": "runs:/r3/model",
                       "run_id": "r3", "status": "READY"}),
                json!({"name": "clf", "version": "1", "creation_timestamp": 1000,
                       "current_stage": "Production", "description": "First.",
                       "source": "runs:/r1/model", "run_id": "r1", "status": "READY",
                       "tags": [{"key": "data", "value": "v1"}]}),
            ];
            json_answer(page(
                &versions,
                query_u64(seen, "max_results"),
                token,
                "model_versions",
            ))
        }
        other => unexpected(other),
    }
}

/// The answer to a request the fake does not expect: an error status the reader reports
/// (a panic here would only end the server thread, and the test would time out).
fn unexpected(what: &str) -> (u16, Vec<u8>) {
    (418, format!("unexpected request: {what}").into_bytes())
}

fn small_pages() -> Settings {
    Settings {
        timeouts: Timeouts::default(),
        pages: PageSizes {
            experiments: 1,
            runs: 1,
            history: 2,
            models: 1,
            versions: 1,
        },
        parallel: 3,
    }
}

/// Reads `url` with `options` and `settings`: the output, and the error's text.
fn read(url: &str, options: ReadOptions, settings: Settings) -> (ReadOutput, Option<String>) {
    let mut out = ReadOutput::new(Path::new(url), 20).with_options(options);
    let error = read_with(url, &mut out, settings)
        .err()
        .map(|e| format!("{}: {}", e.path().display(), e.reason()));
    (out, error)
}

fn warnings(out: ReadOutput) -> Vec<String> {
    out.into_parts().1.iter().map(ToString::to_string).collect()
}

#[test]
fn every_page_of_every_search_is_read_and_mapped_like_the_stores() {
    let fake = Fake::start(mlflow);
    let options = ReadOptions {
        max_artifact_bytes: 1_000,
        ..ReadOptions::default()
    };
    let (mut out, error) = read(&fake.url, options, small_pages());
    assert_eq!(error, None);
    let runs = out.runs().to_vec();
    let ids: Vec<&str> = runs.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        ["r1", "r3"],
        "the deleted run and experiment are left out"
    );

    let r1 = &runs[0];
    assert_eq!(r1.name, "first", "named from mlflow.runName");
    assert_eq!(r1.experiment.as_deref(), Some("sweep"));
    assert_eq!(r1.status, RunStatus::Failed);
    assert_eq!(
        (r1.start_time, r1.end_time),
        (Some(1.7e9), Some(1_700_000_001.5))
    );
    assert_eq!(r1.params["lr"], ParamValue::Float(0.01));
    assert_eq!(r1.params["amp"], ParamValue::Bool(true));
    assert_eq!(r1.tags["mlflow.parentRunId"], "r0");
    assert_eq!(r1.parent_id.as_deref(), Some("r0"));
    assert_eq!(r1.param_text["amp"], "True", "the text as logged");
    let datasets: Vec<&str> = r1.datasets.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(datasets, ["eval", "train"], "sorted by name");
    let train = &r1.datasets[1];
    assert_eq!(train.digest.as_deref(), Some("abc"));
    assert_eq!(train.source.as_deref(), Some(r#"{"uri": "data.csv"}"#));
    assert_eq!(train.context.as_deref(), Some("training"));
    assert_eq!(r1.datasets[0].digest, None, "empty is none");
    let loss = &r1.metrics["train/loss"];
    assert_eq!(loss.steps, [0, 1, 2, 3, 3, 4], "sorted by step, then time");
    assert_eq!(
        loss.values[..5],
        [2.0, 1.5, f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY]
    );
    assert!(loss.values[5].is_nan());
    assert_eq!(loss.times.as_ref().unwrap()[1], 0.002);
    assert!(
        !r1.metrics.contains_key("broken"),
        "a failed history is left out"
    );
    assert_eq!(runs[1].status, RunStatus::Running);
    assert_eq!(runs[1].metrics["acc"].values, [0.1]);

    let paths: Vec<&str> = r1.artifacts.iter().map(|a| a.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "model.bin",
            "notes.txt",
            "plots/curve.png",
            "plots/huge.png",
            "plots.txt"
        ],
        "in the order of a walk by name"
    );
    let content = |i: usize| r1.artifacts[i].content.as_ref();
    assert_eq!(content(0), None, "not a kind the page shows");
    assert_eq!(content(1).unwrap().bytes, b"hello");
    assert_eq!(content(2).unwrap().kind, ArtifactKind::Image);
    assert_eq!(content(3), None, "beyond the budget");
    assert_eq!(r1.artifacts[3].size, Some(1_000_000));
    assert_eq!(content(4).unwrap().bytes, b"hi");
    assert_eq!(out.budget().remaining(), 1_000 - 5 - PNG.len() as u64 - 2);

    let (models, _) = out.take_models_and_budget();
    assert_eq!(models.len(), 1);
    let clf = &models[0];
    assert_eq!(
        (clf.name.as_str(), clf.description.as_deref()),
        ("clf", Some("A **model**."))
    );
    assert_eq!(clf.tags["task"], "vision");
    let v: Vec<(&str, Option<&str>, &[String])> = clf
        .versions
        .iter()
        .map(|v| (v.version.as_str(), v.stage.as_deref(), v.aliases.as_slice()))
        .collect();
    assert_eq!(
        v,
        [
            ("1", Some("Production"), &[][..]),
            ("2", Some("None"), &["champion".to_string()][..])
        ]
    );
    assert_eq!(clf.versions[0].created, Some(1.0));
    assert_eq!(clf.versions[0].run_id.as_deref(), Some("r1"));
    assert_eq!(clf.versions[1].description, None, "empty is none");

    let warnings = warnings(out);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let w = &warnings[0];
    for part in [
        fake.url.as_str(),
        "run first (r1)",
        "\"broken\"",
        "HTTP 500",
        "INTERNAL_ERROR: disk on fire",
    ] {
        assert!(w.contains(part), "{part:?} not in {w}");
    }

    // Every search was paged with the token of the page before.
    let history = fake.seen("/api/2.0/mlflow/metrics/get-history");
    let loss_pages: Vec<Option<&String>> = history
        .iter()
        .filter(|s| s.query["metric_key"] == "train/loss")
        .map(|s| s.query.get("page_token"))
        .collect();
    assert_eq!(loss_pages.len(), 3);
    assert_eq!(loss_pages[2].map(String::as_str), Some("offset-4"));
    let runs_searches = fake.seen("/api/2.0/mlflow/runs/search");
    assert!(runs_searches.len() >= 2, "runs are paged");
    assert!(
        runs_searches
            .iter()
            .all(|s| s.body["run_view_type"] == "ACTIVE_ONLY")
    );
}

#[test]
fn include_deleted_and_experiment_filter_shape_the_searches() {
    let fake = Fake::start(mlflow);
    let options = ReadOptions {
        include_deleted: true,
        experiments: vec!["sweep".into(), "gone".into()],
        max_artifact_bytes: 0,
        ..ReadOptions::default()
    };
    let (out, error) = read(&fake.url, options, Settings::default());
    assert_eq!(error, None);
    let ids: Vec<&str> = out.runs().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["r1", "r2"]);
    assert!(out.runs()[0].artifacts.iter().all(|a| a.content.is_none()));
    assert_eq!(warnings(out).len(), 1, "only the broken history");
    let experiments = fake.seen("/api/2.0/mlflow/experiments/search");
    assert_eq!(experiments[0].body["view_type"], "ALL");
    let searches = fake.seen("/api/2.0/mlflow/runs/search");
    assert_eq!(searches.len(), 1);
    assert_eq!(searches[0].body["experiment_ids"], json!(["1", "3"]));
    assert_eq!(searches[0].body["run_view_type"], "ALL");
}

#[test]
fn a_refused_connection_names_the_url_and_asks_whether_the_server_runs() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let (out, error) = read(&url, ReadOptions::default(), Settings::default());
    let error = error.expect("an error");
    assert!(
        error.contains(&format!("{url}/api/2.0/mlflow/experiments/search")),
        "{error}"
    );
    assert!(
        error.contains("connection refused (is the server running?"),
        "{error}"
    );
    assert!(out.runs().is_empty());
}

#[test]
fn an_http_500_gives_the_status_and_mlflows_error() {
    let fake = Fake::start(|_| {
        (
            500,
            br#"{"error_code": "INTERNAL_ERROR", "message": "database is locked"}"#.to_vec(),
        )
    });
    let (_, error) = read(&fake.url, ReadOptions::default(), Settings::default());
    let error = error.expect("an error");
    assert!(error.starts_with(&fake.url), "{error}");
    assert!(
        error.contains("/api/2.0/mlflow/experiments/search answered HTTP 500: INTERNAL_ERROR: database is locked"),
        "{error}"
    );
}

#[test]
fn a_404_page_and_a_non_json_answer_say_it_may_not_be_mlflow() {
    let fake = Fake::start(|_| (404, b"<html><title>404 Not Found</title></html>".to_vec()));
    let (_, error) = read(&fake.url, ReadOptions::default(), Settings::default());
    let error = error.expect("an error");
    assert!(
        error.contains("answered HTTP 404: Not Found (an HTML page: 404 Not Found)"),
        "{error}"
    );
    let fake = Fake::start(|_| (200, b"<html>hello</html>".to_vec()));
    let (_, error) = read(&fake.url, ReadOptions::default(), Settings::default());
    let error = error.expect("an error");
    assert!(
        error.contains(&format!(
            "{}/api/2.0/mlflow/experiments/search did not return the JSON",
            fake.url
        )),
        "{error}"
    );
}

#[test]
fn a_server_that_never_answers_times_out_naming_the_url() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    // Accepts connections and holds them open without a byte of answer.
    let holder = std::thread::spawn(move || {
        let mut held = Vec::new();
        listener.set_nonblocking(true).unwrap();
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until && held.len() < 4 {
            match listener.accept() {
                Ok((stream, _)) => held.push(stream),
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
        std::thread::sleep(Duration::from_secs(2));
    });
    let settings = Settings {
        timeouts: Timeouts {
            connect: Duration::from_millis(500),
            read: Duration::from_millis(300),
        },
        ..Settings::default()
    };
    let started = Instant::now();
    let (_, error) = read(&url, ReadOptions::default(), settings);
    let error = error.expect("an error");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(
        error.contains(&format!(
            "{url}/api/2.0/mlflow/experiments/search did not answer within 0.3 s"
        )),
        "{error}"
    );
    drop(holder);
}

#[test]
fn a_token_that_repeats_stops_the_paging_with_an_error() {
    let fake = Fake::start(|seen| match seen.path.as_str() {
        "/api/2.0/mlflow/experiments/search" => json_answer(json!({
            "experiments": [{"experiment_id": "1", "name": "e"}],
            "next_page_token": "same"
        })),
        other => unexpected(other),
    });
    let (_, error) = read(&fake.url, ReadOptions::default(), Settings::default());
    let error = error.expect("an error");
    assert!(
        error.contains("the same next_page_token \"same\" came twice"),
        "{error}"
    );
    assert_eq!(fake.seen("/api/2.0/mlflow/experiments/search").len(), 2);
}

#[test]
fn a_server_that_stops_answering_mid_read_keeps_the_runs_read_before() {
    let fake = Fake::start(|seen| {
        if seen.path.ends_with("get-history") && seen.query["run_id"] == "r3" {
            std::thread::sleep(Duration::from_millis(800));
        }
        mlflow(seen)
    });
    let settings = Settings {
        timeouts: Timeouts {
            connect: Duration::from_secs(2),
            read: Duration::from_millis(300),
        },
        ..small_pages()
    };
    let (out, error) = read(&fake.url, ReadOptions::default(), settings);
    let error = error.expect("an error");
    assert!(
        error.contains("/api/2.0/mlflow/metrics/get-history did not answer within 0.3 s"),
        "{error}"
    );
    let ids: Vec<&str> = out.runs().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["r1"], "the run of the first page is kept");
    assert!(
        fake.seen("/api/2.0/mlflow/registered-models/search")
            .is_empty(),
        "the read stopped"
    );
}
