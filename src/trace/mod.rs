//! `migcheck trace`: apply the migrations to a scratch PostgreSQL, in order and with each unit's
//! transaction mode, and show what really happened per statement (locks per relation, rewrites,
//! scans, durations) next to what migcheck predicted; optionally with realistic row counts,
//! a proof that each down-migration reverts its up, and a lock drill against a blocking session.

pub mod drill;
pub mod fill;
pub mod observe;
pub mod pgbin;
pub mod render;
pub mod schema;
pub mod server;

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use postgres::Client;
use serde::Serialize;

use crate::engine::{StatementReport, UnitReport};
use crate::pg::lock::LockMode;
use observe::{Observed, Rels};
use server::{Target, chain};

/// What to do besides applying the migrations.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Rows for every table that exists before the first new migration.
    pub rows: Option<u64>,
    /// Rows per table from `--stats`.
    pub stats: Option<std::sync::Arc<crate::stats::TableStats>>,
    /// The first new migration (unit id or its prefix); default: the last one.
    pub since: Option<String>,
    /// Prove down-migrations (up, down, compare, up again).
    pub reverse: bool,
    /// Lock drill: this statement is held in an open transaction while the new migrations run.
    pub blocker: Option<String>,
    pub blocker_hold: Duration,
}

#[derive(Debug, Clone, Serialize)]
pub struct TraceReport {
    pub server: String,
    pub server_version: String,
    /// The PostgreSQL version the static predictions were made for.
    pub predicted_for: String,
    pub notes: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub filled: Vec<fill::Filled>,
    pub units: Vec<UnitTrace>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drill: Option<drill::DrillReport>,
    pub summary: Summary,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub migrations: usize,
    pub applied: usize,
    pub failed: usize,
    pub statements: usize,
    pub confirmed: usize,
    pub mismatches: usize,
    pub not_predicted: usize,
    /// Predicted locks of statements too fast for the sampling session.
    pub not_observed: usize,
    pub reversible: usize,
    pub not_reversible: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnitTrace {
    pub id: String,
    /// Applied before the new migrations (the schema they start from).
    pub baseline: bool,
    /// The transaction mode of the unit and how the trace ran it.
    pub transaction: String,
    /// "applied", "failed", "not applied" (an earlier migration failed).
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub seconds: f64,
    pub statements: Vec<StmtTrace>,
    /// Locks that block the application, per relation, from the statement that took them to
    /// the end of the transaction.
    pub holds: Vec<LockHold>,
    pub reversibility: Reversibility,
    /// The rollback proof left the schema in another state than up made it (the migrations
    /// after this one cannot be applied meaningfully).
    #[serde(skip)]
    pub derailed: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct StmtTrace {
    pub direction: &'static str,
    pub file: String,
    pub line: usize,
    pub sql: String,
    /// "ok", "error", "skipped"
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub seconds: f64,
    /// "in transaction" (pg_locks of the migration's backend after the statement) or
    /// "sampled" (it cannot run in a transaction block: pg_locks read from a second session
    /// while it ran).
    pub observed: &'static str,
    pub locks: Vec<LockSeen>,
    pub rewritten: Vec<String>,
    pub scanned: Vec<String>,
    pub created: Vec<String>,
    pub dropped: Vec<String>,
    pub checks: Vec<Check>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LockSeen {
    pub relation: String,
    pub kind: &'static str,
    pub mode: &'static str,
    /// The relation existed before this migration (its lock can block the application).
    pub existed: bool,
}

/// A static prediction against the observation.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub table: String,
    /// "lock" or "rewrite"
    pub what: &'static str,
    pub predicted: String,
    pub observed: String,
    /// "confirmed", "mismatch", "not predicted", "already held", "not observed"
    pub verdict: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct LockHold {
    pub relation: String,
    pub mode: &'static str,
    pub blocks: String,
    pub seconds: f64,
    /// 1-based statement that took it.
    pub from_statement: usize,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Reversibility {
    /// up, down, then the schema equals the one before up; up applies again.
    Reversible {
        down_seconds: f64,
    },
    /// The schema after down differs from the one before up (and up may not apply again).
    Differences {
        differences: Vec<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        up_again_error: Option<String>,
    },
    DownFailed {
        error: String,
    },
    UpAgainFailed {
        error: String,
    },
    NoDown {
        why: String,
    },
    NotChecked {
        why: String,
    },
}

impl Reversibility {
    pub fn is_reversible(&self) -> Option<bool> {
        match self {
            Reversibility::Reversible { .. } => Some(true),
            Reversibility::NotChecked { .. } => None,
            _ => Some(false),
        }
    }
}

/// Who owns the transaction a part runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    Own,
    Inside,
}

/// How a part's statements are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// BEGIN before the first statement, COMMIT after the last.
    Wrapped,
    /// Each statement on its own (observed in its own transaction where it can run in one).
    Autocommit,
    /// The script's BEGIN/COMMIT decide.
    Script,
}

/// The statement's first `n` words, upper-cased, after its leading comments.
fn leading_words(sql: &str, n: usize) -> Vec<String> {
    strip_comments(sql)
        .split(|c: char| c.is_whitespace() || c == ';')
        .filter(|w| !w.is_empty())
        .take(n)
        .map(|w| w.to_ascii_uppercase())
        .collect()
}

/// BEGIN / START TRANSACTION open, COMMIT / END / ROLLBACK / ABORT close a transaction.
fn tx_control(sql: &str) -> Option<bool> {
    let words = leading_words(sql, 2);
    let first = words.first()?.as_str();
    let second = words.get(1).map(String::as_str);
    match first {
        "BEGIN" if second != Some("ATOMIC") => Some(true),
        "START" if second == Some("TRANSACTION") => Some(true),
        "COMMIT" | "END" | "ABORT" if second != Some("PREPARED") => Some(false),
        "ROLLBACK" if second != Some("TO") && second != Some("PREPARED") => Some(false),
        "PREPARE" if second == Some("TRANSACTION") => Some(false),
        _ => None,
    }
}

/// A statement PostgreSQL refuses outside a transaction block (`LOCK TABLE`: SQLSTATE 25P01),
/// which the trace must not wrap in one of its own when the migration runs it alone.
fn needs_block(sql: &str) -> bool {
    leading_words(sql, 1).first().is_some_and(|w| w == "LOCK")
}

/// The statement without its leading whitespace and comments (`--` lines and `/* */` blocks,
/// any number, nested blocks too).
fn strip_comments(sql: &str) -> String {
    let mut t = sql;
    loop {
        t = t.trim_start();
        if let Some(rest) = t.strip_prefix("--") {
            t = rest.split_once('\n').map_or("", |x| x.1);
        } else if t.starts_with("/*") {
            // nested block comments, as PostgreSQL reads them
            let b = t.as_bytes();
            let (mut depth, mut i) = (0usize, 0usize);
            while i + 1 < b.len() {
                match (b[i], b[i + 1]) {
                    (b'/', b'*') => {
                        depth += 1;
                        i += 2;
                    }
                    (b'*', b'/') => {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => i += 1,
                }
            }
            t = if depth == 0 { &t[i..] } else { "" };
        } else {
            return t.to_string();
        }
    }
}

fn mode_of(transaction: &str, stmts: &[&StatementReport]) -> Mode {
    let scripted = stmts.iter().any(|s| tx_control(&s.exec).is_some());
    match transaction {
        "transaction" if !scripted => Mode::Wrapped,
        // (before one Sync, pgJDBC, is one transaction too; `run_part` runs its first
        // statement and its LOCKs as the server treats them there)
        "implicit" | "pipeline" if !scripted && stmts.len() > 1 => Mode::Wrapped,
        "implicit" | "pipeline" | "autocommit" if !scripted => Mode::Autocommit,
        _ => Mode::Script,
    }
}

fn db_error(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(d) => format!("{} (SQLSTATE {})", d.message(), d.code().code()),
        None => chain(e),
    }
}

/// One statement's raw outcome.
struct Ran {
    seconds: f64,
    started: Instant,
    error: Option<String>,
    sampled: bool,
    before: Rels,
    after: Rels,
    observed: Observed,
}

/// The part of a unit as run: statement outcomes and when its transaction ended.
struct PartRun {
    stmts: Vec<(usize, Ran)>,
    error: Option<String>,
    /// Per statement index: when the transaction holding its locks ended.
    ends: BTreeMap<usize, Instant>,
    skipped: Vec<(usize, String)>,
}

pub struct Tracer<'a> {
    m: Client,
    observer: Client,
    pid: i32,
    /// The server's major version.
    major: u16,
    log: &'a mut dyn FnMut(&str),
}

impl<'a> Tracer<'a> {
    pub fn connect(target: &Target, log: &'a mut dyn FnMut(&str)) -> Result<Tracer<'a>, String> {
        let mut config = target.config.clone();
        config.application_name("migcheck trace");
        let mut m = config
            .connect(crate::tls::connector()?)
            .map_err(|e| format!("cannot connect to the scratch database: {}", chain(&e)))?;
        config.application_name("migcheck trace observer");
        let observer = config
            .connect(crate::tls::connector()?)
            .map_err(|e| format!("cannot connect to the scratch database: {}", chain(&e)))?;
        let pid: i32 = m
            .query_one("SELECT pg_backend_pid()", &[])
            .map_err(|e| chain(&e))?
            .get(0);
        Ok(Tracer {
            m,
            observer,
            pid,
            major: target.major,
            log,
        })
    }

    /// Runs a part as its transaction mode says (`Open::Own`), or inside the caller's open
    /// transaction (`Inside`: no BEGIN, no COMMIT, no ROLLBACK on error).
    fn run_part(&mut self, stmts: &[&StatementReport], transaction: &str, how: Open) -> PartRun {
        let mode = mode_of(transaction, stmts);
        let mut run = PartRun {
            stmts: Vec::new(),
            error: None,
            ends: BTreeMap::new(),
            skipped: Vec::new(),
        };
        let mut in_txn = how == Open::Inside;
        let mut open: Vec<usize> = Vec::new();
        if mode == Mode::Wrapped && how != Open::Inside {
            if let Err(e) = self.m.batch_execute("BEGIN") {
                run.error = Some(db_error(&e));
                return run;
            }
            in_txn = true;
        }
        // the block sent as one query string being run (`StatementReport::batch`): the
        // server runs it as one implicit transaction, emulated with BEGIN and COMMIT
        let mut batch: Option<usize> = None;
        // a string's (or a pipeline's) implicit transaction started again after its COMMIT:
        // the statement starting it is a pipeline's first again (oracle `pipeline_facts`)
        let mut restarted = false;
        for (i, s) in stmts.iter().enumerate() {
            if batch.is_some() && s.batch != batch {
                batch = None;
                in_txn = false;
                let end = Instant::now();
                for j in open.drain(..) {
                    run.ends.insert(j, end);
                }
                if let Err(e) = self.m.batch_execute("COMMIT") {
                    run.error = Some(format!("COMMIT failed: {}", db_error(&e)));
                    return run;
                }
            }
            if !in_txn && s.batch.is_some() && tx_control(&s.exec).is_none() {
                if let Err(e) = self.m.batch_execute("BEGIN") {
                    run.error = Some(db_error(&e));
                    return run;
                }
                in_txn = true;
                batch = s.batch;
                restarted = true;
            }
            if s.templated {
                run.skipped.push((
                    i,
                    "template syntax or an unterminated quote: cannot run as written".into(),
                ));
                continue;
            }
            if is_copy_from_stdin(&s.exec) {
                run.skipped
                    .push((i, "COPY ... FROM stdin: the data is not replayed".into()));
                continue;
            }
            let control = tx_control(&s.exec);
            // before one Sync (pgJDBC, `pipeline`): a LOCK is refused as the first statement
            // and, before 18, later too; a statement refused in a transaction block runs as
            // the first (oracle `pipeline_facts`): run those as the server treats them
            // (not inside a caller's transaction, which must not be ended here)
            let first = run.stmts.is_empty() || std::mem::take(&mut restarted);
            let pipelined =
                transaction == "pipeline" && how == Open::Own && in_txn && control.is_none();
            let version = crate::pg::PgVersion {
                major: self.major,
                minor: None,
            };
            if pipelined
                && needs_block(&s.exec)
                && crate::pg::txn::lock_refused(true, Some(first), version)
            {
                let _ = self.m.batch_execute("ROLLBACK");
                in_txn = false;
                open.clear();
            }
            // run on its own (its end is its own, not the transaction's)
            let mut alone = false;
            let ran = if control.is_some() || in_txn {
                let ran = self.observed_in_txn(&s.exec, in_txn);
                let refused = ran
                    .error
                    .as_deref()
                    .is_some_and(|e| e.ends_with("(SQLSTATE 25001)"));
                if pipelined && first && refused {
                    // the first statement before the Sync runs outside a block
                    let _ = self.m.batch_execute("ROLLBACK");
                    alone = true;
                    let ran = self.single(&s.exec);
                    if ran.error.is_none()
                        && let Err(e) = self.m.batch_execute("BEGIN")
                    {
                        run.error = Some(db_error(&e));
                        return run;
                    }
                    ran
                } else {
                    ran
                }
            } else {
                self.single(&s.exec)
            };
            let failed = ran.error.is_some();
            let end = Instant::now();
            if (!in_txn || alone) && control.is_none() {
                run.ends.insert(i, end);
            } else {
                open.push(i);
            }
            run.stmts.push((i, ran));
            match control {
                Some(true) if !failed => {
                    in_txn = true;
                    // a BEGIN in a string turns its implicit transaction into a block that
                    // outlives the string (it no longer ends with it)
                    batch = None;
                }
                Some(false) if !failed => {
                    in_txn = false;
                    for j in open.drain(..) {
                        run.ends.insert(j, end);
                    }
                }
                _ => {}
            }
            if failed {
                run.error = run.stmts.last().and_then(|(_, r)| r.error.clone());
                if in_txn && how != Open::Inside {
                    let _ = self.m.batch_execute("ROLLBACK");
                }
                return run;
            }
        }
        if in_txn {
            // where the part's own COMMIT would be
            let end = Instant::now();
            for j in open.drain(..) {
                run.ends.insert(j, end);
            }
            if how == Open::Own {
                if let Err(e) = self.m.batch_execute("COMMIT") {
                    run.error = Some(format!("COMMIT failed: {}", db_error(&e)));
                } else if mode == Mode::Script && batch.is_none() && transaction != "transaction" {
                    // (an implicit transaction of a string ends with the string; a tool that
                    // wraps the part commits whatever is open)
                    run.error = Some("the script leaves a transaction open (no COMMIT)".into());
                }
            }
        }
        run
    }

    /// A statement inside the open transaction: pg_locks of our backend before and after.
    fn observed_in_txn(&mut self, sql: &str, in_txn: bool) -> Ran {
        let before = observe::before(&mut self.m, self.pid, in_txn);
        let started = Instant::now();
        let r = self.m.batch_execute(sql);
        let seconds = started.elapsed().as_secs_f64();
        let error = r.err().map(|e| db_error(&e));
        let before = before.unwrap_or(observe::Before {
            rels: Rels::new(),
            locks: Default::default(),
            scans: Default::default(),
        });
        let (after, observed) = if error.is_none() && in_txn {
            let after = observe::rels(&mut self.m).unwrap_or_default();
            let locks = observe::locks_of(&mut self.m, self.pid).unwrap_or_default();
            let scans = observe::scans(&mut self.m).unwrap_or_default();
            let o = observe::diff(&before, &after, &locks, &scans);
            (after, o)
        } else {
            let after = if error.is_none() {
                observe::rels(&mut self.m).unwrap_or_default()
            } else {
                before.rels.clone()
            };
            (after, Observed::default())
        };
        Ran {
            seconds,
            started,
            error,
            sampled: false,
            before: before.rels,
            after,
            observed,
        }
    }

    /// A statement on its own: in a transaction of its own when it can run in one (the
    /// locks are read before COMMIT); otherwise run as is while a second session samples
    /// pg_locks.
    fn single(&mut self, sql: &str) -> Ran {
        // (a LOCK needs a transaction block: run alone it fails, as in the migration)
        if !needs_block(sql) && self.m.batch_execute("BEGIN").is_ok() {
            let mut ran = self.observed_in_txn(sql, true);
            match &ran.error {
                None => {
                    ran.error = self
                        .m
                        .batch_execute("COMMIT")
                        .err()
                        .map(|e| format!("COMMIT failed: {}", db_error(&e)));
                    return ran;
                }
                Some(e) => {
                    let _ = self.m.batch_execute("ROLLBACK");
                    if !e.ends_with("(SQLSTATE 25001)") {
                        return ran;
                    }
                }
            }
        }
        // cannot run inside a transaction block: sample from the observer session
        let before = observe::rels(&mut self.m).unwrap_or_default();
        let stop = AtomicBool::new(false);
        let ready = AtomicBool::new(false);
        let pid = self.pid;
        let observer = &mut self.observer;
        let m = &mut self.m;
        let (r, seconds, started, locks) = std::thread::scope(|sc| {
            let h = sc.spawn(|| observe::sample_locks(observer, pid, &stop, &ready));
            while !ready.load(std::sync::atomic::Ordering::Acquire) && !h.is_finished() {
                std::thread::sleep(Duration::from_micros(200));
            }
            let started = Instant::now();
            let r = m.batch_execute(sql);
            let seconds = started.elapsed().as_secs_f64();
            stop.store(true, std::sync::atomic::Ordering::Release);
            let locks = h.join().unwrap_or_default();
            (r, seconds, started, locks)
        });
        let after = observe::rels(&mut self.m).unwrap_or_default();
        let b = observe::Before {
            rels: before,
            locks: Default::default(),
            scans: Default::default(),
        };
        let observed = observe::diff(&b, &after, &locks, &Default::default());
        Ran {
            seconds,
            started,
            error: r.err().map(|e| db_error(&e)),
            sampled: true,
            before: b.rels,
            after,
            observed,
        }
    }
}

fn is_copy_from_stdin(sql: &str) -> bool {
    let u = strip_comments(sql).to_ascii_uppercase();
    u.starts_with("COPY") && u.contains("FROM STDIN")
}

/// Runs the whole trace.
pub fn trace(
    units: &[UnitReport],
    target: &Target,
    opts: &Options,
    predicted_for: String,
    mut notes: Vec<String>,
    log: &mut dyn FnMut(&str),
) -> Result<TraceReport, String> {
    let first_new = match &opts.since {
        Some(id) => units
            .iter()
            .position(|u| u.id == *id)
            .or_else(|| units.iter().position(|u| u.id.starts_with(id.as_str())))
            .ok_or_else(|| format!("--since {id}: no migration has this id"))?,
        None => units.len().saturating_sub(1),
    };
    if first_new > 0 {
        notes.push(format!(
            "{} earlier migration(s) applied first as the baseline; the new one(s) start at {}{}",
            first_new,
            units.get(first_new).map(|u| u.id.as_str()).unwrap_or("-"),
            if opts.since.is_none() {
                " (the last one; choose with --since ID)"
            } else {
                ""
            }
        ));
    }
    let mut tracer = Tracer::connect(target, log)?;
    let mut out = TraceReport {
        server: target.description.clone(),
        server_version: target.server_version.clone(),
        predicted_for,
        notes,
        filled: Vec::new(),
        units: Vec::new(),
        drill: None,
        summary: Summary::default(),
    };
    // the runner's own bookkeeping table, which some migrations refer to
    if units.iter().any(|u| u.layout == "diesel") {
        tracer
            .m
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (\
                 version varchar(50) PRIMARY KEY NOT NULL, \
                 run_on timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP)",
            )
            .map_err(|e| format!("cannot create diesel's bookkeeping table: {}", db_error(&e)))?;
        out.notes.push(
            "diesel's bookkeeping table __diesel_schema_migrations was created first, as diesel does"
                .into(),
        );
    }
    let mut stopped: Option<String> = None;
    let mut drill_handle: Option<drill::Drill> = None;
    for (ui, unit) in units.iter().enumerate() {
        if ui == first_new {
            if opts.rows.is_some() || opts.stats.is_some() {
                let rows = opts.rows;
                let stats = opts.stats.clone();
                let rows_for = move |schema: &str, name: &str| -> Option<u64> {
                    rows.or_else(|| {
                        stats.as_ref().and_then(|s| {
                            s.get(&crate::ir::ObjName {
                                schema: Some(schema.to_string()),
                                name: name.to_string(),
                            })
                            .map(|t| t.rows)
                        })
                    })
                };
                if stopped.is_none() {
                    out.filled = fill::fill(&mut tracer.m, &rows_for, tracer.log)?;
                }
            }
            if let Some(sql) = &opts.blocker
                && stopped.is_none()
            {
                drill_handle = Some(drill::Drill::start(
                    &target.config,
                    sql,
                    tracer.pid,
                    opts.blocker_hold,
                )?);
            }
        }
        let baseline = ui < first_new;
        if let Some(why) = &stopped {
            out.units.push(UnitTrace {
                id: unit.id.clone(),
                baseline,
                transaction: unit.transaction.clone(),
                status: "not applied".into(),
                error: Some(why.clone()),
                seconds: 0.0,
                statements: Vec::new(),
                holds: Vec::new(),
                reversibility: Reversibility::NotChecked {
                    why: "not applied".into(),
                },
                derailed: false,
            });
            continue;
        }
        (tracer.log)(&format!("applying {}", unit.id));
        let ut = trace_unit(&mut tracer, unit, baseline, opts.reverse);
        if ut.status != "applied" {
            stopped = Some(format!("{} failed before it", unit.id));
        } else if ut.derailed {
            stopped = Some(format!(
                "{} could not be applied again after its down-migration",
                unit.id
            ));
        }
        out.units.push(ut);
    }
    if let Some(d) = drill_handle {
        let error = out.units[first_new.min(out.units.len())..]
            .iter()
            .find_map(|u| u.error.clone().filter(|_| u.status == "failed"));
        out.drill = Some(d.finish(error));
    }
    let s = &mut out.summary;
    s.migrations = out.units.len();
    for u in &out.units {
        match u.status.as_str() {
            "applied" => s.applied += 1,
            "failed" => s.failed += 1,
            _ => {}
        }
        s.statements += u.statements.iter().filter(|x| x.direction == "up").count();
        for st in &u.statements {
            for c in &st.checks {
                match c.verdict {
                    "confirmed" | "already held" => s.confirmed += 1,
                    "mismatch" => s.mismatches += 1,
                    "not predicted" => s.not_predicted += 1,
                    "not observed" => s.not_observed += 1,
                    _ => {}
                }
            }
        }
        match u.reversibility.is_reversible() {
            Some(true) => s.reversible += 1,
            Some(false) => s.not_reversible += 1,
            None => {}
        }
    }
    Ok(out)
}

/// How the tool sends a part (its statements know; an empty part: the unit's mode).
fn part_tx<'a>(stmts: &[&StatementReport], unit: &'a UnitReport) -> &'a str {
    stmts
        .first()
        .map_or(unit.transaction.as_str(), |s| s.part_tx)
}

