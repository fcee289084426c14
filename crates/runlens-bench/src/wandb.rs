//! The W&B ingest benchmark: offline runs written by the real `wandb` package are read by
//! runlens (one thread) and by W&B's own protobuf decoding in Python (framing with CRC-32
//! checks, `wandb_internal_pb2.Record`, `json.loads` of each value), in the same run;
//! points per second of both and their ratio are printed.
//! `cargo run --release -p runlens-bench -- wandb --python PATH [--runs N --metrics N
//! --steps N] [--dir DIR]`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::ingest;
use anyhow::{Context, bail};

/// The peer's helper script.
fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("python/wandb_bench.py")
}

/// `runlens-bench wandb`: the runs' shape and the peer's Python.
#[derive(Debug, clap::Args)]
pub struct Settings {
    /// A Python with wandb (examples/requirements.txt).
    #[arg(long)]
    python: String,
    /// Offline runs to write (the default makes 1M values).
    #[arg(long, default_value_t = 10)]
    runs: u32,
    /// Metrics per run.
    #[arg(long, default_value_t = 10)]
    metrics: u32,
    /// Steps per metric.
    #[arg(long, default_value_t = 10_000)]
    steps: u32,
    /// A directory to reuse (written when missing); a temporary one otherwise.
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// Runs the benchmark with the flags after `wandb`.
pub fn run(settings: Settings) -> anyhow::Result<()> {
    let temp = tempfile::tempdir()?;
    let dir = settings
        .dir
        .clone()
        .unwrap_or_else(|| temp.path().join("wandb-bench"));
    let wandb = dir.join("wandb");
    if !wandb.exists() {
        eprintln!(
            "writing {} runs x {} metrics x {} steps with wandb (offline) into {} ...",
            settings.runs,
            settings.metrics,
            settings.steps,
            dir.display()
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
            "the runs",
        )?;
    }
    let bytes = wandb_bytes(&wandb);

    let (best, archive) = ingest::best_of_three(&wandb)?;
    let peak = ingest::peak_rss_kib();
    // Summary-only keys add one point each; the peer counts history points only.
    let points: u64 = archive
        .runs
        .iter()
        .flat_map(|r| r.metrics.iter())
        .filter(|(key, _)| key.starts_with("metric/"))
        .map(|(_, s)| s.len() as u64)
        .sum();

    eprintln!("decoding with wandb's protobuf classes in Python ...");
    let peer = ingest::peer_json(
        Command::new(&settings.python)
            .arg(script())
            .arg("load")
            .arg(&wandb),
        "the Python helper",
    )?;
    let peer_points = peer["points"].as_u64().context("points")?;
    let peer_secs = peer["seconds"].as_f64().context("seconds")?;
    if peer_points != points {
        bail!("runlens read {points} points, the Python decoding {peer_points}");
    }

    println!(
        "wandb ingest: {} runs x {} metrics x {} steps = {points} values, {:.1} MB of .wandb files",
        settings.runs,
        settings.metrics,
        settings.steps,
        bytes as f64 / 1e6
    );
    println!(
        "{:<40} {:>10} {:>14} {:>10}",
        "reader", "seconds", "values/s", "MB/s"
    );
    for (name, secs) in [
        ("runlens (1 thread, best of 3)", best),
        ("wandb_internal_pb2 + json (Python)", peer_secs),
    ] {
        println!(
            "{name:<40} {secs:>10.3} {:>14.0} {:>10.1}",
            points as f64 / secs,
            bytes as f64 / 1e6 / secs
        );
    }
    println!("ratio runlens / Python: {:.1}x faster", peer_secs / best);
    if let Some(peak) = peak {
        println!("peak RSS of the runlens process: {} MiB", peak / 1024);
    }
    Ok(())
}

/// Total size of the `.wandb` files in the run folders of `wandb` (not through links).
fn wandb_bytes(wandb: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(wandb) else {
        return 0;
    };
    entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .flat_map(|e| std::fs::read_dir(e.path()).into_iter().flatten().flatten())
        .filter(|f| f.file_name().to_string_lossy().ends_with(".wandb"))
        .filter_map(|f| f.metadata().ok())
        .map(|m| m.len())
        .sum()
}
