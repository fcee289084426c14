//! The metric chart's lines painted on a canvas, in real headless Chromium: a chart of
//! more than 4,000 points is painted there (plotly keeps the axes, legend and hover from
//! traces without marks), a chart of fewer stays SVG. Hover names the run, a legend click
//! hides its line, a zoom paints the lines again, group bands are filled, and the PNG and
//! SVG downloads hold the lines (the SVG as vector paths).

mod support;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use support::browser::{Browser, COLOURED_PIXELS};

const RUNS: usize = 6;
const STEPS: usize = 1_000;
/// The chart's palette (`chart::PALETTE`), first colours: one per run by table row.
const COLOURS: [(u8, u8, u8); RUNS] = [
    (0x5a, 0x8f, 0xc8),
    (0xf2, 0x8e, 0x2b),
    (0xe1, 0x57, 0x59),
    (0x76, 0xb7, 0xb2),
    (0x59, 0xa1, 0x4f),
    (0xed, 0xc9, 0x48),
];

/// Writes a JSONL log of [`RUNS`] runs (`run-0` ...) of [`STEPS`] noisy loss points each;
/// param `seed` is the run number mod 2.
fn write_runs(dir: &Path) -> PathBuf {
    let mut text = String::new();
    for run in 0..RUNS {
        let id = format!("run-{run}");
        let _ = writeln!(
            text,
            "{}",
            json!({"type": "run", "run": id, "name": id, "status": "finished"})
        );
        let _ = writeln!(
            text,
            "{}",
            json!({"type": "params", "run": id, "params": {"seed": run % 2}})
        );
        for step in 0..STEPS {
            let wiggle = ((step * 7919 + run * 104_729) % 1000) as f64 / 10_000.0;
            let loss = (run + 1) as f64 / (1.0 + step as f64 / 100.0) + wiggle;
            let _ = writeln!(
                text,
                "{}",
                json!({"type": "metrics", "run": id, "step": step,
                       "time": 1_700_000_000 + run * 5 + step * 60, "values": {"loss": loss}})
            );
        }
    }
    let path = dir.join("runs.jsonl");
    std::fs::write(&path, text).unwrap();
    path
}

async fn open(dir: &tempfile::TempDir) -> Browser {
    let input = write_runs(dir.path());
    Browser::open_single_file(&input, dir.path()).await
}

/// The line canvas's state: traces painted, opaque pixels near each run colour, faint
/// pixels (band fills), a hash of its pixels, and the plotly traces that still draw SVG lines (with points).
const CANVAS: &str = "const gd = document.getElementById('rl-chart');
    const canvas = gd.querySelector('canvas.rl-line-canvas');
    const colours = arguments[0];
    if (!canvas) return { canvas: false,
        svg_lines: [...gd.querySelectorAll('.scatterlayer path.js-line')].filter(p => (p.getAttribute('d') || '').length > 0).length };
    const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const near = colours.map(() => 0);
    let hash = 0, translucent = 0;
    for (let i = 0; i < d.length; i += 4) {
        hash = (hash * 31 + d[i] + d[i + 1] * 7 + d[i + 2] * 13 + d[i + 3] * 17) >>> 0;
        if (d[i + 3] > 0 && d[i + 3] < 100) translucent++;
        if (d[i + 3] < 200) continue;
        colours.forEach(([r, g, b], k) => {
            if (Math.abs(d[i] - r) + Math.abs(d[i + 1] - g) + Math.abs(d[i + 2] - b) < 30) near[k]++;
        });
    }
    return { canvas: true, traces: Number(canvas.dataset.traces), near, hash, translucent,
             modes: gd._fullData.filter(t => t.x.length > 1).map(t => t.mode),
             svg_lines: [...gd.querySelectorAll('.scatterlayer path.js-line')].filter(p => (p.getAttribute('d') || '').length > 0).length };";

async fn canvas(browser: &Browser) -> Value {
    let colours: Vec<[u8; 3]> = COLOURS.iter().map(|&(r, g, b)| [r, g, b]).collect();
    browser
        .client
        .execute(CANVAS, vec![json!(colours)])
        .await
        .unwrap()
}

