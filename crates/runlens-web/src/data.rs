//! Loading the bundle: the index at start-up; metric chunks (with the clock files their wall
//! times read), overview levels, run details and embedded artifact files on demand (decoded
//! once and cached), either from base64 `<script>` elements of a single-file report (left
//! as they are, compressed, until a view needs them) or fetched next to the document in a
//! multi-file site.
//!
//! For tests and benchmarks the root element's `data-rl-decoded-chunks`,
//! `data-rl-decoded-levels` and `data-rl-decoded-clocks` list, space-separated in decoding
//! order, the ids decoded so far.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use base64::Engine;
use runlens_core::bundle::details::{self, RunDetail};
use runlens_core::bundle::{self, Clock, RunTable};
use runlens_core::model::MetricSeries;
pub use runlens_core::view::InitialView;
use serde::Deserialize;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::{Error, dom};

/// The report's configuration, the JSON text of `<script id="rl-config">`: where the bundle
/// is, and the view the page opens with.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Config {
    /// Where the bundle files are.
    #[serde(flatten)]
    pub source: Source,
    /// The initial view chosen by the report's author.
    #[serde(default)]
    pub view: InitialView,
    /// Metrics whose best run is marked, and which way is better.
    #[serde(default)]
    pub directions: runlens_core::view::Directions,
    /// Narrative pages, in the order of the navigation.
    #[serde(default)]
    pub pages: Vec<crate::pages::PageSpec>,
}

impl Config {
    /// Parses the config text.
    pub fn parse(text: &str) -> Result<Config, Error> {
        serde_json::from_str(text.trim()).map_err(|e| {
            Error::new(format!(
                "the report configuration (#rl-config) is invalid: {e}"
            ))
        })
    }

    /// Reads and parses `#rl-config`.
    pub fn from_page(document: &web_sys::Document) -> Result<Config, Error> {
        let text = dom::by_id(document, "rl-config")?
            .text_content()
            .unwrap_or_default();
        Config::parse(&text)
    }
}

/// Where the bundle files are.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "data", rename_all = "lowercase")]
pub enum Source {
    /// Base64 text of `#rl-index` and `#rl-chunk-N`.
    Inline,
    /// `{base}index.rlb` and `{base}chunks/{N}.rlb`, relative to the document.
    Fetch {
        /// URL prefix, usually `data/`.
        base: String,
    },
}

impl Source {
    async fn index(&self) -> Result<Vec<u8>, Error> {
        match self {
            Source::Inline => inline_bytes("rl-index"),
            Source::Fetch { base } => fetch_bytes(&format!("{base}index.rlb")).await,
        }
    }

    async fn chunk(&self, id: u32) -> Result<Vec<u8>, Error> {
        match self {
            Source::Inline => inline_bytes(&format!("rl-chunk-{id}")),
            Source::Fetch { base } => fetch_bytes(&format!("{base}chunks/{id}.rlb")).await,
        }
    }

    async fn level(&self, id: u32) -> Result<Vec<u8>, Error> {
        match self {
            Source::Inline => inline_bytes(&format!("rl-level-{id}")),
            Source::Fetch { base } => fetch_bytes(&format!("{base}levels/{id}.rlb")).await,
        }
    }

    async fn clock(&self, id: u32) -> Result<Vec<u8>, Error> {
        match self {
            Source::Inline => inline_bytes(&format!("rl-clock-{id}")),
            Source::Fetch { base } => fetch_bytes(&format!("{base}clocks/{id}.rlb")).await,
        }
    }

    async fn detail(&self, id: u32) -> Result<Vec<u8>, Error> {
        match self {
            Source::Inline => inline_bytes(&format!("rl-detail-{id}")),
            Source::Fetch { base } => fetch_bytes(&format!("{base}details/{id}.rlb")).await,
        }
    }

    async fn file(&self, id: u32) -> Result<Vec<u8>, Error> {
        match self {
            Source::Inline => inline_bytes(&format!("rl-file-{id}")),
            Source::Fetch { base } => fetch_bytes(&format!("{base}files/{id}")).await,
        }
    }
}

/// The series of one decoded chunk, keyed by run row.
pub type Chunk = Rc<Vec<(u32, MetricSeries)>>;

/// The clocks of one decoded clock file, keyed by run row.
type Clocks = Rc<Vec<(u32, Clock)>>;

