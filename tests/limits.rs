//! Resource limits end to end: a run whose name, param, tag and notes are 1 MB each is built
//! into a report whose bundle holds them cut (with the marker) and lists what was cut among
//! its warnings; artifacts beyond `--max-artifact-bytes` are counted in a warning too.

mod support;

use std::fs;
use std::path::Path;

use runlens_core::Warning;
use runlens_core::bundle;
use support::runlens;

const MB: usize = 1 << 20;

/// An MLflow file store (experiment `1`, run `big`) whose run name (`mlflow.runName`), param
/// `lr`, tag `team` and notes (`mlflow.note.content`) are `MB` bytes each, with one metric
/// point and, under `artifacts/`, two small text files.
fn write_store(root: &Path) -> std::path::PathBuf {
    let store = root.join("mlruns");
    let experiment = store.join("1");
    let run = experiment.join("big");
    for dir in ["params", "tags", "metrics", "artifacts"] {
        fs::create_dir_all(run.join(dir)).unwrap();
    }
    fs::write(
        experiment.join("meta.yaml"),
        format!(
            "artifact_location: {}\nexperiment_id: '1'\nlifecycle_stage: active\nname: limits\n",
            experiment.display()
        ),
    )
    .unwrap();
    fs::write(
        run.join("meta.yaml"),
        format!(
            "artifact_uri: {}\nexperiment_id: '1'\nlifecycle_stage: active\nrun_id: big\nstart_time: 1700000000000\nstatus: 3\n",
            run.join("artifacts").display()
        ),
    )
    .unwrap();
    // Multi-byte characters, so a cut at a byte count can fall inside one.
    let long = |c: &str| c.repeat(MB / c.len());
    fs::write(run.join("tags/mlflow.runName"), long("ü")).unwrap();
    fs::write(run.join("params/lr"), long("7")).unwrap();
    fs::write(run.join("tags/team"), long("€")).unwrap();
    fs::write(run.join("tags/mlflow.note.content"), long("n")).unwrap();
    fs::write(run.join("metrics/loss"), "1700000000000 0.5 0\n").unwrap();
    fs::write(run.join("artifacts/a.txt"), "a".repeat(600)).unwrap();
    fs::write(run.join("artifacts/b.txt"), "b".repeat(600)).unwrap();
    store
}

fn messages(warnings: &[Warning]) -> Vec<String> {
    warnings.iter().map(ToString::to_string).collect()
}

#[test]
fn megabyte_text_is_cut_in_the_bundle_and_named_in_its_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let store = write_store(dir.path());
    let site = dir.path().join("site");
    let outcome = runlens([
        "build",
        store.to_str().unwrap(),
        "--out",
        site.to_str().unwrap(),
        "--max-text-bytes",
        "1KiB",
        "--max-artifact-bytes",
        "700",
    ]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let index = fs::read(site.join("data/index.rlb")).unwrap();
    let table = bundle::decode_index(&index).unwrap();
    assert_eq!(table.len(), 1);
    let run = table.run_without_series(0);

    // Names: cut at the default 1 KiB, at a character boundary ("ü" is 2 bytes).
    assert_eq!(
        run.name,
        format!("{}… [{} bytes cut]", "ü".repeat(512), MB - 1024)
    );
    // Values: cut at --max-text-bytes 1 KiB ("€" is 3 bytes: 341 of them, 1023 bytes).
    assert_eq!(
        run.tags["team"],
        format!("{}… [{} bytes cut]", "€".repeat(341), MB / 3 * 3 - 1023)
    );
    let lr = run.param_display("lr").unwrap();
    assert_eq!(
        lr,
        format!("{}… [{} bytes cut]", "7".repeat(1024), MB - 1024)
    );

    // Notes are in the run's details file.
    let detail = &table.details[0];
    let bytes = fs::read(site.join(format!("data/details/{}.rlb", detail.id))).unwrap();
    let details = bundle::details::decode_detail(detail, &bytes).unwrap();
    assert_eq!(
        details[0].notes.as_deref(),
        Some(format!("{}… [{} bytes cut]", "n".repeat(1024), MB - 1024).as_str())
    );

    // The report says what was cut, and that an artifact was left out.
    let listed = messages(&table.warnings);
    let cut = listed
        .iter()
        .find(|w| w.contains("was cut"))
        .unwrap_or_else(|| panic!("no warning about cut text in {listed:#?}"));
    for field in [
        "name (1048576 bytes)",
        "param `lr` value (1048576 bytes)",
        "tag `team` value (1048575 bytes)",
        "notes (1048576 bytes)",
    ] {
        assert!(cut.contains(field), "{field} is named in {cut}");
    }
    assert!(cut.starts_with("mlflow run `big`"), "{cut}");
    assert!(
        listed.iter().any(|w| w.starts_with(
            "--max-artifact-bytes: 1 artifact file(s) (600 bytes) are listed without their content"
        )),
        "{listed:#?}"
    );
    // The bundle holds no megabyte string: the whole site is far smaller than the input.
    let bundle_bytes: u64 = walk_size(&site.join("data"));
    assert!(bundle_bytes < 64 * 1024, "the data is {bundle_bytes} bytes");
    // The same warnings reach the terminal.
    assert!(outcome.stderr.contains("was cut"), "{}", outcome.stderr);
}

