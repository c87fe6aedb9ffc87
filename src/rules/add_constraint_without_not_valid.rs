use super::{OpCtx, Rule, Violation, rule_doc};
use crate::ir::{ConstraintKind, Op};
use crate::pg::classify;

pub struct AddConstraintWithoutNotValid;

impl Rule for AddConstraintWithoutNotValid {
    rule_doc!("MC041-add-constraint-without-not-valid.md");
    fn in_function_bodies(&self) -> bool {
        true
    }

    fn check_op(&self, op: &Op, ctx: &OpCtx<'_>, out: &mut Vec<Violation>) {
        let Op::AddConstraint { table, constraint } = op else {
            return;
        };
        if constraint.not_valid || ctx.is_new_table(&table.name) {
            return;
        }
        let t = &table.name;
        let name = constraint
            .name
            .as_deref()
            .map(|n| format!("`{n}` "))
            .unwrap_or_default();
        let (what, notes) = match &constraint.kind {
            ConstraintKind::Check { .. } => (
                "CHECK",
                vec![format!(
                    "ACCESS EXCLUSIVE on `{t}` blocks every read and write while every row is checked"
                )],
            ),
            ConstraintKind::ForeignKey { references, .. } => {
                if ctx.is_new_table(&references.name) && ctx.catalog.table(&table.name).is_none() {
                    return;
                }
                (
                    "FOREIGN KEY",
                    vec![format!(
                        "SHARE ROW EXCLUSIVE on `{t}` and on `{}` blocks writes to both while both are scanned",
                        references.name
                    )],
                )
            }
            _ => return,
        };
        let Some((row, _)) = classify::fact_row(op, ctx.version) else {
            return;
        };
        if !row.scans {
            return;
        }
        out.push(Violation {
            span: Some(constraint.span),
            message: format!("adding {what} constraint {name}to `{t}` without NOT VALID scans the table while blocking writes"),
            label: "validated right away, under the lock".into(),
            help: Some(format!(
                "add it with NOT VALID (no scan), then `ALTER TABLE {t} VALIDATE CONSTRAINT {}` in a separate transaction",
                constraint
                    .name
                    .as_deref()
                    .map_or(std::borrow::Cow::Borrowed("..."), crate::ir::quote_ident)
            )),
            notes,
            in_down: false,
        });
    }
}
