//! Scatter markers on a canvas under a plotly chart's axes, for scatters too large for
//! SVG (plotly styles every SVG marker as its own DOM node: half a second at 10,000
//! runs). plotly still draws the axes, grid, zoom and hover from a trace with
//! `mode: "none"` carrying the same points; this module paints the markers on a canvas
//! placed over the plot area, and paints them again whenever plotly redraws or the axes
//! change (zoom, pan, resize). The chart's "Download plot as a PNG" button is replaced by
//! one that lays the canvas into the figure as an image for the download.

use std::cell::RefCell;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{CanvasRenderingContext2d, Element, HtmlCanvasElement};

use crate::{Error, dom};

/// Radius of a marker in CSS pixels (plotly's marker size 8 is a diameter).
pub const RADIUS: f64 = 4.0;
/// Class of the canvas inside the chart.
const CANVAS_CLASS: &str = "rl-marker-canvas";
/// plotly events after which the markers are painted again.
const REDRAW_ON: [&str; 2] = ["plotly_afterplot", "plotly_relayout"];

#[wasm_bindgen]
extern "C" {
    /// `Plotly.relayout(root, update)`.
    #[wasm_bindgen(catch, js_namespace = Plotly, js_name = relayout)]
    async fn plotly_relayout(root: &Element, update: &JsValue) -> Result<JsValue, JsValue>;

    /// `Plotly.Icons.camera`, the download button's icon.
    #[wasm_bindgen(thread_local_v2, js_namespace = ["Plotly", "Icons"], js_name = camera)]
    static CAMERA: JsValue;
}

/// The markers: a position per point and its colour, grouped by colour (one fill each).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Markers {
    /// CSS colour and the points `(x, y)` in data units drawn in it.
    pub by_colour: Vec<(String, Vec<(f64, f64)>)>,
}

impl Markers {
    /// Groups `points` (x, y, colour slot) by slot, in the order slots first appear;
    /// `colour` names a slot's CSS colour.
    pub fn new(
        points: impl IntoIterator<Item = (f64, f64, usize)>,
        colour: impl Fn(usize) -> String,
    ) -> Markers {
        let mut slots: Vec<usize> = Vec::new();
        let mut lists: Vec<Vec<(f64, f64)>> = Vec::new();
        for (x, y, slot) in points {
            match slots.iter().position(|&s| s == slot) {
                Some(at) => lists[at].push((x, y)),
                None => {
                    slots.push(slot);
                    lists.push(vec![(x, y)]);
                }
            }
        }
        Markers {
            by_colour: slots.into_iter().map(&colour).zip(lists).collect(),
        }
    }

    /// How many markers there are.
    pub fn len(&self) -> usize {
        self.by_colour.iter().map(|(_, points)| points.len()).sum()
    }
}

/// An axis as plotly laid it out: where it starts on the page, its length in pixels, its
/// range (in log10 units on a log axis) and whether it is logarithmic.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AxisScale {
    /// Offset of the plot area along this axis, in CSS pixels.
    pub offset: f64,
    /// Length of the plot area along this axis, in CSS pixels.
    pub length: f64,
    /// The axis range, in plotly's units (log10 of the values on a log axis).
    pub range: (f64, f64),
    /// A log axis.
    pub log: bool,
}

impl AxisScale {
    /// Pixels from the start of the axis (left or bottom) to `value`; `None` for a value a
    /// log axis cannot show (zero, negative) or a non-finite one.
    pub fn pixels_to(self, value: f64) -> Option<f64> {
        let v = if self.log {
            (value > 0.0).then(|| value.log10())?
        } else {
            value
        };
        let span = self.range.1 - self.range.0;
        (v.is_finite() && span != 0.0).then(|| (v - self.range.0) / span * self.length)
    }
}

/// The redraw listener kept alive while a chart shows these markers (one scatter per
/// page).
struct Attached {
    root: Element,
    redraw: Closure<dyn FnMut()>,
}

thread_local! {
    /// The markers now attached to the page's scatter.
    static ATTACHED: RefCell<Option<Attached>> = const { RefCell::new(None) };
    /// The download button's handler, for the page's life: plotly calls it with the chart.
    static DOWNLOAD: Closure<dyn FnMut(Element)> = Closure::new(|root: Element| {
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(error) = download_png(&root).await {
                dom::show_error(&format!("The scatter could not be saved: {error}"));
            }
        });
    });
}

