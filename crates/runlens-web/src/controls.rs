//! Event wiring: the filter (debounced input, immediate on Enter), the group and metric
//! selects, and sorting by a click on a column header, each turned into a [`Change`]; and
//! opening a run's page from its name (or a parent/child link), closing it with its button
//! or Escape.

use std::cell::Cell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Element, Event, EventTarget, KeyboardEvent};

use crate::Error;
use crate::state::{Change, Shared, Ui, close_run, follow_fragment, handle, open_run};

/// Delay between the last keystroke and filtering.
const FILTER_DEBOUNCE_MS: i32 = 150;

/// Attaches the listeners. They live as long as the page, so their closures are leaked.
pub fn wire(app: &Shared, ui: &UiHandles) -> Result<(), Error> {
    let window = web_sys::window().ok_or_else(|| Error::new("no window"))?;

    // Filter: one timer closure re-used for every debounce; it reads the input at fire time.
    let timer = Rc::new(Cell::new(None::<i32>));
    let apply_filter = {
        let app = app.clone();
        let input = ui.filter.clone();
        let timer = timer.clone();
        Closure::<dyn FnMut()>::new(move || {
            timer.set(None);
            handle(&app, Change::Filter(input.value()));
        })
    };
    let apply_filter = Rc::new(apply_filter);
    {
        let window = window.clone();
        let timer = timer.clone();
        let apply_filter = apply_filter.clone();
        listen(&ui.filter, "input", move |_| {
            if let Some(id) = timer.take() {
                window.clear_timeout_with_handle(id);
            }
            let callback: &js_sys::Function = (*apply_filter).as_ref().unchecked_ref();
            if let Ok(id) = window
                .set_timeout_with_callback_and_timeout_and_arguments_0(callback, FILTER_DEBOUNCE_MS)
            {
                timer.set(Some(id));
            }
        })?;
    }
    {
        let app = app.clone();
        let input = ui.filter.clone();
        listen(&ui.filter, "keydown", move |event| {
            let enter = event
                .dyn_ref::<KeyboardEvent>()
                .is_some_and(|k| k.key() == "Enter");
            if enter {
                event.prevent_default();
                if let Some(id) = timer.take() {
                    window.clear_timeout_with_handle(id);
                }
                handle(&app, Change::Filter(input.value()));
            }
        })?;
    }

    {
        let app = app.clone();
        let select = ui.group.clone();
        listen(&ui.group, "change", move |_| {
            handle(&app, Change::Group(select.value()));
        })?;
    }
    {
        let app = app.clone();
        let select = ui.metric.clone();
        listen(&ui.metric, "change", move |_| {
            handle(&app, Change::Metric(select.value()));
        })?;
    }
    {
        let app = app.clone();
        let select = ui.smoothing.clone();
        listen(&ui.smoothing, "change", move |_| {
            handle(&app, Change::Smoothing(select.value()));
        })?;
    }
    {
        // One listener on the header row for every column, present and future.
        let app = app.clone();
        listen(&ui.head_row, "click", move |event| {
            let column = event
                .target()
                .and_then(|t| t.dyn_into::<Element>().ok())
                .and_then(|e| e.closest("th[data-sort]").ok().flatten())
                .and_then(|th| th.get_attribute("data-sort"));
            if let Some(column) = column {
                handle(&app, Change::Sort(column));
            }
        })?;
    }
    for target in [&ui.runs_table, &ui.run_panel] {
        // A run's name in the table, or a parent/child link in the run panel, opens it;
        // one listener each, for rows present and future.
        let app = app.clone();
        listen(target, "click", move |event| {
            let target = event.target().and_then(|t| t.dyn_into::<Element>().ok());
            let Some(target) = target else { return };
            if target
                .closest("[data-action=close-run]")
                .ok()
                .flatten()
                .is_some()
            {
                close_run(&app);
                return;
            }
            let row = target
                .closest("button[data-run-row]")
                .ok()
                .flatten()
                .and_then(|b| b.get_attribute("data-run-row"))
                .and_then(|r| r.parse::<usize>().ok());
            if let Some(row) = row {
                open_run(&app, row);
            }
        })?;
    }
    {
        let app = app.clone();
        listen(&ui.run_panel, "keydown", move |event| {
            if event
                .dyn_ref::<KeyboardEvent>()
                .is_some_and(|k| k.key() == "Escape")
            {
                close_run(&app);
            }
        })?;
    }
    if let Some(nav) = crate::pages::nav() {
        let app = app.clone();
        listen(&nav, "click", move |event| {
            let slug = event
                .target()
                .and_then(|t| t.dyn_into::<Element>().ok())
                .and_then(|e| e.closest("[data-page]").ok().flatten())
                .and_then(|item| item.get_attribute("data-page"));
            if let Some(slug) = slug {
                crate::pages::choose(&app, &slug);
            }
        })?;
    }
    {
        // A new fragment (edited, or a link to another view of this report) is followed.
        let app = app.clone();
        let window = web_sys::window().ok_or_else(|| Error::new("no window"))?;
        listen(&window, "hashchange", move |_| follow_fragment(&app))?;
    }
    Ok(())
}

/// The elements [`wire`] listens on (cloned out of [`Ui`] so no borrow of the app is held).
pub struct UiHandles {
    filter: web_sys::HtmlInputElement,
    group: web_sys::HtmlSelectElement,
    metric: web_sys::HtmlSelectElement,
    smoothing: web_sys::HtmlSelectElement,
    head_row: Element,
    runs_table: Element,
    run_panel: Element,
}

impl UiHandles {
    /// Clones the handles out of `ui`.
    pub fn of(ui: &Ui) -> UiHandles {
        UiHandles {
            filter: ui.filter.clone(),
            group: ui.group.clone(),
            metric: ui.metric.clone(),
            smoothing: ui.smoothing.clone(),
            head_row: ui.head_row.clone(),
            runs_table: ui.runs_table.clone(),
            run_panel: ui.run_panel.clone(),
        }
    }
}

/// Adds a listener that lives as long as the page.
fn listen(
    target: &EventTarget,
    kind: &str,
    handler: impl FnMut(Event) + 'static,
) -> Result<(), Error> {
    let closure = Closure::<dyn FnMut(Event)>::new(handler);
    target.add_event_listener_with_callback(kind, closure.as_ref().unchecked_ref())?;
    closure.forget();
    Ok(())
}
