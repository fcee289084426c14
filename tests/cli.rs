//! End-to-end tests of the `runlens` command (run in-process): output snapshots, bad input,
//! `--strict`, exit codes and atomic output.

mod support;

use std::fs;

use serde_json::Value;
use support::runlens;

/// Snapshot settings that hide what changes from machine to machine: temp paths and sizes.
fn stable_output() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"/tmp/[^\s:]+/", "[TMP]/");
    settings.add_filter(r"\d+(\.\d+)? (B|KB|MB|GB)\b", "[SIZE]");
    settings.add_filter(
        &regex_escape(&support::examples().display().to_string()),
        "[EXAMPLES]",
    );
    settings
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if "\\.+*?()|[]{}^$".contains(c) {
                vec!['\\', c]
            } else {
                vec![c]
            }
        })
        .collect()
}

fn examples() -> String {
    support::examples().display().to_string()
}

#[test]
fn inspect_prints_a_table_of_the_examples() {
    let outcome = runlens(["inspect", &examples()]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    stable_output().bind(|| insta::assert_snapshot!(outcome.stdout));
}

#[test]
fn inspect_json_follows_the_documented_schema() {
    let outcome = runlens(["inspect", "--json", &examples()]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let doc: Value = serde_json::from_str(&outcome.stdout).expect("valid JSON");
    let runs = doc["runs"].as_array().expect("runs array");
    assert!(runs.len() >= 8, "the examples hold a sweep");
    for run in runs {
        for field in [
            "id",
            "name",
            "source",
            "experiment",
            "group",
            "status",
            "start_time",
            "end_time",
            "params",
            "tags",
            "metrics",
        ] {
            assert!(run.get(field).is_some(), "run lacks {field}: {run}");
        }
        let status = run["status"].as_str().unwrap();
        assert!(["finished", "failed", "running", "killed", "unknown"].contains(&status));
        for (key, summary) in run["metrics"].as_object().unwrap() {
            for field in ["count", "first_step", "last_step", "last", "min", "max"] {
                assert!(summary.get(field).is_some(), "{key} lacks {field}");
            }
        }
    }
    // The diverging run keeps its NaN/inf as the documented strings.
    let text = outcome.stdout.as_str();
    assert!(
        text.contains("\"NaN\"") || text.contains("\"Infinity\""),
        "non-finite values are spelled out"
    );
    stable_output().bind(|| insta::assert_snapshot!(outcome.stdout));
}

#[test]
fn build_writes_both_outputs_and_prints_their_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    let file = dir.path().join("report.html");
    let outcome = runlens([
        "build",
        &examples(),
        "--out",
        site.to_str().unwrap(),
        "--single-file",
        file.to_str().unwrap(),
    ]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    for part in [
        "index.html",
        "assets/boot.js",
        "assets/runlens_web.js",
        "assets/runlens_web_bg.wasm",
        "assets/plotly.min.js",
        "data/index.rlb",
        "data/chunks/0.rlb",
        ".nojekyll",
    ] {
        assert!(site.join(part).is_file(), "site lacks {part}");
    }
    let html = fs::read_to_string(&file).unwrap();
    assert!(html.contains("Content-Security-Policy"));
    assert!(html.contains("connect-src 'none'"));
    assert!(
        !html.contains("src=\"http"),
        "the single file references nothing outside itself"
    );
    stable_output().bind(|| insta::assert_snapshot!(outcome.stdout));
}

#[test]
fn the_same_logs_give_byte_identical_reports() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.html"), dir.path().join("b.html"));
    for out in [&a, &b] {
        assert_eq!(
            runlens(["build", &examples(), "--single-file", out.to_str().unwrap()]).code,
            0
        );
    }
    assert!(
        fs::read(&a).unwrap() == fs::read(&b).unwrap(),
        "two builds differ"
    );
}

/// A folder with a good JSONL file, a JSONL with a malformed line in the middle and a
/// truncated last line, and a long-form metrics CSV missing its value column.
#[test]
fn damaged_input_is_named_by_file_and_line_and_the_rest_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    fs::create_dir(&logs).unwrap();
    support::write_damaged_inputs(&logs);
    let outcome = runlens(["inspect", "--json", logs.to_str().unwrap()]);
    assert_eq!(
        outcome.code, 0,
        "warnings do not fail the command: {}",
        outcome.stderr
    );
    let doc: Value = serde_json::from_str(&outcome.stdout).unwrap();
    let warnings = doc["warnings"].as_array().unwrap();
    let at = |file: &str, line: Option<u64>| {
        warnings.iter().any(|w| {
            w["path"].as_str().unwrap().ends_with(file)
                && (line.is_none() || w["line"].as_u64() == line)
        })
    };
    assert!(
        at("damaged.jsonl", Some(2)),
        "unterminated object on line 2: {warnings:#?}"
    );
    assert!(
        at("damaged.jsonl", Some(3)),
        "garbage on line 3: {warnings:#?}"
    );
    assert!(
        at("damaged.jsonl", Some(5)),
        "truncated last line 5: {warnings:#?}"
    );
    assert!(at("no-value.csv", None), "missing column: {warnings:#?}");
    let csv_warning = warnings
        .iter()
        .find(|w| w["path"].as_str().unwrap().ends_with("no-value.csv"))
        .unwrap();
    assert!(
        csv_warning["message"].as_str().unwrap().contains("value"),
        "names the missing column: {csv_warning}"
    );

    let runs = doc["runs"].as_array().unwrap();
    let half = runs
        .iter()
        .find(|r| r["id"] == "half")
        .expect("the damaged file's readable lines are kept");
    assert_eq!(half["metrics"]["loss"]["count"], 2, "steps 0 and 3 survive");
    assert_eq!(half["metrics"]["loss"]["last"], 1.0);
    assert!(
        runs.iter().any(|r| r["id"] == "ok"),
        "other files are unaffected"
    );

    // The warnings reach stderr and the report.
    assert!(
        outcome.stderr.contains("damaged.jsonl:3"),
        "{}",
        outcome.stderr
    );
    let report = dir.path().join("r.html");
    let built = runlens([
        "build",
        logs.to_str().unwrap(),
        "--single-file",
        report.to_str().unwrap(),
    ]);
    assert_eq!(built.code, 0, "{}", built.stderr);
    let html = fs::read_to_string(&report).unwrap();
    assert!(html.contains("inputs were skipped or only partly read"));
    assert!(html.contains("damaged.jsonl:3"));
}