/// Replaces the figure's "Download plot as a PNG" button with one that includes the
/// markers; call on the parsed figure before handing it to plotly.
pub fn prepare_figure(figure: &JsValue) -> Result<(), Error> {
    let config = js_sys::Reflect::get(figure, &"config".into())?;
    let config = if config.is_object() {
        config
    } else {
        let fresh = js_sys::Object::new().into();
        js_sys::Reflect::set(figure, &"config".into(), &fresh)?;
        fresh
    };
    let remove = js_sys::Array::of1(&"toImage".into());
    js_sys::Reflect::set(&config, &"modeBarButtonsToRemove".into(), &remove)?;
    let button = js_sys::Object::new();
    for (key, value) in [
        ("name", JsValue::from_str("rl-download-png")),
        ("title", JsValue::from_str("Download plot as a PNG")),
        ("icon", CAMERA.with(JsValue::clone)),
        ("click", DOWNLOAD.with(|click| click.as_ref().clone())),
    ] {
        js_sys::Reflect::set(&button, &key.into(), &value)?;
    }
    let add = js_sys::Array::of1(&js_sys::Array::of1(&button));
    js_sys::Reflect::set(&config, &"modeBarButtonsToAdd".into(), &add)?;
    Ok(())
}

/// Paints `markers` on a canvas over `root`'s plot area now and after every redraw or
/// change of axes, replacing any markers attached before.
pub fn attach(root: &Element, markers: Markers) -> Result<(), Error> {
    let target = root.clone();
    let redraw = Closure::<dyn FnMut()>::new(move || {
        if let Err(error) = paint(&target, &markers) {
            dom::show_error(&format!(
                "The scatter's markers could not be drawn: {error}"
            ));
        }
    });
    for event in REDRAW_ON {
        call_method(root, "on", &[event.into(), redraw.as_ref().clone()])?;
    }
    let attached = Attached {
        root: root.clone(),
        redraw,
    };
    // Paint once now: the chart has just been drawn.
    let _ = attached
        .redraw
        .as_ref()
        .unchecked_ref::<js_sys::Function>()
        .call0(&JsValue::NULL);
    ATTACHED.with(|slot| {
        if let Some(old) = slot.borrow_mut().replace(attached) {
            detach(&old);
        }
    });
    Ok(())
}

/// Removes the markers' canvas and listeners from the chart `root` (a small scatter drawn
/// as SVG again); markers attached to another chart stay.
pub fn clear(root: &Element) {
    ATTACHED.with(|slot| {
        let mut slot = slot.borrow_mut();
        if slot.as_ref().is_some_and(|attached| attached.root == *root)
            && let Some(old) = slot.take()
        {
            detach(&old);
        }
    });
    if let Ok(Some(canvas)) = root.query_selector(&format!("canvas.{CANVAS_CLASS}")) {
        canvas.remove();
    }
}

fn detach(attached: &Attached) {
    for event in REDRAW_ON {
        let _ = call_method(
            &attached.root,
            "removeListener",
            &[event.into(), attached.redraw.as_ref().clone()],
        );
    }
}

/// Calls `target[name](...args)`.
fn call_method(target: &Element, name: &str, args: &[JsValue]) -> Result<JsValue, Error> {
    let method: js_sys::Function = js_sys::Reflect::get(target, &name.into())?
        .dyn_into()
        .map_err(|_| Error::new(format!("the chart has no `{name}` method")))?;
    let list: js_sys::Array = args.iter().collect();
    Ok(method.apply(target, &list)?)
}

/// Reads a number at `path` under `value`.
fn number(value: &JsValue, path: &[&str]) -> Option<f64> {
    let mut at = value.clone();
    for key in path {
        at = js_sys::Reflect::get(&at, &(*key).into()).ok()?;
    }
    at.as_f64()
}

/// The x and y axes as plotly laid them out in `root`; `None` before the first draw.
fn scales(root: &Element) -> Option<(AxisScale, AxisScale)> {
    let layout = js_sys::Reflect::get(root, &"_fullLayout".into()).ok()?;
    let axis = |name: &str, offset: &str, length: &str| {
        let axis = js_sys::Reflect::get(&layout, &name.into()).ok()?;
        let log = js_sys::Reflect::get(&axis, &"type".into())
            .ok()?
            .as_string()
            .is_some_and(|t| t == "log");
        Some(AxisScale {
            offset: number(&layout, &["_size", offset])?,
            length: number(&layout, &["_size", length])?,
            range: (
                number(&axis, &["range", "0"])?,
                number(&axis, &["range", "1"])?,
            ),
            log,
        })
    };
    Some((axis("xaxis", "l", "w")?, axis("yaxis", "t", "h")?))
}

/// The canvas over `root`'s plot area, made (after plotly's plot layer, under its hover
/// layer) when missing.
fn canvas_in(root: &Element) -> Result<Option<HtmlCanvasElement>, Error> {
    if let Some(canvas) = root.query_selector(&format!("canvas.{CANVAS_CLASS}"))? {
        return Ok(canvas.dyn_into().ok());
    }
    let Some(plot_layer) = root.query_selector(".svg-container > svg.main-svg")? else {
        return Ok(None);
    };
    let canvas: HtmlCanvasElement = dom::document()?
        .create_element("canvas")?
        .dyn_into()
        .map_err(|_| Error::new("a canvas element could not be made"))?;
    canvas.set_class_name(CANVAS_CLASS);
    plot_layer.after_with_node_1(&canvas)?;
    Ok(Some(canvas))
}

