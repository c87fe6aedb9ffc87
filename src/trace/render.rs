//! `migcheck trace` output: text (terminal), Markdown (PR comment / review) and JSON.

use std::fmt::Write;

use super::{Reversibility, StmtTrace, TraceReport, UnitTrace};

fn secs(s: f64) -> String {
    if s < 0.001 {
        format!("{:.2} ms", s * 1000.0)
    } else if s < 1.0 {
        format!("{:.1} ms", s * 1000.0)
    } else {
        format!("{s:.2} s")
    }
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn mark(verdict: &str) -> &'static str {
    match verdict {
        "confirmed" | "already held" => "✓",
        "mismatch" => "✗",
        _ => "?",
    }
}

pub fn reversibility(r: &Reversibility) -> String {
    match r {
        Reversibility::Reversible { down_seconds } => format!(
            "reversible: down restored the schema exactly (down took {}), up applied again",
            secs(*down_seconds)
        ),
        Reversibility::Differences {
            differences,
            up_again_error,
        } => format!(
            "NOT reversible: after up and down the schema differs from before ({} difference{}){}",
            differences.len(),
            if differences.len() == 1 { "" } else { "s" },
            match up_again_error {
                Some(e) => format!("; up does not apply again after down: {e}"),
                None => String::new(),
            }
        ),
        Reversibility::DownFailed { error } => {
            format!("NOT reversible: the down part failed: {error}")
        }
        Reversibility::UpAgainFailed { error } => {
            format!("NOT reversible: up does not apply again after down: {error}")
        }
        Reversibility::NoDown { why } => format!("NOT reversible: no down-migration ({why})"),
        Reversibility::NotChecked { why } => format!("not checked ({why})"),
    }
}

fn statement_lines(out: &mut String, n: &str, s: &StmtTrace, indent: &str) {
    let _ = writeln!(out, "{indent}{n:>3}  {}:{}  {}", s.file, s.line, s.sql);
    let pad = format!("{indent}    ");
    match s.status {
        "skipped" => {
            let _ = writeln!(out, "{pad}skipped: {}", s.error.as_deref().unwrap_or(""));
            return;
        }
        "error" => {
            let _ = writeln!(
                out,
                "{pad}FAILED after {}: {}",
                secs(s.seconds),
                s.error.as_deref().unwrap_or("")
            );
            return;
        }
        _ => {}
    }
    let _ = writeln!(
        out,
        "{pad}{} ({})",
        secs(s.seconds),
        if s.observed == "sampled" {
            "cannot run in a transaction: locks sampled from a second session"
        } else {
            "locks read from pg_locks before COMMIT"
        }
    );
    if !s.locks.is_empty() {
        let l: Vec<String> = s
            .locks
            .iter()
            .map(|l| {
                format!(
                    "{} {}{}{}",
                    l.mode,
                    l.relation,
                    if l.kind == "table" {
                        String::new()
                    } else {
                        format!(" ({})", l.kind)
                    },
                    if l.existed { "" } else { " [new]" }
                )
            })
            .collect();
        let _ = writeln!(out, "{pad}locks: {}", l.join("; "));
    }
    for (what, list) in [
        ("rewrote", &s.rewritten),
        ("scanned", &s.scanned),
        ("created", &s.created),
        ("dropped", &s.dropped),
    ] {
        if !list.is_empty() {
            let _ = writeln!(out, "{pad}{what}: {}", list.join(", "));
        }
    }
    for c in &s.checks {
        let _ = writeln!(
            out,
            "{pad}{} {} of {}: predicted {}, observed {} — {}",
            mark(c.verdict),
            c.what,
            c.table,
            c.predicted,
            c.observed,
            c.verdict
        );
    }
}

/// Statement labels: `1`, `2`, ... for the up part, `d1`, `d2`, ... for the down part.
fn numbered(stmts: &[StmtTrace]) -> Vec<(String, &StmtTrace)> {
    let (mut up, mut down) = (0, 0);
    stmts
        .iter()
        .map(|s| {
            if s.direction == "down" {
                down += 1;
                (format!("d{down}"), s)
            } else {
                up += 1;
                (up.to_string(), s)
            }
        })
        .collect()
}

fn unit_text(out: &mut String, u: &UnitTrace) {
    let _ = writeln!(
        out,
        "\n{} ({}) — {}{}",
        u.id,
        u.transaction,
        u.status,
        if u.status == "applied" {
            format!(" in {}", secs(u.seconds))
        } else {
            String::new()
        }
    );
    if let Some(e) = &u.error {
        let _ = writeln!(out, "  error: {e}");
    }
    for (n, s) in numbered(&u.statements) {
        statement_lines(out, &n, s, "  ");
    }
    for h in &u.holds {
        let _ = writeln!(
            out,
            "  held {} on {} for {} (from statement {} to the end of its transaction): blocks {}",
            h.mode,
            h.relation,
            secs(h.seconds),
            h.from_statement,
            h.blocks
        );
    }
    let _ = writeln!(out, "  rollback: {}", reversibility(&u.reversibility));
    if let Reversibility::Differences { differences, .. } = &u.reversibility {
        for d in differences {
            let _ = writeln!(out, "    - {d}");
        }
    }
}

