use super::{OpCtx, Rule, Violation, rule_doc};
use crate::ir::Op;
use crate::pg::classify;

pub struct RewritingMaintenanceCommand;

impl Rule for RewritingMaintenanceCommand {
    rule_doc!("MC054-rewriting-maintenance-command.md");
    fn in_function_bodies(&self) -> bool {
        true
    }

    fn check_op(&self, op: &Op, ctx: &OpCtx<'_>, out: &mut Vec<Violation>) {
        let (what, span) = match op {
            Op::Cluster { span, .. } => ("CLUSTER".to_string(), *span),
            Op::Vacuum {
                full: true, span, ..
            } => ("VACUUM FULL".to_string(), *span),
            Op::AlterTableOther { action, span, .. }
                if action.starts_with("set logged")
                    || action.starts_with("set unlogged")
                    || action.starts_with("set tablespace") =>
            {
                (
                    action
                        .split_whitespace()
                        .take(2)
                        .collect::<Vec<_>>()
                        .join(" ")
                        .to_ascii_uppercase(),
                    *span,
                )
            }
            _ => return,
        };
        let Some((row, table)) = classify::fact_row(op, ctx.version) else {
            if matches!(op, Op::Cluster { table: None, .. } | Op::Vacuum { .. }) {
                out.push(Violation {
                    span: Some(span),
                    message: format!("`{what}` without a table rewrites every table it applies to under ACCESS EXCLUSIVE"),
                    label: "rewrites under ACCESS EXCLUSIVE".into(),
                    help: None,
                    notes: Vec::new(),
                    in_down: false,
                });
            }
            return;
        };
        if ctx.is_new_table(table) || !row.rewrites {
            return;
        }
        out.push(Violation {
            span: Some(span),
            message: format!("`{what}` rewrites `{table}` under an ACCESS EXCLUSIVE lock"),
            label: "no reads or writes until it finishes".into(),
            help: None,
            notes: vec![format!(
                "measured: {} rewrites the table on PostgreSQL {}",
                row.op,
                crate::pg::facts::majors_where_op(&row.op, |r| r.rewrites)
            )],
            in_down: false,
        });
    }
}
