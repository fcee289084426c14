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

/// The columns of a fixed-layout table that are in the page (see `view::column_window`):
/// the sticky ones, then a window of the others with a spacer cell on each side standing in
/// for the rest.
pub struct ColumnsInPage<'a> {
    /// Width of every shown column, in CSS pixels.
    pub widths: &'a [f64],
    /// Characters each shown column has room for: a longer cell gets its text as a tooltip.
    pub chars: &'a [usize],
    /// The leading columns always rendered: the name and the pinned ones.
    pub sticky: usize,
    /// The other columns rendered, as positions among the shown columns.
    pub window: Range<usize>,
    /// Width of the columns left out before the window, in CSS pixels.
    pub before: f64,
    /// Width of the columns left out after the window, in CSS pixels.
    pub after: f64,
}

/// One cell of a row of the table: a shown column (its position) or a spacer of a width.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Slot {
    Column(usize),
    Spacer(f64),
}

/// The cells of every row, in order: every column of `count` without a layout.
fn slots(layout: Option<&ColumnsInPage<'_>>, count: usize) -> Vec<Slot> {
    let Some(layout) = layout else {
        return (0..count).map(Slot::Column).collect();
    };
    let sticky = layout.sticky.min(count);
    let window = layout.window.start.max(sticky).min(count)..layout.window.end.min(count);
    let mut slots: Vec<Slot> = (0..sticky).map(Slot::Column).collect();
    if layout.before > 0.0 {
        slots.push(Slot::Spacer(layout.before));
    }
    slots.extend(window.map(Slot::Column));
    if layout.after > 0.0 {
        slots.push(Slot::Spacer(layout.after));
    }
    slots
}

/// A spacer cell (`th` in the header, `td` in the body) of `width` pixels.
fn spacer_cell(document: &Document, tag: &str, width: f64) -> Result<Element, Error> {
    let cell = dom::element(document, tag, "rl-colgap")?;
    cell.set_attribute("aria-hidden", "true")?;
    cell.set_attribute("style", &format!("width:{width}px"))?;
    Ok(cell)
}