/// The decoded run table and the chunks decoded so far.
pub struct Data {
    source: Source,
    /// The run table.
    pub table: Rc<RunTable>,
    chunks: RefCell<HashMap<u32, Chunk>>,
    levels: RefCell<HashMap<u32, Chunk>>,
    clocks: RefCell<HashMap<u32, Clocks>>,
    details: RefCell<HashMap<u32, Rc<Vec<RunDetail>>>>,
}

impl Data {
    /// Loads and decodes the index.
    pub async fn load(source: Source) -> Result<Data, Error> {
        let bytes = source.index().await?;
        let table = bundle::decode_index(&bytes)
            .map_err(|e| Error::new(format!("the report data cannot be read: {e}")))?;
        Ok(Data {
            source,
            table: Rc::new(table),
            chunks: RefCell::new(HashMap::new()),
            levels: RefCell::new(HashMap::new()),
            clocks: RefCell::new(HashMap::new()),
            details: RefCell::new(HashMap::new()),
        })
    }

    /// Chunk `id`, loaded and decoded on first use.
    pub async fn chunk(&self, id: u32) -> Result<Chunk, Error> {
        if let Some(chunk) = self.chunks.borrow().get(&id) {
            return Ok(chunk.clone());
        }
        let chunk_ref = self
            .table
            .chunks
            .get(id as usize)
            .ok_or_else(|| Error::new(format!("the report data has no chunk {id}")))?;
        let mut clocks = Vec::with_capacity(chunk_ref.clocks.len());
        for &clock in &chunk_ref.clocks {
            clocks.push(self.clock(clock).await?);
        }
        let files: Vec<&[(u32, Clock)]> = clocks.iter().map(|c| c.as_slice()).collect();
        let bytes = self.source.chunk(id).await?;
        let series = bundle::decode_chunk(&self.table, chunk_ref, &bytes, &files)
            .map_err(|e| Error::new(format!("metric data chunk {id} cannot be read: {e}")))?;
        let chunk = Rc::new(series);
        self.chunks.borrow_mut().insert(id, chunk.clone());
        note_decoded("data-rl-decoded-chunks", id);
        Ok(chunk)
    }

    /// Clock file `id` (the wall times of a range of runs), loaded and decoded on first use.
    async fn clock(&self, id: u32) -> Result<Clocks, Error> {
        if let Some(clocks) = self.clocks.borrow().get(&id) {
            return Ok(clocks.clone());
        }
        let clock_ref = self
            .table
            .clocks
            .get(id as usize)
            .ok_or_else(|| Error::new(format!("the report data has no clock file {id}")))?;
        let bytes = self.source.clock(id).await?;
        let decoded = bundle::decode_clock(clock_ref, &bytes)
            .map_err(|e| Error::new(format!("wall-time clock file {id} cannot be read: {e}")))?;
        let clocks = Rc::new(decoded);
        self.clocks.borrow_mut().insert(id, clocks.clone());
        note_decoded("data-rl-decoded-clocks", id);
        Ok(clocks)
    }

    /// The overview of chunk `id` (its level when it has one, else the chunk itself),
    /// loaded and decoded on first use: enough for a zoomed-out line chart.
    pub async fn overview(&self, id: u32) -> Result<Chunk, Error> {
        let Some(level) = bundle::level_of_chunk(&self.table, id) else {
            return self.chunk(id).await;
        };
        if let Some(chunk) = self.chunks.borrow().get(&id) {
            return Ok(chunk.clone());
        }
        if let Some(overview) = self.levels.borrow().get(&level.id) {
            return Ok(overview.clone());
        }
        let bytes = self.source.level(level.id).await?;
        let series = bundle::decode_level(&self.table, level, &bytes).map_err(|e| {
            Error::new(format!(
                "metric overview level {} cannot be read: {e}",
                level.id
            ))
        })?;
        let overview = Rc::new(series);
        self.levels.borrow_mut().insert(level.id, overview.clone());
        note_decoded("data-rl-decoded-levels", level.id);
        Ok(overview)
    }
}

/// Appends `id` to the root element's attribute `name` (a debug hook for tests and the
/// browser benchmark: which bundle files were decoded).
fn note_decoded(name: &str, id: u32) {
    let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    else {
        return;
    };
    let mut list = root.get_attribute(name).unwrap_or_default();
    if !list.is_empty() {
        list.push(' ');
    }
    list.push_str(&id.to_string());
    let _ = root.set_attribute(name, &list);
}

