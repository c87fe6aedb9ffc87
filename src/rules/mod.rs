//! The rule engine's vocabulary: levels, rule metadata (parsed from `rules/*.md`, the single
//! source of truth), the `Rule` trait and the static registry.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::ir::{ObjName, Op, Span};
use crate::parse::Statement;
use crate::pg::{Fact, FactRow, PgVersion, facts};

pub mod table;

mod add_column_default_rewrite;
mod foreign_key_without_index;
mod identifier_too_long;
mod missing_statement_timeout;
mod suppression_rules;
mod system_catalog_write;
mod type_style;
mod unused_signoff;

mod add_column_inline_constraint;
mod add_constraint_without_not_valid;
mod add_unique_constraint_building_index;
mod attach_partition_scan;
mod concurrent_index_pg14_corruption;
mod data_change_in_migration;
mod dependent_objects;
mod detach_partition_non_concurrently;
mod disable_trigger_all;
mod drop_breaks_running_code;
mod drop_index_non_concurrently;
mod explicit_lock_table;
mod missing_lock_timeout;
mod refresh_matview_non_concurrently;
mod reindex_non_concurrently;
mod rename_breaks_running_code;
mod rewriting_maintenance_command;
mod validate_in_same_transaction;

mod add_column_not_null_no_default;
mod add_column_volatile_default;
mod alter_column_type_rewrite;
mod concurrently_in_transaction;
mod create_index_non_concurrently;
mod down_does_not_revert;
pub(crate) mod empty_down_migration;
mod enum_value_in_transaction;
mod invalid_migration_marker;
mod layout_ambiguous;
mod lock_held_across_statements;
mod lock_outside_transaction;
mod missing_down_migration;
mod serial_sequence_not_widened;
mod set_not_null_scan;
mod transaction_nesting;
mod unparsed_statement;
mod unreadable_file;
mod unterminated_token;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Info,
    Warning,
    Danger,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Danger => "danger",
            Level::Error => "error",
        }
    }
    pub const ALL: [Level; 4] = [Level::Error, Level::Danger, Level::Warning, Level::Info];
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "info" => Ok(Level::Info),
            "warning" => Ok(Level::Warning),
            "danger" => Ok(Level::Danger),
            "error" => Ok(Level::Error),
            _ => Err(format!("unknown level `{s}`")),
        }
    }
}

/// The TOML front matter of a `rules/MC0NN-<name>.md` document.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FrontMatter {
    id: String,
    name: String,
    level: Level,
    summary: String,
    help: String,
    /// Where the rule can fire, in words (e.g. "10" or "all").
    versions: String,
    /// Off unless enabled in config.
    #[serde(default)]
    default_off: bool,
    /// The version the doc's Bad/Good examples are written for.
    #[serde(default)]
    example_pg_version: Option<String>,
    /// Whether the doc's Bad/Good examples are SQL that can be linted (not for file-level rules).
    #[serde(default = "yes")]
    examples_lintable: bool,
    /// The hazard grows with the table (a rewrite or scan): `--stats` adjusts the level.
    #[serde(default)]
    size_sensitive: bool,
}

fn yes() -> bool {
    true
}

/// A rule's metadata, from its doc.
#[derive(Debug, Clone)]
pub struct RuleMeta {
    pub id: &'static str,
    pub name: &'static str,
    pub level: Level,
    pub summary: String,
    pub help: String,
    pub versions: String,
    pub default_off: bool,
    pub example_pg_version: Option<PgVersion>,
    pub examples_lintable: bool,
    pub size_sensitive: bool,
    /// The whole markdown document.
    pub doc: &'static str,
    /// Path of the doc in the repository.
    pub doc_path: String,
}

/// What a rule reports; the engine adds the rule id, level, file and position.
#[derive(Debug, Clone, Default)]
pub struct Violation {
    /// Primary span (narrowest part with the hazard); `None` for file-level findings.
    pub span: Option<Span>,
    pub message: String,
    pub label: String,
    /// Overrides the doc's `help` when set (to name the table and column, or fit the version).
    pub help: Option<String>,
    pub notes: Vec<String>,
    /// For unit-level findings: the finding is about the down part (reported in its file).
    pub in_down: bool,
}

/// Which part of a migration is being checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

