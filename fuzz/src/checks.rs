//! The bodies of migcheck's fuzz targets, one function per target. Each takes the fuzzer's bytes,
//! runs a part of migcheck through its public library API and panics when an invariant breaks
//! (spans outside the input or out of order, output that does not parse, ...).
//!
//! Shared by the cargo-fuzz targets (`fuzz/fuzz_targets/*.rs`) and by the main crate's
//! `tests/fuzz_regressions.rs` (included with `#[path]`), which replays every saved crash input
//! under plain `cargo test` on stable. Only `migcheck`, `serde_json` and `tempfile` are used here,
//! all of them dependencies of the main crate's tests too.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use migcheck::config::{self, Config};
use migcheck::engine::{self, RunResult, Settings};
use migcheck::ir::{Op, Span};
use migcheck::parse::{self, How, fallback, tokens};
use migcheck::pg::PgRange;
use migcheck::report;
use migcheck::source::discover::{self, Discovery};
use migcheck::source::layout::{self, Down, Layout, TxMode};
use migcheck::source::split;

/// A fuzz target's body.
pub type Target = fn(&[u8]);

/// The fuzz targets by name, for the regression test.
pub const TARGETS: [(&str, Target); 4] = [
    ("split", split),
    ("fallback", fallback),
    ("layout", layout),
    ("pipeline", pipeline),
];

// ---------------------------------------------------------------------------------------------
// (a) the statement splitter and template masker

/// `source::split::split` on any UTF-8 text: the masked copy keeps every byte position, statement
/// spans are non-empty, on character boundaries, inside the text, ordered and disjoint.
pub fn split(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let s = split::split(text);
    assert_eq!(s.masked.len(), text.len(), "masking keeps the byte length");
    for (i, (a, b)) in text.bytes().zip(s.masked.bytes()).enumerate() {
        assert!(
            a == b || matches!(b, b'x' | b'_' | b' '),
            "byte {i} ({a:#04x}) masked as {b:#04x}"
        );
    }
    let mut prev_end = 0;
    for (k, st) in s.statements.iter().enumerate() {
        let sp = st.span;
        assert!(
            sp.start < sp.end && sp.end <= text.len(),
            "statement {k} span {sp:?} outside the text (len {})",
            text.len()
        );
        assert!(
            sp.start >= prev_end,
            "statement {k} span {sp:?} overlaps or precedes the previous one (ends at {prev_end})"
        );
        assert!(
            text.is_char_boundary(sp.start) && text.is_char_boundary(sp.end),
            "statement {k} span {sp:?} splits a character"
        );
        assert!(
            !text.as_bytes()[sp.start].is_ascii_whitespace(),
            "statement {k} starts with whitespace"
        );
        if st.kind == split::RawKind::PsqlMeta {
            assert_eq!(
                text.as_bytes()[sp.start],
                b'\\',
                "meta-command starts with `\\`"
            );
        }
        prev_end = sp.end;
    }
    assert!(
        s.problems.is_sorted_by_key(|p| p.span.start),
        "problems are in file order"
    );
    for p in &s.problems {
        assert!(
            p.span.start <= p.span.end && p.span.end <= text.len(),
            "problem span {:?} outside the text",
            p.span
        );
        assert!(text.is_char_boundary(p.span.start) && text.is_char_boundary(p.span.end));
        assert!(!p.message.is_empty());
    }
}

// ---------------------------------------------------------------------------------------------
// (b) the token-level fallback parser

/// Where the fuzzed statement text sits in its (imaginary) file: spans must be shifted by it.
const BASE: usize = 7;

/// Every `{"start": a, "end": b}` object in a serialised value: the spans inside operations.
fn spans_in(v: &serde_json::Value, out: &mut Vec<(u64, u64)>) {
    match v {
        serde_json::Value::Object(m) => {
            if m.len() == 2
                && let (Some(s), Some(e)) = (
                    m.get("start").and_then(serde_json::Value::as_u64),
                    m.get("end").and_then(serde_json::Value::as_u64),
                )
            {
                out.push((s, e));
                return;
            }
            for x in m.values() {
                spans_in(x, out);
            }
        }
        serde_json::Value::Array(a) => {
            for x in a {
                spans_in(x, out);
            }
        }
        _ => {}
    }
}

