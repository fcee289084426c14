//! `runlens-bench mlflow --python PY`: read speed on an MLflow SQLite store written by the
//! real `mlflow` package (`mlflow_peer.py`), next to MLflow's own Python API loading every
//! run and every full metric history from the same store, in the same run.

use std::path::Path;
use std::process::Command;

use crate::ingest;
use anyhow::{Context, bail};

/// `runlens-bench mlflow`: the store's shape and the peer's Python.
#[derive(Debug, clap::Args)]
pub struct Settings {
    /// A Python with mlflow (examples/requirements.txt).
    #[arg(long)]
    python: String,
    /// Runs in the store.
    #[arg(long, default_value_t = 50)]
    runs: u64,
    /// Metrics per run.
    #[arg(long, default_value_t = 5)]
    metrics: u64,
    /// Steps per metric.
    #[arg(long, default_value_t = 1_000)]
    steps: u64,
    /// Write the store into this directory and keep it, or reuse the store already there
    /// (a temporary directory otherwise).
    #[arg(long)]
    dir: Option<std::path::PathBuf>,
}

/// Runs the benchmark and prints its figures.
pub fn run(settings: Settings) -> anyhow::Result<()> {
    let temp = tempfile::tempdir()?;
    let dir = settings.dir.as_deref().unwrap_or(temp.path());
    std::fs::create_dir_all(dir)?;
    let db = dir.join("mlflow.db");
    if db.exists() {
        println!(
            "reusing the store in {} (its shape is what it was written with)",
            dir.display()
        );
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("mlflow_peer.py");
    println!(
        "MLflow SQLite store: {} runs x {} metrics x {} steps, written by mlflow (log_batch)...",
        settings.runs, settings.metrics, settings.steps
    );
    let peer = ingest::peer_json(
        // The helper runs inside the store's directory, so a relative --python path must be
        // made absolute first (a bare name is still looked up on PATH).
        Command::new(python_path(&settings.python)?)
            .arg(&script)
            .arg("--db")
            .arg(&db)
            .args(["--runs", &settings.runs.to_string()])
            .args(["--metrics", &settings.metrics.to_string()])
            .args(["--steps", &settings.steps.to_string()])
            .current_dir(dir),
        "mlflow_peer.py",
    )?;
    let peer_points = peer["points"].as_u64().context("points")?;
    let peer_secs = peer["load_secs"].as_f64().context("load_secs")?;
    let db_bytes = std::fs::metadata(&db)?.len();

    let (best, archive) = ingest::best_of_three(&db)?;
    let points = archive.point_count();
    if points != peer_points {
        bail!("runlens read {points} points, MLflow {peer_points}");
    }
    let ours = points as f64 / best;
    let theirs = peer_points as f64 / peer_secs;
    println!(
        "store: {db_bytes} B, {points} metric points (mlflow {})",
        peer["mlflow"].as_str().unwrap_or("?")
    );
    println!("{:<44} {:>10} {:>14}", "loader", "seconds", "points/s");
    println!(
        "{:<44} {:>10.3} {:>14.0}",
        "MLflow Python API (search_runs + get_metric_history)", peer_secs, theirs
    );
    println!(
        "{:<44} {:>10.3} {:>14.0}",
        "runlens MLflow SQLite reader (best of 3)", best, ours
    );
    println!("ratio runlens / MLflow: {:.1}x faster", ours / theirs);
    if let Some(peak) = ingest::peak_rss_kib() {
        println!("peak RSS of this process: {} MiB", peak / 1024);
    }
    Ok(())
}

/// `python` as a command that still works from another directory: a path is made absolute,
/// a bare name (`python3`) is left for the PATH lookup.
fn python_path(python: &str) -> std::io::Result<std::path::PathBuf> {
    if python.contains(std::path::MAIN_SEPARATOR) {
        std::path::absolute(python)
    } else {
        Ok(python.into())
    }
}
