//! `migcheck trace` on real PostgreSQL: the incident fixture on 10 (rewrite under ACCESS
//! EXCLUSIVE) and 11 (none), lock time growing with `--rows`, `--postgres-bin`, down-migrations
//! proven or caught, the lock drill (queued vs lock_timeout), `--database-url` (own database,
//! dropped, password redacted) and the binaries download into an empty cache.
//!
//! Binaries: `scripts/pg.sh` fills the same cache `migcheck trace --postgres N` reads
//! (`MIGCHECK_PG_CACHE` or ~/.cache/migcheck/postgres), so only the download test fetches.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Makes sure `major` is in the shared cache and returns its bin dir.
fn bindir(major: u16) -> PathBuf {
    PathBuf::from(
        common::pg_sh(&["bindir", &major.to_string()])
            .unwrap_or_else(|e| panic!("trace tests need PostgreSQL {major}: {e}")),
    )
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn migcheck(args: &[&str], envs: &[(&str, &str)]) -> Out {
    let mut c = Command::new(env!("CARGO_BIN_EXE_migcheck"));
    c.current_dir(common::root()).args(args);
    for (k, v) in envs {
        c.env(k, v);
    }
    let o = c.output().expect("migcheck runs");
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn trace_json(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["trace", "--format", "json"];
    all.extend_from_slice(args);
    let o = migcheck(&all, &[]);
    let v: Value = serde_json::from_str(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "trace {args:?}: not JSON ({e}):\n{}\n{}",
            o.stdout, o.stderr
        )
    });
    (o.code, v)
}

/// `trace_json` over a temporary directory holding `files` (name, content), with `args` after
/// the directory.
fn trace_tree(files: &[(&str, &str)], args: &[&str]) -> (i32, Value) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for (name, content) in files {
        std::fs::write(dir.path().join(name), content).unwrap_or_else(|e| panic!("{e}"));
    }
    let path = dir.path().to_string_lossy().to_string();
    let mut all = vec![path.as_str()];
    all.extend_from_slice(args);
    trace_json(&all)
}

/// The unit `id` of a trace's JSON failed, with an error that contains `needle`.
fn assert_failed(v: &Value, id: &str, needle: &str) {
    let u = unit(v, id);
    assert_eq!(u["status"], "failed", "{u:#}");
    assert!(
        u["error"].as_str().is_some_and(|e| e.contains(needle)),
        "{u:#}"
    );
}

fn unit<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["units"]
        .as_array()
        .and_then(|u| u.iter().find(|u| u["id"] == id))
        .unwrap_or_else(|| panic!("no unit {id} in {v:#}"))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn has_lock(stmt: &Value, relation: &str, mode: &str) -> bool {
    stmt["locks"].as_array().is_some_and(|l| {
        l.iter()
            .any(|l| l["relation"] == relation && l["mode"] == mode)
    })
}

const BF: &str = "fixtures/projects/black-friday";

