//! PostgreSQL versions as users write them: `10`, `11`, `11.4`, `17`.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// The oldest major release still supported upstream (PostgreSQL 14 reached end of life on
/// 2026-11-12). Used when no `pg-version` is configured; the output always says it was assumed.
/// Update once a year, in November, when the next major leaves support.
pub const DEFAULT_MAJOR: u16 = 15;
/// The oldest and newest majors migcheck has measured facts for (see `src/pg/facts.tsv`).
pub const OLDEST_KNOWN: u16 = 10;
pub const NEWEST_KNOWN: u16 = 18;

/// A PostgreSQL server version. `minor == None` means "any minor of this major" and compares
/// equal to `.0`, so `11` and `11.0` are the same version.
#[derive(Debug, Clone, Copy)]
pub struct PgVersion {
    pub major: u16,
    pub minor: Option<u16>,
}

impl PgVersion {
    pub const fn new(major: u16) -> Self {
        PgVersion { major, minor: None }
    }

    pub const fn with_minor(major: u16, minor: u16) -> Self {
        PgVersion {
            major,
            minor: Some(minor),
        }
    }

    pub fn default_target() -> Self {
        PgVersion::new(DEFAULT_MAJOR)
    }

    fn key(&self) -> (u16, u16) {
        (self.major, self.minor.unwrap_or(0))
    }
}

impl PartialEq for PgVersion {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl Eq for PgVersion {}
impl PartialOrd for PgVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for PgVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}
impl std::hash::Hash for PgVersion {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key().hash(state)
    }
}

impl fmt::Display for PgVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.minor {
            Some(m) => write!(f, "{}.{}", self.major, m),
            None => write!(f, "{}", self.major),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    #[error(
        "`{0}` is not a PostgreSQL version (expected a major like `16` or `major.minor` like `14.4`)"
    )]
    Syntax(String),
    #[error(
        "PostgreSQL {0} is older than {OLDEST_KNOWN}, the oldest version migcheck has measured facts for"
    )]
    TooOld(String),
}

impl FromStr for PgVersion {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let t = t
            .strip_prefix("PostgreSQL")
            .or_else(|| t.strip_prefix("postgresql"))
            .or_else(|| t.strip_prefix("pg"))
            .unwrap_or(t)
            .trim();
        let mut parts = t.split('.');
        let num = |p: Option<&str>| -> Result<Option<u16>, VersionError> {
            match p {
                None => Ok(None),
                Some(x)
                    if !x.is_empty() && x.len() <= 4 && x.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    x.parse::<u16>()
                        .map(Some)
                        .map_err(|_| VersionError::Syntax(s.to_string()))
                }
                Some(_) => Err(VersionError::Syntax(s.to_string())),
            }
        };
        let major = num(parts.next())?.ok_or_else(|| VersionError::Syntax(s.to_string()))?;
        let minor = num(parts.next())?;
        if parts.next().is_some() {
            // 9.6.3 style (pre-10) or garbage
            return Err(if major < OLDEST_KNOWN {
                VersionError::TooOld(s.trim().to_string())
            } else {
                VersionError::Syntax(s.to_string())
            });
        }
        if major < OLDEST_KNOWN {
            return Err(VersionError::TooOld(s.trim().to_string()));
        }
        Ok(PgVersion { major, minor })
    }
}

/// A target: one version (`16`, `14.4`) or a range of majors (`10..17`, both ends included)
/// for a fleet on mixed versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PgRange {
    pub from: PgVersion,
    pub to: PgVersion,
}

impl PgRange {
    pub fn single(v: PgVersion) -> Self {
        PgRange { from: v, to: v }
    }

    pub fn is_single(&self) -> bool {
        self.from == self.to
    }

    /// The versions to evaluate: the single version, or every major of the range.
    pub fn versions(&self) -> Vec<PgVersion> {
        if self.is_single() {
            return vec![self.from];
        }
        (self.from.major..=self.to.major)
            .map(PgVersion::new)
            .collect()
    }
}

impl From<PgVersion> for PgRange {
    fn from(v: PgVersion) -> Self {
        PgRange::single(v)
    }
}

impl fmt::Display for PgRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_single() {
            write!(f, "{}", self.from)
        } else {
            write!(f, "{}..{}", self.from, self.to)
        }
    }
}

impl FromStr for PgRange {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once("..") {
            None => Ok(PgRange::single(s.parse()?)),
            Some((a, b)) => {
                let from: PgVersion = a.parse()?;
                let to: PgVersion = b.trim_start_matches('=').parse()?;
                if to < from {
                    return Err(VersionError::Syntax(s.to_string()));
                }
                if from.major == to.major {
                    return Ok(PgRange::single(from));
                }
                Ok(PgRange {
                    from: PgVersion::new(from.major),
                    to: PgVersion::new(to.major),
                })
            }
        }
    }
}

/// Compact list of majors: `10`, `11–17`, `10, 12–13`.
pub fn compact(majors: &[u16]) -> String {
    let mut ranges: Vec<(u16, u16)> = Vec::new();
    for &m in majors {
        match ranges.last_mut() {
            Some((_, hi)) if *hi + 1 == m => *hi = m,
            _ => ranges.push((m, m)),
        }
    }
    ranges
        .iter()
        .map(|(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}–{b}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> PgVersion {
        s.parse().expect("valid version")
    }

    #[test]
    fn parses_and_orders() {
        assert_eq!(v("11"), v("11.0"));
        assert!(v("10") < v("11"));
        assert!(v("11") < v("11.4"));
        assert!(v("11.4") < v("12"));
        assert!(v("17") > v("14.3"));
        assert_eq!(v(" 16 ").to_string(), "16");
        assert_eq!(v("14.3").to_string(), "14.3");
        assert_eq!(v("pg16"), v("16"));
    }

    #[test]
    fn ranges() {
        let r: PgRange = "10..17".parse().expect("range");
        assert_eq!(r.versions().len(), 8);
        assert_eq!(r.to_string(), "10..17");
        assert!("16".parse::<PgRange>().expect("single").is_single());
        assert!("17..10".parse::<PgRange>().is_err());
        assert!("9.6..12".parse::<PgRange>().is_err());
        assert_eq!(compact(&[10, 11, 12, 14]), "10–12, 14");
    }

    #[test]
    fn rejects_garbage_and_old() {
        assert!(matches!(
            "abc".parse::<PgVersion>(),
            Err(VersionError::Syntax(_))
        ));
        assert!(matches!(
            "".parse::<PgVersion>(),
            Err(VersionError::Syntax(_))
        ));
        assert!(matches!(
            "11.".parse::<PgVersion>(),
            Err(VersionError::Syntax(_))
        ));
        assert!(matches!(
            "9.6".parse::<PgVersion>(),
            Err(VersionError::TooOld(_))
        ));
        assert!(matches!(
            "9.6.3".parse::<PgVersion>(),
            Err(VersionError::TooOld(_))
        ));
        assert!(matches!(
            "16.1.2".parse::<PgVersion>(),
            Err(VersionError::Syntax(_))
        ));
    }
}
