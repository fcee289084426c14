//! Text for people: compact numbers, counts with thousands separators, `mean ± std`, and
//! the escaping of untrusted names before they reach plotly. Pure functions, tested natively.

use runlens_core::ParamValue;

/// Significant digits shown for a float.
const SIGNIFICANT_DIGITS: usize = 4;

/// Formats a float with at most four significant digits: fixed notation between 0.001 and
/// 10,000, scientific (`1.235e6`, `2e-5`) outside; `NaN`, `∞` and `−∞` for the rest.
pub fn number(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "∞" } else { "−∞" }.to_string();
    }
    if x == 0.0 {
        return "0".to_string();
    }
    // Round once to the wanted significant digits; the exponent of the rounded value decides
    // the notation (so 9,999.7 becomes 1e4, not "10000").
    let scientific = format!("{:.*e}", SIGNIFICANT_DIGITS - 1, x);
    let (mantissa, exponent) = scientific
        .split_once('e')
        .unwrap_or((scientific.as_str(), "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if (-3..4).contains(&exponent) {
        let decimals = (SIGNIFICANT_DIGITS as i32 - 1 - exponent).max(0) as usize;
        trim_zeros(&format!("{x:.decimals$}")).to_string()
    } else {
        format!("{}e{exponent}", trim_zeros(mantissa))
    }
}

/// Drops trailing zeros of a decimal fraction, and the point when nothing is left after it.
fn trim_zeros(text: &str) -> &str {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    }
}

/// A param value as shown in a cell: integers and booleans exactly, floats compactly,
/// text verbatim.
pub fn param(value: &ParamValue) -> String {
    match value {
        ParamValue::Float(x) => number(*x),
        other => other.to_string(),
    }
}

/// A count with thousands separators: `10,000`.
pub fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `count noun`, with the noun in plural unless the count is one: `1 run`, `1,200 runs`.
pub fn count_of(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{} {noun}s", count(n))
    }
}

/// `mean ± std` of an aggregate, or just the mean when it covers a single value; empty
/// when there is nothing to aggregate.
pub fn mean_std(count: usize, mean: f64, std: f64) -> String {
    match count {
        0 => String::new(),
        1 => number(mean),
        _ => format!("{} ± {}", number(mean), number(std)),
    }
}

/// Makes untrusted text safe for plotly, which reads legend, hover and title strings as a
/// small subset of HTML: `&`, `<` and `>` become entities, which plotly shows as the
/// characters themselves (it decodes entities only inside text nodes, after splitting tags).
pub fn plotly_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Shortens `text` to at most `max_chars` characters, with an ellipsis when cut.
pub fn truncate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return isolate(text);
    }
    let mut out: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    out.push('…');
    isolate(&out)
}

/// Keeps the bidirectional controls of untrusted text inside it. Text holding any (an
/// override such as U+202E, an embedding, an isolate or a direction mark) is wrapped in
/// FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE, with its own stray isolate ends dropped
/// and its open isolates closed first, so that it cannot reverse or reorder the text put
/// after it (a run count, a unit, a separator). Other text is returned as it is.
pub fn isolate(text: &str) -> String {
    const FSI: char = '\u{2068}';
    const PDI: char = '\u{2069}';
    let is_control = |c: char| matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}');
    if !text.chars().any(is_control) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    out.push(FSI);
    let mut open = 0usize;
    for c in text.chars() {
        match c {
            '\u{2066}'..='\u{2068}' => open += 1,
            PDI if open == 0 => continue,
            PDI => open -= 1,
            _ => {}
        }
        out.push(c);
    }
    out.extend(std::iter::repeat_n(PDI, open + 1));
    out
}

/// Epoch seconds as `YYYY-MM-DD HH:MM:SS UTC` (fractions dropped); the page shows one time
/// zone for every reader of a shared report.
pub fn utc_time(epoch_seconds: f64) -> String {
    if !epoch_seconds.is_finite() {
        return "-".to_string();
    }
    let secs = epoch_seconds.floor() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Days since 1970-01-01 to a civil date (proleptic Gregorian), after H. Hinnant.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// A duration in seconds as `1h 2m 5.5s`, `3m 0s`, `0.25s`.
pub fn duration(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return "-".to_string();
    }
    let whole = seconds.floor() as u64;
    let (h, m) = (whole / 3600, whole % 3600 / 60);
    let s = seconds - (h * 3600 + m * 60) as f64;
    let s = format!("{}s", (s * 100.0).round() / 100.0);
    match (h, m) {
        (0, 0) => s,
        (0, m) => format!("{m}m {s}"),
        (h, m) => format!("{h}h {m}m {s}"),
    }
}

