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

/// (up, down, layout) of one `(directory, stem)`.
type Pair = (Option<PathBuf>, Option<PathBuf>, &'static str);

pub fn group(root: &Path, files: &[PathBuf]) -> Vec<Unit> {
    let mut pairs: BTreeMap<(PathBuf, String), Pair> = BTreeMap::new();
    let mut units = Vec::new();
    for f in files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let dir = f.parent().map(Path::to_path_buf).unwrap_or_default();
        if let Some((stem, is_up)) = split_up_down(&name) {
            let e = pairs
                .entry((dir, stem.to_string()))
                .or_insert((None, None, "golang-migrate"));
            if is_up {
                e.0 = Some(f.clone())
            } else {
                e.1 = Some(f.clone())
            }
        } else if name.eq_ignore_ascii_case("up.sql") || name.eq_ignore_ascii_case("down.sql") {
            let id = dir
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            let e = pairs
                .entry((dir.clone(), id))
                .or_insert((None, None, "diesel"));
            if name.eq_ignore_ascii_case("up.sql") {
                e.0 = Some(f.clone())
            } else {
                e.1 = Some(f.clone())
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
    for ((dir, stem), (up, down, layout)) in pairs {
        let expected = if layout == "diesel" {
            dir.join("down.sql")
        } else {
            dir.join(format!("{stem}.down.sql"))
        };
        let order_path = if layout == "diesel" {
            dir.join("up.sql")
        } else {
            dir.join(format!("{stem}.up.sql"))
        };
        units.push(Unit {
            id: stem,
            order: rel(root, &order_path),
            up,
            down,
            down_form: DownForm::File(expected),
            layout,
        });
    }
    units
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
        let units = super::super::units_from_files(root, &files);
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
}
