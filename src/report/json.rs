//! `--format json`: one object `{ "findings": [...], "summary": {...} }`, and `json-lines`: one
//! finding per line. Field names are stable; see README "JSON output".
//!
//! Findings are written by hand (the same bytes serde_json's pretty and compact printers give,
//! checked by the tests below): a large tree has hundreds of thousands, and serde_json's
//! key-by-key writes with per-byte escaping were 7 % of a whole run. SARIF results and GitLab
//! issues are written here the same way (`sarif_result`, `gitlab_issue`).

use std::io::Write;

use serde::Serialize;

use super::Summary;
use crate::engine::Finding;

pub fn write(w: &mut dyn Write, findings: &[Finding], summary: &Summary) -> std::io::Result<()> {
    w.write_all(b"{\n  \"findings\": [")?;
    in_chunks(w, findings, |out, i, f| {
        out.extend_from_slice(if i == 0 { b"\n    " } else { b",\n    " });
        finding(out, f, true);
    })?;
    let mut out = Vec::with_capacity(1 << 12);
    if !findings.is_empty() {
        out.extend_from_slice(b"\n  ");
    }
    out.extend_from_slice(b"],\n  \"summary\": ");
    summary_object(&mut out, summary, 1);
    out.extend_from_slice(b"\n}\n");
    w.write_all(&out)?;
    w.flush()
}

/// `--format json-lines`: one compact JSON object per finding and line.
pub fn write_lines(w: &mut dyn Write, findings: &[Finding]) -> std::io::Result<()> {
    in_chunks(w, findings, |out, _, f| {
        finding(out, f, false);
        out.push(b'\n');
    })
}

/// Writes what `render(out, index, item)` appends for each item, in order, 256 items per
/// chunk (see `report::chunked`).
pub(super) fn in_chunks<T: Sync>(
    w: &mut dyn Write,
    items: &[T],
    render: impl Fn(&mut Vec<u8>, usize, &T) + Sync,
) -> std::io::Result<()> {
    super::chunked(w, items, 256, |out, i, item| {
        render(out, i, item);
        Ok(())
    })
}

/// One finding as a JSON object (the README's field order): `pretty` at the depth of
/// `--format json`'s findings array (the object at nesting 2), else compact (JSON lines).
/// Each key with its separator and indentation is one constant, and the rule's id, name and
/// doc path are escaped once per rule (`RuleParts`): keys and fixed strings were a third of
/// writing a finding.
fn finding(out: &mut Vec<u8>, f: &Finding, pretty: bool) {
    /// `,` then the key, indented for a field of a finding object, or compact.
    macro_rules! key {
        ($k:literal) => {
            if pretty {
                concat!(",\n      \"", $k, "\": ").as_bytes()
            } else {
                concat!(",\"", $k, "\":").as_bytes()
            }
        };
    }
    let parts = rule_parts(f.meta);
    match parts {
        Some(p) => out.extend_from_slice(if pretty { &p.pretty } else { &p.compact }),
        None => {
            out.extend_from_slice(if pretty {
                b"{\n      \"rule\": "
            } else {
                b"{\"rule\":"
            });
            escaped(out, f.rule());
            out.extend_from_slice(key!("name"));
            escaped(out, f.name());
        }
    }
    out.extend_from_slice(key!("level"));
    out.extend_from_slice(match f.level {
        crate::rules::Level::Info => b"\"info\"",
        crate::rules::Level::Warning => b"\"warning\"",
        crate::rules::Level::Danger => b"\"danger\"",
        crate::rules::Level::Error => b"\"error\"",
    });
    out.extend_from_slice(key!("file"));
    escaped(out, &f.file);
    out.extend_from_slice(key!("line"));
    write_uint(out, u64::from(f.line));
    out.extend_from_slice(key!("column"));
    write_uint(out, u64::from(f.column));
    out.extend_from_slice(key!("end_line"));
    write_uint(out, u64::from(f.end_line));
    out.extend_from_slice(key!("end_column"));
    write_uint(out, u64::from(f.end_column));
    out.extend_from_slice(key!("message"));
    escaped(out, &f.message);
    if !f.label.is_empty() {
        out.extend_from_slice(key!("label"));
        escaped(out, &f.label);
    }
    out.extend_from_slice(key!("help"));
    match (&f.own_help, parts) {
        (None, Some(p)) => out.extend_from_slice(&p.help),
        _ => escaped(out, f.help()),
    }
    out.extend_from_slice(key!("notes"));
    string_list(out, &f.notes, pretty.then_some(2));
    out.extend_from_slice(key!("doc"));
    match parts {
        Some(p) => out.extend_from_slice(&p.doc),
        None => escaped(out, f.doc()),
    }
    if let Some(v) = &f.versions {
        out.extend_from_slice(key!("pg_versions"));
        string_list(out, &v.pg_versions, pretty.then_some(2));
        out.extend_from_slice(key!("verdict"));
        escaped(out, &v.verdict);
    }
    out.extend_from_slice(key!("migration"));
    escaped(out, &f.migration);
    if let Some(n) = f.statement {
        out.extend_from_slice(key!("statement"));
        write_uint(out, u64::from(n));
    }
    if let Some(st) = &f.signoff {
        out.extend_from_slice(key!("signoff"));
        // rare (only with a ledger): serde_json, indented to this depth
        let _ = nested(out, st, pretty.then_some(3));
    }
    out.extend_from_slice(if pretty { b"\n    }" } else { b"}" });
}

