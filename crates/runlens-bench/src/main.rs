//! `runlens-bench`: measures what the foundation promises and prints each figure next to a
//! peer measured in the same run: bundle bytes per metric point against the same series
//! written by polars as zstd Parquet, the wasm module size, and the single-file report size.
//! Run with `cargo run --release -p runlens-bench`. Ingest speed against each tracker's own
//! Python reader, in the same run: `cargo run --release -p runlens-bench -- tensorboard
//! --python PATH` (a Python with tensorboard and tensorboardX) `... -- mlflow --python
//! PATH` (a Python with mlflow), `... -- wandb --python PATH` (a Python with wandb) and
//! `... -- trackio --python PATH` (a Python with trackio). Incremental builds, cold against
//! the read cache: `... -- incremental`.

mod incremental;
mod ingest;
mod mlflow;
mod scale;
mod synthetic;
mod tensorboard;
mod trackio;
mod wandb;

use std::path::Path;

use anyhow::Context;
use polars::prelude::*;
use runlens_core::Archive;
use runlens_core::bundle;

/// Sizes against Parquet by default; a subcommand times one reader against its tracker's.
#[derive(Debug, clap::Parser)]
#[command(name = "runlens-bench", about)]
struct Cli {
    /// An ingest benchmark; without one, the size benchmark runs.
    #[command(subcommand)]
    command: Option<Bench>,
}

/// The ingest benchmarks, each against the tracker's own Python reader.
#[derive(Debug, clap::Subcommand)]
enum Bench {
    /// TensorBoard event files against TensorBoard's EventMultiplexer.
    Tensorboard(tensorboard::Settings),
    /// An MLflow SQLite store against MLflow's Python API.
    Mlflow(mlflow::Settings),
    /// W&B offline runs against wandb's own record classes.
    Wandb(wandb::Settings),
    /// A trackio project against trackio's own storage API.
    Trackio(trackio::Settings),
    /// A rebuild after a few runs were added: cold against the read cache.
    Incremental(incremental::Settings),
    /// Archives of 1k, 10k and 100k runs in JSONL, MLflow SQLite and TensorBoard: ingest
    /// speed and peak RSS against peers, bundle size against Parquet-zstd.
    Scale(scale::Settings),
    /// One measurement of the scale suite in its own process (run by `scale`).
    #[command(hide = true)]
    ScaleChild(scale::ChildArgs),
}

fn main() -> anyhow::Result<()> {
    match <Cli as clap::Parser>::parse().command {
        Some(Bench::Tensorboard(settings)) => return tensorboard::run(settings),
        Some(Bench::Mlflow(settings)) => return mlflow::run(settings),
        Some(Bench::Wandb(settings)) => return wandb::run(settings),
        Some(Bench::Trackio(settings)) => return trackio::run(settings),
        Some(Bench::Incremental(settings)) => return incremental::run(settings),
        Some(Bench::Scale(settings)) => return scale::run(settings),
        Some(Bench::ScaleChild(args)) => return scale::run_child(args),
        None => {}
    }
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let report = runlens_ingest::read_sources(std::slice::from_ref(&examples), &Default::default())
        .context("reading examples/")?;

    println!("runlens benchmark (sizes; every ratio is runlens / peer, lower is better)\n");
    println!(
        "{:<34} {:>10} {:>14} {:>14} {:>8} {:>14} {:>10}",
        "archive", "points", "bundle B/pt", "parquet B/pt", "ratio", "decode Mpt/s", "MB/s"
    );
    size_row("examples/", &report.archive)?;
    for (runs, steps) in [(100, 1_000), (500, 2_000), (50, 10_000)] {
        let archive = synthetic::sweep(runs, steps, 42);
        size_row(&format!("synthetic {runs} runs x {steps} steps"), &archive)?;
    }

    let wasm = runlens_site::wasm_module();
    println!(
        "\nwasm module: {} B raw, {} B gzip -9",
        wasm.len(),
        gzip_len(wasm)
    );

    let dir = tempfile::tempdir()?;
    let summary = single_file(&report.archive, "examples", &dir.path().join("report.html"))?;
    println!(
        "single-file report of examples/: {} B (data {} B, wasm {} B, JS {} B; plotly.js is {} B of the JS)",
        summary.total_bytes,
        summary.data_bytes,
        summary.wasm_bytes,
        summary.js_bytes,
        runlens_site::plotly_js_bytes()
    );
    println!(
        "\ntensorboard ingest: skipped (needs a Python with tensorboard and tensorboardX: \
         cargo run --release -p runlens-bench -- tensorboard --python PATH)\n\
         MLflow read speed: skipped (needs a Python with mlflow: \
         cargo run --release -p runlens-bench -- mlflow --python PATH)\n\
         W&B ingest: skipped (needs a Python with wandb: \
         cargo run --release -p runlens-bench -- wandb --python PATH)\n\
         trackio ingest: skipped (needs a Python with trackio: \
         cargo run --release -p runlens-bench -- trackio --python PATH)"
    );
    Ok(())
}

