//! A quote-aware pass over CSV bytes that finds where each record starts (its line), how
//! many fields it has, and an unterminated quote, so warnings can name rows that polars
//! silently pads or truncates.

/// One data record (a row after the header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record {
    /// 1-based line of the file where the record starts.
    pub line: u64,
    /// Number of fields.
    pub fields: usize,
    /// True for an empty line.
    pub blank: bool,
}

/// Where a quoted field is never closed: everything from `offset` on is one broken record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cut {
    /// 1-based line where the broken record starts.
    pub line: u64,
    /// Byte offset of the broken record's start; the bytes before it are well formed.
    pub offset: usize,
}

/// The shape of a CSV text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    /// Header fields, unquoted; empty for an empty text.
    pub header: Vec<String>,
    /// Data records in order (blank lines included: polars gives them a row of nulls).
    pub records: Vec<Record>,
    /// The unterminated quoted field, if any.
    pub cut: Option<Cut>,
    /// The fields of each data record, unquoted; only filled by [`scan_cells`].
    pub cells: Vec<Vec<String>>,
}

/// Scans `bytes` (without a byte-order mark) split by `separator`, with `"` quoting and
/// `""` for a quote inside a quoted field (RFC 4180). A quote that does not open a field
/// is an ordinary character (`5" screen`), as in Python's `csv` module.
pub fn scan(bytes: &[u8], separator: u8) -> Scan {
    scan_impl(bytes, separator, false)
}

/// [`scan`], keeping every record's fields in [`Scan::cells`]: the parser of last resort for
/// files polars refuses.
pub fn scan_cells(bytes: &[u8], separator: u8) -> Scan {
    scan_impl(bytes, separator, true)
}

fn scan_impl(bytes: &[u8], separator: u8, keep_cells: bool) -> Scan {
    let mut scan = Scan::default();
    let mut line = 1u64;
    let mut i = 0;
    let mut first = true;
    while i < bytes.len() {
        let start = i;
        let start_line = line;
        let mut fields = 1;
        let mut at_field_start = true;
        let mut in_quotes = false;
        let mut blank = true;
        let mut field = Vec::new();
        let mut cells = Vec::new();
        let keep = first || keep_cells;
        let mut ended = false;
        while i < bytes.len() {
            let b = bytes[i];
            i += 1;
            if in_quotes {
                if b == b'"' {
                    if bytes.get(i) == Some(&b'"') {
                        i += 1;
                        field.push(b'"');
                    } else {
                        in_quotes = false;
                    }
                } else {
                    if b == b'\n' {
                        line += 1;
                    }
                    field.push(b);
                }
                continue;
            }
            match b {
                b'"' if at_field_start => {
                    in_quotes = true;
                    at_field_start = false;
                    blank = false;
                }
                b'\n' => {
                    line += 1;
                    ended = true;
                    break;
                }
                _ if b == separator => {
                    fields += 1;
                    at_field_start = true;
                    blank = false;
                    if keep {
                        cells.push(field_text(&field));
                        field.clear();
                    }
                }
                _ => {
                    at_field_start = false;
                    if b != b'\r' {
                        blank = false;
                        field.push(b);
                    }
                }
            }
        }
        if in_quotes {
            scan.cut = Some(Cut {
                line: start_line,
                offset: start,
            });
            break;
        }
        if keep {
            cells.push(field_text(&field));
        }
        if first {
            scan.header = cells;
            first = false;
        } else if ended || !blank {
            scan.records.push(Record {
                line: start_line,
                fields,
                blank,
            });
            if keep_cells {
                scan.cells.push(if blank { Vec::new() } else { cells });
            }
        }
    }
    scan
}

fn field_text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_know_their_line_and_width() {
        let s = scan(b"a,b,c\n1,\"x,\ny\",3\n\n4,5\r\n6,7,8,9", b',');
        assert_eq!(s.header, ["a", "b", "c"]);
        let got: Vec<(u64, usize, bool)> = s
            .records
            .iter()
            .map(|r| (r.line, r.fields, r.blank))
            .collect();
        assert_eq!(
            got,
            [(2, 3, false), (4, 1, true), (5, 2, false), (6, 4, false)]
        );
        assert_eq!(s.cut, None);
    }

    #[test]
    fn header_fields_are_unquoted() {
        let s = scan(b"\"run \"\"id\"\"\"\tstep\r\n", b'\t');
        assert_eq!(s.header, ["run \"id\"", "step"]);
        assert!(s.records.is_empty());
    }

    #[test]
    fn an_unterminated_quote_cuts_the_file_at_its_record() {
        let text = b"a,b\n1,2\n3,\"never closed\n4,5\n";
        let s = scan(text, b',');
        assert_eq!(s.records.len(), 1);
        assert_eq!(s.cut, Some(Cut { line: 3, offset: 8 }));
        assert_eq!(&text[..8], b"a,b\n1,2\n");
    }

    #[test]
    fn cells_are_kept_on_request_with_stray_quotes_as_text() {
        let s = scan_cells(b"a,b\n5\" screen,\"q\"x\n\n\"1,2\",\n", b',');
        assert_eq!(s.header, ["a", "b"]);
        assert_eq!(s.cells, [vec!["5\" screen", "qx"], vec![], vec!["1,2", ""]]);
        assert!(scan(b"a\n1\n", b',').cells.is_empty());
    }

    #[test]
    fn empty_text_has_no_header() {
        assert_eq!(scan(b"", b','), Scan::default());
    }
}
