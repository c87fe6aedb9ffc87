//! `migcheck`: parse arguments, run, map the outcome to an exit code. The only place that
//! prints fatal errors.
//! Exit codes: 0 nothing at danger/error level, 1 such findings, 2 the run could not be done.

use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, termcolor::Buffer};

use migcheck::cli::{
    CheckArgs, Cli, ColorChoice, Command, DiscoverArgs, Format, ReportArgs, ReportFormat,
    RulesArgs, RunArgs, SignoffCommand, TraceArgs, TraceFormat,
};
use migcheck::config::{self, Config, ConfigError};
use migcheck::engine::{self, RunResult, Settings};
use migcheck::pg::{PgRange, PgVersion};
use migcheck::report;
use migcheck::rules;
use migcheck::signoff::{self as ledger, Entry, Ledger};
use migcheck::source::layout::Layout;

// The pipeline allocates many small strings (tokens, names); mimalloc is much faster at that than
// glibc's allocator (measured: see the README's performance section).
#[cfg(not(feature = "sysalloc"))]
#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

/// mimalloc as Rust's allocator. Nearly every Rust allocation asks for an alignment every
/// mimalloc block has anyway (at most 8): those take mimalloc's plain entry points. The
/// `mimalloc` crate sends all through the aligned ones, whose fast path covers only small
/// sizes: this is 2.8 % fewer instructions over the corpora.
#[cfg(not(feature = "sysalloc"))]
struct MiMalloc;

/// The alignment of every block mimalloc hands out, whatever its size: a pointer's size (its
/// size classes are whole words; 16 is guaranteed only for some sizes, 24-byte blocks are
/// 8-aligned).
#[cfg(not(feature = "sysalloc"))]
const MI_ALIGN: usize = std::mem::size_of::<usize>();

#[cfg(not(feature = "sysalloc"))]
fn plain(layout: std::alloc::Layout) -> bool {
    layout.align() <= MI_ALIGN
}

