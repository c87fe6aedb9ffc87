//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use migcheck::config::{self, Config};
use migcheck::engine::{self, RunResult, Settings};
use migcheck::report;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Settings from a fixture config file (or the defaults). Rule fixtures are single files; unless
/// their config says otherwise they run statement by statement (`transaction = "autocommit"`), so
/// one rule's fixture does not trip the transaction rules.
pub fn settings(cfg: Option<&Path>) -> Settings {
    let mut config = match cfg {
        Some(c) => {
            let text = std::fs::read_to_string(c).expect("fixture config is readable");
            config::parse(&text, c)
                .unwrap_or_else(|e| panic!("{}: invalid fixture config: {e:?}", c.display()))
        }
        None => Config::default(),
    };
    if config.transaction.is_none() {
        config.transaction = Some(migcheck::source::layout::TxMode::Autocommit);
    }
    // and as if the migration role had a lock_timeout, so missing-lock-timeout stays in its own fixture
    if config.lock_timeout_on_role.is_none() {
        config.lock_timeout_on_role = Some(true);
    }
    if config.statement_timeout_on_role.is_none() {
        config.statement_timeout_on_role = Some(true);
    }
    Settings::from_config(&config, None)
}

pub fn run(path: &Path, settings: &Settings) -> RunResult {
    engine::run(path, settings).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The text output users see (no colour), summary line included.
pub fn render(r: &RunResult, settings: &Settings) -> String {
    let mut out = Vec::new();
    let summary = report::summarize(
        &r.findings,
        &r.stats,
        settings.range,
        settings.version_assumed,
    );
    report::text::write(&mut out, false, &r.files, &r.findings, &summary)
        .expect("writes to memory");
    String::from_utf8(out).expect("utf-8 output")
}

/// Runs `scripts/pg.sh` (real PostgreSQL servers 10-18, cached); its stdout, trimmed.
pub fn pg_sh(args: &[&str]) -> Result<String, String> {
    let o = std::process::Command::new("bash")
        .arg(root().join("scripts/pg.sh"))
        .args(args)
        .output()
        .map_err(|e| format!("cannot run scripts/pg.sh: {e}"))?;
    if !o.status.success() {
        return Err(format!(
            "scripts/pg.sh {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&o.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&o.stdout).trim().to_string())
}

/// Starts PostgreSQL `major` with `scripts/pg.sh` in `dir` on a free loopback port; its URL.
/// The port comes from the OS (bind to port 0); another process may still take it before the
/// server binds it (CI machines run other jobs), so a start that fails for an address in use is
/// retried on a new port, up to five times.
pub fn start_pg(major: u16, dir: &Path) -> Result<String, String> {
    let mut last = String::new();
    for _ in 0..5 {
        let port = std::net::TcpListener::bind(("127.0.0.1", 0))
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free loopback port: {e}"))?
            .port();
        match pg_sh(&[
            "start",
            &major.to_string(),
            &dir.to_string_lossy(),
            &port.to_string(),
        ]) {
            Ok(url) => return Ok(url),
            Err(e) if e.contains("Address already in use") => last = e,
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

/// Stops the `scripts/pg.sh` server of a data directory and removes it when dropped (also when
/// a test panics, so that no server is left behind).
pub struct StopOnDrop(pub PathBuf);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        let _ = pg_sh(&["stop", &self.0.to_string_lossy()]);
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
