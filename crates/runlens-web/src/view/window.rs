//! Which table rows are in the page: the rows in view plus a margin above and below. A
//! table of 100,000 runs keeps about a hundred `tr` elements, and scrolling re-renders
//! only when the rows in view come near the edge of what is rendered.

use std::ops::Range;

/// Rows rendered above and below the rows in view.
pub const OVERSCAN: usize = 30;

/// Row height assumed until a rendered row is measured, in CSS pixels.
pub const DEFAULT_ROW_HEIGHT: f64 = 30.0;

/// Viewport height assumed while the table is not laid out (hidden), in CSS pixels.
pub const FALLBACK_VIEWPORT: f64 = 900.0;

/// Where the table is scrolled to, in CSS pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scroll {
    /// Pixels scrolled past the first body row.
    pub offset: f64,
    /// Height of the visible part of the body.
    pub viewport: f64,
    /// Height of one row.
    pub row_height: f64,
}

impl Scroll {
    /// The rows (of `items`) at least partly in view.
    pub fn in_view(&self, items: usize) -> Range<usize> {
        let height = if self.row_height > 0.0 {
            self.row_height
        } else {
            DEFAULT_ROW_HEIGHT
        };
        let viewport = if self.viewport > 0.0 {
            self.viewport
        } else {
            FALLBACK_VIEWPORT
        };
        let first = (self.offset.max(0.0) / height).floor() as usize;
        let last = ((self.offset.max(0.0) + viewport) / height).ceil() as usize;
        first.min(items)..last.min(items)
    }

    /// The rows to render: those in view and [`OVERSCAN`] more on each side.
    pub fn window(&self, items: usize) -> Range<usize> {
        let view = self.in_view(items);
        view.start.saturating_sub(OVERSCAN)..(view.end + OVERSCAN).min(items)
    }
}

/// True when `rendered` no longer covers the rows in view with at least half the margin on
/// each side that is not the table's end: time to render a new window.
pub fn needs_render(rendered: &Range<usize>, scroll: &Scroll, items: usize) -> bool {
    let view = scroll.in_view(items);
    let margin = OVERSCAN / 2;
    let top_ok = rendered.start == 0 || rendered.start + margin <= view.start;
    let bottom_ok = rendered.end >= items || view.end + margin <= rendered.end;
    rendered.end > items || !(top_ok && bottom_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(offset: f64) -> Scroll {
        Scroll {
            offset,
            viewport: 300.0,
            row_height: 30.0,
        }
    }

    #[test]
    fn the_window_is_the_rows_in_view_and_a_margin() {
        assert_eq!(at(0.0).in_view(10_000), 0..10);
        assert_eq!(at(0.0).window(10_000), 0..40);
        // Scrolled 1,000 rows down, a row and a half cut at the top.
        assert_eq!(at(30_015.0).in_view(10_000), 1000..1011);
        assert_eq!(at(30_015.0).window(10_000), 970..1041);
        // At the end the window stops at the last row.
        assert_eq!(at(299_700.0).window(10_000), 9960..10_000);
        // A short table is rendered whole; an empty one not at all.
        assert_eq!(at(0.0).window(7), 0..7);
        assert_eq!(at(0.0).window(0), 0..0);
    }

    #[test]
    fn unmeasured_or_hidden_tables_use_the_assumed_sizes() {
        let hidden = Scroll {
            offset: 0.0,
            viewport: 0.0,
            row_height: 0.0,
        };
        assert_eq!(hidden.in_view(10_000), 0..30);
    }

    #[test]
    fn scrolling_within_the_margin_keeps_the_rendered_rows() {
        let rendered = at(30_000.0).window(10_000);
        assert!(!needs_render(&rendered, &at(30_000.0), 10_000));
        // Ten rows further is still well inside the margin.
        assert!(!needs_render(&rendered, &at(30_300.0), 10_000));
        // Twenty rows further leaves under half the margin below: render again.
        assert!(needs_render(&rendered, &at(30_600.0), 10_000));
        assert!(needs_render(&rendered, &at(29_400.0), 10_000));
        // A jump far away always renders.
        assert!(needs_render(&rendered, &at(0.0), 10_000));
        // The ends of the table need no margin beyond them.
        let top = at(0.0).window(10_000);
        assert!(!needs_render(&top, &at(0.0), 10_000));
        // Fewer items than rendered (the filter shrank the table) renders again.
        assert!(needs_render(&top, &at(0.0), 20));
    }
}
