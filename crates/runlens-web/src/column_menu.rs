//! The column menu (`#rl-columns`, opened by `#rl-columns-open` above the table): every
//! column the table can show, the shown ones first in their order with a pin and move
//! buttons, then the others, narrowed by a find box; above them the "value of … at step …"
//! row that adds a value-at-step column. Ids travel in `data-*` attributes and labels as
//! text; the menu only ever reports which id was clicked.

use runlens_core::bundle::RunTable;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlInputElement, HtmlSelectElement};

use runlens_core::view::{Direction, Directions};

use crate::view::{Column, ColumnKind};
use crate::{Error, dom, format};

/// Most columns listed at once (the find box narrows the rest).
pub const MAX_LISTED: usize = 300;

/// Fills `list` (`ul#rl-columns-list`) with the shown columns of `shown` (the name excepted;
/// the first `pinned` after it are pinned) and then the columns of `all` not shown, keeping
/// only those whose label or id contains `find` (case-insensitively).
pub fn render(
    document: &Document,
    list: &Element,
    all: &[Column],
    shown: &[Column],
    pinned: usize,
    find: &str,
    directions: &Directions,
) -> Result<(), Error> {
    dom::clear(list);
    let needle = find.trim().to_lowercase();
    let matches = |c: &Column| {
        needle.is_empty()
            || c.label.to_lowercase().contains(&needle)
            || c.id.to_lowercase().contains(&needle)
    };
    let shown_rest = shown.iter().skip(1);
    let mut listed = 0;
    let mut more = 0;
    for (position, column) in shown_rest.enumerate() {
        if !matches(column) {
            continue;
        }
        let li = item(document, column, true, position < pinned, directions)?;
        list.append_child(&li)?;
        listed += 1;
    }
    for column in all {
        if column.id == "name" || shown.iter().any(|s| s.id == column.id) || !matches(column) {
            continue;
        }
        if listed >= MAX_LISTED {
            more += 1;
            continue;
        }
        let li = item(document, column, false, false, directions)?;
        list.append_child(&li)?;
        listed += 1;
    }
    if more > 0 {
        let note = dom::text_element(
            document,
            "li",
            "rl-note",
            &format!(
                "{} more — type in the box above to find them.",
                format::count(more)
            ),
        )?;
        list.append_child(&note)?;
    } else if listed == 0 {
        dom::append_text(document, list, "li", "rl-note", "No column matches.")?;
    }
    Ok(())
}

/// One `li`: a labelled checkbox, and for shown columns a pin toggle and move buttons.
fn item(
    document: &Document,
    column: &Column,
    shown: bool,
    pinned: bool,
    directions: &Directions,
) -> Result<Element, Error> {
    let li = dom::element(document, "li", if shown { "rl-column-shown" } else { "" })?;
    let label = dom::element(document, "label", "rl-check")?;
    let input = dom::element(document, "input", "")?;
    input.set_attribute("type", "checkbox")?;
    input.set_attribute("data-column", &column.id)?;
    if shown {
        input.set_attribute("checked", "")?;
    }
    label.append_child(&input)?;
    dom::append_text(document, &label, "span", "rl-label", &column.label)?;
    if let Some(detail) = &column.detail {
        dom::append_text(document, &label, "span", "rl-detail", detail)?;
    }
    li.append_child(&label)?;
    if shown {
        let text = column_text(column);
        let pin = button(document, "", &format!("Pin {text}"))?;
        pin.append_child(&pin_icon(document)?.into())?;
        pin.set_attribute("data-pin", &column.id)?;
        pin.set_attribute("aria-pressed", if pinned { "true" } else { "false" })?;
        li.append_child(&pin)?;
        if let ColumnKind::Metric { .. } = column.kind {
            // Cycles: no direction → lower is better → higher is better → none.
            let (glyph, now, next) = match directions.get(&column.label) {
                None => ("↕", "no direction", "lower"),
                Some(Direction::Lower) => ("↓", "lower is better", "higher"),
                Some(Direction::Higher) => ("↑", "higher is better", ""),
            };
            let mark = button(
                document,
                glyph,
                &format!("{} improves: {now} (click to change)", column.label),
            )?;
            mark.set_attribute("data-direction", &column.label)?;
            mark.set_attribute("data-next", next)?;
            li.append_child(&mark)?;
        }
        for (glyph, by, word) in [("↑", "-1", "left"), ("↓", "1", "right")] {
            let mover = button(document, glyph, &format!("Move {text} {word}"))?;
            mover.set_attribute("data-move", &column.id)?;
            mover.set_attribute("data-by", by)?;
            li.append_child(&mover)?;
        }
    }
    Ok(li)
}

