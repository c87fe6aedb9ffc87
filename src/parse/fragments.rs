//! Token-level pieces shared by the sqlparser path and the fallback: object names, column
//! definitions, table constraints and ALTER TABLE actions, each with exact spans.
//!
//! sqlparser decides whether a statement is valid and what kind it is; the spans rules point
//! at (the `DEFAULT` clause, the `NOT NULL`, one action of a multi-action ALTER TABLE) come from
//! the tokens, so both paths produce identical operations.

use sqlparser::tokenizer::Token;

use super::tokens::{Tok, TokSlice};
use crate::ir::*;
use crate::pg::functions::{Volatility, is_niladic_stable_keyword, volatility};

/// Reads a possibly qualified name at `i`: `a`, `"A"`, `s.t`, `db.s.t`.
/// Returns the name, its span and the index after it.
pub fn name_at(toks: &[Tok], i: usize) -> Option<(ObjName, Span, usize)> {
    let first = toks.get(i)?;
    let mut parts = vec![first.ident()?];
    let mut span = first.span;
    let mut j = i + 1;
    while matches!(toks.get(j).map(|t| &t.token), Some(Token::Period)) {
        let Some(p) = toks.get(j + 1).and_then(|t| t.ident().map(|s| (s, t.span))) else {
            break;
        };
        parts.push(p.0);
        span = span.cover(p.1);
        j += 2;
    }
    let name = parts.pop()?;
    let schema = parts.pop();
    Some((ObjName { schema, name }, span, j))
}

pub fn table_at(toks: &[Tok], i: usize) -> Option<(TableRef, usize)> {
    let (name, span, j) = name_at(toks, i)?;
    Some((TableRef { name, span }, j))
}

/// Skips optional words (in order) at `i`, returning the new index and how many matched.
pub fn skip_words(toks: &[Tok], mut i: usize, words: &[&str]) -> usize {
    for w in words {
        if toks.get(i).is_some_and(|t| t.is_word(w)) {
            i += 1;
        }
    }
    i
}

/// True when the words at `i` are exactly `words`.
pub fn words_at(toks: &[Tok], i: usize, words: &[&str]) -> bool {
    words
        .iter()
        .enumerate()
        .all(|(k, w)| toks.get(i + k).is_some_and(|t| t.is_word(w)))
}

/// Index of the token closing the parenthesis opened at `open` (or the last token).
pub fn matching_paren(toks: &[Tok], open: usize) -> usize {
    let mut depth = 0i32;
    for (k, t) in toks.iter().enumerate().skip(open) {
        match t.token {
            Token::LParen | Token::LBracket => depth += 1,
            Token::RParen | Token::RBracket => {
                depth -= 1;
                if depth == 0 {
                    return k;
                }
            }
            _ => {}
        }
    }
    toks.len().saturating_sub(1)
}

/// Splits `toks[from..to]` at top-level commas into index ranges `[a, b)`.
pub fn split_top_level(toks: &[Tok], from: usize, to: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = from;
    for (k, t) in toks.iter().enumerate().take(to).skip(from) {
        match t.token {
            Token::LParen | Token::LBracket => depth += 1,
            Token::RParen | Token::RBracket => depth -= 1,
            Token::Comma if depth == 0 => {
                out.push((start, k));
                start = k + 1;
            }
            _ => {}
        }
    }
    if start < to.min(toks.len()) {
        out.push((start, to.min(toks.len())));
    }
    out
}

/// The identifiers inside a parenthesised list starting at `open` (`(a, b)`).
pub fn ident_list(toks: &[Tok], open: usize) -> (Vec<String>, usize) {
    if !matches!(toks.get(open).map(|t| &t.token), Some(Token::LParen)) {
        return (Vec::new(), open);
    }
    let close = matching_paren(toks, open);
    let cols = split_top_level(toks, open + 1, close)
        .into_iter()
        .filter_map(|(a, _)| toks.get(a).and_then(|t| t.ident()))
        .collect();
    (cols, close + 1)
}

