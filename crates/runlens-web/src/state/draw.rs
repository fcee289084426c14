//! Drawing the chart: loads the chunks the plan needs, builds the plotly figure and hands
//! it to plotly.js; a newer draw started meanwhile makes an older one stop quietly.

use wasm_bindgen::prelude::*;
use web_sys::Element;

use wasm_bindgen::JsCast;

use super::{Change, Shared, handle};
use crate::chart::{self, ChartOptions, Plan, SeriesByRow, XAxis};
use crate::data::Chunk;
use crate::plot_canvas::{self, Paint, range_end};
use crate::{Error, dom, format};

#[wasm_bindgen]
extern "C" {
    /// `Plotly.react(root, figure)`: draws or updates a chart in place (see [`settled`]).
    #[wasm_bindgen(catch, js_namespace = Plotly, js_name = react)]
    fn plotly_react_call(root: &Element, figure: &JsValue) -> Result<js_sys::Promise, JsValue>;

    /// `Plotly.relayout(root, update)`: changes a drawn chart's layout (see [`settled`]).
    #[wasm_bindgen(catch, js_namespace = Plotly, js_name = relayout)]
    fn plotly_relayout_call(root: &Element, update: &JsValue) -> Result<js_sys::Promise, JsValue>;

    /// `Plotly.Plots.resize(root)`: fits a drawn chart to its box again.
    #[wasm_bindgen(catch, js_namespace = ["Plotly", "Plots"], js_name = resize)]
    fn plotly_resize(root: &Element) -> Result<JsValue, JsValue>;

    /// `Plotly.purge(root)`: removes a chart.
    #[wasm_bindgen(catch, js_namespace = Plotly, js_name = purge)]
    fn plotly_purge(root: &Element) -> Result<JsValue, JsValue>;
}

thread_local! {
    /// Settles once plotly.js has loaded, while it is still loading (see [`plotly_loading`]).
    static PLOTLY: std::cell::RefCell<Option<js_sys::Promise>> =
        const { std::cell::RefCell::new(None) };
}

/// Records that plotly.js is still loading: every chart waits for `loaded` before it is
/// drawn. `None`: plotly.js has already run.
pub(crate) fn plotly_loading(loaded: Option<js_sys::Promise>) {
    PLOTLY.with(|slot| *slot.borrow_mut() = loaded);
}

/// Waits until plotly.js has loaded (at once when it had); its loading error otherwise.
async fn plotly_loaded() -> Result<(), JsValue> {
    let Some(loading) = PLOTLY.with(|slot| slot.borrow().clone()) else {
        return Ok(());
    };
    wasm_bindgen_futures::JsFuture::from(loading).await?;
    PLOTLY.with(|slot| *slot.borrow_mut() = None);
    Ok(())
}

/// What a plotly.js call that returns a promise comes to: `Err` when plotly.js throws at
/// once (it refuses the figure, or is missing) as when its promise rejects. (An `async`
/// import would hand the `undefined` a throw leaves to `then`: an uncaught `TypeError`, and
/// a chart left busy for ever instead of an error shown.)
pub(crate) async fn settled(call: Result<js_sys::Promise, JsValue>) -> Result<JsValue, JsValue> {
    wasm_bindgen_futures::JsFuture::from(call?).await
}

/// `Plotly.relayout(root, update)`: changes a drawn chart's layout.
pub(crate) async fn plotly_relayout(root: &Element, update: &JsValue) -> Result<JsValue, JsValue> {
    settled(plotly_relayout_call(root, update)).await
}

/// `Plotly.react(root, figure)` (once plotly.js has loaded), then keeps the chart as wide
/// as its box: plotly follows the window's size, but not a box that changes alone (a panel
/// shown again, a narrative page or a run page closed, a scroll bar appearing), which would
/// leave the chart drawn at the width it had, wider than its box on a phone.
pub(crate) async fn plotly_react(root: &Element, figure: &JsValue) -> Result<JsValue, JsValue> {
    plotly_loaded().await?;
    let drawn = settled(plotly_react_call(root, figure)).await?;
    fit::observe(root);
    Ok(drawn)
}

