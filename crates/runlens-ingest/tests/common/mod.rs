//! What the parity tests share: the Python with the real trackers installed, and reading
//! the numbers of an `expected.json`. (Each test file uses only some of it.)
#![allow(dead_code)]

use std::path::PathBuf;

use serde_json::Value;

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

/// A number of `expected.json`: a JSON number, or "NaN" / "Infinity" / "-Infinity".
pub fn number(value: &Value) -> f64 {
    match value {
        Value::Number(n) => n.as_f64().expect("a number"),
        Value::String(s) if s == "NaN" => f64::NAN,
        Value::String(s) if s == "Infinity" => f64::INFINITY,
        Value::String(s) if s == "-Infinity" => f64::NEG_INFINITY,
        other => panic!("not a number in expected.json: {other}"),
    }
}

/// Same value, NaN equal to NaN.
pub fn same(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

/// Min and max ignoring NaN (NaN when every value is NaN).
pub fn min_max(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .filter(|v| !v.is_nan())
        .fold((f64::NAN, f64::NAN), |(lo, hi), &v| (lo.min(v), hi.max(v)))
}
