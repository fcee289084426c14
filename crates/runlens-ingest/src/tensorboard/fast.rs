//! A fast path for the events that make up almost every event file: a wall time, a step and
//! a summary of `simple_value` scalars (tensorboardX, PyTorch). Such an event is scanned in
//! place, its one-byte keys matched directly (prost's varint decoding only for varints of
//! more than one byte), borrowing the tags, instead of being decoded
//! into owned messages (a `String` per tag, a `Vec` per summary). Anything else — metadata,
//! tensors, images, another field, a key written in more than one byte, more than
//! [`MAX_VALUES`] values — returns `None` and
//! takes the full prost decoding, so the fast path only ever sees what it fully
//! understands. Tags are checked to be UTF-8 by the caller, only when a tag is new.

use prost::encoding::decode_varint;

/// Most values one scanned event may hold; an event with more takes the full decoding.
pub const MAX_VALUES: usize = 16;

/// An event of scalars only: wall time, step, and its values: where each tag is in the
/// record (bytes not yet checked to be UTF-8) and the value.
#[derive(Debug, Clone, Copy)]
pub struct ScalarEvent {
    /// `Event.wall_time`.
    pub wall_time: f64,
    /// `Event.step`.
    pub step: i64,
    values: [(u32, u32, f32); MAX_VALUES],
    len: usize,
}

impl ScalarEvent {
    /// The values, in order: tag bytes (from `data`, the record scanned) and value.
    pub fn values<'a>(
        &self,
        data: &'a [u8],
    ) -> impl Iterator<Item = (&'a [u8], f32)> + use<'a, '_> {
        self.values[..self.len]
            .iter()
            .map(move |&(start, len, v)| (&data[start as usize..(start + len) as usize], v))
    }
}

impl Default for ScalarEvent {
    fn default() -> Self {
        ScalarEvent {
            wall_time: 0.0,
            step: 0,
            values: [(0, 0, 0.0); MAX_VALUES],
            len: 0,
        }
    }
}

/// The event in `data` if it is a scalars-only event, else `None`.
#[cfg(test)]
fn scan(data: &[u8]) -> Option<ScalarEvent> {
    let mut event = ScalarEvent::default();
    scan_into(data, &mut event).then_some(event)
}

/// Scans `data` into `event` (reused between records, so nothing large is copied); false
/// when it is not a scalars-only event (`event` then holds no meaning).
pub fn scan_into(data: &[u8], event: &mut ScalarEvent) -> bool {
    u32::try_from(data.len()).is_ok() && scan_fields(data, event).is_some()
}

/// Field keys of the scanned layout, each one byte: `(field << 3) | wire type`.
const EVENT_WALL_TIME: u8 = 1 << 3 | 1; // fixed64
const EVENT_STEP: u8 = 2 << 3; // varint
const EVENT_SUMMARY: u8 = 5 << 3 | 2; // length-delimited
const SUMMARY_VALUE: u8 = 1 << 3 | 2; // length-delimited
const VALUE_TAG: u8 = 1 << 3 | 2; // length-delimited
const VALUE_SIMPLE: u8 = 2 << 3 | 5; // fixed32

fn scan_fields(data: &[u8], event: &mut ScalarEvent) -> Option<()> {
    let mut buf = data;
    event.wall_time = 0.0;
    event.step = 0;
    event.len = 0;
    let mut has_summary = false;
    // Keys are matched as single bytes: a key written in a longer (non-minimal) varint, like
    // any other field, takes the full decoding.
    while let Some((&key, rest)) = buf.split_first() {
        buf = rest;
        match key {
            EVENT_WALL_TIME => event.wall_time = f64::from_le_bytes(fixed(&mut buf)?),
            EVENT_STEP => event.step = varint(&mut buf)? as i64,
            // A second summary would be merged into the first by prost: leave that to it.
            EVENT_SUMMARY if !has_summary => {
                let summary = length_delimited(&mut buf)?;
                scan_summary(data, summary, event)?;
                has_summary = true;
            }
            _ => return None,
        }
    }
    has_summary.then_some(())
}

