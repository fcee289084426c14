//! Narrative pages: markdown written by the report's author (`runlens build --page FILE`)
//! shown instead of the runs explorer, chosen in a navigation bar (`nav.rl-nav`) or by
//! `page=<slug>` in the address. Each fenced ` ```runlens ` block becomes a live table
//! and chart of the runs it names (`runlens_core::embed`); a block with a mistake shows the
//! mistake in its place.

use std::cell::RefCell;
use std::rc::Rc;

use runlens_core::embed::{self, Show};
use serde::Deserialize;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element};

use crate::chart::{self, Plan, SeriesByRow};
use crate::data::Data;
use crate::markdown::{self, Node};
use crate::state::{Shared, plotly_react};
use crate::{Error, dom, table, view};

/// One page as the report's configuration carries it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PageSpec {
    /// The address's `page=` value.
    pub slug: String,
    /// The navigation label.
    pub title: String,
    /// The page's markdown.
    pub markdown: String,
}

/// The elements pages are shown in.
struct Shell {
    pages: Vec<PageSpec>,
    nav: Element,
    explorer: Element,
    section: Element,
}

thread_local! {
    static SHELL: RefCell<Option<Rc<Shell>>> = const { RefCell::new(None) };
}

/// Adds the navigation bar (the runs, then each page) above `explorer` and an empty page
/// section after it. Does nothing when there are no pages.
pub fn install(
    document: &Document,
    mount: &Element,
    explorer: &Element,
    pages: Vec<PageSpec>,
) -> Result<(), Error> {
    if pages.is_empty() {
        return Ok(());
    }
    let nav = dom::element(document, "nav", "rl-nav")?;
    nav.set_attribute("aria-label", "Report pages")?;
    let runs = dom::text_element(document, "button", "rl-nav-item", "Runs")?;
    runs.set_attribute("type", "button")?;
    runs.set_attribute("data-page", "")?;
    runs.set_attribute("aria-current", "page")?;
    nav.append_child(&runs)?;
    for page in &pages {
        let item = dom::text_element(document, "button", "rl-nav-item", &page.title)?;
        item.set_attribute("type", "button")?;
        item.set_attribute("data-page", &page.slug)?;
        nav.append_child(&item)?;
    }
    mount.insert_before(&nav, Some(explorer))?;
    let section = dom::element(document, "article", "rl-page")?;
    section.set_id("rl-page");
    dom::set_hidden(&section, true);
    mount.append_child(&section)?;
    SHELL.with(|shell| {
        *shell.borrow_mut() = Some(Rc::new(Shell {
            pages,
            nav,
            explorer: explorer.clone(),
            section,
        }))
    });
    Ok(())
}

/// The navigation bar, for wiring clicks.
pub fn nav() -> Option<Element> {
    SHELL.with(|shell| shell.borrow().as_ref().map(|s| s.nav.clone()))
}

/// A click on a navigation item: shows that page (or the runs) and records it in the
/// address.
pub fn choose(app: &Shared, slug: &str) {
    let slug = (!slug.is_empty()).then(|| slug.to_string());
    if let Ok(mut state) = app.try_borrow_mut() {
        state.page = slug.clone();
        state.share();
    }
    show(app, slug.as_deref());
}

/// Follows the address: shows the page it names, or the runs.
pub fn follow(app: &Shared, slug: Option<&str>) {
    let known = SHELL.with(|shell| {
        shell
            .borrow()
            .as_ref()
            .is_some_and(|s| slug.is_none_or(|slug| s.pages.iter().any(|p| p.slug == slug)))
    });
    if !known {
        return;
    }
    if let Ok(mut state) = app.try_borrow_mut() {
        state.page = slug.map(str::to_string);
    }
    show(app, slug);
}

fn show(app: &Shared, slug: Option<&str>) {
    let Some(shell) = SHELL.with(|shell| shell.borrow().clone()) else {
        return;
    };
    let page = slug.and_then(|slug| shell.pages.iter().find(|p| p.slug == slug).cloned());
    let current = page.as_ref().map_or("", |p| p.slug.as_str());
    if let Ok(items) = shell.nav.query_selector_all("[data-page]") {
        for i in 0..items.length() {
            if let Some(item) = items.get(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                let here = item.get_attribute("data-page").as_deref() == Some(current);
                let _ = if here {
                    item.set_attribute("aria-current", "page")
                } else {
                    item.remove_attribute("aria-current")
                };
            }
        }
    }
    dom::set_hidden(&shell.explorer, page.is_some());
    dom::set_hidden(&shell.section, page.is_none());
    let Some(page) = page else {
        dom::clear(&shell.section);
        return;
    };
    let (document, data) = match app.try_borrow() {
        Ok(state) => (state.document(), state.data()),
        Err(_) => return,
    };
    if let Err(error) = render(&document, &data, &shell.section, &page) {
        dom::show_error(&format!(
            "The page {:?} could not be shown: {error}",
            page.title
        ));
    }
}

