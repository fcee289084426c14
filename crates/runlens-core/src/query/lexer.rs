//! Lexer: splits query text into tokens that carry their char offset, so that every
//! error can point at the exact place.

use super::QueryError;
use super::ast::CmpOp;

/// One piece of a field name: plain characters or a back-quoted key.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NamePart {
    /// Identifier characters as written.
    Plain(String),
    /// The unescaped content of `` `...` ``.
    Quoted(String),
}

/// A keyword (matched case-insensitively).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keyword {
    /// `and`.
    And,
    /// `or`.
    Or,
    /// `not`.
    Not,
    /// `in`.
    In,
    /// `contains`.
    Contains,
    /// `true`.
    True,
    /// `false`.
    False,
}

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// A field name or a bare word (starts with a letter, `_` or a back-quote).
    Name(Vec<NamePart>),
    /// A keyword.
    Keyword(Keyword),
    /// A number.
    Number(f64),
    /// A duration, in seconds.
    Duration(f64),
    /// Starts like a number but is not one (`3f9a`, `2024-01-01`): a bare word.
    Bare(String),
    /// A quoted string, unescaped.
    Str(String),
    /// `(`.
    LParen,
    /// `)`.
    RParen,
    /// `[`.
    LBracket,
    /// `]`.
    RBracket,
    /// `,`.
    Comma,
    /// A comparison operator.
    Cmp(CmpOp),
    /// `~` or `=~`.
    Match,
    /// `!~`.
    NotMatch,
    /// `&&`.
    AndOp,
    /// `||`.
    OrOp,
    /// `!`.
    Bang,
    /// End of the text.
    End,
}

/// A token with its place in the text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    /// What it is.
    pub tok: Tok,
    /// Char offset of its first character.
    pub position: usize,
    /// The source text, for messages and literal values.
    pub text: String,
}

impl Token {
    /// How messages name the token.
    pub(crate) fn describe(&self) -> String {
        if self.tok == Tok::End {
            "the end of the query".to_string()
        } else {
            format!("'{}'", self.text)
        }
    }
}

/// Characters that may continue a bare identifier.
pub(crate) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | '/' | '-')
}

/// Characters that may start a bare identifier.
pub(crate) fn is_word_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

/// Splits `text` into tokens, ending with [`Tok::End`].
pub(crate) fn tokenize(text: &str) -> Result<Vec<Token>, QueryError> {
    let chars: Vec<char> = text.chars().collect();
    let mut lexer = Lexer { chars, at: 0 };
    let mut tokens = Vec::new();
    loop {
        let token = lexer.next_token()?;
        let end = token.tok == Tok::End;
        tokens.push(token);
        if end {
            return Ok(tokens);
        }
    }
}

struct Lexer {
    chars: Vec<char>,
    at: usize,
}

