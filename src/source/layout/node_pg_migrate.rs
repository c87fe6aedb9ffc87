//! node-pg-migrate SQL files: `<timestamp>_<name>.sql` with `-- Up Migration` and
//! `-- Down Migration` markers (no Up marker: the whole file is up; no Down marker: rollback is
//! disabled). The whole run is one transaction by default.

use super::*;

fn marker(line: &str, word: &str) -> bool {
    // ^\s*--[\s-]*up\s+migration (case-insensitive); most lines are not comments at all
    let Some(rest) = line.trim_start().strip_prefix("--") else {
        return false;
    };
    let rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '-');
    starts_with_ignore_case(rest, word)
        .then(|| &rest[word.len()..])
        .is_some_and(|r| {
            r.starts_with(char::is_whitespace)
                && starts_with_ignore_case(r.trim_start(), "migration")
        })
}

/// Whether `line` is an Up or Down marker.
pub fn is_marker(line: &str) -> bool {
    marker(line, "up") || marker(line, "down")
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

#[cfg(test)]
mod tests {
    use super::is_marker;

    #[test]
    fn markers_are_found_ignoring_case_dashes_and_spaces() {
        for yes in [
            "-- Up Migration",
            "--up migration",
            "  ---  DOWN   Migration  ",
            "-- - up\tMIGRATION here",
            "-- Down Migration\r",
        ] {
            assert!(is_marker(yes), "{yes:?}");
        }
        for no in [
            "Up Migration",
            "-- Upgrade migration",
            "-- up",
            "-- up-migration",
            "-- sideways migration",
            "/* Up Migration */",
            "-- Ü Migration",
        ] {
            assert!(!is_marker(no), "{no:?}");
        }
    }
}