/// How the statement about to run is wrapped in a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxHow {
    /// The migration tool wrapped the migration in BEGIN/COMMIT.
    Tool,
    /// A multi-statement string: one implicit transaction.
    Implicit,
    /// The script's own BEGIN (its span).
    Script {
        begin: Span,
    },
    /// Flyway: a statement that cannot run in a transaction mixed with others.
    FlywayMixed,
    /// A block of statements the tool sends as one query string while the part runs without
    /// a transaction (`Part::batches`: a string goose sends under `NO TRANSACTION`, a dbmate
    /// `transaction:false` section): one implicit transaction. `block` spans its lines.
    Batch {
        block: Span,
    },
    /// Statements sent before one Sync (`TxMode::Pipeline`): one transaction; `first`: the
    /// first statement of the pipeline or the first after a COMMIT or ROLLBACK in it (where
    /// a statement refused in a transaction block still runs).
    Pipeline {
        first: bool,
    },
    /// Inside a `DO` block (always one transaction).
    DoBlock,
    /// Inside a function or procedure body (the caller's transaction; never top level).
    FunctionBody,
    None,
}

/// The transaction state before a statement, computed once by the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxInfo {
    pub in_block: bool,
    pub how: TxHow,
}

/// What sends the `TxHow::Batch` block `block` of `source` as one query string, in `layout`.
pub fn batch_sender(
    layout: crate::source::layout::Layout,
    source: &crate::source::text::SourceText,
    block: Span,
) -> String {
    let first = source.line_col(block.start).0;
    match layout {
        crate::source::layout::Layout::Dbmate => format!(
            "dbmate sends the `transaction:false` section from line {first} as one query string"
        ),
        _ => {
            let last = source.line_col(block.end.saturating_sub(1)).0;
            let lines = if last > first {
                format!("lines {first}-{last}")
            } else {
                format!("line {first}")
            };
            format!(
                "goose sends {lines} as one query string (a StatementBegin/StatementEnd block, or the lines up to one whose last word ends with `;`)"
            )
        }
    }
}

impl TxInfo {
    /// Whether PostgreSQL refuses a `LOCK TABLE` run here (`pg::txn::lock_refused`).
    pub fn refuses_lock(&self, version: PgVersion) -> bool {
        let pipelined = match self.how {
            TxHow::Pipeline { first } => Some(first),
            _ => None,
        };
        crate::pg::txn::lock_refused(self.in_block, pipelined, version)
    }

    /// The block sent as one query string this statement lies in (`TxHow::Batch`), by its
    /// position in the file: two statements in different blocks are in different transactions.
    pub fn batch(&self) -> Option<usize> {
        match &self.how {
            TxHow::Batch { block } => Some(block.start),
            _ => None,
        }
    }
}

/// A table lock a statement takes (from the measured facts), and whether the table existed
/// before this migration (then the lock can block the application).
#[derive(Debug, Clone)]
pub struct HeldLock {
    pub table: ObjName,
    pub mode: crate::pg::LockMode,
    pub existed: bool,
    /// Whether the statement rewrites or scans the table (the catalog's answer where it knows
    /// better than the generic fact, e.g. a binary-coercible type change does neither).
    pub rewrites: bool,
    pub scans: bool,
}

/// Facts about the statement being checked, computed once by the engine.
pub struct OpCtx<'a> {
    pub version: PgVersion,
    pub catalog: &'a crate::catalog::Catalog,
    /// Index of the migration unit being checked (in run order).
    pub unit: usize,
    pub statement: &'a Statement,
    pub tx: &'a TxInfo,
    pub layout_unit: &'a crate::source::layout::Unit,
    /// Why the part runs in its transaction mode (the part's own reason, else the unit's).
    pub tx_reason: &'a str,
    pub direction: Direction,
    pub source: &'a crate::source::text::SourceText,
    /// The migration session's TimeZone is UTC (`session-timezone` in migcheck.toml).
    pub session_utc: bool,
}

impl OpCtx<'_> {
    /// Created by this migration (same unit): empty, so lock and rewrite rules do not apply.
    pub fn is_new_table(&self, name: &ObjName) -> bool {
        self.catalog
            .table(name)
            .is_some_and(|t| t.created_in == Some(self.unit))
    }

    pub fn fact(&self, fact: Fact) -> Option<&'static FactRow> {
        facts::lookup(fact, self.version)
    }
}

/// A migration unit as the unit-level rules see it.
pub struct UnitCtx<'a> {
    pub version: PgVersion,
    pub unit: &'a crate::source::layout::Unit,
    pub require_down: bool,
    /// Parsed statements of the up and down parts (when present and readable).
    pub up: Option<&'a [Statement]>,
    pub down: Option<&'a [Statement]>,
    /// The reason given by `-- migcheck:irreversible -- <reason>`, if the unit has the marker.
    pub irreversible: Option<&'a str>,
}

