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
        let mut up_start = None;
        let mut down_start = None;
        let mut no_tx = false;
        // only a line holding `+goose` can be an annotation: found with memmem, not line by
        // line (a file's lines are mostly SQL and comments)
        let bytes = text.as_bytes();
        let mut line_end = 0;
        for hit in memchr::memmem::find_iter(bytes, b"+goose") {
            if hit < line_end {
                continue; // a second `+goose` on a line already read
            }
            let off = memchr::memrchr(b'\n', &bytes[..hit]).map_or(0, |p| p + 1);
            line_end = memchr::memchr(b'\n', &bytes[hit..]).map_or(bytes.len(), |p| hit + p);
            // as `lines_with_offsets` gives it: without the line break
            let line = text[off..line_end].trim_end_matches(['\n', '\r']);
            match annotation(line) {
                Some(Annotation::Up) if up_start.is_none() => up_start = Some(off + line.len()),
                Some(Annotation::Down) if down_start.is_none() => down_start = Some(off),
                Some(Annotation::NoTransaction) => no_tx = true,
                _ => {}
            }
        }
        if up_start.is_none() && down_start.is_none() {
            continue; // not a goose migration
        }
        let end = text.len();
        let up_from = up_start.unwrap_or(0);
        let up_to = down_start.unwrap_or(end).max(up_from);
        let up = Part::sections(f.clone(), vec![Span::new(up_from, up_to)]);
        let down = match down_start {
            // the section starts at the marker line: findings about the down part point at it
            Some(d) => Down::Part(Part::sections(f.clone(), vec![Span::new(d, end)])),
            None => Down::Missing {
                expected: format!("a `-- +goose Down` section in {}", ctx.rel(f)),
            },
        };
        let (tx, reason) = if no_tx {
            (
                TxMode::Autocommit,
                "`-- +goose NO TRANSACTION`: each statement runs on its own",
            )
        } else {
            (
                TxMode::Transaction,
                "goose wraps each migration in a transaction",
            )
        };
        let u = Unit::new(
            Layout::Goose,
            name.trim_end_matches(".sql").to_string(),
            ctx.rel(f),
            Some(up),
            down,
            tx,
            reason,
        );
        out.push(u);
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
    if !line.starts_with("--") || memchr::memmem::find(line.as_bytes(), b"+goose").is_none() {
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

#[cfg(test)]
mod tests {
    use super::{Annotation, annotation};
    use crate::ir::Span;
    use crate::source::layout::{Contents, DirCtx, Down, TxMode};
    use std::path::{Path, PathBuf};

    /// The sections of one goose file, found from its `+goose` lines (CRLF line breaks, a line
    /// with two `+goose`, `+goose` inside SQL and inside an ordinary comment).
    #[test]
    fn sections_start_and_end_at_the_annotation_lines() {
        let text = "-- +goose Up\r\nSELECT '+goose Down';\r\n-- about +goose\r\n-- +goose Up -- +goose Down\r\n-- +goose NO TRANSACTION\r\n-- +goose Down\r\nSELECT 2;\r\n";
        let file = PathBuf::from("/m/00001_x.sql");
        let mut contents = Contents::default();
        contents.insert(
            crate::fasthash::path_key(&file).to_vec(),
            text.as_bytes().to_vec(),
        );
        let files = [file];
        let ctx = DirCtx {
            root: Path::new("/m"),
            files: &files,
            contents: &contents,
            listing: None,
        };
        let units = super::units(&ctx);
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
            // goose refuses these (or, before 3.16, read them as comments)
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
