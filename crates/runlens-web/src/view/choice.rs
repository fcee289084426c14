//! The reader's choice of table columns: which are shown and in which order, and which are
//! pinned (kept in view beside the name when the table scrolls sideways). Without a choice
//! the table shows the default columns. The name column is always first.

use std::collections::HashMap;

use super::Column;

/// Shown and pinned column ids; `None`: the defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Choice {
    /// Column ids in display order, `None` for the default columns.
    pub shown: Option<Vec<String>>,
    /// Ids of pinned columns.
    pub pinned: Vec<String>,
}

/// Where a column sits in the resolved table.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// Columns in display order: name, the pinned ones, the others.
    pub columns: Vec<Column>,
    /// How many columns after the name are pinned.
    pub pinned: usize,
}

impl Choice {
    /// The columns to show: the chosen ids that exist among `all` (others are dropped; a
    /// report may lack what a shared link names), or `defaults`; name first, then the
    /// pinned ones in their order, then the rest.
    pub fn resolve(&self, all: &[Column], defaults: &[Column]) -> Resolved {
        let by_id: HashMap<&str, &Column> = all.iter().map(|c| (c.id.as_str(), c)).collect();
        let chosen: Vec<Column> = match &self.shown {
            None => defaults.to_vec(),
            Some(ids) => ids
                .iter()
                .filter_map(|id| by_id.get(id.as_str()).map(|c| (*c).clone()))
                .collect(),
        };
        let mut columns: Vec<Column> = all.iter().filter(|c| c.id == "name").cloned().collect();
        let is_pinned = |c: &Column| self.pinned.contains(&c.id);
        let rest = chosen.into_iter().filter(|c| c.id != "name");
        let (pinned, others): (Vec<Column>, Vec<Column>) = rest.partition(is_pinned);
        let count = pinned.len();
        columns.extend(pinned);
        columns.extend(others);
        Resolved {
            columns,
            pinned: count,
        }
    }

    /// Shows (or hides) column `id`; `current` is the table's columns now. Hiding unpins.
    pub fn show(&mut self, id: &str, show: bool, current: &[Column]) {
        if id == "name" {
            return;
        }
        let mut ids = self.materialize(current);
        ids.retain(|i| i != id);
        if show {
            ids.push(id.to_string());
        } else {
            self.pinned.retain(|p| p != id);
        }
        self.shown = Some(ids);
    }

    /// Pins (or unpins) column `id`; pinning a hidden column shows it.
    pub fn pin(&mut self, id: &str, pin: bool, current: &[Column]) {
        if id == "name" {
            return;
        }
        self.pinned.retain(|p| p != id);
        if pin {
            if !current.iter().any(|c| c.id == id) {
                self.show(id, true, current);
            }
            self.pinned.push(id.to_string());
        }
    }

    /// Moves column `id` `by` places (negative: left) among the shown columns, staying on
    /// its side of the pinned/unpinned divide.
    pub fn shift(&mut self, id: &str, by: i32, current: &[Column]) {
        // The displayed order (pinned first) is the order to move in.
        let mut ids: Vec<String> = current.iter().map(|c| c.id.clone()).collect();
        let Some(from) = ids.iter().position(|i| i == id) else {
            return;
        };
        let pinned = |i: &String| self.pinned.contains(i);
        let side = pinned(&ids[from]);
        let mut to = from;
        let mut left = by.unsigned_abs();
        while left > 0 {
            let next = if by < 0 {
                to.checked_sub(1)
            } else {
                Some(to + 1).filter(|&n| n < ids.len())
            };
            match next {
                Some(n) if ids[n] != "name" && pinned(&ids[n]) == side => to = n,
                _ => break,
            }
            left -= 1;
        }
        let moved = ids.remove(from);
        ids.insert(to, moved);
        self.shown = Some(ids);
        // Keep pinned ids in display order, so the resolved order is the displayed one.
        let order: Vec<String> = self
            .shown
            .iter()
            .flatten()
            .filter(|i| self.pinned.contains(i))
            .cloned()
            .collect();
        self.pinned = order;
    }

    /// Back to the default columns, nothing pinned.
    pub fn reset(&mut self) {
        *self = Choice::default();
    }

