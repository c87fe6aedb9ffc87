use super::{PartCtx, Rule, Violation, rule_doc};
use crate::ir::Op;
use crate::pg::classify;

pub struct MissingStatementTimeout;

impl Rule for MissingStatementTimeout {
    rule_doc!("MC081-missing-statement-timeout.md");

    fn check_part(&self, ctx: &PartCtx<'_>, out: &mut Vec<Violation>) {
        if ctx.statement_timeout_on_role {
            return;
        }
        let mut timeout = super::Timeout::new("statement_timeout");
        for (k, stmt) in ctx.statements.iter().enumerate() {
            if timeout.covers(ctx, k) {
                continue;
            }
            let long = stmt.ops.iter().find_map(|op| {
                if matches!(op, Op::Update { .. } | Op::Delete { .. }) {
                    return None;
                }
                let (_, table) = classify::fact_row(op, ctx.version)?;
                let lock = ctx.locks[k]
                    .iter()
                    .find(|l| l.existed && l.table == *table && (l.rewrites || l.scans))?;
                Some((table, lock.rewrites))
            });
            let Some((table, rewrites)) = long else {
                continue;
            };
            out.push(Violation {
                span: Some(stmt.span),
                message: format!(
                    "{} `{table}` runs without a statement_timeout",
                    if rewrites { "rewriting" } else { "scanning" }
                ),
                label: "nothing stops it if the table is larger than expected".into(),
                help: None,
                notes: timeout.ignored_note().into_iter().collect(),
                in_down: false,
            });
            return;
        }
    }
}
