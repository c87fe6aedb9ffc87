use super::{OpCtx, Rule, Violation, rule_doc};
use crate::ir::Op;

pub struct AddColumnInlineConstraint;

impl Rule for AddColumnInlineConstraint {
    rule_doc!("MC044-add-column-inline-constraint.md");
    fn in_function_bodies(&self) -> bool {
        true
    }

    fn check_op(&self, op: &Op, ctx: &OpCtx<'_>, out: &mut Vec<Violation>) {
        let Op::AddColumn { table, column, .. } = op else {
            return;
        };
        if ctx.is_new_table(&table.name) {
            return;
        }
        let (t, c) = (&table.name, &column.name);
        let mut parts = Vec::new();
        let mut notes = Vec::new();
        if column.unique || column.primary_key {
            parts.push(if column.primary_key {
                "PRIMARY KEY"
            } else {
                "UNIQUE"
            });
            notes.push(format!("the unique index on `{c}` is built with a full scan of `{t}` under ACCESS EXCLUSIVE (measured: add_col_unique)"));
        }
        if !column.checks.is_empty() {
            parts.push("CHECK");
            notes.push(format!("the CHECK is validated with a full scan of `{t}` under ACCESS EXCLUSIVE (measured: add_col_check_no_default)"));
        }
        if let Some(r) = &column.references {
            parts.push("REFERENCES");
            notes.push(format!("SHARE ROW EXCLUSIVE on `{}` blocks writes to it too (no scan: the new column is empty; measured: add_col_fk)", r.name));
        }
        if parts.is_empty() {
            return;
        }
        out.push(Violation {
            span: Some(column.name_span.cover(column.ty_span)),
            message: format!("adding `{c}` with an inline {} constraint locks more than the new column needs", parts.join(" and ")),
            label: format!("inline {}", parts.join(", ")),
            help: Some(format!("add `{c}` plain, then add the constraint separately (unique index CONCURRENTLY + USING INDEX, or NOT VALID + VALIDATE)")),
            notes,
            in_down: false,
        });
    }
}