/// A list of strings as the value of a field of an object at nesting `level` (pretty), or
/// compact with `None`: serde_json's layout.
fn string_list<S: AsRef<str>>(out: &mut Vec<u8>, items: &[S], level: Option<usize>) {
    if items.is_empty() {
        out.extend_from_slice(b"[]");
        return;
    }
    out.push(b'[');
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if let Some(l) = level {
            newline(out, l + 2);
        }
        escaped(out, s.as_ref());
    }
    if let Some(l) = level {
        newline(out, l + 1);
    }
    out.push(b']');
}

/// A rule's fixed part of a finding object, escaped once: the opening up to the rule's name
/// (pretty and compact), and its doc path as a JSON string.
struct RuleParts {
    meta: &'static crate::rules::RuleMeta,
    pretty: Box<[u8]>,
    compact: Box<[u8]>,
    doc: Box<[u8]>,
    /// The rule's own help (most findings carry it rather than one of their own).
    help: Box<[u8]>,
}

/// The parts of `meta`'s findings (`None` for a rule outside the registry).
fn rule_parts(meta: &crate::rules::RuleMeta) -> Option<&'static RuleParts> {
    static PARTS: std::sync::OnceLock<crate::fasthash::FastMap<&'static str, RuleParts>> =
        std::sync::OnceLock::new();
    let parts = PARTS.get_or_init(|| {
        crate::rules::registry()
            .iter()
            .map(|r| {
                let m = &r.meta;
                let opening = |pretty: bool| {
                    let mut out = Vec::new();
                    let mut o = Object::open(&mut out, pretty.then_some(2));
                    o.str("rule", m.id);
                    o.str("name", m.name);
                    // not closed: `finding` goes on with the next key
                    out.into_boxed_slice()
                };
                let mut doc = Vec::new();
                escaped(&mut doc, &m.doc_path);
                let mut help = Vec::new();
                escaped(&mut help, &m.help);
                let parts = RuleParts {
                    meta: m,
                    pretty: opening(true),
                    compact: opening(false),
                    doc: doc.into_boxed_slice(),
                    help: help.into_boxed_slice(),
                };
                (m.id, parts)
            })
            .collect()
    });
    parts.get(meta.id).filter(|p| std::ptr::eq(p.meta, meta))
}

