//! Prisma Migrate: `<timestamp>_<name>/migration.sql` next to `migration_lock.toml`. No down.
//!
//! How the file reaches PostgreSQL depends on the Prisma version (its schema engine,
//! `apply_migration_script` of the PostgreSQL connector):
//! - before 7.4.0 the whole file is one `simple_query`: one multi-statement string, so one
//!   implicit transaction (`CREATE INDEX CONCURRENTLY` next to anything fails with 25001);
//! - from 7.4.0 (prisma-engines PR #5767, engines 57b675f, 2026-02-11) the engine splits the
//!   file into statements and sends each as its own simple query: each commits on its own, a
//!   failure leaves the earlier statements applied.
//!
//! The version is read from the project's lockfile (the exact version installed) or, without
//! one, from `package.json`'s range when every version it allows is on the same side of 7.4.0.
//! Unknown: the whole-string behaviour (the one every release before 7.4.0 has, and the one
//! whose hazards — a CONCURRENTLY that fails, locks held to the end of the file — must not be
//! missed), and the reason says how to tell migcheck otherwise.

use super::*;

/// The first Prisma release whose engine sends each statement on its own.
const SPLITS_FROM: Ver = (7, 4, 0);

type Ver = (u64, u64, u64);

/// The sqlparser release Prisma 7.4.0 to 7.9.1 link (the schema engine's `sqlparser-0.61.0`
/// paths in their builds): the crate `sqlparser_prisma` is that release.
const PARSER_VERSION: &str = "0.61";

/// Whether Prisma's splitter reads `statement`: sqlparser 0.61 with the PostgreSQL dialect
/// parses it. (Prisma sends the whole file as one string when it cannot parse the file.)
fn parses(statement: &str) -> bool {
    use sqlparser_prisma::dialect::PostgreSqlDialect;
    sqlparser_prisma::parser::Parser::parse_sql(&PostgreSqlDialect {}, statement).is_ok()
}

pub fn units(ctx: &DirCtx<'_>, cfg: &LayoutConfig) -> Vec<Unit> {
    let mut found: Option<(TxMode, Arc<str>, Arc<str>)> = None;
    ctx.files
        .iter()
        .filter(|f| file_name(f).eq_ignore_ascii_case("migration.sql"))
        .map(|f| {
            let dir = f.parent().unwrap_or(ctx.root);
            let rel = ctx.rel(f);
            // migcheck.toml's declaration wins (a version migcheck could not find)
            let (tx, reason, who) = match cfg.transaction_for(&rel) {
                Some((tx, reason)) => {
                    let reason: Arc<str> = reason.into();
                    (tx, reason.clone(), reason)
                }
                None => found
                    .get_or_insert_with(|| {
                        let (tx, reason, who) = transaction(&installed(ctx.root));
                        (tx, reason.into(), who.into())
                    })
                    .clone(),
            };
            let mut u = Unit::new(
                Layout::Prisma,
                file_name(dir),
                rel,
                Some(Part::file(f.clone())),
                Down::None,
                tx,
                reason,
            );
            // statement by statement is Prisma 7.4+, which sends a file its parser cannot
            // split as one string
            if tx == TxMode::Autocommit {
                u.split_by_parser = Some(ParserSplit {
                    reason: format!(
                        "{who}: Prisma 7.4+ splits migration.sql with sqlparser {PARSER_VERSION}"
                    )
                    .into(),
                    parses,
                });
            }
            u
        })
        .collect()
}

/// What the project says about the Prisma CLI it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Installed {
    /// Versions a lockfile pins (several in a monorepo), with the lockfile's path.
    Locked(Vec<Ver>, String),
    /// `package.json`'s range for `prisma`: the lowest version it allows and the first it does
    /// not (None: no upper bound), the range as written, the file's path. None bounds: a range
    /// migcheck does not read (a tag, `||`, `workspace:`).
    Range(Option<(Ver, Option<Ver>)>, String, String),
    Unknown,
}

