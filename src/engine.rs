//! Units → parse → replay → rules → findings (sorted, deterministic).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use globset::{GlobSet, GlobSetBuilder};
use serde::Serialize;

use crate::catalog::Catalog;
use crate::config::{Config, RuleSetting};
use crate::ir::Span;
use crate::parse::{self, How, ParsedFile};
use crate::pg::PgVersion;
use crate::rules::{self, Level, OpCtx, StmtCtx, UnitCtx, Violation};
use crate::source::discover::{self, io_reason};
use crate::source::text::{DecodeError, SourceText};

/// Files larger than this are not read (a migration this size is data, not DDL).
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Validated settings for one run over one migration directory.
#[derive(Debug, Clone)]
pub struct Settings {
    pub version: PgVersion,
    /// No version was configured: the default was used (and the output says so).
    pub version_assumed: bool,
    pub rules: BTreeMap<&'static str, RuleSetting>,
    pub require_down: bool,
    pub exclude: GlobSet,
}

impl Settings {
    pub fn from_config(cfg: &Config, version_flag: Option<PgVersion>) -> Settings {
        let version = version_flag.or(cfg.pg_version);
        let mut b = GlobSetBuilder::new();
        for pat in &cfg.exclude {
            if let Ok(g) = globset::Glob::new(pat) {
                b.add(g);
            }
        }
        Settings {
            version: version.unwrap_or_else(PgVersion::default_target),
            version_assumed: version.is_none(),
            rules: cfg.rules.clone(),
            require_down: cfg.require_down.unwrap_or(true),
            exclude: b.build().unwrap_or_else(|_| GlobSet::empty()),
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
    pub display: String,
    pub source: Option<SourceText>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub name: &'static str,
    pub level: Level,
    pub file: String,
    #[serde(skip)]
    pub file_index: usize,
    #[serde(skip)]
    pub span: Option<Span>,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub message: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub label: String,
    pub help: String,
    pub notes: Vec<String>,
    pub doc: String,
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
    pub psql_meta_commands: usize,
    pub unparsed: usize,
    pub templated: usize,
    /// Files skipped on purpose (other SQL dialects), with the reason.
    pub skipped: Vec<(String, String)>,
}

impl Stats {
    pub fn add(&mut self, o: &Stats) {
        self.files += o.files;
        self.migrations += o.migrations;
        self.statements += o.statements;
        self.parsed_by_sqlparser += o.parsed_by_sqlparser;
        self.parsed_by_fallback += o.parsed_by_fallback;
        self.kind_only += o.kind_only;
        self.psql_meta_commands += o.psql_meta_commands;
        self.unparsed += o.unparsed;
        self.templated += o.templated;
        self.skipped.extend(o.skipped.iter().cloned());
    }
}

#[derive(Debug, Default)]
pub struct RunResult {
    pub files: Vec<LoadedFile>,
    pub findings: Vec<Finding>,
    pub stats: Stats,
}

pub fn display_path(p: &Path) -> String {
    let s = p.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

struct Runner<'s> {
    settings: &'s Settings,
    out: RunResult,
}

/// Lints one migration directory (or file). `Err` only when the path itself cannot be used.
pub fn run_path(root: &Path, settings: &Settings) -> Result<RunResult, String> {
    let disc = discover::discover(root, &settings.exclude)?;
    let mut r = Runner {
        settings,
        out: RunResult::default(),
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
    let mut catalog = Catalog::default();
    for (unit_index, unit) in disc.units.iter().enumerate() {
        let up_index = unit
            .up
            .as_ref()
            .map(|up| r.lint_file(up, &mut catalog, unit_index));
        if let Some(down) = &unit.down {
            // the down part runs after the up part; it must not change the forward schema
            let mut after_up = catalog.clone();
            r.lint_file(down, &mut after_up, unit_index);
        }
        let ctx = UnitCtx {
            version: settings.version,
            unit,
            require_down: settings.require_down,
        };
        let file_index = up_index.unwrap_or(0);
        for reg in rules::registry() {
            let Some(level) = settings.level_of(&reg.meta) else {
                continue;
            };
            let mut v = Vec::new();
            reg.rule.check_unit(&ctx, &mut v);
            for violation in v {
                r.push(file_index, &reg.meta, level, violation);
            }
        }
    }
    let mut out = r.out;
    out.findings.sort_by(|a, b| {
        (
            a.file_index,
            a.span.map_or(0, |s| s.start),
            a.rule,
            &a.message,
        )
            .cmp(&(
                b.file_index,
                b.span.map_or(0, |s| s.start),
                b.rule,
                &b.message,
            ))
    });
    Ok(out)
}

impl Runner<'_> {
    fn add_file(&mut self, path: &Path, source: Option<SourceText>) -> usize {
        self.out.files.push(LoadedFile {
            path: path.to_path_buf(),
            display: display_path(path),
            source,
        });
        self.out.files.len() - 1
    }

    fn push(
        &mut self,
        file_index: usize,
        meta: &'static rules::RuleMeta,
        level: Level,
        v: Violation,
    ) {
        let file = &self.out.files[file_index];
        let ((line, column), (end_line, end_column)) = match (v.span, &file.source) {
            (Some(s), Some(src)) => (src.line_col(s.start), src.line_col(s.end)),
            _ => ((1, 1), (1, 1)),
        };
        self.out.findings.push(Finding {
            rule: meta.id,
            name: meta.name,
            level,
            file: file.display.clone(),
            file_index,
            span: v.span,
            line,
            column,
            end_line,
            end_column,
            message: v.message,
            label: v.label,
            help: v.help.unwrap_or_else(|| meta.help.clone()),
            notes: v.notes,
            doc: meta.doc_path.clone(),
        });
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

    /// Lints one file; returns its index in `files`.
    fn lint_file(&mut self, path: &Path, catalog: &mut Catalog, unit: usize) -> usize {
        let (idx, parsed) = self.load(path);
        let Some(parsed) = parsed else {
            return idx;
        };
        let settings = self.settings;
        if let Some((meta, level)) = self.rule_level("MC003") {
            for p in &parsed.problems {
                let v = Violation {
                    span: Some(p.span),
                    message: p.message.clone(),
                    label: "opened here, never closed".to_string(),
                    help: None,
                    notes: Vec::new(),
                };
                self.push(idx, meta, level, v);
            }
        }
        let stats = &mut self.out.stats;
        for s in &parsed.statements {
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
        let mut found: Vec<(&'static rules::RuleMeta, Level, Violation)> = Vec::new();
        {
            let Some(source) = self.out.files[idx].source.as_ref() else {
                return idx;
            };
            for stmt in &parsed.statements {
                let sctx = StmtCtx {
                    statement: stmt,
                    source,
                };
                for reg in rules::registry() {
                    let Some(level) = settings.level_of(&reg.meta) else {
                        continue;
                    };
                    let mut v = Vec::new();
                    reg.rule.check_statement(&sctx, &mut v);
                    found.extend(v.into_iter().map(|x| (&reg.meta, level, x)));
                }
                for op in &stmt.ops {
                    let ctx = OpCtx {
                        version: settings.version,
                        catalog,
                        unit,
                        statement: stmt,
                    };
                    for reg in rules::registry() {
                        let Some(level) = settings.level_of(&reg.meta) else {
                            continue;
                        };
                        let mut v = Vec::new();
                        reg.rule.check_op(op, &ctx, &mut v);
                        found.extend(v.into_iter().map(|x| (&reg.meta, level, x)));
                    }
                    catalog.apply(op, unit);
                }
            }
        }
        for (meta, level, v) in found {
            self.push(idx, meta, level, v);
        }
        idx
    }

    /// Reads and parses a file; unreadable files become MC002 findings.
    fn load(&mut self, path: &Path) -> (usize, Option<ParsedFile>) {
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        if size > MAX_FILE_BYTES {
            let idx = self.add_file(path, None);
            self.unreadable(idx, format!("`{}` is {size} bytes, over the {MAX_FILE_BYTES}-byte limit for a migration file", display_path(path)), None);
            return (idx, None);
        }
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                let idx = self.add_file(path, None);
                self.unreadable(
                    idx,
                    format!("cannot read `{}`: {}", display_path(path), io_reason(&e)),
                    None,
                );
                return (idx, None);
            }
        };
        match SourceText::from_bytes(bytes) {
            Ok(src) => {
                let parsed = parse::parse_source(&src);
                let idx = self.add_file(path, Some(src));
                (idx, Some(parsed))
            }
            Err(DecodeError::Binary { offset }) => {
                let idx = self.add_file(path, None);
                self.unreadable(
                    idx,
                    format!(
                        "`{}` is a binary file (NUL byte at offset {offset}), not SQL",
                        display_path(path)
                    ),
                    None,
                );
                (idx, None)
            }
            Err(DecodeError::InvalidUtf8 { line, column, .. }) => {
                let idx = self.add_file(path, None);
                self.unreadable(
                    idx,
                    format!(
                        "`{}` is not valid UTF-8 (first bad byte at line {line}, column {column})",
                        display_path(path)
                    ),
                    None,
                );
                (idx, None)
            }
        }
    }
}
