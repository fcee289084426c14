//! A metric chart's lines and bands on the plot canvas, once the chart holds more than
//! [`CANVAS_POINTS`] points. The figure is built as for SVG; [`take_over`] then keeps each
//! trace's look and points here and leaves plotly the same trace with `mode: "none"` (no
//! path, no fill: plotly still computes the axes from its points and answers hover with
//! them). A trace in the legend gets a twin without a drawn point that shows its line in the
//! legend; both share a legend group, so a click on the entry hides the line as before
//! (the canvas paints only visible traces).
//!
//! Downloads (PNG, SVG) hand plotly the figure as built, its lines as SVG paths, so an SVG
//! stays vector.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{CanvasRenderingContext2d, Element, HtmlCanvasElement};

use super::{AxisScale, canvas_point, fill_circles, get};
use crate::Error;
use crate::chart::Columns;

/// Class of the lines' canvas.
pub(super) const CANVAS_CLASS: &str = "rl-line-canvas";
/// Points over all of a chart's traces above which its lines are painted on a canvas;
/// plotly draws fewer as SVG (crisper when printed, and as fast).
pub const CANVAS_POINTS: usize = 4_000;
/// Points of a trace above which its line is painted at most 1 px wide. A software
/// rasterizer (Chromium without a GPU) strokes a wider line through a slower path: a
/// smoothing redraw of 100 runs painted in 190–350 ms at 1.5 px against 100–115 ms at 1 px
/// (docs/benchmarks.md).
const WIDE_POINTS: usize = 1_000;
/// Radius of plotly's default marker (size 6), for a line of one point.
const MARKER_RADIUS: f64 = 3.0;

/// How a trace's line is stroked.
#[derive(Debug, Clone, PartialEq)]
struct Stroke {
    colour: String,
    width: f64,
    /// Dash pattern in CSS pixels (empty: solid), as plotly draws `dash` and `dot`.
    dash: Vec<f64>,
}

/// One trace as painted.
#[derive(Debug, Clone, PartialEq)]
struct Trace {
    /// Its index among the figure's traces.
    index: u32,
    x: Vec<f64>,
    y: Vec<f64>,
    /// `None`: no line (a band's edge).
    stroke: Option<Stroke>,
    /// Fill colour of the area between this trace and the one before (`fill: "tonexty"`).
    fill: Option<String>,
    /// Colour of a marker on each point (a line of one point).
    markers: Option<String>,
}

/// A chart's lines as painted on its canvas.
pub struct Lines {
    traces: Vec<Trace>,
    /// The figure's traces as built (lines as SVG paths, points shared), for downloads.
    svg_traces: js_sys::Array,
}

/// Reads a string attribute.
fn text(value: &JsValue, path: &[&str]) -> Option<String> {
    get(value, path)?.as_string()
}

/// plotly's dash pattern for `dash` on a line `width` px wide (`drawing.dashStyle`).
fn dash_pattern(dash: Option<&str>, width: f64) -> Vec<f64> {
    let unit = width.max(3.0);
    match dash {
        Some("dot") => vec![unit, unit],
        Some("dash") => vec![3.0 * unit, 3.0 * unit],
        Some("longdash") => vec![5.0 * unit, 5.0 * unit],
        _ => Vec::new(),
    }
}

