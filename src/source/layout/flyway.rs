//! Flyway: `V<version>__<desc>.sql` (versioned), `U<version>__<desc>.sql` (undo),
//! `R__<desc>.sql` (repeatable, after all versioned ones). A transaction per migration unless the
//! `<file>.sql.conf` sidecar says `executeInTransaction=false`; Flyway also runs a migration
//! without a transaction when one of its statements cannot run in one (and refuses to mix).

use std::collections::BTreeMap;

use super::*;

/// `(kind, version, description)` of a Flyway file name.
pub fn parse_name(name: &str) -> Option<(char, String, String)> {
    let stem = name
        .strip_suffix(".sql")
        .or_else(|| name.strip_suffix(".SQL"))?;
    let kind = stem.chars().next()?;
    // the first character may be multi-byte (`ärger.sql` in a Flyway directory)
    let rest = &stem[kind.len_utf8()..];
    match kind {
        'V' | 'U' => {
            let (ver, desc) = match rest.find("__") {
                Some(p) => (&rest[..p], &rest[p + 2..]),
                None => (rest, ""),
            };
            if ver.is_empty()
                || !ver.starts_with(|c: char| c.is_ascii_digit())
                || !ver
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '.' || c == '_')
            {
                return None;
            }
            Some((kind, ver.replace('_', "."), desc.to_string()))
        }
        'R' => rest
            .strip_prefix("__")
            .map(|d| ('R', String::new(), d.to_string())),
        _ => None,
    }
}

pub fn units(ctx: &DirCtx<'_>) -> Vec<Unit> {
    let mut undo: BTreeMap<String, PathBuf> = BTreeMap::new();
    for f in ctx.files {
        if let Some(('U', v, _)) = parse_name(&file_name(f)) {
            undo.insert(v, f.clone());
        }
    }
    let uses_undo = !undo.is_empty();
    let mut out = Vec::new();
    for f in ctx.files {
        let name = file_name(f);
        let Some((kind, version, desc)) = parse_name(&name) else {
            continue;
        };
        if kind == 'U' {
            continue;
        }
        let conf = f.with_file_name(format!("{name}.conf"));
        let mut sidecars = Vec::new();
        let conf_text = if ctx.is_file(&conf) {
            std::fs::read_to_string(&conf)
        } else {
            Err(std::io::ErrorKind::NotFound.into())
        };
        let (tx, reason) = match conf_text {
            Ok(c) => {
                sidecars.push(conf.clone());
                let off = c.lines().any(|l| {
                    let l: String = l.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
                    l == "executeintransaction=false"
                });
                if off {
                    (TxMode::Autocommit, format!("`executeInTransaction=false` in {}", file_name(&conf)))
                } else {
                    (TxMode::Transaction, "Flyway runs each migration in a transaction".to_string())
                }
            }
            Err(_) => (TxMode::Transaction, "Flyway runs each migration in a transaction (or none when a statement cannot run in one)".to_string()),
        };
        let down = if kind == 'R' {
            Down::None
        } else if let Some(u) = undo.get(&version) {
            Down::Part(Part::file(u.clone()))
        } else if uses_undo {
            Down::Missing {
                expected: format!("U{version}__{desc}.sql"),
            }
        } else {
            Down::None
        };
        let order = if kind == 'R' {
            format!("1/{desc}")
        } else {
            format!("0/{version}")
        };
        let id = name.trim_end_matches(".sql").to_string();
        let mut u = Unit::new(
            Layout::Flyway,
            id,
            order,
            Some(Part::file(f.clone())),
            down,
            tx,
            reason,
        );
        u.auto_demote = tx == TxMode::Transaction;
        u.sidecars = sidecars;
        out.push(u);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            parse_name("V1_7__execution_queued.sql"),
            Some(('V', "1.7".into(), "execution_queued".into()))
        );
        assert_eq!(
            parse_name("V2__Add_car.sql"),
            Some(('V', "2".into(), "Add_car".into()))
        );
        assert_eq!(
            parse_name("U2__Add_car.sql"),
            Some(('U', "2".into(), "Add_car".into()))
        );
        assert_eq!(
            parse_name("R__views.sql"),
            Some(('R', String::new(), "views".into()))
        );
        assert_eq!(parse_name("V__x.sql"), None);
        assert_eq!(parse_name("001_x.sql"), None);
    }
}
