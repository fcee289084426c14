//! A borrowed scan of the records that make up almost all of a `.wandb` file: a history row
//! or a summary delta (and the record types runlens does not read), read in place with
//! prost's wire-format primitives into items that point into the record, instead of
//! decoding owned messages (a `String` or two and a `Vec` per item). Any record the scan is
//! unsure of (a run, config, files or exit record, a summary removal, a key of more than two
//! parts, a field of an unexpected wire type, text that is not UTF-8, damage) returns `None`
//! and is decoded with prost as before, which gives the same values and the same errors.

use prost::encoding::{WireType, decode_key, decode_varint};

use super::proto::Item;

/// A history or summary item, as the `[key | nested_key…] = value_json` of the record.
pub trait ItemView {
    /// `key` (empty when the item uses `nested_key`).
    fn key(&self) -> &str;
    /// How many `nested_key` parts the item has.
    fn parts(&self) -> usize;
    /// The `i`-th `nested_key` part.
    fn part(&self, i: usize) -> &str;
    /// `value_json`.
    fn value_json(&self) -> &str;
}

impl ItemView for Item {
    fn key(&self) -> &str {
        &self.key
    }

    fn parts(&self) -> usize {
        self.nested_key.len()
    }

    fn part(&self, i: usize) -> &str {
        &self.nested_key[i]
    }

    fn value_json(&self) -> &str {
        &self.value_json
    }
}

/// An item read in place: at most two `nested_key` parts (more go through prost).
#[derive(Debug, Clone, Copy, Default)]
pub struct ItemRef<'a> {
    key: &'a str,
    parts: [&'a str; 2],
    count: usize,
    value_json: &'a str,
}

impl ItemView for ItemRef<'_> {
    fn key(&self) -> &str {
        self.key
    }

    fn parts(&self) -> usize {
        self.count
    }

    fn part(&self, i: usize) -> &str {
        self.parts[i]
    }

    fn value_json(&self) -> &str {
        self.value_json
    }
}

/// What a scanned record holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scanned {
    /// A history row: its items, and `HistoryStep.num` when the row has a step.
    History(Option<i64>),
    /// A summary delta's updates.
    Summary,
    /// A record of a type runlens does not read.
    Other,
}

/// Record fields whose records go through prost: config = 5, files = 6, run = 17,
/// exit = 18 (and history = 2, summary = 3 when the scan cannot take them).
const DECODED: [u32; 4] = [5, 6, 17, 18];

/// Scans one record into `items` (cleared first). `None`: decode it with prost.
pub fn scan<'a>(record: &'a [u8], items: &mut Vec<ItemRef<'a>>) -> Option<Scanned> {
    items.clear();
    let mut buf = record;
    let mut found = Scanned::Other;
    while !buf.is_empty() {
        let (tag, wire) = decode_key(&mut buf).ok()?;
        match (tag, wire) {
            (2 | 3, WireType::LengthDelimited) if found == Scanned::Other => {
                let body = length_delimited(&mut buf)?;
                found = if tag == 2 {
                    Scanned::History(history(body, items)?)
                } else {
                    summary(body, items)?;
                    Scanned::Summary
                };
            }
            (2 | 3, _) => return None,
            _ if DECODED.contains(&tag) => return None,
            _ => skip(&mut buf, wire)?,
        }
    }
    Some(found)
}

/// `HistoryRecord { repeated HistoryItem item = 1; HistoryStep step = 2 }`.
fn history<'a>(mut buf: &'a [u8], items: &mut Vec<ItemRef<'a>>) -> Option<Option<i64>> {
    let mut step = None;
    while !buf.is_empty() {
        let (tag, wire) = decode_key(&mut buf).ok()?;
        match (tag, wire) {
            (1, WireType::LengthDelimited) => items.push(item(length_delimited(&mut buf)?)?),
            (2, WireType::LengthDelimited) => {
                // `HistoryStep { int64 num = 1 }`; a second step message merges into the first.
                let mut body = length_delimited(&mut buf)?;
                let mut num = step.unwrap_or(0);
                while !body.is_empty() {
                    match decode_key(&mut body).ok()? {
                        (1, WireType::Varint) => num = decode_varint(&mut body).ok()? as i64,
                        (1, _) => return None,
                        (_, other) => skip(&mut body, other)?,
                    }
                }
                step = Some(num);
            }
            (1 | 2, _) => return None,
            (_, other) => skip(&mut buf, other)?,
        }
    }
    Some(step)
}

/// `SummaryRecord { repeated SummaryItem update = 1; repeated SummaryItem remove = 2 }`;
/// removals go through prost.
fn summary<'a>(mut buf: &'a [u8], items: &mut Vec<ItemRef<'a>>) -> Option<()> {
    while !buf.is_empty() {
        let (tag, wire) = decode_key(&mut buf).ok()?;
        match (tag, wire) {
            (1, WireType::LengthDelimited) => items.push(item(length_delimited(&mut buf)?)?),
            (1 | 2, _) => return None,
            (_, other) => skip(&mut buf, other)?,
        }
    }
    Some(())
}

