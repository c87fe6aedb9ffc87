//! The binary as users run it: exit codes, config discovery, formats, colour, bad input.

mod common;

use std::path::Path;
use std::process::{Command, Output};

fn migcheck(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_migcheck"))
        .args(args)
        .current_dir(cwd)
        .env_remove("NO_COLOR")
        .output()
        .expect("migcheck runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(o)))
}

/// (rule, file name, line) of every finding at danger or error level.
fn failing(v: &serde_json::Value) -> Vec<(String, String, u64)> {
    let mut out: Vec<_> = v["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .filter(|f| f["level"] == "danger" || f["level"] == "error")
        .map(|f| {
            let file = f["file"].as_str().unwrap_or_default();
            let name = file.rsplit('/').next().unwrap_or_default().to_string();
            (
                f["rule"].as_str().unwrap_or_default().to_string(),
                name,
                f["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn black_friday_on_postgres_10_finds_the_rewrite_and_the_missing_down() {
    let o = migcheck(
        &["check", "fixtures/projects/black-friday"],
        &common::root(),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    insta::assert_snapshot!("black_friday_pg10", stdout(&o));
    let o = migcheck(
        &[
            "check",
            "fixtures/projects/black-friday",
            "--format",
            "json",
        ],
        &common::root(),
    );
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    assert_eq!(
        failing(&v),
        [
            ("MC010".to_string(), "002_v2_1.up.sql".to_string(), 2),
            ("MC020".to_string(), "002_v2_1.up.sql".to_string(), 1)
        ]
    );
    let rewrite = v["findings"]
        .as_array()
        .and_then(|a| a.iter().find(|f| f["rule"] == "MC010"))
        .expect("MC010");
    assert!(
        rewrite["message"]
            .as_str()
            .is_some_and(|m| m.contains("`users`") && m.contains("ACCESS EXCLUSIVE"))
    );
    assert_eq!(v["summary"]["pg_version"], "10");
    assert_eq!(v["summary"]["pg_version_assumed"], false);
    assert_eq!(v["summary"]["exit_code"], 1);
}

#[test]
fn black_friday_on_postgres_11_only_misses_the_down_migration() {
    let o = migcheck(
        &[
            "check",
            "fixtures/projects/black-friday",
            "--pg-version",
            "11",
        ],
        &common::root(),
    );
    assert_eq!(o.status.code(), Some(1));
    insta::assert_snapshot!("black_friday_pg11", stdout(&o));
    let o = migcheck(
        &[
            "check",
            "fixtures/projects/black-friday",
            "--pg-version",
            "11",
            "--format",
            "json",
        ],
        &common::root(),
    );
    assert_eq!(
        failing(&json(&o)),
        [("MC020".to_string(), "002_v2_1.up.sql".to_string(), 1)]
    );
}

#[test]
fn json_findings_have_the_documented_fields() {
    let o = migcheck(
        &[
            "check",
            "fixtures/projects/black-friday",
            "--format",
            "json",
        ],
        &common::root(),
    );
    let v = json(&o);
    for f in v["findings"].as_array().expect("array") {
        for key in [
            "rule",
            "name",
            "level",
            "file",
            "line",
            "column",
            "end_line",
            "end_column",
            "message",
            "help",
            "notes",
        ] {
            assert!(f.get(key).is_some(), "finding lacks `{key}`: {f}");
        }
    }
    for key in [
        "pg_version",
        "pg_version_assumed",
        "files",
        "migrations",
        "statements",
        "findings",
        "parse",
        "exit_code",
    ] {
        assert!(v["summary"].get(key).is_some(), "summary lacks `{key}`");
    }
    assert_eq!(v["summary"]["findings"]["danger"], 2);
}

#[test]
fn config_is_discovered_by_walking_up_and_cli_flags_win() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::create_dir(root.join(".git")).expect("mkdir");
    std::fs::write(root.join("migcheck.toml"), "pg-version = \"10\"\n").expect("write");
    let mig = root.join("db").join("migrations");
    std::fs::create_dir_all(&mig).expect("mkdir");
    std::fs::write(
        mig.join("001_flag.sql"),
        "ALTER TABLE users ADD COLUMN flag boolean DEFAULT false;\n",
    )
    .expect("write");
    let o = migcheck(&["check", "db/migrations", "--format", "json"], root);
    let v = json(&o);
    assert_eq!(v["summary"]["pg_version"], "10");
    assert_eq!(failing(&v).len(), 1, "{v}");
    // the flag beats the file
    let o = migcheck(
        &[
            "check",
            "db/migrations",
            "--format",
            "json",
            "--pg-version",
            "16",
        ],
        root,
    );
    let v = json(&o);
    assert_eq!(v["summary"]["pg_version"], "16");
    assert!(failing(&v).is_empty());
    assert_eq!(o.status.code(), Some(0));
    // --no-config: the default version, and the output says it was assumed
    let o = migcheck(&["check", "db/migrations", "--no-config"], root);
    assert!(
        stdout(&o).contains("(assumed: no pg-version configured)"),
        "{}",
        stdout(&o)
    );
    // no paths: `paths` from the config found from the working directory
    std::fs::write(
        root.join("migcheck.toml"),
        "pg-version = \"10\"\npaths = [\"db/migrations\"]\n",
    )
    .expect("write");
    let o = migcheck(&["check", "--format", "json"], &mig);
    assert_eq!(json(&o)["summary"]["files"], 1);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn broken_config_exits_2_pointing_into_the_toml() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join(".git")).expect("mkdir");
    std::fs::write(
        dir.path().join("migcheck.toml"),
        "pg-version = \"16\"\nrulez = {}\n[rules]\nno-such-rule = \"off\"\n",
    )
    .expect("write");
    std::fs::write(dir.path().join("001.sql"), "SELECT 1;\n").expect("write");
    let o = migcheck(&["check", ".", "--color", "never"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("unknown key `rulez`; did you mean `rules`?"),
        "{err}"
    );
    assert!(err.contains("migcheck.toml:2:1"), "{err}");
    assert!(err.contains("unknown rule `no-such-rule`"), "{err}");
    assert!(err.contains("migcheck.toml:4:1"), "{err}");
    std::fs::write(dir.path().join("migcheck.toml"), "pg-version = [\n").expect("write");
    let o = migcheck(&["check", "."], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("invalid TOML"), "{}", stderr(&o));
}

#[test]
fn runs_that_cannot_happen_exit_2() {
    let root = common::root();
    let o = migcheck(&["check", "no/such/dir"], &root);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no such file or directory"));
    let o = migcheck(
        &[
            "check",
            "fixtures/projects/black-friday",
            "--pg-version",
            "9.6",
        ],
        &root,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("older than 10"), "{}", stderr(&o));
    let o = migcheck(
        &[
            "check",
            "fixtures/projects/black-friday",
            "--pg-version",
            "sixteen",
        ],
        &root,
    );
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn clean_migrations_exit_0() {
    let o = migcheck(
        &[
            "check",
            "fixtures/MC012-add-column-not-null-no-default/good.sql",
        ],
        &common::root(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn colour_only_on_request_or_a_terminal() {
    let root = common::root();
    let piped = migcheck(&["check", "fixtures/projects/black-friday"], &root);
    assert!(
        !stdout(&piped).contains('\u{1b}'),
        "piped output must not be coloured"
    );
    let forced = migcheck(
        &[
            "check",
            "fixtures/projects/black-friday",
            "--color",
            "always",
        ],
        &root,
    );
    assert!(stdout(&forced).contains('\u{1b}'));
    assert!(stdout(&forced).contains("danger[MC010]") || stdout(&forced).contains("danger[\u{1b}"));
    // NO_COLOR does not beat an explicit --color always, and turns auto off
    let o = Command::new(env!("CARGO_BIN_EXE_migcheck"))
        .args(["check", "fixtures/projects/black-friday", "--color", "auto"])
        .env("NO_COLOR", "1")
        .current_dir(&root)
        .output()
        .expect("runs");
    assert!(!stdout(&o).contains('\u{1b}'));
}

#[test]
fn bad_files_are_reported_and_the_rest_is_still_linted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::write(d.join("001_binary.sql"), b"\x00\x01\x02binary").expect("write");
    std::fs::write(d.join("002_latin1.sql"), b"SELECT 'caf\xe9';\n").expect("write");
    std::fs::write(d.join("003_empty.sql"), b"").expect("write");
    std::fs::write(
        d.join("004_index.sql"),
        b"\xef\xbb\xbfCREATE INDEX i ON t (a);\r\n",
    )
    .expect("write");
    std::fs::write(
        d.join("005_template.sql"),
        "ALTER TABLE {{ schema }}.t ADD COLUMN c int DEFAULT random();\n",
    )
    .expect("write");
    std::fs::write(d.join("006_unterminated.sql"), "SELECT 'oops;\nSELECT 2;\n").expect("write");
    std::fs::write(d.join("007.mysql.up.sql"), "ALTER TABLE `t` ADD `c` int;\n").expect("write");
    let o = migcheck(&["check", ".", "--format", "json"], d);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v = json(&o);
    let got = failing(&v);
    assert_eq!(
        got,
        [
            ("MC002".to_string(), "001_binary.sql".to_string(), 1),
            ("MC002".to_string(), "002_latin1.sql".to_string(), 1),
            ("MC003".to_string(), "006_unterminated.sql".to_string(), 1),
            ("MC011".to_string(), "005_template.sql".to_string(), 1),
            ("MC014".to_string(), "004_index.sql".to_string(), 1),
        ]
    );
    let binary = v["findings"]
        .as_array()
        .and_then(|a| a.iter().find(|f| f["rule"] == "MC002"))
        .expect("MC002");
    assert!(
        binary["message"]
            .as_str()
            .is_some_and(|m| m.contains("binary"))
    );
    assert_eq!(
        v["summary"]["skipped_files"][0]["reason"],
        "written for mysql, not PostgreSQL"
    );
    // the BOM does not shift columns
    let idx = v["findings"]
        .as_array()
        .and_then(|a| a.iter().find(|f| f["rule"] == "MC014"))
        .expect("MC014");
    assert_eq!(idx["column"], 1);
}

#[test]
fn an_empty_directory_is_a_clean_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = migcheck(&["check", ".", "--format", "json"], dir.path());
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(json(&o)["summary"]["files"], 0);
}

#[cfg(unix)]
#[test]
fn unreadable_directories_and_symlink_loops_are_findings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::create_dir(d.join("loop")).expect("mkdir");
    std::os::unix::fs::symlink(d, d.join("loop").join("back")).expect("symlink");
    std::fs::write(d.join("001.sql"), "SELECT 1;\n").expect("write");
    let o = migcheck(&["check", ".", "--format", "json"], d);
    let v = json(&o);
    assert_eq!(o.status.code(), Some(1));
    let msgs: Vec<String> = v["findings"]
        .as_array()
        .expect("a")
        .iter()
        .map(|f| f["message"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        msgs.iter().any(|m| m.contains("symbolic link loop")),
        "{msgs:?}"
    );
}

#[test]
fn rules_and_explain() {
    let root = common::root();
    let o = migcheck(&["rules"], &root);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("MC010  add-column-default-rewrite"));
    let by_id = migcheck(&["explain", "MC010"], &root);
    let by_name = migcheck(&["explain", "add-column-default-rewrite"], &root);
    assert_eq!(stdout(&by_id), stdout(&by_name));
    assert!(stdout(&by_id).contains("## Safe alternative"));
    let o = migcheck(&["explain", "add-column-default-rewrit"], &root);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("did you mean `add-column-default-rewrite`?"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn version_flag() {
    let o = migcheck(&["--version"], &common::root());
    assert!(stdout(&o).starts_with("migcheck "));
}

#[test]
fn changed_since_reports_only_changed_migrations_but_reads_all() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let git = |args: &[&str]| {
        let o = Command::new("git")
            .args(args)
            .current_dir(d)
            .output()
            .expect("git runs");
        assert!(
            o.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    git(&["init", "-q", "-b", "main"]);
    git(&["config", "user.email", "t@example.com"]);
    git(&["config", "user.name", "t"]);
    std::fs::write(
        d.join("migcheck.toml"),
        "pg-version = \"10\"\nlayout = \"plain\"\ntransaction = \"autocommit\"\n",
    )
    .expect("write");
    std::fs::create_dir(d.join("m")).expect("mkdir");
    std::fs::write(
        d.join("m/001_users.sql"),
        "CREATE TABLE users (id bigint);\nCREATE INDEX users_id_idx ON users (id);\n",
    )
    .expect("write");
    std::fs::write(
        d.join("m/002_old.sql"),
        "ALTER TABLE orders ADD COLUMN a int DEFAULT 1;\n",
    )
    .expect("write");
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "base"]);
    // a new migration that depends on the schema built by the old ones
    std::fs::write(
        d.join("m/003_new.sql"),
        "ALTER TABLE users ADD COLUMN b int DEFAULT 2;\nCREATE INDEX users_b_idx ON users (b);\n",
    )
    .expect("write");
    let all = migcheck(&["check", "m", "--format", "json"], d);
    let changed = migcheck(
        &["check", "m", "--format", "json", "--changed-since", "HEAD"],
        d,
    );
    let files = |o: &Output| -> Vec<String> {
        let mut v: Vec<String> = json(o)["findings"]
            .as_array()
            .expect("a")
            .iter()
            .map(|f| f["file"].as_str().unwrap_or("").to_string())
            .collect();
        v.dedup();
        v
    };
    assert_eq!(files(&all), ["m/002_old.sql", "m/003_new.sql"]);
    assert_eq!(files(&changed), ["m/003_new.sql"]);
    // the new migration is still checked against the replayed schema: `users` existed before it
    assert_eq!(failing(&json(&changed)).len(), 2);
    let bad = migcheck(&["check", "m", "--changed-since", "no-such-rev"], d);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn transaction_mode_per_glob_and_reasoned_irreversible_marker() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::create_dir(d.join(".git")).expect("mkdir");
    std::fs::write(
        d.join("migcheck.toml"),
        "layout = \"plain\"\ntransaction = \"transaction\"\n[transactions]\n\"concurrent/*.sql\" = \"autocommit\"\n",
    )
    .expect("write");
    std::fs::create_dir(d.join("concurrent")).expect("mkdir");
    let cic = "CREATE INDEX CONCURRENTLY i ON t (a);\n";
    std::fs::write(d.join("concurrent/001_idx.sql"), cic).expect("write");
    std::fs::write(d.join("002_idx.sql"), cic).expect("write");
    let v = json(&migcheck(&["check", ".", "--format", "json"], d));
    assert_eq!(
        failing(&v),
        [("MC030".to_string(), "002_idx.sql".to_string(), 1)]
    );
    // goose: a marker without a reason does not excuse a missing down part
    let g = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        g.path().join("001_a.sql"),
        "-- migcheck:irreversible\n-- +goose Up\nDROP TABLE old;\n",
    )
    .expect("write");
    std::fs::write(
        g.path().join("002_b.sql"),
        "-- migcheck:irreversible -- the data is gone\n-- +goose Up\nDROP TABLE older;\n",
    )
    .expect("write");
    let v = json(&migcheck(
        &["check", ".", "--format", "json", "--no-config"],
        g.path(),
    ));
    let missing_down: Vec<_> = failing(&v).into_iter().filter(|f| f.0 == "MC020").collect();
    assert_eq!(
        missing_down,
        [("MC020".to_string(), "001_a.sql".to_string(), 1)]
    );
}

#[test]
fn a_version_range_gives_one_verdict_per_finding() {
    let o = migcheck(
        &[
            "check",
            "fixtures/projects/black-friday",
            "--pg-version",
            "10..17",
            "--format",
            "json",
        ],
        &common::root(),
    );
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    assert_eq!(v["summary"]["pg_version"], "10..17");
    let f = |rule: &str| {
        v["findings"]
            .as_array()
            .and_then(|a| a.iter().find(|f| f["rule"] == rule))
            .cloned()
            .expect("finding")
    };
    assert_eq!(f("MC010")["pg_versions"], serde_json::json!(["10"]));
    assert_eq!(f("MC010")["verdict"], "danger on 10; not flagged on 11–17");
    assert_eq!(f("MC020")["verdict"], "danger on every version 10–17");
    insta::assert_snapshot!(
        "black_friday_range",
        stdout(&migcheck(
            &[
                "check",
                "fixtures/projects/black-friday",
                "--pg-version",
                "10..17"
            ],
            &common::root()
        ))
    );
}

#[test]
fn parse_shows_how_each_statement_is_understood() {
    // statements sqlparser 0.64 rejects, understood by the fallback, and masked templates
    let o = migcheck(&["parse", "fixtures/parse/fallback.sql"], &common::root());
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let hows: Vec<&str> = v
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|s| s["how"].as_str())
        .collect();
    assert!(hows.iter().all(|h| !h.starts_with("unparsed")), "{hows:?}");
    assert!(
        hows.iter().filter(|h| **h == "fallback").count() >= 10,
        "{hows:?}"
    );
    insta::assert_snapshot!("parse_fallback", stdout(&o));
}

#[test]
fn stats_lower_small_tables_to_info_and_estimate_large_ones() {
    let root = common::root();
    let staging = json(&migcheck(
        &[
            "check",
            "fixtures/projects/black-friday",
            "--format",
            "json",
            "--stats",
            "fixtures/projects/black-friday/stats-staging.json",
        ],
        &root,
    ));
    let f = |v: &serde_json::Value, rule: &str| {
        v["findings"]
            .as_array()
            .and_then(|a| a.iter().find(|f| f["rule"] == rule))
            .cloned()
            .expect("finding")
    };
    assert_eq!(
        f(&staging, "MC010")["level"],
        "info",
        "100 rows in staging: the rewrite takes milliseconds"
    );
    let production = json(&migcheck(
        &[
            "check",
            "fixtures/projects/black-friday",
            "--format",
            "json",
            "--stats",
            "fixtures/projects/black-friday/stats-production.json",
        ],
        &root,
    ));
    let rewrite = f(&production, "MC010");
    assert_eq!(rewrite["level"], "danger");
    let notes = rewrite["notes"].to_string();
    assert!(
        notes.contains("10000000 rows") && notes.contains("at least ~12 s under ACCESS EXCLUSIVE"),
        "{notes}"
    );
    let bad = migcheck(
        &[
            "check",
            "fixtures/projects/black-friday",
            "--stats",
            "no-such.json",
        ],
        &root,
    );
    assert_eq!(bad.status.code(), Some(2));
}

/// `migcheck signoff add` on the incident's up file (run in `d`).
fn sign(d: &Path, rule: &str, by: &str, reason: &str) -> Output {
    migcheck(
        &[
            "signoff",
            "add",
            "m/002_v2_1.up.sql",
            "--rule",
            rule,
            "--by",
            by,
            "--reason",
            reason,
        ],
        d,
    )
}

/// The incident's three migration files copied into `to` (created), in a repository `root`.
fn incident_copy(root: &Path, to: &Path) {
    std::fs::create_dir_all(root.join(".git")).expect("mkdir");
    std::fs::create_dir_all(to).expect("mkdir");
    let bf = common::root().join("fixtures/projects/black-friday");
    for f in [
        "001_create_users.up.sql",
        "001_create_users.down.sql",
        "002_v2_1.up.sql",
    ] {
        std::fs::copy(bf.join(f), to.join(f)).expect("copy");
    }
}

#[test]
fn signoff_flow_on_the_incident() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    incident_copy(d, &d.join("m"));
    std::fs::write(
        d.join("migcheck.toml"),
        "pg-version = \"10\"\nlayout = \"golang-migrate\"\napprovers = [\"ann\"]\n",
    )
    .expect("write");
    let check = || migcheck(&["check", "m", "--format", "json"], d);
    assert_eq!(check().status.code(), Some(1), "unsigned: fails");
    // a rubber-stamp reason and a stranger are refused
    let o = sign(d, "MC010", "ann", "lgtm");
    assert_eq!(o.status.code(), Some(2));
    let o = sign(d, "MC010", "bob", "users has 200 rows in production today");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    for rule in ["MC010", "MC020"] {
        let o = sign(d, rule, "ann", "users has 200 rows in production today");
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let ledger = std::fs::read_to_string(d.join("migcheck.signoffs.toml"))
        .expect("ledger written next to migcheck.toml");
    assert!(
        ledger.contains("unit_sha256") && ledger.contains("statement_sha256"),
        "{ledger}"
    );
    let o = check();
    assert_eq!(o.status.code(), Some(0), "signed: passes\n{}", stdout(&o));
    assert_eq!(json(&o)["summary"]["signed_off"], 2);
    // SARIF carries the sign-off as a suppression (so code scanning shows it as accepted)
    let sarif = d.join("out.sarif");
    migcheck(
        &[
            "check",
            "m",
            "--format",
            &format!("sarif={}", sarif.display()),
        ],
        d,
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).expect("sarif")).expect("json");
    let signed = v["runs"][0]["results"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["ruleId"] == "MC010"))
        .cloned()
        .expect("the MC010 result");
    let supp = &signed["suppressions"][0];
    assert_eq!(supp["status"], "accepted");
    assert!(
        supp["justification"]
            .as_str()
            .is_some_and(|j| j.contains("signed off by ann")),
        "{supp}"
    );
    assert_eq!(
        migcheck(&["signoff", "verify", "m"], d).status.code(),
        Some(0)
    );
    // CRLF line endings and a BOM do not change a hash
    let up = d.join("m/002_v2_1.up.sql");
    let text = std::fs::read_to_string(&up).expect("read");
    std::fs::write(&up, format!("\u{feff}{}", text.replace('\n', "\r\n"))).expect("write");
    assert_eq!(check().status.code(), Some(0), "CRLF + BOM: still signed");
    // any real edit makes it stale: the finding comes back naming who signed it
    std::fs::write(&up, text.replace("'bronze'", "'silver'")).expect("write");
    let o = check();
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    let rewrite = v["findings"]
        .as_array()
        .and_then(|a| a.iter().find(|f| f["rule"] == "MC010"))
        .cloned()
        .expect("MC010");
    assert_eq!(rewrite["signoff"]["status"], "stale");
    assert!(
        rewrite["notes"]
            .to_string()
            .contains("signed off by ann on"),
        "{rewrite}"
    );
    let o = migcheck(&["signoff", "verify", "m"], d);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("stale: MC010"), "{}", stdout(&o));
    // re-sign, then a fixed migration leaves an unused entry that prune removes
    let o = sign(d, "MC010", "ann", "users has 200 rows in production today");
    assert_eq!(o.status.code(), Some(0));
    let o = sign(d, "MC020", "ann", "users has 200 rows in production today");
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(check().status.code(), Some(0));
    std::fs::write(&up, "ALTER TABLE users ADD COLUMN loyalty_tier text;\n").expect("write");
    std::fs::write(
        d.join("m/002_v2_1.down.sql"),
        "ALTER TABLE users DROP COLUMN loyalty_tier;\n",
    )
    .expect("write");
    let v = json(&check());
    assert!(
        v["findings"]
            .as_array()
            .expect("a")
            .iter()
            .any(|f| f["rule"] == "MC005"),
        "unused entries are reported"
    );
    let o = migcheck(&["signoff", "prune", "m"], d);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("removed 2 entries"), "{}", stdout(&o));
    let o = migcheck(&["signoff", "list"], d);
    assert!(stdout(&o).contains("0 sign-off(s)"), "{}", stdout(&o));
}

/// `signoff add` with a bare file name (its parent is "", the current directory), and the
/// sign-off status exactly as the pretty JSON and JSON lines print it.
#[test]
fn signoff_of_a_bare_file_name_and_its_status_in_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    incident_copy(d, d);
    std::fs::write(
        d.join("migcheck.toml"),
        "pg-version = \"10\"\nlayout = \"golang-migrate\"\n",
    )
    .expect("write");
    let o = migcheck(
        &[
            "signoff",
            "add",
            "002_v2_1.up.sql",
            "--rule",
            "MC010",
            "--by",
            "ann",
            "--reason",
            "users has 200 \"rows\" in production",
        ],
        d,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let ledger = std::fs::read_to_string(d.join("migcheck.signoffs.toml")).expect("ledger");
    let date = ledger
        .lines()
        .find_map(|l| l.strip_prefix("date = \""))
        .and_then(|l| l.strip_suffix('"'))
        .expect("a date in the ledger")
        .to_string();
    let pretty = stdout(&migcheck(&["check", ".", "--format", "json"], d));
    let block = format!(
        "      \"statement\": 1,\n      \"signoff\": {{\n        \"status\": \"accepted\",\n        \
         \"approver\": \"ann\",\n        \"date\": \"{date}\",\n        \
         \"reason\": \"users has 200 \\\"rows\\\" in production\"\n      }}\n    }}"
    );
    assert!(pretty.contains(&block), "{pretty}");
    let lines = stdout(&migcheck(&["check", ".", "--format", "json-lines"], d));
    let line = format!(
        "\"statement\":1,\"signoff\":{{\"status\":\"accepted\",\"approver\":\"ann\",\
         \"date\":\"{date}\",\"reason\":\"users has 200 \\\"rows\\\" in production\"}}}}\n"
    );
    assert!(lines.contains(&line), "{lines}");
}

#[test]
fn init_writes_a_config_that_check_accepts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::create_dir(d.join(".git")).expect("mkdir");
    std::fs::create_dir_all(d.join("db/migrations")).expect("mkdir");
    std::fs::write(
        d.join("db/migrations/001_a.up.sql"),
        "CREATE TABLE a (id bigint);\n",
    )
    .expect("write");
    std::fs::write(d.join("db/migrations/001_a.down.sql"), "DROP TABLE a;\n").expect("write");
    let o = migcheck(&["init"], d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let cfg = std::fs::read_to_string(d.join("migcheck.toml")).expect("written");
    assert!(
        cfg.contains("paths = [\"db/migrations\"]") && cfg.contains("detected: golang-migrate"),
        "{cfg}"
    );
    assert_eq!(
        migcheck(&["init"], d).status.code(),
        Some(2),
        "does not overwrite"
    );
    let o = migcheck(&["check"], d);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn review_report_in_markdown_and_html() {
    let root = common::root();
    let args = |format: &str| {
        vec![
            "report".to_string(),
            "fixtures/projects/black-friday".to_string(),
            "--pg-version".to_string(),
            "10".to_string(),
            "--stats".to_string(),
            "fixtures/projects/black-friday/stats-production.json".to_string(),
            "--format".to_string(),
            format.to_string(),
        ]
    };
    let md_args = args("markdown");
    let md_args: Vec<&str> = md_args.iter().map(String::as_str).collect();
    let o = migcheck(&md_args, &root);
    assert_eq!(
        o.status.code(),
        Some(0),
        "the report is not the gate: {}",
        stderr(&o)
    );
    let md = stdout(&o);
    insta::assert_snapshot!("review_black_friday_pg10", md);
    // the statement table: the rewrite, its lock, on which table, and the estimated lock time
    assert!(
        md.lines().any(
            |l| l.starts_with("| up | 2 | `ALTER TABLE users ADD COLUMN loyalty_tier")
                && l.contains("ACCESS EXCLUSIVE (`users`)")
                && l.contains("| rewrite |")
                && l.contains('s')
        ),
        "{md}"
    );
    assert_eq!(
        md.matches("sign-off: **needs sign-off**").count(),
        2,
        "{md}"
    );
    assert!(
        md.contains("rollback: missing: 002_v2_1.down.sql; **missing-down-migration (MC020)**")
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("review.html");
    let mut html_args = args("html");
    html_args.extend(["-o".to_string(), out.display().to_string()]);
    let html_args: Vec<&str> = html_args.iter().map(String::as_str).collect();
    let o = migcheck(&html_args, &root);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(o.stdout.is_empty(), "-o writes the file, not stdout");
    let html = std::fs::read_to_string(&out).expect("report written");
    assert!(html.starts_with("<!doctype html>"));
    assert!(
        !html.contains("<script") && !html.contains("http"),
        "self-contained"
    );
    assert!(html.contains("<h2>002_v2_1</h2>") && html.contains("needs sign-off"));
    // SQL is escaped: the quotes of the default cannot break out of the markup
    assert!(html.contains("DEFAULT &#39;bronze&#39;") || html.contains("DEFAULT 'bronze'"));
    assert_eq!(
        html.matches("<table>").count(),
        3,
        "summary + one per migration"
    );
}

#[test]
fn pathological_inputs_are_linted_without_crashing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let rows: Vec<String> = (0..60_000).map(|i| format!("({i},'é')")).collect();
    let files = [
        (
            "1_nested.sql",
            format!("SELECT {}1{};\n", "(".repeat(10_000), ")".repeat(10_000)),
        ),
        ("2_open.sql", format!("SELECT {};\n", "(".repeat(100_000))),
        (
            "3_long_line.sql",
            format!("INSERT INTO t VALUES {};\n", rows.join(",")),
        ),
        (
            "4_dollar.sql",
            format!("DO $$ BEGIN {}\n", "PERFORM 1; ".repeat(50_000)),
        ),
        (
            "5_last.sql",
            "ALTER TABLE t ADD COLUMN x int DEFAULT 1;\n".to_string(),
        ),
    ];
    for (name, text) in &files {
        std::fs::write(d.join(name), text).expect("write");
    }
    let o = migcheck(
        &[
            "check",
            ".",
            "--no-config",
            "--pg-version",
            "10",
            "--format",
            "json",
        ],
        d,
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v = json(&o);
    let rules: Vec<(String, String)> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["level"] != "info" && f["level"] != "warning")
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_string(),
                f["file"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        rules,
        vec![
            ("MC003".to_string(), "4_dollar.sql".to_string()),
            ("MC010".to_string(), "5_last.sql".to_string()),
        ],
        "the unterminated dollar quote is reported; the file after it is still linted"
    );
}

#[test]
fn a_report_over_two_directories_keeps_each_finding_under_its_own_migration() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    for copy in ["a", "b"] {
        std::fs::create_dir_all(d.join(copy)).expect("mkdir");
        for f in [
            "001_create_users.up.sql",
            "001_create_users.down.sql",
            "002_v2_1.up.sql",
        ] {
            std::fs::copy(
                common::root()
                    .join("fixtures/projects/black-friday")
                    .join(f),
                d.join(copy).join(f),
            )
            .expect("copy");
        }
    }
    let o = migcheck(
        &[
            "report",
            "a",
            "b",
            "--no-config",
            "--pg-version",
            "10",
            "--layout",
            "golang-migrate",
        ],
        d,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let md = stdout(&o);
    assert_eq!(md.matches("## 002_v2_1").count(), 2, "{md}");
    assert_eq!(
        md.matches("sign-off: **needs sign-off**").count(),
        4,
        "{md}"
    );
    let b = md.rfind("## 002_v2_1").expect("second section");
    assert!(md[b..].contains("`b/002_v2_1.up.sql:2`"), "{md}");
    assert!(!md[b..].contains("`a/002_v2_1.up.sql"), "{md}");
}

/// A file named on the command line whose folder fits several layouts: the layout warning
/// must not hide the file's own statements (it registered the file without its text, and
/// `check dir/001_x.sql` then linted 0 statements).
#[test]
fn a_named_file_in_an_ambiguous_folder_is_still_linted() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("001_add.sql"),
        "ALTER TABLE users ADD COLUMN tier text DEFAULT 'x';\n",
    )
    .expect("write");
    let o = migcheck(
        &[
            "check",
            "--no-config",
            "--pg-version",
            "10",
            "--format",
            "json",
            "001_add.sql",
        ],
        dir.path(),
    );
    let v = json(&o);
    assert_eq!(v["summary"]["statements"], 1, "{}", stdout(&o));
    assert_eq!(
        failing(&v),
        [("MC010".to_string(), "001_add.sql".to_string(), 1)],
        "{}",
        stdout(&o)
    );
    assert!(
        v["findings"]
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f["rule"] == "MC004")),
        "the ambiguity is still reported: {}",
        stdout(&o)
    );
}
