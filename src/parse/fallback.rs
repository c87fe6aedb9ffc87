//! Token-level understanding of statements sqlparser 0.64 rejects but a migration linter must
//! know: DROP INDEX CONCURRENTLY, REINDEX, CLUSTER, VACUUM, ALTER SEQUENCE, CREATE STATISTICS,
//! event triggers, DO, CREATE PROCEDURE/FUNCTION, LOCK, ALTER TABLE forms (ALTER CONSTRAINT,
//! ...), COMMENT ON ... IS $$...$$, and the statement kinds whose name is all rules need.
//! Returns `None` when the statement is not understood (it becomes an `unparsed` finding).

use sqlparser::tokenizer::Token;

use super::fragments::*;
use super::lower;
use super::tokens::Tok;
use crate::ir::*;

/// Statement kinds recognised by their leading words alone: rules need nothing more from them
/// today. Each entry is a sequence of leading words.
const KIND_ONLY: &[&[&str]] = &[
    &["grant"],
    &["revoke"],
    &["alter", "default", "privileges"],
    &["create", "role"],
    &["alter", "role"],
    &["drop", "role"],
    &["create", "user"],
    &["alter", "user"],
    &["drop", "user"],
    &["create", "schema"],
    &["alter", "schema"],
    &["drop", "schema"],
    &["create", "domain"],
    &["alter", "domain"],
    &["drop", "domain"],
    &["create", "type"],
    &["drop", "type"],
    &["create", "trigger"],
    &["create", "constraint", "trigger"],
    &["create", "or", "replace", "trigger"],
    &["create", "or", "replace", "constraint", "trigger"],
    &["drop", "trigger"],
    &["alter", "trigger"],
    &["create", "policy"],
    &["alter", "policy"],
    &["drop", "policy"],
    &["create", "aggregate"],
    &["create", "or", "replace", "aggregate"],
    &["drop", "aggregate"],
    &["create", "operator"],
    &["drop", "operator"],
    &["create", "cast"],
    &["drop", "cast"],
    &["create", "collation"],
    &["create", "text", "search"],
    &["alter", "text", "search"],
    &["alter", "function"],
    &["alter", "procedure"],
    &["alter", "routine"],
    &["drop", "function"],
    &["drop", "procedure"],
    &["drop", "routine"],
    &["alter", "extension"],
    &["drop", "extension"],
    &["create", "extension"],
    &["create", "publication"],
    &["alter", "publication"],
    &["drop", "publication"],
    &["create", "subscription"],
    &["alter", "subscription"],
    &["drop", "subscription"],
    &["create", "foreign"],
    &["alter", "foreign"],
    &["drop", "foreign"],
    &["create", "server"],
    &["alter", "server"],
    &["drop", "server"],
    &["create", "user", "mapping"],
    &["import", "foreign", "schema"],
    &["create", "rule"],
    &["create", "or", "replace", "rule"],
    &["drop", "rule"],
    &["security", "label"],
    &["alter", "view"],
    &["alter", "materialized", "view"],
    &["drop", "view"],
    &["drop", "materialized", "view"],
    &["drop", "sequence"],
    &["alter", "index"],
    &["alter", "database"],
    &["alter", "system"],
    &["create", "database"],
    &["drop", "database"],
    &["create", "tablespace"],
    &["drop", "tablespace"],
    &["alter", "large", "object"],
    &["select"],
    &["with"],
    &["values"],
    &["copy"],
    &["notify"],
    &["listen"],
    &["discard"],
    &["checkpoint"],
    &["call"],
    &["savepoint"],
    &["release"],
    &["prepare"],
    &["execute"],
    &["deallocate"],
    &["load"],
    &["explain"],
    &["reassign", "owned"],
    &["drop", "owned"],
    &["alter", "statistics"],
    &["drop", "statistics"],
    &["alter", "operator"],
    &["alter", "collation"],
    &["alter", "conversion"],
    &["create", "conversion"],
    &["create", "transform"],
    &["create", "access", "method"],
    &["create", "language"],
    &["create", "or", "replace", "language"],
    &["alter", "language"],
    &["alter", "aggregate"],
    &["alter", "event", "trigger"],
    &["alter", "tablespace"],
    &["alter", "group"],
    &["create", "group"],
    &["drop", "group"],
    &["merge"],
    &["refresh", "collation"],
];

