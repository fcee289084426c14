//! Browser benchmark, reported and never asserted (ignored by `cargo test`; see
//! `docs/benchmarks.md`, "Browser"):
//!
//! ```sh
//! cargo test -p runlens-tests --test browser_bench -- --ignored --nocapture
//! ```
//!
//! Builds multi-file reports of 1k, 10k and 100k synthetic runs (the bench crate's sweep,
//! widened to 20 params and 10 metrics, short series) and one of 100 runs × 10,000 steps,
//! serves each on 127.0.0.1 and opens it in headless Chromium. Measured in the page with
//! `performance.now()`: navigation to the first chart drawn (the page's
//! `rl-chart-drawn` mark); filter + group + aggregate through the module's bench-only
//! export, next to a plain-JavaScript implementation of the same on the same columns in
//! the same page (ratio); the same through the filter box and group select (DOM and
//! table included); and the chart redraw after a smoothing change on 100 series × 10,000
//! points. The wasm module is always the optimized one the build embeds.

mod support;

#[path = "../crates/runlens-bench/src/synthetic.rs"]
#[allow(dead_code, reason = "shared with the bench binary")]
mod synthetic;

use std::path::Path;

use runlens_core::{Archive, MetricSeries, ParamValue, bundle};
use serde_json::Value;
use support::browser::{Browser, Scripts};
use support::server::StaticServer;

/// The filter, group and metric timed (the same in wasm and in JavaScript).
const FILTER: &str = "params.lr < 0.005 and metrics.train/loss.last < 1";
const GROUP: &str = "param:optimizer";
const METRIC: &str = "train/loss";

/// The sweep of `runs` runs of `steps` steps, widened to 20 params and 10 metrics.
fn archive(runs: usize, steps: i64) -> Archive {
    let mut archive = synthetic::sweep(runs, steps, 7);
    for (index, run) in archive.runs.iter_mut().enumerate() {
        for p in 0..16 {
            let value = match p % 4 {
                0 => ParamValue::Int((index % (p + 3)) as i64),
                1 => ParamValue::Float(((index * 7919 + p) % 1000) as f64 / 1000.0),
                2 => ParamValue::Text(format!("choice-{}", (index + p) % 5)),
                _ => ParamValue::Bool((index + p) % 2 == 0),
            };
            run.params.insert(format!("extra/p{p:02}"), value);
        }
        for m in 0..6 {
            let mut series = MetricSeries::default();
            for step in 0..3 {
                let value = ((index * 31 + m * 17 + step) % 997) as f64 / 997.0;
                series.push(step as i64 * 10, value, None);
            }
            run.metrics.insert(format!("eval/m{m}"), series);
        }
    }
    archive.finish();
    archive
}

/// Writes the multi-file site of `archive` into `dir`; returns its data bytes.
fn write_site(archive: &Archive, dir: &Path) -> u64 {
    let encoded = bundle::encode(archive, "bench", bundle::DEFAULT_CHUNK_POINTS);
    let table = bundle::decode_index(&encoded.index).unwrap();
    let info = runlens_site::ReportInfo {
        title: "bench",
        table: &table,
        point_count: archive.point_count(),
        description: None,
        view: &Default::default(),
        theme: runlens_site::Theme::Auto,
        directions: &Default::default(),
        pages: &[],
    };
    runlens_site::write_site(&info, &encoded, dir).unwrap();
    encoded.byte_len()
}

