use super::{OpCtx, Rule, Violation, lock_note, rule_doc};
use crate::ir::{DefaultKind, Generated, Op};
use crate::pg::{Fact, InTxn};

pub struct AddColumnVolatileDefault;

impl Rule for AddColumnVolatileDefault {
    rule_doc!("MC011-add-column-volatile-default.md");
    fn in_function_bodies(&self) -> bool {
        true
    }

    fn check_op(&self, op: &Op, ctx: &OpCtx<'_>, out: &mut Vec<Violation>) {
        let Op::AddColumn { table, column, .. } = op else {
            return;
        };
        if ctx.is_new_table(&table.name) {
            return;
        }
        let (t, c) = (&table.name, crate::ir::quote_ident(&column.name));
        // (fact, span, what, label)
        let (fact, span, what, label) = if let Some((kind, span)) = column.generated {
            match kind {
                Generated::Identity => (
                    Fact::AddColIdentity,
                    span,
                    "an identity column".to_string(),
                    "every row gets its own sequence value".to_string(),
                ),
                Generated::Stored => (
                    Fact::AddColGeneratedStored,
                    span,
                    "a stored generated column".to_string(),
                    "computed and stored for every row".to_string(),
                ),
                Generated::Virtual => return,
            }
        } else if column.is_serial() {
            (
                Fact::AddColSerial,
                column.ty_span,
                format!("a `{}` column", column.ty),
                "`nextval` is called once per row".to_string(),
            )
        } else if let Some(d) = &column.default {
            match &d.kind {
                DefaultKind::Volatile { function } => (
                    Fact::AddColDefaultVolatile,
                    d.span,
                    format!("a volatile default `{function}()`"),
                    format!("`{function}()` is volatile: evaluated for every row"),
                ),
                DefaultKind::Unknown { function } => (
                    Fact::AddColDefaultVolatile,
                    d.span,
                    format!("a default calling `{function}()`"),
                    format!("rewrites every row unless `{function}` is IMMUTABLE or STABLE"),
                ),
                _ => return,
            }
        } else {
            return;
        };
        let Some(row) = ctx.fact(fact) else { return };
        if row.in_txn == InTxn::Unavailable || !row.rewrites {
            return;
        }
        let lock = row.lock.map_or("ACCESS EXCLUSIVE", |l| l.sql_name());
        let help = match (&column.default, column.generated) {
            (Some(d), None) if !column.is_serial() => format!(
                "add `{c}` without a default, then `ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {}` (new rows only), then backfill existing rows in batches",
                d.text
            ),
            // a stored generated column is computed for every row when added; no default can
            // stand in for its expression
            (_, Some((crate::ir::Generated::Stored, _))) => format!(
                "add `{c}` as a plain nullable column, keep it current with a trigger (or in the application) and backfill existing rows in batches; a stored generated column cannot be added without the rewrite"
            ),
            _ => format!(
                "add `{c}` as a plain nullable column, attach a sequence default for new rows with `ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT nextval(...)`, then backfill existing rows in batches"
            ),
        };
        let qualifier = if matches!(
            column.default.as_ref().map(|d| &d.kind),
            Some(DefaultKind::Unknown { .. })
        ) {
            "may rewrite"
        } else {
            "rewrites"
        };
        out.push(Violation {
            in_down: false,
            span: Some(span),
            message: format!("adding `{c}` with {what} {qualifier} `{t}` under an {lock} lock"),
            label,
            help: Some(help),
            notes: lock_note(row, t)
                .into_iter()
                .chain(std::iter::once(format!(
                    "measured: rewrites the table and rebuilds its indexes on PostgreSQL {}",
                    crate::pg::facts::majors_where(fact, |r| r.rewrites)
                )))
                .collect(),
        });
    }
}
