//! Statements → operations: the quick path for the plainest frequent statements, sqlparser
//! (PostgreSqlDialect) for the rest, then the token-level fallback, and an `unparsed` record
//! with a location for anything none of them understands.

pub mod body;
pub mod fallback;
pub mod fragments;
pub mod lex;
pub mod lower;
pub mod quick;
pub mod tokens;
pub mod view_deps;

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use std::sync::Arc;

use crate::fasthash::FastMap;
use crate::ir::{Op, Span};
use crate::source::split::{self, RawKind, SplitProblem};
use tokens::{LineMap, tokenize};

/// How a statement was understood.
#[derive(Debug, Clone, PartialEq)]
pub enum How {
    /// Parsed by sqlparser, or recognised by the quick path (`quick`), which takes only forms
    /// sqlparser parses to the same operations (checked by `quick::disagreement`).
    Sqlparser,
    Fallback,
    /// Only the statement kind was recognised (from its leading words); sqlparser rejected it.
    KindOnly,
    PsqlMeta,
    /// Neither sqlparser nor the fallback understood it; `at` is where sqlparser stopped.
    Unparsed {
        message: String,
        at: Span,
    },
}

impl How {
    /// Moves the position of an `Unparsed` by `by` bytes (see `Op::shift`).
    pub fn shift(&mut self, by: usize) {
        if let How::Unparsed { at, .. } = self {
            at.shift(by);
        }
    }
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
    /// A statement found inside a `DO` block's body (it runs inside the DO's transaction).
    pub in_body: bool,
    /// Inside the body of this function or procedure (then also `in_body`): it runs each time
    /// the function is called, not when the migration runs.
    pub in_function: Option<String>,
    /// An `EXECUTE` of a computed string in a body, standing for this many of them in the
    /// body (0: not one): not parsed, reported as not checked.
    pub dynamic: usize,
}

impl Statement {
    /// It ends its transaction: a COMMIT or ROLLBACK (also `AND CHAIN`, which then opens the
    /// next one).
    pub fn ends_transaction(&self) -> bool {
        self.ops
            .iter()
            .any(|o| matches!(o, Op::Commit | Op::Rollback))
    }
}

#[derive(Debug, Clone, Default)]
pub struct ParsedFile {
    pub statements: Vec<Statement>,
    pub problems: Vec<SplitProblem>,
}

pub fn parse_source(text: &str) -> ParsedFile {
    parse_source_at(text, 0, None)
}

/// One statement parsed on its own, positions counted from its first byte: the statement
/// itself, then the static SQL of its `DO` or function bodies.
#[derive(Debug, Clone)]
struct Piece {
    span: Span,
    ops: Vec<Op>,
    how: How,
    in_function: Option<String>,
    dynamic: usize,
}

/// Statements already parsed in one run, by text. Migration histories repeat statements word
/// for word (a down migration restores the view or function the up migration before it
/// created; schema snapshots repeat the whole schema), and a statement's operations depend on
/// its text alone: each text is parsed once and its pieces moved to where it stands.
/// Statements shorter than `MEMO_MIN` bytes cost less to parse than to remember; no more than
/// `MEMO_MAX_BYTES` of text is remembered.
#[derive(Default)]
pub struct Memo {
    seen: std::sync::Mutex<FastMap<Box<str>, Arc<[Piece]>>>,
    bytes: std::sync::atomic::AtomicUsize,
}

const MEMO_MIN: usize = 128;
const MEMO_MAX_BYTES: usize = 16 << 20;

/// A statement's pieces: its own (moved into the file's statements) or remembered (copied).
enum Pieces {
    Own(Vec<Piece>),
    Shared(Arc<[Piece]>),
}

impl Memo {
    fn pieces(&self, text: &str) -> Pieces {
        use std::sync::atomic::Ordering::Relaxed;
        if text.len() < MEMO_MIN {
            return Pieces::Own(parse_pieces(text));
        }
        if let Some(p) = self.seen.lock().ok().and_then(|m| m.get(text).cloned()) {
            return Pieces::Shared(p);
        }
        let pieces: Arc<[Piece]> = parse_pieces(text).into();
        if self.bytes.fetch_add(text.len(), Relaxed) + text.len() <= MEMO_MAX_BYTES
            && let Ok(mut m) = self.seen.lock()
        {
            m.entry(text.into()).or_insert_with(|| pieces.clone());
        }
        Pieces::Shared(pieces)
    }
}

