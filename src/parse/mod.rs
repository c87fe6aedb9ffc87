//! Statements → operations: sqlparser (PostgreSqlDialect) first, then the token-level fallback,
//! and an `unparsed` record with a location for anything neither understands.

pub mod fallback;
pub mod fragments;
pub mod lower;
pub mod tokens;

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use crate::ir::{Op, Span};
use crate::source::split::{self, RawKind, SplitProblem};
use crate::source::text::SourceText;
use tokens::{LineMap, tokenize};

/// How a statement was understood.
#[derive(Debug, Clone, PartialEq)]
pub enum How {
    Sqlparser,
    Fallback,
    PsqlMeta,
    /// Neither sqlparser nor the fallback understood it; `at` is where sqlparser stopped.
    Unparsed {
        message: String,
        at: Span,
    },
}

#[derive(Debug, Clone)]
pub struct Statement {
    /// 0-based position in its file.
    pub index: usize,
    pub span: Span,
    pub ops: Vec<Op>,
    pub how: How,
    /// Template syntax was masked in it.
    pub templated: bool,
    /// An unterminated quote, comment or template starts inside it (reported on its own).
    pub unterminated: bool,
}

#[derive(Debug, Clone, Default)]
pub struct ParsedFile {
    pub statements: Vec<Statement>,
    pub problems: Vec<SplitProblem>,
}

pub fn parse_source(src: &SourceText) -> ParsedFile {
    let split = split::split(&src.text);
    let mut statements = Vec::with_capacity(split.statements.len());
    for (index, raw) in split.statements.iter().enumerate() {
        let text = split.masked.get(raw.span.start..raw.span.end).unwrap_or("");
        let (ops, how) = match raw.kind {
            RawKind::PsqlMeta => {
                let command = text.split_whitespace().next().unwrap_or("\\").to_string();
                (vec![Op::PsqlMeta { command }], How::PsqlMeta)
            }
            RawKind::Sql => parse_statement(text, raw.span.start),
        };
        let unterminated = split.problems.iter().any(|p| {
            raw.span.start <= p.span.start && p.span.start < raw.span.end.max(raw.span.start + 1)
        });
        statements.push(Statement {
            index,
            span: raw.span,
            ops,
            how,
            templated: raw.templated,
            unterminated,
        });
    }
    ParsedFile {
        statements,
        problems: split.problems,
    }
}

/// Parses one statement's (masked) text located at byte `base` of the file.
pub fn parse_statement(text: &str, base: usize) -> (Vec<Op>, How) {
    let map = LineMap::new(text, base);
    let whole = Span::new(base, base + text.len());
    let tokens = match tokenize(text, base, &map) {
        Ok(t) => t,
        Err(e) => {
            let at = e.at.map_or(whole, |p| Span::new(p, (p + 1).min(whole.end)));
            return (
                Vec::new(),
                How::Unparsed {
                    message: e.message,
                    at,
                },
            );
        }
    };
    let dialect = PostgreSqlDialect {};
    let result = Parser::new(&dialect)
        .with_tokens_with_locations(tokens.raw)
        .parse_statements();
    match result {
        Ok(stmts) if stmts.len() == 1 => (lower::lower(&stmts[0], &tokens.toks), How::Sqlparser),
        Ok(stmts) if stmts.is_empty() => (Vec::new(), How::Sqlparser),
        other => {
            if let Some(ops) = fallback::understand(&tokens.toks) {
                return (ops, How::Fallback);
            }
            let (message, at) = match other {
                Err(e) => {
                    let msg = e.to_string();
                    let at = error_location(&msg, &map).map_or(whole, |p| {
                        let tok = tokens.toks.iter().find(|t| t.span.start == p);
                        tok.map_or(Span::new(p, (p + 1).min(whole.end)), |t| t.span)
                    });
                    (clean_message(&msg), at)
                }
                Ok(_) => (
                    "more than one statement without a separator".to_string(),
                    whole,
                ),
            };
            (Vec::new(), How::Unparsed { message, at })
        }
    }
}

/// sqlparser reports "... at Line: 3, Column: 7"; find that location.
fn error_location(msg: &str, map: &LineMap<'_>) -> Option<usize> {
    let l = msg.rfind("Line: ")?;
    let rest = &msg[l + 6..];
    let comma = rest.find(',')?;
    let line: u64 = rest[..comma].trim().parse().ok()?;
    let c = rest.find("Column: ")?;
    let col: u64 = rest[c + 8..]
        .trim_end_matches(|ch: char| !ch.is_ascii_digit())
        .trim()
        .parse()
        .ok()?;
    map.offset(line, col)
}

fn clean_message(msg: &str) -> String {
    let m = msg.strip_prefix("sql parser error: ").unwrap_or(msg);
    let m = match m.rfind(" at Line: ") {
        Some(p) => &m[..p],
        None => m,
    };
    let mut s = m.trim().to_string();
    if let Some(first) = s.get(..1) {
        let lower = first.to_ascii_lowercase();
        s.replace_range(..1, &lower);
    }
    s
}