/// One part (up or down) after all its statements were checked: for rules that look across
/// statements (transactions, locks held until commit).
pub struct PartCtx<'a> {
    pub version: PgVersion,
    /// The schema after the part's last statement.
    pub catalog: &'a crate::catalog::Catalog,
    pub unit: &'a crate::source::layout::Unit,
    pub direction: Direction,
    pub statements: &'a [Statement],
    /// Transaction state before each statement.
    pub tx: &'a [TxInfo],
    /// Transaction state after the last statement.
    pub end: &'a TxInfo,
    /// Table locks each statement takes.
    pub locks: &'a [Vec<HeldLock>],
    pub source: &'a crate::source::text::SourceText,
    pub tx_mode: crate::source::layout::TxMode,
    /// Why the part runs as `tx_mode` says (the part's own reason, else the unit's).
    pub tx_reason: &'a str,
    /// `lock-timeout-on-role = true`: the migration role has a lock_timeout.
    pub lock_timeout_on_role: bool,
    /// `statement-timeout-on-role = true`: the migration role has a statement_timeout.
    pub statement_timeout_on_role: bool,
}

/// Statement-level facts for rules about the source itself.
pub struct StmtCtx<'a> {
    pub statement: &'a Statement,
    pub source: &'a crate::source::text::SourceText,
}

