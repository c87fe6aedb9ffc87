//! What a view's query reads: the relations it names and the columns it uses, so replay can
//! tell which views depend on a column (PostgreSQL refuses to change the type of, or drop, a
//! column a view uses, and to drop a table a view reads, unless CASCADE).
//!
//! Names are taken as written: a qualified `alias.col` is resolved to its table here (aliases
//! are syntax); a bare `col` is left for the catalog, which knows the tables' columns. CTE names
//! and subqueries are not relations; a `*` stands for every column of the tables in its FROM.

use std::collections::HashSet;
use std::ops::ControlFlow;

use sqlparser::ast::{
    Expr, Ident, ObjectName, ObjectNamePart, Query, Select, SelectItem,
    SelectItemQualifiedWildcardKind, SetExpr, TableFactor, TableWithJoins, Visit, Visitor,
};

use crate::ir::{ObjName, ViewColumn};

/// An identifier as PostgreSQL folds it.
fn fold(i: &Ident) -> String {
    if i.quote_style.is_some() {
        i.value.clone()
    } else {
        i.value.to_ascii_lowercase()
    }
}

fn parts(n: &ObjectName) -> Option<Vec<String>> {
    n.0.iter()
        .map(|p| match p {
            ObjectNamePart::Identifier(i) => Some(fold(i)),
            ObjectNamePart::Function(_) => None,
        })
        .collect()
}

/// `[db.]schema.name` or `name` → the object's name (the database part is the current one).
fn obj(parts: &[String]) -> Option<ObjName> {
    match parts {
        [.., s, n] => Some(ObjName {
            schema: Some(s.clone()),
            name: n.clone(),
        }),
        [n] => Some(ObjName::new(n.clone())),
        [] => None,
    }
}

type Relation = (ObjName, Option<String>);

#[derive(Default)]
struct Collect {
    ctes: HashSet<String>,
    /// Every relation named in a FROM, in order (what the view reads).
    relations: Vec<ObjName>,
    /// The relations (with aliases) of each SELECT being visited, outermost first.
    scopes: Vec<Vec<Relation>>,
    columns: Vec<ViewColumn>,
}

impl Collect {
    fn relation(&self, tf: &TableFactor) -> Option<Relation> {
        let TableFactor::Table {
            name, alias, args, ..
        } = tf
        else {
            return None;
        };
        if args.is_some() {
            return None; // a set-returning function
        }
        let p = parts(name)?;
        if p.len() == 1 && self.ctes.contains(&p[0]) {
            return None;
        }
        Some((obj(&p)?, alias.as_ref().map(|a| fold(&a.name))))
    }

    /// The relations a FROM list names (joins and parenthesised joins included).
    fn relations_of(&self, from: &[TableWithJoins], out: &mut Vec<Relation>) {
        for twj in from {
            for tf in std::iter::once(&twj.relation).chain(twj.joins.iter().map(|j| &j.relation)) {
                match tf {
                    TableFactor::NestedJoin {
                        table_with_joins, ..
                    } => self.relations_of(std::slice::from_ref(table_with_joins), out),
                    _ => out.extend(self.relation(tf)),
                }
            }
        }
    }

    /// A qualifier (an alias, or a table name as written in a FROM) in the innermost SELECT
    /// that has it.
    fn resolve(&self, q: &[String]) -> Option<ObjName> {
        let want = obj(q)?;
        for scope in self.scopes.iter().rev() {
            if let [a] = q
                && let Some((n, _)) = scope.iter().find(|(_, al)| al.as_deref() == Some(a))
            {
                return Some(n.clone());
            }
            if let Some((n, _)) = scope.iter().find(|(n, al)| {
                al.is_none()
                    && n.name == want.name
                    && (want.schema.is_none() || n.schema == want.schema)
            }) {
                return Some(n.clone());
            }
        }
        None
    }

    fn push(&mut self, c: ViewColumn) {
        if !self.columns.contains(&c) {
            self.columns.push(c);
        }
    }
}

impl Visitor for Collect {
    type Break = ();

