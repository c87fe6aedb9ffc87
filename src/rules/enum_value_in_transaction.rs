use super::{PartCtx, Rule, TxHow, Violation, rule_doc};
use crate::ir::Op;
use crate::pg::{InTxn, facts, txn};
use sqlparser::tokenizer::Token;

pub struct EnumValueInTransaction;

/// `ADD VALUE [IF NOT EXISTS] 'v'` → `v`.
fn added_value(action: &str) -> Option<String> {
    let lower = action.to_ascii_lowercase();
    if !lower.starts_with("add value") {
        return None;
    }
    let start = action.find('\'')?;
    let end = action[start + 1..].find('\'')? + start + 1;
    Some(action[start + 1..end].to_string())
}

impl Rule for EnumValueInTransaction {
    rule_doc!("MC031-enum-value-in-transaction.md");

    fn check_part(&self, ctx: &PartCtx<'_>, out: &mut Vec<Violation>) {
        // (type, value, statement index) added in the current transaction block
        let mut added: Vec<(String, String, usize)> = Vec::new();
        let mut created_types: Vec<String> = Vec::new();
        let refused =
            facts::lookup_op("enum_add_value", ctx.version).is_some_and(|r| r.in_txn == InTxn::No);
        // the block sent as one query string the last top-level statement was in
        let mut batch = None;
        // the last top-level statement ended its transaction (COMMIT, ROLLBACK)
        let mut ended = false;
        for (k, stmt) in ctx.statements.iter().enumerate() {
            let tx = &ctx.tx[k];
            // a new transaction: values added and types created before are committed
            let mut new_transaction = !tx.in_block;
            if !stmt.in_body {
                new_transaction |= tx.batch() != batch || ended;
                batch = tx.batch();
                ended = stmt.ends_transaction();
            }
            if new_transaction {
                added.clear();
                created_types.clear();
            }
            for op in &stmt.ops {
                match op {
                    Op::CreateType { name } => created_types.push(name.name.clone()),
                    Op::AlterType { name, action, span } => {
                        let Some(value) = added_value(action) else {
                            continue;
                        };
                        if !tx.in_block {
                            continue;
                        }
                        // before one Sync (pgJDBC): where it is refused in a block, it runs
                        // as the pipeline's first statement (on 10 anywhere) and commits at
                        // once, and a use later in the pipeline works (measured on 10, 11)
                        if let TxHow::Pipeline { first } = tx.how
                            && refused
                        {
                            if !txn::runs_in_pipeline(first, ctx.version)
                                && !created_types.contains(&name.name)
                            {
                                out.push(Violation {
                                    span: Some(*span),
                                    message: format!("`ALTER TYPE {} ADD VALUE` cannot run inside a transaction block on PostgreSQL {}, and a statement after the first before one Sync runs in one", name, ctx.version),
                                    label: "refused with SQLSTATE 25001 (\"cannot be executed within a pipeline\") before PostgreSQL 12".into(),
                                    help: Some("make it the changeset's first statement, or put it in a changeset of its own with `runInTransaction:false`".into()),
                                    notes: vec![
                                        format!("why it runs in a transaction: {}; PostgreSQL 11 runs such a statement there only as the first", ctx.tx_reason),
                                        "measured: refused in a transaction on PostgreSQL 10–11, allowed from 12".into(),
                                    ],
                                    in_down: false,
                                });
                            }
                            continue;
                        }
                        if refused && !created_types.contains(&name.name) {
                            out.push(Violation {
                                span: Some(*span),
                                message: format!("`ALTER TYPE {} ADD VALUE` cannot run inside a transaction block on PostgreSQL {}", name, ctx.version),
                                label: "refused with SQLSTATE 25001 before PostgreSQL 12".into(),
                                help: Some(format!("add `'{value}'` in a migration of its own that runs without a transaction")),
                                notes: vec!["measured: refused in a transaction on PostgreSQL 10–11, allowed from 12".into()],
                                in_down: false,
                            });
                        }
                        added.push((name.name.clone(), value, k));
                    }
                    _ => {}
                }
            }
            // a later statement of the same transaction that uses an added value (adding the same
            // label to another enum is not a use)
            let adds_values = stmt.ops.iter().any(|o| matches!(o, Op::AlterType { .. }));
            for (ty, value, at) in added.iter().filter(|_| !adds_values) {
                if *at >= k || txn::new_enum_value_usable(ctx.version, created_types.contains(ty)) {
                    continue;
                }
                let text = ctx.source.slice(stmt.span);
                if mentions_literal(text, value) {
                    out.push(Violation {
                        span: Some(stmt.span),
                        message: format!("the new value `'{value}'` of enum `{ty}` is used in the transaction that added it"),
                        label: format!("PostgreSQL: unsafe use of new value \"{value}\""),
                        help: Some("add the value in one migration and use it in a later one".into()),
                        notes: vec!["measured: from PostgreSQL 12 a new enum value cannot be used before the transaction that added it commits (from 17 it can when the type was created in the same transaction)".into()],
                        in_down: false,
                    });
                }
            }
        }
    }
}

/// Whether the statement text contains the string literal `'value'`.
fn mentions_literal(text: &str, value: &str) -> bool {
    // `value` holds no quote (`added_value` stops at the first), so a literal equal to it is
    // written as is: text without the bare value cannot hold it (and is not tokenized)
    if !text.contains(value) {
        return false;
    }
    let dialect = sqlparser::dialect::PostgreSqlDialect {};
    sqlparser::tokenizer::Tokenizer::new(&dialect, text)
        .tokenize()
        .map(|toks| {
            toks.iter()
                .any(|t| matches!(t, Token::SingleQuotedString(s) if s == value))
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_uses() {
        assert!(mentions_literal("UPDATE t SET s = 'archived'", "archived"));
        assert!(mentions_literal(
            "INSERT INTO t VALUES ('a', 'archived')",
            "archived"
        ));
        // a column, a longer literal, a comment: not a use of the value
        assert!(!mentions_literal(
            "UPDATE t SET archived = true",
            "archived"
        ));
        assert!(!mentions_literal(
            "UPDATE t SET s = 'archived_old'",
            "archived"
        ));
        assert!(!mentions_literal(
            "UPDATE t SET s = 'x' -- 'archived'",
            "archived"
        ));
        assert!(!mentions_literal("UPDATE t SET s = 'x'", "archived"));
        assert!(mentions_literal("SELECT ''", ""));
    }
}
