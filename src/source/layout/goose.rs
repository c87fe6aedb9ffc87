//! goose: one file per migration, `-- +goose Up` / `-- +goose Down` sections, a transaction per
//! migration unless `-- +goose NO TRANSACTION` appears anywhere (case-insensitive).

use super::*;

pub fn units(ctx: &DirCtx<'_>) -> Vec<Unit> {
    let mut out = Vec::new();
    for f in ctx.files {
        let name = file_name(f);
        if leading_digits(&name).is_empty() {
            continue;
        }
        let text = ctx.text(f);
        // spans are relative to the BOM-less text, like the engine's (read_text drops the BOM)
        let goose = sent(&text);
        let (up_start, down_start, no_tx) = (goose.up, goose.down, goose.no_tx);
        let mut problems: Vec<MarkerProblem> = goose
            .refused_lines
            .into_iter()
            .map(|(span, why, opened)| {
                let line = text.get(span.start..span.end).unwrap_or("");
                refused_problem(f, span, line, why, opened)
            })
            .collect();
        // not a goose migration, unless a line was meant to be an annotation (goose refuses
        // the file: linted whole as its up part)
        if up_start.is_none() && down_start.is_none() && problems.is_empty() {
            continue;
        }
        // goose stops at the first line it refuses: a refused annotation line above it is
        // the one reported
        if let Some((span, message, label, help)) = goose.refused
            && !problems
                .iter()
                .any(|p: &MarkerProblem| p.span.start < span.start)
        {
            problems.push(MarkerProblem {
                file: f.clone(),
                span,
                message,
                label,
                help,
                notes: vec![
                    "goose reads the file before it runs a statement: none of them runs"
                        .to_string(),
                ],
            });
        }
        let end = text.len();
        let up_from = up_start.unwrap_or(0);
        let up_to = down_start.unwrap_or(end).max(up_from);
        // each string goose sends runs with `db.ExecContext` without arguments (the simple
        // query protocol with lib/pq and pgx): under NO TRANSACTION a string of several
        // statements is one implicit transaction (a batch); in a transaction it changes nothing
        let part = |from: usize, to: usize| {
            let mut p = Part::sections(f.clone(), vec![Span::new(from, to)]);
            p.sent = goose
                .strings
                .iter()
                .filter(|b| from <= b.start && b.end <= to)
                .copied()
                .collect();
            if no_tx {
                p.batches = p.sent.clone();
            }
            p
        };
        let up = part(up_from, up_to);
        let down = match down_start {
            // the section starts at the marker line: findings about the down part point at it
            Some(d) => Down::Part(part(d, end)),
            None => Down::Missing {
                expected: format!("a `-- +goose Down` section in {}", ctx.rel(f)),
            },
        };
        let (tx, reason) = if no_tx {
            (
                TxMode::Autocommit,
                "`-- +goose NO TRANSACTION`: no BEGIN; each string goose sends (a statement, or a StatementBegin/StatementEnd block) runs on its own",
            )
        } else {
            (
                TxMode::Transaction,
                "goose wraps each migration in a transaction",
            )
        };
        let mut u = Unit::new(
            Layout::Goose,
            name.trim_end_matches(".sql").to_string(),
            ctx.rel(f),
            Some(up),
            down,
            tx,
            reason,
        );
        u.marker_problems = problems.into();
        out.push(u);
    }
    out
}

/// goose's parser states (`internal/sqlparser/parser.go`, `stateMachine`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    Up,
    BeginUp,
    EndUp,
    Down,
    BeginDown,
    EndDown,
}

/// What goose makes of a file, read line by line as its parser reads it (v3.19 and later).
#[derive(Debug, Default, PartialEq)]
pub struct Sent {
    /// Each string goose sends to the server, from the start of its first line to the end of
    /// its last, in file order (both directions): the lines up to one whose last word (before
    /// a `--` comment) ends with `;`, or a StatementBegin/StatementEnd block.
    pub strings: Vec<Span>,
    /// The first line goose stops at (it refuses the migration), and why: (line, message,
    /// label, help). Refused annotation lines are not among them (`refused`).
    pub refused: Option<(Span, String, String, String)>,
    /// The end of the first `-- +goose Up` line (where the up section starts).
    pub up: Option<usize>,
    /// The start of the first `-- +goose Down` line (where the down section starts).
    pub down: Option<usize>,
    /// `-- +goose NO TRANSACTION` anywhere.
    pub no_tx: bool,
    /// Lines goose checks as annotations and refuses (`refused`), and whether a section was
    /// opened above each.
    pub refused_lines: Vec<(Span, Refusal, bool)>,
}

