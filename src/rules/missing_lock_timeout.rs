use super::{PartCtx, Rule, Violation, rule_doc};
use crate::ir::Op;

pub struct MissingLockTimeout;

impl Rule for MissingLockTimeout {
    rule_doc!("MC080-missing-lock-timeout.md");

    fn check_part(&self, ctx: &PartCtx<'_>, out: &mut Vec<Violation>) {
        if ctx.lock_timeout_on_role {
            return;
        }
        for (k, stmt) in ctx.statements.iter().enumerate() {
            if stmt.ops.iter().any(|o| matches!(o, Op::Set { name, value, .. } if name.eq_ignore_ascii_case("lock_timeout") && !super::timeout_is_off(value))) {
                return;
            }
            if super::calls_set_config(ctx.source.slice(stmt.span), "lock_timeout") {
                return;
            }
            let Some(lock) = ctx.locks[k]
                .iter()
                .find(|l| l.existed && l.mode.blocks_writes())
            else {
                continue;
            };
            out.push(Violation {
                span: Some(stmt.span),
                message: format!("requesting {} on `{}` without a lock_timeout can queue every query on it", lock.mode, lock.table),
                label: "waits behind running queries, and new queries queue behind it".into(),
                help: Some("add `SET lock_timeout = '2s';` before this statement (or set it on the migration role)".into()),
                notes: Vec::new(),
                in_down: false,
            });
            return; // one per part: the first unprotected lock
        }
    }
}
