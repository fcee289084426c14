//! The hyperparameter panel's state and drawing: which columns the scatter plots, its log
//! axes, whether the panel is open; redrawn (only while open) after every change.

use super::*;
use crate::hparams_panel::{self, is_param, pick};
use crate::view::hparams as model;
use crate::view::parcoords as model_parcoords;
use wasm_bindgen::JsValue;

/// What the hyperparameter panel shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HparamsView {
    /// The panel is open.
    pub open: bool,
    /// Column id of the scatter's x.
    pub x: Option<String>,
    /// Column id of the scatter's y (also the bars' and correlations' column).
    pub y: Option<String>,
    /// Logarithmic x.
    pub log_x: bool,
    /// Logarithmic y.
    pub log_y: bool,
}

/// The panel's elements.
#[derive(Clone)]
pub struct HparamsUi {
    /// `details#rl-hparams`.
    pub panel: web_sys::HtmlDetailsElement,
    /// `select#rl-hp-x`.
    pub x: HtmlSelectElement,
    /// `select#rl-hp-y`.
    pub y: HtmlSelectElement,
    /// `input#rl-hp-log-x`.
    pub log_x: HtmlInputElement,
    /// `input#rl-hp-log-y`.
    pub log_y: HtmlInputElement,
    /// `div#rl-hp-scatter`.
    pub scatter: Element,
    /// `div#rl-hp-bars` (with groups only).
    pub bars: Element,
    /// `table#rl-hp-corr`.
    pub correlations: Element,
    /// `div#rl-hp-parcoords`, the parallel coordinates.
    pub parcoords: Element,
    /// `button#rl-hp-clear-brushes` (shown while a brush is held).
    pub clear_brushes: Element,
}

impl HparamsUi {
    /// Sets every control to `view`.
    pub fn show(&self, view: &HparamsView) {
        self.panel.set_open(view.open);
        if let Some(x) = &view.x {
            self.x.set_value(x);
        }
        if let Some(y) = &view.y {
            self.y.set_value(y);
        }
        self.log_x.set_checked(view.log_x);
        self.log_y.set_checked(view.log_y);
    }
}

/// Which parts of the hyperparameter panel a redraw renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HparamsParts {
    /// Everything: scatter, bars, correlations, parallel coordinates.
    All,
    /// Only the scatter (its axes changed; nothing else depends on them).
    Scatter,
}

/// The scatter's two columns (x a param, y the metric summary the bars and correlations
/// are of), chosen by the reader or by default.
pub struct HparamsAxes {
    x: view::Column,
    y: view::Column,
    /// The numeric columns the panel offers.
    columns: Vec<view::Column>,
}

impl App {
    /// The panel's columns when it is open and has columns to plot (its selects set to
    /// them); `None` otherwise, with a note in the correlations' place when it has none.
    fn hparams_axes(&self) -> Option<HparamsAxes> {
        if !self.hparams.open {
            return None;
        }
        let columns = model::numeric_columns(&self.all_columns);
        let ui = &self.ui.hparams;
        let default_y = self
            .metric
            .and_then(|m| {
                self.default_columns.iter().find(
                    |c| matches!(c.kind, view::ColumnKind::Metric { index, .. } if index == m),
                )
            })
            .map(|c| c.id.clone());
        let (Some(x), Some(y)) = (
            pick(&columns, self.hparams.x.as_deref(), is_param),
            pick(
                &columns,
                self.hparams.y.as_deref().or(default_y.as_deref()),
                |c| !is_param(c),
            ),
        ) else {
            ui.correlations
                .set_text_content(Some("This report has no numeric param or metric to plot."));
            return None;
        };
        ui.x.set_value(&x.id);
        ui.y.set_value(&y.id);
        let (x, y) = (x.clone(), y.clone());
        Some(HparamsAxes { x, y, columns })
    }

    /// The runs the panel plots: those ticked, else every visible run, in table order.
    fn hparams_rows(&self) -> Vec<usize> {
        let ticked = self.selection.in_order(&self.sorted);
        if ticked.is_empty() {
            self.sorted.clone()
        } else {
            ticked
        }
    }

