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

/// What to hand plotly after the synchronous part of a redraw.
pub struct HparamsJob {
    scatter: (Element, chart::Figure),
    /// The scatter's markers when they are painted on a canvas.
    markers: Option<crate::plot_canvas::Markers>,
    bars: Option<(Element, String)>,
}

impl App {
    /// Renders the correlation table and builds the figures, when the panel is open.
    pub(super) fn hparams_job(&self, parts: HparamsParts) -> Result<Option<HparamsJob>, Error> {
        if !self.hparams.open {
            return Ok(None);
        }
        let table = self.cells();
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
            return Ok(None);
        };
        ui.x.set_value(&x.id);
        ui.y.set_value(&y.id);
        let rows = {
            let ticked = self.selection.in_order(&self.sorted);
            if ticked.is_empty() {
                self.sorted.clone()
            } else {
                ticked
            }
        };
        let theme = dom::chart_theme();
        let scatter = hparams_panel::scatter(
            table,
            &rows,
            self.groups.as_deref(),
            (x, y),
            (self.hparams.log_x, self.hparams.log_y),
            theme,
        );
        let bars = self
            .groups
            .as_deref()
            .map(|groups| hparams_panel::group_bars(table, groups, y, theme));
        dom::set_hidden(&ui.bars, bars.is_none());
        if parts == HparamsParts::All {
            let found = model::correlations(table, &columns, &rows, y.kind);
            hparams_panel::render_correlations(&self.document, &ui.correlations, y, &found)?;
            self.render_parcoords(&columns, y)?;
        }
        Ok(Some(HparamsJob {
            scatter: (ui.scatter.clone(), scatter.figure),
            markers: scatter.markers,
            bars: bars.map(|plot| (ui.bars.clone(), plot.to_json())),
        }))
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

/// Redraws the hyperparameter panel (`parts` of it) when it is open; failures go to
/// `#rl-error`.
pub async fn draw_hparams(app: &Shared, parts: HparamsParts) {
    let job = match app.try_borrow().map(|state| state.hparams_job(parts)) {
        Ok(Ok(Some(job))) => job,
        Ok(Ok(None)) | Err(_) => return,
        Ok(Err(error)) => {
            dom::show_error(&format!(
                "The hyperparameter views could not be drawn: {error}"
            ));
            return;
        }
    };
    let mut result = Ok(());
    let (scatter_root, scatter) = job.scatter;
    let figures = std::iter::once((scatter_root, figure_js(&scatter), job.markers)).chain(
        job.bars
            .map(|(root, json)| (root, js_sys::JSON::parse(&json), None)),
    );
    for (root, figure, markers) in figures {
        let drawn = match figure {
            Ok(figure) => draw_figure(&root, &figure, markers).await,
            Err(error) => Err(Error::from(error)),
        };
        if let Err(error) = drawn {
            result = Err(error);
            break;
        }
        let _ = root.set_attribute("data-drawn", "1");
    }
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