/// The summary as serde_json prints it at nesting `level` (written by hand like findings: a
/// large tree skips thousands of files, and serde_json escapes byte by byte).
fn summary_object(out: &mut Vec<u8>, s: &Summary, level: usize) {
    let mut o = Object::open(out, Some(level));
    o.str("pg_version", &s.pg_version);
    o.raw(
        "pg_version_assumed",
        if s.pg_version_assumed {
            "true"
        } else {
            "false"
        },
    );
    o.uint("files", s.files);
    o.uint("migrations", s.migrations);
    o.uint("statements", s.statements);
    let c = &s.findings;
    o.counts(
        "findings",
        &[
            ("error", c.error),
            ("danger", c.danger),
            ("warning", c.warning),
            ("info", c.info),
        ],
    );
    let p = &s.parse;
    o.counts(
        "parse",
        &[
            ("sqlparser", p.sqlparser),
            ("fallback", p.fallback),
            ("kind_only", p.kind_only),
            ("psql_meta", p.psql_meta),
            ("unparsed", p.unparsed),
            ("templated", p.templated),
        ],
    );
    o.key("skipped_files");
    if s.skipped_files.is_empty() {
        o.out.extend_from_slice(b"[]");
    } else {
        o.out.push(b'[');
        for (i, sk) in s.skipped_files.iter().enumerate() {
            if i > 0 {
                o.out.push(b',');
            }
            newline(o.out, level + 2);
            let mut e = Object::open(o.out, Some(level + 2));
            e.str("file", &sk.file);
            e.str("reason", &sk.reason);
            e.close();
        }
        newline(o.out, level + 1);
        o.out.push(b']');
    }
    o.uint("signed_off", s.signed_off);
    o.uint("suppressed", s.suppressed);
    o.raw("exit_code", &s.exit_code.to_string());
    o.close();
}

/// One SARIF result at nesting `level`, keys in serde_json's (sorted) order: the bytes
/// `serde_json::to_writer_pretty` gave for the `json!` value `formats::sarif` built before
/// (a `Value` tree per finding was a third of a SARIF run; checked by the tests below).
pub(super) fn sarif_result(
    out: &mut Vec<u8>,
    f: &Finding,
    fingerprint: &str,
    rule_index: u32,
    level: usize,
) {
    let l = Some(level);
    let child = |n: usize| Some(level + n);
    let mut o = Object::open(out, l);
    o.str("level", super::formats::sarif_level(f.level));
    o.key("locations");
    o.out.push(b'[');
    newline(o.out, level + 2);
    {
        let mut loc = Object::open(o.out, child(2));
        loc.key("physicalLocation");
        let mut phys = Object::open(loc.out, child(3));
        phys.key("artifactLocation");
        let mut art = Object::open(phys.out, child(4));
        art.str("uri", &f.file);
        art.close();
        phys.key("region");
        let mut region = Object::open(phys.out, child(4));
        region.num("endColumn", f.end_column.max(1));
        region.num("endLine", f.end_line.max(f.line));
        region.num("startColumn", f.column);
        region.num("startLine", f.line);
        region.close();
        phys.close();
        loc.close();
    }
    newline(o.out, level + 1);
    o.out.push(b']');
    o.key("message");
    let mut message = Object::open(o.out, child(1));
    message.key("text");
    let mut text = String::with_capacity(f.message.len() + f.help().len() + 8);
    text.push_str(&f.message);
    text.push_str(". Help: ");
    text.push_str(f.help());
    escaped(message.out, &text);
    message.close();
    o.key("partialFingerprints");
    let mut fp = Object::open(o.out, child(1));
    fp.str("migcheck/v1", fingerprint);
    fp.close();
    o.key("properties");
    let mut props = Object::open(o.out, child(1));
    props.str("migcheck-level", f.level.as_str());
    props.strs("notes", &f.notes);
    props.close();
    o.str("ruleId", f.rule());
    o.num("ruleIndex", rule_index);
    o.key("suppressions");
    match f.signoff.as_deref() {
        Some(crate::signoff::Status::Accepted {
            approver,
            date,
            reason,
        }) => {
            o.out.push(b'[');
            newline(o.out, level + 2);
            let mut s = Object::open(o.out, child(2));
            s.str(
                "justification",
                &format!("signed off by {approver} on {date}: {reason}"),
            );
            s.str("kind", "external");
            s.str("status", "accepted");
            s.close();
            newline(o.out, level + 1);
            o.out.push(b']');
        }
        _ => o.out.extend_from_slice(b"[]"),
    }
    o.close();
}

