//! What one statement did on the server: the relation locks its backend took (`pg_locks`),
//! the relations it rewrote (`pg_relation_filenode` changed), created or dropped, and the
//! sequential scans it ran (`pg_stat_xact_user_tables`, the current transaction's counters).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use postgres::Client;

use crate::pg::lock::LockMode;

/// A user relation as `pg_class` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rel {
    pub schema: String,
    pub name: String,
    /// `pg_class.relkind`: r table, p partitioned table, i/I index, S sequence, v view,
    /// m materialized view, f foreign table, c composite type.
    pub kind: char,
    pub filenode: Option<i64>,
}

impl Rel {
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    pub fn kind_name(&self) -> &'static str {
        kind_name(self.kind)
    }

    /// A table-like relation whose lock can block the application.
    pub fn is_table(&self) -> bool {
        matches!(self.kind, 'r' | 'p' | 'm' | 'f')
    }
}

pub fn kind_name(kind: char) -> &'static str {
    match kind {
        'r' => "table",
        'p' => "partitioned table",
        'i' | 'I' => "index",
        'S' => "sequence",
        'v' => "view",
        'm' => "materialized view",
        'f' => "foreign table",
        'c' => "type",
        't' => "TOAST table",
        _ => "relation",
    }
}

/// The user relations by oid.
pub type Rels = BTreeMap<u32, Rel>;

/// Lock modes held per relation oid.
pub type Locks = BTreeMap<u32, BTreeSet<LockMode>>;

const RELS: &str = "
SELECT c.oid, n.nspname::text, c.relname::text, c.relkind::text, pg_relation_filenode(c.oid)::int8
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'";

pub fn rels(c: &mut Client) -> Result<Rels, postgres::Error> {
    let mut out = Rels::new();
    for r in c.query(RELS, &[])? {
        let kind: String = r.get(3);
        out.insert(
            r.get::<_, u32>(0),
            Rel {
                schema: r.get(1),
                name: r.get(2),
                kind: kind.chars().next().unwrap_or('?'),
                filenode: r.get(4),
            },
        );
    }
    Ok(out)
}

/// Relation locks held by the backend `pid` (granted), on user objects (oid >= 16384).
pub fn locks_of(c: &mut Client, pid: i32) -> Result<Locks, postgres::Error> {
    let mut out = Locks::new();
    for r in c.query(
        "SELECT relation, mode FROM pg_locks WHERE pid = $1 AND locktype = 'relation' \
         AND granted AND relation >= 16384",
        &[&pid],
    )? {
        let mode: String = r.get(1);
        if let Some(m) = LockMode::parse(&mode) {
            out.entry(r.get::<_, u32>(0)).or_default().insert(m);
        }
    }
    Ok(out)
}

/// Sequential scans per table counted in the current transaction.
pub fn scans(c: &mut Client) -> Result<BTreeMap<u32, i64>, postgres::Error> {
    Ok(
        c.query("SELECT relid, seq_scan FROM pg_stat_xact_user_tables", &[])?
            .iter()
            .map(|r| (r.get::<_, u32>(0), r.get::<_, i64>(1)))
            .collect(),
    )
}

/// The state before a statement.
pub struct Before {
    pub rels: Rels,
    pub locks: Locks,
    pub scans: BTreeMap<u32, i64>,
}

pub fn before(c: &mut Client, pid: i32, in_txn: bool) -> Result<Before, postgres::Error> {
    Ok(Before {
        rels: rels(c)?,
        locks: if in_txn {
            locks_of(c, pid)?
        } else {
            Locks::new()
        },
        scans: if in_txn { scans(c)? } else { BTreeMap::new() },
    })
}

/// What a statement did.
#[derive(Debug, Default, Clone)]
pub struct Observed {
    /// Newly acquired modes per relation oid (modes held before the statement are left out).
    pub locks: Locks,
    /// Modes already held on a relation before the statement (an earlier statement of the
    /// same transaction took them).
    pub held_before: Locks,
    pub rewritten: Vec<u32>,
    pub created: Vec<u32>,
    pub dropped: Vec<u32>,
    pub scanned: Vec<u32>,
}

pub fn diff(
    b: &Before,
    after_rels: &Rels,
    after_locks: &Locks,
    after_scans: &BTreeMap<u32, i64>,
) -> Observed {
    let mut o = Observed::default();
    for (oid, modes) in after_locks {
        let had = b.locks.get(oid);
        let new: BTreeSet<LockMode> = modes
            .iter()
            .filter(|m| had.is_none_or(|h| !h.contains(m)))
            .copied()
            .collect();
        if !new.is_empty() {
            o.locks.insert(*oid, new);
        }
    }
    o.held_before = b.locks.clone();
    for (oid, rel) in after_rels {
        match b.rels.get(oid) {
            None => o.created.push(*oid),
            Some(old) if old.filenode.is_some() && old.filenode != rel.filenode => {
                o.rewritten.push(*oid)
            }
            Some(_) => {}
        }
    }
    o.dropped = b
        .rels
        .keys()
        .filter(|k| !after_rels.contains_key(k))
        .copied()
        .collect();
    for (oid, n) in after_scans {
        if *n > b.scans.get(oid).copied().unwrap_or(0) {
            o.scanned.push(*oid);
        }
    }
    o
}

/// Samples the relation locks of backend `pid` from another session until `stop` is set:
/// the only way to see the locks of a statement that cannot run inside a transaction block
/// (they are gone when it returns). The observer first opens a REPEATABLE READ transaction
/// with a snapshot and keeps it until it has seen a lock: CREATE INDEX CONCURRENTLY and its
/// kin wait for older snapshots to end, so they cannot finish between two samples. `ready` is
/// set once that snapshot exists. A statement that waits for nothing (VACUUM, say) can still
/// be faster than one sample.
pub fn sample_locks(
    observer: &mut Client,
    pid: i32,
    stop: &AtomicBool,
    ready: &AtomicBool,
) -> Locks {
    let mut seen = Locks::new();
    let mut holding = observer
        .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT 1")
        .is_ok();
    ready.store(true, Ordering::Release);
    let started = std::time::Instant::now();
    loop {
        let done = stop.load(Ordering::Acquire);
        if let Ok(l) = locks_of(observer, pid) {
            for (oid, modes) in l {
                seen.entry(oid).or_default().extend(modes);
            }
        }
        // release the snapshot once the statement showed its locks (or after a moment, so
        // that nothing waits on us for long)
        if holding && (done || !seen.is_empty() || started.elapsed() > Duration::from_millis(500)) {
            let _ = observer.batch_execute("COMMIT");
            holding = false;
        }
        if done {
            return seen;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}
