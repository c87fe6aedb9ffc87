//! The machine formats of `check`: concise, json-lines, sarif, github, gitlab, junit.

use std::fmt::Write as _;
use std::io::Write;

use serde_json::json;
use sha2::{Digest, Sha256};

use super::{Summary, summary_line};
use crate::engine::Finding;
use crate::rules::{self, Level};

/// A fingerprint that survives unrelated edits: rule, file and message (which names the table
/// and column), plus the occurrence number for identical findings. No line numbers.
pub fn fingerprints(findings: &[Finding]) -> Vec<String> {
    let mut seen: crate::fasthash::FastMap<String, usize> = Default::default();
    let mut key = String::new();
    findings
        .iter()
        .map(|f| {
            key.clear();
            let _ = write!(key, "{}\u{0}{}\u{0}{}", f.rule(), f.file, f.message);
            let n = match seen.get_mut(key.as_str()) {
                Some(n) => {
                    *n += 1;
                    *n
                }
                None => {
                    seen.insert(key.clone(), 1);
                    1
                }
            };
            let mut h = Sha256::new();
            h.update(key.as_bytes());
            h.update(n.to_string().as_bytes());
            crate::signoff::hex(&h.finalize())
        })
        .collect()
}

pub fn concise(w: &mut dyn Write, findings: &[Finding], summary: &Summary) -> std::io::Result<()> {
    for f in findings {
        writeln!(
            w,
            "{}:{}:{}: {}[{}] {}",
            f.file,
            f.line,
            f.column,
            f.level,
            f.rule(),
            f.message
        )?;
    }
    writeln!(w, "{}", summary_line(summary))
}

pub(super) fn gitlab_severity(l: Level) -> &'static str {
    match l {
        Level::Error => "blocker",
        Level::Danger => "critical",
        Level::Warning => "minor",
        Level::Info => "info",
    }
}

pub(super) fn sarif_level(l: Level) -> &'static str {
    match l {
        Level::Error | Level::Danger => "error",
        Level::Warning => "warning",
        Level::Info => "note",
    }
}

pub fn sarif(w: &mut dyn Write, findings: &[Finding]) -> std::io::Result<()> {
    let registry = rules::registry();
    let rules_json: Vec<serde_json::Value> = registry
        .iter()
        .map(|r| {
            json!({
                "id": r.meta.id,
                "name": r.meta.name,
                "shortDescription": {"text": r.meta.summary},
                "fullDescription": {"text": r.meta.summary},
                "help": {"text": r.meta.help, "markdown": rules::doc_body(r.meta.doc)},
                "defaultConfiguration": {"level": sarif_level(r.meta.level), "enabled": !r.meta.default_off},
                "properties": {"tags": ["postgresql", "migrations"], "migcheck-level": r.meta.level, "versions": r.meta.versions},
            })
        })
        .collect();
    let prints = fingerprints(findings);
    // written as serde_json's pretty printer would write the document `{"$schema", "runs":
    // [{"results": [...], "tool": {...}}], "version"}` (keys sorted), the results streamed
    w.write_all(
        b"{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n  \"runs\": [\n    {\n      \"results\": [",
    )?;
    super::json::in_chunks(w, findings, |out, i, f| {
        let index = registry
            .iter()
            .position(|r| r.meta.id == f.rule())
            .unwrap_or(0);
        out.extend_from_slice(if i == 0 {
            b"\n        "
        } else {
            b",\n        "
        });
        let fp = prints.get(i).map_or("", String::as_str);
        super::json::sarif_result(out, f, fp, u32::try_from(index).unwrap_or(0), 4);
    })?;
    let mut out = Vec::with_capacity(1 << 16);
    if !findings.is_empty() {
        out.extend_from_slice(b"\n      ");
    }
    out.extend_from_slice(b"],\n      \"tool\": ");
    let tool = json!({"driver": {
        "name": "migcheck",
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        "rules": rules_json,
    }});
    super::json::nested(&mut out, &tool, Some(3))?;
    out.extend_from_slice(b"\n    }\n  ],\n  \"version\": \"2.1.0\"\n}\n");
    w.write_all(&out)
}

