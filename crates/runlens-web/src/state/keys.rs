//! The runs table from the keyboard: arrow keys, Page Up/Down, Home and End move a focused
//! row (the rendered window follows it, so it works on 10,000 rows), Space ticks it and
//! Enter opens its run page. The focused row is a real focused `tr` (`tabindex=-1`), so
//! screen readers read it and `:focus-visible` shows it; it is focused again when the
//! window of rows is rendered anew.

use super::*;
use crate::view::window::Move;

impl App {
    /// Where the table is scrolled, with the sticky header taken out of the view.
    fn body_scroll(&self) -> Scroll {
        let head = self.head_row_height();
        let wrap = &self.ui.table_wrap;
        Scroll {
            offset: f64::from(wrap.scroll_top()),
            viewport: (f64::from(wrap.client_height()) - head).max(self.row_height),
            row_height: self.row_height,
        }
    }

    /// Moves the focused row, scrolls it into view, renders the rows there and focuses it.
    pub(super) fn move_cursor(&mut self, step: Move) -> Result<(), Error> {
        let items = self.table_view.items.len();
        let scroll = self.body_scroll();
        let Some(to) = step.apply(self.cursor, items, scroll.page()) else {
            return Ok(());
        };
        self.cursor = Some(to);
        if let Some(offset) = scroll.reveal(to) {
            self.ui.table_wrap.set_scroll_top(offset.round() as i32);
        }
        self.render_rows(false)?;
        self.focus_cursor();
        Ok(())
    }

    /// Focuses the focused row's `tr` when it is rendered; true when it is.
    pub(super) fn focus_cursor(&self) -> bool {
        let Some(item) = self.cursor else {
            return false;
        };
        let selector = format!("tr[aria-rowindex=\"{}\"]", item + 2);
        let row = self.ui.body.query_selector(&selector).ok().flatten();
        match row.and_then(|r| r.dyn_into::<web_sys::HtmlElement>().ok()) {
            Some(row) => row.focus().is_ok(),
            None => false,
        }
    }

    /// Takes the row holding `element` (focused by a click or Tab) as the focused row.
    pub(super) fn follow_focus(&mut self, element: &Element) {
        let index = element
            .closest("tbody tr[aria-rowindex]")
            .ok()
            .flatten()
            .and_then(|tr| tr.get_attribute("aria-rowindex"))
            .and_then(|i| i.parse::<usize>().ok())
            .and_then(|i| i.checked_sub(2));
        if index.is_some() {
            self.cursor = index;
        }
    }

    /// The run of the focused row (not a group row) and whether it is ticked.
    pub(super) fn cursor_run(&self) -> Option<(usize, bool)> {
        match self.table_view.items.get(self.cursor?)? {
            Item::Run(row) => Some((*row, self.selection.contains(*row))),
            Item::Group { .. } => None,
        }
    }
}

/// A key pressed in the runs table (`table_wrap`'s keydown). True when the key was used
/// (the caller then prevents the browser's own handling: scrolling, a page jump).
pub fn table_key(app: &Shared, key: &str, shift: bool, on_row: bool) -> bool {
    if let Some(step) = Move::of_key(key) {
        let Ok(mut state) = app.try_borrow_mut() else {
            return false;
        };
        if let Err(error) = state.move_cursor(step) {
            dom::show_error(&error.to_string());
        }
        return true;
    }
    // Space and Enter act on a focused row; on a tick box or a button they keep their
    // own meaning.
    if !on_row {
        return false;
    }
    let Some((row, ticked)) = app.try_borrow().ok().and_then(|s| s.cursor_run()) else {
        return false;
    };
    match key {
        " " => {
            handle(
                app,
                Change::Tick {
                    row,
                    checked: !ticked,
                    shift,
                },
            );
            if let Ok(state) = app.try_borrow() {
                state.focus_cursor();
            }
            true
        }
        "Enter" => {
            open_run(app, row);
            true
        }
        _ => false,
    }
}

/// Something in the table got focus (a click, Tab): its row becomes the focused row.
pub fn table_focused(app: &Shared, element: &Element) {
    if let Ok(mut state) = app.try_borrow_mut() {
        state.follow_focus(element);
    }
}
