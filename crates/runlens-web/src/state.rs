//! The app state (filter result, sort, grouping, metric) and the one update path every
//! control goes through: change the state, re-render the table, redraw the chart when what
//! it shows changed.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, HtmlInputElement, HtmlSelectElement};

use crate::chart::{self, Plan, SeriesByRow};
use crate::data::{Data, InitialView};
use crate::view::{self, Column, Sort};
use crate::{Error, dom, format, share, table};
use runlens_core::group::{Group, GroupKey};
use runlens_core::query;

/// The elements the app updates.
pub struct Ui {
    /// `div#rl-explorer`: controls, run page, chart and table.
    pub explorer: Element,
    /// `section#rl-run`, the run page.
    pub run_panel: Element,
    /// `table#rl-runs`.
    pub runs_table: Element,
    /// `input#rl-filter`.
    pub filter: HtmlInputElement,
    /// `#rl-filter-error`.
    pub filter_error: Element,
    /// `select#rl-group`.
    pub group: HtmlSelectElement,
    /// `select#rl-metric`.
    pub metric: HtmlSelectElement,
    /// `select#rl-smoothing`.
    pub smoothing: HtmlSelectElement,
    /// `#rl-count`.
    pub count: Element,
    /// The header row of `table#rl-runs`.
    pub head_row: Element,
    /// The current `tbody` of `table#rl-runs` (replaced on each render).
    pub body: Element,
    /// `#rl-table-note`.
    pub table_note: Element,
    /// `div#rl-chart`.
    pub chart: Element,
    /// `#rl-chart-note`.
    pub chart_note: Element,
}

/// A user action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// New filter text.
    Filter(String),
    /// New grouping spec (`""` for none).
    Group(String),
    /// New metric key.
    Metric(String),
    /// A click on the header of the column with this id.
    Sort(String),
    /// New chart smoothing weight, as the select's text (`0`, `0.9`).
    Smoothing(String),
}

/// Everything the page shows, derived from the data and the controls.
pub struct App {
    document: Document,
    data: Rc<Data>,
    ui: Ui,
    columns: Vec<Column>,
    query_text: String,
    visible: Vec<usize>,
    sort: Option<Sort>,
    group_key: Option<GroupKey>,
    metric: Option<usize>,
    sorted: Vec<usize>,
    groups: Option<Vec<Group>>,
    /// The charted metric and what the chart shows of it.
    plan: Option<(usize, Plan)>,
    chart_generation: u64,
    /// `#rl-error` shows a chart failure (cleared by the next good chart).
    chart_failed: bool,
    /// The view the report's author configured.
    author_view: InitialView,
    /// The run whose page is open.
    open_run: Option<usize>,
    /// Metrics whose best run is marked.
    directions: runlens_core::view::Directions,
    /// The narrative page shown instead of the runs (its slug).
    pub page: Option<String>,
    /// Chart smoothing weight (0: off).
    smoothing: f64,
}

/// The app, shared by event handlers.
pub type Shared = Rc<RefCell<App>>;

impl App {
    /// The decoded data.
    pub fn data(&self) -> Rc<Data> {
        self.data.clone()
    }

    /// The page's document.
    pub fn document(&self) -> Document {
        self.document.clone()
    }

    /// Puts the current view (with the open run and page) into the address's fragment.
    pub fn share(&self) {
        // A browser that refuses to rewrite the address must not break the page.
        let _ = share::write_location(&self.shareable());
    }
}

/// Opens run `row` in the run panel (errors go to `#rl-error`) and puts its id in the
/// address's fragment.
pub fn open_run(app: &Shared, row: usize) {
    let (document, data, panel) = {
        let Ok(mut state) = app.try_borrow_mut() else {
            return;
        };
        if row >= state.data.table.len() {
            return;
        }
        state.open_run = Some(row);
        let _ = share::write_location(&state.shareable());
        (
            state.document.clone(),
            state.data.clone(),
            state.ui.run_panel.clone(),
        )
    };
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(error) = crate::run_panel::open(&document, &data, &panel, row).await {
            dom::show_error(&format!("The run could not be shown: {error}"));
        }
    });
}

/// Closes the run panel and takes the run out of the address's fragment.
pub fn close_run(app: &Shared) {
    let Ok(mut state) = app.try_borrow_mut() else {
        return;
    };
    state.open_run = None;
    crate::run_panel::close(&state.ui.run_panel);
    let _ = share::write_location(&state.shareable());
}

/// Shows the run page `view` names (by id), or closes the page when it names none.
pub fn show_run_of(app: &Shared, view: &InitialView) {
    let row = {
        let state = app.borrow();
        let wanted = view.run.as_deref();
        let row = wanted.and_then(|id| state.data.table.ids.iter().position(|i| i == id));
        if row == state.open_run {
            return;
        }
        row
    };
    match row {
        Some(row) => open_run(app, row),
        None => close_run(app),
    }
}

