//! Units → parse → replay → rules → findings (sorted, deterministic).

use std::collections::{BTreeMap, HashMap};

use crate::fasthash::{FastMap, FastSet, path_key};
use std::sync::Arc;

use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

use globset::{GlobSet, GlobSetBuilder};
use serde::Serialize;

use crate::catalog::Catalog;
use crate::config::{Config, RuleSetting};
use crate::ir::{ObjName, Op, Span};
use crate::parse::{self, How, ParsedFile, Statement};
use crate::pg::{PgRange, PgVersion, classify, txn};
use crate::rules::{
    self, Direction, HeldLock, Level, OpCtx, PartCtx, StmtCtx, TxHow, TxInfo, UnitCtx, Violation,
};
use crate::source::discover::{self, io_reason};
use crate::source::layout::detect::Detection;
use crate::source::layout::{Down, Layout, LayoutConfig, Part, TxMode, Unit};
use crate::source::text::{DecodeError, SourceText};

/// Files larger than this are not read (a migration this size is data, not DDL).
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Validated settings for one run over one migration directory.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The version being evaluated (one of `range`).
    pub version: PgVersion,
    /// The configured target: one version or a range of majors.
    pub range: PgRange,
    /// No version was configured: the default was used (and the output says so).
    pub version_assumed: bool,
    pub rules: BTreeMap<&'static str, RuleSetting>,
    pub require_down: bool,
    pub exclude: GlobSet,
    /// `--layout` / `layout = ...`.
    pub layout: Option<Layout>,
    pub layout_config: LayoutConfig,
    /// The migration session's TimeZone is UTC (`session-timezone` in migcheck.toml).
    pub session_utc: bool,
    /// `lock-timeout-on-role = true` in migcheck.toml.
    pub lock_timeout_on_role: bool,
    /// `statement-timeout-on-role = true` in migcheck.toml.
    pub statement_timeout_on_role: bool,
    /// Collect per-statement effects for `migcheck report`.
    pub collect_report: bool,
    /// The sign-off ledger and who may sign (empty: anyone named).
    pub ledger: Option<PathBuf>,
    pub approvers: Vec<String>,
    /// Table sizes (`--stats FILE`).
    pub stats: Option<std::sync::Arc<crate::stats::TableStats>>,
    /// Report only units with a file in this set (`--changed-since`); all are still replayed.
    pub only_files: Option<std::collections::HashSet<PathBuf>>,
    /// Compute the content hashes that bind sign-offs (a ledger exists, or `signoff` runs).
    pub hashes: bool,
    /// Keep the files' text in the result (`LoadedFile::source`) for output that quotes it
    /// (the text format's snippets). Off, each directory's text is freed when its run ends
    /// (a run over many directories otherwise holds them all until the output).
    pub keep_sources: bool,
}

impl Settings {
    pub fn from_config(cfg: &Config, version_flag: Option<PgRange>) -> Settings {
        let version = version_flag.or(cfg.pg_version);
        let range = version.unwrap_or_else(|| PgRange::single(PgVersion::default_target()));
        let mut b = GlobSetBuilder::new();
        for pat in &cfg.exclude {
            if let Ok(g) = globset::Glob::new(pat) {
                b.add(g);
            }
        }
        let ledger = crate::signoff::ledger_path(cfg.signoffs.as_deref(), cfg.path.as_deref());
        let hashes = ledger.exists();
        Settings {
            hashes,
            version: range.from,
            range,
            version_assumed: version.is_none(),
            rules: cfg.rules.clone(),
            require_down: cfg.require_down.unwrap_or(true),
            exclude: b.build().unwrap_or_else(|_| GlobSet::empty()),
            layout: cfg.layout,
            layout_config: LayoutConfig {
                transaction: cfg.transaction,
                transaction_globs: cfg
                    .transactions
                    .iter()
                    .filter_map(|(g, m)| {
                        globset::Glob::new(g)
                            .ok()
                            .map(|g| (g.compile_matcher(), *m))
                    })
                    .collect(),
            },
            only_files: None,
            lock_timeout_on_role: cfg.lock_timeout_on_role.unwrap_or(false),
            statement_timeout_on_role: cfg.statement_timeout_on_role.unwrap_or(false),
            stats: None,
            collect_report: false,
            keep_sources: true,
            ledger: Some(ledger.clone()),
            approvers: cfg.approvers.clone(),
            session_utc: cfg.session_timezone.as_deref().is_some_and(|z| {
                matches!(
                    z.to_ascii_uppercase().as_str(),
                    "UTC" | "ETC/UTC" | "GMT" | "ETC/GMT" | "UCT" | "ZULU"
                )
            }),
        }
    }

    /// The effective level of a rule, or `None` when it is off.
    pub fn level_of(&self, meta: &rules::RuleMeta) -> Option<Level> {
        match self.rules.get(meta.id) {
            Some(RuleSetting::Off) => None,
            Some(RuleSetting::Level(l)) => Some(*l),
            None if meta.default_off => None,
            None => Some(meta.level),
        }
    }
}

/// One file as read for the run.
#[derive(Debug)]
pub struct LoadedFile {
    pub path: PathBuf,
    /// The path as shown to users (forward slashes).
    pub display: Arc<str>,
    pub source: Option<Arc<SourceText>>,
}

/// One finding as users see it. Kept small (a large tree has hundreds of thousands): the
/// rule's name, doc and default help come from its `meta`, positions are `u32`.
#[derive(Debug, Clone)]
pub struct Finding {
    pub meta: &'static rules::RuleMeta,
    pub level: Level,
    pub file: Arc<str>,
    pub file_index: u32,
    pub span: Option<Span>,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
    pub message: Box<str>,
    /// Empty: no label.
    pub label: Box<str>,
    /// The finding's own help (naming the table and column, or fitting the version); `None`:
    /// the rule's.
    pub own_help: Option<Box<str>>,
    /// Shared: the same note (a migration's transaction mode, a lock's meaning) is repeated on
    /// thousands of findings of a large tree.
    pub notes: Vec<Arc<str>>,
    /// With a version range: the versions this finding applies to, and the verdict in words.
    pub versions: Option<Box<Versions>>,
    /// The migration (unit id) the finding belongs to, and the 1-based statement number in its file.
    pub migration: Arc<str>,
    pub statement: Option<u32>,
    /// The sign-off binding, when hashes were computed (a ledger exists, or `signoff`).
    pub hashes: Option<Box<Hashes>>,
    /// What the sign-off ledger says about it.
    pub signoff: Option<Box<crate::signoff::Status>>,
}

/// A finding's versions under `--pg-version A..B`.
#[derive(Debug, Clone, Serialize)]
pub struct Versions {
    pub pg_versions: Vec<String>,
    /// "danger on 10; not flagged on 11–17"
    pub verdict: String,
}

/// SHA-256 of the normalised statement and of the whole unit (sign-off binding).
#[derive(Debug, Clone)]
pub struct Hashes {
    pub statement: Option<Arc<str>>,
    pub unit: Arc<str>,
}

/// A position or index as a finding stores it (saturating: a file is far below 4 GB).
pub fn u32_of(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Finding {
    pub fn rule(&self) -> &'static str {
        self.meta.id
    }

    pub fn name(&self) -> &'static str {
        self.meta.name
    }

    /// Path of the rule's doc in the repository.
    pub fn doc(&self) -> &'static str {
        self.meta.doc_path.as_str()
    }

    /// The 1-based statement number in its file.
    pub fn statement_no(&self) -> Option<usize> {
        self.statement.map(|n| n as usize)
    }

    pub fn help(&self) -> &str {
        self.own_help.as_deref().unwrap_or(self.meta.help.as_str())
    }

    /// The unit's and the statement's hashes ("" and `None` when not computed).
    pub fn unit_hash(&self) -> &str {
        self.hashes.as_ref().map_or("", |h| &h.unit)
    }

    pub fn statement_hash(&self) -> Option<&str> {
        self.hashes.as_ref().and_then(|h| h.statement.as_deref())
    }

    pub fn verdict(&self) -> Option<&str> {
        self.versions.as_ref().map(|v| v.verdict.as_str())
    }

    /// Whether this finding fails the run: danger or error, not accepted by a sign-off.
    pub fn fails(&self) -> bool {
        self.level >= Level::Danger
            && !matches!(
                self.signoff.as_deref(),
                Some(crate::signoff::Status::Accepted { .. })
            )
    }
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct Stats {
    pub files: usize,
    pub migrations: usize,
    pub statements: usize,
    pub parsed_by_sqlparser: usize,
    pub parsed_by_fallback: usize,
    /// Rejected by sqlparser; only the statement kind was recognised.
    pub kind_only: usize,
    /// Statements found inside DO blocks (not counted in `statements`).
    pub body_statements: usize,
    /// Findings silenced by `-- migcheck:ignore` comments.
    pub suppressed: usize,
    pub psql_meta_commands: usize,
    pub unparsed: usize,
    pub templated: usize,
    /// Files skipped on purpose (other SQL dialects), with the reason.
    pub skipped: Vec<(String, String)>,
}

