use super::{OpCtx, Rule, Violation, rule_doc};
use crate::ir::{Op, Span};

pub struct IdentifierTooLong;

/// PostgreSQL's NAMEDATALEN - 1.
const MAX: usize = 63;

impl Rule for IdentifierTooLong {
    rule_doc!("MC090-identifier-too-long.md");

    fn check_op(&self, op: &Op, ctx: &OpCtx<'_>, out: &mut Vec<Violation>) {
        let mut names: Vec<(&str, String, Span)> = Vec::new();
        match op {
            Op::CreateTable {
                table,
                columns,
                constraints,
                ..
            } => {
                names.push(("table", table.name.name.clone(), table.span));
                names.extend(
                    columns
                        .iter()
                        .map(|c| ("column", c.name.clone(), c.name_span)),
                );
                names.extend(
                    constraints
                        .iter()
                        .filter_map(|c| c.name.clone().map(|n| ("constraint", n, c.span))),
                );
            }
            Op::AddColumn { column, .. } => {
                names.push(("column", column.name.clone(), column.name_span))
            }
            Op::AddConstraint { constraint, .. } => {
                if let Some(n) = &constraint.name {
                    names.push(("constraint", n.clone(), constraint.span));
                }
            }
            Op::CreateIndex {
                name: Some(n),
                keyword_span,
                ..
            } => names.push(("index", n.clone(), ctx.statement.span.cover(*keyword_span))),
            _ => return,
        }
        for (kind, name, span) in names {
            if name.len() <= MAX {
                continue;
            }
            let cut: String = name
                .char_indices()
                .take_while(|(i, c)| i + c.len_utf8() <= MAX)
                .map(|(_, c)| c)
                .collect();
            out.push(Violation {
                span: Some(span),
                message: format!(
                    "{kind} name `{name}` is {} bytes; PostgreSQL truncates it to 63",
                    name.len()
                ),
                label: format!("becomes `{cut}`"),
                help: None,
                notes: Vec::new(),
                in_down: false,
            });
        }
    }
}
