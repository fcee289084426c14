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
        const groupChart = (await done) - t0;
        const input = document.getElementById('rl-filter');
        const t1 = performance.now();
        done = drawn();
        input.value = {FILTER:?};
        input.dispatchEvent(new KeyboardEvent('keydown', {{ key: 'Enter', bubbles: true }}));
        const filterSync = performance.now() - t1;
        const filterChart = (await done) - t1;
        return {{ groupSync, groupChart, filterSync, filterChart }};
        "#
    );
    run_async(browser, &body).await
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
                  traces: Number(chart.dataset.renderedTraces) }};
        "#
    );
    run_async(browser, &body).await
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
        let page = filter_group_in_page(&browser).await;
        println!(
            "  in the page: group select {:.1} ms to the table, {:.1} ms to the chart; \
             filter (Enter) {:.1} ms to the table, {:.1} ms to the chart",
            page["groupSync"].as_f64().unwrap(),
            page["groupChart"].as_f64().unwrap(),
            page["filterSync"].as_f64().unwrap(),
            page["filterChart"].as_f64().unwrap()
        );
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
    for index in [1, 2, 1, 0] {
        let out = smoothing_redraw(&browser, index).await;
        println!(
            "  smoothing → {}: series loaded {} ms, figure built {} ms, chart drawn {:.0} ms, \
             painted {:.0} ms ({} traces)",
            out["option"].as_str().unwrap_or_default(),
            out["data"],
            out["figure"],
            out["drawn"].as_f64().unwrap(),
            out["painted"].as_f64().unwrap(),
            out["traces"]
        );
    }
    drop(server);
    browser.close().await;
}
