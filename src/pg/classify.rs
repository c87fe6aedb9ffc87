//! Which measured operation (a row of `facts.tsv`) an IR operation is, so that locks, rewrites
//! and transaction rules all read the same facts. Operations without a measured row return
//! `None`; the oracle issue extends the table.

use super::facts::{self, FactRow};
use super::{LockMode, PgVersion};
use crate::ir::{ConstraintKind, DefaultKind, Generated, ObjName, Op};

/// The `facts.tsv` op id for `op`, and the relation it targets.
pub fn fact_op(op: &Op) -> Option<(&'static str, &ObjName)> {
    fn t(tr: &crate::ir::TableRef) -> &ObjName {
        &tr.name
    }
    Some(match op {
        Op::AddColumn { table, column, .. } => {
            let id = if let Some((g, _)) = column.generated {
                match g {
                    Generated::Identity => "add_col_identity",
                    Generated::Stored => "add_col_generated_stored",
                    Generated::Virtual => "add_col_generated_virtual",
                }
            } else if column.is_serial() {
                "add_col_serial"
            } else if column.references.is_some() {
                "add_col_fk"
            } else if column.unique || column.primary_key {
                "add_col_unique"
            } else {
                match column.default.as_ref().map(|d| &d.kind) {
                    Some(DefaultKind::Volatile { .. } | DefaultKind::Unknown { .. }) => {
                        "add_col_default_random"
                    }
                    Some(_) if !column.checks.is_empty() => "add_col_default_check",
                    Some(DefaultKind::Stable) => "add_col_default_now",
                    Some(_) if column.not_null => "add_col_notnull_default",
                    Some(_) => "add_col_default_const",
                    None if !column.checks.is_empty() => "add_col_check_no_default",
                    None if column.not_null => "add_col_notnull_no_default",
                    None => "add_col_nullable",
                }
            };
            (id, t(table))
        }
        Op::DropColumn { table, .. } => ("drop_col", t(table)),
        Op::AlterColumnType { table, .. } => ("type_int_to_bigint", t(table)),
        Op::SetNotNull { table, .. } => ("set_not_null", t(table)),
        Op::DropNotNull { table, .. } => ("drop_not_null", t(table)),
        Op::SetDefault { table, .. } => ("set_default", t(table)),
        Op::DropDefault { table, .. } => ("drop_default", t(table)),
        Op::AddConstraint { table, constraint } => {
            let id = match (&constraint.kind, constraint.not_valid) {
                (ConstraintKind::Check { .. }, false) => "add_check",
                (ConstraintKind::Check { .. }, true) => "add_check_not_valid",
                (ConstraintKind::ForeignKey { .. }, false) => "add_fk",
                (ConstraintKind::ForeignKey { .. }, true) => "add_fk_not_valid",
                (
                    ConstraintKind::Unique {
                        using_index: Some(_),
                        ..
                    },
                    _,
                ) => "add_unique_using_index",
                (ConstraintKind::Unique { .. }, _) => "add_unique",
                (
                    ConstraintKind::PrimaryKey {
                        using_index: Some(_),
                        ..
                    },
                    _,
                ) => "add_pk_using_index",
                (ConstraintKind::PrimaryKey { .. }, _) => "add_pk",
                (ConstraintKind::Exclude, _) => "add_exclusion",
                (ConstraintKind::NotNull { .. }, false) => "add_notnull_constraint",
                (ConstraintKind::NotNull { .. }, true) => "add_notnull_constraint_not_valid",
            };
            (id, t(table))
        }
        Op::ValidateConstraint { table, .. } => ("validate_check", t(table)),
        Op::DropConstraint { table, .. } => ("drop_check", t(table)),
        Op::AlterConstraint { table, .. } => ("alter_constraint_deferrable", t(table)),
        Op::RenameColumn { table, .. } => ("rename_col", t(table)),
        Op::RenameTable { table, .. } => ("rename_table", t(table)),
        Op::AlterTableOther { table, action, .. } => (alter_other(action)?, t(table)),
        Op::CreateIndex {
            table,
            concurrently,
            unique,
            only,
            ..
        } => {
            let id = match (concurrently, only, unique) {
                (true, _, _) => "create_index_concurrently",
                (false, true, _) => "create_index_on_only_partitioned",
                (false, false, true) => "create_unique_index",
                (false, false, false) => "create_index",
            };
            (id, t(table))
        }
        Op::DropTable { tables, .. } => ("drop_table", tables.first().map(t)?),
        Op::Truncate { tables } => ("truncate", tables.first().map(t)?),
        Op::Cluster { table, .. } => ("cluster", table.as_ref().map(t)?),
        Op::Vacuum { full, tables, .. } => (
            if *full { "vacuum_full" } else { "vacuum" },
            tables.first().map(t)?,
        ),
        Op::Analyze { tables } => ("analyze", tables.first().map(t)?),
        Op::LockTable { tables, mode, .. } => {
            let id = if mode.eq_ignore_ascii_case("ACCESS EXCLUSIVE") {
                "lock_access_exclusive"
            } else if mode.eq_ignore_ascii_case("SHARE") {
                "lock_share"
            } else {
                return None;
            };
            (id, tables.first().map(t)?)
        }
        Op::RefreshMaterializedView {
            name, concurrently, ..
        } => (
            if *concurrently {
                "refresh_matview_concurrently"
            } else {
                "refresh_matview"
            },
            name,
        ),
        Op::CreateTable {
            partition_of: Some(parent),
            ..
        } => ("create_partition", t(parent)),
        Op::Update { table, .. } => ("update_all_rows", t(table)),
        Op::Delete { table, .. } => ("delete_all_rows", t(table)),
        Op::Insert { table, .. } => ("insert_row", t(table)),
        Op::Reindex {
            target_kind,
            name,
            concurrently,
            ..
        } if target_kind == "TABLE" => (
            if *concurrently {
                "reindex_table_concurrently"
            } else {
                "reindex_table"
            },
            name,
        ),
        Op::CreateTrigger { table, or_replace } => (
            if *or_replace {
                "create_or_replace_trigger"
            } else {
                "create_trigger"
            },
            t(table),
        ),
        Op::DropTrigger { table } => ("drop_trigger", t(table)),
        Op::CreateStatistics { table: Some(table) } => ("create_statistics", t(table)),
        _ => return None,
    })
}

