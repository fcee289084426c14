//! Helpers shared by the end-to-end tests: running the CLI in-process, hostile fixtures,
//! a loopback static file server and a headless Chromium driven through chromedriver.

#![allow(
    dead_code,
    reason = "each test binary uses a different subset of the helpers"
)]

pub mod browser;
pub mod hostile;
pub mod server;

use std::path::{Path, PathBuf};

/// The `file://` address of `path`.
pub fn file_url(path: &Path) -> String {
    format!("file://{}", path.canonicalize().unwrap().display())
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lives in the repository root")
        .to_path_buf()
}

/// The Python that has `examples/requirements.txt` installed: `RUNLENS_FIXTURE_PYTHON` when
/// set, else `.venv-fixtures/bin/python` at the repository root (the README's setup makes
/// it). Without either the calling test fails with the command that makes it (the same
/// convention as the parity tests of `runlens-ingest`).
pub fn fixture_python() -> PathBuf {
    if let Some(python) = std::env::var_os("RUNLENS_FIXTURE_PYTHON").filter(|p| !p.is_empty()) {
        return PathBuf::from(python);
    }
    let venv = repo_root().join(".venv-fixtures/bin/python");
    assert!(
        venv.exists(),
        "this test writes fixtures with the real trackers and needs their Python packages:\n  \
         python3 -m venv .venv-fixtures && .venv-fixtures/bin/pip install -r examples/requirements.txt\n\
         (or set RUNLENS_FIXTURE_PYTHON to a Python that has them)"
    );
    venv
}

/// Runs `examples/<script> --out <out>` with the fixture Python; panics with its error
/// output when it fails.
pub fn run_fixture_script(script: &str, out: &Path) {
    let python = fixture_python();
    let output = std::process::Command::new(&python)
        .arg(examples().join(script))
        .arg("--out")
        .arg(out)
        .output()
        .expect("the fixture Python runs");
    assert!(
        output.status.success(),
        "{} examples/{script} failed:\n{}",
        python.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The bundled examples folder.
pub fn examples() -> PathBuf {
    repo_root().join("examples")
}

/// Output of one in-process `runlens` invocation.
#[derive(Debug)]
pub struct Outcome {
    /// Exit code.
    pub code: u8,
    /// Everything written to stdout.
    pub stdout: String,
    /// Everything written to stderr.
    pub stderr: String,
}

/// Runs `runlens ARGS...` in-process.
pub fn runlens<I, S>(args: I) -> Outcome
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut argv: Vec<std::ffi::OsString> = vec!["runlens".into()];
    argv.extend(args.into_iter().map(|a| a.as_ref().to_os_string()));
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let code = runlens_cli::run(argv, &mut stdout, &mut stderr);
    Outcome {
        code,
        stdout: String::from_utf8(stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(stderr).expect("stderr is UTF-8"),
    }
}

/// Hostile strings placed in every text field of the hostile fixture. Each would run
/// script (setting `window.__pwned`) or create an element if it ever became markup.
pub const HOSTILE_NAME: &str = "<img src=x onerror=\"window.__pwned='name'\">";
/// Closes the script element the data may be embedded in.
pub const HOSTILE_PARAM: &str = "</script><script>window.__pwned='param'</script>";
/// An SVG with an event handler.
pub const HOSTILE_TAG: &str = "<svg onload=\"window.__pwned='tag'\"></svg>";
/// A metric key that is markup.
pub const HOSTILE_METRIC: &str = "<b onmouseover=\"window.__pwned='metric'\">loss</b>";

/// Writes a JSONL log whose run name, param value, tag and metric key are hostile, next
/// to an ordinary run, and returns its path.
pub fn write_hostile_jsonl(dir: &Path) -> PathBuf {
    let lines = [
        serde_json::json!({"type": "run", "run": "evil", "name": HOSTILE_NAME, "experiment": HOSTILE_TAG, "status": "finished"}),
        serde_json::json!({"type": "params", "run": "evil", "params": {"optimizer": HOSTILE_PARAM, "lr": 0.1}}),
        serde_json::json!({"type": "tags", "run": "evil", "tags": {"note": HOSTILE_TAG, "html": HOSTILE_PARAM}}),
        serde_json::json!({"type": "metrics", "run": "evil", "step": 0, "values": {HOSTILE_METRIC: 1.0, "loss": 0.5}}),
        serde_json::json!({"type": "metrics", "run": "evil", "step": 1, "values": {HOSTILE_METRIC: 0.5, "loss": 0.25}}),
        serde_json::json!({"type": "run", "run": "plain", "name": "plain-run", "status": "failed"}),
        serde_json::json!({"type": "params", "run": "plain", "params": {"optimizer": "adam", "lr": 0.01}}),
        serde_json::json!({"type": "metrics", "run": "plain", "step": 0, "values": {"loss": 0.9}}),
        serde_json::json!({"type": "metrics", "run": "plain", "step": 1, "values": {"loss": 0.7}}),
    ];
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let path = dir.join("hostile.jsonl");
    std::fs::write(&path, text).expect("write hostile fixture");
    path
}

/// Writes into `dir` one good JSONL log, one with a malformed line, an unterminated line and a
/// truncated tail, and a metric CSV that lacks its `value` column.
pub fn write_damaged_inputs(dir: &std::path::Path) {
    std::fs::write(
        dir.join("good.jsonl"),
        "{\"type\":\"run\",\"run\":\"ok\",\"status\":\"finished\"}\n{\"type\":\"metrics\",\"run\":\"ok\",\"step\":0,\"values\":{\"loss\":1.0}}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("damaged.jsonl"),
        "{\"type\":\"metrics\",\"run\":\"half\",\"step\":0,\"values\":{\"loss\":2.0}}\n{\"type\":\"metrics\",\"run\":\"half\",\"step\":1,\"values\":{\"loss\":1.5}\nthis is not json\n{\"type\":\"metrics\",\"run\":\"half\",\"step\":3,\"values\":{\"loss\":1.0}}\n{\"type\":\"metrics\",\"run\":\"half\",\"st",
    )
    .unwrap();
    std::fs::write(dir.join("no-value.csv"), "run,step,key\nr1,0,loss\n").unwrap();
}