/// Collects the values of a summary whose every field is a value (field 1) holding only a
/// tag and a `simple_value`.
fn scan_summary(data: &[u8], mut buf: &[u8], event: &mut ScalarEvent) -> Option<()> {
    while let Some((&key, rest)) = buf.split_first() {
        buf = rest;
        if key != SUMMARY_VALUE {
            return None;
        }
        let (tag, value) = scalar_value(length_delimited(&mut buf)?)?;
        // `tag` is a subslice of `data`: its position is kept instead of the borrow.
        let start = tag.as_ptr() as usize - data.as_ptr() as usize;
        *event.values.get_mut(event.len)? = (start as u32, tag.len() as u32, value);
        event.len += 1;
    }
    Some(())
}

/// The tag bytes and `simple_value` of a `Summary.Value` that has exactly those.
fn scalar_value(mut buf: &[u8]) -> Option<(&[u8], f32)> {
    let mut tag = None;
    let mut value = None;
    while let Some((&key, rest)) = buf.split_first() {
        buf = rest;
        match key {
            // A field written twice takes the full decoding: prost checks every copy of a
            // tag to be UTF-8, not only the last one, which the scan would keep.
            VALUE_TAG if tag.is_none() => tag = Some(length_delimited(&mut buf)?),
            VALUE_SIMPLE if value.is_none() => value = Some(f32::from_le_bytes(fixed(&mut buf)?)),
            _ => return None,
        }
    }
    Some((tag?, value?))
}

/// A varint as prost reads it; one-byte varints (every length and most steps here) without
/// a call.
#[inline(always)]
fn varint(buf: &mut &[u8]) -> Option<u64> {
    match buf.split_first() {
        Some((&byte, rest)) if byte < 0x80 => {
            *buf = rest;
            Some(u64::from(byte))
        }
        _ => decode_varint(buf).ok(),
    }
}

/// The next `N` bytes (a fixed32 or fixed64 field).
#[inline]
fn fixed<const N: usize>(buf: &mut &[u8]) -> Option<[u8; N]> {
    let (head, rest) = buf.split_first_chunk::<N>()?;
    *buf = rest;
    Some(*head)
}

/// Under `cfg(fuzzing)`: panics unless prost decodes `data` to the event the scan found, so
/// the fuzz targets check that the fast path only takes what it fully understands.
#[cfg(fuzzing)]
pub fn assert_agrees_with_prost(data: &[u8], event: &ScalarEvent) {
    use prost::Message;
    let decoded = super::proto::Event::decode(data).expect("a scanned event decodes");
    assert_eq!(decoded.wall_time.to_bits(), event.wall_time.to_bits());
    assert_eq!(decoded.step, event.step);
    let summary = decoded.summary.expect("a scanned event has a summary");
    let scanned: Vec<(&[u8], u32)> = event.values(data).map(|(t, v)| (t, v.to_bits())).collect();
    let full: Vec<(&[u8], u32)> = summary
        .value
        .iter()
        .map(|v| {
            assert!(v.metadata.is_none() && v.tensor.is_none() && v.image.is_none());
            let value = v.simple_value.expect("a scanned value is a simple_value");
            (v.tag.as_bytes(), value.to_bits())
        })
        .collect();
    assert_eq!(scanned, full);
}

#[inline(always)]
fn length_delimited<'a>(buf: &mut &'a [u8]) -> Option<&'a [u8]> {
    let len = usize::try_from(varint(buf)?).ok()?;
    take(buf, len)
}