fn alter_other(action: &str) -> Option<&'static str> {
    let a = action.to_ascii_lowercase();
    let starts = |p: &str| a.starts_with(p);
    Some(if starts("set logged") {
        "set_logged"
    } else if starts("set unlogged") {
        "set_unlogged"
    } else if starts("set tablespace") {
        "set_tablespace"
    } else if starts("set schema") {
        "set_schema"
    } else if starts("set access method") {
        "set_access_method"
    } else if starts("set without cluster") {
        "set_without_cluster"
    } else if starts("set (") || starts("reset (") {
        "set_fillfactor"
    } else if starts("cluster on") {
        "cluster_on"
    } else if starts("owner to") {
        "owner_to"
    } else if starts("enable row level security")
        || starts("disable row level security")
        || starts("force row level security")
    {
        "enable_rls"
    } else if starts("replica identity") {
        "replica_identity_full"
    } else if starts("enable trigger")
        || starts("disable trigger")
        || starts("enable always trigger")
        || starts("enable replica trigger")
    {
        "enable_trigger"
    } else if starts("attach partition") {
        "attach_partition"
    } else if starts("detach partition") && a.contains("concurrently") {
        "detach_partition_concurrently"
    } else if starts("detach partition") {
        "detach_partition"
    } else if starts("alter column") && a.contains(" set statistics") {
        "set_statistics"
    } else if starts("alter column") && a.contains(" set storage") {
        "set_storage"
    } else if starts("alter column") && a.contains(" set compression") {
        "set_compression"
    } else if starts("alter column") && a.contains(" drop expression") {
        "drop_expression"
    } else if starts("alter column") && a.contains(" set expression") {
        "set_expression"
    } else if starts("alter column") && a.contains(" add generated") {
        "add_identity_existing_col"
    } else {
        return None;
    })
}

/// The measured row for `op` on `version`.
pub fn fact_row(op: &Op, version: PgVersion) -> Option<(&'static FactRow, &ObjName)> {
    let (id, target) = fact_op(op)?;
    Some((facts::lookup_op(id, version)?, target))
}

