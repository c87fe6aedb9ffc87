use super::{OpCtx, Rule, Violation, rule_doc};
use crate::ir::{ConstraintKind, Op};
use crate::pg::classify;

pub struct AddUniqueConstraintBuildingIndex;

impl Rule for AddUniqueConstraintBuildingIndex {
    rule_doc!("MC043-add-unique-constraint-building-index.md");
    fn in_function_bodies(&self) -> bool {
        true
    }

    fn check_op(&self, op: &Op, ctx: &OpCtx<'_>, out: &mut Vec<Violation>) {
        let Op::AddConstraint { table, constraint } = op else {
            return;
        };
        if ctx.is_new_table(&table.name) {
            return;
        }
        let (what, cols) = match &constraint.kind {
            ConstraintKind::Unique {
                using_index: None,
                columns,
            } => ("UNIQUE", columns.clone()),
            ConstraintKind::PrimaryKey {
                using_index: None,
                columns,
            } => ("PRIMARY KEY", columns.clone()),
            ConstraintKind::Exclude => ("EXCLUDE", Vec::new()),
            _ => return,
        };
        let Some((row, _)) = classify::fact_row(op, ctx.version) else {
            return;
        };
        if !row.scans {
            return;
        }
        let t = &table.name;
        let name = constraint
            .name
            .clone()
            .unwrap_or_else(|| format!("{}_{}_key", t.name, cols.join("_")));
        let help = if what == "EXCLUDE" {
            "exclusion constraints have no USING INDEX form: add them while the table is small, or in a maintenance window".to_string()
        } else {
            let name = crate::ir::quote_ident(&name);
            format!(
                "`CREATE UNIQUE INDEX CONCURRENTLY {name} ON {t} ({})`, then `ALTER TABLE {t} ADD CONSTRAINT {name} {what} USING INDEX {name}`",
                cols.iter()
                    .map(|c| crate::ir::quote_ident(c))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let mut notes = vec![format!(
            "ACCESS EXCLUSIVE on `{t}` blocks every read and write for the whole index build"
        )];
        if what == "PRIMARY KEY" {
            notes.push("a primary key also makes its columns NOT NULL: nullable columns are scanned once more".into());
        }
        out.push(Violation {
            span: Some(constraint.span),
            message: format!("adding a {what} constraint to `{t}` builds its index under an ACCESS EXCLUSIVE lock"),
            label: "the index is built while the table is locked".into(),
            help: Some(help),
            notes,
            in_down: false,
        });
    }
}