/// What the memo relies on, checked on a whole file (`tests/lex_differential.rs` runs it on
/// every file): a statement parsed on its own and moved by its offset gives what parsing it at
/// its place gives, the statements of its bodies too, and a file parsed with every statement
/// remembered gives what parsing it afresh gives. Also: a body statement parsed from the
/// body's tokens gives what parsing its text gives. `None` when all agree.
pub fn memo_disagreement(text: &str) -> Option<String> {
    let split = split::split(text);
    for raw in split.statements.iter().filter(|r| r.kind == RawKind::Sql) {
        let at = raw.span.start;
        let stmt = split.masked.get(raw.span.start..raw.span.end)?;
        let (mut ops, mut how) = parse_statement(stmt, 0);
        ops.iter_mut().for_each(|o| o.shift(at));
        how.shift(at);
        let placed = parse_statement(stmt, at);
        if (&ops, &how) != (&placed.0, &placed.1) {
            return Some(format!(
                "`{stmt}` at {at}: moved {ops:?} {how:?}, in place {placed:?}"
            ));
        }
        for op in &ops {
            let (body, sql) = match op {
                Op::Do { body_span } => (*body_span, false),
                Op::CreateFunction { body: Some(b), .. } => (b.span, b.language == "sql"),
                _ => continue,
            };
            let statements = |text: &str, span: Span| {
                if sql {
                    body::sql_body_statements(text, span)
                } else {
                    body::do_body_statements(text, span)
                }
            };
            let in_file = statements(&split.masked, body);
            let mut own = statements(stmt, Span::new(body.start - at, body.end - at));
            for b in &mut own {
                b.offset += at;
                for s in b.tokens.iter_mut().flat_map(|t| &mut t.spans) {
                    s.shift(at);
                }
            }
            if own != in_file {
                return Some(format!(
                    "body of `{stmt}`: on its own {own:?}, in the file {in_file:?}"
                ));
            }
            // a statement parsed from the body's tokens is the statement its text parses to
            for b in in_file.into_iter().filter(|b| b.tokens.is_some()) {
                let reference = parse_statement(&b.text, b.offset);
                let reused = parse_tokens(&b.text, b.offset, b.tokens, true);
                if reused != reference {
                    return Some(format!(
                        "`{}` from the body's tokens: {reused:?}, from its text: {reference:?}",
                        b.text
                    ));
                }
            }
        }
    }
    let memo = Memo::default();
    let fresh = format!("{:?}", parse_source_at(text, 0, None).statements);
    for _ in 0..2 {
        let remembered = format!("{:?}", parse_source_at(text, 0, Some(&memo)).statements);
        if remembered != fresh {
            return Some(format!("remembered {remembered}\nfresh {fresh}"));
        }
    }
    None
}

