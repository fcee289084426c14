//! Browser tests: real headless Chromium opens the single file from `file://` and the
//! multi-file site from a loopback server under a sub-path, filters, groups, charts, and
//! proves that hostile text from the logs never becomes markup or script.

mod support;

use std::collections::BTreeSet;

use serde_json::{Value, json};
use support::browser::{Browser, Scripts};
use support::server::StaticServer;
use support::{HOSTILE_METRIC, HOSTILE_NAME, HOSTILE_PARAM, HOSTILE_TAG, file_url, runlens};

fn build(args: &[&str]) {
    let outcome = runlens(args);
    assert_eq!(
        outcome.code, 0,
        "runlens {args:?} failed:\n{}",
        outcome.stderr
    );
}

/// Runs of the examples as `inspect --json` sees them.
fn example_runs() -> Vec<Value> {
    let outcome = runlens(["inspect", "--json", support::examples().to_str().unwrap()]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let doc: Value = serde_json::from_str(&outcome.stdout).unwrap();
    doc["runs"].as_array().unwrap().clone()
}

async fn row_ids(browser: &Browser) -> Vec<String> {
    let ids = browser
        .js("return [...document.querySelectorAll('#rl-runs tbody tr[data-run-id]')].map(r => r.dataset.runId);")
        .await;
    serde_json::from_value(ids).unwrap()
}

async fn set_filter(browser: &Browser, query: &str) {
    let input = browser
        .client
        .find(fantoccini::Locator::Css("#rl-filter"))
        .await
        .unwrap();
    input.clear().await.unwrap();
    input.send_keys(&format!("{query}\u{E007}")).await.unwrap();
}

async fn rendered_traces(browser: &Browser) -> u64 {
    browser
        .wait_for("document.querySelector('#rl-chart[data-rendered-traces]') && document.querySelectorAll('#rl-chart .scatterlayer .trace').length > 0")
        .await;
    browser
        .js("return Number(document.getElementById('rl-chart').dataset.renderedTraces);")
        .await
        .as_u64()
        .unwrap()
}

/// The filter, grouping and chart behave on the example sweep, wherever the page is loaded.
async fn exercise_explorer(browser: &Browser) {
    browser.wait_ready().await.expect("the report starts");
    let runs = example_runs();
    let all_ids: BTreeSet<String> = runs
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    let shown: BTreeSet<String> = row_ids(browser).await.into_iter().collect();
    assert_eq!(shown, all_ids, "every run has a row");
    assert_eq!(
        browser
            .js("return document.getElementById('rl-static');")
            .await,
        Value::Null,
        "the pre-rendered table makes way for the app: once it started, it is gone"
    );
    assert!(
        rendered_traces(browser).await > 0,
        "the chart draws the runs"
    );

    // Filter: the rows are exactly the runs whose optimizer is adam.
    let adam: BTreeSet<String> = runs
        .iter()
        .filter(|r| r["params"]["optimizer"] == "adam")
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert!(
        !adam.is_empty() && adam.len() < all_ids.len(),
        "the examples mix optimizers"
    );
    set_filter(browser, "optimizer == \"adam\"").await;
    browser
        .wait_for(&format!(
            "document.querySelectorAll('#rl-runs tbody tr[data-run-id]').length === {}",
            adam.len()
        ))
        .await;
    let filtered: BTreeSet<String> = row_ids(browser).await.into_iter().collect();
    assert_eq!(filtered, adam);
    let count = browser
        .js("return document.getElementById('rl-count').textContent;")
        .await;
    assert!(
        count
            .as_str()
            .unwrap()
            .starts_with(&format!("{} of {}", adam.len(), all_ids.len())),
        "count line: {count}"
    );

    // A typo gives an error message pointing at the position, and keeps the last result.
    set_filter(browser, "lr <").await;
    browser
        .wait_for("document.getElementById('rl-filter-error').textContent.length > 0")
        .await;
    let error = browser
        .js("return document.getElementById('rl-filter-error').textContent;")
        .await;
    assert!(
        error.as_str().unwrap().contains("column"),
        "error names a position: {error}"
    );
    assert_eq!(row_ids(browser).await.len(), adam.len());

    // Group by the learning rate: one group row per distinct value, with mean ± std cells.
    set_filter(browser, "").await;
    browser
        .wait_for(&format!(
            "document.querySelectorAll('#rl-runs tbody tr[data-run-id]').length === {}",
            all_ids.len()
        ))
        .await;
    let lrs: BTreeSet<String> = runs.iter().map(|r| r["params"]["lr"].to_string()).collect();
    browser.choose("rl-group", "param:lr").await;
    browser
        .wait_for(&format!(
            "document.querySelectorAll('#rl-runs tbody tr.rl-group-row').length === {}",
            lrs.len()
        ))
        .await;
    let group_text = browser
        .js("return [...document.querySelectorAll('#rl-runs tbody tr.rl-group-row')].map(r => r.textContent).join('|');")
        .await;
    assert!(
        group_text.as_str().unwrap().contains('±'),
        "groups show mean ± std: {group_text}"
    );
    // Grouped chart: a mean line and a band (upper and lower) per group.
    browser
        .wait_for(&format!(
            "Number(document.getElementById('rl-chart').dataset.renderedTraces) >= {}",
            lrs.len() * 2
        ))
        .await;

    // Sorting by a column reorders the rows.
    browser.choose("rl-group", "").await;
    let header = browser
        .client
        .find(fantoccini::Locator::Css("#rl-runs th[data-sort]"))
        .await
        .unwrap();
    header.click().await.unwrap();
    browser
        .wait_for("document.querySelector('#rl-runs th[aria-sort]') !== null")
        .await;

    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

#[tokio::test]
async fn single_file_works_from_file_url_with_no_network() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.html");
    build(&[
        "build",
        support::examples().to_str().unwrap(),
        "--single-file",
        report.to_str().unwrap(),
    ]);
    let browser = Browser::start(Scripts::Enabled).await;
    browser.client.goto(&file_url(&report)).await.unwrap();
    exercise_explorer(&browser).await;

    // The CSP blocks every request the page could make, even one a script tries.
    let sink = StaticServer::start(dir.path(), "/");
    let outcome = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const img = new Image(); img.src = arguments[0] + '/img.png'; document.body.append(img);
             fetch(arguments[0] + '/fetch').then(() => done('fetched'), () => done('blocked'));",
            vec![json!(sink.origin)],
        )
        .await
        .unwrap();
    assert_eq!(outcome, json!("blocked"));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        sink.seen().is_empty(),
        "requests escaped the page: {:?}",
        sink.seen()
    );
    browser.close().await;
}

