//! Which table rows are in the page: the rows in view plus a margin above and below. A
//! table of 100,000 runs keeps about a hundred `tr` elements, and scrolling re-renders
//! only when the rows in view come near the edge of what is rendered.

use std::ops::Range;

/// Rows rendered above and below the rows in view. Every change of the table lays all
/// rendered rows out again (with the automatic table layout of the time, which measured
/// every cell: with 30, the interactions that change the table took 130–230 ms at 10,000
/// runs, with 12 60–130 ms, docs/benchmarks.md); scrolling renders a little more often,
/// each time less. The columns are windowed as well (`column_window`).
pub const OVERSCAN: usize = 12;
/// Rows of a table small enough to be rendered whole (the browser's find in page then
/// sees every run).
pub const WHOLE_TABLE: usize = 60;

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

    /// The rows to render: those in view and [`OVERSCAN`] more on each side; every row of
    /// a table of at most [`WHOLE_TABLE`].
    pub fn window(&self, items: usize) -> Range<usize> {
        if items <= WHOLE_TABLE {
            return 0..items;
        }
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

impl Scroll {
    /// Rows that fit in the view (at least one): how far Page Up and Page Down move.
    pub fn page(&self) -> usize {
        let view = self.in_view(usize::MAX);
        (view.end - view.start).saturating_sub(1).max(1)
    }

    /// The body offset to scroll to so that row `item` is wholly in view, or `None` when it
    /// already is (the view moves as little as it can).
    pub fn reveal(&self, item: usize) -> Option<f64> {
        let height = if self.row_height > 0.0 {
            self.row_height
        } else {
            DEFAULT_ROW_HEIGHT
        };
        let top = item as f64 * height;
        let bottom = top + height;
        if top < self.offset {
            Some(top)
        } else if bottom > self.offset + self.viewport {
            Some((bottom - self.viewport).max(0.0))
        } else {
            None
        }
    }
}

/// A key that moves the table's focused row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// Arrow Up.
    Up,
    /// Arrow Down.
    Down,
    /// Page Up: a viewful up.
    PageUp,
    /// Page Down: a viewful down.
    PageDown,
    /// Home: the first row.
    First,
    /// End: the last row.
    Last,
}

impl Move {
    /// The move a key (`KeyboardEvent.key`) asks for.
    pub fn of_key(key: &str) -> Option<Move> {
        Some(match key {
            "ArrowUp" => Move::Up,
            "ArrowDown" => Move::Down,
            "PageUp" => Move::PageUp,
            "PageDown" => Move::PageDown,
            "Home" => Move::First,
            "End" => Move::Last,
            _ => return None,
        })
    }

    /// The row focused after this move from `from` (none yet: the first row) in a table of
    /// `items` rows whose view holds `page` rows; `None` for an empty table.
    pub fn apply(self, from: Option<usize>, items: usize, page: usize) -> Option<usize> {
        let last = items.checked_sub(1)?;
        let Some(from) = from.map(|f| f.min(last)) else {
            return Some(if self == Move::Last { last } else { 0 });
        };
        Some(match self {
            Move::Up => from.saturating_sub(1),
            Move::Down => (from + 1).min(last),
            Move::PageUp => from.saturating_sub(page),
            Move::PageDown => (from + page).min(last),
            Move::First => 0,
            Move::Last => last,
        })
    }
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
        assert_eq!(at(0.0).window(10_000), 0..22);
        // Scrolled 1,000 rows down, a row and a half cut at the top.
        assert_eq!(at(30_015.0).in_view(10_000), 1000..1011);
        assert_eq!(at(30_015.0).window(10_000), 988..1023);
        // At the end the window stops at the last row.
        assert_eq!(at(299_700.0).window(10_000), 9978..10_000);
        // A short table is rendered whole, also where it goes past the view; an empty one
        // not at all.
        assert_eq!(at(0.0).window(7), 0..7);
        assert_eq!(at(0.0).window(WHOLE_TABLE), 0..WHOLE_TABLE);
        assert_eq!(at(0.0).window(WHOLE_TABLE + 1), 0..22);
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
        // Five rows further is still inside the margin.
        assert!(!needs_render(&rendered, &at(30_150.0), 10_000));
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

    #[test]
    fn keys_move_the_focused_row_within_the_table() {
        assert_eq!(Move::of_key("ArrowDown"), Some(Move::Down));
        assert_eq!(Move::of_key("x"), None);
        assert_eq!(
            Move::Down.apply(None, 100, 9),
            Some(0),
            "the first row first"
        );
        assert_eq!(Move::Last.apply(None, 100, 9), Some(99));
        assert_eq!(Move::Down.apply(Some(5), 100, 9), Some(6));
        assert_eq!(Move::Up.apply(Some(0), 100, 9), Some(0));
        assert_eq!(Move::Down.apply(Some(99), 100, 9), Some(99));
        assert_eq!(Move::PageDown.apply(Some(95), 100, 9), Some(99));
        assert_eq!(Move::PageUp.apply(Some(20), 100, 9), Some(11));
        assert_eq!(Move::First.apply(Some(50), 100, 9), Some(0));
        // The table shrank under the focused row.
        assert_eq!(Move::Up.apply(Some(500), 100, 9), Some(98));
        assert_eq!(Move::Down.apply(None, 0, 9), None);
    }

    #[test]
    fn revealing_a_row_scrolls_as_little_as_it_can() {
        let scroll = at(300.0); // rows 10..20 in view
        assert_eq!(scroll.page(), 9);
        assert_eq!(scroll.reveal(12), None);
        assert_eq!(scroll.reveal(19), None);
        assert_eq!(scroll.reveal(20), Some(330.0), "one row down");
        assert_eq!(scroll.reveal(9), Some(270.0), "one row up");
        assert_eq!(scroll.reveal(1000), Some(30_030.0 - 300.0));
    }
}
