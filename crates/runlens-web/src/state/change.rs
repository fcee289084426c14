//! User actions ([`Change`]) and how each changes the app's state.

use super::*;

/// A user action.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// New filter text.
    Filter(String),
    /// New grouping spec (`""` for none).
    Group(String),
    /// A brush on the parallel-coordinate axis of column `column`: keep its values in
    /// `range`, or (`None`) drop the brush.
    Brush {
        /// Column id.
        column: String,
        /// Lowest and highest value kept.
        range: Option<(f64, f64)>,
    },
    /// Drop every brush.
    ClearBrushes,
    /// New free-text search.
    Search(String),
    /// New second grouping spec (`""` for none).
    Group2(String),
    /// Fold small groups into "others", or not.
    FoldGroups(bool),
    /// New metric key.
    Metric(String),
    /// New regular expression of the grid's metric keys (`""`: no grid).
    Charts(String),
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
    /// New group centre line (`mean`, `median`).
    Centre(String),
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
    /// Mark which way metric `key` improves (`None`: no direction).
    Direction {
        /// Metric key.
        key: String,
        /// The new direction.
        direction: Option<runlens_core::view::Direction>,
    },
    /// The hyperparameter panel was opened or closed.
    HparamsOpen(bool),
    /// New x column of the hyperparameter scatter.
    HparamsX(String),
    /// New y column of the hyperparameter scatter.
    HparamsY(String),
    /// Logarithmic x of the hyperparameter scatter.
    HparamsLogX(bool),
    /// Logarithmic y of the hyperparameter scatter.
    HparamsLogY(bool),
}

impl Change {
    /// True for a change of the hyperparameter scatter's own axes: the correlations and
    /// parallel coordinates (which follow the y column and the runs) stay as they are.
    pub fn only_scatter_axes(&self) -> bool {
        matches!(
            self,
            Change::HparamsX(_) | Change::HparamsLogX(_) | Change::HparamsLogY(_)
        )
    }

    /// True for a change of how the metric chart draws (its axes, zoom, smoothing, bands,
    /// grid): the hyperparameter panel, which shows the runs' params and summaries, stays
    /// as it is.
    pub fn only_chart(&self) -> bool {
        matches!(
            self,
            Change::Smoothing(_)
                | Change::XAxis(_)
                | Change::LogX(_)
                | Change::LogY(_)
                | Change::IgnoreOutliers(_)
                | Change::Centre(_)
                | Change::Band(_)
                | Change::ShowRuns(_)
                | Change::Zoom(_)
                | Change::Charts(_)
        )
    }
}

impl App {
    /// Applies `change`; true when the chart must be redrawn.
    pub(super) fn change(&mut self, change: Change) -> Result<bool, Error> {
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
                let grouped = self.group_key.is_some();
                self.ui.chart_controls.grouped(grouped);
                for field in &self.ui.group_extras {
                    dom::set_hidden(field, !grouped);
                }
            }
            Change::Brush { column, range } => {
                self.brushes.retain(|b| b.column != column);
                if let Some((low, high)) = range {
                    self.brushes.push(Brush { column, low, high });
                }
                self.apply_search();
            }
            Change::ClearBrushes => {
                if self.brushes.is_empty() {
                    return Ok(false);
                }
                self.brushes.clear();
                self.apply_search();
            }
            Change::Search(text) => {
                if text == self.search_text {
                    return Ok(false);
                }
                self.search_text = text;
                self.apply_search();
            }
            Change::Group2(spec) => self.group_key2 = GroupKey::parse(&spec),
            Change::FoldGroups(on) => self.fold_groups = on,
            // The table and its column menu show no chart metric: only the plans change
            // (re-rendering the table's rows took a third of switching metrics).
            Change::Metric(key) => {
                self.metric = self.data.table.metric_index(&key);
                return Ok(self.update_plan());
            }
            Change::Charts(pattern) => {
                if pattern == self.charts_pattern || !self.apply_charts(&pattern)? {
                    return Ok(false);
                }
                return Ok(self.update_plan());
            }
            // The plan stays; only the drawing changes.
            Change::Smoothing(value) => {
                self.chart.smoothing = Smoothing::parse(&value);
                return Ok(true);
            }
            Change::XAxis(name) => {
                self.chart.x = XAxis::parse_value(&name, &self.data.table).unwrap_or_default();
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
            Change::Centre(name) => {
                self.chart.centre = Centre::parse(&name).unwrap_or_default();
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
                return self.update_selection();
            }
            Change::TickAll(checked) => {
                let visible = self.visible.clone();
                self.selection.set(&visible, checked);
                return self.update_selection();
            }
            Change::ClearTicks => {
                self.selection.clear();
                self.compare_open = false;
                return self.update_selection();
            }
            Change::Compare(open) => {
                self.compare_open = open;
                return self.update_selection();
            }
            Change::CompareDiffOnly(on) => {
                self.compare_diff_only = on;
                return self.update_selection();
            }
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
            // The panel redraws after every change; nothing else depends on these.
            Change::HparamsOpen(open) => {
                self.hparams.open = open;
                return Ok(false);
            }
            Change::HparamsX(id) => {
                self.hparams.x = Some(id);
                return Ok(false);
            }
            Change::HparamsY(id) => {
                self.hparams.y = Some(id);
                return Ok(false);
            }
            Change::HparamsLogX(on) => {
                self.hparams.log_x = on;
                return Ok(false);
            }
            Change::HparamsLogY(on) => {
                self.hparams.log_y = on;
                return Ok(false);
            }
            Change::Direction { key, direction } => {
                match direction {
                    Some(direction) => self.directions.insert(key, direction),
                    None => self.directions.remove(&key),
                };
                self.rebuild_columns();
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

    /// Compiles the grid's pattern; on a bad one shows why and keeps the previous grid.
    /// True when the pattern was taken.
    pub(super) fn apply_charts(&mut self, pattern: &str) -> Result<bool, Error> {
        let compiled = if pattern.trim().is_empty() {
            Ok(None)
        } else {
            regex_lite::Regex::new(pattern).map(Some)
        };
        match compiled {
            Err(error) => {
                let message = format!("More charts: not a regular expression: {error}");
                self.ui.charts_error.set_text_content(Some(&message));
                dom::set_hidden(&self.ui.charts_error, false);
                self.ui.charts_input.set_attribute("aria-invalid", "true")?;
                Ok(false)
            }
            Ok(regex) => {
                self.charts_regex = regex;
                self.charts_pattern = pattern.to_string();
                self.ui.charts_error.set_text_content(None);
                dom::set_hidden(&self.ui.charts_error, true);
                self.ui.charts_input.remove_attribute("aria-invalid")?;
                Ok(true)
            }
        }
    }

    /// Makes the default and all columns again for the current directions (a direction
    /// adds its summary to the defaults and marks the headers), then applies the choice.
    pub(super) fn rebuild_columns(&mut self) {
        let table = &self.data.table;
        let mut defaults = view::columns(table);
        view::mark_directions(&mut defaults, table, &self.directions);
        let mut all = view::all_columns(table);
        view::label_directions(&mut all, table, &self.directions);
        self.default_columns = defaults;
        self.all_columns = all;
        self.resolve_columns();
    }

    /// Applies the column choice to `columns`.
    pub(super) fn resolve_columns(&mut self) {
        self.add_step_columns();
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
            &self.directions,
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
    pub(super) fn run_order(&self) -> Vec<usize> {
        self.table_view
            .items
            .iter()
            .filter_map(|item| match item {
                Item::Run(row) => Some(*row),
                Item::Group { .. } => None,
            })
            .collect()
    }
}