#[tokio::test]
async fn multi_file_site_works_under_a_sub_path_and_loads_chunks_lazily() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    build(&[
        "build",
        support::examples().to_str().unwrap(),
        "--out",
        site.to_str().unwrap(),
    ]);
    let server = StaticServer::start(&site, "/repo/");
    let browser = Browser::start(Scripts::Enabled).await;
    browser
        .client
        .goto(&format!("{}/repo/", server.origin))
        .await
        .unwrap();
    browser.wait_ready().await.expect("the site starts");
    rendered_traces(&browser).await;

    // Only the chunks of the charted metric were fetched.
    let table =
        runlens_core::bundle::decode_index(&std::fs::read(site.join("data/index.rlb")).unwrap())
            .unwrap();
    let metric = browser
        .js("return document.getElementById('rl-metric').value;")
        .await;
    let column = &table.metrics[table.metric_index(metric.as_str().unwrap()).unwrap()];
    let expected: BTreeSet<String> = column
        .chunks
        .iter()
        .map(|id| format!("/repo/data/chunks/{id}.rlb"))
        .collect();
    let fetched: BTreeSet<String> = server
        .seen()
        .into_iter()
        .filter(|p| p.contains("/data/chunks/"))
        .collect();
    assert_eq!(fetched, expected, "chunks fetched for the first chart");
    assert!(
        table.chunks.len() > expected.len(),
        "the examples have more metrics than the one charted"
    );
    assert!(
        server.seen().iter().all(|p| p.starts_with("/repo/")),
        "every request stays under the sub-path: {:?}",
        server.seen()
    );

    exercise_explorer(&browser).await;
    browser.close().await;
}

/// Checks that no hostile string became an element or ran, and that each is shown as text.
async fn assert_inert(browser: &Browser, expect_text_in_table: &str) {
    assert_eq!(
        browser.js("return window.__pwned === undefined;").await,
        json!(true),
        "a hostile value ran"
    );
    let injected = browser
        .js("return document.querySelectorAll('img, b, [onerror], [onload], [onmouseover], svg[onload]').length;")
        .await;
    assert_eq!(injected, json!(0), "a hostile value became an element");
    let texts = browser
        .js(&format!("return [...document.querySelectorAll('{expect_text_in_table} td, {expect_text_in_table} th')].map(c => c.textContent);"))
        .await;
    let texts: Vec<String> = serde_json::from_value(texts).unwrap();
    for hostile in [HOSTILE_NAME, HOSTILE_PARAM] {
        assert!(
            texts.iter().any(|t| t.contains(hostile)),
            "{hostile:?} is shown as text in {expect_text_in_table}"
        );
    }
}

