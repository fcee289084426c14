//! The app state (filter result, sort, grouping, metric) and the one update path every
//! control goes through: change the state, re-render the table, redraw the chart when what
//! it shows changed.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Range;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlInputElement, HtmlSelectElement};

use crate::chart::{self, BandKind, ChartOptions, Plan, Smoothing, XAxis};
use crate::data::{Data, InitialView};
use crate::view::choice::Choice;
use crate::view::selection::Selection;
use crate::view::window::{self, Scroll};
use crate::view::{self, Column, Item, Sort, TableView};
use crate::{Error, column_menu, compare_panel, dom, format, share, table};
use runlens_core::group::{Group, GroupKey};
use runlens_core::query;

mod draw;

pub(crate) use draw::plotly_react;
pub use draw::redraw;

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
    /// The chart's own controls (x axis, log scales, outliers, band, runs).
    pub chart_controls: ChartControls,
    /// `#rl-count`.
    pub count: Element,
    /// `input#rl-diff-only`: hide columns equal across the visible runs.
    pub diff_only: HtmlInputElement,
    /// `#rl-selection`: the ticked runs' count and actions (hidden when none is ticked).
    pub selection_bar: Element,
    /// `#rl-selected-count`.
    pub selected_count: Element,
    /// `section#rl-compare`, the comparison of the ticked runs.
    pub compare_panel: Element,
    /// The scrolling box around `table#rl-runs`.
    pub table_wrap: Element,
    /// `button#rl-columns-open`.
    pub columns_open: Element,
    /// `#rl-columns`, the column menu (hidden when closed).
    pub columns_menu: Element,
    /// `input#rl-columns-find`.
    pub columns_find: HtmlInputElement,
    /// `ul#rl-columns-list`.
    pub columns_list: Element,
    /// `style#rl-pin-style`: the pinned columns' sticky offsets.
    pub pin_style: Element,
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

/// The controls above the chart.
#[derive(Clone)]
pub struct ChartControls {
    /// `select#rl-x`.
    pub x_axis: HtmlSelectElement,
    /// `input#rl-log-x`.
    pub log_x: HtmlInputElement,
    /// `input#rl-log-y`.
    pub log_y: HtmlInputElement,
    /// `input#rl-outliers`.
    pub outliers: HtmlInputElement,
    /// `select#rl-band` (with groups only).
    pub band: HtmlSelectElement,
    /// `input#rl-show-runs` (with groups only).
    pub show_runs: HtmlInputElement,
    /// The band and show-runs fields, shown only with groups.
    pub group_fields: Vec<Element>,
}

impl ChartControls {
    /// Sets every control to `options`.
    pub fn show(&self, options: &ChartOptions) {
        self.x_axis.set_value(options.x.name());
        self.log_x.set_checked(options.log_x);
        self.log_y.set_checked(options.log_y);
        self.outliers.set_checked(options.ignore_outliers);
        self.band.set_value(options.band.name());
        self.show_runs.set_checked(options.show_runs);
    }

    /// Shows the group-only fields when the table is grouped.
    pub fn grouped(&self, grouped: bool) {
        for field in &self.group_fields {
            dom::set_hidden(field, !grouped);
        }
    }
}

