//! The runs table as CSV (RFC 4180): the columns shown, one line per visible run in table
//! order, the id first. Text a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab,
//! carriage return at the start of a text cell) is prefixed with `'`, since every value
//! comes from untrusted logs; numeric columns are written as they are.

use super::at_step::Cells;

use super::{Column, cell_text};

/// The CSV text of `rows` under `columns`.
pub fn table_csv(table: Cells<'_>, columns: &[Column], rows: &[usize]) -> String {
    let mut out = String::new();
    let mut header = vec![field("id", false)];
    header.extend(columns.iter().map(|c| {
        let label = match &c.detail {
            Some(detail) => format!("{} ({detail})", c.label),
            None => c.label.clone(),
        };
        field(&label, false)
    }));
    out.push_str(&header.join(","));
    out.push_str("\r\n");
    for &row in rows {
        let mut line = vec![field(&table.ids[row], false)];
        line.extend(
            columns
                .iter()
                .map(|c| field(&cell_text(table, row, c.kind), c.numeric)),
        );
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// One CSV field: quoted when it holds a comma, quote or line break; a text starting
/// like a formula is defused.
fn field(text: &str, numeric: bool) -> String {
    let formula = !numeric && text.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let text = if formula {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::columns;
    use crate::view::tests::run;
    use runlens_core::bundle::RunTable;

    #[test]
    fn the_csv_has_a_header_and_one_quoted_line_per_run() {
        let mut runs = vec![
            run("a,b", 0.1, "say \"hi\"", &[1.0, 0.5]),
            run("=cmd|' /C calc'!A0", 0.01, "-O2", &[-2.0]),
        ];
        runs[1].id = "r2".into();
        let table = RunTable::from_runs("t", &runs, &[]);
        let cols = columns(&table);
        let csv = table_csv((&table).into(), &cols, &[1, 0]);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(
            lines[0],
            "id,name,status,lr,opt,train/loss (last),train/loss (min),val_acc (last),val_acc (max)"
        );
        // Formula-like text is defused; numbers (even negative) are kept.
        assert_eq!(
            lines[1],
            "r2,'=cmd|' /C calc'!A0,finished,0.01,'-O2,-2,-2,-2,-2"
        );
        assert_eq!(
            lines[2],
            "\"a,b\",\"a,b\",finished,0.1,\"say \"\"hi\"\"\",0.5,0.5,0.5,1"
        );
        assert_eq!(lines[3], "");
        assert_eq!(lines.len(), 4);
    }
}
