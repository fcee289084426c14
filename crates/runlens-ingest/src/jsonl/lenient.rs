//! JSON as Python writes it: bare `NaN`/`Infinity` tokens become marker strings before
//! parsing, and JSON values become typed params, metric values and text.

use std::collections::BTreeMap;

use runlens_core::ParamValue;
use runlens_core::model::{format_float, parse_float};
use serde_json::Value;

/// Marker strings that stand in for bare non-finite tokens. The NUL character keeps them
/// apart from any string a log could mean.
const MARK_NAN: &str = "\u{0}runlens:NaN";
const MARK_INF: &str = "\u{0}runlens:Infinity";
const MARK_NEG_INF: &str = "\u{0}runlens:-Infinity";

/// Rewrites bare `NaN`, `Infinity`, `-Infinity`, `inf`, `nan` (any case, optional sign)
/// outside strings into marker strings; `None` when the line has none.
pub fn rewrite_non_finite(line: &str) -> Option<String> {
    let bytes = line.as_bytes();
    let mut out = String::new();
    let mut copied = 0;
    let mut in_string = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 2,
                b'"' => {
                    in_string = false;
                    i += 1;
                }
                _ => i += 1,
            }
            continue;
        }
        if b == b'"' {
            in_string = true;
            i += 1;
            continue;
        }
        if !(b == b'-' || b == b'+' || b.is_ascii_alphabetic()) {
            i += 1;
            continue;
        }
        let word_start = if b.is_ascii_alphabetic() { i } else { i + 1 };
        let mut end = word_start;
        while end < bytes.len() && bytes[end].is_ascii_alphabetic() {
            end += 1;
        }
        let word = &line[word_start..end];
        let negative = b == b'-';
        let marker = if word.eq_ignore_ascii_case("nan") {
            Some(MARK_NAN)
        } else if word.eq_ignore_ascii_case("inf") || word.eq_ignore_ascii_case("infinity") {
            Some(if negative { MARK_NEG_INF } else { MARK_INF })
        } else {
            None
        };
        if let Some(marker) = marker {
            out.push_str(&line[copied..i]);
            out.push('"');
            out.push_str(&marker.replace('\u{0}', "\\u0000"));
            out.push('"');
            copied = end;
        }
        i = end.max(i + 1);
    }
    if copied == 0 {
        return None;
    }
    out.push_str(&line[copied..]);
    Some(out)
}

/// The number a marker string stands for.
fn marker_value(text: &str) -> Option<f64> {
    match text {
        MARK_NAN => Some(f64::NAN),
        MARK_INF => Some(f64::INFINITY),
        MARK_NEG_INF => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

/// A metric value: a JSON number, a bare non-finite token, or a string such as `"NaN"`,
/// `"inf"`, `"0.5"`. The error describes the value for a warning.
pub fn metric_value(value: &Value) -> Result<f64, String> {
    match value {
        Value::Number(n) => n.as_f64().ok_or_else(|| format!("{n} is out of range")),
        Value::String(s) => marker_value(s)
            .or_else(|| parse_float(s))
            .ok_or_else(|| format!("{} is not a number", json_text(value))),
        Value::Null => Err("null is not a number".to_string()),
        other => Err(format!("{} is not a number", kind_of(other))),
    }
}

/// Flattens a params object: nested objects become dotted names, booleans and numbers
/// are typed (integers that fit in 64 bits as `Int`), strings are text, arrays and null keep
/// their JSON text.
pub fn flatten_params(prefix: &str, value: &Value, out: &mut BTreeMap<String, ParamValue>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, inner) in map {
                let name = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten_params(&name, inner, out);
            }
        }
        other => {
            out.insert(prefix.to_string(), param_value(other));
        }
    }
}

/// One JSON value as a typed param.
fn param_value(value: &Value) -> ParamValue {
    match value {
        Value::Bool(b) => ParamValue::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => ParamValue::Int(i),
            None => ParamValue::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => match marker_value(s) {
            Some(x) => ParamValue::Float(x),
            None => ParamValue::Text(s.clone()),
        },
        other => ParamValue::Text(json_text(other)),
    }
}

