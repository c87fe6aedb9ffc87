use std::collections::BTreeSet;

use super::{Rule, UnitCtx, Violation, rule_doc};
use crate::ir::{ConstraintKind, Op};
use crate::parse::Statement;

pub struct DownDoesNotRevert;

/// A schema object a migration can create or drop, normalised for comparison.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Obj {
    Table(String),
    Column(String, String),
    /// Index name and its table.
    Index(String, String),
    Constraint(String, String),
    Type(String),
    View(String),
}

impl Obj {
    fn describe(&self) -> String {
        match self {
            Obj::Table(t) => format!("table `{t}`"),
            Obj::Column(t, c) => format!("column `{t}.{c}`"),
            Obj::Index(i, _) => format!("index `{i}`"),
            Obj::Constraint(t, c) => format!("constraint `{c}` on `{t}`"),
            Obj::Type(t) => format!("type `{t}`"),
            Obj::View(v) => format!("view `{v}`"),
        }
    }
    fn table(&self) -> Option<&str> {
        match self {
            Obj::Column(t, _) | Obj::Constraint(t, _) | Obj::Index(_, t) => Some(t),
            _ => None,
        }
    }
}

#[derive(Default)]
struct Effects {
    created: BTreeSet<Obj>,
    /// Dropped, with whether `IF EXISTS` was used.
    dropped: Vec<(Obj, bool)>,
    renamed: Vec<(Obj, Obj)>,
    /// Index names dropped (their table is not named in DROP INDEX).
    dropped_indexes: BTreeSet<String>,
    /// Statements migcheck cannot see into (DO, functions, dynamic SQL) or did not understand.
    opaque: bool,
    /// Partitions created, by parent table: dropping the parent drops them.
    partitions: Vec<(String, String)>,
}

fn effects(stmts: &[Statement]) -> Effects {
    let mut e = Effects::default();
    for s in stmts {
        // a function body runs when called, not as part of the migration
        if s.in_function.is_some() {
            continue;
        }
        if s.ops.is_empty() && !matches!(s.how, crate::parse::How::PsqlMeta) {
            e.opaque = true;
        }
        for op in &s.ops {
            match op {
                // a temporary table is gone when the migration's session ends
                Op::CreateTable {
                    temporary: true, ..
                } => {}
                Op::CreateTable {
                    table,
                    partition_of,
                    ..
                } => {
                    e.created.insert(Obj::Table(table.name.name.clone()));
                    if let Some(p) = partition_of {
                        e.partitions
                            .push((p.name.name.clone(), table.name.name.clone()));
                    }
                }
                Op::DropTable {
                    tables, if_exists, ..
                } => {
                    for t in tables {
                        // dropping a partitioned table drops its partitions (and theirs)
                        let mut gone = vec![t.name.name.clone()];
                        while let Some(g) = gone.pop() {
                            forget(&mut e, &Obj::Table(g.clone()));
                            gone.extend(
                                e.partitions
                                    .iter()
                                    .filter(|(p, _)| *p == g)
                                    .map(|(_, c)| c.clone()),
                            );
                        }
                        e.dropped
                            .push((Obj::Table(t.name.name.clone()), *if_exists));
                    }
                }
                Op::AddColumn { table, column, .. } => {
                    e.created
                        .insert(Obj::Column(table.name.name.clone(), column.name.clone()));
                }
                Op::DropColumn {
                    table,
                    column,
                    if_exists,
                    ..
                } => {
                    let o = Obj::Column(table.name.name.clone(), column.clone());
                    forget(&mut e, &o);
                    e.dropped.push((o, *if_exists));
                }
                Op::CreateIndex {
                    name: Some(n),
                    table,
                    ..
                } => {
                    e.created
                        .insert(Obj::Index(n.clone(), table.name.name.clone()));
                }
                Op::DropIndex { names, .. } => {
                    for n in names {
                        forget(&mut e, &Obj::Index(n.name.clone(), String::new()));
                        e.dropped_indexes.insert(n.name.clone());
                    }
                }
                Op::AddConstraint { table, constraint } => {
                    if let Some(n) = &constraint.name
                        && !matches!(constraint.kind, ConstraintKind::NotNull { .. })
                    {
                        e.created
                            .insert(Obj::Constraint(table.name.name.clone(), n.clone()));
                    }
                }
                Op::DropConstraint { table, name, .. } => {
                    let o = Obj::Constraint(table.name.name.clone(), name.clone());
                    forget(&mut e, &o);
                    e.dropped.push((o, false));
                }
                Op::CreateType { name } => {
                    e.created.insert(Obj::Type(name.name.clone()));
                }
                Op::CreateView { name, .. } => {
                    e.created.insert(Obj::View(name.name.clone()));
                }
                Op::DropView {
                    names,
                    if_exists,
                    cascade,
                    ..
                }
                | Op::DropType {
                    names,
                    if_exists,
                    cascade,
                } => {
                    let obj = if matches!(op, Op::DropView { .. }) {
                        Obj::View
                    } else {
                        Obj::Type
                    };
                    for n in names {
                        let o = obj(n.name.name.clone());
                        forget(&mut e, &o);
                        e.dropped.push((o, *if_exists));
                    }
                    // CASCADE drops objects of other migrations too: not judged
                    e.opaque |= *cascade;
                }
                // a type renamed (the swap-in-a-new-enum pattern): not followed
                Op::AlterType { action, .. }
                    if action.to_ascii_lowercase().starts_with("rename to") =>
                {
                    e.opaque = true
                }
                Op::RenameView { name, to } => e
                    .renamed
                    .push((Obj::View(name.name.clone()), Obj::View(to.clone()))),
                Op::RenameTable { table, to, .. } => e
                    .renamed
                    .push((Obj::Table(table.name.name.clone()), Obj::Table(to.clone()))),
                Op::AlterTableOther { action, .. } if action.starts_with("rename constraint") => {
                    e.opaque = true
                }
                Op::RenameColumn {
                    table, from, to, ..
                } => e.renamed.push((
                    Obj::Column(table.name.name.clone(), from.clone()),
                    Obj::Column(table.name.name.clone(), to.clone()),
                )),
                Op::Do { .. } | Op::CreateFunction { .. } => e.opaque = true,
                Op::Other { kind } if kind.starts_with("DROP") => e.opaque = true,
                _ => {}
            }
        }
    }
    e
}

