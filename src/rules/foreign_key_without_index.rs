use super::{PartCtx, Rule, Violation, rule_doc};
use crate::ir::{ConstraintKind, ObjName, Op, Span};

pub struct ForeignKeyWithoutIndex;

impl Rule for ForeignKeyWithoutIndex {
    rule_doc!("MC091-foreign-key-without-index.md");

    /// Foreign keys of tables created in this part, checked against the indexes the same part
    /// creates (primary keys, unique constraints, CREATE INDEX): complete knowledge for new tables.
    fn check_part(&self, ctx: &PartCtx<'_>, out: &mut Vec<Violation>) {
        // names borrowed from the statements (formatting every table name was most of this
        // rule's time); their text only goes into a finding
        let mut new_tables: Vec<&ObjName> = Vec::new();
        // (table, column) added by this part to a table it did not create: no index that
        // predates the part can list it either
        let mut new_columns: Vec<(&ObjName, &str)> = Vec::new();
        // (table, referencing columns, referenced table, span)
        let mut fks: Vec<Fk<'_>> = Vec::new();
        // (table, leading columns) of every index
        let mut indexes: Vec<(&ObjName, &[String])> = Vec::new();
        for stmt in ctx.statements {
            for op in &stmt.ops {
                match op {
                    Op::CreateTable {
                        table,
                        columns,
                        constraints,
                        ..
                    } => {
                        let t = &table.name;
                        new_tables.push(t);
                        for c in columns {
                            if c.primary_key || c.unique {
                                indexes.push((t, std::slice::from_ref(&c.name)));
                            }
                            if let Some(r) = &c.references {
                                fks.push((t, std::slice::from_ref(&c.name), &r.name, c.name_span));
                            }
                        }
                        for k in constraints {
                            collect(t, &k.kind, k.span, &mut fks, &mut indexes);
                        }
                    }
                    Op::AddConstraint { table, constraint } => collect(
                        &table.name,
                        &constraint.kind,
                        constraint.span,
                        &mut fks,
                        &mut indexes,
                    ),
                    Op::AddColumn { table, column, .. } => {
                        new_columns.push((&table.name, &column.name));
                        if let Some(r) = &column.references {
                            fks.push((
                                &table.name,
                                std::slice::from_ref(&column.name),
                                &r.name,
                                column.name_span,
                            ));
                        }
                    }
                    Op::CreateIndex { table, columns, .. } => indexes.push((&table.name, columns)),
                    _ => {}
                }
            }
        }
        for (t, cols, parent, span) in fks {
            let new_table = new_tables.contains(&t);
            // the leading column was added here: only this part's indexes can cover it
            let new_column = cols
                .first()
                .is_some_and(|c| new_columns.iter().any(|(nt, nc)| *nt == t && nc == c));
            if !(new_table || new_column) || cols.is_empty() {
                continue;
            }
            let covered = indexes
                .iter()
                .any(|(it, ic)| *it == t && ic.len() >= cols.len() && ic[..cols.len()] == *cols);
            if covered {
                continue;
            }
            out.push(Violation {
                span: Some(span),
                message: format!(
                    "foreign key `{t}` ({}) → `{parent}` has no index on its columns",
                    cols.join(", ")
                ),
                label: "not the leading columns of any index".into(),
                help: Some(format!(
                    "`CREATE INDEX {}ON {t} ({})`{}",
                    if new_table { "" } else { "CONCURRENTLY " },
                    cols.iter()
                        .map(|c| crate::ir::quote_ident(c))
                        .collect::<Vec<_>>()
                        .join(", "),
                    if new_table {
                        ""
                    } else {
                        " in a migration that runs without a transaction"
                    },
                )),
                notes: vec![format!(
                    "each DELETE or key UPDATE on `{parent}` scans `{t}` to find referencing rows"
                )],
                in_down: false,
            });
        }
    }
}

/// A foreign key: (table, referencing columns, referenced table, span).
type Fk<'a> = (&'a ObjName, &'a [String], &'a ObjName, Span);

fn collect<'a>(
    t: &'a ObjName,
    kind: &'a ConstraintKind,
    span: Span,
    fks: &mut Vec<Fk<'a>>,
    indexes: &mut Vec<(&'a ObjName, &'a [String])>,
) {
    match kind {
        ConstraintKind::ForeignKey {
            columns,
            references,
        } => fks.push((t, columns, &references.name, span)),
        ConstraintKind::PrimaryKey { columns, .. } | ConstraintKind::Unique { columns, .. } => {
            indexes.push((t, columns))
        }
        _ => {}
    }
}
