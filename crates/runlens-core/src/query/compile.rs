//! The compiled form of a query for one table: field names resolved to columns once,
//! dictionary columns turned into per-value lookup tables, then evaluated row by row.

use std::borrow::Cow;

use super::ast::{Attr, CmpOp, Expr, Field, Literal, Namespace, Summary, Test};
use crate::bundle::{DictColumn, MetricColumn, ParamCell, RunTable};
use crate::model::{RunStatus, format_float, parse_float};

/// A column a field resolved to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Col<'t> {
    /// Name or id.
    Strings(&'t [String]),
    /// Status codes.
    Status(&'t [u8]),
    /// Source, experiment, group or a tag.
    Dict(&'t DictColumn),
    /// Start or end time; NaN means absent.
    Time(&'t [f64]),
    /// End minus start.
    Duration(&'t [f64], &'t [f64]),
    /// A param.
    Param(&'t [Option<ParamCell>]),
    /// One summary of a metric.
    Metric(&'t MetricColumn, Summary),
}

/// Resolves `field` against `table`; `None` when nothing has that name.
pub(crate) fn resolve<'t>(field: &Field, table: &'t RunTable) -> Option<Col<'t>> {
    let param = |key: &str| {
        table
            .param_index(key)
            .map(|i| Col::Param(&table.params[i].cells))
    };
    let tag = |key: &str| {
        table
            .tag_index(key)
            .map(|i| Col::Dict(&table.tags[i].values))
    };
    let metric = |key: &str, summary: Summary| {
        table
            .metric_index(key)
            .map(|i| Col::Metric(&table.metrics[i], summary))
    };
    // Longest key first: `a.b.min` is the metric `a.b.min` if there is one, else `a.b`'s min.
    let metric_or_split = || {
        if let Some(summary) = field.summary {
            return metric(&field.key, summary);
        }
        metric(&field.key, Summary::Last).or_else(|| {
            let (stem, summary) = field.split.as_ref()?;
            metric(stem, *summary)
        })
    };
    match field.ns {
        Namespace::Param => param(&field.key),
        Namespace::Tag => tag(&field.key),
        Namespace::Metric => metric_or_split(),
        Namespace::Any => match field.attr {
            Some(attr) => Some(attribute(attr, table)),
            None if field.summary.is_some() => metric_or_split(),
            None => param(&field.key)
                .or_else(|| tag(&field.key))
                .or_else(metric_or_split),
        },
    }
}

fn attribute(attr: Attr, table: &RunTable) -> Col<'_> {
    match attr {
        Attr::Name => Col::Strings(&table.names),
        Attr::Id => Col::Strings(&table.ids),
        Attr::Status => Col::Status(&table.statuses),
        Attr::Experiment => Col::Dict(&table.experiments),
        Attr::Group => Col::Dict(&table.groups),
        Attr::Source => Col::Dict(&table.sources),
        Attr::StartTime => Col::Time(&table.start_times),
        Attr::EndTime => Col::Time(&table.end_times),
        Attr::Duration => Col::Duration(&table.start_times, &table.end_times),
    }
}

/// One run's value of a field.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Cell<'t> {
    /// A float.
    Num(f64),
    /// An integer (int params, counts, steps).
    Int(i64),
    /// A boolean param.
    Bool(bool),
    /// Text.
    Text(&'t str),
}

impl Cell<'_> {
    /// The number, for numbers, booleans and text that reads as one.
    fn number(&self) -> Option<f64> {
        match *self {
            Cell::Num(x) => Some(x),
            Cell::Int(i) => Some(i as f64),
            Cell::Bool(b) => Some(f64::from(u8::from(b))),
            Cell::Text(t) if t.eq_ignore_ascii_case("true") => Some(1.0),
            Cell::Text(t) if t.eq_ignore_ascii_case("false") => Some(0.0),
            Cell::Text(t) => parse_float(t),
        }
    }

    /// The text people see.
    fn text(&self) -> Cow<'_, str> {
        match *self {
            Cell::Num(x) => Cow::Owned(format_float(x)),
            Cell::Int(i) => Cow::Owned(i.to_string()),
            Cell::Bool(b) => Cow::Borrowed(if b { "true" } else { "false" }),
            Cell::Text(t) => Cow::Borrowed(t),
        }
    }
}