/// goose's `endsWithSemicolon`: the last whitespace-separated word before one starting with
/// `--` ends with `;`.
fn ends_with_semicolon(line: &str) -> bool {
    // most lines hold no `--`: their last word is the end of the line
    let bytes = line.as_bytes();
    if !memchr::memchr_iter(b'-', bytes).any(|i| bytes.get(i + 1) == Some(&b'-')) {
        return line.trim_end().ends_with(';');
    }
    line.split_whitespace()
        .take_while(|w| !w.starts_with("--"))
        .last()
        .is_some_and(|w| w.ends_with(';'))
}

/// The strings goose sends for `text`, and the first reason it refuses it: its parser's
/// states and buffer, line by line. A refused annotation line (`refused`) is read as a comment
/// (what migcheck does with it).
pub fn sent(text: &str) -> Sent {
    use State::*;
    let mut out = Sent::default();
    let refuse = |out: &mut Sent, span: Span, message: &str, label: &str, help: &str| {
        if out.refused.is_none() {
            out.refused = Some((span, message.into(), label.into(), help.into()));
        }
    };
    let mut state = Start;
    // the statement being buffered (from its first line to its last), and whether it holds
    // more than whitespace
    let mut buf: Option<Span> = None;
    let mut blank = true;
    // the last StatementBegin line
    let mut begin = Span::new(0, 0);
    // (goose reads only the section it runs: an unended statement stops that direction)
    let not_ended = |down: bool| {
        if down {
            "goose refuses to run this migration down: the statement is not ended"
        } else {
            "goose refuses to run this migration up: the statement is not ended"
        }
    };
    let not_ended_label = "goose ends a statement only at a line whose last word ends with `;`";
    let not_ended_help =
        "end the statement's last line with `;` (a `--` comment after it needs a space before it)";
    for (off, line) in lines_with_offsets(text) {
        let here = Span::new(off, off + line.len());
        if state == Start && line.trim().is_empty() {
            continue;
        }
        // (only a comment line can be an annotation: most lines are not)
        let comment = line.trim_start().starts_with("--");
        let annotated = comment.then(|| annotation(line)).flatten();
        match annotated {
            Some(Annotation::Up) if out.up.is_none() => out.up = Some(off + line.len()),
            Some(Annotation::Down) if out.down.is_none() => out.down = Some(off),
            Some(Annotation::NoTransaction) => out.no_tx = true,
            None if comment => {
                if let Some(why) = refused(line) {
                    let opened = out.up.is_some() || out.down.is_some();
                    out.refused_lines.push((here, why, opened));
                }
            }
            _ => {}
        }
        match annotated {
            Some(Annotation::Up) => {
                if state == Start {
                    state = Up;
                } else {
                    refuse(
                        &mut out,
                        here,
                        "goose refuses this migration: a second `-- +goose Up`",
                        "goose allows one Up annotation per file",
                        "remove it: the statements below it belong to the up section above",
                    );
                }
                continue;
            }
            Some(Annotation::Down) => {
                match state {
                    Up | EndUp => {
                        if let Some(b) = buf.take()
                            && !blank
                        {
                            refuse(
                                &mut out,
                                b,
                                not_ended(false),
                                not_ended_label,
                                not_ended_help,
                            );
                        }
                        blank = true;
                        state = Down;
                    }
                    Start => refuse(
                        &mut out,
                        here,
                        "goose refuses this migration: `-- +goose Down` before `-- +goose Up`",
                        "goose reads a Down section only after the Up section",
                        "put the up section, `-- +goose Up` and its statements, first",
                    ),
                    BeginUp | BeginDown => {
                        refuse(
                            &mut out,
                            here,
                            "goose refuses this migration: `-- +goose Down` inside a StatementBegin block",
                            "no `-- +goose StatementEnd` above it closes the block",
                            "add `-- +goose StatementEnd` after the block's last statement",
                        );
                        state = Down;
                    }
                    Down | EndDown => refuse(
                        &mut out,
                        here,
                        "goose refuses this migration: a second `-- +goose Down`",
                        "goose allows one Down annotation per file",
                        "remove it: the statements below it belong to the down section above",
                    ),
                }
                continue;
            }
            Some(Annotation::StatementBegin) => {
                match state {
                    Up | EndUp => state = BeginUp,
                    Down | EndDown => state = BeginDown,
                    Start => refuse(
                        &mut out,
                        here,
                        "goose refuses this migration: `-- +goose StatementBegin` before `-- +goose Up`",
                        "a block must stand in the Up or Down section",
                        "put `-- +goose Up` above it",
                    ),
                    BeginUp | BeginDown => refuse(
                        &mut out,
                        here,
                        "goose refuses this migration: `-- +goose StatementBegin` inside another block",
                        "no `-- +goose StatementEnd` above it closes the block before",
                        "add `-- +goose StatementEnd` after the earlier block's last statement",
                    ),
                }
                begin = here;
                continue;
            }
            Some(Annotation::StatementEnd) => match state {
                BeginUp => state = EndUp,
                BeginDown => state = EndDown,
                _ => {
                    refuse(
                        &mut out,
                        here,
                        "goose refuses this migration: `-- +goose StatementEnd` without a StatementBegin",
                        "no `-- +goose StatementBegin` above it opens a block",
                        "add `-- +goose StatementBegin` before the block's first statement, or remove this line",
                    );
                    continue;
                }
            },
            Some(_) => continue,
            None => {}
        }
        // (a StatementEnd line goes on here, like in goose: it ends the block's statement)
        if buf.is_none() && (comment || line.is_empty()) {
            continue;
        }
        if state == Start {
            refuse(
                &mut out,
                here,
                "goose refuses this migration: SQL before `-- +goose Up`",
                "goose reads statements only in the Up and Down sections",
                "put `-- +goose Up` above the first statement",
            );
            continue;
        }
        if !matches!(state, EndUp | EndDown) {
            buf = Some(buf.map_or(here, |b| b.cover(here)));
            if blank {
                blank = line.trim().is_empty();
            }
        }
        let end_here = match state {
            Up | Down => ends_with_semicolon(line),
            EndUp => {
                state = Up;
                true
            }
            EndDown => {
                state = Down;
                true
            }
            _ => false,
        };
        if end_here {
            if let Some(b) = buf.take() {
                out.strings.push(b);
            }
            blank = true;
        }
    }
    match state {
        BeginUp | BeginDown => refuse(
            &mut out,
            begin,
            "goose refuses this migration: no `-- +goose StatementEnd` after this StatementBegin",
            "the block is never closed",
            "add `-- +goose StatementEnd` after the block's last statement",
        ),
        _ => {
            if let Some(b) = buf
                && !blank
            {
                refuse(
                    &mut out,
                    b,
                    not_ended(matches!(state, Down | EndDown)),
                    not_ended_label,
                    not_ended_help,
                );
            }
        }
    }
    out
}

