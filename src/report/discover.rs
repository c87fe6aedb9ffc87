//! `migcheck discover`: the layout, its evidence, and every migration unit.

use std::path::Path;

use serde_json::json;

use crate::engine::display_path;
use crate::source::discover::Discovery;
use crate::source::layout::{Down, Part};

fn part_json(p: &Part) -> serde_json::Value {
    let path = display_path(&p.file);
    match &p.sections {
        None => json!(path),
        Some(_) => json!(format!("{path} (sections)")),
    }
}

pub fn json(root: &Path, d: &Discovery) -> serde_json::Value {
    let units: Vec<serde_json::Value> = d
        .units
        .iter()
        .map(|u| {
            let (down, down_note) = match &u.down {
                Down::Part(p) => (part_json(p), serde_json::Value::Null),
                Down::Missing { expected } => (
                    serde_json::Value::Null,
                    json!(format!("missing: {expected}")),
                ),
                Down::None => (
                    serde_json::Value::Null,
                    json!(format!(
                        "none by design: {} has no down-migrations",
                        u.layout
                    )),
                ),
            };
            let mut v = json!({
                "id": u.id,
                "order": u.order,
                "up": u.up.as_ref().map(part_json),
                "down": down,
                "transaction": u.tx.name(),
                "transaction_reason": u.tx_reason,
            });
            if !down_note.is_null() {
                v["down_note"] = down_note;
            }
            if let Some(Down::Part(Part {
                tx: Some((m, why)), ..
            })) = Some(&u.down)
            {
                v["down_transaction"] = json!(m.name());
                v["down_transaction_reason"] = json!(why);
            }
            if !u.sidecars.is_empty() {
                v["sidecars"] = json!(
                    u.sidecars
                        .iter()
                        .map(|s| display_path(s))
                        .collect::<Vec<_>>()
                );
            }
            v
        })
        .collect();
    json!({
        "path": display_path(root),
        "layout": d.detection.layout.name(),
        "evidence": d.detection.evidence,
        "forced": d.detection.forced,
        "candidates": d.detection.candidates.iter().map(|c| json!({"layout": c.layout.name(), "evidence": c.evidence})).collect::<Vec<_>>(),
        "units": units,
        "skipped": d.skipped.iter().map(|(p, why)| json!({"file": display_path(p), "reason": why})).collect::<Vec<_>>(),
        "unreadable": d.errors.iter().map(|(p, why)| json!({"path": display_path(p), "reason": why})).collect::<Vec<_>>(),
    })
}

pub fn text(root: &Path, d: &Discovery) -> String {
    let mut s = format!(
        "{}: {} ({})\n",
        display_path(root),
        d.detection.layout,
        d.detection.evidence.join("; ")
    );
    for c in &d.detection.candidates {
        s.push_str(&format!(
            "  also fits: {} ({})\n",
            c.layout,
            c.evidence.join("; ")
        ));
    }
    for u in &d.units {
        let up =
            u.up.as_ref()
                .map_or("-".to_string(), |p| display_path(&p.file));
        let down = match &u.down {
            Down::Part(p) => display_path(&p.file),
            Down::Missing { expected } => format!("MISSING ({expected})"),
            Down::None => "none by design".to_string(),
        };
        s.push_str(&format!(
            "  {}  up: {}  down: {}  transaction: {} ({})\n",
            u.id,
            up,
            down,
            u.tx.name(),
            u.tx_reason
        ));
    }
    for (p, why) in &d.skipped {
        s.push_str(&format!("  skipped {}: {}\n", display_path(p), why));
    }
    s.push_str(&format!("{} migration(s)\n", d.units.len()));
    s
}