/// The transaction mode, why, and where the version was read (`prisma 7.9.1
/// (../pnpm-lock.yaml)`).
fn transaction(installed: &Installed) -> (TxMode, String, String) {
    const WHOLE: &str =
        "sends migration.sql as one multi-statement string: one implicit transaction";
    const SPLIT: &str = "sends each statement of migration.sql on its own, each committed by itself (since Prisma 7.4.0; a file its SQL parser cannot split goes as one string)";
    // (an unknown version: the whole-string reading, so that the hazards of the older
    // versions are not missed)
    let unknown = |why: String| {
        (
            TxMode::Implicit,
            format!(
                "prisma before 7.4.0 {WHOLE}; 7.4.0 and later send each statement on its own, but {why}: pin prisma in package.json or a lockfile, or set `transaction = \"autocommit\"` in migcheck.toml for 7.4.0 and later"
            ),
            "prisma".to_string(),
        )
    };
    let (mode, who) = match installed {
        Installed::Locked(vs, path) => {
            let shown = vs.iter().map(|v| show(*v)).collect::<Vec<_>>().join(", ");
            let who = format!("prisma {shown} ({path})");
            if vs.iter().all(|v| *v >= SPLITS_FROM) {
                (TxMode::Autocommit, who)
            } else if vs.iter().all(|v| *v < SPLITS_FROM) {
                (TxMode::Implicit, who)
            } else {
                return unknown(format!("{path} holds prisma {shown}"));
            }
        }
        Installed::Range(Some((lo, hi)), spec, path)
            if *lo >= SPLITS_FROM || hi.is_some_and(|hi| hi <= SPLITS_FROM) =>
        {
            let mode = if *lo >= SPLITS_FROM {
                TxMode::Autocommit
            } else {
                TxMode::Implicit
            };
            (mode, format!("prisma {spec} ({path})"))
        }
        Installed::Range(_, spec, path) => {
            return unknown(format!(
                "{path} allows prisma `{spec}` and no lockfile says which is installed"
            ));
        }
        Installed::Unknown => {
            return unknown("no prisma version was found in package.json or a lockfile".into());
        }
    };
    let what = if mode == TxMode::Autocommit {
        SPLIT
    } else {
        WHOLE
    };
    (mode, format!("{who} {what}"), who)
}

/// Lockfiles migcheck reads, nearest directory first.
const LOCKFILES: [&str; 5] = [
    // (npm ignores package-lock.json when a shrinkwrap exists)
    "npm-shrinkwrap.json",
    "package-lock.json",
    "pnpm-lock.yaml",
    "yarn.lock",
    "bun.lock",
];

/// The Prisma version of the project holding `root`: from the directory up to the repository
/// root (the first directory with `.git`), the nearest lockfile that names `prisma`, else the
/// nearest `package.json` that declares it.
fn installed(root: &Path) -> Installed {
    let mut range = None;
    for (d, up) in project_dirs(root) {
        for name in LOCKFILES {
            let p = d.join(name);
            if !p.is_file() {
                continue;
            }
            let vs = locked(name, &read_head(&p, 64 << 20));
            if !vs.is_empty() {
                return Installed::Locked(vs, shown_path(&up.join(name)));
            }
        }
        if range.is_none() {
            let p = d.join("package.json");
            if p.is_file()
                && let Some(spec) = declared(&read_head(&p, 4 << 20))
            {
                range = Some(Installed::Range(
                    bounds(&spec),
                    spec,
                    shown_path(&up.join("package.json")),
                ));
            }
        }
    }
    range.unwrap_or(Installed::Unknown)
}

fn shown_path(p: &Path) -> String {
    crate::source::text::os_lossy(p.as_os_str()).replace('\\', "/")
}

fn show(v: Ver) -> String {
    format!("{}.{}.{}", v.0, v.1, v.2)
}

/// `7.4.1`, `7.4.1-dev.3`, `7.4`, `7` (missing parts 0; a prerelease or build suffix ignored,
/// except that a prerelease of 7.4.0 itself is no version: its builds sort before 7.4.0 and
/// may predate the change).
fn version(s: &str) -> Option<Ver> {
    let core = s.split(['-', '+']).next()?;
    if s[core.len()..].starts_with('-') && version(core) == Some(SPLITS_FROM) {
        return None;
    }
    let mut parts = core.split('.');
    let mut next = || -> Option<u64> {
        match parts.next() {
            None => Some(0),
            Some(p) => p.parse().ok(),
        }
    };
    let v = (next()?, next()?, next()?);
    parts.next().is_none().then_some(v)
}

/// The `prisma` range of `package.json`'s dependencies, devDependencies or
/// optionalDependencies.
fn declared(text: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    ["dependencies", "devDependencies", "optionalDependencies"]
        .iter()
        .find_map(|k| v.get(k)?.get("prisma")?.as_str().map(str::to_string))
}

