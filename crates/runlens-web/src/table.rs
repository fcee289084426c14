//! Renders the runs table (`table#rl-runs`) from the view model: sortable headers, group
//! rows with aggregates, run rows with a tick box. Only a window of rows is in the page
//! (see `view::window`); spacer rows above and below keep the scroll height of the whole
//! table. Every cell is filled with text nodes only.

use std::collections::HashMap;
use std::ops::Range;

use runlens_core::view::Direction;
use web_sys::{Document, Element};

use wasm_bindgen::JsCast;
use web_sys::HtmlElement;

use crate::Error;
use crate::dom;
use crate::view::selection::Selection;
use crate::view::{Cells, Column, ColumnKind, Item, Sort, Stat, TableView};

/// Id of the header's tick box (every visible run).
pub const SELECT_ALL_ID: &str = "rl-select-all";

/// Fills the header row: the tick-all box (with `ticks`), then one `th[data-sort]` per
/// column, with `aria-sort` on each.
pub fn render_head(
    document: &Document,
    row: &Element,
    columns: &[Column],
    sort: Option<&Sort>,
    ticks: bool,
) -> Result<(), Error> {
    dom::clear(row);
    if ticks {
        let th = dom::element(document, "th", "rl-select")?;
        th.set_attribute("scope", "col")?;
        let all = tick_box(document, "Tick every visible run")?;
        all.set_id(SELECT_ALL_ID);
        th.append_child(&all)?;
        row.append_child(&th)?;
    }
    for column in columns {
        let class = match (column.kind, column.numeric) {
            (ColumnKind::Name, _) => "rl-name",
            (_, true) => "rl-num",
            _ => "",
        };
        let th = dom::element(document, "th", class)?;
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
        if let Some(detail) = &column.detail {
            dom::append_text(document, &button, "span", "rl-detail", detail)?;
        }
        th.append_child(&button)?;
        row.append_child(&th)?;
    }
    Ok(())
}

/// Marks the header cells of the first `pinned` columns after the name `th.rl-pinned`
/// (the page writes their sticky offsets once they are laid out).
pub fn mark_pinned(row: &Element, pinned: usize) -> Result<(), Error> {
    let cells = row.children();
    // The tick box and the name come first.
    for position in 2..2 + pinned as u32 {
        if let Some(cell) = cells.item(position) {
            cell.class_list().add_1("rl-pinned")?;
        }
    }
    Ok(())
}

/// `label detail`, for tooltips.
fn header_text(column: &Column) -> String {
    match &column.detail {
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
    /// The ticked runs; `None`: the table has no tick boxes.
    pub selection: Option<&'a Selection>,
}

/// A new `input[type=checkbox].rl-tick` labelled `label` (untrusted text is fine: it is
/// an attribute value, never markup).
fn tick_box(document: &Document, label: &str) -> Result<Element, Error> {
    let input = dom::element(document, "input", "rl-tick")?;
    input.set_attribute("type", "checkbox")?;
    input.set_attribute("aria-label", label)?;
    Ok(input)
}

/// Builds a new `tbody` for the rows `window` of `view` (spacers stand in for the others,
/// `row_height` pixels per row), with the chart colours, best-run marks and ticks of
/// `marks`.
pub fn render_body(
    document: &Document,
    table: Cells<'_>,
    columns: &[Column],
    view: &TableView,
    window: Range<usize>,
    row_height: f64,
    marks: &Marks<'_>,
) -> Result<Element, Error> {
    let body = document.create_element("tbody")?;
    let window = window.start.min(view.items.len())..window.end.min(view.items.len());
    let width = columns.len() + usize::from(marks.selection.is_some());
    if window.start > 0 {
        let above = spacer(document, width, window.start as f64 * row_height)?;
        body.append_child(&above)?;
    }
    for (offset, item) in view.items[window.clone()].iter().enumerate() {
        let tr = match item {
            Item::Run(row) => run_row(document, table, columns, *row, marks)?,
            Item::Group {
                index,
                label,
                count: _,
                cells,
                titles,
            } => group_row(
                document,
                columns,
                label,
                (cells, titles),
                marks.group_colours.get(index),
                marks.selection.is_some(),
            )?,
        };
        // Row 1 is the header row.
        tr.set_attribute("aria-rowindex", &(window.start + offset + 2).to_string())?;
        if marks.selection.is_some() {
            // Focusable from the keyboard (see `state::keys`), not a Tab stop.
            tr.set_attribute("tabindex", "-1")?;
        }
        body.append_child(&tr)?;
    }
    let below = view.items.len() - window.end;
    if below > 0 {
        let below = spacer(document, width, below as f64 * row_height)?;
        body.append_child(&below)?;
    }
    Ok(body)
}

/// A `tr.rl-spacer` of `height` pixels standing in for rows that are not rendered.
fn spacer(document: &Document, columns: usize, height: f64) -> Result<Element, Error> {
    let tr = dom::element(document, "tr", "rl-spacer")?;
    tr.set_attribute("aria-hidden", "true")?;
    let td = document.create_element("td")?;
    td.set_attribute("colspan", &columns.to_string())?;
    if let Some(td) = td.dyn_ref::<HtmlElement>() {
        td.style().set_property("height", &format!("{height}px"))?;
    }
    tr.append_child(&td)?;
    Ok(tr)
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
    table: Cells<'_>,
    columns: &[Column],
    row: usize,
    marks: &Marks<'_>,
) -> Result<Element, Error> {
    let colour = marks.run_colours.get(&row);
    let tr = document.create_element("tr")?;
    tr.set_attribute("data-run-id", &table.ids[row])?;
    if let Some(selection) = marks.selection {
        let ticked = selection.contains(row);
        tr.set_attribute("aria-selected", if ticked { "true" } else { "false" })?;
        let td = dom::element(document, "td", "rl-select")?;
        let tick = tick_box(document, &format!("Tick run {}", table.names[row]))?;
        tick.set_attribute("data-select-row", &row.to_string())?;
        if let Some(input) = tick.dyn_ref::<web_sys::HtmlInputElement>() {
            input.set_checked(ticked);
        }
        td.append_child(&tick)?;
        tr.append_child(&td)?;
    }
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
            ColumnKind::Metric {
                index,
                stat: Stat::AtStep(step),
            } if table.steps.is_pending(index, step) => {
                let td = dom::text_element(document, "td", "rl-num rl-pending", "…")?;
                td.set_attribute("title", "loading this metric's values")?;
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
    (cells, titles): (&[String], &[Option<String>]),
    colour: Option<&String>,
    ticks: bool,
) -> Result<Element, Error> {
    let tr = dom::element(document, "tr", "rl-group-row")?;
    if ticks {
        let empty = dom::element(document, "td", "rl-select")?;
        tr.append_child(&empty)?;
    }
    for ((column, text), title) in columns.iter().zip(cells).zip(titles) {
        let td = match column.kind {
            ColumnKind::Name => {
                let td = dom::element(document, "th", "rl-name")?;
                td.set_attribute("scope", "row")?;
                td.set_attribute("title", label)?;
                if let Some(swatch) = swatch(document, colour)? {
                    td.append_child(&swatch)?;
                }
                td.append_child(&document.create_text_node(label))?;
                td
            }
            _ => {
                let class = if column.numeric { "rl-num" } else { "" };
                let td = dom::text_element(document, "td", class, text)?;
                if let Some(title) = title {
                    td.set_attribute("title", title)?;
                }
                td
            }
        };
        tr.append_child(&td)?;
    }
    Ok(tr)
}