/// Net effect, in statement order: an object dropped after it was created no longer counts
/// as created (a drop-then-add keeps the add).
fn forget(e: &mut Effects, gone: &Obj) {
    e.created.retain(|o| {
        o != gone && !matches!((o, gone), (Obj::Index(i, _), Obj::Index(j, _)) if i == j)
    });
    // dropping a table or a materialized view drops its indexes and constraints
    if let Obj::Table(t) | Obj::View(t) = gone {
        e.created.retain(|o| o.table() != Some(t.as_str()));
    }
}

impl Rule for DownDoesNotRevert {
    rule_doc!("MC022-down-does-not-revert.md");

    fn check_unit(&self, ctx: &UnitCtx<'_>, out: &mut Vec<Violation>) {
        // ory popx pairs downs with ups across a version group (mirror order), not one to one
        if ctx.unit.layout == crate::source::layout::Layout::OryPopx {
            return;
        }
        let (Some(up), Some(down)) = (ctx.up, ctx.down) else {
            return;
        };
        if ctx.irreversible.is_some() || super::empty_down_migration::does_nothing(down) {
            return; // empty downs are empty-down-migration's business
        }
        let u = effects(up);
        let d = effects(down);
        let dropped: BTreeSet<&Obj> = d.dropped.iter().map(|(o, _)| o).collect();
        let dropped_tables: BTreeSet<&str> = d
            .dropped
            .iter()
            .filter_map(|(o, _)| {
                if let Obj::Table(t) | Obj::View(t) = o {
                    Some(t.as_str())
                } else {
                    None
                }
            })
            .collect();
        // dropping a partitioned table drops the partitions the up part attached to it
        let mut dropped_tables = dropped_tables;
        loop {
            let more: Vec<&str> = u
                .partitions
                .iter()
                .filter(|(p, c)| {
                    dropped_tables.contains(p.as_str()) && !dropped_tables.contains(c.as_str())
                })
                .map(|(_, c)| c.as_str())
                .collect();
            if more.is_empty() {
                break;
            }
            dropped_tables.extend(more);
        }
        let up_tables: BTreeSet<&str> = u
            .created
            .iter()
            .filter_map(|o| {
                if let Obj::Table(t) = o {
                    Some(t.as_str())
                } else {
                    None
                }
            })
            .collect();
        let mut left = Vec::new();
        // tables whose up-created columns the down drops: indexes and constraints on them are
        // likely dropped with those columns (PostgreSQL drops dependent indexes and constraints)
        let tables_losing_new_columns: BTreeSet<&str> = d
            .dropped
            .iter()
            .filter_map(|(o, _)| match o {
                Obj::Column(t, _) if u.created.contains(o) => Some(t.as_str()),
                _ => None,
            })
            .collect();
        // a table the up part created, renamed by the down part to a table the up part dropped
        // (the down restores the old table from the new one: lemmy's smoosh-tables pattern)
        let renamed_back = |o: &Obj| {
            d.renamed.iter().any(|(from, to)| {
                from == o && matches!(to, Obj::Table(_)) && u.dropped.iter().any(|(x, _)| x == to)
            })
        };
        if !d.opaque {
            for o in &u.created {
                let covered = dropped.contains(o)
                    || renamed_back(o)
                    || matches!(o, Obj::Table(t) if dropped_tables.contains(t.as_str()))
                    || o.table().is_some_and(|t| dropped_tables.contains(t))
                    || matches!(o, Obj::Index(i, _) if d.dropped_indexes.contains(i))
                    || (matches!(o, Obj::Index(..) | Obj::Constraint(..))
                        && o.table()
                            .is_some_and(|t| tables_losing_new_columns.contains(t)));
                if !covered {
                    left.push(format!(
                        "{} created by the up part is not dropped",
                        o.describe()
                    ));
                }
            }
            for (from, to) in &u.renamed {
                // renamed back, or rebuilt under the old name with the new one dropped
                let rebuilt = d.created.contains(from) && dropped.contains(to);
                if !rebuilt && !d.renamed.iter().any(|(f, t)| f == to && t == from) {
                    left.push(format!(
                        "the rename of {} to {} is not reversed",
                        from.describe(),
                        to.describe()
                    ));
                }
            }
        }
        if !u.opaque {
            // tables the up part renamed (either name): their objects moved, do not judge them
            let renamed_tables: BTreeSet<&str> = u
                .renamed
                .iter()
                .flat_map(|(a, b)| [a, b])
                .filter_map(|o| {
                    if let Obj::Table(t) = o {
                        Some(t.as_str())
                    } else {
                        None
                    }
                })
                .collect();
            for (o, if_exists) in &d.dropped {
                // only tables and columns: constraint and index names are often implicit
                if !matches!(o, Obj::Table(_) | Obj::Column(..)) || *if_exists {
                    continue;
                }
                // the table's name before the down part renamed it
                let origin = o.table().map(|t| {
                    d.renamed
                        .iter()
                        .find_map(|(from, to)| match (from, to) {
                            (Obj::Table(f), Obj::Table(x)) if x == t => Some(f.as_str()),
                            _ => None,
                        })
                        .unwrap_or(t)
                });
                let created = u.created.contains(o)
                    || o.table()
                        .is_some_and(|t| up_tables.contains(t) || renamed_tables.contains(t))
                    || origin.is_some_and(|t| up_tables.contains(t));
                let renamed_to = u.renamed.iter().any(|(_, to)| to == o);
                // the down part may rebuild an object and drop the old one (add x_new, drop x, rename)
                let down_recreates = d.created.contains(o)
                    || d.renamed.iter().any(|(_, to)| to == o)
                    || o.table()
                        .is_some_and(|t| d.created.contains(&Obj::Table(t.to_string())));
                if !created && !renamed_to && !down_recreates {
                    left.push(format!(
                        "the down part drops {}, which the up part did not create",
                        o.describe()
                    ));
                }
            }
        }
        if left.is_empty() {
            return;
        }
        out.push(Violation {
            span: None,
            message: format!(
                "the down-migration of `{}` does not revert its up part",
                ctx.unit.id
            ),
            help: None,
            notes: left,
            in_down: true,
            ..Violation::default()
        });
    }
}