#[test]
fn black_friday_on_10_rewrites_users_under_access_exclusive_and_has_no_down() {
    bindir(10);
    let (code, v) = trace_json(&[BF, "--postgres", "10"]);
    assert_eq!(code, 1, "no down-migration: exit 1\n{v:#}");
    assert!(
        v["server_version"]
            .as_str()
            .unwrap_or("")
            .starts_with("10.")
    );
    let base = unit(&v, "001_create_users");
    assert_eq!(base["baseline"], true);
    assert_eq!(base["reversibility"]["status"], "reversible", "{base:#}");
    let u = unit(&v, "002_v2_1");
    assert_eq!(u["status"], "applied");
    let s = &u["statements"][0];
    assert!(has_lock(s, "public.users", "ACCESS EXCLUSIVE"), "{s:#}");
    assert!(
        strings(&s["rewritten"]).contains(&"public.users (table)".to_string()),
        "{s:#}"
    );
    let verdicts: Vec<(String, String)> = s["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            (
                c["what"].as_str().unwrap_or("").into(),
                c["verdict"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        vec![
            ("lock".into(), "confirmed".into()),
            ("rewrite".into(), "confirmed".into())
        ]
    );
    assert_eq!(u["holds"][0]["relation"], "public.users");
    assert_eq!(u["holds"][0]["mode"], "ACCESS EXCLUSIVE");
    assert_eq!(u["reversibility"]["status"], "no_down", "{u:#}");
    assert_eq!(v["summary"]["mismatches"], 0);
}

#[test]
fn black_friday_on_11_takes_the_lock_without_a_rewrite() {
    bindir(11);
    let (_, v) = trace_json(&[BF, "--postgres", "11"]);
    let s = &unit(&v, "002_v2_1")["statements"][0];
    assert!(has_lock(s, "public.users", "ACCESS EXCLUSIVE"), "{s:#}");
    assert_eq!(strings(&s["rewritten"]), Vec::<String>::new(), "{s:#}");
    assert_eq!(v["summary"]["mismatches"], 0, "{v:#}");
}

/// The seed's root cause: the same migration on 1,000,000 rows holds the lock far longer.
#[test]
fn rows_make_the_lock_time_grow() {
    bindir(10);
    let hold = |v: &Value| {
        unit(v, "002_v2_1")["holds"][0]["seconds"]
            .as_f64()
            .unwrap_or(0.0)
    };
    let (_, empty) = trace_json(&[BF, "--postgres", "10"]);
    let (_, full) = trace_json(&[BF, "--postgres", "10", "--rows", "1000000"]);
    assert_eq!(full["filled"][0]["table"], "public.users");
    assert_eq!(full["filled"][0]["rows"], 1_000_000);
    let (a, b) = (hold(&empty), hold(&full));
    // measured here: ~5 ms empty, ~2.5 s filled; a 20x margin keeps this far from noise
    assert!(
        b > 20.0 * a && b > 0.2,
        "lock time empty {a} s, 1M rows {b} s"
    );
}

#[test]
fn postgres_bin_runs_the_given_binaries() {
    let bin = bindir(10);
    let (_, v) = trace_json(&[BF, "--postgres-bin", &bin.to_string_lossy()]);
    assert!(
        v["server_version"]
            .as_str()
            .unwrap_or("")
            .starts_with("10.")
    );
    let s = &unit(&v, "002_v2_1")["statements"][0];
    assert!(
        strings(&s["rewritten"]).contains(&"public.users (table)".to_string()),
        "{s:#}"
    );
}

/// Durations, ports and the root note vary; the rest of the text is what users read.
fn stable_text(s: &str) -> String {
    let mut out = Vec::new();
    for line in s.lines() {
        if line.starts_with("note: running as root") {
            continue;
        }
        let mut l = String::new();
        let words: Vec<&str> = line.split(' ').collect();
        let mut i = 0;
        while i < words.len() {
            let w = words[i];
            let unit = words.get(i + 1).copied().unwrap_or("");
            let unit_core = unit.trim_end_matches([')', ',', ';', ':']);
            if w.trim_start_matches('(').parse::<f64>().is_ok()
                && (unit_core == "ms" || unit_core == "s")
            {
                l.push_str(if w.starts_with('(') { "(<t>" } else { "<t>" });
                l.push_str(&unit[unit_core.len()..]);
                i += 2;
            } else {
                l.push_str(w);
                i += 1;
            }
            l.push(' ');
        }
        let l = l.trim_end().to_string();
        let l = match l.find("127.0.0.1:") {
            Some(p) => {
                let end = l[p + 10..].find(' ').map_or(l.len(), |e| p + 10 + e);
                format!("{}127.0.0.1:<port>{}", &l[..p], &l[end..])
            }
            None => l,
        };
        out.push(l);
    }
    out.join("\n")
}

#[test]
fn faulty_downs_are_caught() {
    bindir(16);
    let o = migcheck(
        &[
            "trace",
            "fixtures/projects/faulty-down",
            "--since",
            "002",
            "--color",
            "never",
        ],
        &[],
    );
    assert_eq!(o.code, 1, "{}\n{}", o.stdout, o.stderr);
    insta::assert_snapshot!(stable_text(&o.stdout));
    let (_, v) = trace_json(&["fixtures/projects/faulty-down", "--since", "002"]);
    assert_eq!(
        unit(&v, "001_create_orders")["reversibility"]["status"],
        "reversible"
    );
    let r = &unit(&v, "002_order_status")["reversibility"];
    assert_eq!(r["status"], "differences");
    assert!(
        strings(&r["differences"])[0]
            .contains("index public.orders_created_at_idx was left behind"),
        "{r:#}"
    );
    let r = &unit(&v, "003_wider_total")["reversibility"];
    assert_eq!(
        strings(&r["differences"]),
        vec!["column public.orders.total changed: numeric(10,2) NOT NULL → numeric(12,2) NOT NULL"]
    );
    let r = &unit(&v, "004_customer_index")["reversibility"];
    assert_eq!(r["status"], "down_failed");
    assert!(r["error"].as_str().unwrap_or("").contains("42704"), "{r:#}");
    // CREATE INDEX CONCURRENTLY cannot run in a transaction: its lock is seen by the sampler
    let s = &unit(&v, "004_customer_index")["statements"][0];
    assert_eq!(s["observed"], "sampled");
    assert!(
        has_lock(s, "public.orders", "SHARE UPDATE EXCLUSIVE"),
        "{s:#}"
    );
    assert_eq!(v["summary"]["mismatches"], 0, "{v:#}");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read fixture") {
        let e = e.expect("entry");
        std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
    }
}

