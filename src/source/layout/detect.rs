//! Which tool a migration directory belongs to, with the evidence. Strong markers (plan files,
//! sum files, manifests) beat content markers (`-- +goose Up`), which beat file-name shapes.
//! When several tools fit equally well the choice is reported with the candidates, never made
//! silently.

use rayon::prelude::*;

use serde::Serialize;

use super::*;

#[derive(Debug, Clone, Serialize)]
pub struct Detection {
    pub layout: Layout,
    pub evidence: Vec<String>,
    /// Other layouts that fit as well (the choice above was made by priority).
    pub candidates: Vec<Candidate>,
    /// Chosen by `--layout` or `layout = ...` in migcheck.toml.
    pub forced: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    pub layout: Layout,
    pub evidence: Vec<String>,
}

const STRONG: u8 = 3;
const CONTENT: u8 = 2;
const SHAPE: u8 = 1;

/// Which content markers a file's head has, in the order of `content` in `detect`: goose,
/// dbmate, node-pg-migrate, Liquibase, Graphile, popx variant, sqlx no-transaction. The goose,
/// dbmate and node-pg-migrate markers are those their `units` read (one predicate each). (Lines
/// found with memchr, only comment lines looked at: every file's head is read, and
/// `str::lines` with a lower-cased copy of each comment line was 2 % of a run.)
fn head_markers(h: &str, name: &str) -> [bool; 7] {
    let mut found = [false; 7];
    let bytes = h.as_bytes();
    let mut start = 0;
    while start < bytes.len() {
        let (line, next) = match memchr::memchr(b'\n', &bytes[start..]) {
            // as `str::lines`: a `\r` before the `\n` is not part of the line
            Some(p) => {
                let l = &h[start..start + p];
                (l.strip_suffix('\r').unwrap_or(l), start + p + 1)
            }
            None => (&h[start..], bytes.len()),
        };
        start = next;
        let t = line.trim_start();
        if !t.starts_with("--") {
            continue;
        }
        // the markers as the layouts' own parsers read them
        found[0] |= goose::annotation(line) == Some(goose::Annotation::Up);
        found[1] |= dbmate::marker(line).is_some_and(|(up, _)| up);
        found[2] |= node_pg_migrate::is_marker(t);
    }
    found[3] = liquibase::is_formatted(h);
    found[4] = h.starts_with("--! Previous:");
    found[5] = ory_popx::parse_name(name).is_some_and(|(_, pg, ac, _)| pg || ac);
    found[6] = h.starts_with("-- no-transaction");
    found
}

/// Project files from the directory up to the repository root: (path shown relative to the
/// migration directory, e.g. `../Cargo.toml`, and contents).
fn manifests(root: &Path) -> Vec<(PathBuf, String)> {
    const NAMES: [&str; 9] = [
        "go.mod",
        "Cargo.toml",
        "package.json",
        "diesel.toml",
        "flyway.conf",
        "flyway.toml",
        ".gmrc",
        "config.yaml",
        "atlas.hcl",
    ];
    let mut out = Vec::new();
    for (d, up) in project_dirs(root) {
        for name in NAMES {
            let p = d.join(name);
            if p.is_file() {
                out.push((up.join(name), read_head(&p, 256 * 1024)));
            }
        }
    }
    out
}

