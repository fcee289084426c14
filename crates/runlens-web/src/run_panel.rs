//! The run page: a panel (`section#rl-run`) opened from a run's name in the table. It shows
//! the [`RunSheet`] at once, then the run's details file: notes (markdown made into DOM
//! nodes, see `markdown`), datasets, the latest step of each logged distribution (a plotly
//! outline) and artifacts — images as `blob:` images, text and JSON
//! as text, HTML only in a sandboxed frame with scripts disabled and an opaque origin.

use std::cell::RefCell;
use std::rc::Rc;

use runlens_core::ArtifactKind;
use runlens_core::bundle::details::{RunDetail, kind_from_code};
use wasm_bindgen::JsCast;
use web_sys::{Document, Element};

use crate::data::Data;
use crate::markdown::{self, Node};
use crate::run_sheet::{self, RunSheet};
use crate::{Error, dom, format};

/// Text artifacts are shown up to this many characters.
const MAX_TEXT_CHARS: usize = 200_000;

thread_local! {
    /// Object URLs of the images shown, revoked when the panel shows another run.
    static OBJECT_URLS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Shows run `row` in `panel`: the sheet at once, the details when loaded. A later call
/// for another run wins over this one's pending load.
pub async fn open(
    document: &Document,
    data: &Rc<Data>,
    panel: &Element,
    row: usize,
) -> Result<(), Error> {
    revoke_object_urls();
    dom::clear(panel);
    panel.set_attribute("data-run-row", &row.to_string())?;
    let sheet = run_sheet::sheet(&data.table, row);
    render_sheet(document, panel, &sheet)?;
    dom::set_hidden(panel, false);
    if let Some(html) = panel.dyn_ref::<web_sys::HtmlElement>() {
        let _ = html.focus();
    }
    panel.scroll_into_view();
    let details_box = dom::element(document, "div", "rl-run-details")?;
    details_box.set_attribute("aria-busy", "true")?;
    panel.append_child(&details_box)?;
    let detail = data.details(row).await;
    // The reader may have opened another run meanwhile.
    if panel.get_attribute("data-run-row").as_deref() != Some(row.to_string().as_str()) {
        return Ok(());
    }
    details_box.remove_attribute("aria-busy")?;
    match detail? {
        Some(detail) => render_details(document, data, &details_box, detail, row).await,
        None => Ok(()),
    }
}

/// Hides the panel.
pub fn close(panel: &Element) {
    revoke_object_urls();
    dom::clear(panel);
    let _ = panel.remove_attribute("data-run-row");
    dom::set_hidden(panel, true);
}

fn revoke_object_urls() {
    OBJECT_URLS.with(|urls| {
        for url in urls.borrow_mut().drain(..) {
            let _ = web_sys::Url::revoke_object_url(&url);
        }
    });
}

fn render_sheet(document: &Document, panel: &Element, sheet: &RunSheet) -> Result<(), Error> {
    let header = dom::element(document, "div", "rl-run-header")?;
    let title = dom::append_text(document, &header, "h2", "rl-run-title", &sheet.name)?;
    title.set_id("rl-run-title");
    let close = dom::text_element(document, "button", "rl-run-close", "Close")?;
    close.set_attribute("type", "button")?;
    close.set_attribute("data-action", "close-run")?;
    header.append_child(&close)?;
    panel.append_child(&header)?;

    let facts = dom::element(document, "dl", "rl-run-facts")?;
    for (label, value) in &sheet.facts {
        dom::append_text(document, &facts, "dt", "", label)?;
        dom::append_text(document, &facts, "dd", "", value)?;
    }
    if let Some((row, name)) = &sheet.parent {
        dom::append_text(document, &facts, "dt", "", "parent")?;
        let dd = document.create_element("dd")?;
        {
            let child = run_link(document, *row, name)?;
            dd.append_child(&child)
        }?;
        facts.append_child(&dd)?;
    }
    if !sheet.children.is_empty() {
        dom::append_text(document, &facts, "dt", "", "nested runs")?;
        let dd = dom::element(document, "dd", "rl-run-children")?;
        for (row, name) in &sheet.children {
            {
                let child = run_link(document, *row, name)?;
                dd.append_child(&child)
            }?;
        }
        facts.append_child(&dd)?;
    }
    panel.append_child(&facts)?;

    if !sheet.models.is_empty() {
        let section = section(document, panel, "Registered models")?;
        let list = document.create_element("ul")?;
        for model in &sheet.models {
            let li = dom::element(document, "li", "rl-model")?;
            dom::append_text(document, &li, "strong", "", &model.title)?;
            if !model.facts.is_empty() {
                dom::append_text(
                    document,
                    &li,
                    "span",
                    "rl-detail",
                    &format!(" · {}", model.facts),
                )?;
            }
            if let Some(description) = &model.description {
                let notes = dom::element(document, "div", "rl-notes")?;
                append_markdown(document, &notes, &markdown::render(description))?;
                li.append_child(&notes)?;
            }
            list.append_child(&li)?;
        }
        section.append_child(&list)?;
    }
    key_value_section(document, panel, "Params", &sheet.params)?;
    if !sheet.metrics.is_empty() {
        let section = section(document, panel, "Metrics")?;
        let rows: Vec<Vec<String>> = sheet
            .metrics
            .iter()
            .map(|m| {
                std::iter::once(m.key.clone())
                    .chain(m.cells.iter().cloned())
                    .collect()
            })
            .collect();
        {
            let child = text_table(
                document,
                &["metric", "points", "last", "min", "max", "last step"],
                &rows,
            )?;
            section.append_child(&child)
        }?;
    }
    key_value_section(document, panel, "Tags", &sheet.tags)?;
    Ok(())
}

fn run_link(document: &Document, row: usize, name: &str) -> Result<Element, Error> {
    let button = dom::text_element(document, "button", "rl-run-link", name)?;
    button.set_attribute("type", "button")?;
    button.set_attribute("data-run-row", &row.to_string())?;
    Ok(button)
}

fn section(document: &Document, panel: &Element, title: &str) -> Result<Element, Error> {
    let section = dom::element(document, "section", "rl-run-section")?;
    dom::append_text(document, &section, "h3", "", title)?;
    panel.append_child(&section)?;
    Ok(section)
}

fn key_value_section(
    document: &Document,
    panel: &Element,
    title: &str,
    pairs: &[(String, String)],
) -> Result<(), Error> {
    if pairs.is_empty() {
        return Ok(());
    }
    let section = section(document, panel, title)?;
    let rows: Vec<Vec<String>> = pairs
        .iter()
        .map(|(k, v)| vec![k.clone(), v.clone()])
        .collect();
    {
        let child = text_table(document, &["key", "value"], &rows)?;
        section.append_child(&child)
    }?;
    Ok(())
}

fn text_table(
    document: &Document,
    headers: &[&str],
    rows: &[Vec<String>],
) -> Result<Element, Error> {
    let table = dom::element(document, "table", "rl-table rl-kv")?;
    let head = document.create_element("thead")?;
    let tr = document.create_element("tr")?;
    for header in headers {
        let th = dom::text_element(document, "th", "", header)?;
        th.set_attribute("scope", "col")?;
        tr.append_child(&th)?;
    }
    head.append_child(&tr)?;
    table.append_child(&head)?;
    let body = document.create_element("tbody")?;
    for row in rows {
        let tr = document.create_element("tr")?;
        for cell in row {
            dom::append_text(document, &tr, "td", "", cell)?;
        }
        body.append_child(&tr)?;
    }
    table.append_child(&body)?;
    Ok(table)
}

async fn render_details(
    document: &Document,
    data: &Rc<Data>,
    target: &Element,
    detail: RunDetail,
    row: usize,
) -> Result<(), Error> {
    if let Some(notes) = &detail.notes {
        let section = section(document, target, "Notes")?;
        let body = dom::element(document, "div", "rl-notes")?;
        append_markdown(document, &body, &markdown::render(notes))?;
        section.append_child(&body)?;
    }
    if !detail.datasets.is_empty() {
        let section = section(document, target, "Datasets")?;
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let rows: Vec<Vec<String>> = detail
            .datasets
            .iter()
            .map(|d| {
                vec![
                    d.name.clone(),
                    text(&d.digest),
                    text(&d.source),
                    text(&d.context),
                ]
            })
            .collect();
        {
            let child = text_table(document, &["name", "digest", "source", "context"], &rows)?;
            section.append_child(&child)
        }?;
    }
    if !detail.histograms.is_empty() {
        let section = section(document, target, "Distributions")?;
        for entry in &detail.histograms {
            let Some(last) = entry.steps.last() else {
                continue;
            };
            let caption = format!(
                "{} — step {} (the last of {} kept)",
                entry.tag,
                last.step,
                format::count(entry.steps.len())
            );
            dom::append_text(document, &section, "p", "rl-histogram-title", &caption)?;
            let chart_box = dom::element(document, "div", "rl-histogram")?;
            section.append_child(&chart_box)?;
            let plot = crate::histogram_chart::figure(&entry.tag, last, row, dom::chart_theme());
            let figure = js_sys::JSON::parse(&plot.to_json())?;
            crate::state::plotly_react(&chart_box, &figure).await?;
            if panel_moved_on(target, row) {
                return Ok(());
            }
        }
    }
    if detail.artifacts.is_empty() {
        return Ok(());
    }
    let section = section(document, target, "Artifacts")?;
    let list = dom::element(document, "ul", "rl-artifacts")?;
    section.append_child(&list)?;
    for artifact in &detail.artifacts {
        let li = dom::element(document, "li", "rl-artifact")?;
        dom::append_text(document, &li, "code", "rl-artifact-path", &artifact.path)?;
        if let Some(size) = artifact.size {
            dom::append_text(
                document,
                &li,
                "span",
                "rl-detail",
                &format!(" {}", format::bytes(size)),
            )?;
        }
        list.append_child(&li)?;
        let Some(file_id) = artifact.file else {
            continue;
        };
        let Some(file) = data.table.files.get(file_id as usize) else {
            continue;
        };
        let (kind, media_type) = (kind_from_code(file.kind), file.media_type.clone());
        let bytes = match data.file(file_id).await {
            Ok(bytes) => bytes,
            Err(error) => {
                dom::append_text(document, &li, "p", "rl-error-inline", &error.to_string())?;
                continue;
            }
        };
        if panel_moved_on(target, row) {
            return Ok(());
        }
        match kind {
            Some(ArtifactKind::Image) => {
                let child = image(document, &bytes, &media_type, &artifact.path)?;
                li.append_child(&child)
            }?,
            Some(ArtifactKind::Html) => {
                let child = sandboxed_frame(document, &bytes, &artifact.path)?;
                li.append_child(&child)
            }?,
            Some(ArtifactKind::Json) => {
                let child = preformatted(document, &pretty_json(&bytes))?;
                li.append_child(&child)
            }?,
            Some(ArtifactKind::Text) | None => {
                let child = preformatted(document, &String::from_utf8_lossy(&bytes))?;
                li.append_child(&child)
            }?,
        };
    }
    Ok(())
}

/// True when the panel now shows another run than `row` (the reader clicked on).
fn panel_moved_on(target: &Element, row: usize) -> bool {
    let panel_row = target
        .closest("[data-run-row]")
        .ok()
        .flatten()
        .and_then(|p| p.get_attribute("data-run-row"));
    panel_row.as_deref() != Some(row.to_string().as_str())
}

fn image(document: &Document, bytes: &[u8], media_type: &str, alt: &str) -> Result<Element, Error> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(media_type);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    OBJECT_URLS.with(|urls| urls.borrow_mut().push(url.clone()));
    let img = dom::element(document, "img", "rl-artifact-image")?;
    img.set_attribute("alt", alt)?;
    // A blob: URL we made from the report's own bytes; never a URL from the logs.
    img.set_attribute("src", &url)?;
    Ok(img)
}

