//! The hyperparameter panel's controls: opening it, the scatter's axes, and brushing on
//! the parallel coordinates (a drag along an axis sets the range of runs it keeps,
//! [`Change::Brush`]).

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use web_sys::{Element, Event, MouseEvent};

use super::listen;
use crate::state::{Change, HparamsUi, Shared, handle};
use crate::{Error, parcoords_view};

/// Wires the panel `h`: its opening, the scatter's axes and log scales, brushing and the
/// button that clears the brushes.
pub(super) fn wire(app: &Shared, h: &HparamsUi) -> Result<(), Error> {
    let app_open = app.clone();
    let panel = h.panel.clone();
    listen(&h.panel, "toggle", move |_| {
        handle(&app_open, Change::HparamsOpen(panel.open()));
    })?;
    for (select, make) in [
        (&h.x, Change::HparamsX as fn(String) -> Change),
        (&h.y, Change::HparamsY),
    ] {
        let app = app.clone();
        let source = select.clone();
        listen(select, "change", move |_| {
            handle(&app, make(source.value()))
        })?;
    }
    for (input, make) in [
        (&h.log_x, Change::HparamsLogX as fn(bool) -> Change),
        (&h.log_y, Change::HparamsLogY),
    ] {
        let app = app.clone();
        let source = input.clone();
        listen(input, "change", move |_| {
            handle(&app, make(source.checked()))
        })?;
    }
    brushing(app, &h.parcoords)?;
    let app = app.clone();
    listen(&h.clear_brushes, "click", move |_| {
        handle(&app, Change::ClearBrushes);
    })
}

/// A drag in progress on a parallel-coordinate axis.
struct Drag {
    column: String,
    min: f64,
    max: f64,
    /// Page y of the axis's top, and chart units per page pixel.
    top: f64,
    scale: f64,
    /// Where the drag started, in chart units.
    start: f64,
    /// The rectangle showing the range being dragged.
    preview: Element,
}

impl Drag {
    fn at(&self, event: &Event) -> f64 {
        let client_y = event
            .dyn_ref::<MouseEvent>()
            .map_or(0.0, |m| f64::from(m.client_y()));
        parcoords_view::TOP + (client_y - self.top) * self.scale
    }

    fn show(&self, y: f64) {
        let (top, bottom) = (self.start.min(y), self.start.max(y));
        let _ = self.preview.set_attribute("y", &format!("{top:.1}"));
        let _ = self
            .preview
            .set_attribute("height", &format!("{:.1}", bottom - top));
    }
}

/// Brushing on the parallel coordinates: pressing on an axis's hit strip starts a drag
/// (captured, so it ends wherever the pointer is released), moving shows the range, and
/// releasing sets the brush (a click without a drag clears it).
fn brushing(app: &Shared, root: &Element) -> Result<(), Error> {
    let drag: Rc<RefCell<Option<Drag>>> = Rc::new(RefCell::new(None));
    {
        let drag = drag.clone();
        listen(root, "pointerdown", move |event| {
            let Some(hit) = event
                .target()
                .and_then(|t| t.dyn_into::<Element>().ok())
                .filter(|e| e.class_list().contains("rl-pc-hit"))
            else {
                return;
            };
            let Some(chart) = hit.closest("svg").ok().flatten() else {
                return;
            };
            let number = |name: &str| hit.get_attribute(name).and_then(|v| v.parse::<f64>().ok());
            let (Some(column), Some(min), Some(max)) = (
                hit.get_attribute("data-column"),
                number("data-min"),
                number("data-max"),
            ) else {
                return;
            };
            event.prevent_default();
            // The hit strip spans the axis exactly, however the chart is scaled.
            let bounds = hit.get_bounding_client_rect();
            let Ok(preview) = chart.owner_document().ok_or(()).and_then(|d| {
                d.create_element_ns(Some("http://www.w3.org/2000/svg"), "rect")
                    .map_err(|_| ())
            }) else {
                return;
            };
            let _ = preview.set_attribute("class", "rl-pc-brush rl-pc-drag");
            let x = number("x").unwrap_or(0.0) + 6.0;
            let _ = preview.set_attribute("x", &format!("{x:.1}"));
            let _ = preview.set_attribute("width", "16");
            let _ = chart.append_child(&preview);
            if let Some(pointer) = event.dyn_ref::<web_sys::PointerEvent>() {
                let _ = hit.set_pointer_capture(pointer.pointer_id());
            }
            let mut state = Drag {
                column,
                min,
                max,
                top: bounds.top(),
                scale: parcoords_view::units_per_pixel(bounds.height()),
                start: 0.0,
                preview,
            };
            state.start = state.at(&event);
            state.show(state.start);
            *drag.borrow_mut() = Some(state);
        })?;
    }
    {
        let drag = drag.clone();
        listen(root, "pointermove", move |event| {
            if let Some(state) = drag.borrow().as_ref() {
                state.show(state.at(&event));
            }
        })?;
    }
    let app = app.clone();
    listen(root, "pointerup", move |event| {
        let Some(state) = drag.borrow_mut().take() else {
            return;
        };
        state.preview.remove();
        let range = parcoords_view::drag_range(state.start, state.at(&event), state.min, state.max);
        handle(
            &app,
            Change::Brush {
                column: state.column,
                range,
            },
        );
    })
}
