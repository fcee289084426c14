//! Bench-only entry points, not used by the page itself: the browser benchmark
//! (`tests/browser_bench.rs`, `docs/benchmarks.md`) imports them from the page's module to
//! time filter + group + aggregate over the loaded run table without any DOM work, and to
//! hand the same columns to a plain-JavaScript peer. The page also leaves a
//! `performance.mark("rl-chart-drawn")` after each main chart it draws.

use std::cell::RefCell;
use std::rc::Rc;

use runlens_core::bundle::ParamCell;
use runlens_core::group::{self, GroupKey};
use runlens_core::model::ParamValue;
use runlens_core::query;
use wasm_bindgen::prelude::*;

use crate::data::Data;

thread_local! {
    /// The data of the running page (set once it has loaded).
    static DATA: RefCell<Option<Rc<Data>>> = const { RefCell::new(None) };
}

/// Makes the page's data reachable from the bench entry points.
pub(crate) fn install(data: Rc<Data>) {
    DATA.with(|slot| *slot.borrow_mut() = Some(data));
}

/// `performance.mark(name)`, if the browser has it.
pub(crate) fn mark(name: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Ok(performance) = js_sys::Reflect::get(&window, &"performance".into()) else {
        return;
    };
    if let Ok(mark) = js_sys::Reflect::get(&performance, &"mark".into())
        && let Some(mark) = mark.dyn_ref::<js_sys::Function>()
    {
        let _ = mark.call1(&performance, &name.into());
    }
}

fn with_data<T>(f: impl FnOnce(&Data) -> Result<T, String>) -> Result<T, JsValue> {
    DATA.with(|slot| match slot.borrow().as_deref() {
        Some(data) => f(data).map_err(|e| JsValue::from(js_sys::Error::new(&e))),
        None => Err(js_sys::Error::new("the report has not loaded yet").into()),
    })
}

/// Bench only: filters the runs with `filter` (the query language), groups the matches by
/// `group` (`param:optimizer`, `tag:team`, `status`, ...) and aggregates the last value of
/// metric `metric` per group, as the table's group rows do. Returns, per group in order,
/// its run count and the mean of its finite last values.
#[wasm_bindgen]
pub fn bench_filter_group_aggregate(
    filter: &str,
    group: &str,
    metric: &str,
) -> Result<Vec<f64>, JsValue> {
    with_data(|data| {
        let table = &data.table;
        let query = query::parse(filter).map_err(|e| e.to_string())?;
        query.check(table).map_err(|e| e.to_string())?;
        let rows: Vec<usize> = if query.is_empty() {
            (0..table.len()).collect()
        } else {
            query.filter(table)
        };
        let key = GroupKey::parse(group).ok_or_else(|| format!("unknown group key {group}"))?;
        let column = table
            .metric_index(metric)
            .map(|m| &table.metrics[m])
            .ok_or_else(|| format!("no metric {metric}"))?;
        let mut out = Vec::new();
        for g in group::group_rows(table, &rows, &key) {
            let values = g
                .rows
                .iter()
                .filter(|&&r| column.count[r] > 0)
                .map(|&r| column.last[r]);
            let stats = group::stats(values);
            out.extend([g.rows.len() as f64, stats.mean]);
        }
        Ok(out)
    })
}

/// Bench only: the columns the plain-JavaScript peer works on: `x`, param `param` as
/// numbers (NaN when absent or not a number); `g`, the text of param `group_param` (null
/// when absent); `m`, the last value of metric `metric` (NaN when the run has none).
#[wasm_bindgen]
pub fn bench_columns(param: &str, group_param: &str, metric: &str) -> Result<JsValue, JsValue> {
    with_data(|data| {
        let table = &data.table;
        let param_column = |key: &str| {
            table
                .param_index(key)
                .map(|i| &table.params[i])
                .ok_or_else(|| format!("no param {key}"))
        };
        let (x_column, g_column) = (param_column(param)?, param_column(group_param)?);
        let x: Vec<f64> = x_column
            .cells
            .iter()
            .map(|c| match c {
                Some(ParamCell::Int(i)) => *i as f64,
                Some(ParamCell::Float(x)) => *x,
                _ => f64::NAN,
            })
            .collect();
        let g = js_sys::Array::new();
        for cell in &g_column.cells {
            g.push(&match cell {
                Some(ParamCell::Text(text)) => JsValue::from(text.as_str()),
                Some(cell) => JsValue::from(ParamValue::from(cell).to_string()),
                None => JsValue::NULL,
            });
        }
        let column = table
            .metric_index(metric)
            .map(|m| &table.metrics[m])
            .ok_or_else(|| format!("no metric {metric}"))?;
        let m: Vec<f64> = (0..table.len())
            .map(|r| {
                if column.count[r] > 0 {
                    column.last[r]
                } else {
                    f64::NAN
                }
            })
            .collect();
        let out = js_sys::Object::new();
        let set = |k: &str, v: &JsValue| js_sys::Reflect::set(&out, &k.into(), v).map(|_| ());
        set("x", &js_sys::Float64Array::from(x.as_slice()).into())
            .and_then(|()| set("g", &g.into()))
            .and_then(|()| set("m", &js_sys::Float64Array::from(m.as_slice()).into()))
            .map_err(|_| "cannot build the columns".to_string())?;
        Ok(out.into())
    })
}
