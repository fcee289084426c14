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

/// The `expected.json` a fixture script wrote into `dir`.
pub fn load_expected(dir: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(dir.join("expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("expected.json is JSON")
}

/// Runs `examples/<script> --out <out>` with the fixture Python; fails the test when it
/// does not succeed.
pub fn run_fixture_script(script: &str, out: &std::path::Path) {
    let python = fixture_python();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(script);
    let status = std::process::Command::new(&python)
        .arg(&script)
        .arg("--out")
        .arg(out)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("the fixture Python runs");
    assert!(
        status.success(),
        "{} {} failed",
        python.display(),
        script.display()
    );
}

/// Compares the params of `run` with the flattened params the tracker logged (`params`:
/// dotted key → JSON value): the same keys, and each value the same (numbers as typed,
/// lists kept as their JSON text), pushing one line per difference; `peer` names the
/// tracker in the messages.
pub fn param_differences(
    id: &str,
    run: &runlens_core::Run,
    params: &[(String, Value)],
    peer: &str,
    problems: &mut Vec<String>,
) {
    use runlens_core::ParamValue;
    let names: Vec<&String> = run.params.keys().collect();
    let mut want_names: Vec<&String> = params.iter().map(|(k, _)| k).collect();
    want_names.sort();
    if names != want_names {
        problems.push(format!("{id}: params {names:?}, {peer} {want_names:?}"));
    }
    for (name, want) in params {
        let got = run.params.get(name);
        let ok = match (got, want) {
            (Some(ParamValue::Bool(b)), Value::Bool(w)) => b == w,
            (Some(ParamValue::Int(i)), Value::Number(w)) => w.as_i64() == Some(*i),
            (Some(ParamValue::Float(x)), Value::Number(_)) => same(*x, number(want)),
            (Some(ParamValue::Text(s)), Value::String(w)) => s == w,
            (Some(ParamValue::Text(s)), Value::Array(_)) => {
                serde_json::from_str::<Value>(s).ok().as_ref() == Some(want)
            }
            _ => false,
        };
        if !ok {
            problems.push(format!("{id}: param {name} {got:?}, {peer} {want}"));
        }
    }
}

/// Compares every metric of `run` with the tracker's description of it (`metrics`: key →
/// count, last, min, max, first and last step), pushing one line per difference; `peer`
/// names the tracker in the messages.
pub fn metric_differences(
    id: &str,
    run: &runlens_core::Run,
    metrics: &serde_json::Map<String, Value>,
    peer: &str,
    problems: &mut Vec<String>,
) {
    let keys: Vec<&String> = run.metrics.keys().collect();
    let want_keys: Vec<&String> = metrics.keys().collect();
    if keys != want_keys {
        problems.push(format!("{id}: metrics {keys:?}, {peer} {want_keys:?}"));
    }
    for (key, want) in metrics {
        let Some(series) = run.metrics.get(key) else {
            continue;
        };
        let count = want["count"].as_u64().expect("count") as usize;
        let (min, max) = min_max(&series.values);
        let last = series.values.last().copied().unwrap_or(f64::NAN);
        let steps = [series.steps.first(), series.steps.last()].map(|s| s.copied());
        let want_steps = [&want["steps"][0], &want["steps"][1]].map(Value::as_i64);
        let ok = series.len() == count
            && same(last, number(&want["last"]))
            && same(min, number(&want["min"]))
            && same(max, number(&want["max"]))
            && steps == want_steps;
        if !ok {
            problems.push(format!(
                "{id} {key}: count {} last {last} min {min} max {max} steps {steps:?}, {peer} {want}",
                series.len()
            ));
        }
    }
}
