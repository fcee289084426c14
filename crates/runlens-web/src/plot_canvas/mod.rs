//! Marks painted on a canvas under a plotly chart's axes, for charts too large for SVG:
//! plotly makes every SVG marker a styled DOM node (half a second at 10,000 runs) and
//! every line a path it builds, styles and the browser then rasterizes (a smoothing
//! redraw of 100 runs spent most of its time there). plotly still draws the axes, grid,
//! legend, zoom and hover, from traces with `mode: "none"` that carry the same points;
//! this module paints the marks on a canvas placed over the plot area, and paints them
//! again whenever plotly redraws or the axes change (zoom, pan, resize, a legend click).
//!
//! Two kinds of marks: scatter [`markers`] and chart [`lines`] (run lines, group bands).
//! A chart's "Download plot as a PNG" button is replaced by one that keeps the marks: the
//! markers are laid into the figure as an image, the lines drawn by plotly as SVG in a
//! figure of their own.

pub mod lines;
pub mod markers;
pub mod raster;

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{CanvasRenderingContext2d, Element, HtmlCanvasElement};

use crate::{Error, dom};
pub use lines::Lines;
pub use markers::Markers;

/// Class of every mark canvas (positioned over the plot area, lets the mouse through).
const CANVAS_CLASS: &str = "rl-plot-canvas";
/// plotly events after which the marks are painted again: a redraw, a change of axes,
/// and each move of a pan or scroll zoom (plotly updates the axes' ranges as it goes).
const REDRAW_ON: [&str; 3] = ["plotly_afterplot", "plotly_relayout", "plotly_relayouting"];

#[wasm_bindgen]
extern "C" {
    /// `Plotly.Icons.camera`, the download button's icon.
    #[wasm_bindgen(thread_local_v2, js_namespace = ["Plotly", "Icons"], js_name = camera)]
    static CAMERA: JsValue;
}

/// What a chart's canvas shows.
pub enum Paint {
    /// Scatter markers.
    Markers(Markers),
    /// Lines and bands of a metric chart.
    Lines(Lines),
}

impl Paint {
    /// The canvas's own class, beside [`CANVAS_CLASS`].
    fn class(&self) -> &'static str {
        match self {
            Paint::Markers(_) => markers::CANVAS_CLASS,
            Paint::Lines(_) => lines::CANVAS_CLASS,
        }
    }
}

/// An axis as plotly laid it out: where it starts on the page, its length in pixels, its
/// range (in log10 units on a log axis, epoch milliseconds on a date axis) and whether it
/// is logarithmic.
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

/// Farthest a point is painted outside the plot area, in CSS pixels: beyond it a point is
/// moved to it (the segments it ends are off the plot, or nearly vertical on it).
const FAR: f64 = 1e6;

/// The canvas pixel (from the plot area's top left, CSS pixels) of point `(x, y)` on
/// axes `xs`, `ys`; `None` for a point the axes cannot show (a gap, a value a log axis
/// has no place for).
fn canvas_point(xs: AxisScale, ys: AxisScale, x: f64, y: f64) -> Option<(f64, f64)> {
    let left = xs.pixels_to(x)?.clamp(-FAR, FAR);
    let top = (ys.length - ys.pixels_to(y)?).clamp(-FAR, FAR);
    Some((left, top))
}

/// Fills a circle of `radius` CSS pixels at each of `points` (data units on `axes`) that
/// the axes can show, in the context's fill style, as one path.
fn fill_circles(
    context: &CanvasRenderingContext2d,
    (xs, ys): (AxisScale, AxisScale),
    points: impl Iterator<Item = (f64, f64)>,
    radius: f64,
) -> Result<(), Error> {
    context.begin_path();
    for (x, y) in points {
        if let Some((left, top)) = canvas_point(xs, ys, x, y) {
            context.move_to(left + radius, top);
            context.arc(left, top, radius, 0.0, std::f64::consts::TAU)?;
        }
    }
    context.fill();
    Ok(())
}

/// The marks attached to one chart, and the redraw listener kept alive while they are.
struct Attached {
    root: Element,
    paint: Rc<Paint>,
    redraw: Closure<dyn FnMut()>,
}

