use super::{OpCtx, Rule, Violation, rule_doc};
use crate::ir::Op;

pub struct SystemCatalogWrite;

impl Rule for SystemCatalogWrite {
    rule_doc!("MC082-system-catalog-write.md");
    fn in_function_bodies(&self) -> bool {
        true
    }

    fn check_op(&self, op: &Op, ctx: &OpCtx<'_>, out: &mut Vec<Violation>) {
        let (table, verb) = match op {
            Op::Insert { table, .. } => (table, "INSERT INTO"),
            Op::Update { table, .. } => (table, "UPDATE"),
            Op::Delete { table, .. } => (table, "DELETE FROM"),
            _ => return,
        };
        if !super::is_system_catalog(&table.name, ctx.catalog) {
            return;
        }
        out.push(Violation {
            span: Some(table.span),
            message: format!("`{verb} {}` writes a system catalog directly", table.name),
            label: "bypasses locks, dependencies and cache invalidation".into(),
            help: None,
            notes: Vec::new(),
            in_down: false,
        });
    }
}