pub trait Rule: Sync {
    /// The rule's document (`include_str!` of `rules/MC0NN-<name>.md`).
    fn doc(&self) -> &'static str;
    fn doc_path(&self) -> &'static str;
    fn check_op(&self, _op: &Op, _ctx: &OpCtx<'_>, _out: &mut Vec<Violation>) {}
    fn check_statement(&self, _ctx: &StmtCtx<'_>, _out: &mut Vec<Violation>) {}
    fn check_unit(&self, _ctx: &UnitCtx<'_>, _out: &mut Vec<Violation>) {}
    fn check_part(&self, _ctx: &PartCtx<'_>, _out: &mut Vec<Violation>) {}
    /// Whether the rule also checks the statements of a function or procedure body (they run
    /// when it is called): rules about what a statement itself does (locks, rewrites, scans,
    /// statements PostgreSQL refuses there), not about the migration around it (timeouts,
    /// backfills, breaking the running application during a deploy).
    fn in_function_bodies(&self) -> bool {
        false
    }
}

/// Every rule, in id order.
static REGISTRY: &[&dyn Rule] = &[
    &unparsed_statement::UnparsedStatement,
    &unreadable_file::UnreadableFile,
    &unterminated_token::UnterminatedToken,
    &layout_ambiguous::LayoutAmbiguous,
    &unused_signoff::UnusedSignoff,
    &suppression_rules::InvalidSuppression,
    &suppression_rules::UnusedSuppression,
    &invalid_migration_marker::InvalidMigrationMarker,
    &add_column_default_rewrite::AddColumnDefaultRewrite,
    &add_column_volatile_default::AddColumnVolatileDefault,
    &add_column_not_null_no_default::AddColumnNotNullNoDefault,
    &set_not_null_scan::SetNotNullScan,
    &create_index_non_concurrently::CreateIndexNonConcurrently,
    &missing_down_migration::MissingDownMigration,
    &empty_down_migration::EmptyDownMigration,
    &down_does_not_revert::DownDoesNotRevert,
    &concurrently_in_transaction::ConcurrentlyInTransaction,
    &enum_value_in_transaction::EnumValueInTransaction,
    &lock_held_across_statements::LockHeldAcrossStatements,
    &transaction_nesting::TransactionNesting,
    &lock_outside_transaction::LockOutsideTransaction,
    &alter_column_type_rewrite::AlterColumnTypeRewrite,
    &add_constraint_without_not_valid::AddConstraintWithoutNotValid,
    &validate_in_same_transaction::ValidateInSameTransaction,
    &add_unique_constraint_building_index::AddUniqueConstraintBuildingIndex,
    &add_column_inline_constraint::AddColumnInlineConstraint,
    &serial_sequence_not_widened::SerialSequenceNotWidened,
    &drop_index_non_concurrently::DropIndexNonConcurrently,
    &reindex_non_concurrently::ReindexNonConcurrently,
    &detach_partition_non_concurrently::DetachPartitionNonConcurrently,
    &attach_partition_scan::AttachPartitionScan,
    &rewriting_maintenance_command::RewritingMaintenanceCommand,
    &refresh_matview_non_concurrently::RefreshMatviewNonConcurrently,
    &explicit_lock_table::ExplicitLockTable,
    &concurrent_index_pg14_corruption::ConcurrentIndexPg14Corruption,
    &rename_breaks_running_code::RenameBreaksRunningCode,
    &drop_breaks_running_code::DropBreaksRunningCode,
    &dependent_objects::DependentObjects,
    &data_change_in_migration::DataChangeInMigration,
    &disable_trigger_all::DisableTriggerAll,
    &missing_lock_timeout::MissingLockTimeout,
    &missing_statement_timeout::MissingStatementTimeout,
    &system_catalog_write::SystemCatalogWrite,
    &identifier_too_long::IdentifierTooLong,
    &foreign_key_without_index::ForeignKeyWithoutIndex,
    &type_style::PreferJsonb,
    &type_style::PreferIdentity,
    &type_style::PreferBigintPrimaryKey,
    &type_style::PreferText,
    &type_style::PreferTimestamptz,
];

/// Ids that existed once and were renamed or removed: (old id, what to use instead).
pub const RETIRED: &[(&str, &str)] = &[];

pub struct Registered {
    pub meta: RuleMeta,
    pub rule: &'static dyn Rule,
}

/// Parses a doc's front matter. Errors are programming errors caught by the conventions test.
pub fn parse_doc(doc: &'static str, doc_path: &str) -> Result<RuleMeta, String> {
    let body = doc
        .strip_prefix("```toml\n")
        .ok_or_else(|| format!("{doc_path}: must start with a ```toml front matter block"))?;
    let end = body
        .find("\n```")
        .ok_or_else(|| format!("{doc_path}: front matter block is not closed"))?;
    let fm: FrontMatter = toml::from_str(&body[..end]).map_err(|e| format!("{doc_path}: {e}"))?;
    let example_pg_version = match fm.example_pg_version {
        Some(v) => Some(
            v.parse::<PgVersion>()
                .map_err(|e| format!("{doc_path}: {e}"))?,
        ),
        None => None,
    };
    Ok(RuleMeta {
        id: Box::leak(fm.id.into_boxed_str()),
        name: Box::leak(fm.name.into_boxed_str()),
        level: fm.level,
        summary: fm.summary,
        help: fm.help,
        versions: fm.versions,
        default_off: fm.default_off,
        example_pg_version,
        examples_lintable: fm.examples_lintable,
        size_sensitive: fm.size_sensitive,
        doc,
        doc_path: doc_path.to_string(),
    })
}

/// A rule document without its front matter.
pub fn doc_body(doc: &str) -> &str {
    let rest = doc.strip_prefix("```toml\n").unwrap_or(doc);
    match rest.find("\n```\n") {
        Some(end) => rest[end + 5..].trim_start(),
        None => doc,
    }
}

/// All rules with their metadata, parsed once.
pub fn registry() -> &'static [Registered] {
    static ALL: OnceLock<Vec<Registered>> = OnceLock::new();
    ALL.get_or_init(|| {
        REGISTRY
            .iter()
            .map(|rule| Registered {
                // The docs are compiled in and checked by tests/conventions.rs.
                meta: parse_doc(rule.doc(), rule.doc_path())
                    .expect("rule docs are validated by the conventions test"),
                rule: *rule,
            })
            .collect()
    })
}

/// Finds a rule by id (`MC010`, case-insensitive) or name.
pub fn find(key: &str) -> Option<&'static RuleMeta> {
    registry()
        .iter()
        .map(|r| &r.meta)
        .find(|m| m.id.eq_ignore_ascii_case(key) || m.name == key)
}

/// The closest rule id or name, for "did you mean".
pub fn suggest(key: &str) -> Option<&'static str> {
    registry()
        .iter()
        .flat_map(|r| [r.meta.id, r.meta.name])
        .map(|c| (edit_distance(c, key), c))
        .filter(|(d, c)| *d <= 3.max(c.len() / 4))
        .min()
        .map(|(_, c)| c)
}

pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// `rules/MC010-add-column-default-rewrite.md` as seen from the repository root.
macro_rules! rule_doc {
    ($file:literal) => {
        fn doc(&self) -> &'static str {
            include_str!(concat!("../../rules/", $file))
        }
        fn doc_path(&self) -> &'static str {
            concat!("rules/", $file)
        }
    };
}
pub(crate) use rule_doc;