#[inline]
fn take<'a>(buf: &mut &'a [u8], len: usize) -> Option<&'a [u8]> {
    if buf.len() < len {
        return None;
    }
    let (head, rest) = buf.split_at(len);
    *buf = rest;
    Some(head)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensorboard::proto::{Event, Summary, SummaryMetadata, SummaryValue};
    use prost::Message;

    fn event(values: Vec<SummaryValue>) -> Vec<u8> {
        Event {
            wall_time: 1.7e9 + 0.25,
            step: -3,
            summary: Some(Summary { value: values }),
        }
        .encode_to_vec()
    }

    fn scalar(tag: &str, v: f32) -> SummaryValue {
        SummaryValue {
            tag: tag.into(),
            simple_value: Some(v),
            ..SummaryValue::default()
        }
    }

    #[test]
    fn scalar_events_scan_to_what_prost_decodes() {
        let bytes = event(vec![scalar("loss", 0.5), scalar("acc/top1", f32::NAN)]);
        let fast = scan(&bytes).expect("a scalars-only event");
        assert_eq!((fast.wall_time, fast.step), (1.7e9 + 0.25, -3));
        let seen: Vec<(&[u8], u32)> = fast.values(&bytes).map(|(t, v)| (t, v.to_bits())).collect();
        assert_eq!(
            seen,
            [
                (&b"loss"[..], 0.5f32.to_bits()),
                (&b"acc/top1"[..], f32::NAN.to_bits())
            ]
        );
        let many: Vec<SummaryValue> = (0..=MAX_VALUES)
            .map(|i| scalar(&format!("t{i}"), 1.0))
            .collect();
        assert!(
            scan(&event(many)).is_none(),
            "more values than the buffer holds"
        );
    }

    #[test]
    fn anything_else_takes_the_full_decoding() {
        let with_metadata = SummaryValue {
            metadata: Some(SummaryMetadata::default()),
            ..scalar("loss", 1.0)
        };
        assert!(scan(&event(vec![with_metadata])).is_none());
        let no_summary = Event {
            wall_time: 1.0,
            step: 0,
            summary: None,
        };
        assert!(scan(&no_summary.encode_to_vec()).is_none());
        // `file_version` (field 3), which the first event of every file holds.
        let mut other_field = event(vec![scalar("loss", 1.0)]);
        other_field.extend_from_slice(&[0x1A, 0x01, b'x']);
        assert!(scan(&other_field).is_none());
        let mut two_summaries = event(vec![scalar("a", 1.0)]);
        let second = event(vec![scalar("b", 2.0)]);
        two_summaries.extend_from_slice(&second[second.len() - 12..]);
        assert!(
            scan(&two_summaries).is_none() || scan(&two_summaries).is_some_and(|e| e.step == -3)
        );
        let mut truncated = event(vec![scalar("loss", 1.0)]);
        truncated.pop();
        assert!(scan(&truncated).is_none());
        assert!(scan(&[]).is_none(), "an empty event has no summary");
    }

    #[test]
    fn a_value_field_written_twice_takes_the_full_decoding() {
        // Value { tag: "\xFF", tag: "ok", simple_value: 1.0 }: prost checks the first tag
        // too and rejects the event; the scan must not keep the last tag and take it.
        let mut value = vec![VALUE_TAG, 1, 0xFF, VALUE_TAG, 2, b'o', b'k', VALUE_SIMPLE];
        value.extend_from_slice(&1.0f32.to_le_bytes());
        let mut summary = vec![SUMMARY_VALUE, value.len() as u8];
        summary.extend_from_slice(&value);
        let mut data = vec![EVENT_SUMMARY, summary.len() as u8];
        data.extend_from_slice(&summary);
        assert!(Event::decode(data.as_slice()).is_err(), "prost rejects it");
        assert!(scan(&data).is_none());
        let mut twice = vec![VALUE_TAG, 1, b'a', VALUE_SIMPLE, 0, 0, 0, 0, VALUE_SIMPLE];
        twice.extend_from_slice(&2.0f32.to_le_bytes());
        assert!(scalar_value(&twice).is_none(), "a value written twice");
    }
}
