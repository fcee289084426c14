//! The runs table's columns in real headless Chromium, on a report of 300 runs with 60
//! params: only the columns in view (and a margin) are in the page, a spacer cell on each
//! side keeping the table's width; scrolling sideways brings the others, the header and the
//! body stay aligned, the name stays in view, and a cell too long for its column ends in an
//! ellipsis with its whole text as a tooltip.

mod support;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use support::browser::Browser;

const RUNS: usize = 300;
const PARAMS: usize = 60;
const LONG_TEXT: &str =
    "a-preprocessing-pipeline-description-far-longer-than-any-column-is-wide-0123456789";

/// Writes a JSONL log of `RUNS` runs with `PARAMS` integer params (`p00` = run × 1000,
/// `p01` = run × 1000 + 1, ...), a long text param and one loss point each.
fn write_wide(dir: &Path) -> PathBuf {
    let mut text = String::new();
    for i in 0..RUNS {
        let id = format!("run-{i:03}");
        let _ = writeln!(text, "{}", json!({"type": "run", "run": id, "name": id}));
        let mut params = serde_json::Map::new();
        for j in 0..PARAMS {
            params.insert(format!("p{j:02}"), json!(i * 1000 + j));
        }
        params.insert("pipeline".into(), json!(format!("{LONG_TEXT}-{i}")));
        let _ = writeln!(
            text,
            "{}",
            json!({"type": "params", "run": id, "params": params})
        );
        let _ = writeln!(
            text,
            "{}",
            json!({"type": "metrics", "run": id, "step": 0, "values": {"loss": 1.0 / (1.0 + i as f64)}})
        );
    }
    let path = dir.join("wide.jsonl");
    std::fs::write(&path, text).unwrap();
    path
}

/// What the table shows: the header's column ids in the page, the total column count, the
/// wrap's scroll width and, per rendered column, whether its header and first body cell
/// line up.
async fn columns(browser: &Browser) -> Value {
    browser
        .js(
            "const table = document.getElementById('rl-runs');
             const wrap = table.closest('.rl-table-wrap');
             const ths = [...table.querySelectorAll('thead th[data-sort]')];
             const row = table.querySelector('tbody tr[data-run-id]');
             const misaligned = ths.filter((th) => {
               const td = row.querySelector(`[aria-colindex=\"${th.getAttribute('aria-colindex')}\"]`);
               if (!td) return true;
               const a = th.getBoundingClientRect(), b = td.getBoundingClientRect();
               return Math.abs(a.left - b.left) > 1 || Math.abs(a.width - b.width) > 1;
             }).map((th) => th.dataset.sort);
             const headCells = table.querySelector('thead tr').children.length;
             const rowCells = row.children.length;
             const name = table.querySelector('thead th.rl-name').getBoundingClientRect();
             return {
               ids: ths.map((th) => th.dataset.sort),
               count: Number(table.getAttribute('aria-colcount')),
               spacers: table.querySelectorAll('thead th.rl-colgap').length,
               scrollWidth: wrap.scrollWidth,
               clientWidth: wrap.clientWidth,
               misaligned,
               sameCellCount: headCells === rowCells,
               nameLeft: name.left - wrap.getBoundingClientRect().left,
             };",
        )
        .await
}

/// Scrolls the table sideways to `left` (a script expression over `wrap`, the table's
/// scrolling box) and waits until the header of column `id` is in the page.
async fn scroll_until(browser: &Browser, left: &str, id: &str) {
    browser
        .js(&format!(
            "const wrap = document.querySelector('#rl-runs').closest('.rl-table-wrap'); wrap.scrollLeft = {left}; return 0;"
        ))
        .await;
    browser
        .wait_for(&format!(
            "!!document.querySelector('#rl-runs thead th[data-sort=\"{id}\"]')"
        ))
        .await;
}

