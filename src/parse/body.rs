//! Static SQL inside `DO` blocks: the PL/pgSQL body is split into statements, control flow
//! (`DECLARE`, `BEGIN`, `IF ... THEN`, `LOOP`, `EXCEPTION WHEN ... THEN`, `END`) is stepped over,
//! and `EXECUTE '<literal>'` contributes its literal. Every statement keeps its exact position in
//! the file, so findings inside a body point at the right line and column.

use sqlparser::tokenizer::Token;

use super::tokens::{Tok, tokenize};
use crate::ir::Span;
use crate::source::split;

/// One SQL statement found in a body: its text (same length as its range in the file, with
/// doubled quotes of an EXECUTE literal turned into `' `) and its file offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyStatement {
    pub text: String,
    pub offset: usize,
    /// `EXECUTE` of a computed string (`format(...)`, concatenation, a variable): what it runs
    /// cannot be seen; `text` is the EXECUTE statement itself.
    pub dynamic: bool,
}

/// Words that start a PL/pgSQL statement that is not SQL (skipped).
const NOT_SQL: &[&str] = &[
    "raise", "return", "perform", "null", "get", "open", "fetch", "close", "exit", "continue",
    "assert", "move", "commit", "rollback", "call", "foreach",
];

/// The inner range of a string token (dollar-quoted or single-quoted) at `span` in `text`.
fn inner(text: &str, span: Span) -> Option<(usize, usize, bool)> {
    let s = text.get(span.start..span.end)?;
    if let Some(rest) = s.strip_prefix('$') {
        let tag_end = rest.find('$')? + 2;
        let len = s.len();
        if len < 2 * tag_end {
            return None;
        }
        Some((span.start + tag_end, span.end - tag_end, false))
    } else if s.starts_with('\'') && s.len() >= 2 {
        Some((span.start + 1, span.end - 1, true))
    } else {
        None
    }
}

/// Un-doubles quotes while keeping the length: `''` becomes `' `.
fn undouble(s: &str) -> String {
    s.replace("''", "' ")
}

/// A body's text split into statements: where its inside starts in the file, whether it was a
/// single-quoted string (doubled quotes undone, same length), and the split.
fn split_body(text: &str, body: Span) -> Option<(usize, bool, split::Split)> {
    let (from, to, quoted) = inner(text, body)?;
    let raw = text.get(from..to)?;
    let body_text = if quoted {
        undouble(raw)
    } else {
        raw.to_string()
    };
    Some((from, quoted, split::split(&body_text)))
}

/// The SQL statements of a `LANGUAGE sql` function body whose string token spans `body` in the
/// file `text`: every statement of it.
pub fn sql_body_statements(text: &str, body: Span) -> Vec<BodyStatement> {
    let Some((from, _, parts)) = split_body(text, body) else {
        return Vec::new();
    };
    parts
        .statements
        .iter()
        .filter_map(|st| {
            Some(BodyStatement {
                text: parts.masked.get(st.span.start..st.span.end)?.to_string(),
                offset: from + st.span.start,
                dynamic: false,
            })
        })
        .collect()
}

/// The SQL statements of the `DO` body (or `LANGUAGE plpgsql` function body) whose string
/// token spans `body` in the file `text`.
pub fn do_body_statements(text: &str, body: Span) -> Vec<BodyStatement> {
    let Some((from, quoted, parts)) = split_body(text, body) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut seen_begin = false;
    for st in &parts.statements {
        let piece = &parts.masked[st.span.start..st.span.end];
        let base = from + st.span.start;
        let Ok(toks) = tokenize(piece, base) else {
            continue;
        };
        let toks = toks.toks();
        let mut i = 0;
        // the declaration section runs until the block's BEGIN
        if !seen_begin {
            match toks.iter().position(|t| t.is_word("begin")) {
                Some(b) => {
                    seen_begin = true;
                    i = b;
                }
                None => continue,
            }
        }
        if let Some(stmt) = strip_control(&toks, i, text, quoted) {
            out.push(stmt);
        }
    }
    out
}

