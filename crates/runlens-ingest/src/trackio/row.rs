//! One `metrics` row's JSON object decoded in a single pass, without building a JSON tree:
//! keys borrowed from the row's text (copied only when they hold escapes), numbers and
//! trackio's non-finite marker strings as values, media objects as their file path, and
//! everything else skipped. The rows trackio writes (flat objects of plain keys and
//! numbers, no whitespace) take a hand-written scan; any other row, and any row the scan
//! is unsure of, goes through serde_json. Either way it reads what `values::logged` reads
//! from a parsed `serde_json::Map`, with the same errors, in a fraction of the time.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::values::is_media_type;

/// One metric of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// A scalar (`"NaN"`, `"Infinity"` and `"-Infinity"` included).
    Number(f64),
    /// A media file: its path relative to the `media/` folder.
    Media(Cow<'a, str>),
    /// Anything else: not a curve.
    Other,
}

/// A row's metrics in their order in the row. A key the row writes twice is there twice:
/// [`keep_last`] makes it what a JSON map holds.
pub type Entries<'a> = Vec<(Cow<'a, str>, Value<'a>)>;

/// Decodes the JSON object `json` into `out` (cleared first). The error is serde's, as
/// `serde_json::from_str::<Map<String, Value>>` gives it (a row that is not an object is
/// "invalid type: ..., expected a map").
pub fn decode<'a>(json: &'a str, out: &mut Entries<'a>) -> Result<(), serde_json::Error> {
    out.clear();
    if flat(json, out).is_some() {
        return Ok(());
    }
    out.clear();
    let mut de = serde_json::Deserializer::from_str(json);
    (&mut de).deserialize_map(RowVisitor { out: &mut *out })?;
    de.end()
}

/// The scan of a flat row: `{"key": number or string, ...}` with keys and strings free of
/// escapes and control characters. `None` (with `out` partly filled) for anything else:
/// nested values, `true`/`false`/`null`, escapes, numbers outside the JSON grammar or
/// beyond f64's range, malformed text; serde_json then reads the row (or gives the error).
fn flat<'a>(json: &'a str, out: &mut Entries<'a>) -> Option<()> {
    let bytes = json.as_bytes();
    let mut at = skip_space(bytes, 0);
    if bytes.get(at) != Some(&b'{') {
        return None;
    }
    at = skip_space(bytes, at + 1);
    if bytes.get(at) == Some(&b'}') {
        return (skip_space(bytes, at + 1) == bytes.len()).then_some(());
    }
    loop {
        let (key, next) = plain_string(json, at)?;
        at = skip_space(bytes, next);
        if bytes.get(at) != Some(&b':') {
            return None;
        }
        at = skip_space(bytes, at + 1);
        let value = match *bytes.get(at)? {
            b'"' => {
                let (text, next) = plain_string(json, at)?;
                at = next;
                match text {
                    "NaN" => Value::Number(f64::NAN),
                    "Infinity" => Value::Number(f64::INFINITY),
                    "-Infinity" => Value::Number(f64::NEG_INFINITY),
                    _ => Value::Other,
                }
            }
            b'-' | b'0'..=b'9' => {
                let (number, next) = number(json, at)?;
                at = next;
                Value::Number(number)
            }
            _ => return None,
        };
        out.push((Cow::Borrowed(key), value));
        at = skip_space(bytes, at);
        match bytes.get(at)? {
            b',' => at = skip_space(bytes, at + 1),
            b'}' => return (skip_space(bytes, at + 1) == bytes.len()).then_some(()),
            _ => return None,
        }
    }
}

