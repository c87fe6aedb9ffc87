use super::{OpCtx, Rule, Violation, lock_note, rule_doc};
use crate::ir::{DefaultKind, Op};
use crate::pg::Fact;

pub struct AddColumnDefaultRewrite;

impl Rule for AddColumnDefaultRewrite {
    rule_doc!("MC010-add-column-default-rewrite.md");
    fn in_function_bodies(&self) -> bool {
        true
    }

    fn check_op(&self, op: &Op, ctx: &OpCtx<'_>, out: &mut Vec<Violation>) {
        let Op::AddColumn { table, column, .. } = op else {
            return;
        };
        let Some(default) = &column.default else {
            return;
        };
        if !matches!(default.kind, DefaultKind::Constant | DefaultKind::Stable)
            || column.generated.is_some()
            || column.is_serial()
            || ctx.is_new_table(&table.name)
        {
            return;
        }
        if default.text == "null" {
            return; // DEFAULT NULL is the same as no default
        }
        let fact = match (&default.kind, column.not_null) {
            (_, true) => Fact::AddColNotNullDefault,
            (DefaultKind::Stable, _) => Fact::AddColDefaultNow,
            _ => Fact::AddColDefaultConst,
        };
        let Some(row) = ctx.fact(fact) else { return };
        if !row.rewrites {
            return;
        }
        let (t, c) = (&table.name, crate::ir::quote_ident(&column.name));
        let lock = row.lock.map_or("ACCESS EXCLUSIVE", |l| l.sql_name());
        out.push(Violation {
            in_down: false,
            span: Some(default.span),
            message: format!("adding `{c}` with a default rewrites `{t}` under an {lock} lock on PostgreSQL {}", ctx.version),
            label: "rewrites every row (fast defaults arrived in 11)".to_string(),
            help: Some(if column.not_null {
                format!(
                    "add `{c}` as a nullable column without a default, then `ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {}` (new rows only), backfill existing rows in batches, then enforce NOT NULL with a validated `CHECK ({c} IS NOT NULL)`; on PostgreSQL 11+ this statement is instant",
                    default.text
                )
            } else {
                format!(
                    "add `{c}` without a default, then `ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {}` (new rows only), then backfill existing rows in batches; on PostgreSQL 11+ this statement is instant",
                    default.text
                )
            }),
            notes: lock_note(row, t)
                .into_iter()
                .chain(row.rebuilds_indexes.then(|| {
                    format!(
                        "the rewrite also rebuilds every index of `{t}`; measured: rewrites on PostgreSQL {}, not on {}",
                        crate::pg::facts::majors_where(fact, |r| r.rewrites),
                        crate::pg::facts::majors_where(fact, |r| !r.rewrites)
                    )
                }))
                .collect(),
        });
    }
}
