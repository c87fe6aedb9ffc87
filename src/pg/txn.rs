//! Statements PostgreSQL refuses inside a transaction block (SQLSTATE 25001), by version.
//! Measured rows come from `facts.tsv`; the rest are documented in the PostgreSQL reference
//! pages ("cannot be executed inside a transaction block") and marked as such.

use super::facts::{self, InTxn};
use super::{PgVersion, classify};
use crate::ir::Op;

/// Statements sent with the extended protocol before one Sync (pgJDBC's multi-statement
/// string) run as one transaction, but not as the simple protocol's: a statement refused in a
/// transaction block still runs as the first one, and a later one is refused only from
/// PostgreSQL 11 (the pipeline check; 10 runs it). Oracle: `pipeline_facts`.
fn refused_later_in_pipeline(version: PgVersion) -> bool {
    version.major >= 11
}

/// Whether a statement refused in a transaction block still runs before one Sync: as the
/// pipeline's `first` statement (or the first after a COMMIT in it), or anywhere on 10.
pub fn runs_in_pipeline(first: bool, version: PgVersion) -> bool {
    first || !refused_later_in_pipeline(version)
}

/// Whether a value `ALTER TYPE ... ADD VALUE` added can be used in the transaction that added
/// it (else 55P04, "unsafe use of new value"): before 12 always (the ADD VALUE runs in a
/// transaction block only when the type is new in it, and then its value is usable); from 12
/// not, except, from 17, when the type was created in the same transaction. Oracle:
/// `enum_value_facts`.
pub fn new_enum_value_usable(version: PgVersion, type_created_in_transaction: bool) -> bool {
    version.major < 12 || (type_created_in_transaction && version.major >= 17)
}

/// Whether PostgreSQL refuses `LOCK TABLE` (SQLSTATE 25P01, "can only be used in transaction
/// blocks"): always outside a transaction block; before one Sync as the first statement and,
/// before 18, later too. Oracle: `transaction_block_only`, `pipeline_facts`.
pub fn lock_refused(in_block: bool, pipelined: Option<bool>, version: PgVersion) -> bool {
    !in_block || pipelined.is_some_and(|first| first || version.major < 18)
}

/// Why `op` cannot run in a transaction block on `version`, in words, or `None` when it can.
pub fn refused_in_transaction(op: &Op, version: PgVersion) -> Option<String> {
    // documented: CLUSTER without a table "cannot be executed inside a transaction block"
    if let Op::Cluster { table: None, .. } = op {
        return Some("`CLUSTER` without a table".to_string());
    }
    if let Some((id, _)) = classify::fact_op(op)
        && let Some(row) = facts::lookup_op(id, version)
    {
        if row.in_txn == InTxn::No {
            return Some(describe(op));
        }
        return None;
    }
    match op {
        Op::DropIndex {
            concurrently: true, ..
        } => refused_by_fact("drop_index_concurrently", version).then(|| describe(op)),
        Op::Reindex {
            concurrently: true, ..
        } => {
            let id = "reindex_index_concurrently";
            refused_by_fact(id, version).then(|| describe(op))
        }
        // documented: REINDEX SCHEMA / DATABASE / SYSTEM "cannot be executed inside a transaction block"
        Op::Reindex { target_kind, .. }
            if matches!(target_kind.as_str(), "SCHEMA" | "DATABASE" | "SYSTEM") =>
        {
            Some(describe(op))
        }
        Op::Vacuum { .. } => Some(describe(op)),
        // documented: CREATE/DROP DATABASE, CREATE/DROP TABLESPACE, ALTER SYSTEM, CREATE
        // SUBSCRIPTION, DISCARD ALL
        Op::Other { kind } => DOCUMENTED_REFUSED
            .contains(&kind.as_str())
            .then(|| format!("`{kind}`")),
        _ => None,
    }
}

/// Statement kinds the PostgreSQL reference pages say cannot run inside a transaction block
/// (checked on real servers by tests/oracle.rs).
pub const DOCUMENTED_REFUSED: &[&str] = &[
    "CREATE DATABASE",
    "DROP DATABASE",
    "CREATE TABLESPACE",
    "DROP TABLESPACE",
    "ALTER SYSTEM",
    "CREATE SUBSCRIPTION",
    "DISCARD ALL",
];

fn refused_by_fact(id: &str, version: PgVersion) -> bool {
    facts::lookup_op(id, version).is_some_and(|r| r.in_txn == InTxn::No)
}

fn describe(op: &Op) -> String {
    match op {
        Op::CreateIndex { .. } => "`CREATE INDEX CONCURRENTLY`".into(),
        Op::DropIndex { .. } => "`DROP INDEX CONCURRENTLY`".into(),
        Op::Reindex {
            target_kind,
            concurrently,
            ..
        } => {
            format!(
                "`REINDEX {target_kind}{}`",
                if *concurrently { " CONCURRENTLY" } else { "" }
            )
        }
        Op::Vacuum { full: true, .. } => "`VACUUM FULL`".into(),
        Op::Vacuum { .. } => "`VACUUM`".into(),
        Op::AlterTableOther { .. } => "`DETACH PARTITION ... CONCURRENTLY`".into(),
        Op::AlterType { .. } => "`ALTER TYPE ... ADD VALUE`".into(),
        _ => "this statement".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_statement;

    fn refused(sql: &str, v: u16) -> bool {
        let (ops, _) = parse_statement(sql, 0);
        ops.first()
            .and_then(|o| refused_in_transaction(o, PgVersion::new(v)))
            .is_some()
    }

    #[test]
    fn measured_and_documented() {
        assert!(refused("CREATE INDEX CONCURRENTLY i ON t (a)", 16));
        assert!(!refused("CREATE INDEX i ON t (a)", 16));
        assert!(refused("DROP INDEX CONCURRENTLY i", 10));
        assert!(refused("REINDEX TABLE CONCURRENTLY t", 12));
        assert!(!refused("REINDEX TABLE t", 12));
        assert!(refused("VACUUM t", 16));
        assert!(refused("VACUUM FULL t", 16));
        assert!(refused(
            "ALTER TABLE pt DETACH PARTITION p CONCURRENTLY",
            14
        ));
        assert!(!refused("ALTER TABLE pt DETACH PARTITION p", 14));
        assert!(refused("CREATE DATABASE x", 16));
    }
}
