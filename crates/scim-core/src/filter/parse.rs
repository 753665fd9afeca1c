//! The lexer and recursive-descent parser behind `Filter::from_str`, `PatchPath::from_str` and
//! `AttrPath::from_str`.
//!
//! Errors are plain `String` details here; the public `FromStr` impls wrap them in the `scimType`
//! that fits (`invalidFilter` or `invalidPath`). Every detail names the problem and a 0-based byte
//! position. Recursion happens only on `(`, `not (` and `[`, each bounded by `MAX_FILTER_DEPTH`.

use super::{AttrPath, CompareOp, Filter, Literal, PatchPath, MAX_FILTER_DEPTH, MAX_FILTER_LEN};

type PResult<T> = std::result::Result<T, String>;

/// What is expected after a complete top-level filter, in error details.
const END_OF_FILTER: &str = "the end of the filter";

/// Longest token text quoted back in an error detail, in characters, so details stay readable.
const MAX_QUOTED_CHARS: usize = 40;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// A run of `[A-Za-z0-9:._$-]` starting with a letter or `$`: an attribute path, a keyword, an
    /// operator or `true`/`false`/`null`, told apart by the parser from where it appears.
    Word,
    /// A JSON string, unescaped.
    Str(String),
    /// A JSON number.
    Num(serde_json::Number),
    LParen,
    RParen,
    LBracket,
    RBracket,
    /// A `.` that does not continue a word: only legal after `]` in a PATCH path.
    Dot,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    /// Byte offset of the first character.
    start: usize,
    /// Byte offset just past the last character.
    end: usize,
}

fn is_word_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '$'
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | '_' | '-' | '$')
}

/// `s` quoted for an error detail, shortened on a char boundary when long.
fn quote(s: &str) -> String {
    let mut chars = s.char_indices();
    match chars.nth(MAX_QUOTED_CHARS) {
        Some((cut, _)) => format!("'{}...'", &s[..cut]),
        None => format!("'{s}'"),
    }
}

fn check_length(input: &str, what: &str) -> PResult<()> {
    if input.len() > MAX_FILTER_LEN {
        return Err(format!(
            "{what} is {} bytes long, more than the maximum filter length of {MAX_FILTER_LEN} bytes",
            input.len()
        ));
    }
    if input.trim().is_empty() {
        return Err(format!("empty {what}"));
    }
    Ok(())
}

/// Splits the whole input into tokens.
fn lex(input: &str) -> PResult<Vec<Token>> {
    let mut tokens = Vec::new();
    let mut chars = input.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        let single = match c {
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            '[' => Some(Tok::LBracket),
            ']' => Some(Tok::RBracket),
            '.' => Some(Tok::Dot),
            _ => None,
        };
        if let Some(tok) = single {
            chars.next();
            tokens.push(Token { tok, start, end: start + 1 });
        } else if c.is_ascii_whitespace() {
            chars.next();
        } else if c == '"' {
            chars.next();
            let (s, end) = lex_string(input, start, &mut chars)?;
            tokens.push(Token { tok: Tok::Str(s), start, end });
        } else if c == '-' || c.is_ascii_digit() {
            let end = scan_number(input, start)?;
            let number = parse_number(&input[start..end], start)?;
            while chars.peek().is_some_and(|&(i, _)| i < end) {
                chars.next();
            }
            tokens.push(Token { tok: Tok::Num(number), start, end });
        } else if is_word_start(c) {
            let mut end = start;
            while let Some(&(i, c)) = chars.peek() {
                if !is_word_char(c) {
                    break;
                }
                end = i + c.len_utf8();
                chars.next();
            }
            tokens.push(Token { tok: Tok::Word, start, end });
        } else {
            return Err(format!("unexpected character {} at position {start}", quote(&c.to_string())));
        }
    }
    Ok(tokens)
}