/// Steps over PL/pgSQL control words from token `i`; returns the SQL statement that remains.
fn strip_control(toks: &[Tok], mut i: usize, text: &str, quoted: bool) -> Option<BodyStatement> {
    let find_top = |from: usize, word: &str| -> Option<usize> {
        let mut depth = 0i32;
        for (k, t) in toks.iter().enumerate().skip(from) {
            match t.token {
                Token::LParen => depth += 1,
                Token::RParen => depth -= 1,
                _ if depth == 0 && t.is_word(word) => return Some(k),
                _ => {}
            }
        }
        None
    };
    loop {
        let t = toks.get(i)?;
        if matches!(t.token, Token::ShiftLeft) {
            // <<label>>
            i = toks
                .iter()
                .skip(i)
                .position(|x| matches!(x.token, Token::ShiftRight))
                .map(|p| p + i + 1)?;
            continue;
        }
        if t.is_word("begin")
            || t.is_word("else")
            || t.is_word("loop")
            || t.is_word("exception")
            || t.is_word("declare")
        {
            i += 1;
            continue;
        }
        if t.is_word("if") || t.is_word("elsif") || t.is_word("elseif") || t.is_word("when") {
            i = find_top(i + 1, "then")? + 1;
            continue;
        }
        if t.is_word("while") || t.is_word("for") {
            i = find_top(i + 1, "loop")? + 1;
            continue;
        }
        if t.is_word("end") || NOT_SQL.iter().any(|w| t.is_word(w)) {
            return None;
        }
        if toks
            .get(i + 1)
            .is_some_and(|n| matches!(n.token, Token::Assignment))
        {
            return None; // variable := expression
        }
        if t.is_word("execute") {
            // only a constant string (no concatenation, no format()), in a dollar-quoted body
            let lit = toks.get(i + 1)?;
            let constant = matches!(
                lit.token,
                Token::SingleQuotedString(_) | Token::DollarQuotedString(_)
            ) && !toks
                .get(i + 2)
                .is_some_and(|n| matches!(n.token, Token::StringConcat));
            if !constant {
                let start = t.span.start;
                let end = toks.last()?.span.end;
                return Some(BodyStatement {
                    text: text.get(start..end)?.to_string(),
                    offset: start,
                    dynamic: true,
                });
            }
            if quoted {
                return None;
            }
            let (a, b, _) = inner(text, lit.span)?;
            return Some(BodyStatement {
                text: undouble(text.get(a..b)?),
                offset: a,
                dynamic: false,
            });
        }
        let start = t.span.start;
        let end = toks.last()?.span.end;
        let raw = text.get(start..end)?;
        let text = if quoted {
            undouble(raw)
        } else {
            raw.to_string()
        };
        return Some(BodyStatement {
            text,
            offset: start,
            dynamic: false,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stmts(sql: &str) -> Vec<String> {
        let start = sql.find("$$").expect("body");
        let end = sql.rfind("$$").expect("body") + 2;
        do_body_statements(sql, Span::new(start, end))
            .into_iter()
            .filter(|s| !s.dynamic)
            .map(|s| {
                assert_eq!(
                    &sql[s.offset..s.offset + s.text.len()].replace("''", "' "),
                    &s.text
                );
                s.text
            })
            .collect()
    }

    #[test]
    fn finds_static_sql_and_execute_literals() {
        let sql = "DO $$\nDECLARE n int := 0;\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'mood') THEN\n    CREATE TYPE mood AS ENUM ('a');\n  END IF;\n  ALTER TABLE users ADD COLUMN c int DEFAULT 0;\n  n := n + 1;\n  RAISE NOTICE 'done %', n;\n  EXECUTE 'CREATE INDEX users_c_idx ON users (c)';\n  FOR r IN SELECT 1 LOOP\n    UPDATE users SET c = 1;\n  END LOOP;\nEXCEPTION WHEN others THEN\n  DROP TABLE tmp;\nEND\n$$;";
        assert_eq!(
            stmts(sql),
            [
                "CREATE TYPE mood AS ENUM ('a')",
                "ALTER TABLE users ADD COLUMN c int DEFAULT 0",
                "CREATE INDEX users_c_idx ON users (c)",
                "UPDATE users SET c = 1",
                "DROP TABLE tmp",
            ]
        );
    }
}
