//! The page as an attack surface, in real headless Chromium. A report is built from the
//! hostile corpus (`support::hostile`: JSONL, a runs CSV, a long-form metrics CSV, a
//! narrative page) and from runs the real MLflow and W&B packages logged with hostile
//! names, params, tags, notes, datasets, git fields and artifact file names
//! (`examples/make_hostile_fixtures.py`). Both the single file (from `file://`) and the
//! multi-file site (over loopback) are opened with a trap installed before the page's own
//! scripts, and every view is visited: the table with every column shown, sorted, grouped
//! by hostile keys, searched and filtered, the column menu, the charts with their legends
//! and hover labels, the hyperparameter panel and parallel coordinates, the comparison,
//! the run pages, the narrative page and the CSV download. After each step no element may
//! have been injected, no payload may have run, no CSP violation may have happened, and
//! the hostile text must be on the page as text. The CSP itself is checked as text and by
//! trying, from the page, the requests and `eval` it forbids.

mod support;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::{Value, json};
use support::browser::{Browser, Scripts};
use support::hostile::{self, METRIC_KEY, METRIC_KEY_NS, PARAM_KEY, TAG_KEY};
use support::runlens;
use support::server::StaticServer;

/// The reports, built once for every test of this file.
struct Reports {
    _dir: tempfile::TempDir,
    single: PathBuf,
    site: PathBuf,
    corpus: hostile::Corpus,
    /// What the Python fixture logged (`payloads.json`).
    trackers: Value,
}

fn reports() -> &'static Reports {
    static REPORTS: OnceLock<Reports> = OnceLock::new();
    REPORTS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let corpus = hostile::write_corpus(dir.path());
        let trackers_dir = dir.path().join("trackers");
        support::run_fixture_script("make_hostile_fixtures.py", &trackers_dir);
        let trackers: Value = serde_json::from_str(
            &std::fs::read_to_string(trackers_dir.join("payloads.json")).unwrap(),
        )
        .unwrap();
        let single = dir.path().join("hostile.html");
        let site = dir.path().join("site");
        let arg = |p: &Path| p.display().to_string();
        let outcome = runlens([
            "build".to_string(),
            arg(&corpus.jsonl),
            arg(&corpus.runs_csv),
            arg(&corpus.metrics_csv),
            arg(&trackers_dir.join("mlflow.db")),
            arg(&trackers_dir.join("wandb")),
            "--page".into(),
            arg(&corpus.page),
            "--title".into(),
            "<img src=x onerror=__pwned('title')>".into(),
            "--single-file".into(),
            arg(&single),
            "--out".into(),
            arg(&site),
            // The 1 MiB strings reach every view whole: by default they would be cut at
            // 1 KiB (names) and 64 KiB (values), which tests/limits.rs checks.
            "--max-name-bytes".into(),
            "2MiB".into(),
            "--max-text-bytes".into(),
            "2MiB".into(),
        ]);
        assert_eq!(outcome.code, 0, "{}", outcome.stderr);
        assert!(
            !outcome.stderr.contains('\u{1b}') && !outcome.stderr.contains('\u{202E}'),
            "hostile text reaches the terminal only made safe: {:?}",
            outcome.stderr
        );
        Reports {
            _dir: dir,
            single,
            site,
            corpus,
            trackers,
        }
    })
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.canonicalize().unwrap().display())
}