/// A user action.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// New filter text.
    Filter(String),
    /// New grouping spec (`""` for none).
    Group(String),
    /// New metric key.
    Metric(String),
    /// A click on the header of the column with this id.
    Sort(String),
    /// New chart smoothing, as the select's value (`0`, `0.9`, `ma:25`).
    Smoothing(String),
    /// New x axis (`step`, `wall`, `relative`).
    XAxis(String),
    /// Logarithmic x axis on or off.
    LogX(bool),
    /// Logarithmic y axis on or off.
    LogY(bool),
    /// Outlier-proof y range on or off.
    IgnoreOutliers(bool),
    /// New group band (`std`, `sem`, `minmax`).
    Band(String),
    /// Draw groups' runs too, or not.
    ShowRuns(bool),
    /// The chart was zoomed to this x range (axis units), or back out.
    Zoom(Option<(f64, f64)>),
    /// The box of run `row` was clicked and is now `checked`; with `shift`, the runs since
    /// the last clicked one follow.
    Tick {
        /// Table row of the run.
        row: usize,
        /// The box's new state.
        checked: bool,
        /// Shift was held.
        shift: bool,
    },
    /// The header's box: tick or clear every visible run.
    TickAll(bool),
    /// Clear every tick.
    ClearTicks,
    /// Open or close the comparison of the ticked runs.
    Compare(bool),
    /// "Differences only" in the comparison panel.
    CompareDiffOnly(bool),
    /// Hide (or show again) the table's columns equal across the visible runs.
    DiffOnly(bool),
    /// Show or hide the column with this id.
    ShowColumn {
        /// Column id.
        id: String,
        /// Shown after the change.
        show: bool,
    },
    /// Pin or unpin the column with this id.
    PinColumn {
        /// Column id.
        id: String,
        /// Pinned after the change.
        pin: bool,
    },
    /// Move the column with this id `by` places (negative: left).
    MoveColumn {
        /// Column id.
        id: String,
        /// Places to move.
        by: i32,
    },
    /// Back to the default columns.
    ResetColumns,
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
        let mut default_columns = view::columns(table);
        view::mark_directions(&mut default_columns, table, &directions);
        let mut all_columns = view::all_columns(table);
        view::label_directions(&mut all_columns, table, &directions);
        let columns = default_columns.clone();
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
            chart: ChartOptions::default(),
            zoom_listening: false,
            zoom_log_x: false,
            table_view: TableView::default(),
            shown_columns: Vec::new(),
            rendered: 0..0,
            row_height: window::DEFAULT_ROW_HEIGHT,
            selection: Selection::default(),
            compare_open: false,
            compare_diff_only: false,
            diff_only: false,
            all_columns,
            default_columns,
            choice: Choice::default(),
            pinned: 0,
        };
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
        let smoothing = Smoothing::from_view(view.smoothing, view.average).value();
        if !select_offers(&self.ui.smoothing, &smoothing) {
            self.ui.smoothing.set_value("0");
        }
        self.chart = ChartOptions {
            x: view
                .x_axis
                .as_deref()
                .and_then(XAxis::parse)
                .unwrap_or_default(),
            log_x: view.log_x.unwrap_or(false),
            log_y: view.log_y.unwrap_or(false),
            smoothing: Smoothing::parse(&self.ui.smoothing.value()),
            ignore_outliers: view.ignore_outliers.unwrap_or(false),
            band: view
                .band
                .as_deref()
                .and_then(BandKind::parse)
                .unwrap_or_default(),
            show_runs: view.show_runs.unwrap_or(false),
            x_range: None,
        };
        self.ui.chart_controls.show(&self.chart);
        let diff_only = view.diff_only.unwrap_or(false);
        self.ui.diff_only.set_checked(diff_only);
        self.diff_only = diff_only;
        let rows = view
            .selected
            .iter()
            .filter_map(|id| self.data.table.ids.iter().position(|i| i == id));
        self.selection = Selection::of(rows);
        self.compare_open = view.compare;
        self.choice = Choice {
            shown: view.columns.clone(),
            pinned: view.pinned.clone().unwrap_or_default(),
        };
        self.resolve_columns();
        self.sort = view
            .sort
            .as_ref()
            .filter(|column| view::find_column(&self.all_columns, column).is_some())
            .map(|column| Sort {
                column: column.clone(),
                descending: view.descending,
            });
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
            smoothing: match self.chart.smoothing {
                Smoothing::Ema(weight) => Some(weight),
                Smoothing::Off if author.smoothing.is_some() || author.average.is_some() => {
                    Some(0.0)
                }
                _ => None,
            },
            average: match self.chart.smoothing {
                Smoothing::Average(window) => Some(window),
                _ => None,
            },
            x_axis: (self.chart.x != XAxis::Step || author.x_axis.is_some())
                .then(|| self.chart.x.name().to_string()),
            log_x: flag(self.chart.log_x, author.log_x),
            log_y: flag(self.chart.log_y, author.log_y),
            ignore_outliers: flag(self.chart.ignore_outliers, author.ignore_outliers),
            band: (self.chart.band != BandKind::Std || author.band.is_some())
                .then(|| self.chart.band.name().to_string()),
            show_runs: flag(self.chart.show_runs, author.show_runs),
            diff_only: (self.diff_only || author.diff_only.is_some()).then_some(self.diff_only),
            selected: self
                .selection
                .rows()
                .map(|row| self.data.table.ids[row].clone())
                .collect(),
            compare: self.compare_open,
            columns: self.choice.shown.clone(),
            pinned: (!self.choice.pinned.is_empty() || author.pinned.is_some())
                .then(|| self.choice.pinned.clone()),
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
            Change::Group(spec) => {
                self.group_key = GroupKey::parse(&spec);
                self.ui.chart_controls.grouped(self.group_key.is_some());
            }
            Change::Metric(key) => self.metric = self.data.table.metric_index(&key),
            // The plan stays; only the drawing changes.
            Change::Smoothing(value) => {
                self.chart.smoothing = Smoothing::parse(&value);
                return Ok(true);
            }
            Change::XAxis(name) => {
                self.chart.x = XAxis::parse(&name).unwrap_or_default();
                self.chart.x_range = None;
                return Ok(true);
            }
            Change::LogX(on) => {
                self.chart.log_x = on;
                self.chart.x_range = None;
                return Ok(true);
            }
            Change::LogY(on) => {
                self.chart.log_y = on;
                return Ok(true);
            }
            Change::IgnoreOutliers(on) => {
                self.chart.ignore_outliers = on;
                return Ok(true);
            }
            Change::Band(name) => {
                self.chart.band = BandKind::parse(&name).unwrap_or_default();
                return Ok(true);
            }
            Change::ShowRuns(on) => {
                self.chart.show_runs = on;
                return Ok(true);
            }
            Change::Zoom(range) => {
                if range == self.chart.x_range {
                    return Ok(false);
                }
                self.chart.x_range = range;
                return Ok(true);
            }
            Change::Sort(column) => {
                self.sort = Some(Sort::toggled(self.sort.as_ref(), &column));
            }
            Change::Tick {
                row,
                checked,
                shift,
            } => {
                if row >= self.data.table.len() {
                    return Ok(false);
                }
                let order = self.run_order();
                self.selection.click(row, checked, shift, &order);
            }
            Change::TickAll(checked) => {
                let visible = self.visible.clone();
                self.selection.set(&visible, checked);
            }
            Change::ClearTicks => {
                self.selection.clear();
                self.compare_open = false;
            }
            Change::Compare(open) => self.compare_open = open,
            Change::CompareDiffOnly(on) => self.compare_diff_only = on,
            Change::DiffOnly(on) => self.diff_only = on,
            Change::ShowColumn { id, show } => {
                self.choice.show(&id, show, &self.columns);
                self.resolve_columns();
            }
            Change::PinColumn { id, pin } => {
                self.choice.pin(&id, pin, &self.columns);
                self.resolve_columns();
            }
            Change::MoveColumn { id, by } => {
                self.choice.shift(&id, by, &self.columns);
                self.resolve_columns();
            }
            Change::ResetColumns => {
                self.choice.reset();
                self.resolve_columns();
            }
        }
        let redraw = self.update_view()?;
        self.render_column_menu()?;
        Ok(redraw)
    }

    /// Applies the column choice to `columns`.
    fn resolve_columns(&mut self) {
        let resolved = self
            .choice
            .resolve(&self.all_columns, &self.default_columns);
        self.columns = resolved.columns;
        self.pinned = resolved.pinned;
    }

    /// Fills the column menu when it is open.
    pub fn render_column_menu(&self) -> Result<(), Error> {
        if self.ui.columns_menu.has_attribute("hidden") {
            return Ok(());
        }
        column_menu::render(
            &self.document,
            &self.ui.columns_list,
            &self.all_columns,
            &self.columns,
            self.pinned,
            &self.ui.columns_find.value(),
        )
    }

    /// Opens or closes the column menu.
    pub fn toggle_column_menu(&self, open: bool) -> Result<(), Error> {
        dom::set_hidden(&self.ui.columns_menu, !open);
        self.ui
            .columns_open
            .set_attribute("aria-expanded", if open { "true" } else { "false" })?;
        self.render_column_menu()
    }

    /// The runs in display order (without group rows).
    fn run_order(&self) -> Vec<usize> {
        self.table_view
            .items
            .iter()
            .filter_map(|item| match item {
                Item::Run(row) => Some(*row),
                Item::Group { .. } => None,
            })
            .collect()
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
        // Sorting and grouping look columns up among all, so a hidden column still sorts.
        self.sorted = view::sorted(table, &self.visible, &self.all_columns, self.sort.as_ref());
        self.groups = self.group_key.as_ref().map(|key| {
            view::grouped(
                table,
                &self.sorted,
                key,
                &self.all_columns,
                self.sort.as_ref(),
            )
        });
        // Ticked runs the filter keeps are charted alone (without grouping).
        let ticked = self.selection.in_order(&self.sorted);
        let plan = self.metric.map(|m| {
            let plan = if self.groups.is_none() && !ticked.is_empty() {
                Plan::ticked(table, m, &ticked)
            } else {
                Plan::new(table, m, &self.sorted, self.groups.as_deref())
            };
            (m, plan)
        });
        let changed = plan != self.plan;
        self.plan = plan;
        self.render_table()?;
        self.render_selection()?;
        Ok(changed)
    }

    /// Lays the table out again (columns shown, every row) and renders the rows in view.
    fn render_table(&mut self) -> Result<(), Error> {
        let data = self.data.clone();
        let table = &data.table;
        let keep: Vec<bool> = self
            .columns
            .iter()
            .map(|c| {
                !self.diff_only
                    || self.visible.len() < 2
                    || view::varies_over(table, &self.visible, c.kind)
            })
            .collect();
        self.shown_columns = self
            .columns
            .iter()
            .zip(&keep)
            .filter(|(_, keep)| **keep)
            .map(|(c, _)| c.clone())
            .collect();
        let pinned_shown = keep
            .iter()
            .skip(1)
            .take(self.pinned)
            .filter(|k| **k)
            .count();
        table::render_head(
            &self.document,
            &self.ui.head_row,
            &self.shown_columns,
            self.sort.as_ref(),
            true,
        )?;
        table::mark_pinned(&self.ui.head_row, pinned_shown)?;
        self.ui.runs_table.set_attribute(
            "data-hidden-columns",
            &(self.columns.len() - self.shown_columns.len()).to_string(),
        )?;
        self.table_view = view::layout(
            table,
            &self.sorted,
            self.groups.as_deref(),
            &self.shown_columns,
            usize::MAX,
        );
        self.ui.runs_table.set_attribute(
            "aria-rowcount",
            &(self.table_view.items.len() + 1).to_string(),
        )?;
        self.render_rows(true)?;

        self.ui.count.set_text_content(Some(&format!(
            "{} of {}",
            format::count(self.visible.len()),
            format::count_of(table.len(), "run")
        )));
        let note = if table.is_empty() {
            Some("This report has no runs.".to_string())
        } else if self.table_view.total_runs == 0 {
            Some("No run matches the filter.".to_string())
        } else {
            None
        };
        self.ui.table_note.set_text_content(note.as_deref());
        dom::set_hidden(&self.ui.table_note, note.is_none());
        Ok(())
    }

    /// Where the table is scrolled to.
    fn scroll(&self) -> Scroll {
        let head = self.ui.head_row.get_bounding_client_rect().height();
        let wrap = &self.ui.table_wrap;
        Scroll {
            offset: f64::from(wrap.scroll_top()) - head,
            viewport: f64::from(wrap.client_height()) - head,
            row_height: self.row_height,
        }
    }

    /// Renders the rows in view (and a margin) when `force` or when scrolling left the
    /// rendered rows; measures the row height once rows exist and renders again if the
    /// assumed one was off.
    fn render_rows(&mut self, force: bool) -> Result<(), Error> {
        let items = self.table_view.items.len();
        let scroll = self.scroll();
        if !force && !window::needs_render(&self.rendered, &scroll, items) {
            return Ok(());
        }
        let range = scroll.window(items);
        self.render_window(range.clone())?;
        self.rendered = range;
        let measured = self
            .ui
            .body
            .query_selector("tr[data-run-id]")?
            .map(|tr| tr.get_bounding_client_rect().height())
            .filter(|h| *h > 0.0);
        if let Some(height) = measured
            && (height - self.row_height).abs() > 0.5
        {
            self.row_height = height;
            let range = self.scroll().window(items);
            self.render_window(range.clone())?;
            self.rendered = range;
        }
        Ok(())
    }

    fn render_window(&mut self, range: Range<usize>) -> Result<(), Error> {
        let data = self.data.clone();
        let table = &data.table;
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
        let best = view::best_rows(table, &self.shown_columns, &self.visible, &self.directions);
        let body = table::render_body(
            &self.document,
            table,
            &self.shown_columns,
            &self.table_view,
            range,
            self.row_height,
            &table::Marks {
                run_colours: &run_colours,
                group_colours: &group_colours,
                best: &best,
                selection: Some(&self.selection),
            },
        )?;
        self.ui.body.replace_with_with_node_1(&body)?;
        self.ui.body = body;
        self.place_pinned()
    }

    /// Writes the sticky offsets of the pinned columns (after the tick box and the name)
    /// from the header cells' rendered widths.
    fn place_pinned(&self) -> Result<(), Error> {
        let cells = self.ui.head_row.children();
        let pinned = self
            .ui
            .head_row
            .query_selector_all("th.rl-pinned")?
            .length();
        let mut css = String::new();
        let mut left = 0.0;
        for position in 0..(2 + pinned) {
            let Some(cell) = cells.item(position) else {
                break;
            };
            if position >= 2 {
                let child = position + 1;
                css.push_str(&format!(
                    "#rl-runs tr > :nth-child({child}) {{ position: sticky; left: {left:.1}px; z-index: 1; background: var(--surface); }}\n\
                     #rl-runs thead tr > :nth-child({child}) {{ z-index: 3; background: var(--surface-2); }}\n"
                ));
            }
            left += cell.get_bounding_client_rect().width();
        }
        if self
            .ui
            .pin_style
            .text_content()
            .as_deref()
            .unwrap_or_default()
            != css
        {
            self.ui.pin_style.set_text_content(Some(&css));
        }
        Ok(())
    }

    /// Updates the header's tick box, the selection bar and the comparison panel.
    fn render_selection(&mut self) -> Result<(), Error> {
        let ticked_visible = self.selection.count_in(&self.visible);
        if let Some(all) = self
            .document
            .get_element_by_id(table::SELECT_ALL_ID)
            .and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
        {
            all.set_checked(ticked_visible > 0 && ticked_visible == self.visible.len());
            all.set_indeterminate(ticked_visible > 0 && ticked_visible < self.visible.len());
        }
        let ticked = self.selection.len();
        self.ui
            .selected_count
            .set_text_content(Some(&format!("{} ticked", format::count_of(ticked, "run"))));
        dom::set_hidden(&self.ui.selection_bar, self.selection.is_empty());
        if self.compare_open {
            let table = &self.data.table;
            let mut order = self.sorted.clone();
            // Ticked runs the filter hides are compared too, after the visible ones.
            let mut shown = vec![false; table.len()];
            for &row in &self.sorted {
                shown[row] = true;
            }
            order.extend(self.selection.rows().filter(|&row| !shown[row]));
            let rows = self.selection.in_order(&order);
            compare_panel::render(
                &self.document,
                &self.ui.compare_panel,
                table,
                &rows,
                self.compare_diff_only,
            )?;
        } else {
            compare_panel::close(&self.ui.compare_panel);
        }
        Ok(())
    }

    /// The current table as CSV (columns shown, visible runs in display order).
    pub fn table_csv(&self) -> String {
        view::csv::table_csv(&self.data.table, &self.shown_columns, &self.sorted)
    }

    /// The charted metric's key, if any.
    pub fn metric_key(&self) -> Option<&str> {
        self.metric.map(|m| self.data.table.metrics[m].key.as_str())
    }
}

/// The table was scrolled: renders new rows when the rendered ones no longer cover the view.
pub fn scrolled(app: &Shared) {
    let Ok(mut state) = app.try_borrow_mut() else {
        return;
    };
    if let Err(error) = state.render_rows(false) {
        dom::show_error(&error.to_string());
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
