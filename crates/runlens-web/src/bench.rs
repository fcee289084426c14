//! Bench-only entry points, not used by the page itself: the browser benchmark
//! (`tests/browser_bench.rs`, `docs/benchmarks.md`) imports them from the page's module to
//! time filter + group + aggregate over the loaded run table without any DOM work, and to
//! hand the same columns to a plain-JavaScript peer. The page also leaves performance
//! marks: `rl-start` (the module runs), `rl-index-decoded`, `rl-table-rendered`, and for each main chart
//! `rl-chart-data` (its series loaded), `rl-figure-built` and `rl-chart-drawn`.

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

/// `performance.now()` in milliseconds (0 without a window).
fn now() -> f64 {
    web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &"performance".into()).ok())
        .and_then(|p| {
            let now = js_sys::Reflect::get(&p, &"now".into()).ok()?;
            now.dyn_ref::<js_sys::Function>()?.call0(&p).ok()?.as_f64()
        })
        .unwrap_or(0.0)
}

/// Bench only: where [`bench_filter_group_aggregate`]'s time goes. Runs each phase
/// `iterations` times and returns the mean milliseconds of: parsing and checking the
/// query, filtering the rows, grouping them, aggregating the groups.
#[wasm_bindgen]
pub fn bench_breakdown(
    filter: &str,
    group: &str,
    metric: &str,
    iterations: u32,
) -> Result<Vec<f64>, JsValue> {
    with_data(|data| {
        let table = &data.table;
        let n = iterations.max(1);
        let timed = |f: &mut dyn FnMut()| {
            let start = now();
            for _ in 0..n {
                f();
            }
            (now() - start) / f64::from(n)
        };
        let mut query = None;
        let parse = timed(&mut || {
            let q = query::parse(filter).ok().filter(|q| q.check(table).is_ok());
            query = Some(q);
        });
        let query = query
            .flatten()
            .ok_or_else(|| format!("bad query {filter}"))?;
        let mut rows = Vec::new();
        let filtering = timed(&mut || rows = query.filter(table));
        let key = GroupKey::parse(group).ok_or_else(|| format!("unknown group key {group}"))?;
        let mut groups = Vec::new();
        let grouping = timed(&mut || groups = group::group_rows(table, &rows, &key));
        let column = table
            .metric_index(metric)
            .map(|m| &table.metrics[m])
            .ok_or_else(|| format!("no metric {metric}"))?;
        let mut sink = 0.0;
        let aggregating = timed(&mut || {
            for g in &groups {
                let values = g
                    .rows
                    .iter()
                    .filter(|&&r| column.count[r] > 0)
                    .map(|&r| column.last[r]);
                sink += group::stats(values).mean;
            }
        });
        std::hint::black_box(sink);
        Ok(vec![parse, filtering, grouping, aggregating])
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
