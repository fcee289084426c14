//! Drawing the chart: loads the chunks the plan needs, builds the plotly figure and hands
//! it to plotly.js; a newer draw started meanwhile makes an older one stop quietly.

use wasm_bindgen::prelude::*;
use web_sys::Element;

use super::Shared;
use crate::chart::{self, SeriesByRow};
use crate::{Error, dom};

#[wasm_bindgen]
extern "C" {
    /// `Plotly.react(root, figure)`: draws or updates a chart in place; rejects (instead of
    /// aborting the module) when plotly.js is missing or refuses the figure.
    #[wasm_bindgen(catch, js_namespace = Plotly, js_name = react)]
    pub(crate) async fn plotly_react(root: &Element, figure: &JsValue) -> Result<JsValue, JsValue>;

    /// `Plotly.purge(root)`: removes a chart.
    #[wasm_bindgen(catch, js_namespace = Plotly, js_name = purge)]
    fn plotly_purge(root: &Element) -> Result<JsValue, JsValue>;
}

/// Draws the chart (see [`draw_chart`]). A failure empties the chart and is shown in
/// `#rl-error` until a later chart draws.
pub async fn redraw(app: &Shared) {
    let result = draw_chart(app).await;
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
            let root = &state.ui.chart;
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
/// started meanwhile makes this one stop quietly.
pub async fn draw_chart(app: &Shared) -> Result<(), Error> {
    let (data, plan, generation, root, note) = {
        let mut state = app.try_borrow_mut().map_err(|_| Error::new("busy"))?;
        state.chart_generation += 1;
        (
            state.data.clone(),
            state.plan.clone(),
            state.chart_generation,
            state.ui.chart.clone(),
            state.ui.chart_note.clone(),
        )
    };
    let current = || {
        app.try_borrow()
            .is_ok_and(|state| state.chart_generation == generation)
    };
    let table = &data.table;
    let Some((metric, plan)) = plan else {
        note.set_text_content(Some("This report has no metric to chart."));
        dom::set_hidden(&note, false);
        dom::set_hidden(&root, true);
        root.set_attribute("data-rendered-traces", "0")?;
        return Ok(());
    };
    dom::set_hidden(&root, false);
    root.set_attribute("aria-busy", "true")?;
    let mut chunks = Vec::new();
    for id in chart::needed_chunks(table, metric, &plan.rows()) {
        let chunk = data.chunk(id).await;
        if !current() {
            return Ok(());
        }
        chunks.push(chunk?);
    }
    let series: SeriesByRow<'_> = chunks
        .iter()
        .flat_map(|chunk| chunk.iter().map(|(row, s)| (*row as usize, s)))
        .collect();
    let smoothing = app.try_borrow().map_or(0.0, |state| state.smoothing);
    let plot = chart::figure(table, metric, &plan, &series, dom::chart_theme(), smoothing);
    let traces = plot.data().len();
    let figure = js_sys::JSON::parse(&plot.to_json())?;
    let drawn = plotly_react(&root, &figure).await;
    if !current() {
        return Ok(());
    }
    drawn?;
    root.remove_attribute("aria-busy")?;
    root.set_attribute("data-rendered-traces", &traces.to_string())?;
    let text = plan.note(&table.metrics[metric].key);
    note.set_text_content(text.as_deref());
    dom::set_hidden(&note, text.is_none());
    Ok(())
}