/// One `ResizeObserver` for every chart box.
mod fit {
    use std::cell::RefCell;

    use wasm_bindgen::JsCast;
    use wasm_bindgen::prelude::*;
    use web_sys::{Element, ResizeObserver, ResizeObserverEntry};

    thread_local! {
        static OBSERVER: RefCell<Option<ResizeObserver>> = const { RefCell::new(None) };
    }

    /// Width (CSS pixels, rounded) a chart box had when its chart was last fitted.
    pub(super) const WIDTH: &str = "data-fitted-width";

    /// Watches `root`'s size (again watching a box is a no-op). Its width is not read
    /// here: after plotly drew, reading it would lay the page out again at once; the
    /// observer's first report of a box records it instead.
    pub(super) fn observe(root: &Element) {
        OBSERVER.with(|cell| {
            let mut observer = cell.borrow_mut();
            if observer.is_none() {
                let callback = Closure::<dyn FnMut(js_sys::Array)>::new(resized);
                *observer = ResizeObserver::new(callback.as_ref().unchecked_ref()).ok();
                // The observer lives as long as the page.
                callback.forget();
            }
            if let Some(observer) = observer.as_ref() {
                observer.observe(root);
            }
        });
    }

    fn width(px: f64) -> String {
        format!("{}", px.round())
    }

    /// Refits each chart whose box's width changed (a hidden box, 0 wide, is left alone).
    fn resized(entries: js_sys::Array) {
        for entry in entries.iter() {
            let Ok(entry) = entry.dyn_into::<ResizeObserverEntry>() else {
                continue;
            };
            let root = entry.target();
            let now = entry.content_rect().width();
            let Some(fitted) = root.get_attribute(WIDTH) else {
                // The first report, right after the box was first watched (and drawn).
                let _ = root.set_attribute(WIDTH, &width(now));
                continue;
            };
            if now <= 0.0 || fitted == width(now) {
                continue;
            }
            let _ = root.set_attribute(WIDTH, &width(now));
            // Plotly redraws later, so the box's size does not change within this callback.
            let _ = super::plotly_resize(&root);
        }
    }
}

/// Gives every chart outside the explorer's own (a run's page, narrative pages: drawn
/// once, not again on a theme switch) the colours of the page's theme now.
pub async fn retheme_other_charts() {
    let Ok(document) = dom::document() else {
        return;
    };
    let Ok(charts) = document.query_selector_all(".js-plotly-plot") else {
        return;
    };
    let Ok(update) = js_sys::JSON::parse(&chart::theme_relayout(dom::chart_theme()).to_string())
    else {
        return;
    };
    for index in 0..charts.length() {
        let Some(chart) = charts
            .item(index)
            .and_then(|n| n.dyn_into::<Element>().ok())
        else {
            continue;
        };
        let own = chart
            .closest("#rl-chart, #rl-chart-grid, #rl-hparams")
            .ok()
            .flatten()
            .is_some();
        if !own {
            // A chart taken away meanwhile is no reason to stop.
            let _ = plotly_relayout(&chart, &update).await;
        }
    }
}

/// Draws the chart now (see [`draw_chart`]). A failure empties the chart and is shown in
/// `#rl-error` until a later chart draws.
pub async fn redraw(app: &Shared) {
    let Some(generation) = next_generation(app) else {
        return;
    };
    draw_and_report(app, generation).await;
}

/// Draws the chart once the page has shown what the reader's action changed (the table
/// first; see [`dom::after_paint`]); the chart is marked busy meanwhile. Of several
/// actions before that frame only the last draws.
pub fn redraw_after_paint(app: &Shared) {
    let Some(generation) = next_generation(app) else {
        return;
    };
    if let Ok(state) = app.try_borrow() {
        let _ = state.ui.chart.set_attribute("aria-busy", "true");
    }
    let app = app.clone();
    wasm_bindgen_futures::spawn_local(async move {
        dom::after_paint().await;
        if is_current(&app, generation) {
            draw_and_report(&app, generation).await;
        }
    });
}

