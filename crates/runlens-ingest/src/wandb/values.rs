//! The `value_json` strings of W&B items: numbers (with the bare `NaN`, `Infinity`,
//! `-Infinity` tokens Python's `json` writes) read without a JSON parser on the hot path,
//! and config values parsed leniently into JSON for flattening into params.

use serde_json::Value;

use crate::jsonl::lenient::rewrite_non_finite;

/// The number a `value_json` holds, or `None` for anything else (a string, a boolean,
/// `null`, a list, an object such as an image or a histogram).
pub fn number(json: &str) -> Option<f64> {
    let text = json.trim();
    match text {
        "NaN" => return Some(f64::NAN),
        "Infinity" => return Some(f64::INFINITY),
        "-Infinity" => return Some(f64::NEG_INFINITY),
        _ => {}
    }
    let first = *text.as_bytes().first()?;
    if !(first.is_ascii_digit() || first == b'-') {
        return None;
    }
    // JSON numbers are a subset of what `f64::from_str` accepts; words such as `inf` cannot
    // start with a digit or `-` followed by a digit.
    if text.len() > 1 && first == b'-' && !text.as_bytes()[1].is_ascii_digit() {
        return None;
    }
    // fast-float2 reads the same numbers as `str::parse` (correctly rounded, the whole
    // text or nothing), faster.
    fast_float2::parse(text).ok()
}

/// A whole step number: a JSON integer, or a float with no fraction.
pub fn step(json: &str) -> Option<i64> {
    let text = json.trim();
    if let Ok(step) = text.parse::<i64>() {
        return Some(step);
    }
    let value = number(text)?;
    let whole = value.fract() == 0.0 && value.abs() < 9.0e18;
    // The cast is exact: the value is whole and within i64's range.
    whole.then_some(value as i64)
}

/// Any `value_json` as a JSON value, bare non-finite tokens becoming the marker strings
/// [`crate::jsonl::lenient`] understands. The error is serde's, for a warning.
pub fn json(text: &str) -> Result<Value, serde_json::Error> {
    serde_json::from_str(text).or_else(|error| match rewrite_non_finite(text) {
        Some(rewritten) => serde_json::from_str(&rewritten).map_err(|_| error),
        None => Err(error),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_non_finite_tokens() {
        assert_eq!(number("1"), Some(1.0));
        assert_eq!(number("1e+12"), Some(1e12));
        assert_eq!(number("-0.25"), Some(-0.25));
        assert_eq!(
            number("1.7959726660087712e+09"),
            Some(1.795_972_666_008_771_2e9)
        );
        assert!(number("NaN").is_some_and(f64::is_nan));
        assert_eq!(number("Infinity"), Some(f64::INFINITY));
        assert_eq!(number("-Infinity"), Some(f64::NEG_INFINITY));
        for other in [
            "\"step 1\"",
            "true",
            "null",
            "{\"_type\":\"image-file\"}",
            "[1,2]",
            "",
            "-inf",
            "\"NaN\"",
        ] {
            assert_eq!(number(other), None, "{other}");
        }
    }

    #[test]
    fn numbers_parse_as_std_parses_them() {
        for text in [
            "0",
            "-0",
            "01",
            "1.",
            "1e",
            "1e+",
            "1E5",
            "1e400",
            "-1e400",
            "1e-400",
            "4.9e-324",
            "2.2250738585072011e-308",
            "1.7976931348623157e308",
            "0.1",
            "3.141592653589793238462643383279",
            "123456789012345678901234567890",
            "9007199254740993",
            "1.5.3",
            "1_0",
            "0x10",
            "--1",
            "-",
            "1 2",
            "1e5x",
        ] {
            let want = text.parse::<f64>().ok().map(f64::to_bits);
            assert_eq!(number(text).map(f64::to_bits), want, "{text}");
        }
    }

    #[test]
    fn steps_are_whole_numbers() {
        assert_eq!(step("45"), Some(45));
        assert_eq!(step("3.0"), Some(3));
        assert_eq!(step("3.5"), None);
        assert_eq!(step("NaN"), None);
    }

    #[test]
    fn config_json_keeps_non_finite_values() {
        let value = json("{\"a\": NaN, \"b\": [1, Infinity]}").unwrap();
        assert!(value["a"].is_string());
        assert!(json("{").is_err());
    }
}
