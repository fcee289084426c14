//! The explorer's table in real headless Chromium, on a report of 10,000 runs: only the
//! rows in view are in the page and scrolling brings the others; runs are ticked (shift-
//! click for a range) and the chart then draws only those; the comparison puts ticked runs
//! side by side with their differences marked; "differences only" hides columns every
//! visible run agrees on; the table downloads as CSV and the chart as SVG; ticks and the
//! open comparison live in the address's fragment.

mod support;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use support::HOSTILE_NAME;
use support::browser::{Browser, COLOURED_PIXELS};

const RUNS: usize = 10_000;
const LRS: [f64; 3] = [0.1, 0.01, 0.001];

/// Writes a JSONL log of `RUNS` runs (`run-00000`, ...): lr cycles through [`LRS`], `const`
/// is 1 everywhere, `seed` is the run number mod 7; two loss points each.
fn write_sweep(dir: &Path) -> PathBuf {
    let mut text = String::new();
    for i in 0..RUNS {
        let id = format!("run-{i:05}");
        let status = if i % 10 == 3 { "failed" } else { "finished" };
        let lr = LRS[i % 3];
        let _ = writeln!(
            text,
            "{}",
            json!({"type": "run", "run": id, "name": id, "experiment": "big", "status": status})
        );
        let _ = writeln!(
            text,
            "{}",
            json!({"type": "params", "run": id, "params": {"lr": lr, "const": 1, "seed": i % 7}})
        );
        for step in 0..2 {
            let loss = 1.0 / (1.0 + i as f64 + step as f64);
            let _ = writeln!(
                text,
                "{}",
                json!({"type": "metrics", "run": id, "step": step, "values": {"loss": loss}})
            );
        }
    }
    let path = dir.join("sweep.jsonl");
    std::fs::write(&path, text).unwrap();
    path
}

/// Builds the single file from `input` in `dir` and opens it in a browser, ready.
async fn open(input: &Path, dir: &tempfile::TempDir) -> Browser {
    Browser::open_single_file(input, dir.path()).await
}

async fn rendered_ids(browser: &Browser) -> Vec<String> {
    serde_json::from_value(
        browser
            .js("return [...document.querySelectorAll('#rl-runs tbody tr[data-run-id]')].map(r => r.dataset.runId);")
            .await,
    )
    .unwrap()
}

async fn header_labels(browser: &Browser) -> Vec<String> {
    serde_json::from_value(
        browser
            .js("return [...document.querySelectorAll('#rl-runs thead th[data-sort] .rl-label')].map(e => e.textContent);")
            .await,
    )
    .unwrap()
}

/// Clicks the tick box of run `id`, with shift held when `shift`, as a user's click does
/// (a dispatched click toggles a checkbox and carries the modifier).
async fn tick(browser: &Browser, id: &str, shift: bool) {
    let done = browser
        .client
        .execute(
            "const row = [...document.querySelectorAll('#rl-runs tr[data-run-id]')]
                 .find(r => r.dataset.runId === arguments[0]);
             if (!row) return false;
             row.querySelector('input.rl-tick').dispatchEvent(
                 new MouseEvent('click', { bubbles: true, cancelable: true, shiftKey: arguments[1] }));
             return true;",
            vec![json!(id), json!(shift)],
        )
        .await
        .unwrap();
    assert_eq!(done, json!(true), "run {id} has a rendered tick box");
}

async fn ticked_ids(browser: &Browser) -> Vec<String> {
    serde_json::from_value(
        browser
            .js("return [...document.querySelectorAll('#rl-runs tr[aria-selected=true]')].map(r => r.dataset.runId);")
            .await,
    )
    .unwrap()
}

async fn traces(browser: &Browser) -> Value {
    browser
        .js("return Number(document.getElementById('rl-chart').dataset.renderedTraces);")
        .await
}

/// Counts the parallel coordinates' canvas pixels: painted at all, and in a colour (not the
/// grey of lines outside the brushes); with the SVG's line count.
const PARCOORDS_PIXELS: &str = "const canvas = document.querySelector('#rl-hp-parcoords canvas');
    const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0, coloured = 0;
    for (let i = 0; i < d.length; i += 4) {
        if (d[i + 3] === 0) continue;
        painted++;
        if (Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 40) coloured++;
    }
    return { painted, coloured, lines: Number(document.querySelector('#rl-hp-parcoords svg').dataset.lines) };";

/// Counts the scatter's marker canvas pixels painted, with its marker count.
const SCATTER_PIXELS: &str =
    "const canvas = document.querySelector('#rl-hp-scatter canvas.rl-marker-canvas');
    const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0, coloured = 0;
    for (let i = 0; i < d.length; i += 4) {
        if (d[i + 3] === 0) continue;
        painted++;
        if (Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 40) coloured++;
    }
    return { painted, coloured, markers: Number(canvas.dataset.markers), width: canvas.width };";

