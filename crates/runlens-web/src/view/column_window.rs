//! Which table columns are in the page, as [`super::window`] decides for rows: the runs
//! table has a fixed layout (each column's width set from its content, estimated here),
//! so the columns scrolled out of view sideways are left out and one spacer cell on each
//! side keeps the table's width. At 40 columns a window 1,400 px wide holds about 12; the
//! style, layout and paint of the cells nobody sees were half of what a grouping cost
//! (docs/benchmarks.md).
//!
//! The name column, the pinned columns (and the tick box) are sticky and always rendered;
//! the window is over the columns after them.

use std::ops::Range;

use runlens_core::bundle::ParamCell;

use super::{Cells, Column, ColumnKind, Item, cell_text};

/// Rows whose cells are measured when a column's width is estimated from formatted values
/// (numbers, times): evenly spaced over the table.
const SAMPLED_ROWS: usize = 256;
/// Widest a column's content is counted, in characters; longer cells end in an ellipsis
/// and carry their whole text as a tooltip.
pub const MAX_CHARS: usize = 40;
/// Narrowest a column is, in characters.
const MIN_CHARS: usize = 4;
/// A cell's horizontal padding and border, in CSS pixels.
const CELL_PADDING: f64 = 22.0;
/// The name cell's colour swatch and its margin.
const SWATCH: f64 = 14.0;
/// The status pill's padding and bold text beyond its characters.
const PILL: f64 = 18.0;
/// Width of one character assumed until the page measured it, in CSS pixels.
pub const DEFAULT_CHAR_WIDTH: f64 = 7.5;
/// Width of the view assumed while the table is not laid out, in CSS pixels.
pub const FALLBACK_VIEWPORT: f64 = 1400.0;
/// Least width rendered beyond the view on each side, in CSS pixels.
const MIN_MARGIN: f64 = 240.0;
/// Scrolling columns of a table narrow enough to be rendered whole (the browser's find in
/// page then sees every cell, as [`super::window::WHOLE_TABLE`] does for rows).
pub const WHOLE_COLUMNS: usize = 24;

/// Characters the cells of `column` need: its header (label, detail and the sort arrow),
/// `content` (its widest cell, see [`content_chars`]) and `groups` (its widest group-row
/// aggregate, see [`group_chars`]), at most [`MAX_CHARS`].
pub fn column_chars(column: &Column, content: usize, groups: usize) -> usize {
    let header = column.label.chars().count()
        + column.detail.as_ref().map_or(0, |d| d.chars().count() + 1)
        + 2;
    header.max(content).max(groups).clamp(MIN_CHARS, MAX_CHARS)
}

/// The widest group-row text of each of `columns` columns among `items`, in characters:
/// the aggregates, and the group labels in the first (the name's) column.
pub fn group_chars(items: &[Item], columns: usize) -> Vec<usize> {
    let mut widest = vec![0; columns];
    for item in items {
        if let Item::Group { label, cells, .. } = item {
            if let Some(first) = widest.first_mut() {
                *first = (*first).max(label.chars().count());
            }
            for (position, text) in cells
                .iter()
                .enumerate()
                .skip(1)
                .take(columns.saturating_sub(1))
            {
                widest[position] = widest[position].max(text.chars().count());
            }
        }
    }
    widest
}

/// The widest cell of a column of `kind` over the runs, in characters: names, texts and
/// integers counted on every run, formatted numbers and times on [`SAMPLED_ROWS`] of them.
pub fn content_chars(table: Cells<'_>, kind: ColumnKind) -> usize {
    let chars = |text: &str| text.chars().count();
    let rows = table.len();
    let sampled = || {
        let stride = rows.div_ceil(SAMPLED_ROWS).max(1);
        (0..rows)
            .step_by(stride)
            .map(|row| chars(&cell_text(table, row, kind)))
            .max()
            .unwrap_or(0)
    };
    match kind {
        ColumnKind::Name => table.names.iter().map(|n| chars(n)).max().unwrap_or(0),
        ColumnKind::Experiment | ColumnKind::Source | ColumnKind::Group | ColumnKind::Tag(_) => {
            let values = match kind {
                ColumnKind::Experiment => &table.experiments.values,
                ColumnKind::Source => &table.sources.values,
                ColumnKind::Group => &table.groups.values,
                ColumnKind::Tag(index) => &table.tags[index].values.values,
                _ => unreachable!("matched above"),
            };
            values.iter().map(|v| chars(v)).max().unwrap_or(0)
        }
        ColumnKind::Param(index) => {
            let Some(param) = table.params.get(index) else {
                return 0;
            };
            let exact = param
                .cells
                .iter()
                .map(|cell| match cell {
                    Some(ParamCell::Text(text)) => chars(text),
                    Some(ParamCell::Int(n)) => n.to_string().len(),
                    Some(ParamCell::Bool(_)) => 5,
                    Some(ParamCell::Float(_)) | None => 0,
                })
                .max()
                .unwrap_or(0);
            exact.max(sampled())
        }
        _ => sampled(),
    }
}

