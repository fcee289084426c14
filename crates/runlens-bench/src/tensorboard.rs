//! The TensorBoard ingest benchmark: a logdir written by tensorboardX is read by runlens
//! (one thread), by TensorBoard's own EventMultiplexer (size_guidance 0) and by tbparse, in
//! the same run; points per second of each and the ratios are printed.
//! `cargo run --release -p runlens-bench -- tensorboard --python PATH [--runs N --tags N
//! --steps N] [--logdir DIR]`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::ingest;
use anyhow::{Context, bail};

/// The peer's helper script.
fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("python/tensorboard_bench.py")
}

/// `runlens-bench tensorboard`: the logdir's shape and the peer's Python.
#[derive(Debug, clap::Args)]
pub struct Settings {
    /// A Python with tensorboard and tensorboardX (examples/requirements.txt).
    #[arg(long)]
    python: String,
    /// Runs in the logdir.
    #[arg(long, default_value_t = 20)]
    runs: u32,
    /// Scalar tags per run.
    #[arg(long, default_value_t = 5)]
    tags: u32,
    /// Steps per tag.
    #[arg(long, default_value_t = 10_000)]
    steps: u32,
    /// A logdir to reuse (written when missing); a temporary one otherwise.
    #[arg(long)]
    logdir: Option<PathBuf>,
}

/// Runs the benchmark with the flags after `tensorboard`.
pub fn run(settings: Settings) -> anyhow::Result<()> {
    let temp = tempfile::tempdir()?;
    let logdir = settings
        .logdir
        .clone()
        .unwrap_or_else(|| temp.path().join("logdir"));
    if !logdir.exists() {
        eprintln!(
            "writing {} runs x {} tags x {} steps with tensorboardX into {} ...",
            settings.runs,
            settings.tags,
            settings.steps,
            logdir.display()
        );
        ingest::generate_with_python(
            &settings.python,
            &script(),
            &logdir,
            [
                ("runs", &settings.runs),
                ("tags", &settings.tags),
                ("steps", &settings.steps),
            ],
            "the logdir",
        )?;
    }
    let bytes = dir_bytes(&logdir);

    let (best, archive) = ingest::best_of_three(&logdir)?;
    let points = archive.point_count();

    let mut peers = Vec::new();
    for (reader, name) in [
        ("multiplexer", "TensorBoard EventMultiplexer"),
        ("tbparse", "tbparse SummaryReader"),
    ] {
        eprintln!("loading with {name} ...");
        let peer = ingest::peer_json(
            Command::new(&settings.python)
                .arg(script())
                .arg("load")
                .arg(&logdir)
                .args(["--reader", reader]),
            "the Python helper",
        )?;
        let peer_points = peer["points"].as_u64().context("points")?;
        let peer_secs = peer["seconds"].as_f64().context("seconds")?;
        if peer_points != points {
            bail!("runlens read {points} points, {name} {peer_points}");
        }
        peers.push((name, peer_secs));
    }

    println!(
        "tensorboard ingest: {} runs x {} tags x {} steps = {points} scalars, {:.1} MB of event files",
        settings.runs,
        settings.tags,
        settings.steps,
        bytes as f64 / 1e6
    );
    println!(
        "{:<34} {:>10} {:>14} {:>10}",
        "reader", "seconds", "scalars/s", "MB/s"
    );
    for (name, secs) in
        std::iter::once(("runlens (1 thread, best of 3)", best)).chain(peers.iter().copied())
    {
        println!(
            "{name:<34} {secs:>10.3} {:>14.0} {:>10.1}",
            points as f64 / secs,
            bytes as f64 / 1e6 / secs
        );
    }
    for (name, secs) in &peers {
        println!("ratio runlens / {name}: {:.1}x faster", secs / best);
    }
    Ok(())
}

/// Total size of the files below `dir`.
fn dir_bytes(dir: &Path) -> u64 {
    walk(dir)
}

fn walk(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => walk(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}
