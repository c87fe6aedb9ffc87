//! `migcheck report`: the DBA review, in Markdown (a PR comment, `$GITHUB_STEP_SUMMARY`) or one
//! self-contained HTML file. A summary a DBA can act on in a minute, then per migration every
//! statement with the locks it takes on which tables, what they block, rewrite/scan, the
//! estimated lock time with `--stats`, the findings with help and sign-off status, and the
//! rollback assessment.

use std::fmt::Write as _;

use super::{Summary, summary_line};
use crate::engine::{Finding, RunResult};
use crate::rules::Level;

/// GitHub's PR comment limit is 65,536 characters; keep a margin.
pub const MARKDOWN_LIMIT: usize = 60_000;

fn status(f: &Finding) -> String {
    match f.signoff.as_deref() {
        Some(crate::signoff::Status::Accepted {
            approver,
            date,
            reason,
        }) => format!("signed off by {approver} on {date}: {reason}"),
        Some(crate::signoff::Status::Stale { approver, date }) => {
            format!("**stale** sign-off by {approver} on {date} (changed since)")
        }
        Some(crate::signoff::Status::Expired {
            approver, expires, ..
        }) => format!("**expired** sign-off by {approver} ({expires})"),
        Some(crate::signoff::Status::NotAllowed { approver }) => {
            format!("**not allowed**: {approver} is not an approver")
        }
        None if f.level >= Level::Danger => "**needs sign-off**".to_string(),
        None => String::new(),
    }
}

/// With a version range, the statement tables show the lowest version (findings say per version).
fn range_note(summary: &Summary) -> Option<String> {
    let (low, _) = summary.pg_version.split_once("..")?;
    Some(format!(
        "Locks, rewrites and scans in the statement tables are those of PostgreSQL {low}, the lowest of the range; each finding says on which versions it applies."
    ))
}

/// Each finding under one migration: the unit with its id that holds its file, else the first
/// unit with its id (two directories in one report may both have `001_init`).
fn by_unit(r: &RunResult) -> Vec<Vec<&Finding>> {
    let mut out: Vec<Vec<&Finding>> = vec![Vec::new(); r.units.len()];
    for f in &r.findings {
        let same_id = || r.units.iter().position(|u| *u.id == *f.migration);
        let at = r
            .units
            .iter()
            .position(|u| *u.id == *f.migration && u.files.iter().any(|x| **x == *f.file))
            .or_else(same_id);
        if let Some(i) = at {
            out[i].push(f);
        }
    }
    out
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The summary; `max_rows` caps each list (the rest is counted, not shown).
fn summary_md(r: &RunResult, summary: &Summary, max_rows: usize) -> String {
    let mut md = String::from("# migcheck review\n\n");
    let _ = writeln!(md, "{}\n", summary_line(summary));
    if let Some(note) = range_note(summary) {
        let _ = writeln!(md, "_{note}_\n");
    }
    let open: Vec<&Finding> = r.findings.iter().filter(|f| f.fails()).collect();
    if open.is_empty() {
        md.push_str("**Nothing blocks this change.**\n\n");
    } else {
        let _ = writeln!(
            md,
            "**{} finding(s) need a fix or a DBA sign-off:**\n",
            open.len()
        );
        md.push_str("| level | rule | migration | where | finding |\n|---|---|---|---|---|\n");
        for f in open.iter().take(max_rows) {
            let _ = writeln!(
                md,
                "| {} | `{}` | {} | `{}:{}` | {} |",
                f.level,
                f.rule(),
                f.migration,
                f.file,
                f.line,
                md_escape(&f.message)
            );
        }
        if open.len() > max_rows {
            let _ = writeln!(md, "\n… and {} more.", open.len() - max_rows);
        }
        md.push('\n');
    }
    let signed: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| {
            matches!(
                f.signoff.as_deref(),
                Some(crate::signoff::Status::Accepted { .. })
            )
        })
        .collect();
    if !signed.is_empty() {
        md.push_str("Accepted by sign-off:\n\n");
        for f in signed.iter().take(max_rows) {
            let _ = writeln!(
                md,
                "- `{}` in {} ({}): {}",
                f.rule(),
                f.migration,
                f.file,
                status(f)
            );
        }
        if signed.len() > max_rows {
            let _ = writeln!(md, "- … and {} more", signed.len() - max_rows);
        }
        md.push('\n');
    }
    md
}

