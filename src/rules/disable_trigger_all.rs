use super::{OpCtx, Rule, Violation, rule_doc};
use crate::ir::Op;

pub struct DisableTriggerAll;

impl Rule for DisableTriggerAll {
    rule_doc!("MC071-disable-trigger-all.md");

    fn check_op(&self, op: &Op, _ctx: &OpCtx<'_>, out: &mut Vec<Violation>) {
        let Op::AlterTableOther {
            table,
            action,
            span,
        } = op
        else {
            return;
        };
        if action != "disable trigger all" {
            return;
        }
        out.push(Violation {
            span: Some(*span),
            message: format!(
                "`DISABLE TRIGGER ALL` on `{}` also turns off foreign key enforcement",
                table.name
            ),
            label: "includes the internal referential-integrity triggers".into(),
            help: None,
            notes: vec![
                "rows written meanwhile are never checked against their foreign keys".into(),
            ],
            in_down: false,
        });
    }
}