/// A PostgreSQL system catalog (`pg_catalog.x`, or an unqualified `pg_x` the migrations did not
/// create).
pub(crate) fn is_system_catalog(name: &ObjName, catalog: &crate::catalog::Catalog) -> bool {
    match name.schema.as_deref() {
        Some(s) => s == "pg_catalog",
        None => {
            name.name.starts_with("pg_")
                && catalog.table(name).is_none_or(|t| t.created_in.is_none())
        }
    }
}

/// The first `set_config('<setting>', value, is_local)` call in `text` (the setting's name
/// matched ignoring ASCII case, written as a literal): whether it is transaction-local, and
/// whether it sets a timeout (a value other than `'0'`, `''` or a non-literal is taken as
/// setting one).
pub(crate) fn set_config_call(text: &str, setting: &str) -> Option<(bool, bool)> {
    const FUNCTION: &[u8] = b"set_config";
    let bytes = text.as_bytes();
    memchr::memchr_iter(b'(', bytes).find_map(|p| {
        let end = p + 2 + setting.len();
        (p >= FUNCTION.len()
            && bytes[p - FUNCTION.len()..p].eq_ignore_ascii_case(FUNCTION)
            && bytes.get(p + 1) == Some(&b'\'')
            && bytes
                .get(p + 2..end)
                .is_some_and(|s| s.eq_ignore_ascii_case(setting.as_bytes()))
            && bytes.get(end) == Some(&b'\''))
        .then(|| {
            // the arguments after the name, up to the call's `)`: `, '2s', true`
            let rest = &bytes[end + 1..];
            let args = &rest[..memchr::memchr(b')', rest).unwrap_or(rest.len())];
            let mut parts = args.split(|b| *b == b',').map(<[u8]>::trim_ascii);
            let value = parts.nth(1).unwrap_or_default();
            let local = parts
                .next_back()
                .is_some_and(|a| a.eq_ignore_ascii_case(b"true"));
            let off = value == b"'0'" || value == b"''";
            (local, !off)
        })
    })
}

/// Whether a timeout setting covers each statement of a part, walked in order
/// (`Timeout::covers`): a plain `SET` (or `set_config(..., false)`) covers the rest of the
/// part; a `SET LOCAL` (or `set_config(..., true)`) only the rest of its transaction, and
/// nothing outside a transaction block (PostgreSQL ignores it there with `WARNING: SET LOCAL
/// can only be used in transaction blocks`, SQLSTATE 25P01, checked on 10-18 by the oracle
/// tests). A transaction ends at a top-level statement outside a block or in another block
/// the tool sends as one string, and after a COMMIT or ROLLBACK; the statements of a DO body
/// run in their DO's transaction (a `SET LOCAL` there lasts to its end), those of a function
/// body only when it is called (not counted). `SET ... = 0`, `DEFAULT` or `RESET` turns the
/// timeout off again (a plain one also ends a `SET LOCAL`'s value: it overrides it).
pub(crate) struct Timeout {
    setting: &'static str,
    session: bool,
    /// What a `SET LOCAL` made it for the transaction in progress (on or off).
    local: Option<bool>,
    /// The last top-level statement: in a transaction block, and its batch.
    top: (bool, Option<usize>),
    /// The transaction ends after the statement just walked (a COMMIT or ROLLBACK).
    ends: bool,
    /// The line of a `SET LOCAL` that ran outside a transaction block.
    pub ignored_at: Option<usize>,
}

impl Timeout {
    pub fn new(setting: &'static str) -> Timeout {
        Timeout {
            setting,
            session: false,
            local: None,
            top: (false, None),
            ends: false,
            ignored_at: None,
        }
    }

    fn on(&self) -> bool {
        self.local.unwrap_or(self.session)
    }

