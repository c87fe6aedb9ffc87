use super::{Rule, UnitCtx, Violation, rule_doc};
use crate::source::layout::DownForm;

pub struct MissingDownMigration;

impl Rule for MissingDownMigration {
    rule_doc!("MC020-missing-down-migration.md");

    fn check_unit(&self, ctx: &UnitCtx<'_>, out: &mut Vec<Violation>) {
        if !ctx.require_down || ctx.unit.up.is_none() || ctx.unit.down.is_some() {
            return;
        }
        let DownForm::File(expected) = &ctx.unit.down_form else {
            return;
        };
        let file = expected
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        out.push(Violation {
            span: None,
            message: format!("migration `{}` has no down-migration", ctx.unit.id),
            label: String::new(),
            help: Some(format!(
                "add `{file}` that reverts this migration; if it cannot be reverted, say so in `{file}` and get a DBA sign-off"
            )),
            notes: vec![format!("the {} layout pairs each up file with a down file: `{}` does not exist", ctx.unit.layout, expected.display())],
        });
    }
}