/// `parse_source` for a piece of a file that starts at byte `base` of it: every span is the
/// file's (a section of a large file is parsed without the rest). With a `memo`, a statement
/// parsed before in the same run is not parsed again.
pub fn parse_source_at(text: &str, base: usize, memo: Option<&Memo>) -> ParsedFile {
    let shift = |s: Span| Span::new(base + s.start, base + s.end);
    let split = split::split(text);
    let mut statements = Vec::with_capacity(split.statements.len());
    for raw in &split.statements {
        let text = split.masked.get(raw.span.start..raw.span.end).unwrap_or("");
        let at = base + raw.span.start;
        // problems are in file order: the first at or after the statement's start decides
        // (a binary search: a file can have as many problems as statements)
        let first = split
            .problems
            .partition_point(|p| p.span.start < raw.span.start);
        let unterminated = split
            .problems
            .get(first)
            .is_some_and(|p| p.span.start < raw.span.end.max(raw.span.start + 1));
        if raw.kind == RawKind::PsqlMeta {
            let command = text.split_whitespace().next().unwrap_or("\\").to_string();
            statements.push(Statement {
                index: statements.len(),
                span: shift(raw.span),
                ops: vec![Op::PsqlMeta { command }],
                how: How::PsqlMeta,
                templated: raw.templated,
                unterminated,
                in_body: false,
                in_function: None,
                dynamic: 0,
            });
            continue;
        }
        let pieces = match memo {
            Some(m) => m.pieces(text),
            None => Pieces::Own(parse_pieces(text)),
        };
        let mut place = |k: usize, mut p: Piece| {
            p.ops.iter_mut().for_each(|o| o.shift(at));
            p.how.shift(at);
            p.span.shift(at);
            statements.push(Statement {
                index: statements.len(),
                span: p.span,
                ops: p.ops,
                how: p.how,
                templated: raw.templated,
                unterminated: k == 0 && unterminated,
                in_body: k > 0,
                in_function: p.in_function,
                dynamic: p.dynamic,
            });
        };
        match pieces {
            Pieces::Own(own) => own.into_iter().enumerate().for_each(|(k, p)| place(k, p)),
            Pieces::Shared(shared) => shared
                .iter()
                .enumerate()
                .for_each(|(k, p)| place(k, p.clone())),
        }
    }
    ParsedFile {
        statements,
        problems: split
            .problems
            .into_iter()
            .map(|mut p| {
                p.span = shift(p.span);
                p
            })
            .collect(),
    }
}