/// Takes the drawing of `figure`'s traces over (see the module doc) when its `columns`
/// hold more than [`CANVAS_POINTS`] points: each trace's look and points are kept, and the
/// trace is left to plotly without marks. `None` (the figure untouched) for fewer points.
pub fn take_over(figure: &JsValue, columns: &[Columns]) -> Result<Option<Lines>, Error> {
    let points: usize = columns.iter().map(|c| c.x.len()).sum();
    if points <= CANVAS_POINTS {
        return Ok(None);
    }
    let data: js_sys::Array = get(figure, &["data"])
        .and_then(|d| d.dyn_into().ok())
        .ok_or_else(|| Error::new("the figure has no traces"))?;
    let legend = get(figure, &["layout", "showlegend"]).is_some_and(|v| v.is_truthy());
    let svg_traces = js_sys::Array::new();
    let mut traces = Vec::with_capacity(columns.len());
    let mut twins = Vec::new();
    for (index, columns) in columns.iter().enumerate() {
        let trace = data.get(index as u32);
        if !trace.is_object() {
            return Err(Error::new(
                "the figure has fewer traces than columns of points",
            ));
        }
        svg_traces.push(&js_sys::Object::assign(
            &js_sys::Object::new(),
            trace.unchecked_ref(),
        ));
        let mode = text(&trace, &["mode"]).unwrap_or_else(|| "lines".to_string());
        let colour = text(&trace, &["line", "color"]).unwrap_or_else(|| "#888".to_string());
        let width = get(&trace, &["line", "width"])
            .and_then(|w| w.as_f64())
            .unwrap_or(2.0);
        let stroke = (mode.contains("lines") && width > 0.0).then(|| Stroke {
            dash: dash_pattern(text(&trace, &["line", "dash"]).as_deref(), width),
            colour: colour.clone(),
            width,
        });
        let fill = (text(&trace, &["fill"]).as_deref() == Some("tonexty"))
            .then(|| text(&trace, &["fillcolor"]))
            .flatten();
        traces.push(Trace {
            index: index as u32,
            x: columns.x.clone(),
            y: columns.y.clone(),
            stroke,
            fill,
            markers: mode.contains("markers").then_some(colour),
        });
        let set = |key: &str, value: &JsValue| js_sys::Reflect::set(&trace, &key.into(), value);
        set("mode", &"none".into())?;
        set("fill", &"none".into())?;
        let in_legend =
            get(&trace, &["showlegend"]).is_none_or(|v| v.is_undefined() || v.is_truthy());
        if legend && in_legend {
            let group =
                text(&trace, &["legendgroup"]).unwrap_or_else(|| format!("rl-line-{index}"));
            set("legendgroup", &group.clone().into())?;
            set("showlegend", &false.into())?;
            twins.push(legend_twin(&trace, &mode, &group)?);
        }
    }
    for twin in twins {
        data.push(&twin);
    }
    Ok(Some(Lines { traces, svg_traces }))
}

/// A trace without a drawn point that shows `trace`'s line (and name) in the legend, in legend
/// group `group`.
fn legend_twin(trace: &JsValue, mode: &str, group: &str) -> Result<JsValue, Error> {
    let twin = js_sys::Object::new();
    for key in ["type", "name", "line"] {
        if let Some(value) = get(trace, &[key]) {
            js_sys::Reflect::set(&twin, &key.into(), &value)?;
        }
    }
    for (key, value) in [
        ("mode", JsValue::from_str(mode)),
        // One point without a value: plotly leaves a trace without points out of the
        // legend, and draws none of this one.
        ("x", js_sys::Array::of1(&JsValue::NULL).into()),
        ("y", js_sys::Array::of1(&JsValue::NULL).into()),
        ("legendgroup", group.into()),
        ("hoverinfo", "skip".into()),
    ] {
        js_sys::Reflect::set(&twin, &key.into(), &value)?;
    }
    Ok(twin.into())
}

/// Whether plotly shows trace `index` of `data` (a legend click sets `"legendonly"`).
fn visible(data: &JsValue, index: u32) -> bool {
    js_sys::Reflect::get_u32(data, index)
        .ok()
        .and_then(|trace| get(&trace, &["visible"]))
        .is_none_or(|v| v.is_undefined() || v.as_bool() == Some(true))
}

/// Adds `trace`'s points to the context's path as lines, lifting the pen at each gap;
/// `reverse` walks them backwards, `joined` continues the path instead of moving to the
/// first point.
fn trace_path(
    context: &CanvasRenderingContext2d,
    (xs, ys): (AxisScale, AxisScale),
    trace: &Trace,
    reverse: bool,
    mut joined: bool,
) {
    let points = trace.x.iter().zip(&trace.y);
    let mut step = |(&x, &y): (&f64, &f64)| match canvas_point(xs, ys, x, y) {
        Some((left, top)) if joined => context.line_to(left, top),
        Some((left, top)) => {
            context.move_to(left, top);
            joined = true;
        }
        None => joined = false,
    };
    if reverse {
        points.rev().for_each(&mut step);
    } else {
        points.for_each(&mut step);
    }
}