/// One GitLab Code Quality issue at nesting `level`, keys in serde_json's (sorted) order (the
/// bytes the `json!` value `formats::gitlab` built before gave).
pub(super) fn gitlab_issue(out: &mut Vec<u8>, f: &Finding, fingerprint: &str, level: usize) {
    let mut o = Object::open(out, Some(level));
    o.str("check_name", f.name());
    o.key("description");
    let mut description = String::with_capacity(f.message.len() + 10);
    description.push_str(&f.message);
    description.push_str(" [");
    description.push_str(f.rule());
    description.push(']');
    escaped(o.out, &description);
    o.str("fingerprint", fingerprint);
    o.key("location");
    let mut location = Object::open(o.out, Some(level + 1));
    location.key("lines");
    let mut lines = Object::open(location.out, Some(level + 2));
    lines.num("begin", f.line);
    lines.num("end", f.end_line.max(f.line));
    lines.close();
    location.str("path", &f.file);
    location.close();
    o.str("severity", super::formats::gitlab_severity(f.level));
    o.close();
}

/// A JSON object being written: keys, separators and indentation as serde_json prints them.
struct Object<'a> {
    out: &'a mut Vec<u8>,
    level: Option<usize>,
    first: bool,
}

impl<'a> Object<'a> {
    fn open(out: &'a mut Vec<u8>, level: Option<usize>) -> Self {
        out.push(b'{');
        Object {
            out,
            level,
            first: true,
        }
    }

    fn key(&mut self, k: &str) {
        if !std::mem::replace(&mut self.first, false) {
            self.out.push(b',');
        }
        if let Some(l) = self.level {
            newline(self.out, l + 1);
        }
        // keys are plain field names: nothing to escape
        self.out.push(b'"');
        self.out.extend_from_slice(k.as_bytes());
        self.out.extend_from_slice(if self.level.is_some() {
            b"\": "
        } else {
            b"\":"
        });
    }

    fn str(&mut self, k: &str, v: &str) {
        self.key(k);
        escaped(self.out, v);
    }

    /// `k` holding an object of named counts, one level deeper.
    fn counts(&mut self, k: &str, items: &[(&str, usize)]) {
        self.key(k);
        let mut inner = Object::open(self.out, self.level.map(|l| l + 1));
        for (name, n) in items {
            inner.uint(name, *n);
        }
        inner.close();
    }

    /// A value written as is (a number or `true`/`false`).
    fn raw(&mut self, k: &str, v: &str) {
        self.key(k);
        self.out.extend_from_slice(v.as_bytes());
    }

    fn num(&mut self, k: &str, v: u32) {
        self.uint(k, u64::from(v));
    }

    /// `k` holding a count or position.
    fn uint(&mut self, k: &str, v: impl TryInto<u64>) {
        self.key(k);
        write_uint(self.out, v.try_into().unwrap_or(u64::MAX));
    }

    fn strs<S: AsRef<str>>(&mut self, k: &str, items: &[S]) {
        self.key(k);
        string_list(self.out, items, self.level);
    }

    fn close(self) {
        if let Some(l) = self.level
            && !self.first
        {
            newline(self.out, l);
        }
        self.out.push(b'}');
    }
}

