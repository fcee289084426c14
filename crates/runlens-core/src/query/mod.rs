//! The filter language of the runs page: `parse` text such as `lr < 1e-3 and status == failed`
//! into a [`Query`], then `filter` a [`RunTable`] with it. Reference: `docs/query-language.md`.

mod ast;
mod compile;
mod lexer;
mod parser;
mod pattern;
mod suggest;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_eval;

use thiserror::Error;

use crate::bundle::RunTable;

/// A parsed filter; the empty query matches every run.
#[derive(Debug, Clone)]
pub struct Query {
    root: Option<ast::Expr>,
}

/// Why a query could not be parsed (or names a field the table lacks).
#[derive(Debug, Clone, PartialEq, Error)]
#[error("{message} (at column {column})")]
pub struct QueryError {
    /// What is wrong, for people.
    pub message: String,
    /// 0-based char offset of the offending place in the query text.
    pub position: usize,
    /// 1-based column of the same place (`position + 1`).
    pub column: usize,
}

impl QueryError {
    /// An error at char offset `position`.
    pub fn new(message: impl Into<String>, position: usize) -> Self {
        QueryError {
            message: message.into(),
            position,
            column: position + 1,
        }
    }
}

/// Parses a query; empty or whitespace-only text gives a query matching every run.
pub fn parse(text: &str) -> Result<Query, QueryError> {
    Ok(Query {
        root: parser::parse_expr(text)?,
    })
}

impl Query {
    /// Whether run `row` of `table` matches (rows beyond the table never match).
    ///
    /// Resolves field names on every call; use [`Query::filter`] for many rows.
    pub fn matches(&self, table: &RunTable, row: usize) -> bool {
        match &self.root {
            None => row < table.len(),
            Some(expr) => row < table.len() && compile::compile(expr, table, false).eval(row),
        }
    }

    /// The rows of `table` that match, ascending.
    pub fn filter(&self, table: &RunTable) -> Vec<usize> {
        let rows = 0..table.len();
        match &self.root {
            None => rows.collect(),
            Some(expr) => {
                let node = compile::compile(expr, table, true);
                rows.filter(|&row| node.eval(row)).collect()
            }
        }
    }

    /// True for the empty query, which matches every run.
    pub fn is_empty(&self) -> bool {
        self.root.is_none()
    }

    /// Reports the first field that names no attribute, param, tag or metric of `table`,
    /// with a "did you mean" suggestion when a known name is close.
    ///
    /// Such a field is absent from every run, so it never matches a comparison.
    pub fn check(&self, table: &RunTable) -> Result<(), QueryError> {
        match &self.root {
            None => Ok(()),
            Some(expr) => suggest::check(expr, table),
        }
    }
}
