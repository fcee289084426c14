//! A directory walk read on several threads (`ReadOptions::threads`) gives what it gives
//! read one entry after another: the same runs in the same order, the same warnings in the
//! same order, the same files read and listed as unrecognized, the same progress reports,
//! the same artifacts embedded under a budget that runs out part-way, the same cache
//! entries, and byte for byte the same bundle, held in memory or spilled. The logdir holds
//! 48 TensorBoard run directories (the fixtures' event files, each of `tbx/basic` with an
//! image), two of them damaged, a directory of two runs (read on threads of its own), a
//! JSONL file and a metrics CSV among them, an unrecognized file, a symbolic link loop, a
//! link to a run directory (read once) and a link to nothing.

use std::fs;
use std::path::{Path, PathBuf};

use runlens_core::bundle;
use runlens_ingest::{ReadCache, ReadOptions, ReadReport, read_sources_cached};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The fixtures' event files, `tbx/basic` (with an image) first.
fn event_files() -> Vec<PathBuf> {
    let fixtures = repo().join("tests/fixtures");
    [
        "tensorboard/logdir/tbx/basic/events.out.tfevents.1700000000.runlens-fixtures",
        "tensorboard/logdir/tbx/sweep/events.out.tfevents.1700003000.runlens-fixtures",
        "tensorboard/logdir/keras/train/events.out.tfevents.1700005000.runlens-fixtures",
        "tensorboard/logdir/keras/validation/events.out.tfevents.1700005011.runlens-fixtures",
        "tensorboard/logdir/encodings/events.out.tfevents.1700008000.runlens-fixtures",
        "tensorboard-tf2/logdir/tf2/summaries/events.out.tfevents.1795983394.runlens-fixtures",
    ]
    .iter()
    .map(|f| fixtures.join(f))
    .collect()
}

fn copy_into(file: &Path, dir: &Path) {
    fs::create_dir_all(dir).unwrap();
    fs::copy(file, dir.join(file.file_name().unwrap())).unwrap();
}

/// The logdir described at the top.
fn logdir(root: &Path) {
    let files = event_files();
    for i in 0..48 {
        // Every other run is `tbx/basic`, so images are spread over the whole walk.
        let file = if i % 2 == 0 {
            &files[0]
        } else {
            &files[1 + (i / 2) % (files.len() - 1)]
        };
        copy_into(file, &root.join(format!("run_{i:03}")));
    }
    // Damaged: cut inside a record, and a flipped byte in a record's data.
    let basic = fs::read(&files[0]).unwrap();
    let cut = root.join("run_010").join(files[0].file_name().unwrap());
    fs::write(&cut, &basic[..basic.len() - 7]).unwrap();
    let mut flipped = basic.clone();
    flipped[200] ^= 0x55;
    fs::write(
        root.join("run_031").join(files[0].file_name().unwrap()),
        &flipped,
    )
    .unwrap();
    // A directory of two runs, claimed as one entry.
    copy_into(&files[2], &root.join("run_020b"));
    copy_into(&files[3], &root.join("run_020b/validation"));
    let plain = repo().join("examples/plain-sweep");
    fs::copy(plain.join("sweep.jsonl"), root.join("run_024.jsonl")).unwrap();
    fs::copy(
        plain.join("finetune-metrics.csv"),
        root.join("run_040_metrics.csv"),
    )
    .unwrap();
    fs::write(root.join("run_012_notes.txt"), "not a log").unwrap();
    std::os::unix::fs::symlink(".", root.join("run_036_loop")).unwrap();
    // A second path to a run directory (read once, through the first), and a link to
    // nothing (listed as unrecognized).
    std::os::unix::fs::symlink("run_002", root.join("run_045_alias")).unwrap();
    std::os::unix::fs::symlink("nowhere", root.join("run_046_dangling")).unwrap();
}

/// What a read gave, everything a build shows.
#[derive(Debug, PartialEq)]
struct Outcome {
    runs: Vec<(String, String, usize)>,
    warnings: Vec<String>,
    unrecognized: Vec<PathBuf>,
    files_read: usize,
    progress: Vec<PathBuf>,
    embedded: usize,
    bundle: bundle::EncodedBundle,
}