/// A column's width in CSS pixels for `chars` characters of `char_width` pixels each.
pub fn width_px(chars: usize, char_width: f64, kind: ColumnKind) -> f64 {
    let extra = match kind {
        ColumnKind::Name => SWATCH,
        ColumnKind::Status => PILL,
        _ => 0.0,
    };
    (chars as f64 * char_width + CELL_PADDING + extra).ceil()
}

/// Where the table is scrolled sideways, in CSS pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SideScroll {
    /// Pixels scrolled past the sticky columns.
    pub offset: f64,
    /// Width of the view beside the sticky columns.
    pub viewport: f64,
}

impl SideScroll {
    fn viewport(&self) -> f64 {
        if self.viewport > 0.0 {
            self.viewport
        } else {
            FALLBACK_VIEWPORT
        }
    }

    /// Width rendered beyond the view on each side: half a view, at least [`MIN_MARGIN`].
    fn margin(&self) -> f64 {
        (self.viewport() / 2.0).max(MIN_MARGIN)
    }

    /// The columns (of the scrolling ones, `widths` wide) that meet the view widened by
    /// `margin` on each side.
    fn meeting(&self, widths: &[f64], margin: f64) -> Range<usize> {
        let from = self.offset.max(0.0) - margin;
        let to = self.offset.max(0.0) + self.viewport() + margin;
        let mut left = 0.0;
        let mut start = widths.len();
        let mut end = widths.len();
        for (index, width) in widths.iter().enumerate() {
            let right = left + width;
            if start == widths.len() && right > from {
                start = index;
            }
            if left >= to {
                end = index;
                break;
            }
            left = right;
        }
        start.min(end)..end
    }

    /// The scrolling columns to render: those in view and a margin of half a view (at
    /// least [`MIN_MARGIN`]) on each side; all of at most [`WHOLE_COLUMNS`].
    pub fn window(&self, widths: &[f64]) -> Range<usize> {
        if widths.len() <= WHOLE_COLUMNS {
            return 0..widths.len();
        }
        self.meeting(widths, self.margin())
    }
}

/// True when `rendered` no longer covers the columns in view with at least half the margin
/// on each side that is not the table's edge: time to render a new window.
pub fn needs_columns(rendered: &Range<usize>, scroll: &SideScroll, widths: &[f64]) -> bool {
    let wanted = if widths.len() <= WHOLE_COLUMNS {
        0..widths.len()
    } else {
        scroll.meeting(widths, scroll.margin() / 2.0)
    };
    rendered.end > widths.len() || wanted.start < rendered.start || wanted.end > rendered.end
}

