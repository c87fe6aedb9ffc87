use super::{Rule, UnitCtx, Violation, rule_doc};
use crate::parse::How;
use crate::source::layout::Down;

pub struct EmptyDownMigration;

impl Rule for EmptyDownMigration {
    rule_doc!("MC021-empty-down-migration.md");

    fn check_unit(&self, ctx: &UnitCtx<'_>, out: &mut Vec<Violation>) {
        if !ctx.require_down || ctx.irreversible.is_some() {
            return;
        }
        let (Down::Part(part), Some(down)) = (&ctx.unit.down, ctx.down) else { return };
        if down.iter().any(|s| !matches!(s.how, How::PsqlMeta)) {
            return;
        }
        // the up part must do something for an empty down to matter
        if !ctx.up.is_some_and(|up| up.iter().any(|s| !s.ops.is_empty())) {
            return;
        }
        let file = part.file.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        out.push(Violation {
            span: None,
            message: format!("the down-migration of `{}` is empty: a rollback would keep every change", ctx.unit.id),
            help: Some(format!("write the statements that revert the up part in {file}, or mark the migration `-- migcheck:irreversible -- <why>`")),
            in_down: true,
            ..Violation::default()
        });
    }
}
