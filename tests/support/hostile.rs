//! The hostile corpus: text that would run script or make elements if any view of the page
//! ever treated it as markup, placed in every text field the plain formats carry (run ids,
//! names, experiments, groups, statuses, param and tag keys and values, metric keys, the
//! CSV headers) and in a narrative page. Every payload calls or sets `window.__pwned`,
//! which [`TRAP`] turns into a log the browser tests read.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::json;

/// Installed before any script of the page (`Page.addScriptToEvaluateOnNewDocument`):
/// `window.__pwned` records every call and assignment in `window.__pwnedLog`, `alert` and
/// its kin are recorded too, and every CSP violation lands in `window.__violations`.
pub const TRAP: &str = r#"(() => {
  const log = [];
  const record = (what) => { log.push(String(what)); };
  Object.defineProperty(window, '__pwnedLog', { value: log });
  Object.defineProperty(window, '__pwned', { get() { return record; }, set(v) { record(v); } });
  for (const name of ['alert', 'confirm', 'prompt']) {
    window[name] = (x) => record(name + ':' + x);
  }
  const violations = [];
  Object.defineProperty(window, '__violations', { value: violations });
  document.addEventListener('securitypolicyviolation', (e) => {
    violations.push(e.effectiveDirective + ' ' + e.blockedURI + ' ' + (e.sample || ''));
  });
})();"#;

/// The hostile strings for `field` (its name is part of each, so a recorded `__pwned`
/// says which field and which payload ran).
pub fn payloads(field: &str) -> Vec<String> {
    vec![
        format!("<script>__pwned('{field}:script')</script>"),
        format!("<img src=x onerror=\"__pwned('{field}:img')\">"),
        format!("\"><svg onload=__pwned('{field}:svg')>"),
        format!("<svg><script>__pwned('{field}:svg-script')</script></svg>"),
        format!("</script><script>__pwned('{field}:close')</script><!--"),
        format!("javascript:__pwned('{field}:url')"),
        format!(
            "<a href=\"javascript:__pwned('{field}:a')\">a</a><iframe src=\"javascript:__pwned('{field}:iframe')\"></iframe>"
        ),
        format!("' onmouseover='__pwned(\"{field}:attr\")' x='"),
        format!(
            "{{{{constructor.constructor('__pwned(\"{field}:tpl\")')()}}}} ${{__pwned('{field}:tpl2')}} %{{x}}"
        ),
        format!("\u{202E}{field}:rlo\u{202C} \u{2066}iso\u{2069}\u{200F}\u{061C}end"),
        format!("{field}:ctl\u{0}\u{1}\u{7}\u{8}\u{1b}[31m\u{7f}\u{85}\u{2028}\u{FEFF}end"),
        format!("<math><mtext><table><mglyph><style><img src=x onerror=__pwned('{field}:mxss')>"),
        format!("=HYPERLINK(\"http://127.0.0.1:9/{field}\",\"x\")"),
    ]
}

/// Length of the long strings (1 MiB of text between two payloads).
pub const LONG: usize = 1 << 20;

/// A 1 MiB string with a payload at each end.
pub fn long_text(field: &str) -> String {
    let mut text = format!("<img src=x onerror=__pwned('{field}:long')>");
    text.push_str(&"A".repeat(LONG));
    text.push_str(&format!("<script>__pwned('{field}:long-end')</script>"));
    text
}

/// A param key every JSONL and CSV run has (the value is one of the payloads).
pub const PARAM_KEY: &str = "<img src=x onerror=__pwned('param-key')>";
/// A tag key every JSONL run has.
pub const TAG_KEY: &str = "<svg onload=__pwned('tag-key')>";
/// A metric key every JSONL run logs.
pub const METRIC_KEY: &str = "<b onmouseover=__pwned('metric-key')>loss</b>";
/// A metric key with a namespace.
pub const METRIC_KEY_NS: &str = "<i>ns</i>/<img src=x onerror=__pwned('metric-ns')>";

/// The plain-format inputs written by [`write_corpus`].
pub struct Corpus {
    /// JSONL runs: one per payload, and one with 1 MiB strings.
    pub jsonl: PathBuf,
    /// A runs-table CSV with hostile headers and cells.
    pub runs_csv: PathBuf,
    /// A long-form metrics CSV with hostile run ids, experiments and keys.
    pub metrics_csv: PathBuf,
    /// A narrative page with hostile markdown and a block grouped by the hostile key.
    pub page: PathBuf,
    /// The JSONL runs' names, in file order.
    pub names: Vec<String>,
}

