//! Sqitch: the order is `sqitch.plan`, scripts are `deploy/<change>.sql` and
//! `revert/<change>.sql` (reworked changes keep old scripts as `<change>@<tag>.sql`). Each
//! script runs through `psql --file`: the script's own BEGIN/COMMIT decide (script-controlled).

use super::*;

/// The directory holding `sqitch.plan`: the root, one of its subdirectories, or an ancestor.
pub fn plan_dir(root: &Path) -> Option<PathBuf> {
    let is_plan = |d: &Path| {
        let p = d.join("sqitch.plan");
        p.is_file()
            && read_text(&p)
                .lines()
                .next()
                .is_some_and(|l| l.starts_with('%'))
    };
    if is_plan(root) {
        return Some(root.to_path_buf());
    }
    if let Ok(rd) = std::fs::read_dir(root) {
        let mut subs: Vec<PathBuf> = rd
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        subs.sort();
        if let Some(d) = subs.into_iter().find(|d| is_plan(d)) {
            return Some(d);
        }
    }
    let mut dir = root.parent();
    while let Some(d) = dir {
        if is_plan(d) {
            return Some(d.to_path_buf());
        }
        if d.join(".git").exists() {
            break;
        }
        dir = d.parent();
    }
    None
}

/// Drops `.` components so paths compare equal to the walked ones.
fn clean(p: &Path) -> PathBuf {
    p.components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect()
}

pub fn units(ctx: &DirCtx<'_>) -> Vec<Unit> {
    let Some(dir) = plan_dir(ctx.root) else {
        return Vec::new();
    };
    let plan = read_text(&dir.join("sqitch.plan"));
    // (change name, first tag after it)
    let mut changes: Vec<(String, Option<String>)> = Vec::new();
    for line in plan.lines() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('%') || l.starts_with('#') {
            continue;
        }
        if let Some(tag) = l.strip_prefix('@') {
            let tag = tag.split_whitespace().next().unwrap_or("").to_string();
            for c in changes.iter_mut().rev() {
                if c.1.is_some() {
                    break;
                }
                c.1 = Some(tag.clone());
            }
            continue;
        }
        let name = l.split_whitespace().next().unwrap_or("");
        if name.starts_with('-') {
            continue; // a revert entry in the plan
        }
        changes.push((name.trim_start_matches('+').to_string(), None));
    }
    // sqitch.conf may move the scripts: [core] top_dir / deploy_dir / revert_dir
    let conf = read_text(&dir.join("sqitch.conf"));
    let setting = |key: &str| {
        conf.lines()
            .map(str::trim)
            .filter(|l| !l.starts_with('#') && !l.starts_with(';'))
            .filter_map(|l| l.split_once('='))
            .find(|(k, _)| k.trim() == key)
            .map(|(_, v)| v.trim().trim_matches('"').to_string())
    };
    let top = setting("top_dir").map_or_else(|| dir.clone(), |t| clean(&dir.join(t)));
    let deploy_dir =
        setting("deploy_dir").map_or_else(|| top.join("deploy"), |d| clean(&dir.join(d)));
    let revert_dir =
        setting("revert_dir").map_or_else(|| top.join("revert"), |d| clean(&dir.join(d)));
    let mut out = Vec::new();
    let total = changes.len();
    for (k, (name, tag)) in changes.iter().enumerate() {
        let reworked_later = changes[k + 1..].iter().any(|(n, _)| n == name);
        let script = |base: &Path| match (reworked_later, tag) {
            (true, Some(t)) => base.join(format!("{name}@{t}.sql")),
            _ => base.join(format!("{name}.sql")),
        };
        let deploy = script(&deploy_dir);
        let revert = script(&revert_dir);
        let up = ctx.is_file(&deploy).then(|| Part::file(deploy.clone()));
        let down = if ctx.is_file(&revert) {
            Down::Part(Part::file(revert.clone()))
        } else {
            Down::Missing {
                expected: ctx.rel(&revert),
            }
        };
        let order = format!("{:0width$}", k, width = total.to_string().len());
        out.push(Unit::new(
            Layout::Sqitch,
            name.clone(),
            order,
            up,
            down,
            TxMode::Script,
            "sqitch runs each script with psql: its own BEGIN/COMMIT decide",
        ));
    }
    out
}
