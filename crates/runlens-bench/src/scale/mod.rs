//! `runlens-bench scale --python PY [--sizes 1k,10k,100k] [--dir DIR] [--keep]`: archives of
//! 1k, 10k and 100k generated runs ([`generate`]) written as JSONL, TensorBoard event files
//! and an MLflow SQLite store ([`writers`]); for each size, runlens' ingest speed and peak
//! RSS per format (each read in its own child process, [`child`]) next to a peer measured in
//! the same run, the bundle against Parquet-zstd, and the 1k archive's single-file report.

mod child;
mod generate;
mod writers;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};
pub use child::{ChildArgs, run as run_child};
use generate::{KEYS, Shape, VAL_EVERY};

use crate::ingest;

/// `runlens-bench scale`: sizes, where the data goes, and the peers' Python.
#[derive(Debug, clap::Args)]
pub struct Settings {
    /// A Python with mlflow and tensorboard (examples/requirements.txt).
    #[arg(long)]
    python: String,
    /// Archive sizes in runs (`1k` = 1,000).
    #[arg(long, value_delimiter = ',', default_value = "1k,10k,100k")]
    sizes: Vec<String>,
    /// Where the archives are written (`DIR/<runs>/`); an archive already complete there is
    /// reused. A temporary directory otherwise.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Keep each archive after measuring it (deleted by default, to spare the disk).
    #[arg(long)]
    keep: bool,
    /// Runs read by the peers that are too slow for a whole archive (MlflowClient,
    /// TensorBoard's EventAccumulator); their points/s is compared with runlens' on all.
    #[arg(long, default_value_t = 20)]
    peer_runs: usize,
    /// Seed of the generator.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Formats written and read (`jsonl`, `tensorboard`, `mlflow`). The bundle size is
    /// measured on the JSONL archive, so it needs `jsonl`; leaving out `mlflow` spares the
    /// slowest writing and the most disk (~270 B per point).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "jsonl,tensorboard,mlflow"
    )]
    formats: Vec<Format>,
    /// Draw the step counts from the range of this size's archive instead of each size's
    /// own (`--sizes 20k --steps-of 100k`: the first 20,000 runs of the 100k archive, run
    /// for run, since each run is made from its own seed). Such an archive goes to
    /// `DIR/<runs>-of-<size>/`.
    #[arg(long)]
    steps_of: Option<String>,
    /// Measure only the bundle against Parquet-zstd: no ingest reads, no peers, no
    /// single-file reports. Needs `jsonl` in `--formats`.
    #[arg(long)]
    bundle_only: bool,
}

/// One of the archive's formats.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
enum Format {
    Jsonl,
    Tensorboard,
    Mlflow,
}

/// The formats of archives written before `--formats` existed: all three.
fn all_formats() -> Vec<Format> {
    vec![Format::Jsonl, Format::Tensorboard, Format::Mlflow]
}

/// A peer's label and what it printed.
type Peer = (String, serde_json::Value);

/// What the generator wrote for one size.
#[derive(Debug, serde::Serialize, serde::Deserialize, PartialEq)]
struct Written {
    runs: usize,
    min_steps: i64,
    max_steps: i64,
    seed: u64,
    points: u64,
    nan: u64,
    pos_inf: u64,
    neg_inf: u64,
    /// The fewest and most steps a run got.
    #[serde(default)]
    steps_seen: (i64, i64),
    /// Points of each of the first `peer_runs` runs (the peers' subset).
    first_runs: Vec<u64>,
    seconds: f64,
    /// The formats written.
    #[serde(default = "all_formats")]
    formats: Vec<Format>,
}

/// Runs the suite.
pub fn run(settings: Settings) -> anyhow::Result<()> {
    let temp = tempfile::tempdir()?;
    let root = settings
        .dir
        .clone()
        .unwrap_or_else(|| temp.path().to_path_buf());
    let sizes = settings
        .sizes
        .iter()
        .map(|s| parse_size(s))
        .collect::<anyhow::Result<Vec<usize>>>()?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/scale_peers.py");
    println!(
        "runlens scale suite: {} params and {} metrics per run ({} every step, {} every {VAL_EVERY} steps), \
         steps log-uniform per run; 1 run in {} diverges (+inf, NaN, -inf).\n\
         Every ratio is runlens / peer (wall clock, and CPU time of the process: user + system, \
         every thread); each runlens read runs in its own process (one read, peak RSS = its VmHWM).",
        20,
        KEYS.len(),
        5,
        5,
        generate::DIVERGE_EVERY
    );
    let steps_of = settings.steps_of.as_deref().map(parse_size).transpose()?;
    if settings.bundle_only && !settings.formats.contains(&Format::Jsonl) {
        bail!("--bundle-only measures the bundle of the JSONL archive: add jsonl to --formats");
    }
    for runs in sizes {
        let range = Shape::for_runs(steps_of.unwrap_or(runs));
        let shape = Shape { runs, ..range };
        let dir = match steps_of {
            Some(of) => root.join(format!("{runs}-of-{of}")),
            None => root.join(runs.to_string()),
        };
        let written = ensure_archive(&settings, &script, &shape, &dir)?;
        measure(&settings, &script, &dir, &written)?;
        if !settings.keep {
            std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
        }
    }
    if settings.bundle_only {
        return Ok(());
    }
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let archive = runlens_ingest::read_sources(&[examples], &Default::default())?.archive;
    let summary = crate::single_file(&archive, "examples", &temp.path().join("examples.html"))?;
    println!(
        "\nsingle-file report of examples/: {} B ({:.2} MB; goal <= 2.5 MB; data {} B, wasm {} B, JS {} B)",
        summary.total_bytes,
        summary.total_bytes as f64 / 1e6,
        summary.data_bytes,
        summary.wasm_bytes,
        summary.js_bytes
    );
    Ok(())
}