#[tokio::test]
async fn hostile_text_stays_text_in_the_app_and_the_static_table() {
    let dir = tempfile::tempdir().unwrap();
    let log = support::write_hostile_jsonl(dir.path());
    let report = dir.path().join("hostile.html");
    build(&[
        "build",
        log.to_str().unwrap(),
        "--single-file",
        report.to_str().unwrap(),
    ]);

    // Scripts on: the wasm app renders every field, the chart shows the hostile metric.
    let browser = Browser::start(Scripts::Enabled).await;
    browser.client.goto(&file_url(&report)).await.unwrap();
    browser.wait_ready().await.expect("the report starts");
    let scripts = browser
        .js("return [...document.scripts].filter(s => !['application/json', 'application/octet-stream'].includes(s.type)).length;")
        .await;
    assert_eq!(
        scripts,
        json!(2),
        "only plotly.js and the app module are scripts"
    );
    browser.choose("rl-metric", HOSTILE_METRIC).await;
    rendered_traces(&browser).await;
    browser.choose("rl-group", "param:optimizer").await;
    browser
        .wait_for("document.querySelectorAll('#rl-runs tbody tr.rl-group-row').length === 2")
        .await;
    assert_inert(&browser, "#rl-runs").await;
    for hostile in [HOSTILE_TAG, HOSTILE_METRIC] {
        let shown = browser
            .js(&format!(
                "return document.body.textContent.includes({});",
                json!(hostile)
            ))
            .await;
        assert_eq!(shown, json!(true), "{hostile:?} is shown as text");
    }
    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    browser.close().await;

    // Scripts off: the pre-rendered table shows the same values as text.
    let browser = Browser::start(Scripts::Disabled).await;
    browser.client.goto(&file_url(&report)).await.unwrap();
    let static_visible = browser
        .js("return !document.getElementById('rl-static').hidden;")
        .await;
    assert_eq!(static_visible, json!(true));
    assert_inert(&browser, ".rl-static-table").await;
    browser.close().await;
}

#[tokio::test]
async fn the_page_lists_what_was_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    support::write_damaged_inputs(&logs);
    let report = dir.path().join("damaged.html");
    build(&[
        "build",
        logs.to_str().unwrap(),
        "--single-file",
        report.to_str().unwrap(),
    ]);

    let browser = Browser::start(Scripts::Enabled).await;
    browser.client.goto(&file_url(&report)).await.unwrap();
    browser
        .wait_ready()
        .await
        .expect("a report with warnings still starts");
    assert_eq!(
        browser
            .js("return document.getElementById('rl-warnings').hidden;")
            .await,
        json!(false)
    );
    let listed = browser
        .js("return document.getElementById('rl-warnings').textContent;")
        .await;
    let listed = listed.as_str().unwrap();
    for named in ["damaged.jsonl", "no-value.csv"] {
        assert!(
            listed.contains(named),
            "the warnings name {named}: {listed}"
        );
    }
    let rows = row_ids(&browser).await;
    assert!(
        rows.contains(&"ok".to_string()) && rows.contains(&"half".to_string()),
        "readable runs stay: {rows:?}"
    );
    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    browser.close().await;
}

