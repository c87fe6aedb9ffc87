//! Diesel: `migrations/<version>_<name>/up.sql` + `down.sql`, optional `metadata.toml`
//! (`run_in_transaction = false`). Version = the directory name up to the first `_`, `-` removed.

use super::*;

pub fn units(ctx: &DirCtx<'_>) -> Vec<Unit> {
    subdir_units(ctx, Layout::Diesel, |dir| {
        let meta = dir.join("metadata.toml");
        let text = if ctx.is_file(&meta) {
            std::fs::read_to_string(&meta)
        } else {
            Err(std::io::ErrorKind::NotFound.into())
        };
        match text {
            // diesel's MigrationMetadata: `#[serde(default)] run_in_transaction: bool`, so a
            // metadata.toml without the key means false (diesel_migrations file_based_migrations.rs)
            Ok(text) => {
                let value = text
                    .lines()
                    .filter_map(|l| l.split_once('='))
                    .find(|(k, _)| k.trim() == "run_in_transaction")
                    .map(|(_, v)| v.trim() == "true")
                    .unwrap_or(false);
                if value {
                    (
                        TxMode::Transaction,
                        "metadata.toml: run_in_transaction = true".to_string(),
                        Some(meta),
                    )
                } else {
                    // `conn.batch_execute(sql)`: libpq's PQexec, so a file of several
                    // statements is still one implicit transaction
                    (
                        TxMode::Implicit,
                        "metadata.toml without run_in_transaction = true: no BEGIN, but diesel sends the file as one query string (one implicit transaction)"
                            .to_string(),
                        Some(meta),
                    )
                }
            }
            Err(_) => (
                TxMode::Transaction,
                "diesel runs each migration in a transaction".to_string(),
                None,
            ),
        }
    })
}

/// `<dir>/up.sql` (+ `down.sql`) units, shared with Hasura v3.
pub fn subdir_units(
    ctx: &DirCtx<'_>,
    layout: Layout,
    tx: impl Fn(&Path) -> (TxMode, String, Option<PathBuf>),
) -> Vec<Unit> {
    let mut out = Vec::new();
    for f in ctx.files {
        if !file_name(f).eq_ignore_ascii_case("up.sql") {
            continue;
        }
        let Some(dir) = f.parent() else { continue };
        let id = file_name(dir);
        let down_path = dir.join("down.sql");
        let down = if ctx.is_file(&down_path) {
            Down::Part(Part::file(down_path))
        } else {
            Down::Missing {
                expected: ctx.rel(&down_path),
            }
        };
        let (mode, reason, sidecar) = tx(dir);
        let version: String = id.split('_').next().unwrap_or("").replace('-', "");
        let order = format!("{}/{version}/{id}", ctx.rel(dir.parent().unwrap_or(dir)));
        let mut u = Unit::new(
            layout,
            id,
            order,
            Some(Part::file(f.clone())),
            down,
            mode,
            reason,
        );
        if let Some(s) = sidecar {
            u.sidecars.push(s);
        }
        out.push(u);
    }
    out
}
