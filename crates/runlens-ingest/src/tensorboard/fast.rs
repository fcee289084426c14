//! A fast path for the events that make up almost every event file: a wall time, a step and
//! a summary of `simple_value` scalars (tensorboardX, PyTorch). Such an event is scanned in
//! place with prost's wire-format primitives, borrowing the tags, instead of being decoded
//! into owned messages (a `String` per tag, a `Vec` per summary). Anything else — metadata,
//! tensors, images, another field — returns `None` and takes the full prost decoding, so
//! the fast path only ever sees what it fully understands.

use prost::encoding::{WireType, decode_key, decode_varint};

/// An event of scalars only: wall time, step, and the summary's bytes to walk with
/// [`for_each_scalar`].
#[derive(Debug, Clone, Copy)]
pub struct ScalarEvent<'a> {
    /// `Event.wall_time`.
    pub wall_time: f64,
    /// `Event.step`.
    pub step: i64,
    /// The bytes of `Event.summary`, every value already checked.
    summary: &'a [u8],
}

/// The event in `data` if it is a scalars-only event, else `None`.
pub fn scan(data: &[u8]) -> Option<ScalarEvent<'_>> {
    let mut buf = data;
    let mut event = ScalarEvent {
        wall_time: 0.0,
        step: 0,
        summary: &[],
    };
    let mut has_summary = false;
    while !buf.is_empty() {
        let (tag, wire) = decode_key(&mut buf).ok()?;
        match (tag, wire) {
            (1, WireType::SixtyFourBit) => {
                event.wall_time = f64::from_le_bytes(take(&mut buf, 8)?.try_into().ok()?)
            }
            (2, WireType::Varint) => event.step = decode_varint(&mut buf).ok()? as i64,
            // A second summary would be merged into the first by prost: leave that to it.
            (5, WireType::LengthDelimited) if !has_summary => {
                event.summary = length_delimited(&mut buf)?;
                has_summary = true;
            }
            _ => return None,
        }
    }
    (has_summary && check_summary(event.summary)).then_some(event)
}

/// Calls `f(tag, value)` for every value of the event's summary, in order.
pub fn for_each_scalar<'a>(event: &ScalarEvent<'a>, mut f: impl FnMut(&'a str, f32)) {
    let mut buf = event.summary;
    while !buf.is_empty() {
        // The summary was checked by `scan`: every value parses.
        let Some(value) = decode_key(&mut buf)
            .ok()
            .and_then(|_| length_delimited(&mut buf))
        else {
            return;
        };
        if let Some((tag, scalar)) = scalar_value(value) {
            f(tag, scalar);
        }
    }
}

/// True when every field of the summary is a value (field 1) holding only a tag and a
/// `simple_value`.
fn check_summary(mut buf: &[u8]) -> bool {
    while !buf.is_empty() {
        let Ok((1, WireType::LengthDelimited)) = decode_key(&mut buf) else {
            return false;
        };
        let Some(value) = length_delimited(&mut buf) else {
            return false;
        };
        if scalar_value(value).is_none() {
            return false;
        }
    }
    true
}

/// The tag and `simple_value` of a `Summary.Value` that has exactly those (tag valid UTF-8).
fn scalar_value(mut buf: &[u8]) -> Option<(&str, f32)> {
    let mut tag = None;
    let mut value = None;
    while !buf.is_empty() {
        match decode_key(&mut buf).ok()? {
            (1, WireType::LengthDelimited) => {
                tag = Some(std::str::from_utf8(length_delimited(&mut buf)?).ok()?);
            }
            (2, WireType::ThirtyTwoBit) => {
                value = Some(f32::from_le_bytes(take(&mut buf, 4)?.try_into().ok()?));
            }
            _ => return None,
        }
    }
    Some((tag?, value?))
}

fn length_delimited<'a>(buf: &mut &'a [u8]) -> Option<&'a [u8]> {
    let len = usize::try_from(decode_varint(buf).ok()?).ok()?;
    take(buf, len)
}

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
        let mut seen = Vec::new();
        for_each_scalar(&fast, |tag, v| seen.push((tag.to_string(), v.to_bits())));
        assert_eq!(
            seen,
            [
                ("loss".to_string(), 0.5f32.to_bits()),
                ("acc/top1".to_string(), f32::NAN.to_bits())
            ]
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
        let mut bad_utf8 = event(vec![scalar("lo", 1.0)]);
        let at = bad_utf8.windows(2).position(|w| w == b"lo").unwrap();
        bad_utf8[at] = 0xFF;
        assert!(scan(&bad_utf8).is_none());
        assert!(scan(&[]).is_none(), "an empty event has no summary");
    }
}
