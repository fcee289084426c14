//! Renders the runs table (`table#rl-runs`) from the view model: sortable headers, group
//! rows with aggregates, run rows. Every cell is filled with text nodes only.

use std::collections::HashMap;

use runlens_core::bundle::RunTable;
use runlens_core::view::Direction;
use web_sys::{Document, Element};

use crate::Error;
use crate::dom;
use crate::view::{Column, ColumnKind, Item, Sort, TableView};

/// Fills the header row: one `th[data-sort]` per column, with `aria-sort` on each.
pub fn render_head(
    document: &Document,
    row: &Element,
    columns: &[Column],
    sort: Option<&Sort>,
) -> Result<(), Error> {
    dom::clear(row);
    for column in columns {
        let th = dom::element(document, "th", if column.numeric { "rl-num" } else { "" })?;
        th.set_attribute("scope", "col")?;
        th.set_attribute("data-sort", &column.id)?;
        let aria = match sort {
            Some(s) if s.column == column.id && s.descending => "descending",
            Some(s) if s.column == column.id => "ascending",
            _ => "none",
        };
        th.set_attribute("aria-sort", aria)?;
        let button = dom::element(document, "button", "rl-sort")?;
        button.set_attribute("type", "button")?;
        button.set_attribute("title", &format!("Sort by {}", header_text(column)))?;
        dom::append_text(document, &button, "span", "rl-label", &column.label)?;
        if let Some(detail) = column.detail {
            dom::append_text(document, &button, "span", "rl-detail", detail)?;
        }
        th.append_child(&button)?;
        row.append_child(&th)?;
    }
    Ok(())
}

/// `label detail`, for tooltips.
fn header_text(column: &Column) -> String {
    match column.detail {
        Some(detail) => format!("{} ({detail})", column.label),
        None => column.label.clone(),
    }
}

/// What marks cells besides their text.
pub struct Marks<'a> {
    /// Chart colour of charted runs, by row.
    pub run_colours: &'a HashMap<usize, String>,
    /// Chart colour of charted groups, by group index.
    pub group_colours: &'a HashMap<usize, String>,
    /// The best run of directed metric columns, by column position.
    pub best: &'a HashMap<usize, (usize, Direction)>,
}

/// Builds a new `tbody` for `view`, with the chart colours and best-run marks of `marks`.
pub fn render_body(
    document: &Document,
    table: &RunTable,
    columns: &[Column],
    view: &TableView,
    marks: &Marks<'_>,
) -> Result<Element, Error> {
    let body = document.create_element("tbody")?;
    for item in &view.items {
        let tr = match item {
            Item::Run(row) => run_row(document, table, columns, *row, marks)?,
            Item::Group {
                index,
                label,
                count: _,
                cells,
            } => group_row(
                document,
                columns,
                label,
                cells,
                marks.group_colours.get(index),
            )?,
        };
        body.append_child(&tr)?;
    }
    Ok(body)
}

fn swatch(document: &Document, colour: Option<&String>) -> Result<Option<Element>, Error> {
    let Some(colour) = colour else {
        return Ok(None);
    };
    let span = dom::element(document, "span", "rl-swatch")?;
    // The colour is one of our palette strings, never log text.
    span.set_attribute("style", &format!("background-color:{colour}"))?;
    span.set_attribute("aria-hidden", "true")?;
    Ok(Some(span))
}

fn run_row(
    document: &Document,
    table: &RunTable,
    columns: &[Column],
    row: usize,
    marks: &Marks<'_>,
) -> Result<Element, Error> {
    let colour = marks.run_colours.get(&row);
    let tr = document.create_element("tr")?;
    tr.set_attribute("data-run-id", &table.ids[row])?;
    for (position, column) in columns.iter().enumerate() {
        let text = crate::view::cell_text(table, row, column.kind);
        let td = match column.kind {
            ColumnKind::Name => {
                let td = dom::element(document, "td", "rl-name")?;
                if let Some(swatch) = swatch(document, colour)? {
                    td.append_child(&swatch)?;
                }
                // The name opens the run's page (see `run_panel`).
                let open = dom::text_element(document, "button", "rl-run-open", &text)?;
                open.set_attribute("type", "button")?;
                open.set_attribute("data-run-row", &row.to_string())?;
                open.set_attribute("title", &format!("Open run {}", table.ids[row]))?;
                td.append_child(&open)?;
                td
            }
            ColumnKind::Status => {
                let td = document.create_element("td")?;
                let pill = format!("rl-status rl-status-{text}");
                dom::append_text(document, &td, "span", &pill, &text)?;
                td
            }
            _ => match marks.best.get(&position) {
                Some(&(best, direction)) if best == row => {
                    let td = dom::text_element(document, "td", "rl-num rl-best", &text)?;
                    let why = match direction {
                        Direction::Lower => "best: lower is better",
                        Direction::Higher => "best: higher is better",
                    };
                    td.set_attribute("title", why)?;
                    td
                }
                _ => {
                    let class = if column.numeric { "rl-num" } else { "" };
                    dom::text_element(document, "td", class, &text)?
                }
            },
        };
        tr.append_child(&td)?;
    }
    Ok(tr)
}

fn group_row(
    document: &Document,
    columns: &[Column],
    label: &str,
    cells: &[String],
    colour: Option<&String>,
) -> Result<Element, Error> {
    let tr = dom::element(document, "tr", "rl-group-row")?;
    for (column, text) in columns.iter().zip(cells) {
        let td = match column.kind {
            ColumnKind::Name => {
                let td = dom::element(document, "th", "rl-name")?;
                td.set_attribute("scope", "row")?;
                if let Some(swatch) = swatch(document, colour)? {
                    td.append_child(&swatch)?;
                }
                td.append_child(&document.create_text_node(label))?;
                td
            }
            _ => {
                let class = if column.numeric { "rl-num" } else { "" };
                dom::text_element(document, "td", class, text)?
            }
        };
        tr.append_child(&td)?;
    }
    Ok(tr)
}