fn trace_unit(t: &mut Tracer, unit: &UnitReport, baseline: bool, reverse: bool) -> UnitTrace {
    let up: Vec<&StatementReport> = unit
        .statements
        .iter()
        .filter(|s| s.direction == "up")
        .collect();
    let down: Vec<&StatementReport> = unit
        .statements
        .iter()
        .filter(|s| s.direction == "down")
        .collect();
    let has_down = unit.down.starts_with("present");
    // each part as the tool sends it (a dbmate up may say transaction:false, its down not)
    let up_tx = part_tx(&up, unit);
    let down_tx = part_tx(&down, unit);
    let snap_before = if reverse && has_down {
        schema::take(&mut t.m).ok()
    } else {
        None
    };
    // a unit whose up and down run in transactions is proven in one more transaction, rolled
    // back: a down that does not revert cannot derail the migrations after it
    // (a pipeline's first statement may run outside any transaction: not in one rolled back)
    let rolled_back = snap_before.is_some()
        && mode_of(up_tx, &up) == Mode::Wrapped
        && mode_of(down_tx, &down) == Mode::Wrapped
        && up_tx != "pipeline"
        && down_tx != "pipeline";
    let started = Instant::now();
    let run = t.run_part(&up, up_tx, Open::Own);
    let seconds = started.elapsed().as_secs_f64();
    let mut statements: Vec<StmtTrace> = Vec::new();
    let mut holds: Vec<LockHold> = Vec::new();
    // relations that existed before the unit
    let unit_before: Option<Rels> = run.stmts.first().map(|(_, r)| r.before.clone());
    for (i, s) in up.iter().enumerate() {
        if let Some((_, why)) = run.skipped.iter().find(|(j, _)| *j == i) {
            statements.push(skipped(s, why));
            continue;
        }
        let Some((_, ran)) = run.stmts.iter().find(|(j, _)| *j == i) else {
            continue;
        };
        let st = describe(s, ran, unit_before.as_ref());
        if let Some(end) = run.ends.get(&i) {
            for l in &st.locks {
                let Some(mode) = LockMode::parse(l.mode) else {
                    continue;
                };
                if !l.existed
                    || !mode.blocks_writes()
                    || !matches!(l.kind, "table" | "partitioned table" | "materialized view")
                {
                    continue;
                }
                if holds
                    .iter()
                    .any(|h| h.relation == l.relation && LockMode::parse(h.mode) >= Some(mode))
                {
                    continue;
                }
                holds.retain(|h| h.relation != l.relation);
                holds.push(LockHold {
                    relation: l.relation.clone(),
                    mode: mode.sql_name(),
                    blocks: mode.blocks().join(", "),
                    seconds: end.duration_since(ran.started).as_secs_f64(),
                    from_statement: i + 1,
                });
            }
        }
        statements.push(st);
    }
    let error = run.error.clone();
    let reversibility = if run.error.is_some() {
        Reversibility::NotChecked {
            why: "the up part failed".into(),
        }
    } else if !has_down {
        Reversibility::NoDown {
            why: unit.down.clone(),
        }
    } else if !reverse {
        Reversibility::NotChecked {
            why: "--no-reverse".into(),
        }
    } else if rolled_back {
        prove(t, unit, (&up, &down), snap_before, &mut statements, true)
    } else {
        prove(t, unit, (&up, &down), snap_before, &mut statements, false)
    };
    let status = if error.is_some() { "failed" } else { "applied" };
    let derailed = !rolled_back
        && matches!(
            reversibility,
            Reversibility::UpAgainFailed { .. }
                | Reversibility::Differences {
                    up_again_error: Some(_),
                    ..
                }
        );
    UnitTrace {
        id: unit.id.clone(),
        baseline,
        transaction: up_tx.to_string(),
        status: status.into(),
        error,
        seconds,
        statements,
        holds,
        reversibility,
        derailed,
    }
}

