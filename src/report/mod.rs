//! Output formats. Each takes the run's files, findings and summary and writes to a stream.

pub mod discover;
pub mod formats;
pub mod json;
pub mod review;
pub mod text;

use serde::Serialize;

use crate::engine::{Finding, Stats};
use crate::pg::PgRange;
use crate::rules::Level;

/// What every format reports at the end.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub pg_version: String,
    /// True when no version was configured and migcheck's default was used.
    pub pg_version_assumed: bool,
    pub files: usize,
    pub migrations: usize,
    pub statements: usize,
    pub findings: LevelCounts,
    pub parse: ParseCounts,
    pub skipped_files: Vec<SkippedFile>,
    /// Danger findings accepted by a sign-off (they do not fail the run).
    pub signed_off: usize,
    /// Warning and info findings silenced by `-- migcheck:ignore <rule> -- <reason>`.
    pub suppressed: usize,
    /// 1 when a finding at `danger` or `error` level was reported, else 0.
    pub exit_code: i32,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct LevelCounts {
    pub error: usize,
    pub danger: usize,
    pub warning: usize,
    pub info: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ParseCounts {
    pub sqlparser: usize,
    pub fallback: usize,
    /// Rejected by sqlparser; only the statement kind (`GRANT`, `CREATE TRIGGER`, ...) was recognised.
    pub kind_only: usize,
    pub psql_meta: usize,
    pub unparsed: usize,
    pub templated: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct SkippedFile {
    pub file: String,
    pub reason: String,
}

pub fn failing(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.fails())
}

pub fn summarize(findings: &[Finding], stats: &Stats, version: PgRange, assumed: bool) -> Summary {
    let mut counts = LevelCounts::default();
    for f in findings {
        match f.level {
            Level::Error => counts.error += 1,
            Level::Danger => counts.danger += 1,
            Level::Warning => counts.warning += 1,
            Level::Info => counts.info += 1,
        }
    }
    Summary {
        pg_version: version.to_string(),
        pg_version_assumed: assumed,
        files: stats.files,
        migrations: stats.migrations,
        statements: stats.statements,
        findings: counts,
        parse: ParseCounts {
            sqlparser: stats.parsed_by_sqlparser,
            fallback: stats.parsed_by_fallback,
            kind_only: stats.kind_only,
            psql_meta: stats.psql_meta_commands,
            unparsed: stats.unparsed,
            templated: stats.templated,
        },
        skipped_files: stats
            .skipped
            .iter()
            .map(|(f, r)| SkippedFile {
                file: f.clone(),
                reason: r.clone(),
            })
            .collect(),
        suppressed: stats.suppressed,
        signed_off: findings
            .iter()
            .filter(|f| {
                matches!(
                    f.signoff.as_deref(),
                    Some(crate::signoff::Status::Accepted { .. })
                )
            })
            .count(),
        exit_code: i32::from(failing(findings)),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The one-line summary, e.g. `checked 2 files (2 migrations, 3 statements) for PostgreSQL 10: ...`.
pub fn summary_line(s: &Summary) -> String {
    let c = &s.findings;
    let mut line = format!(
        "checked {} ({}, {}) for PostgreSQL {}{}: {}, {}, {}, {}",
        plural(s.files, "file", "files"),
        plural(s.migrations, "migration", "migrations"),
        plural(s.statements, "statement", "statements"),
        s.pg_version,
        if s.pg_version_assumed {
            " (assumed: no pg-version configured)"
        } else {
            ""
        },
        plural(c.error, "error", "errors"),
        plural(c.danger, "danger", "dangers"),
        plural(c.warning, "warning", "warnings"),
        c.info,
    );
    line.push_str(" info");
    if s.suppressed > 0 {
        line.push_str(&format!("; {} suppressed inline", s.suppressed));
    }
    if s.signed_off > 0 {
        line.push_str(&format!("; {} signed off", s.signed_off));
    }
    if s.parse.unparsed > 0 {
        line.push_str(&format!(
            "; {} not understood",
            plural(s.parse.unparsed, "statement", "statements")
        ));
    }
    // files written for another database, and files the layout does not run (a sqitch verify
    // script, a file without the tool's markers): `migcheck discover` lists each with why
    let other_db = s
        .skipped_files
        .iter()
        .filter(|k| crate::source::discover::is_other_database(&k.reason))
        .count();
    if other_db > 0 {
        line.push_str(&format!(
            "; {} for other databases skipped",
            plural(other_db, "file", "files")
        ));
    }
    let not_run = s.skipped_files.len() - other_db;
    if not_run > 0 {
        line.push_str(&format!(
            "; {} skipped as not run by the migration tool",
            plural(not_run, "file", "files")
        ));
    }
    line
}

/// Chunks rendered ahead of the one being written (what is held at once).
const CHUNK_WINDOW: usize = 8;

/// Writes what `render(out, index, item)` appends for each item, in order: `per_chunk` items
/// into one buffer, the chunks made by the pool's threads in order while this thread writes
/// the ones before (thousands of findings made every format a serial tail of the run), one
/// write per chunk. The first error (rendering or writing) ends the output and is returned.
pub(crate) fn chunked<T: Sync>(
    w: &mut dyn std::io::Write,
    items: &[T],
    per_chunk: usize,
    render: impl Fn(&mut Vec<u8>, usize, &T) -> std::io::Result<()> + Sync,
) -> std::io::Result<()> {
    let per_chunk = per_chunk.max(1);
    let mut result = Ok(());
    crate::ordered::in_order(
        items.len().div_ceil(per_chunk),
        rayon::current_num_threads(),
        CHUNK_WINDOW,
        |c| -> std::io::Result<Vec<u8>> {
            let first = c * per_chunk;
            let chunk = &items[first..(first + per_chunk).min(items.len())];
            // about a kilobyte per finding: the buffer is rarely regrown
            let mut out = Vec::with_capacity(chunk.len() * 1024);
            for (j, item) in chunk.iter().enumerate() {
                render(&mut out, first + j, item)?;
            }
            Ok(out)
        },
        |_, made| {
            if result.is_ok() {
                result = made.and_then(|out| w.write_all(&out));
            }
        },
    );
    result
}

#[cfg(test)]
mod chunked_tests {
    use super::chunked;

    #[test]
    fn items_are_written_in_order_and_the_first_error_ends_the_output() {
        let items: Vec<usize> = (0..1000).collect();
        let mut out = Vec::new();
        chunked(&mut out, &items, 7, |o, i, item| {
            assert_eq!(i, *item);
            o.extend_from_slice(format!("{item},").as_bytes());
            Ok(())
        })
        .expect("renders");
        let want: String = items.iter().map(|i| format!("{i},")).collect();
        assert_eq!(String::from_utf8(out).expect("utf-8"), want);

        // a rendering error in the chunk of item 500: the chunks before are written, no later one
        let mut out = Vec::new();
        let err = chunked(&mut out, &items, 10, |o, _, item| {
            if *item == 505 {
                return Err(std::io::Error::other("item 505"));
            }
            o.extend_from_slice(format!("{item},").as_bytes());
            Ok(())
        })
        .expect_err("fails");
        assert_eq!(err.to_string(), "item 505");
        let want: String = (0..500).map(|i| format!("{i},")).collect();
        assert_eq!(String::from_utf8(out).expect("utf-8"), want);
    }
}
