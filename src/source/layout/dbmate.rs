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
        for (off, line) in lines_with_offsets(&text) {
            let Some((is_up, opts)) = marker(line) else {
                continue;
            };
            let no_tx = opts.split_whitespace().any(|o| o == "transaction:false");
            markers.push((off, is_up, no_tx, off + line.len()));
        }
        if markers.is_empty() {
            continue;
        }
        let mut ups = Vec::new();
        let mut downs = Vec::new();
        let (mut up_no_tx, mut down_no_tx) = (false, false);
        for (k, (start, is_up, no_tx, body)) in markers.iter().enumerate() {
            let end = markers.get(k + 1).map_or(text.len(), |m| m.0);
            // down sections start at their marker line: findings about the down part point at it
            let from = if *is_up { *body } else { *start };
            let span = Span::new(from, end.max(from));
            if *is_up {
                ups.push(span);
                up_no_tx |= no_tx;
            } else {
                downs.push(span);
                down_no_tx |= no_tx;
            }
        }
        let mode = |no_tx: bool| {
            if no_tx {
                (
                    TxMode::Autocommit,
                    "`transaction:false` on the marker: each statement runs on its own".to_string(),
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
            Down::Part(p)
        };
        let (tx, reason) = mode(up_no_tx);
        let u = Unit::new(
            Layout::Dbmate,
            name.trim_end_matches(".sql").to_string(),
            ctx.rel(f),
            Some(Part::sections(f.clone(), ups)),
            down,
            tx,
            reason,
        );
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

#[cfg(test)]
mod tests {
    use super::marker;

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
