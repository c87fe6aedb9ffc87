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
        let (t, c) = (&table.name, crate::ir::quote_ident(&column.name));
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
        // an inline REFERENCES on a column without a value to check costs what the separate
        // constraint costs (SHARE ROW EXCLUSIVE on the referenced table, no scan: measured
        // add_col_fk): nothing to gain from splitting it. With a non-NULL default every row
        // is checked against the referenced table under the lock.
        if let Some(r) = &column.references
            && column
                .default
                .as_ref()
                .is_some_and(|d| !d.text.trim().eq_ignore_ascii_case("null"))
            && !ctx.is_new_table(&r.name)
        {
            parts.push("REFERENCES");
            notes.push(format!("every row's default is checked against `{}` under the lock (a full scan of `{t}`), and SHARE ROW EXCLUSIVE on `{}` blocks writes to it meanwhile", r.name, r.name));
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
