use super::{OpCtx, Rule, Violation, rule_doc};
use crate::ir::Op;

pub struct ConcurrentIndexPg14Corruption;

impl Rule for ConcurrentIndexPg14Corruption {
    rule_doc!("MC057-concurrent-index-pg14-corruption.md");
    fn in_function_bodies(&self) -> bool {
        true
    }

    fn check_op(&self, op: &Op, ctx: &OpCtx<'_>, out: &mut Vec<Violation>) {
        let v = ctx.version;
        if v.major != 14 || !matches!(v.minor, Some(0..=3)) {
            return;
        }
        let span = match op {
            Op::CreateIndex {
                concurrently: true,
                keyword_span,
                ..
            } => *keyword_span,
            Op::Reindex {
                concurrently: true,
                span,
                ..
            } => *span,
            _ => return,
        };
        out.push(Violation {
            span: Some(span),
            message: format!("a concurrent index build on PostgreSQL {v} can miss index entries (fixed in 14.4)"),
            label: "may build a corrupt index".into(),
            help: None,
            notes: vec!["PostgreSQL 14.4 release notes: CREATE INDEX CONCURRENTLY and REINDEX CONCURRENTLY could build corrupt indexes".into()],
            in_down: false,
        });
    }
}