/// Everything that must hold after every step: what the page's own scripts are, no
/// element or attribute that script could come from, no payload run, no CSP violation.
const CHECK: &str = r#"
const step = arguments[0];
const bad = [];
if (!window.__ownScripts) window.__ownScripts = new Set(document.scripts);
for (const s of document.querySelectorAll('script')) {
  if (!window.__ownScripts.has(s)) bad.push('a script element appeared: ' + s.outerHTML.slice(0, 120));
}
for (const e of document.querySelectorAll('*')) {
  for (const a of e.attributes) {
    if (a.name.toLowerCase().startsWith('on')) bad.push('event handler attribute ' + a.name + ' on <' + e.localName + '>');
    if (/^(href|src|xlink:href|action|formaction|data|srcdoc)$/i.test(a.name) && /^\s*(javascript|vbscript|data:text\/html)/i.test(a.value)) {
      bad.push(a.name + '=' + a.value.slice(0, 80) + ' on <' + e.localName + '>');
    }
  }
}
for (const img of document.querySelectorAll('img')) {
  if (!img.getAttribute('src')?.startsWith('blob:')) bad.push('an image not from the report: ' + img.outerHTML.slice(0, 120));
}
for (const f of document.querySelectorAll('iframe')) {
  const tokens = (f.getAttribute('sandbox') ?? 'none').split(/\s+/).filter(Boolean);
  if (!f.hasAttribute('sandbox') || tokens.some(t => t.startsWith('allow-'))
      || f.hasAttribute('src') || !f.classList.contains('rl-artifact-frame')) {
    bad.push('an iframe that is not the sandboxed artifact viewer: ' + f.outerHTML.slice(0, 160));
  }
}
for (const tag of ['object', 'embed', 'base', 'form', 'math', 'frame', 'frameset', 'portal', 'svg script', 'svg foreignObject', 'link:not([rel=icon]):not([rel=modulepreload][href="assets/runlens_web.js"]):not([rel=preload][href="assets/runlens_web_bg.wasm"]):not([rel=preload][href="data/index.rlb"])', 'meta[http-equiv]:not([http-equiv=Content-Security-Policy])']) {
  const n = document.querySelectorAll(tag).length;
  if (n) bad.push(n + ' × ' + tag);
}
const metas = document.querySelectorAll('meta[http-equiv=Content-Security-Policy]');
if (metas.length !== 1 || metas[0].parentElement !== document.head) bad.push('the CSP meta element moved or multiplied');
if (window.__pwnedLog?.length) bad.push('payloads ran: ' + JSON.stringify(window.__pwnedLog));
if (window.__violations?.length) bad.push('CSP violations: ' + JSON.stringify(window.__violations));
const error = document.getElementById('rl-error');
if (error && !error.hidden) bad.push('the app failed: ' + error.textContent);
return bad;
"#;

async fn check(browser: &Browser, step: &str) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    eprintln!("{:.1} checking after {step}", now.as_secs_f64() % 1000.0);
    let bad = browser
        .client
        .execute(CHECK, vec![json!(step)])
        .await
        .unwrap_or_else(|e| panic!("{step}: the check failed to run: {e}"));
    assert_eq!(bad, json!([]), "after {step}");
}

