//! Lazy loading in the browser: the multi-file site fetches the run table, then only the
//! overview level of the charted metric (a zoom fetches its full chunk and the clock file
//! its wall times read); the single file decodes only what the chart needs, and the
//! overview keeps spikes.

mod support;

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::json;
use support::browser::{Browser, Scripts};
use support::runlens;
use support::server::StaticServer;

/// Steps per run of the long metrics (more than the 4,096 points that earn a level).
const STEPS: i64 = 5000;
/// The spike in run r0's loss.
const SPIKE: (i64, f64) = (3333, 100.0);

/// Writes six runs: `acc` (10 points each), `loss` (noisy, 5,000 points, one spike in r0)
/// and `lr` (5,000 points), logged together with a wall time, as JSONL.
fn write_runs(dir: &Path) -> std::path::PathBuf {
    let mut text = String::new();
    for run in 0..6 {
        text.push_str(&format!(
            "{}\n",
            json!({"type": "params", "run": format!("r{run}"), "params": {"seed": run}})
        ));
        for step in 0..STEPS {
            let x = step as f64;
            let noise = ((x * 12.9898 + f64::from(run) * 78.233).sin() * 43_758.545).fract();
            let mut loss = (-x / 1500.0).exp() + 0.05 * noise;
            if run == 0 && step == SPIKE.0 {
                loss = SPIKE.1;
            }
            let mut values = json!({"loss": loss, "lr": 0.1 * (1.0 + (x / 800.0).cos())});
            if step < 10 {
                values["acc"] = json!(x / 10.0);
            }
            text.push_str(&format!(
                "{}\n",
                json!({
                    "type": "metrics",
                    "run": format!("r{run}"),
                    "step": step,
                    "time": 1_700_000_000.0 + f64::from(run) * 3600.0 + x * 0.25,
                    "values": values
                })
            ));
        }
    }
    let path = dir.join("runs.jsonl");
    std::fs::write(&path, text).unwrap();
    path
}