/// up has run: run down, compare the schema with the one before up, run up again. With
/// `rolled_back` all of it runs in one transaction that is rolled back (the schema stays as up
/// made it, whatever the down does); otherwise on the migration line itself, where a down that
/// fails half-way or does not revert leaves the schema changed.
fn prove(
    t: &mut Tracer,
    unit: &UnitReport,
    (up, down): (&[&StatementReport], &[&StatementReport]),
    before: Option<schema::Snapshot>,
    statements: &mut Vec<StmtTrace>,
    rolled_back: bool,
) -> Reversibility {
    let Some(before) = before else {
        return Reversibility::NotChecked {
            why: "could not read the schema before the up part".into(),
        };
    };
    let how = if rolled_back { Open::Inside } else { Open::Own };
    let after_up = if rolled_back {
        if let Err(e) = t.m.batch_execute("BEGIN") {
            return Reversibility::NotChecked {
                why: format!("BEGIN failed: {}", db_error(&e)),
            };
        }
        None
    } else {
        schema::take(&mut t.m).ok()
    };
    let end = |t: &mut Tracer| {
        if rolled_back {
            let _ = t.m.batch_execute("ROLLBACK");
        }
    };
    let started = Instant::now();
    let run = t.run_part(down, part_tx(down, unit), how);
    let down_seconds = started.elapsed().as_secs_f64();
    push_down_statements(down, &run, statements);
    if let Some(error) = run.error {
        end(t);
        // a down that failed in a transaction left the schema as up made it
        if rolled_back || (after_up.is_some() && schema::take(&mut t.m).ok() == after_up) {
            return Reversibility::DownFailed { error };
        }
        return Reversibility::UpAgainFailed {
            error: format!("the down part failed ({error}) and left the schema half-changed"),
        };
    }
    let after_down = match schema::take(&mut t.m) {
        Ok(s) => s,
        Err(e) => {
            end(t);
            return Reversibility::NotChecked {
                why: format!("could not read the schema after down: {}", db_error(&e)),
            };
        }
    };
    let diffs = schema::differences(&before, &after_down);
    let again = t.run_part(up, part_tx(up, unit), how);
    end(t);
    match (diffs.is_empty(), again.error) {
        (true, None) => Reversibility::Reversible { down_seconds },
        (true, Some(error)) => Reversibility::UpAgainFailed { error },
        (false, up_again_error) => Reversibility::Differences {
            differences: diffs,
            up_again_error,
        },
    }
}