/// Writes the single-file report of `archive` to `file`; what it is made of.
pub(crate) fn single_file(
    archive: &Archive,
    title: &str,
    file: &Path,
) -> anyhow::Result<runlens_site::SiteSummary> {
    let encoded = bundle::encode(archive, title, bundle::DEFAULT_CHUNK_POINTS);
    let table = bundle::decode_index(&encoded.index)?;
    let info = runlens_site::ReportInfo {
        title,
        table: &table,
        point_count: archive.point_count(),
        description: None,
        view: &Default::default(),
        theme: runlens_site::Theme::Auto,
        directions: &Default::default(),
        pages: &[],
    };
    Ok(runlens_site::write_single_file(&info, &encoded, file)?)
}

fn size_row(label: &str, archive: &Archive) -> anyhow::Result<()> {
    let points = archive.point_count();
    let encoded = bundle::encode(archive, "bench", bundle::DEFAULT_CHUNK_POINTS);
    // The overview levels repeat points: reported on their own line, not in the lossless
    // figure compared with Parquet.
    let level_bytes = encoded.level_bytes();
    let bundle_bytes = encoded.byte_len() - level_bytes;
    let parquet_bytes = parquet_zstd_len(archive)?;
    let per_point = |bytes: u64| bytes as f64 / points.max(1) as f64;
    let decode_secs = chunk_decode_secs(&encoded)?;
    println!(
        "{label:<34} {points:>10} {:>14.3} {:>14.3} {:>8.3} {:>14.1} {:>10.1}",
        per_point(bundle_bytes),
        per_point(parquet_bytes),
        bundle_bytes as f64 / parquet_bytes as f64,
        points as f64 / decode_secs / 1e6,
        (bundle_bytes - encoded.index.len() as u64) as f64 / decode_secs / 1e6
    );
    let clock_bytes = encoded.clock_bytes();
    if clock_bytes > 0 {
        println!(
            "{:<34} {:>10} {:>14.3}   (clock files, included in the bundle; {} B)",
            "  of which clocks",
            "",
            per_point(clock_bytes),
            clock_bytes
        );
    }
    if level_bytes > 0 {
        println!(
            "{:<34} {:>10} {:>14.3}   (overview levels on top of the bundle; {} B)",
            "  + overview levels",
            "",
            per_point(level_bytes),
            level_bytes
        );
    }
    Ok(())
}

/// Seconds to decode every clock file and every chunk of `encoded` into series (what the
/// page does before charting), best of five runs on one thread. Printed as points/s and as
/// chunk and clock bytes/s.
fn chunk_decode_secs(encoded: &bundle::EncodedBundle) -> anyhow::Result<f64> {
    let table = bundle::decode_index(&encoded.index)?;
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let start = std::time::Instant::now();
        let clocks = table
            .clocks
            .iter()
            .map(|clock| bundle::decode_clock(clock, &encoded.clocks[clock.id as usize]))
            .collect::<Result<Vec<_>, _>>()?;
        let mut points = 0usize;
        for chunk in &table.chunks {
            let files: Vec<&[(u32, bundle::Clock)]> = chunk
                .clocks
                .iter()
                .map(|&id| clocks[id as usize].as_slice())
                .collect();
            let bytes = &encoded.chunks[chunk.id as usize];
            for (_, series) in bundle::decode_chunk(&table, chunk, bytes, &files)? {
                points += series.len();
            }
        }
        std::hint::black_box(points);
        best = best.min(start.elapsed().as_secs_f64());
    }
    Ok(best)
}

/// The peer: the same points as a long table (run, key, step, value, time) in Parquet with
/// zstd, written by polars with its defaults otherwise.
pub(crate) fn parquet_zstd_len(archive: &Archive) -> anyhow::Result<u64> {
    let (mut runs, mut keys, mut steps, mut values, mut times) =
        (vec![], vec![], vec![], vec![], vec![]);
    for (row, run) in archive.runs.iter().enumerate() {
        for (key, series) in &run.metrics {
            for i in 0..series.len() {
                runs.push(row as u32);
                keys.push(key.as_str());
                steps.push(series.steps[i]);
                values.push(series.values[i]);
                times.push(series.times.as_ref().map(|t| t[i]));
            }
        }
    }
    let mut frame = df!(
        "run" => runs,
        "key" => keys,
        "step" => steps,
        "value" => values,
        "time" => times,
    )?;
    let mut bytes = Vec::new();
    ParquetWriter::new(&mut bytes)
        .with_compression(ParquetCompression::Zstd(None))
        .finish(&mut frame)?;
    Ok(bytes.len() as u64)
}

fn gzip_len(bytes: &[u8]) -> usize {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).expect("in memory");
    encoder.finish().expect("in memory").len()
}
