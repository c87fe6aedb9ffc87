use super::{OpCtx, Rule, Violation, rule_doc};
use crate::ir::Op;

pub struct DropIndexNonConcurrently;

impl Rule for DropIndexNonConcurrently {
    rule_doc!("MC050-drop-index-non-concurrently.md");
    fn in_function_bodies(&self) -> bool {
        true
    }

    fn check_op(&self, op: &Op, ctx: &OpCtx<'_>, out: &mut Vec<Violation>) {
        let Op::DropIndex {
            names,
            concurrently: false,
            span,
            ..
        } = op
        else {
            return;
        };
        for n in names {
            let table = ctx.catalog.table_of_index(n);
            if table.is_some_and(|t| t.created_in == Some(ctx.unit)) {
                continue;
            }
            let on = table
                .map(|t| format!("`{}`", t.name))
                .unwrap_or_else(|| "its table".to_string());
            // PostgreSQL refuses CONCURRENTLY for an index of a partitioned table
            let help = if table.is_some_and(|t| t.partitioned) {
                "PostgreSQL cannot drop an index of a partitioned table CONCURRENTLY: drop it when the table is quiet, with a short `lock_timeout` and a retry".to_string()
            } else {
                format!(
                    "`DROP INDEX CONCURRENTLY {n}` in a migration that runs without a transaction"
                )
            };
            out.push(Violation {
                span: Some(*span),
                message: format!("dropping index `{}` without CONCURRENTLY takes ACCESS EXCLUSIVE on {on}", crate::ir::quote_ident(&n.name)),
                label: "blocks every query on the table".into(),
                help: Some(help),
                notes: vec!["the lock also waits for every running query on the table, and new queries queue behind it (measured: drop_index)".into()],
                in_down: false,
            });
        }
    }
}
