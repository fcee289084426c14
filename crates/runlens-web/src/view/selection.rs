//! The runs the reader ticked: a click toggles one run, a shift-click sets every run
//! between the last clicked one and this one (in the table's current order), and the
//! header box ticks or clears every visible run.

use std::collections::BTreeSet;

/// Ticked runs (table rows) and the anchor of the next shift-click.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    rows: BTreeSet<usize>,
    anchor: Option<usize>,
}

impl Selection {
    /// A selection of `rows`.
    pub fn of(rows: impl IntoIterator<Item = usize>) -> Selection {
        Selection {
            rows: rows.into_iter().collect(),
            anchor: None,
        }
    }

    /// A click on the box of run `row`, which is now `checked`. With `shift` and an earlier
    /// click on a run still in `order` (the runs in display order), every run between the
    /// two takes the same state.
    pub fn click(&mut self, row: usize, checked: bool, shift: bool, order: &[usize]) {
        let anchor = self
            .anchor
            .filter(|_| shift)
            .and_then(|a| order.iter().position(|&r| r == a));
        let here = order.iter().position(|&r| r == row);
        match (anchor, here) {
            (Some(a), Some(h)) => {
                let (from, to) = (a.min(h), a.max(h));
                self.set(&order[from..=to], checked);
            }
            _ => self.set(&[row], checked),
        }
        self.anchor = Some(row);
    }

    /// Ticks (or clears) every run of `rows`.
    pub fn set(&mut self, rows: &[usize], checked: bool) {
        if checked {
            self.rows.extend(rows.iter().copied());
        } else {
            for row in rows {
                self.rows.remove(row);
            }
        }
    }

    /// Clears every box.
    pub fn clear(&mut self) {
        self.rows.clear();
        self.anchor = None;
    }

    /// True when run `row` is ticked.
    pub fn contains(&self, row: usize) -> bool {
        self.rows.contains(&row)
    }

    /// Ticked runs.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when no run is ticked.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The ticked runs among `order`, in that order.
    pub fn in_order(&self, order: &[usize]) -> Vec<usize> {
        order
            .iter()
            .copied()
            .filter(|row| self.rows.contains(row))
            .collect()
    }

    /// Every ticked run, by row.
    pub fn rows(&self) -> impl Iterator<Item = usize> + '_ {
        self.rows.iter().copied()
    }

    /// How many of `rows` are ticked.
    pub fn count_in(&self, rows: &[usize]) -> usize {
        rows.iter().filter(|row| self.rows.contains(row)).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_click_toggles_one_run() {
        let mut s = Selection::default();
        s.click(4, true, false, &[9, 4, 2]);
        s.click(2, true, false, &[9, 4, 2]);
        assert_eq!(s.in_order(&[9, 4, 2]), vec![4, 2]);
        s.click(4, false, false, &[9, 4, 2]);
        assert_eq!(s.in_order(&[9, 4, 2]), vec![2]);
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn shift_click_sets_the_range_in_display_order_either_way() {
        let order = [7, 3, 5, 1, 8, 0];
        let mut s = Selection::default();
        s.click(3, true, false, &order);
        s.click(8, true, true, &order);
        assert_eq!(s.in_order(&order), vec![3, 5, 1, 8]);
        // Upwards, clearing: the range takes the clicked box's new state.
        s.click(5, false, true, &order);
        assert_eq!(s.in_order(&order), vec![3]);
        // The anchor is now 5; a shift-click on 7 ticks 7, 3 and 5.
        s.click(7, true, true, &order);
        assert_eq!(s.in_order(&order), vec![7, 3, 5]);
    }

    #[test]
    fn shift_click_without_a_visible_anchor_toggles_one_run() {
        let mut s = Selection::default();
        s.click(2, true, true, &[1, 2, 3]);
        assert_eq!(s.in_order(&[1, 2, 3]), vec![2]);
        // The anchor was filtered out of the table: only the clicked run changes.
        s.click(3, true, true, &[3, 4]);
        s.click(4, true, true, &[4, 5]);
        assert_eq!(s.rows().collect::<Vec<_>>(), vec![2, 3, 4]);
    }

    #[test]
    fn the_header_box_sets_every_visible_run_and_clear_empties() {
        let mut s = Selection::of([1]);
        s.set(&[4, 5, 6], true);
        assert_eq!(s.count_in(&[4, 5, 6, 7]), 3);
        s.set(&[5], false);
        assert_eq!(s.rows().collect::<Vec<_>>(), vec![1, 4, 6]);
        s.clear();
        assert!(s.is_empty());
    }
}
