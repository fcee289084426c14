//! The app state (filter result, sort, grouping, metric) and the one update path every
//! control goes through: change the state, re-render the table, redraw the chart when what
//! it shows changed.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Range;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlInputElement, HtmlSelectElement};

use crate::chart::{self, BandKind, Centre, ChartOptions, Plan, Smoothing, XAxis};
use crate::data::{Data, InitialView};
use crate::view::choice::Choice;
use crate::view::column_window::SideScroll;
use crate::view::parcoords::{self, Brush};
use crate::view::search::SearchIndex;
use crate::view::selection::Selection;
use crate::view::window::{self, Scroll};
use crate::view::{self, Column, Item, Sort, TableView};
use crate::{Error, column_menu, compare_panel, dom, format, share, table};
use runlens_core::group::{self, Group, GroupKey};
use runlens_core::query;

mod change;
mod columns;
mod draw;
mod fragment;
mod hparams;
mod keys;
use columns::ColumnLayout;
mod rows;
mod steps;
mod ui;

pub use change::Change;
pub use hparams::{HparamsParts, HparamsUi, HparamsView, draw_hparams};
pub use keys::{table_focused, table_key};
pub use rows::{scrolled, window_resized};
pub use steps::load_steps;
pub use ui::{ChartControls, Ui};

pub use draw::redraw;
pub(crate) use draw::{figure_js, plotly_loading, plotly_react, plotly_relayout, settled};

/// Everything the page shows, derived from the data and the controls.
pub struct App {
    document: Document,
    data: Rc<Data>,
    ui: Ui,
    columns: Vec<Column>,
    query_text: String,
    /// The runs the query matched (before the free-text search).
    matched: Vec<usize>,
    /// The free-text search.
    search_text: String,
    /// Every run's searchable text, gathered on the first search.
    search_index: Option<SearchIndex>,
    /// The runs the query and the search keep (before the brushes).
    searched: Vec<usize>,
    /// Value ranges held on parallel-coordinate axes: a filter over every view.
    brushes: Vec<Brush>,
    visible: Vec<usize>,
    sort: Option<Sort>,
    group_key: Option<GroupKey>,
    /// The second grouping key ("then by"), used only with a first.
    group_key2: Option<GroupKey>,
    /// Small groups are folded into one "others" group.
    fold_groups: bool,
    metric: Option<usize>,
    sorted: Vec<usize>,
    groups: Option<Vec<Group>>,
    /// The charted metric and what the chart shows of it.
    plan: Option<(usize, Plan)>,
    /// The grid's pattern as typed.
    charts_pattern: String,
    /// The grid's pattern compiled (`None`: no grid).
    charts_regex: Option<regex_lite::Regex>,
    /// The grid: a plan per matching metric (the charted one excepted), at most
    /// [`GRID_CAP`].
    grid: Vec<(usize, Plan)>,
    /// Metrics matching the grid's pattern, beyond the charted one.
    grid_matches: usize,
    /// The hyperparameter panel.
    hparams: HparamsView,
    /// The newest drawing of the hyperparameter panel (an older one stops quietly).
    hparams_generation: u64,
    /// The parts of the panel actions asked to redraw since its last drawing began.
    hparams_pending: Option<HparamsParts>,
    /// The newest drawing of the chart (an older one stops quietly).
    chart_generation: u64,
    /// `#rl-error` shows a chart failure (cleared by the next good chart).
    chart_failed: bool,
    /// The view the report's author configured.
    author_view: InitialView,
    /// The run whose page is open.
    open_run: Option<usize>,
    /// Metrics whose best run is marked.
    directions: runlens_core::view::Directions,
    /// The report's directions (`[directions]`), before any set in the page.
    author_directions: runlens_core::view::Directions,
    /// The narrative page shown instead of the runs (its slug).
    pub page: Option<String>,
    /// How the chart draws (axes, smoothing, bands, zoom).
    chart: ChartOptions,
    /// The chart's zoom events are listened to.
    zoom_listening: bool,
    /// The chart's x axis is logarithmic (its zoom events come in log10 units).
    zoom_log_x: bool,
    /// Every row of the table (groups and runs), in display order.
    table_view: TableView,
    /// The columns shown (all of `columns`, or those that vary with "differences only").
    shown_columns: Vec<Column>,
    /// Which of `table_view.items` are rendered.
    rendered: Range<usize>,
    /// Measured height of one table row, in CSS pixels.
    row_height: f64,
    /// Measured height of the table's header row, in CSS pixels (`None` until measured).
    head_height: Option<f64>,
    /// The shown columns' widths and what is in the page of them (see `state::columns`).
    column_layout: ColumnLayout,
    /// The ticked runs.
    selection: Selection,
    /// The comparison panel is open.
    compare_open: bool,
    /// The comparison shows only lines where the runs differ.
    compare_diff_only: bool,
    /// The table hides columns equal across the visible runs.
    diff_only: bool,
    /// Every column the table can show.
    all_columns: Vec<Column>,
    /// The columns shown without a choice (with the directed metrics' summaries).
    default_columns: Vec<Column>,
    /// The reader's choice of columns.
    choice: Choice,
    /// How many columns after the name are pinned.
    pinned: usize,
    /// Metric values at chosen steps, loaded from the metrics' chunks.
    steps: view::StepValues,
    /// Values at steps asked for and not yet being loaded (see [`load_steps`]).
    step_loads: Vec<(usize, i64)>,
    /// A whole view is being set (start-up, a followed fragment): [`App::update_view`]
    /// derives the view without rendering it, and the last call renders once. Each render
    /// lays the page out (it measures rows and header cells), several of them at start-up
    /// cost hundreds of milliseconds with many runs.
    quiet: bool,
    /// The table row (an index into `table_view.items`) the keyboard is on.
    cursor: Option<usize>,
}

