//! The trackio ingest benchmark: a project database written through trackio's own storage
//! layer (`SQLiteStorage.bulk_log`: its schema, JSON rows and indexes) is read by runlens
//! (best of 3) and by trackio's own storage API in Python (`get_run_records`, then
//! `get_run_config` and `get_logs` per run), in the same run; rows/s and values/s of both
//! and their ratio are printed, with the peak RSS of the runlens process.
//! `cargo run --release -p runlens-bench -- trackio --python PATH [--runs N --metrics N
//! --steps N] [--dir DIR]`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::ingest;
use anyhow::{Context, bail};

/// The peer's helper script.
fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("python/trackio_bench.py")
}

/// `runlens-bench trackio`: the project's shape and the peer's Python.
#[derive(Debug, clap::Args)]
pub struct Settings {
    /// A Python with trackio (examples/requirements.txt).
    #[arg(long)]
    python: String,
    /// Runs in the project.
    #[arg(long, default_value_t = 20)]
    runs: u32,
    /// Metrics per `log()` row.
    #[arg(long, default_value_t = 10)]
    metrics: u32,
    /// Rows (steps) per run.
    #[arg(long, default_value_t = 5_000)]
    steps: u32,
    /// A directory to reuse (written when missing); a temporary one otherwise.
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// Runs the benchmark with the flags after `trackio`.
pub fn run(settings: Settings) -> anyhow::Result<()> {
    let temp = tempfile::tempdir()?;
    let dir = settings
        .dir
        .clone()
        .unwrap_or_else(|| temp.path().join("trackio-bench"));
    let root = dir.join("trackio");
    if root.exists() {
        eprintln!(
            "reusing the project in {} (its shape is what it was written with)",
            root.display()
        );
    } else {
        eprintln!(
            "writing {} runs x {} rows x {} metrics with trackio (SQLiteStorage.bulk_log) into {} ...",
            settings.runs,
            settings.steps,
            settings.metrics,
            root.display()
        );
        ingest::generate_with_python(
            &settings.python,
            &script(),
            &dir,
            [
                ("runs", &settings.runs),
                ("metrics", &settings.metrics),
                ("steps", &settings.steps),
            ],
            "the project",
        )?;
    }
    let db_bytes: u64 = std::fs::read_dir(&root)?
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".db"))
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum();

    let (best, archive) = ingest::best_of_three(&root)?;
    let values = archive.point_count();
    // Rows: one per (run, step) that holds a value; the generated rows each hold one of
    // every metric, so a run's longest series counts its rows.
    let rows: u64 = archive
        .runs
        .iter()
        .map(|r| {
            r.metrics
                .values()
                .map(|s| s.len() as u64)
                .max()
                .unwrap_or(0)
        })
        .sum();
    let peak = ingest::peak_rss_kib();

    eprintln!("reading with trackio's own storage API in Python ...");
    let peer = ingest::peer_json(
        Command::new(&settings.python)
            .arg(script())
            .arg("load")
            .arg(&dir),
        "the Python helper",
    )?;
    let peer_values = peer["values"].as_u64().context("values")?;
    let peer_rows = peer["rows"].as_u64().context("rows")?;
    let peer_secs = peer["seconds"].as_f64().context("seconds")?;
    if (peer_values, peer_rows) != (values, rows) {
        bail!(
            "runlens read {rows} rows and {values} values, trackio {peer_rows} rows and {peer_values} values"
        );
    }

    println!(
        "trackio ingest: {} runs, {rows} rows, {values} values, {:.1} MB of SQLite",
        archive.runs.len(),
        db_bytes as f64 / 1e6
    );
    println!(
        "{:<48} {:>10} {:>14} {:>14}",
        "reader", "seconds", "rows/s", "values/s"
    );
    for (name, secs) in [
        ("runlens (best of 3)", best),
        ("trackio SQLiteStorage get_logs (Python)", peer_secs),
    ] {
        println!(
            "{name:<48} {secs:>10.3} {:>14.0} {:>14.0}",
            rows as f64 / secs,
            values as f64 / secs
        );
    }
    println!("ratio runlens / trackio: {:.1}x faster", peer_secs / best);
    if let Some(peak) = peak {
        println!("peak RSS of the runlens process: {} MiB", peak / 1024);
    }
    Ok(())
}