/// Renders `page` into `section`; its live blocks fill in as their data loads.
fn render(
    document: &Document,
    data: &Rc<Data>,
    section: &Element,
    page: &PageSpec,
) -> Result<(), Error> {
    dom::clear(section);
    section.set_attribute("data-page", &page.slug)?;
    let mut embeds = Vec::new();
    append(
        document,
        section,
        &markdown::render(&page.markdown),
        &mut embeds,
    )?;
    for (target, text) in embeds {
        let (document, data, section, slug) = (
            document.clone(),
            data.clone(),
            section.clone(),
            page.slug.clone(),
        );
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(error) = fill(&document, &data, &target, &text, &section, &slug).await {
                let _ = show_problem(&document, &target, &error.to_string());
            }
        });
    }
    Ok(())
}

/// Appends rendered markdown; each embed becomes an empty `div.rl-embed`, returned with its
/// text for [`fill`].
fn append(
    document: &Document,
    parent: &Element,
    nodes: &[Node],
    embeds: &mut Vec<(Element, String)>,
) -> Result<(), Error> {
    for node in nodes {
        match node {
            Node::Embed(text) => {
                let target = dom::element(document, "figure", "rl-embed")?;
                target.set_attribute("aria-busy", "true")?;
                parent.append_child(&target)?;
                embeds.push((target, text.clone()));
            }
            // Blocks nested in a list or quote stay code: live blocks are top-level.
            other => {
                crate::run_panel::append_markdown(document, parent, std::slice::from_ref(other))?
            }
        }
    }
    Ok(())
}

fn show_problem(document: &Document, target: &Element, message: &str) -> Result<(), Error> {
    dom::clear(target);
    target.remove_attribute("aria-busy")?;
    target.set_attribute("data-embed-error", "1")?;
    dom::append_text(
        document,
        target,
        "p",
        "rl-error-inline",
        &format!("runlens block: {message}"),
    )?;
    Ok(())
}

/// Draws one live block: its caption, chart and table.
async fn fill(
    document: &Document,
    data: &Rc<Data>,
    target: &Element,
    text: &str,
    section: &Element,
    slug: &str,
) -> Result<(), Error> {
    let table = &data.table;
    let spec = embed::parse(text).map_err(Error::new)?;
    let resolved = spec
        .resolve(table, view::default_metric(table))
        .map_err(Error::new)?;
    dom::clear(target);
    if let Some(title) = &spec.title {
        dom::append_text(document, target, "figcaption", "rl-embed-title", title)?;
    }
    let sorted = view::sorted(
        table.as_ref().into(),
        &resolved.rows,
        &view::columns(table),
        None,
    );
    if spec.show != Show::Table
        && let Some(metric) = resolved.metric
    {
        let chart_box = dom::element(document, "div", "rl-chart rl-embed-chart")?;
        target.append_child(&chart_box)?;
        let plan = Plan::new(table, metric, &sorted, resolved.groups.as_deref());
        let mut chunks = Vec::new();
        for id in chart::needed_chunks(table, metric, &plan.rows()) {
            chunks.push(data.chunk(id).await?);
        }
        // The reader may have left the page meanwhile.
        if section.get_attribute("data-page").as_deref() != Some(slug) {
            return Ok(());
        }
        let series: SeriesByRow<'_> = chunks
            .iter()
            .flat_map(|chunk| chunk.iter().map(|(row, s)| (*row as usize, s)))
            .collect();
        let figure = chart::figure(
            table,
            metric,
            &plan,
            &series,
            &SeriesByRow::new(),
            dom::chart_theme(),
            &chart::ChartOptions::default(),
        );
        let traces = figure.plot.data().len();
        let figure = crate::state::figure_js(&figure)?;
        plotly_react(&chart_box, &figure).await?;
        chart_box.set_attribute("data-rendered-traces", &traces.to_string())?;
    }
    if spec.show != Show::Chart {
        let columns = view::columns(table);
        let layout = view::layout(
            table.as_ref().into(),
            &sorted,
            resolved.groups.as_deref(),
            &columns,
            view::ROW_LIMIT,
        );
        let wrap = dom::element(document, "div", "rl-table-wrap")?;
        let grid = dom::element(document, "table", "rl-table rl-runs rl-embed-table")?;
        let head = document.create_element("thead")?;
        let head_row = document.create_element("tr")?;
        head.append_child(&head_row)?;
        grid.append_child(&head)?;
        table::render_head(document, &head_row, &columns, None, false, None)?;
        let none = Default::default();
        let body = table::render_body(
            document,
            table.as_ref().into(),
            &columns,
            &layout,
            0..layout.items.len(),
            0.0,
            &table::Marks {
                run_colours: &none,
                group_colours: &none,
                best: &Default::default(),
                selection: None,
            },
            None,
        )?;
        grid.append_child(&body)?;
        wrap.append_child(&grid)?;
        target.append_child(&wrap)?;
    }
    target.remove_attribute("aria-busy")?;
    target.set_attribute("data-embed-rows", &resolved.rows.len().to_string())?;
    Ok(())
}