/// Starts a new chart drawing: a draw of an older generation stops quietly.
fn next_generation(app: &Shared) -> Option<u64> {
    let mut state = app.try_borrow_mut().ok()?;
    state.chart_generation += 1;
    Some(state.chart_generation)
}

/// True while `generation` is the newest chart drawing.
fn is_current(app: &Shared, generation: u64) -> bool {
    app.try_borrow()
        .is_ok_and(|state| state.chart_generation == generation)
}

/// [`draw_chart`], its failure shown (see [`redraw`]).
async fn draw_and_report(app: &Shared, generation: u64) {
    let result = draw_chart(app, generation).await;
    let Ok(mut state) = app.try_borrow_mut() else {
        return;
    };
    match result {
        Ok(()) if state.chart_failed => {
            state.chart_failed = false;
            dom::hide_error();
        }
        Ok(()) => {}
        Err(error) => {
            state.chart_failed = true;
            // Purging drops plotly's listeners: listen again after the next good draw.
            state.zoom_listening = false;
            let root = &state.ui.chart;
            plot_canvas::clear(root);
            let _ = plotly_purge(root);
            let _ = root.remove_attribute("aria-busy");
            let _ = root.set_attribute("data-rendered-traces", "0");
            dom::set_hidden(&state.ui.chart_note, true);
            dom::show_error(&format!("The chart could not be drawn: {error}"));
        }
    }
}

/// Draws the chart for the current plan: loads the chunks it needs (first use only),
/// builds the figure, hands it to plotly.js and sets `data-rendered-traces`. A newer draw
/// started meanwhile (a newer `generation`) makes this one stop quietly.
async fn draw_chart(app: &Shared, generation: u64) -> Result<(), Error> {
    let (data, plan, root, note, grid, grid_root, grid_matches) = {
        let state = app.try_borrow().map_err(|_| Error::new("busy"))?;
        (
            state.data.clone(),
            state.plan.clone(),
            state.ui.chart.clone(),
            state.ui.chart_note.clone(),
            state.grid.clone(),
            state.ui.chart_grid.clone(),
            state.grid_matches,
        )
    };
    let current = || is_current(app, generation);
    let table = &data.table;
    let Some((metric, plan)) = plan else {
        root.remove_attribute("aria-busy")?;
        note.set_text_content(Some("This report has no metric to chart."));
        dom::set_hidden(&note, false);
        dom::set_hidden(&root, true);
        root.set_attribute("data-rendered-traces", "0")?;
        return Ok(());
    };
    dom::set_hidden(&root, false);
    root.set_attribute("aria-busy", "true")?;
    let mut options = app
        .try_borrow()
        .map(|state| state.chart.clone())
        .unwrap_or_default();
    options.width = box_width(&root);
    let Some((chunks, x_chunks)) = load(&data, metric, &plan, &options, &current).await? else {
        return Ok(());
    };
    crate::bench::mark("rl-chart-data");
    let (series, x_series) = (by_row(&chunks), by_row(&x_chunks));
    let mut figure = chart::figure(
        table,
        metric,
        &plan,
        &series,
        &x_series,
        dom::chart_theme(),
        &options,
    );
    let traces = figure.plot.data().len();
    let notes = std::mem::take(&mut figure.notes);
    let (figure, lines) = chart_js(&root, &figure)?;
    crate::bench::mark("rl-figure-built");
    let drawn = plotly_react(&root, &figure).await;
    if !current() {
        return Ok(());
    }
    drawn?;
    if let Some(lines) = lines {
        plot_canvas::attach(&root, Paint::Lines(lines))?;
    }
    crate::bench::mark("rl-chart-drawn");
    root.remove_attribute("aria-busy")?;
    root.set_attribute("data-rendered-traces", &traces.to_string())?;
    root.set_attribute(
        "data-zoomed",
        if options.x_range.is_some() { "1" } else { "0" },
    )?;
    let text = plan
        .note(&table.metrics[metric].key)
        .into_iter()
        .chain(notes)
        .collect::<Vec<_>>()
        .join(" ");
    note.set_text_content(Some(&text));
    dom::set_hidden(&note, text.is_empty());
    listen_for_zoom(app, &root, options.log_x && options.x != XAxis::WallTime);
    let grid_options = ChartOptions {
        compact: true,
        ..options
    };
    draw_grid(
        &data,
        &grid,
        grid_matches,
        &grid_root,
        &grid_options,
        &current,
    )
    .await
}

