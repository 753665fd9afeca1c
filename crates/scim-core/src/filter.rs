//! The SCIM 2.0 filter grammar (RFC 7644 §3.4.2.2) and PATCH paths (RFC 7644 §3.5.2): a public AST,
//! a hand-written lexer and recursive-descent parser, a canonical [`Display`](fmt::Display), and an
//! in-memory evaluator.
//!
//! # Using the AST
//!
//! The AST is public on purpose: storage layers translate [`Filter`] into their own queries (SQL
//! pushdown) by walking it, using [`AttrPath::resolve`] to learn where an attribute lives, its type
//! and whether it is case-exact, and [`Filter::depth`] to bound the size of what they generate.
//! [`Filter::matches`] is the reference semantics such a translation must agree with.
//!
//! # Parsing
//!
//! ```
//! use scim_core::filter::{AttrPath, CompareOp, Filter, Literal};
//!
//! let f: Filter = r#"userName EQ "bjensen""#.parse().unwrap();
//! assert_eq!(
//!     f,
//!     Filter::Compare { path: AttrPath::new("userName"), op: CompareOp::Eq, value: Literal::from("bjensen") }
//! );
//! assert_eq!(f.to_string(), r#"userName eq "bjensen""#);
//! ```
//!
//! Keywords and operators are case-insensitive; `not` needs parentheses (`not (a pr)`); precedence is
//! `not` > `and` > `or`, and `and`/`or` associate to the left. Error positions are 0-based byte
//! offsets into the input.
//!
//! Input is bounded by [`MAX_FILTER_LEN`] bytes and [`MAX_FILTER_DEPTH`] levels of syntactic nesting
//! (parentheses, `not (..)`, `attr[..]`), so the parser's recursion is bounded whatever it is given.

use crate::error::{Result, ScimError};
use std::fmt;
use std::str::FromStr;

mod eval;
mod parse;

/// The longest filter (or PATCH path) accepted, in bytes; longer input is rejected unparsed.
pub const MAX_FILTER_LEN: usize = 4096;

/// The deepest syntactic nesting accepted: each `( .. )`, `not ( .. )` and `attr[ .. ]` is one level.
pub const MAX_FILTER_DEPTH: usize = 32;

/// An attribute path, `[schemaUrn ":"] name ["." subAttribute]` (RFC 7644 §3.10).
///
/// Names keep the spelling they were given; they are matched against the schema case-insensitively
/// by [`AttrPath::resolve`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttrPath {
    /// The schema URN, when the path is fully qualified, e.g.
    /// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`.
    pub urn: Option<String>,
    /// The attribute name, e.g. `name`.
    pub name: String,
    /// The sub-attribute name, e.g. `familyName`.
    pub sub: Option<String>,
}

impl AttrPath {
    /// An unqualified path to a top-level attribute.
    pub fn new(name: impl Into<String>) -> Self {
        AttrPath { urn: None, name: name.into(), sub: None }
    }

    /// This path with a sub-attribute (`name` → `name.familyName`).
    pub fn with_sub(self, sub: impl Into<String>) -> Self {
        AttrPath { sub: Some(sub.into()), ..self }
    }

    /// This path qualified by a schema URN.
    pub fn with_urn(self, urn: impl Into<String>) -> Self {
        AttrPath { urn: Some(urn.into()), ..self }
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(urn) = &self.urn {
            write!(f, "{urn}:")?;
        }
        f.write_str(&self.name)?;
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

/// Parses a bare attribute path (as used by `sortBy`, `attributes`, `excludedAttributes`).
///
/// Errors are `invalidPath`; callers that need another `scimType` can re-wrap the detail.
impl FromStr for AttrPath {
    type Err = ScimError;

    fn from_str(s: &str) -> Result<Self> {
        parse::parse_attr_path_str(s).map_err(ScimError::invalid_path)
    }
}

/// A comparison operator (RFC 7644 §3.4.2.2, Table 3). `pr` is [`Filter::Present`], not an operator
/// here, because it takes no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `eq`: equal.
    Eq,
    /// `ne`: not equal.
    Ne,
    /// `co`: contains (strings).
    Co,
    /// `sw`: starts with (strings).
    Sw,
    /// `ew`: ends with (strings).
    Ew,
    /// `gt`: greater than.
    Gt,
    /// `ge`: greater than or equal.
    Ge,
    /// `lt`: less than.
    Lt,
    /// `le`: less than or equal.
    Le,
}

impl CompareOp {
    /// Every operator, in RFC order.
    pub const ALL: [CompareOp; 9] = [
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Co,
        CompareOp::Sw,
        CompareOp::Ew,
        CompareOp::Gt,
        CompareOp::Ge,
        CompareOp::Lt,
        CompareOp::Le,
    ];