#[test]
fn strict_fails_on_warnings_and_leaves_the_previous_report_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    fs::create_dir(&logs).unwrap();
    support::write_damaged_inputs(&logs);
    let file = dir.path().join("report.html");
    let site = dir.path().join("site");
    let first = runlens([
        "build",
        &examples(),
        "--single-file",
        file.to_str().unwrap(),
        "--out",
        site.to_str().unwrap(),
    ]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let before_file = fs::read(&file).unwrap();
    let before_index = fs::read(site.join("data/index.rlb")).unwrap();

    let strict = runlens([
        "build",
        "--strict",
        logs.to_str().unwrap(),
        "--single-file",
        file.to_str().unwrap(),
        "--out",
        site.to_str().unwrap(),
    ]);
    assert_eq!(strict.code, 1);
    assert!(strict.stderr.contains("--strict"), "{}", strict.stderr);
    assert!(
        fs::read(&file).unwrap() == before_file,
        "single file changed"
    );
    assert!(
        fs::read(site.join("data/index.rlb")).unwrap() == before_index,
        "site changed"
    );

    // A build that fails while writing (the site's path is taken by a file) changes nothing
    // either, and leaves no staging directory behind.
    let blocked = dir.path().join("blocked");
    fs::write(&blocked, "not a directory").unwrap();
    let failed = runlens(["build", &examples(), "--out", blocked.to_str().unwrap()]);
    assert_eq!(failed.code, 1);
    assert!(failed.stderr.contains("blocked"), "{}", failed.stderr);
    assert_eq!(fs::read_to_string(&blocked).unwrap(), "not a directory");
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            // The lock file and the read cache stay by design (docs/hardening.md, incremental
            // builds); staging directories do not.
            name.starts_with(".runlens")
                && !name.starts_with(".runlens-lock-")
                && name != ".runlens-cache"
        })
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn exit_codes_follow_the_documented_convention() {
    let usage = runlens(["build"]);
    assert_eq!(usage.code, 2, "{}", usage.stderr);
    let missing = runlens(["inspect", "/definitely/not/here"]);
    assert_eq!(missing.code, 1);
    assert!(
        missing.stderr.contains("/definitely/not/here"),
        "{}",
        missing.stderr
    );
    let help = runlens(["build", "--help"]);
    assert_eq!(help.code, 0);
    assert!(help.stdout.contains("--single-file"));
    assert!(help.stdout.contains("Examples:"));
}