    /// Whether statement `k` runs with the timeout set (it may set it itself).
    pub fn covers(&mut self, ctx: &PartCtx<'_>, k: usize) -> bool {
        let stmt = &ctx.statements[k];
        // a function body runs when the function is called, not in the migration
        if stmt.in_function.is_some() {
            return self.on();
        }
        if !stmt.in_body {
            let tx = &ctx.tx[k];
            let top = (tx.in_block, tx.batch());
            if self.ends || !tx.in_block || top != self.top {
                self.local = None;
            }
            self.top = top;
            self.ends = stmt.ends_transaction();
        }
        // a DO (its text or its body's statements) runs in its own transaction
        let is_do = stmt.ops.iter().any(|o| matches!(o, Op::Do { .. }));
        let in_block = self.top.0 || stmt.in_body || is_do;
        let set = |local: bool, on: bool, this: &mut Timeout| {
            if !local {
                this.session = on;
                this.local = None;
            } else if in_block {
                this.local = Some(on);
            } else if on {
                this.ignored_at = Some(ctx.source.line_col(stmt.span.start).0);
            }
        };
        for op in &stmt.ops {
            // (`RESET ALL` too: back to the role's defaults)
            if let Op::Set { name, value, local } = op
                && (name.eq_ignore_ascii_case(self.setting) || name.eq_ignore_ascii_case("all"))
            {
                set(*local, !timeout_is_off(value), self);
            }
        }
        // (a function's text holds its body, which runs only when it is called; a DO's text is
        // read whole: a `PERFORM set_config(...)` there is not among its body's statements)
        let defines_function = stmt
            .ops
            .iter()
            .any(|o| matches!(o, Op::CreateFunction { .. }));
        if !defines_function
            && let Some((local, on)) = set_config_call(ctx.source.slice(stmt.span), self.setting)
        {
            set(local, on, self);
        }
        self.on()
    }

    /// A note for a finding when a `SET LOCAL` of the setting was ignored.
    pub fn ignored_note(&self) -> Option<String> {
        self.ignored_at.map(|line| {
            format!(
                "the transaction-local `{}` set on line {line} did nothing for later statements: it ran outside a transaction block (`SET LOCAL` there only draws a warning, SQLSTATE 25P01); use `SET` there",
                self.setting
            )
        })
    }
}

/// `SET x_timeout = 0` (or DEFAULT, or `RESET x_timeout`) turns a timeout off rather than
/// setting one.
pub(crate) fn timeout_is_off(value: &str) -> bool {
    let v = value.trim().trim_matches('\'').trim();
    if v.is_empty() || v.eq_ignore_ascii_case("default") {
        return true;
    }
    // zero in any unit: `0`, `'0s'`, `'0 ms'`, `0.0`
    let number = v.trim_end_matches(|c: char| c.is_ascii_alphabetic()).trim();
    number.parse::<f64>().is_ok_and(|n| n == 0.0)
}

/// Shared wording: a lock note from a measured fact row.
pub fn lock_note(row: &FactRow, table: &ObjName) -> Option<String> {
    row.lock.map(|l| l.describe_on(&table.to_string()))
}

#[cfg(test)]
mod set_config_tests {
    fn calls_set_config(text: &str, setting: &str) -> bool {
        super::set_config_call(text, setting).is_some()
    }

    #[test]
    fn set_config_calls_are_found_ignoring_ascii_case() {
        let yes = [
            "SELECT set_config('lock_timeout', '2s', false);",
            "select SET_CONFIG('Lock_Timeout', '2s', true)",
            "SELECT pg_catalog.set_config('lock_timeout','1s',false), 1",
            "(set_config('lock_timeout'",
        ];
        for t in yes {
            assert!(calls_set_config(t, "lock_timeout"), "{t}");
        }
        let no = [
            "SELECT set_config ('lock_timeout', '2s', false)",
            "SELECT set_config('lock_timeouts', '2s', false)",
            "SELECT set_config('statement_timeout', '2s', false)",
            "SELECT my_set_confi('lock_timeout')",
            "SELECT set_config(",
            "SELECT set_config('lock_timeout",
            "",
        ];
        for t in no {
            assert!(!calls_set_config(t, "lock_timeout"), "{t}");
        }
        // local: the third argument is true
        assert_eq!(
            super::set_config_call(
                "SELECT set_config('lock_timeout', '2s', TRUE)",
                "lock_timeout"
            ),
            Some((true, true))
        );
        // '0' or '' turns it off
        assert_eq!(
            super::set_config_call(
                "SELECT set_config('lock_timeout', '0', false)",
                "lock_timeout"
            ),
            Some((false, false))
        );
        assert_eq!(
            super::set_config_call(
                "SELECT set_config('lock_timeout', '2s', false)",
                "lock_timeout"
            ),
            Some((false, true))
        );
        assert_eq!(
            super::set_config_call("SELECT set_config('lock_timeout'", "lock_timeout"),
            Some((false, true))
        );
        // what the rules asked before: the lower-cased text contains the call
        for t in yes.iter().chain(&no) {
            assert_eq!(
                calls_set_config(t, "lock_timeout"),
                t.to_ascii_lowercase().contains("set_config('lock_timeout'"),
                "{t}"
            );
        }
    }
}
