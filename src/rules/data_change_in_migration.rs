use super::{OpCtx, Rule, Violation, rule_doc};
use crate::ir::{ObjName, Op};

pub struct DataChangeInMigration;

impl Rule for DataChangeInMigration {
    rule_doc!("MC070-data-change-in-migration.md");

    fn check_op(&self, op: &Op, ctx: &OpCtx<'_>, out: &mut Vec<Violation>) {
        let (table, verb, has_where) = match op {
            Op::Update { table, has_where } => (table, "UPDATE", *has_where),
            Op::Delete { table, has_where } => (table, "DELETE", *has_where),
            Op::Insert { table, reads } => return copy(&table.name, reads, ctx, out),
            _ => return,
        };
        if ctx.is_new_table(&table.name) || super::is_system_catalog(&table.name, ctx.catalog) {
            return;
        }
        let scope = if has_where { "rows of" } else { "every row of" };
        out.push(Violation {
            span: Some(ctx.statement.span),
            message: format!("`{verb}` of {scope} `{}` runs inside the deploy", table.name),
            label: "row locks are held until COMMIT".into(),
            help: None,
            notes: vec!["a long backfill in the migration's transaction also keeps every lock taken before it".into()],
            in_down: false,
        });
    }
}

/// `INSERT ... SELECT` reading tables that existed before the migration: a copy as long as
/// those tables are big, in the deploy's transaction.
fn copy(target: &ObjName, reads: &[ObjName], ctx: &OpCtx<'_>, out: &mut Vec<Violation>) {
    let sources: Vec<String> = reads
        .iter()
        .filter(|r| !ctx.is_new_table(r) && !super::is_system_catalog(r, ctx.catalog))
        .map(|r| format!("`{r}`"))
        .collect();
    if sources.is_empty() {
        return;
    }
    out.push(Violation {
        span: Some(ctx.statement.span),
        message: format!(
            "`INSERT INTO {target} ... SELECT` copies rows of {} inside the deploy",
            sources.join(", ")
        ),
        label: "runs as long as the copy, in the deploy's transaction".into(),
        help: Some(
            "copy in batches outside the schema migration (rows written meanwhile need copying too)"
                .into(),
        ),
        notes: vec!["a long copy in the migration's transaction also keeps every lock taken before it".into()],
        in_down: false,
    });
}