/// Groups kept when small ones are folded into "others" (one colour each, the tenth
/// for the others).
pub const FOLD_KEEP: usize = 9;

/// Most charts in the grid.
pub const GRID_CAP: usize = 12;

/// The app, shared by event handlers.
pub type Shared = Rc<RefCell<App>>;

impl App {
    /// The run table with the values at steps loaded so far.
    pub fn cells(&self) -> view::Cells<'_> {
        view::Cells::new(&self.data.table, &self.steps)
    }

    /// True while a run's page is open.
    pub fn run_is_open(&self) -> bool {
        self.open_run.is_some()
    }

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
    let was_open = state.open_run.take().is_some();
    crate::run_panel::close(&state.ui.run_panel);
    let _ = share::write_location(&state.shareable());
    // Back to the row the run was opened from.
    if was_open {
        state.focus_cursor();
    }
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
    /// renders nothing yet ([`App::open_with`] shows the first view).
    pub fn new(
        document: Document,
        data: Rc<Data>,
        ui: Ui,
        author_view: InitialView,
        directions: runlens_core::view::Directions,
    ) -> Result<App, Error> {
        let table = &data.table;
        let mut default_columns = view::columns(table);
        view::mark_directions(&mut default_columns, table, &directions);
        let mut all_columns = view::all_columns(table);
        view::label_directions(&mut all_columns, table, &directions);
        let columns = default_columns.clone();
        let metric = view::default_metric(table);
        let visible: Vec<usize> = (0..table.len()).collect();
        let mut app = App {
            document,
            data,
            ui,
            columns,
            query_text: String::new(),
            matched: visible.clone(),
            search_text: String::new(),
            search_index: None,
            searched: visible.clone(),
            brushes: Vec::new(),
            visible,
            sort: None,
            group_key: None,
            group_key2: None,
            fold_groups: false,
            metric,
            sorted: Vec::new(),
            groups: None,
            plan: None,
            charts_pattern: String::new(),
            charts_regex: None,
            grid: Vec::new(),
            grid_matches: 0,
            hparams: HparamsView::default(),
            hparams_generation: 0,
            hparams_pending: None,
            chart_generation: 0,
            chart_failed: false,
            author_view,
            open_run: None,
            author_directions: directions.clone(),
            directions,
            page: None,
            chart: ChartOptions::default(),
            zoom_listening: false,
            zoom_log_x: false,
            table_view: TableView::default(),
            shown_columns: Vec::new(),
            rendered: 0..0,
            row_height: window::DEFAULT_ROW_HEIGHT,
            head_height: None,
            column_layout: ColumnLayout::default(),
            selection: Selection::default(),
            compare_open: false,
            compare_diff_only: false,
            diff_only: false,
            all_columns,
            default_columns,
            choice: Choice::default(),
            pinned: 0,
            steps: view::StepValues::new(),
            step_loads: Vec::new(),
            cursor: None,
            quiet: true,
        };
        app.update_view()?;
        app.quiet = false;
        Ok(app)
    }

    /// Parses and runs the filter; on a bad query shows why and keeps the previous result.
    /// True when the visible runs were replaced.
    pub(super) fn apply_filter(&mut self, text: &str) -> Result<bool, Error> {
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
                self.matched = if query.is_empty() {
                    (0..table.len()).collect()
                } else {
                    query.filter(table)
                };
                self.apply_search();
                self.ui.filter_error.set_text_content(None);
                dom::set_hidden(&self.ui.filter_error, true);
                self.ui.filter.remove_attribute("aria-invalid")?;
                Ok(true)
            }
        }
    }

    /// The runs the query matched, narrowed by the free-text search.
    /// (That is, the runs the query matched, narrowed by the free-text search and then by
    /// the brushes.)
    pub(super) fn apply_search(&mut self) {
        self.searched = if self.search_text.trim().is_empty() {
            self.matched.clone()
        } else {
            let index = self
                .search_index
                .get_or_insert_with(|| SearchIndex::new(&self.data.table));
            index.filter(&self.matched, &self.search_text)
        };
        self.visible = parcoords::brushed(
            view::Cells::new(&self.data.table, &self.steps),
            &self.all_columns,
            &self.searched,
            &self.brushes,
        );
    }

    /// Re-sorts, regroups and re-renders the table and count; true when the chart plan
    /// changed.
    pub(super) fn update_view(&mut self) -> Result<bool, Error> {
        let table = view::Cells::new(&self.data.table, &self.steps);
        // Sorting and grouping look columns up among all, so a hidden column still sorts.
        self.sorted = view::sorted(table, &self.visible, &self.all_columns, self.sort.as_ref());
        let keys: Vec<GroupKey> = self
            .group_key
            .iter()
            .chain(self.group_key2.iter().filter(|_| self.group_key.is_some()))
            .cloned()
            .collect();
        self.groups = (!keys.is_empty()).then(|| {
            let groups = view::grouped(
                table,
                &self.sorted,
                &keys,
                &self.all_columns,
                self.sort.as_ref(),
            );
            if self.fold_groups {
                group::fold_small_groups(groups, FOLD_KEEP)
            } else {
                groups
            }
        });
        let changed = self.update_plan();
        if self.quiet {
            return Ok(changed);
        }
        self.render_table()?;
        self.render_selection()?;
        Ok(changed)
    }

    /// Plans the chart and the grid's charts again for the sorted and grouped runs; true
    /// when a plan changed.
    pub(super) fn update_plan(&mut self) -> bool {
        let table = view::Cells::new(&self.data.table, &self.steps);
        // Ticked runs the filter keeps are charted alone (without grouping).
        let ticked = self.selection.in_order(&self.sorted);
        let plan_of = |m: usize| {
            if self.groups.is_none() && !ticked.is_empty() {
                Plan::ticked(&table, m, &ticked)
            } else {
                Plan::new(&table, m, &self.sorted, self.groups.as_deref())
            }
        };
        let plan = self.metric.map(|m| (m, plan_of(m)));
        let matching: Vec<usize> = match &self.charts_regex {
            Some(regex) => (0..table.metrics.len())
                .filter(|&m| Some(m) != self.metric && regex.is_match(&table.metrics[m].key))
                .collect(),
            None => Vec::new(),
        };
        let grid: Vec<(usize, Plan)> = matching
            .iter()
            .take(GRID_CAP)
            .map(|&m| (m, plan_of(m)))
            .collect();
        let changed = plan != self.plan || grid != self.grid;
        self.plan = plan;
        self.grid = grid;
        self.grid_matches = matching.len();
        changed
    }
}