/// Paints `markers` over `root`'s plot area for the axes plotly shows now.
fn paint(root: &Element, markers: &Markers) -> Result<(), Error> {
    let (Some((x, y)), Some(canvas)) = (scales(root), canvas_in(root)?) else {
        return Ok(());
    };
    let ratio = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio().max(1.0));
    let style = canvas.style();
    style.set_property("left", &format!("{}px", x.offset))?;
    style.set_property("top", &format!("{}px", y.offset))?;
    style.set_property("width", &format!("{}px", x.length))?;
    style.set_property("height", &format!("{}px", y.length))?;
    canvas.set_width((x.length * ratio).round().max(1.0) as u32);
    canvas.set_height((y.length * ratio).round().max(1.0) as u32);
    canvas.set_attribute("data-markers", &markers.len().to_string())?;
    let Some(context) = canvas
        .get_context("2d")?
        .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
    else {
        return Ok(());
    };
    context.scale(ratio, ratio)?;
    for (colour, points) in &markers.by_colour {
        context.set_fill_style_str(colour);
        context.begin_path();
        for &(px, py) in points {
            let (Some(left), Some(up)) = (x.pixels_to(px), y.pixels_to(py)) else {
                continue;
            };
            let top = y.length - up;
            context.move_to(left + RADIUS, top);
            context.arc(left, top, RADIUS, 0.0, std::f64::consts::TAU)?;
        }
        context.fill();
    }
    Ok(())
}

/// Saves the chart as a PNG with its markers: the canvas is laid into the figure as an
/// image over the plot area for the download, then taken out again.
async fn download_png(root: &Element) -> Result<(), Error> {
    let Some(canvas) = canvas_in(root)? else {
        return Err(Error::new("the chart is not drawn"));
    };
    let image = js_sys::Object::new();
    for (key, value) in [
        ("source", JsValue::from_str(&canvas.to_data_url()?)),
        ("xref", "paper".into()),
        ("yref", "paper".into()),
        ("x", 0.into()),
        ("y", 1.into()),
        ("sizex", 1.into()),
        ("sizey", 1.into()),
        ("xanchor", "left".into()),
        ("yanchor", "top".into()),
        ("sizing", "stretch".into()),
        ("layer", "above".into()),
    ] {
        js_sys::Reflect::set(&image, &key.into(), &value)?;
    }
    let with_image = js_sys::Object::new();
    js_sys::Reflect::set(&with_image, &"images".into(), &js_sys::Array::of1(&image))?;
    plotly_relayout(root, &with_image).await?;
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"format".into(), &"png".into())?;
    js_sys::Reflect::set(&options, &"filename".into(), &"runlens-scatter".into())?;
    let saved = crate::export::plotly_download_image(root, &options).await;
    let without = js_sys::Object::new();
    js_sys::Reflect::set(&without, &"images".into(), &js_sys::Array::new())?;
    plotly_relayout(root, &without).await?;
    saved?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_grouped_by_colour_in_first_seen_order() {
        let markers = Markers::new([(1.0, 2.0, 7), (3.0, 4.0, 2), (5.0, 6.0, 7)], |slot| {
            ["red", "blue"][usize::from(slot == 2)].to_string()
        });
        assert_eq!(
            markers.by_colour,
            vec![
                ("red".to_string(), vec![(1.0, 2.0), (5.0, 6.0)]),
                ("blue".to_string(), vec![(3.0, 4.0)]),
            ]
        );
        assert_eq!(markers.len(), 3);
    }

    #[test]
    fn values_map_to_pixels_on_linear_and_log_axes() {
        let linear = AxisScale {
            offset: 60.0,
            length: 200.0,
            range: (0.0, 10.0),
            log: false,
        };
        assert_eq!(linear.pixels_to(5.0), Some(100.0));
        assert_eq!(linear.pixels_to(f64::NAN), None);
        // A log axis's range is in log10 units: 10^-3 .. 10^-1.
        let log = AxisScale {
            range: (-3.0, -1.0),
            log: true,
            ..linear
        };
        assert!((log.pixels_to(0.01).unwrap() - 100.0).abs() < 1e-9);
        assert_eq!(log.pixels_to(0.0), None);
        assert_eq!(log.pixels_to(-1.0), None);
        let flat = AxisScale {
            range: (1.0, 1.0),
            ..linear
        };
        assert_eq!(flat.pixels_to(1.0), None);
    }
}