fn read(
    root: &Path,
    threads: usize,
    max_artifact_bytes: u64,
    spill: Option<&Path>,
    cache: Option<&mut ReadCache>,
) -> Outcome {
    let mut options = ReadOptions::default();
    options.threads = threads;
    options.max_artifact_bytes = max_artifact_bytes;
    options.spill_dir = spill.map(Path::to_path_buf);
    let mut progress = Vec::new();
    let report: ReadReport = read_sources_cached(
        &[root.to_path_buf()],
        &options,
        &runlens_ingest::readers(),
        &mut |path| progress.push(path.to_path_buf()),
        cache,
    )
    .unwrap();
    let archive = &report.archive;
    Outcome {
        runs: archive
            .runs
            .iter()
            .map(|r| (r.source.clone(), r.id.clone(), r.artifacts.len()))
            .collect(),
        warnings: archive.warnings.iter().map(ToString::to_string).collect(),
        unrecognized: report.unrecognized.clone(),
        files_read: report.files_read,
        progress,
        embedded: archive
            .runs
            .iter()
            .flat_map(|r| &r.artifacts)
            .filter(|a| a.content.is_some())
            .count(),
        bundle: bundle::encode_with(archive, &report.series(), "t", 512).unwrap(),
    }
}

#[test]
fn a_walk_read_on_several_threads_gives_what_it_gives_read_one_by_one() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("logs");
    logdir(&root);
    let image = {
        let one = read(&root, 1, u64::MAX, None, None);
        let bytes: Vec<u64> = one.bundle.files.iter().map(|f| f.len() as u64).collect();
        assert!(!bytes.is_empty(), "the images are embedded");
        bytes[0]
    };
    let spill = tempfile::tempdir().unwrap();
    // No room, room for 5 of the images (so reads done ahead of one that took the last
    // bytes are read again), and room for all.
    for budget in [0, image * 5 + image / 2, u64::MAX] {
        let one = read(&root, 1, budget, None, None);
        assert!(one.runs.len() > 50, "{} runs", one.runs.len());
        assert!(
            one.runs.iter().any(|(source, _, _)| source == "jsonl")
                && one
                    .runs
                    .iter()
                    .any(|(source, _, _)| source == "metrics-csv")
        );
        for expected in [
            "run_010/events.out.tfevents.1700000000.runlens-fixtures",
            "run_031/events.out.tfevents.1700000000.runlens-fixtures",
            "run_036_loop: a symbolic link loop",
        ] {
            assert!(
                one.warnings.iter().any(|w| w.contains(expected)),
                "no warning about {expected}: {:#?}",
                one.warnings
            );
        }
        assert!(
            one.unrecognized
                .iter()
                .any(|p| p.ends_with("run_012_notes.txt"))
                && one
                    .unrecognized
                    .iter()
                    .any(|p| p.ends_with("run_046_dangling"))
        );
        assert!(
            one.runs.iter().any(|(_, id, _)| id == "run_002")
                && !one.runs.iter().any(|(_, id, _)| id.contains("alias")),
            "the run directory behind the link is read once, under its own name"
        );
        match budget {
            0 => assert_eq!(one.embedded, 0),
            u64::MAX => assert!(one.embedded >= 20, "{} images", one.embedded),
            _ => assert_eq!(one.embedded, 5),
        }
        for threads in [2, 8] {
            assert_eq!(
                read(&root, threads, budget, None, None),
                one,
                "{threads} threads, budget {budget}"
            );
        }
        assert_eq!(
            read(&root, 3, budget, Some(spill.path()), None),
            one,
            "3 threads, budget {budget}, spilled"
        );
    }
}

#[test]
fn a_walk_read_on_several_threads_fills_and_uses_the_cache_as_one_read_one_by_one() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("logs");
    logdir(&root);
    let options = ReadOptions::default();
    let one = read(&root, 1, u64::MAX, None, None);
    let mut counts = Vec::new();
    for threads in [1, 4] {
        let cache_dir = tempfile::tempdir().unwrap();
        let mut cache = ReadCache::new(cache_dir.path(), &options);
        let first = read(&root, threads, u64::MAX, None, Some(&mut cache));
        assert_eq!(first, one, "{threads} threads, filling the cache");
        let filled = cache.hits_and_misses();
        let mut cache = ReadCache::new(cache_dir.path(), &options);
        let second = read(&root, threads, u64::MAX, None, Some(&mut cache));
        assert_eq!(second, one, "{threads} threads, from the cache");
        let (hits, misses) = cache.hits_and_misses();
        assert_eq!(filled, (0, one.files_read), "{threads} threads");
        assert_eq!(hits + misses, one.files_read);
        // The run directories with an image touched the budget, so were not kept.
        assert!(hits >= 20 && misses >= 20, "{hits} hits, {misses} misses");
        counts.push((hits, misses, cache_files(cache_dir.path())));
    }
    assert_eq!(counts[0], counts[1], "the same entries kept and used");
}

/// The names of the cache's entry files, sorted.
fn cache_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
