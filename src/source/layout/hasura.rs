//! Hasura: config v3 `migrations/<database>/<version>_<name>/up.sql` + `down.sql`, config v2
//! flat `<version>_<name>.up.sql` / `.down.sql`. Applied through `run_sql`: transactional.

use super::*;

pub fn units(ctx: &DirCtx<'_>) -> Vec<Unit> {
    let mut out = super::diesel::subdir_units(ctx, Layout::Hasura, |_| {
        (
            TxMode::Transaction,
            "Hasura applies migrations through run_sql in a transaction".to_string(),
            None,
        )
    });
    out.extend(super::golang_migrate::pairs(ctx, Layout::Hasura, |_| {
        (
            TxMode::Transaction,
            "Hasura applies migrations through run_sql in a transaction".to_string(),
        )
    }));
    out
}