/// Applies a user action and redraws what depends on it; errors are shown in the page.
pub fn handle(app: &Shared, change: Change) {
    let parts = if change.only_chart() {
        None
    } else if change.only_scatter_axes() {
        Some(HparamsParts::Scatter)
    } else {
        Some(HparamsParts::All)
    };
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
        share::write_location_soon(state.shareable());
        redraw
    };
    load_steps(app);
    // The charts after the frame that shows the table: it answers the action first.
    if needs_chart {
        draw::redraw_after_paint(app);
    }
    if let Some(parts) = parts {
        hparams::draw_hparams_after_paint(app, parts);
    }
}

/// Gathers the free-text search's text of every run when the page is idle after starting,
/// so that the first search does not (a few milliseconds per 10,000 runs).
pub fn prepare_search_when_idle(app: &Shared) {
    let app = app.clone();
    let prepare = wasm_bindgen::closure::Closure::once_into_js(move || {
        if let Ok(mut state) = app.try_borrow_mut() {
            let state = &mut *state;
            state
                .search_index
                .get_or_insert_with(|| SearchIndex::new(&state.data.table));
        }
    });
    if let Some(window) = web_sys::window() {
        let _ = window.request_idle_callback(prepare.unchecked_ref());
    }
}

/// Draws the chart, its grid and the hyperparameter panel again, and gives the other
/// charts (a run's page, narrative pages) the theme's colours: after the view changed as
/// a whole, or the system's theme (the page's colours follow by CSS alone; plotly's
/// figures and the canvases carry theirs).
pub fn redraw_charts(app: &Shared) {
    let app = app.clone();
    wasm_bindgen_futures::spawn_local(async move {
        redraw(&app).await;
        draw_hparams(&app, HparamsParts::All).await;
        draw::retheme_other_charts().await;
    });
}

/// Shows the view the address's fragment now describes (after the user edited it or
/// followed a link to another view of the same report).
pub fn follow_fragment(app: &Shared) {
    share::cancel_pending();
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
    load_steps(app);
    redraw_charts(app);
}

/// A flag for the fragment: written when on, or when the author's view sets it.
fn flag(value: bool, authored: Option<bool>) -> Option<bool> {
    (value || authored.is_some()).then_some(value)
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
