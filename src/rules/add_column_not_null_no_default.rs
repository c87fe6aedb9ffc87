use super::{OpCtx, Rule, Violation, rule_doc};
use crate::ir::Op;
use crate::pg::{Fact, PgVersion};

pub struct AddColumnNotNullNoDefault;

impl Rule for AddColumnNotNullNoDefault {
    rule_doc!("MC012-add-column-not-null-no-default.md");
    fn in_function_bodies(&self) -> bool {
        true
    }

    fn check_op(&self, op: &Op, ctx: &OpCtx<'_>, out: &mut Vec<Violation>) {
        let Op::AddColumn { table, column, .. } = op else {
            return;
        };
        let has_default = column.default.as_ref().is_some_and(|d| d.text != "null");
        if !column.not_null
            || has_default
            || column.generated.is_some()
            || column.is_serial()
            || ctx.is_new_table(&table.name)
        {
            return;
        }
        let (t, c) = (&table.name, crate::ir::quote_ident(&column.name));
        let span = column.not_null_span.unwrap_or(column.name_span);
        let fast_default = ctx
            .fact(Fact::AddColNotNullDefault)
            .is_some_and(|r| !r.rewrites);
        let help = if fast_default {
            format!(
                "give it a constant default (`ADD COLUMN {c} {} NOT NULL DEFAULT ...` is instant on PostgreSQL {}), or add it nullable, backfill, then enforce NOT NULL",
                column.ty, ctx.version
            )
        } else {
            format!(
                "add `{c}` as nullable, backfill it in batches, then add `CHECK ({c} IS NOT NULL) NOT VALID` and validate it"
            )
        };
        let mut notes = vec![format!(
            "PostgreSQL aborts with `column \"{}\" of relation \"{}\" contains null values` when `{t}` has any row",
            column.name, t.name
        )];
        if ctx.version >= PgVersion::new(12) {
            notes.push(format!("a validated `CHECK ({c} IS NOT NULL)` lets a later `SET NOT NULL` skip its scan (PostgreSQL 12+)"));
        }
        out.push(Violation {
            in_down: false,
            span: Some(span),
            message: format!(
                "adding NOT NULL column `{c}` without a default fails if `{t}` has rows"
            ),
            label: "existing rows would be NULL here".to_string(),
            help: Some(help),
            notes,
        });
    }
}
