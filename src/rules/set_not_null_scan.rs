use super::{OpCtx, Rule, Violation, lock_note, rule_doc};
use crate::ir::Op;
use crate::pg::Fact;

pub struct SetNotNullScan;

impl Rule for SetNotNullScan {
    rule_doc!("MC013-set-not-null-scan.md");
    fn in_function_bodies(&self) -> bool {
        true
    }

    fn check_op(&self, op: &Op, ctx: &OpCtx<'_>, out: &mut Vec<Violation>) {
        let Op::SetNotNull {
            table,
            column,
            span,
        } = op
        else {
            return;
        };
        if ctx.is_new_table(&table.name) {
            return;
        }
        // already NOT NULL (as the migrations left it): PostgreSQL has nothing to check
        if ctx.catalog.is_not_null(&table.name, column) {
            return;
        }
        let valid_check = ctx.catalog.valid_not_null_check(&table.name, column);
        let fact = if valid_check.is_some() {
            Fact::SetNotNullWithValidCheck
        } else {
            Fact::SetNotNull
        };
        let Some(row) = ctx.fact(fact) else { return };
        if !row.scans {
            return;
        }
        let (t, c) = (&table.name, crate::ir::quote_ident(column));
        let skips_with_check = ctx
            .fact(Fact::SetNotNullWithValidCheck)
            .is_some_and(|r| !r.scans);
        let help = if skips_with_check {
            format!(
                "first `ALTER TABLE {t} ADD CONSTRAINT {} CHECK ({c} IS NOT NULL) NOT VALID` and `VALIDATE CONSTRAINT` it (reads and writes continue); then `SET NOT NULL` skips the scan on PostgreSQL {}",
                crate::ir::quote_ident(&format!("{}_{column}_not_null", t.name)),
                ctx.version
            )
        } else {
            format!(
                "on PostgreSQL {} a validated CHECK does not let SET NOT NULL skip the scan (that arrived in 12): enforce the rule with `CHECK ({c} IS NOT NULL) NOT VALID` + `VALIDATE CONSTRAINT` instead",
                ctx.version
            )
        };
        let mut notes: Vec<String> = lock_note(row, t).into_iter().collect();
        if valid_check.is_some() {
            notes.push(format!(
                "the validated CHECK on `{c}` does not help before PostgreSQL 12"
            ));
        } else if let Some(chk) = ctx.catalog.unvalidated_not_null_check(&table.name, column) {
            let name = chk.name.clone().unwrap_or_else(|| "the CHECK".to_string());
            notes.push(format!("`{name}` is NOT VALID, so it does not let SET NOT NULL skip the scan: validate it first"));
        }
        out.push(Violation {
            in_down: false,
            span: Some(*span),
            message: format!(
                "`SET NOT NULL` on `{t}.{c}` scans the whole table under an ACCESS EXCLUSIVE lock"
            ),
            label: "checks every row for NULLs while holding the lock".to_string(),
            help: Some(help),
            notes,
        });
    }
}
