//! The runs table's columns in the page: each shown column's width (estimated from its
//! content, see `view::column_window`), the window of columns rendered as the table scrolls
//! sideways, the header row and the pinned columns' sticky offsets. The table has a fixed
//! layout: the browser takes the header cells' widths and measures no cell.

use super::*;
use crate::view::column_window::{self, DEFAULT_CHAR_WIDTH};

/// Width of the tick-box column, in CSS pixels (`.rl-runs .rl-select` in style.css).
const TICK_WIDTH: f64 = 34.0;
/// Widest the sticky name column gets, as a share of the table's view (phones).
const NAME_SHARE: f64 = 0.4;
/// Narrowest the name column's cap gets, in CSS pixels.
const NAME_MIN: f64 = 120.0;
/// Characters of the probe that measures a character's width.
pub(super) const PROBE_CHARS: usize = 20;

/// The shown columns' widths and which of them are rendered.
#[derive(Debug, Default)]
pub(super) struct ColumnLayout {
    /// The widest cell of each column over the runs, in characters, by column id (value-at-
    /// step columns change as their values load: never kept).
    content: HashMap<String, usize>,
    /// Width of one character, measured once the table was laid out.
    char_width: Option<f64>,
    /// Characters each shown column has room for.
    chars: Vec<usize>,
    /// Width of each shown column, in CSS pixels.
    widths: Vec<f64>,
    /// The leading shown columns always rendered (the name and the pinned ones).
    sticky: usize,
    /// The pinned columns among them (after the name).
    pinned: usize,
    /// The other columns rendered, as positions among them (0: the first after the sticky
    /// ones).
    window: Range<usize>,
    /// The view's width when the header was rendered (the table is at least as wide).
    view_width: f64,
}

impl ColumnLayout {
    /// Widths of the columns after the sticky ones.
    fn scrolling(&self) -> &[f64] {
        &self.widths[self.sticky.min(self.widths.len())..]
    }

    /// The columns rendered after the sticky ones, as positions among the shown columns.
    fn rendered(&self) -> Range<usize> {
        self.window.start + self.sticky..self.window.end + self.sticky
    }

    /// Width of the tick box and the sticky columns.
    fn sticky_width(&self) -> f64 {
        TICK_WIDTH
            + self.widths[..self.sticky.min(self.widths.len())]
                .iter()
                .sum::<f64>()
    }
}

impl App {
    /// Sets each shown column's width from its header, its widest cell and the group rows'
    /// aggregates, and which of them stay in view (the name and the pinned ones shown);
    /// `view_width`: the table's view (`clientWidth`), which caps the name column.
    pub(super) fn measure_columns(&mut self, view_width: f64) {
        let (sticky, pinned) = self.sticky_columns();
        let data = self.data.clone();
        let cells = view::Cells::new(&data.table, &self.steps);
        let groups = column_window::group_chars(&self.table_view.items, self.shown_columns.len());
        let char_width = self.column_layout.char_width.unwrap_or(DEFAULT_CHAR_WIDTH);
        let name_cap = if view_width > 0.0 {
            (view_width * NAME_SHARE).max(NAME_MIN)
        } else {
            f64::INFINITY
        };
        let layout = &mut self.column_layout;
        layout.chars.clear();
        layout.widths.clear();
        for (position, column) in self.shown_columns.iter().enumerate() {
            let at_step = matches!(
                column.kind,
                view::ColumnKind::Metric {
                    stat: view::Stat::AtStep(_),
                    ..
                }
            );
            let content = match layout.content.get(&column.id) {
                Some(&known) => known,
                None => {
                    let content = column_window::content_chars(cells, column.kind);
                    if !at_step {
                        layout.content.insert(column.id.clone(), content);
                    }
                    content
                }
            };
            let chars = column_window::column_chars(column, content, groups[position]);
            let mut width = column_window::width_px(chars, char_width, column.kind);
            if column.kind == view::ColumnKind::Name {
                width = width.min(name_cap.floor());
            }
            layout.chars.push(chars);
            layout.widths.push(width);
        }
        layout.sticky = sticky;
        layout.pinned = pinned;
        layout.window = 0..0;
    }

    /// How many leading shown columns stay in view (the name and the pinned columns that
    /// are shown), and how many of them are pinned.
    fn sticky_columns(&self) -> (usize, usize) {
        let leading = &self.columns[..(1 + self.pinned).min(self.columns.len())];
        let shown = |column: &Column| self.shown_columns.iter().any(|s| s.id == column.id);
        let name = usize::from(leading.first().is_some_and(shown));
        let pinned = leading.iter().skip(1).filter(|c| shown(c)).count();
        (name + pinned, pinned)
    }

    /// Where the table is scrolled sideways. Read before the DOM changes (see
    /// [`App::scroll`]).
    pub(super) fn side_scroll(&self) -> SideScroll {
        let wrap = &self.ui.table_wrap;
        self.side_at(
            f64::from(wrap.scroll_left()),
            f64::from(wrap.client_width()),
        )
    }

