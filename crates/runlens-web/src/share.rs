//! The view in the URL fragment (`#filter=…&group=…&metric=…&sort=…&desc=1&smooth=…&avg=…&x=…&logx=1&logy=1&outliers=1&band=…&runs=1&diff=1&col=…&pin=…&sel=…&compare=1&run=…&page=…`; `docs/config.md`): every change
//! rewrites it (without a new history entry), and a page opened with a fragment starts on
//! that view, so copying the address shares exactly what one sees — in the single file
//! from `file://` as on a static host, since the fragment never reaches a server.

use runlens_core::view::InitialView;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::UrlSearchParams;

use crate::Error;

/// Fragment keys, in the order they are written.
const FILTER: &str = "filter";
const GROUP: &str = "group";
const METRIC: &str = "metric";
const SORT: &str = "sort";
const DESCENDING: &str = "desc";
const RUN: &str = "run";
const PAGE: &str = "page";
const SMOOTH: &str = "smooth";
const DIFF_ONLY: &str = "diff";
const AVERAGE: &str = "avg";
const CHARTS: &str = "charts";
const GROUP2: &str = "group2";
const SEARCH: &str = "q";
/// One `dir=<metric key>:lower|higher` per metric with a direction (one empty `dir=` for
/// none, over the report's).
const DIRECTION: &str = "dir";
/// One `brush=<column id>:<low>:<high>` per brushed axis.
const BRUSH: &str = "brush";
const FOLD: &str = "fold";
const HPARAMS: &str = "hp";
const HP_X: &str = "hx";
const HP_Y: &str = "hy";
const HP_LOG_X: &str = "hlogx";
const HP_LOG_Y: &str = "hlogy";
const X_AXIS: &str = "x";
const LOG_X: &str = "logx";
const LOG_Y: &str = "logy";
const OUTLIERS: &str = "outliers";
const BAND: &str = "band";
const CENTRE: &str = "centre";
const SHOW_RUNS: &str = "runs";
/// One `col=<column id>` per shown column, in order.
const COLUMN: &str = "col";
/// One `pin=<column id>` per pinned column (one empty `pin=` for none, over the author's).
const PIN: &str = "pin";
/// One `sel=<run id>` per ticked run.
const SELECTED: &str = "sel";
const COMPARE: &str = "compare";

/// The view a fragment (with or without its `#`) describes; keys it lacks stay `None`.
pub fn parse(fragment: &str) -> Result<InitialView, Error> {
    let params = UrlSearchParams::new_with_str(fragment.trim_start_matches('#'))?;
    Ok(InitialView {
        filter: params.get(FILTER),
        group: params.get(GROUP),
        metric: params.get(METRIC),
        sort: params.get(SORT),
        descending: params.get(DESCENDING).as_deref() == Some("1"),
        run: params.get(RUN).filter(|id| !id.is_empty()),
        page: params.get(PAGE).filter(|slug| !slug.is_empty()),
        smoothing: params.get(SMOOTH).and_then(|w| w.parse().ok()),
        diff_only: flag(&params, DIFF_ONLY),
        average: params.get(AVERAGE).and_then(|n| n.parse().ok()),
        charts: params.get(CHARTS),
        group2: params.get(GROUP2),
        search: params.get(SEARCH),
        directions: all_of(&params, DIRECTION),
        brushes: all_of(&params, BRUSH).unwrap_or_default(),
        fold: flag(&params, FOLD),
        hparams: flag(&params, HPARAMS),
        hp_x: params.get(HP_X).filter(|c| !c.is_empty()),
        hp_y: params.get(HP_Y).filter(|c| !c.is_empty()),
        hp_log_x: flag(&params, HP_LOG_X),
        hp_log_y: flag(&params, HP_LOG_Y),
        x_axis: params.get(X_AXIS).filter(|x| !x.is_empty()),
        log_x: flag(&params, LOG_X),
        log_y: flag(&params, LOG_Y),
        ignore_outliers: flag(&params, OUTLIERS),
        band: params.get(BAND).filter(|b| !b.is_empty()),
        centre: params.get(CENTRE).filter(|c| !c.is_empty()),
        show_runs: flag(&params, SHOW_RUNS),
        columns: all_of(&params, COLUMN),
        pinned: all_of(&params, PIN),
        selected: params
            .get_all(SELECTED)
            .iter()
            .filter_map(|id| id.as_string())
            .filter(|id| !id.is_empty())
            .collect(),
        compare: params.get(COMPARE).as_deref() == Some("1"),
    })
}

