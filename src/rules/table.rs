//! The rules table, generated from the docs: `migcheck rules` and the README section.

use super::registry;

pub fn json() -> serde_json::Value {
    serde_json::Value::Array(
        registry()
            .iter()
            .map(|r| {
                serde_json::json!({
                    "id": r.meta.id, "name": r.meta.name, "level": r.meta.level,
                    "versions": r.meta.versions, "summary": r.meta.summary,
                    "default": if r.meta.default_off { "off" } else { "on" }, "doc": r.meta.doc_path,
                })
            })
            .collect(),
    )
}

pub fn text() -> String {
    let rows: Vec<[String; 4]> = registry()
        .iter()
        .map(|r| {
            [
                r.meta.id.to_string(),
                r.meta.name.to_string(),
                r.meta.level.to_string(),
                r.meta.summary.clone(),
            ]
        })
        .collect();
    let w0 = rows.iter().map(|r| r[1].len()).max().unwrap_or(0);
    let mut s = String::new();
    for r in &rows {
        s.push_str(&format!("{}  {:w0$}  {:7}  {}\n", r[0], r[1], r[2], r[3]));
    }
    s
}

/// The README's rules table (Markdown), between the `rules-table` markers.
pub fn markdown() -> String {
    let mut s =
        String::from("| id | name | level | versions | what it catches |\n|---|---|---|---|---|\n");
    for r in registry() {
        s.push_str(&format!(
            "| {} | [`{}`]({}) | {} | {} | {} |\n",
            r.meta.id, r.meta.name, r.meta.doc_path, r.meta.level, r.meta.versions, r.meta.summary
        ));
    }
    s
}
