use super::{HeldLock, PartCtx, Rule, TxHow, Violation, rule_doc};
use crate::fasthash::{FastMap, FastSet};

use crate::ir::{ObjName, Op};
use crate::pg::LockMode;
use crate::source::layout::Layout;

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

/// Whether holding `held` on a table already keeps out every lock that would make a request for
/// `want` wait (then the request is granted at once: locks of one transaction never conflict).
fn covers(held: LockMode, want: LockMode) -> bool {
    crate::pg::lock::ALL
        .iter()
        .all(|m| !want.conflicts_with(*m) || held.conflicts_with(*m))
}

/// A statement that does not prolong the locks held before it: catalog-only DDL (no rewrite,
/// no scan of an existing table) whose locks on existing tables the transaction already holds
/// (it cannot wait in a lock queue). Anything else, or anything migcheck does not model,
/// prolongs them.
/// The tables a statement's foreign keys reference (each gets SHARE ROW EXCLUSIVE).
fn referenced(ops: &[Op]) -> Vec<&crate::ir::ObjName> {
    let mut out = Vec::new();
    for o in ops {
        match o {
            Op::AddConstraint { constraint, .. } => {
                if let crate::ir::ConstraintKind::ForeignKey { references, .. } = &constraint.kind {
                    out.push(&references.name);
                }
            }
            Op::AddColumn { column, .. } => out.extend(column.references.iter().map(|r| &r.name)),
            Op::CreateTable {
                columns,
                constraints,
                ..
            } => {
                out.extend(
                    columns
                        .iter()
                        .filter_map(|c| c.references.as_ref())
                        .map(|r| &r.name),
                );
                for c in constraints {
                    if let crate::ir::ConstraintKind::ForeignKey { references, .. } = &c.kind {
                        out.push(&references.name);
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn instant(
    ops: &[Op],
    locks: &[HeldLock],
    held: &FastMap<&ObjName, LockMode>,
    created: &FastSet<&ObjName>,
) -> bool {
    // a foreign key locks the table it references: granted at once only if the transaction
    // created it or already holds a lock covering SHARE ROW EXCLUSIVE on it
    let refs_ok = referenced(ops).iter().all(|r| {
        created.contains(r)
            || held
                .get(r)
                .is_some_and(|h| covers(*h, LockMode::ShareRowExclusive))
    });
    if !refs_ok {
        return false;
    }
    let known = ops.iter().all(|o| match o {
        Op::Insert { reads, .. } => reads.is_empty(),
        Op::AddColumn { .. }
        | Op::DropColumn { .. }
        | Op::AlterColumnType { .. }
        | Op::SetNotNull { .. }
        | Op::DropNotNull { .. }
        | Op::SetDefault { .. }
        | Op::DropDefault { .. }
        | Op::AddConstraint { .. }
        | Op::ValidateConstraint { .. }
        | Op::DropConstraint { .. }
        | Op::AlterConstraint { .. }
        | Op::RenameColumn { .. }
        | Op::RenameTable { .. }
        | Op::CreateIndex { .. }
        | Op::DropIndex { .. }
        | Op::CreateTable { .. }
        | Op::DropTable { .. }
        // reading tables takes ACCESS SHARE, which waits only for ACCESS EXCLUSIVE holders;
        // dropping or renaming a view takes ACCESS EXCLUSIVE on it: counted
        | Op::CreateView { .. }
        | Op::CreateType { .. }
        | Op::DropType { .. }
        | Op::CreateSequence { .. }
        | Op::CreateFunction { .. }
        | Op::CreateTrigger { .. }
        | Op::DropTrigger { .. } => true,
        _ => false,
    });
    known
        && locks.iter().all(|l| {
            !l.existed
                || (!l.rewrites
                    && !l.scans
                    && held.get(&l.table).is_some_and(|h| covers(*h, l.mode)))
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
            let is_strong = |l: &&HeldLock| l.existed && l.mode.blocks_writes();
            let strong = |j: usize| ctx.locks[j].iter().filter(is_strong);
            let Some(first) = (k..end).find(|j| strong(*j).next().is_some()) else {
                k = end;
                continue;
            };
            // the strongest lock the transaction holds on each table before statement j
            // (keyed by the name itself: formatting every name was a third of this rule's time)
            let mut held: FastMap<&ObjName, LockMode> = FastMap::default();
            let mut created = FastSet::default();
            let mut later: Vec<usize> = Vec::new();
            for j in k..end {
                let ops = &ctx.statements[j].ops;
                for o in ops {
                    if let Op::CreateTable { table, .. } = o {
                        created.insert(&table.name);
                    }
                }
                if j > first && !trivial(ops) && !instant(ops, &ctx.locks[j], &held, &created) {
                    later.push(j);
                }
                for l in &ctx.locks[j] {
                    let e = held.entry(&l.table).or_insert(l.mode);
                    if covers(l.mode, *e) {
                        *e = l.mode;
                    }
                }
            }
            if in_block && !later.is_empty() {
                let Some(lock) = strong(first).next().cloned() else {
                    k = end;
                    continue;
                };
                let table = lock.table.to_string();
                let line = |j: usize| ctx.source.line_col(ctx.statements[j].span.start).0;
                let mut tables: Vec<String> = Vec::new();
                // a set, not a scan of `tables`: a block can lock thousands of tables
                let mut seen = FastSet::default();
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
                if let TxHow::Batch { block } = &ctx.tx[first].how {
                    notes.push(format!(
                        "{}: PostgreSQL runs its statements as one implicit transaction, committed after the last one",
                        super::batch_sender(ctx.unit.layout, ctx.source, *block)
                    ));
                }
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
                    help: match (&ctx.tx[first].how, ctx.unit.layout) {
                        (TxHow::Batch { .. }, Layout::Dbmate) => Some(
                            "move the statements after it into a section or migration of their own: dbmate sends each section as one string".to_string(),
                        ),
                        (TxHow::Batch { .. }, _) => Some(
                            "end the query string after this statement (its own line ending in `;`, outside a StatementBegin/StatementEnd block): under NO TRANSACTION goose runs each string on its own".to_string(),
                        ),
                        _ => None,
                    },
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
        // a block the tool sends as one string ends where the next top-level statement is
        // not in it (the statements of a DO or function body belong to their statement)
        if !ctx.tx[j].in_block
            || (!ctx.statements[j].in_body && ctx.tx[j].batch() != ctx.tx[k].batch())
            || ctx.statements[j - 1].ends_transaction()
        {
            break;
        }
        j += 1;
    }
    j
}