impl Lexer {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.at + ahead).copied()
    }

    fn text(&self, start: usize) -> String {
        self.chars[start..self.at].iter().collect()
    }

    fn next_token(&mut self) -> Result<Token, QueryError> {
        while self.peek(0).is_some_and(char::is_whitespace) {
            self.at += 1;
        }
        let start = self.at;
        let Some(c) = self.peek(0) else {
            return Ok(Token {
                tok: Tok::End,
                position: start,
                text: String::new(),
            });
        };
        let next = self.peek(1);
        let starts_number = c.is_ascii_digit()
            || (matches!(c, '-' | '+' | '.') && next.is_some_and(|n| n.is_ascii_digit()))
            || (matches!(c, '-' | '+')
                && next == Some('.')
                && self.peek(2).is_some_and(|n| n.is_ascii_digit()));
        let tok = if starts_number {
            self.number()
        } else if is_word_start(c) || c == '`' {
            self.name()?
        } else if c == '"' || c == '\'' {
            Tok::Str(self.quoted(c, "string")?)
        } else {
            self.punctuation(c, next)?
        };
        Ok(Token {
            tok,
            position: start,
            text: self.text(start),
        })
    }

    fn punctuation(&mut self, c: char, next: Option<char>) -> Result<Tok, QueryError> {
        let (tok, len) = match (c, next) {
            ('(', _) => (Tok::LParen, 1),
            (')', _) => (Tok::RParen, 1),
            ('[', _) => (Tok::LBracket, 1),
            (']', _) => (Tok::RBracket, 1),
            (',', _) => (Tok::Comma, 1),
            ('=', Some('=')) => (Tok::Cmp(CmpOp::Eq), 2),
            ('=', Some('~')) => (Tok::Match, 2),
            ('=', _) => (Tok::Cmp(CmpOp::Eq), 1),
            ('!', Some('=')) => (Tok::Cmp(CmpOp::Ne), 2),
            ('!', Some('~')) => (Tok::NotMatch, 2),
            ('!', _) => (Tok::Bang, 1),
            ('<', Some('=')) => (Tok::Cmp(CmpOp::Le), 2),
            ('<', _) => (Tok::Cmp(CmpOp::Lt), 1),
            ('>', Some('=')) => (Tok::Cmp(CmpOp::Ge), 2),
            ('>', _) => (Tok::Cmp(CmpOp::Gt), 1),
            ('~', _) => (Tok::Match, 1),
            ('&', Some('&')) => (Tok::AndOp, 2),
            ('|', Some('|')) => (Tok::OrOp, 2),
            ('&' | '|', _) => {
                return Err(QueryError::new(
                    format!("unexpected '{c}'; did you mean '{c}{c}'?"),
                    self.at,
                ));
            }
            _ => {
                return Err(QueryError::new(
                    format!("unexpected character '{c}'"),
                    self.at,
                ));
            }
        };
        self.at += len;
        Ok(tok)
    }

    /// A number, a duration, or a bare word that starts like a number.
    fn number(&mut self) -> Tok {
        let start = self.at;
        self.at += 1;
        while let Some(c) = self.peek(0) {
            let exponent_sign = c == '+' && matches!(self.chars.get(self.at - 1), Some('e' | 'E'));
            if !(is_word_char(c) || exponent_sign) {
                break;
            }
            self.at += 1;
        }
        let text = self.text(start);
        if let Some(value) = parse_number(&text) {
            Tok::Number(value)
        } else if let Some(seconds) = parse_duration(&text) {
            Tok::Duration(seconds)
        } else {
            Tok::Bare(text)
        }
    }

    /// A field name or bare word: identifier characters and back-quoted parts, glued.
    fn name(&mut self) -> Result<Tok, QueryError> {
        let mut parts = Vec::new();
        loop {
            match self.peek(0) {
                Some('`') => parts.push(NamePart::Quoted(self.quoted('`', "back-quoted name")?)),
                Some(c) if is_word_char(c) && (!parts.is_empty() || is_word_start(c)) => {
                    let start = self.at;
                    while self.peek(0).is_some_and(is_word_char) {
                        self.at += 1;
                    }
                    parts.push(NamePart::Plain(self.text(start)));
                }
                _ => break,
            }
        }
        if let [NamePart::Plain(word)] = parts.as_slice()
            && let Some(keyword) = keyword(word)
        {
            return Ok(Tok::Keyword(keyword));
        }
        Ok(Tok::Name(parts))
    }

    /// The content of a string or back-quoted name opened by `quote` at the current char.
    fn quoted(&mut self, quote: char, what: &str) -> Result<String, QueryError> {
        let open = self.at;
        self.at += 1;
        let mut out = String::new();
        while let Some(c) = self.peek(0) {
            self.at += 1;
            if c == quote {
                return Ok(out);
            }
            if c != '\\' {
                out.push(c);
                continue;
            }
            let Some(escaped) = self.peek(0) else { break };
            self.at += 1;
            match escaped {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                '\\' | '"' | '\'' | '`' => out.push(escaped),
                // Kept as written, so that regexes like "\d+" need no doubling.
                other => {
                    out.push('\\');
                    out.push(other);
                }
            }
        }
        Err(QueryError::new(
            format!("unterminated {what}: missing closing {quote}"),
            open,
        ))
    }
}

fn keyword(word: &str) -> Option<Keyword> {
    const KEYWORDS: [(&str, Keyword); 7] = [
        ("and", Keyword::And),
        ("or", Keyword::Or),
        ("not", Keyword::Not),
        ("in", Keyword::In),
        ("contains", Keyword::Contains),
        ("true", Keyword::True),
        ("false", Keyword::False),
    ];
    KEYWORDS
        .into_iter()
        .find(|(name, _)| word.eq_ignore_ascii_case(name))
        .map(|(_, k)| k)
}

/// Parses `[+-] digits [. digits] [e [+-] digits]` (at least one mantissa digit);
/// no `inf` or `nan`.
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    let mut i = usize::from(matches!(bytes.first(), Some(b'+' | b'-')));
    let digits = |i: &mut usize| {
        let start = *i;
        while bytes.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    let mut mantissa = digits(&mut i);
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        mantissa += digits(&mut i);
    }
    if mantissa == 0 {
        return None;
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return None;
        }
    }
    if i != bytes.len() {
        return None;
    }
    text.parse().ok()
}

/// Parses durations such as `90s`, `30m`, `1h`, `2d`, `1h30m` (optionally signed) into seconds.
pub(crate) fn parse_duration(text: &str) -> Option<f64> {
    let (sign, body) = match text.as_bytes().first() {
        Some(b'-') => (-1.0, &text[1..]),
        Some(b'+') => (1.0, &text[1..]),
        _ => (1.0, text),
    };
    if body.is_empty() {
        return None;
    }
    let mut total = 0.0;
    let mut rest = body;
    while !rest.is_empty() {
        let unit_at = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let amount: f64 = parse_number(&rest[..unit_at])?;
        let unit = match rest[unit_at..].chars().next()? {
            's' => 1.0,
            'm' => 60.0,
            'h' => 3600.0,
            'd' => 86400.0,
            _ => return None,
        };
        total += amount * unit;
        rest = &rest[unit_at + 1..];
    }
    Some(sign * total)
}
