//! The run page and narrative pages in real headless Chromium. A run page, opened from a
//! run's name, shows what MLflow holds for the run (params as logged, notes as markdown,
//! datasets, artifacts, registered models, parent and nested runs) from the single file
//! under `file://` and from the multi-file site; hostile notes and artifacts stay inert. A
//! narrative page (`--page`) draws its `runlens` blocks as live charts and tables.

mod support;

use std::fs;
use std::path::Path;

use serde_json::{Value, json};
use support::browser::{Browser, Scripts};
use support::server::StaticServer;
use support::{file_url, runlens};

fn build(args: &[&str]) {
    let outcome = runlens(args);
    assert_eq!(
        outcome.code, 0,
        "runlens {args:?} failed:\n{}",
        outcome.stderr
    );
}

fn mlflow_db() -> String {
    support::repo_root()
        .join("tests/fixtures/mlflow/mlflow.db")
        .display()
        .to_string()
}

/// Clicks the name of the run called `name` in the runs table (or a run link in the panel).
async fn open_run(browser: &Browser, name: &str) {
    let clicked = browser
        .client
        .execute(
            "const button = [...document.querySelectorAll('button[data-run-row]')]
                 .find(b => b.textContent === arguments[0]);
             if (!button) return false;
             button.click();
             return true;",
            vec![json!(name)],
        )
        .await
        .unwrap();
    assert_eq!(clicked, json!(true), "a button opens run {name:?}");
    browser
        .wait_for(&format!(
            "!document.getElementById('rl-run').hidden && document.getElementById('rl-run-title')?.textContent === {}",
            json!(name)
        ))
        .await;
}

async fn panel_text(browser: &Browser) -> String {
    browser
        .js("return document.getElementById('rl-run').textContent;")
        .await
        .as_str()
        .unwrap()
        .to_string()
}

/// Everything the baseline run of the MLflow fixture has, on its page.
async fn check_baseline_page(browser: &Browser) {
    browser.wait_ready().await.expect("the report starts");
    open_run(browser, "baseline").await;
    // Details load after the sheet: wait for the last artifact preview.
    browser
        .wait_for("document.querySelector('#rl-run .rl-artifact-image')?.complete && document.querySelector('#rl-run .rl-artifact-frame')")
        .await;
    let text = panel_text(browser).await;
    for expected in [
        "plain sgd",           // a text param
        "mlflow.note.content", // tags are all there
        "train-v1",            // the dataset
        "training",            // its context
        "classifier v1",       // the registered model version made from this run
        "stage Production · aliases champion · ready",
        "eval/metrics.json",
        "weights.bin",
        "2.0 KiB", // listed with its size, not embedded
        "epochs: 3",
        "\"accuracy\": 0.61",
    ] {
        assert!(
            text.contains(expected),
            "the run page shows {expected:?}:\n{text}"
        );
    }
    // Notes are markdown made into elements.
    let strong = browser
        .js("return [...document.querySelectorAll('#rl-run .rl-notes strong')].map(e => e.textContent);")
        .await;
    assert!(
        strong.as_array().unwrap().contains(&json!("without")),
        "{strong}"
    );
    // The PNG decoded from the report's own bytes.
    let image = browser
        .js("const img = document.querySelector('#rl-run .rl-artifact-image'); return [img.src.startsWith('blob:'), img.naturalWidth];")
        .await;
    assert_eq!(image, json!([true, 1]));
    // The HTML artifact is in a sandbox: no script, an opaque origin the page cannot enter.
    let frame = browser
        .js("const f = document.querySelector('#rl-run .rl-artifact-frame'); return [f.getAttribute('sandbox'), f.contentDocument === null, document.title];")
        .await;
    assert_eq!(frame[0], json!(""));
    assert_eq!(
        frame[1],
        json!(true),
        "the frame's document is not reachable"
    );
    assert_ne!(frame[2], json!("pwned"));
    let weights_embedded = browser
        .js("return [...document.querySelectorAll('#rl-run .rl-artifact')].filter(li => li.textContent.includes('weights.bin') && li.querySelector('pre, img, iframe')).length;")
        .await;
    assert_eq!(
        weights_embedded,
        json!(0),
        "an opaque binary is only listed"
    );
}

