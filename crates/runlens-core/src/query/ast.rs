//! The parsed form of a query: boolean structure over tests of one field each.
//! Field names are kept as written; they are resolved against a table later.

use std::cmp::Ordering;

use super::pattern::Pattern;

/// A boolean expression over per-run tests.
#[derive(Debug, Clone)]
pub(crate) enum Expr {
    /// Every operand holds.
    And(Vec<Expr>),
    /// At least one operand holds.
    Or(Vec<Expr>),
    /// The operand does not hold.
    Not(Box<Expr>),
    /// One test of one field.
    Test(Field, Test),
}

impl Expr {
    /// Calls `visit` on every field, in the order they appear in the text.
    pub(crate) fn for_each_field<'a>(&'a self, visit: &mut dyn FnMut(&'a Field) -> bool) -> bool {
        match self {
            Expr::And(items) | Expr::Or(items) => items.iter().all(|e| e.for_each_field(visit)),
            Expr::Not(inner) => inner.for_each_field(visit),
            Expr::Test(field, _) => visit(field),
        }
    }
}

/// What is done with a field's value.
#[derive(Debug, Clone)]
pub(crate) enum Test {
    /// The run has the field.
    Has,
    /// `field <op> value`.
    Cmp(CmpOp, Literal),
    /// `field in [...]` (or `not in` when `negated`).
    In {
        /// The listed values.
        values: Vec<Literal>,
        /// True for `not in`.
        negated: bool,
    },
    /// `field contains "text"`; the needle is stored lowercased.
    Contains(String),
    /// `field ~ "regex"` (or `!~` when `negated`).
    Regex {
        /// The compiled pattern.
        regex: Pattern,
        /// True for `!~`.
        negated: bool,
    },
}

/// A value written in the query, with its numeric reading when it is a number.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Literal {
    /// The text compared with text fields (unescaped for quoted strings).
    pub text: String,
    /// The number for numbers, durations (seconds) and `true`/`false` (1/0).
    pub num: Option<f64>,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    /// `==` or `=`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

impl CmpOp {
    /// Whether `left <op> right` holds when `left.cmp(right)` is `ordering`.
    pub(crate) fn accepts(self, ordering: Ordering) -> bool {
        match self {
            CmpOp::Eq => ordering == Ordering::Equal,
            CmpOp::Ne => ordering != Ordering::Equal,
            CmpOp::Lt => ordering == Ordering::Less,
            CmpOp::Le => ordering != Ordering::Greater,
            CmpOp::Gt => ordering == Ordering::Greater,
            CmpOp::Ge => ordering != Ordering::Less,
        }
    }
}

/// Where a field name points before the table is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Namespace {
    /// A bare name: attribute, else param, else tag, else metric.
    Any,
    /// `params.X` / `param.X`.
    Param,
    /// `tags.X` / `tag.X`.
    Tag,
    /// `metrics.X`.
    Metric,
}

/// A field as written in the query.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Field {
    /// Which kind of column the name may resolve to.
    pub ns: Namespace,
    /// The key without namespace prefix (the whole name for bare names).
    pub key: String,
    /// The built-in attribute of that name, for bare names.
    pub attr: Option<Attr>,
    /// A summary written after a back-quoted metric key (`` metrics.`a b`.min ``).
    pub summary: Option<Summary>,
    /// `key` split as `stem.summary`, tried when `key` itself is no metric.
    pub split: Option<(String, Summary)>,
    /// The namespace prefix as written (`params.`, `tag.`, ...), empty for bare names.
    pub prefix: String,
    /// The field as written, for messages.
    pub text: String,
    /// Char offset of the field in the query.
    pub position: usize,
}

/// A run attribute every table has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attr {
    /// Run name.
    Name,
    /// Run id.
    Id,
    /// Lifecycle status.
    Status,
    /// Experiment.
    Experiment,
    /// Tracker group.
    Group,
    /// Reader that produced the run.
    Source,
    /// Start time, epoch seconds.
    StartTime,
    /// End time, epoch seconds.
    EndTime,
    /// End − start, seconds.
    Duration,
}

impl Attr {
    /// Every attribute, in the order suggestions list them.
    pub(crate) const ALL: [Attr; 9] = [
        Attr::Name,
        Attr::Id,
        Attr::Status,
        Attr::Experiment,
        Attr::Group,
        Attr::Source,
        Attr::StartTime,
        Attr::EndTime,
        Attr::Duration,
    ];

    /// The name used in queries.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Attr::Name => "name",
            Attr::Id => "id",
            Attr::Status => "status",
            Attr::Experiment => "experiment",
            Attr::Group => "group",
            Attr::Source => "source",
            Attr::StartTime => "start_time",
            Attr::EndTime => "end_time",
            Attr::Duration => "duration",
        }
    }

    /// The attribute called `name`, if any.
    pub(crate) fn from_name(name: &str) -> Option<Attr> {
        Attr::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// Which per-run summary of a metric a field reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Summary {
    /// Value of the last point.
    Last,
    /// Smallest value.
    Min,
    /// Largest value.
    Max,
    /// Mean of the finite values.
    Mean,
    /// Number of points.
    Count,
    /// Smallest step.
    FirstStep,
    /// Largest step.
    LastStep,
}

impl Summary {
    /// Every summary.
    pub(crate) const ALL: [Summary; 7] = [
        Summary::Last,
        Summary::Min,
        Summary::Max,
        Summary::Mean,
        Summary::Count,
        Summary::FirstStep,
        Summary::LastStep,
    ];

    /// The suffix used in queries.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Summary::Last => "last",
            Summary::Min => "min",
            Summary::Max => "max",
            Summary::Mean => "mean",
            Summary::Count => "count",
            Summary::FirstStep => "first_step",
            Summary::LastStep => "last_step",
        }
    }

    /// The summary called `name`, if any.
    pub(crate) fn from_name(name: &str) -> Option<Summary> {
        Summary::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Splits `a.b.min` into (`a.b`, min) when the last segment names a summary.
    pub(crate) fn split(key: &str) -> Option<(String, Summary)> {
        let (stem, suffix) = key.rsplit_once('.')?;
        let summary = Summary::from_name(suffix)?;
        (!stem.is_empty()).then(|| (stem.to_string(), summary))
    }
}
