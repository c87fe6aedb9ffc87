//! dbmate: one file, `-- migrate:up [transaction:false]` then `-- migrate:down`; several
//! up/down pairs per file are allowed. A transaction per section unless `transaction:false`.

use super::*;

pub fn units(ctx: &DirCtx<'_>) -> Vec<Unit> {
    let mut out = Vec::new();
    for f in ctx.files {
        let name = file_name(f);
        let text = ctx.text(f);
        // (offset of the marker line, is_up, transaction:false, end of the marker line)
        let mut markers = Vec::new();
        // lines that read like markers but are not (line span, meant up, why)
        let mut misses = Vec::new();
        for (off, line) in lines_with_offsets(&text) {
            let Some((is_up, opts)) = marker(line) else {
                if let Some((up, why)) = near_miss(line) {
                    misses.push((Span::new(off, off + line.len()), up, why));
                }
                continue;
            };
            let no_tx = opts.split_whitespace().any(|o| o == "transaction:false");
            markers.push((off, is_up, no_tx, off + line.len()));
        }
        // a file with no marker is not a dbmate migration, unless a line was meant to be one
        // (dbmate refuses it: linted whole as its up part)
        if markers.is_empty() && misses.is_empty() {
            continue;
        }
        let problems: Box<[MarkerProblem]> = misses
            .iter()
            .map(|(span, up, why)| {
                let line = text.get(span.start..span.end).unwrap_or("");
                miss_problem(f, *span, line, *up, why, &markers)
            })
            .collect();
        let mut ups = Vec::new();
        let mut downs = Vec::new();
        // each section whole, from its marker line: dbmate sends a section as one query string
        // (`Exec` of the section's text, lib/pq's simple query protocol)
        let (mut up_sections, mut down_sections) = (Vec::new(), Vec::new());
        let (mut up_no_tx, mut down_no_tx) = (false, false);
        for (k, (start, is_up, no_tx, body)) in markers.iter().enumerate() {
            let end = markers.get(k + 1).map_or(text.len(), |m| m.0);
            // down sections start at their marker line: findings about the down part point at it
            let from = if *is_up { *body } else { *start };
            let span = Span::new(from, end.max(from));
            let whole = Span::new(*start, end.max(*start));
            if *is_up {
                ups.push(span);
                up_sections.push(whole);
                up_no_tx |= no_tx;
            } else {
                downs.push(span);
                down_sections.push(whole);
                down_no_tx |= no_tx;
            }
        }
        // without a transaction a section of several statements is still one implicit
        // transaction (the string is one query): each section is a batch of its part
        let batches = |no_tx: bool, sections: Vec<Span>| if no_tx { sections } else { Vec::new() };
        let mode = |no_tx: bool| {
            if no_tx {
                (
                    TxMode::Autocommit,
                    "`transaction:false` on the marker: no BEGIN, but dbmate sends each section as one query string (one implicit transaction)".to_string(),
                )
            } else {
                (
                    TxMode::Transaction,
                    "dbmate wraps each section in a transaction".to_string(),
                )
            }
        };
        let down = if downs.is_empty() {
            Down::Missing {
                expected: format!("a `-- migrate:down` section in {}", ctx.rel(f)),
            }
        } else {
            let mut p = Part::sections(f.clone(), downs);
            p.tx = Some(mode(down_no_tx));
            p.batches = batches(down_no_tx, down_sections);
            Down::Part(p)
        };
        let (tx, reason) = mode(up_no_tx);
        let up = if markers.is_empty() {
            Part::file(f.clone())
        } else {
            let mut p = Part::sections(f.clone(), ups);
            p.batches = batches(up_no_tx, up_sections);
            p
        };
        let mut u = Unit::new(
            Layout::Dbmate,
            name.trim_end_matches(".sql").to_string(),
            ctx.rel(f),
            Some(up),
            down,
            tx,
            reason,
        );
        u.marker_problems = problems;
        out.push(u);
    }
    out
}

