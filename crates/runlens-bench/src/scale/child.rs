//! The measurements that run in a child process of the bench (`runlens-bench scale-child`),
//! so each one's peak RSS (`VmHWM`) is its own: a runlens read of one source, and the
//! bundle of the JSONL archive against Parquet-zstd (plus, optionally, its single-file
//! report). Each prints one JSON line; [`spawn`] runs one and parses it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::bail;
use runlens_core::bundle;

use crate::ingest;

/// `runlens-bench scale-child`: what to measure.
#[derive(Debug, clap::Args)]
pub struct ChildArgs {
    /// `read` (time one runlens read) or `size` (bundle and Parquet sizes).
    #[arg(long)]
    mode: String,
    /// The source to read.
    #[arg(long)]
    path: PathBuf,
    /// With `size`: also write the single-file report here and report its size.
    #[arg(long)]
    report: Option<PathBuf>,
}

/// Runs in the child: measures and prints one JSON line.
pub fn run(args: ChildArgs) -> anyhow::Result<()> {
    let cpu_start = ingest::cpu_seconds().unwrap_or(0.0);
    let start = Instant::now();
    let report = runlens_ingest::read_sources(
        std::slice::from_ref(&args.path),
        &runlens_ingest::ReadOptions::default(),
    )?;
    let read_secs = start.elapsed().as_secs_f64();
    let read_cpu = ingest::cpu_seconds().unwrap_or(0.0) - cpu_start;
    let read_peak = ingest::peak_rss_kib().unwrap_or(0);
    let archive = report.archive;
    if !archive.warnings.is_empty() {
        bail!(
            "runlens warned on {}: {:?}",
            args.path.display(),
            &archive.warnings[..archive.warnings.len().min(5)]
        );
    }
    let points = archive.point_count();
    let mut out = serde_json::json!({
        "points": points,
        "runs": archive.runs.len(),
        "seconds": read_secs,
        "cpu_seconds": read_cpu,
        "peak_rss_kib": read_peak,
    });
    if args.mode == "size" {
        let start = Instant::now();
        let encoded = bundle::encode(&archive, "scale", bundle::DEFAULT_CHUNK_POINTS);
        out["encode_seconds"] = start.elapsed().as_secs_f64().into();
        out["bundle_bytes"] = encoded.byte_len().into();
        out["index_bytes"] = encoded.index.len().into();
        out["clock_bytes"] = encoded.clock_bytes().into();
        out["encode_peak_rss_kib"] = ingest::peak_rss_kib().unwrap_or(0).into();
        drop(encoded);
        out["parquet_bytes"] = crate::parquet_zstd_len(&archive)?.into();
        if let Some(file) = &args.report {
            out["report_bytes"] = crate::single_file(&archive, "scale", file)?
                .total_bytes
                .into();
        }
    }
    println!("{out}");
    Ok(())
}

/// Runs this binary's `scale-child` on `path` and returns what it printed.
pub fn spawn(mode: &str, path: &Path, report: Option<&Path>) -> anyhow::Result<serde_json::Value> {
    let mut command = Command::new(std::env::current_exe()?);
    command
        .args(["scale-child", "--mode", mode, "--path"])
        .arg(path);
    if let Some(report) = report {
        command.arg("--report").arg(report);
    }
    ingest::peer_json(&mut command, "runlens-bench scale-child")
}