#[tokio::test]
async fn the_run_page_shows_an_mlflow_run_from_the_single_file_and_the_site() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.html");
    let site = dir.path().join("site");
    let db = mlflow_db();
    build(&["build", &db, "--single-file", report.to_str().unwrap()]);
    build(&["build", &db, "--out", site.to_str().unwrap()]);

    let browser = Browser::start(Scripts::Enabled).await;
    browser.client.goto(&file_url(&report)).await.unwrap();
    check_baseline_page(&browser).await;

    // The open run is in the address: a link to it opens the page on that run.
    let address = browser.js("return location.href;").await;
    let address = address.as_str().unwrap().to_string();
    assert!(address.contains("&run="), "{address}");
    browser.client.goto("about:blank").await.unwrap();
    browser.client.goto(&address).await.unwrap();
    browser.wait_ready().await.expect("the report starts");
    browser
        .wait_for("!document.getElementById('rl-run').hidden && document.getElementById('rl-run-title')?.textContent === 'baseline'")
        .await;

    // Parent and nested runs link to each other.
    open_run(&browser, "child-a").await;
    let facts = panel_text(&browser).await;
    assert!(facts.contains("parent"), "{facts}");
    assert!(facts.contains("1e-05"), "weight_decay as logged: {facts}");
    open_run(&browser, "parent").await;
    let children = browser
        .js("return [...document.querySelectorAll('#rl-run .rl-run-children button')].map(b => b.textContent);")
        .await;
    assert_eq!(children, json!(["child-a", "child-b"]));
    // Escape closes the page.
    browser
        .client
        .execute(
            "document.getElementById('rl-run').dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true}));",
            vec![],
        )
        .await
        .unwrap();
    browser
        .wait_for("document.getElementById('rl-run').hidden")
        .await;
    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    browser.close().await;

    // The multi-file site fetches the details and the files on demand, under a sub-path.
    let server = StaticServer::start(&site, "/repo/");
    let browser = Browser::start(Scripts::Enabled).await;
    browser
        .client
        .goto(&format!("{}/repo/", server.origin))
        .await
        .unwrap();
    browser.wait_ready().await.expect("the site starts");
    let before: Vec<String> = server.seen();
    assert!(
        !before
            .iter()
            .any(|p| p.contains("/data/details/") || p.contains("/data/files/")),
        "details load only when a run is opened: {before:?}"
    );
    check_baseline_page(&browser).await;
    assert!(
        server
            .seen()
            .iter()
            .any(|p| p.starts_with("/repo/data/files/"))
    );
    browser.close().await;
}

/// A hand-made MLflow file store whose run has hostile notes, a hostile artifact name,
/// an SVG with script, and HTML that would set `window.__pwned` if it ran in the page.
fn write_hostile_store(root: &Path) -> std::path::PathBuf {
    let mlruns = root.join("mlruns");
    let exp = mlruns.join("1");
    let run = exp.join("abc123");
    fs::create_dir_all(run.join("tags")).unwrap();
    fs::create_dir_all(run.join("params")).unwrap();
    fs::create_dir_all(run.join("artifacts")).unwrap();
    fs::write(
        exp.join("meta.yaml"),
        "experiment_id: '1'\nlifecycle_stage: active\nname: hostile\n",
    )
    .unwrap();
    fs::write(
        run.join("meta.yaml"),
        "run_id: abc123\nrun_name: evil\nexperiment_id: '1'\nlifecycle_stage: active\nstatus: 3\nstart_time: 1700000000000\nend_time: 1700000100000\n",
    )
    .unwrap();
    fs::write(
        run.join("tags/mlflow.note.content"),
        "# Notes\n<script>window.__pwned='notes'</script>\n\n<img src=x onerror=\"window.__pwned='img'\">\n\n[click](javascript:window.__pwned='link') and [ok](https://example.org)\n\n<svg onload=\"window.__pwned='svg'\"></svg>",
    )
    .unwrap();
    fs::write(run.join("params/lr"), "1e-3").unwrap();
    fs::write(
        run.join("artifacts/<img src=x onerror=window.__pwned=1>.html"),
        "<script>parent.__pwned='html'; top.__pwned='html'</script><img src=x onerror=\"parent.__pwned='html-img'\">",
    )
    .unwrap();
    fs::write(
        run.join("artifacts/plot.svg"),
        "<svg xmlns='http://www.w3.org/2000/svg' onload=\"window.__pwned='svg-file'\"></svg>",
    )
    .unwrap();
    mlruns
}