/// The section marker a line is, as dbmate matches it (`pkg/dbmate/migration.go`:
/// `^--\s*migrate:up(\s*$|\s+\S+)`, case as written, at the start of the line): whether it
/// opens an up section, and the options after it (`transaction:false`). Layout detection and
/// `units` both ask this.
pub fn marker(line: &str) -> Option<(bool, &str)> {
    let rest = line.strip_prefix("--")?.trim_start();
    let (is_up, opts) = match rest.strip_prefix("migrate:up") {
        Some(o) => (true, o),
        None => (false, rest.strip_prefix("migrate:down")?),
    };
    // the word ends there: nothing, or whitespace (then the options)
    (opts.is_empty() || opts.starts_with(char::is_whitespace)).then_some((is_up, opts))
}

/// A comment line that reads like a section marker but that dbmate's pattern does not match
/// (dbmate reads it as a comment): whether it was meant to open an up section, and why it is
/// not a marker. `None` for markers and for other lines.
pub fn near_miss(line: &str) -> Option<(bool, &'static str)> {
    if marker(line).is_some() {
        return None;
    }
    let t = line.trim_start();
    let after_dashes = t.strip_prefix("--")?;
    let body = after_dashes.trim_start_matches('-').trim_start();
    let word = strip_prefix_ignore_case(body, "migrate:")?.trim_start();
    let (up, rest) = match strip_prefix_ignore_case(word, "up") {
        Some(rest) => (true, rest),
        None => (false, strip_prefix_ignore_case(word, "down")?),
    };
    // `migrate:upgrade` is another word
    if rest.starts_with(|c: char| c.is_alphanumeric() || c == '_') {
        return None;
    }
    // after the word, what a marker line holds: nothing, options (`transaction:false`) or
    // stray punctuation; words of prose (`-- migrate: up to 10 rows`) make it a comment
    if rest
        .split(|c: char| c.is_whitespace() || c == ';' || c == ',')
        .any(|w| w.contains(|c: char| c.is_alphanumeric()) && !w.contains(':'))
    {
        return None;
    }
    let why = if t.len() != line.len() {
        "indented: dbmate reads a marker only at the start of a line"
    } else if after_dashes.starts_with('-') {
        "more than two dashes before it"
    } else if !body.starts_with("migrate:") {
        "dbmate matches `migrate:` in lower case only"
    } else if word.len() + "migrate:".len() != body.len() {
        "a space after `migrate:`"
    } else if !(word.starts_with("up") || word.starts_with("down")) {
        "dbmate matches `up` and `down` in lower case only"
    } else {
        "dbmate needs the end of the line or a space right after the marker"
    };
    Some((up, why))
}