/// The check is not blind: a handler-carrying image put into the page by hand is reported
/// (the element, its handler attribute and the CSP's refusal of the inline handler).
async fn assert_the_check_sees_an_injection(browser: &Browser) {
    browser
        .js("const box = document.createElement('div');
             box.id = 'rl-test-injection';
             box.innerHTML = '<img src=\"data:,x\" onerror=\"__pwned(1)\">';
             document.body.append(box);
             return 0;")
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let bad = browser
        .client
        .execute(CHECK, vec![json!("self-test")])
        .await
        .unwrap();
    let bad: Vec<String> = serde_json::from_value(bad).unwrap();
    for expected in [
        "event handler attribute onerror",
        "an image not from the report",
        "CSP violations",
    ] {
        assert!(
            bad.iter().any(|b| b.contains(expected)),
            "the check reports {expected:?}: {bad:?}"
        );
    }
    browser
        .js("document.getElementById('rl-test-injection').remove();
             window.__violations.length = 0;
             window.__pwnedLog.length = 0;
             return 0;")
        .await;
    let console = browser.console_errors().await;
    assert!(
        console.iter().any(|e| e.contains("inline event handler")),
        "the console reports the refused handler: {console:?}"
    );
    check(browser, "the self-test").await;
}

/// Whether the page shows `text` (in the part `selector`) as text.
async fn shows(browser: &Browser, selector: &str, text: &str) -> bool {
    browser
        .client
        .execute(
            "return [...document.querySelectorAll(arguments[0])].some(e => e.textContent.includes(arguments[1]));",
            vec![json!(selector), json!(text)],
        )
        .await
        .unwrap()
        == json!(true)
}

async fn assert_shows(browser: &Browser, step: &str, selector: &str, text: &str) {
    assert!(
        shows(browser, selector, text).await,
        "{step}: {selector} shows {:?} as text",
        text.chars().take(200).collect::<String>()
    );
}

/// How many runs the filter and search leave (the count line's first number).
async fn visible(browser: &Browser) -> u64 {
    browser
        .js("return parseInt(document.getElementById('rl-count').textContent);")
        .await
        .as_u64()
        .unwrap()
}

const VISIBLE: &str = "parseInt(document.getElementById('rl-count').textContent)";

async fn type_into(browser: &Browser, id: &str, text: &str) {
    let input = browser.by_id(id).await;
    input.clear().await.unwrap();
    input.send_keys(&format!("{text}\u{E007}")).await.unwrap();
}

/// Clicks the first element matching `selector` whose `attribute` is exactly `value`.
async fn click_where(browser: &Browser, selector: &str, attribute: &str, value: &str) {
    let done = browser
        .client
        .execute(
            "const hit = [...document.querySelectorAll(arguments[0])].find(e => e.getAttribute(arguments[1]) === arguments[2]);
             if (!hit) return false;
             hit.click();
             return true;",
            vec![json!(selector), json!(attribute), json!(value)],
        )
        .await
        .unwrap();
    assert_eq!(
        done,
        json!(true),
        "{selector}[{attribute}={value:?}] is there"
    );
}

/// Hovers the first point of the first trace of the plotly chart `id`, and returns the
/// hover label's text.
async fn hover(browser: &Browser, id: &str) -> String {
    browser
        .client
        .execute(
            "const gd = document.getElementById(arguments[0]);
             Plotly.Fx.hover(gd, [{ curveNumber: 0, pointNumber: 0 }]);
             return null;",
            vec![json!(id)],
        )
        .await
        .unwrap();
    let text = browser
        .client
        .execute(
            "return [...document.getElementById(arguments[0]).querySelectorAll('.hoverlayer .hovertext')].map(e => e.textContent).join('|');",
            vec![json!(id)],
        )
        .await
        .unwrap();
    text.as_str().unwrap_or_default().to_string()
}

/// Opens the run `id` through the address, as a shared link would.
async fn open_run(browser: &Browser, id: &str, name: &str) {
    browser
        .client
        .execute(
            "location.hash = 'run=' + encodeURIComponent(arguments[0]); return null;",
            vec![json!(id)],
        )
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let open = browser
            .client
            .execute(
                "const run = document.getElementById('rl-run');
                 return run && !run.hidden && document.getElementById('rl-run-title')?.textContent === arguments[0];",
                vec![json!(name)],
            )
            .await
            .unwrap();
        if open == json!(true) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the run page of {id:?} opens with its name as the title"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Visits every view with the trap armed.
async fn visit_every_view(browser: &Browser) {
    let reports = reports();
    let names = &reports.corpus.names;
    check(browser, "load").await;
    assert_the_check_sees_an_injection(browser).await;
    assert_shows(
        browser,
        "load",
        "h1",
        "<img src=x onerror=__pwned('title')>",
    )
    .await;

    // The table: every hostile name that is on screen is its text.
    let total = visible(browser).await;
    assert!(total > 40, "{total} runs");
    for name in names.iter().take(8) {
        assert_shows(browser, "table", "#rl-runs td", name).await;
    }

    // The column menu, and every column shown.
    browser.click_id("rl-columns-open").await;
    browser
        .wait_for("!document.getElementById('rl-columns').hidden && document.querySelectorAll('#rl-columns-list input[data-column]').length > 20")
        .await;
    assert_shows(browser, "column menu", "#rl-columns-list", PARAM_KEY).await;
    assert_shows(browser, "column menu", "#rl-columns-list", TAG_KEY).await;
    // Two hostile columns ticked in the menu, then every column through the address
    // (one `col=` per column id: hostile ids in the fragment), which is one render.
    let started = std::time::Instant::now();
    for id in [format!("param:{PARAM_KEY}"), format!("tag:{TAG_KEY}")] {
        let ticked = browser
            .client
            .execute(
                "const box = [...document.querySelectorAll('#rl-columns-list input[data-column]')].find(b => b.dataset.column === arguments[0]);
                 if (!box) return null;
                 if (!box.checked) box.click();
                 return true;",
                vec![json!(id)],
            )
            .await
            .unwrap();
        assert_eq!(ticked, json!(true), "the menu lists {id:?}");
    }
    eprintln!("two columns ticked in {:?}", started.elapsed());
    check(browser, "two columns ticked").await;
    browser
        .js("const ids = [...document.querySelectorAll('#rl-columns-list input[data-column]')].map(b => b.dataset.column);
             const hash = new URLSearchParams(location.hash.slice(1));
             hash.delete('col');
             for (const id of ids) hash.append('col', id);
             window.__columnCount = ids.length;
             location.hash = hash.toString();
             return ids.length;")
        .await;
    // The table counts every column; only those in view are in the page.
    browser
        .wait_for("Number(document.getElementById('rl-runs').getAttribute('aria-colcount')) - 1 >= window.__columnCount")
        .await;
    eprintln!(
        "{} columns shown for {total} runs",
        browser.js("return window.__columnCount;").await
    );
    check(browser, "every column shown").await;
    browser
        .js("document.getElementById('rl-columns-close').click(); return 0;")
        .await;
    let payload = &reports.trackers["wandb"]["config_key"];
    for header in [PARAM_KEY, TAG_KEY, METRIC_KEY, payload.as_str().unwrap()] {
        assert!(
            browser.bring_header(header).await,
            "a header shows {header:?}"
        );
        assert_shows(browser, "headers", "#rl-runs thead th", header).await;
        check(browser, "the table scrolled sideways").await;
    }

    // Sorted by the hostile param.
    assert!(browser.bring_header(PARAM_KEY).await);
    click_where(
        browser,
        "#rl-runs thead th[data-sort]",
        "data-sort",
        &format!("param:{PARAM_KEY}"),
    )
    .await;
    browser
        .wait_for("document.querySelector('#rl-runs th[aria-sort]') !== null")
        .await;
    check(browser, "sorted by a hostile param").await;

    // Grouped by hostile keys and by the hostile experiments and groups.
    for group in [
        format!("param:{PARAM_KEY}"),
        format!("tag:{TAG_KEY}"),
        "experiment".into(),
        "group".into(),
    ] {
        browser.choose("rl-group", &group).await;
        browser
            .wait_for("document.querySelectorAll('#rl-runs tbody tr.rl-group-row').length > 1")
            .await;
        check(browser, &format!("grouped by {group}")).await;
    }
    // Grouped by `group`: the experiment column's shared values, in view again.
    assert!(browser.bring_header("experiment").await);
    let experiment = hostile::payloads("experiment")[1].clone();
    assert_shows(
        browser,
        "grouped by experiment",
        "#rl-runs tr.rl-group-row",
        &experiment,
    )
    .await;
    browser.choose("rl-group", "").await;

    // Search and filter.
    type_into(browser, "rl-search", "<script>").await;
    browser.wait_for(&format!("{VISIBLE} < {total}")).await;
    assert!(
        visible(browser).await > 0,
        "the search finds the script runs"
    );
    check(browser, "search").await;
    type_into(browser, "rl-search", "").await;
    browser.wait_for(&format!("{VISIBLE} === {total}")).await;
    type_into(
        browser,
        "rl-filter",
        &format!("params.`{PARAM_KEY}` ~ \"svg\""),
    )
    .await;
    browser.wait_for(&format!("{VISIBLE} < {total}")).await;
    assert!(visible(browser).await > 0, "the filter finds the svg runs");
    check(browser, "filter").await;
    type_into(browser, "rl-filter", "").await;
    browser.wait_for(&format!("{VISIBLE} === {total}")).await;

    // Charts: legends and hover labels of hostile metric keys and run names.
    for metric in [METRIC_KEY, METRIC_KEY_NS] {
        browser.choose("rl-metric", metric).await;
        browser
            .wait_for("document.querySelectorAll('#rl-chart .scatterlayer .trace').length > 0")
            .await;
        let label = hover(browser, "rl-chart").await;
        check(browser, &format!("chart of {metric:?} hovered")).await;
        assert!(!label.is_empty(), "the hover label is drawn");
    }
    assert_shows(
        browser,
        "chart",
        "#rl-chart .legendtext, #rl-chart .gtitle, #rl-chart .g-ytitle, #rl-chart .hovertext",
        "<i>ns</i>",
    )
    .await;
    let legend = browser
        .js("return [...document.querySelectorAll('#rl-chart .legendtext')].map(e => e.textContent);")
        .await;
    assert!(
        legend
            .as_array()
            .unwrap()
            .iter()
            .any(|t| names.iter().any(|n| n == t.as_str().unwrap())),
        "a legend entry is a hostile name, as text: {legend}"
    );

    // The hyperparameter panel: scatter, bars, correlations, parallel coordinates.
    browser
        .js("document.querySelector('#rl-hparams > summary').click(); return 0;")
        .await;
    browser.choose("rl-hp-x", "param:lr").await;
    browser
        .choose("rl-hp-y", &format!("metric:{METRIC_KEY}:last"))
        .await;
    browser
        .wait_for("document.getElementById('rl-hp-scatter').dataset.drawn === '1' && document.querySelector('#rl-hp-parcoords svg')")
        .await;
    hover(browser, "rl-hp-scatter").await;
    browser
        .choose("rl-group", &format!("param:{PARAM_KEY}"))
        .await;
    browser
        .wait_for("document.getElementById('rl-hp-bars').dataset.drawn === '1'")
        .await;
    check(browser, "hyperparameter panel").await;
    // A group's legend entry is its value and a run count; a right-to-left override in
    // the value stays inside an isolate and cannot reverse the count after it.
    browser
        .wait_for("[...document.querySelectorAll('#rl-chart .legendtext')].some(e => e.textContent.includes('\\u202e'))")
        .await;
    let legends = browser
        .js("return [...document.querySelectorAll('#rl-chart .legendtext')].map(e => e.textContent).filter(t => t.includes('\\u202e'));")
        .await;
    for legend in legends.as_array().unwrap() {
        let legend = legend.as_str().unwrap();
        let (inside, after) = legend.rsplit_once('\u{2069}').unwrap_or(("", legend));
        assert!(
            inside.starts_with('\u{2068}') && after.starts_with(" (") && after.ends_with(')'),
            "the override is isolated from the count: {legend:?}"
        );
    }
    assert_shows(browser, "hyperparameter panel", "#rl-hparams", METRIC_KEY).await;
    browser.choose("rl-group", "").await;

    // The comparison of every run.
    browser
        .js("document.getElementById('rl-select-all').click(); document.getElementById('rl-compare-open').click(); return 0;")
        .await;
    browser
        .wait_for(
            "document.querySelectorAll('#rl-compare-table thead th[data-run-id]').length > 20",
        )
        .await;
    check(browser, "comparison").await;
    assert_shows(browser, "comparison", "#rl-compare-table", &names[1]).await;
    assert_shows(browser, "comparison", "#rl-compare-table", PARAM_KEY).await;

    // Run pages: a JSONL run (hostile id in the address), the MLflow and W&B runs.
    let id = format!("1{}", hostile::payloads("id")[1]);
    open_run(browser, &id, &names[1]).await;
    check(browser, "a JSONL run's page").await;
    assert_shows(
        browser,
        "JSONL run page",
        "#rl-run",
        &hostile::payloads("tag-value")[1],
    )
    .await;

    let mlflow = &reports.trackers["mlflow"];
    open_run(
        browser,
        mlflow["run_id"].as_str().unwrap(),
        mlflow["name"].as_str().unwrap(),
    )
    .await;
    browser
        .wait_for("document.querySelector('#rl-run .rl-notes') && document.querySelector('#rl-run .rl-artifact-frame')")
        .await;
    // Give the sandboxed frame time to run its script, if it could.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    check(browser, "the MLflow run's page").await;
    for field in [
        "experiment",
        "param",
        "tag",
        "dataset",
        "artifact",
        "git_commit",
    ] {
        assert_shows(
            browser,
            &format!("MLflow {field}"),
            "#rl-run",
            mlflow[field].as_str().unwrap(),
        )
        .await;
    }
    assert_shows(
        browser,
        "MLflow notes",
        "#rl-run .rl-notes",
        "<script>__pwned('mlflow-notes-script')</script>",
    )
    .await;
    let links = browser
        .js("return [...document.querySelectorAll('#rl-run .rl-notes a')].map(a => a.getAttribute('href'));")
        .await;
    assert!(
        links.as_array().unwrap().iter().all(Value::is_null),
        "no javascript: link keeps its target: {links}"
    );

    let wandb = &reports.trackers["wandb"];
    let wandb_id = "hostile1";
    open_run(browser, wandb_id, wandb["name"].as_str().unwrap()).await;
    browser
        .wait_for("document.querySelector('#rl-run .rl-notes') && document.querySelector('#rl-run .rl-artifact')")
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    check(browser, "the W&B run's page").await;
    for field in ["group", "config", "file", "git_commit"] {
        assert_shows(
            browser,
            &format!("W&B {field}"),
            "#rl-run",
            wandb[field].as_str().unwrap(),
        )
        .await;
    }
    for tag in wandb["tags"].as_array().unwrap() {
        assert_shows(browser, "W&B tags", "#rl-run", tag.as_str().unwrap()).await;
    }

    open_run(browser, "long", &hostile::long_text("long-name")).await;
    check(browser, "the page of the run of 1 MiB strings").await;
    browser
        .js("document.getElementById('rl-run').dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true})); return 0;")
        .await;

    // The narrative page.
    browser
        .js("[...document.querySelectorAll('.rl-nav [data-page]')].find(b => b.dataset.page !== '').click(); return 0;")
        .await;
    browser
        .wait_for("document.querySelector('#rl-page .rl-embed-chart[data-rendered-traces]') && document.querySelector('#rl-page .rl-embed-table')")
        .await;
    check(browser, "the narrative page").await;
    assert_shows(
        browser,
        "narrative page",
        "#rl-page",
        "<script>__pwned('page-script')</script>",
    )
    .await;
    assert_shows(
        browser,
        "narrative page",
        "#rl-page .rl-embed-title",
        "<img src=x onerror=__pwned('block-title')>",
    )
    .await;
    browser
        .js("document.querySelector('.rl-nav [data-page=\"\"]').click(); return 0;")
        .await;
    browser
        .wait_for("!document.getElementById('rl-explorer').hidden")
        .await;

    // The CSV download: the text as it is, formulas defused.
    let csv = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const original = URL.createObjectURL;
             URL.createObjectURL = blob => { blob.text().then(done); return original(blob); };
             document.getElementById('rl-export-csv').click();",
            vec![],
        )
        .await
        .unwrap();
    let csv = csv.as_str().unwrap();
    assert!(csv.contains(&names[0]), "names are in the CSV as they are");
    let formula = &hostile::payloads("name")[12];
    assert!(
        csv.contains(&format!("\"'{}\"", formula.replace('"', "\"\""))),
        "a formula is defused in the CSV"
    );
    check(browser, "CSV download").await;

    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

/// A browser with the trap armed, at `url`, the app started.
async fn open_trapped(url: &str) -> Browser {
    let browser = Browser::start(Scripts::Enabled).await;
    browser.on_new_document(hostile::TRAP).await;
    browser.client.goto(url).await.unwrap();
    browser.wait_ready().await.expect("the report starts");
    browser
}

#[tokio::test]
async fn every_view_of_the_single_file_keeps_hostile_text_inert() {
    let browser = open_trapped(&file_url(&reports().single)).await;
    visit_every_view(&browser).await;
    browser.close().await;
}

#[tokio::test]
async fn every_view_of_the_site_keeps_hostile_text_inert() {
    let server = StaticServer::start(&reports().site, "/r/");
    let browser = open_trapped(&format!("{}/r/", server.origin)).await;
    visit_every_view(&browser).await;
    browser.close().await;
}

/// With JavaScript off, the pre-rendered table and the warnings show the same text, inert.
#[tokio::test]
async fn the_pre_rendered_table_keeps_hostile_text_inert() {
    let reports = reports();
    let browser = Browser::start(Scripts::Disabled).await;
    browser
        .client
        .goto(&file_url(&reports.single))
        .await
        .unwrap();
    check(&browser, "the pre-rendered page").await;
    for name in reports.corpus.names.iter().take(9) {
        assert_shows(&browser, "pre-rendered table", ".rl-static-table td", name).await;
    }
    assert_shows(
        &browser,
        "pre-rendered table",
        ".rl-static-table th",
        METRIC_KEY,
    )
    .await;
    assert_shows(
        &browser,
        "pre-rendered warnings",
        ".rl-static .rl-warnings li",
        &hostile::payloads("status")[0],
    )
    .await;
    browser.close().await;
}

/// The Content-Security-Policy of the single file and of the site, as written.
fn policy(html: &str) -> String {
    let start = html
        .find("<meta http-equiv=\"Content-Security-Policy\" content=\"")
        .expect("a CSP meta element")
        + "<meta http-equiv=\"Content-Security-Policy\" content=\"".len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

fn directive<'a>(policy: &'a str, name: &str) -> Vec<&'a str> {
    policy
        .split(';')
        .map(str::trim)
        .find_map(|d| d.strip_prefix(name).filter(|rest| rest.starts_with(' ')))
        .unwrap_or_else(|| panic!("{name} is in {policy}"))
        .split_whitespace()
        .collect()
}

/// The inline scripts the browser would run: `<script>` and `<script type="module">`
/// elements without `src`.
fn executable_inline_scripts(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find("<script") {
        let open_end = at + rest[at..].find('>').unwrap();
        let open = &rest[at..open_end];
        let body_end = open_end + rest[open_end..].find("</script>").unwrap();
        let body = &rest[open_end + 1..body_end];
        let executable =
            !open.contains(" src=") && (open == "<script" || open.contains("type=\"module\""));
        if executable {
            out.push(body);
        }
        rest = &rest[body_end..];
    }
    out
}

#[test]
fn the_policies_allow_only_the_reports_own_scripts_and_no_request() {
    let reports = reports();
    let html = std::fs::read_to_string(&reports.single).unwrap();
    let single = policy(&html);
    assert_eq!(directive(&single, "default-src"), ["'none'"]);
    let scripts = directive(&single, "script-src");
    let inline = executable_inline_scripts(&html);
    assert_eq!(inline.len(), 2, "plotly.js and the app module");
    let mut hashes: Vec<String> = inline.iter().map(|body| script_hash(body)).collect();
    hashes.push("'wasm-unsafe-eval'".into());
    assert_eq!(
        scripts, hashes,
        "script-src is the two scripts' hashes and WebAssembly compilation, nothing else (no 'unsafe-inline', no 'unsafe-eval', no host)"
    );
    for (name, allowed) in [
        ("connect-src", vec!["'none'"]),
        ("img-src", vec!["data:", "blob:"]),
        ("font-src", vec!["data:"]),
        ("frame-src", vec!["'none'"]),
        ("worker-src", vec!["'none'"]),
        ("object-src", vec!["'none'"]),
        ("base-uri", vec!["'none'"]),
        ("form-action", vec!["'none'"]),
        ("style-src", vec!["'unsafe-inline'"]),
    ] {
        assert_eq!(
            directive(&single, name),
            allowed,
            "{name} of the single file"
        );
    }

    let site = std::fs::read_to_string(reports.site.join("index.html")).unwrap();
    let multi = policy(&site);
    assert!(
        executable_inline_scripts(&site).is_empty(),
        "the site runs no inline script"
    );
    assert_eq!(
        directive(&multi, "script-src"),
        ["'self'", "'wasm-unsafe-eval'"]
    );
    assert_eq!(directive(&multi, "connect-src"), ["'self'"]);
    assert_eq!(directive(&multi, "default-src"), ["'none'"]);
}

/// `'sha256-…'` of an inline script's text, computed here independently of runlens-site.
fn script_hash(body: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    let digest = sha2::Sha256::digest(body.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// From the page, tries what the policy forbids; each attempt must fail and reach nothing.
const PROBES: &str = r#"
const done = arguments[arguments.length - 1];
const sink = arguments[0];
const result = {};
const attempt = (name, f) => { try { result[name] = f(); } catch (e) { result[name] = 'blocked: ' + e.name; } };
attempt('setTimeout string', () => { setTimeout('__pwned("setTimeout")', 0); return 'queued'; });
attempt('inline script', () => {
  const s = document.createElement('script');
  s.textContent = '__pwned("inline script")';
  document.body.append(s);
  return 'appended';
});
attempt('javascript: link', () => {
  const a = document.createElement('a'); a.href = 'javascript:__pwned("link")';
  document.body.append(a); a.click(); a.remove(); return 'clicked';
});
attempt('image', () => { const img = new Image(); img.src = sink + '/image.png'; document.body.append(img); return 'appended'; });
attempt('frame', () => { const f = document.createElement('iframe'); f.src = sink + '/frame'; document.body.append(f); return 'appended'; });
attempt('websocket', () => { new WebSocket(sink.replace('http', 'ws') + '/ws'); return 'opened'; });
attempt('beacon', () => String(navigator.sendBeacon(sink + '/beacon', 'x')));
attempt('event source', () => { new EventSource(sink + '/events'); return 'opened'; });
attempt('worker', () => { new Worker(sink + '/worker.js'); return 'started'; });
attempt('style url', () => {
  const d = document.createElement('div'); d.style.backgroundImage = 'url(' + sink + '/bg.png)';
  document.body.append(d); getComputedStyle(d).backgroundImage; return 'styled';
});
// Code run for WebDriver may generate code from strings; a timer's callback runs as the
// page's own code, under the page's policy.
new Promise((resolve) => setTimeout(() => {
  attempt('eval', () => 'ran ' + eval('1 + 1'));
  attempt('Function', () => 'ran ' + new Function('return 2')());
  resolve();
}, 0))
  .then(() => fetch(sink + '/fetch')).then(() => { result.fetch = 'fetched'; }, (e) => { result.fetch = 'blocked: ' + e.name; })
  .then(() => import(sink + '/module.js').then(() => 'imported', (e) => 'blocked: ' + e.name))
  .then((r) => { result.import = r; setTimeout(() => done({ result, pwned: [...window.__pwnedLog], violations: [...window.__violations] }), 500); });
"#;

async fn probe(browser: &Browser, sink: &StaticServer) -> Value {
    let outcome = browser
        .client
        .execute_async(PROBES, vec![json!(sink.origin)])
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    outcome
}

fn assert_all_blocked(outcome: &Value, sink: &StaticServer, page: &str) {
    let result = &outcome["result"];
    for name in ["eval", "Function", "fetch", "import"] {
        assert!(
            result[name].as_str().unwrap().starts_with("blocked"),
            "{page}: {name} is blocked: {outcome}"
        );
    }
    assert_eq!(
        outcome["pwned"],
        json!([]),
        "{page}: nothing ran: {outcome}"
    );
    let violations: Vec<&str> = outcome["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for directive in ["script-src", "img-src", "frame-src", "connect-src"] {
        assert!(
            violations.iter().any(|v| v.starts_with(directive)),
            "{page}: the policy refused something under {directive}: {violations:?}"
        );
    }
    assert!(
        sink.seen().is_empty(),
        "{page}: requests left the page: {:?}",
        sink.seen()
    );
}

#[tokio::test]
async fn the_policy_blocks_requests_eval_and_injected_script_from_the_page() {
    let reports = reports();
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = StaticServer::start(sink_dir.path(), "/");

    let browser = open_trapped(&file_url(&reports.single)).await;
    let outcome = probe(&browser, &sink).await;
    assert_all_blocked(&outcome, &sink, "single file");
    browser.close().await;

    // The site may fetch its own data, nothing else.
    let server = StaticServer::start(&reports.site, "/r/");
    let browser = open_trapped(&format!("{}/r/", server.origin)).await;
    let outcome = probe(&browser, &sink).await;
    assert_all_blocked(&outcome, &sink, "site");
    browser.close().await;
}
