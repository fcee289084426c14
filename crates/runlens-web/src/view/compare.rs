//! The comparison of a few ticked runs side by side: one line per attribute, param, tag
//! and metric summary, one cell per run, and whether the runs differ on that line. No DOM
//! here; `compare_panel` renders it.

use runlens_core::bundle::RunTable;

use super::{Stat, cell_text};
use crate::format;
use crate::view::ColumnKind;

/// What kind of line a [`Line`] is (a section heading in the page).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Status, experiment, source, group, times.
    Attributes,
    /// Logged params.
    Params,
    /// Tags.
    Tags,
    /// Metric summaries.
    Metrics,
}

impl Section {
    /// The heading shown above the section's lines.
    pub fn title(self) -> &'static str {
        match self {
            Section::Attributes => "Attributes",
            Section::Params => "Params",
            Section::Tags => "Tags",
            Section::Metrics => "Metrics",
        }
    }
}

/// One line of the comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Section it belongs to.
    pub section: Section,
    /// What the line shows (untrusted: a param, tag or metric key).
    pub label: String,
    /// A second, smaller label (`last`, `min`, ...), if any.
    pub detail: Option<&'static str>,
    /// One text per compared run (empty: the run lacks it).
    pub cells: Vec<String>,
    /// True when the runs do not all show the same text.
    pub differs: bool,
}

/// The comparison of `rows`. Lines every compared run lacks are left out.
pub fn lines(table: &RunTable, rows: &[usize]) -> Vec<Line> {
    let mut out = Vec::new();
    let mut push = |section, label: &str, detail, cells: Vec<String>| {
        if cells.iter().all(String::is_empty) {
            return;
        }
        let differs = cells.iter().any(|c| c != &cells[0]);
        out.push(Line {
            section,
            label: label.to_string(),
            detail,
            cells,
            differs,
        });
    };
    let each = |f: &dyn Fn(usize) -> String| rows.iter().map(|&r| f(r)).collect::<Vec<_>>();

    push(
        Section::Attributes,
        "status",
        None,
        each(&|r| cell_text(table.into(), r, ColumnKind::Status)),
    );
    for (label, column) in [
        ("experiment", &table.experiments),
        ("source", &table.sources),
        ("group", &table.groups),
    ] {
        push(
            Section::Attributes,
            label,
            None,
            each(&|r| column.get(r).unwrap_or_default().to_string()),
        );
    }
    push(
        Section::Attributes,
        "started",
        None,
        each(&|r| time_or_empty(table.start_times[r])),
    );
    push(
        Section::Attributes,
        "duration",
        None,
        each(&|r| {
            let (start, end) = (table.start_times[r], table.end_times[r]);
            if start.is_finite() && end.is_finite() {
                format::duration(end - start)
            } else {
                String::new()
            }
        }),
    );
    for (index, param) in table.params.iter().enumerate() {
        push(
            Section::Params,
            &param.key,
            None,
            each(&|r| cell_text(table.into(), r, ColumnKind::Param(index))),
        );
    }
    for tag in &table.tags {
        push(
            Section::Tags,
            &tag.key,
            None,
            each(&|r| tag.values.get(r).unwrap_or_default().to_string()),
        );
    }
    for (index, metric) in table.metrics.iter().enumerate() {
        for stat in Stat::ALL {
            push(
                Section::Metrics,
                &metric.key,
                Some(stat.name()),
                each(&|r| cell_text(table.into(), r, ColumnKind::Metric { index, stat })),
            );
        }
    }
    out
}

fn time_or_empty(epoch_seconds: f64) -> String {
    if epoch_seconds.is_finite() {
        format::utc_time(epoch_seconds)
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use runlens_core::model::{MetricSeries, ParamValue, Run};

    fn table() -> RunTable {
        let mut runs = Vec::new();
        for (i, lr) in [0.1, 0.1, 0.01].into_iter().enumerate() {
            let mut run = Run {
                id: format!("r{i}"),
                name: format!("run {i}"),
                ..Run::default()
            };
            run.params.insert("lr".into(), ParamValue::Float(lr));
            run.params.insert("seed".into(), ParamValue::Int(i as i64));
            if i == 1 {
                run.tags.insert("note".into(), "<b>x</b>".into());
            }
            let mut loss = MetricSeries::default();
            loss.push(0, 1.0, None);
            loss.push(1, 0.5 - i as f64 * 0.1, None);
            run.metrics.insert("loss".into(), loss);
            runs.push(run);
        }
        RunTable::from_runs("t", &runs, &[])
    }

    fn line<'a>(lines: &'a [Line], label: &str, detail: Option<&str>) -> &'a Line {
        lines
            .iter()
            .find(|l| l.label == label && l.detail == detail)
            .unwrap_or_else(|| panic!("no line {label} {detail:?}"))
    }

    #[test]
    fn each_line_has_one_cell_per_run_and_says_whether_they_differ() {
        let t = table();
        let lines = lines(&t, &[0, 1]);
        let lr = line(&lines, "lr", None);
        assert_eq!(lr.cells, vec!["0.1", "0.1"]);
        assert!(!lr.differs);
        assert!(line(&lines, "seed", None).differs);
        let tag = line(&lines, "note", None);
        assert_eq!(tag.cells, vec!["", "<b>x</b>"]);
        assert_eq!(tag.section, Section::Tags);
        assert!(tag.differs);
        let first_max = line(&lines, "loss", Some("max"));
        assert_eq!(first_max.cells, vec!["1", "1"]);
        assert!(!first_max.differs);
        assert!(line(&lines, "loss", Some("last")).differs);
        // No run has a group or times: those lines are left out.
        assert!(
            lines
                .iter()
                .all(|l| l.label != "group" && l.label != "started")
        );
    }

    #[test]
    fn comparing_the_third_run_shows_the_lr_difference() {
        let t = table();
        let lines = lines(&t, &[0, 2]);
        let lr = line(&lines, "lr", None);
        assert_eq!(lr.cells, vec!["0.1", "0.01"]);
        assert!(lr.differs);
        // The tag only run 1 has is absent from this comparison.
        assert!(lines.iter().all(|l| l.label != "note"));
    }
}