/// A `1`/`0` flag, `None` when the key is absent.
fn flag(params: &UrlSearchParams, key: &str) -> Option<bool> {
    params.get(key).map(|v| v == "1")
}

/// Every non-empty value of the repeated key `key`, or `None` when the key is absent.
fn all_of(params: &UrlSearchParams, key: &str) -> Option<Vec<String>> {
    params.has(key).then(|| {
        params
            .get_all(key)
            .iter()
            .filter_map(|v| v.as_string())
            .filter(|v| !v.is_empty())
            .collect()
    })
}

/// The fragment (without `#`) of `view`. Parts that are `None` are left out; an empty
/// filter or group is written (`filter=`) because it overrides the author's.
pub fn encode(view: &InitialView) -> Result<String, Error> {
    let params = UrlSearchParams::new()?;
    let smoothing = view.smoothing.map(|w| w.to_string());
    let bit = |flag: Option<bool>| flag.map(|on| if on { "1" } else { "0" });
    let average = view.average.map(|n| n.to_string());
    let pairs = [
        (FILTER, view.filter.as_deref()),
        (GROUP, view.group.as_deref()),
        (METRIC, view.metric.as_deref()),
        (SORT, view.sort.as_deref()),
        (
            DESCENDING,
            (view.sort.is_some() && view.descending).then_some("1"),
        ),
        (SMOOTH, smoothing.as_deref()),
        (SEARCH, view.search.as_deref()),
        (GROUP2, view.group2.as_deref()),
        (FOLD, bit(view.fold)),
        (CHARTS, view.charts.as_deref()),
        (HPARAMS, bit(view.hparams)),
        (HP_X, view.hp_x.as_deref()),
        (HP_Y, view.hp_y.as_deref()),
        (HP_LOG_X, bit(view.hp_log_x)),
        (HP_LOG_Y, bit(view.hp_log_y)),
        (AVERAGE, average.as_deref()),
        (X_AXIS, view.x_axis.as_deref()),
        (LOG_X, bit(view.log_x)),
        (LOG_Y, bit(view.log_y)),
        (OUTLIERS, bit(view.ignore_outliers)),
        (BAND, view.band.as_deref()),
        (CENTRE, view.centre.as_deref()),
        (SHOW_RUNS, bit(view.show_runs)),
        (DIFF_ONLY, bit(view.diff_only)),
    ];
    for (key, value) in pairs {
        if let Some(value) = value {
            params.append(key, value);
        }
    }
    for (key, ids) in [
        (COLUMN, &view.columns),
        (PIN, &view.pinned),
        (DIRECTION, &view.directions),
    ] {
        match ids {
            Some(ids) if ids.is_empty() => params.append(key, ""),
            Some(ids) => ids.iter().for_each(|id| params.append(key, id)),
            None => {}
        }
    }
    for brush in &view.brushes {
        params.append(BRUSH, brush);
    }
    for id in &view.selected {
        params.append(SELECTED, id);
    }
    let tail = [
        (COMPARE, view.compare.then_some("1")),
        (RUN, view.run.as_deref()),
        (PAGE, view.page.as_deref()),
    ];
    for (key, value) in tail {
        if let Some(value) = value {
            params.append(key, value);
        }
    }
    Ok(String::from(params.to_string()))
}

/// `base` with every part `over` sets replaced (the fragment wins over the author's view).
pub fn overlay(base: &InitialView, over: &InitialView) -> InitialView {
    InitialView {
        filter: over.filter.clone().or_else(|| base.filter.clone()),
        group: over.group.clone().or_else(|| base.group.clone()),
        metric: over.metric.clone().or_else(|| base.metric.clone()),
        descending: if over.sort.is_some() {
            over.descending
        } else {
            base.descending
        },
        sort: over.sort.clone().or_else(|| base.sort.clone()),
        // Smoothing is one choice: a fragment's weight or window replaces both of the author's.
        smoothing: if over.smoothing.is_some() || over.average.is_some() {
            over.smoothing
        } else {
            base.smoothing
        },
        average: if over.smoothing.is_some() || over.average.is_some() {
            over.average
        } else {
            base.average
        },
        charts: over.charts.clone().or_else(|| base.charts.clone()),
        group2: over.group2.clone().or_else(|| base.group2.clone()),
        search: over.search.clone().or_else(|| base.search.clone()),
        directions: over.directions.clone().or_else(|| base.directions.clone()),
        fold: over.fold.or(base.fold),
        hparams: over.hparams.or(base.hparams),
        hp_x: over.hp_x.clone().or_else(|| base.hp_x.clone()),
        hp_y: over.hp_y.clone().or_else(|| base.hp_y.clone()),
        hp_log_x: over.hp_log_x.or(base.hp_log_x),
        hp_log_y: over.hp_log_y.or(base.hp_log_y),
        x_axis: over.x_axis.clone().or_else(|| base.x_axis.clone()),
        log_x: over.log_x.or(base.log_x),
        log_y: over.log_y.or(base.log_y),
        ignore_outliers: over.ignore_outliers.or(base.ignore_outliers),
        band: over.band.clone().or_else(|| base.band.clone()),
        centre: over.centre.clone().or_else(|| base.centre.clone()),
        show_runs: over.show_runs.or(base.show_runs),
        diff_only: over.diff_only.or(base.diff_only),
        columns: over.columns.clone().or_else(|| base.columns.clone()),
        pinned: over.pinned.clone().or_else(|| base.pinned.clone()),
        // Only a reader's link ticks runs, opens a comparison, a run's page or a narrative
        // page.
        selected: over.selected.clone(),
        brushes: over.brushes.clone(),
        compare: over.compare,
        run: over.run.clone(),
        page: over.page.clone(),
    }
}

