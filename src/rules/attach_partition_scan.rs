use super::{OpCtx, Rule, Violation, rule_doc};
use crate::ir::Op;
use crate::pg::facts;

pub struct AttachPartitionScan;

impl Rule for AttachPartitionScan {
    rule_doc!("MC053-attach-partition-scan.md");
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
        if !action.starts_with("attach partition") {
            return;
        }
        // the partition's name follows ATTACH PARTITION
        let part = action.split_whitespace().nth(2).unwrap_or("").to_string();
        let part_name = crate::ir::ObjName {
            schema: None,
            name: part
                .rsplit('.')
                .next()
                .unwrap_or("")
                .trim_matches('"')
                .to_string(),
        };
        if ctx.is_new_table(&part_name) {
            return;
        }
        let t = &table.name;
        let mut notes = vec![format!(
            "`{part}` is locked ACCESS EXCLUSIVE and scanned to prove every row fits the bound; a DEFAULT partition is scanned too"
        )];
        if let Some(row) = facts::lookup_op("attach_partition", ctx.version)
            && let Some(lock) = row.lock
        {
            notes.push(format!(
                "on PostgreSQL {} the parent `{t}` is locked {lock}",
                ctx.version
            ));
        }
        out.push(Violation {
            span: Some(*span),
            message: format!("attaching `{part}` to `{t}` scans it under an ACCESS EXCLUSIVE lock"),
            label: "scans the partition unless a validated CHECK proves the bound".into(),
            help: Some(format!("first add a CHECK constraint on `{part}` matching the bound (NOT VALID, then VALIDATE), so the attach skips the scan")),
            notes,
            in_down: false,
        });
    }
}
