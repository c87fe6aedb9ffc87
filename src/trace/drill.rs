//! The lock drill: a second session holds `--blocker SQL` in an open transaction (say
//! `SELECT * FROM users`, as a long report query would) while the new migrations run. A third
//! session watches the migration's backend; once it queues for a lock, a fourth session runs an
//! ordinary read of the same table to show that it queues behind the migration. The blocker
//! commits after `--blocker-hold` seconds (or when the migration is over).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use postgres::Config;
use serde::Serialize;

use super::server::{chain, ident};

#[derive(Debug, Clone, Serialize)]
pub struct DrillReport {
    pub blocker: String,
    pub hold_seconds: f64,
    /// Seconds from the blocker's start until the migration was seen waiting for a lock.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queued_after: Option<f64>,
    /// The lock the migration waited for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waited_for: Option<String>,
    /// How long the migration waited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waited_seconds: Option<f64>,
    /// Seconds from the blocker's start until it committed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub released_after: Option<f64>,
    /// The ordinary query run behind the queued migration, and what happened to it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub victim: Option<Victim>,
    /// The migration's error, when it failed (`lock_timeout`: SQLSTATE 55P03).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub migration_error: Option<String>,
    /// The outcome in one sentence.
    pub outcome: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Victim {
    pub query: String,
    pub seconds: f64,
    /// pg_blocking_pids() of the query named the migration's backend.
    pub blocked_by_migration: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Default)]
struct Seen {
    queued_at: Option<Instant>,
    unqueued_at: Option<Instant>,
    waited_for: Option<(String, String)>,
    released_at: Option<Instant>,
    victim: Option<Victim>,
}

pub struct Drill {
    blocker: String,
    hold: Duration,
    started: Instant,
    done: Arc<AtomicBool>,
    handle: JoinHandle<Seen>,
}

