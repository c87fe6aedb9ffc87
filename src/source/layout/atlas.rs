//! Atlas versioned migrations: `<version>_<name>.sql` with `atlas.sum`. No down files. A
//! transaction per file unless the top comment block holds `-- atlas:txmode none` followed by a
//! blank line (a directive without the blank line is ignored by Atlas).

use super::*;

pub fn units(ctx: &DirCtx<'_>) -> Vec<Unit> {
    let mut out = Vec::new();
    for f in ctx.files {
        let text = ctx.text(f);
        let (tx, reason) = match txmode(&text) {
            Some(m) if m == "none" => (
                TxMode::Autocommit,
                "`-- atlas:txmode none` directive".to_string(),
            ),
            Some(m) if m == "all" => (
                TxMode::Transaction,
                "`-- atlas:txmode all`: one transaction for the whole run".to_string(),
            ),
            _ => (
                TxMode::Transaction,
                "Atlas runs each file in a transaction".to_string(),
            ),
        };
        let name = file_name(f);
        out.push(Unit::new(
            Layout::Atlas,
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

/// The `atlas:txmode` directive of the file's top comment block, if followed by a blank line.
fn txmode(text: &str) -> Option<String> {
    let mut found = None;
    for line in text.lines() {
        let l = line.trim();
        if l.is_empty() {
            return found;
        }
        let c = l.strip_prefix("--")?;
        if let Some(v) = c.trim().strip_prefix("atlas:txmode") {
            found = Some(v.trim().to_ascii_lowercase());
        }
    }
    None
}