fn push_down_statements(down: &[&StatementReport], run: &PartRun, statements: &mut Vec<StmtTrace>) {
    for (i, s) in down.iter().enumerate() {
        if let Some((_, why)) = run.skipped.iter().find(|(j, _)| *j == i) {
            statements.push(skipped(s, why));
        } else if let Some((_, ran)) = run.stmts.iter().find(|(j, _)| *j == i) {
            statements.push(describe(s, ran, None));
        }
    }
}

fn skipped(s: &StatementReport, why: &str) -> StmtTrace {
    StmtTrace {
        direction: s.direction,
        file: s.file.clone(),
        line: s.line,
        sql: s.sql.clone(),
        status: "skipped",
        error: Some(why.to_string()),
        seconds: 0.0,
        observed: "",
        locks: Vec::new(),
        rewritten: Vec::new(),
        scanned: Vec::new(),
        created: Vec::new(),
        dropped: Vec::new(),
        checks: Vec::new(),
    }
}

/// Whether a predicted table name (`users`, `public.users`) names the relation.
fn names(pred: &str, rel: &observe::Rel) -> bool {
    match crate::ir::unquote_qualified(pred).as_slice() {
        [schema, name] => *schema == rel.schema && *name == rel.name,
        [name] => *name == rel.name,
        _ => false,
    }
}

