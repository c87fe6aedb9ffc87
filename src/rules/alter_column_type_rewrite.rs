use super::{OpCtx, Rule, Violation, rule_doc};
use crate::ir::Op;
use crate::pg::facts;
use crate::pg::types::{normalize, type_change_effect};

pub struct AlterColumnTypeRewrite;

impl Rule for AlterColumnTypeRewrite {
    rule_doc!("MC040-alter-column-type-rewrite.md");
    fn in_function_bodies(&self) -> bool {
        true
    }

    fn check_op(&self, op: &Op, ctx: &OpCtx<'_>, out: &mut Vec<Violation>) {
        let Op::AlterColumnType {
            table,
            column,
            ty,
            using,
            span,
        } = op
        else {
            return;
        };
        if ctx.is_new_table(&table.name) {
            return;
        }
        let (t, c) = (&table.name, crate::ir::quote_ident(column));
        let to = normalize(ty);
        let from = ctx
            .catalog
            .table(&table.name)
            .and_then(|tb| tb.columns.iter().find(|x| &x.name == column))
            .map(|x| normalize(&x.ty));
        let help = Some(format!(
            "add a new column `{c}_new {to}`, keep it in sync and backfill it in batches, then swap it in within a short transaction"
        ));
        let Some(from) = from else {
            out.push(Violation {
                span: Some(*span),
                message: format!("changing the type of `{t}.{c}` to `{to}` may rewrite `{t}` under an ACCESS EXCLUSIVE lock"),
                label: "rewrites the table unless the old type is binary compatible".into(),
                help,
                notes: vec![format!("migcheck does not know the current type of `{c}`: `{t}` was not created by the migrations it read")],
                in_down: false,
            });
            return;
        };
        if *using {
            let message = if from == to {
                // e.g. an enum swapped for a new one of the same name: `USING c::text::new_enum`
                format!(
                    "recomputing `{t}.{c}` (`{to}`) with USING rewrites `{t}` under an ACCESS EXCLUSIVE lock"
                )
            } else {
                format!(
                    "changing `{t}.{c}` from `{from}` to `{to}` with USING rewrites `{t}` under an ACCESS EXCLUSIVE lock"
                )
            };
            out.push(Violation {
                span: Some(*span),
                message,
                label: "USING recomputes every row".into(),
                help,
                notes: vec!["ACCESS EXCLUSIVE blocks every read and write until the transaction commits; every index is rebuilt".into()],
                in_down: false,
            });
            return;
        }
        let (rewrites, rebuilds, fact) =
            type_change_effect(Some(&from), &to, false, ctx.session_utc, ctx.version);
        // without a rewrite, only the indexes on the column are rebuilt: none known, nothing to say
        if !rewrites && (!rebuilds || !ctx.catalog.maybe_indexed(&table.name, column)) {
            return;
        }
        let mut notes = vec![format!(
            "ACCESS EXCLUSIVE on `{t}` blocks every read and write until the transaction commits"
        )];
        match fact {
            Some(id) => notes.push(format!(
                "measured: this kind of change rewrites the table on PostgreSQL {}",
                facts::majors_where_op(id, |r| r.rewrites)
            )),
            _ => notes.push(format!("`{from}` to `{to}` is not binary compatible: PostgreSQL rewrites the table (not in the measured facts)")),
        }
        if matches!(
            fact,
            Some("type_timestamp_to_timestamptz_nonutc" | "type_timestamptz_to_timestamp_nonutc")
        ) && ctx.version.major >= 12
        {
            notes.push("with the migration session's TimeZone set to UTC this change does not rewrite on 12+ (set `session-timezone = \"UTC\"` in migcheck.toml when it is)".into());
        }
        let (message, label) = if rewrites {
            (
                format!(
                    "changing `{t}.{c}` from `{from}` to `{to}` rewrites `{t}` and rebuilds its indexes under an ACCESS EXCLUSIVE lock"
                ),
                "every row is rewritten while the table is locked".to_string(),
            )
        } else {
            (
                format!(
                    "changing `{t}.{c}` from `{from}` to `{to}` rebuilds the indexes on `{c}` under an ACCESS EXCLUSIVE lock"
                ),
                "no table rewrite, but each index on the column is rebuilt with a full scan"
                    .to_string(),
            )
        };
        out.push(Violation {
            span: Some(*span),
            message,
            label,
            help,
            notes,
            in_down: false,
        });
    }
}