impl App {
    /// The initial state: every run visible, no sort, no grouping, the default metric;
    /// renders the table.
    pub fn new(
        document: Document,
        data: Rc<Data>,
        ui: Ui,
        author_view: InitialView,
        directions: runlens_core::view::Directions,
    ) -> Result<App, Error> {
        let table = &data.table;
        let mut columns = view::columns(table);
        view::mark_directions(&mut columns, table, &directions);
        let metric = view::default_metric(table);
        let visible = (0..table.len()).collect();
        let mut app = App {
            document,
            data,
            ui,
            columns,
            query_text: String::new(),
            visible,
            sort: None,
            group_key: None,
            metric,
            sorted: Vec::new(),
            groups: None,
            plan: None,
            chart_generation: 0,
            chart_failed: false,
            author_view,
            open_run: None,
            directions,
            page: None,
            smoothing: 0.0,
        };
        table::render_head(&app.document, &app.ui.head_row, &app.columns, None)?;
        app.update_view()?;
        Ok(app)
    }

    /// Shows `view` (the author's view with the address's fragment over it): each part is
    /// set on its control and goes through the same path as a user's change; a part that is
    /// not given returns to its default. A filter that does not parse shows its error as a
    /// typed one would; a group, metric or sort the data does not offer is left unchanged
    /// (the CLI warned about the author's when the report was built).
    pub fn open_with(&mut self, view: &InitialView) -> Result<(), Error> {
        let filter = view.filter.clone().unwrap_or_default();
        self.ui.filter.set_value(&filter);
        self.change(Change::Filter(filter))?;
        let group = view.group.clone().unwrap_or_default();
        if select_offers(&self.ui.group, &group) {
            self.change(Change::Group(group))?;
        }
        if let Some(key) = &view.metric
            && select_offers(&self.ui.metric, key)
        {
            self.change(Change::Metric(key.clone()))?;
        }
        let weight = view.smoothing.unwrap_or(0.0);
        let offered = chart::SMOOTHING_CHOICES
            .iter()
            .find(|&&w| (w - weight).abs() < 1e-9)
            .copied()
            .unwrap_or(0.0);
        self.ui.smoothing.set_value(&offered.to_string());
        self.change(Change::Smoothing(offered.to_string()))?;
        self.sort = view
            .sort
            .as_ref()
            .filter(|column| view::find_column(&self.columns, column).is_some())
            .map(|column| Sort {
                column: column.clone(),
                descending: view.descending,
            });
        table::render_head(
            &self.document,
            &self.ui.head_row,
            &self.columns,
            self.sort.as_ref(),
        )?;
        self.update_view()?;
        Ok(())
    }

    /// The view as the address's fragment should carry it: what differs from nothing, plus
    /// an explicit empty filter or group where the author's view sets one.
    pub fn shareable(&self) -> InitialView {
        let author = &self.author_view;
        let keep = |value: String, authored: &Option<String>| {
            (!value.is_empty() || authored.as_deref().is_some_and(|a| !a.is_empty()))
                .then_some(value)
        };
        InitialView {
            filter: keep(self.query_text.clone(), &author.filter),
            group: keep(
                self.group_key
                    .as_ref()
                    .map(GroupKey::spec)
                    .unwrap_or_default(),
                &author.group,
            ),
            metric: self.metric.map(|m| self.data.table.metrics[m].key.clone()),
            sort: self.sort.as_ref().map(|sort| sort.column.clone()),
            descending: self.sort.as_ref().is_some_and(|sort| sort.descending),
            run: self.open_run.map(|row| self.data.table.ids[row].clone()),
            page: self.page.clone(),
            smoothing: (self.smoothing > 0.0).then_some(self.smoothing),
        }
    }

    /// The author's view (from the report's configuration), under every fragment.
    pub fn author_view(&self) -> &InitialView {
        &self.author_view
    }

    /// Applies `change`; true when the chart must be redrawn.
    fn change(&mut self, change: Change) -> Result<bool, Error> {
        match change {
            Change::Filter(text) => {
                if text == self.query_text {
                    return Ok(false);
                }
                if !self.apply_filter(&text)? {
                    return Ok(false);
                }
                self.query_text = text;
            }
            Change::Group(spec) => self.group_key = GroupKey::parse(&spec),
            Change::Metric(key) => self.metric = self.data.table.metric_index(&key),
            Change::Smoothing(text) => {
                let weight = text.parse::<f64>().unwrap_or(0.0);
                self.smoothing = if (0.0..1.0).contains(&weight) {
                    weight
                } else {
                    0.0
                };
                self.update_view()?;
                // The plan is the same; only the drawing changes.
                return Ok(true);
            }
            Change::Sort(column) => {
                self.sort = Some(Sort::toggled(self.sort.as_ref(), &column));
                table::render_head(
                    &self.document,
                    &self.ui.head_row,
                    &self.columns,
                    self.sort.as_ref(),
                )?;
            }
        }
        self.update_view()
    }

