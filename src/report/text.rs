//! Human output with codespan-reporting: message, the primary label on the narrowest span,
//! then `help`, `note` and `see` lines.

use std::io::Write;

use codespan_reporting::diagnostic::{Diagnostic, Label, Severity};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::termcolor::{Ansi, ColorSpec, WriteColor};
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
    // only the files findings point into (codespan indexes each file's lines when it is added)
    let mut shown = vec![false; files.len()];
    for f in findings {
        if let Some(s) = shown.get_mut(f.file_index as usize) {
            *s = true;
        }
    }
    let mut db = SimpleFiles::new();
    let ids: Vec<Option<usize>> = files
        .iter()
        .zip(shown)
        .map(|(f, shown)| {
            shown.then(|| {
                db.add(
                    f.display.clone(),
                    f.source.as_ref().map_or("", |s| s.text.as_str()),
                )
            })
        })
        .collect();
    let config = Config::default();
    // each finding renders on its own, chunk by chunk in parallel, written in order (the
    // renderer is most of a run with thousands of findings)
    super::chunked(w, findings, RENDER_CHUNK, |out, _, f| {
        out.extend_from_slice(render(f, color, files, &ids, &db, &config)?.as_bytes());
        Ok(())
    })?;
    writeln!(w, "{}", summary_line(summary))?;
    Ok(())
}

/// Findings rendered per chunk (about a millisecond's work).
const RENDER_CHUNK: usize = 64;

/// Bytes reserved for one rendered finding (most take 500 to 1,500): the buffer is not
/// regrown write after write.
const RENDER_CAPACITY: usize = 2048;

/// One finding as codespan-reporting renders it.
fn render(
    f: &Finding,
    color: bool,
    files: &[LoadedFile],
    ids: &[Option<usize>],
    db: &SimpleFiles<std::sync::Arc<str>, &str>,
    config: &Config,
) -> std::io::Result<String> {
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
    match (
        f.span,
        ids.get(f.file_index as usize).copied().flatten(),
        source,
    ) {
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
                Label::primary(id, span.start..span.end).with_message(&f.label),
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
    let bytes = if color {
        let mut buf = Ansi::new(Vec::with_capacity(RENDER_CAPACITY));
        term::emit(&mut buf, config, db, &d).map_err(std::io::Error::other)?;
        buf.into_inner()
    } else {
        let mut buf = Plain(Vec::with_capacity(RENDER_CAPACITY));
        term::emit(&mut buf, config, db, &d).map_err(std::io::Error::other)?;
        buf.0
    };
    let mut text = String::from_utf8(bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
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
    Ok(text)
}

/// Uncoloured output: the renderer writes a few bytes at a time, and this writer does no more
/// than append them (termcolor's `Buffer` dispatches on its kind at every write).
struct Plain(Vec<u8>);

impl Write for Plain {
    #[inline]
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(b);
        Ok(b.len())
    }

    #[inline]
    fn write_all(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.0.extend_from_slice(b);
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl WriteColor for Plain {
    fn supports_color(&self) -> bool {
        false
    }

    fn set_color(&mut self, _: &ColorSpec) -> std::io::Result<()> {
        Ok(())
    }

    fn reset(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Whether to colour: `--color` beats `NO_COLOR`, which beats the TTY check.
pub fn use_color(choice: &str, is_tty: bool) -> bool {
    match choice {
        "always" => true,
        "never" => false,
        _ => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && is_tty,
    }
}
