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
        for (off, line) in lines_with_offsets(&text) {
            // only a comment line can hold an annotation (most lines are SQL: not lowered)
            let Some(rest) = line.trim_start().strip_prefix("--") else {
                continue;
            };
            let l = rest.to_ascii_lowercase();
            let rest = l.trim_start();
            let Some(ann) = rest.strip_prefix("+goose") else {
                continue;
            };
            let ann = ann.trim();
            if ann.starts_with("up") && up_start.is_none() {
                up_start = Some(off + line.len());
            } else if ann.starts_with("down") && down_start.is_none() {
                down_start = Some(off);
            } else if ann == "no transaction" {
                no_tx = true;
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
