//! Plain ordered `.sql` files run by an in-house runner: each file is a forward-only migration.
//! The transaction mode is whatever migcheck.toml declares (`transaction = ...`); without a
//! declaration migcheck assumes the file is sent as one string (an implicit transaction), the
//! conservative choice for statements that cannot run in a transaction block.

use super::*;

pub fn units(ctx: &DirCtx<'_>, cfg: &LayoutConfig) -> Vec<Unit> {
    ctx.files
        .iter()
        .map(|f| {
            let r = ctx.rel(f);
            let (tx, reason) = cfg.transaction_for(&r).unwrap_or_else(|| {
                (TxMode::Implicit, "assumed: the file is sent as one string (declare `transaction` in migcheck.toml)".to_string())
            });
            Unit::new(Layout::Plain, r.trim_end_matches(".sql").to_string(), r, Some(Part::file(f.clone())), Down::None, tx, reason)
        })
        .collect()
}
