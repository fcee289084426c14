//! Scatter markers on the plot canvas (the hyperparameter scatter above 1,000 runs), and
//! their PNG download: the canvas laid into the figure as an image over the plot area.

use wasm_bindgen::prelude::*;
use web_sys::{CanvasRenderingContext2d, Element, HtmlCanvasElement};

use super::{AxisScale, fill_circles};
use crate::Error;
use crate::state::plotly_relayout;

/// Radius of a marker in CSS pixels (plotly's marker size 8 is a diameter).
pub const RADIUS: f64 = 4.0;
/// Class of the markers' canvas.
pub(super) const CANVAS_CLASS: &str = "rl-marker-canvas";

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

/// Paints `markers` on `canvas` (its `context` in CSS pixels of the plot area of axes
/// `x` and `y`).
pub(super) fn paint(
    canvas: &HtmlCanvasElement,
    context: &CanvasRenderingContext2d,
    x: AxisScale,
    y: AxisScale,
    markers: &Markers,
) -> Result<(), Error> {
    canvas.set_attribute("data-markers", &markers.len().to_string())?;
    for (colour, points) in &markers.by_colour {
        context.set_fill_style_str(colour);
        fill_circles(context, (x, y), points.iter().copied(), RADIUS)?;
    }
    Ok(())
}

/// Saves the chart with its markers per `options` (plotly's `downloadImage` options): the
/// canvas is laid into the figure as an image over the plot area for the download, then
/// taken out again.
pub(super) async fn download(root: &Element, options: &JsValue) -> Result<(), Error> {
    let Some(canvas) = root.query_selector(&format!("canvas.{CANVAS_CLASS}"))? else {
        return Err(Error::new("the chart is not drawn"));
    };
    let canvas: HtmlCanvasElement = wasm_bindgen::JsCast::dyn_into(canvas)
        .map_err(|_| Error::new("the chart's canvas is not a canvas"))?;
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
    let saved = crate::export::plotly_download_image(root, options).await;
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
}