/// The author's `runlens.toml` decides the view the page opens with; its text cannot break
/// out of the page configuration.
#[tokio::test]
async fn the_configured_view_is_where_the_page_opens() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("runlens.toml");
    let examples = support::examples();
    std::fs::write(
        &config,
        format!(
            "title = \"Sweep review\"\ndescription = \"Adam runs, by learning rate\"\nsources = [{:?}]\n\n[view]\nfilter = 'optimizer == \"adam\" or name == \"</script><script>window.__pwned=1</script>\"'\ngroup = \"param:lr\"\nmetric = \"val/acc\"\nsort = \"name\"\ndescending = true\n\n[directions]\n\"val/acc\" = \"higher\"\n\"val/loss\" = \"lower\"\n",
            examples.display().to_string()
        ),
    )
    .unwrap();
    let report = dir.path().join("report.html");
    build(&[
        "build",
        "--config",
        config.to_str().unwrap(),
        "--single-file",
        report.to_str().unwrap(),
    ]);

    let browser = Browser::start(Scripts::Enabled).await;
    browser.client.goto(&file_url(&report)).await.unwrap();
    browser.wait_ready().await.expect("the report starts");
    let adam = example_runs()
        .iter()
        .filter(|r| r["params"]["optimizer"] == "adam")
        .count();
    let state = browser
        .js("return {
            filter: document.getElementById('rl-filter').value,
            group: document.getElementById('rl-group').value,
            metric: document.getElementById('rl-metric').value,
            rows: document.querySelectorAll('#rl-runs tbody tr[data-run-id]').length,
            groups: document.querySelectorAll('#rl-runs tbody tr.rl-group-row').length,
            sorted: document.querySelector('#rl-runs th[aria-sort]')?.getAttribute('aria-sort'),
            title: document.querySelector('h1').textContent,
            description: document.querySelector('.rl-description')?.textContent,
            pwned: window.__pwned === undefined ? null : 'ran',
        };")
        .await;
    assert_eq!(
        state["filter"],
        json!("optimizer == \"adam\" or name == \"</script><script>window.__pwned=1</script>\"")
    );
    assert_eq!(state["group"], json!("param:lr"));
    assert_eq!(state["metric"], json!("val/acc"));
    assert_eq!(state["rows"], json!(adam), "the filter is applied");
    assert!(
        state["groups"].as_u64().unwrap() > 1,
        "grouped by lr: {state}"
    );
    assert_eq!(state["sorted"], json!("descending"));
    assert_eq!(state["title"], json!("Sweep review"));
    assert_eq!(state["description"], json!("Adam runs, by learning rate"));
    assert_eq!(state["pwned"], json!(null), "the filter text stayed data");

    // [directions]: the best visible run of each directed column is marked, and only it.
    let best = browser
        .js("const out = {};
             for (const id of ['metric:val/acc:max', 'metric:val/loss:min']) {
               const th = document.querySelector(`#rl-runs th[data-sort='${id}']`);
               if (!th) { out[id] = null; continue; }
               const at = [...th.parentElement.children].indexOf(th);
               const cells = [...document.querySelectorAll('#rl-runs tbody tr[data-run-id]')].map(r => r.children[at]);
               out[id] = {
                 header: th.textContent,
                 values: cells.map(c => Number(c.textContent)).filter(v => !Number.isNaN(v)),
                 best: cells.filter(c => c.classList.contains('rl-best')).map(c => Number(c.textContent)),
               };
             }
             return out;")
        .await;
    let check = |id: &str, higher: bool| {
        let column = &best[id];
        assert!(column.is_object(), "column {id} is shown: {best}");
        let values: Vec<f64> = serde_json::from_value(column["values"].clone()).unwrap();
        let marked: Vec<f64> = serde_json::from_value(column["best"].clone()).unwrap();
        let want = values
            .iter()
            .copied()
            .fold(if higher { f64::MIN } else { f64::MAX }, |a, b| {
                if higher { a.max(b) } else { a.min(b) }
            });
        assert_eq!(
            marked,
            [want],
            "{id}: one best cell, the {} value",
            if higher { "highest" } else { "lowest" }
        );
        let arrow = if higher { "↑" } else { "↓" };
        assert!(
            column["header"].as_str().unwrap().contains(arrow),
            "{id} header {}",
            column["header"]
        );
    };
    check("metric:val/acc:max", true);
    check("metric:val/loss:min", false);
    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    browser.close().await;
}