#[tokio::test]
async fn hostile_notes_and_artifacts_stay_inert_on_the_run_page() {
    let dir = tempfile::tempdir().unwrap();
    let store = write_hostile_store(dir.path());
    let report = dir.path().join("hostile.html");
    build(&[
        "build",
        store.to_str().unwrap(),
        "--single-file",
        report.to_str().unwrap(),
    ]);
    let browser = Browser::start(Scripts::Enabled).await;
    browser.client.goto(&file_url(&report)).await.unwrap();
    browser.wait_ready().await.expect("the report starts");
    open_run(&browser, "evil").await;
    browser
        .wait_for("document.querySelector('#rl-run .rl-notes') && document.querySelector('#rl-run .rl-artifact-frame')")
        .await;
    // Give a frame or an injected handler time to run, if one could.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        browser.js("return window.__pwned === undefined;").await,
        json!(true)
    );
    let injected = browser
        .js("return document.querySelectorAll('#rl-run script, #rl-run img, #rl-run svg, #rl-run [onerror], #rl-run [onload]').length;")
        .await;
    assert_eq!(injected, json!(0), "nothing hostile became an element");
    let links: Value = browser
        .js("return [...document.querySelectorAll('#rl-run .rl-notes a')].map(a => a.getAttribute('href'));")
        .await;
    assert_eq!(
        links,
        json!([null, "https://example.org"]),
        "the javascript: link lost its target"
    );
    let text = panel_text(&browser).await;
    for shown in [
        "<script>window.__pwned='notes'</script>",
        "<img src=x onerror=window.__pwned=1>.html",
        "plot.svg",
        "1e-3",
    ] {
        assert!(text.contains(shown), "{shown:?} is shown as text:\n{text}");
    }
    let svg_embedded = browser
        .js("return [...document.querySelectorAll('#rl-run .rl-artifact')].filter(li => li.textContent.includes('plot.svg') && li.querySelector('pre, img, iframe')).length;")
        .await;
    assert_eq!(
        svg_embedded,
        json!(0),
        "SVG (which can hold script) is never embedded"
    );
    browser.close().await;
}

