//! Up/down pairs: `NNN_name.up.sql` + `NNN_name.down.sql` (golang-migrate, sqlx reversible) and
//! `<dir>/up.sql` + `<dir>/down.sql` (diesel). Every other file is a forward-only unit.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{DownForm, Unit};

fn rel(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
}

/// `(stem, is_up)` for `stem.up.sql` / `stem.down.sql` (the stem must start with a digit).
fn split_up_down(name: &str) -> Option<(&str, bool)> {
    let lower_ok = |suffix: &str| {
        name.len() > suffix.len() && name[name.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
    };
    let (stem, up) = if lower_ok(".up.sql") {
        (&name[..name.len() - 7], true)
    } else if lower_ok(".down.sql") {
        (&name[..name.len() - 9], false)
    } else {
        return None;
    };
    stem.starts_with(|c: char| c.is_ascii_digit())
        .then_some((stem, up))
}

/// The files of one `(directory, stem)`: generic and PostgreSQL-specific ups and downs.
#[derive(Default)]
struct Pair {
    up: Option<PathBuf>,
    down: Option<PathBuf>,
    /// ory popx `X.postgres.up.sql` beats the generic `X.up.sql` for PostgreSQL.
    pg_up: Option<PathBuf>,
    pg_down: Option<PathBuf>,
    diesel: bool,
}

/// Groups files into units. Also returns generic files superseded by a `.postgres.` variant
/// (ory popx), which are not linted.
pub fn group(root: &Path, files: &[PathBuf]) -> (Vec<Unit>, Vec<PathBuf>) {
    let mut pairs: BTreeMap<(PathBuf, String), Pair> = BTreeMap::new();
    let mut units = Vec::new();
    for f in files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let dir = f.parent().map(Path::to_path_buf).unwrap_or_default();
        if let Some((stem, is_up)) = split_up_down(&name) {
            let (base, pg) = match stem
                .strip_suffix(".postgres")
                .or_else(|| stem.strip_suffix(".postgresql"))
            {
                Some(b) => (b, true),
                None => (stem, false),
            };
            let e = pairs.entry((dir, base.to_string())).or_default();
            let slot = match (is_up, pg) {
                (true, false) => &mut e.up,
                (true, true) => &mut e.pg_up,
                (false, false) => &mut e.down,
                (false, true) => &mut e.pg_down,
            };
            *slot = Some(f.clone());
        } else if name.eq_ignore_ascii_case("up.sql") || name.eq_ignore_ascii_case("down.sql") {
            let id = dir
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            let e = pairs.entry((dir.clone(), id)).or_default();
            e.diesel = true;
            if name.eq_ignore_ascii_case("up.sql") {
                e.up = Some(f.clone())
            } else {
                e.down = Some(f.clone())
            }
        } else {
            let r = rel(root, f);
            units.push(Unit {
                id: r.trim_end_matches(".sql").to_string(),
                order: r,
                up: Some(f.clone()),
                down: None,
                down_form: DownForm::NoneByDesign,
                layout: "plain",
            });
        }
    }
    let mut superseded = Vec::new();
    for ((dir, stem), p) in pairs {
        let layout = if p.diesel {
            "diesel"
        } else if p.pg_up.is_some() || p.pg_down.is_some() {
            "ory-popx"
        } else {
            "golang-migrate"
        };
        let (expected, order_path) = if p.diesel {
            (dir.join("down.sql"), dir.join("up.sql"))
        } else {
            (
                dir.join(format!("{stem}.down.sql")),
                dir.join(format!("{stem}.up.sql")),
            )
        };
        for (specific, generic) in [(&p.pg_up, &p.up), (&p.pg_down, &p.down)] {
            if let (Some(_), Some(g)) = (specific, generic) {
                superseded.push(g.clone());
            }
        }
        units.push(Unit {
            id: stem,
            order: rel(root, &order_path),
            up: p.pg_up.or(p.up),
            down: p.pg_down.or(p.down),
            down_form: DownForm::File(expected),
            layout,
        });
    }
    (units, superseded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_and_singles() {
        let root = Path::new("m");
        let files: Vec<PathBuf> = [
            "m/001_a.up.sql",
            "m/001_a.down.sql",
            "m/002_b.up.sql",
            "m/seed.sql",
            "m/2024_x/up.sql",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        let (units, _) = super::super::units_from_files(root, &files);
        let ids: Vec<_> = units
            .iter()
            .map(|u| (u.id.as_str(), u.down.is_some(), u.layout))
            .collect();
        assert_eq!(
            ids,
            [
                ("001_a", true, "golang-migrate"),
                ("002_b", false, "golang-migrate"),
                ("2024_x", false, "diesel"),
                ("seed", false, "plain")
            ]
        );
        assert_eq!(
            units[1].down_form,
            DownForm::File(PathBuf::from("m/002_b.down.sql"))
        );
    }

    #[test]
    fn ory_popx_postgres_variants_win() {
        let root = Path::new("m");
        let files: Vec<PathBuf> = [
            "m/1_a.up.sql",
            "m/1_a.postgres.up.sql",
            "m/1_a.down.sql",
            "m/2_b.postgres.up.sql",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        let (units, superseded) = super::super::units_from_files(root, &files);
        assert_eq!(units.len(), 2);
        assert_eq!(units[0].up, Some(PathBuf::from("m/1_a.postgres.up.sql")));
        assert_eq!(units[0].down, Some(PathBuf::from("m/1_a.down.sql")));
        assert_eq!(units[0].layout, "ory-popx");
        assert_eq!(superseded, [PathBuf::from("m/1_a.up.sql")]);
        assert_eq!(units[1].down, None);
    }
}