    fn materialize(&self, current: &[Column]) -> Vec<String> {
        match &self.shown {
            Some(ids) => ids.clone(),
            None => current.iter().map(|c| c.id.clone()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::{ColumnKind, Stat};

    fn column(id: &str) -> Column {
        Column {
            id: id.into(),
            label: id.into(),
            detail: None,
            kind: ColumnKind::Metric {
                index: 0,
                stat: Stat::Last,
            },
            numeric: true,
        }
    }

    fn all() -> Vec<Column> {
        [
            "name",
            "status",
            "param:lr",
            "param:bs",
            "tag:team",
            "metric:loss:last",
        ]
        .into_iter()
        .map(column)
        .collect()
    }

    fn defaults() -> Vec<Column> {
        ["name", "status", "param:lr"]
            .into_iter()
            .map(column)
            .collect()
    }

    fn ids(resolved: &Resolved) -> Vec<&str> {
        resolved.columns.iter().map(|c| c.id.as_str()).collect()
    }

    #[test]
    fn without_a_choice_the_defaults_are_shown() {
        let choice = Choice::default();
        let r = choice.resolve(&all(), &defaults());
        assert_eq!(ids(&r), ["name", "status", "param:lr"]);
        assert_eq!(r.pinned, 0);
    }

    #[test]
    fn showing_hiding_and_unknown_ids() {
        let mut choice = Choice::default();
        let current = choice.resolve(&all(), &defaults()).columns;
        choice.show("tag:team", true, &current);
        choice.show("status", false, &current);
        let r = choice.resolve(&all(), &defaults());
        assert_eq!(ids(&r), ["name", "param:lr", "tag:team"]);
        // The name cannot be hidden; ids this report lacks are dropped.
        choice.show("name", false, &r.columns);
        choice.shown.as_mut().unwrap().push("param:gone".into());
        assert_eq!(
            ids(&choice.resolve(&all(), &defaults())),
            ["name", "param:lr", "tag:team"]
        );
    }

    #[test]
    fn pinned_columns_come_right_after_the_name() {
        let mut choice = Choice::default();
        let current = choice.resolve(&all(), &defaults()).columns;
        choice.pin("param:lr", true, &current);
        // Pinning a hidden column shows it.
        let current = choice.resolve(&all(), &defaults()).columns;
        choice.pin("metric:loss:last", true, &current);
        let r = choice.resolve(&all(), &defaults());
        assert_eq!(ids(&r), ["name", "param:lr", "metric:loss:last", "status"]);
        assert_eq!(r.pinned, 2);
        // Hiding a pinned column unpins it.
        choice.show("param:lr", false, &r.columns);
        let r = choice.resolve(&all(), &defaults());
        assert_eq!(ids(&r), ["name", "metric:loss:last", "status"]);
        assert_eq!(r.pinned, 1);
    }

    #[test]
    fn moving_stays_on_its_side_of_the_pins_and_never_passes_the_name() {
        let mut choice = Choice {
            shown: Some(
                ["status", "param:lr", "param:bs", "tag:team"]
                    .map(String::from)
                    .to_vec(),
            ),
            pinned: vec!["tag:team".into()],
        };
        let current = choice.resolve(&all(), &defaults()).columns;
        assert_eq!(
            current.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
            ["name", "tag:team", "status", "param:lr", "param:bs"]
        );
        choice.shift("param:bs", -1, &current);
        let current = choice.resolve(&all(), &defaults()).columns;
        assert_eq!(
            current.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
            ["name", "tag:team", "status", "param:bs", "param:lr"]
        );
        // Far left stops after the pinned block; the pinned one cannot pass the name.
        choice.shift("param:lr", -10, &current);
        let current = choice.resolve(&all(), &defaults()).columns;
        assert_eq!(
            current.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
            ["name", "tag:team", "param:lr", "status", "param:bs"]
        );
        choice.shift("tag:team", -1, &current);
        choice.shift("tag:team", 1, &current);
        let r = choice.resolve(&all(), &defaults());
        assert_eq!(ids(&r)[1], "tag:team");
        choice.reset();
        assert_eq!(choice, Choice::default());
    }
}
