use super::{OpCtx, Rule, Violation, rule_doc};
use crate::catalog::{Table, same};
use crate::ir::{ObjName, Op, Span, quote_ident};

pub struct DependentObjects;

fn kind(v: &Table) -> &'static str {
    match &v.view {
        Some(d) if d.materialized => "materialized view",
        _ => "view",
    }
}

fn names(views: &[&Table]) -> String {
    let n: Vec<String> = views
        .iter()
        .map(|v| format!("{} `{}`", kind(v), v.name))
        .collect();
    n.join(", ")
}

impl Rule for DependentObjects {
    rule_doc!("MC062-dependent-objects.md");

    fn check_op(&self, op: &Op, ctx: &OpCtx<'_>, out: &mut Vec<Violation>) {
        let mut push = |span: Span, message: String, label: &str, help: String| {
            out.push(Violation {
                span: Some(span),
                message,
                label: label.into(),
                help: Some(help),
                notes: Vec::new(),
                in_down: false,
            });
        };
        let recreate = |views: &[&Table]| {
            let drops: Vec<String> = views
                .iter()
                .map(|v| format!("DROP {} {}", kind(v).to_uppercase(), v.name))
                .collect();
            format!(
                "in one transaction: `{};`, this statement, then create the {} again",
                drops.join("; "),
                if views.len() == 1 { "view" } else { "views" }
            )
        };
        match op {
            Op::AlterColumnType {
                table,
                column,
                span,
                ..
            }
            | Op::DropColumn {
                table,
                column,
                cascade: false,
                span,
                ..
            } => {
                let views = ctx.catalog.views_using(&table.name, column);
                if views.is_empty() {
                    return;
                }
                let drop = matches!(op, Op::DropColumn { .. });
                push(
                    *span,
                    format!(
                        "{} `{}.{}` fails: {} {} it",
                        if drop {
                            "dropping"
                        } else {
                            "changing the type of"
                        },
                        table.name,
                        quote_ident(column),
                        names(&views),
                        verb(&views, "uses", "use")
                    ),
                    if drop {
                        "ERROR: cannot drop column because other objects depend on it"
                    } else {
                        "ERROR: cannot alter type of a column used by a view or rule"
                    },
                    if drop {
                        format!(
                            "{} without the column (CASCADE would drop the {} silently)",
                            recreate(&views),
                            if views.len() == 1 { "view" } else { "views" }
                        )
                    } else {
                        recreate(&views)
                    },
                );
            }
            Op::DropTable {
                tables,
                cascade: false,
                ..
            } => self.drop_relations(tables.iter().map(|t| (&t.name, t.span)), ctx, &mut push),
            Op::DropView {
                names,
                cascade: false,
                ..
            } => self.drop_relations(names.iter().map(|t| (&t.name, t.span)), ctx, &mut push),
            Op::DropType {
                names,
                cascade: false,
                ..
            } => {
                for n in names {
                    let users = ctx.catalog.columns_of_type(&n.name);
                    let Some((t, cols)) = users.first() else {
                        continue;
                    };
                    let all: Vec<String> = users
                        .iter()
                        .flat_map(|(t, cols)| {
                            cols.iter()
                                .map(move |c| format!("`{}.{}`", t.name, quote_ident(c)))
                        })
                        .collect();
                    push(
                        n.span,
                        format!(
                            "dropping type `{}` fails: {} {} {} it",
                            n.name,
                            if all.len() == 1 { "column" } else { "columns" },
                            all.join(", "),
                            if all.len() == 1 { "uses" } else { "use" }
                        ),
                        "ERROR: cannot drop type because other objects depend on it",
                        format!(
                            "drop or change the column{} first (e.g. `ALTER TABLE {} DROP COLUMN {}` or `DROP TABLE {}`), or add CASCADE to drop the columns with it",
                            if all.len() == 1 { "" } else { "s" },
                            t.name,
                            quote_ident(cols[0]),
                            t.name
                        ),
                    );
                }
            }
            _ => {}
        }
    }
}

impl DependentObjects {
    /// `DROP TABLE/VIEW a, b` fails when a view other than those dropped with it reads one.
    fn drop_relations<'a>(
        &self,
        dropped: impl Iterator<Item = (&'a ObjName, Span)> + Clone,
        ctx: &OpCtx<'_>,
        push: &mut impl FnMut(Span, String, &str, String),
    ) {
        let gone: Vec<&ObjName> = dropped.clone().map(|(n, _)| n).collect();
        for (name, span) in dropped {
            let views: Vec<&Table> = ctx
                .catalog
                .views_reading(name)
                .into_iter()
                .filter(|v| !gone.iter().any(|g| same(g, &v.name)))
                .collect();
            if views.is_empty() {
                continue;
            }
            push(
                span,
                format!(
                    "dropping `{name}` fails: {} {} it",
                    names(&views),
                    verb(&views, "reads", "read")
                ),
                "ERROR: cannot drop because other objects depend on it",
                format!(
                    "drop {} first (in the same migration), or add CASCADE to drop {} with it",
                    names(&views),
                    if views.len() == 1 { "it" } else { "them" }
                ),
            );
        }
    }
}

fn verb(views: &[&Table], one: &'static str, many: &'static str) -> &'static str {
    if views.len() == 1 { one } else { many }
}
