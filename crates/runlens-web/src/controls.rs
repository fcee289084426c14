//! Event wiring: the filter (debounced input, immediate on Enter), the group, metric and
//! smoothing selects, "differences only", sorting by a click on a column header, ticking
//! runs (shift-click for a range), the comparison and its buttons, each turned into a
//! [`Change`]; scrolling the table; the CSV and chart downloads; opening a run's page from
//! its name (or a parent/child link), closing it with its button or Escape. The
//! hyperparameter panel's controls and its brushing are in [`hparams`].

use std::cell::Cell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Element, Event, EventTarget, HtmlInputElement, KeyboardEvent, MouseEvent};

use crate::state::{
    Change, Shared, Ui, close_run, follow_fragment, handle, open_run, redraw_charts, scrolled,
    table_focused, table_key, window_resized,
};
use crate::{Error, compare_panel, dom, export, table};

mod hparams;

/// Delay between the last keystroke and filtering.
const FILTER_DEBOUNCE_MS: i32 = 150;

/// Attaches the listeners. They live as long as the page, so their closures are leaked.
pub fn wire(app: &Shared, ui: &UiHandles) -> Result<(), Error> {
    let window = web_sys::window().ok_or_else(|| Error::new("no window"))?;

    for (input, make) in [
        (&ui.filter, Change::Filter as fn(String) -> Change),
        (&ui.charts_input, Change::Charts),
        (&ui.search, Change::Search),
    ] {
        debounced_text(app, &window, input, make)?;
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
        let select = ui.group2.clone();
        listen(&ui.group2, "change", move |_| {
            handle(&app, Change::Group2(select.value()));
        })?;
    }
    {
        let app = app.clone();
        let input = ui.fold.clone();
        listen(&ui.fold, "change", move |_| {
            handle(&app, Change::FoldGroups(input.checked()));
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
        let c = &ui.chart_controls;
        let selects = [
            (&c.x_axis, Change::XAxis as fn(String) -> Change),
            (&c.centre, Change::Centre),
            (&c.band, Change::Band),
        ];
        for (select, make) in selects {
            let app = app.clone();
            let source = select.clone();
            listen(select, "change", move |_| {
                handle(&app, make(source.value()))
            })?;
        }
        let boxes = [
            (&c.log_x, Change::LogX as fn(bool) -> Change),
            (&c.log_y, Change::LogY),
            (&c.outliers, Change::IgnoreOutliers),
            (&c.show_runs, Change::ShowRuns),
        ];
        for (input, make) in boxes {
            let app = app.clone();
            let source = input.clone();
            listen(input, "change", move |_| {
                handle(&app, make(source.checked()))
            })?;
        }
    }
    hparams::wire(app, &ui.hparams)?;
    {
        let app = app.clone();
        let input = ui.diff_only.clone();
        listen(&ui.diff_only, "change", move |_| {
            handle(&app, Change::DiffOnly(input.checked()));
        })?;
    }
    {
        // One listener on the header row for every column, present and future; the tick-all
        // box is in it too.
        let app = app.clone();
        listen(&ui.head_row, "click", move |event| {
            let target = event.target().and_then(|t| t.dyn_into::<Element>().ok());
            let Some(target) = target else { return };
            if target.id() == table::SELECT_ALL_ID {
                if let Some(input) = target.dyn_ref::<HtmlInputElement>() {
                    handle(&app, Change::TickAll(input.checked()));
                }
                return;
            }
            let column = target
                .closest("th[data-sort]")
                .ok()
                .flatten()
                .and_then(|th| th.get_attribute("data-sort"));
            if let Some(column) = column {
                handle(&app, Change::Sort(column));
            }
        })?;
    }
    {
        // A run's tick box (rows present and future).
        let app = app.clone();
        listen(&ui.runs_table, "click", move |event| {
            let target = event
                .target()
                .and_then(|t| t.dyn_into::<HtmlInputElement>().ok());
            let Some(input) = target else { return };
            let row = input
                .get_attribute("data-select-row")
                .and_then(|r| r.parse::<usize>().ok());
            if let Some(row) = row {
                let shift = event
                    .dyn_ref::<MouseEvent>()
                    .is_some_and(MouseEvent::shift_key);
                handle(
                    &app,
                    Change::Tick {
                        row,
                        checked: input.checked(),
                        shift,
                    },
                );
            }
        })?;
    }
    {
        let app = app.clone();
        listen(&ui.table_wrap, "scroll", move |_| scrolled(&app))?;
    }
    {
        let app = app.clone();
        listen(&ui.table_wrap, "keydown", move |event| {
            let Some(key) = event.dyn_ref::<KeyboardEvent>() else {
                return;
            };
            if key.alt_key() || key.ctrl_key() || key.meta_key() {
                return;
            }
            let on_row = event
                .target()
                .and_then(|t| t.dyn_into::<Element>().ok())
                .is_some_and(|t| t.tag_name().eq_ignore_ascii_case("tr"));
            if table_key(&app, &key.key(), key.shift_key(), on_row) {
                event.prevent_default();
            }
        })?;
    }
    {
        let app = app.clone();
        listen(&ui.table_wrap, "focusin", move |event| {
            if let Some(target) = event.target().and_then(|t| t.dyn_into::<Element>().ok()) {
                table_focused(&app, &target);
            }
        })?;
    }
    {
        let app = app.clone();
        listen(&ui.compare_open, "click", move |_| {
            handle(&app, Change::Compare(true));
        })?;
    }
    {
        let app = app.clone();
        listen(&ui.select_clear, "click", move |_| {
            handle(&app, Change::ClearTicks);
        })?;
    }
    {
        // The comparison panel: its close button and "differences only" box.
        let app = app.clone();
        listen(&ui.compare_panel, "click", move |event| {
            let target = event.target().and_then(|t| t.dyn_into::<Element>().ok());
            let Some(target) = target else { return };
            if target.id() == compare_panel::DIFF_ONLY_ID {
                if let Some(input) = target.dyn_ref::<HtmlInputElement>() {
                    handle(&app, Change::CompareDiffOnly(input.checked()));
                }
            } else if target
                .closest("[data-action=close-compare]")
                .ok()
                .flatten()
                .is_some()
            {
                handle(&app, Change::Compare(false));
            }
        })?;
    }
    {
        let app = app.clone();
        let menu = ui.columns_menu.clone();
        listen(&ui.columns_open, "click", move |_| {
            let open = menu.has_attribute("hidden");
            if let Ok(state) = app.try_borrow()
                && let Err(error) = state.toggle_column_menu(open)
            {
                dom::show_error(&error.to_string());
            }
        })?;
    }
    {
        let app = app.clone();
        listen(&ui.columns_find, "input", move |_| {
            if let Ok(state) = app.try_borrow()
                && let Err(error) = state.render_column_menu()
            {
                dom::show_error(&error.to_string());
            }
        })?;
    }
    {
        // The menu's boxes, pins, moves, reset and close (items present and future).
        let app = app.clone();
        let open_button = ui.columns_open.clone();
        listen(&ui.columns_menu, "click", move |event| {
            let target = event.target().and_then(|t| t.dyn_into::<Element>().ok());
            let Some(target) = target else { return };
            let attr = |name: &str| {
                target
                    .closest(&format!("[{name}]"))
                    .ok()
                    .flatten()
                    .and_then(|e| e.get_attribute(name))
            };
            let change = if let Some(id) = target.get_attribute("data-column") {
                let show = target
                    .dyn_ref::<HtmlInputElement>()
                    .is_some_and(HtmlInputElement::checked);
                Some(Change::ShowColumn { id, show })
            } else if let Some(id) = attr("data-pin") {
                let pressed = target
                    .closest("[data-pin]")
                    .ok()
                    .flatten()
                    .and_then(|b| b.get_attribute("aria-pressed"));
                Some(Change::PinColumn {
                    id,
                    pin: pressed.as_deref() != Some("true"),
                })
            } else if let Some(key) = attr("data-direction") {
                let next = attr("data-next").unwrap_or_default();
                Some(Change::Direction {
                    key,
                    direction: runlens_core::view::Direction::parse(&next),
                })
            } else if let Some(id) = attr("data-move") {
                let by = attr("data-by").and_then(|b| b.parse().ok()).unwrap_or(0);
                Some(Change::MoveColumn { id, by })
            } else if target.id() == "rl-step-add" {
                step_column_change(&target)
            } else if target.id() == "rl-columns-reset" {
                Some(Change::ResetColumns)
            } else if target.id() == "rl-columns-close" {
                if let Ok(state) = app.try_borrow() {
                    let _ = state.toggle_column_menu(false);
                }
                if let Some(button) = open_button.dyn_ref::<web_sys::HtmlElement>() {
                    let _ = button.focus();
                }
                None
            } else {
                None
            };
            if let Some(change) = change {
                handle(&app, change);
            }
        })?;
    }
    {
        let app = app.clone();
        let open_button = ui.columns_open.clone();
        listen(&ui.columns_menu, "keydown", move |event| {
            let key = event.dyn_ref::<KeyboardEvent>().map(KeyboardEvent::key);
            let target = event.target().and_then(|t| t.dyn_into::<Element>().ok());
            if key.as_deref() == Some("Enter")
                && let Some(target) = target.filter(|t| t.id() == "rl-step")
            {
                event.prevent_default();
                if let Some(change) = step_column_change(&target) {
                    handle(&app, change);
                }
                return;
            }
            if key.as_deref() == Some("Escape") {
                event.prevent_default();
                if let Ok(state) = app.try_borrow() {
                    let _ = state.toggle_column_menu(false);
                }
                if let Some(button) = open_button.dyn_ref::<web_sys::HtmlElement>() {
                    let _ = button.focus();
                }
            }
        })?;
    }
    {
        let app = app.clone();
        listen(&ui.export_csv, "click", move |_| {
            let Ok(state) = app.try_borrow() else { return };
            if let Err(error) = export::download_text("runs.csv", "text/csv", &state.table_csv()) {
                dom::show_error(&format!("The table could not be downloaded: {error}"));
            }
        })?;
    }
    for (button, format) in [(&ui.chart_png, "png"), (&ui.chart_svg, "svg")] {
        let app = app.clone();
        let chart = ui.chart.clone();
        listen(button, "click", move |_| {
            let title = app
                .try_borrow()
                .ok()
                .and_then(|state| state.metric_key().map(str::to_string))
                .unwrap_or_default();
            let chart = chart.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(error) = export::chart_image(&chart, format, &title).await {
                    dom::show_error(&format!("The chart could not be downloaded: {error}"));
                }
            });
        })?;
    }
    for target in [&ui.runs_table, &ui.run_panel, &ui.compare_panel] {
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
                event.prevent_default();
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
    {
        let app = app.clone();
        let window = web_sys::window().ok_or_else(|| Error::new("no window"))?;
        listen(&window, "resize", move |_| {
            if let Ok(document) = dom::document() {
                crate::page::fit_scroll_padding(&document);
            }
            window_resized(&app);
        })?;
    }
    if let Ok(Some(scheme)) = window.match_media("(prefers-color-scheme: dark)") {
        // The system switched between light and dark (a page with no fixed theme).
        let app = app.clone();
        listen(&scheme, "change", move |_| redraw_charts(&app))?;
    }
    {
        // Escape anywhere closes the column menu, else the run page (the menu's and the
        // page's own listeners handle it first when focus is inside them).
        let app = app.clone();
        let menu = ui.columns_menu.clone();
        let open_button = ui.columns_open.clone();
        let window = web_sys::window().ok_or_else(|| Error::new("no window"))?;
        listen(&window, "keydown", move |event| {
            let escape = event
                .dyn_ref::<KeyboardEvent>()
                .is_some_and(|k| k.key() == "Escape");
            if !escape || event.default_prevented() {
                return;
            }
            if !menu.has_attribute("hidden") {
                if let Ok(state) = app.try_borrow() {
                    let _ = state.toggle_column_menu(false);
                }
                if let Some(button) = open_button.dyn_ref::<web_sys::HtmlElement>() {
                    let _ = button.focus();
                }
            } else if app.try_borrow().is_ok_and(|s| s.run_is_open()) {
                close_run(&app);
            }
        })?;
    }
    Ok(())
}

/// The elements [`wire`] listens on (cloned out of [`Ui`] so no borrow of the app is held).
pub struct UiHandles {
    filter: web_sys::HtmlInputElement,
    charts_input: HtmlInputElement,
    search: HtmlInputElement,
    group: web_sys::HtmlSelectElement,
    group2: web_sys::HtmlSelectElement,
    fold: HtmlInputElement,
    metric: web_sys::HtmlSelectElement,
    smoothing: web_sys::HtmlSelectElement,
    head_row: Element,
    runs_table: Element,
    run_panel: Element,
    diff_only: HtmlInputElement,
    chart_controls: crate::state::ChartControls,
    hparams: crate::state::HparamsUi,
    table_wrap: Element,
    compare_panel: Element,
    compare_open: Element,
    select_clear: Element,
    export_csv: Element,
    chart: Element,
    chart_png: Element,
    chart_svg: Element,
    columns_open: Element,
    columns_menu: Element,
    columns_find: HtmlInputElement,
}

impl UiHandles {
    /// Clones the handles out of `ui` (and finds the buttons by id).
    pub fn of(ui: &Ui) -> Result<UiHandles, Error> {
        let document = dom::document()?;
        let button = |id: &str| dom::by_id(&document, id);
        Ok(UiHandles {
            diff_only: ui.diff_only.clone(),
            chart_controls: ui.chart_controls.clone(),
            hparams: ui.hparams.clone(),
            table_wrap: ui.table_wrap.clone(),
            compare_panel: ui.compare_panel.clone(),
            compare_open: button("rl-compare-open")?,
            select_clear: button("rl-select-clear")?,
            export_csv: button("rl-export-csv")?,
            chart: ui.chart.clone(),
            chart_png: button("rl-chart-png")?,
            chart_svg: button("rl-chart-svg")?,
            columns_open: ui.columns_open.clone(),
            columns_menu: ui.columns_menu.clone(),
            columns_find: ui.columns_find.clone(),
            filter: ui.filter.clone(),
            charts_input: ui.charts_input.clone(),
            search: ui.search.clone(),
            group: ui.group.clone(),
            group2: ui.group2.clone(),
            fold: ui.fold.clone(),
            metric: ui.metric.clone(),
            smoothing: ui.smoothing.clone(),
            head_row: ui.head_row.clone(),
            runs_table: ui.runs_table.clone(),
            run_panel: ui.run_panel.clone(),
        })
    }
}

/// Adding the column the "value at step" row of the column menu describes (`target` is
/// an element inside the menu); `None` (and the step box marked invalid) without a whole
/// step.
fn step_column_change(target: &Element) -> Option<Change> {
    let document = target.owner_document()?;
    let metric = document
        .get_element_by_id("rl-step-metric")?
        .dyn_into::<web_sys::HtmlSelectElement>()
        .ok()?
        .value();
    let input = document
        .get_element_by_id("rl-step")?
        .dyn_into::<HtmlInputElement>()
        .ok()?;
    let text = input.value();
    let text = if text.trim().is_empty() {
        input.placeholder()
    } else {
        text
    };
    match text.trim().parse::<i64>() {
        Ok(step) if !metric.is_empty() => {
            let _ = input.remove_attribute("aria-invalid");
            Some(Change::ShowColumn {
                id: format!("metric:{metric}:at:{step}"),
                show: true,
            })
        }
        _ => {
            let _ = input.set_attribute("aria-invalid", "true");
            None
        }
    }
}

/// Turns typing in `input` into `make(text)` changes: after a pause of
/// [`FILTER_DEBOUNCE_MS`], or at once on Enter. One timer closure is re-used for every
/// debounce; it reads the input when it fires.
fn debounced_text(
    app: &Shared,
    window: &web_sys::Window,
    input: &HtmlInputElement,
    make: fn(String) -> Change,
) -> Result<(), Error> {
    let timer = Rc::new(Cell::new(None::<i32>));
    let apply = {
        let app = app.clone();
        let input = input.clone();
        let timer = timer.clone();
        Closure::<dyn FnMut()>::new(move || {
            timer.set(None);
            handle(&app, make(input.value()));
        })
    };
    let apply = Rc::new(apply);
    {
        let window = window.clone();
        let timer = timer.clone();
        listen(input, "input", move |_| {
            if let Some(id) = timer.take() {
                window.clear_timeout_with_handle(id);
            }
            let callback: &js_sys::Function = (*apply).as_ref().unchecked_ref();
            if let Ok(id) = window
                .set_timeout_with_callback_and_timeout_and_arguments_0(callback, FILTER_DEBOUNCE_MS)
            {
                timer.set(Some(id));
            }
        })?;
    }
    let app = app.clone();
    let source = input.clone();
    let window = window.clone();
    listen(input, "keydown", move |event| {
        let enter = event
            .dyn_ref::<KeyboardEvent>()
            .is_some_and(|k| k.key() == "Enter");
        if enter {
            event.prevent_default();
            if let Some(id) = timer.take() {
                window.clear_timeout_with_handle(id);
            }
            handle(&app, make(source.value()));
        }
    })
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
