//! ory popx: `<version>_<name>[.<dialect>][.autocommit].{up,down}.sql`. For PostgreSQL the
//! `.postgres.` file wins over the generic one, per direction; `.autocommit.` files run without a
//! transaction. Files for other dialects are skipped by discovery.

use std::collections::BTreeMap;

use super::*;

#[derive(Default)]
struct Variants {
    up: Option<(PathBuf, bool)>,
    pg_up: Option<(PathBuf, bool)>,
    down: Option<(PathBuf, bool)>,
    pg_down: Option<(PathBuf, bool)>,
}

/// `(base, postgres-specific, autocommit, is_up)` of a popx file name.
pub fn parse_name(name: &str) -> Option<(String, bool, bool, bool)> {
    let (stem, up) = split_up_down(name)?;
    if leading_digits(stem).is_empty() {
        return None;
    }
    let mut parts: Vec<&str> = stem.split('.').collect();
    let mut autocommit = false;
    let mut pg = false;
    while parts.len() > 1 {
        match parts.last().map(|p| p.to_ascii_lowercase()).as_deref() {
            Some("autocommit") => autocommit = true,
            Some("postgres") | Some("postgresql") => pg = true,
            _ => break,
        }
        parts.pop();
    }
    Some((parts.join("."), pg, autocommit, up))
}

pub fn units(ctx: &DirCtx<'_>) -> Vec<Unit> {
    // keyed by the directory's bytes (comparing `Path`s parses their components each time);
    // the map's order does not matter: the units are sorted by `units_for`
    let mut by: BTreeMap<(&[u8], String), (&Path, Variants)> = BTreeMap::new();
    for f in ctx.files {
        let Some((base, pg, ac, up)) = parse_name(&file_name(f)) else {
            continue;
        };
        let dir = f.parent().unwrap_or(Path::new(""));
        let (_, v) = by
            .entry((crate::fasthash::path_key(dir), base))
            .or_insert_with(|| (dir, Variants::default()));
        let slot = match (up, pg) {
            (true, false) => &mut v.up,
            (true, true) => &mut v.pg_up,
            (false, false) => &mut v.down,
            (false, true) => &mut v.pg_down,
        };
        *slot = Some((f.clone(), ac));
    }
    let mut out = Vec::new();
    for ((_, base), (dir, v)) in by {
        let Some((up, ac)) = v.pg_up.or(v.up) else {
            continue;
        };
        let down = match v.pg_down.or(v.down) {
            Some((d, _)) => Down::Part(Part::file(d)),
            None => Down::Missing {
                expected: ctx.rel(&dir.join(format!("{base}.down.sql"))),
            },
        };
        let (tx, reason) = if ac {
            // one `Exec(content)` without arguments (pgx: the simple query protocol), so a
            // file of several statements is still one implicit transaction
            (
                TxMode::Implicit,
                "`.autocommit.` file: no BEGIN, but popx sends the file as one query string (one implicit transaction)",
            )
        } else {
            (
                TxMode::Transaction,
                "popx runs each migration in a transaction",
            )
        };
        let order = ctx.rel(&dir.join(&base));
        out.push(Unit::new(
            Layout::OryPopx,
            base,
            order,
            Some(Part::file(up)),
            down,
            tx,
            reason,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            parse_name("2024_x.postgres.autocommit.up.sql"),
            Some(("2024_x".into(), true, true, true))
        );
        assert_eq!(
            parse_name("2024_x.autocommit.down.sql"),
            Some(("2024_x".into(), false, true, false))
        );
        assert_eq!(
            parse_name("2024_x.down.sql"),
            Some(("2024_x".into(), false, false, false))
        );
        assert_eq!(parse_name("x.up.sql"), None);
    }
}