/// Writes the corpus into `dir`.
pub fn write_corpus(dir: &Path) -> Corpus {
    let mut jsonl = String::new();
    let names = payloads("name");
    let ids = payloads("id");
    let lines = |i: usize, id: &str, name: &str| {
        let p = |field: &str| payloads(field)[i].clone();
        vec![
            json!({"type": "run", "run": id, "name": name, "experiment": p("experiment"),
                   "group": p("group"), "status": if i == 0 { p("status") } else { "finished".into() }}),
            json!({"type": "params", "run": id, "params": {
                PARAM_KEY: p("param"), "lr": 0.1 / (i + 1) as f64,
                format!("{i}{}", p("param-key")): p("param-value"),
                "nested": {p("nested-key"): i}}}),
            json!({"type": "tags", "run": id, "tags": {
                TAG_KEY: p("tag"), format!("{i}{}", p("tag-key")): p("tag-value")}}),
        ]
    };
    for (i, (id, name)) in ids.iter().zip(&names).enumerate() {
        let id = format!("{i}{id}");
        for line in lines(i, &id, name) {
            let _ = writeln!(jsonl, "{line}");
        }
        for step in 0..3 {
            let v = 1.0 / (1.0 + i as f64 + step as f64);
            let metric = format!("{i}{}", payloads("metric")[i]);
            let _ = writeln!(
                jsonl,
                "{}",
                json!({"type": "metrics", "run": id, "step": step,
                       "values": {METRIC_KEY: v, METRIC_KEY_NS: v * 2.0, "loss": v, metric: v}})
            );
        }
    }
    // One run of 1 MiB strings.
    let _ = writeln!(
        jsonl,
        "{}",
        json!({"type": "run", "run": "long", "name": long_text("long-name"), "status": "finished"})
    );
    let _ = writeln!(
        jsonl,
        "{}",
        json!({"type": "params", "run": "long", "params": {PARAM_KEY: long_text("long-param"), "lr": 0.5}})
    );
    let _ = writeln!(
        jsonl,
        "{}",
        json!({"type": "tags", "run": "long", "tags": {TAG_KEY: long_text("long-tag")}})
    );
    let _ = writeln!(
        jsonl,
        "{}",
        json!({"type": "metrics", "run": "long", "step": 0, "values": {METRIC_KEY: 0.5, "loss": 0.5}})
    );
    let jsonl_path = dir.join("hostile.jsonl");
    std::fs::write(&jsonl_path, jsonl).unwrap();

    // Runs table: the header itself is hostile.
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut csv = [
        "run_id".to_string(),
        "name".into(),
        "experiment".into(),
        format!("params.{}", payloads("csv-param-key")[1]),
        format!("tags.{}", payloads("csv-tag-key")[2]),
        format!("metrics.{}", payloads("csv-metric-key")[3]),
        payloads("csv-bare-column")[7].clone(),
    ]
    .iter()
    .map(|h| quote(h))
    .collect::<Vec<_>>()
    .join(",");
    csv.push('\n');
    for (i, p) in payloads("csv").iter().enumerate() {
        let row = [
            format!("csv{i}"),
            p.clone(),
            p.clone(),
            p.clone(),
            p.clone(),
            format!("{}", i as f64 / 10.0),
            p.clone(),
        ];
        csv.push_str(&row.iter().map(|c| quote(c)).collect::<Vec<_>>().join(","));
        csv.push('\n');
    }
    let runs_csv = dir.join("hostile-runs.csv");
    std::fs::write(&runs_csv, csv).unwrap();

    let mut metrics = String::from("experiment,run,step,key,value\n");
    for (i, p) in payloads("long-form").iter().enumerate() {
        for step in 0..2 {
            let _ = writeln!(
                metrics,
                "{},{},{step},{},{}",
                quote(p),
                quote(&format!("lf{i}{p}")),
                quote(&format!("lf-{p}")),
                step as f64 + i as f64
            );
        }
    }
    let metrics_csv = dir.join("hostile-metrics.csv");
    std::fs::write(&metrics_csv, metrics).unwrap();

    let page = dir.join("hostile-page.md");
    std::fs::write(
        &page,
        format!(
            "# Findings <img src=x onerror=\"__pwned('page-title')\">\n\n\
             <script>__pwned('page-script')</script>\n\n\
             <svg><script>__pwned('page-svg')</script></svg>\n\n\
             [a link](javascript:__pwned('page-link')) and <a href=\"javascript:__pwned('page-a')\">raw</a> \
             ![image](javascript:__pwned('page-image')) {{{{7*7}}}} ${{__pwned('page-tpl')}}\n\n\
             \u{202E}reversed\u{202C}\n\n\
             ```runlens\ntitle: <img src=x onerror=__pwned('block-title')>\ngroup: param:{PARAM_KEY}\nmetric: {METRIC_KEY}\n```\n\n\
             ```runlens\nshow: table\nfilter: params.`{PARAM_KEY}` ~ \"script\"\n```\n"
        ),
    )
    .unwrap();
    Corpus {
        jsonl: jsonl_path,
        runs_csv,
        metrics_csv,
        page,
        names,
    }
}