/// Where the first chart's time went: the page's marks and the end of each download, in
/// ms since navigation start.
async fn breakdown(browser: &Browser) -> String {
    let out = browser
        .js("const at = (n) => { const e = performance.getEntriesByName(n)[0]; return e ? Math.round(e.startTime) : null; };
             const got = (part) => { const e = performance.getEntriesByType('resource').find((r) => r.name.includes(part)); return e ? Math.round(e.responseEnd) : null; };
             const nav = performance.getEntriesByType('navigation')[0];
             return `html ${Math.round(nav.responseEnd)}, plotly.js ${got('plotly')}, wasm ${got('.wasm')}, module runs ${at('rl-start')}, index fetched ${got('index.rlb')} and decoded ${at('rl-index-decoded')}, table rendered ${at('rl-table-rendered')}, series loaded ${at('rl-chart-data')}, figure built ${at('rl-figure-built')}, plotly drawn ${at('rl-chart-drawn')}`;")
        .await;
    out.as_str().unwrap_or_default().to_string()
}

/// Installed before every page's own scripts: keeps the page's long animation frames
/// (Chromium's Long Animation Frames API) so the breakdown can say which scripts and how
/// much style and layout filled the main thread before the first chart.
const LONG_FRAMES: &str = "window.__rlFrames = [];
  try {
    new PerformanceObserver((list) => window.__rlFrames.push(...list.getEntries()))
      .observe({ type: 'long-animation-frame', buffered: true });
  } catch (e) {}";

/// The main thread's long frames (over 50 ms) up to the first chart: per frame its start
/// and length, the scripts that ran in it (file, entry point, ms) and its style + layout.
async fn long_frames(browser: &Browser) -> String {
    let out = browser
        .js("const end = performance.getEntriesByName('rl-chart-drawn')[0]?.startTime ?? Infinity;
             const base = (u) => (u || '').split('/').pop().split('?')[0] || 'page';
             return (window.__rlFrames || []).filter((f) => f.startTime <= end).map((f) => {
               const scripts = f.scripts.filter((s) => s.duration >= 5)
                 .map((s) => `${base(s.sourceURL)}:${s.invoker.slice(0, 40)} ${Math.round(s.duration)}`);
               const layout = f.renderStart ? Math.round(f.startTime + f.duration - f.styleAndLayoutStart) : 0;
               return `@${Math.round(f.startTime)} ${Math.round(f.duration)} ms [${scripts.join(', ')}] style+layout ${layout}`;
             }).join('\\n    ');")
        .await;
    out.as_str().unwrap_or_default().to_string()
}

/// Opens the site and returns the first `rl-chart-drawn` mark (ms since navigation start).
async fn first_chart(browser: &Browser, url: &str) -> f64 {
    browser.client.goto(url).await.unwrap();
    browser.wait_ready().await.expect("the report starts");
    browser
        .wait_for("performance.getEntriesByName('rl-chart-drawn').length > 0")
        .await;
    browser
        .js("return performance.getEntriesByName('rl-chart-drawn')[0].startTime;")
        .await
        .as_f64()
        .unwrap()
}

/// Runs `body` (the body of an async function) in the page and returns its result.
async fn run_async(browser: &Browser, body: &str) -> Value {
    let script = format!(
        "const done = arguments[arguments.length - 1];
         (async () => {{ {body} }})().then(done, (e) => done('error: ' + e));"
    );
    let out = browser.client.execute_async(&script, vec![]).await.unwrap();
    if let Some(text) = out.as_str().filter(|t| t.starts_with("error")) {
        panic!("{text}");
    }
    out
}

/// Filter + group + aggregate: the wasm export and the JavaScript peer, ms per call
/// (best of 5 batches), checked to agree.
async fn filter_group(browser: &Browser) -> Value {
    let body = format!(
        r#"
        const m = await import(new URL('assets/runlens_web.js', document.baseURI).href);
        const [filter, group, metric] = [{FILTER:?}, {GROUP:?}, {METRIC:?}];
        const cols = m.bench_columns('lr', 'optimizer', metric);
        const js = () => {{
          const groups = new Map();
          const {{ x, g, m: v }} = cols;
          for (let i = 0; i < x.length; i++) {{
            if (!(x[i] < 0.005 && v[i] < 1)) continue;
            const key = g[i] === null ? '(none)' : g[i];
            let acc = groups.get(key);
            if (!acc) {{ acc = {{ n: 0, finite: 0, sum: 0 }}; groups.set(key, acc); }}
            acc.n++;
            if (Number.isFinite(v[i])) {{ acc.finite++; acc.sum += v[i]; }}
          }}
          const out = [];
          for (const key of [...groups.keys()].sort()) {{
            const acc = groups.get(key);
            out.push(acc.n, acc.finite ? acc.sum / acc.finite : NaN);
          }}
          return out;
        }};
        const wasm = () => m.bench_filter_group_aggregate(filter, group, metric);
        const time = (f) => {{
          f();
          let best = Infinity, iterations = 1, result;
          const start = performance.now();
          while (performance.now() - start < 50) {{ f(); iterations++; }}
          for (let batch = 0; batch < 5; batch++) {{
            const t0 = performance.now();
            for (let i = 0; i < iterations; i++) result = f();
            best = Math.min(best, (performance.now() - t0) / iterations);
          }}
          return [best, result];
        }};
        const [wasmMs, wasmOut] = time(wasm);
        const [jsMs, jsOut] = time(js);
        const phases = m.bench_breakdown(filter, group, metric, 200);
        const agree = wasmOut.length === jsOut.length &&
          wasmOut.every((w, i) => Math.abs(w - jsOut[i]) <= 1e-9 * Math.max(1, Math.abs(w)));
        return {{ wasmMs, jsMs, agree, phases: [...phases], groups: wasmOut.length / 2, matched: wasmOut.filter((_, i) => i % 2 === 0).reduce((a, b) => a + b, 0) }};
        "#
    );
    run_async(browser, &body).await
}

/// The same through the page: the filter typed (Enter) with the group chosen, timed until
/// the table is rendered (synchronous) and until the chart is drawn again.
async fn filter_group_in_page(browser: &Browser) -> Value {
    let body = format!(
        r#"
        const chart = document.getElementById('rl-chart');
        const drawn = () => new Promise((resolve) => {{
          const obs = new MutationObserver(() => {{
            if (!chart.hasAttribute('aria-busy')) {{ obs.disconnect(); resolve(performance.now()); }}
          }});
          obs.observe(chart, {{ attributes: true, attributeFilter: ['aria-busy'] }});
        }});
        const group = document.getElementById('rl-group');
        const option = [...group.options].find((o) => o.value === {GROUP:?});
        const t0 = performance.now();
        let done = drawn();
        group.value = option.value;
        group.dispatchEvent(new Event('change', {{ bubbles: true }}));
        const groupSync = performance.now() - t0;
        // The layout the new table needs (forced here; plotly would force it otherwise).
        const tl = performance.now();
        void document.body.offsetHeight;
        const groupLayout = performance.now() - tl;
        const groupChart = (await done) - t0;
        const mark = (n, t) => Math.round(performance.getEntriesByName(n).at(-1).startTime - t);
        const groupData = mark('rl-chart-data', t0), groupFigure = mark('rl-figure-built', t0);
        const input = document.getElementById('rl-filter');
        const t1 = performance.now();
        done = drawn();
        input.value = {FILTER:?};
        input.dispatchEvent(new KeyboardEvent('keydown', {{ key: 'Enter', bubbles: true }}));
        const filterSync = performance.now() - t1;
        const tl2 = performance.now();
        void document.body.offsetHeight;
        const filterLayout = performance.now() - tl2;
        const filterChart = (await done) - t1;
        const filterData = mark('rl-chart-data', t1), filterFigure = mark('rl-figure-built', t1);
        return {{ groupSync, groupLayout, groupChart, groupData, groupFigure, filterSync, filterLayout, filterChart, filterData, filterFigure }};
        "#
    );
    run_async(browser, &body).await
}

/// Every kind of interaction of the page, one after the other on a freshly opened report:
/// for each, ms until its handler returned (`sync`), until what it started is done (the
/// chart redrawn, a run's details or a plot drawn) and until the frame after that
/// (`painted`).
async fn interactions(browser: &Browser, url: &str, profile_step: &str) -> Value {
    first_chart(browser, url).await;
    let body = format!(
        r#"
        const chart = document.getElementById('rl-chart');
        const byId = (id) => document.getElementById(id);
        const macrotask = () => new Promise((r) => setTimeout(r, 0));
        const busy = () => [...document.querySelectorAll('[aria-busy="true"]')].map((e) => e.id || e.className);
        let late = [];
        const until = async (done) => {{
          const give_up = performance.now() + 3000;
          while (!done()) {{
            if (performance.now() > give_up) {{ late.push(String(done)); return; }}
            await new Promise((r) => setTimeout(r, 1));
          }}
        }};
        const afterplot = (el) => new Promise((r) => el.once('plotly_afterplot', r));
        const results = window.rlSteps = [];
        // `act` runs the interaction; the step is done once nothing is busy (the chart,
        // a run's details, value-at-step columns) and `extra` (a promise) has settled.
        const step = async (name, act, extra) => {{
          if (name === {profile_step:?}) {{
            // The harness starts the profiler, then lets this step go.
            await new Promise((go) => {{ window.rlProfileGo = go; }});
          }}
          await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
          const t0 = performance.now();
          const more = extra ? extra() : null;
          // The first frame after the action: asked for before the page asks for its own,
          // so this runs first, right after that frame is painted.
          let first = null;
          requestAnimationFrame(() => setTimeout(() => {{ first = performance.now() - t0; }}, 0));
          act();
          const sync = performance.now() - t0;
          await macrotask();
          if (more) await more;
          await until(() => busy().length === 0);
          const done = performance.now() - t0;
          await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
          const painted = performance.now() - t0;
          // Where the time went: the module's marks within the step (last of each); the
          // long frames it spanned are added once every step has run (they are reported
          // a little after they end).
          const marks = {{}};
          for (const m of ['rl-chart-data', 'rl-figure-built', 'rl-chart-drawn']) {{
            const at = performance.getEntriesByName(m).filter((e) => e.startTime >= t0).pop();
            marks[m] = at ? at.startTime - t0 : null;
          }}
          results.push({{ name, t0, sync, first, done, painted, marks, late: late.length ? late.join('; ') + ' still ' + busy().join(',') : null }});
          if (name === {profile_step:?}) window.rlProfiledDone = true;
          late = [];
        }};
        const select = (id, value) => {{ const s = byId(id); s.value = value; s.dispatchEvent(new Event('change', {{ bubbles: true }})); }};
        const check = (id, on) => {{ const c = byId(id); c.checked = on; c.dispatchEvent(new Event('change', {{ bubbles: true }})); }};
        const enter = (id, text) => {{ const i = byId(id); i.value = text; i.dispatchEvent(new KeyboardEvent('keydown', {{ key: 'Enter', bubbles: true }})); }};
        const click = (selector) => document.querySelector(selector).click();
        // The first param column in the page (the table renders the columns in view).
        const sortButton = '#rl-runs thead th[data-sort^="param:"] button';
        await step('sort by a param', () => click(sortButton));
        await step('sort the other way', () => click(sortButton));
        await step('filter (Enter)', () => enter('rl-filter', {FILTER:?}));
        await step('clear the filter', () => enter('rl-filter', ''));
        await step('search (Enter)', () => enter('rl-search', 'run-00'));
        await step('clear the search', () => enter('rl-search', ''));
        await step('group', () => select('rl-group', {GROUP:?}));
        await step('median lines', () => select('rl-centre', 'median'));
        await step('min-max bands', () => select('rl-band', 'minmax'));
        await step("show the groups' runs", () => check('rl-show-runs', true));
        await step('hide them', () => check('rl-show-runs', false));
        await step('ungroup', () => select('rl-group', ''));
        await step('smoothing', () => select('rl-smoothing', byId('rl-smoothing').options[1].value));
        await step('smoothing off', () => select('rl-smoothing', byId('rl-smoothing').options[0].value));
        await step('relative time axis', () => select('rl-x', 'relative'));
        await step('step axis', () => select('rl-x', 'step'));
        await step('log y', () => check('rl-log-y', true));
        await step('outlier-proof y', () => check('rl-outliers', true));
        const metrics = [...byId('rl-metric').options].map((o) => o.value);
        const other = metrics.find((m) => m !== byId('rl-metric').value);
        await step('another metric (fetches its chunks)', () => select('rl-metric', other));
        await step('back to the first metric', () => select('rl-metric', metrics.find((m) => m !== other)));
        await step('tick a run', () => click('#rl-runs tbody input.rl-tick'));
        await step('tick another', () => document.querySelectorAll('#rl-runs tbody input.rl-tick')[1].click());
        await step('compare', () => byId('rl-compare-open').click());
        await step('clear the ticks', () => byId('rl-select-clear').click());
        await step('open a run page', () => click('#rl-runs tbody button.rl-run-open'));
        await step('close it (Escape)', () => window.dispatchEvent(new KeyboardEvent('keydown', {{ key: 'Escape', bubbles: true }})));
        await step('column menu', () => byId('rl-columns-open').click());
        await step('show a column', () => click('#rl-columns-list input[data-column]:not(:checked)'));
        await step('close the menu', () => byId('rl-columns-close').click());
        await step('differences only', () => check('rl-diff-only', true));
        await step('all columns', () => check('rl-diff-only', false));
        const scatter = byId('rl-hp-scatter');
        await step('hyperparameter panel', () => click('#rl-hparams > summary'),
          () => until(() => scatter.hasAttribute('data-drawn') && document.querySelector('#rl-hp-parcoords svg')));
        const xs = [...byId('rl-hp-x').options].map((o) => o.value);
        await step('scatter x', () => select('rl-hp-x', xs.find((x) => x !== byId('rl-hp-x').value)),
          () => afterplot(scatter));
        // The long frames (over 50 ms) each step spanned: script, layout forced by
        // scripts, and the style + layout + paint at the frames' ends.
        await new Promise((r) => setTimeout(r, 200));
        for (const r of results) {{
          const frames = (window.__rlFrames || []).filter((f) => f.startTime + f.duration >= r.t0 && f.startTime <= r.t0 + r.painted);
          const sum = (f) => frames.reduce((a, x) => a + f(x), 0);
          r.script = sum((f) => f.scripts.reduce((a, s) => a + s.duration, 0));
          r.forced = sum((f) => f.scripts.reduce((a, s) => a + (s.forcedStyleAndLayoutDuration || 0), 0));
          r.render = sum((f) => f.renderStart ? f.startTime + f.duration - f.renderStart : 0);
        }}
        "#
    );
    // Run in the background and polled: one step that never finishes must not hide the
    // others' figures behind a script timeout.
    browser
        .js(&format!(
            "window.rlStepsDone = false;
             (async () => {{ {body} }})().then(() => {{ window.rlStepsDone = true; }},
               (e) => {{ window.rlStepsDone = 'error: ' + e; }});
             return 0;"
        ))
        .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
    if !profile_step.is_empty() {
        // Profile that one step: wait for it, start the profiler, let it go, stop after.
        browser
            .wait_for("typeof window.rlProfileGo === 'function'")
            .await;
        profile_start(browser).await;
        browser.js("window.rlProfileGo(); return 0;").await;
        browser.wait_for("window.rlProfiledDone === true").await;
        profile_stop(browser, &format!("step-{}", profile_step.replace(' ', "-"))).await;
    }
    loop {
        let done = browser.js("return window.rlStepsDone;").await;
        if done != Value::Bool(false) || std::time::Instant::now() > deadline {
            if done != Value::Bool(true) {
                println!("  the interactions did not all finish: {done}");
            }
            return browser.js("return window.rlSteps;").await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// Chooses smoothing option `index` and returns ms until the chart is drawn and until
/// the next animation frame after it (painted).
async fn smoothing_redraw(browser: &Browser, index: usize) -> Value {
    let body = format!(
        r#"
        const chart = document.getElementById('rl-chart');
        const select = document.getElementById('rl-smoothing');
        const t0 = performance.now();
        const drawn = new Promise((resolve) => {{
          const obs = new MutationObserver(() => {{
            if (!chart.hasAttribute('aria-busy')) {{ obs.disconnect(); resolve(performance.now()); }}
          }});
          obs.observe(chart, {{ attributes: true, attributeFilter: ['aria-busy'] }});
        }});
        select.value = select.options[{index}].value;
        select.dispatchEvent(new Event('change', {{ bubbles: true }}));
        const t1 = await drawn;
        const t2 = await new Promise((r) => requestAnimationFrame(() => r(performance.now())));
        const last = (n) => Math.round(performance.getEntriesByName(n).at(-1).startTime - t0);
        return {{ option: select.options[{index}].text, drawn: t1 - t0, painted: t2 - t0,
                  data: last('rl-chart-data'), figure: last('rl-figure-built'),
                  traces: Number(chart.dataset.renderedTraces),
                  paths: chart.querySelectorAll('.scatterlayer path.js-line').length,
                  canvas: Number(chart.querySelector('canvas.rl-line-canvas')?.dataset.traces ?? 0) }};
        "#
    );
    run_async(browser, &body).await
}

/// `RUNLENS_BENCH_PROBE=FILE`: runs FILE on the freshly loaded page, for looking into one
/// question. FILE is the body of an async function, cut into parts by lines starting
/// `// part:` (the text after it names the part); each part runs alone, what it returns is
/// printed with the main thread's time in it by kind (script, style, layout, and the rest
/// of its tasks: mostly paint), counted until 300 ms after it returned.
async fn run_probe(browser: &Browser, script: &str) {
    let mut name = "setup".to_string();
    let mut parts = Vec::new();
    let mut body = String::new();
    for line in script.lines() {
        if let Some(next) = line.trim_start().strip_prefix("// part:") {
            parts.push((std::mem::take(&mut name), std::mem::take(&mut body)));
            name = next.trim().to_string();
        } else {
            body.push_str(line);
            body.push('\n');
        }
    }
    parts.push((name, body));
    browser
        .cdp("Performance.enable", serde_json::json!({}))
        .await;
    for (name, body) in parts {
        if body.trim().is_empty() {
            continue;
        }
        let before = render_metrics(browser).await;
        let out = run_async(browser, &body).await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let after = render_metrics(browser).await;
        let ms =
            |key: &str| (after.get(key).unwrap_or(&0.0) - before.get(key).unwrap_or(&0.0)) * 1000.0;
        let (script, style, layout, tasks) = (
            ms("ScriptDuration"),
            ms("RecalcStyleDuration"),
            ms("LayoutDuration"),
            ms("TaskDuration"),
        );
        println!(
            "  probe {name}: {out} — script {script:.1}, style {style:.1}, layout {layout:.1}, \
             rest of the tasks {:.1} ms",
            tasks - script - style - layout
        );
    }
}

/// The renderer's counters (`Performance.getMetrics`: layouts, style recalculations and
/// their durations in seconds, script time).
async fn render_metrics(browser: &Browser) -> std::collections::HashMap<String, f64> {
    let out = browser
        .cdp("Performance.getMetrics", serde_json::json!({}))
        .await;
    out["metrics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| Some((m["name"].as_str()?.to_string(), m["value"].as_f64()?)))
        .collect()
}

/// Starts a CPU profile of the page when `RUNLENS_BENCH_PROFILE` names a directory; true
/// when one was started.
async fn profile_start(browser: &Browser) -> bool {
    if std::env::var_os("RUNLENS_BENCH_PROFILE").is_none() {
        return false;
    }
    browser.cdp("Profiler.enable", serde_json::json!({})).await;
    browser
        .cdp(
            "Profiler.setSamplingInterval",
            serde_json::json!({ "interval": 100 }),
        )
        .await;
    browser.cdp("Profiler.start", serde_json::json!({})).await;
    true
}

/// Stops the profile [`profile_start`] started, writes it to
/// `$RUNLENS_BENCH_PROFILE/NAME.cpuprofile` (DevTools opens it; build with
/// `RUNLENS_WASM_NAMES=1` to see the module's function names) and prints the functions
/// with the most self time.
async fn profile_stop(browser: &Browser, name: &str) {
    let out = browser.cdp("Profiler.stop", serde_json::json!({})).await;
    let profile = &out["profile"];
    let dir = std::path::PathBuf::from(std::env::var_os("RUNLENS_BENCH_PROFILE").unwrap());
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.cpuprofile"));
    std::fs::write(&path, profile.to_string()).unwrap();
    let mut names = std::collections::HashMap::new();
    for node in profile["nodes"].as_array().into_iter().flatten() {
        let frame = &node["callFrame"];
        let url = frame["url"].as_str().unwrap_or_default();
        let file = url.rsplit('/').next().unwrap_or_default();
        let label = format!(
            "{} ({file})",
            frame["functionName"].as_str().unwrap_or_default()
        );
        names.insert(node["id"].as_u64().unwrap_or_default(), label);
    }
    let mut self_us: std::collections::HashMap<&str, f64> = std::collections::HashMap::new();
    let samples = profile["samples"].as_array().cloned().unwrap_or_default();
    let deltas = profile["timeDeltas"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for (sample, delta) in samples
        .iter()
        .zip(deltas.iter().skip(1).chain([&Value::from(0)]))
    {
        let label = names
            .get(&sample.as_u64().unwrap_or_default())
            .map_or("?", String::as_str);
        *self_us.entry(label).or_default() += delta.as_f64().unwrap_or_default();
    }
    let mut top: Vec<_> = self_us.into_iter().collect();
    top.sort_by(|a, b| b.1.total_cmp(&a.1));
    println!("  profile {} — self time (ms):", path.display());
    for (label, us) in top.iter().take(30) {
        println!("    {:8.1}  {label}", us / 1000.0);
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_default();
    let chromium = std::process::Command::new("chromium")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cpu}, {cores} cores; {chromium} headless")
}

#[tokio::test]
#[ignore = "a benchmark: run with --ignored --nocapture (docs/benchmarks.md)"]
async fn browser_timings() {
    println!("browser benchmark on {}", machine());
    let dir = tempfile::tempdir().unwrap();
    let browser = Browser::start(Scripts::Enabled).await;
    browser.on_new_document(LONG_FRAMES).await;
    // `RUNLENS_BROWSER_BENCH=10000,long` runs only the named parts (run counts, `long`).
    let only = std::env::var("RUNLENS_BROWSER_BENCH").unwrap_or_default();
    let wanted = |part: &str| only.is_empty() || only.split(',').any(|p| p.trim() == part);
    for (runs, steps) in [(1_000usize, 100i64), (10_000, 50), (100_000, 10)] {
        if !wanted(&runs.to_string()) {
            continue;
        }
        let archive = archive(runs, steps);
        let site = dir.path().join(format!("runs-{runs}"));
        let bytes = write_site(&archive, &site);
        let index = std::fs::metadata(site.join("data/index.rlb"))
            .unwrap()
            .len();
        let server = StaticServer::start(&site, "/");
        let url = format!("{}/", server.origin);
        let mut times = Vec::new();
        let mut cold_frames = String::new();
        for _ in 0..3 {
            times.push(first_chart(&browser, &url).await);
            if cold_frames.is_empty() {
                cold_frames = format!(
                    "{} — {}",
                    breakdown(&browser).await,
                    long_frames(&browser).await
                );
            }
        }
        let best = times.iter().copied().fold(f64::INFINITY, f64::min);
        println!(
            "{runs} runs × {steps} steps ({} points, bundle {bytes} B, index {index} B): \
             first chart drawn {:.0} ms (cold load), best of 3 {best:.0} ms ({times:.0?}); \
             data requests at start: {:?}",
            archive.point_count(),
            times[0],
            server
                .seen()
                .iter()
                .filter(|p| p.starts_with("/data/"))
                .collect::<std::collections::BTreeSet<_>>()
        );
        println!("  last load (ms): {}", breakdown(&browser).await);
        println!("  long frames:\n    {}", long_frames(&browser).await);
        println!("  cold load: {cold_frames}");
        if let Some(probe) = std::env::var_os("RUNLENS_BENCH_PROBE") {
            first_chart(&browser, &url).await;
            let script = std::fs::read_to_string(&probe).expect("the probe script reads");
            run_probe(&browser, &script).await;
        }
        let fga = filter_group(&browser).await;
        println!(
            "  filter + group + aggregate ({FILTER:?}, {GROUP}, {METRIC} last): wasm {:.3} ms, \
             JavaScript {:.3} ms, ratio {:.2}; {} groups, {} runs matched, results agree: {}",
            fga["wasmMs"].as_f64().unwrap(),
            fga["jsMs"].as_f64().unwrap(),
            fga["wasmMs"].as_f64().unwrap() / fga["jsMs"].as_f64().unwrap(),
            fga["groups"],
            fga["matched"],
            fga["agree"]
        );
        println!(
            "  wasm phases (ms): parse + check {:.3}, filter {:.3}, group {:.3}, aggregate {:.3}",
            fga["phases"][0].as_f64().unwrap(),
            fga["phases"][1].as_f64().unwrap(),
            fga["phases"][2].as_f64().unwrap(),
            fga["phases"][3].as_f64().unwrap()
        );
        let profiling = profile_start(&browser).await;
        browser
            .cdp("Performance.enable", serde_json::json!({}))
            .await;
        let before = render_metrics(&browser).await;
        let page = filter_group_in_page(&browser).await;
        let after = render_metrics(&browser).await;
        if profiling {
            profile_stop(&browser, &format!("group-filter-{runs}")).await;
        }
        println!(
            "  in the page: group select {:.1} ms to the table (then {:.1} ms of layout), {:.1} ms to the chart \
             (series loaded at {} ms, figure built at {} ms); filter (Enter) {:.1} ms to the \
             table (then {:.1} ms of layout), {:.1} ms to the chart (series loaded at {} ms, figure built at {} ms)",
            page["groupSync"].as_f64().unwrap(),
            page["groupLayout"].as_f64().unwrap(),
            page["groupChart"].as_f64().unwrap(),
            page["groupData"],
            page["groupFigure"],
            page["filterSync"].as_f64().unwrap(),
            page["filterLayout"].as_f64().unwrap(),
            page["filterChart"].as_f64().unwrap(),
            page["filterData"],
            page["filterFigure"]
        );
        let spent = |name: &str| after[name] - before[name];
        println!(
            "  the two in the page: {:.0} layouts, {:.1} ms; {:.0} style recalculations, \
             {:.1} ms; script {:.1} ms",
            spent("LayoutCount"),
            spent("LayoutDuration") * 1000.0,
            spent("RecalcStyleCount"),
            spent("RecalcStyleDuration") * 1000.0,
            spent("ScriptDuration") * 1000.0
        );
        // `RUNLENS_BENCH_PROFILE_STEP=NAME` (with `RUNLENS_BENCH_PROFILE`) profiles that
        // interaction alone.
        let step = std::env::var("RUNLENS_BENCH_PROFILE_STEP").unwrap_or_default();
        let profiling = step.is_empty() && profile_start(&browser).await;
        let steps = interactions(&browser, &url, &step).await;
        if profiling {
            profile_stop(&browser, &format!("interactions-{runs}")).await;
        }
        println!(
            "  every interaction on a fresh load, ms: handler returned / first frame painted / \
             done / last frame painted | series loaded, figure built, chart drawn (since the \
             step began) | in frames over 50 ms: script, layout forced by script, frame-end \
             rendering"
        );
        for step in steps.as_array().into_iter().flatten() {
            let ms = |key: &str| step[key].as_f64().unwrap_or(f64::NAN);
            let mark = |key: &str| {
                step["marks"][key]
                    .as_f64()
                    .map_or("-".to_string(), |at| format!("{at:.0}"))
            };
            println!(
                "    {:<38} {:>6.1} {:>6.1} {:>6.1} {:>6.1} | {:>4} {:>4} {:>4} | {:>4.0} {:>4.0} {:>4.0}{}",
                step["name"].as_str().unwrap_or_default(),
                ms("sync"),
                ms("first"),
                ms("done"),
                ms("painted"),
                mark("rl-chart-data"),
                mark("rl-figure-built"),
                mark("rl-chart-drawn"),
                ms("script"),
                ms("forced"),
                ms("render"),
                step["late"]
                    .as_str()
                    .map(|what| format!(" (gave up waiting after 3 s: {what})"))
                    .unwrap_or_default()
            );
        }
    }

    if !wanted("long") {
        browser.close().await;
        return;
    }
    let archive = archive(100, 10_000);
    let site = dir.path().join("long");
    write_site(&archive, &site);
    let server = StaticServer::start(&site, "/");
    let url = format!("{}/", server.origin);
    let drawn = first_chart(&browser, &url).await;
    println!(
        "100 runs × 10,000 steps: first chart (overview levels) drawn {drawn:.0} ms\n  ({})",
        breakdown(&browser).await
    );
    for (step, index) in [1, 2, 1, 0].into_iter().enumerate() {
        let profiling = profile_start(&browser).await;
        let out = smoothing_redraw(&browser, index).await;
        if profiling {
            profile_stop(&browser, &format!("smoothing-{step}")).await;
        }
        println!(
            "  smoothing → {}: series loaded {} ms, figure built {} ms, chart drawn {:.0} ms, \
             painted {:.0} ms ({} traces, {} SVG line paths, {} traces painted on the canvas)",
            out["option"].as_str().unwrap_or_default(),
            out["data"],
            out["figure"],
            out["drawn"].as_f64().unwrap(),
            out["painted"].as_f64().unwrap(),
            out["traces"],
            out["paths"],
            out["canvas"]
        );
    }
    // For looking at the smoothed chart (RUNLENS_SCREENSHOTS), after the measurements.
    if std::env::var_os("RUNLENS_SCREENSHOTS").is_some() {
        smoothing_redraw(&browser, 1).await;
        browser
            .js("document.getElementById('rl-chart').scrollIntoView(); return 0;")
            .await;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        browser.screenshot_if_asked("bench-smoothed-100x10k").await;
    }
    drop(server);
    browser.close().await;
}
