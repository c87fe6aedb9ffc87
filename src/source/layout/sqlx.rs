//! SQLx: `<VERSION>_<DESCRIPTION>.sql` (simple, forward-only) or `.up.sql` / `.down.sql`
//! (reversible). A transaction per migration unless the file's first bytes are `-- no-transaction`.

use super::*;

fn tx_of(ctx: &DirCtx<'_>, f: &Path) -> (TxMode, String) {
    // exactly the first bytes: no BOM, blank line or other comment may precede it
    if ctx.bytes(f).starts_with(b"-- no-transaction") {
        // `conn.execute(sql)` without arguments: the simple query protocol, so a file of
        // several statements is still one implicit transaction (sqlx-postgres migrate.rs)
        (
            TxMode::Implicit,
            "`-- no-transaction`: no BEGIN, but sqlx sends the file as one query string (one implicit transaction)"
                .to_string(),
        )
    } else {
        (
            TxMode::Transaction,
            "sqlx runs each migration in a transaction".to_string(),
        )
    }
}

pub fn units(ctx: &DirCtx<'_>) -> Vec<Unit> {
    let mut out = super::golang_migrate::pairs(ctx, Layout::Sqlx, |f| tx_of(ctx, f));
    for f in ctx.files {
        let name = file_name(f);
        if split_up_down(&name).is_some() || leading_digits(&name).is_empty() || !name.contains('_')
        {
            continue;
        }
        let (tx, reason) = tx_of(ctx, f);
        out.push(Unit::new(
            Layout::Sqlx,
            name.trim_end_matches(".sql").to_string(),
            ctx.rel(f),
            Some(Part::file(f.clone())),
            Down::None,
            tx,
            reason,
        ));
    }
    out
}