/// A goose annotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Annotation {
    Up,
    Down,
    StatementBegin,
    StatementEnd,
    NoTransaction,
    EnvsubOn,
    EnvsubOff,
}

/// The annotation a line is, as goose reads it (`internal/sqlparser/parser.go`): a comment line
/// holding `+goose`; every `--` and the first `+goose` taken out, the rest trimmed and compared
/// ignoring case (`-- +goose Up`, `--+goose up`, `-- +goose NO TRANSACTION`). `None` for any
/// other line, and for lines goose refuses (leading whitespace, an unknown word, a second
/// `+goose`): older goose read those as plain comments. Layout detection and `units` both ask
/// this.
pub fn annotation(line: &str) -> Option<Annotation> {
    if !is_annotation_line(line) || line.starts_with([' ', '\t']) {
        return None;
    }
    let cmd = line.replace("--", "");
    let cmd = cmd.replacen("+goose", "", 1);
    if cmd.contains("+goose") {
        return None;
    }
    let cmd = cmd.trim();
    [
        ("Up", Annotation::Up),
        ("Down", Annotation::Down),
        ("StatementBegin", Annotation::StatementBegin),
        ("StatementEnd", Annotation::StatementEnd),
        ("NO TRANSACTION", Annotation::NoTransaction),
        ("ENVSUB ON", Annotation::EnvsubOn),
        ("ENVSUB OFF", Annotation::EnvsubOff),
    ]
    .into_iter()
    .find(|(word, _)| cmd.eq_ignore_ascii_case(word))
    .map(|(_, a)| a)
}

/// A line goose takes for an annotation and checks: a comment (after leading whitespace)
/// holding `+goose`.
fn is_annotation_line(line: &str) -> bool {
    // (a `memmem::find` per line built its searcher each time: 1 % of a run over real
    // folders, where every comment line of every file is asked)
    let b = line.as_bytes();
    line.trim_start().starts_with("--")
        && memchr::memchr_iter(b'+', b).any(|p| b[p..].starts_with(b"+goose"))
}

