//! The view as the address's fragment carries it: opening a view (the author's, with the
//! fragment over it) and writing the current one back.

use super::*;

impl App {
    /// Shows `view` (the author's view with the address's fragment over it): each part is
    /// set on its control and goes through the same path as a user's change; a part that is
    /// not given returns to its default. A filter that does not parse shows its error as a
    /// typed one would; a group, metric or sort the data does not offer is left unchanged
    /// (the CLI warned about the author's when the report was built).
    pub fn open_with(&mut self, view: &InitialView) -> Result<(), Error> {
        // Each part goes through `change`; only the last `update_view` renders.
        self.quiet = true;
        let set = self.set_view(view);
        self.quiet = false;
        set?;
        self.update_view()?;
        Ok(())
    }

    /// Sets every part of `view` (see [`App::open_with`]) without rendering.
    fn set_view(&mut self, view: &InitialView) -> Result<(), Error> {
        let filter = view.filter.clone().unwrap_or_default();
        self.ui.filter.set_value(&filter);
        self.change(Change::Filter(filter))?;
        self.brushes = view
            .brushes
            .iter()
            .filter_map(|b| Brush::parse(b))
            .collect();
        let search = view.search.clone().unwrap_or_default();
        self.ui.search.set_value(&search);
        self.change(Change::Search(search))?;
        let group = view.group.clone().unwrap_or_default();
        if select_offers(&self.ui.group, &group) {
            self.change(Change::Group(group))?;
        }
        let group2 = view.group2.clone().unwrap_or_default();
        if !select_offers(&self.ui.group2, &group2) {
            self.ui.group2.set_value("");
        }
        self.group_key2 = GroupKey::parse(&self.ui.group2.value());
        self.fold_groups = view.fold.unwrap_or(false);
        self.ui.fold.set_checked(self.fold_groups);
        if let Some(key) = &view.metric
            && select_offers(&self.ui.metric, key)
        {
            self.change(Change::Metric(key.clone()))?;
        }
        self.hparams = HparamsView {
            open: view.hparams.unwrap_or(false),
            x: view.hp_x.clone(),
            y: view.hp_y.clone(),
            log_x: view.hp_log_x.unwrap_or(false),
            log_y: view.hp_log_y.unwrap_or(false),
        };
        self.ui.hparams.show(&self.hparams);
        let charts = view.charts.clone().unwrap_or_default();
        self.ui.charts_input.set_value(&charts);
        if !self.apply_charts(&charts)? {
            self.apply_charts("")?;
        }
        let smoothing = Smoothing::from_view(view.smoothing, view.average).value();
        if !select_offers(&self.ui.smoothing, &smoothing) {
            self.ui.smoothing.set_value("0");
        }
        self.chart = ChartOptions {
            x: view
                .x_axis
                .as_deref()
                .and_then(|x| XAxis::parse_value(x, &self.data.table))
                .unwrap_or_default(),
            log_x: view.log_x.unwrap_or(false),
            log_y: view.log_y.unwrap_or(false),
            smoothing: Smoothing::parse(&self.ui.smoothing.value()),
            ignore_outliers: view.ignore_outliers.unwrap_or(false),
            centre: view
                .centre
                .as_deref()
                .and_then(Centre::parse)
                .unwrap_or_default(),
            band: view
                .band
                .as_deref()
                .and_then(BandKind::parse)
                .unwrap_or_default(),
            show_runs: view.show_runs.unwrap_or(false),
            x_range: None,
            compact: false,
            width: None,
        };
        self.ui.chart_controls.show(&self.chart, &self.data.table);
        let diff_only = view.diff_only.unwrap_or(false);
        self.ui.diff_only.set_checked(diff_only);
        self.diff_only = diff_only;
        let rows = view
            .selected
            .iter()
            .filter_map(|id| self.data.table.ids.iter().position(|i| i == id));
        self.selection = Selection::of(rows);
        self.compare_open = view.compare;
        self.directions = match &view.directions {
            Some(marks) => marks
                .iter()
                .filter_map(|mark| {
                    let (key, name) = mark.rsplit_once(':')?;
                    Some((key.to_string(), runlens_core::view::Direction::parse(name)?))
                })
                .collect(),
            None => self.author_directions.clone(),
        };
        self.rebuild_columns();
        self.choice = Choice {
            shown: view.columns.clone(),
            pinned: view.pinned.clone().unwrap_or_default(),
        };
        self.sort = view.sort.as_ref().map(|column| Sort {
            column: column.clone(),
            descending: view.descending,
        });
        // Resolving offers the value-at-step columns the choice and the sort name.
        self.resolve_columns();
        self.sort = self
            .sort
            .take()
            .filter(|sort| view::find_column(&self.all_columns, &sort.column).is_some());
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
            brushes: self.brushes.iter().map(Brush::encode).collect(),
            directions: (self.directions != self.author_directions).then(|| {
                self.directions
                    .iter()
                    .map(|(key, direction)| format!("{key}:{}", direction.name()))
                    .collect()
            }),
            search: (!self.search_text.is_empty() || author.search.is_some())
                .then(|| self.search_text.clone()),
            group2: self
                .group_key2
                .as_ref()
                .filter(|_| self.group_key.is_some())
                .map(GroupKey::spec)
                .or_else(|| author.group2.as_ref().map(|_| String::new())),
            fold: flag(self.fold_groups, author.fold),
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
            hparams: flag(self.hparams.open, author.hparams),
            hp_x: self.hparams.x.clone(),
            hp_y: self.hparams.y.clone(),
            hp_log_x: flag(self.hparams.log_x, author.hp_log_x),
            hp_log_y: flag(self.hparams.log_y, author.hp_log_y),
            charts: (!self.charts_pattern.is_empty() || author.charts.is_some())
                .then(|| self.charts_pattern.clone()),
            average: match self.chart.smoothing {
                Smoothing::Average(window) => Some(window),
                _ => None,
            },
            x_axis: (self.chart.x != XAxis::Step || author.x_axis.is_some())
                .then(|| self.chart.x.value(&self.data.table)),
            log_x: flag(self.chart.log_x, author.log_x),
            log_y: flag(self.chart.log_y, author.log_y),
            ignore_outliers: flag(self.chart.ignore_outliers, author.ignore_outliers),
            band: (self.chart.band != BandKind::Std || author.band.is_some())
                .then(|| self.chart.band.name().to_string()),
            centre: (self.chart.centre != Centre::Mean || author.centre.is_some())
                .then(|| self.chart.centre.name().to_string()),
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
}
