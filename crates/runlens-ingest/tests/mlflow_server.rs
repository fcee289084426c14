//! A real `mlflow server` read over HTTP: the test starts one on a free port of 127.0.0.1
//! with a SQLite backend in a temporary directory (with the fixture Python:
//! `RUNLENS_FIXTURE_PYTHON`, else `.venv-fixtures/`), logs a small study into it with
//! `examples/make_mlflow_server_fixture.py`, then reads the server over its REST API and
//! the same `mlflow.db` directly, and checks that both give the same archive: runs,
//! params (and their logged text), tags, notes, parents, datasets, every metric point,
//! artifacts (the server's `--artifacts-destination` is `mlartifacts/` beside the database,
//! where the database reader finds the `mlflow-artifacts:/` URIs) and the model registry.
//! The server is stopped at the end, also when an assertion fails.

mod common;

use std::io::Read as _;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use runlens_core::{Archive, ArtifactKind, MetricSeries, Run};
use runlens_ingest::{ReadOptions, read_sources};

/// How long the server may take to answer its first request (a fresh SQLite store is
/// migrated first; 15-20 s on a busy two-core machine).
const START_TIMEOUT: Duration = Duration::from_secs(180);

/// A running `mlflow server`, stopped (with every process it started) on drop.
struct Server {
    child: Child,
    url: String,
    log: PathBuf,
    dir: tempfile::TempDir,
}

impl Server {
    fn start(python: &Path) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let log = dir.path().join("server.log");
        let log_file = std::fs::File::create(&log).expect("server log");
        let db = dir.path().join("mlflow.db");
        let child = Command::new(python)
            .args([
                "-m",
                "mlflow",
                "server",
                "--host",
                "127.0.0.1",
                "--workers",
                "1",
            ])
            .arg("--port")
            .arg(port.to_string())
            .arg("--backend-store-uri")
            .arg(format!("sqlite:///{}", db.display()))
            .arg("--artifacts-destination")
            .arg(dir.path().join("mlartifacts"))
            // No background job runner: nothing here needs it, and it is a dozen processes.
            .env("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false")
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("log"))
            .stderr(log_file)
            // Its own process group, so that stopping it stops its workers too.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start `{} -m mlflow server`: {e}", python.display())
            });
        let mut server = Server {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log,
            dir,
        };
        server.wait_until_ready();
        server
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("mlflow.db")
    }

    fn log_text(&self) -> String {
        let mut text = String::new();
        if let Ok(mut file) = std::fs::File::open(&self.log) {
            let _ = file.read_to_string(&mut text);
        }
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// Polls `/health` until it answers 200; fails with the server's log when it exits or
    /// does not answer within [`START_TIMEOUT`].
    fn wait_until_ready(&mut self) {
        let started = Instant::now();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(2)))
            .build()
            .into();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "`mlflow server` exited ({status}) before answering; its log:\n{}",
                    self.log_text()
                );
            }
            if let Ok(response) = agent.get(format!("{}/health", self.url)).call()
                && response.status() == 200
            {
                eprintln!(
                    "mlflow server ready at {} after {:.1?}",
                    self.url,
                    started.elapsed()
                );
                return;
            }
            assert!(
                started.elapsed() < START_TIMEOUT,
                "`mlflow server` did not answer at {} within {START_TIMEOUT:?}; its log:\n{}",
                self.url,
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let kill = |signal: &str| {
            let _ = Command::new("kill")
                .args([signal, "--", &group])
                .stderr(Stdio::null())
                .status();
        };
        kill("-TERM");
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        kill("-KILL"); // whatever ignored TERM; "no such process" when all are gone
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("address").port()
}

fn options(include_deleted: bool, experiments: &[&str]) -> ReadOptions {
    let mut options = ReadOptions::default();
    options.include_deleted = include_deleted;
    options.experiments = experiments.iter().map(|e| e.to_string()).collect();
    options
}

fn read(source: &str, options: &ReadOptions) -> (Archive, Duration) {
    let started = Instant::now();
    let report = read_sources(&[PathBuf::from(source)], options).expect("source exists");
    (report.archive, started.elapsed())
}

fn same_series(a: &MetricSeries, b: &MetricSeries) -> bool {
    let same = |x: &[f64], y: &[f64]| {
        x.len() == y.len()
            && x.iter()
                .zip(y)
                .all(|(p, q)| p == q || (p.is_nan() && q.is_nan()))
    };
    a.steps == b.steps
        && same(&a.values, &b.values)
        && match (&a.times, &b.times) {
            (Some(x), Some(y)) => same(x, y),
            (None, None) => true,
            _ => false,
        }
}

/// Everything both readers give for a run.
fn assert_same_run(http: &Run, db: &Run) {
    let ctx = format!("run {} ({})", db.name, db.id);
    assert_eq!(http.name, db.name, "{ctx}");
    assert_eq!(http.source, db.source, "{ctx}");
    assert_eq!(http.experiment, db.experiment, "{ctx}");
    assert_eq!(http.group, db.group, "{ctx}");
    assert_eq!(http.status, db.status, "{ctx}");
    assert_eq!(http.start_time, db.start_time, "{ctx}");
    assert_eq!(http.end_time, db.end_time, "{ctx}");
    assert_eq!(http.params, db.params, "{ctx}");
    assert_eq!(http.param_text, db.param_text, "{ctx}");
    assert_eq!(http.tags, db.tags, "{ctx}");
    assert_eq!(http.parent_id, db.parent_id, "{ctx}");
    assert_eq!(http.notes, db.notes, "{ctx}");
    assert_eq!(http.datasets, db.datasets, "{ctx}");
    assert_eq!(http.artifacts, db.artifacts, "{ctx}");
    let keys: Vec<&String> = http.metrics.keys().collect();
    assert_eq!(keys, db.metrics.keys().collect::<Vec<_>>(), "{ctx}");
    for (key, series) in &db.metrics {
        assert!(
            same_series(&http.metrics[key], series),
            "{ctx}: metric {key}: over HTTP {:?}, from the database {series:?}",
            http.metrics[key]
        );
    }
}