/// The MC008 finding for a near-miss marker line; `markers`: the file's real markers (offset,
/// opens an up section, ...).
fn miss_problem(
    file: &Path,
    span: Span,
    line: &str,
    up: bool,
    why: &str,
    markers: &[(usize, bool, bool, usize)],
) -> MarkerProblem {
    let word = if up { "up" } else { "down" };
    let mut notes = vec![if markers.iter().any(|m| m.0 < span.start) {
        "dbmate reads it as a plain comment: the statements below it stay in the section above it (and so does migcheck)"
    } else {
        "dbmate reads it as a plain comment"
    }
    .to_string()];
    // the real up marker before the line, and the next one after it: dbmate v2 wants a down
    // marker between them
    let up_before = markers.iter().rev().find(|m| m.1 && m.0 < span.start);
    let next_up = markers
        .iter()
        .find(|m| m.1 && m.0 > span.start)
        .map_or(usize::MAX, |m| m.0);
    match up_before {
        None if !markers.iter().any(|m| m.1) => notes.push(
            "dbmate refuses the file: it has no `-- migrate:up` line (migcheck lints the whole file as the up migration)"
                .to_string(),
        ),
        Some(u) if !up && !markers.iter().any(|m| !m.1 && m.0 > u.0 && m.0 < next_up) => {
            notes.push(
                "dbmate v2.0 and later refuse the file: the up section above the line has no `-- migrate:down`"
                    .to_string(),
            )
        }
        _ => {}
    }
    MarkerProblem {
        file: file.to_path_buf(),
        span,
        message: format!(
            "dbmate does not read this line as a section marker: `{}`",
            line.trim()
        ),
        label: why.to_string(),
        help: format!("write the marker as `-- migrate:{word}` at the start of the line"),
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::marker;
    use crate::ir::Span;
    use crate::source::layout::{Down, TxMode};

    /// dbmate sends a section as one string: under `transaction:false` each section (from its
    /// marker line) is a batch of its part; in a transaction there are none.
    #[test]
    fn sections_without_a_transaction_are_batches() {
        let text =
            "-- migrate:up transaction:false\nSELECT 1;\nSELECT 2;\n-- migrate:down\nSELECT 3;\n";
        let units =
            crate::source::layout::one_file_units(super::units, "20240101000000_x.sql", text);
        let u = &units[0];
        assert_eq!(u.tx, TxMode::Autocommit);
        let down = text.find("-- migrate:down").expect("down marker");
        let up = u.up.as_ref().map(|p| p.batches.clone());
        assert_eq!(up, Some(vec![Span::new(0, down)]));
        match &u.down {
            Down::Part(p) => assert!(p.batches.is_empty(), "{:?}", p.batches),
            other => panic!("a down part: {other:?}"),
        }
    }

    /// Lines that read like markers but are not, with why; markers and other comments are not
    /// near misses.
    #[test]
    fn near_misses_are_the_marker_lines_dbmate_does_not_match() {
        use super::near_miss;
        let cases: &[(&str, Option<(bool, &str)>)] = &[
            ("  -- migrate:down", Some((false, "indented"))),
            ("\t-- migrate:up", Some((true, "indented"))),
            ("--- migrate:up", Some((true, "more than two dashes"))),
            ("-- Migrate:Down", Some((false, "`migrate:` in lower case"))),
            ("-- MIGRATE:UP", Some((true, "`migrate:` in lower case"))),
            ("-- migrate: down", Some((false, "a space after"))),
            (
                "-- migrate:Up",
                Some((true, "`up` and `down` in lower case")),
            ),
            (
                "-- migrate:down;",
                Some((false, "end of the line or a space")),
            ),
            ("-- migrate:up-now", None),
            // markers, and comments that are not about markers
            ("-- migrate:up", None),
            ("--migrate:down transaction:false", None),
            ("-- migrate:upgrade the table", None),
            ("-- migrate: up to 10 rows at a time", None),
            ("-- Migrate:Down the old column", None),
            (
                "--- migrate:up transaction:false",
                Some((true, "more than two dashes")),
            ),
            (
                "-- migrate:down;  ",
                Some((false, "end of the line or a space")),
            ),
            ("-- migrate:download", None),
            ("-- migrate the table up", None),
            ("SELECT 'migrate:up'", None),
            ("migrate:up", None),
        ];
        for (line, want) in cases {
            let got = near_miss(line);
            match (got, want) {
                (None, None) => {}
                (Some((up, why)), Some((want_up, want_why))) => {
                    assert_eq!(up, *want_up, "{line}");
                    assert!(why.contains(want_why), "{line}: {why}");
                }
                _ => panic!("{line}: {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn markers_are_matched_as_dbmate_matches_them() {
        let cases = [
            ("-- migrate:up", Some((true, ""))),
            ("--migrate:up", Some((true, ""))),
            ("-- migrate:down", Some((false, ""))),
            (
                "-- migrate:up transaction:false",
                Some((true, " transaction:false")),
            ),
            ("-- migrate:up  ", Some((true, "  "))),
            // dbmate reads these as comments (or SQL)
            ("  -- migrate:up", None),
            ("--- migrate:up", None),
            ("-- Migrate:Up", None),
            ("-- migrate:upgrade", None),
            ("-- migrate:up:x", None),
            ("-- see migrate:up", None),
            ("SELECT 1; -- migrate:up", None),
        ];
        for (line, want) in cases {
            assert_eq!(marker(line), want, "{line:?}");
        }
    }
}
