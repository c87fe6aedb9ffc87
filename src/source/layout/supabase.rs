//! Supabase CLI: `supabase/migrations/<version>_<name>.sql`. No down. The CLI sends the
//! statements as one batch with the history insert: implicitly transactional.

use super::*;

pub fn units(ctx: &DirCtx<'_>) -> Vec<Unit> {
    ctx.files
        .iter()
        .filter(|f| !leading_digits(&file_name(f)).is_empty())
        .map(|f| {
            Unit::new(
                Layout::Supabase,
                file_name(f).trim_end_matches(".sql").to_string(),
                ctx.rel(f),
                Some(Part::file(f.clone())),
                Down::None,
                TxMode::Implicit,
                "the Supabase CLI sends the file as one batch: one implicit transaction",
            )
        })
        .collect()
}