/// Locks `op` takes on tables other than its target, from the measured facts (the oracle's
/// `parent` is the table a foreign key references) and the replayed catalog: the referenced
/// tables of foreign keys added, created or dropped, and the table of a dropped or reindexed
/// index. (An INSERT's foreign-key checks take ROW SHARE on the referenced tables only when
/// rows are inserted: data-dependent and harmless, so not predicted.) Tables the migrations did not show are not known here.
pub fn related_locks(
    op: &Op,
    catalog: &crate::catalog::Catalog,
    version: PgVersion,
) -> Vec<(ObjName, LockMode)> {
    let parent_mode = |id: &str| {
        facts::lookup_op(id, version).and_then(|r| {
            r.other_locks
                .iter()
                .find(|(rel, _)| rel == "parent")
                .map(|(_, m)| *m)
        })
    };
    let mut out: Vec<(ObjName, LockMode)> = Vec::new();
    let mut push = |t: &ObjName, m: Option<LockMode>| {
        if let Some(m) = m
            && !out.iter().any(|(x, _)| x == t)
        {
            out.push((t.clone(), m));
        }
    };
    match op {
        Op::AddConstraint { constraint, .. } => {
            if let ConstraintKind::ForeignKey { references, .. } = &constraint.kind {
                let id = if constraint.not_valid {
                    "add_fk_not_valid"
                } else {
                    "add_fk"
                };
                push(&references.name, parent_mode(id));
            }
        }
        Op::AddColumn { column, .. } => {
            if let Some(r) = &column.references {
                push(&r.name, parent_mode("add_col_fk"));
            }
        }
        Op::CreateTable {
            table,
            columns,
            constraints,
            ..
        } => {
            let mut push = |t: &ObjName, m| {
                // a self-reference locks the table being created, which nobody else sees yet
                if t != &table.name {
                    push(t, m);
                }
            };
            // creating the table's foreign keys installs triggers on the referenced tables,
            // as ADD FOREIGN KEY does
            for c in constraints {
                if let ConstraintKind::ForeignKey { references, .. } = &c.kind {
                    push(&references.name, parent_mode("add_fk"));
                }
            }
            for c in columns {
                if let Some(r) = &c.references {
                    push(&r.name, parent_mode("add_fk"));
                }
            }
        }
        Op::DropTable { tables, .. } => {
            for t in tables {
                for f in catalog.fks(&t.name) {
                    push(&f.references, parent_mode("drop_table"));
                }
            }
        }
        Op::DropColumn { table, column, .. } => {
            for f in catalog.fks(&table.name) {
                if f.columns.contains(column) {
                    push(&f.references, parent_mode("drop_col_fk"));
                }
            }
        }
        Op::AlterColumnType { table, column, .. } => {
            // the column's foreign key is rebuilt: its referenced table is locked too
            for f in catalog.fks(&table.name) {
                if f.columns.contains(column) {
                    push(&f.references, parent_mode("type_int_to_bigint_fk_col"));
                }
            }
        }
        Op::DropConstraint { table, name, .. } => {
            for f in catalog.fks(&table.name) {
                if &f.name == name {
                    push(&f.references, parent_mode("drop_fk"));
                }
            }
        }
        Op::Reindex {
            target_kind,
            name,
            concurrently,
            ..
        } if target_kind == "INDEX" => {
            let id = if *concurrently {
                "reindex_index_concurrently"
            } else {
                "reindex_index"
            };
            if let Some(t) = catalog.table_of_index(name) {
                push(&t.name, facts::lookup_op(id, version).and_then(|r| r.lock));
            }
        }
        Op::DropIndex {
            names,
            concurrently,
            ..
        } => {
            let id = if *concurrently {
                "drop_index_concurrently"
            } else {
                "drop_index"
            };
            let mode = facts::lookup_op(id, version).and_then(|r| r.lock);
            for n in names {
                // an index lives in its table's schema: `DROP INDEX s.i` names schema s
                if let Some(t) = catalog.table_of_index(n) {
                    push(&t.name, mode);
                }
            }
        }
        _ => {}
    }
    // ALTER TABLE, CREATE INDEX, DROP TABLE and TRUNCATE on a partitioned table recurse into its
    // partitions with the parent's lock mode (measured: add_col_partitioned,
    // add_check_partitioned, create_index_partitioned take it on pt_1 too)
    let recurses = match op {
        Op::AddColumn { .. }
        | Op::DropColumn { .. }
        | Op::AlterColumnType { .. }
        | Op::SetNotNull { .. }
        | Op::DropNotNull { .. }
        | Op::SetDefault { .. }
        | Op::DropDefault { .. }
        | Op::ValidateConstraint { .. }
        | Op::DropConstraint { .. }
        | Op::DropTable { .. }
        | Op::Truncate { .. } => true,
        Op::AddConstraint { constraint, .. } => matches!(
            constraint.kind,
            ConstraintKind::Check { .. } | ConstraintKind::ForeignKey { .. }
        ),
        Op::CreateIndex {
            only, concurrently, ..
        } => !only && !concurrently,
        _ => false,
    };
    if recurses && let Some((row, target)) = fact_row(op, version) {
        let tables: Vec<ObjName> = match op {
            Op::DropTable { tables, .. } | Op::Truncate { tables } => {
                tables.iter().map(|t| t.name.clone()).collect()
            }
            _ => vec![target.clone()],
        };
        for t in &tables {
            for p in catalog.partitions(t) {
                push(&p.name, row.lock);
            }
        }
    }
    out
}