    /// Renders the correlation table and the parallel coordinates.
    fn render_hparams_tables(&self, axes: &HparamsAxes) -> Result<(), Error> {
        let table = self.cells();
        let rows = self.hparams_rows();
        let found = model::correlations(table, &axes.columns, &rows, axes.y.kind);
        let ui = &self.ui.hparams;
        hparams_panel::render_correlations(&self.document, &ui.correlations, &axes.y, &found)?;
        self.render_parcoords(&axes.columns, &axes.y)
    }

    /// The scatter's figure, and its markers when they are painted on a canvas.
    fn hparams_scatter(&self, axes: &HparamsAxes) -> hparams_panel::ScatterFigure {
        hparams_panel::scatter(
            self.cells(),
            &self.hparams_rows(),
            self.groups.as_deref(),
            (&axes.x, &axes.y),
            (self.hparams.log_x, self.hparams.log_y),
            dom::chart_theme(),
        )
    }

    /// The bar chart of the y column per group (its JSON), shown with groups only.
    fn hparams_bars(&self, axes: &HparamsAxes) -> Option<String> {
        let bars = self.groups.as_deref().map(|groups| {
            hparams_panel::group_bars(self.cells(), groups, &axes.y, dom::chart_theme())
        });
        dom::set_hidden(&self.ui.hparams.bars, bars.is_none());
        bars.map(|plot| plot.to_json())
    }
}

impl App {
    /// Draws the parallel coordinates: the numeric params whose values differ over the
    /// runs the query and search keep (a param some runs lack but all others share is
    /// left out), then the y column; lines of runs outside the brushes faint.
    fn render_parcoords(&self, columns: &[view::Column], y: &view::Column) -> Result<(), Error> {
        let table = self.cells();
        let mut chosen: Vec<view::Column> = columns
            .iter()
            .filter(|c| is_param(c) && model_parcoords::spans_values(table, &self.searched, c))
            .take(model_parcoords::MAX_AXES - 1)
            .cloned()
            .collect();
        // Brushed axes stay, even when the filter left them flat.
        for brush in &self.brushes {
            if !chosen.iter().any(|c| c.id == brush.column)
                && let Some(column) = columns.iter().find(|c| c.id == brush.column)
            {
                chosen.push(column.clone());
            }
        }
        chosen.retain(|c| c.id != y.id);
        chosen.push(y.clone());
        let axes = model_parcoords::axes(table, &chosen, &self.searched);
        let mut inside = vec![false; table.len()];
        for &row in &self.visible {
            inside[row] = true;
        }
        let group_of = self
            .groups
            .as_deref()
            .map_or_else(Vec::new, |g| group::group_of_rows(g, table.len()));
        crate::parcoords_view::render(
            &self.document,
            &self.ui.hparams.parcoords,
            table,
            &axes,
            &self.searched,
            &self.brushes,
            |row| {
                inside[row].then(|| {
                    chart::colour(group_of.get(row).copied().flatten().unwrap_or(row), 0.6)
                })
            },
            crate::parcoords_view::out_colour(dom::chart_theme().dark),
        )?;
        dom::set_hidden(&self.ui.hparams.clear_brushes, self.brushes.is_empty());
        Ok(())
    }
}

/// Redraws the hyperparameter panel (`parts` of it) when it is open, now; failures go to
/// `#rl-error`.
pub async fn draw_hparams(app: &Shared, parts: HparamsParts) {
    if let Some(generation) = next_generation(app) {
        if let Ok(mut state) = app.try_borrow_mut() {
            state.hparams_pending = None;
        }
        draw_in_steps(app, parts, generation).await;
    }
}

