//! CSV and TSV input: the header decides between a runs table ([`RunsCsvReader`]) and
//! long-form metrics ([`MetricsCsvReader`]); polars parses, every cell as a string.

mod metrics;
mod runs;
mod scan;
#[cfg(test)]
mod tests;

use std::io::Cursor;
use std::path::Path;

use polars::prelude::{
    CsvEncoding, CsvParseOptions, CsvReadOptions, DataFrame, IntoColumn, NewChunkedArray,
    PolarsResult, SerReader, StringChunked,
};

use crate::error::ReadError;
use crate::reader::{Entry, ReadOutput};

pub use metrics::MetricsCsvReader;
pub use runs::RunsCsvReader;

/// What a CSV header says the file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// One row per run.
    Runs,
    /// One row per metric point (`run`, `step`, `key`, `value`).
    Metrics,
    /// Neither: some other table.
    Other,
}

/// Normalized header name: trimmed, lowercase.
fn norm(name: &str) -> String {
    name.trim().to_ascii_lowercase()
}

/// Decides the layout from header names.
fn layout_of(header: &[String]) -> Layout {
    let names: Vec<String> = header.iter().map(|h| norm(h)).collect();
    let has = |n: &str| names.iter().any(|h| h == n);
    if has("step") || ((has("key") || has("metric")) && has("value")) {
        return Layout::Metrics;
    }
    let identifies = ["run_id", "id", "run", "name"].iter().any(|n| has(n));
    let prefixed = names
        .iter()
        .any(|h| runs::PREFIXES.iter().any(|(p, _)| h.starts_with(p)));
    if identifies || prefixed {
        Layout::Runs
    } else {
        Layout::Other
    }
}

/// The layout of a CSV or TSV entry from its first line; `None` when it is not such a
/// file. A file whose first line is empty, or too long to sniff, counts as a runs table
/// (its reader then says what is wrong with it).
fn sniff(entry: &Entry<'_>) -> Option<Layout> {
    let separator = separator_for(entry.path())?;
    if !entry.is_file() {
        return None;
    }
    let Some(line) = entry.first_line() else {
        return Some(Layout::Runs);
    };
    if line.iter().all(u8::is_ascii_whitespace) {
        return Some(Layout::Runs);
    }
    // A quoted header cell spanning lines is cut here; the names before it still count.
    Some(layout_of(&scan::scan(line, separator).header))
}

/// The field separator for a file name: `,` for `.csv`, tab for `.tsv`.
fn separator_for(path: &Path) -> Option<u8> {
    let ext = path.extension()?.to_string_lossy().to_ascii_lowercase();
    match ext.as_str() {
        "csv" => Some(b','),
        "tsv" => Some(b'\t'),
        _ => None,
    }
}

/// A parsed CSV file: the header, every column as strings, and the line of each row.
struct Table {
    /// The parsed frame (every column a string column).
    frame: DataFrame,
    header: Vec<String>,
    columns: Vec<StringChunked>,
    /// 1-based line where each row starts (the header is line 1).
    lines: Vec<u64>,
    /// Rows that are empty lines (polars reads them as all-null rows).
    blank: Vec<bool>,
}

impl Table {
    /// Reads and parses `path`. Returns `None`, after a warning, for an empty file.
    /// Ragged rows and an unterminated quote are warned about here; the rest is the
    /// readers' business.
    fn load(path: &Path, out: &mut ReadOutput) -> Result<Option<Table>, ReadError> {
        let separator = separator_for(path).unwrap_or(b',');
        let bytes = std::fs::read(path).map_err(|e| ReadError::io(path, e))?;
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        if bytes.iter().all(u8::is_ascii_whitespace) {
            out.warn_file("empty file, no header; nothing read");
            return Ok(None);
        }
        let scanned = scan::scan(bytes, separator);
        if scanned.header.iter().all(|h| h.trim().is_empty()) {
            out.warn_file("the first line (the header) is empty; file skipped");
            return Ok(None);
        }
        let mut usable = bytes;
        if let Some(cut) = scanned.cut {
            out.warn_line(
                cut.line,
                "a quoted field is never closed; this row and the rest of the file are skipped",
            );
            usable = &bytes[..cut.offset];
        }
        let encoding = if std::str::from_utf8(usable).is_ok() {
            CsvEncoding::Utf8
        } else {
            out.warn_file("not valid UTF-8; the invalid bytes are read as U+FFFD (�)");
            CsvEncoding::LossyUtf8
        };
        let width = scanned.header.len();
        for record in &scanned.records {
            if record.blank || record.fields == width {
                continue;
            }
            let what = if record.fields < width {
                "the missing cells are empty"
            } else {
                "the extra cells are ignored"
            };
            out.warn_line(
                record.line,
                format!(
                    "the row has {} field(s) but the header has {width}; {what}",
                    record.fields
                ),
            );
        }
        let parsed = CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .with_raise_if_empty(false)
            .with_rechunk(true)
            .with_parse_options(
                CsvParseOptions::default()
                    .with_separator(separator)
                    .with_encoding(encoding)
                    .with_truncate_ragged_lines(true)
                    .with_missing_is_null(true),
            )
            .into_reader_with_file_handle(Cursor::new(usable))
            .finish();
        let (scanned, frame) = match parsed {
            Ok(frame) => (scanned, frame),
            // Polars refuses a quote inside an unquoted field (`5" screen`); such files are
            // read by the scan itself, which takes that quote literally.
            Err(_) => {
                let text = String::from_utf8_lossy(usable);
                let scanned = scan::scan_cells(text.as_bytes(), separator);
                let frame = frame_of(&scanned).map_err(|source| ReadError::Csv {
                    path: path.to_path_buf(),
                    source,
                })?;
                (scanned, frame)
            }
        };
        Ok(Some(Self::from_frame(path, scanned, frame)?))
    }