#[tokio::test]
async fn a_narrative_page_draws_its_blocks_from_the_runs() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("results.md");
    fs::write(
        &page,
        "# Results <img src=x onerror=\"window.__pwned='title'\">\n\nAdam only:\n\n```runlens\ntitle: Adam by lr\nfilter: optimizer == \"adam\"\ngroup: param:lr\nmetric: val/acc\n```\n\n```runlens\nfilter: optimizer == \"adma\n```\n\n<script>window.__pwned='page'</script>\n",
    )
    .unwrap();
    let report = dir.path().join("report.html");
    let examples = support::examples();
    let outcome = runlens([
        "build",
        examples.to_str().unwrap(),
        "--page",
        page.to_str().unwrap(),
        "--single-file",
        report.to_str().unwrap(),
    ]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert!(
        outcome
            .stderr
            .contains("results.md:12: runlens block: filter"),
        "the typo is named with its file and line at build time: {}",
        outcome.stderr
    );
    let adam = {
        let inspect = runlens(["inspect", "--json", examples.to_str().unwrap()]);
        let doc: Value = serde_json::from_str(&inspect.stdout).unwrap();
        doc["runs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["params"]["optimizer"] == "adam")
            .count()
    };

    let browser = Browser::start(Scripts::Enabled).await;
    browser.client.goto(&file_url(&report)).await.unwrap();
    browser.wait_ready().await.expect("the report starts");
    let clicked = browser
        .js("const item = [...document.querySelectorAll('.rl-nav [data-page]')].find(b => b.dataset.page !== ''); item.click(); return item.textContent;")
        .await;
    assert_eq!(
        clicked,
        json!("Results <img src=x onerror=\"window.__pwned='title'\">"),
        "the title is text"
    );
    browser
        .wait_for("document.querySelector('#rl-page .rl-embed-chart[data-rendered-traces]') && document.querySelector('#rl-page [data-embed-error]')")
        .await;
    let state = browser
        .js("return {
            explorer: document.getElementById('rl-explorer').hidden,
            hash: location.hash,
            rows: Number(document.querySelector('#rl-page .rl-embed[data-embed-rows]').dataset.embedRows),
            groups: document.querySelectorAll('#rl-page .rl-embed-table tr.rl-group-row').length,
            traces: Number(document.querySelector('#rl-page .rl-embed-chart').dataset.renderedTraces),
            error: document.querySelector('#rl-page [data-embed-error]').textContent,
            caption: document.querySelector('#rl-page .rl-embed-title').textContent,
            scripts: document.querySelectorAll('#rl-page script, #rl-page img').length,
            pwned: window.__pwned === undefined ? null : window.__pwned,
        };")
        .await;
    assert_eq!(
        state["explorer"],
        json!(true),
        "the page replaces the explorer"
    );
    assert!(
        state["hash"].as_str().unwrap().contains("page=results"),
        "{state}"
    );
    assert_eq!(state["rows"], json!(adam), "the block's filter is applied");
    assert!(
        state["groups"].as_u64().unwrap() > 1,
        "grouped by lr: {state}"
    );
    assert!(state["traces"].as_u64().unwrap() > 0);
    assert!(
        state["error"]
            .as_str()
            .unwrap()
            .starts_with("runlens block: filter"),
        "{state}"
    );
    assert_eq!(state["caption"], json!("Adam by lr"));
    assert_eq!(state["scripts"], json!(0));
    assert_eq!(state["pwned"], json!(null));

    // The address opens the page; "Runs" goes back to the explorer.
    let address = browser.js("return location.href;").await;
    browser.client.goto("about:blank").await.unwrap();
    browser
        .client
        .goto(address.as_str().unwrap())
        .await
        .unwrap();
    browser.wait_ready().await.expect("the report starts");
    browser.wait_for("!document.getElementById('rl-page').hidden && document.querySelector('#rl-page .rl-embed-chart[data-rendered-traces]')").await;
    browser
        .js("document.querySelector('.rl-nav [data-page=\"\"]').click(); return true;")
        .await;
    browser.wait_for("!document.getElementById('rl-explorer').hidden && document.getElementById('rl-page').hidden").await;
    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    browser.close().await;
}

#[tokio::test]
async fn a_tensorboard_run_page_shows_its_text_image_and_distribution() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.html");
    let logdir = support::repo_root().join("tests/fixtures/tensorboard/logdir");
    build(&[
        "build",
        logdir.to_str().unwrap(),
        "--single-file",
        report.to_str().unwrap(),
    ]);
    let browser = Browser::start(Scripts::Enabled).await;
    browser.client.goto(&file_url(&report)).await.unwrap();
    browser.wait_ready().await.expect("the report starts");
    open_run(&browser, "tbx/basic").await;
    browser
        .wait_for("document.querySelector('#rl-run .rl-histogram .main-svg') && document.querySelector('#rl-run .rl-artifact-image')?.complete")
        .await;
    let state = browser
        .js("return {
            caption: document.querySelector('#rl-run .rl-histogram-title').textContent,
            outline: document.querySelectorAll('#rl-run .rl-histogram .scatterlayer .trace').length,
            image: document.querySelector('#rl-run .rl-artifact-image').naturalWidth,
            notes: document.querySelector('#rl-run .rl-notes h4')?.textContent,
            strong: document.querySelector('#rl-run .rl-notes strong')?.textContent,
        };")
        .await;
    assert_eq!(
        state["caption"],
        json!("weights — step 200 (the last of 3 kept)")
    );
    assert_eq!(state["outline"], json!(1));
    assert_eq!(state["image"], json!(4), "the 4×4 image decoded");
    assert_eq!(state["notes"], json!("notes/text_summary (step 200)"));
    assert_eq!(
        state["strong"],
        json!("200"),
        "the text's markdown is rendered"
    );
    // The system turns dark, then light, with the run's page open: its distribution
    // chart (drawn once, when the page opened) takes each theme's text colour.
    let text = "getComputedStyle(document.querySelector('#rl-run .rl-histogram .gtitle, #rl-run .rl-histogram .xtitle')).fill";
    let light = browser.js(&format!("return {text};")).await;
    for dark in [true, false] {
        browser.emulate(1280, 900, dark).await;
        let expected = if dark {
            "rgb(212, 212, 216)"
        } else {
            "rgb(39, 39, 42)"
        };
        browser.wait_for(&format!("{text} === '{expected}'")).await;
    }
    assert_eq!(light, json!("rgb(39, 39, 42)"), "light text before");
    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    browser.close().await;
}
