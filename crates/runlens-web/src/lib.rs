//! runlens-web: the report page's WebAssembly app. It decodes the data bundle in the
//! browser and lets the reader filter, group, sort and chart the runs, with no server.
//!
//! The page calls [`run`] once, after initializing this module, with a promise of
//! plotly.js (global `Plotly`) when that is still loading. It reads `#rl-config` and the bundle (`#rl-index` / `#rl-chunk-N` text, or
//! `index.rlb` / `chunks/N.rlb` fetched next to the page), builds the app in `main#rl-app`
//! (`#rl-filter`, `#rl-group`, `#rl-metric`, `#rl-smoothing`, `#rl-diff-only`, `#rl-count`,
//! `#rl-chart`, `table#rl-runs` with its tick boxes and `#rl-selection` bar, the comparison
//! `#rl-compare`, the run page `#rl-run`, and with narrative pages `nav.rl-nav` and
//! `#rl-page`),
//! and uses the shell's `#rl-error`, `#rl-warnings` and `#rl-static`.
//!
//! `bench` holds bench-only exports (timing filter + group + aggregate from the browser
//! benchmark); the page itself never calls them.
//!
//! Modules: `data` loads and caches the bundle; `view` and `chart` are the pure view models
//! (columns, sorting, groups, the rendered window, ticks, comparison lines, CSV; traces and
//! downsampling), tested natively; `page`, `table`, `compare_panel` and `controls` build
//! the DOM and wire events; `export` makes downloads; `state` holds the app and its update
//! path.
//!
//! # Untrusted text
//!
//! Every run name, id, param, tag, metric key and warning comes from log files and is
//! untrusted. This crate only ever puts text into the page with `set_text_content` or
//! `create_text_node`, and attributes with `set_attribute` on attributes that are not URLs
//! (`data-*`, `title`, `aria-*`, `alt`, `download`; `class` and `style` only with our own
//! constants); it never uses `inner_html` nor builds HTML strings. The exceptions are
//! narrow: a download link's `href` only as a `blob:` URL of the page's own export; a
//! markdown link's `href` only after `markdown::safe_href` (http, https, mailto, `#`); an
//! image's `src` only as a `blob:` URL made from the report's own bytes; an HTML artifact
//! only as the `srcdoc` of an iframe with an empty `sandbox` (no script, opaque origin). plotly.js reads names as a small subset
//! of HTML, so every string handed to it passes through `format::plotly_text` first.

mod bench;
mod chart;
mod column_menu;
mod compare_panel;
mod controls;
mod data;
mod dom;
mod export;
mod format;
mod histogram_chart;
mod hparams_panel;
mod markdown;
mod page;
mod pages;
mod parcoords_view;
mod plot_canvas;
mod run_panel;
mod run_sheet;
mod share;
mod state;
mod table;
mod view;

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use wasm_bindgen::prelude::*;

use crate::data::{Config, Data};
use crate::state::App;

/// Starts the report: reads the configuration, decodes the run table, builds the controls,
/// table and chart inside `main#rl-app`, hides the static fallback table and sets
/// `data-rl-ready="1"` on the root element. On failure the reason is written into
/// `#rl-error`, the fallback table is shown whole again (`data-rl-failed` on the root
/// element) and the reason is returned as a JS `Error`.
///
/// `plotly`, when given, settles once plotly.js has loaded: the page may load plotly.js
/// while the module starts, and charts wait for it (a rejection fails the charts only).
#[wasm_bindgen]
pub async fn run(plotly: Option<js_sys::Promise>) -> Result<(), JsValue> {
    state::plotly_loading(plotly);
    match start().await {
        Ok(()) => Ok(()),
        Err(error) => {
            dom::show_error(&format!("The report could not start: {error}"));
            if let Ok(document) = dom::document() {
                page::start_failed(&document);
            }
            Err(error.into_js())
        }
    }
}

async fn start() -> Result<(), Error> {
    let document = dom::document()?;
    let mount = dom::by_id(&document, "rl-app")?;
    let config = Config::from_page(&document)?;
    bench::mark("rl-start");
    let data = Rc::new(Data::load(config.source).await?);
    bench::install(data.clone());
    bench::mark("rl-index-decoded");
    let table = &data.table;

    page::warnings(&document, table)?;
    let group_options = view::group_options(table);
    let ui = page::build(
        &document,
        &mount,
        table,
        &group_options,
        view::default_metric(table),
    )?;
    pages::install(&document, &mount, &ui.explorer, config.pages.clone())?;
    // Before the app's first layout: the fallback table would be laid out with it.
    page::hide_fallback(&document);
    let handles = controls::UiHandles::of(&ui)?;
    let app = Rc::new(RefCell::new(App::new(
        document.clone(),
        data.clone(),
        ui,
        config.view.clone(),
        config.directions.clone(),
    )?));
    controls::wire(&app, &handles)?;
    let opening = share::overlay(&config.view, &share::from_location()?);
    app.borrow_mut().open_with(&opening)?;
    state::load_steps(&app);
    if opening.run.is_some() {
        state::show_run_of(&app, &opening);
    }
    if opening.page.is_some() {
        pages::follow(&app, opening.page.as_deref());
    }
    bench::mark("rl-table-rendered");
    state::redraw(&app).await;
    state::draw_hparams(&app, state::HparamsParts::All).await;
    page::fit_scroll_padding(&document);
    page::drop_fallback(&document);
    state::prepare_search_when_idle(&app);
    page::mark_ready(&document)
}

/// Why something failed, as one readable sentence. Every failure (DOM, fetch, bundle,
/// plotly) becomes one of these, and becomes a JS value only in [`Error::into_js`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(String);

impl Error {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Error {
        Error(message.into())
    }

    /// The JS `Error` handed back to the page.
    pub fn into_js(self) -> JsValue {
        js_sys::Error::new(&self.0).into()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl From<JsValue> for Error {
    /// Keeps the message of a JS `Error`, the text of a string, a description otherwise.
    fn from(value: JsValue) -> Error {
        if let Some(error) = value.dyn_ref::<js_sys::Error>() {
            return Error(String::from(error.message()));
        }
        match value.as_string() {
            Some(text) => Error(text),
            None => Error(format!("{value:?}")),
        }
    }
}
