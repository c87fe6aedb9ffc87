use super::{Rule, UnitCtx, Violation, rule_doc};
use crate::source::layout::Down;

pub struct MissingDownMigration;

impl Rule for MissingDownMigration {
    rule_doc!("MC020-missing-down-migration.md");

    fn check_unit(&self, ctx: &UnitCtx<'_>, out: &mut Vec<Violation>) {
        if !ctx.require_down || ctx.unit.up.is_none() || ctx.irreversible.is_some() {
            return;
        }
        let Down::Missing { expected } = &ctx.unit.down else {
            return;
        };
        out.push(Violation {
            span: None,
            message: format!("migration `{}` has no down-migration", ctx.unit.id),
            help: Some(format!(
                "add {expected} that reverts this migration; if it cannot be reverted, mark it `-- migcheck:irreversible -- <why>` and get a DBA sign-off"
            )),
            notes: vec![format!("{} migrations have a down part: {expected} is missing", ctx.unit.layout)],
            ..Violation::default()
        });
    }
}
