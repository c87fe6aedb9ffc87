use super::{OpCtx, Rule, Violation, rule_doc};
use crate::ir::Op;
use crate::pg::LockMode;

pub struct ExplicitLockTable;

impl Rule for ExplicitLockTable {
    rule_doc!("MC056-explicit-lock-table.md");

    fn check_op(&self, op: &Op, ctx: &OpCtx<'_>, out: &mut Vec<Violation>) {
        let Op::LockTable { tables, mode, span } = op else {
            return;
        };
        // outside a transaction block (or first before one Sync) it fails without locking (MC034)
        if ctx.tx.refuses_lock(ctx.version) {
            return;
        }
        let Some(lock) = LockMode::parse(mode) else {
            return;
        };
        if !lock.blocks_writes() {
            return;
        }
        for t in tables.iter().filter(|t| !ctx.is_new_table(&t.name)) {
            out.push(Violation {
                span: Some(*span),
                message: format!(
                    "`LOCK TABLE {}` in {lock} mode holds it until the transaction ends",
                    t.name
                ),
                label: format!("{lock} until COMMIT"),
                help: None,
                notes: vec![lock.describe_on(&t.name.to_string())],
                in_down: false,
            });
        }
    }
}