/// A value as a tag: strings verbatim, anything else as its JSON text.
pub fn tag_text(value: &Value) -> String {
    match value {
        Value::String(s) => match marker_value(s) {
            Some(x) => format_float(x),
            None => s.clone(),
        },
        other => json_text(other),
    }
}

/// Compact JSON text of a value, with marker strings written back as the bare tokens the
/// log had.
pub fn json_text(value: &Value) -> String {
    let text = value.to_string();
    if !text.contains("\\u0000runlens:") {
        return text;
    }
    [MARK_NEG_INF, MARK_INF, MARK_NAN]
        .iter()
        .fold(text, |acc, marker| {
            let quoted = format!("\"{}\"", marker.replace('\u{0}', "\\u0000"));
            let bare = &marker["\u{0}runlens:".len()..];
            acc.replace(&quoted, bare)
        })
}

/// A short description of a value's JSON type, for warnings.
pub fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(s) if marker_value(s).is_some() => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A string field (a number is taken as its text). `None` for anything else.
pub fn text_field(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Value {
        let text = rewrite_non_finite(line).unwrap_or_else(|| line.to_string());
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn bare_tokens_outside_strings_become_numbers() {
        let v = parse(
            r#"{"a": NaN, "b": -Infinity, "c":Infinity, "d": "NaN inside", "e": [nan, -inf, 1e-5]}"#,
        );
        assert!(metric_value(&v["a"]).unwrap().is_nan());
        assert_eq!(metric_value(&v["b"]), Ok(f64::NEG_INFINITY));
        assert_eq!(metric_value(&v["c"]), Ok(f64::INFINITY));
        assert_eq!(v["d"], "NaN inside");
        // Numbers in the text are serde_json's shortest form of the same value.
        assert_eq!(json_text(&v["e"]), "[NaN,-Infinity,0.00001]");
    }

    #[test]
    fn strings_with_escapes_and_keywords_are_left_alone() {
        let line = r#"{"k\"NaN": true, "n": null, "x": "Infinity"}"#;
        assert_eq!(rewrite_non_finite(line), None);
        // A word that merely starts like a token is no token.
        assert_eq!(rewrite_non_finite(r#"{"a": NaNa}"#), None);
    }

    #[test]
    fn params_are_typed_and_flattened() {
        let v = parse(
            r#"{"lr":0.001,"opt":"adam","layers":[256,128],"nested":{"a":1,"b":{"c":true}},"none":null,"big":18446744073709551615,"empty":{},"bad":NaN}"#,
        );
        let mut out = BTreeMap::new();
        flatten_params("", &v, &mut out);
        assert_eq!(out["lr"], ParamValue::Float(0.001));
        assert_eq!(out["opt"], ParamValue::Text("adam".into()));
        assert_eq!(out["layers"], ParamValue::Text("[256,128]".into()));
        assert_eq!(out["nested.a"], ParamValue::Int(1));
        assert_eq!(out["nested.b.c"], ParamValue::Bool(true));
        assert_eq!(out["none"], ParamValue::Text("null".into()));
        assert_eq!(out["big"], ParamValue::Float(18446744073709551615.0));
        assert_eq!(out["empty"], ParamValue::Text("{}".into()));
        assert!(matches!(out["bad"], ParamValue::Float(x) if x.is_nan()));
        assert_eq!(out.len(), 9);
    }

    #[test]
    fn metric_values_accept_numeric_strings_and_reject_the_rest() {
        assert_eq!(metric_value(&Value::from("inf")), Ok(f64::INFINITY));
        assert_eq!(metric_value(&Value::from("0.5")), Ok(0.5));
        assert_eq!(
            metric_value(&Value::from("high")),
            Err("\"high\" is not a number".into())
        );
        assert_eq!(
            metric_value(&Value::Bool(true)),
            Err("a boolean is not a number".into())
        );
        assert_eq!(tag_text(&Value::from(3)), "3");
    }
}
