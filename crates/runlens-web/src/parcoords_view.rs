//! Parallel coordinates (`#rl-hp-parcoords`): an SVG with an axis per column and a
//! transparent hit strip on each axis where dragging sets a brush (see `controls`), over
//! a canvas exactly under it (both fill one box whose shape is the SVG's viewBox) with a
//! line per run in its chart colour, runs outside the brushes faint and grey. Thousands of lines
//! as SVG paths cost a DOM node, a formatted path string and a style each; on the canvas
//! they are a few microseconds of drawing. Every text (labels, ticks) is a text node;
//! every attribute a number or one of our constants.

use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, Document, Element, HtmlCanvasElement};

use crate::view::Cells;
use crate::view::parcoords::{Axis, Brush, line};
use crate::{Error, dom, format};

const SVG: &str = "http://www.w3.org/2000/svg";
/// Tallest the chart is drawn, in CSS pixels (its box is narrowed to keep it so).
const MAX_HEIGHT: f64 = 420.0;
/// Most canvas pixels per chart unit (sharp when the chart is drawn up to twice its
/// viewBox).
const PIXELS_PER_UNIT: f64 = 2.0;
/// Widest the canvas is, in pixels: a chart of many axes is wider than any screen shows
/// it, and every pixel of the canvas is painted and scaled down in each frame.
const MAX_CANVAS_WIDTH: f64 = 2560.0;
/// Opacity of a kept run's line (over its colour's own alpha).
const KEPT_OPACITY: f64 = 0.7;
/// Opacity of a line outside the brushes.
const OUT_OPACITY: f64 = 0.6;
/// Horizontal distance between axes.
const SPACING: f64 = 150.0;
/// Left and right margin.
const SIDE: f64 = 70.0;
/// Where the axes start (room for labels above).
pub const TOP: f64 = 44.0;
/// Axis length.
pub const LENGTH: f64 = 260.0;
/// Room below the axes.
const BOTTOM: f64 = 30.0;
/// The page's `--border` colour (light, dark): lines outside the brushes are drawn in it,
/// on a canvas, which cannot take a CSS variable (a test holds these to the stylesheets).
const BORDER: (&str, &str) = ("#dde1e7", "#343a44");

/// The colour of the lines outside the brushes, in the dark or light theme.
pub fn out_colour(dark: bool) -> &'static str {
    if dark { BORDER.1 } else { BORDER.0 }
}

/// Most run lines drawn (evenly chosen beyond that).
pub const MAX_LINES: usize = 2000;

fn svg(document: &Document, tag: &str, class: &str) -> Result<Element, Error> {
    let element = document.create_element_ns(Some(SVG), tag)?;
    if !class.is_empty() {
        element.set_attribute("class", class)?;
    }
    Ok(element)
}

fn text(document: &Document, class: &str, x: f64, y: f64, content: &str) -> Result<Element, Error> {
    let t = svg(document, "text", class)?;
    t.set_attribute("x", &format!("{x:.1}"))?;
    t.set_attribute("y", &format!("{y:.1}"))?;
    t.set_attribute("text-anchor", "middle")?;
    t.append_child(&document.create_text_node(content))?;
    Ok(t)
}

/// The x of axis `index`.
fn axis_x(index: usize) -> f64 {
    SIDE + index as f64 * SPACING
}

/// Height on the page of axis position `p` (0 at the bottom, 1 at the top).
fn y_of(p: f64) -> f64 {
    TOP + (1.0 - p) * LENGTH
}

