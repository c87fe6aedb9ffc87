//! Prisma Migrate: `<timestamp>_<name>/migration.sql` next to `migration_lock.toml`. No down.
//! The file is sent as one multi-statement string: one implicit transaction.

use super::*;

pub fn units(ctx: &DirCtx<'_>) -> Vec<Unit> {
    ctx.files
        .iter()
        .filter(|f| file_name(f).eq_ignore_ascii_case("migration.sql"))
        .map(|f| {
            let dir = f.parent().unwrap_or(ctx.root);
            Unit::new(
                Layout::Prisma,
                file_name(dir),
                ctx.rel(f),
                Some(Part::file(f.clone())),
                Down::None,
                TxMode::Implicit,
                "prisma sends migration.sql as one multi-statement string: one implicit transaction",
            )
        })
        .collect()
}