    fn from_frame(path: &Path, scanned: scan::Scan, frame: DataFrame) -> Result<Table, ReadError> {
        let height = frame.height();
        let mut columns = Vec::with_capacity(frame.width());
        for column in frame.columns() {
            let strings = column.str().map_err(|source| ReadError::Csv {
                path: path.to_path_buf(),
                source,
            })?;
            columns.push(strings.clone());
        }
        // The scan and polars split records the same way for well-formed files; if a stray
        // quote makes them disagree, rows are numbered by position instead.
        let (lines, blank) = if scanned.records.len() == height {
            scanned.records.iter().map(|r| (r.line, r.blank)).unzip()
        } else {
            (
                (0..height as u64).map(|i| i + 2).collect(),
                vec![false; height],
            )
        };
        let mut header = scanned.header;
        header.resize(columns.len(), String::new());
        Ok(Table {
            frame,
            header,
            columns,
            lines,
            blank,
        })
    }

    /// Number of rows.
    fn height(&self) -> usize {
        self.lines.len()
    }

    /// The cell at `row` of column `col`, `None` when empty or absent (a cell holding only
    /// whitespace counts as empty).
    fn cell(&self, col: usize, row: usize) -> Option<&str> {
        self.columns
            .get(col)?
            .get(row)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    /// Whether `row` has no cell at all: an empty line, or only empty cells.
    fn is_blank(&self, row: usize) -> bool {
        self.blank.get(row).copied().unwrap_or(false)
            || (0..self.columns.len()).all(|col| self.cell(col, row).is_none())
    }

    /// Index of the first column whose normalized name is one of `names`, tried in order.
    fn find(&self, names: &[&str]) -> Option<usize> {
        names
            .iter()
            .find_map(|name| self.header.iter().position(|h| norm(h) == *name))
    }

    /// Warns about every column whose normalized name repeats an earlier one, and returns
    /// a flag per column: `true` for the first of each name (the one that is read).
    fn first_of_each_name(&self, out: &mut ReadOutput) -> Vec<bool> {
        let mut seen = std::collections::HashSet::new();
        self.header
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let key = norm(name);
                if key.is_empty() || seen.insert(key) {
                    true
                } else {
                    out.warn_file(format!(
                        "column {} `{}` repeats an earlier column's name; it is ignored",
                        i + 1,
                        name.trim()
                    ));
                    false
                }
            })
            .collect()
    }
}

/// A frame of string columns from scanned cells: padded with nulls, extra cells dropped,
/// empty cells null (as polars reads them).
fn frame_of(scanned: &scan::Scan) -> PolarsResult<DataFrame> {
    let columns = (0..scanned.header.len())
        .map(|col| {
            let cells = scanned.cells.iter().map(|row| {
                row.get(col)
                    .map(String::as_str)
                    .filter(|cell| !cell.is_empty())
            });
            StringChunked::from_iter_options(format!("column_{col}").into(), cells).into_column()
        })
        .collect();
    DataFrame::new(scanned.cells.len(), columns)
}

/// Cuts a cell or name to a length that keeps warnings readable.
fn short(text: &str) -> String {
    const MAX: usize = 60;
    match text.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}
