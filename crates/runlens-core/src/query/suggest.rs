//! Checking a query's field names against a table, with "did you mean" suggestions
//! for the ones that match nothing.

use super::QueryError;
use super::ast::{Attr, Expr, Field, Namespace, Summary};
use super::compile::resolve;
use super::parser::quote_key;
use crate::bundle::RunTable;

/// The first unknown field of `expr`, as an error.
pub(crate) fn check(expr: &Expr, table: &RunTable) -> Result<(), QueryError> {
    let mut unknown = None;
    expr.for_each_field(&mut |field| {
        if resolve(field, table).is_some() {
            true
        } else {
            unknown = Some(field);
            false
        }
    });
    let Some(field) = unknown else {
        return Ok(());
    };
    let message = match suggestion(field, table) {
        Some(name) => format!("unknown field '{}'; did you mean '{name}'?", field.text),
        None => format!(
            "unknown field '{}': no attribute, param, tag or metric has that name",
            field.text
        ),
    };
    Err(QueryError::new(message, field.position))
}

/// The known name closest to `field`, written the way the query would need it.
fn suggestion(field: &Field, table: &RunTable) -> Option<String> {
    let metric_names = || {
        table.metrics.iter().flat_map(|m| {
            std::iter::once(m.key.clone()).chain(
                Summary::ALL
                    .iter()
                    .map(move |s| format!("{}.{}", m.key, s.name())),
            )
        })
    };
    let typed = match field.summary {
        Some(summary) => format!("{}.{}", field.key, summary.name()),
        None => field.key.clone(),
    };
    let candidates: Vec<String> = match field.ns {
        Namespace::Param => table.params.iter().map(|c| c.key.clone()).collect(),
        Namespace::Tag => table.tags.iter().map(|c| c.key.clone()).collect(),
        Namespace::Metric => metric_names().collect(),
        Namespace::Any => Attr::ALL
            .iter()
            .map(|a| a.name().to_string())
            .chain(table.params.iter().map(|c| c.key.clone()))
            .chain(table.tags.iter().map(|c| c.key.clone()))
            .chain(metric_names())
            .collect(),
    };
    let best = closest(&typed, &candidates)?;
    // Keys with a summary suffix stay readable when the key itself needs back-quotes.
    let written = match best.rsplit_once('.') {
        Some((stem, suffix))
            if field.ns != Namespace::Param
                && field.ns != Namespace::Tag
                && Summary::from_name(suffix).is_some()
                && table.metric_index(stem).is_some()
                && table.metric_index(best).is_none()
                && quote_key(best) != best =>
        {
            format!("{}.{suffix}", quote_key(stem))
        }
        _ => quote_key(best),
    };
    Some(format!("{}{written}", field.prefix))
}

/// Picks the candidate closest to `typed`: same name in another case, else edit distance
/// at most 2, else a name that starts with what was typed (the shortest one).
fn closest<'c>(typed: &str, candidates: &'c [String]) -> Option<&'c str> {
    let typed_lower = typed.to_lowercase();
    let typed_len = typed_lower.chars().count();
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        let lower = candidate.to_lowercase();
        let len = lower.chars().count();
        if len.abs_diff(typed_len) > 2 {
            continue;
        }
        let distance = edit_distance(&typed_lower, &lower);
        if distance <= 2 && distance < typed_len && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    if let Some((_, name)) = best {
        return Some(name);
    }
    candidates
        .iter()
        .filter(|c| typed_len >= 2 && c.to_lowercase().starts_with(&typed_lower))
        .min_by_key(|c| c.chars().count())
        .map(String::as_str)
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        current[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitute.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_single_char_edits() {
        assert_eq!(edit_distance("lr", "lr"), 0);
        assert_eq!(edit_distance("lrr", "lr"), 1);
        assert_eq!(edit_distance("optimzer", "optimizer"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn closest_prefers_small_distance_then_prefix() {
        let names: Vec<String> = ["lr", "loss", "learning_rate_warmup"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(closest("lrr", &names), Some("lr"));
        assert_eq!(closest("LOSS", &names), Some("loss"));
        assert_eq!(closest("learning", &names), Some("learning_rate_warmup"));
        assert_eq!(closest("zzzz", &names), None);
    }
}