impl Stats {
    /// Adds `o`'s counts; its skipped files are moved over.
    pub fn add(&mut self, o: Stats) {
        self.files += o.files;
        self.migrations += o.migrations;
        self.statements += o.statements;
        self.parsed_by_sqlparser += o.parsed_by_sqlparser;
        self.parsed_by_fallback += o.parsed_by_fallback;
        self.kind_only += o.kind_only;
        self.body_statements += o.body_statements;
        self.suppressed += o.suppressed;
        self.psql_meta_commands += o.psql_meta_commands;
        self.unparsed += o.unparsed;
        self.templated += o.templated;
        if self.skipped.is_empty() {
            self.skipped = o.skipped;
        } else {
            self.skipped.extend(o.skipped);
        }
    }
}

#[derive(Debug, Default)]
pub struct RunResult {
    pub files: Vec<LoadedFile>,
    pub findings: Vec<Finding>,
    pub stats: Stats,
    /// Per migration, what each statement does (for `migcheck report`).
    pub units: Vec<UnitReport>,
}

/// One migration as the DBA report shows it.
#[derive(Debug, Clone, Serialize)]
pub struct UnitReport {
    pub id: String,
    pub layout: String,
    pub transaction: String,
    pub transaction_reason: String,
    pub files: Vec<String>,
    /// "present" / "missing: ..." / "none by design"
    pub down: String,
    pub statements: Vec<StatementReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StatementReport {
    pub direction: &'static str,
    pub file: String,
    pub line: usize,
    pub sql: String,
    pub effects: Vec<Effect>,
    /// The statement's text as the server receives it (`migcheck trace`): the whole
    /// statement, or the first piece of one the tool cuts (goose, MC008).
    #[serde(skip)]
    pub exec: String,
    /// Template syntax (`{{ }}`, `${}`) was masked in it: it cannot be run as written.
    #[serde(skip)]
    pub templated: bool,
    /// How the tool sends this statement's part: `transaction`, `implicit`, `autocommit` or
    /// `script` (after per-part settings and Flyway's demotion of non-transactional files).
    #[serde(skip)]
    pub part_tx: &'static str,
    /// The block of statements the tool sends with this one as one query string (an implicit
    /// transaction; `TxHow::Batch`, or the whole part when it is sent as one string): its byte
    /// offset in the file, the same for each of them.
    #[serde(skip)]
    pub batch: Option<usize>,
}

/// A table lock a statement takes, from the measured facts, and what it costs.
#[derive(Debug, Clone, Serialize)]
pub struct Effect {
    pub table: String,
    pub lock: Option<String>,
    pub blocks: String,
    pub rewrites: bool,
    pub scans: bool,
    /// The table existed before this migration (the lock can block the application).
    pub existed: bool,
    /// Estimated lock time with `--stats`.
    pub estimate: Option<String>,
}

/// A path as shown to users: relative to the working directory when it is inside it.
pub fn display_rel(p: &Path) -> String {
    match std::env::current_dir() {
        Ok(cwd) if p.is_absolute() && p.starts_with(&cwd) => {
            display_path(p.strip_prefix(&cwd).unwrap_or(p))
        }
        _ => display_path(p),
    }
}

pub fn display_path(p: &Path) -> String {
    let s = crate::source::text::os_lossy(p.as_os_str()).replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

struct Runner<'s> {
    settings: &'s Settings,
    prepared: &'s Prepared,
    out: RunResult,
    /// File path → index in `out.files` (a file holding an up and a down part is read once).
    /// The paths are the prepared discovery's.
    by_path: FastMap<&'s [u8], usize>,
    /// Whether findings of the current unit are reported (`--changed-since`).
    report: bool,
    /// The unit being checked: id and content hash (with the target version).
    unit_id: Arc<str>,
    unit_hash: Arc<str>,
    /// Top-level statement spans per file index.
    stmt_spans: FastMap<usize, Vec<Span>>,
    /// Normalised-statement hashes by file index and statement span: a statement with many
    /// findings is hashed once.
    stmt_hashes: FastMap<(usize, Span), Arc<str>>,
    /// One copy of each note text (`Finding::notes`).
    notes: FastSet<Arc<str>>,
    /// Findings silenced by inline suppressions: (rule, reason).
    suppressed: Vec<(&'static str, String)>,
    /// Statement reports of the current unit (`collect_report`).
    current_statements: Vec<StatementReport>,
    /// The rules that are on, in id order, with their level and whether they also check
    /// function bodies (decided once per run, not per statement).
    active: Vec<Active>,
}

/// A rule that is on for this run.
#[derive(Clone, Copy)]
struct Active {
    reg: &'static rules::Registered,
    level: Level,
    in_function_bodies: bool,
}

/// The rules of the registry that `settings` leaves on.
fn active_rules(settings: &Settings) -> Vec<Active> {
    rules::registry()
        .iter()
        .filter_map(|reg| {
            settings.level_of(&reg.meta).map(|level| Active {
                reg,
                level,
                in_function_bodies: reg.rule.in_function_bodies(),
            })
        })
        .collect()
}

/// The statements of a part that run with the migration (function bodies left out), with their
/// transaction states and locks.
type RunsNow = (Vec<Statement>, Vec<TxInfo>, Vec<Vec<HeldLock>>);

/// A part after parsing: its file's index and its statements.
struct ParsedPart<'p> {
    file: usize,
    statements: &'p [Statement],
    /// `-- migcheck:irreversible -- <reason>` found in the part.
    irreversible: Option<(String, Span)>,
    /// The first line of the part when it is a section of a file.
    anchor: Option<Span>,
}

/// A migration directory read and parsed once (files in parallel), evaluated for each version.
pub struct Prepared {
    root: PathBuf,
    disc: discover::Discovery,
    /// Each file's text, or why it could not be used.
    /// Keyed by `path_key`.
    sources: FastMap<Vec<u8>, Result<Arc<SourceText>, Box<Unreadable>>>,
    /// Per unit: the parsed up and down parts, when parsed up front (a version range).
    parsed: Option<Vec<ParsedUnit>>,
    /// Per unit: SHA-256 of its files (normalised), sidecars and transaction mode; empty
    /// unless `Settings::hashes`.
    unit_hashes: Vec<String>,
    /// Statements parsed so far, by text (see `parse::Memo`).
    memo: parse::Memo,
}

/// Why a file could not be used: the message of an `unreadable-file` finding and, for invalid
/// UTF-8, a lossy copy of the text with the span of the first bad byte, so the finding points
/// at its line and column.
type Unreadable = (String, Option<(Arc<SourceText>, Span)>);

/// Reads and decodes one file.
/// `read`: the bytes discovery already read, if it did.
fn load_source(path: &Path, read: Option<Vec<u8>>) -> Result<Arc<SourceText>, Unreadable> {
    let bytes = match read {
        Some(bytes) => bytes,
        None => {
            let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            if size > MAX_FILE_BYTES {
                return Err((
                    format!(
                        "`{}` is {size} bytes, over the {MAX_FILE_BYTES}-byte limit for a migration file",
                        display_path(path)
                    ),
                    None,
                ));
            }
            std::fs::read(path).map_err(|e| {
                (
                    format!("cannot read `{}`: {}", display_path(path), io_reason(&e)),
                    None,
                )
            })?
        }
    };
    SourceText::from_bytes(bytes)
        .map(Arc::new)
        .map_err(|e| match e {
            DecodeError::Binary { offset } => (
                format!(
                    "`{}` is a binary file (NUL byte at offset {offset}), not SQL",
                    display_path(path)
                ),
                None,
            ),
            DecodeError::InvalidUtf8 {
                offset,
                line,
                column,
            } => {
                // the valid prefix is the same in a lossy copy, so `offset` is the bad byte there
                let at = std::fs::read(path).ok().map(|b| {
                    let lossy = SourceText::new(String::from_utf8_lossy(&b).into_owned());
                    let span = Span::new(offset, offset + '\u{fffd}'.len_utf8());
                    (Arc::new(lossy), span)
                });
                (
                    format!(
                        "`{}` is not valid UTF-8 (first bad byte at line {line}, column {column})",
                        display_path(path)
                    ),
                    at,
                )
            }
        })
}

/// How far parsing runs ahead of the replay on several threads, in units (see
/// `ordered::in_order`): a tree of 100,000 files is not held parsed in memory.
const PARSE_AHEAD: usize = 512;
/// Up to this many units, a directory is parsed at once (in parallel), then replayed.
const PARSE_AT_ONCE: usize = 32;

/// Files discovered by this process so far, and what to call when they pass
/// `LARGE_RUN_FILES` (main: let the allocator return freed memory to the system, which a
/// small run need not pay for).
static FILES_SEEN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static LARGE_RUN: std::sync::OnceLock<fn()> = std::sync::OnceLock::new();
pub const LARGE_RUN_FILES: usize = 20_000;

/// Registers what to call once when the run has discovered `LARGE_RUN_FILES` files.
pub fn on_large_run(hook: fn()) {
    let _ = LARGE_RUN.set(hook);
}

fn count_files(n: usize) {
    let before = FILES_SEEN.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    if before < LARGE_RUN_FILES
        && before.saturating_add(n) >= LARGE_RUN_FILES
        && let Some(hook) = LARGE_RUN.get()
    {
        hook();
    }
}

/// The parsed up and down parts of one unit.
type ParsedUnit = (Option<ParsedFile>, Option<ParsedFile>);

/// Discovers and reads a migration directory. Parsing does not depend on the target version:
/// with `eager` (a version range, evaluated once per version) every unit is parsed here, once;
/// otherwise `evaluate` parses unit by unit as it replays.
pub fn prepare(root: &Path, settings: &Settings, eager: bool) -> Result<Prepared, String> {
    let mut disc = discover::discover(
        root,
        &settings.exclude,
        settings.layout,
        &settings.layout_config,
    )?;
    count_files(disc.files);
    let mut contents = std::mem::take(&mut disc.contents);
    let mut seen: FastSet<&[u8]> = FastSet::default();
    let mut files: Vec<&PathBuf> = Vec::new();
    for u in &disc.units {
        for p in u.up.iter().chain(if let Down::Part(d) = &u.down {
            Some(d)
        } else {
            None
        }) {
            if seen.insert(path_key(&p.file)) {
                files.push(&p.file);
            }
        }
    }
    let reads: Vec<(PathBuf, Option<Vec<u8>>)> = files
        .iter()
        .map(|p| ((*p).clone(), contents.remove(path_key(p))))
        .collect();
    drop(contents);
    let sources: FastMap<Vec<u8>, Result<Arc<SourceText>, Box<Unreadable>>> = reads
        .into_par_iter()
        .map(|(p, read)| {
            // boxed: a map entry of a readable file (nearly all) stays small
            let source = load_source(&p, read).map_err(Box::new);
            (path_key(&p).to_vec(), source)
        })
        .collect();
    let unit_hashes = if settings.hashes {
        unit_hashes(&disc, &sources)
    } else {
        Vec::new()
    };
    let mut prepared = Prepared {
        root: root.to_path_buf(),
        disc,
        sources,
        parsed: None,
        unit_hashes,
        memo: parse::Memo::default(),
    };
    if eager {
        prepared.parsed = Some(prepared.parse_units(0..prepared.disc.units.len()));
    }
    Ok(prepared)
}

/// Per unit: SHA-256 of its files (normalised), sidecars and transaction mode (sign-off binding).
fn unit_hashes(
    disc: &discover::Discovery,
    sources: &FastMap<Vec<u8>, Result<Arc<SourceText>, Box<Unreadable>>>,
) -> Vec<String> {
    // the hash input is the files (path, NUL, text, NUL each) then the transaction mode: units
    // made of the same files (a file's Liquibase changesets) share the files' hash state, so a
    // file of thousands of changesets is hashed once, not once per changeset
    let mut files_hashed: HashMap<Vec<&PathBuf>, Sha256> = HashMap::new();
    disc.units
        .iter()
        .map(|u| {
            let mut files = u.files();
            files.sort();
            files.dedup();
            let mut h = files_hashed
                .entry(files)
                .or_insert_with_key(|files| {
                    let mut h = Sha256::new();
                    for f in files {
                        h.update(display_path(f).as_bytes());
                        h.update([0]);
                        match sources.get(path_key(f)) {
                            Some(Ok(src)) => h.update(src.text.replace("\r\n", "\n").as_bytes()),
                            _ => h.update(
                                std::fs::read_to_string(f)
                                    .unwrap_or_default()
                                    .replace("\r\n", "\n")
                                    .as_bytes(),
                            ),
                        }
                        h.update([0]);
                    }
                    h
                })
                .clone();
            h.update(u.tx.name().as_bytes());
            crate::signoff::hex(&h.finalize())
        })
        .collect()
}

impl Prepared {
    /// How much replaying it will take, roughly: the bytes of its readable files.
    pub fn weight(&self) -> usize {
        self.sources
            .values()
            .map(|s| s.as_ref().map_or(0, |s| s.text.len()))
            .sum()
    }