/// Replaces `Plotly.downloadImage` with one that renders what it is given as `format`
/// and hands back: the figure's trace modes, and for a PNG the coloured pixels, for an
/// SVG the vector line paths with points and whether run 0's colour strokes one. Then
/// clicks `click` (a selector).
async fn download(browser: &Browser, click: &str) -> Value {
    browser
        .client
        .execute_async(
            &[COLOURED_PIXELS, "
             const done = arguments[arguments.length - 1];
             const click = arguments[0];
             const png = url => coloured(url).then(pixels => ({ pixels }));
             const svg = url => {
                 const text = decodeURIComponent(url.slice(url.indexOf(',') + 1));
                 const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
                 const paths = [...doc.querySelectorAll('.scatterlayer path.js-line')]
                     .filter(p => (p.getAttribute('d') || '').length > 100);
                 return { paths: paths.length,
                          run0: paths.some(p => (p.getAttribute('style') || '').includes('rgb(90, 143, 200)')) };
             };
             Plotly.downloadImage = (figure, options) => {
                 const modes = (figure.data || []).map(t => t.mode);
                 const isChart = figure instanceof Element;
                 return Plotly.toImage(figure, { format: options.format }).then(url =>
                     options.format === 'svg' ? svg(url) : png(url)).then(seen => {
                     done(Object.assign({ modes, isChart, format: options.format, name: options.filename }, seen));
                     return '';
                 });
             };
             document.querySelector(click).click();"]
                .concat(),
            vec![json!(click)],
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn long_lines_are_painted_on_a_canvas_with_hover_legend_zoom_and_downloads() {
    let dir = tempfile::tempdir().unwrap();
    let browser = open(&dir).await;
    browser
        .wait_for(
            "(() => { const c = document.querySelector('#rl-chart canvas.rl-line-canvas');
                 return c && Number(c.dataset.traces) > 0; })()",
        )
        .await;
    browser
        .js("document.getElementById('rl-chart').scrollIntoView(); return 0;")
        .await;
    browser.screenshot_if_asked("lines-canvas").await;
    let before = canvas(&browser).await;
    // Every run's line is on the canvas, in its colour; plotly draws no line itself.
    assert_eq!(before["traces"], json!(RUNS), "{before}");
    for (run, pixels) in before["near"].as_array().unwrap().iter().enumerate() {
        assert!(
            pixels.as_u64().unwrap() > 100,
            "run {run}'s line is painted: {before}"
        );
    }
    assert_eq!(before["svg_lines"], json!(0), "{before}");
    assert_eq!(before["modes"], json!(vec!["none"; RUNS]), "{before}");

    // The legend still shows each run with its line's colour, and hover names the run.
    let legend = browser
        .js("const gd = document.getElementById('rl-chart');
             Plotly.Fx.hover(gd, [{ curveNumber: 2, pointNumber: 500 }]);
             return { entries: [...gd.querySelectorAll('.legend .traces')].map(t => t.textContent),
                      swatch: gd.querySelector('.legend .traces path.js-line')?.style.stroke,
                      hover: [...gd.querySelectorAll('.hoverlayer .hovertext')].map(e => e.textContent).join('|'),
                      unhovered: (Plotly.Fx.unhover(gd), true) };")
        .await;
    assert_eq!(
        legend["entries"],
        json!(["run-0", "run-1", "run-2", "run-3", "run-4", "run-5"]),
        "{legend}"
    );
    assert_eq!(legend["swatch"], json!("rgb(90, 143, 200)"), "{legend}");
    assert!(
        legend["hover"].as_str().unwrap().contains("run-2"),
        "{legend}"
    );

    // A click on run-2's legend entry hides its line from the canvas; the others stay.
    let entries = browser
        .client
        .find_all(fantoccini::Locator::Css(
            "#rl-chart .legend .traces .legendtoggle",
        ))
        .await
        .unwrap();
    assert_eq!(entries.len(), RUNS);
    entries[2].click().await.unwrap();
    browser
        .wait_for("Number(document.querySelector('#rl-chart canvas.rl-line-canvas').dataset.traces) === 5")
        .await;
    let hidden = canvas(&browser).await;
    let near = |v: &Value, k: usize| v["near"][k].as_u64().unwrap_or_else(|| panic!("{v}"));
    assert!(near(&hidden, 2) < 5, "run-2 is gone: {hidden}");
    assert!(near(&hidden, 0) > 100 && near(&hidden, 5) > 100, "{hidden}");

    // The chart's PNG button (modebar) and the page's SVG button hand plotly the figure
    // with its lines as SVG paths: the PNG has coloured lines, the SVG vector paths in the
    // runs' colours, without the hidden run.
    let png = download(
        &browser,
        "#rl-chart .modebar-btn[data-title='Download plot as a PNG']",
    )
    .await;
    assert_eq!(png["isChart"], json!(false), "{png}");
    assert_eq!(png["name"], json!("runlens-loss"), "{png}");
    assert!(png["pixels"].as_u64().unwrap() > 1000, "{png}");
    assert_eq!(png["modes"][0], json!("lines"), "{png}");
    let svg = download(&browser, "#rl-chart-svg").await;
    assert_eq!(svg["format"], json!("svg"), "{svg}");
    assert_eq!(svg["paths"], json!(RUNS - 1), "{svg}");
    assert_eq!(svg["run0"], json!(true), "{svg}");

    // On a date axis (plotly keeps its range as date strings) the lines are painted too,
    // where the times put them: run-5 started 25 s after run-0, so the runs' first
    // points are a few pixels apart, the lines the same shape.
    browser.choose("rl-x", "wall").await;
    browser
        .wait_for(
            "document.getElementById('rl-chart')._fullLayout.xaxis.type === 'date'
                   && !document.getElementById('rl-chart').hasAttribute('aria-busy')",
        )
        .await;
    let dated = canvas(&browser).await;
    assert!(
        near(&dated, 0) > 100 && near(&dated, 5) > 100,
        "the lines are painted on the date axis: {dated}"
    );
    // The figure is new, and run-2 is still hidden from it.
    assert!(near(&dated, 2) < 5, "run-2 stays hidden: {dated}");
    browser.choose("rl-x", "step").await;
    browser
        .wait_for(
            "document.getElementById('rl-chart')._fullLayout.xaxis.type === 'linear'
                   && !document.getElementById('rl-chart').hasAttribute('aria-busy')",
        )
        .await;

    // Zoomed into the first 800 steps (4,800 points: still the canvas), the lines are painted again for the new
    // axes, at full resolution.
    browser
        .js("Plotly.relayout(document.getElementById('rl-chart'), { 'xaxis.range': [0, 800] }); return 0;")
        .await;
    browser
        .wait_for("document.getElementById('rl-chart').dataset.zoomed === '1' && !document.getElementById('rl-chart').hasAttribute('aria-busy')")
        .await;
    let zoomed = canvas(&browser).await;
    assert_ne!(zoomed["hash"], hidden["hash"], "{zoomed}");
    assert!(near(&zoomed, 0) > 100, "{zoomed}");
    assert_eq!(
        zoomed["traces"],
        json!(RUNS - 1),
        "a zoom keeps run-2 hidden: {zoomed}"
    );
    let hidden_in_legend = browser
        .js("return [...document.getElementById('rl-chart').data].filter(t => t.visible === 'legendonly').map(t => t.uid);")
        .await;
    assert_eq!(
        hidden_in_legend,
        json!(["run-2-0", "run-2-1"]),
        "the run's line and its legend entry, by their ids"
    );

    // Grouped by seed: two bands and their centre lines, filled and stroked on the canvas.
    browser
        .js("Plotly.relayout(document.getElementById('rl-chart'), { 'xaxis.autorange': true }); return 0;")
        .await;
    browser.choose("rl-group", "param:seed").await;
    browser
        .wait_for("(() => { const c = document.querySelector('#rl-chart canvas.rl-line-canvas');
                       return c && Number(c.dataset.traces) === 6
                           && document.getElementById('rl-chart').querySelectorAll('.legend .traces').length === 2; })()")
        .await;
    let bands = canvas(&browser).await;
    // The bands are filled first, the lines over them: each keeps its colour.
    assert!(near(&bands, 0) > 100 && near(&bands, 1) > 100, "{bands}");
    assert!(
        bands["translucent"].as_u64().unwrap() > 5_000,
        "the bands are filled: {bands}"
    );
    assert_eq!(bands["svg_lines"], json!(0), "{bands}");
    browser.screenshot_if_asked("lines-canvas-bands").await;

    // One run (1,000 points) is few enough for SVG: the canvas goes, plotly draws the line.
    browser.choose("rl-group", "").await;
    let input = browser.by_id("rl-filter").await;
    input.send_keys("name == \"run-3\"\u{E007}").await.unwrap();
    browser
        .wait_for("!document.querySelector('#rl-chart canvas.rl-line-canvas')
                   && document.querySelectorAll('#rl-chart .scatterlayer path.js-line').length === 1")
        .await;
    let small = canvas(&browser).await;
    assert_eq!(small, json!({"canvas": false, "svg_lines": 1}));

    // plotly.js refusing a figure outright (a throw, not a rejected promise) is the chart's
    // error, shown, the chart no longer busy; the next good drawing takes it away.
    browser
        .js("const react = Plotly.react;
             Plotly.react = () => { Plotly.react = react; throw new Error('refused'); };
             return 0;")
        .await;
    let smoothing = |index: usize| {
        format!(
            "const s = document.getElementById('rl-smoothing'); s.value = s.options[{index}].value;
             s.dispatchEvent(new Event('change', {{ bubbles: true }})); return 0;"
        )
    };
    browser.js(&smoothing(1)).await;
    browser
        .wait_for(
            "!document.getElementById('rl-error').hidden
                   && !document.getElementById('rl-chart').hasAttribute('aria-busy')",
        )
        .await;
    let error = browser
        .js("return document.getElementById('rl-error').textContent;")
        .await;
    assert!(
        error
            .as_str()
            .unwrap()
            .contains("The chart could not be drawn: refused"),
        "{error}"
    );
    browser.js(&smoothing(0)).await;
    browser
        .wait_for("document.getElementById('rl-error').hidden
                   && document.querySelectorAll('#rl-chart .scatterlayer path.js-line').length === 1")
        .await;
    browser.finish().await;
}