#[test]
fn lock_drill_shows_the_queue_and_lock_timeout_failing_fast() {
    bindir(10);
    let (_, v) = trace_json(&[
        BF,
        "--postgres",
        "10",
        "--blocker",
        "SELECT * FROM users",
        "--blocker-hold",
        "1",
    ]);
    let d = &v["drill"];
    let waited = d["waited_seconds"].as_f64().unwrap_or(0.0);
    assert!((0.8..5.0).contains(&waited), "{d:#}");
    assert_eq!(d["waited_for"], "ACCESS EXCLUSIVE on users");
    assert_eq!(d["victim"]["blocked_by_migration"], true, "{d:#}");
    assert!(
        d["outcome"].as_str().unwrap_or("").starts_with("queued"),
        "{d:#}"
    );

    let tmp = tempfile::tempdir().expect("tempdir");
    let project = tmp.path().join("bf");
    copy_dir(&common::root().join(BF), &project);
    std::fs::write(
        project.join("002_v2_1.up.sql"),
        "SET lock_timeout = '200ms';\nALTER TABLE users ADD COLUMN loyalty_tier text NOT NULL DEFAULT 'bronze';\n",
    )
    .expect("write");
    let (code, v) = trace_json(&[
        &project.to_string_lossy(),
        "--postgres",
        "10",
        "--blocker",
        "SELECT * FROM users",
        "--blocker-hold",
        "3",
    ]);
    assert_eq!(code, 1);
    let d = &v["drill"];
    assert!(
        d["migration_error"]
            .as_str()
            .unwrap_or("")
            .contains("55P03"),
        "{d:#}"
    );
    assert!(
        d["outcome"]
            .as_str()
            .unwrap_or("")
            .starts_with("failed fast"),
        "{d:#}"
    );
    let waited = d["waited_seconds"].as_f64().unwrap_or(9.0);
    assert!(waited < 1.5, "lock_timeout 200ms, waited {waited} s");
    assert_eq!(unit(&v, "002_v2_1")["status"], "failed");
}