/// Every span inside `ops` lies within `within`.
fn check_op_spans(ops: &[Op], within: Span, what: &str) {
    let v = serde_json::to_value(ops).expect("operations serialise");
    let mut spans = Vec::new();
    spans_in(&v, &mut spans);
    for (s, e) in spans {
        assert!(
            within.start as u64 <= s && s <= e && e <= within.end as u64,
            "{what}: span {s}..{e} outside {within:?} in {ops:?}"
        );
    }
}

/// The lexer and the quick path against sqlparser, the tokenizer, `fallback::understand`, `fallback::kind_only` and `parse::parse_statement` on
/// any UTF-8 statement text at byte `BASE` of a file: token spans ordered, disjoint and inside the
/// text; every operation span inside the statement; an unparsed statement's location inside it.
pub fn fallback(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // the fast lexer gives sqlparser's tokens wherever it answers
    if let Some(why) = parse::lex::disagreement(text) {
        panic!("lex disagrees with sqlparser: {why}");
    }
    // the quick path gives the full path's operations wherever it recognises a statement
    if let Some(why) = parse::quick::disagreement(text) {
        panic!("the quick path disagrees with sqlparser: {why}");
    }
    let end = BASE + text.len();
    let whole = Span::new(BASE, end);
    match tokens::tokenize(text, BASE).map(tokens::Tokens::toks) {
        Ok(toks) => {
            let mut prev = BASE;
            for (k, tok) in toks.iter().enumerate() {
                let sp = tok.span;
                assert!(
                    prev <= sp.start && sp.start <= sp.end && sp.end <= end,
                    "token {k} {:?} at {sp:?} out of order or outside {whole:?} (previous ends at {prev})",
                    tok.token
                );
                assert!(
                    text.is_char_boundary(sp.start - BASE) && text.is_char_boundary(sp.end - BASE),
                    "token {k} span {sp:?} splits a character"
                );
                prev = sp.end;
            }
            if let Some(ops) = fallback::understand(&toks) {
                check_op_spans(&ops, whole, "fallback::understand");
            }
            if let Some(op) = fallback::kind_only(&toks) {
                check_op_spans(std::slice::from_ref(&op), whole, "fallback::kind_only");
            }
        }
        Err(e) => {
            if let Some(at) = e.at {
                assert!(
                    BASE <= at && at <= end,
                    "tokenizer error at {at}, outside {whole:?}"
                );
            }
        }
    }
    let (ops, how) = parse::parse_statement(text, BASE);
    check_op_spans(&ops, whole, "parse_statement");
    if let How::Unparsed { message, at } = how {
        assert!(!message.is_empty());
        assert!(
            BASE <= at.start && at.start <= at.end && at.end <= end,
            "unparsed location {at:?} outside {whole:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// (c) layout detection and discovery over a directory tree built from the bytes

/// A tree described by the bytes: the first byte holds options, the rest is records separated
/// by NUL bytes. A record is `path\ncontents` (a file), `path/` (a directory) or `@path\ntarget`
/// (a symbolic link). Paths are relative, `/`-separated; empty, `.` and `..` components are
/// dropped (a link target may climb with `..` as far as the tree's root, no further).
struct Tree {
    /// Low 5 bits: a layout to force in a second run (`Layout::ALL[n]`, none when out of range).
    /// High 3 bits: which record to run on (0: the tree's root).
    options: u8,
    records: Vec<Record>,
}

enum Record {
    File(Vec<Vec<u8>>, Vec<u8>),
    Dir(Vec<Vec<u8>>),
    Link(Vec<Vec<u8>>, Vec<Vec<u8>>),
}

const MAX_RECORDS: usize = 48;
const MAX_DEPTH: usize = 5;
const MAX_COMPONENT: usize = 64;

fn components(path: &[u8]) -> Vec<Vec<u8>> {
    path.split(|&b| b == b'/')
        .filter(|c| !c.is_empty() && *c != b"." && *c != b"..")
        .take(MAX_DEPTH)
        .map(|c| c[..c.len().min(MAX_COMPONENT)].to_vec())
        .collect()
}

fn link_target(from_depth: usize, target: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut depth = from_depth;
    for c in target.split(|&b| b == b'/') {
        if c.is_empty() || c == b"." {
            continue;
        }
        if c == b".." {
            if depth > 0 && out.iter().all(|x: &Vec<u8>| x == b"..") {
                depth -= 1;
                out.push(b"..".to_vec());
            }
            continue;
        }
        out.push(c[..c.len().min(MAX_COMPONENT)].to_vec());
        if out.len() > MAX_DEPTH {
            break;
        }
    }
    out
}

impl Tree {
    fn decode(data: &[u8]) -> Option<Tree> {
        let (&options, rest) = data.split_first()?;
        let mut records = Vec::new();
        for rec in rest.split(|&b| b == 0).take(MAX_RECORDS) {
            let (head, body) = match rec.iter().position(|&b| b == b'\n') {
                Some(p) => (&rec[..p], &rec[p + 1..]),
                None => (rec, &rec[rec.len()..]),
            };
            if let Some(link) = head.strip_prefix(b"@") {
                let path = components(link);
                if path.is_empty() {
                    continue;
                }
                let target = link_target(path.len() - 1, body);
                records.push(Record::Link(path, target));
            } else if head.ends_with(b"/") {
                let path = components(head);
                if !path.is_empty() {
                    records.push(Record::Dir(path));
                }
            } else {
                let path = components(head);
                if !path.is_empty() {
                    records.push(Record::File(path, body.to_vec()));
                }
            }
        }
        Some(Tree { options, records })
    }
}

#[cfg(unix)]
fn os(bytes: &[u8]) -> OsString {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::OsStr::from_bytes(bytes).to_os_string()
}

#[cfg(not(unix))]
fn os(bytes: &[u8]) -> OsString {
    OsString::from(String::from_utf8_lossy(bytes).replace(['\\', ':'], "_"))
}

fn join(root: &Path, comps: &[Vec<u8>]) -> PathBuf {
    let mut p = root.to_path_buf();
    for c in comps {
        p.push(os(c));
    }
    p
}

/// Creates the tree under `root` (what cannot be created, e.g. a file where a directory is, is
/// left out) and returns the path of each record.
fn build(root: &Path, tree: &Tree) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    for r in &tree.records {
        let made = match r {
            Record::File(p, body) => {
                let path = join(root, p);
                path.parent()
                    .is_some_and(|d| std::fs::create_dir_all(d).is_ok())
                    .then(|| std::fs::write(&path, body).ok())
                    .flatten()
                    .map(|()| path)
            }
            Record::Dir(p) => {
                let path = join(root, p);
                std::fs::create_dir_all(&path).ok().map(|()| path)
            }
            Record::Link(p, target) => {
                let path = join(root, p);
                let target: PathBuf = target.iter().map(|c| os(c)).collect();
                let target = if target.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    target
                };
                make_link(&path, &target).then_some(path)
            }
        };
        paths.extend(made);
    }
    paths
}

#[cfg(unix)]
fn make_link(path: &Path, target: &Path) -> bool {
    path.parent()
        .is_some_and(|d| std::fs::create_dir_all(d).is_ok())
        && std::os::unix::fs::symlink(target, path).is_ok()
}

#[cfg(not(unix))]
fn make_link(_: &Path, _: &Path) -> bool {
    false
}

/// Every part of every unit names a file under `root`, with its sections inside the file's text.
fn check_discovery(root: &Path, disc: &Discovery) {
    for u in &disc.units {
        let down = match &u.down {
            Down::Part(p) => Some(p),
            _ => None,
        };
        for part in u.up.iter().chain(down) {
            assert!(
                part.file.starts_with(root),
                "unit `{}`: {} is outside the tree",
                u.id,
                part.file.display()
            );
            assert!(
                u.files().contains(&&part.file),
                "unit `{}`: {} is not among its files",
                u.id,
                part.file.display()
            );
            let len = layout::read_text(&part.file).len();
            for s in part.sections.iter().flatten().chain(&part.uncomment) {
                assert!(
                    s.start <= s.end && s.end <= len,
                    "unit `{}`: section {s:?} outside {} ({len} bytes)",
                    u.id,
                    part.file.display()
                );
            }
        }
    }
    for (p, why) in disc.skipped.iter().chain(&disc.errors) {
        assert!(
            p.starts_with(root),
            "{} ({why}) is outside the tree",
            p.display()
        );
    }
}

fn layout_run(root: &Path, target: &Path, settings: &Settings) {
    let disc = discover::discover(
        target,
        &settings.exclude,
        settings.layout,
        &settings.layout_config,
    )
    .expect("an existing path can be discovered");
    check_discovery(root, &disc);
    assert_eq!(disc.detection.forced, settings.layout.is_some());
    // deterministic: a second look finds the same units
    let again = discover::discover(
        target,
        &settings.exclude,
        settings.layout,
        &settings.layout_config,
    )
    .expect("an existing path can be discovered");
    assert_eq!(format!("{:?}", disc.units), format!("{:?}", again.units));
    assert_eq!(disc.detection.layout, again.detection.layout);
    let text = report::discover::text(target, &disc);
    assert!(!text.is_empty());
    let json = report::discover::json(target, &disc);
    assert!(json.is_object());
    let r = engine::run_path(target, settings).expect("an existing path runs");
    check_run(&r, settings);
}

/// Builds the tree in a fresh temporary directory (with a `.git` so manifest lookup stops there),
/// discovers it (auto-detected, then with a forced layout when the options ask for one), checks
/// the discovery, renders `migcheck discover`'s outputs and lints the tree. A `migcheck.toml`
/// record at the root is parsed: its problems must point into it; a valid one is used.
pub fn layout(data: &[u8]) {
    let Some(tree) = Tree::decode(data) else {
        return;
    };
    let tmp = tempfile::tempdir().expect("temporary directory");
    let root = tmp.path();
    std::fs::create_dir(root.join(".git")).expect("mkdir .git");
    let paths = build(root, &tree);
    let mut cfg = Config::default();
    let toml = root.join("migcheck.toml");
    if let Ok(text) = std::fs::read_to_string(&toml) {
        match config::parse(&text, &toml) {
            Ok(c) => cfg = c,
            Err(problems) => {
                assert!(!problems.is_empty());
                for p in problems {
                    assert!(
                        p.span.start <= p.span.end && p.span.end <= text.len(),
                        "config problem `{}` at {:?} outside the file ({} bytes)",
                        p.message,
                        p.span,
                        text.len()
                    );
                }
            }
        }
    }
    let mut settings = Settings::from_config(&cfg, None);
    settings.ledger = None;
    let pick = usize::from(tree.options >> 5);
    let target = match pick {
        0 => root.to_path_buf(),
        k => paths
            .get((k - 1) % paths.len().max(1))
            .cloned()
            .unwrap_or_else(|| root.to_path_buf()),
    };
    if std::fs::metadata(&target).is_err() {
        // a dangling or looping link: `migcheck check` refuses it (exit 2) before discovery
        assert!(
            discover::discover(&target, &settings.exclude, None, &settings.layout_config).is_err()
        );
        return;
    }
    layout_run(root, &target, &settings);
    if let Some(l) = Layout::ALL.get(usize::from(tree.options & 0x1f)) {
        settings.layout = Some(*l);
        layout_run(root, &target, &settings);
    }
}

// ---------------------------------------------------------------------------------------------
// (d) the whole pipeline, as `migcheck check` runs it

/// Every finding points into its file: a valid file index, line/column from 1, start before end,
/// its span inside the file's text and on character boundaries; the summary's exit code agrees.
fn check_run(r: &RunResult, settings: &Settings) {
    for f in &r.findings {
        assert!((f.file_index as usize) < r.files.len(), "{f:?}");
        let file = &r.files[f.file_index as usize];
        assert_eq!(f.file, file.display);
        assert!(!f.message.is_empty(), "{f:?}");
        assert!(
            f.line >= 1 && f.column >= 1 && f.end_line >= 1 && f.end_column >= 1,
            "{f:?}"
        );
        assert!(
            (f.line, f.column) <= (f.end_line, f.end_column),
            "{}:{}:{} ends before it starts ({}:{})",
            f.rule(),
            f.line,
            f.column,
            f.end_line,
            f.end_column
        );
        if let (Some(sp), Some(src)) = (f.span, &file.source) {
            let text = &src.text;
            assert!(
                sp.start <= sp.end && sp.end <= text.len(),
                "{} span {sp:?} outside {} ({} bytes)",
                f.rule(),
                f.file,
                text.len()
            );
            assert!(
                text.is_char_boundary(sp.start) && text.is_char_boundary(sp.end),
                "{} span {sp:?} splits a character",
                f.rule()
            );
            assert!(f.end_line as usize <= src.line_count(), "{f:?}");
        }
    }
    let summary = report::summarize(
        &r.findings,
        &r.stats,
        settings.range,
        settings.version_assumed,
    );
    assert_eq!(summary.exit_code == 1, r.findings.iter().any(|f| f.fails()));
}

/// Renders every `--format` of `migcheck check` (and the review report when it was collected);
/// the machine formats must parse.
fn render(r: &RunResult, settings: &Settings) {
    let summary = report::summarize(
        &r.findings,
        &r.stats,
        settings.range,
        settings.version_assumed,
    );
    let mut text = Vec::new();
    report::text::write(&mut text, false, &r.files, &r.findings, &summary).expect("text");
    assert!(String::from_utf8(text).is_ok(), "text output is UTF-8");
    let mut colored = Vec::new();
    report::text::write(&mut colored, true, &r.files, &r.findings, &summary).expect("text");
    let mut json = Vec::new();
    report::json::write(&mut json, &r.findings, &summary).expect("json");
    let v: serde_json::Value = serde_json::from_slice(&json).expect("json output parses");
    assert_eq!(
        v["findings"].as_array().map(Vec::len),
        Some(r.findings.len())
    );
    let mut lines = Vec::new();
    report::json::write_lines(&mut lines, &r.findings).expect("json-lines");
    for l in String::from_utf8(lines).expect("UTF-8").lines() {
        serde_json::from_str::<serde_json::Value>(l).expect("json-lines output parses");
    }
    let mut sarif = Vec::new();
    report::formats::sarif(&mut sarif, &r.findings).expect("sarif");
    serde_json::from_slice::<serde_json::Value>(&sarif).expect("sarif output parses");
    let mut gitlab = Vec::new();
    report::formats::gitlab(&mut gitlab, &r.findings).expect("gitlab");
    serde_json::from_slice::<serde_json::Value>(&gitlab).expect("gitlab output parses");
    let mut other = Vec::new();
    report::formats::concise(&mut other, &r.findings, &summary).expect("concise");
    report::formats::github(&mut other, &r.findings, &summary).expect("github");
    report::formats::junit(&mut other, &r.findings, &summary).expect("junit");
    let _ = report::formats::job_summary(&r.findings, &summary);
    if settings.collect_report {
        assert!(!report::review::markdown(r, &summary).is_empty());
        assert!(!report::review::html(r, &summary).is_empty());
    }
}

/// The first byte holds options, the rest is a migration file's bytes, written to a temporary
/// directory and linted with `engine::run` exactly as `migcheck check <file>` does (read, decode,
/// split, parse, replay, every rule, sign-off ledger off), then rendered in every format.
///
/// Options: bits 0-1 the file name (`001_fuzz.up.sql`, `V1__fuzz.sql`,
/// `20240101120000_fuzz.sql`, `fuzz.sql`); bit 2 a golang-migrate pair (the bytes up to the
/// first NUL are `001_fuzz.up.sql`, the rest `001_fuzz.down.sql`); bits 3-4 the target
/// (PostgreSQL 10, 14, 18, or the range 10..13); bit 5 collect and render the review report;
/// bit 6 lint the directory instead of the file; bit 7 `transaction = "autocommit"`.
pub fn pipeline(data: &[u8]) {
    let Some((&opts, bytes)) = data.split_first() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("temporary directory");
    let dir = tmp.path();
    std::fs::create_dir(dir.join(".git")).expect("mkdir .git");
    let file = if opts & 4 != 0 {
        let (up, down) = match bytes.iter().position(|&b| b == 0) {
            Some(p) => (&bytes[..p], &bytes[p + 1..]),
            None => (bytes, &bytes[bytes.len()..]),
        };
        std::fs::write(dir.join("001_fuzz.down.sql"), down).expect("write");
        let f = dir.join("001_fuzz.up.sql");
        std::fs::write(&f, up).expect("write");
        f
    } else {
        let name = [
            "001_fuzz.up.sql",
            "V1__fuzz.sql",
            "20240101120000_fuzz.sql",
            "fuzz.sql",
        ][usize::from(opts & 3)];
        let f = dir.join(name);
        std::fs::write(&f, bytes).expect("write");
        f
    };
    let version = ["10", "14", "18", "10..13"][usize::from((opts >> 3) & 3)];
    let mut cfg = Config::default();
    if opts & 0x80 != 0 {
        cfg.transaction = Some(TxMode::Autocommit);
    }
    let range: PgRange = version.parse().expect("a valid version");
    let mut settings = Settings::from_config(&cfg, Some(range));
    settings.ledger = None;
    settings.collect_report = opts & 0x20 != 0;
    let target = if opts & 0x40 != 0 { dir } else { &file };
    let r = engine::run(target, &settings).expect("an existing path runs");
    check_run(&r, &settings);
    render(&r, &settings);
    // a statement parsed once and moved (the memo) is the statement parsed in place
    if let Ok(text) = std::str::from_utf8(bytes)
        && let Some(why) = parse::memo_disagreement(text)
    {
        panic!("memo: {why}");
    }
}