#[tokio::test]
async fn ten_thousand_runs_hyperparameter_views_paint_on_canvases() {
    let dir = tempfile::tempdir().unwrap();
    let browser = open(&write_sweep(dir.path()), &dir).await;
    browser
        .js("document.querySelector('#rl-hparams > summary').click(); return 0;")
        .await;
    browser.choose("rl-hp-x", "param:lr").await;
    browser.choose("rl-hp-y", "metric:loss:last").await;
    browser
        .wait_for(
            "(() => { const gd = document.getElementById('rl-hp-scatter');
                 return gd.data && gd.layout.xaxis.title.text === 'lr'
                     && gd.querySelector('canvas.rl-marker-canvas')
                     && document.querySelector('#rl-hp-parcoords canvas'); })()",
        )
        .await;
    // 10,000 markers are painted on the canvas; plotly keeps the points for hover, which
    // still names the run.
    let scatter = browser
        .js("const gd = document.getElementById('rl-hp-scatter');
             Plotly.Fx.hover(gd, [{ curveNumber: 0, pointNumber: 9999 }]);
             return { mode: gd._fullData[0].mode, points: gd.data[0].x.length,
                      svg_markers: gd.querySelectorAll('.scatterlayer .point').length,
                      label: [...gd.querySelectorAll('.hoverlayer .hovertext')].map(e => e.textContent).join('|') };")
        .await;
    assert_eq!(scatter["mode"], json!("none"), "{scatter}");
    assert_eq!(scatter["points"], json!(RUNS), "{scatter}");
    assert_eq!(scatter["svg_markers"], json!(0), "{scatter}");
    assert!(
        scatter["label"].as_str().unwrap().contains("run-09999"),
        "{scatter}"
    );
    browser
        .js("document.getElementById('rl-hparams').scrollIntoView(); return 0;")
        .await;
    browser.screenshot_if_asked("hparams-10k").await;
    let before = browser.js(SCATTER_PIXELS).await;
    assert_eq!(before["markers"], json!(RUNS), "{before}");
    assert!(before["painted"].as_u64().unwrap() > 1000, "{before}");
    // In the runs' colours (one of the palette's ten is grey), not all grey or black.
    assert!(
        before["coloured"].as_u64().unwrap() * 2 > before["painted"].as_u64().unwrap(),
        "{before}"
    );
    // The chart's PNG download lays the markers into the figure as an image: the image
    // plotly makes has coloured marker pixels (axes and text are grey).
    let download = browser
        .client
        .execute_async(
            &[
                COLOURED_PIXELS,
                "
             const done = arguments[arguments.length - 1];
             const gd = document.getElementById('rl-hp-scatter');
             Plotly.downloadImage = (root, options) => {
                 const images = (root.layout.images || []).length;
                 return Plotly.toImage(root, { format: 'png' }).then(coloured).then(pixels => {
                     done({ images, format: options.format, pixels });
                     return '';
                 });
             };
             gd.querySelector('.modebar-btn[data-title=\"Download plot as a PNG\"]').click();",
            ]
            .concat(),
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(download["images"], json!(1), "{download}");
    assert_eq!(download["format"], json!("png"), "{download}");
    assert!(
        download["pixels"].as_u64().unwrap() > 100,
        "the markers are in the image: {download}"
    );
    // The image is taken out of the figure again.
    browser
        .wait_for("(document.getElementById('rl-hp-scatter').layout.images || []).length === 0")
        .await;
    // Zoomed into the lower left quarter, the markers are painted again for the new axes:
    // fewer show, but some do.
    browser
        .js("const gd = document.getElementById('rl-hp-scatter');
             const [x0, x1] = gd._fullLayout.xaxis.range, [y0, y1] = gd._fullLayout.yaxis.range;
             Plotly.relayout(gd, { 'xaxis.range': [x0, (x0 + x1) / 2], 'yaxis.range': [y0, (y0 + y1) / 2] });
             return 0;")
        .await;
    browser
        .wait_for(&format!(
            "(() => {{ const p = (() => {{ {SCATTER_PIXELS} }})().painted; return p > 0 && p < {}; }})()",
            before["painted"]
        ))
        .await;
    // The parallel coordinates draw an even sample of 2,000 lines, in colour, on the canvas.
    browser
        .js("document.getElementById('rl-hp-parcoords').scrollIntoView(); return 0;")
        .await;
    browser.screenshot_if_asked("parcoords-10k").await;
    let pixels = browser.js(PARCOORDS_PIXELS).await;
    assert_eq!(pixels["lines"], json!(2000), "{pixels}");
    assert!(
        pixels["coloured"].as_u64().unwrap() > 10_000,
        "the lines are painted in the runs' colours: {pixels}"
    );
    // Another x redraws the scatter alone: the parallel coordinates (which do not depend
    // on it) stay the same element.
    browser
        .js("document.querySelector('#rl-hp-parcoords svg').rlMarked = true; return 0;")
        .await;
    browser.choose("rl-hp-x", "param:seed").await;
    browser
        .wait_for("document.getElementById('rl-hp-scatter').layout.xaxis.title.text === 'seed'")
        .await;
    assert_eq!(
        browser
            .js("return document.querySelector('#rl-hp-parcoords svg').rlMarked === true;")
            .await,
        json!(true)
    );
    // A change of how the metric chart draws (smoothing) redraws the chart alone: the
    // panel's parallel coordinates and scatter stay as they are.
    browser
        .js("document.getElementById('rl-hp-scatter').rlMarked = true;
             window.rlScatterDraws = 0;
             document.getElementById('rl-hp-scatter').on('plotly_afterplot', () => window.rlScatterDraws++);
             return 0;")
        .await;
    let smoothing = browser
        .js("return document.getElementById('rl-smoothing').options[1].value;")
        .await;
    browser
        .choose("rl-smoothing", smoothing.as_str().unwrap())
        .await;
    browser
        .wait_for("location.hash.includes('smooth=') && !document.getElementById('rl-chart').hasAttribute('aria-busy')")
        .await;
    assert_eq!(
        browser
            .js("return [document.querySelector('#rl-hp-parcoords svg').rlMarked, window.rlScatterDraws];")
            .await,
        json!([true, 0]),
        "the panel is not drawn again"
    );
    // Another y redraws everything.
    browser.choose("rl-hp-y", "metric:loss:min").await;
    browser
        .wait_for("document.querySelector('#rl-hp-parcoords svg').rlMarked === undefined")
        .await;
    // Grouped, the bars are drawn beside the scatter, whose markers still follow a zoom.
    browser.choose("rl-group", "param:seed").await;
    browser
        .wait_for("document.getElementById('rl-hp-bars').dataset.drawn === '1' && !document.getElementById('rl-hp-bars').hidden")
        .await;
    let grouped = browser.js(SCATTER_PIXELS).await;
    browser
        .js("const gd = document.getElementById('rl-hp-scatter');
             const [x0, x1] = gd._fullLayout.xaxis.range, [y0, y1] = gd._fullLayout.yaxis.range;
             Plotly.relayout(gd, { 'xaxis.range': [x0, (x0 + x1) / 2], 'yaxis.range': [y0, (y0 + y1) / 2] });
             return 0;")
        .await;
    browser
        .wait_for(&format!(
            "(() => {{ {SCATTER_PIXELS} }})().painted !== {}",
            grouped["painted"]
        ))
        .await;
    browser.finish().await;
}

#[tokio::test]
async fn ten_thousand_runs_scroll_tick_compare_and_download() {
    let dir = tempfile::tempdir().unwrap();
    let browser = open(&write_sweep(dir.path()), &dir).await;

    // Only a window of rows is in the page, and the table says how many rows it has.
    let ids = rendered_ids(&browser).await;
    assert!(
        (10..200).contains(&ids.len()),
        "a window of rows is rendered, not all {RUNS}: {}",
        ids.len()
    );
    assert_eq!(ids[0], "run-00000");
    assert_eq!(
        browser
            .js("return document.getElementById('rl-runs').getAttribute('aria-rowcount');")
            .await,
        json!((RUNS + 1).to_string())
    );

    // 200 run lines, too many for a legend, share one trace per look (colour and dash);
    // hovering a point still names its run, and the run lines keep their points.
    browser
        .wait_for("Number(document.getElementById('rl-chart').dataset.renderedTraces) > 0")
        .await;
    let chart = browser
        .js("const gd = document.getElementById('rl-chart');
             Plotly.Fx.hover(gd, [{ curveNumber: 0, pointNumber: 0 }]);
             const label = [...gd.querySelectorAll('.hoverlayer .hovertext')].map(e => e.textContent).join('|');
             const points = gd.data.map(t => Array.from(t.y).filter(v => v !== null && !Number.isNaN(v)).length).reduce((a, b) => a + b, 0);
             return { traces: gd.data.length, label, points };")
        .await;
    assert_eq!(chart["traces"], json!(30), "{chart}");
    assert!(
        chart["label"].as_str().unwrap().contains("run-00000"),
        "the hover label names the run: {chart}"
    );
    assert_eq!(
        chart["points"],
        json!(200 * 2),
        "two points per run line: {chart}"
    );

    // Scrolling to the end brings the last runs; the scroll height is the whole table's.
    let timing = browser
        .js("const wrap = document.querySelector('.rl-table-wrap');
             const t0 = performance.now();
             wrap.scrollTop = wrap.scrollHeight;
             wrap.dispatchEvent(new Event('scroll'));
             return { ms: performance.now() - t0, height: wrap.scrollHeight };")
        .await;
    assert!(
        timing["height"].as_f64().unwrap() > RUNS as f64 * 20.0,
        "the spacers keep the full height: {timing}"
    );
    browser
        .wait_for("document.querySelector('#rl-runs tr[data-run-id=\"run-09999\"]')")
        .await;
    let ids = rendered_ids(&browser).await;
    assert!(ids.len() < 200 && !ids.contains(&"run-00000".to_string()));
    eprintln!(
        "rendering the last rows of {RUNS} after a scroll took {:.1} ms (reported, not asserted)",
        timing["ms"].as_f64().unwrap()
    );
    // And back to the top.
    browser
        .js("const wrap = document.querySelector('.rl-table-wrap'); wrap.scrollTop = 0; wrap.dispatchEvent(new Event('scroll')); return 0;")
        .await;
    browser
        .wait_for("document.querySelector('#rl-runs tr[data-run-id=\"run-00000\"]')")
        .await;

    // How long the page takes to answer on 10,000 runs (reported, not asserted: timings
    // belong to benchmarks). Each handler runs synchronously, so the time is the answer.
    let timings = browser
        .js("const time = f => { const t0 = performance.now(); f(); return performance.now() - t0; };
             const sort = () => document.querySelector('#rl-runs thead th[data-sort=\"param:lr\"] button').click();
             const group = v => { const s = document.getElementById('rl-group'); s.value = v;
                                  s.dispatchEvent(new Event('change')); };
             return { sort: time(sort), unsort: time(sort), group: time(() => group('param:lr')),
                      ungroup: time(() => group('')) };")
        .await;
    eprintln!("10,000 runs, milliseconds per interaction (reported, not asserted): {timings}");
    // Back to the page as it opened (no sort).
    browser.client.refresh().await.unwrap();
    browser.js("location.hash = ''; return 0;").await;
    browser
        .wait_for("document.querySelector('#rl-runs tbody tr[data-run-id]')?.dataset.runId === 'run-00000'")
        .await;

    // Free-text search beside the filter: every word must appear in a name, id or tag.
    let search = browser.by_id("rl-search").await;
    search.send_keys("RUN-0999\u{E007}").await.unwrap();
    browser
        .wait_for("document.getElementById('rl-count').textContent === '10 of 10,000 runs' && location.hash.includes('q=RUN-0999')")
        .await;
    assert_eq!(rendered_ids(&browser).await.len(), 10);
    search.clear().await.unwrap();
    search.send_keys("\u{E007}").await.unwrap();
    browser
        .wait_for("document.getElementById('rl-count').textContent === '10,000 of 10,000 runs'")
        .await;

    // A click ticks one run; a shift-click ticks the range up to it in table order.
    browser
        .js("window.rlRowBefore = document.querySelector('#rl-runs tr[data-run-id=\"run-00001\"]'); return 0;")
        .await;
    tick(&browser, "run-00002", false).await;
    tick(&browser, "run-00005", true).await;
    assert_eq!(
        ticked_ids(&browser).await,
        ["run-00002", "run-00003", "run-00004", "run-00005"]
    );
    // Ticks change the rows in place (their order and cells do not depend on them): the
    // tick boxes, and the colour swatches, now only on the ticked runs the chart draws.
    let rows = browser
        .js("const rows = [...document.querySelectorAll('#rl-runs tbody tr[data-run-id]')];
             return { same: window.rlRowBefore.isConnected,
                      swatches: rows.filter(r => r.querySelector('td.rl-name .rl-swatch')).map(r => r.dataset.runId),
                      checked: rows.filter(r => r.querySelector('input.rl-tick').checked).map(r => r.dataset.runId) };")
        .await;
    assert_eq!(
        rows,
        json!({
            "same": true,
            "swatches": ["run-00002", "run-00003", "run-00004", "run-00005"],
            "checked": ["run-00002", "run-00003", "run-00004", "run-00005"],
        })
    );
    assert_eq!(
        browser
            .js("return document.getElementById('rl-selected-count').textContent;")
            .await,
        json!("4 runs ticked")
    );
    assert_eq!(
        browser
            .js("return document.getElementById('rl-selection').hidden;")
            .await,
        json!(false)
    );
    // The chart draws only the ticked runs, and says so.
    browser
        .wait_for("document.getElementById('rl-chart').dataset.renderedTraces === '4'")
        .await;
    let note = browser
        .js("return document.getElementById('rl-chart-note').textContent;")
        .await;
    assert!(
        note.as_str().unwrap().contains("Only the 4 runs ticked"),
        "{note}"
    );
    // Shift-click on a ticked run clears the range back to the anchor.
    tick(&browser, "run-00004", true).await;
    assert_eq!(ticked_ids(&browser).await, ["run-00002", "run-00003"]);
    tick(&browser, "run-00006", false).await;

    // The comparison: one column per ticked run, differences marked.
    browser.click_id("rl-compare-open").await;
    browser
        .wait_for("!document.getElementById('rl-compare').hidden")
        .await;
    let compare = browser
        .js("const runs = [...document.querySelectorAll('#rl-compare-table thead th[data-run-id]')].map(th => th.dataset.runId);
             const line = label => {
                 const th = [...document.querySelectorAll('#rl-compare-table tbody th.rl-compare-label')]
                     .find(th => th.querySelector('.rl-label').textContent === label);
                 return th ? { differs: th.parentElement.dataset.differs, cells: [...th.parentElement.querySelectorAll('td')].map(td => td.textContent) } : null;
             };
             return { runs, lr: line('lr'), constant: line('const'), status: line('status') };")
        .await;
    assert_eq!(
        compare["runs"],
        json!(["run-00002", "run-00003", "run-00006"])
    );
    assert_eq!(
        compare["lr"],
        json!({"differs": "1", "cells": ["0.001", "0.1", "0.1"]})
    );
    assert_eq!(
        compare["constant"],
        json!({"differs": "0", "cells": ["1", "1", "1"]})
    );
    assert_eq!(
        compare["status"],
        json!({"differs": "1", "cells": ["finished", "failed", "finished"]})
    );
    // "Differences only" hides the lines the runs agree on.
    browser
        .js("document.getElementById('rl-compare-diff').click(); return 0;")
        .await;
    browser
        .wait_for("document.getElementById('rl-compare-diff').checked && ![...document.querySelectorAll('#rl-compare-table .rl-label')].some(e => e.textContent === 'const')")
        .await;

    // The ticks and the open comparison are in the address; reloading brings them back.
    let address = browser.fragment().await;
    assert!(
        address.contains("sel=run-00002&sel=run-00003&sel=run-00006")
            && address.contains("compare=1"),
        "{address}"
    );
    browser.client.refresh().await.unwrap();
    browser.wait_ready().await.expect("the report restarts");
    assert_eq!(
        ticked_ids(&browser).await,
        ["run-00002", "run-00003", "run-00006"]
    );
    browser
        .wait_for("!document.getElementById('rl-compare').hidden && document.querySelectorAll('#rl-compare-table thead th[data-run-id]').length === 3")
        .await;
    assert_eq!(traces(&browser).await, json!(3));

    // Clearing the ticks closes the comparison and charts every visible run again, each
    // row with its colour again.
    browser.click_id("rl-select-clear").await;
    browser
        .wait_for("document.getElementById('rl-compare').hidden && document.getElementById('rl-selection').hidden")
        .await;
    browser
        .wait_for("Number(document.getElementById('rl-chart').dataset.renderedTraces) > 3")
        .await;
    let rows = browser
        .js("const rows = [...document.querySelectorAll('#rl-runs tbody tr[data-run-id]')];
             return { rows: rows.length,
                      swatches: rows.filter(r => r.querySelector('td.rl-name .rl-swatch')).length,
                      ticked: rows.filter(r => r.querySelector('input.rl-tick').checked || r.getAttribute('aria-selected') !== 'false').length };")
        .await;
    assert_eq!(rows["swatches"], rows["rows"], "{rows}");
    assert_eq!(rows["ticked"], json!(0), "{rows}");

    // "Differences only" hides the columns every visible run agrees on.
    assert!(header_labels(&browser).await.contains(&"const".to_string()));
    browser
        .js("document.getElementById('rl-diff-only').click(); return 0;")
        .await;
    browser
        .wait_for("document.getElementById('rl-runs').dataset.hiddenColumns !== '0'")
        .await;
    let labels = header_labels(&browser).await;
    assert!(
        !labels.contains(&"const".to_string()) && labels.contains(&"lr".to_string()),
        "{labels:?}"
    );
    assert!(browser.fragment().await.contains("diff=1"));

    // The header box ticks every visible run (after a filter: only those).
    let input = browser
        .client
        .find(fantoccini::Locator::Css("#rl-filter"))
        .await
        .unwrap();
    input
        .send_keys("lr == 0.1 and seed == 0\u{E007}")
        .await
        .unwrap();
    browser
        .wait_for("document.getElementById('rl-count').textContent.startsWith('477 of')")
        .await;
    browser
        .js("document.getElementById('rl-select-all').click(); return 0;")
        .await;
    browser
        .wait_for("document.getElementById('rl-selected-count').textContent === '477 runs ticked'")
        .await;

    // The table downloads as CSV: the shown columns, one line per visible run.
    let csv = browser.download_text("rl-export-csv").await;
    let lines: Vec<&str> = csv.trim_end().split("\r\n").collect();
    assert_eq!(
        lines.len(),
        1 + 477,
        "a header and one line per visible run"
    );
    assert!(lines[0].starts_with("id,name,"), "{}", lines[0]);
    assert!(
        !lines[0].contains("const"),
        "hidden columns stay out: {}",
        lines[0]
    );
    assert!(lines[1].starts_with("run-00000,run-00000,"), "{}", lines[1]);

    // The chart downloads as SVG (plotly.js builds the file in the page).
    let download = browser.download_link("rl-chart-svg").await;
    assert_eq!(download["name"], json!("runlens-loss.svg"), "{download}");
    let href = download["href"].as_str().unwrap();
    assert!(
        href.starts_with("blob:") || href.starts_with("data:image/svg"),
        "{href}"
    );

    // Back to all 10,000 runs, for the timings of the value-at-step column, the keyboard
    // and the median lines.
    browser.click_id("rl-select-clear").await;
    browser.click_id("rl-diff-only").await;
    input.clear().await.unwrap();
    input.send_keys("\u{E007}").await.unwrap();
    browser
        .wait_for("document.getElementById('rl-count').textContent.startsWith('10,000 of')")
        .await;
    let timings = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const t = {};
             const until = (ready, t0, key, next) => {
                 const poll = () => ready() ? (t[key] = performance.now() - t0, next()) : requestAnimationFrame(poll);
                 poll();
             };
             document.getElementById('rl-columns-open').click();
             document.getElementById('rl-step-metric').value = 'loss';
             document.getElementById('rl-step').value = '1';
             let t0 = performance.now();
             document.getElementById('rl-step-add').click();
             t.add_column_handler = performance.now() - t0;
             const header = 'th[data-sort=\"metric:loss:at:1\"]';
             until(() => document.querySelector('#rl-runs ' + header) && !document.getElementById('rl-runs').hasAttribute('aria-busy'), t0, 'add_column_filled', () => {
                 document.getElementById('rl-columns-close').click();
                 t0 = performance.now();
                 document.querySelector('#rl-runs ' + header + ' button').click();
                 t.sort_by_it = performance.now() - t0;
                 t.first = document.querySelector('#rl-runs tbody tr[data-run-id]').dataset.runId;
                 const wrap = document.querySelector('.rl-table-wrap');
                 const key = k => { const t1 = performance.now();
                     wrap.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true }));
                     return performance.now() - t1; };
                 t.key_down = key('ArrowDown'); t.key_end = key('End'); t.key_home = key('Home');
                 const group = document.getElementById('rl-group');
                 group.value = 'param:lr';
                 group.dispatchEvent(new Event('change'));
                 until(() => document.getElementById('rl-chart-note').textContent.includes('group means'), performance.now(), 'group_chart', () => {
                     const centre = document.getElementById('rl-centre');
                     const t2 = performance.now();
                     centre.value = 'median';
                     centre.dispatchEvent(new Event('change'));
                     t.median_handler = performance.now() - t2;
                     until(() => document.getElementById('rl-chart-note').textContent.includes('group medians'), t2, 'median_chart', () => done(t));
                 });
             });",
            vec![],
        )
        .await
        .unwrap();
    // The smallest loss at step 1 is the last run's, 1 / 10,001.
    assert_eq!(timings["first"], json!("run-09999"), "{timings}");
    eprintln!(
        "10,000 runs, value-at-step column, keyboard and median lines, milliseconds (reported, not asserted): {timings}"
    );

    browser.finish().await;
}

/// The page answers an action in the frame that follows it: the table sorted, the chart
/// marked busy; the chart is drawn after that frame, once however many actions came
/// before it.
#[tokio::test]
async fn the_table_answers_first_and_the_chart_follows() {
    let dir = tempfile::tempdir().unwrap();
    let browser = open(&write_sweep(dir.path()), &dir).await;
    browser
        .wait_for("Number(document.getElementById('rl-chart').dataset.renderedTraces) > 0 && !document.getElementById('rl-chart').hasAttribute('aria-busy')")
        .await;
    let seen = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const chart = document.getElementById('rl-chart');
             const drawn = () => performance.getEntriesByName('rl-chart-drawn').length;
             const first = () => document.querySelector('#rl-runs tbody tr[data-run-id]').dataset.runId;
             const before = { first: first(), drawn: drawn() };
             let frame = null;
             requestAnimationFrame(() => setTimeout(() => {
                 frame = { first: first(), busy: chart.getAttribute('aria-busy'), drawn: drawn() };
             }, 0));
             // Sorting by lr twice in one task: ascending, then descending.
             const sort = () => document.querySelector('#rl-runs thead th[data-sort=\"param:lr\"] button').click();
             sort();
             sort();
             const wait = () => frame && !chart.hasAttribute('aria-busy')
                 ? done({ before, frame, after: { drawn: drawn(), first: first() } })
                 : setTimeout(wait, 10);
             wait();",
            vec![],
        )
        .await
        .unwrap();
    let drawn = seen["before"]["drawn"].as_u64().unwrap();
    // lr descending: 0.1 first, the first such run is run-00000; ascending would be 2.
    assert_eq!(seen["frame"]["first"], json!("run-00000"), "{seen}");
    assert_eq!(seen["frame"]["busy"], json!("true"), "{seen}");
    assert_eq!(
        seen["frame"]["drawn"],
        json!(drawn),
        "not drawn before the frame: {seen}"
    );
    assert_eq!(
        seen["after"]["drawn"],
        json!(drawn + 1),
        "drawn once for both sorts: {seen}"
    );
    assert_eq!(seen["after"]["first"], json!("run-00000"), "{seen}");
    browser.finish().await;
}

#[tokio::test]
async fn hostile_names_stay_text_in_the_comparison() {
    let dir = tempfile::tempdir().unwrap();
    let browser = open(&support::write_hostile_jsonl(dir.path()), &dir).await;
    browser
        .js("document.getElementById('rl-select-all').click(); return 0;")
        .await;
    browser
        .js("document.getElementById('rl-compare-open').click(); return 0;")
        .await;
    browser
        .wait_for(
            "document.querySelectorAll('#rl-compare-table thead th[data-run-id]').length === 2",
        )
        .await;
    let seen = browser
        .js("const panel = document.getElementById('rl-compare');
             return {
                 injected: panel.querySelectorAll('img, script, svg, b, iframe').length,
                 names: [...panel.querySelectorAll('thead .rl-run-open')].map(b => b.textContent),
                 pwned: window.__pwned || null,
             };")
        .await;
    assert_eq!(seen["injected"], json!(0), "{seen}");
    assert_eq!(seen["pwned"], Value::Null);
    assert!(
        seen["names"]
            .as_array()
            .unwrap()
            .contains(&json!(HOSTILE_NAME)),
        "{seen}"
    );
    browser.close().await;
}

/// Clicks the control of the column menu carrying `attribute` = `id` (ids are log text, so
/// they are matched in a script rather than a CSS selector).
async fn menu_click(browser: &Browser, attribute: &str, id: &str, nth: usize) {
    let done = browser
        .client
        .execute(
            "const hits = [...document.querySelectorAll('#rl-columns-list [' + arguments[0] + ']')]
                 .filter(e => e.getAttribute(arguments[0]) === arguments[1]);
             const hit = hits[arguments[2]];
             if (!hit) return false;
             hit.click();
             return true;",
            vec![json!(attribute), json!(id), json!(nth)],
        )
        .await
        .unwrap();
    assert_eq!(
        done,
        json!(true),
        "the menu has [{attribute}={id:?}] #{nth}"
    );
}

async fn header_ids(browser: &Browser) -> Vec<String> {
    serde_json::from_value(
        browser
            .js("return [...document.querySelectorAll('#rl-runs thead th[data-sort]')].map(th => th.dataset.sort);")
            .await,
    )
    .unwrap()
}

#[tokio::test]
async fn columns_are_chosen_ordered_and_pinned_and_the_choice_is_shared() {
    let dir = tempfile::tempdir().unwrap();
    let browser = open(&support::examples(), &dir).await;
    let before = header_ids(&browser).await;
    assert!(before.contains(&"param:lr".to_string()), "{before:?}");
    assert!(!before.contains(&"group".to_string()));

    browser.click_id("rl-columns-open").await;
    browser
        .wait_for("!document.getElementById('rl-columns').hidden && document.querySelectorAll('#rl-columns-list li').length > 3")
        .await;

    // The find box narrows the list; ticking a column adds it at the end.
    let find = browser.by_id("rl-columns-find").await;
    find.send_keys("grou").await.unwrap();
    browser
        .wait_for("[...document.querySelectorAll('#rl-columns-list input[data-column]')].every(i => i.dataset.column.includes('grou'))")
        .await;
    menu_click(&browser, "data-column", "group", 0).await;
    browser
        .wait_for("[...document.querySelectorAll('#rl-runs thead th[data-sort]')].pop().dataset.sort === 'group'")
        .await;
    // Emptying the box lists every column again.
    browser
        .js("const f = document.getElementById('rl-columns-find'); f.value = ''; f.dispatchEvent(new Event('input')); return 0;")
        .await;

    // Unticking hides; a move to the left swaps with the neighbour.
    menu_click(&browser, "data-column", "status", 0).await;
    browser
        .wait_for("![...document.querySelectorAll('#rl-runs thead th[data-sort]')].some(th => th.dataset.sort === 'status')")
        .await;
    let ids = header_ids(&browser).await;
    let last = ids.len() - 1;
    menu_click(&browser, "data-move", "group", 0).await;
    let moved = header_ids(&browser).await;
    assert_eq!(moved[last - 1], "group", "{moved:?}");
    assert_eq!(moved[last], ids[last - 1]);

    // Pinning puts the column right after the name and keeps it in view when the table
    // scrolls sideways.
    menu_click(&browser, "data-pin", "group", 0).await;
    browser
        .wait_for("document.querySelector('#rl-runs thead th.rl-pinned') && document.querySelector('#rl-runs thead th.rl-pinned').dataset.sort === 'group'")
        .await;
    assert_eq!(header_ids(&browser).await[1], "group");
    let sticky = browser
        .js(
            "const th = document.querySelector('#rl-runs thead th.rl-pinned');
             return getComputedStyle(th).position;",
        )
        .await;
    assert_eq!(sticky, json!("sticky"));

    // The choice is in the address and comes back on reload.
    let address = browser.fragment().await;
    assert!(
        address.contains("col=name") && address.contains("pin=group"),
        "{address}"
    );
    let chosen = header_ids(&browser).await;
    browser.client.refresh().await.unwrap();
    browser.wait_ready().await.expect("the report restarts");
    assert_eq!(header_ids(&browser).await, chosen);

    // A metric's direction is set from the menu: its best visible run is marked.
    browser
        .js("document.getElementById('rl-columns-open').click(); return 0;")
        .await;
    browser
        .wait_for("!document.getElementById('rl-columns').hidden")
        .await;
    let marked = "document.querySelectorAll('#rl-runs td.rl-best').length";
    assert_eq!(browser.js(&format!("return {marked};")).await, json!(0));
    menu_click(&browser, "data-direction", "val/acc", 0).await;
    browser
        .wait_for(&format!(
            "{marked} > 0 && location.hash.includes('dir=val%2Facc%3Alower')"
        ))
        .await;
    let detail = browser
        .js("return [...document.querySelectorAll('#rl-runs thead th[data-sort^=\"metric:val/acc:\"] .rl-detail')].map(e => e.textContent);")
        .await;
    assert!(
        detail
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d.as_str().unwrap().ends_with('↓')),
        "{detail}"
    );
    menu_click(&browser, "data-direction", "val/acc", 0).await;
    browser
        .wait_for("location.hash.includes('dir=val%2Facc%3Ahigher')")
        .await;
    menu_click(&browser, "data-direction", "val/acc", 0).await;
    browser
        .wait_for(&format!(
            "{marked} === 0 && !location.hash.includes('dir=')"
        ))
        .await;
    browser
        .js("document.getElementById('rl-columns-close').click(); return 0;")
        .await;

    // Reset brings the defaults back.
    browser
        .js("document.getElementById('rl-columns-open').click(); return 0;")
        .await;
    browser
        .wait_for("!document.getElementById('rl-columns').hidden")
        .await;
    browser
        .js("document.getElementById('rl-columns-reset').click(); return 0;")
        .await;
    browser
        .wait_for("!document.querySelector('#rl-runs thead th.rl-pinned')")
        .await;
    assert_eq!(header_ids(&browser).await, before);
    // Escape closes the menu.
    browser
        .js("document.getElementById('rl-columns-find').dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true })); return 0;")
        .await;
    browser
        .wait_for("document.getElementById('rl-columns').hidden")
        .await;

    browser.finish().await;
}

/// What plotly drew: the x axis title and type, the y axis type, each trace's x values.
async fn drawn(browser: &Browser) -> Value {
    browser
        .js("const gd = document.getElementById('rl-chart');
             return {
                 xTitle: gd.layout.xaxis.title.text, xType: gd.layout.xaxis.type || null,
                 yType: gd.layout.yaxis.type || null, traces: gd.data.length,
                 xs: gd.data.map(t => [...t.x]), note: document.getElementById('rl-chart-note').textContent,
             };")
        .await
}

#[tokio::test]
async fn chart_axes_smoothing_bands_and_zoom() {
    let dir = tempfile::tempdir().unwrap();
    let browser = open(&support::examples(), &dir).await;
    browser.choose("rl-metric", "val/acc").await;
    browser
        .wait_for("document.getElementById('rl-chart').layout.yaxis.title.text === 'val/acc'")
        .await;
    let lines = drawn(&browser).await["traces"].as_u64().unwrap();
    assert!(lines > 2);

    // Time since each run started, in a readable unit.
    browser.choose("rl-x", "relative").await;
    browser
        .wait_for("document.getElementById('rl-chart').layout.xaxis.title.text.startsWith('time since start')")
        .await;
    let relative = drawn(&browser).await;
    let first_x = relative["xs"][0][0].as_f64().unwrap();
    assert!((0.0..60.0).contains(&first_x), "{relative}");
    // Wall time is a date axis.
    browser.choose("rl-x", "wall").await;
    browser
        .wait_for("document.getElementById('rl-chart').layout.xaxis.type === 'date'")
        .await;
    // Another metric as the x axis, matched step by step.
    browser.choose("rl-x", "metric:val/loss").await;
    browser
        .wait_for("document.getElementById('rl-chart').layout.xaxis.title.text === 'val/loss' && location.hash.includes('x=metric%3Aval%2Floss')")
        .await;
    browser.choose("rl-x", "step").await;

    // Log y, and the choice travels in the address.
    browser.click_id("rl-log-y").await;
    browser
        .wait_for("document.getElementById('rl-chart').layout.yaxis.type === 'log' && location.hash.includes('logy=1')")
        .await;

    // A centred moving average draws each run smoothed with its raw curve faint behind it
    // (the raw curves of one colour share a trace).
    browser.choose("rl-smoothing", "ma:25").await;
    browser
        .wait_for(&format!(
            "location.hash.includes('avg=25') && (() => {{
               const data = document.getElementById('rl-chart').data;
               const faint = data.filter((t) => t.hoverinfo === 'skip').length;
               return data.length - faint === {lines} && faint >= 1 && faint <= Math.min({lines}, 10);
             }})()"
        ))
        .await;
    browser.choose("rl-smoothing", "0").await;

    // Zooming draws the range again at full resolution; a double click (autorange) goes back.
    browser
        .js("Plotly.relayout(document.getElementById('rl-chart'), { 'xaxis.range': [5, 10] }); return 0;")
        .await;
    browser
        .wait_for("document.getElementById('rl-chart').dataset.zoomed === '1'")
        .await;
    let zoomed = drawn(&browser).await;
    let inside: usize = zoomed["xs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|xs| {
            xs.as_array()
                .unwrap()
                .iter()
                .filter(|x| (5.0..=10.0).contains(&x.as_f64().unwrap()))
                .count()
        })
        .sum();
    assert!(inside > 0, "the zoomed range is drawn: {zoomed}");
    // A run that stopped before the range draws nothing there.
    for xs in zoomed["xs"].as_array().unwrap() {
        let xs: Vec<f64> = xs
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        let outside = xs.iter().filter(|x| !(5.0..=10.0).contains(*x)).count();
        assert!(
            outside <= 2,
            "the zoomed range and one point beyond each edge: {xs:?}"
        );
    }
    browser
        .js("Plotly.relayout(document.getElementById('rl-chart'), { 'xaxis.autorange': true }); return 0;")
        .await;
    browser
        .wait_for("document.getElementById('rl-chart').dataset.zoomed === '0'")
        .await;

    // Groups: the band and runs controls appear; min-to-max bands, and the runs drawn too.
    assert_eq!(
        browser
            .js("return document.getElementById('rl-band').closest('label').hidden;")
            .await,
        json!(true)
    );
    browser.choose("rl-group", "param:optimizer").await;
    browser
        .wait_for("!document.getElementById('rl-band').closest('label').hidden")
        .await;
    browser.choose("rl-band", "minmax").await;
    browser
        .wait_for(
            "document.getElementById('rl-chart-note').textContent.includes('group means; bands: min to max')",
        )
        .await;
    let bands = drawn(&browser).await["traces"].as_u64().unwrap();
    browser.click_id("rl-show-runs").await;
    // Three traces per group (edges and centre line), and one for each group's runs,
    // whose points name every run.
    browser
        .wait_for(&format!(
            "document.getElementById('rl-chart').data.length === {}",
            bands + bands / 3
        ))
        .await;
    let named = browser
        .js("return new Set(document.getElementById('rl-chart').data
                 .flatMap(t => Array.isArray(t.text) ? t.text.filter(x => x) : [])).size;")
        .await;
    assert_eq!(named, json!(lines), "every run of the groups is drawn");

    // More charts: one small chart per metric whose key matches, beside the charted one.
    let wanted = browser
        .js("return [...document.getElementById('rl-metric').options].map(o => o.value)
                .filter(k => /^(val|train)\\//.test(k) && k !== document.getElementById('rl-metric').value);")
        .await;
    assert!(!wanted.as_array().unwrap().is_empty(), "{wanted}");
    let charts = browser.by_id("rl-charts").await;
    charts.send_keys("(\u{E007}").await.unwrap();
    browser
        .wait_for("!document.getElementById('rl-charts-error').hidden && document.getElementById('rl-charts').getAttribute('aria-invalid') === 'true'")
        .await;
    charts.clear().await.unwrap();
    charts.send_keys("^(val|train)/\u{E007}").await.unwrap();
    browser
        .wait_for(&format!(
            "document.getElementById('rl-charts-error').hidden && [...document.querySelectorAll('#rl-chart-grid .rl-chart[data-metric]')].filter(c => Number(c.dataset.renderedTraces) > 0).length === {}",
            wanted.as_array().unwrap().len()
        ))
        .await;
    let grid = browser
        .js("return [...document.querySelectorAll('#rl-chart-grid .rl-chart[data-metric]')].map(c => c.dataset.metric);")
        .await;
    assert_eq!(grid, wanted);
    assert!(browser.fragment().await.contains("charts="));

    // Reloading keeps every chart option.
    browser.client.refresh().await.unwrap();
    browser.wait_ready().await.expect("the report restarts");
    let restored = browser
        .js("return ['rl-band', 'rl-group'].map(id => document.getElementById(id).value)
                .concat(['rl-log-y', 'rl-show-runs'].map(id => document.getElementById(id).checked));")
        .await;
    assert_eq!(restored, json!(["minmax", "param:optimizer", true, true]));
    browser
        .wait_for(&format!(
            "document.querySelectorAll('#rl-chart-grid .rl-chart[data-metric]').length === {}",
            wanted.as_array().unwrap().len()
        ))
        .await;
    browser.finish().await;
}

#[tokio::test]
async fn hyperparameter_scatter_bars_and_correlations() {
    let dir = tempfile::tempdir().unwrap();
    let browser = open(&support::examples(), &dir).await;

    // Closed at first: nothing drawn.
    assert_eq!(
        browser
            .js("return document.getElementById('rl-hp-scatter').dataset.drawn || null;")
            .await,
        Value::Null
    );
    browser
        .client
        .find(fantoccini::Locator::Css("#rl-hparams > summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.choose("rl-hp-x", "param:lr").await;
    browser.choose("rl-hp-y", "metric:val/acc:last").await;
    // One marker per visible run with both an lr and a val/acc: the table's lr cells and
    // last val/acc cells of those runs, in table order.
    let expected = browser
        .js(
            "const head = [...document.querySelectorAll('#rl-runs thead th')];
             const lr = head.findIndex(th => th.dataset.sort === 'param:lr');
             const acc = head.findIndex(th => th.dataset.sort === 'metric:val/acc:last');
             return [...document.querySelectorAll('#rl-runs tbody tr[data-run-id]')]
                 .map(tr => [tr.children[lr].textContent, tr.children[acc].textContent])
                 .filter(([a, b]) => a !== '' && b !== '')
                 .map(([a]) => Number(a));",
        )
        .await;
    assert!(!expected.as_array().unwrap().is_empty(), "{expected}");
    browser
        .wait_for(
            "(() => { const gd = document.getElementById('rl-hp-scatter');
                 return gd.data && gd.layout.xaxis.title.text === 'lr'; })()",
        )
        .await;
    let xs = browser
        .js("return [...document.getElementById('rl-hp-scatter').data[0].x];")
        .await;
    assert_eq!(xs, expected);
    // The correlation table lists lr with a sign.
    let corr = browser
        .js("const row = [...document.querySelectorAll('#rl-hp-corr tbody tr')].find(r => r.dataset.column === 'param:lr');
             return row ? [...row.children].map(c => c.textContent) : null;")
        .await;
    let cells = corr.as_array().expect("lr is in the correlation table");
    assert_eq!(cells[0], json!("lr"));
    assert!(cells[2].as_str().unwrap().starts_with(['+', '-']), "{corr}");

    // Log x; and with groups, a bar per group.
    browser.click_id("rl-hp-log-x").await;
    browser
        .wait_for("document.getElementById('rl-hp-scatter').layout.xaxis.type === 'log'")
        .await;
    browser.choose("rl-group", "param:optimizer").await;
    browser
        .wait_for("!document.getElementById('rl-hp-bars').hidden && document.getElementById('rl-hp-bars').dataset.drawn === '1'")
        .await;
    // A bar per group that has a val/acc: the group rows whose val/acc cell is not empty.
    let bars = browser
        .js("return document.getElementById('rl-hp-bars').data[0].x.length;")
        .await;
    let groups = browser
        .js(
            "const head = [...document.querySelectorAll('#rl-runs thead th')];
             const acc = head.findIndex(th => th.dataset.sort === 'metric:val/acc:last');
             return [...document.querySelectorAll('#rl-runs tbody tr.rl-group-row')]
                 .filter(tr => tr.children[acc].textContent !== '').length;",
        )
        .await;
    assert_eq!(bars, groups);
    assert!(bars.as_u64().unwrap() >= 2);

    // The panel and its choices are in the address and come back on reload.
    let address = browser.fragment().await;
    assert!(
        address.contains("hp=1")
            && address.contains("hx=param%3Alr")
            && address.contains("hlogx=1"),
        "{address}"
    );
    browser.client.refresh().await.unwrap();
    browser.wait_ready().await.expect("the report restarts");
    browser
        .wait_for("document.getElementById('rl-hparams').open && document.getElementById('rl-hp-scatter').dataset.drawn === '1' && document.getElementById('rl-hp-x').value === 'param:lr'")
        .await;
    browser.finish().await;
}

#[tokio::test]
async fn groups_by_two_keys_fold_small_groups_and_show_full_aggregates() {
    let dir = tempfile::tempdir().unwrap();
    let browser = open(&write_sweep(dir.path()), &dir).await;
    let group_labels = "return [...document.querySelectorAll('#rl-runs tbody tr.rl-group-row > th')].map(th => th.textContent);";

    // "Then by" appears once grouped; seed (7 values) then lr (3): 21 groups.
    assert_eq!(
        browser
            .js("return document.getElementById('rl-group2').closest('label').hidden;")
            .await,
        json!(true)
    );
    browser.choose("rl-group", "param:seed").await;
    browser
        .wait_for("!document.getElementById('rl-group2').closest('label').hidden")
        .await;
    browser.choose("rl-group2", "param:lr").await;
    browser
        .wait_for("document.getElementById('rl-runs').getAttribute('aria-rowcount') > 1000 && document.querySelector('#rl-runs tbody tr.rl-group-row > th').textContent.includes(' · ')")
        .await;
    // The table is virtualized: count groups through the chart's legend of bands instead.
    browser
        .wait_for("document.getElementById('rl-chart').data.filter(t => t.name).length === 20")
        .await;
    let first: Vec<String> = serde_json::from_value(browser.js(group_labels).await).unwrap();
    assert_eq!(first[0], "0 · 0.001", "{first:?}");

    // Folding keeps the nine largest groups and puts the twelve others together.
    browser.click_id("rl-fold").await;
    browser
        .wait_for("document.getElementById('rl-chart').data.filter(t => t.name).length === 10")
        .await;
    let names = browser
        .js("return document.getElementById('rl-chart').data.filter(t => t.name).map(t => t.name);")
        .await;
    assert!(
        names
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .as_str()
            .unwrap()
            .starts_with("others (12 groups)"),
        "{names}"
    );
    let address = browser.fragment().await;
    assert!(
        address.contains("group2=param%3Alr") && address.contains("fold=1"),
        "{address}"
    );

    // A group's numeric cell tells count, mean, std, min and max on hover.
    let title = browser
        .js(
            "const head = [...document.querySelectorAll('#rl-runs thead th')];
             const loss = head.findIndex(th => th.dataset.sort === 'metric:loss:last');
             return document.querySelector('#rl-runs tbody tr.rl-group-row').children[loss].title;",
        )
        .await;
    let title = title.as_str().unwrap();
    for part in ["runs · mean ", " · std ", " · min ", " · max "] {
        assert!(title.contains(part), "{title}");
    }
    browser.close().await;
}

#[tokio::test]
async fn brushing_parallel_coordinates_filters_every_view() {
    let dir = tempfile::tempdir().unwrap();
    let browser = open(&support::examples(), &dir).await;
    let all = browser
        .js("return document.getElementById('rl-count').textContent;")
        .await;
    browser
        .js("document.querySelector('#rl-hparams > summary').click(); return 0;")
        .await;
    browser.choose("rl-hp-y", "metric:val/acc:last").await;
    browser
        .wait_for(
            "document.querySelector('#rl-hp-parcoords svg .rl-pc-hit[data-column=\"param:lr\"]')",
        )
        .await;
    let lines = browser
        .js("return Number(document.querySelector('#rl-hp-parcoords svg').dataset.lines);")
        .await;
    let rows = browser
        .js("return document.querySelectorAll('#rl-runs tbody tr[data-run-id]').length;")
        .await;
    assert_eq!(lines, rows, "a line per visible run");
    let before = browser.js(PARCOORDS_PIXELS).await;
    assert!(before["coloured"].as_u64().unwrap() > 0, "{before}");

    // Drag along the lr axis from its top to its middle: the upper half of the lr values.
    let range = browser
        .js("const hit = document.querySelector('#rl-hp-parcoords .rl-pc-hit[data-column=\"param:lr\"]');
             const box = hit.getBoundingClientRect();
             const x = box.left + box.width / 2;
             const fire = (type, y) => hit.dispatchEvent(new PointerEvent(type,
                 { bubbles: true, cancelable: true, clientX: x, clientY: y, pointerId: 1 }));
             fire('pointerdown', box.top + 1);
             fire('pointermove', box.top + box.height / 2);
             fire('pointerup', box.top + box.height / 2);
             const min = Number(hit.dataset.min), max = Number(hit.dataset.max);
             return [min + (max - min) * 0.5, max];")
        .await;
    browser
        .wait_for(&format!(
            "document.getElementById('rl-count').textContent !== {all} && location.hash.includes('brush=param%3Alr')"
        ))
        .await;
    // Every run left in the table has an lr in the brushed range (within the drag's
    // pixel precision), and the chart follows.
    let lrs = browser
        .js(
            "const head = [...document.querySelectorAll('#rl-runs thead th')];
             const lr = head.findIndex(th => th.dataset.sort === 'param:lr');
             return [...document.querySelectorAll('#rl-runs tbody tr[data-run-id]')]
                 .map(tr => Number(tr.children[lr].textContent));",
        )
        .await;
    let (low, high) = (range[0].as_f64().unwrap(), range[1].as_f64().unwrap());
    let lrs: Vec<f64> = serde_json::from_value(lrs).unwrap();
    let debug = browser
        .js("return [location.hash, document.getElementById('rl-count').textContent];")
        .await;
    assert!(!lrs.is_empty(), "{debug} {range}");
    for lr in &lrs {
        assert!(
            *lr >= low * 0.9 && *lr <= high,
            "lr {lr} outside {low}..{high}"
        );
    }
    let kept = browser
        .js("return Number(document.querySelector('#rl-hp-parcoords svg').dataset.kept);")
        .await;
    assert_eq!(kept, json!(lrs.len()));
    // The runs outside the brush turn grey on the canvas: fewer coloured pixels, as many
    // lines.
    let after = browser.js(PARCOORDS_PIXELS).await;
    assert_eq!(after["lines"], before["lines"]);
    assert!(
        after["coloured"].as_u64().unwrap() < before["coloured"].as_u64().unwrap(),
        "before {before}, after {after}"
    );
    assert!(
        browser
            .js("return Number(document.getElementById('rl-chart').dataset.renderedTraces);")
            .await
            .as_u64()
            .unwrap()
            <= lrs.len() as u64
    );

    // Clearing the brushes brings every run back.
    browser
        .js("document.getElementById('rl-hp-clear-brushes').click(); return 0;")
        .await;
    browser
        .wait_for(&format!(
            "document.getElementById('rl-count').textContent === {all} && !location.hash.includes('brush=')"
        ))
        .await;
    browser.finish().await;
}