#[test]
fn hostile_names_are_escaped_in_the_html() {
    let dir = tempfile::tempdir().unwrap();
    let log = support::write_hostile_jsonl(dir.path());
    let report = dir.path().join("r.html");
    let outcome = runlens([
        "build",
        log.to_str().unwrap(),
        "--single-file",
        report.to_str().unwrap(),
    ]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let html = fs::read_to_string(&report).unwrap();
    for hostile in [support::HOSTILE_NAME, support::HOSTILE_PARAM] {
        assert!(!html.contains(hostile), "{hostile:?} appears unescaped");
    }
    assert!(
        html.contains("&#60;img src=x onerror=") || html.contains("&lt;img src=x onerror="),
        "the name is shown, escaped"
    );
    assert_eq!(
        html.matches("<script").count(),
        html.matches("</script>").count()
    );
}

#[test]
fn terminal_control_characters_in_names_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("esc.jsonl");
    fs::write(
        &log,
        "{\"type\":\"run\",\"run\":\"r\",\"name\":\"\\u001b[2J\\u001b[31mred\"}\n",
    )
    .unwrap();
    let outcome = runlens(["inspect", log.to_str().unwrap()]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert!(
        !outcome.stdout.contains('\u{1b}'),
        "raw escape sequence reached the terminal"
    );
    assert!(outcome.stdout.contains("\\u{1b}[31mred"));
}

#[test]
fn a_single_file_above_max_size_is_written_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.html");
    let outcome = runlens([
        "build",
        &examples(),
        "--single-file",
        file.to_str().unwrap(),
        "--max-size",
        "100KB",
    ]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert!(file.is_file());
    assert!(
        outcome.stderr.contains("above --max-size 100.0 KB"),
        "{}",
        outcome.stderr
    );
    let quiet = runlens([
        "build",
        &examples(),
        "--single-file",
        file.to_str().unwrap(),
    ]);
    assert!(
        !quiet.stderr.contains("max-size"),
        "the examples fit the 20 MB default: {}",
        quiet.stderr
    );
    let bad = runlens([
        "build",
        &examples(),
        "--single-file",
        file.to_str().unwrap(),
        "--max-size",
        "lots",
    ]);
    assert_eq!(
        bad.code, 2,
        "an unparsable size is a usage error: {}",
        bad.stderr
    );
}

#[test]
fn the_theme_comes_from_the_flag_over_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.html");
    let config = dir.path().join("runlens.toml");
    std::fs::write(&config, "theme = \"light\"\n").unwrap();
    let root = |args: &[&str]| {
        let mut all = vec![
            "build",
            examples_str(),
            "--single-file",
            file.to_str().unwrap(),
        ];
        all.extend_from_slice(args);
        let outcome = runlens(all);
        assert_eq!(outcome.code, 0, "{}", outcome.stderr);
        let html = std::fs::read_to_string(&file).unwrap();
        html[..html.find("<head>").unwrap()].to_string()
    };
    assert!(!root(&[]).contains("data-theme"), "auto follows the system");
    assert!(root(&["--config", config.to_str().unwrap()]).contains("data-theme=\"light\""));
    assert!(
        root(&["--config", config.to_str().unwrap(), "--theme", "dark"])
            .contains("data-theme=\"dark\"")
    );
    let bad = runlens([
        "build",
        examples_str(),
        "--single-file",
        file.to_str().unwrap(),
        "--theme",
        "neon",
    ]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("auto, light or dark"), "{}", bad.stderr);
    std::fs::write(&config, "theme = \"neon\"\n").unwrap();
    let bad = runlens([
        "build",
        examples_str(),
        "--single-file",
        file.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
    ]);
    assert_ne!(bad.code, 0);
    assert!(
        bad.stderr.contains("runlens.toml") && bad.stderr.contains("theme"),
        "{}",
        bad.stderr
    );
}

fn examples_str() -> &'static str {
    static EXAMPLES: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    EXAMPLES.get_or_init(examples)
}

#[test]
fn completions_and_manual_are_generated_from_the_real_options() {
    let bash = runlens(["completions", "bash"]);
    assert_eq!(bash.code, 0, "{}", bash.stderr);
    for word in ["build", "inspect", "--single-file", "--max-size"] {
        assert!(bash.stdout.contains(word), "bash completion lacks {word}");
    }
    let zsh = runlens(["completions", "zsh"]);
    assert!(
        zsh.stdout.starts_with("#compdef runlens"),
        "{}",
        &zsh.stdout[..zsh.stdout.len().min(80)]
    );
    let man = runlens(["man"]);
    assert_eq!(man.code, 0, "{}", man.stderr);
    assert!(
        man.stdout.contains(".TH runlens 1"),
        "roff: {}",
        &man.stdout[..man.stdout.len().min(200)]
    );
    assert!(
        man.stdout.contains("Exit codes"),
        "the page documents the exit codes"
    );
    let dir = tempfile::tempdir().unwrap();
    let pages = runlens(["man", "--out-dir", dir.path().to_str().unwrap()]);
    assert_eq!(pages.code, 0, "{}", pages.stderr);
    for page in ["runlens.1", "runlens-build.1", "runlens-inspect.1"] {
        assert!(dir.path().join(page).is_file(), "{page} was written");
    }
}