/// The column menu's "value at step" row: a metric, a step and **Add**, which adds the
/// column of that metric's value at that step (`#rl-step-metric`, `#rl-step`,
/// `#rl-step-add`).
pub fn step_row(document: &Document, table: &RunTable) -> Result<Element, Error> {
    let row = dom::element(document, "div", "rl-step-row")?;
    let label = dom::element(document, "label", "rl-inline")?;
    dom::append_text(document, &label, "span", "rl-inline-caption", "value of")?;
    let metric: HtmlSelectElement = document
        .create_element("select")?
        .dyn_into()
        .map_err(|_| Error::new("select has an unexpected type"))?;
    metric.set_id("rl-step-metric");
    label.append_child(&metric)?;
    for m in &table.metrics {
        let option = dom::text_element(document, "option", "", &m.key)?;
        option.set_attribute("value", &m.key)?;
        metric.append_child(&option)?;
    }
    metric.set_disabled(table.metrics.is_empty());
    row.append_child(&label)?;
    let label = dom::element(document, "label", "rl-inline")?;
    dom::append_text(document, &label, "span", "rl-inline-caption", "at step")?;
    let step: HtmlInputElement = document
        .create_element("input")?
        .dyn_into()
        .map_err(|_| Error::new("step input has an unexpected type"))?;
    step.set_type("number");
    step.set_id("rl-step");
    step.set_attribute("step", "1")?;
    step.set_attribute("inputmode", "numeric")?;
    step.set_attribute("autocomplete", "off")?;
    let last = table
        .metrics
        .iter()
        .flat_map(|m| m.last_step.iter())
        .copied()
        .max()
        .unwrap_or(0);
    step.set_placeholder(&last.to_string());
    label.append_child(&step)?;
    row.append_child(&label)?;
    let add = dom::text_element(document, "button", "rl-tool", "Add")?;
    add.set_attribute("type", "button")?;
    add.set_id("rl-step-add");
    add.set_attribute(
        "title",
        "Add a column with each run's value at its last logged step at or before this one",
    )?;
    row.append_child(&add)?;
    Ok(row)
}

/// A push-pin drawn in the text colour (an emoji would need a font many systems lack).
fn pin_icon(document: &Document) -> Result<Element, Error> {
    const SVG: &str = "http://www.w3.org/2000/svg";
    let svg = document.create_element_ns(Some(SVG), "svg")?;
    for (name, value) in [
        ("viewBox", "0 0 16 16"),
        ("width", "12"),
        ("height", "12"),
        ("aria-hidden", "true"),
    ] {
        svg.set_attribute(name, value)?;
    }
    let path = document.create_element_ns(Some(SVG), "path")?;
    path.set_attribute(
        "d",
        "M5 1h6v1.5l-1 1V7l2.5 2.5V11H8.75v4h-1.5v-4H3.5V9.5L6 7V3.5l-1-1z",
    )?;
    path.set_attribute("fill", "currentColor")?;
    svg.append_child(&path)?;
    Ok(svg)
}

fn column_text(column: &Column) -> String {
    match &column.detail {
        Some(detail) => format!("{} ({detail})", column.label),
        None => column.label.clone(),
    }
}

fn button(document: &Document, glyph: &str, label: &str) -> Result<Element, Error> {
    let button = dom::text_element(document, "button", "rl-icon", glyph)?;
    button.set_attribute("type", "button")?;
    button.set_attribute("aria-label", label)?;
    button.set_attribute("title", label)?;
    Ok(button)
}