/// `1k` → 1,000, `100k` → 100,000, `2500` → 2,500.
fn parse_size(text: &str) -> anyhow::Result<usize> {
    let (digits, scale) = match text.trim().strip_suffix(['k', 'K']) {
        Some(digits) => (digits, 1_000),
        None => (text.trim(), 1),
    };
    let n: usize = digits
        .parse()
        .with_context(|| format!("--sizes: {text:?} is not a count like 1k or 2500"))?;
    Ok(n * scale)
}

/// The archive of `shape` in `dir`: reused when `dir/written.json` says it is complete with
/// the same shape and seed, else written afresh.
fn ensure_archive(
    settings: &Settings,
    script: &Path,
    shape: &Shape,
    dir: &Path,
) -> anyhow::Result<Written> {
    let marker = dir.join("written.json");
    let previous = std::fs::read_to_string(&marker).ok();
    if let Some(written) = previous.and_then(|text| serde_json::from_str::<Written>(&text).ok())
        && (
            written.runs,
            written.min_steps,
            written.max_steps,
            written.seed,
        ) == (shape.runs, shape.min_steps, shape.max_steps, settings.seed)
        && written.first_runs.len() >= settings.peer_runs.min(shape.runs)
        && settings.formats.iter().all(|f| written.formats.contains(f))
    {
        println!("\nreusing the archive in {}", dir.display());
        return Ok(written);
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    let wants = |format| settings.formats.contains(&format);
    let db = dir.join("mlflow/mlflow.db");
    let mut store_by = String::new();
    if wants(Format::Mlflow) {
        std::fs::create_dir_all(dir.join("mlflow"))?;
        let init = ingest::peer_json(
            Command::new(&settings.python)
                .arg(script)
                .args(["mlflow-init", "--db"])
                .arg(&db)
                .current_dir(dir),
            "scale_peers.py mlflow-init",
        )?;
        store_by = format!(
            " (store schema by mlflow {})",
            init["mlflow"].as_str().unwrap_or("?")
        );
    }
    println!(
        "\nwriting {} runs (steps {}-{}, ~{:.1}M points expected) as {:?} into {}{store_by} ...",
        shape.runs,
        shape.min_steps,
        shape.max_steps,
        shape.expected_points() / 1e6,
        settings.formats,
        dir.display(),
    );
    let start = Instant::now();
    let mut jsonl = wants(Format::Jsonl)
        .then(|| writers::JsonlWriter::new(&dir.join("jsonl")))
        .transpose()?;
    let mut tensorboard = wants(Format::Tensorboard)
        .then(|| writers::TensorboardWriter::new(&dir.join("tensorboard")))
        .transpose()?;
    let mut mlflow = wants(Format::Mlflow)
        .then(|| writers::MlflowWriter::new(&db))
        .transpose()?;
    let mut written = Written {
        runs: shape.runs,
        min_steps: shape.min_steps,
        max_steps: shape.max_steps,
        seed: settings.seed,
        points: 0,
        nan: 0,
        pos_inf: 0,
        neg_inf: 0,
        steps_seen: (i64::MAX, 0),
        first_runs: vec![],
        seconds: 0.0,
        formats: settings.formats.clone(),
    };
    for index in 0..shape.runs {
        let run = generate::run(shape, settings.seed, index);
        if let Some(jsonl) = &mut jsonl {
            jsonl.write(&run)?;
        }
        if let Some(tensorboard) = &mut tensorboard {
            tensorboard.write(&run)?;
        }
        if let Some(mlflow) = &mut mlflow {
            mlflow.write(&run)?;
        }
        written.points += run.points.len() as u64;
        written.steps_seen.0 = written.steps_seen.0.min(run.steps);
        written.steps_seen.1 = written.steps_seen.1.max(run.steps);
        for point in &run.points {
            written.nan += point.value.is_nan() as u64;
            written.pos_inf += (point.value == f64::INFINITY) as u64;
            written.neg_inf += (point.value == f64::NEG_INFINITY) as u64;
        }
        if index < settings.peer_runs {
            written.first_runs.push(run.points.len() as u64);
        }
    }
    if let Some(mut jsonl) = jsonl {
        jsonl.finish()?;
    }
    if let Some(mlflow) = mlflow {
        mlflow.finish()?;
    }
    written.seconds = start.elapsed().as_secs_f64();
    flush_to_disk(dir)?;
    std::fs::write(&marker, serde_json::to_string(&written)?)?;
    Ok(written)
}

/// Writes the archive just written in `dir` out to the disk before anything is measured,
/// so the first reads time the reader, not the kernel writing gigabytes back beside it
/// (on this machine's disk the 4 GB TensorBoard logdir of 100k runs flushed in 1.3 s and
/// its read measured the same with and without; a slower disk would not be so kind).
fn flush_to_disk(dir: &Path) -> anyhow::Result<()> {
    let start = Instant::now();
    let status = Command::new("sync")
        .arg("--file-system")
        .arg(dir)
        .status()
        .context("running `sync` to flush the archive to disk")?;
    if !status.success() {
        bail!("`sync --file-system {}` failed: {status}", dir.display());
    }
    println!("flushed to disk in {:.1} s", start.elapsed().as_secs_f64());
    Ok(())
}

/// Measures one archive and prints its block.
fn measure(
    settings: &Settings,
    script: &Path,
    dir: &Path,
    written: &Written,
) -> anyhow::Result<()> {
    let points = written.points;
    let jsonl = dir.join("jsonl");
    let tb = dir.join("tensorboard");
    let db = dir.join("mlflow/mlflow.db");
    println!(
        "\n== {} runs: steps log-uniform {}-{} per run (drawn: {}-{}), {} points ({:.1} per run), NaN {}, +inf {}, -inf {}; written in {:.0} s",
        written.runs,
        written.min_steps,
        written.max_steps,
        written.steps_seen.0,
        written.steps_seen.1,
        group(points),
        points as f64 / written.runs as f64,
        group(written.nan),
        group(written.pos_inf),
        group(written.neg_inf),
        written.seconds
    );
    let wants = |format| settings.formats.contains(&format);
    if settings.bundle_only {
        return measure_bundle(dir, written);
    }
    let mut on_disk = vec![];
    if wants(Format::Jsonl) {
        on_disk.push(format!("JSONL {}", mb(dir_bytes(&jsonl)?)));
    }
    if wants(Format::Tensorboard) {
        on_disk.push(format!("TensorBoard {}", mb(dir_bytes(&tb)?)));
    }
    if wants(Format::Mlflow) {
        on_disk.push(format!(
            "MLflow SQLite {}",
            mb(std::fs::metadata(&db)?.len())
        ));
    }
    println!("   on disk: {}", on_disk.join(", "));
    let archive_estimate = points * 24;
    println!(
        "   {:<14} {:>12} {:>12} {:>9} {:>10}   {:<44} {:>12} {:>12} {:>10} {:>8} {:>9}",
        "ingest",
        "runlens pt/s",
        "pt/CPU-s",
        "seconds",
        "peak RSS",
        "peer (same run)",
        "peer pt/s",
        "pt/CPU-s",
        "peer RSS",
        "ratio",
        "CPU ratio"
    );
    let python = |args: &[&str], path: &Path, what: &str| {
        ingest::peer_json(
            Command::new(&settings.python)
                .arg(script)
                .args(args)
                .arg(path),
            what,
        )
    };
    let subset = settings.peer_runs.min(written.runs).to_string();
    let mut rows: Vec<(&str, &Path, Vec<Peer>)> = vec![];
    if wants(Format::Jsonl) {
        rows.push((
            "JSONL",
            &jsonl,
            vec![(
                "Python json.loads per line (all)".into(),
                python(&["jsonl"], &jsonl, "scale_peers.py jsonl")?,
            )],
        ));
    }
    if wants(Format::Mlflow) {
        rows.push((
            "MLflow SQLite",
            &db,
            vec![
                (
                    "Python sqlite3 SELECT * FROM metrics (all)".into(),
                    python(&["sqlite", "--db"], &db, "scale_peers.py sqlite")?,
                ),
                (
                    format!("MlflowClient get_metric_history, {subset} runs"),
                    python(
                        &["mlflow-client", "--runs", &subset, "--db"],
                        &db,
                        "scale_peers.py mlflow-client",
                    )?,
                ),
            ],
        ));
    }
    if wants(Format::Tensorboard) {
        rows.push((
            "TensorBoard",
            &tb,
            vec![(
                format!("EventAccumulator, {subset} runs"),
                python(
                    &["tensorboard", "--runs", &subset],
                    &tb,
                    "scale_peers.py tensorboard",
                )?,
            )],
        ));
    }
    let subset_points: u64 = written.first_runs.iter().sum();
    for (format, path, peers) in &rows {
        let ours = child::spawn("read", path, None)?;
        let our_points = ours["points"].as_u64().context("points")?;
        if our_points != points {
            bail!("runlens read {our_points} points of {format}, the generator wrote {points}");
        }
        let our_rate = points as f64 / ours["seconds"].as_f64().context("seconds")?;
        let our_cpu_rate = points as f64 / ours["cpu_seconds"].as_f64().context("cpu_seconds")?;
        let our_rss = ours["peak_rss_kib"].as_u64().unwrap_or(0);
        for (i, (label, peer)) in peers.iter().enumerate() {
            let peer_points = peer["points"].as_u64().context("peer points")?;
            let expected = if label.contains("(all)") {
                points
            } else {
                subset_points
            };
            if peer_points != expected {
                bail!("{label} read {peer_points} points, the generator wrote {expected}");
            }
            let peer_rate =
                peer_points as f64 / peer["seconds"].as_f64().context("peer seconds")?;
            let peer_cpu_rate =
                peer_points as f64 / peer["cpu_seconds"].as_f64().context("peer cpu_seconds")?;
            let (name, rate, cpu_rate, secs, rss) = if i == 0 {
                (
                    *format,
                    group(our_rate as u64),
                    group(our_cpu_rate as u64),
                    format!("{:.2}", ours["seconds"].as_f64().unwrap_or(0.0)),
                    mib(our_rss),
                )
            } else {
                Default::default()
            };
            println!(
                "   {name:<14} {rate:>12} {cpu_rate:>12} {secs:>9} {rss:>10}   {label:<44} {:>12} {:>12} {:>10} {:>7.1}x {:>8.1}x",
                group(peer_rate as u64),
                group(peer_cpu_rate as u64),
                mib(peer["peak_rss_kib"].as_u64().unwrap_or(0)),
                our_rate / peer_rate,
                our_cpu_rate / peer_cpu_rate
            );
        }
        println!(
            "   {:<14} peak RSS / (points x 24 B) = {:.2} ({} for {} points)",
            "",
            our_rss as f64 * 1024.0 / archive_estimate as f64,
            mib(archive_estimate / 1024),
            group(points)
        );
    }
    println!(
        "   goals: TensorBoard >= 10M pt/s, MLflow SQLite >= 2M pt/s; the peers' subsets ({} points) \
         are checked against the generator's counts",
        group(subset_points)
    );

    if !wants(Format::Jsonl) {
        println!(
            "   bundle: not measured (it is measured on the JSONL archive; --formats has no jsonl)"
        );
        return Ok(());
    }
    measure_bundle(dir, written)
}

/// Prints the bundle of the JSONL archive against Parquet-zstd (and the single-file report
/// of the 1k archive).
fn measure_bundle(dir: &Path, written: &Written) -> anyhow::Result<()> {
    let points = written.points;
    let jsonl = dir.join("jsonl");
    let report = (written.runs == 1_000 && written.max_steps == Shape::for_runs(1_000).max_steps)
        .then(|| dir.join("report.html"));
    let size = child::spawn("size", &jsonl, report.as_deref())?;
    let bundle = size["bundle_bytes"].as_u64().context("bundle_bytes")?;
    let parquet = size["parquet_bytes"].as_u64().context("parquet_bytes")?;
    println!(
        "   bundle: {:.3} B/pt ({}; index {:.3} B/pt, clocks {:.3} B/pt), Parquet-zstd (polars): {:.3} B/pt ({}), ratio {:.3} (goal <= 0.8); \
         encoded in {:.1} s, peak RSS of read + encode {}",
        bundle as f64 / points as f64,
        mb(bundle),
        size["index_bytes"].as_u64().unwrap_or(0) as f64 / points as f64,
        size["clock_bytes"].as_u64().unwrap_or(0) as f64 / points as f64,
        parquet as f64 / points as f64,
        mb(parquet),
        bundle as f64 / parquet as f64,
        size["encode_seconds"].as_f64().unwrap_or(0.0),
        mib(size["encode_peak_rss_kib"].as_u64().unwrap_or(0))
    );
    if let Some(bytes) = size["report_bytes"].as_u64() {
        println!(
            "   single-file report of this archive: {bytes} B ({})",
            mb(bytes)
        );
    }
    Ok(())
}

fn dir_bytes(dir: &Path) -> anyhow::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() {
            dir_bytes(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}

/// `12345678` → `12,345,678`.
fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn mib(kib: u64) -> String {
    format!("{} MiB", kib / 1024)
}
