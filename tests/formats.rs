//! The CI formats of `check`: SARIF valid against the official 2.1.0 schema, GitHub workflow
//! commands within GitHub's annotation limits (plus the job summary), GitLab Code Quality with
//! stable fingerprints, JUnit, concise and JSON lines, several written in one run.

mod common;

use std::process::{Command, Output};

fn migcheck(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_migcheck"));
    c.args(args)
        .current_dir(common::root())
        .env_remove("NO_COLOR")
        .env_remove("GITHUB_STEP_SUMMARY");
    for (k, v) in envs {
        c.env(k, v);
    }
    c.output().expect("migcheck runs")
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

const BF: &str = "fixtures/projects/black-friday";

#[test]
fn sarif_is_valid_against_the_official_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sarif = dir.path().join("out.sarif");
    let o = migcheck(
        &[
            "check",
            BF,
            "--format",
            &format!("sarif={}", sarif.display()),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(1));
    let schema = common::root().join("../shared/reference/sarif/sarif-schema-2.1.0.json");
    let schema = if schema.is_file() {
        schema
    } else {
        common::root().join("tests/data/sarif-schema-2.1.0.json")
    };
    // jsonschema (Python, installed by .ci/run) validates against the official schema
    let py = Command::new("python3")
        .args([
            "-c",
            "import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))); print('valid')",
            &sarif.to_string_lossy(),
            &schema.to_string_lossy(),
        ])
        .output()
        .expect("python3 runs (SARIF validation needs python3 with jsonschema: pip install jsonschema)");
    assert!(
        py.status.success(),
        "SARIF not valid: {}",
        String::from_utf8_lossy(&py.stderr)
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).expect("read")).expect("json");
    let results = v["runs"][0]["results"].as_array().expect("results");
    assert!(results.iter().all(|r| {
        r["partialFingerprints"]["migcheck/v1"]
            .as_str()
            .is_some_and(|f| f.len() == 64)
    }));
    let rules = v["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    assert_eq!(rules.len(), migcheck::rules::registry().len());
    assert!(
        rules
            .iter()
            .all(|r| r["help"]["text"].is_string() && r["shortDescription"]["text"].is_string())
    );
}

#[test]
fn several_formats_in_one_run_and_snapshots() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = |n: &str| dir.path().join(n);
    let o = migcheck(
        &[
            "check",
            BF,
            "--format",
            "concise",
            "--format",
            &format!("gitlab={}", p("gl.json").display()),
            "--format",
            &format!("junit={}", p("junit.xml").display()),
            "--format",
            &format!("json-lines={}", p("f.jsonl").display()),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(1));
    insta::assert_snapshot!("concise", out(&o));
    insta::assert_snapshot!(
        "gitlab",
        std::fs::read_to_string(p("gl.json")).expect("gitlab")
    );
    insta::assert_snapshot!(
        "junit",
        std::fs::read_to_string(p("junit.xml")).expect("junit")
    );
    let lines = std::fs::read_to_string(p("f.jsonl")).expect("jsonl");
    assert!(
        lines
            .lines()
            .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok())
    );
    assert_eq!(lines.lines().count(), 4);
    let bad = migcheck(&["check", BF, "--format", "text", "--format", "json"], &[]);
    assert_eq!(bad.status.code(), Some(2), "two formats on stdout");
    let bad = migcheck(&["check", BF, "--format", "nope"], &[]);
    assert_eq!(bad.status.code(), Some(2));
}

/// The files' text is kept only when a format quotes it: text written to a file next to JSON
/// on stdout still shows every snippet, over several directories (each run frees its files'
/// text when no format quotes it).
#[test]
fn text_next_to_another_format_still_quotes_the_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text_file = dir.path().join("out.txt");
    let dirs = [BF, "fixtures/MC014-create-index-non-concurrently"];
    let alone = migcheck(&["check", dirs[0], dirs[1], "--format", "text"], &[]);
    let both = migcheck(
        &[
            "check",
            dirs[0],
            dirs[1],
            "--format",
            "json",
            "--format",
            &format!("text={}", text_file.display()),
        ],
        &[],
    );
    assert_eq!(both.status.code(), alone.status.code());
    let text = std::fs::read_to_string(&text_file).expect("text output");
    assert_eq!(text, out(&alone));
    assert!(
        text.contains(
            "2 │ ALTER TABLE users ADD COLUMN loyalty_tier text NOT NULL DEFAULT 'bronze';"
        ),
        "{text}"
    );
    assert!(text.contains("CREATE INDEX"), "{text}");
    let json: serde_json::Value = serde_json::from_slice(&both.stdout).expect("json");
    assert!(json["findings"].as_array().is_some_and(|f| f.len() > 3));
}

#[test]
fn github_annotations_respect_the_limits_and_write_the_job_summary() {
    let o = migcheck(&["check", BF, "--format", "github"], &[]);
    insta::assert_snapshot!("github", out(&o));
    // many findings: at most 10 annotations per kind, the rest counted in a notice
    let dir = tempfile::tempdir().expect("tempdir");
    let mut sql = String::new();
    for i in 0..15 {
        sql.push_str(&format!("CREATE INDEX i{i} ON t (a);\n"));
    }
    std::fs::write(dir.path().join("001.sql"), sql).expect("write");
    let summary = dir.path().join("summary.md");
    let o = migcheck(
        &[
            "check",
            &dir.path().to_string_lossy(),
            "--format",
            "github",
            "--no-config",
        ],
        &[("GITHUB_STEP_SUMMARY", &summary.to_string_lossy())],
    );
    let text = out(&o);
    assert_eq!(
        text.lines().filter(|l| l.starts_with("::error ")).count(),
        10
    );
    assert!(
        text.contains("::notice::") && text.contains("more finding(s) not annotated"),
        "{text}"
    );
    let md = std::fs::read_to_string(&summary).expect("job summary written");
    assert!(
        md.starts_with("## migcheck") && md.matches("| danger |").count() == 15,
        "{md}"
    );
}

#[test]
fn fingerprints_do_not_depend_on_line_numbers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = dir.path().join("001.sql");
    std::fs::write(&f, "CREATE INDEX i ON t (a);\n").expect("write");
    let a = migcheck(
        &[
            "check",
            &f.to_string_lossy(),
            "--format",
            "gitlab",
            "--no-config",
        ],
        &[],
    );
    std::fs::write(
        &f,
        "-- a comment moves the statement down\n\nCREATE INDEX i ON t (a);\n",
    )
    .expect("write");
    let b = migcheck(
        &[
            "check",
            &f.to_string_lossy(),
            "--format",
            "gitlab",
            "--no-config",
        ],
        &[],
    );
    let fp = |o: &Output| {
        serde_json::from_slice::<serde_json::Value>(&o.stdout).expect("json")[0]["fingerprint"]
            .clone()
    };
    assert_eq!(fp(&a), fp(&b));
}
