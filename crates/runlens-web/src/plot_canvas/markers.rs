//! Scatter markers on the plot canvas (the hyperparameter scatter above 1,000 runs), and
//! their PNG download: the canvas laid into the figure as an image over the plot area.

use wasm_bindgen::prelude::*;
use web_sys::{CanvasRenderingContext2d, Element, HtmlCanvasElement};

use super::raster::{Raster, Rgba};
use super::{AxisScale, canvas_point};
use crate::Error;
use crate::state::plotly_relayout;

/// Radius of a marker in CSS pixels (plotly's marker size 8 is a diameter).
pub const RADIUS: f64 = 4.0;
/// Class of the markers' canvas.
pub(super) const CANVAS_CLASS: &str = "rl-marker-canvas";

/// The markers: a position per point and its colour, grouped by colour.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Markers {
    /// A colour and the points `(x, y)` in data units drawn in it.
    pub by_colour: Vec<(Rgba, Vec<(f64, f64)>)>,
}

impl Markers {
    /// Groups `points` (x, y, colour slot) by slot, in the order slots first appear;
    /// `colour` gives a slot's colour.
    pub fn new(
        points: impl IntoIterator<Item = (f64, f64, usize)>,
        colour: impl Fn(usize) -> Rgba,
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

/// Paints `markers` on `canvas` (the plot area of axes `x` and `y`, CSS pixels scaled
/// to the canvas's own): drawn into a [`Raster`] of the canvas's size, then put in whole.
pub(super) fn paint(
    canvas: &HtmlCanvasElement,
    context: &CanvasRenderingContext2d,
    x: AxisScale,
    y: AxisScale,
    markers: &Markers,
) -> Result<(), Error> {
    canvas.set_attribute("data-markers", &markers.len().to_string())?;
    let (width, height) = (canvas.width(), canvas.height());
    // Canvas pixels per CSS pixel (the device's pixel ratio, as `canvas_in` sized it).
    let ratio = f64::from(width) / x.length.max(1.0);
    let mut raster = Raster::new(width as usize, height as usize);
    for (colour, points) in &markers.by_colour {
        let centres = points.iter().filter_map(|&(px, py)| {
            canvas_point(x, y, px, py).map(|(left, top)| (left * ratio, top * ratio))
        });
        raster.discs(centres, RADIUS * ratio, *colour);
    }
    // Copied out of wasm memory in one go (an `ImageData` over a view of wasm memory took
    // several times longer to make).
    let pixels = js_sys::Uint8ClampedArray::new_with_length(width * height * 4);
    pixels.copy_from(&raster.to_rgba());
    let image = web_sys::ImageData::new_with_js_u8_clamped_array_and_sh(&pixels, width, height)?;
    context.put_image_data(&image, 0.0, 0.0)?;
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
        let red = Rgba {
            rgb: (255, 0, 0),
            alpha: 1.0,
        };
        let blue = Rgba {
            rgb: (0, 0, 255),
            alpha: 0.5,
        };
        let markers = Markers::new([(1.0, 2.0, 7), (3.0, 4.0, 2), (5.0, 6.0, 7)], |slot| {
            [red, blue][usize::from(slot == 2)]
        });
        assert_eq!(
            markers.by_colour,
            vec![
                (red, vec![(1.0, 2.0), (5.0, 6.0)]),
                (blue, vec![(3.0, 4.0)])
            ]
        );
        assert_eq!(markers.len(), 3);
    }
}
