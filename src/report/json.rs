//! `--format json`: one object `{ "findings": [...], "summary": {...} }`. Field names are stable;
//! see README "JSON output".

use std::io::Write;

use serde::Serialize;

use super::Summary;
use crate::engine::Finding;

#[derive(Serialize)]
struct Output<'a> {
    findings: &'a [Finding],
    summary: &'a Summary,
}

pub fn write(w: &mut dyn Write, findings: &[Finding], summary: &Summary) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, &Output { findings, summary })
        .map_err(std::io::Error::other)?;
    writeln!(w)
}