// SAFETY: every pointer handed out comes from mimalloc with at least the layout's size and
// alignment (`plain` layouts: every mimalloc block is `MI_ALIGN`-aligned; others through the
// aligned entry points), and is given back to mimalloc's `mi_free`/`mi_realloc*`, which take
// any block of theirs.
#[cfg(not(feature = "sysalloc"))]
unsafe impl std::alloc::GlobalAlloc for MiMalloc {
    #[inline]
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        use libmimalloc_sys::{mi_malloc, mi_malloc_aligned};
        // SAFETY: plain C allocation calls; sizes and alignments come from a valid `Layout`
        unsafe {
            if plain(layout) {
                mi_malloc(layout.size()).cast()
            } else {
                mi_malloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        use libmimalloc_sys::{mi_zalloc, mi_zalloc_aligned};
        // SAFETY: as `alloc`
        unsafe {
            if plain(layout) {
                mi_zalloc(layout.size()).cast()
            } else {
                mi_zalloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: std::alloc::Layout) {
        // SAFETY: `ptr` was allocated by this allocator (the caller's contract), so by mimalloc
        unsafe { libmimalloc_sys::mi_free(ptr.cast()) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        use libmimalloc_sys::{mi_realloc, mi_realloc_aligned};
        // SAFETY: `ptr` is mimalloc's (the caller's contract); the alignment is the block's
        unsafe {
            if plain(layout) {
                mi_realloc(ptr.cast(), new_size).cast()
            } else {
                mi_realloc_aligned(ptr.cast(), new_size, layout.align()).cast()
            }
        }
    }
}

/// Why a run could not be done.
enum Fatal {
    Message(String),
    Config(ConfigError),
}

/// Sets mimalloc's purge delay (milliseconds; -1: never purge).
#[cfg(not(feature = "sysalloc"))]
fn set_purge_delay(ms: std::ffi::c_long) {
    /// `mi_option_purge_delay` in mimalloc's `mi_option_t` (libmimalloc-sys names no constant
    /// for it).
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: sets one of mimalloc's option values (an aligned word, read as one by the
    // threads deciding a purge); no pointers are passed.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, ms) };
}

fn main() -> ExitCode {
    // mimalloc asks for transparent huge pages: the kernel then zeroes 2 MB for each region
    // first touched, which cost a tenth of a run over real migration folders and a third of
    // its RSS (measured: README, performance section). Small pages suit this workload.
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE only sets a flag of this process; no pointers are passed.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
    // mimalloc returns freed memory to the system once its purge delay has passed (`madvise`;
    // a second by default), and memory used again after that is faulted in again. Over real
    // migration folders never purging took 2.5-5 % less CPU time than a 10 ms delay (the
    // `madvise` calls and page faults; 41 -> 47 MB RSS); but a large tree frees and allocates
    // all along, and its peak RSS grows without purging (100k files: 224 MB with a 10 ms
    // delay, 254-264 MB without; with mimalloc's second it moved between 226 and 257 MB). So:
    // no purging until the run has discovered `LARGE_RUN_FILES` files, then a 10 ms delay.
    // MIMALLOC_PURGE_DELAY still decides when set.
    #[cfg(not(feature = "sysalloc"))]
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        set_purge_delay(-1);
        engine::on_large_run(|| set_purge_delay(10));
    }
    let cli = Cli::parse();
    let color = match cli.color {
        ColorChoice::Always => "always",
        ColorChoice::Never => "never",
        ColorChoice::Auto => "auto",
    };
    let stdout_color = report::text::use_color(color, std::io::stdout().is_terminal());
    let stderr_color = report::text::use_color(color, std::io::stderr().is_terminal());
    let mut out = Vec::new();
    // `check` streams to stdout (its JSON on a large tree is hundreds of megabytes)
    let mut stream = QuietStdout::default();
    let result = match &cli.command {
        Command::Check(args) => check(args, stdout_color, &mut stream),
        Command::Rules(args) => list_rules(args, &mut out).map(|()| 0),
        Command::Explain { rule } => explain(rule, &mut out).map(|()| 0),
        Command::Parse { file } => parse_file(file, &mut out).map(|()| 0),
        Command::Discover(args) => discover(args, &mut out).map(|()| 0),
        Command::Report(args) => review(args, &mut out),
        Command::Trace(args) => trace(args, &mut out),
        Command::Stats {
            database_url,
            output,
        } => db_stats(database_url, output.as_ref(), &mut out).map(|()| 0),
        Command::Signoff(cmd) => signoff(cmd, &mut out),
        Command::Init { force } => init(*force, &mut out).map(|()| 0),
    };
    // a closed pipe (`migcheck ... | head`) ends quietly
    let write_ok = stream.finish() && std::io::stdout().lock().write_all(&out).is_ok();
    match result {
        Ok(code) => {
            if !write_ok {
                return ExitCode::SUCCESS;
            }
            ExitCode::from(code)
        }
        Err(fatal) => {
            print_fatal(&fatal, stderr_color);
            ExitCode::from(2)
        }
    }
}

fn print_fatal(fatal: &Fatal, color: bool) {
    let mut err = std::io::stderr().lock();
    match fatal {
        Fatal::Message(m) => {
            let _ = writeln!(err, "error: {m}");
        }
        Fatal::Config(e) => {
            let file = SimpleFile::new(e.path.display().to_string(), e.source_text.clone());
            let cfg = term::Config::default();
            for p in &e.problems {
                let mut d =
                    Diagnostic::error().with_message(format!("invalid config: {}", p.message));
                if e.source_text.is_empty() {
                    d = d.with_notes(vec![format!("in: {}", e.path.display())]);
                } else {
                    d = d.with_labels(vec![
                        Label::primary((), p.span.start..p.span.end).with_message(&p.label),
                    ]);
                }
                let mut buf = if color {
                    Buffer::ansi()
                } else {
                    Buffer::no_color()
                };
                if term::emit(&mut buf, &cfg, &file, &d).is_ok() {
                    let _ = err.write_all(buf.as_slice());
                }
            }
            let _ = writeln!(
                err,
                "error: {} has {} problem(s); nothing was checked",
                e.path.display(),
                e.problems.len()
            );
        }
    }
}

fn load_config(config: Option<&PathBuf>, no_config: bool, start: &Path) -> Result<Config, Fatal> {
    if no_config {
        return Ok(Config::default());
    }
    let path = match config {
        Some(p) => {
            if !p.is_file() {
                return Err(Fatal::Message(format!(
                    "config file `{}` does not exist",
                    p.display()
                )));
            }
            Some(p.clone())
        }
        None => config::discover(start),
    };
    match path {
        Some(p) => config::load(&p).map_err(Fatal::Config),
        None => Ok(Config::default()),
    }
}

/// The paths to lint, each with its config: the arguments, or `paths` from the config found
/// from the working directory.
fn targets(
    paths: &[PathBuf],
    config: Option<&PathBuf>,
    no_config: bool,
) -> Result<Vec<(PathBuf, Config)>, Fatal> {
    let mut targets = Vec::new();
    if paths.is_empty() {
        let cwd = std::env::current_dir()
            .map_err(|e| Fatal::Message(format!("cannot read the current directory: {e}")))?;
        let cfg = load_config(config, no_config, &cwd)?;
        if cfg.paths.is_empty() {
            return Err(Fatal::Message(
                "no paths given and no `paths` in a migcheck.toml; run `migcheck check <DIR>`"
                    .to_string(),
            ));
        }
        for p in cfg.paths.clone() {
            targets.push((p, cfg.clone()));
        }
    } else {
        for p in paths {
            if !p.exists() {
                return Err(Fatal::Message(format!(
                    "`{}`: no such file or directory",
                    p.display()
                )));
            }
            targets.push((p.clone(), load_config(config, no_config, p)?));
        }
    }
    Ok(targets)
}

fn layout_flag(flag: &Option<String>) -> Result<Option<Layout>, Fatal> {
    match flag {
        None => Ok(None),
        Some(s) => Layout::parse(s).map(Some).ok_or_else(|| {
            let all: Vec<&str> = Layout::ALL.iter().map(|l| l.name()).collect();
            Fatal::Message(format!(
                "--layout: unknown tool `{s}` (expected one of {})",
                all.join(", ")
            ))
        }),
    }
}

/// Files added or changed since `rev` (committed, staged, unstaged or untracked), canonical.
fn changed_since(rev: &str) -> Result<HashSet<PathBuf>, Fatal> {
    let git = |args: &[&str]| -> Result<String, Fatal> {
        let o = std::process::Command::new("git")
            .args(args)
            .output()
            .map_err(|e| Fatal::Message(format!("--changed-since needs git: {e}")))?;
        if !o.status.success() {
            return Err(Fatal::Message(format!(
                "--changed-since {rev}: git {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&o.stderr).trim()
            )));
        }
        Ok(String::from_utf8_lossy(&o.stdout).into_owned())
    };
    let top = PathBuf::from(git(&["rev-parse", "--show-toplevel"])?.trim());
    let mut out = HashSet::new();
    let listed = git(&["diff", "--name-only", rev, "--"])?
        + &git(&["ls-files", "--others", "--exclude-standard", "--full-name"])?;
    for line in listed.lines().filter(|l| !l.is_empty()) {
        let p = top.join(line);
        out.insert(std::fs::canonicalize(&p).unwrap_or(p));
    }
    Ok(out)
}

fn discover(args: &DiscoverArgs, out: &mut Vec<u8>) -> Result<(), Fatal> {
    let forced = layout_flag(&args.layout)?;
    let mut all = Vec::new();
    for (path, cfg) in targets(&args.paths, args.config.as_ref(), args.no_config)? {
        let settings = Settings::from_config(&cfg, None);
        let disc = migcheck::source::discover::discover(
            &path,
            &settings.exclude,
            forced.or(settings.layout),
            &settings.layout_config,
        )
        .map_err(Fatal::Message)?;
        all.push((path, disc));
    }
    match args.format {
        Format::Json => {
            let v: Vec<serde_json::Value> = all
                .iter()
                .map(|(p, d)| report::discover::json(p, d))
                .collect();
            let v = if v.len() == 1 {
                v.into_iter().next().unwrap_or_default()
            } else {
                serde_json::Value::Array(v)
            };
            serde_json::to_writer_pretty(&mut *out, &v)
                .map_err(|e| Fatal::Message(e.to_string()))?;
            out.push(b'\n');
        }
        Format::Text => {
            for (p, d) in &all {
                out.extend_from_slice(report::discover::text(p, d).as_bytes());
            }
        }
    }
    Ok(())
}

/// `--pg-version`, parsed.
fn version_flag(flag: Option<&String>) -> Result<Option<PgRange>, Fatal> {
    flag.map(|v| {
        v.parse::<PgRange>()
            .map_err(|e| Fatal::Message(format!("--pg-version: {e}")))
    })
    .transpose()
}

/// Runs the engine over every target of `args`; returns the merged result and its summary.
fn run_all(args: &RunArgs, collect_report: bool) -> Result<(RunResult, report::Summary), Fatal> {
    run_all_with(args, collect_report, None, true)
}

/// `run_all`, with the migration session's time zone known to be UTC or not (`trace` knows the
/// scratch server's).
fn run_all_with(
    args: &RunArgs,
    collect_report: bool,
    session_utc: Option<bool>,
    keep_sources: bool,
) -> Result<(RunResult, report::Summary), Fatal> {
    let version_flag = version_flag(args.pg_version.as_ref())?;
    let forced = layout_flag(&args.layout)?;
    let only = match &args.changed_since {
        Some(rev) => Some(changed_since(rev)?),
        None => None,
    };
    let stats = match &args.stats {
        Some(p) => Some(std::sync::Arc::new(
            migcheck::stats::TableStats::load(p)
                .map_err(|e| Fatal::Message(format!("--stats: {e}")))?,
        )),
        None => None,
    };
    let targets = targets(&args.paths, args.config.as_ref(), args.no_config)?;
    let mut version = None;
    let mut assumed = false;
    let mut runs = Vec::with_capacity(targets.len());
    for (path, cfg) in &targets {
        let mut settings = Settings::from_config(cfg, version_flag);
        if forced.is_some() {
            settings.layout = forced;
        }
        settings.only_files = only.clone();
        settings.stats = stats.clone();
        settings.collect_report = collect_report;
        settings.keep_sources = keep_sources;
        if let Some(utc) = session_utc {
            settings.session_utc = utc;
        }
        version = Some(version.unwrap_or(settings.range));
        assumed |= settings.version_assumed;
        runs.push((path, settings));
    }
    // the paths are independent projects (each replays its own schema): linted side by side,
    // merged in the order given
    let results = run_side_by_side(&runs);
    let mut all = RunResult::default();
    if results.len() > 1 {
        // reserved whole: growing by doubling touches twice the fresh memory (a page fault
        // per 4 KiB)
        let total =
            |len: fn(&RunResult) -> usize| -> usize { results.iter().flatten().map(len).sum() };
        all.findings.reserve_exact(total(|r| r.findings.len()));
        all.files.reserve_exact(total(|r| r.files.len()));
        all.units.reserve_exact(total(|r| r.units.len()));
    }
    for r in results {
        let mut r = r.map_err(Fatal::Message)?;
        let offset = all.files.len();
        for f in &mut r.findings {
            f.file_index = f.file_index.saturating_add(engine::u32_of(offset));
        }
        // one path: its vectors become the run's (moved, not copied)
        append(&mut all.files, r.files);
        append(&mut all.findings, r.findings);
        append(&mut all.units, r.units);
        all.stats.add(r.stats);
    }
    let version = version.unwrap_or_else(|| PgRange::single(PgVersion::default_target()));
    let summary = report::summarize(&all.findings, &all.stats, version, assumed);
    Ok((all, summary))
}

/// `engine::run` on each (path, settings), as many at a time as there are cores; results in the
/// order of `runs`. A worker discovers and reads the next directory while any is left (its
/// size is known once it is read), then replays the largest directory read (one directory's
/// replay is sequential: started last, a large one would finish alone); it waits only when
/// every directory left is still being read. (Reading all before replaying any left a core
/// idle while the last directory was read.)
/// While other directories are left for the other workers, a worker reads and replays on its
/// own thread alone: the parallelism is between directories. Parsing each directory on all
/// cores instead (rayon) made the workers wait on each other's batches: over the corpora the
/// run took 108 ms instead of 85. What no other worker can share — the last directory left,
/// a directory alone — gets every core.
/// Plain threads, not rayon's: a run's replaying thread waits for the pool's threads to parse
/// (`ordered::in_order`), and rayon workers blocked that way would leave none to parse.
fn run_side_by_side(runs: &[(&PathBuf, Settings)]) -> Vec<Result<RunResult, String>> {
    use std::sync::{Condvar, Mutex};
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(runs.len());
    // one core and a one-thread pool: every directory in turn on the pool's thread, where the
    // engine's parallel iterators run anyway (memory one thread allocates and another frees
    // is reused late: 2.5 % more page faults over the corpora)
    if workers == 1 && rayon::current_num_threads() == 1 {
        return rayon::scope(|_| {
            runs.iter()
                .map(|(path, settings)| engine::run(path, settings))
                .collect()
        });
    }
    if runs.len() == 1 {
        return runs
            .iter()
            .map(|(path, settings)| engine::run(path, settings))
            .collect();
    }
    /// Directories read and waiting to be replayed (index, weight, prepared run), how many
    /// are being read, and the next one to read (an index of `runs`).
    struct Queue {
        ready: Vec<(usize, usize, engine::Prepared)>,
        reading: usize,
        next: usize,
    }
    let queue = Mutex::new(Queue {
        ready: Vec::new(),
        reading: 0,
        next: 0,
    });
    let changed = Condvar::new();
    let results: Vec<Mutex<Option<Result<RunResult, String>>>> =
        runs.iter().map(|_| Mutex::new(None)).collect();
    let put = |i: usize, r: Result<RunResult, String>| {
        if let Some(Ok(mut slot)) = results.get(i).map(|s| s.lock()) {
            *slot = Some(r);
        }
    };
    // each worker's own one-thread pool (see above), built when first needed
    let own_pools: Vec<std::sync::OnceLock<Option<rayon::ThreadPool>>> =
        (0..workers).map(|_| std::sync::OnceLock::new()).collect();
    let worker_ids = std::sync::atomic::AtomicUsize::new(0);
    // one worker's loop; returns when nothing is left (or a lock was poisoned by a panic,
    // which leaves its run without a result)
    let work = || {
        let me = worker_ids.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // `Some(pool)`: run on this worker's thread alone (`shared`: others have work left)
        let own = |shared: bool| -> Option<&rayon::ThreadPool> {
            if !shared {
                return None;
            }
            own_pools
                .get(me)?
                .get_or_init(|| rayon::ThreadPoolBuilder::new().num_threads(1).build().ok())
                .as_ref()
        };
        loop {
            let claimed = {
                let Ok(mut q) = queue.lock() else { return };
                let i = q.next;
                (i < runs.len()).then(|| {
                    q.next += 1;
                    q.reading += 1;
                    // work left for the other workers: this one keeps to its own thread
                    (i, q.next < runs.len() || !q.ready.is_empty())
                })
            };
            if let Some((i, shared)) = claimed {
                let (path, settings) = &runs[i];
                let started = on(own(shared), || engine::start(path, settings));
                let Ok(mut q) = queue.lock() else { return };
                q.reading -= 1;
                match started {
                    Ok(p) => q.ready.push((i, p.weight(), p)),
                    Err(e) => put(i, Err(e)),
                }
                changed.notify_all();
                continue;
            }
            let job = {
                let Ok(mut q) = queue.lock() else { return };
                loop {
                    let largest = (0..q.ready.len()).max_by_key(|&k| q.ready[k].1);
                    if let Some(k) = largest {
                        let (i, _, prepared) = q.ready.swap_remove(k);
                        // others are still reading, or have a directory left to replay
                        let shared = q.reading > 0 || !q.ready.is_empty();
                        break Some((i, prepared, shared));
                    }
                    if q.reading == 0 {
                        break None;
                    }
                    q = match changed.wait(q) {
                        Ok(q) => q,
                        Err(_) => return,
                    };
                }
            };
            let Some((i, prepared, shared)) = job else {
                return;
            };
            put(i, on(own(shared), || engine::finish(prepared, &runs[i].1)));
        }
    };
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(work);
        }
    });
    results
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .ok()
                .flatten()
                .unwrap_or_else(|| Err("a run stopped without a result".to_string()))
        })
        .collect()
}

