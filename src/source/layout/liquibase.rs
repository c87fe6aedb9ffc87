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

/// A boolean changeset attribute as Liquibase reads it (`.*name:(\w+).*`, ignoring case, on
/// the whole `--changeset` line): its last occurrence (so `splitStatements:` also matches
/// inside `rollbackSplitStatements:`), `true` only when the value is `true` (Java's
/// `Boolean.parseBoolean`); `default` when it is absent. `lower`: the line in lower case.
fn attribute(lower: &str, name: &str, default: bool) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    lower
        .rmatch_indices(name)
        .map(|(i, m)| {
            let rest = &lower[i + m.len()..];
            &rest[..rest.find(|c| !word(c)).unwrap_or(rest.len())]
        })
        .find(|v| !v.is_empty())
        .map_or(default, |v| v == "true")
}

/// A line opening a multi-line rollback block as Liquibase matches it
/// (`\s*/\*\s*liquibase\s*rollback\s*$`, ignoring case).
fn opens_rollback_block(line: &str) -> bool {
    line.trim()
        .strip_prefix("/*")
        .map(|r| r.trim_start().to_ascii_lowercase())
        .and_then(|r| {
            r.strip_prefix("liquibase")
                .map(|r| r.trim_start().to_string())
        })
        .is_some_and(|r| r == "rollback")
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
            /// `rollbackSplitStatements:false`: its rollback sent as one string.
            rollback_whole: bool,
            body: Vec<Span>,
            rollback: Vec<Span>,
            rollback_prefix: Vec<Span>,
            rollback_none: bool,
            start: usize,
        }
        let mut sets: Vec<Cs> = Vec::new();
        // the `/* liquibase rollback` line of a block not closed yet
        let mut rollback_block: Option<Span> = None;
        for (off, line) in lines_with_offsets(&text) {
            let full = Span::new(off, off + line.len());
            if rollback_block.is_some()
                && let Some(cs) = sets.last_mut()
            {
                // inside `/* liquibase rollback` ... `*/`: rollback SQL (the last line up to
                // its `*/`)
                match line.trim_end().strip_suffix("*/") {
                    Some(before) => {
                        if !before.trim().is_empty() {
                            cs.rollback.push(Span::new(off, off + before.len()));
                        }
                        rollback_block = None;
                    }
                    None => cs.rollback.push(full),
                }
                continue;
            }
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
                let no_tx = !attribute(rest, "runintransaction:", true);
                // Liquibase splits a changeset on `;` and runs each statement (JDBC
                // `Statement.execute`) unless told not to: then pgJDBC sends the changeset's
                // statements before one Sync; its rollback is split unless
                // `rollbackSplitStatements:false`
                let whole = !attribute(rest, "splitstatements:", true);
                let rollback_whole = !attribute(rest, "rollbacksplitstatements:", true);
                sets.push(Cs {
                    id,
                    no_tx,
                    whole,
                    rollback_whole,
                    body: Vec::new(),
                    rollback: Vec::new(),
                    rollback_prefix: Vec::new(),
                    rollback_none: false,
                    start: off,
                });
                continue;
            }
            let Some(cs) = sets.last_mut() else { continue };
            if opens_rollback_block(line) {
                rollback_block = Some(full);
                continue;
            }
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
        let last = sets.len().saturating_sub(1);
        for (k, cs) in sets.into_iter().enumerate() {
            let (tx, reason) = if cs.no_tx && cs.whole {
                (
                    TxMode::Pipeline,
                    "`runInTransaction:false` with `splitStatements:false` (as Liquibase reads the line: any value but `true` is false, and the last `splitStatements:` counts, also inside `rollbackSplitStatements:`): no BEGIN, but pgJDBC sends the changeset's statements before one Sync (one transaction)",
                )
            } else if cs.no_tx {
                (
                    TxMode::Autocommit,
                    "`runInTransaction:false` on the changeset (any value but `true`): Liquibase runs each statement on its own",
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
                // the rollback is split on its own terms (`rollbackSplitStatements`)
                if cs.no_tx && cs.whole != cs.rollback_whole {
                    p.tx = Some(if cs.rollback_whole {
                        (
                            TxMode::Pipeline,
                            "`runInTransaction:false` with `rollbackSplitStatements:false`: no BEGIN, but pgJDBC sends the rollback's statements before one Sync (one transaction)".to_string(),
                        )
                    } else {
                        (
                            TxMode::Autocommit,
                            "`runInTransaction:false` on the changeset: Liquibase runs each statement of its rollback on its own (`rollbackSplitStatements` is true unless set)".to_string(),
                        )
                    });
                }
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
            let mut u = Unit::new(
                Layout::Liquibase,
                cs.id,
                order,
                Some(Part::sections(f.clone(), cs.body)),
                down,
                tx,
                reason,
            );
            if k == last
                && let Some(span) = rollback_block
            {
                u.marker_problems = Box::new([MarkerProblem {
                    file: f.clone(),
                    span,
                    message: "this `/* liquibase rollback` block is never closed with `*/`".to_string(),
                    label: "Liquibase refuses the changelog: \"Liquibase rollback comment is not closed.\"".to_string(),
                    help: "end the block with a line ending in `*/`".to_string(),
                    notes: vec!["migcheck reads the rest of the file as the rollback".to_string()],
                }]);
            }
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