impl<'t> Col<'t> {
    /// The value of run `row`, `None` when the run lacks it.
    pub(crate) fn cell(self, row: usize) -> Option<Cell<'t>> {
        let present = |t: f64| (!t.is_nan()).then_some(t);
        match self {
            Col::Strings(v) => v.get(row).map(|s| Cell::Text(s)),
            Col::Status(codes) => codes.get(row).map(|&c| Cell::Text(status_of(c).as_str())),
            Col::Dict(d) => d.get(row).map(Cell::Text),
            Col::Time(v) => v.get(row).copied().and_then(present).map(Cell::Num),
            Col::Duration(start, end) => {
                let start = start.get(row).copied().and_then(present)?;
                let end = end.get(row).copied().and_then(present)?;
                Some(Cell::Num(end - start))
            }
            Col::Param(cells) => Some(match cells.get(row)?.as_ref()? {
                ParamCell::Bool(b) => Cell::Bool(*b),
                ParamCell::Int(i) => Cell::Int(*i),
                ParamCell::Float(x) => Cell::Num(*x),
                ParamCell::Text(t) => Cell::Text(t),
            }),
            Col::Metric(c, summary) => {
                if *c.count.get(row)? == 0 {
                    return None;
                }
                let int = |v: &[i64]| v.get(row).map(|&i| Cell::Int(i));
                let num = |v: &[f64]| v.get(row).map(|&x| Cell::Num(x));
                match summary {
                    Summary::Last => num(&c.last),
                    Summary::Min => num(&c.min),
                    Summary::Max => num(&c.max),
                    Summary::Mean => num(&c.mean),
                    Summary::Count => c
                        .count
                        .get(row)
                        .map(|&n| Cell::Int(i64::try_from(n).unwrap_or(i64::MAX))),
                    Summary::FirstStep => int(&c.first_step),
                    Summary::LastStep => int(&c.last_step),
                }
            }
        }
    }
}

fn status_of(code: u8) -> RunStatus {
    RunStatus::from_code(code).unwrap_or_default()
}

/// Whether a present `cell` passes `test`; `status` enables status-name leniency.
fn passes(cell: &Cell<'_>, test: &Test, status: bool) -> bool {
    match test {
        Test::Has => true,
        Test::Cmp(op, literal) => compare(cell, *op, literal, status),
        Test::In { values, negated } => {
            values
                .iter()
                .any(|literal| compare(cell, CmpOp::Eq, literal, status))
                != *negated
        }
        Test::Contains(needle) => contains_ignore_case(&cell.text(), needle),
        Test::Regex { regex, negated } => regex.is_match(&cell.text()) != *negated,
    }
}

/// Numeric comparison when both sides are numbers, text comparison otherwise.
fn compare(cell: &Cell<'_>, op: CmpOp, literal: &Literal, status: bool) -> bool {
    if let Some(right) = literal.num
        && let Some(left) = cell.number()
    {
        return match left.partial_cmp(&right) {
            Some(ordering) => op.accepts(ordering),
            None => op == CmpOp::Ne,
        };
    }
    let mut right = literal.text.as_str();
    if status && matches!(op, CmpOp::Eq | CmpOp::Ne) {
        // Status names are matched the way trackers spell them: `FAILED`, `completed`.
        if let Some(parsed) = RunStatus::parse_lenient(right) {
            right = parsed.as_str();
        }
    }
    op.accepts(cell.text().as_ref().cmp(right))
}

/// Case-insensitive substring test; `needle` is already lowercase.
fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    if haystack.is_ascii() && needle.is_ascii() {
        let (hay, pin) = (haystack.as_bytes(), needle.as_bytes());
        pin.is_empty() || hay.windows(pin.len()).any(|w| w.eq_ignore_ascii_case(pin))
    } else {
        haystack.to_lowercase().contains(needle)
    }
}

