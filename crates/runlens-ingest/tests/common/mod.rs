//! What the fixture-regenerating tests share: the Python with the real trackers installed.

use std::path::PathBuf;

/// The Python that has `examples/requirements.txt` installed: `RUNLENS_FIXTURE_PYTHON` when
/// set, else `.venv-fixtures/bin/python` at the repository root (the README's setup makes
/// it). Without either the calling test fails with the command that makes it.
pub fn fixture_python() -> PathBuf {
    if let Some(python) = std::env::var_os("RUNLENS_FIXTURE_PYTHON").filter(|p| !p.is_empty()) {
        return PathBuf::from(python);
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv-fixtures/bin/python");
    assert!(
        venv.exists(),
        "this test regenerates fixtures with the real trackers and needs their Python packages:\n  \
         python3 -m venv .venv-fixtures && .venv-fixtures/bin/pip install -r examples/requirements.txt\n\
         (or set RUNLENS_FIXTURE_PYTHON to a Python that has them)"
    );
    venv
}