fn assert_same_archive(http: &Archive, db: &Archive) {
    assert_eq!(http.warnings, [], "reading over HTTP gave warnings");
    assert_eq!(db.warnings, [], "reading the database gave warnings");
    let ids = |a: &Archive| a.runs.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(http), ids(db));
    for (h, d) in http.runs.iter().zip(&db.runs) {
        assert_same_run(h, d);
    }
    assert_eq!(http.point_count(), db.point_count());
    assert_eq!(http.models, db.models);
}

#[test]
fn a_real_tracking_server_reads_the_same_over_http_as_its_database() {
    let python = common::fixture_python();
    let server = Server::start(&python);
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/make_mlflow_server_fixture.py");
    let started = Instant::now();
    let output = Command::new(&python)
        .arg(&script)
        .arg("--url")
        .arg(&server.url)
        .current_dir(server.dir.path())
        .output()
        .expect("the fixture python runs");
    assert!(
        output.status.success(),
        "make_mlflow_server_fixture.py failed:\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&output.stderr),
        server.log_text()
    );
    eprintln!("fixture logged in {:.1?}", started.elapsed());

    let db = server.db();
    let db = db.to_str().expect("a UTF-8 temp path");
    let (http, http_time) = read(&server.url, &ReadOptions::default());
    let (direct, db_time) = read(db, &ReadOptions::default());
    let points = direct.point_count();
    eprintln!(
        "{} runs, {points} points: over HTTP {http_time:.2?} ({:.0} points/s), \
         from the database {db_time:.2?} ({:.0} points/s)",
        direct.runs.len(),
        points as f64 / http_time.as_secs_f64(),
        points as f64 / db_time.as_secs_f64(),
    );
    assert_same_archive(&http, &direct);
    let names: Vec<&str> = http.runs.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names.len(),
        5,
        "parent, two children, diverged, baseline: {names:?}"
    );

    // The history longer than one page of the server (25,000 points) came whole.
    let diverged = http.runs.iter().find(|r| r.name == "diverged").unwrap();
    assert_eq!(diverged.metrics["sys/gpu_util"].len(), 30_000);
    let loss = &diverged.metrics["train/loss"].values;
    assert_eq!(loss[3], f64::INFINITY);
    assert!(loss[4].is_nan());
    assert_eq!(
        diverged.metrics["grad/norm/min"].values,
        [f64::NEG_INFINITY]
    );

    // Details both readers gave alike; a few spot checks that they are there at all.
    let parent = http.runs.iter().find(|r| r.name == "parent").unwrap();
    assert!(
        parent
            .notes
            .as_deref()
            .unwrap()
            .starts_with("# Grid search")
    );
    let child = http.runs.iter().find(|r| r.name == "child-a").unwrap();
    assert_eq!(child.parent_id.as_ref(), Some(&parent.id));
    assert_eq!(child.param_text["weight_decay"], "1e-05");
    let baseline = http.runs.iter().find(|r| r.name == "baseline").unwrap();
    let artifacts: Vec<(&str, Option<ArtifactKind>)> = baseline
        .artifacts
        .iter()
        .map(|a| (a.path.as_str(), a.content.as_ref().map(|c| c.kind)))
        .collect();
    assert_eq!(
        artifacts,
        [
            ("logs/train.txt", Some(ArtifactKind::Text)),
            ("plots/curve.png", Some(ArtifactKind::Image))
        ]
    );
    let text = baseline.artifacts[0].content.as_ref().unwrap();
    assert_eq!(text.bytes, b"epoch 1: loss 1.0\nepoch 2: loss 0.5\n");
    let dataset = &baseline.datasets[0];
    assert_eq!(
        (dataset.name.as_str(), dataset.context.as_deref()),
        ("train-v1", Some("training"))
    );

    // The registry.
    assert_eq!(http.models.len(), 1, "{:?}", http.models);
    let model = &http.models[0];
    assert_eq!(model.name, "classifier");
    assert_eq!(model.source, "mlflow");
    let versions: Vec<(&str, Option<&str>, &[String])> = model
        .versions
        .iter()
        .map(|v| (v.version.as_str(), v.stage.as_deref(), v.aliases.as_slice()))
        .collect();
    assert_eq!(
        versions,
        [
            ("1", Some("Production"), &[][..]),
            ("2", Some("None"), &["champion".to_string()][..]),
        ]
    );
    assert_eq!(model.versions[0].run_id.as_ref(), Some(&baseline.id));

    // Deleted runs and experiments, and the experiment filter, agree too.
    let all = options(true, &[]);
    let (http_all, _) = read(&server.url, &all);
    let (db_all, _) = read(db, &all);
    assert_same_archive(&http_all, &db_all);
    assert_eq!(
        http_all.runs.len(),
        7,
        "with the deleted run and experiment"
    );
    let scratch = options(true, &["server-scratch"]);
    let (http_scratch, _) = read(&server.url, &scratch);
    let (db_scratch, _) = read(db, &scratch);
    assert_same_archive(&http_scratch, &db_scratch);
    assert_eq!(http_scratch.runs.len(), 1);
}