pub fn understand(toks: &[Tok]) -> Option<Vec<Op>> {
    if let Some(op) = trigger_op(toks) {
        return Some(vec![op]);
    }
    let w = |k: usize, s: &str| toks.get(k).is_some_and(|t| t.is_word(s));
    let whole = toks.first()?.span.cover(toks[toks.len() - 1].span);

    if w(0, "drop") && w(1, "index") {
        return Some(vec![lower::drop_index(toks)]);
    }
    if w(0, "drop") && w(1, "type") {
        let if_exists = w(2, "if") && w(3, "exists");
        let cascade = toks.last().is_some_and(|t| t.is_word("cascade"));
        return Some(vec![lower::drop_type(toks, if_exists, cascade)]);
    }
    if w(0, "drop") && (w(1, "view") || w(1, "materialized") && w(2, "view")) {
        let k = if w(1, "view") { 2 } else { 3 };
        let if_exists = w(k, "if") && w(k + 1, "exists");
        let cascade = toks.last().is_some_and(|t| t.is_word("cascade"));
        return Some(vec![lower::drop_view(toks, if_exists, cascade)]);
    }
    if w(0, "alter")
        && (w(1, "view") || w(1, "materialized") && w(2, "view"))
        && let Some(op) = lower::rename_view(toks)
    {
        return Some(vec![op]);
    }
    if w(0, "reindex") {
        return reindex(toks, whole).map(|op| vec![op]);
    }
    if w(0, "cluster") {
        let k = skip_words(toks, 1, &["verbose"]);
        let k = if matches!(toks.get(k).map(|t| &t.token), Some(Token::LParen)) {
            matching_paren(toks, k) + 1
        } else {
            k
        };
        let table = table_at(toks, k).map(|(t, _)| t);
        return Some(vec![Op::Cluster { table, span: whole }]);
    }
    if w(0, "vacuum") {
        return Some(vec![lower::vacuum(toks)]);
    }
    if w(0, "analyze") || w(0, "analyse") {
        let k = skip_words(toks, 1, &["verbose"]);
        return Some(vec![Op::Analyze {
            tables: lower::table_list(toks, k),
        }]);
    }
    if w(0, "alter") && w(1, "sequence") {
        let k = skip_words(toks, 2, &["if", "exists"]);
        let (name, _, j) = name_at(toks, k)?;
        // `AS type` among the options (in any order)
        let as_type = toks
            .iter()
            .skip(j)
            .position(|t| t.is_word("as"))
            .and_then(|p| toks.get(j + p + 1))
            .and_then(|t| t.ident());
        return Some(vec![Op::AlterSequence { name, as_type }]);
    }
    if w(0, "create") && w(1, "statistics") {
        let from = toks.iter().rposition(|t| t.is_word("from"))?;
        return Some(vec![Op::CreateStatistics {
            table: table_at(toks, from + 1).map(|(t, _)| t),
        }]);
    }
    if w(0, "create") && w(1, "event") && w(2, "trigger") {
        return Some(vec![Op::CreateEventTrigger {
            name: toks.get(3)?.ident()?,
        }]);
    }
    if w(0, "drop") && w(1, "event") && w(2, "trigger") {
        let k = skip_words(toks, 3, &["if", "exists"]);
        return Some(vec![Op::DropEventTrigger {
            name: toks.get(k)?.ident()?,
        }]);
    }
    if w(0, "do") {
        let body = toks.iter().find(|t| {
            matches!(
                t.token,
                Token::DollarQuotedString(_)
                    | Token::SingleQuotedString(_)
                    | Token::EscapedStringLiteral(_)
            )
        })?;
        return Some(vec![Op::Do {
            body_span: body.span,
        }]);
    }
    if w(0, "create") {
        let k = skip_words(toks, 1, &["or", "replace"]);
        if w(k, "procedure") || w(k, "function") {
            return Some(vec![lower::create_function(toks, w(k, "procedure"))]);
        }
        let u = skip_words(toks, 1, &["unique"]);
        if w(u, "index") {
            let concurrently = toks.get(u + 1).is_some_and(|t| t.is_word("concurrently"));
            let if_not_exists = toks
                .windows(3)
                .any(|x| x[0].is_word("if") && x[1].is_word("not") && x[2].is_word("exists"));
            return lower::create_index(toks, concurrently, u > 1, if_not_exists)
                .map(|op| vec![op]);
        }
    }
    if w(0, "lock") {
        return lower::lock_table(toks).map(|op| vec![op]);
    }
    if w(0, "alter") && w(1, "table") {
        return alter_table_ops(toks);
    }
    if w(0, "comment") && w(1, "on") {
        let is = toks.iter().rposition(|t| t.is_word("is"))?;
        let object_kind = toks
            .get(2..is.min(4))
            .map(text_of)
            .unwrap_or_default()
            .to_ascii_uppercase();
        return Some(vec![Op::Comment { object_kind }]);
    }
    if w(0, "begin") || w(0, "start") {
        return Some(vec![Op::Begin]);
    }
    if w(0, "commit") || w(0, "end") {
        return Some(vec![Op::Commit]);
    }
    if w(0, "rollback") || w(0, "abort") {
        return Some(vec![if w(1, "to") {
            Op::Other {
                kind: "ROLLBACK TO SAVEPOINT".into(),
            }
        } else {
            Op::Rollback
        }]);
    }
    if w(0, "set") || w(0, "reset") {
        return Some(vec![lower::set(toks)]);
    }
    if w(0, "create")
        && toks.iter().take(6).any(|t| t.is_word("table"))
        && !toks.iter().take(4).any(|t| t.is_word("foreign"))
    {
        // CREATE [UNLOGGED|TEMP] TABLE forms sqlparser rejects (e.g. PARTITION OF ... DEFAULT)
        if !well_formed_lists(toks) {
            return None;
        }
        return Some(vec![lower::create_table(
            toks,
            toks.iter().any(|t| t.is_word("as")),
            false,
        )]);
    }
    if w(0, "insert")
        || w(0, "update")
        || w(0, "delete")
        || (w(0, "with")
            && toks
                .iter()
                .any(|t| t.is_word("insert") || t.is_word("update") || t.is_word("delete")))
    {
        for kind in ["INSERT", "UPDATE", "DELETE"] {
            if toks.iter().any(|t| t.is_word(kind)) {
                return Some(lower::dml(toks, kind));
            }
        }
    }
    if w(0, "alter") && w(1, "type") {
        return Some(vec![lower::alter_type(toks)]);
    }
    if w(0, "truncate") {
        return Some(vec![lower::truncate(toks)]);
    }
    if w(0, "refresh") && w(1, "materialized") {
        return Some(vec![lower::refresh(toks)]);
    }
    if w(0, "create")
        && (w(1, "view") || (w(1, "or") && w(3, "view")) || (w(1, "materialized") && w(2, "view")))
    {
        return Some(vec![Op::CreateView {
            name: lower::name_after_kw(toks, "view").unwrap_or_else(|| ObjName::new("?")),
            materialized: w(1, "materialized"),
            // the query's columns come from sqlparser's AST only: none known here
            reads: Vec::new(),
            columns: Vec::new(),
        }]);
    }
    if w(0, "create") && w(1, "sequence") || w(0, "create") && w(2, "sequence") {
        return Some(vec![Op::CreateSequence {
            name: lower::name_after_kw(toks, "sequence")?,
        }]);
    }
    None
}

