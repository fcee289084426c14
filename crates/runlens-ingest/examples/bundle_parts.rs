//! Where a bundle's bytes go: reads the sources named on the command line, encodes the
//! bundle and prints, per metric and in total, the bytes per point of the index, the chunks'
//! series tables, exceptions, each residual block (steps; times and values in decimal, f32
//! and f64 form) and framing, plus the clock files, levels and details.
//!
//! `cargo run --release -p runlens-ingest --example bundle_parts -- PATH...`

use std::collections::BTreeMap;
use std::path::PathBuf;

use runlens_core::bundle::{self, ChunkParts, FileKind};

const BLOCKS: [&str; 7] = [
    "steps", "t.dec", "t.f32", "t.f64", "v.dec", "v.f32", "v.f64",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let paths: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if paths.is_empty() {
        return Err("usage: bundle_parts PATH...".into());
    }
    let archive = runlens_ingest::read_sources(&paths, &Default::default())?.archive;
    let points = archive.point_count();
    let encoded = bundle::encode(&archive, "parts", bundle::DEFAULT_CHUNK_POINTS);
    let table = bundle::decode_index(&encoded.index)?;
    let mut per_metric: BTreeMap<&str, (u64, ChunkParts)> = BTreeMap::new();
    for chunk in &table.chunks {
        let key = table.metrics[chunk.metric as usize].key.as_str();
        let parts = bundle::chunk_parts(FileKind::Chunk, &encoded.chunks[chunk.id as usize])?;
        let (metric_points, sum) = per_metric.entry(key).or_default();
        *metric_points += chunk.points;
        add(sum, &parts);
    }
    let mut clocks = (0, ChunkParts::default());
    for clock in &table.clocks {
        let parts = bundle::chunk_parts(FileKind::Clock, &encoded.clocks[clock.id as usize])?;
        clocks.0 += clock.points;
        add(&mut clocks.1, &parts);
    }
    println!(
        "{} runs, {points} points; bundle {} B = {:.3} B/pt (index {:.3}, levels {:.3}, details {:.3}); \
         B/pt of each metric's own points:",
        archive.runs.len(),
        encoded.byte_len(),
        encoded.byte_len() as f64 / points as f64,
        encoded.index.len() as f64 / points as f64,
        encoded.level_bytes() as f64 / points as f64,
        encoded.details.iter().map(Vec::len).sum::<usize>() as f64 / points as f64,
    );
    print!(
        "{:<22} {:>10} {:>8} {:>7} {:>7} {:>7}",
        "metric", "points", "series", "total", "table", "exc"
    );
    for name in BLOCKS {
        print!(" {name:>6}");
    }
    println!(" {:>6} {:>9}", "frame", "table raw");
    let mut total = (0, ChunkParts::default());
    for (key, (metric_points, parts)) in &per_metric {
        row(key, *metric_points, parts);
        total.0 += metric_points;
        add(&mut total.1, parts);
    }
    row("all chunks", total.0, &total.1);
    // Per clock entry, and per point of the bundle.
    row("clock files (/entry)", clocks.0, &clocks.1);
    row("clock files (/point)", points, &clocks.1);
    Ok(())
}

fn add(sum: &mut ChunkParts, parts: &ChunkParts) {
    sum.series += parts.series;
    sum.table += parts.table;
    sum.table_raw += parts.table_raw;
    sum.exceptions += parts.exceptions;
    for (s, p) in sum.blocks.iter_mut().zip(parts.blocks) {
        *s += p;
    }
    sum.framing += parts.framing;
}

fn row(key: &str, points: u64, parts: &ChunkParts) {
    let per = |bytes: u64| bytes as f64 / points as f64;
    let total = parts.table + parts.exceptions + parts.blocks.iter().sum::<u64>() + parts.framing;
    print!(
        "{key:<22} {points:>10} {:>8} {:>7.3} {:>7.3} {:>7.3}",
        parts.series,
        per(total),
        per(parts.table),
        per(parts.exceptions)
    );
    for bytes in parts.blocks {
        print!(" {:>6.3}", per(bytes));
    }
    println!(" {:>6.3} {:>9.3}", per(parts.framing), per(parts.table_raw));
}