pub fn text(r: &TraceReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "migcheck trace on a {}", r.server);
    let _ = writeln!(out, "predictions are for PostgreSQL {}", r.predicted_for);
    for n in &r.notes {
        let _ = writeln!(out, "note: {n}");
    }
    for f in &r.filled {
        match &f.error {
            None => {
                let _ = writeln!(
                    out,
                    "filled {} with {} rows in {}",
                    f.table,
                    thousands(f.rows),
                    secs(f.seconds)
                );
            }
            Some(e) => {
                let _ = writeln!(out, "could not fill {}: {e}", f.table);
            }
        }
    }
    for u in &r.units {
        if u.baseline && u.status == "applied" {
            let _ = writeln!(
                out,
                "baseline {} ({}): applied; rollback: {}",
                u.id,
                u.transaction,
                reversibility(&u.reversibility)
            );
            if let Reversibility::Differences { differences, .. } = &u.reversibility {
                for d in differences {
                    let _ = writeln!(out, "    - {d}");
                }
            }
        } else {
            unit_text(&mut out, u);
        }
    }
    if let Some(d) = &r.drill {
        let _ = writeln!(
            out,
            "\nlock drill: `{}` held open for up to {}",
            d.blocker,
            secs(d.hold_seconds)
        );
        let _ = writeln!(out, "  {}", d.outcome);
        if let Some(v) = &d.victim {
            let _ = writeln!(
                out,
                "  `{}` took {}{}",
                v.query,
                secs(v.seconds),
                if v.blocked_by_migration {
                    " (blocked by the migration's queued lock)"
                } else {
                    ""
                }
            );
        }
    }
    let s = &r.summary;
    let _ = writeln!(
        out,
        "\nsummary: {} of {} migration(s) applied, {} failed; predictions: {} confirmed, {} mismatched, {} lock(s) not predicted; rollback: {} reversible, {} not",
        s.applied,
        s.migrations,
        s.failed,
        s.confirmed,
        s.mismatches,
        s.not_predicted,
        s.reversible,
        s.not_reversible
    );
    out
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

pub fn markdown(r: &TraceReport) -> String {
    let mut out = String::new();
    let s = &r.summary;
    let _ = writeln!(out, "## migcheck trace\n");
    let _ = writeln!(
        out,
        "Server: {} · predictions for PostgreSQL {}\n",
        r.server, r.predicted_for
    );
    let _ = writeln!(
        out,
        "**{} of {} applied, {} failed · predictions: {} confirmed, {} mismatched, {} not predicted · rollback: {} reversible, {} not**\n",
        s.applied,
        s.migrations,
        s.failed,
        s.confirmed,
        s.mismatches,
        s.not_predicted,
        s.reversible,
        s.not_reversible
    );
    for n in &r.notes {
        let _ = writeln!(out, "> {n}\n");
    }
    if !r.filled.is_empty() {
        let _ = writeln!(out, "| table | rows | fill time |\n|---|---:|---:|");
        for f in &r.filled {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} |",
                f.table,
                thousands(f.rows),
                f.error
                    .as_deref()
                    .map(md_escape)
                    .unwrap_or_else(|| secs(f.seconds))
            );
        }
        out.push('\n');
    }
    for u in &r.units {
        let _ = writeln!(
            out,
            "### {}{} — {}\n",
            u.id,
            if u.baseline { " (baseline)" } else { "" },
            u.status
        );
        let _ = writeln!(
            out,
            "Transaction: {} · {}\n",
            u.transaction,
            secs(u.seconds)
        );
        if let Some(e) = &u.error {
            let _ = writeln!(out, "Error: {}\n", md_escape(e));
        }
        if !u.baseline && !u.statements.is_empty() {
            let _ = writeln!(
                out,
                "| # | statement | time | locks | rewrote | prediction |\n|---|---|---:|---|---|---|"
            );
            for (n, st) in numbered(&u.statements) {
                let locks: Vec<String> = st
                    .locks
                    .iter()
                    .map(|l| format!("{} `{}`", l.mode, l.relation))
                    .collect();
                let checks: Vec<String> = st
                    .checks
                    .iter()
                    .map(|c| format!("{} {} {}: {}", mark(c.verdict), c.what, c.table, c.verdict))
                    .collect();
                let _ = writeln!(
                    out,
                    "| {} | `{}` | {} | {} | {} | {} |",
                    n,
                    md_escape(&st.sql),
                    if st.status == "ok" {
                        secs(st.seconds)
                    } else {
                        format!(
                            "{}: {}",
                            st.status,
                            md_escape(st.error.as_deref().unwrap_or(""))
                        )
                    },
                    locks.join("<br>"),
                    st.rewritten.join("<br>"),
                    checks.join("<br>")
                );
            }
            out.push('\n');
            for h in &u.holds {
                let _ = writeln!(
                    out,
                    "- held **{}** on `{}` for **{}** (statement {} to the end of its transaction): blocks {}",
                    h.mode,
                    h.relation,
                    secs(h.seconds),
                    h.from_statement,
                    h.blocks
                );
            }
        }
        let _ = writeln!(out, "- rollback: {}", reversibility(&u.reversibility));
        if let Reversibility::Differences { differences, .. } = &u.reversibility {
            for d in differences {
                let _ = writeln!(out, "  - {}", md_escape(d));
            }
        }
        out.push('\n');
    }
    if let Some(d) = &r.drill {
        let _ = writeln!(
            out,
            "### Lock drill\n\nBlocker `{}` held open for up to {}: {}\n",
            d.blocker,
            secs(d.hold_seconds),
            d.outcome
        );
    }
    out
}

pub fn json(r: &TraceReport) -> String {
    serde_json::to_string_pretty(r).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
