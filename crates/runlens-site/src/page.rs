//! The report's HTML shell (askama template `www/report.html`): header, the pre-rendered
//! runs table for readers without JavaScript, and the scripts of either output mode.
//! Every value from the logs reaches the HTML through askama's escaping.

use askama::Template;
use runlens_core::bundle::RunTable;
use runlens_core::model::format_float;

use crate::stream::Base64Part;

/// Most runs pre-rendered into the no-JavaScript table.
pub const STATIC_ROW_LIMIT: usize = 1_000;
/// Most param columns in the no-JavaScript table.
const STATIC_PARAM_LIMIT: usize = 12;

/// The page template.
#[derive(Template)]
#[template(path = "report.html")]
pub struct ReportPage<'a> {
    pub title: &'a str,
    pub description: Option<&'a str>,
    /// `data-theme` of the root element (`light`, `dark`), none to follow the system.
    pub theme: Option<&'static str>,
    /// `#rl-config` JSON, already made safe for a script element.
    pub config_json: String,
    pub csp: String,
    pub css: String,
    pub version: &'static str,
    pub run_count: usize,
    pub point_count: u64,
    pub warnings: Vec<String>,
    pub table: StaticTable,
    pub scripts: Scripts<'a>,
}

/// How the page loads its code and data.
pub enum Scripts<'a> {
    /// Everything inlined (single file).
    Inline(Box<InlineScripts<'a>>),
    /// Scripts and data next to the page (multi-file site).
    Files,
}

/// The inlined parts of a single-file report (the bundle's files written as base64 while
/// the page is written).
pub struct InlineScripts<'a> {
    pub index_base64: Base64Part<'a>,
    pub chunks_base64: Vec<Base64Part<'a>>,
    pub levels_base64: Vec<Base64Part<'a>>,
    pub clocks_base64: Vec<Base64Part<'a>>,
    pub details_base64: Vec<Base64Part<'a>>,
    pub files_base64: Vec<Base64Part<'a>>,
    pub wasm_gzip_base64: String,
    pub plotly_js: &'a str,
    pub module_js: &'a str,
}

/// The pre-rendered table: plain text cells, escaped by the template.
pub struct StaticTable {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub omitted: usize,
}

impl StaticTable {
    /// Name, status, experiment, the source (when the runs come from more than one
    /// reader), the first params and the last value of every metric.
    pub fn of(table: &RunTable) -> StaticTable {
        let params = &table.params[..table.params.len().min(STATIC_PARAM_LIMIT)];
        let codes = &table.sources.codes;
        let sources = codes.iter().any(|c| Some(c) != codes.first());
        let mut headers = vec!["run".to_string(), "status".into(), "experiment".into()];
        if sources {
            headers.push("source".into());
        }
        headers.extend(params.iter().map(|c| c.key.clone()));
        headers.extend(table.metrics.iter().map(|c| format!("{} (last)", c.key)));
        let shown = table.len().min(STATIC_ROW_LIMIT);
        let rows = (0..shown)
            .map(|row| {
                let mut cells = vec![
                    table.names[row].clone(),
                    table.status(row).to_string(),
                    table.experiments.get(row).unwrap_or_default().to_string(),
                ];
                if sources {
                    cells.push(table.sources.get(row).unwrap_or_default().to_string());
                }
                cells.extend(params.iter().map(|c| {
                    c.cells[row]
                        .as_ref()
                        .map(|cell| runlens_core::ParamValue::from(cell).to_string())
                        .unwrap_or_default()
                }));
                cells.extend(table.metrics.iter().map(|c| {
                    c.summary(row)
                        .map(|s| format_float(s.last))
                        .unwrap_or_default()
                }));
                cells
            })
            .collect();
        StaticTable {
            headers,
            rows,
            omitted: table.len() - shown,
        }
    }
}
