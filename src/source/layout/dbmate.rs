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
            // only a comment line can be a marker (most lines are SQL: not lowered)
            let Some(rest) = line.trim().strip_prefix("--") else {
                continue;
            };
            let l = rest.to_ascii_lowercase();
            let rest = l.trim_start();
            let (is_up, opts) = if let Some(o) = rest.strip_prefix("migrate:up") {
                (true, o)
            } else if let Some(o) = rest.strip_prefix("migrate:down") {
                (false, o)
            } else {
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
