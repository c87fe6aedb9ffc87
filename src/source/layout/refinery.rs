//! Refinery: `V<n>__<name>.sql` / `U<n>__<name>.sql` (U = unversioned ordering, not undo).
//! No down-migrations by design; a transaction per migration.

use super::*;

pub fn units(ctx: &DirCtx<'_>) -> Vec<Unit> {
    let mut out = Vec::new();
    for f in ctx.files {
        let name = file_name(f);
        let Some((kind, version, _)) = super::flyway::parse_name(&name) else {
            continue;
        };
        if kind == 'R' {
            continue;
        }
        out.push(Unit::new(
            Layout::Refinery,
            name.trim_end_matches(".sql").to_string(),
            format!("{version}/{kind}"),
            Some(Part::file(f.clone())),
            Down::None,
            TxMode::Transaction,
            "refinery runs each migration in a transaction",
        ));
    }
    out
}
