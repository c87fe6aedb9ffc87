use super::{OpCtx, Rule, Violation, lock_note, rule_doc};
use crate::ir::Op;
use crate::pg::Fact;

pub struct CreateIndexNonConcurrently;

impl Rule for CreateIndexNonConcurrently {
    rule_doc!("MC014-create-index-non-concurrently.md");
    fn in_function_bodies(&self) -> bool {
        true
    }

    fn check_op(&self, op: &Op, ctx: &OpCtx<'_>, out: &mut Vec<Violation>) {
        let Op::CreateIndex {
            name,
            table,
            unique,
            concurrently,
            only,
            keyword_span,
            definition,
            ..
        } = op
        else {
            return;
        };
        if *concurrently || *only || ctx.is_new_table(&table.name) {
            return;
        }
        let partitioned = ctx
            .catalog
            .table(&table.name)
            .is_some_and(|t| t.partitioned);
        // the partitions' equivalent indexes are attached, nothing is built
        if partitioned
            && ctx
                .catalog
                .partitions_have_index(&table.name, *unique, definition)
        {
            return;
        }
        let fact = match (partitioned, unique) {
            (true, _) => Fact::CreateIndexPartitioned,
            (false, true) => Fact::CreateUniqueIndex,
            (false, false) => Fact::CreateIndex,
        };
        let Some(row) = ctx.fact(fact) else { return };
        let Some(lock) = row.lock else { return };
        if !lock.blocks_writes() {
            return;
        }
        let t = &table.name;
        let idx = name
            .as_deref()
            .map(|n| format!("index `{n}`"))
            .unwrap_or_else(|| "an index".to_string());
        let help = if partitioned {
            format!(
                "`CONCURRENTLY` is refused on a partitioned table: create the index `ON ONLY {t}`, build it `CONCURRENTLY` on each partition, then `ALTER INDEX ... ATTACH PARTITION` each one"
            )
        } else {
            let kw = if *unique {
                "CREATE UNIQUE INDEX CONCURRENTLY"
            } else {
                "CREATE INDEX CONCURRENTLY"
            };
            format!("use `{kw}` in a migration of its own that runs outside a transaction block")
        };
        out.push(Violation {
            in_down: false,
            span: Some(*keyword_span),
            message: format!("creating {idx} on `{t}` without `CONCURRENTLY` blocks writes to `{t}` for the whole build"),
            label: format!("takes a {} lock and reads all of `{t}`", lock.sql_name()),
            help: Some(help),
            notes: lock_note(row, t).into_iter().collect(),
        });
    }
}