#[test]
fn database_url_gets_its_own_database_and_redacts_the_password() {
    let major = 16u16;
    let dir = std::env::temp_dir().join(format!("mct{}-{major}", std::process::id()));
    let _server = common::StopOnDrop(dir.clone());
    let url =
        common::start_pg(major, &dir).unwrap_or_else(|e| panic!("needs PostgreSQL {major}: {e}"));
    // trust authentication ignores the password; it must still never be printed
    let with_password = url.replace("postgres@", "postgres:s3cret-pw@");
    let o = migcheck(
        &[
            "trace",
            BF,
            "--database-url",
            &with_password,
            "--format",
            "json",
        ],
        &[],
    );
    let mut c = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    let left: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_database WHERE datname LIKE 'migcheck_trace_%'",
            &[],
        )
        .expect("query")
        .get(0);
    let users: i64 = c
        .query_one("SELECT count(*) FROM pg_class WHERE relname = 'users'", &[])
        .expect("query")
        .get(0);
    drop(c);
    let _ = common::pg_sh(&["stop", &dir.to_string_lossy()]);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        !o.stdout.contains("s3cret") && !o.stderr.contains("s3cret"),
        "{}\n{}",
        o.stdout,
        o.stderr
    );
    let v: Value = serde_json::from_str(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", o.stdout, o.stderr));
    let server = v["server"].as_str().unwrap_or("");
    assert!(
        server.starts_with("database migcheck_trace_") && server.contains("postgres:***@"),
        "{server}"
    );
    assert_eq!(left, 0, "the scratch database was not dropped");
    assert_eq!(users, 0, "the given database was changed");
    assert!(
        unit(&v, "002_v2_1")["statements"][0]["rewritten"]
            .as_array()
            .is_some_and(|r| r.is_empty())
    );
}

/// Zero set-up: an empty cache is filled from the npm registry, integrity-checked.
#[test]
fn binaries_are_downloaded_into_an_empty_cache() {
    let cache = tempfile::tempdir().expect("tempdir");
    let c = cache.path().to_string_lossy().to_string();
    let o = migcheck(
        &["trace", BF, "--postgres", "13", "--format", "json"],
        &[("MIGCHECK_PG_CACHE", &c)],
    );
    assert!(o.stderr.contains("integrity ok"), "{}", o.stderr);
    let marker =
        std::fs::read_to_string(cache.path().join("13/.migcheck-complete")).expect("marker");
    assert!(
        marker.contains("version=13.23.0-beta.16") && marker.contains("integrity=sha512-"),
        "{marker}"
    );
    let v: Value = serde_json::from_str(&o.stdout).expect("json");
    assert!(
        v["server_version"]
            .as_str()
            .unwrap_or("")
            .starts_with("13.")
    );
    // a second run reuses the cache
    let o = migcheck(
        &["trace", BF, "--postgres", "13", "--format", "json"],
        &[("MIGCHECK_PG_CACHE", &c)],
    );
    assert!(!o.stderr.contains("fetching"), "{}", o.stderr);
}