/// GitHub workflow command escaping (actions/toolkit command.ts).
fn gh_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn gh_prop(s: &str) -> String {
    gh_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// At most this many annotations per kind (GitHub shows 10 per step and kind).
pub const GITHUB_ANNOTATIONS_PER_KIND: usize = 10;

pub fn github(w: &mut dyn Write, findings: &[Finding], summary: &Summary) -> std::io::Result<()> {
    let mut counts = [0usize; 3];
    let mut left = 0;
    // the most severe first, so the annotations GitHub shows are the ones that matter
    let mut order: Vec<&Finding> = findings.iter().collect();
    order.sort_by_key(|f| std::cmp::Reverse(f.level));
    for f in order {
        let (kind, slot) = match f.level {
            Level::Error | Level::Danger => ("error", 0),
            Level::Warning => ("warning", 1),
            Level::Info => ("notice", 2),
        };
        if counts[slot] >= GITHUB_ANNOTATIONS_PER_KIND {
            left += 1;
            continue;
        }
        counts[slot] += 1;
        let mut props = format!(
            "file={},line={},endLine={}",
            gh_prop(&f.file),
            f.line,
            f.end_line.max(f.line)
        );
        if f.end_line == f.line {
            props.push_str(&format!(
                ",col={},endColumn={}",
                f.column,
                f.end_column.max(f.column)
            ));
        }
        props.push_str(&format!(
            ",title={}",
            gh_prop(&format!("{} {} ({})", f.rule(), f.name(), f.level))
        ));
        writeln!(
            w,
            "::{kind} {props}::{}",
            gh_data(&format!("{}\nhelp: {}", f.message, f.help()))
        )?;
    }
    if left > 0 {
        writeln!(
            w,
            "::notice::{left} more finding(s) not annotated (GitHub shows {GITHUB_ANNOTATIONS_PER_KIND} per kind): see the job summary or the SARIF report"
        )?;
    }
    writeln!(w, "{}", summary_line(summary))?;
    if let Ok(path) = std::env::var("GITHUB_STEP_SUMMARY")
        && !path.is_empty()
    {
        let md = job_summary(findings, summary);
        if let Ok(mut file) = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&path)
        {
            file.write_all(md.as_bytes())?;
        }
    }
    Ok(())
}

/// The Markdown job summary, kept under GitHub's 1 MiB limit per step.
pub fn job_summary(findings: &[Finding], summary: &Summary) -> String {
    const LIMIT: usize = 900 * 1024;
    let mut md = format!("## migcheck\n\n{}\n\n", summary_line(summary));
    if findings.is_empty() {
        return md;
    }
    md.push_str("| level | rule | where | finding |\n|---|---|---|---|\n");
    for (k, f) in findings.iter().enumerate() {
        let row = format!(
            "| {} | `{}` {} | `{}:{}` | {} |\n",
            f.level,
            f.rule(),
            f.name(),
            f.file,
            f.line,
            f.message.replace('|', "\\|")
        );
        if md.len() + row.len() > LIMIT {
            md.push_str(&format!(
                "\n{} more finding(s) omitted to stay under GitHub's summary size limit.\n",
                findings.len() - k
            ));
            break;
        }
        md.push_str(&row);
    }
    md
}

pub fn gitlab(w: &mut dyn Write, findings: &[Finding]) -> std::io::Result<()> {
    let prints = fingerprints(findings);
    // as serde_json's pretty printer writes an array of the issues
    w.write_all(b"[")?;
    super::json::in_chunks(w, findings, |out, i, f| {
        out.extend_from_slice(if i == 0 { b"\n  " } else { b",\n  " });
        let fp = prints.get(i).map_or("", String::as_str);
        super::json::gitlab_issue(out, f, fp, 1);
    })?;
    let mut out = Vec::with_capacity(1 << 8);
    if !findings.is_empty() {
        out.push(b'\n');
    }
    out.extend_from_slice(b"]\n");
    w.write_all(&out)
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// JUnit XML: one test case per file; findings at danger or error level are failures.
pub fn junit(w: &mut dyn Write, findings: &[Finding], summary: &Summary) -> std::io::Result<()> {
    let mut files: Vec<&str> = findings.iter().map(|f| &*f.file).collect();
    files.dedup();
    let failures = findings.iter().filter(|f| f.level >= Level::Danger).count();
    writeln!(w, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        w,
        r#"<testsuites name="migcheck" tests="{}" failures="{failures}">"#,
        files.len()
    )?;
    writeln!(
        w,
        r#"  <testsuite name="migcheck" tests="{}" failures="{failures}">"#,
        files.len()
    )?;
    for file in files {
        writeln!(
            w,
            r#"    <testcase classname="migcheck" name="{}" file="{}">"#,
            xml(file),
            xml(file)
        )?;
        let mut out = String::new();
        for f in findings.iter().filter(|f| *f.file == *file) {
            let text = format!(
                "{}:{}:{}: {}[{}] {}\nhelp: {}",
                f.file,
                f.line,
                f.column,
                f.level,
                f.rule(),
                f.message,
                f.help()
            );
            if f.level >= Level::Danger {
                writeln!(
                    w,
                    r#"      <failure type="{}" message="{}">{}</failure>"#,
                    f.rule(),
                    xml(&f.message),
                    xml(&text)
                )?;
            } else {
                out.push_str(&text);
                out.push('\n');
            }
        }
        if !out.is_empty() {
            writeln!(w, "      <system-out>{}</system-out>", xml(&out))?;
        }
        writeln!(w, "    </testcase>")?;
    }
    writeln!(w, "  </testsuite>")?;
    writeln!(w, "</testsuites>")?;
    let _ = summary;
    Ok(())
}
