//! Table sizes (`--stats FILE`, JSON: table → rows, bytes) and what they do to findings about
//! rewrites and scans: a tiny table drops to `info`, a large one gets an estimated lock time.
//!
//! The estimate scales the measured duration of the same operation on the oracle's 50,000-row
//! table (`ms_50k_rows` in `src/pg/facts.tsv`, same major) linearly with the row count. It is an
//! order of magnitude and a lower bound: the oracle ran with fsync off on narrow rows; wider rows,
//! more indexes, TOAST, WAL and concurrent load all make the real lock time longer.

use std::collections::HashMap;
use std::path::Path;

use crate::ir::ObjName;
use crate::pg::FactRow;

/// Below this many rows a rewrite or scan takes milliseconds: findings drop to `info`.
pub const SMALL_TABLE_ROWS: u64 = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableSize {
    pub rows: u64,
    pub bytes: u64,
}

#[derive(Debug, Clone, Default)]
pub struct TableStats {
    tables: HashMap<String, TableSize>,
}

impl TableStats {
    /// Reads `{"tables": {"public.users": {"rows": 1, "bytes": 2}}}` or the inner map alone.
    pub fn load(path: &Path) -> Result<TableStats, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("`{}`: {e}", path.display()))
    }

    pub fn parse(text: &str) -> Result<TableStats, String> {
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
        let map = v
            .get("tables")
            .unwrap_or(&v)
            .as_object()
            .ok_or("expected an object of tables")?;
        let mut tables = HashMap::new();
        for (name, t) in map {
            let rows = t
                .get("rows")
                .and_then(serde_json::Value::as_u64)
                .ok_or_else(|| format!("`{name}`: `rows` must be a non-negative integer"))?;
            let bytes = t
                .get("bytes")
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(0);
            tables.insert(name.to_ascii_lowercase(), TableSize { rows, bytes });
        }
        Ok(TableStats { tables })
    }

    /// The size of a table, by `schema.name` or (for `public` and unqualified names) `name`.
    pub fn get(&self, t: &ObjName) -> Option<TableSize> {
        let schema = t.schema.as_deref().unwrap_or("public");
        let name = t.name.to_ascii_lowercase();
        self.tables
            .get(&format!("{schema}.{name}"))
            .or_else(|| {
                if schema == "public" {
                    self.tables.get(&name)
                } else {
                    None
                }
            })
            .copied()
    }
}

/// Estimated seconds for `row` on a table of `rows` rows, scaled from the measurement.
pub fn estimate_seconds(row: &FactRow, rows: u64) -> Option<f64> {
    row.ms_50k_rows
        .map(|ms| ms * rows as f64 / 50_000.0 / 1000.0)
}

pub fn human_bytes(b: u64) -> String {
    const U: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = b as f64;
    let mut i = 0;
    while v >= 1024.0 && i < U.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", U[i])
    }
}

pub fn human_seconds(s: f64) -> String {
    if s < 1.0 {
        "under a second".to_string()
    } else if s < 120.0 {
        format!("~{s:.0} s")
    } else if s < 7200.0 {
        format!("~{:.0} min", s / 60.0)
    } else {
        format!("~{:.1} h", s / 3600.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_looks_up() {
        let s = TableStats::parse(r#"{"tables": {"public.users": {"rows": 10000000, "bytes": 4294967296}, "app.orders": {"rows": 5}}}"#).expect("valid");
        assert_eq!(
            s.get(&ObjName::new("users")).map(|t| t.rows),
            Some(10_000_000)
        );
        assert_eq!(
            s.get(&ObjName {
                schema: Some("app".into()),
                name: "orders".into()
            })
            .map(|t| t.rows),
            Some(5)
        );
        assert_eq!(s.get(&ObjName::new("orders")), None);
        assert!(TableStats::parse(r#"{"t": {"bytes": 1}}"#).is_err());
        assert_eq!(human_bytes(4294967296), "4.0 GB");
        assert_eq!(human_seconds(30.0), "~30 s");
    }
}
