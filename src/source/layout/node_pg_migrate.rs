//! node-pg-migrate SQL files: `<timestamp>_<name>.sql` with `-- Up Migration` and
//! `-- Down Migration` markers (no Up marker: the whole file is up; no Down marker: rollback is
//! disabled). The whole run is one transaction by default.

use super::*;

fn marker(line: &str, word: &str) -> bool {
    // ^\s*--[\s-]*up\s+migration (case-insensitive); most lines are not comments at all
    let Some(rest) = line.trim_start().strip_prefix("--") else {
        return false;
    };
    let l = rest.to_ascii_lowercase();
    let rest = l.as_str();
    let rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '-');
    rest.strip_prefix(word).is_some_and(|r| {
        r.starts_with(char::is_whitespace) && r.trim_start().starts_with("migration")
    })
}

pub fn has_markers(text: &str) -> bool {
    text.lines().any(|l| marker(l, "up") || marker(l, "down"))
}

pub fn units(ctx: &DirCtx<'_>) -> Vec<Unit> {
    let mut out = Vec::new();
    for f in ctx.files {
        let name = file_name(f);
        if leading_digits(&name).is_empty() {
            continue;
        }
        let text = ctx.text(f);
        let mut up_at = None;
        let mut down_at = None;
        for (off, line) in lines_with_offsets(&text) {
            if up_at.is_none() && marker(line, "up") {
                up_at = Some(off + line.len());
            } else if down_at.is_none() && marker(line, "down") {
                down_at = Some((off, off + line.len()));
            }
        }
        let end = text.len();
        let up_from = up_at.unwrap_or(0);
        let up_to = down_at.map_or(end, |d| d.0).max(up_from);
        let down = match down_at {
            Some((marker, _)) => {
                Down::Part(Part::sections(f.clone(), vec![Span::new(marker, end)]))
            }
            None => Down::Missing {
                expected: format!("a `-- Down Migration` section in {}", ctx.rel(f)),
            },
        };
        let u = Unit::new(
            Layout::NodePgMigrate,
            name.trim_end_matches(".sql").to_string(),
            ctx.rel(f),
            Some(Part::sections(f.clone(), vec![Span::new(up_from, up_to)])),
            down,
            TxMode::Transaction,
            "node-pg-migrate runs the whole run in one transaction",
        );
        out.push(u);
    }
    out
}