pub fn markdown(r: &RunResult, summary: &Summary) -> String {
    let mut md = summary_md(r, summary, usize::MAX);
    let per_unit = by_unit(r);
    for (u, findings) in r.units.iter().zip(per_unit) {
        let _ = writeln!(md, "## {}\n", u.id);
        let _ = writeln!(
            md,
            "- tool: {}; transaction: {} ({})",
            u.layout, u.transaction, u.transaction_reason
        );
        let _ = writeln!(
            md,
            "- files: {}",
            u.files
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let _ = writeln!(md, "- rollback: {}\n", rollback(u, &findings));
        if !u.statements.is_empty() {
            md.push_str("| part | line | statement | lock (table) | blocks | rewrite / scan | est. lock time |\n|---|---|---|---|---|---|---|\n");
            for s in &u.statements {
                if s.effects.is_empty() {
                    let _ = writeln!(
                        md,
                        "| {} | {} | `{}` | — | — | — | — |",
                        s.direction,
                        s.line,
                        md_escape(&s.sql)
                    );
                }
                for e in &s.effects {
                    let lock = e
                        .lock
                        .clone()
                        .map(|l| {
                            format!(
                                "{l} (`{}`{})",
                                e.table,
                                if e.existed { "" } else { ", new" }
                            )
                        })
                        .unwrap_or_else(|| "—".into());
                    let rw = match (e.rewrites, e.scans) {
                        (true, _) => "rewrite",
                        (false, true) => "scan",
                        _ => "—",
                    };
                    let _ = writeln!(
                        md,
                        "| {} | {} | `{}` | {} | {} | {} | {} |",
                        s.direction,
                        s.line,
                        md_escape(&s.sql),
                        lock,
                        md_escape(&e.blocks),
                        rw,
                        e.estimate.clone().unwrap_or_else(|| "—".into())
                    );
                }
            }
            md.push('\n');
        }
        for f in &findings {
            let _ = writeln!(
                md,
                "- **{}** `{}` {} (`{}:{}`): {}",
                f.level,
                f.rule(),
                f.name(),
                f.file,
                f.line,
                md_escape(&f.message)
            );
            let _ = writeln!(md, "  - help: {}", md_escape(f.help()));
            for n in &f.notes {
                let _ = writeln!(md, "  - {}", md_escape(n));
            }
            let st = status(f);
            if !st.is_empty() {
                let _ = writeln!(md, "  - sign-off: {st}");
            }
        }
        md.push('\n');
    }
    if md.len() <= MARKDOWN_LIMIT {
        return md;
    }
    let note = format!(
        "_The full report ({} KB) is over the size a PR comment allows: run `migcheck report --format html -o review.html` for every statement._\n",
        md.len() / 1024
    );
    // the summary alone, with as many rows as fit
    let mut rows = usize::MAX;
    loop {
        let mut short = summary_md(r, summary, rows);
        if short.len() + note.len() <= MARKDOWN_LIMIT || rows == 0 {
            short.push_str(&note);
            return short;
        }
        rows = if rows == usize::MAX {
            r.findings.len() / 2
        } else {
            rows / 2
        };
    }
}

fn rollback(u: &crate::engine::UnitReport, findings: &[&Finding]) -> String {
    let down_problems: Vec<String> = findings
        .iter()
        .filter(|f| matches!(f.rule(), "MC020" | "MC021" | "MC022"))
        .map(|f| format!("{} ({})", f.name(), f.rule()))
        .collect();
    if down_problems.is_empty() {
        u.down.clone()
    } else {
        format!("{}; **{}**", u.down, down_problems.join(", "))
    }
}

fn h(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `h`, with the Markdown the messages use rendered: `code` spans and **strong** text.
fn hm(s: &str) -> String {
    fn pairs(s: &str, mark: &str, open: &str, close: &str) -> String {
        let parts: Vec<&str> = s.split(mark).collect();
        if parts.len() < 3 {
            return s.to_string();
        }
        let mut out = String::new();
        let paired = if parts.len() % 2 == 1 {
            parts.len()
        } else {
            parts.len() - 1
        };
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                out.push_str(if i >= paired {
                    mark
                } else if i % 2 == 1 {
                    open
                } else {
                    close
                });
            }
            out.push_str(p);
        }
        out
    }
    let e = h(s);
    let e = pairs(&e, "**", "<strong>", "</strong>");
    pairs(&e, "`", "<code>", "</code>")
}