/// Redraws the hyperparameter panel (`parts` of it) when it is open, once the page has
/// shown what the reader's action changed (see [`dom::after_paint`]). Of several actions
/// before that frame only the last draws, the parts of all of them.
pub fn draw_hparams_after_paint(app: &Shared, parts: HparamsParts) {
    {
        let Ok(mut state) = app.try_borrow_mut() else {
            return;
        };
        if !state.hparams.open {
            return;
        }
        state.hparams_pending = Some(match state.hparams_pending {
            Some(HparamsParts::All) => HparamsParts::All,
            _ => parts,
        });
    }
    let Some(generation) = next_generation(app) else {
        return;
    };
    let app = app.clone();
    wasm_bindgen_futures::spawn_local(async move {
        dom::after_paint().await;
        let parts = match app.try_borrow_mut() {
            Ok(mut state) if state.hparams_generation == generation => {
                state.hparams_pending.take().unwrap_or(parts)
            }
            _ => return,
        };
        draw_in_steps(&app, parts, generation).await;
    });
}

/// Starts a new drawing of the panel: a drawing of an older generation stops quietly.
fn next_generation(app: &Shared) -> Option<u64> {
    let mut state = app.try_borrow_mut().ok()?;
    state.hparams_generation += 1;
    Some(state.hparams_generation)
}

/// Draws the panel in steps, each in a task of its own after the page showed the one
/// before, so that none holds the page for long: the correlations and the parallel
/// coordinates, then the scatter, then the bars per group. Each step first checks that
/// no newer drawing has started; the scatter is busy (`aria-busy`) until drawn.
async fn draw_in_steps(app: &Shared, parts: HparamsParts, generation: u64) {
    let current = || {
        app.try_borrow()
            .is_ok_and(|state| state.hparams_generation == generation)
    };
    let result = async {
        let (axes, scatter_root, bars_root) = {
            let Ok(state) = app.try_borrow() else {
                return Ok(());
            };
            if state.hparams_generation != generation {
                return Ok(());
            }
            let ui = &state.ui.hparams;
            let Some(axes) = state.hparams_axes() else {
                ui.scatter.remove_attribute("aria-busy")?;
                return Ok(());
            };
            ui.scatter.set_attribute("aria-busy", "true")?;
            if parts == HparamsParts::All {
                state.render_hparams_tables(&axes)?;
            }
            (axes, ui.scatter.clone(), ui.bars.clone())
        };
        if parts == HparamsParts::All {
            dom::after_paint().await;
        }
        let Some(scatter) = app
            .try_borrow()
            .ok()
            .filter(|_| current())
            .map(|state| state.hparams_scatter(&axes))
        else {
            return Ok(());
        };
        draw_figure(&scatter_root, &figure_js(&scatter.figure)?, scatter.markers).await?;
        if !current() {
            return Ok(());
        }
        scatter_root.set_attribute("data-drawn", "1")?;
        scatter_root.remove_attribute("aria-busy")?;
        dom::after_paint().await;
        let Some(bars) = app
            .try_borrow()
            .ok()
            .filter(|_| current())
            .and_then(|state| state.hparams_bars(&axes))
        else {
            return Ok(());
        };
        draw_figure(&bars_root, &js_sys::JSON::parse(&bars)?, None).await?;
        bars_root.set_attribute("data-drawn", "1")?;
        Ok::<(), Error>(())
    }
    .await;
    if let Err(error) = result {
        dom::show_error(&format!(
            "The hyperparameter views could not be drawn: {error}"
        ));
    }
}

/// Draws `figure` in `root`, with `markers` painted on a canvas over it when given (the
/// scatter's canvas is taken away when not).
async fn draw_figure(
    root: &Element,
    figure: &JsValue,
    markers: Option<crate::plot_canvas::Markers>,
) -> Result<(), Error> {
    match markers {
        Some(markers) => {
            crate::plot_canvas::prepare_figure(figure)?;
            plotly_react(root, figure).await?;
            crate::plot_canvas::attach(root, crate::plot_canvas::Paint::Markers(markers))
        }
        None => {
            crate::plot_canvas::clear(root);
            plotly_react(root, figure).await?;
            Ok(())
        }
    }
}
