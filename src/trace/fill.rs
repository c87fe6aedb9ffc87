//! Realistic volume: synthetic rows in the tables that existed before the new migrations, so a
//! traced rewrite or scan takes the time it would take in production (the incident's root
//! cause: 100 rows in staging, 10 million in production).
//!
//! Values are generated per column type from the row number `g` (one `INSERT ... SELECT FROM
//! generate_series` per table): unique and key columns get distinct values, foreign keys point
//! at rows generated in the referenced table (tables are filled parents first), enums take
//! their labels in turn, varchar(n)/char(n) respect n. Identity-ALWAYS and generated columns
//! are left to the server. CHECK constraints are not solved: a table whose rows a CHECK rejects
//! is reported and left with the rows it had.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use postgres::Client;
use serde::Serialize;

use super::server::{chain, ident};

#[derive(Debug, Clone, Serialize)]
pub struct Filled {
    pub table: String,
    pub rows: u64,
    pub seconds: f64,
    /// Why the table could not be filled (it keeps the rows it had).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

struct Column {
    name: String,
    /// `format_type` (e.g. `character varying(20)`).
    ty: String,
    /// The type's `typtype` (b base, e enum, d domain, ...) and category, of the base type.
    typtype: char,
    category: char,
    base: String,
    unique: bool,
    /// (referenced table oid, referenced column name).
    references: Option<(u32, String)>,
    /// A generated column.
    skip: bool,
}

struct Table {
    oid: u32,
    /// Quoted and qualified.
    name: String,
    schema: String,
    relname: String,
    columns: Vec<Column>,
    parents: BTreeSet<u32>,
}

const TABLES: &str = "
SELECT c.oid, format('%I.%I', n.nspname, c.relname), n.nspname::text, c.relname::text
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
ORDER BY 2";

/// Columns; `attgenerated` exists from 12 on, so it is read through to_jsonb of the row.
/// Generated columns are left to the server; identity columns get values (`OVERRIDING SYSTEM
/// VALUE`) so that foreign keys can point at them.
const COLUMNS: &str = "
SELECT a.attname::text, format_type(a.atttypid, a.atttypmod),
       coalesce(to_jsonb(a) ->> 'attgenerated', '') <> '',
       t.typtype::text, bt.typcategory::text, format_type(bt.oid, CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END),
       EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisunique
               AND a.attnum = ANY (i.indkey::int2[]))
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum";

/// Single-column foreign keys: (column, referenced table, referenced column).
const FKS: &str = "
SELECT a.attname::text, c.confrelid, fa.attname::text
FROM pg_constraint c
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1]
WHERE c.conrelid = $1 AND c.contype = 'f'";

