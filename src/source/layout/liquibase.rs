//! Liquibase formatted SQL: a file whose first line is `--liquibase formatted sql`, holding
//! changesets (`--changeset author:id attr:value ...`). Each changeset is a migration; its
//! down part is its `--rollback <sql>` lines (parsed in place: the prefix is blanked so positions
//! stay exact). A transaction per changeset unless `runInTransaction:false`.

use super::*;

pub fn is_formatted(text: &str) -> bool {
    text.lines()
        .find(|l| !l.trim().is_empty())
        .is_some_and(|l| {
            let l = l.trim().to_ascii_lowercase();
            l.strip_prefix("--")
                .is_some_and(|r| r.trim_start().starts_with("liquibase formatted"))
        })
}

pub fn units(ctx: &DirCtx<'_>) -> Vec<Unit> {
    let mut out = Vec::new();
    for f in ctx.files {
        let text = ctx.text(f);
        if !is_formatted(&text) {
            continue;
        }
        struct Cs {
            id: String,
            no_tx: bool,
            /// `splitStatements:false`: sent as one string.
            whole: bool,
            body: Vec<Span>,
            rollback: Vec<Span>,
            rollback_prefix: Vec<Span>,
            rollback_none: bool,
            start: usize,
        }
        let mut sets: Vec<Cs> = Vec::new();
        for (off, line) in lines_with_offsets(&text) {
            let full = Span::new(off, off + line.len());
            let t = line.trim_start();
            // only a comment line can hold a directive (most lines are SQL: not lowered)
            let lower = t
                .strip_prefix("--")
                .map(|r| r.trim_start().to_ascii_lowercase());
            let after_dashes = lower.as_deref();
            if let Some(rest) = after_dashes.and_then(|r| r.strip_prefix("changeset")) {
                let raw = t.trim_start_matches('-').trim_start();
                let raw = &raw["changeset".len().min(raw.len())..];
                let mut words = raw.split_whitespace();
                let id = words.next().unwrap_or("?").to_string();
                let no_tx = rest
                    .split_whitespace()
                    .any(|w| w == "runintransaction:false");
                // Liquibase splits a changeset on `;` and runs each statement (JDBC
                // `Statement.execute`) unless told not to: then the changeset is one string,
                // which PostgreSQL runs as one implicit transaction
                let whole = rest
                    .split_whitespace()
                    .any(|w| w == "splitstatements:false");
                sets.push(Cs {
                    id,
                    no_tx,
                    whole,
                    body: Vec::new(),
                    rollback: Vec::new(),
                    rollback_prefix: Vec::new(),
                    rollback_none: false,
                    start: off,
                });
                continue;
            }
            let Some(cs) = sets.last_mut() else { continue };
            if let Some(rest) = after_dashes.and_then(|r| r.strip_prefix("rollback")) {
                let r = rest.trim();
                if r.eq_ignore_ascii_case("not required") || r.eq_ignore_ascii_case("empty") {
                    cs.rollback_none = true;
                    continue;
                }
                // blank everything up to the SQL after `--rollback`
                let lead = line.len() - t.len();
                let kw = t
                    .to_ascii_lowercase()
                    .find("rollback")
                    .map_or(0, |p| p + "rollback".len());
                let prefix_end = off + lead + kw;
                cs.rollback_prefix.push(Span::new(off, prefix_end));
                cs.rollback.push(full);
                continue;
            }
            cs.body.push(full);
        }
        for (k, cs) in sets.into_iter().enumerate() {
            let (tx, reason) = if cs.no_tx && cs.whole {
                (
                    TxMode::Pipeline,
                    "`runInTransaction:false` with `splitStatements:false`: no BEGIN, but pgJDBC sends the changeset's statements before one Sync (one transaction)",
                )
            } else if cs.no_tx {
                (
                    TxMode::Autocommit,
                    "`runInTransaction:false` on the changeset: Liquibase runs each statement on its own",
                )
            } else {
                (
                    TxMode::Transaction,
                    "Liquibase runs each changeset in a transaction",
                )
            };
            let down = if !cs.rollback.is_empty() {
                let mut p = Part::sections(f.clone(), cs.rollback);
                p.uncomment = cs.rollback_prefix;
                Down::Part(p)
            } else if cs.rollback_none {
                Down::None
            } else {
                Down::Missing {
                    expected: format!(
                        "`--rollback` lines in changeset `{}` of {}",
                        cs.id,
                        ctx.rel(f)
                    ),
                }
            };
            let order = format!("{}#{:06}", ctx.rel(f), k);
            let _ = cs.start;
            let u = Unit::new(
                Layout::Liquibase,
                cs.id,
                order,
                Some(Part::sections(f.clone(), cs.body)),
                down,
                tx,
                reason,
            );
            out.push(u);
        }
    }
    sort_units(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use crate::source::layout::TxMode;

    /// `runInTransaction:false` runs each statement on its own, unless `splitStatements:false`
    /// makes the changeset one string (an implicit transaction).
    #[test]
    fn split_statements_decides_how_a_changeset_without_transaction_runs() {
        let text = "--liquibase formatted sql\n--changeset a:1\nSELECT 1;\n--rollback SELECT 1;\n--changeset a:2 runInTransaction:false\nSELECT 2;\n--rollback SELECT 2;\n--changeset a:3 runInTransaction:false splitStatements:false\nSELECT 3;\nSELECT 4;\n--rollback SELECT 3;\n";
        let units = crate::source::layout::one_file_units(super::units, "changelog.sql", text);
        let modes: Vec<TxMode> = units.iter().map(|u| u.tx).collect();
        assert_eq!(
            modes,
            [TxMode::Transaction, TxMode::Autocommit, TxMode::Pipeline]
        );
    }
}