/// Reads a JSON string whose opening quote was at `start`; returns its value and end offset.
fn lex_string(
    input: &str,
    start: usize,
    chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
) -> PResult<(String, usize)> {
    let mut out = String::new();
    loop {
        let Some((i, c)) = chars.next() else {
            return Err(format!("unterminated string starting at position {start}"));
        };
        match c {
            '"' => return Ok((out, i + 1)),
            '\\' => {
                let Some((_, e)) = chars.next() else {
                    return Err(format!("unterminated string starting at position {start}"));
                };
                match e {
                    '"' => out.push('"'),
                    '\\' => out.push('\\'),
                    '/' => out.push('/'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'n' => out.push('\n'),
                    'r' => out.push('\r'),
                    't' => out.push('\t'),
                    'u' => out.push(lex_unicode_escape(input, i, chars)?),
                    other => {
                        return Err(format!(
                            "invalid escape sequence '\\{other}' at position {i} in the string starting at position {start}"
                        ))
                    }
                }
            }
            c if u32::from(c) < 0x20 => {
                return Err(format!(
                    "unescaped control character U+{:04X} at position {i} in the string starting at position {start}",
                    u32::from(c)
                ))
            }
            c => out.push(c),
        }
    }
}

/// Reads the 4 hex digits after `\u`; `at` is the position of the backslash.
fn read_hex4(at: usize, chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>) -> PResult<u32> {
    let mut code = 0u32;
    for _ in 0..4 {
        match chars.next().and_then(|(_, c)| c.to_digit(16)) {
            Some(d) => code = code * 16 + d,
            None => return Err(format!("invalid \\u escape at position {at}: expected 4 hex digits")),
        }
    }
    Ok(code)
}

/// Decodes `\uXXXX` (the `\u` already read, backslash at `at`), joining UTF-16 surrogate pairs.
fn lex_unicode_escape(
    input: &str,
    at: usize,
    chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
) -> PResult<char> {
    let high = read_hex4(at, chars)?;
    let code = if (0xD800..0xDC00).contains(&high) {
        // A high surrogate is only meaningful followed by `\u` + a low surrogate.
        let next_at = chars.peek().map_or(input.len(), |&(i, _)| i);
        let is_escape = input.get(next_at..).is_some_and(|rest| rest.starts_with("\\u"));
        if !is_escape {
            return Err(format!("unpaired UTF-16 surrogate in \\u escape at position {at}"));
        }
        chars.next();
        chars.next();
        let low = read_hex4(next_at, chars)?;
        if !(0xDC00..0xE000).contains(&low) {
            return Err(format!("unpaired UTF-16 surrogate in \\u escape at position {at}"));
        }
        0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
    } else {
        high
    };
    char::from_u32(code).ok_or_else(|| format!("unpaired UTF-16 surrogate in \\u escape at position {at}"))
}

/// Finds the end of a JSON number starting at `start` (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`).
fn scan_number(input: &str, start: usize) -> PResult<usize> {
    let bytes = input.as_bytes();
    // Quote the whole run of number-like characters, so `12abc` is reported as such.
    let invalid = || {
        let end = input[start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '_')))
            .map_or(input.len(), |i| start + i);
        format!("invalid number {} at position {start}", quote(&input[start..end]))
    };
    let digit = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_digit);
    let mut i = start;
    if bytes.get(i) == Some(&b'-') {
        i += 1;
    }
    if bytes.get(i) == Some(&b'0') {
        i += 1;
    } else if digit(i) {
        while digit(i) {
            i += 1;
        }
    } else {
        return Err(invalid());
    }
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        if !digit(i) {
            return Err(invalid());
        }
        while digit(i) {
            i += 1;
        }
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digit(i) {
            return Err(invalid());
        }
        while digit(i) {
            i += 1;
        }
    }
    // `12abc`, `01`, `1.2.3`: a number must end at a delimiter, not run into a word.
    if bytes.get(i).is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'$' | b':' | b'-')) {
        return Err(invalid());
    }
    Ok(i)
}

/// Converts JSON number text (already validated) into a `serde_json::Number`.
///
/// Integers stay integers; anything else goes through Rust's correctly rounded `f64` parser rather
/// than serde_json's (which is only exact with its `float_roundtrip` feature), so that a float's
/// `Display` always parses back to the same `Number`.
fn parse_number(text: &str, start: usize) -> PResult<serde_json::Number> {
    let is_integer = !text.contains(['.', 'e', 'E']);
    if is_integer {
        if let Ok(n) = text.parse::<u64>() {
            return Ok(n.into());
        }
        if let Ok(n) = text.parse::<i64>() {
            return Ok(n.into());
        }
    }
    text.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .and_then(serde_json::Number::from_f64)
        .ok_or_else(|| format!("number {} at position {start} is out of range", quote(text)))
}

/// Checks a bare attribute or sub-attribute name: `(ALPHA / "$") *(ALPHA / DIGIT / "-" / "_")`.
fn check_attr_name(name: &str, whole: &str, start: usize) -> PResult<()> {
    let mut chars = name.chars();
    let ok =
        chars.next().is_some_and(is_word_start) && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else if name.is_empty() {
        Err(format!("attribute path {} at position {start} has an empty name", quote(whole)))
    } else {
        Err(format!("invalid attribute name {} in {} at position {start}", quote(name), quote(whole)))
    }
}

/// Splits a word into `[urn ":"] name ["." sub]`: the URN is everything up to the last `:` (URNs
/// contain `.` in their version, e.g. `...:2.0:User`, so `.` is only looked for after it).
fn attr_path_from_word(word: &str, start: usize) -> PResult<AttrPath> {
    let (urn, rest) = match word.rfind(':') {
        Some(i) => (Some(&word[..i]), &word[i + 1..]),
        None => (None, word),
    };
    if let Some(urn) = urn {
        if urn.is_empty() || urn.ends_with(':') || !urn.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Err(format!("invalid schema URN in attribute path {} at position {start}", quote(word)));
        }
    }
    let mut parts = rest.split('.');
    let name = parts.next().unwrap_or_default();
    let sub = parts.next();
    if parts.next().is_some() {
        return Err(format!(
            "attribute path {} at position {start} has more than one sub-attribute (at most 'attribute.subAttribute')",
            quote(word)
        ));
    }
    check_attr_name(name, word, start)?;
    if let Some(sub) = sub {
        check_attr_name(sub, word, start)?;
    }
    Ok(AttrPath { urn: urn.map(str::to_owned), name: name.to_owned(), sub: sub.map(str::to_owned) })
}