/// The tables to fill and how many rows each gets (`rows_for` returns None to leave one out).
pub fn fill(
    c: &mut Client,
    rows_for: &dyn Fn(&str, &str) -> Option<u64>,
    log: &mut dyn FnMut(&str),
) -> Result<Vec<Filled>, String> {
    let err = |e: postgres::Error| format!("reading the catalog: {}", chain(&e));
    let mut tables = Vec::new();
    for r in c.query(TABLES, &[]).map_err(err)? {
        let oid: u32 = r.get(0);
        let name: String = r.get(1);
        let (schema, relname): (String, String) = (r.get(2), r.get(3));
        let mut columns = Vec::new();
        for a in c.query(COLUMNS, &[&oid]).map_err(err)? {
            let typtype: String = a.get(3);
            let category: String = a.get(4);
            columns.push(Column {
                name: a.get(0),
                ty: a.get(1),
                skip: a.get(2),
                typtype: typtype.chars().next().unwrap_or('b'),
                category: category.chars().next().unwrap_or('U'),
                base: a.get(5),
                unique: a.get(6),
                references: None,
            });
        }
        let mut parents = BTreeSet::new();
        for f in c.query(FKS, &[&oid]).map_err(err)? {
            let col: String = f.get(0);
            let parent: u32 = f.get(1);
            let pcol: String = f.get(2);
            if let Some(cl) = columns.iter_mut().find(|x| x.name == col) {
                cl.references = Some((parent, pcol));
            }
            if parent != oid {
                parents.insert(parent);
            }
        }
        tables.push(Table {
            oid,
            name,
            schema,
            relname,
            columns,
            parents,
        });
    }
    // parents first (a cycle is broken in name order)
    let mut order: Vec<usize> = Vec::new();
    let mut done: BTreeSet<u32> = BTreeSet::new();
    while order.len() < tables.len() {
        let next = tables
            .iter()
            .enumerate()
            .filter(|(_, t)| !done.contains(&t.oid))
            .find(|(_, t)| {
                t.parents
                    .iter()
                    .all(|p| done.contains(p) || !tables.iter().any(|x| x.oid == *p))
            })
            .or_else(|| {
                tables
                    .iter()
                    .enumerate()
                    .find(|(_, t)| !done.contains(&t.oid))
            })
            .map(|(i, _)| i);
        let Some(i) = next else { break };
        done.insert(tables[i].oid);
        order.push(i);
    }
    let mut counts: BTreeMap<u32, u64> = BTreeMap::new();
    let mut out = Vec::new();
    for i in order {
        let t = &tables[i];
        let Some(n) = rows_for(&t.schema, &t.relname) else {
            continue;
        };
        if n == 0 {
            continue;
        }
        if t.columns.iter().all(|c| c.skip) {
            out.push(Filled {
                table: t.name.clone(),
                rows: 0,
                seconds: 0.0,
                error: Some("no column to fill".into()),
            });
            continue;
        }
        log(&format!("filling {} with {n} rows", t.name));
        let start = Instant::now();
        let sql = insert_sql(t, n, &tables, &counts);
        let res = c
            .batch_execute(&format!("BEGIN; {sql}; COMMIT"))
            .map_err(|e| {
                let _ = c.batch_execute("ROLLBACK");
                match e.as_db_error() {
                    Some(d) => format!("{} ({})", d.message(), d.code().code()),
                    None => chain(&e),
                }
            });
        if res.is_ok() {
            counts.insert(t.oid, n);
        }
        out.push(Filled {
            table: t.name.clone(),
            rows: if res.is_ok() { n } else { 0 },
            seconds: start.elapsed().as_secs_f64(),
            error: res.err(),
        });
    }
    if !out.is_empty() {
        c.batch_execute("ANALYZE")
            .map_err(|e| format!("ANALYZE: {}", chain(&e)))?;
    }
    Ok(out)
}

/// Offset of generated key values, above the ids of rows the migrations seeded themselves.
const BASE: i64 = 1_000_000_000;

fn insert_sql(t: &Table, n: u64, tables: &[Table], counts: &BTreeMap<u32, u64>) -> String {
    let cols: Vec<&Column> = t.columns.iter().filter(|c| !c.skip).collect();
    let names: Vec<String> = cols.iter().map(|c| ident(&c.name)).collect();
    let values: Vec<String> = cols
        .iter()
        .map(|c| {
            // a foreign key points at a generated row of the parent (same expression of the
            // parent's column at a row number within the parent's count)
            if let Some((parent, pcol)) = &c.references {
                let parent_rows = if *parent == t.oid {
                    Some(n)
                } else {
                    counts.get(parent).copied()
                };
                let pc = tables
                    .iter()
                    .find(|x| x.oid == *parent)
                    .and_then(|p| p.columns.iter().find(|x| &x.name == pcol));
                return match (parent_rows, pc) {
                    (Some(pn), Some(pc)) if pn > 0 => {
                        let row = format!("(((g - 1) % {pn}) + 1)");
                        value(pc, &row).unwrap_or_else(|| format!("NULL::{}", c.ty))
                    }
                    _ => format!("NULL::{}", c.ty),
                };
            }
            value(c, "g").unwrap_or_else(|| format!("NULL::{}", c.ty))
        })
        .collect();
    format!(
        "INSERT INTO {} ({}) OVERRIDING SYSTEM VALUE SELECT {} FROM generate_series(1, {n}) AS s(g)",
        t.name,
        names.join(", "),
        values.join(", ")
    )
}

