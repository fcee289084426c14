//! runlens-site: writes a report from an encoded data bundle, either as a multi-file static
//! site (for GitHub Pages or any static host, under any sub-path) or as one self-contained
//! HTML file (wasm, JS, CSS, plotly.js and data inlined; opens from `file://` offline).

mod assets;
pub mod csp;
mod lock;
mod page;
mod stream;
mod write;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use askama::Template;
use base64::Engine;
use runlens_core::bundle::{EncodedBundle, RunTable};
use runlens_core::view::InitialView;
use thiserror::Error;

use page::{InlineScripts, ReportPage, Scripts, StaticTable};

pub use lock::OutputLock;
pub use page::STATIC_ROW_LIMIT;
pub use stream::{ChunkSpool, SiteStage};
pub use write::AtomicFile;

use stream::{Base64Part, Counting};

/// Why a report could not be written.
#[derive(Debug, Error)]
pub enum SiteError {
    /// A file or directory could not be created, written or moved.
    #[error("could not write {path}: {source}")]
    Io {
        /// The path concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The output directory exists as a file.
    #[error("{0} exists and is not a directory; choose another --out or remove it")]
    NotADirectory(PathBuf),
    /// Another build is writing the same output.
    #[error(
        "another runlens build is writing {destination} (it holds the lock {lock}); wait for it to finish, or write to another path"
    )]
    Busy {
        /// The output being written.
        destination: PathBuf,
        /// The lock file.
        lock: PathBuf,
    },
    /// The page template failed to render.
    #[error("could not render the report page: {0}")]
    Template(#[from] askama::Error),
}

impl SiteError {
    fn io(path: &Path, source: std::io::Error) -> SiteError {
        SiteError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// What the report is about.
#[derive(Debug, Clone)]
pub struct ReportInfo<'a> {
    /// Page title.
    pub title: &'a str,
    /// The decoded run table of the bundle (for the pre-rendered table and the header).
    pub table: &'a RunTable,
    /// Total metric points in the bundle.
    pub point_count: u64,
    /// A sentence or two under the title (plain text).
    pub description: Option<&'a str>,
    /// The view the page opens with.
    pub view: &'a InitialView,
    /// Light, dark, or the reader's system choice.
    pub theme: Theme,
    /// Metrics whose best run the page marks, and which way is better.
    pub directions: &'a runlens_core::view::Directions,
    /// Narrative pages, in navigation order.
    pub pages: &'a [Page],
}

/// A narrative page: markdown whose ` ```runlens ` blocks the page draws as live tables
/// and charts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Page {
    /// The address's `page=` value.
    pub slug: String,
    /// The navigation label.
    pub title: String,
    /// The markdown, as written.
    pub markdown: String,
    /// Where it was read from (for messages; not written into the report).
    #[serde(skip)]
    pub source: String,
}

/// The page's colours.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    /// Follow the reader's system setting (light or dark).
    #[default]
    Auto,
    /// Always light.
    Light,
    /// Always dark.
    Dark,
}

impl Theme {
    /// Reads `auto`, `light` or `dark`.
    pub fn parse(text: &str) -> Option<Theme> {
        match text {
            "auto" => Some(Theme::Auto),
            "light" => Some(Theme::Light),
            "dark" => Some(Theme::Dark),
            _ => None,
        }
    }

    /// The root element's `data-theme` value (the chart reads it); none for `auto`.
    pub fn attribute(self) -> Option<&'static str> {
        match self {
            Theme::Auto => None,
            Theme::Light => Some("light"),
            Theme::Dark => Some("dark"),
        }
    }
}

/// Sizes of what was written, for the summary printed after a build.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SiteSummary {
    /// Bytes of data bundle (as stored: base64 in the single file).
    pub data_bytes: u64,
    /// Bytes of the wasm module (as stored).
    pub wasm_bytes: u64,
    /// Bytes of JavaScript (glue, bootstrap, plotly.js).
    pub js_bytes: u64,
    /// Total bytes written.
    pub total_bytes: u64,
}

/// The wasm module embedded in this build (after wasm-bindgen, and wasm-opt when present).
pub fn wasm_module() -> &'static [u8] {
    assets::WASM
}

/// Size of the plotly.js every report carries.
pub fn plotly_js_bytes() -> usize {
    assets::PLOTLY_JS.len()
}

/// Writes the multi-file site into `out_dir` (replaced atomically).
pub fn write_site(
    info: &ReportInfo<'_>,
    bundle: &EncodedBundle,
    out_dir: &Path,
) -> Result<SiteSummary, SiteError> {
    finish_site(info, bundle, SiteStage::new(out_dir)?)
}

