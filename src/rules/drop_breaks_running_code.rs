use super::{Direction, OpCtx, Rule, Violation, rule_doc};
use crate::ir::Op;

pub struct DropBreaksRunningCode;

impl Rule for DropBreaksRunningCode {
    rule_doc!("MC061-drop-breaks-running-code.md");

    fn check_op(&self, op: &Op, ctx: &OpCtx<'_>, out: &mut Vec<Violation>) {
        if ctx.direction == Direction::Down {
            return; // down-migrations drop what their up part created (see down-does-not-revert)
        }
        let items: Vec<(String, crate::ir::Span, &crate::ir::ObjName)> = match op {
            Op::DropTable { tables, .. } => tables
                .iter()
                .map(|t| (format!("dropping table `{}`", t.name), t.span, &t.name))
                .collect(),
            Op::Truncate { tables } => tables
                .iter()
                .map(|t| (format!("truncating `{}`", t.name), t.span, &t.name))
                .collect(),
            Op::DropColumn {
                table,
                column,
                span,
                ..
            } => vec![(
                format!("dropping column `{}.{column}`", table.name),
                *span,
                &table.name,
            )],
            _ => return,
        };
        for (what, span, table) in items {
            if ctx.is_new_table(table) {
                continue;
            }
            out.push(Violation {
                span: Some(span),
                message: format!("{what} destroys data and breaks the code still using it"),
                label: "no down-migration can bring the data back".into(),
                help: None,
                notes: vec![format!(
                    "ACCESS EXCLUSIVE on `{table}` until the transaction commits"
                )],
                in_down: false,
            });
        }
    }
}