/// Draws the grid: a small chart per planned metric, in `div.rl-chart-cell[data-metric]`
/// cells (made again when the set of metrics changed, else updated in place), and a note
/// when more metrics matched than are drawn.
async fn draw_grid(
    data: &crate::data::Data,
    grid: &[(usize, Plan)],
    matches: usize,
    root: &Element,
    options: &ChartOptions,
    current: &impl Fn() -> bool,
) -> Result<(), Error> {
    let table = &data.table;
    let document = dom::document()?;
    let wanted: Vec<&str> = grid
        .iter()
        .map(|(m, _)| table.metrics[*m].key.as_str())
        .collect();
    let cells = root.query_selector_all(".rl-chart-cell > .rl-chart")?;
    let present: Vec<String> = (0..cells.length())
        .filter_map(|i| cells.item(i))
        .filter_map(|node| node.dyn_into::<Element>().ok())
        .filter_map(|e| e.get_attribute("data-metric"))
        .collect();
    if present != wanted {
        for i in 0..cells.length() {
            if let Some(chart) = cells.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                plot_canvas::clear(&chart);
                let _ = plotly_purge(&chart);
            }
        }
        dom::clear(root);
        for key in &wanted {
            let cell = dom::element(&document, "div", "rl-chart-cell")?;
            let chart = dom::element(&document, "div", "rl-chart rl-chart-small")?;
            chart.set_attribute("data-metric", key)?;
            cell.append_child(&chart)?;
            root.append_child(&cell)?;
        }
        if matches > grid.len() {
            dom::append_text(
                &document,
                root,
                "p",
                "rl-note rl-grid-note",
                &format!(
                    "{} metrics match; the first {} are drawn. Narrow the pattern to see others.",
                    format::count(matches),
                    format::count(grid.len())
                ),
            )?;
        }
    }
    dom::set_hidden(root, grid.is_empty());
    let charts = root.query_selector_all(".rl-chart-cell > .rl-chart")?;
    for (position, (metric, plan)) in grid.iter().enumerate() {
        let Some(chart) = charts
            .item(position as u32)
            .and_then(|n| n.dyn_into::<Element>().ok())
        else {
            continue;
        };
        let Some((chunks, x_chunks)) = load(data, *metric, plan, options, current).await? else {
            return Ok(());
        };
        let (series, x_series) = (by_row(&chunks), by_row(&x_chunks));
        let options = ChartOptions {
            width: box_width(&chart),
            ..options.clone()
        };
        let figure = chart::figure(
            table,
            *metric,
            plan,
            &series,
            &x_series,
            dom::chart_theme(),
            &options,
        );
        let traces = figure.plot.data().len();
        let (json, lines) = chart_js(&chart, &figure)?;
        plotly_react(&chart, &json).await?;
        if !current() {
            return Ok(());
        }
        if let Some(lines) = lines {
            plot_canvas::attach(&chart, Paint::Lines(lines))?;
        }
        chart.set_attribute("data-rendered-traces", &traces.to_string())?;
    }
    Ok(())
}

/// Width of chart box `root` in CSS pixels: as last fitted (see [`fit`]; reading it
/// from the layout could force one), else the window's, for a chart not drawn yet.
fn box_width(root: &Element) -> Option<u32> {
    let usable = |w: &f64| w.is_finite() && *w > 0.0;
    let fitted = root
        .get_attribute(fit::WIDTH)
        .and_then(|w| w.parse::<f64>().ok())
        .filter(usable);
    let window = || web_sys::window()?.inner_width().ok()?.as_f64();
    fitted.or_else(window).filter(usable).map(|w| w as u32)
}

