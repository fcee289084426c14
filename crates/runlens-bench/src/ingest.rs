//! What the ingest benchmarks share: timing runlens on a source, and running the peer's
//! Python helper for its figures.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};
use runlens_core::Archive;

/// Reads `source` with runlens three times on one thread: the best wall time in seconds and
/// the archive read. Any warning fails the benchmark (the figures would not compare).
pub fn best_of_three(source: &Path) -> anyhow::Result<(f64, Archive)> {
    let mut best = f64::INFINITY;
    let mut archive = Archive::default();
    for _ in 0..3 {
        let start = Instant::now();
        let report = runlens_ingest::read_sources(
            std::slice::from_ref(&source.to_path_buf()),
            &runlens_ingest::ReadOptions::default(),
        )?;
        best = best.min(start.elapsed().as_secs_f64());
        if !report.archive.warnings.is_empty() {
            bail!("runlens warned: {:?}", report.archive.warnings);
        }
        archive = report.archive;
    }
    Ok((best, archive))
}

/// Runs a peer helper and parses the JSON object it prints on its last line of output.
pub fn peer_json(command: &mut Command, helper: &str) -> anyhow::Result<serde_json::Value> {
    let output = command
        .output()
        .with_context(|| format!("running {helper}"))?;
    if !output.status.success() {
        bail!(
            "{helper} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .last()
        .with_context(|| format!("{helper} printed nothing"))?;
    serde_json::from_str(line).with_context(|| format!("the output of {helper}"))
}

/// Peak resident memory of this process (`VmHWM`) in KiB, Linux only.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// CPU time (user + system, every thread) this process has used so far, in seconds, from
/// `/proc/self/stat` (Linux only; clock ticks taken as the usual 100 per second).
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name in parentheses; utime and stime are the 14th and 15th.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// Runs `script generate --out <out> --runs R --<shape> N --steps S` with `python`, the
/// benches' way of having the real tracker write their input; `what` names the input in
/// the error.
pub fn generate_with_python(
    python: impl AsRef<std::ffi::OsStr>,
    script: &Path,
    out: &Path,
    counts: [(&str, &dyn std::fmt::Display); 3],
    what: &str,
) -> anyhow::Result<()> {
    let mut command = Command::new(python);
    command.arg(script).args(["generate", "--out"]).arg(out);
    for (flag, count) in counts {
        command.arg(format!("--{flag}")).arg(count.to_string());
    }
    let status = command.status().context("running the Python helper")?;
    if !status.success() {
        anyhow::bail!("the Python helper failed to write {what}");
    }
    Ok(())
}