/// The statement's observations in words, checked against the prediction.
fn describe(s: &StatementReport, ran: &Ran, unit_before: Option<&Rels>) -> StmtTrace {
    let head = strip_comments(&s.exec).to_ascii_uppercase();
    // TRUNCATE gives the table new, empty storage: a new filenode, but no rows are rewritten
    let truncate = head.starts_with("TRUNCATE");
    let truncated;
    let o = if truncate {
        truncated = Observed {
            rewritten: Vec::new(),
            ..ran.observed.clone()
        };
        &truncated
    } else {
        &ran.observed
    };
    // `DROP ... IF EXISTS` of something absent does nothing, and locks nothing
    let if_exists = head.contains(" IF EXISTS ");
    let rel = |oid: &u32| ran.after.get(oid).or_else(|| ran.before.get(oid));
    let existed =
        |oid: &u32| unit_before.is_none_or(|b| b.contains_key(oid)) && ran.before.contains_key(oid);
    let mut locks = Vec::new();
    for (oid, modes) in &o.locks {
        let Some(r) = rel(oid) else { continue };
        let Some(mode) = modes.iter().max() else {
            continue;
        };
        // a sample may or may not catch the statement's locks on what it creates
        if ran.sampled && !ran.before.contains_key(oid) {
            continue;
        }
        locks.push(LockSeen {
            relation: r.qualified(),
            kind: r.kind_name(),
            mode: mode.sql_name(),
            existed: existed(oid),
        });
    }
    locks.sort_by(|a, b| {
        (b.kind == "table", b.existed, &a.relation).cmp(&(
            a.kind == "table",
            a.existed,
            &b.relation,
        ))
    });
    let name_of = |oids: &[u32]| -> Vec<String> {
        oids.iter()
            .filter_map(&rel)
            .map(|r| format!("{} ({})", r.qualified(), r.kind_name()))
            .collect()
    };
    let mut checks = Vec::new();
    if ran.error.is_none() {
        let mut covered: Vec<u32> = Vec::new();
        // one prediction per table: the strongest lock and any rewrite of the statement's ops
        // on it (`ADD COLUMN a ..., ADD COLUMN b ...` is one lock and one rewrite)
        let mut predicted: Vec<(&str, Option<LockMode>, bool)> = Vec::new();
        for e in &s.effects {
            let lock = e.lock.as_deref().and_then(LockMode::parse);
            match predicted.iter_mut().find(|p| p.0 == e.table) {
                Some(p) => {
                    p.1 = p.1.max(lock);
                    p.2 |= e.rewrites;
                }
                None => predicted.push((e.table.as_str(), lock, e.rewrites)),
            }
        }
        for (table, lock, rewrites) in predicted {
            let oids: Vec<u32> = ran
                .before
                .iter()
                .chain(ran.after.iter())
                .filter(|(_, r)| r.is_table() && names(table, r))
                .map(|(o, _)| *o)
                .collect();
            // a temporary table, or one the statement's search_path hides: nothing to compare
            if oids.is_empty() {
                continue;
            }
            covered.extend(&oids);
            if let Some(pred) = lock {
                let seen = oids
                    .iter()
                    .filter_map(|oid| o.locks.get(oid))
                    .filter_map(|m| m.iter().max().copied())
                    .max();
                let held = oids.iter().any(|oid| {
                    o.held_before
                        .get(oid)
                        .is_some_and(|h| h.iter().any(|m| *m >= pred))
                });
                let (observed, verdict) = match seen {
                    Some(m) if m == pred => (m.sql_name().to_string(), "confirmed"),
                    // the statement's own request is invisible when the transaction already
                    // held the mode (it may still take weaker ones, e.g. on an index)
                    _ if held => ("held from an earlier statement".to_string(), "already held"),
                    Some(m) => (m.sql_name().to_string(), "mismatch"),
                    None if ran.sampled => (
                        "none seen (sampled; the statement was faster than a sample)".to_string(),
                        "not observed",
                    ),
                    None if if_exists => (
                        "none (IF EXISTS: nothing to act on)".to_string(),
                        "not observed",
                    ),
                    None => ("none".to_string(), "mismatch"),
                };
                checks.push(Check {
                    table: table.to_string(),
                    what: "lock",
                    predicted: pred.sql_name().to_string(),
                    observed,
                    verdict,
                });
            }
            // a partitioned parent has no storage of its own: its partitions are rewritten
            let existing: Vec<&u32> = oids
                .iter()
                .filter(|o| ran.before.get(o).is_some_and(|r| r.kind != 'p'))
                .collect();
            if !existing.is_empty()
                && (rewrites || existing.iter().any(|x| o.rewritten.contains(x)))
            {
                let seen = existing.iter().any(|x| o.rewritten.contains(x));
                checks.push(Check {
                    table: table.to_string(),
                    what: "rewrite",
                    predicted: if rewrites { "rewrite" } else { "no rewrite" }.into(),
                    observed: if seen { "rewrite" } else { "no rewrite" }.into(),
                    verdict: if seen == rewrites {
                        "confirmed"
                    } else {
                        "mismatch"
                    },
                });
            }
        }
        for (oid, modes) in &o.locks {
            let Some(r) = ran.before.get(oid) else {
                continue;
            };
            let Some(m) = modes.iter().max() else {
                continue;
            };
            if !r.is_table() || covered.contains(oid) || *m == LockMode::AccessShare {
                continue;
            }
            checks.push(Check {
                table: r.qualified(),
                what: "lock",
                predicted: "—".into(),
                observed: m.sql_name().to_string(),
                verdict: "not predicted",
            });
        }
    }
    StmtTrace {
        direction: s.direction,
        file: s.file.clone(),
        line: s.line,
        sql: s.sql.clone(),
        status: if ran.error.is_some() { "error" } else { "ok" },
        error: ran.error.clone(),
        seconds: ran.seconds,
        observed: if ran.sampled {
            "sampled"
        } else {
            "in transaction"
        },
        locks,
        rewritten: name_of(&o.rewritten),
        scanned: name_of(&o.scanned),
        created: name_of(&o.created),
        dropped: name_of(&o.dropped),
        checks,
    }
}

#[cfg(test)]
mod tests {
    use super::{needs_block, strip_comments, tx_control};

    #[test]
    fn leading_comments_are_skipped() {
        assert_eq!(
            strip_comments("/* a /* nested */ */ -- b\n  LOCK t"),
            "LOCK t"
        );
        assert_eq!(strip_comments("-- only a comment"), "");
        assert_eq!(strip_comments("/* never closed"), "");
        assert!(needs_block("/* a */ /* b */\n-- c\nlock table t"));
        assert!(!needs_block("SELECT 'LOCK'"));
        assert!(!needs_block("LOCKED_t"));
        assert_eq!(tx_control("-- x\nBEGIN;"), Some(true));
        assert_eq!(tx_control("/* x */ COMMIT"), Some(false));
        assert_eq!(tx_control("BEGIN ATOMIC"), None);
    }
}
