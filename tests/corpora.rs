//! Real migration folders from public projects (`../shared/corpora`, next to the repository in
//! the development workspace; absent in a fresh clone, and then this test says so and passes).
//! On each corpus: the run never fails (exit 2), and at least 99.5 % of the statements that are
//! not psql meta-commands are understood (by sqlparser or the fallback).

mod common;

use migcheck::config::Config;
use migcheck::engine::{self, Settings};

#[test]
fn corpora_are_understood_and_never_stop_the_run() {
    let dir = common::root().join("../shared/corpora");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!(
            "SKIPPED: {} not found (it exists only in the development workspace)",
            dir.display()
        );
        return;
    };
    let mut corpora: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    corpora.sort();
    assert!(!corpora.is_empty(), "{} is empty", dir.display());
    let settings = Settings::from_config(&Config::default(), None);
    let mut report = Vec::new();
    for c in &corpora {
        let r = engine::run_path(c, &settings)
            .unwrap_or_else(|e| panic!("{}: the run failed: {e}", c.display()));
        let s = &r.stats;
        let sql = s.statements - s.psql_meta_commands;
        let understood = s.parsed_by_sqlparser + s.parsed_by_fallback + s.kind_only;
        let share = if sql == 0 {
            1.0
        } else {
            understood as f64 / sql as f64
        };
        report.push(format!(
            "{}: {} statements, {} sqlparser, {} fallback, {} kind only, {} unparsed ({:.2} % understood)",
            c.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default(),
            s.statements,
            s.parsed_by_sqlparser,
            s.parsed_by_fallback,
            s.kind_only,
            s.unparsed,
            share * 100.0
        ));
        assert!(
            share >= 0.995,
            "{}: only {:.2} % understood\n{}",
            c.display(),
            share * 100.0,
            report.join("\n")
        );
        assert!(
            r.findings.iter().all(|f| f.rule() != "MC002"),
            "{}: unreadable files: {:?}",
            c.display(),
            r.findings
                .iter()
                .filter(|f| f.rule() == "MC002")
                .map(|f| &f.message)
                .collect::<Vec<_>>()
        );
    }
    eprintln!("{}", report.join("\n"));
}