/// Every tool's fixture project applied on a real server: what fails is exactly what `check`
/// says will fail there (MC030: CONCURRENTLY inside the tool's transaction, SQLSTATE 25001),
/// and no prediction is contradicted. (Also covers each layout's part slicing: goose and dbmate
/// sections, Liquibase changesets, sqitch's deploy/revert scripts.)
#[test]
fn every_layout_fixture_fails_only_where_check_predicts() {
    bindir(16);
    let root = common::root().join("fixtures/projects");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("fixtures/projects")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 17, "{dirs:?}");
    let mut problems = Vec::new();
    for dir in dirs {
        let d = dir.to_string_lossy().to_string();
        let (_, v) = trace_json(&[&d, "--postgres", "16"]);
        let o = migcheck(
            &["check", &d, "--pg-version", "16", "--format", "json"],
            &[],
        );
        let check: Value = serde_json::from_str(&o.stdout).unwrap_or_else(|e| panic!("{d}: {e}"));
        let mc030: Vec<String> = check["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|f| f["rule"] == "MC030")
            .filter_map(|f| f["migration"].as_str().map(str::to_string))
            .collect();
        if v["summary"]["mismatches"] != 0 {
            problems.push(format!("{d}: predictions contradicted: {:#}", v["summary"]));
        }
        for u in v["units"].as_array().into_iter().flatten() {
            let id = u["id"].as_str().unwrap_or("");
            // the up part, or the down part when the rollback proof ran it
            let err = match (u["status"].as_str(), u["reversibility"]["status"].as_str()) {
                (Some("failed"), _) => u["error"].as_str(),
                (_, Some("down_failed")) => u["reversibility"]["error"].as_str(),
                _ => None,
            };
            let predicted = mc030.iter().any(|m| m == id);
            match err {
                Some(e) if e.contains("25001") && predicted => {}
                Some(e) if e.contains("25001") => {
                    problems.push(format!("{d}: {id} failed without an MC030 prediction: {e}"))
                }
                _ if predicted && u["status"] != "not applied" => {
                    problems.push(format!("{d}: {id} ran although MC030 says it fails"))
                }
                _ => {}
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// ALTER TABLE, CREATE INDEX, TRUNCATE and DROP TABLE on a partitioned table lock (and rewrite)
/// every partition, created with PARTITION OF or attached: the report predicts each one.
#[test]
fn partitions_are_locked_and_rewritten_with_their_parent() {
    bindir(16);
    let (code, v) = trace_json(&[
        "fixtures/trace/partitions",
        "--layout",
        "plain",
        "--postgres",
        "16",
        "--since",
        "002_b",
    ]);
    let s = &v["summary"];
    assert_eq!(s["failed"], 0, "{v:#}");
    assert_eq!(s["mismatches"], 0, "{v:#}");
    assert_eq!(s["not_predicted"], 0, "{v:#}");
    // 7 statements x (parent + 2 partitions), less what was already held, plus 2 rewrites
    assert!(s["confirmed"].as_u64().is_some_and(|n| n >= 20), "{s:#}");
    let add = &unit(&v, "002_b")["statements"][0];
    assert!(
        has_lock(add, "public.ev_2026", "ACCESS EXCLUSIVE"),
        "{add:#}"
    );
    // no down-migrations in a plain folder: exit 1 for "not reversible" only
    assert_eq!(code, 1, "{v:#}");
}

/// goose under `NO TRANSACTION` sends a StatementBegin/StatementEnd block as one query string:
/// one implicit transaction (the oracle proves that on 10–18). The trace runs such a block as
/// one transaction, so the ACCESS EXCLUSIVE lock of its first statement is held through the
/// backfill after it, as MC032 predicts; the blocks after it run on their own.
#[test]
fn a_goose_block_holds_its_locks_to_its_end() {
    bindir(16);
    let (code, v) = trace_json(&[
        "fixtures/MC032-lock-held-across-statements/bad-goose-block",
        "--postgres",
        "16",
        "--rows",
        "20000",
        "--since",
        "20240102000000_backfill",
    ]);
    assert_eq!(code, 0, "{v:#}");
    let u = unit(&v, "20240102000000_backfill");
    assert_eq!(u["status"], "applied", "{u:#}");
    assert_eq!(u["transaction"], "autocommit", "{u:#}");
    let stmts = u["statements"].as_array().cloned().unwrap_or_default();
    let at = |line: u64| {
        stmts
            .iter()
            .position(|s| s["line"] == line)
            .unwrap_or_else(|| panic!("no statement on line {line}: {u:#}"))
    };
    let (add, backfill) = (at(8), at(10));
    assert!(
        has_lock(&stmts[add], "public.payloads", "ACCESS EXCLUSIVE"),
        "{u:#}"
    );
    let holds = u["holds"].as_array().cloned().unwrap_or_default();
    assert_eq!(holds.len(), 1, "{u:#}");
    assert_eq!(holds[0]["relation"], "public.payloads");
    assert_eq!(holds[0]["mode"], "ACCESS EXCLUSIVE");
    assert_eq!(holds[0]["from_statement"], add + 1, "{u:#}");
    // held from the ADD CONSTRAINT to the end of the block: through the whole backfill
    let held = holds[0]["seconds"].as_f64().unwrap_or(0.0);
    let took = |i: usize| stmts[i]["seconds"].as_f64().unwrap_or(f64::MAX);
    let (add_took, backfill_took) = (took(add), took(backfill));
    assert!(
        held >= add_took + backfill_took,
        "held {held} s, the ADD {add_took} s and the backfill {backfill_took} s: {u:#}"
    );
    assert_eq!(v["summary"]["mismatches"], 0, "{v:#}");
}

/// Statement by statement (goose `NO TRANSACTION`) a `LOCK TABLE` runs alone and PostgreSQL
/// refuses it (SQLSTATE 25P01), as MC034 says: the trace runs it bare, not in a transaction of
/// its own; in a StatementBegin/StatementEnd block (one query string) it works.
#[test]
fn a_lock_run_alone_fails_as_mc034_says() {
    bindir(16);
    let dir = "fixtures/MC034-lock-outside-transaction";
    let (code, v) = trace_json(&[&format!("{dir}/bad-goose"), "--postgres", "16"]);
    assert_eq!(code, 1, "{v:#}");
    assert_failed(&v, "00002_count", "25P01");
    let (code, v) = trace_json(&[&format!("{dir}/good-goose-block"), "--postgres", "16"]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(unit(&v, "00002_count")["status"], "applied", "{v:#}");
}

/// goose cuts a statement at a line ending in `;` when no StatementBegin/StatementEnd wraps it
/// (MC008): the trace sends the first piece, as goose does, and the server refuses it there,
/// not the whole statement migcheck parsed.
#[test]
fn a_statement_goose_cuts_is_sent_as_goose_sends_it() {
    bindir(16);
    let (code, v) = trace_tree(
        &[
            (
                "00001_users.sql",
                "-- +goose Up\nCREATE TABLE users (id bigint, tier text);\n\n-- +goose Down\nDROP TABLE users;\n",
            ),
            (
                "00002_touch.sql",
                "-- +goose Up\nCREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  NEW.tier := lower(NEW.tier);\n  RETURN NEW;\nEND $$;\n\n-- +goose Down\nDROP FUNCTION touch();\n",
            ),
        ],
        &["--postgres", "16"],
    );
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(unit(&v, "00001_users")["status"], "applied", "{v:#}");
    let u = unit(&v, "00002_touch");
    assert_eq!(u["status"], "failed", "{u:#}");
    // the piece up to `lower(NEW.tier);` leaves the dollar quote open
    assert!(
        u["error"]
            .as_str()
            .is_some_and(|e| e.contains("unterminated dollar-quoted string")),
        "{u:#}"
    );
}

/// A file sent as one string (plain files: one implicit transaction) with a COMMIT in it: the
/// statements after the COMMIT run in a new implicit transaction, so a LOCK there works, as
/// MC034 says (it does not flag it); the trace runs the string's statements so.
#[test]
fn a_lock_after_a_commit_in_a_string_works() {
    bindir(16);
    let (_, v) = trace_tree(
        &[(
            "001_lock.sql",
            "CREATE TABLE t (id int);\nCOMMIT;\nLOCK TABLE t IN SHARE MODE;\nSELECT count(*) FROM t;\n",
        )],
        &["--postgres", "16"],
    );
    let u = unit(&v, "001_lock");
    assert_eq!(u["status"], "applied", "{u:#}");
    assert_eq!(u["transaction"], "implicit", "{u:#}");
    assert_eq!(v["summary"]["mismatches"], 0, "{v:#}");
}

/// A BEGIN inside a string sent whole turns its implicit transaction into a block that outlives
/// the string: with no COMMIT the transaction is left open, as MC033 says (the statements before
/// the BEGIN do not make it the string's own implicit transaction).
#[test]
fn a_begin_left_open_in_a_string_is_reported() {
    bindir(16);
    let (_, v) = trace_tree(
        &[
            (
                "001_open.up.sql",
                "CREATE TABLE t (id int);\nBEGIN;\nALTER TABLE t ADD COLUMN b int;\n",
            ),
            ("001_open.down.sql", "DROP TABLE t;\n"),
        ],
        &["--postgres", "16", "--layout", "golang-migrate"],
    );
    let u = unit(&v, "001_open");
    assert_eq!(u["transaction"], "implicit", "{u:#}");
    assert_eq!(u["status"], "failed", "{u:#}");
    assert!(
        u["error"]
            .as_str()
            .is_some_and(|e| e.contains("leaves a transaction open")),
        "{u:#}"
    );
}

/// sqlx sends a migration as one string inside its transaction: after a COMMIT in it the rest
/// of the string is one implicit transaction, where a LOCK works and a CONCURRENTLY fails (as
/// MC030 and MC034 say: `Layout::sends_part_whole`).
#[test]
fn a_whole_string_tool_runs_on_after_its_commit_in_one_transaction() {
    bindir(16);
    let (_, v) = trace_tree(
        &[
            ("20260101000000_a.sql", "CREATE TABLE a (id int);\n"),
            (
                "20260102000000_b.sql",
                "INSERT INTO a VALUES (1);\nCOMMIT;\nLOCK TABLE a IN SHARE MODE;\nCREATE INDEX CONCURRENTLY a_id ON a (id);\n",
            ),
        ],
        &[
            "--postgres",
            "16",
            "--layout",
            "sqlx",
            "--since",
            "20260102000000",
        ],
    );
    let u = unit(&v, "20260102000000_b");
    assert_eq!(u["status"], "failed", "{u:#}");
    let error = u["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("CREATE INDEX CONCURRENTLY") && error.contains("25001"),
        "{u:#}"
    );
}

/// In a pipeline a COMMIT ends the transaction and the statement after it starts the next as
/// a first statement does: a CONCURRENTLY right after it runs, one after that is refused
/// (oracle `pipeline_facts`; MC030's `bad-liquibase-pipeline` fixture, ann:4 and ann:5).
#[test]
fn a_pipeline_starts_again_after_its_commit() {
    bindir(16);
    let (_, v) = trace_tree(
        &[(
            "changelog.sql",
            "--liquibase formatted sql\n\
         --changeset ann:1\nCREATE TABLE t (id int, a int, b int);\n\
         --changeset ann:2 runInTransaction:false splitStatements:false\n\
         ALTER TABLE t ADD COLUMN c int;\nCOMMIT;\nCREATE INDEX CONCURRENTLY t_c ON t (c);\n\
         --changeset ann:3 runInTransaction:false splitStatements:false\n\
         SELECT 1;\nCOMMIT;\nSELECT 1;\nCREATE INDEX CONCURRENTLY t_a ON t (a);\n",
        )],
        &["--postgres", "16", "--since", "ann:2"],
    );
    let u = unit(&v, "ann:2");
    assert_eq!(u["status"], "applied", "{u:#}");
    assert_eq!(u["transaction"], "pipeline", "{u:#}");
    assert_failed(&v, "ann:3", "25001");
}

/// A Liquibase `runInTransaction:false splitStatements:false` changeset is a pipeline (pgJDBC:
/// the statements before one Sync): a CONCURRENTLY first runs, a later one is refused (25001),
/// and a LOCK first is refused (25P01), as MC030 and MC034 say and the oracle shows.
#[test]
fn a_pipeline_runs_as_the_server_runs_it() {
    bindir(16);
    let (_, v) = trace_json(&[
        "fixtures/MC030-concurrently-in-transaction/bad-liquibase-pipeline",
        "--postgres",
        "16",
        "--since",
        "ann:2",
    ]);
    let u = unit(&v, "ann:2");
    assert_eq!(u["status"], "applied", "{u:#}");
    assert_eq!(u["transaction"], "pipeline", "{u:#}");
    assert_failed(&v, "ann:3", "25001");
    let (_, v) = trace_json(&[
        "fixtures/MC034-lock-outside-transaction/bad-liquibase-pipeline",
        "--postgres",
        "16",
    ]);
    assert_failed(&v, "ann:2", "25P01");
}