/// The widths of the spacer cells standing in for the scrolling columns left of `window`
/// and right of it.
pub fn spacers(widths: &[f64], window: &Range<usize>) -> (f64, f64) {
    let before = widths[..window.start.min(widths.len())].iter().sum();
    let after = widths[window.end.min(widths.len())..].iter().sum();
    (before, after)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(offset: f64) -> SideScroll {
        SideScroll {
            offset,
            viewport: 1000.0,
        }
    }

    #[test]
    fn the_window_is_the_columns_in_view_and_half_a_view_each_side() {
        let widths = vec![100.0; 40];
        // In view: columns 0..10; the margin of 500 px adds five on the right.
        assert_eq!(at(0.0).window(&widths), 0..15);
        // Scrolled 2,050 px: columns 20..31 meet the view, 15..36 the margin.
        assert_eq!(at(2050.0).window(&widths), 15..36);
        // At the right edge the window stops at the last column.
        assert_eq!(at(3000.0).window(&widths), 25..40);
        // Columns that fit in the view and its margin are all rendered, and so are those of
        // a narrow table, wherever it is scrolled.
        assert_eq!(at(0.0).window(&widths[..12]), 0..12);
        assert_eq!(
            at(1500.0).window(&widths[..WHOLE_COLUMNS]),
            0..WHOLE_COLUMNS
        );
        assert_eq!(at(1500.0).window(&widths[..WHOLE_COLUMNS + 1]), 10..25);
        assert_eq!(at(0.0).window(&[]), 0..0);
        // A hidden table (no width yet) assumes a wide view.
        let hidden = SideScroll {
            offset: 0.0,
            viewport: 0.0,
        };
        assert_eq!(hidden.window(&widths), 0..21);
    }

    #[test]
    fn uneven_widths_count_in_pixels() {
        let mut widths = vec![300.0, 50.0, 50.0, 400.0, 100.0, 100.0];
        widths.resize(WHOLE_COLUMNS + 6, 100.0);
        let view = SideScroll {
            offset: 320.0,
            viewport: 100.0,
        };
        // The view is 320..420 (columns 1 to 3); the margin of 240 px reaches 80..660.
        assert_eq!(view.window(&widths), 0..4);
        assert_eq!(spacers(&widths[..6], &(1..4)), (300.0, 200.0));
        assert_eq!(spacers(&widths[..6], &(0..6)), (0.0, 0.0));
    }

    #[test]
    fn scrolling_within_the_margin_keeps_the_rendered_columns() {
        let widths = vec![100.0; 40];
        let rendered = at(1000.0).window(&widths);
        assert_eq!(rendered, 5..25);
        assert!(!needs_columns(&rendered, &at(1000.0), &widths));
        // 200 px further is within the margin still.
        assert!(!needs_columns(&rendered, &at(1200.0), &widths));
        // 400 px further leaves under half the margin on the right: render again.
        assert!(needs_columns(&rendered, &at(1400.0), &widths));
        assert!(needs_columns(&rendered, &at(500.0), &widths));
        // The table's edges need no margin beyond them.
        let first = at(0.0).window(&widths);
        assert!(!needs_columns(&first, &at(0.0), &widths));
        // Fewer columns than rendered (some were hidden) renders again.
        assert!(needs_columns(&first, &at(0.0), &widths[..10]));
        // A narrow table rendered whole stays so.
        let narrow = &widths[..WHOLE_COLUMNS];
        assert!(!needs_columns(&(0..WHOLE_COLUMNS), &at(1500.0), narrow));
    }

    #[test]
    fn a_column_is_as_wide_as_its_header_or_its_widest_cell() {
        use crate::view::tests::run;
        use crate::view::{columns, find_column};
        use runlens_core::bundle::RunTable;
        let long = "a-run-whose-name-is-much-longer-than-the-header";
        let table = RunTable::from_runs(
            "t",
            &[
                run("r1", 0.001, "adam", &[1.0]),
                run(long, 12_345.678, "sgd-with-nesterov", &[2.0]),
            ],
            &[],
        );
        let cells = Cells::from(&table);
        let cols = columns(&table);
        let chars = |id: &str, items: &[Item]| {
            let position = cols.iter().position(|c| c.id == id).unwrap();
            let column = find_column(&cols, id).unwrap();
            let groups = group_chars(items, cols.len())[position];
            column_chars(column, content_chars(cells, column.kind), groups)
        };
        // The longest name, capped at MAX_CHARS.
        assert_eq!(chars("name", &[]), MAX_CHARS);
        // Text params count their longest text; numbers their formatted text ("12,345.7" or
        // the like) or the header "lr" with its arrow, whichever is wider.
        assert_eq!(chars("param:opt", &[]), "sgd-with-nesterov".len());
        let lr = crate::format::number(12_345.678).chars().count();
        assert_eq!(chars("param:lr", &[]), lr.max(MIN_CHARS));
        // The header counts its label, its detail and the arrow: "train/loss last ↕".
        assert_eq!(
            chars("metric:train/loss:last", &[]),
            "train/loss".len() + 5 + 2
        );
        // A group row's aggregate widens its column; its label widens the name column.
        let group = Item::Group {
            index: 0,
            label: "g".into(),
            count: 2,
            cells: vec![String::new(), String::new(), "0.0055 ± 0.006364".into()],
            titles: vec![None; 3],
        };
        assert_eq!(chars("param:lr", std::slice::from_ref(&group)), 17);
        let mut long_label = group.clone();
        if let Item::Group { label, .. } = &mut long_label {
            *label = "optimizer=sgd-with-nesterov".into();
        }
        assert_eq!(group_chars(&[long_label], 3), [27, 0, 17]);
    }

    #[test]
    fn widths_grow_with_the_characters_and_leave_room_for_the_swatch_and_the_pill() {
        assert_eq!(width_px(10, 7.5, ColumnKind::Experiment), 97.0);
        assert_eq!(width_px(10, 7.5, ColumnKind::Name), 111.0);
        assert_eq!(width_px(10, 7.5, ColumnKind::Status), 115.0);
    }
}