/// Parses a bare attribute path such as `name.familyName` or `urn:...:User:manager.value`.
pub(super) fn parse_attr_path_str(input: &str) -> PResult<AttrPath> {
    check_length(input, "attribute path")?;
    let tokens = lex(input)?;
    match tokens.as_slice() {
        [t] if t.tok == Tok::Word => attr_path_from_word(&input[t.start..t.end], t.start),
        [t, rest @ ..] => {
            let bad = if t.tok == Tok::Word { rest.first().unwrap_or(t) } else { t };
            Err(format!(
                "invalid attribute path {}: unexpected {} at position {}",
                quote(input.trim()),
                quote(&input[bad.start..bad.end]),
                bad.start
            ))
        }
        [] => Err("empty attribute path".to_owned()),
    }
}

/// Parses a complete filter.
pub(super) fn parse_filter(input: &str) -> PResult<Filter> {
    check_length(input, "filter")?;
    let mut p = Parser { input, tokens: lex(input)?, pos: 0 };
    let filter = p.parse_or(0, None)?;
    match p.peek() {
        None => Ok(filter),
        Some(t) => Err(p.unexpected_after_filter(t, &filter, END_OF_FILTER)),
    }
}

/// Parses a PATCH path: `attrPath | valuePath ["." subAttr]`.
pub(super) fn parse_patch_path(input: &str) -> PResult<PatchPath> {
    check_length(input, "path")?;
    let mut p = Parser { input, tokens: lex(input)?, pos: 0 };
    let Some(first) = p.next() else {
        return Err("empty path".to_owned());
    };
    if first.tok != Tok::Word {
        return Err(format!("expected an attribute path at position {}, found {}", first.start, quote(p.text(&first))));
    }
    let attr = attr_path_from_word(p.text(&first), first.start)?;
    let mut path = PatchPath { attr, filter: None, sub: None };
    if p.peek().is_some_and(|t| t.tok == Tok::LBracket) {
        let open = p.next().map_or(0, |t| t.start);
        p.check_value_path_attr(&path.attr, first.start)?;
        let filter = p.parse_or(1, Some(open))?;
        p.expect_close(Tok::RBracket, open, &filter)?;
        path.filter = Some(filter);
        if let Some(dot) = p.peek().filter(|t| t.tok == Tok::Dot) {
            // `].value`: the sub-attribute must follow the bracket and the dot immediately.
            let dot_start = dot.start;
            p.next();
            let sub = p.next().filter(|t| t.tok == Tok::Word && t.start == dot_start + 1);
            let Some(sub) = sub.filter(|_| input[..dot_start].ends_with(']')) else {
                return Err(format!("expected a sub-attribute name right after ']' and '.' at position {dot_start}"));
            };
            let name = p.text(&sub);
            check_attr_name(name, name, sub.start)?;
            path.sub = Some(name.to_owned());
        }
    }
    match p.peek() {
        None => Ok(path),
        Some(t) => {
            let after = if path.filter.is_some() { "the value filter" } else { "the attribute path" };
            Err(format!(
                "unexpected {} at position {} after {after}; a PATCH path is 'attribute[filter].subAttribute'",
                quote(p.text(t)),
                t.start
            ))
        }
    }
}