/// The current page's fragment as a view.
pub fn from_location() -> Result<InitialView, Error> {
    let window = web_sys::window().ok_or_else(|| Error::new("no window"))?;
    parse(&window.location().hash()?)
}

/// Replaces the address's fragment with `view`'s, without adding a history entry or
/// reloading. Skipped when nothing changed.
pub fn write_location(view: &InitialView) -> Result<(), Error> {
    let window = web_sys::window().ok_or_else(|| Error::new("no window"))?;
    let fragment = encode(view)?;
    let current = window.location().hash()?;
    if current.trim_start_matches('#') == fragment {
        return Ok(());
    }
    // An empty fragment keeps a bare `#` rather than reloading to drop it.
    window.history()?.replace_state_with_url(
        &wasm_bindgen::JsValue::NULL,
        "",
        Some(&format!("#{fragment}")),
    )?;
    Ok(())
}

thread_local! {
    /// The view waiting to be written by [`write_location_soon`].
    static PENDING: std::cell::RefCell<Option<InitialView>> = const { std::cell::RefCell::new(None) };
}

/// Replaces the address's fragment with `view`'s once the page is idle (after the chart an
/// interaction redraws has been painted): `history.replaceState` took 2–20 ms per change
/// (docs/benchmarks.md), on the path of every interaction. Views given meanwhile replace
/// the pending one; the last is written.
pub fn write_location_soon(view: InitialView) {
    let scheduled = PENDING.with(|pending| pending.borrow_mut().replace(view).is_some());
    if scheduled {
        return;
    }
    let write = Closure::once_into_js(|| {
        if let Some(view) = PENDING.with(|pending| pending.borrow_mut().take()) {
            // Sharing is a convenience: a browser that refuses to rewrite the address
            // (some sandboxed viewers) must not break the page.
            let _ = write_location(&view);
        }
    });
    let Some(window) = web_sys::window() else {
        return;
    };
    let options = web_sys::IdleRequestOptions::new();
    // Written within half a second even on a page that is never idle.
    options.set_timeout(500);
    let requested = window
        .request_idle_callback_with_options(write.unchecked_ref(), &options)
        .is_ok()
        || window
            .set_timeout_with_callback(write.unchecked_ref())
            .is_ok();
    if !requested {
        cancel_pending();
    }
}

/// Drops the view [`write_location_soon`] would write: the address now holds a view the
/// reader gave (an edited fragment, a followed link), which must not be overwritten.
pub fn cancel_pending() {
    PENDING.with(|pending| pending.borrow_mut().take());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_prefers_the_fragment_part_by_part() {
        let author = InitialView {
            filter: Some("lr < 0.1".into()),
            group: Some("param:lr".into()),
            sort: Some("name".into()),
            descending: true,
            ..InitialView::default()
        };
        let fragment = InitialView {
            filter: Some("status == failed".into()),
            metric: Some("val/acc".into()),
            ..InitialView::default()
        };
        let view = overlay(&author, &fragment);
        assert_eq!(view.filter.as_deref(), Some("status == failed"));
        assert_eq!(view.group.as_deref(), Some("param:lr"));
        assert_eq!(view.metric.as_deref(), Some("val/acc"));
        assert_eq!(view.sort.as_deref(), Some("name"));
        assert!(
            view.descending,
            "the author's direction goes with the author's sort"
        );
    }
}
