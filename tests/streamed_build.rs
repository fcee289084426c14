//! `runlens build` streams: it spills the metric points of each input to a temporary file
//! beside the output and encodes the bundle from there. The data it writes must be byte for
//! byte the bundle of the same sources read and encoded in memory: over several formats,
//! several MLflow runs and a run split over two JSONL files.

mod support;

use std::fs;
use std::path::{Path, PathBuf};

use runlens_core::bundle::{self, EncodedBundle};
use runlens_ingest::{ReadOptions, read_sources};
use support::runlens;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Run `split` over two files (points out of order, NaN and infinities); run `solo` in one.
fn write_jsonl(dir: &Path) {
    let mut first = String::new();
    let mut second = String::new();
    for step in (0..300).rev() {
        let value = match step % 50 {
            7 => "NaN".to_string(),
            8 => "Infinity".to_string(),
            9 => "-Infinity".to_string(),
            _ => format!("{}", 1.0 / (1.0 + f64::from(step))),
        };
        let line = format!(
            "{{\"type\":\"metrics\",\"run\":\"split\",\"step\":{step},\"time\":{},\"values\":{{\"loss\":{value},\"acc\":{}}}}}\n",
            1_700_000_000 + step,
            f64::from(step) / 300.0
        );
        if step % 3 == 0 {
            second.push_str(&line);
        } else {
            first.push_str(&line);
        }
    }
    first.push_str("{\"type\":\"run\",\"run\":\"split\",\"status\":\"finished\"}\n");
    second.push_str("{\"type\":\"params\",\"run\":\"split\",\"params\":{\"lr\":0.01}}\n");
    for step in 0..40 {
        second.push_str(&format!(
            "{{\"type\":\"metrics\",\"run\":\"solo\",\"step\":{step},\"values\":{{\"loss\":{}}}}}\n",
            f64::from(step).sqrt()
        ));
    }
    fs::write(dir.join("part-1.jsonl"), first).unwrap();
    fs::write(dir.join("part-2.jsonl"), second).unwrap();
}

/// The bundle files of a site: `data/` by relative path.
fn data_files(site: &Path) -> Vec<(String, Vec<u8>)> {
    let data = site.join("data");
    let mut out = vec![(
        "index.rlb".to_string(),
        fs::read(data.join("index.rlb")).unwrap(),
    )];
    for dir in ["chunks", "levels", "clocks", "details", "files"] {
        let Ok(entries) = fs::read_dir(data.join(dir)) else {
            continue;
        };
        let mut names: Vec<String> = entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        for name in names {
            let bytes = fs::read(data.join(dir).join(&name)).unwrap();
            out.push((format!("{dir}/{name}"), bytes));
        }
    }
    out
}

/// The same files for an encoded bundle, named as the site writer names them.
fn bundle_files(bundle: &EncodedBundle) -> Vec<(String, Vec<u8>)> {
    let mut out = vec![("index.rlb".to_string(), bundle.index.clone())];
    let mut named = |dir: &str, files: &[Vec<u8>], ext: &str| {
        let mut list: Vec<(String, Vec<u8>)> = files
            .iter()
            .enumerate()
            .map(|(i, bytes)| (format!("{dir}/{i}{ext}"), bytes.clone()))
            .collect();
        list.sort();
        out.extend(list);
    };
    named("chunks", &bundle.chunks, ".rlb");
    named("levels", &bundle.levels, ".rlb");
    named("clocks", &bundle.clocks, ".rlb");
    named("details", &bundle.details, ".rlb");
    named("files", &bundle.files, "");
    out
}

#[test]
fn a_streamed_build_writes_the_bundle_an_in_memory_read_encodes() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    fs::create_dir(&logs).unwrap();
    write_jsonl(&logs);
    let sources = [
        logs.clone(),
        fixtures().join("mlflow"),
        fixtures().join("tensorboard/logdir"),
    ];
    let site = dir.path().join("site");
    let mut args: Vec<String> = vec!["build".into()];
    args.extend(sources.iter().map(|p| p.display().to_string()));
    args.extend(
        [
            "--out",
            site.to_str().unwrap(),
            "--title",
            "t",
            "--no-cache",
        ]
        .map(String::from),
    );
    let outcome = runlens(&args);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert!(!outcome.stderr.contains("spill"), "{}", outcome.stderr);
    // Nothing is left beside the output: the spill file had no name.
    let mut beside: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with(".runlens-lock-"))
        .collect();
    beside.sort();
    assert_eq!(beside, ["logs", "site"]);

    let held = read_sources(&sources, &ReadOptions::default()).unwrap();
    let mlflow_runs = held
        .archive
        .runs
        .iter()
        .filter(|r| r.source == "mlflow")
        .count();
    assert!(mlflow_runs >= 3, "{mlflow_runs} MLflow runs");
    let split = held.archive.runs.iter().find(|r| r.id == "split").unwrap();
    assert_eq!(split.metrics["loss"].len(), 300);
    let expected = bundle::encode(&held.archive, "t", bundle::DEFAULT_CHUNK_POINTS);
    let written = data_files(&site);
    let wanted = bundle_files(&expected);
    assert_eq!(
        written.iter().map(|(name, _)| name).collect::<Vec<_>>(),
        wanted.iter().map(|(name, _)| name).collect::<Vec<_>>()
    );
    for ((name, got), (_, want)) in written.iter().zip(&wanted) {
        assert!(got == want, "{name} differs from the in-memory bundle's");
    }
    assert!(
        outcome
            .stdout
            .contains(&format!("{} metric points", held.archive.point_count())),
        "{}",
        outcome.stdout
    );
}

