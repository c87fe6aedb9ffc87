//! Human output with codespan-reporting: message, the primary label on the narrowest span,
//! then `help`, `note` and `see` lines.

use std::io::Write;

use codespan_reporting::diagnostic::{Diagnostic, Label, Severity};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::termcolor::Buffer;
use codespan_reporting::term::{self, Config};

use super::{Summary, summary_line};
use crate::engine::{Finding, LoadedFile};
use crate::rules::Level;

/// Lines longer than this (in bytes) are not shown in a snippet; the location is given instead.
const MAX_SNIPPET_LINE: usize = 1000;

pub fn write(
    w: &mut dyn Write,
    color: bool,
    files: &[LoadedFile],
    findings: &[Finding],
    summary: &Summary,
) -> std::io::Result<()> {
    let mut db = SimpleFiles::new();
    let ids: Vec<usize> = files
        .iter()
        .map(|f| {
            db.add(
                f.display.clone(),
                f.source.as_ref().map_or(String::new(), |s| s.text.clone()),
            )
        })
        .collect();
    let config = Config::default();
    for f in findings {
        let severity = match f.level {
            Level::Error | Level::Danger => Severity::Error,
            Level::Warning => Severity::Warning,
            Level::Info => Severity::Note,
        };
        let mut d = Diagnostic::new(severity)
            .with_code(f.rule())
            .with_message(&f.message);
        let mut notes = Vec::new();
        let source = files
            .get(f.file_index as usize)
            .and_then(|x| x.source.as_ref());
        match (f.span, ids.get(f.file_index as usize), source) {
            // a snippet prints its lines whole: one of a megabyte would be printed per finding
            (Some(span), Some(_), Some(src))
                if [span.start, span.end]
                    .iter()
                    .any(|&at| src.line_bounds(at).len() > MAX_SNIPPET_LINE) =>
            {
                notes.push(format!(
                    "at: {}:{}:{} (the line is too long to show)",
                    f.file, f.line, f.column
                ));
            }
            (Some(span), Some(id), Some(_)) => {
                d = d.with_labels(vec![
                    Label::primary(*id, span.start..span.end).with_message(&f.label),
                ]);
            }
            _ => notes.push(format!("in: {}", f.file)),
        }
        notes.push(format!("help: {}", f.help()));
        notes.extend(f.notes.iter().map(|n| format!("note: {n}")));
        if let Some(v) = f.verdict() {
            notes.push(format!("versions: {v}"));
        }
        notes.push(format!(
            "see: {} (`migcheck explain {}`)",
            f.doc(),
            f.rule()
        ));
        d = d.with_notes(notes);
        let mut buf = if color {
            Buffer::ansi()
        } else {
            Buffer::no_color()
        };
        term::emit(&mut buf, &config, &db, &d).map_err(std::io::Error::other)?;
        let mut text = String::from_utf8_lossy(buf.as_slice()).into_owned();
        // codespan-reporting has no "danger" severity: it renders as `error[MCxxx]`, which is
        // rewritten here (the word sits inside one colour span, so escapes are unaffected).
        let shown = match f.level {
            Level::Danger => Some(("error[", "danger[")),
            Level::Info => Some(("note[", "info[")),
            _ => None,
        };
        if let Some((from, to)) = shown {
            text = text.replacen(from, to, 1);
        }
        w.write_all(text.as_bytes())?;
    }
    writeln!(w, "{}", summary_line(summary))?;
    Ok(())
}

/// Whether to colour: `--color` beats `NO_COLOR`, which beats the TTY check.
pub fn use_color(choice: &str, is_tty: bool) -> bool {
    match choice {
        "always" => true,
        "never" => false,
        _ => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && is_tty,
    }
}