struct Parser<'a> {
    input: &'a str,
    tokens: Vec<Token>,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        if t.is_some() {
            self.pos += 1;
        }
        t
    }

    fn text(&self, t: &Token) -> &'a str {
        self.input.get(t.start..t.end).unwrap_or("")
    }

    fn peek_keyword(&self, keyword: &str) -> bool {
        self.peek().is_some_and(|t| t.tok == Tok::Word && self.text(t).eq_ignore_ascii_case(keyword))
    }

    fn end_pos(&self) -> usize {
        self.input.len()
    }

    /// `or_expr = and_expr *("or" and_expr)`. `value_path` is the position of the enclosing `[`.
    fn parse_or(&mut self, depth: usize, value_path: Option<usize>) -> PResult<Filter> {
        let mut left = self.parse_and(depth, value_path)?;
        while self.peek_keyword("or") {
            self.next();
            let right = self.parse_and(depth, value_path)?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    /// `and_expr = unary *("and" unary)`.
    fn parse_and(&mut self, depth: usize, value_path: Option<usize>) -> PResult<Filter> {
        let mut left = self.parse_unary(depth, value_path)?;
        while self.peek_keyword("and") {
            self.next();
            let right = self.parse_unary(depth, value_path)?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn enter(&self, depth: usize, at: usize) -> PResult<usize> {
        if depth >= MAX_FILTER_DEPTH {
            Err(format!(
                "filter nesting at position {at} is deeper than the maximum depth of {MAX_FILTER_DEPTH} levels"
            ))
        } else {
            Ok(depth + 1)
        }
    }

    /// `unary = "(" or_expr ")" / "not" "(" or_expr ")" / attrPath "[" or_expr "]" / attrExp`.
    fn parse_unary(&mut self, depth: usize, value_path: Option<usize>) -> PResult<Filter> {
        let Some(t) = self.next() else {
            return Err(format!("expected a filter at position {} (end of input)", self.end_pos()));
        };
        match &t.tok {
            Tok::LParen => {
                let depth = self.enter(depth, t.start)?;
                let inner = self.parse_or(depth, value_path)?;
                self.expect_close(Tok::RParen, t.start, &inner)?;
                Ok(inner)
            }
            Tok::Word => {
                let word = self.text(&t);
                if word.eq_ignore_ascii_case("not") {
                    let Some(open) = self.next().filter(|n| n.tok == Tok::LParen) else {
                        return Err(format!(
                            "'not' at position {} must be followed by a parenthesised filter, e.g. 'not (title pr)'",
                            t.start
                        ));
                    };
                    let depth = self.enter(depth, open.start)?;
                    let inner = self.parse_or(depth, value_path)?;
                    self.expect_close(Tok::RParen, open.start, &inner)?;
                    return Ok(Filter::Not(Box::new(inner)));
                }
                if word.eq_ignore_ascii_case("and") || word.eq_ignore_ascii_case("or") {
                    return Err(format!(
                        "expected an attribute path at position {}, found {}: '{}' needs a filter on each side",
                        t.start,
                        quote(word),
                        word.to_ascii_lowercase()
                    ));
                }
                let path = attr_path_from_word(word, t.start)?;
                self.parse_after_path(path, &t, depth, value_path)
            }
            Tok::RParen | Tok::RBracket => {
                Err(format!("expected a filter at position {}, found {}", t.start, quote(self.text(&t))))
            }
            _ => Err(format!("expected an attribute path at position {}, found {}", t.start, quote(self.text(&t)))),
        }
    }

    /// What follows an attribute path: `pr`, `op value`, or `[filter]`.
    fn parse_after_path(
        &mut self,
        path: AttrPath,
        path_tok: &Token,
        depth: usize,
        value_path: Option<usize>,
    ) -> PResult<Filter> {
        let word = self.text(path_tok);
        if self.peek().is_some_and(|n| n.tok == Tok::LBracket) {
            let open = self.next().map_or(0, |n| n.start);
            if let Some(outer) = value_path {
                return Err(format!(
                    "nested '[' at position {open}: value filters cannot be nested (inside the '[' at position {outer})"
                ));
            }
            self.check_value_path_attr(&path, path_tok.start)?;
            let depth = self.enter(depth, open)?;
            let inner = self.parse_or(depth, Some(open))?;
            self.expect_close(Tok::RBracket, open, &inner)?;
            return Ok(Filter::ValuePath { path, filter: Box::new(inner) });
        }
        if let Some(outer) = value_path {
            if path.urn.is_some() || path.sub.is_some() {
                return Err(format!(
                    "attribute {} at position {} inside the value filter at position {outer} must be a plain sub-attribute name",
                    quote(word),
                    path_tok.start
                ));
            }
        }
        let Some(op_tok) = self.next() else {
            return Err(format!(
                "expected an operator after {} at position {} (end of input)",
                quote(word),
                self.end_pos()
            ));
        };
        let op_text = self.text(&op_tok);
        if op_tok.tok == Tok::Word && op_text.eq_ignore_ascii_case("pr") {
            return Ok(Filter::Present(path));
        }
        let op = (op_tok.tok == Tok::Word).then(|| CompareOp::from_keyword(op_text)).flatten();
        let Some(op) = op else {
            return Err(format!(
                "expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) after {} at position {}, found {}",
                quote(word),
                op_tok.start,
                quote(op_text)
            ));
        };
        let value = self.parse_value(op)?;
        Ok(Filter::Compare { path, op, value })
    }

    fn check_value_path_attr(&self, path: &AttrPath, at: usize) -> PResult<()> {
        if path.sub.is_some() {
            return Err(format!(
                "a value filter '[..]' must follow an attribute, not the sub-attribute {} at position {at}",
                quote(&path.to_string())
            ));
        }
        Ok(())
    }

    fn parse_value(&mut self, op: CompareOp) -> PResult<Literal> {
        let Some(t) = self.next() else {
            return Err(format!("expected a value after '{op}' at position {} (end of input)", self.end_pos()));
        };
        let keyword = |k: &str| t.tok == Tok::Word && self.text(&t).eq_ignore_ascii_case(k);
        match &t.tok {
            Tok::Str(s) => Ok(Literal::String(s.clone())),
            Tok::Num(n) => Ok(Literal::Number(n.clone())),
            _ if keyword("true") => Ok(Literal::Bool(true)),
            _ if keyword("false") => Ok(Literal::Bool(false)),
            _ if keyword("null") => Ok(Literal::Null),
            _ => Err(format!(
                "expected a value (a string, number, true, false or null) after '{op}' at position {}, found {}{}",
                t.start,
                quote(self.text(&t)),
                if t.tok == Tok::Word { "; strings need double quotes" } else { "" }
            )),
        }
    }

    /// Consumes the `)` or `]` closing the group opened at `open`.
    fn expect_close(&mut self, close: Tok, open: usize, inner: &Filter) -> PResult<()> {
        let (want, opener) = if close == Tok::RParen { ("')'", "'('") } else { ("']'", "'['") };
        match self.peek() {
            Some(t) if t.tok == close => {
                self.next();
                Ok(())
            }
            None => Err(format!(
                "missing {want} to close the {opener} at position {open} (end of input at position {})",
                self.end_pos()
            )),
            Some(t) => {
                let t = t.clone();
                Err(self.unexpected_after_filter(&t, inner, want))
            }
        }
    }

    /// The error for token `t` found after a complete filter, where `and`, `or` or `expected` belong.
    fn unexpected_after_filter(&self, t: &Token, filter: &Filter, expected: &str) -> String {
        let text = quote(self.text(t));
        // The last thing parsed is at the end of the right spine; `x pr "v"` deserves its own message.
        let mut last = filter;
        while let Filter::And(_, r) | Filter::Or(_, r) = last {
            last = r;
        }
        if matches!(last, Filter::Present(_)) && matches!(t.tok, Tok::Str(_) | Tok::Num(_)) {
            return format!("unexpected value {text} at position {}: 'pr' takes no value", t.start);
        }
        let at_top = expected == END_OF_FILTER;
        match t.tok {
            Tok::RParen if at_top => format!("unexpected ')' at position {} without a matching '('", t.start),
            Tok::RBracket if at_top => format!("unexpected ']' at position {} without a matching '['", t.start),
            _ => format!("expected 'and', 'or' or {expected} at position {}, found {text}", t.start),
        }
    }
}

#[cfg(test)]
mod tests {
    //! The grammar corpus: RFC 7644 §3.4.2.2 examples, what Okta and Entra send, literals and
    //! precedence; every one parses, a representative subset to an expected tree, and all round-trip
    //! through `Display`. Then the invalid filters and the messages they get.

    use super::super::{AttrPath, CompareOp, Filter, Literal};
    use crate::error::ScimType;
    use crate::schema::{ENTERPRISE_USER_SCHEMA, USER_SCHEMA};

    fn p(name: &str) -> AttrPath {
        match name.split_once('.') {
            Some((n, s)) => AttrPath::new(n).with_sub(s),
            None => AttrPath::new(name),
        }
    }
    fn cmp(path: &str, op: CompareOp, value: impl Into<Literal>) -> Filter {
        Filter::compare(p(path), op, value)
    }
    fn pr(path: &str) -> Filter {
        Filter::Present(p(path))
    }
    fn and(l: Filter, r: Filter) -> Filter {
        Filter::and(l, r)
    }
    fn or(l: Filter, r: Filter) -> Filter {
        Filter::or(l, r)
    }
    fn not(f: Filter) -> Filter {
        Filter::negate(f)
    }
    fn vp(path: &str, f: Filter) -> Filter {
        Filter::ValuePath { path: p(path), filter: Box::new(f) }
    }
    fn num(text: &str) -> Literal {
        Literal::Number(text.parse().unwrap())
    }

    /// One corpus row: the input, its expected tree (if checked), its canonical text (`None` = the
    /// input itself).
    enum Expect {
        Ok(Option<Filter>, Option<&'static str>),
        Err(&'static str),
    }

    /// Parses `input`, checks the tree or the error, and that `Display` round-trips.
    fn check(input: &str, expect: Expect) {
        let parsed = input.parse::<Filter>();
        match expect {
            Expect::Ok(tree, canonical) => {
                let f = parsed.unwrap_or_else(|e| panic!("{input:?} failed to parse: {}", e.detail));
                if let Some(tree) = tree {
                    assert_eq!(f, tree, "tree of {input:?}");
                }
                let shown = f.to_string();
                assert_eq!(shown, canonical.unwrap_or(input), "canonical form of {input:?}");
                let again =
                    shown.parse::<Filter>().unwrap_or_else(|e| panic!("{shown:?} failed to re-parse: {}", e.detail));
                assert_eq!(again, f, "round trip of {input:?} through {shown:?}");
            }
            Expect::Err(needle) => {
                let e = parsed.expect_err(input);
                assert_eq!(e.status, 400, "{input:?}");
                assert_eq!(e.scim_type, Some(ScimType::InvalidFilter), "{input:?}");
                assert!(
                    e.detail.contains(needle),
                    "error for {input:?} was {:?}, expected it to mention {needle:?}",
                    e.detail
                );
            }
        }
    }

    use CompareOp::*;
    use Expect::{Err as Bad, Ok as Good};

    #[test]
    fn rfc7644_examples() {
        let rows: Vec<(&str, Expect)> = vec![
            (r#"userName eq "bjensen""#, Good(Some(cmp("userName", Eq, "bjensen")), None)),
            (r#"name.familyName co "O'Malley""#, Good(Some(cmp("name.familyName", Co, "O'Malley")), None)),
            (r#"userName sw "J""#, Good(Some(cmp("userName", Sw, "J")), None)),
            (
                r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
                Good(Some(Filter::compare(AttrPath::new("userName").with_urn(USER_SCHEMA), Sw, "J")), None),
            ),
            ("title pr", Good(Some(pr("title")), None)),
            (
                r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
                Good(Some(cmp("meta.lastModified", Gt, "2011-05-13T04:42:34Z")), None),
            ),
            (r#"meta.lastModified ge "2011-05-13T04:42:34Z""#, Good(None, None)),
            (r#"meta.lastModified lt "2011-05-13T04:42:34Z""#, Good(None, None)),
            (r#"meta.lastModified le "2011-05-13T04:42:34Z""#, Good(None, None)),
            (
                r#"title pr and userType eq "Employee""#,
                Good(Some(and(pr("title"), cmp("userType", Eq, "Employee"))), None),
            ),
            (r#"title pr or userType eq "Intern""#, Good(Some(or(pr("title"), cmp("userType", Eq, "Intern"))), None)),
            (
                r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
                Good(Some(cmp("schemas", Eq, ENTERPRISE_USER_SCHEMA)), None),
            ),
            (
                r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
                Good(
                    Some(and(
                        cmp("userType", Eq, "Employee"),
                        or(cmp("emails", Co, "example.com"), cmp("emails.value", Co, "example.org")),
                    )),
                    None,
                ),
            ),
            (
                r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
                Good(
                    Some(and(
                        cmp("userType", Ne, "Employee"),
                        not(or(cmp("emails", Co, "example.com"), cmp("emails.value", Co, "example.org"))),
                    )),
                    None,
                ),
            ),
            (
                r#"userType eq "Employee" and (emails.type eq "work")"#,
                Good(
                    Some(and(cmp("userType", Eq, "Employee"), cmp("emails.type", Eq, "work"))),
                    Some(r#"userType eq "Employee" and emails.type eq "work""#),
                ),
            ),
            (
                r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
                Good(
                    Some(and(
                        cmp("userType", Eq, "Employee"),
                        vp("emails", and(cmp("type", Eq, "work"), cmp("value", Co, "@example.com"))),
                    )),
                    None,
                ),
            ),
            (
                r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
                Good(
                    Some(or(
                        vp("emails", and(cmp("type", Eq, "work"), cmp("value", Co, "@example.com"))),
                        vp("ims", and(cmp("type", Eq, "xmpp"), cmp("value", Co, "@foo.com"))),
                    )),
                    None,
                ),
            ),
            // §3.4.2.2 also shows the remaining operators on their own.
            (r#"userName ne "bjensen""#, Good(Some(cmp("userName", Ne, "bjensen")), None)),
            (r#"userName ew "sen""#, Good(Some(cmp("userName", Ew, "sen")), None)),
            // §3.4.3 (POST /.search) example.
            (r#"displayName sw "smith""#, Good(Some(cmp("displayName", Sw, "smith")), None)),
        ];
        for (input, expect) in rows {
            check(input, expect);
        }
    }

    #[test]
    fn what_identity_providers_send() {
        let rows: Vec<(&str, Expect)> = vec![
            // Okta
            (r#"userName eq "x@y.com""#, Good(Some(cmp("userName", Eq, "x@y.com")), None)),
            (r#"displayName eq "StackFlow-Admins""#, Good(Some(cmp("displayName", Eq, "StackFlow-Admins")), None)),
            (r#"externalId eq "00u1""#, Good(Some(cmp("externalId", Eq, "00u1")), None)),
            (
                r#"id eq "2819c223-7f76-453a-919d-413861904646""#,
                Good(Some(cmp("id", Eq, "2819c223-7f76-453a-919d-413861904646")), None),
            ),
            // Entra ID
            (
                r#"externalId eq "5f3c3d1e-6b0e-4c0b-9f1e-0a8c2b3d4e5f""#,
                Good(Some(cmp("externalId", Eq, "5f3c3d1e-6b0e-4c0b-9f1e-0a8c2b3d4e5f")), None),
            ),
            (
                r#"members[value eq "2819c223-7f76-453a-919d-413861904646"]"#,
                Good(Some(vp("members", cmp("value", Eq, "2819c223-7f76-453a-919d-413861904646"))), None),
            ),
            (
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Tour Operations""#,
                Good(
                    Some(Filter::compare(
                        AttrPath::new("department").with_urn(ENTERPRISE_USER_SCHEMA),
                        Eq,
                        "Tour Operations",
                    )),
                    None,
                ),
            ),
            (
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d""#,
                Good(
                    Some(Filter::compare(
                        AttrPath::new("manager").with_sub("value").with_urn(ENTERPRISE_USER_SCHEMA),
                        Eq,
                        "26118915-6090-4610-87e4-49d8ca9f808d",
                    )),
                    None,
                ),
            ),
            (
                r#"urn:ietf:params:scim:schemas:core:2.0:User:name.familyName co "O'Malley""#,
                Good(
                    Some(Filter::compare(
                        AttrPath::new("name").with_sub("familyName").with_urn(USER_SCHEMA),
                        Co,
                        "O'Malley",
                    )),
                    None,
                ),
            ),
            (r#"members.$ref pr"#, Good(Some(pr("members.$ref")), None)),
        ];
        for (input, expect) in rows {
            check(input, expect);
        }
    }

    #[test]
    fn literals_keywords_and_whitespace() {
        let rows: Vec<(&str, Expect)> = vec![
            ("active eq true", Good(Some(cmp("active", Eq, true)), None)),
            ("active eq FALSE", Good(Some(cmp("active", Eq, false)), Some("active eq false"))),
            ("title eq Null", Good(Some(cmp("title", Eq, Literal::Null)), Some("title eq null"))),
            ("count gt 42", Good(Some(cmp("count", Gt, 42)), None)),
            ("count lt -7", Good(Some(cmp("count", Lt, -7)), None)),
            ("count le 0", Good(Some(cmp("count", Le, 0)), None)),
            ("score ge 2.5", Good(Some(cmp("score", Ge, num("2.5"))), None)),
            ("score ge 1e3", Good(Some(cmp("score", Ge, num("1000.0"))), Some("score ge 1000.0"))),
            ("score ge -1.5E-2", Good(Some(cmp("score", Ge, num("-0.015"))), Some("score ge -0.015"))),
            ("big eq 18446744073709551615", Good(Some(cmp("big", Eq, num("18446744073709551615"))), None)),
            (
                r#"userName EQ "a" AnD title PR oR NOT (active Eq TRUE)"#,
                Good(None, Some(r#"userName eq "a" and title pr or not (active eq true)"#)),
            ),
            ("  userName   eq\t\"x\"  ", Good(Some(cmp("userName", Eq, "x")), Some(r#"userName eq "x""#))),
            (r#"(userName eq"x")and(title pr)"#, Good(None, Some(r#"userName eq "x" and title pr"#))),
            (r#"((((title pr))))"#, Good(Some(pr("title")), Some("title pr"))),
            (
                r#"displayName eq "quote \" backslash \\ slash \/ tab \t nl \n uni \u00e9 \ud83d\ude00""#,
                Good(
                    Some(cmp("displayName", Eq, "quote \" backslash \\ slash / tab \t nl \n uni é 😀")),
                    Some(r#"displayName eq "quote \" backslash \\ slash / tab \t nl \n uni é 😀""#),
                ),
            ),
            (r#"displayName eq "Zoë 日本語 😀""#, Good(Some(cmp("displayName", Eq, "Zoë 日本語 😀")), None)),
            (r#"displayName eq "\u0001""#, Good(Some(cmp("displayName", Eq, "\u{1}")), None)),
            (r#"displayName eq """#, Good(Some(cmp("displayName", Eq, "")), None)),
            (
                r#"emails[NOT (type eq "work")]"#,
                Good(Some(vp("emails", not(cmp("type", Eq, "work")))), Some(r#"emails[not (type eq "work")]"#)),
            ),
            (
                r#"emails[(type eq "work" or type eq "home") and primary eq true]"#,
                Good(
                    Some(vp(
                        "emails",
                        and(or(cmp("type", Eq, "work"), cmp("type", Eq, "home")), cmp("primary", Eq, true)),
                    )),
                    None,
                ),
            ),
        ];
        for (input, expect) in rows {
            check(input, expect);
        }
    }

    #[test]
    fn precedence_and_associativity() {
        let (a, b, c, d) = (|| pr("a"), || pr("b"), || pr("c"), || pr("d"));
        let rows: Vec<(&str, Expect)> = vec![
            ("a pr or b pr and c pr", Good(Some(or(a(), and(b(), c()))), None)),
            ("a pr and b pr or c pr", Good(Some(or(and(a(), b()), c())), None)),
            ("a pr or b pr or c pr", Good(Some(or(or(a(), b()), c())), None)),
            ("a pr and b pr and c pr", Good(Some(and(and(a(), b()), c())), None)),
            ("a pr or (b pr or c pr)", Good(Some(or(a(), or(b(), c()))), None)),
            ("a pr and (b pr and c pr)", Good(Some(and(a(), and(b(), c()))), None)),
            ("(a pr or b pr) and c pr", Good(Some(and(or(a(), b()), c())), None)),
            ("a pr and (b pr or c pr) and d pr", Good(Some(and(and(a(), or(b(), c())), d())), None)),
            (
                "(a pr and b pr) or (c pr and d pr)",
                Good(Some(or(and(a(), b()), and(c(), d()))), Some("a pr and b pr or c pr and d pr")),
            ),
            ("not (a pr) and b pr", Good(Some(and(not(a()), b())), None)),
            ("not (a pr or b pr) or c pr", Good(Some(or(not(or(a(), b())), c())), None)),
            ("not (not (a pr))", Good(Some(not(not(a()))), None)),
            ("a pr or not (b pr and c pr)", Good(Some(or(a(), not(and(b(), c())))), None)),
        ];
        for (input, expect) in rows {
            check(input, expect);
        }
    }

    #[test]
    fn long_chains_and_maximum_nesting_parse() {
        let chain = vec!["a pr"; 400].join(" or ");
        check(&chain, Good(None, None));
        let nested = format!("{}a pr{}", "(".repeat(32), ")".repeat(32));
        check(&nested, Good(Some(pr("a")), Some("a pr")));
        let nots = format!("{}a pr{}", "not (".repeat(32), ")".repeat(32));
        check(&nots, Good(None, None));
        let padded = format!("{}a pr", " ".repeat(super::MAX_FILTER_LEN - 4));
        check(&padded, Good(Some(pr("a")), Some("a pr")));
    }

    #[test]
    fn invalid_filters() {
        let too_long = format!(r#"userName eq "{}""#, "x".repeat(4096));
        let too_deep = format!("{}a pr{}", "(".repeat(33), ")".repeat(33));
        let too_deep_not = format!("{}a pr{}", "not (".repeat(33), ")".repeat(33));
        let rows: Vec<(&str, &str)> = vec![
            ("", "empty filter"),
            ("   ", "empty filter"),
            (&too_long, "maximum filter length of 4096 bytes"),
            (&too_deep, "maximum depth of 32"),
            (&too_deep_not, "maximum depth of 32"),
            (r#"(userName eq "a""#, "missing ')' to close the '(' at position 0"),
            (r#"userName eq "a")"#, "unexpected ')' at position 15 without a matching '('"),
            (r#"((userName eq "a")"#, "missing ')' to close the '(' at position 0"),
            ("()", "expected a filter at position 1, found ')'"),
            (r#"userName eq "abc"#, "unterminated string starting at position 12"),
            (r#"userName eq "abc\"#, "unterminated string starting at position 12"),
            ("userName eq", "expected a value after 'eq' at position 11 (end of input)"),
            ("userName", "expected an operator after 'userName' at position 8 (end of input)"),
            (r#"userName eq and title pr"#, "expected a value (a string, number, true, false or null) after 'eq' at position 12, found 'and'"),
            (r#"userName eq bjensen"#, "strings need double quotes"),
            (r#"title pr "x""#, "unexpected value '\"x\"' at position 9: 'pr' takes no value"),
            (r#"a pr and title pr 5"#, "'pr' takes no value"),
            (r#"userName xx "a""#, "expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) after 'userName' at position 9, found 'xx'"),
            (r#"userName == "a""#, "unexpected character '=' at position 9"),
            (r#"userName eq "a" xyz"#, "expected 'and', 'or' or the end of the filter at position 16, found 'xyz'"),
            (r#"userName eq "a" "b""#, "expected 'and', 'or' or the end of the filter at position 16"),
            (r#"not userName eq "a""#, "'not' at position 0 must be followed by a parenthesised filter"),
            (r#"title pr and not title pr"#, "'not' at position 13 must be followed"),
            (r#"emails[type[value eq "x"] eq "y"]"#, "nested '[' at position 11: value filters cannot be nested (inside the '[' at position 6)"),
            (r#"emails[type eq "work" and ims[value pr]]"#, "value filters cannot be nested"),
            (r#"emails[type eq "work""#, "missing ']' to close the '[' at position 6"),
            (r#"emails[type eq "work")"#, "expected 'and', 'or' or ']' at position 21, found ')'"),
            (r#"emails type eq "work"]"#, "expected an operator"),
            (r#"emails.value[type eq "work"]"#, "must follow an attribute, not the sub-attribute 'emails.value'"),
            (r#"emails[name.familyName eq "x"]"#, "must be a plain sub-attribute name"),
            (r#"emails[type eq "work"].value eq "x""#, "expected 'and', 'or' or the end of the filter at position 22, found '.'"),
            (r#"userName eq "\q""#, r"invalid escape sequence '\q' at position 13"),
            (r#"userName eq "\u12""#, r"invalid \u escape at position 13: expected 4 hex digits"),
            (r#"userName eq "\ud83d""#, "unpaired UTF-16 surrogate"),
            (r#"userName eq "\ude00""#, "unpaired UTF-16 surrogate"),
            ("userName eq \"a\nb\"", "unescaped control character U+000A at position 14"),
            ("and", "expected an attribute path at position 0, found 'and'"),
            ("or", "'or' needs a filter on each side"),
            (r#"userName eq "a" and"#, "expected a filter at position 19 (end of input)"),
            (r#"and userName eq "a""#, "expected an attribute path at position 0, found 'and'"),
            (r#"userName eq "a" and or title pr"#, "found 'or'"),
            (r#""bjensen" eq userName"#, "expected an attribute path at position 0, found '\"bjensen\"'"),
            ("count gt 12abc", "invalid number '12abc' at position 9"),
            ("count gt 01", "invalid number '01' at position 9"),
            ("count gt 1.", "invalid number '1.' at position 9"),
            ("count gt 1e", "invalid number '1e' at position 9"),
            ("count gt -", "invalid number '-' at position 9"),
            ("count gt 1e999", "number '1e999' at position 9 is out of range"),
            (r#"name..familyName eq "x""#, "more than one sub-attribute"),
            (r#"name.familyName.x eq "x""#, "more than one sub-attribute"),
            (r#"name. eq "x""#, "has an empty name"),
            (r#"urn:foo: eq "x""#, "has an empty name"),
            (r#"urn:a::b eq "x""#, "invalid schema URN"),
            (r#"名前 eq "x""#, "unexpected character '名' at position 0"),
            (r#"userName eq "日本" またã"#, "unexpected character 'ま' at position 21"),
            ("é", "unexpected character 'é' at position 0"),
            (r#"userName eq "x" ]"#, "unexpected ']' at position 16 without a matching '['"),
            ("[type pr]", "expected an attribute path at position 0, found '['"),
        ];
        for (input, needle) in rows {
            check(input, Bad(needle));
        }
    }
}
