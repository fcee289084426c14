//! The explorer in real headless Chromium, continued: a metric's value at a chosen step as a
//! table column (loaded on demand, sorted, marked best, shared, exported), group lines
//! through the median, the runs table from the keyboard with visible focus, charts that
//! fit their panels on a phone and a desktop in both themes, one colour per run or group
//! in every chart, long curves that keep their spike, hover labels and the PNG download.
//!
//! With `RUNLENS_SCREENSHOTS=<folder>` the layout test also saves PNGs of the main views
//! (light, dark, phone) to look at.

mod support;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use fantoccini::key::Key;
use serde_json::{Value, json};
use support::browser::{Browser, Scripts};
use support::{file_url, runlens};

/// Writes a JSONL log of `runs` runs (`run-000`, ...): `opt` alternates adam/sgd, `lr`
/// cycles 0.1/0.01/0.001; `loss` is logged every 100 steps up to 500 (run 1 only from
/// step 300): `(5i mod 6) + step/1000` before step 500, then `10 - i mod 10` (100 for
/// run 4, a wild run); `acc` is `1 - loss/200`.
fn write_runs(dir: &Path, runs: usize) -> PathBuf {
    let mut text = String::new();
    for i in 0..runs {
        let id = format!("run-{i:03}");
        let line = |text: &mut String, value: Value| {
            let _ = writeln!(text, "{value}");
        };
        line(
            &mut text,
            json!({"type": "run", "run": id, "name": id, "experiment": "e", "status": "finished"}),
        );
        let opt = ["adam", "sgd"][i % 2];
        let lr = [0.1, 0.01, 0.001][i % 3];
        line(
            &mut text,
            json!({"type": "params", "run": id, "params": {"opt": opt, "lr": lr}}),
        );
        let first = if i == 1 { 300 } else { 0 };
        for step in (first..=500).step_by(100) {
            let loss = if step == 500 {
                if i == 4 {
                    100.0
                } else {
                    10.0 - (i % 10) as f64
                }
            } else {
                ((5 * i) % 6) as f64 + step as f64 / 1000.0
            };
            line(
                &mut text,
                json!({"type": "metrics", "run": id, "step": step,
                       "values": {"loss": loss, "acc": 1.0 - loss / 200.0}}),
            );
        }
    }
    let path = dir.join("runs.jsonl");
    std::fs::write(&path, text).unwrap();
    path
}

