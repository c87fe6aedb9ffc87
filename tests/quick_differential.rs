//! The quick path (`parse::quick`) against sqlparser's parser: every statement the quick path
//! recognises must give the same operations and the same `How` as the full path. Run on every
//! statement of the bundled fixtures, and of PostgreSQL's regression SQL and the real migration
//! folders when `../shared` is present (absent in a fresh clone: then said and skipped). The
//! share recognised is printed and, on the fixtures, bounded below so a quick path that
//! declines everything (and so can never disagree) fails here.

mod common;

use std::path::Path;

use migcheck::parse::{quick, tokens};
use migcheck::source::split;

/// (statements, statements recognised, disagreements)
fn check_tree(dir: &Path) -> (usize, usize, Vec<String>) {
    let (mut total, mut recognised, mut bad) = (0, 0, Vec::new());
    for e in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let Ok(e) = e else { continue };
        if !e.file_type().is_file() || e.path().extension().is_none_or(|x| x != "sql") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(e.path()) else {
            continue;
        };
        let s = split::split(&text);
        for st in &s.statements {
            let Some(piece) = s.masked.get(st.span.start..st.span.end) else {
                continue;
            };
            total += 1;
            recognised += usize::from(
                tokens::tokenize(piece, 0).is_ok_and(|t| quick::recognise(&t.raw).is_some()),
            );
            if let Some(why) = quick::disagreement(piece) {
                bad.push(format!("{}: {why}", e.path().display()));
            }
        }
    }
    (total, recognised, bad)
}

#[test]
fn quick_path_agrees_with_sqlparser_on_fixtures() {
    let (total, recognised, bad) = check_tree(&common::root().join("fixtures"));
    assert!(bad.is_empty(), "{}", bad.join("\n\n"));
    let share = recognised as f64 / total as f64;
    eprintln!(
        "fixtures: {recognised} of {total} statements recognised ({:.1} %)",
        share * 100.0
    );
    assert!(total > 400, "{total} fixture statements");
    assert!(share > 0.15, "only {:.1} % recognised", share * 100.0);
}

#[test]
fn quick_path_agrees_with_sqlparser_on_shared_corpora() {
    for sub in ["stress/pg-regress-sql", "corpora"] {
        let dir = common::root().join("../shared").join(sub);
        if !dir.is_dir() {
            eprintln!(
                "SKIPPED: {} not found (development workspace only)",
                dir.display()
            );
            continue;
        }
        let (total, recognised, bad) = check_tree(&dir);
        assert!(
            bad.is_empty(),
            "{} disagreements:\n{}",
            bad.len(),
            bad[..bad.len().min(8)].join("\n\n")
        );
        eprintln!(
            "{sub}: {recognised} of {total} statements recognised ({:.1} %)",
            recognised as f64 * 100.0 / total.max(1) as f64
        );
    }
}
