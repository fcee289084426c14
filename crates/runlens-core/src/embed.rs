//! Live blocks of narrative pages: a fenced ` ```runlens ` block in a page's markdown names
//! the runs (a filter), how to group them and which metric to show; the page draws a table
//! and a chart from the report's data. The CLI checks every block when it builds the report;
//! the page resolves them against the run table.
//!
//! ```text
//! title: Adam runs by learning rate
//! filter: optimizer == "adam"
//! group: param:lr
//! metric: val/acc
//! show: both
//! ```
//!
//! Every key is optional; blank lines and lines starting with `#` are ignored.

use crate::bundle::RunTable;
use crate::group::{Group, GroupKey, group_rows};
use crate::query;

/// What a block shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    /// The chart and the table under it.
    Both,
    /// Only the chart.
    Chart,
    /// Only the table.
    Table,
}

/// A parsed block.
#[derive(Debug, Clone, PartialEq)]
pub struct Embed {
    /// A caption.
    pub title: Option<String>,
    /// Filter query (`docs/query-language.md`); empty keeps every run.
    pub filter: String,
    /// Grouping.
    pub group: Option<GroupKey>,
    /// Metric key of the chart; the report's default metric when absent.
    pub metric: Option<String>,
    /// Chart, table or both.
    pub show: Show,
}

/// A block's runs, grouped, and its metric, resolved against a run table.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// Rows the filter keeps, in table order.
    pub rows: Vec<usize>,
    /// The groups of `rows`, when grouped.
    pub groups: Option<Vec<Group>>,
    /// Index of the charted metric, when there is one.
    pub metric: Option<usize>,
}

/// Parses a block's text; the error names the 1-based line.
pub fn parse(text: &str) -> Result<Embed, String> {
    let mut embed = Embed {
        title: None,
        filter: String::new(),
        group: None,
        metric: None,
        show: Show::Both,
    };
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = number + 1;
        let Some((key, value)) = line.split_once(':') else {
            return Err(format!("line {at}: expected `key: value`, found {line:?}"));
        };
        let value = value.trim();
        match key.trim() {
            "title" => embed.title = Some(value.to_string()),
            "filter" => embed.filter = value.to_string(),
            "group" => {
                embed.group = Some(GroupKey::parse(value).ok_or_else(|| {
                    format!("line {at}: group {value:?} is not a grouping; use param:<key>, tag:<key>, experiment, group, source, status or parent")
                })?);
            }
            "metric" => embed.metric = Some(value.to_string()),
            "show" => {
                embed.show = match value {
                    "both" => Show::Both,
                    "chart" => Show::Chart,
                    "table" => Show::Table,
                    _ => {
                        return Err(format!(
                            "line {at}: show {value:?}: use chart, table or both"
                        ));
                    }
                }
            }
            other => {
                return Err(format!(
                    "line {at}: unknown key {other:?}; use title, filter, group, metric or show"
                ));
            }
        }
    }
    Ok(embed)
}

impl Embed {
    /// The block's runs and metric in `table`; `default_metric` is used when the block
    /// names none. Errors say what does not match the data.
    pub fn resolve(
        &self,
        table: &RunTable,
        default_metric: Option<usize>,
    ) -> Result<Resolved, String> {
        let query = query::parse(&self.filter)
            .and_then(|q| q.check(table).map(|()| q))
            .map_err(|e| format!("filter {:?}: {e}", self.filter))?;
        let rows = if query.is_empty() {
            (0..table.len()).collect()
        } else {
            query.filter(table)
        };
        let metric = match &self.metric {
            Some(key) => Some(
                table
                    .metric_index(key)
                    .ok_or_else(|| format!("metric {key:?} is not logged by any run"))?,
            ),
            None => default_metric,
        };
        let groups = self.group.as_ref().map(|key| group_rows(table, &rows, key));
        Ok(Resolved {
            rows,
            groups,
            metric,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{MetricSeries, ParamValue, Run};

    fn table() -> RunTable {
        let runs: Vec<Run> = (0..4)
            .map(|i| {
                let mut run = Run {
                    id: format!("r{i}"),
                    ..Run::default()
                };
                run.params
                    .insert("lr".into(), ParamValue::Float([0.1, 0.01][i % 2]));
                let mut series = MetricSeries::default();
                series.push(0, i as f64, None);
                run.metrics.insert("acc".into(), series);
                run
            })
            .collect();
        RunTable::from_runs("t", &runs, &[])
    }

    #[test]
    fn blocks_parse_and_resolve() {
        let embed = parse("# a comment\ntitle: By lr\nfilter: lr < 0.05\n\ngroup: param:lr\nmetric: acc\nshow: chart\n").unwrap();
        assert_eq!(embed.title.as_deref(), Some("By lr"));
        assert_eq!(embed.show, Show::Chart);
        let resolved = embed.resolve(&table(), None).unwrap();
        assert_eq!(resolved.rows, [1, 3]);
        assert_eq!(resolved.metric, Some(0));
        assert_eq!(resolved.groups.unwrap().len(), 1);
        let all = parse("").unwrap().resolve(&table(), None).unwrap();
        assert_eq!(all.rows.len(), 4);
        assert_eq!(all.metric, None);
    }

    #[test]
    fn mistakes_name_the_line_or_the_missing_data() {
        assert!(parse("metric acc").unwrap_err().starts_with("line 1:"));
        assert!(
            parse("\ncolour: red")
                .unwrap_err()
                .contains("line 2: unknown key \"colour\"")
        );
        assert!(parse("group: lr").unwrap_err().contains("not a grouping"));
        assert!(
            parse("show: pie")
                .unwrap_err()
                .contains("chart, table or both")
        );
        let t = table();
        assert!(
            parse("metric: loss")
                .unwrap()
                .resolve(&t, None)
                .unwrap_err()
                .contains("\"loss\" is not logged")
        );
        assert!(
            parse("filter: lr <")
                .unwrap()
                .resolve(&t, None)
                .unwrap_err()
                .starts_with("filter")
        );
    }
}