    /// The canonical (lower-case) spelling, e.g. `"eq"`.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Co => "co",
            CompareOp::Sw => "sw",
            CompareOp::Ew => "ew",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
        }
    }

    /// The operator spelled `keyword` (case-insensitive), if any.
    pub fn from_keyword(keyword: &str) -> Option<CompareOp> {
        CompareOp::ALL.into_iter().find(|op| op.as_str().eq_ignore_ascii_case(keyword))
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A comparison value (`compValue` of the RFC grammar). Date-times are strings; they are compared as
/// instants when the attribute they are compared with is a `dateTime`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Literal {
    /// A JSON string, unescaped.
    String(String),
    /// A JSON number.
    Number(serde_json::Number),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
}

impl Literal {
    /// The string, when this is a string literal.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Literal::String(s) => Some(s),
            _ => None,
        }
    }

    /// The literal as a JSON value.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Literal::String(s) => serde_json::Value::String(s.clone()),
            Literal::Number(n) => serde_json::Value::Number(n.clone()),
            Literal::Bool(b) => serde_json::Value::Bool(*b),
            Literal::Null => serde_json::Value::Null,
        }
    }
}

impl From<&str> for Literal {
    fn from(s: &str) -> Self {
        Literal::String(s.to_owned())
    }
}

impl From<String> for Literal {
    fn from(s: String) -> Self {
        Literal::String(s)
    }
}

impl From<bool> for Literal {
    fn from(b: bool) -> Self {
        Literal::Bool(b)
    }
}

impl From<i64> for Literal {
    fn from(n: i64) -> Self {
        Literal::Number(n.into())
    }
}

/// The JSON form: strings quoted and escaped, numbers as JSON numbers, `true`/`false`/`null`.
impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::String(s) => write_json_string(f, s),
            Literal::Number(n) => write!(f, "{n}"),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Null => f.write_str("null"),
        }
    }
}

/// Writes `s` as a JSON string literal. Hand-written because `serde_json::to_string` returns a
/// `Result` this crate may not unwrap, although it cannot fail for a `str`.
fn write_json_string(f: &mut impl fmt::Write, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            '\u{8}' => f.write_str("\\b")?,
            '\u{c}' => f.write_str("\\f")?,
            c if u32::from(c) < 0x20 => write!(f, "\\u{:04x}", u32::from(c))?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

/// A parsed SCIM filter.
///
/// `and`/`or` chains parse left-associatively: `a or b or c` is `Or(Or(a, b), c)`. Parentheses leave
/// no trace in the tree; [`Display`](fmt::Display) adds back exactly those the tree's shape needs, so
/// `parse(display(f)) == f` for every filter the parser can produce.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Filter {
    /// `path op value`.
    Compare {
        /// The attribute compared.
        path: AttrPath,
        /// The operator.
        op: CompareOp,
        /// The value compared with.
        value: Literal,
    },
    /// `path pr`: the attribute has a non-empty value.
    Present(AttrPath),
    /// `left and right`.
    And(Box<Filter>, Box<Filter>),
    /// `left or right`.
    Or(Box<Filter>, Box<Filter>),
    /// `not (inner)`.
    Not(Box<Filter>),
    /// `emails[type eq "work" and value co "@x"]` — inner filter's paths are relative to the element.
    ///
    /// The parser guarantees the inner filter holds no further `ValuePath` and that its attribute
    /// paths are bare sub-attribute names (no URN, no `.sub`), and that `path` has no `sub`.
    ValuePath {
        /// The (multi-valued, complex) attribute whose elements are filtered.
        path: AttrPath,
        /// The filter each element is tested with.
        filter: Box<Filter>,
    },
}

impl Filter {
    /// `path op value`, a convenience for building filters in code.
    pub fn compare(path: AttrPath, op: CompareOp, value: impl Into<Literal>) -> Filter {
        Filter::Compare { path, op, value: value.into() }
    }

    /// `left and right`.
    pub fn and(left: Filter, right: Filter) -> Filter {
        Filter::And(Box::new(left), Box::new(right))
    }

    /// `left or right`.
    pub fn or(left: Filter, right: Filter) -> Filter {
        Filter::Or(Box::new(left), Box::new(right))
    }

    /// `not (inner)`.
    pub fn negate(inner: Filter) -> Filter {
        Filter::Not(Box::new(inner))
    }

