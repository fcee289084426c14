//! The runs table in the page: columns shown (with "differences only"), the rows in view
//! rendered as the table scrolls, pinned columns' offsets, ticks and the comparison panel.

use super::*;

impl App {
    /// Lays the table out again (columns shown, every row) and renders the rows in view.
    pub(super) fn render_table(&mut self) -> Result<(), Error> {
        // Read before the header is rebuilt: reading after would lay the page out twice.
        let scroll = self.scroll();
        let side_offset = f64::from(self.ui.table_wrap.scroll_left());
        let view_width = f64::from(self.ui.table_wrap.client_width());
        let data = self.data.clone();
        let table = view::Cells::new(&data.table, &self.steps);
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
        self.ui.runs_table.set_attribute(
            "data-hidden-columns",
            &(self.columns.len() - self.shown_columns.len()).to_string(),
        )?;
        if self.steps_pending() {
            self.ui.runs_table.set_attribute("aria-busy", "true")?;
        } else {
            self.ui.runs_table.remove_attribute("aria-busy")?;
        }
        self.table_view = view::layout(
            view::Cells::new(&data.table, &self.steps),
            &self.sorted,
            self.groups.as_deref(),
            &self.shown_columns,
            usize::MAX,
        );
        self.ui.runs_table.set_attribute(
            "aria-rowcount",
            &(self.table_view.items.len() + 1).to_string(),
        )?;
        self.measure_columns(view_width);
        let side = self.side_at(side_offset, view_width);
        self.render_rows_at(scroll, side, true)?;
        let table = &data.table;
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

    /// Where the table is scrolled to. Reading it lays the page out when the DOM changed
    /// since the last layout, so it is read before changes, not after.
    pub(super) fn scroll(&self) -> Scroll {
        let head = self.head_row_height();
        let wrap = &self.ui.table_wrap;
        Scroll {
            offset: f64::from(wrap.scroll_top()) - head,
            viewport: f64::from(wrap.client_height()) - head,
            row_height: self.row_height,
        }
    }

    /// Renders the rows and columns in view (and a margin) when `force` or when scrolling
    /// left the rendered ones. See [`App::render_rows_at`].
    pub(super) fn render_rows(&mut self, force: bool) -> Result<(), Error> {
        let scroll = self.scroll();
        let side = self.side_scroll();
        self.render_rows_at(scroll, side, force)
    }

    /// [`App::render_rows`] with the table scrolled to `scroll` and `side`. The header's and
    /// a row's heights and a character's width are measured after the first render (and
    /// after the window was resized; cells never wrap, so nothing else changes them) and the
    /// table is rendered again if the assumed ones were off: the other renders force no
    /// layout of the page.
    pub(super) fn render_rows_at(
        &mut self,
        scroll: Scroll,
        side: SideScroll,
        force: bool,
    ) -> Result<(), Error> {
        let items = self.table_view.items.len();
        let columns = force || self.columns_stale(&side);
        if !columns && !window::needs_render(&self.rendered, &scroll, items) {
            return Ok(());
        }
        if columns {
            self.render_head_cells(side)?;
        }
        let range = scroll.window(items);
        self.render_window(range.clone())?;
        self.rendered = range;
        if self.head_height.is_some() {
            return Ok(());
        }
        // One layout for the three measures: the probe is in before the first is read.
        let probe = dom::text_element(
            &self.document,
            "span",
            "rl-probe rl-num",
            &"0".repeat(columns::PROBE_CHARS),
        )?;
        self.ui.table_wrap.append_child(&probe)?;
        let measured = self
            .ui
            .body
            .query_selector("tr[data-run-id]")?
            .map(|tr| tr.get_bounding_client_rect().height())
            .filter(|h| *h > 0.0);
        let probe_width = probe.get_bounding_client_rect().width();
        probe.remove();
        let Some(height) = measured else {
            // Nothing laid out yet (no rows, or the table is hidden): measure next time.
            return Ok(());
        };
        let head = self.ui.head_row.get_bounding_client_rect().height();
        self.head_height = Some(head);
        let char_width_changed = self.measure_char_width(probe_width);
        if char_width_changed {
            let view_width = f64::from(self.ui.table_wrap.client_width());
            self.measure_columns(view_width);
        }
        if (height - self.row_height).abs() > 0.5 || char_width_changed {
            self.row_height = height;
            let scroll = self.scroll();
            let side = self.side_scroll();
            if char_width_changed {
                self.render_head_cells(side)?;
            }
            let range = scroll.window(items);
            self.render_window(range.clone())?;
            self.rendered = range;
        }
        Ok(())
    }

    /// The header row's height: as measured once, else measured now.
    pub(super) fn head_row_height(&self) -> f64 {
        self.head_height
            .unwrap_or_else(|| self.ui.head_row.get_bounding_client_rect().height())
    }

    /// Forgets the measured header and row heights (the window was resized: a media query
    /// may have changed them); the next render measures them again.
    pub(super) fn forget_row_heights(&mut self) {
        self.head_height = None;
    }

    /// The chart colours of the charted runs (by row) and groups (by index).
    fn chart_colours(&self) -> (HashMap<usize, String>, HashMap<usize, String>) {
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
        (run_colours, group_colours)
    }

    /// After the ticks changed: plans the charts again (ticked runs are charted alone) and
    /// updates the rendered rows' ticks and colours in place, the tick-all box, the
    /// selection bar and the comparison; true when a plan changed. The rows stay as they
    /// are: their order, cells and groups do not depend on the ticks.
    pub(super) fn update_selection(&mut self) -> Result<bool, Error> {
        let changed = self.update_plan();
        if self.quiet {
            return Ok(changed);
        }
        let (run_colours, _) = self.chart_colours();
        table::refresh_marks(&self.document, &self.ui.body, &run_colours, &self.selection)?;
        self.render_selection()?;
        Ok(changed)
    }

    pub(super) fn render_window(&mut self, range: Range<usize>) -> Result<(), Error> {
        let data = self.data.clone();
        let table = view::Cells::new(&data.table, &self.steps);
        let (run_colours, group_colours) = self.chart_colours();
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
            Some(&self.columns_in_page()),
        )?;
        // A focused row (or its tick box) is replaced: focus the new one, or the table.
        let had_focus = self
            .document
            .active_element()
            .is_some_and(|e| self.ui.body.contains(Some(&e)));
        self.ui.body.replace_with_with_node_1(&body)?;
        self.ui.body = body;
        if had_focus
            && !self.focus_cursor()
            && let Some(wrap) = self.ui.table_wrap.dyn_ref::<web_sys::HtmlElement>()
        {
            let _ = wrap.focus();
        }
        Ok(())
    }

    /// Updates the header's tick box, the selection bar and the comparison panel.
    pub(super) fn render_selection(&mut self) -> Result<(), Error> {
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
        view::csv::table_csv(self.cells(), &self.shown_columns, &self.sorted)
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

/// The window was resized: measures the table's header and rows again and renders the rows
/// in view.
pub fn window_resized(app: &Shared) {
    let Ok(mut state) = app.try_borrow_mut() else {
        return;
    };
    state.forget_row_heights();
    let view_width = f64::from(state.ui.table_wrap.client_width());
    state.measure_columns(view_width);
    if let Err(error) = state.render_rows(true) {
        dom::show_error(&error.to_string());
    }
}
