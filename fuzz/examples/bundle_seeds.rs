//! Writes the `bundle_decode` seed corpus (`fuzz/corpus/bundle_decode/`): a small bundle of
//! three runs encoded by the current `bundle::encode` — its index, chunks, overview level,
//! clock file and detail file, each as a whole file and as its inflated payload. Rerun it
//! whenever the bundle format version changes (the target decodes chunks, levels and clocks
//! against the seed index and clock file, and stops at once if they no longer decode):
//!
//! ```sh
//! cargo run --manifest-path fuzz/Cargo.toml --example bundle_seeds
//! ```

use std::fs;
use std::path::Path;

use runlens_core::bundle::{self, HEADER_LEN};
use runlens_core::{Archive, MetricSeries, ParamValue, Run, RunStatus};

/// Points per chunk: small, so that the seed bundle has several chunks.
const CHUNK_POINTS: u64 = 4_000;

fn main() {
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/bundle_decode");
    fs::create_dir_all(&out).expect("create the corpus folder");
    for entry in fs::read_dir(&out).expect("list the corpus folder") {
        fs::remove_file(entry.expect("a corpus entry").path()).expect("remove an old seed");
    }
    let encoded = bundle::encode(&archive(), "seed", CHUNK_POINTS);
    let write = |name: String, file: &[u8]| {
        fs::write(out.join(&name), file).expect("write a seed");
        fs::write(out.join(format!("{name}-payload")), payload(file)).expect("write a seed");
    };
    write("index.rlb".into(), &encoded.index);
    for (i, chunk) in encoded.chunks.iter().enumerate() {
        write(format!("chunk-{i}.rlb"), chunk);
    }
    for (i, level) in encoded.levels.iter().enumerate() {
        write(format!("level-{i}.rlb"), level);
    }
    for (i, clock) in encoded.clocks.iter().enumerate() {
        write(format!("clock-{i}.rlb"), clock);
    }
    for (i, detail) in encoded.details.iter().enumerate() {
        write(format!("detail-{i}.rlb"), detail);
    }
    assert!(
        !encoded.levels.is_empty(),
        "the seed bundle should have a level"
    );
    assert_eq!(encoded.clocks.len(), 1, "the target reads one clock file");
    let table = bundle::decode_index(&encoded.index).expect("the seed index decodes");
    assert!(
        table.chunks.iter().any(|c| !c.clocks.is_empty()),
        "a seed chunk should read the clock file"
    );
    println!(
        "{}: index, {} chunks, {} levels, {} clock files, {} detail files",
        out.display(),
        encoded.chunks.len(),
        encoded.levels.len(),
        encoded.clocks.len(),
        encoded.details.len()
    );
}

/// The stored payload of an envelope, inflated when its flag says DEFLATE.
fn payload(file: &[u8]) -> Vec<u8> {
    let stored = &file[HEADER_LEN..];
    if file[11] & 1 == 1 {
        miniz_oxide::inflate::decompress_to_vec(stored).expect("the encoder's DEFLATE inflates")
    } else {
        stored.to_vec()
    }
}

/// Three runs: a long loss curve with a spike and a NaN (long enough for an overview level),
/// a short one with wall times, and a run with params and notes but no metrics. The first
/// two log a second metric at the same steps and times (so they have clocks), the second
/// with one time of its own (an exception).
fn archive() -> Archive {
    let long = series(5_000, false, |i| {
        if i == 2_500 {
            f64::NAN
        } else if i == 3_000 {
            50.0
        } else {
            1.0 / (1.0 + i as f64 / 100.0)
        }
    });
    let mut a = run("a", RunStatus::Finished);
    a.metrics.insert("loss".into(), long);
    a.metrics
        .insert("acc".into(), series(20, true, |i| 0.5 + i as f64 / 50.0));
    a.metrics
        .insert("lr".into(), series(20, true, |i| 1e-3 / (1.0 + i as f64)));
    a.params.insert("lr".into(), ParamValue::Float(1e-3));
    a.params
        .insert("opt".into(), ParamValue::Text("adam".into()));
    let mut b = run("b", RunStatus::Failed);
    b.metrics
        .insert("loss".into(), series(30, true, |i| 2.0 - i as f64 / 20.0));
    let mut acc = series(30, true, |i| 0.2 + i as f64 / 40.0);
    if let Some(times) = &mut acc.times {
        times[7] += 0.125;
    }
    b.metrics.insert("acc".into(), acc);
    b.params.insert("lr".into(), ParamValue::Float(1e-2));
    b.tags.insert("team".into(), "vision".into());
    b.parent_id = Some("a".into());
    let mut c = run("c", RunStatus::Running);
    c.params.insert("epochs".into(), ParamValue::Int(3));
    c.notes = Some("# Notes\nA *short* note.".into());
    let mut archive = Archive {
        runs: vec![a, b, c],
        ..Archive::default()
    };
    archive.finish();
    archive
}

fn run(id: &str, status: RunStatus) -> Run {
    Run {
        id: id.into(),
        name: format!("run {id}"),
        source: "jsonl".into(),
        experiment: Some("seed".into()),
        status,
        start_time: Some(1_700_000_000.0),
        ..Run::default()
    }
}

fn series(n: usize, with_times: bool, value: impl Fn(usize) -> f64) -> MetricSeries {
    let mut series = MetricSeries::default();
    for i in 0..n {
        series.steps.push(i as i64);
        series.values.push(value(i));
        if with_times {
            series
                .times
                .get_or_insert_with(Vec::new)
                .push(1_700_000_000.0 + i as f64 * 0.25);
        }
    }
    series
}