    /// Parses and runs the filter; on a bad query shows why and keeps the previous result.
    /// True when the visible runs were replaced.
    fn apply_filter(&mut self, text: &str) -> Result<bool, Error> {
        let table = &self.data.table;
        let parsed = query::parse(text).and_then(|q| q.check(table).map(|()| q));
        match parsed {
            Err(error) => {
                self.ui
                    .filter_error
                    .set_text_content(Some(&error.to_string()));
                dom::set_hidden(&self.ui.filter_error, false);
                self.ui.filter.set_attribute("aria-invalid", "true")?;
                Ok(false)
            }
            Ok(query) => {
                self.visible = if query.is_empty() {
                    (0..table.len()).collect()
                } else {
                    query.filter(table)
                };
                self.ui.filter_error.set_text_content(None);
                dom::set_hidden(&self.ui.filter_error, true);
                self.ui.filter.remove_attribute("aria-invalid")?;
                Ok(true)
            }
        }
    }

    /// Re-sorts, regroups and re-renders the table and count; true when the chart plan
    /// changed.
    fn update_view(&mut self) -> Result<bool, Error> {
        let table = &self.data.table;
        self.sorted = view::sorted(table, &self.visible, &self.columns, self.sort.as_ref());
        self.groups = self
            .group_key
            .as_ref()
            .map(|key| view::grouped(table, &self.sorted, key, &self.columns, self.sort.as_ref()));
        let plan = self
            .metric
            .map(|m| (m, Plan::new(table, m, &self.sorted, self.groups.as_deref())));
        let changed = plan != self.plan;
        self.plan = plan;
        self.render_table()?;
        Ok(changed)
    }

    fn render_table(&mut self) -> Result<(), Error> {
        let table = &self.data.table;
        let view = view::layout(
            table,
            &self.sorted,
            self.groups.as_deref(),
            &self.columns,
            view::ROW_LIMIT,
        );
        let mut run_colours = HashMap::new();
        let mut group_colours = HashMap::new();
        match self.plan.as_ref().map(|(_, plan)| plan) {
            Some(Plan::Runs { rows, .. }) => {
                run_colours.extend(rows.iter().map(|&row| (row, chart::colour(row, 1.0))));
            }
            Some(Plan::Groups { groups, .. }) => {
                group_colours.extend(
                    groups
                        .iter()
                        .enumerate()
                        .filter(|(_, g)| !g.rows.is_empty())
                        .map(|(i, _)| (i, chart::colour(i, 1.0))),
                );
            }
            None => {}
        }
        let best = view::best_rows(table, &self.columns, &self.visible, &self.directions);
        let body = table::render_body(
            &self.document,
            table,
            &self.columns,
            &view,
            &table::Marks {
                run_colours: &run_colours,
                group_colours: &group_colours,
                best: &best,
            },
        )?;
        self.ui.body.replace_with_with_node_1(&body)?;
        self.ui.body = body;

        self.ui.count.set_text_content(Some(&format!(
            "{} of {}",
            format::count(self.visible.len()),
            format::count_of(table.len(), "run")
        )));
        let note = if view.shown_runs < view.total_runs {
            Some(format!(
                "showing {} of {} — refine the filter to see the others",
                format::count(view.shown_runs),
                format::count_of(view.total_runs, "run")
            ))
        } else if table.is_empty() {
            Some("This report has no runs.".to_string())
        } else if view.total_runs == 0 {
            Some("No run matches the filter.".to_string())
        } else {
            None
        };
        self.ui.table_note.set_text_content(note.as_deref());
        dom::set_hidden(&self.ui.table_note, note.is_none());
        Ok(())
    }
}

/// Applies a user action and redraws what depends on it; errors are shown in the page.
pub fn handle(app: &Shared, change: Change) {
    let needs_chart = {
        let Ok(mut state) = app.try_borrow_mut() else {
            return;
        };
        let redraw = match state.change(change) {
            Ok(redraw) => redraw,
            Err(error) => {
                dom::show_error(&error.to_string());
                false
            }
        };
        // Sharing is a convenience: a browser that refuses to rewrite the address (some
        // sandboxed viewers) must not break the page.
        let _ = share::write_location(&state.shareable());
        redraw
    };
    if needs_chart {
        let app = app.clone();
        wasm_bindgen_futures::spawn_local(async move { redraw(&app).await });
    }
}

/// Shows the view the address's fragment now describes (after the user edited it or
/// followed a link to another view of the same report).
pub fn follow_fragment(app: &Shared) {
    let needs_chart = {
        let Ok(mut state) = app.try_borrow_mut() else {
            return;
        };
        let view =
            share::from_location().map(|fragment| share::overlay(state.author_view(), &fragment));
        let result = view.clone().and_then(|view| state.open_with(&view));
        if let Err(error) = result {
            dom::show_error(&error.to_string());
        }
        drop(state);
        if let Ok(view) = view {
            show_run_of(app, &view);
            crate::pages::follow(app, view.page.as_deref());
        }
        true
    };
    if needs_chart {
        let app = app.clone();
        wasm_bindgen_futures::spawn_local(async move { redraw(&app).await });
    }
}

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

/// Selects `value` in `select` when it is one of its options; false (selection unchanged)
/// otherwise.
fn select_offers(select: &HtmlSelectElement, value: &str) -> bool {
    let previous = select.value();
    select.set_value(value);
    if select.value() == value {
        return true;
    }
    select.set_value(&previous);
    false
}
