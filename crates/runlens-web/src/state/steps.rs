//! Values at chosen steps: a table column "loss at step 1000" asks for them, the metric's
//! chunks load (decoded once, cached by [`Data`]), the values fill in and the table is laid
//! out again. Until then the column's cells show a pending mark and the table is
//! `aria-busy`.

use super::*;
use crate::view::{ColumnKind, Stat};

impl App {
    /// Adds to the columns on offer the value-at-step columns the choice, the sort or the
    /// hyperparameter scatter name (they cannot all be listed beforehand: any step may be
    /// chosen), and offers each in the scatter's x and y menus.
    pub(super) fn add_step_columns(&mut self) {
        let table = &self.data.table;
        let named = self
            .choice
            .shown
            .iter()
            .flatten()
            .chain(&self.choice.pinned)
            .chain(self.sort.as_ref().map(|s| &s.column))
            .chain(&self.hparams.x)
            .chain(&self.hparams.y);
        let mut added = false;
        for id in named {
            if view::find_column(&self.all_columns, id).is_none()
                && let Some(column) = view::step_column(table, id)
            {
                self.all_columns.push(column);
                added = true;
            }
        }
        if added {
            view::label_directions(&mut self.all_columns, table, &self.directions);
        }
        self.offer_step_columns_to_the_scatter();
        // Ask for their values now, so the table first shows them pending.
        for column in &self.all_columns {
            if let ColumnKind::Metric {
                index,
                stat: Stat::AtStep(step),
            } = column.kind
                && self.steps.request(index, step)
            {
                self.step_loads.push((index, step));
            }
        }
    }

    /// Puts every value-at-step column into the scatter's x and y menus (once each), and
    /// selects the ones the view names.
    fn offer_step_columns_to_the_scatter(&self) {
        let document = self.document();
        let ui = &self.ui.hparams;
        for column in &self.all_columns {
            if !matches!(
                column.kind,
                ColumnKind::Metric {
                    stat: Stat::AtStep(_),
                    ..
                }
            ) {
                continue;
            }
            for (select, chosen) in [(&ui.x, &self.hparams.x), (&ui.y, &self.hparams.y)] {
                let offered = (0..select.length())
                    .filter_map(|i| select.item(i))
                    .any(|o| o.get_attribute("value").as_deref() == Some(column.id.as_str()));
                if !offered
                    && let Err(error) = crate::page::add_column_option(&document, select, column)
                {
                    dom::show_error(&error.to_string());
                }
                select.set_disabled(false);
                if chosen.as_deref() == Some(column.id.as_str()) {
                    select.set_value(&column.id);
                }
            }
        }
    }

    /// True while a shown value-at-step column is loading.
    pub(super) fn steps_pending(&self) -> bool {
        self.columns.iter().any(|c| match c.kind {
            ColumnKind::Metric {
                index,
                stat: Stat::AtStep(step),
            } => self.steps.is_pending(index, step),
            _ => false,
        })
    }
}

/// Starts loading the values at steps that the columns asked for (see
/// [`App::add_step_columns`]); each fills its column (and re-sorts) when its chunks are in.
pub fn load_steps(app: &Shared) {
    let (requests, data) = {
        let Ok(mut state) = app.try_borrow_mut() else {
            return;
        };
        (std::mem::take(&mut state.step_loads), state.data.clone())
    };
    for (metric, step) in requests {
        let app = app.clone();
        let data = data.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let result = values(&data, metric, step).await;
            let Ok(mut state) = app.try_borrow_mut() else {
                return;
            };
            match result {
                Ok(values) => state.steps.fill(metric, step, values),
                Err(error) => {
                    state.steps.forget(metric, step);
                    dom::show_error(&format!(
                        "The values of {} at step {step} could not be loaded: {error}",
                        data.table.metrics[metric].key
                    ));
                }
            }
            // Brushes may hold the column: filter, sort and lay out again.
            state.apply_search();
            if let Err(error) = state.update_view() {
                dom::show_error(&error.to_string());
            }
        });
    }
}

/// Every run's value of `metric` at `step`, from the metric's chunks.
async fn values(data: &Data, metric: usize, step: i64) -> Result<Vec<f64>, Error> {
    let table = &data.table;
    let mut chunks = Vec::new();
    for &id in &table.metrics[metric].chunks {
        chunks.push(data.chunk(id).await?);
    }
    Ok(view::at_step::values_at_step(
        table.len(),
        chunks.iter().flat_map(|chunk| chunk.iter()),
        step,
    ))
}