/// Renders tokens as compact lower-case SQL text (`varchar(50)`, `numeric(10,2)`).
pub fn text_of(toks: &[Tok]) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    for (k, t) in toks.iter().enumerate() {
        let tight = matches!(
            t.token,
            Token::LParen
                | Token::RParen
                | Token::Comma
                | Token::Period
                | Token::LBracket
                | Token::RBracket
                | Token::DoubleColon
        ) || k == 0
            || matches!(
                toks[k - 1].token,
                Token::LParen | Token::Period | Token::LBracket | Token::DoubleColon | Token::Comma
            );
        if !tight {
            s.push(' ');
        }
        // each piece written in place (no `String` per token)
        match &t.token {
            Token::Word(w) if w.quote_style.is_none() => {
                let at = s.len();
                s.push_str(&w.value);
                s[at..].make_ascii_lowercase();
            }
            other => {
                let _ = write!(s, "{other}");
            }
        }
    }
    s
}

/// Words that end a column's type (the start of a column constraint).
const COLUMN_CONSTRAINT_WORDS: &[&str] = &[
    "constraint",
    "not",
    "null",
    "default",
    "check",
    "unique",
    "primary",
    "references",
    "generated",
    "collate",
    "deferrable",
    "initially",
    "compression",
    "storage",
];

/// Words that end a DEFAULT expression at depth 0.
const DEFAULT_END_WORDS: &[&str] = &[
    "constraint",
    "not",
    "check",
    "unique",
    "primary",
    "references",
    "generated",
    "collate",
    "deferrable",
    "initially",
];

/// Classifies a DEFAULT expression's tokens.
pub fn classify_default(toks: &[Tok]) -> DefaultKind {
    let mut kind = DefaultKind::Constant;
    for (k, t) in toks.iter().enumerate() {
        let Token::Word(w) = &t.token else { continue };
        let called = matches!(toks.get(k + 1).map(|t| &t.token), Some(Token::LParen));
        // the function name may be qualified: take the last part before '('
        if called {
            let name = w.value.to_ascii_lowercase();
            match volatility(&name) {
                Volatility::Volatile => return DefaultKind::Volatile { function: name },
                Volatility::NonVolatile => {
                    if kind == DefaultKind::Constant {
                        kind = DefaultKind::Stable;
                    }
                }
                Volatility::Unknown => {
                    // casts written as function calls of type names are not functions we fear
                    if !is_type_word(&name) && !matches!(kind, DefaultKind::Unknown { .. }) {
                        kind = DefaultKind::Unknown { function: name };
                    }
                }
            }
        } else if w.quote_style.is_none()
            && is_niladic_stable_keyword(&w.value)
            && kind == DefaultKind::Constant
        {
            kind = DefaultKind::Stable;
        }
    }
    kind
}

fn is_type_word(name: &str) -> bool {
    matches!(
        name,
        "varchar"
            | "char"
            | "character"
            | "numeric"
            | "decimal"
            | "timestamp"
            | "timestamptz"
            | "time"
            | "interval"
            | "bit"
            | "varbit"
            | "float"
            | "array"
            | "row"
            | "cast"
            | "coalesce"
            | "nullif"
            | "greatest"
            | "least"
    )
}