/// `job` in `pool` (its parallel iterators on that pool's threads), or as is.
fn on<R: Send>(pool: Option<&rayon::ThreadPool>, job: impl FnOnce() -> R + Send) -> R {
    match pool {
        Some(p) => p.install(job),
        None => job(),
    }
}

fn append<T>(all: &mut Vec<T>, mut more: Vec<T>) {
    if all.capacity() == 0 {
        *all = more;
    } else {
        all.append(&mut more);
    }
}

fn review(args: &ReportArgs, out: &mut Vec<u8>) -> Result<u8, Fatal> {
    let (all, summary) = run_all(&args.run, true)?;
    let text = match args.format {
        ReportFormat::Markdown => report::review::markdown(&all, &summary),
        ReportFormat::Html => report::review::html(&all, &summary),
    };
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| Fatal::Message(format!("cannot write `{}`: {e}", path.display())))?,
        None => out.extend_from_slice(text.as_bytes()),
    }
    // the report is for reading; `check` is the gate
    Ok(0)
}

/// `migcheck trace`: the scratch server first, then the migrations with the predictions made
/// for that server's major.
fn trace(args: &TraceArgs, out: &mut Vec<u8>) -> Result<u8, Fatal> {
    use migcheck::trace::{self, pgbin, server};
    let mut log = |m: &str| eprintln!("migcheck trace: {m}");
    // read the migrations before fetching anything: a bad path or config stops here
    let (_, summary) = run_all(&args.run, true)?;
    if !(args.blocker_hold.is_finite() && args.blocker_hold >= 0.0) {
        return Err(Fatal::Message(
            "--blocker-hold: expected a number of seconds".into(),
        ));
    }
    let configured: PgRange = summary
        .pg_version
        .parse()
        .unwrap_or_else(|_| PgRange::single(PgVersion::default_target()));
    let mut notes = Vec::new();
    let target = if let Some(url) = &args.database_url {
        server::on_database(url).map_err(Fatal::Message)?
    } else {
        let bindir = match &args.postgres_bin {
            Some(dir) => dir.clone(),
            None => {
                let major = args.postgres.unwrap_or(configured.from.major);
                if configured.from != configured.to && args.postgres.is_none() {
                    notes.push(format!(
                        "the target is a range ({configured}); traced on its first major, {major} (choose with --postgres)"
                    ));
                }
                pgbin::ensure(major, &mut log).map_err(Fatal::Message)?
            }
        };
        let zone = targets(
            &args.run.paths,
            args.run.config.as_ref(),
            args.run.no_config,
        )?
        .first()
        .and_then(|(_, cfg)| cfg.session_timezone.clone())
        .unwrap_or_else(|| "UTC".to_string());
        server::temporary_cluster(&bindir, &zone, &mut log).map_err(Fatal::Message)?
    };
    // predictions for the server's major (keeping a configured minor of the same major)
    let mut run = args.run.clone();
    if configured.from.major != target.major || configured.from != configured.to {
        run.pg_version = Some(target.major.to_string());
    }
    let utc = matches!(
        target.timezone.to_ascii_uppercase().as_str(),
        "UTC" | "ETC/UTC" | "GMT" | "ETC/GMT" | "UCT" | "ZULU"
    );
    notes.push(format!(
        "the migration session's TimeZone is {} (timestamp <-> timestamptz changes rewrite unless it is UTC; `session-timezone` in migcheck.toml sets the scratch server's)",
        target.timezone
    ));
    let (all, summary) = run_all_with(&run, true, Some(utc), true)?;
    // SAFETY: geteuid has no preconditions.
    if args.database_url.is_none() && unsafe { libc::geteuid() } == 0 {
        notes.push(format!(
            "running as root: the scratch server ran as the unprivileged user `{}`",
            std::env::var("MIGCHECK_PG_USER").unwrap_or_else(|_| "nobody".into())
        ));
    }
    if args.database_url.is_none() {
        notes.push(
            "the scratch server runs with fsync off: durations are lower bounds of what a production disk takes"
                .into(),
        );
    }
    if args.rows.is_none() && args.run.stats.is_none() {
        notes.push(
            "tables are empty: the durations are those of empty tables (fill them with --rows N or --stats FILE)"
                .into(),
        );
    }
    let opts = trace::Options {
        rows: args.rows,
        stats: match &args.run.stats {
            Some(p) => Some(std::sync::Arc::new(
                migcheck::stats::TableStats::load(p)
                    .map_err(|e| Fatal::Message(format!("--stats: {e}")))?,
            )),
            None => None,
        },
        since: args.since.clone(),
        reverse: !args.no_reverse,
        blocker: args.blocker.clone(),
        blocker_hold: std::time::Duration::from_secs_f64(args.blocker_hold),
    };
    let report = trace::trace(
        &all.units,
        &target,
        &opts,
        summary.pg_version.clone(),
        notes,
        &mut log,
    )
    .map_err(Fatal::Message)?;
    drop(target);
    let text = match args.format {
        TraceFormat::Text => trace::render::text(&report),
        TraceFormat::Markdown => trace::render::markdown(&report),
        TraceFormat::Json => trace::render::json(&report),
    };
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| Fatal::Message(format!("cannot write `{}`: {e}", path.display())))?,
        None => out.extend_from_slice(text.as_bytes()),
    }
    let s = &report.summary;
    Ok(u8::from(
        s.failed > 0 || s.mismatches > 0 || s.not_reversible > 0,
    ))
}

