//! The fast lexer (`parse::lex`) against sqlparser's tokenizer: wherever the lexer answers, its
//! tokens, line/column spans and byte ranges must be sqlparser's. Run on every statement (and
//! every whole file) of the bundled fixtures, and of PostgreSQL's regression SQL and the real
//! migration folders when `../shared` is present (absent in a fresh clone: then said and skipped).
//! The share of statements the lexer answers is printed and, on the fixtures, bounded below so a
//! lexer that declines everything (and so can never disagree) fails here.

mod common;

use std::path::Path;

use migcheck::parse::lex;
use migcheck::source::split;

/// (statements, statements lexed, disagreements)
fn check_tree(dir: &Path) -> (usize, usize, Vec<String>) {
    let (mut total, mut lexed, mut bad) = (0, 0, Vec::new());
    for e in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let Ok(e) = e else { continue };
        if !e.file_type().is_file() || e.path().extension().is_none_or(|x| x != "sql") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(e.path()) else {
            continue;
        };
        let mut pieces = vec![text.clone()];
        let s = split::split(&text);
        pieces.extend(
            s.statements
                .iter()
                .filter_map(|st| s.masked.get(st.span.start..st.span.end))
                .map(str::to_string),
        );
        for (k, piece) in pieces.iter().enumerate() {
            if k > 0 {
                total += 1;
                lexed += usize::from(lex::lex(piece).is_some());
            }
            if let Some(why) = lex::disagreement(piece) {
                bad.push(format!("{}: {why}", e.path().display()));
            }
        }
    }
    (total, lexed, bad)
}

#[test]
fn lexer_agrees_with_sqlparser_on_fixtures() {
    let (total, lexed, bad) = check_tree(&common::root().join("fixtures"));
    assert!(bad.is_empty(), "{}", bad.join("\n\n"));
    let share = lexed as f64 / total as f64;
    eprintln!(
        "fixtures: {lexed} of {total} statements lexed ({:.1} %)",
        share * 100.0
    );
    assert!(total > 400, "{total} fixture statements");
    assert!(share > 0.85, "only {:.1} % lexed", share * 100.0);
}

#[test]
fn lexer_agrees_with_sqlparser_on_shared_corpora() {
    for sub in ["stress/pg-regress-sql", "corpora"] {
        let dir = common::root().join("../shared").join(sub);
        if !dir.is_dir() {
            eprintln!(
                "SKIPPED: {} not found (development workspace only)",
                dir.display()
            );
            continue;
        }
        let (total, lexed, bad) = check_tree(&dir);
        assert!(bad.is_empty(), "{}", bad[..bad.len().min(5)].join("\n\n"));
        eprintln!(
            "{sub}: {lexed} of {total} statements lexed ({:.1} %)",
            lexed as f64 * 100.0 / total.max(1) as f64
        );
    }
}