fn build(input: &Path, how: &str, out: &Path) {
    let outcome = runlens(["build", input.to_str().unwrap(), how, out.to_str().unwrap()]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
}

/// Waits for the chart to be drawn (zoomed or not), then returns the largest y drawn and
/// the number of points of the first trace inside `[low, high]`.
async fn chart_after(browser: &Browser, zoomed: bool, (low, high): (f64, f64)) -> (f64, u64) {
    browser
        .wait_for(&format!(
            "document.getElementById('rl-chart').dataset.zoomed === '{}' && \
             !document.getElementById('rl-chart').hasAttribute('aria-busy')",
            u8::from(zoomed)
        ))
        .await;
    let out = browser
        .js(&format!(
            "const data = document.getElementById('rl-chart').data;
             let max = -Infinity;
             for (const t of data) for (const y of t.y) if (y !== null && y > max) max = y;
             const xs = data[0].x.filter(x => x >= {low} && x <= {high});
             return [max, xs.length];"
        ))
        .await;
    (out[0].as_f64().unwrap(), out[1].as_u64().unwrap())
}

async fn zoom(browser: &Browser, low: f64, high: f64) {
    browser
        .js(&format!(
            "Plotly.relayout(document.getElementById('rl-chart'), {{'xaxis.range': [{low}, {high}]}}); return 0;"
        ))
        .await;
}

/// Bundle files (`data/...`) the page fetched, from its Resource Timing entries.
async fn fetched_data_files(browser: &Browser) -> BTreeSet<String> {
    let names = browser
        .js("return performance.getEntriesByType('resource').map(e => new URL(e.name).pathname);")
        .await;
    serde_json::from_value::<Vec<String>>(names)
        .unwrap()
        .into_iter()
        .filter_map(|p| p.split_once("/data/").map(|(_, f)| f.to_string()))
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn the_site_fetches_the_run_table_then_only_what_the_view_needs() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_runs(dir.path());
    let site = dir.path().join("site");
    build(&input, "--out", &site);
    let table =
        runlens_core::bundle::decode_index(&std::fs::read(site.join("data/index.rlb")).unwrap())
            .unwrap();
    let loss = table.metric_index("loss").unwrap();
    let loss_chunk = table.metrics[loss].chunks[0];
    let level = runlens_core::bundle::level_of_chunk(&table, loss_chunk).expect("loss has a level");
    assert_eq!(
        table.levels.len(),
        2,
        "loss and lr have levels, acc does not"
    );
    assert_eq!(table.clocks.len(), 1, "the six runs' clocks fit one file");
    assert_eq!(
        table.chunks[loss_chunk as usize].clocks,
        [0],
        "loss's times are the runs' clocks"
    );

    let server = StaticServer::start(&site, "/");
    let browser = Browser::start(Scripts::Enabled).await;
    browser
        .client
        .goto(&format!("{}/", server.origin))
        .await
        .unwrap();
    browser.wait_ready().await.expect("the site starts");
    let (max, _) = chart_after(&browser, false, (0.0, 0.0)).await;
    assert_eq!(max, SPIKE.1, "the overview keeps the spike");
    let first = set(&["index.rlb", &format!("levels/{}.rlb", level.id)]);
    assert_eq!(fetched_data_files(&browser).await, first);
    let served: BTreeSet<String> = server
        .seen()
        .into_iter()
        .filter_map(|p| p.strip_prefix("/data/").map(str::to_string))
        .collect();
    assert_eq!(served, first, "the server saw the same requests");
    // The run table is preloaded by the page (while the wasm compiles) and that download
    // is the one the app reads: it is requested once.
    let index_requests = server
        .seen()
        .iter()
        .filter(|p| *p == "/data/index.rlb")
        .count();
    assert_eq!(index_requests, 1, "{:?}", server.seen());

    // Zooming in loads the full-resolution chunk of the charted metric and the clock file
    // its wall times read, and nothing else.
    zoom(&browser, 1000.0, 1100.0).await;
    let (_, inside) = chart_after(&browser, true, (1000.0, 1100.0)).await;
    assert_eq!(inside, 101, "every step of the zoomed range is drawn");
    let mut zoomed = first.clone();
    zoomed.insert(format!("chunks/{loss_chunk}.rlb"));
    zoomed.insert("clocks/0.rlb".to_string());
    assert_eq!(fetched_data_files(&browser).await, zoomed);
    browser.close().await;
}

#[tokio::test]
async fn the_single_file_decodes_only_what_the_chart_needs() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_runs(dir.path());
    let report = dir.path().join("report.html");
    build(&input, "--single-file", &report);
    let browser = Browser::start(Scripts::Enabled).await;
    let url = format!("file://{}", report.canonicalize().unwrap().display());
    browser.client.goto(&url).await.unwrap();
    browser.wait_ready().await.expect("the report starts");
    let (max, _) = chart_after(&browser, false, (0.0, 0.0)).await;
    assert_eq!(max, SPIKE.1);
    let decoded = async |browser: &Browser| {
        browser
            .js("const r = document.documentElement;
                 return [r.getAttribute('data-rl-decoded-chunks') || '',
                         r.getAttribute('data-rl-decoded-levels') || '',
                         r.getAttribute('data-rl-decoded-clocks') || '',
                         document.querySelectorAll('script[id^=rl-chunk-]').length,
                         document.querySelectorAll('script[id^=rl-level-]').length,
                         document.querySelectorAll('script[id^=rl-clock-]').length];")
            .await
    };
    // Three chunks (acc, loss, lr), two levels and a clock file are embedded; only loss's
    // level is decoded, and its chunk with the clock file once zoomed.
    assert_eq!(decoded(&browser).await, json!(["", "0", "", 3, 2, 1]));
    zoom(&browser, 1000.0, 1100.0).await;
    chart_after(&browser, true, (1000.0, 1100.0)).await;
    assert_eq!(decoded(&browser).await, json!(["1", "0", "0", 3, 2, 1]));
    browser.close().await;
}