/// A column definition from its tokens (`name type [constraints...]`).
pub fn column_def(toks: &[Tok]) -> Option<ColumnDef> {
    let name_tok = toks.first()?;
    let name = name_tok.ident()?;
    // the type runs until the first column-constraint word at depth 0
    let mut k = 1;
    let mut depth = 0i32;
    while k < toks.len() {
        match toks[k].token {
            Token::LParen | Token::LBracket => depth += 1,
            Token::RParen | Token::RBracket => depth -= 1,
            _ => {}
        }
        if depth == 0 && COLUMN_CONSTRAINT_WORDS.iter().any(|w| toks[k].is_word(w)) {
            break;
        }
        k += 1;
    }
    let ty_toks = &toks[1..k];
    let ty = text_of(ty_toks);
    let ty_span = ty_toks
        .span_of(0, ty_toks.len().saturating_sub(1))
        .unwrap_or(name_tok.span);
    let mut col = ColumnDef {
        name,
        name_span: name_tok.span,
        ty,
        ty_span,
        not_null: false,
        not_null_span: None,
        primary_key: false,
        unique: false,
        default: None,
        generated: None,
        checks: Vec::new(),
        references: None,
    };
    while k < toks.len() {
        let t = &toks[k];
        if t.is_word("constraint") {
            k += 2;
        } else if t.is_word("not") && toks.get(k + 1).is_some_and(|n| n.is_word("null")) {
            col.not_null = true;
            col.not_null_span = Some(t.span.cover(toks[k + 1].span));
            k += 2;
        } else if t.is_word("primary") {
            col.primary_key = true;
            col.not_null = true;
            k = skip_words(toks, k + 1, &["key"]);
        } else if t.is_word("unique") {
            col.unique = true;
            k += 1;
        } else if t.is_word("default") {
            let start = k + 1;
            let mut e = start;
            let mut depth = 0i32;
            while e < toks.len() {
                match toks[e].token {
                    Token::LParen | Token::LBracket => depth += 1,
                    Token::RParen | Token::RBracket => depth -= 1,
                    _ => {}
                }
                if depth == 0
                    && e > start
                    && (DEFAULT_END_WORDS.iter().any(|w| toks[e].is_word(w))
                        || toks[e].is_word("null") && !toks[e - 1].is_word("is"))
                {
                    break;
                }
                e += 1;
            }
            let expr = &toks[start..e];
            let span = t.span.cover(expr.last().map_or(t.span, |x| x.span));
            col.default = Some(DefaultExpr {
                kind: classify_default(expr),
                text: text_of(expr),
                span,
            });
            k = e;
        } else if t.is_word("generated") {
            // GENERATED {ALWAYS|BY DEFAULT} AS {IDENTITY [(...)] | (expr) [STORED|VIRTUAL]}
            let mut e = k + 1;
            while e < toks.len() && !toks[e].is_word("as") {
                e += 1;
            }
            e += 1;
            let (kind, end) = if toks.get(e).is_some_and(|x| x.is_word("identity")) {
                let mut end = e;
                if matches!(toks.get(e + 1).map(|x| &x.token), Some(Token::LParen)) {
                    end = matching_paren(toks, e + 1);
                }
                (Generated::Identity, end)
            } else {
                let close = if matches!(toks.get(e).map(|x| &x.token), Some(Token::LParen)) {
                    matching_paren(toks, e)
                } else {
                    e
                };
                if toks.get(close + 1).is_some_and(|x| x.is_word("stored")) {
                    (Generated::Stored, close + 1)
                } else if toks.get(close + 1).is_some_and(|x| x.is_word("virtual")) {
                    (Generated::Virtual, close + 1)
                } else {
                    (Generated::Virtual, close)
                }
            };
            let end = end.min(toks.len() - 1);
            col.generated = Some((kind, t.span.cover(toks[end].span)));
            k = end + 1;
        } else if t.is_word("check") {
            let open = k + 1;
            let close = matching_paren(toks, open);
            col.checks
                .push(t.span.cover(toks[close.min(toks.len() - 1)].span));
            k = close + 1;
            k = skip_words(toks, k, &["no", "inherit"]);
        } else if t.is_word("references") {
            if let Some((r, j)) = table_at(toks, k + 1) {
                col.references = Some(r);
                k = j;
            } else {
                k += 1;
            }
        } else {
            k += 1;
        }
    }
    Some(col)
}

/// A table constraint (`[CONSTRAINT name] CHECK (...) | FOREIGN KEY ... | UNIQUE ... | ...`),
/// with `NOT VALID` detected.
pub fn table_constraint(toks: &[Tok]) -> Option<Constraint> {
    let mut k = 0;
    let mut name = None;
    if toks.first()?.is_word("constraint") {
        name = toks.get(1).and_then(|t| t.ident());
        k = 2;
    }
    let head = toks.get(k)?;
    let span = toks.span_of(0, toks.len() - 1)?;
    let not_valid = toks
        .windows(2)
        .any(|w| w[0].is_word("not") && w[1].is_word("valid"));
    let using_index = toks
        .windows(3)
        .find(|w| w[0].is_word("using") && w[1].is_word("index"))
        .and_then(|w| w[2].ident());
    let kind = if head.is_word("check") {
        let open = k + 1;
        let close = matching_paren(toks, open);
        let inner = toks.get(open + 1..close).unwrap_or(&[]);
        let not_null_of = match inner {
            [c, is, not, null]
                if is.is_word("is") && not.is_word("not") && null.is_word("null") =>
            {
                c.ident()
            }
            _ => None,
        };
        ConstraintKind::Check { not_null_of }
    } else if head.is_word("foreign") {
        let open = skip_words(toks, k + 1, &["key"]);
        let (columns, after) = ident_list(toks, open);
        let r = toks
            .iter()
            .skip(after)
            .position(|t| t.is_word("references"))
            .map(|p| p + after);
        let (references, _) = table_at(toks, r? + 1)?;
        ConstraintKind::ForeignKey {
            columns,
            references,
        }
    } else if head.is_word("unique") {
        let mut open = k + 1;
        // NULLS [NOT] DISTINCT (15+)
        while toks
            .get(open)
            .is_some_and(|t| t.is_word("nulls") || t.is_word("not") || t.is_word("distinct"))
        {
            open += 1;
        }
        ConstraintKind::Unique {
            columns: ident_list(toks, open).0,
            using_index,
        }
    } else if head.is_word("primary") {
        ConstraintKind::PrimaryKey {
            columns: ident_list(toks, skip_words(toks, k + 1, &["key"])).0,
            using_index,
        }
    } else if head.is_word("exclude") {
        ConstraintKind::Exclude
    } else if head.is_word("not") && toks.get(k + 1).is_some_and(|t| t.is_word("null")) {
        ConstraintKind::NotNull {
            column: toks.get(k + 2).and_then(|t| t.ident())?,
        }
    } else {
        return None;
    };
    Some(Constraint {
        name,
        kind,
        not_valid,
        span,
    })
}

