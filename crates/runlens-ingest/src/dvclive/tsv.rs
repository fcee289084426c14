//! One metric's history, `plots/metrics/<key>.tsv`: a header `step\t<name>` (or
//! `timestamp\tstep\t<name>` with `log_metric(timestamp=True)`, milliseconds since the
//! epoch), then one row per logged value as Python prints floats (`0.1`, `1e-05`, `inf`,
//! `nan`). Bad rows are skipped with a warning naming the line.

use runlens_core::MetricSeries;
use runlens_core::model::parse_float;

/// A problem with one line (1-based) of a TSV.
#[derive(Debug, Clone, PartialEq)]
pub struct LineProblem {
    /// The line, `None` for the file as a whole.
    pub line: Option<u64>,
    /// What is wrong and what was done.
    pub message: String,
}

/// The points of one TSV and the problems met reading it.
#[derive(Debug, Default)]
pub struct Parsed {
    /// The points in file order, with times in seconds when the file has timestamps.
    pub series: MetricSeries,
    /// Skipped lines and other damage.
    pub problems: Vec<LineProblem>,
}

/// Column positions of a header.
struct Columns {
    step: usize,
    timestamp: Option<usize>,
    value: usize,
    count: usize,
}

fn columns(header: &str) -> Result<Columns, String> {
    let names: Vec<&str> = header.split('\t').map(str::trim).collect();
    let step = names
        .iter()
        .position(|n| *n == "step")
        .ok_or_else(|| format!("the header `{header}` has no `step` column; file skipped"))?;
    let timestamp = names.iter().position(|n| *n == "timestamp");
    let value = (0..names.len())
        .rev()
        .find(|&i| i != step && Some(i) != timestamp)
        .ok_or_else(|| format!("the header `{header}` has no value column; file skipped"))?;
    Ok(Columns {
        step,
        timestamp,
        value,
        count: names.len(),
    })
}

/// A whole step: an integer, or a float without a fraction.
fn step(text: &str) -> Option<i64> {
    if let Ok(step) = text.parse::<i64>() {
        return Some(step);
    }
    let value = parse_float(text)?;
    // The cast is exact: the value is whole and within i64's range.
    (value.fract() == 0.0 && value.abs() < 9.0e18).then_some(value as i64)
}

/// Parses the bytes of a metric TSV.
pub fn parse(bytes: &[u8]) -> Parsed {
    let mut parsed = Parsed::default();
    let text = String::from_utf8_lossy(bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    if text.trim().is_empty() {
        parsed.problems.push(LineProblem {
            line: None,
            message: "empty: no header and no values".to_string(),
        });
        return parsed;
    }
    let ends_with_newline = text.ends_with('\n');
    let lines: Vec<&str> = text.split('\n').collect();
    // `split` leaves an empty piece after a final line end.
    let count = if ends_with_newline {
        lines.len() - 1
    } else {
        lines.len()
    };
    let header = lines[0].strip_suffix('\r').unwrap_or(lines[0]);
    let columns = match columns(header) {
        Ok(columns) => columns,
        Err(message) => {
            parsed.problems.push(LineProblem {
                line: Some(1),
                message,
            });
            return parsed;
        }
    };
    for (index, raw) in lines.iter().enumerate().take(count).skip(1) {
        let line = index as u64 + 1;
        let row = raw.strip_suffix('\r').unwrap_or(raw);
        if row.trim().is_empty() {
            continue;
        }
        let mut problem = |message: String| {
            parsed.problems.push(LineProblem {
                line: Some(line),
                message,
            });
        };
        if index + 1 == count && !ends_with_newline {
            problem(
                "the last line has no line end: the file was cut short (a run still writing, or an interrupted copy); line skipped".to_string(),
            );
            continue;
        }
        let fields: Vec<&str> = row.split('\t').map(str::trim).collect();
        if fields.len() != columns.count {
            problem(format!(
                "{} field(s) where the header has {}; line skipped",
                fields.len(),
                columns.count
            ));
            continue;
        }
        let Some(step) = step(fields[columns.step]) else {
            problem(format!(
                "step `{}` is not a whole number; line skipped",
                fields[columns.step]
            ));
            continue;
        };
        let Some(value) = parse_float(fields[columns.value]) else {
            problem(format!(
                "value `{}` is not a number; line skipped",
                fields[columns.value]
            ));
            continue;
        };
        let time = match columns.timestamp.map(|i| fields[i]) {
            None => None,
            Some(text) => match parse_float(text).filter(|t| t.is_finite()) {
                Some(ms) => Some(ms / 1000.0),
                None => {
                    problem(format!(
                        "timestamp `{text}` is not milliseconds since the epoch; the point is kept without a time"
                    ));
                    None
                }
            },
        };
        parsed.series.push(step, value, time);
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_values_and_timestamps() {
        let parsed = parse(
            b"timestamp\tstep\tloss\n1700000000500\t0\t1.0\n1700000001000\t1\tnan\n1700000002000\t2\t-inf\n1700000003000\t3\t1e-05\n",
        );
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        let s = &parsed.series;
        assert_eq!(s.steps, [0, 1, 2, 3]);
        assert_eq!(s.values[0], 1.0);
        assert!(s.values[1].is_nan());
        assert_eq!(s.values[2], f64::NEG_INFINITY);
        assert_eq!(s.values[3], 1e-5);
        assert_eq!(s.times.as_ref().unwrap()[0], 1_700_000_000.5);
    }

    #[test]
    fn plain_files_have_no_times_and_crlf_is_accepted() {
        let parsed = parse(b"step\tacc\r\n0\t0.5\r\n1\t0.30000000000000004\r\n");
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        assert_eq!(parsed.series.values, [0.5, 0.300_000_000_000_000_04]);
        assert!(parsed.series.times.is_none());
    }

    #[test]
    fn bad_lines_are_skipped_and_named() {
        let parsed = parse(b"step\tloss\n0\t1.0\n1\tabc\n2\n3.5\t0.1\n\n4\t0.2\n5\t0.");
        assert_eq!(parsed.series.steps, [0, 4]);
        let problems: Vec<(Option<u64>, &str)> = parsed
            .problems
            .iter()
            .map(|p| (p.line, p.message.as_str()))
            .collect();
        assert_eq!(
            problems,
            [
                (Some(3), "value `abc` is not a number; line skipped"),
                (Some(4), "1 field(s) where the header has 2; line skipped"),
                (Some(5), "step `3.5` is not a whole number; line skipped"),
                (
                    Some(8),
                    "the last line has no line end: the file was cut short (a run still writing, or an interrupted copy); line skipped"
                ),
            ]
        );
    }

    #[test]
    fn empty_files_and_headers_without_a_step() {
        assert_eq!(parse(b"").problems[0].line, None);
        let parsed = parse(b"epoch\tloss\n0\t1\n");
        assert_eq!(
            parsed.problems[0].message,
            "the header `epoch\tloss` has no `step` column; file skipped"
        );
        // A header alone, even without its line end, is an empty history.
        let parsed = parse(b"step\tloss");
        assert!(parsed.problems.is_empty() && parsed.series.is_empty());
    }
}
