//! Our fast paths against sqlparser, statement by statement:
//! - the lexer (`parse::lex`) against sqlparser's tokenizer: wherever the lexer answers, its
//!   tokens, line/column spans and byte ranges must be sqlparser's (also on every whole file);
//! - the quick path (`parse::quick`) against sqlparser's parser: every statement it recognises
//!   must give the same operations and the same `How` as the full path;
//! - the memo (`parse::Memo`): a statement parsed on its own and moved to its place must give
//!   what parsing it in place gives (also the statements of its bodies), and a file parsed from
//!   remembered statements what parsing it afresh gives.
//!
//! Run on every statement of the bundled fixtures, and of PostgreSQL's regression SQL and the
//! real migration folders when `../shared` is present (absent in a fresh clone: then said and
//! skipped). The shares answered are printed and, on the fixtures, bounded below so a fast path
//! that declines everything (and so can never disagree) fails here.

mod common;

use std::path::Path;

use migcheck::parse::{lex, quick, tokens};
use migcheck::source::split;

#[derive(Default)]
struct Tally {
    statements: usize,
    lexed: usize,
    recognised: usize,
    disagreements: Vec<String>,
}

fn check_tree(dir: &Path) -> Tally {
    let mut t = Tally::default();
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
            if let Some(why) = lex::disagreement(piece) {
                t.disagreements
                    .push(format!("{}: lexer: {why}", e.path().display()));
            }
            if k == 0 {
                if let Some(why) = migcheck::parse::memo_disagreement(piece) {
                    t.disagreements
                        .push(format!("{}: memo: {why}", e.path().display()));
                }
                continue;
            }
            t.statements += 1;
            t.lexed += usize::from(lex::lex(piece).is_some());
            t.recognised += usize::from(
                tokens::tokenize(piece, 0).is_ok_and(|x| quick::recognise(&x.raw).is_some()),
            );
            if let Some(why) = quick::disagreement(piece) {
                t.disagreements
                    .push(format!("{}: quick path: {why}", e.path().display()));
            }
        }
    }
    t
}

fn report(what: &str, t: &Tally) -> (f64, f64) {
    let share = |n: usize| n as f64 / t.statements.max(1) as f64;
    eprintln!(
        "{what}: {} of {} statements lexed ({:.1} %), {} recognised by the quick path ({:.1} %)",
        t.lexed,
        t.statements,
        share(t.lexed) * 100.0,
        t.recognised,
        share(t.recognised) * 100.0
    );
    (share(t.lexed), share(t.recognised))
}

#[test]
fn fast_paths_agree_with_sqlparser_on_fixtures() {
    let t = check_tree(&common::root().join("fixtures"));
    assert!(
        t.disagreements.is_empty(),
        "{}",
        t.disagreements.join("\n\n")
    );
    let (lexed, recognised) = report("fixtures", &t);
    assert!(t.statements > 400, "{} fixture statements", t.statements);
    assert!(lexed > 0.85, "only {:.1} % lexed", lexed * 100.0);
    assert!(
        recognised > 0.15,
        "only {:.1} % recognised",
        recognised * 100.0
    );
}

#[test]
fn fast_paths_agree_with_sqlparser_on_shared_corpora() {
    for sub in ["stress/pg-regress-sql", "corpora"] {
        let dir = common::root().join("../shared").join(sub);
        if !dir.is_dir() {
            eprintln!(
                "SKIPPED: {} not found (development workspace only)",
                dir.display()
            );
            continue;
        }
        let t = check_tree(&dir);
        assert!(
            t.disagreements.is_empty(),
            "{} disagreements:\n{}",
            t.disagreements.len(),
            t.disagreements[..t.disagreements.len().min(8)].join("\n\n")
        );
        report(sub, &t);
    }
}
