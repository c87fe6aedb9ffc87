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
    Index(String),
    Constraint(String, String),
    Type(String),
    View(String),
}

impl Obj {
    fn describe(&self) -> String {
        match self {
            Obj::Table(t) => format!("table `{t}`"),
            Obj::Column(t, c) => format!("column `{t}.{c}`"),
            Obj::Index(i) => format!("index `{i}`"),
            Obj::Constraint(t, c) => format!("constraint `{c}` on `{t}`"),
            Obj::Type(t) => format!("type `{t}`"),
            Obj::View(v) => format!("view `{v}`"),
        }
    }
    fn table(&self) -> Option<&str> {
        match self {
            Obj::Column(t, _) | Obj::Constraint(t, _) => Some(t),
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
    /// Statements migcheck cannot see into (DO, functions, dynamic SQL) or did not understand.
    opaque: bool,
}

fn effects(stmts: &[Statement]) -> Effects {
    let mut e = Effects::default();
    for s in stmts {
        if s.ops.is_empty() && !matches!(s.how, crate::parse::How::PsqlMeta) {
            e.opaque = true;
        }
        for op in &s.ops {
            match op {
                Op::CreateTable { table, .. } => {
                    e.created.insert(Obj::Table(table.name.name.clone()));
                }
                Op::DropTable { tables, if_exists, .. } => {
                    for t in tables {
                        e.dropped.push((Obj::Table(t.name.name.clone()), *if_exists));
                    }
                }
                Op::AddColumn { table, column, if_not_exists } => {
                    if !if_not_exists {
                        e.created.insert(Obj::Column(table.name.name.clone(), column.name.clone()));
                    }
                }
                Op::DropColumn { table, column, .. } => e.dropped.push((Obj::Column(table.name.name.clone(), column.clone()), false)),
                Op::CreateIndex { name: Some(n), if_not_exists: false, .. } => {
                    e.created.insert(Obj::Index(n.clone()));
                }
                Op::DropIndex { names, if_exists, .. } => {
                    for n in names {
                        e.dropped.push((Obj::Index(n.name.clone()), *if_exists));
                    }
                }
                Op::AddConstraint { table, constraint } => {
                    if let Some(n) = &constraint.name
                        && !matches!(constraint.kind, ConstraintKind::NotNull { .. })
                    {
                        e.created.insert(Obj::Constraint(table.name.name.clone(), n.clone()));
                    }
                }
                Op::DropConstraint { table, name, .. } => e.dropped.push((Obj::Constraint(table.name.name.clone(), name.clone()), false)),
                Op::CreateType { name } => {
                    e.created.insert(Obj::Type(name.name.clone()));
                }
                Op::CreateView { name, .. } => {
                    e.created.insert(Obj::View(name.name.clone()));
                }
                Op::RenameTable { table, to, .. } => e.renamed.push((Obj::Table(table.name.name.clone()), Obj::Table(to.clone()))),
                Op::RenameColumn { table, from, to, .. } => {
                    e.renamed.push((Obj::Column(table.name.name.clone(), from.clone()), Obj::Column(table.name.name.clone(), to.clone())))
                }
                Op::Do { .. } | Op::CreateFunction { .. } => e.opaque = true,
                Op::Other { kind } if kind.starts_with("DROP") => e.opaque = true,
                _ => {}
            }
        }
    }
    e
}

impl Rule for DownDoesNotRevert {
    rule_doc!("MC022-down-does-not-revert.md");

    fn check_unit(&self, ctx: &UnitCtx<'_>, out: &mut Vec<Violation>) {
        let (Some(up), Some(down)) = (ctx.up, ctx.down) else { return };
        if ctx.irreversible.is_some() || down.iter().all(|s| s.ops.is_empty()) {
            return; // empty downs are empty-down-migration's business
        }
        let u = effects(up);
        let d = effects(down);
        let dropped: BTreeSet<&Obj> = d.dropped.iter().map(|(o, _)| o).collect();
        let dropped_tables: BTreeSet<&str> = d.dropped.iter().filter_map(|(o, _)| if let Obj::Table(t) = o { Some(t.as_str()) } else { None }).collect();
        let up_tables: BTreeSet<&str> = u.created.iter().filter_map(|o| if let Obj::Table(t) = o { Some(t.as_str()) } else { None }).collect();
        let mut left = Vec::new();
        if !d.opaque {
            for o in &u.created {
                // dropping a table drops its columns, constraints and indexes on it
                let covered = dropped.contains(o) || o.table().is_some_and(|t| dropped_tables.contains(t));
                // an index on a table the down drops goes with it: we do not know the table of an index by name
                let index_with_table = matches!(o, Obj::Index(_)) && !dropped_tables.is_empty();
                if !covered && !index_with_table {
                    left.push(format!("{} created by the up part is not dropped", o.describe()));
                }
            }
            for (from, to) in &u.renamed {
                if !d.renamed.iter().any(|(f, t)| f == to && t == from) {
                    left.push(format!("the rename of {} to {} is not reversed", from.describe(), to.describe()));
                }
            }
        }
        if !u.opaque {
            for (o, if_exists) in &d.dropped {
                let created = u.created.contains(o) || o.table().is_some_and(|t| up_tables.contains(t));
                let renamed_to = u.renamed.iter().any(|(_, to)| to == o);
                if !created && !renamed_to && !if_exists && !matches!(o, Obj::Index(_)) {
                    left.push(format!("the down part drops {}, which the up part did not create", o.describe()));
                }
            }
        }
        if left.is_empty() {
            return;
        }
        out.push(Violation {
            span: None,
            message: format!("the down-migration of `{}` does not revert its up part", ctx.unit.id),
            help: None,
            notes: left,
            in_down: true,
            ..Violation::default()
        });
    }
}
