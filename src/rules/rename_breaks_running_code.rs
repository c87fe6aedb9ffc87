use super::{Direction, OpCtx, Rule, Violation, rule_doc};
use crate::ir::Op;

pub struct RenameBreaksRunningCode;

impl Rule for RenameBreaksRunningCode {
    rule_doc!("MC060-rename-breaks-running-code.md");

    fn check_op(&self, op: &Op, ctx: &OpCtx<'_>, out: &mut Vec<Violation>) {
        if ctx.direction == Direction::Down {
            return; // a rollback's renames restore the names the old code expects
        }
        let (table, what, span) = match op {
            Op::RenameColumn {
                table,
                from,
                to,
                span,
            } => (
                table,
                format!("renaming `{}.{from}` to `{to}`", table.name),
                *span,
            ),
            Op::RenameTable { table, to, span } => {
                (table, format!("renaming `{}` to `{to}`", table.name), *span)
            }
            _ => return,
        };
        if ctx.is_new_table(&table.name) {
            return;
        }
        out.push(Violation {
            span: Some(span),
            message: format!("{what} breaks the application code still using the old name"),
            label: "the old name stops working at COMMIT".into(),
            help: None,
            notes: vec![
                "during a rolling deploy the previous release keeps using the old name".into(),
            ],
            in_down: false,
        });
    }
}