/// Why goose (v3.19 and later) refuses a line it checks as an annotation; `None` for an
/// annotation and for lines it does not check.
pub fn refused(line: &str) -> Option<Refusal> {
    if !is_annotation_line(line) || annotation(line).is_some() {
        return None;
    }
    if line.starts_with([' ', '\t']) {
        return Some(Refusal::Indented);
    }
    let cmd = line.replace("--", "").replacen("+goose", "", 1);
    if cmd.contains("+goose") {
        return Some(Refusal::TwoAnnotations);
    }
    let cmd = cmd.trim();
    if cmd.is_empty() {
        return Some(Refusal::Empty);
    }
    // a comment that mentions `+goose` somewhere after its start
    if !line
        .trim_start_matches(['-', ' ', '\t'])
        .starts_with("+goose")
    {
        return Some(Refusal::Comment);
    }
    Some(Refusal::Unknown(cmd.to_string()))
}

/// Why goose refuses an annotation line (`internal/sqlparser/parser.go`, `extractAnnotation`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Leading spaces or tabs.
    Indented,
    /// `+goose` twice on the line.
    TwoAnnotations,
    /// `-- +goose` and nothing else.
    Empty,
    /// An ordinary comment that mentions `+goose` (goose checks it as an annotation all the same).
    Comment,
    /// A word that is not an annotation (`Upgrade`, `down migration`).
    Unknown(String),
}

const ANNOTATIONS: &str =
    "Up, Down, StatementBegin, StatementEnd, NO TRANSACTION, ENVSUB ON, ENVSUB OFF";