/// `figure` as plotly.js takes it (see [`figure_js`]) for the chart `root`, and its lines
/// when they are to be painted on a canvas (a figure of many points; see
/// [`plot_canvas::lines`]). The marks painted for the chart's last figure are taken away:
/// plotly's redraw would paint them again on the new axes before the new ones come.
fn chart_js(
    root: &Element,
    figure: &chart::Figure,
) -> Result<(JsValue, Option<plot_canvas::Lines>), Error> {
    let js = figure_js(figure)?;
    plot_canvas::clear(root);
    let lines = plot_canvas::lines::take_over(&js, &figure.columns)?;
    if lines.is_some() {
        plot_canvas::prepare_figure(&js)?;
    }
    keep_legend_choices(&js)?;
    Ok((js, lines))
}

/// Lets plotly keep what the reader hid from the legend when the chart is drawn again (a
/// zoom, another axis or smoothing, a filter): the layout gets a fixed `uirevision`, and
/// every trace an id plotly matches it by from one drawing to the next: its legend group
/// (a run's row, a digest of a group's label) and its place among that group's traces; a
/// trace of no group is known by its place in the figure.
fn keep_legend_choices(figure: &JsValue) -> Result<(), JsValue> {
    let layout = js_sys::Reflect::get(figure, &"layout".into())?;
    js_sys::Reflect::set(&layout, &"uirevision".into(), &"runlens-chart".into())?;
    let data: js_sys::Array = js_sys::Reflect::get(figure, &"data".into())?.unchecked_into();
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (index, trace) in data.iter().enumerate() {
        let group = js_sys::Reflect::get(&trace, &"legendgroup".into())?.as_string();
        // plotly.js makes CSS class names of ids: letters, digits and `-` only (the
        // legend groups are made so, see `chart::figure`).
        let uid = match group.filter(|g| !g.is_empty()) {
            Some(group) => {
                let place = seen.entry(group.clone()).or_default();
                *place += 1;
                format!("{group}-{}", *place - 1)
            }
            None => format!("trace-{index}"),
        };
        js_sys::Reflect::set(&trace, &"uid".into(), &uid.into())?;
    }
    Ok(())
}

/// `figure` as plotly.js takes it: the figure's JSON parsed, each trace's points attached
/// as `Float64Array`s (gaps as NaN, which plotly draws as breaks) and its hover text as an
/// array filled run by run; no point passes through JSON. Its axes let tick labels
/// overflow (`ticklabeloverflow: "allow"`): plotly's default hides those that would,
/// measuring every label again after placing each one, which lays out the page as often;
/// the axes' automatic margins already make room for the labels.
pub(crate) fn figure_js(figure: &chart::Figure) -> Result<JsValue, JsValue> {
    let js = js_sys::JSON::parse(&figure.plot.to_json())?;
    let layout = js_sys::Reflect::get(&js, &"layout".into())?;
    for axis in ["xaxis", "yaxis"] {
        let axis = js_sys::Reflect::get(&layout, &axis.into())?;
        if axis.is_object() {
            js_sys::Reflect::set(&axis, &"ticklabeloverflow".into(), &"allow".into())?;
        }
    }
    let data = js_sys::Reflect::get(&js, &"data".into())?;
    let (x, y, text) = (
        JsValue::from("x"),
        JsValue::from("y"),
        JsValue::from("text"),
    );
    for (index, columns) in figure.columns.iter().enumerate() {
        let trace = js_sys::Reflect::get_u32(&data, index as u32)?;
        js_sys::Reflect::set(&trace, &x, &js_sys::Float64Array::from(&columns.x[..]))?;
        js_sys::Reflect::set(&trace, &y, &js_sys::Float64Array::from(&columns.y[..]))?;
        if !columns.text.is_empty() {
            js_sys::Reflect::set(&trace, &text, &hover_texts(&columns.text))?;
        }
    }
    Ok(js)
}

/// The run-length coded `texts` as a JS array of one string per point. The texts cross
/// into JS as one string, cut there (`substring`): a string of its own per text costs a
/// `TextDecoder` call each, 10 ms for the 10,000 names of a scatter.
fn hover_texts(texts: &[(String, usize)]) -> js_sys::Array {
    let total: usize = texts.iter().map(|(_, n)| n).sum();
    let out = js_sys::Array::new_with_length(total as u32);
    let joined = js_sys::JsString::from(texts.iter().map(|(t, _)| t.as_str()).collect::<String>());
    let (mut at, mut start) = (0, 0);
    for (label, n) in texts {
        // Offsets in UTF-16 code units, as JS strings count.
        let end = start + label.encode_utf16().count() as u32;
        out.fill(&joined.substring(start, end), at, at + *n as u32);
        (at, start) = (at + *n as u32, end);
    }
    out
}

