use super::{PartCtx, Rule, TxHow, Violation, rule_doc};
use crate::ir::Op;

pub struct TransactionNesting;

impl Rule for TransactionNesting {
    rule_doc!("MC033-transaction-nesting.md");

    fn check_part(&self, ctx: &PartCtx<'_>, out: &mut Vec<Violation>) {
        for (k, stmt) in ctx.statements.iter().enumerate() {
            let tx = &ctx.tx[k];
            // `COMMIT AND CHAIN` (a COMMIT, then a BEGIN): the BEGIN follows the end
            let mut ended = false;
            for op in &stmt.ops {
                match op {
                    // a BEGIN in a multi-statement string makes its implicit transaction
                    // an explicit one: nothing is nested
                    Op::Begin
                        if tx.in_block
                            && !ended
                            && !matches!(
                                tx.how,
                                TxHow::Implicit | TxHow::Batch { .. } | TxHow::Pipeline { .. }
                            ) =>
                    {
                        let whose = match &tx.how {
                            TxHow::Script { begin } => {
                                format!("the BEGIN on line {}", ctx.source.line_col(begin.start).0)
                            }
                            _ => format!("{} ({})", ctx.unit.layout, ctx.tx_reason),
                        };
                        out.push(Violation {
                            span: Some(stmt.span),
                            message: "`BEGIN` inside a transaction that is already open".to_string(),
                            label: "PostgreSQL only warns: there are no nested transactions".to_string(),
                            help: None,
                            notes: vec![format!("the transaction was opened by {whose}; a later COMMIT commits all of it")],
                            in_down: false,
                        });
                    }
                    Op::Commit | Op::Rollback if tx.in_block && tx.how == TxHow::Tool => {
                        out.push(Violation {
                            span: Some(stmt.span),
                            message: format!(
                                "`{}` ends the transaction {} opened for this migration",
                                if matches!(op, Op::Commit) {
                                    "COMMIT"
                                } else {
                                    "ROLLBACK"
                                },
                                ctx.unit.layout
                            ),
                            label: if stmt.ops.iter().any(|o| matches!(o, Op::Begin)) {
                                "the statements after it run in a new transaction (`AND CHAIN`), not the tool's"
                            } else {
                                "the statements after it run outside the tool's transaction"
                            }
                            .to_string(),
                            help: None,
                            notes: vec![format!(
                                "{} wraps the migration in a transaction ({})",
                                ctx.unit.layout, ctx.tx_reason
                            )],
                            in_down: false,
                        });
                    }
                    _ => {}
                }
                ended |= matches!(op, Op::Commit | Op::Rollback);
            }
        }
        // (a tool that wraps the migration commits whatever is open at its end)
        if let (true, TxHow::Script { begin }) = (ctx.end.in_block, &ctx.end.how)
            && ctx.tx_mode != crate::source::layout::TxMode::Transaction
        {
            out.push(Violation {
                span: Some(*begin),
                message: "`BEGIN` is never committed: the transaction is rolled back when the session ends".to_string(),
                label: "opened here".to_string(),
                help: Some("add `COMMIT;` at the end of the script".to_string()),
                notes: Vec::new(),
                in_down: false,
            });
        }
    }
}