/// A query bound to one table.
#[derive(Debug)]
pub(crate) enum Node<'q, 't> {
    /// The same answer for every run.
    Const(bool),
    /// All operands hold.
    All(Vec<Node<'q, 't>>),
    /// Some operand holds.
    Any(Vec<Node<'q, 't>>),
    /// The operand does not hold.
    Not(Box<Node<'q, 't>>),
    /// Evaluate the test on the run's cell.
    Row {
        /// Where the value is.
        col: Col<'t>,
        /// What to check.
        test: &'q Test,
    },
    /// Answer per dictionary code, precomputed; index 0 is "absent".
    Lookup {
        /// One code per run.
        codes: &'t [u32],
        /// Answer per code.
        hits: Vec<bool>,
    },
    /// Answer per status code, precomputed for all 256 codes.
    StatusLookup {
        /// One code per run.
        codes: &'t [u8],
        /// Answer per code.
        hits: Vec<bool>,
    },
}

/// Binds `expr` to `table`. With `precompute`, tests on dictionary-encoded columns are
/// evaluated once per distinct value (worth it when many rows will be evaluated).
pub(crate) fn compile<'q, 't>(
    expr: &'q Expr,
    table: &'t RunTable,
    precompute: bool,
) -> Node<'q, 't> {
    match expr {
        Expr::And(items) => {
            let nodes: Vec<Node> = items
                .iter()
                .map(|e| compile(e, table, precompute))
                .collect();
            if nodes.iter().any(|n| matches!(n, Node::Const(false))) {
                return Node::Const(false);
            }
            let nodes: Vec<Node> = nodes
                .into_iter()
                .filter(|n| !matches!(n, Node::Const(true)))
                .collect();
            if nodes.is_empty() {
                Node::Const(true)
            } else {
                Node::All(nodes)
            }
        }
        Expr::Or(items) => {
            let nodes: Vec<Node> = items
                .iter()
                .map(|e| compile(e, table, precompute))
                .collect();
            if nodes.iter().any(|n| matches!(n, Node::Const(true))) {
                return Node::Const(true);
            }
            let nodes: Vec<Node> = nodes
                .into_iter()
                .filter(|n| !matches!(n, Node::Const(false)))
                .collect();
            if nodes.is_empty() {
                Node::Const(false)
            } else {
                Node::Any(nodes)
            }
        }
        Expr::Not(inner) => match compile(inner, table, precompute) {
            Node::Const(b) => Node::Const(!b),
            node => Node::Not(Box::new(node)),
        },
        Expr::Test(field, test) => match resolve(field, table) {
            // An unknown field is absent from every run.
            None => Node::Const(false),
            Some(Col::Dict(dict)) if precompute && dict.values.len() < table.len() => {
                let hits = std::iter::once(false)
                    .chain(
                        dict.values
                            .iter()
                            .map(|v| passes(&Cell::Text(v), test, false)),
                    )
                    .collect();
                Node::Lookup {
                    codes: &dict.codes,
                    hits,
                }
            }
            Some(Col::Status(codes)) if precompute => {
                let by_status: Vec<bool> = RunStatus::ALL
                    .iter()
                    .map(|s| passes(&Cell::Text(s.as_str()), test, true))
                    .collect();
                let hits = (0..=u8::MAX)
                    .map(|code| {
                        by_status
                            .get(usize::from(status_of(code).code()))
                            .copied()
                            .unwrap_or(false)
                    })
                    .collect();
                Node::StatusLookup { codes, hits }
            }
            Some(col) => Node::Row { col, test },
        },
    }
}

impl Node<'_, '_> {
    /// Whether run `row` matches.
    pub(crate) fn eval(&self, row: usize) -> bool {
        match self {
            Node::Const(b) => *b,
            Node::All(nodes) => nodes.iter().all(|n| n.eval(row)),
            Node::Any(nodes) => nodes.iter().any(|n| n.eval(row)),
            Node::Not(node) => !node.eval(row),
            Node::Row { col, test } => col
                .cell(row)
                .is_some_and(|cell| passes(&cell, test, matches!(col, Col::Status(_)))),
            Node::Lookup { codes, hits } => codes
                .get(row)
                .and_then(|&c| hits.get(c as usize))
                .copied()
                .unwrap_or(false),
            Node::StatusLookup { codes, hits } => codes
                .get(row)
                .and_then(|&c| hits.get(usize::from(c)))
                .copied()
                .unwrap_or(false),
        }
    }
}