/// True when an element of a CREATE TABLE list is a table constraint, not a column.
pub fn starts_table_constraint(toks: &[Tok]) -> bool {
    toks.first().is_some_and(|t| {
        [
            "constraint",
            "check",
            "unique",
            "primary",
            "foreign",
            "exclude",
        ]
        .iter()
        .any(|w| t.is_word(w))
    })
}

/// The actions of `ALTER TABLE [IF EXISTS] [ONLY] name action [, ...]` (tokens of the whole
/// statement). Also `RENAME`, `SET SCHEMA`, `ATTACH/DETACH PARTITION` forms.
pub fn alter_table_ops(toks: &[Tok]) -> Option<Vec<Op>> {
    if !(toks.first()?.is_word("alter") && toks.get(1)?.is_word("table")) {
        return None;
    }
    let mut i = skip_words(toks, 2, &["if", "exists"]);
    i = skip_words(toks, i, &["only"]);
    let (table, after) = table_at(toks, i)?;
    let mut i = after;
    if matches!(toks.get(i).map(|t| &t.token), Some(Token::Mul)) {
        i += 1; // `name *` (descendants)
    }
    let mut ops = Vec::new();
    for (a, b) in split_top_level(toks, i, toks.len()) {
        // an action must start with one of PostgreSQL's ALTER TABLE verbs
        if !toks
            .get(a)
            .is_some_and(|t| ALTER_TABLE_VERBS.iter().any(|v| t.is_word(v)))
        {
            return None;
        }
        ops.push(alter_action(&toks[a..b], &table));
    }
    if ops.is_empty() {
        return None;
    }
    Some(ops)
}

/// First words of every ALTER TABLE action (PostgreSQL 10–18 grammar).
const ALTER_TABLE_VERBS: &[&str] = &[
    "add",
    "drop",
    "alter",
    "rename",
    "validate",
    "set",
    "reset",
    "cluster",
    "owner",
    "enable",
    "disable",
    "force",
    "no",
    "inherit",
    "noinherit",
    "of",
    "not",
    "replica",
    "attach",
    "detach",
    "options",
];