thread_local! {
    /// The marks attached to the page's charts, one entry per chart.
    static ATTACHED: RefCell<Vec<Attached>> = const { RefCell::new(Vec::new()) };
    /// The download button's handler, for the page's life: plotly calls it with the chart.
    static DOWNLOAD: Closure<dyn FnMut(Element)> = Closure::new(|root: Element| {
        wasm_bindgen_futures::spawn_local(async move {
            let name = match attached_to(&root).as_deref() {
                Some(Paint::Markers(_)) => "runlens-scatter".to_string(),
                // A metric chart: named after its metric, as the page's PNG button does.
                _ => get(&root, &["layout", "yaxis", "title", "text"])
                    .and_then(|t| t.as_string())
                    .map_or_else(|| "runlens-chart".to_string(), |t| crate::export::file_stem(&t)),
            };
            if let Err(error) = download(&root, "png", &name).await {
                dom::show_error(&format!("The chart could not be saved: {error}"));
            }
        });
    });
}

/// Replaces the figure's "Download plot as a PNG" button with one that includes the
/// marks; call on the parsed figure before handing it to plotly.
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

/// Paints `paint` on a canvas over `root`'s plot area now and after every redraw or
/// change of axes, replacing any marks attached to `root` before. Charts taken out of the
/// page meanwhile lose theirs.
pub fn attach(root: &Element, paint: Paint) -> Result<(), Error> {
    let paint = Rc::new(paint);
    let target = root.clone();
    let painted = paint.clone();
    let redraw = Closure::<dyn FnMut()>::new(move || {
        if let Err(error) = paint_now(&target, &painted) {
            dom::show_error(&format!("The chart's marks could not be drawn: {error}"));
        }
    });
    for event in REDRAW_ON {
        call_method(root, "on", &[event.into(), redraw.as_ref().clone()])?;
    }
    // A canvas of the other kind (a scatter small enough for SVG again) goes.
    remove_canvases(root, Some(paint.class()));
    // Paint once now: the chart has just been drawn.
    let _ = redraw
        .as_ref()
        .unchecked_ref::<js_sys::Function>()
        .call0(&JsValue::NULL);
    detach_where(|old| old.root == *root || !old.root.is_connected());
    ATTACHED.with(|slot| {
        slot.borrow_mut().push(Attached {
            root: root.clone(),
            paint,
            redraw,
        });
    });
    Ok(())
}

/// Removes the marks' canvas and listeners from the chart `root` (drawn as SVG again);
/// marks attached to other charts stay.
pub fn clear(root: &Element) {
    detach_where(|old| old.root == *root);
    remove_canvases(root, None);
}

/// Takes the marks for which `gone` holds off their charts (their listeners removed).
fn detach_where(gone: impl Fn(&Attached) -> bool) {
    ATTACHED.with(|slot| {
        slot.borrow_mut().retain(|old| {
            if gone(old) {
                detach(old);
                return false;
            }
            true
        });
    });
}