/// `runlens build` with `extra` outputs, from the JSONL logs and the MLflow fixture.
fn build_to(logs: &Path, extra: &[&Path], flags: &[&str]) -> support::Outcome {
    let mut args: Vec<String> = vec!["build".into()];
    args.push(logs.display().to_string());
    args.push(fixtures().join("mlflow").display().to_string());
    for (flag, path) in flags.iter().zip(extra) {
        args.push(flag.to_string());
        args.push(path.display().to_string());
    }
    args.extend(["--title", "t", "--no-cache", "--quiet"].map(String::from));
    runlens(&args)
}

#[test]
fn reports_written_as_chunks_are_encoded_match_those_written_from_memory() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    fs::create_dir(&logs).unwrap();
    write_jsonl(&logs);
    // One output: chunks go to the site's staging directory, or to the single file's
    // spool. Both outputs: chunks are held in memory and each writer takes them from there.
    let (site, single) = (dir.path().join("site"), dir.path().join("one.html"));
    let (both_site, both_single) = (dir.path().join("both"), dir.path().join("both.html"));
    for outcome in [
        build_to(&logs, &[&site], &["--out"]),
        build_to(&logs, &[&single], &["--single-file"]),
        build_to(
            &logs,
            &[&both_site, &both_single],
            &["--out", "--single-file"],
        ),
    ] {
        assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    }
    let streamed = fs::read(&single).unwrap();
    assert!(streamed.len() > 500_000, "{} bytes", streamed.len());
    assert!(
        streamed == fs::read(&both_single).unwrap(),
        "the single file written from the spool differs"
    );
    let page = String::from_utf8(streamed).unwrap();
    assert!(page.contains("id=\"rl-chunk-0\""));
    assert!(
        fs::read(site.join("index.html")).unwrap()
            == fs::read(both_site.join("index.html")).unwrap()
    );
    assert!(
        data_files(&site) == data_files(&both_site),
        "site data differs"
    );
    assert!(
        data_files(&site)
            .iter()
            .any(|(name, _)| name.starts_with("chunks/"))
    );
    // Nothing is left beside the outputs (the spools had no name).
    let mut beside: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with(".runlens-lock-") && !name.starts_with(".runlens-cache"))
        .collect();
    beside.sort();
    assert_eq!(beside, ["both", "both.html", "logs", "one.html", "site"]);
}

/// A float as `export` and `inspect --json` write it.
fn float_value(x: f64) -> serde_json::Value {
    if x.is_finite() {
        serde_json::json!(x)
    } else {
        serde_json::json!(runlens_core::model::format_float(x))
    }
}

#[test]
fn inspect_and_export_read_spilled_points_back_as_held_ones() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    fs::create_dir(&logs).unwrap();
    write_jsonl(&logs);
    let sources = [logs.clone(), fixtures().join("mlflow")];
    let held = read_sources(&sources, &ReadOptions::default()).unwrap();
    let source_args: Vec<String> = sources.iter().map(|p| p.display().to_string()).collect();

    let out = dir.path().join("points.jsonl");
    let mut args = vec!["export".to_string()];
    args.extend(source_args.iter().cloned());
    args.extend(["--table", "metrics", "--format", "jsonl", "--quiet", "-o"].map(String::from));
    args.push(out.display().to_string());
    let outcome = runlens(&args);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let got: Vec<serde_json::Value> = fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut expected = Vec::new();
    for run in &held.archive.runs {
        for (key, series) in &run.metrics {
            for i in 0..series.len() {
                expected.push(serde_json::json!({
                    "run": run.id,
                    "key": key,
                    "step": series.steps[i],
                    "time": series.times.as_ref().map(|t| float_value(t[i])),
                    "value": float_value(series.values[i]),
                }));
            }
        }
    }
    assert!(expected.len() > 1000, "{} points", expected.len());
    assert!(
        got == expected,
        "exported points differ from the held read's"
    );
    // The spill had no name: only the export (and the output lock) is beside it.
    let beside: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with(".runlens-lock-"))
        .collect();
    assert_eq!(beside.len(), 2, "{beside:?}");

    let mut args = vec!["inspect".to_string(), "--json".to_string()];
    args.extend(source_args);
    let outcome = runlens(&args);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let doc: serde_json::Value = serde_json::from_str(&outcome.stdout).unwrap();
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), held.archive.runs.len());
    for (run, json) in held.archive.runs.iter().zip(runs) {
        assert_eq!(json["id"], run.id.as_str());
        let metrics = json["metrics"].as_object().unwrap();
        assert_eq!(metrics.len(), run.metrics.len(), "keys of {}", run.id);
        for (key, series) in &run.metrics {
            let m = &metrics[key];
            assert_eq!(m["count"], series.len() as u64, "{} {key}", run.id);
            if let Some(s) = series.summary() {
                assert_eq!(m["last"], float_value(s.last), "{} {key}", run.id);
                assert_eq!(m["min"], float_value(s.min));
                assert_eq!(m["max"], float_value(s.max));
            }
        }
    }
}