/// The view lives in the address's fragment: a link with a fragment opens on that view,
/// every change rewrites it, and following another fragment shows that view.
#[tokio::test]
async fn the_view_is_shared_through_the_url_fragment() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.html");
    build(&[
        "build",
        support::examples().to_str().unwrap(),
        "--single-file",
        report.to_str().unwrap(),
    ]);
    let runs = example_runs();
    let adam = runs
        .iter()
        .filter(|r| r["params"]["optimizer"] == "adam")
        .count();

    let browser = Browser::start(Scripts::Enabled).await;
    let url = file_url(&report);
    browser
        .client
        .goto(&format!("{url}#filter=optimizer+%3D%3D+%22adam%22&group=param%3Alr&metric=val%2Facc&sort=name&desc=1"))
        .await
        .unwrap();
    browser.wait_ready().await.expect("the report starts");
    let state = || async {
        browser
            .js("return {
                filter: document.getElementById('rl-filter').value,
                group: document.getElementById('rl-group').value,
                metric: document.getElementById('rl-metric').value,
                rows: document.querySelectorAll('#rl-runs tbody tr[data-run-id]').length,
                sorted: document.querySelector('#rl-runs th[aria-sort]')?.getAttribute('aria-sort') ?? null,
                hash: decodeURIComponent(location.hash.replace(/\\+/g, ' ')),
            };")
            .await
    };
    let opened = state().await;
    assert_eq!(opened["filter"], json!("optimizer == \"adam\""));
    assert_eq!(opened["group"], json!("param:lr"));
    assert_eq!(opened["metric"], json!("val/acc"));
    assert_eq!(opened["rows"], json!(adam));
    assert_eq!(opened["sorted"], json!("descending"));

    // A change is written back into the address (no grouping: no `group=`, since the
    // author set none).
    browser.choose("rl-group", "").await;
    browser
        .wait_for("location.hash.includes('filter=') && !location.hash.includes('group=')")
        .await;
    let changed = state().await;
    assert!(
        changed["hash"]
            .as_str()
            .unwrap()
            .contains("filter=optimizer == \"adam\""),
        "{changed}"
    );
    assert!(
        changed["hash"].as_str().unwrap().contains("metric=val/acc"),
        "{changed}"
    );

    // Following a link to another view of the same report shows it.
    browser
        .js("location.hash = 'filter=status+%3D%3D+failed'; return null;")
        .await;
    let failed = runs.iter().filter(|r| r["status"] == "failed").count();
    browser
        .wait_for(&format!(
            "document.querySelectorAll('#rl-runs tbody tr[data-run-id]').length === {failed}"
        ))
        .await;
    let followed = state().await;
    assert_eq!(followed["filter"], json!("status == failed"));
    assert_eq!(followed["group"], json!(""));

    // Smoothing: each run's line is smoothed, its raw curve drawn faint behind it (the
    // curves of one colour in one trace), and the weight travels in the address.
    let lines = rendered_traces(&browser).await;
    browser.choose("rl-smoothing", "0.9").await;
    browser
        .wait_for(&format!(
            "location.hash.includes('smooth=0.9') && (() => {{
               const data = document.getElementById('rl-chart').data;
               const faint = data.filter((t) => t.hoverinfo === 'skip').length;
               return data.length - faint === {lines} && faint >= 1 && faint <= Math.min({lines}, 10)
                 && Number(document.getElementById('rl-chart').dataset.renderedTraces) === data.length;
             }})()"
        ))
        .await;
    browser
        .js("location.hash = 'filter=status+%3D%3D+failed&smooth=0.6'; return null;")
        .await;
    browser
        .wait_for("document.getElementById('rl-smoothing').value === '0.6'")
        .await;
    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    browser.close().await;
}

/// The site loads plotly.js beside the app (`async`): the table works without it and the
/// chart says why it is missing. When the app cannot start, the pre-rendered table, which
/// shows only its first rows while the app starts, shows every row again.
#[tokio::test]
async fn the_site_starts_without_plotly_and_falls_back_to_the_whole_static_table() {
    let dir = tempfile::tempdir().unwrap();
    // More runs than the 30 rows the pre-rendered table shows while the app starts.
    let runs = 45;
    let lines: String = (0..runs)
        .map(|r| {
            format!(
                "{{\"type\":\"params\",\"run\":\"r{r}\",\"params\":{{\"lr\":{r}}}}}\n\
                 {{\"type\":\"metrics\",\"run\":\"r{r}\",\"step\":1,\"values\":{{\"loss\":{r}}}}}\n"
            )
        })
        .collect();
    let logs = dir.path().join("runs.jsonl");
    std::fs::write(&logs, lines).unwrap();
    let site = dir.path().join("site");
    build(&[
        "build",
        logs.to_str().unwrap(),
        "--out",
        site.to_str().unwrap(),
    ]);
    std::fs::remove_file(site.join("assets/plotly.min.js")).unwrap();
    let server = StaticServer::start(&site, "/");
    let browser = Browser::start(Scripts::Enabled).await;
    browser
        .client
        .goto(&format!("{}/", server.origin))
        .await
        .unwrap();
    browser
        .wait_for("document.getElementById('rl-error').textContent.includes('plotly.js could not be loaded')")
        .await;
    assert!(row_ids(&browser).await.len() >= 30, "the table works");
    let traces = browser
        .js("return document.getElementById('rl-chart').dataset.renderedTraces;")
        .await;
    assert_eq!(traces, json!("0"), "no chart without plotly.js");
    browser.close().await;

    std::fs::remove_file(site.join("data/index.rlb")).unwrap();
    let browser = Browser::start(Scripts::Enabled).await;
    browser
        .client
        .goto(&format!("{}/", server.origin))
        .await
        .unwrap();
    let error = browser.wait_ready().await.expect_err("no run table");
    assert!(error.contains("index.rlb"), "{error}");
    let shown = browser
        .js("return [...document.querySelectorAll('.rl-static-table tbody tr')].filter(r => r.offsetHeight > 0).length;")
        .await;
    assert_eq!(shown, json!(runs), "every pre-rendered row shows again");
    browser.close().await;
}