    fn pre_visit_query(&mut self, q: &Query) -> ControlFlow<()> {
        if let Some(with) = &q.with {
            for cte in &with.cte_tables {
                self.ctes.insert(fold(&cte.alias.name));
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, tf: &TableFactor) -> ControlFlow<()> {
        if let Some((n, _)) = self.relation(tf)
            && !self.relations.contains(&n)
        {
            self.relations.push(n);
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, s: &Select) -> ControlFlow<()> {
        let mut scope = Vec::new();
        self.relations_of(&s.from, &mut scope);
        self.scopes.push(scope);
        for item in &s.projection {
            match item {
                SelectItem::Wildcard(_) => {
                    let all: Vec<ObjName> = self
                        .scopes
                        .last()
                        .into_iter()
                        .flatten()
                        .map(|(n, _)| n.clone())
                        .collect();
                    for n in all {
                        self.push(ViewColumn::All(n));
                    }
                }
                SelectItem::QualifiedWildcard(
                    SelectItemQualifiedWildcardKind::ObjectName(n),
                    _,
                ) => {
                    if let Some(t) = parts(n).and_then(|p| self.resolve(&p)) {
                        self.push(ViewColumn::All(t));
                    }
                }
                _ => {}
            }
        }
        ControlFlow::Continue(())
    }

    fn post_visit_select(&mut self, _s: &Select) -> ControlFlow<()> {
        self.scopes.pop();
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
        match e {
            Expr::Identifier(i) => {
                let scopes: Vec<Vec<ObjName>> = self
                    .scopes
                    .iter()
                    .rev()
                    .map(|s| s.iter().map(|(n, _)| n.clone()).collect())
                    .collect();
                if scopes.iter().any(|s| !s.is_empty()) {
                    self.push(ViewColumn::Bare {
                        column: fold(i),
                        scopes,
                    });
                }
            }
            Expr::CompoundIdentifier(ids) => {
                let all: Vec<String> = ids.iter().map(fold).collect();
                // a qualifier that is no relation (a subquery's alias, a composite column) is
                // dropped
                if let Some((col, q)) = all.split_last()
                    && !q.is_empty()
                    && let Some(t) = self.resolve(q)
                {
                    self.push(ViewColumn::Named {
                        table: t,
                        column: col.clone(),
                    });
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

/// The relations whose rows a query returns: those in the FROM of its SELECTs (through UNION
/// arms and subqueries in FROM), not those only tested in a WHERE `EXISTS (...)` or `IN (...)`.
/// CTE names are not relations; what a CTE reads is not followed.
pub fn row_sources(query: &Query) -> Vec<ObjName> {
    let mut c = Collect::default();
    if let Some(with) = &query.with {
        for cte in &with.cte_tables {
            c.ctes.insert(fold(&cte.alias.name));
        }
    }
    let mut out = Vec::new();
    sources_of(&c, &query.body, &mut out);
    out
}

fn sources_of(c: &Collect, body: &SetExpr, out: &mut Vec<ObjName>) {
    match body {
        SetExpr::Select(s) => {
            for twj in &s.from {
                for tf in
                    std::iter::once(&twj.relation).chain(twj.joins.iter().map(|j| &j.relation))
                {
                    table_sources(c, tf, out);
                }
            }
        }
        SetExpr::Query(q) => sources_of(c, &q.body, out),
        SetExpr::SetOperation { left, right, .. } => {
            sources_of(c, left, out);
            sources_of(c, right, out);
        }
        _ => {}
    }
}

fn table_sources(c: &Collect, tf: &TableFactor, out: &mut Vec<ObjName>) {
    match tf {
        TableFactor::Derived { subquery, .. } => sources_of(c, &subquery.body, out),
        TableFactor::NestedJoin {
            table_with_joins, ..
        } => {
            table_sources(c, &table_with_joins.relation, out);
            for j in &table_with_joins.joins {
                table_sources(c, &j.relation, out);
            }
        }
        _ => {
            if let Some((n, _)) = c.relation(tf)
                && !out.contains(&n)
            {
                out.push(n);
            }
        }
    }
}

/// The relations a view's query reads and the columns it names (see the module doc).
pub fn view_dependencies(query: &Query) -> (Vec<ObjName>, Vec<ViewColumn>) {
    let mut c = Collect::default();
    let _ = query.visit(&mut c);
    (c.relations, c.columns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::parser::Parser;

    fn deps(sql: &str) -> (Vec<String>, Vec<String>) {
        let stmts = Parser::parse_sql(&PostgreSqlDialect {}, sql).expect("parses");
        let sqlparser::ast::Statement::CreateView(cv) = &stmts[0] else {
            panic!("not a view")
        };
        let (reads, cols) = view_dependencies(&cv.query);
        let cols = cols
            .iter()
            .map(|c| match c {
                ViewColumn::Named { table, column } => format!("{table}.{column}"),
                ViewColumn::Bare { column, scopes } => {
                    let s: Vec<String> = scopes
                        .iter()
                        .map(|s| {
                            s.iter()
                                .map(|n| n.to_string())
                                .collect::<Vec<_>>()
                                .join(" ")
                        })
                        .collect();
                    format!("{column}[{}]", s.join("|"))
                }
                ViewColumn::All(t) => format!("{t}.*"),
            })
            .collect();
        (reads.iter().map(|r| r.to_string()).collect(), cols)
    }

    #[test]
    fn aliases_ctes_and_stars_are_resolved() {
        let (reads, cols) = deps(
            "CREATE VIEW v AS WITH recent AS (SELECT * FROM s.orders o WHERE o.created_at > now())
             SELECT u.id, \"Name\", r.total FROM users u JOIN recent r ON r.user_id = u.id
             WHERE u.deleted_at IS NULL",
        );
        assert_eq!(reads, ["s.orders", "users"]);
        assert_eq!(
            cols,
            [
                "s.orders.*",
                "s.orders.created_at",
                "users.id",
                "Name[users]",
                "users.deleted_at"
            ]
        );
        let (reads, cols) = deps("CREATE VIEW v AS SELECT a.*, b.x FROM a, public.b");
        assert_eq!(reads, ["a", "public.b"]);
        assert_eq!(cols, ["a.*", "public.b.x"]);
        // a bare name is looked for in its own SELECT first, then in the ones around it; the
        // same alias means different tables in different subqueries
        let (_, cols) = deps(
            "CREATE VIEW v AS SELECT m.*, (SELECT name FROM post p WHERE m.post_id = p.id) AS t,
             (SELECT p.name FROM person p WHERE p.id = mod_id) AS who FROM mod_lock m",
        );
        assert_eq!(
            cols,
            [
                "mod_lock.*",
                "name[post|mod_lock]",
                "mod_lock.post_id",
                "post.id",
                "person.name",
                "person.id",
                "mod_id[person|mod_lock]"
            ]
        );
        // a set-returning function is no relation; a subquery's alias qualifies nothing
        let (reads, cols) =
            deps("CREATE VIEW v AS SELECT g, s.y FROM generate_series(1, 3) g, (SELECT 1 AS y) s");
        assert!(reads.is_empty(), "{reads:?}");
        assert!(cols.is_empty(), "{cols:?}");
    }

    fn sources(sql: &str) -> Vec<String> {
        let stmts = Parser::parse_sql(&PostgreSqlDialect {}, sql).expect("parses");
        let sqlparser::ast::Statement::Insert(ins) = &stmts[0] else {
            panic!("not an insert")
        };
        let q = ins.source.as_ref().expect("a query");
        row_sources(q).iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn row_sources_are_the_from_relations() {
        assert_eq!(
            sources(
                "INSERT INTO a SELECT x.id FROM b x JOIN (SELECT * FROM c) y ON true UNION SELECT id FROM s.d"
            ),
            ["b", "c", "s.d"]
        );
        // a conditional seed reads the target only to test it
        assert!(
            sources("INSERT INTO t (name) SELECT 'x' WHERE NOT EXISTS (SELECT 1 FROM t WHERE name = 'x')")
                .is_empty()
        );
        assert!(sources("INSERT INTO t VALUES (1)").is_empty());
        assert!(sources("INSERT INTO t WITH w AS (SELECT 1) SELECT * FROM w").is_empty());
    }
}
