//! Incremental builds: `runlens build` keeps what it read in `.runlens-cache/` beside the
//! output, and a later build takes unchanged inputs from it. The report must be byte for
//! byte the one a build without the cache writes, after inputs were added and changed, and
//! with a damaged cache entry (ignored with a warning).

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use support::runlens;

/// Every file under `dir`, by relative path.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        for entry in fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = fs::read(&path).unwrap();
                out.insert(path.strip_prefix(dir).unwrap().to_path_buf(), bytes);
            }
        }
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            fs::copy(&path, target).unwrap();
        }
    }
}

/// A JSONL file of one run with `steps` points.
fn write_run(logs: &Path, id: usize, steps: usize) {
    let mut text = format!(
        "{{\"type\":\"run\",\"run\":\"r{id}\",\"name\":\"run {id}\"}}\n{{\"type\":\"params\",\"run\":\"r{id}\",\"params\":{{\"lr\":{}}}}}\n",
        id as f64 / 100.0
    );
    for step in 0..steps {
        text.push_str(&format!(
            "{{\"type\":\"metrics\",\"run\":\"r{id}\",\"step\":{step},\"values\":{{\"loss\":{}}}}}\n",
            1.0 / (1.0 + (step * id) as f64)
        ));
    }
    fs::write(logs.join(format!("run-{id:03}.jsonl")), text).unwrap();
}

fn build(logs: &Path, out: &Path, extra: &[&str]) -> support::Outcome {
    let mut args = vec![
        "build",
        logs.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--verbose",
    ];
    args.extend_from_slice(extra);
    let outcome = runlens(args);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    outcome
}

#[test]
fn a_warm_build_takes_unchanged_inputs_from_the_cache_and_writes_the_same_report() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    fs::create_dir(&logs).unwrap();
    for id in 0..20 {
        write_run(&logs, id, 50);
    }
    // Damaged input gives warnings, which must come out of the cache the same.
    support::write_damaged_inputs(&logs);
    // TensorBoard run directories (each cached as a directory, keyed by every file in it).
    let tb = support::repo_root().join("tests/fixtures/tensorboard/logdir/tbx");
    copy_dir(&tb.join("sweep"), &logs.join("tb/sweep"));
    copy_dir(&tb.join("basic"), &logs.join("tb/basic"));
    let site = dir.path().join("site");
    let first = build(&logs, &site, &[]);
    let cache = dir.path().join(".runlens-cache/site");
    let entries = fs::read_dir(&cache).unwrap().count();
    assert!(entries >= 20, "{entries} cache entries: {}", first.stderr);

    // Two runs added, one changed, and an event file added to a TensorBoard run.
    write_run(&logs, 20, 50);
    write_run(&logs, 21, 50);
    write_run(&logs, 3, 60);
    let restart = tb.join("restart");
    for file in fs::read_dir(&restart).unwrap() {
        let file = file.unwrap().path();
        fs::copy(&file, logs.join("tb/basic").join(file.file_name().unwrap())).unwrap();
    }
    let warm = build(&logs, &site, &[]);
    let reads = warm
        .stderr
        .lines()
        .find(|l| l.contains("taken from the read cache"))
        .unwrap_or_else(|| panic!("no cache note: {}", warm.stderr));
    let hits: usize = reads.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert_eq!(
        reads,
        format!("note: {hits} input(s) taken from the read cache, 4 read")
    );
    assert!(hits >= 19, "{reads}");
    let cold = dir.path().join("cold");
    let outcome = build(&logs, &cold, &["--no-cache"]);
    assert!(!outcome.stderr.contains("read cache"), "{}", outcome.stderr);
    assert!(!dir.path().join(".runlens-cache/cold").exists());
    assert!(
        files(&site) == files(&cold),
        "the warm build's report differs from a cold build's"
    );

    // A damaged entry is ignored with a warning, and the report is still the same.
    let entry = fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "rlc"))
        .unwrap();
    let mut bytes = fs::read(&entry).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    fs::write(&entry, bytes).unwrap();
    let again = build(&logs, &site, &[]);
    assert!(
        again
            .stderr
            .contains("is damaged (the checksum does not match); ignored"),
        "{}",
        again.stderr
    );
    assert!(
        files(&site) == files(&cold),
        "a damaged cache changed the report"
    );
}
