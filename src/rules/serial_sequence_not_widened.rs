use super::{PartCtx, Rule, Violation, rule_doc};
use crate::ir::{Op, quote_ident};
use crate::pg::types::normalize;

pub struct SerialSequenceNotWidened;

/// The largest value of an integer type, and its rank.
fn range(base: &str) -> Option<(u8, &'static str)> {
    match base {
        "smallint" => Some((1, "32,767")),
        "integer" => Some((2, "2,147,483,647")),
        "bigint" => Some((3, "9,223,372,036,854,775,807")),
        _ => None,
    }
}

impl Rule for SerialSequenceNotWidened {
    rule_doc!("MC045-serial-sequence-not-widened.md");

    fn check_part(&self, ctx: &PartCtx<'_>, out: &mut Vec<Violation>) {
        for stmt in ctx.statements {
            for op in &stmt.ops {
                let Op::AlterColumnType {
                    table,
                    column,
                    ty,
                    span,
                    ..
                } = op
                else {
                    continue;
                };
                // the column and its sequence as the part leaves them
                let Some(col) = ctx
                    .catalog
                    .table(&table.name)
                    .and_then(|t| t.columns.iter().find(|c| &c.name == column))
                else {
                    continue;
                };
                let Some((seq, seq_type)) = col.serial_seq.as_deref() else {
                    continue;
                };
                let to = normalize(ty).base;
                let (Some((col_rank, _)), Some((seq_rank, max))) = (range(&to), range(seq_type))
                else {
                    continue;
                };
                if normalize(&col.ty).base != to || col_rank <= seq_rank {
                    continue; // changed again later in the part, or not wider
                }
                out.push(Violation {
                    span: Some(*span),
                    message: format!(
                        "`{}.{}` becomes {to}, but its sequence `{seq}` stays {seq_type}",
                        table.name,
                        quote_ident(column)
                    ),
                    label: format!("nextval() still fails after {max}"),
                    help: Some(format!(
                        "add `ALTER SEQUENCE {seq} AS {to};` to the migration (PostgreSQL 10+)"
                    )),
                    notes: vec![
                        "a serial column's sequence gets the column's type when it is created; ALTER COLUMN TYPE does not change it (identity columns follow, serial ones do not)".into(),
                    ],
                    in_down: ctx.direction == super::Direction::Down,
                });
            }
        }
    }
}
