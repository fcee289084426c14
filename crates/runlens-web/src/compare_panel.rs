//! The comparison panel (`section#rl-compare`): the ticked runs side by side, one column
//! per run (in the chart's colour, its name opening the run's page), one line per
//! attribute, param, tag and metric summary; lines where the runs differ are marked, and
//! "Differences only" hides the others. Text goes in as text nodes only.

use runlens_core::bundle::RunTable;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlInputElement};

use crate::view::compare;
use crate::{Error, chart, dom, format};

/// Most runs compared at once (the others are named in a note).
pub const MAX_RUNS: usize = 50;

/// Id of the panel's "Differences only" box.
pub const DIFF_ONLY_ID: &str = "rl-compare-diff";

/// Fills `panel` with the comparison of `rows` (ticked runs in table order) and shows it.
pub fn render(
    document: &Document,
    panel: &Element,
    table: &RunTable,
    rows: &[usize],
    diff_only: bool,
) -> Result<(), Error> {
    dom::clear(panel);
    let head = dom::element(document, "div", "rl-run-header")?;
    let title = dom::text_element(
        document,
        "h2",
        "rl-run-title",
        &format!("Comparing {}", format::count_of(rows.len(), "run")),
    )?;
    title.set_id("rl-compare-title");
    head.append_child(&title)?;

    let label = dom::element(document, "label", "rl-check")?;
    let diff: HtmlInputElement = document
        .create_element("input")?
        .dyn_into()
        .map_err(|_| Error::new("checkbox has an unexpected type"))?;
    diff.set_type("checkbox");
    diff.set_id(DIFF_ONLY_ID);
    diff.set_checked(diff_only);
    label.append_child(&diff)?;
    label.append_child(&document.create_text_node(" Differences only"))?;
    head.append_child(&label)?;

    let close = dom::text_element(document, "button", "rl-run-close", "Close")?;
    close.set_attribute("type", "button")?;
    close.set_attribute("data-action", "close-compare")?;
    close.set_attribute("aria-label", "Close the comparison")?;
    head.append_child(&close)?;
    panel.append_child(&head)?;

    if rows.len() < 2 {
        dom::append_text(
            document,
            panel,
            "p",
            "rl-note",
            "Tick two or more runs in the table to compare them.",
        )?;
        dom::set_hidden(panel, false);
        return Ok(());
    }
    let compared = &rows[..rows.len().min(MAX_RUNS)];
    if compared.len() < rows.len() {
        dom::append_text(
            document,
            panel,
            "p",
            "rl-note",
            &format!(
                "Showing the first {} of the {} ticked runs.",
                format::count(compared.len()),
                format::count(rows.len())
            ),
        )?;
    }

    let wrap = dom::element(document, "div", "rl-table-wrap rl-compare-wrap")?;
    let grid = dom::element(document, "table", "rl-table rl-compare")?;
    grid.set_id("rl-compare-table");
    let thead = document.create_element("thead")?;
    let tr = document.create_element("tr")?;
    let corner = dom::element(document, "th", "rl-compare-label")?;
    corner.set_attribute("scope", "col")?;
    tr.append_child(&corner)?;
    for &row in compared {
        let th = dom::element(document, "th", "rl-compare-run")?;
        th.set_attribute("scope", "col")?;
        th.set_attribute("data-run-id", &table.ids[row])?;
        let swatch = dom::element(document, "span", "rl-swatch")?;
        // One of our palette strings, never log text.
        swatch.set_attribute(
            "style",
            &format!("background-color:{}", chart::colour(row, 1.0)),
        )?;
        swatch.set_attribute("aria-hidden", "true")?;
        th.append_child(&swatch)?;
        let open = dom::text_element(document, "button", "rl-run-open", &table.names[row])?;
        open.set_attribute("type", "button")?;
        open.set_attribute("data-run-row", &row.to_string())?;
        open.set_attribute("title", &format!("Open run {}", table.ids[row]))?;
        th.append_child(&open)?;
        tr.append_child(&th)?;
    }
    thead.append_child(&tr)?;
    grid.append_child(&thead)?;

    let body = document.create_element("tbody")?;
    let mut section = None;
    let mut shown = 0;
    for line in compare::lines(table, compared) {
        if diff_only && !line.differs {
            continue;
        }
        if section != Some(line.section) {
            section = Some(line.section);
            let tr = dom::element(document, "tr", "rl-compare-section")?;
            let th = dom::text_element(document, "th", "", line.section.title())?;
            th.set_attribute("colspan", &(compared.len() + 1).to_string())?;
            th.set_attribute("scope", "rowgroup")?;
            tr.append_child(&th)?;
            body.append_child(&tr)?;
        }
        let tr = dom::element(document, "tr", if line.differs { "rl-differs" } else { "" })?;
        tr.set_attribute("data-differs", if line.differs { "1" } else { "0" })?;
        let th = dom::element(document, "th", "rl-compare-label")?;
        th.set_attribute("scope", "row")?;
        dom::append_text(document, &th, "span", "rl-label", &line.label)?;
        if let Some(detail) = line.detail {
            dom::append_text(document, &th, "span", "rl-detail", detail)?;
        }
        tr.append_child(&th)?;
        for cell in &line.cells {
            dom::append_text(document, &tr, "td", "", cell)?;
        }
        body.append_child(&tr)?;
        shown += 1;
    }
    grid.append_child(&body)?;
    wrap.append_child(&grid)?;
    panel.append_child(&wrap)?;
    if shown == 0 {
        dom::append_text(
            document,
            panel,
            "p",
            "rl-note",
            "These runs agree on everything shown here.",
        )?;
    }
    dom::set_hidden(panel, false);
    Ok(())
}

/// Empties and hides the panel.
pub fn close(panel: &Element) {
    dom::clear(panel);
    dom::set_hidden(panel, true);
}