/// The MC008 finding for a refused line; `opened`: a section begins above it.
fn refused_problem(
    file: &Path,
    span: Span,
    line: &str,
    why: Refusal,
    opened: bool,
) -> MarkerProblem {
    let (label, help) = match &why {
        Refusal::Indented => (
            "indented: goose accepts an annotation only at the start of the line".to_string(),
            format!("start the line with `--`: `{}`", line.trim_start()),
        ),
        Refusal::TwoAnnotations => (
            "`+goose` twice on one line".to_string(),
            "put each annotation on a line of its own".to_string(),
        ),
        Refusal::Empty => (
            "`+goose` names no annotation".to_string(),
            format!(
                "name one of goose's annotations ({ANNOTATIONS}), or drop `+goose` from the comment"
            ),
        ),
        Refusal::Comment => (
            "goose reads every comment holding `+goose` as an annotation".to_string(),
            "reword the comment without `+goose`".to_string(),
        ),
        Refusal::Unknown(cmd) => (
            format!("`{cmd}` is not a goose annotation"),
            format!(
                "use one of goose's annotations ({ANNOTATIONS}); a plain comment must not hold `+goose`"
            ),
        ),
    };
    let mut notes = vec![
        "goose v3.19 and later stop the migration at this line (\"failed to parse annotation line\"): nothing of it runs".to_string(),
    ];
    // older goose matched `+goose Up` etc. exactly after the `--` and read any other line as
    // a comment (an indented annotation too): what the line was meant to do does not happen
    let meant = match &why {
        Refusal::Indented => annotation(line.trim_start()),
        _ => None,
    };
    notes.push(match meant {
        Some(Annotation::Up | Annotation::Down) if opened => {
            "goose before v3.19 reads it as a plain comment: the statements below it stay in the section above it (and so does migcheck)"
        }
        Some(Annotation::Up | Annotation::Down) => {
            "goose before v3.19 reads it as a plain comment, then stops at the first statement: it stands in no section (migcheck checks the file as the up migration)"
        }
        Some(Annotation::StatementBegin | Annotation::StatementEnd) => {
            "goose before v3.19 reads it as a plain comment: no statement block begins or ends there"
        }
        Some(Annotation::NoTransaction) => {
            "goose before v3.19 reads it as a plain comment: the migration runs in a transaction (as migcheck assumes)"
        }
        Some(Annotation::EnvsubOn | Annotation::EnvsubOff) => {
            "goose before v3.19 reads it as a plain comment: variable substitution is not switched there"
        }
        None => "goose before v3.19 reads it as a plain comment (and so does migcheck)",
    }
    .to_string());
    MarkerProblem {
        file: file.to_path_buf(),
        span,
        message: format!("goose refuses this annotation line: `{}`", line.trim()),
        label,
        help,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::{Annotation, Refusal, annotation, refused};

    /// The lines goose v3.19+ refuses, with why; annotations and lines goose does not check
    /// are not refused.
    #[test]
    fn refused_lines_are_the_annotation_lines_goose_rejects() {
        let unknown = |w: &str| Some(Refusal::Unknown(w.to_string()));
        let cases: &[(&str, Option<Refusal>)] = &[
            ("  -- +goose Down", Some(Refusal::Indented)),
            ("\t-- +goose Up", Some(Refusal::Indented)),
            ("-- +goose Up -- +goose Down", Some(Refusal::TwoAnnotations)),
            ("-- +goose", Some(Refusal::Empty)),
            ("-- +goose Upgrade", unknown("Upgrade")),
            ("-- see the +goose docs", Some(Refusal::Comment)),
            ("-- note: +goose Up is below", Some(Refusal::Comment)),
            (
                "-- +goose Down -- expect: MC021",
                unknown("Down  expect: MC021"),
            ),
            // annotations (any case, `--` anywhere removed) and lines goose does not check
            ("-- +goose Up", None),
            ("--+goose down", None),
            ("-- +goose NO TRANSACTION", None),
            ("---- +goose StatementBegin --", None),
            ("SELECT '+goose Down';", None),
            ("-- a plain comment", None),
            ("-- +GOOSE Up", None),
        ];
        for (line, want) in cases {
            assert_eq!(&refused(line), want, "{line}");
        }
    }
    use crate::ir::Span;
    use crate::source::layout::{Down, TxMode};

    /// The sections of one goose file, found from its `+goose` lines (CRLF line breaks, a line
    /// with two `+goose`, `+goose` inside SQL and inside an ordinary comment).
    #[test]
    fn sections_start_and_end_at_the_annotation_lines() {
        let text = "-- +goose Up\r\nSELECT '+goose Down';\r\n-- about +goose\r\n-- +goose Up -- +goose Down\r\n-- +goose NO TRANSACTION\r\n-- +goose Down\r\nSELECT 2;\r\n";
        let units = units_of(text);
        assert_eq!(units.len(), 1);
        let u = &units[0];
        let up_end = text.find("\r\n").expect("a line break");
        let down = text.rfind("-- +goose Down").expect("the down annotation");
        let up = u.up.as_ref().and_then(|p| p.sections.clone());
        assert_eq!(up, Some(vec![Span::new(up_end, down)]));
        match &u.down {
            Down::Part(p) => assert_eq!(p.sections, Some(vec![Span::new(down, text.len())])),
            other => panic!("a down part: {other:?}"),
        }
        assert_eq!(u.tx, TxMode::Autocommit);
    }

    fn units_of(text: &str) -> Vec<super::Unit> {
        crate::source::layout::one_file_units(super::units, "00001_x.sql", text)
    }

    /// Each string goose sends is a `sent` string of its part; under NO TRANSACTION also a
    /// batch (a block of several statements is one implicit transaction); in a transaction
    /// there are no batches.
    #[test]
    fn sent_strings_are_batches_only_without_a_transaction() {
        let body = "-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\nSELECT 2;\n-- +goose StatementEnd\nSELECT 3;\n-- +goose Down\n-- +goose StatementBegin\nSELECT 4;\n-- +goose StatementEnd\n";
        let span = |text: &str, from: &str, to: &str| {
            let a = text.find(from).expect("from");
            let b = a + text[a..].find(to).expect("to") + to.len();
            Span::new(a, b)
        };
        let text = format!("-- +goose NO TRANSACTION\n{body}");
        let units = units_of(&text);
        let u = &units[0];
        let up = u.up.as_ref().map(|p| (p.sent.clone(), p.batches.clone()));
        let want = vec![
            span(&text, "SELECT 1", "SELECT 2;"),
            span(&text, "SELECT 3", "SELECT 3;"),
        ];
        assert_eq!(up, Some((want.clone(), want)));
        match &u.down {
            Down::Part(p) => assert_eq!(p.batches, vec![span(&text, "SELECT 4", "SELECT 4;")]),
            other => panic!("a down part: {other:?}"),
        }
        let units = units_of(body);
        let u = &units[0];
        assert_eq!(u.tx, TxMode::Transaction);
        assert_eq!(
            u.up.as_ref().map(|p| (p.sent.len(), p.batches.len())),
            Some((2, 0))
        );
    }

    #[test]
    fn statements_end_where_goose_ends_them() {
        use super::ends_with_semicolon;
        for (line, want) in [
            ("SELECT 1;", true),
            ("SELECT 1;   ", true),
            ("SELECT 1; -- a comment", true),
            ("SELECT 1;-- no space before the comment", false),
            ("SELECT 1; SELECT 2", false),
            ("'a;", true),
            ("-- SELECT 1;", false),
            ("", false),
        ] {
            assert_eq!(ends_with_semicolon(line), want, "{line:?}");
        }
    }

    /// The strings goose sends (a block whole, two statements on a line together), and the
    /// first line it stops at.
    #[test]
    fn sent_strings_and_refusals_follow_gooses_parser() {
        use super::sent;
        let text = "-- +goose Up\nSELECT 1; SELECT 2;\n-- +goose StatementBegin\nDO $$ BEGIN\nPERFORM 1;\nEND $$;\n-- +goose StatementEnd\nSELECT\n3;\n-- +goose Down\nSELECT 4;\n";
        let at = |s: &str| text.find(s).expect("in text");
        let line_end = |s: &str| at(s) + text[at(s)..].find('\n').expect("a line break");
        let got = sent(text);
        assert_eq!(got.refused, None);
        assert_eq!(
            got.strings,
            vec![
                Span::new(at("SELECT 1;"), line_end("SELECT 1;")),
                Span::new(at("DO $$"), line_end("END $$")),
                Span::new(at("SELECT\n3"), line_end("3;")),
                Span::new(at("SELECT 4"), line_end("SELECT 4")),
            ]
        );
        let refused = |t: &str| {
            sent(t)
                .refused
                .map(|(span, message, ..)| (t[span.start..span.end].to_string(), message))
        };
        let cases = [
            (
                "-- +goose Up\nSELECT 1\n-- +goose Down\nSELECT 2;\n",
                "SELECT 1",
                "not ended",
            ),
            (
                "-- +goose Up\nSELECT 1;\n-- +goose Down\nSELECT 2",
                "SELECT 2",
                "not ended",
            ),
            (
                "-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n",
                "-- +goose StatementBegin",
                "no `-- +goose StatementEnd`",
            ),
            (
                "-- +goose Up\nSELECT 1;\n-- +goose StatementEnd\n",
                "-- +goose StatementEnd",
                "without a StatementBegin",
            ),
            (
                "-- +goose Down\nSELECT 1;\n",
                "-- +goose Down",
                "before `-- +goose Up`",
            ),
            ("SELECT 1;\n-- +goose Up\n", "SELECT 1;", "SQL before"),
            (
                "-- +goose Up\n-- +goose Up\n",
                "-- +goose Up",
                "a second `-- +goose Up`",
            ),
            (
                "-- +goose Up\n-- +goose StatementBegin\n-- +goose StatementBegin\n",
                "-- +goose StatementBegin",
                "inside another block",
            ),
        ];
        for (t, line, why) in cases {
            let r = refused(t);
            assert!(
                r.as_ref()
                    .is_some_and(|(l, m)| l == line && m.contains(why)),
                "{t:?}: {r:?}"
            );
        }
    }

    #[test]
    fn annotations_are_read_as_goose_reads_them() {
        let cases = [
            ("-- +goose Up", Some(Annotation::Up)),
            ("-- +goose up", Some(Annotation::Up)),
            ("--+goose UP", Some(Annotation::Up)),
            ("--   +goose   Up  ", Some(Annotation::Up)),
            ("-- +goose Down", Some(Annotation::Down)),
            ("-- +goose StatementBegin", Some(Annotation::StatementBegin)),
            ("-- +goose statementend", Some(Annotation::StatementEnd)),
            ("-- +goose NO TRANSACTION", Some(Annotation::NoTransaction)),
            ("-- +goose no transaction", Some(Annotation::NoTransaction)),
            ("-- +goose ENVSUB ON", Some(Annotation::EnvsubOn)),
            // goose refuses these (or, before 3.19, read them as comments)
            ("  -- +goose Up", None),
            ("\t-- +goose Up", None),
            ("-- +goose Upgrade", None),
            ("-- +goose Up -- +goose Down", None),
            ("-- note: +goose up", None),
            ("-- +goose NO  TRANSACTION", None),
            // not annotations at all
            ("-- +GOOSE Up", None),
            ("-- goose Up", None),
            ("SELECT '-- +goose Up';", None),
            ("", None),
        ];
        for (line, want) in cases {
            assert_eq!(annotation(line), want, "{line:?}");
        }
    }
}