/// The versions a range allows, as [lowest, first not allowed): exact, `^`, `~`, `>=`, `=`,
/// `x` wildcards and partial versions (npm's rules for majors above 0). None for anything
/// else.
fn bounds(spec: &str) -> Option<(Ver, Option<Ver>)> {
    let s = spec
        .trim()
        .strip_prefix("npm:prisma@")
        .unwrap_or(spec.trim());
    let (op, rest) = [">=", "^", "~", "="]
        .iter()
        .find_map(|op| s.strip_prefix(op).map(|r| (*op, r.trim())))
        .unwrap_or(("", s));
    if rest.is_empty() || rest.contains([' ', '|', '<', '>']) {
        return None;
    }
    // how many leading numeric parts are given (`7.x` and `7` give one)
    let core = rest.split(['-', '+']).next()?;
    if rest[core.len()..].starts_with('-') && version(core) == Some(SPLITS_FROM) {
        return None;
    }
    let parts: Vec<&str> = core.split('.').collect();
    let given = parts
        .iter()
        .take_while(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        .count();
    if given == 0
        || parts[given..]
            .iter()
            .any(|p| !matches!(*p, "x" | "X" | "*"))
    {
        return None;
    }
    let lo = version(&parts[..given].join("."))?;
    let (ma, mi, pa) = lo;
    let next_major = (ma.saturating_add(1), 0, 0);
    let next_minor = (ma, mi.saturating_add(1), 0);
    let hi = match (op, given) {
        (">=", _) => None,
        (_, 1) => Some(next_major),
        (_, 2) if op != "^" || ma == 0 => Some(next_minor),
        (_, 2) => Some(next_major),
        ("^", _) if ma > 0 => Some(next_major),
        ("^", _) if mi > 0 => Some(next_minor),
        ("~", _) => Some(next_minor),
        _ => Some((ma, mi, pa.saturating_add(1))),
    };
    Some((lo, hi))
}

/// The versions of the `prisma` package a lockfile pins (sorted, deduplicated).
fn locked(name: &str, text: &str) -> Vec<Ver> {
    let mut out: Vec<Ver> = match name {
        "pnpm-lock.yaml" => text.lines().filter_map(pnpm_entry).collect(),
        "yarn.lock" => yarn(text),
        "bun.lock" => text
            .match_indices("\"prisma@")
            .filter_map(|(i, m)| {
                let rest = &text[i + m.len()..];
                version(&rest[..rest.find('"')?])
            })
            .collect(),
        _ => npm(text),
    };
    out.sort_unstable();
    out.dedup();
    out
}

/// npm's package-lock.json / npm-shrinkwrap.json: `"node_modules/prisma": { "version": "X"`
/// (lockfile v2/v3, also nested `.../node_modules/prisma`) or v1's `"prisma": { "version": "X"`.
fn npm(text: &str) -> Vec<Ver> {
    // (version, whether it is the project's own: the top-level `node_modules/prisma`)
    let mut out = Vec::new();
    for key in ["/prisma\": {", "\"prisma\": {"] {
        // v2 repeats v1's `dependencies` (where nested copies are keyed `"prisma"` too) after
        // its `packages`: v1's keys only when there are no `node_modules/prisma` keys
        if !out.is_empty() {
            break;
        }
        for (i, m) in text.match_indices(key) {
            // v2/v3 keys end with node_modules/prisma
            if key.starts_with('/') && !text[..i].ends_with("node_modules") {
                continue;
            }
            let own = !key.starts_with('/') || text[..i].ends_with("\"node_modules");
            let body = &text[i + m.len()..];
            let body = &body[..body.find('}').unwrap_or(body.len())];
            let Some(at) = body.find("\"version\"") else {
                continue;
            };
            let rest = body[at + 9..].trim_start_matches([' ', ':', '\t', '\r', '\n']);
            if let Some(rest) = rest.strip_prefix('"')
                && let Some(end) = rest.find('"')
                && let Some(v) = version(&rest[..end])
            {
                out.push((v, own));
            }
        }
    }
    // copies nested under other packages only when the project has none of its own
    let any_own = out.iter().any(|(_, own)| *own);
    out.into_iter()
        .filter(|(_, own)| *own || !any_own)
        .map(|(v, _)| v)
        .collect()
}

/// pnpm-lock.yaml package keys: `/prisma/4.16.2:` (v5), `/prisma@5.22.0:` (v6),
/// `prisma@7.4.1:` and `prisma@7.4.1(typescript@5.6.3):` (v9), quoted or not.
fn pnpm_entry(line: &str) -> Option<Ver> {
    let key = line.trim().strip_suffix(':')?;
    let key = key.trim_matches(['\'', '"']);
    let key = key.strip_prefix('/').unwrap_or(key);
    let rest = key
        .strip_prefix("prisma@")
        .or_else(|| key.strip_prefix("prisma/"))?;
    let end = rest.find(['(', '_', ':']).unwrap_or(rest.len());
    version(&rest[..end])
}

/// yarn.lock (classic `prisma@^7.4.0:` + `  version "7.4.1"`, berry `"prisma@npm:^7.4.0":` +
/// `  version: 7.4.1`).
fn yarn(text: &str) -> Vec<Ver> {
    let mut out = Vec::new();
    let mut in_prisma = false;
    for line in text.lines() {
        if !line.starts_with([' ', '\t']) {
            in_prisma = line.trim_end().ends_with(':')
                && line
                    .trim_end()
                    .trim_end_matches(':')
                    .split(',')
                    .any(|e| e.trim().trim_matches('"').starts_with("prisma@"));
            continue;
        }
        if in_prisma && let Some(rest) = line.trim().strip_prefix("version") {
            if let Some(v) = version(rest.trim_start_matches([':', ' ']).trim_matches('"')) {
                out.push(v);
            }
            in_prisma = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_give_their_bounds() {
        let b = |s: &str| bounds(s);
        assert_eq!(b("7.4.0"), Some(((7, 4, 0), Some((7, 4, 1)))));
        assert_eq!(b("^7.4.0"), Some(((7, 4, 0), Some((8, 0, 0)))));
        assert_eq!(b("^7.0.0"), Some(((7, 0, 0), Some((8, 0, 0)))));
        assert_eq!(b("~7.3.2"), Some(((7, 3, 2), Some((7, 4, 0)))));
        assert_eq!(b(">=7.4.0"), Some(((7, 4, 0), None)));
        assert_eq!(b("6.x"), Some(((6, 0, 0), Some((7, 0, 0)))));
        assert_eq!(b("7.3"), Some(((7, 3, 0), Some((7, 4, 0)))));
        assert_eq!(b("^7.3"), Some(((7, 3, 0), Some((8, 0, 0)))));
        // a prerelease of 7.4.0 may predate the change: unknown
        assert_eq!(b("7.4.0-dev.3"), None);
        assert_eq!(b("^7.4.0-integration.1"), None);
        assert_eq!(b("7.5.0-dev.3"), Some(((7, 5, 0), Some((7, 5, 1)))));
        assert_eq!(b("npm:prisma@^7.5.0"), Some(((7, 5, 0), Some((8, 0, 0)))));
        // no overflow on absurd numbers
        let max = u64::MAX;
        assert_eq!(
            b(&format!("{max}.{max}.{max}")),
            Some(((max, max, max), Some((max, max, max))))
        );
        assert_eq!(b("99999999999999999999999.0.0"), None);
        for s in [
            "latest",
            "workspace:*",
            "catalog:",
            "^6 || ^7",
            "<7.4",
            "*",
            "",
        ] {
            assert_eq!(b(s), None, "{s}");
        }
    }

    #[test]
    fn the_version_decides_the_transaction() {
        let range = |s: &str| Installed::Range(bounds(s), s.into(), "package.json".into());
        let tx = |i: Installed| transaction(&i).0;
        assert_eq!(tx(range("^7.4.0")), TxMode::Autocommit);
        assert_eq!(tx(range(">=7.4.0")), TxMode::Autocommit);
        assert_eq!(tx(range("~7.3.0")), TxMode::Implicit);
        assert_eq!(tx(range("^6.19.0")), TxMode::Implicit);
        // ^7.0.0 may install 7.3 or 7.9: unknown, so the whole-string reading
        let (mode, why, _) = transaction(&range("^7.0.0"));
        assert_eq!(mode, TxMode::Implicit);
        assert!(why.contains("allows prisma `^7.0.0`"), "{why}");
        let locked = |v: Vec<Ver>| Installed::Locked(v, "../pnpm-lock.yaml".into());
        assert_eq!(tx(locked(vec![(7, 4, 0)])), TxMode::Autocommit);
        assert_eq!(tx(locked(vec![(7, 3, 9)])), TxMode::Implicit);
        assert_eq!(tx(locked(vec![(6, 1, 0), (7, 9, 1)])), TxMode::Implicit);
        let (_, why, who) = transaction(&locked(vec![(7, 9, 1)]));
        assert_eq!(who, "prisma 7.9.1 (../pnpm-lock.yaml)");
        assert_eq!(
            why,
            "prisma 7.9.1 (../pnpm-lock.yaml) sends each statement of migration.sql on its own, each committed by itself (since Prisma 7.4.0; a file its SQL parser cannot split goes as one string)"
        );
        assert_eq!(tx(Installed::Unknown), TxMode::Implicit);
    }

    #[test]
    fn lockfiles_give_the_installed_version() {
        let npm3 = r#"{"packages": {"": {"devDependencies": {"prisma": "^7.0.0"}},
            "node_modules/@prisma/engines": {"version": "7.9.1"},
            "node_modules/prisma": {
              "version": "7.9.1", "dependencies": {"@prisma/engines": "7.9.1"}},
            "node_modules/not-prisma": {"version": "1.0.0"}}}"#;
        assert_eq!(locked("package-lock.json", npm3), vec![(7, 9, 1)]);
        let npm1 = r#"{"lockfileVersion": 1, "dependencies": {"prisma": {"version": "5.22.0"}}}"#;
        assert_eq!(locked("package-lock.json", npm1), vec![(5, 22, 0)]);
        let pnpm9 = "importers:\n  .:\n    devDependencies:\n      prisma:\n        specifier: ^7.0.0\n        version: 7.4.1(typescript@5.6.3)\npackages:\n  '@prisma/client@7.4.1':\n    resolution: {}\n  prisma@7.4.1:\n    resolution: {}\n";
        assert_eq!(locked("pnpm-lock.yaml", pnpm9), vec![(7, 4, 1)]);
        assert_eq!(
            locked(
                "pnpm-lock.yaml",
                "packages:\n  /prisma@5.22.0:\n  /prisma/4.16.2:\n"
            ),
            vec![(4, 16, 2), (5, 22, 0)]
        );
        let yarn1 = "\"@prisma/client@^7.0.0\":\n  version \"7.0.0\"\n\nprisma@^7.0.0, prisma@^7.3.0:\n  version \"7.3.0\"\n";
        assert_eq!(locked("yarn.lock", yarn1), vec![(7, 3, 0)]);
        let berry =
            "\"prisma@npm:^7.4.0\":\n  version: 7.5.0\n  resolution: \"prisma@npm:7.5.0\"\n";
        assert_eq!(locked("yarn.lock", berry), vec![(7, 5, 0)]);
        let bun = "{\n  \"packages\": {\n    \"@prisma/client\": [\"@prisma/client@7.4.0\", \"\"],\n    \"prisma\": [\"prisma@7.4.0\", \"\", {}, \"sha512-x\"],\n  }\n}";
        assert_eq!(locked("bun.lock", bun), vec![(7, 4, 0)]);
        assert!(locked("package-lock.json", "{}").is_empty());
        assert!(locked("pnpm-lock.yaml", "packages:\n  prisma@7.4.0-dev.2:\n").is_empty());
        // a copy nested under another package does not hide the project's own (hoisted) one
        let nested = r#"{"packages": {
            "node_modules/prisma": {"version": "7.9.1"},
            "node_modules/old-tool/node_modules/prisma": {"version": "5.0.0"}}}"#;
        assert_eq!(locked("package-lock.json", nested), vec![(7, 9, 1)]);
        // npm 7-8's v2 repeats v1's `dependencies`, where a nested copy is keyed `"prisma"`
        let v2 = r#"{"lockfileVersion": 2, "packages": {
            "node_modules/prisma": {"version": "7.9.1"},
            "node_modules/old-tool/node_modules/prisma": {"version": "5.0.0"}},
          "dependencies": {"prisma": {"version": "7.9.1"},
            "old-tool": {"version": "1.0.0", "dependencies": {"prisma": {"version": "5.0.0"}}}}}"#;
        assert_eq!(locked("package-lock.json", v2), vec![(7, 9, 1)]);
    }

    #[test]
    fn the_nearest_lockfile_wins_over_package_json() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let repo = dir.path();
        let mig = repo.join("apps/api/prisma/migrations");
        std::fs::create_dir_all(&mig).unwrap_or_else(|e| panic!("{e}"));
        std::fs::create_dir_all(repo.join(".git")).unwrap_or_else(|e| panic!("{e}"));
        let write = |p: &str, s: &str| {
            std::fs::write(repo.join(p), s).unwrap_or_else(|e| panic!("{e}"));
        };
        write(
            "apps/api/package.json",
            r#"{"devDependencies": {"prisma": "^7.0.0"}}"#,
        );
        assert_eq!(
            installed(&mig),
            Installed::Range(
                Some(((7, 0, 0), Some((8, 0, 0)))),
                "^7.0.0".into(),
                "../../package.json".into()
            )
        );
        write("pnpm-lock.yaml", "packages:\n  prisma@7.4.1:\n");
        assert_eq!(
            installed(&mig),
            Installed::Locked(vec![(7, 4, 1)], "../../../../pnpm-lock.yaml".into())
        );
        // above the repository root nothing is read
        let outer = repo.join("apps");
        std::fs::create_dir_all(outer.join(".git")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::remove_file(repo.join("apps/api/package.json")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(installed(&mig), Installed::Unknown);
    }
}