    /// Parses the units in `range` (in parallel).
    fn parse_units(&self, range: std::ops::Range<usize>) -> Vec<ParsedUnit> {
        self.disc.units[range]
            .par_iter()
            .map(|u| self.parse_unit(u))
            .collect()
    }

    /// Parses the up and down parts of one unit.
    fn parse_unit(&self, u: &Unit) -> ParsedUnit {
        let parse = |part: &Part| -> Option<ParsedFile> {
            let src = self.sources.get(path_key(&part.file))?.as_ref().ok()?;
            Some(match part_text(&src.text, part) {
                Some((base, masked)) => parse::parse_source_at(&masked, base, Some(&self.memo)),
                None => parse::parse_source_at(&src.text, 0, Some(&self.memo)),
            })
        };
        (
            u.up.as_ref().and_then(parse),
            if let Down::Part(d) = &u.down {
                parse(d)
            } else {
                None
            },
        )
    }
}

/// Lints a migration directory for every version of the configured range and merges the
/// findings: one finding per place, with the versions it applies to and a verdict.
pub fn run(root: &Path, settings: &Settings) -> Result<RunResult, String> {
    finish(start(root, settings)?, settings)
}

/// The first half of `run`: the directory discovered and its files read (and parsed, for a
/// version range). Lets a caller linting several directories replay the largest first.
pub fn start(root: &Path, settings: &Settings) -> Result<Prepared, String> {
    prepare(root, settings, settings.range.versions().len() > 1)
}

/// The second half of `run`: replay and lint what `start` prepared.
pub fn finish(prepared: Prepared, settings: &Settings) -> Result<RunResult, String> {
    let mut out = run_versions(&prepared, settings);
    apply_ledger(&mut out, settings)?;
    if !settings.keep_sources {
        for f in &mut out.files {
            f.source = None;
        }
    }
    Ok(out)
}

/// Applies the sign-off ledger: accepted findings stop failing the run, stale ones say who
/// signed what and when, unused entries become `unused-signoff` findings.
fn apply_ledger(out: &mut RunResult, settings: &Settings) -> Result<(), String> {
    let Some(path) = &settings.ledger else {
        return Ok(());
    };
    let ledger = crate::signoff::Ledger::load(path)?;
    if ledger.entries.is_empty() {
        return Ok(());
    }
    let unused = ledger.apply(
        &mut out.findings,
        &settings.approvers,
        &crate::signoff::today(),
    );
    let Some(meta) = rules::find("MC005") else {
        return Ok(());
    };
    let Some(level) = settings.level_of(meta) else {
        return Ok(());
    };
    if unused.is_empty() {
        return Ok(());
    }
    out.files.push(LoadedFile {
        path: path.clone(),
        display: display_rel(path).into(),
        source: None,
    });
    let file_index = out.files.len() - 1;
    for i in unused {
        let e = &ledger.entries[i];
        out.findings.push(Finding {
            meta,
            level,
            file: display_rel(path).into(),
            file_index: u32_of(file_index),
            span: None,
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 1,
            message: format!(
                "the sign-off of {} for `{}` ({}) by {} matches no finding",
                e.rule, e.migration, e.file, e.approver
            )
            .into(),
            label: "".into(),
            own_help: None,
            notes: vec![format!("signed on {}: {}", e.date, e.reason).into()],
            versions: None,
            migration: e.migration.as_str().into(),
            statement: e.statement.map(u32_of),
            hashes: None,
            signoff: None,
        });
    }
    Ok(())
}

fn run_versions(prepared: &Prepared, settings: &Settings) -> RunResult {
    let versions = settings.range.versions();
    if versions.len() == 1 {
        return evaluate(prepared, settings);
    }
    let mut merged: Option<RunResult> = None;
    // per finding key: the majors it is found on (a key first seen on a version is the
    // merged run's finding from then on: a later version's copy is dropped)
    let mut seen: BTreeMap<FindingKey, Vec<u16>> = BTreeMap::new();
    for v in &versions {
        let mut s = settings.clone();
        s.version = *v;
        let r = evaluate(prepared, &s);
        match &mut merged {
            None => {
                for f in &r.findings {
                    seen.entry(finding_key(f)).or_default().push(v.major);
                }
                merged = Some(r);
            }
            Some(m) => {
                for f in r.findings {
                    let on = seen.entry(finding_key(&f)).or_default();
                    // new to the merged run: no earlier version had it
                    if on.is_empty() {
                        m.findings.push(f);
                    }
                    on.push(v.major);
                }
            }
        }
    }
    let mut out = merged.unwrap_or_default();
    let all: Vec<u16> = versions.iter().map(|v| v.major).collect();
    for f in &mut out.findings {
        let on = seen.get(&finding_key(f)).cloned().unwrap_or_default();
        let off: Vec<u16> = all.iter().copied().filter(|m| !on.contains(m)).collect();
        let pg_versions = on.iter().map(u16::to_string).collect();
        let verdict = if off.is_empty() {
            format!(
                "{} on every version {}",
                f.level,
                crate::pg::version::compact(&all)
            )
        } else {
            format!(
                "{} on {}; not flagged on {}",
                f.level,
                crate::pg::version::compact(&on),
                crate::pg::version::compact(&off)
            )
        };
        f.versions = Some(Box::new(Versions {
            pg_versions,
            verdict,
        }));
    }
    sort_findings(&mut out.findings);
    out
}

/// Identity of a finding across versions: rule, file, span (file-level findings: message).
type FindingKey = (&'static str, u32, Option<(usize, usize)>, Box<str>);

fn finding_key(f: &Finding) -> FindingKey {
    let msg = if f.span.is_none() {
        f.message.clone()
    } else {
        "".into()
    };
    (
        f.rule(),
        f.file_index,
        f.span.map(|x| (x.start, x.end)),
        msg,
    )
}

/// Deterministic order: file (run order), position, rule, message. Unstable sort: no buffer
/// of half the findings (hundreds of thousands on a large tree); ties left are identical in
/// everything shown.
fn sort_findings(findings: &mut [Finding]) {
    findings.sort_unstable_by(|a, b| {
        (
            a.file_index,
            a.span.map_or(0, |s| s.start),
            a.rule(),
            &a.message,
            a.span.map_or(0, |s| s.end),
            &a.label,
            &a.notes,
        )
            .cmp(&(
                b.file_index,
                b.span.map_or(0, |s| s.start),
                b.rule(),
                &b.message,
                b.span.map_or(0, |s| s.end),
                &b.label,
                &b.notes,
            ))
    });
}

/// Lints one migration directory (or file) for `settings.version`. `Err` only when the path
/// itself cannot be used.
pub fn run_path(root: &Path, settings: &Settings) -> Result<RunResult, String> {
    Ok(evaluate(&prepare(root, settings, false)?, settings))
}

/// Runs replay and rules over a prepared directory for `settings.version`.
pub fn evaluate(prepared: &Prepared, settings: &Settings) -> RunResult {
    let disc = &prepared.disc;
    let root = prepared.root.as_path();
    let mut r = Runner {
        settings,
        prepared,
        out: RunResult::default(),
        by_path: Default::default(),
        report: true,
        unit_id: Arc::from(""),
        unit_hash: Arc::from(""),
        stmt_spans: FastMap::default(),
        stmt_hashes: FastMap::default(),
        notes: Default::default(),
        suppressed: Vec::new(),
        current_statements: Vec::new(),
        active: active_rules(settings),
    };
    r.out.stats.files = disc.files;
    r.out.stats.migrations = disc.units.len();
    r.out.stats.skipped = disc
        .skipped
        .iter()
        .map(|(p, why)| (display_path(p), why.clone()))
        .collect();
    for (path, reason) in &disc.errors {
        let idx = r.add_file(path, None);
        r.unreadable(
            idx,
            format!("cannot read `{}`: {reason}", display_path(path)),
            None,
        );
    }
    if !disc.detection.candidates.is_empty() && !disc.detection.forced {
        r.ambiguous_layout(root, &disc.detection);
    }
    let mut catalog = Catalog::default();
    let units = &disc.units;
    match &prepared.parsed {
        Some(all) => {
            for (i, (unit, parsed)) in units.iter().zip(all).enumerate() {
                r.unit(i, unit, parsed, &mut catalog);
            }
        }
        None if units.len() <= PARSE_AT_ONCE => {
            let all = prepared.parse_units(0..units.len());
            for (i, (unit, parsed)) in units.iter().zip(&all).enumerate() {
                r.unit(i, unit, parsed, &mut catalog);
            }
        }
        // one thread for this run (a worker's own pool beside other directories, or a single
        // core): each unit parsed, then replayed at once, while its statements are fresh in
        // the cache (batches of 256 held 8 % more fresh memory: page faults)
        None if rayon::current_num_threads() == 1 => {
            for (i, unit) in units.iter().enumerate() {
                let parsed = prepared.parse_unit(unit);
                r.unit(i, unit, &parsed, &mut catalog);
            }
        }
        None => crate::ordered::in_order(
            units.len(),
            rayon::current_num_threads(),
            PARSE_AHEAD,
            |i| prepared.parse_unit(&units[i]),
            |i, parsed| r.unit(i, &units[i], &parsed, &mut catalog),
        ),
    }
    let mut out = r.out;
    out.stats.suppressed = r.suppressed.len();
    sort_findings(&mut out.findings);
    out
}

/// The part's text when it is not the whole file, and the byte of the file where it starts:
/// the file from the part's first section to its last, with everything outside the sections
/// (and the `uncomment` prefixes) blanked; parsed with that start as its base, positions stay
/// those of the file. Only the window is copied and blanked, range by range: a file of
/// thousands of Liquibase changesets was copied, blanked and parsed whole for each of them.
fn part_text(text: &str, part: &Part) -> Option<(usize, String)> {
    if part.sections.is_none() && part.uncomment.is_empty() {
        return None;
    }
    let n = text.len();
    let (mut lo, mut hi) = match &part.sections {
        Some(s) => (
            s.iter().map(|r| r.start).min().unwrap_or(0).min(n),
            s.iter().map(|r| r.end).max().unwrap_or(0).min(n),
        ),
        None => (0, n),
    };
    while !text.is_char_boundary(lo) {
        lo -= 1;
    }
    hi = hi.max(lo);
    while !text.is_char_boundary(hi) {
        hi += 1;
    }
    let mut bytes = text.as_bytes()[lo..hi].to_vec();
    let range = |r: &Span| {
        let start = r.start.clamp(lo, hi);
        start - lo..r.end.clamp(start, hi) - lo
    };
    let blank = |bytes: &mut [u8], r: std::ops::Range<usize>| {
        for b in &mut bytes[r] {
            if *b != b'\n' && *b != b'\r' {
                *b = b' ';
            }
        }
    };
    // everything between the sections (range by range: a byte mask of the window was most of
    // the cost), then the `uncomment` prefixes
    if let Some(sections) = &part.sections {
        let mut kept: Vec<std::ops::Range<usize>> = sections.iter().map(range).collect();
        kept.sort_by_key(|r| r.start);
        let mut at = 0;
        for r in kept {
            if r.start > at {
                blank(&mut bytes, at..r.start);
            }
            at = at.max(r.end);
        }
        let len = bytes.len();
        if at < len {
            blank(&mut bytes, at..len);
        }
    }
    for r in &part.uncomment {
        let r = range(r);
        blank(&mut bytes, r);
    }
    // blanking replaces whole ASCII bytes only, so this is still valid UTF-8 (lossy as a guard)
    let text = String::from_utf8(bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    Some((lo, text))
}

/// Finds `-- migcheck:irreversible -- <reason>` in the text (reason may be empty).
fn irreversible_marker(text: &str) -> Option<(String, Span)> {
    let p = memchr::memmem::find(text.as_bytes(), b"migcheck:irreversible")?;
    let line_start = text[..p].rfind('\n').map_or(0, |x| x + 1);
    if !text[line_start..p].trim_start().starts_with("--") {
        return None;
    }
    let end = text[p..].find('\n').map_or(text.len(), |x| p + x);
    let rest = text[p + "migcheck:irreversible".len()..end].trim();
    let reason = rest.strip_prefix("--").unwrap_or(rest).trim().to_string();
    Some((reason, Span::new(line_start, end)))
}

impl<'s> Runner<'s> {
    /// Replays and lints one unit: its up part, its down part (against a checkpoint of the
    /// catalog), then the unit-level rules.
    fn unit(
        &mut self,
        unit_index: usize,
        unit: &'s Unit,
        parsed: &ParsedUnit,
        catalog: &mut Catalog,
    ) {
        let settings = self.settings;
        let prepared = self.prepared;
        self.report = settings.only_files.as_ref().is_none_or(|only| {
            unit.files()
                .into_iter()
                .any(|f| only.contains(&std::fs::canonicalize(f).unwrap_or_else(|_| f.clone())))
        });
        let (up_parsed, down_parsed) = parsed;
        self.current_statements.clear();
        self.unit_id = unit.id.as_str().into();
        self.unit_hash = match prepared.unit_hashes.get(unit_index) {
            Some(h) => {
                crate::signoff::sha256_hex(format!("{h}\u{0}{}", settings.version).as_bytes())
                    .into()
            }
            None => Arc::from(""),
        };
        let up = unit.up.as_ref().map(|p| {
            self.lint_part(
                p,
                up_parsed.as_ref(),
                unit,
                Direction::Up,
                catalog,
                unit_index,
            )
        });
        let down = match &unit.down {
            Down::Part(p) => {
                // the down part runs after the up part; it must not change the forward schema
                catalog.checkpoint();
                let down = self.lint_part(
                    p,
                    down_parsed.as_ref(),
                    unit,
                    Direction::Down,
                    catalog,
                    unit_index,
                );
                catalog.rollback();
                Some(down)
            }
            _ => None,
        };
        let up_file = up.as_ref().map(|p| p.file).unwrap_or(0);
        let irreversible = up
            .as_ref()
            .and_then(|p| p.irreversible.clone().map(|x| (p.file, x)))
            .or_else(|| {
                down.as_ref()
                    .and_then(|p| p.irreversible.clone().map(|x| (p.file, x)))
            });
        if settings.collect_report {
            self.out.units.push(UnitReport {
                id: unit.id.clone(),
                layout: unit.layout.name().to_string(),
                transaction: unit.tx.name().to_string(),
                transaction_reason: unit.tx_reason.to_string(),
                files: unit.files().into_iter().map(|f| display_path(f)).collect(),
                down: match &unit.down {
                    Down::Part(p) => format!("present: {}", display_path(&p.file)),
                    Down::Missing { expected } => format!("missing: {expected}"),
                    Down::None => {
                        format!("none by design ({} has no down-migrations)", unit.layout)
                    }
                },
                statements: std::mem::take(&mut self.current_statements),
            });
        }
        let ctx = UnitCtx {
            version: settings.version,
            unit,
            require_down: settings.require_down,
            up: up.as_ref().map(|p| p.statements),
            down: down.as_ref().map(|p| p.statements),
            // a marker counts only with a reason: `-- migcheck:irreversible -- <why>`
            irreversible: irreversible
                .as_ref()
                .map(|(_, (reason, _))| reason.as_str())
                .filter(|r| !r.is_empty()),
        };
        if !unit.marker_problems.is_empty()
            && let Some((meta, level)) = self.rule_level("MC008")
        {
            for p in &unit.marker_problems {
                let file = self.load(&p.file);
                let v = Violation {
                    span: Some(p.span),
                    message: p.message.clone(),
                    label: p.label.clone(),
                    help: Some(p.help.clone()),
                    notes: p.notes.clone(),
                    in_down: false,
                };
                self.push(file, meta, level, v);
            }
        }
        let mut found = Vec::new();
        let mut v = Vec::new();
        for a in &self.active {
            a.reg.rule.check_unit(&ctx, &mut v);
            if !v.is_empty() {
                found.extend(v.drain(..).map(|x| (&a.reg.meta, a.level, x)));
            }
        }
        for (meta, level, v) in found {
            // a finding about the down part points into the down file (at its section, if any)
            let mut v = v;
            let file = if v.in_down {
                if v.span.is_none() {
                    v.span = down.as_ref().and_then(|d| d.anchor);
                }
                down.as_ref().map_or(up_file, |d| d.file)
            } else {
                up_file
            };
            self.push(file, meta, level, v);
        }
    }

    fn add_file(&mut self, path: &'s Path, source: Option<Arc<SourceText>>) -> usize {
        if let Some(i) = self.by_path.get(path_key(path)) {
            return *i;
        }
        self.out.files.push(LoadedFile {
            path: path.to_path_buf(),
            display: display_path(path).into(),
            source,
        });
        let i = self.out.files.len() - 1;
        self.by_path.insert(path_key(path), i);
        i
    }

    fn push(
        &mut self,
        file_index: usize,
        meta: &'static rules::RuleMeta,
        level: Level,
        v: Violation,
    ) {
        if !self.report {
            return;
        }
        let file = &self.out.files[file_index];
        // the top-level statement the finding is in (1-based), and its normalised hash; spans
        // are sorted and disjoint, so the first one ending at or after the finding is the only
        // candidate (a binary search: a file can have many statements and findings)
        let mut statement = None;
        let mut statement_hash = None;
        if let (Some(sp), Some(spans), Some(src)) =
            (v.span, self.stmt_spans.get(&file_index), &file.source)
        {
            let i = spans.partition_point(|s| s.end < sp.start);
            if let Some(s) = spans.get(i).filter(|s| s.start <= sp.start) {
                statement = Some(i + 1);
                if self.settings.hashes {
                    statement_hash = Some(Arc::clone(
                        self.stmt_hashes.entry((file_index, *s)).or_insert_with(|| {
                            crate::signoff::sha256_hex(
                                crate::signoff::normalise(src.slice(*s)).as_bytes(),
                            )
                            .into()
                        }),
                    ));
                }
            }
        }
        let ((line, column), (end_line, end_column)) = match (v.span, &file.source) {
            (Some(s), Some(src)) => (src.line_col(s.start), src.line_col(s.end)),
            _ => ((1, 1), (1, 1)),
        };
        // an exact-size vector: collecting in place would keep the notes' `String` buffer
        let mut notes = Vec::with_capacity(v.notes.len());
        for n in v.notes {
            notes.push(self.intern(n));
        }
        let file = &self.out.files[file_index];
        self.out.findings.push(Finding {
            meta,
            level,
            file: Arc::clone(&file.display),
            file_index: u32_of(file_index),
            span: v.span,
            line: u32_of(line),
            column: u32_of(column),
            end_line: u32_of(end_line),
            end_column: u32_of(end_column),
            message: v.message.into_boxed_str(),
            label: v.label.into_boxed_str(),
            own_help: v.help.map(String::into_boxed_str),
            notes,
            versions: None,
            migration: Arc::clone(&self.unit_id),
            statement: statement.map(u32_of),
            hashes: self.settings.hashes.then(|| {
                Box::new(Hashes {
                    statement: statement_hash,
                    unit: Arc::clone(&self.unit_hash),
                })
            }),
            signoff: None,
        });
    }

    fn intern(&mut self, text: String) -> Arc<str> {
        crate::fasthash::intern(&mut self.notes, &text)
    }

    fn rule_level(&self, id: &str) -> Option<(&'static rules::RuleMeta, Level)> {
        let meta = rules::find(id)?;
        Some((meta, self.settings.level_of(meta)?))
    }

    fn unreadable(&mut self, file_index: usize, message: String, span: Option<Span>) {
        if let Some((meta, level)) = self.rule_level("MC002") {
            self.push(
                file_index,
                meta,
                level,
                Violation {
                    span,
                    message,
                    ..Violation::default()
                },
            );
        }
    }

    /// Findings about the suppression comments themselves: invalid (MC006) and unused (MC007).
    fn check_ignores(&mut self, idx: usize, ignores: &[crate::suppress::Ignore], used: &[bool]) {
        for (ig, used) in ignores.iter().zip(used) {
            let problem = match rules::find(&ig.rule) {
                None => Some(format!("`migcheck:ignore {}` names no rule", ig.rule)),
                Some(_) if ig.reason.is_empty() => Some(format!(
                    "`migcheck:ignore {}` has no reason: add `-- <why>`",
                    ig.rule
                )),
                Some(m)
                    if self
                        .settings
                        .level_of(m)
                        .is_some_and(|l| l > Level::Warning) =>
                {
                    Some(format!(
                        "`{}` ({}) is a {} rule: it cannot be ignored inline, record a DBA sign-off with `migcheck signoff add`",
                        m.id,
                        m.name,
                        self.settings.level_of(m).unwrap_or(m.level)
                    ))
                }
                Some(_) => None,
            };
            let (rule, message) = match problem {
                Some(p) => ("MC006", p),
                None if !used => (
                    "MC007",
                    format!("`migcheck:ignore {}` silences nothing here", ig.rule),
                ),
                None => continue,
            };
            if let Some((meta, level)) = self.rule_level(rule) {
                self.push(
                    idx,
                    meta,
                    level,
                    Violation {
                        span: Some(ig.span),
                        message,
                        ..Violation::default()
                    },
                );
            }
        }
    }

    fn ambiguous_layout(&mut self, root: &'s Path, d: &Detection) {
        let Some((meta, level)) = self.rule_level("MC004") else {
            return;
        };
        // a file named on the command line is also linted: register it with its text (as a
        // text-less entry, its statements were never linted)
        let idx = if self.prepared.sources.contains_key(path_key(root)) {
            self.load(root)
        } else {
            self.add_file(root, None)
        };
        let mut notes = vec![format!("chosen: {} ({})", d.layout, d.evidence.join("; "))];
        for c in &d.candidates {
            notes.push(format!(
                "also fits: {} ({})",
                c.layout,
                c.evidence.join("; ")
            ));
        }
        let v = Violation {
            span: None,
            message: format!(
                "`{}` looks like more than one migration tool's layout; assumed {}",
                display_path(root),
                d.layout
            ),
            label: String::new(),
            help: Some(format!(
                "say which with `--layout {}` or `layout = \"{}\"` in migcheck.toml",
                d.layout, d.layout
            )),
            notes,
            in_down: false,
        };
        self.push(idx, meta, level, v);
    }

    /// Reads a file once; unreadable files become MC002 findings.
    /// The file's index in `files`; files that could not be read become MC002 findings.
    fn load(&mut self, path: &'s Path) -> usize {
        if let Some(i) = self.by_path.get(path_key(path)) {
            return *i;
        }
        match self.prepared.sources.get(path_key(path)) {
            Some(Ok(src)) => self.add_file(path, Some(Arc::clone(src))),
            Some(Err(e)) => {
                let (message, at) = &**e;
                let idx = self.add_file(path, at.as_ref().map(|(src, _)| Arc::clone(src)));
                self.unreadable(idx, message.clone(), at.as_ref().map(|(_, span)| *span));
                idx
            }
            None => {
                let idx = self.add_file(path, None);
                self.unreadable(idx, format!("cannot read `{}`", display_path(path)), None);
                idx
            }
        }
    }

    /// Lints one part of a unit: parse, transaction state, per-statement and per-op rules,
    /// schema replay, then the part-level rules.
    fn lint_part<'p>(
        &mut self,
        part: &'s Part,
        parsed: Option<&'p ParsedFile>,
        unit: &Unit,
        dir: Direction,
        catalog: &mut Catalog,
        unit_index: usize,
    ) -> ParsedPart<'p> {
        let idx = self.load(&part.file);
        let settings = self.settings;
        let (Some(source), Some(parsed)) = (self.out.files[idx].source.clone(), parsed) else {
            return ParsedPart {
                file: idx,
                statements: &[],
                irreversible: None,
                anchor: None,
            };
        };
        let source = source.as_ref();
        let spans = self.stmt_spans.entry(idx).or_default();
        let before = spans.len();
        spans.extend(
            parsed
                .statements
                .iter()
                .filter(|s| !s.in_body)
                .map(|s| s.span),
        );
        // the parts of a file mostly come in file order: sort only when these do not follow
        // (a file of thousands of changesets was re-sorted for each of them)
        if !spans[before.saturating_sub(1)..].is_sorted_by(|a, b| a < b) {
            spans.sort();
            spans.dedup();
        }
        let masked = part_text(&source.text, part);
        // the part's text and where it starts in the file (spans found in it are shifted)
        let (base, text) = masked
            .as_ref()
            .map_or((0, source.text.as_str()), |(b, t)| (*b, t.as_str()));
        let shift = |s: Span| Span::new(base + s.start, base + s.end);
        // `migcheck:` comments (irreversible, ignore) are rare: one search of the file decides
        // whether to look for them (the part's text is the file's, partly blanked)
        let has_markers = memchr::memmem::find(source.text.as_bytes(), b"migcheck:").is_some();
        // the marker may sit in a file header outside the part's sections (goose, dbmate)
        let irreversible = has_markers
            .then(|| irreversible_marker(text))
            .flatten()
            .map(|(reason, s)| (reason, shift(s)))
            .or_else(|| {
                (has_markers && part.sections.is_some() && unit.layout != Layout::Liquibase)
                    .then(|| irreversible_marker(&source.text))
                    .flatten()
            });
        // where unit-level findings about this part point: its first line when it is a section
        let anchor = part.sections.as_ref().and_then(|s| s.first()).map(|s| {
            let end = source.text[s.start..]
                .find('\n')
                .map_or(source.text.len(), |p| s.start + p);
            Span::new(s.start, end.max(s.start))
        });
        let mut tx_mode = part.tx.as_ref().map_or(unit.tx, |(mode, _)| *mode);
        let mut tx_reason: std::borrow::Cow<'_, str> = part
            .tx
            .as_ref()
            .map_or(&*unit.tx_reason, |(_, reason)| reason.as_str())
            .into();
        let statements = parsed.statements.as_slice();
        // a tool that splits with a SQL parser sends the whole part as one string when its
        // parser cannot read a statement (Prisma 7.4+)
        if let Some(split) = &unit.split_by_parser
            && tx_mode == TxMode::Autocommit
            && let Some(s) = statements
                .iter()
                .find(|s| !s.in_body && !(split.parses)(source.slice(s.span)))
        {
            let line = source.line_col(s.span.start).0;
            tx_mode = TxMode::Implicit;
            tx_reason = format!(
                "{}, which cannot read line {line}: the whole file goes as one string",
                split.reason
            )
            .into();
        }
        let tx_reason: &str = &tx_reason;
        // statements that cannot run in a transaction (for Flyway's auto-demotion)
        let outside: Vec<bool> = statements
            .iter()
            .map(|s| {
                s.ops
                    .iter()
                    .any(|o| txn::refused_in_transaction(o, settings.version).is_some())
            })
            .collect();
        // top-level statements sent to the server
        let executable = statements
            .iter()
            .filter(|s| !s.in_body && !matches!(s.how, How::PsqlMeta))
            .count();
        // the part is one multi-statement string (an implicit transaction), or several
        // statements before one Sync (pgJDBC); what a COMMIT in it leads to
        let string = tx_mode == TxMode::Implicit && executable > 1;
        let pipeline = tx_mode == TxMode::Pipeline && executable > 1;
        // one string inside the tool's transaction: after a COMMIT in it, the rest of the
        // string is one implicit transaction
        let whole_in_tool = tx_mode == TxMode::Transaction
            && unit.layout.sends_part_whole()
            && part.batches.is_empty()
            && executable > 1;
        let after_commit = if string || whole_in_tool {
            Some(TxHow::Implicit)
        } else if pipeline {
            Some(TxHow::Pipeline { first: false })
        } else {
            None
        };
        // the first statement sent (a pipeline's first may be one refused in a block)
        let first_sent = statements
            .iter()
            .position(|s| !s.in_body && !matches!(s.how, How::PsqlMeta));
        let mut state = match tx_mode {
            TxMode::Transaction if unit.auto_demote && outside.iter().any(|o| *o) => {
                if outside
                    .iter()
                    .zip(statements)
                    .all(|(o, s)| *o || matches!(s.how, How::PsqlMeta))
                {
                    TxInfo {
                        in_block: false,
                        how: TxHow::None,
                    }
                } else {
                    TxInfo {
                        in_block: true,
                        how: TxHow::FlywayMixed,
                    }
                }
            }
            TxMode::Transaction => TxInfo {
                in_block: true,
                how: TxHow::Tool,
            },
            TxMode::Implicit if string => TxInfo {
                in_block: true,
                how: TxHow::Implicit,
            },
            TxMode::Pipeline if pipeline => TxInfo {
                in_block: true,
                how: TxHow::Pipeline { first: false },
            },
            _ => TxInfo {
                in_block: false,
                how: TxHow::None,
            },
        };
        // Flyway runs a file of only non-transactional statements outside a transaction
        let part_tx = match tx_mode {
            TxMode::Transaction if !state.in_block => TxMode::Autocommit.name(),
            m => m.name(),
        };
        let mut found: Vec<(&'static rules::RuleMeta, Level, Violation)> = Vec::new();
        // what one rule found about one statement, op or part (moved into `found` at once)
        let mut scratch: Vec<Violation> = Vec::new();
        let problems = &parsed.problems;
        let mut txs = Vec::with_capacity(statements.len());
        let mut locks: Vec<Vec<HeldLock>> = Vec::with_capacity(statements.len());
        let do_block = TxInfo {
            in_block: true,
            how: TxHow::DoBlock,
        };
        // tables this part created, for the report's "new" mark: the down part runs long after
        // the up part, so there the up part's tables are real, filled tables. (The rules still
        // treat the whole unit's tables as new in both parts; see the issue notes.)
        let mut created_here: Vec<ObjName> = Vec::new();
        let function_body = TxInfo {
            in_block: true,
            how: TxHow::FunctionBody,
        };
        // per statement: the block the tool sends as one query string it lies in (`Part::
        // batches`), when that block holds more than one statement (an implicit transaction)
        let batch_of = batches_of(&part.batches, statements);
        // statements the tool cuts in pieces (goose ends a statement at a line ending in `;`)
        let cuts = if part.sent.is_empty() {
            Vec::new()
        } else {
            cut_statements(&part.sent, statements)
        };
        if let Some((meta, level)) = self.rule_level("MC008") {
            for &(stmt, cut) in &cuts {
                let line = source.line_col(cut.saturating_sub(1)).0;
                found.push((
                    meta,
                    level,
                    Violation {
                        span: Some(stmt),
                        message: format!(
                            "goose cuts this statement at line {line}: it sends the text up to there as one statement"
                        ),
                        label: "goose ends a statement at a line whose last word ends with `;`".to_string(),
                        help: Some("wrap the statement in `-- +goose StatementBegin` and `-- +goose StatementEnd` lines".to_string()),
                        notes: vec!["PostgreSQL rejects the pieces (an unterminated string, dollar quote or statement): the migration fails".to_string()],
                        in_down: false,
                    },
                ));
            }
        }
        // a function body's statements see the tables it creates itself, never the migration:
        // the catalog is checkpointed before them and rolled back after
        let mut in_function = false;
        // before one Sync: the statement before this one ended its transaction (COMMIT,
        // ROLLBACK), so this one starts the next as a pipeline's first statement does (a
        // CONCURRENTLY there runs; measured on 10-18, oracle `pipeline_facts`)
        let mut restarted = false;
        for (k, stmt) in statements.iter().enumerate() {
            if stmt.in_function.is_some() != in_function {
                if in_function {
                    catalog.rollback();
                } else {
                    catalog.checkpoint();
                }
                in_function = !in_function;
            }
            // a DO block's statements run inside the DO's own transaction; a function's in its
            // caller's, and never at top level
            let here = if stmt.in_function.is_some() {
                function_body.clone()
            } else if stmt.in_body {
                do_block.clone()
            } else if let Some(block) = batch_of.get(k).copied().flatten()
                && !state.in_block
            {
                TxInfo {
                    in_block: true,
                    how: TxHow::Batch { block },
                }
            } else if let TxHow::Pipeline { .. } = state.how {
                TxInfo {
                    in_block: state.in_block,
                    how: TxHow::Pipeline {
                        first: Some(k) == first_sent || restarted,
                    },
                }
            } else {
                state.clone()
            };
            txs.push(here.clone());
            let sctx = StmtCtx {
                statement: stmt,
                source,
            };
            // rules that apply to this statement (statements of a function body: only those
            // about what the statement itself does, not about the migration around it)
            let body_of_function = stmt.in_function.is_some();
            let applies = |a: &&Active| !body_of_function || a.in_function_bodies;
            let found_before = found.len();
            for a in self.active.iter().filter(applies) {
                a.reg.rule.check_statement(&sctx, &mut scratch);
                if !scratch.is_empty() {
                    found.extend(scratch.drain(..).map(|x| (&a.reg.meta, a.level, x)));
                }
            }
            let mut held = Vec::new();
            // per op: whether it rewrites and scans its table when the catalog knows better
            // than the generic fact (a type change between binary-coercible types does neither)
            let mut rewrites_known: Vec<Option<(bool, bool)>> = Vec::with_capacity(stmt.ops.len());
            // per op: locks on other tables (referenced tables, a dropped index's table)
            let mut related: Vec<(ObjName, crate::pg::LockMode)> = Vec::new();
            // partitions of an op's partitioned table: they are rewritten or scanned as the op
            // says (the parent has no storage of its own)
            let mut inherit: Vec<(ObjName, bool, bool)> = Vec::new();
            for op in &stmt.ops {
                if settings.collect_report {
                    related.extend(classify::related_locks(op, catalog, settings.version));
                }
                // (rewrites, scans) when the catalog knows better than the generic fact: a
                // type change between binary-coercible types neither rewrites nor scans
                let known: Option<(bool, bool)> = match op {
                    Op::AlterColumnType {
                        table,
                        column,
                        ty,
                        using,
                        ..
                    } => {
                        let from = catalog
                            .table(&table.name)
                            .and_then(|tb| tb.columns.iter().find(|x| &x.name == column))
                            .map(|x| crate::pg::types::normalize(&x.ty));
                        let to = crate::pg::types::normalize(ty);
                        let (rewrites, _, fact) = crate::pg::types::type_change_effect(
                            from.as_ref(),
                            &to,
                            *using,
                            settings.session_utc,
                            settings.version,
                        );
                        let scans = rewrites
                            || fact
                                .and_then(|id| crate::pg::facts::lookup_op(id, settings.version))
                                .is_some_and(|r| r.scans);
                        Some((rewrites, scans))
                    }
                    // already NOT NULL: nothing to check
                    Op::SetNotNull { table, column, .. }
                        if catalog.is_not_null(&table.name, column) =>
                    {
                        Some((false, false))
                    }
                    // a validated `CHECK (col IS NOT NULL)` proves it: no scan from 12 (MC013)
                    Op::SetNotNull { table, column, .. }
                        if catalog.valid_not_null_check(&table.name, column).is_some() =>
                    {
                        crate::pg::facts::lookup(
                            crate::pg::Fact::SetNotNullWithValidCheck,
                            settings.version,
                        )
                        .map(|r| (r.rewrites, r.scans))
                    }
                    // every partition has an equivalent index: attached, not built
                    Op::CreateIndex {
                        table,
                        unique,
                        definition,
                        only: false,
                        ..
                    } if catalog.partitions_have_index(&table.name, *unique, definition) => {
                        Some((false, false))
                    }
                    _ => None,
                };
                rewrites_known.push(known);
                if settings.collect_report
                    && let Some((row, target)) = classify::fact_row(op, settings.version)
                {
                    let (rewrites, scans) = known.unwrap_or((row.rewrites, row.scans));
                    for p in catalog.partitions(target) {
                        inherit.push((p.name.clone(), rewrites, scans));
                    }
                }
                let ctx = OpCtx {
                    version: settings.version,
                    catalog,
                    unit: unit_index,
                    statement: stmt,
                    tx: &here,
                    layout_unit: unit,
                    tx_reason,
                    direction: dir,
                    source,
                    session_utc: settings.session_utc,
                };
                for a in self.active.iter().filter(applies) {
                    a.reg.rule.check_op(op, &ctx, &mut scratch);
                    // (most rules find nothing: no drain to make and drop)
                    if scratch.is_empty() {
                        continue;
                    }
                    for x in scratch.drain(..) {
                        let (level, x) = size_adjusted(settings, &a.reg.meta, a.level, op, x);
                        found.push((&a.reg.meta, level, x));
                    }
                }
                // (a LOCK outside a transaction block fails before it locks: MC034)
                if let Some((table, mode)) = classify::table_lock(op, settings.version)
                    && stmt.in_function.is_none()
                    && !(matches!(op, Op::LockTable { .. }) && here.refuses_lock(settings.version))
                {
                    let existed = !ctx.is_new_table(&table) && !creates(op, &table);
                    let (rewrites, scans) = known.unwrap_or_else(|| {
                        classify::fact_row(op, settings.version)
                            .map_or((false, false), |(r, _)| (r.rewrites, r.scans))
                    });
                    held.push(HeldLock {
                        table,
                        mode,
                        existed,
                        rewrites,
                        scans,
                    });
                }
                if let Op::CreateTable {
                    table: t,
                    partition_of: None,
                    ..
                } = op
                {
                    created_here.push(t.name.clone());
                }
                catalog.apply(op, unit_index);
                if !stmt.in_body {
                    state = next_state(state, op, stmt.span, &after_commit);
                }
            }
            if pipeline && !stmt.in_body && !matches!(stmt.how, How::PsqlMeta) {
                restarted = stmt.ends_transaction();
            }
            if settings.collect_report && !stmt.in_body && !matches!(stmt.how, How::PsqlMeta) {
                let effects = stmt
                    .ops
                    .iter()
                    .zip(&rewrites_known)
                    .filter_map(|(op, known)| {
                        classify::fact_row(op, settings.version).map(|(r, t)| (r, t, *known))
                    })
                    .map(|(row, table, known)| {
                        let (rewrites, scans) = known.unwrap_or((row.rewrites, row.scans));
                        // created_here already holds what this statement creates
                        let existed = !created_here.contains(table);
                        let estimate = settings
                            .stats
                            .as_ref()
                            .and_then(|st| st.get(table))
                            .and_then(|size| {
                                (rewrites || scans)
                                    .then(|| {
                                        crate::stats::estimate_seconds(row, size.rows)
                                            .map(crate::stats::human_seconds)
                                    })
                                    .flatten()
                            });
                        Effect {
                            table: table.to_string(),
                            lock: row.lock.map(|l| l.sql_name().to_string()),
                            blocks: row.lock.map(|l| l.blocks().join(", ")).unwrap_or_default(),
                            rewrites,
                            scans,
                            existed,
                            estimate,
                        }
                    })
                    .chain(related.iter().map(|(table, mode)| Effect {
                        table: table.to_string(),
                        lock: Some(mode.sql_name().to_string()),
                        blocks: mode.blocks().join(", "),
                        rewrites: inherit.iter().any(|(t, rw, _)| t == table && *rw),
                        scans: inherit.iter().any(|(t, _, sc)| t == table && *sc),
                        existed: !created_here.contains(table),
                        estimate: None,
                    }))
                    .collect();
                let sql: String = source
                    .slice(stmt.span)
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                let sql = if sql.chars().count() > 160 {
                    format!("{}…", sql.chars().take(160).collect::<String>())
                } else {
                    sql
                };
                self.current_statements.push(StatementReport {
                    direction: if dir == Direction::Up { "up" } else { "down" },
                    file: self.out.files[idx].display.to_string(),
                    line: source.line_col(stmt.span.start).0,
                    sql,
                    effects,
                    // `text` is the part's window of the file, starting at byte `base`; a
                    // statement the tool cuts (MC008) is sent as its first piece, as goose does
                    exec: text
                        .get(
                            stmt.span.start.saturating_sub(base)
                                ..cuts
                                    .iter()
                                    .find(|(s, _)| *s == stmt.span)
                                    .map_or(stmt.span.end, |&(_, at)| at)
                                    .saturating_sub(base),
                        )
                        .unwrap_or("")
                        .to_string(),
                    templated: stmt.templated || stmt.unterminated,
                    part_tx,
                    // a part sent as one string is one block (its first byte)
                    batch: here
                        .batch()
                        .or((string || pipeline || whole_in_tool).then_some(base)),
                });
            }
            if let Some(function) = &stmt.in_function {
                for (_, _, v) in &mut found[found_before..] {
                    v.notes.push(format!(
                        "in the body of `{function}`: this runs each time it is called, inside the caller's transaction, not when this migration runs"
                    ));
                }
            }
            locks.push(held);
        }
        if in_function {
            catalog.rollback();
        }
        // the part-level rules are about the migration as it runs: without function bodies
        let runs_now: Option<RunsNow> =
            statements.iter().any(|s| s.in_function.is_some()).then(|| {
                let keep = |i: &usize| statements[*i].in_function.is_none();
                let idx: Vec<usize> = (0..statements.len()).filter(keep).collect();
                (
                    idx.iter().map(|&i| statements[i].clone()).collect(),
                    idx.iter().map(|&i| txs[i].clone()).collect(),
                    idx.iter().map(|&i| locks[i].clone()).collect(),
                )
            });
        let (part_statements, part_txs, part_locks) = match &runs_now {
            Some((s, t, l)) => (s.as_slice(), t.as_slice(), l.as_slice()),
            None => (statements, txs.as_slice(), locks.as_slice()),
        };
        let pctx = PartCtx {
            version: settings.version,
            catalog,
            unit,
            direction: dir,
            statements: part_statements,
            tx: part_txs,
            end: &state,
            locks: part_locks,
            source,
            tx_mode,
            tx_reason,
            lock_timeout_on_role: settings.lock_timeout_on_role,
            statement_timeout_on_role: settings.statement_timeout_on_role,
        };
        for a in &self.active {
            a.reg.rule.check_part(&pctx, &mut scratch);
            if !scratch.is_empty() {
                found.extend(scratch.drain(..).map(|x| (&a.reg.meta, a.level, x)));
            }
        }
        if let Some((meta, level)) = self.rule_level("MC003") {
            for p in problems {
                found.push((
                    meta,
                    level,
                    Violation {
                        span: Some(p.span),
                        message: p.message.clone(),
                        label: "opened here, never closed".to_string(),
                        ..Violation::default()
                    },
                ));
            }
        }
        let stats = &mut self.out.stats;
        for s in statements {
            if s.in_body {
                stats.body_statements += 1;
                continue;
            }
            stats.statements += 1;
            stats.templated += usize::from(s.templated);
            match s.how {
                How::Sqlparser => stats.parsed_by_sqlparser += 1,
                How::Fallback => stats.parsed_by_fallback += 1,
                How::KindOnly => stats.kind_only += 1,
                How::PsqlMeta => stats.psql_meta_commands += 1,
                How::Unparsed { .. } => stats.unparsed += 1,
            }
        }
        let mut ignores = if has_markers {
            crate::suppress::markers(text)
        } else {
            Vec::new()
        };
        for ig in &mut ignores {
            ig.span = shift(ig.span);
        }
        let mut used = vec![false; ignores.len()];
        let top: Vec<&Statement> = statements.iter().filter(|s| !s.in_body).collect();
        for (meta, level, mut v) in found {
            if dir == Direction::Down && v.span.is_some() {
                v.notes.push(
                    "in the down-migration: it runs during a rollback, often in an incident"
                        .to_string(),
                );
            }
            let suppressed = if level <= Level::Warning {
                ignore_for(&ignores, &top, &source.text, meta, v.span).inspect(|&i| used[i] = true)
            } else {
                None
            };
            match suppressed {
                Some(i) => self.suppressed.push((meta.id, ignores[i].reason.clone())),
                None => self.push(idx, meta, level, v),
            }
        }
        self.check_ignores(idx, &ignores, &used);
        ParsedPart {
            file: idx,
            statements,
            irreversible,
            anchor,
        }
    }
}

/// The suppression (index into `ignores`) that covers a finding of `meta` at `span`: an
/// `ignore-file` for the rule, or an `ignore` for the statement on the comment's own line (a
/// trailing comment) or else the next statement. `top`: the part's top-level statements, in
/// file order (found by binary search: a part can have many statements and findings).
fn ignore_for(
    ignores: &[crate::suppress::Ignore],
    top: &[&Statement],
    text: &str,
    meta: &rules::RuleMeta,
    span: Option<Span>,
) -> Option<usize> {
    ignores.iter().position(|ig| {
        if !(ig.rule == meta.id || ig.rule == meta.name) || ig.reason.is_empty() {
            return false;
        }
        if ig.whole_file {
            return true;
        }
        let Some(sp) = span else { return false };
        let before = top.partition_point(|s| s.span.end <= ig.span.start);
        let same_line = before.checked_sub(1).map(|i| top[i]).filter(|s| {
            !text
                .get(s.span.end..ig.span.start)
                .unwrap_or("\n")
                .contains('\n')
        });
        let target = same_line.or_else(|| {
            top.get(top.partition_point(|s| s.span.start < ig.span.end))
                .copied()
        });
        target.is_some_and(|s| s.span.start <= sp.start && sp.start <= s.span.end)
    })
}

/// With `--stats`, a finding about a rewrite or scan depends on the table's size: a small table
/// drops to `info`; a large one keeps its level and gets an estimated lock time.
fn size_adjusted(
    settings: &Settings,
    meta: &rules::RuleMeta,
    level: Level,
    op: &Op,
    mut v: Violation,
) -> (Level, Violation) {
    let Some(stats) = &settings.stats else {
        return (level, v);
    };
    if !meta.size_sensitive {
        return (level, v);
    }
    let Some((row, target)) = classify::fact_row(op, settings.version) else {
        return (level, v);
    };
    let Some(size) = stats.get(target) else {
        return (level, v);
    };
    if size.rows < crate::stats::SMALL_TABLE_ROWS {
        v.notes.push(format!(
            "`{target}` has {} rows (from --stats): this takes milliseconds",
            size.rows
        ));
        return (Level::Info.min(level), v);
    }
    let lock = row
        .lock
        .map_or("its lock".to_string(), |l| l.sql_name().to_string());
    let est = crate::stats::estimate_seconds(row, size.rows).map(crate::stats::human_seconds);
    v.notes.push(match est {
        Some(e) => format!(
            "`{target}` has {} rows, {} (from --stats): at least {e} under {lock} (a lower bound scaled from {:.0} ms per 50,000 narrow rows measured with fsync off on PostgreSQL {})",
            size.rows,
            crate::stats::human_bytes(size.bytes),
            row.ms_50k_rows.unwrap_or(0.0),
            row.from
        ),
        None => format!("`{target}` has {} rows, {} (from --stats)", size.rows, crate::stats::human_bytes(size.bytes)),
    });
    (level, v)
}

/// Whether `op` creates `table` (then its lock is on a brand-new, empty table).
fn creates(op: &Op, table: &ObjName) -> bool {
    matches!(op, Op::CreateTable { table: t, partition_of: None, .. } if &t.name == table)
}

/// For each statement, the block of `batches` it lies in when that block holds more than one
/// statement the server runs (psql meta-commands and statements of DO or function bodies are
/// not counted: a body is part of its statement's text).
fn batches_of(batches: &[Span], statements: &[Statement]) -> Vec<Option<Span>> {
    if batches.is_empty() {
        return Vec::new();
    }
    let top = |s: &Statement| !s.in_body && !matches!(s.how, How::PsqlMeta);
    // the batches are in file order and do not overlap: the last one starting at or before
    // the statement is the only one that can hold it (a binary search: a file can hold
    // thousands of blocks)
    let block = |s: &Statement| {
        let i = batches
            .partition_point(|b| b.start <= s.span.start)
            .checked_sub(1)?;
        batches.get(i).filter(|b| s.span.end <= b.end).map(|_| i)
    };
    let mut count = vec![0usize; batches.len()];
    for s in statements.iter().filter(|s| top(s)) {
        if let Some(c) = block(s).and_then(|i| count.get_mut(i)) {
            *c += 1;
        }
    }
    statements
        .iter()
        .map(|s| {
            block(s)
                .filter(|i| top(s) && count.get(*i).is_some_and(|n| *n > 1))
                .and_then(|i| batches.get(i).copied())
        })
        .collect()
}

/// The top-level statements that do not lie within one of `sent` (the strings a tool sends,
/// in file order) although they start in one: (the statement's span, where its string ends).
fn cut_statements(sent: &[Span], statements: &[Statement]) -> Vec<(Span, usize)> {
    statements
        .iter()
        .filter(|s| !s.in_body && !matches!(s.how, How::PsqlMeta))
        .filter_map(|s| {
            let i = sent
                .partition_point(|b| b.start <= s.span.start)
                .checked_sub(1)?;
            let b = sent.get(i)?;
            (s.span.start < b.end && s.span.end > b.end).then_some((s.span, b.end))
        })
        .collect()
}

/// Transaction state after `op`. `after_commit`: the part is sent as one multi-statement
/// string (or before one Sync), where each statement after a COMMIT or ROLLBACK starts a new
/// implicit transaction (PostgreSQL only warns that none is in progress; checked on 10-18).
fn next_state(state: TxInfo, op: &Op, span: Span, after_commit: &Option<TxHow>) -> TxInfo {
    match op {
        // an explicit BEGIN turns an implicit (multi-statement) transaction into an explicit one
        Op::Begin
            if !state.in_block || matches!(state.how, TxHow::Implicit | TxHow::Pipeline { .. }) =>
        {
            TxInfo {
                in_block: true,
                how: TxHow::Script { begin: span },
            }
        }
        Op::Commit | Op::Rollback if after_commit.is_some() => TxInfo {
            in_block: true,
            how: after_commit.clone().unwrap_or(TxHow::None),
        },
        Op::Commit | Op::Rollback => TxInfo {
            in_block: false,
            how: TxHow::None,
        },
        _ => state,
    }
}