/// Fills the header row: the tick-all box (with `ticks`), then one `th[data-sort]` per
/// column in the page (every column without a `layout`; with one, each `th` carries its
/// width, which a fixed-layout table takes for the column's), with `aria-sort` on each.
pub fn render_head(
    document: &Document,
    row: &Element,
    columns: &[Column],
    sort: Option<&Sort>,
    ticks: bool,
    layout: Option<&ColumnsInPage<'_>>,
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
    for slot in slots(layout, columns.len()) {
        let position = match slot {
            Slot::Column(position) => position,
            Slot::Spacer(width) => {
                let spacer = spacer_cell(document, "th", width)?;
                row.append_child(&spacer)?;
                continue;
            }
        };
        let column = &columns[position];
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
        if let Some(layout) = layout {
            th.set_attribute("style", &format!("width:{}px", layout.widths[position]))?;
            th.set_attribute(
                "aria-colindex",
                &(position + 1 + usize::from(ticks)).to_string(),
            )?;
        }
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
/// `row_height` pixels per row) and the columns `layout` puts in the page (every one
/// without), with the chart colours, best-run marks and ticks of `marks`.
#[allow(clippy::too_many_arguments)]
pub fn render_body(
    document: &Document,
    table: Cells<'_>,
    columns: &[Column],
    view: &TableView,
    window: Range<usize>,
    row_height: f64,
    marks: &Marks<'_>,
    layout: Option<&ColumnsInPage<'_>>,
) -> Result<Element, Error> {
    let body = document.create_element("tbody")?;
    let window = window.start.min(view.items.len())..window.end.min(view.items.len());
    let slots = slots(layout, columns.len());
    let shape = Row {
        columns,
        slots: &slots,
        layout,
        // Cells carry their column's index when some columns are left out.
        numbered: layout.is_some_and(|l| l.before > 0.0 || l.after > 0.0),
    };
    let width = slots.len() + usize::from(marks.selection.is_some());
    if window.start > 0 {
        let above = spacer(document, width, window.start as f64 * row_height)?;
        body.append_child(&above)?;
    }
    for (offset, item) in view.items[window.clone()].iter().enumerate() {
        let tr = match item {
            Item::Run(row) => run_row(document, table, &shape, *row, marks)?,
            Item::Group {
                index,
                label,
                count: _,
                cells,
                titles,
            } => group_row(
                document,
                &shape,
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

/// What every row of a body renders: the columns, which of them are in the page.
struct Row<'a> {
    columns: &'a [Column],
    slots: &'a [Slot],
    layout: Option<&'a ColumnsInPage<'a>>,
    numbered: bool,
}

impl Row<'_> {
    /// Appends the cell of each slot to `tr`: `cell` builds a column's (from its position),
    /// spacers are empty. Tick box first when `ticks`.
    fn fill(
        &self,
        document: &Document,
        tr: &Element,
        ticks: bool,
        mut cell: impl FnMut(usize, &Column) -> Result<Element, Error>,
    ) -> Result<(), Error> {
        for slot in self.slots {
            match *slot {
                Slot::Spacer(width) => {
                    let spacer = spacer_cell(document, "td", width)?;
                    tr.append_child(&spacer)?;
                }
                Slot::Column(position) => {
                    let td = cell(position, &self.columns[position])?;
                    if self.numbered {
                        let index = position + 1 + usize::from(ticks);
                        td.set_attribute("aria-colindex", &index.to_string())?;
                    }
                    tr.append_child(&td)?;
                }
            }
        }
        Ok(())
    }

    /// True when `text` is wider than the column at `position` has room for.
    fn overflows(&self, position: usize, text: &str) -> bool {
        self.layout
            .and_then(|l| l.chars.get(position))
            .is_some_and(|&room| text.chars().count() > room)
    }
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

/// The `style` of a swatch of `colour`.
fn swatch_style(colour: &str) -> String {
    format!("background-color:{colour}")
}

fn swatch(document: &Document, colour: Option<&String>) -> Result<Option<Element>, Error> {
    let Some(colour) = colour else {
        return Ok(None);
    };
    let span = dom::element(document, "span", "rl-swatch")?;
    // The colour is one of our palette strings, never log text.
    span.set_attribute("style", &swatch_style(colour))?;
    span.set_attribute("aria-hidden", "true")?;
    Ok(Some(span))
}

/// Brings the rendered run rows of `body` up to date with a new selection and the chart
/// colours that follow from it (ticked runs are charted alone), in place: each row's
/// `aria-selected` and tick box, and the swatch before its name. Nothing else in a row
/// depends on the ticks, so ticking a run re-renders no row.
pub fn refresh_marks(
    document: &Document,
    body: &Element,
    run_colours: &HashMap<usize, String>,
    selection: &Selection,
) -> Result<(), Error> {
    let ticks = body.query_selector_all("tr[data-run-id] input[data-select-row]")?;
    for index in 0..ticks.length() {
        let Some(tick) = ticks
            .item(index)
            .and_then(|n| n.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            continue;
        };
        let Some(row) = tick
            .get_attribute("data-select-row")
            .and_then(|r| r.parse::<usize>().ok())
        else {
            continue;
        };
        let ticked = selection.contains(row);
        if tick.checked() != ticked {
            tick.set_checked(ticked);
        }
        let Some(tr) = tick.closest("tr")? else {
            continue;
        };
        tr.set_attribute("aria-selected", if ticked { "true" } else { "false" })?;
        let Some(name) = tr.query_selector("td.rl-name")? else {
            continue;
        };
        let old = name.query_selector(".rl-swatch")?;
        let colour = run_colours.get(&row);
        let same = match (&old, colour) {
            (Some(old), Some(colour)) => old
                .get_attribute("style")
                .is_some_and(|style| style == swatch_style(colour)),
            (None, None) => true,
            _ => false,
        };
        if same {
            continue;
        }
        if let Some(old) = old {
            old.remove();
        }
        if let Some(new) = swatch(document, colour)? {
            name.prepend_with_node_1(&new)?;
        }
    }
    Ok(())
}

fn run_row(
    document: &Document,
    table: Cells<'_>,
    cells: &Row<'_>,
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
    let ticks = marks.selection.is_some();
    cells.fill(document, &tr, ticks, |position, column| {
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
                    let td = dom::text_element(document, "td", class, &text)?;
                    if cells.overflows(position, &text) {
                        td.set_attribute("title", &text)?;
                    }
                    td
                }
            },
        };
        Ok(td)
    })?;
    Ok(tr)
}

fn group_row(
    document: &Document,
    cells: &Row<'_>,
    label: &str,
    (texts, titles): (&[String], &[Option<String>]),
    colour: Option<&String>,
    ticks: bool,
) -> Result<Element, Error> {
    let tr = dom::element(document, "tr", "rl-group-row")?;
    if ticks {
        let empty = dom::element(document, "td", "rl-select")?;
        tr.append_child(&empty)?;
    }
    cells.fill(document, &tr, ticks, |position, column| {
        let text = texts.get(position).map(String::as_str).unwrap_or_default();
        let title = titles.get(position).and_then(Option::as_ref);
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
                } else if cells.overflows(position, text) {
                    td.set_attribute("title", text)?;
                }
                td
            }
        };
        Ok(td)
    })?;
    Ok(tr)
}