fn db_stats(url: &str, output: Option<&PathBuf>, out: &mut Vec<u8>) -> Result<(), Fatal> {
    let c = migcheck::stats_db::collect(url).map_err(Fatal::Message)?;
    let mut text =
        serde_json::to_string_pretty(&c.json).map_err(|e| Fatal::Message(e.to_string()))?;
    text.push('\n');
    match output {
        Some(p) => std::fs::write(p, text)
            .map_err(|e| Fatal::Message(format!("cannot write `{}`: {e}", p.display())))?,
        None => out.extend_from_slice(text.as_bytes()),
    }
    let n = c.json["tables"].as_object().map_or(0, serde_json::Map::len);
    eprintln!("{n} table(s) with a known size");
    if !c.unknown.is_empty() {
        eprintln!(
            "warning: {} table(s) left out: PostgreSQL does not know their row count yet (never vacuumed or analyzed; run ANALYZE): {}",
            c.unknown.len(),
            c.unknown.join(", ")
        );
    }
    Ok(())
}

/// Buffered stdout that stops writing, without an error, once the reader has gone
/// (`migcheck check ... | head`).
#[derive(Default)]
struct QuietStdout {
    buf: Vec<u8>,
    closed: bool,
}

impl QuietStdout {
    const FLUSH_AT: usize = 1 << 16;