/// The index of the first byte at or after `at` that is not JSON whitespace.
fn skip_space(bytes: &[u8], mut at: usize) -> usize {
    while matches!(bytes.get(at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        at += 1;
    }
    at
}

/// The string starting with the quote at `at` and the index after its closing quote,
/// when it has no escape and no control character.
fn plain_string(json: &str, at: usize) -> Option<(&str, usize)> {
    let bytes = json.as_bytes();
    if bytes.get(at) != Some(&b'"') {
        return None;
    }
    let start = at + 1;
    let len = bytes[start..]
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
    let end = start + len;
    // Quotes are ASCII, so `start..end` lies on character boundaries.
    (bytes[end] == b'"').then(|| (&json[start..end], end + 1))
}

/// The JSON number starting at `at` and the index after it, read as serde_json reads it:
/// an integer as `u64` or `i64` converted to f64 (so `-0` is 0.0), beyond those and any
/// number with a fraction or exponent as the closest f64. `None` outside JSON's grammar
/// and for numbers beyond f64's range (serde_json's "number out of range").
fn number(json: &str, at: usize) -> Option<(f64, usize)> {
    let bytes = json.as_bytes();
    let digits = |mut i: usize| {
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    let mut end = at;
    let negative = bytes[end] == b'-';
    if negative {
        end += 1;
    }
    match bytes.get(end)? {
        b'0' => end += 1,
        b'1'..=b'9' => end = digits(end + 1),
        _ => return None,
    }
    let mut integer = true;
    if bytes.get(end) == Some(&b'.') {
        integer = false;
        let after = digits(end + 1);
        if after == end + 1 {
            return None;
        }
        end = after;
    }
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        integer = false;
        end += 1;
        if matches!(bytes.get(end), Some(b'+' | b'-')) {
            end += 1;
        }
        let after = digits(end);
        if after == end {
            return None;
        }
        end = after;
    }
    let text = &json[at..end];
    let value = match (integer, negative) {
        (true, false) => text.parse::<u64>().map(|v| v as f64).ok(),
        (true, true) => text.parse::<i64>().map(|v| v as f64).ok(),
        _ => None,
    };
    let value = match value {
        Some(v) => v,
        None => text.parse::<f64>().ok().filter(|v| v.is_finite())?,
    };
    Some((value, end))
}

/// An empty vector for borrowing from another row's text, reusing `entries`' allocation.
pub fn recycle<'b>(mut entries: Entries<'_>) -> Entries<'b> {
    entries.clear();
    // Collecting an empty iterator of a type of the same layout reuses the allocation.
    entries.into_iter().map(|_| unreachable!()).collect()
}

/// Drops every entry whose key comes again later in the row (trackio never writes such
/// rows; a JSON map keeps the last value, and so does this). Quadratic: for rows known to
/// repeat a key.
pub fn keep_last(entries: &mut Entries<'_>) {
    let n = entries.len();
    let duplicated = (1..n).any(|i| entries[..i].iter().any(|(k, _)| *k == entries[i].0));
    if !duplicated {
        return;
    }
    let mut kept: Entries<'_> = Vec::with_capacity(n);
    for (key, value) in std::mem::take(entries) {
        match kept.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => kept.push((key, value)),
        }
    }
    *entries = kept;
}

struct RowVisitor<'r, 'a> {
    out: &'r mut Entries<'a>,
}

impl<'de> Visitor<'de> for RowVisitor<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key_seed(Key)? {
            let value = map.next_value_seed(ValueSeed)?;
            self.out.push((key, value));
        }
        Ok(())
    }
}

/// A key (or any string), borrowed when it has no escapes.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// A metric value: any JSON is accepted, as `serde_json::Value` accepts it.
struct ValueSeed;

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = Value<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Value::Other)
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Value::Number(v as f64))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Value::Number(v as f64))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Value::Number(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(match v {
            "NaN" => Value::Number(f64::NAN),
            "Infinity" => Value::Number(f64::INFINITY),
            "-Infinity" => Value::Number(f64::NEG_INFINITY),
            _ => Value::Other,
        })
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Value::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Value::Other)
    }

    /// An object is media when its `_type` is a trackio media type and it has a
    /// `file_path` string (the last of each when a key repeats).
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut kind: Option<Cow<'de, str>> = None;
        let mut path: Option<Cow<'de, str>> = None;
        while let Some(key) = map.next_key_seed(Key)? {
            match key.as_ref() {
                "_type" => kind = map.next_value_seed(TextSeed)?,
                "file_path" => path = map.next_value_seed(TextSeed)?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(match (kind, path) {
            (Some(kind), Some(path)) if is_media_type(&kind) => Value::Media(path),
            _ => Value::Other,
        })
    }
}

/// A value that is kept when it is a string (`None` for any other JSON).
struct TextSeed;

