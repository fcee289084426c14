//! Recursive-descent parser: tokens to an [`Expr`], with `or` < `and` < `not` precedence
//! and errors that name what was expected and where.

use super::QueryError;
use super::ast::{Attr, Expr, Field, Literal, Namespace, Summary, Test};
use super::lexer::{Keyword, NamePart, Tok, Token, is_word_char, is_word_start, tokenize};
use super::pattern::Pattern;

/// Parentheses and `not`s deeper than this are refused (keeps recursion bounded).
const MAX_DEPTH: usize = 64;

/// Parses `text`; `Ok(None)` for an empty query.
pub(crate) fn parse_expr(text: &str) -> Result<Option<Expr>, QueryError> {
    let tokens = tokenize(text)?;
    let mut parser = Parser {
        tokens,
        at: 0,
        depth: 0,
    };
    if parser.peek().tok == Tok::End {
        return Ok(None);
    }
    let expr = parser.or(None)?;
    let token = parser.peek();
    match token.tok {
        Tok::End => Ok(Some(expr)),
        Tok::RParen => Err(QueryError::new(
            "unmatched ')': no '(' is open here",
            token.position,
        )),
        _ => Err(QueryError::new(
            format!(
                "unexpected {}; expected 'and', 'or' or the end of the query",
                token.describe()
            ),
            token.position,
        )),
    }
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        // The lexer always ends the list with `End`, and `bump` never moves past it.
        &self.tokens[self.at.min(self.tokens.len() - 1)]
    }

    fn bump(&mut self) -> Token {
        let token = self.peek().clone();
        if token.tok != Tok::End {
            self.at += 1;
        }
        token
    }

    /// `and_expr ('or' and_expr)*`; `after` is the token before, for messages.
    fn or(&mut self, after: Option<&Token>) -> Result<Expr, QueryError> {
        let mut items = vec![self.and(after)?];
        while matches!(self.peek().tok, Tok::Keyword(Keyword::Or) | Tok::OrOp) {
            let op = self.bump();
            items.push(self.and(Some(&op))?);
        }
        Ok(if items.len() == 1 {
            items.swap_remove(0)
        } else {
            Expr::Or(items)
        })
    }

    fn and(&mut self, after: Option<&Token>) -> Result<Expr, QueryError> {
        let mut items = vec![self.not(after)?];
        while matches!(self.peek().tok, Tok::Keyword(Keyword::And) | Tok::AndOp) {
            let op = self.bump();
            items.push(self.not(Some(&op))?);
        }
        Ok(if items.len() == 1 {
            items.swap_remove(0)
        } else {
            Expr::And(items)
        })
    }

    fn not(&mut self, after: Option<&Token>) -> Result<Expr, QueryError> {
        let token = self.peek().clone();
        match token.tok {
            Tok::Keyword(Keyword::Not) | Tok::Bang => {
                self.bump();
                self.enter(&token)?;
                let inner = self.not(Some(&token))?;
                self.depth -= 1;
                Ok(Expr::Not(Box::new(inner)))
            }
            Tok::LParen => {
                self.bump();
                self.enter(&token)?;
                let inner = self.or(Some(&token))?;
                self.depth -= 1;
                let close = self.peek();
                if close.tok != Tok::RParen {
                    return Err(QueryError::new(
                        format!(
                            "expected ')' to close the '(' at column {}, found {}",
                            token.position + 1,
                            close.describe()
                        ),
                        close.position,
                    ));
                }
                self.bump();
                Ok(inner)
            }
            Tok::Name(_) => self.condition(),
            _ => Err(expected_condition(after, &token)),
        }
    }

    fn enter(&mut self, token: &Token) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(QueryError::new(
                format!("the query nests too deeply (more than {MAX_DEPTH} levels)"),
                token.position,
            ));
        }
        Ok(())
    }

    /// `field [operator value | in list | not in list | contains value | ~ value]`.
    fn condition(&mut self) -> Result<Expr, QueryError> {
        let name = self.bump();
        let field = field(&name)?;
        let op = self.peek().clone();
        let test = match op.tok {
            Tok::Cmp(cmp) => {
                self.bump();
                Test::Cmp(cmp, self.value(&op)?)
            }
            Tok::Keyword(Keyword::In) => {
                self.bump();
                Test::In {
                    values: self.list(&op)?,
                    negated: false,
                }
            }
            Tok::Keyword(Keyword::Not) => {
                self.bump();
                let in_token = self.peek().clone();
                if in_token.tok != Tok::Keyword(Keyword::In) {
                    return Err(QueryError::new(
                        format!(
                            "expected 'in' after '{} {}', found {}",
                            name.text,
                            op.text,
                            in_token.describe()
                        ),
                        in_token.position,
                    ));
                }
                self.bump();
                Test::In {
                    values: self.list(&in_token)?,
                    negated: true,
                }
            }
            Tok::Keyword(Keyword::Contains) => {
                self.bump();
                Test::Contains(self.value(&op)?.text.to_lowercase())
            }
            Tok::Match | Tok::NotMatch => {
                self.bump();
                let pattern_at = self.peek().position;
                let pattern = self.value(&op)?;
                let regex = Pattern::new(&pattern.text).map_err(|e| {
                    QueryError::new(format!("invalid regular expression: {e}"), pattern_at)
                })?;
                Test::Regex {
                    regex,
                    negated: op.tok == Tok::NotMatch,
                }
            }
            Tok::Name(_)
            | Tok::Number(_)
            | Tok::Duration(_)
            | Tok::Bare(_)
            | Tok::Str(_)
            | Tok::LBracket
            | Tok::Keyword(Keyword::True | Keyword::False) => {
                return Err(QueryError::new(
                    format!(
                        "expected an operator after '{}' (such as ==, <, in, contains), found {}",
                        name.text,
                        op.describe()
                    ),
                    op.position,
                ));
            }
            _ => Test::Has,
        };
        Ok(Expr::Test(field, test))
    }

    /// A literal value; `after` is the operator it follows.
    fn value(&mut self, after: &Token) -> Result<Literal, QueryError> {
        self.value_in(&format!("after '{}'", after.text))
    }

    /// A literal value; `context` completes "expected a value ..." in messages.
    fn value_in(&mut self, context: &str) -> Result<Literal, QueryError> {
        let token = self.peek().clone();
        let literal = match &token.tok {
            Tok::Number(x) | Tok::Duration(x) => Literal {
                text: token.text.clone(),
                num: Some(*x),
            },
            Tok::Keyword(k @ (Keyword::True | Keyword::False)) => {
                let value = *k == Keyword::True;
                Literal {
                    text: value.to_string(),
                    num: Some(f64::from(u8::from(value))),
                }
            }
            Tok::Str(text) | Tok::Bare(text) => Literal {
                text: text.clone(),
                num: None,
            },
            Tok::Name(parts) => match parts.as_slice() {
                [NamePart::Plain(word)] => Literal {
                    text: word.clone(),
                    num: None,
                },
                _ => {
                    return Err(QueryError::new(
                        "back-quotes name a field; write a text value in double quotes",
                        token.position,
                    ));
                }
            },
            _ => {
                return Err(QueryError::new(
                    format!("expected a value {context}, found {}", token.describe()),
                    token.position,
                ));
            }
        };
        self.bump();
        Ok(literal)
    }

    /// `[ value (, value)* [,] ]`.
    fn list(&mut self, after: &Token) -> Result<Vec<Literal>, QueryError> {
        let open = self.peek().clone();
        if open.tok != Tok::LBracket {
            return Err(QueryError::new(
                format!(
                    "expected '[' after '{}', found {}",
                    after.text,
                    open.describe()
                ),
                open.position,
            ));
        }
        self.bump();
        let mut values = Vec::new();
        loop {
            if self.peek().tok == Tok::RBracket {
                self.bump();
                return Ok(values);
            }
            values.push(self.value_in("or ']' in the list")?);
            let next = self.peek().clone();
            match next.tok {
                Tok::Comma => {
                    self.bump();
                }
                Tok::RBracket => {}
                _ => {
                    return Err(QueryError::new(
                        format!(
                            "expected ',' or ']' in the list opened at column {}, found {}",
                            open.position + 1,
                            next.describe()
                        ),
                        next.position,
                    ));
                }
            }
        }
    }
}