#[tokio::test]
async fn only_the_columns_in_view_are_in_the_page_and_scrolling_sideways_brings_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_wide(dir.path());
    let browser = Browser::open_single_file(&input, dir.path()).await;

    // At the left edge: the first params are in the page, the last ones are not, and a
    // spacer stands in for them.
    let start = columns(&browser).await;
    let ids: Vec<String> = serde_json::from_value(start["ids"].clone()).unwrap();
    // Every param, the long text, loss, the tick box and the name (at least).
    let total = start["count"].as_u64().unwrap() as usize;
    assert!(total > PARAMS + 2, "{start}");
    assert!(ids.contains(&"param:p00".to_string()), "{start}");
    assert!(!ids.contains(&"param:p59".to_string()), "{start}");
    assert!(
        ids.len() < total / 2,
        "fewer than half the columns rendered: {start}"
    );
    assert_eq!(start["spacers"], json!(1), "{start}");
    assert_eq!(start["misaligned"], json!([]), "{start}");
    assert_eq!(start["sameCellCount"], json!(true), "{start}");
    let scroll_width = start["scrollWidth"].as_f64().unwrap();
    assert!(
        scroll_width > 3.0 * start["clientWidth"].as_f64().unwrap(),
        "the table is as wide as all its columns: {start}"
    );

    // Scrolled to the right edge: the last params come, the first go, the table keeps its
    // width, the name stays at the left (after the tick box) and the cells are right.
    scroll_until(&browser, "wrap.scrollWidth", "param:p59").await;
    let end = columns(&browser).await;
    let ids: Vec<String> = serde_json::from_value(end["ids"].clone()).unwrap();
    assert!(!ids.contains(&"param:p00".to_string()), "{end}");
    assert_eq!(ids[0], "name", "the name is always in the page: {end}");
    assert_eq!(end["spacers"], json!(1), "{end}");
    assert_eq!(end["misaligned"], json!([]), "{end}");
    assert_eq!(end["sameCellCount"], json!(true), "{end}");
    assert!(
        (end["scrollWidth"].as_f64().unwrap() - scroll_width).abs() <= 2.0,
        "the width does not jump: {start} {end}"
    );
    assert!(
        (end["nameLeft"].as_f64().unwrap() - 34.0).abs() <= 1.5,
        "the name column sticks after the tick box: {end}"
    );
    let cell = browser
        .js(
            "const table = document.getElementById('rl-runs');
             const index = table.querySelector('thead th[data-sort=\"param:p59\"]').getAttribute('aria-colindex');
             const row = [...table.querySelectorAll('tbody tr[data-run-id]')].find((r) => r.dataset.runId === 'run-007');
             const td = row.querySelector(`[aria-colindex=\"${index}\"]`);
             const wrap = table.closest('.rl-table-wrap').getBoundingClientRect();
             const box = td.getBoundingClientRect();
             return { text: td.textContent, inView: box.left >= wrap.left && box.right <= wrap.right + 1 };",
        )
        .await;
    assert_eq!(cell, json!({"text": "7059", "inView": true}));

    // Sorting by a column far to the right works from its header.
    browser
        .js("document.querySelector('#rl-runs thead th[data-sort=\"param:p59\"] button').click(); document.querySelector('#rl-runs thead th[data-sort=\"param:p59\"] button').click(); return 0;")
        .await;
    browser
        .wait_for(
            "document.querySelector('#rl-runs tbody tr[data-run-id]').dataset.runId === 'run-299'",
        )
        .await;

    // Back at the left edge the first params return.
    scroll_until(&browser, "0", "param:p00").await;
    let back = columns(&browser).await;
    assert_eq!(back["misaligned"], json!([]), "{back}");

    // The long text ends in an ellipsis in its column; the tooltip has all of it.
    scroll_until(&browser, "wrap.scrollWidth", "param:pipeline").await;
    let long = browser
        .js(
            "const table = document.getElementById('rl-runs');
             const index = table.querySelector('thead th[data-sort=\"param:pipeline\"]').getAttribute('aria-colindex');
             const td = table.querySelector(`tbody tr[data-run-id] [aria-colindex=\"${index}\"]`);
             return { title: td.title, text: td.textContent, clipped: td.scrollWidth > td.clientWidth,
                      ellipsis: getComputedStyle(td).textOverflow };",
        )
        .await;
    assert_eq!(long["title"], long["text"], "{long}");
    assert!(
        long["text"].as_str().unwrap().starts_with(LONG_TEXT),
        "{long}"
    );
    assert_eq!(long["clipped"], json!(true), "{long}");
    assert_eq!(long["ellipsis"], json!("ellipsis"), "{long}");

    // Tab walks the headers from the keyboard past the columns first rendered: each header
    // focused scrolls into view, the window follows and the focus stays on that header.
    scroll_until(&browser, "0", "param:p00").await;
    browser
        .js("document.querySelector('#rl-runs thead th[data-sort=\"param:p00\"] button').focus(); return 0;")
        .await;
    let focused_header = "return document.activeElement.closest('#rl-runs thead th[data-sort]')?.dataset.sort ?? null;";
    let mut walked = vec![browser.js(focused_header).await];
    for _ in 0..40 {
        let active = browser.client.active_element().await.unwrap();
        active.send_keys("\u{E004}").await.unwrap();
        // Let the scroll it caused render the new window.
        browser
            .js("return new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(0))));")
            .await;
        walked.push(browser.js(focused_header).await);
    }
    let expected: Vec<Value> = (0..=40).map(|j| json!(format!("param:p{j:02}"))).collect();
    assert_eq!(walked, expected, "Tab moves from header to header");
    let first_window = start["ids"].as_array().unwrap().len();
    assert!(
        first_window < 40,
        "the walk went past the first window: {start}"
    );

    assert_eq!(browser.console_errors().await, Vec::<String>::new());
    browser.finish().await;
}
