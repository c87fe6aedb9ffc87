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
    // serde_json writes a few bytes at a time: buffer them here, where the writes are static
    // calls, not one dynamic call each (a million of them for ten thousand findings)
    let mut w = std::io::BufWriter::with_capacity(1 << 16, w);
    serde_json::to_writer_pretty(&mut w, &Output { findings, summary })
        .map_err(std::io::Error::other)?;
    writeln!(w)?;
    w.flush()
}