impl<'de> DeserializeSeed<'de> for TextSeed {
    type Value = Option<Cow<'de, str>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Option<Cow<'de, str>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v.to_owned())))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trackio::values::{Logged, logged};
    use serde_json::Map;

    /// What the tree-building read gives: the same entries by key, the same error text.
    fn tree(json: &str) -> Result<Vec<(String, Value<'static>)>, String> {
        let map: Map<String, serde_json::Value> =
            serde_json::from_str(json).map_err(|e| e.to_string())?;
        Ok(map
            .iter()
            .map(|(k, v)| {
                let value = match logged(v) {
                    Logged::Number(x) => Value::Number(x),
                    Logged::Media(p) => Value::Media(Cow::Owned(p.to_string())),
                    Logged::Other => Value::Other,
                };
                (k.clone(), value)
            })
            .collect())
    }

    fn streamed(json: &str) -> Result<Vec<(String, Value<'static>)>, String> {
        let mut entries = Vec::new();
        decode(json, &mut entries).map_err(|e| e.to_string())?;
        keep_last(&mut entries);
        let mut out: Vec<(String, Value<'static>)> = entries
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    Value::Media(p) => Value::Media(Cow::Owned(p.into_owned())),
                    Value::Number(x) => Value::Number(x),
                    Value::Other => Value::Other,
                };
                (k.into_owned(), v)
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// NaN equal to NaN, for comparing the two reads.
    fn same(a: &[(String, Value<'_>)], b: &[(String, Value<'_>)]) -> bool {
        a.len() == b.len()
            && a.iter().zip(b).all(|((ka, va), (kb, vb))| {
                ka == kb
                    && match (va, vb) {
                        (Value::Number(x), Value::Number(y)) => {
                            x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
                        }
                        _ => va == vb,
                    }
            })
    }

    #[test]
    fn reads_what_the_tree_reads() {
        let rows = [
            r#"{"train/loss": 0.5, "acc": 3, "big": 18446744073709551615, "neg": -7}"#,
            r#"{"a": "NaN", "b": "Infinity", "c": "-Infinity", "d": "nan", "e": true, "f": null}"#,
            r#"{"img": {"_type": "trackio.image", "file_path": "p/r/1/a.png", "caption": null}}"#,
            r#"{"h": {"_type": "trackio.histogram", "bins": [1, 2], "values": [[3]]}}"#,
            r#"{"t": {"_type": "trackio.table", "file_path": "x"}, "v": {"file_path": "y"}}"#,
            r#"{"m": {"_type": "trackio.video", "file_path": 3}}"#,
            r#"{"m": {"_type": "trackio.image", "file_path": "a", "file_path": "b"}}"#,
            r#"{"esc\"aped": 1.5e-3, "uni\u00e9": {"_type": "trackio.audio", "file_path": "p\/q"}}"#,
            r#"{"dup": 1, "x": 2, "dup": 3}"#,
            r#"{"n": [1, {"a": [2]}], "o": {"p": {"q": 1}}}"#,
            r#"{}"#,
            r#"[1, 2]"#,
            r#"3"#,
            r#"{"a": 1,}"#,
            r#"{"a": 1} x"#,
            r#"{"a": NaN}"#,
            r#"{"a": "#,
            r#"{"a":1,"b":-0,"c":-0.0,"d":1e400,"e":1e-400,"f":-12345678901234567890}"#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":.5}"#,
            r#"{"a":-}"#,
            r#"{"a":1e}"#,
            r#"{"a":1E+2,"b":2.5e-3,"c":123456789012345678901234567890}"#,
            r#" { "a" : 1 , "b" : "x" } "#,
            "{\"a\":1,\"b\":\"tab\there\"}",
            r#"{"a":1}}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"a" 1}"#,
            r#"{"a":+1}"#,
            r#"{"a":Infinity}"#,
            r#"{"a":"Infinity","b":"-Infinity","c":"NaN"}"#,
        ];
        for row in rows {
            let (want, got) = (tree(row), streamed(row));
            match (&want, &got) {
                (Ok(w), Ok(g)) => assert!(same(w, g), "{row}: {w:?} vs {g:?}"),
                _ => assert_eq!(want, got, "{row}"),
            }
        }
    }

    #[test]
    fn trackio_rows_take_the_scan() {
        let mut entries = Vec::new();
        let row = r#"{"train/loss":0.25,"step_time":3,"x":"NaN"}"#;
        assert!(flat(row, &mut entries).is_some());
        assert_eq!(entries.len(), 3);
        entries.clear();
        assert!(flat(r#"{"img":{"_type":"trackio.image"}}"#, &mut entries).is_none());
        entries.clear();
        assert!(flat(r#"{"k\u00e9":1}"#, &mut entries).is_none());
        // -0 is an integer to serde_json: 0.0, not -0.0.
        let (zero, _) = number("-0", 0).unwrap();
        assert!(zero == 0.0 && zero.is_sign_positive());
    }

    #[test]
    fn recycled_vectors_keep_their_capacity() {
        let text = String::from(r#"{"a": 1, "b": 2}"#);
        let mut entries = Vec::new();
        decode(&text, &mut entries).unwrap();
        let capacity = entries.capacity();
        let again: Entries<'_> = recycle(entries);
        assert!(again.is_empty());
        assert_eq!(again.capacity(), capacity);
    }
}
