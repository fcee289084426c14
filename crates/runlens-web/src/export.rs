//! Downloads made in the page, with no server: the runs table as CSV (a `Blob` behind a
//! temporary `a[download]` link) and the chart as PNG or SVG (plotly.js's
//! `downloadImage`). Both work from `file://`.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Blob, BlobPropertyBag, Element, HtmlElement, Url};

use crate::Error;
use crate::dom;

#[wasm_bindgen]
extern "C" {
    /// `Plotly.downloadImage(chart, options)`: saves a chart (its element, or a figure
    /// `{data, layout}` plotly draws apart for the image) as an image file.
    #[wasm_bindgen(catch, js_namespace = Plotly, js_name = downloadImage)]
    fn plotly_download_image_call(
        chart: &JsValue,
        options: &JsValue,
    ) -> Result<js_sys::Promise, JsValue>;
}

/// `Plotly.downloadImage(chart, options)`, settled (see [`crate::state::settled`]).
pub(crate) async fn plotly_download_image(
    chart: &JsValue,
    options: &JsValue,
) -> Result<JsValue, JsValue> {
    crate::state::settled(plotly_download_image_call(chart, options)).await
}

/// How long a download's object URL outlives the click, in milliseconds.
const REVOKE_AFTER_MS: i32 = 60_000;

/// Offers `text` as a file named `name` of type `mime`.
pub fn download_text(name: &str, mime: &str, text: &str) -> Result<(), Error> {
    let document = dom::document()?;
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let blob = Blob::new_with_str_sequence_and_options(&parts, &options)?;
    let url = Url::create_object_url_with_blob(&blob)?;
    let link = document.create_element("a")?;
    // The address is the report's own blob, never text from the logs.
    link.set_attribute("href", &url)?;
    link.set_attribute("download", name)?;
    dom::set_hidden(&link, true);
    let body = document
        .body()
        .ok_or_else(|| Error::new("the page has no body"))?;
    body.append_child(&link)?;
    if let Some(link) = link.dyn_ref::<HtmlElement>() {
        link.click();
    }
    link.remove();
    let revoke = Closure::once_into_js(move || {
        let _ = Url::revoke_object_url(&url);
    });
    if let Some(window) = web_sys::window() {
        window.set_timeout_with_callback_and_timeout_and_arguments_0(
            revoke.unchecked_ref(),
            REVOKE_AFTER_MS,
        )?;
    }
    Ok(())
}

/// Saves the chart in `root` as `format` (`png` or `svg`) under a name made from `title`,
/// with the marks painted on its canvas if it has any.
pub async fn chart_image(root: &Element, format: &str, title: &str) -> Result<(), Error> {
    crate::plot_canvas::download(root, format, &file_stem(title)).await
}

/// `runlens-<title>` with every character outside `[A-Za-z0-9._-]` made `_` (the title is
/// a metric key from the logs).
pub fn file_stem(title: &str) -> String {
    let cleaned: String = title
        .chars()
        .take(80)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if cleaned.is_empty() {
        "runlens".to_string()
    } else {
        format!("runlens-{cleaned}")
    }
}

#[cfg(test)]
mod tests {
    use super::file_stem;

    #[test]
    fn file_names_keep_only_safe_characters() {
        assert_eq!(file_stem("val/loss"), "runlens-val_loss");
        assert_eq!(file_stem("../<x>"), "runlens-..__x_");
        assert_eq!(file_stem(""), "runlens");
    }
}