/// Completes the site `stage` (whose clock, chunk and level files the encoder may already have
/// written into it; those `bundle` holds are written too) and moves it into place.
pub fn finish_site(
    info: &ReportInfo<'_>,
    bundle: &EncodedBundle,
    mut stage: SiteStage,
) -> Result<SiteSummary, SiteError> {
    for (id, chunk) in bundle.chunks.iter().enumerate() {
        stage.write_data(&format!("data/chunks/{id}.rlb"), chunk)?;
    }
    for (id, level) in bundle.levels.iter().enumerate() {
        stage.write_data(&format!("data/levels/{id}.rlb"), level)?;
    }
    for (id, clock) in bundle.clocks.iter().enumerate() {
        stage.write_data(&format!("data/clocks/{id}.rlb"), clock)?;
    }
    let html = render(info, csp::multi_file(), Scripts::Files)?;
    let staged = &stage.staged;
    staged.write("index.html", html.as_bytes())?;
    staged.write(
        &format!("assets/{}", assets::GLUE_FILE),
        assets::GLUE_JS.as_bytes(),
    )?;
    staged.write(&format!("assets/{}", assets::WASM_FILE), assets::WASM)?;
    staged.write("assets/boot.js", assets::BOOT_JS.as_bytes())?;
    staged.write("assets/plotly.min.js", assets::PLOTLY_JS.as_bytes())?;
    staged.write("data/index.rlb", &bundle.index)?;
    for (id, detail) in bundle.details.iter().enumerate() {
        staged.write(&format!("data/details/{id}.rlb"), detail)?;
    }
    for (id, file) in bundle.files.iter().enumerate() {
        staged.write(&format!("data/files/{id}"), file)?;
    }
    // Keeps GitHub Pages from running the site through Jekyll.
    staged.write(".nojekyll", b"")?;
    let data_bytes = stage.data_bytes
        + [&bundle.index]
            .into_iter()
            .chain(&bundle.details)
            .chain(&bundle.files)
            .map(|f| f.len() as u64)
            .sum::<u64>();
    stage.staged.commit()?;
    let js_bytes = (assets::GLUE_JS.len() + assets::BOOT_JS.len() + assets::PLOTLY_JS.len()) as u64;
    let wasm_bytes = assets::WASM.len() as u64;
    Ok(SiteSummary {
        data_bytes,
        wasm_bytes,
        js_bytes,
        total_bytes: html.len() as u64 + js_bytes + data_bytes + wasm_bytes,
    })
}

/// Writes the single self-contained HTML file `out_file` (replaced atomically).
pub fn write_single_file(
    info: &ReportInfo<'_>,
    bundle: &EncodedBundle,
    out_file: &Path,
) -> Result<SiteSummary, SiteError> {
    write_single(info, bundle, None, out_file)
}

/// [`write_single_file`] for a bundle whose clock, chunk and level files the encoder put in
/// `spool`: they are read back and written into the page piece by piece.
pub fn write_single_file_spooled(
    info: &ReportInfo<'_>,
    bundle: &EncodedBundle,
    spool: &ChunkSpool,
    out_file: &Path,
) -> Result<SiteSummary, SiteError> {
    write_single(info, bundle, Some(spool), out_file)
}

fn write_single(
    info: &ReportInfo<'_>,
    bundle: &EncodedBundle,
    spool: Option<&ChunkSpool>,
    out_file: &Path,
) -> Result<SiteSummary, SiteError> {
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let plotly_js = csp::inline_script_text(assets::PLOTLY_JS);
    let module_js =
        csp::inline_script_text(&format!("{}\n{}", assets::GLUE_JS, assets::BOOT_INLINE_JS));
    let policy = csp::single_file(&[csp::script_hash(&plotly_js), csp::script_hash(&module_js)]);
    let failure = Mutex::new(None);
    fn held(files: &[Vec<u8>]) -> Vec<Base64Part<'_>> {
        files.iter().map(|f| Base64Part::Held(f)).collect()
    }
    fn spooled<'a>(
        spool: &'a ChunkSpool,
        places: &[(u64, u64)],
        failure: &'a Mutex<Option<SiteError>>,
    ) -> Vec<Base64Part<'a>> {
        places.iter().map(|&p| spool.part(p, failure)).collect()
    }
    let (chunks_base64, levels_base64, clocks_base64) = match spool {
        Some(spool) => (
            spooled(spool, &spool.chunks, &failure),
            spooled(spool, &spool.levels, &failure),
            spooled(spool, &spool.clocks, &failure),
        ),
        None => (
            held(&bundle.chunks),
            held(&bundle.levels),
            held(&bundle.clocks),
        ),
    };
    let inline = InlineScripts {
        index_base64: Base64Part::Held(&bundle.index),
        chunks_base64,
        levels_base64,
        clocks_base64,
        details_base64: held(&bundle.details),
        files_base64: held(&bundle.files),
        wasm_gzip_base64: b64(&gzip(assets::WASM)),
        plotly_js: &plotly_js,
        module_js: &module_js,
    };
    let data_bytes = inline.index_base64.text_len()
        + [
            &inline.chunks_base64,
            &inline.levels_base64,
            &inline.clocks_base64,
            &inline.details_base64,
            &inline.files_base64,
        ]
        .iter()
        .flat_map(|files| files.iter())
        .map(Base64Part::text_len)
        .sum::<u64>();
    let wasm_bytes = inline.wasm_gzip_base64.len() as u64;
    let js_bytes = (plotly_js.len() + module_js.len()) as u64;
    let page = page(info, policy, Scripts::Inline(Box::new(inline)));
    let mut file = write::AtomicFile::new(out_file)?;
    let mut out = Counting {
        inner: std::io::BufWriter::with_capacity(1 << 20, &mut file),
        bytes: 0,
    };
    let written = page.write_into(&mut out).and_then(|()| out.flush());
    if let Some(e) = failure.lock().unwrap_or_else(|p| p.into_inner()).take() {
        return Err(e);
    }
    written.map_err(|e| SiteError::io(out_file, e))?;
    let total_bytes = out.bytes;
    drop(out);
    file.commit()?;
    Ok(SiteSummary {
        data_bytes,
        wasm_bytes,
        js_bytes,
        total_bytes,
    })
}