/// The strongest lock `op` takes on its target table on `version`, when measured.
pub fn table_lock(op: &Op, version: PgVersion) -> Option<(ObjName, LockMode)> {
    let (row, target) = fact_row(op, version)?;
    Some((target.clone(), row.lock?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_statement;

    fn lock(sql: &str, v: u16) -> Option<LockMode> {
        let (ops, _) = parse_statement(sql, 0);
        table_lock(ops.first()?, PgVersion::new(v)).map(|(_, l)| l)
    }

    #[test]
    fn every_mapped_op_id_exists_in_the_facts() {
        for id in [
            "add_col_identity",
            "add_col_generated_stored",
            "add_col_generated_virtual",
            "add_col_serial",
            "add_col_fk",
            "add_col_unique",
            "add_col_default_random",
            "add_col_default_check",
            "add_col_default_now",
            "add_col_notnull_default",
            "add_col_default_const",
            "add_col_check_no_default",
            "add_col_notnull_no_default",
            "add_col_nullable",
            "drop_col",
            "type_int_to_bigint",
            "set_not_null",
            "drop_not_null",
            "set_default",
            "drop_default",
            "add_check",
            "add_check_not_valid",
            "add_fk",
            "add_fk_not_valid",
            "add_unique_using_index",
            "add_unique",
            "add_pk_using_index",
            "add_pk",
            "add_exclusion",
            "add_notnull_constraint",
            "add_notnull_constraint_not_valid",
            "validate_check",
            "drop_check",
            "alter_constraint_deferrable",
            "rename_col",
            "rename_table",
            "create_index_concurrently",
            "create_index_on_only_partitioned",
            "create_unique_index",
            "create_index",
            "drop_table",
            "truncate",
            "cluster",
            "vacuum_full",
            "vacuum",
            "analyze",
            "lock_access_exclusive",
            "lock_share",
            "refresh_matview_concurrently",
            "refresh_matview",
            "create_partition",
            "update_all_rows",
            "delete_all_rows",
            "insert_row",
            "set_logged",
            "set_unlogged",
            "set_tablespace",
            "set_schema",
            "set_access_method",
            "set_without_cluster",
            "set_fillfactor",
            "cluster_on",
            "owner_to",
            "enable_rls",
            "replica_identity_full",
            "enable_trigger",
            "attach_partition",
            "detach_partition_concurrently",
            "detach_partition",
            "set_statistics",
            "set_storage",
            "set_compression",
            "drop_expression",
            "set_expression",
            "add_identity_existing_col",
        ] {
            assert!(!facts::rows_of(id).is_empty(), "{id} is not in facts.tsv");
        }
    }

    #[test]
    fn locks_from_facts() {
        assert_eq!(
            lock("ALTER TABLE t ADD COLUMN x int", 16),
            Some(LockMode::AccessExclusive)
        );
        assert_eq!(lock("CREATE INDEX i ON t (a)", 16), Some(LockMode::Share));
        assert_eq!(
            lock("CREATE INDEX CONCURRENTLY i ON t (a)", 16),
            Some(LockMode::ShareUpdateExclusive)
        );
        assert_eq!(
            lock(
                "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES p (id)",
                16
            ),
            Some(LockMode::ShareRowExclusive)
        );
        assert_eq!(
            lock("ALTER TABLE t VALIDATE CONSTRAINT c", 16),
            Some(LockMode::ShareUpdateExclusive)
        );
        assert_eq!(
            lock(
                "ALTER TABLE pt ATTACH PARTITION p1 FOR VALUES FROM (1) TO (2)",
                11
            ),
            Some(LockMode::AccessExclusive)
        );
        assert_eq!(
            lock(
                "ALTER TABLE pt ATTACH PARTITION p1 FOR VALUES FROM (1) TO (2)",
                12
            ),
            Some(LockMode::ShareUpdateExclusive)
        );
        assert_eq!(lock("UPDATE t SET a = 1", 16), Some(LockMode::RowExclusive));
    }
}
