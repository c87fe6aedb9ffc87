//! `migcheck stats --database-url URL`: the `--stats` JSON from a live database's catalog.
//!
//! Rows come from `pg_class.reltuples` (the planner's estimate, kept by VACUUM, ANALYZE and
//! autovacuum), bytes from `pg_total_relation_size` (heap + indexes + TOAST). A partitioned table
//! gets the sum of its partitions. Tables whose row count the catalog does not know (never
//! vacuumed or analyzed: `reltuples = -1` on PostgreSQL 14+, `0` with a non-empty heap before)
//! are left out and listed, so migcheck treats them as of unknown size instead of tiny.
//! Only catalog reads: no table is scanned, no lock beyond ACCESS SHARE on catalogs is taken.

use std::collections::BTreeMap;

use postgres::Client;

/// What `collect` found.
#[derive(Debug)]
pub struct Collected {
    /// The `--stats` JSON document.
    pub json: serde_json::Value,
    /// `schema.table` of the tables left out because their row count is unknown.
    pub unknown: Vec<String>,
}

struct Rel {
    kind: String,
    rows: Option<f64>,
    bytes: i64,
}

const QUERY: &str = "
SELECT c.oid::int8, n.nspname::text, c.relname::text, c.relkind::text, c.reltuples::float8,
       pg_total_relation_size(c.oid)::int8, pg_relation_size(c.oid)::int8
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
ORDER BY 2, 3";

pub fn collect(url: &str) -> Result<Collected, String> {
    let mut c = Client::connect(url, crate::tls::connector()?)
        .map_err(|e| format!("cannot connect: {}", chain(&e)))?;
    let err = |e: postgres::Error| format!("catalog query failed: {}", chain(&e));
    let meta = c
        .query_one(
            "SELECT current_database()::text, current_setting('server_version'), now()::text",
            &[],
        )
        .map_err(err)?;
    let mut rels: BTreeMap<i64, (String, Rel)> = BTreeMap::new();
    for r in c.query(QUERY, &[]).map_err(err)? {
        let oid: i64 = r.get(0);
        let name = format!("{}.{}", r.get::<_, String>(1), r.get::<_, String>(2));
        let kind: String = r.get(3);
        let reltuples: f64 = r.get(4);
        let heap: i64 = r.get(6);
        let known = reltuples > 0.0 || (reltuples == 0.0 && heap == 0);
        rels.insert(
            oid,
            (
                name,
                Rel {
                    kind,
                    rows: known.then_some(reltuples.max(0.0)),
                    bytes: r.get(5),
                },
            ),
        );
    }
    // partitioned tables: the sum over their (leaf) partitions, bottom up
    let edges: Vec<(i64, i64)> = c
        .query(
            "SELECT inhrelid::int8, inhparent::int8 FROM pg_inherits ORDER BY 2, 1",
            &[],
        )
        .map_err(err)?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let parents: Vec<i64> = rels
        .iter()
        .filter(|(_, (_, r))| r.kind == "p")
        .map(|(oid, _)| *oid)
        .collect();
    for p in parents {
        let (rows, bytes) = leaf_sum(p, &rels, &edges, 0);
        if let Some((_, rel)) = rels.get_mut(&p) {
            rel.rows = rows;
            rel.bytes = bytes;
        }
    }
    let mut tables = serde_json::Map::new();
    let mut unknown = Vec::new();
    // (serde_json's map is ordered by key: the output is sorted by table name)
    for (name, rel) in rels.values() {
        match rel.rows {
            Some(rows) => {
                tables.insert(
                    name.clone(),
                    serde_json::json!({"rows": rows.round() as u64, "bytes": rel.bytes.max(0)}),
                );
            }
            None => unknown.push(name.clone()),
        }
    }
    let json = serde_json::json!({
        "database": meta.get::<_, String>(0),
        "server_version": meta.get::<_, String>(1),
        "collected_at": meta.get::<_, String>(2),
        "source": "pg_class.reltuples (planner estimate) and pg_total_relation_size",
        "tables": tables,
    });
    Ok(Collected { json, unknown })
}

/// The error with its causes ("error connecting to server: Connection refused").
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// Rows (None when a partition's count is unknown) and bytes of `oid`'s partitions.
fn leaf_sum(
    oid: i64,
    rels: &BTreeMap<i64, (String, Rel)>,
    edges: &[(i64, i64)],
    depth: usize,
) -> (Option<f64>, i64) {
    let Some((_, rel)) = rels.get(&oid) else {
        return (Some(0.0), 0);
    };
    if rel.kind != "p" || depth > 64 {
        return (rel.rows, rel.bytes);
    }
    let mut rows = Some(0.0);
    let mut bytes = 0;
    for (child, _) in edges.iter().filter(|(_, parent)| *parent == oid) {
        let (r, b) = leaf_sum(*child, rels, edges, depth + 1);
        rows = rows.zip(r).map(|(a, b)| a + b);
        bytes += b;
    }
    (rows, bytes)
}
