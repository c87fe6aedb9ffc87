use super::{OpCtx, Rule, Violation, rule_doc};
use crate::ir::Op;

pub struct RefreshMatviewNonConcurrently;

impl Rule for RefreshMatviewNonConcurrently {
    rule_doc!("MC055-refresh-matview-non-concurrently.md");
    fn in_function_bodies(&self) -> bool {
        true
    }

    fn check_op(&self, op: &Op, ctx: &OpCtx<'_>, out: &mut Vec<Violation>) {
        let Op::RefreshMaterializedView {
            name,
            concurrently: false,
            span,
        } = op
        else {
            return;
        };
        if ctx
            .catalog
            .table(name)
            .is_some_and(|t| t.created_in == Some(ctx.unit))
        {
            return;
        }
        out.push(Violation {
            span: Some(*span),
            message: format!("refreshing `{name}` without CONCURRENTLY blocks every read of it until the refresh ends"),
            label: "ACCESS EXCLUSIVE on the materialized view".into(),
            help: Some(format!("`REFRESH MATERIALIZED VIEW CONCURRENTLY {name}` (needs a unique index on the view)")),
            notes: vec!["measured: refresh_matview takes ACCESS EXCLUSIVE and rewrites the view; CONCURRENTLY takes EXCLUSIVE (reads continue)".into()],
            in_down: false,
        });
    }
}