/// Builds the single file from `input` (with `extra` arguments) into `dir`.
fn build(input: &Path, dir: &Path, extra: &[&str]) -> PathBuf {
    let report = dir.join("report.html");
    let mut args = vec![
        "build",
        input.to_str().unwrap(),
        "--single-file",
        report.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let outcome = runlens(args);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    report
}

/// Opens `report` in a new browser, ready.
async fn open(report: &Path) -> Browser {
    let browser = Browser::start(Scripts::Enabled).await;
    browser.client.goto(&file_url(report)).await.unwrap();
    browser.wait_ready().await.expect("the report starts");
    browser
}

/// The rendered runs in order, with the text of column `column_id` of each.
async fn column_cells(browser: &Browser, column_id: &str) -> Vec<(String, String)> {
    let cells = browser
        .client
        .execute(
            "const ths = [...document.querySelectorAll('#rl-runs thead th')];
             const at = ths.findIndex(th => th.dataset.sort === arguments[0]);
             if (at < 0) return null;
             return [...document.querySelectorAll('#rl-runs tbody tr[data-run-id]')]
                 .map(tr => [tr.dataset.runId, tr.children[at].textContent]);",
            vec![json!(column_id)],
        )
        .await
        .unwrap();
    serde_json::from_value(cells).unwrap_or_else(|e| panic!("no column {column_id}: {e}"))
}

/// Presses `key` in whatever has focus, as a user's keyboard does.
async fn press(browser: &Browser, key: &str) {
    browser
        .client
        .active_element()
        .await
        .unwrap()
        .send_keys(key)
        .await
        .unwrap_or_else(|e| panic!("cannot press {key:?}: {e}"));
}

/// The run id of the focused table row (`null` when focus is not on a row).
async fn focused_run(browser: &Browser) -> Value {
    browser
        .js("const e = document.activeElement; return e && e.dataset ? (e.dataset.runId || null) : null;")
        .await
}

const STEP_COLUMN: &str = "metric:loss:at:250";

#[tokio::test]
async fn a_value_at_a_step_column_loads_sorts_marks_the_best_and_is_shared() {
    let dir = tempfile::tempdir().unwrap();
    let report = build(&write_runs(dir.path(), 6), dir.path(), &[]);
    let browser = open(&report).await;

    // Record whether the column was ever shown pending, before its values came in.
    browser
        .js("window.rlPending = { cells: false, busy: false };
             new MutationObserver(records => {
                 for (const r of records) {
                     if (r.type === 'attributes' && r.attributeName === 'aria-busy' && r.oldValue === 'true') {
                         window.rlPending.busy = true;
                     }
                     for (const node of r.addedNodes) {
                         if (node.querySelector && node.querySelector('td.rl-pending')) {
                             window.rlPending.cells = true;
                         }
                     }
                 }
             }).observe(document.getElementById('rl-runs'),
                        { subtree: true, childList: true, attributes: true, attributeOldValue: true });
             return 0;")
        .await;
    // The column menu: value of loss at step 250, typed and added with Enter.
    browser.click_id("rl-columns-open").await;
    browser.choose("rl-step-metric", "loss").await;
    let step = browser.by_id("rl-step").await;
    step.send_keys("250").await.unwrap();
    step.send_keys(&Key::Enter).await.unwrap();
    browser
        .wait_for(&format!(
            "document.querySelector('#rl-runs th[data-sort=\"{STEP_COLUMN}\"]')
             && !document.getElementById('rl-runs').hasAttribute('aria-busy')"
        ))
        .await;
    assert_eq!(
        browser.js("return window.rlPending;").await,
        json!({"cells": true, "busy": true}),
        "the column showed its pending state while its chunks loaded"
    );
    let header = browser
        .js(&format!(
            "return document.querySelector('#rl-runs th[data-sort=\"{STEP_COLUMN}\"]').textContent;"
        ))
        .await;
    assert_eq!(header, json!("loss@ step 250"));
    // Each run's value at its last step ≤ 250 (step 200); run 1 starts at step 300.
    let expected = [
        ("run-000", "0.2"),
        ("run-001", ""),
        ("run-002", "4.2"),
        ("run-003", "3.2"),
        ("run-004", "2.2"),
        ("run-005", "1.2"),
    ];
    let cells = column_cells(&browser, STEP_COLUMN).await;
    let wanted: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(cells, wanted);

    // It sorts (missing values last).
    browser
        .js(&format!(
            "document.querySelector('#rl-runs th[data-sort=\"{STEP_COLUMN}\"] button').click(); return 0;"
        ))
        .await;
    let order = |cells: Vec<(String, String)>| cells.into_iter().map(|c| c.0).collect::<Vec<_>>();
    let sorted = [
        "run-000", "run-005", "run-004", "run-003", "run-002", "run-001",
    ];
    assert_eq!(order(column_cells(&browser, STEP_COLUMN).await), sorted);

    // Lower is better for loss: the column marks its best run, run 0 (while the last value
    // would pick run 5).
    browser
        .js("document.querySelector('#rl-columns [data-direction=\"loss\"]').click(); return 0;")
        .await;
    browser
        .wait_for("document.querySelector('#rl-runs td.rl-best')")
        .await;
    let best = browser
        .client
        .execute(
            "const ths = [...document.querySelectorAll('#rl-runs thead th')];
             const at = ths.findIndex(th => th.dataset.sort === arguments[0]);
             return [...document.querySelectorAll('#rl-runs tbody tr[data-run-id]')]
                 .filter(tr => tr.children[at].classList.contains('rl-best'))
                 .map(tr => tr.dataset.runId);",
            vec![json!(STEP_COLUMN)],
        )
        .await
        .unwrap();
    assert_eq!(best, json!(["run-000"]));

    // The table downloads with the column.
    let csv = browser.download_text("rl-export-csv").await;
    let lines: Vec<&str> = csv.trim_end().split("\r\n").collect();
    assert!(lines[0].ends_with(",loss (@ step 250 ↓)"), "{}", lines[0]);
    assert!(
        lines[1].starts_with("run-000,") && lines[1].ends_with(",0.2"),
        "{csv}"
    );
    assert!(
        lines[6].starts_with("run-001,") && lines[6].ends_with(','),
        "{csv}"
    );

    // The hyperparameter scatter offers it too: x = lr, y = loss at step 250, one marker
    // per run with a value there (not run 1).
    browser
        .client
        .find(fantoccini::Locator::Css("#rl-hparams > summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.choose("rl-hp-x", "param:lr").await;
    browser.choose("rl-hp-y", STEP_COLUMN).await;
    browser
        .wait_for(
            "(() => { const gd = document.getElementById('rl-hp-scatter');
                 return gd.data && gd.layout.yaxis.title.text.startsWith('loss'); })()",
        )
        .await;
    let points = browser
        .js(
            "const trace = document.getElementById('rl-hp-scatter').data[0];
             return Array.from(trace.x, (x, i) => [x, trace.y[i]]).sort((a, b) => a[1] - b[1]);",
        )
        .await;
    assert_eq!(
        points,
        json!([
            [0.1, 0.2],
            [0.001, 1.2],
            [0.01, 2.2],
            [0.1, 3.2],
            [0.001, 4.2]
        ]),
        "(lr, loss at step 250) of runs 0, 5, 4, 3 and 2"
    );

    // The view is in the address and comes back on reload.
    let shared = browser.fragment().await;
    assert!(
        shared.contains("col=metric%3Aloss%3Aat%3A250")
            && shared.contains("sort=metric%3Aloss%3Aat%3A250"),
        "{shared}"
    );
    browser.client.refresh().await.unwrap();
    browser.wait_ready().await.expect("the report restarts");
    browser
        .wait_for("!document.getElementById('rl-runs').hasAttribute('aria-busy')")
        .await;
    assert_eq!(order(column_cells(&browser, STEP_COLUMN).await), sorted);
    browser.finish().await;

    // The report's author can open the page on it (runlens.toml [view]).
    let config = dir.path().join("runlens.toml");
    std::fs::write(
        &config,
        format!(
            "[view]\ncolumns = [\"name\", \"{STEP_COLUMN}\"]\nsort = \"{STEP_COLUMN}\"\ndescending = true\n"
        ),
    )
    .unwrap();
    let report = build(
        &dir.path().join("runs.jsonl"),
        dir.path(),
        &["--config", config.to_str().unwrap()],
    );
    let browser = open(&report).await;
    browser
        .wait_for("!document.getElementById('rl-runs').hasAttribute('aria-busy')")
        .await;
    assert_eq!(
        column_cells(&browser, STEP_COLUMN).await[0],
        ("run-002".to_string(), "4.2".to_string())
    );
    browser.finish().await;
}

/// The y values of the chart's centre line of the group whose name contains `label`.
async fn centre_line(browser: &Browser, label: &str) -> Vec<f64> {
    let ys = browser
        .client
        .execute(
            "const gd = document.getElementById('rl-chart');
             const t = gd.data.find(t => t.showlegend !== false && (t.name || '').includes(arguments[0]));
             return t ? [...t.y] : null;",
            vec![json!(label)],
        )
        .await
        .unwrap();
    serde_json::from_value(ys).unwrap_or_else(|e| panic!("no line of {label}: {e}"))
}

#[tokio::test]
async fn group_lines_go_through_the_mean_or_the_median() {
    let dir = tempfile::tempdir().unwrap();
    let report = build(&write_runs(dir.path(), 6), dir.path(), &[]);
    let browser = open(&report).await;
    assert_eq!(
        browser
            .js("return document.getElementById('rl-centre').closest('label').hidden;")
            .await,
        json!(true),
        "the line choice is for groups"
    );
    browser.choose("rl-group", "param:opt").await;
    browser
        .wait_for("document.getElementById('rl-chart-note').textContent.includes('group means')")
        .await;
    // adam: runs 0, 2, 4; at step 500 their loss is 10, 8 and 100 (the wild run).
    let mean = centre_line(&browser, "adam").await;
    assert!(
        (mean.last().unwrap() - 118.0 / 3.0).abs() < 1e-9,
        "{mean:?}"
    );
    browser.choose("rl-centre", "median").await;
    browser
        .wait_for("document.getElementById('rl-chart-note').textContent.includes('group medians')")
        .await;
    let median = centre_line(&browser, "adam").await;
    assert_eq!(median.last(), Some(&10.0), "{median:?}");
    // Step 0: 0, 4, 2 → 2; the sgd group's step 0 has two runs (run 1 starts later): 3
    // and 1 → 2; at step 500 9, 7 and 5 → 7.
    assert_eq!(median[0], 2.0);
    let sgd = centre_line(&browser, "sgd").await;
    assert_eq!((sgd[0], *sgd.last().unwrap()), (2.0, 7.0), "{sgd:?}");
    // Bands still work around the median.
    browser.choose("rl-band", "minmax").await;
    browser
        .wait_for("document.getElementById('rl-chart-note').textContent.includes('min to max')")
        .await;
    assert!(browser.fragment().await.contains("centre=median"));
    browser.client.refresh().await.unwrap();
    browser.wait_ready().await.expect("the report restarts");
    assert_eq!(
        browser
            .js("return document.getElementById('rl-centre').value;")
            .await,
        json!("median")
    );
    assert_eq!(centre_line(&browser, "adam").await.last(), Some(&10.0));
    browser.finish().await;
}

#[tokio::test]
async fn the_runs_table_works_from_the_keyboard_with_visible_focus() {
    let dir = tempfile::tempdir().unwrap();
    let runs = 400;
    let report = build(&write_runs(dir.path(), runs), dir.path(), &[]);
    let browser = open(&report).await;

    // Tab through the page's controls: each one shows where the focus is.
    let body = browser
        .client
        .find(fantoccini::Locator::Css("body"))
        .await
        .unwrap();
    body.click().await.unwrap();
    let mut unmarked = Vec::new();
    for _ in 0..25 {
        press(&browser, &Key::Tab).await;
        let seen = browser
            .js("const e = document.activeElement;
                 if (!e || e === document.body) return null;
                 const s = getComputedStyle(e);
                 const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0)
                     || s.boxShadow !== 'none';
                 return { ring, what: e.tagName + '#' + e.id + '.' + e.className };")
            .await;
        if seen["ring"] == json!(false) {
            unmarked.push(seen["what"].to_string());
        }
    }
    assert!(unmarked.is_empty(), "focus not visible on {unmarked:?}");

    // Into the table: the arrow keys move a focused row.
    let wrap = browser
        .client
        .find(fantoccini::Locator::Css(".rl-table-wrap"))
        .await
        .unwrap();
    wrap.send_keys(&Key::Home).await.unwrap();
    assert_eq!(focused_run(&browser).await, json!("run-000"));
    press(&browser, &Key::Down).await;
    press(&browser, &Key::Down).await;
    press(&browser, &Key::Up).await;
    assert_eq!(focused_run(&browser).await, json!("run-001"));
    // The focused row is marked.
    let marked = browser
        .js("return getComputedStyle(document.activeElement.children[1]).boxShadow;")
        .await;
    assert_ne!(marked, json!("none"), "the focused row shows it");

    // End goes to the last run: the rendered window follows the focus.
    press(&browser, &Key::End).await;
    assert_eq!(
        focused_run(&browser).await,
        json!(format!("run-{:03}", runs - 1))
    );
    assert!(
        browser
            .js("return document.querySelectorAll('#rl-runs tbody tr[data-run-id]').length;")
            .await
            .as_u64()
            .unwrap()
            < 200,
        "still a window of rows"
    );
    let rect = browser
        .js("const r = document.activeElement.getBoundingClientRect();
             const w = document.querySelector('.rl-table-wrap').getBoundingClientRect();
             return r.top >= w.top && r.bottom <= w.bottom + 1;")
        .await;
    assert_eq!(rect, json!(true), "the focused row is in view");
    press(&browser, &Key::PageUp).await;
    let after_page = focused_run(&browser).await;
    assert!(
        after_page.as_str().unwrap() < format!("run-{:03}", runs - 5).as_str(),
        "{after_page}"
    );
    press(&browser, &Key::Home).await;
    assert_eq!(focused_run(&browser).await, json!("run-000"));
    press(&browser, &Key::Down).await;
    press(&browser, &Key::Down).await;

    // Space ticks the focused run (and again clears it); focus stays on it.
    press(&browser, " ").await;
    browser
        .wait_for("document.querySelector('#rl-runs tr[data-run-id=\"run-002\"]').getAttribute('aria-selected') === 'true'")
        .await;
    assert_eq!(focused_run(&browser).await, json!("run-002"));
    assert!(browser.fragment().await.contains("sel=run-002"));
    press(&browser, &Key::Down).await;
    press(&browser, " ").await;
    browser
        .wait_for("document.getElementById('rl-selected-count').textContent === '2 runs ticked'")
        .await;

    // Enter opens the focused run's page; Escape closes it and returns to the row.
    press(&browser, &Key::Enter).await;
    browser
        .wait_for("!document.getElementById('rl-run').hidden && document.getElementById('rl-run').textContent.includes('run-003')")
        .await;
    press(&browser, &Key::Escape).await;
    browser
        .wait_for("document.getElementById('rl-run').hidden")
        .await;
    assert_eq!(focused_run(&browser).await, json!("run-003"));
    assert!(!browser.fragment().await.contains("run="));

    // Escape closes the column menu too.
    browser.click_id("rl-columns-open").await;
    browser
        .wait_for("!document.getElementById('rl-columns').hidden")
        .await;
    press(&browser, &Key::Escape).await;
    browser
        .wait_for("document.getElementById('rl-columns').hidden && document.activeElement.id === 'rl-columns-open'")
        .await;
    browser.finish().await;
}

/// Every drawn plotly chart's width against its panel's, and whether the page scrolls
/// sideways.
async fn overflow(browser: &Browser) -> Value {
    browser
        .js("const wide = [];
             for (const svg of document.querySelectorAll('.js-plotly-plot .main-svg')) {
                 const plot = svg.closest('.js-plotly-plot');
                 if (!plot.offsetParent) continue;
                 const panel = plot.closest('section, details, .rl-panel') || plot.parentElement;
                 const width = svg.getBoundingClientRect().width;
                 if (width > panel.clientWidth + 1) wide.push([plot.id || plot.className, width, panel.clientWidth]);
             }
             const d = document.documentElement;
             const beyond = [...document.querySelectorAll('body *')]
                 .filter(e => e.offsetParent && e.getBoundingClientRect().right > d.clientWidth + 1)
                 .slice(0, 8).map(e => e.tagName + '#' + e.id + '.' + e.className);
             return { wide, beyond, charts: document.querySelectorAll('.js-plotly-plot .main-svg').length,
                      scroll: d.scrollWidth - d.clientWidth };")
        .await
}

/// The luminance (0 dark … 1 light) of the main chart's and the scatter's text.
const CHART_TEXT_LIGHTNESS: &str = "const ctx = document.createElement('canvas').getContext('2d');
    const light = c => {
        ctx.fillStyle = '#000'; ctx.fillStyle = c; ctx.fillRect(0, 0, 1, 1);
        const [r, g, b] = ctx.getImageData(0, 0, 1, 1).data;
        return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
    };
    return { chart: light(document.getElementById('rl-chart')._fullLayout.font.color),
             scatter: light(document.getElementById('rl-hp-scatter')._fullLayout.font.color) };";

#[tokio::test]
async fn an_open_page_follows_the_system_switching_theme() {
    let dir = tempfile::tempdir().unwrap();
    let report = build(&support::examples(), dir.path(), &[]);
    let browser = Browser::start(Scripts::Enabled).await;
    browser.emulate(1280, 900, false).await;
    browser
        .client
        .goto(&format!("{}#hp=1", file_url(&report)))
        .await
        .unwrap();
    browser.wait_ready().await.expect("the report starts");
    browser
        .wait_for("document.querySelector('#rl-hp-scatter[data-drawn]') && document.getElementById('rl-chart')._fullLayout")
        .await;
    let light = browser.js(CHART_TEXT_LIGHTNESS).await;
    assert!(
        light["chart"].as_f64().unwrap() < 0.4 && light["scatter"].as_f64().unwrap() < 0.4,
        "dark text on the light page: {light}"
    );
    // The system turns dark with the page open: the charts are drawn again with light text.
    browser.emulate(1280, 900, true).await;
    browser
        .wait_for(&format!(
            "(() => {{ const t = (() => {{ {CHART_TEXT_LIGHTNESS} }})(); return t.chart > 0.6 && t.scatter > 0.6; }})()"
        ))
        .await;
    // And back.
    browser.emulate(1280, 900, false).await;
    browser
        .wait_for(&format!(
            "(() => {{ const t = (() => {{ {CHART_TEXT_LIGHTNESS} }})(); return t.chart < 0.4 && t.scatter < 0.4; }})()"
        ))
        .await;
    assert_eq!(browser.console_errors().await, Vec::<String>::new());
    browser.finish().await;
}

#[tokio::test]
async fn charts_fit_their_panels_on_a_phone_and_a_desktop() {
    let dir = tempfile::tempdir().unwrap();
    let report = build(&support::examples(), dir.path(), &[]);
    let url = file_url(&report);
    let browser = Browser::start(Scripts::Enabled).await;
    for (width, height, dark, name) in [
        (1280, 900, false, "desktop-light"),
        (1280, 900, true, "desktop-dark"),
        (390, 844, false, "phone-light"),
        (390, 844, true, "phone-dark"),
    ] {
        browser.emulate(width, height, dark).await;
        if width == 390 && !dark {
            // The desktop page made phone-narrow without a reload (a window narrowed, a
            // phone turned): its charts follow.
            browser
                .wait_for("[...document.querySelectorAll('.js-plotly-plot .main-svg')].every(svg => {
                     const plot = svg.closest('.js-plotly-plot');
                     const panel = plot.closest('section, details, .rl-panel') || plot.parentElement;
                     return !plot.offsetParent || svg.getBoundingClientRect().width <= panel.clientWidth + 1;
                 }) && document.documentElement.scrollWidth <= document.documentElement.clientWidth")
                .await;
        }
        // Grouped, with the grid, the hyperparameter panel and bands.
        browser
            .client
            .goto(&format!(
                "{url}#group=param%3Aoptimizer&charts=%5Eval%2F&hp=1&band=minmax&centre=median"
            ))
            .await
            .unwrap();
        browser.client.refresh().await.unwrap();
        browser.wait_ready().await.expect("the report starts");
        browser
            .wait_for("document.querySelectorAll('#rl-chart-grid .js-plotly-plot').length > 0 && document.querySelector('#rl-hp-scatter[data-drawn]')")
            .await;
        // The system's theme: a dark page with light chart text, or the reverse.
        let theme = browser
            .js("const ctx = document.createElement('canvas').getContext('2d');
                 const light = c => {
                     ctx.fillStyle = '#000'; ctx.fillStyle = c; ctx.fillRect(0, 0, 1, 1);
                     const [r, g, b] = ctx.getImageData(0, 0, 1, 1).data;
                     return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
                 };
                 const opaque = e => { const c = getComputedStyle(e).backgroundColor;
                                       return c === 'rgba(0, 0, 0, 0)' ? null : c; };
                 return { page: light(opaque(document.body) || opaque(document.documentElement) || '#fff'),
                          chart: light(document.getElementById('rl-chart')._fullLayout.font.color) };")
            .await;
        let (page, chart) = (
            theme["page"].as_f64().unwrap(),
            theme["chart"].as_f64().unwrap(),
        );
        if dark {
            assert!(page < 0.25 && chart > 0.6, "{name}: {theme}");
        } else {
            assert!(page > 0.75 && chart < 0.4, "{name}: {theme}");
        }
        let seen = overflow(&browser).await;
        assert!(seen["charts"].as_u64().unwrap() >= 3, "{name}: {seen}");
        assert_eq!(
            seen["wide"],
            json!([]),
            "{name}: charts wider than their panel"
        );
        assert_eq!(
            seen["scroll"],
            json!(0),
            "{name}: the page scrolls sideways: {seen}"
        );
        browser.screenshot_if_asked(&format!("{name}-top")).await;
        for (id, view) in [
            ("rl-chart", "chart"),
            ("rl-hparams", "hparams"),
            ("rl-runs", "table"),
        ] {
            browser
                .client
                .execute(
                    "document.getElementById(arguments[0]).scrollIntoView(); return 0;",
                    vec![json!(id)],
                )
                .await
                .unwrap();
            browser.screenshot_if_asked(&format!("{name}-{view}")).await;
        }
        // The column menu, with its value-at-step row.
        browser.click_id("rl-columns-open").await;
        browser
            .screenshot_if_asked(&format!("{name}-columns"))
            .await;
        let seen = overflow(&browser).await;
        assert_eq!(
            seen["scroll"],
            json!(0),
            "{name}: the column menu widens the page: {seen}"
        );
        browser.click_id("rl-columns-close").await;
        // The run page and the comparison.
        browser
            .js("document.querySelector('#rl-runs button.rl-run-open').click(); return 0;")
            .await;
        browser
            .wait_for("!document.getElementById('rl-run').hidden")
            .await;
        browser.screenshot_if_asked(&format!("{name}-run")).await;
        let seen = overflow(&browser).await;
        assert_eq!(
            seen["scroll"],
            json!(0),
            "{name}: the run page scrolls sideways: {seen}"
        );
        browser
            .js("document.querySelector('[data-action=close-run]').click(); return 0;")
            .await;
        browser.choose("rl-group", "").await;
        for _ in 0..3 {
            browser
                .js("const boxes = [...document.querySelectorAll('#rl-runs input.rl-tick[data-select-row]')].filter(b => !b.checked);
                     boxes[0].click(); return 0;")
                .await;
        }
        browser.click_id("rl-compare-open").await;
        browser
            .wait_for("!document.getElementById('rl-compare').hidden")
            .await;
        browser
            .js("document.getElementById('rl-compare').scrollIntoView(); return 0;")
            .await;
        browser
            .screenshot_if_asked(&format!("{name}-compare"))
            .await;
        let seen = overflow(&browser).await;
        assert_eq!(
            seen["scroll"],
            json!(0),
            "{name}: the comparison scrolls sideways: {seen}"
        );
    }
    // A chart box that changes size alone (hidden while the window widened, then shown):
    // the chart is fitted to it again, not left at its phone width.
    browser
        .js("document.getElementById('rl-chart').closest('section').style.display = 'none'; return 0;")
        .await;
    browser.emulate(1280, 900, false).await;
    browser
        .js("document.getElementById('rl-chart').closest('section').style.display = ''; return 0;")
        .await;
    browser
        .wait_for(
            "(() => { const gd = document.getElementById('rl-chart');
                   const w = gd.querySelector('.main-svg').getBoundingClientRect().width;
                   return w > 0.9 * gd.clientWidth && w <= gd.clientWidth + 1; })()",
        )
        .await;
    browser.finish().await;
}

/// Every colour the page gives each run (by name) or group (by label), as `r,g,b` (alpha
/// left out: faint and solid are the same colour): table swatches, line-chart traces,
/// scatter markers, bars and parallel-coordinate lines, per place.
async fn colours(browser: &Browser) -> Value {
    browser
        .js("const rgb = c => {
                 if (!c) return null;
                 const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(c);
                 if (hex) return [1, 2, 3].map(i => parseInt(hex[i], 16)).join(',');
                 const f = /rgba?\\(([^)]*)\\)/.exec(c);
                 return f ? f[1].split(',').slice(0, 3).map(v => Number(v.trim())).join(',') : c;
             };
             const out = { table: {}, lines: {}, scatter: {}, bars: {}, parcoords: {} };
             for (const tr of document.querySelectorAll('#rl-runs tbody tr')) {
                 const swatch = tr.querySelector('.rl-swatch');
                 if (!swatch) continue;
                 const name = tr.dataset.runId || tr.querySelector('th').textContent;
                 out.table[name] = rgb(getComputedStyle(swatch).backgroundColor);
             }
             for (const t of document.getElementById('rl-chart').data) {
                 if (t.showlegend === false || !t.name) continue;
                 out.lines[t.name.replace(/ \\(.*$/, '')] = rgb(t.line.color);
             }
             const sc = document.getElementById('rl-hp-scatter').data[0];
             sc.text.forEach((name, i) => { out.scatter[name] = rgb(sc.marker.color[i]); });
             const bars = document.getElementById('rl-hp-bars');
             if (bars.data && !bars.hidden) {
                 const b = bars.data[0];
                 b.x.forEach((label, i) => { out.bars[label] = rgb(b.marker.color[i]); });
             }
             // The parallel coordinates are drawn on a canvas: the colours its lines show
             // (pixels covered enough that their colour is exact within rounding), by how
             // many pixels, keyed by the table colour they match.
             const canvas = document.querySelector('#rl-hp-parcoords canvas');
             const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
             const known = Object.values(out.table).map(c => c.split(',').map(Number));
             for (let i = 0; i < d.length; i += 4) {
                 if (d[i + 3] < 30) continue;
                 const near = known.find(([r, g, b]) =>
                     Math.abs(r - d[i]) + Math.abs(g - d[i + 1]) + Math.abs(b - d[i + 2]) <= 20);
                 const key = near ? near.join(',') : 'other';
                 out.parcoords[key] = (out.parcoords[key] || 0) + 1;
             }
             return out;")
        .await
}

/// Checks that `place` gives each of its names the colour the table gives it.
fn same_as_table(seen: &Value, place: &str, group_of: impl Fn(&str) -> String) {
    let table = &seen["table"];
    let entries = seen[place].as_object().unwrap();
    assert!(!entries.is_empty(), "{place} has colours: {seen}");
    for (name, colour) in entries {
        let key = group_of(name);
        assert_eq!(
            &table[&key], colour,
            "{name} ({key}) in {place} and in the table: {seen}"
        );
    }
}

#[tokio::test]
async fn a_run_or_a_group_has_one_colour_in_every_chart() {
    let dir = tempfile::tempdir().unwrap();
    let report = build(&write_runs(dir.path(), 6), dir.path(), &[]);
    let browser = Browser::start(Scripts::Enabled).await;
    browser
        .client
        .goto(&format!(
            "{}#hp=1&hx=param%3Alr&hy=metric%3Aloss%3Alast",
            file_url(&report)
        ))
        .await
        .unwrap();
    browser.wait_ready().await.expect("the report starts");
    browser
        .wait_for("document.querySelector('#rl-hp-scatter[data-drawn]') && document.querySelector('#rl-hp-parcoords canvas')")
        .await;
    // Runs: each in its own colour, the same in the table, the lines, the scatter and the
    // parallel coordinates.
    let seen = colours(&browser).await;
    assert_eq!(seen["table"].as_object().unwrap().len(), 6, "{seen}");
    let distinct: std::collections::BTreeSet<String> = seen["table"]
        .as_object()
        .unwrap()
        .values()
        .map(Value::to_string)
        .collect();
    assert_eq!(distinct.len(), 6, "six runs, six colours: {seen}");
    for place in ["lines", "scatter"] {
        same_as_table(&seen, place, str::to_string);
    }
    for colour in distinct.iter() {
        let colour = colour.trim_matches('"');
        assert!(
            seen["parcoords"][colour].as_u64().unwrap_or(0) > 20,
            "the parallel coordinates show {colour}: {seen}"
        );
    }

    // Groups: each group's colour in its table row, its line and band, its bar, and its
    // runs' scatter markers and parallel-coordinate lines.
    browser.choose("rl-group", "param:opt").await;
    browser
        .wait_for("document.getElementById('rl-chart-note').textContent.includes('group means') && document.getElementById('rl-hp-bars').data")
        .await;
    let seen = colours(&browser).await;
    let group_of_run = |name: &str| {
        let i: usize = name.trim_start_matches("run-").parse().unwrap();
        ["adam", "sgd"][i % 2].to_string()
    };
    assert_eq!(seen["table"].as_object().unwrap().len(), 2, "{seen}");
    same_as_table(&seen, "lines", str::to_string);
    same_as_table(&seen, "bars", str::to_string);
    same_as_table(&seen, "scatter", group_of_run);
    // The parallel coordinates show the two groups' colours and none of the runs' own.
    let group_colours: Vec<&str> = seen["table"]
        .as_object()
        .unwrap()
        .values()
        .map(|c| c.as_str().unwrap())
        .collect();
    for (colour, pixels) in seen["parcoords"].as_object().unwrap() {
        if colour != "other" {
            assert!(
                group_colours.contains(&colour.as_str()),
                "{colour} ({pixels} pixels) is not a group's colour: {seen}"
            );
        }
    }
    for colour in &group_colours {
        assert!(
            seen["parcoords"][*colour].as_u64().unwrap_or(0) > 20,
            "the parallel coordinates show the group colour {colour}: {seen}"
        );
    }
    browser.finish().await;
}

#[tokio::test]
async fn long_curves_keep_their_spike_hover_names_the_run_and_the_chart_downloads_as_png() {
    // One run of 20,000 points with a single spike, one of 100 points (its loss is the step).
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for (id, points) in [("spiky", 20_000), ("calm", 100)] {
        let _ = writeln!(text, "{}", json!({"type": "run", "run": id, "name": id}));
        for step in 0..points {
            let loss = match (id, step) {
                ("spiky", 12_345) => 1000.0,
                ("spiky", _) => 1.0 + (step % 7) as f64 / 100.0,
                _ => step as f64,
            };
            let _ = writeln!(
                text,
                "{}",
                json!({"type": "metrics", "run": id, "step": step, "values": {"loss": loss}})
            );
        }
    }
    let input = dir.path().join("long.jsonl");
    std::fs::write(&input, text).unwrap();
    let report = build(&input, dir.path(), &[]);
    let browser = open(&report).await;

    // Drawn with fewer points than logged, the spike kept.
    let spiky = browser
        .js("const gd = document.getElementById('rl-chart');
             const i = gd.data.findIndex(t => t.name === 'spiky');
             const t = gd.data[i];
             return { i, points: t.x.length, max: Math.max(...t.y), at: t.x[t.y.indexOf(Math.max(...t.y))] };")
        .await;
    assert!(spiky["points"].as_u64().unwrap() < 20_000, "{spiky}");
    assert_eq!(
        spiky["max"].as_f64(),
        Some(1000.0),
        "the spike is drawn: {spiky}"
    );
    assert_eq!(spiky["at"].as_f64(), Some(12_345.0), "{spiky}");

    // "ignore outliers" fits the y axis to the bulk of the values: the spike leaves it.
    browser.click_id("rl-outliers").await;
    browser
        .wait_for("location.hash.includes('outliers=1') && document.getElementById('rl-chart').layout.yaxis.range[1] < 1000")
        .await;
    browser.click_id("rl-outliers").await;

    // Hover names the run, its step and value.
    let hover = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const gd = document.getElementById('rl-chart');
             const curve = gd.data.findIndex(t => t.name === 'calm');
             Plotly.Fx.hover(gd, [{ curveNumber: curve, pointNumber: 42 }]);
             requestAnimationFrame(() => done(document.querySelector('#rl-chart .hoverlayer').textContent));",
            vec![],
        )
        .await
        .unwrap();
    let hover = hover.as_str().unwrap();
    assert!(
        hover.contains("calm") && hover.contains("42"),
        "the hover label: {hover:?}"
    );

    // The mean summary as a column: calm's loss is 0..99, mean 49.5.
    browser.click_id("rl-columns-open").await;
    browser
        .js("document.querySelector('#rl-columns input[data-column=\"metric:loss:mean\"]').click(); return 0;")
        .await;
    browser
        .wait_for("document.querySelector('#rl-runs th[data-sort=\"metric:loss:mean\"]')")
        .await;
    let cells = column_cells(&browser, "metric:loss:mean").await;
    assert!(
        cells.contains(&("calm".to_string(), "49.5".to_string())),
        "{cells:?}"
    );
    browser.click_id("rl-columns-close").await;

    // The chart downloads as PNG (plotly.js draws it on a canvas in the page).
    let download = browser.download_link("rl-chart-png").await;
    assert_eq!(download["name"], json!("runlens-loss.png"), "{download}");
    let href = download["href"].as_str().unwrap();
    assert!(
        href.starts_with("blob:") || href.starts_with("data:image/png"),
        "{href}"
    );
    browser.finish().await;
}
