//! The elements the app updates, and the chart's own controls.

use super::*;

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
    /// `input#rl-search`: free text over names, ids and tags.
    pub search: HtmlInputElement,
    /// `#rl-filter-error`.
    pub filter_error: Element,
    /// `select#rl-group`.
    pub group: HtmlSelectElement,
    /// `select#rl-metric`.
    pub metric: HtmlSelectElement,
    /// `select#rl-smoothing`.
    pub smoothing: HtmlSelectElement,
    /// `select#rl-group2`: the second grouping key.
    pub group2: HtmlSelectElement,
    /// `input#rl-fold`: fold small groups.
    pub fold: HtmlInputElement,
    /// The fields shown only when the runs are grouped (then by, fold).
    pub group_extras: Vec<Element>,
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
    /// `input#rl-charts`: the regular expression of the grid's metric keys.
    pub charts_input: HtmlInputElement,
    /// `#rl-charts-error`.
    pub charts_error: Element,
    /// `div#rl-chart-grid`: one small chart per matching metric.
    pub chart_grid: Element,
    /// The hyperparameter panel.
    pub hparams: HparamsUi,
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
    /// `select#rl-centre`: each group's mean or median (with groups only).
    pub centre: HtmlSelectElement,
    /// `select#rl-band` (with groups only).
    pub band: HtmlSelectElement,
    /// `input#rl-show-runs` (with groups only).
    pub show_runs: HtmlInputElement,
    /// The centre, band and show-runs fields, shown only with groups.
    pub group_fields: Vec<Element>,
}

impl ChartControls {
    /// Sets every control to `options`.
    pub fn show(&self, options: &ChartOptions, table: &runlens_core::bundle::RunTable) {
        self.x_axis.set_value(&options.x.value(table));
        self.log_x.set_checked(options.log_x);
        self.log_y.set_checked(options.log_y);
        self.outliers.set_checked(options.ignore_outliers);
        self.centre.set_value(options.centre.name());
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
