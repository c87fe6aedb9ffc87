use super::{Rule, UnitCtx, Violation, rule_doc};
use crate::ir::Op;
use crate::parse::{How, Statement};
use crate::source::layout::Down;

pub struct EmptyDownMigration;

/// True when the statements change nothing: only transaction control, settings, psql
/// meta-commands (or none at all).
pub fn does_nothing(stmts: &[Statement]) -> bool {
    stmts.iter().all(|s| {
        !matches!(s.how, How::Unparsed { .. })
            && s.ops.iter().all(|o| {
                matches!(
                    o,
                    Op::Begin | Op::Commit | Op::Rollback | Op::Set { .. } | Op::PsqlMeta { .. }
                )
            })
    })
}

impl Rule for EmptyDownMigration {
    rule_doc!("MC021-empty-down-migration.md");

    fn check_unit(&self, ctx: &UnitCtx<'_>, out: &mut Vec<Violation>) {
        // ory popx writes down files as mirror images across a version group: many are empty by design
        if !ctx.require_down
            || ctx.irreversible.is_some()
            || ctx.unit.layout == crate::source::layout::Layout::OryPopx
        {
            return;
        }
        let (Down::Part(part), Some(down)) = (&ctx.unit.down, ctx.down) else {
            return;
        };
        if !does_nothing(down) {
            return;
        }
        // the up part must do something for an empty down to matter
        if !ctx
            .up
            .is_some_and(|up| up.iter().any(|s| !s.ops.is_empty()))
        {
            return;
        }
        let file = part
            .file
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        out.push(Violation {
            span: None,
            message: format!("the down-migration of `{}` is empty: a rollback would keep every change", ctx.unit.id),
            help: Some(format!("write the statements that revert the up part in {file}, or mark the migration `-- migcheck:irreversible -- <why>`")),
            in_down: true,
            ..Violation::default()
        });
    }
}
