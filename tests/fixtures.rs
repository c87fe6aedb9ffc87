//! The fixture glob: every `fixtures/MC0NN-<rule>/bad*.sql` (or `bad*/` directory) must produce
//! exactly the findings its `-- expect: MCxxx` comments list, on those lines; every `good*` case
//! must be clean. Settings come from a sibling `<case>.toml`. The rendered output of every case
//! is pinned by an insta snapshot.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// (line, rule id) pairs from `-- expect: MC010, MC014` comments.
fn expectations(path: &Path) -> BTreeSet<(usize, String)> {
    let mut files = Vec::new();
    if path.is_dir() {
        for e in walkdir::WalkDir::new(path).sort_by_file_name() {
            let e = e.expect("fixture dir is readable");
            if e.file_type().is_file() {
                files.push(e.path().to_path_buf());
            }
        }
    } else {
        files.push(path.to_path_buf());
    }
    let mut out = BTreeSet::new();
    for f in files {
        let bytes = std::fs::read(&f).expect("fixture is readable");
        let text = String::from_utf8_lossy(&bytes);
        for (i, line) in text.lines().enumerate() {
            // `-- expect-above:` is for findings on a line that cannot carry a comment of its own
            // (a suppression comment would read the annotation as its reason)
            let (p, len, at) = match (line.find("-- expect:"), line.find("-- expect-above:")) {
                (Some(p), _) => (p, 10, i + 1),
                (None, Some(p)) => (p, 16, i),
                _ => continue,
            };
            for id in line[p + len..].split(',') {
                out.insert((at, id.trim().to_string()));
            }
        }
    }
    out
}

fn cases() -> Vec<(String, PathBuf, Option<PathBuf>, bool)> {
    let mut out = Vec::new();
    let dir = common::root().join("fixtures");
    let mut rules: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures/")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    rules.sort();
    for rule_dir in rules {
        let rule = rule_dir
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        if !rule.starts_with("MC") {
            continue;
        }
        let mut entries: Vec<_> = std::fs::read_dir(&rule_dir)
            .expect("rule fixture dir")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        entries.sort();
        for p in entries {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            let stem = name.trim_end_matches(".sql").to_string();
            let is_case = p.is_dir() || name.ends_with(".sql");
            if !is_case || !(stem.starts_with("bad") || stem.starts_with("good")) {
                continue;
            }
            let cfg = rule_dir.join(format!("{stem}.toml"));
            let rel = p
                .strip_prefix(common::root())
                .expect("under root")
                .to_path_buf();
            out.push((
                format!("{rule}__{stem}"),
                rel,
                cfg.is_file().then_some(cfg),
                stem.starts_with("bad"),
            ));
        }
    }
    out
}

#[test]
fn every_fixture_matches_its_expectations_and_snapshot() {
    let cases = cases();
    assert!(
        cases.len() >= 18,
        "found only {} fixture cases",
        cases.len()
    );
    let mut failures = Vec::new();
    for (name, path, cfg, bad) in &cases {
        let settings = common::settings(cfg.as_deref());
        let result = common::run(path, &settings);
        let got: BTreeSet<(usize, String)> = result
            .findings
            .iter()
            .map(|f| (f.line as usize, f.rule().to_string()))
            .collect();
        let want = expectations(&common::root().join(path));
        if *bad && want.is_empty() {
            failures.push(format!(
                "{name}: a bad case must carry `-- expect:` comments"
            ));
        }
        if !*bad && !want.is_empty() {
            failures.push(format!(
                "{name}: a good case must not carry `-- expect:` comments"
            ));
        }
        if got != want {
            failures.push(format!("{name}: expected {want:?}\n    got {got:?}"));
        }
        insta::assert_snapshot!(name.clone(), common::render(&result, &settings));
    }
    assert!(
        failures.is_empty(),
        "fixture mismatches:\n{}",
        failures.join("\n")
    );
}
