//! The sign-off ledger (`migcheck.signoffs.toml`): a DBA's recorded acceptance of a `danger`
//! finding, bound to the content it was given for. One entry per (migration, rule, statement):
//! approver, reason, date, optional expiry, and SHA-256 hashes of the normalised statement and of
//! the whole migration unit (up and down parts, sidecars, transaction mode, target version). Any
//! edit makes an entry stale: the finding comes back naming who signed it and when.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::engine::Finding;
use crate::rules::Level;

pub const DEFAULT_FILE: &str = "migcheck.signoffs.toml";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The migration (unit id) and the file the finding is in (as migcheck displays it).
    pub migration: String,
    pub file: String,
    pub rule: String,
    /// 1-based statement number in the file; absent for findings about the whole migration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<usize>,
    pub approver: String,
    pub reason: String,
    /// YYYY-MM-DD
    pub date: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement_sha256: Option<String>,
    pub unit_sha256: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ledger {
    #[serde(default, rename = "signoff")]
    pub entries: Vec<Entry>,
}

/// What the ledger says about a finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Status {
    /// Accepted: the finding does not fail the run.
    Accepted {
        approver: String,
        date: String,
        reason: String,
    },
    /// An entry exists but the content changed since it was signed.
    Stale { approver: String, date: String },
    Expired {
        approver: String,
        date: String,
        expires: String,
    },
    /// The approver is not in the configured `approvers` list.
    NotAllowed { approver: String },
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

/// Normalises text for hashing: no BOM, LF line ends, whitespace runs collapsed.
pub fn normalise(text: &str) -> String {
    let t = text.strip_prefix('\u{feff}').unwrap_or(text);
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Today's date (UTC) as YYYY-MM-DD.
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    civil_date((secs / 86_400) as i64)
}

/// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    format!("{:04}-{:02}-{:02}", if m <= 2 { y + 1 } else { y }, m, d)
}

pub fn valid_date(s: &str) -> bool {
    let b = s.as_bytes();
    s.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && s.bytes()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// A reason a reviewer can act on: at least three words and 15 characters, not a rubber stamp.
pub fn reason_problem(reason: &str) -> Option<&'static str> {
    let r = reason.trim();
    let lower = r.to_ascii_lowercase();
    if ["ok", "lgtm", "approved", "fine", "yes", "n/a", "na", "-"].contains(&lower.as_str()) {
        return Some("a reason must say why the risk is acceptable, not just approve it");
    }
    if r.split_whitespace().count() < 3 || r.len() < 15 {
        return Some("a reason needs at least three words and 15 characters");
    }
    None
}

impl Ledger {
    pub fn load(path: &Path) -> Result<Ledger, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Ledger::default()),
            Err(e) => Err(format!("cannot read `{}`: {e}", path.display())),
        }
    }

    pub fn save(&self, path: &Path) -> Result<(), String> {
        let mut text = String::from(
            "# migcheck sign-off ledger: a DBA's acceptance of dangerous findings, bound to the content it was\n# given for (`migcheck signoff add`). Give this file to the DBA team in CODEOWNERS.\n\n",
        );
        text.push_str(&toml::to_string_pretty(self).map_err(|e| e.to_string())?);
        std::fs::write(path, text).map_err(|e| format!("cannot write `{}`: {e}", path.display()))
    }

    fn matches(e: &Entry, f: &Finding) -> bool {
        e.rule == f.rule()
            && *e.file == *f.file
            && *e.migration == *f.migration
            && (e.statement.is_none() || e.statement == f.statement_no())
    }

    /// Applies the ledger to the findings. Returns the indexes of entries no finding used.
    pub fn apply(&self, findings: &mut [Finding], approvers: &[String], today: &str) -> Vec<usize> {
        let mut used = vec![false; self.entries.len()];
        for f in findings.iter_mut().filter(|f| f.level == Level::Danger) {
            let Some((i, e)) = self
                .entries
                .iter()
                .enumerate()
                .find(|(_, e)| Self::matches(e, f))
            else {
                continue;
            };
            used[i] = true;
            let content_same = *e.unit_sha256 == *f.unit_hash()
                && (e.statement_sha256.is_none()
                    || e.statement_sha256.as_deref() == f.statement_hash());
            let status = if !content_same {
                f.notes.push(format!(
                    "signed off by {} on {}, but the migration changed since: the sign-off no longer applies",
                    e.approver, e.date
                ).into());
                Status::Stale {
                    approver: e.approver.clone(),
                    date: e.date.clone(),
                }
            } else if e.expires.as_deref().is_some_and(|x| x < today) {
                f.notes.push(
                    format!(
                        "the sign-off by {} expired on {}",
                        e.approver,
                        e.expires.clone().unwrap_or_default()
                    )
                    .into(),
                );
                Status::Expired {
                    approver: e.approver.clone(),
                    date: e.date.clone(),
                    expires: e.expires.clone().unwrap_or_default(),
                }
            } else if !approvers.is_empty() && !approvers.iter().any(|a| a == &e.approver) {
                f.notes.push(
                    format!("signed off by {}, who is not in `approvers`", e.approver).into(),
                );
                Status::NotAllowed {
                    approver: e.approver.clone(),
                }
            } else {
                f.notes
                    .push(format!("accepted by {} on {}: {}", e.approver, e.date, e.reason).into());
                Status::Accepted {
                    approver: e.approver.clone(),
                    date: e.date.clone(),
                    reason: e.reason.clone(),
                }
            };
            f.signoff = Some(Box::new(status));
        }
        used.iter()
            .enumerate()
            .filter(|(_, u)| !**u)
            .map(|(i, _)| i)
            .collect()
    }
}

/// The ledger's path: the configured one, or next to the config file, or in the working directory.
pub fn ledger_path(configured: Option<&Path>, config_file: Option<&Path>) -> PathBuf {
    if let Some(p) = configured {
        return p.to_path_buf();
    }
    match config_file.and_then(Path::parent) {
        Some(dir) => dir.join(DEFAULT_FILE),
        None => PathBuf::from(DEFAULT_FILE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_reasons() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(20_783), "2026-11-26");
        assert!(valid_date("2026-12-31"));
        assert!(!valid_date("2026-1-31"));
        assert!(reason_problem("lgtm").is_some());
        assert!(reason_problem("fine by me").is_some());
        assert!(
            reason_problem("users has 200 rows in production; the rewrite takes milliseconds")
                .is_none()
        );
        assert_eq!(normalise("\u{feff}ALTER  TABLE\r\n t"), "ALTER TABLE t");
    }
}