fn alter_action(t: &[Tok], table: &TableRef) -> Op {
    let span = t
        .span_of(0, t.len().saturating_sub(1))
        .unwrap_or(table.span);
    let table = table.clone();
    let w = |k: usize, s: &str| t.get(k).is_some_and(|x| x.is_word(s));
    let other = |table: TableRef| Op::AlterTableOther {
        table,
        action: text_of(t),
        span,
    };
    if w(0, "add") {
        let mut k = 1;
        let is_constraint = t.get(1).is_some_and(|x| {
            [
                "constraint",
                "check",
                "unique",
                "primary",
                "foreign",
                "exclude",
            ]
            .iter()
            .any(|s| x.is_word(s))
        }) || (w(1, "not") && w(2, "null"));
        if is_constraint {
            return match table_constraint(&t[1..]) {
                Some(constraint) => Op::AddConstraint { table, constraint },
                None => other(table),
            };
        }
        k = skip_words(t, k, &["column"]);
        let before = k;
        k = skip_words(t, k, &["if", "not", "exists"]);
        let if_not_exists = k > before;
        return match column_def(&t[k..]) {
            Some(column) => Op::AddColumn {
                table,
                column,
                if_not_exists,
            },
            None => other(table),
        };
    }
    if w(0, "drop") {
        if w(1, "constraint") {
            let k = skip_words(t, 2, &["if", "exists"]);
            if let Some(name) = t.get(k).and_then(|x| x.ident()) {
                return Op::DropConstraint { table, name, span };
            }
        } else if !w(1, "not") && !w(1, "default") {
            let k = skip_words(t, 1, &["column"]);
            let before = k;
            let k = skip_words(t, k, &["if", "exists"]);
            let if_exists = k > before;
            if let Some(column) = t.get(k).and_then(|x| x.ident()) {
                // DROP [COLUMN] name; other DROP forms (ROW LEVEL SECURITY ...) have keywords here
                let is_keyword_form = w(1, "row") || w(1, "expression") || w(1, "identity");
                if !is_keyword_form || w(1, "column") {
                    return Op::DropColumn {
                        table,
                        column,
                        if_exists,
                        cascade: t.last().is_some_and(|x| x.is_word("cascade")),
                        span,
                    };
                }
            }
        }
        return other(table);
    }
    if w(0, "alter") {
        if w(1, "constraint") {
            if let Some(name) = t.get(2).and_then(|x| x.ident()) {
                return Op::AlterConstraint { table, name, span };
            }
            return other(table);
        }
        let k = skip_words(t, 1, &["column"]);
        let Some(column) = t.get(k).and_then(|x| x.ident()) else {
            return other(table);
        };
        let k = k + 1;
        if w(k, "set") && w(k + 1, "not") && w(k + 2, "null") {
            return Op::SetNotNull {
                table,
                column,
                span,
            };
        }
        if w(k, "drop") && w(k + 1, "not") && w(k + 2, "null") {
            return Op::DropNotNull {
                table,
                column,
                span,
            };
        }
        if w(k, "set") && w(k + 1, "default") {
            return Op::SetDefault {
                table,
                column,
                span,
            };
        }
        if w(k, "drop") && w(k + 1, "default") {
            return Op::DropDefault {
                table,
                column,
                span,
            };
        }
        let ty_at = if w(k, "type") {
            Some(k + 1)
        } else if w(k, "set") && w(k + 1, "data") && w(k + 2, "type") {
            Some(k + 3)
        } else {
            None
        };
        if let Some(ty_at) = ty_at {
            let end = (ty_at..t.len())
                .find(|&e| t[e].is_word("using") || t[e].is_word("collate"))
                .unwrap_or(t.len());
            let ty = text_of(t.get(ty_at..end).unwrap_or(&[]));
            // `USING col` and `USING col::<the new type>` are the conversion PostgreSQL would
            // do anyway: it treats them like no USING clause (no forced rewrite)
            let using = end < t.len() && t[end].is_word("using") && {
                let rest = t.get(end + 1..).unwrap_or(&[]);
                let is_col =
                    rest.first().and_then(|x| x.ident()).as_deref() == Some(column.as_str());
                let cast_to_ty = rest.len() > 2
                    && matches!(rest[1].token, sqlparser::tokenizer::Token::DoubleColon)
                    && text_of(&rest[2..]) == ty;
                !(is_col && (rest.len() == 1 || cast_to_ty))
            };
            return Op::AlterColumnType {
                table,
                column,
                ty,
                using,
                span,
            };
        }
        return other(table);
    }
    if w(0, "validate")
        && w(1, "constraint")
        && let Some(name) = t.get(2).and_then(|x| x.ident())
    {
        return Op::ValidateConstraint { table, name, span };
    }
    if w(0, "rename") {
        if w(1, "to") {
            if let Some(to) = t.get(2).and_then(|x| x.ident()) {
                return Op::RenameTable { table, to, span };
            }
        } else if !w(1, "constraint") {
            let k = skip_words(t, 1, &["column"]);
            if let (Some(from), true, Some(to)) = (
                t.get(k).and_then(|x| x.ident()),
                w(k + 1, "to"),
                t.get(k + 2).and_then(|x| x.ident()),
            ) {
                return Op::RenameColumn {
                    table,
                    from,
                    to,
                    span,
                };
            }
        }
    }
    other(table)
}