    fn flush_buf(&mut self) {
        if !self.closed && !self.buf.is_empty() {
            self.closed = std::io::stdout().lock().write_all(&self.buf).is_err();
        }
        self.buf.clear();
    }

    /// Writes what is left; `false` when stdout was closed.
    fn finish(&mut self) -> bool {
        self.flush_buf();
        !self.closed && std::io::stdout().lock().flush().is_ok()
    }
}

impl Write for QuietStdout {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.closed {
            return Ok(data.len());
        }
        if self.buf.len() + data.len() < Self::FLUSH_AT {
            self.buf.extend_from_slice(data);
            return Ok(data.len());
        }
        // a large piece (a chunk of rendered findings) goes out as is, not copied first
        self.flush_buf();
        if !self.closed {
            self.closed = std::io::stdout().lock().write_all(data).is_err();
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn check(args: &CheckArgs, color: bool, out: &mut dyn Write) -> Result<u8, Fatal> {
    let outputs = output_formats(&args.format)?;
    // only the text format quotes the files (snippets)
    let quotes = outputs.iter().any(|(kind, _)| kind == "text");
    let (all, summary) = run_all_with(&args.run, false, None, quotes)?;
    for (kind, file) in &outputs {
        let mut buf = Vec::new();
        let w: &mut dyn Write = if file.is_some() { &mut buf } else { &mut *out };
        let io = match kind.as_str() {
            "text" => report::text::write(
                w,
                color && file.is_none(),
                &all.files,
                &all.findings,
                &summary,
            ),
            "json" => report::json::write(w, &all.findings, &summary),
            "concise" => report::formats::concise(w, &all.findings, &summary),
            "json-lines" => report::json::write_lines(w, &all.findings),
            "sarif" => report::formats::sarif(w, &all.findings),
            "github" => report::formats::github(w, &all.findings, &summary),
            "gitlab" => report::formats::gitlab(w, &all.findings),
            _ => report::formats::junit(w, &all.findings, &summary),
        };
        io.map_err(|e| Fatal::Message(format!("cannot write {kind} output: {e}")))?;
        if let Some(path) = file {
            std::fs::write(path, &buf)
                .map_err(|e| Fatal::Message(format!("cannot write `{}`: {e}", path.display())))?;
        }
    }
    // the process ends now: freeing every finding and file one by one would only delay it
    std::mem::forget(all);
    Ok(u8::try_from(summary.exit_code).unwrap_or(1))
}

/// Runs the checks (without applying the ledger) over `paths`; returns the findings, the
/// ledger path and the approvers from the (first) config.
fn findings_for(
    paths: &[PathBuf],
    version: Option<&String>,
) -> Result<(Vec<engine::Finding>, PathBuf, Vec<String>), Fatal> {
    let version_flag = version_flag(version)?;
    let mut all = Vec::new();
    let mut ledger_path = None;
    let mut approvers = Vec::new();
    for (path, cfg) in targets(paths, None, false)? {
        let mut settings = Settings::from_config(&cfg, version_flag);
        if ledger_path.is_none() {
            ledger_path = settings.ledger.clone();
            approvers = settings.approvers.clone();
        }
        settings.ledger = None;
        // sign-offs bind to content hashes
        settings.hashes = true;
        all.extend(
            engine::run(&path, &settings)
                .map_err(Fatal::Message)?
                .findings,
        );
    }
    Ok((
        all,
        ledger_path.unwrap_or_else(|| PathBuf::from(ledger::DEFAULT_FILE)),
        approvers,
    ))
}

fn signoff(cmd: &SignoffCommand, out: &mut Vec<u8>) -> Result<u8, Fatal> {
    match cmd {
        SignoffCommand::Add {
            path,
            rule,
            statement,
            by,
            reason,
            expires,
            pg_version,
        } => {
            let meta = rules::find(rule).ok_or_else(|| {
                Fatal::Message(format!("unknown rule `{rule}` (see `migcheck rules`)"))
            })?;
            if let Some(why) = ledger::reason_problem(reason) {
                return Err(Fatal::Message(format!("--reason: {why}")));
            }
            if by.trim().is_empty() {
                return Err(Fatal::Message("--by: say who signs off".into()));
            }
            if let Some(x) = expires
                && !ledger::valid_date(x)
            {
                return Err(Fatal::Message(format!(
                    "--expires: `{x}` is not a YYYY-MM-DD date"
                )));
            }
            // the migration's whole directory is read so the unit and its transaction are known
            // (a bare file name's parent is "", the current directory)
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from("."));
            let (findings, ledger_path, approvers) = findings_for(&[dir], pg_version.as_ref())?;
            if !approvers.is_empty() && !approvers.iter().any(|a| a == by) {
                return Err(Fatal::Message(format!(
                    "`{by}` is not in `approvers` ({})",
                    approvers.join(", ")
                )));
            }
            let shown = engine::display_path(path);
            let matching: Vec<&engine::Finding> = findings
                .iter()
                .filter(|f| {
                    *f.file == *shown
                        && f.rule() == meta.id
                        && f.level == rules::Level::Danger
                        && (statement.is_none() || f.statement_no() == *statement)
                })
                .collect();
            if matching.is_empty() {
                return Err(Fatal::Message(format!(
                    "no danger finding of {} ({}) in `{shown}` to sign off",
                    meta.id, meta.name
                )));
            }
            let mut l = Ledger::load(&ledger_path).map_err(Fatal::Message)?;
            let date = ledger::today();
            for f in &matching {
                l.entries.retain(|e| {
                    !(*e.migration == *f.migration
                        && *e.file == *f.file
                        && e.rule == f.rule()
                        && e.statement == f.statement_no())
                });
                l.entries.push(Entry {
                    migration: f.migration.to_string(),
                    file: f.file.to_string(),
                    rule: f.rule().to_string(),
                    statement: f.statement_no(),
                    approver: by.clone(),
                    reason: reason.clone(),
                    date: date.clone(),
                    expires: expires.clone(),
                    statement_sha256: f.statement_hash().map(str::to_string),
                    unit_sha256: f.unit_hash().to_string(),
                });
                out.extend_from_slice(
                    format!(
                        "signed off {} in {}{} ({})\n",
                        f.rule(),
                        f.file,
                        f.statement
                            .map(|n| format!(", statement {n}"))
                            .unwrap_or_default(),
                        f.message
                    )
                    .as_bytes(),
                );
            }
            l.save(&ledger_path).map_err(Fatal::Message)?;
            out.extend_from_slice(format!("wrote {}\n", ledger_path.display()).as_bytes());
            Ok(0)
        }
        SignoffCommand::List => {
            let (_, ledger_path, _) = findings_for(&[], None).or_else(|_| {
                Ok::<_, Fatal>((Vec::new(), PathBuf::from(ledger::DEFAULT_FILE), Vec::new()))
            })?;
            let l = Ledger::load(&ledger_path).map_err(Fatal::Message)?;
            for e in &l.entries {
                out.extend_from_slice(
                    format!(
                        "{} {}{} in {}: {} on {}{} — {}\n",
                        e.rule,
                        e.migration,
                        e.statement
                            .map(|n| format!(" statement {n}"))
                            .unwrap_or_default(),
                        e.file,
                        e.approver,
                        e.date,
                        e.expires
                            .as_ref()
                            .map(|x| format!(" (expires {x})"))
                            .unwrap_or_default(),
                        e.reason
                    )
                    .as_bytes(),
                );
            }
            out.extend_from_slice(
                format!(
                    "{} sign-off(s) in {}\n",
                    l.entries.len(),
                    ledger_path.display()
                )
                .as_bytes(),
            );
            Ok(0)
        }
        SignoffCommand::Verify { paths } | SignoffCommand::Prune { paths } => {
            let prune = matches!(cmd, SignoffCommand::Prune { .. });
            let (mut findings, ledger_path, approvers) = findings_for(paths, None)?;
            let mut l = Ledger::load(&ledger_path).map_err(Fatal::Message)?;
            let unused = l.apply(&mut findings, &approvers, &ledger::today());
            let mut bad: Vec<usize> = unused.clone();
            for f in &findings {
                if let Some(status) = &f.signoff {
                    let line = match &**status {
                        ledger::Status::Accepted { .. } => None,
                        ledger::Status::Stale { approver, date } => Some(format!(
                            "stale: {} in {} signed by {approver} on {date}, the migration changed since",
                            f.rule(),
                            f.file
                        )),
                        ledger::Status::Expired {
                            approver, expires, ..
                        } => Some(format!(
                            "expired: {} in {} signed by {approver}, expired {expires}",
                            f.rule(),
                            f.file
                        )),
                        ledger::Status::NotAllowed { approver } => Some(format!(
                            "not allowed: {} in {} signed by {approver}, not in `approvers`",
                            f.rule(),
                            f.file
                        )),
                    };
                    if let Some(line) = line {
                        out.extend_from_slice(format!("{line}\n").as_bytes());
                        if let Some(i) = l.entries.iter().position(|e| {
                            e.rule == f.rule()
                                && *e.file == *f.file
                                && *e.migration == *f.migration
                                && (e.statement.is_none() || e.statement == f.statement_no())
                        }) {
                            bad.push(i);
                        }
                    }
                }
            }
            for i in &unused {
                let e = &l.entries[*i];
                out.extend_from_slice(
                    format!(
                        "unused: {} for {} ({}) signed by {} on {}\n",
                        e.rule, e.migration, e.file, e.approver, e.date
                    )
                    .as_bytes(),
                );
            }
            if approvers.is_empty() {
                out.extend_from_slice(
                    b"note: no `approvers` configured: any named approver is accepted\n",
                );
            }
            if prune {
                bad.sort_unstable();
                bad.dedup();
                for i in bad.iter().rev() {
                    l.entries.remove(*i);
                }
                l.save(&ledger_path).map_err(Fatal::Message)?;
                out.extend_from_slice(
                    format!(
                        "removed {} entr{}; {} left in {}\n",
                        bad.len(),
                        if bad.len() == 1 { "y" } else { "ies" },
                        l.entries.len(),
                        ledger_path.display()
                    )
                    .as_bytes(),
                );
                return Ok(0);
            }
            out.extend_from_slice(
                format!(
                    "{} sign-off(s), {} need attention\n",
                    l.entries.len(),
                    bad.len()
                )
                .as_bytes(),
            );
            Ok(u8::from(!bad.is_empty()))
        }
    }
}

/// `migcheck init`: a commented starting configuration, with the layout detected here.
fn init(force: bool, out: &mut Vec<u8>) -> Result<(), Fatal> {
    let path = PathBuf::from("migcheck.toml");
    if path.exists() && !force {
        return Err(Fatal::Message(
            "migcheck.toml already exists (use --force to overwrite)".into(),
        ));
    }
    // guess the migration directory: the first common one that exists
    let dir = [
        "db/migrations",
        "migrations",
        "db/migrate",
        "prisma/migrations",
        "supabase/migrations",
        "sql",
        "src/main/resources/db/migration",
    ]
    .into_iter()
    .find(|d| Path::new(d).is_dir());
    let layout = dir.map(|d| {
        let s = Settings::from_config(&Config::default(), None);
        migcheck::source::discover::discover(Path::new(d), &s.exclude, None, &s.layout_config)
            .map(|x| x.detection.layout.name().to_string())
            .unwrap_or_default()
    });
    let text = format!(
        r#"# migcheck configuration (see the README, "Configuration"). Every key is optional.

# The PostgreSQL version production runs: a major ("16"), "14.4", or a range for a fleet ("13..17").
pg-version = "{}"

# Migration directories `migcheck check` lints when no path is given.
paths = [{}]

# The migration tool (detected: {}). Uncomment to pin it; `migcheck discover` shows the evidence.
# layout = "{}"

# Globs to leave out, relative to the migration directory.
# exclude = ["**/seeds/*.sql"]

# Report migrations without a working down-migration (where the tool has them).
require-down = true

# Set when the role running migrations already has these (ALTER ROLE ... SET ...).
# lock-timeout-on-role = true
# statement-timeout-on-role = true

# The migration session's TimeZone ("UTC" makes timestamp <-> timestamptz cheap on 12+).
# session-timezone = "UTC"

# Who may sign off dangerous findings in migcheck.signoffs.toml (empty: anyone named).
# approvers = ["dba-alice", "dba-bob"]

# Per-rule levels by id or name: "off", "info", "warning", "danger", "error".
[rules]
# prefer-timestamptz = "warning"
"#,
        migcheck::pg::version::DEFAULT_MAJOR,
        dir.map(|d| format!("\"{d}\"")).unwrap_or_default(),
        layout.clone().unwrap_or_else(|| "nothing yet".into()),
        layout.unwrap_or_else(|| "plain".into()),
    );
    std::fs::write(&path, text)
        .map_err(|e| Fatal::Message(format!("cannot write migcheck.toml: {e}")))?;
    out.extend_from_slice(b"wrote migcheck.toml\n");
    Ok(())
}

/// `--format` values: `name` (stdout) or `name=FILE`.
fn output_formats(values: &[String]) -> Result<Vec<(String, Option<PathBuf>)>, Fatal> {
    const KNOWN: [&str; 8] = [
        "text",
        "concise",
        "json",
        "json-lines",
        "sarif",
        "github",
        "gitlab",
        "junit",
    ];
    let mut out = Vec::new();
    for v in values {
        let (name, file) = match v.split_once('=') {
            Some((n, f)) if !f.is_empty() => (n, Some(PathBuf::from(f))),
            Some((n, _)) => {
                return Err(Fatal::Message(format!(
                    "--format {n}=: the file name is missing"
                )));
            }
            None => (v.as_str(), None),
        };
        if !KNOWN.contains(&name) {
            return Err(Fatal::Message(format!(
                "--format: unknown format `{name}` (expected one of {})",
                KNOWN.join(", ")
            )));
        }
        out.push((name.to_string(), file));
    }
    if out.iter().filter(|(_, f)| f.is_none()).count() > 1 {
        return Err(Fatal::Message("--format: only one format can go to standard output; write the others with FORMAT=FILE".into()));
    }
    Ok(out)
}

fn list_rules(args: &RulesArgs, out: &mut Vec<u8>) -> Result<(), Fatal> {
    match args.format {
        Format::Text => out.extend_from_slice(rules::table::text().as_bytes()),
        Format::Json => {
            let v = rules::table::json();
            serde_json::to_writer_pretty(&mut *out, &v)
                .map_err(|e| Fatal::Message(e.to_string()))?;
            out.push(b'\n');
        }
    }
    Ok(())
}

fn explain(key: &str, out: &mut Vec<u8>) -> Result<(), Fatal> {
    if let Some((old, new)) = rules::RETIRED
        .iter()
        .find(|(old, _)| old.eq_ignore_ascii_case(key))
    {
        return Err(Fatal::Message(format!("rule `{old}` was retired: {new}")));
    }
    let Some(meta) = rules::find(key) else {
        let hint = rules::suggest(key)
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        return Err(Fatal::Message(format!(
            "unknown rule `{key}`{hint} (see `migcheck rules`)"
        )));
    };
    // the doc without its front matter
    let body = rules::doc_body(meta.doc);
    out.extend_from_slice(
        format!(
            "{} ({}) — level: {}, versions: {}\n\n{}",
            meta.name, meta.id, meta.level, meta.versions, body
        )
        .as_bytes(),
    );
    Ok(())
}

fn parse_file(path: &Path, out: &mut Vec<u8>) -> Result<(), Fatal> {
    let bytes = std::fs::read(path)
        .map_err(|e| Fatal::Message(format!("cannot read `{}`: {e}", path.display())))?;
    let src = migcheck::source::text::SourceText::from_bytes(bytes).map_err(|e| {
        Fatal::Message(format!("`{}` is not UTF-8 SQL text: {e:?}", path.display()))
    })?;
    let parsed = migcheck::parse::parse_source(&src.text);
    let stmts: Vec<serde_json::Value> = parsed
        .statements
        .iter()
        .map(|s| {
            let (line, column) = src.line_col(s.span.start);
            let how = match &s.how {
                migcheck::parse::How::Sqlparser => "sqlparser".to_string(),
                migcheck::parse::How::Fallback => "fallback".to_string(),
                migcheck::parse::How::KindOnly => "kind-only".to_string(),
                migcheck::parse::How::PsqlMeta => "psql-meta".to_string(),
                migcheck::parse::How::Unparsed { message, .. } => format!("unparsed: {message}"),
            };
            serde_json::json!({ "line": line, "column": column, "how": how, "templated": s.templated, "ops": s.ops })
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &stmts).map_err(|e| Fatal::Message(e.to_string()))?;
    out.push(b'\n');
    Ok(())
}
