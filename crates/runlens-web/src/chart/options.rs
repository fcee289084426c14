//! How a chart draws its runs: the x axis (step, wall time, time since the run started),
//! log scales, smoothing, outlier-proof y range, the band drawn around each group's mean
//! (with or without its runs), and the zoomed x range. Every option has a short name used
//! in the address's fragment and the author's view.

use runlens_core::bundle::RunTable;

use super::smooth::Smoothing;

/// What the x axis measures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum XAxis {
    /// The logged step.
    #[default]
    Step,
    /// The time each point was logged (a date axis).
    WallTime,
    /// Time since the run started.
    Relative,
    /// Another logged metric (by index), matched to the charted one step by step.
    Metric(usize),
}

impl XAxis {
    /// The choices besides metrics, in menu order.
    pub const ALL: [XAxis; 3] = [XAxis::Step, XAxis::WallTime, XAxis::Relative];

    /// The short name (`step`, `wall`, `relative`; `metric` for any metric).
    pub fn name(self) -> &'static str {
        match self {
            XAxis::Step => "step",
            XAxis::WallTime => "wall",
            XAxis::Relative => "relative",
            XAxis::Metric(_) => "metric",
        }
    }

    /// What the menu and notes say (a metric's key for a metric).
    pub fn label(self, table: &RunTable) -> String {
        match self {
            XAxis::Step => "step".to_string(),
            XAxis::WallTime => "wall time".to_string(),
            XAxis::Relative => "time since start".to_string(),
            XAxis::Metric(index) => table
                .metrics
                .get(index)
                .map_or_else(String::new, |m| m.key.clone()),
        }
    }

    /// The value in the menu and the fragment: the name, or `metric:<key>`.
    pub fn value(self, table: &RunTable) -> String {
        match self {
            XAxis::Metric(_) => format!("metric:{}", self.label(table)),
            other => other.name().to_string(),
        }
    }

    /// The choice named `name` (not a metric).
    pub fn parse(name: &str) -> Option<XAxis> {
        XAxis::ALL.into_iter().find(|x| x.name() == name)
    }

    /// The choice a menu or fragment value names: a name, or `metric:<key>` of a metric
    /// of `table`.
    pub fn parse_value(value: &str, table: &RunTable) -> Option<XAxis> {
        match value.strip_prefix("metric:") {
            Some(key) => table.metric_index(key).map(XAxis::Metric),
            None => XAxis::parse(value),
        }
    }
}

/// The line drawn through each group: the runs' mean or median at each step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Centre {
    /// The mean of the runs' values.
    #[default]
    Mean,
    /// The median of the runs' values (one wild run does not move it).
    Median,
}

impl Centre {
    /// Every choice, in menu order.
    pub const ALL: [Centre; 2] = [Centre::Mean, Centre::Median];

    /// The short name and what the menu says (`mean`, `median`).
    pub fn name(self) -> &'static str {
        match self {
            Centre::Mean => "mean",
            Centre::Median => "median",
        }
    }

    /// The choice named `name`.
    pub fn parse(name: &str) -> Option<Centre> {
        Centre::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// The band drawn around a group's centre line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BandKind {
    /// ± one sample standard deviation.
    #[default]
    Std,
    /// ± one standard error of the mean (std / √n).
    StdErr,
    /// From the smallest to the largest run.
    MinMax,
}

impl BandKind {
    /// Every choice, in menu order.
    pub const ALL: [BandKind; 3] = [BandKind::Std, BandKind::StdErr, BandKind::MinMax];

    /// The short name (`std`, `sem`, `minmax`).
    pub fn name(self) -> &'static str {
        match self {
            BandKind::Std => "std",
            BandKind::StdErr => "sem",
            BandKind::MinMax => "minmax",
        }
    }

    /// What the menu and the chart's note say.
    pub fn label(self) -> &'static str {
        match self {
            BandKind::Std => "± std",
            BandKind::StdErr => "± standard error",
            BandKind::MinMax => "min to max",
        }
    }

    /// The choice named `name`.
    pub fn parse(name: &str) -> Option<BandKind> {
        BandKind::ALL.into_iter().find(|b| b.name() == name)
    }
}

/// Everything about how a chart is drawn, beside which runs it draws.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChartOptions {
    /// The x axis.
    pub x: XAxis,
    /// Logarithmic x axis.
    pub log_x: bool,
    /// Logarithmic y axis.
    pub log_y: bool,
    /// Smoothing of every line (the raw line drawn faint behind a smoothed run).
    pub smoothing: Smoothing,
    /// Fit the y axis to the 1st–99th percentile of the values drawn.
    pub ignore_outliers: bool,
    /// The line through each group.
    pub centre: Centre,
    /// The band around each group's centre line.
    pub band: BandKind,
    /// With groups, also draw each run faintly.
    pub show_runs: bool,
    /// The zoomed x range (axis units), drawn at full resolution.
    pub x_range: Option<(f64, f64)>,
    /// A small chart of the grid: shorter, without a legend.
    pub compact: bool,
    /// Width of the chart's box in CSS pixels, when known: lines are downsampled to about
    /// the plot's width (not part of the view; the page sets it before each drawing).
    pub width: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for x in XAxis::ALL {
            assert_eq!(XAxis::parse(x.name()), Some(x));
        }
        for b in BandKind::ALL {
            assert_eq!(BandKind::parse(b.name()), Some(b));
        }
        for c in Centre::ALL {
            assert_eq!(Centre::parse(c.name()), Some(c));
        }
        assert_eq!(Centre::parse("mode"), None);
        assert_eq!(XAxis::parse("epoch"), None);
        assert_eq!(ChartOptions::default().x, XAxis::Step);
    }
}
