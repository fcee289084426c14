//! Regex patterns for `~` and `!~`: regex-lite, with a fast path for patterns that are
//! plain text with optional `^`/`$` anchors (regex-lite has no literal optimizations).

use regex_lite::Regex;

/// A compiled pattern.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    regex: Regex,
    literal: Option<Literal>,
}

/// A pattern without metacharacters: a substring, prefix, suffix or whole-text test.
#[derive(Debug, Clone, PartialEq)]
struct Literal {
    text: String,
    start: bool,
    end: bool,
}

impl Pattern {
    /// Compiles `source`; the error is regex-lite's message.
    pub(crate) fn new(source: &str) -> Result<Pattern, String> {
        let regex = Regex::new(source).map_err(|e| e.to_string())?;
        Ok(Pattern {
            regex,
            literal: literal(source),
        })
    }

    /// Whether the pattern matches somewhere in `haystack`.
    pub(crate) fn is_match(&self, haystack: &str) -> bool {
        match &self.literal {
            Some(Literal { text, start, end }) => match (start, end) {
                (true, true) => haystack == text,
                (true, false) => haystack.starts_with(text.as_str()),
                (false, true) => haystack.ends_with(text.as_str()),
                (false, false) => haystack.contains(text.as_str()),
            },
            None => self.regex.is_match(haystack),
        }
    }
}

fn literal(source: &str) -> Option<Literal> {
    let (start, body) = match source.strip_prefix('^') {
        Some(rest) => (true, rest),
        None => (false, source),
    };
    let (end, body) = match body.strip_suffix('$') {
        Some(rest) => (true, rest),
        None => (false, body),
    };
    let plain = !body.contains(|c: char| "\\.+*?()|[]{}^$".contains(c));
    plain.then(|| Literal {
        text: body.to_string(),
        start,
        end,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_patterns_take_the_fast_path_and_agree_with_the_regex() {
        let hays = ["", "run-1", "xrun-1", "run-10", "RUN-1", "a$b", "é-run-1"];
        for source in ["run-1", "^run-1", "run-1$", "^run-1$", "^$", "", "^", "$"] {
            let pattern = Pattern::new(source).unwrap();
            assert!(pattern.literal.is_some(), "{source}");
            for hay in hays {
                assert_eq!(
                    pattern.is_match(hay),
                    pattern.regex.is_match(hay),
                    "{source} on {hay}"
                );
            }
        }
        for source in ["a.b", "a\\$", "(?i)run", "a$b", "^^a", "[a]", "\\d"] {
            assert!(literal(source).is_none(), "{source}");
        }
        assert!(Pattern::new("(").is_err());
    }
}
