//! Timestamps as logs write them: seconds since the Unix epoch, or an ISO 8601 / RFC 3339
//! date-time string, turned into epoch seconds without a date-time library.

/// Parses a time: a finite number of seconds since the Unix epoch (`1700000000.5`), or an
/// ISO 8601 date-time (`2023-11-14T22:13:20.5Z`, `2023-11-14 22:13:20+01:00`,
/// `2023-11-14T22:13`, `2023-11-14`). A date-time without an offset is taken as UTC.
/// The error says what is wrong, for a warning.
pub fn parse_time(text: &str) -> Result<f64, String> {
    let t = text.trim();
    if t.starts_with(|c: char| c.is_ascii_digit()) && t.len() >= 10 && t.as_bytes()[4] == b'-' {
        return parse_iso(t).ok_or_else(|| format!("`{t}` is not a valid ISO 8601 date-time"));
    }
    match runlens_core::model::parse_float(t) {
        Some(secs) if secs.is_finite() => Ok(secs),
        Some(_) => Err(format!("`{t}` is not a finite time")),
        None => Err(format!(
            "`{t}` is neither epoch seconds nor an ISO 8601 date-time"
        )),
    }
}

/// A cursor over ASCII digits and separators.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    /// Exactly `n` digits as a number.
    fn digits(&mut self, n: usize) -> Option<u32> {
        let end = self.pos.checked_add(n)?;
        let slice = self.bytes.get(self.pos..end)?;
        let mut value = 0u32;
        for &b in slice {
            if !b.is_ascii_digit() {
                return None;
            }
            value = value * 10 + u32::from(b - b'0');
        }
        self.pos = end;
        Some(value)
    }

    /// Consumes `byte` when it is next.
    fn eat(&mut self, byte: u8) -> bool {
        if self.bytes.get(self.pos) == Some(&byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn rest(&self) -> &[u8] {
        &self.bytes[self.pos.min(self.bytes.len())..]
    }
}

fn parse_iso(text: &str) -> Option<f64> {
    let mut c = Cursor {
        bytes: text.as_bytes(),
        pos: 0,
    };
    let year = c.digits(4)?;
    if !c.eat(b'-') {
        return None;
    }
    let month = c.digits(2)?;
    if !c.eat(b'-') {
        return None;
    }
    let day = c.digits(2)?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let (mut hour, mut minute, mut second, mut fraction) = (0, 0, 0, 0.0);
    if matches!(c.peek(), Some(b'T' | b't' | b' ')) {
        c.pos += 1;
        hour = c.digits(2)?;
        if !c.eat(b':') {
            return None;
        }
        minute = c.digits(2)?;
        if c.eat(b':') {
            second = c.digits(2)?;
            if c.eat(b'.') || c.eat(b',') {
                let start = c.pos;
                while c.peek().is_some_and(|b| b.is_ascii_digit()) {
                    c.pos += 1;
                }
                let digits = &text[start..c.pos];
                if digits.is_empty() {
                    return None;
                }
                fraction = format!("0.{digits}").parse::<f64>().ok()?;
            }
        }
        // 60 is a leap second; it is counted as the first second of the next minute.
        if hour > 23 || minute > 59 || second > 60 {
            return None;
        }
    }
    let offset_secs = parse_offset(&mut c)?;
    if !c.rest().is_empty() {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    let secs = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second) - offset_secs;
    Some(secs as f64 + fraction)
}

/// The UTC offset at the cursor in seconds: nothing (UTC), `Z`, ` UTC`, `±HH`, `±HHMM`,
/// `±HH:MM`. `None` when malformed.
fn parse_offset(c: &mut Cursor<'_>) -> Option<i64> {
    if c.eat(b'Z') || c.eat(b'z') {
        return Some(0);
    }
    let rest = c.rest();
    if rest.is_empty() {
        return Some(0);
    }
    if rest.eq_ignore_ascii_case(b" utc") || rest.eq_ignore_ascii_case(b"utc") {
        c.pos = c.bytes.len();
        return Some(0);
    }
    let sign = match c.peek()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    c.pos += 1;
    let hours = c.digits(2)?;
    let minutes = if c.eat(b':') {
        c.digits(2)?
    } else {
        c.digits(2).unwrap_or(0)
    };
    if hours > 23 || minutes > 59 {
        return None;
    }
    Some(sign * i64::from(hours * 3600 + minutes * 60))
}

fn is_leap(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_seconds_pass_through() {
        assert_eq!(parse_time("1700000000.5"), Ok(1_700_000_000.5));
        assert_eq!(parse_time(" 0 "), Ok(0.0));
        assert!(parse_time("inf").unwrap_err().contains("finite"));
    }

    #[test]
    fn iso_forms_agree_with_known_instants() {
        // 2023-11-14T22:13:20Z is 1_700_000_000.
        for text in [
            "2023-11-14T22:13:20Z",
            "2023-11-14T22:13:20",
            "2023-11-14 22:13:20+00:00",
            "2023-11-14t22:13:20z",
            "2023-11-15T00:13:20+02:00",
            "2023-11-14T20:13:20-0200",
            "2023-11-14 22:13:20 UTC",
        ] {
            assert_eq!(parse_time(text), Ok(1_700_000_000.0), "{text}");
        }
        assert_eq!(parse_time("2023-11-14T22:13:20.250Z"), Ok(1_700_000_000.25));
        assert_eq!(
            parse_time("2024-05-01 12:34:56.789000+00:00"),
            Ok(1_714_566_896.789)
        );
        assert_eq!(parse_time("1970-01-01"), Ok(0.0));
        assert_eq!(parse_time("2000-02-29T00:00"), Ok(951_782_400.0));
        assert_eq!(parse_time("1969-12-31T23:59:59Z"), Ok(-1.0));
    }

    #[test]
    fn malformed_dates_are_errors_not_guesses() {
        for text in [
            "2023-02-29",
            "2023-13-01",
            "2023-11-14T24:00",
            "2023-11-14T22:13:20+25:00",
            "2023-11-14T22:13:20.Z",
            "2023-11-14T22",
            "2023-11-14 junk",
            "yesterday",
            "",
        ] {
            assert!(parse_time(text).is_err(), "{text:?}");
        }
    }
}
