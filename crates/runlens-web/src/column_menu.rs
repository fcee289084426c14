//! The column menu (`#rl-columns`, opened by `#rl-columns-open` above the table): every
//! column the table can show, the shown ones first in their order with a pin and move
//! buttons, then the others, narrowed by a find box. Ids travel in `data-*` attributes and
//! labels as text; the menu only ever reports which id was clicked.

use web_sys::{Document, Element};

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
    if let Some(detail) = column.detail {
        dom::append_text(document, &label, "span", "rl-detail", detail)?;
    }
    li.append_child(&label)?;
    if shown {
        let text = column_text(column);
        let pin = button(document, "📌", &format!("Pin {text}"))?;
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

fn column_text(column: &Column) -> String {
    match column.detail {
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
