//! golang-migrate: `{version}_{title}.up.sql` + `{version}_{title}.down.sql`, numeric order.
//! The Postgres driver sends a whole file in one `Exec`: one implicit transaction, unless
//! `x-multi-statement` is enabled (declare `transaction = "autocommit"` in migcheck.toml).

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::*;

pub fn units(ctx: &DirCtx<'_>, cfg: &LayoutConfig) -> Vec<Unit> {
    pairs(ctx, Layout::GolangMigrate, |up| {
        match cfg.transaction_for(&ctx.rel(up)) {
            Some((TxMode::Autocommit, why)) => {
                (TxMode::Autocommit, format!("x-multi-statement: {why}"))
            }
            Some(declared) => declared,
            None => (
                TxMode::Implicit,
                "golang-migrate sends the whole file in one Exec: one implicit transaction"
                    .to_string(),
            ),
        }
    })
}

/// `V_name.up.sql` / `V_name.down.sql` pairs in the same directory (shared with sqlx and
/// Hasura v2). `tx` decides each unit's transaction mode from its up file.
pub fn pairs(
    ctx: &DirCtx<'_>,
    layout: Layout,
    tx: impl Fn(&Path) -> (TxMode, String),
) -> Vec<Unit> {
    // keyed by the directory's bytes (comparing `Path`s parses their components each time);
    // the map's order does not matter: `units_for` sorts the units
    type Pair<'f> = (&'f Path, Option<PathBuf>, Option<PathBuf>);
    let mut by_stem: BTreeMap<(&[u8], String), Pair<'_>> = BTreeMap::new();
    for f in ctx.files {
        let name = file_name(f);
        let Some((stem, up)) = split_up_down(&name) else {
            continue;
        };
        if leading_digits(stem).is_empty() {
            continue;
        }
        let dir = f.parent().unwrap_or(Path::new(""));
        let (_, up_file, down_file) = by_stem
            .entry((crate::fasthash::path_key(dir), stem.to_string()))
            .or_insert((dir, None, None));
        if up {
            *up_file = Some(f.clone());
        } else {
            *down_file = Some(f.clone());
        }
    }
    by_stem
        .into_iter()
        .filter_map(|((_, stem), (dir, up, down))| {
            let up = up?;
            let (mode, reason) = tx(&up);
            let down = match down {
                Some(d) => Down::Part(Part::file(d)),
                None => Down::Missing {
                    expected: ctx.rel(&dir.join(format!("{stem}.down.sql"))),
                },
            };
            let order = ctx.rel(&up);
            Some(Unit::new(
                layout,
                stem,
                order,
                Some(Part::file(up)),
                down,
                mode,
                reason,
            ))
        })
        .collect()
}
