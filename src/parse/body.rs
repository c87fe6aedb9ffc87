//! Static SQL inside `DO` blocks: the PL/pgSQL body is split into statements, control flow
//! (`DECLARE`, `BEGIN`, `IF ... THEN`, `LOOP`, `EXCEPTION WHEN ... THEN`, `END`) is stepped over,
//! and `EXECUTE '<literal>'` contributes its literal. Every statement keeps its exact position in
//! the file, so findings inside a body point at the right line and column.

use std::borrow::Cow;

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan};

use super::tokens::{Tokens, is_word, tokenize};
use crate::ir::Span;
use crate::source::split;

/// One SQL statement found in a body: its text (same length as its range in the file, with
/// doubled quotes of an EXECUTE literal turned into `' `) and its file offset.
#[derive(Debug, Clone, PartialEq)]
pub struct BodyStatement {
    pub text: String,
    pub offset: usize,
    /// `EXECUTE` of a computed string (`format(...)`, concatenation, a variable): what it runs
    /// cannot be seen; `text` is the EXECUTE statement itself.
    pub dynamic: bool,
    /// The statement's tokens, when they are those the body was split into (a statement of a
    /// dollar-quoted body, not an EXECUTE literal): parsing it need not tokenize it again.
    pub tokens: Option<Tokens>,
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

/// A body's inside: where it starts in the file, whether it was a single-quoted string, and its
/// text (doubled quotes undone, same length), to be split into statements.
fn body_text(text: &str, body: Span) -> Option<(usize, bool, Cow<'_, str>)> {
    let (from, to, quoted) = inner(text, body)?;
    let raw = text.get(from..to)?;
    let body_text = if quoted {
        Cow::Owned(undouble(raw))
    } else {
        Cow::Borrowed(raw)
    };
    Some((from, quoted, body_text))
}

/// The SQL statements of a `LANGUAGE sql` function body whose string token spans `body` in the
/// file `text`: every statement of it.
pub fn sql_body_statements(text: &str, body: Span) -> Vec<BodyStatement> {
    let Some((from, _, inside)) = body_text(text, body) else {
        return Vec::new();
    };
    let parts = split::split(&inside);
    parts
        .statements
        .iter()
        .filter_map(|st| {
            Some(BodyStatement {
                text: parts.masked.get(st.span.start..st.span.end)?.to_string(),
                offset: from + st.span.start,
                dynamic: false,
                tokens: None,
            })
        })
        .collect()
}

/// The SQL statements of the `DO` body (or `LANGUAGE plpgsql` function body) whose string
/// token spans `body` in the file `text`.
pub fn do_body_statements(text: &str, body: Span) -> Vec<BodyStatement> {
    let Some((from, quoted, inside)) = body_text(text, body) else {
        return Vec::new();
    };
    let parts = split::split(&inside);
    let mut out = Vec::new();
    let mut seen_begin = false;
    for st in &parts.statements {
        let piece = &parts.masked[st.span.start..st.span.end];
        let base = from + st.span.start;
        let Ok(Tokens { mut raw, mut spans }) = tokenize(piece, base) else {
            continue;
        };
        // the significant tokens, as indexes into `raw`
        let sig: Vec<usize> = (0..raw.len())
            .filter(|&k| !matches!(raw[k].token, Token::Whitespace(_) | Token::EOF))
            .collect();
        let toks = Sig {
            raw: &raw,
            spans: &spans,
            sig: &sig,
        };
        let mut i = 0;
        // the declaration section runs until the block's BEGIN
        if !seen_begin {
            match (0..sig.len()).find(|&k| toks.is_word(k, "begin")) {
                Some(b) => {
                    seen_begin = true;
                    i = b;
                }
                None => continue,
            }
        }
        let Some((mut stmt, own)) = strip_control(&toks, i, text, quoted) else {
            continue;
        };
        // a plain statement is the piece's tokens from its first word to its last token (a
        // COPY is tokenized again: the tokenizer treats a statement's first word COPY apart;
        // so is a statement holding template syntax: the tokens are of the masked text, the
        // statement is its text as written)
        let as_written = stmt
            .offset
            .checked_sub(from)
            .and_then(|at| parts.masked.get(at..at + stmt.text.len()))
            == Some(stmt.text.as_str());
        if let Some((a, b)) = own
            && as_written
            && !matches!(&raw[a].token, Token::Word(w) if w.quote_style.is_none() && w.keyword == Keyword::COPY)
        {
            raw.truncate(b + 1);
            raw.drain(..a);
            spans.truncate(b + 1);
            spans.drain(..a);
            stmt.tokens = Some(Tokens { raw, spans });
        }
        out.push(stmt);
    }
    out
}

/// A piece's significant tokens (`sig`: indexes into `raw` and `spans`).
struct Sig<'a> {
    raw: &'a [TokenWithSpan],
    spans: &'a [Span],
    sig: &'a [usize],
}

