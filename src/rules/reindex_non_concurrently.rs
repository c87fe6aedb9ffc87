use super::{OpCtx, Rule, Violation, rule_doc};
use crate::ir::Op;
use crate::pg::{InTxn, facts};

pub struct ReindexNonConcurrently;

impl Rule for ReindexNonConcurrently {
    rule_doc!("MC051-reindex-non-concurrently.md");
    fn in_function_bodies(&self) -> bool {
        true
    }

    fn check_op(&self, op: &Op, ctx: &OpCtx<'_>, out: &mut Vec<Violation>) {
        let Op::Reindex {
            target_kind,
            name,
            concurrently: false,
            span,
        } = op
        else {
            return;
        };
        if !matches!(target_kind.as_str(), "INDEX" | "TABLE") {
            return;
        }
        let concurrent_available = facts::lookup_op("reindex_index_concurrently", ctx.version)
            .is_some_and(|r| r.in_txn != InTxn::Unavailable);
        let help = if concurrent_available {
            format!(
                "`REINDEX {target_kind} CONCURRENTLY {name}` in a migration that runs without a transaction"
            )
        } else {
            format!(
                "PostgreSQL {} has no REINDEX CONCURRENTLY (12+): build a replacement with CREATE INDEX CONCURRENTLY, drop the old index CONCURRENTLY, rename",
                ctx.version
            )
        };
        out.push(Violation {
            span: Some(*span),
            message: format!("`REINDEX {target_kind} {name}` blocks writes and locks the rebuilt indexes against reads"),
            label: "SHARE on the table, ACCESS EXCLUSIVE on each index".into(),
            help: Some(help),
            notes: vec!["queries that would use the index wait for the whole rebuild (measured: reindex_index, reindex_table)".into()],
            in_down: false,
        });
    }
}