pub fn detect(ctx: &DirCtx<'_>, forced: Option<Layout>) -> Detection {
    if let Some(l) = forced {
        return Detection {
            layout: l,
            evidence: vec!["chosen with --layout / `layout` in migcheck.toml".into()],
            candidates: Vec::new(),
            forced: true,
        };
    }
    let mut signals: Vec<(Layout, u8, String)> = Vec::new();
    let mut add = |l: Layout, tier: u8, why: String| signals.push((l, tier, why));
    let names: Vec<String> = ctx.files.iter().map(|f| file_name(f)).collect();
    let man = manifests(ctx.root);
    let manifest_has = |file: &str, needle: &str| {
        man.iter()
            .find(|(p, c)| file_name(p) == file && c.contains(needle))
            .map(|(p, _)| p.display().to_string())
    };

    // strong markers
    if let Some(d) = sqitch::plan_dir(ctx.root) {
        add(
            Layout::Sqitch,
            STRONG,
            format!("sqitch.plan in {}", d.display()),
        );
    }
    if read_head(&ctx.root.join("atlas.sum"), 64).starts_with("h1:") {
        add(
            Layout::Atlas,
            STRONG,
            "atlas.sum with an h1: directory hash".into(),
        );
    }
    if ctx.root.join("migration_lock.toml").is_file() {
        add(Layout::Prisma, STRONG, "migration_lock.toml".into());
    }
    if let Some(p) = man.iter().find(|(p, _)| file_name(p) == ".gmrc") {
        add(Layout::Graphile, STRONG, format!("{}", p.0.display()));
    }
    if let Some((p, _)) = man.iter().find(|(p, c)| {
        file_name(p) == "config.yaml"
            && c.contains("version:")
            && p.parent()
                .is_some_and(|d| ctx.root.join(d).join("metadata").is_dir())
    }) {
        add(
            Layout::Hasura,
            STRONG,
            format!("Hasura project {} with metadata/", p.display()),
        );
    }
    if ctx.root.ends_with("supabase/migrations")
        && ctx
            .root
            .parent()
            .is_some_and(|s| s.join("config.toml").is_file())
    {
        add(
            Layout::Supabase,
            STRONG,
            "supabase/migrations beside supabase/config.toml".into(),
        );
    }
    if let Some(f) = ctx
        .files
        .iter()
        .find(|f| ctx.is_file(&f.with_file_name(format!("{}.conf", file_name(f)))))
    {
        add(
            Layout::Flyway,
            STRONG,
            format!("{}.conf sidecar", file_name(f)),
        );
    }
    if let Some(p) = man
        .iter()
        .find(|(p, _)| matches!(file_name(p).as_str(), "flyway.conf" | "flyway.toml"))
    {
        add(Layout::Flyway, STRONG, format!("{}", p.0.display()));
    }
    let has_flyway_names = names
        .iter()
        .any(|n| n.starts_with('V') && flyway::parse_name(n).is_some());
    let has_pairs = names
        .iter()
        .any(|n| split_up_down(n).is_some_and(|(s, _)| !leading_digits(s).is_empty()));
    let has_subdir_up = names.iter().any(|n| n.eq_ignore_ascii_case("up.sql"));
    let has_numbered = names
        .iter()
        .any(|n| !leading_digits(n).is_empty() && n.contains('_'));
    if let Some(p) =
        manifest_has("diesel.toml", "").or_else(|| manifest_has("Cargo.toml", "diesel_migrations"))
        && has_subdir_up
    {
        add(
            Layout::Diesel,
            STRONG,
            format!("{p} and <dir>/up.sql migrations"),
        );
    }
    if let Some(p) = manifest_has("Cargo.toml", "sqlx")
        && has_numbered
        && !has_subdir_up
    {
        add(Layout::Sqlx, STRONG, format!("sqlx in {p}"));
    }
    if let Some(p) = manifest_has("Cargo.toml", "refinery")
        && has_flyway_names
    {
        add(Layout::Refinery, STRONG, format!("refinery in {p}"));
    }
    if let Some(p) = manifest_has("go.mod", "golang-migrate/migrate")
        && has_pairs
    {
        add(
            Layout::GolangMigrate,
            STRONG,
            format!("golang-migrate in {p}"),
        );
    }
    if let Some(p) = manifest_has("go.mod", "pressly/goose") {
        add(Layout::Goose, STRONG, format!("goose in {p}"));
    }
    if let Some(p) = manifest_has("package.json", "node-pg-migrate") {
        add(
            Layout::NodePgMigrate,
            STRONG,
            format!("node-pg-migrate in {p}"),
        );
    }

    // content markers (file heads, read in parallel; only comment lines can hold a marker)
    let heads: Vec<[bool; 7]> = ctx
        .files
        .par_iter()
        .map(|f| head_markers(&ctx.head(f, 16 * 1024), &file_name(f)))
        .collect();
    let mut content: [Option<String>; 7] = Default::default();
    for (f, found) in ctx.files.iter().zip(&heads) {
        for (k, hit) in found.iter().enumerate() {
            if *hit && content[k].is_none() {
                let name = file_name(f);
                content[k] = Some(match k {
                    0 => format!("`-- +goose Up` in {name}"),
                    1 => format!("`-- migrate:up` in {name}"),
                    2 => format!("`-- Up Migration` in {name}"),
                    3 => format!("`--liquibase formatted sql` in {name}"),
                    4 => format!("`--! Previous:` header in {name}"),
                    5 => format!("popx dialect/autocommit variant {name}"),
                    _ => format!("`-- no-transaction` header in {name}"),
                });
            }
        }
    }
    let layouts = [
        Layout::Goose,
        Layout::Dbmate,
        Layout::NodePgMigrate,
        Layout::Liquibase,
        Layout::Graphile,
        Layout::OryPopx,
        Layout::Sqlx,
    ];
    for (l, why) in layouts.into_iter().zip(content) {
        if let Some(w) = why {
            // Liquibase's header is as strong as a manifest
            let tier = if l == Layout::Liquibase || l == Layout::Graphile {
                STRONG
            } else {
                CONTENT
            };
            add(l, tier, w);
        }
    }

    // file-name shapes
    if has_pairs {
        add(
            Layout::GolangMigrate,
            SHAPE,
            "NNN_name.up.sql / .down.sql pairs".into(),
        );
    }
    if has_subdir_up {
        add(Layout::Diesel, SHAPE, "<dir>/up.sql migrations".into());
    }
    if names
        .iter()
        .any(|n| n.eq_ignore_ascii_case("migration.sql"))
    {
        add(
            Layout::Prisma,
            SHAPE,
            "<dir>/migration.sql migrations".into(),
        );
    }
    if has_flyway_names {
        add(
            Layout::Flyway,
            SHAPE,
            "V<version>__<name>.sql file names".into(),
        );
    }

    let Some(best) = signals.iter().map(|s| s.1).max() else {
        let candidates = if has_numbered {
            // `<version>_<name>.sql` alone is also how sqlx (simple) and Supabase name migrations
            vec![
                Candidate {
                    layout: Layout::Sqlx,
                    evidence: vec!["sqlx names simple migrations <version>_<name>.sql".into()],
                },
                Candidate {
                    layout: Layout::Supabase,
                    evidence: vec!["Supabase names migrations <version>_<name>.sql".into()],
                },
            ]
        } else {
            Vec::new()
        };
        return Detection {
            layout: Layout::Plain,
            evidence: vec!["no migration tool's markers: plain ordered .sql files".into()],
            candidates,
            forced: false,
        };
    };
    // layouts at the best tier, in priority order (Layout's declaration order)
    let mut top: Vec<Layout> = signals
        .iter()
        .filter(|s| s.1 == best)
        .map(|s| s.0)
        .collect();
    top.sort();
    top.dedup();
    let evidence_of = |l: Layout| {
        let mut v: Vec<String> = Vec::new();
        for s in signals.iter().filter(|s| s.0 == l) {
            if !v.contains(&s.2) {
                v.push(s.2.clone());
            }
        }
        v
    };
    // known compatible pairs are not ambiguous: ory popx files are golang-migrate-shaped
    let mut chosen = top[0];
    if top.contains(&Layout::OryPopx) {
        chosen = Layout::OryPopx;
        top.retain(|l| *l != Layout::GolangMigrate);
    }
    let mut candidates: Vec<Candidate> = top
        .iter()
        .filter(|l| **l != chosen)
        .map(|l| Candidate {
            layout: *l,
            evidence: evidence_of(*l),
        })
        .collect();
    if best == SHAPE && chosen == Layout::GolangMigrate {
        // the same file shape is used by sqlx (reversible) and Hasura v2
        for l in [Layout::Sqlx, Layout::Hasura] {
            candidates.push(Candidate {
                layout: l,
                evidence: vec!["same NNN_name.up.sql / .down.sql shape".into()],
            });
        }
    }
    if best == SHAPE && chosen == Layout::Diesel {
        candidates.push(Candidate {
            layout: Layout::Hasura,
            evidence: vec!["Hasura v3 uses the same <dir>/up.sql shape".into()],
        });
    }
    if best == SHAPE && chosen == Layout::Flyway {
        candidates.push(Candidate {
            layout: Layout::Refinery,
            evidence: vec!["refinery uses the same V<n>__<name>.sql shape".into()],
        });
    }
    Detection {
        layout: chosen,
        evidence: evidence_of(chosen),
        candidates,
        forced: false,
    }
}

#[cfg(test)]
mod tests {
    use super::head_markers;

    #[test]
    fn head_markers_are_the_layouts_own_markers() {
        let h = "SELECT 1;\r\n-- +goose UP\r\n--  migrate:up\n-- Down Migration";
        let found = head_markers(h, "1_x.sql");
        assert_eq!(&found[..3], &[true, true, true]);
        // an indented marker is a comment to goose and dbmate; dbmate's is case-sensitive;
        // goose's must be the whole annotation
        for h in [
            "  -- +goose Up\n  -- migrate:up",
            "-- Migrate:Up\n-- note: +goose up",
            "-- +goose Upgrade\n-- migrate:upgrade",
            "SELECT '-- +goose up';",
        ] {
            assert_eq!(&head_markers(h, "1_x.sql")[..2], &[false; 2], "{h:?}");
        }
    }
}