fn walk_size(dir: &Path) -> u64 {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                walk_size(&e.path())
            } else {
                e.metadata().unwrap().len()
            }
        })
        .sum()
}

#[test]
fn text_limits_come_from_the_config_under_the_flags() {
    let dir = tempfile::tempdir().unwrap();
    let store = write_store(dir.path());
    let config = dir.path().join("runlens.toml");
    fs::write(
        &config,
        "max_text_bytes = \"100B\"\nmax_name_bytes = \"10B\"\n",
    )
    .unwrap();
    let outcome = runlens([
        "inspect",
        store.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--json",
        "--max-name-bytes",
        "20B",
    ]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let json: serde_json::Value = serde_json::from_str(&outcome.stdout).unwrap();
    let run = &json["runs"][0];
    // The flag's 20 bytes for names, the config's 100 for values.
    assert_eq!(
        run["name"].as_str().unwrap(),
        format!("{}… [{} bytes cut]", "ü".repeat(10), MB - 20)
    );
    assert_eq!(
        run["tags"]["team"].as_str().unwrap(),
        format!("{}… [{} bytes cut]", "€".repeat(33), MB / 3 * 3 - 99)
    );
}

/// The page lists the cut fields and the artifact left out among its warnings, as text.
#[tokio::test]
async fn the_page_shows_what_was_cut() {
    use support::browser::{Browser, Scripts};
    let dir = tempfile::tempdir().unwrap();
    let store = write_store(dir.path());
    let report = dir.path().join("limits.html");
    let outcome = runlens([
        "build",
        store.to_str().unwrap(),
        "--single-file",
        report.to_str().unwrap(),
        "--max-artifact-bytes",
        "700",
    ]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let browser = Browser::start(Scripts::Enabled).await;
    let url = format!("file://{}", report.canonicalize().unwrap().display());
    browser.client.goto(&url).await.unwrap();
    browser.wait_ready().await.expect("the report starts");
    let shown = browser
        .js("const s = document.getElementById('rl-warnings'); return [s.hidden, s.textContent];")
        .await;
    assert_eq!(
        shown[0],
        serde_json::json!(false),
        "the warning list is shown"
    );
    let text = shown[1].as_str().unwrap();
    for expected in [
        "mlflow run `big`",
        "was cut: name (1048576 bytes)",
        "notes (1048576 bytes)",
        "1 artifact file(s) (600 bytes) are listed without their content",
    ] {
        assert!(text.contains(expected), "{expected:?} in the page: {text}");
    }
    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    browser.close().await;
}
