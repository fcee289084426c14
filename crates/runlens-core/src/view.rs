//! The view a report opens with, as its author configures it (`runlens.toml` `[view]`):
//! written by the CLI into the page's configuration, applied by the page at start-up.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Which way a metric improves (`runlens.toml` `[directions]`): the page marks the best run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Lower is better (a loss, an error rate).
    Lower,
    /// Higher is better (an accuracy, a reward).
    Higher,
}

impl Direction {
    /// `lower` or `higher`.
    pub fn name(self) -> &'static str {
        match self {
            Direction::Lower => "lower",
            Direction::Higher => "higher",
        }
    }

    /// The direction named `name` (`lower`, `higher`).
    pub fn parse(name: &str) -> Option<Direction> {
        match name {
            "lower" => Some(Direction::Lower),
            "higher" => Some(Direction::Higher),
            _ => None,
        }
    }

    /// Whether `a` is better than `b` (NaN is never better).
    pub fn better(self, a: f64, b: f64) -> bool {
        match self {
            Direction::Lower => a < b,
            Direction::Higher => a > b,
        }
    }
}

/// The chart smoothing weights the page offers (0 is off), as on TensorBoard's slider.
pub const SMOOTHING_CHOICES: [f64; 6] = [0.0, 0.6, 0.8, 0.9, 0.95, 0.99];

/// The centred moving-average windows the page offers, in points.
pub const AVERAGE_CHOICES: [u32; 3] = [5, 25, 101];

/// The chart x axes the page offers.
pub const X_AXIS_CHOICES: [&str; 3] = ["step", "wall", "relative"];

/// The group centre lines the page offers.
pub const CENTRE_CHOICES: [&str; 2] = ["mean", "median"];

/// The group bands the page offers.
pub const BAND_CHOICES: [&str; 3] = ["std", "sem", "minmax"];

/// Metric key → direction.
pub type Directions = BTreeMap<String, Direction>;

/// The initial view. Every field is optional; the page applies each one through the same
/// path as a user's change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitialView {
    /// Filter query text (`docs/query-language.md`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// Grouping spec: `param:<key>`, `tag:<key>`, `experiment`, `group`, `source`, `status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Free-text search: runs whose name, id, experiment, group or a tag value holds every
    /// word.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<String>,
    /// A second grouping spec: each group split again by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group2: Option<String>,
    /// Fold small groups into one "others" group (the nine largest are kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fold: Option<bool>,
    /// Metric key of the chart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
    /// Column to sort by: `name`, `status`, `experiment`, `param:<key>`,
    /// `metric:<key>:last|min|max|mean`, `metric:<key>:at:<step>` (the value at the last
    /// logged step at or before `<step>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<String>,
    /// Sort largest first.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub descending: bool,
    /// Chart smoothing, TensorBoard's weight in `[0, 1)` (0 or absent: off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smoothing: Option<f64>,
    /// The table's columns, in order (ids as in `sort`, plus `source`, `group`, `started`,
    /// `duration`, `tag:<key>`; `metric:<key>:at:<step>` is a value at a step); absent: the
    /// default columns. The name
    /// is always first; ids the report lacks are skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<String>>,
    /// Columns kept in view beside the name when the table scrolls sideways.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned: Option<Vec<String>>,
    /// More charts: one per metric whose key matches this regular expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charts: Option<String>,
    /// Chart smoothing by a centred moving average of this many points (over `smoothing`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average: Option<u32>,
    /// The chart's x axis: `step`, `wall` (wall time) or `relative` (time since start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x_axis: Option<String>,
    /// Logarithmic x axis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_x: Option<bool>,
    /// Logarithmic y axis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_y: Option<bool>,
    /// Fit the y axis to the 1st–99th percentile of the drawn values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_outliers: Option<bool>,
    /// The band around each group's centre line: `std`, `sem` (standard error) or
    /// `minmax`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band: Option<String>,
    /// Each group's centre line: `mean` or `median` of its runs at each step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub centre: Option<String>,
    /// With groups, also draw each run faintly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_runs: Option<bool>,
    /// The hyperparameter panel is open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hparams: Option<bool>,
    /// The hyperparameter scatter's x column (a column id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hp_x: Option<String>,
    /// The hyperparameter scatter's y column, also the column bars and correlations show.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hp_y: Option<String>,
    /// Logarithmic x axis of the hyperparameter scatter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hp_log_x: Option<bool>,
    /// Logarithmic y axis of the hyperparameter scatter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hp_log_y: Option<bool>,
    /// Hide the table's columns whose value is the same for every visible run (absent: no).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff_only: Option<bool>,
    /// Ids of the runs ticked in the table (the chart then draws only those). Only the
    /// address's fragment carries them.
    #[serde(skip)]
    pub selected: Vec<String>,
    /// Metric directions set in the page (`<metric key>:lower|higher`), replacing the
    /// report's `[directions]` when present. Only the address's fragment carries them.
    #[serde(skip)]
    pub directions: Option<Vec<String>>,
    /// Value ranges held on parallel-coordinate axes (`<column id>:<low>:<high>`), a filter
    /// over every view. Only the address's fragment carries them.
    #[serde(skip)]
    pub brushes: Vec<String>,
    /// True when the comparison of the ticked runs is open. Only the address's fragment
    /// carries it.
    #[serde(skip)]
    pub compare: bool,
    /// The id of the run whose page is open. Only the address's fragment carries it (a
    /// link to one run's page); `runlens.toml` cannot set it.
    #[serde(skip)]
    pub run: Option<String>,
    /// The slug of the narrative page shown instead of the runs. Only the address's fragment
    /// carries it.
    #[serde(skip)]
    pub page: Option<String>,
}

impl InitialView {
    /// True when the view changes nothing.
    pub fn is_default(&self) -> bool {
        self == &InitialView::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_json_and_rejects_unknown_fields() {
        let view = InitialView {
            filter: Some("lr < 0.01".into()),
            sort: Some("metric:val/acc:last".into()),
            descending: true,
            ..InitialView::default()
        };
        let text = serde_json::to_string(&view).unwrap();
        assert_eq!(
            text,
            r#"{"filter":"lr < 0.01","sort":"metric:val/acc:last","descending":true}"#
        );
        assert_eq!(serde_json::from_str::<InitialView>(&text).unwrap(), view);
        assert!(serde_json::from_str::<InitialView>(r#"{"colour":"red"}"#).is_err());
        assert!(InitialView::default().is_default());
    }
}
