use super::{OpCtx, Rule, TxHow, Violation, rule_doc};
use crate::ir::Op;
use crate::source::layout::TxMode;

pub struct LockOutsideTransaction;

impl Rule for LockOutsideTransaction {
    rule_doc!("MC034-lock-outside-transaction.md");

    fn check_op(&self, op: &Op, ctx: &OpCtx<'_>, out: &mut Vec<Violation>) {
        // a DO block is one transaction; a function body runs in its caller's
        if ctx.tx.in_block || ctx.tx.how != TxHow::None {
            return;
        }
        if !matches!(op, Op::LockTable { .. }) {
            return;
        }
        let unit = ctx.layout_unit;
        let why = match unit.tx {
            TxMode::Script => {
                "the script has not opened a transaction (BEGIN) before it".to_string()
            }
            TxMode::Transaction => format!(
                "{} runs this migration without a transaction ({})",
                unit.layout, ctx.tx_reason
            ),
            _ => format!("{} layout: {}", unit.layout, ctx.tx_reason),
        };
        out.push(Violation {
            in_down: false,
            span: Some(ctx.statement.span),
            message: "`LOCK TABLE` outside a transaction block: PostgreSQL refuses it".to_string(),
            label: "ERROR: LOCK TABLE can only be used in transaction blocks (SQLSTATE 25P01)"
                .to_string(),
            help: Some(
                "run the lock and the statements it protects in one transaction (a lock is released when its transaction ends), or drop the LOCK"
                    .to_string(),
            ),
            notes: vec![format!("why it runs on its own: {why}")],
        });
    }
}