/// One SQL statement's pieces (see `Piece`): the statement, then the static SQL inside the
/// bodies of its `DO` blocks and functions, linted like top-level statements.
fn parse_pieces(text: &str) -> Vec<Piece> {
    let (ops, how) = parse_statement(text, 0);
    // (body, function name and language when it is a function's)
    let bodies: Vec<(Span, Option<(String, &'static str)>)> = ops
        .iter()
        .filter_map(|o| match o {
            Op::Do { body_span } => Some((*body_span, None)),
            Op::CreateFunction {
                name,
                body: Some(b),
                ..
            } => Some((b.span, Some((name.to_string(), b.language)))),
            _ => None,
        })
        .collect();
    let mut pieces = vec![Piece {
        span: Span::new(0, text.len()),
        ops,
        how,
        in_function: None,
        dynamic: 0,
    }];
    for (body, function) in bodies {
        let found = match &function {
            Some((_, "sql")) => body::sql_body_statements(text, body),
            _ => body::do_body_statements(text, body),
        };
        // dynamic SQL: one statement per body stands for all of its EXECUTEs
        let dynamic = found.iter().filter(|b| b.dynamic).count();
        let mut seen_dynamic = false;
        for bs in found {
            if bs.dynamic && std::mem::replace(&mut seen_dynamic, true) {
                continue;
            }
            let span = Span::new(bs.offset, bs.offset + bs.text.len());
            let (ops, how) = if bs.dynamic {
                (
                    Vec::new(),
                    How::Unparsed {
                        message: "EXECUTE of a computed string".to_string(),
                        at: span,
                    },
                )
            } else {
                parse_tokens(&bs.text, bs.offset, bs.tokens, true)
            };
            pieces.push(Piece {
                span,
                ops,
                how,
                in_function: function.as_ref().map(|(name, _)| name.clone()),
                dynamic: if bs.dynamic { dynamic } else { 0 },
            });
        }
    }
    pieces
}

/// Parses one statement's (masked) text located at byte `base` of the file.
pub fn parse_statement(text: &str, base: usize) -> (Vec<Op>, How) {
    parse_statement_with(text, base, true)
}

/// `parse_statement` without the quick path: every statement through sqlparser's parser (the
/// reference `quick::disagreement` compares with).
pub fn parse_statement_full(text: &str, base: usize) -> (Vec<Op>, How) {
    parse_statement_with(text, base, false)
}

fn parse_statement_with(text: &str, base: usize, quick_path: bool) -> (Vec<Op>, How) {
    parse_tokens(text, base, None, quick_path)
}

/// `parse_statement_with` from the statement's tokens when the caller has them (`tokenize(text,
/// base)` or the same tokens cut from a larger text, see `body::BodyStatement::tokens`).
fn parse_tokens(
    text: &str,
    base: usize,
    tokens: Option<tokens::Tokens>,
    quick_path: bool,
) -> (Vec<Op>, How) {
    let whole = Span::new(base, base + text.len());
    let tokens = match tokens.map_or_else(|| tokenize(text, base), Ok) {
        Ok(t) => t,
        Err(e) => {
            let at = e.at.map_or(whole, |p| char_at(text, base, p));
            return (
                Vec::new(),
                How::Unparsed {
                    message: e.message,
                    at,
                },
            );
        }
    };
    if quick_path && let Some(q) = quick::recognise(&tokens.raw) {
        return (lower::quick(&q, &tokens.toks()), How::Sqlparser);
    }
    // sqlparser builds (and formats) an error each time it tries an alternative that does not
    // match, and it tries many; a location in it costs two number formattings. Without
    // locations (line 0) it has none to format: the statements that do fail are parsed again
    // with them, for the position of the message.
    let mut raw = tokens.raw;
    for t in &mut raw {
        t.span = sqlparser::tokenizer::Span::empty();
    }
    let dialect = PostgreSqlDialect {};
    let mut parser = Parser::new(&dialect).with_tokens_with_locations(raw);
    let result = parser.parse_statements();
    let toks = tokens::significant(parser.into_tokens(), &tokens.spans);
    match result {
        Ok(stmts) if stmts.len() == 1 => (lower::lower(&stmts[0], &toks), How::Sqlparser),
        Ok(stmts) if stmts.is_empty() => (Vec::new(), How::Sqlparser),
        other => {
            if let Some(ops) = fallback::understand(&toks) {
                return (ops, How::Fallback);
            }
            if let Some(op) = fallback::kind_only(&toks) {
                return (vec![op], How::KindOnly);
            }
            let (message, at) = match other {
                Err(_) => {
                    let msg = located_error(text, base);
                    let map = LineMap::new(text, base);
                    let at = error_location(&msg, &map).map_or(whole, |p| {
                        let tok = toks.iter().find(|t| t.span.start == p);
                        tok.map_or_else(|| char_at(text, base, p), |t| t.span)
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

/// The character of `text` (which starts at byte `base` of its file) at file offset `p`, as a
/// span of the file (empty at the end of the text; never splitting a character).
fn char_at(text: &str, base: usize, p: usize) -> Span {
    let at = p.saturating_sub(base).min(text.len());
    let at = (0..=at)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    let len = text[at..].chars().next().map_or(0, char::len_utf8);
    Span::new(base + at, base + at + len)
}

/// sqlparser's error for a statement it does not parse, with its location (see above: the
/// first parse has none).
fn located_error(text: &str, base: usize) -> String {
    let Ok(tokens) = tokens::tokenize_located(text, base) else {
        return String::new();
    };
    let dialect = PostgreSqlDialect {};
    match Parser::new(&dialect)
        .with_tokens_with_locations(tokens.raw)
        .parse_statements()
    {
        Err(e) => e.to_string(),
        Ok(_) => String::new(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn one(sql: &str) -> (Vec<Op>, How) {
        parse_statement(sql, 0)
    }

    /// An unparsed statement's location is a whole character, also where sqlparser stops at a
    /// multi-byte one (found by the `pipeline` fuzz target: `SELECT 0xІ`).
    #[test]
    fn an_error_location_never_splits_a_character() {
        let text = "SELECT 0x\u{406};";
        let (_, how) = parse_statement(text, 10);
        let How::Unparsed { at, .. } = how else {
            panic!("{how:?}");
        };
        assert_eq!((at.start, at.end), (19, 21));
        assert_eq!(char_at("aé", 5, 7), Span::new(6, 8));
        assert_eq!(char_at("aé", 5, 8), Span::new(8, 8));
    }

    /// The statements the issue lists: each must be understood with the fields rules need.
    #[test]
    fn fallback_understands_what_sqlparser_rejects() {
        type Check = fn(&Op) -> bool;
        let cases: &[(&str, Check)] = &[
            (
                "DROP INDEX CONCURRENTLY IF EXISTS a.idx",
                |o| matches!(o, Op::DropIndex { concurrently: true, if_exists: true, names, .. } if names[0].name == "idx"),
            ),
            (
                "DROP INDEX idx1, idx2",
                |o| matches!(o, Op::DropIndex { concurrently: false, names, .. } if names.len() == 2),
            ),
            (
                "REINDEX INDEX CONCURRENTLY users_pkey",
                |o| matches!(o, Op::Reindex { concurrently: true, target_kind, .. } if target_kind == "INDEX"),
            ),
            (
                "REINDEX (CONCURRENTLY, VERBOSE) TABLE users",
                |o| matches!(o, Op::Reindex { concurrently: true, target_kind, .. } if target_kind == "TABLE"),
            ),
            ("REINDEX TABLE users", |o| {
                matches!(
                    o,
                    Op::Reindex {
                        concurrently: false,
                        ..
                    }
                )
            }),
            (
                "CLUSTER users USING users_pkey",
                |o| matches!(o, Op::Cluster { table: Some(t), .. } if t.name.name == "users"),
            ),
            ("CLUSTER", |o| matches!(o, Op::Cluster { table: None, .. })),
            ("VACUUM FULL users", |o| {
                matches!(o, Op::Vacuum { full: true, .. })
            }),
            ("VACUUM (ANALYZE) users", |o| {
                matches!(o, Op::Vacuum { full: false, .. })
            }),
            ("ALTER SEQUENCE s RESTART WITH 5", |o| {
                matches!(o, Op::AlterSequence { .. })
            }),
            (
                "CREATE STATISTICS st ON a, b FROM users",
                |o| matches!(o, Op::CreateStatistics { table: Some(t) } if t.name.name == "users"),
            ),
            (
                "CREATE EVENT TRIGGER et ON ddl_command_end EXECUTE FUNCTION f()",
                |o| matches!(o, Op::CreateEventTrigger { name } if name == "et"),
            ),
            (
                "DROP EVENT TRIGGER IF EXISTS et",
                |o| matches!(o, Op::DropEventTrigger { name } if name == "et"),
            ),
            ("DO $$ BEGIN PERFORM 1; END $$", |o| {
                matches!(o, Op::Do { .. })
            }),
            ("DO LANGUAGE plpgsql $body$ BEGIN END $body$", |o| {
                matches!(o, Op::Do { .. })
            }),
            ("CREATE PROCEDURE p() LANGUAGE sql AS $$ SELECT 1 $$", |o| {
                matches!(
                    o,
                    Op::CreateFunction {
                        procedure: true,
                        ..
                    }
                )
            }),
            (
                "LOCK TABLE users IN ACCESS EXCLUSIVE MODE",
                |o| matches!(o, Op::LockTable { mode, .. } if mode == "ACCESS EXCLUSIVE"),
            ),
            (
                "LOCK users",
                |o| matches!(o, Op::LockTable { mode, tables, .. } if mode == "ACCESS EXCLUSIVE" && tables.len() == 1),
            ),
            (
                "ALTER TABLE t ALTER CONSTRAINT fk DEFERRABLE",
                |o| matches!(o, Op::AlterConstraint { name, .. } if name == "fk"),
            ),
            ("COMMENT ON TABLE users IS $$x$$", |o| {
                matches!(o, Op::Comment { .. })
            }),
        ];
        for (sql, check) in cases {
            let (ops, how) = one(sql);
            assert!(
                matches!(how, How::Sqlparser | How::Fallback),
                "{sql}: {how:?}"
            );
            assert!(ops.first().is_some_and(check), "{sql}: {ops:?}");
        }
    }

    #[test]
    fn a_repeated_statement_is_parsed_once_and_placed_where_it_stands() {
        let view = "CREATE VIEW active_users AS SELECT u.id, u.email, count(o.id) AS orders \
                    FROM users u JOIN orders o ON o.user_id = u.id WHERE u.deleted_at IS NULL \
                    GROUP BY u.id, u.email;\n";
        let body = "DO $$ BEGIN UPDATE users SET email = lower(email), updated_at = now() \
                    WHERE email <> lower(email); EXECUTE format('ANALYZE %I', 'users'); END $$;\n";
        let text = format!("{view}{body}SELECT 1;\n{view}{body}");
        let memo = Memo::default();
        let file = parse_source_at(&text, 7, Some(&memo));
        // the view and the DO block are remembered; `SELECT 1;` is too short to be (spans end
        // before the `;`)
        assert!(view.len() > MEMO_MIN && body.len() > MEMO_MIN);
        let seen = memo.seen.lock().expect("memo").len();
        assert_eq!(seen, 2);
        let spans: Vec<(usize, usize, bool)> = file
            .statements
            .iter()
            .map(|s| (s.span.start, s.span.end, s.in_body))
            .collect();
        let (v, b) = (view.len(), body.len());
        let second = v + b + "SELECT 1;\n".len();
        let update = body.find("UPDATE").expect("update");
        let execute = body.find("EXECUTE").expect("execute");
        let at = |o: usize| 7 + o;
        assert_eq!(
            spans,
            [
                (at(0), at(v - 2), false),
                (at(v), at(v + b - 2), false),
                (at(v + update), at(v + execute - 2), true),
                (at(v + execute), at(v + b - 10), true),
                (at(v + b), at(v + b + 8), false),
                (at(second), at(second + v - 2), false),
                (at(second + v), at(second + v + b - 2), false),
                (at(second + v + update), at(second + v + execute - 2), true),
                (at(second + v + execute), at(second + v + b - 10), true),
            ]
        );
        // the second copy is the first one moved, positions inside it included
        let moved = |i: usize| {
            let mut s = file.statements[i].clone();
            s.ops.iter_mut().for_each(|o| o.shift(second));
            s.how.shift(second);
            format!("{:?} {:?}", s.ops, s.how)
        };
        for (first, copy) in [(0, 5), (2, 7), (3, 8)] {
            let c = &file.statements[copy];
            assert_eq!(moved(first), format!("{:?} {:?}", c.ops, c.how));
        }
        assert!(matches!(
            &file.statements[8].how,
            How::Unparsed { at: s, .. } if s.start == at(second + v + execute)
        ));
        assert_eq!(
            format!("{:?}", file.statements),
            format!("{:?}", parse_source_at(&text, 7, None).statements)
        );
        assert_eq!(memo_disagreement(&text), None);
    }

    #[test]
    fn sqlparser_path_and_spans() {
        let sql = "ALTER TABLE users ADD COLUMN flag boolean DEFAULT false";
        let (ops, how) = one(sql);
        assert_eq!(how, How::Sqlparser);
        let Some(Op::AddColumn { column, table, .. }) = ops.first() else {
            panic!("{ops:?}")
        };
        assert_eq!(table.name.name, "users");
        let d = column.default.as_ref().expect("default");
        assert_eq!(&sql[d.span.start..d.span.end], "DEFAULT false");
        // offsets are relative to the file: a statement at byte 100
        let (ops, _) = parse_statement("CREATE INDEX i ON t (a)", 100);
        let Some(Op::CreateIndex { keyword_span, .. }) = ops.first() else {
            panic!()
        };
        assert_eq!((keyword_span.start, keyword_span.end), (100, 112));
    }

    #[test]
    fn garbage_is_unparsed_with_a_location() {
        // only the kind is recognised: counted as such, not as understood by the fallback
        assert_eq!(one("SELECT 1 +* FROM").1, How::KindOnly);
        let (ops, how) = one("SELEC 1 FROM");
        assert!(ops.is_empty());
        let How::Unparsed { at, .. } = how else {
            panic!("{how:?}")
        };
        assert_eq!((at.start, at.end), (0, 5));
        let (_, how) = one("CREATE TABLE t (a int,, b int)");
        let How::Unparsed { at, .. } = how else {
            panic!("{how:?}")
        };
        assert_eq!(at.start, 22, "points at the second comma");
        let (_, how) = one("ALTER TABLE t FROB x");
        assert!(matches!(how, How::Unparsed { .. }));
        // deep nesting does not overflow the stack
        let deep = format!("SELECT {}1{}", "(".repeat(10_000), ")".repeat(10_000));
        let (_, how) = one(&deep);
        assert!(
            matches!(how, How::Unparsed { .. } | How::KindOnly),
            "{how:?}"
        );
    }
}