/// Statements recognised by their leading words only (see `KIND_ONLY`): sqlparser rejected
/// them and no rule needs more than the kind today. Counted apart from the fallback proper, so
/// coverage figures stay honest.
pub fn kind_only(toks: &[Tok]) -> Option<Op> {
    KIND_ONLY
        .iter()
        .find(|kind| words_at(toks, 0, kind))
        .map(|kind| Op::Other {
            kind: kind.join(" ").to_ascii_uppercase(),
        })
}

/// Parentheses balance and no list has an empty element (`(,`, `,,`, `,)`).
fn well_formed_lists(toks: &[Tok]) -> bool {
    let mut depth = 0i32;
    for (k, t) in toks.iter().enumerate() {
        let next = toks.get(k + 1).map(|n| &n.token);
        match t.token {
            Token::LParen => {
                depth += 1;
                if matches!(next, Some(Token::Comma)) {
                    return false;
                }
            }
            Token::RParen => depth -= 1,
            Token::Comma if matches!(next, Some(Token::Comma) | Some(Token::RParen) | None) => {
                return false;
            }
            _ => {}
        }
        if depth < 0 {
            return false;
        }
    }
    depth == 0
}

fn reindex(toks: &[Tok], whole: Span) -> Option<Op> {
    let mut k = 1;
    let mut concurrently = false;
    if matches!(toks.get(k).map(|t| &t.token), Some(Token::LParen)) {
        let close = matching_paren(toks, k);
        concurrently = toks[k..close].iter().any(|t| t.is_word("concurrently"));
        k = close + 1;
    }
    let target_kind = toks.get(k)?.ident()?.to_ascii_uppercase();
    if !["INDEX", "TABLE", "SCHEMA", "DATABASE", "SYSTEM"].contains(&target_kind.as_str()) {
        return None;
    }
    k += 1;
    if toks.get(k).is_some_and(|t| t.is_word("concurrently")) {
        concurrently = true;
        k += 1;
    }
    let name = name_at(toks, k).map_or_else(|| ObjName::new(""), |(n, _, _)| n);
    Some(Op::Reindex {
        target_kind,
        name,
        concurrently,
        span: whole,
    })
}