/// An item: `key = 1`, `nested_key = 2` (repeated), `value_json = 16`; the typed oneof
/// (3..8) and anything else skipped, as prost skips what it does not declare.
fn item(mut buf: &[u8]) -> Option<ItemRef<'_>> {
    let mut item = ItemRef::default();
    while !buf.is_empty() {
        let (tag, wire) = decode_key(&mut buf).ok()?;
        match (tag, wire) {
            (1, WireType::LengthDelimited) => item.key = text(&mut buf)?,
            (2, WireType::LengthDelimited) => {
                let part = text(&mut buf)?;
                *item.parts.get_mut(item.count)? = part;
                item.count += 1;
            }
            (16, WireType::LengthDelimited) => item.value_json = text(&mut buf)?,
            (1 | 2 | 16, _) => return None,
            (_, other) => skip(&mut buf, other)?,
        }
    }
    Some(item)
}

/// A length-delimited field's bytes.
fn length_delimited<'a>(buf: &mut &'a [u8]) -> Option<&'a [u8]> {
    let len = usize::try_from(decode_varint(buf).ok()?).ok()?;
    if len > buf.len() {
        return None;
    }
    let (body, rest) = buf.split_at(len);
    *buf = rest;
    Some(body)
}

/// A string field (UTF-8 checked, as prost checks it).
fn text<'a>(buf: &mut &'a [u8]) -> Option<&'a str> {
    std::str::from_utf8(length_delimited(buf)?).ok()
}

/// Skips a field of another number; groups (deprecated) go through prost.
fn skip(buf: &mut &[u8], wire: WireType) -> Option<()> {
    match wire {
        WireType::Varint => {
            decode_varint(buf).ok()?;
        }
        WireType::SixtyFourBit => *buf = buf.get(8..)?,
        WireType::ThirtyTwoBit => *buf = buf.get(4..)?,
        WireType::LengthDelimited => {
            length_delimited(buf)?;
        }
        WireType::StartGroup | WireType::EndGroup => return None,
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wandb::proto::{HistoryRecord, HistoryStep, Record, SummaryRecord};
    use prost::Message;

    fn item(key: &str, nested: &[&str], value: &str) -> Item {
        Item {
            key: key.into(),
            nested_key: nested.iter().map(|s| s.to_string()).collect(),
            value_json: value.into(),
        }
    }

    fn same(got: &[ItemRef<'_>], want: &[Item]) -> bool {
        got.len() == want.len()
            && got.iter().zip(want).all(|(g, w)| {
                g.key() == w.key()
                    && g.parts() == w.parts()
                    && (0..g.parts()).all(|i| g.part(i) == w.part(i))
                    && g.value_json() == w.value_json()
            })
    }

    #[test]
    fn history_and_summary_records_scan_like_prost_decodes_them() {
        let rows = vec![
            item("", &["train/loss"], "0.5"),
            item("", &["samples", "_type"], "\"image-file\""),
            item("_step", &[], "3"),
        ];
        let history = Record {
            history: Some(HistoryRecord {
                item: rows.clone(),
                step: Some(HistoryStep { num: 3 }),
            }),
            ..Record::default()
        };
        let bytes = history.encode_to_vec();
        let mut items = Vec::new();
        assert_eq!(scan(&bytes, &mut items), Some(Scanned::History(Some(3))));
        assert!(same(&items, &rows));

        let summary = Record {
            summary: Some(SummaryRecord {
                update: rows.clone(),
                remove: Vec::new(),
            }),
            ..Record::default()
        };
        let bytes = summary.encode_to_vec();
        assert_eq!(scan(&bytes, &mut items), Some(Scanned::Summary));
        assert!(same(&items, &rows));
    }

    #[test]
    fn what_the_scan_does_not_take_goes_through_prost() {
        let scanned = |bytes: &[u8]| scan(bytes, &mut Vec::new());
        let deep = Record {
            history: Some(HistoryRecord {
                item: vec![item("", &["a", "b", "c"], "1")],
                step: None,
            }),
            ..Record::default()
        };
        assert_eq!(scanned(&deep.encode_to_vec()), None);
        let removal = Record {
            summary: Some(SummaryRecord {
                update: Vec::new(),
                remove: vec![item("gone", &[], "")],
            }),
            ..Record::default()
        };
        assert_eq!(scanned(&removal.encode_to_vec()), None);
        let exit = Record {
            exit: Some(crate::wandb::proto::RunExitRecord {
                exit_code: 1,
                runtime: 2,
            }),
            ..Record::default()
        };
        assert_eq!(scanned(&exit.encode_to_vec()), None);
        // Cut short, or not UTF-8: prost reports it.
        let bytes = Record {
            history: Some(HistoryRecord {
                item: vec![item("loss", &[], "1")],
                step: None,
            }),
            ..Record::default()
        }
        .encode_to_vec();
        assert_eq!(scanned(&bytes[..bytes.len() - 1]), None);
        let mut bad = bytes.clone();
        let at = bad.iter().position(|&b| b == b'l').unwrap();
        bad[at] = 0xFF;
        assert_eq!(scanned(&bad), None);
        // A record of another type (telemetry = 11) holds nothing to read.
        assert_eq!(scanned(&[0x5A, 0x02, 0x08, 0x01]), Some(Scanned::Other));
    }
}