/// A count or position, its digits written without formatting machinery.
fn write_uint(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

fn newline(out: &mut Vec<u8>, level: usize) {
    const SPACES: &[u8; 32] = b"                                ";
    out.push(b'\n');
    match SPACES.get(..2 * level) {
        Some(s) => out.extend_from_slice(s),
        None => out.resize(out.len() + 2 * level, b' '),
    }
}

/// `value` by serde_json, pretty and indented as if it stood at nesting `level`, or compact.
pub(super) fn nested<T: Serialize + ?Sized>(
    out: &mut Vec<u8>,
    value: &T,
    level: Option<usize>,
) -> std::io::Result<()> {
    let Some(level) = level else {
        return serde_json::to_writer(out, value).map_err(std::io::Error::other);
    };
    serde_json::to_writer_pretty(Indented { out, level }, value).map_err(std::io::Error::other)
}

/// Writes serde_json's pretty output indented `level` deeper: its printer writes each line
/// break alone, and JSON strings hold no raw line break (one pass, no copy of the whole text).
struct Indented<'a> {
    out: &'a mut Vec<u8>,
    level: usize,
}

impl Write for Indented<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match buf.iter().position(|&b| b == b'\n') {
            None => self.out.extend_from_slice(buf),
            Some(_) => {
                for (i, line) in buf.split(|&b| b == b'\n').enumerate() {
                    if i > 0 {
                        newline(self.out, self.level);
                    }
                    self.out.extend_from_slice(line);
                }
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `s` as a JSON string, escaped as serde_json does (`"`, `\`, and control characters; the
/// usual short forms, `\u00XX` for the others; everything else as is).
fn escaped(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        // eight bytes at a time while none needs escaping (most strings have none)
        if let Some(chunk) = bytes.get(i..i + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            if !needs_escape(u64::from_le_bytes(word)) {
                i += 8;
                continue;
            }
        }
        let b = bytes[i];
        i += 1;
        if b >= 0x20 && b != b'"' && b != b'\\' {
            continue;
        }
        out.extend_from_slice(&bytes[start..i - 1]);
        start = i;
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            _ => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 15)],
            ]),
        }
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Whether any byte of `w` is below 0x20, `"` or `\` (the classic "has a zero byte" and
/// "has a byte below n" bit tricks; exact, no false negatives, the caller then checks byte by
/// byte).
fn needs_escape(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let below_space = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
    (below_space | zero(w ^ (ONES * u64::from(b'"'))) | zero(w ^ (ONES * u64::from(b'\\')))) != 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A finding whose strings need escaping, with notes and (optionally) an accepted sign-off.
    fn tricky(signed: bool) -> Finding {
        Finding {
            meta: crate::rules::find("MC010").expect("MC010 exists"),
            level: crate::rules::Level::Danger,
            file: "db/\"q\"\\001.up.sql".into(),
            file_index: 0,
            span: None,
            line: 7,
            column: 3,
            end_line: 2,
            end_column: 0,
            message: "adding `a` to \"t\"\u{1}\ttab é".into(),
            label: "".into(),
            own_help: Some("use \"x\"\n then y".into()),
            notes: vec!["one\u{7f}".into(), "two \\ three".into()],
            versions: None,
            migration: "001".into(),
            statement: Some(1),
            hashes: None,
            signoff: signed.then(|| {
                Box::new(crate::signoff::Status::Accepted {
                    approver: "ann \"a\"".into(),
                    date: "2026-11-27".into(),
                    reason: "ok\nfine".into(),
                })
            }),
        }
    }

    /// `value` pretty-printed as it stands at nesting `level` of a larger document.
    fn at_level(value: &serde_json::Value, level: usize) -> String {
        let mut out = Vec::new();
        nested(&mut out, value, Some(level)).expect("serialises");
        String::from_utf8(out).expect("utf-8")
    }

    /// A finding as a struct serde_json writes (the README's field order).
    #[derive(Serialize)]
    struct AsSerde<'a> {
        rule: &'a str,
        name: &'a str,
        level: crate::rules::Level,
        file: &'a str,
        line: u32,
        column: u32,
        end_line: u32,
        end_column: u32,
        message: &'a str,
        #[serde(skip_serializing_if = "str::is_empty")]
        label: &'a str,
        help: &'a str,
        notes: &'a [std::sync::Arc<str>],
        doc: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        pg_versions: Option<&'a [String]>,
        #[serde(skip_serializing_if = "Option::is_none")]
        verdict: Option<&'a str>,
        migration: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        statement: Option<u32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        signoff: Option<&'a crate::signoff::Status>,
    }

    #[test]
    fn findings_are_written_as_serde_json_writes_them() {
        let mut cases = vec![tricky(false), tricky(true)];
        let mut more = tricky(false);
        more.label = "a \"label\"".into();
        more.notes.clear();
        more.statement = None;
        more.versions = Some(Box::new(crate::engine::Versions {
            pg_versions: vec!["10".into(), "11".into()],
            verdict: "danger on 10–11; not flagged on 12–18".into(),
        }));
        cases.push(more);
        // the rule's own help (precomputed), for a rule in the registry and one outside it
        let mut plain = tricky(false);
        plain.own_help = None;
        cases.push(plain);
        // a rule outside the registry: its fixed parts are not precomputed
        let mut own = tricky(false);
        let mut meta = own.meta.clone();
        meta.name = "own-\"rule\"";
        own.meta = Box::leak(Box::new(meta));
        let mut own_plain = own.clone();
        own_plain.own_help = None;
        cases.push(own);
        cases.push(own_plain);
        for f in &cases {
            let value = AsSerde {
                rule: f.rule(),
                name: f.name(),
                level: f.level,
                file: &f.file,
                line: f.line,
                column: f.column,
                end_line: f.end_line,
                end_column: f.end_column,
                message: &f.message,
                label: &f.label,
                help: f.help(),
                notes: &f.notes,
                doc: f.doc(),
                pg_versions: f.versions.as_ref().map(|v| v.pg_versions.as_slice()),
                verdict: f.versions.as_ref().map(|v| v.verdict.as_str()),
                migration: &f.migration,
                statement: f.statement,
                signoff: f.signoff.as_deref(),
            };
            for (pretty, level) in [(true, Some(2)), (false, None)] {
                let mut out = Vec::new();
                finding(&mut out, f, pretty);
                let mut expected = Vec::new();
                nested(&mut expected, &value, level).expect("serialises");
                assert_eq!(
                    String::from_utf8(out).expect("utf-8"),
                    String::from_utf8(expected).expect("utf-8")
                );
            }
        }
    }

    #[test]
    fn sarif_results_are_the_json_values_they_replaced() {
        for signed in [false, true] {
            let f = tricky(signed);
            let suppressions = if signed {
                json!([{"kind": "external", "status": "accepted",
                    "justification": "signed off by ann \"a\" on 2026-11-27: ok\nfine"}])
            } else {
                json!([])
            };
            let value = json!({
                "ruleId": f.rule(),
                "ruleIndex": 12,
                "suppressions": suppressions,
                "level": "error",
                "message": {"text": format!("{}. Help: {}", f.message, f.help())},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": f.file},
                    "region": {"startLine": 7, "startColumn": 3, "endLine": 7, "endColumn": 1},
                }}],
                "partialFingerprints": {"migcheck/v1": "abc"},
                "properties": {"migcheck-level": f.level, "notes": f.notes},
            });
            for level in [0, 4] {
                let mut out = Vec::new();
                sarif_result(&mut out, &f, "abc", 12, level);
                assert_eq!(
                    String::from_utf8(out).expect("utf-8"),
                    at_level(&value, level)
                );
            }
        }
    }

    #[test]
    fn gitlab_issues_are_the_json_values_they_replaced() {
        let f = tricky(false);
        let value = json!({
            "description": format!("{} [{}]", f.message, f.rule()),
            "check_name": f.name(),
            "fingerprint": "abc",
            "severity": "critical",
            "location": {"path": f.file, "lines": {"begin": 7, "end": 7}},
        });
        for level in [0, 1] {
            let mut out = Vec::new();
            gitlab_issue(&mut out, &f, "abc", level);
            assert_eq!(
                String::from_utf8(out).expect("utf-8"),
                at_level(&value, level)
            );
        }
    }

    #[test]
    fn strings_are_escaped_like_serde_json() {
        let mut every: String = (0u8..0x80).map(char::from).collect();
        every.push_str("é €😀\u{2028}\u{7f}\u{80}");
        let mut cases: Vec<String> = vec![every, String::new(), "plain".into()];
        // every special byte at every position of strings around the 8-byte steps
        for special in ['"', '\\', '\n', '\u{1}', '\u{1f}', ' ', '\u{7f}', 'é'] {
            for len in [1, 7, 8, 9, 16, 17, 23] {
                for at in 0..len {
                    let mut s: String = "abcdefghijklmnopqrstuvw".chars().take(len).collect();
                    s.replace_range(at..at + 1, &special.to_string());
                    cases.push(s);
                }
            }
        }
        for s in &cases {
            let mut out = Vec::new();
            escaped(&mut out, s);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(s).unwrap()
            );
        }
    }

    #[test]
    fn summary_is_written_as_serde_json_writes_it() {
        let mut s = Summary {
            pg_version: "16".to_string(),
            pg_version_assumed: true,
            files: 12,
            migrations: 7,
            statements: 1234,
            findings: super::super::LevelCounts {
                error: 1,
                danger: 2,
                warning: 3,
                info: 0,
            },
            parse: super::super::ParseCounts {
                sqlparser: 10,
                fallback: 2,
                kind_only: 1,
                psql_meta: 0,
                unparsed: 4,
                templated: 5,
            },
            skipped_files: Vec::new(),
            signed_off: 0,
            suppressed: 9,
            exit_code: 1,
        };
        let both = |s: &Summary| {
            let mut hand = Vec::new();
            summary_object(&mut hand, s, 1);
            let mut serde = Vec::new();
            nested(&mut serde, s, Some(1)).expect("serialises");
            (
                String::from_utf8(hand).expect("utf8"),
                String::from_utf8(serde).expect("utf8"),
            )
        };
        let (hand, serde) = both(&s);
        assert_eq!(hand, serde);
        s.skipped_files = vec![
            super::super::SkippedFile {
                file: "db/x.mysql.sql".to_string(),
                reason: "written for mysql, not PostgreSQL".to_string(),
            },
            super::super::SkippedFile {
                file: "odd \"name\"\t\\é.sql".to_string(),
                reason: "line\nbreak".to_string(),
            },
        ];
        s.exit_code = -1;
        s.pg_version_assumed = false;
        let (hand, serde) = both(&s);
        assert_eq!(hand, serde);
        assert!(hand.contains("\"skipped_files\": [\n      {"), "{hand}");
    }

    #[test]
    fn nested_values_are_indented_to_their_depth() {
        #[derive(Serialize)]
        struct Inner {
            a: Vec<u32>,
            b: &'static str,
        }
        #[derive(Serialize)]
        struct Outer {
            x: Inner,
        }
        let v = Outer {
            x: Inner {
                a: vec![1, 2],
                b: "q\"",
            },
        };
        let mut out = b"{\n  \"x\": ".to_vec();
        nested(&mut out, &v.x, Some(1)).unwrap();
        out.extend_from_slice(b"\n}");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            serde_json::to_string_pretty(&v).unwrap()
        );
    }
}
