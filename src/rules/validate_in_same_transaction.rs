use super::{PartCtx, Rule, Violation, rule_doc};
use crate::ir::{ConstraintKind, Op};

pub struct ValidateInSameTransaction;

impl Rule for ValidateInSameTransaction {
    rule_doc!("MC042-validate-in-same-transaction.md");

    fn check_part(&self, ctx: &PartCtx<'_>, out: &mut Vec<Violation>) {
        // (table, constraint, is_fk, statement index) added NOT VALID in the open transaction
        let mut pending: Vec<(String, String, bool, usize)> = Vec::new();
        // the block sent as one query string the last top-level statement was in
        let mut batch = None;
        for (k, stmt) in ctx.statements.iter().enumerate() {
            if !stmt.in_body {
                let b = ctx.tx[k].batch();
                if !ctx.tx[k].in_block || b != batch {
                    pending.clear();
                }
                batch = b;
            }
            for op in &stmt.ops {
                match op {
                    Op::AddConstraint { table, constraint }
                        if constraint.not_valid && ctx.tx[k].in_block =>
                    {
                        if let Some(n) = &constraint.name {
                            let fk = matches!(constraint.kind, ConstraintKind::ForeignKey { .. });
                            pending.push((table.name.to_string(), n.clone(), fk, k));
                        }
                    }
                    Op::ValidateConstraint { table, name, span } if ctx.tx[k].in_block => {
                        let t = table.name.to_string();
                        let Some((_, _, fk, at)) =
                            pending.iter().find(|(pt, pn, _, _)| *pt == t && pn == name)
                        else {
                            continue;
                        };
                        let line = ctx.source.line_col(ctx.statements[*at].span.start).0;
                        let lock = if *fk {
                            "SHARE ROW EXCLUSIVE on both tables"
                        } else {
                            "ACCESS EXCLUSIVE"
                        };
                        out.push(Violation {
                            span: Some(*span),
                            message: format!("`{name}` is validated in the transaction that added it NOT VALID, so its scan runs under the {lock} lock"),
                            label: "the ADD's lock is still held here".into(),
                            help: Some(format!("commit after adding `{}` NOT VALID (line {line}) and validate it in a later migration", crate::ir::quote_ident(name))),
                            notes: vec![format!("VALIDATE alone takes SHARE UPDATE EXCLUSIVE (reads and writes continue); here the lock from line {line} is held until COMMIT")],
                            in_down: false,
                        });
                    }
                    _ => {}
                }
            }
        }
    }
}