/// The documented GitHub Pages workflow calls `runlens build` with options that exist.
#[test]
fn the_github_pages_workflow_uses_real_options() {
    let workflow = support::repo_root().join("examples/github-pages/runlens-report.yml");
    let text = fs::read_to_string(&workflow).unwrap();
    let commands: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("runlens "))
        .collect();
    assert!(!commands.is_empty(), "the workflow runs runlens");
    for command in commands {
        let expanded = command
            .replace("$LOGS", "runs/")
            .replace("${{ github.event.repository.name }}", "repo");
        let words = shlex::split(&expanded).expect("shell words");
        let parsed = <runlens_cli::Cli as clap::Parser>::try_parse_from(&words);
        assert!(parsed.is_ok(), "{command}: {}", parsed.unwrap_err());
    }
    for action in [
        "actions/configure-pages@",
        "actions/upload-pages-artifact@",
        "actions/deploy-pages@",
    ] {
        assert!(
            text.contains(action),
            "published with the official Pages action {action}"
        );
    }
}

/// `export` writes what `inspect --json` reports, in files polars reads back.
#[test]
fn export_writes_runs_and_points_that_read_back() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let doc: Value =
        serde_json::from_str(&runlens(["inspect", "--json", &examples()]).stdout).unwrap();
    let runs = doc["runs"].as_array().unwrap();
    let points: u64 = runs
        .iter()
        .flat_map(|r| r["metrics"].as_object().unwrap().values())
        .map(|m| m["count"].as_u64().unwrap())
        .sum();

    let csv = dir.path().join("runs.csv");
    let outcome = runlens([
        "export",
        &examples(),
        "--format",
        "csv",
        "--output",
        csv.to_str().unwrap(),
    ]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let table = CsvReadOptions::default()
        .try_into_reader_with_file_path(Some(csv.clone()))
        .unwrap()
        .finish()
        .unwrap();
    assert_eq!(table.height(), runs.len());
    let ids = table.column("id").unwrap().str().unwrap().clone();
    let lrs = table.column("params.lr").unwrap().f64().unwrap().clone();
    for run in runs {
        let row = ids
            .iter()
            .position(|id| id == run["id"].as_str())
            .expect("every run has a row");
        assert_eq!(
            lrs.get(row),
            run["params"]["lr"].as_f64(),
            "lr of {}",
            run["id"]
        );
    }
    assert!(table.column("metrics.val/acc.last").is_ok());

    let parquet = dir.path().join("points.parquet");
    let outcome = runlens([
        "export",
        &examples(),
        "--table",
        "metrics",
        "--format",
        "parquet",
        "-o",
        parquet.to_str().unwrap(),
    ]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let file = std::fs::File::open(&parquet).unwrap();
    let series = ParquetReader::new(file).finish().unwrap();
    assert_eq!(series.height() as u64, points, "one row per point");
    let values = series.column("value").unwrap().f64().unwrap().clone();
    assert!(values.iter().flatten().any(f64::is_nan), "NaN survives");
    assert!(
        values.iter().flatten().any(|v| v == f64::INFINITY),
        "inf survives"
    );

    let jsonl = dir.path().join("points.jsonl");
    let outcome = runlens([
        "export",
        &examples(),
        "--table",
        "metrics",
        "--format",
        "jsonl",
        "-o",
        jsonl.to_str().unwrap(),
    ]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let lines: Vec<Value> = fs::read_to_string(&jsonl)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len() as u64, points);
    assert!(
        lines.iter().any(|l| l["value"] == "NaN"),
        "NaN is spelled out"
    );
}

#[test]
fn quiet_prints_nothing_but_problems() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.html");
    let outcome = runlens([
        "build",
        &examples(),
        "--single-file",
        file.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert!(file.is_file());
    assert_eq!(outcome.stdout, "", "no summary with --quiet");
    assert_eq!(outcome.stderr, "", "the examples read without warnings");
    let both = runlens([
        "build",
        &examples(),
        "--single-file",
        file.to_str().unwrap(),
        "-q",
        "-v",
    ]);
    assert_eq!(both.code, 2, "--quiet and --verbose contradict each other");
}
