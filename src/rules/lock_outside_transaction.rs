use super::{PartCtx, Rule, TxHow, Violation, rule_doc};
use crate::ir::Op;
use crate::source::layout::TxMode;

pub struct LockOutsideTransaction;

impl Rule for LockOutsideTransaction {
    rule_doc!("MC034-lock-outside-transaction.md");

    fn check_part(&self, ctx: &PartCtx<'_>, out: &mut Vec<Violation>) {
        // the last top-level COMMIT or ROLLBACK (its line), until a BEGIN
        let mut ended_at: Option<usize> = None;
        for (k, stmt) in ctx.statements.iter().enumerate() {
            // a DO block is one transaction; a function body runs in its caller's
            if stmt.in_body {
                continue;
            }
            let tx = &ctx.tx[k];
            // (before one Sync, pgJDBC, a LOCK is refused as the first statement, and before
            // PostgreSQL 18 later too)
            let pipelined = tx.in_block && matches!(tx.how, TxHow::Pipeline { .. });
            if tx.refuses_lock(ctx.version)
                && stmt.ops.iter().any(|o| matches!(o, Op::LockTable { .. }))
            {
                let why = match ended_at {
                    _ if pipelined => format!(
                        "{}; PostgreSQL refuses a LOCK there as the first statement, and before 18 anywhere",
                        ctx.tx_reason
                    ),
                    Some(line) => format!("the COMMIT or ROLLBACK on line {line} ended the transaction before it"),
                    None => match ctx.tx_mode {
                        TxMode::Script => "the script has not opened a transaction (BEGIN) before it".to_string(),
                        TxMode::Implicit => "it is the only statement of the string the tool sends, so it runs alone".to_string(),
                        _ => format!("{} layout: {}", ctx.unit.layout, ctx.tx_reason),
                    },
                };
                out.push(Violation {
                    in_down: false,
                    span: Some(stmt.span),
                    message: "`LOCK TABLE` outside a transaction block: PostgreSQL refuses it".to_string(),
                    label: "ERROR: LOCK TABLE can only be used in transaction blocks (SQLSTATE 25P01)".to_string(),
                    help: Some(
                        "run the lock and the statements it protects in one transaction (a lock is released when its transaction ends), or drop the LOCK"
                            .to_string(),
                    ),
                    notes: vec![format!("why it runs on its own: {why}")],
                });
            }
            for op in &stmt.ops {
                match op {
                    Op::Commit | Op::Rollback => {
                        ended_at = Some(ctx.source.line_col(stmt.span.start).0);
                    }
                    Op::Begin => ended_at = None,
                    _ => {}
                }
            }
        }
    }
}