/// A self-contained HTML page (inline CSS, no external assets), readable and printable.
pub fn html(r: &RunResult, summary: &Summary) -> String {
    let mut o = String::from(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>migcheck review</title><style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#1b1f24;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.2rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;margin:.6rem 0}th,td{border:1px solid #d0d7de;padding:.3rem .5rem;vertical-align:top;text-align:left}
th{background:#f6f8fa}code{font:12px ui-monospace,monospace;background:#f6f8fa;padding:0 .2rem}
.error,.danger{color:#b42318;font-weight:600}.warning{color:#9a6700;font-weight:600}.info{color:#57606a}
.ok{color:#1a7f37;font-weight:600}.muted{color:#57606a}ul{margin:.3rem 0}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}table{break-inside:auto}tr{break-inside:avoid}}
</style></head><body>
<h1>migcheck review</h1>
"#,
    );
    let _ = writeln!(o, "<p>{}</p>", h(&summary_line(summary)));
    if let Some(note) = range_note(summary) {
        let _ = writeln!(o, "<p class=\"muted\">{}</p>", h(&note));
    }
    let open: Vec<&Finding> = r.findings.iter().filter(|f| f.fails()).collect();
    if open.is_empty() {
        o.push_str("<p class=\"ok\">Nothing blocks this change.</p>\n");
    } else {
        let _ = writeln!(
            o,
            "<p><strong>{} finding(s) need a fix or a DBA sign-off</strong></p><table><tr><th>level</th><th>rule</th><th>migration</th><th>where</th><th>finding</th></tr>",
            open.len()
        );
        for f in &open {
            let _ = writeln!(
                o,
                "<tr><td class=\"{}\">{}</td><td><code>{}</code></td><td>{}</td><td><code>{}:{}</code></td><td>{}</td></tr>",
                f.level,
                f.level,
                f.rule(),
                h(&f.migration),
                h(&f.file),
                f.line,
                hm(&f.message)
            );
        }
        o.push_str("</table>\n");
    }
    let per_unit = by_unit(r);
    for (u, findings) in r.units.iter().zip(per_unit) {
        let _ = writeln!(
            o,
            "<h2>{}</h2><p class=\"muted\">tool: {} · transaction: {} ({}) · files: {}</p><p>rollback: {}</p>",
            h(&u.id),
            h(&u.layout),
            h(&u.transaction),
            h(&u.transaction_reason),
            h(&u.files.join(", ")),
            hm(&rollback(u, &findings))
        );
        if !u.statements.is_empty() {
            o.push_str("<table><tr><th>part</th><th>line</th><th>statement</th><th>lock (table)</th><th>blocks</th><th>rewrite / scan</th><th>est. lock time</th></tr>\n");
            for s in &u.statements {
                let rows: Vec<String> = if s.effects.is_empty() {
                    vec!["<td>—</td><td>—</td><td>—</td><td>—</td>".into()]
                } else {
                    s.effects
                        .iter()
                        .map(|e| {
                            format!(
                                "<td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
                                e.lock
                                    .clone()
                                    .map(|l| format!(
                                        "{l} (<code>{}</code>{})",
                                        h(&e.table),
                                        if e.existed { "" } else { ", new" }
                                    ))
                                    .unwrap_or_else(|| "—".into()),
                                h(&e.blocks),
                                if e.rewrites {
                                    "rewrite"
                                } else if e.scans {
                                    "scan"
                                } else {
                                    "—"
                                },
                                h(&e.estimate.clone().unwrap_or_else(|| "—".into()))
                            )
                        })
                        .collect()
                };
                for row in rows {
                    let _ = writeln!(
                        o,
                        "<tr><td>{}</td><td>{}</td><td><code>{}</code></td>{row}</tr>",
                        s.direction,
                        s.line,
                        h(&s.sql)
                    );
                }
            }
            o.push_str("</table>\n");
        }
        if !findings.is_empty() {
            o.push_str("<ul>\n");
            for f in findings {
                let _ = write!(
                    o,
                    "<li><span class=\"{}\">{}</span> <code>{}</code> {} (<code>{}:{}</code>): {}<ul><li>help: {}</li>",
                    f.level,
                    f.level,
                    f.rule(),
                    h(f.name()),
                    h(&f.file),
                    f.line,
                    hm(&f.message),
                    hm(f.help())
                );
                for n in &f.notes {
                    let _ = write!(o, "<li>{}</li>", hm(n));
                }
                let st = status(f);
                if !st.is_empty() {
                    let _ = write!(o, "<li>sign-off: {}</li>", hm(&st));
                }
                o.push_str("</ul></li>\n");
            }
            o.push_str("</ul>\n");
        }
    }
    o.push_str("</body></html>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Finding;

    fn finding(i: usize) -> Finding {
        Finding {
            meta: crate::rules::find("MC010").expect("MC010 exists"),
            level: Level::Danger,
            file: format!("db/{i:04}_migration.up.sql").into(),
            file_index: 0,
            span: None,
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 2,
            message: "x".repeat(200).into(),
            label: "".into(),
            own_help: Some("".into()),
            notes: Vec::new(),
            versions: None,
            migration: format!("{i:04}_migration").into(),
            statement: Some(1),
            hashes: None,
            signoff: None,
        }
    }

    #[test]
    fn html_renders_the_markdown_of_messages() {
        assert_eq!(
            hm("adding `a<b>` to `t`: **needs sign-off** `x"),
            "adding <code>a&lt;b&gt;</code> to <code>t</code>: <strong>needs sign-off</strong> `x"
        );
        assert_eq!(hm("no marks"), "no marks");
    }

    #[test]
    fn markdown_over_the_limit_falls_back_to_a_summary_that_fits() {
        let r = RunResult {
            findings: (0..2_000).map(finding).collect(),
            ..RunResult::default()
        };
        let s = crate::report::summarize(
            &r.findings,
            &r.stats,
            crate::pg::PgRange::single(crate::pg::PgVersion::default_target()),
            false,
        );
        let md = markdown(&r, &s);
        assert!(md.len() <= MARKDOWN_LIMIT, "{}", md.len());
        assert!(md.contains("2000 finding(s) need a fix"));
        assert!(md.contains("more."), "the rows left out are counted");
        assert!(md.contains("--format html"));
    }
}
