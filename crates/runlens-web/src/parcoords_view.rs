//! Parallel coordinates in SVG (`#rl-hp-parcoords`): an axis per column, a line per run
//! in its chart colour, runs outside the brushes faint and grey, and a transparent hit
//! strip on each axis where dragging sets a brush (see `controls`). Every text (labels,
//! ticks) is a text node; every attribute a number or one of our constants.

use web_sys::{Document, Element};

use crate::view::Cells;
use crate::view::parcoords::{Axis, Brush, line};
use crate::{Error, dom, format};

const SVG: &str = "http://www.w3.org/2000/svg";
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

/// Draws the chart into `root`: `rows` are the runs drawn (at most [`MAX_LINES`]);
/// `colour(row)` is the line colour of a run that passes every brush, `None` for one
/// outside them (drawn faint).
pub fn render(
    document: &Document,
    root: &Element,
    table: Cells<'_>,
    axes: &[Axis],
    rows: &[usize],
    brushes: &[Brush],
    colour: impl Fn(usize) -> Option<String>,
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
    let lines = svg(document, "g", "rl-pc-lines")?;
    // Runs outside the brushes first, so the kept ones are drawn over them.
    let (kept, out): (Vec<usize>, Vec<usize>) =
        drawn.iter().partition(|&&row| colour(row).is_some());
    chart.set_attribute("data-kept", &kept.len().to_string())?;
    for (group, is_kept) in [(&out, false), (&kept, true)] {
        for &row in group.iter() {
            let heights = line(table, axes, row);
            let mut d = String::new();
            let mut pen_down = false;
            for (i, h) in heights.iter().enumerate() {
                match h {
                    Some(p) => {
                        d.push_str(if pen_down { " L" } else { " M" });
                        d.push_str(&format!("{:.1} {:.1}", axis_x(i), y_of(*p)));
                        pen_down = true;
                    }
                    None => pen_down = false,
                }
            }
            if d.is_empty() {
                continue;
            }
            let path = svg(
                document,
                "path",
                if is_kept {
                    "rl-pc-line"
                } else {
                    "rl-pc-line rl-pc-out"
                },
            )?;
            path.set_attribute("d", d.trim_start())?;
            // An attribute value, never markup.
            path.set_attribute("data-run-id", &table.ids[row])?;
            if let Some(stroke) = colour(row) {
                path.set_attribute("stroke", &stroke)?;
            }
            lines.append_child(&path)?;
        }
    }
    chart.append_child(&lines)?;
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
    root.append_child(&chart)?;
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
}
