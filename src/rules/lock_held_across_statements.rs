use super::{HeldLock, PartCtx, Rule, Violation, rule_doc};
use crate::ir::Op;

pub struct LockHeldAcrossStatements;

/// Statements that take no meaningful time (they do not prolong a lock).
fn trivial(ops: &[Op]) -> bool {
    ops.iter().all(|o| {
        matches!(
            o,
            Op::Set { .. }
                | Op::Commit
                | Op::Rollback
                | Op::Begin
                | Op::PsqlMeta { .. }
                | Op::Comment { .. }
        )
    })
}

impl Rule for LockHeldAcrossStatements {
    rule_doc!("MC032-lock-held-across-statements.md");

    /// One finding per transaction block: anchored at the first statement that takes a lock
    /// blocking writes on a table that existed before the migration, listing every such lock
    /// of the block and the statements that run while the first is held.
    fn check_part(&self, ctx: &PartCtx<'_>, out: &mut Vec<Violation>) {
        let n = ctx.statements.len();
        let mut k = 0;
        while k < n {
            // the block starting at k: statements k..end run in the same transaction
            let in_block = ctx.tx[k].in_block || ctx.tx.get(k + 1).is_some_and(|t| t.in_block);
            let end = if in_block { block_end(ctx, k) } else { k + 1 };
            let strong = |j: usize| {
                ctx.locks[j]
                    .iter()
                    .filter(|l| l.existed && l.mode.blocks_writes())
                    .collect::<Vec<&HeldLock>>()
            };
            let Some(first) = (k..end).find(|j| !strong(*j).is_empty()) else {
                k = end;
                continue;
            };
            let later: Vec<usize> = (first + 1..end)
                .filter(|j| !trivial(&ctx.statements[*j].ops))
                .collect();
            if in_block && !later.is_empty() {
                let lock = strong(first)[0].clone();
                let table = lock.table.to_string();
                let line = |j: usize| ctx.source.line_col(ctx.statements[j].span.start).0;
                let mut tables: Vec<String> = Vec::new();
                // a set, not a scan of `tables`: a block can lock thousands of tables
                let mut seen = std::collections::HashSet::new();
                for j in first..end {
                    for l in strong(j) {
                        let t = l.table.to_string();
                        if seen.insert(t.clone()) {
                            tables.push(format!("`{t}` {} (line {})", l.mode, line(j)));
                        }
                    }
                }
                let shown: Vec<String> = later
                    .iter()
                    .take(5)
                    .map(|j| {
                        let first: String = ctx
                            .source
                            .slice(ctx.statements[*j].span)
                            .split_whitespace()
                            .take(4)
                            .collect::<Vec<_>>()
                            .join(" ");
                        format!("line {}: {first} ...", line(*j))
                    })
                    .collect();
                let more = if later.len() > 5 {
                    format!(" and {} more", later.len() - 5)
                } else {
                    String::new()
                };
                let mut notes = vec![lock.mode.describe_on(&table)];
                notes.push(format!("held while these run: {}{more}", shown.join("; ")));
                if tables.len() > 1 {
                    notes.push(format!(
                        "locks held until COMMIT in this transaction: {}",
                        tables.join(", ")
                    ));
                }
                out.push(Violation {
                    span: Some(ctx.statements[first].span),
                    message: format!(
                        "`{table}` stays locked in {} mode until COMMIT while {} more statement(s) run{}",
                        lock.mode,
                        later.len(),
                        if tables.len() > 1 { format!(" (with {} more locked table(s))", tables.len() - 1) } else { String::new() }
                    ),
                    label: format!("takes {} on `{table}`", lock.mode),
                    help: None,
                    notes,
                    in_down: false,
                });
            }
            k = end;
        }
    }
}

/// The index after the last statement of the transaction block containing `k`.
fn block_end(ctx: &PartCtx<'_>, k: usize) -> usize {
    let n = ctx.statements.len();
    let mut j = k + 1;
    while j < n {
        if !ctx.tx[j].in_block
            || ctx.statements[j - 1]
                .ops
                .iter()
                .any(|o| matches!(o, Op::Commit | Op::Rollback))
        {
            break;
        }
        j += 1;
    }
    j
}