/// Paints `lines` on `canvas` (its `context` in CSS pixels of the plot area of axes `x`
/// and `y`), skipping the traces plotly hides in `root`.
pub(super) fn paint(
    root: &Element,
    canvas: &HtmlCanvasElement,
    context: &CanvasRenderingContext2d,
    x: AxisScale,
    y: AxisScale,
    lines: &Lines,
) -> Result<(), Error> {
    let data = get(root, &["data"]).unwrap_or(JsValue::UNDEFINED);
    let shown: Vec<bool> = lines
        .traces
        .iter()
        .map(|trace| visible(&data, trace.index))
        .collect();
    // Bands first, lines over all of them: a group's line stays clear of the next
    // group's band.
    for (at, trace) in lines.traces.iter().enumerate() {
        let before = at
            .checked_sub(1)
            .filter(|&b| shown[b] && lines.traces[b].index + 1 == trace.index);
        if let (true, Some(fill), Some(before)) = (shown[at], &trace.fill, before) {
            // plotly's `tonexty`: this trace's points, then the previous trace's backwards.
            context.begin_path();
            trace_path(context, (x, y), trace, false, false);
            trace_path(context, (x, y), &lines.traces[before], true, true);
            context.close_path();
            context.set_fill_style_str(fill);
            context.fill();
        }
    }
    let mut painted = 0;
    for (trace, _) in lines.traces.iter().zip(&shown).filter(|(_, shown)| **shown) {
        painted += 1;
        if let Some(stroke) = &trace.stroke {
            context.begin_path();
            trace_path(context, (x, y), trace, false, false);
            context.set_stroke_style_str(&stroke.colour);
            context.set_line_width(if trace.x.len() > WIDE_POINTS {
                stroke.width.min(1.0)
            } else {
                stroke.width
            });
            let dash: js_sys::Array = stroke.dash.iter().map(|&d| JsValue::from(d)).collect();
            context.set_line_dash(&dash)?;
            context.stroke();
        }
        if let Some(colour) = &trace.markers {
            context.set_fill_style_str(colour);
            let points = trace.x.iter().copied().zip(trace.y.iter().copied());
            fill_circles(context, (x, y), points, MARKER_RADIUS)?;
        }
    }
    canvas.set_attribute("data-traces", &painted.to_string())?;
    Ok(())
}

/// Saves the chart per `options` (plotly's `downloadImage` options) as plotly draws its
/// figure with the lines as SVG paths, at the axes' current ranges; the chart itself is
/// left as it is.
pub(super) async fn download(
    root: &Element,
    lines: &Lines,
    options: &JsValue,
) -> Result<(), Error> {
    let layout = get(root, &["layout"]).ok_or_else(|| Error::new("the chart is not drawn"))?;
    // A copy: plotly writes ranges back into the layout it draws.
    let layout = js_sys::JSON::parse(&String::from(js_sys::JSON::stringify(&layout)?))?;
    let figure = js_sys::Object::new();
    let data: js_sys::Array = lines
        .svg_traces
        .iter()
        .map(|trace| {
            JsValue::from(js_sys::Object::assign(
                &js_sys::Object::new(),
                trace.unchecked_ref(),
            ))
        })
        .collect();
    // Legend clicks hid some lines: so does the image.
    let shown = get(root, &["data"]).unwrap_or(JsValue::UNDEFINED);
    for trace in &lines.traces {
        if let Some(visible) = js_sys::Reflect::get_u32(&shown, trace.index)
            .ok()
            .and_then(|t| get(&t, &["visible"]))
            .filter(|v| !v.is_undefined())
        {
            js_sys::Reflect::set(&data.get(trace.index), &"visible".into(), &visible)?;
        }
    }
    js_sys::Reflect::set(&figure, &"data".into(), &data)?;
    js_sys::Reflect::set(&figure, &"layout".into(), &layout)?;
    crate::export::plotly_download_image(&figure, options).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dashes_follow_plotly() {
        assert!(dash_pattern(None, 1.5).is_empty());
        assert!(dash_pattern(Some("solid"), 1.5).is_empty());
        assert_eq!(dash_pattern(Some("dot"), 1.5), vec![3.0, 3.0]);
        assert_eq!(dash_pattern(Some("dash"), 1.5), vec![9.0, 9.0]);
        assert_eq!(dash_pattern(Some("dash"), 4.0), vec![12.0, 12.0]);
    }
}