/// A byte count as people read it: `512 B`, `2.0 KiB`, `3.4 MiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_durations_and_sizes_read_naturally() {
        assert_eq!(utc_time(0.0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc_time(1_700_000_000.9), "2023-11-14 22:13:20 UTC");
        assert_eq!(utc_time(951_782_400.0), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc_time(-1.0), "1969-12-31 23:59:59 UTC");
        assert_eq!(utc_time(f64::NAN), "-");
        assert_eq!(duration(0.25), "0.25s");
        assert_eq!(duration(180.0), "3m 0s");
        assert_eq!(duration(3725.5), "1h 2m 5.5s");
        assert_eq!(duration(-1.0), "-");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(2048), "2.0 KiB");
        assert_eq!(bytes(3 * 1024 * 1024 + 400_000), "3.4 MiB");
    }

    #[test]
    fn numbers_keep_four_significant_digits() {
        let cases = [
            (0.0, "0"),
            (-0.0, "0"),
            (1.0, "1"),
            (0.5, "0.5"),
            (12.3456, "12.35"),
            (-12.3456, "-12.35"),
            (1234.56, "1235"),
            (12346.0, "1.235e4"),
            (99_999.0, "1e5"),
            (9999.4, "9999"),
            (12_000.0, "1.2e4"),
            (123_456_789.0, "1.235e8"),
            (0.001234567, "0.001235"),
            (0.0001234567, "1.235e-4"),
            (2e-5, "2e-5"),
            (9.9996, "10"),
            (0.1 + 0.2, "0.3"),
            (1e300, "1e300"),
            (f64::MIN_POSITIVE, "2.225e-308"),
        ];
        for (x, want) in cases {
            assert_eq!(number(x), want, "{x:e}");
        }
    }

    #[test]
    fn non_finite_numbers_have_names() {
        assert_eq!(number(f64::NAN), "NaN");
        assert_eq!(number(f64::INFINITY), "∞");
        assert_eq!(number(f64::NEG_INFINITY), "−∞");
    }

    #[test]
    fn params_show_integers_exactly() {
        assert_eq!(param(&ParamValue::Int(123_456_789)), "123456789");
        assert_eq!(param(&ParamValue::Float(0.000_312_5)), "3.125e-4");
        assert_eq!(param(&ParamValue::Bool(true)), "true");
        assert_eq!(param(&ParamValue::Text("<b>".into())), "<b>");
    }

    #[test]
    fn counts_have_separators() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(count_of(1, "run"), "1 run");
        assert_eq!(count_of(10_000, "run"), "10,000 runs");
    }

    #[test]
    fn mean_std_depends_on_count() {
        assert_eq!(mean_std(0, f64::NAN, f64::NAN), "");
        assert_eq!(mean_std(1, 0.25, 0.0), "0.25");
        assert_eq!(mean_std(3, 0.25, 0.012345), "0.25 ± 0.01235");
    }

    #[test]
    fn plotly_text_leaves_no_markup() {
        let escaped = plotly_text("<img src=x onerror=alert(1)> & <a href=\"javascript:x\">");
        assert!(!escaped.contains('<') && !escaped.contains('>'));
        assert_eq!(
            plotly_text("a<b>&c"),
            "a&lt;b&gt;&amp;c",
            "entities, decoded back to the same characters by plotly"
        );
        assert_eq!(plotly_text("&lt;"), "&amp;lt;");
    }

    #[test]
    fn bidi_controls_stay_inside_the_text_that_holds_them() {
        assert_eq!(isolate("plain"), "plain");
        assert_eq!(isolate("\u{202E}adam"), "\u{2068}\u{202E}adam\u{2069}");
        // A stray isolate end cannot close the wrapper early; an open isolate is closed.
        assert_eq!(
            isolate("a\u{2069}\u{202E}b\u{2066}c"),
            "\u{2068}a\u{202E}b\u{2066}c\u{2069}\u{2069}"
        );
        assert_eq!(truncate("\u{202E}abcdef", 4), "\u{2068}\u{202E}ab…\u{2069}");
    }

    #[test]
    fn truncate_counts_characters() {
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("ééééé", 3), "éé…");
    }
}
