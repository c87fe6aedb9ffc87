use super::{PartCtx, Rule, Violation, rule_doc};
use crate::ir::Op;

pub struct LockHeldAcrossStatements;

/// Statements that take no meaningful time (they do not prolong a lock).
fn trivial(ops: &[Op]) -> bool {
    ops.iter().all(|o| matches!(o, Op::Set { .. } | Op::Commit | Op::Rollback | Op::Begin | Op::PsqlMeta { .. } | Op::Comment { .. }))
}

impl Rule for LockHeldAcrossStatements {
    rule_doc!("MC032-lock-held-across-statements.md");

    fn check_part(&self, ctx: &PartCtx<'_>, out: &mut Vec<Violation>) {
        let n = ctx.statements.len();
        let mut reported: Vec<(String, usize)> = Vec::new();
        for k in 0..n {
            if !ctx.tx[k].in_block && !matches!(ctx.statements[k].ops.first(), Some(Op::Begin)) {
                // autocommit: the lock ends with the statement (a BEGIN here opens a block)
                if !ctx.tx.get(k + 1).is_some_and(|t| t.in_block) {
                    continue;
                }
            }
            for lock in &ctx.locks[k] {
                if !lock.existed || !lock.mode.blocks_writes() {
                    continue;
                }
                let table = lock.table.to_string();
                // one finding per table and transaction: the first statement that locked it
                if reported.iter().any(|(t, start)| *t == table && same_block(ctx, *start, k)) {
                    continue;
                }
                // later statements in the same transaction block
                let mut later = Vec::new();
                for j in k + 1..n {
                    if !same_block(ctx, k, j) {
                        break;
                    }
                    if trivial(&ctx.statements[j].ops) {
                        continue;
                    }
                    later.push(j);
                }
                if later.is_empty() {
                    continue;
                }
                reported.push((table.clone(), k));
                let lines: Vec<String> = later
                    .iter()
                    .take(5)
                    .map(|j| {
                        let s = &ctx.statements[*j];
                        let (line, _) = ctx.source.line_col(s.span.start);
                        let first: String = ctx.source.slice(s.span).split_whitespace().take(4).collect::<Vec<_>>().join(" ");
                        format!("line {line}: {first} ...")
                    })
                    .collect();
                let mut notes = vec![lock.mode.describe_on(&table)];
                notes.push(format!("held while {} later statement(s) run: {}", later.len(), lines.join("; ")));
                out.push(Violation {
                    span: Some(ctx.statements[k].span),
                    message: format!("the {} lock on `{table}` is held until COMMIT while {} more statement(s) run", lock.mode, later.len()),
                    label: format!("takes {} on `{table}`", lock.mode),
                    help: None,
                    notes,
                    in_down: false,
                });
            }
        }
    }
}

/// Whether statements `a` and `b` (a < b) run in the same transaction block.
fn same_block(ctx: &PartCtx<'_>, a: usize, b: usize) -> bool {
    // a block ends at a COMMIT/ROLLBACK, or where the state before a statement is "not in block"
    for j in a + 1..=b {
        if !ctx.tx[j].in_block {
            return false;
        }
        if ctx.statements[j - 1].ops.iter().any(|o| matches!(o, Op::Commit | Op::Rollback)) {
            return false;
        }
    }
    true
}