impl Data {
    /// The details (notes, datasets, artifact list) of run `row`; `None` when it has none.
    pub async fn details(&self, row: usize) -> Result<Option<RunDetail>, Error> {
        let Some(id) = details::detail_of(&self.table.details, row as u32) else {
            return Ok(None);
        };
        let cached = self.details.borrow().get(&id).cloned();
        let file = match cached {
            Some(file) => file,
            None => {
                let detail_ref = &self.table.details[id as usize];
                let bytes = self.source.detail(id).await?;
                let decoded = details::decode_detail(detail_ref, &bytes).map_err(|e| {
                    Error::new(format!("run details file {id} cannot be read: {e}"))
                })?;
                let file = Rc::new(decoded);
                self.details.borrow_mut().insert(id, file.clone());
                file
            }
        };
        Ok(file.iter().find(|d| d.run as usize == row).cloned())
    }

    /// The bytes of embedded artifact file `id`, checked against the directory.
    pub async fn file(&self, id: u32) -> Result<Vec<u8>, Error> {
        let file_ref = self
            .table
            .files
            .get(id as usize)
            .ok_or_else(|| Error::new(format!("the report data has no file {id}")))?;
        let bytes = self.source.file(id).await?;
        details::check_file(file_ref, &bytes)
            .map_err(|e| Error::new(format!("embedded artifact file {id} is damaged: {e}")))?;
        Ok(bytes)
    }
}

/// Decodes the base64 text of `<script id="{id}">`.
fn inline_bytes(id: &str) -> Result<Vec<u8>, Error> {
    let document = dom::document()?;
    let mut text = dom::by_id(&document, id)?
        .text_content()
        .unwrap_or_default();
    text.retain(|c| !c.is_ascii_whitespace());
    base64::engine::general_purpose::STANDARD
        .decode(text.as_bytes())
        .map_err(|e| Error::new(format!("the embedded data #{id} is not valid base64: {e}")))
}

/// GETs `url` (relative to the document) and returns the body.
async fn fetch_bytes(url: &str) -> Result<Vec<u8>, Error> {
    let window = web_sys::window().ok_or_else(|| Error::new("no window"))?;
    let failed = |reason: String| {
        let mut message = format!("could not load {url}: {reason}");
        let from_file = window.location().protocol().is_ok_and(|p| p == "file:");
        if from_file {
            message.push_str(
                "; browsers block a multi-file report opened from disk: serve its folder over \
                 HTTP (e.g. `python3 -m http.server`) or build a single-file report",
            );
        }
        Error::new(message)
    };
    let response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|e| failed(Error::from(e).to_string()))?;
    let response: web_sys::Response = response
        .dyn_into()
        .map_err(|_| failed("not an HTTP response".into()))?;
    if !response.ok() {
        return Err(failed(format!(
            "HTTP {} {}",
            response.status(),
            response.status_text()
        )));
    }
    let buffer = JsFuture::from(
        response
            .array_buffer()
            .map_err(|e| failed(Error::from(e).to_string()))?,
    )
    .await
    .map_err(|e| failed(Error::from(e).to_string()))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_has_two_sources() {
        assert_eq!(
            Config::parse(r#"{"data":"inline"}"#).unwrap().source,
            Source::Inline
        );
        assert_eq!(
            Config::parse(" {\"data\":\"fetch\",\"base\":\"data/\"}\n")
                .unwrap()
                .source,
            Source::Fetch {
                base: "data/".into()
            }
        );
        let error = Config::parse(r#"{"data":"ftp"}"#).unwrap_err();
        assert!(error.to_string().contains("#rl-config"), "{error}");
    }

    #[test]
    fn config_carries_the_initial_view() {
        let config = Config::parse(
            r#"{"data":"inline","view":{"filter":"lr < 0.01","group":"param:optimizer","sort":"name","descending":true}}"#,
        )
        .unwrap();
        assert_eq!(config.source, Source::Inline);
        assert_eq!(config.view.filter.as_deref(), Some("lr < 0.01"));
        assert_eq!(config.view.group.as_deref(), Some("param:optimizer"));
        assert_eq!(config.view.metric, None);
        assert!(config.view.descending);
        assert_eq!(
            Config::parse(r#"{"data":"inline"}"#).unwrap().view,
            InitialView::default()
        );
        assert!(Config::parse(r#"{"data":"inline","view":{"colour":"red"}}"#).is_err());
    }
}