impl Drill {
    pub fn start(
        config: &Config,
        blocker: &str,
        migration_pid: i32,
        hold: Duration,
    ) -> Result<Drill, String> {
        let connect = |name: &str| {
            let mut c = config.clone();
            c.application_name(name);
            c.connect(crate::tls::connector()?)
                .map_err(|e| format!("lock drill: cannot connect: {}", chain(&e)))
        };
        let mut b = connect("migcheck drill blocker")?;
        let mut o = connect("migcheck drill observer")?;
        let v = connect("migcheck drill victim")?;
        let b_pid: i32 = b
            .query_one("SELECT pg_backend_pid()", &[])
            .map_err(|e| chain(&e))?
            .get(0);
        b.batch_execute("BEGIN")
            .and_then(|()| b.batch_execute(blocker))
            .map_err(|e| format!("lock drill: the blocker `{blocker}` failed: {}", chain(&e)))?;
        let started = Instant::now();
        let done = Arc::new(AtomicBool::new(false));
        let stop = done.clone();
        let handle = std::thread::spawn(move || {
            let mut seen = Seen::default();
            let mut v = Some(v);
            let mut victim_handle: Option<JoinHandle<(String, f64, Option<String>)>> = None;
            let mut victim_pid: Option<i32> = None;
            let mut victim_blocked = false;
            loop {
                let finished = stop.load(Ordering::Acquire);
                if seen.released_at.is_none() && (finished || started.elapsed() >= hold) {
                    let _ = b.batch_execute("COMMIT");
                    seen.released_at = Some(Instant::now());
                }
                if let Ok(rows) = o.query(
                    "SELECT a.wait_event_type = 'Lock' AND $2 = ANY (pg_blocking_pids(a.pid)),
                            (SELECT format('%s on %s', l.mode, l.relation::regclass)
                             FROM pg_locks l WHERE l.pid = a.pid AND NOT l.granted LIMIT 1),
                            (SELECT l.relation::regclass::text
                             FROM pg_locks l WHERE l.pid = a.pid AND NOT l.granted
                               AND l.locktype = 'relation' LIMIT 1)
                     FROM pg_stat_activity a WHERE a.pid = $1",
                    &[&migration_pid, &b_pid],
                ) {
                    let waiting = rows
                        .first()
                        .is_some_and(|r| r.get::<_, Option<bool>>(0) == Some(true));
                    if waiting && seen.queued_at.is_none() {
                        seen.queued_at = Some(Instant::now());
                        let what: Option<String> = rows[0].get(1);
                        let rel: Option<String> = rows[0].get(2);
                        if let Some(rel) = rel.clone() {
                            // an ordinary read of the same table, behind the migration
                            if let Some(mut vc) = v.take() {
                                victim_pid = vc
                                    .query_one("SELECT pg_backend_pid()", &[])
                                    .ok()
                                    .map(|r| r.get(0));
                                let q = format!("SELECT 1 FROM {} LIMIT 1", quote_regclass(&rel));
                                victim_handle = Some(std::thread::spawn(move || {
                                    let _ = vc.batch_execute("SET statement_timeout = '120s'");
                                    let t = Instant::now();
                                    let r = vc.batch_execute(&q);
                                    (q, t.elapsed().as_secs_f64(), r.err().map(|e| chain(&e)))
                                }));
                            }
                        }
                        seen.waited_for = what.map(|w| (w, rel.unwrap_or_default()));
                    }
                    if !waiting && seen.queued_at.is_some() && seen.unqueued_at.is_none() {
                        seen.unqueued_at = Some(Instant::now());
                    }
                }
                if let (Some(vp), false) = (victim_pid, victim_blocked)
                    && let Ok(r) = o.query_one(
                        "SELECT $2 = ANY (pg_blocking_pids($1))",
                        &[&vp, &migration_pid],
                    )
                {
                    victim_blocked = r.get::<_, Option<bool>>(0) == Some(true);
                }
                if finished {
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            if let Some(h) = victim_handle
                && let Ok((query, seconds, error)) = h.join()
            {
                seen.victim = Some(Victim {
                    query,
                    seconds,
                    blocked_by_migration: victim_blocked,
                    error,
                });
            }
            seen
        });
        Ok(Drill {
            blocker: blocker.to_string(),
            hold,
            started,
            done,
            handle,
        })
    }

    /// Ends the drill once the migration is over; `error` is the migration's error, if any.
    pub fn finish(self, error: Option<String>) -> DrillReport {
        let end = Instant::now();
        self.done.store(true, Ordering::Release);
        let seen = self.handle.join().unwrap_or_default();
        let rel = |t: Option<Instant>| t.map(|t| t.duration_since(self.started).as_secs_f64());
        let waited = seen.queued_at.map(|q| {
            seen.unqueued_at
                .unwrap_or(end)
                .duration_since(q)
                .as_secs_f64()
        });
        let lock_timeout = error.as_deref().is_some_and(|e| e.contains("55P03"));
        // "AccessExclusiveLock on users" -> "ACCESS EXCLUSIVE on users"
        let what = seen
            .waited_for
            .as_ref()
            .map(|(w, _)| match w.split_once(" on ") {
                Some((mode, rel)) => match crate::pg::lock::LockMode::parse(mode) {
                    Some(m) => format!("{} on {rel}", m.sql_name()),
                    None => w.clone(),
                },
                None => w.clone(),
            })
            .unwrap_or_default();
        let outcome = match (waited, &error) {
            (None, None) => {
                "the migration never waited for the blocker (their locks do not conflict)"
                    .to_string()
            }
            (None, Some(e)) => format!("the migration failed without waiting for the blocker: {e}"),
            (Some(w), Some(_)) if lock_timeout => format!(
                "failed fast: the migration gave up after {w:.2} s waiting for {what} (lock_timeout), \
                 so the queue behind it cleared"
            ),
            (Some(w), Some(e)) => {
                format!("the migration waited {w:.2} s for {what}, then failed: {e}")
            }
            (Some(w), None) => {
                let behind = match &seen.victim {
                    Some(v) if v.blocked_by_migration => format!(
                        "; an ordinary read of the table queued behind it for {:.2} s",
                        v.seconds
                    ),
                    _ => String::new(),
                };
                format!(
                    "queued: the migration waited {w:.2} s for {what} until the blocker committed{behind} \
                     (set lock_timeout so that it fails fast and retries instead)"
                )
            }
        };
        DrillReport {
            blocker: self.blocker,
            hold_seconds: self.hold.as_secs_f64(),
            queued_after: rel(seen.queued_at),
            waited_for: (!what.is_empty()).then(|| what.clone()),
            waited_seconds: waited,
            released_after: rel(seen.released_at),
            victim: seen.victim,
            migration_error: error,
            outcome,
        }
    }
}

/// `regclass` text output is already quoted where needed (`public."Users"` or `users`).
fn quote_regclass(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '"')
    {
        s.to_string()
    } else {
        ident(s)
    }
}
