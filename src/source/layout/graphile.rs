//! graphile-migrate: `migrations/committed/<NNNNNN>[-slug].sql` (immutable, hash-chained) and
//! `migrations/current.sql` (the pending migration, linted last). No down. Wrapped in a
//! transaction unless the header says `--! no-transaction`.

use super::*;

pub fn units(ctx: &DirCtx<'_>) -> Vec<Unit> {
    let mut out = Vec::new();
    for f in ctx.files {
        let name = file_name(f);
        let parent = f.parent().map(file_name).unwrap_or_default();
        let order = if parent == "committed" && !leading_digits(&name).is_empty() {
            format!("0/{name}")
        } else if name == "current.sql" || parent == "current" {
            format!("1/{}", ctx.rel(f))
        } else {
            continue;
        };
        let text = ctx.text(f);
        let no_tx = text
            .lines()
            .take_while(|l| l.starts_with("--!"))
            .any(|l| l.trim().eq_ignore_ascii_case("--! no-transaction"));
        let (tx, reason) = if no_tx {
            (TxMode::Autocommit, "`--! no-transaction` header")
        } else {
            (
                TxMode::Transaction,
                "graphile-migrate wraps each migration in a transaction",
            )
        };
        out.push(Unit::new(
            Layout::Graphile,
            name.trim_end_matches(".sql").to_string(),
            order,
            Some(Part::file(f.clone())),
            Down::None,
            tx,
            reason,
        ));
    }
    out
}
