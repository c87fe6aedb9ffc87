//! One small project per migration tool under `fixtures/projects/`: the layout is detected from
//! the tool's real conventions, the units (order, up/down, transaction mode) are what the tool
//! would run, and `check` reports what matters for that tool. Snapshots pin both outputs.

mod common;

use std::process::Command;

/// (project, migration directory inside it, expected layout)
const PROJECTS: &[(&str, &str, &str)] = &[
    ("atlas", "", "atlas"),
    ("dbmate", "", "dbmate"),
    ("diesel", "", "diesel"),
    ("flyway", "", "flyway"),
    ("golang-migrate", "db", "golang-migrate"),
    ("goose", "", "goose"),
    ("graphile", "migrations", "graphile-migrate"),
    ("hasura", "migrations", "hasura"),
    ("liquibase", "", "liquibase"),
    ("node-pg-migrate", "", "node-pg-migrate"),
    ("ory-popx", "", "ory-popx"),
    ("plain", "", "plain"),
    ("prisma", "", "prisma"),
    ("prisma-7.4", "prisma/migrations", "prisma"),
    ("refinery", "migrations", "refinery"),
    ("sqitch", "", "sqitch"),
    ("sqlx", "migrations", "sqlx"),
    ("supabase", "supabase/migrations", "supabase"),
];

fn run(args: &[&str]) -> (Option<i32>, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_migcheck"))
        .args(args)
        .current_dir(common::root())
        .env_remove("NO_COLOR")
        .output()
        .expect("migcheck runs");
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
    )
}

#[test]
fn every_layout_is_detected_and_its_units_are_right() {
    for (project, sub, layout) in PROJECTS {
        let path = if sub.is_empty() {
            format!("fixtures/projects/{project}")
        } else {
            format!("fixtures/projects/{project}/{sub}")
        };
        let (code, out) = run(&["discover", &path, "--format", "json"]);
        assert_eq!(code, Some(0), "{path}: {out}");
        let v: serde_json::Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(v["layout"], *layout, "{path}");
        assert!(
            v["candidates"].as_array().is_some_and(|c| c.is_empty()),
            "{path}: ambiguous: {}",
            v["candidates"]
        );
        insta::assert_snapshot!(format!("discover_{project}"), out);
        let (_, text) = run(&["check", &path, "--color", "never"]);
        insta::assert_snapshot!(format!("check_{project}"), text);
    }
}

#[test]
fn transaction_modes_follow_each_tools_markers() {
    let modes = |path: &str| -> Vec<(String, String)> {
        let (_, out) = run(&["discover", path, "--format", "json"]);
        let v: serde_json::Value = serde_json::from_str(&out).expect("json");
        v["units"]
            .as_array()
            .expect("units")
            .iter()
            .map(|u| {
                (
                    u["id"].as_str().unwrap_or("").to_string(),
                    u["transaction"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    let m = modes("fixtures/projects/goose");
    assert_eq!(
        m[1],
        ("00002_index_email".into(), "autocommit".into()),
        "NO TRANSACTION anywhere in the file"
    );
    let m = modes("fixtures/projects/sqlx/migrations");
    // no BEGIN, but one query string: an implicit transaction
    assert_eq!(m[1].1, "implicit", "-- no-transaction as the first bytes");
    assert_eq!(
        m[2].1, "transaction",
        "-- no-transaction after a blank line does not count"
    );
    let m = modes("fixtures/projects/atlas");
    assert_eq!(m[1].1, "autocommit", "txmode none followed by a blank line");
    assert_eq!(
        m[2].1, "transaction",
        "txmode none without the blank line is ignored by Atlas"
    );
    let m = modes("fixtures/projects/golang-migrate/db");
    assert_eq!(
        m.iter().map(|u| u.0.as_str()).collect::<Vec<_>>(),
        ["1_users", "2_index", "10_tier"],
        "numeric order"
    );
    assert!(m.iter().all(|u| u.1 == "implicit"));
    let m = modes("fixtures/projects/diesel");
    assert_eq!(
        m[1].1, "implicit",
        "metadata.toml run_in_transaction = false: no BEGIN, one query string"
    );
    let m = modes("fixtures/projects/graphile");
    assert_eq!(
        m.iter().map(|u| u.1.as_str()).collect::<Vec<_>>(),
        ["transaction", "implicit", "transaction"],
        "--! no-transaction first in the body, after the committed migration's headers"
    );
    let m = modes("fixtures/projects/ory-popx");
    assert!(
        m.iter().any(|u| u.1 == "implicit"),
        "an .autocommit. file: no BEGIN, one query string: {m:?}"
    );
    let m = modes("fixtures/projects/dbmate");
    assert_eq!(
        m[1],
        ("20240201000000_index_email".into(), "autocommit".into()),
        "transaction:false: statement groups are the sections (batches)"
    );
    let m = modes("fixtures/projects/prisma");
    assert!(
        m.iter().all(|u| u.1 == "implicit"),
        "no Prisma version found: the whole file as one string (before 7.4.0)"
    );
    let m = modes("fixtures/projects/prisma-7.4/prisma/migrations");
    assert!(
        m.iter().all(|u| u.1 == "autocommit"),
        "package.json's prisma ^7.4.0: statement by statement"
    );
    let m = modes("fixtures/projects/liquibase");
    assert_eq!(
        m.iter().map(|u| u.1.as_str()).collect::<Vec<_>>(),
        ["transaction", "autocommit", "transaction"]
    );
    let m = modes("fixtures/projects/flyway");
    assert_eq!(
        m.iter().map(|u| u.0.as_str()).collect::<Vec<_>>(),
        [
            "V1__create_users",
            "V1_1__index_email",
            "V2__tier",
            "V3__reindex",
            "R__views"
        ]
    );
    assert_eq!(
        m[3].1, "autocommit",
        "executeInTransaction=false in the .sql.conf sidecar"
    );
}

#[test]
fn ambiguous_layouts_are_reported_and_forcing_one_silences_it() {
    let (_, out) = run(&[
        "discover",
        "fixtures/MC004-layout-ambiguous/bad",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["layout"], "golang-migrate");
    let cands: Vec<&str> = v["candidates"]
        .as_array()
        .expect("a")
        .iter()
        .filter_map(|c| c["layout"].as_str())
        .collect();
    assert_eq!(cands, ["sqlx", "hasura"]);
    let (_, out) = run(&[
        "discover",
        "fixtures/MC004-layout-ambiguous/bad",
        "--format",
        "json",
        "--layout",
        "sqlx",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["layout"], "sqlx");
    assert_eq!(v["forced"], true);
    assert_eq!(v["units"][0]["transaction"], "transaction");
    let (code, _) = run(&[
        "discover",
        "fixtures/MC004-layout-ambiguous/bad",
        "--layout",
        "nope",
    ]);
    assert_eq!(code, Some(2));
}