/// Takes `root`'s mark canvases away, except those of class `keep`.
fn remove_canvases(root: &Element, keep: Option<&str>) {
    let Ok(found) = root.query_selector_all(&format!("canvas.{CANVAS_CLASS}")) else {
        return;
    };
    for index in 0..found.length() {
        if let Some(canvas) = found.item(index).and_then(|n| n.dyn_into::<Element>().ok())
            && !keep.is_some_and(|class| canvas.class_list().contains(class))
        {
            canvas.remove();
        }
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

/// The marks attached to `root`, if any.
fn attached_to(root: &Element) -> Option<Rc<Paint>> {
    ATTACHED.with(|slot| {
        slot.borrow()
            .iter()
            .find(|attached| attached.root == *root)
            .map(|attached| attached.paint.clone())
    })
}

fn paint_now(root: &Element, paint: &Paint) -> Result<(), Error> {
    let Some((x, y)) = scales(root) else {
        return Ok(());
    };
    let Some((canvas, context)) = canvas_in(root, paint, x, y)? else {
        return Ok(());
    };
    match paint {
        Paint::Markers(markers) => markers::paint(&canvas, &context, x, y, markers),
        Paint::Lines(lines) => lines::paint(root, &canvas, &context, x, y, lines),
    }
}

/// Saves the chart `root` as `format` (`png` or `svg`) named `filename`, with its marks
/// when it has any.
pub async fn download(root: &Element, format: &str, filename: &str) -> Result<(), Error> {
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"format".into(), &format.into())?;
    js_sys::Reflect::set(&options, &"filename".into(), &filename.into())?;
    match attached_to(root).as_deref() {
        Some(Paint::Markers(_)) => markers::download(root, &options).await,
        Some(Paint::Lines(lines)) => lines::download(root, lines, &options).await,
        None => {
            crate::export::plotly_download_image(root, &options).await?;
            Ok(())
        }
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

/// The value at `path` under `value`.
fn get(value: &JsValue, path: &[&str]) -> Option<JsValue> {
    let mut at = value.clone();
    for key in path {
        at = js_sys::Reflect::get(&at, &(*key).into()).ok()?;
    }
    Some(at)
}

/// A range end as plotly gives it: a number as it is; a date string (`2024-01-02
/// 03:04:05.6`, UTC as plotly writes it) as epoch milliseconds.
pub(crate) fn range_end(value: &JsValue) -> Option<f64> {
    if let Some(number) = value.as_f64() {
        return Some(number);
    }
    let text = value.as_string()?;
    let iso = format!("{}Z", text.trim().replace(' ', "T"));
    let ms = js_sys::Date::parse(&iso);
    ms.is_finite().then_some(ms)
}

/// The x and y axes as plotly laid them out in `root`; `None` before the first draw.
fn scales(root: &Element) -> Option<(AxisScale, AxisScale)> {
    let layout = js_sys::Reflect::get(root, &"_fullLayout".into()).ok()?;
    let axis = |name: &str, offset: &str, length: &str| {
        let axis = js_sys::Reflect::get(&layout, &name.into()).ok()?;
        let log = get(&axis, &["type"])?
            .as_string()
            .is_some_and(|t| t == "log");
        Some(AxisScale {
            offset: get(&layout, &["_size", offset])?.as_f64()?,
            length: get(&layout, &["_size", length])?.as_f64()?,
            range: (
                range_end(&get(&axis, &["range", "0"])?)?,
                range_end(&get(&axis, &["range", "1"])?)?,
            ),
            log,
        })
    };
    Some((axis("xaxis", "l", "w")?, axis("yaxis", "t", "h")?))
}

/// The canvas for `paint` over `root`'s plot area (made after plotly's plot layer, under
/// its hover layer, when missing) and its context, sized to the plot area of axes `x`
/// and `y` and scaled to CSS pixels (cleared); `None` before plotly drew.
fn canvas_in(
    root: &Element,
    paint: &Paint,
    x: AxisScale,
    y: AxisScale,
) -> Result<Option<(HtmlCanvasElement, CanvasRenderingContext2d)>, Error> {
    let class = paint.class();
    let canvas: HtmlCanvasElement = match root.query_selector(&format!("canvas.{class}"))? {
        Some(canvas) => canvas
            .dyn_into()
            .map_err(|_| Error::new("the chart's canvas is not a canvas"))?,
        None => {
            let Some(plot_layer) = root.query_selector(".svg-container > svg.main-svg")? else {
                return Ok(None);
            };
            let canvas: HtmlCanvasElement =
                dom::document()?
                    .create_element("canvas")?
                    .dyn_into()
                    .map_err(|_| Error::new("a canvas element could not be made"))?;
            canvas.set_class_name(&format!("{CANVAS_CLASS} {class}"));
            // The marks' values are in plotly's hover and the table; the canvas is a picture.
            canvas.set_attribute("aria-hidden", "true")?;
            plot_layer.after_with_node_1(&canvas)?;
            canvas
        }
    };
    let ratio = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio().max(1.0));
    let style = canvas.style();
    style.set_property("left", &format!("{}px", x.offset))?;
    style.set_property("top", &format!("{}px", y.offset))?;
    style.set_property("width", &format!("{}px", x.length))?;
    style.set_property("height", &format!("{}px", y.length))?;
    // Setting the size clears the canvas (also when it is unchanged).
    canvas.set_width((x.length * ratio).round().max(1.0) as u32);
    canvas.set_height((y.length * ratio).round().max(1.0) as u32);
    let Some(context) = canvas
        .get_context("2d")?
        .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
    else {
        return Ok(None);
    };
    context.scale(ratio, ratio)?;
    Ok(Some((canvas, context)))
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn points_map_to_canvas_pixels_from_the_top_left() {
        let xs = AxisScale {
            offset: 60.0,
            length: 200.0,
            range: (0.0, 10.0),
            log: false,
        };
        let ys = AxisScale {
            offset: 36.0,
            length: 100.0,
            range: (0.0, 1.0),
            log: false,
        };
        assert_eq!(canvas_point(xs, ys, 5.0, 0.25), Some((100.0, 75.0)));
        assert_eq!(canvas_point(xs, ys, 5.0, f64::NAN), None);
        // A value far off the plot (an outlier outside an outlier-proof range) is moved
        // to the edge of what is painted.
        assert_eq!(canvas_point(xs, ys, 5.0, 1e300), Some((100.0, -FAR)));
    }
}
