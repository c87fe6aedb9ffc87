//! Table-level lock modes, their conflict matrix, and what each blocks in plain words.
//! Source: PostgreSQL documentation "Explicit Locking", table "Conflicting Lock Modes" (unchanged 10–18).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum LockMode {
    AccessShare,
    RowShare,
    RowExclusive,
    ShareUpdateExclusive,
    Share,
    ShareRowExclusive,
    Exclusive,
    AccessExclusive,
}

use LockMode::*;

pub const ALL: [LockMode; 8] = [
    AccessShare,
    RowShare,
    RowExclusive,
    ShareUpdateExclusive,
    Share,
    ShareRowExclusive,
    Exclusive,
    AccessExclusive,
];

/// Everyday activities on a table and the lock each needs, used to say what a lock blocks.
pub const ACTIVITIES: [(&str, LockMode); 7] = [
    ("reads", AccessShare),
    ("SELECT FOR UPDATE/SHARE", RowShare),
    ("writes", RowExclusive),
    ("VACUUM/ANALYZE/autovacuum", ShareUpdateExclusive),
    ("CREATE INDEX", Share),
    ("CREATE TRIGGER", ShareRowExclusive),
    ("ALTER TABLE/DROP", AccessExclusive),
];

impl LockMode {
    /// The SQL name, as in `LOCK TABLE t IN <name> MODE`.
    pub fn sql_name(self) -> &'static str {
        match self {
            AccessShare => "ACCESS SHARE",
            RowShare => "ROW SHARE",
            RowExclusive => "ROW EXCLUSIVE",
            ShareUpdateExclusive => "SHARE UPDATE EXCLUSIVE",
            Share => "SHARE",
            ShareRowExclusive => "SHARE ROW EXCLUSIVE",
            Exclusive => "EXCLUSIVE",
            AccessExclusive => "ACCESS EXCLUSIVE",
        }
    }

    /// The name `pg_locks.mode` shows.
    pub fn pg_locks_name(self) -> &'static str {
        match self {
            AccessShare => "AccessShareLock",
            RowShare => "RowShareLock",
            RowExclusive => "RowExclusiveLock",
            ShareUpdateExclusive => "ShareUpdateExclusiveLock",
            Share => "ShareLock",
            ShareRowExclusive => "ShareRowExclusiveLock",
            Exclusive => "ExclusiveLock",
            AccessExclusive => "AccessExclusiveLock",
        }
    }

    /// Parses the SQL name (`SHARE ROW EXCLUSIVE`, any case and spacing) or the `pg_locks` name.
    pub fn parse(s: &str) -> Option<LockMode> {
        let norm: String = s
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_ascii_uppercase();
        ALL.into_iter()
            .find(|m| m.sql_name() == norm || m.pg_locks_name().eq_ignore_ascii_case(s.trim()))
    }

    /// The conflict matrix.
    pub fn conflicts_with(self, other: LockMode) -> bool {
        let (a, b) = if self <= other {
            (self, other)
        } else {
            (other, self)
        };
        match a {
            AccessShare => b == AccessExclusive,
            RowShare => b >= Exclusive,
            RowExclusive => b >= Share,
            ShareUpdateExclusive => b >= ShareUpdateExclusive,
            Share => b == RowExclusive || b == ShareUpdateExclusive || b >= ShareRowExclusive,
            ShareRowExclusive => b >= RowExclusive,
            Exclusive => b >= RowShare,
            AccessExclusive => true,
        }
    }

    /// Does this lock stop ordinary writes (INSERT/UPDATE/DELETE)?
    pub fn blocks_writes(self) -> bool {
        self.conflicts_with(RowExclusive)
    }

    /// Does this lock stop plain reads?
    pub fn blocks_reads(self) -> bool {
        self.conflicts_with(AccessShare)
    }

    /// What this lock blocks, in plain words, derived from the conflict matrix.
    pub fn blocks(self) -> Vec<&'static str> {
        ACTIVITIES
            .iter()
            .filter(|(_, m)| self.conflicts_with(*m))
            .map(|(what, _)| *what)
            .collect()
    }

    /// What still runs while this lock is held.
    pub fn allows(self) -> Vec<&'static str> {
        ACTIVITIES
            .iter()
            .filter(|(_, m)| !self.conflicts_with(*m))
            .map(|(what, _)| *what)
            .collect()
    }

    /// One sentence for diagnostics: "`users`: ACCESS EXCLUSIVE blocks every read and write ...".
    pub fn describe_on(self, table: &str) -> String {
        match self {
            AccessExclusive => format!(
                "ACCESS EXCLUSIVE blocks every read and write on `{table}` (and all other DDL and autovacuum) until the transaction commits"
            ),
            _ => {
                let blocks = self.blocks();
                let allows = self.allows();
                let mut s = format!(
                    "{} on `{table}` blocks {} until the transaction commits",
                    self.sql_name(),
                    join_words(&blocks)
                );
                if !allows.is_empty() {
                    s.push_str(&format!("; {} continue", join_words(&allows)));
                }
                s
            }
        }
    }
}

fn join_words(items: &[&str]) -> String {
    match items {
        [] => "nothing".to_string(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} and {}", init.join(", "), last),
    }
}

impl fmt::Display for LockMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.sql_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documented matrix, row by row ("X" = conflicts), in the order of `ALL`.
    const MATRIX: [&str; 8] = [
        ".......X", // ACCESS SHARE
        "......XX", // ROW SHARE
        "....XXXX", // ROW EXCLUSIVE
        "...XXXXX", // SHARE UPDATE EXCLUSIVE
        "..XX.XXX", // SHARE
        "..XXXXXX", // SHARE ROW EXCLUSIVE
        ".XXXXXXX", // EXCLUSIVE
        "XXXXXXXX", // ACCESS EXCLUSIVE
    ];

    #[test]
    fn conflict_matrix_matches_documentation() {
        for (i, a) in ALL.iter().enumerate() {
            for (j, b) in ALL.iter().enumerate() {
                let expected = MATRIX[i].as_bytes()[j] == b'X';
                assert_eq!(a.conflicts_with(*b), expected, "{a} vs {b}");
                assert_eq!(
                    a.conflicts_with(*b),
                    b.conflicts_with(*a),
                    "symmetric {a} {b}"
                );
            }
        }
    }

    #[test]
    fn plain_words() {
        assert!(AccessExclusive.blocks_reads());
        assert!(!Share.blocks_reads());
        assert!(Share.blocks_writes());
        assert!(!ShareUpdateExclusive.blocks_writes());
        assert_eq!(
            Share.describe_on("users"),
            "SHARE on `users` blocks writes, VACUUM/ANALYZE/autovacuum, CREATE TRIGGER and ALTER TABLE/DROP until the transaction commits; reads, SELECT FOR UPDATE/SHARE and CREATE INDEX continue"
        );
        assert_eq!(
            LockMode::parse("share row  exclusive"),
            Some(ShareRowExclusive)
        );
        assert_eq!(
            LockMode::parse("AccessExclusiveLock"),
            Some(AccessExclusive)
        );
        assert_eq!(LockMode::parse("nope"), None);
    }
}