/// A value of `c`'s type for row number expression `g`, cast to the column type.
fn value(c: &Column, g: &str) -> Option<String> {
    let ty = &c.ty;
    let base = c.base.as_str();
    let len = typmod_len(base);
    let text = |s: String| match len {
        Some(n) => format!("left({s}, {n})"),
        None => s,
    };
    let v = if c.typtype == 'e' {
        format!("(enum_range(NULL::{ty}))[1 + ({g} % array_length(enum_range(NULL::{ty}), 1))]")
    } else if base.ends_with("[]") {
        "'{}'".to_string()
    } else {
        match base.split('(').next().unwrap_or(base).trim() {
            "smallint" => {
                if c.unique {
                    g.to_string()
                } else {
                    format!("({g} % 30000)")
                }
            }
            "integer" | "bigint" | "oid" => format!("({BASE} + {g})"),
            "numeric" => match numeric_digits(base) {
                Some(d) if d < 10 => format!("({g} % {})", 10i64.pow(d)),
                _ => format!("({BASE} + {g})"),
            },
            "real" | "double precision" => format!("({g} + 0.5)"),
            "money" => format!("({g} % 100000)"),
            "boolean" => format!("({g} % 2 = 0)"),
            "text" | "character varying" | "character" | "citext" | "name" | "bpchar" => {
                text(format!("({g}::text || '-' || md5({g}::text))"))
            }
            "uuid" => format!("md5({g}::text)::uuid"),
            "json" | "jsonb" => format!("json_build_object('n', {g}, 'note', md5({g}::text))"),
            "bytea" => format!("decode(md5({g}::text), 'hex')"),
            "date" => format!("(date '2000-01-01' + ({g} % 20000)::int)"),
            "timestamp without time zone" | "timestamp with time zone" | "timestamp" => {
                format!("(timestamp '2020-01-01' + {g} * interval '1 second')")
            }
            "time without time zone" | "time with time zone" => {
                format!("(time '00:00' + ({g} % 86400) * interval '1 second')")
            }
            "interval" => format!("({g} * interval '1 second')"),
            "inet" | "cidr" => format!("('10.0.0.0'::inet + {g})"),
            "macaddr" => "'08:00:2b:01:02:03'".to_string(),
            "bit" | "bit varying" => "B'1'".to_string(),
            "tsvector" => format!("to_tsvector('simple', md5({g}::text))"),
            "xml" => "'<x/>'".to_string(),
            _ => match c.category {
                'N' => format!("({g} % 100)"),
                'S' => text(format!("md5({g}::text)")),
                'B' => format!("({g} % 2 = 0)"),
                _ => return None,
            },
        }
    };
    Some(format!("({v})::{ty}"))
}

/// n of `character varying(n)` / `character(n)` / `bit(n)`.
fn typmod_len(ty: &str) -> Option<u32> {
    if !(ty.starts_with("character") || ty.starts_with("bit")) {
        return None;
    }
    let inner = ty.split('(').nth(1)?.split(')').next()?;
    inner.trim().parse().ok()
}

/// Integer digits of `numeric(p,s)` (p - s).
fn numeric_digits(ty: &str) -> Option<u32> {
    let inner = ty.split('(').nth(1)?.split(')').next()?;
    let mut it = inner.split(',').map(|x| x.trim().parse::<u32>().ok());
    let p = it.next()??;
    let s = it.next().flatten().unwrap_or(0);
    Some(p.saturating_sub(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typmods_are_read() {
        assert_eq!(typmod_len("character varying(20)"), Some(20));
        assert_eq!(typmod_len("character(3)"), Some(3));
        assert_eq!(typmod_len("character varying"), None);
        assert_eq!(typmod_len("text"), None);
        assert_eq!(numeric_digits("numeric(10,2)"), Some(8));
        assert_eq!(numeric_digits("numeric(5)"), Some(5));
        assert_eq!(numeric_digits("numeric"), None);
    }
}