fn render(info: &ReportInfo<'_>, csp: String, scripts: Scripts<'_>) -> Result<String, SiteError> {
    Ok(page(info, csp, scripts).render()?)
}

fn page<'a>(info: &'a ReportInfo<'_>, csp: String, scripts: Scripts<'a>) -> ReportPage<'a> {
    ReportPage {
        title: info.title,
        description: info.description,
        theme: info.theme.attribute(),
        config_json: config_json(info, &scripts),
        csp,
        css: assets::style_css(info.theme),
        version: env!("CARGO_PKG_VERSION"),
        run_count: info.table.len(),
        point_count: info.point_count,
        warnings: info
            .table
            .warnings
            .iter()
            .map(ToString::to_string)
            .collect(),
        table: StaticTable::of(info.table),
        scripts,
    }
}

/// The page configuration (`#rl-config`): where the data is and the initial view, as JSON
/// that is safe inside a `<script>` element whatever the view's text holds.
fn config_json(info: &ReportInfo<'_>, scripts: &Scripts<'_>) -> String {
    let (view, directions) = (info.view, info.directions);
    let mut config = match scripts {
        Scripts::Inline(_) => serde_json::json!({"data": "inline"}),
        Scripts::Files => serde_json::json!({"data": "fetch", "base": "data/"}),
    };
    if !view.is_default() {
        config["view"] = serde_json::to_value(view).expect("a view always serializes");
    }
    if !directions.is_empty() {
        config["directions"] =
            serde_json::to_value(directions).expect("directions always serialize");
    }
    if !info.pages.is_empty() {
        config["pages"] = serde_json::to_value(info.pages).expect("pages always serialize");
    }
    script_safe_json(&config.to_string())
}

/// JSON text with `<`, `>` and `&` written as `\u` escapes (the same value to a JSON parser),
/// so that it can never end its `<script>` element or open a comment.
fn script_safe_json(json: &str) -> String {
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder
        .write_all(bytes)
        .and_then(|()| encoder.finish())
        .expect("writing to memory cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dark_colours_are_placed_by_the_theme() {
        let first_dark = assets::DARK_CSS
            .lines()
            .find(|l| l.starts_with("--"))
            .unwrap();
        let auto = assets::style_css(Theme::Auto);
        let media = auto.find("@media (prefers-color-scheme: dark)").unwrap();
        assert!(auto[media..].contains(first_dark));
        let dark = assets::style_css(Theme::Dark);
        assert!(dark.contains(first_dark) && !dark.contains("prefers-color-scheme: dark)"));
        assert!(dark.contains("color-scheme: dark;"));
        let light = assets::style_css(Theme::Light);
        assert!(!light.contains(first_dark));
    }

    fn info<'a>(
        view: &'a InitialView,
        table: &'a RunTable,
        directions: &'a runlens_core::view::Directions,
        pages: &'a [Page],
    ) -> ReportInfo<'a> {
        ReportInfo {
            title: "t",
            table,
            point_count: 0,
            description: None,
            view,
            theme: Theme::Auto,
            directions,
            pages,
        }
    }

    #[test]
    fn the_page_configuration_cannot_end_its_script_element() {
        let view = InitialView {
            filter: Some("name ~ \"</script><script>alert(1)</script>\" & <!--".into()),
            ..InitialView::default()
        };
        let table = RunTable::default();
        let directions = Default::default();
        let pages = [Page {
            slug: "r".into(),
            title: "</script><script>alert(2)</script>".into(),
            markdown: "<!-- x --> </SCRIPT>".into(),
            source: "r.md".into(),
        }];
        let json = config_json(&info(&view, &table, &directions, &pages), &Scripts::Files);
        assert!(
            !json.contains('<') && !json.contains('>') && !json.contains('&'),
            "{json}"
        );
        let back: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back["view"]["filter"], view.filter.unwrap().as_str());
        assert_eq!(back["pages"][0]["markdown"], "<!-- x --> </SCRIPT>");
        assert!(
            back["pages"][0].get("source").is_none(),
            "no local path in the report"
        );
        assert_eq!(back["data"], "fetch");
        let empty = InitialView::default();
        let plain = config_json(&info(&empty, &table, &directions, &[]), &Scripts::Files);
        assert!(
            !plain.contains("view") && !plain.contains("pages"),
            "{plain}"
        );
    }
}