    /// The height of the tree: a comparison or `pr` is 1, every `and`/`or`/`not`/value path adds 1 to
    /// its deepest child. Storage layers use it to bound the nesting of the queries they generate.
    ///
    /// This is not what [`MAX_FILTER_DEPTH`] limits (that is syntactic nesting): a flat chain
    /// `a or b or c ...` has depth equal to its length, bounded only by [`MAX_FILTER_LEN`].
    pub fn depth(&self) -> usize {
        // An explicit stack, so programmatically built trees of any height cannot overflow ours.
        let mut max = 0;
        let mut stack = vec![(self, 1usize)];
        while let Some((node, d)) = stack.pop() {
            max = max.max(d);
            match node {
                Filter::Compare { .. } | Filter::Present(_) => {}
                Filter::And(l, r) | Filter::Or(l, r) => {
                    stack.push((l, d + 1));
                    stack.push((r, d + 1));
                }
                Filter::Not(inner) | Filter::ValuePath { filter: inner, .. } => stack.push((inner, d + 1)),
            }
        }
        max
    }

    /// The operands of the left-nested chain of `and`s (`or`s when `or` is true) rooted here, in
    /// source order; a non-chain node is its own single operand. Walking chains iteratively keeps
    /// long `a or b or c ...` filters (hundreds of terms fit in [`MAX_FILTER_LEN`]) off the stack.
    pub(crate) fn chain(&self, or: bool) -> Vec<&Filter> {
        let mut rights = Vec::new();
        let mut cur = self;
        while let (Filter::Or(l, r), true) | (Filter::And(l, r), false) = (cur, or) {
            rights.push(&**r);
            cur = l;
        }
        rights.push(cur);
        rights.reverse();
        rights
    }
}

impl FromStr for Filter {
    type Err = ScimError;

    /// Parses a filter; errors are `invalidFilter` with a detail naming the problem and its position.
    fn from_str(s: &str) -> Result<Self> {
        parse::parse_filter(s).map_err(ScimError::invalid_filter)
    }
}

/// The canonical text: lower-case keywords, single spaces, JSON literals, and parentheses only where
/// the tree's shape needs them.
impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::Compare { path, op, value } => write!(f, "{path} {op} {value}"),
            Filter::Present(path) => write!(f, "{path} pr"),
            Filter::Not(inner) => write!(f, "not ({inner})"),
            Filter::ValuePath { path, filter } => write!(f, "{path}[{filter}]"),
            Filter::Or(..) => {
                for (i, operand) in self.chain(true).into_iter().enumerate() {
                    if i > 0 {
                        f.write_str(" or ")?;
                    }
                    // Only a right operand can be an `or` here (the left spine was flattened): it
                    // was written `a or (b or c)` and must stay grouped to parse back the same.
                    if matches!(operand, Filter::Or(..)) {
                        write!(f, "({operand})")?;
                    } else {
                        write!(f, "{operand}")?;
                    }
                }
                Ok(())
            }
            Filter::And(..) => {
                for (i, operand) in self.chain(false).into_iter().enumerate() {
                    if i > 0 {
                        f.write_str(" and ")?;
                    }
                    if matches!(operand, Filter::Or(..) | Filter::And(..)) {
                        write!(f, "({operand})")?;
                    } else {
                        write!(f, "{operand}")?;
                    }
                }
                Ok(())
            }
        }
    }
}

/// A PATCH operation's `path` (RFC 7644 §3.5.2): `attrPath | valuePath ["." subAttr]`.
///
/// `name.familyName` is `{attr: name.familyName, filter: None, sub: None}`;
/// `emails[type eq "work"].value` is `{attr: emails, filter: Some(type eq "work"), sub: Some(value)}`.
/// `sub` is only ever set together with `filter`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PatchPath {
    /// The attribute (with its own `.sub` when there is no filter).
    pub attr: AttrPath,
    /// The value filter selecting elements of a multi-valued attribute; paths relative to the element.
    pub filter: Option<Filter>,
    /// The sub-attribute after the value filter (`emails[..].value`).
    pub sub: Option<String>,
}

impl PatchPath {
    /// The sub-attribute this path finally targets: `attr.sub` or the one after the filter.
    pub fn sub_attribute(&self) -> Option<&str> {
        self.attr.sub.as_deref().or(self.sub.as_deref())
    }
}

impl FromStr for PatchPath {
    type Err = ScimError;

    /// Parses a PATCH path; errors are `invalidPath` naming the problem and its position.
    fn from_str(s: &str) -> Result<Self> {
        parse::parse_patch_path(s).map_err(ScimError::invalid_path)
    }
}

impl fmt::Display for PatchPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.attr)?;
        if let Some(filter) = &self.filter {
            write!(f, "[{filter}]")?;
        }
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
