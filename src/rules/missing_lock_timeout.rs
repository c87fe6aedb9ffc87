use super::{PartCtx, Rule, Violation, rule_doc};

pub struct MissingLockTimeout;

impl Rule for MissingLockTimeout {
    rule_doc!("MC080-missing-lock-timeout.md");

    fn check_part(&self, ctx: &PartCtx<'_>, out: &mut Vec<Violation>) {
        if ctx.lock_timeout_on_role {
            return;
        }
        let mut timeout = super::Timeout::new("lock_timeout");
        for (k, stmt) in ctx.statements.iter().enumerate() {
            if timeout.covers(ctx, k) {
                continue;
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
                notes: timeout.ignored_note().into_iter().collect(),
                in_down: false,
            });
            return; // one per part: the first unprotected lock
        }
    }
}