/// `CREATE [OR REPLACE] [CONSTRAINT] TRIGGER name ... ON table ...` and
/// `DROP TRIGGER [IF EXISTS] name ON table`: the table is what they lock.
pub fn trigger_op(toks: &[Tok]) -> Option<Op> {
    let w = |i: usize, s: &str| toks.get(i).is_some_and(|t| t.is_word(s));
    if w(0, "create") {
        let or_replace = w(1, "or") && w(2, "replace");
        let k = skip_words(toks, if or_replace { 3 } else { 1 }, &["constraint"]);
        if !w(k, "trigger") {
            return None;
        }
        // the first ON after the event list (`ON table`; `ON` cannot appear earlier)
        let on = (k + 2..toks.len()).find(|&i| toks[i].is_word("on"))?;
        let (table, _) = table_at(toks, on + 1)?;
        return Some(Op::CreateTrigger { table, or_replace });
    }
    if w(0, "drop") && w(1, "trigger") {
        let on = (2..toks.len()).find(|&i| toks[i].is_word("on"))?;
        let (table, _) = table_at(toks, on + 1)?;
        return Some(Op::DropTrigger { table });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::tokens::tokenize;

    fn toks(sql: &str) -> Vec<Tok> {
        tokenize(sql, 0).expect("tokenizes").toks()
    }

    #[test]
    fn column_defs() {
        let sql = "flag boolean NOT NULL DEFAULT false";
        let c = column_def(&toks(sql)).expect("column");
        assert_eq!(c.name, "flag");
        assert_eq!(c.ty, "boolean");
        assert!(c.not_null);
        let d = c.default.expect("default");
        assert_eq!(&sql[d.span.start..d.span.end], "DEFAULT false");
        assert_eq!(d.kind, DefaultKind::Constant);

        let c = column_def(&toks(
            "\"Id\" numeric(10, 2) default random() * 2 check (x > 0)",
        ))
        .expect("column");
        assert_eq!(c.name, "Id");
        assert_eq!(c.ty, "numeric(10,2)");
        assert_eq!(
            c.default.expect("d").kind,
            DefaultKind::Volatile {
                function: "random".into()
            }
        );
        assert_eq!(c.checks.len(), 1);

        let c = column_def(&toks("ts timestamp with time zone default now() not null")).expect("c");
        assert_eq!(c.ty, "timestamp with time zone");
        assert_eq!(c.default.expect("d").kind, DefaultKind::Stable);
        assert!(c.not_null);

        let c = column_def(&toks("n int default null")).expect("c");
        assert_eq!(c.default.expect("d").text, "null");

        let c = column_def(&toks("id bigint generated always as identity primary key")).expect("c");
        assert_eq!(c.generated.map(|g| g.0), Some(Generated::Identity));
        assert!(c.primary_key);
        let c = column_def(&toks("x int generated always as (a * 2) stored")).expect("c");
        assert_eq!(c.generated.map(|g| g.0), Some(Generated::Stored));
        let c = column_def(&toks("x int default my_fn()")).expect("c");
        assert_eq!(
            c.default.expect("d").kind,
            DefaultKind::Unknown {
                function: "my_fn".into()
            }
        );
        let c = column_def(&toks("x text default 'a'::text")).expect("c");
        assert_eq!(c.default.expect("d").kind, DefaultKind::Constant);
    }

    #[test]
    fn alter_table_actions() {
        let sql = "ALTER TABLE IF EXISTS public.users ADD COLUMN a int DEFAULT 1, ALTER COLUMN b SET NOT NULL, ALTER CONSTRAINT fk DEFERRABLE, ADD CONSTRAINT c CHECK (b IS NOT NULL) NOT VALID";
        let ops = alter_table_ops(&toks(sql)).expect("ops");
        assert_eq!(ops.len(), 4);
        assert!(
            matches!(&ops[0], Op::AddColumn { table, .. } if table.name.schema.as_deref() == Some("public") && table.name.name == "users")
        );
        match &ops[1] {
            Op::SetNotNull { column, span, .. } => {
                assert_eq!(column, "b");
                assert_eq!(&sql[span.start..span.end], "ALTER COLUMN b SET NOT NULL");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(&ops[2], Op::AlterConstraint { name, .. } if name == "fk"));
        match &ops[3] {
            Op::AddConstraint { constraint, .. } => {
                assert!(constraint.not_valid);
                assert_eq!(
                    constraint.kind,
                    ConstraintKind::Check {
                        not_null_of: Some("b".into())
                    }
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
