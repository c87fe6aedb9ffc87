//! The column-type style rules (all off by default): prefer-jsonb, prefer-identity,
//! prefer-bigint-primary-key, prefer-text, prefer-timestamptz. One check, one struct per rule.

use super::{OpCtx, Rule, Violation, rule_doc};
use crate::ir::{ColumnDef, ConstraintKind, Op};
use crate::pg::types::normalize;

/// New columns of a statement, with whether each is (part of) the primary key.
fn new_columns(op: &Op) -> Vec<(&ColumnDef, bool)> {
    match op {
        Op::CreateTable {
            columns,
            constraints,
            ..
        } => {
            let pk: Vec<&String> = constraints
                .iter()
                .filter_map(|c| {
                    if let ConstraintKind::PrimaryKey { columns, .. } = &c.kind {
                        Some(columns)
                    } else {
                        None
                    }
                })
                .flatten()
                .collect();
            columns
                .iter()
                .map(|c| (c, c.primary_key || pk.contains(&&c.name)))
                .collect()
        }
        Op::AddColumn { column, .. } => vec![(column, column.primary_key)],
        _ => Vec::new(),
    }
}

fn push(out: &mut Vec<Violation>, c: &ColumnDef, message: String, label: &str) {
    out.push(Violation {
        span: Some(c.ty_span),
        message,
        label: label.into(),
        help: None,
        notes: Vec::new(),
        in_down: false,
    });
}

pub struct PreferJsonb;
impl Rule for PreferJsonb {
    rule_doc!("MC092-prefer-jsonb.md");
    fn check_op(&self, op: &Op, _ctx: &OpCtx<'_>, out: &mut Vec<Violation>) {
        for (c, _) in new_columns(op) {
            if normalize(&c.ty).base == "json" {
                push(
                    out,
                    c,
                    format!(
                        "column `{}` is `json`; `jsonb` is indexable and comparable",
                        c.name
                    ),
                    "json",
                );
            }
        }
    }
}

pub struct PreferIdentity;
impl Rule for PreferIdentity {
    rule_doc!("MC093-prefer-identity.md");
    fn check_op(&self, op: &Op, _ctx: &OpCtx<'_>, out: &mut Vec<Violation>) {
        for (c, _) in new_columns(op) {
            if c.is_serial() {
                push(
                    out,
                    c,
                    format!(
                        "column `{}` is `{}`; an identity column is the standard form",
                        c.name, c.ty
                    ),
                    "serial",
                );
            }
        }
    }
}

pub struct PreferBigintPrimaryKey;
impl Rule for PreferBigintPrimaryKey {
    rule_doc!("MC094-prefer-bigint-primary-key.md");
    fn check_op(&self, op: &Op, _ctx: &OpCtx<'_>, out: &mut Vec<Violation>) {
        if !matches!(op, Op::CreateTable { .. }) {
            return;
        }
        for (c, pk) in new_columns(op) {
            let base = normalize(&c.ty).base;
            if pk && matches!(base.as_str(), "integer" | "smallint") {
                push(
                    out,
                    c,
                    format!(
                        "primary key `{}` is `{}`: it runs out at {}",
                        c.name,
                        c.ty,
                        if base == "integer" {
                            "2^31 - 1"
                        } else {
                            "2^15 - 1"
                        }
                    ),
                    "32-bit key",
                );
            }
        }
    }
}

pub struct PreferText;
impl Rule for PreferText {
    rule_doc!("MC095-prefer-text.md");
    fn check_op(&self, op: &Op, _ctx: &OpCtx<'_>, out: &mut Vec<Violation>) {
        for (c, _) in new_columns(op) {
            let t = normalize(&c.ty);
            if t.base == "varchar" && !t.mods.is_empty() {
                push(
                    out,
                    c,
                    format!(
                        "column `{}` is `{t}`; `text` with a CHECK is easier to change",
                        c.name
                    ),
                    "length limit in the type",
                );
            }
        }
    }
}

pub struct PreferTimestamptz;
impl Rule for PreferTimestamptz {
    rule_doc!("MC096-prefer-timestamptz.md");
    fn check_op(&self, op: &Op, _ctx: &OpCtx<'_>, out: &mut Vec<Violation>) {
        for (c, _) in new_columns(op) {
            if normalize(&c.ty).base == "timestamp" {
                push(
                    out,
                    c,
                    format!("column `{}` is `timestamp` without time zone", c.name),
                    "no time zone",
                );
            }
        }
    }
}
