//! The report on disk: the same input gives byte-identical bundles and sites; a build killed
//! with `SIGKILL` at any point leaves the previous report intact (or the new one whole) and
//! nothing a later build trips on; two builds to one output never interleave.
//!
//! A build to be killed runs in a child process: this test binary again, running only the
//! ignored test [`child_build`], which runs `runlens` in-process with the arguments it is
//! given. The debug-build hook `RUNLENS_TEST_PAUSE=STAGE:FILE` (see `runlens-site`'s
//! `write.rs`) makes it stop at an exact point of the write.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::runlens;

/// Every file under `root` (relative path → bytes); a single file maps "" to its bytes.
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    if root.is_file() {
        out.insert(String::new(), std::fs::read(root).unwrap());
        return out;
    }
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path.strip_prefix(root).unwrap().display().to_string();
                out.insert(relative, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// The first difference between two trees, for a readable failure.
fn first_difference(
    a: &BTreeMap<String, Vec<u8>>,
    b: &BTreeMap<String, Vec<u8>>,
) -> Option<String> {
    let names_a: Vec<_> = a.keys().collect();
    let names_b: Vec<_> = b.keys().collect();
    if names_a != names_b {
        return Some(format!("file lists differ: {names_a:?} vs {names_b:?}"));
    }
    a.iter().find_map(|(name, bytes)| {
        let other = &b[name];
        (bytes != other).then(|| {
            let at = bytes.iter().zip(other).position(|(x, y)| x != y);
            let at = at.unwrap_or(bytes.len().min(other.len()));
            let context = |data: &[u8]| {
                String::from_utf8_lossy(&data[at.saturating_sub(60)..(at + 60).min(data.len())])
                    .into_owned()
            };
            format!(
                "{name:?} differs at byte {at} ({} vs {} bytes):\n{}\n---\n{}",
                bytes.len(),
                other.len(),
                context(bytes),
                context(other)
            )
        })
    })
}

fn assert_same_tree(a: &Path, b: &Path) {
    if let Some(difference) = first_difference(&tree(a), &tree(b)) {
        panic!("{} and {} differ: {difference}", a.display(), b.display());
    }
}

/// The sources of every reader that needs no Python: the plain sweep (JSONL and both
/// CSVs), an MLflow SQLite store with artifacts and a model registry (read with a few
/// threads), TensorBoard, W&B, trackio and DVCLive fixtures.
fn mixed_sources() -> Vec<String> {
    let root = support::repo_root();
    [
        "examples/plain-sweep",
        "tests/fixtures/mlflow/mlflow.db",
        "tests/fixtures/tensorboard/logdir",
        "tests/fixtures/wandb/wandb",
        "tests/fixtures/trackio/trackio",
        "tests/fixtures/dvclive/project",
    ]
    .iter()
    .map(|p| root.join(p).display().to_string())
    .collect()
}

fn build(sources: &[String], extra: &[&str]) {
    let mut args: Vec<String> = vec!["build".into(), "--quiet".into()];
    args.extend(sources.iter().cloned());
    args.extend(extra.iter().map(|s| s.to_string()));
    let outcome = runlens(&args);
    assert_eq!(outcome.code, 0, "runlens {args:?}:\n{}", outcome.stderr);
}

#[test]
fn the_same_input_gives_byte_identical_reports() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("notes.md");
    std::fs::write(
        &page,
        "# Notes\n\n```runlens\ngroup: source\nmetric: loss\n```\n",
    )
    .unwrap();
    let sources = mixed_sources();
    let out = |name: &str| dir.path().join(name).display().to_string();
    let page = page.display().to_string();
    let args = |n: &str| {
        [
            "--page".to_string(),
            page.clone(),
            "--out".into(),
            out(&format!("site-{n}")),
            "--single-file".into(),
            out(&format!("report-{n}.html")),
        ]
    };
    let first = args("1");
    build(
        &sources,
        &first.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    // A second apart: a time stamp in seconds would show.
    std::thread::sleep(Duration::from_millis(1100));
    let second = args("2");
    build(
        &sources,
        &second.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let site = tree(&dir.path().join("site-1"));
    assert!(
        site.contains_key("data/index.rlb")
            && site.keys().any(|k| k.starts_with("data/chunks/"))
            && site.keys().any(|k| k.starts_with("data/details/"))
            && site.keys().any(|k| k.starts_with("data/files/")),
        "the site has every kind of bundle file: {:?}",
        site.keys().collect::<Vec<_>>()
    );
    assert_same_tree(&dir.path().join("site-1"), &dir.path().join("site-2"));
    assert_same_tree(
        &dir.path().join("report-1.html"),
        &dir.path().join("report-2.html"),
    );

    // Built again over the first: the replaced site is the same, bytes and file list.
    build(
        &sources,
        &first.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_same_tree(&dir.path().join("site-1"), &dir.path().join("site-2"));
    assert_same_tree(
        &dir.path().join("report-1.html"),
        &dir.path().join("report-2.html"),
    );
}

/// Runs `runlens` with the JSON array of arguments in `RUNLENS_TEST_CHILD_ARGS` and exits
/// with its code: the child process of the tests below (ignored in a normal run).
#[test]
#[ignore = "run as a child process by the tests of this file"]
fn child_build() {
    let args = std::env::var("RUNLENS_TEST_CHILD_ARGS").expect("run as a child only");
    let args: Vec<String> = serde_json::from_str(&args).unwrap();
    let outcome = runlens(&args);
    eprint!("{}", outcome.stderr);
    std::process::exit(i32::from(outcome.code));
}

/// Starts [`child_build`] with `args`, paused at `pause` (`STAGE:FILE`) when given.
fn spawn_build(args: &[String], pause: Option<String>) -> Child {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(["--exact", "child_build", "--ignored", "--nocapture"])
        .env(
            "RUNLENS_TEST_CHILD_ARGS",
            serde_json::to_string(args).unwrap(),
        )
        .env_remove("RUNLENS_TEST_PAUSE")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(pause) = pause {
        command.env("RUNLENS_TEST_PAUSE", pause);
    }
    command.spawn().expect("the test binary starts again")
}

/// Waits until `marker` exists (the child reached its pause); fails if the child ends.
fn wait_for_pause(child: &mut Child, marker: &Path) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !marker.exists() {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
            panic!("the child build ended ({status}) before its pause:\n{err}");
        }
        assert!(Instant::now() < deadline, "the child build never paused");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `SIGKILL` (what `Child::kill` sends on Unix), then reaps the child.
fn kill(mut child: Child) {
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Names of the temporary entries runlens made beside `out` (not the lock files and the
/// read cache, which stay by design).
fn temporaries(parent: &Path) -> Vec<String> {
    std::fs::read_dir(parent)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| {
            n.starts_with(".runlens-") && !n.starts_with(".runlens-lock-") && n != ".runlens-cache"
        })
        .collect()
}

fn args(sources: &[String], extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = vec!["build".into(), "--quiet".into()];
    args.extend(sources.iter().cloned());
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

#[cfg(unix)]
#[test]
fn a_killed_build_leaves_the_previous_report_and_nothing_in_the_way() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let site = out.join("site");
    let report = out.join("report.html");
    let (site_s, report_s) = (site.display().to_string(), report.display().to_string());
    let old_sources = vec![
        support::examples()
            .join("plain-sweep")
            .display()
            .to_string(),
    ];
    let new_sources = mixed_sources();
    // The reports before, and what the new build makes when left alone.
    build(
        &old_sources,
        &["--out", &site_s, "--single-file", &report_s],
    );
    let reference = dir.path().join("reference");
    let (ref_site, ref_report) = (reference.join("site"), reference.join("report.html"));
    build(
        &new_sources,
        &[
            "--out",
            &ref_site.display().to_string(),
            "--single-file",
            &ref_report.display().to_string(),
        ],
    );
    let old_site = tree(&site);
    let old_report = tree(&report);
    assert!(first_difference(&old_site, &tree(&ref_site)).is_some());

    // Killed with everything written under temporary names, before the rename.
    for target in ["--out", "--single-file"] {
        let path = if target == "--out" {
            &site_s
        } else {
            &report_s
        };
        let marker = dir.path().join(format!("paused{target}"));
        let mut child = spawn_build(
            &args(&new_sources, &[target, path]),
            Some(format!("before-commit:{}", marker.display())),
        );
        wait_for_pause(&mut child, &marker);
        assert!(
            !temporaries(&out).is_empty(),
            "the killed build had written its files"
        );
        kill(child);
        assert_eq!(
            tree(&site),
            old_site,
            "{target}: the previous site is intact"
        );
        assert_eq!(
            tree(&report),
            old_report,
            "{target}: the previous file is intact"
        );
    }
    // The previous site still loads.
    let index = std::fs::read(site.join("data/index.rlb")).unwrap();
    let table = runlens_core::bundle::decode_index(&index).expect("the old site decodes");
    assert_eq!(table.len(), 10 + 12 + 3, "the plain sweep's runs");

    // Killed after the swap, before the previous site is removed: the new site is whole.
    let marker = dir.path().join("paused-after-swap");
    let mut child = spawn_build(
        &args(&new_sources, &["--out", &site_s]),
        Some(format!("after-swap:{}", marker.display())),
    );
    wait_for_pause(&mut child, &marker);
    kill(child);
    assert_same_tree(&site, &ref_site);
    assert!(!temporaries(&out).is_empty(), "the old site was left aside");

    // The next build clears what the killed ones left and writes normally.
    build(
        &old_sources,
        &["--out", &site_s, "--single-file", &report_s],
    );
    assert_eq!(temporaries(&out), Vec::<String>::new());
    assert_eq!(tree(&site), old_site);
    assert_eq!(tree(&report), old_report);

    // Killed at whatever point a few moments in: either report, whole.
    for delay in [50, 400, 1500] {
        let child = spawn_build(
            &args(
                &new_sources,
                &["--out", &site_s, "--single-file", &report_s],
            ),
            None,
        );
        std::thread::sleep(Duration::from_millis(delay));
        kill(child);
        let now = tree(&site);
        assert!(
            now == old_site || first_difference(&now, &tree(&ref_site)).is_none(),
            "killed after {delay} ms: the site is one build's, whole"
        );
        let now = tree(&report);
        assert!(
            now == old_report || now == tree(&ref_report),
            "killed after {delay} ms: the file is one build's, whole"
        );
        build(
            &old_sources,
            &["--out", &site_s, "--single-file", &report_s],
        );
        assert_eq!(temporaries(&out), Vec::<String>::new());
    }
}

#[cfg(unix)]
#[test]
fn concurrent_builds_to_one_output_never_interleave() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    let site_s = site.display().to_string();
    let sources = vec![
        support::examples()
            .join("plain-sweep")
            .display()
            .to_string(),
    ];
    let titles = ["first", "second", "third"];
    let references: Vec<_> = titles
        .iter()
        .map(|title| {
            let path = dir.path().join(format!("ref-{title}"));
            build(
                &sources,
                &["--title", title, "--out", &path.display().to_string()],
            );
            tree(&path)
        })
        .collect();

    // While one build holds the output, a second is refused with a message naming it.
    let marker = dir.path().join("paused");
    let mut holder = spawn_build(
        &args(&sources, &["--title", "first", "--out", &site_s]),
        Some(format!("before-commit:{}", marker.display())),
    );
    wait_for_pause(&mut holder, &marker);
    let refused = runlens(args(&sources, &["--title", "second", "--out", &site_s]));
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("another runlens build is writing")
            && refused.stderr.contains(".runlens-lock-")
            && refused.stderr.contains("wait for it to finish"),
        "{}",
        refused.stderr
    );
    assert!(!site.exists(), "the refused build wrote nothing");
    kill(holder);
    let after = runlens(args(&sources, &["--title", "second", "--out", &site_s]));
    assert_eq!(
        after.code, 0,
        "the lock died with its holder: {}",
        after.stderr
    );
    assert_eq!(tree(&site), references[1]);

    // Three builds at once, a few times: the site is always exactly one finished build's.
    for round in 0..3 {
        let children: Vec<_> = titles
            .iter()
            .map(|title| spawn_build(&args(&sources, &["--title", title, "--out", &site_s]), None))
            .collect();
        let mut succeeded = Vec::new();
        for (i, child) in children.into_iter().enumerate() {
            let output = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            match output.status.code() {
                Some(0) => succeeded.push(i),
                Some(1) if stderr.contains("another runlens build is writing") => {}
                other => panic!("round {round}, build {i}: exit {other:?}:\n{stderr}"),
            }
        }
        assert!(!succeeded.is_empty(), "round {round}: some build finished");
        let now = tree(&site);
        let whose: Vec<usize> = (0..titles.len())
            .filter(|&i| references[i] == now)
            .collect();
        assert_eq!(
            whose.len(),
            1,
            "round {round}: the site is one build's output"
        );
        assert!(
            succeeded.contains(&whose[0]),
            "round {round}: the site is a build that reported success"
        );
        assert_eq!(temporaries(dir.path()), Vec::<String>::new());
    }
}