/// The chunks a chart of `metric` drawn per `plan` needs, and those of the metric on its
/// x axis (if another metric is); `None` when a newer draw started meanwhile. A line per
/// run over steps or time, not zoomed and not smoothed, takes the chunks' overview levels
/// (min/max downsampled, spikes kept); anything else the full resolution.
async fn load(
    data: &crate::data::Data,
    metric: usize,
    plan: &Plan,
    options: &ChartOptions,
    current: &impl Fn() -> bool,
) -> Result<Option<(Vec<Chunk>, Vec<Chunk>)>, Error> {
    let rows = plan.rows();
    let x_metric = match options.x {
        XAxis::Metric(m) if !matches!(plan, Plan::Groups { .. }) => Some(m),
        _ => None,
    };
    let overview = chart::overview_suffices(plan, options);
    let mut loaded = (Vec::new(), Vec::new());
    let wanted = std::iter::once((metric, false)).chain(x_metric.map(|m| (m, true)));
    for (m, is_x) in wanted {
        for id in chart::needed_chunks(&data.table, m, &rows) {
            let chunk = if overview {
                data.overview(id).await
            } else {
                data.chunk(id).await
            };
            if !current() {
                return Ok(None);
            }
            if is_x {
                loaded.1.push(chunk?);
            } else {
                loaded.0.push(chunk?);
            }
        }
    }
    Ok(Some(loaded))
}

/// The series of `chunks` by run row.
fn by_row(chunks: &[Chunk]) -> SeriesByRow<'_> {
    chunks
        .iter()
        .flat_map(|chunk| chunk.iter().map(|(row, s)| (*row as usize, s)))
        .collect()
}

/// Once per chart element: turns plotly's `plotly_relayout` events (a zoom, or a double
/// click back to the whole range) into [`Change::Zoom`], so the zoomed range is drawn
/// again at full resolution. `log_x`: plotly reports a log axis's range in log10 units.
fn listen_for_zoom(app: &Shared, root: &Element, log_x: bool) {
    if let Ok(mut state) = app.try_borrow_mut() {
        state.zoom_log_x = log_x;
        if state.zoom_listening {
            return;
        }
        state.zoom_listening = true;
    }
    let Ok(on) = js_sys::Reflect::get(root, &"on".into()) else {
        return;
    };
    let Some(on) = on.dyn_ref::<js_sys::Function>() else {
        return;
    };
    let app = app.clone();
    let handler = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
        let log_x = app.try_borrow().is_ok_and(|state| state.zoom_log_x);
        if let Some(change) = zoom_change(&event, log_x) {
            handle(&app, change);
        }
    });
    let _ = on.call2(root, &"plotly_relayout".into(), handler.as_ref());
    handler.forget();
}

/// The zoom a `plotly_relayout` event describes, if it touches the x axis.
fn zoom_change(event: &JsValue, log_x: bool) -> Option<Change> {
    let get = |key: &str| js_sys::Reflect::get(event, &key.into()).ok();
    if get("xaxis.autorange").is_some_and(|v| v.is_truthy()) {
        return Some(Change::Zoom(None));
    }
    let (low, high) = match get("xaxis.range").filter(js_sys::Array::is_array) {
        Some(range) => {
            let range = js_sys::Array::from(&range);
            (range.get(0), range.get(1))
        }
        None => (get("xaxis.range[0]")?, get("xaxis.range[1]")?),
    };
    let (low, high) = (range_end(&low)?, range_end(&high)?);
    let (low, high) = if log_x {
        (10f64.powf(low), 10f64.powf(high))
    } else {
        (low, high)
    };
    (low.is_finite() && high.is_finite() && low < high).then_some(Change::Zoom(Some((low, high))))
}
