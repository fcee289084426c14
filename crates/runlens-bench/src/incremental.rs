//! The incremental build benchmark: an archive of JSONL runs (one file per run) is read
//! cold (no cache) and into a fresh read cache; then a few runs are added and the sources
//! are read again, cold and warm (through the cache), best of 3 each. Both reads of the grown
//! archive are checked to be equal before their times are printed with their ratio, and the
//! bundle encoding that follows either read is timed too (it is the same work for both).
//! `cargo run --release -p runlens-bench -- incremental [--runs N --added N --steps N]`.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use runlens_core::bundle;
use runlens_ingest::{ReadCache, ReadOptions, ReadReport};

/// `runlens-bench incremental`: the archive's shape.
#[derive(Debug, clap::Args)]
pub struct Settings {
    /// Runs before the rebuild (one JSONL file each).
    #[arg(long, default_value_t = 1_000)]
    runs: u32,
    /// Runs added before the rebuild.
    #[arg(long, default_value_t = 10)]
    added: u32,
    /// Steps per run (10 metrics per step).
    #[arg(long, default_value_t = 200)]
    steps: u32,
}

fn write_run(dir: &Path, id: u32, steps: u32) -> std::io::Result<()> {
    let mut file =
        std::io::BufWriter::new(fs::File::create(dir.join(format!("run-{id:06}.jsonl")))?);
    writeln!(
        file,
        r#"{{"type":"run","run":"r{id}","name":"run {id}","experiment":"bench"}}"#
    )?;
    writeln!(
        file,
        r#"{{"type":"params","run":"r{id}","params":{{"lr":{},"seed":{id},"optimizer":"adam"}}}}"#,
        f64::from(id % 7 + 1) / 1000.0
    )?;
    let mut x = u64::from(id) * 2_654_435_761 + 1;
    for step in 0..steps {
        write!(
            file,
            r#"{{"type":"metrics","run":"r{id}","step":{step},"values":{{"#
        )?;
        for metric in 0..10 {
            // A cheap deterministic noise: xorshift.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let noise = (x % 10_000) as f64 / 1e5;
            let value = 1.0 / (1.0 + f64::from(step)) + noise;
            let sep = if metric == 0 { "" } else { "," };
            write!(file, r#"{sep}"m{metric}":{value}"#)?;
        }
        writeln!(file, "}}}}")?;
    }
    file.flush()
}

/// Reads `logs`, through `cache` when given; best of `times` runs (a warm cache is
/// refilled by each run, so each warm run starts from the same cache).
fn timed_read(
    logs: &Path,
    cache_dir: Option<&Path>,
    times: u32,
) -> anyhow::Result<(Duration, ReadReport)> {
    let options = ReadOptions::default();
    let sources = [logs.to_path_buf()];
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..times {
        let mut cache = cache_dir.map(|dir| ReadCache::new(dir, &options));
        let start = Instant::now();
        let report = runlens_ingest::read_sources_cached(
            &sources,
            &options,
            &runlens_ingest::readers(),
            &mut |_| {},
            cache.as_mut(),
        )?;
        best = best.min(start.elapsed());
        last = Some(report);
    }
    Ok((best, last.context("no read")?))
}

/// Runs the benchmark with the flags after `incremental`.
pub fn run(settings: Settings) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let logs = dir.path().join("logs");
    let cache = dir.path().join("cache");
    fs::create_dir(&logs)?;
    for id in 0..settings.runs {
        write_run(&logs, id, settings.steps)?;
    }
    // The first build fills the cache.
    let (fill, _) = timed_read(&logs, Some(&cache), 1)?;
    for id in settings.runs..settings.runs + settings.added {
        write_run(&logs, id, settings.steps)?;
    }
    let (cold, cold_report) = timed_read(&logs, None, 3)?;
    let (warm, warm_report) = timed_read(&logs, Some(&cache), 3)?;
    if cold_report.archive != warm_report.archive {
        bail!("the warm read differs from the cold read");
    }
    let archive = &warm_report.archive;
    let start = Instant::now();
    let encoded = bundle::encode(archive, "bench", bundle::DEFAULT_CHUNK_POINTS);
    let encode = start.elapsed();
    let cache_bytes: u64 = fs::read_dir(&cache)?
        .filter_map(Result::ok)
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum();
    let input_bytes: u64 = fs::read_dir(&logs)?
        .filter_map(Result::ok)
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "incremental build: {} JSONL runs x {} steps x 10 metrics ({} points, {:.1} MB of JSONL), {} runs added",
        settings.runs + settings.added,
        settings.steps,
        archive.point_count(),
        input_bytes as f64 / 1e6,
        settings.added
    );
    println!("first build, filling the cache: read {:.0} ms", ms(fill));
    println!(
        "rebuild, cold (no cache):        read {:.0} ms (best of 3)",
        ms(cold)
    );
    println!(
        "rebuild, warm (cache):           read {:.0} ms (best of 3); cold / warm = {:.1}x",
        ms(warm),
        cold.as_secs_f64() / warm.as_secs_f64()
    );
    println!(
        "bundle encoding after either read: {:.0} ms ({} B); end to end cold / warm = {:.1}x",
        ms(encode),
        encoded.byte_len(),
        (cold + encode).as_secs_f64() / (warm + encode).as_secs_f64()
    );
    println!("cache: {:.1} MB", cache_bytes as f64 / 1e6);
    Ok(())
}
