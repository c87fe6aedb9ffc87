use super::{OpCtx, Rule, Violation, rule_doc};
use crate::ir::Op;
use crate::pg::{InTxn, facts};

pub struct DetachPartitionNonConcurrently;

impl Rule for DetachPartitionNonConcurrently {
    rule_doc!("MC052-detach-partition-non-concurrently.md");
    fn in_function_bodies(&self) -> bool {
        true
    }

    fn check_op(&self, op: &Op, ctx: &OpCtx<'_>, out: &mut Vec<Violation>) {
        let Op::AlterTableOther {
            table,
            action,
            span,
        } = op
        else {
            return;
        };
        if !action.starts_with("detach partition")
            || action.contains("concurrently")
            || action.contains("finalize")
            || ctx.is_new_table(&table.name)
        {
            return;
        }
        let t = &table.name;
        let available = facts::lookup_op("detach_partition_concurrently", ctx.version)
            .is_some_and(|r| r.in_txn != InTxn::Unavailable);
        let help = if available {
            format!(
                "`ALTER TABLE {t} {} CONCURRENTLY` in a migration without a transaction (SHARE UPDATE EXCLUSIVE on `{t}`)",
                action
            )
        } else {
            format!(
                "PostgreSQL {} has no DETACH ... CONCURRENTLY (14+): detach in a quiet window with a short lock_timeout",
                ctx.version
            )
        };
        out.push(Violation {
            span: Some(*span),
            message: format!("detaching a partition takes ACCESS EXCLUSIVE on `{t}`"),
            label: "every query on the partitioned table waits".into(),
            help: Some(help),
            notes: vec![format!(
                "measured: ACCESS EXCLUSIVE on the parent on PostgreSQL {}",
                facts::majors_where_op("detach_partition", |r| r.lock
                    == Some(crate::pg::LockMode::AccessExclusive))
            )],
            in_down: false,
        });
    }
}