/// An HTML artifact in an `iframe` with an empty `sandbox` (no scripts, no forms, an opaque
/// origin) and the document as `srcdoc`, so it cannot touch the report.
fn sandboxed_frame(document: &Document, bytes: &[u8], title: &str) -> Result<Element, Error> {
    let frame = dom::element(document, "iframe", "rl-artifact-frame")?;
    frame.set_attribute("sandbox", "")?;
    frame.set_attribute("referrerpolicy", "no-referrer")?;
    frame.set_attribute("title", title)?;
    frame.set_attribute("srcdoc", &String::from_utf8_lossy(bytes))?;
    Ok(frame)
}

fn preformatted(document: &Document, text: &str) -> Result<Element, Error> {
    dom::text_element(
        document,
        "pre",
        "rl-artifact-text",
        &format::truncate(text, MAX_TEXT_CHARS),
    )
}

fn pretty_json(bytes: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(bytes)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| String::from_utf8_lossy(bytes).into_owned())
}

/// Appends rendered markdown: elements of the fixed set `markdown` produces, text as text
/// nodes, `href` only as `markdown::safe_href` allowed it.
pub(crate) fn append_markdown(
    document: &Document,
    parent: &Element,
    nodes: &[Node],
) -> Result<(), Error> {
    for node in nodes {
        match node {
            Node::Text(text) => {
                parent.append_child(&document.create_text_node(text))?;
            }
            // Notes embed nothing: a `runlens` block in a note is shown as code.
            Node::Embed(text) => {
                let pre = dom::text_element(document, "pre", "", text)?;
                parent.append_child(&pre)?;
            }
            Node::Element {
                tag,
                href,
                children,
            } => {
                let element = document.create_element(tag)?;
                if let Some(href) = href {
                    element.set_attribute("href", href)?;
                    element.set_attribute("rel", "noopener noreferrer nofollow")?;
                    element.set_attribute("target", "_blank")?;
                }
                append_markdown(document, &element, children)?;
                parent.append_child(&element)?;
            }
        }
    }
    Ok(())
}