    /// The side scroll of a view `view_width` wide scrolled `offset` pixels.
    pub(super) fn side_at(&self, offset: f64, view_width: f64) -> SideScroll {
        SideScroll {
            offset,
            viewport: view_width - self.column_layout.sticky_width(),
        }
    }

    /// True when the columns rendered no longer cover the view scrolled to `side`.
    pub(super) fn columns_stale(&self, side: &SideScroll) -> bool {
        let layout = &self.column_layout;
        column_window::needs_columns(&layout.window, side, layout.scrolling())
    }

    /// Renders the header row for the columns in view at `side` (and a margin), the table's
    /// width and the pinned columns' offsets; the body follows with [`App::columns_in_page`].
    pub(super) fn render_head_cells(&mut self, side: SideScroll) -> Result<(), Error> {
        let layout = &mut self.column_layout;
        layout.window = side.window(layout.scrolling());
        layout.view_width = side.viewport + layout.sticky_width();
        // A header focused from the keyboard (Tab scrolls it into view, which brings a new
        // window) keeps the focus in the new header row.
        let focused = self
            .document
            .active_element()
            .filter(|e| self.ui.head_row.contains(Some(e)))
            .and_then(|e| e.closest("th[data-sort]").ok().flatten())
            .and_then(|th| th.get_attribute("data-sort"));
        let page = self.columns_in_page();
        table::render_head(
            &self.document,
            &self.ui.head_row,
            &self.shown_columns,
            self.sort.as_ref(),
            true,
            Some(&page),
        )?;
        table::mark_pinned(&self.ui.head_row, self.column_layout.pinned)?;
        if let Some(id) = focused {
            self.focus_header(&id);
        }
        let width = self.table_width();
        let style = format!("width:{width}px");
        if self.ui.runs_table.get_attribute("style").as_deref() != Some(style.as_str()) {
            self.ui.runs_table.set_attribute("style", &style)?;
        }
        self.ui
            .runs_table
            .set_attribute("aria-colcount", &(self.shown_columns.len() + 1).to_string())?;
        self.place_pinned()
    }

    /// The table's width: its columns', or the view's when they are narrower (the last
    /// spacer takes the difference, so every column keeps its width).
    fn table_width(&self) -> f64 {
        let layout = &self.column_layout;
        let columns = TICK_WIDTH + layout.widths.iter().sum::<f64>();
        columns.max(layout.view_width.floor())
    }

    /// The columns in the page, for `table::render_body` and `table::render_head`.
    pub(super) fn columns_in_page(&self) -> table::ColumnsInPage<'_> {
        let layout = &self.column_layout;
        let (before, after) = column_window::spacers(layout.scrolling(), &layout.window);
        let slack = self.table_width() - TICK_WIDTH - layout.widths.iter().sum::<f64>();
        table::ColumnsInPage {
            widths: &layout.widths,
            chars: &layout.chars,
            sticky: layout.sticky,
            window: layout.rendered(),
            before,
            after: after + slack.max(0.0),
        }
    }

    /// Writes the sticky offsets of the pinned columns (after the tick box and the name)
    /// from the columns' widths.
    pub(super) fn place_pinned(&self) -> Result<(), Error> {
        let layout = &self.column_layout;
        let mut css = String::new();
        let mut left = TICK_WIDTH;
        for position in 0..layout.sticky {
            // The tick box is the first child, the name the second: pinned ones follow.
            if position >= 1 {
                let child = position + 2;
                css.push_str(&format!(
                    "#rl-runs tr > :nth-child({child}) {{ position: sticky; left: {left:.1}px; z-index: 1; background: var(--surface); }}\n\
                     #rl-runs thead tr > :nth-child({child}) {{ z-index: 3; background: var(--surface-2); }}\n"
                ));
            }
            left += layout.widths[position];
        }
        if self
            .ui
            .pin_style
            .text_content()
            .as_deref()
            .unwrap_or_default()
            != css
        {
            self.ui.pin_style.set_text_content(Some(&css));
        }
        Ok(())
    }

    /// Measures one character of the table's monospace numbers (once the table is laid
    /// out); true when it differs from the width the columns were sized with.
    pub(super) fn measure_char_width(&mut self, probe_width: f64) -> bool {
        if probe_width <= 0.0 {
            return false;
        }
        let measured = probe_width / PROBE_CHARS as f64;
        let before = self.column_layout.char_width.unwrap_or(DEFAULT_CHAR_WIDTH);
        self.column_layout.char_width = Some(measured);
        (measured - before).abs() > 0.05
    }

    /// Focuses the sort button of the header of column `id`, when it is in the page (ids
    /// come from logs: compared as text, never put into a selector).
    fn focus_header(&self, id: &str) {
        let cells = self.ui.head_row.children();
        let header = (0..cells.length())
            .filter_map(|i| cells.item(i))
            .find(|th| th.get_attribute("data-sort").as_deref() == Some(id));
        let button = header
            .and_then(|th| th.query_selector("button").ok().flatten())
            .and_then(|b| b.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(button) = button {
            let _ = button.focus();
        }
    }
}
