//! Tiny DOM helpers. Text goes in only through `set_text_content` and attributes through
//! `set_attribute` on non-URL attributes; nothing here parses HTML.

use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlElement};

use crate::Error;
use crate::chart::Theme;

/// The page's document.
pub fn document() -> Result<Document, Error> {
    web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| Error::new("no document: the report must run in a browser page"))
}

/// The element with id `id`, or an error naming it.
pub fn by_id(document: &Document, id: &str) -> Result<Element, Error> {
    document
        .get_element_by_id(id)
        .ok_or_else(|| Error::new(format!("the page has no element #{id}")))
}

/// A new `<tag>` with the given class (none when empty).
pub fn element(document: &Document, tag: &str, class: &str) -> Result<Element, Error> {
    let element = document.create_element(tag)?;
    if !class.is_empty() {
        element.set_class_name(class);
    }
    Ok(element)
}

/// A new `<tag class=…>` holding `text` as a text node.
pub fn text_element(
    document: &Document,
    tag: &str,
    class: &str,
    text: &str,
) -> Result<Element, Error> {
    let element = element(document, tag, class)?;
    element.set_text_content(Some(text));
    Ok(element)
}

/// Appends a new `<tag class=…>` holding `text` to `parent`.
pub fn append_text(
    document: &Document,
    parent: &Element,
    tag: &str,
    class: &str,
    text: &str,
) -> Result<Element, Error> {
    let child = text_element(document, tag, class, text)?;
    parent.append_child(&child)?;
    Ok(child)
}

/// Shows or hides an element with the `hidden` attribute.
pub fn set_hidden(element: &Element, hidden: bool) {
    if let Some(html) = element.dyn_ref::<HtmlElement>() {
        html.set_hidden(hidden);
    } else if hidden {
        // `hidden` is a boolean attribute: any value hides.
        let _ = element.set_attribute("hidden", "");
    } else {
        let _ = element.remove_attribute("hidden");
    }
}

/// Removes every child of `element`.
pub fn clear(element: &Element) {
    element.replace_children_with_node_0();
}

/// Writes `message` (as text) into `#rl-error` and shows it. Falls back to the console when
/// the page has no such element.
pub fn show_error(message: &str) {
    let shown = document()
        .ok()
        .and_then(|d| d.get_element_by_id("rl-error"))
        .map(|box_| {
            box_.set_text_content(Some(message));
            set_hidden(&box_, false);
        });
    if shown.is_none() {
        web_sys::console::error_1(&message.into());
    }
}

/// Hides `#rl-error` again.
pub fn hide_error() {
    if let Some(box_) = document()
        .ok()
        .and_then(|d| d.get_element_by_id("rl-error"))
    {
        box_.set_text_content(None);
        set_hidden(&box_, true);
    }
}

/// The chart theme for the window as it is now: dark when the report's author fixed a dark
/// theme (`data-theme` on the root element) or, with none fixed, when the reader's system
/// asks for a dark page; narrow below 700 CSS pixels.
pub fn chart_theme() -> Theme {
    let window = web_sys::window();
    let fixed = window
        .as_ref()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
        .and_then(|root| root.get_attribute("data-theme"));
    let dark = match fixed.as_deref() {
        Some("dark") => true,
        Some("light") => false,
        _ => window
            .as_ref()
            .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
            .is_some_and(|m| m.matches()),
    };
    let narrow = window
        .and_then(|w| w.inner_width().ok())
        .and_then(|width| width.as_f64())
        .is_some_and(|width| width < 700.0);
    Theme { dark, narrow }
}

/// Settles once the browser has shown the page as it is now: in a task queued from the
/// next animation frame, which runs after that frame's style, layout and paint. Work
/// awaited behind it (a chart after the table it belongs to) does not hold the first frame
/// back. At once when the page has no window; a hidden page shows no frames, so the work
/// waits until the page is shown.
pub async fn after_paint() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let frame = js_sys::Promise::new(&mut |resolve, _| {
        let (later, now) = (window.clone(), resolve.clone());
        let after = wasm_bindgen::closure::Closure::once_into_js(move || {
            if later
                .set_timeout_with_callback(resolve.unchecked_ref())
                .is_err()
            {
                let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
            }
        });
        if window
            .request_animation_frame(after.unchecked_ref())
            .is_err()
        {
            let _ = now.call0(&wasm_bindgen::JsValue::NULL);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(frame).await;
}