impl Sig<'_> {
    fn len(&self) -> usize {
        self.sig.len()
    }

    fn token(&self, k: usize) -> Option<&Token> {
        self.sig.get(k).map(|&r| &self.raw[r].token)
    }

    fn span(&self, k: usize) -> Option<Span> {
        self.sig.get(k).map(|&r| self.spans[r])
    }

    fn is_word(&self, k: usize, kw: &str) -> bool {
        self.token(k).is_some_and(|t| is_word(t, kw))
    }
}

/// Steps over PL/pgSQL control words from token `i`; returns the SQL statement that remains,
/// and for a plain statement (not an EXECUTE) the range of `raw` indexes it spans.
fn strip_control(
    toks: &Sig<'_>,
    mut i: usize,
    text: &str,
    quoted: bool,
) -> Option<(BodyStatement, Option<(usize, usize)>)> {
    let find_top = |from: usize, word: &str| -> Option<usize> {
        let mut depth = 0i32;
        for k in from..toks.len() {
            match toks.token(k)? {
                Token::LParen => depth += 1,
                Token::RParen => depth -= 1,
                _ if depth == 0 && toks.is_word(k, word) => return Some(k),
                _ => {}
            }
        }
        None
    };
    let last = toks.len().checked_sub(1)?;
    loop {
        let t = toks.token(i)?;
        if matches!(t, Token::ShiftLeft) {
            // <<label>>
            i = (i..toks.len())
                .find(|&k| matches!(toks.token(k), Some(Token::ShiftRight)))
                .map(|p| p + 1)?;
            continue;
        }
        let word = |kw: &str| toks.is_word(i, kw);
        if word("begin") || word("else") || word("loop") || word("exception") || word("declare") {
            i += 1;
            continue;
        }
        if word("if") || word("elsif") || word("elseif") || word("when") {
            i = find_top(i + 1, "then")? + 1;
            continue;
        }
        if word("while") || word("for") {
            i = find_top(i + 1, "loop")? + 1;
            continue;
        }
        if word("end") || NOT_SQL.iter().any(|w| word(w)) {
            return None;
        }
        if matches!(toks.token(i + 1), Some(Token::Assignment)) {
            return None; // variable := expression
        }
        let start = toks.span(i)?.start;
        let end = toks.span(last)?.end;
        if word("execute") {
            // only a constant string (no concatenation, no format()), in a dollar-quoted body
            let constant = matches!(
                toks.token(i + 1)?,
                Token::SingleQuotedString(_) | Token::DollarQuotedString(_)
            ) && !matches!(toks.token(i + 2), Some(Token::StringConcat));
            if !constant {
                let statement = BodyStatement {
                    text: text.get(start..end)?.to_string(),
                    offset: start,
                    dynamic: true,
                    tokens: None,
                };
                return Some((statement, None));
            }
            if quoted {
                return None;
            }
            let (a, b, _) = inner(text, toks.span(i + 1)?)?;
            let statement = BodyStatement {
                text: undouble(text.get(a..b)?),
                offset: a,
                dynamic: false,
                tokens: None,
            };
            return Some((statement, None));
        }
        let raw = text.get(start..end)?;
        let (text, own) = if quoted {
            (undouble(raw), None)
        } else {
            (raw.to_string(), Some((toks.sig[i], toks.sig[last])))
        };
        let statement = BodyStatement {
            text,
            offset: start,
            dynamic: false,
            tokens: None,
        };
        return Some((statement, own));
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

    /// A statement with template syntax in a body is parsed from its text as written (its
    /// tokens would be of the masked text).
    #[test]
    fn template_syntax_is_not_reused_masked() {
        let sql = "DO $$ BEGIN ALTER TABLE {{ schema }}.users ADD COLUMN c int; UPDATE t SET a = 1; END $$;";
        let start = sql.find("$$").expect("body");
        let end = sql.rfind("$$").expect("body") + 2;
        let got = do_body_statements(sql, Span::new(start, end));
        let texts: Vec<(&str, bool)> = got
            .iter()
            .map(|s| (s.text.as_str(), s.tokens.is_some()))
            .collect();
        assert_eq!(
            texts,
            [
                ("ALTER TABLE {{ schema }}.users ADD COLUMN c int", false),
                ("UPDATE t SET a = 1", true)
            ]
        );
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