fn expected_condition(after: Option<&Token>, found: &Token) -> QueryError {
    let message = match after {
        Some(after) => format!(
            "expected a condition after '{}', found {}",
            after.text,
            found.describe()
        ),
        None => format!("expected a condition, found {}", found.describe()),
    };
    QueryError::new(message, found.position)
}

const PREFIXES: [(&str, Namespace); 5] = [
    ("params.", Namespace::Param),
    ("param.", Namespace::Param),
    ("tags.", Namespace::Tag),
    ("tag.", Namespace::Tag),
    ("metrics.", Namespace::Metric),
];

/// Reads a field from a name token (see the field rules in `docs/query-language.md`).
fn field(token: &Token) -> Result<Field, QueryError> {
    let Tok::Name(parts) = &token.tok else {
        return Err(QueryError::new("expected a field name", token.position));
    };
    let mut field = Field {
        ns: Namespace::Any,
        key: String::new(),
        attr: None,
        summary: None,
        split: None,
        prefix: String::new(),
        text: token.text.clone(),
        position: token.position,
    };
    let namespace = |text: &str| {
        PREFIXES
            .iter()
            .find(|(prefix, _)| text.starts_with(prefix))
            .map(|&(prefix, ns)| (prefix, ns))
    };
    let malformed = || {
        QueryError::new(
            format!(
                "malformed field name '{}'; back-quote the whole key, e.g. params.`my key`",
                token.text
            ),
            token.position,
        )
    };
    let (plain_head, quoted, tail) = match parts.as_slice() {
        [NamePart::Plain(p)] => (Some(p.as_str()), None, None),
        [NamePart::Quoted(q)] => (None, Some(q), None),
        [NamePart::Quoted(q), NamePart::Plain(t)] => (None, Some(q), Some(t)),
        [NamePart::Plain(p), NamePart::Quoted(q)] => (Some(p.as_str()), Some(q), None),
        [NamePart::Plain(p), NamePart::Quoted(q), NamePart::Plain(t)] => {
            (Some(p.as_str()), Some(q), Some(t))
        }
        _ => return Err(malformed()),
    };
    if let Some(tail) = tail {
        let summary = tail.strip_prefix('.').and_then(Summary::from_name);
        if summary.is_none() {
            return Err(QueryError::new(
                format!(
                    "unknown metric summary '{tail}' in '{}'; expected .last, .min, .max, .mean, .count, .first_step or .last_step",
                    token.text
                ),
                token.position,
            ));
        }
        field.summary = summary;
        field.ns = Namespace::Metric;
    }
    match (plain_head, quoted) {
        (Some(head), None) => {
            if let Some((prefix, ns)) = namespace(head) {
                let key = &head[prefix.len()..];
                if key.is_empty() {
                    return Err(QueryError::new(
                        format!("expected a key after '{prefix}'"),
                        token.position + prefix.chars().count(),
                    ));
                }
                field.ns = ns;
                field.prefix = prefix.to_string();
                field.key = key.to_string();
            } else {
                field.key = head.to_string();
                field.attr = Attr::from_name(head);
            }
            if matches!(field.ns, Namespace::Any | Namespace::Metric) {
                field.split = Summary::split(&field.key);
            }
        }
        (None, Some(key)) => {
            field.key = key.clone();
            if field.summary.is_none() {
                field.attr = Attr::from_name(key);
            }
        }
        (Some(head), Some(key)) => {
            let Some((prefix, ns)) = namespace(head).filter(|(p, _)| p.len() == head.len()) else {
                return Err(malformed());
            };
            if field.summary.is_some() && ns != Namespace::Metric {
                return Err(malformed());
            }
            field.ns = ns;
            field.prefix = prefix.to_string();
            field.key = key.clone();
        }
        (None, None) => return Err(malformed()),
    }
    Ok(field)
}

/// Writes `key` so that the lexer reads it back as one name part.
pub(crate) fn quote_key(key: &str) -> String {
    let mut chars = key.chars();
    let plain = chars.next().is_some_and(is_word_start) && chars.all(is_word_char);
    if plain {
        key.to_string()
    } else {
        let escaped = key.replace('\\', "\\\\").replace('`', "\\`");
        format!("`{escaped}`")
    }
}