/// Strokes one run's line through its `heights` on the axes (0 to 1; a gap where the
/// run has no value).
fn stroke_line(context: &CanvasRenderingContext2d, heights: &[Option<f64>]) {
    context.begin_path();
    let mut pen_down = false;
    for (i, height) in heights.iter().enumerate() {
        match height {
            Some(p) if pen_down => context.line_to(axis_x(i), y_of(*p)),
            Some(p) => {
                context.move_to(axis_x(i), y_of(*p));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    context.stroke();
}

/// Draws the chart into `root`: `rows` are the runs drawn (at most [`MAX_LINES`]);
/// `colour(row)` is the line colour of a run that passes every brush, `None` for one
/// outside them (drawn faint in `out_colour`).
#[allow(
    clippy::too_many_arguments,
    reason = "the chart's inputs, each used once"
)]
pub fn render(
    document: &Document,
    root: &Element,
    table: Cells<'_>,
    axes: &[Axis],
    rows: &[usize],
    brushes: &[Brush],
    colour: impl Fn(usize) -> Option<String>,
    out_colour: &str,
) -> Result<(), Error> {
    dom::clear(root);
    if axes.len() < 2 {
        dom::append_text(
            document,
            root,
            "p",
            "rl-note",
            "Parallel coordinates need two numeric columns with values.",
        )?;
        return Ok(());
    }
    let width = 2.0 * SIDE + (axes.len() - 1) as f64 * SPACING;
    let height = TOP + LENGTH + BOTTOM;
    let chart = svg(document, "svg", "rl-parcoords")?;
    chart.set_attribute("viewBox", &format!("0 0 {width} {height}"))?;
    chart.set_attribute("role", "img")?;
    let stride = rows.len().div_ceil(MAX_LINES).max(1);
    let drawn: Vec<usize> = rows.iter().copied().step_by(stride).collect();
    chart.set_attribute(
        "aria-label",
        &format!(
            "Parallel coordinates of {} over {} axes",
            format::count_of(drawn.len(), "run"),
            axes.len()
        ),
    )?;
    chart.set_attribute("data-lines", &drawn.len().to_string())?;
    // Runs outside the brushes first, so the kept ones are drawn over them.
    let (kept, out): (Vec<usize>, Vec<usize>) =
        drawn.iter().partition(|&&row| colour(row).is_some());
    chart.set_attribute("data-kept", &kept.len().to_string())?;
    // The box takes the viewBox's shape (the SVG's height follows its width), so the
    // canvas filling the box lies exactly under the SVG's chart units.
    let frame = dom::element(document, "div", "rl-pc-box")?;
    frame
        .dyn_ref::<web_sys::HtmlElement>()
        .ok_or_else(|| Error::new("the chart box is not an HTML element"))?
        .style()
        .set_property(
            "max-width",
            &format!("{:.0}px", MAX_HEIGHT * width / height),
        )?;
    let canvas: HtmlCanvasElement = document
        .create_element("canvas")?
        .dyn_into()
        .map_err(|_| Error::new("a canvas element could not be made"))?;
    canvas.set_class_name("rl-pc-canvas");
    // No wider than the chart can be shown: the box is at most MAX_HEIGHT tall and never
    // wider than the window (a canvas twice the width it is shown at costs twice the
    // rasterizing for nothing).
    let (window_width, ratio) = web_sys::window().map_or((f64::INFINITY, 1.0), |w| {
        let inner = w.inner_width().ok().and_then(|v| v.as_f64());
        (
            inner.unwrap_or(f64::INFINITY),
            w.device_pixel_ratio().max(1.0),
        )
    });
    let shown = window_width.min(MAX_HEIGHT * width / height) * ratio;
    let scale = PIXELS_PER_UNIT.min(MAX_CANVAS_WIDTH.min(shown) / width);
    canvas.set_width((width * scale).round() as u32);
    canvas.set_height((height * scale).round() as u32);
    frame.append_child(&canvas)?;
    if let Some(context) = canvas
        .get_context("2d")?
        .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
    {
        context.scale(scale, scale)?;
        // One canvas pixel wide: software rasterizers (Chromium without a GPU) draw such
        // hairlines several times faster than a thicker antialiased stroke (2,000 lines
        // over 20 axes: 70 ms against 490 ms).
        context.set_line_width(1.0 / scale);
        context.set_line_join("round");
        context.set_global_alpha(OUT_OPACITY);
        context.set_stroke_style_str(out_colour);
        for &row in &out {
            stroke_line(&context, &line(table, axes, row));
        }
        context.set_global_alpha(KEPT_OPACITY);
        for &row in &kept {
            if let Some(stroke) = colour(row) {
                context.set_stroke_style_str(&stroke);
                stroke_line(&context, &line(table, axes, row));
            }
        }
    }
    for (i, axis) in axes.iter().enumerate() {
        let x = axis_x(i);
        let g = svg(document, "g", "rl-pc-axis")?;
        let rule = svg(document, "line", "rl-pc-rule")?;
        for (name, value) in [("x1", x), ("x2", x), ("y1", TOP), ("y2", TOP + LENGTH)] {
            rule.set_attribute(name, &format!("{value:.1}"))?;
        }
        g.append_child(&rule)?;
        let label = match &axis.column.detail {
            Some(detail) => format!("{} ({detail})", format::isolate(&axis.column.label)),
            None => axis.column.label.clone(),
        };
        for (class, y, content) in [
            ("rl-pc-label", TOP - 24.0, format::truncate(&label, 24)),
            ("rl-pc-tick", TOP - 8.0, format::number(axis.max)),
            ("rl-pc-tick", TOP + LENGTH + 16.0, format::number(axis.min)),
        ] {
            let caption = text(document, class, x, y, &content)?;
            g.append_child(&caption)?;
        }
        if let Some(brush) = brushes.iter().find(|b| b.column == axis.column.id) {
            let (top, bottom) = (
                y_of(axis.position(brush.high).clamp(0.0, 1.0)),
                y_of(axis.position(brush.low).clamp(0.0, 1.0)),
            );
            let rect = svg(document, "rect", "rl-pc-brush")?;
            for (name, value) in [
                ("x", x - 8.0),
                ("width", 16.0),
                ("y", top),
                ("height", (bottom - top).max(2.0)),
            ] {
                rect.set_attribute(name, &format!("{value:.1}"))?;
            }
            g.append_child(&rect)?;
        }
        let hit = svg(document, "rect", "rl-pc-hit")?;
        for (name, value) in [
            ("x", x - 14.0),
            ("width", 28.0),
            ("y", TOP),
            ("height", LENGTH),
        ] {
            hit.set_attribute(name, &format!("{value:.1}"))?;
        }
        hit.set_attribute("data-column", &axis.column.id)?;
        hit.set_attribute("data-min", &axis.min.to_string())?;
        hit.set_attribute("data-max", &axis.max.to_string())?;
        g.append_child(&hit)?;
        chart.append_child(&g)?;
    }
    frame.append_child(&chart)?;
    root.append_child(&frame)?;
    Ok(())
}

/// Chart units near an axis end that reach the end: a drag started at the edge of the
/// axis takes in its smallest or largest value.
const SNAP: f64 = 6.0;

/// The value range a drag from `y0` to `y1` (in the chart's units) covers on an axis
/// spanning `min` to `max`; `None` for a click (a drag under 3 units), which clears.
pub fn drag_range(y0: f64, y1: f64, min: f64, max: f64) -> Option<(f64, f64)> {
    if (y1 - y0).abs() < 3.0 {
        return None;
    }
    let value = |y: f64| {
        let p = (1.0 - (y - TOP) / LENGTH).clamp(0.0, 1.0);
        if p * LENGTH < SNAP {
            min
        } else if (1.0 - p) * LENGTH < SNAP {
            max
        } else {
            min + p * (max - min)
        }
    };
    let (a, b) = (value(y0), value(y1));
    Some((a.min(b), a.max(b)))
}

/// Chart units per page pixel, for an axis drawn `rendered_length` pixels long.
pub fn units_per_pixel(rendered_length: f64) -> f64 {
    if rendered_length > 0.0 {
        LENGTH / rendered_length
    } else {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drag_maps_to_the_value_range_and_a_click_clears() {
        // From the top of the axis to its middle: the upper half of the values.
        assert_eq!(
            drag_range(TOP, TOP + LENGTH / 2.0, 0.0, 10.0),
            Some((5.0, 10.0))
        );
        // Upwards past the end is clamped.
        assert_eq!(
            drag_range(TOP + LENGTH + 50.0, TOP + LENGTH / 2.0, 0.0, 10.0),
            Some((0.0, 5.0))
        );
        assert_eq!(drag_range(100.0, 101.0, 0.0, 10.0), None);
        // A drag starting a pixel inside the top still takes in the largest value.
        assert_eq!(
            drag_range(TOP + 1.0, TOP + LENGTH / 2.0, 0.0, 10.0),
            Some((5.0, 10.0))
        );
        assert!((units_per_pixel(LENGTH) - 1.0).abs() < 1e-12);
        assert!((units_per_pixel(LENGTH / 2.0) - 2.0).abs() < 1e-12);
    }

    /// The value of custom property `name` in a stylesheet (`--name: value;`).
    fn custom_property<'a>(css: &'a str, name: &str) -> Option<&'a str> {
        let at = css.find(&format!("{name}:"))? + name.len() + 1;
        Some(css[at..].split(';').next()?.trim())
    }

    #[test]
    fn the_faint_line_colour_is_the_stylesheets_border_colour() {
        let light = include_str!("../../../www/style.css");
        let dark = include_str!("../../../www/dark.css");
        assert_eq!(
            custom_property(light, "--border"),
            Some(super::out_colour(false))
        );
        assert_eq!(
            custom_property(dark, "--border"),
            Some(super::out_colour(true))
        );
    }
}
